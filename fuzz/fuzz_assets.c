/*
 * Fuzzes the asset-states decoders (shared/assets.h): each input is tried
 * both as a page (tt_assets_page_decode) and as a request
 * (tt_assets_req_decode).  Invariants: a decoded page has only valid rows
 * (states, steps with their results, at most TT_ASSETS_STEPS_MAX), re-encodes,
 * that encoding decodes to the same page, and encoding it again gives the
 * same bytes; the rule table takes every decoded row's state without a
 * crash; a decoded request re-encodes and decodes to the same version.
 */
#include "fuzz.h"

#include "assets.h"

static void same_rows(const tt_assets_page_t *a, const tt_assets_page_t *b)
{
    FUZZ_CHECK(a->since == b->since && a->to == b->to && a->applied == b->applied &&
               a->last == b->last && a->count == b->count);
    for (size_t i = 0; i < a->count; i++) {
        const tt_assets_row_t *x = &a->rows[i], *y = &b->rows[i];
        FUZZ_CHECK(strcmp(x->asset, y->asset) == 0 && x->state == y->state &&
                   strcmp(x->unit, y->unit) == 0 && x->nsteps == y->nsteps);
        for (size_t k = 0; k < x->nsteps; k++)
            FUZZ_CHECK(x->steps[k].step == y->steps[k].step &&
                       strcmp(x->steps[k].result, y->steps[k].result) == 0 &&
                       strcmp(x->steps[k].unit, y->steps[k].unit) == 0 &&
                       x->steps[k].at_ms == y->steps[k].at_ms &&
                       strcmp(x->steps[k].operator_id, y->steps[k].operator_id) == 0);
    }
}

static void page(const uint8_t *data, size_t size)
{
    tt_assets_page_t *p = NULL, *p2 = NULL;
    char reason[256], *t1 = NULL, *t2 = NULL;
    size_t l1, l2;

    tt_err_t rc = tt_assets_page_decode((const char *)data, size, &p, reason, sizeof reason);
    if (rc != TT_OK) {
        FUZZ_CHECK(p == NULL);
        FUZZ_CHECK(fuzz_terminated(reason, sizeof reason));
        return;
    }
    FUZZ_CHECK(p != NULL && p->since <= p->to && p->count <= TT_ASSETS_PAGE_ROWS);
    for (size_t i = 0; i < p->count; i++) {
        const tt_assets_row_t *r = &p->rows[i];
        tt_assets_state_t next;
        char unit[TT_EVENT_ID_MAX + 1], text[160];
        FUZZ_CHECK(tt_assets_state_name(r->state) != NULL && r->nsteps <= TT_ASSETS_STEPS_MAX);
        FUZZ_CHECK(fuzz_terminated(r->asset, sizeof r->asset));
        for (size_t k = 0; k < r->nsteps; k++) {
            tt_assets_refusal_t why;
            FUZZ_CHECK(tt_assets_step_name(r->steps[k].step) != NULL);
            why = tt_assets_next(r->state, r->unit, r->steps[k].step, r->steps[k].result,
                                 r->steps[k].unit, &next, unit, NULL);
            tt_assets_explain(why, r->state, r->unit, r->steps[k].unit, (int)(k & 1), text,
                              sizeof text);
            FUZZ_CHECK(fuzz_terminated(text, sizeof text));
        }
    }
    rc = tt_assets_page_encode(p, &t1, &l1);
    if (rc == TT_ERR_NOMEM)
        goto out;
    FUZZ_CHECK(rc == TT_OK);
    FUZZ_CHECK(tt_assets_page_decode(t1, l1, &p2, reason, sizeof reason) == TT_OK);
    same_rows(p, p2);
    rc = tt_assets_page_encode(p2, &t2, &l2);
    if (rc == TT_ERR_NOMEM)
        goto out;
    FUZZ_CHECK(rc == TT_OK);
    FUZZ_CHECK(l1 == l2 && memcmp(t1, t2, l1) == 0);
out:
    free(t1);
    free(t2);
    tt_assets_page_free(p2);
    tt_assets_page_free(p);
}

static void request(const uint8_t *data, size_t size)
{
    uint64_t since, since2;
    char reason[256], buf[64];
    size_t len;

    if (tt_assets_req_decode((const char *)data, size, &since, reason, sizeof reason) != TT_OK) {
        FUZZ_CHECK(fuzz_terminated(reason, sizeof reason));
        return;
    }
    FUZZ_CHECK(tt_assets_req_encode(since, buf, sizeof buf, &len) == TT_OK);
    FUZZ_CHECK(tt_assets_req_decode(buf, len, &since2, reason, sizeof reason) == TT_OK);
    FUZZ_CHECK(since == since2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    page(data, size);
    request(data, size);
    return 0;
}
