/*
 * bench_ledger: how fast the ledger applies issue lines with FIFO
 * allocation across several lots, measured on a fresh server database.
 *
 *   bench_ledger DB ITEMS LOTS_PER_ITEM LINES
 *
 * Each item gets LOTS_PER_ITEM receipt lots of 3 units at different prices;
 * then LINES issue lines of 2 units each are posted, round robin over the
 * items, in documents of 50 lines and transactions of 10 documents (about
 * what one ingest round carries), so every other line splits across two
 * lots.  Prints "lines seconds lines_per_s allocations" on stdout; the
 * caller (scripts/bench) prints the figures beside the target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "dbmaster.h"
#include "ledger.h"

#define DOC_LINES 50
#define TX_DOCS 10

static int die(const char *what, tt_err_t rc, const char *reason)
{
    fprintf(stderr, "bench_ledger: %s: %s%s%s\n", what, tt_strerror(rc), reason[0] ? ": " : "",
            reason);
    return 1;
}

static void set_line(tt_ledger_line_t *ln, tt_ledger_kind_t kind, int item, tt_qty_t qty)
{
    memset(ln, 0, sizeof *ln);
    ln->kind = kind;
    ln->source = TT_LEDGER_PURCHASE;
    snprintf(ln->warehouse, sizeof ln->warehouse, "W01");
    snprintf(ln->item, sizeof ln->item, "ITEM%05d", item);
    snprintf(ln->unit, sizeof ln->unit, "U01");
    ln->qty = qty;
}

int main(int argc, char **argv)
{
    static tt_ledger_line_t lines[DOC_LINES];
    char err[256] = "", reason[256] = "";
    tt_db_t *db;
    tt_ledger_t *l;
    tt_ledger_doc_t doc;
    long items, lots, total, posted = 0;
    int64_t t0, t1, now = tt_clock_wall_ms();
    tt_err_t rc;

    if (argc != 5 || (items = atol(argv[2])) <= 0 || (lots = atol(argv[3])) <= 0 ||
        (total = atol(argv[4])) <= 0 || total > items * lots * 3 / 2) {
        fprintf(stderr, "usage: bench_ledger DB ITEMS LOTS_PER_ITEM LINES "
                        "(LINES <= ITEMS * LOTS * 3 / 2)\n");
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

    /* Master data as the import writes it: one unit, one warehouse, the
     * items. */
    if ((rc = tt_db_begin(db)) != TT_OK)
        return die("begin", rc, "");
    {
        tt_master_unit_t u = {0};
        tt_master_warehouse_t w = {0};
        snprintf(u.id, sizeof u.id, "U01");
        snprintf(u.name, sizeof u.name, "bench area");
        u.kind = TT_UNIT_WORK_AREA;
        snprintf(w.id, sizeof w.id, "W01");
        snprintf(w.name, sizeof w.name, "central");
        w.kind = TT_WAREHOUSE_CENTRAL;
        if ((rc = tt_dbmaster_put_unit(db, &u, 1, NULL)) != TT_OK ||
            (rc = tt_dbmaster_put_warehouse(db, &w, 1, NULL)) != TT_OK)
            return die("master", rc, "");
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
                return die("item", rc, "");
        }
        if ((rc = tt_dbmaster_set_version(db, 1)) != TT_OK)
            return die("version", rc, "");
    }
    /* Receipts: lot k of every item, one document per lot round. */
    for (long k = 0; k < lots; k++) {
        for (long i = 0; i < items; i += DOC_LINES) {
            size_t n = 0;
            for (long j = i; j < items && n < DOC_LINES; j++, n++) {
                set_line(&lines[n], TT_LEDGER_RECEIPT, (int)j, 3 * TT_QTY_SCALE);
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
                set_line(&lines[n], TT_LEDGER_ISSUE, (int)(posted % items), 2 * TT_QTY_SCALE);
            doc.nlines = n;
            rc = tt_ledger_post(l, &doc, now, NULL, reason, sizeof reason);
            if (rc != TT_OK)
                return die("issue", rc, reason);
        }
        if ((rc = tt_db_commit(db)) != TT_OK)
            return die("commit", rc, "");
    }
    t1 = tt_clock_mono_ms();
    {
        double s = (double)(t1 - t0) / 1000.0;
        printf("%ld %.3f %.0f\n", posted, s, s > 0 ? (double)posted / s : 0.0);
    }
    tt_ledger_close(l);
    tt_db_close(db);
    return 0;
}
