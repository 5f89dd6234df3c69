/*
 * csv: a strict reader of CSV files (RFC 4180) with a fixed header.
 *
 * The caller holds the whole file in one buffer; the reader walks it row by
 * row without allocating, unescaping each row into its own fixed buffer.
 * What it accepts:
 *
 *   * UTF-8 only (strict: no overlong forms, surrogates or bytes above
 *     U+10FFFF) and no NUL bytes.  A UTF-8 byte order mark at the very start
 *     is skipped (spreadsheet programs write one).
 *   * Lines end in CRLF or LF (either, per line); a CR anywhere else outside
 *     quotes is an error.  The last line may lack its line break.
 *   * Fields are separated by ','.  A field is either unquoted (no '"', CR or
 *     LF in it) or wholly quoted: "..." with '"' written as "", and commas,
 *     CR and LF allowed inside.  Nothing may follow a closing quote but ',' or
 *     the line break.  Fields are taken verbatim: no trimming of spaces.
 *   * The first line is the header.  Its column names must equal the caller's,
 *     in the same order; every later row must have exactly that many fields.
 *     An empty line is an error (it would be a row of one empty field).
 *
 * Every error is one line "name:line: reason", where `line` is the physical
 * line (1-based, counting the header) on which the fault is; for a row-level
 * fault (wrong number of fields) it is the line on which the row starts.  The
 * reader recovers at the end of a bad row, so a caller can report every bad
 * row of a file, not only the first.  Nothing is printed.
 */
#ifndef TT_CSV_H
#define TT_CSV_H

#include <stddef.h>

#include "err.h"

#define TT_CSV_COLS_MAX 16     /* columns of a file */
#define TT_CSV_ROW_MAX 4096    /* bytes of one row's fields, unescaped, without NULs */
#define TT_CSV_ERR_MAX 256     /* longest message, with its NUL */

/* One reader.  Members are private except those marked as the current row.
 * A struct on the caller's stack is fine (about 4.5 KiB). */
typedef struct {
    const char *name;                       /* for messages; borrowed */
    const char *p, *end;                    /* unread input; borrowed */
    size_t line;                            /* physical line at p */
    size_t ncols;
    /* The current row, after tt_csv_next returned TT_OK: nfields == ncols
     * NUL-terminated fields, valid until the next call. */
    size_t row_line;                        /* line on which the row starts */
    size_t nfields;
    const char *fields[TT_CSV_COLS_MAX];
    char buf[TT_CSV_ROW_MAX + TT_CSV_COLS_MAX];
} tt_csv_t;

/* Starts reading `len` bytes of `text` (need not be NUL-terminated; borrowed,
 * must outlive the reader), named `name` in messages (borrowed), and reads
 * the header, which must be exactly columns[0..ncols-1] (1..TT_CSV_COLS_MAX
 * names).  Returns TT_OK; TT_ERR_INVAL for a bad ncols; TT_ERR_PARSE with
 * "name:line: reason" in err (errlen bytes) when the header is missing,
 * malformed or other than expected: nothing further can be read then. */
tt_err_t tt_csv_open(tt_csv_t *csv, const char *name, const char *text, size_t len,
                     const char *const *columns, size_t ncols, char *err, size_t errlen);

/* Reads the next row into csv->fields.  Returns TT_OK with a row;
 * TT_ERR_NOTFOUND at the end of the input; TT_ERR_PARSE with
 * "name:line: reason" in err for a bad row, after which the reader stands at
 * the next row (an unterminated quote consumes the rest of the input, so the
 * following call returns TT_ERR_NOTFOUND). */
tt_err_t tt_csv_next(tt_csv_t *csv, char *err, size_t errlen);

#endif
