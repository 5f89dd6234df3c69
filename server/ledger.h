/*
 * ledger: the central materials ledger (材料台账), a store module of
 * tagtrail-server: all of its SQL is in ledger.c, over the connection of a
 * tt_db_t (schema: migration 6 in db.c; business rules: docs/ledger.md).
 *
 * Every ledger document line is a movement.  A receipt creates a lot that
 * keeps its receipt, price and safety category (from its plan line) for
 * ever; issues, transfers and a processed part's consumed material draw on
 * lots first in, first out within the warehouse, recording each allocation
 * with its lot, receipt number, quantity, value and category; a transfer
 * moves lot identity to the receiving warehouse; a stock-back (退库) gives
 * quantity and value back to the lots the issue drew on, newest first.
 * Stock never goes negative: a line beyond stock is refused with the
 * shortfall and changes nothing.
 *
 * Values: a lot's value is split without losing a fen: drawing q of the
 * remaining Q units worth V fen takes floor(V * q / Q) fen, and the last
 * unit takes what is left (100.00 over 3: 33.33, 33.33, 33.34).
 *
 * Nothing is edited away: movements, lots, allocations, marks, tags and
 * resolutions are only ever added.  Balances (stock, lot_open, the report
 * aggregates) are derived state kept in step in the same transaction.
 *
 * Periods: months are open until closed, in order.  A line dated in a
 * closed month is refused (TT_ERR_CLOSED).  A line dated before later
 * issues of the same item and warehouse in the open period re-allocates
 * those issues only (reversing allocations plus new ones), records each
 * changed movement and its value difference (realloc), and reports how many
 * it changed.
 *
 * A handle is used by one thread at a time, inside the caller's transaction
 * (tt_db_begin/tt_db_commit on the same tt_db_t): each document is applied
 * all or nothing within it (a savepoint), so a refused document leaves the
 * caller's transaction as it was.
 */
#ifndef TT_LEDGER_H
#define TT_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "event.h"
#include "money.h"

typedef struct tt_ledger tt_ledger_t;

#define TT_LEDGER_DAY_LEN 10       /* "YYYY-MM-DD" */
#define TT_LEDGER_MONTH_LEN 7      /* "YYYY-MM" */
#define TT_LEDGER_TEXT_MAX 256     /* notes and reasons, bytes with NUL */
#define TT_LEDGER_LINES_MAX 1000   /* lines in one office document */

typedef enum {
    TT_LEDGER_RECEIPT = 1,   /* 入库: creates a lot */
    TT_LEDGER_ISSUE,         /* 出库: FIFO from the warehouse to a unit */
    TT_LEDGER_TRANSFER,      /* 调拨: FIFO lots move from warehouse to to_wh */
    TT_LEDGER_STOCKBACK,     /* 退库: unused items back to the lots they came from */
    TT_LEDGER_OLD_RETURN,    /* 交旧: old items handed back (assessment only) */
    TT_LEDGER_COUNT,         /* 盘点: the count found; changes nothing */
    TT_LEDGER_EXCLUSION,     /* an issued quantity excluded from the assessment */
} tt_ledger_kind_t;

/* Where a receipt comes from; processed and refurbished parts (and small
 * electrics) need the acceptance slip (ref) and carry labour and material
 * cost, and the material they consume is issued FIFO (consume lines). */
typedef enum {
    TT_LEDGER_PURCHASE = 1,  /* 采购 */
    TT_LEDGER_OUTSOURCED,    /* 外委维修, handled like a purchase */
    TT_LEDGER_PROCESSED,     /* 加工件 */
    TT_LEDGER_REFURBISHED,   /* 复新件 */
    TT_LEDGER_SMALL_ELECTRIC,/* 五小电器 */
} tt_ledger_source_t;

/* One document line.  Which fields a kind needs (docs/ledger.md):
 *   receipt:   warehouse, item, qty > 0, value (the line's total, fen >= 0)
 *              or unit_price (value = qty x price, rounded to the fen);
 *              plan_serial optional (an approved plan line of the same
 *              item: its category is inherited); source; for processed,
 *              refurbished and small electrics: ref (acceptance slip),
 *              labour and material fen, and consume lines (issued FIFO from
 *              their warehouse to `unit`, the making shop); the lot's value
 *              is labour + material + the consumed value.
 *   issue:     warehouse, item, qty > 0, unit (work area); ref optional.
 *   transfer:  warehouse, to_wh (another warehouse), item, qty > 0.
 *   stockback: warehouse, item, qty > 0, unit; ref optional (an issue's
 *              document number: only its allocations are given back).
 *   old_return: warehouse, item, qty > 0, unit.
 *   count:     warehouse, item, qty >= 0.
 *   exclusion: item, qty > 0, unit, note (why) and approver.
 * Ids are as in tt_event (1-32 bytes); "" means absent. */
typedef struct tt_ledger_line {
    tt_ledger_kind_t kind;
    tt_ledger_source_t source;                /* receipt */
    char warehouse[TT_EVENT_ID_MAX + 1];
    char to_wh[TT_EVENT_ID_MAX + 1];
    char unit[TT_EVENT_ID_MAX + 1];
    char item[TT_EVENT_CODE_MAX + 1];
    tt_qty_t qty;
    int has_value;                            /* receipt: value given (else unit_price) */
    tt_fen_t value;
    tt_fen_t unit_price;
    char plan_serial[TT_EVENT_ID_MAX + 1];
    char ref[TT_EVENT_ID_MAX + 1];
    tt_fen_t labour, material;                /* processed, refurbished, small electric */
    const struct tt_ledger_line *consume;     /* borrowed; kind TT_LEDGER_ISSUE each */
    size_t nconsume;
    char note[TT_LEDGER_TEXT_MAX];
} tt_ledger_line_t;

/* A document: its lines share number, date, operator and approver. */
typedef struct {
    char doc[TT_EVENT_ID_MAX + 1];            /* "": the ledger numbers it */
    char day[TT_LEDGER_DAY_LEN + 1];          /* business date */
    char operator_id[TT_EVENT_ID_MAX + 1];
    char approver[TT_EVENT_ID_MAX + 1];       /* "" when none */
    const tt_ledger_line_t *lines;            /* borrowed */
    size_t nlines;                            /* 1 .. TT_LEDGER_LINES_MAX */
} tt_ledger_doc_t;

/* What applying a document did. */
typedef struct {
    char doc[TT_EVENT_ID_MAX + 1];            /* its number */
    int64_t first_movement;                   /* id of line 1's movement */
    size_t reallocated;                       /* later issues re-allocated */
} tt_ledger_result_t;

/* Prepares the ledger's statements on `db` (borrowed; writable for the
 * writers, read-only handles may only read).  On TT_OK *out is owned by the
 * caller (tt_ledger_close).  Returns TT_ERR_NOMEM or TT_ERR_DB. */
tt_err_t tt_ledger_open(tt_db_t *db, tt_ledger_t **out);

/* Closes; NULL is accepted.  Close before the tt_db_t. */
void tt_ledger_close(tt_ledger_t *l);

/* Business date of a moment: `ms` (Unix ms) as 'YYYY-MM-DD' in the
 * process's local time zone (tagtrail-server sets TZ from its config).
 * Returns TT_OK or TT_ERR_RANGE. */
tt_err_t tt_ledger_day(int64_t ms, char day[TT_LEDGER_DAY_LEN + 1]);

/* Applies an office document, all lines or none.  On refusal nothing is
 * written and `reason` says which line and why (shortfall included).
 * Returns TT_OK (*res filled, may be NULL), TT_ERR_INVAL (a bad or missing
 * field, an unknown item, warehouse, unit or plan line, a plan line that is
 * not approved or is for another item), TT_ERR_STOCK (beyond stock),
 * TT_ERR_CLOSED (dated in a closed month), TT_ERR_RANGE (overflow),
 * TT_ERR_FULL or TT_ERR_DB (the store failed: roll the transaction back). */
tt_err_t tt_ledger_post(tt_ledger_t *l, const tt_ledger_doc_t *doc, int64_t now_ms,
                        tt_ledger_result_t *res, char *reason, size_t rlen);

/* Applies a valid terminal event (from ingest, after tt_event_validate) as
 * one line of document "<terminal>-<seq of its line 1>", dated `day`:
 * receive, issue, transfer, return (交旧: old_return) and count; revolve
 * and equipment events are not the ledger's (server/revolve.h and the
 * repair module take them) and give TT_ERR_INVAL.  Returns as
 * tt_ledger_post; a refused event is the caller's to journal as rejected
 * with `reason` (it then shows as an exception). */
tt_err_t tt_ledger_apply_event(tt_ledger_t *l, const char *terminal, const tt_event_t *ev,
                               const char *day, int64_t now_ms, char *reason, size_t rlen);

/* Closes month `month` ('YYYY-MM'): every earlier month that has any
 * movement must be closed already.  Returns TT_OK, TT_ERR_INVAL (bad month,
 * an earlier month still open, a month in the future), TT_ERR_EXISTS
 * (already closed), TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_ledger_close_period(tt_ledger_t *l, const char *month, const char *by,
                                int64_t now_ms, char *reason, size_t rlen);

/* Marks the allocation of issue movement `movement` from lot `lot` as used
 * for safety, in safety category `category`: only an allocation from a lot
 * that was not received as safety, with a reason and an approver.  Returns
 * TT_OK, TT_ERR_INVAL (no approver or reason, unknown category, lot already
 * safety), TT_ERR_NOTFOUND (no such allocation), TT_ERR_EXISTS (marked
 * already), TT_ERR_CLOSED (the issue is in a closed month), TT_ERR_FULL,
 * TT_ERR_DB. */
tt_err_t tt_ledger_mark_safety(tt_ledger_t *l, int64_t movement, int64_t lot,
                               const char *category, const char *reason_text,
                               const char *approver, const char *by, int64_t now_ms,
                               char *reason, size_t rlen);

/* Audit's expense-type tag on issue movement `movement`.  Returns TT_OK,
 * TT_ERR_INVAL (empty tag, not an issue), TT_ERR_NOTFOUND, TT_ERR_EXISTS,
 * TT_ERR_FULL, TT_ERR_DB. */
tt_err_t tt_ledger_tag_expense(tt_ledger_t *l, int64_t movement, const char *tag,
                               const char *by, int64_t now_ms, char *reason, size_t rlen);

/* Settles the exception of refused terminal event (terminal, seq): by the
 * corrective movement `movement` (0: none needed) and a note.  Returns
 * TT_OK, TT_ERR_NOTFOUND (no such refused event or movement), TT_ERR_EXISTS
 * (settled already), TT_ERR_INVAL (empty note), TT_ERR_FULL, TT_ERR_DB. */
tt_err_t tt_ledger_resolve(tt_ledger_t *l, const char *terminal, uint64_t seq,
                           int64_t movement, const char *by, const char *note, int64_t now_ms,
                           char *reason, size_t rlen);

/* Checks that `day` is a valid business date in an open month.  Returns
 * TT_OK, TT_ERR_INVAL (not a date: reason says so) or TT_ERR_CLOSED. */
tt_err_t tt_ledger_period_check(tt_ledger_t *l, const char *day, char *reason, size_t rlen);

#endif
