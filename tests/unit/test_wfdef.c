/*
 * Unit tests of server/wfexpr (the condition language) and server/wfdef
 * (definitions): a valid definition loads with every reference resolved,
 * and each validation error is reported as file:line:col: reason at the
 * node that is wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wfdef.h"
#include "wfexpr.h"

/* --- the condition language ------------------------------------------------------- */

typedef struct {
    const char *name;
    tt_wfv_t v;
} binding_t;

static const binding_t vars[] = {
    {"amount", {TT_WFV_INT, 5000001, NULL}},
    {"marital", {TT_WFV_STR, 0, "divorced"}},
    {"approved", {TT_WFV_BOOL, 0, NULL}},
    {"lines", {TT_WFV_JSON, 0, "[]"}},
    {"unset_int", {TT_WFV_INT, 0, NULL}},
};

static tt_wfv_type_t type_of(void *ctx, const char *name)
{
    (void)ctx;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (strcmp(vars[i].name, name) == 0)
            return vars[i].v.type;
    return TT_WFV_NONE;
}

static int value_of(void *ctx, const char *name, tt_wfv_t *out)
{
    (void)ctx;
    if (strcmp(name, "unset_int") == 0)
        return 0;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        if (strcmp(vars[i].name, name) == 0) {
            *out = vars[i].v;
            return 1;
        }
    }
    return 0;
}

/* Parses, checks and evaluates; returns the result (0/1) or fails. */
static int eval(const char *text)
{
    tt_wfexpr_t *e = NULL;
    char reason[256] = "";
    size_t pos = 0;
    int result = -1;
    if (tt_wfexpr_parse(text, &e, &pos, reason, sizeof reason) != TT_OK)
        fail_msg("'%s' at %zu: %s", text, pos, reason);
    if (tt_wfexpr_check(e, type_of, NULL, &pos, reason, sizeof reason) != TT_OK)
        fail_msg("'%s' at %zu: %s", text, pos, reason);
    if (tt_wfexpr_eval(e, value_of, NULL, &result, reason, sizeof reason) != TT_OK)
        fail_msg("'%s': %s", text, reason);
    tt_wfexpr_free(e);
    return result;
}

static void expr_values(void **state)
{
    (void)state;
    assert_int_equal(eval("amount > 5000000"), 1);
    assert_int_equal(eval("amount <= 5000000"), 0);
    assert_int_equal(eval("amount >= 5000001 and amount < 5000002"), 1);
    assert_int_equal(eval("marital == \"divorced\""), 1);
    assert_int_equal(eval("marital != 'divorced'"), 0);
    assert_int_equal(eval("not approved"), 1);
    assert_int_equal(eval("approved == false"), 1);
    assert_int_equal(eval("approved or marital == 'widowed' or amount == 5000001"), 1);
    /* and binds tighter than or */
    assert_int_equal(eval("true or false and false"), 1);
    assert_int_equal(eval("(true or false) and false"), 0);
    assert_int_equal(eval("not not (amount > -1)"), 1);
    assert_int_equal(eval("'a\\'b' == \"a'b\""), 1);
    /* short-circuit: the unset variable is never read */
    assert_int_equal(eval("false and unset_int > 3"), 0);
}

static void expect_expr_error(const char *text, size_t want_pos, const char *want)
{
    tt_wfexpr_t *e = NULL;
    char reason[256] = "";
    size_t pos = 999;
    tt_err_t rc = tt_wfexpr_parse(text, &e, &pos, reason, sizeof reason);
    if (rc == TT_OK) {
        rc = tt_wfexpr_check(e, type_of, NULL, &pos, reason, sizeof reason);
        tt_wfexpr_free(e);
    }
    if (rc != TT_ERR_PARSE || pos != want_pos || strcmp(reason, want) != 0)
        fail_msg("'%s': rc %d at %zu '%s', expected at %zu '%s'", text, rc, pos, reason,
                 want_pos, want);
}

static void expr_errors(void **state)
{
    (void)state;
    expect_expr_error("amount >", 8, "the condition ends too early");
    expect_expr_error("amount > 12.5", 9,
                      "not an integer (money is written in fen, without a point)");
    expect_expr_error("(amount > 1", 11, "expected ')'");
    /* Found by fuzzing: an unclosed group inside another one. */
    expect_expr_error("((amount > 1", 12, "expected ')'");
    expect_expr_error("amount = 1", 7, "expected == or !=");
    expect_expr_error("marital == \"x", 11, "string not closed");
    expect_expr_error("amount > 1 approved", 11, "unexpected text after the condition");
    expect_expr_error("and approved", 0, "expected a value before this operator");
    expect_expr_error("amount > 99999999999999999999", 9, "integer too large");
    expect_expr_error("salary > 1", 0, "variable 'salary' is not declared");
    expect_expr_error("marital > 'a'", 8, "only integers are ordered; string takes == or !=");
    expect_expr_error("amount == 'x'", 7, "compares int with string");
    expect_expr_error("amount and approved", 7, "'and' needs booleans on both sides");
    expect_expr_error("not amount", 0, "'not' needs a boolean, not int");
    expect_expr_error("amount", 0, "a condition must be true or false, this is int");
    expect_expr_error("lines == 'x'", 0, "variable 'lines' holds JSON and cannot be compared");
}

static void expr_unset_variable(void **state)
{
    tt_wfexpr_t *e = NULL;
    char reason[256] = "";
    size_t pos;
    int r = -1;
    (void)state;
    assert_int_equal(tt_wfexpr_parse("unset_int > 3", &e, &pos, reason, sizeof reason), TT_OK);
    assert_int_equal(tt_wfexpr_eval(e, value_of, NULL, &r, reason, sizeof reason),
                     TT_ERR_NOTFOUND);
    assert_string_equal(reason, "variable 'unset_int' is not set");
    tt_wfexpr_free(e);
}

/* --- definitions -------------------------------------------------------------------- */

static int role_exists(void *ctx, const char *role)
{
    static const char *const roles[] = {"clerk", "checker", "leader", "expert"};
    (void)ctx;
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(roles[i], role) == 0)
            return 1;
    return 0;
}

static int calendar_exists(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "cn-2026") == 0;
}

static int hook_exists(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "plan.approve") == 0;
}

static const tt_wfdef_env_t env = {role_exists, calendar_exists, hook_exists, NULL};

/* Line numbers in the expected errors below count from this text. */
static const char GOOD[] =
    "workflow: sample\n"                                   /* 1 */
    "title: 样例\n"                                        /* 2 */
    "calendar: cn-2026\n"                                  /* 3 */
    "variables:\n"                                         /* 4 */
    "  marital: string\n"                                  /* 5 */
    "  amount: int\n"                                      /* 6 */
    "  ok: bool\n"                                         /* 7 */
    "start: sign\n"                                        /* 8 */
    "steps:\n"                                             /* 9 */
    "  sign:\n"                                            /* 10 */
    "    kind: task\n"                                     /* 11 */
    "    role: clerk\n"                                    /* 12 */
    "    inputs: [marital, amount]\n"                      /* 13 */
    "    due: 2 workdays\n"                                /* 14 */
    "    remind: 1 workdays\n"                             /* 15 */
    "    escalate: {after: 2 workdays, to: leader}\n"      /* 16 */
    "    documents:\n"                                     /* 17 */
    "      - id_card\n"                                    /* 18 */
    "      - name: divorce_papers\n"                       /* 19 */
    "        when: marital == \"divorced\"\n"              /* 20 */
    "    actions:\n"                                       /* 21 */
    "      submit: check\n"                                /* 22 */
    "      withdraw: {to: withdrawn, documents: false}\n"  /* 23 */
    "  check:\n"                                           /* 24 */
    "    kind: task\n"                                     /* 25 */
    "    role: checker\n"                                  /* 26 */
    "    different_from: sign\n"                           /* 27 */
    "    not_before: 1 days\n"                             /* 28 */
    "    actions:\n"                                       /* 29 */
    "      pass: {to: route, set: {ok: true}}\n"           /* 30 */
    "      back: sign\n"                                   /* 31 */
    "  route:\n"                                           /* 32 */
    "    kind: choice\n"                                   /* 33 */
    "    branches:\n"                                      /* 34 */
    "      - when: amount > 100000\n"                      /* 35 */
    "        to: review\n"                                 /* 36 */
    "      - else: record\n"                               /* 37 */
    "  review:\n"                                          /* 38 */
    "    kind: parallel\n"                                 /* 39 */
    "    branches: [e1, e2, e3]\n"                         /* 40 */
    "    join: panel\n"                                    /* 41 */
    "  e1: {kind: task, role: expert, actions: {score: panel}}\n"   /* 42 */
    "  e2: {kind: task, role: expert, actions: {score: panel}}\n"   /* 43 */
    "  e3: {kind: task, role: expert, actions: {score: panel}}\n"   /* 44 */
    "  panel:\n"                                           /* 45 */
    "    kind: join\n"                                     /* 46 */
    "    need: 2\n"                                        /* 47 */
    "    next: record\n"                                   /* 48 */
    "  record:\n"                                          /* 49 */
    "    kind: auto\n"                                     /* 50 */
    "    hook: plan.approve\n"                             /* 51 */
    "    next: settle\n"                                   /* 52 */
    "  settle:\n"                                          /* 53 */
    "    kind: wait\n"                                     /* 54 */
    "    until: next month day 20 or next workday\n"       /* 55 */
    "    next: done\n"                                     /* 56 */
    "  done: {kind: end, outcome: approved}\n"             /* 57 */
    "  withdrawn: {kind: end, outcome: withdrawn}\n";      /* 58 */

static void good_definition_loads(void **state)
{
    tt_wfdef_t *d = NULL;
    char err[512] = "";
    const tt_wfdef_step_t *s;
    (void)state;
    if (tt_wfdef_load("sample.yaml", GOOD, strlen(GOOD), &env, &d, err, sizeof err) != TT_OK)
        fail_msg("%s", err);
    assert_string_equal(d->name, "sample");
    assert_string_equal(d->calendar, "cn-2026");
    assert_int_equal(d->nvars, 3);
    assert_int_equal(d->nsteps, 12);
    assert_int_equal(d->start, tt_wfdef_step(d, "sign"));
    s = &d->steps[tt_wfdef_step(d, "sign")];
    assert_int_equal(s->kind, TT_WFSTEP_TASK);
    assert_int_equal(s->ndocs, 2);
    assert_null(s->docs[0].when);
    assert_non_null(s->docs[1].when);
    assert_int_equal(s->nactions, 2);
    assert_int_equal(s->actions[1].target, tt_wfdef_step(d, "withdrawn"));
    assert_false(s->actions[1].check_documents);
    assert_true(s->has_due && s->has_remind && s->has_escalate);
    assert_string_equal(s->escalate_to, "leader");
    s = &d->steps[tt_wfdef_step(d, "check")];
    assert_int_equal(s->different_from, tt_wfdef_step(d, "sign"));
    assert_true(s->has_not_before);
    assert_int_equal(s->actions[0].nsets, 1);
    assert_int_equal(s->actions[0].sets[0].i, 1);
    s = &d->steps[tt_wfdef_step(d, "panel")];
    assert_int_equal(s->need, 2);
    assert_int_equal(s->parallel, tt_wfdef_step(d, "review"));
    s = &d->steps[tt_wfdef_step(d, "settle")];
    assert_true(s->has_until);
    assert_int_equal(s->until.kind, TT_CAL_MONTH_DAY);
    tt_wfdef_free(d);
    tt_wfdef_free(NULL);
}

/* Replaces the first occurrence of `from` in GOOD by `to`, loads it and
 * expects exactly `want`. */
static void expect_error(const char *from, const char *to, const char *want)
{
    char text[sizeof GOOD + 512], err[512] = "";
    const char *at = strstr(GOOD, from);
    tt_wfdef_t *d = (tt_wfdef_t *)0x1;
    tt_err_t rc;
    if (!at)
        fail_msg("test text '%s' not in GOOD", from);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - GOOD), GOOD, to, at + strlen(from));
    rc = tt_wfdef_load("sample.yaml", text, strlen(text), &env, &d, err, sizeof err);
    assert_null(d);
    if (rc != TT_ERR_PARSE || strcmp(err, want) != 0)
        fail_msg("after '%s' -> '%s':\n  got      %d %s\n  expected %s", from, to, rc, err, want);
}

static void error_unknown_target(void **state)
{
    (void)state;
    expect_error("submit: check", "submit: chek", "sample.yaml:22:15: step 'chek' does not exist");
    expect_error("      - else: record", "      - else: recrod",
                 "sample.yaml:37:15: step 'recrod' does not exist");
    expect_error("start: sign", "start: begin", "sample.yaml:8:8: step 'begin' does not exist");
}

static void error_cannot_reach_end(void **state)
{
    (void)state;
    /* settle waits and then returns to record: a loop with no way out,
     * which route (the first step into it) is named for. */
    expect_error("    next: done\n", "    next: record\n",
                 "sample.yaml:32:3: step 'route' can never reach an end");
    /* withdraw goes nowhere new and done is then never reached. */
    expect_error("    until: next month day 20 or next workday\n    next: done",
                 "    until: next month day 20 or next workday\n    next: withdrawn",
                 "sample.yaml:57:3: step 'done' is never reached from start 'sign'");
}

static void error_roles_calendars_hooks(void **state)
{
    (void)state;
    expect_error("role: checker", "role: auditor",
                 "sample.yaml:26:11: role 'auditor' is not defined");
    expect_error("to: leader", "to: boss", "sample.yaml:16:39: role 'boss' is not defined");
    expect_error("calendar: cn-2026", "calendar: cn-2025",
                 "sample.yaml:3:11: calendar 'cn-2025' is not installed");
    expect_error("hook: plan.approve", "hook: plan.aprove",
                 "sample.yaml:51:11: hook 'plan.aprove' is not registered in this server");
}

static void error_conditions(void **state)
{
    (void)state;
    expect_error("when: amount > 100000", "when: amount > 100000.5",
                 "sample.yaml:35:24: condition: not an integer (money is written in fen, without"
                 " a point)");
    expect_error("when: marital == \"divorced\"", "when: \"marital == 1\"",
                 "sample.yaml:20:24: condition: compares string with int");
    expect_error("when: amount > 100000", "when: salary > 100000",
                 "sample.yaml:35:15: condition: variable 'salary' is not declared");
}

static void error_structure(void **state)
{
    (void)state;
    expect_error("    role: checker\n", "    role: checker\n    deadline: 3 days\n",
                 "sample.yaml:27:5: unknown key 'deadline' in task");
    expect_error("kind: choice", "kind: decision",
                 "sample.yaml:33:11: kind must be task, auto, choice, parallel, join, wait or end");
    expect_error("due: 2 workdays", "due: 2 weeks",
                 "sample.yaml:14:10: '2 weeks' is not a date rule (\"N days\", \"N workdays\","
                 " \"next month day D [or next workday]\", \"each month workday N\", ...)");
    expect_error("      - else: record\n", "",
                 "sample.yaml:35:9: the last branch must be else, so that some branch is taken");
    expect_error("  done: {kind: end, outcome: approved}", "  done: {kind: end}",
                 "sample.yaml:57:9: an end needs 'outcome'");
    expect_error("inputs: [marital, amount]", "inputs: [marital, age]",
                 "sample.yaml:13:23: input 'age' is not a declared variable");
    expect_error("set: {ok: true}", "set: {ok: yes}", "sample.yaml:30:35: 'ok' is a bool: true or"
                                                      " false");
    expect_error("  ok: bool", "  ok: boolean", "sample.yaml:7:7: type must be int, bool, string"
                                                " or json");
    expect_error("      submit: check", "      claim: check",
                 "sample.yaml:22:7: 'claim' is reserved: every task can be claimed");
    expect_error("      - name: divorce_papers", "      - name: id_card",
                 "sample.yaml:19:15: document 'id_card' is listed twice");
    expect_error("    due: 2 workdays\n", "",
                 "sample.yaml:11:5: task 'sign' has remind or escalate but no due");
}

static void error_one_signs_another_checks(void **state)
{
    (void)state;
    expect_error("different_from: sign", "different_from: route",
                 "sample.yaml:27:21: different_from must name a task step");
    expect_error("different_from: sign", "different_from: check",
                 "sample.yaml:27:21: a task cannot be different from itself");
}

static void error_parallel_and_join(void **state)
{
    (void)state;
    expect_error("need: 2", "need: 4", "sample.yaml:47:11: need 4 of only 3 branches");
    expect_error("need: 2", "need: some", "sample.yaml:47:11: need is all, any or a number of"
                                          " branches");
    expect_error("join: panel", "join: record", "sample.yaml:41:11: 'record' is a auto step, not"
                                                " a join");
    expect_error("  e3: {kind: task, role: expert, actions: {score: panel}}",
                 "  e3: {kind: task, role: expert, actions: {score: done}}",
                 "sample.yaml:40:24: branch 'e3' never reaches join 'panel'");
}

static void error_yaml_syntax(void **state)
{
    (void)state;
    expect_error("  sign:\n    kind: task", "  sign:\n   kind: task",
                 "sample.yaml:12:9: mapping values are not allowed in this context");
    expect_error("  check:\n", "  sign:\n",
                 "sample.yaml:24:3: key 'sign' given twice");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(expr_values),
        cmocka_unit_test(expr_errors),
        cmocka_unit_test(expr_unset_variable),
        cmocka_unit_test(good_definition_loads),
        cmocka_unit_test(error_unknown_target),
        cmocka_unit_test(error_cannot_reach_end),
        cmocka_unit_test(error_roles_calendars_hooks),
        cmocka_unit_test(error_conditions),
        cmocka_unit_test(error_structure),
        cmocka_unit_test(error_one_signs_another_checks),
        cmocka_unit_test(error_parallel_and_join),
        cmocka_unit_test(error_yaml_syntax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
