/*
 * Unit tests of firmware/assetview: the terminal's offline view of
 * equipment states, in a real outbox store (fresh temporary folder per
 * test).  The view starts from the register copy, takes the server's rows
 * (shared/assets.h pages) with the watermark they were read at, runs this
 * terminal's own steps after it through the shared rule table (pending),
 * leaves out steps the server refused, keeps its version across a restart;
 * and the counter shows an asset's state at the repair bay before anyone
 * acts, warns about a step that does not fit, and shows the new state once
 * a step is stored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "assets.h"
#include "assetview.h"
#include "counter.h"
#include "master.h"
#include "outbox.h"

#define T0 1764099600000LL

typedef struct {
    char dir[64], path[128];
    tt_outbox_t *ob;
    tt_assetview_t *av;
} fx_t;

static void open_all(fx_t *fx)
{
    char err[256] = "";
    if (tt_outbox_open(fx->path, &fx->ob, err, sizeof err) != TT_OK)
        fail_msg("tt_outbox_open: %s", err);
    assert_int_equal(tt_assetview_open(fx->ob, &fx->av), TT_OK);
}

static void close_all(fx_t *fx)
{
    tt_assetview_close(fx->av);
    tt_outbox_close(fx->ob);
    fx->av = NULL;
    fx->ob = NULL;
}

/* Master data: units A3, A4; the fitter li4 (badge B0002); assets P-1 in
 * use at A3, P-2 at no unit, P-9 retired. */
static void load_master(fx_t *fx)
{
    tt_master_page_t p;
    tt_master_unit_t units[2];
    tt_master_operator_t op;
    tt_master_equipment_t eq[3];

    memset(&p, 0, sizeof p);
    memset(units, 0, sizeof units);
    memset(&op, 0, sizeof op);
    memset(eq, 0, sizeof eq);
    for (int i = 0; i < 2; i++) {
        snprintf(units[i].id, sizeof units[i].id, "A%d", 3 + i);
        snprintf(units[i].name, sizeof units[i].name, "工区 %d", 3 + i);
        units[i].kind = TT_UNIT_WORK_AREA;
    }
    snprintf(op.id, sizeof op.id, "li4");
    snprintf(op.name, sizeof op.name, "李四");
    snprintf(op.role, sizeof op.role, "repair_fitter");
    snprintf(op.badge, sizeof op.badge, "B0002");
    op.active = 1;
    for (int i = 0; i < 3; i++) {
        snprintf(eq[i].asset, sizeof eq[i].asset, "P-%d", i == 2 ? 9 : i + 1);
        snprintf(eq[i].model, sizeof eq[i].model, "%s", i == 0 ? "乳化液泵" : "采煤机");
        eq[i].active = i != 2;
    }
    snprintf(eq[0].unit, sizeof eq[0].unit, "A3");
    p.to = 1;
    p.last = 1;
    p.units = units;
    p.nunits = 2;
    p.operators = &op;
    p.noperators = 1;
    p.equipment = eq;
    p.nequipment = 3;
    assert_int_equal(tt_outbox_master_apply(fx->ob, &p), TT_OK);
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_assetview_XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/outbox.db", fx->dir);
    open_all(fx);
    load_master(fx);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    fx_t *fx = *state;
    char p[160];

    close_all(fx);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", fx->path, suffixes[i]);
        unlink(p);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* Records one of this terminal's equipment steps; returns its seq. */
static uint64_t own(fx_t *fx, const char *asset, const char *step, const char *result,
                    const char *unit)
{
    tt_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = TT_EVENT_EQUIPMENT;
    ev.ts_ms = T0 + (int64_t)tt_assetview_version(fx->av);
    snprintf(ev.operator_id, sizeof ev.operator_id, "li4");
    snprintf(ev.body.stock.asset, sizeof ev.body.stock.asset, "%s", asset);
    snprintf(ev.body.stock.step, sizeof ev.body.stock.step, "%s", step);
    snprintf(ev.body.stock.result, sizeof ev.body.stock.result, "%s", result);
    snprintf(ev.body.stock.unit, sizeof ev.body.stock.unit, "%s", unit);
    assert_int_equal(tt_outbox_append(fx->ob, &ev), TT_OK);
    return ev.seq;
}

static tt_assets_row_t view(fx_t *fx, const char *asset)
{
    tt_assets_row_t r;
    assert_int_equal(tt_assetview_get(fx->av, asset, &r), TT_OK);
    assert_string_equal(r.asset, asset);
    return r;
}

static void expect(const tt_assets_entry_t *e, tt_assets_step_t step, const char *result,
                   const char *unit, int pending)
{
    assert_int_equal(e->step, step);
    assert_string_equal(e->result, result);
    assert_string_equal(e->unit, unit);
    assert_string_equal(e->operator_id, "li4");
    assert_int_equal(e->pending, pending);
}

/* A page of one row for `asset`, read through `applied`. */
static void server_row(fx_t *fx, const char *asset, tt_assets_state_t st, const char *unit,
                       const tt_assets_entry_t *steps, size_t n, uint64_t applied,
                       uint64_t to, int last)
{
    tt_assets_page_t p;
    tt_assets_row_t r;

    memset(&p, 0, sizeof p);
    memset(&r, 0, sizeof r);
    snprintf(r.asset, sizeof r.asset, "%s", asset);
    r.state = st;
    snprintf(r.unit, sizeof r.unit, "%s", unit);
    if (n)
        memcpy(r.steps, steps, n * sizeof *steps);
    r.nsteps = n;
    p.since = tt_assetview_version(fx->av);
    p.to = to;
    p.applied = applied;
    p.last = last;
    p.count = 1;
    p.rows = &r;
    assert_int_equal(tt_assetview_apply(fx->av, &p), TT_OK);
}

static const tt_assets_entry_t APPRAISED[] = {
    {TT_ASSETS_APPRAISAL, "major", "A3", T0, "li4", 0},
    {TT_ASSETS_INTAKE, "", "A3", T0, "li4", 0},
};

static void test_register_start(void **state)
{
    fx_t *fx = *state;
    tt_assets_row_t r;

    assert_int_equal(tt_assetview_version(fx->av), 0);
    r = view(fx, "P-1");
    assert_int_equal(r.state, TT_ASSETS_IN_USE);
    assert_string_equal(r.unit, "A3");
    assert_int_equal(r.nsteps, 0);
    r = view(fx, "P-2");
    assert_int_equal(r.state, TT_ASSETS_REGISTERED);
    assert_string_equal(r.unit, "");
    assert_int_equal(tt_assetview_get(fx->av, "P-404", &r), TT_ERR_NOTFOUND);
}

static void test_own_steps_overlay(void **state)
{
    fx_t *fx = *state;
    tt_assets_row_t r;

    own(fx, "P-1", "appraisal", "major", "A3");   /* sent in by its unit */
    r = view(fx, "P-1");
    assert_int_equal(r.state, TT_ASSETS_IN_REPAIR);
    assert_string_equal(r.unit, "A3");
    assert_int_equal(r.nsteps, 2);
    expect(&r.steps[0], TT_ASSETS_APPRAISAL, "major", "A3", 1);
    expect(&r.steps[1], TT_ASSETS_INTAKE, "", "A3", 1);

    own(fx, "P-1", "selfcheck", "fail", "");
    own(fx, "P-1", "selfcheck", "pass", "");
    own(fx, "P-2", "appraisal", "minor", "");     /* another asset: not in P-1's view */
    r = view(fx, "P-1");
    assert_int_equal(r.state, TT_ASSETS_IN_STOCK);
    assert_int_equal(r.nsteps, 3);
    expect(&r.steps[0], TT_ASSETS_SELFCHECK, "pass", "A3", 1);
    expect(&r.steps[1], TT_ASSETS_SELFCHECK, "fail", "A3", 1);
    expect(&r.steps[2], TT_ASSETS_APPRAISAL, "major", "A3", 1);

    /* An issue before acceptance does not fit: the server will refuse it,
     * so the view does not show it as done. */
    own(fx, "P-1", "issue", "standby", "A4");
    r = view(fx, "P-1");
    assert_int_equal(r.state, TT_ASSETS_IN_STOCK);
    expect(&r.steps[0], TT_ASSETS_SELFCHECK, "pass", "A3", 1);

    r = view(fx, "P-2");
    assert_int_equal(r.state, TT_ASSETS_IN_REPAIR);
    assert_int_equal(r.nsteps, 1);
}

static void test_server_rows_and_applied(void **state)
{
    fx_t *fx = *state;
    tt_assets_row_t r;
    tt_assets_entry_t checked[3] = {
        {TT_ASSETS_SELFCHECK, "pass", "A3", T0 + 2, "li4", 0},
        {TT_ASSETS_SELFCHECK, "fail", "A3", T0 + 1, "li4", 0},
        {TT_ASSETS_APPRAISAL, "major", "A3", T0, "li4", 0},
    };

    own(fx, "P-1", "appraisal", "major", "A3");   /* seq 1 */
    own(fx, "P-1", "selfcheck", "fail", "");       /* seq 2 */
    own(fx, "P-1", "selfcheck", "pass", "");       /* seq 3 */
    /* The server's row includes this terminal's seq 1 only. */
    server_row(fx, "P-1", TT_ASSETS_IN_REPAIR, "A3", APPRAISED, 2, 1, 10, 1);
    r = view(fx, "P-1");
    assert_int_equal(r.state, TT_ASSETS_IN_STOCK);
    assert_int_equal(r.nsteps, 3);
    expect(&r.steps[0], TT_ASSETS_SELFCHECK, "pass", "A3", 1);
    expect(&r.steps[1], TT_ASSETS_SELFCHECK, "fail", "A3", 1);
    expect(&r.steps[2], TT_ASSETS_APPRAISAL, "major", "A3", 0);   /* the server's */
    assert_int_equal(tt_assetview_version(fx->av), 10);

    /* A row through seq 2 (the failed self-check): only seq 3 is laid on
     * it, so the failure is not counted twice. */
    {
        tt_assets_entry_t failed[3] = {
            {TT_ASSETS_SELFCHECK, "fail", "A3", T0 + 1, "li4", 0}, APPRAISED[0], APPRAISED[1]};
        server_row(fx, "P-1", TT_ASSETS_IN_REPAIR, "A3", failed, 3, 2, 11, 1);
    }
    r = view(fx, "P-1");
    assert_int_equal(r.state, TT_ASSETS_IN_STOCK);
    expect(&r.steps[0], TT_ASSETS_SELFCHECK, "pass", "A3", 1);
    expect(&r.steps[1], TT_ASSETS_SELFCHECK, "fail", "A3", 0);
    expect(&r.steps[2], TT_ASSETS_APPRAISAL, "major", "A3", 0);

    /* Then a row through seq 3: nothing counted twice, nothing pending. */
    server_row(fx, "P-1", TT_ASSETS_IN_STOCK, "A3", checked, 3, 3, 12, 1);
    r = view(fx, "P-1");
    assert_int_equal(r.state, TT_ASSETS_IN_STOCK);
    assert_int_equal(r.nsteps, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(r.steps[i].pending, 0);
    assert_int_equal(r.steps[0].at_ms, T0 + 2);

    /* The office accepted it meanwhile (another row, other documents). */
    checked[2] = checked[1];
    checked[1] = checked[0];
    checked[0] = (tt_assets_entry_t){TT_ASSETS_ACCEPTANCE, "pass", "A3", T0 + 9, "li4", 0};
    server_row(fx, "P-1", TT_ASSETS_ACCEPTED, "A3", checked, 3, 3, 13, 1);
    own(fx, "P-1", "issue", "standby", "A4");      /* seq 4, now it fits */
    r = view(fx, "P-1");
    assert_int_equal(r.state, TT_ASSETS_STANDBY);
    assert_string_equal(r.unit, "A4");
    expect(&r.steps[0], TT_ASSETS_ISSUE, "standby", "A4", 1);
    expect(&r.steps[1], TT_ASSETS_ACCEPTANCE, "pass", "A3", 0);
}

static void test_refused_own_step_left_out(void **state)
{
    fx_t *fx = *state;
    tt_event_rejection_t rej = {2, "P-2: it is not in repair (registered)"};
    tt_assets_row_t r;

    own(fx, "P-2", "appraisal", "minor", "");      /* seq 1 */
    own(fx, "P-2", "selfcheck", "pass", "");       /* seq 2: refused by the server */
    assert_int_equal(view(fx, "P-2").state, TT_ASSETS_IN_STOCK);
    assert_int_equal(tt_outbox_ack(fx->ob, 2, &rej, 1), TT_OK);
    r = view(fx, "P-2");
    assert_int_equal(r.state, TT_ASSETS_IN_REPAIR);
    assert_int_equal(r.nsteps, 1);
    expect(&r.steps[0], TT_ASSETS_APPRAISAL, "minor", "", 1);
}

static void test_version_and_restart(void **state)
{
    fx_t *fx = *state;
    tt_assets_row_t r;

    server_row(fx, "P-2", TT_ASSETS_IN_REPAIR, "", APPRAISED, 1, 0, 7, 0);   /* more to come */
    assert_int_equal(tt_assetview_version(fx->av), 0);
    server_row(fx, "P-1", TT_ASSETS_IN_REPAIR, "A3", APPRAISED, 2, 0, 9, 1);
    assert_int_equal(tt_assetview_version(fx->av), 9);
    close_all(fx);
    open_all(fx);
    assert_int_equal(tt_assetview_version(fx->av), 9);
    r = view(fx, "P-2");
    assert_int_equal(r.state, TT_ASSETS_IN_REPAIR);
    assert_int_equal(r.nsteps, 1);
    r = view(fx, "P-1");
    assert_int_equal(r.nsteps, 2);
    expect(&r.steps[1], TT_ASSETS_INTAKE, "", "A3", 0);
    /* A server older than this copy answers from 0: its version is taken. */
    server_row(fx, "P-1", TT_ASSETS_IN_USE, "A3", NULL, 0, 0, 2, 1);
    assert_int_equal(tt_assetview_version(fx->av), 2);
    assert_int_equal(view(fx, "P-1").state, TT_ASSETS_IN_USE);
}

/* --- the counter's view at the repair bay ------------------------------------ */

static tt_err_t lk_item(void *ctx, const char *code, tt_master_item_t *out)
{
    return tt_outbox_item(((fx_t *)ctx)->ob, code, out);
}
static tt_err_t lk_operator(void *ctx, const char *key, tt_master_operator_t *out)
{
    return tt_outbox_operator(((fx_t *)ctx)->ob, key, out);
}
static tt_err_t lk_warehouse(void *ctx, const char *id, tt_master_warehouse_t *out)
{
    return tt_outbox_warehouse(((fx_t *)ctx)->ob, id, out);
}
static tt_err_t lk_unit(void *ctx, const char *id, tt_master_unit_t *out)
{
    return tt_outbox_unit(((fx_t *)ctx)->ob, id, out);
}
static tt_err_t lk_plan(void *ctx, const char *serial, tt_master_plan_t *out)
{
    return tt_outbox_plan(((fx_t *)ctx)->ob, serial, out);
}
static tt_err_t lk_equipment(void *ctx, const char *key, int by_giai, tt_master_equipment_t *out)
{
    return tt_outbox_equipment(((fx_t *)ctx)->ob, key, by_giai, out);
}
static tt_err_t lk_asset(void *ctx, const char *asset, tt_assets_row_t *out)
{
    return tt_assetview_get(((fx_t *)ctx)->av, asset, out);
}

static tt_counter_t *counter(fx_t *fx, int lang)
{
    tt_counter_lookup_t lk = {fx,     lk_item, lk_operator,  lk_warehouse, lk_unit,
                              NULL,   lk_plan, lk_equipment, lk_asset};
    tt_counter_t *c = NULL;
    assert_int_equal(tt_counter_new("", (tt_counter_lang_t)lang, &c), TT_OK);
    tt_counter_set_lookup(c, &lk);
    return c;
}

static void scan(tt_counter_t *c, const char *code, tt_counter_beep_t want, const char *word)
{
    tt_counter_beep_t b = tt_counter_scan(c, code);
    const tt_counter_view_t *v = tt_counter_view(c);
    if (b != want || !strstr(v->message, word))
        fail_msg("scan '%s': beep %d message '%s', want beep %d with '%s'", code, (int)b,
                 v->message, (int)want, word);
}

/* Stores what the counter committed, as the firmware does. */
static void store(fx_t *fx, tt_counter_t *c)
{
    tt_event_t evs[TT_COUNTER_LINES_MAX];
    size_t n = 0;
    assert_int_equal(tt_counter_pending(c, T0 + 5, evs, &n), TT_OK);
    assert_int_equal(tt_outbox_append_many(fx->ob, evs, n), TT_OK);
    assert_int_equal(tt_counter_stored(c, TT_OK, evs[0].seq), TT_COUNTER_BEEP_OK);
}

static void test_counter_shows_state_before_acting(void **state)
{
    fx_t *fx = *state;
    tt_counter_t *c = counter(fx, TT_COUNTER_LANG_ZH);
    const tt_counter_view_t *v = tt_counter_view(c);

    scan(c, "B0002", TT_COUNTER_BEEP_OK, "li4");
    scan(c, "TT:MODE:appraisal", TT_COUNTER_BEEP_OK, "鉴定");
    assert_false(v->asset.shown);
    /* Scanned before the result card: shown, not taken. */
    scan(c, "P-1", TT_COUNTER_BEEP_OK, "设备 P-1 乳化液泵：在用（A3）；请先扫结果卡");
    assert_true(v->asset.shown);
    assert_true(v->asset.known);
    assert_string_equal(v->asset.row.asset, "P-1");
    assert_string_equal(v->asset.model, "乳化液泵");
    assert_int_equal(v->asset.row.state, TT_ASSETS_IN_USE);
    assert_int_equal(v->nlines, 0);

    /* No sending unit for an asset in use at A3: taken, with the warning. */
    scan(c, "TT:RES:major", TT_COUNTER_BEEP_OK, "major");
    scan(c, "P-1", TT_COUNTER_BEEP_ERROR, "第 1 行：设备 P-1 乳化液泵 major（注意：该设备在 A3 在用，未交修");
    assert_int_equal(v->nlines, 1);
    scan(c, "TT:UNDO", TT_COUNTER_BEEP_OK, "撤销");
    /* Named as sent in by A3: it fits. */
    scan(c, "TT:UNIT:A3", TT_COUNTER_BEEP_OK, "送修单位 A3");
    scan(c, "P-1", TT_COUNTER_BEEP_OK, "第 1 行：设备 P-1 乳化液泵 major");
    /* The same asset twice in one document: the second appraisal sees the
     * first (in repair already). */
    scan(c, "P-1", TT_COUNTER_BEEP_ERROR, "已在修");
    scan(c, "TT:UNDO", TT_COUNTER_BEEP_OK, "撤销");
    scan(c, "TT:COMMIT", TT_COUNTER_BEEP_OK, "1");
    store(fx, c);
    /* The screen shows the state after the step just stored. */
    assert_true(v->asset.shown);
    assert_int_equal(v->asset.row.state, TT_ASSETS_IN_REPAIR);
    assert_int_equal(v->asset.row.nsteps, 2);
    expect(&v->asset.row.steps[0], TT_ASSETS_APPRAISAL, "major", "A3", 1);
    expect(&v->asset.row.steps[1], TT_ASSETS_INTAKE, "", "A3", 1);

    /* A self-check of an asset not in repair: warned, in English too. */
    tt_counter_free(c);
    c = counter(fx, TT_COUNTER_LANG_EN);
    v = tt_counter_view(c);
    scan(c, "TT:OP:li4", TT_COUNTER_BEEP_OK, "li4");
    scan(c, "TT:MODE:selfcheck", TT_COUNTER_BEEP_OK, "SELF-CHECK");
    scan(c, "P-2", TT_COUNTER_BEEP_OK, "asset P-2 采煤机: registered; scan the result card");
    scan(c, "TT:RES:pass", TT_COUNTER_BEEP_OK, "pass");
    scan(c, "P-2", TT_COUNTER_BEEP_ERROR, "warning: it is not in repair (registered)");
    scan(c, "P-1", TT_COUNTER_BEEP_OK, "line 2: asset P-1");
    assert_int_equal(v->asset.row.state, TT_ASSETS_IN_REPAIR);   /* before this document */
    scan(c, "P-9", TT_COUNTER_BEEP_ERROR, "no longer in use");
    assert_string_equal(v->asset.row.asset, "P-1");                /* a refused scan shows none */
    /* A new mode clears the panel. */
    scan(c, "TT:MODE:acceptance", TT_COUNTER_BEEP_OK, "ACCEPTANCE");
    assert_false(v->asset.shown);
    tt_counter_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_steps_overlay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_rows_and_applied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_own_step_left_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_and_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counter_shows_state_before_acting, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
