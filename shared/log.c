/*
 * log: one record, one line, one stdio call.
 *
 * The line is assembled in a fixed buffer and handed to a single fwrite, which
 * holds the stream's lock for its duration, so records written by several
 * threads never interleave.  A message that does not fit is cut and marked
 * with "..." rather than split over two writes.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* Longest line written, with its newline; longer records are cut. */
#define LINE_MAX_BYTES 2048

struct tt_log {
    FILE *out;
    tt_log_level_t min;
    char *prog;   /* NULL when not given */
    char *who;    /* NULL when not given */
};

#define NLEVELS 4u
static const char *const level_names[NLEVELS] = {"debug", "info", "warn", "error"};

static char *dup_or_null(const char *s, int *failed)
{
    char *d;
    size_t n;

    if (s == NULL)
        return NULL;
    n = strlen(s) + 1;
    d = malloc(n);
    if (d == NULL)
        *failed = 1;
    else
        memcpy(d, s, n);
    return d;
}

tt_log_t *tt_log_new(FILE *out, tt_log_level_t min, const char *prog, const char *who)
{
    tt_log_t *log = calloc(1, sizeof *log);
    int failed = 0;

    if (log == NULL)
        return NULL;
    log->out = out;
    log->min = min;
    log->prog = dup_or_null(prog, &failed);
    log->who = dup_or_null(who, &failed);
    if (failed) {
        tt_log_free(log);
        return NULL;
    }
    return log;
}

void tt_log_free(tt_log_t *log)
{
    if (log == NULL)
        return;
    free(log->prog);
    free(log->who);
    free(log);
}

tt_err_t tt_log_parse_level(const char *text, tt_log_level_t *level)
{
    for (unsigned i = 0; i < NLEVELS; i++) {
        if (strcmp(text, level_names[i]) == 0) {
            *level = (tt_log_level_t)i;
            return TT_OK;
        }
    }
    return TT_ERR_INVAL;
}

/* "2026-11-25T19:40:00.123+08:00": local time, milliseconds, and the UTC
 * offset with a colon, which strftime's %z lacks.  Writes at most `len`
 * bytes with the NUL; returns the length, or 0 if the clock failed. */
static size_t timestamp(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    char zone[8];
    size_t n;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || localtime_r(&ts.tv_sec, &tm) == NULL)
        return 0;
    n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    if (n == 0 || strftime(zone, sizeof zone, "%z", &tm) != 5)
        return 0;
    int m = snprintf(buf + n, len - n, ".%03ld%.3s:%s", ts.tv_nsec / 1000000L, zone, zone + 3);
    if (m < 0 || (size_t)m >= len - n)
        return 0;
    return n + (size_t)m;
}

void tt_log_write(tt_log_t *log, tt_log_level_t level, const char *fmt, ...)
{
    enum { DOTS = 3 };
    char line[LINE_MAX_BYTES], msg[LINE_MAX_BYTES];
    const size_t cap = sizeof line - 1;  /* bytes before the '\n' */
    size_t n, keep;
    int m, cut = 0, more;
    va_list ap;

    if (log == NULL || level < log->min)
        return;

    /* A clock failure keeps the line's shape with an impossible date. */
    n = timestamp(line, sizeof line);
    if (n == 0)
        n = (size_t)snprintf(line, sizeof line, "%s", "0000-00-00T00:00:00.000+00:00");
    m = snprintf(line + n, sizeof line - n, "%s%s%s%s %s: ",
                 log->prog ? " " : "", log->prog ? log->prog : "",
                 log->who ? " " : "", log->who ? log->who : "",
                 (unsigned)level < NLEVELS ? level_names[level] : "unknown");
    if (m < 0 || n + (size_t)m > cap - DOTS) {
        n = cap - DOTS;
        cut = 1;
    } else {
        n += (size_t)m;
    }

    va_start(ap, fmt);
    m = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = snprintf(msg, sizeof msg, "%s", "(unformattable message)");
    more = (size_t)m >= sizeof msg;

    /* `keep` is the last point that still leaves room for "..." and falls
     * between characters, so a cut never splits an escape or a UTF-8
     * sequence. */
    keep = n;
    for (const char *p = msg; *p != '\0' && !cut; p++) {
        int esc = *p == '\n' || *p == '\r';
        if (((unsigned char)*p & 0xC0) != 0x80 && n <= cap - DOTS)
            keep = n;
        if (n + 1 + (size_t)esc > cap) {
            cut = 1;
        } else if (esc) {
            line[n++] = '\\';
            line[n++] = *p == '\n' ? 'n' : 'r';
        } else {
            line[n++] = *p;
        }
    }
    if (cut || more) {
        if (n > cap - DOTS)
            n = keep;
        memcpy(line + n, "...", DOTS);
        n += DOTS;
    }
    line[n++] = '\n';

    fwrite(line, 1, n, log->out);
    fflush(log->out);
}
