/*
 * assetfeed: pages of equipment states for terminals (see assetfeed.h).
 */
#include "assetfeed.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { S_ROWS, S_STEPS, S_NEWEST, S_COUNT };

static const char *const sql_text[S_COUNT] = {
    [S_ROWS] = "SELECT asset, state, COALESCE(unit, ''), doc FROM equipment_state"
               " WHERE doc > ?1 ORDER BY doc LIMIT ?2",
    /* The documents that move a state, newest first (not the details the
     * office adds to an open repair). */
    [S_STEPS] = "SELECT kind, COALESCE(result, ''), COALESCE(unit, ''), at_ms, operator"
                " FROM repair_doc WHERE asset = ?1"
                " AND kind IN ('intake', 'appraisal', 'selfcheck', 'acceptance', 'issue')"
                " ORDER BY id DESC LIMIT ?2",
    [S_NEWEST] = "SELECT COALESCE(MAX(doc), 0) FROM equipment_state",
};

struct tt_assetfeed {
    sqlite3 *db;
    sqlite3_stmt *st[S_COUNT];
};

tt_err_t tt_assetfeed_open(tt_db_t *db, tt_assetfeed_t **out)
{
    tt_assetfeed_t *f = calloc(1, sizeof *f);

    *out = NULL;
    if (!f)
        return TT_ERR_NOMEM;
    f->db = tt_db_sqlite(db);
    for (int i = 0; i < S_COUNT; i++) {
        if (sqlite3_prepare_v3(f->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &f->st[i],
                               NULL) != SQLITE_OK) {
            tt_assetfeed_close(f);
            return TT_ERR_DB;
        }
    }
    *out = f;
    return TT_OK;
}

void tt_assetfeed_close(tt_assetfeed_t *f)
{
    if (!f)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(f->st[i]);
    free(f);
}

static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static const char *col_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

/* Copies src into dst[cap]; 0 when it does not fit. */
static int copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        return 0;
    memcpy(dst, src, n + 1);
    return 1;
}

static tt_err_t newest(tt_assetfeed_t *f, uint64_t *v)
{
    sqlite3_stmt *st = f->st[S_NEWEST];
    int rc = sqlite3_step(st);
    *v = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    done(st);
    return rc == SQLITE_ROW ? TT_OK : TT_ERR_DB;
}

/* Fills row->steps from the asset's documents.  A stored value the wire
 * cannot carry (the store edited by hand) is TT_ERR_DB: better no page
 * than a page every terminal refuses. */
static tt_err_t steps(tt_assetfeed_t *f, tt_assets_row_t *row)
{
    sqlite3_stmt *st = f->st[S_STEPS];
    tt_err_t err = TT_OK;
    int rc;

    sqlite3_bind_text(st, 1, row->asset, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, TT_ASSETS_STEPS_MAX);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && row->nsteps < TT_ASSETS_STEPS_MAX) {
        tt_assets_entry_t *e = &row->steps[row->nsteps];
        int step = tt_assets_step_parse(col_text(st, 0));
        int64_t at = sqlite3_column_int64(st, 3);
        if (!step || !copy(e->result, sizeof e->result, col_text(st, 1)) ||
            !copy(e->unit, sizeof e->unit, col_text(st, 2)) || at < 0 ||
            !copy(e->operator_id, sizeof e->operator_id, col_text(st, 4))) {
            err = TT_ERR_DB;
            break;
        }
        e->step = (tt_assets_step_t)step;
        e->at_ms = at;
        row->nsteps++;
    }
    if (err == TT_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = TT_ERR_DB;
    done(st);
    return err;
}

tt_err_t tt_assetfeed_page(tt_assetfeed_t *f, uint64_t since, size_t max_rows,
                           tt_assets_page_t **out)
{
    tt_assets_page_t *p;
    sqlite3_stmt *st = f->st[S_ROWS];
    uint64_t top, last_version = 0;
    tt_err_t err;
    int rc = SQLITE_DONE;

    *out = NULL;
    if (max_rows < 1 || max_rows > TT_ASSETS_PAGE_ROWS)
        return TT_ERR_INVAL;
    err = newest(f, &top);
    if (err != TT_OK)
        return err;
    if (since > top)
        since = 0;   /* a store older than the terminal's copy: start over */
    p = calloc(1, sizeof *p);
    if (!p || !(p->rows = calloc(max_rows, sizeof *p->rows))) {
        free(p);
        return TT_ERR_NOMEM;
    }
    p->since = since;
    /* One row more than fits tells whether another page follows. */
    sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max_rows + 1);
    while (err == TT_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_assets_row_t *row;
        int state;
        if (p->count == max_rows) {
            p->last = 0;
            break;
        }
        row = &p->rows[p->count];
        state = tt_assets_state_parse(col_text(st, 1));
        if (!state || !copy(row->asset, sizeof row->asset, col_text(st, 0)) ||
            !copy(row->unit, sizeof row->unit, col_text(st, 2))) {
            err = TT_ERR_DB;
            break;
        }
        row->state = (tt_assets_state_t)state;
        last_version = (uint64_t)sqlite3_column_int64(st, 3);
        p->count++;
    }
    if (err == TT_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = TT_ERR_DB;
    p->last = err == TT_OK && rc == SQLITE_DONE;
    done(st);
    for (size_t i = 0; err == TT_OK && i < p->count; i++)
        err = steps(f, &p->rows[i]);
    if (err != TT_OK) {
        tt_assets_page_free(p);
        return err;
    }
    p->to = p->last ? top : last_version;
    if (p->to < p->since)
        p->to = p->since;
    *out = p;
    return TT_OK;
}

tt_err_t tt_assetfeed_answer(tt_assetfeed_t *f, const char *req, size_t len, uint64_t applied,
                             char **text, size_t *outlen, char *reason, size_t rlen)
{
    tt_assets_page_t *p = NULL;
    uint64_t since;
    tt_err_t rc;

    *text = NULL;
    rc = tt_assets_req_decode(req, len, &since, reason, rlen);
    if (rc != TT_OK)
        return rc;
    rc = tt_assetfeed_page(f, since, TT_ASSETS_PAGE_ROWS, &p);
    if (rc != TT_OK)
        return rc;
    p->applied = applied;
    rc = tt_assets_page_encode(p, text, outlen);
    tt_assets_page_free(p);
    /* Rows the page read are checked as they are read: what does not
     * encode is a store that no longer matches this code. */
    return rc == TT_ERR_INVAL ? TT_ERR_DB : rc;
}
