#include "support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>

#include <cmocka.h>

char *tt_test_batch(const char *terminal, uint64_t synced, const tt_event_t *evs, size_t n,
                    size_t *len)
{
    char (*enc)[TT_EVENT_ENCODED_MAX] = calloc(n ? n : 1, sizeof *enc);
    const char **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    size_t *lens = calloc(n ? n : 1, sizeof *lens);
    size_t cap = n * TT_EVENT_ENCODED_MAX + 256;
    char *buf = malloc(cap);

    assert_non_null(enc);
    assert_non_null(ptrs);
    assert_non_null(lens);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(tt_event_encode(&evs[i], enc[i], sizeof enc[i], &lens[i]), TT_OK);
        ptrs[i] = enc[i];
    }
    assert_int_equal(tt_event_batch_build(terminal, synced, ptrs, lens, n, buf, cap, len), TT_OK);
    free(enc);
    free(ptrs);
    free(lens);
    return buf;
}
