/*
 * stmt: what the server's store modules (db, dbmaster, ledger, posting,
 * lots) do alike with their prepared SQLite statements: prepare a module's
 * set at once or each on first use, step them, bind text, read text, and
 * turn SQLite's failures into tt_err_t.  No SQL of its own: each store module prepares its own
 * statements on the one connection of its tt_db_t (db.h, tt_db_sqlite).
 *
 * Text is bound SQLITE_STATIC: the caller's string must stay valid until the
 * statement is reset (tt_stmt_done, or the end of tt_stmt_run).
 */
#ifndef TT_STMT_H
#define TT_STMT_H

#include <sqlite3.h>
#include <stddef.h>

#include "err.h"

/* Prepares sql[0..n) on `db` into st[0..n) as persistent statements, all or
 * none: on failure every statement prepared so far is finalized and st[]
 * holds NULLs.  The caller owns the statements (tt_stmt_finalize).  Returns
 * TT_OK or TT_ERR_DB. */
tt_err_t tt_stmt_prepare(sqlite3 *db, const char *const *sql, size_t n, sqlite3_stmt **st);

/* Finalizes st[0..n); NULL entries are skipped. */
void tt_stmt_finalize(sqlite3_stmt **st, size_t n);

/* Statements prepared on their first use, for a store module that keeps no
 * handle of its own (db.h, tt_db_stmt): whoever owns the connection keeps a
 * zeroed cache beside it and frees it before closing the connection. */
struct tt_stmt_cached;
typedef struct {
    struct tt_stmt_cached *v;
    size_t n, cap;
} tt_stmt_cache_t;

/* The statement of `sql` on `db` from *cache, prepared (persistent) and
 * added on its first use.  `sql` is known by its address: a string with
 * static storage, the same pointer every time; a linear search finds it, so
 * a cache is for a module's few dozen statements.  Returns NULL when it
 * cannot be prepared (out of memory, SQL the schema does not fit). */
sqlite3_stmt *tt_stmt_cached(tt_stmt_cache_t *cache, sqlite3 *db, const char *sql);

/* Finalizes the statements in *cache and zeroes it. */
void tt_stmt_cache_free(tt_stmt_cache_t *cache);

/* The error for the last failure on `db`: TT_ERR_FULL when the disk (or the
 * database's size limit) was full, else TT_ERR_DB. */
tt_err_t tt_stmt_fail(sqlite3 *db);

/* Resets `s` and clears its bindings, ready for its next use. */
void tt_stmt_done(sqlite3_stmt *s);

/* Steps a bound write statement to completion, then tt_stmt_done.  Returns
 * TT_OK, TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_stmt_run(sqlite3_stmt *s);

/* Steps a bound query once: TT_OK with a row to read, TT_ERR_NOTFOUND
 * without one, else TT_ERR_FULL or TT_ERR_DB.  The caller reads the row and
 * then calls tt_stmt_done, whatever the result. */
tt_err_t tt_stmt_row(sqlite3_stmt *s);

/* Whether the bound query `s` has a row: tt_stmt_row, then tt_stmt_done. */
tt_err_t tt_stmt_exists(sqlite3_stmt *s);

/* Binds text `t` at parameter i (tt_stmt_bind_text); tt_stmt_bind_opt binds
 * NULL instead when t is NULL or "". */
void tt_stmt_bind_text(sqlite3_stmt *s, int i, const char *t);
void tt_stmt_bind_opt(sqlite3_stmt *s, int i, const char *t);

/* Column `col` of the current row as text, "" for NULL: tt_stmt_text
 * borrows it (valid until the statement steps or is reset), tt_stmt_copy
 * copies it to dst[cap], truncated to fit. */
const char *tt_stmt_text(sqlite3_stmt *s, int col);
void tt_stmt_copy(char *dst, size_t cap, sqlite3_stmt *s, int col);

#endif
