/*
 * Unit tests of server/spares: the register of important spare parts kept
 * on site per work area and each part's archive of replacements and
 * repairs, append-only.
 *
 * Each test has its own database in a fresh temporary folder, with master
 * data imported as the office would and one ledger receipt to refer to.
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
#include "spares.h"

#define NOW 1772366400000LL   /* 2026-03-01 12:00 UTC */

typedef struct {
    char dir[64];
    char path[128];
    tt_db_t *db;
    tt_ledger_t *ledger;
    tt_spares_t *sp;
    int64_t receipt;   /* a movement to refer to */
    char reason[256];
} fx_t;

static const char *const MASTER[][2] = {
    {"units", "id,name,kind\nA,采煤一区,work_area\nB,掘进二区,work_area\n"},
    {"warehouses", "id,name,kind,unit\nW01,中心仓库,central,\n"},
    {"items", "code,name,spec,uom,category,price,return_old,reward,penalty,barcodes,active\n"
              "MOTOR,电动机,YBK2-315,台,equipment,45000,no,0,0,,yes\n"
              "GEAR,减速器,JS-110,台,equipment,30000,no,0,0,,yes\n"},
};

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    tt_import_result_t *res = calloc(1, sizeof *res);
    char err[256] = "";
    tt_ledger_line_t ln;
    tt_ledger_doc_t d;
    tt_ledger_result_t r;

    if (!fx || !res)
        return -1;
    setenv("TZ", "UTC", 1);   /* business days of NOW as written here */
    tzset();
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_spares_XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/server.db", fx->dir);
    if (tt_db_open(fx->path, 0, &fx->db, err, sizeof err) != TT_OK ||
        tt_ledger_open(fx->db, &fx->ledger) != TT_OK || tt_spares_open(fx->db, &fx->sp) != TT_OK)
        return -1;
    for (size_t i = 0; i < sizeof MASTER / sizeof MASTER[0]; i++)
        if (tt_import_text(fx->db, tt_import_kind_parse(MASTER[i][0]), "f.csv", MASTER[i][1],
                           strlen(MASTER[i][1]), NULL, NULL, res) != TT_OK)
            return -1;
    free(res);
    memset(&ln, 0, sizeof ln);
    memset(&d, 0, sizeof d);
    ln.kind = TT_LEDGER_RECEIPT;
    ln.source = TT_LEDGER_PURCHASE;
    snprintf(ln.warehouse, sizeof ln.warehouse, "W01");
    snprintf(ln.item, sizeof ln.item, "MOTOR");
    ln.qty = 1000;
    ln.has_value = 1;
    ln.value = 4500000;
    snprintf(d.day, sizeof d.day, "2026-01-03");
    snprintf(d.operator_id, sizeof d.operator_id, "zhang3");
    d.lines = &ln;
    d.nlines = 1;
    if (tt_db_begin(fx->db) != TT_OK ||
        tt_ledger_post(fx->ledger, &d, NOW, &r, fx->reason, sizeof fx->reason) != TT_OK ||
        tt_db_commit(fx->db) != TT_OK)
        return -1;
    fx->receipt = r.first_movement;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    fx_t *fx = *state;
    char p[160];

    tt_spares_close(fx->sp);
    tt_ledger_close(fx->ledger);
    tt_db_close(fx->db);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", fx->path, suffixes[i]);
        unlink(p);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static tt_spares_part_t part(const char *unit, const char *item, const char *serial,
                             const char *since)
{
    tt_spares_part_t p;
    memset(&p, 0, sizeof p);
    snprintf(p.unit, sizeof p.unit, "%s", unit);
    snprintf(p.item, sizeof p.item, "%s", item);
    snprintf(p.serial, sizeof p.serial, "%s", serial);
    snprintf(p.location, sizeof p.location, "运输巷 3号硐室");
    snprintf(p.since, sizeof p.since, "%s", since);
    return p;
}

static tt_err_t reg(fx_t *fx, const tt_spares_part_t *p, int64_t *id)
{
    tt_err_t rc;
    fx->reason[0] = '\0';
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    rc = tt_spares_register(fx->sp, p, "zhang3", NOW, id, fx->reason, sizeof fx->reason);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
    return rc;
}

static tt_err_t rec(fx_t *fx, int64_t p, tt_spares_kind_t kind, const char *day,
                    const char *note, int64_t movement)
{
    tt_err_t rc;
    fx->reason[0] = '\0';
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    rc = tt_spares_record(fx->sp, p, kind, day, note, movement, "zhang3", NOW, NULL, fx->reason,
                          sizeof fx->reason);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
    return rc;
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

typedef struct {
    size_t n;
    int64_t id[8];
    char serial[8][TT_EVENT_CODE_MAX + 1];
    char unit[8][TT_EVENT_ID_MAX + 1];
    char last[8][TT_LEDGER_DAY_LEN + 1];
    size_t replacements[8], repairs[8];
} list_t;

static int on_part(void *ctx, const tt_spares_row_t *r)
{
    list_t *l = ctx;
    assert_true(l->n < 8);
    l->id[l->n] = r->part->id;
    snprintf(l->serial[l->n], sizeof l->serial[0], "%s", r->part->serial);
    snprintf(l->unit[l->n], sizeof l->unit[0], "%s", r->part->unit);
    snprintf(l->last[l->n], sizeof l->last[0], "%s", r->last_day);
    l->replacements[l->n] = r->replacements;
    l->repairs[l->n] = r->repairs;
    assert_string_equal(r->part->location, "运输巷 3号硐室");
    assert_string_equal(r->by, "zhang3");
    l->n++;
    return 0;
}

typedef struct {
    size_t n;
    tt_spares_kind_t kind[8];
    char day[8][TT_LEDGER_DAY_LEN + 1];
    char note[8][64];
    int64_t movement[8];
} hist_t;

static int on_event(void *ctx, const tt_spares_event_t *e)
{
    hist_t *h = ctx;
    assert_true(h->n < 8);
    h->kind[h->n] = e->kind;
    snprintf(h->day[h->n], sizeof h->day[0], "%s", e->day);
    snprintf(h->note[h->n], sizeof h->note[0], "%s", e->note);
    h->movement[h->n] = e->movement;
    h->n++;
    return 0;
}

/* Register, refuse duplicates and bad fields, list per unit. */
static void test_register_and_list(void **state)
{
    fx_t *fx = *state;
    tt_spares_part_t p;
    int64_t m1 = 0, m2 = 0, g = 0, found = 0;
    list_t l;

    p = part("A", "MOTOR", "SN-0001", "2026-01-05");
    assert_int_equal(reg(fx, &p, &m1), TT_OK);
    p = part("A", "MOTOR", "SN-0002", "2026-01-06");
    assert_int_equal(reg(fx, &p, &m2), TT_OK);
    p = part("B", "GEAR", "G-77", "2026-02-01");
    assert_int_equal(reg(fx, &p, &g), TT_OK);
    assert_true(m1 > 0 && m2 > m1 && g > m2);

    /* One row per physical part. */
    p = part("B", "MOTOR", "SN-0001", "2026-02-01");
    assert_int_equal(reg(fx, &p, NULL), TT_ERR_EXISTS);
    assert_non_null(strstr(fx->reason, "registered already"));
    p = part("ZZ", "MOTOR", "SN-9", "2026-02-01");
    assert_int_equal(reg(fx, &p, NULL), TT_ERR_INVAL);
    assert_string_equal(fx->reason, "unit 'ZZ' does not exist");
    p = part("A", "NOPE", "SN-9", "2026-02-01");
    assert_int_equal(reg(fx, &p, NULL), TT_ERR_INVAL);
    assert_string_equal(fx->reason, "item 'NOPE' does not exist");
    p = part("A", "MOTOR", "SN-9", "2026-03-02");   /* tomorrow */
    assert_int_equal(reg(fx, &p, NULL), TT_ERR_INVAL);
    p = part("A", "MOTOR", "SN-9", "2026-02-29");
    assert_int_equal(reg(fx, &p, NULL), TT_ERR_INVAL);
    p = part("A", "MOTOR", "SN 9", "2026-02-01");
    assert_int_equal(reg(fx, &p, NULL), TT_ERR_INVAL);
    p = part("A", "MOTOR", "SN-9", "2026-02-01");
    p.location[0] = '\0';
    assert_int_equal(reg(fx, &p, NULL), TT_ERR_INVAL);
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM spare_part"), 3);

    memset(&l, 0, sizeof l);
    assert_int_equal(tt_spares_list_each(fx->sp, "A", on_part, &l), TT_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.serial[0], "SN-0001");
    assert_string_equal(l.serial[1], "SN-0002");
    assert_int_equal(l.id[0], m1);
    memset(&l, 0, sizeof l);
    assert_int_equal(tt_spares_list_each(fx->sp, NULL, on_part, &l), TT_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.unit[2], "B");
    assert_int_equal(tt_spares_list_each(fx->sp, "bad unit", on_part, &l), TT_ERR_INVAL);

    assert_int_equal(tt_spares_find(fx->sp, "GEAR", "G-77", &found), TT_OK);
    assert_int_equal(found, g);
    assert_int_equal(tt_spares_find(fx->sp, "GEAR", "G-78", &found), TT_ERR_NOTFOUND);
}

/* Each replacement and repair, by day; refusals leave the archive alone. */
static void test_history(void **state)
{
    fx_t *fx = *state;
    tt_spares_part_t p = part("A", "MOTOR", "SN-0001", "2026-01-05");
    int64_t id = 0;
    hist_t h;
    list_t l;

    assert_int_equal(reg(fx, &p, &id), TT_OK);
    assert_int_equal(rec(fx, id, TT_SPARES_REPAIR, "2026-01-20", "bearing replaced at XL", 0),
                     TT_OK);
    assert_int_equal(rec(fx, id, TT_SPARES_REPLACEMENT, "2026-01-12",
                         "fitted on conveyor 2, failed motor to repair", fx->receipt),
                     TT_OK);
    assert_int_equal(rec(fx, id, TT_SPARES_REPAIR, "2026-01-04", "before it came", 0),
                     TT_ERR_INVAL);
    assert_non_null(strstr(fx->reason, "before the part was kept on site"));
    assert_int_equal(rec(fx, id, TT_SPARES_REPAIR, "2026-03-02", "tomorrow", 0), TT_ERR_INVAL);
    assert_int_equal(rec(fx, id, TT_SPARES_REPAIR, "2026-01-21", "", 0), TT_ERR_INVAL);
    assert_int_equal(rec(fx, id, (tt_spares_kind_t)9, "2026-01-21", "x", 0), TT_ERR_INVAL);
    assert_int_equal(rec(fx, id, TT_SPARES_REPAIR, "2026-01-21", "x", fx->receipt + 999),
                     TT_ERR_NOTFOUND);
    assert_int_equal(rec(fx, id + 99, TT_SPARES_REPAIR, "2026-01-21", "x", 0), TT_ERR_NOTFOUND);
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM spare_event"), 2);

    memset(&h, 0, sizeof h);
    assert_int_equal(tt_spares_history_each(fx->sp, id, on_event, &h), TT_OK);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.kind[0], TT_SPARES_REPLACEMENT);
    assert_string_equal(h.day[0], "2026-01-12");
    assert_int_equal(h.movement[0], fx->receipt);
    assert_int_equal(h.kind[1], TT_SPARES_REPAIR);
    assert_string_equal(h.note[1], "bearing replaced at XL");
    assert_int_equal(h.movement[1], 0);
    assert_int_equal(tt_spares_history_each(fx->sp, id + 99, on_event, &h), TT_ERR_NOTFOUND);

    memset(&l, 0, sizeof l);
    assert_int_equal(tt_spares_list_each(fx->sp, "A", on_part, &l), TT_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.replacements[0], 1);
    assert_int_equal(l.repairs[0], 1);
    assert_string_equal(l.last[0], "2026-01-20");

    assert_int_equal(tt_spares_kind_parse("repair"), TT_SPARES_REPAIR);
    assert_int_equal(tt_spares_kind_parse("fix"), 0);
    assert_string_equal(tt_spares_kind_name(TT_SPARES_REPLACEMENT), "replacement");
}

/* The register and the archives are append-only, even through SQL. */
static void test_append_only(void **state)
{
    fx_t *fx = *state;
    tt_spares_part_t p = part("A", "MOTOR", "SN-0001", "2026-01-05");
    sqlite3 *db = tt_db_sqlite(fx->db);
    int64_t id = 0;

    assert_int_equal(reg(fx, &p, &id), TT_OK);
    assert_int_equal(rec(fx, id, TT_SPARES_REPAIR, "2026-01-20", "bearing", 0), TT_OK);
    assert_int_not_equal(sqlite3_exec(db, "UPDATE spare_part SET location = 'x'", NULL, NULL,
                                      NULL),
                         SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM spare_part", NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "UPDATE spare_event SET note = 'x'", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM spare_event", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(count(fx, "SELECT COUNT(*) FROM spare_event WHERE note = 'bearing'"), 1);
    tt_spares_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_and_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_only, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
