#include "overview.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "money.h"

/* The unit filter of the warehouse-based figures: ?1 is the unit or NULL. */
#define WH_OF_UNIT "(?1 IS NULL OR warehouse IN (SELECT id FROM warehouse WHERE unit = ?1))"

static void day_of(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!localtime_r(&t, &tm))
        memset(&tm, 0, sizeof tm);
    strftime(buf, len, "%Y-%m-%d", &tm);
}

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

static void add_money(cJSON *o, const char *name, int64_t fen)
{
    char buf[TT_MONEY_TEXT_MAX];
    tt_money_format(fen, buf, sizeof buf);
    cJSON_AddStringToObject(o, name, buf);
}

static void add_qty(cJSON *o, const char *name, int64_t milli)
{
    char buf[TT_MONEY_TEXT_MAX];
    tt_qty_format(milli, buf, sizeof buf);
    cJSON_AddStringToObject(o, name, buf);
}

/* Runs a query of up to two integer columns with ?1 unit, ?2 and ?3 text. */
static int scalar(sqlite3 *db, const char *sql, const char *unit, const char *a, const char *b,
                  int64_t *x, int64_t *y)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    if (unit)
        sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
    if (a && sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_text(st, 2, a, -1, SQLITE_STATIC);
    if (b && sqlite3_bind_parameter_count(st) >= 3)
        sqlite3_bind_text(st, 3, b, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *x = sqlite3_column_int64(st, 0);
        if (y)
            *y = sqlite3_column_count(st) > 1 ? sqlite3_column_int64(st, 1) : 0;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW;
}

static int recent(sqlite3 *db, cJSON *list)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(db, "SELECT terminal, seq, type, server_ms, operator, warehouse, item,"
                           " qty, status FROM event ORDER BY server_ms DESC, terminal, seq DESC"
                           " LIMIT ?1", -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_int(st, 1, TT_OVERVIEW_RECENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON *o = cJSON_CreateObject();
        char when[40];
        if (!o || !cJSON_AddItemToArray(list, o))
            break;
        cJSON_AddStringToObject(o, "terminal", (const char *)sqlite3_column_text(st, 0));
        cJSON_AddNumberToObject(o, "seq", (double)sqlite3_column_int64(st, 1));
        cJSON_AddStringToObject(o, "type", sqlite3_column_text(st, 2)
                                               ? (const char *)sqlite3_column_text(st, 2) : "");
        iso(sqlite3_column_int64(st, 3), when, sizeof when);
        cJSON_AddStringToObject(o, "at", when);
        for (int c = 4; c <= 6; c++) {
            static const char *const names[] = {"operator", "warehouse", "item"};
            const unsigned char *v = sqlite3_column_text(st, c);
            cJSON_AddStringToObject(o, names[c - 4], v ? (const char *)v : "");
        }
        if (sqlite3_column_type(st, 7) == SQLITE_NULL)
            cJSON_AddNullToObject(o, "qty");
        else
            add_qty(o, "qty", sqlite3_column_int64(st, 7));
        cJSON_AddStringToObject(o, "status", (const char *)sqlite3_column_text(st, 8));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE;
}

/* Receipts and issues per day over the last TT_OVERVIEW_DAYS days. */
static int trend(sqlite3 *db, const char *unit, const char *from, cJSON *list, int64_t now_ms)
{
    static const char sql[] =
        "WITH r AS (SELECT day, SUM(value_fen) AS v FROM movement WHERE kind = 'receipt'"
        "   AND day >= ?2 AND " WH_OF_UNIT " GROUP BY day),"
        " i AS (SELECT day, SUM(value_fen) AS v, SUM(qty) AS q FROM agg_issue WHERE day >= ?2"
        "   AND (?1 IS NULL OR unit = ?1) GROUP BY day)"
        " SELECT ?3, coalesce((SELECT v FROM r WHERE r.day = ?3), 0),"
        " coalesce((SELECT v FROM i WHERE i.day = ?3), 0)";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    for (int k = TT_OVERVIEW_DAYS - 1; k >= 0; k--) {
        char day[16];
        cJSON *o = cJSON_CreateObject();
        day_of(now_ms - (int64_t)k * 86400000, day, sizeof day);
        sqlite3_reset(st);
        if (unit)
            sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, day, -1, SQLITE_TRANSIENT);
        if (!o || !cJSON_AddItemToArray(list, o) || sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_finalize(st);
            return 0;
        }
        cJSON_AddStringToObject(o, "day", day);
        add_money(o, "receipts", sqlite3_column_int64(st, 1));
        add_money(o, "issues", sqlite3_column_int64(st, 2));
    }
    sqlite3_finalize(st);
    return 1;
}

tt_err_t tt_overview_build(tt_db_t *db, const char *unit, int64_t now_ms, cJSON **out)
{
    sqlite3 *s = tt_db_sqlite(db);
    char today[16], from[16], when[40];
    int64_t a = 0, b = 0;
    cJSON *o, *t, *list;
    int ok = 1;

    *out = NULL;
    unit = unit && unit[0] ? unit : NULL;
    day_of(now_ms, today, sizeof today);
    day_of(now_ms - (int64_t)(TT_OVERVIEW_DAYS - 1) * 86400000, from, sizeof from);
    o = cJSON_CreateObject();
    if (!o)
        return TT_ERR_NOMEM;
    cJSON_AddStringToObject(o, "day", today);
    iso(now_ms, when, sizeof when);
    cJSON_AddStringToObject(o, "at", when);
    if (unit)
        cJSON_AddStringToObject(o, "unit", unit);
    else
        cJSON_AddNullToObject(o, "unit");
    ok = ok && scalar(s, "SELECT coalesce(SUM(value_fen), 0) FROM lot_open WHERE " WH_OF_UNIT,
                      unit, NULL, NULL, &a, NULL);
    add_money(o, "stock_value", a);
    t = cJSON_AddObjectToObject(o, "today");
    ok = ok && t && scalar(s, "SELECT COUNT(*), coalesce(SUM(value_fen), 0) FROM movement"
                              " WHERE kind = 'receipt' AND day = ?2 AND " WH_OF_UNIT,
                           unit, today, NULL, &a, &b);
    if (t) {
        cJSON_AddNumberToObject(t, "receipt_lines", (double)a);
        add_money(t, "receipt_value", b);
    }
    ok = ok && t && scalar(s, "SELECT COUNT(*), coalesce(SUM(value_fen), 0) FROM movement"
                              " WHERE kind = 'issue' AND day = ?2 AND (?1 IS NULL OR unit = ?1)",
                           unit, today, NULL, &a, NULL);
    ok = ok && t && scalar(s, "SELECT coalesce(SUM(value_fen), 0), 0 FROM agg_issue"
                              " WHERE day = ?2 AND (?1 IS NULL OR unit = ?1)",
                           unit, today, NULL, &b, NULL);
    if (t) {
        cJSON_AddNumberToObject(t, "issue_lines", (double)a);
        add_money(t, "issue_value", b);
    }
    ok = ok && scalar(s, "SELECT COUNT(*) FROM event e WHERE e.status = 'rejected' AND NOT"
                         " EXISTS (SELECT 1 FROM resolution r WHERE r.terminal = e.terminal"
                         " AND r.seq = e.seq)",
                      NULL, NULL, NULL, &a, NULL);
    cJSON_AddNumberToObject(o, "exceptions_open", (double)a);
    ok = ok && scalar(s, "SELECT coalesce(SUM(online = 0), 0), COUNT(*) FROM terminal", NULL,
                      NULL, NULL, &a, &b);
    cJSON_AddNumberToObject(o, "terminals_offline", (double)a);
    cJSON_AddNumberToObject(o, "terminals", (double)b);
    ok = ok && scalar(s, "SELECT COUNT(*) FROM wf_token t JOIN wf_instance i ON i.id ="
                         " t.instance WHERE t.state = 'active' AND t.kind = 'task'"
                         " AND (?1 IS NULL OR i.unit = ?1)", unit, NULL, NULL, &a, NULL);
    cJSON_AddNumberToObject(o, "approvals_waiting", (double)a);
    list = cJSON_AddArrayToObject(o, "recent");
    ok = ok && list && recent(s, list);
    list = cJSON_AddArrayToObject(o, "trend");
    ok = ok && list && trend(s, unit, from, list, now_ms);
    if (!ok) {
        cJSON_Delete(o);
        return TT_ERR_DB;
    }
    *out = o;
    return TT_OK;
}
