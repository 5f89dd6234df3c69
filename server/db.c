#include "db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXCERPT_MAX 512

enum {
    S_APPLIED, S_PROGRESS, S_PRESENCE, S_STOCK_GET, S_STOCK_PUT, S_EVENT_PUT, S_REJECT_EVENT,
    S_COUNT_REJECTED, S_BADMSG_PUT, S_COUNT_BADMSG, S_REJECTIONS, S_COUNT
};

static const char *const sql_text[S_COUNT] = {
    [S_APPLIED] = "SELECT applied_seq FROM terminal WHERE id = ?1",
    [S_PROGRESS] =
        "INSERT INTO terminal (id, applied_seq, held, first_seen_ms, last_seen_ms,"
        " last_event_ts_ms) VALUES (?1, ?2, ?3, ?4, ?4,"
        " (SELECT MAX(ts_ms) FROM event WHERE terminal = ?1 AND seq = ?2))"
        " ON CONFLICT (id) DO UPDATE SET applied_seq = excluded.applied_seq,"
        " held = excluded.held, last_seen_ms = excluded.last_seen_ms,"
        " last_event_ts_ms = COALESCE((SELECT MAX(ts_ms) FROM event"
        "   WHERE terminal = ?1 AND seq = ?2), last_event_ts_ms)",
    [S_PRESENCE] =
        "INSERT INTO terminal (id, online, firmware, board, first_seen_ms, last_seen_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
        " ON CONFLICT (id) DO UPDATE SET online = excluded.online,"
        " firmware = COALESCE(excluded.firmware, firmware),"
        " board = COALESCE(excluded.board, board), last_seen_ms = excluded.last_seen_ms",
    [S_STOCK_GET] = "SELECT qty FROM stock WHERE warehouse = ?1 AND item = ?2",
    [S_STOCK_PUT] = "INSERT INTO stock (warehouse, item, qty) VALUES (?1, ?2, ?3)"
                    " ON CONFLICT (warehouse, item) DO UPDATE SET qty = excluded.qty",
    [S_EVENT_PUT] =
        "INSERT INTO event (terminal, seq, type, ts_ms, server_ms, operator, warehouse,"
        " item, qty, status, reason, ref, unit, line, lines)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [S_REJECT_EVENT] = "INSERT INTO event (terminal, seq, ts_ms, server_ms, status, reason)"
                       " VALUES (?1, ?2, ?3, ?4, 'rejected', ?5)",
    [S_COUNT_REJECTED] =
        "INSERT INTO terminal (id, rejected_events, first_seen_ms, last_seen_ms)"
        " VALUES (?1, 1, ?2, ?2) ON CONFLICT (id) DO UPDATE SET"
        " rejected_events = rejected_events + 1",
    [S_BADMSG_PUT] = "INSERT INTO bad_message (terminal, topic, server_ms, reason, size, excerpt)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_COUNT_BADMSG] =
        "INSERT INTO terminal (id, rejected_messages, first_seen_ms, last_seen_ms)"
        " VALUES (?1, 1, ?2, ?2) ON CONFLICT (id) DO UPDATE SET"
        " rejected_messages = rejected_messages + 1, last_seen_ms = excluded.last_seen_ms",
    [S_REJECTIONS] = "SELECT seq, reason FROM event WHERE terminal = ?1 AND status = 'rejected'"
                     " AND seq > ?2 AND seq <= ?3 ORDER BY seq",
};

/* Each entry migrates user_version i to i + 1. */
static const char *const migrations[] = {
    "CREATE TABLE terminal ("
    "  id TEXT PRIMARY KEY,"
    "  applied_seq INTEGER NOT NULL DEFAULT 0,"
    "  held INTEGER NOT NULL DEFAULT 0,"
    "  rejected_events INTEGER NOT NULL DEFAULT 0,"
    "  rejected_messages INTEGER NOT NULL DEFAULT 0,"
    "  first_seen_ms INTEGER NOT NULL,"
    "  last_seen_ms INTEGER NOT NULL,"
    "  last_event_ts_ms INTEGER,"
    "  online INTEGER NOT NULL DEFAULT 0,"
    "  firmware TEXT, board TEXT);"
    /* The journal: append-only (see the triggers). */
    "CREATE TABLE event ("
    "  terminal TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  type TEXT,"
    "  ts_ms INTEGER,"
    "  server_ms INTEGER NOT NULL,"
    "  operator TEXT, warehouse TEXT, item TEXT, qty INTEGER,"
    "  status TEXT NOT NULL CHECK (status IN ('applied', 'rejected')),"
    "  reason TEXT,"
    "  PRIMARY KEY (terminal, seq)) WITHOUT ROWID;"
    "CREATE INDEX event_rejected ON event (terminal, seq) WHERE status = 'rejected';"
    "CREATE TRIGGER event_no_update BEFORE UPDATE ON event"
    "  BEGIN SELECT RAISE(ABORT, 'the event journal is append-only'); END;"
    "CREATE TRIGGER event_no_delete BEFORE DELETE ON event"
    "  BEGIN SELECT RAISE(ABORT, 'the event journal is append-only'); END;"
    "CREATE TABLE stock ("
    "  warehouse TEXT NOT NULL, item TEXT NOT NULL,"
    "  qty INTEGER NOT NULL CHECK (qty >= 0),"
    "  PRIMARY KEY (warehouse, item)) WITHOUT ROWID;"
    "CREATE TABLE bad_message ("
    "  id INTEGER PRIMARY KEY,"
    "  terminal TEXT NOT NULL,"
    "  topic TEXT NOT NULL,"
    "  server_ms INTEGER NOT NULL,"
    "  reason TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  excerpt BLOB NOT NULL);",
    /* 2: documents built at the counter (docs/protocol.md, body fields). */
    "ALTER TABLE event ADD COLUMN ref TEXT;"
    "ALTER TABLE event ADD COLUMN unit TEXT;"
    "ALTER TABLE event ADD COLUMN line INTEGER;"
    "ALTER TABLE event ADD COLUMN lines INTEGER;",
};

struct tt_db {
    sqlite3 *db;
    sqlite3_stmt *st[S_COUNT];
};

static tt_err_t fail(tt_db_t *db)
{
    return (sqlite3_extended_errcode(db->db) & 0xff) == SQLITE_FULL ? TT_ERR_FULL : TT_ERR_DB;
}

/* Runs a prepared write statement to completion and resets it. */
static tt_err_t run(tt_db_t *db, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    tt_err_t err = rc == SQLITE_DONE ? TT_OK : fail(db);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

static tt_err_t migrate(sqlite3 *db, char *err, size_t errlen)
{
    const int latest = (int)(sizeof migrations / sizeof migrations[0]);
    sqlite3_stmt *st;
    int version = -1;

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version < 0) {
        snprintf(err, errlen, "read schema version: %s", sqlite3_errmsg(db));
        return TT_ERR_DB;
    }
    if (version > latest) {
        snprintf(err, errlen, "database schema %d is newer than this server's %d", version,
                 latest);
        return TT_ERR_VERSION;
    }
    for (; version < latest; version++) {
        char pragma[48];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version + 1);
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, migrations[version], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "migrate to schema %d: %s", version + 1, sqlite3_errmsg(db));
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return TT_ERR_DB;
        }
    }
    return TT_OK;
}

tt_err_t tt_db_open(const char *path, int readonly, tt_db_t **out, char *err, size_t errlen)
{
    tt_db_t *db;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    tt_err_t rc = TT_ERR_DB;

    *out = NULL;
    db = calloc(1, sizeof *db);
    if (!db)
        return TT_ERR_NOMEM;
    if (sqlite3_open_v2(path, &db->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db->db ? sqlite3_errmsg(db->db) : "out of memory");
        goto out;
    }
    sqlite3_extended_result_codes(db->db, 1);
    sqlite3_busy_timeout(db->db, 5000);
    if (!readonly) {
        /* WAL + FULL: a committed round is on disk before any ack leaves. */
        if (sqlite3_exec(db->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL,
                         NULL, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db->db));
            goto out;
        }
        rc = migrate(db->db, err, errlen);
        if (rc != TT_OK)
            goto out;
        /* Held events and presence lived in the previous run's memory and
         * broker session: both are learnt again (terminals resend, retained
         * status messages are redelivered). */
        if (sqlite3_exec(db->db, "UPDATE terminal SET held = 0, online = 0", NULL, NULL, NULL) !=
            SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db->db));
            rc = TT_ERR_DB;
            goto out;
        }
        for (int i = 0; i < S_COUNT; i++) {
            if (sqlite3_prepare_v3(db->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT,
                                   &db->st[i], NULL) != SQLITE_OK) {
                snprintf(err, errlen, "prepare: %s", sqlite3_errmsg(db->db));
                rc = TT_ERR_DB;
                goto out;
            }
        }
    }
    *out = db;
    return TT_OK;
out:
    tt_db_close(db);
    return rc;
}

void tt_db_close(tt_db_t *db)
{
    if (!db)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(db->st[i]);
    sqlite3_close(db->db);
    free(db);
}

tt_err_t tt_db_begin(tt_db_t *db)
{
    return sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? TT_OK
                                                                                 : fail(db);
}

tt_err_t tt_db_commit(tt_db_t *db)
{
    if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return TT_OK;
    return fail(db);
}

void tt_db_rollback(tt_db_t *db)
{
    sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
}

tt_err_t tt_db_terminal_applied(tt_db_t *db, const char *terminal, uint64_t *applied)
{
    sqlite3_stmt *st = db->st[S_APPLIED];
    int rc;
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *applied = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_db_terminal_progress(tt_db_t *db, const char *terminal, uint64_t applied,
                                 uint64_t held, int64_t now_ms)
{
    sqlite3_stmt *st = db->st[S_PROGRESS];
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)applied);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)held);
    sqlite3_bind_int64(st, 4, now_ms);
    return run(db, st);
}

tt_err_t tt_db_terminal_presence(tt_db_t *db, const char *terminal, int online,
                                 const char *firmware, const char *board, int64_t now_ms)
{
    sqlite3_stmt *st = db->st[S_PRESENCE];
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, online);
    if (firmware)
        sqlite3_bind_text(st, 3, firmware, -1, SQLITE_STATIC);
    if (board)
        sqlite3_bind_text(st, 4, board, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now_ms);
    return run(db, st);
}

static tt_err_t journal(tt_db_t *db, const char *terminal, const tt_event_t *ev, int64_t now_ms,
                        const char *status, const char *reason)
{
    sqlite3_stmt *st = db->st[S_EVENT_PUT];
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)ev->seq);
    sqlite3_bind_text(st, 3, tt_event_type_name(ev->type), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, ev->ts_ms);
    sqlite3_bind_int64(st, 5, now_ms);
    sqlite3_bind_text(st, 6, ev->operator_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, ev->body.stock.warehouse, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, ev->body.stock.item, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, ev->body.stock.qty);
    sqlite3_bind_text(st, 10, status, -1, SQLITE_STATIC);
    if (reason)
        sqlite3_bind_text(st, 11, reason, -1, SQLITE_STATIC);
    if (ev->body.stock.ref[0])
        sqlite3_bind_text(st, 12, ev->body.stock.ref, -1, SQLITE_STATIC);
    if (ev->body.stock.unit[0])
        sqlite3_bind_text(st, 13, ev->body.stock.unit, -1, SQLITE_STATIC);
    if (ev->body.stock.lines) {
        sqlite3_bind_int(st, 14, ev->body.stock.line);
        sqlite3_bind_int(st, 15, ev->body.stock.lines);
    }
    return run(db, st);
}

static tt_err_t count_rejected(tt_db_t *db, const char *terminal, int64_t now_ms)
{
    sqlite3_stmt *st = db->st[S_COUNT_REJECTED];
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    return run(db, st);
}

tt_err_t tt_db_apply(tt_db_t *db, const char *terminal, const tt_event_t *ev, int64_t now_ms,
                     char *reason, size_t rlen)
{
    const tt_event_stock_t *b = &ev->body.stock;
    sqlite3_stmt *st = db->st[S_STOCK_GET];
    tt_qty_t have = 0, next;
    tt_err_t rc, why;
    int step;

    sqlite3_bind_text(st, 1, b->warehouse, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, b->item, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        have = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return fail(db);

    if (ev->type == TT_EVENT_RECEIVE)
        why = tt_qty_add(have, b->qty, &next);
    else
        why = b->qty > have ? TT_ERR_STOCK : tt_qty_sub(have, b->qty, &next);
    if (why != TT_OK) {
        char h[TT_MONEY_TEXT_MAX], s[TT_MONEY_TEXT_MAX];
        tt_qty_format(have, h, sizeof h);
        tt_qty_format(why == TT_ERR_STOCK ? b->qty - have : 0, s, sizeof s);
        if (why == TT_ERR_STOCK)
            snprintf(reason, rlen, "insufficient stock of %s in %s: on hand %s, short %s",
                     b->item, b->warehouse, h, s);
        else
            snprintf(reason, rlen, "quantity overflow for %s in %s", b->item, b->warehouse);
        rc = journal(db, terminal, ev, now_ms, "rejected", reason);
        if (rc == TT_OK)
            rc = count_rejected(db, terminal, now_ms);
        return rc == TT_OK ? why : rc;
    }
    st = db->st[S_STOCK_PUT];
    sqlite3_bind_text(st, 1, b->warehouse, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, b->item, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, next);
    rc = run(db, st);
    if (rc != TT_OK)
        return rc;
    return journal(db, terminal, ev, now_ms, "applied", NULL);
}

tt_err_t tt_db_reject_event(tt_db_t *db, const char *terminal, uint64_t seq, int64_t ts_ms,
                            int64_t now_ms, const char *reason)
{
    sqlite3_stmt *st = db->st[S_REJECT_EVENT];
    tt_err_t rc;
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    if (ts_ms >= 0)
        sqlite3_bind_int64(st, 3, ts_ms);
    sqlite3_bind_int64(st, 4, now_ms);
    sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
    rc = run(db, st);
    return rc == TT_OK ? count_rejected(db, terminal, now_ms) : rc;
}

tt_err_t tt_db_reject_message(tt_db_t *db, const char *terminal, const char *topic,
                              int64_t now_ms, const char *reason, const void *payload,
                              size_t len)
{
    sqlite3_stmt *st = db->st[S_BADMSG_PUT];
    tt_err_t rc;
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, topic, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now_ms);
    sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)len);
    sqlite3_bind_blob(st, 6, payload, (int)(len < EXCERPT_MAX ? len : EXCERPT_MAX),
                      SQLITE_STATIC);
    rc = run(db, st);
    if (rc != TT_OK || terminal[0] == '\0')
        return rc;
    st = db->st[S_COUNT_BADMSG];
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    return run(db, st);
}

tt_err_t tt_db_rejections(tt_db_t *db, const char *terminal, uint64_t after, uint64_t through,
                          tt_event_rejection_t **out, size_t *n)
{
    sqlite3_stmt *st = db->st[S_REJECTIONS];
    tt_event_rejection_t *list = NULL;
    size_t cap = 0, count = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (through <= after)
        return TT_OK;
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)after);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)through);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            tt_event_rejection_t *l = realloc(list, ncap * sizeof *l);
            if (!l) {
                sqlite3_reset(st);
                free(list);
                return TT_ERR_NOMEM;
            }
            list = l;
            cap = ncap;
        }
        list[count].seq = (uint64_t)sqlite3_column_int64(st, 0);
        snprintf(list[count].reason, sizeof list[count].reason, "%s",
                 (const char *)sqlite3_column_text(st, 1));
        count++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(list);
        return TT_ERR_DB;
    }
    *out = list;
    *n = count;
    return TT_OK;
}

/* --- read side: statements prepared per call, the HTTP rate is low -------- */

static const char *text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

tt_err_t tt_db_stock_each(tt_db_t *db, const char *warehouse, const char *item,
                          tt_db_stock_fn fn, void *ctx)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT warehouse, item, qty FROM stock"
                           " WHERE (?1 IS NULL OR warehouse = ?1) AND (?2 IS NULL OR item = ?2)"
                           " ORDER BY warehouse, item",
                           -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    if (warehouse)
        sqlite3_bind_text(st, 1, warehouse, -1, SQLITE_STATIC);
    if (item)
        sqlite3_bind_text(st, 2, item, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (fn(ctx, text(st, 0), text(st, 1), sqlite3_column_int64(st, 2)))
            break;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_db_terminals_each(tt_db_t *db, tt_db_terminal_fn fn, void *ctx)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT id, applied_seq, held, rejected_events, rejected_messages,"
                           " first_seen_ms, last_seen_ms, COALESCE(last_event_ts_ms, 0), online,"
                           " COALESCE(firmware, ''), COALESCE(board, '') FROM terminal ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_db_terminal_t t;
        memset(&t, 0, sizeof t);
        snprintf(t.id, sizeof t.id, "%s", text(st, 0));
        t.applied_seq = (uint64_t)sqlite3_column_int64(st, 1);
        t.held = (uint64_t)sqlite3_column_int64(st, 2);
        t.rejected_events = (uint64_t)sqlite3_column_int64(st, 3);
        t.rejected_messages = (uint64_t)sqlite3_column_int64(st, 4);
        t.first_seen_ms = sqlite3_column_int64(st, 5);
        t.last_seen_ms = sqlite3_column_int64(st, 6);
        t.last_event_ts_ms = sqlite3_column_int64(st, 7);
        t.online = sqlite3_column_int(st, 8);
        snprintf(t.firmware, sizeof t.firmware, "%s", text(st, 9));
        snprintf(t.board, sizeof t.board, "%s", text(st, 10));
        if (fn(ctx, &t))
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_db_badmsgs_each(tt_db_t *db, const char *terminal, size_t limit,
                            tt_db_badmsg_fn fn, void *ctx)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT id, terminal, topic, server_ms, reason, size, excerpt"
                           " FROM bad_message WHERE (?1 IS NULL OR terminal = ?1)"
                           " ORDER BY id DESC LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    if (terminal)
        sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_db_badmsg_t m;
        memset(&m, 0, sizeof m);
        m.id = sqlite3_column_int64(st, 0);
        snprintf(m.terminal, sizeof m.terminal, "%s", text(st, 1));
        snprintf(m.topic, sizeof m.topic, "%s", text(st, 2));
        m.server_ms = sqlite3_column_int64(st, 3);
        snprintf(m.reason, sizeof m.reason, "%s", text(st, 4));
        m.size = (size_t)sqlite3_column_int64(st, 5);
        m.excerpt = sqlite3_column_blob(st, 6);
        m.excerpt_len = (size_t)sqlite3_column_bytes(st, 6);
        if (fn(ctx, &m))
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_db_rejected_each(tt_db_t *db, const char *terminal, size_t limit,
                             tt_db_rejection_fn fn, void *ctx)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT terminal, seq, server_ms, reason FROM event"
                           " WHERE status = 'rejected' AND (?1 IS NULL OR terminal = ?1)"
                           " ORDER BY server_ms DESC, terminal, seq DESC LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    if (terminal)
        sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (fn(ctx, text(st, 0), (uint64_t)sqlite3_column_int64(st, 1),
               sqlite3_column_int64(st, 2), text(st, 3)))
            break;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}
