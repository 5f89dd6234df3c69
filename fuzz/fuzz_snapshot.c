/*
 * Fuzzes the stock-snapshot decoders: each input is tried both as a
 * snapshot (tt_snapshot_decode) and as a request (tt_snapshot_req_decode).
 * Invariants: a decoded snapshot re-encodes and decodes to the same rows; a
 * decoded request re-encodes and decodes to the same warehouse.
 */
#include "fuzz.h"

#include "snapshot.h"

static void snapshot(const uint8_t *data, size_t size)
{
    tt_snapshot_t *s = NULL, *s2 = NULL;
    char reason[256], *text = NULL;
    size_t len;

    tt_err_t rc = tt_snapshot_decode((const char *)data, size, &s, reason, sizeof reason);
    if (rc != TT_OK) {
        FUZZ_CHECK(s == NULL);
        FUZZ_CHECK(fuzz_terminated(reason, sizeof reason));
        return;
    }
    FUZZ_CHECK(s != NULL);
    FUZZ_CHECK(s->count <= TT_SNAPSHOT_ITEMS_MAX);
    for (size_t i = 0; i < s->count; i++)
        FUZZ_CHECK(s->rows[i].qty >= 0);
    rc = tt_snapshot_encode(s, &text, &len);
    if (rc == TT_ERR_NOMEM)
        goto out;
    FUZZ_CHECK(rc == TT_OK);
    FUZZ_CHECK(tt_snapshot_decode(text, len, &s2, reason, sizeof reason) == TT_OK);
    FUZZ_CHECK(strcmp(s2->warehouse, s->warehouse) == 0 && s2->applied == s->applied);
    FUZZ_CHECK(s2->count == s->count);
    for (size_t i = 0; i < s->count; i++) {
        FUZZ_CHECK(strcmp(s2->rows[i].item, s->rows[i].item) == 0);
        FUZZ_CHECK(s2->rows[i].qty == s->rows[i].qty);
    }
out:
    free(text);
    tt_snapshot_free(s2);
    tt_snapshot_free(s);
}

static void request(const uint8_t *data, size_t size)
{
    char wh[TT_EVENT_ID_MAX + 1], wh2[TT_EVENT_ID_MAX + 1], reason[256], buf[128];
    size_t len;

    if (tt_snapshot_req_decode((const char *)data, size, wh, reason, sizeof reason) != TT_OK) {
        FUZZ_CHECK(fuzz_terminated(reason, sizeof reason));
        return;
    }
    FUZZ_CHECK(tt_event_id_valid(wh));
    FUZZ_CHECK(tt_snapshot_req_encode(wh, buf, sizeof buf, &len) == TT_OK);
    FUZZ_CHECK(tt_snapshot_req_decode(buf, len, wh2, reason, sizeof reason) == TT_OK);
    FUZZ_CHECK(strcmp(wh, wh2) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    snapshot(data, size);
    request(data, size);
    return 0;
}
