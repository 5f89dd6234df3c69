/*
 * Unit tests of firmware/outbox: the terminal's durable store and send queue.
 *
 * Every test gets its own store in a fresh temporary folder (mkdtemp), removed
 * again by the teardown.  Batches are checked by decoding them with the real
 * protocol decoder, so what is tested is what the server would read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "event.h"
#include "master.h"
#include "outbox.h"
#include "snapshot.h"

#define TERMINAL "T01"
#define BIG_CAP (1u << 20)

typedef struct {
    char dir[64];
    char path[128];
    tt_outbox_t *ob;
    char *buf;            /* BIG_CAP bytes of scratch for batches */
} fx_t;

/* --- helpers ------------------------------------------------------------- */

static void remove_store(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[160];

    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_outbox_XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/outbox.db", fx->dir);
    fx->buf = malloc(BIG_CAP);
    if (!fx->buf) {
        rmdir(fx->dir);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;

    tt_outbox_close(fx->ob);
    remove_store(fx->path);
    rmdir(fx->dir);
    free(fx->buf);
    free(fx);
    return 0;
}

static void open_store(fx_t *fx)
{
    char err[256] = "";
    tt_err_t rc = tt_outbox_open(fx->path, &fx->ob, err, sizeof err);

    if (rc != TT_OK)
        fail_msg("tt_outbox_open(%s): %d %s", fx->path, rc, err);
    assert_non_null(fx->ob);
}

static void reopen_store(fx_t *fx)
{
    tt_outbox_close(fx->ob);
    fx->ob = NULL;
    open_store(fx);
}

static tt_event_t make_event(tt_event_type_t type, int64_t ts, const char *op, const char *wh,
                             const char *item, tt_qty_t qty)
{
    tt_event_t ev;

    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.ts_ms = ts;
    snprintf(ev.operator_id, sizeof ev.operator_id, "%s", op);
    snprintf(ev.body.stock.warehouse, sizeof ev.body.stock.warehouse, "%s", wh);
    snprintf(ev.body.stock.item, sizeof ev.body.stock.item, "%s", item);
    ev.body.stock.qty = qty;
    return ev;
}

/* A valid event that differs from its neighbours in every field. */
static tt_event_t nth_event(unsigned i)
{
    char op[16], wh[16], item[32];

    snprintf(op, sizeof op, "op%u", i);
    snprintf(wh, sizeof wh, "W%02u", i % 7);
    snprintf(item, sizeof item, "690123456%04u", i);
    return make_event(i % 2 ? TT_EVENT_ISSUE : TT_EVENT_RECEIVE,
                      1764099600000 + (int64_t)i * 1001, op, wh, item,
                      (tt_qty_t)(i + 1) * 1250);
}

static void append_n(fx_t *fx, unsigned n)
{
    tt_outbox_stats_t st;

    tt_outbox_stats(fx->ob, &st);
    for (unsigned i = 0; i < n; i++) {
        tt_event_t ev = nth_event((unsigned)st.last_seq + i + 1);
        assert_int_equal(tt_outbox_append(fx->ob, &ev), TT_OK);
        assert_int_equal(ev.seq, st.last_seq + i + 1);
    }
}

static void assert_stats(const fx_t *fx, uint64_t last, uint64_t synced, uint64_t rejected)
{
    tt_outbox_stats_t st;

    tt_outbox_stats(fx->ob, &st);
    assert_int_equal(st.last_seq, last);
    assert_int_equal(st.synced, synced);
    assert_int_equal(st.rejected, rejected);
}

static void assert_same_event(const tt_event_t *got, const tt_event_t *want)
{
    assert_int_equal(got->seq, want->seq);
    assert_int_equal(got->ts_ms, want->ts_ms);
    assert_string_equal(got->operator_id, want->operator_id);
    assert_int_equal(got->type, want->type);
    assert_string_equal(got->body.stock.warehouse, want->body.stock.warehouse);
    assert_string_equal(got->body.stock.item, want->body.stock.item);
    assert_int_equal(got->body.stock.qty, want->body.stock.qty);
    assert_string_equal(got->body.stock.ref, want->body.stock.ref);
    assert_string_equal(got->body.stock.unit, want->body.stock.unit);
    assert_int_equal(got->body.stock.line, want->body.stock.line);
    assert_int_equal(got->body.stock.lines, want->body.stock.lines);
}

/* Builds a batch and decodes it; the caller frees the result. */
static tt_event_batch_t *batch_of(fx_t *fx, uint64_t after, size_t max, uint64_t *first,
                                  uint64_t *last)
{
    tt_event_batch_t *b = NULL;
    char reason[TT_EVENT_REASON_MAX] = "";
    size_t len = 0;
    tt_err_t rc;

    rc = tt_outbox_batch(fx->ob, TERMINAL, after, max, fx->buf, BIG_CAP, &len, first, last);
    assert_int_equal(rc, TT_OK);
    assert_true(len > 0 && len < BIG_CAP);
    rc = tt_event_batch_decode(fx->buf, len, TERMINAL, &b, reason, sizeof reason);
    if (rc != TT_OK)
        fail_msg("batch does not decode (%d): %s", rc, reason);
    assert_non_null(b);
    assert_string_equal(b->terminal, TERMINAL);
    assert_int_equal(b->count, *last - *first + 1);
    for (size_t i = 0; i < b->count; i++) {
        assert_int_equal(b->items[i].err, TT_OK);
        assert_int_equal(b->items[i].ev.seq, *first + i);
    }
    return b;
}

static int count_rows(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* --- open ---------------------------------------------------------------- */

static void test_open_creates_schema(void **state)
{
    fx_t *fx = *state;

    assert_int_not_equal(access(fx->path, F_OK), 0);
    open_store(fx);
    assert_int_equal(access(fx->path, F_OK), 0);
    assert_stats(fx, 0, 0, 0);
    assert_true(count_rows(fx->path, "PRAGMA user_version") >= 1);
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                                          " AND name IN ('event', 'state', 'rejection')"),
                     3);
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM event"), 0);

    /* An empty store has nothing to send. */
    {
        size_t len = 0;
        uint64_t first = 0, last = 0;
        assert_int_equal(tt_outbox_batch(fx->ob, TERMINAL, 0, 10, fx->buf, BIG_CAP, &len,
                                         &first, &last),
                         TT_ERR_NOTFOUND);
    }

    /* Opening again migrates nothing and keeps the (empty) state. */
    reopen_store(fx);
    assert_stats(fx, 0, 0, 0);
}

static void test_open_refuses_newer_schema(void **state)
{
    fx_t *fx = *state;
    tt_outbox_t *ob = (tt_outbox_t *)&ob;   /* must be reset to NULL */
    char err[256] = "";
    char sql[64];
    int known;
    sqlite3 *db = NULL;
    tt_err_t rc;

    open_store(fx);
    append_n(fx, 2);
    tt_outbox_close(fx->ob);
    fx->ob = NULL;
    known = count_rows(fx->path, "PRAGMA user_version");
    assert_true(known >= 1);

    assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", known + 1);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    rc = tt_outbox_open(fx->path, &ob, err, sizeof err);
    assert_int_equal(rc, TT_ERR_VERSION);
    assert_null(ob);
    assert_true(strlen(err) > 0);
    snprintf(sql, sizeof sql, "%d", known + 1);
    if (!strstr(err, sql))
        fail_msg("message does not name schema %d: '%s'", known + 1, err);
    /* The newer store is left untouched. */
    assert_int_equal(count_rows(fx->path, "PRAGMA user_version"), known + 1);
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM event"), 2);
}

/* --- append -------------------------------------------------------------- */

static void test_append_assigns_seqs_and_reads_back(void **state)
{
    fx_t *fx = *state;
    tt_event_t evs[3];
    tt_event_batch_t *b;
    uint64_t first = 0, last = 0;

    open_store(fx);
    evs[0] = make_event(TT_EVENT_RECEIVE, 1764099600123, "zhang3", "W01", "6901234567892", 12500);
    evs[1] = make_event(TT_EVENT_ISSUE, 1764099601000, "li4", "W02", "ROPE-20M", 3);
    evs[2] = make_event(TT_EVENT_RECEIVE, 0, "wang_5.x-y", "W01", "!$%&'()*+,-./:;<=>?@[]^_`{|}~",
                        9223372036854775807LL);
    /* The optional document fields travel too. */
    snprintf(evs[1].body.stock.ref, sizeof evs[1].body.stock.ref, "REQ-2026.0034");
    snprintf(evs[1].body.stock.unit, sizeof evs[1].body.stock.unit, "face_3");
    evs[1].body.stock.line = 2;
    evs[1].body.stock.lines = 3;
    for (unsigned i = 0; i < 3; i++) {
        evs[i].seq = 777;   /* ignored: the outbox assigns the seq */
        assert_int_equal(tt_outbox_append(fx->ob, &evs[i]), TT_OK);
        assert_int_equal(evs[i].seq, i + 1);
        assert_stats(fx, i + 1, 0, 0);
    }

    b = batch_of(fx, 0, 100, &first, &last);
    assert_int_equal(first, 1);
    assert_int_equal(last, 3);
    assert_int_equal(b->synced, 0);
    assert_int_equal(b->count, 3);
    for (unsigned i = 0; i < 3; i++)
        assert_same_event(&b->items[i].ev, &evs[i]);
    tt_event_batch_free(b);
}

static void test_reopen_keeps_state(void **state)
{
    fx_t *fx = *state;
    tt_event_rejection_t rej = {.seq = 2, .reason = "insufficient stock: short 3"};
    char reason[TT_EVENT_REASON_MAX] = "";
    tt_event_t ev = nth_event(99);
    tt_event_batch_t *b;
    uint64_t first = 0, last = 0;

    open_store(fx);
    append_n(fx, 5);
    assert_int_equal(tt_outbox_ack(fx->ob, 3, &rej, 1), TT_OK);
    assert_stats(fx, 5, 3, 1);

    reopen_store(fx);
    assert_stats(fx, 5, 3, 1);
    assert_int_equal(tt_outbox_rejection(fx->ob, 2, reason, sizeof reason), TT_OK);
    assert_string_equal(reason, rej.reason);

    /* Numbering continues where it stopped; batches carry the kept watermark. */
    assert_int_equal(tt_outbox_append(fx->ob, &ev), TT_OK);
    assert_int_equal(ev.seq, 6);
    b = batch_of(fx, 3, 100, &first, &last);
    assert_int_equal(first, 4);
    assert_int_equal(last, 6);
    assert_int_equal(b->synced, 3);
    tt_event_batch_free(b);

    reopen_store(fx);
    assert_stats(fx, 6, 3, 1);
}

static void test_append_invalid_stores_nothing(void **state)
{
    fx_t *fx = *state;
    tt_event_t bad[6];
    tt_event_t good = nth_event(1);
    size_t len = 0;
    uint64_t first = 0, last = 0;

    open_store(fx);
    assert_int_equal(tt_outbox_append(fx->ob, &good), TT_OK);
    assert_int_equal(good.seq, 1);

    bad[0] = make_event(TT_EVENT_RECEIVE, 1000, "op", "W01", "ITEM", 0);          /* qty 0 */
    bad[1] = make_event(TT_EVENT_ISSUE, 1000, "op", "W01", "ITEM", -5);           /* qty < 0 */
    bad[2] = make_event(TT_EVENT_RECEIVE, 1000, "a/b", "W01", "ITEM", 1000);      /* operator */
    bad[3] = make_event(TT_EVENT_RECEIVE, 1000, "op", "W01", "IT EM", 1000);      /* item */
    bad[4] = make_event((tt_event_type_t)7, 1000, "op", "W01", "ITEM", 1000);     /* type */
    bad[5] = make_event(TT_EVENT_ISSUE, 1000, "op", "W01", "ITEM", 1000);         /* line > lines */
    bad[5].body.stock.line = 3;
    bad[5].body.stock.lines = 2;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bad[i].seq = 42;
        assert_int_equal(tt_outbox_append(fx->ob, &bad[i]), TT_ERR_INVAL);
        assert_int_equal(bad[i].seq, 0);
        assert_stats(fx, 1, 0, 0);
    }
    assert_int_equal(tt_outbox_batch(fx->ob, TERMINAL, 1, 10, fx->buf, BIG_CAP, &len, &first,
                                     &last),
                     TT_ERR_NOTFOUND);

    /* No gap: the next valid event is seq 2, also after a reopen. */
    reopen_store(fx);
    assert_stats(fx, 1, 0, 0);
    good = nth_event(2);
    assert_int_equal(tt_outbox_append(fx->ob, &good), TT_OK);
    assert_int_equal(good.seq, 2);
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM event"), 2);
}

static void test_append_many_all_or_nothing(void **state)
{
    fx_t *fx = *state;
    tt_event_t evs[5];
    tt_event_batch_t *b;
    size_t len = 0;
    uint64_t first = 0, last = 0;

    open_store(fx);
    append_n(fx, 1);

    for (unsigned i = 0; i < 5; i++)
        evs[i] = nth_event(10 + i);
    evs[2].body.stock.qty = 0;   /* invalid, in the middle */
    assert_int_equal(tt_outbox_append_many(fx->ob, evs, 5), TT_ERR_INVAL);
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(evs[i].seq, 0);
    assert_stats(fx, 1, 0, 0);
    assert_int_equal(tt_outbox_batch(fx->ob, TERMINAL, 1, 10, fx->buf, BIG_CAP, &len, &first,
                                     &last),
                     TT_ERR_NOTFOUND);
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM event"), 1);
    reopen_store(fx);
    assert_stats(fx, 1, 0, 0);

    /* Invalid last: the first four must not survive either. */
    evs[2] = nth_event(12);
    evs[4].operator_id[0] = '\0';
    assert_int_equal(tt_outbox_append_many(fx->ob, evs, 5), TT_ERR_INVAL);
    assert_stats(fx, 1, 0, 0);
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM event"), 1);

    /* All valid: consecutive seqs right after the existing one. */
    evs[4] = nth_event(14);
    assert_int_equal(tt_outbox_append_many(fx->ob, evs, 5), TT_OK);
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(evs[i].seq, 2 + i);
    assert_stats(fx, 6, 0, 0);
    b = batch_of(fx, 1, 100, &first, &last);
    assert_int_equal(first, 2);
    assert_int_equal(last, 6);
    for (unsigned i = 0; i < 5; i++)
        assert_same_event(&b->items[i].ev, &evs[i]);
    tt_event_batch_free(b);
    reopen_store(fx);
    assert_stats(fx, 6, 0, 0);
}

/* --- batch --------------------------------------------------------------- */

static void test_batch_max_after_and_watermark(void **state)
{
    fx_t *fx = *state;
    tt_event_batch_t *b;
    size_t len = 0;
    uint64_t first = 0, last = 0;

    open_store(fx);
    append_n(fx, 10);
    assert_int_equal(tt_outbox_ack(fx->ob, 4, NULL, 0), TT_OK);

    b = batch_of(fx, 0, 3, &first, &last);
    assert_int_equal(first, 1);
    assert_int_equal(last, 3);
    assert_int_equal(b->count, 3);
    assert_int_equal(b->synced, 4);
    tt_event_batch_free(b);

    b = batch_of(fx, 3, 3, &first, &last);
    assert_int_equal(first, 4);
    assert_int_equal(last, 6);
    assert_int_equal(b->synced, 4);
    tt_event_batch_free(b);

    b = batch_of(fx, 4, 1, &first, &last);
    assert_int_equal(first, 5);
    assert_int_equal(last, 5);
    tt_event_batch_free(b);

    b = batch_of(fx, 8, 5, &first, &last);   /* fewer left than max */
    assert_int_equal(first, 9);
    assert_int_equal(last, 10);
    tt_event_batch_free(b);

    b = batch_of(fx, 0, TT_EVENT_BATCH_MAX, &first, &last);
    assert_int_equal(first, 1);
    assert_int_equal(last, 10);
    tt_event_batch_free(b);

    assert_int_equal(tt_outbox_batch(fx->ob, TERMINAL, 10, 5, fx->buf, BIG_CAP, &len, &first,
                                     &last),
                     TT_ERR_NOTFOUND);
    assert_int_equal(tt_outbox_batch(fx->ob, TERMINAL, 1000, 5, fx->buf, BIG_CAP, &len, &first,
                                     &last),
                     TT_ERR_NOTFOUND);

    /* The watermark in the batch follows later acks. */
    assert_int_equal(tt_outbox_ack(fx->ob, 9, NULL, 0), TT_OK);
    b = batch_of(fx, 9, 5, &first, &last);
    assert_int_equal(first, 10);
    assert_int_equal(last, 10);
    assert_int_equal(b->synced, 9);
    tt_event_batch_free(b);
}

/* Every capacity from nothing to ample: the outbox must either build a valid
 * batch (a prefix of what is due, fitting the buffer) or say TT_ERR_FULL, and
 * TT_ERR_FULL only when not even one event fits. */
static void test_batch_small_cap(void **state)
{
    enum { N = 60 };
    fx_t *fx = *state;
    size_t one_len = 0, all_len = 0, prev_count = 0;
    uint64_t first = 0, last = 0;
    size_t cap_all = 0;
    size_t nbad = 0, first_bad = 0, last_bad = 0;

    open_store(fx);
    append_n(fx, N);

    assert_int_equal(tt_outbox_batch(fx->ob, TERMINAL, 0, 1, fx->buf, BIG_CAP, &one_len, &first,
                                     &last),
                     TT_OK);
    assert_int_equal(tt_outbox_batch(fx->ob, TERMINAL, 0, N, fx->buf, BIG_CAP, &all_len, &first,
                                     &last),
                     TT_OK);
    assert_int_equal(last, N);

    /* Far too small. */
    {
        size_t len = 0;
        assert_int_equal(tt_outbox_batch(fx->ob, TERMINAL, 0, N, fx->buf, 40, &len, &first,
                                         &last),
                         TT_ERR_FULL);
    }

    for (size_t cap = 1; cap <= all_len + 200; cap++) {
        char *buf = malloc(cap);   /* exact size, so ASan sees any overrun */
        size_t len = 0;
        tt_event_batch_t *b = NULL;
        char reason[TT_EVENT_REASON_MAX] = "";
        tt_err_t rc;

        assert_non_null(buf);
        first = last = 0;
        rc = tt_outbox_batch(fx->ob, TERMINAL, 0, N, buf, cap, &len, &first, &last);
        if (rc == TT_ERR_FULL) {
            /* Allowed only while one event (plus a generous 96-byte margin for
             * the envelope) would not fit. */
            if (cap >= one_len + 96 + 1) {
                if (nbad++ == 0)
                    first_bad = cap;
                last_bad = cap;
            }
            free(buf);
            continue;
        }
        if (rc != TT_OK)
            fail_msg("cap %zu: unexpected result %d", cap, rc);
        assert_true(len < cap);
        assert_int_equal(first, 1);
        assert_true(last >= first && last <= N);
        rc = tt_event_batch_decode(buf, len, TERMINAL, &b, reason, sizeof reason);
        if (rc != TT_OK)
            fail_msg("cap %zu: batch does not decode (%d): %s", cap, rc, reason);
        assert_int_equal(b->count, last - first + 1);
        for (size_t i = 0; i < b->count; i++)
            assert_int_equal(b->items[i].ev.seq, first + i);
        assert_true(b->count >= prev_count);   /* more room never means fewer events */
        prev_count = b->count;
        if (b->count == N && cap_all == 0)
            cap_all = cap;
        tt_event_batch_free(b);
        free(buf);
    }
    if (nbad)
        fail_msg("TT_ERR_FULL for %zu capacities in %zu..%zu although one event needs only "
                 "%zu bytes (a one-event batch is %zu bytes; all %d events fill %zu)",
                 nbad, first_bad, last_bad, one_len + 1, one_len, N, all_len + 1);
    assert_true(prev_count >= 1);
    /* With all_len + 200 bytes every one of the N events fits. */
    assert_int_equal(prev_count, N);
    assert_true(cap_all > all_len);
}

/* --- ack ----------------------------------------------------------------- */

static void test_ack_watermark(void **state)
{
    fx_t *fx = *state;

    open_store(fx);
    append_n(fx, 5);

    assert_int_equal(tt_outbox_ack(fx->ob, 0, NULL, 0), TT_OK);
    assert_stats(fx, 5, 0, 0);
    assert_int_equal(tt_outbox_ack(fx->ob, 3, NULL, 0), TT_OK);
    assert_stats(fx, 5, 3, 0);
    /* A late, older ack never lowers it. */
    assert_int_equal(tt_outbox_ack(fx->ob, 2, NULL, 0), TT_OK);
    assert_stats(fx, 5, 3, 0);
    reopen_store(fx);
    assert_stats(fx, 5, 3, 0);

    /* Beyond the last seq: refused whole (unsent scans must not count as
     * synced), remembered as a conflict until a sane ack arrives. */
    {
        tt_outbox_stats_t st;
        assert_int_equal(tt_outbox_ack(fx->ob, 9, NULL, 0), TT_ERR_PROTO);
        assert_stats(fx, 5, 3, 0);
        tt_outbox_stats(fx->ob, &st);
        assert_int_equal(st.conflict, 9);
        assert_int_equal(tt_outbox_ack(fx->ob, 5, NULL, 0), TT_OK);
        tt_outbox_stats(fx->ob, &st);
        assert_int_equal(st.conflict, 0);
    }
    assert_stats(fx, 5, 5, 0);
    reopen_store(fx);
    assert_stats(fx, 5, 5, 0);

    /* New events are above the watermark; the clamp did not run ahead. */
    append_n(fx, 2);
    assert_stats(fx, 7, 5, 0);
    assert_int_equal(tt_outbox_ack(fx->ob, 7, NULL, 0), TT_OK);
    assert_stats(fx, 7, 7, 0);
}

static void test_ack_rejections(void **state)
{
    fx_t *fx = *state;
    tt_event_rejection_t rej[2] = {
        {.seq = 2, .reason = "insufficient stock of ROPE in W01: on hand 1, short 2"},
        {.seq = 4, .reason = "body.qty: must be greater than zero"},
    };
    tt_event_rejection_t other = {.seq = 2, .reason = "a different reason"};
    tt_event_rejection_t late = {.seq = 5, .reason = "late one"};
    char reason[TT_EVENT_REASON_MAX];

    open_store(fx);
    append_n(fx, 5);

    assert_int_equal(tt_outbox_rejection(fx->ob, 2, reason, sizeof reason), TT_ERR_NOTFOUND);
    assert_int_equal(tt_outbox_ack(fx->ob, 4, rej, 2), TT_OK);
    assert_stats(fx, 5, 4, 2);
    assert_int_equal(tt_outbox_rejection(fx->ob, 2, reason, sizeof reason), TT_OK);
    assert_string_equal(reason, rej[0].reason);
    assert_int_equal(tt_outbox_rejection(fx->ob, 4, reason, sizeof reason), TT_OK);
    assert_string_equal(reason, rej[1].reason);
    assert_int_equal(tt_outbox_rejection(fx->ob, 3, reason, sizeof reason), TT_ERR_NOTFOUND);

    /* The same ack again (a resend) and the same seq with another reason:
     * neither is counted twice, and the first reason stays. */
    assert_int_equal(tt_outbox_ack(fx->ob, 4, rej, 2), TT_OK);
    assert_stats(fx, 5, 4, 2);
    assert_int_equal(tt_outbox_ack(fx->ob, 4, &other, 1), TT_OK);
    assert_stats(fx, 5, 4, 2);
    assert_int_equal(tt_outbox_rejection(fx->ob, 2, reason, sizeof reason), TT_OK);
    assert_string_equal(reason, rej[0].reason);

    /* An ack beyond the last seq is refused whole, rejections included. */
    assert_int_equal(tt_outbox_ack(fx->ob, 8, &late, 1), TT_ERR_PROTO);
    assert_stats(fx, 5, 4, 2);
    assert_int_equal(tt_outbox_rejection(fx->ob, 5, reason, sizeof reason), TT_ERR_NOTFOUND);
    assert_int_equal(tt_outbox_ack(fx->ob, 5, &late, 1), TT_OK);
    assert_stats(fx, 5, 5, 3);
    assert_int_equal(tt_outbox_rejection(fx->ob, 5, reason, sizeof reason), TT_OK);
    assert_string_equal(reason, late.reason);

    reopen_store(fx);
    assert_stats(fx, 5, 5, 3);
    assert_int_equal(tt_outbox_rejection(fx->ob, 4, reason, sizeof reason), TT_OK);
    assert_string_equal(reason, rej[1].reason);

    /* Nothing is deleted by syncing: all events are still readable. */
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM event"), 5);
}

/* --- master data ------------------------------------------------------------ */

/* A page of every kind, as the server would send it (to = 5). */
static tt_master_page_t *master_page(int last)
{
    tt_master_page_t *p = calloc(1, sizeof *p);

    assert_non_null(p);
    p->since = 0;
    p->to = 5;
    p->last = last;
    if (!last)
        snprintf(p->cursor, sizeof p->cursor, "5:equipment:P-0099");
    p->nunits = 1;
    p->units = calloc(1, sizeof *p->units);
    p->nwarehouses = 1;
    p->warehouses = calloc(1, sizeof *p->warehouses);
    p->nitems = 1;
    p->items = calloc(1, sizeof *p->items);
    p->noperators = 1;
    p->operators = calloc(1, sizeof *p->operators);
    p->nplans = 2;
    p->plans = calloc(2, sizeof *p->plans);
    p->nequipment = 4;
    p->equipment = calloc(4, sizeof *p->equipment);
    assert_true(p->units && p->warehouses && p->items && p->operators && p->plans &&
                p->equipment);

    snprintf(p->units[0].id, sizeof p->units[0].id, "CM1");
    snprintf(p->units[0].name, sizeof p->units[0].name, "采煤一区");
    p->units[0].kind = TT_UNIT_WORK_AREA;
    snprintf(p->warehouses[0].id, sizeof p->warehouses[0].id, "W01");
    snprintf(p->warehouses[0].name, sizeof p->warehouses[0].name, "中心仓库");
    p->warehouses[0].kind = TT_WAREHOUSE_CENTRAL;
    snprintf(p->items[0].code, sizeof p->items[0].code, "6901234567892");
    snprintf(p->items[0].name, sizeof p->items[0].name, "锚杆");
    snprintf(p->items[0].uom, sizeof p->items[0].uom, "根");
    p->items[0].category = TT_ITEM_MATERIAL;
    p->items[0].price = 1250;
    p->items[0].active = 1;
    p->items[0].nbarcodes = 2;
    snprintf(p->items[0].barcodes[0], sizeof p->items[0].barcodes[0], "6901234567892");
    snprintf(p->items[0].barcodes[1], sizeof p->items[0].barcodes[1], "6901234567809");
    snprintf(p->operators[0].id, sizeof p->operators[0].id, "zhang3");
    snprintf(p->operators[0].name, sizeof p->operators[0].name, "张三");
    snprintf(p->operators[0].role, sizeof p->operators[0].role, "storekeeper");
    snprintf(p->operators[0].badge, sizeof p->operators[0].badge, "B0001");
    p->operators[0].active = 1;

    snprintf(p->plans[0].serial, sizeof p->plans[0].serial, "P2026-0117");
    snprintf(p->plans[0].item, sizeof p->plans[0].item, "6901234567892");
    p->plans[0].qty = 200500;
    snprintf(p->plans[0].category, sizeof p->plans[0].category, "AQ-03");
    snprintf(p->plans[0].unit, sizeof p->plans[0].unit, "CM1");
    p->plans[0].status = TT_PLAN_APPROVED;
    snprintf(p->plans[1].serial, sizeof p->plans[1].serial, "P2026-0119");
    snprintf(p->plans[1].item, sizeof p->plans[1].item, "6901234567892");
    p->plans[1].qty = 1000;
    p->plans[1].status = TT_PLAN_REJECTED;

    snprintf(p->equipment[0].asset, sizeof p->equipment[0].asset, "P-0042");
    snprintf(p->equipment[0].model, sizeof p->equipment[0].model, "乳化液泵");
    snprintf(p->equipment[0].giai, sizeof p->equipment[0].giai, "06141415678");
    snprintf(p->equipment[0].unit, sizeof p->equipment[0].unit, "CM1");
    p->equipment[0].active = 1;
    snprintf(p->equipment[1].asset, sizeof p->equipment[1].asset, "P-0043");
    snprintf(p->equipment[1].model, sizeof p->equipment[1].model, "采煤机");
    snprintf(p->equipment[1].item, sizeof p->equipment[1].item, "6901234567892");
    snprintf(p->equipment[1].barcode, sizeof p->equipment[1].barcode, "EQ-PUMP-0007");
    p->equipment[1].active = 1;
    /* A barcode that is another asset's number: the number wins. */
    snprintf(p->equipment[2].asset, sizeof p->equipment[2].asset, "P-0044");
    snprintf(p->equipment[2].model, sizeof p->equipment[2].model, "刮板机");
    snprintf(p->equipment[2].barcode, sizeof p->equipment[2].barcode, "P-0099");
    p->equipment[2].active = 1;
    snprintf(p->equipment[3].asset, sizeof p->equipment[3].asset, "P-0099");
    snprintf(p->equipment[3].model, sizeof p->equipment[3].model, "旧水泵");
    p->equipment[3].active = 0;
    return p;
}

static void test_master_apply_and_lookups(void **state)
{
    fx_t *fx = *state;
    tt_master_page_t *p = master_page(0);
    tt_outbox_stats_t st;
    tt_master_item_t it;
    tt_master_operator_t op;
    tt_master_plan_t pl;
    tt_master_equipment_t eq;

    open_store(fx);
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                                          " AND name IN ('m_plan', 'm_equipment')"),
                     2);
    assert_int_equal(tt_outbox_plan(fx->ob, "P2026-0117", &pl), TT_ERR_NOTFOUND);
    assert_int_equal(tt_outbox_equipment(fx->ob, "P-0042", 0, &eq), TT_ERR_NOTFOUND);

    /* A page that is not the last is stored, but its version waits. */
    assert_int_equal(tt_outbox_master_apply(fx->ob, p), TT_OK);
    tt_outbox_stats(fx->ob, &st);
    assert_int_equal(st.master_version, 0);
    tt_master_page_free(p);
    p = master_page(1);
    assert_int_equal(tt_outbox_master_apply(fx->ob, p), TT_OK);
    tt_outbox_stats(fx->ob, &st);
    assert_int_equal(st.master_version, 5);

    /* Items by any barcode, operators by badge (the existing kinds). */
    assert_int_equal(tt_outbox_item(fx->ob, "6901234567809", &it), TT_OK);
    assert_string_equal(it.code, "6901234567892");
    assert_int_equal(it.price, 1250);
    assert_int_equal(tt_outbox_operator(fx->ob, "B0001", &op), TT_OK);
    assert_string_equal(op.id, "zhang3");

    /* Plan lines by serial, approved or not. */
    assert_int_equal(tt_outbox_plan(fx->ob, "P2026-0117", &pl), TT_OK);
    assert_string_equal(pl.serial, "P2026-0117");
    assert_string_equal(pl.item, "6901234567892");
    assert_int_equal(pl.qty, 200500);
    assert_string_equal(pl.category, "AQ-03");
    assert_string_equal(pl.unit, "CM1");
    assert_int_equal(pl.status, TT_PLAN_APPROVED);
    assert_int_equal(tt_outbox_plan(fx->ob, "P2026-0119", &pl), TT_OK);
    assert_int_equal(pl.status, TT_PLAN_REJECTED);
    assert_string_equal(pl.category, "");
    assert_int_equal(tt_outbox_plan(fx->ob, "P2026-0118", &pl), TT_ERR_NOTFOUND);
    assert_int_equal(tt_outbox_plan(fx->ob, "6901234567892", &pl), TT_ERR_NOTFOUND);

    /* Assets by GIAI (from a tag), else by number or barcode. */
    assert_int_equal(tt_outbox_equipment(fx->ob, "06141415678", 1, &eq), TT_OK);
    assert_string_equal(eq.asset, "P-0042");
    assert_string_equal(eq.model, "乳化液泵");
    assert_string_equal(eq.giai, "06141415678");
    assert_string_equal(eq.unit, "CM1");
    assert_string_equal(eq.barcode, "");
    assert_true(eq.active);
    assert_int_equal(tt_outbox_equipment(fx->ob, "06141415678", 0, &eq), TT_ERR_NOTFOUND);
    assert_int_equal(tt_outbox_equipment(fx->ob, "P-0042", 1, &eq), TT_ERR_NOTFOUND);
    assert_int_equal(tt_outbox_equipment(fx->ob, "P-0042", 0, &eq), TT_OK);
    assert_string_equal(eq.asset, "P-0042");
    assert_int_equal(tt_outbox_equipment(fx->ob, "EQ-PUMP-0007", 0, &eq), TT_OK);
    assert_string_equal(eq.asset, "P-0043");
    assert_string_equal(eq.item, "6901234567892");
    assert_int_equal(tt_outbox_equipment(fx->ob, "P-0099", 0, &eq), TT_OK);
    assert_string_equal(eq.asset, "P-0099");       /* the number before a barcode */
    assert_false(eq.active);                       /* found; the counter refuses it */
    assert_int_equal(tt_outbox_equipment(fx->ob, "", 0, &eq), TT_ERR_NOTFOUND);
    assert_int_equal(tt_outbox_equipment(fx->ob, "", 1, &eq), TT_ERR_NOTFOUND);

    /* A later page replaces rows by key: a plan rejected, a GIAI moved. */
    p->since = 5;
    p->to = 6;
    p->plans[0].status = TT_PLAN_REJECTED;
    p->equipment[0].giai[0] = '\0';
    snprintf(p->equipment[1].giai, sizeof p->equipment[1].giai, "06141415678");
    assert_int_equal(tt_outbox_master_apply(fx->ob, p), TT_OK);
    tt_master_page_free(p);
    reopen_store(fx);
    tt_outbox_stats(fx->ob, &st);
    assert_int_equal(st.master_version, 6);
    assert_int_equal(tt_outbox_plan(fx->ob, "P2026-0117", &pl), TT_OK);
    assert_int_equal(pl.status, TT_PLAN_REJECTED);
    assert_int_equal(tt_outbox_equipment(fx->ob, "06141415678", 1, &eq), TT_OK);
    assert_string_equal(eq.asset, "P-0043");
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM m_plan"), 2);
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM m_equipment"), 4);
}

/* --- pruning --------------------------------------------------------------- */

#define DAY_MS 86400000LL
#define PRUNE_NOW (1764099600000LL + 400 * DAY_MS)

/* Appends n receipts of 1 of ITEM in `wh`, the i-th stamped ts(i). */
static void append_aged(fx_t *fx, unsigned n, const char *wh, int64_t first_ts, int64_t step_ms)
{
    tt_event_t evs[500];

    for (unsigned done = 0; done < n;) {
        unsigned k = n - done < 500 ? n - done : 500;
        for (unsigned i = 0; i < k; i++)
            evs[i] = make_event(TT_EVENT_RECEIVE, first_ts + (int64_t)(done + i) * step_ms, "op1",
                                wh, "BOLT-M12", 1000);
        assert_int_equal(tt_outbox_append_many(fx->ob, evs, k), TT_OK);
        done += k;
    }
}

/* Prunes until a step deletes nothing; returns the events deleted. */
static size_t prune_all(fx_t *fx, const tt_outbox_retention_t *keep, size_t batch)
{
    size_t total = 0, n;

    do {
        assert_int_equal(tt_outbox_prune(fx->ob, keep, PRUNE_NOW, batch, &n), TT_OK);
        total += n;
    } while (n > 0);
    return total;
}

static void assert_integrity(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void snapshot(fx_t *fx, const char *wh, uint64_t applied, tt_qty_t qty)
{
    tt_snapshot_row_t row;
    tt_snapshot_t snap;

    memset(&row, 0, sizeof row);
    snprintf(row.item, sizeof row.item, "BOLT-M12");
    row.qty = qty;
    memset(&snap, 0, sizeof snap);
    snprintf(snap.warehouse, sizeof snap.warehouse, "%s", wh);
    snap.applied = applied;
    snap.count = 1;
    snap.rows = &row;
    assert_int_equal(tt_outbox_snapshot_apply(fx->ob, &snap, PRUNE_NOW), TT_OK);
}

/* What pruning deletes and what it never does: old synced events go
 * (with their movements, and a stock snapshot that would need them), the
 * unsynced, the young, the newest and a rejected event whose reason nobody
 * read stay; the count cap takes young synced events too; numbering goes
 * on after a reopen; the store stays intact. */
static void test_prune_rules(void **state)
{
    static const tt_event_rejection_t rej[2] = {{.seq = 10, .reason = "short of stock"},
                                               {.seq = 20, .reason = "unknown item"}};
    fx_t *fx = *state;
    tt_outbox_retention_t keep = {.keep_ms = 30 * DAY_MS, .keep_events = 1000000};
    tt_outbox_stats_t st;
    char reason[TT_EVENT_REASON_MAX];
    tt_qty_t qty = 0;
    size_t n;

    open_store(fx);
    /* 1..200 forty days old, 201..300 a day old; W01 and W02 alternate
     * by halves. */
    append_aged(fx, 100, "W01", PRUNE_NOW - 40 * DAY_MS, 1000);
    append_aged(fx, 100, "W02", PRUNE_NOW - 40 * DAY_MS + 100000, 1000);
    append_aged(fx, 100, "W02", PRUNE_NOW - DAY_MS, 1000);
    assert_int_equal(tt_outbox_ack(fx->ob, 150, rej, 2), TT_OK);
    /* W01's snapshot predates what will be pruned, W02's does not. */
    snapshot(fx, "W01", 5, 7000);
    snapshot(fx, "W02", 200, 50000);

    /* Nothing beyond the synced watermark, whatever its age. */
    assert_int_equal(prune_all(fx, &keep, 64), 148);
    tt_outbox_stats(fx->ob, &st);
    assert_int_equal(st.pruned, 150);
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM event WHERE seq <= 150"), 2);
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM event WHERE seq IN (10, 20)"), 2);
    assert_int_equal(count_rows(fx->path, "SELECT MIN(seq) FROM event WHERE seq > 20"), 151);
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM movement WHERE seq <= 150"), 0);
    /* W01's view would have missed the pruned movements: dropped. */
    assert_int_equal(tt_outbox_stock_view(fx->ob, "W01", "BOLT-M12", &qty), TT_ERR_NOTFOUND);
    assert_int_equal(tt_outbox_stock_view(fx->ob, "W02", "BOLT-M12", &qty), TT_OK);
    assert_int_equal(qty, 50000 + 100 * 1000);   /* snapshot + 201..300 */

    /* Synced up to 290: the old ones go, the young (201..) stay. */
    assert_int_equal(tt_outbox_ack(fx->ob, 290, NULL, 0), TT_OK);
    assert_int_equal(prune_all(fx, &keep, 64), 50);
    assert_int_equal(count_rows(fx->path, "SELECT MIN(seq) FROM event WHERE seq > 20"), 201);
    assert_int_equal(tt_outbox_stock_view(fx->ob, "W02", "BOLT-M12", &qty), TT_OK);
    assert_int_equal(qty, 150000);                /* unchanged by pruning */

    /* A rejection read by a person: its event may go now; the reason stays. */
    assert_int_equal(tt_outbox_rejection_seen(fx->ob, 20, PRUNE_NOW), TT_OK);
    assert_int_equal(tt_outbox_rejection_seen(fx->ob, 20, PRUNE_NOW), TT_OK);
    assert_int_equal(tt_outbox_rejection_seen(fx->ob, 21, PRUNE_NOW), TT_ERR_NOTFOUND);
    assert_int_equal(prune_all(fx, &keep, 64), 1);
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM event WHERE seq <= 200"), 1);
    assert_int_equal(tt_outbox_rejection(fx->ob, 20, reason, sizeof reason), TT_OK);
    assert_string_equal(reason, "unknown item");
    tt_outbox_stats(fx->ob, &st);
    assert_int_equal(st.rejected, 2);

    /* The count cap: only the newest 60 stay, young or not, but never
     * beyond the synced watermark (291..300 are not synced). */
    keep.keep_events = 60;
    assert_int_equal(prune_all(fx, &keep, 16), 40);
    assert_int_equal(count_rows(fx->path, "SELECT MIN(seq) FROM event WHERE seq > 10"), 241);
    /* Everything synced and nothing kept by age: all but the newest go. */
    assert_int_equal(tt_outbox_ack(fx->ob, 300, NULL, 0), TT_OK);
    keep.keep_ms = 0;
    assert_int_equal(prune_all(fx, &keep, 1000), 59);
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM event"), 2);   /* 10 and 300 */
    assert_int_equal(count_rows(fx->path, "SELECT MAX(seq) FROM event"), 300);
    assert_int_equal(count_rows(fx->path, "SELECT COUNT(*) FROM movement"), 1);
    assert_int_equal(tt_outbox_prune(fx->ob, &keep, PRUNE_NOW, 0, &n), TT_ERR_INVAL);
    assert_int_equal(tt_outbox_prune(fx->ob, &keep, PRUNE_NOW, 64, &n), TT_OK);
    assert_int_equal(n, 0);

    /* Numbering goes on, also after a reopen. */
    reopen_store(fx);
    tt_outbox_stats(fx->ob, &st);
    assert_int_equal(st.last_seq, 300);
    assert_int_equal(st.synced, 300);
    assert_int_equal(st.pruned, 299);
    append_aged(fx, 1, "W01", PRUNE_NOW, 0);
    assert_int_equal(count_rows(fx->path, "SELECT MAX(seq) FROM event"), 301);
    /* An ack of an already pruned seq is still understood. */
    assert_int_equal(tt_outbox_ack(fx->ob, 301, NULL, 0), TT_OK);
    tt_outbox_close(fx->ob);
    fx->ob = NULL;
    assert_integrity(fx->path);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* How long one pruning step keeps the poll loop (and so a scan) waiting,
 * on a store of 30,000 synced events to prune, at the firmware's batch
 * (128), with the WAL checkpointed between steps as firmware/main.c does
 * at a quiet moment (timed apart): printed, and bounded loosely here (a
 * step that scanned the table, fsynced or checkpointed would take
 * milliseconds). */
static void test_prune_step_time(void **state)
{
    fx_t *fx = *state;
    tt_outbox_retention_t keep = {.keep_ms = 30 * DAY_MS, .keep_events = 1000000};
    enum { N = 30000, BATCH = 128, STEPS = N / BATCH + 2 };
    double *ms = calloc(STEPS, sizeof *ms), sum = 0, ckpt_max = 0, ckpt_sum = 0;
    size_t steps = 0, n, total = 0, ckpts = 0;
    struct timespec t0;

    assert_non_null(ms);
    open_store(fx);
    append_aged(fx, N, "W01", PRUNE_NOW - 60 * DAY_MS, 100);
    assert_int_equal(tt_outbox_ack(fx->ob, N, NULL, 0), TT_OK);
    do {
        if (tt_outbox_wal_pages(fx->ob) >= 1000) {
            double c;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            assert_int_equal(tt_outbox_checkpoint(fx->ob), TT_OK);
            c = ms_since(&t0);
            assert_true(tt_outbox_wal_pages(fx->ob) < 8);
            ckpts++;
            ckpt_sum += c;
            if (c > ckpt_max)
                ckpt_max = c;
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(tt_outbox_prune(fx->ob, &keep, PRUNE_NOW, BATCH, &n), TT_OK);
        assert_true(steps < STEPS);
        ms[steps++] = ms_since(&t0);
        total += n;
    } while (n > 0);
    assert_int_equal(total, N - 1);
    assert_true(ckpts > 0);   /* pruning grew the WAL and left its checkpoint to us */
    for (size_t i = 0; i < steps; i++)
        sum += ms[i];
    qsort(ms, steps, sizeof *ms, cmp_double);
    print_message("[ prune ] %zu events in %zu steps of %d: per step mean %.3f ms, p50 %.3f,"
                  " p99 %.3f, max %.3f ms; %zu checkpoints between steps, mean %.3f, max %.3f"
                  " ms\n",
                  total, steps, BATCH, sum / (double)steps, ms[steps / 2], ms[steps * 99 / 100],
                  ms[steps - 1], ckpts, ckpt_sum / (double)ckpts, ckpt_max);
    assert_true(ms[steps / 2] < 5.0);
    free(ms);
    tt_outbox_close(fx->ob);
    fx->ob = NULL;
    assert_integrity(fx->path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_refuses_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_assigns_seqs_and_reads_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_invalid_stores_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_many_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_max_after_and_watermark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_small_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_watermark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_rejections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_master_apply_and_lookups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune_step_time, setup, teardown),
    };
    return cmocka_run_group_tests_name("outbox", tests, NULL, NULL);
}
