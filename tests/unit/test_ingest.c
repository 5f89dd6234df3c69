/*
 * Unit tests of server/ingest over server/db: exactly once, in order, per
 * terminal, with no broker.  Messages are fed to tt_ingest directly in rounds
 * (begin / message... / commit), acks are collected from the commit callback
 * and decoded with the real protocol decoder, and the effects are read back
 * through tt_db's read side.  Each test has its own database in a fresh
 * temporary folder (mkdtemp), removed by the teardown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db.h"
#include "event.h"
#include "support.h"
#include "ingest.h"

#define NOW 1764100000000LL
#define MAX_PAYLOAD 4096
#define MAX_ACKS 16

typedef struct {
    char topic[TT_EVENT_TOPIC_MAX];
    char *payload;
    size_t len;
} got_ack_t;

typedef struct {
    char dir[64];
    char path[128];
    tt_db_t *db;
    tt_ingest_t *ing;
    got_ack_t acks[MAX_ACKS];
    size_t nacks;
} fx_t;

/* A message of a round: topic and payload (NUL-terminated, len bytes used). */
typedef struct {
    const char *topic;
    const char *payload;
    size_t len;
} msg_t;

/* --- fixture ------------------------------------------------------------- */

static void clear_acks(fx_t *fx)
{
    for (size_t i = 0; i < fx->nacks; i++)
        free(fx->acks[i].payload);
    fx->nacks = 0;
}

static void new_ingest(fx_t *fx, size_t max_payload, size_t hold_max)
{
    tt_ingest_conf_t conf = {.max_payload = max_payload, .hold_max = hold_max};

    tt_ingest_free(fx->ing);
    fx->ing = NULL;
    assert_int_equal(tt_ingest_new(&conf, fx->db, NULL, &fx->ing), TT_OK);
    assert_non_null(fx->ing);
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    char err[256] = "";

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_ingest_XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/server.db", fx->dir);
    if (tt_db_open(fx->path, 0, &fx->db, err, sizeof err) != TT_OK) {
        fprintf(stderr, "tt_db_open: %s\n", err);
        rmdir(fx->dir);
        free(fx);
        return -1;
    }
    *state = fx;
    new_ingest(fx, MAX_PAYLOAD, 1000);
    return 0;
}

static int teardown(void **state)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    fx_t *fx = *state;
    char p[160];

    clear_acks(fx);
    tt_ingest_free(fx->ing);
    tt_db_close(fx->db);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", fx->path, suffixes[i]);
        unlink(p);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* --- helpers ------------------------------------------------------------- */

static tt_event_t ev_make(uint64_t seq, tt_event_type_t type, const char *wh, const char *item,
                          tt_qty_t qty)
{
    tt_event_t ev;

    memset(&ev, 0, sizeof ev);
    ev.seq = seq;
    ev.type = type;
    ev.ts_ms = 1764099600000LL + (int64_t)seq * 1000;
    snprintf(ev.operator_id, sizeof ev.operator_id, "zhang3");
    snprintf(ev.body.stock.warehouse, sizeof ev.body.stock.warehouse, "%s", wh);
    snprintf(ev.body.stock.item, sizeof ev.body.stock.item, "%s", item);
    ev.body.stock.qty = qty;
    return ev;
}

static tt_event_t rcv(uint64_t seq, tt_qty_t qty)
{
    return ev_make(seq, TT_EVENT_RECEIVE, "W01", "ROPE", qty);
}

static tt_event_t iss(uint64_t seq, tt_qty_t qty)
{
    return ev_make(seq, TT_EVENT_ISSUE, "W01", "ROPE", qty);
}

static void on_ack(void *ctx, const char *topic, const char *payload, size_t len)
{
    fx_t *fx = ctx;
    got_ack_t *a;

    assert_true(fx->nacks < MAX_ACKS);
    a = &fx->acks[fx->nacks++];
    snprintf(a->topic, sizeof a->topic, "%s", topic);
    a->payload = malloc(len + 1);
    assert_non_null(a->payload);
    memcpy(a->payload, payload, len);
    a->payload[len] = '\0';
    a->len = len;
}

/* Runs one round of messages; returns the number of acks it produced (kept
 * in fx->acks until the next round). */
static size_t round_of(fx_t *fx, const msg_t *msgs, size_t n)
{
    clear_acks(fx);
    assert_int_equal(tt_ingest_begin(fx->ing), TT_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tt_ingest_message(fx->ing, msgs[i].topic, msgs[i].payload, msgs[i].len,
                                           NOW + (int64_t)i),
                         TT_OK);
    assert_int_equal(tt_ingest_commit(fx->ing, on_ack, fx), TT_OK);
    return fx->nacks;
}

/* One round of one batch of evs from `terminal` on its own topic. */
static size_t send_events(fx_t *fx, const char *terminal, uint64_t synced, const tt_event_t *evs,
                          size_t n)
{
    char topic[TT_EVENT_TOPIC_MAX];
    size_t len = 0;
    char *payload = tt_test_batch(terminal, synced, evs, n, &len);
    msg_t m;
    size_t got;

    assert_int_equal(tt_event_topic(topic, sizeof topic, terminal, TT_EVENT_LEAF_EVENTS), TT_OK);
    m.topic = topic;
    m.payload = payload;
    m.len = len;
    got = round_of(fx, &m, 1);
    free(payload);
    return got;
}

/* Decodes the ack of the last round addressed to `terminal`; the caller frees
 * it with tt_event_ack_free. */
static tt_event_ack_t *ack_for(fx_t *fx, const char *terminal)
{
    char topic[TT_EVENT_TOPIC_MAX];
    char reason[TT_EVENT_REASON_MAX] = "";
    tt_event_ack_t *ack = NULL;

    assert_int_equal(tt_event_topic(topic, sizeof topic, terminal, TT_EVENT_LEAF_ACK), TT_OK);
    for (size_t i = 0; i < fx->nacks; i++) {
        if (strcmp(fx->acks[i].topic, topic) != 0)
            continue;
        if (tt_event_ack_decode(fx->acks[i].payload, fx->acks[i].len, terminal, &ack, reason,
                                sizeof reason) != TT_OK)
            fail_msg("ack for %s does not decode: %s: %s", terminal, reason,
                     fx->acks[i].payload);
        return ack;
    }
    fail_msg("no ack for %s among %zu", terminal, fx->nacks);
    return NULL;
}

/* Checks the ack of `terminal` says `applied` and rejects exactly the seqs
 * in rej[0..nrej). */
static void expect_ack(fx_t *fx, const char *terminal, uint64_t applied, const uint64_t *rej,
                       size_t nrej)
{
    tt_event_ack_t *ack = ack_for(fx, terminal);

    assert_string_equal(ack->terminal, terminal);
    assert_int_equal(ack->applied, applied);
    if (ack->nrejected != nrej)
        fail_msg("ack for %s lists %zu rejections, expected %zu", terminal, ack->nrejected, nrej);
    for (size_t i = 0; i < nrej; i++) {
        assert_int_equal(ack->rejected[i].seq, rej[i]);
        assert_true(strlen(ack->rejected[i].reason) > 0);
    }
    tt_event_ack_free(ack);
}

typedef struct {
    const char *wh, *item;
    tt_qty_t qty;
    int rows;
} stock_q_t;

static int stock_cb(void *ctx, const char *warehouse, const char *item, tt_qty_t qty)
{
    stock_q_t *q = ctx;

    if (strcmp(warehouse, q->wh) == 0 && strcmp(item, q->item) == 0)
        q->qty = qty;
    q->rows++;
    return 0;
}

/* Stock on hand of (wh, item); -1 when there is no row. */
static tt_qty_t stock_of(fx_t *fx, const char *wh, const char *item)
{
    stock_q_t q = {wh, item, -1, 0};

    assert_int_equal(tt_db_stock_each(fx->db, wh, item, stock_cb, &q), TT_OK);
    assert_true(q.rows <= 1);
    return q.qty;
}

static int stock_rows(fx_t *fx)
{
    stock_q_t q = {"", "", -1, 0};

    assert_int_equal(tt_db_stock_each(fx->db, NULL, NULL, stock_cb, &q), TT_OK);
    return q.rows;
}

typedef struct {
    const char *id;
    tt_db_terminal_t t;
    int found, rows;
} term_q_t;

static int term_cb(void *ctx, const tt_db_terminal_t *t)
{
    term_q_t *q = ctx;

    if (strcmp(t->id, q->id) == 0) {
        q->t = *t;
        q->found = 1;
    }
    q->rows++;
    return 0;
}

/* The terminal row of `id`; fails the test when there is none. */
static tt_db_terminal_t terminal_row(fx_t *fx, const char *id)
{
    term_q_t q;

    memset(&q, 0, sizeof q);
    q.id = id;
    assert_int_equal(tt_db_terminals_each(fx->db, term_cb, &q), TT_OK);
    if (!q.found)
        fail_msg("no terminal row for '%s'", id);
    return q.t;
}

static int terminal_rows(fx_t *fx)
{
    term_q_t q;

    memset(&q, 0, sizeof q);
    q.id = "";
    assert_int_equal(tt_db_terminals_each(fx->db, term_cb, &q), TT_OK);
    return q.rows;
}

static uint64_t applied_of(fx_t *fx, const char *id)
{
    uint64_t applied = 12345;

    assert_int_equal(tt_db_terminal_applied(fx->db, id, &applied), TT_OK);
    return applied;
}

typedef struct {
    int n;
    tt_db_badmsg_t last;    /* the newest (first reported); excerpt not kept */
    size_t excerpt_len;
} bad_q_t;

static int bad_cb(void *ctx, const tt_db_badmsg_t *m)
{
    bad_q_t *q = ctx;

    if (q->n++ == 0) {
        q->last = *m;
        q->last.excerpt = NULL;
        q->excerpt_len = m->excerpt_len;
    }
    return 0;
}

static bad_q_t bad_messages(fx_t *fx, const char *terminal)
{
    bad_q_t q;

    memset(&q, 0, sizeof q);
    assert_int_equal(tt_db_badmsgs_each(fx->db, terminal, 100, bad_cb, &q), TT_OK);
    return q;
}

/* Journal rows of a terminal, via a separate raw connection. */
static int journal_rows(fx_t *fx, const char *terminal, const char *status)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;

    assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT COUNT(*) FROM event WHERE terminal = ?1"
                                        " AND (?2 IS NULL OR status = ?2)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, terminal, -1, SQLITE_STATIC);
    if (status)
        sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* --- in order, duplicates, gaps ------------------------------------------ */

static void test_in_order_batch_applies(void **state)
{
    fx_t *fx = *state;
    tt_event_t evs[3] = {rcv(1, 10000), rcv(2, 5500), iss(3, 3250)};
    tt_db_terminal_t t;

    assert_int_equal(send_events(fx, "T01", 0, evs, 3), 1);
    assert_string_equal(fx->acks[0].topic, "tt/v1/t/T01/ack");
    expect_ack(fx, "T01", 3, NULL, 0);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 12250);
    assert_int_equal(applied_of(fx, "T01"), 3);
    assert_int_equal(journal_rows(fx, "T01", "applied"), 3);
    t = terminal_row(fx, "T01");
    assert_int_equal(t.applied_seq, 3);
    assert_int_equal(t.held, 0);
    assert_int_equal(t.rejected_events, 0);
    assert_int_equal(t.rejected_messages, 0);
    assert_true(t.last_seen_ms >= NOW);
}

static void test_duplicate_batch_applies_once(void **state)
{
    fx_t *fx = *state;
    tt_event_t evs[3] = {rcv(1, 10000), rcv(2, 5500), iss(3, 3250)};
    char topic[] = "tt/v1/t/T01/events";
    size_t len = 0;
    char *payload;
    msg_t twice[2];

    assert_int_equal(send_events(fx, "T01", 0, evs, 3), 1);
    expect_ack(fx, "T01", 3, NULL, 0);

    /* The same batch again, in a later round: a resend after a lost ack. */
    assert_int_equal(send_events(fx, "T01", 0, evs, 3), 1);
    expect_ack(fx, "T01", 3, NULL, 0);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 12250);
    assert_int_equal(journal_rows(fx, "T01", NULL), 3);

    /* Twice within one round, overlapping with one new event: one ack. */
    {
        tt_event_t more[2] = {iss(3, 3250), rcv(4, 1000)};
        payload = tt_test_batch("T01", 0, more, 2, &len);
    }
    twice[0] = (msg_t){topic, payload, len};
    twice[1] = (msg_t){topic, payload, len};
    assert_int_equal(round_of(fx, twice, 2), 1);
    free(payload);
    expect_ack(fx, "T01", 4, NULL, 0);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 13250);
    assert_int_equal(journal_rows(fx, "T01", NULL), 4);
}

static void test_gap_is_held_until_filled(void **state)
{
    fx_t *fx = *state;
    tt_event_t first[2] = {rcv(1, 1000), rcv(2, 1000)};
    /* 5 issues what 4 receives: applying 5 before 4 would be rejected. */
    tt_event_t ahead[2] = {iss(5, 12000), rcv(6, 500)};
    tt_event_t gap[2] = {rcv(3, 1000), rcv(4, 10000)};
    tt_db_terminal_t t;

    assert_int_equal(send_events(fx, "T01", 0, first, 2), 1);
    expect_ack(fx, "T01", 2, NULL, 0);

    assert_int_equal(send_events(fx, "T01", 2, ahead, 2), 1);
    expect_ack(fx, "T01", 2, NULL, 0);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 2000);
    assert_int_equal(applied_of(fx, "T01"), 2);
    assert_int_equal(journal_rows(fx, "T01", NULL), 2);
    t = terminal_row(fx, "T01");
    assert_int_equal(t.applied_seq, 2);
    assert_int_equal(t.held, 2);

    assert_int_equal(send_events(fx, "T01", 2, gap, 2), 1);
    expect_ack(fx, "T01", 6, NULL, 0);
    /* 2000 + 1000 + 10000 - 12000 + 500 */
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 1500);
    assert_int_equal(applied_of(fx, "T01"), 6);
    assert_int_equal(journal_rows(fx, "T01", "applied"), 6);
    assert_int_equal(journal_rows(fx, "T01", "rejected"), 0);
    t = terminal_row(fx, "T01");
    assert_int_equal(t.held, 0);
    assert_int_equal(t.rejected_events, 0);
}

static void test_hold_is_bounded(void **state)
{
    fx_t *fx = *state;
    tt_event_t ahead[4] = {rcv(3, 1), rcv(4, 1), rcv(5, 1), rcv(6, 1)};
    tt_event_t one[1] = {rcv(1, 1)};
    tt_event_t two[1] = {rcv(2, 1)};

    new_ingest(fx, MAX_PAYLOAD, 2);
    assert_int_equal(send_events(fx, "T01", 0, one, 1), 1);
    assert_int_equal(send_events(fx, "T01", 1, ahead, 4), 1);
    expect_ack(fx, "T01", 1, NULL, 0);
    assert_int_equal(terminal_row(fx, "T01").held, 2);

    /* 2 fills the gap: the two held (3, 4) follow; 5 and 6 were not kept. */
    assert_int_equal(send_events(fx, "T01", 1, two, 1), 1);
    expect_ack(fx, "T01", 4, NULL, 0);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 4);

    /* The terminal resends from its watermark and the rest arrive. */
    assert_int_equal(send_events(fx, "T01", 4, ahead, 4), 1);
    expect_ack(fx, "T01", 6, NULL, 0);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 6);
}

/* --- rejected events ----------------------------------------------------- */

static void test_issue_beyond_stock_is_rejected(void **state)
{
    fx_t *fx = *state;
    tt_event_t evs[3] = {rcv(1, 2000), iss(2, 5000), rcv(3, 1000)};
    const uint64_t rej[] = {2};
    tt_event_ack_t *ack;
    tt_db_terminal_t t;

    assert_int_equal(send_events(fx, "T01", 0, evs, 3), 1);
    expect_ack(fx, "T01", 3, rej, 1);
    ack = ack_for(fx, "T01");
    if (!strstr(ack->rejected[0].reason, "insufficient"))
        fail_msg("reason '%s' does not say insufficient", ack->rejected[0].reason);
    tt_event_ack_free(ack);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 3000);
    assert_int_equal(applied_of(fx, "T01"), 3);
    assert_int_equal(journal_rows(fx, "T01", "rejected"), 1);
    assert_int_equal(journal_rows(fx, "T01", "applied"), 2);
    t = terminal_row(fx, "T01");
    assert_int_equal(t.rejected_events, 1);
    assert_int_equal(t.rejected_messages, 0);

    /* An issue from an item never received is short by all of it. */
    {
        tt_event_t none[1] = {ev_make(4, TT_EVENT_ISSUE, "W09", "NEVER", 1)};
        const uint64_t rej4[] = {4};
        assert_int_equal(send_events(fx, "T01", 3, none, 1), 1);
        expect_ack(fx, "T01", 4, rej4, 1);
        assert_int_equal(stock_of(fx, "W09", "NEVER"), -1);
    }
}

static void test_bad_event_body_is_rejected(void **state)
{
    fx_t *fx = *state;
    const char *payload =
        "{\"v\":1,\"terminal\":\"T01\",\"synced\":0,\"events\":["
        "{\"seq\":1,\"ts\":1764099600123,\"operator\":\"zhang3\",\"type\":\"receive\","
        "\"body\":{\"warehouse\":\"W01\",\"item\":\"ROPE\",\"qty\":\"4\"}},"
        "{\"seq\":2,\"ts\":1764099600124,\"operator\":\"zhang3\",\"type\":\"receive\","
        "\"body\":{\"warehouse\":\"W01\",\"item\":\"ROPE\",\"qty\":\"0\"}},"
        "{\"seq\":3,\"ts\":1764099600125,\"operator\":\"zhang3\",\"type\":\"teleport\","
        "\"body\":{\"warehouse\":\"W01\",\"item\":\"ROPE\",\"qty\":\"1\"}},"
        "{\"seq\":4,\"ts\":1764099600126,\"operator\":\"zhang3\",\"type\":\"issue\","
        "\"body\":{\"warehouse\":\"W01\",\"item\":\"ROPE\",\"qty\":\"1.5\"}}]}";
    msg_t m = {"tt/v1/t/T01/events", payload, strlen(payload)};
    const uint64_t rej[] = {2, 3};
    tt_event_ack_t *ack;

    assert_int_equal(round_of(fx, &m, 1), 1);
    expect_ack(fx, "T01", 4, rej, 2);
    ack = ack_for(fx, "T01");
    if (!strstr(ack->rejected[0].reason, "qty"))
        fail_msg("reason for seq 2 '%s' does not name qty", ack->rejected[0].reason);
    tt_event_ack_free(ack);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 2500);
    assert_int_equal(journal_rows(fx, "T01", "rejected"), 2);
    assert_int_equal(terminal_row(fx, "T01").rejected_events, 2);
    assert_int_equal(terminal_row(fx, "T01").rejected_messages, 0);
}

/* --- rejected messages --------------------------------------------------- */

static void test_terminal_mismatch_is_refused(void **state)
{
    fx_t *fx = *state;
    tt_event_t evs[2] = {rcv(1, 1000), rcv(2, 1000)};
    size_t len = 0;
    char *payload = tt_test_batch("T02", 0, evs, 2, &len);
    msg_t m = {"tt/v1/t/T01/events", payload, len};
    bad_q_t bad;
    tt_db_terminal_t t;

    assert_int_equal(round_of(fx, &m, 1), 0);
    free(payload);
    assert_int_equal(stock_rows(fx), 0);
    assert_int_equal(applied_of(fx, "T01"), 0);
    assert_int_equal(applied_of(fx, "T02"), 0);
    assert_int_equal(journal_rows(fx, "T01", NULL), 0);
    assert_int_equal(journal_rows(fx, "T02", NULL), 0);
    t = terminal_row(fx, "T01");
    assert_int_equal(t.rejected_messages, 1);
    assert_int_equal(t.applied_seq, 0);
    assert_int_equal(terminal_rows(fx), 1);   /* no row for T02 */
    bad = bad_messages(fx, NULL);
    assert_int_equal(bad.n, 1);
    assert_string_equal(bad.last.terminal, "T01");
    assert_string_equal(bad.last.topic, "tt/v1/t/T01/events");
    assert_int_equal(bad.last.size, len);
    assert_true(strlen(bad.last.reason) > 0);
}

static void test_garbage_messages_are_refused(void **state)
{
    fx_t *fx = *state;
    static const char topic[] = "tt/v1/t/T01/events";
    static const char not_json[] = "this is not JSON {";
    static const char no_events[] = "{\"v\":1,\"terminal\":\"T01\",\"synced\":0,\"events\":[]}";
    static const char v2[] = "{\"v\":2,\"terminal\":\"T01\",\"synced\":0,\"events\":[]}";
    static const char binary[] = "\x00\xff\xfe{}";
    tt_event_t many[40];
    tt_event_t good[1] = {rcv(1, 7000)};
    size_t big_len = 0, good_len = 0;
    char *big, *ok;
    bad_q_t bad;

    for (unsigned i = 0; i < 40; i++)
        many[i] = rcv(i + 1, 1000);
    big = tt_test_batch("T01", 0, many, 40, &big_len);
    assert_true(big_len > MAX_PAYLOAD);   /* a valid batch, but too large */
    {
        msg_t ms[] = {
            {topic, not_json, sizeof not_json - 1},
            {topic, no_events, sizeof no_events - 1},
            {topic, v2, sizeof v2 - 1},
            {topic, binary, sizeof binary - 1},
            {topic, "", 0},
            {topic, big, big_len},
        };
        assert_int_equal(round_of(fx, ms, sizeof ms / sizeof ms[0]), 0);
        assert_int_equal(terminal_row(fx, "T01").rejected_messages, sizeof ms / sizeof ms[0]);
    }
    assert_int_equal(stock_rows(fx), 0);
    assert_int_equal(applied_of(fx, "T01"), 0);
    assert_int_equal(journal_rows(fx, "T01", NULL), 0);
    bad = bad_messages(fx, "T01");
    assert_int_equal(bad.n, 6);
    /* The newest is the oversized one: its size is whole, its excerpt capped. */
    assert_int_equal(bad.last.size, big_len);
    assert_true(bad.excerpt_len > 0 && bad.excerpt_len <= 512);
    assert_true(strlen(bad.last.reason) > 0);

    /* A bad message beside a good one: the good one is acked, and only it. */
    ok = tt_test_batch("T01", 0, good, 1, &good_len);
    {
        msg_t ms[] = {
            {topic, not_json, sizeof not_json - 1},
            {topic, ok, good_len},
        };
        assert_int_equal(round_of(fx, ms, 2), 1);
    }
    expect_ack(fx, "T01", 1, NULL, 0);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 7000);
    assert_int_equal(terminal_row(fx, "T01").rejected_messages, 7);
    free(ok);

    /* The oversized batch itself, once permitted, is fine. */
    new_ingest(fx, big_len, 1000);
    {
        msg_t m = {topic, big, big_len};
        assert_int_equal(round_of(fx, &m, 1), 1);
    }
    expect_ack(fx, "T01", 40, NULL, 0);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 7000 + 39000);
    assert_int_equal(terminal_row(fx, "T01").rejected_messages, 7);

    /* One byte over the limit is refused. */
    new_ingest(fx, big_len - 1, 1000);
    {
        msg_t m = {topic, big, big_len};
        assert_int_equal(round_of(fx, &m, 1), 0);
    }
    assert_int_equal(terminal_row(fx, "T01").rejected_messages, 8);
    free(big);
}

static void test_invalid_topic_terminal(void **state)
{
    fx_t *fx = *state;
    tt_event_t evs[1] = {rcv(1, 1000)};
    size_t len = 0;
    char *payload = tt_test_batch("T01", 0, evs, 1, &len);
    msg_t ms[] = {
        {"tt/v1/t/T+1/events", payload, len},
        {"tt/v1/t/T01/x/events", payload, len},
        {"tt/v1/t//events", payload, len},
        {"tt/v2/t/T01/events", payload, len},
    };
    bad_q_t bad;

    assert_int_equal(round_of(fx, ms, sizeof ms / sizeof ms[0]), 0);
    free(payload);
    assert_int_equal(stock_rows(fx), 0);
    assert_int_equal(terminal_rows(fx), 0);
    assert_int_equal(applied_of(fx, "T01"), 0);
    bad = bad_messages(fx, NULL);
    assert_int_equal(bad.n, 4);
    assert_string_equal(bad.last.terminal, "");
    assert_string_equal(bad.last.topic, "tt/v2/t/T01/events");
    assert_int_equal(bad_messages(fx, "").n, 4);
}

/* --- rounds -------------------------------------------------------------- */

static void test_abort_commits_nothing(void **state)
{
    fx_t *fx = *state;
    tt_event_t first[1] = {rcv(1, 1000)};
    tt_event_t next[3] = {rcv(2, 2000), iss(3, 500), rcv(4, 100)};
    tt_event_t ahead[1] = {rcv(6, 9)};
    size_t len = 0, len6 = 0;
    char *payload, *payload6;

    assert_int_equal(send_events(fx, "T01", 0, first, 1), 1);
    payload = tt_test_batch("T01", 1, next, 3, &len);
    payload6 = tt_test_batch("T01", 1, ahead, 1, &len6);

    clear_acks(fx);
    assert_int_equal(tt_ingest_begin(fx->ing), TT_OK);
    assert_int_equal(tt_ingest_message(fx->ing, "tt/v1/t/T01/events", payload6, len6, NOW),
                     TT_OK);
    assert_int_equal(tt_ingest_message(fx->ing, "tt/v1/t/T01/events", payload, len, NOW),
                     TT_OK);
    assert_int_equal(tt_ingest_message(fx->ing, "tt/v1/t/T01/events", "junk", 4, NOW), TT_OK);
    tt_ingest_abort(fx->ing);
    assert_int_equal(fx->nacks, 0);

    assert_int_equal(applied_of(fx, "T01"), 1);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 1000);
    assert_int_equal(journal_rows(fx, "T01", NULL), 1);
    assert_int_equal(terminal_row(fx, "T01").rejected_messages, 0);
    assert_int_equal(bad_messages(fx, NULL).n, 0);

    /* The same messages again through the same ingest (its memory of the
     * aborted round, held 6 included, must be gone) ... */
    {
        msg_t m = {"tt/v1/t/T01/events", payload, len};
        assert_int_equal(round_of(fx, &m, 1), 1);
    }
    expect_ack(fx, "T01", 4, NULL, 0);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 2600);
    assert_int_equal(terminal_row(fx, "T01").held, 0);

    /* ... and once more through a fresh one: applied exactly once. */
    new_ingest(fx, MAX_PAYLOAD, 1000);
    assert_int_equal(applied_of(fx, "T01"), 4);
    {
        msg_t m = {"tt/v1/t/T01/events", payload, len};
        assert_int_equal(round_of(fx, &m, 1), 1);
    }
    expect_ack(fx, "T01", 4, NULL, 0);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 2600);
    assert_int_equal(journal_rows(fx, "T01", NULL), 4);
    free(payload);
    free(payload6);
}

static void test_abort_then_fresh_ingest(void **state)
{
    fx_t *fx = *state;
    tt_event_t evs[2] = {rcv(1, 1000), rcv(2, 1000)};
    size_t len = 0;
    char *payload = tt_test_batch("T01", 0, evs, 2, &len);

    assert_int_equal(tt_ingest_begin(fx->ing), TT_OK);
    assert_int_equal(tt_ingest_message(fx->ing, "tt/v1/t/T01/events", payload, len, NOW), TT_OK);
    tt_ingest_abort(fx->ing);

    new_ingest(fx, MAX_PAYLOAD, 1000);
    assert_int_equal(applied_of(fx, "T01"), 0);
    assert_int_equal(stock_rows(fx), 0);
    {
        msg_t m = {"tt/v1/t/T01/events", payload, len};
        assert_int_equal(round_of(fx, &m, 1), 1);
        expect_ack(fx, "T01", 2, NULL, 0);
        assert_int_equal(round_of(fx, &m, 1), 1);
        expect_ack(fx, "T01", 2, NULL, 0);
    }
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 2000);
    assert_int_equal(journal_rows(fx, "T01", NULL), 2);
    free(payload);
}

/* --- acks ---------------------------------------------------------------- */

static void test_ack_repeats_rejections_after_lost_ack(void **state)
{
    fx_t *fx = *state;
    tt_event_t evs[3] = {rcv(1, 1000), iss(2, 99000), rcv(3, 1000)};
    tt_event_t more[2] = {rcv(3, 1000), rcv(4, 1000)};
    const uint64_t rej[] = {2};

    assert_int_equal(send_events(fx, "T01", 0, evs, 3), 1);
    expect_ack(fx, "T01", 3, rej, 1);

    /* The ack was lost: the terminal still says synced=0 and resends. */
    assert_int_equal(send_events(fx, "T01", 0, evs, 3), 1);
    expect_ack(fx, "T01", 3, rej, 1);

    /* ... also when the resend carries new events along. */
    assert_int_equal(send_events(fx, "T01", 0, more, 2), 1);
    expect_ack(fx, "T01", 4, rej, 1);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 3000);
    assert_int_equal(terminal_row(fx, "T01").rejected_events, 1);

    /* Once the terminal has seen seq 2 acknowledged it is not repeated. */
    assert_int_equal(send_events(fx, "T01", 2, more, 2), 1);
    expect_ack(fx, "T01", 4, NULL, 0);
    assert_int_equal(send_events(fx, "T01", 4, more, 2), 1);
    expect_ack(fx, "T01", 4, NULL, 0);

    /* Watermark 1 (below the rejection) brings it back. */
    assert_int_equal(send_events(fx, "T01", 1, more, 2), 1);
    expect_ack(fx, "T01", 4, rej, 1);
}

static void test_one_ack_per_terminal(void **state)
{
    fx_t *fx = *state;
    tt_event_t a[2] = {rcv(1, 1000), rcv(2, 1000)};
    tt_event_t a2[1] = {rcv(3, 1000)};
    tt_event_t b[1] = {ev_make(1, TT_EVENT_RECEIVE, "W02", "BOLT", 5000)};
    tt_event_t c[2] = {ev_make(1, TT_EVENT_RECEIVE, "W03", "BOLT", 1000),
                       ev_make(2, TT_EVENT_ISSUE, "W03", "BOLT", 4000)};
    size_t la = 0, la2 = 0, lb = 0, lc = 0;
    char *pa = tt_test_batch("T01", 0, a, 2, &la);
    char *pa2 = tt_test_batch("T01", 0, a2, 1, &la2);
    char *pb = tt_test_batch("T02", 0, b, 1, &lb);
    char *pc = tt_test_batch("T03", 0, c, 2, &lc);
    msg_t ms[] = {
        {"tt/v1/t/T01/events", pa, la},
        {"tt/v1/t/T02/events", pb, lb},
        {"tt/v1/t/T01/events", pa2, la2},
        {"tt/v1/t/T03/events", pc, lc},
    };
    const uint64_t rej_c[] = {2};
    int seen[3] = {0, 0, 0};

    assert_int_equal(round_of(fx, ms, 4), 3);
    for (size_t i = 0; i < fx->nacks; i++) {
        if (strcmp(fx->acks[i].topic, "tt/v1/t/T01/ack") == 0)
            seen[0]++;
        else if (strcmp(fx->acks[i].topic, "tt/v1/t/T02/ack") == 0)
            seen[1]++;
        else if (strcmp(fx->acks[i].topic, "tt/v1/t/T03/ack") == 0)
            seen[2]++;
        else
            fail_msg("ack on unexpected topic %s", fx->acks[i].topic);
    }
    assert_int_equal(seen[0], 1);
    assert_int_equal(seen[1], 1);
    assert_int_equal(seen[2], 1);
    expect_ack(fx, "T01", 3, NULL, 0);
    expect_ack(fx, "T02", 1, NULL, 0);
    expect_ack(fx, "T03", 2, rej_c, 1);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 3000);
    assert_int_equal(stock_of(fx, "W02", "BOLT"), 5000);
    assert_int_equal(stock_of(fx, "W03", "BOLT"), 1000);
    assert_int_equal(terminal_rows(fx), 3);

    /* A round with a message from T02 only acks T02. */
    assert_int_equal(send_events(fx, "T02", 1, b, 1), 1);
    assert_string_equal(fx->acks[0].topic, "tt/v1/t/T02/ack");
    free(pa);
    free(pa2);
    free(pb);
    free(pc);
}

/* The terminal row's last_event_ts_ms is the terminal clock of the newest
 * applied event (db.h), from the very first round on. */
static void test_last_event_ts_recorded(void **state)
{
    fx_t *fx = *state;
    tt_event_t evs[2] = {rcv(1, 1000), rcv(2, 1000)};
    tt_event_t more[1] = {rcv(3, 1000)};

    assert_int_equal(send_events(fx, "T01", 0, evs, 2), 1);
    if (terminal_row(fx, "T01").last_event_ts_ms != evs[1].ts_ms)
        fail_msg("after the first round last_event_ts_ms = %lld, expected %lld (seq 2's ts)",
                 (long long)terminal_row(fx, "T01").last_event_ts_ms, (long long)evs[1].ts_ms);
    assert_int_equal(send_events(fx, "T01", 2, more, 1), 1);
    assert_int_equal(terminal_row(fx, "T01").last_event_ts_ms, more[0].ts_ms);
}

/* --- the journal --------------------------------------------------------- */

/* The optional document fields of an event are journaled with it. */
static void test_document_fields_journaled(void **state)
{
    fx_t *fx = *state;
    tt_event_t evs[3] = {rcv(1, 5000), iss(2, 1000), iss(3, 9000)};
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    const uint64_t rej[] = {3};

    snprintf(evs[0].body.stock.ref, sizeof evs[0].body.stock.ref, "P2026-0034");
    snprintf(evs[1].body.stock.ref, sizeof evs[1].body.stock.ref, "REQ-77");
    snprintf(evs[1].body.stock.unit, sizeof evs[1].body.stock.unit, "face3");
    evs[1].body.stock.line = 1;
    evs[1].body.stock.lines = 2;
    snprintf(evs[2].body.stock.ref, sizeof evs[2].body.stock.ref, "REQ-77");
    snprintf(evs[2].body.stock.unit, sizeof evs[2].body.stock.unit, "face3");
    evs[2].body.stock.line = 2;
    evs[2].body.stock.lines = 2;

    assert_int_equal(send_events(fx, "T01", 0, evs, 3), 1);
    expect_ack(fx, "T01", 3, rej, 1);
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 4000);

    assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT seq, COALESCE(ref, ''), COALESCE(unit, ''),"
                                        " COALESCE(line, 0), COALESCE(lines, 0), status"
                                        " FROM event WHERE terminal = 'T01' ORDER BY seq",
                                        -1, &st, NULL),
                     SQLITE_OK);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int64(st, 0), i + 1);
        assert_string_equal((const char *)sqlite3_column_text(st, 1), evs[i].body.stock.ref);
        assert_string_equal((const char *)sqlite3_column_text(st, 2), evs[i].body.stock.unit);
        assert_int_equal(sqlite3_column_int(st, 3), evs[i].body.stock.line);
        assert_int_equal(sqlite3_column_int(st, 4), evs[i].body.stock.lines);
        assert_string_equal((const char *)sqlite3_column_text(st, 5),
                            i == 2 ? "rejected" : "applied");
    }
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_journal_is_append_only(void **state)
{
    fx_t *fx = *state;
    tt_event_t evs[3] = {rcv(1, 1000), iss(2, 5000), rcv(3, 2000)};
    sqlite3 *db = NULL;
    char *msg = NULL;
    int rc;

    assert_int_equal(send_events(fx, "T01", 0, evs, 3), 1);
    assert_int_equal(journal_rows(fx, "T01", NULL), 3);

    assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);

    rc = sqlite3_exec(db, "UPDATE event SET qty = 0", NULL, NULL, &msg);
    assert_int_not_equal(rc, SQLITE_OK);
    assert_non_null(msg);
    if (!strstr(msg, "append-only"))
        fail_msg("UPDATE refused for another reason: %s", msg);
    sqlite3_free(msg);
    msg = NULL;

    rc = sqlite3_exec(db, "UPDATE event SET status = 'applied', reason = NULL WHERE seq = 2",
                      NULL, NULL, &msg);
    assert_int_not_equal(rc, SQLITE_OK);
    sqlite3_free(msg);
    msg = NULL;

    rc = sqlite3_exec(db, "DELETE FROM event WHERE seq = 1", NULL, NULL, &msg);
    assert_int_not_equal(rc, SQLITE_OK);
    sqlite3_free(msg);
    msg = NULL;
    sqlite3_close(db);

    assert_int_equal(journal_rows(fx, "T01", "applied"), 2);
    assert_int_equal(journal_rows(fx, "T01", "rejected"), 1);
    {
        /* Every row still has its quantity. */
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT SUM(qty) FROM event", -1, &st, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int64(st, 0), 8000);
        sqlite3_finalize(st);
        sqlite3_close(db);
    }

    /* The ingest carries on. */
    {
        tt_event_t more[1] = {rcv(4, 1000)};
        assert_int_equal(send_events(fx, "T01", 3, more, 1), 1);
        expect_ack(fx, "T01", 4, NULL, 0);
    }
    assert_int_equal(stock_of(fx, "W01", "ROPE"), 4000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_in_order_batch_applies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_batch_applies_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gap_is_held_until_filled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issue_beyond_stock_is_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_event_body_is_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_terminal_mismatch_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_messages_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_topic_terminal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_commits_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_then_fresh_ingest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_repeats_rejections_after_lost_ack, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_one_ack_per_terminal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_event_ts_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_document_fields_journaled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_is_append_only, setup, teardown),
    };
    return cmocka_run_group_tests_name("ingest", tests, NULL, NULL);
}
