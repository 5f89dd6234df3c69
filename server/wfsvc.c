#include "wfsvc.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wfhooks.h"
#include "yamldoc.h"

/* Calendar and roles files larger than this are refused unread. */
#define FILE_MAX ((size_t)1 << 20)
/* Instances whose timers one tick fires at most; the rest wait a tick. */
#define TICK_BATCH 64

typedef struct {
    char *name;
    int version;
    tt_wfdef_t *def;
} cached_t;

struct tt_wfsvc {
    tt_db_t *db;
    tt_wfstore_t *store;
    tt_wfhooks_t *hooks;
    tt_cal_t **cals;
    size_t ncals;
    char **roles;
    size_t nroles;
    cached_t *cache;
    size_t ncache;
};

static tt_err_t say(char *buf, size_t len, tt_err_t rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static tt_err_t say(char *buf, size_t len, tt_err_t rc, const char *fmt, ...)
{
    va_list ap;
    if (len == 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return rc;
}

static tt_err_t slurp(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    *text = NULL;
    if (!f)
        return say(err, errlen, TT_ERR_IO, "%s: cannot open", path);
    *text = malloc(FILE_MAX + 1);
    n = *text ? fread(*text, 1, FILE_MAX + 1, f) : 0;
    fclose(f);
    if (!*text)
        return TT_ERR_NOMEM;
    if (n > FILE_MAX) {
        free(*text);
        *text = NULL;
        return say(err, errlen, TT_ERR_CONFIG, "%s: larger than 1 MiB", path);
    }
    (*text)[n] = '\0';
    *len = n;
    return TT_OK;
}

static tt_err_t load_calendars(tt_wfsvc_t *svc, const char *dir, const char *tz, char *err,
                               size_t errlen)
{
    char path[4096];
    struct dirent *de;
    DIR *d;
    tt_err_t rc = TT_OK;

    snprintf(path, sizeof path, "%s/calendars", dir);
    d = opendir(path);
    if (!d)
        return say(err, errlen, TT_ERR_IO, "%s: cannot read the calendars folder", path);
    while (rc == TT_OK && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name), len;
        char *text;
        tt_cal_t *cal, **grown;
        if (n < 6 || strcmp(de->d_name + n - 5, ".yaml") != 0)
            continue;
        snprintf(path, sizeof path, "%s/calendars/%s", dir, de->d_name);
        rc = slurp(path, &text, &len, err, errlen);
        if (rc != TT_OK)
            break;
        rc = tt_cal_load(path, text, len, &cal, err, errlen);
        free(text);
        if (rc == TT_ERR_PARSE)
            rc = TT_ERR_CONFIG;
        if (rc != TT_OK)
            break;
        if (strcmp(tt_cal_timezone(cal), tz) != 0)
            rc = say(err, errlen, TT_ERR_CONFIG, "%s: timezone %s is not the site's (%s)", path,
                     tt_cal_timezone(cal), tz);
        for (size_t i = 0; rc == TT_OK && i < svc->ncals; i++)
            if (strcmp(tt_cal_name(svc->cals[i]), tt_cal_name(cal)) == 0)
                rc = say(err, errlen, TT_ERR_CONFIG, "%s: calendar %s is defined twice", path,
                         tt_cal_name(cal));
        grown = rc == TT_OK ? realloc(svc->cals, (svc->ncals + 1) * sizeof *grown) : NULL;
        if (!grown) {
            tt_cal_free(cal);
            rc = rc == TT_OK ? TT_ERR_NOMEM : rc;
            break;
        }
        svc->cals = grown;
        svc->cals[svc->ncals++] = cal;
    }
    closedir(d);
    return rc;
}

static tt_err_t load_roles(tt_wfsvc_t *svc, const char *dir, char *err, size_t errlen)
{
    char path[4096];
    char *text;
    size_t len;
    tt_yaml_node_t *root;
    const tt_yaml_node_t *roles;
    tt_err_t rc;

    snprintf(path, sizeof path, "%s/roles.yaml", dir);
    rc = slurp(path, &text, &len, err, errlen);
    if (rc != TT_OK)
        return rc;
    rc = tt_yaml_load(path, text, len, &root, err, errlen);
    free(text);
    if (rc != TT_OK)
        return rc == TT_ERR_PARSE ? TT_ERR_CONFIG : rc;
    roles = tt_yaml_get(root, "roles");
    if (root->kind != TT_YAML_MAP || root->n != 1 || !roles || roles->kind != TT_YAML_MAP) {
        tt_yaml_free(root);
        return say(err, errlen, TT_ERR_CONFIG, "%s:%u:%u: expected roles: {name: description}",
                   path, root->line, root->col);
    }
    svc->roles = calloc(roles->n ? roles->n : 1, sizeof *svc->roles);
    for (size_t i = 0; svc->roles && i < roles->n; i++) {
        if (!(svc->roles[i] = strdup(roles->keys[i]->text))) {
            tt_yaml_free(root);
            return TT_ERR_NOMEM;
        }
        svc->nroles++;
    }
    tt_yaml_free(root);
    return svc->roles ? TT_OK : TT_ERR_NOMEM;
}

tt_err_t tt_wfsvc_open(tt_db_t *db, const char *dir, const char *timezone, tt_wfsvc_t **out,
                       char *err, size_t errlen)
{
    tt_wfsvc_t *svc = calloc(1, sizeof *svc);
    tt_err_t rc;
    *out = NULL;
    if (!svc)
        return TT_ERR_NOMEM;
    svc->db = db;
    svc->hooks = tt_wfhooks_new();
    rc = svc->hooks ? tt_wfstore_open(db, &svc->store) : TT_ERR_NOMEM;
    if (rc == TT_ERR_DB)
        say(err, errlen, rc, "workflow store: %s", tt_strerror(rc));
    if (rc == TT_OK)
        rc = tt_wfhooks_register(svc->hooks, db);
    if (rc == TT_OK)
        rc = load_calendars(svc, dir, timezone, err, errlen);
    if (rc == TT_OK)
        rc = load_roles(svc, dir, err, errlen);
    if (rc != TT_OK) {
        tt_wfsvc_close(svc);
        return rc;
    }
    *out = svc;
    return TT_OK;
}

tt_err_t tt_wfsvc_check(const char *dir, const char *timezone, char *err, size_t errlen)
{
    tt_wfsvc_t *svc = calloc(1, sizeof *svc);
    tt_err_t rc = svc ? load_calendars(svc, dir, timezone, err, errlen) : TT_ERR_NOMEM;
    if (rc == TT_OK)
        rc = load_roles(svc, dir, err, errlen);
    tt_wfsvc_close(svc);
    return rc;
}

void tt_wfsvc_close(tt_wfsvc_t *svc)
{
    if (!svc)
        return;
    for (size_t i = 0; i < svc->ncache; i++) {
        free(svc->cache[i].name);
        tt_wfdef_free(svc->cache[i].def);
    }
    free(svc->cache);
    for (size_t i = 0; i < svc->ncals; i++)
        tt_cal_free(svc->cals[i]);
    free(svc->cals);
    for (size_t i = 0; i < svc->nroles; i++)
        free(svc->roles[i]);
    free(svc->roles);
    tt_wfstore_close(svc->store);
    tt_wfhooks_free(svc->hooks);
    free(svc);
}

tt_wfhooks_t *tt_wfsvc_hooks(tt_wfsvc_t *svc)
{
    return svc->hooks;
}

tt_wfstore_t *tt_wfsvc_store(tt_wfsvc_t *svc)
{
    return svc->store;
}

/* --- definitions ---------------------------------------------------------------------- */

static const tt_cal_t *calendar(const tt_wfsvc_t *svc, const char *name)
{
    for (size_t i = 0; i < svc->ncals; i++)
        if (strcmp(tt_cal_name(svc->cals[i]), name) == 0)
            return svc->cals[i];
    return NULL;
}

static int role_exists(void *ctx, const char *role)
{
    const tt_wfsvc_t *svc = ctx;
    for (size_t i = 0; i < svc->nroles; i++)
        if (strcmp(svc->roles[i], role) == 0)
            return 1;
    return 0;
}

static int calendar_exists(void *ctx, const char *name)
{
    return calendar(ctx, name) != NULL;
}

static int hook_exists(void *ctx, const char *name)
{
    const tt_wfsvc_t *svc = ctx;
    return tt_wfhooks_find(svc->hooks, name, NULL, NULL);
}

static tt_err_t load_def(tt_wfsvc_t *svc, const char *file, const char *text, size_t len,
                         tt_wfdef_t **def, char *err, size_t errlen)
{
    tt_wfdef_env_t env = {role_exists, calendar_exists, hook_exists, svc};
    return tt_wfdef_load(file, text, len, &env, def, err, errlen);
}

/* The definition `name` at `version` (0: the latest), from the cache or
 * the store.  Owned by the service. */
static tt_err_t get_def(tt_wfsvc_t *svc, const char *name, int version, const tt_wfdef_t **out,
                        int *out_version, char *reason, size_t rlen)
{
    char file[256], *text = NULL;
    tt_wfdef_t *def;
    cached_t *grown;
    tt_err_t rc;

    for (size_t i = 0; version && i < svc->ncache; i++) {
        if (svc->cache[i].version == version && strcmp(svc->cache[i].name, name) == 0) {
            *out = svc->cache[i].def;
            *out_version = version;
            return TT_OK;
        }
    }
    rc = tt_wfstore_def_get(svc->store, name, version, &text, file, out_version);
    if (rc == TT_ERR_NOTFOUND)
        return say(reason, rlen, rc, "no definition %s%s", name, version ? " at that version" : "");
    if (rc != TT_OK)
        return rc;
    if (!version) {
        free(text);
        return get_def(svc, name, *out_version, out, out_version, reason, rlen);
    }
    /* A stored version was valid when deployed; it fails now only when a
     * role, calendar or hook it names has gone from this server. */
    rc = load_def(svc, file, text, strlen(text), &def, reason, rlen);
    free(text);
    if (rc != TT_OK)
        return rc == TT_ERR_PARSE ? TT_ERR_CONFIG : rc;
    grown = realloc(svc->cache, (svc->ncache + 1) * sizeof *grown);
    if (!grown || !(grown[svc->ncache].name = strdup(name))) {
        if (grown)
            svc->cache = grown;
        tt_wfdef_free(def);
        return TT_ERR_NOMEM;
    }
    svc->cache = grown;
    svc->cache[svc->ncache].version = version;
    svc->cache[svc->ncache++].def = def;
    *out = def;
    return TT_OK;
}

tt_err_t tt_wfsvc_deploy(tt_wfsvc_t *svc, const char *file, const char *text, size_t len,
                         const char *by, int64_t now_ms, char *name, int *version, int *created,
                         char *err, size_t errlen)
{
    tt_wfdef_t *def;
    char *copy;
    tt_err_t rc = load_def(svc, file, text, len, &def, err, errlen);
    if (rc != TT_OK)
        return rc;
    snprintf(name, TT_WFDEF_NAME_MAX + 1, "%s", def->name);
    tt_wfdef_free(def);
    copy = strndup(text, len);
    if (!copy)
        return TT_ERR_NOMEM;
    rc = tt_db_begin(svc->db);
    if (rc == TT_OK)
        rc = tt_wfstore_def_put(svc->store, name, file, copy, by, now_ms, version, created);
    if (rc == TT_OK)
        rc = tt_db_commit(svc->db);
    else
        tt_db_rollback(svc->db);
    free(copy);
    if (rc != TT_OK)
        say(err, errlen, rc, "%s: not stored: %s", file, tt_strerror(rc));
    return rc;
}

/* --- instances -------------------------------------------------------------------------- */

static void result(tt_wfsvc_result_t *res, const tt_wf_inst_t *in, int replayed)
{
    memset(res, 0, sizeof *res);
    res->instance = in->id;
    res->seq = in->seq;
    res->version = in->version;
    res->replayed = replayed;
    snprintf(res->outcome, sizeof res->outcome, "%s", in->outcome);
}

/* Saves and commits, or rolls back. */
static tt_err_t finish(tt_wfsvc_t *svc, const tt_wfdef_t *def, tt_wf_inst_t *in, tt_err_t rc,
                       char *reason, size_t rlen)
{
    if (rc == TT_OK) {
        rc = tt_wfstore_inst_save(svc->store, def, in);
        if (rc == TT_ERR_CONFLICT)
            say(reason, rlen, rc, "instance %lld was changed by someone else at the same time",
                (long long)in->id);
    }
    if (rc == TT_OK)
        rc = tt_db_commit(svc->db);
    if (rc != TT_OK)
        tt_db_rollback(svc->db);
    return rc;
}

static tt_err_t env_for(tt_wfsvc_t *svc, const tt_wfdef_t *def, int64_t now_ms, tt_wf_env_t *env,
                        char *reason, size_t rlen)
{
    env->def = def;
    env->cal = calendar(svc, def->calendar);
    env->hooks = svc->hooks;
    env->now_ms = now_ms;
    if (!env->cal)
        return say(reason, rlen, TT_ERR_CONFIG, "calendar %s is not installed", def->calendar);
    return TT_OK;
}

tt_err_t tt_wfsvc_start(tt_wfsvc_t *svc, const char *name, int version,
                        const tt_wf_actor_t *actor, const tt_wf_input_t *in, size_t nin,
                        int64_t now_ms, tt_wfsvc_result_t *res, char *reason, size_t rlen)
{
    const tt_wfdef_t *def;
    tt_wf_inst_t *inst;
    tt_wf_env_t env;
    tt_err_t rc = get_def(svc, name, version, &def, &version, reason, rlen);
    if (rc == TT_OK)
        rc = env_for(svc, def, now_ms, &env, reason, rlen);
    if (rc != TT_OK)
        return rc;
    inst = tt_workflow_inst_new(def, version);
    if (!inst)
        return TT_ERR_NOMEM;
    rc = tt_db_begin(svc->db);
    if (rc == TT_OK) {
        rc = tt_workflow_start(&env, inst, actor, in, nin, reason, rlen);
        rc = finish(svc, def, inst, rc, reason, rlen);
    }
    if (rc == TT_OK)
        result(res, inst, 0);
    tt_workflow_inst_free(inst);
    return rc;
}

/* Loads instance `id` with its pinned definition, inside a transaction. */
static tt_err_t load(tt_wfsvc_t *svc, int64_t id, tt_wf_inst_t **inst, const tt_wfdef_t **def,
                     char *reason, size_t rlen)
{
    char name[TT_WFDEF_NAME_MAX + 1];
    int version;
    tt_err_t rc = tt_wfstore_inst_head(svc->store, id, name, sizeof name, &version);
    if (rc == TT_ERR_NOTFOUND)
        return say(reason, rlen, rc, "no instance %lld", (long long)id);
    if (rc == TT_OK)
        rc = get_def(svc, name, version, def, &version, reason, rlen);
    if (rc == TT_OK)
        rc = tt_wfstore_inst_load(svc->store, *def, id, inst);
    return rc;
}

tt_err_t tt_wfsvc_instance(tt_wfsvc_t *svc, int64_t id, tt_wf_inst_t **inst,
                           const tt_wfdef_t **def)
{
    char reason[TT_WORKFLOW_REASON_MAX];
    return load(svc, id, inst, def, reason, sizeof reason);
}

/* 1 when event e is this action: same task, action and person. */
static int same_action(const tt_wf_event_t *e, int64_t token, const char *action,
                       const tt_wf_actor_t *actor)
{
    return (strcmp(e->kind, "act") == 0 || strcmp(e->kind, "claim") == 0) &&
           e->token == token && strcmp(e->action, action) == 0 &&
           strcmp(e->user, actor->user) == 0;
}

tt_err_t tt_wfsvc_act(tt_wfsvc_t *svc, int64_t id, int64_t token, const char *action,
                      uint64_t expect, const tt_wf_actor_t *actor, const tt_wf_input_t *in,
                      size_t nin, const char *const *docs, size_t ndocs, int64_t now_ms,
                      tt_wfsvc_result_t *res, char *reason, size_t rlen)
{
    const tt_wfdef_t *def;
    tt_wf_inst_t *inst = NULL;
    tt_wf_env_t env;
    tt_err_t rc = tt_db_begin(svc->db);

    if (rc != TT_OK)
        return rc;
    rc = load(svc, id, &inst, &def, reason, rlen);
    if (rc == TT_OK && inst->seq != expect) {
        tt_wf_event_t e;
        rc = expect < inst->seq ? tt_wfstore_event_get(svc->store, id, expect + 1, &e)
                                : TT_ERR_NOTFOUND;
        if (rc == TT_OK) {
            int replay = same_action(&e, token, action, actor);
            if (replay)
                result(res, inst, 1);
            else
                say(reason, rlen, TT_ERR_CONFLICT, "the instance moved on: event %llu is %s %s"
                    " by %s, not what event %llu was expected to be followed by",
                    (unsigned long long)e.seq, e.kind, e.action[0] ? e.action : e.to,
                    e.user[0] ? e.user : "the system", (unsigned long long)expect);
            free(e.vars);
            free(e.docs);
            free(e.note);
            rc = replay ? TT_OK : TT_ERR_CONFLICT;
        } else if (rc == TT_ERR_NOTFOUND) {
            rc = say(reason, rlen, TT_ERR_CONFLICT, "expected event %llu, the last is %llu",
                     (unsigned long long)expect, (unsigned long long)inst->seq);
        }
        tt_db_rollback(svc->db);
        tt_workflow_inst_free(inst);
        return rc;
    }
    if (rc == TT_OK)
        rc = env_for(svc, def, now_ms, &env, reason, rlen);
    if (rc == TT_OK)
        rc = strcmp(action, "claim") == 0
                 ? tt_workflow_claim(&env, inst, token, actor, reason, rlen)
                 : tt_workflow_act(&env, inst, token, action, actor, in, nin, docs, ndocs, reason,
                             rlen);
    if (inst)
        rc = finish(svc, def, inst, rc, reason, rlen);
    else
        tt_db_rollback(svc->db);
    if (rc == TT_OK)
        result(res, inst, 0);
    tt_workflow_inst_free(inst);
    return rc;
}

tt_err_t tt_wfsvc_message(tt_wfsvc_t *svc, int64_t id, const char *name,
                          const tt_wf_actor_t *actor, const tt_wf_input_t *in, size_t nin,
                          int64_t now_ms, tt_wfsvc_result_t *res, char *reason, size_t rlen)
{
    const tt_wfdef_t *def;
    tt_wf_inst_t *inst = NULL;
    tt_wf_env_t env;
    tt_err_t rc = tt_db_begin(svc->db);
    if (rc != TT_OK)
        return rc;
    rc = load(svc, id, &inst, &def, reason, rlen);
    if (rc == TT_OK)
        rc = env_for(svc, def, now_ms, &env, reason, rlen);
    if (rc == TT_OK)
        rc = tt_workflow_message(&env, inst, name, actor, in, nin, reason, rlen);
    if (inst)
        rc = finish(svc, def, inst, rc, reason, rlen);
    else
        tt_db_rollback(svc->db);
    if (rc == TT_OK)
        result(res, inst, 0);
    tt_workflow_inst_free(inst);
    return rc;
}

tt_err_t tt_wfsvc_tick(tt_wfsvc_t *svc, int64_t now_ms, size_t *fired, char *reason,
                       size_t rlen)
{
    int64_t ids[TICK_BATCH];
    size_t n = 0;
    tt_err_t rc = tt_wfstore_due(svc->store, now_ms, ids, TICK_BATCH, &n), last = rc;
    if (fired)
        *fired = 0;
    for (size_t i = 0; rc == TT_OK && i < n; i++) {
        const tt_wfdef_t *def;
        tt_wf_inst_t *inst = NULL;
        tt_wf_env_t env;
        char why[TT_WORKFLOW_REASON_MAX] = "";
        tt_err_t one = tt_db_begin(svc->db);
        if (one != TT_OK)
            return one;
        one = load(svc, ids[i], &inst, &def, why, sizeof why);
        if (one == TT_OK)
            one = env_for(svc, def, now_ms, &env, why, sizeof why);
        if (one == TT_OK)
            one = tt_workflow_tick(&env, inst, why, sizeof why);
        if (inst)
            one = finish(svc, def, inst, one, why, sizeof why);
        else
            tt_db_rollback(svc->db);
        tt_workflow_inst_free(inst);
        if (one == TT_OK && fired)
            (*fired)++;
        if (one != TT_OK) {
            last = say(reason, rlen, one, "instance %lld: %s", (long long)ids[i],
                       why[0] ? why : tt_strerror(one));
        }
    }
    return last;
}

tt_err_t tt_wfsvc_next_timer(tt_wfsvc_t *svc, int64_t *ms)
{
    return tt_wfstore_next_timer(svc->store, ms);
}

typedef struct {
    tt_wfsvc_t *svc;
    const tt_wf_actor_t *actor;
    tt_wfsvc_task_fn fn;
    void *ctx;
    tt_err_t rc;
} tasks_t;

static int task_row(void *ctx, const tt_wfstore_task_row_t *row)
{
    tasks_t *t = ctx;
    const tt_wfdef_t *def;
    tt_wf_token_t tok;
    tt_wfsvc_task_t out;
    char reason[TT_WORKFLOW_REASON_MAX];
    int version;

    /* The definition says who may act; the store only knows the step. */
    t->rc = get_def(t->svc, row->def, row->version, &def, &version, reason, sizeof reason);
    if (t->rc != TT_OK)
        return 1;
    memset(&tok, 0, sizeof tok);
    tok.step = tt_wfdef_step(def, row->step);
    tok.state = TT_WORKFLOW_ACTIVE;
    tok.escalated = row->escalated;
    if (tok.step < 0 || !tt_workflow_may_act(def, &tok, t->actor))
        return 0;
    out = (tt_wfsvc_task_t){row->instance, row->token, row->def, row->step,
                            def->steps[tok.step].title, row->unit, row->started_by,
                            row->claimed_by, row->version, row->escalated, row->activated_ms,
                            row->not_before_ms, row->due_ms};
    return t->fn(t->ctx, &out);
}

tt_err_t tt_wfsvc_tasks(tt_wfsvc_t *svc, const tt_wf_actor_t *actor, tt_wfsvc_task_fn fn,
                        void *ctx)
{
    tasks_t t = {svc, actor, fn, ctx, TT_OK};
    tt_err_t rc = tt_wfstore_tasks_each(svc->store, task_row, &t);
    return rc != TT_OK ? rc : t.rc;
}
