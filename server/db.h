/*
 * db: tagtrail-server's store.  Every SQL statement of the server is here, so
 * that a group-scale site can later put the same API over PostgreSQL.
 *
 * The event table is the ledger's journal: one row per terminal event,
 * applied or rejected, never updated or deleted.  Stock balances are derived
 * from it, kept in step inside the same transaction.  Per terminal, the
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

typedef struct {
    char id[TT_EVENT_ID_MAX + 1];
    uint64_t applied_seq;
    uint64_t held;                 /* events waiting for a gap to fill */
    uint64_t rejected_events;
    uint64_t rejected_messages;
    int64_t first_seen_ms, last_seen_ms;   /* server clock, Unix ms; 0: never */
    int64_t last_event_ts_ms;      /* terminal clock of the newest applied event */
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

/* Closes; NULL is accepted. */
void tt_db_close(tt_db_t *db);

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

/* Applies one valid event: stock moves and the event is journaled as
 * applied.  An issue beyond the stock on hand is journaled as rejected
 * instead, with the shortfall in `reason`, and TT_ERR_STOCK is returned; an
 * arithmetic overflow likewise gives TT_ERR_RANGE.  Other failures: TT_ERR_FULL,
 * TT_ERR_DB (the caller rolls the transaction back). */
tt_err_t tt_db_apply(tt_db_t *db, const char *terminal, const tt_event_t *ev, int64_t now_ms,
                     char *reason, size_t rlen);

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
