/*
 * Unit tests of shared/assets: the names of states and steps, the rule
 * table that server and terminals share (every state against every step),
 * the refusals said in both languages, and the asset-states downlink codec
 * in both directions (the decoders face the network: each broken message
 * names what is wrong).  JSON is written with ' for " and q() swaps them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "assets.h"

static char *q(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    assert_non_null(out);
    for (size_t i = 0; i <= n; i++)
        out[i] = s[i] == '\'' ? '"' : s[i];
    return out;
}

/* --- names --------------------------------------------------------------- */

static void test_names(void **state)
{
    static const char *const states[] = {"registered", "in_use", "standby", "received",
                                         "in_repair", "in_stock", "accepted"};
    static const char *const steps[] = {"intake", "appraisal", "selfcheck", "acceptance",
                                        "issue"};
    (void)state;
    for (int s = 1; s <= TT_ASSETS_STATE_LAST; s++) {
        assert_string_equal(tt_assets_state_name((tt_assets_state_t)s), states[s - 1]);
        assert_int_equal(tt_assets_state_parse(states[s - 1]), s);
        assert_non_null(tt_assets_state_label((tt_assets_state_t)s, 0));
        assert_non_null(tt_assets_state_label((tt_assets_state_t)s, 1));
    }
    for (int s = 1; s <= TT_ASSETS_STEP_LAST; s++) {
        assert_string_equal(tt_assets_step_name((tt_assets_step_t)s), steps[s - 1]);
        assert_int_equal(tt_assets_step_parse(steps[s - 1]), s);
    }
    assert_string_equal(tt_assets_state_label(TT_ASSETS_IN_REPAIR, 0), "在修");
    assert_string_equal(tt_assets_state_label(TT_ASSETS_IN_STOCK, 1), "in stock");
    assert_string_equal(tt_assets_step_label(TT_ASSETS_SELFCHECK, 0), "自检");
    assert_null(tt_assets_state_name((tt_assets_state_t)0));
    assert_null(tt_assets_state_name((tt_assets_state_t)8));
    assert_null(tt_assets_state_label(TT_ASSETS_IN_USE, 2));
    assert_null(tt_assets_step_name((tt_assets_step_t)6));
    assert_int_equal(tt_assets_state_parse("IN_USE"), 0);
    assert_int_equal(tt_assets_state_parse(NULL), 0);
    assert_int_equal(tt_assets_step_parse("details"), 0);
    assert_int_equal(tt_assets_initial("A3"), TT_ASSETS_IN_USE);
    assert_int_equal(tt_assets_initial(""), TT_ASSETS_REGISTERED);
    assert_int_equal(tt_assets_initial(NULL), TT_ASSETS_REGISTERED);
}

/* --- the rule table -------------------------------------------------------- */

typedef struct {
    tt_assets_state_t state;
    const char *holder;
    tt_assets_step_t step;
    const char *result, *unit;
    tt_assets_refusal_t want;
    tt_assets_state_t next;   /* when accepted */
    const char *next_unit;
    int implied;
} rule_case_t;

#define S(x) TT_ASSETS_##x
static const rule_case_t rules[] = {
    /* intake: only from the unit that holds it */
    {S(IN_USE), "A3", S(INTAKE), "", "A3", S(OK), S(RECEIVED), "A3", 0},
    {S(STANDBY), "A3", S(INTAKE), "", "A3", S(OK), S(RECEIVED), "A3", 0},
    {S(IN_USE), "A3", S(INTAKE), "", "A4", S(OTHER_UNIT), 0, NULL, 0},
    {S(IN_USE), "A3", S(INTAKE), "", "", S(NEED_UNIT), 0, NULL, 0},
    {S(REGISTERED), "", S(INTAKE), "", "A3", S(NOT_HELD), 0, NULL, 0},
    {S(IN_REPAIR), "A3", S(INTAKE), "", "A3", S(AT_SHOP), 0, NULL, 0},
    {S(ACCEPTED), "A3", S(INTAKE), "", "A3", S(AT_SHOP), 0, NULL, 0},
    {S(IN_USE), "A3", S(INTAKE), "major", "A3", S(BAD_RESULT), 0, NULL, 0},
    /* appraisal: at the shop, or handed in by its unit on the slip */
    {S(REGISTERED), "", S(APPRAISAL), "major", "", S(OK), S(IN_REPAIR), "", 0},
    {S(REGISTERED), "", S(APPRAISAL), "minor", "A4", S(OK), S(IN_REPAIR), "A4", 0},
    {S(RECEIVED), "A3", S(APPRAISAL), "medium", "", S(OK), S(IN_REPAIR), "A3", 0},
    {S(RECEIVED), "A3", S(APPRAISAL), "medium", "A3", S(OK), S(IN_REPAIR), "A3", 0},
    {S(RECEIVED), "A3", S(APPRAISAL), "medium", "A4", S(HANDED_IN_BY), 0, NULL, 0},
    {S(IN_USE), "A3", S(APPRAISAL), "major", "A3", S(OK), S(IN_REPAIR), "A3", 1},
    {S(STANDBY), "A3", S(APPRAISAL), "major", "A3", S(OK), S(IN_REPAIR), "A3", 1},
    {S(IN_USE), "A3", S(APPRAISAL), "major", "", S(NOT_RETURNED), 0, NULL, 0},
    {S(IN_USE), "A3", S(APPRAISAL), "major", "A4", S(NOT_RETURNED), 0, NULL, 0},
    {S(IN_REPAIR), "A3", S(APPRAISAL), "major", "", S(IN_REPAIR_ALREADY), 0, NULL, 0},
    {S(IN_STOCK), "A3", S(APPRAISAL), "minor", "", S(OK), S(IN_REPAIR), "A3", 0},
    {S(ACCEPTED), "A3", S(APPRAISAL), "minor", "A4", S(OK), S(IN_REPAIR), "A4", 0},
    {S(REGISTERED), "", S(APPRAISAL), "pass", "", S(BAD_RESULT), 0, NULL, 0},
    /* self-check: in repair only; a failure keeps it there */
    {S(IN_REPAIR), "A3", S(SELFCHECK), "fail", "", S(OK), S(IN_REPAIR), "A3", 0},
    {S(IN_REPAIR), "A3", S(SELFCHECK), "pass", "", S(OK), S(IN_STOCK), "A3", 0},
    {S(IN_USE), "A3", S(SELFCHECK), "pass", "", S(NOT_IN_REPAIR), 0, NULL, 0},
    {S(IN_STOCK), "A3", S(SELFCHECK), "pass", "", S(NOT_IN_REPAIR), 0, NULL, 0},
    {S(REGISTERED), "", S(SELFCHECK), "fail", "", S(NOT_IN_REPAIR), 0, NULL, 0},
    /* acceptance: after a passed self-check; a failure sends it back */
    {S(IN_STOCK), "A3", S(ACCEPTANCE), "pass", "", S(OK), S(ACCEPTED), "A3", 0},
    {S(IN_STOCK), "A3", S(ACCEPTANCE), "fail", "", S(OK), S(IN_REPAIR), "A3", 0},
    {S(IN_REPAIR), "A3", S(ACCEPTANCE), "pass", "", S(NOT_CHECKED), 0, NULL, 0},
    {S(ACCEPTED), "A3", S(ACCEPTANCE), "pass", "", S(NOT_CHECKED), 0, NULL, 0},
    /* issue: after acceptance, to a named unit */
    {S(ACCEPTED), "A3", S(ISSUE), "standby", "A4", S(OK), S(STANDBY), "A4", 0},
    {S(ACCEPTED), "", S(ISSUE), "in_use", "A3", S(OK), S(IN_USE), "A3", 0},
    {S(IN_STOCK), "A3", S(ISSUE), "in_use", "A3", S(NOT_ACCEPTED), 0, NULL, 0},
    {S(IN_REPAIR), "A3", S(ISSUE), "in_use", "A3", S(NOT_ACCEPTED), 0, NULL, 0},
    {S(IN_USE), "A3", S(ISSUE), "in_use", "A4", S(NOT_ACCEPTED), 0, NULL, 0},
    {S(ACCEPTED), "A3", S(ISSUE), "in_use", "", S(NEED_UNIT), 0, NULL, 0},
    {S(ACCEPTED), "A3", S(ISSUE), "pass", "A3", S(BAD_RESULT), 0, NULL, 0},
};
#undef S

static void test_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const rule_case_t *c = &rules[i];
        tt_assets_state_t next = (tt_assets_state_t)99;
        char unit[TT_EVENT_ID_MAX + 1] = "untouched";
        int implied = 7;
        tt_assets_refusal_t r = tt_assets_next(c->state, c->holder, c->step, c->result, c->unit,
                                               &next, unit, &implied);
        if (r != c->want)
            fail_msg("case %zu (%s %s %s): refusal %d, want %d", i,
                     tt_assets_state_name(c->state), tt_assets_step_name(c->step), c->result,
                     (int)r, (int)c->want);
        if (r == TT_ASSETS_OK) {
            assert_int_equal(next, c->next);
            assert_string_equal(unit, c->next_unit);
            assert_int_equal(implied, c->implied);
        } else {
            assert_int_equal(next, 99);   /* untouched */
            assert_string_equal(unit, "untouched");
            assert_int_equal(implied, 7);
        }
    }
}

/* The whole lifecycle of the issue's test, step by step through the table. */
static void test_rules_lifecycle(void **state)
{
    static const struct {
        tt_assets_step_t step;
        const char *result, *unit;
        tt_assets_state_t want;
    } path[] = {
        {TT_ASSETS_APPRAISAL, "major", "A3", TT_ASSETS_IN_REPAIR},
        {TT_ASSETS_SELFCHECK, "fail", "", TT_ASSETS_IN_REPAIR},
        {TT_ASSETS_SELFCHECK, "pass", "", TT_ASSETS_IN_STOCK},
        {TT_ASSETS_ACCEPTANCE, "pass", "", TT_ASSETS_ACCEPTED},
        {TT_ASSETS_ISSUE, "standby", "A4", TT_ASSETS_STANDBY},
    };
    tt_assets_state_t st = tt_assets_initial("A3");
    char unit[TT_EVENT_ID_MAX + 1] = "A3", next_unit[TT_EVENT_ID_MAX + 1];
    (void)state;

    for (size_t i = 0; i < sizeof path / sizeof path[0]; i++) {
        tt_assets_state_t next;
        assert_int_equal(tt_assets_next(st, unit, path[i].step, path[i].result, path[i].unit,
                                         &next, next_unit, NULL),
                         TT_ASSETS_OK);
        assert_int_equal(next, path[i].want);
        st = next;
        memcpy(unit, next_unit, sizeof unit);
    }
    assert_string_equal(unit, "A4");
}

static void test_explain(void **state)
{
    char zh[200], en[200], tiny[8];
    (void)state;

    tt_assets_explain(TT_ASSETS_NOT_RETURNED, TT_ASSETS_IN_USE, "A3", "", 1, en, sizeof en);
    assert_string_equal(en, "it is in use at A3 and was not handed in: record its intake from "
                            "A3 or name A3 as the sending unit");
    tt_assets_explain(TT_ASSETS_NOT_RETURNED, TT_ASSETS_IN_USE, "A3", "", 0, zh, sizeof zh);
    assert_string_equal(zh, "该设备在 A3 在用，未交修：请先办理交修，或注明送修单位 A3");
    tt_assets_explain(TT_ASSETS_NOT_ACCEPTED, TT_ASSETS_IN_STOCK, "A3", "A3", 1, en, sizeof en);
    assert_string_equal(en, "it is not accepted (in stock): issue follows acceptance");
    tt_assets_explain(TT_ASSETS_NOT_IN_REPAIR, TT_ASSETS_IN_USE, "A3", "", 0, zh, sizeof zh);
    assert_string_equal(zh, "不在修（在用）：自检须在鉴定之后");
    tt_assets_explain(TT_ASSETS_OTHER_UNIT, TT_ASSETS_STANDBY, "A3", "A4", 1, en, sizeof en);
    assert_string_equal(en, "it is standby at A3, not at A4");
    /* Every refusal says something in both languages. */
    for (int r = TT_ASSETS_OK; r <= TT_ASSETS_NOT_ACCEPTED; r++) {
        tt_assets_explain((tt_assets_refusal_t)r, TT_ASSETS_IN_USE, "A3", "A4", 0, zh,
                          sizeof zh);
        tt_assets_explain((tt_assets_refusal_t)r, TT_ASSETS_IN_USE, "A3", "A4", 1, en,
                          sizeof en);
        assert_true(strlen(zh) > 3 && strlen(en) > 3);
    }
    /* Cut to fit at a character: "不在修" is 9 bytes; 7 leaves "不在". */
    tt_assets_explain(TT_ASSETS_NOT_IN_REPAIR, TT_ASSETS_IN_USE, "", "", 0, tiny, sizeof tiny);
    assert_string_equal(tiny, "不在");
}

/* --- requests -------------------------------------------------------------- */

static void test_request(void **state)
{
    char buf[64], reason[160] = "";
    size_t len;
    uint64_t since = 1;
    (void)state;

    assert_int_equal(tt_assets_req_encode(42, buf, sizeof buf, &len), TT_OK);
    assert_string_equal(buf, "{\"v\":1,\"since\":42}");
    assert_int_equal(tt_assets_req_decode(buf, len, &since, reason, sizeof reason), TT_OK);
    assert_int_equal(since, 42);
    assert_int_equal(tt_assets_req_encode(TT_EVENT_SEQ_MAX + 1, buf, sizeof buf, &len),
                     TT_ERR_INVAL);
    assert_int_equal(tt_assets_req_encode(1, buf, 8, &len), TT_ERR_FULL);

    static const struct {
        const char *json;
        tt_err_t rc;
        const char *reason;
    } bad[] = {
        {"{'v':1}", TT_ERR_PROTO, "missing field 'since'"},
        {"{'v':1,'since':-1}", TT_ERR_PROTO, "since"},
        {"{'v':1,'since':1.5}", TT_ERR_PROTO, "since"},
        {"{'v':1,'since':'1'}", TT_ERR_PROTO, "since"},
        {"{'v':1,'since':1,'cursor':''}", TT_ERR_PROTO, "cursor"},
        {"{'v':2,'since':1}", TT_ERR_VERSION, "version 2"},
        {"{'v':1,'since':1} x", TT_ERR_PARSE, "after the document"},
        {"[1]", TT_ERR_PROTO, "object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *j = q(bad[i].json);
        reason[0] = '\0';
        assert_int_equal(tt_assets_req_decode(j, strlen(j), &since, reason, sizeof reason),
                         bad[i].rc);
        if (!strstr(reason, bad[i].reason))
            fail_msg("%s: reason '%s' lacks '%s'", bad[i].json, reason, bad[i].reason);
        free(j);
    }
}

/* --- pages ------------------------------------------------------------------ */

static tt_assets_page_t *sample(void)
{
    tt_assets_page_t *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->rows = calloc(2, sizeof *p->rows);
    assert_non_null(p->rows);
    p->since = 3;
    p->to = 9007199254740991ULL;   /* exact beyond a double's 15 digits */
    p->applied = 17;
    p->last = 1;
    p->count = 2;
    snprintf(p->rows[0].asset, sizeof p->rows[0].asset, "P-0042");
    p->rows[0].state = TT_ASSETS_IN_REPAIR;
    snprintf(p->rows[0].unit, sizeof p->rows[0].unit, "A3");
    p->rows[0].nsteps = 2;
    p->rows[0].steps[0] = (tt_assets_entry_t){TT_ASSETS_APPRAISAL, "major", "A3",
                                              1764099600123LL, "li4", 0};
    p->rows[0].steps[1] = (tt_assets_entry_t){TT_ASSETS_INTAKE, "", "A3", 1764099600123LL,
                                              "li4", 0};
    snprintf(p->rows[1].asset, sizeof p->rows[1].asset, "EQ \"odd\"");
    p->rows[1].state = TT_ASSETS_REGISTERED;
    return p;
}

static void test_page_round_trip(void **state)
{
    tt_assets_page_t *p = sample(), *back = NULL;
    char *text = NULL, reason[160] = "";
    size_t len;
    (void)state;

    /* An asset number with '"' is no item code: the encoder refuses it. */
    assert_int_equal(tt_assets_page_encode(p, &text, &len), TT_ERR_INVAL);
    assert_null(text);
    snprintf(p->rows[1].asset, sizeof p->rows[1].asset, "EQ-7");
    assert_int_equal(tt_assets_page_encode(p, &text, &len), TT_OK);
    assert_non_null(strstr(text, "\"to\":9007199254740991"));
    assert_non_null(strstr(text, "{\"step\":\"appraisal\",\"result\":\"major\",\"unit\":\"A3\","
                                 "\"at\":1764099600123,\"operator\":\"li4\"}"));
    assert_int_equal(tt_assets_page_decode(text, len, &back, reason, sizeof reason), TT_OK);
    assert_int_equal(back->since, 3);
    assert_int_equal(back->to, 9007199254740991ULL);
    assert_int_equal(back->applied, 17);
    assert_int_equal(back->last, 1);
    assert_int_equal(back->count, 2);
    assert_string_equal(back->rows[0].asset, "P-0042");
    assert_int_equal(back->rows[0].state, TT_ASSETS_IN_REPAIR);
    assert_int_equal(back->rows[0].nsteps, 2);
    assert_int_equal(back->rows[0].steps[0].step, TT_ASSETS_APPRAISAL);
    assert_int_equal(back->rows[0].steps[0].at_ms, 1764099600123LL);
    assert_int_equal(back->rows[0].steps[1].step, TT_ASSETS_INTAKE);
    assert_string_equal(back->rows[0].steps[1].result, "");
    assert_int_equal(back->rows[0].steps[0].pending, 0);
    assert_string_equal(back->rows[1].unit, "");
    assert_int_equal(back->rows[1].nsteps, 0);
    free(text);
    tt_assets_page_free(back);

    /* What the encoder refuses, the decoder would refuse too. */
    p->rows[0].steps[0].step = TT_ASSETS_SELFCHECK;   /* major is no self-check result */
    assert_int_equal(tt_assets_page_encode(p, &text, &len), TT_ERR_INVAL);
    p->rows[0].steps[0].step = TT_ASSETS_APPRAISAL;
    p->rows[0].nsteps = TT_ASSETS_STEPS_MAX + 1;
    assert_int_equal(tt_assets_page_encode(p, &text, &len), TT_ERR_INVAL);
    p->rows[0].nsteps = 1;
    p->to = 2;   /* below since */
    assert_int_equal(tt_assets_page_encode(p, &text, &len), TT_ERR_INVAL);
    p->to = 3;
    snprintf(p->rows[0].unit, sizeof p->rows[0].unit, "A/3");
    assert_int_equal(tt_assets_page_encode(p, &text, &len), TT_ERR_INVAL);
    tt_assets_page_free(p);
    tt_assets_page_free(NULL);
}

#define ROW "{'asset':'P-1','state':'in_use','unit':'A3','steps':[%s]}"
#define STEP "{'step':'issue','result':'in_use','unit':'A3','at':5,'operator':'li4'}"
#define PAGE(rows) "{'v':1,'since':0,'to':4,'applied':0,'last':true,'assets':[" rows "]}"

static void test_page_decode_refuses(void **state)
{
    static const struct {
        const char *json;
        tt_err_t rc;
        const char *reason;
    } cases[] = {
        {PAGE("{'asset':'P-1','state':'in_use','unit':'A3','steps':[" STEP "]}"), TT_OK, ""},
        {PAGE(""), TT_OK, ""},
        {"{'v':1,'since':5,'to':4,'applied':0,'last':true,'assets':[]}", TT_ERR_PROTO,
         "since <= to"},
        {"{'v':1,'since':0,'to':4,'applied':-1,'last':true,'assets':[]}", TT_ERR_PROTO,
         "applied"},
        {"{'v':1,'since':0,'to':4,'applied':0,'last':1,'assets':[]}", TT_ERR_PROTO, "last"},
        {"{'v':1,'since':0,'to':4,'applied':0,'last':true,'assets':{}}", TT_ERR_PROTO,
         "assets"},
        {"{'v':1,'since':0,'to':4,'applied':0,'last':true}", TT_ERR_PROTO, "missing"},
        {"{'v':3,'since':0,'to':4,'applied':0,'last':true,'assets':[]}", TT_ERR_VERSION,
         "version 3"},
        {PAGE("{'asset':'P-1','state':'broken','unit':'A3','steps':[]}"), TT_ERR_PROTO,
         "assets[0].state"},
        {PAGE("{'asset':'','state':'in_use','unit':'A3','steps':[]}"), TT_ERR_PROTO,
         "assets[0].asset"},
        {PAGE("{'asset':'P-1','state':'in_use','unit':'A 3','steps':[]}"), TT_ERR_PROTO,
         "assets[0].unit"},
        {PAGE("{'asset':'P-1','state':'in_use','steps':[]}"), TT_ERR_PROTO, "missing field"},
        {PAGE("{'asset':'P-1','state':'in_use','unit':'','steps':[],'x':1}"), TT_ERR_PROTO,
         "unknown or repeated field 'x'"},
        {PAGE("{'asset':'P-1','state':'in_use','unit':'','steps':[" STEP "," STEP "," STEP
              "," STEP "]}"),
         TT_ERR_PROTO, "at most 3"},
        {PAGE("{'asset':'P-1','state':'in_use','unit':'','steps':[{'step':'issue','result':"
              "'pass','unit':'A3','at':5,'operator':'li4'}]}"),
         TT_ERR_PROTO, "steps[0].result"},
        {PAGE("{'asset':'P-1','state':'in_use','unit':'','steps':[{'step':'details','result':"
              "'','unit':'A3','at':5,'operator':'li4'}]}"),
         TT_ERR_PROTO, "steps[0].step"},
        {PAGE("{'asset':'P-1','state':'in_use','unit':'','steps':[{'step':'issue','result':"
              "'in_use','unit':'A3','at':5.5,'operator':'li4'}]}"),
         TT_ERR_PROTO, "steps[0].at"},
        {PAGE("{'asset':'P-1','state':'in_use','unit':'','steps':[{'step':'issue','result':"
              "'in_use','unit':'A3','at':5,'operator':''}]}"),
         TT_ERR_PROTO, "steps[0].operator"},
        {PAGE("{'asset':'P-1','state':'in_use','unit':'','steps':[{'step':'issue','result':"
              "'in_use','unit':'A3','at':5}]}"),
         TT_ERR_PROTO, "missing field 'operator'"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tt_assets_page_t *p = (tt_assets_page_t *)1;
        char *j = q(cases[i].json), reason[200] = "";
        tt_err_t rc = tt_assets_page_decode(j, strlen(j), &p, reason, sizeof reason);
        if (rc != cases[i].rc || !strstr(reason, cases[i].reason))
            fail_msg("case %zu: %d '%s', want %d '%s'", i, (int)rc, reason, (int)cases[i].rc,
                     cases[i].reason);
        if (rc == TT_OK)
            assert_non_null(p);
        else
            assert_null(p);
        tt_assets_page_free(rc == TT_OK ? p : NULL);
        free(j);
    }
}

static void test_page_too_many_rows(void **state)
{
    size_t cap = (TT_ASSETS_PAGE_ROWS + 1) * 64 + 128, n;
    char *buf = malloc(cap), reason[160] = "";
    tt_assets_page_t *p = NULL;
    (void)state;

    assert_non_null(buf);
    n = (size_t)snprintf(buf, cap, "{\"v\":1,\"since\":0,\"to\":1,\"applied\":0,\"last\":true,"
                                   "\"assets\":[");
    for (int i = 0; i <= TT_ASSETS_PAGE_ROWS; i++)
        n += (size_t)snprintf(buf + n, cap - n,
                              "%s{\"asset\":\"P-%d\",\"state\":\"in_use\",\"unit\":\"\","
                              "\"steps\":[]}",
                              i ? "," : "", i);
    n += (size_t)snprintf(buf + n, cap - n, "]}");
    assert_int_equal(tt_assets_page_decode(buf, n, &p, reason, sizeof reason), TT_ERR_TOOBIG);
    assert_null(p);
    assert_non_null(strstr(reason, "at most 500"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_rules_lifecycle),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_page_round_trip),
        cmocka_unit_test(test_page_decode_refuses),
        cmocka_unit_test(test_page_too_many_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
