/*
 * Unit tests of server/report over a ledger filled through tt_ledger_post
 * (and tt_db_reject_event for exceptions), asserting hand-computed figures:
 *
 *   safety: R1 10 @ 100.00 (plan line in S06), R2 10 @ 120.00 (no plan),
 *   issue 15: (a) 1000.00 in S06; marking the R2 part used for safety moves
 *   600.00 into (b); the drill-down lines add up to each figure;
 *   assessment: issued 20, returned 15, excluded 2, penalty standard 50.00:
 *   shortfall 3, penalty 150.00 (reward 15 x 2.00, recovery 15 x 80.00);
 *   the issuance ledger paged 3 lines at a time: every line once, in (day,
 *   id) order, the totals those of the whole filter;
 *   a closed month's reports are byte for byte the same after a refused
 *   backdated receipt;
 *   work-area stock and lots after a transfer; exceptions open and settled.
 *
 * Each test has its own database in a fresh temporary folder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"
#include "import.h"
#include "ledger.h"
#include "report.h"

typedef struct {
    char dir[64];
    char path[128];
    tt_db_t *db;
    tt_ledger_t *l;
    int64_t now;
} fx_t;

static const char UNITS[] = "id,name,kind\n"
                            "CM1,采煤一区,work_area\n"
                            "JJ2,掘进二区,work_area\n";
static const char WAREHOUSES[] = "id,name,kind,unit\n"
                                 "W01,中心仓库,central,\n"
                                 "CK03,采煤一区库,work_area,CM1\n";
static const char ITEMS[] =
    "code,name,spec,uom,category,price,return_old,reward,penalty,barcodes,active\n"
    "BOOT,矿工靴,42,双,material,100.00,no,0,0,,yes\n"
    "DRILL,钻头,Φ42,个,material,80.00,yes,2.00,50.00,,yes\n"
    "BOLT,锚杆,Φ20,根,material,12.50,no,0,0,,yes\n";
static const char PLANS[] = "serial,item,qty,category,unit,status\n"
                            "P1,BOOT,10,S06,CM1,approved\n";

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    tt_import_result_t *res = calloc(1, sizeof *res);
    static const struct {
        tt_dbmaster_table_t kind;
        const char *csv;
    } master[] = {{TT_DBMASTER_UNIT, UNITS}, {TT_DBMASTER_WAREHOUSE, WAREHOUSES},
                  {TT_DBMASTER_ITEM, ITEMS}, {TT_DBMASTER_PLAN, PLANS}};
    char err[256] = "";

    if (!fx || !res)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_report_XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/server.db", fx->dir);
    if (tt_db_open(fx->path, 0, &fx->db, err, sizeof err) != TT_OK) {
        fprintf(stderr, "tt_db_open: %s\n", err);
        return -1;
    }
    for (size_t i = 0; i < sizeof master / sizeof master[0]; i++)
        if (tt_import_text(fx->db, master[i].kind, "m.csv", master[i].csv,
                           strlen(master[i].csv), NULL, NULL, res) != TT_OK) {
            fprintf(stderr, "import: %s\n", res->nerrors ? res->errors[0] : "?");
            return -1;
        }
    free(res);
    if (tt_ledger_open(fx->db, &fx->l) != TT_OK)
        return -1;
    fx->now = 1795000000000;   /* 2026-11-18: every day used below is in the past */
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    fx_t *fx = *state;
    char p[160];

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

/* --- posting ----------------------------------------------------------------- */

static tt_ledger_line_t line(tt_ledger_kind_t kind, const char *wh, const char *item,
                             tt_qty_t qty)
{
    tt_ledger_line_t ln;
    memset(&ln, 0, sizeof ln);
    ln.kind = kind;
    ln.source = TT_LEDGER_PURCHASE;
    snprintf(ln.warehouse, sizeof ln.warehouse, "%s", wh);
    snprintf(ln.item, sizeof ln.item, "%s", item);
    ln.qty = qty;
    return ln;
}

static tt_ledger_line_t receipt(const char *item, tt_qty_t qty, tt_fen_t value,
                                const char *plan)
{
    tt_ledger_line_t ln = line(TT_LEDGER_RECEIPT, "W01", item, qty);
    ln.has_value = 1;
    ln.value = value;
    snprintf(ln.plan_serial, sizeof ln.plan_serial, "%s", plan);
    return ln;
}

static tt_ledger_line_t to_unit(tt_ledger_kind_t kind, const char *item, tt_qty_t qty,
                                const char *unit)
{
    tt_ledger_line_t ln = line(kind, "W01", item, qty);
    snprintf(ln.unit, sizeof ln.unit, "%s", unit);
    return ln;
}

/* Posts a one-line document numbered `doc` dated `day` in its own
 * transaction; returns the ledger's answer and the line's movement. */
static tt_err_t post(fx_t *fx, const char *doc, const char *day, const tt_ledger_line_t *ln,
                     int64_t *movement)
{
    tt_ledger_doc_t d;
    tt_ledger_result_t res;
    char reason[256] = "";
    tt_err_t rc;

    memset(&d, 0, sizeof d);
    snprintf(d.doc, sizeof d.doc, "%s", doc);
    snprintf(d.day, sizeof d.day, "%s", day);
    snprintf(d.operator_id, sizeof d.operator_id, "li4");
    snprintf(d.approver, sizeof d.approver, "wang5");
    d.lines = ln;
    d.nlines = 1;
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    rc = tt_ledger_post(fx->l, &d, fx->now, &res, reason, sizeof reason);
    if (rc == TT_OK) {
        assert_int_equal(tt_db_commit(fx->db), TT_OK);
        if (movement)
            *movement = res.first_movement;
    } else {
        tt_db_rollback(fx->db);
    }
    return rc;
}

static void post_ok(fx_t *fx, const char *doc, const char *day, tt_ledger_line_t ln,
                    int64_t *movement)
{
    tt_err_t rc = post(fx, doc, day, &ln, movement);
    if (rc != TT_OK)
        fail_msg("posting %s: %s", doc, tt_strerror(rc));
}

/* --- reading back ------------------------------------------------------------ */

#define LINES_MAX 64

typedef struct {
    size_t n;
    struct {
        int64_t id, movement, lot;
        char day[11], receipt_doc[40], category[8], mark[8], tag[32], kind[12];
        tt_qty_t qty;
        tt_fen_t value;
    } r[LINES_MAX];
} lines_t;

static int collect_line(void *ctx, const tt_report_line_t *l)
{
    lines_t *ls = ctx;
    assert_true(ls->n < LINES_MAX);
    ls->r[ls->n].id = l->id;
    ls->r[ls->n].movement = l->movement;
    ls->r[ls->n].lot = l->lot;
    snprintf(ls->r[ls->n].day, sizeof ls->r[ls->n].day, "%s", l->day);
    snprintf(ls->r[ls->n].receipt_doc, sizeof ls->r[ls->n].receipt_doc, "%s", l->receipt_doc);
    snprintf(ls->r[ls->n].category, sizeof ls->r[ls->n].category, "%s", l->category);
    snprintf(ls->r[ls->n].mark, sizeof ls->r[ls->n].mark, "%s", l->mark_category);
    snprintf(ls->r[ls->n].tag, sizeof ls->r[ls->n].tag, "%s", l->expense_tag);
    snprintf(ls->r[ls->n].kind, sizeof ls->r[ls->n].kind, "%s", l->kind);
    ls->r[ls->n].qty = l->qty;
    ls->r[ls->n].value = l->value;
    ls->n++;
    return 0;
}

/* One safety figure: (a) or (b) of month and category, summed over the
 * report's rows that match. */
typedef struct {
    const char *month, *category;
    tt_fen_t a, b;
    int rows;
    char name[64];
} safety_pick_t;

static int pick_safety(void *ctx, const tt_report_safety_t *s)
{
    safety_pick_t *p = ctx;
    p->rows++;
    if (strcmp(s->month, p->month) == 0 && strcmp(s->category, p->category) == 0) {
        p->a += s->value_a;
        p->b += s->value_b;
        snprintf(p->name, sizeof p->name, "%s", s->name_zh);
    }
    return 0;
}

static tt_fen_t lines_value(const lines_t *ls)
{
    tt_fen_t v = 0;
    for (size_t i = 0; i < ls->n; i++)
        v += ls->r[i].value;
    return v;
}

/* --- tests ------------------------------------------------------------------- */

static void test_safety(void **state)
{
    fx_t *fx = *state;
    int64_t issue;
    lines_t ls = {0};
    safety_pick_t p = {"2026-10", "S06", 0, 0, 0, ""};
    tt_report_safety_total_t tot;
    tt_report_cursor_t next;
    tt_report_filter_t f = {0};
    tt_report_total_t t;
    char reason[256];
    int64_t r2_lot = 0;

    post_ok(fx, "R1", "2026-10-02", receipt("BOOT", 10000, 100000, "P1"), NULL);
    post_ok(fx, "R2", "2026-10-03", receipt("BOOT", 10000, 120000, ""), NULL);
    post_ok(fx, "I1", "2026-10-05", to_unit(TT_LEDGER_ISSUE, "BOOT", 15000, "CM1"), &issue);

    /* The issuance ledger: R1 10 = 1000.00 in S06, then R2 5 = 600.00. */
    assert_int_equal(tt_report_issues(fx->db, &f, NULL, 10, collect_line, &ls, &next, &t),
                     TT_OK);
    assert_int_equal(ls.n, 2);
    assert_false(next.more);
    assert_string_equal(ls.r[0].receipt_doc, "R1");
    assert_int_equal(ls.r[0].qty, 10000);
    assert_int_equal(ls.r[0].value, 100000);
    assert_string_equal(ls.r[0].category, "S06");
    assert_string_equal(ls.r[1].receipt_doc, "R2");
    assert_int_equal(ls.r[1].qty, 5000);
    assert_int_equal(ls.r[1].value, 60000);
    assert_string_equal(ls.r[1].category, "");
    assert_int_equal(ls.r[1].movement, issue);
    r2_lot = ls.r[1].lot;
    assert_int_equal(t.qty, 15000);
    assert_int_equal(t.value, 160000);

    /* (a) 1000.00, (b) nothing yet. */
    assert_int_equal(tt_report_safety(fx->db, "2026-10", "2026-10", NULL, pick_safety, &p, &tot),
                     TT_OK);
    assert_int_equal(p.rows, 1);
    assert_int_equal(p.a, 100000);
    assert_int_equal(p.b, 0);
    assert_string_equal(p.name, "安全防护用品");
    assert_int_equal(tot.value_a, 100000);
    assert_int_equal(tot.value_b, 0);

    /* Marking the R2 part: without an approver refused, with one it moves
     * 600.00 into (b); the original (empty) category stays visible. */
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    assert_int_equal(tt_ledger_mark_safety(fx->l, issue, r2_lot, "S06", "下井使用", "", "li4",
                                           fx->now, reason, sizeof reason),
                     TT_ERR_INVAL);
    assert_int_equal(tt_ledger_mark_safety(fx->l, issue, r2_lot, "S06", "下井使用", "wang5",
                                           "li4", fx->now, reason, sizeof reason),
                     TT_OK);
    assert_int_equal(tt_ledger_tag_expense(fx->l, issue, "劳保费", "audit1", fx->now, reason,
                                           sizeof reason),
                     TT_OK);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
    memset(&p, 0, sizeof p);
    p.month = "2026-10";
    p.category = "S06";
    assert_int_equal(tt_report_safety(fx->db, "2026-10", "2026-10", "S06", pick_safety, &p, &tot),
                     TT_OK);
    assert_int_equal(p.a, 100000);
    assert_int_equal(p.b, 60000);
    assert_int_equal(tot.value_b, 60000);
    /* Another month has nothing. */
    memset(&p, 0, sizeof p);
    p.month = "2026-09";
    p.category = "S06";
    assert_int_equal(tt_report_safety(fx->db, "2026-09", "2026-09", NULL, pick_safety, &p, &tot),
                     TT_OK);
    assert_int_equal(p.rows, 0);

    /* The allocations behind each figure add up to it. */
    memset(&ls, 0, sizeof ls);
    assert_int_equal(tt_report_safety_detail(fx->db, "2026-10", "2026-10", "S06",
                                             TT_REPORT_PART_A, NULL, 10, collect_line, &ls,
                                             &next),
                     TT_OK);
    assert_int_equal(ls.n, 1);
    assert_int_equal(lines_value(&ls), 100000);
    memset(&ls, 0, sizeof ls);
    assert_int_equal(tt_report_safety_detail(fx->db, "2026-10", "2026-10", NULL,
                                             TT_REPORT_PART_B, NULL, 10, collect_line, &ls,
                                             &next),
                     TT_OK);
    assert_int_equal(ls.n, 1);
    assert_int_equal(lines_value(&ls), 60000);
    assert_string_equal(ls.r[0].mark, "S06");
    assert_string_equal(ls.r[0].category, "");
    assert_string_equal(ls.r[0].tag, "劳保费");

    /* The category filter of the ledger: S06 is both lines now; "none" none. */
    f.category = "S06";
    memset(&ls, 0, sizeof ls);
    assert_int_equal(tt_report_issues(fx->db, &f, NULL, 10, collect_line, &ls, &next, &t),
                     TT_OK);
    assert_int_equal(ls.n, 2);
    assert_int_equal(t.value, 160000);
    f.category = TT_REPORT_NO_CATEGORY;
    memset(&ls, 0, sizeof ls);
    assert_int_equal(tt_report_issues(fx->db, &f, NULL, 10, collect_line, &ls, &next, &t),
                     TT_OK);
    assert_int_equal(ls.n, 0);
    assert_int_equal(t.value, 0);
}

/* A stock-back of a marked allocation comes off (b), and shows in its
 * drill-down and in the expense tag's value. */
static int sum_tag(void *ctx, const tt_report_tag_t *t)
{
    ((tt_fen_t *)ctx)[0] += t->value;
    ((tt_fen_t *)ctx)[1] += t->lines;
    return 0;
}

static void test_safety_stockback(void **state)
{
    fx_t *fx = *state;
    int64_t issue;
    lines_t ls = {0};
    safety_pick_t p = {"2026-10", "S03", 0, 0, 0, ""};
    tt_report_cursor_t next;
    tt_report_filter_t f = {0};
    tt_fen_t tag[2] = {0, 0}, total = 0;
    char reason[256];

    post_ok(fx, "R3", "2026-10-02", receipt("BOLT", 4000, 5000, ""), NULL);
    post_ok(fx, "I3", "2026-10-04", to_unit(TT_LEDGER_ISSUE, "BOLT", 4000, "JJ2"), &issue);
    assert_int_equal(tt_report_issues(fx->db, &f, NULL, 10, collect_line, &ls, &next, NULL),
                     TT_OK);
    assert_int_equal(ls.n, 1);
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    assert_int_equal(tt_ledger_mark_safety(fx->l, issue, ls.r[0].lot, "S03", "支护", "wang5",
                                           "li4", fx->now, reason, sizeof reason),
                     TT_OK);
    assert_int_equal(tt_ledger_tag_expense(fx->l, issue, "材料费", "audit1", fx->now, reason,
                                           sizeof reason),
                     TT_OK);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
    /* 1 of 4 back: 12.50 of 50.00. */
    post_ok(fx, "T3", "2026-10-06", to_unit(TT_LEDGER_STOCKBACK, "BOLT", 1000, "JJ2"), NULL);

    assert_int_equal(tt_report_safety(fx->db, "2026-10", "2026-10", NULL, pick_safety, &p, NULL),
                     TT_OK);
    assert_int_equal(p.a, 0);
    assert_int_equal(p.b, 3750);
    memset(&ls, 0, sizeof ls);
    assert_int_equal(tt_report_safety_detail(fx->db, "2026-10", "2026-10", "S03",
                                             TT_REPORT_PART_B, NULL, 10, collect_line, &ls,
                                             &next),
                     TT_OK);
    assert_int_equal(ls.n, 2);
    assert_int_equal(lines_value(&ls), 3750);
    assert_string_equal(ls.r[1].kind, "stockback");
    assert_int_equal(ls.r[1].qty, -1000);
    assert_string_equal(ls.r[1].mark, "S03");
    assert_string_equal(ls.r[1].tag, "材料费");

    assert_int_equal(tt_report_expense_tags(fx->db, "2026-10", "2026-10", NULL, sum_tag, tag,
                                            &total),
                     TT_OK);
    assert_int_equal(tag[0], 3750);
    assert_int_equal(tag[1], 1);
    assert_int_equal(total, 3750);
}

typedef struct {
    int rows;
    tt_report_assessment_t a;
    char unit[8], item[8];
} assess_pick_t;

static int pick_assess(void *ctx, const tt_report_assessment_t *a)
{
    assess_pick_t *p = ctx;
    p->rows++;
    p->a = *a;
    snprintf(p->unit, sizeof p->unit, "%s", a->unit);
    snprintf(p->item, sizeof p->item, "%s", a->item);
    return 0;
}

static int pick_recovery(void *ctx, const tt_report_recovery_t *v)
{
    tt_report_recovery_t *out = ctx;
    *out = *v;
    out->month = out->unit = out->unit_name = out->item = out->item_name = out->uom = NULL;
    return 0;
}

static void test_assessment(void **state)
{
    fx_t *fx = *state;
    tt_ledger_line_t ex = to_unit(TT_LEDGER_EXCLUSION, "DRILL", 2000, "CM1");
    assess_pick_t p;
    tt_report_assessment_total_t t;
    tt_report_recovery_t v;
    tt_report_recovery_total_t vt;

    post_ok(fx, "R4", "2026-10-01", receipt("DRILL", 21000, 168000, ""), NULL);
    post_ok(fx, "R5", "2026-10-01", receipt("BOOT", 5000, 50000, ""), NULL);
    post_ok(fx, "I4", "2026-10-08", to_unit(TT_LEDGER_ISSUE, "DRILL", 20000, "CM1"), NULL);
    /* BOOT is no 交旧 item: it is not assessed. */
    post_ok(fx, "I5", "2026-10-08", to_unit(TT_LEDGER_ISSUE, "BOOT", 5000, "CM1"), NULL);
    post_ok(fx, "J4", "2026-10-20", to_unit(TT_LEDGER_OLD_RETURN, "DRILL", 15000, "CM1"), NULL);
    snprintf(ex.note, sizeof ex.note, "新工作面首次使用");
    post_ok(fx, "X4", "2026-10-21", ex, NULL);
    /* A terminal's issue naming no unit (the office's must name one) has
     * nobody to assess: not a row, not counted as issued. */
    {
        tt_event_t ev;
        char reason[TT_EVENT_REASON_MAX] = "";
        memset(&ev, 0, sizeof ev);
        ev.seq = 1;
        ev.ts_ms = 1792800000000LL;
        ev.type = TT_EVENT_ISSUE;
        snprintf(ev.operator_id, sizeof ev.operator_id, "zhang3");
        snprintf(ev.body.stock.warehouse, sizeof ev.body.stock.warehouse, "W01");
        snprintf(ev.body.stock.item, sizeof ev.body.stock.item, "DRILL");
        ev.body.stock.qty = 1000;
        assert_int_equal(tt_db_begin(fx->db), TT_OK);
        assert_int_equal(tt_ledger_apply_event(fx->l, "T01", &ev, "2026-10-22", fx->now, reason,
                                               sizeof reason),
                         TT_OK);
        assert_int_equal(tt_db_commit(fx->db), TT_OK);
    }

    memset(&p, 0, sizeof p);
    assert_int_equal(tt_report_assessment(fx->db, "2026-10", "2026-10", NULL, NULL, pick_assess,
                                          &p, &t),
                     TT_OK);
    assert_int_equal(p.rows, 1);
    assert_string_equal(p.unit, "CM1");
    assert_string_equal(p.item, "DRILL");
    assert_int_equal(p.a.issued, 20000);
    assert_int_equal(p.a.returned, 15000);
    assert_int_equal(p.a.excluded, 2000);
    assert_int_equal(p.a.shortfall, 3000);
    assert_int_equal(p.a.penalty_std, 5000);
    assert_int_equal(p.a.penalty, 15000);
    assert_int_equal(p.a.reward, 3000);
    assert_int_equal(t.penalty, 15000);
    assert_int_equal(t.reward, 3000);

    /* Filters: another unit has nothing; November has nothing. */
    memset(&p, 0, sizeof p);
    assert_int_equal(tt_report_assessment(fx->db, "2026-10", "2026-10", "JJ2", NULL, pick_assess,
                                          &p, &t),
                     TT_OK);
    assert_int_equal(p.rows, 0);
    assert_int_equal(tt_report_assessment(fx->db, "2026-11", "2026-11", NULL, NULL, pick_assess,
                                          &p, &t),
                     TT_OK);
    assert_int_equal(p.rows, 0);
    assert_int_equal(tt_report_assessment(fx->db, "2026-11", "2026-10", NULL, NULL, pick_assess,
                                          &p, &t),
                     TT_ERR_INVAL);

    /* Recovery: 15 returned at the standard 80.00 = 1200.00, reward 30.00. */
    assert_int_equal(tt_report_recovery(fx->db, "2026-10", "2026-10", NULL, NULL, pick_recovery,
                                        &v, &vt),
                     TT_OK);
    assert_int_equal(v.returned, 15000);
    assert_int_equal(v.price, 8000);
    assert_int_equal(v.value, 120000);
    assert_int_equal(v.reward, 3000);
    assert_int_equal(vt.value, 120000);
}

static void test_paging(void **state)
{
    fx_t *fx = *state;
    lines_t all = {0}, page;
    tt_report_cursor_t next, at;
    tt_report_filter_t f = {0};
    tt_report_total_t t, t2;
    char doc[16], day[11];
    size_t pages = 0;

    /* 7 issues of 1 over three days from lots of 2 @ 10.00, 12.00, ...:
     * each issue draws on one lot. */
    for (int i = 0; i < 4; i++) {
        snprintf(doc, sizeof doc, "R%d", 10 + i);
        post_ok(fx, doc, "2026-10-01", receipt("BOLT", 2000, 2000 + 400 * i, ""), NULL);
    }
    for (int i = 0; i < 7; i++) {
        snprintf(doc, sizeof doc, "I%d", 10 + i);
        snprintf(day, sizeof day, "2026-10-%02d", 12 - i / 3);   /* later days first */
        post_ok(fx, doc, day, to_unit(TT_LEDGER_ISSUE, "BOLT", 1000, i % 2 ? "JJ2" : "CM1"),
                NULL);
    }
    assert_int_equal(tt_report_issues(fx->db, &f, NULL, TT_REPORT_PAGE_MAX, collect_line, &all,
                                      &next, &t),
                     TT_OK);
    assert_int_equal(all.n, 7);
    assert_int_equal(t.qty, 7000);
    assert_int_equal(t.value, lines_value(&all));
    for (size_t i = 1; i < all.n; i++)   /* (day, id) strictly increasing */
        assert_true(strcmp(all.r[i - 1].day, all.r[i].day) < 0 ||
                    (strcmp(all.r[i - 1].day, all.r[i].day) == 0 && all.r[i - 1].id < all.r[i].id));

    /* Pages of 3: 3, 3, 1, the same lines in the same order, the same totals. */
    memset(&page, 0, sizeof page);
    next.more = 1;
    for (const tt_report_cursor_t *after = NULL; next.more; after = &at, pages++) {
        assert_int_equal(tt_report_issues(fx->db, &f, after, 3, collect_line, &page, &next,
                                          &t2),
                         TT_OK);
        assert_int_equal(t2.value, t.value);
        at = next;
    }
    assert_int_equal(pages, 3);
    assert_int_equal(page.n, 7);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(page.r[i].id, all.r[i].id);

    /* A unit and a day range: the totals follow the filter. */
    f.unit = "JJ2";
    f.from = "2026-10-11";
    f.to = "2026-10-12";
    memset(&page, 0, sizeof page);
    assert_int_equal(tt_report_issues(fx->db, &f, NULL, 10, collect_line, &page, &next, &t2),
                     TT_OK);
    assert_int_equal(page.n, 3);   /* i = 1 (day 12), 3 and 5 (day 11) */
    assert_int_equal(t2.qty, 3000);
    assert_int_equal(t2.value, lines_value(&page));

    assert_int_equal(tt_report_issues(fx->db, &f, NULL, 0, collect_line, &page, &next, NULL),
                     TT_ERR_INVAL);
    assert_int_equal(tt_report_issues(fx->db, &f, NULL, TT_REPORT_PAGE_MAX + 1, collect_line,
                                      &page, &next, NULL),
                     TT_ERR_INVAL);
    f.from = "2026-02-30";
    assert_int_equal(tt_report_issues(fx->db, &f, NULL, 10, collect_line, &page, &next, NULL),
                     TT_ERR_INVAL);
}

/* Renders a month's safety report, assessment and ledger page as text. */
typedef struct {
    char buf[4096];
    size_t len;
} text_t;

static void put(text_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    t->len += (size_t)vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
    va_end(ap);
    assert_true(t->len < sizeof t->buf);
}

static int text_safety(void *ctx, const tt_report_safety_t *s)
{
    put(ctx, "S %s %s %lld %lld\n", s->month, s->category, (long long)s->value_a,
        (long long)s->value_b);
    return 0;
}

static int text_line(void *ctx, const tt_report_line_t *l)
{
    put(ctx, "L %s %s %lld %lld %s\n", l->day, l->item, (long long)l->qty,
        (long long)l->value, l->receipt_doc);
    return 0;
}

static int text_stat(void *ctx, const tt_report_stat_t *s)
{
    put(ctx, "T %s %s %s %lld %lld\n", s->month, s->unit, s->item, (long long)s->qty,
        (long long)s->value);
    return 0;
}

static void month_text(fx_t *fx, const char *month, text_t *t)
{
    char from[11], to[11];
    tt_report_filter_t f = {0};
    tt_report_total_t tot;
    snprintf(from, sizeof from, "%s-01", month);
    /* The test's months: August has 31 days, September 30. */
    snprintf(to, sizeof to, "%s-%s", month, strcmp(month, "2026-09") == 0 ? "30" : "31");
    f.from = from;
    f.to = to;
    memset(t, 0, sizeof *t);
    assert_int_equal(tt_report_safety(fx->db, month, month, NULL, text_safety, t, NULL), TT_OK);
    assert_int_equal(tt_report_issues(fx->db, &f, NULL, 100, text_line, t, NULL, &tot), TT_OK);
    put(t, "total %lld %lld\n", (long long)tot.qty, (long long)tot.value);
    assert_int_equal(tt_report_stats(fx->db, &f, TT_REPORT_BY_MONTH | TT_REPORT_BY_UNIT |
                                                     TT_REPORT_BY_ITEM,
                                     text_stat, t, NULL),
                     TT_OK);
}

static void test_closed_month(void **state)
{
    fx_t *fx = *state;
    text_t before, after;
    char reason[256];

    post_ok(fx, "R20", "2026-08-03", receipt("BOOT", 10000, 100000, "P1"), NULL);
    post_ok(fx, "R21", "2026-08-04", receipt("BOOT", 10000, 120000, ""), NULL);
    post_ok(fx, "I20", "2026-08-10", to_unit(TT_LEDGER_ISSUE, "BOOT", 12000, "CM1"), NULL);
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    if (tt_ledger_close_period(fx->l, "2026-08", "li4", fx->now, reason, sizeof reason) != TT_OK)
        fail_msg("closing 2026-08: %s", reason);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
    month_text(fx, "2026-08", &before);
    assert_non_null(strstr(before.buf, "S 2026-08 S06 100000 0\n"));
    assert_non_null(strstr(before.buf, "total 12000 124000\n"));

    /* A receipt dated into August (cheaper, so it would come first in FIFO
     * and change the issue's value) is refused; September's entries are
     * not August's. */
    {
        tt_ledger_line_t r = receipt("BOOT", 10000, 50000, "");
        assert_int_equal(post(fx, "R22", "2026-08-01", &r, NULL), TT_ERR_CLOSED);
    }
    post_ok(fx, "R23", "2026-09-01", receipt("BOOT", 10000, 50000, ""), NULL);
    post_ok(fx, "I23", "2026-09-02", to_unit(TT_LEDGER_ISSUE, "BOOT", 9000, "CM1"), NULL);
    month_text(fx, "2026-08", &after);
    assert_string_equal(before.buf, after.buf);
    month_text(fx, "2026-09", &after);
    assert_non_null(strstr(after.buf, "total 9000 "));
}

static int pick_stock(void *ctx, const tt_report_stock_t *s)
{
    tt_report_stock_t *out = ctx;
    assert_string_equal(s->warehouse, "CK03");
    assert_string_equal(s->unit, "CM1");
    assert_string_equal(s->unit_name, "采煤一区");
    *out = *s;
    out->warehouse = out->warehouse_name = out->unit = out->unit_name = NULL;
    out->item = out->item_name = out->uom = NULL;
    return 0;
}

static int count_lot(void *ctx, const tt_report_lot_t *l)
{
    lines_t *ls = ctx;
    assert_true(ls->n < LINES_MAX);
    ls->r[ls->n].qty = l->qty;
    ls->r[ls->n].value = l->value;
    snprintf(ls->r[ls->n].receipt_doc, sizeof ls->r[ls->n].receipt_doc, "%s", l->receipt_doc);
    ls->n++;
    return 0;
}

static void test_stock(void **state)
{
    fx_t *fx = *state;
    tt_ledger_line_t tr = line(TT_LEDGER_TRANSFER, "W01", "BOLT", 3000);
    tt_report_stock_t s;
    tt_report_total_t t;
    lines_t ls = {0};
    tt_fen_t total = -1;

    post_ok(fx, "R30", "2026-10-01", receipt("BOLT", 2000, 2000, ""), NULL);
    post_ok(fx, "R31", "2026-10-02", receipt("BOLT", 2000, 3000, ""), NULL);
    snprintf(tr.to_wh, sizeof tr.to_wh, "CK03");
    post_ok(fx, "D30", "2026-10-03", tr, NULL);

    /* 3 moved to the work area: R30's 2 (20.00) and 1 of R31 (15.00). */
    memset(&s, 0, sizeof s);
    assert_int_equal(tt_report_work_area_stock(fx->db, NULL, NULL, NULL, pick_stock, &s, &total),
                     TT_OK);
    assert_int_equal(s.qty, 3000);
    assert_int_equal(s.value, 3500);
    assert_int_equal(total, 3500);
    assert_int_equal(tt_report_lots(fx->db, "CK03", "BOLT", count_lot, &ls, &t), TT_OK);
    assert_int_equal(ls.n, 2);
    assert_string_equal(ls.r[0].receipt_doc, "R30");   /* FIFO order, lot identity kept */
    assert_int_equal(ls.r[0].value, 2000);
    assert_int_equal(ls.r[1].qty, 1000);
    assert_int_equal(t.qty, 3000);
    assert_int_equal(t.value, 3500);
    /* The central warehouse is no work area; its lot of R31 holds 1. */
    total = -1;
    assert_int_equal(tt_report_work_area_stock(fx->db, "W01", NULL, NULL, pick_stock, &s, &total),
                     TT_OK);
    assert_int_equal(total, 0);
    memset(&ls, 0, sizeof ls);
    assert_int_equal(tt_report_lots(fx->db, "W01", NULL, count_lot, &ls, &t), TT_OK);
    assert_int_equal(ls.n, 1);
    assert_int_equal(t.value, 1500);
    assert_int_equal(tt_report_lots(fx->db, NULL, NULL, count_lot, &ls, &t), TT_ERR_INVAL);
}

typedef struct {
    int n;
    uint64_t seq[8];
    int settled[8];
    char note[64];
} exc_t;

static int collect_exc(void *ctx, const tt_report_exception_t *e)
{
    exc_t *x = ctx;
    x->seq[x->n] = e->seq;
    x->settled[x->n++] = e->settled;
    if (e->settled)
        snprintf(x->note, sizeof x->note, "%s", e->note);
    return 0;
}

static void test_exceptions(void **state)
{
    fx_t *fx = *state;
    exc_t x;
    tt_report_exc_cursor_t next;
    tt_report_exc_count_t count;
    char reason[256];

    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    for (uint64_t seq = 3; seq <= 5; seq++)
        assert_int_equal(tt_db_reject_event(fx->db, "T01", seq, fx->now - 1000, fx->now,
                                            "insufficient stock of BOLT in W01: short 1"),
                         TT_OK);
    assert_int_equal(tt_ledger_resolve(fx->l, "T01", 4, 0, "li4", "盘点后已补录", fx->now, reason,
                                       sizeof reason),
                     TT_OK);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);

    memset(&x, 0, sizeof x);
    assert_int_equal(tt_report_exceptions(fx->db, TT_REPORT_OPEN, NULL, NULL, 10, collect_exc, &x,
                                          &next, &count),
                     TT_OK);
    assert_int_equal(x.n, 2);
    assert_int_equal(x.seq[0], 3);
    assert_int_equal(x.seq[1], 5);
    assert_int_equal(count.open, 2);
    assert_int_equal(count.settled, 1);
    memset(&x, 0, sizeof x);
    assert_int_equal(tt_report_exceptions(fx->db, TT_REPORT_SETTLED, "T01", NULL, 10, collect_exc,
                                          &x, &next, NULL),
                     TT_OK);
    assert_int_equal(x.n, 1);
    assert_string_equal(x.note, "盘点后已补录");
    /* All, one at a time. */
    memset(&x, 0, sizeof x);
    assert_int_equal(tt_report_exceptions(fx->db, TT_REPORT_ANY, NULL, NULL, 1, collect_exc, &x,
                                          &next, NULL),
                     TT_OK);
    assert_true(next.more);
    assert_int_equal(tt_report_exceptions(fx->db, TT_REPORT_ANY, NULL, &next, 2, collect_exc, &x,
                                          &next, NULL),
                     TT_OK);
    assert_false(next.more);
    assert_int_equal(x.n, 3);
    assert_int_equal(x.seq[2], 5);
    assert_int_equal(x.settled[1], 1);
}

static void test_validation(void **state)
{
    (void)state;
    assert_true(tt_report_day_valid("2024-02-29"));
    assert_false(tt_report_day_valid("2026-02-29"));
    assert_false(tt_report_day_valid("2026-13-01"));
    assert_false(tt_report_day_valid("2026-1-01"));
    assert_false(tt_report_day_valid("2026-01-01x"));
    assert_true(tt_report_month_valid("2026-12"));
    assert_false(tt_report_month_valid("2026-00"));
    assert_false(tt_report_month_valid("26-01"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_safety, setup, teardown),
        cmocka_unit_test_setup_teardown(test_safety_stockback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assessment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_month, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exceptions, setup, teardown),
        cmocka_unit_test(test_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
