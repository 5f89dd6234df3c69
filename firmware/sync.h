/*
 * sync: moves the outbox to the server and the server's acks back.
 *
 * In-order sending with a bounded window: at most `window` batches of at
 * most `batch_max` events are awaiting the server's ack at any time, so Paho
 * never holds more than the window (its own in-flight limit is set above it).
 * An ack moves the outbox's synced watermark and frees window space.  When no
 * ack makes progress for `resend_ms`, or the connection or the server comes
 * back, sending restarts from the watermark: the server drops duplicates.
 *
 * Master data: on every (re)connect and every few minutes the terminal asks
 * for what changed since the version it holds and stores the pages.
 * Equipment states (tt_sync_set_assets) likewise: on (re)connect, every
 * minute and, at most every 10 s, after acks that moved the watermark.
 *
 * A new scan does not queue behind an old backlog: it is also sent at once on
 * its own ("express"); the server holds it until the backlog before it has
 * arrived, then applies everything in sequence order.
 */
#ifndef TT_SYNC_H
#define TT_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "log.h"
#include "assetview.h"
#include "outbox.h"
#include "uplink.h"

typedef struct tt_sync tt_sync_t;

typedef struct {
    const char *terminal;
    size_t batch_max;
    int window;
    int64_t resend_ms;
} tt_sync_conf_t;

/* Creates the sync state over a borrowed outbox and uplink (both must outlive
 * it).  On TT_OK *out is owned by the caller (tt_sync_free).  Returns
 * TT_ERR_INVAL or TT_ERR_NOMEM. */
tt_err_t tt_sync_new(const tt_sync_conf_t *conf, tt_outbox_t *ob, tt_uplink_t *up, tt_log_t *log,
                     tt_sync_t **out);

/* Frees; NULL is accepted. */
void tt_sync_free(tt_sync_t *s);

/* The uplink (re)connected, or a publish failed: restart from the watermark. */
void tt_sync_restart(tt_sync_t *s, int64_t now_ms);

/* A message arrived on the terminal's ack, master data, stock snapshot or
 * equipment-state topic, or the server status topic (the uplink subscribes
 * to all five).  Malformed acks are logged
 * and ignored (the resend timer recovers). */
void tt_sync_message(tt_sync_t *s, const char *topic, const char *payload, size_t len,
                     int64_t now_ms);

/* An event was just recorded with this seq. */
void tt_sync_recorded(tt_sync_t *s, uint64_t seq, int64_t now_ms);

/* Sends what the window allows and handles the resend timer. */
void tt_sync_pump(tt_sync_t *s, int64_t now_ms);

/* Keeps the stock snapshot of `warehouse` (the counter's) fresh: asked for
 * on a change of warehouse, on (re)connect, and after acks, at most every
 * 10 s.  "" stops asking. */
void tt_sync_watch_warehouse(tt_sync_t *s, const char *warehouse);

/* Keeps the equipment-state view `av` (borrowed; must outlive s, NULL
 * stops it) fresh from the server's asset-states downlink (the uplink must
 * subscribe to the terminal's TT_ASSETS_LEAF topic). */
void tt_sync_set_assets(tt_sync_t *s, tt_assetview_t *av);

/* Next moment (tt_clock_mono_ms) tt_sync_pump has timed work, or -1. */
int64_t tt_sync_deadline(const tt_sync_t *s);

/* Non-zero when the server last announced itself online. */
int tt_sync_server_online(const tt_sync_t *s);

#endif
