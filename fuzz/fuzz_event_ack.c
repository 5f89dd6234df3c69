/*
 * Fuzzes tt_event_ack_decode (an ack for terminal T01).  Invariant: a
 * decoded ack re-encodes, and that encoding decodes to the same ack.
 */
#include "fuzz.h"

#include "event.h"

#define TERMINAL "T01"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tt_event_ack_t *a = NULL, *a2 = NULL;
    char reason[TT_EVENT_REASON_MAX], *text = NULL;
    size_t tlen;

    tt_err_t rc = tt_event_ack_decode((const char *)data, size, TERMINAL, &a, reason, sizeof reason);
    if (rc != TT_OK) {
        FUZZ_CHECK(a == NULL);
        FUZZ_CHECK(fuzz_terminated(reason, sizeof reason));
        return 0;
    }
    FUZZ_CHECK(a != NULL);
    FUZZ_CHECK(strcmp(a->terminal, TERMINAL) == 0);
    FUZZ_CHECK(a->applied <= TT_EVENT_SEQ_MAX);
    for (size_t i = 0; i < a->nrejected; i++)
        FUZZ_CHECK(fuzz_terminated(a->rejected[i].reason, sizeof a->rejected[i].reason));

    rc = tt_event_ack_encode(a, &text, &tlen);
    if (rc == TT_ERR_NOMEM)
        goto out;
    FUZZ_CHECK(rc == TT_OK);
    FUZZ_CHECK(tt_event_ack_decode(text, tlen, TERMINAL, &a2, reason, sizeof reason) == TT_OK);
    FUZZ_CHECK(a2->applied == a->applied && a2->nrejected == a->nrejected);
    for (size_t i = 0; i < a->nrejected; i++) {
        FUZZ_CHECK(a2->rejected[i].seq == a->rejected[i].seq);
        FUZZ_CHECK(strcmp(a2->rejected[i].reason, a->rejected[i].reason) == 0);
    }
out:
    free(text);
    tt_event_ack_free(a2);
    tt_event_ack_free(a);
    return 0;
}
