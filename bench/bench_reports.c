/*
 * bench_reports: the ledger's reports on a database of millions of
 * movements.
 *
 *   bench_reports DB MOVEMENTS
 *
 * 1. Makes sure DB holds a ledger of at least MOVEMENTS movements over 24
 *    months, generated through the real ledger API (tt_ledger_post,
 *    tt_ledger_mark_safety, tt_ledger_tag_expense, tt_ledger_close_period)
 *    in one transaction per business day: receipts into the central
 *    warehouse (safety items mostly against a plan line with an S-code
 *    category, some without, so an item's lots differ in category),
 *    transfers to the work areas' warehouses, issues with FIFO across
 *    lots from both, stock-backs, old-item returns and exclusions, safety
 *    marks and expense tags on a few issue lines; months are closed two
 *    months behind.  The generator keeps its own count of what each
 *    warehouse holds so that nothing is refused; a refusal is a bug here
 *    and stops it.  The data are the same on every run (fixed seed) but
 *    for their dates: the 24 months before the current one.  Only the
 *    connection's storage settings differ from the server's while
 *    generating (see generate()).
 *
 *    An existing DB is used as it is when its PRAGMA user_version is the
 *    current schema's and it holds at least MOVEMENTS movements; otherwise
 *    it is generated again (into DB.part, renamed when complete, so an
 *    interrupted run leaves no half database behind).  The caller names
 *    the file after this generator's version, so that a changed generator
 *    makes a new file.
 *
 * 2. Times, through the report functions of server/report.h on a read-only
 *    handle opened as the API opens it, each inside one read transaction
 *    as the API runs them: the safety report of the data's last month
 *    (the month before the current one when generated), three first
 *    pages (100 lines, with the filter's totals) of the issuance ledger
 *    (one unit in that month; the busiest item over all 24 months; one
 *    safety category in that month), and the last month's assessment.
 *    Each is run 5 times; the median is printed.
 *
 * Output, one record a line, for scripts/bench:
 *   gen cached|SECONDS MOVEMENTS ISSUE_LINES ALLOCATIONS MARKS MONTHS BYTES
 *   param NAME VALUE            (month, from, to, unit, item, category)
 *   time NAME MEDIAN_MS ROWS    (safety, issues_unit, issues_item,
 *                                issues_category, assessment)
 * Progress goes to stderr.  Nothing is asserted.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "dbmaster.h"
#include "ledger.h"
#include "report.h"

#define MONTHS 24
#define UNITS 12
#define ITEMS 3000
/* Warehouses: 0 the central one, 1..UNITS the work areas', then recycling. */
#define WH_CENTRAL 0
#define WH_RECYCLING (UNITS + 1)
#define WAREHOUSES (UNITS + 2)
#define DOC_MAX 40            /* lines of a receipt or transfer document */
#define REQ_MAX 15            /* lines of one requisition (issue document) */
#define RING 16384            /* recent issue lines kept for stock-backs and returns */
#define RUNS 5

/* --- a fixed-seed generator (splitmix64) ------------------------------------------- */

static uint64_t rng_state = 0x746167747261696cULL;   /* "tagtrail" */

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* 0 .. n-1 */
static long below(long n)
{
    return (long)(rnd() % (uint64_t)n);
}

/* An item, the popular ones far more often (density ~ 1/sqrt(x)). */
static int pick_item(void)
{
    uint64_t u = rnd() >> 40;                       /* 24 bits */
    return (int)((u * u * ITEMS) >> 48);
}

/* --- the mine ---------------------------------------------------------------------- */

typedef struct {
    char code[16];
    tt_qty_t pack;           /* the most one line takes, thousandths */
    tt_qty_t step;           /* quantities are multiples of it */
    tt_fen_t price;
    int safety;              /* 0, or 1..11: its plan line's category S01..S11 */
    int return_old;
} item_t;

static item_t items[ITEMS];
static tt_qty_t onhand[WAREHOUSES][ITEMS];
static tt_qty_t need[WAREHOUSES][ITEMS];

static const char *const unit_names[UNITS] = {
    "综采一队", "综采二队", "综掘一队", "综掘二队", "综掘三队", "开拓一队",
    "开拓二队", "机电队", "运输队", "通风队", "防突队", "准备队",
};

static void wh_id(int w, char out[TT_EVENT_ID_MAX + 1])
{
    if (w == WH_CENTRAL)
        snprintf(out, TT_EVENT_ID_MAX + 1, "CK01");
    else if (w == WH_RECYCLING)
        snprintf(out, TT_EVENT_ID_MAX + 1, "HS01");
    else
        snprintf(out, TT_EVENT_ID_MAX + 1, "WA%02d", w);
}

static void unit_id(int u, char out[TT_EVENT_ID_MAX + 1])
{
    snprintf(out, TT_EVENT_ID_MAX + 1, "GQ%02d", u + 1);
}

/* A recent issue line, for stock-backs, old-item returns and exclusions. */
typedef struct {
    int wh, unit, item;
    tt_qty_t qty;
    int used;
} recent_t;

static recent_t ring[RING], ring_old[RING];
static long nring, nring_old;

typedef struct {
    tt_db_t *db;
    tt_ledger_t *l;
    sqlite3_stmt *mv_of, *lot_of;
    int64_t now;
    long movements, issues, marks, tags, docs;
    char day[TT_LEDGER_DAY_LEN + 1];
} gen_t;

static int die(const char *what, tt_err_t rc, const char *reason)
{
    fprintf(stderr, "bench_reports: %s: %s%s%s\n", what, tt_strerror(rc),
            reason && reason[0] ? ": " : "", reason ? reason : "");
    exit(1);
}

static void say_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Master data as the import leaves it; every line is checked against it. */
static void put_master(tt_db_t *db)
{
    tt_err_t rc;
    for (int u = 0; u < UNITS; u++) {
        tt_master_unit_t m = {0};
        unit_id(u, m.id);
        snprintf(m.name, sizeof m.name, "%s", unit_names[u]);
        m.kind = TT_UNIT_WORK_AREA;
        if ((rc = tt_dbmaster_put_unit(db, &m, 1, NULL)) != TT_OK)
            die("unit", rc, NULL);
    }
    for (int w = 0; w < WAREHOUSES; w++) {
        tt_master_warehouse_t m = {0};
        wh_id(w, m.id);
        if (w == WH_CENTRAL) {
            snprintf(m.name, sizeof m.name, "中心仓库");
            m.kind = TT_WAREHOUSE_CENTRAL;
        } else if (w == WH_RECYCLING) {
            snprintf(m.name, sizeof m.name, "回收仓库");
            m.kind = TT_WAREHOUSE_RECYCLING;
        } else {
            snprintf(m.name, sizeof m.name, "%s工区仓库", unit_names[w - 1]);
            m.kind = TT_WAREHOUSE_WORK_AREA;
            unit_id(w - 1, m.unit);
        }
        if ((rc = tt_dbmaster_put_warehouse(db, &m, 1, NULL)) != TT_OK)
            die("warehouse", rc, NULL);
    }
    for (int i = 0; i < ITEMS; i++) {
        item_t *it = &items[i];
        tt_dbmaster_item_t m;
        uint64_t h = rnd();
        memset(&m, 0, sizeof m);
        snprintf(it->code, sizeof it->code, "1%07d", i + 1);
        /* One item in ten is measured in metres or litres (halves); the
         * others count pieces.  Prices 1.00 .. about 3,000.00 yuan, the
         * popular (low) items cheaper. */
        it->step = h % 10 == 0 ? TT_QTY_SCALE / 2 : TT_QTY_SCALE;
        it->pack = (tt_qty_t)(1 + (h >> 8) % 12) * it->step;
        it->price = 100 + (tt_fen_t)((h >> 16) % (uint64_t)(100 + i * 100));
        it->safety = (h >> 40) % 5 == 0 ? (int)(1 + (h >> 44) % 11) : 0;
        it->return_old = (h >> 50) % 4 == 0;
        snprintf(m.item.code, sizeof m.item.code, "%.15s", it->code);
        snprintf(m.item.name, sizeof m.item.name, "物资%d", i + 1);
        snprintf(m.item.spec, sizeof m.item.spec, "型号%d", (int)((h >> 56) % 40));
        snprintf(m.item.uom, sizeof m.item.uom, "%s",
                 it->step == TT_QTY_SCALE ? "个" : "米");
        m.item.category = TT_ITEM_MATERIAL;
        m.item.price = it->price;
        m.item.active = 1;
        m.return_old = it->return_old;
        m.reward = it->return_old ? it->price / 20 : 0;
        m.penalty = it->return_old ? it->price / 5 : 0;
        if ((rc = tt_dbmaster_put_item(db, &m, 1, NULL)) != TT_OK)
            die("item", rc, NULL);
        if (it->safety) {
            tt_master_plan_t p;
            memset(&p, 0, sizeof p);
            snprintf(p.serial, sizeof p.serial, "P%07d", i + 1);
            snprintf(p.item, sizeof p.item, "%.15s", it->code);
            p.qty = 1000000 * TT_QTY_SCALE;
            snprintf(p.category, sizeof p.category, "S%02d", it->safety);
            p.status = TT_PLAN_APPROVED;
            if ((rc = tt_dbmaster_put_plan(db, &p, 1, NULL)) != TT_OK)
                die("plan", rc, NULL);
        }
    }
    if ((rc = tt_dbmaster_set_version(db, 1)) != TT_OK)
        die("master version", rc, NULL);
}

static tt_ledger_line_t lines[TT_LEDGER_LINES_MAX];

/* Posts lines[0 .. n-1] as one document of the day; a refusal stops the
 * generator (its own stock count was wrong). */
static void post(gen_t *g, size_t n, const char *approver, tt_ledger_result_t *res)
{
    tt_ledger_doc_t doc;
    char reason[256];
    tt_err_t rc;

    if (n == 0)
        return;
    memset(&doc, 0, sizeof doc);
    snprintf(doc.day, sizeof doc.day, "%s", g->day);
    snprintf(doc.operator_id, sizeof doc.operator_id, "bgy%02ld", g->docs % 7 + 1);
    if (approver)
        snprintf(doc.approver, sizeof doc.approver, "%s", approver);
    doc.lines = lines;
    doc.nlines = n;
    rc = tt_ledger_post(g->l, &doc, g->now, res, reason, sizeof reason);
    if (rc != TT_OK) {
        fprintf(stderr, "bench_reports: %s, %s document: %s (%s)\n", g->day,
                lines[0].kind == TT_LEDGER_ISSUE ? "issue" : "a", tt_strerror(rc), reason);
        exit(1);
    }
    g->movements += (long)n;
    g->docs++;
}

static void line(size_t k, tt_ledger_kind_t kind, int wh, int unit, int item, tt_qty_t qty)
{
    tt_ledger_line_t *ln = &lines[k];
    memset(ln, 0, sizeof *ln);
    ln->kind = kind;
    ln->source = TT_LEDGER_PURCHASE;
    if (wh >= 0)
        wh_id(wh, ln->warehouse);
    if (unit >= 0)
        unit_id(unit, ln->unit);
    snprintf(ln->item, sizeof ln->item, "%.15s", items[item].code);
    ln->qty = qty;
}

static tt_qty_t draw_qty(int item)
{
    const item_t *it = &items[item];
    return (1 + below((long)(it->pack / it->step))) * it->step;
}

/* The movement id of line `ln` (1-based) of document `doc`. */
static int64_t movement_of(gen_t *g, const char *doc, int ln)
{
    int64_t id = 0;
    sqlite3_bind_text(g->mv_of, 1, doc, -1, SQLITE_STATIC);
    sqlite3_bind_int(g->mv_of, 2, ln);
    if (sqlite3_step(g->mv_of) == SQLITE_ROW)
        id = sqlite3_column_int64(g->mv_of, 0);
    sqlite3_reset(g->mv_of);
    return id;
}

/* A lot with no safety category that issue movement `mv` drew on; 0 none. */
static int64_t plain_lot_of(gen_t *g, int64_t mv)
{
    int64_t lot = 0;
    sqlite3_bind_int64(g->lot_of, 1, mv);
    if (sqlite3_step(g->lot_of) == SQLITE_ROW)
        lot = sqlite3_column_int64(g->lot_of, 0);
    sqlite3_reset(g->lot_of);
    return lot;
}

/* After an issue document: about 1 line in 250 drawn on a plain lot is
 * marked as used for safety, 1 in 1000 gets audit's expense tag. */
static void marks_and_tags(gen_t *g, const tt_ledger_result_t *res, size_t n)
{
    static const char *const tags[] = {"维修费", "材料费", "安全费"};
    char reason[256];
    tt_err_t rc;

    for (size_t k = 0; k < n; k++) {
        long r = below(1000);
        int64_t mv, lot;
        if (r >= 5)
            continue;
        mv = movement_of(g, res->doc, (int)k + 1);
        if (r < 4) {
            char cat[8];
            if (!(lot = plain_lot_of(g, mv)))
                continue;
            snprintf(cat, sizeof cat, "S%02ld", 1 + below(11));
            rc = tt_ledger_mark_safety(g->l, mv, lot, cat, "用于井下安全防护", "aqk01",
                                       "clk01", g->now, reason, sizeof reason);
            if (rc != TT_OK)
                die("safety mark", rc, reason);
            g->marks++;
        } else {
            rc = tt_ledger_tag_expense(g->l, mv, tags[below(3)], "sj01", g->now, reason,
                                       sizeof reason);
            if (rc != TT_OK)
                die("expense tag", rc, reason);
            g->tags++;
        }
    }
}

/* One requisition drawn for the day, not yet posted. */
typedef struct {
    int wh, unit, n;
    int item[REQ_MAX];
    tt_qty_t qty[REQ_MAX];
} req_t;

/* A transfer line drawn for the day. */
typedef struct {
    int to, item;
    tt_qty_t qty;
} xfer_t;

static req_t *reqs;
static size_t reqs_cap;
static xfer_t xfers[UNITS * ITEMS];

/* Posts the k lines gathered when the document is full (or `force`). */
static void flush(gen_t *g, size_t *k, size_t max, int force, const char *approver)
{
    if (*k && (force || *k >= max)) {
        post(g, *k, approver, NULL);
        *k = 0;
    }
}

/* A random entry of a ring of recent issue lines; NULL when empty. */
static recent_t *recent(recent_t *r, long n)
{
    return n > 0 ? &r[below(n < RING ? n : RING)] : NULL;
}

/* One business day of about `budget` movements, in one transaction. */
static void gen_day(gen_t *g, long budget)
{
    long nissue = budget * 64 / 100, nback = budget / 60, nold = budget * 9 / 100,
         nexcl = budget / 70, drawn = 0;
    size_t nreq = 0, nx = 0, k;
    tt_err_t rc;

    if ((rc = tt_db_begin(g->db)) != TT_OK)
        die("begin", rc, NULL);
    memset(need, 0, sizeof need);
    /* The day's requisitions: 40% from the unit's own work-area warehouse,
     * the rest from the central one; 1 to 15 lines each. */
    while (drawn < nissue) {
        req_t *q;
        if (nreq == reqs_cap) {
            reqs_cap = reqs_cap ? reqs_cap * 2 : 1024;
            reqs = realloc(reqs, reqs_cap * sizeof *reqs);
            if (!reqs)
                die("memory", TT_ERR_NOMEM, NULL);
        }
        q = &reqs[nreq++];
        q->unit = (int)below(UNITS);
        q->wh = below(10) < 4 ? q->unit + 1 : WH_CENTRAL;
        q->n = (int)(1 + below(REQ_MAX));
        for (int j = 0; j < q->n; j++) {
            q->item[j] = pick_item();
            q->qty[j] = draw_qty(q->item[j]);
            need[q->wh][q->item[j]] += q->qty[j];
        }
        drawn += q->n;
    }
    /* Transfers so that each work area holds what it will issue, plus up
     * to two days' more; receipts so that the central warehouse does, each
     * a new lot of two to six days' demand on top of what is missing: so
     * the day's issues draw on older lots first, then on the new one. */
    for (int w = 1; w <= UNITS; w++) {
        for (int i = 0; i < ITEMS; i++) {
            tt_qty_t want = need[w][i];
            if (!want || onhand[w][i] >= want)
                continue;
            xfers[nx].to = w;
            xfers[nx].item = i;
            xfers[nx].qty = want - onhand[w][i] + want * below(3);
            need[WH_CENTRAL][i] += xfers[nx].qty;
            nx++;
        }
    }
    k = 0;
    for (int i = 0; i < ITEMS; i++) {
        tt_qty_t want = need[WH_CENTRAL][i], q;
        const item_t *it = &items[i];
        if (!want || onhand[WH_CENTRAL][i] >= want)
            continue;
        q = want - onhand[WH_CENTRAL][i] + want * (2 + below(5));
        line(k, TT_LEDGER_RECEIPT, WH_CENTRAL, -1, i, q);
        lines[k].unit_price = it->price * (90 + below(21)) / 100;
        /* Safety items come against their plan line (the lot takes its
         * category) seven times in ten; otherwise as plain stock, which
         * the office may later mark as used for safety. */
        if (it->safety && below(10) < 7)
            snprintf(lines[k].plan_serial, sizeof lines[k].plan_serial, "P%07d", i + 1);
        onhand[WH_CENTRAL][i] += q;
        k++;
        flush(g, &k, DOC_MAX, 0, NULL);
    }
    flush(g, &k, DOC_MAX, 1, NULL);
    /* One transfer document per receiving work area (or per 40 lines). */
    for (size_t x = 0; x < nx; x++) {
        const xfer_t *t = &xfers[x];
        line(k, TT_LEDGER_TRANSFER, WH_CENTRAL, -1, t->item, t->qty);
        wh_id(t->to, lines[k].to_wh);
        onhand[WH_CENTRAL][t->item] -= t->qty;
        onhand[t->to][t->item] += t->qty;
        k++;
        flush(g, &k, DOC_MAX, x + 1 == nx || xfers[x + 1].to != t->to, NULL);
    }
    /* The requisitions. */
    for (size_t r = 0; r < nreq; r++) {
        const req_t *q = &reqs[r];
        tt_ledger_result_t res;
        for (int j = 0; j < q->n; j++) {
            recent_t *e = items[q->item[j]].return_old ? &ring_old[nring_old++ % RING]
                                                        : &ring[nring++ % RING];
            line((size_t)j, TT_LEDGER_ISSUE, q->wh, q->unit, q->item[j], q->qty[j]);
            onhand[q->wh][q->item[j]] -= q->qty[j];
            e->wh = q->wh;
            e->unit = q->unit;
            e->item = q->item[j];
            e->qty = q->qty[j];
            e->used = 0;
        }
        post(g, (size_t)q->n, NULL, &res);
        g->issues += q->n;
        marks_and_tags(g, &res, (size_t)q->n);
    }
    /* Stock-backs (退库): part of a recent issue line comes back unused,
     * to the warehouse it came from. */
    k = 0;
    for (long b = 0; b < nback; b++) {
        recent_t *e = recent(ring, nring);
        tt_qty_t q, step;
        if (!e || (e->used & 1) || e->qty < 2 * items[e->item].step)
            continue;
        step = items[e->item].step;
        q = (1 + below((long)(e->qty / step / 2))) * step;
        e->used |= 1;
        line(k++, TT_LEDGER_STOCKBACK, e->wh, e->unit, e->item, q);
        onhand[e->wh][e->item] += q;
        flush(g, &k, REQ_MAX, 0, NULL);
    }
    flush(g, &k, REQ_MAX, 1, NULL);
    /* Old items handed back (交旧) to the recycling warehouse: most of what
     * was issued, some days later, sometimes in the next month. */
    for (long o = 0; o < nold; o++) {
        recent_t *e = recent(ring_old, nring_old);
        tt_qty_t step, q;
        if (!e || (e->used & 2))
            continue;
        step = items[e->item].step;
        q = e->qty * (70 + below(31)) / 100 / step * step;
        e->used |= 2;
        if (q <= 0)
            continue;
        line(k++, TT_LEDGER_OLD_RETURN, WH_RECYCLING, e->unit, e->item, q);
        flush(g, &k, REQ_MAX, 0, NULL);
    }
    flush(g, &k, REQ_MAX, 1, NULL);
    /* Exclusions from the assessment, approved by the assessment office. */
    for (long x = 0; x < nexcl; x++) {
        recent_t *e = recent(ring_old, nring_old);
        if (!e || (e->used & 4))
            continue;
        e->used |= 4;
        line(k, TT_LEDGER_EXCLUSION, -1, e->unit, e->item, items[e->item].step);
        snprintf(lines[k].note, sizeof lines[k].note, "井下封闭区域无法回收");
        k++;
        flush(g, &k, REQ_MAX, 0, "kh01");
    }
    flush(g, &k, REQ_MAX, 1, "kh01");
    if ((rc = tt_db_commit(g->db)) != TT_OK)
        die("commit", rc, NULL);
}

/* The month `back` months before the one of `today` ('YYYY-MM-DD'). */
static void month_before(const char *today, int back, char out[16])
{
    int y = atoi(today), m = atoi(today + 5) - back;
    while (m < 1) {
        m += 12;
        y--;
    }
    snprintf(out, 16, "%04d-%02d", y % 10000, m % 100);
}

static int days_in(const char *month)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = atoi(month), m = atoi(month + 5);
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

/* Generates the ledger into `path` (a new file): about `target`
 * movements, a little more rather than less. */
static void generate(const char *path, long target)
{
    char err[256], reason[256], today[TT_LEDGER_DAY_LEN + 1], month[MONTHS][16];
    gen_t g;
    tt_err_t rc;
    int total_days = 0, day_no = 0;
    long goal = target + target / 50;
    double t0 = now_ms(), tm = t0;
    long m0 = 0;

    memset(&g, 0, sizeof g);
    g.now = tt_clock_wall_ms();
    if (tt_ledger_day(g.now, today) != TT_OK)
        die("today", TT_ERR_RANGE, NULL);
    /* The 24 months before this one: every day of them has ended. */
    for (int m = 0; m < MONTHS; m++) {
        month_before(today, MONTHS - m, month[m]);
        total_days += days_in(month[m]);
    }
    if ((rc = tt_db_open(path, 0, &g.db, err, sizeof err)) != TT_OK)
        die("open", rc, err);
    /* For generating only: a lost or interrupted fixture is generated
     * again, so commits need not reach the disk (synchronous off) and the
     * rollback journal that the ledger's savepoints need can stay in
     * memory (a WAL would write every page twice); a 1 GiB page cache
     * keeps the growing indexes in memory.  This makes generation about
     * 1.6 times as fast; the ledger's own statements are the same.  The
     * file goes back to WAL at the end, and the timed reads use a fresh
     * read-only handle with the server's settings. */
    if (sqlite3_exec(tt_db_sqlite(g.db),
                     "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;"
                     " PRAGMA cache_size=-1048576", NULL, NULL, NULL) != SQLITE_OK)
        die("pragma", TT_ERR_DB, sqlite3_errmsg(tt_db_sqlite(g.db)));
    if ((rc = tt_ledger_open(g.db, &g.l)) != TT_OK)
        die("ledger", rc, NULL);
    if (sqlite3_prepare_v2(tt_db_sqlite(g.db),
                           "SELECT id FROM movement WHERE doc = ?1 AND line = ?2", -1,
                           &g.mv_of, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(tt_db_sqlite(g.db),
                           "SELECT lot FROM alloc WHERE movement = ?1 AND kind = 'issue'"
                           " AND category IS NULL LIMIT 1", -1, &g.lot_of, NULL) != SQLITE_OK)
        die("prepare", TT_ERR_DB, sqlite3_errmsg(tt_db_sqlite(g.db)));
    if ((rc = tt_db_begin(g.db)) != TT_OK)
        die("begin", rc, NULL);
    put_master(g.db);
    if ((rc = tt_db_commit(g.db)) != TT_OK)
        die("commit", rc, NULL);

    for (int m = 0; m < MONTHS; m++) {
        double t;
        /* Months close two behind: the last two stay open, as at a mine
         * where last month's books are still being finished. */
        if (m >= 2) {
            if ((rc = tt_db_begin(g.db)) != TT_OK)
                die("begin", rc, NULL);
            rc = tt_ledger_close_period(g.l, month[m - 2], "cwk01", g.now, reason,
                                        sizeof reason);
            if (rc != TT_OK)
                die("close period", rc, reason);
            if ((rc = tt_db_commit(g.db)) != TT_OK)
                die("commit", rc, NULL);
        }
        for (int d = 1; d <= days_in(month[m]); d++, day_no++) {
            long left = goal - g.movements, days = total_days - day_no;
            snprintf(g.day, sizeof g.day, "%.7s-%02u", month[m], (unsigned)d % 100u);
            gen_day(&g, left > 0 ? (left + days - 1) / days : 1);
        }
        t = now_ms();
        say_err("  %s: %8ld movements, %6.0f s, %6.0f movements/s in this month\n", month[m],
                g.movements, (t - t0) / 1000.0, (double)(g.movements - m0) / ((t - tm) / 1000.0));
        tm = t;
        m0 = g.movements;
    }
    sqlite3_finalize(g.mv_of);
    sqlite3_finalize(g.lot_of);
    tt_ledger_close(g.l);
    if (sqlite3_exec(tt_db_sqlite(g.db), "PRAGMA journal_mode=WAL", NULL, NULL, NULL) !=
        SQLITE_OK)
        die("pragma", TT_ERR_DB, sqlite3_errmsg(tt_db_sqlite(g.db)));
    tt_db_close(g.db);
    say_err("  %ld movements: %ld issue lines, %ld safety marks, %ld expense tags, "
            "%ld documents\n", g.movements, g.issues, g.marks, g.tags, g.docs);
    free(reqs);
}

/* --- the cache -------------------------------------------------------------------- */

/* The schema version this server migrates a new database to. */
static int current_schema(void)
{
    char err[256];
    tt_db_t *db;
    sqlite3_stmt *st;
    int v = -1;
    if (tt_db_open(":memory:", 0, &db, err, sizeof err) != TT_OK)
        die("schema", TT_ERR_DB, err);
    if (sqlite3_prepare_v2(tt_db_sqlite(db), "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    tt_db_close(db);
    return v;
}

/* One integer a query gives on a raw connection; -1 on any failure. */
static int64_t one_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Whether `path` is a usable cache: the current schema (read before
 * anything would migrate it) and at least `target` movements. */
static int cache_ok(const char *path, long target, int schema)
{
    struct stat sb;
    sqlite3 *db;
    int ok;
    if (stat(path, &sb) != 0)
        return 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return 0;
    }
    ok = one_int(db, "PRAGMA user_version") == schema &&
         one_int(db, "SELECT COALESCE(MAX(id), 0) FROM movement") >= target;
    sqlite3_close(db);
    return ok;
}

static void remove_db(const char *path)
{
    char p[4096];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

/* --- the timed reads --------------------------------------------------------------- */

static int count_line(void *ctx, const tt_report_line_t *row)
{
    (void)row;
    ++*(long *)ctx;
    return 0;
}

static int count_safety(void *ctx, const tt_report_safety_t *row)
{
    (void)row;
    ++*(long *)ctx;
    return 0;
}

static int count_assessment(void *ctx, const tt_report_assessment_t *row)
{
    (void)row;
    ++*(long *)ctx;
    return 0;
}

typedef enum { R_SAFETY, R_ISSUES_UNIT, R_ISSUES_ITEM, R_ISSUES_CATEGORY, R_ASSESSMENT } read_t;

static const char *const read_names[] = {"safety", "issues_unit", "issues_item",
                                         "issues_category", "assessment"};

typedef struct {
    char month[16], from[16], to[16], unit[8], item[16], category[8];
} params_t;

/* Runs one read as the API does (one read transaction); returns its time
 * in ms and the rows in *rows. */
static double run_read(tt_db_t *db, read_t which, const params_t *p, long *rows)
{
    tt_report_filter_t f;
    tt_report_total_t total;
    tt_report_safety_total_t st;
    tt_report_assessment_total_t at;
    tt_report_cursor_t next;
    double t0 = now_ms();
    tt_err_t rc;

    memset(&f, 0, sizeof f);
    *rows = 0;
    if ((rc = tt_report_begin(db)) != TT_OK)
        die("read", rc, NULL);
    switch (which) {
    case R_SAFETY:
        rc = tt_report_safety(db, p->month, p->month, NULL, count_safety, rows, &st);
        break;
    case R_ISSUES_UNIT:
        f.unit = p->unit;
        f.from = p->from;
        f.to = p->to;
        rc = tt_report_issues(db, &f, NULL, 100, count_line, rows, &next, &total);
        break;
    case R_ISSUES_ITEM:
        f.item = p->item;
        rc = tt_report_issues(db, &f, NULL, 100, count_line, rows, &next, &total);
        break;
    case R_ISSUES_CATEGORY:
        f.category = p->category;
        f.from = p->from;
        f.to = p->to;
        rc = tt_report_issues(db, &f, NULL, 100, count_line, rows, &next, &total);
        break;
    case R_ASSESSMENT:
        rc = tt_report_assessment(db, p->month, p->month, NULL, NULL, count_assessment, rows,
                                  &at);
        break;
    }
    tt_report_end(db);
    if (rc != TT_OK)
        die(read_names[which], rc, NULL);
    return now_ms() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    char err[256], part[4096];
    const char *path;
    long target;
    int schema;
    tt_db_t *db;
    sqlite3 *raw;
    params_t p;
    struct stat sb;
    double gen_s = -1;

    if (argc != 3 || (target = atol(argv[2])) <= 0) {
        fprintf(stderr, "usage: bench_reports DB MOVEMENTS\n");
        return 2;
    }
    path = argv[1];
    schema = current_schema();
    if (!cache_ok(path, target, schema)) {
        double t0 = now_ms();
        say_err("bench_reports: generating %s (schema %d, %ld movements) through the ledger "
                "API; this takes minutes, once\n", path, schema, target);
        snprintf(part, sizeof part, "%s.part", path);
        remove_db(part);
        generate(part, target);
        remove_db(path);
        if (rename(part, path) != 0)
            die("rename", TT_ERR_DB, part);
        remove_db(part);
        gen_s = (now_ms() - t0) / 1000.0;
    }

    /* What the cached database holds. */
    if (sqlite3_open_v2(path, &raw, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die("open", TT_ERR_DB, path);
    memset(&p, 0, sizeof p);
    {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(raw, "SELECT MAX(day) FROM alloc", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(p.month, sizeof p.month, "%.7s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    if (!p.month[0])
        die("no movements in", TT_ERR_DB, path);
    snprintf(p.from, sizeof p.from, "%.7s-01", p.month);
    snprintf(p.to, sizeof p.to, "%.7s-%02d", p.month, days_in(p.month) % 100);
    snprintf(p.unit, sizeof p.unit, "GQ01");
    snprintf(p.item, sizeof p.item, "1%07d", 1);     /* items[0]: the busiest */
    snprintf(p.category, sizeof p.category, "S06");
    if (gen_s < 0)
        printf("gen cached");
    else
        printf("gen %.1f", gen_s);
    printf(" %lld %lld %lld %lld %d %lld\n",
           (long long)one_int(raw, "SELECT MAX(id) FROM movement"),
           (long long)one_int(raw, "SELECT COUNT(*) FROM movement WHERE kind = 'issue'"),
           (long long)one_int(raw, "SELECT MAX(id) FROM alloc"),
           (long long)one_int(raw, "SELECT COUNT(*) FROM safety_mark"), MONTHS,
           stat(path, &sb) == 0 ? (long long)sb.st_size : -1LL);
    sqlite3_close(raw);
    printf("param month %s\nparam from %s\nparam to %s\nparam unit %s\nparam item %s\n"
           "param category %s\n", p.month, p.from, p.to, p.unit, p.item, p.category);
    fflush(stdout);

    if (tt_db_open(path, 1, &db, err, sizeof err) != TT_OK)
        die("open read-only", TT_ERR_DB, err);
    for (int r = R_SAFETY; r <= R_ASSESSMENT; r++) {
        double t[RUNS];
        long rows = 0;
        for (int i = 0; i < RUNS; i++)
            t[i] = run_read(db, (read_t)r, &p, &rows);
        qsort(t, RUNS, sizeof t[0], cmp_double);
        printf("time %s %.2f %ld\n", read_names[r], t[RUNS / 2], rows);
        fflush(stdout);
    }
    tt_db_close(db);
    return 0;
}
