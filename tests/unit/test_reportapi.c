/*
 * Unit tests of server/reportapi: the report routes without a socket.
 * Parameters refused with 400 and the parameter named; JSON with money and
 * quantities as decimal strings, totals and the paging cursor; CSV and XLSX
 * downloads with their content type, file name, headers in either language
 * and totals row (none when the download was cut at its limit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "db.h"
#include "import.h"
#include "ledger.h"
#include "reportapi.h"

typedef struct {
    char dir[64];
    char path[128];
    tt_db_t *db;
    tt_reportapi_reply_t rep;
} fx_t;

static const char *const MASTER[] = {
    "id,name,kind\nCM1,采煤一区,work_area\n",
    "id,name,kind,unit\nW01,中心仓库,central,\n",
    "code,name,spec,uom,category,price,return_old,reward,penalty,barcodes,active\n"
    "BOOT,矿工靴,42,双,material,100.00,no,0,0,,yes\n",
    "serial,item,qty,category,unit,status\nP1,BOOT,10,S06,CM1,approved\n",
};

/* R1 10 @ 100.00 (S06), R2 10 @ 120.00, issue 15 to CM1 on 2026-10-05. */
static tt_err_t fill(tt_db_t *db)
{
    tt_ledger_t *l;
    tt_ledger_line_t ln[3];
    tt_ledger_doc_t d;
    char reason[256];
    tt_err_t rc;

    if ((rc = tt_ledger_open(db, &l)) != TT_OK)
        return rc;
    memset(ln, 0, sizeof ln);
    for (int i = 0; i < 3; i++) {
        ln[i].kind = i < 2 ? TT_LEDGER_RECEIPT : TT_LEDGER_ISSUE;
        ln[i].source = TT_LEDGER_PURCHASE;
        snprintf(ln[i].warehouse, sizeof ln[i].warehouse, "W01");
        snprintf(ln[i].item, sizeof ln[i].item, "BOOT");
        ln[i].qty = i < 2 ? 10000 : 15000;
        ln[i].has_value = i < 2;
        ln[i].value = i == 0 ? 100000 : i == 1 ? 120000 : 0;
    }
    snprintf(ln[0].plan_serial, sizeof ln[0].plan_serial, "P1");
    snprintf(ln[2].unit, sizeof ln[2].unit, "CM1");
    rc = tt_db_begin(db);
    for (int i = 0; i < 3 && rc == TT_OK; i++) {
        memset(&d, 0, sizeof d);
        snprintf(d.doc, sizeof d.doc, "%s", i == 0 ? "R1" : i == 1 ? "R2" : "I1");
        snprintf(d.day, sizeof d.day, "2026-10-0%d", i + 2);
        snprintf(d.operator_id, sizeof d.operator_id, "li4");
        d.lines = &ln[i];
        d.nlines = 1;
        rc = tt_ledger_post(l, &d, 1795000000000, NULL, reason, sizeof reason);
        if (rc != TT_OK)
            fprintf(stderr, "fill: %s: %s\n", d.doc, reason);
    }
    if (rc == TT_OK)
        rc = tt_db_commit(db);
    tt_ledger_close(l);
    return rc;
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    tt_import_result_t *res = calloc(1, sizeof *res);
    char err[256] = "";

    if (!fx || !res)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_repapi_XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/server.db", fx->dir);
    if (tt_db_open(fx->path, 0, &fx->db, err, sizeof err) != TT_OK)
        return -1;
    for (int k = 0; k < 4; k++)
        if (tt_import_text(fx->db, (tt_dbmaster_table_t)(TT_DBMASTER_UNIT + (k < 3 ? k : 4)),
                           "m.csv", MASTER[k], strlen(MASTER[k]), NULL, NULL, res) != TT_OK) {
            fprintf(stderr, "import: %s\n", res->nerrors ? res->errors[0] : "?");
            return -1;
        }
    free(res);
    if (fill(fx->db) != TT_OK)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    fx_t *fx = *state;
    char p[160];

    free(fx->rep.body);
    tt_db_close(fx->db);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", fx->path, suffixes[i]);
        unlink(p);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* GETs `path` with "k=v" words (NULL-ended); the reply is in fx->rep. */
#define GET(fx, path, ...) get((fx), (path), (const char *[]){__VA_ARGS__, NULL})

static unsigned get(fx_t *fx, const char *path, const char **kv)
{
    tt_reportapi_param_t p[40];
    char keys[40][32];
    size_t n = 0;

    for (; kv[n]; n++) {
        const char *eq = strchr(kv[n], '=');
        assert_non_null(eq);
        snprintf(keys[n], sizeof keys[n], "%.*s", (int)(eq - kv[n]), kv[n]);
        p[n].key = keys[n];
        p[n].value = eq + 1;
    }
    free(fx->rep.body);
    assert_int_equal(tt_reportapi_get(fx->db, path, p, n, fx->dir, &fx->rep), TT_OK);
    /* The body is len bytes; NUL-terminated here so the tests can search it. */
    fx->rep.body = realloc(fx->rep.body, fx->rep.len + 1);
    assert_non_null(fx->rep.body);
    fx->rep.body[fx->rep.len] = '\0';
    return fx->rep.status;
}

/* The reply's error message (a static copy). */
static const char *error_of(fx_t *fx)
{
    static char msg[256];
    cJSON *o = cJSON_ParseWithLength(fx->rep.body, fx->rep.len);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    assert_true(cJSON_IsString(e));
    snprintf(msg, sizeof msg, "%s", e->valuestring);
    cJSON_Delete(o);
    return msg;
}

static void expect_400(fx_t *fx, const char *path, const char **kv, const char *part)
{
    assert_int_equal(get(fx, path, kv), 400);
    if (!strstr(error_of(fx), part))
        fail_msg("%s: error '%s' does not mention '%s'", path, error_of(fx), part);
}

static void test_bad_parameters(void **state)
{
    fx_t *fx = *state;
    const char *issues = "/api/v1/ledger/issues", *safety = "/api/v1/reports/safety";

    expect_400(fx, issues, (const char *[]){"itme=BOOT", NULL}, "itme");
    expect_400(fx, issues, (const char *[]){"item=BOOT", "item=BOOT", NULL}, "twice");
    expect_400(fx, issues, (const char *[]){"item=", NULL}, "empty");
    expect_400(fx, issues, (const char *[]){"from=2026-02-30", NULL}, "from");
    expect_400(fx, issues, (const char *[]){"from=2026-10-09", "to=2026-10-01", NULL}, "after");
    expect_400(fx, issues, (const char *[]){"unit=XX9", NULL}, "unknown unit 'XX9'");
    expect_400(fx, issues, (const char *[]){"item=NOPE", NULL}, "unknown item");
    expect_400(fx, issues, (const char *[]){"category=S99", NULL}, "unknown category");
    expect_400(fx, issues, (const char *[]){"limit=501", NULL}, "limit");
    expect_400(fx, issues, (const char *[]){"limit=0", NULL}, "limit");
    expect_400(fx, issues, (const char *[]){"after=2026-10-05", NULL}, "after");
    expect_400(fx, issues, (const char *[]){"format=pdf", NULL}, "format");
    expect_400(fx, issues, (const char *[]){"month=2026-10", NULL}, "month");   /* not here */
    expect_400(fx, safety, (const char *[]){"lang=fr", "month=2026-10", NULL}, "lang");
    expect_400(fx, safety, (const char *[]){"from=2026-10", NULL}, "month, or from and to");
    expect_400(fx, safety, (const char *[]){"month=2026-10", "to=2026-11", NULL}, "not both");
    expect_400(fx, safety, (const char *[]){"month=2026-10-01", NULL}, "month");
    expect_400(fx, safety, (const char *[]){"month=2026-10", "category=none", NULL}, "none");
    expect_400(fx, "/api/v1/reports/safety/detail", (const char *[]){"month=2026-10", NULL},
               "part is required");
    expect_400(fx, "/api/v1/stock/lots", (const char *[]){"item=BOOT", NULL},
               "warehouse is required");
    expect_400(fx, "/api/v1/exceptions", (const char *[]){"state=closed", NULL}, "state");
    expect_400(fx, "/api/v1/ledger/stats", (const char *[]){"group=month,month", NULL}, "group");
    assert_int_equal(get(fx, "/api/v1/reports/nothing", (const char *[]){NULL}), 404);
}

static void test_json(void **state)
{
    fx_t *fx = *state;
    cJSON *o;
    const cJSON *rows, *totals, *r0, *cols;

    assert_int_equal(GET(fx, "/api/v1/ledger/issues", "unit=CM1", "limit=1"), 200);
    assert_string_equal(fx->rep.content_type, "application/json; charset=utf-8");
    assert_string_equal(fx->rep.filename, "");
    o = cJSON_ParseWithLength(fx->rep.body, fx->rep.len);
    assert_non_null(o);
    rows = cJSON_GetObjectItemCaseSensitive(o, "rows");
    assert_int_equal(cJSON_GetArraySize(rows), 1);
    r0 = cJSON_GetArrayItem(rows, 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(r0, "value")->valuestring, "1000.00");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(r0, "qty")->valuestring, "10");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(r0, "category")->valuestring, "S06");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r0, "reverses")));
    totals = cJSON_GetObjectItemCaseSensitive(o, "totals");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(totals, "value")->valuestring,
                        "1600.00");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(totals, "qty")->valuestring, "15");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "report")->valuestring, "issues");
    cols = cJSON_GetObjectItemCaseSensitive(o, "columns");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cols, 0), "zh")
                            ->valuestring,
                        "日期");
    /* The cursor reads on: the second and last line. */
    {
        char after[120];
        snprintf(after, sizeof after, "after=%s",
                 cJSON_GetObjectItemCaseSensitive(o, "next")->valuestring);
        cJSON_Delete(o);
        assert_int_equal(GET(fx, "/api/v1/ledger/issues", after), 200);
    }
    o = cJSON_ParseWithLength(fx->rep.body, fx->rep.len);
    rows = cJSON_GetObjectItemCaseSensitive(o, "rows");
    assert_int_equal(cJSON_GetArraySize(rows), 1);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rows, 0), "value")
                            ->valuestring,
                        "600.00");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "next")));
    cJSON_Delete(o);

    assert_int_equal(GET(fx, "/api/v1/reports/safety", "month=2026-10"), 200);
    assert_non_null(strstr(fx->rep.body, "\"value_a\":\"1000.00\",\"value_b\":\"0.00\""));
    assert_int_equal(GET(fx, "/api/v1/ledger/stats", "group=unit,category"), 200);
    assert_non_null(strstr(fx->rep.body, "\"unit\":\"CM1\",\"unit_name\":\"采煤一区\","
                                         "\"category\":\"S06\",\"marked\":0,\"qty\":\"10\""));
}

static void test_downloads(void **state)
{
    fx_t *fx = *state;
    static const char bom[] = "\xEF\xBB\xBF";

    assert_int_equal(GET(fx, "/api/v1/reports/safety", "month=2026-10", "format=csv"), 200);
    assert_string_equal(fx->rep.content_type, "text/csv; charset=utf-8");
    assert_string_equal(fx->rep.filename, "safety-2026-10.csv");
    assert_memory_equal(fx->rep.body, bom, 3);
    assert_int_equal(fx->rep.len,
                     strlen("\xEF\xBB\xBF月份,安全费用类别,类别名称,(a) 安全入库物资发出金额,"
                            "(b) 非安全入库、标记安全使用金额,合计金额\r\n"
                            "2026-10,S06,安全防护用品,1000.00,0.00,1000.00\r\n"
                            "合计,,,1000.00,0.00,1000.00\r\n"));
    assert_memory_equal(fx->rep.body,
                        "\xEF\xBB\xBF月份,安全费用类别,类别名称,(a) 安全入库物资发出金额,"
                        "(b) 非安全入库、标记安全使用金额,合计金额\r\n"
                        "2026-10,S06,安全防护用品,1000.00,0.00,1000.00\r\n"
                        "合计,,,1000.00,0.00,1000.00\r\n",
                        fx->rep.len);

    assert_int_equal(GET(fx, "/api/v1/reports/safety", "from=2026-09", "to=2026-10",
                         "format=csv", "lang=en"),
                     200);
    assert_string_equal(fx->rep.filename, "safety-2026-09_2026-10.csv");
    assert_non_null(strstr(fx->rep.body, "month,safety category,category name,"));
    assert_non_null(strstr(fx->rep.body, "personal protective equipment"));
    assert_non_null(strstr(fx->rep.body, "\r\nTotal,,,1000.00,0.00,1000.00\r\n"));

    /* A download cut at its limit says where to go on, with no totals row. */
    assert_int_equal(GET(fx, "/api/v1/ledger/issues", "format=csv", "limit=1"), 200);
    assert_string_equal(fx->rep.filename, "issues.csv");
    assert_true(fx->rep.next[0] != '\0');
    assert_null(strstr(fx->rep.body, "合计"));
    assert_non_null(strstr(fx->rep.body, ",出库,"));
    assert_int_equal(GET(fx, "/api/v1/ledger/issues", "format=csv"), 200);
    assert_string_equal(fx->rep.next, "");
    assert_non_null(strstr(fx->rep.body, "合计"));

    assert_int_equal(GET(fx, "/api/v1/reports/assessment", "month=2026-10", "format=xlsx"), 200);
    assert_string_equal(fx->rep.content_type,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert_string_equal(fx->rep.filename, "assessment-2026-10.xlsx");
    assert_memory_equal(fx->rep.body, "PK\x03\x04", 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_parameters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_downloads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
