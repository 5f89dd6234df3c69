/*
 * overview: the figures of the web office's first page (docs/api.md,
 * "GET /api/v1/overview"): stock value, today's receipts and issues, open
 * exceptions, terminals offline, workflow tasks waiting, the newest terminal
 * events (so the office sees scans arrive) and a 30-day trend of receipts
 * and issues.  A store module: its SQL reads the ledger, the journal and the
 * workflow tables through a read-only handle.
 */
#ifndef TT_OVERVIEW_H
#define TT_OVERVIEW_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

#define TT_OVERVIEW_DAYS 30     /* days of the trend, today included */
#define TT_OVERVIEW_RECENT 10   /* newest terminal events listed */

/* Builds the overview at server time now_ms (the site's day from the
 * process's time zone) into *out (owned by the caller, cJSON_Delete).  unit
 * (NULL or "": the whole site) narrows stock and receipts to the unit's
 * warehouses and issues to the unit; exceptions, terminals, tasks and
 * recent events are the site's.  Returns TT_OK, TT_ERR_NOMEM or TT_ERR_DB
 * (*out NULL). */
tt_err_t tt_overview_build(tt_db_t *db, const char *unit, int64_t now_ms, cJSON **out);

#endif
