/*
 * posting: one ledger line posted as movements (see posting.h; rules:
 * docs/ledger.md).
 *
 * Every statement is prepared once (tt_posting_open).  The hot path, an
 * issue line, is: one look-up of the line's context (item, warehouse, unit,
 * stock on hand, latest issue of the item there), the FIFO read of lot_open,
 * the movement, and per lot drawn an allocation row, a lot_open update and
 * an agg_issue upsert (lots.c), then the stock row: all indexed, none
 * scanning.
 */
#include "posting.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbmaster.h"
#include "stmt.h"

#define ID_SZ (TT_EVENT_ID_MAX + 1)
#define CODE_SZ (TT_EVENT_CODE_MAX + 1)
#define DAY_SZ (TT_LEDGER_DAY_LEN + 1)

enum { Q_LINE_CTX, Q_PLAN, Q_MV_PUT, Q_COUNT };

static const char *const sql_text[Q_COUNT] = {
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
    [Q_MV_PUT] =
        "INSERT INTO movement (kind, sub, doc, line, day, origin, terminal, seq, operator,"
        " approver, warehouse, to_wh, unit, item, qty, value_fen, plan_serial, category, ref,"
        " labour_fen, material_fen, parent, note, book_qty, server_ms) VALUES (?1, ?2, ?3, ?4,"
        " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,"
        " ?23, ?24, ?25)",
};

struct tt_posting {
    tt_db_t *db;
    sqlite3 *sq;
    tt_lots_t *lots;         /* borrowed */
    sqlite3_stmt *st[Q_COUNT];
    tt_lots_takes_t plan;    /* the line's allocations, reused */
};

/* The line's context (Q_LINE_CTX). */
typedef struct {
    int item_known;
    tt_fen_t price;
    int wh_known, unit_known;
    tt_qty_t stock;
    char last_issue[DAY_SZ];  /* "" when none */
} linectx_t;

static int id_ok(const char *s)
{
    return s && tt_event_id_valid(s);
}

static void fmt_qty(tt_qty_t q, char *buf, size_t len)
{
    if (tt_qty_format(q, buf, len) < 0)
        snprintf(buf, len, "?");
}

/* --- open / close ------------------------------------------------------------- */

tt_err_t tt_posting_open(tt_db_t *db, tt_lots_t *lots, tt_posting_t **out)
{
    tt_posting_t *ps = calloc(1, sizeof *ps);

    *out = NULL;
    if (!ps)
        return TT_ERR_NOMEM;
    ps->db = db;
    ps->sq = tt_db_sqlite(db);
    ps->lots = lots;
    if (tt_stmt_prepare(ps->sq, sql_text, Q_COUNT, ps->st) != TT_OK) {
        tt_posting_close(ps);
        return TT_ERR_DB;
    }
    *out = ps;
    return TT_OK;
}

void tt_posting_close(tt_posting_t *ps)
{
    if (!ps)
        return;
    tt_stmt_finalize(ps->st, Q_COUNT);
    free(ps->plan.v);
    free(ps);
}

/* --- context and movement rows ------------------------------------------------ */

/* The context of a line of `item` in `wh` for `unit` (NULL: none) into *c.
 * Returns TT_OK, TT_ERR_FULL or TT_ERR_DB. */
static tt_err_t line_ctx(tt_posting_t *ps, const char *item, const char *wh, const char *unit,
                         linectx_t *c)
{
    sqlite3_stmt *s = ps->st[Q_LINE_CTX];
    tt_err_t rc;

    tt_stmt_bind_text(s, 1, item);
    tt_stmt_bind_text(s, 2, wh ? wh : "");
    tt_stmt_bind_text(s, 3, unit ? unit : "");
    rc = tt_stmt_row(s);
    if (rc == TT_OK) {
        c->item_known = sqlite3_column_type(s, 0) != SQLITE_NULL;
        c->price = sqlite3_column_int64(s, 0);
        c->wh_known = sqlite3_column_int(s, 1);
        c->unit_known = sqlite3_column_int(s, 2);
        c->stock = sqlite3_column_int64(s, 3);
        tt_stmt_copy(c->last_issue, sizeof c->last_issue, s, 4);
    }
    tt_stmt_done(s);
    return rc == TT_ERR_NOTFOUND ? TT_ERR_DB : rc;
}

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

/* Writes movement row *m of the document *p; *id gets its id. */
static tt_err_t mv_put(tt_posting_t *ps, const tt_posting_doc_t *p, const mvrow_t *m,
                       int64_t *id)
{
    sqlite3_stmt *s = ps->st[Q_MV_PUT];
    tt_err_t rc;

    tt_stmt_bind_text(s, 1, m->kind);
    tt_stmt_bind_opt(s, 2, m->sub);
    tt_stmt_bind_text(s, 3, p->doc);
    sqlite3_bind_int(s, 4, m->line);
    tt_stmt_bind_text(s, 5, p->day);
    tt_stmt_bind_text(s, 6, p->office ? "office" : "terminal");
    if (m->event && !p->office) {
        tt_stmt_bind_text(s, 7, p->terminal);
        sqlite3_bind_int64(s, 8, (sqlite3_int64)p->seq);
    }
    tt_stmt_bind_text(s, 9, p->operator_id);
    tt_stmt_bind_opt(s, 10, p->approver);
    tt_stmt_bind_opt(s, 11, m->wh);
    tt_stmt_bind_opt(s, 12, m->to_wh);
    tt_stmt_bind_opt(s, 13, m->unit);
    tt_stmt_bind_opt(s, 14, m->item);
    if (m->has_qty)
        sqlite3_bind_int64(s, 15, m->qty);
    if (m->has_value)
        sqlite3_bind_int64(s, 16, m->value);
    tt_stmt_bind_opt(s, 17, m->plan_serial);
    tt_stmt_bind_opt(s, 18, m->category);
    tt_stmt_bind_opt(s, 19, m->ref);
    if (m->has_cost) {
        sqlite3_bind_int64(s, 20, m->labour);
        sqlite3_bind_int64(s, 21, m->material);
    }
    if (m->parent)
        sqlite3_bind_int64(s, 22, m->parent);
    tt_stmt_bind_opt(s, 23, m->note);
    if (m->has_book)
        sqlite3_bind_int64(s, 24, m->book);
    sqlite3_bind_int64(s, 25, p->now_ms);
    rc = tt_stmt_run(s);
    if (rc == TT_OK)
        *id = sqlite3_last_insert_rowid(ps->sq);
    return rc;
}

/* Undoes later issues of (wh, item) when `c` says there are some after
 * the post's day. */
static tt_err_t maybe_undo(tt_posting_t *ps, const tt_posting_doc_t *p, tt_lots_redo_t *rk,
                           const char *wh, const char *item, const linectx_t *c)
{
    if (!c->last_issue[0] || strcmp(c->last_issue, p->day) <= 0)
        return TT_OK;
    return tt_lots_undo_later(ps->lots, rk, wh, item, p->day);
}

/* --- line checks ---------------------------------------------------------------- */

const char *tt_posting_kind_name(tt_ledger_kind_t k)
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

const char *tt_posting_kind_prefix(tt_ledger_kind_t k)
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

/* Refuses the line as invalid, saying why. */
static tt_err_t bad(const tt_posting_doc_t *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static tt_err_t bad(const tt_posting_doc_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tt_err_vreason(p->reason, p->rlen, fmt, ap);
    va_end(ap);
    return TT_ERR_INVAL;
}

/* The fields every line of `kind` needs or must not have. */
static tt_err_t check_fields(const tt_posting_doc_t *p, const tt_ledger_line_t *ln)
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
static tt_err_t check_master(const tt_posting_doc_t *p, const char *what,
                             const tt_ledger_line_t *ln, const linectx_t *c)
{
    if ((p->master & TT_POSTING_ITEMS) && !c->item_known)
        return bad(p, "%sitem %s: not in master data", what, ln->item);
    if ((p->master & TT_POSTING_WAREHOUSES) && ln->warehouse[0] && !c->wh_known)
        return bad(p, "%swarehouse %s: not in master data", what, ln->warehouse);
    if ((p->master & TT_POSTING_UNITS) && ln->unit[0] && !c->unit_known)
        return bad(p, "%sunit %s: not in master data", what, ln->unit);
    return TT_OK;
}

static tt_err_t short_stock(const tt_posting_doc_t *p, const char *item, const char *wh,
                            tt_qty_t have, tt_qty_t want)
{
    char h[TT_MONEY_TEXT_MAX], s[TT_MONEY_TEXT_MAX];
    fmt_qty(have, h, sizeof h);
    fmt_qty(want - have, s, sizeof s);
    tt_err_reason(p->reason, p->rlen, "insufficient stock of %s in %s: on hand %s, short %s",
                  item, wh, h, s);
    return TT_ERR_STOCK;
}

/* The category (category[ID_SZ], "" none) a receipt inherits from its plan
 * line. */
static tt_err_t plan_category(tt_posting_t *ps, const tt_posting_doc_t *p,
                              const tt_ledger_line_t *ln, char category[ID_SZ])
{
    sqlite3_stmt *s = ps->st[Q_PLAN];
    char item[CODE_SZ], status[16];
    tt_err_t rc;

    category[0] = '\0';
    if (!ln->plan_serial[0] || !(p->master & TT_POSTING_PLANS))
        return TT_OK;
    tt_stmt_bind_text(s, 1, ln->plan_serial);
    rc = tt_stmt_row(s);
    if (rc == TT_OK) {
        tt_stmt_copy(item, sizeof item, s, 0);
        tt_stmt_copy(category, ID_SZ, s, 1);
        tt_stmt_copy(status, sizeof status, s, 2);
    }
    tt_stmt_done(s);
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
    rc = tt_dbmaster_safety_category_exists(ps->db, category);
    if (rc == TT_ERR_NOTFOUND)
        return bad(p, "plan line %s: category '%s' is not a safety-expense category code "
                      "(S01..S11)", ln->plan_serial, category);
    return rc;
}

/* The context of line ln, whose item, warehouse and unit are checked
 * against master data. */
static tt_err_t line_known(tt_posting_t *ps, const tt_posting_doc_t *p,
                           const tt_ledger_line_t *ln, linectx_t *c)
{
    tt_err_t rc = line_ctx(ps, ln->item, ln->warehouse, ln->unit, c);
    return rc == TT_OK ? check_master(p, "", ln, c) : rc;
}

/* Refuses a line that would take the stock of `item` in `wh` (`stock` now)
 * beyond 2^62 - 1 with `qty` more: no balance or sum of balances can then
 * overflow. */
static tt_err_t room(const tt_posting_doc_t *p, tt_qty_t stock, tt_qty_t qty, const char *item,
                     const char *wh)
{
    tt_qty_t next;
    if (tt_qty_add(stock, qty, &next) == TT_OK && next <= INT64_MAX / 2)
        return TT_OK;
    tt_err_reason(p->reason, p->rlen, "quantity overflow for %s in %s", item, wh);
    return TT_ERR_RANGE;
}

/* Plans drawing the line's quantity from its warehouse, first in, first
 * out, into ps->plan. */
static tt_err_t plan_draw(tt_posting_t *ps, const tt_posting_doc_t *p,
                          const tt_ledger_line_t *ln)
{
    tt_qty_t got = 0;
    tt_err_t rc;

    ps->plan.n = 0;
    rc = tt_lots_plan_fifo(ps->lots, ln->warehouse, ln->item, ln->qty, &ps->plan, 0, &got);
    return rc == TT_ERR_STOCK ? short_stock(p, ln->item, ln->warehouse, got, ln->qty) : rc;
}

/* Ends a line whose movement mv is written (rc TT_OK): re-allocates the
 * later issues it comes before, then gives *first.  Frees *rk whatever rc
 * is. */
static tt_err_t finish(tt_posting_t *ps, tt_posting_doc_t *p, tt_lots_redo_t *rk, int64_t mv,
                       int64_t *first, tt_err_t rc)
{
    if (rc == TT_OK)
        rc = tt_lots_replay(ps->lots, rk, mv, p->now_ms, &p->reallocated, p->reason, p->rlen);
    if (rc == TT_OK)
        *first = mv;
    tt_lots_redo_free(rk);
    return rc;
}

/* --- the kinds ------------------------------------------------------------------ */

/* Checks a receipt's consumed material against master data and stock
 * (lines of one item and warehouse together), undoing later issues of
 * each where the receipt is backdated. */
static tt_err_t check_consume(tt_posting_t *ps, const tt_posting_doc_t *p,
                              const tt_ledger_line_t *ln, tt_lots_redo_t *rk)
{
    tt_err_t rc = TT_OK;

    for (size_t i = 0; i < ln->nconsume && rc == TT_OK; i++) {
        const tt_ledger_line_t *cl = &ln->consume[i];
        char what[40];
        linectx_t cc;
        tt_qty_t want = cl->qty;

        snprintf(what, sizeof what, "consume %zu: ", i + 1);
        rc = line_ctx(ps, cl->item, cl->warehouse, cl->unit, &cc);
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
            tt_err_reason(p->reason, p->rlen, "consume %zu: insufficient stock of %s in %s: "
                          "on hand %s, short %s", i + 1, cl->item, cl->warehouse, h, s);
            rc = TT_ERR_STOCK;
        }
        if (rc == TT_OK)
            rc = maybe_undo(ps, p, rk, cl->warehouse, cl->item, &cc);
    }
    return rc;
}

/* Plans the consumed material FIFO into ps->plan, consume line i's takes
 * at [starts[i], starts[i + 1]), and sums their value into *consumed. */
static tt_err_t plan_consume(tt_posting_t *ps, const tt_posting_doc_t *p,
                             const tt_ledger_line_t *ln, size_t *starts, tt_fen_t *consumed)
{
    tt_lots_takes_t *plan = &ps->plan;
    tt_err_t rc = TT_OK;

    plan->n = 0;
    for (size_t i = 0; i < ln->nconsume && rc == TT_OK; i++) {
        const tt_ledger_line_t *cl = &ln->consume[i];
        tt_qty_t got = 0;
        starts[i] = plan->n;
        rc = tt_lots_plan_fifo(ps->lots, cl->warehouse, cl->item, cl->qty, plan, plan->n, &got);
        if (rc == TT_ERR_STOCK)
            rc = short_stock(p, cl->item, cl->warehouse, got, cl->qty);
        if (rc == TT_OK)
            *consumed += tt_lots_value(plan->v + starts[i], plan->n - starts[i]);
        if (*consumed > TT_LEDGER_VALUE_MAX)
            rc = bad(p, "the consumed material is worth more than a line may be");
    }
    if (rc == TT_OK && ln->nconsume)
        starts[ln->nconsume] = plan->n;
    return rc;
}

/* Writes the consumed material planned by plan_consume: a consume movement
 * per line, child of receipt movement mv, issued to the line's unit (else
 * the receipt's, the making shop) and drawn from its lots and stock. */
static tt_err_t put_consume(tt_posting_t *ps, tt_posting_doc_t *p, const tt_ledger_line_t *ln,
                            int line, int64_t mv, const size_t *starts)
{
    const tt_lots_takes_t *plan = &ps->plan;
    tt_err_t rc = TT_OK;

    for (size_t i = 0; i < ln->nconsume && rc == TT_OK; i++) {
        const tt_ledger_line_t *cl = &ln->consume[i];
        const char *unit = cl->unit[0] ? cl->unit : ln->unit;
        size_t a = starts[i], b = starts[i + 1];
        mvrow_t m = {.kind = "consume", .line = line, .wh = cl->warehouse, .unit = unit,
                     .item = cl->item, .has_qty = 1, .qty = cl->qty, .has_value = 1,
                     .value = tt_lots_value(plan->v + a, b - a), .ref = ln->ref, .parent = mv};
        int64_t cmv;
        rc = mv_put(ps, p, &m, &cmv);
        if (rc == TT_OK)
            rc = tt_lots_apply(ps->lots, plan->v + a, b - a, cmv, "consume", p->day,
                               cl->warehouse, cl->item, unit, 0);
        if (rc == TT_OK)
            rc = tt_lots_stock_add(ps->lots, cl->warehouse, cl->item, -cl->qty);
    }
    return rc;
}

static tt_err_t post_receipt(tt_posting_t *ps, tt_posting_doc_t *p, const tt_ledger_line_t *ln,
                             int line, int64_t *first)
{
    int cost = ln->source != TT_LEDGER_PURCHASE && ln->source != TT_LEDGER_OUTSOURCED;
    tt_lots_redo_t rk = {0};
    linectx_t c;
    char category[ID_SZ];
    size_t *starts = NULL;
    tt_fen_t value = 0, consumed = 0;
    int64_t mv = 0;
    tt_err_t rc;

    rc = line_known(ps, p, ln, &c);
    if (rc == TT_OK)
        rc = plan_category(ps, p, ln, category);
    if (rc == TT_OK)
        rc = room(p, c.stock, ln->qty, ln->item, ln->warehouse);
    if (rc != TT_OK)
        return rc;
    if (!cost) {
        if (ln->has_value)
            value = ln->value;
        else if (tt_money_value(ln->unit_price, ln->qty, &value) != TT_OK ||
                 value > TT_LEDGER_VALUE_MAX)
            return bad(p, "value: qty x unit_price is larger than a line may be");
    }

    /* Consumed material: checked against stock, backdating undone, then
     * planned FIFO. */
    rc = maybe_undo(ps, p, &rk, ln->warehouse, ln->item, &c);
    if (rc == TT_OK && ln->nconsume) {
        starts = calloc(ln->nconsume + 1, sizeof *starts);
        if (!starts)
            rc = TT_ERR_NOMEM;
    }
    if (rc == TT_OK)
        rc = check_consume(ps, p, ln, &rk);
    if (rc == TT_OK)
        rc = plan_consume(ps, p, ln, starts, &consumed);
    if (rc == TT_OK && cost)
        value = ln->labour + ln->material + consumed;   /* each <= 10^12: no overflow */
    if (rc == TT_OK && value > TT_LEDGER_VALUE_MAX)
        rc = bad(p, "value: larger than a line may be");

    if (rc == TT_OK) {
        mvrow_t m = {.kind = "receipt", .sub = source_name(ln->source), .line = line,
                     .event = 1, .wh = ln->warehouse, .unit = ln->unit, .item = ln->item,
                     .has_qty = 1, .qty = ln->qty, .has_value = 1, .value = value,
                     .plan_serial = ln->plan_serial, .category = category, .ref = ln->ref,
                     .has_cost = cost, .labour = ln->labour, .material = ln->material,
                     .note = ln->note};
        rc = mv_put(ps, p, &m, &mv);
    }
    if (rc == TT_OK)
        rc = tt_lots_add_receipt(ps->lots, mv, p->doc, p->day, ln->warehouse, ln->item, ln->qty,
                                 value, category, ln->plan_serial);
    if (rc == TT_OK)
        rc = tt_lots_stock_add(ps->lots, ln->warehouse, ln->item, ln->qty);
    if (rc == TT_OK)
        rc = put_consume(ps, p, ln, line, mv, starts);
    free(starts);
    return finish(ps, p, &rk, mv, first, rc);
}

static tt_err_t post_issue(tt_posting_t *ps, tt_posting_doc_t *p, const tt_ledger_line_t *ln,
                           int line, int64_t *first)
{
    tt_lots_takes_t *plan = &ps->plan;
    tt_lots_redo_t rk = {0};
    linectx_t c;
    int64_t mv = 0;
    tt_err_t rc;

    rc = line_known(ps, p, ln, &c);
    if (rc != TT_OK)
        return rc;
    if (ln->qty > c.stock)
        return short_stock(p, ln->item, ln->warehouse, c.stock, ln->qty);
    rc = maybe_undo(ps, p, &rk, ln->warehouse, ln->item, &c);
    if (rc == TT_OK)
        rc = plan_draw(ps, p, ln);
    if (rc == TT_OK) {
        mvrow_t m = {.kind = "issue", .line = line, .event = 1, .wh = ln->warehouse,
                     .unit = ln->unit, .item = ln->item, .has_qty = 1, .qty = ln->qty,
                     .has_value = 1, .value = tt_lots_value(plan->v, plan->n), .ref = ln->ref,
                     .note = ln->note};
        rc = mv_put(ps, p, &m, &mv);
    }
    if (rc == TT_OK)
        rc = tt_lots_apply(ps->lots, plan->v, plan->n, mv, "issue", p->day, ln->warehouse,
                           ln->item, ln->unit, 0);
    if (rc == TT_OK)
        rc = tt_lots_stock_add(ps->lots, ln->warehouse, ln->item, -ln->qty);
    return finish(ps, p, &rk, mv, first, rc);
}

static tt_err_t post_transfer(tt_posting_t *ps, tt_posting_doc_t *p, const tt_ledger_line_t *ln,
                              int line, int64_t *first)
{
    tt_lots_takes_t *plan = &ps->plan;
    tt_lots_redo_t rk = {0};
    linectx_t c, to;
    int64_t mv = 0;
    tt_err_t rc;

    rc = line_ctx(ps, ln->item, ln->warehouse, ln->unit, &c);
    if (rc == TT_OK)
        rc = line_ctx(ps, ln->item, ln->to_wh, "", &to);
    if (rc == TT_OK)
        rc = check_master(p, "", ln, &c);
    if (rc != TT_OK)
        return rc;
    if ((p->master & TT_POSTING_WAREHOUSES) && !to.wh_known)
        return bad(p, "warehouse %s: not in master data", ln->to_wh);
    if (ln->qty > c.stock)
        return short_stock(p, ln->item, ln->warehouse, c.stock, ln->qty);
    rc = room(p, to.stock, ln->qty, ln->item, ln->to_wh);
    if (rc == TT_OK)
        rc = maybe_undo(ps, p, &rk, ln->warehouse, ln->item, &c);
    if (rc == TT_OK)
        rc = maybe_undo(ps, p, &rk, ln->to_wh, ln->item, &to);
    if (rc == TT_OK)
        rc = plan_draw(ps, p, ln);
    if (rc == TT_OK) {
        mvrow_t m = {.kind = "transfer", .line = line, .event = 1, .wh = ln->warehouse,
                     .to_wh = ln->to_wh, .unit = ln->unit, .item = ln->item, .has_qty = 1,
                     .qty = ln->qty, .has_value = 1, .value = tt_lots_value(plan->v, plan->n),
                     .ref = ln->ref, .note = ln->note};
        rc = mv_put(ps, p, &m, &mv);
    }
    if (rc == TT_OK)
        rc = tt_lots_apply(ps->lots, plan->v, plan->n, mv, "transfer", p->day, ln->warehouse,
                           ln->item, ln->unit, 0);
    /* Each part becomes a lot of its own in to_wh: the same receipt, FIFO
     * key, category and price. */
    if (rc == TT_OK)
        rc = tt_lots_add_transfer(ps->lots, mv, ln->to_wh, ln->item, plan->v, plan->n);
    if (rc == TT_OK)
        rc = tt_lots_stock_add(ps->lots, ln->warehouse, ln->item, -ln->qty);
    if (rc == TT_OK)
        rc = tt_lots_stock_add(ps->lots, ln->to_wh, ln->item, ln->qty);
    return finish(ps, p, &rk, mv, first, rc);
}

static tt_err_t post_stockback(tt_posting_t *ps, tt_posting_doc_t *p, const tt_ledger_line_t *ln,
                               int line, int64_t *first)
{
    tt_lots_takes_t *plan = &ps->plan;
    tt_lots_redo_t rk = {0};
    linectx_t c;
    tt_qty_t got = 0;
    int64_t mv = 0;
    tt_err_t rc;

    rc = line_known(ps, p, ln, &c);
    if (rc == TT_OK)
        rc = room(p, c.stock, ln->qty, ln->item, ln->warehouse);
    if (rc != TT_OK)
        return rc;
    plan->n = 0;
    rc = tt_lots_plan_stockback(ps->lots, ln->item, p->day, ln->unit, ln->warehouse, ln->ref,
                                ln->qty, plan, &got);
    if (rc == TT_ERR_STOCK) {
        char g[TT_MONEY_TEXT_MAX], s[TT_MONEY_TEXT_MAX];
        fmt_qty(got, g, sizeof g);
        fmt_qty(ln->qty - got, s, sizeof s);
        return bad(p, "only %s of %s issued to %s from %s%s%s up to %s is not yet given back: "
                      "short %s", g, ln->item, ln->unit, ln->warehouse,
                   ln->ref[0] ? " on " : "", ln->ref, p->day, s);
    }
    if (rc == TT_OK)
        rc = maybe_undo(ps, p, &rk, ln->warehouse, ln->item, &c);
    if (rc == TT_OK) {
        mvrow_t m = {.kind = "stockback", .line = line, .event = 1, .wh = ln->warehouse,
                     .unit = ln->unit, .item = ln->item, .has_qty = 1, .qty = ln->qty,
                     .has_value = 1, .value = tt_lots_value(plan->v, plan->n), .ref = ln->ref,
                     .note = ln->note};
        rc = mv_put(ps, p, &m, &mv);
    }
    if (rc == TT_OK)
        rc = tt_lots_give_back(ps->lots, mv, plan->v, plan->n, p->day, ln->warehouse, ln->item,
                               ln->unit);
    if (rc == TT_OK)
        rc = tt_lots_stock_add(ps->lots, ln->warehouse, ln->item, ln->qty);
    return finish(ps, p, &rk, mv, first, rc);
}

/* Old-item returns, exclusions and counts change no stock. */
static tt_err_t post_other(tt_posting_t *ps, tt_posting_doc_t *p, const tt_ledger_line_t *ln,
                           int line, int64_t *first)
{
    linectx_t c;
    mvrow_t m = {.kind = tt_posting_kind_name(ln->kind), .line = line, .event = 1,
                 .wh = ln->warehouse, .unit = ln->unit, .item = ln->item, .has_qty = 1,
                 .qty = ln->qty, .ref = ln->ref, .note = ln->note};
    tt_err_t rc;

    rc = line_known(ps, p, ln, &c);
    if (rc != TT_OK)
        return rc;
    if (ln->kind == TT_LEDGER_COUNT) {
        m.has_book = 1;
        m.book = c.stock;
    }
    rc = mv_put(ps, p, &m, first);
    if (rc == TT_OK && ln->kind == TT_LEDGER_OLD_RETURN)
        rc = tt_lots_agg_return(ps->lots, p->month, ln->unit, ln->item, ln->qty, 0);
    if (rc == TT_OK && ln->kind == TT_LEDGER_EXCLUSION)
        rc = tt_lots_agg_return(ps->lots, p->month, ln->unit, ln->item, 0, ln->qty);
    return rc;
}

/* --- a line ---------------------------------------------------------------------- */

tt_err_t tt_posting_apply(tt_posting_t *ps, tt_posting_doc_t *p, const tt_ledger_line_t *ln,
                          int line, int64_t *first)
{
    tt_err_t rc = check_fields(p, ln);
    if (rc != TT_OK)
        return rc;
    switch (ln->kind) {
    case TT_LEDGER_RECEIPT: return post_receipt(ps, p, ln, line, first);
    case TT_LEDGER_ISSUE: return post_issue(ps, p, ln, line, first);
    case TT_LEDGER_TRANSFER: return post_transfer(ps, p, ln, line, first);
    case TT_LEDGER_STOCKBACK: return post_stockback(ps, p, ln, line, first);
    default: return post_other(ps, p, ln, line, first);
    }
}


tt_err_t tt_posting_item_price(tt_posting_t *ps, const char *item, const char *warehouse,
                               const char *unit, tt_fen_t *price)
{
    linectx_t c;
    tt_err_t rc = line_ctx(ps, item, warehouse, unit, &c);
    *price = rc == TT_OK && c.item_known ? c.price : 0;
    return rc;
}
