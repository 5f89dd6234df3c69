/*
 * clock: the two clocks of tagtrail.
 *
 * Deadlines and timeouts use the monotonic clock, which never jumps; event
 * time stamps use the wall clock (Unix milliseconds, UTC), which the terminal
 * may have wrong: the server keeps its own receive time beside it.
 */
#ifndef TT_CLOCK_H
#define TT_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t tt_clock_mono_ms(void);

/* Milliseconds since the Unix epoch on CLOCK_REALTIME. */
int64_t tt_clock_wall_ms(void);

#endif
