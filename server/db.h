/*
 * db: tagtrail-server's store: the database file (opening, schema
 * migrations, transactions), the journal of terminal events and the
 * terminals' state.  It and the store modules over its connection
 * (dbmaster, ledger with posting and lots, revolve, spares, report) hold
 * every SQL statement of the server, so that a group-scale site can later
 * put the same APIs over PostgreSQL.
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
 * (ledger with posting and lots, revolve, spares, report, wfstore, ...)
 * only: together with this one they are the store layer, sharing this
 * handle's transactions, and no other module runs SQL.  Borrowed; valid
 * until tt_db_close. */
struct sqlite3;
struct sqlite3 *tt_db_sqlite(tt_db_t *db);

/* A persistent prepared statement of `sql` on `db`'s connection, for a
 * store module that keeps no handle of its own (dbmaster): prepared on its
 * first use, owned by `db` and finalized by tt_db_close.  `sql` is known by
 * its address: pass a string with static storage, the same pointer every
 * time.  Each use binds, steps and resets it (tt_stmt_done, stmt.h) before
 * the next.  Returns NULL when it cannot be prepared (out of memory, or SQL
 * the schema does not fit). */
struct sqlite3_stmt;
struct sqlite3_stmt *tt_db_stmt(tt_db_t *db, const char *sql);

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

#endif
