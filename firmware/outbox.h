/*
 * outbox: the terminal's durable store, which is also its only send queue.
 *
 * Every event the terminal records is appended here, with the next sequence
 * number, in one SQLite transaction that is on disk (WAL, synchronous=FULL)
 * before tt_outbox_append returns: only then may the terminal beep.  The
 * uplink reads unacknowledged events back in sequence order and the server's
 * acknowledgements move the synced watermark; rejections are kept with their
 * reasons for the storekeeper to see.  Nothing is ever deleted by syncing;
 * synced events are pruned by age and count (tt_outbox_prune), a small
 * batch at a time, never the newest event, an unsynced one or a rejected
 * one whose reason nobody has read.
 *
 * The store also keeps the terminal's offline copy of the server's master
 * data (items and their barcodes, warehouses, units, operators, approved
 * plan lines, the equipment register), so the counter can name what is
 * scanned and refuse what is unknown while offline.
 *
 * All SQL of tagtrail-edge lives in this module and in assetview.c, the
 * terminal's view of equipment states, which keeps its tables in this
 * database (its schema is one of this store's migrations).  One thread
 * uses a handle.
 * A failed commit.  When SQLite's fsync of the WAL fails at COMMIT, the
 * commit's frames may already be whole in the WAL file, and a power cut
 * before anything else happens would let SQLite recover them: a write
 * reported as failed would reappear.  So no write is reported as failed
 * before the store has been *settled*: the transaction rolled back, every
 * committed frame checkpointed into the database file and the WAL truncated
 * (PRAGMA wal_checkpoint(TRUNCATE)), then one small write committed on the
 * emptied log (new salts, fsynced: no frame of the failed commit can be
 * recovered any more), then the store read again to see whether the write
 * is there after all.  This runs inside the failing call; when it cannot
 * complete (the disk still fails) the call returns TT_ERR_INDOUBT and the
 * store is *unsettled*: every later write returns TT_ERR_BUSY without
 * touching it (so it is certainly not stored) until tt_outbox_settle
 * succeeds and says whether the write in doubt was stored.  Reads keep working: they see only what was committed.  A
 * commit refused for want of space (TT_ERR_FULL) needs no settling:
 * ENOSPC means its commit frame was never written whole.
 */
#ifndef TT_OUTBOX_H
#define TT_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"
#include "master.h"
#include "snapshot.h"

typedef struct tt_outbox tt_outbox_t;

typedef struct {
    uint64_t last_seq;       /* highest seq recorded (0: none) */
    uint64_t synced;         /* every seq <= synced is acknowledged */
    uint64_t rejected;       /* events the server rejected */
    uint64_t conflict;       /* last refused ack's seq when it was beyond last_seq, else 0 */
    uint64_t master_version; /* version of the master data held (0: none yet) */
    int unsettled;           /* a failed commit is not settled yet: writes are refused */
    uint64_t store_faults;   /* failed commits settled in this store's life */
    uint64_t pruned;         /* every synced event <= pruned is deleted, but those kept
                              * for an unread rejection */
} tt_outbox_stats_t;

/* How long synced events are kept (tt_outbox_prune). */
typedef struct {
    int64_t keep_ms;         /* a synced event older than this (by its ts_ms) goes ... */
    uint64_t keep_events;    /* ... and so does any beyond the newest keep_events */
} tt_outbox_retention_t;

/* Opens (creating and migrating as needed) the store at `path`.
 * On TT_OK *out is owned by the caller (tt_outbox_close).  On failure a
 * reason is written to err (errlen bytes) and the code is TT_ERR_DB,
 * TT_ERR_VERSION (store written by a newer firmware) or TT_ERR_NOMEM. */
tt_err_t tt_outbox_open(const char *path, tt_outbox_t **out, char *err, size_t errlen);

/* Closes the store; NULL is accepted. */
void tt_outbox_close(tt_outbox_t *ob);

/* The SQLite connection under `ob`, for the store's other module
 * (assetview) only, which shares its transactions' rules: borrowed, valid
 * until tt_outbox_close. */
struct sqlite3;
struct sqlite3 *tt_outbox_sqlite(tt_outbox_t *ob);

/* Gives `ev` the next sequence number (written to ev->seq) and stores it
 * durably.  Returns TT_OK only once the event is on disk; TT_ERR_INVAL for an
 * invalid event, TT_ERR_FULL when the disk is full, TT_ERR_DB otherwise: on
 * these failures nothing is stored, not even after a power cut, and ev->seq
 * is 0.  TT_ERR_BUSY: the store is unsettled, nothing was tried.
 * TT_ERR_INDOUBT: the commit failed and the store could not be settled
 * (see above); ev->seq is 0 and whether the event is stored is told by
 * tt_outbox_settle. */
tt_err_t tt_outbox_append(tt_outbox_t *ob, tt_event_t *ev);

/* Stores n events in one transaction, giving them consecutive sequence
 * numbers (written to each evs[i].seq): all or none are durable on return.
 * For counter documents, bulk entry and benchmarks.  Returns as
 * tt_outbox_append. */
tt_err_t tt_outbox_append_many(tt_outbox_t *ob, tt_event_t *evs, size_t n);

/* Settles an unsettled store (see above); a no-op on a settled one.
 * Returns TT_OK once settled, with *first..*last the seqs of the events
 * that the undecided append stored after all (both 0 when it stored none,
 * which is then true after any power cut too, or when the undecided write
 * was not an append); TT_ERR_INDOUBT when the store still cannot be written
 * (nothing changed: try again later). */
tt_err_t tt_outbox_settle(tt_outbox_t *ob, uint64_t *first, uint64_t *last);

/* Builds one batch message of the events after `after` (at most `max`, in
 * sequence order) into buf[cap], stamped with the synced watermark.
 * Returns TT_OK with the message length in *len and the seqs it covers in
 * *first..*last; TT_ERR_NOTFOUND when no event follows `after`; TT_ERR_FULL
 * when even one event does not fit; TT_ERR_DB. */
tt_err_t tt_outbox_batch(tt_outbox_t *ob, const char *terminal, uint64_t after, size_t max,
                         char *buf, size_t cap, size_t *len, uint64_t *first, uint64_t *last);

/* Applies an acknowledgement in one transaction: the synced watermark rises
 * to `applied` (never falls) and each rejection is kept (a repeated one is
 * ignored).  An ack whose `applied` is beyond the last recorded seq is refused
 * whole with TT_ERR_PROTO and remembered in stats.conflict: the server holds
 * events this store never recorded (a replaced store, or a stray ack), and
 * believing it would mark unsent scans as synced.  Returns TT_OK,
 * TT_ERR_PROTO, TT_ERR_FULL, TT_ERR_DB, TT_ERR_INDOUBT or TT_ERR_BUSY
 * (unsettled: the server resends its ack when asked again). */
tt_err_t tt_outbox_ack(tt_outbox_t *ob, uint64_t applied, const tt_event_rejection_t *rej,
                       size_t nrej);

/* Fills *st.  Cheap: the numbers are cached in memory. */
void tt_outbox_stats(const tt_outbox_t *ob, tt_outbox_stats_t *st);

/* Copies the reason the server gave for rejecting `seq` into buf.
 * Returns TT_OK, TT_ERR_NOTFOUND or TT_ERR_DB. */
tt_err_t tt_outbox_rejection(tt_outbox_t *ob, uint64_t seq, char *buf, size_t len);

/* Records that a person has read the rejection of `seq` (now_ms, the
 * wall clock): from then on its event may be pruned like any synced one.
 * Returns TT_OK (also when it was read before), TT_ERR_NOTFOUND (no such
 * rejection), TT_ERR_BUSY (unsettled), TT_ERR_FULL, TT_ERR_DB or
 * TT_ERR_INDOUBT. */
tt_err_t tt_outbox_rejection_seen(tt_outbox_t *ob, uint64_t seq, int64_t now_ms);

/* One step of pruning, in one transaction: deletes at most about `batch`
 * synced events (and their stock movements) that are older than
 * keep->keep_ms at now_ms (wall clock, against each event's ts_ms) or
 * beyond the newest keep->keep_events, oldest first; stops at the first
 * event that is neither (the clock of a terminal moves forward).  Never
 * deletes an unsynced event, the newest event (so numbering goes on after
 * a restart whatever was pruned), or a rejected event whose rejection was
 * not read (tt_outbox_rejection_seen); rejection reasons are kept.  A stock
 * snapshot older than what is pruned is dropped with it (its view would
 * need the pruned movements; the next snapshot replaces it).  The step's
 * commit is not fsynced (a step lost to a power cut is done again) and
 * does not run SQLite's periodic checkpoint (tt_outbox_checkpoint), so it
 * costs the poll loop well under a millisecond (measured in test_outbox).
 * Returns TT_OK with the events deleted in *deleted (0: nothing to prune
 * now), TT_ERR_INVAL (batch 0), TT_ERR_BUSY (unsettled), TT_ERR_FULL,
 * TT_ERR_DB or TT_ERR_INDOUBT. */
tt_err_t tt_outbox_prune(tt_outbox_t *ob, const tt_outbox_retention_t *keep, int64_t now_ms,
                         size_t batch, size_t *deleted);

/* The WAL's length in pages after the last commit.  Every other commit
 * checkpoints the WAL back into the database itself once it reaches 1000
 * pages (SQLite's default, a few milliseconds with its fsyncs); pruning
 * commits leave that to tt_outbox_checkpoint, for a moment without scans. */
size_t tt_outbox_wal_pages(const tt_outbox_t *ob);

/* Checkpoints the WAL into the database now (SQLite's PASSIVE mode).
 * Returns TT_OK, TT_ERR_BUSY (unsettled), TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_outbox_checkpoint(tt_outbox_t *ob);

/* Stores one page of master data in one transaction (rows of every kind
 * replace rows with the same key; an item's barcodes are replaced by the
 * page's list).  The page is the caller's and is only read.  The
 * page's `to` becomes the held version only when the page is the last of its
 * set.  Returns TT_OK, TT_ERR_FULL or TT_ERR_DB (nothing of the page kept),
 * or TT_ERR_INDOUBT / TT_ERR_BUSY (unsettled; the page is asked for again
 * later). */
tt_err_t tt_outbox_master_apply(tt_outbox_t *ob, const tt_master_page_t *page);

/* Lookups in the master data.  Each fills the caller's *out and returns
 * TT_OK, TT_ERR_NOTFOUND or TT_ERR_DB.  An item is found by any of its
 * barcodes or its code (out->nbarcodes is 0: barcodes are not listed); an
 * operator by id or badge barcode. */
tt_err_t tt_outbox_item(tt_outbox_t *ob, const char *barcode, tt_master_item_t *out);
tt_err_t tt_outbox_operator(tt_outbox_t *ob, const char *id_or_badge, tt_master_operator_t *out);
tt_err_t tt_outbox_warehouse(tt_outbox_t *ob, const char *id, tt_master_warehouse_t *out);
tt_err_t tt_outbox_unit(tt_outbox_t *ob, const char *id, tt_master_unit_t *out);

/* The plan line with this serial, whatever its status (the caller tells an
 * approved line from a rejected one).  Returns as the lookups above. */
tt_err_t tt_outbox_plan(tt_outbox_t *ob, const char *serial, tt_master_plan_t *out);

/* The asset whose GIAI is `key` when `by_giai` (the key was read from the
 * asset's RFID tag), else the asset whose number is `key` or, failing
 * that, whose barcode is `key`; active or not (the caller decides).
 * Returns as the lookups above. */
tt_err_t tt_outbox_equipment(tt_outbox_t *ob, const char *key, int by_giai,
                             tt_master_equipment_t *out);

/* Replaces the stored snapshot of snap->warehouse with `snap`, in one
 * transaction.  Returns TT_OK, TT_ERR_FULL, TT_ERR_DB, TT_ERR_INDOUBT or
 * TT_ERR_BUSY (unsettled). */
tt_err_t tt_outbox_snapshot_apply(tt_outbox_t *ob, const tt_snapshot_t *snap, int64_t wall_ms);

/* The local stock view of (warehouse, item): the last snapshot's quantity
 * plus what this terminal's events after the snapshot's `applied` do to it
 * (receive +, issue -, transfer - and +).  Returns TT_OK with *qty (may be
 * negative when the terminal has issued more than it knew of),
 * TT_ERR_NOTFOUND when the warehouse has no snapshot yet, or TT_ERR_DB. */
tt_err_t tt_outbox_stock_view(tt_outbox_t *ob, const char *warehouse, const char *item,
                              tt_qty_t *qty);

#endif
