/*
 * Unit tests of server/repair (issue 5, docs/repair.md): the lifecycle of
 * an asset through office documents and terminal steps, the refusals (each
 * writing nothing), and a repair's cost with consumables issued FIFO across
 * two lots of different safety categories, checked to the fen in the
 * repair, the cost report and the safety report.  Every test has its own
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
#include "ledger.h"
#include "office.h"
#include "repair.h"
#include "repairapi.h"
#include "repairview.h"
#include "report.h"

#define NOW 1773115200000LL        /* 2026-03-10 12:00 at the site */
#define HOUR 3600000LL
#define U(n) ((tt_qty_t)(n) * TT_QTY_SCALE)
#define Y(n) ((tt_fen_t)(n) * TT_MONEY_SCALE)

typedef struct {
    char dir[64];
    char path[128];
    tt_db_t *db;
    tt_ledger_t *l;
    tt_repair_t *r;
    char reason[320];
    tt_repair_result_t res;
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

static void put_equipment(fx_t *fx, const char *asset, const char *model, const char *giai,
                          const char *barcode, const char *unit, int active)
{
    tt_master_equipment_t e;
    memset(&e, 0, sizeof e);
    snprintf(e.asset, sizeof e.asset, "%s", asset);
    snprintf(e.model, sizeof e.model, "%s", model);
    snprintf(e.giai, sizeof e.giai, "%s", giai);
    snprintf(e.barcode, sizeof e.barcode, "%s", barcode);
    snprintf(e.unit, sizeof e.unit, "%s", unit);
    e.active = active;
    assert_int_equal(tt_dbmaster_put_equipment(fx->db, &e, 1, NULL), TT_OK);
}

static void put_plan(fx_t *fx, const char *serial, const char *item, const char *category)
{
    tt_master_plan_t p;
    memset(&p, 0, sizeof p);
    snprintf(p.serial, sizeof p.serial, "%s", serial);
    snprintf(p.item, sizeof p.item, "%s", item);
    snprintf(p.category, sizeof p.category, "%s", category);
    p.qty = U(100);
    p.status = TT_PLAN_APPROVED;
    assert_int_equal(tt_dbmaster_put_plan(fx->db, &p, 1, NULL), TT_OK);
}

/* Units A3, A4 (work areas), XL (the repair shop); warehouse W01; item
 * ROPE with plan lines of category S06 and of none; assets P-0042 (a pump
 * of A3 with a GIAI and a barcode), P-0043 (a pump of A3), P-0050 (in no
 * unit), P-0099 (retired). */
static void load_master(fx_t *fx)
{
    tt_master_warehouse_t w;

    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    put_unit(fx, "A3", TT_UNIT_WORK_AREA);
    put_unit(fx, "A4", TT_UNIT_WORK_AREA);
    put_unit(fx, "XL", TT_UNIT_SHOP);
    memset(&w, 0, sizeof w);
    snprintf(w.id, sizeof w.id, "W01");
    snprintf(w.name, sizeof w.name, "central");
    w.kind = TT_WAREHOUSE_CENTRAL;
    assert_int_equal(tt_dbmaster_put_warehouse(fx->db, &w, 1, NULL), TT_OK);
    put_item(fx, "ROPE", Y(100));
    put_plan(fx, "P-S06", "ROPE", "S06");
    put_plan(fx, "P-NS", "ROPE", "");
    put_equipment(fx, "P-0042", "乳化液泵 BRW400", "06141415678", "EQ-PUMP-1", "A3", 1);
    put_equipment(fx, "P-0043", "乳化液泵 BRW400", "", "", "A3", 1);
    put_equipment(fx, "P-0050", "采煤机 MG300", "", "", "", 1);
    put_equipment(fx, "P-0099", "旧水泵", "", "EQ-OLD-1", "", 0);
    assert_int_equal(tt_dbmaster_set_version(fx->db, 1), TT_OK);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    char err[256] = "";

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_repair_XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/server.db", fx->dir);
    if (tt_db_open(fx->path, 0, &fx->db, err, sizeof err) != TT_OK ||
        tt_ledger_open(fx->db, &fx->l) != TT_OK || tt_repair_open(fx->db, fx->l, &fx->r) != TT_OK) {
        fprintf(stderr, "setup: %s\n", err);
        tt_ledger_close(fx->l);
        tt_db_close(fx->db);
        rmdir(fx->dir);
        free(fx);
        return -1;
    }
    *state = fx;
    load_master(fx);
    return 0;
}

static int teardown(void **state)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    fx_t *fx = *state;
    char p[160];

    tt_repair_close(fx->r);
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

/* --- helpers --------------------------------------------------------------- */

static int64_t qi(fx_t *fx, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = 0;
    if (sqlite3_prepare_v2(tt_db_sqlite(fx->db), sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(tt_db_sqlite(fx->db)));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static tt_repair_doc_t doc(tt_repair_kind_t kind, const char *asset, const char *result,
                           const char *unit, const char *people)
{
    tt_repair_doc_t d;
    memset(&d, 0, sizeof d);
    d.kind = kind;
    snprintf(d.asset, sizeof d.asset, "%s", asset);
    snprintf(d.result, sizeof d.result, "%s", result);
    snprintf(d.unit, sizeof d.unit, "%s", unit);
    snprintf(d.people, sizeof d.people, "%s", people);
    snprintf(d.day, sizeof d.day, "2026-03-10");
    snprintf(d.operator_id, sizeof d.operator_id, "li4");
    return d;
}

/* Posts d in its own transaction at `at`; returns the code, committing on
 * success and rolling back otherwise. */
static tt_err_t post_at(fx_t *fx, const tt_repair_doc_t *d, int64_t at)
{
    tt_err_t rc;
    fx->reason[0] = '\0';
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    rc = tt_repair_post(fx->r, d, at, &fx->res, fx->reason, sizeof fx->reason);
    if (rc == TT_OK)
        assert_int_equal(tt_db_commit(fx->db), TT_OK);
    else
        tt_db_rollback(fx->db);
    return rc;
}

static void ok(fx_t *fx, tt_repair_doc_t d, int64_t at, const char *state)
{
    tt_err_t rc = post_at(fx, &d, at);
    if (rc != TT_OK)
        fail_msg("%s of %s refused: %s (%s)", tt_repair_kind_name(d.kind), d.asset,
                 tt_strerror(rc), fx->reason);
    assert_string_equal(fx->res.state, state);
}

/* Asserts d is refused with rc, the reason containing `says`, and nothing
 * is written. */
static void refused(fx_t *fx, tt_repair_doc_t d, tt_err_t want, const char *says)
{
    int64_t docs = qi(fx, "SELECT COUNT(*) FROM repair_doc");
    int64_t states = qi(fx, "SELECT COUNT(*) || (SELECT group_concat(state) FROM equipment_state)"
                            " FROM equipment_state");
    int64_t moves = qi(fx, "SELECT COUNT(*) FROM movement");
    tt_err_t rc = post_at(fx, &d, NOW);
    assert_int_equal(rc, want);
    if (!strstr(fx->reason, says))
        fail_msg("reason '%s' does not say '%s'", fx->reason, says);
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM repair_doc"), docs);
    assert_int_equal(qi(fx, "SELECT COUNT(*) || (SELECT group_concat(state) FROM equipment_state)"
                            " FROM equipment_state"), states);
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM movement"), moves);
}

typedef struct {
    char lines[16][200];
    size_t n;
} arch_t;

static int arch_row(void *ctx, const tt_repair_entry_t *e)
{
    arch_t *a = ctx;
    if (a->n < 16)
        snprintf(a->lines[a->n++], sizeof a->lines[0], "%s %s %s|%s|%s|%s|%lld|%s", e->asset,
                 e->kind, e->result, e->people, e->operator_id, e->state,
                 (long long)((e->at_ms - NOW) / HOUR), e->unit);
    return 0;
}

static void receipt(fx_t *fx, const char *plan, int qty, tt_fen_t value)
{
    tt_ledger_line_t ln;
    tt_ledger_doc_t d;
    memset(&ln, 0, sizeof ln);
    ln.kind = TT_LEDGER_RECEIPT;
    ln.source = TT_LEDGER_PURCHASE;
    snprintf(ln.warehouse, sizeof ln.warehouse, "W01");
    snprintf(ln.item, sizeof ln.item, "ROPE");
    ln.qty = U(qty);
    ln.has_value = 1;
    ln.value = value;
    snprintf(ln.plan_serial, sizeof ln.plan_serial, "%s", plan);
    memset(&d, 0, sizeof d);
    snprintf(d.day, sizeof d.day, "2026-03-0%d", plan[2] == 'S' ? 1 : 2);
    snprintf(d.operator_id, sizeof d.operator_id, "zhang3");
    d.lines = &ln;
    d.nlines = 1;
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    assert_int_equal(tt_ledger_post(fx->l, &d, NOW, NULL, fx->reason, sizeof fx->reason), TT_OK);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
}

/* --- tests ----------------------------------------------------------------- */

/* The full path with a failed self-check; the archive lists every step with
 * who and when, and the state follows. */
static void test_full_path(void **state)
{
    fx_t *fx = *state;
    arch_t a = {.n = 0};
    tt_repair_filter_t f = {.asset = "P-0042"};

    ok(fx, doc(TT_REPAIR_INTAKE, "P-0042", "", "A3", "王班长"), NOW, "received");
    ok(fx, doc(TT_REPAIR_APPRAISAL, "P-0042", "major", "", "王工,李工"), NOW + HOUR, "in_repair");
    assert_int_equal(fx->res.repair, fx->res.id);
    ok(fx, doc(TT_REPAIR_SELFCHECK, "P-0042", "fail", "", "维修二班"), NOW + 30 * HOUR,
       "in_repair");
    ok(fx, doc(TT_REPAIR_SELFCHECK, "P-0042", "pass", "", "维修二班"), NOW + 50 * HOUR,
       "in_stock");
    ok(fx, doc(TT_REPAIR_ACCEPTANCE, "P-0042", "pass", "", "机电科 赵"), NOW + 60 * HOUR,
       "accepted");
    ok(fx, doc(TT_REPAIR_ISSUE, "P-0042", "standby", "A4", ""), NOW + 62 * HOUR, "standby");
    assert_int_equal(fx->res.repair, qi(fx, "SELECT id FROM repair_doc WHERE kind = 'appraisal'"));

    assert_int_equal(tt_repair_archive_each(fx->db, &f, arch_row, &a), TT_OK);
    assert_int_equal(a.n, 6);
    assert_string_equal(a.lines[0], "P-0042 intake |王班长|li4|received|0|A3");
    assert_string_equal(a.lines[1], "P-0042 appraisal major|王工,李工|li4|in_repair|1|A3");
    assert_string_equal(a.lines[2], "P-0042 selfcheck fail|维修二班|li4|in_repair|30|A3");
    assert_string_equal(a.lines[3], "P-0042 selfcheck pass|维修二班|li4|in_stock|50|A3");
    assert_string_equal(a.lines[4], "P-0042 acceptance pass|机电科 赵|li4|accepted|60|A3");
    assert_string_equal(a.lines[5], "P-0042 issue standby|li4|li4|standby|62|A4");
    /* the same archive by its tag, and by the unit it is at now */
    a.n = 0;
    f = (tt_repair_filter_t){.tag = "06141415678"};
    assert_int_equal(tt_repair_archive_each(fx->db, &f, arch_row, &a), TT_OK);
    assert_int_equal(a.n, 6);
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM equipment_state WHERE asset = 'P-0042'"
                            " AND state = 'standby' AND unit = 'A4' AND repair IS NULL"), 1);

    /* cycle times: 49 h appraisal -> pass, 10 h pass -> acceptance, 2 h */
    tt_repair_stage_t st[TT_REPAIR_STAGES];
    assert_int_equal(tt_repair_cycles(fx->db, NULL, NULL, NULL, st), TT_OK);
    assert_int_equal(st[0].n, 1);
    assert_int_equal(st[0].median_h, 49);
    assert_int_equal(st[1].median_h, 10);
    assert_int_equal(st[2].p90_h, 2);
    /* by the appraisal's (sending) unit: A3's repair, none of A4's */
    assert_int_equal(tt_repair_cycles(fx->db, NULL, NULL, "A3", st), TT_OK);
    assert_int_equal(st[0].n, 1);
    assert_int_equal(st[0].median_h, 49);
    assert_int_equal(tt_repair_cycles(fx->db, NULL, NULL, "A4", st), TT_OK);
    assert_int_equal(st[0].n, 0);
    assert_int_equal(st[2].n, 0);

    /* an acceptance that fails sends it back to repair */
    ok(fx, doc(TT_REPAIR_APPRAISAL, "P-0050", "minor", "", ""), NOW, "in_repair");
    ok(fx, doc(TT_REPAIR_SELFCHECK, "P-0050", "pass", "", ""), NOW, "in_stock");
    ok(fx, doc(TT_REPAIR_ACCEPTANCE, "P-0050", "fail", "", ""), NOW, "in_repair");
}

/* Well-formed UTF-8 (no cut characters). */
static int utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2
              : (*p & 0xf8) == 0xf0 ? 3 : -1;
        if (n < 0)
            return 0;
        p++;
        while (n-- > 0)
            if ((*p++ & 0xc0) != 0x80)
                return 0;
    }
    return 1;
}

/* Terminal steps: applied as documents of origin terminal, refused ones
 * named. */
static void test_terminal_steps(void **state)
{
    fx_t *fx = *state;
    tt_event_t ev;

    memset(&ev, 0, sizeof ev);
    ev.seq = 7;
    ev.ts_ms = NOW + HOUR;
    ev.type = TT_EVENT_EQUIPMENT;
    snprintf(ev.operator_id, sizeof ev.operator_id, "li4");
    snprintf(ev.body.stock.asset, sizeof ev.body.stock.asset, "P-0050");
    snprintf(ev.body.stock.step, sizeof ev.body.stock.step, "appraisal");
    snprintf(ev.body.stock.result, sizeof ev.body.stock.result, "medium");
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    assert_int_equal(tt_repair_apply_event(fx->r, "T01", &ev, "2026-03-10", NOW + 2 * HOUR,
                                           fx->reason, sizeof fx->reason), TT_OK);
    /* an issue before acceptance from the terminal: refused, reason named */
    ev.seq = 8;
    snprintf(ev.body.stock.step, sizeof ev.body.stock.step, "issue");
    snprintf(ev.body.stock.result, sizeof ev.body.stock.result, "in_use");
    snprintf(ev.body.stock.unit, sizeof ev.body.stock.unit, "A3");
    assert_int_equal(tt_repair_apply_event(fx->r, "T01", &ev, "2026-03-10", NOW + 2 * HOUR,
                                           fx->reason, sizeof fx->reason), TT_ERR_INVAL);
    assert_non_null(strstr(fx->reason, "accept"));
    /* a reason cut to any buffer is still whole characters */
    for (size_t cap = 20; cap < 120; cap++) {
        char small[120];
        memset(small, 'x', sizeof small);
        assert_int_equal(tt_repair_apply_event(fx->r, "T01", &ev, "2026-03-10", NOW, small, cap),
                         TT_ERR_INVAL);
        assert_true(strlen(small) < cap);
        if (!utf8_ok(small))
            fail_msg("cut to %zu bytes: not UTF-8: %s", cap, small);
    }
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM repair_doc WHERE origin = 'terminal'"
                            " AND terminal = 'T01' AND seq = 7 AND at_ms = 1773118800000"
                            " AND people = 'li4' AND state = 'in_repair'"), 1);
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM repair_doc"), 1);
}

/* Refusals name the reason and write nothing. */
static void test_refusals(void **state)
{
    fx_t *fx = *state;

    /* an asset in use at a unit, appraised without its return */
    refused(fx, doc(TT_REPAIR_APPRAISAL, "P-0042", "major", "", ""), TT_ERR_INVAL, "A3");
    /* a self-check of an asset not in repair */
    refused(fx, doc(TT_REPAIR_SELFCHECK, "P-0042", "pass", "", ""), TT_ERR_INVAL, "repair");
    /* unknown asset, unknown tag, retired asset */
    refused(fx, doc(TT_REPAIR_APPRAISAL, "P-7777", "major", "", ""), TT_ERR_NOTFOUND,
            "unknown asset or tag P-7777");
    refused(fx, doc(TT_REPAIR_APPRAISAL, "06141419999", "major", "", ""), TT_ERR_NOTFOUND,
            "unknown asset or tag");
    refused(fx, doc(TT_REPAIR_APPRAISAL, "EQ-OLD-1", "major", "", ""), TT_ERR_INVAL, "retired");
    /* issue before acceptance */
    ok(fx, doc(TT_REPAIR_APPRAISAL, "P-0050", "minor", "", ""), NOW, "in_repair");
    refused(fx, doc(TT_REPAIR_ISSUE, "P-0050", "in_use", "A3", ""), TT_ERR_INVAL, "accept");
    /* acceptance before a passed self-check */
    refused(fx, doc(TT_REPAIR_ACCEPTANCE, "P-0050", "pass", "", ""), TT_ERR_INVAL, "P-0050");
    /* a result of another step, an issue to an unknown unit */
    refused(fx, doc(TT_REPAIR_SELFCHECK, "P-0050", "major", "", ""), TT_ERR_INVAL, "result");
    ok(fx, doc(TT_REPAIR_SELFCHECK, "P-0050", "pass", "", ""), NOW, "in_stock");
    ok(fx, doc(TT_REPAIR_ACCEPTANCE, "P-0050", "pass", "", ""), NOW, "accepted");
    refused(fx, doc(TT_REPAIR_ISSUE, "P-0050", "in_use", "Z9", ""), TT_ERR_INVAL, "Z9");
    /* the barcode names the asset too: an appraisal naming its unit takes
     * it in (an implied intake, recorded) */
    ok(fx, doc(TT_REPAIR_APPRAISAL, "EQ-PUMP-1", "minor", "A3", ""), NOW, "in_repair");
    assert_string_equal(fx->res.asset, "P-0042");
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM repair_doc WHERE asset = 'P-0042'"
                            " AND kind = 'intake' AND unit = 'A3' AND state = 'received'"), 1);
}

typedef struct {
    tt_fen_t s06, none;
    int rows;
} safety_t;

static int safety_row(void *ctx, const tt_report_safety_t *row)
{
    safety_t *s = ctx;
    s->rows++;
    if (strcmp(row->category, "S06") == 0)
        s->s06 += row->value_a;
    else
        s->none += row->value_a + row->value_b;
    return 0;
}

static int cost_row(void *ctx, const tt_repair_cost_t *c)
{
    tt_repair_cost_t *out = ctx;
    *out = *c;
    out->unit = out->model = out->month = NULL;   /* borrowed for the call only */
    return 0;
}

/* Consumables issued FIFO across two lots with different categories: the
 * repair's cost, the cost report against quota, and the safety report. */
static void test_cost(void **state)
{
    fx_t *fx = *state;
    tt_repair_consumable_t cons[1];
    tt_repair_doc_t d;
    tt_repair_cost_t c;
    safety_t s = {0, 0, 0};
    tt_report_safety_total_t tot;
    int64_t qid;

    receipt(fx, "P-S06", 2, Y(200));     /* lot 1: 2 x 100.00, category S06 */
    receipt(fx, "P-NS", 3, Y(360));      /* lot 2: 3 x 120.00, no category */
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    assert_int_equal(tt_repair_set_quota(fx->r, "乳化液泵 BRW400", "major", Y(300), "labour1",
                                         NOW, &qid, fx->reason, sizeof fx->reason), TT_OK);
    assert_int_equal(tt_repair_set_quota(fx->r, "乳化液泵 BRW400", "major", Y(500), "labour1",
                                         NOW, NULL, fx->reason, sizeof fx->reason), TT_OK);
    assert_int_equal(tt_repair_set_quota(fx->r, "乳化液泵 BRW400", "huge", Y(500), "labour1",
                                         NOW, NULL, fx->reason, sizeof fx->reason), TT_ERR_INVAL);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);

    ok(fx, doc(TT_REPAIR_INTAKE, "P-0043", "", "A3", ""), NOW, "received");
    d = doc(TT_REPAIR_APPRAISAL, "P-0043", "major", "", "王工");
    d.has_costs = 1;
    d.labour_minutes = 240;
    d.labour_fen = Y(100);
    d.machine_fen = Y(30);
    d.auxiliary_fen = 1550;
    d.standard_fen = Y(600);
    ok(fx, d, NOW, "in_repair");
    /* consumables beyond stock: refused whole, nothing issued */
    memset(cons, 0, sizeof cons);
    snprintf(cons[0].warehouse, sizeof cons[0].warehouse, "W01");
    snprintf(cons[0].item, sizeof cons[0].item, "ROPE");
    cons[0].qty = U(6);
    d = doc(TT_REPAIR_SELFCHECK, "P-0043", "pass", "", "维修二班");
    d.consumables = cons;
    d.nconsumables = 1;
    refused(fx, d, TT_ERR_STOCK, "consumables");
    /* consumables on a failed self-check: refused */
    d = doc(TT_REPAIR_SELFCHECK, "P-0043", "fail", "", "");
    d.consumables = cons;
    d.nconsumables = 1;
    refused(fx, d, TT_ERR_INVAL, "passed self-check");
    /* 3 ropes: 2 from lot 1 (200.00, S06) and 1 from lot 2 (120.00) */
    cons[0].qty = U(3);
    d = doc(TT_REPAIR_SELFCHECK, "P-0043", "pass", "", "维修二班");
    d.consumables = cons;
    d.nconsumables = 1;
    ok(fx, d, NOW + HOUR, "in_stock");
    assert_int_equal(fx->res.consumables_fen, Y(320));
    assert_int_equal(strncmp(fx->res.ledger_doc, "WX.", 3), 0);
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM alloc a JOIN repair_consumable c"
                            " ON c.movement = a.movement WHERE a.unit = 'A3'"
                            " AND a.category = 'S06' AND a.value_fen = 20000"), 1);
    assert_int_equal(qi(fx, "SELECT qty FROM stock WHERE warehouse = 'W01' AND item = 'ROPE'"),
                     U(2));

    /* the cost report: labour + machine + auxiliary + consumables */
    memset(&c, 0, sizeof c);
    assert_int_equal(tt_repair_costs_each(fx->db, "2026-03", "2026-03", "A3", NULL, cost_row, &c),
                     TT_OK);
    assert_int_equal(c.repairs, 1);
    assert_int_equal(c.consumables_fen, Y(320));
    assert_int_equal(c.total_fen, Y(100) + Y(30) + 1550 + Y(320));
    assert_int_equal(c.total_fen, 46550);
    assert_int_equal(c.standard_fen, Y(600));
    assert_int_equal(c.quota_fen, Y(500));        /* the newest quota version */

    /* the office adds details later: they supersede the appraisal's */
    d = doc(TT_REPAIR_DETAILS, "P-0043", "", "", "");
    d.has_costs = 1;
    d.labour_fen = Y(150);
    d.standard_fen = Y(600);
    ok(fx, d, NOW + 2 * HOUR, "in_stock");
    assert_int_equal(tt_repair_costs_each(fx->db, NULL, NULL, NULL, "乳化液泵 BRW400", cost_row, &c),
                     TT_OK);
    assert_int_equal(c.total_fen, Y(150) + Y(320));

    /* the safety report sees the S06 part of the consumables */
    assert_int_equal(tt_report_safety(fx->db, "2026-03", "2026-03", NULL, safety_row, &s, &tot),
                     TT_OK);
    assert_int_equal(s.s06, Y(200));
    assert_int_equal(tot.value_a, Y(200));
}

/* The GET routes: JSON and CSV, strict parameters. */
static void test_api(void **state)
{
    fx_t *fx = *state;
    tt_reportapi_reply_t rep;
    tt_reportapi_param_t p[2] = {{"asset", "P-0050"}, {"format", "csv"}};
    tt_reportapi_param_t bad[1] = {{"assett", "P-0050"}};
    tt_reportapi_param_t st[1] = {{"state", "in_repair"}};
    tt_reportapi_param_t badst[1] = {{"state", "in"}};
    tt_reportapi_param_t unit[1] = {{"unit", "A9"}};

    ok(fx, doc(TT_REPAIR_APPRAISAL, "P-0050", "minor", "", "王工"), NOW, "in_repair");
    assert_true(tt_repairapi_route("/api/v1/equipment/archive"));
    assert_false(tt_repairapi_route("/api/v1/equipment/archives"));
    assert_int_equal(tt_repairapi_get(fx->db, "/api/v1/equipment/archive", p, 1, "/tmp", &rep),
                     TT_OK);
    assert_int_equal(rep.status, 200);
    assert_non_null(strstr(rep.body, "\"people\":\"王工\""));
    assert_non_null(strstr(rep.body, "\"kind\":\"appraisal\""));
    free(rep.body);
    assert_int_equal(tt_repairapi_get(fx->db, "/api/v1/equipment/archive", p, 2, "/tmp", &rep),
                     TT_OK);
    assert_int_equal(rep.status, 200);
    assert_string_equal(rep.filename, "equipment-archive.csv");
    assert_non_null(strstr(rep.body, "P-0050"));
    free(rep.body);
    assert_int_equal(tt_repairapi_get(fx->db, "/api/v1/equipment/archive", bad, 1, "/tmp", &rep),
                     TT_OK);
    assert_int_equal(rep.status, 400);
    free(rep.body);
    assert_int_equal(tt_repairapi_get(fx->db, "/api/v1/equipment", st, 1, "/tmp", &rep), TT_OK);
    assert_int_equal(rep.status, 200);
    assert_non_null(strstr(rep.body, "P-0050"));
    assert_null(strstr(rep.body, "P-0042"));   /* in use at A3 */
    free(rep.body);
    assert_int_equal(tt_repairapi_get(fx->db, "/api/v1/equipment", badst, 1, "/tmp", &rep), TT_OK);
    assert_int_equal(rep.status, 400);
    free(rep.body);
    assert_int_equal(tt_repairapi_get(fx->db, "/api/v1/reports/repair-cycles", NULL, 0, "/tmp",
                                      &rep), TT_OK);
    assert_int_equal(rep.status, 200);
    assert_non_null(strstr(rep.body, "appraisal_selfcheck"));
    free(rep.body);
    /* cycles take a unit (forced for a unit-scoped user, docs/api.md) */
    assert_int_equal(tt_repairapi_get(fx->db, "/api/v1/reports/repair-cycles", unit, 1, "/tmp",
                                      &rep), TT_OK);
    assert_int_equal(rep.status, 200);
    assert_non_null(strstr(rep.body, "\"repairs\":0"));
    free(rep.body);
}

/* The office routes: JSON decoded strictly, posted whole. */
static void test_office(void **state)
{
    fx_t *fx = *state;
    tt_office_t *o = NULL;
    char err[256] = "", *reply = NULL;
    int status = 0;
    static const char intake[] =
        "{\"kind\":\"intake\",\"asset\":\"06141415678\",\"unit\":\"A3\","
        "\"operator\":\"li4\",\"day\":\"2026-03-10\"}";
    static const char appraisal[] =
        "{\"kind\":\"appraisal\",\"asset\":\"P-0042\",\"result\":\"major\","
        "\"operator\":\"li4\",\"people\":\"王工\",\"labour_minutes\":240,"
        "\"labour\":\"100.00\",\"machine\":\"30.00\",\"auxiliary\":\"15.50\","
        "\"standard\":\"600.00\"}";
    static const char half_costs[] =
        "{\"kind\":\"appraisal\",\"asset\":\"P-0043\",\"result\":\"major\","
        "\"operator\":\"li4\",\"labour\":\"100.00\"}";
    static const char selfcheck[] =
        "{\"kind\":\"selfcheck\",\"asset\":\"P-0042\",\"result\":\"pass\","
        "\"operator\":\"li4\",\"consumables\":[{\"warehouse\":\"W01\","
        "\"item\":\"ROPE\",\"qty\":\"1\"}]}";
    static const char unknown_field[] =
        "{\"kind\":\"intake\",\"asset\":\"P-0043\",\"unit\":\"A3\","
        "\"operator\":\"li4\",\"colour\":\"red\"}";
    static const char quota[] =
        "{\"model\":\"乳化液泵 BRW400\",\"class\":\"minor\",\"quota\":\"80.00\","
        "\"by\":\"labour1\"}";

    receipt(fx, "P-S06", 2, Y(200));
    assert_int_equal(tt_office_open(fx->path, &o, err, sizeof err), TT_OK);
    assert_true(tt_office_route("/api/v1/repair/docs"));
    assert_true(tt_office_route("/api/v1/repair/quotas"));
#define POST(route, body, want)                                                              \
    do {                                                                                     \
        assert_int_equal(tt_office_post(o, route, body, strlen(body), NOW, &status, &reply),  \
                         TT_OK);                                                             \
        if (status != (want))                                                                \
            fail_msg("%s -> %d %s", body, status, reply);                                    \
    } while (0)
    POST("/api/v1/repair/docs", intake, 201);
    assert_non_null(strstr(reply, "\"state\":\"received\""));
    free(reply);
    POST("/api/v1/repair/docs", appraisal, 201);
    free(reply);
    POST("/api/v1/repair/docs", half_costs, 400);
    assert_non_null(strstr(reply, "all or none"));
    free(reply);
    POST("/api/v1/repair/docs", unknown_field, 400);
    assert_non_null(strstr(reply, "colour"));
    free(reply);
    POST("/api/v1/repair/docs", selfcheck, 201);
    assert_non_null(strstr(reply, "\"consumables\":\"100.00\""));
    assert_non_null(strstr(reply, "\"state\":\"in_stock\""));
    free(reply);
    POST("/api/v1/repair/docs", selfcheck, 400);    /* not in repair any more */
    assert_non_null(strstr(reply, "P-0042"));
    free(reply);
    POST("/api/v1/repair/quotas", quota, 201);
    free(reply);
#undef POST
    tt_office_close(o);
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM repair_doc WHERE asset = 'P-0042'"), 3);
    assert_int_equal(qi(fx, "SELECT labour_fen FROM repair_doc WHERE kind = 'appraisal'"), Y(100));
    assert_int_equal(qi(fx, "SELECT COUNT(*) FROM repair_quota WHERE class = 'minor'"
                            " AND quota_fen = 8000"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_full_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_terminal_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api, setup, teardown),
        cmocka_unit_test_setup_teardown(test_office, setup, teardown),
    };
    setenv("TZ", "CST-8", 1);
    tzset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
