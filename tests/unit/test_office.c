/*
 * Unit tests of server/office: office documents as JSON, decoded strictly
 * and posted to the ledger whole or not at all.  Each test has its own
 * database (created by tt_db_open, master data put directly) and an office
 * handle on the same file, as the HTTP server has.
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
#include "dbmaster.h"
#include "office.h"

#define NOW 1764100000000LL   /* 2025-11-25 in Asia/Shanghai */

typedef struct {
    char dir[64];
    char path[128];
    tt_db_t *db;
    tt_office_t *office;
} fx_t;

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    char err[256] = "";
    tt_master_unit_t u = {.kind = TT_UNIT_WORK_AREA};
    tt_master_warehouse_t w = {.kind = TT_WAREHOUSE_CENTRAL};
    tt_dbmaster_item_t it;

    if (!fx)
        return -1;
    setenv("TZ", "Asia/Shanghai", 1);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_office_XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/server.db", fx->dir);
    if (tt_db_open(fx->path, 0, &fx->db, err, sizeof err) != TT_OK)
        return -1;
    snprintf(u.id, sizeof u.id, "A1");
    snprintf(u.name, sizeof u.name, "采煤一区");
    snprintf(w.id, sizeof w.id, "W01");
    snprintf(w.name, sizeof w.name, "中心库");
    memset(&it, 0, sizeof it);
    snprintf(it.item.code, sizeof it.item.code, "BOLT");
    snprintf(it.item.name, sizeof it.item.name, "锚杆");
    snprintf(it.item.spec, sizeof it.item.spec, "M20");
    snprintf(it.item.uom, sizeof it.item.uom, "根");
    it.item.category = TT_ITEM_MATERIAL;
    it.item.price = 5000;
    it.item.active = 1;
    if (tt_db_begin(fx->db) != TT_OK || tt_dbmaster_put_unit(fx->db, &u, 1, NULL) != TT_OK ||
        tt_dbmaster_put_warehouse(fx->db, &w, 1, NULL) != TT_OK ||
        tt_dbmaster_put_item(fx->db, &it, 1, NULL) != TT_OK ||
        tt_dbmaster_set_version(fx->db, 1) != TT_OK || tt_db_commit(fx->db) != TT_OK)
        return -1;
    if (tt_office_open(fx->path, &fx->office, err, sizeof err) != TT_OK)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    char cmd[160];
    tt_office_close(fx->office);
    tt_db_close(fx->db);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0)
        return -1;
    free(fx);
    return 0;
}

/* Posts `json` to `route`; returns the status, the reply in reply[cap]. */
static int post(fx_t *fx, const char *route, const char *json, char *reply, size_t cap)
{
    char *r = NULL;
    int status = 0;
    assert_int_equal(tt_office_post(fx->office, route, json, strlen(json), NOW, &status, &r),
                     TT_OK);
    assert_non_null(r);
    snprintf(reply, cap, "%s", r);
    free(r);
    return status;
}

static int stock_row(void *ctx, const char *warehouse, const char *item, tt_qty_t qty)
{
    (void)warehouse;
    (void)item;
    *(tt_qty_t *)ctx += qty;
    return 0;
}

static tt_qty_t stock(fx_t *fx)
{
    tt_qty_t q = 0;
    assert_int_equal(tt_db_stock_each(fx->db, "W01", "BOLT", stock_row, &q), TT_OK);
    return q;
}

#define RECEIPT_10 \
    "{\"kind\":\"receipt\",\"doc\":\"RK-1\",\"day\":\"2025-11-25\",\"operator\":\"li4\"," \
    "\"lines\":[{\"warehouse\":\"W01\",\"item\":\"BOLT\",\"qty\":\"10\",\"value\":\"1000.00\"}]}"

static void test_receipt_and_issue(void **state)
{
    fx_t *fx = *state;
    char reply[512];

    assert_int_equal(post(fx, "/api/v1/documents", RECEIPT_10, reply, sizeof reply), 201);
    assert_non_null(strstr(reply, "\"doc\":\"RK-1\""));
    assert_int_equal(stock(fx), 10000);
    assert_int_equal(post(fx, "/api/v1/documents",
                          "{\"kind\":\"issue\",\"day\":\"2025-11-25\",\"operator\":\"li4\","
                          "\"lines\":[{\"warehouse\":\"W01\",\"item\":\"BOLT\",\"qty\":\"2.5\","
                          "\"unit\":\"A1\"}]}",
                          reply, sizeof reply),
                     201);
    assert_int_equal(stock(fx), 7500);
    /* Beyond stock: refused with the shortfall, nothing written. */
    assert_int_equal(post(fx, "/api/v1/documents",
                          "{\"kind\":\"issue\",\"day\":\"2025-11-25\",\"operator\":\"li4\","
                          "\"lines\":[{\"warehouse\":\"W01\",\"item\":\"BOLT\",\"qty\":\"8\","
                          "\"unit\":\"A1\"}]}",
                          reply, sizeof reply),
                     409);
    assert_non_null(strstr(reply, "0.5"));
    assert_int_equal(stock(fx), 7500);
}

static void test_strict_fields(void **state)
{
    fx_t *fx = *state;
    char reply[512];

    assert_int_equal(post(fx, "/api/v1/documents",
                          "{\"kind\":\"receipt\",\"day\":\"2025-11-25\",\"operator\":\"li4\","
                          "\"lines\":[{\"warehouse\":\"W01\",\"item\":\"BOLT\",\"qty\":\"1\","
                          "\"value\":\"1.00\",\"colour\":\"red\"}]}",
                          reply, sizeof reply),
                     400);
    assert_non_null(strstr(reply, "lines[1]"));
    assert_non_null(strstr(reply, "colour"));
    /* A JSON number is not a quantity. */
    assert_int_equal(post(fx, "/api/v1/documents",
                          "{\"kind\":\"receipt\",\"day\":\"2025-11-25\",\"operator\":\"li4\","
                          "\"lines\":[{\"warehouse\":\"W01\",\"item\":\"BOLT\",\"qty\":1,"
                          "\"value\":\"1.00\"}]}",
                          reply, sizeof reply),
                     400);
    assert_non_null(strstr(reply, "qty"));
    /* Money with three decimals. */
    assert_int_equal(post(fx, "/api/v1/documents",
                          "{\"kind\":\"receipt\",\"day\":\"2025-11-25\",\"operator\":\"li4\","
                          "\"lines\":[{\"warehouse\":\"W01\",\"item\":\"BOLT\",\"qty\":\"1\","
                          "\"value\":\"1.005\"}]}",
                          reply, sizeof reply),
                     400);
    assert_non_null(strstr(reply, "value"));
    /* A consumed material takes only warehouse, item and qty. */
    assert_int_equal(post(fx, "/api/v1/documents",
                          "{\"kind\":\"receipt\",\"day\":\"2025-11-25\",\"operator\":\"li4\","
                          "\"lines\":[{\"warehouse\":\"W01\",\"item\":\"BOLT\",\"qty\":\"1\","
                          "\"source\":\"processed\",\"ref\":\"YS-1\",\"labour\":\"1.00\","
                          "\"material\":\"0.00\",\"consume\":[{\"warehouse\":\"W01\","
                          "\"item\":\"BOLT\",\"qty\":\"1\",\"unit\":\"A1\"}]}]}",
                          reply, sizeof reply),
                     400);
    assert_non_null(strstr(reply, "consume[1]"));
    assert_int_equal(post(fx, "/api/v1/documents", "{\"kind\":\"gift\"}", reply, sizeof reply),
                     400);
    assert_int_equal(post(fx, "/api/v1/documents", "not json", reply, sizeof reply), 400);
    assert_int_equal(post(fx, "/api/v1/documents", "[1]", reply, sizeof reply), 400);
    assert_int_equal(post(fx, "/api/v1/nowhere", "{}", reply, sizeof reply), 404);
    assert_int_equal(stock(fx), 0);
}

/* A bad second line refuses the whole document: the first is not applied. */
static void test_all_or_nothing(void **state)
{
    fx_t *fx = *state;
    char reply[512];

    assert_int_equal(post(fx, "/api/v1/documents",
                          "{\"kind\":\"receipt\",\"day\":\"2025-11-25\",\"operator\":\"li4\","
                          "\"lines\":[{\"warehouse\":\"W01\",\"item\":\"BOLT\",\"qty\":\"4\","
                          "\"value\":\"200.00\"},{\"warehouse\":\"W01\",\"item\":\"NOSUCH\","
                          "\"qty\":\"1\",\"value\":\"1.00\"}]}",
                          reply, sizeof reply),
                     400);
    assert_non_null(strstr(reply, "NOSUCH"));
    assert_int_equal(stock(fx), 0);
}

static void test_closed_period(void **state)
{
    fx_t *fx = *state;
    char reply[512];

    assert_int_equal(post(fx, "/api/v1/periods/close", "{\"month\":\"2025-10\",\"by\":\"li4\"}",
                          reply, sizeof reply),
                     201);
    assert_int_equal(post(fx, "/api/v1/periods/close", "{\"month\":\"2025-10\",\"by\":\"li4\"}",
                          reply, sizeof reply),
                     409);
    assert_int_equal(post(fx, "/api/v1/periods/close", "{\"month\":\"2025-10\"}", reply,
                          sizeof reply),
                     400);
    assert_int_equal(post(fx, "/api/v1/documents",
                          "{\"kind\":\"receipt\",\"day\":\"2025-10-31\",\"operator\":\"li4\","
                          "\"lines\":[{\"warehouse\":\"W01\",\"item\":\"BOLT\",\"qty\":\"1\","
                          "\"value\":\"1.00\"}]}",
                          reply, sizeof reply),
                     409);
    assert_int_equal(stock(fx), 0);
    assert_int_equal(post(fx, "/api/v1/documents", RECEIPT_10, reply, sizeof reply), 201);
    assert_int_equal(stock(fx), 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_receipt_and_issue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strict_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_closed_period, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
