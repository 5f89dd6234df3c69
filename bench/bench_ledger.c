/*
 * bench_ledger: how fast the ledger applies issue lines with FIFO
 * allocation across several lots, measured on a fresh server database
 * opened as the server opens it (WAL, synchronous=FULL, the same
 * prepared statements), with master data as an import leaves it, so every
 * line is checked against items, warehouses and units.
 *
 *   bench_ledger DB ITEMS LOTS_PER_ITEM LINES QTY
 *
 * Each item gets LOTS_PER_ITEM receipt lots of 3 units at different prices
 * in one warehouse; then LINES issue lines of QTY units each are posted,
 * round robin over the items, in documents of 50 lines and transactions of
 * 10 documents (about what one ingest round carries).  Every item has many
 * lots open, and a line draws on the oldest: with QTY 2 one line in three
 * spans two lots (1.33 allocations per line), with QTY 4 every line does
 * (2.00).  Only the issues are timed; the rate falls as the database grows
 * (more index pages per transaction), so the caller also runs it larger.
 *
 * Prints "lines seconds lines_per_s allocations_per_line" on stdout (the
 * allocations counted in the database afterwards); the caller
 * (scripts/bench) prints the figures beside the target.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "dbmaster.h"
#include "ledger.h"

#define DOC_LINES 50
#define TX_DOCS 10
#define LOT_UNITS 3

static int die(const char *what, tt_err_t rc, const char *reason)
{
    fprintf(stderr, "bench_ledger: %s: %s%s%s\n", what, tt_strerror(rc), reason[0] ? ": " : "",
            reason);
    return 1;
}

static void set_line(tt_ledger_line_t *ln, tt_ledger_kind_t kind, long item, tt_qty_t qty)
{
    memset(ln, 0, sizeof *ln);
    ln->kind = kind;
    ln->source = TT_LEDGER_PURCHASE;
    snprintf(ln->warehouse, sizeof ln->warehouse, "W01");
    snprintf(ln->item, sizeof ln->item, "ITEM%05ld", item);
    snprintf(ln->unit, sizeof ln->unit, "U01");
    ln->qty = qty;
}

/* Master data as the import writes it: one unit, one warehouse, the items. */
static tt_err_t put_master(tt_db_t *db, long items)
{
    tt_master_unit_t u = {0};
    tt_master_warehouse_t w = {0};
    tt_err_t rc;

    snprintf(u.id, sizeof u.id, "U01");
    snprintf(u.name, sizeof u.name, "bench area");
    u.kind = TT_UNIT_WORK_AREA;
    snprintf(w.id, sizeof w.id, "W01");
    snprintf(w.name, sizeof w.name, "central");
    w.kind = TT_WAREHOUSE_CENTRAL;
    if ((rc = tt_dbmaster_put_unit(db, &u, 1, NULL)) != TT_OK ||
        (rc = tt_dbmaster_put_warehouse(db, &w, 1, NULL)) != TT_OK)
        return rc;
    for (long i = 0; i < items; i++) {
        tt_dbmaster_item_t it;
        memset(&it, 0, sizeof it);
        snprintf(it.item.code, sizeof it.item.code, "ITEM%05ld", i);
        snprintf(it.item.name, sizeof it.item.name, "bench item %ld", i);
        snprintf(it.item.spec, sizeof it.item.spec, "-");
        snprintf(it.item.uom, sizeof it.item.uom, "pc");
        it.item.category = TT_ITEM_MATERIAL;
        it.item.price = 1000;
        it.item.active = 1;
        if ((rc = tt_dbmaster_put_item(db, &it, 1, NULL)) != TT_OK)
            return rc;
    }
    return tt_dbmaster_set_version(db, 1);
}

/* Issue allocation rows written: what the lines drew on. */
static long count_allocations(tt_db_t *db)
{
    sqlite3_stmt *st;
    long n = -1;
    if (sqlite3_prepare_v2(tt_db_sqlite(db), "SELECT COUNT(*) FROM alloc WHERE kind = 'issue'",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

int main(int argc, char **argv)
{
    static tt_ledger_line_t lines[DOC_LINES];
    char err[256] = "", reason[256] = "";
    tt_db_t *db;
    tt_ledger_t *l;
    tt_ledger_doc_t doc;
    long items, lots, total, qty, posted = 0, allocs;
    int64_t t0, t1, now = tt_clock_wall_ms();
    tt_err_t rc;

    if (argc != 6 || (items = atol(argv[2])) <= 0 || items > 99999 ||
        (lots = atol(argv[3])) <= 0 || (total = atol(argv[4])) <= 0 ||
        (qty = atol(argv[5])) <= 0 || (total + items - 1) / items * qty > lots * LOT_UNITS) {
        fprintf(stderr, "usage: bench_ledger DB ITEMS LOTS_PER_ITEM LINES QTY\n"
                        "  (ITEMS <= 99999; the lines of one item, LINES / ITEMS rounded up,\n"
                        "   times QTY at most LOTS_PER_ITEM * %d units)\n", LOT_UNITS);
        return 2;
    }
    rc = tt_db_open(argv[1], 0, &db, err, sizeof err);
    if (rc != TT_OK)
        return die("open", rc, err);
    if ((rc = tt_ledger_open(db, &l)) != TT_OK)
        return die("ledger", rc, "");
    memset(&doc, 0, sizeof doc);
    tt_ledger_day(now, doc.day);
    snprintf(doc.operator_id, sizeof doc.operator_id, "bench");
    doc.lines = lines;

    if ((rc = tt_db_begin(db)) != TT_OK)
        return die("begin", rc, "");
    if ((rc = put_master(db, items)) != TT_OK)
        return die("master", rc, "");
    /* Receipts: lot k of every item, documents of 50 lines. */
    for (long k = 0; k < lots; k++) {
        for (long i = 0; i < items; i += DOC_LINES) {
            size_t n = 0;
            for (long j = i; j < items && n < DOC_LINES; j++, n++) {
                set_line(&lines[n], TT_LEDGER_RECEIPT, j, LOT_UNITS * TT_QTY_SCALE);
                lines[n].unit[0] = '\0';
                lines[n].has_value = 1;
                lines[n].value = 10000 + k;     /* 100.00 yuan and up: prices differ */
            }
            doc.nlines = n;
            rc = tt_ledger_post(l, &doc, now, NULL, reason, sizeof reason);
            if (rc != TT_OK)
                return die("receipt", rc, reason);
        }
    }
    if ((rc = tt_db_commit(db)) != TT_OK)
        return die("commit", rc, "");

    t0 = tt_clock_mono_ms();
    while (posted < total) {
        if ((rc = tt_db_begin(db)) != TT_OK)
            return die("begin", rc, "");
        for (int d = 0; d < TX_DOCS && posted < total; d++) {
            size_t n = 0;
            for (; n < DOC_LINES && posted < total; n++, posted++)
                set_line(&lines[n], TT_LEDGER_ISSUE, posted % items, qty * TT_QTY_SCALE);
            doc.nlines = n;
            rc = tt_ledger_post(l, &doc, now, NULL, reason, sizeof reason);
            if (rc != TT_OK)
                return die("issue", rc, reason);
        }
        if ((rc = tt_db_commit(db)) != TT_OK)
            return die("commit", rc, "");
    }
    t1 = tt_clock_mono_ms();
    allocs = count_allocations(db);
    {
        double s = (double)(t1 - t0) / 1000.0;
        printf("%ld %.3f %.0f %.2f\n", posted, s, s > 0 ? (double)posted / s : 0.0,
               (double)allocs / (double)posted);
    }
    tt_ledger_close(l);
    tt_db_close(db);
    return 0;
}
