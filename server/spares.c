/*
 * spares: the register of important spare parts kept on site and their
 * archives (see spares.h).
 */
#include "spares.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbmaster.h"
#include "stmt.h"

static const char *const kind_names[] = {NULL, "replacement", "repair"};

enum {
    S_PART_PUT, S_PART_FIND, S_PART_GET, S_EV_PUT, S_MV_EXISTS, S_LIST, S_HISTORY, S_COUNT
};

static const char *const sql_text[S_COUNT] = {
    [S_PART_PUT] = "INSERT INTO spare_part (unit, item, serial, location, since, note, by,"
                   " server_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_PART_FIND] = "SELECT id FROM spare_part WHERE item = ?1 AND serial = ?2",
    [S_PART_GET] = "SELECT since FROM spare_part WHERE id = ?1",
    [S_EV_PUT] = "INSERT INTO spare_event (part, kind, day, note, movement, by, server_ms)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_MV_EXISTS] = "SELECT 1 FROM movement WHERE id = ?1",
    [S_LIST] = "SELECT p.id, p.unit, p.item, p.serial, p.location, p.since,"
               " COALESCE(p.note, ''), p.by, p.server_ms,"
               " (SELECT COUNT(*) FROM spare_event e WHERE e.part = p.id"
               "   AND e.kind = 'replacement'),"
               " (SELECT COUNT(*) FROM spare_event e WHERE e.part = p.id AND e.kind = 'repair'),"
               " COALESCE((SELECT MAX(e.day) FROM spare_event e WHERE e.part = p.id), '')"
               " FROM spare_part p WHERE ?1 IS NULL OR p.unit = ?1"
               " ORDER BY p.unit, p.item, p.serial",
    [S_HISTORY] = "SELECT id, kind, day, note, COALESCE(movement, 0), by, server_ms"
                  " FROM spare_event WHERE part = ?1 ORDER BY day, id",
};

struct tt_spares {
    tt_db_t *tdb;
    sqlite3 *db;
    sqlite3_stmt *st[S_COUNT];
};

int tt_spares_kind_parse(const char *name)
{
    for (int k = TT_SPARES_REPLACEMENT; k <= TT_SPARES_REPAIR; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return 0;
}

const char *tt_spares_kind_name(tt_spares_kind_t kind)
{
    return kind >= TT_SPARES_REPLACEMENT && kind <= TT_SPARES_REPAIR ? kind_names[kind] : NULL;
}

tt_err_t tt_spares_open(tt_db_t *db, tt_spares_t **out)
{
    tt_spares_t *sp = calloc(1, sizeof *sp);

    *out = NULL;
    if (!sp)
        return TT_ERR_NOMEM;
    sp->tdb = db;
    sp->db = tt_db_sqlite(db);
    if (tt_stmt_prepare(sp->db, sql_text, S_COUNT, sp->st) != TT_OK) {
        tt_spares_close(sp);
        return TT_ERR_DB;
    }
    *out = sp;
    return TT_OK;
}

void tt_spares_close(tt_spares_t *sp)
{
    if (!sp)
        return;
    tt_stmt_finalize(sp->st, S_COUNT);
    free(sp);
}

/* A real calendar day 'YYYY-MM-DD'. */
static int day_valid(const char *d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, dd;

    if (strlen(d) != TT_LEDGER_DAY_LEN || d[4] != '-' || d[7] != '-')
        return 0;
    for (int i = 0; i < TT_LEDGER_DAY_LEN; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return 0;
    y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
    m = (d[5] - '0') * 10 + (d[6] - '0');
    dd = (d[8] - '0') * 10 + (d[9] - '0');
    if (m < 1 || m > 12 || dd < 1 || dd > mdays[m - 1])
        return 0;
    return m != 2 || dd < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/* `day` is a real date and not after today. */
static tt_err_t check_day(const char *col, const char *day, int64_t now_ms, char *reason,
                          size_t rlen)
{
    char today[TT_LEDGER_DAY_LEN + 1];

    if (!day_valid(day)) {
        snprintf(reason, rlen, "%s: not a date (YYYY-MM-DD)", col);
        return TT_ERR_INVAL;
    }
    if (tt_ledger_day(now_ms, today) == TT_OK && strcmp(day, today) > 0) {
        snprintf(reason, rlen, "%s %s is after today (%s)", col, day, today);
        return TT_ERR_INVAL;
    }
    return TT_OK;
}

/* Text that fits its field (cap bytes with the NUL) without control
 * characters; empty only when allowed. */
static int text_ok(const char *t, size_t cap, int may_be_empty)
{
    const char *end = memchr(t, '\0', cap);
    if (!end || (end == t && !may_be_empty))
        return 0;
    for (const unsigned char *u = (const unsigned char *)t; *u; u++)
        if (*u < 0x20 || *u == 0x7f)
            return 0;
    return 1;
}

tt_err_t tt_spares_register(tt_spares_t *sp, const tt_spares_part_t *p, const char *by,
                            int64_t now_ms, int64_t *id, char *reason, size_t rlen)
{
    sqlite3_stmt *st = sp->st[S_PART_PUT];
    int64_t other;
    tt_err_t rc;

    if (!tt_event_id_valid(p->unit) || !tt_event_code_valid(p->item) ||
        !tt_event_code_valid(p->serial) || !tt_event_id_valid(by)) {
        snprintf(reason, rlen, "%s: missing or malformed",
                 !tt_event_id_valid(p->unit)     ? "unit"
                 : !tt_event_code_valid(p->item) ? "item"
                 : !tt_event_code_valid(p->serial) ? "serial"
                                                   : "operator");
        return TT_ERR_INVAL;
    }
    if (!tt_master_text_valid(p->location, 0) || !text_ok(p->note, sizeof p->note, 1)) {
        snprintf(reason, rlen, "%s: missing, too long or with a control character",
                 tt_master_text_valid(p->location, 0) ? "note" : "location");
        return TT_ERR_INVAL;
    }
    rc = check_day("since", p->since, now_ms, reason, rlen);
    if (rc != TT_OK)
        return rc;
    rc = tt_dbmaster_unit_exists(sp->tdb, p->unit);
    if (rc == TT_ERR_NOTFOUND) {
        snprintf(reason, rlen, "unit '%s' does not exist", p->unit);
        return TT_ERR_INVAL;
    }
    if (rc == TT_OK)
        rc = tt_dbmaster_item_exists(sp->tdb, p->item);
    if (rc == TT_ERR_NOTFOUND) {
        snprintf(reason, rlen, "item '%s' does not exist", p->item);
        return TT_ERR_INVAL;
    }
    if (rc != TT_OK)
        return rc;
    rc = tt_spares_find(sp, p->item, p->serial, &other);
    if (rc == TT_OK) {
        snprintf(reason, rlen, "item %s serial %s is registered already (part %lld)", p->item,
                 p->serial, (long long)other);
        return TT_ERR_EXISTS;
    }
    if (rc != TT_ERR_NOTFOUND)
        return rc;
    sqlite3_bind_text(st, 1, p->unit, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->item, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, p->serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, p->location, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, p->since, -1, SQLITE_STATIC);
    if (p->note[0])
        sqlite3_bind_text(st, 6, p->note, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, now_ms);
    rc = sqlite3_step(st) == SQLITE_DONE ? TT_OK : tt_stmt_fail(sp->db);
    tt_stmt_done(st);
    if (rc != TT_OK) {
        snprintf(reason, rlen, "the store failed: %s", tt_strerror(rc));
        return rc;
    }
    if (id)
        *id = sqlite3_last_insert_rowid(sp->db);
    return TT_OK;
}

tt_err_t tt_spares_find(tt_spares_t *sp, const char *item, const char *serial, int64_t *id)
{
    sqlite3_stmt *st = sp->st[S_PART_FIND];
    int rc;

    sqlite3_bind_text(st, 1, item, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    tt_stmt_done(st);
    return rc == SQLITE_ROW ? TT_OK : rc == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
}

/* Reads part `part`'s since day; TT_OK, TT_ERR_NOTFOUND or TT_ERR_DB. */
static tt_err_t part_since(tt_spares_t *sp, int64_t part, char since[TT_LEDGER_DAY_LEN + 1])
{
    sqlite3_stmt *st = sp->st[S_PART_GET];
    int rc;

    sqlite3_bind_int64(st, 1, part);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(since, TT_LEDGER_DAY_LEN + 1, "%s", tt_stmt_text(st, 0));
    tt_stmt_done(st);
    return rc == SQLITE_ROW ? TT_OK : rc == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
}

tt_err_t tt_spares_record(tt_spares_t *sp, int64_t part, tt_spares_kind_t kind, const char *day,
                          const char *note, int64_t movement, const char *by, int64_t now_ms,
                          int64_t *id, char *reason, size_t rlen)
{
    char since[TT_LEDGER_DAY_LEN + 1];
    sqlite3_stmt *st;
    tt_err_t rc;
    int step;

    if (!tt_spares_kind_name(kind) || !tt_event_id_valid(by) ||
        !text_ok(note, TT_LEDGER_TEXT_MAX, 0) || movement < 0) {
        snprintf(reason, rlen, "%s: missing or malformed",
                 !tt_spares_kind_name(kind) ? "kind"
                 : !tt_event_id_valid(by)   ? "operator"
                 : movement < 0             ? "movement"
                                            : "note");
        return TT_ERR_INVAL;
    }
    rc = check_day("day", day, now_ms, reason, rlen);
    if (rc != TT_OK)
        return rc;
    rc = part_since(sp, part, since);
    if (rc == TT_ERR_NOTFOUND)
        snprintf(reason, rlen, "no spare part %lld", (long long)part);
    if (rc != TT_OK)
        return rc;
    if (strcmp(day, since) < 0) {
        snprintf(reason, rlen, "day %s is before the part was kept on site (%s)", day, since);
        return TT_ERR_INVAL;
    }
    if (movement) {
        st = sp->st[S_MV_EXISTS];
        sqlite3_bind_int64(st, 1, movement);
        step = sqlite3_step(st);
        tt_stmt_done(st);
        if (step == SQLITE_DONE) {
            snprintf(reason, rlen, "no movement %lld", (long long)movement);
            return TT_ERR_NOTFOUND;
        }
        if (step != SQLITE_ROW)
            return TT_ERR_DB;
    }
    st = sp->st[S_EV_PUT];
    sqlite3_bind_int64(st, 1, part);
    sqlite3_bind_text(st, 2, kind_names[kind], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, day, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, note, -1, SQLITE_STATIC);
    if (movement)
        sqlite3_bind_int64(st, 5, movement);
    sqlite3_bind_text(st, 6, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, now_ms);
    rc = sqlite3_step(st) == SQLITE_DONE ? TT_OK : tt_stmt_fail(sp->db);
    tt_stmt_done(st);
    if (rc != TT_OK) {
        snprintf(reason, rlen, "the store failed: %s", tt_strerror(rc));
        return rc;
    }
    if (id)
        *id = sqlite3_last_insert_rowid(sp->db);
    return TT_OK;
}

tt_err_t tt_spares_list_each(tt_spares_t *sp, const char *unit, tt_spares_part_fn fn, void *ctx)
{
    sqlite3_stmt *st = sp->st[S_LIST];
    int step;

    if (unit && !tt_event_id_valid(unit))
        return TT_ERR_INVAL;
    if (unit)
        sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        tt_spares_part_t p;
        tt_spares_row_t r;

        memset(&p, 0, sizeof p);
        p.id = sqlite3_column_int64(st, 0);
        snprintf(p.unit, sizeof p.unit, "%s", tt_stmt_text(st, 1));
        snprintf(p.item, sizeof p.item, "%s", tt_stmt_text(st, 2));
        snprintf(p.serial, sizeof p.serial, "%s", tt_stmt_text(st, 3));
        snprintf(p.location, sizeof p.location, "%s", tt_stmt_text(st, 4));
        snprintf(p.since, sizeof p.since, "%s", tt_stmt_text(st, 5));
        snprintf(p.note, sizeof p.note, "%s", tt_stmt_text(st, 6));
        r.part = &p;
        r.by = tt_stmt_text(st, 7);
        r.server_ms = sqlite3_column_int64(st, 8);
        r.replacements = (size_t)sqlite3_column_int64(st, 9);
        r.repairs = (size_t)sqlite3_column_int64(st, 10);
        r.last_day = tt_stmt_text(st, 11);
        if (fn(ctx, &r))
            break;
    }
    tt_stmt_done(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_spares_history_each(tt_spares_t *sp, int64_t part, tt_spares_event_fn fn, void *ctx)
{
    char since[TT_LEDGER_DAY_LEN + 1];
    sqlite3_stmt *st = sp->st[S_HISTORY];
    tt_err_t rc = part_since(sp, part, since);
    int step;

    if (rc != TT_OK)
        return rc;
    sqlite3_bind_int64(st, 1, part);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        tt_spares_event_t e;
        e.id = sqlite3_column_int64(st, 0);
        e.part = part;
        e.kind = (tt_spares_kind_t)tt_spares_kind_parse(tt_stmt_text(st, 1));
        e.day = tt_stmt_text(st, 2);
        e.note = tt_stmt_text(st, 3);
        e.movement = sqlite3_column_int64(st, 4);
        e.by = tt_stmt_text(st, 5);
        e.server_ms = sqlite3_column_int64(st, 6);
        if (fn(ctx, &e))
            break;
    }
    tt_stmt_done(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}
