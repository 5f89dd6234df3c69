/*
 * http: tagtrail-server's HTTP API (libmicrohttpd), JSON under /api/v1/.
 *
 * Runs in libmicrohttpd's own thread with its own read-only db handle, so a
 * slow reader never holds up ingest.  Routes are listed in docs/api.md.
 *
 * Writes (the office's documents, server/office.h, and the workflow routes,
 * server/wfhttp.h) go through writable handles of the same thread.
 *
 * Every request under /api/ is checked here, before any handler runs:
 * who asks (a session cookie, server/users.h, or the service token), whether
 * the route allows their role, how a unit-scoped user is narrowed
 * (server/access.h), the CSRF token of a session's POST, and that a body
 * naming the acting person names the signed-in one (injected when absent).
 * Every successful POST is written to the audit record.  Other paths are
 * the web office's static pages (server/webfiles.h).
 */
#ifndef TT_HTTP_H
#define TT_HTTP_H

#include <stddef.h>

#include "err.h"
#include "log.h"

typedef struct tt_http tt_http_t;

/* The workflow engine's settings; dir NULL or "" leaves it off (its routes
 * answer 404). */
typedef struct {
    const char *dir;          /* calendars/ and roles.yaml */
    const char *timezone;     /* the site's */
} tt_http_workflow_t;

/* The web office's settings (docs/operations.md, "The web office"). */
typedef struct {
    const char *web_dir;      /* its pages; NULL or "": no page is served (the API still is) */
    int secure_cookies;       /* mark the session cookie Secure (behind HTTPS) */
    long long session_idle_s; /* session lifetimes; 0: users.h's defaults */
    long long session_max_s;
} tt_http_web_t;

/* Starts serving on bind_addr:port (port 0: any free port, see
 * tt_http_port) against the database at db_path, with the workflow engine
 * when wf (may be NULL) names its folder and the web office's pages from
 * web (may be NULL: none).  Every /api/v1/ route but health and sign-in
 * needs a session (cookie, and X-CSRF-Token on POST) or `Authorization:
 * Bearer <token>` (the service credential; token NULL or "" accepts none);
 * each route's roles and scope are access.h's.  On TT_OK *out is owned by
 * the caller (tt_http_stop).  Returns TT_ERR_INVAL (bad address), TT_ERR_DB,
 * TT_ERR_CONFIG (the workflow folder), TT_ERR_IO or TT_ERR_NOMEM with a
 * reason in err. */
tt_err_t tt_http_start(const char *bind_addr, int port, const char *db_path, const char *token,
                       const tt_http_workflow_t *wf, const tt_http_web_t *web, tt_log_t *log,
                       tt_http_t **out, char *err, size_t errlen);

/* The port actually listened on. */
int tt_http_port(const tt_http_t *h);

/* Stops serving and frees; NULL is accepted. */
void tt_http_stop(tt_http_t *h);

#endif
