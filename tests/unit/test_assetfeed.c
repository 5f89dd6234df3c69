/*
 * Unit tests of server/assetfeed through server/ingest: equipment steps go
 * in as terminal batches (encoded with the real codec) and move states in
 * the repair module; asset-state requests (tt/v1/t/<terminal>/assets-req)
 * come back, after the round's commit, as pages decoded with the real
 * decoder: the changed rows in version order with their last steps, the
 * asking terminal's own watermark, paging, a store older than the
 * terminal's copy, and bad requests kept as bad messages.  Each test has its
 * own database in a fresh temporary folder; the site's zone is UTC+8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "assetfeed.h"
#include "assets.h"
#include "db.h"
#include "dbmaster.h"
#include "event.h"
#include "ingest.h"

#define NOW 1764100000000LL     /* the server's clock */
#define T0 1764099600000LL      /* the terminal's first scan, 6 minutes before */
#define MAX_REPLIES 8

typedef struct {
    char topic[TT_EVENT_TOPIC_MAX];
    char *payload;
    size_t len;
} reply_t;

typedef struct {
    char dir[64], path[128];
    tt_db_t *db;
    tt_ingest_t *ing;
    reply_t replies[MAX_REPLIES];
    size_t n;
} fx_t;

static void clear(fx_t *fx)
{
    for (size_t i = 0; i < fx->n; i++)
        free(fx->replies[i].payload);
    fx->n = 0;
}

static void put_unit(fx_t *fx, const char *id, tt_unit_kind_t kind)
{
    tt_master_unit_t u;
    memset(&u, 0, sizeof u);
    snprintf(u.id, sizeof u.id, "%s", id);
    snprintf(u.name, sizeof u.name, "unit %s", id);
    u.kind = kind;
    assert_int_equal(tt_dbmaster_put_unit(fx->db, &u, 1, NULL), TT_OK);
}

static void put_asset(fx_t *fx, const char *asset, const char *unit)
{
    tt_master_equipment_t e;
    memset(&e, 0, sizeof e);
    snprintf(e.asset, sizeof e.asset, "%s", asset);
    snprintf(e.model, sizeof e.model, "pump %s", asset);
    snprintf(e.unit, sizeof e.unit, "%s", unit);
    e.active = 1;
    assert_int_equal(tt_dbmaster_put_equipment(fx->db, &e, 1, NULL), TT_OK);
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    tt_ingest_conf_t conf = {.max_payload = 1 << 20, .hold_max = 100};
    char err[256] = "";

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_assetfeed_XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/server.db", fx->dir);
    if (tt_db_open(fx->path, 0, &fx->db, err, sizeof err) != TT_OK) {
        fprintf(stderr, "tt_db_open: %s\n", err);
        return -1;
    }
    /* Units A3, A4, the shop XL; P-1 and P-3 in use at A3, P-2 at no unit. */
    if (tt_db_begin(fx->db) != TT_OK)
        return -1;
    put_unit(fx, "A3", TT_UNIT_WORK_AREA);
    put_unit(fx, "A4", TT_UNIT_WORK_AREA);
    put_unit(fx, "XL", TT_UNIT_SHOP);
    put_asset(fx, "P-1", "A3");
    put_asset(fx, "P-2", "");
    put_asset(fx, "P-3", "A3");
    if (tt_dbmaster_set_version(fx->db, 1) != TT_OK || tt_db_commit(fx->db) != TT_OK)
        return -1;
    if (tt_ingest_new(&conf, fx->db, NULL, &fx->ing) != TT_OK)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    fx_t *fx = *state;
    char p[160];

    clear(fx);
    tt_ingest_free(fx->ing);
    tt_db_close(fx->db);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", fx->path, suffixes[i]);
        unlink(p);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static void on_reply(void *ctx, const char *topic, const char *payload, size_t len)
{
    fx_t *fx = ctx;
    reply_t *r;

    assert_true(fx->n < MAX_REPLIES);
    r = &fx->replies[fx->n++];
    snprintf(r->topic, sizeof r->topic, "%s", topic);
    r->payload = malloc(len + 1);
    assert_non_null(r->payload);
    memcpy(r->payload, payload, len);
    r->payload[len] = '\0';
    r->len = len;
}

/* One round of one message from `terminal` on its topic leaf. */
static void send(fx_t *fx, const char *terminal, const char *leaf, const char *payload,
                 size_t len)
{
    char topic[TT_EVENT_TOPIC_MAX];

    clear(fx);
    assert_int_equal(tt_event_topic(topic, sizeof topic, terminal, leaf), TT_OK);
    assert_int_equal(tt_ingest_begin(fx->ing), TT_OK);
    assert_int_equal(tt_ingest_message(fx->ing, topic, payload, len, NOW), TT_OK);
    assert_int_equal(tt_ingest_commit(fx->ing, on_reply, fx), TT_OK);
}

static tt_event_t step(uint64_t seq, const char *asset, const char *st, const char *result,
                       const char *unit)
{
    tt_event_t ev;

    memset(&ev, 0, sizeof ev);
    ev.seq = seq;
    ev.type = TT_EVENT_EQUIPMENT;
    ev.ts_ms = T0 + (int64_t)seq * 1000;
    snprintf(ev.operator_id, sizeof ev.operator_id, "li4");
    snprintf(ev.body.stock.asset, sizeof ev.body.stock.asset, "%s", asset);
    snprintf(ev.body.stock.step, sizeof ev.body.stock.step, "%s", st);
    snprintf(ev.body.stock.result, sizeof ev.body.stock.result, "%s", result);
    snprintf(ev.body.stock.unit, sizeof ev.body.stock.unit, "%s", unit);
    return ev;
}

/* Sends evs[0..n) as one batch of `terminal`. */
static void steps(fx_t *fx, const char *terminal, const tt_event_t *evs, size_t n)
{
    char enc[8][TT_EVENT_ENCODED_MAX], buf[8 * TT_EVENT_ENCODED_MAX + 256];
    const char *ptrs[8];
    size_t lens[8], len;

    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(tt_event_encode(&evs[i], enc[i], sizeof enc[i], &lens[i]), TT_OK);
        ptrs[i] = enc[i];
    }
    assert_int_equal(tt_event_batch_build(terminal, 0, ptrs, lens, n, buf, sizeof buf, &len),
                     TT_OK);
    send(fx, terminal, TT_EVENT_LEAF_EVENTS, buf, len);
}

/* Asks for the states above `since` as `terminal`; returns the decoded
 * page (the caller frees it), or NULL when no page came back. */
static tt_assets_page_t *ask(fx_t *fx, const char *terminal, uint64_t since)
{
    char req[64], topic[TT_EVENT_TOPIC_MAX], reason[200] = "";
    size_t len;
    tt_assets_page_t *p = NULL;

    assert_int_equal(tt_assets_req_encode(since, req, sizeof req, &len), TT_OK);
    send(fx, terminal, TT_ASSETS_LEAF_REQ, req, len);
    assert_int_equal(tt_event_topic(topic, sizeof topic, terminal, TT_ASSETS_LEAF), TT_OK);
    for (size_t i = 0; i < fx->n; i++) {
        if (strcmp(fx->replies[i].topic, topic) != 0)
            continue;
        if (tt_assets_page_decode(fx->replies[i].payload, fx->replies[i].len, &p, reason,
                                  sizeof reason) != TT_OK)
            fail_msg("the reply does not decode: %s: %s", reason, fx->replies[i].payload);
        return p;
    }
    return NULL;
}

static void expect_step(const tt_assets_entry_t *e, tt_assets_step_t st, const char *result,
                        const char *unit)
{
    assert_int_equal(e->step, st);
    assert_string_equal(e->result, result);
    assert_string_equal(e->unit, unit);
    assert_string_equal(e->operator_id, "li4");
    assert_true(e->at_ms >= T0 && e->at_ms <= NOW);
    assert_int_equal(e->pending, 0);
}

/* P-1 appraised as sent in by A3 (its intake implied), fails and passes its
 * self-check; P-2 (no unit) appraised; an issue of P-3 before any
 * acceptance refused.  Applied through seq 5 of T01. */
static void scan_five(fx_t *fx)
{
    tt_event_t evs[] = {
        step(1, "P-1", "appraisal", "major", "A3"), step(2, "P-1", "selfcheck", "fail", ""),
        step(3, "P-1", "selfcheck", "pass", ""),    step(4, "P-2", "appraisal", "minor", ""),
        step(5, "P-3", "issue", "in_use", "A4"),
    };
    steps(fx, "T01", evs, 5);
}

static void test_page_of_changed_states(void **state)
{
    fx_t *fx = *state;
    tt_assets_page_t *p, *again;

    p = ask(fx, "T01", 0);   /* nothing moved yet: an empty last page */
    assert_non_null(p);
    assert_int_equal(p->count, 0);
    assert_int_equal(p->since, 0);
    assert_int_equal(p->to, 0);
    assert_int_equal(p->last, 1);
    assert_int_equal(p->applied, 0);
    tt_assets_page_free(p);

    scan_five(fx);
    p = ask(fx, "T01", 0);
    assert_non_null(p);
    assert_int_equal(p->applied, 5);   /* the asker's watermark: its rejected seq 5 too */
    assert_int_equal(p->last, 1);
    assert_int_equal(p->count, 2);     /* P-3's refused issue moved nothing */
    /* In version order: P-1's last document came before P-2's. */
    assert_string_equal(p->rows[0].asset, "P-1");
    assert_int_equal(p->rows[0].state, TT_ASSETS_IN_STOCK);
    assert_string_equal(p->rows[0].unit, "A3");
    assert_int_equal(p->rows[0].nsteps, TT_ASSETS_STEPS_MAX);   /* of four: the newest three */
    /* A step's unit is the asset's unit with it (the using unit). */
    expect_step(&p->rows[0].steps[0], TT_ASSETS_SELFCHECK, "pass", "A3");
    expect_step(&p->rows[0].steps[1], TT_ASSETS_SELFCHECK, "fail", "A3");
    expect_step(&p->rows[0].steps[2], TT_ASSETS_APPRAISAL, "major", "A3");
    assert_string_equal(p->rows[1].asset, "P-2");
    assert_int_equal(p->rows[1].state, TT_ASSETS_IN_REPAIR);
    assert_string_equal(p->rows[1].unit, "");
    assert_int_equal(p->rows[1].nsteps, 1);
    expect_step(&p->rows[1].steps[0], TT_ASSETS_APPRAISAL, "minor", "");
    assert_true(p->to > 0);

    /* From the version the page brought: nothing new. */
    again = ask(fx, "T01", p->to);
    assert_non_null(again);
    assert_int_equal(again->count, 0);
    assert_int_equal(again->to, p->to);
    assert_int_equal(again->last, 1);
    tt_assets_page_free(again);

    /* Another terminal gets the same rows with its own watermark. */
    again = ask(fx, "T02", 0);
    assert_non_null(again);
    assert_int_equal(again->applied, 0);
    assert_int_equal(again->count, 2);
    tt_assets_page_free(again);

    /* P-1 accepted: only it comes, above the version held. */
    {
        tt_event_t ev = step(6, "P-1", "acceptance", "pass", "");
        steps(fx, "T01", &ev, 1);
    }
    again = ask(fx, "T01", p->to);
    assert_non_null(again);
    assert_int_equal(again->count, 1);
    assert_string_equal(again->rows[0].asset, "P-1");
    assert_int_equal(again->rows[0].state, TT_ASSETS_ACCEPTED);
    expect_step(&again->rows[0].steps[0], TT_ASSETS_ACCEPTANCE, "pass", "A3");
    assert_int_equal(again->applied, 6);
    assert_true(again->to > p->to);
    tt_assets_page_free(again);
    tt_assets_page_free(p);
}

/* An appraisal naming the holding unit records the implied intake: the
 * row's steps show it under the appraisal. */
static void test_implied_intake_is_a_step(void **state)
{
    fx_t *fx = *state;
    tt_event_t ev = step(1, "P-3", "appraisal", "medium", "A3");
    tt_assets_page_t *p;

    steps(fx, "T01", &ev, 1);
    p = ask(fx, "T01", 0);
    assert_non_null(p);
    assert_int_equal(p->count, 1);
    assert_int_equal(p->rows[0].nsteps, 2);
    expect_step(&p->rows[0].steps[0], TT_ASSETS_APPRAISAL, "medium", "A3");
    expect_step(&p->rows[0].steps[1], TT_ASSETS_INTAKE, "", "A3");
    tt_assets_page_free(p);
}

static void test_pages_and_older_store(void **state)
{
    fx_t *fx = *state;
    tt_assetfeed_t *f = NULL;
    tt_assets_page_t *a = NULL, *b = NULL, *c = NULL;

    scan_five(fx);
    assert_int_equal(tt_assetfeed_open(fx->db, &f), TT_OK);
    assert_int_equal(tt_assetfeed_page(f, 0, 0, &a), TT_ERR_INVAL);
    assert_int_equal(tt_assetfeed_page(f, 0, TT_ASSETS_PAGE_ROWS + 1, &a), TT_ERR_INVAL);
    /* One row a page: the first page ends at its row's version. */
    assert_int_equal(tt_assetfeed_page(f, 0, 1, &a), TT_OK);
    assert_int_equal(a->count, 1);
    assert_int_equal(a->last, 0);
    assert_string_equal(a->rows[0].asset, "P-1");
    assert_int_equal(tt_assetfeed_page(f, a->to, 1, &b), TT_OK);
    assert_int_equal(b->count, 1);
    assert_int_equal(b->last, 1);
    assert_string_equal(b->rows[0].asset, "P-2");
    assert_true(b->to > a->to);
    /* A terminal holding a version this store never reached (a restored
     * backup): answered from 0, so it starts over. */
    assert_int_equal(tt_assetfeed_page(f, b->to + 100, 10, &c), TT_OK);
    assert_int_equal(c->since, 0);
    assert_int_equal(c->to, b->to);
    assert_int_equal(c->count, 2);
    assert_int_equal(c->last, 1);
    tt_assets_page_free(a);
    tt_assets_page_free(b);
    tt_assets_page_free(c);
    tt_assetfeed_close(f);
    tt_assetfeed_close(NULL);
}

static int bad_count(void *ctx, const tt_db_badmsg_t *m)
{
    (void)m;
    ++*(int *)ctx;
    return 0;
}

static void test_bad_requests_are_bad_messages(void **state)
{
    static const char *const bad[] = {
        "{\"v\":1}", "{\"v\":2,\"since\":0}", "{\"v\":1,\"since\":-3}", "not json",
        "{\"v\":1,\"since\":0,\"cursor\":\"\"}",
    };
    fx_t *fx = *state;
    char big[1100];
    int n = 0;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        send(fx, "T01", TT_ASSETS_LEAF_REQ, bad[i], strlen(bad[i]));
        assert_int_equal(fx->n, 0);   /* not answered */
    }
    memset(big, ' ', sizeof big);
    memcpy(big, "{\"v\":1,\"since\":0}", 17);
    send(fx, "T01", TT_ASSETS_LEAF_REQ, big, sizeof big);
    assert_int_equal(fx->n, 0);
    assert_int_equal(tt_db_badmsgs_each(fx->db, "T01", 100, bad_count, &n), TT_OK);
    assert_int_equal(n, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_page_of_changed_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_implied_intake_is_a_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_and_older_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests_are_bad_messages, setup, teardown),
    };
    setenv("TZ", "CST-8", 1);
    tzset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
