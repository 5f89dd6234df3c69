/*
 * uplink: the MQTT connection, the one module that talks to Eclipse Paho.
 *
 * Paho's asynchronous client runs its own threads; its callbacks only queue
 * notes here and wake a pipe, so the owner's single poll() loop does all the
 * work: it polls tt_uplink_fd(), drains notes with tt_uplink_next(), and
 * calls tt_uplink_tick() by tt_uplink_deadline() to (re)connect with backoff.
 *
 * Nothing is queued inside Paho beyond what the owner publishes while
 * connected (persistence is off; publishing while disconnected fails): the
 * caller's durable store is the only queue.  Both tagtrail-edge and
 * tagtrail-server use this module.
 *
 * TLS (ssl:// or mqtts://) always verifies the broker: its certificate must
 * chain to the one CA file given (the system's trust store is not used) and
 * name the URL's host.  A client certificate is presented when configured.
 */
#ifndef TT_UPLINK_H
#define TT_UPLINK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct tt_uplink tt_uplink_t;

typedef enum {
    TT_UPLINK_CONNECTED = 1,   /* session up, subscriptions requested */
    TT_UPLINK_LOST,            /* connection failed or was lost; retry is scheduled */
    TT_UPLINK_MESSAGE,         /* a message arrived on a subscription */
    TT_UPLINK_SEND_FAILED,     /* a publish was not acknowledged by the broker */
} tt_uplink_kind_t;

typedef struct {
    tt_uplink_kind_t kind;
    char cause[256];           /* LOST, SEND_FAILED: why (a refused TLS handshake says why) */
    char *topic;               /* MESSAGE: NUL-terminated */
    char *payload;             /* MESSAGE: len bytes, plus a NUL for convenience */
    size_t len;
} tt_uplink_note_t;

typedef struct {
    const char *url;           /* "tcp://host:port", "ssl://host:port" or "mqtts://host:port" */
    const char *client_id;
    const char *username;      /* NULL: none */
    const char *password;      /* NULL: none */
    const char *ca_file;       /* TLS only, and required there: PEM file of the CA the broker's
                                * certificate must chain to; nothing else is trusted */
    const char *cert_file;     /* TLS only; NULL: no client certificate.  PEM certificate */
    const char *key_file;      /* its PEM private key (unencrypted); set exactly with cert_file */
    int keepalive_s;
    int max_inflight;          /* Paho's in-flight limit; keep the owner's window below it */
    const char *will_topic;    /* NULL: no will; else retained QoS 1 will */
    const char *will_payload;
    const char *const *subscriptions;  /* QoS 1, made again on every connect */
    size_t nsubscriptions;
    size_t max_queued_bytes;   /* incoming bytes held before Paho's thread waits */
} tt_uplink_conf_t;

/* 1 when `url` asks for TLS (ssl:// or mqtts://), 0 for tcp://, -1 for any
 * other scheme. */
int tt_uplink_url_tls(const char *url);

/* Creates the client; connecting starts at the first tt_uplink_tick().
 * Strings in conf are copied; the files are read at each connection attempt.
 * On TT_OK *out is owned by the caller (tt_uplink_free).  Returns
 * TT_ERR_INVAL with the reason in err (a bad URL or id; a TLS URL without
 * ca_file; TLS files with a tcp:// URL; cert_file without key_file or the
 * reverse), TT_ERR_NOMEM, TT_ERR_IO. */
tt_err_t tt_uplink_new(const tt_uplink_conf_t *conf, tt_uplink_t **out, char *err, size_t errlen);

/* Disconnects (waiting at most 1 s) and frees; NULL is accepted. */
void tt_uplink_free(tt_uplink_t *up);

/* Descriptor that becomes readable when notes are waiting. */
int tt_uplink_fd(const tt_uplink_t *up);

/* Takes the next note.  Returns TT_OK, or TT_ERR_BUSY when none is waiting.
 * A MESSAGE note's topic and payload belong to the uplink and stay valid
 * until the next call of tt_uplink_next or tt_uplink_free. */
tt_err_t tt_uplink_next(tt_uplink_t *up, tt_uplink_note_t *note);

/* Next moment (tt_clock_mono_ms) at which tt_uplink_tick has work, or -1. */
int64_t tt_uplink_deadline(const tt_uplink_t *up);

/* Starts a connection attempt when one is due. */
void tt_uplink_tick(tt_uplink_t *up, int64_t now_ms);

/* Non-zero while connected. */
int tt_uplink_connected(const tt_uplink_t *up);

/* Publishes len bytes (copied by Paho) at QoS 1.  Returns TT_OK when handed
 * to Paho; TT_ERR_CONN when not connected; TT_ERR_BUSY when Paho's in-flight
 * limit is reached; TT_ERR_IO otherwise. */
tt_err_t tt_uplink_publish(tt_uplink_t *up, const char *topic, const void *buf, size_t len,
                           int retained);

#endif
