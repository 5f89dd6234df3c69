/*
 * assetview: the terminal's offline view of equipment states (设备状态),
 * kept in the outbox's database beside the master data, so that the repair
 * bay shows an asset's state and last steps before anyone acts, online or
 * not (docs/protocol.md, "Asset states"; docs/repair.md).
 *
 * The view is the server's last row of the asset (state, unit, last steps,
 * and through which of this terminal's own events it was read: `applied`)
 * plus this terminal's own equipment events after that, not refused by the
 * server, run through the shared rule table (shared/assets.h): so a step
 * committed here shows at once (marked pending), and nothing is counted
 * twice once the server's row includes it.  An asset without a server row
 * starts from its register row (in use at its unit, or registered).
 *
 * A store module of tagtrail-edge over the outbox's SQLite connection
 * (tt_outbox_sqlite); its tables are tt_assetview_schema, one migration of
 * outbox.c.  One thread uses a handle.
 */
#ifndef TT_ASSETVIEW_H
#define TT_ASSETVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "assets.h"
#include "err.h"
#include "outbox.h"

/* The tables a_state and a_step, the state version and the index of this
 * terminal's equipment events by asset: one entry of outbox.c's
 * migrations. */
extern const char tt_assetview_schema[];

typedef struct tt_assetview tt_assetview_t;

/* Prepares the statements on the outbox's connection (ob borrowed: close
 * the view first).  On TT_OK *out is owned by the caller
 * (tt_assetview_close).  Returns TT_ERR_NOMEM or TT_ERR_DB. */
tt_err_t tt_assetview_open(tt_outbox_t *ob, tt_assetview_t **out);

/* Closes; NULL is accepted. */
void tt_assetview_close(tt_assetview_t *av);

/* The server's state version the view holds (0: none yet): what the next
 * request asks from. */
uint64_t tt_assetview_version(const tt_assetview_t *av);

/* Stores a page in one transaction: each row replaces the asset's row and
 * steps, remembering the page's `applied`; a last page's `to` becomes the
 * held version (also when lower: the server started over).  The page is
 * only read.  Returns TT_OK, TT_ERR_FULL or TT_ERR_DB (nothing kept). */
tt_err_t tt_assetview_apply(tt_assetview_t *av, const tt_assets_page_t *page);

/* The view of asset `asset` (its number) into *out: state, unit and the
 * last TT_ASSETS_STEPS_MAX steps, newest first, this terminal's own not
 * yet confirmed ones marked pending.  Returns TT_OK, TT_ERR_NOTFOUND (no
 * server row and not in the register copy) or TT_ERR_DB. */
tt_err_t tt_assetview_get(tt_assetview_t *av, const char *asset, tt_assets_row_t *out);

#endif
