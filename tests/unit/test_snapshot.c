/*
 * Unit tests of shared/snapshot: the stock request and the stock snapshot,
 * both directions.
 *
 * The decoders face the network: the tables take one valid message and
 * break one thing in it, expecting the documented code and a reason that
 * names what is wrong.  JSON is written with ' for " so it stays readable;
 * q() swaps them back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "snapshot.h"

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

/* In a table of broken messages: this one is fine, it decodes. */
#define ACCEPTED ((tt_err_t)1)

typedef struct {
    const char *json;   /* in ' notation */
    tt_err_t rc;
    const char *reason; /* a part of the expected reason ("" for ACCEPTED) */
} decode_case_t;

/* --- requests -------------------------------------------------------------- */

static void test_req_round_trip(void **state)
{
    char buf[128], wh[TT_EVENT_ID_MAX + 1], reason[160] = "";
    size_t len = 0;
    (void)state;

    assert_int_equal(tt_snapshot_req_encode("CK01", buf, sizeof buf, &len), TT_OK);
    assert_string_equal(buf, "{\"v\":1,\"warehouse\":\"CK01\"}");
    assert_int_equal(len, strlen(buf));
    assert_int_equal(tt_snapshot_req_decode(buf, len, wh, reason, sizeof reason), TT_OK);
    assert_string_equal(wh, "CK01");
}

static void test_req_encode_refuses(void **state)
{
    char buf[128];
    size_t len;
    (void)state;

    assert_int_equal(tt_snapshot_req_encode("", buf, sizeof buf, &len), TT_ERR_INVAL);
    assert_int_equal(tt_snapshot_req_encode("C K", buf, sizeof buf, &len), TT_ERR_INVAL);
    assert_int_equal(tt_snapshot_req_encode("C\"K", buf, sizeof buf, &len), TT_ERR_INVAL);
    assert_int_equal(tt_snapshot_req_encode("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", buf, sizeof buf,
                                            &len),
                     TT_ERR_INVAL);   /* 33 bytes */
    assert_int_equal(tt_snapshot_req_encode("CK01", buf, 10, &len), TT_ERR_FULL);
}

static void test_req_decode_refuses(void **state)
{
    static const decode_case_t cases[] = {
        {"{'v':1,'warehouse':'CK01'}", ACCEPTED, ""},
        {" {'warehouse':'CK01','v':1}\r\n\t ", ACCEPTED, ""},
        {"{'v':1,'warehouse':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}", ACCEPTED, ""},   /* 32 */
        /* The document. */
        {"", TT_ERR_PARSE, "not valid JSON"},
        {"{'v':1,'warehouse':'CK01'", TT_ERR_PARSE, "not valid JSON"},
        {"{'v':1,'warehouse':'CK01'} x", TT_ERR_PARSE, "data after the document"},
        {"{'v':1,'warehouse':'CK01'}{}", TT_ERR_PARSE, "data after the document"},
        {"{'v':1,'warehouse':'CK\\u0000'}", TT_ERR_PARSE, "NUL"},
        {"{'v':1,'warehouse':'CK01','\\u0000':1}", TT_ERR_PARSE, "NUL"},
        {"[1]", TT_ERR_PROTO, "not a JSON object"},
        {"'CK01'", TT_ERR_PROTO, "not a JSON object"},
        {"null", TT_ERR_PROTO, "not a JSON object"},
        /* The version. */
        {"{'warehouse':'CK01'}", TT_ERR_PROTO, "v: missing"},
        {"{'v':'1','warehouse':'CK01'}", TT_ERR_PROTO, "v: missing or not an integer"},
        {"{'v':1.5,'warehouse':'CK01'}", TT_ERR_PROTO, "v: missing or not an integer"},
        {"{'v':-1,'warehouse':'CK01'}", TT_ERR_PROTO, "v: missing or not an integer"},
        {"{'v':2,'warehouse':'CK01'}", TT_ERR_VERSION, "protocol version 2 not supported"},
        {"{'v':0,'warehouse':'CK01'}", TT_ERR_VERSION, "protocol version 0"},
        {"{'v':2,'site':'S1','warehouse':'CK01'}", TT_ERR_VERSION, "version 2"},
        /* The members. */
        {"{'v':1}", TT_ERR_PROTO, "missing field 'warehouse'"},
        {"{'v':1,'warehouse':'CK01','x':1}", TT_ERR_PROTO, "unknown or repeated field 'x'"},
        {"{'v':1,'Warehouse':'CK01'}", TT_ERR_PROTO, "unknown or repeated field 'Warehouse'"},
        {"{'v':1,'warehouse':'CK01','warehouse':'CK02'}", TT_ERR_PROTO,
         "unknown or repeated field 'warehouse'"},
        {"{'v':1,'v':1,'warehouse':'CK01'}", TT_ERR_PROTO, "repeated field 'v'"},
        {"{'v':1,'warehouse':'CK01','\xe5\xba\x93':1}", TT_ERR_PROTO, "field '\?\?\?'"},
        /* The warehouse. */
        {"{'v':1,'warehouse':''}", TT_ERR_PROTO, "warehouse: not a valid id"},
        {"{'v':1,'warehouse':'C K'}", TT_ERR_PROTO, "warehouse: not a valid id"},
        {"{'v':1,'warehouse':'C/K'}", TT_ERR_PROTO, "warehouse: not a valid id"},
        {"{'v':1,'warehouse':'仓库'}", TT_ERR_PROTO, "warehouse: not a valid id"},
        {"{'v':1,'warehouse':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}", TT_ERR_PROTO,
         "warehouse: not a valid id"},   /* 33 bytes */
        {"{'v':1,'warehouse':7}", TT_ERR_PROTO, "warehouse: not a valid id"},
        {"{'v':1,'warehouse':null}", TT_ERR_PROTO, "warehouse: not a valid id"},
        {"{'v':1,'warehouse':['CK01']}", TT_ERR_PROTO, "warehouse: not a valid id"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *json = q(cases[i].json), wh[TT_EVENT_ID_MAX + 1] = "before", reason[160] = "";
        tt_err_t rc = tt_snapshot_req_decode(json, strlen(json), wh, reason, sizeof reason);
        tt_err_t want = cases[i].rc == ACCEPTED ? TT_OK : cases[i].rc;

        if (rc != want || !strstr(reason, cases[i].reason))
            fail_msg("%s: got %d '%s', expected %d '...%s...'", json, rc, reason, want,
                     cases[i].reason);
        /* A refused request leaves the caller's warehouse alone. */
        if (rc != TT_OK && strcmp(wh, "before") != 0)
            fail_msg("%s: warehouse changed to '%s' on failure", json, wh);
        free(json);
    }
}

/* The reason buffer is optional; a short one is cut, never overrun. */
static void test_req_decode_reason_buffers(void **state)
{
    char *json = q("{'v':1,'warehouse':'CK01','extra':1}"), wh[TT_EVENT_ID_MAX + 1];
    char small[8] = "xxxxxxx";
    (void)state;

    assert_int_equal(tt_snapshot_req_decode(json, strlen(json), wh, NULL, 0), TT_ERR_PROTO);
    assert_int_equal(tt_snapshot_req_decode(json, strlen(json), wh, small, 0), TT_ERR_PROTO);
    assert_string_equal(small, "xxxxxxx");
    assert_int_equal(tt_snapshot_req_decode(json, strlen(json), wh, small, sizeof small),
                     TT_ERR_PROTO);
    assert_int_equal(strlen(small), sizeof small - 1);
    free(json);
}

/* --- snapshots ------------------------------------------------------------- */

static void test_round_trip(void **state)
{
    tt_snapshot_row_t rows[] = {
        {"6901234567892", 380000},   /* 380 */
        {"A-1", 0},                  /* an item counted out */
        {"~!#$%&()*+,-./:;<=>?@[]^_`{|}", 12345},   /* every kind of code byte; 12.345 */
        {"6901234567892", 1},        /* twice: the decoder keeps both rows */
    };
    tt_snapshot_t snap = {"CK01", 9007199254740991ULL, 4, rows}, *back = NULL;
    char *text = NULL, reason[160] = "";
    size_t len = 0;
    (void)state;

    assert_int_equal(tt_snapshot_encode(&snap, &text, &len), TT_OK);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    /* applied exactly, quantities as decimal strings. */
    assert_non_null(strstr(text, "\"applied\":9007199254740991"));
    assert_non_null(strstr(text, "{\"item\":\"6901234567892\",\"qty\":\"380\"}"));
    assert_non_null(strstr(text, "\"qty\":\"12.345\""));
    assert_int_equal(tt_snapshot_decode(text, len, &back, reason, sizeof reason), TT_OK);
    assert_non_null(back);
    assert_string_equal(back->warehouse, "CK01");
    assert_true(back->applied == 9007199254740991ULL);
    assert_int_equal(back->count, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(back->rows[i].item, rows[i].item);
        assert_int_equal(back->rows[i].qty, rows[i].qty);
    }
    tt_snapshot_free(back);
    free(text);

    /* No items at all, applied 0. */
    snap.applied = 0;
    snap.count = 0;
    snap.rows = NULL;
    assert_int_equal(tt_snapshot_encode(&snap, &text, &len), TT_OK);
    assert_string_equal(text, "{\"v\":1,\"warehouse\":\"CK01\",\"applied\":0,\"items\":[]}");
    assert_int_equal(tt_snapshot_decode(text, len, &back, reason, sizeof reason), TT_OK);
    assert_int_equal(back->count, 0);
    assert_true(back->applied == 0);
    tt_snapshot_free(back);
    free(text);
    tt_snapshot_free(NULL);
}

static void test_encode_refuses(void **state)
{
    tt_snapshot_row_t good = {"6901234567892", 1000}, bad_code = {"69 01", 1000},
                      negative = {"6901234567892", -1};
    tt_snapshot_t snap = {"CK01", 1, 1, &good};
    char *text = (char *)"untouched";
    size_t len;
    (void)state;

    snap.applied = 9007199254740992ULL;   /* 2^53: not exact in JSON */
    assert_int_equal(tt_snapshot_encode(&snap, &text, &len), TT_ERR_INVAL);
    assert_null(text);
    snap.applied = 1;
    snprintf(snap.warehouse, sizeof snap.warehouse, "C K");
    assert_int_equal(tt_snapshot_encode(&snap, &text, &len), TT_ERR_INVAL);
    snprintf(snap.warehouse, sizeof snap.warehouse, "CK01");
    snap.rows = &bad_code;
    assert_int_equal(tt_snapshot_encode(&snap, &text, &len), TT_ERR_INVAL);
    snap.rows = &negative;
    assert_int_equal(tt_snapshot_encode(&snap, &text, &len), TT_ERR_INVAL);
    assert_null(text);
}

#define ROW "{'item':'6901234567892','qty':'380'}"
#define SNAP(applied, items) "{'v':1,'warehouse':'CK01','applied':" applied ",'items':[" items "]}"

static void test_decode_refuses(void **state)
{
    static const decode_case_t cases[] = {
        {SNAP("123", ROW), ACCEPTED, ""},
        {SNAP("123", ""), ACCEPTED, ""},
        {"{'items':[" ROW "],'applied':1,'warehouse':'CK01','v':1}\n", ACCEPTED, ""},
        /* The document. */
        {"", TT_ERR_PARSE, "not valid JSON"},
        {SNAP("1", ROW) ",", TT_ERR_PARSE, "data after the document"},
        {SNAP("1", "{'item':'69\\u0000','qty':'1'}"), TT_ERR_PARSE, "NUL"},
        {"[" SNAP("1", ROW) "]", TT_ERR_PROTO, "not a JSON object"},
        {"42", TT_ERR_PROTO, "not a JSON object"},
        /* The version, before the members: a v2 snapshot says "version". */
        {"{'warehouse':'CK01','applied':1,'items':[]}", TT_ERR_PROTO, "v: missing"},
        {"{'v':true,'warehouse':'CK01','applied':1,'items':[]}", TT_ERR_PROTO, "v: missing"},
        {"{'v':2,'warehouse':'CK01','applied':1,'items':[]}", TT_ERR_VERSION, "version 2"},
        {"{'v':2,'warehouse':'CK01','applied':1,'items':[],'site':'S1'}", TT_ERR_VERSION,
         "version 2"},
        /* The members. */
        {"{'v':1,'applied':1,'items':[]}", TT_ERR_PROTO, "missing field 'warehouse'"},
        {"{'v':1,'warehouse':'CK01','items':[]}", TT_ERR_PROTO, "missing field 'applied'"},
        {"{'v':1,'warehouse':'CK01','applied':1}", TT_ERR_PROTO, "missing field 'items'"},
        {"{'v':1,'warehouse':'CK01','applied':1,'items':[],'site':'S1'}", TT_ERR_PROTO,
         "unknown or repeated field 'site'"},
        {"{'v':1,'warehouse':'CK01','applied':1,'applied':2,'items':[]}", TT_ERR_PROTO,
         "unknown or repeated field 'applied'"},
        {"{'v':1,'warehouse':'CK01','applied':1,'items':[],'items':[]}", TT_ERR_PROTO,
         "unknown or repeated field 'items'"},
        /* The warehouse. */
        {"{'v':1,'warehouse':'','applied':1,'items':[]}", TT_ERR_PROTO, "warehouse: not a valid"},
        {"{'v':1,'warehouse':'C K','applied':1,'items':[]}", TT_ERR_PROTO, "warehouse: not a"},
        {"{'v':1,'warehouse':1,'applied':1,'items':[]}", TT_ERR_PROTO, "warehouse: not a valid"},
        /* The applied range: 0 .. 2^53 - 1, integral. */
        {SNAP("0", ROW), ACCEPTED, ""},
        {SNAP("9007199254740991", ROW), ACCEPTED, ""},
        {SNAP("1e3", ROW), ACCEPTED, ""},
        {SNAP("9007199254740992", ROW), TT_ERR_PROTO, "applied: not a sequence number"},
        {SNAP("1e300", ROW), TT_ERR_PROTO, "applied: not a sequence number"},
        {SNAP("-1", ROW), TT_ERR_PROTO, "applied: not a sequence number"},
        {SNAP("1.5", ROW), TT_ERR_PROTO, "applied: not a sequence number"},
        {SNAP("'1'", ROW), TT_ERR_PROTO, "applied: not a sequence number"},
        {SNAP("null", ROW), TT_ERR_PROTO, "applied: not a sequence number"},
        /* The items. */
        {"{'v':1,'warehouse':'CK01','applied':1,'items':{}}", TT_ERR_PROTO, "items: not an array"},
        {"{'v':1,'warehouse':'CK01','applied':1,'items':'none'}", TT_ERR_PROTO,
         "items: not an array"},
        {SNAP("1", ROW ",7"), TT_ERR_PROTO, "items[1]: not a JSON object"},
        {SNAP("1", "[]"), TT_ERR_PROTO, "items[0]: not a JSON object"},
        {SNAP("1", "{'item':'6901234567892'}"), TT_ERR_PROTO, "items[0]: missing field 'qty'"},
        {SNAP("1", "{'qty':'1'}"), TT_ERR_PROTO, "items[0]: missing field 'item'"},
        {SNAP("1", "{'item':'6901234567892','qty':'1','price':'2'}"), TT_ERR_PROTO,
         "items[0]: unknown or repeated field 'price'"},
        {SNAP("1", "{'item':'A','item':'B','qty':'1'}"), TT_ERR_PROTO,
         "items[0]: unknown or repeated field 'item'"},
        {SNAP("1", "{'item':'','qty':'1'}"), TT_ERR_PROTO, "items[0].item: not a valid item code"},
        {SNAP("1", "{'item':'69 01','qty':'1'}"), TT_ERR_PROTO, "items[0].item: not a valid"},
        {SNAP("1", "{'item':'69\\\\01','qty':'1'}"), TT_ERR_PROTO, "items[0].item: not a valid"},
        /* An escaped backslash before "u0000" is no NUL escape: the code is
         * refused for its backslash, as a protocol error. */
        {SNAP("1", "{'item':'69\\\\u0000','qty':'1'}"), TT_ERR_PROTO, "items[0].item"},
        {SNAP("1", "{'item':'锚杆','qty':'1'}"), TT_ERR_PROTO, "items[0].item: not a valid"},
        {SNAP("1", "{'item':6901234567892,'qty':'1'}"), TT_ERR_PROTO, "items[0].item: not a"},
        {SNAP("1", "{'item':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',"
                   "'qty':'1'}"),
         ACCEPTED, ""},   /* 64 bytes */
        {SNAP("1", "{'item':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',"
                   "'qty':'1'}"),
         TT_ERR_PROTO, "items[0].item: not a valid item code"},   /* 65 bytes */
        /* The quantities: decimal strings >= 0 with at most 3 decimals. */
        {SNAP("1", "{'item':'A','qty':'0'}"), ACCEPTED, ""},
        {SNAP("1", "{'item':'A','qty':'0.001'}"), ACCEPTED, ""},
        {SNAP("1", ROW ",{'item':'A','qty':'-0.001'}"), TT_ERR_PROTO,
         "items[1].qty: not a decimal string >= 0"},
        {SNAP("1", "{'item':'A','qty':'-1'}"), TT_ERR_PROTO, "items[0].qty"},
        {SNAP("1", "{'item':'A','qty':'1.0001'}"), TT_ERR_PROTO, "items[0].qty"},
        {SNAP("1", "{'item':'A','qty':'1,5'}"), TT_ERR_PROTO, "items[0].qty"},
        {SNAP("1", "{'item':'A','qty':''}"), TT_ERR_PROTO, "items[0].qty"},
        {SNAP("1", "{'item':'A','qty':1}"), TT_ERR_PROTO, "items[0].qty"},
        {SNAP("1", "{'item':'A','qty':null}"), TT_ERR_PROTO, "items[0].qty"},
        {SNAP("1", "{'item':'A','qty':'99999999999999999999'}"), TT_ERR_PROTO, "items[0].qty"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *json = q(cases[i].json), reason[160] = "";
        tt_snapshot_t *s = (tt_snapshot_t *)&s;   /* not NULL, to see it cleared */
        tt_err_t rc = tt_snapshot_decode(json, strlen(json), &s, reason, sizeof reason);
        tt_err_t want = cases[i].rc == ACCEPTED ? TT_OK : cases[i].rc;

        if (rc != want || !strstr(reason, cases[i].reason))
            fail_msg("%s: got %d '%s', expected %d '...%s...'", json, rc, reason, want,
                     cases[i].reason);
        if ((rc == TT_OK) != (s != NULL))
            fail_msg("%s: rc %d with snapshot %p", json, rc, (void *)s);
        tt_snapshot_free(s);
        free(json);
    }
}

/* Builds a snapshot message of n rows into a new string. */
static char *snapshot_of(size_t n)
{
    size_t cap = n * 32 + 128, at;
    char *json = malloc(cap);

    assert_non_null(json);
    at = (size_t)snprintf(json, cap, "{\"v\":1,\"warehouse\":\"CK01\",\"applied\":7,\"items\":[");
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(json + at, cap - at, "%s{\"item\":\"I%zu\",\"qty\":\"1\"}",
                               i ? "," : "", i);
    snprintf(json + at, cap - at, "]}");
    return json;
}

/* TT_SNAPSHOT_ITEMS_MAX rows decode; one more is TT_ERR_TOOBIG. */
static void test_decode_too_many_items(void **state)
{
    char *json = snapshot_of(TT_SNAPSHOT_ITEMS_MAX), reason[160] = "";
    tt_snapshot_t *s = NULL;
    (void)state;

    assert_int_equal(tt_snapshot_decode(json, strlen(json), &s, reason, sizeof reason), TT_OK);
    assert_int_equal(s->count, TT_SNAPSHOT_ITEMS_MAX);
    assert_string_equal(s->rows[TT_SNAPSHOT_ITEMS_MAX - 1].item, "I49999");
    tt_snapshot_free(s);
    free(json);

    json = snapshot_of(TT_SNAPSHOT_ITEMS_MAX + 1);
    s = (tt_snapshot_t *)&s;
    assert_int_equal(tt_snapshot_decode(json, strlen(json), &s, reason, sizeof reason),
                     TT_ERR_TOOBIG);
    assert_null(s);
    assert_non_null(strstr(reason, "items: 50001 items, at most 50000 allowed"));
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_req_round_trip),
        cmocka_unit_test(test_req_encode_refuses),
        cmocka_unit_test(test_req_decode_refuses),
        cmocka_unit_test(test_req_decode_reason_buffers),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_encode_refuses),
        cmocka_unit_test(test_decode_refuses),
        cmocka_unit_test(test_decode_too_many_items),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
