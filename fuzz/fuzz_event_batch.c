/*
 * Fuzzes tt_event_batch_decode (a batch arriving on terminal T01's topic).
 * Invariants: on success the items' seqs are strictly increasing and within
 * range; every accepted event re-encodes, and a batch built from those
 * encodings decodes to events that encode to the same bytes.
 */
#include "fuzz.h"

#include "event.h"

#define TOPIC "T01"

static void roundtrip(const tt_event_batch_t *b)
{
    size_t n = 0, total = 0;
    char **enc = calloc(b->count ? b->count : 1, sizeof *enc);
    size_t *lens = calloc(b->count ? b->count : 1, sizeof *lens);

    if (!enc || !lens)
        goto out;
    for (size_t i = 0; i < b->count; i++) {
        if (b->items[i].err != TT_OK)
            continue;
        enc[n] = malloc(TT_EVENT_ENCODED_MAX);
        if (!enc[n])
            goto out;
        /* An event the decoder accepted is one the encoder accepts. */
        FUZZ_CHECK(tt_event_encode(&b->items[i].ev, enc[n], TT_EVENT_ENCODED_MAX, &lens[n]) ==
                   TT_OK);
        total += lens[n];
        n++;
    }
    if (n == 0)
        goto out;

    size_t cap = total + n + 256, blen;
    char *buf = malloc(cap);
    if (!buf)
        goto out;
    if (tt_event_batch_build(TOPIC, b->synced, (const char *const *)enc, lens, n, buf, cap,
                             &blen) == TT_OK) {
        tt_event_batch_t *b2 = NULL;
        char reason[TT_EVENT_REASON_MAX];
        FUZZ_CHECK(tt_event_batch_decode(buf, blen, TOPIC, &b2, reason, sizeof reason) == TT_OK);
        FUZZ_CHECK(b2->count == n && b2->synced == b->synced);
        for (size_t i = 0; i < n; i++) {
            char again[TT_EVENT_ENCODED_MAX];
            size_t alen;
            FUZZ_CHECK(b2->items[i].err == TT_OK);
            FUZZ_CHECK(tt_event_encode(&b2->items[i].ev, again, sizeof again, &alen) == TT_OK);
            FUZZ_CHECK(alen == lens[i] && memcmp(again, enc[i], alen) == 0);
        }
        tt_event_batch_free(b2);
    }
    free(buf);
out:
    if (enc)
        for (size_t i = 0; i < n; i++)
            free(enc[i]);
    free(enc);
    free(lens);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tt_event_batch_t *b = NULL;
    char reason[TT_EVENT_REASON_MAX];

    tt_err_t rc = tt_event_batch_decode((const char *)data, size, TOPIC, &b, reason, sizeof reason);
    if (rc != TT_OK) {
        FUZZ_CHECK(b == NULL);
        FUZZ_CHECK(fuzz_terminated(reason, sizeof reason));
        return 0;
    }
    FUZZ_CHECK(b != NULL);
    FUZZ_CHECK(strcmp(b->terminal, TOPIC) == 0);
    FUZZ_CHECK(b->count <= TT_EVENT_BATCH_MAX);
    FUZZ_CHECK(b->synced <= TT_EVENT_SEQ_MAX);
    for (size_t i = 0; i < b->count; i++) {
        FUZZ_CHECK(b->items[i].ev.seq >= 1 && b->items[i].ev.seq <= TT_EVENT_SEQ_MAX);
        if (i > 0)
            FUZZ_CHECK(b->items[i - 1].ev.seq < b->items[i].ev.seq);
        if (b->items[i].err != TT_OK)
            FUZZ_CHECK(fuzz_terminated(b->items[i].reason, sizeof b->items[i].reason));
    }
    roundtrip(b);
    tt_event_batch_free(b);
    return 0;
}
