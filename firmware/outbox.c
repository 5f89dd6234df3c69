#include "outbox.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assetview.h"

#define SCHEMA_VERSION 1

/* Master data statements. */
enum {
    M_UNIT, M_WAREHOUSE, M_ITEM, M_BARCODES_DROP, M_BARCODE, M_OPERATOR, M_VERSION,
    M_FIND_ITEM, M_FIND_OPERATOR, M_FIND_WAREHOUSE, M_FIND_UNIT, M_MOVE, M_SNAP_DROP, M_SNAP_ROW,
    M_SNAP_META, M_VIEW, M_PLAN, M_EQUIPMENT, M_FIND_PLAN, M_FIND_ASSET, M_FIND_GIAI, M_COUNT
};

static const char *const m_sql[M_COUNT] = {
    [M_UNIT] = "INSERT OR REPLACE INTO m_unit VALUES (?1, ?2, ?3)",
    [M_WAREHOUSE] = "INSERT OR REPLACE INTO m_warehouse VALUES (?1, ?2, ?3, ?4)",
    [M_ITEM] = "INSERT OR REPLACE INTO m_item VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [M_BARCODES_DROP] = "DELETE FROM m_barcode WHERE item = ?1",
    [M_BARCODE] = "INSERT OR REPLACE INTO m_barcode VALUES (?1, ?2)",
    [M_OPERATOR] = "INSERT OR REPLACE INTO m_operator VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [M_VERSION] = "UPDATE state SET value = ?1 WHERE key = 'master_version'",
    /* An item is found by any of its barcodes, or by its own code. */
    [M_FIND_ITEM] = "SELECT code, name, spec, uom, category, price_fen, active FROM m_item"
                    " WHERE code = COALESCE((SELECT item FROM m_barcode WHERE barcode = ?1), ?1)",
    [M_FIND_OPERATOR] = "SELECT id, name, role, unit, badge, active FROM m_operator"
                        " WHERE id = ?1 OR (badge <> '' AND badge = ?1) ORDER BY id = ?1 DESC LIMIT 1",
    [M_FIND_WAREHOUSE] = "SELECT id, name, kind, unit FROM m_warehouse WHERE id = ?1",
    [M_FIND_UNIT] = "SELECT id, name, kind FROM m_unit WHERE id = ?1",
    [M_MOVE] = "INSERT INTO movement VALUES (?1, ?2, ?3, ?4)",
    [M_SNAP_DROP] = "DELETE FROM snap WHERE warehouse = ?1",
    [M_SNAP_ROW] = "INSERT OR REPLACE INTO snap VALUES (?1, ?2, ?3)",
    [M_SNAP_META] = "INSERT OR REPLACE INTO snap_meta VALUES (?1, ?2, ?3)",
    /* The snapshot plus this terminal's movements it does not include. */
    [M_VIEW] = "SELECT m.applied, COALESCE((SELECT qty FROM snap WHERE warehouse = ?1 AND item = ?2), 0)"
               " + COALESCE((SELECT SUM(delta) FROM movement WHERE warehouse = ?1 AND item = ?2"
               "   AND seq > m.applied), 0) FROM snap_meta m WHERE m.warehouse = ?1",
    [M_PLAN] = "INSERT OR REPLACE INTO m_plan VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [M_EQUIPMENT] = "INSERT OR REPLACE INTO m_equipment VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [M_FIND_PLAN] = "SELECT serial, item, qty, category, unit, status FROM m_plan WHERE serial = ?1",
    /* An asset is found by its number before its barcode, as an operator by
     * id before badge.  The server keeps numbers, barcodes and GIAIs
     * unambiguous; between the pages of one change (a barcode or GIAI moved
     * to an asset on a later page) one may briefly name two assets. */
    [M_FIND_ASSET] = "SELECT asset, model, item, giai, barcode, unit, active FROM m_equipment"
                     " WHERE asset = ?1 OR (barcode <> '' AND barcode = ?1)"
                     " ORDER BY asset = ?1 DESC LIMIT 1",
    [M_FIND_GIAI] = "SELECT asset, model, item, giai, barcode, unit, active FROM m_equipment"
                    " WHERE giai <> '' AND giai = ?1 LIMIT 1",
};

/* Pruning statements. */
enum { P_SCAN, P_EVENTS, P_SNAP, P_SNAP_META, P_MOVES, P_WATERMARK, P_SEEN_EVENTS, P_MARK_SEEN,
       P_COUNT };

static const char *const p_sql[P_COUNT] = {
    /* Candidates after the watermark, oldest first (seq is the rowid). */
    [P_SCAN] = "SELECT seq, ts_ms FROM event WHERE seq > ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3",
    /* A rejected event is kept until its rejection has been read. */
    [P_EVENTS] = "DELETE FROM event WHERE seq > ?1 AND seq <= ?2"
                 " AND seq NOT IN (SELECT seq FROM rejection WHERE seen_ms IS NULL)",
    [P_SNAP] = "DELETE FROM snap WHERE warehouse IN"
               " (SELECT warehouse FROM snap_meta WHERE applied < ?1)",
    [P_SNAP_META] = "DELETE FROM snap_meta WHERE applied < ?1",
    [P_MOVES] = "DELETE FROM movement WHERE seq > ?1 AND seq <= ?2",
    [P_WATERMARK] = "UPDATE state SET value = ?1 WHERE key = 'pruned'",
    /* Kept rejected events whose rejection has since been read. */
    [P_SEEN_EVENTS] = "DELETE FROM event WHERE seq IN"
                      " (SELECT seq FROM rejection WHERE seen_ms IS NOT NULL AND seq <= ?1)",
    [P_MARK_SEEN] = "UPDATE rejection SET seen_ms = ?2 WHERE seq = ?1 AND seen_ms IS NULL",
};

struct tt_outbox {
    sqlite3 *db;
    sqlite3_stmt *insert, *select, *set_synced, *add_rejection, *get_rejection;
    sqlite3_stmt *m[M_COUNT];
    sqlite3_stmt *p[P_COUNT];
    int seen_pending;      /* a rejection was read since the last prune step (or the open) */
    int no_autocheckpoint; /* a pruning commit: leave the checkpoint to tt_outbox_checkpoint */
    size_t wal_pages;      /* the WAL's length after the last commit */
    tt_outbox_stats_t st;
    /* The unsettled write (st.unsettled): an append made after seq
     * `undecided_before`, or another write. */
    int undecided_append;
    uint64_t undecided_before;
    /* Scratch for tt_outbox_batch: payload bytes, then pointers and lengths. */
    char *arena;
    size_t arena_cap;
    const char **ptrs;
    size_t *lens;
    size_t nptrs;
};

/* Each entry migrates user_version i to i + 1; the store is never edited by
 * hand and never migrated down. */
static const char *const migrations[] = {
    "CREATE TABLE event ("
    "  seq INTEGER PRIMARY KEY,"
    "  ts_ms INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  payload TEXT NOT NULL);"
    "CREATE TABLE state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO state VALUES ('synced', 0);"
    "CREATE TABLE rejection ("
    "  seq INTEGER PRIMARY KEY,"
    "  reason TEXT NOT NULL);",
    /* 2: the offline copy of the server's master data. */
    "CREATE TABLE m_unit (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind INTEGER NOT NULL);"
    "CREATE TABLE m_warehouse (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind INTEGER NOT NULL,"
    "  unit TEXT NOT NULL);"
    "CREATE TABLE m_item (code TEXT PRIMARY KEY, name TEXT NOT NULL, spec TEXT NOT NULL,"
    "  uom TEXT NOT NULL, category INTEGER NOT NULL, price_fen INTEGER NOT NULL,"
    "  active INTEGER NOT NULL);"
    "CREATE TABLE m_barcode (barcode TEXT PRIMARY KEY, item TEXT NOT NULL);"
    "CREATE INDEX m_barcode_item ON m_barcode (item);"
    "CREATE TABLE m_operator (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
    "  unit TEXT NOT NULL, badge TEXT NOT NULL, active INTEGER NOT NULL);"
    "CREATE INDEX m_operator_badge ON m_operator (badge);"
    "INSERT INTO state VALUES ('master_version', 0);",
    /* 3: the local stock view: the server's last snapshot of a warehouse,
     * and what each of this terminal's events does to stock. */
    "CREATE TABLE movement (seq INTEGER NOT NULL, warehouse TEXT NOT NULL, item TEXT NOT NULL,"
    "  delta INTEGER NOT NULL);"
    "CREATE INDEX movement_key ON movement (warehouse, item, seq);"
    "CREATE TABLE snap (warehouse TEXT NOT NULL, item TEXT NOT NULL, qty INTEGER NOT NULL,"
    "  PRIMARY KEY (warehouse, item)) WITHOUT ROWID;"
    "CREATE TABLE snap_meta (warehouse TEXT PRIMARY KEY, applied INTEGER NOT NULL,"
    "  at_ms INTEGER NOT NULL);",
    /* 4: approved plan lines and the equipment register, the master data
     * the counter checks receipts and repair-bay assets against.  "" for
     * an optional value, as in the other m_ tables. */
    "CREATE TABLE m_plan (serial TEXT PRIMARY KEY, item TEXT NOT NULL, qty INTEGER NOT NULL,"
    "  category TEXT NOT NULL, unit TEXT NOT NULL, status INTEGER NOT NULL);"
    "CREATE TABLE m_equipment (asset TEXT PRIMARY KEY, model TEXT NOT NULL, item TEXT NOT NULL,"
    "  giai TEXT NOT NULL, barcode TEXT NOT NULL, unit TEXT NOT NULL, active INTEGER NOT NULL);"
    "CREATE INDEX m_equipment_giai ON m_equipment (giai);"
    "CREATE INDEX m_equipment_barcode ON m_equipment (barcode);",
    /* 5: how many failed commits were settled (see outbox.h); settling
     * commits one increment of it on the emptied log. */
    "INSERT INTO state VALUES ('store_faults', 0);",
    /* 6: pruning.  `pruned`: every synced event up to it is deleted but
     * those kept for an unread rejection; `seen_ms`: when a person read a
     * rejection (NULL: not yet). */
    "INSERT INTO state VALUES ('pruned', 0);"
    "ALTER TABLE rejection ADD COLUMN seen_ms INTEGER;"
    "CREATE INDEX movement_seq ON movement (seq);",
    /* 7: the server's equipment states and the index of this terminal's
     * own equipment events by asset (firmware/assetview.c). */
    tt_assetview_schema,
};

static tt_err_t step_err(sqlite3 *db)
{
    int code = sqlite3_extended_errcode(db) & 0xff;
    return code == SQLITE_FULL ? TT_ERR_FULL : TT_ERR_DB;
}

static tt_err_t db_err(sqlite3 *db, char *err, size_t errlen, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
    return TT_ERR_DB;
}

static tt_err_t migrate(sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int version;
    const int latest = (int)(sizeof migrations / sizeof migrations[0]);

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return db_err(db, err, errlen, "read schema version");
    version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (version < 0)
        return db_err(db, err, errlen, "read schema version");
    if (version > latest) {
        snprintf(err, errlen, "store schema %d is newer than this firmware's %d", version, latest);
        return TT_ERR_VERSION;
    }
    for (; version < latest; version++) {
        char sql[64];
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, migrations[version], NULL, NULL, NULL) != SQLITE_OK) {
            db_err(db, err, errlen, "migrate store");
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return TT_ERR_DB;
        }
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version + 1);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            db_err(db, err, errlen, "migrate store");
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return TT_ERR_DB;
        }
    }
    return TT_OK;
}

/* SQLite's own auto-checkpoint (at WAL_AUTOCHECKPOINT pages, in the commit
 * that crosses it), except in a pruning commit; and the WAL's length for
 * tt_outbox_wal_pages. */
#define WAL_AUTOCHECKPOINT 1000

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    tt_outbox_t *ob = arg;
    ob->wal_pages = (size_t)pages;
    if (!ob->no_autocheckpoint && pages >= WAL_AUTOCHECKPOINT &&
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) == SQLITE_OK)
        ob->wal_pages = 0;
    return SQLITE_OK;   /* a failed checkpoint is tried again at the next commit */
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK;
}

static tt_err_t load_stats(tt_outbox_t *ob, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    /* The newest event is never pruned; the watermark covers a store that
     * lost it anyway, so numbering can never start again. */
    const char *sql = "SELECT MAX((SELECT COALESCE(MAX(seq), 0) FROM event),"
                      " (SELECT value FROM state WHERE key = 'pruned')),"
                      " (SELECT value FROM state WHERE key = 'synced'),"
                      " (SELECT COUNT(*) FROM rejection),"
                      " (SELECT value FROM state WHERE key = 'master_version'),"
                      " (SELECT value FROM state WHERE key = 'store_faults'),"
                      " (SELECT value FROM state WHERE key = 'pruned')";
    if (sqlite3_prepare_v2(ob->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_err(ob->db, err, errlen, "read store state");
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return db_err(ob->db, err, errlen, "read store state");
    }
    ob->st.last_seq = (uint64_t)sqlite3_column_int64(st, 0);
    ob->st.synced = (uint64_t)sqlite3_column_int64(st, 1);
    ob->st.rejected = (uint64_t)sqlite3_column_int64(st, 2);
    ob->st.master_version = (uint64_t)sqlite3_column_int64(st, 3);
    ob->st.store_faults = (uint64_t)sqlite3_column_int64(st, 4);
    ob->st.pruned = (uint64_t)sqlite3_column_int64(st, 5);
    sqlite3_finalize(st);
    return TT_OK;
}

static void rollback(tt_outbox_t *ob)
{
    if (!sqlite3_get_autocommit(ob->db))
        sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Settles the store after a failed commit (outbox.h says why).  The
 * connection's own view never holds the failed commit: SQLite adds a
 * commit's frames to the wal-index only after their fsync succeeded, so
 * the checkpoint copies exactly the committed frames and the truncation
 * cuts off the rest.  The truncation alone is not durable (no fsync
 * follows it in SQLite), so a write is committed on the emptied log: its
 * header, with new salts, and its commit are fsynced (synchronous=FULL),
 * and from then on no frame of the failed commit can pass recovery
 * whatever the disk kept.  Returns TT_OK with the verdict on the undecided
 * append in *first..*last (0..0: not stored), or TT_ERR_INDOUBT with
 * nothing changed when any step fails. */
static tt_err_t settle_now(tt_outbox_t *ob, uint64_t *first, uint64_t *last)
{
    int nlog = 0, nckpt = 0;

    *first = *last = 0;
    rollback(ob);
    /* The seal below must be fsynced whatever the failed write used. */
    sqlite3_exec(ob->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    if (sqlite3_wal_checkpoint_v2(ob->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &nlog, &nckpt) !=
        SQLITE_OK)
        return TT_ERR_INDOUBT;
    if (sqlite3_exec(ob->db,
                     "BEGIN IMMEDIATE;"
                     " UPDATE state SET value = value + 1 WHERE key = 'store_faults';"
                     " COMMIT",
                     NULL, NULL, NULL) != SQLITE_OK) {
        rollback(ob);
        return TT_ERR_INDOUBT;
    }
    /* The store as it is now on disk: the verdict, and the cached numbers
     * (the failed write may have changed them in memory only). */
    if (load_stats(ob, NULL, 0) != TT_OK)
        return TT_ERR_INDOUBT;
    if (ob->undecided_append && ob->st.last_seq > ob->undecided_before) {
        *first = ob->undecided_before + 1;
        *last = ob->st.last_seq;
    }
    ob->st.unsettled = 0;
    ob->undecided_append = 0;
    return TT_OK;
}

/* Commits the open write transaction.  A failure for want of space is
 * rolled back and returned (TT_ERR_FULL: nothing can have been written
 * whole).  Any other failure is settled at once: `append` and `before`
 * describe the write for the verdict.  Returns TT_OK (committed, or an
 * append found stored after all), TT_ERR_FULL, TT_ERR_DB (settled: not
 * stored, the cached numbers reloaded from the store) or TT_ERR_INDOUBT
 * (the store is left unsettled). */
static tt_err_t commit_write(tt_outbox_t *ob, int append, uint64_t before)
{
    uint64_t first, last;
    tt_err_t err;

    if (sqlite3_exec(ob->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return TT_OK;
    err = step_err(ob->db);
    rollback(ob);
    if (err == TT_ERR_FULL)
        return err;
    ob->st.unsettled = 1;
    ob->undecided_append = append;
    ob->undecided_before = before;
    if (settle_now(ob, &first, &last) != TT_OK)
        return TT_ERR_INDOUBT;
    return first ? TT_OK : err;
}

tt_err_t tt_outbox_settle(tt_outbox_t *ob, uint64_t *first, uint64_t *last)
{
    *first = *last = 0;
    if (!ob->st.unsettled)
        return TT_OK;
    return settle_now(ob, first, last);
}

tt_err_t tt_outbox_open(const char *path, tt_outbox_t **out, char *err, size_t errlen)
{
    tt_outbox_t *ob;
    tt_err_t rc;

    *out = NULL;
    ob = calloc(1, sizeof *ob);
    if (!ob)
        return TT_ERR_NOMEM;
    if (sqlite3_open_v2(path, &ob->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = db_err(ob->db, err, errlen, path);
        goto fail;
    }
    sqlite3_extended_result_codes(ob->db, 1);
    /* WAL + FULL: a commit is fsynced to the log before it returns, which is
     * what lets the terminal acknowledge a scan right after it. */
    if (sqlite3_exec(ob->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                             " PRAGMA foreign_keys=ON; PRAGMA busy_timeout=2000;",
                     NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_err(ob->db, err, errlen, path);
        goto fail;
    }
    rc = migrate(ob->db, err, errlen);
    if (rc != TT_OK)
        goto fail;
    sqlite3_wal_hook(ob->db, wal_hook, ob);
    if (!prepare(ob->db, "INSERT INTO event (seq, ts_ms, type, payload) VALUES (?, ?, ?, ?)",
                 &ob->insert) ||
        !prepare(ob->db, "SELECT seq, payload FROM event WHERE seq > ? ORDER BY seq LIMIT ?",
                 &ob->select) ||
        !prepare(ob->db, "UPDATE state SET value = ? WHERE key = 'synced' AND value < ?",
                 &ob->set_synced) ||
        !prepare(ob->db, "INSERT OR IGNORE INTO rejection (seq, reason) VALUES (?, ?)",
                 &ob->add_rejection) ||
        !prepare(ob->db, "SELECT reason FROM rejection WHERE seq = ?", &ob->get_rejection)) {
        rc = db_err(ob->db, err, errlen, "prepare statements");
        goto fail;
    }
    for (int i = 0; i < M_COUNT; i++) {
        if (!prepare(ob->db, m_sql[i], &ob->m[i])) {
            rc = db_err(ob->db, err, errlen, "prepare statements");
            goto fail;
        }
    }
    for (int i = 0; i < P_COUNT; i++) {
        if (!prepare(ob->db, p_sql[i], &ob->p[i])) {
            rc = db_err(ob->db, err, errlen, "prepare statements");
            goto fail;
        }
    }
    ob->seen_pending = 1;   /* rejections read before a restart are looked at once */
    rc = load_stats(ob, err, errlen);
    if (rc != TT_OK)
        goto fail;
    *out = ob;
    return TT_OK;
fail:
    tt_outbox_close(ob);
    return rc;
}

sqlite3 *tt_outbox_sqlite(tt_outbox_t *ob)
{
    return ob->db;
}

void tt_outbox_close(tt_outbox_t *ob)
{
    if (!ob)
        return;
    sqlite3_finalize(ob->insert);
    sqlite3_finalize(ob->select);
    sqlite3_finalize(ob->set_synced);
    sqlite3_finalize(ob->add_rejection);
    sqlite3_finalize(ob->get_rejection);
    for (int i = 0; i < M_COUNT; i++)
        sqlite3_finalize(ob->m[i]);
    for (int i = 0; i < P_COUNT; i++)
        sqlite3_finalize(ob->p[i]);
    sqlite3_close(ob->db);
    free(ob->arena);
    free(ob->ptrs);
    free(ob->lens);
    free(ob);
}

static tt_err_t move(tt_outbox_t *ob, uint64_t seq, const char *warehouse, const char *item,
                     tt_qty_t delta)
{
    sqlite3_stmt *st = ob->m[M_MOVE];
    int rc;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    sqlite3_bind_text(st, 2, warehouse, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, item, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, delta);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? TT_OK : step_err(ob->db);
}

/* What ev does to stock, as the server will apply it (server/db.c). */
static tt_err_t movements(tt_outbox_t *ob, const tt_event_t *ev)
{
    const tt_event_stock_t *b = &ev->body.stock;
    tt_err_t rc;
    switch (ev->type) {
    case TT_EVENT_RECEIVE:
        return move(ob, ev->seq, b->warehouse, b->item, b->qty);
    case TT_EVENT_ISSUE:
        return move(ob, ev->seq, b->warehouse, b->item, -b->qty);
    case TT_EVENT_TRANSFER:
        rc = move(ob, ev->seq, b->warehouse, b->item, -b->qty);
        return rc == TT_OK ? move(ob, ev->seq, b->to, b->item, b->qty) : rc;
    default:
        return TT_OK;
    }
}

/* Inserts ev as seq last_seq + 1 inside whatever transaction is open. */
static tt_err_t insert(tt_outbox_t *ob, tt_event_t *ev)
{
    char payload[TT_EVENT_ENCODED_MAX];
    size_t n;
    tt_err_t rc;

    ev->seq = ob->st.last_seq + 1;
    rc = tt_event_encode(ev, payload, sizeof payload, &n);
    if (rc != TT_OK) {
        ev->seq = 0;
        return rc == TT_ERR_FULL ? TT_ERR_INVAL : rc;
    }
    sqlite3_bind_int64(ob->insert, 1, (sqlite3_int64)ev->seq);
    sqlite3_bind_int64(ob->insert, 2, ev->ts_ms);
    sqlite3_bind_text(ob->insert, 3, tt_event_type_name(ev->type), -1, SQLITE_STATIC);
    sqlite3_bind_text(ob->insert, 4, payload, (int)n, SQLITE_STATIC);
    if (sqlite3_step(ob->insert) != SQLITE_DONE) {
        rc = step_err(ob->db);
        sqlite3_reset(ob->insert);
        ev->seq = 0;
        return rc;
    }
    sqlite3_reset(ob->insert);
    rc = movements(ob, ev);
    if (rc != TT_OK) {
        ev->seq = 0;
        return rc;
    }
    ob->st.last_seq = ev->seq;
    return TT_OK;
}

tt_err_t tt_outbox_append(tt_outbox_t *ob, tt_event_t *ev)
{
    return tt_outbox_append_many(ob, ev, 1);
}

tt_err_t tt_outbox_append_many(tt_outbox_t *ob, tt_event_t *evs, size_t n)
{
    uint64_t before = ob->st.last_seq;
    tt_err_t rc = TT_OK;

    if (ob->st.unsettled)
        rc = TT_ERR_BUSY;
    else if (sqlite3_exec(ob->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        rc = step_err(ob->db);
    else {
        for (size_t i = 0; i < n && rc == TT_OK; i++)
            rc = insert(ob, &evs[i]);
        if (rc == TT_OK)
            rc = commit_write(ob, 1, before);
        else
            rollback(ob);
    }
    if (rc != TT_OK) {
        /* Settled: the store says `before` too; unsettled: the events are
         * not ours to number until tt_outbox_settle says. */
        ob->st.last_seq = before;
        for (size_t i = 0; i < n; i++)
            evs[i].seq = 0;
    }
    return rc;
}

static int reserve(tt_outbox_t *ob, size_t need, size_t nptrs)
{
    if (need > ob->arena_cap) {
        size_t cap = ob->arena_cap ? ob->arena_cap : 65536;
        char *a;
        while (cap < need)
            cap *= 2;
        a = realloc(ob->arena, cap);
        if (!a)
            return 0;
        ob->arena = a;
        ob->arena_cap = cap;
    }
    if (nptrs > ob->nptrs) {
        const char **p = realloc(ob->ptrs, nptrs * sizeof *p);
        size_t *l;
        if (!p)
            return 0;
        ob->ptrs = p;
        l = realloc(ob->lens, nptrs * sizeof *l);
        if (!l)
            return 0;
        ob->lens = l;
        ob->nptrs = nptrs;
    }
    return 1;
}

tt_err_t tt_outbox_batch(tt_outbox_t *ob, const char *terminal, uint64_t after, size_t max,
                         char *buf, size_t cap, size_t *len, uint64_t *first, uint64_t *last)
{
    size_t n = 0, used = 0, budget;
    uint64_t seq = 0;
    int rc;
    tt_err_t err;

    if (max == 0 || max > TT_EVENT_BATCH_MAX)
        return TT_ERR_INVAL;
    if (!reserve(ob, max * 256, max))
        return TT_ERR_NOMEM;
    /* Room for the envelope ({"v":1,"terminal":"<id>","synced":<20 digits>,
     * "events":[ ... ]} and the NUL); each event after the first also costs
     * its comma. */
    budget = cap > strlen(terminal) + 72 ? cap - strlen(terminal) - 72 : 0;
    sqlite3_bind_int64(ob->select, 1, (sqlite3_int64)after);
    sqlite3_bind_int64(ob->select, 2, (sqlite3_int64)max);
    while ((rc = sqlite3_step(ob->select)) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(ob->select, 1);
        size_t l = (size_t)sqlite3_column_bytes(ob->select, 1);
        if (used + n + l > budget)
            break;
        if (used + l > ob->arena_cap && !reserve(ob, (used + l) * 2, max)) {
            sqlite3_reset(ob->select);
            return TT_ERR_NOMEM;
        }
        seq = (uint64_t)sqlite3_column_int64(ob->select, 0);
        if (n == 0)
            *first = seq;
        memcpy(ob->arena + used, p, l);
        ob->lens[n] = l;
        used += l;
        n++;
    }
    sqlite3_reset(ob->select);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return TT_ERR_DB;
    if (n == 0)
        return rc == SQLITE_ROW ? TT_ERR_FULL : TT_ERR_NOTFOUND;
    /* Pointers are taken only now: the arena may have moved while filling. */
    used = 0;
    for (size_t i = 0; i < n; i++) {
        ob->ptrs[i] = ob->arena + used;
        used += ob->lens[i];
    }
    err = tt_event_batch_build(terminal, ob->st.synced, ob->ptrs, ob->lens, n, buf, cap, len);
    if (err != TT_OK)
        return err;
    *last = seq;
    return TT_OK;
}

tt_err_t tt_outbox_ack(tt_outbox_t *ob, uint64_t applied, const tt_event_rejection_t *rej,
                       size_t nrej)
{
    tt_err_t rc = TT_OK;
    uint64_t target = applied;
    size_t added = 0;

    /* The server has applied seqs this store never recorded: the store was
     * replaced or the ack is not ours.  Believing it would mark unsent scans
     * as synced, so the whole ack is refused and the scans stay pending. */
    if (applied > ob->st.last_seq) {
        ob->st.conflict = applied;
        return TT_ERR_PROTO;
    }
    ob->st.conflict = 0;
    if (target <= ob->st.synced && nrej == 0)
        return rc;
    if (ob->st.unsettled)
        return TT_ERR_BUSY;
    if (sqlite3_exec(ob->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return step_err(ob->db);
    for (size_t i = 0; i < nrej; i++) {
        if (rej[i].seq > ob->st.last_seq)
            continue;
        sqlite3_bind_int64(ob->add_rejection, 1, (sqlite3_int64)rej[i].seq);
        sqlite3_bind_text(ob->add_rejection, 2, rej[i].reason, -1, SQLITE_STATIC);
        if (sqlite3_step(ob->add_rejection) != SQLITE_DONE) {
            sqlite3_reset(ob->add_rejection);
            goto fail;
        }
        added += (size_t)sqlite3_changes(ob->db);
        sqlite3_reset(ob->add_rejection);
    }
    if (target > ob->st.synced) {
        sqlite3_bind_int64(ob->set_synced, 1, (sqlite3_int64)target);
        sqlite3_bind_int64(ob->set_synced, 2, (sqlite3_int64)target);
        if (sqlite3_step(ob->set_synced) != SQLITE_DONE) {
            sqlite3_reset(ob->set_synced);
            goto fail;
        }
        sqlite3_reset(ob->set_synced);
    }
    rc = commit_write(ob, 0, 0);
    if (rc != TT_OK)
        return rc;
    if (target > ob->st.synced)
        ob->st.synced = target;
    ob->st.rejected += added;
    return rc;
fail:
    rc = step_err(ob->db);
    rollback(ob);
    return rc;
}

void tt_outbox_stats(const tt_outbox_t *ob, tt_outbox_stats_t *st)
{
    *st = ob->st;
}

tt_err_t tt_outbox_rejection(tt_outbox_t *ob, uint64_t seq, char *buf, size_t len)
{
    int rc;
    sqlite3_bind_int64(ob->get_rejection, 1, (sqlite3_int64)seq);
    rc = sqlite3_step(ob->get_rejection);
    if (rc == SQLITE_ROW)
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(ob->get_rejection, 0));
    sqlite3_reset(ob->get_rejection);
    if (rc == SQLITE_ROW)
        return TT_OK;
    return rc == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
}

tt_err_t tt_outbox_rejection_seen(tt_outbox_t *ob, uint64_t seq, int64_t now_ms)
{
    sqlite3_stmt *st = ob->p[P_MARK_SEEN];
    char reason[8];
    tt_err_t rc = tt_outbox_rejection(ob, seq, reason, sizeof reason);

    if (rc != TT_OK)
        return rc;
    if (ob->st.unsettled)
        return TT_ERR_BUSY;
    if (sqlite3_exec(ob->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return step_err(ob->db);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    sqlite3_bind_int64(st, 2, now_ms);
    rc = sqlite3_step(st) == SQLITE_DONE ? TT_OK : step_err(ob->db);
    sqlite3_reset(st);
    if (rc != TT_OK) {
        rollback(ob);
        return rc;
    }
    rc = commit_write(ob, 0, 0);
    if (rc == TT_OK)
        ob->seen_pending = 1;
    return rc;
}

/* Runs a bound pruning statement; adds the rows it deleted to *n. */
static tt_err_t run_p(tt_outbox_t *ob, sqlite3_stmt *st, size_t *n)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return step_err(ob->db);
    if (n)
        *n += (size_t)sqlite3_changes(ob->db);
    return TT_OK;
}

/* The pruning transaction proper; the caller opened it and commits. */
static tt_err_t prune_in(tt_outbox_t *ob, const tt_outbox_retention_t *keep, int64_t now_ms,
                         size_t batch, uint64_t *upto, size_t *deleted, int *wrote)
{
    sqlite3_stmt *scan = ob->p[P_SCAN];
    uint64_t last = ob->st.last_seq, from = ob->st.pruned;
    /* Synced, and never the newest. */
    uint64_t bound = last == 0 ? 0 : ob->st.synced < last ? ob->st.synced : last - 1;
    uint64_t cap = last > keep->keep_events ? last - keep->keep_events : 0;
    int64_t cutoff = now_ms - keep->keep_ms;
    tt_err_t rc = TT_OK;
    int step;

    *upto = from;
    sqlite3_bind_int64(scan, 1, (sqlite3_int64)from);
    sqlite3_bind_int64(scan, 2, (sqlite3_int64)bound);
    sqlite3_bind_int64(scan, 3, (sqlite3_int64)batch);
    while ((step = sqlite3_step(scan)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(scan, 0);
        if (sqlite3_column_int64(scan, 1) >= cutoff && seq > cap)
            break;   /* young and within the cap: so is (nearly) all that follows */
        *upto = seq;
    }
    sqlite3_reset(scan);
    sqlite3_clear_bindings(scan);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return step_err(ob->db);
    if (*upto > from) {
        sqlite3_stmt *p;
        p = ob->p[P_EVENTS];
        sqlite3_bind_int64(p, 1, (sqlite3_int64)from);
        sqlite3_bind_int64(p, 2, (sqlite3_int64)*upto);
        rc = run_p(ob, p, deleted);
        if (rc == TT_OK) {
            p = ob->p[P_SNAP];
            sqlite3_bind_int64(p, 1, (sqlite3_int64)*upto);
            rc = run_p(ob, p, NULL);
        }
        if (rc == TT_OK) {
            p = ob->p[P_SNAP_META];
            sqlite3_bind_int64(p, 1, (sqlite3_int64)*upto);
            rc = run_p(ob, p, NULL);
        }
        if (rc == TT_OK) {
            p = ob->p[P_MOVES];
            sqlite3_bind_int64(p, 1, (sqlite3_int64)from);
            sqlite3_bind_int64(p, 2, (sqlite3_int64)*upto);
            rc = run_p(ob, p, NULL);
        }
        if (rc == TT_OK) {
            p = ob->p[P_WATERMARK];
            sqlite3_bind_int64(p, 1, (sqlite3_int64)*upto);
            rc = run_p(ob, p, NULL);
        }
        *wrote = 1;
    }
    if (rc == TT_OK && ob->seen_pending && *upto > 0) {
        size_t before = *deleted;
        sqlite3_bind_int64(ob->p[P_SEEN_EVENTS], 1, (sqlite3_int64)*upto);
        rc = run_p(ob, ob->p[P_SEEN_EVENTS], deleted);
        if (*deleted > before)
            *wrote = 1;
    }
    return rc;
}

tt_err_t tt_outbox_prune(tt_outbox_t *ob, const tt_outbox_retention_t *keep, int64_t now_ms,
                         size_t batch, size_t *deleted)
{
    uint64_t upto = 0;
    int wrote = 0;
    tt_err_t rc;

    *deleted = 0;
    if (batch == 0)
        return TT_ERR_INVAL;
    if (ob->st.unsettled)
        return TT_ERR_BUSY;
    /* Not fsynced: a step lost to a power cut is simply done again, and
     * the next fsynced commit (any scan's) makes it durable in order.  Nor
     * does it run SQLite's checkpoint: tt_outbox_checkpoint does, when the
     * caller has a moment. */
    sqlite3_exec(ob->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    ob->no_autocheckpoint = 1;
    if (sqlite3_exec(ob->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        rc = step_err(ob->db);
        goto out;
    }
    rc = prune_in(ob, keep, now_ms, batch, &upto, deleted, &wrote);
    if (rc != TT_OK || !wrote) {
        rollback(ob);
    } else {
        rc = commit_write(ob, 0, 0);
    }
    if (rc == TT_OK) {
        if (upto > ob->st.pruned)
            ob->st.pruned = upto;
        ob->seen_pending = 0;
    } else {
        *deleted = 0;
    }
out:
    ob->no_autocheckpoint = 0;
    sqlite3_exec(ob->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    return rc;
}

size_t tt_outbox_wal_pages(const tt_outbox_t *ob)
{
    return ob->wal_pages;
}

tt_err_t tt_outbox_checkpoint(tt_outbox_t *ob)
{
    if (ob->st.unsettled)
        return TT_ERR_BUSY;
    if (sqlite3_wal_checkpoint_v2(ob->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) !=
        SQLITE_OK)
        return step_err(ob->db);
    /* The next commit restarts the log, and SQLite fsyncs the new log
     * header then even without synchronous=FULL: a no-op write here makes
     * that happen now, at the caller's quiet moment, not in the next
     * pruning step. */
    sqlite3_exec(ob->db, "PRAGMA synchronous=NORMAL; BEGIN IMMEDIATE;"
                         " UPDATE state SET value = value WHERE key = 'pruned'; COMMIT;"
                         " PRAGMA synchronous=FULL",
                 NULL, NULL, NULL);
    rollback(ob);
    sqlite3_exec(ob->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    ob->wal_pages = 0;
    return TT_OK;
}

/* --- master data ---------------------------------------------------------- */

static tt_err_t run_m(tt_outbox_t *ob, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? TT_OK : step_err(ob->db);
}

static void bind_text(sqlite3_stmt *st, int i, const char *text)
{
    sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

static tt_err_t apply_item(tt_outbox_t *ob, const tt_master_item_t *it)
{
    sqlite3_stmt *st = ob->m[M_ITEM];
    tt_err_t rc;

    bind_text(st, 1, it->code);
    bind_text(st, 2, it->name);
    bind_text(st, 3, it->spec);
    bind_text(st, 4, it->uom);
    sqlite3_bind_int(st, 5, (int)it->category);
    sqlite3_bind_int64(st, 6, it->price);
    sqlite3_bind_int(st, 7, it->active);
    if ((rc = run_m(ob, st)) != TT_OK)
        return rc;
    /* The page lists all of an item's barcodes: replace the old set. */
    bind_text(ob->m[M_BARCODES_DROP], 1, it->code);
    if ((rc = run_m(ob, ob->m[M_BARCODES_DROP])) != TT_OK)
        return rc;
    for (size_t b = 0; b < it->nbarcodes; b++) {
        bind_text(ob->m[M_BARCODE], 1, it->barcodes[b]);
        bind_text(ob->m[M_BARCODE], 2, it->code);
        if ((rc = run_m(ob, ob->m[M_BARCODE])) != TT_OK)
            return rc;
    }
    return TT_OK;
}

tt_err_t tt_outbox_master_apply(tt_outbox_t *ob, const tt_master_page_t *page)
{
    tt_err_t rc = TT_OK;

    if (ob->st.unsettled)
        return TT_ERR_BUSY;
    if (sqlite3_exec(ob->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return step_err(ob->db);
    for (size_t i = 0; i < page->nunits && rc == TT_OK; i++) {
        sqlite3_stmt *st = ob->m[M_UNIT];
        bind_text(st, 1, page->units[i].id);
        bind_text(st, 2, page->units[i].name);
        sqlite3_bind_int(st, 3, (int)page->units[i].kind);
        rc = run_m(ob, st);
    }
    for (size_t i = 0; i < page->nwarehouses && rc == TT_OK; i++) {
        sqlite3_stmt *st = ob->m[M_WAREHOUSE];
        bind_text(st, 1, page->warehouses[i].id);
        bind_text(st, 2, page->warehouses[i].name);
        sqlite3_bind_int(st, 3, (int)page->warehouses[i].kind);
        bind_text(st, 4, page->warehouses[i].unit);
        rc = run_m(ob, st);
    }
    for (size_t i = 0; i < page->nitems && rc == TT_OK; i++)
        rc = apply_item(ob, &page->items[i]);
    for (size_t i = 0; i < page->noperators && rc == TT_OK; i++) {
        const tt_master_operator_t *o = &page->operators[i];
        sqlite3_stmt *st = ob->m[M_OPERATOR];
        bind_text(st, 1, o->id);
        bind_text(st, 2, o->name);
        bind_text(st, 3, o->role);
        bind_text(st, 4, o->unit);
        bind_text(st, 5, o->badge);
        sqlite3_bind_int(st, 6, o->active);
        rc = run_m(ob, st);
    }
    for (size_t i = 0; i < page->nplans && rc == TT_OK; i++) {
        const tt_master_plan_t *p = &page->plans[i];
        sqlite3_stmt *st = ob->m[M_PLAN];
        bind_text(st, 1, p->serial);
        bind_text(st, 2, p->item);
        sqlite3_bind_int64(st, 3, p->qty);
        bind_text(st, 4, p->category);
        bind_text(st, 5, p->unit);
        sqlite3_bind_int(st, 6, (int)p->status);
        rc = run_m(ob, st);
    }
    for (size_t i = 0; i < page->nequipment && rc == TT_OK; i++) {
        const tt_master_equipment_t *q = &page->equipment[i];
        sqlite3_stmt *st = ob->m[M_EQUIPMENT];
        bind_text(st, 1, q->asset);
        bind_text(st, 2, q->model);
        bind_text(st, 3, q->item);
        bind_text(st, 4, q->giai);
        bind_text(st, 5, q->barcode);
        bind_text(st, 6, q->unit);
        sqlite3_bind_int(st, 7, q->active);
        rc = run_m(ob, st);
    }
    /* The version is adopted with the last page only: an interrupted set of
     * pages is asked for again from the old version. */
    if (rc == TT_OK && page->last && page->to > ob->st.master_version) {
        sqlite3_bind_int64(ob->m[M_VERSION], 1, (sqlite3_int64)page->to);
        rc = run_m(ob, ob->m[M_VERSION]);
    }
    if (rc != TT_OK) {
        rollback(ob);
        return rc;
    }
    rc = commit_write(ob, 0, 0);
    if (rc != TT_OK)
        return rc;
    if (page->last && page->to > ob->st.master_version)
        ob->st.master_version = page->to;
    return TT_OK;
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

/* Steps a lookup statement bound to `key`; returns TT_OK with a row to read,
 * TT_ERR_NOTFOUND or TT_ERR_DB.  The caller resets the statement. */
static tt_err_t find(tt_outbox_t *ob, sqlite3_stmt *st, const char *key)
{
    int rc;
    bind_text(st, 1, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return TT_OK;
    return rc == SQLITE_DONE ? TT_ERR_NOTFOUND : step_err(ob->db);
}

tt_err_t tt_outbox_item(tt_outbox_t *ob, const char *barcode, tt_master_item_t *out)
{
    sqlite3_stmt *st = ob->m[M_FIND_ITEM];
    tt_err_t rc = find(ob, st, barcode);
    if (rc == TT_OK) {
        memset(out, 0, sizeof *out);
        copy_col(st, 0, out->code, sizeof out->code);
        copy_col(st, 1, out->name, sizeof out->name);
        copy_col(st, 2, out->spec, sizeof out->spec);
        copy_col(st, 3, out->uom, sizeof out->uom);
        out->category = (tt_item_category_t)sqlite3_column_int(st, 4);
        out->price = sqlite3_column_int64(st, 5);
        out->active = sqlite3_column_int(st, 6);
    }
    sqlite3_reset(st);
    return rc;
}

tt_err_t tt_outbox_operator(tt_outbox_t *ob, const char *id_or_badge, tt_master_operator_t *out)
{
    sqlite3_stmt *st = ob->m[M_FIND_OPERATOR];
    tt_err_t rc = find(ob, st, id_or_badge);
    if (rc == TT_OK) {
        memset(out, 0, sizeof *out);
        copy_col(st, 0, out->id, sizeof out->id);
        copy_col(st, 1, out->name, sizeof out->name);
        copy_col(st, 2, out->role, sizeof out->role);
        copy_col(st, 3, out->unit, sizeof out->unit);
        copy_col(st, 4, out->badge, sizeof out->badge);
        out->active = sqlite3_column_int(st, 5);
    }
    sqlite3_reset(st);
    return rc;
}

tt_err_t tt_outbox_warehouse(tt_outbox_t *ob, const char *id, tt_master_warehouse_t *out)
{
    sqlite3_stmt *st = ob->m[M_FIND_WAREHOUSE];
    tt_err_t rc = find(ob, st, id);
    if (rc == TT_OK) {
        memset(out, 0, sizeof *out);
        copy_col(st, 0, out->id, sizeof out->id);
        copy_col(st, 1, out->name, sizeof out->name);
        out->kind = (tt_warehouse_kind_t)sqlite3_column_int(st, 2);
        copy_col(st, 3, out->unit, sizeof out->unit);
    }
    sqlite3_reset(st);
    return rc;
}

tt_err_t tt_outbox_unit(tt_outbox_t *ob, const char *id, tt_master_unit_t *out)
{
    sqlite3_stmt *st = ob->m[M_FIND_UNIT];
    tt_err_t rc = find(ob, st, id);
    if (rc == TT_OK) {
        memset(out, 0, sizeof *out);
        copy_col(st, 0, out->id, sizeof out->id);
        copy_col(st, 1, out->name, sizeof out->name);
        out->kind = (tt_unit_kind_t)sqlite3_column_int(st, 2);
    }
    sqlite3_reset(st);
    return rc;
}

tt_err_t tt_outbox_plan(tt_outbox_t *ob, const char *serial, tt_master_plan_t *out)
{
    sqlite3_stmt *st = ob->m[M_FIND_PLAN];
    tt_err_t rc = find(ob, st, serial);
    if (rc == TT_OK) {
        memset(out, 0, sizeof *out);
        copy_col(st, 0, out->serial, sizeof out->serial);
        copy_col(st, 1, out->item, sizeof out->item);
        out->qty = sqlite3_column_int64(st, 2);
        copy_col(st, 3, out->category, sizeof out->category);
        copy_col(st, 4, out->unit, sizeof out->unit);
        out->status = (tt_plan_status_t)sqlite3_column_int(st, 5);
    }
    sqlite3_reset(st);
    return rc;
}

tt_err_t tt_outbox_equipment(tt_outbox_t *ob, const char *key, int by_giai,
                             tt_master_equipment_t *out)
{
    sqlite3_stmt *st = ob->m[by_giai ? M_FIND_GIAI : M_FIND_ASSET];
    tt_err_t rc = find(ob, st, key);
    if (rc == TT_OK) {
        memset(out, 0, sizeof *out);
        copy_col(st, 0, out->asset, sizeof out->asset);
        copy_col(st, 1, out->model, sizeof out->model);
        copy_col(st, 2, out->item, sizeof out->item);
        copy_col(st, 3, out->giai, sizeof out->giai);
        copy_col(st, 4, out->barcode, sizeof out->barcode);
        copy_col(st, 5, out->unit, sizeof out->unit);
        out->active = sqlite3_column_int(st, 6);
    }
    sqlite3_reset(st);
    return rc;
}

/* --- the local stock view ------------------------------------------------- */

tt_err_t tt_outbox_snapshot_apply(tt_outbox_t *ob, const tt_snapshot_t *snap, int64_t now_ms)
{
    tt_err_t rc = TT_OK;
    if (ob->st.unsettled)
        return TT_ERR_BUSY;
    if (sqlite3_exec(ob->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return step_err(ob->db);
    bind_text(ob->m[M_SNAP_DROP], 1, snap->warehouse);
    rc = run_m(ob, ob->m[M_SNAP_DROP]);
    for (size_t i = 0; i < snap->count && rc == TT_OK; i++) {
        sqlite3_stmt *st = ob->m[M_SNAP_ROW];
        bind_text(st, 1, snap->warehouse);
        bind_text(st, 2, snap->rows[i].item);
        sqlite3_bind_int64(st, 3, snap->rows[i].qty);
        rc = run_m(ob, st);
    }
    if (rc == TT_OK) {
        sqlite3_stmt *st = ob->m[M_SNAP_META];
        bind_text(st, 1, snap->warehouse);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)snap->applied);
        sqlite3_bind_int64(st, 3, now_ms);
        rc = run_m(ob, st);
    }
    if (rc != TT_OK) {
        rollback(ob);
        return rc;
    }
    return commit_write(ob, 0, 0);
}

tt_err_t tt_outbox_stock_view(tt_outbox_t *ob, const char *warehouse, const char *item,
                              tt_qty_t *qty)
{
    sqlite3_stmt *st = ob->m[M_VIEW];
    int rc;
    bind_text(st, 1, warehouse);
    bind_text(st, 2, item);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *qty = sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return TT_OK;
    return rc == SQLITE_DONE ? TT_ERR_NOTFOUND : step_err(ob->db);
}
