/*
 * Unit tests of server/revolve over the ledger (server/ledger.h) and the
 * store: revolving materials drawn from a warehouse's FIFO stock, handed
 * over, confirmed or refused, lost, buried and scrapped; the general ledger
 * against the sub-ledgers and transit; refusals that write nothing; the
 * daily report and the movements behind a balance; terminal events; and the
 * import of the models.
 *
 * Each test has its own database in a fresh temporary folder, with master
 * data imported as the office would.  Quantities are thousandths (Q(n) is n
 * units).  Counts of rows read through SQLite directly are only there to
 * prove that a refused call wrote nothing.
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
#include "import.h"
#include "ledger.h"
#include "revolve.h"

#define Q(n) ((tt_qty_t)(n) * 1000)
#define NOW 1772366400000LL   /* 2026-03-01 12:00 UTC: January and February are past */
#define DAY "2026-01-05"

typedef struct {
    char dir[64];
    char path[128];
    tt_db_t *db;
    tt_ledger_t *ledger;
    tt_revolve_t *rv;
    tt_import_result_t *res;
    char reason[256];
} fx_t;

static const char UNITS[] = "id,name,kind\n"
                            "A,采煤一区,work_area\n"
                            "B,掘进二区,work_area\n"
                            "XL,修理厂,shop\n";
static const char WAREHOUSES[] = "id,name,kind,unit\n"
                                 "W01,中心仓库,central,\n";
static const char ITEMS[] =
    "code,name,spec,uom,category,price,return_old,reward,penalty,barcodes,active\n"
    "PROP,单体液压支柱,DW35,根,material,350,no,0,0,,yes\n"
    "BEAM,铰接顶梁,HDJA-1000,根,material,120,no,0,0,6900000000011,yes\n"
    "PUMP,乳化液泵,BRW400,台,equipment,20000,no,0,0,,yes\n";
static const char OPERATORS[] = "id,name,role,unit,badge,active\n"
                                "zhang3,张三,storekeeper,,,yes\n";
static const char MODELS[] = "item,name\n"
                             "PROP,单体液压支柱 DW35\n"
                             "BEAM,铰接顶梁\n";

/* --- fixture --------------------------------------------------------------- */

static void import_ok(fx_t *fx, int kind, const char *csv)
{
    tt_err_t rc = tt_import_text(fx->db, kind, "f.csv", csv, strlen(csv), NULL, NULL, fx->res);
    if (rc != TT_OK)
        fail_msg("import of %s: %d, first error: %s", tt_import_kind_name(kind), rc,
                 fx->res->nerrors ? fx->res->errors[0] : "(none)");
}

static int setup_bare(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    char err[256] = "";

    if (!fx)
        return -1;
    setenv("TZ", "UTC", 1);   /* business days of NOW as written here */
    tzset();
    fx->res = calloc(1, sizeof *fx->res);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_revolve_XXXXXX");
    if (!fx->res || !mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/server.db", fx->dir);
    if (tt_db_open(fx->path, 0, &fx->db, err, sizeof err) != TT_OK) {
        fprintf(stderr, "tt_db_open: %s\n", err);
        return -1;
    }
    if (tt_ledger_open(fx->db, &fx->ledger) != TT_OK ||
        tt_revolve_open(fx->db, fx->ledger, &fx->rv) != TT_OK)
        return -1;
    *state = fx;
    return 0;
}

/* A site with units A and B, warehouse W01, items PROP, BEAM, PUMP, and
 * PROP and BEAM as revolving models. */
static int setup(void **state)
{
    fx_t *fx;
    if (setup_bare(state) != 0)
        return -1;
    fx = *state;
    import_ok(fx, TT_DBMASTER_UNIT, UNITS);
    import_ok(fx, TT_DBMASTER_WAREHOUSE, WAREHOUSES);
    import_ok(fx, TT_DBMASTER_ITEM, ITEMS);
    import_ok(fx, TT_DBMASTER_OPERATOR, OPERATORS);
    import_ok(fx, TT_IMPORT_MODELS, MODELS);
    return 0;
}

static int teardown(void **state)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    fx_t *fx = *state;
    char p[160];

    tt_revolve_close(fx->rv);
    tt_ledger_close(fx->ledger);
    tt_db_close(fx->db);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", fx->path, suffixes[i]);
        unlink(p);
    }
    rmdir(fx->dir);
    free(fx->res);
    free(fx);
    return 0;
}

/* --- helpers --------------------------------------------------------------- */

/* Receives qty of `item` into W01 worth `value` fen, on `day`. */
static void receipt(fx_t *fx, const char *item, tt_qty_t qty, tt_fen_t value, const char *day)
{
    tt_ledger_line_t ln;
    tt_ledger_doc_t d;
    tt_err_t rc;

    memset(&ln, 0, sizeof ln);
    memset(&d, 0, sizeof d);
    ln.kind = TT_LEDGER_RECEIPT;
    ln.source = TT_LEDGER_PURCHASE;
    snprintf(ln.warehouse, sizeof ln.warehouse, "W01");
    snprintf(ln.item, sizeof ln.item, "%s", item);
    ln.qty = qty;
    ln.has_value = 1;
    ln.value = value;
    snprintf(d.day, sizeof d.day, "%s", day);
    snprintf(d.operator_id, sizeof d.operator_id, "zhang3");
    d.lines = &ln;
    d.nlines = 1;
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    rc = tt_ledger_post(fx->ledger, &d, NOW, NULL, fx->reason, sizeof fx->reason);
    if (rc != TT_OK)
        fail_msg("receipt: %d %s", rc, fx->reason);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
}

/* Applies one movement of PROP in its own transaction (committed whatever
 * the outcome: a refusal must leave it as it was). */
static tt_err_t move_of(fx_t *fx, const char *model, tt_revolve_action_t a, const char *unit,
                        const char *to_unit, tt_qty_t qty, int64_t handover, const char *day,
                        int64_t *id)
{
    tt_revolve_move_t mv;
    tt_err_t rc;

    memset(&mv, 0, sizeof mv);
    mv.action = a;
    if (a == TT_REVOLVE_DRAW)
        snprintf(mv.warehouse, sizeof mv.warehouse, "W01");
    if (a != TT_REVOLVE_CONFIRM && a != TT_REVOLVE_REFUSE)
        snprintf(mv.model, sizeof mv.model, "%s", model);
    snprintf(mv.unit, sizeof mv.unit, "%s", unit);
    snprintf(mv.to_unit, sizeof mv.to_unit, "%s", to_unit);
    mv.qty = qty;
    mv.handover = handover;
    fx->reason[0] = '\0';
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    rc = tt_revolve_apply(fx->rv, &mv, "", day, "zhang3", NOW, id, fx->reason,
                          sizeof fx->reason);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
    return rc;
}

static tt_err_t move(fx_t *fx, tt_revolve_action_t a, const char *unit, const char *to_unit,
                     tt_qty_t qty, int64_t handover, const char *day, int64_t *id)
{
    return move_of(fx, "PROP", a, unit, to_unit, qty, handover, day, id);
}

/* Applies and expects TT_OK; returns the movement id. */
static int64_t move_ok(fx_t *fx, tt_revolve_action_t a, const char *unit, const char *to_unit,
                       tt_qty_t qty, int64_t handover, const char *day)
{
    int64_t id = 0;
    tt_err_t rc = move(fx, a, unit, to_unit, qty, handover, day, &id);
    if (rc != TT_OK)
        fail_msg("%s: %d %s (%s)", tt_revolve_action_name(a), rc, fx->reason,
                 sqlite3_errmsg(tt_db_sqlite(fx->db)));
    assert_true(id > 0);
    return id;
}

static int64_t count(fx_t *fx, const char *sql)
{
    sqlite3_stmt *st;
    int64_t n = -1;
    assert_int_equal(sqlite3_prepare_v2(tt_db_sqlite(fx->db), sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static tt_qty_t on_hand(fx_t *fx, const char *item)
{
    tt_qty_t q = -1;
    assert_int_equal(tt_ledger_on_hand(fx->ledger, "W01", item, &q), TT_OK);
    return q;
}

typedef struct {
    int calls;
    tt_qty_t general, units_total, transit, a, b;
    int balanced;
    size_t nunits;
} recon_t;

static int on_recon(void *ctx, const tt_revolve_recon_t *r)
{
    recon_t *x = ctx;
    x->calls++;
    x->general = r->general;
    x->units_total = r->units_total;
    x->transit = r->in_transit;
    x->balanced = r->balanced;
    x->nunits = r->nunits;
    for (size_t i = 0; i < r->nunits; i++) {
        if (strcmp(r->units[i].unit, "A") == 0)
            x->a = r->units[i].qty;
        else if (strcmp(r->units[i].unit, "B") == 0)
            x->b = r->units[i].qty;
    }
    return 0;
}

static recon_t recon(fx_t *fx, const char *model)
{
    recon_t x;
    memset(&x, 0, sizeof x);
    assert_int_equal(tt_revolve_reconcile_each(fx->rv, model, on_recon, &x), TT_OK);
    assert_int_equal(x.calls, 1);
    return x;
}

/* Expects PROP to stand at general, A, B and transit, balanced. */
static void expect(fx_t *fx, tt_qty_t general, tt_qty_t a, tt_qty_t b, tt_qty_t transit)
{
    recon_t x = recon(fx, "PROP");
    if (x.general != general || x.a != a || x.b != b || x.transit != transit || !x.balanced)
        fail_msg("PROP: general %lld A %lld B %lld transit %lld balanced %d; expected %lld %lld"
                 " %lld %lld",
                 (long long)x.general, (long long)x.a, (long long)x.b, (long long)x.transit,
                 x.balanced, (long long)general, (long long)a, (long long)b,
                 (long long)transit);
    assert_int_equal(x.units_total + x.transit, x.general);
}

/* Everything a refused call must leave alone. */
typedef struct {
    int64_t movements, allocs, transits, dailies;
    tt_qty_t stock;
    recon_t r;
} snap_t;

static snap_t snap(fx_t *fx)
{
    snap_t s;
    memset(&s, 0, sizeof s);
    s.movements = count(fx, "SELECT COUNT(*) FROM movement");
    s.allocs = count(fx, "SELECT COUNT(*) FROM alloc");
    s.transits = count(fx, "SELECT COUNT(*) FROM rv_transit WHERE settled IS NULL");
    s.dailies = count(fx, "SELECT COUNT(*) + COALESCE(SUM(draw + hand_in + hand_out + back +"
                          " loss + burial + scrap), 0) FROM rv_daily");
    s.stock = on_hand(fx, "PROP");
    s.r = recon(fx, "PROP");
    return s;
}

static void expect_same(fx_t *fx, const snap_t *before)
{
    snap_t now = snap(fx);
    assert_int_equal(now.movements, before->movements);
    assert_int_equal(now.allocs, before->allocs);
    assert_int_equal(now.transits, before->transits);
    assert_int_equal(now.dailies, before->dailies);
    assert_int_equal(now.stock, before->stock);
    assert_memory_equal(&now.r, &before->r, sizeof now.r);
}

/* The daily report's rows, copied. */
typedef struct {
    char model[TT_EVENT_CODE_MAX + 1], unit[TT_EVENT_ID_MAX + 1];
    tt_revolve_day_t d;
} day_row_t;

typedef struct {
    day_row_t rows[16];
    size_t n;
} day_rows_t;

static int on_day(void *ctx, const tt_revolve_day_t *d)
{
    day_rows_t *x = ctx;
    assert_true(x->n < 16);
    snprintf(x->rows[x->n].model, sizeof x->rows[0].model, "%s", d->model);
    snprintf(x->rows[x->n].unit, sizeof x->rows[0].unit, "%s", d->unit);
    x->rows[x->n].d = *d;
    x->n++;
    return 0;
}

/* Expects row i to be (model, unit) with these figures. */
static void expect_day(const day_rows_t *x, size_t i, const char *model, const char *unit,
                       const tt_qty_t v[10])
{
    const tt_revolve_day_t *d;
    tt_qty_t got[10];
    assert_true(i < x->n);
    assert_string_equal(x->rows[i].model, model);
    assert_string_equal(x->rows[i].unit, unit);
    d = &x->rows[i].d;
    got[0] = d->opening, got[1] = d->draw, got[2] = d->handover_in, got[3] = d->handover_out;
    got[4] = d->returned, got[5] = d->loss, got[6] = d->burial, got[7] = d->scrap;
    got[8] = d->closing, got[9] = d->in_transit;
    for (int k = 0; k < 10; k++)
        if (got[k] != v[k])
            fail_msg("report row %zu (%s/%s) figure %d: %lld, expected %lld", i, model, unit, k,
                     (long long)got[k], (long long)v[k]);
}

/* The movements behind a balance, copied. */
typedef struct {
    int64_t id[16], parent[16];
    tt_revolve_action_t action[16];
    tt_qty_t delta[16], balance[16];
    char day[16][TT_LEDGER_DAY_LEN + 1];
    char other[16][TT_EVENT_CODE_MAX + 1];
    char doc[16][TT_LEDGER_DOC_MAX + 1];
    char terminal[16][TT_EVENT_ID_MAX + 1];
    uint64_t seq[16];
    size_t n;
} moves_t;

static int on_move(void *ctx, const tt_revolve_movement_t *m)
{
    moves_t *x = ctx;
    assert_true(x->n < 16);
    x->id[x->n] = m->id;
    x->parent[x->n] = m->parent;
    x->action[x->n] = m->action;
    x->delta[x->n] = m->delta;
    x->balance[x->n] = m->balance;
    snprintf(x->day[x->n], sizeof x->day[0], "%s", m->day);
    snprintf(x->other[x->n], sizeof x->other[0], "%s", m->other);
    snprintf(x->doc[x->n], sizeof x->doc[0], "%s", m->doc);
    snprintf(x->terminal[x->n], sizeof x->terminal[0], "%s", m->terminal);
    x->seq[x->n] = m->seq;
    x->n++;
    return 0;
}

static moves_t moves(fx_t *fx, const char *unit, const char *after_day, int64_t after_id,
                     size_t limit)
{
    tt_revolve_page_t pg;
    moves_t x;
    memset(&x, 0, sizeof x);
    memset(&pg, 0, sizeof pg);
    snprintf(pg.after_day, sizeof pg.after_day, "%s", after_day);
    pg.after_id = after_id;
    pg.limit = limit;
    assert_int_equal(tt_revolve_movements_each(fx->rv, "PROP", unit, &pg, on_move, &x), TT_OK);
    return x;
}

typedef struct {
    int n;
    int64_t id;
    tt_qty_t qty;
} transits_t;

static int on_transit(void *ctx, const tt_revolve_transit_t *x)
{
    transits_t *t = ctx;
    t->n++;
    t->id = x->handover;
    t->qty = x->qty;
    assert_string_equal(x->from_unit, "A");
    return 0;
}

/* --- the issue's scenario ---------------------------------------------------- */

/* 100 in stock, draw 40 to A, hand over 10 to B (confirmed), B loses 2,
 * buries 1, scraps 3: stock 60, A 30, B 4, general 34 == 30 + 4 + 0. */
static void test_scenario(void **state)
{
    fx_t *fx = *state;
    int64_t draw, h, conf;
    day_rows_t rep;
    moves_t m;

    receipt(fx, "PROP", Q(100), 100000, DAY);   /* 100 @ 10.00 */
    assert_int_equal(on_hand(fx, "PROP"), Q(100));

    draw = move_ok(fx, TT_REVOLVE_DRAW, "A", "", Q(40), 0, DAY);
    assert_int_equal(on_hand(fx, "PROP"), Q(60));
    expect(fx, Q(40), Q(40), 0, 0);
    /* The draw's issue is a FIFO issue of the ledger to A, its parent. */
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM movement WHERE kind = 'issue'"
                               " AND unit = 'A' AND item = 'PROP' AND qty = 40000"),
                     1);
    assert_int_equal(count(fx, "SELECT SUM(a.qty) FROM alloc a JOIN movement m ON m.id ="
                               " a.movement WHERE m.kind = 'issue'"),
                     Q(40));
    assert_int_equal(count(fx, "SELECT SUM(a.value_fen) FROM alloc a JOIN movement m ON m.id ="
                               " a.movement WHERE m.kind = 'issue'"),
                     40000);

    h = move_ok(fx, TT_REVOLVE_HANDOVER, "A", "B", Q(10), 0, DAY);
    expect(fx, Q(40), Q(30), 0, Q(10));   /* in transit counts in the general ledger */
    conf = move_ok(fx, TT_REVOLVE_CONFIRM, "B", "", 0, h, DAY);
    expect(fx, Q(40), Q(30), Q(10), 0);
    move_ok(fx, TT_REVOLVE_LOSS, "B", "", Q(2), 0, DAY);
    move_ok(fx, TT_REVOLVE_BURIAL, "B", "", Q(1), 0, DAY);
    move_ok(fx, TT_REVOLVE_SCRAP, "B", "", Q(3), 0, DAY);

    assert_int_equal(on_hand(fx, "PROP"), Q(60));
    expect(fx, Q(34), Q(30), Q(4), 0);

    /* The daily report: A and B, then the general row. */
    memset(&rep, 0, sizeof rep);
    assert_int_equal(tt_revolve_report_each(fx->rv, DAY, DAY, NULL, on_day, &rep), TT_OK);
    assert_int_equal(rep.n, 3);
    expect_day(&rep, 0, "PROP", "A",
               (const tt_qty_t[10]){0, Q(40), 0, Q(10), 0, 0, 0, 0, Q(30), 0});
    expect_day(&rep, 1, "PROP", "B",
               (const tt_qty_t[10]){0, 0, Q(10), 0, 0, Q(2), Q(1), Q(3), Q(4), 0});
    expect_day(&rep, 2, "PROP", "",
               (const tt_qty_t[10]){0, Q(40), Q(10), Q(10), 0, Q(2), Q(1), Q(3), Q(34), 0});
    /* The next day opens where this one closed. */
    memset(&rep, 0, sizeof rep);
    assert_int_equal(tt_revolve_report_each(fx->rv, "2026-01-06", "2026-01-06", "PROP", on_day,
                                            &rep),
                     TT_OK);
    assert_int_equal(rep.n, 3);
    expect_day(&rep, 1, "PROP", "B", (const tt_qty_t[10]){Q(4), 0, 0, 0, 0, 0, 0, 0, Q(4), 0});
    expect_day(&rep, 2, "PROP", "",
               (const tt_qty_t[10]){Q(34), 0, 0, 0, 0, 0, 0, 0, Q(34), 0});
    /* The day before: nothing. */
    memset(&rep, 0, sizeof rep);
    assert_int_equal(tt_revolve_report_each(fx->rv, "2026-01-04", "2026-01-04", NULL, on_day,
                                            &rep),
                     TT_OK);
    assert_int_equal(rep.n, 0);

    /* The movements behind B's balance, in two pages. */
    m = moves(fx, "B", "", 0, 2);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.id[0], conf);
    assert_int_equal(m.action[0], TT_REVOLVE_CONFIRM);
    assert_string_equal(m.other[0], "A");
    assert_int_equal(m.parent[0], h);
    assert_int_equal(m.delta[0], Q(10));
    assert_int_equal(m.balance[0], Q(10));
    assert_int_equal(m.action[1], TT_REVOLVE_LOSS);
    assert_int_equal(m.balance[1], Q(8));
    m = moves(fx, "B", m.day[1], m.id[1], 10);
    assert_int_equal(m.n, 2);
    assert_int_equal(m.action[0], TT_REVOLVE_BURIAL);
    assert_int_equal(m.balance[0], Q(7));
    assert_int_equal(m.delta[1], -Q(3));
    assert_int_equal(m.balance[1], Q(4));

    /* Behind the general ledger: handovers and their settlements change
     * nothing there. */
    m = moves(fx, NULL, "", 0, 100);
    assert_int_equal(m.n, 6);
    assert_int_equal(m.id[0], draw);
    assert_string_equal(m.other[0], "W01");
    assert_true(m.parent[0] > 0);
    assert_int_equal(m.balance[0], Q(40));
    assert_int_equal(m.delta[1], 0);
    assert_int_equal(m.delta[2], 0);
    assert_int_equal(m.balance[5], Q(34));
    /* The draw's document holds its issue (line 1) and itself (line 2). */
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM movement m JOIN movement r"
                               " ON r.parent = m.id AND r.doc = m.doc WHERE r.kind = 'revolve'"
                               " AND r.sub = 'draw' AND m.kind = 'issue' AND m.line = 1"
                               " AND r.line = 2"),
                     1);
    assert_int_equal(strncmp(m.doc[0], "RV.", 3), 0);
}

/* A refused handover goes back to the handing unit; it is settled once. */
static void test_refused_handover_goes_back(void **state)
{
    fx_t *fx = *state;
    int64_t h, h2;
    day_rows_t rep;

    receipt(fx, "PROP", Q(100), 100000, DAY);
    move_ok(fx, TT_REVOLVE_DRAW, "A", "", Q(20), 0, DAY);
    h = move_ok(fx, TT_REVOLVE_HANDOVER, "A", "B", Q(5), 0, DAY);
    expect(fx, Q(20), Q(15), 0, Q(5));

    /* Only the receiving unit settles it, not before its day, whole. */
    assert_int_equal(move(fx, TT_REVOLVE_CONFIRM, "A", "", 0, h, DAY, NULL), TT_ERR_INVAL);
    assert_non_null(strstr(fx->reason, "goes to unit B"));
    assert_int_equal(move(fx, TT_REVOLVE_REFUSE, "B", "", 0, h, "2026-01-04", NULL),
                     TT_ERR_INVAL);
    assert_int_equal(move(fx, TT_REVOLVE_CONFIRM, "B", "", Q(4), h, DAY, NULL), TT_ERR_INVAL);
    assert_int_equal(move(fx, TT_REVOLVE_CONFIRM, "B", "", 0, h + 1000, DAY, NULL),
                     TT_ERR_NOTFOUND);

    move_ok(fx, TT_REVOLVE_REFUSE, "B", "", 0, h, "2026-01-06");
    expect(fx, Q(20), Q(20), 0, 0);
    assert_int_equal(move(fx, TT_REVOLVE_CONFIRM, "B", "", 0, h, "2026-01-06", NULL),
                     TT_ERR_CONFLICT);
    assert_non_null(strstr(fx->reason, "settled already"));
    expect(fx, Q(20), Q(20), 0, 0);

    /* In transit over the night of the 5th: the report counts it in the
     * general ledger (20 == A's 15 + 5 in transit). */
    memset(&rep, 0, sizeof rep);
    assert_int_equal(tt_revolve_report_each(fx->rv, DAY, DAY, "PROP", on_day, &rep), TT_OK);
    assert_int_equal(rep.n, 2);
    expect_day(&rep, 0, "PROP", "A",
               (const tt_qty_t[10]){0, Q(20), 0, Q(5), 0, 0, 0, 0, Q(15), 0});
    expect_day(&rep, 1, "PROP", "",
               (const tt_qty_t[10]){0, Q(20), 0, Q(5), 0, 0, 0, 0, Q(20), Q(5)});
    memset(&rep, 0, sizeof rep);
    assert_int_equal(tt_revolve_report_each(fx->rv, "2026-01-06", "2026-01-06", "PROP", on_day,
                                            &rep),
                     TT_OK);
    assert_int_equal(rep.n, 2);
    expect_day(&rep, 0, "PROP", "A",
               (const tt_qty_t[10]){Q(15), 0, 0, 0, Q(5), 0, 0, 0, Q(20), 0});
    expect_day(&rep, 1, "PROP", "",
               (const tt_qty_t[10]){Q(20), 0, 0, 0, Q(5), 0, 0, 0, Q(20), 0});
    /* Both days at once: from the 5th's opening to the 6th's closing. */
    memset(&rep, 0, sizeof rep);
    assert_int_equal(tt_revolve_report_each(fx->rv, DAY, "2026-01-06", "PROP", on_day, &rep),
                     TT_OK);
    assert_int_equal(rep.n, 2);
    expect_day(&rep, 0, "PROP", "A",
               (const tt_qty_t[10]){0, Q(20), 0, Q(5), Q(5), 0, 0, 0, Q(20), 0});
    assert_int_equal(tt_revolve_report_each(fx->rv, "2026-01-06", DAY, "PROP", on_day, &rep),
                     TT_ERR_INVAL);

    /* A handover still open is listed for the receiving unit. */
    h2 = move_ok(fx, TT_REVOLVE_HANDOVER, "A", "B", Q(7), 0, "2026-01-06");
    expect(fx, Q(20), Q(13), 0, Q(7));
    {
        transits_t t;
        memset(&t, 0, sizeof t);
        assert_int_equal(tt_revolve_transit_each(fx->rv, NULL, "B", on_transit, &t), TT_OK);
        assert_int_equal(t.n, 1);
        assert_int_equal(t.id, h2);
        assert_int_equal(t.qty, Q(7));
        memset(&t, 0, sizeof t);
        assert_int_equal(tt_revolve_transit_each(fx->rv, "PROP", "A", on_transit, &t), TT_OK);
        assert_int_equal(t.n, 0);
    }
}

/* Beyond a unit's balance: refused with the shortfall, nothing written;
 * beyond the warehouse's stock likewise. */
static void test_beyond_balance_refused(void **state)
{
    fx_t *fx = *state;
    snap_t before;

    receipt(fx, "PROP", Q(100), 100000, DAY);
    move_ok(fx, TT_REVOLVE_DRAW, "A", "", Q(30), 0, DAY);
    before = snap(fx);

    assert_int_equal(move(fx, TT_REVOLVE_LOSS, "A", "", Q(31), 0, DAY, NULL), TT_ERR_STOCK);
    assert_string_equal(fx->reason, "insufficient PROP at unit A: holds 30 on 2026-01-05, short 1");
    expect_same(fx, &before);
    assert_int_equal(move(fx, TT_REVOLVE_HANDOVER, "A", "B", Q(35), 0, DAY, NULL),
                     TT_ERR_STOCK);
    assert_non_null(strstr(fx->reason, "short 5"));
    expect_same(fx, &before);
    assert_int_equal(move(fx, TT_REVOLVE_SCRAP, "B", "", 1, 0, DAY, NULL), TT_ERR_STOCK);
    assert_non_null(strstr(fx->reason, "short 0.001"));
    expect_same(fx, &before);
    /* 70 left in W01: a draw of 71 is the ledger's refusal, its issue
     * undone with it. */
    assert_int_equal(move(fx, TT_REVOLVE_DRAW, "B", "", Q(71), 0, DAY, NULL), TT_ERR_STOCK);
    assert_non_null(strstr(fx->reason, "short 1"));
    expect_same(fx, &before);

    /* Exactly the balance is fine. */
    move_ok(fx, TT_REVOLVE_BURIAL, "A", "", Q(30), 0, DAY);
    expect(fx, 0, 0, 0, 0);
}

/* A backdated take must fit every later day too, so that no daily report
 * ever shows a negative balance. */
static void test_backdated_take(void **state)
{
    fx_t *fx = *state;
    snap_t before;

    receipt(fx, "PROP", Q(100), 100000, "2026-01-02");
    move_ok(fx, TT_REVOLVE_DRAW, "A", "", Q(10), 0, "2026-01-05");
    move_ok(fx, TT_REVOLVE_HANDOVER, "A", "B", Q(8), 0, "2026-01-07");
    before = snap(fx);
    /* Before the draw A held nothing. */
    assert_int_equal(move(fx, TT_REVOLVE_LOSS, "A", "", Q(1), 0, "2026-01-04", NULL),
                     TT_ERR_STOCK);
    assert_string_equal(fx->reason, "insufficient PROP at unit A: holds 0 on 2026-01-04, short 1");
    /* On the 6th A held 10, but from the 7th only 2. */
    assert_int_equal(move(fx, TT_REVOLVE_LOSS, "A", "", Q(3), 0, "2026-01-06", NULL),
                     TT_ERR_STOCK);
    assert_string_equal(fx->reason, "insufficient PROP at unit A: holds 2 on 2026-01-07 (later"
                                    " movements take the rest), short 1");
    expect_same(fx, &before);
    move_ok(fx, TT_REVOLVE_LOSS, "A", "", Q(2), 0, "2026-01-06");
    expect(fx, Q(8), 0, 0, Q(8));
}

/* Dated in a closed month: refused, whatever the action. */
static void test_closed_month(void **state)
{
    fx_t *fx = *state;
    snap_t before;
    int64_t h;

    receipt(fx, "PROP", Q(100), 100000, DAY);
    move_ok(fx, TT_REVOLVE_DRAW, "A", "", Q(10), 0, DAY);
    h = move_ok(fx, TT_REVOLVE_HANDOVER, "A", "B", Q(4), 0, "2026-01-20");
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    assert_int_equal(tt_ledger_close_period(fx->ledger, "2026-01", "zhang3", NOW, fx->reason,
                                            sizeof fx->reason),
                     TT_OK);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
    before = snap(fx);

    assert_int_equal(move(fx, TT_REVOLVE_LOSS, "A", "", Q(1), 0, "2026-01-31", NULL),
                     TT_ERR_CLOSED);
    assert_int_equal(move(fx, TT_REVOLVE_DRAW, "A", "", Q(1), 0, "2026-01-31", NULL),
                     TT_ERR_CLOSED);
    assert_int_equal(move(fx, TT_REVOLVE_CONFIRM, "B", "", 0, h, "2026-01-31", NULL),
                     TT_ERR_CLOSED);
    expect_same(fx, &before);
    /* In the open month it goes through: the handover made in January is
     * confirmed in February. */
    move_ok(fx, TT_REVOLVE_CONFIRM, "B", "", 0, h, "2026-02-02");
    move_ok(fx, TT_REVOLVE_LOSS, "A", "", Q(1), 0, "2026-02-02");
    expect(fx, Q(9), Q(5), Q(4), 0);
}

/* Fields checked before anything is written. */
static void test_bad_movements(void **state)
{
    fx_t *fx = *state;
    tt_revolve_t *reader = NULL;
    tt_revolve_move_t mv;
    snap_t before;

    receipt(fx, "PROP", Q(100), 100000, DAY);
    receipt(fx, "PUMP", Q(2), 4000000, DAY);
    move_ok(fx, TT_REVOLVE_DRAW, "A", "", Q(10), 0, DAY);
    before = snap(fx);
    assert_int_equal(move(fx, TT_REVOLVE_HANDOVER, "A", "A", Q(1), 0, DAY, NULL), TT_ERR_INVAL);
    assert_int_equal(move(fx, TT_REVOLVE_HANDOVER, "A", "ZZ", Q(1), 0, DAY, NULL),
                     TT_ERR_INVAL);
    assert_string_equal(fx->reason, "to_unit 'ZZ' does not exist");
    assert_int_equal(move(fx, TT_REVOLVE_LOSS, "ZZ", "", Q(1), 0, DAY, NULL), TT_ERR_INVAL);
    assert_int_equal(move(fx, TT_REVOLVE_LOSS, "A", "", 0, 0, DAY, NULL), TT_ERR_INVAL);
    assert_int_equal(move(fx, TT_REVOLVE_LOSS, "A", "", -Q(1), 0, DAY, NULL), TT_ERR_INVAL);
    assert_int_equal(move(fx, TT_REVOLVE_LOSS, "A", "", Q(1), 0, "2026-02-30", NULL),
                     TT_ERR_INVAL);
    /* PUMP is an item but no revolving model. */
    assert_int_equal(move_of(fx, "PUMP", TT_REVOLVE_DRAW, "A", "", Q(1), 0, DAY, NULL),
                     TT_ERR_INVAL);
    assert_string_equal(fx->reason, "item 'PUMP' is not a revolving-material model");
    assert_int_equal(move(fx, TT_REVOLVE_CONFIRM, "B", "", 0, 0, DAY, NULL), TT_ERR_INVAL);
    expect_same(fx, &before);
    assert_int_equal(on_hand(fx, "PUMP"), Q(2));

    /* A handle without a ledger reads but never writes. */
    assert_int_equal(tt_revolve_open(fx->db, NULL, &reader), TT_OK);
    memset(&mv, 0, sizeof mv);
    mv.action = TT_REVOLVE_LOSS;
    snprintf(mv.model, sizeof mv.model, "PROP");
    snprintf(mv.unit, sizeof mv.unit, "A");
    mv.qty = Q(1);
    assert_int_equal(tt_revolve_apply(reader, &mv, "", DAY, "zhang3", NOW, NULL, fx->reason,
                                      sizeof fx->reason),
                     TT_ERR_INVAL);
    {
        recon_t x;
        memset(&x, 0, sizeof x);
        assert_int_equal(tt_revolve_reconcile_each(reader, NULL, on_recon, &x), TT_OK);
        assert_int_equal(x.calls, 2);   /* BEAM, PROP */
        assert_int_equal(x.general, Q(10));
        assert_true(x.balanced);
    }
    tt_revolve_close(reader);
    tt_revolve_close(NULL);
    expect_same(fx, &before);
    assert_int_equal(tt_revolve_action_parse("burial"), TT_REVOLVE_BURIAL);
    assert_int_equal(tt_revolve_action_parse("bury"), 0);
    assert_string_equal(tt_revolve_action_name(TT_REVOLVE_REFUSE), "refuse");
    assert_null(tt_revolve_action_name((tt_revolve_action_t)99));
}

static tt_event_t revolve_event(uint64_t seq, const char *action, const char *unit,
                                const char *to_unit, tt_qty_t qty)
{
    tt_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.seq = seq;
    ev.ts_ms = NOW;
    ev.type = TT_EVENT_REVOLVE;
    snprintf(ev.operator_id, sizeof ev.operator_id, "zhang3");
    snprintf(ev.body.stock.warehouse, sizeof ev.body.stock.warehouse, "W01");
    snprintf(ev.body.stock.item, sizeof ev.body.stock.item, "PROP");
    snprintf(ev.body.stock.action, sizeof ev.body.stock.action, "%s", action);
    snprintf(ev.body.stock.unit, sizeof ev.body.stock.unit, "%s", unit);
    snprintf(ev.body.stock.to_unit, sizeof ev.body.stock.to_unit, "%s", to_unit);
    ev.body.stock.qty = qty;
    return ev;
}

static tt_err_t event(fx_t *fx, const tt_event_t *ev)
{
    char why[TT_EVENT_REASON_MAX];
    tt_err_t rc;

    assert_int_equal(tt_event_validate(ev, why, sizeof why), TT_OK);
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    rc = tt_revolve_apply_event(fx->rv, "T01", ev, DAY, NOW, fx->reason, sizeof fx->reason);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
    return rc;
}

/* Terminal revolve events: draw, handover, loss ...; the office confirms. */
static void test_terminal_events(void **state)
{
    fx_t *fx = *state;
    tt_event_t ev;
    moves_t m;
    transits_t t;
    snap_t before;

    receipt(fx, "PROP", Q(100), 100000, DAY);
    ev = revolve_event(7, "draw", "A", "", Q(12));
    assert_int_equal(event(fx, &ev), TT_OK);
    ev = revolve_event(8, "handover", "A", "B", Q(5));
    ev.body.stock.line = 1;
    ev.body.stock.lines = 2;
    assert_int_equal(event(fx, &ev), TT_OK);
    ev = revolve_event(9, "scrap", "A", "", Q(1));
    ev.body.stock.line = 2;
    ev.body.stock.lines = 2;
    assert_int_equal(event(fx, &ev), TT_OK);
    assert_int_equal(on_hand(fx, "PROP"), Q(88));
    expect(fx, Q(11), Q(6), 0, Q(5));

    m = moves(fx, "A", "", 0, 10);
    assert_int_equal(m.n, 3);
    assert_string_equal(m.doc[0], "T01-7");
    assert_string_equal(m.terminal[0], "T01");
    assert_int_equal(m.seq[0], 7);
    assert_true(m.parent[0] > 0);
    assert_string_equal(m.doc[1], "T01-8");   /* one document of two lines */
    assert_string_equal(m.doc[2], "T01-8");
    assert_int_equal(m.seq[2], 9);
    assert_int_equal(m.balance[2], Q(6));

    memset(&t, 0, sizeof t);
    assert_int_equal(tt_revolve_transit_each(fx->rv, "PROP", "B", on_transit, &t), TT_OK);
    assert_int_equal(t.n, 1);
    move_ok(fx, TT_REVOLVE_CONFIRM, "B", "", 0, t.id, DAY);
    expect(fx, Q(11), Q(6), Q(5), 0);

    /* Refused events: the caller journals them; nothing is written. */
    before = snap(fx);
    ev = revolve_event(10, "loss", "B", "", Q(6));
    assert_int_equal(event(fx, &ev), TT_ERR_STOCK);
    assert_non_null(strstr(fx->reason, "short 1"));
    ev = revolve_event(11, "burial", "ZZ", "", Q(1));
    assert_int_equal(event(fx, &ev), TT_ERR_INVAL);
    ev = revolve_event(12, "confirm", "B", "", Q(1));
    assert_int_equal(tt_revolve_apply_event(fx->rv, "T01", &ev, DAY, NOW, fx->reason,
                                            sizeof fx->reason),
                     TT_ERR_INVAL);
    ev.type = TT_EVENT_ISSUE;
    assert_int_equal(tt_revolve_apply_event(fx->rv, "T01", &ev, DAY, NOW, fx->reason,
                                            sizeof fx->reason),
                     TT_ERR_INVAL);
    expect_same(fx, &before);
}

/* --- models master data --------------------------------------------------------- */

static void test_import_models(void **state)
{
    fx_t *fx = *state;
    tt_revolve_model_t m;
    uint64_t v0 = 0, v = 0, mv = 0;
    static const char bad[] = "item,name\n"
                              "PUMP,乳化液泵\n"              /* fine, but not kept */
                              "NOPE,无此物资\n"              /* line 3: no such item */
                              "BEAM,\n"                      /* line 4: empty name */
                              "PUMP,again\n"                 /* line 5: twice */
                              "6900000000011,铰接顶梁\n";    /* line 6: a barcode */

    /* setup imported PROP and BEAM as one master version. */
    assert_int_equal(tt_revolve_model_get(fx->rv, "PROP", &m, &v0), TT_OK);
    assert_string_equal(m.name, "单体液压支柱 DW35");
    assert_int_equal(tt_dbmaster_version(fx->db, &mv), TT_OK);
    assert_int_equal(v0, mv);
    assert_int_equal(tt_revolve_model_get(fx->rv, "PUMP", NULL, NULL), TT_ERR_NOTFOUND);

    /* The same file again changes nothing, not even the version. */
    import_ok(fx, TT_IMPORT_MODELS, MODELS);
    assert_int_equal(fx->res->rows, 2);
    assert_int_equal(fx->res->changed, 0);
    assert_int_equal(fx->res->version, v0);

    /* A file with errors: every one by line, nothing kept. */
    assert_int_equal(tt_import_text(fx->db, TT_IMPORT_MODELS, "m.csv", bad, strlen(bad), NULL,
                                     NULL, fx->res),
                     TT_ERR_PARSE);
    assert_int_equal(fx->res->nerrors, 4);
    assert_string_equal(fx->res->errors[0],
                        "m.csv:3: item 'NOPE' does not exist (import it with the items first)");
    assert_string_equal(fx->res->errors[1], "m.csv:4: name: empty");
    assert_string_equal(fx->res->errors[2], "m.csv:5: item 'PUMP' already on line 2");
    assert_string_equal(fx->res->errors[3],
                        "m.csv:6: item '6900000000011' is a barcode of item 'BEAM': give the"
                        " item's code");
    assert_int_equal(tt_revolve_model_get(fx->rv, "PUMP", NULL, NULL), TT_ERR_NOTFOUND);
    assert_int_equal(tt_dbmaster_version(fx->db, &mv), TT_OK);
    assert_int_equal(mv, v0);

    /* A wrong header is one error on line 1. */
    assert_int_equal(tt_import_text(fx->db, TT_IMPORT_MODELS, "m.csv", "code,name\nPROP,x\n", 18,
                                     NULL, NULL, fx->res),
                     TT_ERR_PARSE);
    assert_int_equal(fx->res->nerrors, 1);
    assert_non_null(strstr(fx->res->errors[0], "m.csv:1:"));

    /* A renamed model and a new one: two rows changed, one new version. */
    import_ok(fx, TT_IMPORT_MODELS, "item,name\nPROP,单体液压支柱 DW35\nBEAM,铰接顶梁 HDJA\n"
                                    "PUMP,乳化液泵\n");
    assert_int_equal(fx->res->changed, 2);
    assert_int_equal(fx->res->version, v0 + 1);
    assert_int_equal(tt_revolve_model_get(fx->rv, "BEAM", &m, &v), TT_OK);
    assert_string_equal(m.name, "铰接顶梁 HDJA");
    assert_int_equal(v, v0 + 1);
    assert_int_equal(tt_revolve_model_get(fx->rv, "PROP", NULL, &v), TT_OK);
    assert_int_equal(v, v0);

    assert_int_equal(tt_import_kind_parse("models"), TT_IMPORT_MODELS);
    assert_string_equal(tt_import_kind_name(TT_IMPORT_MODELS), "models");
    assert_null(tt_import_kind_name(TT_DBMASTER_LAST + 1));
}

/* The progress callback sees every row of a models import, ending at the
 * total. */
typedef struct {
    int calls;
    size_t done, total;
} progress_t;

static void on_progress(void *ctx, size_t done, size_t total)
{
    progress_t *p = ctx;
    assert_true(done <= total);
    assert_true(done >= p->done);
    p->calls++;
    p->done = done;
    p->total = total;
}

static void test_import_models_progress(void **state)
{
    fx_t *fx = *state;
    size_t cap = 600 * 80, n;
    char *items = malloc(cap), *models = malloc(cap);
    progress_t pr = {0, 0, 0};

    assert_non_null(items);
    assert_non_null(models);
    n = (size_t)snprintf(items, cap, "code,name,spec,uom,category,price,return_old,reward,"
                                     "penalty,barcodes,active\n");
    for (int i = 0; i < 600; i++)
        n += (size_t)snprintf(items + n, cap - n, "RV-%04d,支柱%d,,根,material,1,no,0,0,,yes\n",
                              i, i);
    import_ok(fx, TT_DBMASTER_ITEM, items);
    n = (size_t)snprintf(models, cap, "item,name\n");
    for (int i = 0; i < 600; i++)
        n += (size_t)snprintf(models + n, cap - n, "RV-%04d,型号%d\n", i, i);
    assert_int_equal(tt_import_text(fx->db, TT_IMPORT_MODELS, "m.csv", models, n, on_progress,
                                    &pr, fx->res),
                     TT_OK);
    assert_int_equal(fx->res->changed, 600);
    assert_true(pr.calls >= 3);
    assert_int_equal(pr.done, 600);
    assert_int_equal(pr.total, 600);
    free(items);
    free(models);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scenario, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_handover_goes_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_beyond_balance_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backdated_take, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_month, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_movements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_terminal_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_models, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_models_progress, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
