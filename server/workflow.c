#include "workflow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Automatic steps one operation may pass through: more is a loop of
 * choices and hooks that never stops at a person. */
#define AUTO_BUDGET 1000

/* --- instances -------------------------------------------------------------------------- */

tt_wf_inst_t *tt_workflow_inst_new(const tt_wfdef_t *def, int version)
{
    tt_wf_inst_t *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    in->vals = calloc(def->nvars ? def->nvars : 1, sizeof *in->vals);
    if (!in->vals) {
        free(in);
        return NULL;
    }
    in->nvals = def->nvars;
    snprintf(in->def, sizeof in->def, "%s", def->name);
    in->version = version;
    return in;
}

static void free_events(tt_wf_inst_t *in)
{
    for (size_t i = 0; i < in->nevents; i++) {
        free(in->events[i].vars);
        free(in->events[i].docs);
        free(in->events[i].note);
    }
    free(in->events);
    in->events = NULL;
    in->nevents = 0;
}

void tt_workflow_inst_free(tt_wf_inst_t *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->nvals; i++)
        free(in->vals[i].s);
    free(in->vals);
    for (size_t i = 0; i < in->ndocs; i++)
        free(in->docs[i]);
    free(in->docs);
    free(in->tokens);
    free_events(in);
    free(in->pending);
    free(in);
}

void tt_workflow_inst_saved(tt_wf_inst_t *in)
{
    free_events(in);
    for (size_t i = 0; i < in->ntokens; i++)
        in->tokens[i].dirty = 0;
}

static tt_wf_token_t *push_token(tt_wf_inst_t *in)
{
    if (in->ntokens == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 8;
        tt_wf_token_t *grown = realloc(in->tokens, cap * sizeof *grown);
        if (!grown)
            return NULL;
        in->tokens = grown;
        in->cap = cap;
    }
    memset(&in->tokens[in->ntokens], 0, sizeof in->tokens[0]);
    return &in->tokens[in->ntokens++];
}

tt_err_t tt_workflow_inst_add_token(tt_wf_inst_t *in, const tt_wf_token_t *tok)
{
    tt_wf_token_t *t = push_token(in);
    if (!t)
        return TT_ERR_NOMEM;
    *t = *tok;
    t->dirty = 0;
    return TT_OK;
}

static int has_doc(const tt_wf_inst_t *in, const char *name)
{
    for (size_t i = 0; i < in->ndocs; i++)
        if (strcmp(in->docs[i], name) == 0)
            return 1;
    return 0;
}

tt_err_t tt_workflow_inst_add_doc(tt_wf_inst_t *in, const char *name)
{
    char **grown;
    if (has_doc(in, name))
        return TT_OK;
    grown = realloc(in->docs, (in->ndocs + 1) * sizeof *grown);
    if (!grown)
        return TT_ERR_NOMEM;
    in->docs = grown;
    in->docs[in->ndocs] = strdup(name);
    if (!in->docs[in->ndocs])
        return TT_ERR_NOMEM;
    in->ndocs++;
    return TT_OK;
}

tt_wf_token_t *tt_workflow_token(tt_wf_inst_t *in, int64_t id)
{
    for (size_t i = 0; i < in->ntokens; i++)
        if (in->tokens[i].id == id)
            return &in->tokens[i];
    return NULL;
}

tt_err_t tt_workflow_get(const tt_wfdef_t *def, const tt_wf_inst_t *in, const char *name,
                         tt_wfv_t *out)
{
    int k = tt_wfdef_var(def, name);
    if (k < 0 || (size_t)k >= in->nvals || in->vals[k].type == TT_WFV_NONE)
        return TT_ERR_NOTFOUND;
    out->type = in->vals[k].type;
    out->i = in->vals[k].i;
    out->s = in->vals[k].s;
    return TT_OK;
}

/* Appends text to a growing string; returns 0 when out of memory. */
static int append(char **buf, const char *text)
{
    size_t have = *buf ? strlen(*buf) : 0, add = strlen(text);
    char *grown = realloc(*buf, have + add + 1);
    if (!grown)
        return 0;
    memcpy(grown + have, text, add + 1);
    *buf = grown;
    return 1;
}

/* Appends s as a JSON string. */
static int append_json_str(char **buf, const char *s)
{
    char esc[8];
    int ok = append(buf, "\"");
    for (; ok && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            esc[2] = '\0';
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
        } else {
            esc[0] = (char)c;
            esc[1] = '\0';
        }
        ok = append(buf, esc);
    }
    return ok && append(buf, "\"");
}

tt_err_t tt_workflow_set(const tt_wfdef_t *def, tt_wf_inst_t *in, const char *name,
                         const tt_wfv_t *v, int log)
{
    int k = tt_wfdef_var(def, name);
    tt_wf_value_t *val;
    char *copy = NULL, num[32];
    if (k < 0 || (size_t)k >= in->nvals)
        return TT_ERR_NOTFOUND;
    if (v->type != def->vars[k].type)
        return TT_ERR_INVAL;
    if ((v->type == TT_WFV_STR || v->type == TT_WFV_JSON) && !(copy = strdup(v->s)))
        return TT_ERR_NOMEM;
    val = &in->vals[k];
    free(val->s);
    val->type = v->type;
    val->i = v->i;
    val->s = copy;
    if (!log)
        return TT_OK;
    if (!append(&in->pending, in->pending ? "," : "{") || !append_json_str(&in->pending, name) ||
        !append(&in->pending, ":"))
        return TT_ERR_NOMEM;
    switch (v->type) {
    case TT_WFV_INT: snprintf(num, sizeof num, "%lld", (long long)v->i); break;
    case TT_WFV_BOOL: snprintf(num, sizeof num, "%s", v->i ? "true" : "false"); break;
    default: num[0] = '\0';
    }
    if (v->type == TT_WFV_STR ? !append_json_str(&in->pending, v->s)
                              : !append(&in->pending, v->type == TT_WFV_JSON ? v->s : num))
        return TT_ERR_NOMEM;
    return TT_OK;
}

/* --- running ---------------------------------------------------------------------------- */

typedef struct {
    const tt_wf_env_t *env;
    const tt_wfdef_t *def;
    tt_wf_inst_t *in;
    const tt_wf_actor_t *actor;   /* NULL for what the system does */
    char *reason;
    size_t rlen;
    int budget;
} run_t;

static tt_err_t failr(run_t *r, tt_err_t rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static tt_err_t failr(run_t *r, tt_err_t rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, r->rlen, fmt, ap);
    va_end(ap);
    return rc;
}

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* Logs an event; the variables changed since the last one go with it.
 * `human`: done by the actor rather than by the system. */
static tt_err_t emit(run_t *r, const char *kind, const tt_wf_token_t *tok, int human,
                     const char *action, int from, int to, char *docs, const char *note)
{
    tt_wf_inst_t *in = r->in;
    tt_wf_event_t *grown = realloc(in->events, (in->nevents + 1) * sizeof *grown), *e;
    if (!grown) {
        free(docs);
        return TT_ERR_NOMEM;
    }
    in->events = grown;
    e = &in->events[in->nevents];
    memset(e, 0, sizeof *e);
    e->seq = ++in->seq;
    e->at_ms = r->env->now_ms;
    copy(e->kind, sizeof e->kind, kind);
    e->token = tok ? tok->id : 0;
    if (human && r->actor) {
        copy(e->user, sizeof e->user, r->actor->user);
        copy(e->role, sizeof e->role, r->actor->role);
        copy(e->unit, sizeof e->unit, r->actor->unit);
        copy(e->origin, sizeof e->origin, r->actor->origin);
    } else {
        copy(e->origin, sizeof e->origin, "system");
    }
    copy(e->action, sizeof e->action, action);
    copy(e->from, sizeof e->from, from >= 0 ? r->def->steps[from].name : "");
    copy(e->to, sizeof e->to, to >= 0 ? r->def->steps[to].name : "");
    if (in->pending && !append(&in->pending, "}")) {
        free(docs);
        return TT_ERR_NOMEM;
    }
    e->vars = in->pending;
    in->pending = NULL;
    e->docs = docs;
    in->nevents++;   /* owned by the instance from here, whatever follows */
    if (note && !(e->note = strdup(note)))
        return TT_ERR_NOMEM;
    return TT_OK;
}

static tt_err_t apply_sets(run_t *r, const tt_wfdef_set_t *sets, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tt_wfv_t v = {sets[i].type, sets[i].i, sets[i].str};
        tt_err_t rc = tt_workflow_set(r->def, r->in, r->def->vars[sets[i].var].name, &v, 1);
        if (rc != TT_OK)
            return rc;
    }
    return TT_OK;
}

static int value_of(void *ctx, const char *name, tt_wfv_t *out)
{
    run_t *r = ctx;
    return tt_workflow_get(r->def, r->in, name, out) == TT_OK;
}

static tt_err_t test(run_t *r, const tt_wfexpr_t *e, const char *where, int *result)
{
    char why[TT_WORKFLOW_REASON_MAX];
    tt_err_t rc = tt_wfexpr_eval(e, value_of, r, result, why, sizeof why);
    if (rc != TT_OK)
        return failr(r, TT_ERR_INVAL, "%s: %s", where, why);
    return TT_OK;
}

static tt_err_t day_rule(run_t *r, const tt_cal_rule_t *rule, tt_day_t from, tt_day_t *out)
{
    if (tt_cal_rule_apply(r->env->cal, rule, from, out) != TT_OK)
        return failr(r, TT_ERR_RANGE, "no working day within ten years in calendar %s",
                     tt_cal_name(r->env->cal));
    return TT_OK;
}

static tt_wf_token_t *new_token(run_t *r, int step, int64_t fork)
{
    tt_wf_token_t *t = push_token(r->in);
    int64_t id = 0;
    if (!t)
        return NULL;
    for (size_t i = 0; i + 1 < r->in->ntokens; i++)
        id = r->in->tokens[i].id > id ? r->in->tokens[i].id : id;
    t->id = id + 1;
    t->step = step;
    t->state = TT_WORKFLOW_ACTIVE;
    t->fork = fork;
    t->activated_ms = r->env->now_ms;
    t->dirty = 1;
    return t;
}

static void finish(run_t *r, tt_wf_token_t *t, tt_wf_token_state_t state)
{
    t->state = state;
    t->done_ms = r->env->now_ms;
    t->remind_ms = t->escalate_ms = t->wait_ms = 0;
    t->dirty = 1;
}

/* 1 when token t lies inside the branches of parallel token `fork`. */
static int inside(tt_wf_inst_t *in, const tt_wf_token_t *t, int64_t fork)
{
    for (int depth = 0; t && t->fork && depth < 1000; depth++) {
        if (t->fork == fork)
            return 1;
        t = tt_workflow_token(in, t->fork);
    }
    return 0;
}

static tt_err_t enter(run_t *r, int step, int64_t fork);

static tt_err_t run_hook(run_t *r, tt_wf_token_t *t, const tt_wfdef_step_t *s)
{
    tt_wfhook_fn fn;
    void *ctx;
    char why[TT_WORKFLOW_REASON_MAX] = "";
    tt_err_t rc;
    int to;

    if (!tt_wfhooks_find(r->env->hooks, s->hook, &fn, &ctx))
        return failr(r, TT_ERR_NOTFOUND, "hook '%s' is not registered", s->hook);
    rc = fn(ctx, r->def, r->in, why, sizeof why);
    if (rc == TT_ERR_NOMEM)
        return rc;
    if (rc != TT_OK && s->on_error < 0)
        return failr(r, rc, "step %s: %s", s->name, why[0] ? why : tt_strerror(rc));
    to = rc == TT_OK ? s->next : s->on_error;
    finish(r, t, TT_WORKFLOW_DONE);
    copy(t->action, sizeof t->action, r->def->steps[to].name);
    rc = emit(r, "auto", t, 0, s->hook, t->step, to, NULL, why[0] ? why : NULL);
    return rc == TT_OK ? enter(r, to, t->fork) : rc;
}

/* A join reached by a branch of parallel token `fork`. */
static tt_err_t arrive(run_t *r, int step, int64_t fork)
{
    const tt_wfdef_step_t *s = &r->def->steps[step];
    tt_wf_token_t *j = NULL, *p = tt_workflow_token(r->in, fork);
    int64_t jid, outer;
    tt_err_t rc;

    if (!p || p->step != s->parallel)
        return failr(r, TT_ERR_INVAL, "join %s reached outside the branches of %s", s->name,
                     r->def->steps[s->parallel].name);
    outer = p->fork;   /* before adding tokens moves p */
    for (size_t i = 0; i < r->in->ntokens; i++)
        if (r->in->tokens[i].step == step && r->in->tokens[i].fork == fork)
            j = &r->in->tokens[i];
    if (j && j->state != TT_WORKFLOW_ACTIVE)
        return TT_OK;   /* the join has fired; a late branch has nothing to add */
    if (!j && !(j = new_token(r, step, fork)))
        return TT_ERR_NOMEM;
    j->arrived++;
    j->dirty = 1;
    if (j->arrived < s->need)
        return TT_OK;
    finish(r, j, TT_WORKFLOW_DONE);
    jid = j->id;
    /* The branches not needed any more (any, N of M) stop here. */
    for (size_t i = 0; i < r->in->ntokens; i++) {
        tt_wf_token_t *t = &r->in->tokens[i];
        if (t->state == TT_WORKFLOW_ACTIVE && t->id != jid && inside(r->in, t, fork)) {
            finish(r, t, TT_WORKFLOW_CANCELLED);
            rc = emit(r, "cancel", t, 0, "", t->step, -1, NULL, "not needed: the join fired");
            if (rc != TT_OK)
                return rc;
        }
    }
    rc = emit(r, "join", tt_workflow_token(r->in, jid), 0, "", step, s->next, NULL, NULL);
    return rc == TT_OK ? enter(r, s->next, outer) : rc;
}

/* Sets a task's deadlines and first timers from today. */
static tt_err_t schedule(run_t *r, tt_wf_token_t *t, const tt_wfdef_step_t *s)
{
    tt_day_t today = tt_cal_day_of_ms(r->env->now_ms), day;
    tt_err_t rc = TT_OK;
    if (s->has_not_before && (rc = day_rule(r, &s->not_before, today, &day)) == TT_OK)
        t->not_before_ms = tt_cal_ms_of_day(day);
    if (rc == TT_OK && s->has_due && (rc = day_rule(r, &s->due, today, &day)) == TT_OK) {
        t->due_ms = tt_cal_ms_of_day(day + 1);   /* the end of the due day */
        t->remind_ms = t->due_ms;
        if (s->has_escalate && (rc = day_rule(r, &s->escalate_after, day, &day)) == TT_OK)
            t->escalate_ms = tt_cal_ms_of_day(day + 1);
    }
    return rc;
}

static tt_err_t enter(run_t *r, int step, int64_t fork)
{
    const tt_wfdef_step_t *s = &r->def->steps[step];
    tt_wf_token_t *t;
    tt_err_t rc;
    int taken = -1;
    int64_t end_id;

    if (r->in->outcome[0])
        return TT_OK;   /* ended by another branch in this same operation */
    if (--r->budget < 0)
        return failr(r, TT_ERR_INVAL, "more than %d automatic steps without a task or a wait:"
                                      " the definition loops", AUTO_BUDGET);
    rc = apply_sets(r, s->sets, s->nsets);
    if (rc != TT_OK)
        return rc;
    if (s->kind == TT_WFSTEP_JOIN)
        return arrive(r, step, fork);
    t = new_token(r, step, fork);
    if (!t)
        return TT_ERR_NOMEM;
    switch (s->kind) {
    case TT_WFSTEP_TASK:
        return schedule(r, t, s);
    case TT_WFSTEP_WAIT:
        if (s->has_until) {
            tt_day_t day;
            rc = day_rule(r, &s->until, tt_cal_day_of_ms(r->env->now_ms), &day);
            if (rc == TT_OK)
                t->wait_ms = tt_cal_ms_of_day(day);
            if (rc == TT_OK && t->wait_ms <= r->env->now_ms) {
                int64_t id = t->id;
                finish(r, t, TT_WORKFLOW_DONE);
                rc = emit(r, "timer", tt_workflow_token(r->in, id), 0, "", step, s->next, NULL,
                          NULL);
                return rc == TT_OK ? enter(r, s->next, fork) : rc;
            }
        }
        return rc;
    case TT_WFSTEP_AUTO:
        return run_hook(r, t, s);
    case TT_WFSTEP_CHOICE:
        for (size_t i = 0; taken < 0 && i < s->nbranches; i++) {
            int yes = 1;
            if (s->branches[i].when) {
                rc = test(r, s->branches[i].when, s->name, &yes);
                if (rc != TT_OK)
                    return rc;
            }
            if (yes)
                taken = s->branches[i].target;
        }
        finish(r, t, TT_WORKFLOW_DONE);
        /* The branch taken, for the metrics' branch frequencies. */
        copy(t->action, sizeof t->action, r->def->steps[taken].name);
        rc = emit(r, "choice", t, 0, "", step, taken, NULL, NULL);
        return rc == TT_OK ? enter(r, taken, fork) : rc;
    case TT_WFSTEP_PARALLEL: {
        int64_t id = t->id;
        finish(r, t, TT_WORKFLOW_DONE);
        rc = emit(r, "fork", t, 0, "", step, s->join, NULL, NULL);
        for (size_t i = 0; rc == TT_OK && i < s->nforks; i++)
            rc = enter(r, s->forks[i], id);
        return rc;
    }
    case TT_WFSTEP_END:
        end_id = t->id;
        finish(r, t, TT_WORKFLOW_DONE);
        copy(r->in->outcome, sizeof r->in->outcome, s->outcome);
        r->in->ended_ms = r->env->now_ms;
        for (size_t i = 0; i < r->in->ntokens; i++) {
            tt_wf_token_t *o = &r->in->tokens[i];
            if (o->state == TT_WORKFLOW_ACTIVE) {
                finish(r, o, TT_WORKFLOW_CANCELLED);
                rc = emit(r, "cancel", o, 0, "", o->step, -1, NULL, "the instance ended");
                if (rc != TT_OK)
                    return rc;
            }
        }
        return emit(r, "end", tt_workflow_token(r->in, end_id), 0, "", step, -1, NULL, s->outcome);
    case TT_WFSTEP_JOIN:
        break;
    }
    return TT_OK;
}

/* Sets inputs; `allowed` (may be NULL: any declared variable) lists the
 * variable indexes permitted. */
static tt_err_t set_inputs(run_t *r, const tt_wf_input_t *in, size_t n, const int *allowed,
                           size_t nallowed, const char *who)
{
    for (size_t i = 0; i < n; i++) {
        int k = tt_wfdef_var(r->def, in[i].name), ok = allowed == NULL;
        tt_err_t rc;
        for (size_t a = 0; !ok && a < nallowed; a++)
            ok = allowed[a] == k;
        if (k < 0)
            return failr(r, TT_ERR_INVAL, "no variable '%s' in %s", in[i].name, r->def->name);
        if (!ok)
            return failr(r, TT_ERR_INVAL, "%s does not take '%s'", who, in[i].name);
        rc = tt_workflow_set(r->def, r->in, in[i].name, &in[i].value, 1);
        if (rc == TT_ERR_INVAL)
            return failr(r, rc, "'%s' is %s, not %s", in[i].name,
                         tt_wfv_type_name(r->def->vars[k].type),
                         tt_wfv_type_name(in[i].value.type));
        if (rc != TT_OK)
            return rc;
    }
    return TT_OK;
}

static void begin(run_t *r, const tt_wf_env_t *env, tt_wf_inst_t *in, const tt_wf_actor_t *actor,
                  char *reason, size_t rlen)
{
    r->env = env;
    r->def = env->def;
    r->in = in;
    r->actor = actor;
    r->reason = reason;
    r->rlen = rlen;
    r->budget = AUTO_BUDGET;
    if (rlen)
        reason[0] = '\0';
}

tt_err_t tt_workflow_start(const tt_wf_env_t *env, tt_wf_inst_t *in, const tt_wf_actor_t *actor,
                           const tt_wf_input_t *inputs, size_t nin, char *reason, size_t rlen)
{
    run_t r;
    tt_err_t rc;
    begin(&r, env, in, actor, reason, rlen);
    copy(in->started_by, sizeof in->started_by, actor->user);
    copy(in->unit, sizeof in->unit, actor->unit);
    in->started_ms = env->now_ms;
    rc = set_inputs(&r, inputs, nin, NULL, 0, "starting");
    if (rc == TT_OK)
        rc = emit(&r, "start", NULL, 1, "", -1, env->def->start, NULL, NULL);
    return rc == TT_OK ? enter(&r, env->def->start, 0) : rc;
}

int tt_workflow_may_act(const tt_wfdef_t *def, const tt_wf_token_t *tok, const tt_wf_actor_t *a)
{
    const tt_wfdef_step_t *s = &def->steps[tok->step];
    if (s->kind != TT_WFSTEP_TASK || tok->state != TT_WORKFLOW_ACTIVE)
        return 0;
    if (s->role && a->role && strcmp(s->role, a->role) == 0)
        return 1;
    if (tok->escalated && a->role && strcmp(s->escalate_to, a->role) == 0)
        return 1;
    for (size_t i = 0; i < s->nusers; i++)
        if (a->user && strcmp(s->users[i], a->user) == 0)
            return 1;
    return 0;
}

/* The checks every person's operation on task `id` shares. */
static tt_err_t task_for(run_t *r, int64_t id, tt_wf_token_t **out)
{
    tt_wf_token_t *t = tt_workflow_token(r->in, id);
    const tt_wfdef_step_t *s;
    if (!t || r->def->steps[t->step].kind != TT_WFSTEP_TASK)
        return failr(r, TT_ERR_NOTFOUND, "instance %lld has no task %lld", (long long)r->in->id,
                     (long long)id);
    s = &r->def->steps[t->step];
    if (r->in->outcome[0])
        return failr(r, TT_ERR_CONFLICT, "the instance has ended: %s", r->in->outcome);
    if (t->state != TT_WORKFLOW_ACTIVE)
        return failr(r, TT_ERR_CONFLICT, "task %s was %s by %s (%s)", s->name,
                     t->state == TT_WORKFLOW_DONE ? "already done" : "cancelled",
                     t->done_by[0] ? t->done_by : "the system", t->action[0] ? t->action : "-");
    if (!tt_workflow_may_act(r->def, t, r->actor))
        return failr(r, TT_ERR_DENIED, "task %s is for %s%s", s->name,
                     s->role ? "role " : "named users", s->role ? s->role : "");
    if (t->claimed_by[0] && strcmp(t->claimed_by, r->actor->user) != 0)
        return failr(r, TT_ERR_CONFLICT, "task %s is claimed by %s", s->name, t->claimed_by);
    *out = t;
    return TT_OK;
}

tt_err_t tt_workflow_claim(const tt_wf_env_t *env, tt_wf_inst_t *in, int64_t id,
                           const tt_wf_actor_t *actor, char *reason, size_t rlen)
{
    run_t r;
    tt_wf_token_t *t;
    tt_err_t rc;
    begin(&r, env, in, actor, reason, rlen);
    rc = task_for(&r, id, &t);
    if (rc != TT_OK || t->claimed_by[0])
        return rc;
    copy(t->claimed_by, sizeof t->claimed_by, actor->user);
    t->claimed_ms = env->now_ms;
    t->dirty = 1;
    return emit(&r, "claim", t, 1, "claim", t->step, t->step, NULL, NULL);
}

/* Missing documents of the checklist, as "a, b" into buf; 0 when none. */
static tt_err_t missing_docs(run_t *r, const tt_wfdef_step_t *s, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->ndocs; i++) {
        int needed = 1;
        if (s->docs[i].when) {
            tt_err_t rc = test(r, s->docs[i].when, s->docs[i].name, &needed);
            if (rc != TT_OK)
                return rc;
        }
        if (needed && !has_doc(r->in, s->docs[i].name) && used < len) {
            int m = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", s->docs[i].name);
            used += m > 0 ? (size_t)m : 0;
        }
    }
    return TT_OK;
}

tt_err_t tt_workflow_act(const tt_wf_env_t *env, tt_wf_inst_t *in, int64_t id, const char *action,
                         const tt_wf_actor_t *actor, const tt_wf_input_t *inputs, size_t nin,
                         const char *const *docs, size_t ndocs, char *reason, size_t rlen)
{
    const tt_wfdef_step_t *s;
    const tt_wfdef_action_t *a = NULL;
    tt_wf_token_t *t;
    char *docs_json = NULL, missing[TT_WORKFLOW_REASON_MAX];
    int64_t tid;
    run_t r;
    tt_err_t rc;

    begin(&r, env, in, actor, reason, rlen);
    rc = task_for(&r, id, &t);
    if (rc != TT_OK)
        return rc;
    s = &env->def->steps[t->step];
    tid = t->id;
    for (size_t i = 0; i < s->nactions; i++)
        if (strcmp(s->actions[i].name, action) == 0)
            a = &s->actions[i];
    if (!a)
        return failr(&r, TT_ERR_INVAL, "task %s has no action '%s'", s->name, action);
    if (s->different_from >= 0) {
        /* The latest completion of the other step is the one to differ from. */
        const tt_wf_token_t *other = NULL;
        for (size_t i = 0; i < in->ntokens; i++)
            if (in->tokens[i].step == s->different_from && in->tokens[i].state == TT_WORKFLOW_DONE)
                other = &in->tokens[i];
        if (other && strcmp(other->done_by, actor->user) == 0)
            return failr(&r, TT_ERR_DENIED, "%s must be done by someone other than who did %s"
                         " (%s)", s->name, env->def->steps[s->different_from].name,
                         other->done_by);
    }
    if (t->not_before_ms && env->now_ms < t->not_before_ms) {
        char date[16];
        tt_cal_format_date(tt_cal_day_of_ms(t->not_before_ms), date, sizeof date);
        return failr(&r, TT_ERR_BUSY, "%s cannot be done before %s", s->name, date);
    }
    rc = set_inputs(&r, inputs, nin, s->inputs, s->ninputs, s->name);
    for (size_t i = 0; rc == TT_OK && i < ndocs; i++) {
        int listed = 0;
        for (size_t k = 0; k < s->ndocs; k++)
            listed |= strcmp(s->docs[k].name, docs[i]) == 0;
        if (!listed)
            return failr(&r, TT_ERR_INVAL, "'%s' is not on the checklist of %s", docs[i],
                         s->name);
        rc = tt_workflow_inst_add_doc(in, docs[i]);
        if (rc == TT_OK && !append(&docs_json, i ? "," : "["))
            rc = TT_ERR_NOMEM;
        if (rc == TT_OK && !append_json_str(&docs_json, docs[i]))
            rc = TT_ERR_NOMEM;
    }
    if (rc == TT_OK && docs_json && !append(&docs_json, "]"))
        rc = TT_ERR_NOMEM;
    if (rc == TT_OK && a->check_documents && (rc = missing_docs(&r, s, missing,
                                                                sizeof missing)) == TT_OK &&
        missing[0])
        rc = failr(&r, TT_ERR_INVAL, "documents missing for %s: %s", s->name, missing);
    if (rc == TT_OK)
        rc = apply_sets(&r, a->sets, a->nsets);
    if (rc != TT_OK) {
        free(docs_json);
        return rc;
    }
    t = tt_workflow_token(in, tid);
    finish(&r, t, TT_WORKFLOW_DONE);
    if (!t->claimed_ms)
        t->claimed_ms = env->now_ms;   /* unclaimed: all of its time was waiting */
    copy(t->done_by, sizeof t->done_by, actor->user);
    copy(t->done_role, sizeof t->done_role, actor->role);
    copy(t->done_unit, sizeof t->done_unit, actor->unit);
    copy(t->action, sizeof t->action, action);
    rc = emit(&r, "act", t, 1, action, t->step, a->target, docs_json, NULL);
    return rc == TT_OK ? enter(&r, a->target, t->fork) : rc;
}

tt_err_t tt_workflow_message(const tt_wf_env_t *env, tt_wf_inst_t *in, const char *name,
                             const tt_wf_actor_t *actor, const tt_wf_input_t *inputs, size_t nin,
                             char *reason, size_t rlen)
{
    tt_wf_token_t *t = NULL;
    run_t r;
    tt_err_t rc;

    begin(&r, env, in, actor, reason, rlen);
    if (in->outcome[0])
        return failr(&r, TT_ERR_CONFLICT, "the instance has ended: %s", in->outcome);
    for (size_t i = 0; !t && i < in->ntokens; i++) {
        const tt_wfdef_step_t *s = &env->def->steps[in->tokens[i].step];
        if (in->tokens[i].state == TT_WORKFLOW_ACTIVE && s->kind == TT_WFSTEP_WAIT && s->message &&
            strcmp(s->message, name) == 0)
            t = &in->tokens[i];
    }
    if (!t)
        return failr(&r, TT_ERR_NOTFOUND, "instance %lld waits for no message '%s'",
                     (long long)in->id, name);
    rc = set_inputs(&r, inputs, nin, NULL, 0, "a message");
    if (rc != TT_OK)
        return rc;
    finish(&r, t, TT_WORKFLOW_DONE);
    copy(t->done_by, sizeof t->done_by, actor->user);
    rc = emit(&r, "message", t, 1, name, t->step, env->def->steps[t->step].next, NULL, NULL);
    return rc == TT_OK ? enter(&r, env->def->steps[t->step].next, t->fork) : rc;
}

int64_t tt_workflow_token_timer(const tt_wf_token_t *t)
{
    int64_t m = 0;
    const int64_t v[3] = {t->remind_ms, t->escalate_ms, t->wait_ms};
    if (t->state != TT_WORKFLOW_ACTIVE)
        return 0;
    for (int i = 0; i < 3; i++)
        if (v[i] && (!m || v[i] < m))
            m = v[i];
    return m;
}

int64_t tt_workflow_next_timer(const tt_wf_inst_t *in)
{
    int64_t m = 0;
    for (size_t i = 0; i < in->ntokens; i++) {
        int64_t t = tt_workflow_token_timer(&in->tokens[i]);
        if (t && (!m || t < m))
            m = t;
    }
    return m;
}

tt_err_t tt_workflow_tick(const tt_wf_env_t *env, tt_wf_inst_t *in, char *reason, size_t rlen)
{
    run_t r;
    tt_err_t rc = TT_OK;
    begin(&r, env, in, NULL, reason, rlen);
    /* Tokens added while firing get their own timers, fired next tick. */
    for (size_t i = 0, n = in->ntokens; rc == TT_OK && i < n && !in->outcome[0]; i++) {
        tt_wf_token_t *t = &in->tokens[i];
        const tt_wfdef_step_t *s = &env->def->steps[t->step];
        int64_t id = t->id;
        char note[TT_WORKFLOW_REASON_MAX];
        if (!tt_workflow_token_timer(t) || tt_workflow_token_timer(t) > env->now_ms)
            continue;
        if (t->wait_ms) {
            finish(&r, t, TT_WORKFLOW_DONE);
            rc = emit(&r, "timer", t, 0, "", t->step, s->next, NULL, NULL);
            if (rc == TT_OK)
                rc = enter(&r, s->next, tt_workflow_token(in, id)->fork);
            continue;
        }
        if (t->escalate_ms && t->escalate_ms <= env->now_ms) {
            t->escalated = 1;
            t->escalate_ms = 0;
            t->dirty = 1;
            snprintf(note, sizeof note, "overdue: %s may act too", s->escalate_to);
            rc = emit(&r, "escalate", t, 0, "", t->step, t->step, NULL, note);
        }
        t = tt_workflow_token(in, id);
        if (rc == TT_OK && t->remind_ms && t->remind_ms <= env->now_ms) {
            tt_day_t next;
            t->reminders++;
            t->remind_ms = 0;
            t->dirty = 1;
            if (s->has_remind) {
                rc = day_rule(&r, &s->remind, tt_cal_day_of_ms(env->now_ms), &next);
                /* Overdue for long: the next reminder is never in the past. */
                if (rc == TT_OK)
                    t->remind_ms = tt_cal_ms_of_day(next);
            }
            snprintf(note, sizeof note, "overdue since the end of its due day (reminder %d)",
                     t->reminders);
            if (rc == TT_OK)
                rc = emit(&r, "remind", t, 0, "", t->step, t->step, NULL, note);
        }
    }
    return rc;
}
