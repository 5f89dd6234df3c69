/* The Modbus light tower: lamps and buzzer on coils of a Modbus I/O module,
 * TCP or RTU, written with function 05 (write single coil).
 *
 * Bounded-blocking by design (see indicator.h): modbus_write_bit() waits at
 * most timeout_ms for each answer, and a TCP connect waits at most
 * timeout_ms (our own non-blocking connect and one poll(), since libmodbus's
 * own name lookup could block for longer).  Writes happen only on a change,
 * after a (re)connect and every refresh_ms; lamps going off are written
 * before lamps going on, so the tower never shows two colours at once.  The
 * first failed write closes the link (no stale answer can then be taken for a
 * later one) and the tower is retried after reconnect_ms.
 *
 * The tower needs a link of its own: an RS-485 bus shared with the RFID
 * reader (one tty, two libmodbus contexts) is not supported. */
#include "indicator.h"

#include <errno.h>
#include <modbus.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { GREEN, RED, AMBER, BUZZER, COILS };

typedef struct {
    tt_indicator_conf_t conf;
    int tcp;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    modbus_t *mb;
    int up;
    int64_t reconnect_at, refresh_at;
    int coil[COILS];         /* addresses, -1 when not fitted */
    int want[COILS];         /* what the dispatcher asked for */
    int have[COILS];         /* what the tower was last told, -1 unknown */
} tw_t;

static const int bauds[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200,
                            230400, 460800, 921600};

static int in_range(int v, int lo, int hi)
{
    return v >= lo && v <= hi;
}

static tt_err_t check_conf(const tt_indicator_conf_t *c, tw_t *t)
{
    struct addrinfo hints, *ai = NULL;
    char port[8];
    int baud_ok = 0;

    if (!in_range(c->coil_green, -1, 65535) || !in_range(c->coil_red, -1, 65535) ||
        !in_range(c->coil_amber, -1, 65535) || !in_range(c->coil_buzzer, -1, 65535) ||
        !in_range(c->timeout_ms, 1, 10000) || !in_range(c->reconnect_ms, 1, 600000) ||
        !in_range(c->refresh_ms, 0, 3600000))
        return TT_ERR_INVAL;
    if (strcmp(c->transport, "tcp") == 0) {
        if (!in_range(c->port, 1, 65535) || !(in_range(c->slave, 0, 247) || c->slave == 255))
            return TT_ERR_INVAL;
        memset(&hints, 0, sizeof hints);
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
        hints.ai_socktype = SOCK_STREAM;
        snprintf(port, sizeof port, "%d", c->port);
        if (getaddrinfo(c->host, port, &hints, &ai) != 0 || !ai)
            return TT_ERR_INVAL;
        memcpy(&t->addr, ai->ai_addr, ai->ai_addrlen);
        t->addrlen = ai->ai_addrlen;
        freeaddrinfo(ai);
        t->tcp = 1;
        return TT_OK;
    }
    if (strcmp(c->transport, "rtu") != 0)
        return TT_ERR_INVAL;
    for (size_t i = 0; i < sizeof bauds / sizeof bauds[0]; i++)
        baud_ok |= c->baud == bauds[i];
    if (!c->device[0] || !baud_ok || c->parity == '\0' || !strchr("NEO", c->parity) ||
        !in_range(c->data_bits, 5, 8) || !in_range(c->stop_bits, 1, 2) ||
        !in_range(c->slave, 1, 247))
        return TT_ERR_INVAL;
    return TT_OK;
}

static tt_err_t tw_open(const tt_indicator_conf_t *conf, void **state)
{
    tw_t *t = calloc(1, sizeof *t);
    tt_err_t rc;

    if (!t)
        return TT_ERR_NOMEM;
    t->conf = *conf;
    rc = check_conf(conf, t);
    if (rc != TT_OK) {
        free(t);
        return rc;
    }
    t->mb = t->tcp ? modbus_new_tcp(NULL, conf->port)
                   : modbus_new_rtu(conf->device, conf->baud, conf->parity, conf->data_bits,
                                    conf->stop_bits);
    if (!t->mb) {
        free(t);
        return TT_ERR_NOMEM;
    }
    /* The unit id goes in every request: 0..247 on both, or 255 on TCP. */
    if (modbus_set_slave(t->mb, conf->slave) != 0) {
        modbus_free(t->mb);
        free(t);
        return TT_ERR_INVAL;
    }
    modbus_set_response_timeout(t->mb, (uint32_t)(conf->timeout_ms / 1000),
                                (uint32_t)(conf->timeout_ms % 1000) * 1000u);
    modbus_set_byte_timeout(t->mb, (uint32_t)(conf->timeout_ms / 1000),
                            (uint32_t)(conf->timeout_ms % 1000) * 1000u);
    t->coil[GREEN] = conf->coil_green;
    t->coil[RED] = conf->coil_red;
    t->coil[AMBER] = conf->coil_amber;
    t->coil[BUZZER] = conf->coil_buzzer;
    for (int i = 0; i < COILS; i++)
        t->have[i] = -1;
    t->reconnect_at = 0;     /* connect at the first service */
    *state = t;
    return TT_OK;
}

static void tw_close(void *state)
{
    tw_t *t = state;

    if (t->up)
        modbus_close(t->mb);
    modbus_free(t->mb);
    free(t);
}

static void drop(tw_t *t, int64_t now_ms)
{
    if (t->up)
        modbus_close(t->mb);
    t->up = 0;
    t->reconnect_at = now_ms + t->conf.reconnect_ms;
}

/* Connects the TCP socket, waiting at most timeout_ms; returns it or -1. */
static int tcp_connect(const tw_t *t)
{
    struct pollfd p;
    int fd, one = 1, err = 0;
    socklen_t len = sizeof err;

    fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (const struct sockaddr *)&t->addr, t->addrlen) != 0) {
        if (errno != EINPROGRESS)
            goto fail;
        p.fd = fd;
        p.events = POLLOUT;
        if (poll(&p, 1, t->conf.timeout_ms) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
            goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

static int link_open(tw_t *t)
{
    int fd;

    if (t->tcp) {
        fd = tcp_connect(t);
        if (fd < 0)
            return -1;
        modbus_set_socket(t->mb, fd);
        return 0;
    }
    if (modbus_connect(t->mb) != 0)
        return -1;
    if (t->conf.rs485 && modbus_rtu_set_serial_mode(t->mb, MODBUS_RTU_RS485) != 0) {
        modbus_close(t->mb);
        return -1;
    }
    modbus_flush(t->mb);
    return 0;
}

/* Brings the tower's coils to `want`, offs first. */
static void write_coils(tw_t *t, int64_t now_ms)
{
    for (int value = 0; value <= 1; value++) {
        for (int i = 0; i < COILS; i++) {
            if (t->coil[i] < 0 || t->want[i] != value || t->have[i] == value)
                continue;
            if (modbus_write_bit(t->mb, t->coil[i], value) < 0) {
                drop(t, now_ms);
                return;
            }
            t->have[i] = value;
        }
    }
}

static void rewrite_all(tw_t *t, int64_t now_ms)
{
    for (int i = 0; i < COILS; i++)
        t->have[i] = -1;
    t->refresh_at = now_ms + t->conf.refresh_ms;
    write_coils(t, now_ms);
}

static size_t tw_pollfds(void *state, struct pollfd *fds, size_t max)
{
    (void)state;
    (void)fds;
    (void)max;
    return 0;
}

static int64_t tw_deadline(void *state)
{
    tw_t *t = state;

    if (!t->up)
        return t->reconnect_at;
    return t->conf.refresh_ms > 0 ? t->refresh_at : -1;
}

static void tw_service(void *state, const struct pollfd *fds, size_t n, int64_t now_ms)
{
    tw_t *t = state;

    (void)fds;
    (void)n;
    if (!t->up && now_ms >= t->reconnect_at) {
        if (link_open(t) != 0) {
            t->reconnect_at = now_ms + t->conf.reconnect_ms;
            return;
        }
        t->up = 1;
        rewrite_all(t, now_ms);
    } else if (t->up && t->conf.refresh_ms > 0 && now_ms >= t->refresh_at) {
        rewrite_all(t, now_ms);
    }
}

static void tw_output(void *state, tt_indicator_state_t lamps, int buzzer, int64_t now_ms)
{
    tw_t *t = state;

    t->want[GREEN] = lamps == TT_INDICATOR_OK;
    t->want[RED] = lamps == TT_INDICATOR_ERROR;
    t->want[AMBER] = lamps == TT_INDICATOR_OFFLINE;
    t->want[BUZZER] = buzzer != 0;
    if (t->up)
        write_coils(t, now_ms);
}

static int tw_present(void *state)
{
    return ((tw_t *)state)->up;
}

const tt_indicator_ops_t tt_indicator_modbus_ops = {
    .name = "modbus",
    .error_pulses = 1,
    .error_ms = 800,
    .open = tw_open,
    .close = tw_close,
    .pollfds = tw_pollfds,
    .deadline = tw_deadline,
    .service = tw_service,
    .output = tw_output,
    .present = tw_present,
    .sim_view = NULL,
    .sim_missing = NULL,
};
