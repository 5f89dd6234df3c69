#include "wfhttp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "wfmetrics.h"
#include "wire.h"

/* Variables one request may set, and documents it may hand in. */
#define INPUTS_MAX 32
#define DOCS_MAX 32
/* JSON integers are read exactly up to 2^53 (every such integer is a double). */
#define EXACT_MAX 9007199254740992.0

static unsigned error(cJSON **out, unsigned status, const char *msg)
{
    *out = cJSON_CreateObject();
    if (*out)
        cJSON_AddStringToObject(*out, "error", msg);
    return *out ? status : 500;
}

static unsigned status_of(tt_err_t rc)
{
    switch (rc) {
    case TT_ERR_PARSE:
    case TT_ERR_INVAL:
    case TT_ERR_RANGE: return 422;
    case TT_ERR_NOTFOUND: return 404;
    case TT_ERR_CONFLICT:
    case TT_ERR_BUSY: return 409;
    case TT_ERR_DENIED: return 403;
    default: return 500;
    }
}

static unsigned failed(cJSON **out, tt_err_t rc, const char *reason)
{
    return error(out, status_of(rc), reason && reason[0] ? reason : tt_strerror(rc));
}

/* RFC 3339 in the site's time zone; "" for 0. */
static void iso(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char off[8];
    if (ms <= 0 || !localtime_r(&t, &tm)) {
        snprintf(buf, len, "%s", "");
        return;
    }
    strftime(off, sizeof off, "%z", &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + strlen(buf), len - strlen(buf), "%.3s:%s", off, off + 3);
}

static void add_time(cJSON *o, const char *name, int64_t ms)
{
    char buf[40];
    if (!ms) {
        cJSON_AddNullToObject(o, name);
        return;
    }
    iso(ms, buf, sizeof buf);
    cJSON_AddStringToObject(o, name, buf);
}

/* --- request bodies -------------------------------------------------------------------- */

typedef struct {
    cJSON *root;
    tt_wf_actor_t actor;
    tt_wf_input_t in[INPUTS_MAX];
    char *json[INPUTS_MAX];          /* printed JSON values, freed with the request */
    size_t nin;
    const char *docs[DOCS_MAX];
    size_t ndocs;
    char reason[256];
} body_t;

static void body_free(body_t *b)
{
    for (size_t i = 0; i < b->nin; i++)
        free(b->json[i]);
    cJSON_Delete(b->root);
}

static const char *str_member(const cJSON *o, const char *name)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

/* Parses a JSON body with the actor fields, "vars" and "documents"; the
 * other members are the route's, listed in `extra`. */
static tt_err_t body_parse(const tt_wfhttp_req_t *req, body_t *b, const char *const *extra,
                           size_t nextra)
{
    static const char *const common[] = {"user", "role", "unit", "origin", "vars", "documents"};
    const char *names[16];
    const cJSON *f[16], *vars, *docs, *it;
    char bad[TT_WIRE_NAME_SHOWN];
    size_t n = 0;
    tt_wire_members_t m;

    memset(b, 0, sizeof *b);
    if (tt_wire_parse(req->body ? req->body : "", req->len, &b->root, b->reason,
                      sizeof b->reason) != TT_OK)
        return TT_ERR_PARSE;
    for (size_t i = 0; i < 6; i++)
        names[n++] = common[i];
    for (size_t i = 0; i < nextra && n < 16; i++)
        names[n++] = extra[i];
    m = tt_wire_find(b->root, names, f, n, 0, bad);
    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(b->reason, sizeof b->reason, "body", m, bad);
        return TT_ERR_PARSE;
    }
    b->actor.user = str_member(b->root, "user");
    b->actor.role = str_member(b->root, "role");
    b->actor.unit = str_member(b->root, "unit");
    b->actor.origin = str_member(b->root, "origin");
    if (!b->actor.user || !b->actor.user[0] || strlen(b->actor.user) > TT_WORKFLOW_ID_MAX ||
        (b->actor.role && strlen(b->actor.role) > TT_WORKFLOW_ID_MAX) ||
        (b->actor.unit && strlen(b->actor.unit) > TT_WORKFLOW_ID_MAX)) {
        snprintf(b->reason, sizeof b->reason, "user (1-%d bytes) is required; role and unit"
                 " are at most %d bytes", TT_WORKFLOW_ID_MAX, TT_WORKFLOW_ID_MAX);
        return TT_ERR_PARSE;
    }
    b->actor.role = b->actor.role ? b->actor.role : "";
    b->actor.unit = b->actor.unit ? b->actor.unit : "";
    b->actor.origin = b->actor.origin ? b->actor.origin : "web";
    if (strcmp(b->actor.origin, "web") != 0 && strcmp(b->actor.origin, "terminal") != 0) {
        snprintf(b->reason, sizeof b->reason, "origin is web or terminal");
        return TT_ERR_PARSE;
    }
    vars = cJSON_GetObjectItemCaseSensitive(b->root, "vars");
    if (vars && !cJSON_IsObject(vars)) {
        snprintf(b->reason, sizeof b->reason, "vars must be an object");
        return TT_ERR_PARSE;
    }
    cJSON_ArrayForEach(it, vars) {
        tt_wf_input_t *in = &b->in[b->nin];
        if (b->nin == INPUTS_MAX) {
            snprintf(b->reason, sizeof b->reason, "more than %d vars", INPUTS_MAX);
            return TT_ERR_PARSE;
        }
        in->name = it->string;
        if (cJSON_IsBool(it)) {
            in->value = (tt_wfv_t){TT_WFV_BOOL, cJSON_IsTrue(it), NULL};
        } else if (cJSON_IsString(it)) {
            in->value = (tt_wfv_t){TT_WFV_STR, 0, it->valuestring};
        } else if (cJSON_IsNumber(it)) {
            /* Money is integer fen: anything fractional or inexact is refused. */
            double d = it->valuedouble;
            if (d != d || d > EXACT_MAX || d < -EXACT_MAX || d != (double)(int64_t)d) {
                snprintf(b->reason, sizeof b->reason, "vars.%.40s: integers only (money in"
                         " fen)", it->string);
                return TT_ERR_PARSE;
            }
            in->value = (tt_wfv_t){TT_WFV_INT, (int64_t)d, NULL};
        } else if (cJSON_IsArray(it) || cJSON_IsObject(it)) {
            b->json[b->nin] = cJSON_PrintUnformatted(it);
            if (!b->json[b->nin])
                return TT_ERR_NOMEM;
            in->value = (tt_wfv_t){TT_WFV_JSON, 0, b->json[b->nin]};
        } else {
            snprintf(b->reason, sizeof b->reason, "vars.%.40s: null is not a value", it->string);
            return TT_ERR_PARSE;
        }
        b->nin++;
    }
    docs = cJSON_GetObjectItemCaseSensitive(b->root, "documents");
    if (docs && !cJSON_IsArray(docs)) {
        snprintf(b->reason, sizeof b->reason, "documents must be a list of names");
        return TT_ERR_PARSE;
    }
    cJSON_ArrayForEach(it, docs) {
        if (!cJSON_IsString(it) || b->ndocs == DOCS_MAX) {
            snprintf(b->reason, sizeof b->reason, "documents: at most %d names", DOCS_MAX);
            return TT_ERR_PARSE;
        }
        b->docs[b->ndocs++] = it->valuestring;
    }
    return TT_OK;
}

static cJSON *result_json(const tt_wfsvc_result_t *res)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "instance", (double)res->instance);
    cJSON_AddNumberToObject(o, "version", res->version);
    cJSON_AddNumberToObject(o, "seq", (double)res->seq);
    cJSON_AddBoolToObject(o, "replayed", res->replayed);
    if (res->outcome[0])
        cJSON_AddStringToObject(o, "outcome", res->outcome);
    else
        cJSON_AddNullToObject(o, "outcome");
    return o;
}

/* --- routes ---------------------------------------------------------------------------- */

static int def_row(void *ctx, const tt_wfstore_def_row_t *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(ctx, o))
        return 1;
    cJSON_AddStringToObject(o, "name", r->name);
    cJSON_AddNumberToObject(o, "version", r->version);
    cJSON_AddStringToObject(o, "file", r->file);
    cJSON_AddStringToObject(o, "deployed_by", r->by);
    add_time(o, "deployed", r->deployed_ms);
    cJSON_AddNumberToObject(o, "running", (double)r->running);
    cJSON_AddNumberToObject(o, "ended", (double)r->ended);
    return 0;
}

static unsigned deploy(tt_wfsvc_t *svc, const tt_wfhttp_req_t *req, cJSON **out)
{
    const char *file = req->arg(req->ctx, "file"), *by = req->arg(req->ctx, "user");
    char name[TT_WFDEF_NAME_MAX + 1], err[TT_WFSVC_ERR_MAX];
    int version = 0, created = 0;
    tt_err_t rc;

    if (!by || !by[0])
        return error(out, 400, "user (query) names who deploys");
    rc = tt_wfsvc_deploy(svc, file && file[0] ? file : "definition.yaml",
                         req->body ? req->body : "", req->len, by, req->now_ms, name, &version,
                         &created, err, sizeof err);
    if (rc != TT_OK)
        return failed(out, rc, err);
    *out = cJSON_CreateObject();
    if (!*out)
        return 500;
    cJSON_AddStringToObject(*out, "name", name);
    cJSON_AddNumberToObject(*out, "version", version);
    cJSON_AddBoolToObject(*out, "created", created);
    return created ? 201 : 200;
}

static unsigned start(tt_wfsvc_t *svc, const tt_wfhttp_req_t *req, cJSON **out)
{
    static const char *const extra[] = {"definition", "version"};
    body_t b;
    tt_wfsvc_result_t res;
    uint64_t version = 0;
    const char *name;
    tt_err_t rc = body_parse(req, &b, extra, 2);
    unsigned status;

    name = rc == TT_OK ? str_member(b.root, "definition") : NULL;
    if (rc == TT_OK && (!name || (cJSON_GetObjectItemCaseSensitive(b.root, "version") &&
                                  !tt_wire_read_uint(cJSON_GetObjectItemCaseSensitive(b.root,
                                                                                      "version"),
                                                     1000000, &version)))) {
        snprintf(b.reason, sizeof b.reason, "definition (a name) is required; version is a"
                                            " number (0 or absent: the latest)");
        rc = TT_ERR_PARSE;
    }
    if (rc == TT_OK)
        rc = tt_wfsvc_start(svc, name, (int)version, &b.actor, b.in, b.nin, req->now_ms, &res,
                            b.reason, sizeof b.reason);
    if (rc != TT_OK) {
        status = rc == TT_ERR_PARSE ? error(out, 400, b.reason) : failed(out, rc, b.reason);
    } else {
        *out = result_json(&res);
        status = *out ? 201 : 500;
    }
    body_free(&b);
    return status;
}

static unsigned act(tt_wfsvc_t *svc, const tt_wfhttp_req_t *req, int64_t id, int64_t token,
                    cJSON **out)
{
    static const char *const extra[] = {"action", "expect"};
    body_t b;
    tt_wfsvc_result_t res;
    uint64_t expect = 0;
    const char *action;
    tt_err_t rc = body_parse(req, &b, extra, 2);
    unsigned status;

    action = rc == TT_OK ? str_member(b.root, "action") : NULL;
    if (rc == TT_OK && (!action || !tt_wire_read_uint(cJSON_GetObjectItemCaseSensitive(b.root,
                                                                                       "expect"),
                                                      (uint64_t)1 << 53, &expect))) {
        snprintf(b.reason, sizeof b.reason, "action and expect (the number of the last event"
                                            " seen) are required");
        rc = TT_ERR_PARSE;
    }
    if (rc == TT_OK)
        rc = tt_wfsvc_act(svc, id, token, action, expect, &b.actor, b.in, b.nin, b.docs, b.ndocs,
                          req->now_ms, &res, b.reason, sizeof b.reason);
    if (rc != TT_OK) {
        status = rc == TT_ERR_PARSE ? error(out, 400, b.reason) : failed(out, rc, b.reason);
    } else {
        *out = result_json(&res);
        status = *out ? 200 : 500;
    }
    body_free(&b);
    return status;
}

static unsigned message(tt_wfsvc_t *svc, const tt_wfhttp_req_t *req, int64_t id, cJSON **out)
{
    static const char *const extra[] = {"message"};
    body_t b;
    tt_wfsvc_result_t res;
    const char *name;
    tt_err_t rc = body_parse(req, &b, extra, 1);
    unsigned status;

    name = rc == TT_OK ? str_member(b.root, "message") : NULL;
    if (rc == TT_OK && !name) {
        snprintf(b.reason, sizeof b.reason, "message (a name) is required");
        rc = TT_ERR_PARSE;
    }
    if (rc == TT_OK)
        rc = tt_wfsvc_message(svc, id, name, &b.actor, b.in, b.nin, req->now_ms, &res, b.reason,
                              sizeof b.reason);
    if (rc != TT_OK) {
        status = rc == TT_ERR_PARSE ? error(out, 400, b.reason) : failed(out, rc, b.reason);
    } else {
        *out = result_json(&res);
        status = *out ? 200 : 500;
    }
    body_free(&b);
    return status;
}

static int task_row(void *ctx, const tt_wfsvc_task_t *t)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(ctx, o))
        return 1;
    cJSON_AddNumberToObject(o, "instance", (double)t->instance);
    cJSON_AddNumberToObject(o, "token", (double)t->token);
    cJSON_AddStringToObject(o, "definition", t->def);
    cJSON_AddNumberToObject(o, "version", t->version);
    cJSON_AddStringToObject(o, "step", t->step);
    cJSON_AddStringToObject(o, "title", t->title);
    cJSON_AddStringToObject(o, "unit", t->unit);
    cJSON_AddStringToObject(o, "started_by", t->started_by);
    cJSON_AddStringToObject(o, "claimed_by", t->claimed_by);
    cJSON_AddBoolToObject(o, "escalated", t->escalated);
    add_time(o, "activated", t->activated_ms);
    add_time(o, "not_before", t->not_before_ms);
    add_time(o, "due", t->due_ms);
    return 0;
}

static int event_row(void *ctx, const tt_wf_event_t *e)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(ctx, o))
        return 1;
    cJSON_AddNumberToObject(o, "seq", (double)e->seq);
    add_time(o, "at", e->at_ms);
    cJSON_AddStringToObject(o, "kind", e->kind);
    cJSON_AddNumberToObject(o, "token", (double)e->token);
    cJSON_AddStringToObject(o, "user", e->user);
    cJSON_AddStringToObject(o, "role", e->role);
    cJSON_AddStringToObject(o, "unit", e->unit);
    cJSON_AddStringToObject(o, "origin", e->origin);
    cJSON_AddStringToObject(o, "action", e->action);
    cJSON_AddStringToObject(o, "from", e->from);
    cJSON_AddStringToObject(o, "to", e->to);
    /* Stored as the engine wrote it: integers stay exact. */
    cJSON_AddItemToObject(o, "vars", e->vars ? cJSON_CreateRaw(e->vars) : cJSON_CreateObject());
    cJSON_AddItemToObject(o, "documents", e->docs ? cJSON_CreateRaw(e->docs)
                                                  : cJSON_CreateArray());
    if (e->note)
        cJSON_AddStringToObject(o, "note", e->note);
    return 0;
}

/* What an active task offers (for the web office's forms): its title,
 * role, actions and checklist. */
static void add_task_form(cJSON *j, const tt_wfdef_step_t *st)
{
    cJSON *a = cJSON_AddArrayToObject(j, "actions"), *d = cJSON_AddArrayToObject(j, "checklist");
    cJSON_AddStringToObject(j, "title", st->title ? st->title : "");
    cJSON_AddStringToObject(j, "role", st->role ? st->role : "");
    for (size_t i = 0; a && i < st->nactions; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(st->actions[i].name));
    for (size_t i = 0; d && i < st->ndocs; i++)
        cJSON_AddItemToArray(d, cJSON_CreateString(st->docs[i].name));
}

static unsigned show(tt_wfsvc_t *svc, int64_t id, cJSON **out)
{
    static const char *const states[] = {"", "active", "done", "cancelled"};
    tt_wf_inst_t *in = NULL;
    const tt_wfdef_t *def;
    cJSON *o, *tokens, *log;
    tt_err_t rc = tt_wfsvc_instance(svc, id, &in, &def);
    if (rc != TT_OK)
        return failed(out, rc, rc == TT_ERR_NOTFOUND ? "no such instance" : NULL);
    *out = o = cJSON_CreateObject();
    if (o) {
        cJSON_AddNumberToObject(o, "instance", (double)in->id);
        cJSON_AddStringToObject(o, "definition", in->def);
        cJSON_AddNumberToObject(o, "version", in->version);
        cJSON_AddStringToObject(o, "started_by", in->started_by);
        cJSON_AddStringToObject(o, "unit", in->unit);
        add_time(o, "started", in->started_ms);
        add_time(o, "ended", in->ended_ms);
        if (in->outcome[0])
            cJSON_AddStringToObject(o, "outcome", in->outcome);
        else
            cJSON_AddNullToObject(o, "outcome");
        cJSON_AddNumberToObject(o, "seq", (double)in->seq);
        tokens = cJSON_AddArrayToObject(o, "tokens");
        for (size_t i = 0; tokens && i < in->ntokens; i++) {
            const tt_wf_token_t *t = &in->tokens[i];
            cJSON *j = cJSON_CreateObject();
            if (!j || !cJSON_AddItemToArray(tokens, j))
                break;
            cJSON_AddNumberToObject(j, "token", (double)t->id);
            cJSON_AddStringToObject(j, "step", def->steps[t->step].name);
            cJSON_AddStringToObject(j, "kind", tt_wfdef_kind_name(def->steps[t->step].kind));
            cJSON_AddStringToObject(j, "state", states[t->state]);
            add_time(j, "due", t->due_ms);
            cJSON_AddStringToObject(j, "done_by", t->done_by);
            cJSON_AddStringToObject(j, "action", t->action);
            if (t->state == 1 && def->steps[t->step].kind == TT_WFSTEP_TASK)
                add_task_form(j, &def->steps[t->step]);
        }
        log = cJSON_AddArrayToObject(o, "log");
        rc = log ? tt_wfstore_events_each(tt_wfsvc_store(svc), id, event_row, log) : TT_ERR_NOMEM;
    }
    tt_workflow_inst_free(in);
    if (!o || rc != TT_OK) {
        cJSON_Delete(o);
        return failed(out, o ? rc : TT_ERR_NOMEM, NULL);
    }
    return 200;
}

/* A date argument as the start of that day, site time. */
static int day_arg(const tt_wfhttp_req_t *req, const char *name, int64_t *ms)
{
    const char *v = req->arg(req->ctx, name);
    tt_day_t d;
    if (!v || tt_cal_parse_date(v, &d) != TT_OK)
        return 0;
    *ms = tt_cal_ms_of_day(d);
    return 1;
}

static unsigned metrics(tt_wfsvc_t *svc, const tt_wfhttp_req_t *req, cJSON **out)
{
    const char *name = req->arg(req->ctx, "definition");
    int64_t from, to;
    tt_err_t rc;
    if (!name || !day_arg(req, "from", &from) || !day_arg(req, "to", &to))
        return error(out, 400, "definition, from and to (YYYY-MM-DD; to is excluded) are"
                               " required");
    rc = tt_wfmetrics_build(tt_wfsvc_store(svc), name, from, to, req->now_ms, out);
    return rc == TT_OK ? 200 : failed(out, rc, NULL);
}

/* Parses "<id>" or "<id>/<rest>" of a path; returns the rest or NULL. */
static const char *path_id(const char *p, int64_t *id)
{
    char *end;
    long long v = strtoll(p, &end, 10);
    if (end == p || v <= 0 || (*end && *end != '/'))
        return NULL;
    *id = v;
    return end;
}

unsigned tt_wfhttp_handle(tt_wfsvc_t *svc, const tt_wfhttp_req_t *req, cJSON **out)
{
    const char *p = req->url + strlen(TT_WFHTTP_PREFIX), *rest;
    int post = strcmp(req->method, "POST") == 0;
    int64_t id, token;
    cJSON *list;
    tt_err_t rc;

    *out = NULL;
    if (strcmp(p, "definitions") == 0) {
        if (post)
            return deploy(svc, req, out);
        *out = cJSON_CreateObject();
        list = *out ? cJSON_AddArrayToObject(*out, "definitions") : NULL;
        rc = list ? tt_wfstore_defs_each(tt_wfsvc_store(svc), def_row, list) : TT_ERR_NOMEM;
        return rc == TT_OK ? 200 : (cJSON_Delete(*out), failed(out, rc, NULL));
    }
    if (strcmp(p, "tasks") == 0 && !post) {
        tt_wf_actor_t a = {req->arg(req->ctx, "user"), req->arg(req->ctx, "role"), "", ""};
        if (!a.user || !a.user[0])
            return error(out, 400, "user is required (role too, for tasks given to a role)");
        a.role = a.role ? a.role : "";
        *out = cJSON_CreateObject();
        list = *out ? cJSON_AddArrayToObject(*out, "tasks") : NULL;
        rc = list ? tt_wfsvc_tasks(svc, &a, task_row, list) : TT_ERR_NOMEM;
        return rc == TT_OK ? 200 : (cJSON_Delete(*out), failed(out, rc, NULL));
    }
    if (strcmp(p, "metrics") == 0 && !post)
        return metrics(svc, req, out);
    if (strcmp(p, "instances") == 0 && post)
        return start(svc, req, out);
    if (strncmp(p, "instances/", 10) == 0 && (rest = path_id(p + 10, &id)) != NULL) {
        if (!*rest && !post)
            return show(svc, id, out);
        if (strcmp(rest, "/messages") == 0 && post)
            return message(svc, req, id, out);
        if (strncmp(rest, "/tasks/", 7) == 0 && post && path_id(rest + 7, &token) &&
            !*path_id(rest + 7, &token))
            return act(svc, req, id, token, out);
    }
    return error(out, 404, "no such route");
}
