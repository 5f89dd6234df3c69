/*
 * Fuzzes the workflow definition loader (server/wfdef.h) and with it the
 * YAML reader, the condition language and the date rules, and the
 * calendar loader (server/calendar.h) on the same input.  Definitions come
 * over HTTP from the office.  Invariants: a refusal is TT_ERR_PARSE with a
 * terminated "f.yaml:" message; a definition that loads has a valid start,
 * every step reference points at a step, every join belongs to a parallel
 * whose branch count covers its need; a calendar that loads answers
 * working-day questions without running away.
 */
#include "fuzz.h"

#include "calendar.h"
#include "wfdef.h"

static int any_role(void *ctx, const char *role)
{
    (void)ctx;
    return role[0] != 'x';   /* some roles exist, some do not */
}

static int one_calendar(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "cn-2026") == 0;
}

static int one_hook(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "plan.approve") == 0;
}

static int valid_step(const tt_wfdef_t *d, int i)
{
    return i >= 0 && (size_t)i < d->nsteps;
}

static void check_def(const tt_wfdef_t *d)
{
    FUZZ_CHECK(valid_step(d, d->start));
    for (size_t i = 0; i < d->nsteps; i++) {
        const tt_wfdef_step_t *s = &d->steps[i];
        for (size_t a = 0; a < s->nactions; a++)
            FUZZ_CHECK(valid_step(d, s->actions[a].target));
        for (size_t b = 0; b < s->nbranches; b++)
            FUZZ_CHECK(valid_step(d, s->branches[b].target));
        for (size_t f = 0; f < s->nforks; f++)
            FUZZ_CHECK(valid_step(d, s->forks[f]));
        if (s->kind == TT_WFSTEP_AUTO || s->kind == TT_WFSTEP_JOIN || s->kind == TT_WFSTEP_WAIT)
            FUZZ_CHECK(valid_step(d, s->next));
        if (s->kind == TT_WFSTEP_JOIN) {
            FUZZ_CHECK(valid_step(d, s->parallel));
            FUZZ_CHECK(s->need >= 1 && (size_t)s->need <= d->steps[s->parallel].nforks);
        }
        if (s->kind == TT_WFSTEP_END)
            FUZZ_CHECK(s->outcome && s->outcome[0]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const tt_wfdef_env_t env = {any_role, one_calendar, one_hook, NULL};
    tt_wfdef_t *def = NULL;
    tt_cal_t *cal = NULL;
    char err[TT_WFDEF_ERR_MAX];
    tt_err_t rc;

    rc = tt_wfdef_load("f.yaml", (const char *)data, size, &env, &def, err, sizeof err);
    if (rc == TT_OK) {
        check_def(def);
        tt_wfdef_free(def);
    } else {
        FUZZ_CHECK(rc == TT_ERR_PARSE && !def);
        FUZZ_CHECK(fuzz_terminated(err, sizeof err) && strncmp(err, "f.yaml:", 7) == 0);
    }
    rc = tt_cal_load("f.yaml", (const char *)data, size, &cal, err, sizeof err);
    if (rc == TT_OK) {
        tt_day_t day = tt_cal_day(2026, 1, 1), out;
        FUZZ_CHECK(tt_cal_add_workdays(cal, day, 30, &out) != TT_OK || out > day);
        tt_cal_free(cal);
    } else {
        FUZZ_CHECK(rc == TT_ERR_PARSE && !cal);
        FUZZ_CHECK(fuzz_terminated(err, sizeof err) && strncmp(err, "f.yaml:", 7) == 0);
    }
    return 0;
}
