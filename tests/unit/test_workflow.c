/*
 * Unit tests of the workflow engine (server/workflow) over its store
 * (server/wfstore) through the service (server/wfsvc): each operation one
 * transaction on a real SQLite database in a fresh temporary folder, with
 * the shipped calendar and roles (workflows/), at fixed times in 2026.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "calendar.h"
#include "db.h"
#include "wfmetrics.h"
#include "wfsvc.h"

typedef struct {
    char dir[64], path[128];
    tt_db_t *db;
    tt_wfsvc_t *svc;
    int hook_calls;
} fx_t;

#define DAY_MS (24LL * 3600 * 1000)

/* 09:00 on a date, site time. */
static int64_t at(const char *date)
{
    tt_day_t d = 0;
    if (tt_cal_parse_date(date, &d) != TT_OK)
        fail_msg("bad date %s", date);
    return tt_cal_ms_of_day(d) + 9 * 3600 * 1000;
}

/* A hook that refuses when `amount` is negative and counts its calls. */
static tt_err_t test_hook(void *ctx, const tt_wfdef_t *def, tt_wf_inst_t *in, char *reason,
                          size_t rlen)
{
    fx_t *fx = ctx;
    tt_wfv_t v;
    fx->hook_calls++;
    if (tt_workflow_get(def, in, "amount", &v) == TT_OK && v.i < 0) {
        snprintf(reason, rlen, "amount below zero");
        return TT_ERR_INVAL;
    }
    return tt_workflow_set(def, in, "recorded", &(tt_wfv_t){TT_WFV_BOOL, 1, NULL}, 1);
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    char err[512] = "";
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_wf_XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/server.db", fx->dir);
    if (tt_db_open(fx->path, 0, &fx->db, err, sizeof err) != TT_OK ||
        tt_wfsvc_open(fx->db, TT_SOURCE_DIR "/workflows", "Asia/Shanghai", &fx->svc, err,
                      sizeof err) != TT_OK ||
        tt_wfhooks_add(tt_wfsvc_hooks(fx->svc), "test.record", test_hook, fx) != TT_OK) {
        fprintf(stderr, "setup: %s\n", err);
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
    tt_wfsvc_close(fx->svc);
    tt_db_close(fx->db);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", fx->path, suffixes[i]);
        unlink(p);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static const char SAMPLE[] =
    "workflow: sample\n"
    "calendar: cn-2026\n"
    "variables: {marital: string, amount: int, recorded: bool, outcome_note: string}\n"
    "start: sign\n"
    "steps:\n"
    "  sign:\n"
    "    kind: task\n"
    "    role: loan_officer\n"
    "    inputs: [marital, amount]\n"
    "    due: 2 workdays\n"
    "    remind: 1 workdays\n"
    "    escalate: {after: 2 workdays, to: manager}\n"
    "    documents:\n"
    "      - id_card\n"
    "      - {name: divorce_papers, when: marital == \"divorced\"}\n"
    "    actions:\n"
    "      submit: check\n"
    "      withdraw: {to: withdrawn, documents: false}\n"
    "  check:\n"
    "    kind: task\n"
    "    role: loan_officer\n"
    "    different_from: sign\n"
    "    not_before: 1 days\n"
    "    actions: {pass: route, back: sign}\n"
    "  route:\n"
    "    kind: choice\n"
    "    branches:\n"
    "      - {when: amount > 1000000, to: panel_start}\n"
    "      - else: record\n"
    "  panel_start: {kind: parallel, branches: [e1, e2, e3], join: panel}\n"
    "  e1: {kind: task, role: evaluator, actions: {score: panel}}\n"
    "  e2: {kind: task, role: evaluator, actions: {score: panel}}\n"
    "  e3: {kind: task, role: evaluator, actions: {score: panel}}\n"
    "  panel: {kind: join, need: 2, next: record}\n"
    "  record: {kind: auto, hook: test.record, next: settle}\n"
    "  settle: {kind: wait, until: next month day 20 or next workday, next: done}\n"
    "  done: {kind: end, outcome: approved}\n"
    "  withdrawn: {kind: end, outcome: withdrawn}\n";

static int deploy(fx_t *fx, const char *text)
{
    char name[TT_WFDEF_NAME_MAX + 1], err[512] = "";
    int version = 0, created = 0;
    if (tt_wfsvc_deploy(fx->svc, "sample.yaml", text, strlen(text), "admin", at("2026-09-01"),
                        name, &version, &created, err, sizeof err) != TT_OK)
        fail_msg("deploy: %s", err);
    return version;
}

static tt_wfsvc_result_t start(fx_t *fx, int64_t now)
{
    tt_wf_actor_t a = {"zhang3", "loan_officer", "XD", "web"};
    tt_wfsvc_result_t res;
    char reason[256] = "";
    if (tt_wfsvc_start(fx->svc, "sample", 0, &a, NULL, 0, now, &res, reason, sizeof reason) !=
        TT_OK)
        fail_msg("start: %s", reason);
    return res;
}

/* The active token of `step` in instance id (0: none). */
static int64_t token_of(fx_t *fx, int64_t id, const char *step)
{
    tt_wf_inst_t *in = NULL;
    const tt_wfdef_t *def;
    int64_t tok = 0;
    assert_int_equal(tt_wfsvc_instance(fx->svc, id, &in, &def), TT_OK);
    for (size_t i = 0; i < in->ntokens; i++)
        if (in->tokens[i].state == TT_WORKFLOW_ACTIVE &&
            strcmp(def->steps[in->tokens[i].step].name, step) == 0)
            tok = in->tokens[i].id;
    tt_workflow_inst_free(in);
    return tok;
}

typedef struct {
    const char *user, *role;
    const char *marital;
    int64_t amount;          /* < 0 with no marital: no inputs */
    const char *docs[2];
} act_t;

static tt_err_t act(fx_t *fx, int64_t id, const char *step, const char *action, uint64_t expect,
                    const act_t *a, int64_t now, tt_wfsvc_result_t *res, char *reason)
{
    tt_wf_actor_t actor = {a->user, a->role, "XD", "terminal"};
    tt_wf_input_t in[2] = {{"marital", {TT_WFV_STR, 0, a->marital}},
                           {"amount", {TT_WFV_INT, a->amount, NULL}}};
    size_t ndocs = a->docs[1] ? 2 : a->docs[0] ? 1 : 0;
    int64_t tok = token_of(fx, id, step);
    if (!tok)
        fail_msg("no active %s in instance %lld", step, (long long)id);
    reason[0] = '\0';
    return tt_wfsvc_act(fx->svc, id, tok, action, expect, &actor, a->marital ? in : NULL,
                        a->marital ? 2 : 0, a->docs, ndocs, now, res, reason, 256);
}

/* Submits sign as zhang3 and passes check as li4; returns the last seq. */
static uint64_t sign_and_check(fx_t *fx, int64_t id, uint64_t seq, int64_t amount, int64_t now)
{
    act_t zhang = {"zhang3", "loan_officer", "single", amount, {"id_card", NULL}};
    act_t li = {"li4", "loan_officer", NULL, 0, {NULL, NULL}};
    tt_wfsvc_result_t res;
    char reason[256];
    if (act(fx, id, "sign", "submit", seq, &zhang, now, &res, reason) != TT_OK)
        fail_msg("submit: %s", reason);
    if (act(fx, id, "check", "pass", res.seq, &li, now + 2 * DAY_MS, &res, reason) != TT_OK)
        fail_msg("pass: %s", reason);
    return res.seq;
}

static void checklist_and_one_signs_another_checks(void **state)
{
    fx_t *fx = *state;
    tt_wfsvc_result_t s, res;
    char reason[256];
    act_t divorced = {"zhang3", "loan_officer", "divorced", 5000, {"id_card", NULL}};
    act_t with_papers = {"zhang3", "loan_officer", "divorced", 5000,
                         {"id_card", "divorce_papers"}};
    act_t same = {"zhang3", "loan_officer", NULL, 0, {NULL, NULL}};
    act_t other = {"li4", "loan_officer", NULL, 0, {NULL, NULL}};
    act_t clerk = {"wang5", "storekeeper", NULL, 0, {NULL, NULL}};

    deploy(fx, SAMPLE);
    s = start(fx, at("2026-09-28"));
    assert_int_equal(s.seq, 1);
    assert_int_equal(act(fx, s.instance, "sign", "submit", 1, &clerk, at("2026-09-28"), &res,
                         reason), TT_ERR_DENIED);
    assert_int_equal(act(fx, s.instance, "sign", "submit", 1, &divorced, at("2026-09-28"), &res,
                         reason), TT_ERR_INVAL);
    assert_string_equal(reason, "documents missing for sign: divorce_papers");
    assert_int_equal(act(fx, s.instance, "sign", "submit", 1, &with_papers, at("2026-09-28"),
                         &res, reason), TT_OK);
    assert_int_equal(res.seq, 2);
    /* not_before: one calendar day, rolled to the next working day. */
    assert_int_equal(act(fx, s.instance, "check", "pass", 2, &other, at("2026-09-28"), &res,
                         reason), TT_ERR_BUSY);
    assert_string_equal(reason, "check cannot be done before 2026-09-29");
    assert_int_equal(act(fx, s.instance, "check", "pass", 2, &same, at("2026-09-29"), &res,
                         reason), TT_ERR_DENIED);
    assert_string_equal(reason, "check must be done by someone other than who did sign (zhang3)");
    assert_int_equal(act(fx, s.instance, "check", "pass", 2, &other, at("2026-09-29"), &res,
                         reason), TT_OK);
    /* act, choice, auto, then waiting for the 20th */
    assert_int_equal(res.seq, 5);
    assert_int_equal(fx->hook_calls, 1);
    assert_true(token_of(fx, s.instance, "settle") > 0);
}

static void replay_applies_once_and_concurrent_action_conflicts(void **state)
{
    fx_t *fx = *state;
    tt_wfsvc_result_t s, res, again, late;
    char reason[256];
    act_t zhang = {"zhang3", "loan_officer", "single", 5000, {"id_card", NULL}};
    act_t li = {"li4", "loan_officer", NULL, 0, {NULL, NULL}};
    act_t withdraw_li = {"li4", "loan_officer", NULL, 0, {NULL, NULL}};

    deploy(fx, SAMPLE);
    s = start(fx, at("2026-09-28"));
    assert_int_equal(act(fx, s.instance, "sign", "submit", 1, &zhang, at("2026-09-28"), &res,
                         reason), TT_OK);
    /* The terminal lost the answer and sends the same action again. */
    assert_int_equal(tt_wfsvc_act(fx->svc, s.instance, 1, "submit", 1,
                                  &(tt_wf_actor_t){"zhang3", "loan_officer", "XD", "terminal"},
                                  NULL, 0, NULL, 0, at("2026-09-28"), &again, reason, 256),
                     TT_OK);
    assert_true(again.replayed);
    assert_int_equal(again.seq, res.seq);
    assert_int_equal(token_of(fx, s.instance, "check"), 2);   /* still one check task */
    /* Someone else acting on the same task, expecting the same event. */
    assert_int_equal(tt_wfsvc_act(fx->svc, s.instance, 1, "withdraw", 1,
                                  &(tt_wf_actor_t){"li4", "loan_officer", "XD", "web"}, NULL, 0,
                                  NULL, 0, at("2026-09-28"), &late, reason, 256),
                     TT_ERR_CONFLICT);
    assert_non_null(strstr(reason, "event 2 is act submit by zhang3"));
    /* With the right expectation the finished task is a conflict too. */
    assert_int_equal(tt_wfsvc_act(fx->svc, s.instance, 1, "withdraw", res.seq,
                                  &(tt_wf_actor_t){"li4", "loan_officer", "XD", "web"}, NULL, 0,
                                  NULL, 0, at("2026-09-28"), &late, reason, 256),
                     TT_ERR_CONFLICT);
    assert_string_equal(reason, "task sign was already done by zhang3 (submit)");
    /* Claimed by li4: wang6 cannot act; li4 can. */
    assert_int_equal(act(fx, s.instance, "check", "claim", res.seq, &li, at("2026-09-29"), &res,
                         reason), TT_OK);
    assert_int_equal(act(fx, s.instance, "check", "back", res.seq,
                         &(act_t){"wang6", "loan_officer", NULL, 0, {NULL, NULL}},
                         at("2026-09-29"), &late, reason), TT_ERR_CONFLICT);
    assert_string_equal(reason, "task check is claimed by li4");
    assert_int_equal(act(fx, s.instance, "check", "back", res.seq, &withdraw_li,
                         at("2026-09-29"), &res, reason), TT_OK);
    assert_true(token_of(fx, s.instance, "sign") > 0);   /* rework: sign again */
}

static void parallel_two_of_three_cancels_the_third(void **state)
{
    fx_t *fx = *state;
    tt_wfsvc_result_t s, res;
    char reason[256];
    act_t e = {"exp1", "evaluator", NULL, 0, {NULL, NULL}};
    uint64_t seq;
    int64_t e3;

    deploy(fx, SAMPLE);
    s = start(fx, at("2026-09-28"));
    seq = sign_and_check(fx, s.instance, 1, 2000000, at("2026-09-28"));
    assert_true(token_of(fx, s.instance, "e1") && token_of(fx, s.instance, "e2"));
    e3 = token_of(fx, s.instance, "e3");
    assert_true(e3 > 0);
    assert_int_equal(act(fx, s.instance, "e1", "score", seq, &e, at("2026-09-30"), &res, reason),
                     TT_OK);
    assert_int_equal(fx->hook_calls, 0);
    e.user = "exp2";
    assert_int_equal(act(fx, s.instance, "e2", "score", res.seq, &e, at("2026-09-30"), &res,
                         reason), TT_OK);
    assert_int_equal(fx->hook_calls, 1);
    assert_int_equal(token_of(fx, s.instance, "e3"), 0);
    assert_int_equal(tt_wfsvc_act(fx->svc, s.instance, e3, "score", res.seq,
                                  &(tt_wf_actor_t){"exp3", "evaluator", "", "web"}, NULL, 0, NULL,
                                  0, at("2026-09-30"), &res, reason, 256),
                     TT_ERR_CONFLICT);
    assert_string_equal(reason, "task e3 was cancelled by the system (-)");
}

typedef struct {
    int n;
    int64_t due_ms;
    int escalated;
} seen_t;

static int count_task(void *ctx, const tt_wfsvc_task_t *t)
{
    seen_t *s = ctx;
    s->n++;
    s->due_ms = t->due_ms;
    s->escalated = t->escalated;
    return 0;
}

static int kinds(void *ctx, const tt_wf_event_t *e)
{
    char *buf = ctx;
    strcat(buf, e->kind);
    strcat(buf, " ");
    return 0;
}

static void reminders_escalation_and_wait_timers(void **state)
{
    fx_t *fx = *state;
    tt_wfsvc_result_t s;
    seen_t mgr = {0, 0, 0}, officer = {0, 0, 0};
    char reason[256] = "", log[512] = "";
    int64_t next = 0;
    size_t fired = 0;

    deploy(fx, SAMPLE);
    /* Started Monday 28 September: due 2 working days later, which is
     * Wednesday 30 (1-7 October are National Day). */
    s = start(fx, at("2026-09-28"));
    assert_int_equal(tt_wfsvc_tasks(fx->svc, &(tt_wf_actor_t){"zhang3", "loan_officer", "", ""},
                                    count_task, &officer), TT_OK);
    assert_int_equal(officer.n, 1);
    assert_int_equal(officer.due_ms, tt_cal_ms_of_day(tt_cal_day(2026, 10, 1)));
    assert_int_equal(tt_wfsvc_next_timer(fx->svc, &next), TT_OK);
    assert_int_equal(next, officer.due_ms);
    assert_int_equal(tt_wfsvc_tick(fx->svc, next - 1, &fired, reason, sizeof reason), TT_OK);
    assert_int_equal(fired, 0);
    /* Overdue: a reminder at the deadline, the next on the next working
     * day (8 October); escalation after 2 more working days (9 October). */
    assert_int_equal(tt_wfsvc_tick(fx->svc, next, &fired, reason, sizeof reason), TT_OK);
    assert_int_equal(fired, 1);
    assert_int_equal(tt_wfsvc_next_timer(fx->svc, &next), TT_OK);
    assert_int_equal(next, tt_cal_ms_of_day(tt_cal_day(2026, 10, 8)));
    assert_int_equal(tt_wfsvc_tasks(fx->svc, &(tt_wf_actor_t){"boss", "manager", "", ""},
                                    count_task, &mgr), TT_OK);
    assert_int_equal(mgr.n, 0);
    assert_int_equal(tt_wfsvc_tick(fx->svc, at("2026-10-10"), &fired, reason, sizeof reason),
                     TT_OK);
    assert_int_equal(tt_wfsvc_tasks(fx->svc, &(tt_wf_actor_t){"boss", "manager", "", ""},
                                    count_task, &mgr), TT_OK);
    assert_int_equal(mgr.n, 1);
    assert_true(mgr.escalated);
    assert_int_equal(tt_wfstore_events_each(tt_wfsvc_store(fx->svc), s.instance, kinds, log),
                     TT_OK);
    assert_string_equal(log, "start remind escalate remind ");
}

static void wait_until_date_then_end(void **state)
{
    fx_t *fx = *state;
    tt_wfsvc_result_t s;
    tt_wf_inst_t *in = NULL;
    const tt_wfdef_t *def;
    char reason[256] = "";
    size_t fired = 0;

    deploy(fx, SAMPLE);
    s = start(fx, at("2026-09-28"));
    sign_and_check(fx, s.instance, 1, 100, at("2026-09-28"));
    /* Next month's 20th is Tuesday 20 October. */
    assert_int_equal(tt_wfsvc_tick(fx->svc, tt_cal_ms_of_day(tt_cal_day(2026, 10, 20)) - 1,
                                   &fired, reason, sizeof reason), TT_OK);
    assert_int_equal(token_of(fx, s.instance, "settle") > 0, 1);
    assert_int_equal(tt_wfsvc_tick(fx->svc, tt_cal_ms_of_day(tt_cal_day(2026, 10, 20)), &fired,
                                   reason, sizeof reason), TT_OK);
    assert_int_equal(tt_wfsvc_instance(fx->svc, s.instance, &in, &def), TT_OK);
    assert_string_equal(in->outcome, "approved");
    assert_int_equal(in->ended_ms, tt_cal_ms_of_day(tt_cal_day(2026, 10, 20)));
    tt_workflow_inst_free(in);
}

static void new_version_leaves_running_instances_pinned(void **state)
{
    fx_t *fx = *state;
    tt_wfsvc_result_t old, neu, res;
    char v2[sizeof SAMPLE + 64], *p, reason[256];
    act_t zhang = {"zhang3", "loan_officer", NULL, 0, {NULL, NULL}};

    assert_int_equal(deploy(fx, SAMPLE), 1);
    assert_int_equal(deploy(fx, SAMPLE), 1);   /* the same text is the same version */
    old = start(fx, at("2026-09-28"));
    snprintf(v2, sizeof v2, "%s", SAMPLE);
    p = strstr(v2, "outcome: withdrawn");
    memcpy(p, "outcome: abandoned", 18);
    assert_int_equal(deploy(fx, v2), 2);
    neu = start(fx, at("2026-09-28"));
    assert_int_equal(old.version, 1);
    assert_int_equal(neu.version, 2);
    assert_int_equal(act(fx, old.instance, "sign", "withdraw", 1, &zhang, at("2026-09-28"), &res,
                         reason), TT_OK);
    assert_string_equal(res.outcome, "withdrawn");
    assert_int_equal(act(fx, neu.instance, "sign", "withdraw", 1, &zhang, at("2026-09-28"), &res,
                         reason), TT_OK);
    assert_string_equal(res.outcome, "abandoned");
}

static void failing_hook_refuses_the_whole_action(void **state)
{
    fx_t *fx = *state;
    tt_wfsvc_result_t s, res;
    tt_wf_inst_t *in = NULL;
    const tt_wfdef_t *def;
    char reason[256];
    act_t zhang = {"zhang3", "loan_officer", "single", -5, {"id_card", NULL}};
    act_t li = {"li4", "loan_officer", NULL, 0, {NULL, NULL}};

    deploy(fx, SAMPLE);
    s = start(fx, at("2026-09-28"));
    assert_int_equal(act(fx, s.instance, "sign", "submit", 1, &zhang, at("2026-09-28"), &res,
                         reason), TT_OK);
    assert_int_equal(act(fx, s.instance, "check", "pass", 2, &li, at("2026-09-29"), &res,
                         reason), TT_ERR_INVAL);
    assert_string_equal(reason, "step record: amount below zero");
    /* Nothing of it stayed: the check task is still open at event 2. */
    assert_int_equal(tt_wfsvc_instance(fx->svc, s.instance, &in, &def), TT_OK);
    assert_int_equal(in->seq, 2);
    tt_workflow_inst_free(in);
    assert_true(token_of(fx, s.instance, "check") > 0);
}

static void deploy_error_names_file_line_column(void **state)
{
    fx_t *fx = *state;
    char bad[sizeof SAMPLE], name[TT_WFDEF_NAME_MAX + 1], err[512] = "";
    int version, created;
    snprintf(bad, sizeof bad, "%s", SAMPLE);
    memcpy(strstr(bad, "hook: test.record"), "hook: test.recorx", 17);
    assert_int_equal(tt_wfsvc_deploy(fx->svc, "sample.yaml", bad, strlen(bad), "admin", 0, name,
                                     &version, &created, err, sizeof err),
                     TT_ERR_PARSE);
    assert_string_equal(err, "sample.yaml:35:30: hook 'test.recorx' is not registered in this"
                             " server");
}

static const cJSON *find(const cJSON *list, const char *key, const char *value)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, list) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(it, key);
        if (cJSON_IsString(k) && strcmp(k->valuestring, value) == 0)
            return it;
    }
    fail_msg("no %s %s in the metrics", key, value);
    return NULL;
}

static long long num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(v))
        fail_msg("metric %s is not a number", name);
    return (long long)v->valuedouble;
}

static void metrics_of_waiting_working_breaches_and_rework(void **state)
{
    fx_t *fx = *state;
    const int64_t t0 = at("2026-09-28"), hour = 3600 * 1000;
    act_t zhang = {"zhang3", "loan_officer", "single", 5000, {"id_card", NULL}};
    act_t li = {"li4", "loan_officer", NULL, 0, {NULL, NULL}};
    tt_wfsvc_result_t i1, i2, i3, res;
    const cJSON *sign, *check, *p;
    char reason[256];
    cJSON *m = NULL;

    deploy(fx, SAMPLE);
    i1 = start(fx, t0);
    i2 = start(fx, t0);
    i3 = start(fx, t0);
    start(fx, t0);   /* never touched: open past its deadline */
    /* i1: waits 1 h, worked 2 h; sent back by check, so sign comes again. */
    assert_int_equal(act(fx, i1.instance, "sign", "claim", 1, &zhang, t0 + hour, &res, reason),
                     TT_OK);
    assert_int_equal(act(fx, i1.instance, "sign", "submit", res.seq, &zhang, t0 + 3 * hour, &res,
                         reason), TT_OK);
    assert_int_equal(act(fx, i1.instance, "check", "back", res.seq, &li, at("2026-09-29"), &res,
                         reason), TT_OK);
    /* i2: waits 2 h, done on 9 October, after its deadline (30 September). */
    assert_int_equal(act(fx, i2.instance, "sign", "claim", 1, &zhang, t0 + 2 * hour, &res,
                         reason), TT_OK);
    assert_int_equal(act(fx, i2.instance, "sign", "submit", res.seq, &zhang, at("2026-10-09"),
                         &res, reason), TT_OK);
    /* i3: never claimed, withdrawn after 5 h: all of it waiting. */
    assert_int_equal(act(fx, i3.instance, "sign", "withdraw", 1, &zhang, t0 + 5 * hour, &res,
                         reason), TT_OK);

    assert_int_equal(tt_wfmetrics_build(tt_wfsvc_store(fx->svc), "sample",
                                        tt_cal_ms_of_day(tt_cal_day(2026, 9, 1)),
                                        tt_cal_ms_of_day(tt_cal_day(2026, 11, 1)),
                                        at("2026-10-12"), &m),
                     TT_OK);
    sign = find(cJSON_GetObjectItemCaseSensitive(m, "steps"), "step", "sign");
    assert_int_equal(num(sign, "visits"), 5);
    assert_int_equal(num(sign, "done"), 3);
    /* waiting 1 h, 2 h, 5 h; working 0, 2 h, 11 days less 2 h (nearest rank) */
    assert_int_equal(num(sign, "waiting_p50_s"), 7200);
    assert_int_equal(num(sign, "waiting_p90_s"), 18000);
    assert_int_equal(num(sign, "working_p50_s"), 7200);
    assert_int_equal(num(sign, "working_p90_s"), 11 * 86400 - 7200);
    /* i2 late, the untouched one and i1's second sign both open past due */
    assert_int_equal(num(sign, "deadline_breaches"), 3);
    assert_int_equal(num(sign, "rework"), 1);
    p = cJSON_GetObjectItemCaseSensitive(sign, "taken");
    assert_int_equal(num(p, "submit"), 2);
    assert_int_equal(num(p, "withdraw"), 1);
    check = find(cJSON_GetObjectItemCaseSensitive(m, "steps"), "step", "check");
    assert_int_equal(num(check, "visits"), 2);
    assert_int_equal(num(cJSON_GetObjectItemCaseSensitive(check, "taken"), "back"), 1);
    p = find(cJSON_GetObjectItemCaseSensitive(m, "people"), "user", "zhang3");
    assert_int_equal(num(p, "tasks_done"), 3);
    p = find(cJSON_GetObjectItemCaseSensitive(m, "units"), "unit", "XD");
    assert_int_equal(num(p, "tasks_done"), 4);
    assert_int_equal(num(p, "instances_started"), 4);
    assert_int_equal(num(p, "instances_ended"), 1);
    cJSON_Delete(m);
    /* Nothing started in the range: no visits. */
    assert_int_equal(tt_wfmetrics_build(tt_wfsvc_store(fx->svc), "sample",
                                        tt_cal_ms_of_day(tt_cal_day(2026, 11, 1)),
                                        tt_cal_ms_of_day(tt_cal_day(2026, 12, 1)),
                                        at("2026-10-12"), &m),
                     TT_OK);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "steps")), 0);
    cJSON_Delete(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(checklist_and_one_signs_another_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(replay_applies_once_and_concurrent_action_conflicts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(parallel_two_of_three_cancels_the_third, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(reminders_escalation_and_wait_timers, setup, teardown),
        cmocka_unit_test_setup_teardown(wait_until_date_then_end, setup, teardown),
        cmocka_unit_test_setup_teardown(new_version_leaves_running_instances_pinned, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(failing_hook_refuses_the_whole_action, setup, teardown),
        cmocka_unit_test_setup_teardown(deploy_error_names_file_line_column, setup, teardown),
        cmocka_unit_test_setup_teardown(metrics_of_waiting_working_breaches_and_rework, setup,
                                        teardown),
    };
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
