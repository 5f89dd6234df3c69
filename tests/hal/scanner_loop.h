/*
 * Test helper: drives a tt_scanner_t the way firmware/main.c's loop does
 * (deadline, pollfds, poll, service with the clock after poll, then read
 * until TT_ERR_BUSY), for a bounded time, collecting the codes read.
 * Header-only (static inline) so each test program includes its own copy.
 */
#ifndef TT_TEST_SCANNER_LOOP_H
#define TT_TEST_SCANNER_LOOP_H

#include <poll.h>
#include <stdint.h>
#include <string.h>

#include "clock.h"
#include "scanner.h"

#define LOOP_FDS 8          /* what the firmware gives the scanner */
#define LOOP_CODES 32

typedef struct {
    char codes[LOOP_CODES][TT_SCANNER_CODE_MAX];
    size_t count;           /* codes read so far */
    size_t toobig;          /* reads that said TT_ERR_TOOBIG */
    size_t iterations;      /* loop turns, to see that nothing spins */
} loop_t;

/* One turn of the loop, waiting at most until `end` (tt_clock_mono_ms). */
static inline void loop_turn(tt_scanner_t *s, loop_t *l, int64_t end)
{
    struct pollfd fds[LOOP_FDS];
    int64_t now = tt_clock_mono_ms(), d = tt_scanner_deadline(s);
    int64_t wait = end - now;
    size_t n;
    char code[TT_SCANNER_CODE_MAX];
    tt_err_t rc;

    if (d >= 0 && d - now < wait)
        wait = d - now;
    if (wait < 0)
        wait = 0;
    n = tt_scanner_pollfds(s, fds, LOOP_FDS);
    (void)poll(fds, n, (int)wait);
    tt_scanner_service(s, fds, n, tt_clock_mono_ms());
    while ((rc = tt_scanner_read(s, code, sizeof code)) != TT_ERR_BUSY) {
        if (rc == TT_ERR_TOOBIG)
            l->toobig++;
        else if (rc == TT_OK && l->count < LOOP_CODES)
            memcpy(l->codes[l->count++], code, sizeof code);
    }
    l->iterations++;
}

/* Runs the loop for `ms` milliseconds. */
static inline void loop_run(tt_scanner_t *s, loop_t *l, int ms)
{
    int64_t end = tt_clock_mono_ms() + ms;
    while (tt_clock_mono_ms() < end)
        loop_turn(s, l, end);
}

/* Runs the loop until `count` codes have been read or `ms` passed; returns
 * non-zero when they were. */
static inline int loop_until_codes(tt_scanner_t *s, loop_t *l, size_t count, int ms)
{
    int64_t end = tt_clock_mono_ms() + ms;
    while (l->count < count && tt_clock_mono_ms() < end)
        loop_turn(s, l, end);
    return l->count >= count;
}

/* Runs the loop until tt_scanner_present() equals `want` or `ms` passed;
 * returns non-zero when it does. */
static inline int loop_until_present(tt_scanner_t *s, loop_t *l, int want, int ms)
{
    int64_t end = tt_clock_mono_ms() + ms;
    while (!tt_scanner_present(s) != !want && tt_clock_mono_ms() < end)
        loop_turn(s, l, end);
    return !tt_scanner_present(s) == !want;
}

#endif
