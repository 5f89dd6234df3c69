/*
 * fuzz: what every fuzz target shares.
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput, the libFuzzer entry
 * point.  Built with clang and TT_FUZZ=ON it is a libFuzzer binary; otherwise
 * replay.c supplies main() and runs it over the seed corpus, so the normal
 * test suite (release and sanitizer builds) replays every seed.
 *
 * Targets never print.  A broken invariant aborts (not assert(), which
 * NDEBUG would remove from release builds).
 */
#ifndef TT_FUZZ_H
#define TT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                      \
    do {                                                                                      \
        if (!(cond))                                                                          \
            abort();                                                                          \
    } while (0)

/* A NUL-terminated copy of data[size] (for the APIs that take C strings;
 * an embedded NUL simply ends the string early).  NULL when out of memory,
 * which a target treats as "nothing to do". */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        if (size)
            memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

/* Non-zero when buf[len] holds a NUL, i.e. a reason buffer was terminated. */
static inline int fuzz_terminated(const char *buf, size_t len)
{
    return memchr(buf, '\0', len) != NULL;
}

#endif
