/*
 * office: the documents the material office enters from paper (receipts,
 * issues, transfers, stock-backs, old-item returns, exclusions, counts),
 * and its acts on the ledger (closing a month, marking an allocation as
 * used for safety, audit's expense tags, settling an exception), as JSON
 * requests: decoded strictly (unknown fields, wrong types and bad numbers
 * are refused with the field named), then posted to the ledger in one
 * transaction each, with the same validation as terminal events.
 *
 * There is no HTTP here: http.c hands over the route and the body, and the
 * command line sends the same JSON through it.  Routes and payloads are in
 * docs/api.md ("Office documents").  The handle owns its own writable
 * database connection (opened like a tool beside the running server), so
 * an office request waits for an ingest round, never the reverse for long.
 */
#ifndef TT_OFFICE_H
#define TT_OFFICE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct tt_office tt_office_t;

/* Opens the office over the database at db_path (migrated by the server).
 * On TT_OK *out is owned by the caller (tt_office_close).  Returns
 * TT_ERR_NOMEM, TT_ERR_DB or TT_ERR_VERSION with a reason in err. */
tt_err_t tt_office_open(const char *db_path, tt_office_t **out, char *err, size_t errlen);

/* Closes; NULL is accepted. */
void tt_office_close(tt_office_t *o);

/* Non-zero when `route` (a URL path) is one of the office's POST routes. */
int tt_office_route(const char *route);

/* Handles a POST of body[len] (JSON, not NUL-terminated) to `route` at
 * server time now_ms.  *status gets the HTTP status to answer (201 done;
 * 400 malformed or invalid; 404 unknown route or referenced row; 409
 * refused by the ledger: beyond stock, closed period, already done; 507
 * disk full; 500 store failure) and *reply a JSON object to send, owned by
 * the caller (free()): the result, or {"error": reason}.  Returns TT_OK
 * whenever a reply was made (whatever the status), TT_ERR_NOMEM when none
 * could be. */
tt_err_t tt_office_post(tt_office_t *o, const char *route, const char *body, size_t len,
                        int64_t now_ms, int *status, char **reply);

#endif
