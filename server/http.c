#include "http.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "db.h"
#include "office.h"
#include "reportapi.h"
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
    tt_office_t *office;     /* office documents; NULL when writes are off */
    char *token;             /* "" refuses every write */
};

/* A request's POST body, gathered across libmicrohttpd's calls. */
typedef struct {
    char *body;
    size_t len;
    int too_big;
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

/* The report routes (reportapi.h): JSON, or a CSV / XLSX download. */
static enum MHD_Result report(tt_http_t *h, struct MHD_Connection *c, const char *url)
{
    params_t ps;
    tt_reportapi_reply_t rep;
    struct MHD_Response *r;
    enum MHD_Result ret;
    const char *tmp = getenv("TMPDIR");
    char disp[160];

    ps.n = 0;
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_param, &ps);
    if (tt_reportapi_get(h->db, url, ps.p, ps.n, tmp && *tmp ? tmp : P_tmpdir, &rep) != TT_OK)
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
        return report(h, c, url);
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
                                const char *method, const request_t *rq)
{
    tt_wfhttp_req_t req = {method, url, rq->body, rq->len, query_arg, c, tt_clock_wall_ms()};
    cJSON *out = NULL;
    unsigned status;

    if (!h->wf)
        return send_error(c, MHD_HTTP_NOT_FOUND, "the workflow engine is not configured");
    if (strcmp(method, "POST") == 0 && !h->token[0])
        return send_error(c, MHD_HTTP_FORBIDDEN,
                          "writes are off: the server has no http.token_file");
    if (strcmp(method, "POST") == 0 && !authorized(h, c))
        return send_error(c, MHD_HTTP_UNAUTHORIZED,
                          "a write needs Authorization: Bearer <the configured token>");
    if (rq->too_big)
        return send_error(c, 413, "request body larger than 1 MiB");
    status = tt_wfhttp_handle(h->wf, &req, &out);
    if (status >= 500)
        tt_log_error(h->log, "http %s %s: %d", method, url, (int)status);
    return send_json(c, status, out);
}

/* The office's documents (office.h): JSON in, JSON out, one transaction. */
static enum MHD_Result office(tt_http_t *h, struct MHD_Connection *c, const char *url,
                              const request_t *rq)
{
    struct MHD_Response *r;
    enum MHD_Result ret;
    char *reply = NULL;
    int status = 500;

    if (!h->office)
        return send_error(c, MHD_HTTP_FORBIDDEN,
                          "writes are off: the server has no http.token_file");
    if (!authorized(h, c))
        return send_error(c, MHD_HTTP_UNAUTHORIZED,
                          "a write needs Authorization: Bearer <the configured token>");
    if (rq->too_big)
        return send_error(c, 413, "request body larger than 1 MiB");
    if (tt_office_post(h->office, url, rq->body ? rq->body : "", rq->len, tt_clock_wall_ms(),
                       &status, &reply) != TT_OK)
        return send_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    if (status >= 400)
        tt_log_warn(h->log, "http POST %s refused (%d): %s", url, status, reply);
    r = MHD_create_response_from_buffer(strlen(reply), reply, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(reply);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
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
    pthread_mutex_lock(&h->lock);
    if (strncmp(url, TT_WFHTTP_PREFIX, strlen(TT_WFHTTP_PREFIX)) == 0 &&
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

tt_err_t tt_http_start(const char *bind_addr, int port, const char *db_path, const char *token,
                       const tt_http_workflow_t *wf, tt_log_t *log, tt_http_t **out, char *err,
                       size_t errlen)
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
    if (rc == TT_OK && h->token[0])
        rc = tt_office_open(db_path, &h->office, err, errlen);
    if (rc == TT_OK)
        rc = start_workflow(h, db_path, wf, err, errlen);
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
    free(h->token);
    tt_db_close(h->db);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
