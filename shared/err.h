/*
 * err: the one error enum of tagtrail.
 *
 * Every fallible function in shared/, hal/, firmware/ and server/ returns a
 * tt_err_t: TT_OK (0) on success, a negative TT_ERR_* on failure.  Where a
 * person needs more than the code (which key, which line, which field), the
 * function also fills a caller-owned reason buffer; the code alone is what
 * callers branch on.
 */
#ifndef TT_ERR_H
#define TT_ERR_H

#include <stdarg.h>
#include <stddef.h>

typedef enum {
    TT_OK = 0,
    TT_ERR_NOMEM = -1,       /* allocation failed */
    TT_ERR_INVAL = -2,       /* bad argument or bad value */
    TT_ERR_RANGE = -3,       /* value out of range or arithmetic overflow */
    TT_ERR_IO = -4,          /* operating-system I/O failure */
    TT_ERR_PARSE = -5,       /* malformed text (config, JSON, number) */
    TT_ERR_NOTFOUND = -6,    /* no such thing */
    TT_ERR_EXISTS = -7,      /* already exists */
    TT_ERR_FULL = -8,        /* no space left: disk, queue or buffer */
    TT_ERR_BUSY = -9,        /* resource busy; try again later */
    TT_ERR_TIMEOUT = -10,    /* deadline passed */
    TT_ERR_CONN = -11,       /* not connected / connection refused */
    TT_ERR_PROTO = -12,      /* peer broke the protocol */
    TT_ERR_STOCK = -13,      /* issue exceeds stock on hand */
    TT_ERR_DENIED = -14,     /* not allowed for this identity */
    TT_ERR_CONFIG = -15,     /* configuration or board file rejected */
    TT_ERR_DB = -16,         /* the embedded database failed */
    TT_ERR_TOOBIG = -17,     /* message or field longer than allowed */
    TT_ERR_VERSION = -18,    /* unsupported protocol or schema version */
    TT_ERR_DEVICE = -19,     /* a device is missing or failed */
    TT_ERR_CLOSED = -20,     /* dated in a closed accounting period */
    TT_ERR_CONFLICT = -21,   /* someone else changed it first; reread and retry */
    TT_ERR_INDOUBT = -22,    /* a write's outcome is not known yet (a store that failed
                              * mid-commit and could not yet be checked) */
} tt_err_t;

/* Returns a static, English, one-line description of `err`; never NULL.
 * Unknown codes give "unknown error". */
const char *tt_strerror(tt_err_t err);

/* Writes a reason for a person, printf-style, into the caller's
 * reason[rlen], truncated to fit; does nothing when reason is NULL or rlen
 * is 0 (the caller did not ask why).  tt_err_vreason takes a va_list. */
void tt_err_reason(char *reason, size_t rlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tt_err_vreason(char *reason, size_t rlen, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
