#include "equipview.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void iso(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char off[8];
    if (ms <= 0 || !localtime_r(&t, &tm)) {
        snprintf(buf, len, "%s", "");
        return;
    }
    strftime(off, sizeof off, "%z", &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + strlen(buf), len - strlen(buf), "%.3s:%s", off, off + 3);
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    return v ? (const char *)v : "";
}

/* Adds the register columns 0..6 of st to o. */
static void asset_cols(sqlite3_stmt *st, cJSON *o)
{
    static const char *const names[] = {"asset", "model", "item", "giai", "barcode", "unit"};
    for (int i = 0; i < 6; i++)
        cJSON_AddStringToObject(o, names[i], col(st, i));
    cJSON_AddBoolToObject(o, "active", sqlite3_column_int(st, 6));
}

#define ASSET_COLS "e.asset, e.model, coalesce(e.item, ''), coalesce(e.giai, ''),"           \
                   " coalesce(e.barcode, ''), coalesce(e.unit, ''), e.active"

tt_err_t tt_equipview_register(tt_db_t *db, const char *unit, cJSON **out)
{
    static const char sql[] =
        "SELECT " ASSET_COLS ", s.step, s.result, s.server_ms FROM equipment e"
        " LEFT JOIN (SELECT asset, step, result, max(server_ms) AS server_ms FROM event"
        "   WHERE type = 'equipment' AND status = 'applied' GROUP BY asset) s"
        "   ON s.asset = e.asset"
        " WHERE ?1 IS NULL OR e.unit = ?1 ORDER BY e.asset";
    sqlite3_stmt *st;
    cJSON *rows;
    int rc;

    *out = cJSON_CreateObject();
    rows = *out ? cJSON_AddArrayToObject(*out, "rows") : NULL;
    if (!rows) {
        cJSON_Delete(*out);
        *out = NULL;
        return TT_ERR_NOMEM;
    }
    if (sqlite3_prepare_v2(tt_db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK) {
        cJSON_Delete(*out);
        *out = NULL;
        return TT_ERR_DB;
    }
    if (unit && unit[0])
        sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        char when[40];
        if (!o || !cJSON_AddItemToArray(rows, o))
            break;
        asset_cols(st, o);
        cJSON_AddStringToObject(o, "last_step", col(st, 7));
        cJSON_AddStringToObject(o, "last_result", col(st, 8));
        iso(sqlite3_column_int64(st, 9), when, sizeof when);
        cJSON_AddStringToObject(o, "last_at", when);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        cJSON_Delete(*out);
        *out = NULL;
        return TT_ERR_DB;
    }
    return TT_OK;
}

tt_err_t tt_equipview_archive(tt_db_t *db, const char *asset, const char *unit, cJSON **out)
{
    sqlite3 *s = tt_db_sqlite(db);
    sqlite3_stmt *st = NULL;
    cJSON *a, *steps;
    tt_err_t err = TT_ERR_DB;
    int rc;

    *out = cJSON_CreateObject();
    a = *out ? cJSON_AddObjectToObject(*out, "asset") : NULL;
    steps = *out ? cJSON_AddArrayToObject(*out, "steps") : NULL;
    if (!a || !steps) {
        err = TT_ERR_NOMEM;
        goto fail;
    }
    if (sqlite3_prepare_v2(s, "SELECT " ASSET_COLS " FROM equipment e WHERE e.asset = ?1", -1,
                           &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_text(st, 1, asset ? asset : "", -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        asset_cols(st, a);
    err = rc == SQLITE_DONE ? TT_ERR_NOTFOUND
          : rc != SQLITE_ROW ? TT_ERR_DB
          : unit && unit[0] && strcmp(col(st, 5), unit) != 0 ? TT_ERR_DENIED : TT_OK;
    sqlite3_finalize(st);
    st = NULL;
    if (err != TT_OK)
        goto fail;
    err = TT_ERR_DB;
    if (sqlite3_prepare_v2(s, "SELECT terminal, seq, server_ms, operator, step, result, unit"
                              " FROM event WHERE type = 'equipment' AND asset = ?1"
                              " AND status = 'applied' ORDER BY server_ms, terminal, seq",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_text(st, 1, asset, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        char when[40];
        if (!o || !cJSON_AddItemToArray(steps, o))
            break;
        cJSON_AddStringToObject(o, "terminal", col(st, 0));
        cJSON_AddNumberToObject(o, "seq", (double)sqlite3_column_int64(st, 1));
        iso(sqlite3_column_int64(st, 2), when, sizeof when);
        cJSON_AddStringToObject(o, "at", when);
        cJSON_AddStringToObject(o, "operator", col(st, 3));
        cJSON_AddStringToObject(o, "step", col(st, 4));
        cJSON_AddStringToObject(o, "result", col(st, 5));
        cJSON_AddStringToObject(o, "unit", col(st, 6));
    }
    if (rc == SQLITE_DONE)
        err = TT_OK;
fail:
    sqlite3_finalize(st);
    if (err != TT_OK) {
        cJSON_Delete(*out);
        *out = NULL;
    }
    return err;
}
