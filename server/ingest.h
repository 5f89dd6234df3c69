/*
 * ingest: turns terminal messages into ledger changes, exactly once and in
 * sequence order per terminal.
 *
 * Messages are taken in rounds: tt_ingest_begin opens one transaction,
 * tt_ingest_message is called for each message that arrived meanwhile, and
 * tt_ingest_commit commits and only then hands out the acks (group commit:
 * one fsync per round however many batches and terminals it covers).
 *
 * Per terminal: an event at or below the applied watermark is a duplicate
 * and is dropped; the next one in order is applied (or journaled as
 * rejected, with its reason); one further ahead waits in a bounded in-memory
 * hold until the gap before it fills.  Held events are not acknowledged, so
 * losing them (a restart) costs only a resend.  The terminal is the one the
 * topic names: a payload naming another is refused whole.
 *
 * A master-data request (tt/v1/t/<terminal>/master-req) is answered with one
 * page read inside the round's transaction and published, like the acks,
 * after the commit (docs/protocol.md, "Master data"); so are stock requests
 * and equipment-state requests (assets-req: server/assetfeed.h, with the
 * asking terminal's watermark that matches the page).
 */
#ifndef TT_INGEST_H
#define TT_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "log.h"

typedef struct tt_ingest tt_ingest_t;

/* Receives each reply (an ack or a master page) after a successful commit:
 * publish `payload` (len bytes, borrowed for the call) on `topic`. */
typedef void (*tt_ingest_ack_fn)(void *ctx, const char *topic, const char *payload, size_t len);

typedef struct {
    size_t max_payload;     /* larger messages are refused unread */
    size_t hold_max;        /* held events per terminal */
} tt_ingest_conf_t;

/* Creates the ingest state over a borrowed writable db, with its own ledger
 * handle on it (server/ledger.h: receive, issue, transfer, return and count
 * events go through the ledger; a refused one is journaled as rejected).
 * On TT_OK *out is owned by the caller (tt_ingest_free).  Returns
 * TT_ERR_NOMEM or TT_ERR_DB. */
tt_err_t tt_ingest_new(const tt_ingest_conf_t *conf, tt_db_t *db, tt_log_t *log,
                       tt_ingest_t **out);

/* Frees; NULL is accepted. */
void tt_ingest_free(tt_ingest_t *ing);

/* Opens a round.  Returns TT_OK, TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_ingest_begin(tt_ingest_t *ing);

/* Takes one message of the round.  Bad messages are kept and counted in the
 * db and logged, and TT_OK is still returned: they change nothing else.
 * Returns TT_ERR_FULL or TT_ERR_DB when the store failed: the caller must
 * then call tt_ingest_abort. */
tt_err_t tt_ingest_message(tt_ingest_t *ing, const char *topic, const char *payload, size_t len,
                           int64_t now_ms);

/* Commits the round, then calls `fn` once per terminal that sent events in
 * it (its ack) and once per distinct master request in it (its page; a
 * request whose page cannot fit ingest.max_payload even with one row is
 * logged and not answered).  Returns TT_OK, or TT_ERR_FULL / TT_ERR_DB after rolling back (as
 * tt_ingest_abort): nothing of the round is acknowledged. */
tt_err_t tt_ingest_commit(tt_ingest_t *ing, tt_ingest_ack_fn fn, void *ctx);

/* Rolls the round back and forgets in-memory progress, which is reloaded
 * from the db when next needed. */
void tt_ingest_abort(tt_ingest_t *ing);

#endif
