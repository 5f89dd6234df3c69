/*
 * revolve: revolving materials (周转性材料), a store module of
 * tagtrail-server: all of its SQL is in revolve.c, over the connection of a
 * tt_db_t (schema: rv_* tables of migration 6 in db.c; business rules:
 * docs/ledger.md, "Revolving materials").
 *
 * Revolving materials (hydraulic props, roof beams, ...) are drawn from a
 * warehouse by a unit and then move between units until they are lost,
 * buried underground or scrapped.  They are kept by model (an item code
 * listed in rv_model) in a general ledger (总账) and one sub-ledger per unit
 * (分账).  A draw is an ordinary FIFO issue of the ledger (server/ledger.h)
 * to the drawing unit plus a revolve movement: +unit, +general.  A handover
 * takes the quantity off the handing unit and leaves it in transit until the
 * receiving unit confirms it (+receiving unit) or refuses it (back to the
 * handing unit); the general ledger does not change.  Loss (丢失), burial
 * (封埋) and scrap (报废) take it off the unit and off the general ledger.
 * So for every model, at every moment and at the end of every day:
 *
 *     general == sum of the units' balances + quantity in transit
 *
 * No balance ever goes below zero, on any day: a movement dated `day` that
 * takes from a unit must fit what the unit holds at the end of `day` and of
 * every later day (so a backdated loss cannot make an earlier daily report
 * negative); it is refused with the shortfall (TT_ERR_STOCK) otherwise.
 *
 * Every movement is a row of the ledger's append-only movement table (kind
 * 'revolve', sub = the action; `unit` is the unit whose sub-ledger it
 * changes: the handing unit for a handover, the receiving unit for a
 * confirm, the handing unit again for a refusal; parent = the issue of a
 * draw, the handover of a confirm or refusal).  rv_balance, rv_general,
 * rv_daily and rv_transit.settled are derived state kept in step in the
 * same transaction.
 *
 * A handle is used by one thread at a time.  Writers run inside the
 * caller's transaction (tt_db_begin/tt_db_commit on the same tt_db_t);
 * each call is all or nothing within it (a savepoint), so a refused call
 * leaves the caller's transaction as it was.  Readers may use a read-only
 * tt_db_t.
 */
#ifndef TT_REVOLVE_H
#define TT_REVOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "event.h"
#include "ledger.h"
#include "master.h"
#include "money.h"

typedef struct tt_revolve tt_revolve_t;

#define TT_REVOLVE_PAGE_MAX 1000   /* rows of one page of movements */

typedef enum {
    TT_REVOLVE_DRAW = 1,   /* 领用: FIFO issue from `warehouse`, +unit, +general */
    TT_REVOLVE_HANDOVER,   /* 交接: -unit, in transit to to_unit */
    TT_REVOLVE_CONFIRM,    /* the receiving unit takes a handover: +to_unit */
    TT_REVOLVE_REFUSE,     /* the receiving unit refuses it: back to the handing unit */
    TT_REVOLVE_LOSS,       /* 丢失: -unit, -general */
    TT_REVOLVE_BURIAL,     /* 封埋: -unit, -general */
    TT_REVOLVE_SCRAP,      /* 报废: -unit, -general */
} tt_revolve_action_t;
#define TT_REVOLVE_ACTION_LAST TT_REVOLVE_SCRAP

/* "draw", "handover", "confirm", "refuse", "loss", "burial", "scrap" <->
 * action (as movement.sub and in the terminal's `action`); 0 / NULL when
 * unknown. */
int tt_revolve_action_parse(const char *name);
const char *tt_revolve_action_name(tt_revolve_action_t action);

/* One movement.  Which fields an action needs ("" / 0 when not needed):
 *   draw:     warehouse, model, unit (the drawing unit), qty > 0
 *   handover: model, unit (handing), to_unit (receiving, another unit), qty > 0
 *   confirm, refuse: handover (its movement id); the whole handover is
 *             taken, so qty is 0 or the handover's quantity; model and unit
 *             are optional, and when given must be the handover's model and
 *             its receiving unit (the unit that confirms or refuses)
 *   loss, burial, scrap: model, unit, qty > 0
 * note is optional everywhere. */
typedef struct {
    tt_revolve_action_t action;
    char warehouse[TT_EVENT_ID_MAX + 1];
    char model[TT_EVENT_CODE_MAX + 1];
    char unit[TT_EVENT_ID_MAX + 1];
    char to_unit[TT_EVENT_ID_MAX + 1];
    int64_t handover;
    tt_qty_t qty;
    char note[TT_LEDGER_TEXT_MAX];
} tt_revolve_move_t;

/* A revolving-material model: an item listed as revolving (master data). */
typedef struct {
    char item[TT_EVENT_CODE_MAX + 1];
    char name[TT_MASTER_TEXT_MAX + 1];
} tt_revolve_model_t;

/* Prepares the module's statements on `db` (borrowed).  `ledger` (borrowed,
 * on the same db) posts the issue of a draw; NULL makes a handle that only
 * reads and stores models (the import, the HTTP readers), whose apply
 * functions return TT_ERR_INVAL.  On TT_OK *out is owned by the caller
 * (tt_revolve_close).  Returns TT_ERR_NOMEM or TT_ERR_DB.  Close before the
 * ledger and the tt_db_t. */
tt_err_t tt_revolve_open(tt_db_t *db, tt_ledger_t *ledger, tt_revolve_t **out);

/* Closes; NULL is accepted. */
void tt_revolve_close(tt_revolve_t *rv);

/* Applies one office movement as document `doc` (a code, as the ledger
 * takes it; "": numbered "RV.<id of its first movement>", like the
 * ledger's own numbers), dated `day` (business date), by `operator_id`,
 * at server time now_ms.  A draw's issue is line 1 of the document and its
 * revolve movement line 2; other actions are line 1.  qty is at most
 * TT_LEDGER_QTY_MAX.  On TT_OK *movement (may be NULL) is the revolve
 * movement's id.  On refusal nothing is written and `reason`
 * (caller-owned, rlen bytes) says why, with the shortfall for
 * TT_ERR_STOCK.  Returns:
 *   TT_OK;
 *   TT_ERR_INVAL    a bad or missing field, a model not in rv_model, an
 *                   unknown unit, a handover to the handing unit itself, a
 *                   confirm/refuse by another unit or dated before its
 *                   handover, a handle opened without a ledger; for a draw
 *                   also whatever tt_ledger_post refuses as TT_ERR_INVAL
 *                   (unknown warehouse, ...);
 *   TT_ERR_STOCK    beyond the unit's balance (or, for a draw, beyond the
 *                   warehouse's stock);
 *   TT_ERR_CLOSED   `day` is in a closed month;
 *   TT_ERR_NOTFOUND confirm/refuse: no such handover;
 *   TT_ERR_CONFLICT confirm/refuse: the handover is settled already
 *                   (reason names the movement that settled it);
 *   TT_ERR_RANGE    a quantity total would overflow;
 *   TT_ERR_NOMEM, TT_ERR_FULL, TT_ERR_DB  the store failed: roll the
 *                   caller's transaction back. */
tt_err_t tt_revolve_apply(tt_revolve_t *rv, const tt_revolve_move_t *mv, const char *doc,
                          const char *day, const char *operator_id, int64_t now_ms,
                          int64_t *movement, char *reason, size_t rlen);

/* Applies a valid terminal `revolve` event (from ingest, after
 * tt_event_validate), dated `day`: action draw (from the event's
 * warehouse), handover, loss, burial or scrap of model `item` by unit
 * `unit` (protocol.md); the terminal has no confirm or refuse.  The
 * document is "<terminal>-<seq of its line 1>"; the revolve movement keeps
 * the event's terminal and seq.  Returns as tt_revolve_apply (TT_ERR_INVAL
 * also for an event of another type); a refused event is the caller's to
 * journal as rejected with `reason`. */
tt_err_t tt_revolve_apply_event(tt_revolve_t *rv, const char *terminal, const tt_event_t *ev,
                                const char *day, int64_t now_ms, char *reason, size_t rlen);

/* --- master data --------------------------------------------------------- */

/* Stores model m (a valid item code that exists; name checked by the
 * caller) if it is new or its name differs, stamped with master version
 * `version`; *changed (may be NULL) says whether it did.  Models are never
 * deleted.  Returns TT_OK, TT_ERR_FULL or TT_ERR_DB (also for an item that
 * does not exist: the foreign key). */
tt_err_t tt_revolve_model_put(tt_revolve_t *rv, const tt_revolve_model_t *m, uint64_t version,
                              int *changed);

/* Reads model `item` into *out (may be NULL: existence only) and its
 * version into *version (may be NULL).  Returns TT_OK, TT_ERR_NOTFOUND or
 * TT_ERR_DB. */
tt_err_t tt_revolve_model_get(tt_revolve_t *rv, const char *item, tt_revolve_model_t *out,
                              uint64_t *version);

/* --- read side ------------------------------------------------------------
 *
 * Each calls fn once per row; a non-zero return from fn stops early (still
 * TT_OK).  Pointers passed to fn are valid during the call only, and fn
 * must not use the handle (its statements are running).  Filters may be
 * NULL (all).  Return TT_OK, TT_ERR_INVAL (a bad day or page) or
 * TT_ERR_DB. */

/* One unit's sub-ledger balance. */
typedef struct {
    char unit[TT_EVENT_ID_MAX + 1];
    tt_qty_t qty;
} tt_revolve_balance_t;

/* Reconciliation (对账) of one model, now. */
typedef struct {
    const char *model;                 /* item code */
    const char *name;
    tt_qty_t general;                  /* the general ledger */
    tt_qty_t units_total;              /* sum of the units' balances */
    tt_qty_t in_transit;               /* handed over, not yet confirmed or refused */
    int balanced;                      /* general == units_total + in_transit */
    const tt_revolve_balance_t *units; /* nunits units holding a non-zero balance, by id */
    size_t nunits;
} tt_revolve_recon_t;

typedef int (*tt_revolve_recon_fn)(void *ctx, const tt_revolve_recon_t *r);

/* Every model of rv_model (or only `model`), by item code, with its
 * balances.  Returns also TT_ERR_NOMEM. */
tt_err_t tt_revolve_reconcile_each(tt_revolve_t *rv, const char *model, tt_revolve_recon_fn fn,
                                   void *ctx);

/* One movement behind a balance. */
typedef struct {
    int64_t id;                        /* movement id */
    const char *doc;
    int line;
    const char *day;
    tt_revolve_action_t action;
    const char *model;
    const char *unit;                  /* the unit whose sub-ledger it changed */
    const char *other;                 /* handover: the receiving unit; confirm:
                                        * the handing unit; refuse: the unit that
                                        * refused; draw: the warehouse; "" else */
    tt_qty_t qty;                      /* > 0, as entered */
    tt_qty_t delta;                    /* change to the balance listed (signed) */
    tt_qty_t balance;                  /* that balance after this movement */
    int64_t parent;                    /* issue (draw), handover (confirm/refuse); 0 */
    const char *operator_id;
    const char *terminal;              /* "" for the office */
    uint64_t seq;                      /* terminal's seq, 0 for the office */
    const char *note;
} tt_revolve_movement_t;

/* A page of movements, in (day, id) order, after the row (after_day,
 * after_id) ("" and 0: from the start), at most limit (1 ..
 * TT_REVOLVE_PAGE_MAX) rows.  The next page starts after the last row
 * given. */
typedef struct {
    char after_day[TT_LEDGER_DAY_LEN + 1];
    int64_t after_id;
    size_t limit;
} tt_revolve_page_t;

typedef int (*tt_revolve_movement_fn)(void *ctx, const tt_revolve_movement_t *m);

/* The movements behind one balance of `model` (required): with `unit`,
 * every movement that changed that unit's sub-ledger (delta and balance
 * are the unit's); with unit NULL, every revolve movement of the model
 * (delta and balance are the general ledger's: 0 for handovers and their
 * settlements).  The running balance counts every earlier movement, on
 * earlier pages too.  Returns also TT_ERR_RANGE (a total beyond range). */
tt_err_t tt_revolve_movements_each(tt_revolve_t *rv, const char *model, const char *unit,
                                   const tt_revolve_page_t *page, tt_revolve_movement_fn fn,
                                   void *ctx);

/* An open handover (in transit). */
typedef struct {
    int64_t handover;                  /* its movement id: confirm/refuse name it */
    const char *doc;
    const char *day;
    const char *model;
    const char *from_unit, *to_unit;
    tt_qty_t qty;
    const char *operator_id;
} tt_revolve_transit_t;

typedef int (*tt_revolve_transit_fn)(void *ctx, const tt_revolve_transit_t *t);

/* Handovers still in transit, oldest first, for `model` and receiving unit
 * `to_unit` (either may be NULL). */
tt_err_t tt_revolve_transit_each(tt_revolve_t *rv, const char *model, const char *to_unit,
                                 tt_revolve_transit_fn fn, void *ctx);

/* One row of the daily report (日报) over days from..to. */
typedef struct {
    const char *model;
    const char *unit;        /* "" for the model's general-ledger row */
    tt_qty_t opening;        /* balance before `from` */
    tt_qty_t draw;
    tt_qty_t handover_in;    /* confirmed handovers received */
    tt_qty_t handover_out;   /* handovers given (in transit until settled) */
    tt_qty_t returned;       /* refused handovers come back */
    tt_qty_t loss, burial, scrap;
    tt_qty_t closing;        /* at the end of `to` */
    tt_qty_t in_transit;     /* general row: handed over and not settled at the
                              * end of `to`; 0 in unit rows */
} tt_revolve_day_t;

typedef int (*tt_revolve_day_fn)(void *ctx, const tt_revolve_day_t *d);

/* The daily report for days from..to (from == to: one day; YYYY-MM-DD,
 * from <= to), by model (or only `model`): each unit with a non-zero
 * opening or closing or any movement in the days, by unit id, then the
 * model's general row (its total line).  Models with nothing at all are
 * left out.  For a unit row closing == opening + draw + handover_in +
 * returned - handover_out - loss - burial - scrap; for the general row,
 * where handovers move nothing, closing == opening + draw - loss - burial -
 * scrap == the sum of the unit rows' closing + in_transit (its handover
 * columns are the units' totals). */
tt_err_t tt_revolve_report_each(tt_revolve_t *rv, const char *from, const char *to,
                                const char *model, tt_revolve_day_fn fn, void *ctx);

#endif
