/*
 * ledger: the central materials ledger (材料台账), a store module of
 * tagtrail-server: all of its SQL is in ledger.c (documents, periods,
 * marks, tags, resolutions) and the two store modules it opens under it,
 * posting.h (a line's movements) and lots.h (the lot store), over the
 * connection of a tt_db_t (schema: migration 6 in db.c; business rules:
 * docs/ledger.md).
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
/* A document number: an office number (an id), the ledger's own
 * "<prefix>.<movement id>" or a terminal's "<terminal>-<seq>" (up to 32 +
 * 1 + 16 bytes), without NUL. */
#define TT_LEDGER_DOC_MAX 64
/* The largest quantity (thousandths) and value (fen) of one line: a billion
 * units and ten billion yuan, so that no balance or report total can
 * overflow 64 bits in practice. */
#define TT_LEDGER_QTY_MAX 1000000000000LL
#define TT_LEDGER_VALUE_MAX 1000000000000LL

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
 *              Goes back to the lots the unit's issues of the item from
 *              this warehouse drew on, newest allocation first, at the
 *              price each left at.
 *   old_return: warehouse, item, qty > 0, unit.
 *   count:     warehouse, item, qty >= 0 (the quantity found); the book
 *              quantity at that moment is kept beside it (movement.book_qty).
 *   exclusion: item, qty > 0, unit, note (why) and the document's
 *              approver; warehouse optional.
 * Ids are as in tt_event (1-32 bytes); "" means absent.  Items,
 * warehouses, units and plan lines are each checked against master data
 * once the site has any row of that kind: before the first import of a
 * kind, references to it are taken as they come, as before the ledger.  A line's qty is at most
 * TT_LEDGER_QTY_MAX, its value, price, labour and material at most
 * TT_LEDGER_VALUE_MAX. */
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
    tt_fen_t labour, material;                /* fen >= 0 */                /* processed, refurbished, small electric */
    const struct tt_ledger_line *consume;     /* borrowed; kind TT_LEDGER_ISSUE each */
    size_t nconsume;
    char note[TT_LEDGER_TEXT_MAX];
} tt_ledger_line_t;

/* A document: its lines share number, date, operator and approver, and are
 * all of one kind. */
typedef struct {
    char doc[TT_LEDGER_DOC_MAX + 1];          /* "": the ledger numbers it */
    char day[TT_LEDGER_DAY_LEN + 1];          /* business date */
    char operator_id[TT_EVENT_ID_MAX + 1];
    char approver[TT_EVENT_ID_MAX + 1];       /* "" when none */
    const tt_ledger_line_t *lines;            /* borrowed */
    size_t nlines;                            /* 1 .. TT_LEDGER_LINES_MAX */
} tt_ledger_doc_t;

/* What applying a document did. */
typedef struct {
    char doc[TT_LEDGER_DOC_MAX + 1];          /* its number */
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

/* Applies an office document, all lines or none, in order (a line sees the
 * lines before it).  doc->doc "" is numbered "<prefix>.<id of line 1's
 * movement>" with prefix RK (receipt), CK (issue), DB (transfer), TK
 * (stock-back), JJ (old return), PD (count), PC (exclusion), which no
 * terminal document ("<terminal>-<seq>") can equal; a given number is used
 * as given (tt_ledger_doc_used tells whether it is taken).  On refusal
 * nothing is written and `reason` says which line and why ("line 2: ...",
 * shortfall included).  Returns TT_OK (*res filled, may be NULL),
 * TT_ERR_INVAL (a bad or missing field, lines of several kinds, an unknown
 * item, warehouse, unit or plan line, a plan line that is not approved or
 * is for another item or has a category that is not a safety_category
 * code, a stock-back beyond what was issued and not yet given back),
 * TT_ERR_STOCK (beyond stock), TT_ERR_CLOSED (dated in a closed month),
 * TT_ERR_RANGE (overflow), TT_ERR_NOMEM, TT_ERR_FULL or TT_ERR_DB (the
 * store failed: roll the transaction back). */
tt_err_t tt_ledger_post(tt_ledger_t *l, const tt_ledger_doc_t *doc, int64_t now_ms,
                        tt_ledger_result_t *res, char *reason, size_t rlen);

/* Applies a valid terminal event (from ingest, after tt_event_validate) as
 * line `line` (1 without) of document "<terminal>-<seq of its line 1>"
 * (seq - line + 1), origin 'terminal', with the event's terminal and seq on
 * the movement, dated `day`: receive (a purchase receipt valued at the
 * item's standard price, 0 for an item master data does not know; `ref`
 * is the plan serial), issue, transfer, return (交旧: old_return) and count;
 * revolve and equipment events are not the ledger's (server/revolve.h and
 * the repair module take them) and give TT_ERR_INVAL.  Returns as
 * tt_ledger_post, with `reason` free of a line prefix; a refused event is
 * the caller's to journal as rejected with `reason` (it then shows as an
 * exception). */
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
 * that was not received as safety, with a reason and an approver.  The
 * allocation keeps its own (empty) category; agg_issue moves its quantity
 * and value (and those of stock-backs of it) to marked = 1 under
 * `category`.  The mark stays with (movement, lot) through a
 * re-allocation: it applies to whatever the movement draws from that lot.  Returns
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

/* Checks that `day` is a valid business date in an open month: a month is
 * closed when it or any later month has been closed (a month without
 * movements may be skipped when closing, and is then closed too).  Returns
 * TT_OK, TT_ERR_INVAL (not a date: reason says so), TT_ERR_CLOSED or
 * TT_ERR_DB. */
tt_err_t tt_ledger_period_check(tt_ledger_t *l, const char *day, char *reason, size_t rlen);

/* The quantity of `item` on hand in `warehouse` now (0 when none): what a
 * count's book quantity is.  Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_ledger_on_hand(tt_ledger_t *l, const char *warehouse, const char *item,
                           tt_qty_t *qty);

/* For modules that write movements of their own inside the caller's
 * transaction (revolve): the number the ledger would give a document of
 * `prefix` (1-16 bytes of A-Z) whose first movement is inserted next,
 * "<prefix>.<next movement id>", copied to doc[TT_LEDGER_DOC_MAX + 1];
 * valid until the next movement is inserted.  Returns TT_OK, TT_ERR_INVAL
 * or TT_ERR_DB. */
tt_err_t tt_ledger_next_doc(tt_ledger_t *l, const char *prefix,
                            char doc[TT_LEDGER_DOC_MAX + 1]);

/* Whether document number `doc` is used by any movement: TT_OK (free),
 * TT_ERR_EXISTS (used) or TT_ERR_DB.  The office checks a paper number
 * with it before posting, so that a request sent twice posts once. */
tt_err_t tt_ledger_doc_used(tt_ledger_t *l, const char *doc);

#endif
