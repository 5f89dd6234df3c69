/*
 * The shipped definitions (the YAML files of workflows/), deployed from the tree and
 * run to every one of their ends through the service, with the real 2026
 * calendar and the built-in hooks over a real database: the material plan
 * writes approved or rejected plan lines into the plan master data that
 * terminals receive, the repair shop reads the equipment register.
 *
 * A scenario is a script of operations at given dates (09:00 site time):
 * start, act (optionally expecting a refusal), message, tick; the last
 * line names the outcome expected.  Variables are written "name=t:value"
 * with t one of i (int), b (bool), s (string), j (JSON), separated by ';'.
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
#include "dbmaster.h"
#include "wfsvc.h"

typedef enum { OP_START = 1, OP_ACT, OP_MESSAGE, OP_TICK, OP_END } op_kind_t;

typedef struct {
    op_kind_t op;
    const char *date;        /* YYYY-MM-DD, 09:00; "YYYY-MM-DD HH" for another hour */
    const char *step;        /* ACT: the task; MESSAGE: the message; END: the outcome */
    const char *action;
    const char *user, *role;
    const char *vars;
    const char *docs;        /* comma-separated */
    tt_err_t expect;         /* ACT: TT_OK or the refusal expected */
} op_t;

typedef struct {
    char dir[64], path[128];
    tt_db_t *db;
    tt_wfsvc_t *svc;
} fx_t;

static int64_t when(const char *date)
{
    tt_day_t d = 0;
    char day[11];
    int hour = 9;
    snprintf(day, sizeof day, "%.10s", date);
    if (tt_cal_parse_date(day, &d) != TT_OK)
        fail_msg("bad date %s", date);
    if (strlen(date) > 11)
        hour = atoi(date + 11);
    return tt_cal_ms_of_day(d) + (int64_t)hour * 3600 * 1000;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(1 << 20);
    if (!f || !buf) {
        if (f)
            fclose(f);
        free(buf);
        return NULL;
    }
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void deploy(fx_t *fx, const char *file)
{
    char path[256], name[TT_WFDEF_NAME_MAX + 1], err[512] = "";
    size_t len = 0;
    int version, created;
    char *text;
    snprintf(path, sizeof path, "%s/workflows/%s", TT_SOURCE_DIR, file);
    text = slurp(path, &len);
    assert_non_null(text);
    if (tt_wfsvc_deploy(fx->svc, file, text, len, "admin", when("2026-01-05"), name, &version,
                        &created, err, sizeof err) != TT_OK)
        fail_msg("%s", err);
    free(text);
}

static void put_master(fx_t *fx)
{
    tt_master_unit_t u = {"CM1", "采煤一区", TT_UNIT_WORK_AREA};
    tt_dbmaster_item_t bolt, pump;
    tt_master_equipment_t eq;

    memset(&bolt, 0, sizeof bolt);
    snprintf(bolt.item.code, sizeof bolt.item.code, "BOLT-M20");
    snprintf(bolt.item.name, sizeof bolt.item.name, "锚杆");
    snprintf(bolt.item.uom, sizeof bolt.item.uom, "根");
    bolt.item.category = TT_ITEM_MATERIAL;
    bolt.item.active = 1;
    pump = bolt;
    snprintf(pump.item.code, sizeof pump.item.code, "PUMP-400");
    snprintf(pump.item.name, sizeof pump.item.name, "乳化液泵");
    pump.item.category = TT_ITEM_EQUIPMENT;
    memset(&eq, 0, sizeof eq);
    snprintf(eq.asset, sizeof eq.asset, "P-0042");
    snprintf(eq.model, sizeof eq.model, "乳化液泵 BRW400/31.5");
    snprintf(eq.unit, sizeof eq.unit, "CM1");
    eq.active = 1;
    assert_int_equal(tt_db_begin(fx->db), TT_OK);
    assert_int_equal(tt_dbmaster_put_unit(fx->db, &u, 1, NULL), TT_OK);
    assert_int_equal(tt_dbmaster_put_item(fx->db, &bolt, 1, NULL), TT_OK);
    assert_int_equal(tt_dbmaster_put_item(fx->db, &pump, 1, NULL), TT_OK);
    assert_int_equal(tt_dbmaster_put_equipment(fx->db, &eq, 1, NULL), TT_OK);
    assert_int_equal(tt_dbmaster_set_version(fx->db, 1), TT_OK);
    assert_int_equal(tt_db_commit(fx->db), TT_OK);
}

static int setup(void **state)
{
    static const char *const files[] = {"material-plan.yaml", "government-procurement.yaml",
                                        "mortgage-intake.yaml", "pension-death-reduction.yaml",
                                        "pension-monthly-payment.yaml", "repair-shop.yaml"};
    fx_t *fx = calloc(1, sizeof *fx);
    char err[512] = "";
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_wfs_XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/server.db", fx->dir);
    if (tt_db_open(fx->path, 0, &fx->db, err, sizeof err) != TT_OK ||
        tt_wfsvc_open(fx->db, TT_SOURCE_DIR "/workflows", "Asia/Shanghai", &fx->svc, err,
                      sizeof err) != TT_OK) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    *state = fx;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        deploy(fx, files[i]);
    put_master(fx);
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

/* --- the interpreter ----------------------------------------------------------------- */

typedef struct {
    char buf[2048];
    tt_wf_input_t in[16];
    size_t n;
    const char *docs[16];
    size_t ndocs;
    char docbuf[512];
} parsed_t;

static void parse(parsed_t *p, const char *vars, const char *docs)
{
    char *save = NULL;
    p->n = p->ndocs = 0;
    snprintf(p->buf, sizeof p->buf, "%s", vars ? vars : "");
    for (char *tok = strtok_r(p->buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(tok, '=');
        tt_wf_input_t *in = &p->in[p->n++];
        assert_non_null(eq);
        *eq = '\0';
        in->name = tok;
        switch (eq[1]) {
        case 'i': in->value = (tt_wfv_t){TT_WFV_INT, atoll(eq + 3), NULL}; break;
        case 'b': in->value = (tt_wfv_t){TT_WFV_BOOL, eq[3] == 't', NULL}; break;
        case 's': in->value = (tt_wfv_t){TT_WFV_STR, 0, eq + 3}; break;
        default: in->value = (tt_wfv_t){TT_WFV_JSON, 0, eq + 3}; break;
        }
    }
    snprintf(p->docbuf, sizeof p->docbuf, "%s", docs ? docs : "");
    save = NULL;
    for (char *tok = strtok_r(p->docbuf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        p->docs[p->ndocs++] = tok;
}

/* The active token of `step` (0: none) and the instance's last seq. */
static int64_t token_of(fx_t *fx, int64_t id, const char *step, uint64_t *seq)
{
    tt_wf_inst_t *in = NULL;
    const tt_wfdef_t *def;
    int64_t tok = 0;
    assert_int_equal(tt_wfsvc_instance(fx->svc, id, &in, &def), TT_OK);
    for (size_t i = 0; i < in->ntokens; i++)
        if (in->tokens[i].state == TT_WORKFLOW_ACTIVE &&
            strcmp(def->steps[in->tokens[i].step].name, step) == 0)
            tok = in->tokens[i].id;
    *seq = in->seq;
    tt_workflow_inst_free(in);
    return tok;
}

/* Runs a scenario of definition `name` on instance `id` (0: the scenario
 * starts one); returns the instance id. */
static int64_t run(fx_t *fx, const char *name, int64_t id, const op_t *ops)
{
    for (const op_t *op = ops; op->op; op++) {
        tt_wf_actor_t actor = {op->user, op->role ? op->role : "", "CM1", "web"};
        tt_wfsvc_result_t res;
        char reason[512] = "";
        parsed_t p;
        uint64_t seq = 0;
        int64_t tok;
        tt_err_t rc;
        size_t fired;

        parse(&p, op->vars, op->docs);
        switch (op->op) {
        case OP_START:
            rc = tt_wfsvc_start(fx->svc, name, 0, &actor, p.in, p.n, when(op->date), &res, reason,
                                sizeof reason);
            if (rc != TT_OK)
                fail_msg("%s: start: %s", name, reason);
            id = res.instance;
            break;
        case OP_ACT:
            tok = token_of(fx, id, op->step, &seq);
            if (!tok)
                fail_msg("%s: no active task %s on %s", name, op->step, op->date);
            rc = tt_wfsvc_act(fx->svc, id, tok, op->action, seq, &actor, p.in, p.n, p.docs,
                              p.ndocs, when(op->date), &res, reason, sizeof reason);
            if (rc != op->expect)
                fail_msg("%s: %s %s on %s: %d (%s), expected %d", name, op->step, op->action,
                         op->date, rc, reason, op->expect);
            break;
        case OP_MESSAGE:
            rc = tt_wfsvc_message(fx->svc, id, op->step, &actor, p.in, p.n, when(op->date), &res,
                                  reason, sizeof reason);
            if (rc != TT_OK)
                fail_msg("%s: message %s: %s", name, op->step, reason);
            break;
        case OP_TICK:
            rc = tt_wfsvc_tick(fx->svc, when(op->date), &fired, reason, sizeof reason);
            if (rc != TT_OK)
                fail_msg("%s: tick %s: %s", name, op->date, reason);
            break;
        case OP_END: {
            tt_wf_inst_t *in = NULL;
            const tt_wfdef_t *def;
            assert_int_equal(tt_wfsvc_instance(fx->svc, id, &in, &def), TT_OK);
            if (strcmp(in->outcome, op->step) != 0)
                fail_msg("%s: outcome '%s', expected '%s'", name, in->outcome, op->step);
            tt_workflow_inst_free(in);
            break;
        }
        }
    }
    return id;
}

#define START(d, u, r, v) {OP_START, d, NULL, NULL, u, r, v, NULL, TT_OK}
#define ACT(d, s, a, u, r, v, docs) {OP_ACT, d, s, a, u, r, v, docs, TT_OK}
#define REFUSED(d, s, a, u, r, v, docs, e) {OP_ACT, d, s, a, u, r, v, docs, e}
#define MESSAGE(d, m, u) {OP_MESSAGE, d, m, NULL, u, "", NULL, NULL, TT_OK}
#define TICK(d) {OP_TICK, d, NULL, NULL, "", "", NULL, NULL, TT_OK}
#define END(outcome)                                                                   \
    {OP_END, NULL, outcome, NULL, "", "", NULL, NULL, TT_OK}, {0, 0, 0, 0, 0, 0, 0, 0, 0}

/* The status of plan line `serial` in the plan master data as terminals
 * get it: 'A' approved, 'R' rejected, 0 absent; *category its category. */
static char plan_status(fx_t *fx, const char *serial, char *category, tt_qty_t *qty)
{
    tt_master_page_t *pg = NULL;
    char reason[256], cursor[TT_MASTER_CURSOR_MAX + 1] = "", st = 0;
    do {
        assert_int_equal(tt_db_begin(fx->db), TT_OK);
        assert_int_equal(tt_dbmaster_page(fx->db, 0, cursor, 100, &pg, reason, sizeof reason),
                         TT_OK);
        tt_db_rollback(fx->db);
        for (size_t i = 0; i < pg->nplans; i++) {
            if (strcmp(pg->plans[i].serial, serial) == 0) {
                st = pg->plans[i].status == TT_PLAN_APPROVED ? 'A' : 'R';
                strcpy(category, pg->plans[i].category);
                *qty = pg->plans[i].qty;
            }
        }
        snprintf(cursor, sizeof cursor, "%s", pg->cursor);
        tt_master_page_free(pg);
    } while (cursor[0]);
    return st;
}

#define LINES "lines=j:[{\"item\":\"BOLT-M20\",\"qty\":\"200\",\"category\":\"AQ-03\"}," \
              "{\"item\":\"PUMP-400\",\"qty\":\"2\"}]"
#define CHECKED "lines=j:[{\"item\":\"BOLT-M20\",\"qty\":\"150\",\"category\":\"AQ-03\"}," \
                "{\"item\":\"PUMP-400\",\"qty\":\"2\"}]"

static void material_plan_approved(void **state)
{
    fx_t *fx = *state;
    const op_t ops[] = {
        START("2026-03-02", "planner1", "unit_planner", NULL),
        ACT("2026-03-02", "submit", "submit", "planner1", "unit_planner", LINES, NULL),
        /* Overdue review escalates to the deputy leader, who then acts. */
        TICK("2026-03-09"),
        ACT("2026-03-09", "review", "pass", "leader1", "deputy_leader", NULL, NULL),
        ACT("2026-03-10", "stock_check", "checked", "keeper1", "storekeeper", CHECKED, NULL),
        ACT("2026-03-11", "sign", "sign", "leader1", "deputy_leader", NULL, NULL),
        ACT("2026-03-12", "consolidate", "consolidated", "office1", "material_office", NULL,
            NULL),
        ACT("2026-03-20", "meeting", "agreed", "sec1", "plan_meeting", NULL, NULL),
        ACT("2026-04-10", "group", "approved", "liaison1", "group_liaison", NULL, NULL),
        END("approved"),
    };
    char serial[40], category[40] = "";
    tt_qty_t qty = 0;
    int64_t id = run(fx, "material-plan", 0, ops);

    snprintf(serial, sizeof serial, "P2026-%05lld-01", (long long)id);
    assert_int_equal(plan_status(fx, serial, category, &qty), 'A');
    assert_string_equal(category, "AQ-03");
    assert_int_equal(qty, 150000);   /* as the warehouse reduced it */
    snprintf(serial, sizeof serial, "P2026-%05lld-02", (long long)id);
    assert_int_equal(plan_status(fx, serial, category, &qty), 'A');
    assert_string_equal(category, "");
}

static void material_plan_rejected_by_group_and_withdrawn(void **state)
{
    fx_t *fx = *state;
    const op_t rejected[] = {
        START("2026-03-02", "planner1", "unit_planner", NULL),
        ACT("2026-03-02", "submit", "submit", "planner1", "unit_planner", LINES, NULL),
        ACT("2026-03-03", "review", "return", "rev1", "dept_reviewer", NULL, NULL),
        ACT("2026-03-03", "submit", "submit", "planner1", "unit_planner", LINES, NULL),
        ACT("2026-03-04", "review", "pass", "rev1", "dept_reviewer", NULL, NULL),
        ACT("2026-03-04", "stock_check", "checked", "keeper1", "storekeeper", NULL, NULL),
        ACT("2026-03-05", "sign", "sign", "leader1", "deputy_leader", NULL, NULL),
        ACT("2026-03-06", "consolidate", "consolidated", "office1", "material_office", NULL,
            NULL),
        ACT("2026-03-20", "meeting", "agreed", "sec1", "plan_meeting", NULL, NULL),
        ACT("2026-04-10", "group", "rejected", "liaison1", "group_liaison", NULL, NULL),
        END("rejected"),
    };
    const op_t withdrawn[] = {
        START("2026-03-02", "planner1", "unit_planner", NULL),
        ACT("2026-03-02", "submit", "withdraw", "planner1", "unit_planner", NULL, NULL),
        END("withdrawn"),
    };
    char serial[40], category[40];
    tt_qty_t qty;
    int64_t id = run(fx, "material-plan", 0, rejected);

    /* A plan rejected at a later step is known as rejected: the counter
     * refuses a receipt against it (not approved). */
    snprintf(serial, sizeof serial, "P2026-%05lld-01", (long long)id);
    assert_int_equal(plan_status(fx, serial, category, &qty), 'R');
    id = run(fx, "material-plan", 0, withdrawn);
    snprintf(serial, sizeof serial, "P2026-%05lld-01", (long long)id);
    assert_int_equal(plan_status(fx, serial, category, &qty), 0);
}

static void procurement_open_tender_paid(void **state)
{
    const op_t ops[] = {
        START("2026-04-01", "buyer", "purchaser", NULL),
        ACT("2026-04-01", "commission", "submit", "buyer", "purchaser",
            "budget_fen=i:50000000;public_funds=b:true", NULL),
        ACT("2026-04-01", "plan", "planned", "office1", "procurement_office",
            "method=s:open_tender", NULL),
        ACT("2026-04-01", "tender_document", "drafted", "office1", "procurement_office", NULL,
            NULL),
        ACT("2026-04-02", "tender_approval", "approve", "lead1", "leadership_group", NULL, NULL),
        ACT("2026-04-03", "issue", "issued", "office1", "procurement_office", NULL, NULL),
        /* At least 20 days of bidding: 3 April + 20 is Thursday 23 April. */
        REFUSED("2026-04-22", "open_bids", "opened", "office1", "procurement_office", NULL, NULL,
                TT_ERR_BUSY),
        ACT("2026-04-23", "open_bids", "opened", "office1", "procurement_office", NULL, NULL),
        ACT("2026-04-24", "score_purchaser", "scored", "ev1", "evaluator", NULL, NULL),
        ACT("2026-04-24", "score_funder", "scored", "ev2", "evaluator", NULL, NULL),
        ACT("2026-04-24", "score_expert_a", "scored", "ev4", "evaluator", NULL, NULL),
        /* Three of five: the report is due, the other two are not needed. */
        ACT("2026-04-27", "report", "reported", "office1", "procurement_office",
            "award_fen=i:45000000", NULL),
        ACT("2026-04-28", "award", "award", "lead1", "leadership_group", NULL, NULL),
        ACT("2026-04-29", "contract", "signed", "office1", "procurement_office",
            "contract_fen=i:46000000", NULL),
        ACT("2026-04-30", "funder_approval", "approve", "fund1", "funder", NULL, NULL),
        MESSAGE("2026-06-01", "delivered", "supplier"),
        ACT("2026-06-03", "acceptance", "reject", "buyer", "purchaser", NULL, NULL),
        MESSAGE("2026-06-08", "delivered", "supplier"),
        ACT("2026-06-09", "acceptance", "accept", "buyer", "purchaser", NULL, NULL),
        ACT("2026-06-12", "payment", "paid", "office1", "procurement_office", NULL, NULL),
        END("paid"),
    };
    run(*state, "government-procurement", 0, ops);
}

static void procurement_single_source_and_inquiry(void **state)
{
    const op_t single[] = {
        START("2026-05-11", "buyer", "purchaser", NULL),
        ACT("2026-05-11", "commission", "submit", "buyer", "purchaser",
            "budget_fen=i:800000;public_funds=b:false", NULL),
        ACT("2026-05-11", "plan", "planned", "office1", "procurement_office",
            "method=s:single_source", NULL),
        /* Refused: plan again with another method, then single source after all. */
        ACT("2026-05-12", "single_source_approval", "refuse", "lead1", "leadership_group", NULL,
            NULL),
        ACT("2026-05-12", "plan", "planned", "office1", "procurement_office",
            "method=s:single_source", NULL),
        ACT("2026-05-13", "single_source_approval", "approve", "lead1", "leadership_group", NULL,
            NULL),
        ACT("2026-05-14", "negotiate", "negotiated", "office1", "procurement_office",
            "award_fen=i:780000", NULL),
        ACT("2026-05-15", "award", "award", "lead1", "leadership_group", NULL, NULL),
        ACT("2026-05-18", "contract", "signed", "office1", "procurement_office",
            "contract_fen=i:780000", NULL),
        MESSAGE("2026-06-01", "delivered", "supplier"),
        ACT("2026-06-02", "acceptance", "accept", "buyer", "purchaser", NULL, NULL),
        END("accepted"),
    };
    const op_t inquiry[] = {
        START("2026-07-01", "buyer", "purchaser", NULL),
        ACT("2026-07-01", "commission", "submit", "buyer", "purchaser",
            "budget_fen=i:90000;public_funds=b:true", NULL),
        ACT("2026-07-01", "plan", "planned", "office1", "procurement_office", "method=s:inquiry",
            NULL),
        ACT("2026-07-02", "inquiry_letter", "drafted", "office1", "procurement_office", NULL,
            NULL),
        ACT("2026-07-02", "issue", "issued", "office1", "procurement_office", NULL, NULL),
        ACT("2026-07-22", "open_bids", "opened", "office1", "procurement_office", NULL, NULL),
        ACT("2026-07-23", "compare_quotes", "compared", "office1", "procurement_office",
            "award_fen=i:88000", NULL),
        ACT("2026-07-24", "award", "reject", "lead1", "leadership_group", NULL, NULL),
        END("failed"),
    };
    run(*state, "government-procurement", 0, single);
    run(*state, "government-procurement", 0, inquiry);
}

#define FIVE "property_certificate,land_certificate,id_card,household_register,credit_report"

static void mortgage_divorced_disbursed(void **state)
{
    fx_t *fx = *state;
    const op_t ops[] = {
        START("2026-03-16", "ywy1", "loan_officer", NULL),
        ACT("2026-03-16", "reception", "intake", "ywy1", "loan_officer", "loan_fen=i:50000000",
            NULL),
        REFUSED("2026-03-16", "documents", "complete", "ywy1", "loan_officer",
                "marital=s:divorced;remarried=b:false", FIVE ",divorce_papers", TT_ERR_INVAL),
        ACT("2026-03-16", "documents", "complete", "ywy1", "loan_officer",
            "marital=s:divorced;remarried=b:false",
            FIVE ",divorce_papers,not_remarried_certificate"),
        REFUSED("2026-03-16", "second_check", "confirmed", "ywy1", "loan_officer", NULL, NULL,
                TT_ERR_DENIED),
        ACT("2026-03-16", "second_check", "confirmed", "ywy2", "loan_officer", NULL, NULL),
        ACT("2026-03-16", "risk_notice", "agreed", "ywy1", "loan_officer", NULL, NULL),
        ACT("2026-03-16", "sign_contract", "signed", "ywy1", "loan_officer", NULL, "contract"),
        REFUSED("2026-03-16", "check_contract", "checked", "ywy1", "loan_officer", NULL, NULL,
                TT_ERR_DENIED),
        ACT("2026-03-16", "check_contract", "checked", "ywy3", "loan_officer", NULL, NULL),
        ACT("2026-03-17", "registration", "registered", "ywy1", "loan_officer", NULL,
            "registration_receipt"),
        ACT("2026-03-18", "notarisation", "notarised", "ywy1", "loan_officer", NULL,
            "notarial_certificate"),
        ACT("2026-03-19", "site_visit", "visited", "ywy1", "loan_officer", NULL, NULL),
        ACT("2026-03-20", "report", "disburse", "boss", "manager", NULL, NULL),
        END("disbursed"),
    };
    tt_wf_inst_t *in = NULL;
    const tt_wfdef_t *def;
    tt_wfv_t fee;
    int64_t id = run(fx, "mortgage-intake", 0, ops);

    assert_int_equal(tt_wfsvc_instance(fx->svc, id, &in, &def), TT_OK);
    assert_int_equal(tt_workflow_get(def, in, "mortgage_fee_fen", &fee), TT_OK);
    assert_int_equal(fee.i, 8000);
    assert_int_equal(tt_workflow_get(def, in, "notary_fee_fen", &fee), TT_OK);
    assert_int_equal(fee.i, 36000);
    tt_workflow_inst_free(in);
}

static void mortgage_widowed_and_single_declined(void **state)
{
    const op_t widowed[] = {
        START("2026-03-16", "ywy1", "loan_officer", NULL),
        ACT("2026-03-16", "reception", "intake", "ywy1", "loan_officer", "loan_fen=i:30000000",
            NULL),
        REFUSED("2026-03-16", "documents", "complete", "ywy1", "loan_officer",
                "marital=s:widowed;remarried=b:false", FIVE ",not_remarried_certificate",
                TT_ERR_INVAL),
        ACT("2026-03-16", "documents", "complete", "ywy1", "loan_officer",
            "marital=s:widowed;remarried=b:false",
            FIVE ",spouse_death_certificate,not_remarried_certificate"),
        ACT("2026-03-16", "second_check", "confirmed", "ywy2", "loan_officer", NULL, NULL),
        ACT("2026-03-16", "risk_notice", "refused", "ywy1", "loan_officer", NULL, NULL),
        END("declined"),
    };
    const op_t single[] = {
        START("2026-03-16", "ywy1", "loan_officer", NULL),
        ACT("2026-03-16", "reception", "intake", "ywy1", "loan_officer", "loan_fen=i:10000000",
            NULL),
        REFUSED("2026-03-16", "documents", "complete", "ywy1", "loan_officer",
                "marital=s:single;remarried=b:false", FIVE, TT_ERR_INVAL),
        ACT("2026-03-16", "documents", "complete", "ywy1", "loan_officer",
            "marital=s:single;remarried=b:false", FIVE ",unmarried_certificate"),
        ACT("2026-03-16", "second_check", "back", "ywy2", "loan_officer", NULL, NULL),
        ACT("2026-03-17", "documents", "decline", "ywy1", "loan_officer", NULL, NULL),
        END("declined"),
    };
    run(*state, "mortgage-intake", 0, widowed);
    run(*state, "mortgage-intake", 0, single);
}

/* The due time of the active task `step` (0: none). */
static int64_t due_of(fx_t *fx, int64_t id, const char *step)
{
    tt_wf_inst_t *in = NULL;
    const tt_wfdef_t *def;
    int64_t due = 0;
    assert_int_equal(tt_wfsvc_instance(fx->svc, id, &in, &def), TT_OK);
    for (size_t i = 0; i < in->ntokens; i++)
        if (in->tokens[i].state == TT_WORKFLOW_ACTIVE &&
            strcmp(def->steps[in->tokens[i].step].name, step) == 0)
            due = in->tokens[i].due_ms;
    tt_workflow_inst_free(in);
    return due;
}

#define DEATH_DOCS "death_certificate,reduction_form,recipient_id,entitlement_certificate"

static void pension_death_reduction(void **state)
{
    fx_t *fx = *state;
    /* Died in September 2026: filing opens on the first working day of
     * October after National Day (the 8th) and closes on the 19th. */
    const op_t reported[] = {
        START("2026-09-15", "sq1", "retiree_manager", NULL),
        ACT("2026-09-15", "report_death", "reported", "sq1", "retiree_manager",
            "retired_after_1996=b:true", NULL),
        TICK("2026-10-07"),
        {0, 0, 0, 0, 0, 0, 0, 0, 0},
    };
    const op_t window_opens[] = {TICK("2026-10-08"), {0, 0, 0, 0, 0, 0, 0, 0, 0}};
    const op_t filed[] = {
        REFUSED("2026-10-09", "file", "filed", "sq1", "retiree_manager", NULL, DEATH_DOCS,
                TT_ERR_INVAL),
        ACT("2026-10-09", "file", "filed", "sq1", "retiree_manager", NULL,
            DEATH_DOCS ",addition_form_copy,retirement_approval_form,pension_book"),
        ACT("2026-10-12", "reduce", "reduced", "jb1", "pension_agency", NULL, NULL),
        /* The survivor's card: from 2 November (the 1st is a Sunday). */
        TICK("2026-10-31"),
        {0, 0, 0, 0, 0, 0, 0, 0, 0},
    };
    const op_t card[] = {
        TICK("2026-11-02"),
        ACT("2026-11-05", "collect_card", "collected", "jb1", "pension_agency", NULL,
            "survivor_id,approval_form"),
        END("closed"),
    };
    const op_t not_covered[] = {
        START("2026-09-15", "sq1", "retiree_manager", NULL),
        ACT("2026-09-15", "report_death", "not_covered", "sq1", "retiree_manager", NULL, NULL),
        END("not_covered"),
    };
    uint64_t seq;
    int64_t id = run(fx, "pension-death-reduction", 0, reported);

    assert_int_equal(token_of(fx, id, "file", &seq), 0);   /* not open on the 7th */
    run(fx, "pension-death-reduction", id, window_opens);
    /* Filing closes at the end of Monday 19 October. */
    assert_int_equal(due_of(fx, id, "file"), tt_cal_ms_of_day(tt_cal_day(2026, 10, 20)));
    run(fx, "pension-death-reduction", id, filed);
    assert_int_equal(token_of(fx, id, "collect_card", &seq), 0);
    run(fx, "pension-death-reduction", id, card);
    run(fx, "pension-death-reduction", 0, not_covered);
}

static void pension_monthly_payment(void **state)
{
    fx_t *fx = *state;
    const op_t ops[] = {
        START("2026-11-10", "off1", "pension_office", NULL),
        REFUSED("2026-11-18", "extract_new", "extracted", "off1", "pension_office",
                "new_people=i:12", NULL, TT_ERR_BUSY),
        ACT("2026-11-20", "extract_new", "extracted", "off1", "pension_office", "new_people=i:12",
            NULL),
        REFUSED("2026-11-23", "generate", "generated", "off1", "pension_office", NULL, NULL,
                TT_ERR_BUSY),
        ACT("2026-11-24", "generate", "generated", "off1", "pension_office", NULL, NULL),
        REFUSED("2026-11-25", "director_sign", "signed", "off1", "pension_office", NULL, NULL,
                TT_ERR_DENIED),
        ACT("2026-11-25", "director_sign", "signed", "dir1", "pension_office", NULL, NULL),
        ACT("2026-11-27", "transfer", "transferred", "fin1", "finance_office", NULL, NULL),
        TICK("2026-11-27 23"),
        {0, 0, 0, 0, 0, 0, 0, 0, 0},
    };
    const op_t paid[] = {
        TICK("2026-11-28 00"),
        ACT("2026-11-30", "confirm", "confirmed", "fin1", "finance_office", NULL, NULL),
        END("paid"),
    };
    uint64_t seq;
    int64_t id = run(fx, "pension-monthly-payment", 0, ops);

    assert_int_equal(token_of(fx, id, "confirm", &seq), 0);   /* the banks pay on the 28th */
    run(fx, "pension-monthly-payment", id, paid);
}

static void pension_payment_funds_move_before_holidays(void **state)
{
    fx_t *fx = *state;
    /* September 2026: the 27th is a Sunday inside the Mid-Autumn holiday
     * (25-27), so the funds are due on Thursday the 24th. */
    const op_t ops[] = {
        START("2026-09-01", "off1", "pension_office", NULL),
        ACT("2026-09-21", "extract_new", "extracted", "off1", "pension_office", "new_people=i:3",
            NULL),
        ACT("2026-09-24 08", "generate", "generated", "off1", "pension_office", NULL, NULL),
        ACT("2026-09-24 10", "director_sign", "signed", "dir1", "pension_office", NULL, NULL),
        {0, 0, 0, 0, 0, 0, 0, 0, 0},
    };
    int64_t id = run(fx, "pension-monthly-payment", 0, ops);
    assert_int_equal(due_of(fx, id, "transfer"), tt_cal_ms_of_day(tt_cal_day(2026, 9, 25)));
}

static void repair_shop_issued(void **state)
{
    fx_t *fx = *state;
    const op_t ops[] = {
        START("2026-06-01", "fitter1", "repair_fitter", NULL),
        ACT("2026-06-01", "receive", "received", "fitter1", "repair_fitter", "asset=s:P-0042",
            NULL),
        ACT("2026-06-02", "appraise", "appraised", "fitter1", "repair_fitter", "grade=s:major",
            "appraisal_slip"),
        ACT("2026-06-08", "repair", "repaired", "fitter1", "repair_fitter", NULL, NULL),
        REFUSED("2026-06-08", "self_check", "pass", "fitter1", "repair_fitter", NULL,
                "self_check_slip", TT_ERR_DENIED),
        ACT("2026-06-08", "self_check", "pass", "fitter2", "repair_fitter", NULL,
            "self_check_slip"),
        ACT("2026-06-09", "acceptance", "reject", "jd1", "electromech", NULL, NULL),
        ACT("2026-06-10", "repair", "repaired", "fitter1", "repair_fitter", NULL, NULL),
        ACT("2026-06-10", "self_check", "pass", "fitter2", "repair_fitter", NULL, NULL),
        ACT("2026-06-11", "acceptance", "accept", "jd1", "electromech", NULL, "acceptance_slip"),
        ACT("2026-06-11", "issue", "issued", "keeper1", "storekeeper", "use=s:standby", NULL),
        END("issued"),
    };
    tt_wf_inst_t *in = NULL;
    const tt_wfdef_t *def;
    tt_wfv_t v;
    int64_t id = run(fx, "repair-shop", 0, ops);

    assert_int_equal(tt_wfsvc_instance(fx->svc, id, &in, &def), TT_OK);
    assert_int_equal(tt_workflow_get(def, in, "equipment_model", &v), TT_OK);
    assert_string_equal(v.s, "乳化液泵 BRW400/31.5");
    assert_int_equal(tt_workflow_get(def, in, "equipment_unit", &v), TT_OK);
    assert_string_equal(v.s, "CM1");
    assert_int_equal(tt_workflow_get(def, in, "equipment_state", &v), TT_OK);
    assert_string_equal(v.s, "registered");
    tt_workflow_inst_free(in);
}

static void repair_shop_unregistered_and_scrapped(void **state)
{
    const op_t unregistered[] = {
        START("2026-06-01", "fitter1", "repair_fitter", NULL),
        ACT("2026-06-01", "receive", "received", "fitter1", "repair_fitter", "asset=s:P-9999",
            NULL),
        END("unregistered"),
    };
    const op_t scrapped[] = {
        START("2026-06-01", "fitter1", "repair_fitter", NULL),
        ACT("2026-06-01", "receive", "received", "fitter1", "repair_fitter", "asset=s:P-0042",
            NULL),
        ACT("2026-06-02", "appraise", "scrap", "fitter1", "repair_fitter", NULL, NULL),
        END("scrapped"),
    };
    run(*state, "repair-shop", 0, unregistered);
    run(*state, "repair-shop", 0, scrapped);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(material_plan_approved),
        T(material_plan_rejected_by_group_and_withdrawn),
        T(procurement_open_tender_paid),
        T(procurement_single_source_and_inquiry),
        T(mortgage_divorced_disbursed),
        T(mortgage_widowed_and_single_declined),
        T(pension_death_reduction),
        T(pension_monthly_payment),
        T(pension_payment_funds_move_before_holidays),
        T(repair_shop_issued),
        T(repair_shop_unregistered_and_scrapped),
    };
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
