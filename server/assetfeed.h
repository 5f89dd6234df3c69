/*
 * assetfeed: the equipment states terminals keep offline (docs/protocol.md,
 * "Asset states"), a read-only store module of tagtrail-server: its SQL
 * reads the repair module's tables (equipment_state, repair_doc; written by
 * server/repair.c) over the connection of a tt_db_t.
 *
 * A terminal asks for the states whose version is above the one it holds;
 * a row's version is the id of the document that last set its state, so
 * versions only grow and a page in version order never misses a change: a
 * row changed while a terminal pages moves behind the cursor and comes
 * again.  Assets no document has moved are not sent: a terminal derives
 * their state from its copy of the register (shared/assets.h,
 * tt_assets_initial), as the server does.
 *
 * A handle is used by one thread at a time; read inside the caller's
 * transaction so that a page is one consistent state.
 */
#ifndef TT_ASSETFEED_H
#define TT_ASSETFEED_H

#include <stddef.h>
#include <stdint.h>

#include "assets.h"
#include "db.h"
#include "err.h"

typedef struct tt_assetfeed tt_assetfeed_t;

/* Prepares the statements on `db` (borrowed; read-only is enough).  On
 * TT_OK *out is owned by the caller (tt_assetfeed_close).  Returns
 * TT_ERR_NOMEM or TT_ERR_DB. */
tt_err_t tt_assetfeed_open(tt_db_t *db, tt_assetfeed_t **out);

/* Closes; NULL is accepted.  Close before the tt_db_t. */
void tt_assetfeed_close(tt_assetfeed_t *f);

/* The rows whose version is above `since`, in version order, at most
 * max_rows (1 .. TT_ASSETS_PAGE_ROWS), each with its last
 * TT_ASSETS_STEPS_MAX steps (intake, appraisal, selfcheck, acceptance,
 * issue documents; newest first).  *out is a new page owned by the caller
 * (tt_assets_page_free): `since` as asked, or 0 when it is beyond every
 * version (the store is older than the terminal's copy: it starts over);
 * `to` the last row's version when more rows follow (`last` 0), else the
 * newest version there is (`last` 1); `applied` 0, the caller's to set.
 * Returns TT_OK, TT_ERR_INVAL (max_rows out of range), TT_ERR_NOMEM or
 * TT_ERR_DB. */
tt_err_t tt_assetfeed_page(tt_assetfeed_t *f, uint64_t since, size_t max_rows,
                           tt_assets_page_t **out);

/* Answers a request of len bytes (tt_assets_req_decode) from a terminal
 * whose watermark is `applied`: one page of at most TT_ASSETS_PAGE_ROWS
 * rows, encoded into *text (owned by the caller, free(); *outlen bytes).
 * Returns TT_OK; TT_ERR_PARSE, TT_ERR_PROTO or TT_ERR_VERSION for a bad
 * request (reason says why: a bad message, not answered); TT_ERR_NOMEM or
 * TT_ERR_DB. */
tt_err_t tt_assetfeed_answer(tt_assetfeed_t *f, const char *req, size_t len, uint64_t applied,
                             char **text, size_t *outlen, char *reason, size_t rlen);

#endif
