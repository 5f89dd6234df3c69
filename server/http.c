#include "http.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "clock.h"
#include "db.h"
#include "office.h"
#include "overview.h"
#include "repairapi.h"
#include "reportapi.h"
#include "revolveapi.h"
#include "sessionapi.h"
#include "users.h"
#include "webfiles.h"
#include "wfhttp.h"
#include "wfsvc.h"

#define LIST_LIMIT 1000
/* A POST body larger than this (a definition is a few KiB) is refused. */
#define BODY_MAX ((size_t)1 << 20)

struct tt_http {
    struct MHD_Daemon *mhd;
    tt_db_t *db;
    pthread_mutex_t lock;    /* the db handles are used by one request at a time */
    tt_log_t *log;
    int port;
    tt_db_t *wfdb;           /* writable, for the workflow engine; NULL when off */
    tt_wfsvc_t *wf;
    tt_office_t *office;     /* office documents */
    char *token;             /* the service token; "" accepts none */
    tt_db_t *udb;            /* writable, for users and sessions */
    tt_users_t *users;
    char *web_dir;           /* "" serves no page */
    int secure_cookies;
    long long session_max_s;
};

/* A request's POST body, gathered across libmicrohttpd's calls, and what
 * the checks before dispatch established about it. */
typedef struct {
    char *body;
    size_t len;
    int too_big;
    /* who asks: a session (session.id non-empty), the service token, or nobody */
    tt_users_session_t session;
    int service;
    char actor[TT_USERS_NAME_MAX + 1];
    /* query arguments added for a signed-in person; valid until completed() */
    char inject_user[TT_USERS_NAME_MAX + 1];
    char inject_unit[TT_USERS_UNIT_MAX + 1];
    unsigned status;         /* the answer's status, for the audit record */
    char *summary;           /* the audit record's summary (malloc'd) or NULL */
} request_t;

/* RFC 3339 in the process's time zone (the site's, set by main). */
static void iso_time(int64_t ms, char *buf, size_t len)
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

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, cJSON *body)
{
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    struct MHD_Response *r;
    enum MHD_Result ret;

    cJSON_Delete(body);
    if (!text) {
        static const char oom[] = "{\"error\":\"out of memory\"}";
        r = MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    } else {
        r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    }
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    if (o)
        cJSON_AddStringToObject(o, "error", msg);
    return send_json(c, status, o);
}

static int stock_row(void *ctx, const char *warehouse, const char *item, tt_qty_t qty)
{
    cJSON *o = cJSON_CreateObject();
    char q[TT_MONEY_TEXT_MAX];
    if (!o)
        return 1;
    tt_qty_format(qty, q, sizeof q);
    cJSON_AddStringToObject(o, "warehouse", warehouse);
    cJSON_AddStringToObject(o, "item", item);
    cJSON_AddStringToObject(o, "qty", q);
    cJSON_AddItemToArray(ctx, o);
    return 0;
}

static int terminal_row(void *ctx, const tt_db_terminal_t *t)
{
    cJSON *o = cJSON_CreateObject();
    char when[40];
    if (!o)
        return 1;
    cJSON_AddStringToObject(o, "id", t->id);
    cJSON_AddBoolToObject(o, "online", t->online);
    iso_time(t->last_seen_ms, when, sizeof when);
    cJSON_AddStringToObject(o, "last_seen", when);
    cJSON_AddNumberToObject(o, "last_seen_ms", (double)t->last_seen_ms);
    iso_time(t->last_event_ts_ms, when, sizeof when);
    cJSON_AddStringToObject(o, "last_event_terminal_time", when);
    /* The terminal's clock error (docs/api.md): null until it has an
     * applied event; the fleet page flags clock_suspect. */
    if (t->has_clock_offset)
        cJSON_AddNumberToObject(o, "clock_offset_ms", (double)t->clock_offset_ms);
    else
        cJSON_AddNullToObject(o, "clock_offset_ms");
    cJSON_AddBoolToObject(o, "clock_suspect", t->clock_suspect);
    cJSON_AddNumberToObject(o, "applied_seq", (double)t->applied_seq);
    cJSON_AddNumberToObject(o, "held", (double)t->held);
    cJSON_AddNumberToObject(o, "rejected_events", (double)t->rejected_events);
    cJSON_AddNumberToObject(o, "rejected_messages", (double)t->rejected_messages);
    cJSON_AddStringToObject(o, "firmware", t->firmware);
    cJSON_AddStringToObject(o, "board", t->board);
    cJSON_AddItemToArray(ctx, o);
    return 0;
}

static int rejected_row(void *ctx, const char *terminal, uint64_t seq, int64_t at,
                        const char *reason)
{
    cJSON *o = cJSON_CreateObject();
    char when[40];
    if (!o)
        return 1;
    iso_time(at, when, sizeof when);
    cJSON_AddStringToObject(o, "terminal", terminal);
    cJSON_AddNumberToObject(o, "seq", (double)seq);
    cJSON_AddStringToObject(o, "at", when);
    cJSON_AddStringToObject(o, "reason", reason);
    cJSON_AddItemToArray(ctx, o);
    return 0;
}

static int badmsg_row(void *ctx, const tt_db_badmsg_t *m)
{
    cJSON *o = cJSON_CreateObject();
    char when[40];
    char *excerpt;
    if (!o)
        return 1;
    iso_time(m->server_ms, when, sizeof when);
    cJSON_AddNumberToObject(o, "id", (double)m->id);
    cJSON_AddStringToObject(o, "terminal", m->terminal);
    cJSON_AddStringToObject(o, "topic", m->topic);
    cJSON_AddStringToObject(o, "at", when);
    cJSON_AddStringToObject(o, "reason", m->reason);
    cJSON_AddNumberToObject(o, "size", (double)m->size);
    /* Shown as text with anything unprintable escaped, for a person to read. */
    excerpt = malloc(m->excerpt_len * 4 + 1);
    if (excerpt) {
        size_t k = 0;
        for (size_t i = 0; i < m->excerpt_len; i++) {
            unsigned char ch = (unsigned char)m->excerpt[i];
            if (ch >= 0x20 && ch < 0x7f)
                excerpt[k++] = (char)ch;
            else
                k += (size_t)sprintf(excerpt + k, "\\x%02x", ch);
        }
        excerpt[k] = '\0';
        cJSON_AddStringToObject(o, "excerpt", excerpt);
        free(excerpt);
    }
    cJSON_AddItemToArray(ctx, o);
    return 0;
}

/* Collects the query parameters of a report request (reportapi.c checks
 * them: a repeated one is there twice). */
typedef struct {
    tt_reportapi_param_t p[TT_REPORTAPI_PARAMS_MAX + 1];
    size_t n;
} params_t;

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    params_t *ps = cls;
    (void)kind;
    if (ps->n == TT_REPORTAPI_PARAMS_MAX + 1)
        return MHD_NO;   /* one more than allowed is enough to refuse */
    ps->p[ps->n].key = key;
    ps->p[ps->n++].value = value;
    return MHD_YES;
}

typedef tt_err_t (*report_fn)(tt_db_t *db, const char *path, const tt_reportapi_param_t *params,
                              size_t n, const char *tmpdir, tt_reportapi_reply_t *reply);

/* The report routes (reportapi.h, revolveapi.h, repairapi.h; the equipment
 * register and archive are repairapi's): JSON, or a CSV / XLSX download. */
static enum MHD_Result report(tt_http_t *h, struct MHD_Connection *c, const char *url,
                              report_fn get)
{
    params_t ps;
    tt_reportapi_reply_t rep;
    struct MHD_Response *r;
    enum MHD_Result ret;
    const char *tmp = getenv("TMPDIR");
    char disp[160];

    ps.n = 0;
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_param, &ps);
    if (get(h->db, url, ps.p, ps.n, tmp && *tmp ? tmp : P_tmpdir, &rep) != TT_OK)
        return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    if (rep.status >= 500)
        tt_log_error(h->log, "http %s: %.*s", url, (int)rep.len, rep.body);
    r = MHD_create_response_from_buffer(rep.len, rep.body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(rep.body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", rep.content_type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (rep.filename[0]) {
        snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", rep.filename);
        MHD_add_response_header(r, "Content-Disposition", disp);
    }
    if (rep.next[0])
        MHD_add_response_header(r, "X-Tagtrail-Next", rep.next);
    ret = MHD_queue_response(c, rep.status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result route(tt_http_t *h, struct MHD_Connection *c, const char *url)
{
    cJSON *root = cJSON_CreateObject(), *list;
    tt_err_t rc = TT_OK;

    if (!root)
        return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    if (strcmp(url, "/api/v1/health") == 0) {
        cJSON_AddBoolToObject(root, "ok", 1);
        cJSON_AddStringToObject(root, "version", TT_VERSION);
        return send_json(c, MHD_HTTP_OK, root);
    }
    if (strcmp(url, "/api/v1/stock") == 0) {
        const char *wh = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "warehouse");
        const char *item = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "item");
        list = cJSON_AddArrayToObject(root, "stock");
        rc = list ? tt_db_stock_each(h->db, wh && *wh ? wh : NULL, item && *item ? item : NULL,
                                     stock_row, list)
                  : TT_ERR_NOMEM;
    } else if (strcmp(url, "/api/v1/terminals") == 0) {
        list = cJSON_AddArrayToObject(root, "terminals");
        rc = list ? tt_db_terminals_each(h->db, terminal_row, list) : TT_ERR_NOMEM;
    } else if (strcmp(url, "/api/v1/rejections") == 0) {
        const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "terminal");
        cJSON *ev = cJSON_AddArrayToObject(root, "events");
        cJSON *msgs = cJSON_AddArrayToObject(root, "messages");
        t = t && *t ? t : NULL;
        rc = ev && msgs ? tt_db_rejected_each(h->db, t, LIST_LIMIT, rejected_row, ev)
                        : TT_ERR_NOMEM;
        if (rc == TT_OK)
            rc = tt_db_badmsgs_each(h->db, t, LIST_LIMIT, badmsg_row, msgs);
    } else if (tt_reportapi_route(url)) {
        cJSON_Delete(root);
        return report(h, c, url, tt_reportapi_get);
    } else if (tt_revolveapi_route(url)) {
        cJSON_Delete(root);
        return report(h, c, url, tt_revolveapi_get);
    } else if (tt_repairapi_route(url)) {
        cJSON_Delete(root);
        return report(h, c, url, tt_repairapi_get);
    } else {
        cJSON_Delete(root);
        return send_error(c, MHD_HTTP_NOT_FOUND, "no such route");
    }
    if (rc != TT_OK) {
        cJSON_Delete(root);
        tt_log_error(h->log, "http %s: %s", url, tt_strerror(rc));
        return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, tt_strerror(rc));
    }
    return send_json(c, MHD_HTTP_OK, root);
}

static const char *query_arg(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

/* The interim write check: "Authorization: Bearer <token>", compared in
 * time independent of where it differs. */
static int authorized(const tt_http_t *h, struct MHD_Connection *c)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    size_t n = strlen(h->token);
    unsigned char diff = 0;
    if (!n || !auth || strncmp(auth, "Bearer ", 7) != 0 || strlen(auth + 7) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(auth[7 + i] ^ h->token[i]);
    return diff == 0;
}

static enum MHD_Result workflow(tt_http_t *h, struct MHD_Connection *c, const char *url,
                                const char *method, request_t *rq)
{
    tt_wfhttp_req_t req = {method, url, rq->body, rq->len, query_arg, c, tt_clock_wall_ms()};
    cJSON *out = NULL;
    unsigned status;

    if (!h->wf)
        return send_error(c, MHD_HTTP_NOT_FOUND, "the workflow engine is not configured");
    if (rq->too_big)
        return send_error(c, 413, "request body larger than 1 MiB");
    status = tt_wfhttp_handle(h->wf, &req, &out);
    if (status >= 500)
        tt_log_error(h->log, "http %s %s: %d", method, url, (int)status);
    rq->status = status;
    if (out && status < 400 && strcmp(method, "POST") == 0)
        rq->summary = cJSON_PrintUnformatted(out);
    return send_json(c, status, out);
}

/* The office's documents (office.h): JSON in, JSON out, one transaction. */
static enum MHD_Result office(tt_http_t *h, struct MHD_Connection *c, const char *url,
                              request_t *rq)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    char *reply = NULL;
    int status = 500;

    if (rq->too_big)
        return send_error(c, 413, "request body larger than 1 MiB");
    if (tt_office_post(h->office, url, rq->body ? rq->body : "", rq->len, tt_clock_wall_ms(),
                       &status, &reply) != TT_OK)
        return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    if (status >= 400)
        tt_log_warn(h->log, "http POST %s refused (%d): %s", url, status, reply);
    rq->status = (unsigned)status;
    if (status < 400)
        rq->summary = strdup(reply);
    r = MHD_create_response_from_buffer(strlen(reply), reply, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(reply);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static unsigned refuse(char *reason, size_t rlen, unsigned status, const char *msg)
{
    snprintf(reason, rlen, "%s", msg);
    return status;
}

static int json_content(struct MHD_Connection *c)
{
    const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    return t && strncasecmp(t, "application/json", 16) == 0 && (!t[16] || t[16] == ';');
}

/* Who asks: the service token (Authorization: Bearer), else the session of
 * the tt_session cookie, else nobody.  Returns 0, or 401 for a bearer token
 * that is not the service's (a wrong credential is never taken as none). */
static unsigned identify(tt_http_t *h, struct MHD_Connection *c, request_t *rq, char *reason,
                         size_t rlen)
{
    const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "tt_session");
    tt_err_t rc;
    if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization")) {
        if (!authorized(h, c))
            return refuse(reason, rlen, MHD_HTTP_UNAUTHORIZED,
                          "Authorization: Bearer needs the configured service token");
        rq->service = 1;
        snprintf(rq->actor, sizeof rq->actor, "service");
        return 0;
    }
    if (!cookie)
        return 0;
    rc = tt_users_session(h->users, cookie, tt_clock_wall_ms(), &rq->session);
    if (rc == TT_OK)
        snprintf(rq->actor, sizeof rq->actor, "%s", rq->session.user.name);
    else if (rc != TT_ERR_NOTFOUND)
        tt_log_error(h->log, "http: sessions: %s", tt_strerror(rc));
    return 0;
}

/* A query argument the signed-in person must have as given: absent, it is
 * added (pointing at `keep`, valid for the request); present, it must be
 * `want`.  Returns 0 or 403. */
static unsigned force_arg(struct MHD_Connection *c, const char *name, const char *want,
                          char *keep, size_t cap, char *reason, size_t rlen)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
    if (v && strcmp(v, want) != 0) {
        snprintf(reason, rlen, "%s: you are signed in as %s '%s'", name,
                 strcmp(name, "unit") == 0 ? "a user of unit" : "user", want);
        return MHD_HTTP_FORBIDDEN;
    }
    if (!v) {
        snprintf(keep, cap, "%s", want);
        if (MHD_set_connection_value(c, MHD_GET_ARGUMENT_KIND, name, keep) != MHD_YES)
            return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    return 0;
}

/* The rules for a signed-in person (not the service token): the unit scope
 * and the acting person of the route (docs/api.md, "Who acts"). */
static unsigned narrow(tt_http_t *h, struct MHD_Connection *c, const tt_access_route_t *r,
                       request_t *rq, char *reason, size_t rlen)
{
    const tt_users_user_t *u = &rq->session.user;
    const char *wh, *role;
    char wunit[TT_USERS_UNIT_MAX + 1], *bound = NULL;
    unsigned status = 0;
    tt_err_t rc;

    if (u->unit[0]) {
        switch (r->scope) {
        case TT_ACCESS_SCOPE_DENY:
            return refuse(reason, rlen, MHD_HTTP_FORBIDDEN,
                          "this route spans units: not for a user kept to one unit");
        case TT_ACCESS_SCOPE_UNIT:
            status = force_arg(c, "unit", u->unit, rq->inject_unit, sizeof rq->inject_unit,
                               reason, rlen);
            break;
        case TT_ACCESS_SCOPE_WAREHOUSE:
            wh = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "warehouse");
            rc = wh ? tt_users_warehouse_unit(h->users, wh, wunit) : TT_ERR_NOTFOUND;
            if (rc == TT_ERR_DB)
                return refuse(reason, rlen, MHD_HTTP_INTERNAL_SERVER_ERROR, "store failure");
            if (rc != TT_OK || strcmp(wunit, u->unit) != 0)
                snprintf(reason, rlen, "warehouse: one of unit %s's warehouses is required",
                         u->unit);
            if (rc != TT_OK || strcmp(wunit, u->unit) != 0)
                return MHD_HTTP_FORBIDDEN;
            break;
        case TT_ACCESS_SCOPE_NONE:
            break;
        }
    }
    if (status || r->id_where == TT_ACCESS_ID_NONE)
        return status;
    if (r->id_where == TT_ACCESS_ID_QUERY) {
        status = force_arg(c, r->id_field, u->name, rq->inject_user, sizeof rq->inject_user,
                           reason, rlen);
        role = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "role");
        if (!status && role && role[0] && !tt_sessionapi_has_wf_role(u, role))
            status = refuse(reason, rlen, MHD_HTTP_FORBIDDEN,
                            "role: not one of your workflow roles");
        return status;
    }
    if (rq->too_big)
        return 0;   /* refused as too big by the route */
    rc = tt_sessionapi_bind_body(rq->body, rq->len, r->id_field,
                                 strncmp(r->path, TT_WFHTTP_PREFIX,
                                         strlen(TT_WFHTTP_PREFIX)) == 0,
                                 u, &bound, reason, rlen);
    if (rc != TT_OK)
        return rc == TT_ERR_DENIED ? MHD_HTTP_FORBIDDEN
               : rc == TT_ERR_PARSE ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_INTERNAL_SERVER_ERROR;
    free(rq->body);
    rq->body = bound;
    rq->len = strlen(bound);
    return 0;
}

/* Sets (id non-empty) or clears the session and CSRF cookies. */
static void set_cookies(const tt_http_t *h, struct MHD_Response *r, const char *id,
                        const char *csrf)
{
    char line[256];
    long long age = id[0] ? h->session_max_s : 0;
    const char *secure = h->secure_cookies ? "; Secure" : "";
    snprintf(line, sizeof line, "tt_session=%s; Path=/; Max-Age=%lld; HttpOnly;"
             " SameSite=Strict%s", id, age, secure);
    MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, line);
    /* Readable by the pages, which send it back as X-CSRF-Token. */
    snprintf(line, sizeof line, "tt_csrf=%s; Path=/; Max-Age=%lld; SameSite=Strict%s", csrf, age,
             secure);
    MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, line);
}

static const char *client_addr(struct MHD_Connection *c, char *buf, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr_in *sa = ci ? (const struct sockaddr_in *)ci->client_addr : NULL;
    if (!sa || sa->sin_family != AF_INET || !inet_ntop(AF_INET, &sa->sin_addr, buf, (socklen_t)len))
        snprintf(buf, len, "unknown");
    return buf;
}

/* Signing in and out, users, audit (sessionapi.h). */
static enum MHD_Result session_route(tt_http_t *h, struct MHD_Connection *c, const char *url,
                                     const char *method, request_t *rq)
{
    char addr[64], *text;
    tt_sessionapi_req_t req = {method, url, rq->body, rq->len, client_addr(c, addr, sizeof addr),
                               rq->session.id[0] ? &rq->session : NULL, rq->actor, query_arg,
                               c, tt_clock_wall_ms()};
    tt_sessionapi_reply_t rep;
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (rq->too_big)
        return send_error(c, 413, "request body larger than 1 MiB");
    if (tt_sessionapi_handle(h->users, &req, &rep) != TT_OK || !rep.body) {
        cJSON_Delete(rep.body);
        return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    rq->status = rep.status;
    if (rep.started.id[0])   /* the person acting is the one signing in */
        snprintf(rq->actor, sizeof rq->actor, "%s", rep.started.user.name);
    rq->summary = rep.summary[0] ? strdup(rep.summary) : NULL;
    text = cJSON_PrintUnformatted(rep.body);
    cJSON_Delete(rep.body);
    r = text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (rep.started.id[0])
        set_cookies(h, r, rep.started.id, rep.started.csrf);
    else if (rep.ended)
        set_cookies(h, r, "", "");
    if (rep.retry_after_s) {
        char after[24];
        snprintf(after, sizeof after, "%lld", (long long)rep.retry_after_s);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, after);
    }
    ret = MHD_queue_response(c, rep.status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The overview page (overview.h). */
static enum MHD_Result overview(tt_http_t *h, struct MHD_Connection *c, const char *url)
{
    const char *unit = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "unit");
    cJSON *out = NULL;
    tt_err_t rc = tt_overview_build(h->db, unit, tt_clock_wall_ms(), &out);
    if (rc != TT_OK) {
        tt_log_error(h->log, "http %s: %s", url, tt_strerror(rc));
        return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, tt_strerror(rc));
    }
    return send_json(c, MHD_HTTP_OK, out);
}

/* Routes a request that passed the checks of api(). */
static enum MHD_Result dispatch(tt_http_t *h, struct MHD_Connection *c, const char *url,
                                const char *method, request_t *rq)
{
    enum MHD_Result ret;
    if (tt_sessionapi_route(url))
        ret = session_route(h, c, url, method, rq);
    else if (strcmp(url, "/api/v1/overview") == 0)
        ret = overview(h, c, url);
    else if (strncmp(url, TT_WFHTTP_PREFIX, strlen(TT_WFHTTP_PREFIX)) == 0 &&
        (strcmp(method, "GET") == 0 || strcmp(method, "POST") == 0))
        ret = workflow(h, c, url, method, rq);
    else if (strcmp(method, "POST") == 0 && tt_office_route(url))
        ret = office(h, c, url, rq);
    else if (strcmp(method, "POST") == 0)
        ret = send_error(c, MHD_HTTP_NOT_FOUND, "no such route");
    else if (strcmp(method, "GET") != 0)
        ret = send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and POST are served");
    else
        ret = route(h, c, url);
    return ret;
}

/* Everything under /api/: who asks, may they, narrowed how, then dispatch
 * and, for a change that succeeded, the audit record. */
static enum MHD_Result api(tt_http_t *h, struct MHD_Connection *c, const char *url,
                           const char *method, request_t *rq)
{
    int known = 0, post = strcmp(method, "POST") == 0;
    const tt_access_route_t *r = tt_access_find(method, url, &known);
    char reason[256] = "";
    enum MHD_Result ret;
    unsigned status;

    if (!r)
        return known ? send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed here")
                     : send_error(c, MHD_HTTP_NOT_FOUND, "no such route");
    status = identify(h, c, rq, reason, sizeof reason);
    if (!status && !(r->roles & TT_ACCESS_PUBLIC) && !rq->actor[0])
        status = refuse(reason, sizeof reason, MHD_HTTP_UNAUTHORIZED, "sign in first");
    if (!status && !tt_access_allowed(r, rq->service ? TT_ACCESS_ADMIN : rq->session.user.role))
        status = refuse(reason, sizeof reason, MHD_HTTP_FORBIDDEN,
                        "your role may not use this route");
    /* A session's change needs its CSRF token (the cookie alone could come
     * from another site's page); the service token is no cookie. */
    if (!status && post && rq->session.id[0] &&
        !tt_users_token_equal(rq->session.csrf,
                              MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token")))
        status = refuse(reason, sizeof reason, MHD_HTTP_FORBIDDEN,
                        "missing or wrong X-CSRF-Token");
    /* Signing in has no session yet: a JSON content type keeps plain HTML
     * forms of other sites out (they cannot send one). */
    if (!status && post && (r->roles & TT_ACCESS_PUBLIC) && !json_content(c))
        status = refuse(reason, sizeof reason, 415, "send Content-Type: application/json");
    if (!status && rq->session.id[0])
        status = narrow(h, c, r, rq, reason, sizeof reason);
    if (status) {
        if (status == MHD_HTTP_UNAUTHORIZED || status == MHD_HTTP_FORBIDDEN)
            tt_log_warn(h->log, "http %s %s by '%s': %d %s", method, url, rq->actor,
                        (int)status, reason);
        return send_error(c, status, reason);
    }
    rq->status = 0;
    ret = dispatch(h, c, url, method, rq);
    if (post && rq->status >= 200 && rq->status < 300 &&
        tt_users_audit(h->users, rq->actor, method, url, (int)rq->status,
                       rq->summary ? rq->summary : "", tt_clock_wall_ms()) != TT_OK)
        tt_log_error(h->log, "audit record of %s %s by %s not written", method, url, rq->actor);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    tt_http_t *h = cls;
    request_t *rq = *con_cls;
    enum MHD_Result ret;
    (void)version;

    /* The first call only announces the request; answer after the body. */
    if (rq == NULL) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        if (rq->too_big || rq->len + *upload_size > BODY_MAX) {
            rq->too_big = 1;
        } else {
            char *grown = realloc(rq->body, rq->len + *upload_size + 1);
            if (!grown)
                return MHD_NO;
            memcpy(grown + rq->len, upload, *upload_size);
            rq->body = grown;
            rq->len += *upload_size;
            rq->body[rq->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (strncmp(url, "/api/", 5) != 0)
        return tt_webfiles_serve(h->web_dir, c, url, method);
    pthread_mutex_lock(&h->lock);
    ret = api(h, c, url, method, rq);
    pthread_mutex_unlock(&h->lock);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode why)
{
    request_t *rq = *con_cls;
    (void)cls;
    (void)c;
    (void)why;
    if (rq) {
        free(rq->body);
        free(rq->summary);
        free(rq);
        *con_cls = NULL;
    }
}

/* Opens the workflow service on a writable handle of this thread's own. */
static tt_err_t start_workflow(tt_http_t *h, const char *db_path, const tt_http_workflow_t *wf,
                               char *err, size_t errlen)
{
    tt_err_t rc;
    if (!wf || !wf->dir || !wf->dir[0])
        return TT_OK;
    rc = tt_db_open_tool(db_path, &h->wfdb, err, errlen);
    if (rc == TT_OK)
        rc = tt_wfsvc_open(h->wfdb, wf->dir, wf->timezone, &h->wf, err, errlen);
    return rc;
}

/* Opens users and sessions on a writable handle of this thread's own. */
static tt_err_t start_users(tt_http_t *h, const char *db_path, const tt_http_web_t *web,
                            char *err, size_t errlen)
{
    tt_users_conf_t uc;
    tt_err_t rc;
    memset(&uc, 0, sizeof uc);
    h->web_dir = strdup(web && web->web_dir ? web->web_dir : "");
    h->secure_cookies = web ? web->secure_cookies : 1;
    uc.idle_ms = web ? web->session_idle_s * 1000 : 0;
    uc.max_ms = web ? web->session_max_s * 1000 : 0;
    h->session_max_s = uc.max_ms ? uc.max_ms / 1000 : TT_USERS_MAX_MS / 1000;
    if (!h->web_dir)
        return TT_ERR_NOMEM;
    rc = tt_db_open_tool(db_path, &h->udb, err, errlen);
    if (rc == TT_OK)
        rc = tt_users_open(h->udb, &uc, &h->users, err, errlen);
    return rc;
}

tt_err_t tt_http_start(const char *bind_addr, int port, const char *db_path, const char *token,
                       const tt_http_workflow_t *wf, const tt_http_web_t *web, tt_log_t *log,
                       tt_http_t **out, char *err, size_t errlen)
{
    struct sockaddr_in sa;
    const union MHD_DaemonInfo *info;
    tt_http_t *h;
    tt_err_t rc;

    *out = NULL;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
        snprintf(err, errlen, "http: bind address '%s' is not an IPv4 address", bind_addr);
        return TT_ERR_INVAL;
    }
    h = calloc(1, sizeof *h);
    if (!h)
        return TT_ERR_NOMEM;
    pthread_mutex_init(&h->lock, NULL);
    h->log = log;
    h->token = strdup(token ? token : "");
    rc = h->token ? tt_db_open(db_path, 1, &h->db, err, errlen) : TT_ERR_NOMEM;
    if (rc == TT_OK)
        rc = tt_office_open(db_path, &h->office, err, errlen);
    if (rc == TT_OK)
        rc = start_workflow(h, db_path, wf, err, errlen);
    if (rc == TT_OK)
        rc = start_users(h, db_path, web, err, errlen);
    if (rc != TT_OK) {
        tt_http_stop(h);
        return rc;
    }
    h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                              (uint16_t)port, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, &sa,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                              MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!h->mhd) {
        snprintf(err, errlen, "http: cannot listen on %s:%d", bind_addr, port);
        tt_http_stop(h);
        return TT_ERR_IO;
    }
    info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : port;
    *out = h;
    return TT_OK;
}

int tt_http_port(const tt_http_t *h)
{
    return h->port;
}

void tt_http_stop(tt_http_t *h)
{
    if (!h)
        return;
    if (h->mhd)
        MHD_stop_daemon(h->mhd);
    tt_office_close(h->office);
    tt_wfsvc_close(h->wf);
    tt_db_close(h->wfdb);
    tt_users_close(h->users);
    tt_db_close(h->udb);
    free(h->web_dir);
    free(h->token);
    tt_db_close(h->db);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
