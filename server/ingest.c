#include "ingest.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct {
    char topic[TT_EVENT_TOPIC_MAX];
    char *payload;
    size_t len;
} ack_t;

struct tt_ingest {
    tt_ingest_conf_t conf;
    tt_db_t *db;
    tt_log_t *log;
    term_t *terms;
    size_t nterms, capterms;
    ack_t *acks;
    size_t nacks;
};

tt_err_t tt_ingest_new(const tt_ingest_conf_t *conf, tt_db_t *db, tt_log_t *log,
                       tt_ingest_t **out)
{
    tt_ingest_t *ing = calloc(1, sizeof *ing);
    *out = NULL;
    if (!ing)
        return TT_ERR_NOMEM;
    ing->conf = *conf;
    ing->db = db;
    ing->log = log;
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
    ing->nacks = 0;
}

void tt_ingest_free(tt_ingest_t *ing)
{
    if (!ing)
        return;
    forget_terms(ing);
    free(ing->terms);
    free_acks(ing);
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

/* Applies or journals as rejected the next event in t's order. */
static tt_err_t process(tt_ingest_t *ing, term_t *t, const tt_event_item_t *it, int64_t now)
{
    char reason[TT_EVENT_REASON_MAX];
    tt_err_t rc;

    if (it->err != TT_OK) {
        tt_log_warn(ing->log, "%s event %llu rejected: %s", t->id,
                    (unsigned long long)it->ev.seq, it->reason);
        rc = tt_db_reject_event(ing->db, t->id, it->ev.seq, -1, now, it->reason);
    } else {
        rc = tt_db_apply(ing->db, t->id, &it->ev, now, reason, sizeof reason);
        if (rc == TT_ERR_STOCK || rc == TT_ERR_RANGE) {
            tt_log_warn(ing->log, "%s event %llu rejected: %s", t->id,
                        (unsigned long long)it->ev.seq, reason);
            rc = TT_OK;
        }
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

/* Applies held events that the watermark has reached. */
static tt_err_t drain_hold(tt_ingest_t *ing, term_t *t, int64_t now)
{
    size_t k = 0;
    tt_err_t rc = TT_OK;
    while (k < t->nhold && t->hold[k].ev.seq <= t->applied + 1) {
        if (t->hold[k].ev.seq == t->applied + 1 && (rc = process(ing, t, &t->hold[k], now)) != TT_OK)
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
    for (size_t i = 0; i < b->count && rc == TT_OK; i++) {
        const tt_event_item_t *it = &b->items[i];
        if (it->ev.seq <= t->applied)
            continue;   /* duplicate: already applied or rejected */
        if (it->ev.seq == t->applied + 1) {
            rc = process(ing, t, it, now);
            if (rc == TT_OK && t->nhold)
                rc = drain_hold(ing, t, now);
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
    size_t n = 0;

    for (size_t i = 0; i < ing->nterms; i++)
        n += ing->terms[i].touched != 0;
    if (n) {
        ing->acks = calloc(n, sizeof *ing->acks);
        if (!ing->acks)
            rc = TT_ERR_NOMEM;
    }
    for (size_t i = 0; i < ing->nterms && rc == TT_OK; i++) {
        term_t *t = &ing->terms[i];
        if (!t->touched)
            continue;
        rc = tt_db_terminal_progress(ing->db, t->id, t->applied, t->nhold, t->last_seen);
        if (rc == TT_OK)
            rc = make_ack(ing, t, &ing->acks[ing->nacks++]);
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
