/*
 * export: renders a table of typed cells as JSON, or as a download, CSV or
 * XLSX, for the reports of tagtrail-server (server/report.h) and whoever
 * else needs one.  No SQL and no HTTP here: the caller declares the columns,
 * adds rows one by one (and totals), and gets the bytes.
 *
 * JSON is one object: "columns" (key, zh, en and type of each), "rows" (an
 * object per row, keyed by column: text and days as strings, quantities and
 * money as decimal strings, whole numbers as numbers, blank cells null),
 * "totals" (key: the same forms), "count" (rows), and any members the
 * caller adds (tt_export_meta_*).
 *
 * Cells are typed so that each format can do the right thing with them:
 * text; a quantity (tt_qty_t, thousandths), always its exact decimal
 * ("2.5"); money (tt_fen_t), yuan with two decimals ("12.30"); a business
 * day ('YYYY-MM-DD'); and a whole number (ids, sequence numbers, counts).
 *
 * CSV is RFC 4180 (every record ends in CRLF; a field is quoted when it holds
 * a comma, a double quote, CR or LF, with quotes doubled), UTF-8 with a byte
 * order mark so that Excel opens Chinese text correctly.
 *
 * XLSX is written by libxlsxwriter into a temporary file in a directory the
 * caller names, read back into memory and removed.  Money is a number cell
 * with format "0.00"; a day is a date cell ("yyyy-mm-dd"); a quantity is a
 * right-aligned text cell holding its exact decimal (see export.c for why);
 * the header row is bold and frozen.
 *
 * A table is built by one thread; nothing here prints or keeps global state.
 */
#ifndef TT_EXPORT_H
#define TT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "money.h"

typedef struct tt_export tt_export_t;

#define TT_EXPORT_ROWS_MAX 1048574u   /* rows of one table: an XLSX sheet's, less header and totals */
#define TT_EXPORT_TEXT_MAX 32767u     /* bytes of one XLSX text cell (Excel's limit) */
#define TT_EXPORT_COLS_MAX 64u
#define TT_EXPORT_TOTALS_MAX 8u

typedef enum {
    TT_EXPORT_CSV = 1,
    TT_EXPORT_XLSX,
    TT_EXPORT_JSON,
} tt_export_format_t;

/* Which header each column shows. */
typedef enum {
    TT_EXPORT_ZH = 0,   /* Chinese, the default */
    TT_EXPORT_EN,
} tt_export_lang_t;

typedef enum {
    TT_EXPORT_TEXT = 1,   /* cell.text, UTF-8 */
    TT_EXPORT_QTY,        /* cell.n: tt_qty_t */
    TT_EXPORT_MONEY,      /* cell.n: tt_fen_t */
    TT_EXPORT_DAY,        /* cell.text: 'YYYY-MM-DD', a real calendar date, year 1900-9999 */
    TT_EXPORT_INT,        /* cell.n */
} tt_export_type_t;

/* A column: its key (its name in JSON, and what totals are matched by),
 * its headers and the type of its cells. */
typedef struct {
    const char *key;
    const char *zh, *en;
    tt_export_type_t type;
} tt_export_column_t;

/* A cell of a column's type.  `empty` (or a NULL text) leaves it blank. */
typedef struct {
    const char *text;
    int64_t n;
    int empty;
} tt_export_cell_t;

/* Parses "csv" / "xlsx" / "json" into *out.  Returns TT_OK or TT_ERR_INVAL. */
tt_err_t tt_export_format_parse(const char *name, tt_export_format_t *out);

/* The MIME type and the file name extension ("csv", "xlsx", "json") of a format;
 * static strings, "" for an unknown format. */
const char *tt_export_content_type(tt_export_format_t fmt);
const char *tt_export_extension(tt_export_format_t fmt);

/* Starts a table of `ncols` columns (borrowed: `cols` and its strings must
 * outlive the table) with its header row in `lang`.  For XLSX, `dir` is a
 * writable directory for the temporary files (borrowed, used until
 * tt_export_finish or tt_export_free) and `title` names the sheet (cut to
 * 31 characters; []:*?/\ become '_'); both are ignored for CSV and JSON
 * and may be NULL there.  JSON lists both headers of every column; `lang`
 * is for CSV and XLSX.  On TT_OK *out is owned by the caller (tt_export_free).
 * Returns TT_ERR_INVAL (no columns, more than TT_EXPORT_COLS_MAX, a column
 * without headers or with an unknown type, a bad format, no dir for XLSX),
 * TT_ERR_NOMEM, or TT_ERR_IO (the temporary file could not be made).
 * `reason` (caller-owned, rlen bytes) says what failed. */
tt_err_t tt_export_new(tt_export_format_t fmt, const tt_export_column_t *cols, size_t ncols,
                       tt_export_lang_t lang, const char *dir, const char *title,
                       tt_export_t **out, char *reason, size_t rlen);

/* Appends one row: cells[0 .. ncols-1] (borrowed, copied).  Returns TT_OK,
 * TT_ERR_INVAL (a DAY cell that is not a date, in any format), TT_ERR_TOOBIG (more than
 * TT_EXPORT_ROWS_MAX rows, or an XLSX text longer than TT_EXPORT_TEXT_MAX),
 * TT_ERR_NOMEM or TT_ERR_IO; after a failure the table only accepts
 * tt_export_free.  `reason` says which cell. */
tt_err_t tt_export_row(tt_export_t *x, const tt_export_cell_t *cells, char *reason, size_t rlen);

/* Adds a total of the table, under `key`, with the form of `type`
 * (TT_EXPORT_QTY, TT_EXPORT_MONEY or TT_EXPORT_INT).  JSON lists it in "totals"; CSV and
 * XLSX end with a totals row when there is any: each total under the column
 * of the same key (a total without one is left out of the row), and
 * "合计" / "Total" in the first text column left blank.  Returns TT_OK,
 * TT_ERR_FULL (more than TT_EXPORT_TOTALS_MAX) or TT_ERR_INVAL (the table
 * is finished, a bad type).  `key` is borrowed until the table is freed. */
tt_err_t tt_export_total(tt_export_t *x, const char *key, tt_export_type_t type, int64_t n);

/* JSON only (ignored for CSV and XLSX, TT_OK): adds member `key` (copied)
 * to the object, text (NULL: null) or a whole number.  Returns TT_OK,
 * TT_ERR_NOMEM or TT_ERR_INVAL (the table is finished). */
tt_err_t tt_export_meta_text(tt_export_t *x, const char *key, const char *text);
tt_err_t tt_export_meta_int(tt_export_t *x, const char *key, int64_t n);

/* Ends the table and hands over its bytes: on TT_OK *buf (*len bytes, not
 * NUL-terminated) is owned by the caller (free()).  The table then only
 * accepts tt_export_free.  Returns TT_ERR_INVAL (called twice or after a
 * failed row), TT_ERR_NOMEM or TT_ERR_IO (libxlsxwriter failed, or its file
 * could not be read back: `reason` says so); the temporary file is removed
 * in every case. */
tt_err_t tt_export_finish(tt_export_t *x, char **buf, size_t *len, char *reason, size_t rlen);

/* Frees the table and removes any temporary file; NULL is accepted. */
void tt_export_free(tt_export_t *x);

#endif
