/*
 * ledger: the central materials ledger.  Rules and decisions: docs/ledger.md.
 *
 * Every statement is prepared once (tt_ledger_open).  The hot path, an issue
 * line, is: one look-up of the line's context (item, warehouse, unit, stock
 * on hand, latest issue of the item there), the FIFO read of lot_open, the
 * movement, and per lot drawn an allocation row, a lot_open update and an
 * agg_issue upsert, then the stock row: all indexed, none scanning.
 */
#include "ledger.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

__extension__ typedef __int128 i128;

#define ID_SZ (TT_EVENT_ID_MAX + 1)
#define CODE_SZ (TT_EVENT_CODE_MAX + 1)
#define DOC_SZ (TT_LEDGER_DOC_MAX + 1)
#define DAY_SZ (TT_LEDGER_DAY_LEN + 1)
#define MONTH_SZ (TT_LEDGER_MONTH_LEN + 1)
#define LAST_MS 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

enum {
    Q_SAVEPOINT, Q_RELEASE, Q_ROLLBACK_TO,
    Q_DOC_CTX, Q_LINE_CTX, Q_PLAN, Q_CATEGORY, Q_NEXT_ID, Q_DOC_USED, Q_STOCK_GET,
    Q_MV_PUT, Q_LOT_PUT, Q_LOT_CHILD, Q_OPEN_PUT, Q_OPEN_FIFO, Q_OPEN_SET, Q_OPEN_DEL,
    Q_OPEN_GIVE, Q_STOCK_ADD, Q_STOCK_TAKE, Q_ALLOC_PUT, Q_AGG_ISSUE_ADD, Q_AGG_ISSUE_PRUNE,
    Q_AGG_RETURN_ADD,
    Q_LATER_ISSUES, Q_LIVE_ALLOCS, Q_PINNED, Q_MARK_OF, Q_REALLOC_PUT,
    Q_SB_CANDIDATES,
    Q_PERIOD_GET, Q_PERIOD_PUT, Q_FIRST_DAY,
    Q_MV_GET, Q_MARK_ALLOC, Q_LOT_CATEGORY, Q_MARK_GET, Q_MARK_PUT, Q_MARK_GROUPS,
    Q_TAG_GET, Q_TAG_PUT, Q_EVENT_STATUS, Q_RES_GET, Q_RES_PUT,
    Q_COUNT
};

static const char *const sql_text[Q_COUNT] = {
    [Q_SAVEPOINT] = "SAVEPOINT tt_ledger",
    [Q_RELEASE] = "RELEASE tt_ledger",
    [Q_ROLLBACK_TO] = "ROLLBACK TO tt_ledger",
    /* Which kinds of master data the site has (references to a kind are
     * checked once it has any) and the latest closed month. */
    [Q_DOC_CTX] = "SELECT EXISTS (SELECT 1 FROM item), EXISTS (SELECT 1 FROM warehouse),"
                  " EXISTS (SELECT 1 FROM unit), EXISTS (SELECT 1 FROM plan),"
                  " (SELECT MAX(month) FROM period)",
    /* ?1 item, ?2 warehouse, ?3 unit: the item's standard price (NULL: no
     * such item), whether the warehouse and the unit exist, the stock on
     * hand and the day of the latest issue of the item there. */
    [Q_LINE_CTX] =
        "SELECT (SELECT price_fen FROM item WHERE code = ?1),"
        " EXISTS (SELECT 1 FROM warehouse WHERE id = ?2),"
        " EXISTS (SELECT 1 FROM unit WHERE id = ?3),"
        " (SELECT qty FROM stock WHERE warehouse = ?2 AND item = ?1),"
        " (SELECT day FROM movement INDEXED BY movement_issue WHERE kind = 'issue'"
        "   AND warehouse = ?2 AND item = ?1 ORDER BY day DESC LIMIT 1)",
    [Q_PLAN] = "SELECT item, COALESCE(category, ''), status FROM plan WHERE serial = ?1",
    [Q_CATEGORY] = "SELECT 1 FROM safety_category WHERE code = ?1",
    [Q_NEXT_ID] = "SELECT COALESCE(MAX(id), 0) + 1 FROM movement",
    [Q_DOC_USED] = "SELECT 1 FROM movement WHERE doc = ?1 LIMIT 1",
    [Q_STOCK_GET] = "SELECT qty FROM stock WHERE warehouse = ?1 AND item = ?2",
    [Q_MV_PUT] =
        "INSERT INTO movement (kind, sub, doc, line, day, origin, terminal, seq, operator,"
        " approver, warehouse, to_wh, unit, item, qty, value_fen, plan_serial, category, ref,"
        " labour_fen, material_fen, parent, note, book_qty, server_ms) VALUES (?1, ?2, ?3, ?4,"
        " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,"
        " ?23, ?24, ?25)",
    [Q_LOT_PUT] =
        "INSERT INTO lot (receipt, receipt_doc, movement, warehouse, item, fifo_day, fifo_seq,"
        " qty, value_fen, category, plan_serial) VALUES (?1, ?2, ?1, ?3, ?4, ?5, ?1, ?6, ?7,"
        " ?8, ?9)",
    /* A transfer's part of lot ?5 in warehouse ?2: same receipt, FIFO key,
     * category and plan line. */
    [Q_LOT_CHILD] =
        "INSERT INTO lot (receipt, receipt_doc, movement, parent, warehouse, item, fifo_day,"
        " fifo_seq, qty, value_fen, category, plan_serial) SELECT receipt, receipt_doc, ?1, id,"
        " ?2, item, fifo_day, fifo_seq, ?3, ?4, category, plan_serial FROM lot WHERE id = ?5",
    [Q_OPEN_PUT] = "INSERT INTO lot_open (warehouse, item, fifo_day, fifo_seq, lot, qty,"
                   " value_fen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_OPEN_FIFO] =
        "SELECT o.fifo_day, o.fifo_seq, o.lot, o.qty, o.value_fen, l.receipt_doc,"
        " COALESCE(l.category, '') FROM lot_open o JOIN lot l ON l.id = o.lot"
        " WHERE o.warehouse = ?1 AND o.item = ?2 ORDER BY o.fifo_day, o.fifo_seq, o.lot",
    [Q_OPEN_SET] = "UPDATE lot_open SET qty = ?6, value_fen = ?7 WHERE warehouse = ?1"
                   " AND item = ?2 AND fifo_day = ?3 AND fifo_seq = ?4 AND lot = ?5",
    [Q_OPEN_DEL] = "DELETE FROM lot_open WHERE warehouse = ?1 AND item = ?2 AND fifo_day = ?3"
                   " AND fifo_seq = ?4 AND lot = ?5",
    /* Quantity and value back into lot ?1, re-opening it when exhausted. */
    [Q_OPEN_GIVE] =
        "INSERT INTO lot_open (warehouse, item, fifo_day, fifo_seq, lot, qty, value_fen)"
        " SELECT warehouse, item, fifo_day, fifo_seq, id, ?2, ?3 FROM lot WHERE id = ?1"
        " ON CONFLICT (warehouse, item, fifo_day, fifo_seq, lot) DO UPDATE SET"
        " qty = qty + excluded.qty, value_fen = value_fen + excluded.value_fen",
    [Q_STOCK_ADD] = "INSERT INTO stock (warehouse, item, qty) VALUES (?1, ?2, ?3)"
                    " ON CONFLICT (warehouse, item) DO UPDATE SET qty = qty + excluded.qty",
    /* (An upsert checks qty >= 0 on the row it would insert.) */
    [Q_STOCK_TAKE] = "UPDATE stock SET qty = qty - ?3 WHERE warehouse = ?1 AND item = ?2",
    [Q_ALLOC_PUT] =
        "INSERT INTO alloc (movement, lot, receipt_doc, qty, value_fen, reverses, kind, day,"
        " warehouse, item, unit, category) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
        " ?11, ?12)",
    [Q_AGG_ISSUE_ADD] =
        "INSERT INTO agg_issue (day, warehouse, unit, item, category, marked, qty, value_fen)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT (day, warehouse, unit, item, category, marked) DO UPDATE SET"
        " qty = qty + excluded.qty, value_fen = value_fen + excluded.value_fen",
    [Q_AGG_ISSUE_PRUNE] =
        "DELETE FROM agg_issue WHERE day = ?1 AND warehouse = ?2 AND unit = ?3 AND item = ?4"
        " AND category = ?5 AND marked = ?6 AND qty = 0 AND value_fen = 0",
    [Q_AGG_RETURN_ADD] =
        "INSERT INTO agg_return (month, unit, item, returned, excluded)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (month, unit, item) DO UPDATE SET"
        " returned = agg_return.returned + excluded.returned,"
        " excluded = agg_return.excluded + excluded.excluded",
    [Q_LATER_ISSUES] =
        "SELECT id, day, COALESCE(unit, ''), qty, doc FROM movement INDEXED BY movement_issue"
        " WHERE kind = 'issue' AND warehouse = ?1 AND item = ?2 AND day > ?3 ORDER BY day, id",
    /* The allocations an issue holds now: not re-allocation reversals, and
     * not reversed by one. */
    [Q_LIVE_ALLOCS] =
        "SELECT a.id, a.lot, a.qty, a.value_fen, a.receipt_doc, COALESCE(a.category, '')"
        " FROM alloc a WHERE a.movement = ?1 AND a.kind = 'issue' AND a.reverses IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM alloc r WHERE r.reverses = a.id AND r.kind = 'issue')"
        " ORDER BY a.id",
    [Q_PINNED] = "SELECT 1 FROM alloc a WHERE a.movement = ?1 AND a.kind = 'issue'"
                 " AND EXISTS (SELECT 1 FROM alloc b WHERE b.reverses = a.id"
                 " AND b.kind = 'stockback') LIMIT 1",
    [Q_MARK_OF] = "SELECT category FROM safety_mark WHERE movement = ?1 AND lot = ?2",
    [Q_REALLOC_PUT] = "INSERT INTO realloc (movement, cause, old_value_fen, new_value_fen,"
                      " server_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
    /* Issue allocations of item ?1 to unit ?3 from warehouse ?4 dated up to
     * ?2 (of document ?5 only, when given), newest first, with what was
     * given back of each and whether a re-allocation reversed it. */
    [Q_SB_CANDIDATES] =
        "SELECT a.id, a.movement, a.lot, a.qty, a.value_fen, a.receipt_doc,"
        " COALESCE(a.category, ''),"
        " (SELECT COALESCE(-SUM(b.qty), 0) FROM alloc b WHERE b.reverses = a.id"
        "   AND b.kind = 'stockback'),"
        " (SELECT COALESCE(-SUM(b.value_fen), 0) FROM alloc b WHERE b.reverses = a.id"
        "   AND b.kind = 'stockback'),"
        " EXISTS (SELECT 1 FROM alloc r WHERE r.reverses = a.id AND r.kind = 'issue')"
        " FROM alloc a WHERE a.item = ?1 AND a.day <= ?2 AND a.unit = ?3 AND a.warehouse = ?4"
        " AND a.kind = 'issue' AND a.qty > 0 AND a.reverses IS NULL"
        " AND (?5 IS NULL OR a.movement IN (SELECT id FROM movement WHERE doc = ?5"
        "   AND kind = 'issue'))"
        " ORDER BY a.day DESC, a.id DESC",
    [Q_PERIOD_GET] = "SELECT 1 FROM period WHERE month = ?1",
    [Q_PERIOD_PUT] = "INSERT INTO period (month, closed_by, server_ms) VALUES (?1, ?2, ?3)",
    /* The first day with a movement in [?1, ?2), one index seek per kind. */
    [Q_FIRST_DAY] =
        "SELECT MIN(d) FROM ("
        "SELECT MIN(day) AS d FROM movement WHERE kind = 'receipt' AND day >= ?1 AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'issue' AND day >= ?1"
        "   AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'transfer' AND day >= ?1"
        "   AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'stockback' AND day >= ?1"
        "   AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'old_return' AND day >= ?1"
        "   AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'count' AND day >= ?1"
        "   AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'exclusion' AND day >= ?1"
        "   AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'consume' AND day >= ?1"
        "   AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'revolve' AND day >= ?1"
        "   AND day < ?2)",
    [Q_MV_GET] = "SELECT kind, day FROM movement WHERE id = ?1",
    [Q_MARK_ALLOC] = "SELECT COUNT(*), COALESCE(SUM(qty), 0) FROM alloc WHERE movement = ?1"
                     " AND lot = ?2 AND kind = 'issue'",
    [Q_LOT_CATEGORY] = "SELECT category FROM lot WHERE id = ?1",
    [Q_MARK_GET] = "SELECT 1 FROM safety_mark WHERE movement = ?1 AND lot = ?2",
    [Q_MARK_PUT] = "INSERT INTO safety_mark (movement, lot, category, reason, approver, by,"
                   " server_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* What (movement ?1, lot ?2) contributes to agg_issue: its issue rows
     * and the stock-backs of them, per agg_issue key. */
    [Q_MARK_GROUPS] =
        "SELECT r.day, r.warehouse, COALESCE(r.unit, ''), r.item, COALESCE(r.category, ''),"
        " SUM(r.qty), SUM(r.value_fen) FROM alloc r"
        " WHERE (r.movement = ?1 AND r.lot = ?2 AND r.kind = 'issue')"
        " OR (r.kind = 'stockback' AND r.reverses IN (SELECT id FROM alloc"
        "   WHERE movement = ?1 AND lot = ?2 AND kind = 'issue'))"
        " GROUP BY r.day, r.warehouse, r.unit, r.item, r.category",
    [Q_TAG_GET] = "SELECT 1 FROM expense_tag WHERE movement = ?1",
    [Q_TAG_PUT] = "INSERT INTO expense_tag (movement, tag, by, server_ms)"
                  " VALUES (?1, ?2, ?3, ?4)",
    [Q_EVENT_STATUS] = "SELECT status FROM event WHERE terminal = ?1 AND seq = ?2",
    [Q_RES_GET] = "SELECT 1 FROM resolution WHERE terminal = ?1 AND seq = ?2",
    [Q_RES_PUT] = "INSERT INTO resolution (terminal, seq, movement, by, note, server_ms)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
};

/* One part of an allocation: q units and their value from one lot. */
typedef struct {
    int64_t lot;
    char fifo_day[DAY_SZ];
    int64_t fifo_seq;
    tt_qty_t qty;            /* taken (or given back) */
    tt_fen_t value;
    tt_qty_t left_qty;       /* FIFO: what lot_open holds after the take */
    tt_fen_t left_value;
    int64_t alloc;           /* old allocation row (re-allocation), the issue
                              * allocation given back to (stock-back); 0 */
    int64_t issue;           /* stock-back: the issue movement of `alloc` */
    char receipt_doc[DOC_SZ];
    char category[ID_SZ];    /* "" for none */
} take_t;

typedef struct {
    take_t *v;
    size_t n, cap;
} takes_t;

/* An issue movement a backdated line re-allocates. */
typedef struct {
    int64_t id;
    char day[DAY_SZ];
    char unit[ID_SZ];
    char doc[DOC_SZ];
    tt_qty_t qty;
    takes_t old;             /* its allocations before */
} redo_t;

/* A (warehouse, item) whose later issues a line re-allocates. */
typedef struct {
    char wh[ID_SZ];
    char item[CODE_SZ];
    redo_t *v;
    size_t n, cap;
} rekey_t;

typedef struct {
    rekey_t *v;
    size_t n, cap;
} rekeys_t;

struct tt_ledger {
    tt_db_t *db;
    sqlite3 *sq;
    sqlite3_stmt *st[Q_COUNT];
    takes_t plan;            /* the line's allocations, reused */
    takes_t fresh;           /* a re-allocated issue's new allocations */
};

/* The document being posted. */
typedef struct {
    tt_ledger_t *l;
    const char *doc;
    const char *day;
    char month[MONTH_SZ];
    const char *operator_id;
    const char *approver;
    int office;              /* 0: a terminal event */
    const char *terminal;
    uint64_t seq;
    unsigned master;         /* M_* bits: kinds of master data the site has */
    int64_t now;
    size_t reallocated;
    char *reason;
    size_t rlen;
} post_t;

enum { M_ITEM = 1, M_WAREHOUSE = 2, M_UNIT = 4, M_PLAN = 8 };

/* The line's context (Q_LINE_CTX). */
typedef struct {
    int item_known;
    tt_fen_t price;
    int wh_known, unit_known;
    tt_qty_t stock;
    char last_issue[DAY_SZ];  /* "" when none */
} linectx_t;

/* --- small helpers ---------------------------------------------------------- */

static void say(char *reason, size_t rlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *reason, size_t rlen, const char *fmt, ...)
{
    va_list ap;
    if (!reason || rlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(reason, rlen, fmt, ap);
    va_end(ap);
}

static tt_err_t fail(tt_ledger_t *l)
{
    return (sqlite3_extended_errcode(l->sq) & 0xff) == SQLITE_FULL ? TT_ERR_FULL : TT_ERR_DB;
}

static sqlite3_stmt *st(tt_ledger_t *l, int q)
{
    return l->st[q];
}

static void done(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

/* Runs a write statement to completion. */
static tt_err_t run(tt_ledger_t *l, int q)
{
    sqlite3_stmt *s = l->st[q];
    int rc = sqlite3_step(s);
    tt_err_t err = rc == SQLITE_DONE ? TT_OK : fail(l);
    done(s);
    return err;
}

/* Steps a query once: TT_OK with a row, TT_ERR_NOTFOUND without; the caller
 * reads the row and calls done(). */
static tt_err_t row(tt_ledger_t *l, int q)
{
    int rc = sqlite3_step(l->st[q]);
    if (rc == SQLITE_ROW)
        return TT_OK;
    if (rc == SQLITE_DONE)
        return TT_ERR_NOTFOUND;
    return fail(l);
}

/* Whether query q (bound) has a row: TT_OK, TT_ERR_NOTFOUND or an error. */
static tt_err_t exists(tt_ledger_t *l, int q)
{
    tt_err_t rc = row(l, q);
    done(l->st[q]);
    return rc;
}

static void bind_text(sqlite3_stmt *s, int i, const char *t)
{
    sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
}

/* Binds t, or NULL for "" or NULL. */
static void bind_opt(sqlite3_stmt *s, int i, const char *t)
{
    if (t && t[0])
        sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static take_t *push_take(takes_t *t)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        take_t *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    return memset(&t->v[t->n++], 0, sizeof *t->v);
}

static void rekeys_free(rekeys_t *rk)
{
    for (size_t i = 0; i < rk->n; i++) {
        for (size_t j = 0; j < rk->v[i].n; j++)
            free(rk->v[i].v[j].old.v);
        free(rk->v[i].v);
    }
    free(rk->v);
    memset(rk, 0, sizeof *rk);
}

/* floor(v * q / of): q of `of` units worth v fen (0 <= q <= of, of > 0). */
static tt_fen_t part(tt_fen_t v, tt_qty_t q, tt_qty_t of)
{
    return (tt_fen_t)((i128)v * q / of);
}

static void fmt_qty(tt_qty_t q, char *buf, size_t len)
{
    if (tt_qty_format(q, buf, len) < 0)
        snprintf(buf, len, "?");
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int days_in(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

static int month_valid(const char *s)
{
    int y, m;
    if (!s || strlen(s) != 7 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2))
        return 0;
    y = num(s, 4);
    m = num(s + 5, 2);
    return y >= 1 && m >= 1 && m <= 12;
}

static int day_valid(const char *s)
{
    int y, m, d;
    if (!s || strlen(s) != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
        s[7] != '-' || !digits(s + 8, 2))
        return 0;
    y = num(s, 4);
    m = num(s + 5, 2);
    d = num(s + 8, 2);
    return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= days_in(y, m);
}

/* "YYYY-MM-01" of the month after `month` (valid). */
static void next_month_day(const char *month, char out[DAY_SZ])
{
    int y = num(month, 4), m = num(month + 5, 2) + 1;
    if (m > 12) {
        m = 1;
        y++;
    }
    snprintf(out, DAY_SZ, "%04d-%02d-01", (y % 10000 + 10000) % 10000, (m % 100 + 100) % 100);
}

static int id_ok(const char *s)
{
    return s && tt_event_id_valid(s);
}

static int text_ok(const char *s, size_t cap)
{
    size_t n;
    if (!s)
        return 0;
    n = strnlen(s, cap);
    return n > 0 && n < cap;
}

/* --- open / close ----------------------------------------------------------- */

tt_err_t tt_ledger_open(tt_db_t *db, tt_ledger_t **out)
{
    tt_ledger_t *l = calloc(1, sizeof *l);

    *out = NULL;
    if (!l)
        return TT_ERR_NOMEM;
    l->db = db;
    l->sq = tt_db_sqlite(db);
    for (int i = 0; i < Q_COUNT; i++) {
        if (sqlite3_prepare_v3(l->sq, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &l->st[i],
                               NULL) != SQLITE_OK) {
            tt_ledger_close(l);
            return TT_ERR_DB;
        }
    }
    *out = l;
    return TT_OK;
}

void tt_ledger_close(tt_ledger_t *l)
{
    if (!l)
        return;
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(l->st[i]);
    free(l->plan.v);
    free(l->fresh.v);
    free(l);
}

tt_err_t tt_ledger_day(int64_t ms, char day[TT_LEDGER_DAY_LEN + 1])
{
    struct tm tm;
    time_t t;

    if (ms < 0 || ms > LAST_MS)
        return TT_ERR_RANGE;
    t = (time_t)(ms / 1000);
    if (!localtime_r(&t, &tm) || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999)
        return TT_ERR_RANGE;
    {
        char buf[48];
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday);
        memcpy(day, buf, TT_LEDGER_DAY_LEN);
        day[TT_LEDGER_DAY_LEN] = '\0';
    }
    return TT_OK;
}

/* --- savepoints --------------------------------------------------------------- */

static tt_err_t sp_begin(tt_ledger_t *l)
{
    return run(l, Q_SAVEPOINT);
}

static tt_err_t sp_end(tt_ledger_t *l, tt_err_t rc)
{
    tt_err_t r;
    if (rc == TT_OK) {
        r = run(l, Q_RELEASE);
        if (r == TT_OK)
            return TT_OK;
        rc = r;
    }
    run(l, Q_ROLLBACK_TO);
    run(l, Q_RELEASE);
    return rc;
}

/* --- context ------------------------------------------------------------------ */

/* The kinds of master data the site has (M_* bits) and the latest closed
 * month ("" none). */
static tt_err_t doc_ctx(tt_ledger_t *l, unsigned *master, char closed[MONTH_SZ])
{
    sqlite3_stmt *s = st(l, Q_DOC_CTX);
    tt_err_t rc = row(l, Q_DOC_CTX);
    if (rc == TT_OK) {
        *master = (sqlite3_column_int(s, 0) ? M_ITEM : 0u) |
                  (sqlite3_column_int(s, 1) ? M_WAREHOUSE : 0u) |
                  (sqlite3_column_int(s, 2) ? M_UNIT : 0u) | (sqlite3_column_int(s, 3) ? M_PLAN : 0u);
        copy_col(closed, MONTH_SZ, s, 4);
    }
    done(s);
    return rc == TT_ERR_NOTFOUND ? TT_ERR_DB : rc;
}

static tt_err_t line_ctx(tt_ledger_t *l, const char *item, const char *wh, const char *unit,
                         linectx_t *c)
{
    sqlite3_stmt *s = st(l, Q_LINE_CTX);
    tt_err_t rc;

    bind_text(s, 1, item);
    bind_text(s, 2, wh ? wh : "");
    bind_text(s, 3, unit ? unit : "");
    rc = row(l, Q_LINE_CTX);
    if (rc == TT_OK) {
        c->item_known = sqlite3_column_type(s, 0) != SQLITE_NULL;
        c->price = sqlite3_column_int64(s, 0);
        c->wh_known = sqlite3_column_int(s, 1);
        c->unit_known = sqlite3_column_int(s, 2);
        c->stock = sqlite3_column_int64(s, 3);
        copy_col(c->last_issue, sizeof c->last_issue, s, 4);
    }
    done(s);
    return rc == TT_ERR_NOTFOUND ? TT_ERR_DB : rc;
}

tt_err_t tt_ledger_period_check(tt_ledger_t *l, const char *day, char *reason, size_t rlen)
{
    char closed[MONTH_SZ];
    unsigned master;
    tt_err_t rc;

    if (!day_valid(day)) {
        say(reason, rlen, "'%.16s' is not a date (YYYY-MM-DD)", day ? day : "");
        return TT_ERR_INVAL;
    }
    rc = doc_ctx(l, &master, closed);
    if (rc != TT_OK)
        return rc;
    if (closed[0] && strncmp(day, closed, 7) <= 0) {
        say(reason, rlen, "%s is in a closed period (closed through %s)", day, closed);
        return TT_ERR_CLOSED;
    }
    return TT_OK;
}

tt_err_t tt_ledger_on_hand(tt_ledger_t *l, const char *warehouse, const char *item,
                           tt_qty_t *qty)
{
    sqlite3_stmt *s = st(l, Q_STOCK_GET);
    tt_err_t rc;

    bind_text(s, 1, warehouse);
    bind_text(s, 2, item);
    rc = row(l, Q_STOCK_GET);
    *qty = rc == TT_OK ? sqlite3_column_int64(s, 0) : 0;
    done(s);
    return rc == TT_ERR_NOTFOUND ? TT_OK : rc;
}

static tt_err_t next_id(tt_ledger_t *l, int64_t *id)
{
    sqlite3_stmt *s = st(l, Q_NEXT_ID);
    tt_err_t rc = row(l, Q_NEXT_ID);
    if (rc == TT_OK)
        *id = sqlite3_column_int64(s, 0);
    done(s);
    return rc == TT_ERR_NOTFOUND ? TT_ERR_DB : rc;
}

tt_err_t tt_ledger_next_doc(tt_ledger_t *l, const char *prefix,
                            char doc[TT_LEDGER_DOC_MAX + 1])
{
    size_t n = prefix ? strlen(prefix) : 0;
    int64_t id;
    tt_err_t rc;

    if (n == 0 || n > 16)
        return TT_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if (prefix[i] < 'A' || prefix[i] > 'Z')
            return TT_ERR_INVAL;
    rc = next_id(l, &id);
    if (rc == TT_OK)
        snprintf(doc, TT_LEDGER_DOC_MAX + 1, "%s.%lld", prefix, (long long)id);
    return rc;
}

tt_err_t tt_ledger_doc_used(tt_ledger_t *l, const char *doc)
{
    tt_err_t rc;
    bind_text(st(l, Q_DOC_USED), 1, doc);
    rc = exists(l, Q_DOC_USED);
    if (rc == TT_OK)
        return TT_ERR_EXISTS;
    return rc == TT_ERR_NOTFOUND ? TT_OK : rc;
}

/* --- writing rows ------------------------------------------------------------- */

/* A movement row; "" / has_* 0 give NULL. */
typedef struct {
    const char *kind, *sub;
    int line;
    int event;               /* carries the terminal and seq of the post */
    const char *wh, *to_wh, *unit, *item;
    int has_qty;
    tt_qty_t qty;
    int has_value;
    tt_fen_t value;
    const char *plan_serial, *category, *ref;
    int has_cost;
    tt_fen_t labour, material;
    int64_t parent;
    const char *note;
    int has_book;
    tt_qty_t book;
} mvrow_t;

static tt_err_t mv_put(post_t *p, const mvrow_t *m, int64_t *id)
{
    tt_ledger_t *l = p->l;
    sqlite3_stmt *s = st(l, Q_MV_PUT);
    tt_err_t rc;

    bind_text(s, 1, m->kind);
    bind_opt(s, 2, m->sub);
    bind_text(s, 3, p->doc);
    sqlite3_bind_int(s, 4, m->line);
    bind_text(s, 5, p->day);
    bind_text(s, 6, p->office ? "office" : "terminal");
    if (m->event && !p->office) {
        bind_text(s, 7, p->terminal);
        sqlite3_bind_int64(s, 8, (sqlite3_int64)p->seq);
    }
    bind_text(s, 9, p->operator_id);
    bind_opt(s, 10, p->approver);
    bind_opt(s, 11, m->wh);
    bind_opt(s, 12, m->to_wh);
    bind_opt(s, 13, m->unit);
    bind_opt(s, 14, m->item);
    if (m->has_qty)
        sqlite3_bind_int64(s, 15, m->qty);
    if (m->has_value)
        sqlite3_bind_int64(s, 16, m->value);
    bind_opt(s, 17, m->plan_serial);
    bind_opt(s, 18, m->category);
    bind_opt(s, 19, m->ref);
    if (m->has_cost) {
        sqlite3_bind_int64(s, 20, m->labour);
        sqlite3_bind_int64(s, 21, m->material);
    }
    if (m->parent)
        sqlite3_bind_int64(s, 22, m->parent);
    bind_opt(s, 23, m->note);
    if (m->has_book)
        sqlite3_bind_int64(s, 24, m->book);
    sqlite3_bind_int64(s, 25, p->now);
    rc = run(l, Q_MV_PUT);
    if (rc == TT_OK)
        *id = sqlite3_last_insert_rowid(l->sq);
    return rc;
}

static tt_err_t stock_add(tt_ledger_t *l, const char *wh, const char *item, tt_qty_t delta)
{
    int q = delta >= 0 ? Q_STOCK_ADD : Q_STOCK_TAKE;
    sqlite3_stmt *s = st(l, q);
    tt_err_t rc;
    bind_text(s, 1, wh);
    bind_text(s, 2, item);
    sqlite3_bind_int64(s, 3, delta >= 0 ? delta : -delta);
    rc = run(l, q);
    if (rc == TT_OK && q == Q_STOCK_TAKE && sqlite3_changes(l->sq) != 1)
        rc = TT_ERR_DB;   /* no row to take from: cannot happen */
    return rc;
}

static tt_err_t alloc_put(tt_ledger_t *l, int64_t mv, const take_t *t, int sign, int64_t reverses,
                          const char *kind, const char *day, const char *wh, const char *item,
                          const char *unit)
{
    sqlite3_stmt *s = st(l, Q_ALLOC_PUT);
    sqlite3_bind_int64(s, 1, mv);
    sqlite3_bind_int64(s, 2, t->lot);
    bind_text(s, 3, t->receipt_doc);
    sqlite3_bind_int64(s, 4, sign * t->qty);
    sqlite3_bind_int64(s, 5, sign * t->value);
    if (reverses)
        sqlite3_bind_int64(s, 6, reverses);
    bind_text(s, 7, kind);
    bind_text(s, 8, day);
    bind_text(s, 9, wh);
    bind_text(s, 10, item);
    bind_opt(s, 11, unit);
    bind_opt(s, 12, t->category);
    return run(l, Q_ALLOC_PUT);
}

static tt_err_t agg_issue(tt_ledger_t *l, const char *day, const char *wh, const char *unit,
                          const char *item, const char *category, int marked, tt_qty_t qty,
                          tt_fen_t value)
{
    sqlite3_stmt *s = st(l, Q_AGG_ISSUE_ADD);
    tt_err_t rc;

    bind_text(s, 1, day);
    bind_text(s, 2, wh);
    bind_text(s, 3, unit ? unit : "");
    bind_text(s, 4, item);
    bind_text(s, 5, category ? category : "");
    sqlite3_bind_int(s, 6, marked);
    sqlite3_bind_int64(s, 7, qty);
    sqlite3_bind_int64(s, 8, value);
    rc = run(l, Q_AGG_ISSUE_ADD);
    if (rc != TT_OK || (qty >= 0 && value >= 0))
        return rc;
    /* Something was taken off: drop the row when nothing is left of it. */
    s = st(l, Q_AGG_ISSUE_PRUNE);
    bind_text(s, 1, day);
    bind_text(s, 2, wh);
    bind_text(s, 3, unit ? unit : "");
    bind_text(s, 4, item);
    bind_text(s, 5, category ? category : "");
    sqlite3_bind_int(s, 6, marked);
    return run(l, Q_AGG_ISSUE_PRUNE);
}

static tt_err_t agg_return(tt_ledger_t *l, const char *month, const char *unit,
                           const char *item, tt_qty_t returned, tt_qty_t excluded)
{
    sqlite3_stmt *s = st(l, Q_AGG_RETURN_ADD);
    bind_text(s, 1, month);
    bind_text(s, 2, unit);
    bind_text(s, 3, item);
    sqlite3_bind_int64(s, 4, returned);
    sqlite3_bind_int64(s, 5, excluded);
    return run(l, Q_AGG_RETURN_ADD);
}

/* The safety category (mark[ID_SZ]) (movement, lot) was marked for, "" if
 * it is not marked. */
static tt_err_t mark_of(tt_ledger_t *l, int64_t mv, int64_t lot, char mark[ID_SZ])
{
    sqlite3_stmt *s = st(l, Q_MARK_OF);
    tt_err_t rc;

    sqlite3_bind_int64(s, 1, mv);
    sqlite3_bind_int64(s, 2, lot);
    rc = row(l, Q_MARK_OF);
    mark[0] = '\0';
    if (rc == TT_OK)
        copy_col(mark, ID_SZ, s, 0);
    done(s);
    return rc == TT_ERR_NOTFOUND ? TT_OK : rc;
}

/* agg_issue for q/v of an issue allocation of (movement mv, take t),
 * dated `day`: under its mark when marked. */
static tt_err_t agg_take(tt_ledger_t *l, int64_t mv, const take_t *t, int check_mark,
                         const char *day, const char *wh, const char *unit, const char *item,
                         tt_qty_t q, tt_fen_t v)
{
    char mark[ID_SZ] = "";
    tt_err_t rc = check_mark ? mark_of(l, mv, t->lot, mark) : TT_OK;
    if (rc != TT_OK)
        return rc;
    return agg_issue(l, day, wh, unit, item, mark[0] ? mark : t->category, mark[0] != 0, q, v);
}

/* lot_open after a FIFO take: what is left, or the row goes. */
static tt_err_t open_take(tt_ledger_t *l, const char *wh, const char *item, const take_t *t)
{
    int q = t->left_qty > 0 ? Q_OPEN_SET : Q_OPEN_DEL;
    sqlite3_stmt *s = st(l, q);
    bind_text(s, 1, wh);
    bind_text(s, 2, item);
    bind_text(s, 3, t->fifo_day);
    sqlite3_bind_int64(s, 4, t->fifo_seq);
    sqlite3_bind_int64(s, 5, t->lot);
    if (q == Q_OPEN_SET) {
        sqlite3_bind_int64(s, 6, t->left_qty);
        sqlite3_bind_int64(s, 7, t->left_value);
    }
    return run(l, q);
}

/* Gives q units worth v back to lot `lot`. */
static tt_err_t open_give(tt_ledger_t *l, int64_t lot, tt_qty_t q, tt_fen_t v)
{
    sqlite3_stmt *s = st(l, Q_OPEN_GIVE);
    tt_err_t rc;
    sqlite3_bind_int64(s, 1, lot);
    sqlite3_bind_int64(s, 2, q);
    sqlite3_bind_int64(s, 3, v);
    rc = run(l, Q_OPEN_GIVE);
    if (rc == TT_OK && sqlite3_changes(l->sq) != 1)
        rc = TT_ERR_DB;   /* no such lot: cannot happen */
    return rc;
}

/* --- FIFO ----------------------------------------------------------------------- */

/* Plans taking `qty` of `item` from `wh` first in, first out, appending the
 * takes to *out.  Lots taken from by out->v[0 .. overlay) (planned, not yet
 * written) are seen as those takes left them.  *got is what was found (qty
 * unless the lots hold less: then TT_ERR_STOCK and *out is as it was). */
static tt_err_t plan_fifo(tt_ledger_t *l, const char *wh, const char *item, tt_qty_t qty,
                          takes_t *out, size_t overlay, tt_qty_t *got)
{
    sqlite3_stmt *s = st(l, Q_OPEN_FIFO);
    size_t start = out->n;
    tt_qty_t need = qty;
    int rc = SQLITE_DONE;

    bind_text(s, 1, wh);
    bind_text(s, 2, item);
    while (need > 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t lot = sqlite3_column_int64(s, 2);
        tt_qty_t lq = sqlite3_column_int64(s, 3);
        tt_fen_t lv = sqlite3_column_int64(s, 4);
        take_t *t;

        for (size_t k = overlay; k-- > 0;) {
            if (out->v[k].lot == lot) {
                lq = out->v[k].left_qty;
                lv = out->v[k].left_value;
                break;
            }
        }
        if (lq <= 0)
            continue;
        t = push_take(out);
        if (!t) {
            done(s);
            out->n = start;
            return TT_ERR_NOMEM;
        }
        t->lot = lot;
        copy_col(t->fifo_day, sizeof t->fifo_day, s, 0);
        t->fifo_seq = sqlite3_column_int64(s, 1);
        t->qty = need < lq ? need : lq;
        t->value = t->qty == lq ? lv : part(lv, t->qty, lq);
        t->left_qty = lq - t->qty;
        t->left_value = lv - t->value;
        copy_col(t->receipt_doc, sizeof t->receipt_doc, s, 5);
        copy_col(t->category, sizeof t->category, s, 6);
        need -= t->qty;
    }
    done(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        out->n = start;
        return fail(l);
    }
    *got = qty - need;
    if (need > 0) {
        out->n = start;
        return TT_ERR_STOCK;
    }
    return TT_OK;
}

static tt_fen_t takes_value(const take_t *t, size_t n)
{
    tt_fen_t v = 0;
    for (size_t i = 0; i < n; i++)
        v += t[i].value;   /* parts of values that fit: cannot overflow */
    return v;
}

/* Writes takes t[0..n) of movement mv: allocation rows, lot_open, and for
 * kind issue agg_issue (under a mark when check_mark). */
static tt_err_t apply_takes(tt_ledger_t *l, const take_t *t, size_t n, int64_t mv,
                            const char *kind, const char *day, const char *wh, const char *item,
                            const char *unit, int check_mark)
{
    int issue = strcmp(kind, "issue") == 0;
    tt_err_t rc = TT_OK;

    for (size_t i = 0; i < n && rc == TT_OK; i++) {
        rc = alloc_put(l, mv, &t[i], 1, 0, kind, day, wh, item, unit);
        if (rc == TT_OK)
            rc = open_take(l, wh, item, &t[i]);
        if (rc == TT_OK && issue)
            rc = agg_take(l, mv, &t[i], check_mark, day, wh, unit, item, t[i].qty, t[i].value);
    }
    return rc;
}

/* --- backdating ------------------------------------------------------------------ */

static rekey_t *rekey_find(rekeys_t *rk, const char *wh, const char *item)
{
    for (size_t i = 0; i < rk->n; i++)
        if (strcmp(rk->v[i].wh, wh) == 0 && strcmp(rk->v[i].item, item) == 0)
            return &rk->v[i];
    return NULL;
}

/* Loads the allocations issue `r` holds into r->old. */
static tt_err_t load_live(tt_ledger_t *l, redo_t *r)
{
    sqlite3_stmt *s = st(l, Q_LIVE_ALLOCS);
    int rc;

    sqlite3_bind_int64(s, 1, r->id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        take_t *t = push_take(&r->old);
        if (!t) {
            done(s);
            return TT_ERR_NOMEM;
        }
        t->alloc = sqlite3_column_int64(s, 0);
        t->lot = sqlite3_column_int64(s, 1);
        t->qty = sqlite3_column_int64(s, 2);
        t->value = sqlite3_column_int64(s, 3);
        copy_col(t->receipt_doc, sizeof t->receipt_doc, s, 4);
        copy_col(t->category, sizeof t->category, s, 5);
    }
    done(s);
    return rc == SQLITE_DONE ? TT_OK : fail(l);
}

/* A line dated `day` comes before issues of (wh, item) dated after it:
 * takes those issues' allocations back into lot_open (in memory they are
 * kept in *rk, to be drawn again by replay()).  Issues that were stocked
 * back are left as they are (their allocations are what was given back). */
static tt_err_t undo_later(tt_ledger_t *l, rekeys_t *rk, const char *wh, const char *item,
                           const char *day)
{
    sqlite3_stmt *s = st(l, Q_LATER_ISSUES);
    rekey_t *k;
    tt_err_t rc = TT_OK;
    int step;

    if (rekey_find(rk, wh, item))
        return TT_OK;
    if (rk->n == rk->cap) {
        size_t cap = rk->cap ? rk->cap * 2 : 4;
        rekey_t *v = realloc(rk->v, cap * sizeof *v);
        if (!v)
            return TT_ERR_NOMEM;
        rk->v = v;
        rk->cap = cap;
    }
    k = memset(&rk->v[rk->n++], 0, sizeof *rk->v);
    snprintf(k->wh, sizeof k->wh, "%s", wh);
    snprintf(k->item, sizeof k->item, "%s", item);

    bind_text(s, 1, wh);
    bind_text(s, 2, item);
    bind_text(s, 3, day);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        redo_t *r;
        if (k->n == k->cap) {
            size_t cap = k->cap ? k->cap * 2 : 8;
            redo_t *v = realloc(k->v, cap * sizeof *v);
            if (!v) {
                rc = TT_ERR_NOMEM;
                break;
            }
            k->v = v;
            k->cap = cap;
        }
        r = memset(&k->v[k->n++], 0, sizeof *k->v);
        r->id = sqlite3_column_int64(s, 0);
        copy_col(r->day, sizeof r->day, s, 1);
        copy_col(r->unit, sizeof r->unit, s, 2);
        r->qty = sqlite3_column_int64(s, 3);
        copy_col(r->doc, sizeof r->doc, s, 4);
    }
    done(s);
    if (rc == TT_OK && step != SQLITE_DONE)
        rc = fail(l);
    for (size_t i = 0; i < k->n && rc == TT_OK; i++) {
        redo_t *r = &k->v[i];
        sqlite3_bind_int64(st(l, Q_PINNED), 1, r->id);
        rc = exists(l, Q_PINNED);
        if (rc == TT_OK) {
            r->qty = 0;   /* pinned: not re-allocated */
            continue;
        }
        if (rc != TT_ERR_NOTFOUND)
            break;
        rc = load_live(l, r);
        for (size_t j = 0; j < r->old.n && rc == TT_OK; j++)
            rc = open_give(l, r->old.v[j].lot, r->old.v[j].qty, r->old.v[j].value);
    }
    return rc;
}

static int same_takes(const takes_t *a, const takes_t *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].lot != b->v[i].lot || a->v[i].qty != b->v[i].qty ||
            a->v[i].value != b->v[i].value)
            return 0;
    return 1;
}

/* Draws the issues undo_later() took back again, in (day, id) order, and
 * records those whose lots or value changed: reversing allocation rows,
 * the new ones, agg_issue and a realloc row with `cause`. */
static tt_err_t replay(post_t *p, rekeys_t *rk, int64_t cause)
{
    tt_ledger_t *l = p->l;
    tt_err_t rc = TT_OK;

    for (size_t i = 0; i < rk->n && rc == TT_OK; i++) {
        rekey_t *k = &rk->v[i];
        for (size_t j = 0; j < k->n && rc == TT_OK; j++) {
            redo_t *r = &k->v[j];
            takes_t *f = &l->fresh;
            tt_qty_t got = 0;
            tt_fen_t before, after;

            if (r->qty == 0)
                continue;
            f->n = 0;
            rc = plan_fifo(l, k->wh, k->item, r->qty, f, 0, &got);
            if (rc == TT_ERR_STOCK) {
                char a[TT_MONEY_TEXT_MAX], b[TT_MONEY_TEXT_MAX];
                fmt_qty(got, a, sizeof a);
                fmt_qty(r->qty, b, sizeof b);
                say(p->reason, p->rlen, "the later issue %s of %s in %s would find %s of %s",
                    r->doc, k->item, k->wh, a, b);
                return rc;
            }
            if (rc != TT_OK)
                return rc;
            if (same_takes(&r->old, f)) {
                for (size_t t = 0; t < f->n && rc == TT_OK; t++)
                    rc = open_take(l, k->wh, k->item, &f->v[t]);
                continue;
            }
            for (size_t t = 0; t < r->old.n && rc == TT_OK; t++) {
                const take_t *o = &r->old.v[t];
                rc = alloc_put(l, r->id, o, -1, o->alloc, "issue", r->day, k->wh, k->item,
                               r->unit);
                if (rc == TT_OK)
                    rc = agg_take(l, r->id, o, 1, r->day, k->wh, r->unit, k->item, -o->qty,
                                  -o->value);
            }
            if (rc == TT_OK)
                rc = apply_takes(l, f->v, f->n, r->id, "issue", r->day, k->wh, k->item,
                                 r->unit, 1);
            before = takes_value(r->old.v, r->old.n);
            after = takes_value(f->v, f->n);
            if (rc == TT_OK) {
                sqlite3_stmt *s = st(l, Q_REALLOC_PUT);
                sqlite3_bind_int64(s, 1, r->id);
                sqlite3_bind_int64(s, 2, cause);
                sqlite3_bind_int64(s, 3, before);
                sqlite3_bind_int64(s, 4, after);
                sqlite3_bind_int64(s, 5, p->now);
                rc = run(l, Q_REALLOC_PUT);
            }
            if (rc == TT_OK)
                p->reallocated++;
        }
    }
    return rc;
}

/* Undoes later issues of (wh, item) when `c` says there are some after
 * the post's day. */
static tt_err_t maybe_undo(post_t *p, rekeys_t *rk, const char *wh, const char *item,
                           const linectx_t *c)
{
    if (!c->last_issue[0] || strcmp(c->last_issue, p->day) <= 0)
        return TT_OK;
    return undo_later(p->l, rk, wh, item, p->day);
}

/* --- line checks ---------------------------------------------------------------- */

static const char *kind_name(tt_ledger_kind_t k)
{
    switch (k) {
    case TT_LEDGER_RECEIPT: return "receipt";
    case TT_LEDGER_ISSUE: return "issue";
    case TT_LEDGER_TRANSFER: return "transfer";
    case TT_LEDGER_STOCKBACK: return "stockback";
    case TT_LEDGER_OLD_RETURN: return "old_return";
    case TT_LEDGER_COUNT: return "count";
    case TT_LEDGER_EXCLUSION: return "exclusion";
    }
    return NULL;
}

static const char *kind_prefix(tt_ledger_kind_t k)
{
    switch (k) {
    case TT_LEDGER_RECEIPT: return "RK";
    case TT_LEDGER_ISSUE: return "CK";
    case TT_LEDGER_TRANSFER: return "DB";
    case TT_LEDGER_STOCKBACK: return "TK";
    case TT_LEDGER_OLD_RETURN: return "JJ";
    case TT_LEDGER_COUNT: return "PD";
    case TT_LEDGER_EXCLUSION: return "PC";
    }
    return "XX";
}

static const char *source_name(tt_ledger_source_t s)
{
    switch (s) {
    case TT_LEDGER_PURCHASE: return "purchase";
    case TT_LEDGER_OUTSOURCED: return "outsourced";
    case TT_LEDGER_PROCESSED: return "processed";
    case TT_LEDGER_REFURBISHED: return "refurbished";
    case TT_LEDGER_SMALL_ELECTRIC: return "small_electric";
    }
    return NULL;
}

static tt_err_t bad(post_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static tt_err_t bad(post_t *p, const char *fmt, ...)
{
    va_list ap;
    if (p->reason && p->rlen) {
        va_start(ap, fmt);
        vsnprintf(p->reason, p->rlen, fmt, ap);
        va_end(ap);
    }
    return TT_ERR_INVAL;
}

/* The fields every line of `kind` needs or must not have. */
static tt_err_t check_fields(post_t *p, const tt_ledger_line_t *ln)
{
    tt_ledger_kind_t k = ln->kind;
    int receipt = k == TT_LEDGER_RECEIPT;

    if (k != TT_LEDGER_EXCLUSION || ln->warehouse[0]) {
        if (!id_ok(ln->warehouse))
            return bad(p, "warehouse: %s", ln->warehouse[0] ? "not a valid id" : "missing");
    }
    if (!tt_event_code_valid(ln->item))
        return bad(p, "item: %s", ln->item[0] ? "not a valid code" : "missing");
    if (k == TT_LEDGER_COUNT ? ln->qty < 0 : ln->qty <= 0)
        return bad(p, "qty: must be %s", k == TT_LEDGER_COUNT ? ">= 0" : "> 0");
    if (ln->qty > TT_LEDGER_QTY_MAX)
        return bad(p, "qty: larger than a line may be");
    if (k == TT_LEDGER_TRANSFER) {
        if (!id_ok(ln->to_wh))
            return bad(p, "to: %s", ln->to_wh[0] ? "not a valid id" : "missing");
        if (strcmp(ln->to_wh, ln->warehouse) == 0)
            return bad(p, "to: the same warehouse as the one it comes from");
    } else if (ln->to_wh[0]) {
        return bad(p, "to: only a transfer has a receiving warehouse");
    }
    if (ln->unit[0] && !id_ok(ln->unit))
        return bad(p, "unit: not a valid id");
    if (!ln->unit[0] && (k == TT_LEDGER_STOCKBACK || k == TT_LEDGER_OLD_RETURN ||
                         k == TT_LEDGER_EXCLUSION || (k == TT_LEDGER_ISSUE && p->office)))
        return bad(p, "unit: missing (the unit it %s)",
                   k == TT_LEDGER_ISSUE ? "is issued to" : "concerns");
    if (k == TT_LEDGER_COUNT && ln->unit[0])
        return bad(p, "unit: a count has none");
    if (ln->ref[0] && !id_ok(ln->ref))
        return bad(p, "ref: not a valid id");
    if (!receipt && (ln->plan_serial[0] || ln->has_value || ln->value || ln->unit_price ||
                     ln->labour || ln->material || ln->nconsume))
        return bad(p, "plan, value, unit_price, labour, material and consume belong to "
                      "receipts only");
    if (k == TT_LEDGER_EXCLUSION) {
        if (!ln->note[0])
            return bad(p, "note: an exclusion needs the reason");
        if (!p->approver || !p->approver[0])
            return bad(p, "approver: an exclusion needs who approved it");
    }
    if (memchr(ln->note, '\0', sizeof ln->note) == NULL)
        return bad(p, "note: too long");
    if (!receipt)
        return TT_OK;

    /* Receipts. */
    if (!source_name(ln->source))
        return bad(p, "source: unknown");
    if (ln->plan_serial[0] && !id_ok(ln->plan_serial))
        return bad(p, "plan: not a valid id");
    if (ln->has_value && (ln->value < 0 || ln->value > TT_LEDGER_VALUE_MAX))
        return bad(p, "value: must be between 0 and %lld fen", (long long)TT_LEDGER_VALUE_MAX);
    if (ln->unit_price < 0 || ln->unit_price > TT_LEDGER_VALUE_MAX)
        return bad(p, "unit_price: must be between 0 and %lld fen",
                   (long long)TT_LEDGER_VALUE_MAX);
    if (ln->has_value && ln->unit_price)
        return bad(p, "give value or unit_price, not both");
    if (ln->labour < 0 || ln->labour > TT_LEDGER_VALUE_MAX || ln->material < 0 ||
        ln->material > TT_LEDGER_VALUE_MAX)
        return bad(p, "labour and material: must be between 0 and %lld fen",
                   (long long)TT_LEDGER_VALUE_MAX);
    if (ln->source == TT_LEDGER_PURCHASE || ln->source == TT_LEDGER_OUTSOURCED) {
        if (ln->labour || ln->material || ln->nconsume)
            return bad(p, "a %s has no labour, material or consumed material",
                       source_name(ln->source));
        return TT_OK;
    }
    /* Processed, refurbished, small electrics: value = labour + material +
     * what they consume. */
    if (!ln->ref[0])
        return bad(p, "ref: a %s part needs its acceptance slip", source_name(ln->source));
    if (ln->has_value || ln->unit_price)
        return bad(p, "value: a %s part is valued at its labour, material and consumed "
                      "material", source_name(ln->source));
    if (ln->nconsume && !ln->consume)
        return bad(p, "consume: missing");
    if (ln->nconsume > TT_LEDGER_LINES_MAX)
        return bad(p, "consume: at most %d lines", TT_LEDGER_LINES_MAX);
    for (size_t i = 0; i < ln->nconsume; i++) {
        const tt_ledger_line_t *c = &ln->consume[i];
        if (c->kind != TT_LEDGER_ISSUE)
            return bad(p, "consume %zu: must be an issue line", i + 1);
        if (!id_ok(c->warehouse))
            return bad(p, "consume %zu: warehouse: %s", i + 1,
                       c->warehouse[0] ? "not a valid id" : "missing");
        if (!tt_event_code_valid(c->item))
            return bad(p, "consume %zu: item: %s", i + 1,
                       c->item[0] ? "not a valid code" : "missing");
        if (c->qty <= 0 || c->qty > TT_LEDGER_QTY_MAX)
            return bad(p, "consume %zu: qty: must be > 0", i + 1);
        if (c->unit[0] && !id_ok(c->unit))
            return bad(p, "consume %zu: unit: not a valid id", i + 1);
    }
    return TT_OK;
}

/* Master data checks of a line's item, warehouse and unit. */
static tt_err_t check_master(post_t *p, const char *what, const tt_ledger_line_t *ln,
                             const linectx_t *c)
{
    if ((p->master & M_ITEM) && !c->item_known)
        return bad(p, "%sitem %s: not in master data", what, ln->item);
    if ((p->master & M_WAREHOUSE) && ln->warehouse[0] && !c->wh_known)
        return bad(p, "%swarehouse %s: not in master data", what, ln->warehouse);
    if ((p->master & M_UNIT) && ln->unit[0] && !c->unit_known)
        return bad(p, "%sunit %s: not in master data", what, ln->unit);
    return TT_OK;
}

static tt_err_t short_stock(post_t *p, const char *item, const char *wh, tt_qty_t have,
                            tt_qty_t want)
{
    char h[TT_MONEY_TEXT_MAX], s[TT_MONEY_TEXT_MAX];
    fmt_qty(have, h, sizeof h);
    fmt_qty(want - have, s, sizeof s);
    say(p->reason, p->rlen, "insufficient stock of %s in %s: on hand %s, short %s", item, wh, h,
        s);
    return TT_ERR_STOCK;
}

/* The category (category[ID_SZ], "" none) a receipt inherits from its plan
 * line. */
static tt_err_t plan_category(post_t *p, const tt_ledger_line_t *ln, char category[ID_SZ])
{
    tt_ledger_t *l = p->l;
    sqlite3_stmt *s = st(l, Q_PLAN);
    char item[CODE_SZ], status[16];
    tt_err_t rc;

    category[0] = '\0';
    if (!ln->plan_serial[0] || !(p->master & M_PLAN))
        return TT_OK;
    bind_text(s, 1, ln->plan_serial);
    rc = row(l, Q_PLAN);
    if (rc == TT_OK) {
        copy_col(item, sizeof item, s, 0);
        copy_col(category, ID_SZ, s, 1);
        copy_col(status, sizeof status, s, 2);
    }
    done(s);
    if (rc == TT_ERR_NOTFOUND)
        return bad(p, "plan line %s: no such approved plan line", ln->plan_serial);
    if (rc != TT_OK)
        return rc;
    if (strcmp(status, "approved") != 0)
        return bad(p, "plan line %s: %s, not approved", ln->plan_serial, status);
    if (strcmp(item, ln->item) != 0)
        return bad(p, "plan line %s is for item %s, not %s", ln->plan_serial, item, ln->item);
    if (!category[0])
        return TT_OK;
    bind_text(st(l, Q_CATEGORY), 1, category);
    rc = exists(l, Q_CATEGORY);
    if (rc == TT_ERR_NOTFOUND)
        return bad(p, "plan line %s: category '%s' is not a safety-expense category code "
                      "(S01..S11)", ln->plan_serial, category);
    return rc;
}

/* --- the kinds ------------------------------------------------------------------ */

static tt_err_t post_receipt(post_t *p, const tt_ledger_line_t *ln, int line, int64_t *first)
{
    tt_ledger_t *l = p->l;
    takes_t *plan = &l->plan;
    rekeys_t rk = {0};
    linectx_t c;
    char category[ID_SZ];
    size_t *starts = NULL;
    tt_qty_t next;
    tt_fen_t value = 0, consumed = 0;
    int64_t mv = 0, lot = 0;
    tt_err_t rc;

    rc = line_ctx(l, ln->item, ln->warehouse, ln->unit, &c);
    if (rc == TT_OK)
        rc = check_master(p, "", ln, &c);
    if (rc == TT_OK)
        rc = plan_category(p, ln, category);
    if (rc != TT_OK)
        return rc;
    if (tt_qty_add(c.stock, ln->qty, &next) != TT_OK || next > INT64_MAX / 2) {
        say(p->reason, p->rlen, "quantity overflow for %s in %s", ln->item, ln->warehouse);
        return TT_ERR_RANGE;
    }
    if (ln->source == TT_LEDGER_PURCHASE || ln->source == TT_LEDGER_OUTSOURCED) {
        if (ln->has_value)
            value = ln->value;
        else if (tt_money_value(ln->unit_price, ln->qty, &value) != TT_OK ||
                 value > TT_LEDGER_VALUE_MAX)
            return bad(p, "value: qty x unit_price is larger than a line may be");
    }

    /* Consumed material: checked against stock (lines of one item and
     * warehouse together), backdating undone, then planned FIFO. */
    rc = maybe_undo(p, &rk, ln->warehouse, ln->item, &c);
    if (rc == TT_OK && ln->nconsume) {
        starts = calloc(ln->nconsume + 1, sizeof *starts);
        if (!starts)
            rc = TT_ERR_NOMEM;
    }
    for (size_t i = 0; i < ln->nconsume && rc == TT_OK; i++) {
        const tt_ledger_line_t *cl = &ln->consume[i];
        char what[40];
        linectx_t cc;
        tt_qty_t want = cl->qty;

        snprintf(what, sizeof what, "consume %zu: ", i + 1);
        rc = line_ctx(l, cl->item, cl->warehouse, cl->unit, &cc);
        if (rc == TT_OK)
            rc = check_master(p, what, cl, &cc);
        for (size_t j = 0; j < i && rc == TT_OK; j++)
            if (strcmp(ln->consume[j].item, cl->item) == 0 &&
                strcmp(ln->consume[j].warehouse, cl->warehouse) == 0)
                want += ln->consume[j].qty;
        if (rc == TT_OK && want > cc.stock) {
            char h[TT_MONEY_TEXT_MAX], s[TT_MONEY_TEXT_MAX];
            fmt_qty(cc.stock, h, sizeof h);
            fmt_qty(want - cc.stock, s, sizeof s);
            say(p->reason, p->rlen, "consume %zu: insufficient stock of %s in %s: on hand %s, "
                "short %s", i + 1, cl->item, cl->warehouse, h, s);
            rc = TT_ERR_STOCK;
        }
        if (rc == TT_OK)
            rc = maybe_undo(p, &rk, cl->warehouse, cl->item, &cc);
    }
    plan->n = 0;
    for (size_t i = 0; i < ln->nconsume && rc == TT_OK; i++) {
        const tt_ledger_line_t *cl = &ln->consume[i];
        tt_qty_t got = 0;
        starts[i] = plan->n;
        rc = plan_fifo(l, cl->warehouse, cl->item, cl->qty, plan, plan->n, &got);
        if (rc == TT_ERR_STOCK)
            rc = short_stock(p, cl->item, cl->warehouse, got, cl->qty);
        if (rc == TT_OK)
            consumed += takes_value(plan->v + starts[i], plan->n - starts[i]);
        if (consumed > TT_LEDGER_VALUE_MAX)
            rc = bad(p, "the consumed material is worth more than a line may be");
    }
    if (rc == TT_OK && ln->nconsume)
        starts[ln->nconsume] = plan->n;
    if (rc == TT_OK && ln->source != TT_LEDGER_PURCHASE && ln->source != TT_LEDGER_OUTSOURCED)
        value = ln->labour + ln->material + consumed;   /* each <= 10^12: no overflow */
    if (rc == TT_OK && value > TT_LEDGER_VALUE_MAX)
        rc = bad(p, "value: larger than a line may be");

    if (rc == TT_OK) {
        mvrow_t m = {.kind = "receipt", .sub = source_name(ln->source), .line = line,
                     .event = 1, .wh = ln->warehouse, .unit = ln->unit, .item = ln->item,
                     .has_qty = 1, .qty = ln->qty, .has_value = 1, .value = value,
                     .plan_serial = ln->plan_serial, .category = category, .ref = ln->ref,
                     .note = ln->note};
        int cost = ln->source != TT_LEDGER_PURCHASE && ln->source != TT_LEDGER_OUTSOURCED;
        m.has_cost = cost;
        m.labour = ln->labour;
        m.material = ln->material;
        rc = mv_put(p, &m, &mv);
    }
    if (rc == TT_OK) {
        sqlite3_stmt *s = st(l, Q_LOT_PUT);
        sqlite3_bind_int64(s, 1, mv);
        bind_text(s, 2, p->doc);
        bind_text(s, 3, ln->warehouse);
        bind_text(s, 4, ln->item);
        bind_text(s, 5, p->day);
        sqlite3_bind_int64(s, 6, ln->qty);
        sqlite3_bind_int64(s, 7, value);
        bind_opt(s, 8, category);
        bind_opt(s, 9, ln->plan_serial);
        rc = run(l, Q_LOT_PUT);
        lot = sqlite3_last_insert_rowid(l->sq);
        if (rc == TT_OK) {
            s = st(l, Q_OPEN_PUT);
            bind_text(s, 1, ln->warehouse);
            bind_text(s, 2, ln->item);
            bind_text(s, 3, p->day);
            sqlite3_bind_int64(s, 4, mv);
            sqlite3_bind_int64(s, 5, lot);
            sqlite3_bind_int64(s, 6, ln->qty);
            sqlite3_bind_int64(s, 7, value);
            rc = run(l, Q_OPEN_PUT);
        }
    }
    if (rc == TT_OK)
        rc = stock_add(l, ln->warehouse, ln->item, ln->qty);
    for (size_t i = 0; i < ln->nconsume && rc == TT_OK; i++) {
        const tt_ledger_line_t *cl = &ln->consume[i];
        const char *unit = cl->unit[0] ? cl->unit : ln->unit;
        size_t a = starts[i], b = starts[i + 1];
        mvrow_t m = {.kind = "consume", .line = line, .wh = cl->warehouse, .unit = unit,
                     .item = cl->item, .has_qty = 1, .qty = cl->qty, .has_value = 1,
                     .value = takes_value(plan->v + a, b - a), .ref = ln->ref, .parent = mv};
        int64_t cmv;
        rc = mv_put(p, &m, &cmv);
        if (rc == TT_OK)
            rc = apply_takes(l, plan->v + a, b - a, cmv, "consume", p->day, cl->warehouse,
                             cl->item, unit, 0);
        if (rc == TT_OK)
            rc = stock_add(l, cl->warehouse, cl->item, -cl->qty);
    }
    if (rc == TT_OK)
        rc = replay(p, &rk, mv);
    if (rc == TT_OK)
        *first = mv;
    free(starts);
    rekeys_free(&rk);
    return rc;
}

static tt_err_t post_issue(post_t *p, const tt_ledger_line_t *ln, int line, int64_t *first)
{
    tt_ledger_t *l = p->l;
    takes_t *plan = &l->plan;
    rekeys_t rk = {0};
    linectx_t c;
    tt_qty_t got = 0;
    int64_t mv = 0;
    tt_err_t rc;

    rc = line_ctx(l, ln->item, ln->warehouse, ln->unit, &c);
    if (rc == TT_OK)
        rc = check_master(p, "", ln, &c);
    if (rc != TT_OK)
        return rc;
    if (ln->qty > c.stock)
        return short_stock(p, ln->item, ln->warehouse, c.stock, ln->qty);
    rc = maybe_undo(p, &rk, ln->warehouse, ln->item, &c);
    plan->n = 0;
    if (rc == TT_OK) {
        rc = plan_fifo(l, ln->warehouse, ln->item, ln->qty, plan, 0, &got);
        if (rc == TT_ERR_STOCK)
            rc = short_stock(p, ln->item, ln->warehouse, got, ln->qty);
    }
    if (rc == TT_OK) {
        mvrow_t m = {.kind = "issue", .line = line, .event = 1, .wh = ln->warehouse,
                     .unit = ln->unit, .item = ln->item, .has_qty = 1, .qty = ln->qty,
                     .has_value = 1, .value = takes_value(plan->v, plan->n), .ref = ln->ref,
                     .note = ln->note};
        rc = mv_put(p, &m, &mv);
    }
    if (rc == TT_OK)
        rc = apply_takes(l, plan->v, plan->n, mv, "issue", p->day, ln->warehouse, ln->item,
                         ln->unit, 0);
    if (rc == TT_OK)
        rc = stock_add(l, ln->warehouse, ln->item, -ln->qty);
    if (rc == TT_OK)
        rc = replay(p, &rk, mv);
    if (rc == TT_OK)
        *first = mv;
    rekeys_free(&rk);
    return rc;
}

static tt_err_t post_transfer(post_t *p, const tt_ledger_line_t *ln, int line, int64_t *first)
{
    tt_ledger_t *l = p->l;
    takes_t *plan = &l->plan;
    rekeys_t rk = {0};
    linectx_t c, to;
    tt_qty_t got = 0, next;
    int64_t mv = 0;
    tt_err_t rc;

    rc = line_ctx(l, ln->item, ln->warehouse, ln->unit, &c);
    if (rc == TT_OK)
        rc = line_ctx(l, ln->item, ln->to_wh, "", &to);
    if (rc == TT_OK)
        rc = check_master(p, "", ln, &c);
    if (rc != TT_OK)
        return rc;
    if ((p->master & M_WAREHOUSE) && !to.wh_known)
        return bad(p, "warehouse %s: not in master data", ln->to_wh);
    if (ln->qty > c.stock)
        return short_stock(p, ln->item, ln->warehouse, c.stock, ln->qty);
    if (tt_qty_add(to.stock, ln->qty, &next) != TT_OK || next > INT64_MAX / 2) {
        say(p->reason, p->rlen, "quantity overflow for %s in %s", ln->item, ln->to_wh);
        return TT_ERR_RANGE;
    }
    rc = maybe_undo(p, &rk, ln->warehouse, ln->item, &c);
    if (rc == TT_OK)
        rc = maybe_undo(p, &rk, ln->to_wh, ln->item, &to);
    plan->n = 0;
    if (rc == TT_OK) {
        rc = plan_fifo(l, ln->warehouse, ln->item, ln->qty, plan, 0, &got);
        if (rc == TT_ERR_STOCK)
            rc = short_stock(p, ln->item, ln->warehouse, got, ln->qty);
    }
    if (rc == TT_OK) {
        mvrow_t m = {.kind = "transfer", .line = line, .event = 1, .wh = ln->warehouse,
                     .to_wh = ln->to_wh, .unit = ln->unit, .item = ln->item, .has_qty = 1,
                     .qty = ln->qty, .has_value = 1, .value = takes_value(plan->v, plan->n),
                     .ref = ln->ref, .note = ln->note};
        rc = mv_put(p, &m, &mv);
    }
    if (rc == TT_OK)
        rc = apply_takes(l, plan->v, plan->n, mv, "transfer", p->day, ln->warehouse, ln->item,
                         ln->unit, 0);
    /* Each part becomes a lot of its own in to_wh: the same receipt, FIFO
     * key, category and price. */
    for (size_t i = 0; i < plan->n && rc == TT_OK; i++) {
        const take_t *t = &plan->v[i];
        sqlite3_stmt *s = st(l, Q_LOT_CHILD);
        int64_t child;
        sqlite3_bind_int64(s, 1, mv);
        bind_text(s, 2, ln->to_wh);
        sqlite3_bind_int64(s, 3, t->qty);
        sqlite3_bind_int64(s, 4, t->value);
        sqlite3_bind_int64(s, 5, t->lot);
        rc = run(l, Q_LOT_CHILD);
        if (rc != TT_OK)
            break;
        child = sqlite3_last_insert_rowid(l->sq);
        s = st(l, Q_OPEN_PUT);
        bind_text(s, 1, ln->to_wh);
        bind_text(s, 2, ln->item);
        bind_text(s, 3, t->fifo_day);
        sqlite3_bind_int64(s, 4, t->fifo_seq);
        sqlite3_bind_int64(s, 5, child);
        sqlite3_bind_int64(s, 6, t->qty);
        sqlite3_bind_int64(s, 7, t->value);
        rc = run(l, Q_OPEN_PUT);
    }
    if (rc == TT_OK)
        rc = stock_add(l, ln->warehouse, ln->item, -ln->qty);
    if (rc == TT_OK)
        rc = stock_add(l, ln->to_wh, ln->item, ln->qty);
    if (rc == TT_OK)
        rc = replay(p, &rk, mv);
    if (rc == TT_OK)
        *first = mv;
    rekeys_free(&rk);
    return rc;
}

/* Plans a stock-back of `qty`: issue allocations of the item to the unit
 * from the line's warehouse (of document ln->ref only, when given), dated
 * up to the post's day, newest first, each giving back at most what is
 * left of it at the price it left at. */
static tt_err_t plan_stockback(post_t *p, const tt_ledger_line_t *ln, takes_t *out,
                               tt_qty_t *got)
{
    tt_ledger_t *l = p->l;
    sqlite3_stmt *s = st(l, Q_SB_CANDIDATES);
    tt_qty_t need = ln->qty;
    int rc = SQLITE_DONE;

    bind_text(s, 1, ln->item);
    bind_text(s, 2, p->day);
    bind_text(s, 3, ln->unit);
    bind_text(s, 4, ln->warehouse);
    bind_opt(s, 5, ln->ref);
    while (need > 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        tt_qty_t aq = sqlite3_column_int64(s, 3), gq = sqlite3_column_int64(s, 7);
        tt_fen_t av = sqlite3_column_int64(s, 4), gv = sqlite3_column_int64(s, 8);
        take_t *t;
        if (sqlite3_column_int(s, 9) || gq >= aq)
            continue;   /* re-allocated away, or all given back */
        t = push_take(out);
        if (!t) {
            done(s);
            return TT_ERR_NOMEM;
        }
        t->alloc = sqlite3_column_int64(s, 0);
        t->issue = sqlite3_column_int64(s, 1);
        t->lot = sqlite3_column_int64(s, 2);
        copy_col(t->receipt_doc, sizeof t->receipt_doc, s, 5);
        copy_col(t->category, sizeof t->category, s, 6);
        t->qty = need < aq - gq ? need : aq - gq;
        t->value = t->qty == aq - gq ? av - gv : part(av, t->qty, aq);
        need -= t->qty;
    }
    done(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(l);
    *got = ln->qty - need;
    return need > 0 ? TT_ERR_STOCK : TT_OK;
}

static tt_err_t post_stockback(post_t *p, const tt_ledger_line_t *ln, int line, int64_t *first)
{
    tt_ledger_t *l = p->l;
    takes_t *plan = &l->plan;
    rekeys_t rk = {0};
    linectx_t c;
    tt_qty_t got = 0, next;
    int64_t mv = 0;
    tt_err_t rc;

    rc = line_ctx(l, ln->item, ln->warehouse, ln->unit, &c);
    if (rc == TT_OK)
        rc = check_master(p, "", ln, &c);
    if (rc != TT_OK)
        return rc;
    if (tt_qty_add(c.stock, ln->qty, &next) != TT_OK || next > INT64_MAX / 2) {
        say(p->reason, p->rlen, "quantity overflow for %s in %s", ln->item, ln->warehouse);
        return TT_ERR_RANGE;
    }
    plan->n = 0;
    rc = plan_stockback(p, ln, plan, &got);
    if (rc == TT_ERR_STOCK) {
        char g[TT_MONEY_TEXT_MAX], s[TT_MONEY_TEXT_MAX];
        fmt_qty(got, g, sizeof g);
        fmt_qty(ln->qty - got, s, sizeof s);
        return bad(p, "only %s of %s issued to %s from %s%s%s up to %s is not yet given back: "
                      "short %s", g, ln->item, ln->unit, ln->warehouse,
                   ln->ref[0] ? " on " : "", ln->ref, p->day, s);
    }
    if (rc == TT_OK)
        rc = maybe_undo(p, &rk, ln->warehouse, ln->item, &c);
    if (rc == TT_OK) {
        mvrow_t m = {.kind = "stockback", .line = line, .event = 1, .wh = ln->warehouse,
                     .unit = ln->unit, .item = ln->item, .has_qty = 1, .qty = ln->qty,
                     .has_value = 1, .value = takes_value(plan->v, plan->n), .ref = ln->ref,
                     .note = ln->note};
        rc = mv_put(p, &m, &mv);
    }
    for (size_t i = 0; i < plan->n && rc == TT_OK; i++) {
        const take_t *t = &plan->v[i];
        rc = alloc_put(l, mv, t, -1, t->alloc, "stockback", p->day, ln->warehouse, ln->item,
                       ln->unit);
        if (rc == TT_OK)
            rc = agg_take(l, t->issue, t, 1, p->day, ln->warehouse, ln->unit, ln->item,
                          -t->qty, -t->value);
        if (rc == TT_OK)
            rc = open_give(l, t->lot, t->qty, t->value);
    }
    if (rc == TT_OK)
        rc = stock_add(l, ln->warehouse, ln->item, ln->qty);
    if (rc == TT_OK)
        rc = replay(p, &rk, mv);
    if (rc == TT_OK)
        *first = mv;
    rekeys_free(&rk);
    return rc;
}

/* Old-item returns, exclusions and counts change no stock. */
static tt_err_t post_other(post_t *p, const tt_ledger_line_t *ln, int line, int64_t *first)
{
    tt_ledger_t *l = p->l;
    linectx_t c;
    mvrow_t m = {.kind = kind_name(ln->kind), .line = line, .event = 1, .wh = ln->warehouse,
                 .unit = ln->unit, .item = ln->item, .has_qty = 1, .qty = ln->qty,
                 .ref = ln->ref, .note = ln->note};
    tt_err_t rc;

    rc = line_ctx(l, ln->item, ln->warehouse, ln->unit, &c);
    if (rc == TT_OK)
        rc = check_master(p, "", ln, &c);
    if (rc != TT_OK)
        return rc;
    if (ln->kind == TT_LEDGER_COUNT) {
        m.has_book = 1;
        m.book = c.stock;
    }
    rc = mv_put(p, &m, first);
    if (rc == TT_OK && ln->kind == TT_LEDGER_OLD_RETURN)
        rc = agg_return(l, p->month, ln->unit, ln->item, ln->qty, 0);
    if (rc == TT_OK && ln->kind == TT_LEDGER_EXCLUSION)
        rc = agg_return(l, p->month, ln->unit, ln->item, 0, ln->qty);
    return rc;
}

static tt_err_t post_line(post_t *p, const tt_ledger_line_t *ln, int line, int64_t *first)
{
    tt_err_t rc = check_fields(p, ln);
    if (rc != TT_OK)
        return rc;
    switch (ln->kind) {
    case TT_LEDGER_RECEIPT: return post_receipt(p, ln, line, first);
    case TT_LEDGER_ISSUE: return post_issue(p, ln, line, first);
    case TT_LEDGER_TRANSFER: return post_transfer(p, ln, line, first);
    case TT_LEDGER_STOCKBACK: return post_stockback(p, ln, line, first);
    default: return post_other(p, ln, line, first);
    }
}

/* Posts lines[0..n) as document p->doc numbered from line `line0`; the
 * caller checked the day and owns the savepoint.  A refusal's reason gets
 * "line N: " in front for office documents. */
static tt_err_t post_lines(post_t *p, const tt_ledger_line_t *lines, size_t n, int line0,
                           int64_t *first)
{
    tt_err_t rc = TT_OK;

    for (size_t i = 0; i < n && rc == TT_OK; i++) {
        int64_t mv = 0;
        if (p->reason && p->rlen)
            p->reason[0] = '\0';
        rc = post_line(p, &lines[i], line0 + (int)i, &mv);
        if (rc == TT_OK && i == 0)
            *first = mv;
        if (rc != TT_OK && p->office && p->reason && p->rlen) {
            char *copy = strdup(p->reason);
            if (copy) {
                snprintf(p->reason, p->rlen, "line %zu: %s", i + 1, copy);
                free(copy);
            }
        }
        if ((rc == TT_ERR_DB || rc == TT_ERR_FULL) && p->reason && p->rlen && !p->reason[0])
            say(p->reason, p->rlen, "the store failed: %s", sqlite3_errmsg(p->l->sq));
    }
    return rc;
}

/* Checks the day of a post: valid and in an open month. */
static tt_err_t post_day(post_t *p, const char *day)
{
    char closed[MONTH_SZ];
    tt_err_t rc;

    if (!day_valid(day)) {
        say(p->reason, p->rlen, "day: '%.16s' is not a date (YYYY-MM-DD)", day ? day : "");
        return TT_ERR_INVAL;
    }
    p->day = day;
    memcpy(p->month, day, 7);
    p->month[7] = '\0';
    rc = doc_ctx(p->l, &p->master, closed);
    if (rc != TT_OK)
        return rc;
    if (closed[0] && strncmp(day, closed, 7) <= 0) {
        say(p->reason, p->rlen, "%s is in a closed period (closed through %s)", day, closed);
        return TT_ERR_CLOSED;
    }
    return TT_OK;
}

tt_err_t tt_ledger_post(tt_ledger_t *l, const tt_ledger_doc_t *doc, int64_t now_ms,
                        tt_ledger_result_t *res, char *reason, size_t rlen)
{
    post_t p;
    char number[DOC_SZ];
    int64_t first = 0;
    tt_err_t rc;

    memset(&p, 0, sizeof p);
    p.l = l;
    p.office = 1;
    p.now = now_ms;
    p.reason = reason;
    p.rlen = rlen;
    if (reason && rlen)
        reason[0] = '\0';
    if (res)
        memset(res, 0, sizeof *res);
    if (!doc || !doc->lines || doc->nlines == 0 || doc->nlines > TT_LEDGER_LINES_MAX) {
        say(reason, rlen, "a document has 1 to %d lines", TT_LEDGER_LINES_MAX);
        return TT_ERR_INVAL;
    }
    if (!kind_name(doc->lines[0].kind)) {
        say(reason, rlen, "line 1: unknown kind");
        return TT_ERR_INVAL;
    }
    for (size_t i = 1; i < doc->nlines; i++) {
        if (doc->lines[i].kind != doc->lines[0].kind) {
            say(reason, rlen, "line %zu: a document's lines are all of one kind", i + 1);
            return TT_ERR_INVAL;
        }
    }
    if (!id_ok(doc->operator_id)) {
        say(reason, rlen, "operator: %s", doc->operator_id[0] ? "not a valid id" : "missing");
        return TT_ERR_INVAL;
    }
    if (doc->approver[0] && !id_ok(doc->approver)) {
        say(reason, rlen, "approver: not a valid id");
        return TT_ERR_INVAL;
    }
    if (doc->doc[0] && (!memchr(doc->doc, '\0', sizeof doc->doc) ||
                        !tt_event_code_valid(doc->doc))) {
        say(reason, rlen, "doc: not a valid document number");
        return TT_ERR_INVAL;
    }
    p.operator_id = doc->operator_id;
    p.approver = doc->approver;
    rc = post_day(&p, doc->day);
    if (rc != TT_OK)
        return rc;
    rc = sp_begin(l);
    if (rc != TT_OK)
        return rc;
    if (doc->doc[0]) {
        snprintf(number, sizeof number, "%s", doc->doc);
    } else {
        int64_t id = 0;
        rc = next_id(l, &id);
        snprintf(number, sizeof number, "%s.%lld", kind_prefix(doc->lines[0].kind),
                 (long long)id);
    }
    p.doc = number;
    if (rc == TT_OK)
        rc = post_lines(&p, doc->lines, doc->nlines, 1, &first);
    rc = sp_end(l, rc);
    if (rc == TT_OK && res) {
        snprintf(res->doc, sizeof res->doc, "%s", number);
        res->first_movement = first;
        res->reallocated = p.reallocated;
    }
    return rc;
}

tt_err_t tt_ledger_apply_event(tt_ledger_t *l, const char *terminal, const tt_event_t *ev,
                               const char *day, int64_t now_ms, char *reason, size_t rlen)
{
    const tt_event_stock_t *b = &ev->body.stock;
    tt_ledger_line_t ln;
    post_t p;
    char number[DOC_SZ];
    uint64_t first_seq = ev->seq;
    int line = 1;
    int64_t first = 0;
    tt_err_t rc;

    if (reason && rlen)
        reason[0] = '\0';
    memset(&ln, 0, sizeof ln);
    switch (ev->type) {
    case TT_EVENT_RECEIVE: ln.kind = TT_LEDGER_RECEIPT; break;
    case TT_EVENT_ISSUE: ln.kind = TT_LEDGER_ISSUE; break;
    case TT_EVENT_TRANSFER: ln.kind = TT_LEDGER_TRANSFER; break;
    case TT_EVENT_RETURN: ln.kind = TT_LEDGER_OLD_RETURN; break;
    case TT_EVENT_COUNT: ln.kind = TT_LEDGER_COUNT; break;
    default:
        say(reason, rlen, "a %s event is not the ledger's",
            tt_event_type_name(ev->type) ? tt_event_type_name(ev->type) : "unknown");
        return TT_ERR_INVAL;
    }
    if (!id_ok(terminal) || !id_ok(ev->operator_id)) {
        say(reason, rlen, "terminal or operator: not a valid id");
        return TT_ERR_INVAL;
    }
    if (b->lines) {
        if (b->line < 1 || b->line > b->lines || (uint64_t)b->line > ev->seq) {
            say(reason, rlen, "line %u of %u: not a line of a document", b->line, b->lines);
            return TT_ERR_INVAL;
        }
        line = b->line;
        first_seq = ev->seq - b->line + 1;
    }
    snprintf(ln.warehouse, sizeof ln.warehouse, "%s", b->warehouse);
    snprintf(ln.item, sizeof ln.item, "%s", b->item);
    snprintf(ln.unit, sizeof ln.unit, "%s", b->unit);
    ln.qty = b->qty;
    if (ln.kind == TT_LEDGER_RECEIPT) {
        ln.source = TT_LEDGER_PURCHASE;
        snprintf(ln.plan_serial, sizeof ln.plan_serial, "%s", b->ref);   /* the plan serial */
    } else {
        snprintf(ln.ref, sizeof ln.ref, "%s", b->ref);
    }
    if (ln.kind == TT_LEDGER_TRANSFER)
        snprintf(ln.to_wh, sizeof ln.to_wh, "%s", b->to);

    memset(&p, 0, sizeof p);
    p.l = l;
    p.office = 0;
    p.terminal = terminal;
    p.seq = ev->seq;
    p.now = now_ms;
    p.reason = reason;
    p.rlen = rlen;
    p.operator_id = ev->operator_id;
    p.approver = "";
    snprintf(number, sizeof number, "%s-%llu", terminal, (unsigned long long)first_seq);
    p.doc = number;
    rc = post_day(&p, day);
    if (rc != TT_OK)
        return rc;
    if (ln.kind == TT_LEDGER_RECEIPT) {
        /* A terminal has no price: the item's standard price (矿报标准). */
        linectx_t c;
        rc = line_ctx(l, ln.item, ln.warehouse, ln.unit, &c);
        if (rc != TT_OK)
            return rc;
        ln.unit_price = c.item_known ? c.price : 0;
        if (ln.unit_price > TT_LEDGER_VALUE_MAX)
            ln.unit_price = TT_LEDGER_VALUE_MAX;
    }
    rc = sp_begin(l);
    if (rc != TT_OK)
        return rc;
    rc = post_lines(&p, &ln, 1, line, &first);
    return sp_end(l, rc);
}

/* --- periods ------------------------------------------------------------------- */

tt_err_t tt_ledger_close_period(tt_ledger_t *l, const char *month, const char *by,
                                int64_t now_ms, char *reason, size_t rlen)
{
    char today[DAY_SZ] = "", closed[MONTH_SZ], from[DAY_SZ], to[DAY_SZ], first[DAY_SZ];
    sqlite3_stmt *s;
    unsigned master;
    tt_err_t rc;

    if (reason && rlen)
        reason[0] = '\0';
    if (!month_valid(month)) {
        say(reason, rlen, "'%.16s' is not a month (YYYY-MM)", month ? month : "");
        return TT_ERR_INVAL;
    }
    if (!id_ok(by)) {
        say(reason, rlen, "by: who closes it is missing or not a valid id");
        return TT_ERR_INVAL;
    }
    if (tt_ledger_day(now_ms, today) != TT_OK || strncmp(month, today, 7) >= 0) {
        say(reason, rlen, "%s has not ended yet (today is %s)", month, today);
        return TT_ERR_INVAL;
    }
    rc = doc_ctx(l, &master, closed);
    if (rc != TT_OK)
        return rc;
    if (closed[0] && strcmp(month, closed) <= 0) {
        say(reason, rlen, "%s is closed already (closed through %s)", month, closed);
        return TT_ERR_EXISTS;
    }
    /* Every earlier month with movements must be closed already. */
    if (closed[0])
        next_month_day(closed, from);
    else
        snprintf(from, sizeof from, "0000-00-00");
    snprintf(to, sizeof to, "%.7s-01", month);
    s = st(l, Q_FIRST_DAY);
    bind_text(s, 1, from);
    bind_text(s, 2, to);
    rc = row(l, Q_FIRST_DAY);
    first[0] = '\0';
    if (rc == TT_OK)
        copy_col(first, sizeof first, s, 0);
    done(s);
    if (rc != TT_OK)
        return rc == TT_ERR_NOTFOUND ? TT_ERR_DB : rc;
    if (first[0]) {
        say(reason, rlen, "%.7s has movements and is still open: close it first", first);
        return TT_ERR_INVAL;
    }
    s = st(l, Q_PERIOD_PUT);
    bind_text(s, 1, month);
    bind_text(s, 2, by);
    sqlite3_bind_int64(s, 3, now_ms);
    return run(l, Q_PERIOD_PUT);
}

/* --- marks, tags, resolutions ---------------------------------------------------- */

/* The kind (kind[16]) and day of movement `mv`: TT_ERR_NOTFOUND without. */
static tt_err_t movement_get(tt_ledger_t *l, int64_t mv, char kind[16], char day[DAY_SZ])
{
    sqlite3_stmt *s = st(l, Q_MV_GET);
    tt_err_t rc;
    sqlite3_bind_int64(s, 1, mv);
    rc = row(l, Q_MV_GET);
    if (rc == TT_OK) {
        copy_col(kind, 16, s, 0);
        copy_col(day, DAY_SZ, s, 1);
    }
    done(s);
    return rc;
}

/* Moves what (movement, lot) contributes to agg_issue under mark
 * `category`. */
static tt_err_t mark_move(tt_ledger_t *l, int64_t mv, int64_t lot, const char *category)
{
    typedef struct {
        char day[DAY_SZ], wh[ID_SZ], unit[ID_SZ], item[CODE_SZ], cat[ID_SZ];
        tt_qty_t qty;
        tt_fen_t value;
    } group_t;
    sqlite3_stmt *s = st(l, Q_MARK_GROUPS);
    group_t *g = NULL;
    size_t n = 0, cap = 0;
    tt_err_t rc = TT_OK;
    int step;

    sqlite3_bind_int64(s, 1, mv);
    sqlite3_bind_int64(s, 2, lot);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            group_t *v = realloc(g, nc * sizeof *v);
            if (!v) {
                rc = TT_ERR_NOMEM;
                break;
            }
            g = v;
            cap = nc;
        }
        copy_col(g[n].day, sizeof g[n].day, s, 0);
        copy_col(g[n].wh, sizeof g[n].wh, s, 1);
        copy_col(g[n].unit, sizeof g[n].unit, s, 2);
        copy_col(g[n].item, sizeof g[n].item, s, 3);
        copy_col(g[n].cat, sizeof g[n].cat, s, 4);
        g[n].qty = sqlite3_column_int64(s, 5);
        g[n].value = sqlite3_column_int64(s, 6);
        n++;
    }
    done(s);
    if (rc == TT_OK && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = fail(l);
    for (size_t i = 0; i < n && rc == TT_OK; i++) {
        if (g[i].qty == 0 && g[i].value == 0)
            continue;
        rc = agg_issue(l, g[i].day, g[i].wh, g[i].unit, g[i].item, g[i].cat, 0, -g[i].qty,
                       -g[i].value);
        if (rc == TT_OK)
            rc = agg_issue(l, g[i].day, g[i].wh, g[i].unit, g[i].item, category, 1, g[i].qty,
                           g[i].value);
    }
    free(g);
    return rc;
}

tt_err_t tt_ledger_mark_safety(tt_ledger_t *l, int64_t movement, int64_t lot,
                               const char *category, const char *reason_text,
                               const char *approver, const char *by, int64_t now_ms,
                               char *reason, size_t rlen)
{
    char kind[16], day[DAY_SZ], closed[MONTH_SZ], lotcat[ID_SZ];
    sqlite3_stmt *s;
    unsigned master;
    int64_t rows = 0;
    tt_qty_t net = 0;
    tt_err_t rc;

    if (reason && rlen)
        reason[0] = '\0';
    if (!approver || !approver[0] || !id_ok(approver)) {
        say(reason, rlen, "approver: marking an allocation as used for safety needs who "
                          "approved it");
        return TT_ERR_INVAL;
    }
    if (!text_ok(reason_text, TT_LEDGER_TEXT_MAX)) {
        say(reason, rlen, "reason: why it was used for safety is missing or too long");
        return TT_ERR_INVAL;
    }
    if (!id_ok(by)) {
        say(reason, rlen, "by: missing or not a valid id");
        return TT_ERR_INVAL;
    }
    if (!id_ok(category)) {
        say(reason, rlen, "category: missing");
        return TT_ERR_INVAL;
    }
    bind_text(st(l, Q_CATEGORY), 1, category);
    rc = exists(l, Q_CATEGORY);
    if (rc == TT_ERR_NOTFOUND) {
        say(reason, rlen, "category '%s' is not a safety-expense category code", category);
        return TT_ERR_INVAL;
    }
    if (rc != TT_OK)
        return rc;
    rc = movement_get(l, movement, kind, day);
    if (rc == TT_OK && strcmp(kind, "issue") != 0)
        rc = TT_ERR_NOTFOUND;
    if (rc == TT_OK) {
        s = st(l, Q_MARK_ALLOC);
        sqlite3_bind_int64(s, 1, movement);
        sqlite3_bind_int64(s, 2, lot);
        rc = row(l, Q_MARK_ALLOC);
        if (rc == TT_OK) {
            rows = sqlite3_column_int64(s, 0);
            net = sqlite3_column_int64(s, 1);
        }
        done(s);
        if (rc == TT_OK && (rows == 0 || net <= 0))
            rc = TT_ERR_NOTFOUND;
    }
    if (rc == TT_ERR_NOTFOUND) {
        say(reason, rlen, "issue movement %lld has no allocation from lot %lld",
            (long long)movement, (long long)lot);
        return rc;
    }
    if (rc != TT_OK)
        return rc;
    rc = doc_ctx(l, &master, closed);
    if (rc != TT_OK)
        return rc;
    if (closed[0] && strncmp(day, closed, 7) <= 0) {
        say(reason, rlen, "the issue is dated %s, in a closed period", day);
        return TT_ERR_CLOSED;
    }
    s = st(l, Q_LOT_CATEGORY);
    sqlite3_bind_int64(s, 1, lot);
    rc = row(l, Q_LOT_CATEGORY);
    if (rc == TT_OK)
        copy_col(lotcat, sizeof lotcat, s, 0);
    done(s);
    if (rc != TT_OK)
        return rc == TT_ERR_NOTFOUND ? TT_ERR_DB : rc;
    if (lotcat[0]) {
        say(reason, rlen, "lot %lld was received as safety (%s) already", (long long)lot,
            lotcat);
        return TT_ERR_INVAL;
    }
    s = st(l, Q_MARK_GET);
    sqlite3_bind_int64(s, 1, movement);
    sqlite3_bind_int64(s, 2, lot);
    rc = exists(l, Q_MARK_GET);
    if (rc == TT_OK) {
        say(reason, rlen, "the allocation is marked already");
        return TT_ERR_EXISTS;
    }
    if (rc != TT_ERR_NOTFOUND)
        return rc;
    rc = sp_begin(l);
    if (rc != TT_OK)
        return rc;
    s = st(l, Q_MARK_PUT);
    sqlite3_bind_int64(s, 1, movement);
    sqlite3_bind_int64(s, 2, lot);
    bind_text(s, 3, category);
    bind_text(s, 4, reason_text);
    bind_text(s, 5, approver);
    bind_text(s, 6, by);
    sqlite3_bind_int64(s, 7, now_ms);
    rc = run(l, Q_MARK_PUT);
    if (rc == TT_OK)
        rc = mark_move(l, movement, lot, category);
    return sp_end(l, rc);
}

tt_err_t tt_ledger_tag_expense(tt_ledger_t *l, int64_t movement, const char *tag,
                               const char *by, int64_t now_ms, char *reason, size_t rlen)
{
    char kind[16], day[DAY_SZ];
    sqlite3_stmt *s;
    tt_err_t rc;

    if (reason && rlen)
        reason[0] = '\0';
    if (!text_ok(tag, TT_LEDGER_TEXT_MAX)) {
        say(reason, rlen, "tag: missing or too long");
        return TT_ERR_INVAL;
    }
    if (!id_ok(by)) {
        say(reason, rlen, "by: missing or not a valid id");
        return TT_ERR_INVAL;
    }
    rc = movement_get(l, movement, kind, day);
    if (rc == TT_ERR_NOTFOUND) {
        say(reason, rlen, "no movement %lld", (long long)movement);
        return rc;
    }
    if (rc != TT_OK)
        return rc;
    if (strcmp(kind, "issue") != 0) {
        say(reason, rlen, "movement %lld is a %s, not an issue", (long long)movement, kind);
        return TT_ERR_INVAL;
    }
    sqlite3_bind_int64(st(l, Q_TAG_GET), 1, movement);
    rc = exists(l, Q_TAG_GET);
    if (rc == TT_OK) {
        say(reason, rlen, "movement %lld is tagged already", (long long)movement);
        return TT_ERR_EXISTS;
    }
    if (rc != TT_ERR_NOTFOUND)
        return rc;
    s = st(l, Q_TAG_PUT);
    sqlite3_bind_int64(s, 1, movement);
    bind_text(s, 2, tag);
    bind_text(s, 3, by);
    sqlite3_bind_int64(s, 4, now_ms);
    return run(l, Q_TAG_PUT);
}

tt_err_t tt_ledger_resolve(tt_ledger_t *l, const char *terminal, uint64_t seq,
                           int64_t movement, const char *by, const char *note, int64_t now_ms,
                           char *reason, size_t rlen)
{
    char status[16] = "", kind[16], day[DAY_SZ];
    sqlite3_stmt *s;
    tt_err_t rc;

    if (reason && rlen)
        reason[0] = '\0';
    if (!text_ok(note, TT_LEDGER_TEXT_MAX)) {
        say(reason, rlen, "note: how it was settled is missing or too long");
        return TT_ERR_INVAL;
    }
    if (!id_ok(by)) {
        say(reason, rlen, "by: missing or not a valid id");
        return TT_ERR_INVAL;
    }
    if (!id_ok(terminal) || seq == 0 || seq > TT_EVENT_SEQ_MAX || movement < 0) {
        say(reason, rlen, "no refused event %.32s %llu", terminal ? terminal : "",
            (unsigned long long)seq);
        return TT_ERR_NOTFOUND;
    }
    s = st(l, Q_EVENT_STATUS);
    bind_text(s, 1, terminal);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
    rc = row(l, Q_EVENT_STATUS);
    if (rc == TT_OK)
        copy_col(status, sizeof status, s, 0);
    done(s);
    if (rc == TT_OK && strcmp(status, "rejected") != 0)
        rc = TT_ERR_NOTFOUND;
    if (rc == TT_ERR_NOTFOUND) {
        say(reason, rlen, "no refused event %s %llu", terminal, (unsigned long long)seq);
        return rc;
    }
    if (rc != TT_OK)
        return rc;
    if (movement) {
        rc = movement_get(l, movement, kind, day);
        if (rc == TT_ERR_NOTFOUND) {
            say(reason, rlen, "no movement %lld", (long long)movement);
            return rc;
        }
        if (rc != TT_OK)
            return rc;
    }
    s = st(l, Q_RES_GET);
    bind_text(s, 1, terminal);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
    rc = exists(l, Q_RES_GET);
    if (rc == TT_OK) {
        say(reason, rlen, "event %s %llu is settled already", terminal, (unsigned long long)seq);
        return TT_ERR_EXISTS;
    }
    if (rc != TT_ERR_NOTFOUND)
        return rc;
    s = st(l, Q_RES_PUT);
    bind_text(s, 1, terminal);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
    if (movement)
        sqlite3_bind_int64(s, 3, movement);
    bind_text(s, 4, by);
    bind_text(s, 5, note);
    sqlite3_bind_int64(s, 6, now_ms);
    return run(l, Q_RES_PUT);
}
