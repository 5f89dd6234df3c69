/*
 * log: leveled, line-oriented logging for the daemons and tools.
 *
 * A tt_log_t is a handle owned by main(); modules that may log receive it as
 * a parameter.  Libraries (shared/, hal/) never log: they return errors.
 * Each record is one line, written with a single stdio call so lines from
 * several threads (Paho's callbacks, the HTTP thread) never interleave:
 *
 *   2026-11-25T19:40:00.123+08:00 tagtrail-edge T01 warn: message
 *
 * The time stamp is the local time with its UTC offset.
 */
#ifndef TT_LOG_H
#define TT_LOG_H

#include <stdio.h>

#include "err.h"

typedef enum {
    TT_LOG_DEBUG = 0,
    TT_LOG_INFO = 1,
    TT_LOG_WARN = 2,
    TT_LOG_ERROR = 3,
} tt_log_level_t;

typedef struct tt_log tt_log_t;

/* Creates a logger writing to `out` (borrowed; must outlive the logger),
 * dropping records below `min`.  `prog` and `who` (may be NULL) are copied
 * and prefixed to every line.  Returns NULL when out of memory. */
tt_log_t *tt_log_new(FILE *out, tt_log_level_t min, const char *prog, const char *who);

/* Frees the logger; NULL is accepted.  Does not close `out`. */
void tt_log_free(tt_log_t *log);

/* Parses "debug", "info", "warn" or "error" into *level.
 * Returns TT_OK, or TT_ERR_INVAL for any other text. */
tt_err_t tt_log_parse_level(const char *text, tt_log_level_t *level);

/* Writes one record.  `log` may be NULL (the record is dropped), so code
 * under test can run without a logger.  Newlines in the message are written
 * as "\n" so one record stays one line. */
void tt_log_write(tt_log_t *log, tt_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define tt_log_debug(l, ...) tt_log_write((l), TT_LOG_DEBUG, __VA_ARGS__)
#define tt_log_info(l, ...)  tt_log_write((l), TT_LOG_INFO, __VA_ARGS__)
#define tt_log_warn(l, ...)  tt_log_write((l), TT_LOG_WARN, __VA_ARGS__)
#define tt_log_error(l, ...) tt_log_write((l), TT_LOG_ERROR, __VA_ARGS__)

#endif
