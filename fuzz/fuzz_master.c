/*
 * Fuzzes the master-data decoders: each input is tried both as a page
 * (tt_master_page_decode) and as a request (tt_master_req_decode).
 * Invariants: a decoded page re-encodes, that encoding decodes, and encoding
 * it again gives the same bytes; a decoded request re-encodes and decodes to
 * the same since and cursor.
 */
#include "fuzz.h"

#include "master.h"

static void page(const uint8_t *data, size_t size)
{
    tt_master_page_t *p = NULL, *p2 = NULL;
    char reason[256], *t1 = NULL, *t2 = NULL;
    size_t l1, l2;

    tt_err_t rc = tt_master_page_decode((const char *)data, size, &p, reason, sizeof reason);
    if (rc != TT_OK) {
        FUZZ_CHECK(p == NULL);
        FUZZ_CHECK(fuzz_terminated(reason, sizeof reason));
        return;
    }
    FUZZ_CHECK(p != NULL);
    FUZZ_CHECK(fuzz_terminated(p->cursor, sizeof p->cursor));
    rc = tt_master_page_encode(p, &t1, &l1);
    if (rc == TT_ERR_NOMEM)
        goto out;
    FUZZ_CHECK(rc == TT_OK);
    FUZZ_CHECK(tt_master_page_decode(t1, l1, &p2, reason, sizeof reason) == TT_OK);
    FUZZ_CHECK(p2->since == p->since && p2->to == p->to && p2->last == p->last);
    FUZZ_CHECK(strcmp(p2->cursor, p->cursor) == 0);
    FUZZ_CHECK(p2->nunits == p->nunits && p2->nwarehouses == p->nwarehouses &&
               p2->nitems == p->nitems && p2->noperators == p->noperators &&
               p2->nplans == p->nplans && p2->nequipment == p->nequipment);
    rc = tt_master_page_encode(p2, &t2, &l2);
    if (rc == TT_ERR_NOMEM)
        goto out;
    FUZZ_CHECK(rc == TT_OK);
    FUZZ_CHECK(l1 == l2 && memcmp(t1, t2, l1) == 0);
out:
    free(t1);
    free(t2);
    tt_master_page_free(p2);
    tt_master_page_free(p);
}

static void request(const uint8_t *data, size_t size)
{
    uint64_t since, since2;
    char cursor[TT_MASTER_CURSOR_MAX + 1], cursor2[TT_MASTER_CURSOR_MAX + 1];
    char reason[256], buf[TT_MASTER_CURSOR_MAX + 128];
    size_t len;

    if (tt_master_req_decode((const char *)data, size, &since, cursor, reason, sizeof reason) !=
        TT_OK) {
        FUZZ_CHECK(fuzz_terminated(reason, sizeof reason));
        return;
    }
    FUZZ_CHECK(fuzz_terminated(cursor, sizeof cursor));
    FUZZ_CHECK(tt_master_req_encode(since, cursor, buf, sizeof buf, &len) == TT_OK);
    FUZZ_CHECK(tt_master_req_decode(buf, len, &since2, cursor2, reason, sizeof reason) == TT_OK);
    FUZZ_CHECK(since2 == since && strcmp(cursor2, cursor) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    page(data, size);
    request(data, size);
    return 0;
}
