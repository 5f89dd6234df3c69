#include "ingest.h"

#include "snapshot.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assetfeed.h"
#include "dbmaster.h"
#include "ledger.h"
#include "repair.h"
#include "revolve.h"
#include "master.h"

typedef struct {
    char id[TT_EVENT_ID_MAX + 1];
    uint64_t applied;
    tt_event_item_t *hold;      /* ascending seq, all > applied + 1 */
    size_t nhold, caphold;
    /* This round only: */
    int touched;
    uint64_t ack_after;         /* lowest watermark the terminal reported */
    int64_t last_seen;
} term_t;

/* A reply waiting for the round's commit: an ack, or a master page. */
typedef struct {
    char topic[TT_EVENT_TOPIC_MAX];
    char *payload;
    size_t len;
    /* Master pages only: the request answered, so that a terminal asking the
     * same thing twice in one round gets one page. */
    int page;
    uint64_t since;
    char cursor[TT_MASTER_CURSOR_MAX + 1];
} ack_t;

struct tt_ingest {
    tt_ingest_conf_t conf;
    tt_db_t *db;
    tt_ledger_t *ledger;     /* on db: applies receive, issue, transfer, return, count */
    tt_revolve_t *revolve;   /* on db and ledger: applies revolve */
    tt_assetfeed_t *assets;  /* on db: answers asset-state requests */
    tt_repair_t *repair;     /* on db and ledger: applies equipment steps */
    tt_log_t *log;
    term_t *terms;
    size_t nterms, capterms;
    ack_t *acks;
    size_t nacks, capacks;
};

tt_err_t tt_ingest_new(const tt_ingest_conf_t *conf, tt_db_t *db, tt_log_t *log,
                       tt_ingest_t **out)
{
    tt_ingest_t *ing = calloc(1, sizeof *ing);
    tt_err_t rc;
    *out = NULL;
    if (!ing)
        return TT_ERR_NOMEM;
    ing->conf = *conf;
    ing->db = db;
    ing->log = log;
    rc = tt_ledger_open(db, &ing->ledger);
    if (rc == TT_OK)
        rc = tt_revolve_open(db, ing->ledger, &ing->revolve);
    if (rc == TT_OK)
        rc = tt_assetfeed_open(db, &ing->assets);
    if (rc == TT_OK)
        rc = tt_repair_open(db, ing->ledger, &ing->repair);
    if (rc != TT_OK) {
        tt_assetfeed_close(ing->assets);
        tt_revolve_close(ing->revolve);
        tt_ledger_close(ing->ledger);
        free(ing);
        return rc;
    }
    *out = ing;
    return TT_OK;
}

static void forget_terms(tt_ingest_t *ing)
{
    for (size_t i = 0; i < ing->nterms; i++)
        free(ing->terms[i].hold);
    ing->nterms = 0;
}

static void free_acks(tt_ingest_t *ing)
{
    for (size_t i = 0; i < ing->nacks; i++)
        free(ing->acks[i].payload);
    free(ing->acks);
    ing->acks = NULL;
    ing->nacks = ing->capacks = 0;
}

/* A new, zeroed reply at the end of the round's queue; NULL when out of
 * memory. */
static ack_t *push_ack(tt_ingest_t *ing)
{
    if (ing->nacks == ing->capacks) {
        size_t cap = ing->capacks ? ing->capacks * 2 : 16;
        ack_t *a = realloc(ing->acks, cap * sizeof *a);
        if (!a)
            return NULL;
        ing->acks = a;
        ing->capacks = cap;
    }
    memset(&ing->acks[ing->nacks], 0, sizeof *ing->acks);
    return &ing->acks[ing->nacks++];
}

void tt_ingest_free(tt_ingest_t *ing)
{
    if (!ing)
        return;
    forget_terms(ing);
    free(ing->terms);
    free_acks(ing);
    tt_repair_close(ing->repair);
    tt_assetfeed_close(ing->assets);
    tt_revolve_close(ing->revolve);
    tt_ledger_close(ing->ledger);
    free(ing);
}

/* The in-memory state of `id`, loaded from the db on first use. */
static tt_err_t term(tt_ingest_t *ing, const char *id, term_t **out)
{
    term_t *t;
    for (size_t i = 0; i < ing->nterms; i++) {
        if (strcmp(ing->terms[i].id, id) == 0) {
            *out = &ing->terms[i];
            return TT_OK;
        }
    }
    if (ing->nterms == ing->capterms) {
        size_t cap = ing->capterms ? ing->capterms * 2 : 16;
        term_t *a = realloc(ing->terms, cap * sizeof *a);
        if (!a)
            return TT_ERR_NOMEM;
        ing->terms = a;
        ing->capterms = cap;
    }
    t = &ing->terms[ing->nterms];
    memset(t, 0, sizeof *t);
    snprintf(t->id, sizeof t->id, "%s", id);
    if (tt_db_terminal_applied(ing->db, id, &t->applied) != TT_OK)
        return TT_ERR_DB;
    ing->nterms++;
    *out = t;
    return TT_OK;
}

tt_err_t tt_ingest_begin(tt_ingest_t *ing)
{
    return tt_db_begin(ing->db);
}

void tt_ingest_abort(tt_ingest_t *ing)
{
    tt_db_rollback(ing->db);
    forget_terms(ing);
    free_acks(ing);
}

static tt_err_t bad_message(tt_ingest_t *ing, const char *terminal, const char *topic,
                            const char *reason, const char *payload, size_t len, int64_t now)
{
    tt_log_warn(ing->log, "rejected message on %s (%zu bytes): %s", topic, len, reason);
    return tt_db_reject_message(ing->db, terminal, topic, now, reason, payload, len);
}

/* The business date of `ev` (docs/decisions.md, Clocks 1): the terminal's
 * time, or the server's receive time when the batch showed the terminal's
 * clock suspect (or the event's time is no date at all). */
static void business_day(const tt_event_t *ev, int by_server_time, int64_t now,
                         char day[TT_LEDGER_DAY_LEN + 1])
{
    if (by_server_time || tt_ledger_day(ev->ts_ms, day) != TT_OK) {
        if (tt_ledger_day(now, day) != TT_OK)
            snprintf(day, TT_LEDGER_DAY_LEN + 1, "1970-01-01");
    }
}

/* Applies a valid event: the ledger's types through the ledger, revolving
 * materials through revolve, equipment steps through repair (a refusal is
 * journaled as rejected, with its reason, and is not an error of the
 * round). */
static tt_err_t apply(tt_ingest_t *ing, term_t *t, const tt_event_t *ev, int64_t now,
                      int by_server_time)
{
    char reason[TT_EVENT_REASON_MAX] = "", day[TT_LEDGER_DAY_LEN + 1];
    tt_qty_t book = -1;
    tt_err_t rc;

    switch (ev->type) {
    case TT_EVENT_RECEIVE:
    case TT_EVENT_ISSUE:
    case TT_EVENT_TRANSFER:
    case TT_EVENT_RETURN:
    case TT_EVENT_COUNT:
    case TT_EVENT_REVOLVE:
    case TT_EVENT_EQUIPMENT:
        break;
    default:
        return tt_db_journal_applied(ing->db, t->id, ev, now, -1);
    }
    business_day(ev, by_server_time, now, day);
    if (ev->type == TT_EVENT_COUNT) {
        rc = tt_ledger_on_hand(ing->ledger, ev->body.stock.warehouse, ev->body.stock.item, &book);
        if (rc != TT_OK)
            return rc;
    }
    if (ev->type == TT_EVENT_EQUIPMENT)
        rc = tt_repair_apply_event(ing->repair, t->id, ev, day, now, reason, sizeof reason);
    else if (ev->type == TT_EVENT_REVOLVE)
        rc = tt_revolve_apply_event(ing->revolve, t->id, ev, day, now, reason, sizeof reason);
    else
        rc = tt_ledger_apply_event(ing->ledger, t->id, ev, day, now, reason, sizeof reason);
    switch (rc) {
    case TT_OK:
        return tt_db_journal_applied(ing->db, t->id, ev, now, book);
    case TT_ERR_INVAL:
    case TT_ERR_STOCK:
    case TT_ERR_CLOSED:
    case TT_ERR_RANGE:
    case TT_ERR_EXISTS:
    case TT_ERR_NOTFOUND:
    case TT_ERR_CONFLICT:
        if (!reason[0])
            snprintf(reason, sizeof reason, "%s", tt_strerror(rc));
        tt_log_warn(ing->log, "%s event %llu rejected: %s", t->id, (unsigned long long)ev->seq,
                    reason);
        return tt_db_journal_rejected(ing->db, t->id, ev, now, reason);
    default:
        return rc;   /* the store failed: the round rolls back */
    }
}

/* Applies or journals as rejected the next event in t's order. */
static tt_err_t process(tt_ingest_t *ing, term_t *t, const tt_event_item_t *it, int64_t now,
                        int by_server_time)
{
    tt_err_t rc;

    if (it->err != TT_OK) {
        tt_log_warn(ing->log, "%s event %llu rejected: %s", t->id,
                    (unsigned long long)it->ev.seq, it->reason);
        rc = tt_db_reject_event(ing->db, t->id, it->ev.seq, -1, now, it->reason);
    } else {
        rc = apply(ing, t, &it->ev, now, by_server_time);
    }
    if (rc == TT_OK)
        t->applied = it->ev.seq;
    return rc;
}

static void hold(tt_ingest_t *ing, term_t *t, const tt_event_item_t *it)
{
    size_t lo = 0, hi = t->nhold;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->hold[mid].ev.seq < it->ev.seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < t->nhold && t->hold[lo].ev.seq == it->ev.seq)
        return;   /* already held */
    if (t->nhold == ing->conf.hold_max)
        return;   /* not acknowledged, so the terminal sends it again */
    if (t->nhold == t->caphold) {
        size_t cap = t->caphold ? t->caphold * 2 : 64;
        tt_event_item_t *a;
        if (cap > ing->conf.hold_max)
            cap = ing->conf.hold_max;
        a = realloc(t->hold, cap * sizeof *a);
        if (!a)
            return;
        t->hold = a;
        t->caphold = cap;
    }
    memmove(t->hold + lo + 1, t->hold + lo, (t->nhold - lo) * sizeof *t->hold);
    t->hold[lo] = *it;
    t->nhold++;
}

/* Applies held events that the watermark has reached (dated by the clock
 * rule of the batch that released them). */
static tt_err_t drain_hold(tt_ingest_t *ing, term_t *t, int64_t now, int by_server_time)
{
    size_t k = 0;
    tt_err_t rc = TT_OK;
    while (k < t->nhold && t->hold[k].ev.seq <= t->applied + 1) {
        if (t->hold[k].ev.seq == t->applied + 1 &&
            (rc = process(ing, t, &t->hold[k], now, by_server_time)) != TT_OK)
            break;
        k++;
    }
    memmove(t->hold, t->hold + k, (t->nhold - k) * sizeof *t->hold);
    t->nhold -= k;
    return rc;
}

static tt_err_t events(tt_ingest_t *ing, const char *terminal, const char *topic,
                       const char *payload, size_t len, int64_t now)
{
    tt_event_batch_t *b;
    char reason[TT_EVENT_REASON_MAX];
    term_t *t;
    int by_server_time = 0;
    tt_err_t rc;

    if (len > ing->conf.max_payload) {
        snprintf(reason, sizeof reason, "payload of %zu bytes exceeds the limit of %zu", len,
                 ing->conf.max_payload);
        return bad_message(ing, terminal, topic, reason, payload, len, now);
    }
    rc = tt_event_batch_decode(payload, len, terminal, &b, reason, sizeof reason);
    if (rc == TT_ERR_NOMEM)
        return rc;
    if (rc != TT_OK)
        return bad_message(ing, terminal, topic, reason, payload, len, now);
    rc = term(ing, terminal, &t);
    if (rc != TT_OK) {
        tt_event_batch_free(b);
        return rc;
    }
    if (!t->touched) {
        t->touched = 1;
        t->ack_after = b->synced;
    } else if (b->synced < t->ack_after) {
        t->ack_after = b->synced;
    }
    t->last_seen = now;
    /* Business dates (docs/decisions.md, Clocks 1): the terminal's clock is
     * judged on the batch's newest valid event, which a reconnecting
     * terminal sends last and so soonest after its scan; a suspect clock
     * dates the whole batch by the server's receive time. */
    for (size_t i = b->count; i-- > 0;) {
        const tt_event_item_t *it = &b->items[i];
        if (it->err == TT_OK) {
            int64_t off = it->ev.ts_ms - now;
            by_server_time = off > TT_DB_CLOCK_SUSPECT_MS || off < -TT_DB_CLOCK_SUSPECT_MS;
            break;
        }
    }
    for (size_t i = 0; i < b->count && rc == TT_OK; i++) {
        const tt_event_item_t *it = &b->items[i];
        if (it->ev.seq <= t->applied)
            continue;   /* duplicate: already applied or rejected */
        if (it->ev.seq == t->applied + 1) {
            rc = process(ing, t, it, now, by_server_time);
            if (rc == TT_OK && t->nhold)
                rc = drain_hold(ing, t, now, by_server_time);
        } else {
            hold(ing, t, it);
        }
    }
    tt_event_batch_free(b);
    return rc;
}

static tt_err_t presence(tt_ingest_t *ing, const char *terminal, const char *topic,
                         const char *payload, size_t len, int64_t now)
{
    cJSON *root = len <= 1024 ? cJSON_ParseWithLength(payload, len) : NULL;
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(root, "state");
    const cJSON *fw = cJSON_GetObjectItemCaseSensitive(root, "firmware");
    const cJSON *board = cJSON_GetObjectItemCaseSensitive(root, "board");
    tt_err_t rc;

    if (!cJSON_IsString(state) ||
        (strcmp(state->valuestring, "online") != 0 && strcmp(state->valuestring, "offline") != 0) ||
        (fw && (!cJSON_IsString(fw) || strlen(fw->valuestring) > 32)) ||
        (board && (!cJSON_IsString(board) || strlen(board->valuestring) > 32))) {
        cJSON_Delete(root);
        return bad_message(ing, terminal, topic, "status: needs state online|offline", payload,
                           len, now);
    }
    rc = tt_db_terminal_presence(ing->db, terminal, strcmp(state->valuestring, "online") == 0,
                                 fw ? fw->valuestring : NULL, board ? board->valuestring : NULL,
                                 now);
    cJSON_Delete(root);
    return rc;
}

/* Answers a master-data request with one page, queued until the round
 * commits (the page is read inside the round's transaction, so it is one
 * consistent state).  The page is made smaller until it fits max_payload. */
static tt_err_t master_req(tt_ingest_t *ing, const char *terminal, const char *topic,
                           const char *payload, size_t len, int64_t now)
{
    char reason[TT_EVENT_REASON_MAX], cursor[TT_MASTER_CURSOR_MAX + 1];
    char reply_topic[TT_EVENT_TOPIC_MAX];
    size_t rows = TT_MASTER_PAGE_ROWS, outlen = 0;
    tt_master_page_t *page = NULL;
    uint64_t since = 0;
    char *text = NULL;
    ack_t *a;
    tt_err_t rc;

    if (len > ing->conf.max_payload) {
        snprintf(reason, sizeof reason, "payload of %zu bytes exceeds the limit of %zu", len,
                 ing->conf.max_payload);
        return bad_message(ing, terminal, topic, reason, payload, len, now);
    }
    rc = tt_master_req_decode(payload, len, &since, cursor, reason, sizeof reason);
    if (rc == TT_ERR_NOMEM)
        return rc;
    if (rc != TT_OK)
        return bad_message(ing, terminal, topic, reason, payload, len, now);
    if (tt_event_topic(reply_topic, sizeof reply_topic, terminal, TT_MASTER_LEAF_PAGE) != TT_OK)
        return TT_ERR_INVAL;   /* cannot happen: the id came from a parsed topic */
    for (size_t i = 0; i < ing->nacks; i++) {
        const ack_t *q = &ing->acks[i];
        if (q->page && q->since == since && strcmp(q->cursor, cursor) == 0 &&
            strcmp(q->topic, reply_topic) == 0)
            return TT_OK;
    }
    for (;;) {
        rc = tt_dbmaster_page(ing->db, since, cursor, rows, &page, reason, sizeof reason);
        if (rc == TT_ERR_INVAL)
            return bad_message(ing, terminal, topic, reason, payload, len, now);
        if (rc != TT_OK)
            return rc;
        rc = tt_master_page_encode(page, &text, &outlen);
        tt_master_page_free(page);
        if (rc != TT_OK) {
            /* Only rows the import validated are stored: a row that does not
             * encode means the store was edited by hand. */
            tt_log_error(ing->log, "master page for %s not encoded: %s", terminal,
                         tt_strerror(rc));
            return rc == TT_ERR_NOMEM ? rc : TT_OK;
        }
        if (outlen <= ing->conf.max_payload)
            break;
        free(text);
        text = NULL;
        if (rows == 1) {
            tt_log_error(ing->log, "master page for %s: one row takes %zu bytes, more than"
                         " ingest.max_payload (%zu): not answered", terminal, outlen,
                         ing->conf.max_payload);
            return TT_OK;
        }
        /* Shrink in proportion, with a margin for uneven rows. */
        {
            uint64_t next = (uint64_t)rows * ing->conf.max_payload / outlen * 9 / 10;
            rows = next >= rows ? rows - 1 : next < 1 ? 1 : (size_t)next;
        }
    }
    a = push_ack(ing);
    if (!a) {
        free(text);
        return TT_ERR_NOMEM;
    }
    snprintf(a->topic, sizeof a->topic, "%s", reply_topic);
    a->payload = text;
    a->len = outlen;
    a->page = 1;
    a->since = since;
    snprintf(a->cursor, sizeof a->cursor, "%s", cursor);
    tt_log_debug(ing->log, "master page for %s since %llu cursor '%s': %zu bytes", terminal,
                 (unsigned long long)since, cursor, outlen);
    return TT_OK;
}

static int snapshot_row(void *ctx, const char *warehouse, const char *item, tt_qty_t qty)
{
    tt_snapshot_t *s = ctx;
    (void)warehouse;
    if (s->count == TT_SNAPSHOT_ITEMS_MAX)
        return 1;
    memcpy(s->rows[s->count].item, item, strlen(item) + 1);
    s->rows[s->count++].qty = qty;
    return 0;
}

/* Answers a stock request with the warehouse's stock and how far the asking
 * terminal's own events are in it: both read in this round's transaction,
 * with the in-memory watermark that matches them. */
static tt_err_t stock_req(tt_ingest_t *ing, const char *terminal, const char *topic,
                          const char *payload, size_t len, int64_t now)
{
    char reason[TT_EVENT_REASON_MAX];
    tt_snapshot_t snap;
    term_t *t;
    ack_t *a;
    char *text = NULL;
    size_t outlen;
    tt_err_t rc;

    memset(&snap, 0, sizeof snap);
    if (len > 1024)
        return bad_message(ing, terminal, topic, "stock request too long", payload, len, now);
    rc = tt_snapshot_req_decode(payload, len, snap.warehouse, reason, sizeof reason);
    if (rc != TT_OK)
        return bad_message(ing, terminal, topic, reason, payload, len, now);
    rc = term(ing, terminal, &t);
    if (rc != TT_OK)
        return rc;
    snap.applied = t->applied;
    snap.rows = malloc(TT_SNAPSHOT_ITEMS_MAX * sizeof *snap.rows);
    if (!snap.rows)
        return TT_ERR_NOMEM;
    rc = tt_db_stock_each(ing->db, snap.warehouse, NULL, snapshot_row, &snap);
    if (rc == TT_OK)
        rc = tt_snapshot_encode(&snap, &text, &outlen);
    free(snap.rows);
    if (rc != TT_OK)
        return rc;
    if (outlen > ing->conf.max_payload) {
        tt_log_error(ing->log, "stock of %s is %zu bytes, over ingest.max_payload: not sent",
                     snap.warehouse, outlen);
        free(text);
        return TT_OK;
    }
    a = push_ack(ing);
    if (!a) {
        free(text);
        return TT_ERR_NOMEM;
    }
    tt_event_topic(a->topic, sizeof a->topic, terminal, TT_SNAPSHOT_LEAF);
    a->payload = text;
    a->len = outlen;
    return TT_OK;
}

/* Answers an asset-state request (docs/protocol.md, "Asset states") with
 * one page read in this round's transaction, with the asking terminal's
 * watermark that matches it, queued until the commit like a snapshot. */
static tt_err_t assets_req(tt_ingest_t *ing, const char *terminal, const char *topic,
                           const char *payload, size_t len, int64_t now)
{
    char reason[TT_EVENT_REASON_MAX], *text = NULL;
    size_t outlen = 0;
    term_t *t;
    ack_t *a;
    tt_err_t rc;

    if (len > 1024)
        return bad_message(ing, terminal, topic, "asset-state request too long", payload, len,
                           now);
    rc = term(ing, terminal, &t);
    if (rc == TT_OK)
        rc = tt_assetfeed_answer(ing->assets, payload, len, t->applied, &text, &outlen, reason,
                                 sizeof reason);
    if (rc == TT_ERR_PARSE || rc == TT_ERR_PROTO || rc == TT_ERR_VERSION)
        return bad_message(ing, terminal, topic, reason, payload, len, now);
    if (rc == TT_OK && outlen > ing->conf.max_payload) {
        tt_log_error(ing->log, "asset states for %s take %zu bytes, over ingest.max_payload:"
                     " not sent", terminal, outlen);
        free(text);
        return TT_OK;
    }
    if (rc != TT_OK || !(a = push_ack(ing))) {
        free(text);
        return rc != TT_OK ? rc : TT_ERR_NOMEM;
    }
    tt_event_topic(a->topic, sizeof a->topic, terminal, TT_ASSETS_LEAF);
    a->payload = text;
    a->len = outlen;
    return TT_OK;
}

tt_err_t tt_ingest_message(tt_ingest_t *ing, const char *topic, const char *payload, size_t len,
                           int64_t now_ms)
{
    char terminal[TT_EVENT_ID_MAX + 1];
    const char *leaf;

    if (tt_event_topic_parse(topic, terminal, &leaf) != TT_OK)
        return bad_message(ing, "", topic, "topic does not name a valid terminal", payload, len,
                           now_ms);
    if (strcmp(leaf, TT_EVENT_LEAF_EVENTS) == 0)
        return events(ing, terminal, topic, payload, len, now_ms);
    if (strcmp(leaf, TT_MASTER_LEAF_REQ) == 0)
        return master_req(ing, terminal, topic, payload, len, now_ms);
    if (strcmp(leaf, TT_SNAPSHOT_LEAF_REQ) == 0)
        return stock_req(ing, terminal, topic, payload, len, now_ms);
    if (strcmp(leaf, TT_ASSETS_LEAF_REQ) == 0)
        return assets_req(ing, terminal, topic, payload, len, now_ms);
    if (strcmp(leaf, TT_EVENT_LEAF_STATUS) == 0) {
        /* An empty retained message is how a status is cleared: not an error. */
        return len == 0 ? TT_OK : presence(ing, terminal, topic, payload, len, now_ms);
    }
    return bad_message(ing, terminal, topic, "unexpected topic", payload, len, now_ms);
}

static tt_err_t make_ack(tt_ingest_t *ing, term_t *t, ack_t *a)
{
    tt_event_ack_t ack;
    tt_err_t rc;

    memset(&ack, 0, sizeof ack);
    snprintf(ack.terminal, sizeof ack.terminal, "%s", t->id);
    ack.applied = t->applied;
    if (t->ack_after > t->applied)
        tt_log_warn(ing->log, "%s reports %llu synced but only %llu are applied here", t->id,
                    (unsigned long long)t->ack_after, (unsigned long long)t->applied);
    rc = tt_db_rejections(ing->db, t->id, t->ack_after, t->applied, &ack.rejected, &ack.nrejected);
    if (rc != TT_OK)
        return rc;
    rc = tt_event_ack_encode(&ack, &a->payload, &a->len);
    free(ack.rejected);
    if (rc != TT_OK)
        return rc;
    tt_event_topic(a->topic, sizeof a->topic, t->id, TT_EVENT_LEAF_ACK);
    return TT_OK;
}

tt_err_t tt_ingest_commit(tt_ingest_t *ing, tt_ingest_ack_fn fn, void *ctx)
{
    tt_err_t rc = TT_OK;

    for (size_t i = 0; i < ing->nterms && rc == TT_OK; i++) {
        term_t *t = &ing->terms[i];
        ack_t *a;
        if (!t->touched)
            continue;
        rc = tt_db_terminal_progress(ing->db, t->id, t->applied, t->nhold, t->last_seen);
        if (rc == TT_OK)
            rc = (a = push_ack(ing)) ? make_ack(ing, t, a) : TT_ERR_NOMEM;
    }
    if (rc == TT_OK)
        rc = tt_db_commit(ing->db);
    if (rc != TT_OK) {
        tt_log_error(ing->log, "ingest round not committed: %s", tt_strerror(rc));
        tt_ingest_abort(ing);
        return rc;
    }
    for (size_t i = 0; i < ing->nterms; i++)
        ing->terms[i].touched = 0;
    for (size_t i = 0; i < ing->nacks; i++)
        fn(ctx, ing->acks[i].topic, ing->acks[i].payload, ing->acks[i].len);
    free_acks(ing);
    return TT_OK;
}
