/*
 * http: tagtrail-server's HTTP API (libmicrohttpd), JSON under /api/v1/.
 *
 * Runs in libmicrohttpd's own thread with its own read-only db handle, so a
 * slow reader never holds up ingest.  Routes are listed in docs/api.md.
 *
 * Writes (the office's documents, server/office.h, and the workflow routes,
 * server/wfhttp.h) go through writable handles of the same thread.  Until
 * sign-in exists, every POST must carry "Authorization: Bearer <token>" with
 * the token of the server's configuration, and names its acting person
 * itself (docs/decisions.md).
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

/* Starts serving on bind_addr:port (port 0: any free port, see
 * tt_http_port) against the database at db_path, with the workflow engine
 * when wf (may be NULL) names its folder.  POST routes need
 * `Authorization: Bearer <token>`; with token NULL or "" every POST is
 * refused (403).  On TT_OK *out is owned by the caller (tt_http_stop).
 * Returns TT_ERR_INVAL (bad address), TT_ERR_DB, TT_ERR_CONFIG (the workflow
 * folder) or TT_ERR_IO with a reason in err. */
tt_err_t tt_http_start(const char *bind_addr, int port, const char *db_path, const char *token,
                       const tt_http_workflow_t *wf, tt_log_t *log, tt_http_t **out, char *err,
                       size_t errlen);

/* The port actually listened on. */
int tt_http_port(const tt_http_t *h);

/* Stops serving and frees; NULL is accepted. */
void tt_http_stop(tt_http_t *h);

#endif
