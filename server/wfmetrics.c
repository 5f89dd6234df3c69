#include "wfmetrics.h"

#include <stdlib.h>
#include <string.h>

/* A growing list of durations in ms. */
typedef struct {
    int64_t *v;
    size_t n, cap;
} series_t;

typedef struct {
    char *key;             /* step, person or unit */
    char *kind;
    size_t visits, done, breaches, rework, started, ended;
    series_t wait, work;
    cJSON *actions;        /* {"approve": 3, ...} */
} row_t;

typedef struct {
    row_t *v;
    size_t n;
} table_t;

typedef struct {
    table_t steps, people, units;
    int64_t now_ms;
    int64_t last_instance;
    char **seen;           /* steps visited in the current instance */
    size_t nseen;
    int nomem;
} acc_t;

static int push(series_t *s, int64_t ms)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        int64_t *grown = realloc(s->v, cap * sizeof *grown);
        if (!grown)
            return 0;
        s->v = grown;
        s->cap = cap;
    }
    s->v[s->n++] = ms < 0 ? 0 : ms;
    return 1;
}

static row_t *row(acc_t *a, table_t *t, const char *key, const char *kind)
{
    row_t *grown;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].key, key) == 0)
            return &t->v[i];
    grown = realloc(t->v, (t->n + 1) * sizeof *grown);
    if (!grown) {
        a->nomem = 1;
        return NULL;
    }
    t->v = grown;
    memset(&t->v[t->n], 0, sizeof t->v[0]);
    t->v[t->n].key = strdup(key);
    t->v[t->n].kind = strdup(kind);
    t->v[t->n].actions = cJSON_CreateObject();
    if (!t->v[t->n].key || !t->v[t->n].kind || !t->v[t->n].actions) {
        free(t->v[t->n].key);
        free(t->v[t->n].kind);
        cJSON_Delete(t->v[t->n].actions);
        a->nomem = 1;
        return NULL;
    }
    return &t->v[t->n++];
}

static void free_table(table_t *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].key);
        free(t->v[i].kind);
        free(t->v[i].wait.v);
        free(t->v[i].work.v);
        cJSON_Delete(t->v[i].actions);
    }
    free(t->v);
}

static void count_action(acc_t *a, row_t *r, const char *action)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(r->actions, action);
    if (c)
        cJSON_SetNumberValue(c, c->valuedouble + 1);
    else if (!cJSON_AddNumberToObject(r->actions, action, 1))
        a->nomem = 1;
}

static int visit(void *ctx, const tt_wfstore_visit_t *v)
{
    acc_t *a = ctx;
    row_t *r;
    int again = 0;

    if (v->instance != a->last_instance) {
        for (size_t i = 0; i < a->nseen; i++)
            free(a->seen[i]);
        a->nseen = 0;
        a->last_instance = v->instance;
    }
    for (size_t i = 0; i < a->nseen; i++)
        again |= strcmp(a->seen[i], v->step) == 0;
    if (!again) {
        char **grown = realloc(a->seen, (a->nseen + 1) * sizeof *grown);
        if (!grown || !(grown[a->nseen] = strdup(v->step))) {
            a->seen = grown ? grown : a->seen;
            a->nomem = 1;
            return 1;
        }
        a->seen = grown;
        a->nseen++;
    }
    r = row(a, &a->steps, v->step, v->kind);
    if (!r)
        return 1;
    r->visits++;
    r->rework += again;
    if (v->action[0] && strcmp(v->state, "done") == 0)
        count_action(a, r, v->action);
    if (strcmp(v->kind, "task") != 0)
        return a->nomem;
    if (v->due_ms && ((v->done_ms && v->done_ms > v->due_ms) ||
                      (!v->done_ms && strcmp(v->state, "active") == 0 && a->now_ms > v->due_ms)))
        r->breaches++;
    if (strcmp(v->state, "done") == 0) {
        row_t *p, *u;
        r->done++;
        if (!push(&r->wait, v->claimed_ms - v->activated_ms) ||
            !push(&r->work, v->done_ms - v->claimed_ms))
            a->nomem = 1;
        p = row(a, &a->people, v->done_by, "person");
        u = row(a, &a->units, v->done_unit[0] ? v->done_unit : "-", "unit");
        if (p && u) {
            p->done++;
            u->done++;
            if (!push(&p->work, v->done_ms - v->claimed_ms) ||
                !push(&u->work, v->done_ms - v->claimed_ms))
                a->nomem = 1;
        }
    }
    return a->nomem;
}

static int instance(void *ctx, const tt_wfstore_inst_row_t *r)
{
    acc_t *a = ctx;
    row_t *u = row(a, &a->units, r->unit[0] ? r->unit : "-", "unit");
    if (!u)
        return 1;
    u->started++;
    u->ended += r->outcome[0] != '\0';
    return 0;
}

static int cmp_ms(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* Nearest-rank percentile p (1..100) of s, in whole seconds; null when empty. */
static cJSON *pct(series_t *s, size_t p)
{
    size_t rank;
    if (!s->n)
        return cJSON_CreateNull();
    qsort(s->v, s->n, sizeof *s->v, cmp_ms);
    rank = (s->n * p + 99) / 100;
    return cJSON_CreateNumber((double)(s->v[rank ? rank - 1 : 0] / 1000));
}

static int add(cJSON *o, const char *name, cJSON *v)
{
    return v && cJSON_AddItemToObject(o, name, v);
}

static cJSON *render(acc_t *a, table_t *t, int steps)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list && i < t->n; i++) {
        row_t *r = &t->v[i];
        cJSON *o = cJSON_CreateObject();
        int ok = o && cJSON_AddItemToArray(list, o);
        ok = ok && cJSON_AddStringToObject(o, steps ? "step" : t == &a->people ? "user" : "unit",
                                           r->key);
        if (steps) {
            ok = ok && cJSON_AddStringToObject(o, "kind", r->kind) &&
                 cJSON_AddNumberToObject(o, "visits", (double)r->visits) &&
                 cJSON_AddNumberToObject(o, "done", (double)r->done) &&
                 add(o, "waiting_p50_s", pct(&r->wait, 50)) &&
                 add(o, "waiting_p90_s", pct(&r->wait, 90)) &&
                 add(o, "working_p50_s", pct(&r->work, 50)) &&
                 add(o, "working_p90_s", pct(&r->work, 90)) &&
                 cJSON_AddNumberToObject(o, "deadline_breaches", (double)r->breaches) &&
                 cJSON_AddNumberToObject(o, "rework", (double)r->rework);
            if (ok) {
                cJSON_AddItemToObject(o, "taken", r->actions);
                r->actions = NULL;
            }
        } else {
            ok = ok && cJSON_AddNumberToObject(o, "tasks_done", (double)r->done) &&
                 add(o, "working_p50_s", pct(&r->work, 50));
            if (t == &a->units)
                ok = ok && cJSON_AddNumberToObject(o, "instances_started", (double)r->started) &&
                     cJSON_AddNumberToObject(o, "instances_ended", (double)r->ended);
        }
        if (!ok)
            a->nomem = 1;
    }
    if (!list)
        a->nomem = 1;
    return list;
}

tt_err_t tt_wfmetrics_build(tt_wfstore_t *store, const char *name, int64_t from_ms,
                            int64_t to_ms, int64_t now_ms, cJSON **out)
{
    acc_t a;
    cJSON *o;
    tt_err_t rc;

    *out = NULL;
    memset(&a, 0, sizeof a);
    a.now_ms = now_ms;
    a.last_instance = -1;
    rc = tt_wfstore_visits_each(store, name, from_ms, to_ms, visit, &a);
    if (rc == TT_OK && !a.nomem)
        rc = tt_wfstore_insts_each(store, name, from_ms, to_ms, instance, &a);
    o = cJSON_CreateObject();
    if (rc == TT_OK && !a.nomem && o) {
        cJSON_AddStringToObject(o, "definition", name);
        cJSON_AddItemToObject(o, "steps", render(&a, &a.steps, 1));
        cJSON_AddItemToObject(o, "people", render(&a, &a.people, 0));
        cJSON_AddItemToObject(o, "units", render(&a, &a.units, 0));
    }
    for (size_t i = 0; i < a.nseen; i++)
        free(a.seen[i]);
    free(a.seen);
    free_table(&a.steps);
    free_table(&a.people);
    free_table(&a.units);
    if (rc == TT_OK && (a.nomem || !o))
        rc = TT_ERR_NOMEM;
    if (rc != TT_OK) {
        cJSON_Delete(o);
        return rc;
    }
    *out = o;
    return TT_OK;
}
