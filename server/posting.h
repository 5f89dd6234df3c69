/*
 * posting: one line of a ledger document posted as movements (ledger.h for
 * the lines and kinds; rules: docs/ledger.md), a store module of
 * tagtrail-server over the connection of a tt_db_t.  For a line it checks
 * the fields its kind needs, what it refers to (master data once the site
 * has any of a kind, plan lines, safety categories) and stock; then it
 * writes its movement rows (a receipt's consumed material as consume
 * movements beside it) and has the lot store (lots.h) draw, give back or
 * add lots, including the re-allocation of later issues when the line is
 * backdated.
 *
 * The document is the ledger's (ledger.c): its number, its date in an open
 * period, the kinds of master data the site has, and the savepoint that
 * makes it all or nothing.  Nothing here begins or ends a transaction; a
 * refused or failed line may have written part of its rows, for the caller
 * to roll back.  A handle is used by one thread at a time.
 */
#ifndef TT_POSTING_H
#define TT_POSTING_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "ledger.h"
#include "lots.h"
#include "money.h"

typedef struct tt_posting tt_posting_t;

/* Kinds of master data a site has (tt_posting_doc_t.master): references
 * to a kind are checked once the site has any row of it. */
enum {
    TT_POSTING_ITEMS = 1,
    TT_POSTING_WAREHOUSES = 2,
    TT_POSTING_UNITS = 4,
    TT_POSTING_PLANS = 8,
};

/* The document a line belongs to, as the ledger checked it.  Strings are
 * borrowed for the call. */
typedef struct {
    const char *doc;                          /* its number */
    const char *day;                          /* business date: valid, in an open month */
    char month[TT_LEDGER_MONTH_LEN + 1];      /* the month of day */
    const char *operator_id;
    const char *approver;                     /* "" for none */
    int office;                               /* 1: office document; 0: terminal event */
    const char *terminal;                     /* an event's terminal and seq, carried */
    uint64_t seq;                             /* by the movements of its line */
    unsigned master;                          /* TT_POSTING_* bits */
    int64_t now_ms;                           /* server time, on every row written */
    size_t reallocated;                       /* later issues re-allocated: added to */
    char *reason;                             /* why a line was refused; may be NULL */
    size_t rlen;
} tt_posting_doc_t;

/* Prepares the statements on `db` (borrowed; writable).  `lots` (borrowed)
 * is the lot store on the same tt_db_t; close this handle first.  On TT_OK
 * *out is owned by the caller (tt_posting_close).  Returns TT_ERR_NOMEM or
 * TT_ERR_DB. */
tt_err_t tt_posting_open(tt_db_t *db, tt_lots_t *lots, tt_posting_t **out);

/* Closes; NULL is accepted. */
void tt_posting_close(tt_posting_t *ps);

/* The movement kind a line kind is stored as ("receipt", "issue",
 * "transfer", "stockback", "old_return", "count", "exclusion"), NULL for a
 * value that is no kind; and the prefix of the numbers the ledger gives its
 * documents ("RK", "CK", "DB", "TK", "JJ", "PD", "PC"; "XX" for no kind). */
const char *tt_posting_kind_name(tt_ledger_kind_t kind);
const char *tt_posting_kind_prefix(tt_ledger_kind_t kind);

/* Posts `ln` as line number `line` of document *d: checks it, writes its
 * movements (*first: the id of the line's own movement) and what they do to
 * lots and stock, and re-allocates later issues it comes before (adding
 * their number to d->reallocated).  On refusal d->reason says why, without
 * a line prefix.  Returns TT_OK, TT_ERR_INVAL, TT_ERR_STOCK, TT_ERR_RANGE,
 * TT_ERR_NOMEM, TT_ERR_FULL or TT_ERR_DB, as tt_ledger_post (ledger.h)
 * explains them. */
tt_err_t tt_posting_apply(tt_posting_t *ps, tt_posting_doc_t *d, const tt_ledger_line_t *ln,
                          int line, int64_t *first);

/* The standard price of `item` (*price, fen; 0 for an item master data does
 * not know), looked up with the line context of (item, warehouse, unit).
 * Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_posting_item_price(tt_posting_t *ps, const char *item, const char *warehouse,
                               const char *unit, tt_fen_t *price);

#endif
