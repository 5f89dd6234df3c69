/*
 * repairapi: the equipment and repair routes of tagtrail-server's HTTP API
 * (GET; docs/api.md, "Equipment and repair"): the register by state and
 * unit, the equipment archive, repair cycle times per stage and repair
 * costs against standard and quota, from server/repair.h.
 *
 * Like reportapi: query parameters are checked strictly (an unknown or
 * repeated parameter, or a bad value, is a 400 naming it); every route
 * answers JSON, or a CSV or XLSX download (server/export.h) with
 * format=csv|xlsx, headers in lang=zh (default) or en.  No HTTP library
 * here: http.c hands over the path and the parameters and sends the reply.
 */
#ifndef TT_REPAIRAPI_H
#define TT_REPAIRAPI_H

#include <stddef.h>

#include "db.h"
#include "err.h"
#include "reportapi.h"

/* Non-zero when `path` is one of the routes here. */
int tt_repairapi_route(const char *path);

/* Answers GET `path` with params[0 .. n-1] from `db` (read-only is enough;
 * the caller holds it for the call).  XLSX is built in `tmpdir`.  Returns
 * TT_OK whenever *reply was made, whatever its status (200; 400 bad
 * parameter; 404 unknown route; 500 store failure, the body
 * {"error": "..."}), with reply->body owned by the caller (free());
 * TT_ERR_NOMEM when none could be. */
tt_err_t tt_repairapi_get(tt_db_t *db, const char *path, const tt_reportapi_param_t *params,
                          size_t n, const char *tmpdir, tt_reportapi_reply_t *reply);

#endif
