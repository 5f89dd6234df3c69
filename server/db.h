/*
 * db: tagtrail-server's store.  Every SQL statement of the server is here, so
 * that a group-scale site can later put the same API over PostgreSQL.
 *
 * The event table is the journal of terminal events: one row per event,
 * applied or rejected, never updated or deleted.  What an applied event did
 * to stock and lots is the ledger's (server/ledger.h), kept in step inside
 * the same transaction.  Per terminal, the
 * highest sequence number processed is stored with the events it covers, so
 * a crash can never separate "applied" from "recorded as applied".
 *
 * A handle is used by one thread at a time.  The writer (ingest) and readers
 * (HTTP) open their own handles; SQLite's WAL lets them run side by side.
 */
#ifndef TT_DB_H
#define TT_DB_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"
#include "master.h"

typedef struct tt_db tt_db_t;

/* A terminal clock more than 10 minutes off the server's is suspect
 * (docs/decisions.md, "Clocks"): terminals underground have no NTP, so
 * minutes of drift are normal and harmless; hours or days are a wrong clock
 * (a flat RTC battery, a mistyped date).  Nothing is refused for it. */
#define TT_DB_CLOCK_SUSPECT_MS (10 * 60 * 1000)

typedef struct {
    char id[TT_EVENT_ID_MAX + 1];
    uint64_t applied_seq;
    uint64_t held;                 /* events waiting for a gap to fill */
    uint64_t rejected_events;
    uint64_t rejected_messages;
    int64_t first_seen_ms, last_seen_ms;   /* server clock, Unix ms; 0: never */
    int64_t last_event_ts_ms;      /* terminal clock of the newest applied event */
    /* Terminal clock minus server clock, Unix ms, measured on the terminal's
     * newest journaled event with status applied (highest seq): its ts_ms
     * minus its server_ms.  Rejected events are skipped: one may be refused
     * for garbage content, and the offset must not jump with it.  Includes
     * the sync delay (an event sent late looks behind), so only offsets far
     * beyond TT_DB_CLOCK_SUSPECT_MS mean a wrong clock. */
    int has_clock_offset;          /* 0: no applied event yet, offset unknown */
    int64_t clock_offset_ms;
    int clock_suspect;             /* |clock_offset_ms| > TT_DB_CLOCK_SUSPECT_MS */
    int online;
    char firmware[33];
    char board[33];
} tt_db_terminal_t;

typedef struct {
    int64_t id;
    char terminal[TT_EVENT_ID_MAX + 1];  /* "" when the topic named no valid terminal */
    char topic[128];
    int64_t server_ms;
    char reason[TT_EVENT_REASON_MAX];
    size_t size;                   /* the whole payload's size */
    const char *excerpt;           /* its first bytes (at most 512), valid in the callback */
    size_t excerpt_len;
} tt_db_badmsg_t;

/* Opens the database at `path`, creating and migrating it when `readonly`
 * is 0; a writable open also clears every terminal's held count and online
 * flag, which belonged to the previous run.  On TT_OK *out is owned by the caller (tt_db_close).  Returns
 * TT_ERR_DB or TT_ERR_VERSION with a reason in err, or TT_ERR_NOMEM. */
tt_err_t tt_db_open(const char *path, int readonly, tt_db_t **out, char *err, size_t errlen);

/* Opens the database writable for a tool that runs beside a server on the
 * same file (tagtrail-server --import): creates and migrates it like
 * tt_db_open, but leaves the terminals' run state (held, online) alone, and
 * waits up to 30 s (not 5) for the server's transactions.  Returns as
 * tt_db_open. */
tt_err_t tt_db_open_tool(const char *path, tt_db_t **out, char *err, size_t errlen);

/* Closes; NULL is accepted. */
void tt_db_close(tt_db_t *db);

/* The SQLite connection under `db`, for the server's other store modules
 * (ledger with posting and lots, revolve, spares, report) only: together
 * with this one they are the store layer, and no other module runs SQL.
 * Borrowed; valid until tt_db_close. */
struct sqlite3;
struct sqlite3 *tt_db_sqlite(tt_db_t *db);

/* Transactions: one per ingest round (group commit).  Each returns TT_OK,
 * TT_ERR_FULL (disk full) or TT_ERR_DB. */
tt_err_t tt_db_begin(tt_db_t *db);
tt_err_t tt_db_commit(tt_db_t *db);
void tt_db_rollback(tt_db_t *db);

/* Reads a terminal's applied seq; a terminal never seen gives 0.
 * Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_db_terminal_applied(tt_db_t *db, const char *terminal, uint64_t *applied);

/* Records that `terminal` was heard from at server time `now_ms`, has
 * processed through `applied`, and holds `held` events.  Creates the row on
 * first sight.  Returns TT_OK, TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_db_terminal_progress(tt_db_t *db, const char *terminal, uint64_t applied,
                                 uint64_t held, int64_t now_ms);

/* Records a terminal's presence message. */
tt_err_t tt_db_terminal_presence(tt_db_t *db, const char *terminal, int online,
                                 const char *firmware, const char *board, int64_t now_ms);

/* Journals valid event `ev` of `terminal` as applied, with all its fields:
 * the ledger (server/ledger.h) applied it, or its own module will.
 * book_qty >= 0 is a count's stock on record when it was applied (< 0:
 * none).  What an event does to stock is the ledger's, in the same
 * transaction.  Returns TT_OK, TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_db_journal_applied(tt_db_t *db, const char *terminal, const tt_event_t *ev,
                               int64_t now_ms, tt_qty_t book_qty);

/* Journals valid event `ev` as rejected for `reason` (the ledger refused
 * it: an exception for the office), with all its fields, and counts the
 * rejection.  Returns TT_OK, TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_db_journal_rejected(tt_db_t *db, const char *terminal, const tt_event_t *ev,
                                int64_t now_ms, const char *reason);

/* Journals event `seq` of `terminal` as rejected for `reason` without
 * applying anything.  Returns TT_OK, TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_db_reject_event(tt_db_t *db, const char *terminal, uint64_t seq, int64_t ts_ms,
                            int64_t now_ms, const char *reason);

/* Keeps a message that could not be used at all (its first bytes, its size
 * and why), and counts it against `terminal` when that is non-empty.
 * Returns TT_OK, TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_db_reject_message(tt_db_t *db, const char *terminal, const char *topic,
                              int64_t now_ms, const char *reason, const void *payload,
                              size_t len);

/* Lists rejected events of `terminal` with after < seq <= through, in seq
 * order, into a new array owned by the caller (free()); *n may be 0 with
 * *out NULL.  Returns TT_OK, TT_ERR_NOMEM or TT_ERR_DB. */
tt_err_t tt_db_rejections(tt_db_t *db, const char *terminal, uint64_t after, uint64_t through,
                          tt_event_rejection_t **out, size_t *n);

/* Read side, for the HTTP API.  Each calls fn once per row; a non-zero
 * return from fn stops early.  Filters may be NULL.  Returns TT_OK or TT_ERR_DB. */
typedef int (*tt_db_stock_fn)(void *ctx, const char *warehouse, const char *item, tt_qty_t qty);
tt_err_t tt_db_stock_each(tt_db_t *db, const char *warehouse, const char *item,
                          tt_db_stock_fn fn, void *ctx);

typedef int (*tt_db_terminal_fn)(void *ctx, const tt_db_terminal_t *t);
tt_err_t tt_db_terminals_each(tt_db_t *db, tt_db_terminal_fn fn, void *ctx);

typedef int (*tt_db_badmsg_fn)(void *ctx, const tt_db_badmsg_t *m);
/* Newest first, at most `limit`. */
tt_err_t tt_db_badmsgs_each(tt_db_t *db, const char *terminal, size_t limit,
                            tt_db_badmsg_fn fn, void *ctx);

typedef int (*tt_db_rejection_fn)(void *ctx, const char *terminal, uint64_t seq,
                                  int64_t server_ms, const char *reason);
/* Rejected events, newest first, at most `limit`. */
tt_err_t tt_db_rejected_each(tt_db_t *db, const char *terminal, size_t limit,
                             tt_db_rejection_fn fn, void *ctx);

/* --- master data -----------------------------------------------------------
 *
 * Tables unit, warehouse, item (with item_barcode), operator, plan (approved
 * plan lines) and equipment (the equipment register), and the single master
 * version (shared/master.h).  Each row carries the master
 * version at which its content last changed.  The writers are the put
 * functions, called by the import inside one transaction (tt_db_begin) that
 * stamps every row it changes with one new version; they store a row only
 * when it is new or differs, so an identical row keeps its version.  Rows of
 * the six tables are never deleted (triggers refuse it): a row absent from a
 * later import stays as it was.  An item's barcodes are part of the item:
 * its put replaces the list.
 *
 * None of these check references between rows or conflicts (the import
 * does, with the file in view, to report every problem by line); the
 * schema's keys and foreign keys are the last line of defence.  They need a
 * writable handle (tt_db_open with readonly 0, or tt_db_open_tool). */

/* The master tables, in the order pages list them. */
typedef enum {
    TT_DB_UNIT = 1, TT_DB_WAREHOUSE, TT_DB_ITEM, TT_DB_OPERATOR, TT_DB_PLAN, TT_DB_EQUIPMENT
} tt_db_master_t;
#define TT_DB_MASTER_LAST TT_DB_EQUIPMENT

/* An item as the server stores it: what terminals get, plus the terms of
 * 交旧领新 (issue a new one against the old one returned), which only the
 * ledger uses. */
typedef struct {
    tt_master_item_t item;
    int return_old;          /* 1: the old one must come back to issue a new one */
    tt_fen_t reward;         /* fen >= 0, paid for returning the old one */
    tt_fen_t penalty;        /* fen >= 0, charged for not returning it */
} tt_db_item_t;

/* Reads / sets the master version (0 until the first import changes
 * anything).  Return TT_OK, TT_ERR_FULL (set only) or TT_ERR_DB. */
tt_err_t tt_db_master_version(tt_db_t *db, uint64_t *version);
tt_err_t tt_db_master_set_version(tt_db_t *db, uint64_t version);

/* Counts into *n the rows of `table` stamped with exactly `version` (what
 * one import changed).  Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_db_master_stamped(tt_db_t *db, tt_db_master_t table, uint64_t version, size_t *n);

/* Reads the version of the row of `table` with key `key` (id; code for
 * items, serial for plans, asset number for equipment).  Returns TT_OK,
 * TT_ERR_NOTFOUND or TT_ERR_DB. */
tt_err_t tt_db_master_row_version(tt_db_t *db, tt_db_master_t table, const char *key,
                                  uint64_t *version);

/* Looks up who holds a barcode (an item code, copied to
 * item[TT_EVENT_CODE_MAX + 1]) or a badge (an operator id, copied to
 * op[TT_EVENT_ID_MAX + 1]), or whether a unit, an item (by its code, not
 * its other barcodes) or an asset (by its asset number) exists.  Return
 * TT_OK, TT_ERR_NOTFOUND or TT_ERR_DB. */
tt_err_t tt_db_master_barcode_owner(tt_db_t *db, const char *barcode, char *item);
tt_err_t tt_db_master_badge_owner(tt_db_t *db, const char *badge, char *op);
tt_err_t tt_db_master_unit_exists(tt_db_t *db, const char *id);
tt_err_t tt_db_master_item_exists(tt_db_t *db, const char *code);
tt_err_t tt_db_master_asset_exists(tt_db_t *db, const char *asset);

/* Whether `code` is one of the fixed safety-expense category codes (table
 * safety_category, S01 ... S11).  Returns TT_OK, TT_ERR_NOTFOUND or
 * TT_ERR_DB. */
tt_err_t tt_db_safety_category_exists(tt_db_t *db, const char *code);

/* Looks up which asset holds an asset barcode or a GIAI: its asset number
 * is copied to asset[TT_EVENT_CODE_MAX + 1].  Return TT_OK, TT_ERR_NOTFOUND
 * or TT_ERR_DB. */
tt_err_t tt_db_master_asset_barcode_owner(tt_db_t *db, const char *barcode, char *asset);
tt_err_t tt_db_master_giai_owner(tt_db_t *db, const char *giai, char *asset);

/* Reads the item `code` into *out (barcodes: the code first, then the others
 * in byte order) and its version into *version (may be NULL).  Returns TT_OK,
 * TT_ERR_NOTFOUND or TT_ERR_DB. */
tt_err_t tt_db_master_item_get(tt_db_t *db, const char *code, tt_db_item_t *out,
                               uint64_t *version);

/* Stores a row if it is new or its content differs, stamped with `version`;
 * *changed (may be NULL) says whether it did.  Rows are valid (the caller
 * checked them); "" for an optional reference or badge is stored as NULL.
 *
 * put_item makes the item's barcodes exactly its code plus item.barcodes: a
 * barcode it held and no longer lists is dropped; a listed barcode that
 * another item holds moves here, and that item is stamped too (its list
 * changed).  put_operator likewise takes its badge from any other operator,
 * stamping that one, and put_equipment its barcode and its GIAI from any
 * other asset.
 *
 * Return TT_OK, TT_ERR_FULL or TT_ERR_DB (also for a broken key or foreign
 * key: the caller rolls back). */
tt_err_t tt_db_master_put_unit(tt_db_t *db, const tt_master_unit_t *u, uint64_t version,
                               int *changed);
tt_err_t tt_db_master_put_warehouse(tt_db_t *db, const tt_master_warehouse_t *w,
                                    uint64_t version, int *changed);
tt_err_t tt_db_master_put_item(tt_db_t *db, const tt_db_item_t *it, uint64_t version,
                               int *changed);
tt_err_t tt_db_master_put_operator(tt_db_t *db, const tt_master_operator_t *o,
                                   uint64_t version, int *changed);
tt_err_t tt_db_master_put_plan(tt_db_t *db, const tt_master_plan_t *p, uint64_t version,
                               int *changed);
tt_err_t tt_db_master_put_equipment(tt_db_t *db, const tt_master_equipment_t *e,
                                    uint64_t version, int *changed);

/* Builds a page of master data for a terminal at version `since`: the rows
 * of every table with version > since, in the order units, warehouses,
 * items, operators, plans, equipment and by key within a table, at most
 * max_rows (>= 1) of them, starting after `cursor` ("" for the first page).
 * The first page's `to` is the current master version; the cursor
 * ("<to>:<table>:<key>", table one of unit, warehouse, item, operator,
 * plan, equipment) carries it to every later page.  A row changed while a terminal pages (version > to) may come in
 * this series too; it comes again when the terminal next asks from `to`.
 * Call inside a transaction so the page is one consistent state.
 * On TT_OK *out is owned by the caller (tt_master_page_free).  Returns
 * TT_ERR_INVAL with a reason for a cursor this function did not write or a
 * bad max_rows, TT_ERR_NOMEM or TT_ERR_DB. */
tt_err_t tt_db_master_page(tt_db_t *db, uint64_t since, const char *cursor, size_t max_rows,
                           tt_master_page_t **out, char *reason, size_t rlen);

#endif
