#include "uplink.h"

#include <MQTTAsync.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 2000

typedef struct node {
    struct node *next;
    tt_uplink_note_t note;
} node_t;

enum { IDLE, CONNECTING, UP };

struct tt_uplink {
    MQTTAsync client;
    char *url, *client_id, *username, *password, *will_topic, *will_payload;
    char *ca_file, *cert_file, *key_file;   /* ca_file non-NULL: TLS */
    char **subs;
    size_t nsubs;
    int keepalive_s, max_inflight;
    size_t max_queued;

    /* Owned by the poll-loop thread. */
    int state;
    int64_t next_attempt;
    int backoff_ms;
    node_t *current;
    int wake[2];

    /* Shared with Paho's threads, under lock. */
    pthread_mutex_t lock;
    pthread_cond_t room;
    node_t *head, *tail;
    size_t queued;
    int inflight;
    int closing;
    char tls_error[160];   /* OpenSSL's reason for the last failed handshake, or "" */
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void push(tt_uplink_t *up, node_t *n)
{
    pthread_mutex_lock(&up->lock);
    if (up->tail)
        up->tail->next = n;
    else
        up->head = n;
    up->tail = n;
    up->queued += n->note.len;
    pthread_mutex_unlock(&up->lock);
    /* A full pipe already wakes the loop; nothing is lost on EAGAIN. */
    if (write(up->wake[1], "n", 1) < 0 && errno != EAGAIN)
        return;
}

static void push_simple(tt_uplink_t *up, tt_uplink_kind_t kind, const char *cause)
{
    node_t *n = calloc(1, sizeof *n);
    if (!n)
        return;
    n->note.kind = kind;
    snprintf(n->note.cause, sizeof n->note.cause, "%s", cause ? cause : "");
    push(up, n);
}

static void on_lost(void *ctx, char *cause)
{
    push_simple(ctx, TT_UPLINK_LOST, cause ? cause : "connection lost");
}

/* Runs on Paho's thread.  Waiting here when the owner is behind keeps the
 * broker's TCP stream as the back-pressure, instead of unbounded memory. */
static int on_message(void *ctx, char *topic, int topiclen, MQTTAsync_message *m)
{
    tt_uplink_t *up = ctx;
    node_t *n = calloc(1, sizeof *n);
    size_t tlen = topiclen > 0 ? (size_t)topiclen : strlen(topic);

    if (n) {
        n->note.kind = TT_UPLINK_MESSAGE;
        n->note.topic = malloc(tlen + 1);
        n->note.payload = malloc((size_t)m->payloadlen + 1);
        n->note.len = (size_t)m->payloadlen;
    }
    if (!n || !n->note.topic || !n->note.payload) {
        if (n) {
            free(n->note.topic);
            free(n->note.payload);
            free(n);
        }
        return 0;   /* Paho retries delivery later */
    }
    memcpy(n->note.topic, topic, tlen);
    n->note.topic[tlen] = '\0';
    memcpy(n->note.payload, m->payload, (size_t)m->payloadlen);
    n->note.payload[m->payloadlen] = '\0';
    pthread_mutex_lock(&up->lock);
    while (up->queued > up->max_queued && !up->closing)
        pthread_cond_wait(&up->room, &up->lock);
    pthread_mutex_unlock(&up->lock);
    push(up, n);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static void on_connect(void *ctx, MQTTAsync_successData *resp)
{
    (void)resp;
    push_simple(ctx, TT_UPLINK_CONNECTED, NULL);
}

/* Paho's OpenSSL error callback, on Paho's thread: keeps the reason of the
 * last error, "certificate verify failed" out of OpenSSL's
 * "...error:0A000086:SSL routines:func:certificate verify failed:file:line:",
 * so that a refused handshake is explained by the connect failure. */
static int on_tls_error(const char *str, size_t len, void *ctx)
{
    tt_uplink_t *up = ctx;
    char line[512];
    const char *reason, *p;
    size_t n;

    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), str);
    line[strcspn(line, "\r\n")] = '\0';
    reason = line;
    p = strstr(line, "error:");
    /* error:CODE:LIBRARY:FUNCTION:REASON:... */
    for (int field = 0; p && field < 4; field++)
        p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
    if (p && *p) {
        reason = p;
        n = strcspn(p, ":");
        line[(size_t)(p - line) + n] = '\0';
    }
    pthread_mutex_lock(&up->lock);
    snprintf(up->tls_error, sizeof up->tls_error, "%.*s", (int)sizeof up->tls_error - 1, reason);
    pthread_mutex_unlock(&up->lock);
    return 0;
}

/* MQTT 3.1.1 CONNACK refusals, which Paho reports as the failure's code. */
static const char *connack_refusal(int code)
{
    static const char *const text[] = {
        NULL, "unacceptable protocol version", "client id rejected", "broker unavailable",
        "bad user name or password", "not authorized (unknown or revoked identity, or a wrong "
        "password)",
    };
    return code > 0 && code < (int)(sizeof text / sizeof text[0]) ? text[code] : NULL;
}

static void on_connect_failure(void *ctx, MQTTAsync_failureData *resp)
{
    tt_uplink_t *up = ctx;
    char cause[sizeof ((tt_uplink_note_t *)0)->cause], tls[sizeof up->tls_error], hint[200];
    int code = resp ? resp->code : 0;

    pthread_mutex_lock(&up->lock);
    memcpy(tls, up->tls_error, sizeof tls);
    up->tls_error[0] = '\0';
    pthread_mutex_unlock(&up->lock);
    hint[0] = '\0';
    if (tls[0])
        snprintf(hint, sizeof hint, ": TLS handshake refused: %s", tls);
    else if (connack_refusal(code))
        snprintf(hint, sizeof hint, ": the broker refused: %s", connack_refusal(code));
    else if (up->ca_file && code == MQTTASYNC_FAILURE)
        /* Without an OpenSSL error: Paho's check of the broker's name
         * against the URL's host (after the handshake), the broker refusing
         * our certificate (TLS 1.3 says so only after the handshake), and a
         * refused TCP connection all look alike here: name them all. */
        snprintf(hint, sizeof hint, ": no TLS session (the broker is unreachable, refused this "
                 "client's certificate, or its certificate does not name the url's host)");
    snprintf(cause, sizeof cause, "connect failed (code %d%s%s)%s", code,
             resp && resp->message ? ": " : "", resp && resp->message ? resp->message : "", hint);
    push_simple(ctx, TT_UPLINK_LOST, cause);
}

static void sent(tt_uplink_t *up)
{
    pthread_mutex_lock(&up->lock);
    if (up->inflight > 0)
        up->inflight--;
    pthread_mutex_unlock(&up->lock);
}

static void on_sent(void *ctx, MQTTAsync_successData *resp)
{
    (void)resp;
    sent(ctx);
}

static void on_send_failure(void *ctx, MQTTAsync_failureData *resp)
{
    char cause[128];
    sent(ctx);
    snprintf(cause, sizeof cause, "publish failed (code %d)", resp ? resp->code : 0);
    push_simple(ctx, TT_UPLINK_SEND_FAILED, cause);
}

int tt_uplink_url_tls(const char *url)
{
    if (strncmp(url, "tcp://", 6) == 0)
        return 0;
    if (strncmp(url, "ssl://", 6) == 0 || strncmp(url, "mqtts://", 8) == 0)
        return 1;
    return -1;
}

/* What tt_uplink_new refuses before Paho sees the settings. */
static tt_err_t check_conf(const tt_uplink_conf_t *conf, char *err, size_t errlen)
{
    int tls = tt_uplink_url_tls(conf->url);

    if (tls < 0) {
        snprintf(err, errlen, "mqtt: url '%s' must start with tcp://, ssl:// or mqtts://",
                 conf->url);
        return TT_ERR_INVAL;
    }
    if (tls && !conf->ca_file) {
        snprintf(err, errlen, "mqtt: url '%s' is TLS but no CA file is given to verify the "
                 "broker with", conf->url);
        return TT_ERR_INVAL;
    }
    if (!tls && (conf->ca_file || conf->cert_file || conf->key_file)) {
        snprintf(err, errlen, "mqtt: TLS files are given but url '%s' is plain tcp://",
                 conf->url);
        return TT_ERR_INVAL;
    }
    if (!conf->cert_file != !conf->key_file) {
        snprintf(err, errlen, "mqtt: a client certificate needs both its file and its key");
        return TT_ERR_INVAL;
    }
    return TT_OK;
}

tt_err_t tt_uplink_new(const tt_uplink_conf_t *conf, tt_uplink_t **out, char *err, size_t errlen)
{
    MQTTAsync_createOptions copts = MQTTAsync_createOptions_initializer;
    tt_uplink_t *up;
    tt_err_t check;
    int rc;

    *out = NULL;
    check = check_conf(conf, err, errlen);
    if (check != TT_OK)
        return check;
    up = calloc(1, sizeof *up);
    if (!up)
        return TT_ERR_NOMEM;
    up->wake[0] = up->wake[1] = -1;
    pthread_mutex_init(&up->lock, NULL);
    pthread_cond_init(&up->room, NULL);
    up->url = strdup(conf->url);
    up->client_id = strdup(conf->client_id);
    up->username = dup_or_null(conf->username);
    up->password = dup_or_null(conf->password);
    up->will_topic = dup_or_null(conf->will_topic);
    up->will_payload = dup_or_null(conf->will_payload);
    up->ca_file = dup_or_null(conf->ca_file);
    up->cert_file = dup_or_null(conf->cert_file);
    up->key_file = dup_or_null(conf->key_file);
    up->subs = calloc(conf->nsubscriptions + 1, sizeof *up->subs);
    up->nsubs = conf->nsubscriptions;
    up->keepalive_s = conf->keepalive_s;
    up->max_inflight = conf->max_inflight;
    up->max_queued = conf->max_queued_bytes;
    up->backoff_ms = BACKOFF_MIN_MS;
    if (!up->url || !up->client_id || !up->subs || (conf->username && !up->username) ||
        (conf->password && !up->password) || (conf->will_topic && !up->will_topic) ||
        (conf->will_payload && !up->will_payload) || (conf->ca_file && !up->ca_file) ||
        (conf->cert_file && !up->cert_file) || (conf->key_file && !up->key_file))
        goto nomem;
    for (size_t i = 0; i < up->nsubs; i++)
        if (!(up->subs[i] = strdup(conf->subscriptions[i])))
            goto nomem;
    if (pipe(up->wake) != 0) {
        tt_uplink_free(up);
        return TT_ERR_IO;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(up->wake[i], F_SETFL, fcntl(up->wake[i], F_GETFL) | O_NONBLOCK);
        fcntl(up->wake[i], F_SETFD, FD_CLOEXEC);
    }
    /* The caller's store is the queue: no Paho persistence (its file store
     * does not fsync) and no buffering while disconnected. */
    copts.sendWhileDisconnected = 0;
    rc = MQTTAsync_createWithOptions(&up->client, up->url, up->client_id,
                                     MQTTCLIENT_PERSISTENCE_NONE, NULL, &copts);
    if (rc != MQTTASYNC_SUCCESS) {
        snprintf(err, errlen, "mqtt: cannot use url '%s' (%s)", conf->url,
                 MQTTAsync_strerror(rc));
        up->client = NULL;
        tt_uplink_free(up);
        return TT_ERR_INVAL;
    }
    MQTTAsync_setCallbacks(up->client, up, on_lost, on_message, NULL);
    *out = up;
    return TT_OK;
nomem:
    tt_uplink_free(up);
    return TT_ERR_NOMEM;
}

static void free_node(node_t *n)
{
    if (!n)
        return;
    free(n->note.topic);
    free(n->note.payload);
    free(n);
}

void tt_uplink_free(tt_uplink_t *up)
{
    if (!up)
        return;
    pthread_mutex_lock(&up->lock);
    up->closing = 1;
    pthread_cond_broadcast(&up->room);
    pthread_mutex_unlock(&up->lock);
    if (up->client) {
        MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
        /* Let what was published reach the broker first (for at most 1 s):
         * a clean stop's last status message must not be lost to the
         * disconnect, and the broker sends no will on a clean one. */
        for (int i = 0; i < 100 && MQTTAsync_isConnected(up->client); i++) {
            int pending;
            pthread_mutex_lock(&up->lock);
            pending = up->inflight;
            pthread_mutex_unlock(&up->lock);
            if (pending == 0)
                break;
            usleep(10000);
        }
        d.timeout = 1000;
        if (MQTTAsync_isConnected(up->client))
            MQTTAsync_disconnect(up->client, &d);
        MQTTAsync_destroy(&up->client);
    }
    free_node(up->current);
    while (up->head) {
        node_t *n = up->head;
        up->head = n->next;
        free_node(n);
    }
    for (size_t i = 0; up->subs && i < up->nsubs; i++)
        free(up->subs[i]);
    free(up->subs);
    free(up->url);
    free(up->client_id);
    free(up->username);
    free(up->password);
    free(up->will_topic);
    free(up->will_payload);
    free(up->ca_file);
    free(up->cert_file);
    free(up->key_file);
    if (up->wake[0] >= 0)
        close(up->wake[0]);
    if (up->wake[1] >= 0)
        close(up->wake[1]);
    pthread_cond_destroy(&up->room);
    pthread_mutex_destroy(&up->lock);
    free(up);
}

int tt_uplink_fd(const tt_uplink_t *up)
{
    return up->wake[0];
}

static void subscribe(tt_uplink_t *up)
{
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    int qos[16];
    size_t n = up->nsubs < 16 ? up->nsubs : 16;

    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        qos[i] = 1;
    ro.context = up;
    MQTTAsync_subscribeMany(up->client, (int)n, up->subs, qos, &ro);
}

static node_t *pop(tt_uplink_t *up)
{
    node_t *n;
    pthread_mutex_lock(&up->lock);
    n = up->head;
    if (n) {
        up->head = n->next;
        if (!up->head)
            up->tail = NULL;
        up->queued -= n->note.len;
        pthread_cond_signal(&up->room);
    }
    pthread_mutex_unlock(&up->lock);
    return n;
}

tt_err_t tt_uplink_next(tt_uplink_t *up, tt_uplink_note_t *note)
{
    node_t *n;
    char drain[64];

    free_node(up->current);
    up->current = NULL;
    n = pop(up);
    if (!n) {
        /* Drain the wake pipe first, then look again: a note pushed after
         * the drain has written its own wake byte, so none is ever stranded
         * without one. */
        while (read(up->wake[0], drain, sizeof drain) > 0)
            ;
        n = pop(up);
        if (!n)
            return TT_ERR_BUSY;
    }
    switch (n->note.kind) {
    case TT_UPLINK_CONNECTED:
        up->state = UP;
        up->backoff_ms = BACKOFF_MIN_MS;
        pthread_mutex_lock(&up->lock);
        up->inflight = 0;
        pthread_mutex_unlock(&up->lock);
        subscribe(up);
        break;
    case TT_UPLINK_LOST:
        /* A lost connection is retried at once, a refused one with backoff. */
        if (up->state == UP) {
            up->next_attempt = tt_clock_mono_ms();
        } else {
            up->next_attempt = tt_clock_mono_ms() + up->backoff_ms;
            up->backoff_ms = up->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                                 : up->backoff_ms * 2;
        }
        up->state = IDLE;
        break;
    default:
        break;
    }
    up->current = n;
    *note = n->note;
    return TT_OK;
}

int64_t tt_uplink_deadline(const tt_uplink_t *up)
{
    return up->state == IDLE ? up->next_attempt : -1;
}

void tt_uplink_tick(tt_uplink_t *up, int64_t now_ms)
{
    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
    MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
    int rc;

    if (up->state != IDLE || now_ms < up->next_attempt)
        return;
    if (up->ca_file) {
        /* The broker is verified, always: its chain against our CA only
         * (not the system's store), and its name against the URL's host. */
        ssl.trustStore = up->ca_file;
        ssl.disableDefaultTrustStore = 1;
        ssl.enableServerCertAuth = 1;
        ssl.verify = 1;
        ssl.keyStore = up->cert_file;
        ssl.privateKey = up->key_file;
        ssl.ssl_error_cb = on_tls_error;
        ssl.ssl_error_context = up;
        co.ssl = &ssl;
        pthread_mutex_lock(&up->lock);
        up->tls_error[0] = '\0';
        pthread_mutex_unlock(&up->lock);
    }
    co.keepAliveInterval = up->keepalive_s;
    co.cleansession = 1;
    co.maxInflight = up->max_inflight;
    co.connectTimeout = 5;
    co.automaticReconnect = 0;
    co.username = up->username;
    co.password = up->password;
    co.onSuccess = on_connect;
    co.onFailure = on_connect_failure;
    co.context = up;
    if (up->will_topic) {
        will.topicName = up->will_topic;
        will.message = up->will_payload;
        will.retained = 1;
        will.qos = 1;
        co.will = &will;
    }
    rc = MQTTAsync_connect(up->client, &co);
    if (rc == MQTTASYNC_SUCCESS) {
        up->state = CONNECTING;
    } else {
        up->next_attempt = now_ms + up->backoff_ms;
    }
}

int tt_uplink_connected(const tt_uplink_t *up)
{
    return up->state == UP;
}

tt_err_t tt_uplink_publish(tt_uplink_t *up, const char *topic, const void *buf, size_t len,
                           int retained)
{
    MQTTAsync_message m = MQTTAsync_message_initializer;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    int rc;

    if (up->state != UP)
        return TT_ERR_CONN;
    pthread_mutex_lock(&up->lock);
    if (up->inflight >= up->max_inflight) {
        pthread_mutex_unlock(&up->lock);
        return TT_ERR_BUSY;
    }
    up->inflight++;
    pthread_mutex_unlock(&up->lock);
    m.payload = (void *)buf;
    m.payloadlen = (int)len;
    m.qos = 1;
    m.retained = retained;
    ro.onSuccess = on_sent;
    ro.onFailure = on_send_failure;
    ro.context = up;
    rc = MQTTAsync_sendMessage(up->client, topic, &m, &ro);
    if (rc != MQTTASYNC_SUCCESS) {
        sent(up);
        return rc == MQTTASYNC_DISCONNECTED ? TT_ERR_CONN : TT_ERR_IO;
    }
    return TT_OK;
}
