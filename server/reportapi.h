/*
 * reportapi: the report routes of tagtrail-server's HTTP API (GET; docs/api.md,
 * "Reports"): the issuance ledger and its statistics, the safety-expense
 * report and its drill-down, expense tags, the old-item assessment and
 * recovery, work-area stock and lots, and the exceptions.
 *
 * Query parameters are checked strictly (an unknown or repeated parameter, or
 * a bad value, is a 400 naming it); the reports come from server/report.h
 * and are rendered as JSON (money and quantities as decimal strings), or as
 * a CSV or XLSX download (server/export.h) with the same filters.  There is
 * no HTTP library here: http.c hands over the path and the parameters and
 * sends the reply it gets back, so the routes can be tested without a socket.
 */
#ifndef TT_REPORTAPI_H
#define TT_REPORTAPI_H

#include <stddef.h>

#include "db.h"
#include "err.h"

#define TT_REPORTAPI_PARAMS_MAX 32    /* query parameters of one request */
#define TT_REPORTAPI_JSON_LIMIT 100   /* default rows of a JSON page (at most 500) */
#define TT_REPORTAPI_EXPORT_MAX 100000u   /* rows of one CSV or XLSX download */

/* One query parameter as the request had it (borrowed). */
typedef struct {
    const char *key, *value;
} tt_reportapi_param_t;

/* What to answer.  body (len bytes) is owned by the caller (free()). */
typedef struct {
    unsigned status;               /* HTTP status: 200, 400, 404 or 500 */
    char *body;
    size_t len;
    const char *content_type;      /* static */
    char filename[96];             /* a download's name (Content-Disposition: attachment); "" for JSON */
    char next[96];                 /* a download cut at its limit: the `after` to go on with; "" */
} tt_reportapi_reply_t;

/* Non-zero when `path` is one of the report routes. */
int tt_reportapi_route(const char *path);

/* Answers GET `path` with params[0 .. n-1] from `db` (read-only is enough;
 * the caller holds it for the call).  XLSX is built in `tmpdir` (a writable
 * directory).  Returns TT_OK whenever *reply was made, whatever its status
 * (the body is {"error": "..."} for 400, 404 and 500); TT_ERR_NOMEM when none
 * could be. */
tt_err_t tt_reportapi_get(tt_db_t *db, const char *path, const tt_reportapi_param_t *params,
                          size_t n, const char *tmpdir, tt_reportapi_reply_t *reply);

#endif
