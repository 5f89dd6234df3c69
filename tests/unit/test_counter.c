/*
 * Unit tests of firmware/counter: the scan-driven document state machine.
 *
 * The counter is pure logic, so every test drives it directly: cards and
 * item codes through tt_counter_scan(), keypad lines through
 * tt_counter_keypad(), a commit through tt_counter_pending() and
 * tt_counter_stored() exactly as firmware/main.c does.  Refusals are checked
 * by beep, by the view's error flag and by key words of the message, in
 * Chinese (the default) and in English.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "counter.h"
#include "event.h"
#include "money.h"

#define ITEM1 "6901234567892"
#define ITEM2 "6901234567908"
#define ITEM3 "BOLT-M12x80"
#define TS 1764099600123LL

enum { ZH = TT_COUNTER_LANG_ZH, EN = TT_COUNTER_LANG_EN };

/* Key words of each message, [ZH] and [EN]. */
static const char *const W_NEED_LOGIN[2] = {"工牌", "badge"};
static const char *const W_NEED_MODE[2] = {"选择业务", "operation card"};
static const char *const W_NEED_WAREHOUSE[2] = {"仓库卡", "warehouse card"};
static const char *const W_NEED_UNIT[2] = {"工区卡", "work area card"};
static const char *const W_NEED_REF_RECEIVE[2] = {"计划序号", "plan serial"};
static const char *const W_NEED_REF_ISSUE[2] = {"领料单号", "requisition"};
static const char *const W_BAD_QTY[2] = {"数量无效", "invalid quantity"};
static const char *const W_BAD_REF[2] = {"单号无效", "invalid reference"};
static const char *const W_BAD_CODE[2] = {"无法识别", "unrecognised"};
static const char *const W_UNKNOWN_CARD[2] = {"未知操作卡", "unknown operation card"};
static const char *const W_NOTHING_TO_UNDO[2] = {"没有可撤销", "no line to undo"};
static const char *const W_UNDO[2] = {"撤销", "undone"};
static const char *const W_CANCEL[2] = {"已取消", "cancelled"};
static const char *const W_EMPTY_DOC[2] = {"单据为空", "empty"};
static const char *const W_FULL[2] = {"已满", "full"};
static const char *const W_NOT_STORED[2] = {"未能保存", "NOT stored"};
static const char *const W_COMMITTED[2] = {"已提交", "committed"};
static const char *const W_LOGOUT[2] = {"退出", "logged out"};

/* --- helpers ------------------------------------------------------------- */

static const tt_counter_view_t *V(const tt_counter_t *c)
{
    return tt_counter_view(c);
}

/* Counters made by mk() are freed by done(), or by the teardown when a
 * failed assertion left the test early (so sanitizer builds see no leak). */
static tt_counter_t *live[8];
static size_t nlive;

static tt_counter_t *mk(const char *warehouse, int lang)
{
    tt_counter_t *c = NULL;
    assert_true(nlive < sizeof live / sizeof live[0]);
    assert_int_equal(tt_counter_new(warehouse, (tt_counter_lang_t)lang, &c), TT_OK);
    assert_non_null(c);
    live[nlive++] = c;
    return c;
}

static void done(tt_counter_t *c)
{
    for (size_t i = 0; i < nlive; i++) {
        if (live[i] == c) {
            live[i] = live[--nlive];
            break;
        }
    }
    tt_counter_free(c);
}

static int teardown(void **state)
{
    (void)state;
    while (nlive)
        tt_counter_free(live[--nlive]);
    return 0;
}

static void msg_has(const tt_counter_t *c, const char *word)
{
    if (!strstr(V(c)->message, word))
        fail_msg("message '%s' does not contain '%s'", V(c)->message, word);
}

static void scan_ok(tt_counter_t *c, const char *code)
{
    tt_counter_beep_t b = tt_counter_scan(c, code);
    if (b != TT_COUNTER_BEEP_OK || V(c)->message_is_error)
        fail_msg("scan '%s': expected OK, got beep %d error %d message '%s'", code, (int)b,
                 V(c)->message_is_error, V(c)->message);
}

static void scan_refused(tt_counter_t *c, const char *code, const char *word)
{
    tt_counter_beep_t b = tt_counter_scan(c, code);
    if (b != TT_COUNTER_BEEP_ERROR || !V(c)->message_is_error)
        fail_msg("scan '%s': expected a refusal, got beep %d error %d message '%s'", code, (int)b,
                 V(c)->message_is_error, V(c)->message);
    msg_has(c, word);
}

static void key_ok(tt_counter_t *c, const char *text)
{
    tt_counter_beep_t b = tt_counter_keypad(c, text);
    if (b != TT_COUNTER_BEEP_OK || V(c)->message_is_error)
        fail_msg("key '%s': expected OK, got beep %d error %d message '%s'", text, (int)b,
                 V(c)->message_is_error, V(c)->message);
}

static void key_refused(tt_counter_t *c, const char *text, const char *word)
{
    tt_counter_beep_t b = tt_counter_keypad(c, text);
    if (b != TT_COUNTER_BEEP_ERROR || !V(c)->message_is_error)
        fail_msg("key '%s': expected a refusal, got beep %d error %d message '%s'", text, (int)b,
                 V(c)->message_is_error, V(c)->message);
    msg_has(c, word);
}

static void no_pending(const tt_counter_t *c)
{
    tt_event_t evs[TT_COUNTER_LINES_MAX];
    size_t n = 0;
    assert_int_equal(tt_counter_pending(c, TS, evs, &n), TT_ERR_NOTFOUND);
}

/* Logged in as zhang3, receive mode, warehouse W01 (default or card), plan
 * serial `ref` typed: ready for item lines. */
static tt_counter_t *ready_receive(int lang, const char *ref)
{
    tt_counter_t *c = mk("W01", lang);
    scan_ok(c, "TT:OP:zhang3");
    scan_ok(c, "TT:MODE:receive");
    key_ok(c, ref);
    assert_string_equal(V(c)->ref, ref);
    return c;
}

/* Logged in as li4, issue mode, warehouse W02 by card, work area A3, the
 * requisition number `ref` typed. */
static tt_counter_t *ready_issue(int lang, const char *ref)
{
    tt_counter_t *c = mk("", lang);
    scan_ok(c, "TT:OP:li4");
    scan_ok(c, "TT:MODE:issue");
    scan_ok(c, "TT:WH:W02");
    scan_ok(c, "TT:UNIT:A3");
    key_ok(c, ref);
    assert_string_equal(V(c)->ref, ref);
    return c;
}

/* Scans COMMIT and collects the pending events. */
static size_t commit(tt_counter_t *c, tt_event_t *evs)
{
    size_t n = 0;
    scan_ok(c, "TT:COMMIT");
    assert_int_equal(tt_counter_pending(c, TS, evs, &n), TT_OK);
    return n;
}

static void assert_line(const tt_counter_t *c, size_t i, const char *item, tt_qty_t qty)
{
    assert_true(i < V(c)->nlines);
    assert_string_equal(V(c)->lines[i].item, item);
    assert_int_equal(V(c)->lines[i].qty, qty);
}

/* --- construction and the cards, one by one ------------------------------ */

static void test_new_and_initial_view(void **state)
{
    static char dummy;
    tt_counter_t *c = (tt_counter_t *)(void *)&dummy;   /* must be set to NULL */
    (void)state;

    assert_int_equal(tt_counter_new("a/b", TT_COUNTER_LANG_ZH, &c), TT_ERR_INVAL);
    assert_null(c);
    c = (tt_counter_t *)(void *)&dummy;
    assert_int_equal(tt_counter_new("W01", (tt_counter_lang_t)7, &c), TT_ERR_INVAL);
    assert_null(c);
    tt_counter_free(NULL);

    c = mk("W01", ZH);
    assert_string_equal(V(c)->operator_id, "");
    assert_int_equal(V(c)->mode, TT_COUNTER_MODE_NONE);
    assert_string_equal(V(c)->warehouse, "W01");
    assert_string_equal(V(c)->unit, "");
    assert_string_equal(V(c)->ref, "");
    assert_int_equal(V(c)->next_qty, 0);
    assert_int_equal(V(c)->nlines, 0);
    assert_int_equal(V(c)->message_is_error, 0);
    no_pending(c);
    done(c);

    c = mk("", EN);
    assert_string_equal(V(c)->warehouse, "");
    done(c);
}

static void test_login_and_logout_cards(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = mk("W01", lang);
        scan_ok(c, "TT:OP:zhang3");
        assert_string_equal(V(c)->operator_id, "zhang3");
        msg_has(c, "zhang3");
        /* Another badge: the other operator takes over. */
        scan_ok(c, "TT:OP:wang_5.x-1");
        assert_string_equal(V(c)->operator_id, "wang_5.x-1");
        scan_ok(c, "TT:LOGOUT");
        msg_has(c, W_LOGOUT[lang]);
        assert_string_equal(V(c)->operator_id, "");
        assert_int_equal(V(c)->mode, TT_COUNTER_MODE_NONE);
        /* Logging out twice is harmless. */
        scan_ok(c, "TT:LOGOUT");
        assert_string_equal(V(c)->operator_id, "");
        done(c);
    }
}

static void test_mode_cards(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = mk("W01", lang);
        scan_ok(c, "TT:OP:zhang3");
        scan_ok(c, "TT:MODE:receive");
        assert_int_equal(V(c)->mode, TT_COUNTER_MODE_RECEIVE);
        msg_has(c, W_NEED_REF_RECEIVE[lang]);
        scan_ok(c, "TT:MODE:issue");
        assert_int_equal(V(c)->mode, TT_COUNTER_MODE_ISSUE);
        msg_has(c, W_NEED_REF_ISSUE[lang]);
        msg_has(c, lang == ZH ? "工区卡" : "work area card");
        scan_refused(c, "TT:MODE:teleport", W_UNKNOWN_CARD[lang]);
        scan_refused(c, "TT:MODE:", W_UNKNOWN_CARD[lang]);
        scan_refused(c, "TT:MODE:RECEIVE", W_UNKNOWN_CARD[lang]);
        assert_int_equal(V(c)->mode, TT_COUNTER_MODE_ISSUE);
        done(c);
    }
}

static void test_warehouse_and_unit_cards(void **state)
{
    tt_counter_t *c = mk("W01", EN);
    (void)state;

    scan_ok(c, "TT:OP:zhang3");
    scan_ok(c, "TT:WH:W02");
    assert_string_equal(V(c)->warehouse, "W02");
    msg_has(c, "W02");
    scan_ok(c, "TT:MODE:issue");
    assert_string_equal(V(c)->warehouse, "W02");   /* a mode does not reset it */
    scan_ok(c, "TT:UNIT:A3");
    assert_string_equal(V(c)->unit, "A3");
    msg_has(c, "A3");
    scan_ok(c, "TT:UNIT:B-7");
    assert_string_equal(V(c)->unit, "B-7");
    done(c);

    c = mk("", ZH);
    scan_ok(c, "TT:OP:zhang3");
    scan_ok(c, "TT:WH:W09");
    msg_has(c, "仓库 W09");
    /* A work area belongs to an issue: refused before the mode, and in receive. */
    scan_refused(c, "TT:UNIT:A3", "此业务不用工区卡");
    scan_ok(c, "TT:MODE:receive");
    scan_refused(c, "TT:UNIT:A3", "此业务不用工区卡");
    assert_string_equal(V(c)->unit, "");
    scan_ok(c, "TT:MODE:issue");
    scan_ok(c, "TT:UNIT:A3");
    msg_has(c, "A3");
    done(c);
}

/* --- ordering rules ------------------------------------------------------- */

static void test_item_before_login_mode_warehouse(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = mk("", lang);

        scan_refused(c, ITEM1, W_NEED_LOGIN[lang]);
        /* Cards other than the badge need a login too. */
        scan_refused(c, "TT:MODE:receive", W_NEED_LOGIN[lang]);
        scan_refused(c, "TT:WH:W01", W_NEED_LOGIN[lang]);
        scan_refused(c, "TT:COMMIT", W_NEED_LOGIN[lang]);
        key_refused(c, "5", W_NEED_LOGIN[lang]);
        assert_int_equal(V(c)->mode, TT_COUNTER_MODE_NONE);
        assert_string_equal(V(c)->warehouse, "");

        scan_ok(c, "TT:OP:zhang3");
        scan_refused(c, ITEM1, W_NEED_MODE[lang]);
        key_refused(c, "5", W_NEED_MODE[lang]);
        assert_int_equal(V(c)->next_qty, 0);

        scan_ok(c, "TT:MODE:receive");
        scan_refused(c, ITEM1, W_NEED_WAREHOUSE[lang]);
        assert_int_equal(V(c)->nlines, 0);

        scan_ok(c, "TT:WH:W01");
        scan_refused(c, ITEM1, W_NEED_REF_RECEIVE[lang]);
        assert_int_equal(V(c)->nlines, 0);

        key_ok(c, "P2026-0034");
        scan_ok(c, ITEM1);
        assert_int_equal(V(c)->nlines, 1);
        done(c);
    }
}

static void test_issue_needs_unit_then_ref(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = mk("W01", lang);
        scan_ok(c, "TT:OP:li4");
        scan_ok(c, "TT:MODE:issue");
        scan_refused(c, ITEM1, W_NEED_UNIT[lang]);
        scan_ok(c, "TT:UNIT:A3");
        scan_refused(c, ITEM1, W_NEED_REF_ISSUE[lang]);
        assert_int_equal(V(c)->nlines, 0);
        key_ok(c, "R-4711");
        assert_string_equal(V(c)->ref, "R-4711");
        msg_has(c, "R-4711");
        scan_ok(c, ITEM1);
        assert_line(c, 0, ITEM1, TT_QTY_SCALE);
        done(c);
    }
}

/* The keypad gives the reference number "when the mode still needs one"
 * (counter.h, docs/protocol.md): the requisition number may be typed before
 * the work area card is scanned, and the plan serial before the warehouse
 * card.  It must never become a quantity. */
static void test_keypad_ref_before_unit_card(void **state)
{
    tt_counter_t *c = mk("W01", EN);
    (void)state;

    scan_ok(c, "TT:OP:li4");
    scan_ok(c, "TT:MODE:issue");
    key_ok(c, "4711");                       /* requisition number, all digits */
    if (strcmp(V(c)->ref, "4711") != 0 || V(c)->next_qty != 0)
        fail_msg("issue mode, no work area yet: key '4711' gave ref '%s', next_qty %lld "
                 "(expected ref '4711', next_qty 0)", V(c)->ref, (long long)V(c)->next_qty);
    scan_ok(c, "TT:UNIT:A3");
    scan_ok(c, ITEM1);
    assert_line(c, 0, ITEM1, TT_QTY_SCALE);  /* not 4711 pieces */
    done(c);
}

static void test_keypad_ref_before_warehouse_card(void **state)
{
    tt_counter_t *c = mk("", EN);
    tt_counter_beep_t b;
    (void)state;

    scan_ok(c, "TT:OP:zhang3");
    scan_ok(c, "TT:MODE:receive");
    b = tt_counter_keypad(c, "P2026-0034");
    if (b != TT_COUNTER_BEEP_OK || strcmp(V(c)->ref, "P2026-0034") != 0)
        fail_msg("receive mode, no warehouse yet: key 'P2026-0034' gave beep %d, ref '%s', "
                 "message '%s' (expected OK and ref 'P2026-0034')", (int)b, V(c)->ref,
                 V(c)->message);
    scan_ok(c, "TT:WH:W01");
    scan_ok(c, ITEM1);
    assert_line(c, 0, ITEM1, TT_QTY_SCALE);
    done(c);
}

/* --- keypad ------------------------------------------------------------- */

static void test_keypad_ref_then_qty(void **state)
{
    tt_counter_t *c = mk("W01", EN);
    (void)state;

    scan_ok(c, "TT:OP:zhang3");
    scan_ok(c, "TT:MODE:receive");
    key_ok(c, "20260117");                   /* a numeric serial is still the ref */
    assert_string_equal(V(c)->ref, "20260117");
    assert_int_equal(V(c)->next_qty, 0);
    msg_has(c, "20260117");

    key_ok(c, "12.5");                       /* now the ref is there: a quantity */
    assert_string_equal(V(c)->ref, "20260117");
    assert_int_equal(V(c)->next_qty, 12500);
    msg_has(c, "12.5");
    key_ok(c, "3");                          /* a second entry replaces the first */
    assert_int_equal(V(c)->next_qty, 3000);

    scan_ok(c, ITEM1);
    assert_line(c, 0, ITEM1, 3000);
    assert_int_equal(V(c)->next_qty, 0);     /* used up by the line */
    msg_has(c, ITEM1);
    msg_has(c, "line 1");

    key_ok(c, "0.001");
    scan_ok(c, ITEM2);
    assert_line(c, 1, ITEM2, 1);
    msg_has(c, "line 2");
    done(c);
}

static void test_keypad_bad_ref_refused(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = mk("W01", lang);
        scan_ok(c, "TT:OP:zhang3");
        scan_ok(c, "TT:MODE:receive");
        key_refused(c, "a/b", W_BAD_REF[lang]);
        msg_has(c, "a/b");
        key_refused(c, "", W_BAD_REF[lang]);
        key_refused(c, "123456789012345678901234567890123", W_BAD_REF[lang]);  /* 33 bytes */
        assert_string_equal(V(c)->ref, "");
        scan_refused(c, ITEM1, W_NEED_REF_RECEIVE[lang]);
        done(c);
    }
}

static void test_qty_validation(void **state)
{
    static const char *const bad[] = {"0", "-1", "1.2345", "abc", "", "1.", ".5", "+2",
                                      "1e3", "0.000", "99999999999999999999"};
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = ready_receive(lang, "P1");
        key_ok(c, "2");
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            key_refused(c, bad[i], W_BAD_QTY[lang]);
            msg_has(c, bad[i]);
            /* The earlier quantity stands; the ref is untouched. */
            assert_int_equal(V(c)->next_qty, 2000);
            assert_string_equal(V(c)->ref, "P1");
        }
        scan_ok(c, ITEM1);
        assert_line(c, 0, ITEM1, 2000);
        done(c);
    }
}

static void test_default_qty_is_one(void **state)
{
    tt_counter_t *c = ready_receive(ZH, "P1");
    (void)state;

    scan_ok(c, ITEM1);
    scan_ok(c, ITEM1);                       /* the same item twice: two lines */
    assert_int_equal(V(c)->nlines, 2);
    assert_line(c, 0, ITEM1, TT_QTY_SCALE);
    assert_line(c, 1, ITEM1, TT_QTY_SCALE);
    msg_has(c, "第 2 行");
    done(c);
}

/* The header promises that GS1 data is decoded and that its (30)/(37)
 * count sets the line's quantity. */
static void test_gs1_count_sets_qty(void **state)
{
    tt_counter_t *c = ready_receive(EN, "P1");
    (void)state;

    scan_ok(c, "(01)09506000134352(30)5");
    assert_int_equal(V(c)->nlines, 1);
    assert_int_equal(V(c)->lines[0].qty, 5 * TT_QTY_SCALE);
    done(c);
}

/* --- undo, cancel -------------------------------------------------------- */

static void test_undo(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = ready_receive(lang, "P1");
        scan_refused(c, "TT:UNDO", W_NOTHING_TO_UNDO[lang]);
        key_ok(c, "4");
        scan_ok(c, ITEM1);
        scan_ok(c, ITEM2);
        scan_ok(c, ITEM3);
        scan_ok(c, "TT:UNDO");
        msg_has(c, W_UNDO[lang]);
        assert_int_equal(V(c)->nlines, 2);
        assert_line(c, 0, ITEM1, 4000);
        assert_line(c, 1, ITEM2, TT_QTY_SCALE);
        scan_ok(c, "TT:UNDO");
        scan_ok(c, "TT:UNDO");
        assert_int_equal(V(c)->nlines, 0);
        scan_refused(c, "TT:UNDO", W_NOTHING_TO_UNDO[lang]);
        /* Undo removes lines only: the document's header stays. */
        assert_string_equal(V(c)->ref, "P1");
        assert_int_equal(V(c)->mode, TT_COUNTER_MODE_RECEIVE);
        scan_ok(c, ITEM3);
        assert_line(c, 0, ITEM3, TT_QTY_SCALE);
        done(c);
    }
}

static void test_cancel(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_event_t evs[TT_COUNTER_LINES_MAX];
        tt_counter_t *c = ready_issue(lang, "R1");
        scan_ok(c, ITEM1);
        scan_ok(c, ITEM2);
        key_ok(c, "7");
        scan_ok(c, "TT:CANCEL");
        msg_has(c, W_CANCEL[lang]);
        assert_int_equal(V(c)->nlines, 0);
        assert_string_equal(V(c)->ref, "");
        assert_string_equal(V(c)->unit, "");
        assert_int_equal(V(c)->next_qty, 0);
        /* Who, what and where stay. */
        assert_string_equal(V(c)->operator_id, "li4");
        assert_int_equal(V(c)->mode, TT_COUNTER_MODE_ISSUE);
        assert_string_equal(V(c)->warehouse, "W02");
        no_pending(c);
        /* A new document needs its own work area and requisition number. */
        scan_refused(c, ITEM1, W_NEED_UNIT[lang]);
        scan_ok(c, "TT:UNIT:A4");
        key_ok(c, "R2");
        scan_ok(c, ITEM3);
        assert_int_equal(commit(c, evs), 1);
        assert_string_equal(evs[0].body.stock.ref, "R2");
        assert_string_equal(evs[0].body.stock.unit, "A4");
        assert_string_equal(evs[0].body.stock.item, ITEM3);
        done(c);
    }
}

/* --- commit -------------------------------------------------------------- */

static void test_commit_empty_refused(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = ready_receive(lang, "P1");
        no_pending(c);
        scan_refused(c, "TT:COMMIT", W_EMPTY_DOC[lang]);
        no_pending(c);
        scan_ok(c, ITEM1);
        scan_ok(c, "TT:UNDO");
        scan_refused(c, "TT:COMMIT", W_EMPTY_DOC[lang]);
        no_pending(c);
        done(c);
    }
}

static void check_wire(const tt_event_t *ev, uint64_t seq, const char *want)
{
    tt_event_t copy = *ev;
    char buf[TT_EVENT_ENCODED_MAX], reason[TT_EVENT_REASON_MAX];
    size_t n = 0;

    copy.seq = seq;
    reason[0] = '\0';
    if (tt_event_validate(&copy, reason, sizeof reason) != TT_OK)
        fail_msg("event line %u is not valid: %s", ev->body.stock.line, reason);
    assert_int_equal(tt_event_encode(&copy, buf, sizeof buf, &n), TT_OK);
    if (!strstr(buf, want))
        fail_msg("encoded event %s lacks %s", buf, want);
}

static void test_commit_receive_pending_events(void **state)
{
    tt_event_t evs[TT_COUNTER_LINES_MAX];
    tt_counter_t *c = ready_receive(EN, "P2026-0034");
    size_t n;
    (void)state;

    key_ok(c, "12.5");
    scan_ok(c, ITEM1);
    scan_ok(c, ITEM2);
    key_ok(c, "0.25");
    scan_ok(c, ITEM3);
    no_pending(c);                           /* nothing before the commit card */

    memset(evs, 0xA5, sizeof evs);
    n = commit(c, evs);
    msg_has(c, "committing 3 lines");
    assert_int_equal(n, 3);
    {
        static const char *const items[] = {ITEM1, ITEM2, ITEM3};
        static const tt_qty_t qtys[] = {12500, 1000, 250};
        for (size_t i = 0; i < n; i++) {
            const tt_event_t *ev = &evs[i];
            char want[64];
            assert_int_equal(ev->seq, 0);
            assert_int_equal(ev->ts_ms, TS);
            assert_int_equal(ev->type, TT_EVENT_RECEIVE);
            assert_string_equal(ev->operator_id, "zhang3");
            assert_string_equal(ev->body.stock.warehouse, "W01");
            assert_string_equal(ev->body.stock.item, items[i]);
            assert_int_equal(ev->body.stock.qty, qtys[i]);
            assert_string_equal(ev->body.stock.ref, "P2026-0034");
            assert_string_equal(ev->body.stock.unit, "");
            assert_int_equal(ev->body.stock.line, i + 1);
            assert_int_equal(ev->body.stock.lines, 3);
            snprintf(want, sizeof want, "\"ref\":\"P2026-0034\",\"line\":%zu,\"lines\":3", i + 1);
            check_wire(ev, 10 + i, want);
        }
    }
    /* Pending does not consume: it reports the same until stored. */
    {
        tt_event_t again[TT_COUNTER_LINES_MAX];
        size_t m = 0;
        assert_int_equal(tt_counter_pending(c, TS + 1, again, &m), TT_OK);
        assert_int_equal(m, 3);
        assert_int_equal(again[2].ts_ms, TS + 1);
        assert_string_equal(again[2].body.stock.item, ITEM3);
    }
    assert_int_equal(tt_counter_stored(c, TT_OK, 10), TT_COUNTER_BEEP_OK);
    msg_has(c, "committed 3 lines");
    msg_has(c, "#10");
    done(c);
}

static void test_commit_issue_pending_events(void **state)
{
    tt_event_t evs[TT_COUNTER_LINES_MAX];
    tt_counter_t *c = ready_issue(ZH, "LL-2026-007");
    size_t n;
    (void)state;

    key_ok(c, "2");
    scan_ok(c, ITEM3);
    scan_ok(c, ITEM1);
    n = commit(c, evs);
    msg_has(c, "正在提交 2 行");
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(evs[i].type, TT_EVENT_ISSUE);
        assert_string_equal(evs[i].operator_id, "li4");
        assert_string_equal(evs[i].body.stock.warehouse, "W02");
        assert_string_equal(evs[i].body.stock.ref, "LL-2026-007");
        assert_string_equal(evs[i].body.stock.unit, "A3");
        assert_int_equal(evs[i].body.stock.line, i + 1);
        assert_int_equal(evs[i].body.stock.lines, 2);
        check_wire(&evs[i], 1 + i, "\"unit\":\"A3\"");
    }
    assert_string_equal(evs[0].body.stock.item, ITEM3);
    assert_int_equal(evs[0].body.stock.qty, 2000);
    assert_string_equal(evs[1].body.stock.item, ITEM1);
    assert_int_equal(evs[1].body.stock.qty, 1000);
    done(c);
}

static void test_stored_error_keeps_document(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_event_t evs[TT_COUNTER_LINES_MAX];
        tt_counter_t *c = ready_issue(lang, "R9");
        scan_ok(c, ITEM1);
        key_ok(c, "3");
        scan_ok(c, ITEM2);
        assert_int_equal(commit(c, evs), 2);

        assert_int_equal(tt_counter_stored(c, TT_ERR_FULL, 0), TT_COUNTER_BEEP_ERROR);
        assert_true(V(c)->message_is_error);
        msg_has(c, W_NOT_STORED[lang]);
        msg_has(c, lang == ZH ? "存储空间已满" : "storage is full");
        /* Nothing typed is lost ... */
        assert_int_equal(V(c)->nlines, 2);
        assert_line(c, 0, ITEM1, TT_QTY_SCALE);
        assert_line(c, 1, ITEM2, 3000);
        assert_string_equal(V(c)->ref, "R9");
        assert_string_equal(V(c)->unit, "A3");
        assert_string_equal(V(c)->operator_id, "li4");
        /* ... and nothing is retried behind the storekeeper's back. */
        no_pending(c);
        scan_refused(c, "TT:OP:li4", lang == ZH ? "请先提交或取消" : "commit or cancel");
        no_pending(c);

        /* COMMIT again: the same document. */
        memset(evs, 0, sizeof evs);
        assert_int_equal(commit(c, evs), 2);
        assert_string_equal(evs[1].body.stock.item, ITEM2);
        assert_int_equal(evs[1].body.stock.qty, 3000);
        assert_int_equal(evs[1].body.stock.line, 2);
        assert_string_equal(evs[0].body.stock.ref, "R9");

        assert_int_equal(tt_counter_stored(c, TT_OK, 17), TT_COUNTER_BEEP_OK);
        assert_false(V(c)->message_is_error);
        msg_has(c, W_COMMITTED[lang]);
        msg_has(c, "#17");
        msg_has(c, "2");
        assert_int_equal(V(c)->nlines, 0);
        assert_string_equal(V(c)->ref, "");
        assert_string_equal(V(c)->unit, "");
        assert_int_equal(V(c)->next_qty, 0);
        no_pending(c);
        /* The session goes on: same operator, mode and warehouse. */
        assert_string_equal(V(c)->operator_id, "li4");
        assert_int_equal(V(c)->mode, TT_COUNTER_MODE_ISSUE);
        assert_string_equal(V(c)->warehouse, "W02");
        scan_refused(c, ITEM1, W_NEED_UNIT[lang]);
        done(c);
    }
}

static void test_stored_ok_reports_first_seq(void **state)
{
    tt_event_t evs[TT_COUNTER_LINES_MAX];
    tt_counter_t *c = ready_receive(EN, "P7");
    (void)state;

    for (int i = 0; i < 5; i++)
        scan_ok(c, ITEM1);
    assert_int_equal(commit(c, evs), 5);
    assert_int_equal(tt_counter_stored(c, TT_OK, 9007199254740991ULL), TT_COUNTER_BEEP_OK);
    msg_has(c, "committed 5 lines");
    msg_has(c, "#9007199254740991");
    assert_int_equal(V(c)->nlines, 0);
    /* The next document needs its own plan serial. */
    scan_refused(c, ITEM1, W_NEED_REF_RECEIVE[EN]);
    key_ok(c, "P8");
    scan_ok(c, ITEM2);
    assert_int_equal(commit(c, evs), 1);
    assert_string_equal(evs[0].body.stock.ref, "P8");
    assert_int_equal(evs[0].body.stock.line, 1);
    assert_int_equal(evs[0].body.stock.lines, 1);
    done(c);
}

/* --- what clears a document ---------------------------------------------- */

static void test_mode_change_clears_document(void **state)
{
    tt_event_t evs[TT_COUNTER_LINES_MAX];
    tt_counter_t *c = ready_issue(EN, "R1");
    (void)state;

    scan_ok(c, ITEM1);
    key_ok(c, "5");
    scan_ok(c, "TT:MODE:receive");
    assert_int_equal(V(c)->mode, TT_COUNTER_MODE_RECEIVE);
    assert_int_equal(V(c)->nlines, 0);
    assert_string_equal(V(c)->ref, "");
    assert_string_equal(V(c)->unit, "");
    assert_int_equal(V(c)->next_qty, 0);
    assert_string_equal(V(c)->operator_id, "li4");
    assert_string_equal(V(c)->warehouse, "W02");
    scan_refused(c, ITEM1, W_NEED_REF_RECEIVE[EN]);
    scan_refused(c, "TT:COMMIT", W_EMPTY_DOC[EN]);

    /* A mode change after COMMIT withdraws the commit. */
    key_ok(c, "P1");
    scan_ok(c, ITEM2);
    assert_int_equal(commit(c, evs), 1);
    scan_ok(c, "TT:MODE:issue");
    no_pending(c);
    assert_int_equal(V(c)->nlines, 0);
    done(c);
}

static void test_warehouse_card_refused_while_lines_exist(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = ready_receive(lang, "P1");
        scan_ok(c, "TT:WH:W03");             /* no lines yet: allowed */
        assert_string_equal(V(c)->warehouse, "W03");
        scan_ok(c, ITEM1);
        scan_refused(c, "TT:WH:W04", lang == ZH ? "请先提交或取消" : "commit or cancel");
        assert_string_equal(V(c)->warehouse, "W03");
        assert_int_equal(V(c)->nlines, 1);
        assert_string_equal(V(c)->ref, "P1");
        /* Once the lines are gone it is allowed again. */
        scan_ok(c, "TT:UNDO");
        scan_ok(c, "TT:WH:W04");
        assert_string_equal(V(c)->warehouse, "W04");
        done(c);
    }
}

static void test_line_limit(void **state)
{
    static tt_event_t evs[TT_COUNTER_LINES_MAX];
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = ready_receive(lang, "P64");
        char item[32];
        for (int i = 0; i < TT_COUNTER_LINES_MAX; i++) {
            snprintf(item, sizeof item, "ITEM-%02d", i);
            scan_ok(c, item);
        }
        assert_int_equal(V(c)->nlines, TT_COUNTER_LINES_MAX);
        key_ok(c, "2");
        scan_refused(c, "ITEM-64", W_FULL[lang]);
        msg_has(c, "64");
        assert_int_equal(V(c)->nlines, TT_COUNTER_LINES_MAX);
        assert_line(c, TT_COUNTER_LINES_MAX - 1, "ITEM-63", TT_QTY_SCALE);
        assert_int_equal(commit(c, evs), TT_COUNTER_LINES_MAX);
        for (int i = 0; i < TT_COUNTER_LINES_MAX; i++) {
            snprintf(item, sizeof item, "ITEM-%02d", i);
            assert_string_equal(evs[i].body.stock.item, item);
            assert_int_equal(evs[i].body.stock.line, i + 1);
            assert_int_equal(evs[i].body.stock.lines, TT_COUNTER_LINES_MAX);
        }
        assert_int_equal(tt_counter_stored(c, TT_OK, 1), TT_COUNTER_BEEP_OK);
        assert_int_equal(V(c)->nlines, 0);
        done(c);
    }
}

static void test_logout_clears_everything(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_event_t evs[TT_COUNTER_LINES_MAX];
        tt_counter_t *c = ready_issue(lang, "R1");
        scan_ok(c, ITEM1);
        key_ok(c, "6");
        assert_int_equal(commit(c, evs), 1);
        scan_ok(c, "TT:LOGOUT");
        msg_has(c, W_LOGOUT[lang]);
        assert_string_equal(V(c)->operator_id, "");
        assert_int_equal(V(c)->mode, TT_COUNTER_MODE_NONE);
        assert_int_equal(V(c)->nlines, 0);
        assert_string_equal(V(c)->ref, "");
        assert_string_equal(V(c)->unit, "");
        assert_int_equal(V(c)->next_qty, 0);
        no_pending(c);
        /* The next person starts from the badge. */
        scan_refused(c, ITEM1, W_NEED_LOGIN[lang]);
        scan_ok(c, "TT:OP:wang5");
        scan_refused(c, ITEM1, W_NEED_MODE[lang]);
        done(c);
    }
}

/* --- bad cards and bad codes --------------------------------------------- */

static void test_invalid_card_ids(void **state)
{
    static const char *const bad[] = {
        "TT:OP:a/b", "TT:OP:", "TT:OP:a b", "TT:OP:x+y", "TT:OP:#",
        "TT:OP:123456789012345678901234567890123",   /* 33 bytes */
        "TT:WH:a/b", "TT:WH:", "TT:WH:W 1", "TT:UNIT:a/b", "TT:UNIT:", "TT:UNIT:A\"3",
    };
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = mk("W01", lang);
        scan_refused(c, "TT:OP:a/b", W_UNKNOWN_CARD[lang]);
        assert_string_equal(V(c)->operator_id, "");
        scan_ok(c, "TT:OP:zhang3");
        scan_ok(c, "TT:MODE:issue");
        scan_ok(c, "TT:UNIT:A3");
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            scan_refused(c, bad[i], W_UNKNOWN_CARD[lang]);
            /* Nothing changed, not even partly. */
            assert_string_equal(V(c)->operator_id, "zhang3");
            assert_string_equal(V(c)->warehouse, "W01");
            assert_string_equal(V(c)->unit, "A3");
        }
        /* 32 bytes is the longest id. */
        scan_ok(c, "TT:OP:12345678901234567890123456789012");
        assert_string_equal(V(c)->operator_id, "12345678901234567890123456789012");
        done(c);
    }
}

static void test_unknown_cards(void **state)
{
    static const char *const unknown[] = {"TT:FOO", "TT:", "TT:commit", "TT:COMMIT:1",
                                          "TT:UNDO ", "TT:CANCELX", "TT:LOGOUTX"};
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = ready_receive(lang, "P1");
        scan_ok(c, ITEM1);
        for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
            scan_refused(c, unknown[i], W_UNKNOWN_CARD[lang]);
            msg_has(c, unknown[i]);
            assert_int_equal(V(c)->nlines, 1);
            assert_string_equal(V(c)->operator_id, "zhang3");
        }
        no_pending(c);
        done(c);
    }
}

static void test_bad_item_codes(void **state)
{
    char longest[TT_EVENT_CODE_MAX + 2];
    static const char *const bad[] = {"ABC 123", " ABC", "ABC ", "A\"B", "A\\B", "A\tB",
                                      "\xe4\xb8\xad"};
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = ready_receive(lang, "P1");
        key_ok(c, "4");
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            scan_refused(c, bad[i], W_BAD_CODE[lang]);
            assert_int_equal(V(c)->nlines, 0);
        }
        scan_refused(c, "ABC 123", "ABC 123");   /* the message shows the code */
        /* An FNC1 makes it GS1 data, which this is not. */
        scan_refused(c, "A\x1d" "B", "GS1");
        assert_int_equal(V(c)->nlines, 0);
        /* 65 bytes is too long, 64 is fine. */
        memset(longest, 'X', TT_EVENT_CODE_MAX + 1);
        longest[TT_EVENT_CODE_MAX + 1] = '\0';
        scan_refused(c, longest, W_BAD_CODE[lang]);
        assert_int_equal(V(c)->nlines, 0);
        longest[TT_EVENT_CODE_MAX] = '\0';
        scan_ok(c, longest);
        assert_line(c, 0, longest, 4000);    /* the keypad qty survived the refusals */
        done(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_new_and_initial_view, teardown),
        cmocka_unit_test_teardown(test_login_and_logout_cards, teardown),
        cmocka_unit_test_teardown(test_mode_cards, teardown),
        cmocka_unit_test_teardown(test_warehouse_and_unit_cards, teardown),
        cmocka_unit_test_teardown(test_item_before_login_mode_warehouse, teardown),
        cmocka_unit_test_teardown(test_issue_needs_unit_then_ref, teardown),
        cmocka_unit_test_teardown(test_keypad_ref_before_unit_card, teardown),
        cmocka_unit_test_teardown(test_keypad_ref_before_warehouse_card, teardown),
        cmocka_unit_test_teardown(test_keypad_ref_then_qty, teardown),
        cmocka_unit_test_teardown(test_keypad_bad_ref_refused, teardown),
        cmocka_unit_test_teardown(test_qty_validation, teardown),
        cmocka_unit_test_teardown(test_default_qty_is_one, teardown),
        cmocka_unit_test_teardown(test_gs1_count_sets_qty, teardown),
        cmocka_unit_test_teardown(test_undo, teardown),
        cmocka_unit_test_teardown(test_cancel, teardown),
        cmocka_unit_test_teardown(test_commit_empty_refused, teardown),
        cmocka_unit_test_teardown(test_commit_receive_pending_events, teardown),
        cmocka_unit_test_teardown(test_commit_issue_pending_events, teardown),
        cmocka_unit_test_teardown(test_stored_error_keeps_document, teardown),
        cmocka_unit_test_teardown(test_stored_ok_reports_first_seq, teardown),
        cmocka_unit_test_teardown(test_mode_change_clears_document, teardown),
        cmocka_unit_test_teardown(test_warehouse_card_refused_while_lines_exist, teardown),
        cmocka_unit_test_teardown(test_line_limit, teardown),
        cmocka_unit_test_teardown(test_logout_clears_everything, teardown),
        cmocka_unit_test_teardown(test_invalid_card_ids, teardown),
        cmocka_unit_test_teardown(test_unknown_cards, teardown),
        cmocka_unit_test_teardown(test_bad_item_codes, teardown),
    };
    return cmocka_run_group_tests_name("counter", tests, NULL, NULL);
}
