#include "sync.h"

#include <cjson/cJSON.h>

#include "assets.h"
#include "assetview.h"
#include "clock.h"
#include "master.h"
#include "snapshot.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_MAX 32
#define RETRY_BUSY_MS 5
#define MASTER_TIMEOUT_MS 10000
#define MASTER_POLL_MS 300000   /* new master data is looked for this often */
#define SNAPSHOT_MIN_MS 10000   /* stock snapshots are asked for at most this often */
/* Equipment states are looked for this often, and after acks at most every
 * SNAPSHOT_MIN_MS: an empty answer is a few dozen bytes. */
#define ASSETS_POLL_MS 60000

struct tt_sync {
    tt_outbox_t *ob;
    tt_uplink_t *up;
    tt_log_t *log;
    char terminal[TT_EVENT_ID_MAX + 1];
    char topic_events[TT_EVENT_TOPIC_MAX], topic_ack[TT_EVENT_TOPIC_MAX];
    char topic_master_req[TT_EVENT_TOPIC_MAX], topic_master[TT_EVENT_TOPIC_MAX];

    /* Master data: one request at a time, page by page. */
    int master_pending;
    uint64_t master_since;
    char master_cursor[TT_MASTER_CURSOR_MAX + 1];
    int64_t master_sent_at, master_next;

    /* Stock snapshot of the counter's warehouse. */
    char snap_wh[TT_EVENT_ID_MAX + 1];
    char topic_snap_req[TT_EVENT_TOPIC_MAX], topic_snap[TT_EVENT_TOPIC_MAX];
    int snap_due;            /* something changed since the last request */
    int64_t snap_sent_at;

    /* Equipment states (NULL view: not kept), one request at a time. */
    tt_assetview_t *assets;
    char topic_assets_req[TT_EVENT_TOPIC_MAX], topic_assets[TT_EVENT_TOPIC_MAX];
    int assets_pending, assets_due;
    int64_t assets_sent_at, assets_next;
    size_t batch_max;
    int window;
    int64_t resend_ms;

    uint64_t sent;                 /* in-order cursor: highest seq handed to Paho */
    uint64_t inflight[WINDOW_MAX]; /* last seq of each batch awaiting its ack, ascending */
    int ninflight;
    int64_t progress_at;           /* last ack progress, restart or first send */
    int64_t retry_at;              /* Paho was busy: try again then (-1: no) */
    int server_online;

    char *buf;
    size_t cap;
};

tt_err_t tt_sync_new(const tt_sync_conf_t *conf, tt_outbox_t *ob, tt_uplink_t *up, tt_log_t *log,
                     tt_sync_t **out)
{
    tt_sync_t *s;

    *out = NULL;
    if (!tt_event_id_valid(conf->terminal) || conf->window < 1 || conf->window > WINDOW_MAX ||
        conf->batch_max < 1 || conf->batch_max > TT_EVENT_BATCH_MAX)
        return TT_ERR_INVAL;
    s = calloc(1, sizeof *s);
    if (!s)
        return TT_ERR_NOMEM;
    s->cap = conf->batch_max * TT_EVENT_ENCODED_MAX + 256;
    s->buf = malloc(s->cap);
    if (!s->buf) {
        free(s);
        return TT_ERR_NOMEM;
    }
    s->ob = ob;
    s->up = up;
    s->log = log;
    snprintf(s->terminal, sizeof s->terminal, "%s", conf->terminal);
    tt_event_topic(s->topic_events, sizeof s->topic_events, conf->terminal, TT_EVENT_LEAF_EVENTS);
    tt_event_topic(s->topic_ack, sizeof s->topic_ack, conf->terminal, TT_EVENT_LEAF_ACK);
    tt_event_topic(s->topic_master_req, sizeof s->topic_master_req, conf->terminal,
                   TT_MASTER_LEAF_REQ);
    tt_event_topic(s->topic_master, sizeof s->topic_master, conf->terminal, TT_MASTER_LEAF_PAGE);
    tt_event_topic(s->topic_snap_req, sizeof s->topic_snap_req, conf->terminal,
                   TT_SNAPSHOT_LEAF_REQ);
    tt_event_topic(s->topic_snap, sizeof s->topic_snap, conf->terminal, TT_SNAPSHOT_LEAF);
    s->snap_sent_at = -SNAPSHOT_MIN_MS;
    tt_event_topic(s->topic_assets_req, sizeof s->topic_assets_req, conf->terminal,
                   TT_ASSETS_LEAF_REQ);
    tt_event_topic(s->topic_assets, sizeof s->topic_assets, conf->terminal, TT_ASSETS_LEAF);
    s->batch_max = conf->batch_max;
    s->window = conf->window;
    s->resend_ms = conf->resend_ms;
    s->retry_at = -1;
    *out = s;
    return TT_OK;
}

void tt_sync_free(tt_sync_t *s)
{
    if (!s)
        return;
    free(s->buf);
    free(s);
}

int tt_sync_server_online(const tt_sync_t *s)
{
    return s->server_online;
}

void tt_sync_restart(tt_sync_t *s, int64_t now_ms)
{
    tt_outbox_stats_t st;
    tt_outbox_stats(s->ob, &st);
    s->sent = st.synced;
    s->ninflight = 0;
    s->progress_at = now_ms;
    s->retry_at = -1;
    s->master_pending = 0;
    s->master_next = now_ms;
    s->snap_due = 1;
    s->snap_sent_at = now_ms - SNAPSHOT_MIN_MS;
    s->assets_pending = 0;
    s->assets_next = now_ms;
}

void tt_sync_set_assets(tt_sync_t *s, tt_assetview_t *av)
{
    s->assets = av;
    s->assets_pending = 0;
    s->assets_next = 0;
}

void tt_sync_watch_warehouse(tt_sync_t *s, const char *warehouse)
{
    if (strcmp(s->snap_wh, warehouse) == 0)
        return;
    snprintf(s->snap_wh, sizeof s->snap_wh, "%s", warehouse);
    s->snap_due = 1;
    s->snap_sent_at = -SNAPSHOT_MIN_MS;   /* a new warehouse is asked for at once */
}

static void on_snapshot(tt_sync_t *s, const char *payload, size_t len, int64_t now_ms)
{
    tt_snapshot_t *snap;
    char reason[160];
    tt_err_t rc = tt_snapshot_decode(payload, len, &snap, reason, sizeof reason);
    if (rc != TT_OK) {
        tt_log_warn(s->log, "ignoring malformed stock snapshot: %s", reason);
        return;
    }
    (void)now_ms;
    rc = tt_outbox_snapshot_apply(s->ob, snap, tt_clock_wall_ms());
    if (rc != TT_OK)
        tt_log_error(s->log, "cannot store the stock snapshot of %s: %s", snap->warehouse,
                     tt_strerror(rc));
    tt_snapshot_free(snap);
}

static void assets_request(tt_sync_t *s, uint64_t since, int64_t now_ms)
{
    char buf[64];
    size_t len;
    s->assets_due = 0;
    if (tt_assets_req_encode(since, buf, sizeof buf, &len) != TT_OK ||
        tt_uplink_publish(s->up, s->topic_assets_req, buf, len, 0) != TT_OK) {
        s->assets_pending = 0;
        s->assets_next = now_ms + 1000;
        return;
    }
    s->assets_pending = 1;
    s->assets_sent_at = now_ms;
}

/* A page of equipment states: stored, then the next page asked for until
 * the last. */
static void on_assets(tt_sync_t *s, const char *payload, size_t len, int64_t now_ms)
{
    tt_assets_page_t *page;
    char reason[160];
    tt_err_t rc = tt_assets_page_decode(payload, len, &page, reason, sizeof reason);

    if (rc != TT_OK) {
        tt_log_warn(s->log, "ignoring malformed equipment states: %s", reason);
        return;
    }
    if (!s->assets || !s->assets_pending) {
        tt_assets_page_free(page);
        return;
    }
    rc = tt_assetview_apply(s->assets, page);
    if (rc != TT_OK) {
        tt_log_error(s->log, "cannot store equipment states: %s", tt_strerror(rc));
        s->assets_pending = 0;
        s->assets_next = now_ms + 5000;
    } else if (!page->last) {
        assets_request(s, page->to, now_ms);
    } else {
        s->assets_pending = 0;
        s->assets_next = now_ms + ASSETS_POLL_MS;
    }
    tt_assets_page_free(page);
}

static void master_request(tt_sync_t *s, uint64_t since, const char *cursor, int64_t now_ms)
{
    char buf[256];
    size_t len;
    if (tt_master_req_encode(since, cursor, buf, sizeof buf, &len) != TT_OK ||
        tt_uplink_publish(s->up, s->topic_master_req, buf, len, 0) != TT_OK) {
        s->master_pending = 0;
        s->master_next = now_ms + 1000;
        return;
    }
    s->master_pending = 1;
    s->master_since = since;
    snprintf(s->master_cursor, sizeof s->master_cursor, "%s", cursor);
    s->master_sent_at = now_ms;
}

static void on_master(tt_sync_t *s, const char *payload, size_t len, int64_t now_ms)
{
    tt_master_page_t *page;
    char reason[160];
    tt_err_t rc = tt_master_page_decode(payload, len, &page, reason, sizeof reason);

    if (rc != TT_OK) {
        tt_log_warn(s->log, "ignoring malformed master data page: %s", reason);
        return;
    }
    /* Only the answer to the request in flight counts; a late answer to an
     * older one would mix two sets of pages. */
    if (!s->master_pending || page->since != s->master_since) {
        tt_master_page_free(page);
        return;
    }
    rc = tt_outbox_master_apply(s->ob, page);
    if (rc != TT_OK) {
        tt_log_error(s->log, "cannot store master data: %s", tt_strerror(rc));
        s->master_pending = 0;
        s->master_next = now_ms + 5000;
    } else if (!page->last) {
        master_request(s, page->since, page->cursor, now_ms);
    } else {
        if (page->to > page->since)
            tt_log_info(s->log, "master data now at version %llu", (unsigned long long)page->to);
        s->master_pending = 0;
        s->master_next = now_ms + MASTER_POLL_MS;
    }
    tt_master_page_free(page);
}

static void on_ack(tt_sync_t *s, const char *payload, size_t len, int64_t now_ms)
{
    tt_event_ack_t *ack;
    tt_outbox_stats_t before, after;
    char reason[TT_EVENT_REASON_MAX];
    tt_err_t rc = tt_event_ack_decode(payload, len, s->terminal, &ack, reason, sizeof reason);
    int k = 0;

    if (rc != TT_OK) {
        tt_log_warn(s->log, "ignoring malformed ack: %s", reason);
        return;
    }
    tt_outbox_stats(s->ob, &before);
    rc = tt_outbox_ack(s->ob, ack->applied, ack->rejected, ack->nrejected);
    if (rc == TT_ERR_PROTO)
        tt_log_error(s->log, "ack refused: the server has applied up to seq %llu, beyond this "
                     "store's last (replaced store? the terminal needs re-provisioning)",
                     (unsigned long long)ack->applied);
    else if (rc != TT_OK)
        tt_log_error(s->log, "cannot record ack: %s", tt_strerror(rc));
    for (size_t i = 0; i < ack->nrejected; i++)
        if (ack->rejected[i].seq > before.synced)   /* not told before */
            tt_log_warn(s->log, "server rejected event %llu: %s",
                        (unsigned long long)ack->rejected[i].seq, ack->rejected[i].reason);
    tt_outbox_stats(s->ob, &after);
    tt_event_ack_free(ack);
    if (after.synced <= before.synced)
        return;
    while (k < s->ninflight && s->inflight[k] <= after.synced)
        k++;
    memmove(s->inflight, s->inflight + k, (size_t)(s->ninflight - k) * sizeof s->inflight[0]);
    s->ninflight -= k;
    if (s->sent < after.synced)
        s->sent = after.synced;
    s->progress_at = now_ms;
    s->snap_due = 1;   /* the server's stock changed with what it applied */
    s->assets_due = 1; /* and equipment states, when it applied steps */
}

static void on_server_status(tt_sync_t *s, const char *payload, size_t len, int64_t now_ms)
{
    cJSON *root = cJSON_ParseWithLength(payload, len);
    const cJSON *state = root ? cJSON_GetObjectItemCaseSensitive(root, "state") : NULL;
    int online = cJSON_IsString(state) && strcmp(state->valuestring, "online") == 0;

    cJSON_Delete(root);
    if (online && !s->server_online) {
        /* Whatever was in flight while the server was away is lost to it. */
        tt_log_info(s->log, "server online: sending from the synced watermark");
        tt_sync_restart(s, now_ms);
    }
    s->server_online = online;
}

void tt_sync_message(tt_sync_t *s, const char *topic, const char *payload, size_t len,
                     int64_t now_ms)
{
    if (strcmp(topic, s->topic_ack) == 0)
        on_ack(s, payload, len, now_ms);
    else if (strcmp(topic, s->topic_master) == 0)
        on_master(s, payload, len, now_ms);
    else if (strcmp(topic, s->topic_snap) == 0)
        on_snapshot(s, payload, len, now_ms);
    else if (strcmp(topic, s->topic_assets) == 0)
        on_assets(s, payload, len, now_ms);
    else if (strcmp(topic, TT_EVENT_TOPIC_SERVER_STATUS) == 0)
        on_server_status(s, payload, len, now_ms);
}

/* Returns TT_OK, TT_ERR_NOTFOUND (nothing after `after`), or a failure. */
static tt_err_t send_batch(tt_sync_t *s, uint64_t after, size_t max, uint64_t *last)
{
    size_t len;
    uint64_t first;
    tt_err_t rc = tt_outbox_batch(s->ob, s->terminal, after, max, s->buf, s->cap, &len, &first,
                                  last);
    if (rc != TT_OK)
        return rc;
    return tt_uplink_publish(s->up, s->topic_events, s->buf, len, 0);
}

void tt_sync_recorded(tt_sync_t *s, uint64_t seq, int64_t now_ms)
{
    uint64_t last;
    (void)now_ms;
    if (!tt_uplink_connected(s->up))
        return;
    if (seq > s->sent + 1 || s->ninflight >= s->window) {
        /* Best effort: if Paho is busy it goes in order later. */
        if (send_batch(s, seq - 1, 1, &last) == TT_OK)
            tt_log_debug(s->log, "express send of %llu ahead of the backlog",
                         (unsigned long long)seq);
    }
}

void tt_sync_pump(tt_sync_t *s, int64_t now_ms)
{
    if (!tt_uplink_connected(s->up))
        return;
    if (s->master_pending && now_ms - s->master_sent_at >= MASTER_TIMEOUT_MS) {
        tt_log_warn(s->log, "no master data page within %d ms: asking again", MASTER_TIMEOUT_MS);
        s->master_pending = 0;
        s->master_next = now_ms;
    }
    if (s->snap_wh[0] && s->snap_due && now_ms - s->snap_sent_at >= SNAPSHOT_MIN_MS) {
        char buf[96];
        size_t len;
        if (tt_snapshot_req_encode(s->snap_wh, buf, sizeof buf, &len) == TT_OK &&
            tt_uplink_publish(s->up, s->topic_snap_req, buf, len, 0) == TT_OK) {
            s->snap_due = 0;
            s->snap_sent_at = now_ms;
        }
    }
    if (!s->master_pending && now_ms >= s->master_next) {
        tt_outbox_stats_t st;
        tt_outbox_stats(s->ob, &st);
        master_request(s, st.master_version, "", now_ms);
    }
    if (s->assets && s->assets_pending && now_ms - s->assets_sent_at >= MASTER_TIMEOUT_MS) {
        s->assets_pending = 0;   /* lost: ask again below */
        s->assets_next = now_ms;
    }
    if (s->assets && !s->assets_pending &&
        (now_ms >= s->assets_next ||
         (s->assets_due && now_ms - s->assets_sent_at >= SNAPSHOT_MIN_MS)))
        assets_request(s, tt_assetview_version(s->assets), now_ms);
    if (s->ninflight > 0 && now_ms - s->progress_at >= s->resend_ms) {
        tt_outbox_stats_t st;
        tt_outbox_stats(s->ob, &st);
        tt_log_warn(s->log, "no ack progress for %lld ms: resending from %llu",
                    (long long)(now_ms - s->progress_at), (unsigned long long)st.synced + 1);
        tt_sync_restart(s, now_ms);
    }
    s->retry_at = -1;
    while (s->ninflight < s->window) {
        uint64_t last;
        tt_err_t rc = send_batch(s, s->sent, s->batch_max, &last);
        if (rc == TT_ERR_NOTFOUND || rc == TT_ERR_CONN)
            return;
        if (rc == TT_ERR_BUSY) {
            s->retry_at = now_ms + RETRY_BUSY_MS;
            return;
        }
        if (rc != TT_OK) {
            tt_log_error(s->log, "cannot send batch after %llu: %s",
                         (unsigned long long)s->sent, tt_strerror(rc));
            s->retry_at = now_ms + 1000;
            return;
        }
        if (s->ninflight == 0)
            s->progress_at = now_ms;
        s->inflight[s->ninflight++] = last;
        s->sent = last;
    }
}

int64_t tt_sync_deadline(const tt_sync_t *s)
{
    int64_t d;

    /* Offline there is nothing to time: reconnecting is the uplink's
     * deadline, and a past one here would spin the loop. */
    if (!tt_uplink_connected(s->up))
        return -1;
    d = s->master_pending ? s->master_sent_at + MASTER_TIMEOUT_MS : s->master_next;
    if (s->snap_wh[0] && s->snap_due && s->snap_sent_at + SNAPSHOT_MIN_MS < d)
        d = s->snap_sent_at + SNAPSHOT_MIN_MS;
    if (s->assets) {
        int64_t a = s->assets_pending ? s->assets_sent_at + MASTER_TIMEOUT_MS
                    : s->assets_due && s->assets_sent_at + SNAPSHOT_MIN_MS < s->assets_next
                        ? s->assets_sent_at + SNAPSHOT_MIN_MS
                        : s->assets_next;
        if (a < d)
            d = a;
    }
    if (s->ninflight > 0 && s->progress_at + s->resend_ms < d)
        d = s->progress_at + s->resend_ms;
    if (s->retry_at >= 0 && (d < 0 || s->retry_at < d))
        d = s->retry_at;
    return d;
}
