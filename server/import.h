/*
 * import: loads a CSV file of master data (units, warehouses, items,
 * operators, approved plan lines, the equipment register or the
 * revolving-material models) into the server's store as one change of the
 * master version.
 *
 * The file formats are in docs/operations.md ("Importing master data").  An
 * import is all or nothing: every row is checked (fields, duplicate keys in
 * the file, references to units and items, barcodes, badges and GIAIs held
 * by someone else),
 * every problem is reported with its line, and if there is any, nothing is
 * stored.  Otherwise, in one transaction, each row that is new or differs
 * from the stored one is stamped with master version + 1, and the master
 * version is raised to it; an import that changes nothing leaves the version
 * where it was.  Rows missing from the file are kept unchanged (deactivate
 * items, operators and assets with active = no; withdraw a plan line with
 * status = rejected).
 *
 * The module works on a writable tt_db_t (tt_db_open_tool beside a running
 * server) and prints nothing: errors come back as text.
 */
#ifndef TT_IMPORT_H
#define TT_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "dbmaster.h"
#include "err.h"

#define TT_IMPORT_ERRORS_MAX 50           /* errors kept; the import goes no further */
#define TT_IMPORT_ERROR_LEN 320           /* one error line, with its NUL */
#define TT_IMPORT_FILE_MAX (256u << 20)   /* bytes of one file */

/* The outcome of one import.  Errors are "file:line: reason" lines in line
 * order (a failure that belongs to no line is "file: reason"). */
typedef struct {
    size_t rows;                 /* data rows in the file */
    size_t changed;              /* rows new or changed, stamped with `version` */
    uint64_t version;            /* the master version after the import */
    size_t nerrors;
    int more_errors;             /* there were more than TT_IMPORT_ERRORS_MAX */
    char errors[TT_IMPORT_ERRORS_MAX][TT_IMPORT_ERROR_LEN];
} tt_import_result_t;

/* Called as rows are checked and stored: `done` of `total` rows (the last
 * call has done == total). */
typedef void (*tt_import_progress_fn)(void *ctx, size_t done, size_t total);

/* Import kinds: the master tables of dbmaster.h by their tt_dbmaster_table_t
 * value (TT_DBMASTER_UNIT .. TT_DBMASTER_EQUIPMENT), and the
 * revolving-material models (rv_model, server/revolve.h; terminals are not
 * sent them), kept clear of tt_dbmaster_table_t so that it may grow. */
#define TT_IMPORT_MODELS 32

/* "units", "warehouses", "items", "operators", "plans", "equipment",
 * "models" <-> kind; 0 / NULL when unknown. */
int tt_import_kind_parse(const char *name);
const char *tt_import_kind_name(int kind);

/* Imports `len` bytes of CSV `text` (borrowed), named `name` in errors, as
 * rows of `kind` (an import kind).  `progress` may be NULL.  *res (caller-owned) is filled in
 * every case.  Returns:
 *   TT_OK           imported (res->changed may be 0: nothing differed);
 *   TT_ERR_PARSE    the data has errors (res->errors), nothing imported;
 *   TT_ERR_INVAL    a bad kind;
 *   TT_ERR_NOMEM, TT_ERR_FULL, TT_ERR_DB  the store failed (res->errors[0]
 *                   says so), nothing imported. */
tt_err_t tt_import_text(tt_db_t *db, int kind, const char *name, const char *text, size_t len,
                        tt_import_progress_fn progress, void *ctx, tt_import_result_t *res);

/* Reads the whole file at `path` into *text (a new buffer owned by the
 * caller, free(); *len bytes, NUL-terminated beyond them), so that a file
 * that cannot be read is known before any database is touched.  Returns
 * TT_OK; TT_ERR_IO, TT_ERR_TOOBIG (larger than TT_IMPORT_FILE_MAX) or
 * TT_ERR_NOMEM with "path: reason" in err. */
tt_err_t tt_import_read(const char *path, char **text, size_t *len, char *err, size_t errlen);

/* tt_import_read, then tt_import_text naming the file by its path; a read
 * failure is returned with its message in res->errors[0]. */
tt_err_t tt_import_file(tt_db_t *db, int kind, const char *path, tt_import_progress_fn progress,
                        void *ctx, tt_import_result_t *res);

#endif
