#include "sessionapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "wire.h"

#define AUDIT_LIMIT_MAX 500

static tt_err_t error(tt_sessionapi_reply_t *rep, unsigned status, const char *msg)
{
    cJSON_Delete(rep->body);
    rep->body = cJSON_CreateObject();
    rep->status = status;
    if (!rep->body || !cJSON_AddStringToObject(rep->body, "error", msg)) {
        cJSON_Delete(rep->body);
        rep->body = NULL;
        return TT_ERR_NOMEM;
    }
    return TT_OK;
}

int tt_sessionapi_route(const char *path)
{
    static const char *const routes[] = {"/api/v1/session", "/api/v1/session/logout",
                                         "/api/v1/session/password", "/api/v1/users",
                                         "/api/v1/audit"};
    for (size_t i = 0; path && i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp(path, routes[i]) == 0)
            return 1;
    return 0;
}

cJSON *tt_sessionapi_me(const tt_users_user_t *user, const char *csrf)
{
    cJSON *o = cJSON_CreateObject(), *roles;
    char one[TT_USERS_NAME_MAX + 1];
    size_t n = 0;
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "user", user->name);
    cJSON_AddStringToObject(o, "role", tt_access_role_name(user->role) ? tt_access_role_name(user->role) : "");
    cJSON_AddStringToObject(o, "unit", user->unit);
    roles = cJSON_AddArrayToObject(o, "wf_roles");
    for (const char *p = user->wf_roles; roles; p++) {
        if (*p == ',' || !*p) {
            one[n] = '\0';
            if (n)
                cJSON_AddItemToArray(roles, cJSON_CreateString(one));
            n = 0;
            if (!*p)
                break;
        } else if (n < TT_USERS_NAME_MAX) {
            one[n++] = *p;
        }
    }
    cJSON_AddBoolToObject(o, "active", user->active);
    if (csrf)
        cJSON_AddStringToObject(o, "csrf", csrf);
    else
        cJSON_AddNullToObject(o, "csrf");
    return o;
}

/* Parses an object body with exactly the members `names` allows; found[i]
 * is each or NULL.  On failure the reply is a 400. */
static int parse(const tt_sessionapi_req_t *req, const char *const *names, size_t n,
                 const cJSON **found, cJSON **root, tt_sessionapi_reply_t *rep)
{
    char reason[256], bad[TT_WIRE_NAME_SHOWN];
    tt_wire_members_t m;
    if (tt_wire_parse(req->body ? req->body : "", req->len, root, reason, sizeof reason) !=
        TT_OK) {
        error(rep, 400, reason);
        return 0;
    }
    m = tt_wire_find(*root, names, found, n, 0, bad);
    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, sizeof reason, "body", m, bad);
        error(rep, 400, reason);
        return 0;
    }
    return 1;
}

static const char *str(const cJSON *j)
{
    return cJSON_IsString(j) ? j->valuestring : NULL;
}

static tt_err_t sign_in(tt_users_t *u, const tt_sessionapi_req_t *req,
                        tt_sessionapi_reply_t *rep)
{
    static const char *const names[] = {"user", "password"};
    const cJSON *f[2];
    cJSON *root = NULL;
    int64_t retry = 0;
    tt_err_t rc;
    char msg[128];

    if (!parse(req, names, 2, f, &root, rep)) {
        cJSON_Delete(root);
        return rep->body ? TT_OK : TT_ERR_NOMEM;
    }
    if (!str(f[0]) || !str(f[1])) {
        cJSON_Delete(root);
        return error(rep, 400, "user and password (strings) are required");
    }
    rc = tt_users_sign_in(u, str(f[0]), str(f[1]), req->addr, req->now_ms, &rep->started,
                          &retry);
    if (rc == TT_OK)
        snprintf(rep->summary, sizeof rep->summary, "signed in from %.64s", req->addr);
    cJSON_Delete(root);
    switch (rc) {
    case TT_OK:
        rep->status = 200;
        rep->body = tt_sessionapi_me(&rep->started.user, rep->started.csrf);
        return rep->body ? TT_OK : TT_ERR_NOMEM;
    case TT_ERR_BUSY:
        rep->retry_after_s = (retry + 999) / 1000;
        snprintf(msg, sizeof msg, "too many failed sign-ins: try again in %lld s",
                 (long long)rep->retry_after_s);
        return error(rep, 429, msg);
    case TT_ERR_DENIED:
    case TT_ERR_INVAL:
        return error(rep, 401, "wrong user name or password");
    default:
        return error(rep, 500, tt_strerror(rc));
    }
}

static tt_err_t password(tt_users_t *u, const tt_sessionapi_req_t *req,
                         tt_sessionapi_reply_t *rep)
{
    static const char *const names[] = {"old", "password"};
    const cJSON *f[2];
    cJSON *root = NULL;
    char reason[256] = "";
    tt_err_t rc;

    if (!req->session)
        return error(rep, 403, "only a signed-in person has a password to change");
    if (!parse(req, names, 2, f, &root, rep)) {
        cJSON_Delete(root);
        return rep->body ? TT_OK : TT_ERR_NOMEM;
    }
    rc = str(f[0]) && str(f[1])
             ? tt_users_change_password(u, req->session->user.name, str(f[0]), str(f[1]),
                                        req->now_ms, reason, sizeof reason)
             : TT_ERR_INVAL;
    cJSON_Delete(root);
    if (rc == TT_OK) {
        rep->ended = 1;   /* every session of the user ended: sign in again */
        snprintf(rep->summary, sizeof rep->summary, "changed their password");
        rep->status = 200;
        rep->body = cJSON_CreateObject();
        return rep->body && cJSON_AddBoolToObject(rep->body, "changed", 1) ? TT_OK
                                                                           : TT_ERR_NOMEM;
    }
    return error(rep, rc == TT_ERR_DENIED ? 403 : rc == TT_ERR_INVAL ? 400 : 500,
                 reason[0] ? reason : "old and password (strings) are required");
}

static int user_row(void *ctx, const tt_users_user_t *user)
{
    cJSON *o = tt_sessionapi_me(user, NULL);
    if (!o)
        return 1;
    cJSON_DeleteItemFromObject(o, "csrf");
    cJSON_AddItemToArray(ctx, o);
    return 0;
}

/* Creates a user, or changes one that exists (docs/api.md, "Users"). */
static tt_err_t put_user(tt_users_t *u, const tt_sessionapi_req_t *req,
                         tt_sessionapi_reply_t *rep)
{
    static const char *const names[] = {"name", "role", "unit", "wf_roles", "password",
                                        "active"};
    const cJSON *f[6];
    cJSON *root = NULL;
    tt_users_user_t user, old;
    char reason[256] = "";
    tt_err_t rc, exists;

    if (!parse(req, names, 6, f, &root, rep)) {
        cJSON_Delete(root);
        return rep->body ? TT_OK : TT_ERR_NOMEM;
    }
    memset(&user, 0, sizeof user);
    if (!str(f[0]) || !str(f[1]) || (f[2] && !str(f[2])) || (f[3] && !str(f[3])) ||
        (f[4] && !str(f[4])) || (f[5] && !cJSON_IsBool(f[5])) ||
        strlen(str(f[0])) > TT_USERS_NAME_MAX || (f[2] && strlen(str(f[2])) > TT_USERS_UNIT_MAX) ||
        (f[3] && strlen(str(f[3])) > TT_USERS_WFROLES_MAX)) {
        cJSON_Delete(root);
        return error(rep, 400, "name and role are required strings; unit, wf_roles and password"
                               " strings; active a boolean");
    }
    snprintf(user.name, sizeof user.name, "%s", str(f[0]));
    user.role = tt_access_role_parse(str(f[1]));
    snprintf(user.unit, sizeof user.unit, "%s", f[2] ? str(f[2]) : "");
    snprintf(user.wf_roles, sizeof user.wf_roles, "%s", f[3] ? str(f[3]) : "");
    user.active = f[5] ? cJSON_IsTrue(f[5]) : 1;
    exists = tt_users_get(u, user.name, &old);
    if (exists == TT_ERR_NOTFOUND) {
        rc = f[4] ? tt_users_create(u, &user, str(f[4]), req->actor, req->now_ms, reason,
                                    sizeof reason)
                  : TT_ERR_INVAL;
        if (!f[4])
            snprintf(reason, sizeof reason, "a new user needs a password");
        if (rc == TT_OK && !user.active)
            rc = tt_users_update(u, &user, NULL, req->now_ms, reason, sizeof reason);
    } else if (exists == TT_OK) {
        if (req->session && strcmp(req->session->user.name, user.name) == 0 &&
            (!user.active || user.role != TT_ACCESS_ADMIN)) {
            cJSON_Delete(root);
            return error(rep, 409, "an admin cannot disable or demote themselves");
        }
        rc = tt_users_update(u, &user, f[4] ? str(f[4]) : NULL, req->now_ms, reason,
                             sizeof reason);
    } else {
        rc = exists;
    }
    cJSON_Delete(root);
    if (rc != TT_OK)
        return error(rep, rc == TT_ERR_INVAL ? 400 : rc == TT_ERR_EXISTS ? 409 : 500,
                     reason[0] ? reason : tt_strerror(rc));
    snprintf(rep->summary, sizeof rep->summary, "%s user %s: role %s, unit '%s', wf_roles '%s',"
             " %s%s", exists == TT_OK ? "changed" : "created", user.name,
             tt_access_role_name(user.role), user.unit, user.wf_roles,
             user.active ? "active" : "disabled", f[4] ? ", password set" : "");
    rep->status = exists == TT_OK ? 200 : 201;
    rep->body = tt_sessionapi_me(&user, NULL);
    if (rep->body)
        cJSON_DeleteItemFromObject(rep->body, "csrf");
    return rep->body ? TT_OK : TT_ERR_NOMEM;
}

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

typedef struct {
    cJSON *rows;
    int64_t last;
    int n;
} audit_ctx_t;

static int audit_row(void *ctx, const tt_users_audit_row_t *r)
{
    audit_ctx_t *a = ctx;
    cJSON *o = cJSON_CreateObject();
    char when[40];
    if (!o || !cJSON_AddItemToArray(a->rows, o))
        return 1;
    iso(r->at_ms, when, sizeof when);
    cJSON_AddNumberToObject(o, "id", (double)r->id);
    cJSON_AddStringToObject(o, "at", when);
    cJSON_AddStringToObject(o, "user", r->user ? r->user : "");
    cJSON_AddStringToObject(o, "method", r->method ? r->method : "");
    cJSON_AddStringToObject(o, "route", r->route ? r->route : "");
    cJSON_AddNumberToObject(o, "status", r->status);
    cJSON_AddStringToObject(o, "summary", r->summary ? r->summary : "");
    a->last = r->id;
    a->n++;
    return 0;
}

/* A positive integer argument (absent: dflt); 0 when malformed. */
static long long int_arg(const tt_sessionapi_req_t *req, const char *name, long long dflt)
{
    const char *v = req->arg(req->ctx, name);
    char *end;
    long long n;
    if (!v)
        return dflt;
    n = strtoll(v, &end, 10);
    return end != v && !*end && n > 0 ? n : 0;
}

static tt_err_t audit(tt_users_t *u, const tt_sessionapi_req_t *req, tt_sessionapi_reply_t *rep)
{
    audit_ctx_t a = {NULL, 0, 0};
    const char *who = req->arg(req->ctx, "user");
    long long limit = int_arg(req, "limit", 100), before = int_arg(req, "before", 0);
    tt_err_t rc;

    if (!limit || limit > AUDIT_LIMIT_MAX || (req->arg(req->ctx, "before") && !before))
        return error(rep, 400, "limit is 1-500, before an audit id");
    rep->body = cJSON_CreateObject();
    a.rows = rep->body ? cJSON_AddArrayToObject(rep->body, "rows") : NULL;
    if (!a.rows)
        return TT_ERR_NOMEM;
    rc = tt_users_audit_each(u, who && who[0] ? who : NULL, before, (int)limit, audit_row, &a);
    if (rc != TT_OK)
        return error(rep, 500, tt_strerror(rc));
    if (a.n == limit)
        cJSON_AddNumberToObject(rep->body, "next", (double)a.last);
    else
        cJSON_AddNullToObject(rep->body, "next");
    rep->status = 200;
    return TT_OK;
}

tt_err_t tt_sessionapi_handle(tt_users_t *u, const tt_sessionapi_req_t *req,
                              tt_sessionapi_reply_t *rep)
{
    int post = strcmp(req->method, "POST") == 0;
    cJSON *list;

    memset(rep, 0, sizeof *rep);
    if (strcmp(req->path, "/api/v1/session") == 0) {
        if (post)
            return sign_in(u, req, rep);
        if (!req->session) {
            /* The service token: an admin that is no person. */
            tt_users_user_t svc;
            memset(&svc, 0, sizeof svc);
            snprintf(svc.name, sizeof svc.name, "%s", req->actor);
            svc.role = TT_ACCESS_ADMIN;
            svc.active = 1;
            rep->body = tt_sessionapi_me(&svc, NULL);
        } else {
            rep->body = tt_sessionapi_me(&req->session->user, req->session->csrf);
        }
        rep->status = 200;
        return rep->body ? TT_OK : TT_ERR_NOMEM;
    }
    if (strcmp(req->path, "/api/v1/session/logout") == 0 && post) {
        if (req->session && tt_users_sign_out(u, req->session->id) != TT_OK)
            return error(rep, 500, "cannot end the session");
        rep->ended = req->session != NULL;
        snprintf(rep->summary, sizeof rep->summary, "signed out");
        rep->status = 200;
        rep->body = cJSON_CreateObject();
        return rep->body && cJSON_AddBoolToObject(rep->body, "signed_out", 1) ? TT_OK
                                                                              : TT_ERR_NOMEM;
    }
    if (strcmp(req->path, "/api/v1/session/password") == 0 && post)
        return password(u, req, rep);
    if (strcmp(req->path, "/api/v1/users") == 0) {
        if (post)
            return put_user(u, req, rep);
        rep->body = cJSON_CreateObject();
        list = rep->body ? cJSON_AddArrayToObject(rep->body, "users") : NULL;
        if (!list)
            return TT_ERR_NOMEM;
        if (tt_users_each(u, user_row, list) != TT_OK)
            return error(rep, 500, "cannot read the users");
        rep->status = 200;
        return TT_OK;
    }
    if (strcmp(req->path, "/api/v1/audit") == 0 && !post)
        return audit(u, req, rep);
    return error(rep, 404, "no such route");
}

int tt_sessionapi_has_wf_role(const tt_users_user_t *user, const char *role)
{
    size_t n = role ? strlen(role) : 0;
    const char *p = user->wf_roles;
    if (!n)
        return 0;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, role, n) == 0)
            return 1;
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* Checks member `name` of root against `want`: absent -> added; equal ->
 * fine; anything else -> refused. */
static tt_err_t bind_member(cJSON *root, const char *name, const char *want, char *reason,
                            size_t rlen)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!j)
        return cJSON_AddStringToObject(root, name, want) ? TT_OK : TT_ERR_NOMEM;
    if (cJSON_IsString(j) && strcmp(j->valuestring, want) == 0)
        return TT_OK;
    tt_wire_say(reason, rlen, "%s: you are signed in as '%s'; a request acts as the signed-in"
                " person only", name, want);
    return TT_ERR_DENIED;
}

tt_err_t tt_sessionapi_bind_body(const char *body, size_t len, const char *field, int workflow,
                                 const tt_users_user_t *user, char **out, char *reason,
                                 size_t rlen)
{
    cJSON *root = NULL;
    const cJSON *role;
    tt_err_t rc;

    *out = NULL;
    if (tt_wire_parse(body ? body : "", len, &root, reason, rlen) != TT_OK)
        return TT_ERR_PARSE;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        tt_wire_say(reason, rlen, "body: not a JSON object");
        return TT_ERR_PARSE;
    }
    rc = bind_member(root, field, user->name, reason, rlen);
    if (rc == TT_OK && workflow) {
        role = cJSON_GetObjectItemCaseSensitive(root, "role");
        if (role && !(cJSON_IsString(role) && (!role->valuestring[0] ||
                                              tt_sessionapi_has_wf_role(user,
                                                                        role->valuestring)))) {
            tt_wire_say(reason, rlen, "role: not one of your workflow roles (%s)",
                        user->wf_roles[0] ? user->wf_roles : "none");
            rc = TT_ERR_DENIED;
        }
        if (rc == TT_OK && user->unit[0])
            rc = bind_member(root, "unit", user->unit, reason, rlen);
    }
    if (rc == TT_OK) {
        *out = cJSON_PrintUnformatted(root);
        rc = *out ? TT_OK : TT_ERR_NOMEM;
    }
    cJSON_Delete(root);
    return rc;
}
