/*
 * support: helpers the unit tests share (not product code).  Failures are
 * cmocka assertions, so a helper never returns an error.
 */
#ifndef TT_TEST_SUPPORT_H
#define TT_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Encodes evs[0..n-1] into one batch message of `terminal` with watermark
 * `synced`, as a terminal sends it; *len gets its length.  The message is
 * NUL-terminated and owned by the caller (free()). */
char *tt_test_batch(const char *terminal, uint64_t synced, const tt_event_t *evs, size_t n,
                    size_t *len);

#endif
