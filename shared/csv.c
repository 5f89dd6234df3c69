/*
 * csv: the strict CSV reader (see csv.h for what is accepted).
 *
 * One pass per row over the raw bytes: structure (quotes, separators, line
 * breaks) is ASCII, and UTF-8 continuation bytes are never ASCII, so the
 * encoding can be checked in the same pass without confusing the two.  The
 * first fault of a row is reported; scanning goes on to the row's end so the
 * next call starts cleanly on the following row.
 */
#include "csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Length (2..4) of the valid UTF-8 sequence at s (n bytes available), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;

    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;   /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;   /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (n < need + 1 || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k <= need; k++)
        if ((s[k] & 0xC0) != 0x80)
            return 0;
    return need + 1;
}

/* State of the row being read. */
typedef struct {
    tt_csv_t *c;
    char *err;
    size_t errlen;
    int bad;            /* a fault was reported for this row */
    size_t used;        /* content bytes stored in c->buf, NULs not counted */
    size_t at;          /* next free byte of c->buf */
    size_t count;       /* fields seen, including any beyond TT_CSV_COLS_MAX */
    int full;           /* the row no longer fits: stop storing */
} row_t;

static void fault(row_t *r, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports the row's first fault as "name:line: reason"; later ones are
 * dropped (one line per bad row). */
static void fault(row_t *r, size_t line, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (r->bad)
        return;
    r->bad = 1;
    if (!r->err || r->errlen == 0)
        return;
    n = snprintf(r->err, r->errlen, "%s:%zu: ", r->c->name, line);
    if (n < 0 || (size_t)n >= r->errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static void emit(row_t *r, char ch)
{
    if (r->full)
        return;
    if (r->used == TT_CSV_ROW_MAX) {
        r->full = 1;
        fault(r, r->c->row_line, "row longer than %d bytes", TT_CSV_ROW_MAX);
        return;
    }
    r->c->buf[r->at++] = ch;
    r->used++;
}

static void field_start(row_t *r)
{
    if (r->count < TT_CSV_COLS_MAX)
        r->c->fields[r->count] = r->c->buf + r->at;
    r->count++;
    if (r->count == TT_CSV_COLS_MAX + 1)
        fault(r, r->c->row_line, "more than %d fields", TT_CSV_COLS_MAX);
}

static void field_end(row_t *r)
{
    /* buf has room for one NUL per stored field beyond TT_CSV_ROW_MAX. */
    if (r->count <= TT_CSV_COLS_MAX)
        r->c->buf[r->at++] = '\0';
}

/* Takes one byte (or one whole UTF-8 sequence) of field content at c->p. */
static void content(row_t *r)
{
    tt_csv_t *c = r->c;
    unsigned char ch = (unsigned char)*c->p;
    size_t n;

    if (ch == '\0') {
        fault(r, c->line, "NUL byte");
        c->p++;
        return;
    }
    if (ch < 0x80) {
        if (ch == '\n')
            c->line++;
        emit(r, (char)ch);
        c->p++;
        return;
    }
    n = utf8_seq((const unsigned char *)c->p, (size_t)(c->end - c->p));
    if (n == 0) {
        fault(r, c->line, "invalid UTF-8");
        c->p++;
        return;
    }
    for (size_t k = 0; k < n; k++)
        emit(r, c->p[k]);
    c->p += n;
}

/* Reads one row (any number of fields).  Returns TT_ERR_NOTFOUND at the end
 * of input, TT_ERR_PARSE after reporting a fault, else TT_OK. */
static tt_err_t read_row(tt_csv_t *c, char *err, size_t errlen)
{
    row_t r;

    if (c->p >= c->end)
        return TT_ERR_NOTFOUND;
    memset(&r, 0, sizeof r);
    r.c = c;
    r.err = err;
    r.errlen = errlen;
    c->row_line = c->line;
    c->nfields = 0;

    if (*c->p == '\n' || (*c->p == '\r' && c->end - c->p > 1 && c->p[1] == '\n')) {
        fault(&r, c->line, "empty line");
        c->p += *c->p == '\r' ? 2 : 1;
        c->line++;
        return TT_ERR_PARSE;
    }
    for (;;) {
        field_start(&r);
        if (c->p < c->end && *c->p == '"') {
            size_t opened = c->line;
            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    fault(&r, opened, "quoted field not closed before the end of the file");
                    return TT_ERR_PARSE;
                }
                if (*c->p == '"') {
                    if (c->end - c->p > 1 && c->p[1] == '"') {
                        emit(&r, '"');
                        c->p += 2;
                        continue;
                    }
                    c->p++;
                    break;
                }
                content(&r);
            }
            if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r')
                fault(&r, c->line, "text after the closing quote of field %zu", r.count);
        }
        /* Unquoted content (or, after a fault, the rest of a quoted field). */
        while (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
            if (*c->p == '"')
                fault(&r, c->line, "quote inside unquoted field %zu (quote the whole field)",
                      r.count);
            content(&r);
        }
        field_end(&r);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        break;
    }
    if (c->p < c->end) {
        if (*c->p == '\r') {
            if (c->end - c->p > 1 && c->p[1] == '\n') {
                c->p++;
            } else {
                fault(&r, c->line, "carriage return not followed by a line feed");
            }
        }
        c->p++;
        c->line++;
    }
    c->nfields = r.count < TT_CSV_COLS_MAX ? r.count : TT_CSV_COLS_MAX;
    if (!r.bad && r.count != c->ncols && c->ncols != 0)
        fault(&r, c->row_line, "%zu fields, expected %zu", r.count, c->ncols);
    return r.bad ? TT_ERR_PARSE : TT_OK;
}

/* Writes parts[0..n-1] joined by ',' into out[cap] (cap >= 4) for an error
 * message: control bytes shown as '?', cut with "..." before a UTF-8
 * sequence that would not fit whole. */
static void join_shown(char *out, size_t cap, const char *const *parts, size_t n)
{
    size_t at = 0;

    for (size_t i = 0; i < n; i++) {
        const unsigned char *u = (const unsigned char *)parts[i];
        size_t left = strlen(parts[i]);
        int sep = i > 0;
        while (sep || left > 0) {
            size_t k = sep ? 1 : *u < 0x80 ? 1 : utf8_seq(u, left);
            if (k == 0)
                k = 1;
            if (at + k + 4 > cap) {   /* room for "..." and the NUL */
                memcpy(out + at, "...", 4);
                return;
            }
            if (sep) {
                out[at++] = ',';
                sep = 0;
                continue;
            }
            for (size_t j = 0; j < k; j++)
                out[at++] = u[j] < 0x20 || u[j] == 0x7f ? '?' : (char)u[j];
            u += k;
            left -= k;
        }
    }
    out[at] = '\0';
}

tt_err_t tt_csv_open(tt_csv_t *csv, const char *name, const char *text, size_t len,
                     const char *const *columns, size_t ncols, char *err, size_t errlen)
{
    char found[96], want[96];
    int same;
    tt_err_t rc;

    memset(csv, 0, sizeof *csv);
    if (ncols == 0 || ncols > TT_CSV_COLS_MAX)
        return TT_ERR_INVAL;
    csv->name = name;
    csv->p = text;
    csv->end = text + len;
    csv->line = 1;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        csv->p += 3;
    rc = read_row(csv, err, errlen);
    join_shown(want, sizeof want, columns, ncols);
    if (rc == TT_ERR_NOTFOUND) {
        snprintf(err, errlen, "%s:1: empty file, expected the header '%s'", name, want);
        return TT_ERR_PARSE;
    }
    if (rc != TT_OK) {
        csv->p = csv->end;
        return rc;
    }
    same = csv->nfields == ncols;
    for (size_t i = 0; same && i < ncols; i++)
        same = strcmp(csv->fields[i], columns[i]) == 0;
    if (!same) {
        join_shown(found, sizeof found, csv->fields, csv->nfields);
        snprintf(err, errlen, "%s:%zu: header is '%s', expected '%s'", name, csv->row_line, found,
                 want);
        csv->p = csv->end;
        return TT_ERR_PARSE;
    }
    csv->ncols = ncols;
    csv->nfields = 0;
    return TT_OK;
}

tt_err_t tt_csv_next(tt_csv_t *csv, char *err, size_t errlen)
{
    return read_row(csv, err, errlen);
}
