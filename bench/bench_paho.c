/* bench_paho: the broker/Paho limit.  Publishes the very batch messages the
 * terminal would send (built from a filled outbox) with Paho's async client
 * at QoS 1, keeping `window` messages in flight, to a subscriber in the same
 * process, and reports events per second from first publish to last
 * delivery.  No database and no acks: a ceiling for the end-to-end path.
 * The whole backlog is sent ROUNDS times so the run is long enough to time. */
#include <MQTTAsync.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "outbox.h"

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int inflight, connected;
    long delivered_events, delivered_msgs;
} state_t;

static void on_sent(void *ctx, MQTTAsync_successData *r)
{
    state_t *s = ctx;
    (void)r;
    pthread_mutex_lock(&s->lock);
    s->inflight--;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void on_connected(void *ctx, MQTTAsync_successData *r)
{
    state_t *s = ctx;
    (void)r;
    pthread_mutex_lock(&s->lock);
    s->connected++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static int on_message(void *ctx, char *topic, int tlen, MQTTAsync_message *m)
{
    state_t *s = ctx;
    long events = 0;
    (void)tlen;
    /* Each event object carries exactly one "seq" key. */
    for (const char *p = m->payload, *end = p + m->payloadlen; p + 5 < end; p++)
        if (memcmp(p, "\"seq\"", 5) == 0)
            events++;
    pthread_mutex_lock(&s->lock);
    s->delivered_events += events;
    s->delivered_msgs++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static MQTTAsync client(const char *url, const char *id, state_t *s)
{
    MQTTAsync c;
    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
    MQTTAsync_create(&c, url, id, MQTTCLIENT_PERSISTENCE_NONE, NULL);
    MQTTAsync_setCallbacks(c, s, NULL, on_message, NULL);
    co.cleansession = 1;
    co.keepAliveInterval = 30;
    co.maxInflight = 1000;
    co.onSuccess = on_connected;
    co.context = s;
    MQTTAsync_connect(c, &co);
    return c;
}

int main(int argc, char **argv)
{
    state_t s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0};
    tt_outbox_t *ob;
    char err[256], *buf;
    size_t cap = TT_EVENT_BATCH_MAX * TT_EVENT_ENCODED_MAX + 256, len, nmsgs = 0;
    uint64_t after = 0, first, last;
    long total = 0;
    int window;
    MQTTAsync pub, sub;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    char **msgs = NULL;
    size_t *lens = NULL;
    int64_t t0, t1;

    int rounds;

    if (argc != 6 || (rounds = atoi(argv[5])) <= 0) {
        fprintf(stderr, "usage: bench_paho URL OUTBOX.db BATCH WINDOW ROUNDS\n");
        return 2;
    }
    window = atoi(argv[4]);
    if (tt_outbox_open(argv[2], &ob, err, sizeof err) != TT_OK) {
        fprintf(stderr, "bench_paho: %s\n", err);
        return 1;
    }
    buf = malloc(cap);
    while (tt_outbox_batch(ob, "BENCH", after, (size_t)atoi(argv[3]), buf, cap, &len, &first,
                           &last) == TT_OK) {
        msgs = realloc(msgs, (nmsgs + 1) * sizeof *msgs);
        lens = realloc(lens, (nmsgs + 1) * sizeof *lens);
        msgs[nmsgs] = malloc(len);
        memcpy(msgs[nmsgs], buf, len);
        lens[nmsgs++] = len;
        total += (long)(last - first + 1);
        after = last;
    }
    tt_outbox_close(ob);

    sub = client(argv[1], "bench-sub", &s);
    pub = client(argv[1], "bench-pub", &s);
    pthread_mutex_lock(&s.lock);
    while (s.connected < 2)
        pthread_cond_wait(&s.cond, &s.lock);
    pthread_mutex_unlock(&s.lock);
    MQTTAsync_subscribe(sub, "bench/#", 1, &ro);
    usleep(200000);

    t0 = tt_clock_mono_ms();
    for (size_t r = 0; r < (size_t)rounds * nmsgs; r++) {
        size_t i = r % nmsgs;
        MQTTAsync_message m = MQTTAsync_message_initializer;
        MQTTAsync_responseOptions po = MQTTAsync_responseOptions_initializer;
        pthread_mutex_lock(&s.lock);
        while (s.inflight >= window)
            pthread_cond_wait(&s.cond, &s.lock);
        s.inflight++;
        pthread_mutex_unlock(&s.lock);
        m.payload = msgs[i];
        m.payloadlen = (int)lens[i];
        m.qos = 1;
        po.onSuccess = on_sent;
        po.context = &s;
        MQTTAsync_sendMessage(pub, "bench/events", &m, &po);
    }
    pthread_mutex_lock(&s.lock);
    total *= rounds;
    while (s.delivered_events < total)
        pthread_cond_wait(&s.cond, &s.lock);
    pthread_mutex_unlock(&s.lock);
    t1 = tt_clock_mono_ms();
    printf("%ld %lld\n", total, (long long)(t1 - t0));
    MQTTAsync_destroy(&pub);
    MQTTAsync_destroy(&sub);
    for (size_t i = 0; i < nmsgs; i++)
        free(msgs[i]);
    free(msgs);
    free(lens);
    free(buf);
    return 0;
}
