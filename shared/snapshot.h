/*
 * snapshot: the server's stock of one warehouse as a terminal asks for it.
 *
 * A terminal keeps the last snapshot of its warehouse and adds its own
 * events that the snapshot did not include yet: that is its local stock
 * view, which lets the counter warn about (or refuse) an issue beyond stock
 * while offline.  The snapshot says through which seq of the asking
 * terminal it includes events, so nothing is counted twice or missed.
 *
 * Request (terminal -> server, tt/v1/t/<terminal>/stock-req, QoS 1):
 *   {"v":1,"warehouse":"CK01"}
 * Reply (server -> terminal, tt/v1/t/<terminal>/stock, QoS 1):
 *   {"v":1,"warehouse":"CK01","applied":123,
 *    "items":[{"item":"6901234567892","qty":"380"}]}
 */
#ifndef TT_SNAPSHOT_H
#define TT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"
#include "money.h"

#define TT_SNAPSHOT_LEAF_REQ "stock-req"
#define TT_SNAPSHOT_LEAF "stock"
#define TT_SNAPSHOT_ITEMS_MAX 50000   /* rows in one snapshot */

typedef struct {
    char item[TT_EVENT_CODE_MAX + 1];
    tt_qty_t qty;
} tt_snapshot_row_t;

typedef struct {
    char warehouse[TT_EVENT_ID_MAX + 1];
    uint64_t applied;            /* the asking terminal's events through this seq are in it */
    size_t count;
    tt_snapshot_row_t *rows;
} tt_snapshot_t;

/* Encodes a request for `warehouse` into buf[len].  Returns TT_OK with
 * *outlen, TT_ERR_INVAL for a bad id, TT_ERR_FULL. */
tt_err_t tt_snapshot_req_encode(const char *warehouse, char *buf, size_t len, size_t *outlen);

/* Decodes a request; the warehouse goes to warehouse[TT_EVENT_ID_MAX + 1].
 * Returns TT_OK, or TT_ERR_PARSE / TT_ERR_PROTO / TT_ERR_VERSION with a reason. */
tt_err_t tt_snapshot_req_decode(const char *buf, size_t len, char *warehouse, char *reason,
                                size_t rlen);

/* Encodes a snapshot into a new NUL-terminated string owned by the caller
 * (free()).  Returns TT_OK, TT_ERR_INVAL or TT_ERR_NOMEM. */
tt_err_t tt_snapshot_encode(const tt_snapshot_t *snap, char **out, size_t *outlen);

/* Decodes a snapshot into a new one owned by the caller (tt_snapshot_free).
 * Every row is checked (codes, quantities >= 0; an item given twice keeps
 * its last quantity when stored).  Returns
 * TT_OK, or TT_ERR_PARSE / TT_ERR_PROTO / TT_ERR_VERSION / TT_ERR_TOOBIG /
 * TT_ERR_NOMEM with a reason. */
tt_err_t tt_snapshot_decode(const char *buf, size_t len, tt_snapshot_t **out, char *reason,
                            size_t rlen);

/* Frees a decoded snapshot; NULL is accepted. */
void tt_snapshot_free(tt_snapshot_t *snap);

#endif
