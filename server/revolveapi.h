/*
 * revolveapi: the revolving materials' read routes of the HTTP API
 * (docs/api.md, "Revolving materials"): GET /api/v1/revolving/reconcile
 * (对账: the general ledger against the units' sub-ledgers and what is in
 * transit, per model) and GET /api/v1/revolving/daily (日报 over days
 * from..to), each as JSON, CSV or XLSX like the reports (server/export.h),
 * from server/revolve.h's read side.  No HTTP here: the reply has
 * reportapi.h's shape, and http.c sends it the same way.
 */
#ifndef TT_REVOLVEAPI_H
#define TT_REVOLVEAPI_H

#include <stddef.h>

#include "db.h"
#include "err.h"
#include "reportapi.h"

/* Non-zero when `path` is one of these routes. */
int tt_revolveapi_route(const char *path);

/* Answers GET `path` with params[0 .. n-1] (format, lang, model; daily also
 * from and to, YYYY-MM-DD, required, from <= to) from `db` (read-only is
 * enough), XLSX built in tmpdir.  Parameters are checked as the reports'
 * are (an unknown, repeated or malformed one is a 400 naming it).  Returns
 * TT_OK whenever *reply was made, whatever its status; TT_ERR_NOMEM when
 * none could be. */
tt_err_t tt_revolveapi_get(tt_db_t *db, const char *path, const tt_reportapi_param_t *params,
                           size_t n, const char *tmpdir, tt_reportapi_reply_t *reply);

#endif
