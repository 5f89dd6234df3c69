/*
 * Unit tests of shared/master: kinds, texts, GIAIs, and the master-data wire
 * codec (requests and pages of all six kinds).
 *
 * Like the event decoder, the page decoder faces the network: most tests
 * take one valid page and break one thing in it, expecting the documented
 * code and a reason that names the field.  JSON is written with ' for " so
 * it stays readable; q() swaps them back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "master.h"

/* Returns a malloc'd copy of s with every ' turned into ". */
static char *q(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);

    assert_non_null(out);
    for (size_t i = 0; i <= n; i++)
        out[i] = s[i] == '\'' ? '"' : s[i];
    return out;
}

/* Returns a malloc'd copy of s with its first `from` replaced by `to` (both
 * in ' notation); fails the test when `from` is not there. */
static char *subst(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    size_t n = strlen(s), nf = strlen(from), nt = strlen(to);
    char *out, *res;

    if (!at)
        fail_msg("'%s' not in the template", from);
    out = malloc(n - nf + nt + 1);
    assert_non_null(out);
    memcpy(out, s, (size_t)(at - s));
    memcpy(out + (at - s), to, nt);
    memcpy(out + (at - s) + nt, at + nf, n - (size_t)(at - s) - nf + 1);
    res = q(out);
    free(out);
    return res;
}

/* In a table of broken pages: this change is fine, the page decodes. */
#define ACCEPTED ((tt_err_t)1)

static const char *const PAGE =
    "{'v':1,'since':12,'to':15,'cursor':'15:item:6901234567892','last':false,"
    "'units':[{'id':'CM1','name':'采煤一区','kind':'work_area'}],"
    "'warehouses':[{'id':'CK01','name':'中心仓库','kind':'central','unit':''}],"
    "'items':[{'code':'6901234567892','name':'锚杆','spec':'Φ20×2200','uom':'根',"
    "'category':'material','price':'12.50','active':true,'barcodes':['6901234567892']}],"
    "'operators':[{'id':'zhang3','name':'张三','role':'storekeeper','unit':'',"
    "'badge':'B0001','active':true}],"
    "'plans':[{'serial':'P2026-0117','item':'6901234567892','qty':'200.5','category':'AQ-03',"
    "'unit':'CM1','status':'approved'}],"
    "'equipment':[{'asset':'P-0042','model':'乳化液泵','item':'','giai':'06141415678',"
    "'barcode':'EQ-0042','unit':'CM1','active':true}]}";

/* --- kinds and texts ------------------------------------------------------- */

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(tt_master_unit_kind_name(TT_UNIT_WORK_AREA), "work_area");
    assert_string_equal(tt_master_unit_kind_name(TT_UNIT_SHOP), "shop");
    assert_null(tt_master_unit_kind_name((tt_unit_kind_t)0));
    assert_null(tt_master_unit_kind_name((tt_unit_kind_t)4));
    assert_int_equal(tt_master_unit_kind_parse("department"), TT_UNIT_DEPARTMENT);
    assert_int_equal(tt_master_unit_kind_parse("Department"), 0);
    assert_int_equal(tt_master_unit_kind_parse(""), 0);
    assert_int_equal(tt_master_unit_kind_parse(NULL), 0);

    assert_string_equal(tt_master_warehouse_kind_name(TT_WAREHOUSE_RECYCLING), "recycling");
    assert_int_equal(tt_master_warehouse_kind_parse("work_area"), TT_WAREHOUSE_WORK_AREA);
    assert_int_equal(tt_master_warehouse_kind_parse("shop"), 0);
    assert_null(tt_master_warehouse_kind_name((tt_warehouse_kind_t)9));

    for (int c = TT_ITEM_EQUIPMENT; c <= TT_ITEM_MEDICINE; c++)
        assert_int_equal(tt_master_category_parse(tt_master_category_name((tt_item_category_t)c)),
                         c);
    assert_int_equal(tt_master_category_parse("medicine"), TT_ITEM_MEDICINE);
    assert_int_equal(tt_master_category_parse("food"), 0);
    assert_null(tt_master_category_name((tt_item_category_t)7));

    assert_string_equal(tt_master_plan_status_name(TT_PLAN_APPROVED), "approved");
    assert_string_equal(tt_master_plan_status_name(TT_PLAN_REJECTED), "rejected");
    assert_null(tt_master_plan_status_name((tt_plan_status_t)0));
    assert_null(tt_master_plan_status_name((tt_plan_status_t)3));
    assert_int_equal(tt_master_plan_status_parse("rejected"), TT_PLAN_REJECTED);
    assert_int_equal(tt_master_plan_status_parse("Approved"), 0);
    assert_int_equal(tt_master_plan_status_parse("pending"), 0);
    assert_int_equal(tt_master_plan_status_parse(NULL), 0);
}

static void test_giai_valid(void **state)
{
    (void)state;
    /* As tt_epc_decode gives them: GIAI-96 (digits), GIAI-202 (set 82). */
    assert_true(tt_master_giai_valid("06141415678"));
    assert_true(tt_master_giai_valid("0614141AB-12"));
    assert_true(tt_master_giai_valid("6901234900001"));
    assert_true(tt_master_giai_valid("061414!%&'()*+,-./:;<=>?_az"));
    assert_true(tt_master_giai_valid("0614141"));                            /* 7: shortest */
    assert_true(tt_master_giai_valid("061414123456789012345678901234"));     /* 30: longest */
    assert_false(tt_master_giai_valid("0614141234567890123456789012345"));   /* 31 */
    assert_false(tt_master_giai_valid("061414"));                           /* no reference */
    assert_false(tt_master_giai_valid(""));
    assert_false(tt_master_giai_valid("06141X5678"));      /* the prefix is 6+ digits */
    assert_false(tt_master_giai_valid("0614141 5678"));    /* a space is not in set 82 */
    assert_false(tt_master_giai_valid("0614141\"5678"));   /* '"' is, but no code carries it */
    assert_false(tt_master_giai_valid("0614141#1"));
    assert_false(tt_master_giai_valid("0614141煤"));
}

static void test_text_valid(void **state)
{
    char s[TT_MASTER_TEXT_MAX + 2];
    (void)state;
    assert_true(tt_master_text_valid("锚杆", 0));
    assert_true(tt_master_text_valid("Φ20×2200 mm", 0));
    assert_true(tt_master_text_valid("😀", 0));
    assert_false(tt_master_text_valid("", 0));
    assert_true(tt_master_text_valid("", 1));
    /* 32 Chinese characters = 96 bytes: the limit; one byte more is out. */
    s[0] = '\0';
    for (int i = 0; i < 32; i++)
        strcat(s, "煤");
    assert_int_equal(strlen(s), TT_MASTER_TEXT_MAX);
    assert_true(tt_master_text_valid(s, 0));
    strcat(s, "x");
    assert_false(tt_master_text_valid(s, 0));
    /* Control characters: C0, DEL, C1 (U+0085). */
    assert_false(tt_master_text_valid("a\tb", 0));
    assert_false(tt_master_text_valid("a\nb", 0));
    assert_false(tt_master_text_valid("a\x7f", 0));
    assert_false(tt_master_text_valid("a\xC2\x85", 0));
    /* Invalid UTF-8: GBK bytes, overlong, surrogate, truncated. */
    assert_false(tt_master_text_valid("\xC3\xBA\xB2\xC9", 0));
    assert_false(tt_master_text_valid("\xC0\xAF", 0));
    assert_false(tt_master_text_valid("\xED\xA0\x80", 0));
    assert_false(tt_master_text_valid("\xE7\x85", 0));
}

/* --- requests ---------------------------------------------------------------- */

static void test_req_round_trip(void **state)
{
    char buf[256], cursor[TT_MASTER_CURSOR_MAX + 1], reason[160];
    size_t len = 0;
    uint64_t since = 0;
    char *want = q("{'v':1,'since':12,'cursor':''}");
    (void)state;

    assert_int_equal(tt_master_req_encode(12, "", buf, sizeof buf, &len), TT_OK);
    assert_string_equal(buf, want);
    assert_int_equal(len, strlen(want));
    free(want);
    assert_int_equal(tt_master_req_decode(buf, len, &since, cursor, reason, sizeof reason), TT_OK);
    assert_int_equal(since, 12);
    assert_string_equal(cursor, "");

    assert_int_equal(tt_master_req_encode(9007199254740991ULL, "15:item:6901234567892", buf,
                                          sizeof buf, &len),
                     TT_OK);
    assert_int_equal(tt_master_req_decode(buf, len, &since, cursor, reason, sizeof reason), TT_OK);
    assert_int_equal(since, 9007199254740991ULL);
    assert_string_equal(cursor, "15:item:6901234567892");
}

static void test_req_encode_refuses(void **state)
{
    char buf[256], longc[TT_MASTER_CURSOR_MAX + 2];
    size_t len;
    (void)state;
    memset(longc, 'c', sizeof longc - 1);
    longc[sizeof longc - 1] = '\0';
    assert_int_equal(tt_master_req_encode(1, longc, buf, sizeof buf, &len), TT_ERR_INVAL);
    longc[TT_MASTER_CURSOR_MAX] = '\0';   /* exactly the maximum */
    assert_int_equal(tt_master_req_encode(1, longc, buf, sizeof buf, &len), TT_OK);
    assert_int_equal(tt_master_req_encode(1, "a b", buf, sizeof buf, &len), TT_ERR_INVAL);
    assert_int_equal(tt_master_req_encode(1, "a\"b", buf, sizeof buf, &len), TT_ERR_INVAL);
    assert_int_equal(tt_master_req_encode(9007199254740992ULL, "", buf, sizeof buf, &len),
                     TT_ERR_INVAL);
    assert_int_equal(tt_master_req_encode(1, "", buf, 10, &len), TT_ERR_FULL);
}

static void test_req_decode_refuses(void **state)
{
    static const struct {
        const char *json;
        tt_err_t rc;
        const char *reason;
    } cases[] = {
        {"", TT_ERR_PARSE, "not valid JSON"},
        {"{'v':1,'since':1,'cursor':''} x", TT_ERR_PARSE, "data after"},
        {"[1]", TT_ERR_PROTO, "not a JSON object"},
        {"{'v':2,'since':1,'cursor':''}", TT_ERR_VERSION, "version 2"},
        {"{'v':2,'since':1,'cursor':'','new':1}", TT_ERR_VERSION, "version 2"},
        {"{'since':1,'cursor':''}", TT_ERR_PROTO, "v:"},
        {"{'v':'1','since':1,'cursor':''}", TT_ERR_PROTO, "v:"},
        {"{'v':1,'cursor':''}", TT_ERR_PROTO, "missing field 'since'"},
        {"{'v':1,'since':1}", TT_ERR_PROTO, "missing field 'cursor'"},
        {"{'v':1,'since':1,'cursor':'','x':1}", TT_ERR_PROTO, "unknown or repeated field 'x'"},
        {"{'v':1,'since':1,'since':2,'cursor':''}", TT_ERR_PROTO, "repeated field 'since'"},
        {"{'v':1,'since':-1,'cursor':''}", TT_ERR_PROTO, "since"},
        {"{'v':1,'since':1.5,'cursor':''}", TT_ERR_PROTO, "since"},
        {"{'v':1,'since':'1','cursor':''}", TT_ERR_PROTO, "since"},
        {"{'v':1,'since':9007199254740992,'cursor':''}", TT_ERR_PROTO, "since"},
        {"{'v':1,'since':1,'cursor':3}", TT_ERR_PROTO, "cursor"},
        {"{'v':1,'since':1,'cursor':null}", TT_ERR_PROTO, "cursor"},
        {"{'v':1,'since':1,'cursor':'a b'}", TT_ERR_PROTO, "cursor"},
        {"{'v':1,'since':1,'cursor':'煤'}", TT_ERR_PROTO, "cursor"},
        {"{'v':1,'since':1,'cursor':'a\\u0000b'}", TT_ERR_PARSE, "NUL"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *json = q(cases[i].json), cursor[TT_MASTER_CURSOR_MAX + 1], reason[160] = "";
        uint64_t since = 0;
        tt_err_t rc = tt_master_req_decode(json, strlen(json), &since, cursor, reason,
                                           sizeof reason);
        if (rc != cases[i].rc || !strstr(reason, cases[i].reason))
            fail_msg("%s: got %d '%s', expected %d '...%s...'", json, rc, reason, cases[i].rc,
                     cases[i].reason);
        free(json);
    }
    /* A cursor of TT_MASTER_CURSOR_MAX bytes is fine, one more is not. */
    {
        char json[256], cursor[TT_MASTER_CURSOR_MAX + 1], reason[160] = "";
        uint64_t since;
        int n = snprintf(json, sizeof json, "{\"v\":1,\"since\":1,\"cursor\":\"%0*d\"}",
                         TT_MASTER_CURSOR_MAX, 0);
        assert_int_equal(tt_master_req_decode(json, (size_t)n, &since, cursor, reason,
                                              sizeof reason),
                         TT_OK);
        assert_int_equal(strlen(cursor), TT_MASTER_CURSOR_MAX);
        n = snprintf(json, sizeof json, "{\"v\":1,\"since\":1,\"cursor\":\"%0*d\"}",
                     TT_MASTER_CURSOR_MAX + 1, 0);
        assert_int_equal(tt_master_req_decode(json, (size_t)n, &since, cursor, reason,
                                              sizeof reason),
                         TT_ERR_PROTO);
        assert_non_null(strstr(reason, "cursor"));
    }
}

/* --- pages ---------------------------------------------------------------- */

static void test_page_decode_valid(void **state)
{
    char *json = q(PAGE), reason[160] = "";
    tt_master_page_t *p = NULL;
    (void)state;

    assert_int_equal(tt_master_page_decode(json, strlen(json), &p, reason, sizeof reason), TT_OK);
    assert_int_equal(p->since, 12);
    assert_int_equal(p->to, 15);
    assert_string_equal(p->cursor, "15:item:6901234567892");
    assert_false(p->last);
    assert_int_equal(p->nunits, 1);
    assert_string_equal(p->units[0].id, "CM1");
    assert_string_equal(p->units[0].name, "采煤一区");
    assert_int_equal(p->units[0].kind, TT_UNIT_WORK_AREA);
    assert_int_equal(p->nwarehouses, 1);
    assert_string_equal(p->warehouses[0].name, "中心仓库");
    assert_int_equal(p->warehouses[0].kind, TT_WAREHOUSE_CENTRAL);
    assert_string_equal(p->warehouses[0].unit, "");
    assert_int_equal(p->nitems, 1);
    assert_string_equal(p->items[0].code, "6901234567892");
    assert_string_equal(p->items[0].spec, "Φ20×2200");
    assert_string_equal(p->items[0].uom, "根");
    assert_int_equal(p->items[0].category, TT_ITEM_MATERIAL);
    assert_int_equal(p->items[0].price, 1250);
    assert_true(p->items[0].active);
    assert_int_equal(p->items[0].nbarcodes, 1);
    assert_string_equal(p->items[0].barcodes[0], "6901234567892");
    assert_int_equal(p->noperators, 1);
    assert_string_equal(p->operators[0].name, "张三");
    assert_string_equal(p->operators[0].role, "storekeeper");
    assert_string_equal(p->operators[0].badge, "B0001");
    assert_true(p->operators[0].active);
    assert_int_equal(p->nplans, 1);
    assert_string_equal(p->plans[0].serial, "P2026-0117");
    assert_string_equal(p->plans[0].item, "6901234567892");
    assert_int_equal(p->plans[0].qty, 200500);
    assert_string_equal(p->plans[0].category, "AQ-03");
    assert_string_equal(p->plans[0].unit, "CM1");
    assert_int_equal(p->plans[0].status, TT_PLAN_APPROVED);
    assert_int_equal(p->nequipment, 1);
    assert_string_equal(p->equipment[0].asset, "P-0042");
    assert_string_equal(p->equipment[0].model, "乳化液泵");
    assert_string_equal(p->equipment[0].item, "");
    assert_string_equal(p->equipment[0].giai, "06141415678");
    assert_string_equal(p->equipment[0].barcode, "EQ-0042");
    assert_string_equal(p->equipment[0].unit, "CM1");
    assert_true(p->equipment[0].active);
    tt_master_page_free(p);
    free(json);
}

/* A page with every kind of row, Chinese texts and edge values. */
static tt_master_page_t *sample_page(void)
{
    tt_master_page_t *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->since = 0;
    p->to = 9007199254740991ULL;
    p->last = 1;
    p->nunits = 2;
    p->units = calloc(2, sizeof *p->units);
    p->nwarehouses = 1;
    p->warehouses = calloc(1, sizeof *p->warehouses);
    p->nitems = 2;
    p->items = calloc(2, sizeof *p->items);
    p->noperators = 1;
    p->operators = calloc(1, sizeof *p->operators);
    p->nplans = 2;
    p->plans = calloc(2, sizeof *p->plans);
    p->nequipment = 2;
    p->equipment = calloc(2, sizeof *p->equipment);
    assert_non_null(p->units);
    assert_non_null(p->warehouses);
    assert_non_null(p->items);
    assert_non_null(p->operators);
    assert_non_null(p->plans);
    assert_non_null(p->equipment);

    snprintf(p->units[0].id, sizeof p->units[0].id, "CM1");
    snprintf(p->units[0].name, sizeof p->units[0].name, "采煤一区");
    p->units[0].kind = TT_UNIT_WORK_AREA;
    snprintf(p->units[1].id, sizeof p->units[1].id, "XL");
    snprintf(p->units[1].name, sizeof p->units[1].name, "修理厂 \"东\" \\ 厂");
    p->units[1].kind = TT_UNIT_SHOP;

    snprintf(p->warehouses[0].id, sizeof p->warehouses[0].id, "CK03");
    snprintf(p->warehouses[0].name, sizeof p->warehouses[0].name, "采煤一区库");
    p->warehouses[0].kind = TT_WAREHOUSE_WORK_AREA;
    snprintf(p->warehouses[0].unit, sizeof p->warehouses[0].unit, "CM1");

    snprintf(p->items[0].code, sizeof p->items[0].code, "6901234567892");
    snprintf(p->items[0].name, sizeof p->items[0].name, "锚杆");
    snprintf(p->items[0].spec, sizeof p->items[0].spec, "Φ20×2200");
    snprintf(p->items[0].uom, sizeof p->items[0].uom, "根");
    p->items[0].category = TT_ITEM_MATERIAL;
    p->items[0].price = 1250;
    p->items[0].active = 1;
    p->items[0].nbarcodes = TT_MASTER_BARCODES_MAX;
    for (size_t i = 0; i < TT_MASTER_BARCODES_MAX; i++)
        snprintf(p->items[0].barcodes[i], sizeof p->items[0].barcodes[i], "690123456789%zu", i);
    snprintf(p->items[1].code, sizeof p->items[1].code, "SVC-1");
    snprintf(p->items[1].name, sizeof p->items[1].name, "维修服务");
    snprintf(p->items[1].uom, sizeof p->items[1].uom, "次");
    p->items[1].category = TT_ITEM_SERVICE;
    p->items[1].price = 0;
    p->items[1].active = 0;

    snprintf(p->operators[0].id, sizeof p->operators[0].id, "li4");
    snprintf(p->operators[0].name, sizeof p->operators[0].name, "李四");
    snprintf(p->operators[0].role, sizeof p->operators[0].role, "repair_fitter");
    snprintf(p->operators[0].unit, sizeof p->operators[0].unit, "XL");
    p->operators[0].active = 0;

    snprintf(p->plans[0].serial, sizeof p->plans[0].serial, "P2026-0117");
    snprintf(p->plans[0].item, sizeof p->plans[0].item, "6901234567892");
    p->plans[0].qty = 1;                       /* 0.001: the smallest quantity */
    snprintf(p->plans[0].category, sizeof p->plans[0].category, "AQ-03");
    snprintf(p->plans[0].unit, sizeof p->plans[0].unit, "CM1");
    p->plans[0].status = TT_PLAN_APPROVED;
    snprintf(p->plans[1].serial, sizeof p->plans[1].serial, "P2026-0118");
    snprintf(p->plans[1].item, sizeof p->plans[1].item, "SVC-1");
    p->plans[1].qty = 9007199254740991LL;      /* a large one, exactly */
    p->plans[1].status = TT_PLAN_REJECTED;

    snprintf(p->equipment[0].asset, sizeof p->equipment[0].asset, "P-0042");
    snprintf(p->equipment[0].model, sizeof p->equipment[0].model, "乳化液泵 \"BRW\" 400/31.5");
    snprintf(p->equipment[0].item, sizeof p->equipment[0].item, "6901234567892");
    snprintf(p->equipment[0].giai, sizeof p->equipment[0].giai, "0614141AB-12");
    snprintf(p->equipment[0].barcode, sizeof p->equipment[0].barcode, "EQ-PUMP-0007");
    snprintf(p->equipment[0].unit, sizeof p->equipment[0].unit, "XL");
    p->equipment[0].active = 1;
    snprintf(p->equipment[1].asset, sizeof p->equipment[1].asset, "OLD/1:2");
    snprintf(p->equipment[1].model, sizeof p->equipment[1].model, "旧泵");
    p->equipment[1].active = 0;
    return p;
}

static void test_page_round_trip(void **state)
{
    tt_master_page_t *p = sample_page(), *back = NULL;
    char *text = NULL, reason[160] = "";
    size_t len = 0;
    (void)state;

    assert_int_equal(tt_master_page_encode(p, &text, &len), TT_OK);
    assert_int_equal(len, strlen(text));
    /* Versions as exact integers, money as a string, texts as UTF-8. */
    assert_non_null(strstr(text, "\"to\":9007199254740991"));
    assert_non_null(strstr(text, "\"price\":\"12.50\""));
    assert_non_null(strstr(text, "\"price\":\"0.00\""));
    assert_non_null(strstr(text, "\"name\":\"采煤一区\""));
    assert_non_null(strstr(text, "\"cursor\":\"\",\"last\":true"));
    assert_non_null(strstr(text, "\"qty\":\"0.001\""));
    assert_non_null(strstr(text, "\"qty\":\"9007199254740.991\""));
    assert_non_null(strstr(text, "\"status\":\"rejected\""));
    assert_int_equal(tt_master_page_decode(text, len, &back, reason, sizeof reason), TT_OK);
    assert_int_equal(back->since, p->since);
    assert_int_equal(back->to, p->to);
    assert_int_equal(back->last, 1);
    assert_string_equal(back->cursor, "");
    assert_int_equal(back->nunits, 2);
    assert_int_equal(back->nwarehouses, 1);
    assert_int_equal(back->nitems, 2);
    assert_int_equal(back->noperators, 1);
    assert_memory_equal(back->units, p->units, 2 * sizeof *p->units);
    assert_memory_equal(back->warehouses, p->warehouses, sizeof *p->warehouses);
    for (size_t i = 0; i < 2; i++) {
        const tt_master_item_t *a = &p->items[i], *b = &back->items[i];
        assert_string_equal(a->code, b->code);
        assert_string_equal(a->name, b->name);
        assert_string_equal(a->spec, b->spec);
        assert_string_equal(a->uom, b->uom);
        assert_int_equal(a->category, b->category);
        assert_int_equal(a->price, b->price);
        assert_int_equal(a->active, b->active);
        assert_int_equal(a->nbarcodes, b->nbarcodes);
        for (size_t k = 0; k < a->nbarcodes; k++)
            assert_string_equal(a->barcodes[k], b->barcodes[k]);
    }
    assert_memory_equal(back->operators, p->operators, sizeof *p->operators);
    assert_int_equal(back->nplans, 2);
    assert_int_equal(back->nequipment, 2);
    for (size_t i = 0; i < 2; i++) {
        const tt_master_plan_t *a = &p->plans[i], *b = &back->plans[i];
        const tt_master_equipment_t *x = &p->equipment[i], *y = &back->equipment[i];
        assert_string_equal(a->serial, b->serial);
        assert_string_equal(a->item, b->item);
        assert_int_equal(a->qty, b->qty);
        assert_string_equal(a->category, b->category);
        assert_string_equal(a->unit, b->unit);
        assert_int_equal(a->status, b->status);
        assert_string_equal(x->asset, y->asset);
        assert_string_equal(x->model, y->model);
        assert_string_equal(x->item, y->item);
        assert_string_equal(x->giai, y->giai);
        assert_string_equal(x->barcode, y->barcode);
        assert_string_equal(x->unit, y->unit);
        assert_int_equal(x->active, y->active);
    }
    tt_master_page_free(back);
    free(text);

    /* An empty page (nothing changed) and a middle page. */
    p->nunits = p->nwarehouses = p->nitems = p->noperators = p->nplans = p->nequipment = 0;
    assert_int_equal(tt_master_page_encode(p, &text, &len), TT_OK);
    {
        char *want = q("{'v':1,'since':0,'to':9007199254740991,'cursor':'','last':true,"
                       "'units':[],'warehouses':[],'items':[],'operators':[],'plans':[],"
                       "'equipment':[]}");
        assert_string_equal(text, want);
        free(want);
    }
    free(text);
    p->last = 0;
    snprintf(p->cursor, sizeof p->cursor, "7:operator:li4");
    assert_int_equal(tt_master_page_encode(p, &text, &len), TT_OK);
    assert_int_equal(tt_master_page_decode(text, len, &back, reason, sizeof reason), TT_OK);
    assert_false(back->last);
    assert_string_equal(back->cursor, "7:operator:li4");
    tt_master_page_free(back);
    free(text);
    tt_master_page_free(p);
}

static void expect_encode_inval(tt_master_page_t *p, const char *what)
{
    char *text = (char *)"untouched";
    size_t len = 0;
    tt_err_t rc = tt_master_page_encode(p, &text, &len);
    if (rc != TT_ERR_INVAL)
        fail_msg("encode with %s: got %d, expected TT_ERR_INVAL", what, rc);
    assert_null(text);
}

static void test_page_encode_refuses(void **state)
{
    tt_master_page_t *p = sample_page();
    tt_master_page_t saved = *p;
    tt_master_unit_t u0 = p->units[0];
    tt_master_item_t i0 = p->items[0];
    tt_master_operator_t o0 = p->operators[0];
    tt_master_warehouse_t w0 = p->warehouses[0];
    tt_master_plan_t p0 = p->plans[0];
    tt_master_equipment_t e0 = p->equipment[0];
    (void)state;

    snprintf(p->units[0].id, sizeof p->units[0].id, "C M1");
    expect_encode_inval(p, "an id with a space");
    p->units[0] = u0;
    memset(p->units[0].name, 'n', TT_MASTER_TEXT_MAX + 1);
    p->units[0].name[TT_MASTER_TEXT_MAX] = '\0';   /* exactly the maximum: fine */
    {
        char *t;
        size_t l;
        assert_int_equal(tt_master_page_encode(p, &t, &l), TT_OK);
        free(t);
    }
    p->units[0] = u0;
    snprintf(p->units[0].name, sizeof p->units[0].name, "a\nb");
    expect_encode_inval(p, "a line break in a name");
    p->units[0] = u0;
    p->units[0].kind = (tt_unit_kind_t)0;
    expect_encode_inval(p, "unit kind 0");
    p->units[0] = u0;

    snprintf(p->warehouses[0].unit, sizeof p->warehouses[0].unit, "C/M");
    expect_encode_inval(p, "a warehouse unit with '/'");
    p->warehouses[0] = w0;

    p->items[0].price = -1;
    expect_encode_inval(p, "a negative price");
    p->items[0] = i0;
    p->items[0].category = (tt_item_category_t)7;
    expect_encode_inval(p, "category 7");
    p->items[0] = i0;
    p->items[0].nbarcodes = TT_MASTER_BARCODES_MAX + 1;
    expect_encode_inval(p, "9 barcodes");
    p->items[0] = i0;
    snprintf(p->items[0].barcodes[3], sizeof p->items[0].barcodes[3], "%s", i0.barcodes[1]);
    expect_encode_inval(p, "a barcode twice");
    p->items[0] = i0;
    p->items[0].uom[0] = '\0';
    expect_encode_inval(p, "an empty uom");
    p->items[0] = i0;
    p->items[0].active = 2;
    expect_encode_inval(p, "active 2");
    p->items[0] = i0;

    snprintf(p->operators[0].badge, sizeof p->operators[0].badge, "B 1");
    expect_encode_inval(p, "a badge with a space");
    p->operators[0] = o0;
    snprintf(p->operators[0].role, sizeof p->operators[0].role, "修理工");
    expect_encode_inval(p, "a role that is not an id");
    p->operators[0] = o0;

    p->plans[0].qty = 0;
    expect_encode_inval(p, "a plan quantity of 0");
    p->plans[0].qty = -1000;
    expect_encode_inval(p, "a negative plan quantity");
    p->plans[0] = p0;
    snprintf(p->plans[0].serial, sizeof p->plans[0].serial, "P 1");
    expect_encode_inval(p, "a serial with a space");
    p->plans[0] = p0;
    p->plans[0].item[0] = '\0';
    expect_encode_inval(p, "a plan without an item");
    p->plans[0] = p0;
    snprintf(p->plans[0].category, sizeof p->plans[0].category, "安全");
    expect_encode_inval(p, "a category that is not an id");
    p->plans[0] = p0;
    p->plans[0].status = (tt_plan_status_t)3;
    expect_encode_inval(p, "plan status 3");
    p->plans[0] = p0;

    p->equipment[0].model[0] = '\0';
    expect_encode_inval(p, "an asset without a model");
    p->equipment[0] = e0;
    snprintf(p->equipment[0].asset, sizeof p->equipment[0].asset, "P 42");
    expect_encode_inval(p, "an asset number with a space");
    p->equipment[0] = e0;
    snprintf(p->equipment[0].giai, sizeof p->equipment[0].giai, "urn:epc:id:giai:0614141.1");
    expect_encode_inval(p, "a GIAI's URI for the GIAI");
    p->equipment[0] = e0;
    snprintf(p->equipment[0].barcode, sizeof p->equipment[0].barcode, "EQ 1");
    expect_encode_inval(p, "an asset barcode with a space");
    p->equipment[0] = e0;
    p->equipment[0].active = -1;
    expect_encode_inval(p, "active -1");
    p->equipment[0] = e0;
    p->equipment = NULL;
    expect_encode_inval(p, "equipment rows without an array");
    p->equipment = saved.equipment;

    p->last = 0;   /* the last page has no cursor, the others one */
    expect_encode_inval(p, "a middle page without a cursor");
    *p = saved;
    snprintf(p->cursor, sizeof p->cursor, "1:item:x");
    expect_encode_inval(p, "a last page with a cursor");
    *p = saved;
    p->to = 9007199254740992ULL;
    expect_encode_inval(p, "to = 2^53");
    *p = saved;
    tt_master_page_free(p);
}

static void test_page_decode_refuses(void **state)
{
    static const struct {
        const char *from, *to;
        tt_err_t rc;
        const char *reason;
    } cases[] = {
        /* envelope */
        {"'v':1", "'v':2", TT_ERR_VERSION, "version 2"},
        {"'v':1,", "", TT_ERR_PROTO, "v:"},
        {"'since':12", "'since':'12'", TT_ERR_PROTO, "since"},
        {"'to':15", "'to':-15", TT_ERR_PROTO, "to"},
        {"'last':false", "'last':0", TT_ERR_PROTO, "last"},
        {"'last':false", "'last':true", TT_ERR_PROTO, "cursor"},
        {"'cursor':'15:item:6901234567892'", "'cursor':''", TT_ERR_PROTO, "cursor"},
        {"'last':false,", "'last':false,'extra':1,", TT_ERR_PROTO, "field 'extra'"},
        {"'units':[", "'units':{'a':1},'x':[", TT_ERR_PROTO, "field 'x'"},
        {"'units':[{'id':'CM1','name':'采煤一区','kind':'work_area'}]", "'units':{}",
         TT_ERR_PROTO, "units: not an array"},
        {"'operators':[", "'ops':[", TT_ERR_PROTO, "field 'ops'"},
        {"{'v':1,", "[{'v':1,", TT_ERR_PARSE, "JSON"},
        {"'CM1'", "'C\\u0000M1'", TT_ERR_PARSE, "NUL"},
        /* units */
        {"'id':'CM1'", "'id':'CM 1'", TT_ERR_PROTO, "units[0].id"},
        {"'id':'CM1'", "'id':''", TT_ERR_PROTO, "units[0].id"},
        {"'id':'CM1'", "'id':'CM1CM1CM1CM1CM1CM1CM1CM1CM1CM1CM1'", TT_ERR_PROTO, "units[0].id"},
        {"'name':'采煤一区'", "'name':'采煤\\u0007一区'", TT_ERR_PROTO, "units[0].name"},
        {"'name':'采煤一区'", "'name':'采煤\\n一区'", TT_ERR_PROTO, "units[0].name"},
        {"'name':'采煤一区'", "'name':''", TT_ERR_PROTO, "units[0].name"},
        {"'name':'采煤一区'",
         "'name':'采煤一区采煤一区采煤一区采煤一区采煤一区采煤一区采煤一区采煤一区x'",
         TT_ERR_PROTO, "units[0].name"},
        {"'kind':'work_area'", "'kind':'mine'", TT_ERR_PROTO, "units[0].kind"},
        {"'kind':'work_area'", "'kind':1", TT_ERR_PROTO, "units[0].kind"},
        {"'kind':'work_area'}", "'kind':'work_area','v':1}", TT_ERR_PROTO, "units[0]: unknown"},
        {",'kind':'work_area'}", "}", TT_ERR_PROTO, "units[0]: missing field 'kind'"},
        {"'units':[{", "'units':[7,{", TT_ERR_PROTO, "units[0]: not a JSON object"},
        /* warehouses */
        {"'kind':'central'", "'kind':'shop'", TT_ERR_PROTO, "warehouses[0].kind"},
        {"'unit':''}]", "'unit':'C/1'}]", TT_ERR_PROTO, "warehouses[0].unit"},
        {"'unit':''}]", "'unit':null}]", TT_ERR_PROTO, "warehouses[0].unit"},
        {"'unit':''}],'items'", "'unit':''},{'id':'CK02','name':'x','kind':'central'}],'items'",
         TT_ERR_PROTO, "warehouses[1]: missing field 'unit'"},
        /* items */
        {"'code':'6901234567892'", "'code':'69 01'", TT_ERR_PROTO, "items[0].code"},
        {"'spec':'Φ20×2200'", "'spec':''", ACCEPTED, ""},
        {"'spec':'Φ20×2200'", "'spec':'\\t'", TT_ERR_PROTO, "items[0].spec"},
        {"'uom':'根'", "'uom':''", TT_ERR_PROTO, "items[0].uom"},
        {"'category':'material'", "'category':'food'", TT_ERR_PROTO, "items[0].category"},
        {"'price':'12.50'", "'price':'12.505'", TT_ERR_PROTO, "items[0].price"},
        {"'price':'12.50'", "'price':'-1.00'", TT_ERR_PROTO, "items[0].price"},
        {"'price':'12.50'", "'price':12.5", TT_ERR_PROTO, "items[0].price"},
        {"'price':'12.50'", "'price':'1e3'", TT_ERR_PROTO, "items[0].price"},
        {"'price':'12.50'", "'price':'99999999999999999999'", TT_ERR_PROTO, "items[0].price"},
        {"'active':true,'barcodes'", "'active':'yes','barcodes'", TT_ERR_PROTO,
         "items[0].active"},
        {"'barcodes':['6901234567892']", "'barcodes':'6901234567892'", TT_ERR_PROTO,
         "items[0].barcodes"},
        {"'barcodes':['6901234567892']", "'barcodes':['1','2','3','4','5','6','7','8','9']",
         TT_ERR_PROTO, "items[0].barcodes: not an array of at most 8"},
        {"'barcodes':['6901234567892']", "'barcodes':['1','2','1']", TT_ERR_PROTO,
         "items[0].barcodes[2]: listed twice"},
        {"'barcodes':['6901234567892']", "'barcodes':['69 1']", TT_ERR_PROTO,
         "items[0].barcodes[0]"},
        {"'barcodes':['6901234567892']", "'barcodes':[6901234567892]", TT_ERR_PROTO,
         "items[0].barcodes[0]"},
        {"'barcodes':['6901234567892']", "'barcodes':['6901234567892'],'reward':'1.00'",
         TT_ERR_PROTO, "items[0]: unknown or repeated field 'reward'"},
        /* operators */
        {"'role':'storekeeper'", "'role':'store keeper'", TT_ERR_PROTO, "operators[0].role"},
        {"'badge':'B0001'", "'badge':'B 1'", TT_ERR_PROTO, "operators[0].badge"},
        {"'badge':'B0001'", "'badge':''", ACCEPTED, ""},
        {"'badge':'B0001','active':true", "'badge':'B0001','active':1", TT_ERR_PROTO,
         "operators[0].active"},
        {"'id':'zhang3'", "'id':'zhang/3'", TT_ERR_PROTO, "operators[0].id"},
        {"'name':'张三'", "'name':'\xE5\xBC'", TT_ERR_PROTO, "operators[0].name"},
        /* plans */
        {"'plans':[", "'planz':[", TT_ERR_PROTO, "field 'planz'"},
        {"'serial':'P2026-0117'", "'serial':'P 117'", TT_ERR_PROTO, "plans[0].serial"},
        {"'item':'6901234567892','qty'", "'item':'','qty'", TT_ERR_PROTO, "plans[0].item"},
        {"'qty':'200.5'", "'qty':'0'", TT_ERR_PROTO, "plans[0].qty"},
        {"'qty':'200.5'", "'qty':'-1'", TT_ERR_PROTO, "plans[0].qty"},
        {"'qty':'200.5'", "'qty':'1.2345'", TT_ERR_PROTO, "plans[0].qty"},
        {"'qty':'200.5'", "'qty':200.5", TT_ERR_PROTO, "plans[0].qty"},
        {"'qty':'200.5'", "'qty':'0.001'", ACCEPTED, ""},
        {"'category':'AQ-03'", "'category':''", ACCEPTED, ""},
        {"'category':'AQ-03'", "'category':'AQ 03'", TT_ERR_PROTO, "plans[0].category"},
        {"'unit':'CM1','status'", "'unit':'C/M','status'", TT_ERR_PROTO, "plans[0].unit"},
        {"'status':'approved'", "'status':'rejected'", ACCEPTED, ""},
        {"'status':'approved'", "'status':'pending'", TT_ERR_PROTO, "plans[0].status"},
        {"'status':'approved'", "'status':true", TT_ERR_PROTO, "plans[0].status"},
        {",'status':'approved'", "", TT_ERR_PROTO, "plans[0]: missing field 'status'"},
        /* equipment */
        {"'asset':'P-0042'", "'asset':'P 0042'", TT_ERR_PROTO, "equipment[0].asset"},
        {"'model':'乳化液泵'", "'model':''", TT_ERR_PROTO, "equipment[0].model"},
        {"'model':'乳化液泵'", "'model':'乳化\\n液泵'", TT_ERR_PROTO, "equipment[0].model"},
        {"'item':'','giai'", "'item':'6901234567892','giai'", ACCEPTED, ""},
        {"'item':'','giai'", "'item':'69 1','giai'", TT_ERR_PROTO, "equipment[0].item"},
        {"'giai':'06141415678'", "'giai':''", ACCEPTED, ""},
        {"'giai':'06141415678'", "'giai':'urn:epc:id:giai:0614141.5678'", TT_ERR_PROTO,
         "equipment[0].giai"},
        {"'giai':'06141415678'", "'giai':'0614141 5678'", TT_ERR_PROTO, "equipment[0].giai"},
        {"'giai':'06141415678'", "'giai':6141415678", TT_ERR_PROTO, "equipment[0].giai"},
        {"'barcode':'EQ-0042'", "'barcode':''", ACCEPTED, ""},
        {"'barcode':'EQ-0042'", "'barcode':'EQ 0042'", TT_ERR_PROTO, "equipment[0].barcode"},
        {"'unit':'CM1','active'", "'unit':null,'active'", TT_ERR_PROTO, "equipment[0].unit"},
        {"'active':true}]}", "'active':'yes'}]}", TT_ERR_PROTO, "equipment[0].active"},
        {"'active':true}]}", "'active':true,'serial':'x'}]}", TT_ERR_PROTO,
         "equipment[0]: unknown or repeated field 'serial'"},
        {"'equipment':[{", "'equipment':[1,{", TT_ERR_PROTO, "equipment[0]: not a JSON object"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *json = subst(PAGE, cases[i].from, cases[i].to), reason[160] = "";
        tt_master_page_t *p = (tt_master_page_t *)1;
        tt_err_t rc = tt_master_page_decode(json, strlen(json), &p, reason, sizeof reason);
        tt_err_t want = cases[i].rc == ACCEPTED ? TT_OK : cases[i].rc;
        if (rc != want || !strstr(reason, cases[i].reason))
            fail_msg("%s -> %s: got %d '%s', expected %d '...%s...'", cases[i].from, cases[i].to,
                     rc, reason, want, cases[i].reason);
        if (rc == TT_OK)
            tt_master_page_free(p);
        else
            assert_null(p);
        free(json);
    }
}

/* More rows than one page may hold is refused whole. */
static void test_page_decode_too_many_rows(void **state)
{
    size_t n = TT_MASTER_PAGE_ROWS + 1, cap = n * 64 + 256, at = 0;
    char *json = malloc(cap), reason[160] = "";
    tt_master_page_t *p = NULL;
    (void)state;

    assert_non_null(json);
    at += (size_t)snprintf(json, cap, "{\"v\":1,\"since\":0,\"to\":1,\"cursor\":\"\",\"last\":true,"
                                      "\"units\":[");
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(json + at, cap - at,
                               "%s{\"id\":\"U%zu\",\"name\":\"n\",\"kind\":\"shop\"}",
                               i ? "," : "", i);
    snprintf(json + at, cap - at,
             "],\"warehouses\":[],\"items\":[],\"operators\":[],\"plans\":[],\"equipment\":[]}");
    assert_int_equal(tt_master_page_decode(json, strlen(json), &p, reason, sizeof reason),
                     TT_ERR_PROTO);
    assert_non_null(strstr(reason, "more than 2000 rows"));
    assert_null(p);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_text_valid),
        cmocka_unit_test(test_giai_valid),
        cmocka_unit_test(test_req_round_trip),
        cmocka_unit_test(test_req_encode_refuses),
        cmocka_unit_test(test_req_decode_refuses),
        cmocka_unit_test(test_page_decode_valid),
        cmocka_unit_test(test_page_round_trip),
        cmocka_unit_test(test_page_encode_refuses),
        cmocka_unit_test(test_page_decode_refuses),
        cmocka_unit_test(test_page_decode_too_many_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
