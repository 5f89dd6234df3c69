/*
 * http: tagtrail-server's HTTP API (libmicrohttpd), JSON under /api/v1/.
 *
 * Runs in libmicrohttpd's own thread with its own read-only db handle, so a
 * slow reader never holds up ingest; office documents (POST) go through
 * their own writable handle (server/office.h).  Routes are listed in docs/api.md.
 */
#ifndef TT_HTTP_H
#define TT_HTTP_H

#include <stddef.h>

#include "err.h"
#include "log.h"

typedef struct tt_http tt_http_t;

/* Starts serving on bind_addr:port (port 0: any free port, see
 * tt_http_port) against the database at db_path.  POST routes (the office's
 * documents, server/office.h) need `Authorization: Bearer <token>`; with
 * token NULL or "" every POST is refused (403).  On TT_OK *out is owned by
 * the caller (tt_http_stop).  Returns TT_ERR_INVAL (bad address), TT_ERR_DB
 * or TT_ERR_IO with a reason in err. */
tt_err_t tt_http_start(const char *bind_addr, int port, const char *db_path, const char *token,
                       tt_log_t *log, tt_http_t **out, char *err, size_t errlen);

/* The port actually listened on. */
int tt_http_port(const tt_http_t *h);

/* Stops serving and frees; NULL is accepted. */
void tt_http_stop(tt_http_t *h);

#endif
