/*
 * assetview: the server's equipment states plus this terminal's own steps
 * (see assetview.h).
 */
#include "assetview.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Own steps are found by asset through an index on the event's JSON, so
 * the events themselves stay the only record of what this terminal did
 * (nothing to keep in step at append time). */
const char tt_assetview_schema[] =
    "CREATE TABLE a_state (asset TEXT PRIMARY KEY, state INTEGER NOT NULL,"
    "  unit TEXT NOT NULL, applied INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE a_step (asset TEXT NOT NULL, n INTEGER NOT NULL, step INTEGER NOT NULL,"
    "  result TEXT NOT NULL, unit TEXT NOT NULL, at_ms INTEGER NOT NULL,"
    "  operator TEXT NOT NULL, PRIMARY KEY (asset, n)) WITHOUT ROWID;"
    "INSERT INTO state VALUES ('assets_version', 0);"
    "CREATE INDEX event_equipment ON event (json_extract(payload, '$.body.asset'), seq)"
    "  WHERE type = 'equipment';";

enum { Q_VERSION, Q_SET_VERSION, Q_ROW_PUT, Q_STEPS_DROP, Q_STEP_PUT, Q_ROW, Q_STEPS,
       Q_REGISTER, Q_OWN, Q_COUNT };

static const char *const sql_text[Q_COUNT] = {
    [Q_VERSION] = "SELECT value FROM state WHERE key = 'assets_version'",
    [Q_SET_VERSION] = "UPDATE state SET value = ?1 WHERE key = 'assets_version'",
    [Q_ROW_PUT] = "INSERT OR REPLACE INTO a_state VALUES (?1, ?2, ?3, ?4)",
    [Q_STEPS_DROP] = "DELETE FROM a_step WHERE asset = ?1",
    [Q_STEP_PUT] = "INSERT INTO a_step VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_ROW] = "SELECT state, unit, applied FROM a_state WHERE asset = ?1",
    [Q_STEPS] = "SELECT step, result, unit, at_ms, operator FROM a_step WHERE asset = ?1"
                " ORDER BY n",
    [Q_REGISTER] = "SELECT unit FROM m_equipment WHERE asset = ?1",
    /* This terminal's steps of the asset the row does not include, except
     * those the server refused. */
    [Q_OWN] = "SELECT ts_ms, json_extract(payload, '$.body.step'),"
              " json_extract(payload, '$.body.result'),"
              " COALESCE(json_extract(payload, '$.body.unit'), ''),"
              " json_extract(payload, '$.operator') FROM event"
              " WHERE type = 'equipment' AND json_extract(payload, '$.body.asset') = ?1"
              " AND seq > ?2 AND seq NOT IN (SELECT seq FROM rejection) ORDER BY seq",
};

struct tt_assetview {
    sqlite3 *db;
    sqlite3_stmt *st[Q_COUNT];
    uint64_t version;
};

static tt_err_t step_err(sqlite3 *db)
{
    return (sqlite3_extended_errcode(db) & 0xff) == SQLITE_FULL ? TT_ERR_FULL : TT_ERR_DB;
}

static tt_err_t run(tt_assetview_t *av, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? TT_OK : step_err(av->db);
}

static void bind_text(sqlite3_stmt *st, int i, const char *text)
{
    sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

tt_err_t tt_assetview_open(tt_outbox_t *ob, tt_assetview_t **out)
{
    tt_assetview_t *av = calloc(1, sizeof *av);
    sqlite3_stmt *st;

    *out = NULL;
    if (!av)
        return TT_ERR_NOMEM;
    av->db = tt_outbox_sqlite(ob);
    for (int i = 0; i < Q_COUNT; i++) {
        if (sqlite3_prepare_v3(av->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &av->st[i],
                               NULL) != SQLITE_OK) {
            tt_assetview_close(av);
            return TT_ERR_DB;
        }
    }
    st = av->st[Q_VERSION];
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        tt_assetview_close(av);
        return TT_ERR_DB;
    }
    av->version = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    *out = av;
    return TT_OK;
}

void tt_assetview_close(tt_assetview_t *av)
{
    if (!av)
        return;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(av->st[i]);
    free(av);
}

uint64_t tt_assetview_version(const tt_assetview_t *av)
{
    return av->version;
}

static tt_err_t put_row(tt_assetview_t *av, const tt_assets_row_t *r, uint64_t applied)
{
    sqlite3_stmt *st = av->st[Q_ROW_PUT];
    tt_err_t rc;

    bind_text(st, 1, r->asset);
    sqlite3_bind_int(st, 2, (int)r->state);
    bind_text(st, 3, r->unit);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)applied);
    if ((rc = run(av, st)) != TT_OK)
        return rc;
    bind_text(av->st[Q_STEPS_DROP], 1, r->asset);
    if ((rc = run(av, av->st[Q_STEPS_DROP])) != TT_OK)
        return rc;
    for (size_t i = 0; i < r->nsteps && rc == TT_OK; i++) {
        const tt_assets_entry_t *e = &r->steps[i];
        st = av->st[Q_STEP_PUT];
        bind_text(st, 1, r->asset);
        sqlite3_bind_int(st, 2, (int)i);
        sqlite3_bind_int(st, 3, (int)e->step);
        bind_text(st, 4, e->result);
        bind_text(st, 5, e->unit);
        sqlite3_bind_int64(st, 6, e->at_ms);
        bind_text(st, 7, e->operator_id);
        rc = run(av, st);
    }
    return rc;
}

tt_err_t tt_assetview_apply(tt_assetview_t *av, const tt_assets_page_t *page)
{
    tt_err_t rc = TT_OK;

    if (sqlite3_exec(av->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return step_err(av->db);
    for (size_t i = 0; i < page->count && rc == TT_OK; i++)
        rc = put_row(av, &page->rows[i], page->applied);
    if (rc == TT_OK && page->last) {
        sqlite3_bind_int64(av->st[Q_SET_VERSION], 1, (sqlite3_int64)page->to);
        rc = run(av, av->st[Q_SET_VERSION]);
    }
    if (rc == TT_OK && sqlite3_exec(av->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = step_err(av->db);
    if (rc != TT_OK) {
        sqlite3_exec(av->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (page->last)
        av->version = page->to;
    return TT_OK;
}

/* The server's row (and *applied), or the register's start; TT_ERR_NOTFOUND
 * when the terminal knows neither. */
static tt_err_t base(tt_assetview_t *av, const char *asset, tt_assets_row_t *out,
                     uint64_t *applied)
{
    sqlite3_stmt *st = av->st[Q_ROW];
    int rc;

    bind_text(st, 1, asset);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int s = sqlite3_column_int(st, 0);
        out->state = s >= 1 && s <= TT_ASSETS_STATE_LAST ? (tt_assets_state_t)s
                                                         : TT_ASSETS_REGISTERED;
        copy_col(st, 1, out->unit, sizeof out->unit);
        *applied = (uint64_t)sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_ROW) {
        st = av->st[Q_STEPS];
        bind_text(st, 1, asset);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->nsteps < TT_ASSETS_STEPS_MAX) {
            tt_assets_entry_t *e = &out->steps[out->nsteps++];
            e->step = (tt_assets_step_t)sqlite3_column_int(st, 0);
            copy_col(st, 1, e->result, sizeof e->result);
            copy_col(st, 2, e->unit, sizeof e->unit);
            e->at_ms = sqlite3_column_int64(st, 3);
            copy_col(st, 4, e->operator_id, sizeof e->operator_id);
        }
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
    }
    if (rc != SQLITE_DONE)
        return TT_ERR_DB;
    st = av->st[Q_REGISTER];
    bind_text(st, 1, asset);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy_col(st, 0, out->unit, sizeof out->unit);
        out->state = tt_assets_initial(out->unit);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    *applied = 0;
    return rc == SQLITE_ROW ? TT_OK : rc == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
}

/* Puts `e` first in the row's steps (newest first), dropping the oldest
 * beyond TT_ASSETS_STEPS_MAX. */
static void push_step(tt_assets_row_t *r, const tt_assets_entry_t *e)
{
    size_t n = r->nsteps < TT_ASSETS_STEPS_MAX ? r->nsteps : TT_ASSETS_STEPS_MAX - 1;
    memmove(&r->steps[1], &r->steps[0], n * sizeof r->steps[0]);
    r->steps[0] = *e;
    r->nsteps = n + 1;
}

tt_err_t tt_assetview_get(tt_assetview_t *av, const char *asset, tt_assets_row_t *out)
{
    sqlite3_stmt *st;
    uint64_t applied = 0;
    tt_err_t err;
    int rc;

    memset(out, 0, sizeof *out);
    snprintf(out->asset, sizeof out->asset, "%s", asset);
    err = base(av, asset, out, &applied);
    if (err != TT_OK)
        return err;
    st = av->st[Q_OWN];
    bind_text(st, 1, asset);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)applied);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_assets_entry_t e;
        char step[16];
        tt_assets_state_t next;
        char unit[TT_EVENT_ID_MAX + 1];
        int implied = 0;

        memset(&e, 0, sizeof e);
        e.at_ms = sqlite3_column_int64(st, 0);
        copy_col(st, 1, step, sizeof step);
        copy_col(st, 2, e.result, sizeof e.result);
        copy_col(st, 3, e.unit, sizeof e.unit);
        copy_col(st, 4, e.operator_id, sizeof e.operator_id);
        e.step = (tt_assets_step_t)tt_assets_step_parse(step);
        e.pending = 1;
        /* A step that does not fit is left out: the server will refuse it
         * and the refusal comes back with the next ack. */
        if (tt_assets_next(out->state, out->unit, e.step, e.result, e.unit, &next, unit,
                           &implied) != TT_ASSETS_OK)
            continue;
        if (implied) {
            tt_assets_entry_t in = e;
            in.step = TT_ASSETS_INTAKE;
            in.result[0] = '\0';
            push_step(out, &in);
        }
        /* As the server records a step: with the asset's unit after it. */
        memcpy(e.unit, unit, sizeof e.unit);
        push_step(out, &e);
        out->state = next;
        memcpy(out->unit, unit, sizeof out->unit);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}
