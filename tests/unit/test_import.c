/*
 * Unit tests of server/import over server/db, and of the master pages a
 * terminal gets (tt_dbmaster_page directly, and master-req messages through
 * tt_ingest).
 *
 * Each test has its own database in a fresh temporary folder (mkdtemp),
 * removed by the teardown.  CSV texts are given inline; what an import did
 * is read back through tt_db's master functions.
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
#include <sqlite3.h>

#include "db.h"
#include "import.h"
#include "ingest.h"
#include "master.h"

typedef struct {
    char dir[64];
    char path[128];
    tt_db_t *db;
    tt_import_result_t *res;
} fx_t;

static const char UNITS[] = "id,name,kind\n"
                            "CM1,采煤一区,work_area\n"
                            "JD,机电科,department\n"
                            "XL,修理厂,shop\n";

static const char WAREHOUSES[] = "id,name,kind,unit\n"
                                 "CK01,中心仓库,central,\n"
                                 "CK02,回收仓库,recycling,\n"
                                 "CK03,采煤一区库,work_area,CM1\n";

#define ITEM_HEADER "code,name,spec,uom,category,price,return_old,reward,penalty,barcodes,active\n"

static const char ITEMS[] =
    ITEM_HEADER
    "6901234567892,锚杆,Φ20×2200,根,material,12.50,no,0,0,,yes\n"
    "BOLT-M8,\"螺栓 \"\"M8\"\"\",\"M8×40, 镀锌\",个,material,0.35,no,0,0,"
    "6900000000011|6900000000028,yes\n"
    "DRILL-42,钻头,,个,equipment,1200,yes,50,200.5,6900000000035|DRILL-42,yes\n";

static const char OPERATORS[] = "id,name,role,unit,badge,active\n"
                                "zhang3,张三,storekeeper,,B0001,yes\n"
                                "li4,李四,repair_fitter,XL,B0002,yes\n"
                                "wang5,王五,storekeeper,CM1,,no\n";

#define PLAN_HEADER "serial,item,qty,category,unit,status\n"

static const char PLANS[] = PLAN_HEADER
                            "P2026-0117,6901234567892,200,S03,CM1,approved\n"
                            "P2026-0118,BOLT-M8,1000.5,,,approved\n"
                            "P2026-0119,DRILL-42,2,S01,XL,rejected\n";

#define EQUIPMENT_HEADER "asset,model,item,giai,barcode,unit,active\n"

static const char EQUIPMENT[] = EQUIPMENT_HEADER
                                "P-0042,乳化液泵 BRW400/31.5,,06141415678,,CM1,yes\n"
                                "P-0043,\"采煤机 MG300/700-WD\",DRILL-42,0614141AB-12,EQ-PUMP-0007,"
                                "XL,yes\n"
                                "P-0099,旧水泵,,,EQ-OLD-1,,no\n";

/* --- fixture --------------------------------------------------------------- */

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    char err[256] = "";

    if (!fx)
        return -1;
    fx->res = calloc(1, sizeof *fx->res);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_import_XXXXXX");
    if (!fx->res || !mkdtemp(fx->dir)) {
        free(fx->res);
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/server.db", fx->dir);
    if (tt_db_open(fx->path, 0, &fx->db, err, sizeof err) != TT_OK) {
        fprintf(stderr, "tt_db_open: %s\n", err);
        rmdir(fx->dir);
        free(fx->res);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    fx_t *fx = *state;
    char p[160];

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

static tt_err_t import(fx_t *fx, tt_dbmaster_table_t kind, const char *csv)
{
    return tt_import_text(fx->db, kind, "f.csv", csv, strlen(csv), NULL, NULL, fx->res);
}

/* Imports and expects success with `changed` rows changed; returns the
 * version. */
static uint64_t import_ok(fx_t *fx, tt_dbmaster_table_t kind, const char *csv, size_t changed)
{
    tt_err_t rc = import(fx, kind, csv);
    if (rc != TT_OK)
        fail_msg("import of %s: %d, first error: %s", tt_import_kind_name(kind), rc,
                 fx->res->nerrors ? fx->res->errors[0] : "(none)");
    if (fx->res->changed != changed)
        fail_msg("import of %s changed %zu rows, expected %zu", tt_import_kind_name(kind),
                 fx->res->changed, changed);
    return fx->res->version;
}

/* Expects the import to fail with exactly the errors in want[] (NULL-ended). */
static void import_errors(fx_t *fx, tt_dbmaster_table_t kind, const char *csv,
                          const char *const *want)
{
    size_t n = 0;
    tt_err_t rc = import(fx, kind, csv);

    assert_int_equal(rc, TT_ERR_PARSE);
    while (want[n])
        n++;
    for (size_t i = 0; i < fx->res->nerrors || i < n; i++) {
        const char *got = i < fx->res->nerrors ? fx->res->errors[i] : "(none)";
        const char *exp = i < n ? want[i] : "(none)";
        if (strcmp(got, exp) != 0)
            fail_msg("error %zu:\n  got      %s\n  expected %s", i, got, exp);
    }
}

static uint64_t master_version(fx_t *fx)
{
    uint64_t v = 99999;
    assert_int_equal(tt_dbmaster_version(fx->db, &v), TT_OK);
    return v;
}

static uint64_t row_version(fx_t *fx, tt_dbmaster_table_t table, const char *key)
{
    uint64_t v = 0;
    tt_err_t rc = tt_dbmaster_row_version(fx->db, table, key, &v);
    if (rc != TT_OK)
        fail_msg("no row '%s' in table %d (%d)", key, table, rc);
    return v;
}

static int row_exists(fx_t *fx, tt_dbmaster_table_t table, const char *key)
{
    uint64_t v;
    return tt_dbmaster_row_version(fx->db, table, key, &v) == TT_OK;
}

static tt_dbmaster_item_t item(fx_t *fx, const char *code)
{
    tt_dbmaster_item_t x;
    tt_err_t rc = tt_dbmaster_item_get(fx->db, code, &x, NULL);
    if (rc != TT_OK)
        fail_msg("no item '%s' (%d)", code, rc);
    return x;
}

static void expect_barcodes(fx_t *fx, const char *code, const char *const *want)
{
    tt_dbmaster_item_t x = item(fx, code);
    size_t n = 0;
    while (want[n])
        n++;
    if (x.item.nbarcodes != n)
        fail_msg("item %s has %zu barcodes, expected %zu", code, x.item.nbarcodes, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(x.item.barcodes[i], want[i]);
}

static void load_all(fx_t *fx)
{
    import_ok(fx, TT_DBMASTER_UNIT, UNITS, 3);
    import_ok(fx, TT_DBMASTER_WAREHOUSE, WAREHOUSES, 3);
    import_ok(fx, TT_DBMASTER_ITEM, ITEMS, 3);
    import_ok(fx, TT_DBMASTER_OPERATOR, OPERATORS, 3);
}

/* load_all, then the plans (version 5) and the equipment (version 6). */
static void load_six(fx_t *fx)
{
    load_all(fx);
    import_ok(fx, TT_DBMASTER_PLAN, PLANS, 3);
    import_ok(fx, TT_DBMASTER_EQUIPMENT, EQUIPMENT, 3);
}

/* Reads the whole series of pages from `since`; returns their number and
 * the rows in *rows (total, all kinds). */
static size_t read_pages(fx_t *fx, uint64_t since, size_t max_rows, size_t *rows, uint64_t *to)
{
    char cursor[TT_MASTER_CURSOR_MAX + 1] = "", reason[160];
    size_t pages = 0;

    *rows = 0;
    for (;;) {
        tt_master_page_t *p = NULL;
        assert_int_equal(tt_dbmaster_page(fx->db, since, cursor, max_rows, &p, reason,
                                          sizeof reason),
                         TT_OK);
        if (pages == 0)
            *to = p->to;
        assert_int_equal(p->to, *to);
        assert_int_equal(p->since, since);
        *rows += p->nunits + p->nwarehouses + p->nitems + p->noperators + p->nplans +
                 p->nequipment;
        assert_true(p->nunits + p->nwarehouses + p->nitems + p->noperators + p->nplans +
                        p->nequipment <=
                    max_rows);
        pages++;
        if (p->last) {
            assert_string_equal(p->cursor, "");
            tt_master_page_free(p);
            return pages;
        }
        snprintf(cursor, sizeof cursor, "%s", p->cursor);
        tt_master_page_free(p);
        assert_true(pages < 1000);
    }
}

/* --- importing each kind ---------------------------------------------------- */

static void test_import_each_kind(void **state)
{
    fx_t *fx = *state;
    tt_dbmaster_item_t x;
    char who[TT_EVENT_ID_MAX + 1];
    tt_master_page_t *p = NULL;
    char reason[160];

    assert_int_equal(master_version(fx), 0);
    assert_int_equal(import_ok(fx, TT_DBMASTER_UNIT, UNITS, 3), 1);
    assert_int_equal(fx->res->rows, 3);
    assert_int_equal(import_ok(fx, TT_DBMASTER_WAREHOUSE, WAREHOUSES, 3), 2);
    assert_int_equal(import_ok(fx, TT_DBMASTER_ITEM, ITEMS, 3), 3);
    assert_int_equal(import_ok(fx, TT_DBMASTER_OPERATOR, OPERATORS, 3), 4);
    assert_int_equal(master_version(fx), 4);
    assert_int_equal(row_version(fx, TT_DBMASTER_UNIT, "JD"), 1);
    assert_int_equal(row_version(fx, TT_DBMASTER_WAREHOUSE, "CK03"), 2);
    assert_int_equal(row_version(fx, TT_DBMASTER_ITEM, "DRILL-42"), 3);
    assert_int_equal(row_version(fx, TT_DBMASTER_OPERATOR, "wang5"), 4);

    x = item(fx, "BOLT-M8");
    assert_string_equal(x.item.name, "螺栓 \"M8\"");
    assert_string_equal(x.item.spec, "M8×40, 镀锌");
    assert_string_equal(x.item.uom, "个");
    assert_int_equal(x.item.category, TT_ITEM_MATERIAL);
    assert_int_equal(x.item.price, 35);
    assert_true(x.item.active);
    assert_false(x.return_old);
    x = item(fx, "DRILL-42");
    assert_string_equal(x.item.spec, "");
    assert_int_equal(x.item.category, TT_ITEM_EQUIPMENT);
    assert_int_equal(x.item.price, 120000);
    assert_true(x.return_old);
    assert_int_equal(x.reward, 5000);
    assert_int_equal(x.penalty, 20050);
    /* The code is always a barcode of its item, listed or not, and first. */
    expect_barcodes(fx, "6901234567892", (const char *const[]){"6901234567892", NULL});
    expect_barcodes(fx, "BOLT-M8",
                    (const char *const[]){"BOLT-M8", "6900000000011", "6900000000028", NULL});
    expect_barcodes(fx, "DRILL-42", (const char *const[]){"DRILL-42", "6900000000035", NULL});
    assert_int_equal(tt_dbmaster_barcode_owner(fx->db, "6900000000028", who), TT_OK);
    assert_string_equal(who, "BOLT-M8");
    assert_int_equal(tt_dbmaster_badge_owner(fx->db, "B0002", who), TT_OK);
    assert_string_equal(who, "li4");
    assert_int_equal(tt_dbmaster_badge_owner(fx->db, "B0003", who), TT_ERR_NOTFOUND);

    /* Everything in one page from 0, in table order, by key. */
    assert_int_equal(tt_dbmaster_page(fx->db, 0, "", TT_MASTER_PAGE_ROWS, &p, reason,
                                      sizeof reason),
                     TT_OK);
    assert_int_equal(p->to, 4);
    assert_true(p->last);
    assert_int_equal(p->nunits, 3);
    assert_string_equal(p->units[0].id, "CM1");
    assert_string_equal(p->units[2].id, "XL");
    assert_int_equal(p->units[2].kind, TT_UNIT_SHOP);
    assert_int_equal(p->nwarehouses, 3);
    assert_string_equal(p->warehouses[2].unit, "CM1");
    assert_string_equal(p->warehouses[0].unit, "");
    assert_int_equal(p->nitems, 3);
    assert_string_equal(p->items[0].code, "6901234567892");
    assert_string_equal(p->items[1].code, "BOLT-M8");
    assert_int_equal(p->items[1].nbarcodes, 3);
    assert_int_equal(p->noperators, 3);
    assert_string_equal(p->operators[0].id, "li4");
    assert_string_equal(p->operators[0].unit, "XL");
    assert_string_equal(p->operators[1].id, "wang5");
    assert_false(p->operators[1].active);
    assert_string_equal(p->operators[1].badge, "");
    tt_master_page_free(p);
}

static void test_identical_reimport_changes_nothing(void **state)
{
    fx_t *fx = *state;
    size_t rows;
    uint64_t to;

    load_all(fx);
    assert_int_equal(import_ok(fx, TT_DBMASTER_UNIT, UNITS, 0), 4);
    assert_int_equal(fx->res->rows, 3);
    assert_int_equal(import_ok(fx, TT_DBMASTER_WAREHOUSE, WAREHOUSES, 0), 4);
    assert_int_equal(import_ok(fx, TT_DBMASTER_ITEM, ITEMS, 0), 4);
    assert_int_equal(import_ok(fx, TT_DBMASTER_OPERATOR, OPERATORS, 0), 4);
    assert_int_equal(master_version(fx), 4);
    assert_int_equal(row_version(fx, TT_DBMASTER_UNIT, "CM1"), 1);
    assert_int_equal(row_version(fx, TT_DBMASTER_ITEM, "BOLT-M8"), 3);
    /* The barcodes listed in another order are the same barcodes. */
    assert_int_equal(
        import_ok(fx, TT_DBMASTER_ITEM,
                  ITEM_HEADER "BOLT-M8,\"螺栓 \"\"M8\"\"\",\"M8×40, 镀锌\",个,material,0.35,no,"
                              "0.00,0,6900000000028|BOLT-M8|6900000000011,yes\n",
                  0),
        4);
    /* A terminal at version 4 has nothing to fetch. */
    assert_int_equal(read_pages(fx, 4, TT_MASTER_PAGE_ROWS, &rows, &to), 1);
    assert_int_equal(rows, 0);
    assert_int_equal(to, 4);
}

static void test_changed_row_gets_new_version(void **state)
{
    fx_t *fx = *state;
    tt_master_page_t *p = NULL;
    char reason[160];

    load_all(fx);
    /* One unit renamed, the others as they were. */
    assert_int_equal(import_ok(fx, TT_DBMASTER_UNIT,
                               "id,name,kind\nCM1,采煤一区,work_area\nJD,机电科（新）,department\n"
                               "XL,修理厂,shop\n",
                               1),
                     5);
    assert_int_equal(row_version(fx, TT_DBMASTER_UNIT, "JD"), 5);
    assert_int_equal(row_version(fx, TT_DBMASTER_UNIT, "CM1"), 1);
    assert_int_equal(row_version(fx, TT_DBMASTER_UNIT, "XL"), 1);
    /* A price change; a file with only that item: the others stay. */
    assert_int_equal(import_ok(fx, TT_DBMASTER_ITEM,
                               ITEM_HEADER "6901234567892,锚杆,Φ20×2200,根,material,13,no,0,0,,yes\n",
                               1),
                     6);
    assert_int_equal(item(fx, "6901234567892").item.price, 1300);
    assert_int_equal(row_version(fx, TT_DBMASTER_ITEM, "6901234567892"), 6);
    assert_int_equal(row_version(fx, TT_DBMASTER_ITEM, "BOLT-M8"), 3);
    assert_true(row_exists(fx, TT_DBMASTER_ITEM, "DRILL-42"));
    /* Deactivating an operator is a change; a new operator is one too. */
    assert_int_equal(import_ok(fx, TT_DBMASTER_OPERATOR,
                               "id,name,role,unit,badge,active\n"
                               "zhang3,张三,storekeeper,,B0001,no\nzhao6,赵六,storekeeper,JD,,yes\n",
                               2),
                     7);
    assert_int_equal(row_version(fx, TT_DBMASTER_OPERATOR, "zhang3"), 7);
    assert_int_equal(row_version(fx, TT_DBMASTER_OPERATOR, "li4"), 4);
    /* Only reward / penalty / return_old (server-side terms) still count. */
    assert_int_equal(
        import_ok(fx, TT_DBMASTER_ITEM,
                  ITEM_HEADER "DRILL-42,钻头,,个,equipment,1200,yes,50,200.51,6900000000035,yes\n",
                  1),
        8);
    /* What changed since 5, in order. */
    assert_int_equal(tt_dbmaster_page(fx->db, 5, "", TT_MASTER_PAGE_ROWS, &p, reason,
                                      sizeof reason),
                     TT_OK);
    assert_int_equal(p->to, 8);
    assert_int_equal(p->nunits, 0);
    assert_int_equal(p->nwarehouses, 0);
    assert_int_equal(p->nitems, 2);
    assert_string_equal(p->items[0].code, "6901234567892");
    assert_string_equal(p->items[1].code, "DRILL-42");
    assert_int_equal(p->noperators, 2);
    assert_string_equal(p->operators[0].id, "zhang3");
    assert_string_equal(p->operators[1].id, "zhao6");
    tt_master_page_free(p);
}

/* --- errors ----------------------------------------------------------------- */

static void test_errors_reported_by_line_nothing_imported(void **state)
{
    fx_t *fx = *state;
    static const char *const want[] = {
        "f.csv:3: id 'BAD ID': not an id (1-32 of A-Z a-z 0-9 _ . -)",
        "f.csv:3: kind 'mine': not one of work_area, department, shop",
        "f.csv:4: name: empty",
        "f.csv:5: 2 fields, expected 3",
        "f.csv:6: name: contains a control character (a line break or tab?)",
        "f.csv:8: name: leading or trailing space",
        "f.csv:9: id 'CM1' already on line 2",
        "f.csv:10: name: 99 bytes, at most 96",
        "f.csv:11: invalid UTF-8",
        NULL,
    };

    import_errors(fx, TT_DBMASTER_UNIT,
                  "id,name,kind\n"
                  "CM1,采煤一区,work_area\n"                  /* 2 fine */
                  "BAD ID,x,mine\n"                          /* 3 two errors */
                  "E1,,shop\n"                               /* 4 */
                  "E2,x\n"                                   /* 5 */
                  "E3,\"a\nb\",shop\n"                       /* 6-7 */
                  "E4, x,shop\n"                             /* 8 */
                  "CM1,again,shop\n"                         /* 9 */
                  "E5,采煤一区采煤一区采煤一区采煤一区采煤一区采煤一区采煤一区采煤一区xyz,shop\n"
                  "E6,\xB2\xC9,shop\n",                      /* 11 GBK */
                  want);
    assert_int_equal(fx->res->rows, 9);
    /* Nothing imported: not even the good row. */
    assert_int_equal(master_version(fx), 0);
    assert_false(row_exists(fx, TT_DBMASTER_UNIT, "CM1"));
}

static void test_item_field_errors(void **state)
{
    fx_t *fx = *state;
    static const char *const want[] = {
        "f.csv:2: price '12.505': not an amount in yuan with at most 2 decimals (12.50)",
        "f.csv:3: price '-1': must not be negative",
        "f.csv:4: category 'food': not one of equipment, material, service, office, general, "
        "medicine",
        "f.csv:4: return_old 'Y': must be yes or no",
        "f.csv:5: barcodes '1||2': empty barcode (two '|' in a row, or one at an end)",
        "f.csv:6: barcodes: '1 2' is not a barcode (1-64 printable ASCII characters, no spaces, "
        "'\"' or '\\')",
        "f.csv:7: barcodes: more than 8 with the item's code",
        "f.csv:8: barcodes: '7' listed twice",
        "f.csv:9: code '螺栓': not a barcode (1-64 printable ASCII characters, no spaces, '\"' or "
        "'\\')",
        "f.csv:10: uom: empty",
        "f.csv:11: active '': must be yes or no",
        "f.csv:12: reward '1,000': not an amount in yuan with at most 2 decimals (12.50)",
        "f.csv:13: penalty '99999999999999999999': too large",
        NULL,
    };

    import_errors(fx, TT_DBMASTER_ITEM,
                  ITEM_HEADER
                  "A,a,,个,material,12.505,no,0,0,,yes\n"
                  "B,b,,个,material,-1,no,0,0,,yes\n"
                  "C,c,,个,food,1,Y,0,0,,yes\n"
                  "D,d,,个,material,1,no,0,0,1||2,yes\n"
                  "E,e,,个,material,1,no,0,0,1 2,yes\n"
                  "F,f,,个,material,1,no,0,0,1|2|3|4|5|6|7|8,yes\n"
                  "G,g,,个,material,1,no,0,0,7|G|7,yes\n"
                  "螺栓,h,,个,material,1,no,0,0,,yes\n"
                  "I,i,,,material,1,no,0,0,,yes\n"
                  "J,j,,个,material,1,no,0,0,,\n"
                  "K,k,,个,material,1,no,\"1,000\",0,,yes\n"
                  "L,l,,个,material,1,no,0,99999999999999999999,,yes\n"
                  /* 7 listed barcodes besides the code: the most there may be. */
                  "M,m,,个,material,1,no,0,0,m1|m2|m3|m4|m5|m6|m7|M,yes\n",
                  want);
    assert_int_equal(master_version(fx), 0);
}

static void test_wrong_header(void **state)
{
    fx_t *fx = *state;
    import_errors(fx, TT_DBMASTER_WAREHOUSE, UNITS,
                  (const char *const[]){"f.csv:1: header is 'id,name,kind', expected "
                                        "'id,name,kind,unit'",
                                        NULL});
    import_errors(fx, TT_DBMASTER_OPERATOR, "",
                  (const char *const[]){"f.csv:1: empty file, expected the header "
                                        "'id,name,role,unit,badge,active'",
                                        NULL});
    /* Header only: nothing to do, nothing changes. */
    assert_int_equal(import_ok(fx, TT_DBMASTER_UNIT, "id,name,kind\r\n", 0), 0);
    assert_int_equal(fx->res->rows, 0);
}

static void test_error_limit(void **state)
{
    fx_t *fx = *state;
    size_t cap = 100 * 32, at;
    char *csv = malloc(cap);

    assert_non_null(csv);
    at = (size_t)snprintf(csv, cap, "id,name,kind\n");
    for (int i = 0; i < 80; i++)
        at += (size_t)snprintf(csv + at, cap - at, "U%d,u,nokind\n", i);
    assert_int_equal(import(fx, TT_DBMASTER_UNIT, csv), TT_ERR_PARSE);
    assert_int_equal(fx->res->nerrors, TT_IMPORT_ERRORS_MAX);
    assert_true(fx->res->more_errors);
    assert_string_equal(fx->res->errors[0], "f.csv:2: kind 'nokind': not one of work_area, "
                                            "department, shop");
    assert_string_equal(fx->res->errors[49], "f.csv:51: kind 'nokind': not one of work_area, "
                                             "department, shop");
    free(csv);
}

static void test_warehouse_unit_must_exist(void **state)
{
    fx_t *fx = *state;
    static const char *const want[] = {
        "f.csv:3: unit 'CM2' does not exist (import it with the units first)",
        NULL,
    };

    import_errors(fx, TT_DBMASTER_WAREHOUSE, WAREHOUSES,
                  (const char *const[]){
                      "f.csv:4: unit 'CM1' does not exist (import it with the units first)",
                      NULL});
    import_ok(fx, TT_DBMASTER_UNIT, UNITS, 3);
    import_ok(fx, TT_DBMASTER_WAREHOUSE, WAREHOUSES, 3);
    import_errors(fx, TT_DBMASTER_WAREHOUSE,
                  "id,name,kind,unit\nCK04,四号库,work_area,CM1\nCK05,五号库,work_area,CM2\n",
                  want);
    assert_false(row_exists(fx, TT_DBMASTER_WAREHOUSE, "CK04"));
    /* Operators' units likewise. */
    import_errors(fx, TT_DBMASTER_OPERATOR,
                  "id,name,role,unit,badge,active\nzhou7,周七,storekeeper,NOPE,,yes\n",
                  (const char *const[]){
                      "f.csv:2: unit 'NOPE' does not exist (import it with the units first)",
                      NULL});
    assert_int_equal(master_version(fx), 2);
}

/* --- barcodes and badges ----------------------------------------------------- */

static void test_barcode_conflicts(void **state)
{
    fx_t *fx = *state;

    load_all(fx);
    /* Two items of one file claim a barcode; an item's code is a barcode. */
    import_errors(fx, TT_DBMASTER_ITEM,
                  ITEM_HEADER "X1,x,,个,material,1,no,0,0,B1,yes\n"
                              "X2,x,,个,material,1,no,0,0,B1|X1,yes\n",
                  (const char *const[]){
                      "f.csv:3: barcode 'B1' of item 'X2' is also a barcode of item 'X1' (line 2)",
                      "f.csv:3: barcode 'X1' of item 'X2' is also a barcode of item 'X1' (line 2)",
                      NULL});
    /* A barcode of a stored item the file does not mention. */
    import_errors(fx, TT_DBMASTER_ITEM,
                  ITEM_HEADER "X3,x,,个,material,1,no,0,0,6900000000011,yes\n"
                              "X4,x,,个,material,1,no,0,0,6901234567892,yes\n",
                  (const char *const[]){
                      "f.csv:2: barcode '6900000000011' of item 'X3' belongs to item 'BOLT-M8' "
                      "(stored; list that item in this file without it to move it)",
                      "f.csv:3: barcode '6901234567892' of item 'X4' belongs to item "
                      "'6901234567892' (stored; list that item in this file without it to move it)",
                      NULL});
    /* A new item whose code is a stored item's barcode. */
    import_errors(fx, TT_DBMASTER_ITEM, ITEM_HEADER "6900000000035,x,,个,material,1,no,0,0,,yes\n",
                  (const char *const[]){
                      "f.csv:2: barcode '6900000000035' of item '6900000000035' belongs to item "
                      "'DRILL-42' (stored; list that item in this file without it to move it)",
                      NULL});
    assert_int_equal(master_version(fx), 4);
    assert_false(row_exists(fx, TT_DBMASTER_ITEM, "X1"));
}

static void test_barcode_moves_and_drops(void **state)
{
    fx_t *fx = *state;
    char who[TT_EVENT_CODE_MAX + 1];

    load_all(fx);
    /* 6900000000011 moves from BOLT-M8 to DRILL-42 (both listed, BOLT-M8
     * without it): both items change; BOLT-M8 keeps 6900000000028. */
    assert_int_equal(
        import_ok(fx, TT_DBMASTER_ITEM,
                  ITEM_HEADER
                  "DRILL-42,钻头,,个,equipment,1200,yes,50,200.5,6900000000035|6900000000011,yes\n"
                  "BOLT-M8,\"螺栓 \"\"M8\"\"\",\"M8×40, 镀锌\",个,material,0.35,no,0,0,"
                  "6900000000028,yes\n",
                  2),
        5);
    expect_barcodes(fx, "DRILL-42",
                    (const char *const[]){"DRILL-42", "6900000000011", "6900000000035", NULL});
    expect_barcodes(fx, "BOLT-M8", (const char *const[]){"BOLT-M8", "6900000000028", NULL});
    assert_int_equal(row_version(fx, TT_DBMASTER_ITEM, "DRILL-42"), 5);
    assert_int_equal(row_version(fx, TT_DBMASTER_ITEM, "BOLT-M8"), 5);
    assert_int_equal(row_version(fx, TT_DBMASTER_ITEM, "6901234567892"), 3);
    /* The same move, the other way round, with the giving item first in
     * the file. */
    assert_int_equal(
        import_ok(fx, TT_DBMASTER_ITEM,
                  ITEM_HEADER
                  "BOLT-M8,\"螺栓 \"\"M8\"\"\",\"M8×40, 镀锌\",个,material,0.35,no,0,0,"
                  "6900000000028|6900000000011,yes\n"
                  "DRILL-42,钻头,,个,equipment,1200,yes,50,200.5,6900000000035,yes\n",
                  2),
        6);
    assert_int_equal(tt_dbmaster_barcode_owner(fx->db, "6900000000011", who), TT_OK);
    assert_string_equal(who, "BOLT-M8");
    /* A barcode dropped from its item's line no longer resolves... */
    assert_int_equal(
        import_ok(fx, TT_DBMASTER_ITEM,
                  ITEM_HEADER "BOLT-M8,\"螺栓 \"\"M8\"\"\",\"M8×40, 镀锌\",个,material,0.35,no,0,0,"
                              "6900000000011,yes\n",
                  1),
        7);
    assert_int_equal(tt_dbmaster_barcode_owner(fx->db, "6900000000028", who), TT_ERR_NOTFOUND);
    /* ...and is free for another item, even one the file does not repeat. */
    assert_int_equal(import_ok(fx, TT_DBMASTER_ITEM,
                               ITEM_HEADER "NEW-1,新,,个,office,5,no,0,0,6900000000028,yes\n", 1),
                     8);
    assert_int_equal(tt_dbmaster_barcode_owner(fx->db, "6900000000028", who), TT_OK);
    assert_string_equal(who, "NEW-1");
}

static void test_badge_conflicts_and_moves(void **state)
{
    fx_t *fx = *state;
    char who[TT_EVENT_ID_MAX + 1];

    load_all(fx);
    import_errors(fx, TT_DBMASTER_OPERATOR,
                  "id,name,role,unit,badge,active\n"
                  "a1,甲,storekeeper,,B9,yes\na2,乙,storekeeper,,B9,yes\n"
                  "a3,丙,storekeeper,,B0001,yes\n",
                  (const char *const[]){
                      "f.csv:3: badge 'B9' of 'a2' is also the badge of 'a1' (line 2)",
                      "f.csv:4: badge 'B0001' of 'a3' belongs to operator 'zhang3' (stored; list "
                      "that operator in this file with another badge to move it)",
                      NULL});
    /* Swapping two badges in one file works (the unique badge never sees
     * two holders). */
    assert_int_equal(import_ok(fx, TT_DBMASTER_OPERATOR,
                               "id,name,role,unit,badge,active\n"
                               "zhang3,张三,storekeeper,,B0002,yes\n"
                               "li4,李四,repair_fitter,XL,B0001,yes\n",
                               2),
                     5);
    assert_int_equal(tt_dbmaster_badge_owner(fx->db, "B0001", who), TT_OK);
    assert_string_equal(who, "li4");
    /* A badge given up by one and taken by another. */
    assert_int_equal(import_ok(fx, TT_DBMASTER_OPERATOR,
                               "id,name,role,unit,badge,active\n"
                               "wang5,王五,storekeeper,CM1,B0002,no\n"
                               "zhang3,张三,storekeeper,,,yes\n",
                               2),
                     6);
    assert_int_equal(tt_dbmaster_badge_owner(fx->db, "B0002", who), TT_OK);
    assert_string_equal(who, "wang5");
}

/* --- pages ------------------------------------------------------------------ */

/* n items ITEM-000001... (one barcode each besides the code). */
static char *items_csv(size_t n, const char *price)
{
    size_t cap = n * 96 + 256, at;
    char *csv = malloc(cap);

    assert_non_null(csv);
    at = (size_t)snprintf(csv, cap, ITEM_HEADER);
    for (size_t i = 1; i <= n; i++)
        at += (size_t)snprintf(csv + at, cap - at,
                               "ITEM-%06zu,物料%zu,规格,个,material,%s,no,0,0,68%011zu,yes\n", i, i,
                               price, i);
    assert_true(at < cap);
    return csv;
}

static void test_pages_of_4500_items(void **state)
{
    fx_t *fx = *state;
    char *csv = items_csv(4500, "1.00");
    char cursor[TT_MASTER_CURSOR_MAX + 1] = "", reason[160];
    size_t seen = 0, rows;
    uint64_t to;
    static const size_t sizes[] = {2000, 2000, 500};

    assert_int_equal(import_ok(fx, TT_DBMASTER_ITEM, csv, 4500), 1);
    free(csv);
    for (size_t page = 0; page < 3; page++) {
        tt_master_page_t *p = NULL;
        assert_int_equal(tt_dbmaster_page(fx->db, 0, cursor, TT_MASTER_PAGE_ROWS, &p, reason,
                                          sizeof reason),
                         TT_OK);
        assert_int_equal(p->to, 1);
        assert_int_equal(p->nitems, sizes[page]);
        assert_int_equal(p->nunits + p->nwarehouses + p->noperators, 0);
        /* Consecutive items, in code order, none twice, none missed. */
        for (size_t i = 0; i < p->nitems; i++) {
            char want[32];
            snprintf(want, sizeof want, "ITEM-%06zu", ++seen);
            assert_string_equal(p->items[i].code, want);
            assert_int_equal(p->items[i].nbarcodes, 2);
            assert_string_equal(p->items[i].barcodes[0], want);
        }
        if (page < 2) {
            char want[64];
            assert_false(p->last);
            snprintf(want, sizeof want, "1:item:ITEM-%06zu", seen);
            assert_string_equal(p->cursor, want);
        } else {
            assert_true(p->last);
            assert_string_equal(p->cursor, "");
        }
        /* Each page encodes, within the default max_payload. */
        {
            char *text = NULL;
            size_t len = 0;
            assert_int_equal(tt_master_page_encode(p, &text, &len), TT_OK);
            assert_true(len < 4u << 20);
            free(text);
        }
        snprintf(cursor, sizeof cursor, "%s", p->cursor);
        tt_master_page_free(p);
    }
    assert_int_equal(seen, 4500);

    /* The since filter: two items repriced, only they come. */
    csv = items_csv(2, "2.00");
    assert_int_equal(import_ok(fx, TT_DBMASTER_ITEM, csv, 2), 2);
    free(csv);
    assert_int_equal(read_pages(fx, 1, TT_MASTER_PAGE_ROWS, &rows, &to), 1);
    assert_int_equal(rows, 2);
    assert_int_equal(to, 2);
    assert_int_equal(read_pages(fx, 2, TT_MASTER_PAGE_ROWS, &rows, &to), 1);
    assert_int_equal(rows, 0);
    assert_int_equal(read_pages(fx, 0, TT_MASTER_PAGE_ROWS, &rows, &to), 3);
    assert_int_equal(rows, 4500);
}

static void test_pages_across_tables(void **state)
{
    fx_t *fx = *state;
    char cursor[TT_MASTER_CURSOR_MAX + 1] = "", reason[160];
    tt_master_page_t *p = NULL;
    size_t rows;
    uint64_t to;

    load_all(fx);   /* 3 units, 3 warehouses, 3 items, 3 operators */
    /* Pages of 4 rows: units + 1 warehouse | 2 warehouses + 2 items | ... */
    assert_int_equal(tt_dbmaster_page(fx->db, 0, cursor, 4, &p, reason, sizeof reason), TT_OK);
    assert_int_equal(p->nunits, 3);
    assert_int_equal(p->nwarehouses, 1);
    assert_string_equal(p->cursor, "4:warehouse:CK01");
    snprintf(cursor, sizeof cursor, "%s", p->cursor);
    tt_master_page_free(p);
    assert_int_equal(tt_dbmaster_page(fx->db, 0, cursor, 4, &p, reason, sizeof reason), TT_OK);
    assert_int_equal(p->nunits, 0);
    assert_int_equal(p->nwarehouses, 2);
    assert_string_equal(p->warehouses[0].id, "CK02");
    assert_int_equal(p->nitems, 2);
    assert_string_equal(p->cursor, "4:item:BOLT-M8");
    snprintf(cursor, sizeof cursor, "%s", p->cursor);
    tt_master_page_free(p);

    /* An import between pages: the series keeps its `to`; the changed row
     * comes along (it is after the cursor) and again from `to` later. */
    assert_int_equal(
        import_ok(fx, TT_DBMASTER_ITEM,
                  ITEM_HEADER "DRILL-42,钻头,,个,equipment,1300,yes,50,200.5,6900000000035,yes\n",
                  1),
        5);
    assert_int_equal(tt_dbmaster_page(fx->db, 0, cursor, 4, &p, reason, sizeof reason), TT_OK);
    assert_int_equal(p->to, 4);
    assert_int_equal(p->nitems, 1);
    assert_string_equal(p->items[0].code, "DRILL-42");
    assert_int_equal(p->items[0].price, 130000);
    assert_int_equal(p->noperators, 3);
    assert_true(p->last);
    tt_master_page_free(p);
    assert_int_equal(read_pages(fx, 4, 4, &rows, &to), 1);
    assert_int_equal(rows, 1);
    assert_int_equal(to, 5);

    /* Pages of one row: 12 rows, 12 pages. */
    assert_int_equal(read_pages(fx, 0, 1, &rows, &to), 12);
    assert_int_equal(rows, 12);

    /* Cursors this server did not write, and bad sizes. */
    static const char *const bad[] = {"x", "4:item", "4:items:A", ":item:A", "4:unit:A B",
                                      "99999999999999999:unit:A", "4:operator:"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = (tt_master_page_t *)1;
        if (tt_dbmaster_page(fx->db, 0, bad[i], 4, &p, reason, sizeof reason) != TT_ERR_INVAL)
            fail_msg("cursor '%s' accepted", bad[i]);
        assert_null(p);
        assert_non_null(strstr(reason, "cursor"));
    }
    assert_int_equal(tt_dbmaster_page(fx->db, 0, "", 0, &p, reason, sizeof reason),
                     TT_ERR_INVAL);
    assert_int_equal(tt_dbmaster_page(fx->db, 0, "", TT_MASTER_PAGE_ROWS + 1, &p, reason,
                                      sizeof reason),
                     TT_ERR_INVAL);
}


/* --- plans and equipment ------------------------------------------------------ */

static void test_import_plans_and_equipment(void **state)
{
    fx_t *fx = *state;
    tt_master_page_t *p = NULL;
    char reason[160];
    size_t rows;
    uint64_t to;

    load_all(fx);
    assert_int_equal(import_ok(fx, TT_DBMASTER_PLAN, PLANS, 3), 5);
    assert_int_equal(fx->res->rows, 3);
    assert_int_equal(import_ok(fx, TT_DBMASTER_EQUIPMENT, EQUIPMENT, 3), 6);
    assert_int_equal(row_version(fx, TT_DBMASTER_PLAN, "P2026-0118"), 5);
    assert_int_equal(row_version(fx, TT_DBMASTER_EQUIPMENT, "P-0099"), 6);

    /* What changed since 4: the plans, then the equipment, by key. */
    assert_int_equal(tt_dbmaster_page(fx->db, 4, "", TT_MASTER_PAGE_ROWS, &p, reason,
                                      sizeof reason),
                     TT_OK);
    assert_int_equal(p->to, 6);
    assert_true(p->last);
    assert_int_equal(p->nunits + p->nwarehouses + p->nitems + p->noperators, 0);
    assert_int_equal(p->nplans, 3);
    assert_string_equal(p->plans[0].serial, "P2026-0117");
    assert_string_equal(p->plans[0].item, "6901234567892");
    assert_int_equal(p->plans[0].qty, 200000);
    assert_string_equal(p->plans[0].category, "S03");
    assert_string_equal(p->plans[0].unit, "CM1");
    assert_int_equal(p->plans[0].status, TT_PLAN_APPROVED);
    assert_int_equal(p->plans[1].qty, 1000500);
    assert_string_equal(p->plans[1].category, "");
    assert_string_equal(p->plans[1].unit, "");
    assert_int_equal(p->plans[2].status, TT_PLAN_REJECTED);
    assert_int_equal(p->nequipment, 3);
    assert_string_equal(p->equipment[0].asset, "P-0042");
    assert_string_equal(p->equipment[0].model, "乳化液泵 BRW400/31.5");
    assert_string_equal(p->equipment[0].item, "");
    assert_string_equal(p->equipment[0].giai, "06141415678");
    assert_string_equal(p->equipment[0].barcode, "");
    assert_string_equal(p->equipment[0].unit, "CM1");
    assert_true(p->equipment[0].active);
    assert_string_equal(p->equipment[1].item, "DRILL-42");
    assert_string_equal(p->equipment[1].giai, "0614141AB-12");
    assert_string_equal(p->equipment[1].barcode, "EQ-PUMP-0007");
    assert_string_equal(p->equipment[2].asset, "P-0099");
    assert_false(p->equipment[2].active);
    /* What the page says, it says on the wire too. */
    {
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(tt_master_page_encode(p, &text, &len), TT_OK);
        assert_non_null(strstr(text, "\"qty\":\"1000.5\""));
        assert_non_null(strstr(text, "\"status\":\"rejected\""));
        free(text);
    }
    tt_master_page_free(p);

    /* The same files again change nothing, not even the version. */
    assert_int_equal(import_ok(fx, TT_DBMASTER_PLAN, PLANS, 0), 6);
    assert_int_equal(import_ok(fx, TT_DBMASTER_EQUIPMENT, EQUIPMENT, 0), 6);
    assert_int_equal(read_pages(fx, 6, TT_MASTER_PAGE_ROWS, &rows, &to), 1);
    assert_int_equal(rows, 0);

    /* A plan rejected at a later step, an asset retired: changes like any
     * other, and the rows not in the file stay. */
    assert_int_equal(import_ok(fx, TT_DBMASTER_PLAN,
                               PLAN_HEADER "P2026-0117,6901234567892,200,S03,CM1,rejected\n", 1),
                     7);
    assert_int_equal(import_ok(fx, TT_DBMASTER_EQUIPMENT,
                               EQUIPMENT_HEADER "P-0042,乳化液泵 BRW400/31.5,,06141415678,,CM1,no\n",
                               1),
                     8);
    assert_int_equal(row_version(fx, TT_DBMASTER_PLAN, "P2026-0117"), 7);
    assert_int_equal(row_version(fx, TT_DBMASTER_PLAN, "P2026-0118"), 5);
    assert_int_equal(row_version(fx, TT_DBMASTER_EQUIPMENT, "P-0042"), 8);
    assert_int_equal(row_version(fx, TT_DBMASTER_EQUIPMENT, "P-0043"), 6);
    assert_int_equal(tt_dbmaster_page(fx->db, 6, "", TT_MASTER_PAGE_ROWS, &p, reason,
                                      sizeof reason),
                     TT_OK);
    assert_int_equal(p->nplans, 1);
    assert_int_equal(p->plans[0].status, TT_PLAN_REJECTED);
    assert_int_equal(p->nequipment, 1);
    assert_false(p->equipment[0].active);
    tt_master_page_free(p);
    /* An empty optional column is stored as none and read back as "". */
    assert_int_equal(import_ok(fx, TT_DBMASTER_PLAN,
                               PLAN_HEADER "P2026-0118,BOLT-M8,1000.5,,,approved\n", 0),
                     8);
}

static void test_plan_errors(void **state)
{
    fx_t *fx = *state;
    static const char *const want[] = {
        "f.csv:2: serial 'P 1': not an id (1-32 of A-Z a-z 0-9 _ . -)",
        "f.csv:3: item 'NOPE' does not exist (import it with the items first)",
        "f.csv:4: item '6900000000011' is a barcode of item 'BOLT-M8': give the item's code",
        "f.csv:5: qty '0': must be greater than zero",
        "f.csv:6: qty '1.2345': not a quantity with at most 3 decimals (12.5)",
        "f.csv:7: category '安全': not an id (1-32 of A-Z a-z 0-9 _ . -)",
        "f.csv:8: unit 'CM9' does not exist (import it with the units first)",
        "f.csv:9: status 'pending': not one of approved, rejected",
        "f.csv:10: serial 'P2' already on line 3",
        "f.csv:11: item: empty",
        "f.csv:11: qty '': not a quantity with at most 3 decimals (12.5)",
        "f.csv:12: qty '99999999999999999999': too large",
        "f.csv:13: qty '-2': must be greater than zero",
        NULL,
    };

    load_all(fx);
    import_errors(fx, TT_DBMASTER_PLAN,
                  PLAN_HEADER
                  "P 1,6901234567892,1,,,approved\n"        /* 2 */
                  "P2,NOPE,1,,,approved\n"                  /* 3 unknown item */
                  "P3,6900000000011,1,,,approved\n"         /* 4 a barcode, not the code */
                  "P4,BOLT-M8,0,,,approved\n"
                  "P5,BOLT-M8,1.2345,,,approved\n"
                  "P6,BOLT-M8,1,安全,,approved\n"
                  "P7,BOLT-M8,1,,CM9,approved\n"            /* 8 unknown unit */
                  "P8,BOLT-M8,1,,,pending\n"
                  "P2,BOLT-M8,1,,,approved\n"               /* 10 serial twice */
                  "P9,,,,,approved\n"
                  "P10,BOLT-M8,99999999999999999999,,,approved\n"
                  "P11,BOLT-M8,-2,,,approved\n"
                  "P12,BOLT-M8,0.001,S01,JD,rejected\n",  /* 14 fine */
                  want);
    assert_int_equal(fx->res->rows, 13);
    assert_int_equal(master_version(fx), 4);
    assert_false(row_exists(fx, TT_DBMASTER_PLAN, "P12"));
    import_errors(fx, TT_DBMASTER_PLAN, "serial,item,qty,unit,category,status\n",
                  (const char *const[]){"f.csv:1: header is 'serial,item,qty,unit,category,status',"
                                        " expected 'serial,item,qty,category,unit,status'",
                                        NULL});
}

static void test_equipment_errors(void **state)
{
    fx_t *fx = *state;
    static const char *const want[] = {
        "f.csv:2: asset 'E 1': not a barcode (1-64 printable ASCII characters, no spaces, '\"' "
        "or '\\')",
        "f.csv:3: model: empty",
        "f.csv:4: item 'NOPE' does not exist (import it with the items first)",
        "f.csv:5: giai '3434257BF40000000000162E': the tag's EPC, not its GIAI (which is "
        "'06141415678')",
        "f.csv:6: giai 'urn:epc:id:giai:0614141.5678': not a GIAI (7-30 characters of GS1 set 82,"
        " the company prefix's digits first)",
        "f.csv:7: unit 'CM9' does not exist (import it with the units first)",
        "f.csv:8: active 'maybe': must be yes or no",
        "f.csv:10: giai '0614141777' of asset 'E9' is also the GIAI of asset 'E8' (line 9)",
        "f.csv:11: barcode 'BC-1' of asset 'E10' is also the barcode of asset 'E8' (line 9)",
        "f.csv:12: barcode 'E8' of asset 'E11' is the number of asset 'E8' (line 9)",
        "f.csv:14: asset 'E8' already on line 9",
        NULL,
    };

    load_all(fx);
    import_errors(fx, TT_DBMASTER_EQUIPMENT,
                  EQUIPMENT_HEADER
                  "E 1,泵,,,,,yes\n"
                  "E2,,,,,,yes\n"
                  "E3,泵,NOPE,,,,yes\n"
                  "E4,泵,,3434257BF40000000000162E,,,yes\n"      /* 5 the EPC, as a reader shows it */
                  "E5,泵,,urn:epc:id:giai:0614141.5678,,,yes\n"
                  "E6,泵,,,,CM9,yes\n"
                  "E7,泵,,,,,maybe\n"
                  "E8,泵,BOLT-M8,0614141777,BC-1,JD,yes\n"       /* 9 fine */
                  "E9,泵,,0614141777,BC-2,,yes\n"                /* 10 the GIAI of line 9 */
                  "E10,泵,,,BC-1,,yes\n"                         /* 11 the barcode of line 9 */
                  "E11,泵,,,E8,,yes\n"                           /* 12 the number of line 9 */
                  "E12,泵,,,E12,,yes\n"                          /* 13 its own number: fine */
                  "E8,泵,,,,,yes\n",                             /* 14 */
                  want);
    assert_int_equal(master_version(fx), 4);
    assert_false(row_exists(fx, TT_DBMASTER_EQUIPMENT, "E8"));
}

/* An asset's barcode and GIAI against the store: held, they move only when
 * the file lists both assets, like an item's barcodes. */
static void test_equipment_claims_in_store(void **state)
{
    fx_t *fx = *state;
    char who[TT_EVENT_CODE_MAX + 1];

    load_six(fx);
    import_errors(fx, TT_DBMASTER_EQUIPMENT,
                  EQUIPMENT_HEADER "X1,泵,,,EQ-PUMP-0007,,yes\n"
                                   "X2,泵,,06141415678,,,yes\n"
                                   "X3,泵,,,P-0042,,yes\n"
                                   "EQ-OLD-1,泵,,,,,yes\n",
                  (const char *const[]){
                      "f.csv:2: barcode 'EQ-PUMP-0007' of asset 'X1' belongs to asset 'P-0043' "
                      "(stored; list that asset in this file without it to move it)",
                      "f.csv:3: giai '06141415678' of asset 'X2' belongs to asset 'P-0042' "
                      "(stored; list that asset in this file without it to move it)",
                      "f.csv:4: barcode 'P-0042' of asset 'X3' is the number of asset 'P-0042' "
                      "(stored)",
                      "f.csv:5: asset 'EQ-OLD-1' is the barcode of asset 'P-0099' (stored; list "
                      "that asset in this file without it)",
                      NULL});
    assert_int_equal(master_version(fx), 6);
    assert_false(row_exists(fx, TT_DBMASTER_EQUIPMENT, "X1"));

    /* The barcode moves to X1 with P-0043 listed without it: both change. */
    assert_int_equal(import_ok(fx, TT_DBMASTER_EQUIPMENT,
                               EQUIPMENT_HEADER
                               "X1,泵,,,EQ-PUMP-0007,,yes\n"
                               "P-0043,\"采煤机 MG300/700-WD\",DRILL-42,0614141AB-12,,XL,yes\n",
                               2),
                     7);
    assert_int_equal(tt_dbmaster_asset_barcode_owner(fx->db, "EQ-PUMP-0007", who), TT_OK);
    assert_string_equal(who, "X1");
    assert_int_equal(row_version(fx, TT_DBMASTER_EQUIPMENT, "P-0043"), 7);
    /* Two assets swap their GIAIs in one file (the unique GIAI never sees
     * two holders). */
    assert_int_equal(import_ok(fx, TT_DBMASTER_EQUIPMENT,
                               EQUIPMENT_HEADER
                               "P-0042,乳化液泵 BRW400/31.5,,0614141AB-12,,CM1,yes\n"
                               "P-0043,\"采煤机 MG300/700-WD\",DRILL-42,06141415678,,XL,yes\n",
                               2),
                     8);
    assert_int_equal(tt_dbmaster_giai_owner(fx->db, "06141415678", who), TT_OK);
    assert_string_equal(who, "P-0043");
    /* A barcode given up by one asset and taken by another, the giving one
     * listed first; a retired asset's barcode is still its own. */
    assert_int_equal(import_ok(fx, TT_DBMASTER_EQUIPMENT,
                               EQUIPMENT_HEADER "P-0099,旧水泵,,,,,no\n"
                                                "P-0100,新水泵,,,EQ-OLD-1,CM1,yes\n",
                               2),
                     9);
    assert_int_equal(tt_dbmaster_asset_barcode_owner(fx->db, "EQ-OLD-1", who), TT_OK);
    assert_string_equal(who, "P-0100");
    assert_int_equal(tt_dbmaster_giai_owner(fx->db, "0614141999", who), TT_ERR_NOTFOUND);
    assert_int_equal(tt_dbmaster_asset_exists(fx->db, "P-0100"), TT_OK);
    assert_int_equal(tt_dbmaster_asset_exists(fx->db, "EQ-OLD-1"), TT_ERR_NOTFOUND);
    assert_int_equal(tt_dbmaster_item_exists(fx->db, "BOLT-M8"), TT_OK);
    assert_int_equal(tt_dbmaster_item_exists(fx->db, "6900000000011"), TT_ERR_NOTFOUND);
}

/* The six tables page in order, the cursor names the new tables too. */
static void test_pages_with_plans_and_equipment(void **state)
{
    fx_t *fx = *state;
    char cursor[TT_MASTER_CURSOR_MAX + 1] = "", reason[160];
    tt_master_page_t *p = NULL;
    size_t rows;
    uint64_t to;

    load_six(fx);   /* 3 units, 3 warehouses, 3 items, 3 operators, 3 plans, 3 assets */
    /* Pages of 5: 3u 2w | 1w 3i 1o | 2o 3p | 3e. */
    for (int page = 0; page < 3; page++) {
        assert_int_equal(tt_dbmaster_page(fx->db, 0, cursor, 5, &p, reason, sizeof reason),
                         TT_OK);
        snprintf(cursor, sizeof cursor, "%s", p->cursor);
        if (page < 2)
            tt_master_page_free(p);
    }
    assert_int_equal(p->noperators, 2);
    assert_int_equal(p->nplans, 3);
    assert_int_equal(p->nequipment, 0);
    assert_string_equal(p->cursor, "6:plan:P2026-0119");
    tt_master_page_free(p);
    assert_int_equal(tt_dbmaster_page(fx->db, 0, cursor, 5, &p, reason, sizeof reason), TT_OK);
    assert_int_equal(p->nplans, 0);
    assert_int_equal(p->nequipment, 3);
    assert_true(p->last);
    tt_master_page_free(p);
    /* A page that ends inside the equipment. */
    assert_int_equal(tt_dbmaster_page(fx->db, 4, "", 4, &p, reason, sizeof reason), TT_OK);
    assert_int_equal(p->nplans, 3);
    assert_int_equal(p->nequipment, 1);
    assert_string_equal(p->cursor, "6:equipment:P-0042");
    snprintf(cursor, sizeof cursor, "%s", p->cursor);
    tt_master_page_free(p);
    assert_int_equal(tt_dbmaster_page(fx->db, 4, cursor, 4, &p, reason, sizeof reason), TT_OK);
    assert_int_equal(p->nequipment, 2);
    assert_string_equal(p->equipment[0].asset, "P-0043");
    assert_true(p->last);
    tt_master_page_free(p);

    assert_int_equal(read_pages(fx, 0, 1, &rows, &to), 18);
    assert_int_equal(rows, 18);
    assert_int_equal(to, 6);
    assert_int_equal(read_pages(fx, 4, 2, &rows, &to), 3);
    assert_int_equal(rows, 6);
    assert_int_equal(read_pages(fx, 5, TT_MASTER_PAGE_ROWS, &rows, &to), 1);
    assert_int_equal(rows, 3);

    /* Cursors this server did not write. */
    static const char *const bad[] = {"6:plans:P1", "6:plan:P 1", "6:plan:", "6:equipment:",
                                      "6:equipment:A B", "6:asset:P-0042"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = (tt_master_page_t *)1;
        if (tt_dbmaster_page(fx->db, 0, bad[i], 4, &p, reason, sizeof reason) != TT_ERR_INVAL)
            fail_msg("cursor '%s' accepted", bad[i]);
        assert_null(p);
    }
    /* An asset number may hold a ':' (it is a code): the cursor still reads. */
    assert_int_equal(import_ok(fx, TT_DBMASTER_EQUIPMENT,
                               EQUIPMENT_HEADER "A:1,泵,,,,,yes\nA:2,泵,,,,,yes\n", 2),
                     7);
    assert_int_equal(tt_dbmaster_page(fx->db, 6, "", 1, &p, reason, sizeof reason), TT_OK);
    assert_string_equal(p->cursor, "7:equipment:A:1");
    snprintf(cursor, sizeof cursor, "%s", p->cursor);
    tt_master_page_free(p);
    assert_int_equal(tt_dbmaster_page(fx->db, 6, cursor, 1, &p, reason, sizeof reason), TT_OK);
    assert_string_equal(p->equipment[0].asset, "A:2");
    assert_true(p->last);
    tt_master_page_free(p);
}

/* --- master requests through ingest ------------------------------------------ */

typedef struct {
    char topic[TT_EVENT_TOPIC_MAX];
    char *payload;
    size_t len;
} reply_t;

typedef struct {
    reply_t r[8];
    size_t n;
} replies_t;

static void on_reply(void *ctx, const char *topic, const char *payload, size_t len)
{
    replies_t *rs = ctx;
    reply_t *r;

    assert_true(rs->n < 8);
    r = &rs->r[rs->n++];
    snprintf(r->topic, sizeof r->topic, "%s", topic);
    r->payload = malloc(len + 1);
    assert_non_null(r->payload);
    memcpy(r->payload, payload, len);
    r->payload[len] = '\0';
    r->len = len;
}

static void free_replies(replies_t *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        free(rs->r[i].payload);
    rs->n = 0;
}

/* One ingest round of the given (topic, payload) pairs. */
static void ingest_round(tt_ingest_t *ing, const char *const *msgs, size_t n, replies_t *rs)
{
    free_replies(rs);
    assert_int_equal(tt_ingest_begin(ing), TT_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tt_ingest_message(ing, msgs[2 * i], msgs[2 * i + 1],
                                           strlen(msgs[2 * i + 1]), 1764100000000LL),
                         TT_OK);
    assert_int_equal(tt_ingest_commit(ing, on_reply, rs), TT_OK);
}

static int count_bad(void *ctx, const tt_db_badmsg_t *m)
{
    (void)m;
    (*(int *)ctx)++;
    return 0;
}

static void test_master_requests_through_ingest(void **state)
{
    fx_t *fx = *state;
    tt_ingest_conf_t conf = {.max_payload = 4u << 20, .hold_max = 100};
    tt_ingest_t *ing = NULL;
    replies_t rs = {.n = 0};
    tt_master_page_t *p = NULL;
    char reason[160] = "";
    int bad = 0;

    load_all(fx);
    assert_int_equal(tt_ingest_new(&conf, fx->db, NULL, &ing), TT_OK);

    /* A request is answered on the terminal's master topic after commit;
     * the same request twice in a round is answered once. */
    ingest_round(ing,
                 (const char *const[]){"tt/v1/t/T01/master-req", "{\"v\":1,\"since\":0,\"cursor\":\"\"}",
                                       "tt/v1/t/T01/master-req", "{\"v\":1,\"since\":0,\"cursor\":\"\"}",
                                       "tt/v1/t/T02/master-req", "{\"v\":1,\"since\":3,\"cursor\":\"\"}"},
                 3, &rs);
    assert_int_equal(rs.n, 2);
    assert_string_equal(rs.r[0].topic, "tt/v1/t/T01/master");
    assert_int_equal(tt_master_page_decode(rs.r[0].payload, rs.r[0].len, &p, reason,
                                           sizeof reason),
                     TT_OK);
    assert_int_equal(p->to, 4);
    assert_true(p->last);
    assert_int_equal(p->nunits + p->nwarehouses + p->nitems + p->noperators, 12);
    assert_string_equal(p->items[1].name, "螺栓 \"M8\"");
    tt_master_page_free(p);
    assert_string_equal(rs.r[1].topic, "tt/v1/t/T02/master");
    assert_int_equal(tt_master_page_decode(rs.r[1].payload, rs.r[1].len, &p, reason,
                                           sizeof reason),
                     TT_OK);
    assert_int_equal(p->since, 3);
    assert_int_equal(p->noperators, 3);
    assert_int_equal(p->nunits + p->nwarehouses + p->nitems, 0);
    tt_master_page_free(p);

    /* Malformed requests and foreign cursors are kept as bad messages and
     * not answered. */
    ingest_round(ing,
                 (const char *const[]){"tt/v1/t/T01/master-req", "{\"v\":1,\"since\":0}",
                                       "tt/v1/t/T01/master-req", "{\"v\":2,\"since\":0,\"cursor\":\"\"}",
                                       "tt/v1/t/T01/master-req", "{\"v\":1,\"since\":0,\"cursor\":\"9:x:y\"}"},
                 3, &rs);
    assert_int_equal(rs.n, 0);
    assert_int_equal(tt_db_badmsgs_each(fx->db, "T01", 10, count_bad, &bad), TT_OK);
    assert_int_equal(bad, 3);
    free_replies(&rs);
    tt_ingest_free(ing);

    /* A small max_payload: pages shrink to fit, and the series is whole. */
    {
        char *csv = items_csv(300, "1.00");
        char req[160], cursor[TT_MASTER_CURSOR_MAX + 1] = "";
        size_t items = 0, pages = 0;
        conf.max_payload = 8192;
        assert_int_equal(import_ok(fx, TT_DBMASTER_ITEM, csv, 300), 5);
        free(csv);
        assert_int_equal(tt_ingest_new(&conf, fx->db, NULL, &ing), TT_OK);
        for (;;) {
            size_t len;
            assert_int_equal(tt_master_req_encode(4, cursor, req, sizeof req, &len), TT_OK);
            ingest_round(ing, (const char *const[]){"tt/v1/t/T03/master-req", req}, 1, &rs);
            assert_int_equal(rs.n, 1);
            assert_true(rs.r[0].len <= 8192);
            assert_int_equal(tt_master_page_decode(rs.r[0].payload, rs.r[0].len, &p, reason,
                                                   sizeof reason),
                             TT_OK);
            assert_int_equal(p->to, 5);
            items += p->nitems;
            pages++;
            snprintf(cursor, sizeof cursor, "%s", p->cursor);
            if (p->last) {
                tt_master_page_free(p);
                break;
            }
            tt_master_page_free(p);
            assert_true(pages < 300);
        }
        assert_int_equal(items, 300);
        assert_true(pages > 5);
        free_replies(&rs);
        tt_ingest_free(ing);
    }
}

/* --- files and progress --------------------------------------------------------- */

typedef struct {
    size_t calls, last_done, last_total;
} progress_t;

static void on_progress(void *ctx, size_t done, size_t total)
{
    progress_t *pr = ctx;
    assert_true(done <= total);
    assert_true(done >= pr->last_done);
    pr->calls++;
    pr->last_done = done;
    pr->last_total = total;
}

static void test_import_file_and_progress(void **state)
{
    fx_t *fx = *state;
    char path[160];
    char *csv = items_csv(1000, "3.50");
    progress_t pr = {0, 0, 0};
    FILE *f;

    snprintf(path, sizeof path, "%s/items.csv", fx->dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs(csv, f);
    fclose(f);
    free(csv);
    assert_int_equal(tt_import_file(fx->db, TT_DBMASTER_ITEM, path, on_progress, &pr, fx->res),
                     TT_OK);
    assert_int_equal(fx->res->rows, 1000);
    assert_int_equal(fx->res->changed, 1000);
    assert_true(pr.calls >= 2);
    assert_int_equal(pr.last_done, 1000);
    assert_int_equal(pr.last_total, 1000);
    unlink(path);

    assert_int_equal(tt_import_file(fx->db, TT_DBMASTER_ITEM, path, NULL, NULL, fx->res),
                     TT_ERR_IO);
    assert_int_equal(fx->res->nerrors, 1);
    assert_non_null(strstr(fx->res->errors[0], "items.csv: No such file"));
    assert_int_equal(tt_import_text(fx->db, (tt_dbmaster_table_t)9, "f", "", 0, NULL, NULL,
                                    fx->res),
                     TT_ERR_INVAL);
    assert_int_equal(tt_import_kind_parse("items"), TT_DBMASTER_ITEM);
    assert_int_equal(tt_import_kind_parse("item"), 0);
    assert_string_equal(tt_import_kind_name(TT_DBMASTER_OPERATOR), "operators");
    assert_int_equal(tt_import_kind_parse("plans"), TT_DBMASTER_PLAN);
    assert_int_equal(tt_import_kind_parse("equipment"), TT_DBMASTER_EQUIPMENT);
    assert_string_equal(tt_import_kind_name(TT_DBMASTER_EQUIPMENT), "equipment");
    assert_null(tt_import_kind_name((tt_dbmaster_table_t)(TT_DBMASTER_LAST + 1)));
}

/* Master rows are never deleted, even by hand through SQL. */
static void test_rows_never_deleted(void **state)
{
    fx_t *fx = *state;
    static const char one[] = "id,name,kind\nNEW,新单位,department\n";
    tt_db_t *other = NULL;
    sqlite3 *raw = NULL;
    char err[256];

    import_ok(fx, TT_DBMASTER_UNIT, UNITS, 3);
    assert_int_equal(sqlite3_open_v2(fx->path, &raw, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(raw, 5000);
    assert_int_not_equal(sqlite3_exec(raw, "DELETE FROM unit WHERE id = 'CM1'", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_non_null(strstr(sqlite3_errmsg(raw), "never deleted"));
    sqlite3_close(raw);
    import_ok(fx, TT_DBMASTER_ITEM, ITEMS, 3);
    import_ok(fx, TT_DBMASTER_PLAN, PLANS, 3);
    import_ok(fx, TT_DBMASTER_EQUIPMENT, EQUIPMENT, 3);
    assert_int_equal(sqlite3_open_v2(fx->path, &raw, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(raw, 5000);
    assert_int_not_equal(sqlite3_exec(raw, "DELETE FROM plan", NULL, NULL, NULL), SQLITE_OK);
    assert_non_null(strstr(sqlite3_errmsg(raw), "never deleted"));
    assert_int_not_equal(sqlite3_exec(raw, "DELETE FROM equipment", NULL, NULL, NULL), SQLITE_OK);
    assert_non_null(strstr(sqlite3_errmsg(raw), "never deleted"));
    sqlite3_close(raw);
    /* A second writer (the import tool beside a server) sees the same data
     * and may import while the first is open. */
    assert_int_equal(tt_db_open_tool(fx->path, &other, err, sizeof err), TT_OK);
    assert_int_equal(tt_import_text(other, TT_DBMASTER_UNIT, "g.csv", one, sizeof one - 1, NULL,
                                    NULL, fx->res),
                     TT_OK);
    assert_int_equal(fx->res->version, 5);
    tt_db_close(other);
    assert_int_equal(master_version(fx), 5);
    assert_true(row_exists(fx, TT_DBMASTER_UNIT, "NEW"));
    /* The file without CM1: CM1 stays. */
    assert_true(row_exists(fx, TT_DBMASTER_UNIT, "CM1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_import_each_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identical_reimport_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_row_gets_new_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_reported_by_line_nothing_imported, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_item_field_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warehouse_unit_must_exist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_barcode_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_barcode_moves_and_drops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_badge_conflicts_and_moves, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_of_4500_items, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_across_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_plans_and_equipment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_equipment_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_equipment_claims_in_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pages_with_plans_and_equipment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_master_requests_through_ingest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_file_and_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rows_never_deleted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
