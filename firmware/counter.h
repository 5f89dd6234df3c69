/*
 * counter: what a storekeeper does at the counter, driven by scans.
 *
 * The storekeeper holds a scanner in one hand.  Printed operation cards
 * (command barcodes, see `tagtrail labels`) log in (badge), choose the mode
 * and the warehouse, and commit, undo or cancel; the keypad gives quantities
 * and reference numbers; item barcodes add lines.  A document is built line
 * by line and becomes events only when committed.
 *
 * This module is pure logic: it takes inputs and says what to show, which
 * beep to give, and (on commit) which events to store.  It does no I/O, so
 * tests drive it directly; the firmware feeds it from the scanner, the
 * keypad and the control socket.
 *
 * Card syntax (all ASCII, chosen so no GS1 element string or EAN can look
 * like one):
 *   TT:OP:<operator id>      log in (badge)      TT:LOGOUT
 *   TT:MODE:<mode>           choose the mode: receive (入库), issue (出库),
 *                            return (交旧), transfer (调拨), count (盘点),
 *                            revolve (周转材料), and at the repair bay
 *                            appraisal (鉴定), selfcheck (自检), acceptance
 *                            (验收), equip-issue (设备出库)
 *   TT:WH:<warehouse id>     the warehouse
 *   TT:TO:<warehouse id>     where a transfer goes
 *   TT:UNIT:<unit id>        the work area (issue, return, revolve, equip-issue)
 *   TT:TOUNIT:<unit id>      who receives a revolving-material handover
 *   TT:ACT:<action>          revolving: draw, handover, loss, burial, scrap
 *   TT:RES:<result>          equipment: major|medium|minor (appraisal),
 *                            pass|fail (selfcheck, acceptance),
 *                            in_use|standby (equip-issue), for the assets
 *                            that follow until another result card
 *   TT:COMMIT  TT:UNDO  TT:CANCEL
 *
 * What each mode needs before its first line is in its table in counter.c
 * and is what the screen asks for.  A reference number (plan serial,
 * requisition number) is typed on the keypad in receive and issue only.
 *
 * With master data (tt_counter_set_lookup), a receipt is backed by an
 * approved plan line: its serial must be known and approved, and every line
 * must be the plan line's item.  At the repair bay an asset must be in the
 * equipment register and active, and its lines carry its asset number
 * whether it was read from its tag (GIAI), a GS1 label with its GIAI as
 * (8004), its barcode or its number.
 *
 * The repair bay shows an asset's state and last steps before anyone acts
 * (the view's `asset`, from the terminal's offline view of equipment
 * states): an asset scanned before its mode's cards are complete is only
 * shown; a line whose step does not fit the state the terminal knows is
 * taken with a warning (the server decides: the terminal's view may be
 * older than the server's).  An appraisal may name the sending unit
 * (TT:UNIT:): an asset in use at that unit is then taken in from it.
 */
#ifndef TT_COUNTER_H
#define TT_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "assets.h"
#include "event.h"
#include "master.h"

#define TT_COUNTER_LINES_MAX 64
#define TT_COUNTER_MSG_MAX 320   /* bytes of a message, with NUL; cut at a character */

typedef enum { TT_COUNTER_LANG_ZH = 0, TT_COUNTER_LANG_EN = 1 } tt_counter_lang_t;

typedef enum {
    TT_COUNTER_BEEP_NONE = 0,
    TT_COUNTER_BEEP_OK,      /* accepted */
    TT_COUNTER_BEEP_ERROR,   /* refused: the message says why */
} tt_counter_beep_t;

typedef enum {
    TT_COUNTER_MODE_NONE = 0,
    TT_COUNTER_MODE_RECEIVE,
    TT_COUNTER_MODE_ISSUE,
    TT_COUNTER_MODE_RETURN,
    TT_COUNTER_MODE_TRANSFER,
    TT_COUNTER_MODE_COUNT,
    TT_COUNTER_MODE_REVOLVE,
    TT_COUNTER_MODE_APPRAISAL,
    TT_COUNTER_MODE_SELFCHECK,
    TT_COUNTER_MODE_ACCEPTANCE,
    TT_COUNTER_MODE_EQUIP_ISSUE,
} tt_counter_mode_t;
#define TT_COUNTER_MODE_LAST TT_COUNTER_MODE_EQUIP_ISSUE

typedef struct {
    char item[TT_EVENT_CODE_MAX + 1];        /* the item's code (not the barcode scanned);
                                              * equipment lines: the asset number */
    char name[TT_MASTER_TEXT_MAX + 1];       /* from master data, "" without it;
                                              * equipment lines: the asset's model */
    char spec[TT_MASTER_TEXT_MAX + 1];
    char uom[TT_MASTER_TEXT_MAX + 1];
    tt_qty_t qty;                            /* 0 for equipment lines */
    int stock_known;                         /* the local stock view had the item ... */
    tt_qty_t stock;                          /* ... with this on hand when scanned */
    char result[16];                         /* equipment lines: the step's result */
} tt_counter_line_t;

/* Where the counter looks up what is scanned: the terminal's copy of the
 * master data.  Each returns TT_OK with *out filled, TT_ERR_NOTFOUND, or
 * TT_ERR_BUSY when no master data has been received yet (any other code is
 * shown as a failed lookup).  Every function but `stock` and `asset` must be set. */
typedef struct {
    void *ctx;
    tt_err_t (*item)(void *ctx, const char *barcode, tt_master_item_t *out);
    tt_err_t (*operator_)(void *ctx, const char *id_or_badge, tt_master_operator_t *out);
    tt_err_t (*warehouse)(void *ctx, const char *id, tt_master_warehouse_t *out);
    tt_err_t (*unit)(void *ctx, const char *id, tt_master_unit_t *out);
    /* The local stock view of (warehouse, item): TT_OK with *qty, or
     * TT_ERR_NOTFOUND when there is no snapshot of the warehouse yet. */
    tt_err_t (*stock)(void *ctx, const char *warehouse, const char *item, tt_qty_t *qty);
    /* The plan line with this serial, approved or not. */
    tt_err_t (*plan)(void *ctx, const char *serial, tt_master_plan_t *out);
    /* The asset with this GIAI (by_giai: decoded from an RFID tag), else
     * the asset with this number or barcode; active or not. */
    tt_err_t (*equipment)(void *ctx, const char *key, int by_giai, tt_master_equipment_t *out);
    /* Optional (NULL: states are not shown): the state of the asset with
     * this number as the terminal knows it, with its last steps. */
    tt_err_t (*asset)(void *ctx, const char *asset, tt_assets_row_t *out);
} tt_counter_lookup_t;

/* What to do when an issue or transfer line goes beyond the local stock
 * view (a board or site setting): nothing, warn (the line is taken, with an
 * error beep and the shortfall shown), or refuse the line. */
typedef enum {
    TT_COUNTER_STOCK_OFF = 0,
    TT_COUNTER_STOCK_WARN = 1,
    TT_COUNTER_STOCK_REFUSE = 2,
} tt_counter_stock_check_t;

/* The asset last scanned at the repair bay: its state and last steps as
 * the terminal knows them (before the open document's lines of it, which
 * the lines show), so the fitter sees them before acting. */
typedef struct {
    int shown;                                 /* 0: none scanned since login or mode */
    int known;                                 /* row.state and steps are known */
    char model[TT_MASTER_TEXT_MAX + 1];
    tt_assets_row_t row;                       /* row.asset is always set when shown */
} tt_counter_asset_t;

/* The screen's view of the counter; read-only for callers. */
typedef struct {
    char operator_id[TT_EVENT_ID_MAX + 1];    /* "" when nobody is logged in */
    tt_counter_mode_t mode;
    char warehouse[TT_EVENT_ID_MAX + 1];
    char unit[TT_EVENT_ID_MAX + 1];
    char ref[TT_EVENT_ID_MAX + 1];            /* plan serial or requisition no. */
    char to[TT_EVENT_ID_MAX + 1];             /* transfer destination */
    char action[16];                           /* revolving-material action */
    char to_unit[TT_EVENT_ID_MAX + 1];        /* handover receiver */
    char next_result[16];                      /* equipment result for the next asset */
    tt_qty_t next_qty;                         /* keypad quantity for the next line ... */
    int next_qty_set;                          /* ... when set (a count may be 0) */
    size_t nlines;
    tt_counter_line_t lines[TT_COUNTER_LINES_MAX];
    char message[TT_COUNTER_MSG_MAX];          /* last outcome, in the chosen language */
    int message_is_error;
    tt_counter_asset_t asset;                  /* repair bay: the asset last scanned */
} tt_counter_view_t;

typedef struct tt_counter tt_counter_t;

/* Creates a counter for a terminal whose default warehouse is `warehouse`
 * ("" for none).  On TT_OK *out is owned by the caller (tt_counter_free).
 * Returns TT_ERR_INVAL or TT_ERR_NOMEM. */
tt_err_t tt_counter_new(const char *warehouse, tt_counter_lang_t lang, tt_counter_t **out);

/* Frees; NULL is accepted. */
void tt_counter_free(tt_counter_t *c);

/* The mode's card word ("receive", ...) with lang 0 giving Chinese and 1
 * English names for screens ("入库" / "RECEIVE"): see tt_counter_mode_label.
 * NULL for an unknown mode. */
const char *tt_counter_mode_word(tt_counter_mode_t mode);
const char *tt_counter_mode_label(tt_counter_mode_t mode, tt_counter_lang_t lang);

/* Makes the counter check every operator, warehouse, work area, item, plan
 * serial and asset against master data (copied; the functions and ctx must
 * outlive c).  Unknown or deactivated ones are refused, as are a plan line
 * that is not approved and an item a receipt's plan line is not for; a
 * badge barcode logs its operator in; item lines carry the item's code,
 * name, spec and unit of measure, asset lines the asset number and model.
 * Without a lookup every well-formed id and code is accepted (for tests of
 * the logic alone). */
void tt_counter_set_lookup(tt_counter_t *c, const tt_counter_lookup_t *lookup);

/* Sets the stock check (default TT_COUNTER_STOCK_OFF; it needs a lookup). */
void tt_counter_set_stock_check(tt_counter_t *c, tt_counter_stock_check_t check);

/* The current view; valid until the next call on c. */
const tt_counter_view_t *tt_counter_view(const tt_counter_t *c);

/* A scanned code: an operation card, or an item.  Data in GS1 syntax
 * (brackets, a symbology identifier, a Digital Link URI, FNC1) is decoded:
 * the item is its GTIN ((01), else (02); an EAN-13 padded to 14 digits is
 * written as its 13 digits) and a (30)/(37) count sets the line's quantity
 * over any keypad quantity; a GIAI (8004) is an asset, refused in the item
 * modes and looked up by its GIAI (as an RFID tag's) at the repair bay.
 * Other codes are items (or assets) as scanned.  Returns the beep to give;
 * the view's message says what happened.  A commit card does not commit by
 * itself: tt_counter_pending() then reports the events to store. */
tt_counter_beep_t tt_counter_scan(tt_counter_t *c, const char *code);

/* A line typed on the keypad: a quantity for the next item ("12.5") or,
 * when the mode still needs one, the reference number (in receive, with a
 * lookup: a known, approved plan serial, whose item and approved quantity
 * the message names). */
tt_counter_beep_t tt_counter_keypad(tt_counter_t *c, const char *text);

/* After a commit card: fills evs[0..*n-1] (caller-owned, at least
 * TT_COUNTER_LINES_MAX entries) with the document's events, times set to
 * ts_ms, seqs 0 (the outbox assigns them).  Returns TT_OK, or TT_ERR_NOTFOUND
 * when no commit is waiting. */
tt_err_t tt_counter_pending(const tt_counter_t *c, int64_t ts_ms, tt_event_t *evs, size_t *n);

/* The outcome of storing the pending events: on TT_OK the document is done
 * and cleared; on failure it stays, with the error shown, so nothing typed
 * is lost (a failure is only ever reported once the outbox has proved the
 * document absent, so committing it again cannot record it twice).  On
 * TT_ERR_INDOUBT (the store failed mid-commit and cannot be checked yet)
 * the document stays and the counter refuses every scan and keypad entry,
 * saying it is waiting for the store, until tt_counter_settled.  Returns the
 * beep to give. */
tt_counter_beep_t tt_counter_stored(tt_counter_t *c, tt_err_t result, uint64_t first_seq);

/* The fate of a document left in doubt, once the store is settled:
 * first_seq > 0, it was stored after all with this first seq (the
 * document is done and cleared); 0, it was not (it stays, and the
 * storekeeper is asked to commit it again).  Returns the beep to give;
 * TT_COUNTER_BEEP_NONE (nothing changed) when no document was in doubt. */
tt_counter_beep_t tt_counter_settled(tt_counter_t *c, uint64_t first_seq);

#endif
