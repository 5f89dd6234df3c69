/*
 * Unit tests of server/ledger: hand-computed scenarios, each asserting
 * exact fen and quantities (issue 4, docs/ledger.md).  Office documents go
 * through tt_ledger_post inside a transaction as the office would post them;
 * terminal events go end to end through server/ingest (batches encoded with
 * the real codec), as a terminal would send them.  Every test has its own
 * database in a fresh temporary folder, with master data written as the
 * import writes it.  The site's zone is fixed to UTC+8 (CST-8).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db.h"
#include "dbmaster.h"
#include "event.h"
#include "support.h"
#include "ingest.h"
#include "ledger.h"

#define NOW 1773115200000LL        /* 2026-03-10 12:00 at the site */
#define U(n) ((tt_qty_t)(n) * TT_QTY_SCALE)
#define Y(n) ((tt_fen_t)(n) * TT_MONEY_SCALE)

typedef struct {
    char dir[64];
    char path[128];
    tt_db_t *db;
    tt_ledger_t *l;
    tt_ingest_t *ing;
    char reason[320];
    tt_ledger_result_t res;
    char *acks[8];
    char ack_topics[8][TT_EVENT_TOPIC_MAX];
    size_t nacks;
} fx_t;

/* --- master data ----------------------------------------------------------- */

static void put_unit(fx_t *fx, const char *id, tt_unit_kind_t kind)
{
    tt_master_unit_t u;
    memset(&u, 0, sizeof u);
    snprintf(u.id, sizeof u.id, "%s", id);
    snprintf(u.name, sizeof u.name, "unit %s", id);
    u.kind = kind;
    assert_int_equal(tt_dbmaster_put_unit(fx->db, &u, 1, NULL), TT_OK);
}

static void put_wh(fx_t *fx, const char *id, tt_warehouse_kind_t kind, const char *unit)
{
    tt_master_warehouse_t w;
    memset(&w, 0, sizeof w);
    snprintf(w.id, sizeof w.id, "%s", id);
    snprintf(w.name, sizeof w.name, "warehouse %s", id);
    w.kind = kind;
    snprintf(w.unit, sizeof w.unit, "%s", unit);
    assert_int_equal(tt_dbmaster_put_warehouse(fx->db, &w, 1, NULL), TT_OK);
}

static void put_item(fx_t *fx, const char *code, tt_fen_t price)
{
    tt_dbmaster_item_t it;
    memset(&it, 0, sizeof it);
    snprintf(it.item.code, sizeof it.item.code, "%s", code);
    snprintf(it.item.name, sizeof it.item.name, "item %s", code);
    snprintf(it.item.spec, sizeof it.item.spec, "-");
    snprintf(it.item.uom, sizeof it.item.uom, "pc");
    it.item.category = TT_ITEM_MATERIAL;
    it.item.price = price;
    it.item.active = 1;
    assert_int_equal(tt_dbmaster_put_item(fx->db, &it, 1, NULL), TT_OK);
}

static void put_plan(fx_t *fx, const char *serial, const char *item, const char *category,
                     tt_plan_status_t status)
{
    tt_master_plan_t p;
    memset(&p, 0, sizeof p);
    snprintf(p.serial, sizeof p.serial, "%s", serial);
    snprintf(p.item, sizeof p.item, "%s", item);
    snprintf(p.category, sizeof p.category, "%s", category);
    p.qty = U(100);
    p.status = status;
    assert_int_equal(tt_dbmaster_put_plan(fx->db, &p, 1, NULL), TT_OK);
}

/* Units A3, A4 (work areas), XL (the repair shop); warehouses W01
 * (central), W02 (recycling), WA3 (A3's work-area warehouse); items ROPE
 * (standard price 100.00), STEEL, PART; plan lines. */
static void load_master(fx_t *fx)
{
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    put_unit(fx, "A3", TT_UNIT_WORK_AREA);
    put_unit(fx, "A4", TT_UNIT_WORK_AREA);
    put_unit(fx, "XL", TT_UNIT_SHOP);
    put_wh(fx, "W01", TT_WAREHOUSE_CENTRAL, "");
    put_wh(fx, "W02", TT_WAREHOUSE_RECYCLING, "");
    put_wh(fx, "WA3", TT_WAREHOUSE_WORK_AREA, "A3");
    put_item(fx, "ROPE", Y(100));
    put_item(fx, "STEEL", Y(10));
    put_item(fx, "PART", Y(60));
    put_plan(fx, "P-S06", "ROPE", "S06", TT_PLAN_APPROVED);
    put_plan(fx, "P-NS", "ROPE", "", TT_PLAN_APPROVED);
    put_plan(fx, "P-AQ", "ROPE", "AQ-02", TT_PLAN_APPROVED);
    put_plan(fx, "P-REJ", "ROPE", "S06", TT_PLAN_REJECTED);
    put_plan(fx, "P-S01", "STEEL", "S01", TT_PLAN_APPROVED);
    assert_int_equal(tt_dbmaster_set_version(fx->db, 1), TT_OK);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
}

/* --- fixture --------------------------------------------------------------- */

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    char err[256] = "";

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_ledger_XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/server.db", fx->dir);
    if (tt_db_open(fx->path, 0, &fx->db, err, sizeof err) != TT_OK) {
        fprintf(stderr, "tt_db_open: %s\n", err);
        rmdir(fx->dir);
        free(fx);
        return -1;
    }
    if (tt_ledger_open(fx->db, &fx->l) != TT_OK) {
        tt_db_close(fx->db);
        rmdir(fx->dir);
        free(fx);
        return -1;
    }
    *state = fx;
    load_master(fx);
    return 0;
}

static void clear_acks(fx_t *fx)
{
    for (size_t i = 0; i < fx->nacks; i++)
        free(fx->acks[i]);
    fx->nacks = 0;
}

static int teardown(void **state)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    fx_t *fx = *state;
    char p[160];

    clear_acks(fx);
    tt_ingest_free(fx->ing);
    tt_ledger_close(fx->l);
    tt_db_close(fx->db);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", fx->path, suffixes[i]);
        unlink(p);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* --- queries --------------------------------------------------------------- */

/* The first column of the first row of a query (0 for NULL or no row). */
static int64_t qi(fx_t *fx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int64_t qi(fx_t *fx, const char *fmt, ...)
{
    char sql[1024];
    sqlite3_stmt *st = NULL;
    int64_t v = 0;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    if (sqlite3_prepare_v2(tt_db_sqlite(fx->db), sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(tt_db_sqlite(fx->db)));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The rows of a query as text, "a,b;c,d;" (NULL as "-"). */
static const char *qs(fx_t *fx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *qs(fx_t *fx, const char *fmt, ...)
{
    static char out[4096];
    char sql[1024];
    sqlite3_stmt *st = NULL;
    size_t n = 0;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    out[0] = '\0';
    if (sqlite3_prepare_v2(tt_db_sqlite(fx->db), sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(tt_db_sqlite(fx->db)));
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const unsigned char *t = sqlite3_column_text(st, c);
            n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", c ? "," : "",
                                  t ? (const char *)t : "-");
            if (n >= sizeof out)
                fail_msg("query result too long: %s", sql);
        }
        n += (size_t)snprintf(out + n, sizeof out - n, ";");
        if (n >= sizeof out)
            fail_msg("query result too long: %s", sql);
    }
    sqlite3_finalize(st);
    return out;
}

/* Everything the ledger writes, counted and summed: equal before and after
 * means nothing was written. */
static char *ledger_state(fx_t *fx)
{
    return strdup(qs(fx,
                     "SELECT (SELECT COUNT(*) FROM movement), (SELECT COUNT(*) FROM lot),"
                     " (SELECT COUNT(*) || ':' || COALESCE(SUM(qty), 0) || ':'"
                     "   || COALESCE(SUM(value_fen), 0) FROM alloc),"
                     " (SELECT COUNT(*) || ':' || COALESCE(SUM(qty), 0) || ':'"
                     "   || COALESCE(SUM(value_fen), 0) FROM lot_open),"
                     " (SELECT COUNT(*) || ':' || COALESCE(SUM(qty), 0) FROM stock),"
                     " (SELECT COUNT(*) || ':' || COALESCE(SUM(qty), 0) || ':'"
                     "   || COALESCE(SUM(value_fen), 0) FROM agg_issue),"
                     " (SELECT COUNT(*) FROM agg_return), (SELECT COUNT(*) FROM realloc),"
                     " (SELECT COUNT(*) FROM safety_mark), (SELECT COUNT(*) FROM period)"));
}

static tt_qty_t stock(fx_t *fx, const char *wh, const char *item)
{
    return qi(fx, "SELECT qty FROM stock WHERE warehouse = '%s' AND item = '%s'", wh, item);
}

/* Every lot's value is what is left of it plus what its allocations took
 * (transfers included: their child lots carry it on), to the fen. */
static void assert_lots_whole(fx_t *fx)
{
    int64_t bad = qi(fx,
                     "SELECT COUNT(*) FROM lot l WHERE l.value_fen !="
                     " COALESCE((SELECT value_fen FROM lot_open WHERE lot = l.id), 0)"
                     " + COALESCE((SELECT SUM(value_fen) FROM alloc WHERE lot = l.id), 0)"
                     " OR l.qty != COALESCE((SELECT qty FROM lot_open WHERE lot = l.id), 0)"
                     " + COALESCE((SELECT SUM(qty) FROM alloc WHERE lot = l.id), 0)");
    if (bad)
        fail_msg("%lld lot(s) do not add up: %s", (long long)bad,
                 qs(fx, "SELECT id, qty, value_fen FROM lot"));
    /* stock == lot_open per warehouse and item */
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM stock s WHERE s.qty != COALESCE((SELECT"
                            " SUM(qty) FROM lot_open o WHERE o.warehouse = s.warehouse"
                            " AND o.item = s.item), 0)"),
                     0);
    /* agg_issue == the issue and stock-back allocation rows */
    assert_int_equal(qi(fx, "SELECT (SELECT COALESCE(SUM(value_fen), 0) FROM agg_issue) -"
                            " (SELECT COALESCE(SUM(value_fen), 0) FROM alloc"
                            "  WHERE kind IN ('issue', 'stockback'))"),
                     0);
}

/* --- posting --------------------------------------------------------------- */

static tt_ledger_line_t line(tt_ledger_kind_t kind, const char *wh, const char *item,
                             tt_qty_t qty)
{
    tt_ledger_line_t ln;
    memset(&ln, 0, sizeof ln);
    ln.kind = kind;
    if (kind == TT_LEDGER_RECEIPT)
        ln.source = TT_LEDGER_PURCHASE;
    snprintf(ln.warehouse, sizeof ln.warehouse, "%s", wh);
    snprintf(ln.item, sizeof ln.item, "%s", item);
    ln.qty = qty;
    return ln;
}

static tt_ledger_line_t receipt(const char *wh, const char *item, tt_qty_t qty,
                                tt_fen_t unit_price, const char *plan)
{
    tt_ledger_line_t ln = line(TT_LEDGER_RECEIPT, wh, item, qty);
    ln.unit_price = unit_price;
    snprintf(ln.plan_serial, sizeof ln.plan_serial, "%s", plan);
    return ln;
}

static tt_ledger_line_t to_unit(tt_ledger_kind_t kind, const char *wh, const char *item,
                                tt_qty_t qty, const char *unit)
{
    tt_ledger_line_t ln = line(kind, wh, item, qty);
    snprintf(ln.unit, sizeof ln.unit, "%s", unit);
    return ln;
}

/* Posts a document of n lines dated `day` in its own transaction, as the
 * office does (committed even when refused: the refusal must have written
 * nothing). */
static tt_err_t post(fx_t *fx, const char *day, const tt_ledger_line_t *lines, size_t n,
                     const char *approver)
{
    tt_ledger_doc_t doc;
    tt_err_t rc;

    memset(&doc, 0, sizeof doc);
    snprintf(doc.day, sizeof doc.day, "%s", day);
    snprintf(doc.operator_id, sizeof doc.operator_id, "office1");
    snprintf(doc.approver, sizeof doc.approver, "%s", approver ? approver : "");
    doc.lines = lines;
    doc.nlines = n;
    fx->reason[0] = '\0';
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    rc = tt_ledger_post(fx->l, &doc, NOW, &fx->res, fx->reason, sizeof fx->reason);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
    return rc;
}

/* Posts one line and expects it applied; returns its movement. */
static int64_t post1(fx_t *fx, const char *day, tt_ledger_line_t ln)
{
    tt_err_t rc = post(fx, day, &ln, 1, NULL);
    if (rc != TT_OK)
        fail_msg("post of a %d line dated %s: %s: %s", (int)ln.kind, day, tt_strerror(rc),
                 fx->reason);
    return fx->res.first_movement;
}

static void expect_refused(fx_t *fx, tt_err_t want, const char *day, tt_ledger_line_t ln,
                           const char *says)
{
    char *before = ledger_state(fx);
    tt_err_t rc = post(fx, day, &ln, 1, NULL);
    char *after = ledger_state(fx);

    if (rc != want)
        fail_msg("expected %s, got %s: %s", tt_strerror(want), tt_strerror(rc), fx->reason);
    if (says && !strstr(fx->reason, says))
        fail_msg("reason '%s' does not say '%s'", fx->reason, says);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static int64_t lot_of(fx_t *fx, int64_t receipt_movement)
{
    return qi(fx, "SELECT id FROM lot WHERE movement = %lld AND parent IS NULL",
              (long long)receipt_movement);
}

/* A movement's allocation rows: "lot,qty,value,category,kind;" by id. */
static const char *allocs_of(fx_t *fx, int64_t mv)
{
    return qs(fx, "SELECT lot, qty, value_fen, category, kind FROM alloc WHERE movement = %lld"
                  " ORDER BY id", (long long)mv);
}

/* --- 1. FIFO across lots, categories, marks ----------------------------------- */

static void test_fifo_split_and_safety_mark(void **state)
{
    fx_t *fx = *state;
    int64_t r1, r2, is, lot1, lot2;
    char want[256];
    tt_err_t rc;

    r1 = post1(fx, "2026-01-05", receipt("W01", "ROPE", U(10), Y(100), "P-S06"));
    assert_string_equal(fx->res.doc, "RK.1");
    r2 = post1(fx, "2026-01-06", receipt("W01", "ROPE", U(10), Y(120), "P-NS"));
    lot1 = lot_of(fx, r1);
    lot2 = lot_of(fx, r2);
    assert_string_equal(qs(fx, "SELECT qty, value_fen, category, receipt_doc, fifo_day FROM lot"
                               " ORDER BY id"),
                        "10000,100000,S06,RK.1,2026-01-05;10000,120000,-,RK.2,2026-01-06;");

    is = post1(fx, "2026-01-07", to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(15), "A3"));
    assert_string_equal(fx->res.doc, "CK.3");
    snprintf(want, sizeof want, "%lld,10000,100000,S06,issue;%lld,5000,60000,-,issue;",
             (long long)lot1, (long long)lot2);
    assert_string_equal(allocs_of(fx, is), want);
    /* Each allocation names its receipt number; the movement has the total. */
    assert_string_equal(qs(fx, "SELECT receipt_doc, unit, day, warehouse, item FROM alloc"
                               " WHERE movement = %lld ORDER BY id", (long long)is),
                        "RK.1,A3,2026-01-07,W01,ROPE;RK.2,A3,2026-01-07,W01,ROPE;");
    assert_int_equal(qi(fx, "SELECT value_fen FROM movement WHERE id = %lld", (long long)is),
                     160000);
    assert_int_equal(stock(fx, "W01", "ROPE"), U(5));
    snprintf(want, sizeof want, "%lld,5000,60000;", (long long)lot2);
    assert_string_equal(qs(fx, "SELECT lot, qty, value_fen FROM lot_open"), want);
    assert_string_equal(qs(fx, "SELECT day, warehouse, unit, item, category, marked, qty,"
                               " value_fen FROM agg_issue ORDER BY category, marked"),
                        "2026-01-07,W01,A3,ROPE,,0,5000,60000;"
                        "2026-01-07,W01,A3,ROPE,S06,0,10000,100000;");

    /* Marking the non-safety part as used for safety: needs an approver, a
     * reason and a real category; a safety lot cannot be marked. */
    fx->reason[0] = '\0';
    rc = tt_ledger_mark_safety(fx->l, is, lot2, "S06", "rope for the refuge chamber", "",
                               "office1", NOW, fx->reason, sizeof fx->reason);
    assert_int_equal(rc, TT_ERR_INVAL);
    assert_non_null(strstr(fx->reason, "approver"));
    assert_int_equal(tt_ledger_mark_safety(fx->l, is, lot2, "S06", "", "chief", "office1", NOW,
                                           fx->reason, sizeof fx->reason),
                     TT_ERR_INVAL);
    assert_int_equal(tt_ledger_mark_safety(fx->l, is, lot2, "AQ-02", "why", "chief", "office1",
                                           NOW, fx->reason, sizeof fx->reason),
                     TT_ERR_INVAL);
    assert_int_equal(tt_ledger_mark_safety(fx->l, is, lot1, "S06", "why", "chief", "office1",
                                           NOW, fx->reason, sizeof fx->reason),
                     TT_ERR_INVAL);
    assert_int_equal(tt_ledger_mark_safety(fx->l, is, 999, "S06", "why", "chief", "office1",
                                           NOW, fx->reason, sizeof fx->reason),
                     TT_ERR_NOTFOUND);
    assert_int_equal(tt_ledger_mark_safety(fx->l, r1, lot1, "S06", "why", "chief", "office1",
                                           NOW, fx->reason, sizeof fx->reason),
                     TT_ERR_NOTFOUND);
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM safety_mark"), 0);

    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    rc = tt_ledger_mark_safety(fx->l, is, lot2, "S06", "rope for the refuge chamber", "chief",
                               "office1", NOW, fx->reason, sizeof fx->reason);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
    if (rc != TT_OK)
        fail_msg("mark: %s", fx->reason);
    /* (a) safety as received: 1000.00; (b) non-safety used for safety:
     * 600.00, under the category it was marked for.  The allocation keeps
     * its own empty category. */
    assert_string_equal(qs(fx, "SELECT category, marked, qty, value_fen FROM agg_issue"
                               " ORDER BY marked"),
                        "S06,0,10000,100000;S06,1,5000,60000;");
    assert_int_equal(qi(fx, "SELECT SUM(value_fen) FROM agg_issue WHERE marked = 0"
                            " AND category <> ''"),
                     100000);
    assert_int_equal(qi(fx, "SELECT SUM(value_fen) FROM agg_issue WHERE marked = 1"), 60000);
    assert_string_equal(qs(fx, "SELECT category FROM alloc WHERE movement = %lld AND lot = %lld",
                           (long long)is, (long long)lot2),
                        "-;");
    assert_int_equal(tt_ledger_mark_safety(fx->l, is, lot2, "S06", "again", "chief", "office1",
                                           NOW, fx->reason, sizeof fx->reason),
                     TT_ERR_EXISTS);
    assert_lots_whole(fx);
}

/* --- 2. beyond stock ------------------------------------------------------------ */

static void test_beyond_stock_refused_with_shortfall(void **state)
{
    fx_t *fx = *state;
    tt_ledger_line_t two[2];

    post1(fx, "2026-01-05", receipt("W01", "ROPE", U(5), Y(100), ""));
    expect_refused(fx, TT_ERR_STOCK, "2026-01-06",
                   to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(6), "A3"),
                   "insufficient stock of ROPE in W01: on hand 5, short 1");
    assert_int_equal(stock(fx, "W01", "ROPE"), U(5));

    /* A document is all or nothing: line 1 fits, line 2 does not. */
    {
        char *before = ledger_state(fx), *after;
        two[0] = to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(3), "A3");
        two[1] = to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(3), "A3");
        assert_int_equal(post(fx, "2026-01-06", two, 2, NULL), TT_ERR_STOCK);
        assert_string_equal(fx->reason, "line 2: insufficient stock of ROPE in W01: on hand 2,"
                                        " short 1");
        after = ledger_state(fx);
        assert_string_equal(before, after);
        free(before);
        free(after);
    }
    /* A transfer beyond stock likewise. */
    {
        tt_ledger_line_t t = line(TT_LEDGER_TRANSFER, "W01", "ROPE", U(7));
        snprintf(t.to_wh, sizeof t.to_wh, "WA3");
        expect_refused(fx, TT_ERR_STOCK, "2026-01-06", t, "on hand 5, short 2");
    }
    /* An item never received is short by all of it. */
    expect_refused(fx, TT_ERR_STOCK, "2026-01-06",
                   to_unit(TT_LEDGER_ISSUE, "W02", "ROPE", 500, "A3"),
                   "on hand 0, short 0.5");
    assert_lots_whole(fx);
}

/* --- 3. rounding ---------------------------------------------------------------- */

static void test_lot_of_three_issued_one_by_one(void **state)
{
    fx_t *fx = *state;
    tt_ledger_line_t r = line(TT_LEDGER_RECEIPT, "W01", "ROPE", U(3));
    int64_t mv[3];

    r.has_value = 1;
    r.value = Y(100);
    post1(fx, "2026-01-05", r);
    for (int i = 0; i < 3; i++)
        mv[i] = post1(fx, "2026-01-06", to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(1), "A3"));
    assert_int_equal(qi(fx, "SELECT value_fen FROM movement WHERE id = %lld", (long long)mv[0]),
                     3333);
    assert_int_equal(qi(fx, "SELECT value_fen FROM movement WHERE id = %lld", (long long)mv[1]),
                     3333);
    assert_int_equal(qi(fx, "SELECT value_fen FROM movement WHERE id = %lld", (long long)mv[2]),
                     3334);
    assert_int_equal(qi(fx, "SELECT SUM(value_fen) FROM alloc"), 10000);
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM lot_open"), 0);
    assert_int_equal(stock(fx, "W01", "ROPE"), 0);
    /* A receipt priced per unit is rounded to the fen: 2.5 x 33.33 = 83.325 */
    {
        int64_t m = post1(fx, "2026-01-07", receipt("W01", "STEEL", 2500, 3333, ""));
        assert_int_equal(qi(fx, "SELECT value_fen FROM lot WHERE movement = %lld", (long long)m),
                         8333);
    }
    assert_lots_whole(fx);
}

/* --- 4. periods ----------------------------------------------------------------- */

static void test_closed_month_refuses_and_keeps_reports(void **state)
{
    fx_t *fx = *state;
    char *agg_before, *agg_after;
    int64_t is;
    tt_err_t rc;

    post1(fx, "2026-01-05", receipt("W01", "ROPE", U(10), Y(100), "P-S06"));
    is = post1(fx, "2026-01-20", to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(4), "A3"));
    post1(fx, "2026-02-03", receipt("W01", "ROPE", U(10), Y(90), ""));

    /* Not yet ended, or an earlier month with movements still open. */
    rc = tt_ledger_close_period(fx->l, "2026-03", "boss", NOW, fx->reason, sizeof fx->reason);
    assert_int_equal(rc, TT_ERR_INVAL);
    assert_int_equal(tt_ledger_close_period(fx->l, "2026-04", "boss", NOW, fx->reason,
                                            sizeof fx->reason),
                     TT_ERR_INVAL);
    rc = tt_ledger_close_period(fx->l, "2026-02", "boss", NOW, fx->reason, sizeof fx->reason);
    assert_int_equal(rc, TT_ERR_INVAL);
    assert_non_null(strstr(fx->reason, "2026-01"));
    assert_int_equal(tt_ledger_close_period(fx->l, "2026-13", "boss", NOW, fx->reason,
                                            sizeof fx->reason),
                     TT_ERR_INVAL);
    assert_int_equal(tt_ledger_close_period(fx->l, "2026-01", "", NOW, fx->reason,
                                            sizeof fx->reason),
                     TT_ERR_INVAL);
    /* Months without movements before it may stay unclosed. */
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    assert_int_equal(tt_ledger_close_period(fx->l, "2026-01", "boss", NOW, fx->reason,
                                            sizeof fx->reason),
                     TT_OK);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
    assert_int_equal(tt_ledger_close_period(fx->l, "2026-01", "boss", NOW, fx->reason,
                                            sizeof fx->reason),
                     TT_ERR_EXISTS);
    assert_int_equal(tt_ledger_close_period(fx->l, "2025-12", "boss", NOW, fx->reason,
                                            sizeof fx->reason),
                     TT_ERR_EXISTS);

    agg_before = strdup(qs(fx, "SELECT * FROM agg_issue WHERE day < '2026-02' ORDER BY 1, 2, 3,"
                               " 4, 5, 6"));
    expect_refused(fx, TT_ERR_CLOSED, "2026-01-20", receipt("W01", "ROPE", U(1), Y(1), ""),
                   "closed");
    expect_refused(fx, TT_ERR_CLOSED, "2026-01-31",
                   to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(1), "A3"), "closed");
    assert_int_equal(tt_ledger_period_check(fx->l, "2026-01-15", fx->reason, sizeof fx->reason),
                     TT_ERR_CLOSED);
    assert_int_equal(tt_ledger_period_check(fx->l, "2025-11-30", fx->reason, sizeof fx->reason),
                     TT_ERR_CLOSED);
    assert_int_equal(tt_ledger_period_check(fx->l, "2026-02-01", fx->reason, sizeof fx->reason),
                     TT_OK);
    assert_int_equal(tt_ledger_period_check(fx->l, "2026-02-30", fx->reason, sizeof fx->reason),
                     TT_ERR_INVAL);
    assert_int_equal(tt_ledger_period_check(fx->l, "2028-02-29", fx->reason, sizeof fx->reason),
                     TT_OK);
    /* A January issue can no longer be marked. */
    assert_int_equal(tt_ledger_mark_safety(fx->l, is, 1, "S06", "why", "chief", "office1", NOW,
                                           fx->reason, sizeof fx->reason),
                     TT_ERR_CLOSED);
    /* An open-month entry dated before nothing of January re-allocates
     * nothing there. */
    post1(fx, "2026-02-04", to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(2), "A3"));
    post1(fx, "2026-02-02", receipt("W01", "ROPE", U(1), Y(50), ""));
    agg_after = strdup(qs(fx, "SELECT * FROM agg_issue WHERE day < '2026-02' ORDER BY 1, 2, 3,"
                              " 4, 5, 6"));
    assert_string_equal(agg_before, agg_after);
    assert_string_equal(agg_after, "2026-01-20,W01,A3,ROPE,S06,0,4000,40000;");
    free(agg_before);
    free(agg_after);
    assert_lots_whole(fx);
}

/* --- 5. transfers ---------------------------------------------------------------- */

static void test_transfer_keeps_lot_identity_and_fifo(void **state)
{
    fx_t *fx = *state;
    int64_t r1, r2, r3, tr, is;
    tt_ledger_line_t t = line(TT_LEDGER_TRANSFER, "W01", "ROPE", U(15));
    char want[512];

    r1 = post1(fx, "2026-01-05", receipt("W01", "ROPE", U(10), Y(100), "P-S06"));
    r2 = post1(fx, "2026-01-06", receipt("W01", "ROPE", U(10), Y(120), ""));
    r3 = post1(fx, "2026-01-07", receipt("WA3", "ROPE", U(10), Y(50), ""));
    snprintf(t.to_wh, sizeof t.to_wh, "WA3");
    tr = post1(fx, "2026-01-08", t);
    assert_string_equal(fx->res.doc, "DB.4");
    snprintf(want, sizeof want, "%lld,10000,100000,S06,transfer;%lld,5000,60000,-,transfer;",
             (long long)lot_of(fx, r1), (long long)lot_of(fx, r2));
    assert_string_equal(allocs_of(fx, tr), want);
    /* Each part is a lot in WA3 with its parent's receipt, FIFO key,
     * category and price. */
    snprintf(want, sizeof want,
             "%lld,%lld,RK.1,2026-01-05,%lld,S06,P-S06,10000,100000;"
             "%lld,%lld,RK.2,2026-01-06,%lld,-,-,5000,60000;",
             (long long)lot_of(fx, r1), (long long)r1, (long long)r1, (long long)lot_of(fx, r2),
             (long long)r2, (long long)r2);
    assert_string_equal(qs(fx, "SELECT parent, receipt, receipt_doc, fifo_day, fifo_seq,"
                               " category, plan_serial, qty, value_fen FROM lot"
                               " WHERE movement = %lld ORDER BY id", (long long)tr),
                        want);
    assert_int_equal(stock(fx, "W01", "ROPE"), U(5));
    assert_int_equal(stock(fx, "WA3", "ROPE"), U(25));

    /* In WA3 the lots go out in the order of their original receipts: the
     * transferred R1 and R2 before R3, received there directly but later. */
    is = post1(fx, "2026-01-09", to_unit(TT_LEDGER_ISSUE, "WA3", "ROPE", U(12), "A3"));
    assert_string_equal(qs(fx, "SELECT a.qty, a.value_fen, a.category, a.receipt_doc, l.parent"
                               " IS NOT NULL FROM alloc a JOIN lot l ON l.id = a.lot"
                               " WHERE a.movement = %lld ORDER BY a.id", (long long)is),
                        "10000,100000,S06,RK.1,1;2000,24000,-,RK.2,1;");
    assert_string_equal(qs(fx, "SELECT o.qty, o.value_fen, l.receipt_doc FROM lot_open o"
                               " JOIN lot l ON l.id = o.lot WHERE o.warehouse = 'WA3'"
                               " ORDER BY o.fifo_day, o.fifo_seq"),
                        "3000,36000,RK.2;10000,50000,RK.3;");
    (void)r3;
    /* The issue counts as safety (a) for the part from R1, in WA3. */
    assert_string_equal(qs(fx, "SELECT warehouse, category, qty, value_fen FROM agg_issue"
                               " ORDER BY category"),
                        "WA3,,2000,24000;WA3,S06,10000,100000;");
    /* to == from, and an unknown receiving warehouse, are refused. */
    snprintf(t.to_wh, sizeof t.to_wh, "W01");
    expect_refused(fx, TT_ERR_INVAL, "2026-01-10", t, "same warehouse");
    snprintf(t.to_wh, sizeof t.to_wh, "W99");
    t.qty = U(1);
    expect_refused(fx, TT_ERR_INVAL, "2026-01-10", t, "W99");
    assert_lots_whole(fx);
}

/* --- 6. stock-back ---------------------------------------------------------------- */

static void test_stockback_returns_to_its_lot_at_its_price(void **state)
{
    fx_t *fx = *state;
    int64_t r1, r2, is, sb, lot1, lot2, a2;
    tt_ledger_line_t ln;
    char want[256];

    r1 = post1(fx, "2026-01-05", receipt("W01", "ROPE", U(10), Y(100), "P-S06"));
    r2 = post1(fx, "2026-01-06", receipt("W01", "ROPE", U(10), Y(120), ""));
    lot1 = lot_of(fx, r1);
    lot2 = lot_of(fx, r2);
    is = post1(fx, "2026-01-07", to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(15), "A3"));
    a2 = qi(fx, "SELECT id FROM alloc WHERE movement = %lld AND lot = %lld", (long long)is,
            (long long)lot2);
    /* Another unit's issue is not A3's to give back. */
    post1(fx, "2026-01-07", to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(1), "A4"));

    /* 3 back: the newest allocation first (R2's), at 120.00. */
    sb = post1(fx, "2026-01-08", to_unit(TT_LEDGER_STOCKBACK, "W01", "ROPE", U(3), "A3"));
    assert_string_equal(fx->res.doc, "TK.5");
    snprintf(want, sizeof want, "%lld,-3000,-36000,-,stockback;", (long long)lot2);
    assert_string_equal(allocs_of(fx, sb), want);
    assert_int_equal(qi(fx, "SELECT reverses FROM alloc WHERE movement = %lld", (long long)sb),
                     a2);
    assert_int_equal(qi(fx, "SELECT value_fen FROM movement WHERE id = %lld", (long long)sb),
                     36000);
    snprintf(want, sizeof want, "%lld,7000,84000;", (long long)lot2);
    assert_string_equal(qs(fx, "SELECT lot, qty, value_fen FROM lot_open"), want);
    assert_int_equal(stock(fx, "W01", "ROPE"), U(7));

    /* 4 more: the rest of R2's part (2 = 240.00, what is left of 600.00
     * after 360.00), then 2 of R1's at 100.00 (R1's lot opens again). */
    sb = post1(fx, "2026-01-09", to_unit(TT_LEDGER_STOCKBACK, "W01", "ROPE", U(4), "A3"));
    snprintf(want, sizeof want, "%lld,-2000,-24000,-,stockback;%lld,-2000,-20000,S06,stockback;",
             (long long)lot2, (long long)lot1);
    assert_string_equal(allocs_of(fx, sb), want);
    snprintf(want, sizeof want, "%lld,2000,20000;%lld,9000,108000;", (long long)lot1,
             (long long)lot2);
    assert_string_equal(qs(fx, "SELECT lot, qty, value_fen FROM lot_open ORDER BY fifo_day"),
                        want);
    /* agg_issue nets the stock-backs on their own days. */
    assert_string_equal(qs(fx, "SELECT day, unit, category, qty, value_fen FROM agg_issue"
                               " ORDER BY day, unit, category"),
                        "2026-01-07,A3,,5000,60000;2026-01-07,A3,S06,10000,100000;"
                        "2026-01-07,A4,,1000,12000;"
                        "2026-01-08,A3,,-3000,-36000;"
                        "2026-01-09,A3,,-2000,-24000;2026-01-09,A3,S06,-2000,-20000;");

    /* A3 has 8 of its 15 left to give back. */
    expect_refused(fx, TT_ERR_INVAL, "2026-01-10",
                   to_unit(TT_LEDGER_STOCKBACK, "W01", "ROPE", U(9), "A3"), "short 1");
    /* Back into another warehouse than the one it came from: refused. */
    expect_refused(fx, TT_ERR_INVAL, "2026-01-10",
                   to_unit(TT_LEDGER_STOCKBACK, "W02", "ROPE", U(1), "A3"),
                   "only 0 of ROPE issued to A3 from W02");
    /* Not before the issue. */
    expect_refused(fx, TT_ERR_INVAL, "2026-01-06",
                   to_unit(TT_LEDGER_STOCKBACK, "W01", "ROPE", U(1), "A3"), "short 1");
    /* Only the named issue document. */
    ln = to_unit(TT_LEDGER_STOCKBACK, "W01", "ROPE", U(1), "A3");
    snprintf(ln.ref, sizeof ln.ref, "CK.99");
    expect_refused(fx, TT_ERR_INVAL, "2026-01-10", ln, "on CK.99");
    snprintf(ln.ref, sizeof ln.ref, "CK.3");
    sb = post1(fx, "2026-01-10", ln);
    snprintf(want, sizeof want, "%lld,-1000,-10000,S06,stockback;", (long long)lot1);
    assert_string_equal(allocs_of(fx, sb), want);
    /* All of R1's part back: the rest of its value, to the fen. */
    ln.qty = U(7);
    sb = post1(fx, "2026-01-11", ln);
    assert_int_equal(qi(fx, "SELECT value_fen FROM movement WHERE id = %lld", (long long)sb),
                     70000);
    expect_refused(fx, TT_ERR_INVAL, "2026-01-11", ln, "short 7");
    assert_int_equal(stock(fx, "W01", "ROPE"), U(19));
    assert_lots_whole(fx);
}

/* A lot of 3 worth 100.00 issued whole, then given back one by one: 33.33,
 * 33.33 and the rest, 33.34. */
static void test_stockback_splits_without_losing_a_fen(void **state)
{
    fx_t *fx = *state;
    tt_ledger_line_t r = line(TT_LEDGER_RECEIPT, "W01", "ROPE", U(3));
    int64_t v[3];

    r.has_value = 1;
    r.value = Y(100);
    post1(fx, "2026-01-05", r);
    post1(fx, "2026-01-06", to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(3), "A3"));
    for (int i = 0; i < 3; i++) {
        int64_t mv = post1(fx, "2026-01-07",
                           to_unit(TT_LEDGER_STOCKBACK, "W01", "ROPE", U(1), "A3"));
        v[i] = qi(fx, "SELECT value_fen FROM movement WHERE id = %lld", (long long)mv);
    }
    assert_int_equal(v[0], 3333);
    assert_int_equal(v[1], 3333);
    assert_int_equal(v[2], 3334);
    assert_string_equal(qs(fx, "SELECT qty, value_fen FROM lot_open"), "3000,10000;");
    assert_lots_whole(fx);
}

/* --- 7. processed parts ------------------------------------------------------------- */

static void test_processed_part_consumes_fifo_with_categories(void **state)
{
    fx_t *fx = *state;
    tt_ledger_line_t r = line(TT_LEDGER_RECEIPT, "W02", "PART", U(2));
    tt_ledger_line_t use[2];
    int64_t s1, s2, rc_mv, cmv;
    tt_ledger_line_t st1 = line(TT_LEDGER_RECEIPT, "W01", "STEEL", U(4));
    char want[256];

    /* Steel: 4 worth 40.00 received as safety (S01), 6 at 12.00 not. */
    st1.has_value = 1;
    st1.value = Y(40);
    snprintf(st1.plan_serial, sizeof st1.plan_serial, "P-S01");
    s1 = post1(fx, "2026-01-05", st1);
    s2 = post1(fx, "2026-01-06", receipt("W01", "STEEL", U(6), Y(12), ""));

    r.source = TT_LEDGER_PROCESSED;
    snprintf(r.unit, sizeof r.unit, "XL");
    r.labour = Y(50);
    r.material = 500;
    use[0] = line(TT_LEDGER_ISSUE, "W01", "STEEL", U(6));
    r.consume = use;
    r.nconsume = 1;
    /* The acceptance slip is required; the value is not given. */
    expect_refused(fx, TT_ERR_INVAL, "2026-01-07", r, "acceptance slip");
    snprintf(r.ref, sizeof r.ref, "YS-001");
    r.has_value = 1;
    r.value = Y(1);
    expect_refused(fx, TT_ERR_INVAL, "2026-01-07", r, "labour");
    r.has_value = 0;
    r.value = 0;
    use[0].qty = U(11);
    expect_refused(fx, TT_ERR_STOCK, "2026-01-07", r,
                   "consume 1: insufficient stock of STEEL in W01: on hand 10, short 1");
    use[0].qty = U(6);

    rc_mv = post1(fx, "2026-01-07", r);
    /* 50.00 labour + 5.00 material + 40.00 (S1, all) + 24.00 (2 of S2). */
    assert_string_equal(qs(fx, "SELECT kind, sub, value_fen, labour_fen, material_fen, ref, unit"
                               " FROM movement WHERE id = %lld", (long long)rc_mv),
                        "receipt,processed,11900,5000,500,YS-001,XL;");
    assert_string_equal(qs(fx, "SELECT warehouse, qty, value_fen FROM lot WHERE movement = %lld",
                           (long long)rc_mv),
                        "W02,2000,11900;");
    cmv = qi(fx, "SELECT id FROM movement WHERE parent = %lld", (long long)rc_mv);
    assert_string_equal(qs(fx, "SELECT kind, doc, warehouse, item, qty, value_fen, unit FROM"
                               " movement WHERE id = %lld", (long long)cmv),
                        "consume,RK.3,W01,STEEL,6000,6400,XL;");
    snprintf(want, sizeof want, "%lld,4000,4000,S01,consume;%lld,2000,2400,-,consume;",
             (long long)lot_of(fx, s1), (long long)lot_of(fx, s2));
    assert_string_equal(allocs_of(fx, cmv), want);
    /* Consumption is not an issue to a unit: no agg_issue. */
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM agg_issue"), 0);
    assert_int_equal(stock(fx, "W01", "STEEL"), U(4));
    assert_int_equal(stock(fx, "W02", "PART"), U(2));

    /* Two consume lines of one item share the FIFO: 4 of S2 are left
     * (48.00): 3 and 2 are short by one; 3 (36.00) and the last 1 (12.00). */
    r.labour = 0;
    r.material = 0;
    r.source = TT_LEDGER_REFURBISHED;
    use[0] = line(TT_LEDGER_ISSUE, "W01", "STEEL", U(3));
    use[1] = line(TT_LEDGER_ISSUE, "W01", "STEEL", U(2));
    r.nconsume = 2;
    expect_refused(fx, TT_ERR_STOCK, "2026-01-08", r, "consume 2: insufficient stock of STEEL"
                                                      " in W01: on hand 4, short 1");
    use[1].qty = U(1);
    rc_mv = post1(fx, "2026-01-08", r);
    assert_int_equal(qi(fx, "SELECT value_fen FROM lot WHERE movement = %lld", (long long)rc_mv),
                     4800);
    assert_string_equal(qs(fx, "SELECT m.qty, a.qty, a.value_fen FROM movement m JOIN alloc a"
                               " ON a.movement = m.id WHERE m.parent = %lld ORDER BY a.id",
                           (long long)rc_mv),
                        "3000,3000,3600;1000,1000,1200;");
    assert_int_equal(stock(fx, "W01", "STEEL"), 0);
    assert_lots_whole(fx);
}

/* --- 8. backdating ------------------------------------------------------------------- */

static void test_backdated_receipt_reallocates_later_issues(void **state)
{
    fx_t *fx = *state;
    int64_t r1, i1, i2, r0, r00, lot00, lot1, bi;
    char want[512];

    r1 = post1(fx, "2026-01-10", receipt("W01", "ROPE", U(10), Y(100), ""));
    lot1 = lot_of(fx, r1);
    i1 = post1(fx, "2026-01-12", to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(5), "A3"));
    i2 = post1(fx, "2026-01-13", to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(3), "A3"));

    /* Dated after R1: R1 still goes first, nothing changes. */
    r0 = post1(fx, "2026-01-11", receipt("W01", "ROPE", U(10), Y(90), ""));
    assert_int_equal(fx->res.reallocated, 0);
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM realloc"), 0);
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM alloc"), 2);

    /* Dated before R1: the issues after it draw the older lot now. */
    r00 = post1(fx, "2026-01-08", receipt("W01", "ROPE", U(10), Y(80), ""));
    lot00 = lot_of(fx, r00);
    assert_int_equal(fx->res.reallocated, 2);
    snprintf(want, sizeof want, "%lld,%lld,50000,40000;%lld,%lld,30000,24000;", (long long)i1,
             (long long)r00, (long long)i2, (long long)r00);
    assert_string_equal(qs(fx, "SELECT movement, cause, old_value_fen, new_value_fen FROM realloc"
                               " ORDER BY id"),
                        want);
    /* I1: the old row reversed (reverses, negated), the new one after. */
    snprintf(want, sizeof want, "%lld,5000,50000,-,issue;%lld,-5000,-50000,-,issue;"
                                "%lld,5000,40000,-,issue;",
             (long long)lot1, (long long)lot1, (long long)lot00);
    assert_string_equal(allocs_of(fx, i1), want);
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM alloc a JOIN alloc r ON r.reverses = a.id"
                            " WHERE a.movement = %lld AND r.qty = -a.qty"
                            " AND r.value_fen = -a.value_fen", (long long)i1),
                     1);
    snprintf(want, sizeof want, "%lld,2000,16000;%lld,10000,100000;", (long long)lot00,
             (long long)lot1);
    assert_string_equal(qs(fx, "SELECT lot, qty, value_fen FROM lot_open WHERE lot <> %lld"
                               " ORDER BY fifo_day", (long long)lot_of(fx, r0)),
                        want);
    /* The reports follow: each issue's day carries its new value. */
    assert_string_equal(qs(fx, "SELECT day, qty, value_fen FROM agg_issue ORDER BY day"),
                        "2026-01-12,5000,40000;2026-01-13,3000,24000;");
    assert_int_equal(stock(fx, "W01", "ROPE"), U(22));

    /* A backdated issue is beyond stock only against what is on hand now. */
    expect_refused(fx, TT_ERR_STOCK, "2026-01-09",
                   to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(23), "A4"), "short 1");
    /* A backdated issue draws first (4 of R00); I1 still finds its 5 in
     * R00 (unchanged, not flagged); I2 now takes R00's last one (80.00)
     * and 2 of R1 (200.00). */
    bi = post1(fx, "2026-01-09", to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(4), "A4"));
    assert_int_equal(fx->res.reallocated, 1);
    snprintf(want, sizeof want, "%lld,4000,32000,-,issue;", (long long)lot00);
    assert_string_equal(allocs_of(fx, bi), want);
    assert_int_equal(qi(fx, "SELECT SUM(value_fen) FROM alloc WHERE movement = %lld",
                        (long long)i1),
                     40000);
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM alloc WHERE movement = %lld", (long long)i1),
                     3);
    assert_int_equal(qi(fx, "SELECT SUM(value_fen) FROM alloc WHERE movement = %lld",
                        (long long)i2),
                     8000 + 20000);
    snprintf(want, sizeof want, "%lld,%lld,24000,28000;", (long long)i2, (long long)bi);
    assert_string_equal(qs(fx, "SELECT movement, cause, old_value_fen, new_value_fen FROM realloc"
                               " WHERE cause = %lld ORDER BY id", (long long)bi),
                        want);
    assert_string_equal(qs(fx, "SELECT day, unit, qty, value_fen FROM agg_issue ORDER BY day"),
                        "2026-01-09,A4,4000,32000;2026-01-12,A3,5000,40000;"
                        "2026-01-13,A3,3000,28000;");

    /* A stocked-back issue keeps its allocations (they are what was given
     * back); the others are re-allocated. */
    post1(fx, "2026-01-14", to_unit(TT_LEDGER_STOCKBACK, "W01", "ROPE", U(1), "A3"));
    r0 = post1(fx, "2026-01-02", receipt("W01", "ROPE", U(20), Y(10), ""));
    assert_int_equal(fx->res.reallocated, 2);   /* the backdated issue and I1; not I2 */
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM realloc WHERE cause = %lld", (long long)r0), 2);
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM realloc WHERE movement = %lld AND cause = %lld",
                        (long long)i2, (long long)r0),
                     0);
    assert_int_equal(qi(fx, "SELECT SUM(value_fen) FROM alloc WHERE movement = %lld",
                        (long long)i1),
                     5000);
    assert_int_equal(qi(fx, "SELECT SUM(value_fen) FROM alloc WHERE movement = %lld",
                        (long long)bi),
                     4000);
    assert_lots_whole(fx);
}

/* A safety mark stays with (movement, lot) through a re-allocation. */
static void test_mark_follows_reallocation(void **state)
{
    fx_t *fx = *state;
    int64_t r1, is;

    r1 = post1(fx, "2026-01-10", receipt("W01", "ROPE", U(10), Y(100), ""));
    post1(fx, "2026-01-10", receipt("W01", "ROPE", U(10), Y(100), ""));
    is = post1(fx, "2026-01-12", to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(12), "A3"));
    assert_int_equal(tt_ledger_mark_safety(fx->l, is, lot_of(fx, r1), "S03", "refuge", "chief",
                                           "office1", NOW, fx->reason, sizeof fx->reason),
                     TT_OK);
    assert_string_equal(qs(fx, "SELECT category, marked, qty, value_fen FROM agg_issue"
                               " ORDER BY marked"),
                        ",0,2000,20000;S03,1,10000,100000;");
    /* 5 older units at 50.00: the issue now takes 5 of them, 7 of R1. */
    post1(fx, "2026-01-09", receipt("W01", "ROPE", U(5), Y(50), ""));
    assert_int_equal(fx->res.reallocated, 1);
    assert_string_equal(qs(fx, "SELECT category, marked, qty, value_fen FROM agg_issue"
                               " ORDER BY marked"),
                        ",0,5000,25000;S03,1,7000,70000;");
    assert_lots_whole(fx);
}

/* --- 9. counts, returns, exclusions, tags, validation ------------------------------ */

static void test_count_return_exclusion(void **state)
{
    fx_t *fx = *state;
    tt_ledger_line_t ex;
    int64_t mv;
    char *before;

    post1(fx, "2026-01-05", receipt("W01", "ROPE", U(10), Y(100), ""));
    before = ledger_state(fx);
    mv = post1(fx, "2026-01-06", line(TT_LEDGER_COUNT, "W01", "ROPE", U(8)));
    assert_string_equal(fx->res.doc, "PD.2");
    assert_string_equal(qs(fx, "SELECT kind, qty, book_qty, value_fen FROM movement WHERE id = %lld",
                           (long long)mv),
                        "count,8000,10000,-;");
    assert_int_equal(stock(fx, "W01", "ROPE"), U(10));
    free(before);
    post1(fx, "2026-01-06", line(TT_LEDGER_COUNT, "W01", "STEEL", 0));

    post1(fx, "2026-01-20", to_unit(TT_LEDGER_OLD_RETURN, "W01", "ROPE", U(3), "A3"));
    post1(fx, "2026-01-31", to_unit(TT_LEDGER_OLD_RETURN, "W01", "ROPE", U(2), "A3"));
    post1(fx, "2026-02-01", to_unit(TT_LEDGER_OLD_RETURN, "W01", "ROPE", U(1), "A3"));
    assert_int_equal(stock(fx, "W01", "ROPE"), U(10));
    ex = to_unit(TT_LEDGER_EXCLUSION, "", "ROPE", U(2), "A3");
    expect_refused(fx, TT_ERR_INVAL, "2026-01-21", ex, "note");
    snprintf(ex.note, sizeof ex.note, "new working face: first fit-out");
    expect_refused(fx, TT_ERR_INVAL, "2026-01-21", ex, "approver");
    assert_int_equal(post(fx, "2026-01-21", &ex, 1, "chief"), TT_OK);
    assert_string_equal(qs(fx, "SELECT month, unit, item, returned, excluded FROM agg_return"
                               " ORDER BY month"),
                        "2026-01,A3,ROPE,5000,2000;2026-02,A3,ROPE,1000,0;");
    expect_refused(fx, TT_ERR_INVAL, "2026-01-21",
                   line(TT_LEDGER_OLD_RETURN, "W01", "ROPE", U(1)), "unit");
}

static void test_validation_and_numbering(void **state)
{
    fx_t *fx = *state;
    tt_ledger_line_t two[2];
    char doc[TT_LEDGER_DOC_MAX + 1];
    int64_t mv;

    expect_refused(fx, TT_ERR_INVAL, "2026-01-05", receipt("W01", "ROPE", U(1), Y(1), "P-AQ"),
                   "category 'AQ-02' is not a safety-expense category code");
    expect_refused(fx, TT_ERR_INVAL, "2026-01-05", receipt("W01", "ROPE", U(1), Y(1), "P-REJ"),
                   "not approved");
    expect_refused(fx, TT_ERR_INVAL, "2026-01-05", receipt("W01", "STEEL", U(1), Y(1), "P-S06"),
                   "is for item ROPE");
    expect_refused(fx, TT_ERR_INVAL, "2026-01-05", receipt("W01", "ROPE", U(1), Y(1), "P-NONE"),
                   "P-NONE");
    expect_refused(fx, TT_ERR_INVAL, "2026-01-05", receipt("W09", "ROPE", U(1), Y(1), ""),
                   "warehouse W09");
    expect_refused(fx, TT_ERR_INVAL, "2026-01-05", receipt("W01", "NOPE", U(1), Y(1), ""),
                   "item NOPE");
    expect_refused(fx, TT_ERR_INVAL, "2026-01-05",
                   to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(1), "Z9"), "unit Z9");
    expect_refused(fx, TT_ERR_INVAL, "2026-01-05", line(TT_LEDGER_ISSUE, "W01", "ROPE", U(1)),
                   "unit: missing");
    expect_refused(fx, TT_ERR_INVAL, "2026-01-05", receipt("W01", "ROPE", 0, Y(1), ""), "qty");
    expect_refused(fx, TT_ERR_INVAL, "2026-02-30", receipt("W01", "ROPE", U(1), Y(1), ""),
                   "not a date");
    two[0] = receipt("W01", "ROPE", U(1), Y(1), "");
    two[1] = to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(1), "A3");
    assert_int_equal(post(fx, "2026-01-05", two, 2, NULL), TT_ERR_INVAL);
    assert_non_null(strstr(fx->reason, "one kind"));

    /* Numbers: the ledger's "<prefix>.<first movement>"; given ones as given. */
    assert_int_equal(tt_ledger_next_doc(fx->l, "RV", doc), TT_OK);
    assert_string_equal(doc, "RV.1");
    assert_int_equal(tt_ledger_next_doc(fx->l, "rv", doc), TT_ERR_INVAL);
    two[1] = receipt("W01", "ROPE", U(2), Y(1), "");
    assert_int_equal(post(fx, "2026-01-05", two, 2, NULL), TT_OK);
    assert_string_equal(fx->res.doc, "RK.1");
    assert_string_equal(qs(fx, "SELECT doc, line, origin, operator FROM movement ORDER BY id"),
                        "RK.1,1,office,office1;RK.1,2,office,office1;");
    assert_int_equal(tt_ledger_doc_used(fx->l, "RK.1"), TT_ERR_EXISTS);
    assert_int_equal(tt_ledger_doc_used(fx->l, "RK-2026-0001"), TT_OK);
    {
        tt_ledger_doc_t d;
        tt_ledger_line_t r = receipt("W01", "ROPE", U(1), Y(1), "");
        memset(&d, 0, sizeof d);
        snprintf(d.doc, sizeof d.doc, "RK-2026-0001");
        snprintf(d.day, sizeof d.day, "2026-01-05");
        snprintf(d.operator_id, sizeof d.operator_id, "office1");
        d.lines = &r;
        d.nlines = 1;
        assert_int_equal(tt_db_begin(fx->db), TT_OK);
        assert_int_equal(tt_ledger_post(fx->l, &d, NOW, &fx->res, fx->reason,
                                        sizeof fx->reason),
                         TT_OK);
        assert_int_equal(tt_db_commit(fx->db), TT_OK);
        assert_string_equal(fx->res.doc, "RK-2026-0001");
    }
    /* Audit's expense tags: on issues only, once. */
    mv = post1(fx, "2026-01-06", to_unit(TT_LEDGER_ISSUE, "W01", "ROPE", U(1), "A3"));
    assert_int_equal(tt_ledger_tag_expense(fx->l, mv, "", "audit1", NOW, fx->reason,
                                           sizeof fx->reason),
                     TT_ERR_INVAL);
    assert_int_equal(tt_ledger_tag_expense(fx->l, 1, "office", "audit1", NOW, fx->reason,
                                           sizeof fx->reason),
                     TT_ERR_INVAL);
    assert_int_equal(tt_ledger_tag_expense(fx->l, 999, "office", "audit1", NOW, fx->reason,
                                           sizeof fx->reason),
                     TT_ERR_NOTFOUND);
    assert_int_equal(tt_ledger_tag_expense(fx->l, mv, "office", "audit1", NOW, fx->reason,
                                           sizeof fx->reason),
                     TT_OK);
    assert_int_equal(tt_ledger_tag_expense(fx->l, mv, "office", "audit1", NOW, fx->reason,
                                           sizeof fx->reason),
                     TT_ERR_EXISTS);
    {
        char day[TT_LEDGER_DAY_LEN + 1];
        assert_int_equal(tt_ledger_day(1768496400000LL, day), TT_OK);   /* 17:00Z */
        assert_string_equal(day, "2026-01-16");
        assert_int_equal(tt_ledger_day(-1, day), TT_ERR_RANGE);
    }
}

/* --- 10. terminals through ingest ------------------------------------------------- */

static void on_ack(void *ctx, const char *topic, const char *payload, size_t len)
{
    fx_t *fx = ctx;
    assert_true(fx->nacks < 8);
    snprintf(fx->ack_topics[fx->nacks], sizeof fx->ack_topics[0], "%s", topic);
    fx->acks[fx->nacks] = strndup(payload, len);
    fx->nacks++;
}

static tt_event_t ev_make(uint64_t seq, tt_event_type_t type, const char *wh, const char *item,
                          tt_qty_t qty, int64_t ts)
{
    tt_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.seq = seq;
    ev.type = type;
    ev.ts_ms = ts;
    snprintf(ev.operator_id, sizeof ev.operator_id, "zhang3");
    snprintf(ev.body.stock.warehouse, sizeof ev.body.stock.warehouse, "%s", wh);
    snprintf(ev.body.stock.item, sizeof ev.body.stock.item, "%s", item);
    ev.body.stock.qty = qty;
    return ev;
}

typedef struct {
    const char *terminal;
    const tt_event_t *evs;
    size_t n;
} msg_t;

/* One ingest round of messages, received at server time `now`. */
static void round_of(fx_t *fx, const msg_t *m, size_t n, int64_t now)
{
    if (!fx->ing) {
        tt_ingest_conf_t conf = {.max_payload = 1 << 20, .hold_max = 100};
        assert_int_equal(tt_ingest_new(&conf, fx->db, NULL, &fx->ing), TT_OK);
    }
    clear_acks(fx);
    assert_int_equal(tt_ingest_begin(fx->ing), TT_OK);
    for (size_t i = 0; i < n; i++) {
        char topic[TT_EVENT_TOPIC_MAX];
        size_t len = 0;
        char *p = tt_test_batch(m[i].terminal, 0, m[i].evs, m[i].n, &len);
        assert_int_equal(tt_event_topic(topic, sizeof topic, m[i].terminal,
                                        TT_EVENT_LEAF_EVENTS),
                         TT_OK);
        assert_int_equal(tt_ingest_message(fx->ing, topic, p, len, now), TT_OK);
        free(p);
    }
    assert_int_equal(tt_ingest_commit(fx->ing, on_ack, fx), TT_OK);
}

static void test_terminals_race_for_the_last_units(void **state)
{
    fx_t *fx = *state;
    int64_t ts = NOW - 60000;
    tt_event_t rcv = ev_make(1, TT_EVENT_RECEIVE, "W01", "ROPE", U(5), ts);
    tt_event_t a = ev_make(1, TT_EVENT_ISSUE, "W01", "ROPE", U(4), ts + 1000);
    tt_event_t b = ev_make(1, TT_EVENT_ISSUE, "W01", "ROPE", U(4), ts + 500);
    msg_t race[2] = {{"T02", &a, 1}, {"T03", &b, 1}};
    tt_err_t rc;

    snprintf(rcv.body.stock.ref, sizeof rcv.body.stock.ref, "P-S06");
    snprintf(a.body.stock.unit, sizeof a.body.stock.unit, "A3");
    snprintf(b.body.stock.unit, sizeof b.body.stock.unit, "A4");
    round_of(fx, (msg_t[]){{"T01", &rcv, 1}}, 1, NOW);
    assert_int_equal(stock(fx, "W01", "ROPE"), U(5));
    /* Valued at the item's standard price, safety from its plan line. */
    assert_string_equal(qs(fx, "SELECT value_fen, category, receipt_doc FROM lot"),
                        "50000,S06,T01-1;");

    /* Both took the last units offline; T02's batch is first in the
     * server's order and wins; T03's issue becomes an exception. */
    round_of(fx, race, 2, NOW);
    assert_int_equal(stock(fx, "W01", "ROPE"), U(1));
    assert_int_equal(qi(fx, "SELECT MIN(qty) FROM stock"), U(1));
    assert_string_equal(qs(fx, "SELECT terminal, seq, doc, origin, unit, qty, value_fen FROM"
                               " movement WHERE kind = 'issue'"),
                        "T02,1,T02-1,terminal,A3,4000,40000;");
    assert_string_equal(qs(fx, "SELECT terminal, status, reason FROM event WHERE seq = 1"
                               " ORDER BY terminal"),
                        "T01,applied,-;T02,applied,-;"
                        "T03,rejected,insufficient stock of ROPE in W01: on hand 1, short 3;");
    assert_non_null(strstr(fx->acks[1], "short 3"));
    assert_string_equal(fx->ack_topics[1], "tt/v1/t/T03/ack");

    /* The office settles the exception (no corrective document needed). */
    assert_int_equal(tt_ledger_resolve(fx->l, "T03", 1, 0, "office1", "", NOW, fx->reason,
                                       sizeof fx->reason),
                     TT_ERR_INVAL);
    assert_int_equal(tt_ledger_resolve(fx->l, "T02", 1, 0, "office1", "done", NOW, fx->reason,
                                       sizeof fx->reason),
                     TT_ERR_NOTFOUND);
    assert_int_equal(tt_ledger_resolve(fx->l, "T03", 1, 999, "office1", "done", NOW, fx->reason,
                                       sizeof fx->reason),
                     TT_ERR_NOTFOUND);
    rc = tt_ledger_resolve(fx->l, "T03", 1, 0, "office1", "A4 took the last one from W02",
                           NOW, fx->reason, sizeof fx->reason);
    assert_int_equal(rc, TT_OK);
    assert_int_equal(tt_ledger_resolve(fx->l, "T03", 1, 0, "office1", "again", NOW, fx->reason,
                                       sizeof fx->reason),
                     TT_ERR_EXISTS);
    assert_lots_whole(fx);
}

static void test_terminal_documents_dates_and_kinds(void **state)
{
    fx_t *fx = *state;
    /* 2026-01-15 17:00Z is 2026-01-16 at the site. */
    int64_t ts = 1768496400000LL, now = ts + 5 * 60000;
    tt_event_t doc[3] = {ev_make(1, TT_EVENT_RECEIVE, "W01", "ROPE", U(6), ts),
                         ev_make(2, TT_EVENT_RECEIVE, "W01", "STEEL", U(2), ts + 1),
                         ev_make(3, TT_EVENT_COUNT, "W01", "ROPE", U(5), ts + 2)};
    tt_event_t ret = ev_make(4, TT_EVENT_RETURN, "W01", "ROPE", U(2), ts + 3);
    tt_event_t tr = ev_make(5, TT_EVENT_TRANSFER, "W01", "ROPE", U(2), ts + 4);
    tt_event_t bad = ev_make(1, TT_EVENT_RECEIVE, "W01", "ROPE", U(1), ts);
    tt_event_t late[2] = {ev_make(1, TT_EVENT_ISSUE, "W01", "ROPE", U(1), ts - 86400000LL * 3),
                          ev_make(2, TT_EVENT_ISSUE, "W01", "ROPE", U(1), ts + 7200000LL)};

    for (int i = 0; i < 2; i++) {
        doc[i].body.stock.line = (uint16_t)(i + 1);
        doc[i].body.stock.lines = 2;
    }
    snprintf(ret.body.stock.unit, sizeof ret.body.stock.unit, "A3");
    snprintf(tr.body.stock.to, sizeof tr.body.stock.to, "WA3");
    round_of(fx, (msg_t[]){{"T01", doc, 3}, {"T01", &ret, 1}, {"T01", &tr, 1}}, 3, now);
    assert_string_equal(qs(fx, "SELECT seq, kind, doc, line, day, operator, qty, book_qty FROM"
                               " movement ORDER BY id"),
                        "1,receipt,T01-1,1,2026-01-16,zhang3,6000,-;"
                        "2,receipt,T01-1,2,2026-01-16,zhang3,2000,-;"
                        "3,count,T01-3,1,2026-01-16,zhang3,5000,6000;"
                        "4,old_return,T01-4,1,2026-01-16,zhang3,2000,-;"
                        "5,transfer,T01-5,1,2026-01-16,zhang3,2000,-;");
    assert_string_equal(qs(fx, "SELECT seq, book_qty FROM event WHERE type = 'count'"),
                        "3,6000;");
    assert_string_equal(qs(fx, "SELECT * FROM agg_return"), "2026-01,A3,ROPE,2000,0;");
    assert_int_equal(stock(fx, "WA3", "ROPE"), U(2));
    /* STEEL at its standard price: 2 x 10.00. */
    assert_int_equal(qi(fx, "SELECT value_fen FROM lot WHERE item = 'STEEL'"), 2000);

    /* A plan line whose category is not a safety code refuses the receipt. */
    snprintf(bad.body.stock.ref, sizeof bad.body.stock.ref, "P-AQ");
    round_of(fx, (msg_t[]){{"T05", &bad, 1}}, 1, now);
    assert_string_equal(qs(fx, "SELECT status FROM event WHERE terminal = 'T05'"), "rejected;");
    assert_non_null(strstr(qs(fx, "SELECT reason FROM event WHERE terminal = 'T05'"), "AQ-02"));

    /* A terminal whose newest event is 2 hours off: its whole batch is
     * dated by the server's receive time (2026-01-16 at the site). */
    round_of(fx, (msg_t[]){{"T04", late, 2}}, 1, now);
    assert_string_equal(qs(fx, "SELECT day FROM movement WHERE terminal = 'T04' ORDER BY seq"),
                        "2026-01-16;2026-01-16;");
    /* Within 10 minutes: each event keeps its own time. */
    late[0] = ev_make(1, TT_EVENT_ISSUE, "W01", "ROPE", U(1), ts - 86400000LL * 2);
    late[1] = ev_make(2, TT_EVENT_ISSUE, "W01", "ROPE", U(1), now - 60000);
    round_of(fx, (msg_t[]){{"T06", late, 2}}, 1, now);
    assert_string_equal(qs(fx, "SELECT day FROM movement WHERE terminal = 'T06' ORDER BY seq"),
                        "2026-01-14;2026-01-16;");
    assert_lots_whole(fx);
}

/* Terminals whose month was closed meanwhile: refused, journaled, not lost. */
static void test_terminal_event_into_closed_month(void **state)
{
    fx_t *fx = *state;
    int64_t jan = 1768496400000LL;   /* 2026-01-16 at the site */
    tt_event_t e = ev_make(1, TT_EVENT_RECEIVE, "W01", "ROPE", U(1), jan);

    post1(fx, "2026-01-05", receipt("W01", "ROPE", U(1), Y(1), ""));
    assert_int_equal(tt_ledger_close_period(fx->l, "2026-01", "boss", NOW, fx->reason,
                                            sizeof fx->reason),
                     TT_OK);
    /* Synced a minute after the scan: dated by the scan, in January. */
    round_of(fx, (msg_t[]){{"T01", &e, 1}}, 1, jan + 60000);
    assert_string_equal(qs(fx, "SELECT status FROM event"), "rejected;");
    assert_non_null(strstr(qs(fx, "SELECT reason FROM event"), "closed"));
    assert_int_equal(stock(fx, "W01", "ROPE"), U(1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fifo_split_and_safety_mark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_beyond_stock_refused_with_shortfall, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lot_of_three_issued_one_by_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_month_refuses_and_keeps_reports, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_transfer_keeps_lot_identity_and_fifo, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stockback_returns_to_its_lot_at_its_price, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stockback_splits_without_losing_a_fen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_processed_part_consumes_fifo_with_categories, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_backdated_receipt_reallocates_later_issues, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mark_follows_reallocation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_return_exclusion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validation_and_numbering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_terminals_race_for_the_last_units, setup, teardown),
        cmocka_unit_test_setup_teardown(test_terminal_documents_dates_and_kinds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_terminal_event_into_closed_month, setup, teardown),
    };

    setenv("TZ", "CST-8", 1);
    tzset();
    return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
