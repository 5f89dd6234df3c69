/*
 * report: the read side of the materials ledger, a store module of
 * tagtrail-server (its SQL is here, over the connection of a tt_db_t; the
 * tables are migration 6's in db.c, written by server/ledger.c).  Nothing
 * here writes.
 *
 * The reports: the issuance ledger (签发台账: allocation lines of issues and
 * stock-backs, keyset-paged, with totals) and its statistics; the
 * safety-expense report by category and month, its (a) and (b) parts and
 * the allocations behind them; audit's expense-tag totals; the old-item
 * return assessment (交旧考核) and the month's recovery report; work-area
 * stock and the open lots of a warehouse; and the exceptions (terminal
 * events the server refused) with how they were settled.
 *
 * Figures over many months come from the ledger's aggregates (agg_issue,
 * agg_return), which ledger.c keeps in step with every allocation, so a
 * report costs what the period holds, not the whole history.  Issued
 * quantities and values are net of stock-backs.  Allocation lines are
 * listed as they stand: a backdated entry's re-allocation keeps the rows it
 * reversed and their reversals (the ledger is append-only), which cancel
 * and are left out; its new rows are listed.
 *
 * Every function calls `fn` once per row, in the order documented, with
 * strings that are valid only during the call ("" for none); a non-zero
 * return from `fn` stops the read early (still TT_OK).  Days are
 * 'YYYY-MM-DD', months 'YYYY-MM'.  Functions return TT_OK, TT_ERR_INVAL
 * (a bad argument: a malformed day or month, a limit out of range), TT_ERR_RANGE
 * (a total overflowed) or TT_ERR_DB.  They are read-only: a read-only
 * tt_db_t is enough, and each answer is one consistent snapshot only inside
 * the caller's transaction.
 */
#ifndef TT_REPORT_H
#define TT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "money.h"

#define TT_REPORT_PAGE_MAX 500        /* rows of one page of a paged read */
#define TT_REPORT_NO_CATEGORY "none"  /* category filter: lines that are no safety expense */

/* Filters of the issuance ledger and its statistics.  NULL: any.  category
 * is a safety-expense category code (the lot's, or the one an allocation
 * was marked with), or TT_REPORT_NO_CATEGORY.  from and to are days,
 * inclusive. */
typedef struct {
    const char *item, *unit, *warehouse, *category;
    const char *from, *to;
} tt_report_filter_t;

/* Where a page of a day-ordered read ended: give it back to read on. */
typedef struct {
    int more;                      /* 1: there are rows after this page */
    char day[11];
    int64_t id;
} tt_report_cursor_t;

typedef struct {
    tt_qty_t qty;
    tt_fen_t value;
} tt_report_total_t;

/* One allocation line: part of an issue (or of a stock-back, negative)
 * drawn on one lot.  A stock-back line carries the mark and the tag of
 * the issue it gives back. */
typedef struct {
    int64_t id;                    /* the allocation */
    int64_t movement;              /* its document line */
    const char *kind;              /* "issue" or "stockback" */
    const char *doc;
    int line;
    const char *day, *warehouse, *unit, *item, *item_name, *uom;
    tt_qty_t qty;
    tt_fen_t value;
    int64_t lot;
    const char *receipt_doc;       /* the receipt the lot came from */
    const char *category;          /* the lot's safety category; "" none */
    const char *mark_category;     /* marked as used for safety in this one; "" not */
    const char *expense_tag;       /* audit's tag of the movement; "" none */
    int64_t reverses;              /* a stock-back: the issue allocation it gives
                                    * back to; 0 otherwise */
} tt_report_line_t;

typedef int (*tt_report_line_fn)(void *ctx, const tt_report_line_t *row);

/* A read transaction on `db`: every read between tt_report_begin and
 * tt_report_end sees the same state of the database (WAL: writers go on
 * meanwhile), so a report's page and its totals agree.  Not inside another
 * transaction.  Returns TT_OK or TT_ERR_DB; tt_report_end ends it. */
tt_err_t tt_report_begin(tt_db_t *db);
void tt_report_end(tt_db_t *db);

/* Non-zero when `s` is a real calendar day 'YYYY-MM-DD' (month
 * 'YYYY-MM'), years 1900-9999. */
int tt_report_day_valid(const char *s);
int tt_report_month_valid(const char *s);

/* Which master row a key names. */
typedef enum {
    TT_REPORT_UNIT = 1, TT_REPORT_WAREHOUSE, TT_REPORT_ITEM, TT_REPORT_CATEGORY,
} tt_report_key_t;

/* Whether the master row (or safety category) `key` exists.  Returns TT_OK,
 * TT_ERR_NOTFOUND, TT_ERR_INVAL (bad kind) or TT_ERR_DB. */
tt_err_t tt_report_exists(tt_db_t *db, tt_report_key_t kind, const char *key);

/* The issuance ledger (签发台账): allocation lines of kind issue and
 * stockback matching `f`, ordered by (day, id), after `after` (NULL: from
 * the start), at most `limit` (1 .. TT_REPORT_PAGE_MAX).  *next (may be
 * NULL) says whether more follow and where to go on.  *total (may be NULL)
 * gets the quantity and value of the whole filter (all pages), from
 * agg_issue. */
tt_err_t tt_report_issues(tt_db_t *db, const tt_report_filter_t *f,
                          const tt_report_cursor_t *after, size_t limit,
                          tt_report_line_fn fn, void *ctx, tt_report_cursor_t *next,
                          tt_report_total_t *total);

/* Statistics of issues: the dimensions to group by (bits; at least one). */
enum {
    TT_REPORT_BY_MONTH = 1,
    TT_REPORT_BY_UNIT = 2,
    TT_REPORT_BY_ITEM = 4,
    TT_REPORT_BY_CATEGORY = 8,     /* also splits marked from received as safety */
    TT_REPORT_BY_WAREHOUSE = 16,
};

typedef struct {
    const char *month, *unit, *unit_name, *item, *item_name, *uom, *category, *warehouse;
    int marked;                    /* by category: 1 for value marked as used for safety */
    tt_qty_t qty;
    tt_fen_t value;
} tt_report_stat_t;

typedef int (*tt_report_stat_fn)(void *ctx, const tt_report_stat_t *row);

/* Issued quantity and value matching `f`, grouped by the dimensions in
 * `by` (the others are ""), ordered by month, unit, item, category,
 * marked, warehouse.  *total (may be NULL) gets the sum of all rows. */
tt_err_t tt_report_stats(tt_db_t *db, const tt_report_filter_t *f, unsigned by,
                         tt_report_stat_fn fn, void *ctx, tt_report_total_t *total);

/* The safety-expense report, per month and category: (a) issued from lots
 * received as safety items; (b) issued from other lots and marked as used
 * for safety. */
typedef struct {
    const char *month, *category, *name_zh, *name_en;
    tt_qty_t qty_a, qty_b;
    tt_fen_t value_a, value_b;
} tt_report_safety_t;

typedef struct {
    tt_fen_t value_a, value_b;
} tt_report_safety_total_t;

typedef int (*tt_report_safety_fn)(void *ctx, const tt_report_safety_t *row);

/* Months from .. to (inclusive), one category or all (NULL), ordered by
 * month and category; only rows with something issued.  *total may be NULL. */
tt_err_t tt_report_safety(tt_db_t *db, const char *from_month, const char *to_month,
                          const char *category, tt_report_safety_fn fn, void *ctx,
                          tt_report_safety_total_t *total);

typedef enum { TT_REPORT_PART_A = 1, TT_REPORT_PART_B } tt_report_part_t;

/* The allocations behind figure `part` of months from .. to, for one
 * category or all (NULL): (a) lines drawn on lots received as safety, (b)
 * lines marked as used for safety (category: the mark's), with the
 * stock-backs of either.  Paged like
 * tt_report_issues; their values add up to the report's figure. */
tt_err_t tt_report_safety_detail(tt_db_t *db, const char *from_month, const char *to_month,
                                 const char *category, tt_report_part_t part,
                                 const tt_report_cursor_t *after, size_t limit,
                                 tt_report_line_fn fn, void *ctx, tt_report_cursor_t *next);

/* Audit's expense-type tags (费用类): per tag and month of the tagged
 * issues, the number of tagged lines and their value (what their
 * allocations hold now: re-allocations and stock-backs of them included).
 * One tag or all (NULL); ordered by tag, month.  *total may be NULL. */
typedef struct {
    const char *tag, *month;
    int64_t lines;
    tt_fen_t value;
} tt_report_tag_t;

typedef int (*tt_report_tag_fn)(void *ctx, const tt_report_tag_t *row);

tt_err_t tt_report_expense_tags(tt_db_t *db, const char *from_month, const char *to_month,
                                const char *tag, tt_report_tag_fn fn, void *ctx,
                                tt_fen_t *total);

/* The old-item return assessment (交旧考核), per month, unit and item of
 * the items whose old ones must be returned: issued (net), returned,
 * excluded, shortfall = max(0, issued - returned - excluded), penalty =
 * shortfall x the item's penalty standard, reward = returned x its reward
 * standard (each rounded half away from zero to the fen). */
typedef struct {
    const char *month, *unit, *unit_name, *item, *item_name, *uom;
    tt_qty_t issued, returned, excluded, shortfall;
    tt_fen_t penalty_std, reward_std;   /* per unit of the item */
    tt_fen_t penalty, reward;
} tt_report_assessment_t;

typedef struct {
    tt_fen_t penalty, reward;
} tt_report_assessment_total_t;

typedef int (*tt_report_assessment_fn)(void *ctx, const tt_report_assessment_t *row);

/* Months from .. to, one unit and item or all (NULL), ordered by month,
 * unit, item.  *total may be NULL. */
tt_err_t tt_report_assessment(tt_db_t *db, const char *from_month, const char *to_month,
                              const char *unit, const char *item,
                              tt_report_assessment_fn fn, void *ctx,
                              tt_report_assessment_total_t *total);

/* The recovery report (回收): old items returned per month, unit and item,
 * valued at the item's standard price (矿报标准), with the reward due. */
typedef struct {
    const char *month, *unit, *unit_name, *item, *item_name, *uom;
    tt_qty_t returned;
    tt_fen_t price, value, reward_std, reward;
} tt_report_recovery_t;

typedef struct {
    tt_fen_t value, reward;
} tt_report_recovery_total_t;

typedef int (*tt_report_recovery_fn)(void *ctx, const tt_report_recovery_t *row);

tt_err_t tt_report_recovery(tt_db_t *db, const char *from_month, const char *to_month,
                            const char *unit, const char *item, tt_report_recovery_fn fn,
                            void *ctx, tt_report_recovery_total_t *total);

/* Stock held in work-area warehouses (工区仓库) with its value (the open
 * lots'), per warehouse and item, ordered so; filters may be NULL.
 * *total_value may be NULL. */
typedef struct {
    const char *warehouse, *warehouse_name, *unit, *unit_name, *item, *item_name, *uom;
    tt_qty_t qty;
    tt_fen_t value;
} tt_report_stock_t;

typedef int (*tt_report_stock_fn)(void *ctx, const tt_report_stock_t *row);

tt_err_t tt_report_work_area_stock(tt_db_t *db, const char *warehouse, const char *unit,
                                   const char *item, tt_report_stock_fn fn, void *ctx,
                                   tt_fen_t *total_value);

/* The open lots of `warehouse` (required; any kind), one item or all, in
 * FIFO order per item: what is left of each, and what it was received as. */
typedef struct {
    int64_t lot;
    const char *warehouse, *item, *item_name, *uom, *fifo_day, *receipt_doc, *category,
        *plan_serial;
    tt_qty_t qty, received_qty;
    tt_fen_t value, received_value;
} tt_report_lot_t;

typedef int (*tt_report_lot_fn)(void *ctx, const tt_report_lot_t *row);

tt_err_t tt_report_lots(tt_db_t *db, const char *warehouse, const char *item,
                        tt_report_lot_fn fn, void *ctx, tt_report_total_t *total);

/* Exceptions: terminal events the server refused, with why, and how the
 * office settled them. */
typedef enum { TT_REPORT_OPEN = 1, TT_REPORT_SETTLED, TT_REPORT_ANY } tt_report_state_t;

typedef struct {
    const char *terminal;
    uint64_t seq;
    const char *type;              /* "" when the event could not be read */
    int64_t ts_ms, server_ms;      /* ts_ms 0: unknown */
    const char *operator_id, *warehouse, *item, *unit, *ref, *reason;
    int has_qty;
    tt_qty_t qty;
    int settled;
    int64_t movement;              /* the corrective movement; 0 none */
    const char *by, *note;
    int64_t settled_ms;
} tt_report_exception_t;

/* Where a page of exceptions ended. */
typedef struct {
    int more;
    char terminal[TT_EVENT_ID_MAX + 1];
    uint64_t seq;
} tt_report_exc_cursor_t;

typedef struct {
    int64_t open, settled;         /* of the whole filter's terminal(s) */
} tt_report_exc_count_t;

typedef int (*tt_report_exception_fn)(void *ctx, const tt_report_exception_t *row);

/* Exceptions in `state`, of one terminal or all (NULL), ordered by
 * terminal and seq, after `after` (NULL: from the start), at most `limit`
 * (1 .. TT_REPORT_PAGE_MAX).  *next and *count may be NULL. */
tt_err_t tt_report_exceptions(tt_db_t *db, tt_report_state_t state, const char *terminal,
                              const tt_report_exc_cursor_t *after, size_t limit,
                              tt_report_exception_fn fn, void *ctx,
                              tt_report_exc_cursor_t *next, tt_report_exc_count_t *count);

#endif
