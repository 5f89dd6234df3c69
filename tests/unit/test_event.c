/*
 * Unit tests of shared/event: the protocol-v1 wire codec.
 *
 * The decoder faces the network, so most of this file is about refusing
 * input: every envelope fault must refuse the whole batch with the documented
 * code and a reason naming the problem, every content fault in an event whose
 * seq is readable must become a rejected item without disturbing its
 * neighbours, and no input at all may crash it.
 *
 * JSON inputs are written with ' in place of " so they stay readable; q()
 * swaps them back.  No test input needs a literal '.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"

#define TOPIC "T01"

/* 2^53, the first seq/ts/synced value outside the protocol's range. */
#define TWO_POW_53 "9007199254740992"

/* --- helpers ------------------------------------------------------------- */

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

static tt_event_t make_event(uint64_t seq, tt_event_type_t type, int64_t ts, const char *op,
                             const char *wh, const char *item, tt_qty_t qty)
{
    tt_event_t ev;

    memset(&ev, 0, sizeof ev);
    ev.seq = seq;
    ev.type = type;
    ev.ts_ms = ts;
    snprintf(ev.operator_id, sizeof ev.operator_id, "%s", op);
    snprintf(ev.body.stock.warehouse, sizeof ev.body.stock.warehouse, "%s", wh);
    snprintf(ev.body.stock.item, sizeof ev.body.stock.item, "%s", item);
    ev.body.stock.qty = qty;
    return ev;
}

static tt_event_t good_event(uint64_t seq)
{
    return make_event(seq, TT_EVENT_RECEIVE, 1764099600123LL, "zhang3", "W01", "6901234567892",
                      12500);
}

static void assert_event_equal(const tt_event_t *want, const tt_event_t *got)
{
    assert_int_equal(want->seq, got->seq);
    assert_int_equal(want->ts_ms, got->ts_ms);
    assert_string_equal(want->operator_id, got->operator_id);
    assert_int_equal(want->type, got->type);
    assert_string_equal(want->body.stock.warehouse, got->body.stock.warehouse);
    assert_string_equal(want->body.stock.item, got->body.stock.item);
    assert_int_equal(want->body.stock.qty, got->body.stock.qty);
}

/* Encodes evs[0..n-1] and builds them into a malloc'd batch message. */
static char *build_batch(const char *terminal, uint64_t synced, const tt_event_t *evs, size_t n,
                         size_t *outlen)
{
    char *enc = malloc(n * TT_EVENT_ENCODED_MAX);
    const char **ptrs = malloc(n * sizeof *ptrs);
    size_t *lens = malloc(n * sizeof *lens);
    size_t cap = n * (TT_EVENT_ENCODED_MAX + 1) + 128;
    char *buf = malloc(cap);

    assert_non_null(enc);
    assert_non_null(ptrs);
    assert_non_null(lens);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++) {
        ptrs[i] = enc + i * TT_EVENT_ENCODED_MAX;
        assert_int_equal(tt_event_encode(&evs[i], enc + i * TT_EVENT_ENCODED_MAX,
                                         TT_EVENT_ENCODED_MAX, &lens[i]),
                         TT_OK);
        assert_int_equal(strlen(ptrs[i]), lens[i]);
    }
    assert_int_equal(tt_event_batch_build(terminal, synced, ptrs, lens, n, buf, cap, outlen),
                     TT_OK);
    assert_int_equal(strlen(buf), *outlen);
    free(enc);
    free(ptrs);
    free(lens);
    return buf;
}

/* Encode -> build -> decode, then compare every field of every event. */
static void round_trip(uint64_t synced, const tt_event_t *evs, size_t n)
{
    size_t len;
    char *msg = build_batch(TOPIC, synced, evs, n, &len);
    tt_event_batch_t *b = NULL;
    char reason[TT_EVENT_REASON_MAX] = "";

    assert_int_equal(tt_event_batch_decode(msg, len, TOPIC, &b, reason, sizeof reason), TT_OK);
    assert_non_null(b);
    assert_string_equal(b->terminal, TOPIC);
    assert_int_equal(b->synced, synced);
    assert_int_equal(b->count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(b->items[i].err, TT_OK);
        assert_string_equal(b->items[i].reason, "");
        assert_event_equal(&evs[i], &b->items[i].ev);
    }
    tt_event_batch_free(b);
    free(msg);
}

/* Decodes `len` raw bytes and checks for code `want` with `needle` in the
 * reason and *out reset to NULL.  Returns 0 when all hold, else 1 with a
 * message quoting the input in msg: these checks run from tables. */
static int batch_fail_check(const char *buf, size_t len, const char *topic, tt_err_t want,
                            const char *needle, char *msg, size_t cap)
{
    tt_event_batch_t *b = (tt_event_batch_t *)&b;   /* not NULL: must be reset */
    char reason[TT_EVENT_REASON_MAX] = "";
    tt_err_t rc = tt_event_batch_decode(buf, len, topic, &b, reason, sizeof reason);

    if (rc == want && strstr(reason, needle) != NULL && b == NULL)
        return 0;
    if (rc == TT_OK)
        tt_event_batch_free(b);
    snprintf(msg, cap, "input %.*s: rc=%d reason '%s'; wanted rc=%d, reason with '%s', out NULL",
             (int)(len > 300 ? 300 : len), buf, rc, reason, want, needle);
    return 1;
}

static void expect_batch_fail_raw(const char *buf, size_t len, const char *topic, tt_err_t want,
                                  const char *needle)
{
    char msg[1024];

    if (batch_fail_check(buf, len, topic, want, needle, msg, sizeof msg))
        fail_msg("%s", msg);
}

static void expect_batch_fail(const char *json, tt_err_t want, const char *needle)
{
    char *s = q(json);
    char msg[1024];
    int bad = batch_fail_check(s, strlen(s), TOPIC, want, needle, msg, sizeof msg);

    free(s);
    if (bad)
        fail_msg("%s", msg);
}

static tt_event_batch_t *decode_ok(const char *json)
{
    char *s = q(json);
    tt_event_batch_t *b = NULL;
    char reason[TT_EVENT_REASON_MAX] = "";
    tt_err_t rc = tt_event_batch_decode(s, strlen(s), TOPIC, &b, reason, sizeof reason);

    if (rc != TT_OK || b == NULL) {
        char msg[2048];
        snprintf(msg, sizeof msg, "input %s: rc=%d reason '%s', wanted TT_OK", s, rc, reason);
        free(s);
        fail_msg("%s", msg);
    }
    free(s);
    return b;
}

static void expect_ack_fail(const char *json, tt_err_t want, const char *needle)
{
    char *s = q(json);
    tt_event_ack_t *a = (tt_event_ack_t *)&a;
    char reason[TT_EVENT_REASON_MAX] = "";
    tt_err_t rc = tt_event_ack_decode(s, strlen(s), TOPIC, &a, reason, sizeof reason);

    if (rc != want || strstr(reason, needle) == NULL || a != NULL) {
        char msg[1024];
        snprintf(msg, sizeof msg, "ack %s: rc=%d reason '%s'; wanted rc=%d, reason with '%s'", s,
                 rc, reason, want, needle);
        if (rc == TT_OK)
            tt_event_ack_free(a);
        free(s);
        fail_msg("%s", msg);
    }
    free(s);
}

/* Well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF). */
static int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        unsigned c = *p++;
        int more;
        unsigned cp, min;
        if (c < 0x80)
            continue;
        if (c >= 0xc2 && c <= 0xdf)
            more = 1, cp = c & 0x1f, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
            more = 2, cp = c & 0x0f, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4)
            more = 3, cp = c & 0x07, min = 0x10000;
        else
            return 0;
        while (more--) {
            if ((*p & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (*p++ & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
    }
    return 1;
}

/* --- names and validators ------------------------------------------------ */

static void test_type_name(void **state)
{
    (void)state;
    assert_string_equal(tt_event_type_name(TT_EVENT_RECEIVE), "receive");
    assert_string_equal(tt_event_type_name(TT_EVENT_ISSUE), "issue");
    assert_null(tt_event_type_name((tt_event_type_t)0));
    assert_string_equal(tt_event_type_name(TT_EVENT_RETURN), "return");
    assert_string_equal(tt_event_type_name(TT_EVENT_TRANSFER), "transfer");
    assert_string_equal(tt_event_type_name(TT_EVENT_COUNT), "count");
    assert_string_equal(tt_event_type_name(TT_EVENT_REVOLVE), "revolve");
    assert_string_equal(tt_event_type_name(TT_EVENT_EQUIPMENT), "equipment");
    assert_null(tt_event_type_name((tt_event_type_t)(TT_EVENT_TYPE_LAST + 1)));
    assert_null(tt_event_type_name((tt_event_type_t)-1));
    assert_null(tt_event_type_name((tt_event_type_t)1000));
}

static void test_id_valid(void **state)
{
    char id[TT_EVENT_ID_MAX + 2];
    static const char *const bad[] = {
        "", "T/01", "T+01", "T#01", "T 01", " T01", "T01 ", "T\t1", "T\n1", "T:1", "T*1",
        "T\"1", "T\\1", "T'1", "T\x7f", "T\x01", "\xc3\xa9", "T\xe5\xba\x93",
    };

    (void)state;
    assert_true(tt_event_id_valid("T01"));
    assert_true(tt_event_id_valid("a"));
    assert_true(tt_event_id_valid("AZaz09_.-"));
    assert_true(tt_event_id_valid("."));
    /* Exactly TT_EVENT_ID_MAX bytes is allowed, one more is not. */
    memset(id, 'x', TT_EVENT_ID_MAX);
    id[TT_EVENT_ID_MAX] = '\0';
    assert_true(tt_event_id_valid(id));
    id[TT_EVENT_ID_MAX] = 'x';
    id[TT_EVENT_ID_MAX + 1] = '\0';
    assert_false(tt_event_id_valid(id));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tt_event_id_valid(bad[i]))
            fail_msg("id '%s' accepted", bad[i]);
}

static void test_code_valid(void **state)
{
    char code[TT_EVENT_CODE_MAX + 2];
    char printable[0x7f - 0x21 + 1];
    size_t n = 0;
    static const char *const bad[] = {
        "", "a b", " ab", "ab ", "a\"b", "a\\b", "a\tb", "a\nb", "\x7f", "\x01",
        "\xc3\xa9", "6901234567892\xe5\xba\x93",
    };

    (void)state;
    assert_true(tt_event_code_valid("6901234567892"));
    assert_true(tt_event_code_valid("X"));
    /* Every printable ASCII byte except '"' and '\\' is allowed. */
    for (int c = 0x21; c <= 0x7e; c++)
        if (c != '"' && c != '\\')
            printable[n++] = (char)c;
    printable[n] = '\0';
    assert_true(n < TT_EVENT_CODE_MAX + 30);
    memcpy(code, printable, TT_EVENT_CODE_MAX);
    code[TT_EVENT_CODE_MAX] = '\0';
    assert_true(tt_event_code_valid(code));
    assert_true(tt_event_code_valid(printable + TT_EVENT_CODE_MAX));
    /* Exactly TT_EVENT_CODE_MAX bytes is allowed, one more is not. */
    memset(code, '7', TT_EVENT_CODE_MAX);
    code[TT_EVENT_CODE_MAX] = '\0';
    assert_true(tt_event_code_valid(code));
    code[TT_EVENT_CODE_MAX] = '7';
    code[TT_EVENT_CODE_MAX + 1] = '\0';
    assert_false(tt_event_code_valid(code));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tt_event_code_valid(bad[i]))
            fail_msg("code '%s' accepted", bad[i]);
}

static void test_validate_reasons(void **state)
{
    tt_event_t ev = good_event(1);
    char reason[TT_EVENT_REASON_MAX];

    (void)state;
    assert_int_equal(tt_event_validate(&ev, reason, sizeof reason), TT_OK);
    ev.body.stock.qty = 0;
    assert_int_equal(tt_event_validate(&ev, reason, sizeof reason), TT_ERR_INVAL);
    assert_non_null(strstr(reason, "qty"));
    ev = good_event(0);
    assert_int_equal(tt_event_validate(&ev, reason, sizeof reason), TT_ERR_INVAL);
    assert_non_null(strstr(reason, "seq"));
    ev = good_event(1);
    strcpy(ev.operator_id, "a/b");
    assert_int_equal(tt_event_validate(&ev, reason, sizeof reason), TT_ERR_INVAL);
    assert_non_null(strstr(reason, "operator"));
    /* A NULL reason buffer is allowed (tt_event_encode relies on it). */
    assert_int_equal(tt_event_validate(&ev, NULL, 0), TT_ERR_INVAL);
}

static void test_topic(void **state)
{
    char buf[TT_EVENT_TOPIC_MAX], small[32], id[TT_EVENT_ID_MAX + 1];
    size_t need = sizeof "tt/v1/t/T01/events";

    (void)state;
    assert_int_equal(tt_event_topic(buf, sizeof buf, "T01", TT_EVENT_LEAF_EVENTS), TT_OK);
    assert_string_equal(buf, "tt/v1/t/T01/events");
    assert_int_equal(tt_event_topic(buf, sizeof buf, "T01", TT_EVENT_LEAF_ACK), TT_OK);
    assert_string_equal(buf, "tt/v1/t/T01/ack");
    assert_int_equal(tt_event_topic(small, need, "T01", TT_EVENT_LEAF_EVENTS), TT_OK);
    assert_int_equal(tt_event_topic(small, need - 1, "T01", TT_EVENT_LEAF_EVENTS), TT_ERR_FULL);
    assert_int_equal(tt_event_topic(buf, sizeof buf, "T/01", TT_EVENT_LEAF_ACK), TT_ERR_INVAL);
    assert_int_equal(tt_event_topic(buf, sizeof buf, "T+", TT_EVENT_LEAF_ACK), TT_ERR_INVAL);
    assert_int_equal(tt_event_topic(buf, sizeof buf, "#", TT_EVENT_LEAF_ACK), TT_ERR_INVAL);
    assert_int_equal(tt_event_topic(buf, sizeof buf, "", TT_EVENT_LEAF_ACK), TT_ERR_INVAL);
    /* The longest id with the longest leaf fits TT_EVENT_TOPIC_MAX. */
    memset(id, 'i', TT_EVENT_ID_MAX);
    id[TT_EVENT_ID_MAX] = '\0';
    assert_int_equal(tt_event_topic(buf, sizeof buf, id, TT_EVENT_LEAF_STATUS), TT_OK);
    assert_int_equal(tt_event_topic(buf, sizeof buf, id, TT_EVENT_LEAF_EVENTS), TT_OK);
}

static void test_topic_parse(void **state)
{
    char terminal[TT_EVENT_ID_MAX + 1];
    const char *leaf = NULL;
    char topic[128];
    static const char *const bad[] = {
        "", "tt/v1/t/", "tt/v1/t/T01", "tt/v1/t//events", "tt/v1/t/T01/events/x",
        "tt/v2/t/T01/events", "tt/v1/T01/events", "/tt/v1/t/T01/events", "TT/v1/t/T01/events",
        "tt/v1/t/T+/events", "tt/v1/t/#/events", "tt/v1/t/T 1/events", "tt/v1/server/status",
        "tt/v1/t/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/events",
    };

    (void)state;
    assert_int_equal(tt_event_topic_parse("tt/v1/t/T01/events", terminal, &leaf), TT_OK);
    assert_string_equal(terminal, "T01");
    assert_string_equal(leaf, "events");
    assert_int_equal(tt_event_topic_parse("tt/v1/t/a.b-c_D/ack", terminal, &leaf), TT_OK);
    assert_string_equal(terminal, "a.b-c_D");
    assert_string_equal(leaf, "ack");
    /* Round trip with the longest id. */
    memset(terminal, 'z', TT_EVENT_ID_MAX);
    terminal[TT_EVENT_ID_MAX] = '\0';
    assert_int_equal(tt_event_topic(topic, sizeof topic, terminal, TT_EVENT_LEAF_STATUS), TT_OK);
    memset(terminal, 0, sizeof terminal);
    assert_int_equal(tt_event_topic_parse(topic, terminal, &leaf), TT_OK);
    assert_int_equal(strlen(terminal), TT_EVENT_ID_MAX);
    assert_string_equal(leaf, TT_EVENT_LEAF_STATUS);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tt_event_topic_parse(bad[i], terminal, &leaf) != TT_ERR_INVAL)
            fail_msg("topic '%s' parsed", bad[i]);
}

/* --- encoding and building ----------------------------------------------- */

static void test_round_trip_receive(void **state)
{
    tt_event_t ev = good_event(17);

    (void)state;
    round_trip(16, &ev, 1);
}

static void test_round_trip_issue(void **state)
{
    tt_event_t ev = make_event(5, TT_EVENT_ISSUE, 1700000000000LL, "li4", "W-02.b", "A_b-c.9",
                               3000);

    (void)state;
    round_trip(0, &ev, 1);
}

static void test_round_trip_many(void **state)
{
    char maxid[TT_EVENT_ID_MAX + 1], maxcode[TT_EVENT_CODE_MAX + 1];
    tt_event_t evs[6];

    (void)state;
    memset(maxid, 'z', TT_EVENT_ID_MAX);
    maxid[TT_EVENT_ID_MAX] = '\0';
    memset(maxcode, '!', TT_EVENT_CODE_MAX);
    maxcode[TT_EVENT_CODE_MAX] = '\0';
    /* Decimal quantities, ts at both ends, gaps between seqs, longest ids
     * and codes, and the largest quantity there is. */
    evs[0] = make_event(1, TT_EVENT_RECEIVE, 0, "op", "W01", "A", 12500);        /* 12.5 */
    evs[1] = make_event(2, TT_EVENT_ISSUE, 1, "op", "W01", "A", 1);              /* 0.001 */
    evs[2] = make_event(1000, TT_EVENT_RECEIVE, (int64_t)TT_EVENT_SEQ_MAX, maxid, maxid,
                        maxcode, INT64_MAX);
    evs[3] = make_event(1001, TT_EVENT_ISSUE, 1764099600123LL, "x", "y", "a~{}[]:,'`", 999);
    evs[4] = make_event(TT_EVENT_SEQ_MAX - 1, TT_EVENT_ISSUE, 5, "op", "W01", "B", 1000000);
    evs[5] = make_event(TT_EVENT_SEQ_MAX, TT_EVENT_RECEIVE, 6, "op", "W01", "C", 1234567);
    round_trip(TT_EVENT_SEQ_MAX, evs, 6);
}

static void test_round_trip_max_batch(void **state)
{
    tt_event_t *evs = malloc(TT_EVENT_BATCH_MAX * sizeof *evs);

    (void)state;
    assert_non_null(evs);
    for (size_t i = 0; i < TT_EVENT_BATCH_MAX; i++)
        evs[i] = make_event(i + 1, i % 2 ? TT_EVENT_ISSUE : TT_EVENT_RECEIVE, (int64_t)i, "op",
                            "W01", "6901234567892", (tt_qty_t)i + 1);
    round_trip(0, evs, TT_EVENT_BATCH_MAX);
    free(evs);
}

static void test_encode_text(void **state)
{
    tt_event_t ev = good_event(17);
    char buf[TT_EVENT_ENCODED_MAX];
    size_t len = 0;
    char *want = q("{'seq':17,'ts':1764099600123,'operator':'zhang3','type':'receive',"
                   "'body':{'warehouse':'W01','item':'6901234567892','qty':'12.5'}}");

    (void)state;
    assert_int_equal(tt_event_encode(&ev, buf, sizeof buf, &len), TT_OK);
    assert_string_equal(buf, want);
    assert_int_equal(len, strlen(want));
    free(want);
}

/* The longest event must fit TT_EVENT_ENCODED_MAX, as its comment promises. */
static void test_encode_longest_fits(void **state)
{
    char id[TT_EVENT_ID_MAX + 1], code[TT_EVENT_CODE_MAX + 1];
    char buf[TT_EVENT_ENCODED_MAX];
    size_t len;
    tt_event_t ev;

    (void)state;
    memset(id, 'i', TT_EVENT_ID_MAX);
    id[TT_EVENT_ID_MAX] = '\0';
    memset(code, 'c', TT_EVENT_CODE_MAX);
    code[TT_EVENT_CODE_MAX] = '\0';
    ev = make_event(TT_EVENT_SEQ_MAX, TT_EVENT_RECEIVE, (int64_t)TT_EVENT_SEQ_MAX, id, id, code,
                    INT64_MAX);
    assert_int_equal(tt_event_encode(&ev, buf, sizeof buf, &len), TT_OK);
    assert_true(len < TT_EVENT_ENCODED_MAX);
}

static void test_encode_rejects(void **state)
{
    char buf[TT_EVENT_ENCODED_MAX];
    char longid[TT_EVENT_ID_MAX + 2], longcode[TT_EVENT_CODE_MAX + 2];
    static const char *const bad_ids[] = {"a/b", "a+b", "a#b", "a b", "", "\xc3\xa9"};
    static const char *const bad_codes[] = {"a\"b", "a\\b", "a b", "\xc3\xa9", "", "a\tb"};
    size_t len = 12345;
    tt_event_t ev;

    (void)state;
    memset(longid, 'a', TT_EVENT_ID_MAX + 1);
    longid[TT_EVENT_ID_MAX + 1] = '\0';
    memset(longcode, 'a', TT_EVENT_CODE_MAX + 1);
    longcode[TT_EVENT_CODE_MAX + 1] = '\0';

    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        ev = good_event(1);
        strcpy(ev.operator_id, bad_ids[i]);
        if (tt_event_encode(&ev, buf, sizeof buf, &len) != TT_ERR_INVAL)
            fail_msg("operator '%s' encoded", bad_ids[i]);
        ev = good_event(1);
        strcpy(ev.body.stock.warehouse, bad_ids[i]);
        if (tt_event_encode(&ev, buf, sizeof buf, &len) != TT_ERR_INVAL)
            fail_msg("warehouse '%s' encoded", bad_ids[i]);
    }
    /* The id fields hold TT_EVENT_ID_MAX + 1 bytes, so an over-long id can
     * only arrive unterminated inside the struct; the item field follows the
     * warehouse, so check the over-long case through the validator. */
    assert_false(tt_event_id_valid(longid));
    for (size_t i = 0; i < sizeof bad_codes / sizeof bad_codes[0]; i++) {
        ev = good_event(1);
        strcpy(ev.body.stock.item, bad_codes[i]);
        if (tt_event_encode(&ev, buf, sizeof buf, &len) != TT_ERR_INVAL)
            fail_msg("item '%s' encoded", bad_codes[i]);
    }
    assert_false(tt_event_code_valid(longcode));

    ev = good_event(1);
    ev.body.stock.qty = 0;
    assert_int_equal(tt_event_encode(&ev, buf, sizeof buf, &len), TT_ERR_INVAL);
    ev.body.stock.qty = -1;
    assert_int_equal(tt_event_encode(&ev, buf, sizeof buf, &len), TT_ERR_INVAL);
    ev.body.stock.qty = INT64_MIN;
    assert_int_equal(tt_event_encode(&ev, buf, sizeof buf, &len), TT_ERR_INVAL);
    ev = good_event(0);
    assert_int_equal(tt_event_encode(&ev, buf, sizeof buf, &len), TT_ERR_INVAL);
    ev = good_event(TT_EVENT_SEQ_MAX + 1);
    assert_int_equal(tt_event_encode(&ev, buf, sizeof buf, &len), TT_ERR_INVAL);
    ev = good_event(1);
    ev.ts_ms = -1;
    assert_int_equal(tt_event_encode(&ev, buf, sizeof buf, &len), TT_ERR_INVAL);
    ev.ts_ms = (int64_t)TT_EVENT_SEQ_MAX + 1;
    assert_int_equal(tt_event_encode(&ev, buf, sizeof buf, &len), TT_ERR_INVAL);
    ev = good_event(1);
    ev.type = (tt_event_type_t)0;
    assert_int_equal(tt_event_encode(&ev, buf, sizeof buf, &len), TT_ERR_INVAL);
    ev.type = (tt_event_type_t)3;
    assert_int_equal(tt_event_encode(&ev, buf, sizeof buf, &len), TT_ERR_INVAL);
    assert_int_equal(len, 12345);   /* *outlen untouched on failure */
}

static void test_encode_full(void **state)
{
    tt_event_t ev = good_event(1);
    char buf[TT_EVENT_ENCODED_MAX], small[TT_EVENT_ENCODED_MAX];
    size_t len, len2 = 777;

    (void)state;
    assert_int_equal(tt_event_encode(&ev, buf, sizeof buf, &len), TT_OK);
    /* The NUL must fit too: len bytes of room is one short. */
    assert_int_equal(tt_event_encode(&ev, small, len, &len2), TT_ERR_FULL);
    assert_int_equal(tt_event_encode(&ev, small, 1, &len2), TT_ERR_FULL);
    assert_int_equal(tt_event_encode(&ev, NULL, 0, &len2), TT_ERR_FULL);
    assert_int_equal(len2, 777);
    assert_int_equal(tt_event_encode(&ev, small, len + 1, &len2), TT_OK);
    assert_int_equal(len2, len);
    assert_string_equal(small, buf);
}

static void test_batch_build_errors(void **state)
{
    tt_event_t ev = good_event(1);
    char enc[TT_EVENT_ENCODED_MAX], buf[2048], exact[2048];
    const char *ptrs[2] = {enc, enc};
    size_t lens[2], len, need, len2 = 999;
    const char **many;
    size_t *manylens;

    (void)state;
    assert_int_equal(tt_event_encode(&ev, enc, sizeof enc, &lens[0]), TT_OK);
    lens[1] = lens[0];

    /* Count and terminal. */
    assert_int_equal(tt_event_batch_build(TOPIC, 0, ptrs, lens, 0, buf, sizeof buf, &len2),
                     TT_ERR_INVAL);
    assert_int_equal(tt_event_batch_build("T/01", 0, ptrs, lens, 1, buf, sizeof buf, &len2),
                     TT_ERR_INVAL);
    assert_int_equal(tt_event_batch_build("", 0, ptrs, lens, 1, buf, sizeof buf, &len2),
                     TT_ERR_INVAL);
    assert_int_equal(tt_event_batch_build("T 1", 0, ptrs, lens, 1, buf, sizeof buf, &len2),
                     TT_ERR_INVAL);
    assert_int_equal(tt_event_batch_build(TOPIC, TT_EVENT_SEQ_MAX + 1, ptrs, lens, 1, buf,
                                          sizeof buf, &len2),
                     TT_ERR_INVAL);
    many = malloc((TT_EVENT_BATCH_MAX + 1) * sizeof *many);
    manylens = malloc((TT_EVENT_BATCH_MAX + 1) * sizeof *manylens);
    assert_non_null(many);
    assert_non_null(manylens);
    for (size_t i = 0; i <= TT_EVENT_BATCH_MAX; i++) {
        many[i] = enc;
        manylens[i] = lens[0];
    }
    assert_int_equal(tt_event_batch_build(TOPIC, 0, many, manylens, TT_EVENT_BATCH_MAX + 1, buf,
                                          sizeof buf, &len2),
                     TT_ERR_INVAL);
    free(many);
    free(manylens);

    /* Capacity: exactly enough (text plus NUL) works, one byte less is FULL,
     * and nothing is written past `cap`. */
    assert_int_equal(tt_event_batch_build(TOPIC, 7, ptrs, lens, 2, buf, sizeof buf, &len), TT_OK);
    need = len + 1;
    for (size_t cap = 0; cap < need; cap++) {
        memset(exact, '#', sizeof exact);
        if (tt_event_batch_build(TOPIC, 7, ptrs, lens, 2, exact, cap, &len2) != TT_ERR_FULL)
            fail_msg("cap %zu of %zu needed: not TT_ERR_FULL", cap, need);
        for (size_t k = cap; k < sizeof exact; k++)
            if (exact[k] != '#')
                fail_msg("cap %zu: byte %zu written", cap, k);
    }
    assert_int_equal(len2, 999);
    assert_int_equal(tt_event_batch_build(TOPIC, 7, ptrs, lens, 2, exact, need, &len2), TT_OK);
    assert_int_equal(len2, len);
    assert_string_equal(exact, buf);
}

/* --- batch decode: the envelope ------------------------------------------ */

#define EV_GOOD1                                                                              \
    "{'seq':1,'ts':1764099600123,'operator':'zhang3','type':'receive',"                     \
    "'body':{'warehouse':'W01','item':'6901234567892','qty':'12.5'}}"
#define EV_GOOD3                                                                              \
    "{'seq':3,'ts':1764099600999,'operator':'li4','type':'issue',"                          \
    "'body':{'warehouse':'W02','item':'X-1','qty':'0.001'}}"
#define BATCH(events) "{'v':1,'terminal':'T01','synced':0,'events':[" events "]}"

static void test_decode_good_text(void **state)
{
    tt_event_batch_t *b;
    tt_event_t want1 = good_event(1);
    tt_event_t want3 = make_event(3, TT_EVENT_ISSUE, 1764099600999LL, "li4", "W02", "X-1", 1);

    (void)state;
    b = decode_ok(BATCH(EV_GOOD1 "," EV_GOOD3));
    assert_int_equal(b->count, 2);
    assert_int_equal(b->synced, 0);
    assert_event_equal(&want1, &b->items[0].ev);
    assert_event_equal(&want3, &b->items[1].ev);
    tt_event_batch_free(b);

    /* Member order, whitespace, unicode escapes of plain characters, and
     * integral numbers written with a fraction or exponent are all JSON. */
    b = decode_ok(" {\n 'events' : [ { 'body' : { 'qty':'2', 'item':'\\u0041BC', "
                  "'warehouse':'W' }, 'type':'issue', 'operator':'o', 'ts':5.0, 'seq':1e1 } ],\t"
                  "'synced':9, 'terminal':'T01', 'v':1 } \r\n");
    assert_int_equal(b->count, 1);
    assert_int_equal(b->synced, 9);
    assert_int_equal(b->items[0].err, TT_OK);
    assert_int_equal(b->items[0].ev.seq, 10);
    assert_int_equal(b->items[0].ev.ts_ms, 5);
    assert_string_equal(b->items[0].ev.body.stock.item, "ABC");
    assert_int_equal(b->items[0].ev.body.stock.qty, 2000);
    tt_event_batch_free(b);

    /* synced and ts at the top of their range. */
    b = decode_ok("{'v':1,'terminal':'T01','synced':9007199254740991,'events':["
                  "{'seq':9007199254740991,'ts':9007199254740991,'operator':'o','type':'issue',"
                  "'body':{'warehouse':'W','item':'I','qty':'1'}}]}");
    assert_int_equal(b->synced, TT_EVENT_SEQ_MAX);
    assert_int_equal(b->items[0].ev.seq, TT_EVENT_SEQ_MAX);
    assert_int_equal(b->items[0].ev.ts_ms, (int64_t)TT_EVENT_SEQ_MAX);
    tt_event_batch_free(b);
}

/* The buffer need not be NUL-terminated: bytes past `len` are not read. */
static void test_decode_unterminated(void **state)
{
    char *s = q(BATCH(EV_GOOD1));
    size_t len = strlen(s);
    char *buf = malloc(len);
    tt_event_batch_t *b = NULL;
    char reason[TT_EVENT_REASON_MAX];

    (void)state;
    assert_non_null(buf);
    memcpy(buf, s, len);   /* exactly len bytes: ASan catches any over-read */
    assert_int_equal(tt_event_batch_decode(buf, len, TOPIC, &b, reason, sizeof reason), TT_OK);
    assert_int_equal(b->count, 1);
    tt_event_batch_free(b);
    free(buf);
    free(s);
}

static void test_decode_not_json(void **state)
{
    char *s = q(BATCH(EV_GOOD1 "," EV_GOOD3));
    size_t len = strlen(s);

    (void)state;
    expect_batch_fail_raw("", 0, TOPIC, TT_ERR_PARSE, "JSON");
    expect_batch_fail("hello", TT_ERR_PARSE, "JSON");
    expect_batch_fail("{", TT_ERR_PARSE, "JSON");
    expect_batch_fail("{'v':1,}", TT_ERR_PARSE, "JSON");
    expect_batch_fail("{'v':1 'terminal':'T01'}", TT_ERR_PARSE, "JSON");
    expect_batch_fail("{v:1}", TT_ERR_PARSE, "JSON");
    expect_batch_fail("{'v':01x}", TT_ERR_PARSE, "JSON");
    expect_batch_fail("{'v':NaN}", TT_ERR_PARSE, "JSON");
    expect_batch_fail("{'v':Infinity}", TT_ERR_PARSE, "JSON");
    expect_batch_fail("{'v':+1}", TT_ERR_PARSE, "JSON");
    expect_batch_fail("{'terminal':'T\\x41'}", TT_ERR_PARSE, "JSON");     /* bad escape */
    expect_batch_fail("{'terminal':'\\uD800'}", TT_ERR_PARSE, "JSON");    /* lone surrogate */
    /* Every proper prefix of a valid batch is truncated JSON. */
    for (size_t n = 0; n < len; n++)
        expect_batch_fail_raw(s, n, TOPIC, TT_ERR_PARSE, "JSON");
    /* A raw NUL byte anywhere refuses the message. */
    s[20] = '\0';
    expect_batch_fail_raw(s, len, TOPIC, TT_ERR_PARSE, "NUL");
    free(s);
}

/* A message is one JSON value; anything but whitespace after it makes the
 * message "not JSON" (TT_ERR_PARSE), not a batch with junk ignored. */
static void test_decode_trailing_garbage(void **state)
{
    tt_event_batch_t *b;

    (void)state;
    b = decode_ok(BATCH(EV_GOOD1) " \n\t\r");
    tt_event_batch_free(b);
    expect_batch_fail(BATCH(EV_GOOD1) "garbage", TT_ERR_PARSE, "JSON");
    expect_batch_fail(BATCH(EV_GOOD1) "}", TT_ERR_PARSE, "JSON");
    expect_batch_fail(BATCH(EV_GOOD1) "{'v':2}", TT_ERR_PARSE, "JSON");
    expect_batch_fail(BATCH(EV_GOOD1) BATCH(EV_GOOD3), TT_ERR_PARSE, "JSON");
}

static void test_decode_not_object(void **state)
{
    (void)state;
    expect_batch_fail("[" BATCH(EV_GOOD1) "]", TT_ERR_PROTO, "not a JSON object");
    expect_batch_fail("[]", TT_ERR_PROTO, "not a JSON object");
    expect_batch_fail("42", TT_ERR_PROTO, "not a JSON object");
    expect_batch_fail("-1.5e3", TT_ERR_PROTO, "not a JSON object");
    expect_batch_fail("'batch'", TT_ERR_PROTO, "not a JSON object");
    expect_batch_fail("true", TT_ERR_PROTO, "not a JSON object");
    expect_batch_fail("false", TT_ERR_PROTO, "not a JSON object");
    expect_batch_fail("null", TT_ERR_PROTO, "not a JSON object");
}

static void test_decode_version(void **state)
{
    (void)state;
    expect_batch_fail("{'terminal':'T01','synced':0,'events':[" EV_GOOD1 "]}", TT_ERR_PROTO,
                      "v:");
    expect_batch_fail("{'v':'1','terminal':'T01','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "v:");
    expect_batch_fail("{'v':1.5,'terminal':'T01','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "v:");
    expect_batch_fail("{'v':-1,'terminal':'T01','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "v:");
    expect_batch_fail("{'v':true,'terminal':'T01','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "v:");
    expect_batch_fail("{'v':null,'terminal':'T01','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "v:");
    expect_batch_fail("{'v':[1],'terminal':'T01','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "v:");
    expect_batch_fail("{'v':{},'terminal':'T01','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "v:");
    /* A well-formed other version is TT_ERR_VERSION, named in the reason,
     * whatever the rest of the message looks like. */
    expect_batch_fail("{'v':2,'terminal':'T01','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_VERSION, "version 2");
    expect_batch_fail("{'v':0,'terminal':'T01','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_VERSION, "version 0");
    expect_batch_fail("{'v':2,'terminal':'T01','synced':0,'events':'v2 payload'}",
                      TT_ERR_VERSION, "version 2");
}

static void test_decode_envelope_fields(void **state)
{
    (void)state;
    expect_batch_fail("{'v':1,'terminal':'T01','synced':0,'events':[" EV_GOOD1 "],'extra':1}",
                      TT_ERR_PROTO, "'extra'");
    expect_batch_fail("{'v':1,'Terminal':'T01','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "'Terminal'");
    expect_batch_fail("{'v':1,'terminal':'T01','terminal':'T01','synced':0,'events':[" EV_GOOD1
                      "]}",
                      TT_ERR_PROTO, "'terminal'");
    expect_batch_fail("{'v':1,'v':1,'terminal':'T01','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "'v'");
    expect_batch_fail("{'v':1,'terminal':'T01','synced':0,'events':[" EV_GOOD1 "],'events':["
                      EV_GOOD3 "]}",
                      TT_ERR_PROTO, "'events'");
    expect_batch_fail("{'v':1,'terminal':'T01','synced':0,'synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "'synced'");
}

/* An empty member name is an unknown field like any other, and the reason
 * must say so, not claim the object is something else. */
static void test_decode_empty_field_name(void **state)
{
    tt_event_batch_t *b;

    (void)state;
    expect_batch_fail("{'v':1,'terminal':'T01','synced':0,'events':[" EV_GOOD1 "],'':1}",
                      TT_ERR_PROTO, "field");
    b = decode_ok(BATCH("{'seq':2,'ts':5,'operator':'op','type':'receive',"
                        "'body':{'warehouse':'W01','item':'A','qty':'1','':1}}"));
    assert_true(b->items[0].err < 0);
    if (strstr(b->items[0].reason, "field") == NULL) {
        char reason[TT_EVENT_REASON_MAX];
        memcpy(reason, b->items[0].reason, sizeof reason);
        tt_event_batch_free(b);
        fail_msg("body with member '': reason '%s' does not name an unknown field", reason);
    }
    tt_event_batch_free(b);
}

static void test_decode_terminal(void **state)
{
    char *s;

    (void)state;
    expect_batch_fail("{'v':1,'synced':0,'events':[" EV_GOOD1 "]}", TT_ERR_PROTO, "terminal");
    expect_batch_fail("{'v':1,'terminal':'','synced':0,'events':[" EV_GOOD1 "]}", TT_ERR_PROTO,
                      "terminal");
    expect_batch_fail("{'v':1,'terminal':'T/01','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "terminal");
    expect_batch_fail("{'v':1,'terminal':'T+','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "terminal");
    expect_batch_fail("{'v':1,'terminal':'T 01','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "terminal");
    expect_batch_fail("{'v':1,'terminal':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','synced':0,"
                      "'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "terminal");
    expect_batch_fail("{'v':1,'terminal':1,'synced':0,'events':[" EV_GOOD1 "]}", TT_ERR_PROTO,
                      "terminal");
    expect_batch_fail("{'v':1,'terminal':null,'synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "terminal");
    expect_batch_fail("{'v':1,'terminal':['T01'],'synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "terminal");
    expect_batch_fail("{'v':1,'terminal':true,'synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "terminal");
    /* A valid id that is not the topic's is a denial naming both ids. */
    s = q(BATCH(EV_GOOD1));
    expect_batch_fail_raw(s, strlen(s), "T02", TT_ERR_DENIED, "T01");
    expect_batch_fail_raw(s, strlen(s), "T02", TT_ERR_DENIED, "T02");
    expect_batch_fail_raw(s, strlen(s), "t01", TT_ERR_DENIED, "does not match");
    expect_batch_fail_raw(s, strlen(s), "T0", TT_ERR_DENIED, "does not match");
    expect_batch_fail_raw(s, strlen(s), "T011", TT_ERR_DENIED, "does not match");
    free(s);
}

static void test_decode_synced(void **state)
{
    (void)state;
    expect_batch_fail("{'v':1,'terminal':'T01','events':[" EV_GOOD1 "]}", TT_ERR_PROTO,
                      "synced");
    expect_batch_fail("{'v':1,'terminal':'T01','synced':-1,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "synced");
    expect_batch_fail("{'v':1,'terminal':'T01','synced':'0','events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "synced");
    expect_batch_fail("{'v':1,'terminal':'T01','synced':1.5,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "synced");
    expect_batch_fail("{'v':1,'terminal':'T01','synced':null,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "synced");
    expect_batch_fail("{'v':1,'terminal':'T01','synced':" TWO_POW_53 ",'events':[" EV_GOOD1
                      "]}",
                      TT_ERR_PROTO, "synced");
    expect_batch_fail("{'v':1,'terminal':'T01','synced':1e300,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PROTO, "synced");
}

static void test_decode_events_list(void **state)
{
    (void)state;
    expect_batch_fail("{'v':1,'terminal':'T01','synced':0}", TT_ERR_PROTO, "events");
    expect_batch_fail("{'v':1,'terminal':'T01','synced':0,'events':" EV_GOOD1 "}",
                      TT_ERR_PROTO, "events");
    expect_batch_fail("{'v':1,'terminal':'T01','synced':0,'events':'x'}", TT_ERR_PROTO,
                      "events");
    expect_batch_fail("{'v':1,'terminal':'T01','synced':0,'events':null}", TT_ERR_PROTO,
                      "events");
    expect_batch_fail("{'v':1,'terminal':'T01','synced':0,'events':3}", TT_ERR_PROTO, "events");
    expect_batch_fail("{'v':1,'terminal':'T01','synced':0,'events':[]}", TT_ERR_PROTO,
                      "events");
}

static void test_decode_too_many(void **state)
{
    /* Too many events is TOOBIG before any event is looked at, so empty
     * objects will do. */
    size_t cap = 64 + (TT_EVENT_BATCH_MAX + 1) * 3;
    char *buf = malloc(cap);
    size_t len;

    (void)state;
    assert_non_null(buf);
    len = (size_t)snprintf(buf, cap, "{\"v\":1,\"terminal\":\"T01\",\"synced\":0,\"events\":[");
    for (size_t i = 0; i <= TT_EVENT_BATCH_MAX; i++)
        len += (size_t)snprintf(buf + len, cap - len, i ? ",{}" : "{}");
    len += (size_t)snprintf(buf + len, cap - len, "]}");
    expect_batch_fail_raw(buf, len, TOPIC, TT_ERR_TOOBIG, "5001");
    free(buf);
}

static void test_decode_bad_seq_refuses_batch(void **state)
{
#define REST "'ts':5,'operator':'op','type':'receive','body':{'warehouse':'W','item':'A','qty':'1'}}"
    static const char *const events[] = {
        "1",
        "'event'",
        "null",
        "true",
        "[" EV_GOOD1 "]",
        "[[[]]]",
        "{" REST,
        "{'seq':'2'," REST,
        "{'seq':-2," REST,
        "{'seq':1.5," REST,
        "{'seq':0," REST,
        "{'seq':-0," REST,
        "{'seq':" TWO_POW_53 "," REST,
        "{'seq':1e300," REST,
        "{'seq':null," REST,
        "{'seq':true," REST,
        "{'seq':[2]," REST,
        "{'seq':{'n':2}," REST,
        "{'Seq':2," REST,
        "{}",
    };
#undef REST
    char json[1024];

    (void)state;
    /* As the only event, and after a good one (the good one does not save
     * the batch, and the reason names the index). */
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        snprintf(json, sizeof json, BATCH("%s"), events[i]);
        expect_batch_fail(json, TT_ERR_PROTO, "events[0]");
        expect_batch_fail(json, TT_ERR_PROTO, "seq");
        snprintf(json, sizeof json, BATCH(EV_GOOD1 ",%s," EV_GOOD3), events[i]);
        expect_batch_fail(json, TT_ERR_PROTO, "events[1]");
        expect_batch_fail(json, TT_ERR_PROTO, "seq");
    }
}

static void test_decode_seq_order(void **state)
{
    tt_event_batch_t *b;

    (void)state;
    expect_batch_fail(BATCH(EV_GOOD1 "," EV_GOOD1), TT_ERR_PROTO, "events[1]: seq 1");
    expect_batch_fail(BATCH(EV_GOOD3 "," EV_GOOD1), TT_ERR_PROTO, "events[1]: seq 1");
    expect_batch_fail(BATCH(EV_GOOD1 "," EV_GOOD3 "," EV_GOOD3), TT_ERR_PROTO, "events[2]");
    /* The order check covers rejected items too: a bad event reusing seq 1
     * still breaks the batch. */
    expect_batch_fail(BATCH(EV_GOOD1 ",{'seq':1,'junk':true}"), TT_ERR_PROTO, "not above");
    /* Gaps are fine. */
    b = decode_ok(BATCH(EV_GOOD1 "," EV_GOOD3));
    assert_int_equal(b->items[1].ev.seq, 3);
    tt_event_batch_free(b);
}

/* --- batch decode: per-event rejections ---------------------------------- */

#define TS "'ts':5"
#define OP "'operator':'op'"
#define TY "'type':'receive'"
#define BD "'body':{'warehouse':'W01','item':'A','qty':'1'}"
#define BODY(w, i, qt) "'body':{'warehouse':" w ",'item':" i ",'qty':" qt "}"

static const struct {
    const char *event;   /* event with seq 2, placed between seq 1 and seq 3 */
    const char *needle;  /* must appear in the item's reason */
} rejected_cases[] = {
    {"{'seq':2," TS "," OP "," TY "," BD ",'extra':1}", "'extra'"},
    {"{'seq':2," TS "," OP "," TY "," BD ",'Body':{}}", "'Body'"},
    {"{'seq':2,'seq':2," TS "," OP "," TY "," BD "}", "'seq'"},
    {"{'seq':2," TS "," TS "," OP "," TY "," BD "}", "'ts'"},
    {"{'seq':2," OP "," TY "," BD "}", "ts"},
    {"{'seq':2,'ts':-1," OP "," TY "," BD "}", "ts"},
    {"{'seq':2,'ts':'5'," OP "," TY "," BD "}", "ts"},
    {"{'seq':2,'ts':1.5," OP "," TY "," BD "}", "ts"},
    {"{'seq':2,'ts':" TWO_POW_53 "," OP "," TY "," BD "}", "ts"},
    {"{'seq':2,'ts':true," OP "," TY "," BD "}", "ts"},
    {"{'seq':2,'ts':null," OP "," TY "," BD "}", "ts"},
    {"{'seq':2,'ts':[5]," OP "," TY "," BD "}", "ts"},
    {"{'seq':2," TS "," TY "," BD "}", "operator"},
    {"{'seq':2," TS ",'operator':''," TY "," BD "}", "operator"},
    {"{'seq':2," TS ",'operator':'a/b'," TY "," BD "}", "operator"},
    {"{'seq':2," TS ",'operator':'a#'," TY "," BD "}", "operator"},
    {"{'seq':2," TS ",'operator':'a+'," TY "," BD "}", "operator"},
    {"{'seq':2," TS ",'operator':'zhang 3'," TY "," BD "}", "operator"},
    {"{'seq':2," TS ",'operator':'\\u5f20\\u4e09'," TY "," BD "}", "operator"},
    {"{'seq':2," TS ",'operator':'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'," TY "," BD "}", "operator"},
    {"{'seq':2," TS ",'operator':7," TY "," BD "}", "operator"},
    {"{'seq':2," TS ",'operator':null," TY "," BD "}", "operator"},
    {"{'seq':2," TS ",'operator':['op']," TY "," BD "}", "operator"},
    {"{'seq':2," TS "," OP "," BD "}", "type"},
    {"{'seq':2," TS "," OP ",'type':'teleport'," BD "}", "type"},
    {"{'seq':2," TS "," OP ",'type':'RECEIVE'," BD "}", "type"},
    {"{'seq':2," TS "," OP ",'type':''," BD "}", "type"},
    {"{'seq':2," TS "," OP ",'type':'receiveeeeeeeeeeeeeeeeeeee'," BD "}", "type"},
    {"{'seq':2," TS "," OP ",'type':1," BD "}", "type"},
    {"{'seq':2," TS "," OP ",'type':null," BD "}", "type"},
    {"{'seq':2," TS "," OP ",'type':[['receive']]," BD "}", "type"},
    {"{'seq':2," TS "," OP "," TY "}", "body"},
    {"{'seq':2," TS "," OP "," TY ",'body':'W01 A 1'}", "body: not an object"},
    {"{'seq':2," TS "," OP "," TY ",'body':['W01','A','1']}", "body: not an object"},
    {"{'seq':2," TS "," OP "," TY ",'body':null}", "body: not an object"},
    {"{'seq':2," TS "," OP "," TY ",'body':true}", "body: not an object"},
    {"{'seq':2," TS "," OP "," TY ",'body':{}}", "warehouse"},
    {"{'seq':2," TS "," OP "," TY ",'body':{'warehouse':'W01','item':'A','qty':'1','price':'2'}}",
     "'price'"},
    {"{'seq':2," TS "," OP "," TY ",'body':{'warehouse':'W01','item':'A','item':'A','qty':'1'}}",
     "'item'"},
    {"{'seq':2," TS "," OP "," TY ",'body':{'item':'A','qty':'1'}}", "warehouse"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W 01'", "'A'", "'1'") "}", "warehouse"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W/01'", "'A'", "'1'") "}", "warehouse"},
    {"{'seq':2," TS "," OP "," TY "," BODY("''", "'A'", "'1'") "}", "warehouse"},
    {"{'seq':2," TS "," OP "," TY "," BODY("1", "'A'", "'1'") "}", "warehouse"},
    {"{'seq':2," TS "," OP "," TY "," BODY("null", "'A'", "'1'") "}", "warehouse"},
    {"{'seq':2," TS "," OP "," TY "," BODY("{}", "'A'", "'1'") "}", "warehouse"},
    {"{'seq':2," TS "," OP "," TY ",'body':{'warehouse':'W01','qty':'1'}}", "item"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'ab cd'", "'1'") "}", "item"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "''", "'1'") "}", "item"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'a\\'b'", "'1'") "}", "item"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'a\\\\b'", "'1'") "}", "item"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'a\\tb'", "'1'") "}", "item"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'a\\u0001b'", "'1'") "}", "item"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'caf\\u00e9'", "'1'") "}", "item"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'caf\xc3\xa9'", "'1'") "}", "item"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'\xe5\xba\x93'", "'1'") "}", "item"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'\x7f'", "'1'") "}", "item"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'",
      "'12345678901234567890123456789012345678901234567890123456789012345'", "'1'") "}", "item"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "6901234567892", "'1'") "}", "item"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "true", "'1'") "}", "item"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "['A']", "'1'") "}", "item"},
    {"{'seq':2," TS "," OP "," TY ",'body':{'warehouse':'W01','item':'A'}}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "1") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "12.5") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "null") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "['1']") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "'0'") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "'0.000'") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "'-1'") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "'-0.001'") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "'1.2345'") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "'1e3'") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "''") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "' 1'") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "'+1'") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "'1.'") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "'.5'") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "'1,5'") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "'0x10'") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'", "'99999999999999999999'") "}", "qty"},
    {"{'seq':2," TS "," OP "," TY "," BODY("'W01'", "'A'",
      "'1111111111111111111111111111111111111111'") "}", "qty"},
};

static void test_decode_rejected_items(void **state)
{
    tt_event_t want1 = good_event(1);
    tt_event_t want3 = make_event(3, TT_EVENT_ISSUE, 1764099600999LL, "li4", "W02", "X-1", 1);
    char json[2048];

    (void)state;
    for (size_t i = 0; i < sizeof rejected_cases / sizeof rejected_cases[0]; i++) {
        tt_event_batch_t *b;
        const tt_event_item_t *it;

        snprintf(json, sizeof json, BATCH(EV_GOOD1 ",%s," EV_GOOD3), rejected_cases[i].event);
        b = decode_ok(json);
        assert_int_equal(b->count, 3);
        assert_int_equal(b->items[0].err, TT_OK);
        assert_event_equal(&want1, &b->items[0].ev);
        assert_int_equal(b->items[2].err, TT_OK);
        assert_event_equal(&want3, &b->items[2].ev);
        it = &b->items[1];
        if (it->err >= 0 || it->ev.seq != 2 ||
            strstr(it->reason, rejected_cases[i].needle) == NULL) {
            char msg[1024];
            snprintf(msg, sizeof msg,
                     "event %s: err=%d seq=%llu reason '%s'; wanted err<0, seq 2, reason with '%s'",
                     rejected_cases[i].event, it->err, (unsigned long long)it->ev.seq, it->reason,
                     rejected_cases[i].needle);
            tt_event_batch_free(b);
            fail_msg("%s", msg);
        }
        tt_event_batch_free(b);
    }
}

/* Rejected items alone still make a batch: the sequence must advance. */
static void test_decode_all_rejected(void **state)
{
    tt_event_batch_t *b;

    (void)state;
    b = decode_ok(BATCH("{'seq':4},{'seq':5,'ts':1}"));
    assert_int_equal(b->count, 2);
    assert_int_equal(b->items[0].ev.seq, 4);
    assert_true(b->items[0].err < 0);
    assert_true(b->items[0].reason[0] != '\0');
    assert_int_equal(b->items[1].ev.seq, 5);
    assert_true(b->items[1].err < 0);
    assert_non_null(strstr(b->items[1].reason, "operator"));
    tt_event_batch_free(b);
}

/* cJSON strings end at a NUL, so "ab\u0000cd" could be read as "ab".  It
 * must never decode as a valid item; today the whole message is refused. */
static void test_decode_nul_escape(void **state)
{
    (void)state;
    expect_batch_fail(BATCH(EV_GOOD1 ",{'seq':2," TS "," OP "," TY ","
                            BODY("'W01'", "'ab\\u0000cd'", "'1'") "}"),
                      TT_ERR_PARSE, "NUL");
    expect_batch_fail(BATCH(EV_GOOD1 ",{'seq':2," TS ",'operator':'op\\u0000x'," TY "," BD "}"),
                      TT_ERR_PARSE, "NUL");
    expect_batch_fail("{'v':1,'terminal':'T01\\u0000x','synced':0,'events':[" EV_GOOD1 "]}",
                      TT_ERR_PARSE, "NUL");
    expect_batch_fail("{'v':1,'terminal':'T01','synced':0,'events':[" EV_GOOD1 "],"
                      "'x\\u0000':1}",
                      TT_ERR_PARSE, "NUL");
}

/* Reasons are stored and sent back in acks (JSON, so UTF-8): cutting an
 * echoed field name must not split a multi-byte character. */
static void test_decode_reason_utf8(void **state)
{
    tt_event_batch_t *b;
    char reason[TT_EVENT_REASON_MAX];

    (void)state;
    /* 39 ASCII bytes then U+5E93: a 40-byte cut falls inside the character. */
    b = decode_ok(BATCH("{'seq':2," TS "," OP "," TY "," BD ","
                        "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xe5\xba\x93':1}"));
    assert_true(b->items[0].err < 0);
    memcpy(reason, b->items[0].reason, sizeof reason);
    tt_event_batch_free(b);
    if (!utf8_valid(reason))
        fail_msg("reason is not valid UTF-8: '%s'", reason);
}

/* --- batch decode: robustness -------------------------------------------- */

/* Every outcome must honour the contract, whatever the input. */
static void check_decode_contract(const char *buf, size_t len)
{
    tt_event_batch_t *b = (tt_event_batch_t *)&b;
    tt_event_ack_t *a = (tt_event_ack_t *)&a;
    char reason[TT_EVENT_REASON_MAX];
    tt_err_t rc;

    reason[0] = '\0';
    rc = tt_event_batch_decode(buf, len, TOPIC, &b, reason, sizeof reason);
    if (rc == TT_OK) {
        assert_non_null(b);
        assert_string_equal(b->terminal, TOPIC);
        assert_true(b->synced <= TT_EVENT_SEQ_MAX);
        assert_true(b->count >= 1 && b->count <= TT_EVENT_BATCH_MAX);
        for (size_t i = 0; i < b->count; i++) {
            const tt_event_item_t *it = &b->items[i];
            assert_true(it->ev.seq >= 1 && it->ev.seq <= TT_EVENT_SEQ_MAX);
            if (i > 0)
                assert_true(it->ev.seq > b->items[i - 1].ev.seq);
            if (it->err == TT_OK) {
                assert_string_equal(it->reason, "");
                assert_int_equal(tt_event_validate(&it->ev, NULL, 0), TT_OK);
            } else {
                assert_true(it->err < 0);
                assert_true(it->reason[0] != '\0');
                assert_non_null(memchr(it->reason, '\0', sizeof it->reason));
            }
        }
        tt_event_batch_free(b);
    } else {
        assert_null(b);
        assert_true(rc == TT_ERR_PARSE || rc == TT_ERR_VERSION || rc == TT_ERR_DENIED ||
                    rc == TT_ERR_TOOBIG || rc == TT_ERR_PROTO || rc == TT_ERR_NOMEM);
        assert_true(reason[0] != '\0');
    }

    reason[0] = '\0';
    rc = tt_event_ack_decode(buf, len, TOPIC, &a, reason, sizeof reason);
    if (rc == TT_OK) {
        assert_non_null(a);
        assert_true(a->applied <= TT_EVENT_SEQ_MAX);
        for (size_t i = 0; i < a->nrejected; i++)
            assert_true(a->rejected[i].seq >= 1 && a->rejected[i].seq <= TT_EVENT_SEQ_MAX);
        tt_event_ack_free(a);
    } else {
        assert_null(a);
        assert_true(rc < 0);
        assert_true(reason[0] != '\0');
    }
}

static void test_decode_deep_nesting(void **state)
{
    enum { DEPTH = 100000 };
    char *buf = malloc(2 * DEPTH + 256);
    size_t len;

    (void)state;
    assert_non_null(buf);
    /* Bare nesting, far past cJSON's limit. */
    memset(buf, '[', DEPTH);
    memset(buf + DEPTH, ']', DEPTH);
    expect_batch_fail_raw(buf, 2 * DEPTH, TOPIC, TT_ERR_PARSE, "JSON");
    check_decode_contract(buf, 2 * DEPTH);
    /* Nesting inside the events list and inside a body. */
    for (size_t depth = 10; depth <= 2000; depth *= 3) {
        len = (size_t)sprintf(buf, "{\"v\":1,\"terminal\":\"T01\",\"synced\":0,\"events\":[");
        memset(buf + len, '[', depth);
        len += depth;
        memset(buf + len, ']', depth);
        len += depth;
        len += (size_t)sprintf(buf + len, "]}");
        check_decode_contract(buf, len);
        len = (size_t)sprintf(buf, "{\"v\":1,\"terminal\":\"T01\",\"synced\":0,\"events\":"
                                   "[{\"seq\":1,\"ts\":1,\"operator\":\"o\",\"type\":\"issue\","
                                   "\"body\":");
        for (size_t k = 0; k < depth; k++)
            len += (size_t)sprintf(buf + len, "{\"a\":");
        buf[len++] = '1';
        memset(buf + len, '}', depth);
        len += depth;
        len += (size_t)sprintf(buf + len, "}]}");
        check_decode_contract(buf, len);
    }
    free(buf);
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic, so a failure reproduces. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static void test_decode_garbage(void **state)
{
    static const char tokens[] = "{}[]\":,.-+0123456789eE \\utrfalsn";
    char *base = q(BATCH(EV_GOOD1 ",{'seq':2,'ts':5,'operator':'op','type':'receive',"
                                  "'body':{'warehouse':'W01','item':'a b','qty':'1'}}," EV_GOOD3));
    size_t baselen = strlen(base);
    size_t cap = 4 * baselen + 64;
    char *buf = malloc(cap);

    (void)state;
    assert_non_null(buf);
    rng_state = 0x7461677472616931ULL;
    for (int iter = 0; iter < 2000; iter++) {
        size_t len;
        int mode = (int)(rnd() % 4);

        if (mode == 0) {
            /* Pure random bytes, NULs included. */
            len = (size_t)(rnd() % 300);
            for (size_t i = 0; i < len; i++)
                buf[i] = (char)rnd();
        } else if (mode == 1) {
            /* Random JSON-ish tokens: more of them get past the parser. */
            len = (size_t)(rnd() % 300);
            for (size_t i = 0; i < len; i++)
                buf[i] = tokens[rnd() % (sizeof tokens - 1)];
        } else {
            /* A valid batch with a few byte-level mutations. */
            int nmut = 1 + (int)(rnd() % 6);
            memcpy(buf, base, baselen);
            len = baselen;
            for (int m = 0; m < nmut && len > 0; m++) {
                size_t at = (size_t)(rnd() % len);
                switch (rnd() % 6) {
                case 0: /* replace with a random byte */
                    buf[at] = (char)rnd();
                    break;
                case 1: /* replace with a JSON token */
                    buf[at] = tokens[rnd() % (sizeof tokens - 1)];
                    break;
                case 2: /* delete */
                    memmove(buf + at, buf + at + 1, len - at - 1);
                    len--;
                    break;
                case 3: /* insert */
                    if (len + 1 < cap) {
                        memmove(buf + at + 1, buf + at, len - at);
                        buf[at] = tokens[rnd() % (sizeof tokens - 1)];
                        len++;
                    }
                    break;
                case 4: { /* duplicate a chunk in place */
                    size_t n = (size_t)(rnd() % 40);
                    if (at + n > len)
                        n = len - at;
                    if (len + n < cap) {
                        memmove(buf + at + n, buf + at, len - at);
                        len += n;
                    }
                    break;
                }
                default: /* truncate */
                    len = at;
                    break;
                }
            }
        }
        check_decode_contract(buf, len);
    }
    free(buf);
    free(base);
}

/* The reason buffer is honoured to the byte, and may be absent. */
static void test_decode_reason_buffer(void **state)
{
    char *s = q("{'v':1,'terminal':'T01','synced':0,'events':[],'extra_field_name':1}");
    char reason[32];
    tt_event_batch_t *b;

    (void)state;
    memset(reason, 'Z', sizeof reason);
    assert_int_equal(tt_event_batch_decode(s, strlen(s), TOPIC, &b, reason, 5), TT_ERR_PROTO);
    assert_int_equal(strlen(reason), 4);
    for (size_t i = 5; i < sizeof reason; i++)
        assert_int_equal(reason[i], 'Z');
    memset(reason, 'Z', sizeof reason);
    assert_int_equal(tt_event_batch_decode(s, strlen(s), TOPIC, &b, reason, 1), TT_ERR_PROTO);
    assert_int_equal(reason[0], '\0');
    assert_int_equal(reason[1], 'Z');
    assert_int_equal(tt_event_batch_decode(s, strlen(s), TOPIC, &b, NULL, 0), TT_ERR_PROTO);
    assert_null(b);
    free(s);
}

/* --- acks ---------------------------------------------------------------- */

static tt_event_ack_t *ack_round_trip(const tt_event_ack_t *ack)
{
    char *text = NULL;
    size_t len = 0;
    tt_event_ack_t *got = NULL;
    char reason[TT_EVENT_REASON_MAX] = "";
    char msg[512] = "";

    assert_int_equal(tt_event_ack_encode(ack, &text, &len), TT_OK);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    if (tt_event_ack_decode(text, len, ack->terminal, &got, reason, sizeof reason) != TT_OK) {
        snprintf(msg, sizeof msg, "ack %.300s does not decode: %s", text, reason);
    } else if (strcmp(got->terminal, ack->terminal) != 0 || got->applied != ack->applied ||
               got->nrejected != ack->nrejected) {
        snprintf(msg, sizeof msg, "ack %.300s: terminal %s applied %llu nrejected %zu, encoded "
                 "%s %llu %zu", text, got->terminal, (unsigned long long)got->applied,
                 got->nrejected, ack->terminal, (unsigned long long)ack->applied, ack->nrejected);
    } else {
        for (size_t i = 0; i < ack->nrejected && !msg[0]; i++)
            if (got->rejected[i].seq != ack->rejected[i].seq ||
                strcmp(got->rejected[i].reason, ack->rejected[i].reason) != 0)
                snprintf(msg, sizeof msg, "ack %.300s: rejected[%zu] = %llu '%.40s', encoded "
                         "%llu '%.40s'", text, i, (unsigned long long)got->rejected[i].seq,
                         got->rejected[i].reason, (unsigned long long)ack->rejected[i].seq,
                         ack->rejected[i].reason);
    }
    free(text);
    if (msg[0]) {
        tt_event_ack_free(got);
        fail_msg("%s", msg);
    }
    return got;
}

static void test_ack_round_trip(void **state)
{
    tt_event_rejection_t rej[3];
    tt_event_ack_t ack;

    (void)state;
    memset(&ack, 0, sizeof ack);
    strcpy(ack.terminal, "T01");
    ack.applied = 17;
    tt_event_ack_free(ack_round_trip(&ack));
    ack.applied = 0;
    tt_event_ack_free(ack_round_trip(&ack));

    memset(rej, 0, sizeof rej);
    rej[0].seq = 12;
    strcpy(rej[0].reason, "insufficient stock: short 3");
    rej[1].seq = 13;
    strcpy(rej[1].reason, "quote \" backslash \\ tab \t slash / \xe5\xba\x93\xe5\xad\x98\xe4\xb8"
                          "\x8d\xe8\xb6\xb3");
    rej[2].seq = 1000000;
    memset(rej[2].reason, 'r', TT_EVENT_REASON_MAX - 1);   /* the longest reason */
    ack.applied = 1000000;
    ack.rejected = rej;
    ack.nrejected = 3;
    tt_event_ack_free(ack_round_trip(&ack));
    ack.rejected[2].reason[0] = '\0';   /* an empty reason survives too */
    tt_event_ack_free(ack_round_trip(&ack));
}

/* Seqs are exact up to TT_EVENT_SEQ_MAX in every message (event.h). */
static void test_ack_round_trip_large_seq(void **state)
{
    static const uint64_t seqs[] = {
        1ULL << 32, 999999999999999ULL, 1000000000000001ULL, 4503599627370497ULL,
        8000000000000001ULL, TT_EVENT_SEQ_MAX - 1, TT_EVENT_SEQ_MAX,
    };
    tt_event_rejection_t rej;
    tt_event_ack_t ack;

    (void)state;
    memset(&ack, 0, sizeof ack);
    memset(&rej, 0, sizeof rej);
    strcpy(ack.terminal, "T01");
    strcpy(rej.reason, "x");
    ack.rejected = &rej;
    ack.nrejected = 1;
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        ack.applied = seqs[i];
        rej.seq = seqs[i];
        tt_event_ack_free(ack_round_trip(&ack));
    }
}

static void test_ack_encode_rejects(void **state)
{
    tt_event_rejection_t rej;
    tt_event_ack_t ack;
    char *text = (char *)&text;
    size_t len;

    (void)state;
    memset(&ack, 0, sizeof ack);
    strcpy(ack.terminal, "T/01");
    assert_int_equal(tt_event_ack_encode(&ack, &text, &len), TT_ERR_INVAL);
    assert_null(text);
    strcpy(ack.terminal, "");
    assert_int_equal(tt_event_ack_encode(&ack, &text, &len), TT_ERR_INVAL);
    strcpy(ack.terminal, "T01");
    ack.applied = TT_EVENT_SEQ_MAX + 1;
    assert_int_equal(tt_event_ack_encode(&ack, &text, &len), TT_ERR_INVAL);
    assert_null(text);
    ack.applied = UINT64_MAX;
    assert_int_equal(tt_event_ack_encode(&ack, &text, &len), TT_ERR_INVAL);
    ack.applied = 5;
    memset(&rej, 0, sizeof rej);
    ack.rejected = &rej;
    ack.nrejected = 1;
    rej.seq = 0;
    assert_int_equal(tt_event_ack_encode(&ack, &text, &len), TT_ERR_INVAL);
    assert_null(text);
    rej.seq = TT_EVENT_SEQ_MAX + 1;
    assert_int_equal(tt_event_ack_encode(&ack, &text, &len), TT_ERR_INVAL);
    assert_null(text);
}

static void test_ack_decode_rejects(void **state)
{
    char *s;
    tt_event_ack_t *a = NULL;
    char reason[TT_EVENT_REASON_MAX];
    char json[512];

    (void)state;
    expect_ack_fail("", TT_ERR_PARSE, "JSON");
    expect_ack_fail("ack", TT_ERR_PARSE, "JSON");
    expect_ack_fail("{'v':1,'terminal':'T01','applied':3,'rejected':[]", TT_ERR_PARSE, "JSON");
    expect_ack_fail("[]", TT_ERR_PROTO, "not a JSON object");
    expect_ack_fail("{'v':2,'terminal':'T01','applied':3,'rejected':[]}", TT_ERR_VERSION,
                    "version 2");
    expect_ack_fail("{'terminal':'T01','applied':3,'rejected':[]}", TT_ERR_PROTO, "v:");
    expect_ack_fail("{'v':1,'applied':3,'rejected':[]}", TT_ERR_PROTO, "terminal");
    expect_ack_fail("{'v':1,'terminal':'T02','applied':3,'rejected':[]}", TT_ERR_DENIED,
                    "does not match");
    expect_ack_fail("{'v':1,'terminal':'T01','applied':3,'rejected':[],'synced':3}",
                    TT_ERR_PROTO, "'synced'");
    expect_ack_fail("{'v':1,'terminal':'T01','applied':3,'applied':3,'rejected':[]}",
                    TT_ERR_PROTO, "'applied'");
    expect_ack_fail("{'v':1,'terminal':'T01','rejected':[]}", TT_ERR_PROTO, "applied");
    expect_ack_fail("{'v':1,'terminal':'T01','applied':1.5,'rejected':[]}", TT_ERR_PROTO,
                    "applied");
    expect_ack_fail("{'v':1,'terminal':'T01','applied':'3','rejected':[]}", TT_ERR_PROTO,
                    "applied");
    expect_ack_fail("{'v':1,'terminal':'T01','applied':-1,'rejected':[]}", TT_ERR_PROTO,
                    "applied");
    expect_ack_fail("{'v':1,'terminal':'T01','applied':null,'rejected':[]}", TT_ERR_PROTO,
                    "applied");
    expect_ack_fail("{'v':1,'terminal':'T01','applied':" TWO_POW_53 ",'rejected':[]}",
                    TT_ERR_PROTO, "applied");
    expect_ack_fail("{'v':1,'terminal':'T01','applied':3}", TT_ERR_PROTO, "rejected");
    expect_ack_fail("{'v':1,'terminal':'T01','applied':3,'rejected':{}}", TT_ERR_PROTO,
                    "rejected");
    expect_ack_fail("{'v':1,'terminal':'T01','applied':3,'rejected':null}", TT_ERR_PROTO,
                    "rejected");

    static const char *const entries[] = {
        "{'seq':2}",
        "{'reason':'x'}",
        "{'seq':2,'reason':'x','extra':1}",
        "{'seq':2,'reason':'x','reason':'y'}",
        "{'seq':0,'reason':'x'}",
        "{'seq':-2,'reason':'x'}",
        "{'seq':2.5,'reason':'x'}",
        "{'seq':'2','reason':'x'}",
        "{'seq':" TWO_POW_53 ",'reason':'x'}",
        "{'seq':2,'reason':7}",
        "{'seq':2,'reason':null}",
        "{'seq':2,'reason':['x']}",
        "2",
        "'x'",
        "null",
        "[2,'x']",
    };
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
        snprintf(json, sizeof json,
                 "{'v':1,'terminal':'T01','applied':3,'rejected':[{'seq':1,'reason':'ok'},%s]}",
                 entries[i]);
        expect_ack_fail(json, TT_ERR_PROTO, "rejected[1]");
    }

    /* A reason longer than the field is cut, not overflowed. */
    s = q("{'v':1,'terminal':'T01','applied':3,'rejected':[{'seq':3,'reason':'"
          "0123456789012345678901234567890123456789012345678901234567890123456789"
          "0123456789012345678901234567890123456789012345678901234567890123456789"
          "0123456789012345678901234567890123456789012345678901234567890123456789'}]}");
    assert_int_equal(tt_event_ack_decode(s, strlen(s), TOPIC, &a, reason, sizeof reason), TT_OK);
    assert_int_equal(a->nrejected, 1);
    assert_int_equal(strlen(a->rejected[0].reason), TT_EVENT_REASON_MAX - 1);
    assert_memory_equal(a->rejected[0].reason, "0123456789", 10);
    tt_event_ack_free(a);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_name),
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test(test_code_valid),
        cmocka_unit_test(test_validate_reasons),
        cmocka_unit_test(test_topic),
        cmocka_unit_test(test_topic_parse),
        cmocka_unit_test(test_round_trip_receive),
        cmocka_unit_test(test_round_trip_issue),
        cmocka_unit_test(test_round_trip_many),
        cmocka_unit_test(test_round_trip_max_batch),
        cmocka_unit_test(test_encode_text),
        cmocka_unit_test(test_encode_longest_fits),
        cmocka_unit_test(test_encode_rejects),
        cmocka_unit_test(test_encode_full),
        cmocka_unit_test(test_batch_build_errors),
        cmocka_unit_test(test_decode_good_text),
        cmocka_unit_test(test_decode_unterminated),
        cmocka_unit_test(test_decode_not_json),
        cmocka_unit_test(test_decode_trailing_garbage),
        cmocka_unit_test(test_decode_not_object),
        cmocka_unit_test(test_decode_version),
        cmocka_unit_test(test_decode_envelope_fields),
        cmocka_unit_test(test_decode_empty_field_name),
        cmocka_unit_test(test_decode_terminal),
        cmocka_unit_test(test_decode_synced),
        cmocka_unit_test(test_decode_events_list),
        cmocka_unit_test(test_decode_too_many),
        cmocka_unit_test(test_decode_bad_seq_refuses_batch),
        cmocka_unit_test(test_decode_seq_order),
        cmocka_unit_test(test_decode_rejected_items),
        cmocka_unit_test(test_decode_all_rejected),
        cmocka_unit_test(test_decode_nul_escape),
        cmocka_unit_test(test_decode_reason_utf8),
        cmocka_unit_test(test_decode_deep_nesting),
        cmocka_unit_test(test_decode_garbage),
        cmocka_unit_test(test_decode_reason_buffer),
        cmocka_unit_test(test_ack_round_trip),
        cmocka_unit_test(test_ack_round_trip_large_seq),
        cmocka_unit_test(test_ack_encode_rejects),
        cmocka_unit_test(test_ack_decode_rejects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
