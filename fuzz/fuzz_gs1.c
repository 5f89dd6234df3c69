/*
 * Fuzzes tt_gs1_decode on a NUL-terminated copy of the input.  Invariants:
 * on success the canonical bracketed form decodes (as bracketed text) to the
 * same pairs, and so does the canonical element string (as an element
 * string); on failure the result is cleared and the reason terminated.
 */
#include "fuzz.h"

#include "gs1.h"

#define REF_YEAR 2025

static void same_pairs(const tt_gs1_result_t *a, const tt_gs1_result_t *b)
{
    FUZZ_CHECK(a->count == b->count);
    for (size_t i = 0; i < a->count; i++) {
        const tt_gs1_pair_t *p = &a->pairs[i], *q = &b->pairs[i];
        FUZZ_CHECK(strcmp(p->ai, q->ai) == 0);
        FUZZ_CHECK(strcmp(p->value, q->value) == 0);
        FUZZ_CHECK(p->count == q->count);
        FUZZ_CHECK(p->date.year == q->date.year && p->date.month == q->date.month &&
                   p->date.day == q->date.day && p->date.end_of_month == q->date.end_of_month);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tt_gs1_result_t r, r2;
    char reason[TT_GS1_REASON_MAX], text[TT_GS1_TEXT_MAX];
    char *s = fuzz_cstr(data, size);

    if (!s)
        return 0;
    tt_err_t rc = tt_gs1_decode(s, REF_YEAR, &r, reason, sizeof reason);
    free(s);
    FUZZ_CHECK(fuzz_terminated(reason, sizeof reason));
    if (rc != TT_OK) {
        FUZZ_CHECK(r.count == 0);
        return 0;
    }
    FUZZ_CHECK(reason[0] == '\0');
    FUZZ_CHECK(r.count <= TT_GS1_PAIRS_MAX);

    FUZZ_CHECK(tt_gs1_bracketed(&r, text, sizeof text) == TT_OK);
    FUZZ_CHECK(tt_gs1_decode_bracketed(text, REF_YEAR, &r2, reason, sizeof reason) == TT_OK);
    same_pairs(&r, &r2);

    FUZZ_CHECK(tt_gs1_element_string(&r, text, sizeof text) == TT_OK);
    FUZZ_CHECK(tt_gs1_decode_element(text, REF_YEAR, &r2, reason, sizeof reason) == TT_OK);
    same_pairs(&r, &r2);
    return 0;
}
