/*
 * lots: the ledger's lot store (see lots.h; rules: docs/ledger.md).
 *
 * Every statement is prepared once (tt_lots_open).  A FIFO draw is one
 * indexed read of lot_open in FIFO order, stopped as soon as the quantity is
 * found, then per lot drawn an allocation row, a lot_open update and, for an
 * issue, an agg_issue upsert: none of them scans.
 *
 * Values are split in 128-bit arithmetic: a lot's value times a quantity
 * can exceed 64 bits even though each fits a line.
 */
#include "lots.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stmt.h"

__extension__ typedef __int128 i128;

#define ID_SZ (TT_EVENT_ID_MAX + 1)
#define CODE_SZ (TT_EVENT_CODE_MAX + 1)
#define DOC_SZ (TT_LEDGER_DOC_MAX + 1)
#define DAY_SZ (TT_LEDGER_DAY_LEN + 1)

enum {
    Q_STOCK_GET, Q_STOCK_ADD, Q_STOCK_TAKE, Q_LOT_PUT, Q_LOT_CHILD, Q_OPEN_PUT, Q_OPEN_FIFO,
    Q_OPEN_SET, Q_OPEN_DEL, Q_OPEN_GIVE, Q_ALLOC_PUT, Q_AGG_ISSUE_ADD, Q_AGG_ISSUE_PRUNE,
    Q_AGG_RETURN_ADD, Q_MARK_OF, Q_MARK_GROUPS, Q_SB_CANDIDATES, Q_LATER_ISSUES,
    Q_LIVE_ALLOCS, Q_PINNED, Q_REALLOC_PUT,
    Q_COUNT
};

static const char *const sql_text[Q_COUNT] = {
    [Q_STOCK_GET] = "SELECT qty FROM stock WHERE warehouse = ?1 AND item = ?2",
    [Q_STOCK_ADD] = "INSERT INTO stock (warehouse, item, qty) VALUES (?1, ?2, ?3)"
                    " ON CONFLICT (warehouse, item) DO UPDATE SET qty = qty + excluded.qty",
    /* (An upsert checks qty >= 0 on the row it would insert.) */
    [Q_STOCK_TAKE] = "UPDATE stock SET qty = qty - ?3 WHERE warehouse = ?1 AND item = ?2",
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
    [Q_MARK_OF] = "SELECT category FROM safety_mark WHERE movement = ?1 AND lot = ?2",
    /* What (movement ?1, lot ?2) contributes to agg_issue: its issue rows
     * and the stock-backs of them, per agg_issue key. */
    [Q_MARK_GROUPS] =
        "SELECT r.day, r.warehouse, COALESCE(r.unit, ''), r.item, COALESCE(r.category, ''),"
        " SUM(r.qty), SUM(r.value_fen) FROM alloc r"
        " WHERE (r.movement = ?1 AND r.lot = ?2 AND r.kind = 'issue')"
        " OR (r.kind = 'stockback' AND r.reverses IN (SELECT id FROM alloc"
        "   WHERE movement = ?1 AND lot = ?2 AND kind = 'issue'))"
        " GROUP BY r.day, r.warehouse, r.unit, r.item, r.category",
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
    [Q_REALLOC_PUT] = "INSERT INTO realloc (movement, cause, old_value_fen, new_value_fen,"
                      " server_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
};

/* An issue movement a backdated line re-allocates. */
typedef struct {
    int64_t id;
    char day[DAY_SZ];
    char unit[ID_SZ];
    char doc[DOC_SZ];
    tt_qty_t qty;            /* 0: pinned by a stock-back, left as it is */
    tt_lots_takes_t old;     /* its allocations before */
} redo_t;

/* A (warehouse, item) whose later issues a line re-allocates. */
struct tt_lots_rekey {
    char wh[ID_SZ];
    char item[CODE_SZ];
    redo_t *v;
    size_t n, cap;
};
typedef struct tt_lots_rekey rekey_t;

struct tt_lots {
    sqlite3 *sq;
    sqlite3_stmt *st[Q_COUNT];
    tt_lots_takes_t fresh;   /* a re-allocated issue's new allocations, reused */
};

/* --- small helpers ---------------------------------------------------------- */

static tt_lots_take_t *push_take(tt_lots_takes_t *t)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        tt_lots_take_t *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    return memset(&t->v[t->n++], 0, sizeof *t->v);
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

/* --- open / close ------------------------------------------------------------- */

tt_err_t tt_lots_open(tt_db_t *db, tt_lots_t **out)
{
    tt_lots_t *lots = calloc(1, sizeof *lots);

    *out = NULL;
    if (!lots)
        return TT_ERR_NOMEM;
    lots->sq = tt_db_sqlite(db);
    if (tt_stmt_prepare(lots->sq, sql_text, Q_COUNT, lots->st) != TT_OK) {
        tt_lots_close(lots);
        return TT_ERR_DB;
    }
    *out = lots;
    return TT_OK;
}

void tt_lots_close(tt_lots_t *lots)
{
    if (!lots)
        return;
    tt_stmt_finalize(lots->st, Q_COUNT);
    free(lots->fresh.v);
    free(lots);
}

/* --- stock, lots, allocations and aggregates -------------------------------- */

tt_err_t tt_lots_on_hand(tt_lots_t *lots, const char *warehouse, const char *item,
                         tt_qty_t *qty)
{
    sqlite3_stmt *s = lots->st[Q_STOCK_GET];
    tt_err_t rc;

    tt_stmt_bind_text(s, 1, warehouse);
    tt_stmt_bind_text(s, 2, item);
    rc = tt_stmt_row(s);
    *qty = rc == TT_OK ? sqlite3_column_int64(s, 0) : 0;
    tt_stmt_done(s);
    return rc == TT_ERR_NOTFOUND ? TT_OK : rc;
}

tt_err_t tt_lots_stock_add(tt_lots_t *lots, const char *warehouse, const char *item,
                           tt_qty_t delta)
{
    int q = delta >= 0 ? Q_STOCK_ADD : Q_STOCK_TAKE;
    sqlite3_stmt *s = lots->st[q];
    tt_err_t rc;
    tt_stmt_bind_text(s, 1, warehouse);
    tt_stmt_bind_text(s, 2, item);
    sqlite3_bind_int64(s, 3, delta >= 0 ? delta : -delta);
    rc = tt_stmt_run(s);
    if (rc == TT_OK && q == Q_STOCK_TAKE && sqlite3_changes(lots->sq) != 1)
        rc = TT_ERR_DB;   /* no row to take from: cannot happen */
    return rc;
}

/* A lot_open row for lot `lot`: qty units worth value, FIFO key (day, seq). */
static tt_err_t open_put(tt_lots_t *lots, const char *wh, const char *item, const char *day,
                         int64_t seq, int64_t lot, tt_qty_t qty, tt_fen_t value)
{
    sqlite3_stmt *s = lots->st[Q_OPEN_PUT];
    tt_stmt_bind_text(s, 1, wh);
    tt_stmt_bind_text(s, 2, item);
    tt_stmt_bind_text(s, 3, day);
    sqlite3_bind_int64(s, 4, seq);
    sqlite3_bind_int64(s, 5, lot);
    sqlite3_bind_int64(s, 6, qty);
    sqlite3_bind_int64(s, 7, value);
    return tt_stmt_run(s);
}

tt_err_t tt_lots_add_receipt(tt_lots_t *lots, int64_t movement, const char *doc,
                             const char *day, const char *warehouse, const char *item,
                             tt_qty_t qty, tt_fen_t value, const char *category,
                             const char *plan_serial)
{
    sqlite3_stmt *s = lots->st[Q_LOT_PUT];
    tt_err_t rc;

    sqlite3_bind_int64(s, 1, movement);
    tt_stmt_bind_text(s, 2, doc);
    tt_stmt_bind_text(s, 3, warehouse);
    tt_stmt_bind_text(s, 4, item);
    tt_stmt_bind_text(s, 5, day);
    sqlite3_bind_int64(s, 6, qty);
    sqlite3_bind_int64(s, 7, value);
    tt_stmt_bind_opt(s, 8, category);
    tt_stmt_bind_opt(s, 9, plan_serial);
    rc = tt_stmt_run(s);
    if (rc != TT_OK)
        return rc;
    return open_put(lots, warehouse, item, day, movement, sqlite3_last_insert_rowid(lots->sq),
                    qty, value);
}

tt_err_t tt_lots_add_transfer(tt_lots_t *lots, int64_t movement, const char *to_wh,
                              const char *item, const tt_lots_take_t *t, size_t n)
{
    tt_err_t rc = TT_OK;

    for (size_t i = 0; i < n && rc == TT_OK; i++) {
        sqlite3_stmt *s = lots->st[Q_LOT_CHILD];
        sqlite3_bind_int64(s, 1, movement);
        tt_stmt_bind_text(s, 2, to_wh);
        sqlite3_bind_int64(s, 3, t[i].qty);
        sqlite3_bind_int64(s, 4, t[i].value);
        sqlite3_bind_int64(s, 5, t[i].lot);
        rc = tt_stmt_run(s);
        if (rc == TT_OK)
            rc = open_put(lots, to_wh, item, t[i].fifo_day, t[i].fifo_seq,
                          sqlite3_last_insert_rowid(lots->sq), t[i].qty, t[i].value);
    }
    return rc;
}

/* An allocation row of movement mv for take t, its quantity and value times
 * `sign`, reversing allocation `reverses` (0: none). */
static tt_err_t alloc_put(tt_lots_t *lots, int64_t mv, const tt_lots_take_t *t, int sign,
                          int64_t reverses, const char *kind, const char *day, const char *wh,
                          const char *item, const char *unit)
{
    sqlite3_stmt *s = lots->st[Q_ALLOC_PUT];
    sqlite3_bind_int64(s, 1, mv);
    sqlite3_bind_int64(s, 2, t->lot);
    tt_stmt_bind_text(s, 3, t->receipt_doc);
    sqlite3_bind_int64(s, 4, sign * t->qty);
    sqlite3_bind_int64(s, 5, sign * t->value);
    if (reverses)
        sqlite3_bind_int64(s, 6, reverses);
    tt_stmt_bind_text(s, 7, kind);
    tt_stmt_bind_text(s, 8, day);
    tt_stmt_bind_text(s, 9, wh);
    tt_stmt_bind_text(s, 10, item);
    tt_stmt_bind_opt(s, 11, unit);
    tt_stmt_bind_opt(s, 12, t->category);
    return tt_stmt_run(s);
}

/* Binds agg_issue's key (day, warehouse, unit, item, category, marked) at
 * parameters 1-6. */
static void bind_agg_key(sqlite3_stmt *s, const char *day, const char *wh, const char *unit,
                         const char *item, const char *category, int marked)
{
    tt_stmt_bind_text(s, 1, day);
    tt_stmt_bind_text(s, 2, wh);
    tt_stmt_bind_text(s, 3, unit ? unit : "");
    tt_stmt_bind_text(s, 4, item);
    tt_stmt_bind_text(s, 5, category ? category : "");
    sqlite3_bind_int(s, 6, marked);
}

static tt_err_t agg_issue(tt_lots_t *lots, const char *day, const char *wh, const char *unit,
                          const char *item, const char *category, int marked, tt_qty_t qty,
                          tt_fen_t value)
{
    sqlite3_stmt *s = lots->st[Q_AGG_ISSUE_ADD];
    tt_err_t rc;

    bind_agg_key(s, day, wh, unit, item, category, marked);
    sqlite3_bind_int64(s, 7, qty);
    sqlite3_bind_int64(s, 8, value);
    rc = tt_stmt_run(s);
    if (rc != TT_OK || (qty >= 0 && value >= 0))
        return rc;
    /* Something was taken off: drop the row when nothing is left of it. */
    s = lots->st[Q_AGG_ISSUE_PRUNE];
    bind_agg_key(s, day, wh, unit, item, category, marked);
    return tt_stmt_run(s);
}

tt_err_t tt_lots_agg_return(tt_lots_t *lots, const char *month, const char *unit,
                            const char *item, tt_qty_t returned, tt_qty_t excluded)
{
    sqlite3_stmt *s = lots->st[Q_AGG_RETURN_ADD];
    tt_stmt_bind_text(s, 1, month);
    tt_stmt_bind_text(s, 2, unit);
    tt_stmt_bind_text(s, 3, item);
    sqlite3_bind_int64(s, 4, returned);
    sqlite3_bind_int64(s, 5, excluded);
    return tt_stmt_run(s);
}

/* The safety category (mark[ID_SZ]) (movement, lot) was marked for, "" if
 * it is not marked. */
static tt_err_t mark_of(tt_lots_t *lots, int64_t mv, int64_t lot, char mark[ID_SZ])
{
    sqlite3_stmt *s = lots->st[Q_MARK_OF];
    tt_err_t rc;

    sqlite3_bind_int64(s, 1, mv);
    sqlite3_bind_int64(s, 2, lot);
    rc = tt_stmt_row(s);
    mark[0] = '\0';
    if (rc == TT_OK)
        tt_stmt_copy(mark, ID_SZ, s, 0);
    tt_stmt_done(s);
    return rc == TT_ERR_NOTFOUND ? TT_OK : rc;
}

/* agg_issue for q/v of an issue allocation of (movement mv, take t),
 * dated `day`: under its mark when marked. */
static tt_err_t agg_take(tt_lots_t *lots, int64_t mv, const tt_lots_take_t *t, int check_mark,
                         const char *day, const char *wh, const char *unit, const char *item,
                         tt_qty_t q, tt_fen_t v)
{
    char mark[ID_SZ] = "";
    tt_err_t rc = check_mark ? mark_of(lots, mv, t->lot, mark) : TT_OK;
    if (rc != TT_OK)
        return rc;
    return agg_issue(lots, day, wh, unit, item, mark[0] ? mark : t->category, mark[0] != 0, q,
                     v);
}

/* lot_open after a FIFO take: what is left, or the row goes. */
static tt_err_t open_take(tt_lots_t *lots, const char *wh, const char *item,
                          const tt_lots_take_t *t)
{
    int q = t->left_qty > 0 ? Q_OPEN_SET : Q_OPEN_DEL;
    sqlite3_stmt *s = lots->st[q];
    tt_stmt_bind_text(s, 1, wh);
    tt_stmt_bind_text(s, 2, item);
    tt_stmt_bind_text(s, 3, t->fifo_day);
    sqlite3_bind_int64(s, 4, t->fifo_seq);
    sqlite3_bind_int64(s, 5, t->lot);
    if (q == Q_OPEN_SET) {
        sqlite3_bind_int64(s, 6, t->left_qty);
        sqlite3_bind_int64(s, 7, t->left_value);
    }
    return tt_stmt_run(s);
}

/* Gives q units worth v back to lot `lot`. */
static tt_err_t open_give(tt_lots_t *lots, int64_t lot, tt_qty_t q, tt_fen_t v)
{
    sqlite3_stmt *s = lots->st[Q_OPEN_GIVE];
    tt_err_t rc;
    sqlite3_bind_int64(s, 1, lot);
    sqlite3_bind_int64(s, 2, q);
    sqlite3_bind_int64(s, 3, v);
    rc = tt_stmt_run(s);
    if (rc == TT_OK && sqlite3_changes(lots->sq) != 1)
        rc = TT_ERR_DB;   /* no such lot: cannot happen */
    return rc;
}

/* --- FIFO ----------------------------------------------------------------------- */

tt_err_t tt_lots_plan_fifo(tt_lots_t *lots, const char *warehouse, const char *item,
                           tt_qty_t qty, tt_lots_takes_t *out, size_t overlay, tt_qty_t *got)
{
    sqlite3_stmt *s = lots->st[Q_OPEN_FIFO];
    size_t start = out->n;
    tt_qty_t need = qty;
    int rc = SQLITE_DONE;

    tt_stmt_bind_text(s, 1, warehouse);
    tt_stmt_bind_text(s, 2, item);
    while (need > 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t lot = sqlite3_column_int64(s, 2);
        tt_qty_t lq = sqlite3_column_int64(s, 3);
        tt_fen_t lv = sqlite3_column_int64(s, 4);
        tt_lots_take_t *t;

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
            tt_stmt_done(s);
            out->n = start;
            return TT_ERR_NOMEM;
        }
        t->lot = lot;
        tt_stmt_copy(t->fifo_day, sizeof t->fifo_day, s, 0);
        t->fifo_seq = sqlite3_column_int64(s, 1);
        t->qty = need < lq ? need : lq;
        t->value = t->qty == lq ? lv : part(lv, t->qty, lq);
        t->left_qty = lq - t->qty;
        t->left_value = lv - t->value;
        tt_stmt_copy(t->receipt_doc, sizeof t->receipt_doc, s, 5);
        tt_stmt_copy(t->category, sizeof t->category, s, 6);
        need -= t->qty;
    }
    tt_stmt_done(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        out->n = start;
        return tt_stmt_fail(lots->sq);
    }
    *got = qty - need;
    if (need > 0) {
        out->n = start;
        return TT_ERR_STOCK;
    }
    return TT_OK;
}

tt_fen_t tt_lots_value(const tt_lots_take_t *t, size_t n)
{
    tt_fen_t v = 0;
    for (size_t i = 0; i < n; i++)
        v += t[i].value;   /* parts of values that fit: cannot overflow */
    return v;
}

tt_err_t tt_lots_apply(tt_lots_t *lots, const tt_lots_take_t *t, size_t n, int64_t movement,
                       const char *kind, const char *day, const char *warehouse,
                       const char *item, const char *unit, int check_mark)
{
    int issue = strcmp(kind, "issue") == 0;
    tt_err_t rc = TT_OK;

    for (size_t i = 0; i < n && rc == TT_OK; i++) {
        rc = alloc_put(lots, movement, &t[i], 1, 0, kind, day, warehouse, item, unit);
        if (rc == TT_OK)
            rc = open_take(lots, warehouse, item, &t[i]);
        if (rc == TT_OK && issue)
            rc = agg_take(lots, movement, &t[i], check_mark, day, warehouse, unit, item,
                          t[i].qty, t[i].value);
    }
    return rc;
}

/* --- stock-backs ---------------------------------------------------------------- */

tt_err_t tt_lots_plan_stockback(tt_lots_t *lots, const char *item, const char *day,
                                const char *unit, const char *warehouse, const char *ref,
                                tt_qty_t qty, tt_lots_takes_t *out, tt_qty_t *got)
{
    sqlite3_stmt *s = lots->st[Q_SB_CANDIDATES];
    tt_qty_t need = qty;
    int rc = SQLITE_DONE;

    tt_stmt_bind_text(s, 1, item);
    tt_stmt_bind_text(s, 2, day);
    tt_stmt_bind_text(s, 3, unit);
    tt_stmt_bind_text(s, 4, warehouse);
    tt_stmt_bind_opt(s, 5, ref);
    while (need > 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        tt_qty_t aq = sqlite3_column_int64(s, 3), gq = sqlite3_column_int64(s, 7);
        tt_fen_t av = sqlite3_column_int64(s, 4), gv = sqlite3_column_int64(s, 8);
        tt_lots_take_t *t;
        if (sqlite3_column_int(s, 9) || gq >= aq)
            continue;   /* re-allocated away, or all given back */
        t = push_take(out);
        if (!t) {
            tt_stmt_done(s);
            return TT_ERR_NOMEM;
        }
        t->alloc = sqlite3_column_int64(s, 0);
        t->issue = sqlite3_column_int64(s, 1);
        t->lot = sqlite3_column_int64(s, 2);
        tt_stmt_copy(t->receipt_doc, sizeof t->receipt_doc, s, 5);
        tt_stmt_copy(t->category, sizeof t->category, s, 6);
        t->qty = need < aq - gq ? need : aq - gq;
        t->value = t->qty == aq - gq ? av - gv : part(av, t->qty, aq);
        need -= t->qty;
    }
    tt_stmt_done(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return tt_stmt_fail(lots->sq);
    *got = qty - need;
    return need > 0 ? TT_ERR_STOCK : TT_OK;
}

tt_err_t tt_lots_give_back(tt_lots_t *lots, int64_t movement, const tt_lots_take_t *t,
                           size_t n, const char *day, const char *warehouse, const char *item,
                           const char *unit)
{
    tt_err_t rc = TT_OK;

    for (size_t i = 0; i < n && rc == TT_OK; i++) {
        rc = alloc_put(lots, movement, &t[i], -1, t[i].alloc, "stockback", day, warehouse,
                       item, unit);
        if (rc == TT_OK)
            rc = agg_take(lots, t[i].issue, &t[i], 1, day, warehouse, unit, item, -t[i].qty,
                          -t[i].value);
        if (rc == TT_OK)
            rc = open_give(lots, t[i].lot, t[i].qty, t[i].value);
    }
    return rc;
}

/* --- backdating ------------------------------------------------------------------ */

static rekey_t *rekey_find(tt_lots_redo_t *rk, const char *wh, const char *item)
{
    for (size_t i = 0; i < rk->n; i++)
        if (strcmp(rk->v[i].wh, wh) == 0 && strcmp(rk->v[i].item, item) == 0)
            return &rk->v[i];
    return NULL;
}

void tt_lots_redo_free(tt_lots_redo_t *redo)
{
    for (size_t i = 0; i < redo->n; i++) {
        for (size_t j = 0; j < redo->v[i].n; j++)
            free(redo->v[i].v[j].old.v);
        free(redo->v[i].v);
    }
    free(redo->v);
    memset(redo, 0, sizeof *redo);
}

/* Loads the allocations issue `r` holds into r->old. */
static tt_err_t load_live(tt_lots_t *lots, redo_t *r)
{
    sqlite3_stmt *s = lots->st[Q_LIVE_ALLOCS];
    int rc;

    sqlite3_bind_int64(s, 1, r->id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        tt_lots_take_t *t = push_take(&r->old);
        if (!t) {
            tt_stmt_done(s);
            return TT_ERR_NOMEM;
        }
        t->alloc = sqlite3_column_int64(s, 0);
        t->lot = sqlite3_column_int64(s, 1);
        t->qty = sqlite3_column_int64(s, 2);
        t->value = sqlite3_column_int64(s, 3);
        tt_stmt_copy(t->receipt_doc, sizeof t->receipt_doc, s, 4);
        tt_stmt_copy(t->category, sizeof t->category, s, 5);
    }
    tt_stmt_done(s);
    return rc == SQLITE_DONE ? TT_OK : tt_stmt_fail(lots->sq);
}

/* The allocations of each issue undone are kept in memory (r->old), to be
 * drawn again by tt_lots_replay. */
tt_err_t tt_lots_undo_later(tt_lots_t *lots, tt_lots_redo_t *redo, const char *warehouse,
                            const char *item, const char *day)
{
    sqlite3_stmt *s = lots->st[Q_LATER_ISSUES];
    rekey_t *k;
    tt_err_t rc = TT_OK;
    int step;

    if (rekey_find(redo, warehouse, item))
        return TT_OK;
    if (redo->n == redo->cap) {
        size_t cap = redo->cap ? redo->cap * 2 : 4;
        rekey_t *v = realloc(redo->v, cap * sizeof *v);
        if (!v)
            return TT_ERR_NOMEM;
        redo->v = v;
        redo->cap = cap;
    }
    k = memset(&redo->v[redo->n++], 0, sizeof *redo->v);
    snprintf(k->wh, sizeof k->wh, "%s", warehouse);
    snprintf(k->item, sizeof k->item, "%s", item);

    tt_stmt_bind_text(s, 1, warehouse);
    tt_stmt_bind_text(s, 2, item);
    tt_stmt_bind_text(s, 3, day);
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
        tt_stmt_copy(r->day, sizeof r->day, s, 1);
        tt_stmt_copy(r->unit, sizeof r->unit, s, 2);
        r->qty = sqlite3_column_int64(s, 3);
        tt_stmt_copy(r->doc, sizeof r->doc, s, 4);
    }
    tt_stmt_done(s);
    if (rc == TT_OK && step != SQLITE_DONE)
        rc = tt_stmt_fail(lots->sq);
    for (size_t i = 0; i < k->n && rc == TT_OK; i++) {
        redo_t *r = &k->v[i];
        sqlite3_bind_int64(lots->st[Q_PINNED], 1, r->id);
        rc = tt_stmt_exists(lots->st[Q_PINNED]);
        if (rc == TT_OK) {
            r->qty = 0;   /* pinned: not re-allocated */
            continue;
        }
        if (rc != TT_ERR_NOTFOUND)
            break;
        rc = load_live(lots, r);
        for (size_t j = 0; j < r->old.n && rc == TT_OK; j++)
            rc = open_give(lots, r->old.v[j].lot, r->old.v[j].qty, r->old.v[j].value);
    }
    return rc;
}

static int same_takes(const tt_lots_takes_t *a, const tt_lots_takes_t *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].lot != b->v[i].lot || a->v[i].qty != b->v[i].qty ||
            a->v[i].value != b->v[i].value)
            return 0;
    return 1;
}

/* Re-allocates issue r of key k (its old allocations are back in lot_open)
 * after a backdated line, movement `cause`. */
static tt_err_t redo_issue(tt_lots_t *lots, const rekey_t *k, const redo_t *r, int64_t cause,
                           int64_t now_ms, size_t *reallocated, char *reason, size_t rlen)
{
    tt_lots_takes_t *f = &lots->fresh;
    tt_qty_t got = 0;
    tt_fen_t before, after;
    tt_err_t rc;

    f->n = 0;
    rc = tt_lots_plan_fifo(lots, k->wh, k->item, r->qty, f, 0, &got);
    if (rc == TT_ERR_STOCK) {
        char a[TT_MONEY_TEXT_MAX], b[TT_MONEY_TEXT_MAX];
        fmt_qty(got, a, sizeof a);
        fmt_qty(r->qty, b, sizeof b);
        tt_err_reason(reason, rlen, "the later issue %s of %s in %s would find %s of %s",
                      r->doc, k->item, k->wh, a, b);
        return rc;
    }
    if (rc != TT_OK)
        return rc;
    if (same_takes(&r->old, f)) {
        for (size_t t = 0; t < f->n && rc == TT_OK; t++)
            rc = open_take(lots, k->wh, k->item, &f->v[t]);
        return rc;
    }
    for (size_t t = 0; t < r->old.n && rc == TT_OK; t++) {
        const tt_lots_take_t *o = &r->old.v[t];
        rc = alloc_put(lots, r->id, o, -1, o->alloc, "issue", r->day, k->wh, k->item, r->unit);
        if (rc == TT_OK)
            rc = agg_take(lots, r->id, o, 1, r->day, k->wh, r->unit, k->item, -o->qty,
                          -o->value);
    }
    if (rc == TT_OK)
        rc = tt_lots_apply(lots, f->v, f->n, r->id, "issue", r->day, k->wh, k->item, r->unit,
                           1);
    before = tt_lots_value(r->old.v, r->old.n);
    after = tt_lots_value(f->v, f->n);
    if (rc == TT_OK) {
        sqlite3_stmt *s = lots->st[Q_REALLOC_PUT];
        sqlite3_bind_int64(s, 1, r->id);
        sqlite3_bind_int64(s, 2, cause);
        sqlite3_bind_int64(s, 3, before);
        sqlite3_bind_int64(s, 4, after);
        sqlite3_bind_int64(s, 5, now_ms);
        rc = tt_stmt_run(s);
    }
    if (rc == TT_OK)
        (*reallocated)++;
    return rc;
}

tt_err_t tt_lots_replay(tt_lots_t *lots, tt_lots_redo_t *redo, int64_t cause, int64_t now_ms,
                        size_t *reallocated, char *reason, size_t rlen)
{
    tt_err_t rc = TT_OK;

    for (size_t i = 0; i < redo->n && rc == TT_OK; i++) {
        const rekey_t *k = &redo->v[i];
        for (size_t j = 0; j < k->n && rc == TT_OK; j++)
            if (k->v[j].qty != 0)
                rc = redo_issue(lots, k, &k->v[j], cause, now_ms, reallocated, reason, rlen);
    }
    return rc;
}

/* --- safety marks ------------------------------------------------------------------ */

tt_err_t tt_lots_mark_move(tt_lots_t *lots, int64_t movement, int64_t lot,
                           const char *category)
{
    typedef struct {
        char day[DAY_SZ], wh[ID_SZ], unit[ID_SZ], item[CODE_SZ], cat[ID_SZ];
        tt_qty_t qty;
        tt_fen_t value;
    } group_t;
    sqlite3_stmt *s = lots->st[Q_MARK_GROUPS];
    group_t *g = NULL;
    size_t n = 0, cap = 0;
    tt_err_t rc = TT_OK;
    int step;

    sqlite3_bind_int64(s, 1, movement);
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
        tt_stmt_copy(g[n].day, sizeof g[n].day, s, 0);
        tt_stmt_copy(g[n].wh, sizeof g[n].wh, s, 1);
        tt_stmt_copy(g[n].unit, sizeof g[n].unit, s, 2);
        tt_stmt_copy(g[n].item, sizeof g[n].item, s, 3);
        tt_stmt_copy(g[n].cat, sizeof g[n].cat, s, 4);
        g[n].qty = sqlite3_column_int64(s, 5);
        g[n].value = sqlite3_column_int64(s, 6);
        n++;
    }
    tt_stmt_done(s);
    if (rc == TT_OK && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = tt_stmt_fail(lots->sq);
    for (size_t i = 0; i < n && rc == TT_OK; i++) {
        if (g[i].qty == 0 && g[i].value == 0)
            continue;
        rc = agg_issue(lots, g[i].day, g[i].wh, g[i].unit, g[i].item, g[i].cat, 0, -g[i].qty,
                       -g[i].value);
        if (rc == TT_OK)
            rc = agg_issue(lots, g[i].day, g[i].wh, g[i].unit, g[i].item, category, 1,
                           g[i].qty, g[i].value);
    }
    free(g);
    return rc;
}
