/*
 * equipview: the equipment register as the web office reads it, until the
 * repair routes (equipment states and repair records) arrive: the register
 * (docs/api.md, "GET /api/v1/equipment") and one asset's archive, which is
 * its register row and every equipment step the terminals journaled for it
 * ("GET /api/v1/equipment/archive").  A store module reading through a
 * read-only handle.
 */
#ifndef TT_EQUIPVIEW_H
#define TT_EQUIPVIEW_H

#include <cjson/cJSON.h>

#include "db.h"
#include "err.h"

/* The register (unit NULL or "": all), by asset, each with its latest
 * journaled step and result, into *out {"rows": [...]}, owned by the
 * caller.  Returns TT_OK, TT_ERR_NOMEM or TT_ERR_DB. */
tt_err_t tt_equipview_register(tt_db_t *db, const char *unit, cJSON **out);

/* Asset `asset`'s archive into *out {"asset": {...}, "steps": [...]} (steps
 * oldest first).  With unit (not NULL or ""), an asset of another unit is
 * TT_ERR_DENIED.  Returns TT_OK, TT_ERR_NOTFOUND, TT_ERR_DENIED,
 * TT_ERR_NOMEM or TT_ERR_DB. */
tt_err_t tt_equipview_archive(tt_db_t *db, const char *asset, const char *unit, cJSON **out);

#endif
