/*
 * stmt: statement helpers of the store modules (see stmt.h).
 */
#include "stmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tt_stmt_cached {
    const char *sql;         /* its text, known by address */
    sqlite3_stmt *st;
};

tt_err_t tt_stmt_prepare(sqlite3 *db, const char *const *sql, size_t n, sqlite3_stmt **st)
{
    for (size_t i = 0; i < n; i++)
        st[i] = NULL;
    for (size_t i = 0; i < n; i++) {
        if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i], NULL) !=
            SQLITE_OK) {
            tt_stmt_finalize(st, n);
            return TT_ERR_DB;
        }
    }
    return TT_OK;
}

void tt_stmt_finalize(sqlite3_stmt **st, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sqlite3_finalize(st[i]);   /* a no-op on NULL */
        st[i] = NULL;
    }
}

sqlite3_stmt *tt_stmt_cached(tt_stmt_cache_t *cache, sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;

    for (size_t i = 0; i < cache->n; i++)
        if (cache->v[i].sql == sql)
            return cache->v[i].st;
    if (cache->n == cache->cap) {
        size_t cap = cache->cap ? cache->cap * 2 : 32;
        struct tt_stmt_cached *v = realloc(cache->v, cap * sizeof *v);
        if (!v)
            return NULL;
        cache->v = v;
        cache->cap = cap;
    }
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        return NULL;   /* (st is NULL: nothing to finalize) */
    cache->v[cache->n].sql = sql;
    cache->v[cache->n++].st = st;
    return st;
}

void tt_stmt_cache_free(tt_stmt_cache_t *cache)
{
    for (size_t i = 0; i < cache->n; i++)
        sqlite3_finalize(cache->v[i].st);
    free(cache->v);
    memset(cache, 0, sizeof *cache);
}

tt_err_t tt_stmt_fail(sqlite3 *db)
{
    return (sqlite3_extended_errcode(db) & 0xff) == SQLITE_FULL ? TT_ERR_FULL : TT_ERR_DB;
}

void tt_stmt_done(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

tt_err_t tt_stmt_run(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    /* The error is read before the reset, which may replace it. */
    tt_err_t err = rc == SQLITE_DONE ? TT_OK : tt_stmt_fail(sqlite3_db_handle(s));
    tt_stmt_done(s);
    return err;
}

tt_err_t tt_stmt_row(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        return TT_OK;
    if (rc == SQLITE_DONE)
        return TT_ERR_NOTFOUND;
    return tt_stmt_fail(sqlite3_db_handle(s));
}

tt_err_t tt_stmt_exists(sqlite3_stmt *s)
{
    tt_err_t rc = tt_stmt_row(s);
    tt_stmt_done(s);
    return rc;
}

void tt_stmt_bind_text(sqlite3_stmt *s, int i, const char *t)
{
    sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
}

void tt_stmt_bind_opt(sqlite3_stmt *s, int i, const char *t)
{
    if (t && t[0])
        sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

const char *tt_stmt_text(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return t ? (const char *)t : "";
}

void tt_stmt_copy(char *dst, size_t cap, sqlite3_stmt *s, int col)
{
    snprintf(dst, cap, "%s", tt_stmt_text(s, col));
}
