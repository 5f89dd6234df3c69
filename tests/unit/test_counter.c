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
#include "master.h"
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

/* A commit whose outcome the store cannot tell yet (TT_ERR_INDOUBT): the
 * document is kept and every input is refused, so nothing is entered twice
 * or changed while its fate is open; then the store's verdict either
 * clears it (stored after all) or asks for the commit again. */
static void test_stored_in_doubt_waits_for_verdict(void **state)
{
    static const char *const W_DOUBT[2] = {"尚不确定", "not known yet"};
    static const char *const W_WAIT[2] = {"正在检查存储", "being checked"};
    static const char *const W_AGAIN[2] = {"单据未保存", "NOT stored"};
    static const char *const W_AFTER_ALL[2] = {"单据已保存", "WAS stored"};
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        for (int stored = 0; stored <= 1; stored++) {
            tt_event_t evs[TT_COUNTER_LINES_MAX];
            tt_counter_t *c = ready_issue(lang, "R9");
            scan_ok(c, ITEM1);
            scan_ok(c, ITEM2);
            assert_int_equal(commit(c, evs), 2);

            assert_int_equal(tt_counter_stored(c, TT_ERR_INDOUBT, 0), TT_COUNTER_BEEP_ERROR);
            assert_true(V(c)->message_is_error);
            msg_has(c, W_DOUBT[lang]);
            assert_int_equal(V(c)->nlines, 2);
            /* Locked: no line, card, commit, cancel or keypad entry. */
            scan_refused(c, ITEM1, W_WAIT[lang]);
            scan_refused(c, "TT:COMMIT", W_WAIT[lang]);
            scan_refused(c, "TT:CANCEL", W_WAIT[lang]);
            scan_refused(c, "TT:LOGOUT", W_WAIT[lang]);
            key_refused(c, "5", W_WAIT[lang]);
            no_pending(c);
            assert_int_equal(V(c)->nlines, 2);
            assert_string_equal(V(c)->operator_id, "li4");

            if (stored) {
                assert_int_equal(tt_counter_settled(c, 41), TT_COUNTER_BEEP_OK);
                assert_false(V(c)->message_is_error);
                msg_has(c, W_AFTER_ALL[lang]);
                msg_has(c, "#41");
                assert_int_equal(V(c)->nlines, 0);
                no_pending(c);
            } else {
                assert_int_equal(tt_counter_settled(c, 0), TT_COUNTER_BEEP_ERROR);
                assert_true(V(c)->message_is_error);
                msg_has(c, W_AGAIN[lang]);
                assert_int_equal(V(c)->nlines, 2);
                /* Unlocked: the storekeeper commits the same document again. */
                assert_int_equal(commit(c, evs), 2);
                assert_string_equal(evs[1].body.stock.item, ITEM2);
                assert_int_equal(tt_counter_stored(c, TT_OK, 42), TT_COUNTER_BEEP_OK);
                msg_has(c, "#42");
            }
            /* A second verdict, or one with nothing in doubt, changes nothing. */
            assert_int_equal(tt_counter_settled(c, 0), TT_COUNTER_BEEP_NONE);
            assert_int_equal(V(c)->nlines, 0);
            scan_refused(c, ITEM1, W_NEED_UNIT[lang]);
            done(c);
        }
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

/* ==========================================================================
 * The other modes: return, transfer, count, revolving materials and the
 * repair bay's equipment steps; master-data lookups (with a fake table).
 * ======================================================================== */

static const char *const W_NEED_TO[2] = {"请先扫调入仓库卡", "destination warehouse card"};
static const char *const W_NEED_ACTION[2] = {"请先扫周转材料业务卡", "action card"};
static const char *const W_NEED_TO_UNIT[2] = {"请先扫接收单位卡", "receiving unit's card"};
static const char *const W_NEED_RESULT[2] = {"请先扫结果卡", "result card"};
static const char *const W_CARD_NOT_HERE[2] = {"此业务不用此卡", "not used in this mode"};
static const char *const W_NO_UNIT_CARD[2] = {"此业务不用工区卡", "takes no work area card"};
static const char *const W_BAD_RESULT[2] = {"此步骤没有这个结果", "not a result of this step"};
static const char *const W_SAME_WAREHOUSE[2] = {"调出与调入仓库相同", "same warehouse"};
static const char *const W_NOT_ASSET[2] = {"请扫设备标签", "scan the asset's tag"};
static const char *const W_ASSET_TAG[2] = {"这是设备标签", "this is an asset tag"};
static const char *const W_DOC_OPEN[2] = {"请先提交或取消", "commit or cancel"};
static const char *const W_NO_MASTER[2] = {"主数据尚未同步", "no master data yet"};
static const char *const W_UNKNOWN_ITEM[2] = {"未知条码", "unknown barcode"};
static const char *const W_INACTIVE_ITEM[2] = {"物资已停用", "no longer in use"};
static const char *const W_UNKNOWN_OPERATOR[2] = {"未知或已停用的操作员", "unknown or inactive operator"};
static const char *const W_UNKNOWN_WAREHOUSE[2] = {"未知仓库", "unknown warehouse"};
static const char *const W_UNKNOWN_UNIT[2] = {"未知工区", "unknown work area"};
static const char *const W_LOOKUP_FAILED[2] = {"主数据读取失败", "could not be read"};
static const char *const W_UNKNOWN_PLAN[2] = {"未知计划序号", "unknown plan serial"};
static const char *const W_PLAN_NOT_APPROVED[2] = {"未批准", "is not approved"};
static const char *const W_NOT_IN_PLAN[2] = {"不在计划", "is not in plan"};
static const char *const W_UNKNOWN_ASSET[2] = {"未知设备", "unknown asset"};
static const char *const W_INACTIVE_ASSET[2] = {"设备已停用", "asset no longer in use"};

#define ITEM2_CODE "ANCHOR-K2350"   /* the item whose package barcode is ITEM2 */
#define ITEM1_ALT "6901234567809"   /* a second barcode of ITEM1 */
#define GAUZE "GAUZE-8x10"          /* GTIN 09506000134352 */
#define TAGGED "TAGGED-ITEM"        /* GTIN 80614141123458, the SGTIN below */
#define PROP "PROP-DW35"
#define LAMP "LAMP-KL5"             /* retired */
#define LAMP_BARCODE "6901234567885"
#define SGTIN_EPC "3074257BF7194E4000001A85"   /* SGTIN-96: (01)80614141123458(21)6789 */
#define GIAI_A "06141415678"                   /* GIAI of EPC_A */
#define EPC_A "3434257BF40000000000162E"       /* GIAI-96, filter 1, partition 5 */
#define ASSET "EQ-PUMP-0007"                   /* a printed asset barcode */
/* The equipment register of the fake lookup: */
#define ASSET_A "P-0042"                       /* GIAI_A */
#define ASSET_B "P-0043"                       /* GIAI 6901234900001, barcode ASSET */
#define ASSET_C "P-0044"                       /* GIAI-202 0614141AB-12 */
#define ASSET_OLD "P-0099"                     /* retired; barcode EQ-OLD-1 */
/* Plan lines of the fake lookup: */
#define PLAN1 "P2026-0117"                     /* ITEM1, 200, approved */
#define PLAN2 "P2026-0118"                     /* ITEM2_CODE, 50.5, approved */
#define PLAN_REJECTED "P2026-0119"             /* ITEM1, rejected */
#define PLAN_STRANGER "P2026-0120"             /* an item this terminal does not know */

static const tt_counter_mode_t ALL_MODES[] = {
    TT_COUNTER_MODE_RECEIVE, TT_COUNTER_MODE_ISSUE, TT_COUNTER_MODE_RETURN,
    TT_COUNTER_MODE_TRANSFER, TT_COUNTER_MODE_COUNT, TT_COUNTER_MODE_REVOLVE,
    TT_COUNTER_MODE_APPRAISAL, TT_COUNTER_MODE_SELFCHECK, TT_COUNTER_MODE_ACCEPTANCE,
    TT_COUNTER_MODE_EQUIP_ISSUE,
};
#define NMODES (sizeof ALL_MODES / sizeof ALL_MODES[0])

static int is_step_mode(tt_counter_mode_t m)
{
    return m >= TT_COUNTER_MODE_APPRAISAL && m <= TT_COUNTER_MODE_EQUIP_ISSUE;
}

/* --- EPCs, packed bit by bit as the Tag Data Standard lays them out ------ */

static void put_bits(unsigned char *b, size_t pos, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++)
        if ((v >> (n - 1 - i)) & 1u)
            b[(pos + i) / 8] |= (unsigned char)(0x80u >> ((pos + i) % 8));
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02X", b[i]);
}

/* Partition 5: a 7-digit company prefix in 24 bits. */
static void giai96(const char *prefix7, uint64_t ref, char out[25])
{
    unsigned char b[12] = {0};
    assert_int_equal(strlen(prefix7), 7);
    put_bits(b, 0, 8, 0x34);
    put_bits(b, 8, 3, 1);
    put_bits(b, 11, 3, 5);
    put_bits(b, 14, 24, strtoull(prefix7, NULL, 10));
    put_bits(b, 38, 58, ref);
    to_hex(b, sizeof b, out);
}

static void giai202(const char *prefix7, const char *ref, char out[53])
{
    unsigned char b[26] = {0};
    size_t pos = 38;
    put_bits(b, 0, 8, 0x38);
    put_bits(b, 8, 3, 1);
    put_bits(b, 11, 3, 5);
    put_bits(b, 14, 24, strtoull(prefix7, NULL, 10));
    for (; *ref; ref++, pos += 7)
        put_bits(b, pos, 7, (unsigned char)*ref);
    to_hex(b, sizeof b, out);
}

/* --- a fake master-data lookup -------------------------------------------- */

typedef struct {
    const char *code, *name, *spec, *uom;
    int active;
    const char *barcodes[3];
} fake_item_t;

static const fake_item_t fake_items[] = {
    {ITEM1, "锚杆", "Φ20×2200", "根", 1, {ITEM1_ALT}},
    {ITEM2_CODE, "锚固剂", "K2350", "卷", 1, {ITEM2}},
    {ITEM3, "螺栓", "M12×80", "个", 1, {NULL}},
    {GAUZE, "医用纱布", "8×10cm", "包", 1, {"9506000134352"}},
    {TAGGED, "标签物资", "", "个", 1, {"80614141123458"}},
    {PROP, "单体液压支柱", "DW35-250/100", "根", 1, {NULL}},
    {LAMP, "矿灯", "KL5", "个", 0, {LAMP_BARCODE}},
};

static const struct {
    const char *id, *badge;
    int active;
} fake_ops[] = {{"zhang3", "B0001", 1}, {"li4", "B0002", 1}, {"zhao6", "B0006", 0}};
static const char *const fake_whs[] = {"W01", "W02", "W03"};

static const struct {
    const char *serial, *item;
    tt_qty_t qty;
    tt_plan_status_t status;
} fake_plans[] = {
    {PLAN1, ITEM1, 200000, TT_PLAN_APPROVED},
    {PLAN2, ITEM2_CODE, 50500, TT_PLAN_APPROVED},
    {PLAN_REJECTED, ITEM1, 10000, TT_PLAN_REJECTED},
    {PLAN_STRANGER, "NEW-ITEM-1", 3000, TT_PLAN_APPROVED},
};

static const struct {
    const char *asset, *model, *giai, *barcode;
    int active;
} fake_assets[] = {
    {ASSET_A, "乳化液泵", GIAI_A, "", 1},
    {ASSET_B, "采煤机", "6901234900001", ASSET, 1},
    {ASSET_C, "刮板输送机", "0614141AB-12", "", 1},
    {ASSET_OLD, "旧水泵", "0614141999", "EQ-OLD-1", 0},
};
static const char *const fake_units[] = {"A3", "A4", "XL"};

static struct {
    int busy;        /* no master data yet */
    tt_err_t fail;   /* every lookup fails with this (TT_OK: none) */
    int item_calls;
} fake;

static tt_err_t fake_state(void)
{
    return fake.busy ? TT_ERR_BUSY : fake.fail;
}

static tt_err_t fake_item(void *ctx, const char *barcode, tt_master_item_t *out)
{
    (void)ctx;
    fake.item_calls++;
    if (fake_state() != TT_OK)
        return fake_state();
    for (size_t i = 0; i < sizeof fake_items / sizeof fake_items[0]; i++) {
        const fake_item_t *f = &fake_items[i];
        int hit = strcmp(f->code, barcode) == 0;
        for (size_t k = 0; !hit && k < 3 && f->barcodes[k]; k++)
            hit = strcmp(f->barcodes[k], barcode) == 0;
        if (!hit)
            continue;
        memset(out, 0, sizeof *out);
        snprintf(out->code, sizeof out->code, "%s", f->code);
        snprintf(out->name, sizeof out->name, "%s", f->name);
        snprintf(out->spec, sizeof out->spec, "%s", f->spec);
        snprintf(out->uom, sizeof out->uom, "%s", f->uom);
        out->category = TT_ITEM_MATERIAL;
        out->active = f->active;
        return TT_OK;
    }
    return TT_ERR_NOTFOUND;
}

static tt_err_t fake_operator(void *ctx, const char *key, tt_master_operator_t *out)
{
    (void)ctx;
    if (fake_state() != TT_OK)
        return fake_state();
    for (int pass = 0; pass < 2; pass++)   /* ids before badges, as the outbox does */
        for (size_t i = 0; i < sizeof fake_ops / sizeof fake_ops[0]; i++) {
            if (strcmp(pass ? fake_ops[i].badge : fake_ops[i].id, key) != 0)
                continue;
            memset(out, 0, sizeof *out);
            snprintf(out->id, sizeof out->id, "%s", fake_ops[i].id);
            snprintf(out->name, sizeof out->name, "%s", "某人");
            snprintf(out->role, sizeof out->role, "%s", "storekeeper");
            snprintf(out->badge, sizeof out->badge, "%s", fake_ops[i].badge);
            out->active = fake_ops[i].active;
            return TT_OK;
        }
    return TT_ERR_NOTFOUND;
}

static int in_ids(const char *id, const char *const *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return 1;
    return 0;
}

static tt_err_t fake_warehouse(void *ctx, const char *id, tt_master_warehouse_t *out)
{
    (void)ctx;
    if (fake_state() != TT_OK)
        return fake_state();
    if (!in_ids(id, fake_whs, sizeof fake_whs / sizeof fake_whs[0]))
        return TT_ERR_NOTFOUND;
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", id);
    snprintf(out->name, sizeof out->name, "%s", "仓库");
    out->kind = TT_WAREHOUSE_CENTRAL;
    return TT_OK;
}

static tt_err_t fake_unit(void *ctx, const char *id, tt_master_unit_t *out)
{
    (void)ctx;
    if (fake_state() != TT_OK)
        return fake_state();
    if (!in_ids(id, fake_units, sizeof fake_units / sizeof fake_units[0]))
        return TT_ERR_NOTFOUND;
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", id);
    snprintf(out->name, sizeof out->name, "%s", "工区");
    out->kind = TT_UNIT_WORK_AREA;
    return TT_OK;
}

static tt_err_t fake_plan(void *ctx, const char *serial, tt_master_plan_t *out)
{
    (void)ctx;
    if (fake_state() != TT_OK)
        return fake_state();
    for (size_t i = 0; i < sizeof fake_plans / sizeof fake_plans[0]; i++) {
        if (strcmp(fake_plans[i].serial, serial) != 0)
            continue;
        memset(out, 0, sizeof *out);
        snprintf(out->serial, sizeof out->serial, "%s", serial);
        snprintf(out->item, sizeof out->item, "%s", fake_plans[i].item);
        out->qty = fake_plans[i].qty;
        out->status = fake_plans[i].status;
        return TT_OK;
    }
    return TT_ERR_NOTFOUND;
}

/* As the outbox: by GIAI when read from a tag, else by number, then
 * barcode. */
static tt_err_t fake_equipment(void *ctx, const char *key, int by_giai, tt_master_equipment_t *out)
{
    (void)ctx;
    if (fake_state() != TT_OK)
        return fake_state();
    for (int pass = by_giai ? 2 : 0; pass < (by_giai ? 3 : 2); pass++)
        for (size_t i = 0; i < sizeof fake_assets / sizeof fake_assets[0]; i++) {
            const char *col = pass == 0   ? fake_assets[i].asset
                              : pass == 1 ? fake_assets[i].barcode
                                          : fake_assets[i].giai;
            if (!col[0] || strcmp(col, key) != 0)
                continue;
            memset(out, 0, sizeof *out);
            snprintf(out->asset, sizeof out->asset, "%s", fake_assets[i].asset);
            snprintf(out->model, sizeof out->model, "%s", fake_assets[i].model);
            snprintf(out->giai, sizeof out->giai, "%s", fake_assets[i].giai);
            snprintf(out->barcode, sizeof out->barcode, "%s", fake_assets[i].barcode);
            out->active = fake_assets[i].active;
            return TT_OK;
        }
    return TT_ERR_NOTFOUND;
}

/* Makes c check everything against the fake table (lk = 1) or nothing. */
static void use_lookup(tt_counter_t *c, int lk)
{
    tt_counter_lookup_t l;
    memset(&fake, 0, sizeof fake);
    memset(&l, 0, sizeof l);
    l.ctx = NULL;
    l.item = fake_item;
    l.operator_ = fake_operator;
    l.warehouse = fake_warehouse;
    l.unit = fake_unit;
    l.plan = fake_plan;
    l.equipment = fake_equipment;
    tt_counter_set_lookup(c, lk ? &l : NULL);
}

/* Logged in as zhang3 in `mode`; warehouse "" (the card gives one). */
static tt_counter_t *in_mode(int lang, int lk, const char *mode)
{
    char card[64];
    tt_counter_t *c = mk("", lang);
    use_lookup(c, lk);
    scan_ok(c, "TT:OP:zhang3");
    snprintf(card, sizeof card, "TT:MODE:%s", mode);
    scan_ok(c, card);
    return c;
}

/* The item an event carries for a scanned barcode: its code with master
 * data, the barcode itself without. */
static const char *item_of(int lk, const char *scanned, const char *code)
{
    return lk ? code : scanned;
}

static void assert_body_empty_except(const tt_event_t *ev, const char *keep)
{
    const tt_event_stock_t *b = &ev->body.stock;
#define EMPTY_UNLESS(f)                                                                        \
    if (!strstr(keep, " " #f " ") && b->f[0])                                                 \
        fail_msg("line %u: body." #f " is '%s', expected empty", b->line, b->f);
    EMPTY_UNLESS(warehouse)
    EMPTY_UNLESS(item)
    EMPTY_UNLESS(to)
    EMPTY_UNLESS(action)
    EMPTY_UNLESS(to_unit)
    EMPTY_UNLESS(asset)
    EMPTY_UNLESS(step)
    EMPTY_UNLESS(result)
    EMPTY_UNLESS(unit)
    EMPTY_UNLESS(ref)
#undef EMPTY_UNLESS
}

/* --- the modes ------------------------------------------------------------ */

static void test_mode_words_and_labels(void **state)
{
    static const char *const words[] = {"receive", "issue", "return", "transfer", "count",
                                        "revolve", "appraisal", "selfcheck", "acceptance",
                                        "equip-issue"};
    static const char *const zh[] = {"入库", "出库", "交旧", "调拨", "盘点", "周转材料",
                                     "鉴定", "自检", "验收", "设备出库"};
    (void)state;
    assert_int_equal(NMODES, TT_COUNTER_MODE_LAST);
    for (size_t i = 0; i < NMODES; i++) {
        assert_string_equal(tt_counter_mode_word(ALL_MODES[i]), words[i]);
        assert_string_equal(tt_counter_mode_label(ALL_MODES[i], TT_COUNTER_LANG_ZH), zh[i]);
        assert_non_null(tt_counter_mode_label(ALL_MODES[i], TT_COUNTER_LANG_EN));
        for (int lang = ZH; lang <= EN; lang++) {
            char card[64];
            tt_counter_t *c = mk("W01", lang);
            scan_ok(c, "TT:OP:zhang3");
            snprintf(card, sizeof card, "TT:MODE:%s", words[i]);
            scan_ok(c, card);
            assert_int_equal(V(c)->mode, ALL_MODES[i]);
            /* Receive and issue say what they need first; the others name the
             * mode by its label. */
            if (i < 2)
                msg_has(c, lang == ZH ? zh[i] : words[i]);
            else
                msg_has(c, tt_counter_mode_label(ALL_MODES[i], (tt_counter_lang_t)lang));
            if (is_step_mode(ALL_MODES[i]))
                msg_has(c, lang == ZH ? "设备标签" : "asset's tag");
            done(c);
        }
    }
    assert_null(tt_counter_mode_word((tt_counter_mode_t)(TT_COUNTER_MODE_LAST + 1)));
    assert_null(tt_counter_mode_label((tt_counter_mode_t)(TT_COUNTER_MODE_LAST + 1), TT_COUNTER_LANG_ZH));
    assert_null(tt_counter_mode_label(TT_COUNTER_MODE_COUNT, (tt_counter_lang_t)2));
}

/* What each mode asks for, in order, before its first line. */
/* An asset scanned in an equipment mode whose cards are not complete:
 * with master data it is shown (its state, what is still needed), not
 * taken; without, refused as before. */
static void asset_before_cards(tt_counter_t *c, int lk, const char *need)
{
    size_t n = V(c)->nlines;
    if (lk) {
        scan_ok(c, ASSET);
        assert_true(V(c)->asset.shown);
        msg_has(c, need);
    } else {
        scan_refused(c, ASSET, need);
    }
    assert_int_equal(V(c)->nlines, n);
}

static void test_mode_needs(void **state)
{
    (void)state;
    for (int lk = 0; lk <= 1; lk++)
        for (int lang = ZH; lang <= EN; lang++) {
            tt_counter_t *c = in_mode(lang, lk, "return");
            scan_refused(c, ITEM1, W_NEED_WAREHOUSE[lang]);
            scan_ok(c, "TT:WH:W02");
            scan_refused(c, ITEM1, W_NEED_UNIT[lang]);
            scan_ok(c, "TT:UNIT:A3");
            scan_ok(c, ITEM1);                   /* no reference needed */
            assert_int_equal(V(c)->nlines, 1);
            done(c);

            c = in_mode(lang, lk, "transfer");
            scan_refused(c, ITEM1, W_NEED_WAREHOUSE[lang]);
            scan_ok(c, "TT:WH:W01");
            scan_refused(c, ITEM1, W_NEED_TO[lang]);
            scan_ok(c, "TT:TO:W02");
            msg_has(c, "W02");
            scan_ok(c, ITEM1);
            done(c);

            c = in_mode(lang, lk, "count");
            scan_refused(c, ITEM1, W_NEED_WAREHOUSE[lang]);
            scan_ok(c, "TT:WH:W01");
            scan_ok(c, ITEM1);
            done(c);

            c = in_mode(lang, lk, "revolve");
            scan_refused(c, PROP, W_NEED_WAREHOUSE[lang]);
            scan_ok(c, "TT:WH:W01");
            scan_refused(c, PROP, W_NEED_UNIT[lang]);
            scan_ok(c, "TT:UNIT:A3");
            scan_refused(c, PROP, W_NEED_ACTION[lang]);
            scan_ok(c, "TT:ACT:handover");
            msg_has(c, "handover");
            scan_refused(c, PROP, W_NEED_TO_UNIT[lang]);
            scan_ok(c, "TT:TOUNIT:A4");
            msg_has(c, "A4");
            scan_ok(c, PROP);
            assert_int_equal(V(c)->nlines, 1);
            done(c);

            /* Equipment steps need no warehouse: only the result. */
            static const char *const steps[] = {"appraisal", "selfcheck", "acceptance"};
            static const char *const results[] = {"minor", "pass", "fail"};
            for (size_t i = 0; i < 3; i++) {
                char card[32];
                c = in_mode(lang, lk, steps[i]);
                asset_before_cards(c, lk, W_NEED_RESULT[lang]);
                snprintf(card, sizeof card, "TT:RES:%s", results[i]);
                scan_ok(c, card);
                msg_has(c, results[i]);
                scan_ok(c, ASSET);
                assert_string_equal(V(c)->warehouse, "");
                done(c);
            }
            /* equip-issue: the work area first, then the result. */
            c = in_mode(lang, lk, "equip-issue");
            asset_before_cards(c, lk, W_NEED_UNIT[lang]);
            scan_ok(c, "TT:RES:standby");
            asset_before_cards(c, lk, W_NEED_UNIT[lang]);
            scan_ok(c, "TT:UNIT:A3");
            scan_ok(c, ASSET);
            done(c);
            c = in_mode(lang, lk, "equip-issue");
            scan_ok(c, "TT:UNIT:A3");
            asset_before_cards(c, lk, W_NEED_RESULT[lang]);
            scan_ok(c, "TT:RES:in_use");
            scan_ok(c, ASSET);
            done(c);
        }
}

/* The cards of the new modes are taken only where they belong. */
static void test_cards_only_where_they_belong(void **state)
{
    enum { UNIT, TO, TOUNIT, ACT, RES, NCARDS };
    /* 1: taken in this mode (order of ALL_MODES, then NONE). */
    static const int taken[NMODES + 1][NCARDS] = {
        /* receive */ {0, 0, 0, 0, 0},
        /* issue */ {1, 0, 0, 0, 0},
        /* return */ {1, 0, 0, 0, 0},
        /* transfer */ {0, 1, 0, 0, 0},
        /* count */ {0, 0, 0, 0, 0},
        /* revolve */ {1, 0, 1, 1, 0},
        /* appraisal */ {1, 0, 0, 0, 1},   /* the unit sending the asset in */
        /* selfcheck */ {0, 0, 0, 0, 1},
        /* acceptance */ {0, 0, 0, 0, 1},
        /* equip-issue */ {1, 0, 0, 0, 1},
        /* no mode */ {0, 0, 0, 0, 0},
    };
    static const char *const good_result[NMODES] = {"pass", "pass", "pass", "pass", "pass",
                                                    "pass", "medium", "fail", "pass", "in_use"};
    (void)state;
    for (int lk = 0; lk <= 1; lk++)
        for (int lang = ZH; lang <= EN; lang++)
            for (size_t m = 0; m <= NMODES; m++) {
                tt_counter_t *c = mk("W01", lang);
                char res[32];
                use_lookup(c, lk);
                scan_ok(c, "TT:OP:zhang3");
                if (m < NMODES) {
                    char card[32];
                    snprintf(card, sizeof card, "TT:MODE:%s", tt_counter_mode_word(ALL_MODES[m]));
                    scan_ok(c, card);
                }
                snprintf(res, sizeof res, "TT:RES:%s", m < NMODES ? good_result[m] : "pass");
                {
                    const char *cards[NCARDS] = {"TT:UNIT:A3", "TT:TO:W02", "TT:TOUNIT:A4",
                                                 "TT:ACT:draw", res};
                    for (int k = 0; k < NCARDS; k++) {
                        tt_counter_view_t before = *V(c);
                        if (taken[m][k]) {
                            scan_ok(c, cards[k]);
                            continue;
                        }
                        scan_refused(c, cards[k], k == UNIT ? W_NO_UNIT_CARD[lang]
                                                            : W_CARD_NOT_HERE[lang]);
                        if (k != UNIT)
                            msg_has(c, cards[k]);
                        /* nothing changed */
                        assert_string_equal(V(c)->unit, before.unit);
                        assert_string_equal(V(c)->to, before.to);
                        assert_string_equal(V(c)->to_unit, before.to_unit);
                        assert_string_equal(V(c)->action, before.action);
                        assert_string_equal(V(c)->next_result, before.next_result);
                        assert_int_equal(V(c)->mode, before.mode);
                    }
                }
                if (m < NMODES) {
                    assert_string_equal(V(c)->unit, taken[m][UNIT] ? "A3" : "");
                    assert_string_equal(V(c)->to, taken[m][TO] ? "W02" : "");
                    assert_string_equal(V(c)->action, taken[m][ACT] ? "draw" : "");
                    assert_string_equal(V(c)->next_result, taken[m][RES] ? good_result[m] : "");
                }
                done(c);
            }
}

static void test_results_per_step(void **state)
{
    static const struct {
        const char *mode;
        const char *ok[4];
    } steps[] = {
        {"appraisal", {"major", "medium", "minor", NULL}},
        {"selfcheck", {"pass", "fail", NULL}},
        {"acceptance", {"pass", "fail", NULL}},
        {"equip-issue", {"in_use", "standby", NULL}},
    };
    static const char *const every[] = {"major", "medium", "minor", "pass", "fail", "in_use",
                                        "standby", "PASS", "Major", "in-use", "", "pass ", "ok"};
    (void)state;
    for (int lang = ZH; lang <= EN; lang++)
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            tt_counter_t *c = in_mode(lang, 0, steps[s].mode);
            for (size_t i = 0; i < sizeof every / sizeof every[0]; i++) {
                char card[32];
                int ok = 0;
                for (size_t k = 0; steps[s].ok[k]; k++)
                    ok |= strcmp(steps[s].ok[k], every[i]) == 0;
                snprintf(card, sizeof card, "TT:RES:%s", every[i]);
                if (ok) {
                    scan_ok(c, card);
                    assert_string_equal(V(c)->next_result, every[i]);
                } else {
                    char before[16];
                    snprintf(before, sizeof before, "%s", V(c)->next_result);
                    scan_refused(c, card, W_BAD_RESULT[lang]);
                    assert_string_equal(V(c)->next_result, before);
                }
            }
            done(c);
        }
}

/* A count may be 0 (nothing on the shelf); no other mode takes 0. */
static void test_count_zero(void **state)
{
    static const char *const others[] = {"receive", "issue", "return", "transfer", "revolve"};
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_event_t evs[TT_COUNTER_LINES_MAX];
        tt_counter_t *c = in_mode(lang, 0, "count");
        scan_ok(c, "TT:WH:W01");
        key_ok(c, "0");
        assert_int_equal(V(c)->next_qty, 0);
        assert_int_equal(V(c)->next_qty_set, 1);
        scan_ok(c, ITEM1);
        assert_line(c, 0, ITEM1, 0);
        msg_has(c, lang == ZH ? "× 0" : "x 0");   /* shown, not taken for "no quantity" */
        assert_int_equal(V(c)->next_qty_set, 0);
        scan_ok(c, ITEM2);                     /* the 0 was for one line: 1 again */
        assert_line(c, 1, ITEM2, TT_QTY_SCALE);
        key_ok(c, "0.000");
        scan_ok(c, ITEM3);
        assert_line(c, 2, ITEM3, 0);
        key_refused(c, "-1", W_BAD_QTY[lang]);
        key_refused(c, "1.2345", W_BAD_QTY[lang]);
        assert_int_equal(commit(c, evs), 3);
        assert_int_equal(evs[0].body.stock.qty, 0);
        check_wire(&evs[0], 1, "\"qty\":\"0\"");
        check_wire(&evs[2], 3, "\"qty\":\"0\"");
        done(c);

        for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
            c = in_mode(lang, 0, others[i]);
            if (strcmp(others[i], "receive") == 0 || strcmp(others[i], "issue") == 0)
                key_ok(c, "REF-1");            /* their first entry is the reference */
            key_refused(c, "0", W_BAD_QTY[lang]);
            assert_int_equal(V(c)->next_qty_set, 0);
            done(c);
        }
    }
}

static void test_transfer_destination(void **state)
{
    (void)state;
    for (int lk = 0; lk <= 1; lk++)
        for (int lang = ZH; lang <= EN; lang++) {
            tt_counter_t *c = mk("W01", lang);   /* the terminal's own warehouse */
            use_lookup(c, lk);
            scan_ok(c, "TT:OP:zhang3");
            scan_ok(c, "TT:MODE:transfer");
            scan_refused(c, "TT:TO:W01", W_SAME_WAREHOUSE[lang]);
            assert_string_equal(V(c)->to, "");
            scan_refused(c, "TT:TO:a/b", W_UNKNOWN_CARD[lang]);
            scan_refused(c, "TT:TO:", W_UNKNOWN_CARD[lang]);
            scan_ok(c, "TT:TO:W02");
            assert_string_equal(V(c)->to, "W02");
            scan_ok(c, "TT:TO:W03");           /* no lines yet: another destination */
            assert_string_equal(V(c)->to, "W03");
            scan_ok(c, ITEM1);
            scan_refused(c, "TT:TO:W02", W_DOC_OPEN[lang]);
            scan_refused(c, "TT:WH:W02", W_DOC_OPEN[lang]);
            assert_string_equal(V(c)->to, "W03");
            assert_string_equal(V(c)->warehouse, "W01");
            /* A new document asks for its destination again. */
            scan_ok(c, "TT:CANCEL");
            assert_string_equal(V(c)->to, "");
            scan_refused(c, ITEM1, W_NEED_TO[lang]);
            /* From another warehouse, the terminal's own is a destination. */
            scan_ok(c, "TT:WH:W02");
            scan_ok(c, "TT:TO:W01");
            scan_ok(c, ITEM1);
            done(c);
        }
}

/* BUG: the destination is checked against the warehouse when TT:TO is
 * scanned, but a TT:WH scanned afterwards is not checked against the
 * destination: the document becomes a transfer from W02 to W02, which
 * tt_event_validate refuses, so it cannot be stored. */
static void test_transfer_warehouse_card_after_destination(void **state)
{
    tt_event_t evs[TT_COUNTER_LINES_MAX];
    tt_counter_t *c = in_mode(ZH, 0, "transfer");
    tt_counter_beep_t b;
    size_t n = 0;
    char reason[TT_EVENT_REASON_MAX] = "", said[TT_COUNTER_MSG_MAX];
    (void)state;

    scan_ok(c, "TT:WH:W01");
    scan_ok(c, "TT:TO:W02");
    b = tt_counter_scan(c, "TT:WH:W02");
    snprintf(said, sizeof said, "%s", V(c)->message);
    if (b == TT_COUNTER_BEEP_ERROR) {
        msg_has(c, W_SAME_WAREHOUSE[ZH]);
        assert_string_equal(V(c)->warehouse, "W01");
        done(c);
        return;
    }
    /* Taken: the document must at least be storable. */
    scan_ok(c, ITEM1);
    scan_ok(c, "TT:COMMIT");
    assert_int_equal(tt_counter_pending(c, TS, evs, &n), TT_OK);
    evs[0].seq = 1;
    if (tt_event_validate(&evs[0], reason, sizeof reason) != TT_OK)
        fail_msg("TT:WH:W02 after TT:TO:W02 was taken ('%s'), and the transfer from '%s' to '%s' "
                 "is not a valid event: %s (expected the card refused: %s)",
                 said, evs[0].body.stock.warehouse, evs[0].body.stock.to, reason,
                 W_SAME_WAREHOUSE[ZH]);
    done(c);
}

static void test_revolve_action_and_to_unit(void **state)
{
    (void)state;
    for (int lk = 0; lk <= 1; lk++)
        for (int lang = ZH; lang <= EN; lang++) {
            tt_counter_t *c = in_mode(lang, lk, "revolve");
            scan_ok(c, "TT:WH:W01");
            scan_ok(c, "TT:UNIT:A3");
            /* Unknown actions; words are exact. */
            scan_refused(c, "TT:ACT:fly", W_UNKNOWN_CARD[lang]);
            scan_refused(c, "TT:ACT:", W_UNKNOWN_CARD[lang]);
            scan_refused(c, "TT:ACT:Handover", W_UNKNOWN_CARD[lang]);
            assert_string_equal(V(c)->action, "");
            /* A receiving unit scanned before the handover card is kept ... */
            scan_ok(c, "TT:TOUNIT:A4");
            scan_ok(c, "TT:ACT:handover");
            assert_string_equal(V(c)->to_unit, "A4");
            scan_ok(c, PROP);
            /* ... and the document's action and receiver are fixed by its lines. */
            scan_refused(c, "TT:ACT:draw", W_DOC_OPEN[lang]);
            scan_refused(c, "TT:TOUNIT:A3", W_DOC_OPEN[lang]);
            assert_string_equal(V(c)->action, "handover");
            assert_string_equal(V(c)->to_unit, "A4");
            scan_ok(c, "TT:UNDO");
            /* Another action drops the receiver; handover asks for it again. */
            scan_ok(c, "TT:ACT:scrap");
            assert_string_equal(V(c)->to_unit, "");
            scan_ok(c, "TT:ACT:handover");
            scan_refused(c, PROP, W_NEED_TO_UNIT[lang]);
            scan_refused(c, "TT:TOUNIT:a/b", W_UNKNOWN_CARD[lang]);
            scan_ok(c, "TT:TOUNIT:A3");
            scan_ok(c, PROP);
            /* Each of the five actions is a card. */
            scan_ok(c, "TT:CANCEL");
            assert_string_equal(V(c)->action, "");
            assert_string_equal(V(c)->to_unit, "");
            assert_string_equal(V(c)->unit, "");
            scan_ok(c, "TT:UNIT:A3");
            static const char *const acts[] = {"draw", "handover", "loss", "burial", "scrap"};
            for (size_t i = 0; i < 5; i++) {
                char card[32];
                snprintf(card, sizeof card, "TT:ACT:%s", acts[i]);
                scan_ok(c, card);
                assert_string_equal(V(c)->action, acts[i]);
                msg_has(c, acts[i]);
            }
            done(c);
        }
}

/* BUG: TT:TOUNIT is taken after a non-handover action and kept, so a draw
 * carries a to_unit, which tt_event_validate allows only for a handover:
 * the document cannot be stored.  Whatever the fix (refuse the card or
 * drop the receiver), the committed events must be valid. */
static void test_revolve_to_unit_after_draw(void **state)
{
    tt_event_t evs[TT_COUNTER_LINES_MAX];
    tt_counter_t *c = in_mode(EN, 0, "revolve");
    char reason[TT_EVENT_REASON_MAX] = "";
    tt_counter_beep_t b;
    (void)state;

    scan_ok(c, "TT:WH:W01");
    scan_ok(c, "TT:UNIT:A3");
    scan_ok(c, "TT:ACT:draw");
    b = tt_counter_scan(c, "TT:TOUNIT:A4");
    scan_ok(c, PROP);
    assert_int_equal(commit(c, evs), 1);
    evs[0].seq = 1;
    if (tt_event_validate(&evs[0], reason, sizeof reason) != TT_OK)
        fail_msg("after TT:ACT:draw, TT:TOUNIT:A4 gave beep %d and the draw carries to_unit '%s': "
                 "%s", (int)b, evs[0].body.stock.to_unit, reason);
    assert_string_equal(evs[0].body.stock.action, "draw");
    assert_string_equal(evs[0].body.stock.to_unit, "");
    done(c);
}

/* --- asset lines ----------------------------------------------------------- */

static void test_epc_helpers(void **state)
{
    char hex[53];
    (void)state;
    giai96("0614141", 5678, hex);
    assert_string_equal(hex, EPC_A);   /* as `tagtrail decode` reads it */
    giai202("0614141", "AB-12", hex);
    assert_int_equal(strlen(hex), 52);
    assert_memory_equal(hex, "38", 2);
}

static void test_asset_lines(void **state)
{
    static const char *const modes_[] = {"appraisal", "selfcheck", "acceptance", "equip-issue"};
    static const char *const res[] = {"major", "pass", "fail", "standby"};
    (void)state;
    for (int lk = 0; lk <= 1; lk++)
        for (int lang = ZH; lang <= EN; lang++)
            for (size_t m = 0; m < 4; m++) {
                char giai_b[25], lower[25], g202[53], card[32];
                tt_counter_t *c = in_mode(lang, lk, modes_[m]);
                giai96("6901234", 900001, giai_b);
                giai202("0614141", "AB-12", g202);
                for (size_t i = 0; i <= strlen(giai_b); i++)
                    lower[i] = (char)(giai_b[i] >= 'A' && giai_b[i] <= 'F' ? giai_b[i] + 32 : giai_b[i]);
                if (m == 3)
                    scan_ok(c, "TT:UNIT:A3");
                snprintf(card, sizeof card, "TT:RES:%s", res[m]);
                scan_ok(c, card);
                fake.item_calls = 0;

                /* An RFID read names the asset by its GIAI; with the
                 * register, the line is the asset's number, with its model. */
                scan_ok(c, EPC_A);
                assert_string_equal(V(c)->lines[0].item, lk ? ASSET_A : GIAI_A);
                assert_string_equal(V(c)->lines[0].name, lk ? "乳化液泵" : "");
                assert_string_equal(V(c)->lines[0].result, res[m]);
                assert_int_equal(V(c)->lines[0].qty, 0);
                msg_has(c, lk ? ASSET_A : GIAI_A);
                msg_has(c, res[m]);
                msg_has(c, lang == ZH ? "第 1 行：设备" : "line 1: asset");
                scan_ok(c, lower);                   /* readers may report lower case */
                assert_string_equal(V(c)->lines[1].item, lk ? ASSET_B : "6901234900001");
                scan_ok(c, g202);                    /* GIAI-202: alphanumeric reference */
                assert_string_equal(V(c)->lines[2].item, lk ? ASSET_C : "0614141AB-12");
                scan_ok(c, ASSET);                   /* a printed barcode */
                assert_string_equal(V(c)->lines[3].item, lk ? ASSET_B : ASSET);
                if (lk) {
                    /* An EAN on an asset is no registered asset's. */
                    scan_refused(c, ITEM1, W_UNKNOWN_ASSET[lang]);
                    scan_ok(c, ASSET_C);             /* the asset number itself */
                    assert_string_equal(V(c)->lines[4].item, ASSET_C);
                    assert_string_equal(V(c)->lines[4].name, "刮板输送机");
                } else {
                    scan_ok(c, ITEM1);               /* without a register: as scanned */
                    assert_string_equal(V(c)->lines[4].item, ITEM1);
                    assert_string_equal(V(c)->lines[4].name, "");
                }
                /* An SGTIN is an item's tag, not an asset's. */
                scan_refused(c, SGTIN_EPC, W_NOT_ASSET[lang]);
                scan_refused(c, "ABC 123", W_BAD_CODE[lang]);
                key_refused(c, "2", W_BAD_QTY[lang]);   /* assets have no quantity */
                assert_int_equal(V(c)->nlines, 5);
                /* Assets are not items: no item lookup. */
                assert_int_equal(fake.item_calls, 0);
                done(c);
            }
}

/* The result card stays for the assets after it until another is scanned
 * (the code keeps next_result across lines); a new document clears it. */
static void test_result_per_asset(void **state)
{
    tt_event_t evs[TT_COUNTER_LINES_MAX];
    tt_counter_t *c = in_mode(EN, 0, "appraisal");
    (void)state;

    scan_ok(c, "TT:RES:major");
    scan_ok(c, "A-1");
    scan_ok(c, "A-2");
    scan_ok(c, "TT:RES:minor");              /* mid-document: for the next assets */
    scan_ok(c, "A-3");
    scan_refused(c, "TT:RES:pass", W_BAD_RESULT[EN]);
    scan_ok(c, "A-4");
    assert_string_equal(V(c)->lines[0].result, "major");
    assert_string_equal(V(c)->lines[1].result, "major");
    assert_string_equal(V(c)->lines[2].result, "minor");
    assert_string_equal(V(c)->lines[3].result, "minor");
    scan_ok(c, "TT:UNDO");
    assert_string_equal(V(c)->next_result, "minor");
    assert_int_equal(commit(c, evs), 3);
    assert_string_equal(evs[2].body.stock.result, "minor");
    assert_int_equal(tt_counter_stored(c, TT_OK, 1), TT_COUNTER_BEEP_OK);
    assert_string_equal(V(c)->next_result, "");
    scan_refused(c, "A-5", W_NEED_RESULT[EN]);
    scan_ok(c, "TT:RES:medium");
    scan_ok(c, "TT:MODE:selfcheck");         /* another step: its own results */
    assert_string_equal(V(c)->next_result, "");
    scan_refused(c, "A-5", W_NEED_RESULT[EN]);
    done(c);
}

/* RFID reads in the stock modes: an SGTIN is its item's GTIN, a GIAI is
 * refused as an asset tag. */
static void test_epc_in_item_modes(void **state)
{
    static const char *const stock_modes[] = {"return", "transfer", "count", "revolve"};
    (void)state;
    for (int lk = 0; lk <= 1; lk++)
        for (int lang = ZH; lang <= EN; lang++)
            for (size_t m = 0; m < 4; m++) {
                tt_counter_t *c = in_mode(lang, lk, stock_modes[m]);
                scan_ok(c, "TT:WH:W01");
                scan_ok(c, m == 1 ? "TT:TO:W02" : "TT:WH:W01");
                if (m == 0 || m == 3)
                    scan_ok(c, "TT:UNIT:A3");
                if (m == 3)
                    scan_ok(c, "TT:ACT:loss");
                scan_refused(c, EPC_A, W_ASSET_TAG[lang]);
                msg_has(c, GIAI_A);
                assert_int_equal(V(c)->nlines, 0);
                scan_ok(c, SGTIN_EPC);
                assert_string_equal(V(c)->lines[0].item, item_of(lk, "80614141123458", TAGGED));
                done(c);
            }
}

/* --- what each mode commits ------------------------------------------------- */

static void test_pending_return(void **state)
{
    (void)state;
    for (int lk = 0; lk <= 1; lk++) {
        tt_event_t evs[TT_COUNTER_LINES_MAX];
        tt_counter_t *c = in_mode(ZH, lk, "return");
        scan_ok(c, "TT:WH:W02");
        scan_ok(c, "TT:UNIT:A3");
        key_ok(c, "3");
        assert_string_equal(V(c)->ref, "");   /* a quantity, not a reference */
        scan_ok(c, ITEM1);
        scan_ok(c, ITEM2);
        assert_int_equal(commit(c, evs), 2);
        for (size_t i = 0; i < 2; i++) {
            assert_int_equal(evs[i].type, TT_EVENT_RETURN);
            assert_int_equal(evs[i].ts_ms, TS);
            assert_int_equal(evs[i].seq, 0);
            assert_string_equal(evs[i].operator_id, "zhang3");
            assert_string_equal(evs[i].body.stock.warehouse, "W02");
            assert_string_equal(evs[i].body.stock.unit, "A3");
            assert_int_equal(evs[i].body.stock.line, i + 1);
            assert_int_equal(evs[i].body.stock.lines, 2);
            assert_body_empty_except(&evs[i], " warehouse item unit ");
            check_wire(&evs[i], 1 + i, "\"type\":\"return\"");
            check_wire(&evs[i], 1 + i, "\"unit\":\"A3\"");
        }
        assert_string_equal(evs[0].body.stock.item, ITEM1);
        assert_int_equal(evs[0].body.stock.qty, 3000);
        assert_string_equal(evs[1].body.stock.item, item_of(lk, ITEM2, ITEM2_CODE));
        assert_int_equal(evs[1].body.stock.qty, 1000);
        done(c);
    }
}

static void test_pending_transfer(void **state)
{
    (void)state;
    for (int lk = 0; lk <= 1; lk++) {
        tt_event_t evs[TT_COUNTER_LINES_MAX];
        tt_counter_t *c = in_mode(EN, lk, "transfer");
        scan_ok(c, "TT:WH:W01");
        scan_ok(c, "TT:TO:W03");
        key_ok(c, "7.5");
        scan_ok(c, ITEM1_ALT);
        assert_int_equal(commit(c, evs), 1);
        assert_int_equal(evs[0].type, TT_EVENT_TRANSFER);
        assert_string_equal(evs[0].body.stock.warehouse, "W01");
        assert_string_equal(evs[0].body.stock.to, "W03");
        assert_string_equal(evs[0].body.stock.item, item_of(lk, ITEM1_ALT, ITEM1));
        assert_int_equal(evs[0].body.stock.qty, 7500);
        assert_body_empty_except(&evs[0], " warehouse item to ");
        check_wire(&evs[0], 9, "\"to\":\"W03\"");
        assert_int_equal(tt_counter_stored(c, TT_OK, 9), TT_COUNTER_BEEP_OK);
        assert_string_equal(V(c)->to, "");
        assert_string_equal(V(c)->warehouse, "W01");
        done(c);
    }
}

static void test_pending_count(void **state)
{
    (void)state;
    for (int lk = 0; lk <= 1; lk++) {
        tt_event_t evs[TT_COUNTER_LINES_MAX];
        tt_counter_t *c = in_mode(ZH, lk, "count");
        scan_ok(c, "TT:WH:W03");
        key_ok(c, "0");
        scan_ok(c, ITEM1);
        key_ok(c, "12.5");
        scan_ok(c, ITEM3);
        scan_ok(c, "(01)09506000134352(30)5");   /* the GS1 count wins */
        assert_int_equal(commit(c, evs), 3);
        for (size_t i = 0; i < 3; i++) {
            assert_int_equal(evs[i].type, TT_EVENT_COUNT);
            assert_string_equal(evs[i].body.stock.warehouse, "W03");
            assert_body_empty_except(&evs[i], " warehouse item ");
            check_wire(&evs[i], 1 + i, "\"type\":\"count\"");
        }
        assert_int_equal(evs[0].body.stock.qty, 0);
        assert_int_equal(evs[1].body.stock.qty, 12500);
        assert_string_equal(evs[2].body.stock.item, item_of(lk, "9506000134352", GAUZE));
        assert_int_equal(evs[2].body.stock.qty, 5000);
        done(c);
    }
}

static void test_pending_revolve(void **state)
{
    static const char *const acts[] = {"draw", "handover", "loss", "burial", "scrap"};
    (void)state;
    for (int lk = 0; lk <= 1; lk++)
        for (size_t a = 0; a < 5; a++) {
            tt_event_t evs[TT_COUNTER_LINES_MAX];
            char card[32];
            int handover = a == 1;
            tt_counter_t *c = in_mode(EN, lk, "revolve");
            scan_ok(c, "TT:WH:W01");
            scan_ok(c, "TT:UNIT:A3");
            snprintf(card, sizeof card, "TT:ACT:%s", acts[a]);
            scan_ok(c, card);
            if (handover)
                scan_ok(c, "TT:TOUNIT:A4");
            key_ok(c, "6");
            scan_ok(c, PROP);
            scan_ok(c, PROP);
            assert_int_equal(commit(c, evs), 2);
            for (size_t i = 0; i < 2; i++) {
                assert_int_equal(evs[i].type, TT_EVENT_REVOLVE);
                assert_string_equal(evs[i].body.stock.warehouse, "W01");
                assert_string_equal(evs[i].body.stock.item, PROP);
                assert_string_equal(evs[i].body.stock.action, acts[a]);
                assert_string_equal(evs[i].body.stock.unit, "A3");
                assert_string_equal(evs[i].body.stock.to_unit, handover ? "A4" : "");
                assert_body_empty_except(&evs[i], handover ? " warehouse item action unit to_unit "
                                                           : " warehouse item action unit ");
                check_wire(&evs[i], 1 + i, "\"type\":\"revolve\"");
            }
            assert_int_equal(evs[0].body.stock.qty, 6000);
            assert_int_equal(evs[1].body.stock.qty, 1000);
            assert_int_equal(tt_counter_stored(c, TT_OK, 1), TT_COUNTER_BEEP_OK);
            assert_string_equal(V(c)->action, "");
            assert_string_equal(V(c)->to_unit, "");
            done(c);
        }
}

static void test_pending_equipment(void **state)
{
    static const struct {
        const char *mode, *step, *r1, *r2;
    } steps[] = {
        {"appraisal", "appraisal", "major", "minor"},
        {"selfcheck", "selfcheck", "pass", "fail"},
        {"acceptance", "acceptance", "fail", "pass"},
        {"equip-issue", "issue", "in_use", "standby"},
    };
    (void)state;
    for (int lk = 0; lk <= 1; lk++)
        for (size_t s = 0; s < 4; s++) {
            tt_event_t evs[TT_COUNTER_LINES_MAX];
            char card[32], want[64];
            int issue = s == 3;
            tt_counter_t *c = in_mode(ZH, lk, steps[s].mode);
            scan_ok(c, "TT:WH:W01");           /* taken, but no part of a step */
            if (issue)
                scan_ok(c, "TT:UNIT:A4");
            snprintf(card, sizeof card, "TT:RES:%s", steps[s].r1);
            scan_ok(c, card);
            scan_ok(c, EPC_A);
            snprintf(card, sizeof card, "TT:RES:%s", steps[s].r2);
            scan_ok(c, card);
            scan_ok(c, ASSET);
            assert_int_equal(commit(c, evs), 2);
            for (size_t i = 0; i < 2; i++) {
                assert_int_equal(evs[i].type, TT_EVENT_EQUIPMENT);
                assert_string_equal(evs[i].operator_id, "zhang3");
                assert_string_equal(evs[i].body.stock.step, steps[s].step);
                assert_string_equal(evs[i].body.stock.unit, issue ? "A4" : "");
                assert_int_equal(evs[i].body.stock.qty, 0);
                assert_int_equal(evs[i].body.stock.line, i + 1);
                assert_int_equal(evs[i].body.stock.lines, 2);
                assert_body_empty_except(&evs[i], issue ? " asset step result unit "
                                                        : " asset step result ");
                snprintf(want, sizeof want, "\"step\":\"%s\"", steps[s].step);
                check_wire(&evs[i], 1 + i, want);
            }
            /* With the register an event carries the asset number, not the
             * GIAI or barcode scanned. */
            assert_string_equal(evs[0].body.stock.asset, lk ? ASSET_A : GIAI_A);
            assert_string_equal(evs[0].body.stock.result, steps[s].r1);
            assert_string_equal(evs[1].body.stock.asset, lk ? ASSET_B : ASSET);
            assert_string_equal(evs[1].body.stock.result, steps[s].r2);
            check_wire(&evs[0], 1, lk ? "\"asset\":\"" ASSET_A "\"" : "\"asset\":\"" GIAI_A "\"");
            done(c);
        }
}

/* --- master data ------------------------------------------------------------ */

static void test_lookup_items(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_event_t evs[TT_COUNTER_LINES_MAX];
        /* A count: any item may be a line (a receipt takes its plan's only,
         * see test_lookup_plans). */
        tt_counter_t *c = in_mode(lang, 1, "count");
        scan_ok(c, "TT:WH:W01");
        key_ok(c, "12.5");
        scan_ok(c, ITEM1);
        assert_string_equal(V(c)->message, lang == ZH ? "第 1 行：锚杆 Φ20×2200 × 12.5 根"
                                                      : "line 1: 锚杆 Φ20×2200 x 12.5 根");
        assert_string_equal(V(c)->lines[0].name, "锚杆");
        assert_string_equal(V(c)->lines[0].spec, "Φ20×2200");
        assert_string_equal(V(c)->lines[0].uom, "根");
        /* A second barcode, a package EAN, a GS1 GTIN: the item's code. */
        scan_ok(c, ITEM1_ALT);
        assert_line(c, 1, ITEM1, TT_QTY_SCALE);
        scan_ok(c, ITEM2);
        assert_line(c, 2, ITEM2_CODE, TT_QTY_SCALE);
        msg_has(c, "锚固剂 K2350");
        scan_ok(c, "(01)09506000134352(30)5");
        assert_line(c, 3, GAUZE, 5000);
        scan_ok(c, ITEM2_CODE);                 /* the code itself is a barcode too */
        assert_line(c, 4, ITEM2_CODE, TT_QTY_SCALE);
        /* Unknown and retired items are refused; the keypad quantity waits. */
        key_ok(c, "4");
        scan_refused(c, "6900000000991", W_UNKNOWN_ITEM[lang]);
        msg_has(c, "6900000000991");
        scan_refused(c, LAMP_BARCODE, W_INACTIVE_ITEM[lang]);
        msg_has(c, LAMP);
        msg_has(c, "矿灯");
        /* A badge mid-document is no login, and no item. */
        scan_refused(c, "B0002", W_UNKNOWN_ITEM[lang]);
        assert_string_equal(V(c)->operator_id, "zhang3");
        assert_int_equal(V(c)->nlines, 5);
        scan_ok(c, ITEM3);
        assert_line(c, 5, ITEM3, 4000);
        assert_int_equal(commit(c, evs), 6);
        assert_string_equal(evs[1].body.stock.item, ITEM1);
        assert_string_equal(evs[2].body.stock.item, ITEM2_CODE);
        assert_string_equal(evs[3].body.stock.item, GAUZE);
        /* Without a lookup again: every well-formed code, as scanned. */
        assert_int_equal(tt_counter_stored(c, TT_OK, 1), TT_COUNTER_BEEP_OK);
        tt_counter_set_lookup(c, NULL);
        scan_ok(c, "6900000000991");
        assert_line(c, 0, "6900000000991", TT_QTY_SCALE);
        assert_string_equal(V(c)->lines[0].name, "");
        done(c);
    }
}

static void test_lookup_operators(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = mk("W01", lang);
        use_lookup(c, 1);
        scan_refused(c, "TT:OP:nobody", W_UNKNOWN_OPERATOR[lang]);
        msg_has(c, "nobody");
        scan_refused(c, "TT:OP:zhao6", W_UNKNOWN_OPERATOR[lang]);   /* retired */
        scan_refused(c, "B0006", W_UNKNOWN_OPERATOR[lang]);         /* retired badge */
        scan_refused(c, "B0099", W_NEED_LOGIN[lang]);               /* nobody's badge */
        scan_refused(c, "zhang3", W_NEED_LOGIN[lang]);              /* an id is no badge */
        assert_string_equal(V(c)->operator_id, "");
        scan_ok(c, "B0002");                                        /* the badge logs in */
        assert_string_equal(V(c)->operator_id, "li4");
        msg_has(c, "li4");
        scan_ok(c, "TT:OP:B0001");                                  /* a card with a badge */
        assert_string_equal(V(c)->operator_id, "zhang3");
        scan_ok(c, "TT:MODE:appraisal");
        scan_ok(c, "TT:RES:major");
        scan_ok(c, "B0002");                                        /* no lines: a login */
        assert_string_equal(V(c)->operator_id, "li4");
        assert_int_equal(V(c)->nlines, 0);
        done(c);
    }
}

static void test_lookup_places(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = in_mode(lang, 1, "revolve");
        scan_refused(c, "TT:WH:W99", W_UNKNOWN_WAREHOUSE[lang]);
        msg_has(c, "W99");
        assert_string_equal(V(c)->warehouse, "");
        scan_ok(c, "TT:WH:W01");
        scan_refused(c, "TT:UNIT:Z9", W_UNKNOWN_UNIT[lang]);
        scan_refused(c, "TT:TOUNIT:Z9", W_UNKNOWN_UNIT[lang]);
        assert_string_equal(V(c)->unit, "");
        assert_string_equal(V(c)->to_unit, "");
        scan_ok(c, "TT:UNIT:A3");
        scan_ok(c, "TT:TOUNIT:A4");
        scan_ok(c, "TT:MODE:transfer");
        scan_refused(c, "TT:TO:W99", W_UNKNOWN_WAREHOUSE[lang]);
        assert_string_equal(V(c)->to, "");
        scan_ok(c, "TT:TO:W02");
        scan_ok(c, "TT:MODE:equip-issue");
        scan_refused(c, "TT:UNIT:Z9", W_UNKNOWN_UNIT[lang]);
        scan_ok(c, "TT:UNIT:XL");
        done(c);
    }
}


/* A receipt is backed by an approved plan line, and takes its item only. */
static void test_lookup_plans(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_event_t evs[TT_COUNTER_LINES_MAX];
        tt_counter_t *c = in_mode(lang, 1, "receive");
        scan_ok(c, "TT:WH:W01");
        key_refused(c, "P9999", W_UNKNOWN_PLAN[lang]);
        msg_has(c, "P9999");
        key_refused(c, PLAN_REJECTED, W_PLAN_NOT_APPROVED[lang]);
        msg_has(c, PLAN_REJECTED);
        key_refused(c, "P/1", W_BAD_REF[lang]);
        assert_string_equal(V(c)->ref, "");
        scan_refused(c, ITEM1, W_NEED_REF_RECEIVE[lang]);   /* still no plan */
        /* The serial accepted names the item and the approved quantity. */
        key_ok(c, PLAN1);
        assert_string_equal(V(c)->message, lang == ZH ? "计划 P2026-0117：锚杆，批准 200 根"
                                                      : "plan P2026-0117: 锚杆, approved 200 根");
        assert_string_equal(V(c)->ref, PLAN1);
        key_ok(c, "12.5");
        scan_ok(c, ITEM1);
        scan_ok(c, ITEM1_ALT);                       /* the plan's item by another barcode */
        assert_line(c, 1, ITEM1, TT_QTY_SCALE);
        /* Another item is refused, whatever barcode names it; the unknown
         * and the retired say so first. */
        key_ok(c, "3");
        scan_refused(c, ITEM2, W_NOT_IN_PLAN[lang]);
        msg_has(c, ITEM2_CODE);
        msg_has(c, "锚固剂");
        msg_has(c, PLAN1);
        scan_refused(c, "(01)09506000134352(30)5", W_NOT_IN_PLAN[lang]);
        msg_has(c, GAUZE);
        scan_refused(c, SGTIN_EPC, W_NOT_IN_PLAN[lang]);
        scan_refused(c, "6900000000991", W_UNKNOWN_ITEM[lang]);
        scan_refused(c, LAMP_BARCODE, W_INACTIVE_ITEM[lang]);
        assert_int_equal(V(c)->nlines, 2);
        scan_ok(c, ITEM1);
        assert_line(c, 2, ITEM1, 3000);              /* the quantity waited */
        assert_int_equal(commit(c, evs), 3);
        for (size_t i = 0; i < 3; i++) {
            assert_string_equal(evs[i].body.stock.ref, PLAN1);
            assert_string_equal(evs[i].body.stock.item, ITEM1);
        }
        assert_int_equal(tt_counter_stored(c, TT_OK, 1), TT_COUNTER_BEEP_OK);

        /* The next receipt, another plan: its item, not the last one's. */
        scan_refused(c, ITEM2, W_NEED_REF_RECEIVE[lang]);
        key_ok(c, PLAN2);
        msg_has(c, "50.5");
        msg_has(c, "卷");
        scan_refused(c, ITEM1, W_NOT_IN_PLAN[lang]);
        msg_has(c, PLAN2);
        scan_ok(c, ITEM2);
        assert_line(c, 0, ITEM2_CODE, TT_QTY_SCALE);
        /* A cancelled document takes its plan with it. */
        scan_ok(c, "TT:CANCEL");
        assert_string_equal(V(c)->ref, "");
        scan_refused(c, ITEM2, W_NEED_REF_RECEIVE[lang]);
        /* A plan line of an item this terminal does not know: named by its
         * code, and nothing can be scanned for it. */
        key_ok(c, PLAN_STRANGER);
        msg_has(c, "NEW-ITEM-1");
        msg_has(c, "3");
        scan_refused(c, ITEM1, W_NOT_IN_PLAN[lang]);
        /* Another mode is no receipt: its items are not checked against the
         * plan, and an issue's requisition number is no plan serial. */
        scan_ok(c, "TT:MODE:count");
        scan_ok(c, ITEM2);
        scan_ok(c, "TT:MODE:issue");
        scan_ok(c, "TT:UNIT:A3");
        key_ok(c, "R-4711");
        assert_string_equal(V(c)->ref, "R-4711");
        scan_ok(c, ITEM1);
        done(c);

        /* Before master data, and with a failing store. */
        c = in_mode(lang, 1, "receive");
        scan_ok(c, "TT:WH:W01");
        fake.busy = 1;
        key_refused(c, PLAN1, W_NO_MASTER[lang]);
        fake.busy = 0;
        fake.fail = TT_ERR_DB;
        key_refused(c, PLAN1, W_LOOKUP_FAILED[lang]);
        fake.fail = TT_OK;
        assert_string_equal(V(c)->ref, "");
        key_ok(c, PLAN1);
        done(c);
    }
}

/* At the repair bay an asset must be registered and active. */
static void test_lookup_equipment(void **state)
{
    static const char *const modes_[] = {"appraisal", "selfcheck", "acceptance", "equip-issue"};
    static const char *const res[] = {"major", "pass", "pass", "in_use"};
    (void)state;
    for (int lang = ZH; lang <= EN; lang++)
        for (size_t m = 0; m < 4; m++) {
            tt_event_t evs[TT_COUNTER_LINES_MAX];
            char card[32], epc[25], want[128];
            tt_counter_t *c = in_mode(lang, 1, modes_[m]);
            if (m == 3)
                scan_ok(c, "TT:UNIT:A3");
            snprintf(card, sizeof card, "TT:RES:%s", res[m]);
            scan_ok(c, card);

            scan_ok(c, EPC_A);
            snprintf(want, sizeof want, lang == ZH ? "第 1 行：设备 %s %s %s"
                                                   : "line 1: asset %s %s %s",
                     ASSET_A, "乳化液泵", res[m]);
            assert_string_equal(V(c)->message, want);
            /* Unknown: a tag no asset has, a barcode, a GIAI typed as a
             * barcode (a GIAI is read from the tag only). */
            giai96("6901234", 777, epc);
            scan_refused(c, epc, W_UNKNOWN_ASSET[lang]);
            msg_has(c, "6901234777");
            scan_refused(c, "EQ-NOPE", W_UNKNOWN_ASSET[lang]);
            msg_has(c, "EQ-NOPE");
            scan_refused(c, GIAI_A, W_UNKNOWN_ASSET[lang]);
            /* Retired, by its barcode and by its tag. */
            scan_refused(c, "EQ-OLD-1", W_INACTIVE_ASSET[lang]);
            msg_has(c, ASSET_OLD);
            msg_has(c, "旧水泵");
            giai96("0614141", 999, epc);
            scan_refused(c, epc, W_INACTIVE_ASSET[lang]);
            assert_int_equal(V(c)->nlines, 1);
            scan_ok(c, ASSET);
            assert_string_equal(V(c)->lines[1].item, ASSET_B);
            msg_has(c, "采煤机");
            assert_int_equal(commit(c, evs), 2);
            assert_string_equal(evs[0].body.stock.asset, ASSET_A);
            assert_string_equal(evs[1].body.stock.asset, ASSET_B);
            assert_int_equal(tt_counter_stored(c, TT_OK, 1), TT_COUNTER_BEEP_OK);

            /* Before master data, and with a failing store. */
            if (m == 3)
                scan_ok(c, "TT:UNIT:A3");
            scan_ok(c, card);
            fake.busy = 1;
            scan_refused(c, ASSET_A, W_NO_MASTER[lang]);
            scan_refused(c, EPC_A, W_NO_MASTER[lang]);
            fake.busy = 0;
            fake.fail = TT_ERR_DB;
            scan_refused(c, ASSET_A, W_LOOKUP_FAILED[lang]);
            fake.fail = TT_OK;
            assert_int_equal(V(c)->nlines, 0);
            done(c);
        }
}

/* A GIAI printed as a GS1 label, (8004) in a DataMatrix, a GS1-128 or a
 * Digital Link, names its asset at the repair bay exactly as the asset's
 * RFID tag does (by GIAI, not as a barcode); in the item modes it is
 * refused as an asset's tag. */
static void test_gs1_giai_labels(void **state)
{
    static const char *const modes_[] = {"appraisal", "selfcheck", "acceptance", "equip-issue"};
    static const char *const res[] = {"minor", "fail", "pass", "standby"};
    static const char *const W_BAD_GS1[2] = {"GS1 条码无效", "invalid GS1 barcode"};
    static const struct {
        const char *label, *asset;
    } labels[] = {
        {"(8004)" GIAI_A, ASSET_A},                           /* bracketed text */
        {"]d28004" GIAI_A, ASSET_A},                          /* DataMatrix */
        {"]C18004" GIAI_A, ASSET_A},                          /* GS1-128 */
        {"]d280040614141AB-12", ASSET_C},                     /* an alphanumeric GIAI */
        {"https://id.mine.example/8004/0614141AB-12", ASSET_C},   /* Digital Link */
        {"(8004)6901234900001", ASSET_B},                     /* B's GIAI, not its barcode */
    };
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        for (size_t m = 0; m < 4; m++) {
            tt_event_t evs[TT_COUNTER_LINES_MAX];
            char card[32];
            tt_counter_t *c = in_mode(lang, 1, modes_[m]);
            if (m == 3)
                scan_ok(c, "TT:UNIT:A3");
            snprintf(card, sizeof card, "TT:RES:%s", res[m]);
            scan_ok(c, card);
            for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
                scan_ok(c, labels[i].label);
                assert_int_equal(V(c)->nlines, i + 1);
                assert_string_equal(V(c)->lines[i].item, labels[i].asset);
                assert_string_equal(V(c)->lines[i].result, res[m]);
            }
            /* The same asset by its tag: the same line text. */
            scan_ok(c, EPC_A);
            assert_string_equal(V(c)->lines[6].item, ASSET_A);
            /* A GIAI no asset has; a retired asset's; an item's label; a
             * malformed (8004) (a GIAI starts with its company prefix). */
            scan_refused(c, "(8004)06141417777", W_UNKNOWN_ASSET[lang]);
            msg_has(c, "06141417777");
            scan_refused(c, "]d280040614141999", W_INACTIVE_ASSET[lang]);
            msg_has(c, ASSET_OLD);
            scan_refused(c, "(01)09506000134352", W_NOT_ASSET[lang]);
            scan_refused(c, "(8004)ABC-1", W_BAD_GS1[lang]);
            /* The asset's GIAI as plain text is a barcode, which it is not. */
            scan_refused(c, GIAI_A, W_UNKNOWN_ASSET[lang]);
            /* A non-GS1 symbology carries a plain barcode. */
            scan_ok(c, "]C0" ASSET);
            assert_string_equal(V(c)->lines[7].item, ASSET_B);
            assert_int_equal(commit(c, evs), 8);
            for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
                assert_string_equal(evs[i].body.stock.asset, labels[i].asset);
            assert_string_equal(evs[6].body.stock.asset, ASSET_A);
            assert_int_equal(tt_counter_stored(c, TT_OK, 1), TT_COUNTER_BEEP_OK);
            done(c);
        }
        /* Without master data the line is the GIAI, as from a tag. */
        {
            tt_counter_t *c = in_mode(lang, 0, "appraisal");
            scan_ok(c, "TT:RES:major");
            scan_ok(c, "]d28004" GIAI_A);
            assert_string_equal(V(c)->lines[0].item, GIAI_A);
            done(c);
        }
        /* In an item mode a GIAI label is an asset's, not an item's. */
        {
            tt_counter_t *c = in_mode(lang, 1, "transfer");
            scan_ok(c, "TT:WH:W01");
            scan_ok(c, "TT:TO:W02");
            scan_refused(c, "(8004)" GIAI_A, W_ASSET_TAG[lang]);
            msg_has(c, GIAI_A);
            assert_int_equal(V(c)->nlines, 0);
            done(c);
        }
    }
}

/* Before the first master data everything is "not yet known"; a broken
 * store says so. */
static void test_lookup_busy_and_failing(void **state)
{
    (void)state;
    for (int lang = ZH; lang <= EN; lang++) {
        tt_counter_t *c = mk("", lang);
        use_lookup(c, 1);
        fake.busy = 1;
        scan_refused(c, "TT:OP:zhang3", W_NO_MASTER[lang]);
        assert_string_equal(V(c)->operator_id, "");
        fake.busy = 0;
        scan_ok(c, "TT:OP:zhang3");
        scan_ok(c, "TT:MODE:transfer");
        fake.busy = 1;
        scan_refused(c, "TT:WH:W01", W_NO_MASTER[lang]);
        fake.busy = 0;
        scan_ok(c, "TT:WH:W01");
        fake.busy = 1;
        scan_refused(c, "TT:TO:W02", W_NO_MASTER[lang]);
        fake.busy = 0;
        scan_ok(c, "TT:TO:W02");
        fake.busy = 1;
        scan_refused(c, ITEM1, W_NO_MASTER[lang]);
        assert_int_equal(V(c)->nlines, 0);
        fake.fail = TT_ERR_DB;
        fake.busy = 0;
        scan_refused(c, ITEM1, W_LOOKUP_FAILED[lang]);
        scan_refused(c, "TT:WH:W02", W_LOOKUP_FAILED[lang]);
        assert_string_equal(V(c)->warehouse, "W01");
        fake.fail = TT_OK;
        scan_ok(c, ITEM1);
        assert_int_equal(V(c)->nlines, 1);
        done(c);
    }
}

/* The mode tests, in the order the modes appear in counter.c's table. */
#define NEW_MODE_TESTS                                                                         \
    cmocka_unit_test_teardown(test_mode_words_and_labels, teardown),                          \
    cmocka_unit_test_teardown(test_mode_needs, teardown),                                     \
    cmocka_unit_test_teardown(test_cards_only_where_they_belong, teardown),                   \
    cmocka_unit_test_teardown(test_results_per_step, teardown),                               \
    cmocka_unit_test_teardown(test_count_zero, teardown),                                     \
    cmocka_unit_test_teardown(test_transfer_destination, teardown),                           \
    cmocka_unit_test_teardown(test_transfer_warehouse_card_after_destination, teardown),      \
    cmocka_unit_test_teardown(test_revolve_action_and_to_unit, teardown),                     \
    cmocka_unit_test_teardown(test_revolve_to_unit_after_draw, teardown),                     \
    cmocka_unit_test_teardown(test_epc_helpers, teardown),                                    \
    cmocka_unit_test_teardown(test_result_per_asset, teardown),                               \
    cmocka_unit_test_teardown(test_epc_in_item_modes, teardown),                              \
    cmocka_unit_test_teardown(test_pending_return, teardown),                                 \
    cmocka_unit_test_teardown(test_pending_transfer, teardown),                               \
    cmocka_unit_test_teardown(test_pending_count, teardown),                                  \
    cmocka_unit_test_teardown(test_pending_revolve, teardown),                                \
    cmocka_unit_test_teardown(test_lookup_items, teardown),                                   \
    cmocka_unit_test_teardown(test_lookup_operators, teardown),                               \
    cmocka_unit_test_teardown(test_lookup_places, teardown),                                  \
    cmocka_unit_test_teardown(test_lookup_busy_and_failing, teardown),                        \
    cmocka_unit_test_teardown(test_lookup_plans, teardown),                                   \
    cmocka_unit_test_teardown(test_lookup_equipment, teardown),                               \
    cmocka_unit_test_teardown(test_gs1_giai_labels, teardown),                                \
    cmocka_unit_test_teardown(test_asset_lines, teardown),                                    \
    cmocka_unit_test_teardown(test_pending_equipment, teardown)


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
        cmocka_unit_test_teardown(test_stored_in_doubt_waits_for_verdict, teardown),
        cmocka_unit_test_teardown(test_mode_change_clears_document, teardown),
        cmocka_unit_test_teardown(test_warehouse_card_refused_while_lines_exist, teardown),
        cmocka_unit_test_teardown(test_line_limit, teardown),
        cmocka_unit_test_teardown(test_logout_clears_everything, teardown),
        cmocka_unit_test_teardown(test_invalid_card_ids, teardown),
        cmocka_unit_test_teardown(test_unknown_cards, teardown),
        cmocka_unit_test_teardown(test_bad_item_codes, teardown),
        NEW_MODE_TESTS,
    };
    return cmocka_run_group_tests_name("counter", tests, NULL, NULL);
}
