/*
 * lots: the ledger's lot store (ledger.h; rules: docs/ledger.md), a store
 * module of tagtrail-server over the connection of a tt_db_t.  It keeps the
 * tables that say where every unit and fen of stock is and where it went:
 * lot (a receipt's lot, or the part of one a transfer moved), lot_open (what
 * is left of each lot, in FIFO order per warehouse and item), stock, alloc
 * (the lots each issue, consumption and transfer drew on and each stock-back
 * gave back to), the report aggregates agg_issue and agg_return, and realloc
 * (issues re-allocated by a backdated line).
 *
 * It plans draws first in, first out and stock-backs newest allocation
 * first, splits values without losing a fen (q of Q units worth V fen are
 * worth floor(V * q / Q); the last unit takes what is left), writes what a
 * plan does, and re-allocates later issues when a line is backdated.  The
 * caller (posting.h) checks lines and writes their movements; it calls in
 * the order the rows are to be written.
 *
 * Nothing here begins or ends a transaction: every call runs inside the
 * caller's (the ledger's savepoint), and a call that fails may have written
 * part of its rows, for the caller to roll back.  A handle is used by one
 * thread at a time.
 */
#ifndef TT_LOTS_H
#define TT_LOTS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "ledger.h"
#include "money.h"

typedef struct tt_lots tt_lots_t;

/* One part of a draw or a give-back: `qty` units worth `value` fen of lot
 * `lot`. */
typedef struct {
    int64_t lot;
    char fifo_day[TT_LEDGER_DAY_LEN + 1];   /* the lot's FIFO key: day, seq */
    int64_t fifo_seq;
    tt_qty_t qty;            /* taken (or given back) */
    tt_fen_t value;
    tt_qty_t left_qty;       /* FIFO: what lot_open holds after the take */
    tt_fen_t left_value;
    int64_t alloc;           /* the allocation row a re-allocation reverses or
                              * a stock-back gives back to; else 0 */
    int64_t issue;           /* stock-back: the issue movement of `alloc` */
    char receipt_doc[TT_LEDGER_DOC_MAX + 1];
    char category[TT_EVENT_ID_MAX + 1];   /* the lot's safety category, "" none */
} tt_lots_take_t;

/* A list of takes that plans append to.  Zero it before its first use; `v`
 * (malloc'd, grown by the plans) is the owner's to free(). */
typedef struct {
    tt_lots_take_t *v;
    size_t n, cap;
} tt_lots_takes_t;

/* The later issues a backdated line takes back (tt_lots_undo_later) and
 * draws again (tt_lots_replay).  Zero it before use and give it to
 * tt_lots_redo_free after, whatever happened; what it holds is this
 * module's. */
struct tt_lots_rekey;
typedef struct {
    struct tt_lots_rekey *v;
    size_t n, cap;
} tt_lots_redo_t;

/* Prepares the statements on `db` (borrowed; writable).  On TT_OK *out is
 * owned by the caller (tt_lots_close).  Returns TT_ERR_NOMEM or TT_ERR_DB. */
tt_err_t tt_lots_open(tt_db_t *db, tt_lots_t **out);

/* Closes; NULL is accepted.  Close before the tt_db_t. */
void tt_lots_close(tt_lots_t *lots);

/* The quantity of `item` on hand in `warehouse` (0 when none).  Returns
 * TT_OK or TT_ERR_DB. */
tt_err_t tt_lots_on_hand(tt_lots_t *lots, const char *warehouse, const char *item,
                         tt_qty_t *qty);

/* Adds `delta` (< 0: takes) to the stock of `item` in `warehouse`.  The
 * caller checked that a take does not go below 0 (the schema refuses it);
 * taking from a warehouse without a stock row gives TT_ERR_DB.  Returns
 * TT_OK, TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_lots_stock_add(tt_lots_t *lots, const char *warehouse, const char *item,
                           tt_qty_t delta);

/* Receipt movement `movement` of document `doc`, dated `day`, becomes a lot
 * of `qty` units worth `value` fen of `item` in `warehouse`, open for
 * drawing; its FIFO key is (day, movement).  category and plan_serial ("":
 * none) stay with the lot and with every part a transfer moves.  Stock is
 * the caller's (tt_lots_stock_add).  Returns TT_OK, TT_ERR_FULL or
 * TT_ERR_DB. */
tt_err_t tt_lots_add_receipt(tt_lots_t *lots, int64_t movement, const char *doc,
                             const char *day, const char *warehouse, const char *item,
                             tt_qty_t qty, tt_fen_t value, const char *category,
                             const char *plan_serial);

/* Plans taking `qty` (> 0) of `item` from `warehouse` first in, first out,
 * appending the takes to *out.  Lots that out->v[0 .. overlay) take from
 * (planned, not yet written) are seen as those takes leave them.  *got is
 * what the lots hold up to qty.  Returns TT_OK, TT_ERR_STOCK (they hold
 * less: *out is as it was), TT_ERR_NOMEM, TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_lots_plan_fifo(tt_lots_t *lots, const char *warehouse, const char *item,
                           tt_qty_t qty, tt_lots_takes_t *out, size_t overlay, tt_qty_t *got);

/* The value of takes t[0..n): the sum of values that each fit a line, so it
 * cannot overflow. */
tt_fen_t tt_lots_value(const tt_lots_take_t *t, size_t n);

/* Writes planned FIFO takes t[0..n) of movement `movement` of `kind`
 * ("issue", "consume" or "transfer"), dated `day`, from `warehouse` to
 * `unit` ("": none): an allocation row each and lot_open as the take left
 * it; an issue's also go into agg_issue under the lot's category, or under
 * the safety mark of (movement, lot) when `check_mark`.  Stock is the
 * caller's.  Returns TT_OK, TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_lots_apply(tt_lots_t *lots, const tt_lots_take_t *t, size_t n, int64_t movement,
                       const char *kind, const char *day, const char *warehouse,
                       const char *item, const char *unit, int check_mark);

/* Transfer movement `movement` moved takes t[0..n) (written by
 * tt_lots_apply) to `to_wh`: each becomes a lot of its own there, open for
 * drawing, with the same receipt, FIFO key, category, plan line and price.
 * Stock is the caller's.  Returns TT_OK, TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_lots_add_transfer(tt_lots_t *lots, int64_t movement, const char *to_wh,
                              const char *item, const tt_lots_take_t *t, size_t n);

/* Plans a stock-back of `qty` (> 0) of `item` by `unit` into `warehouse`,
 * appending to *out: the issue allocations of the item to the unit from the
 * warehouse dated up to `day` (of issue document `ref` only, when not ""),
 * newest first, each giving back at most what is left of it, at the price
 * it left at; allocations a re-allocation reversed are passed over.  *got is
 * what was found up to qty.  Returns TT_OK, TT_ERR_STOCK (less was issued
 * and not given back; *out keeps the takes found), TT_ERR_NOMEM,
 * TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_lots_plan_stockback(tt_lots_t *lots, const char *item, const char *day,
                                const char *unit, const char *warehouse, const char *ref,
                                tt_qty_t qty, tt_lots_takes_t *out, tt_qty_t *got);

/* Writes planned stock-back takes t[0..n) of movement `movement`, dated
 * `day`: a reversing allocation row of each issue allocation given back to,
 * agg_issue of that issue (under its safety mark) less what comes back, and
 * the quantity and value back into the lot, which opens again if it was
 * exhausted.  Stock is the caller's.  Returns TT_OK, TT_ERR_FULL or
 * TT_ERR_DB. */
tt_err_t tt_lots_give_back(tt_lots_t *lots, int64_t movement, const tt_lots_take_t *t,
                           size_t n, const char *day, const char *warehouse, const char *item,
                           const char *unit);

/* Adds to agg_return of (month, unit, item): `returned` old items handed
 * back and `excluded` from the assessment.  Returns TT_OK, TT_ERR_FULL or
 * TT_ERR_DB. */
tt_err_t tt_lots_agg_return(tt_lots_t *lots, const char *month, const char *unit,
                            const char *item, tt_qty_t returned, tt_qty_t excluded);

/* A line dated `day` comes before issues of (warehouse, item) dated after
 * it: takes their allocations back into lot_open and keeps the issues in
 * *redo, for tt_lots_replay to draw them again after the line.  Issues a
 * stock-back gave back to are left as they are (their allocations are what
 * was given back).  A (warehouse, item) already in *redo is left alone.
 * Returns TT_OK, TT_ERR_NOMEM, TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_lots_undo_later(tt_lots_t *lots, tt_lots_redo_t *redo, const char *warehouse,
                            const char *item, const char *day);

/* Draws the issues in *redo again, in (day, id) order, and records those
 * whose lots or value changed: allocation rows reversing the old ones, the
 * new ones, agg_issue, and a realloc row naming movement `cause` (the
 * backdated line's) with the value before and after, at `now_ms`; each
 * adds 1 to *reallocated.  Returns TT_OK, TT_ERR_STOCK (a later issue would
 * no longer find its quantity: `reason` says which), TT_ERR_NOMEM,
 * TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_lots_replay(tt_lots_t *lots, tt_lots_redo_t *redo, int64_t cause, int64_t now_ms,
                        size_t *reallocated, char *reason, size_t rlen);

/* Frees what *redo holds and zeroes it. */
void tt_lots_redo_free(tt_lots_redo_t *redo);

/* Issue movement `movement`'s allocations from lot `lot` were marked as
 * used for safety in `category`: moves what they and the stock-backs of
 * them contribute to agg_issue from unmarked, under the lot's category, to
 * marked under `category`.  Returns TT_OK, TT_ERR_NOMEM, TT_ERR_FULL or
 * TT_ERR_DB. */
tt_err_t tt_lots_mark_move(tt_lots_t *lots, int64_t movement, int64_t lot,
                           const char *category);

#endif
