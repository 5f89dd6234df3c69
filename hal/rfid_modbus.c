/* The Modbus reader backend: one reader on Modbus TCP or RTU, polled every
 * conf->poll_ms with the requests of its profile.
 *
 * Profiles:
 *   v780      read holding registers (03) at tag_addr, 1 + tag_words words:
 *             the PC word (top 5 bits: EPC length in words; 0 = no tag), then
 *             the EPC.  An EPC longer than tag_words is counted in dropped.
 *   pollflag  read the "new tag" coil (01) at flag_coil; when set, read
 *             tag_words holding registers (03) at tag_addr, then clear the
 *             coil (05, value 0).  A tag whose clear fails is read again at
 *             the next poll, and the dedupe window swallows it.
 *
 * Nothing here waits on the reader.  Requests are built by
 * modbus_send_raw_request(); the link's descriptor is polled for POLLIN, and
 * modbus_receive_confirmation() is called only once FIONREAD shows the whole
 * expected answer in the kernel's buffer, so in the normal case it returns
 * without waiting.  When fewer bytes are there, the descriptor is left out of
 * the poll set until the rest should have arrived at line speed
 * ("settling"); if the frame is still short then (an exception answer, a
 * truncated or garbage frame), modbus_receive_confirmation() is called and
 * may wait byte_timeout_ms for each missing byte: that is the only bounded
 * wait, and only on a broken or unusually short frame.  TCP connects are
 * non-blocking (our own socket, handed to libmodbus with modbus_set_socket);
 * RTU opens a tty with O_NDELAY, which does not block either.
 *
 * A request not answered by its deadline is a timeout.  A frame that fails
 * its CRC, header or length checks is garbage: counted, the rest of the input
 * flushed.  Both count as failures; after max_failures in a row the link is
 * closed and reopened after reconnect_ms.  Bytes that arrive when no request
 * is outstanding (junk, or a late answer to a request that timed out) are
 * counted as garbage and flushed.  TCP carries no usable transaction id here
 * (libmodbus 3.1.6 sends raw requests with id 0), so an answer is matched by
 * its unit id, function and length only.
 *
 * RS-485: with conf->rs485 the tty is switched to kernel RS-485 mode
 * (TIOCSRS485), and a tty that refuses (ENOTTY on an RS-232 port or a pty)
 * fails the link, which is retried: a board that asks for RS-485 on a port
 * that cannot do it must not seem to work.  Without conf->rs485 the mode is
 * left alone, which is right for adapters that switch direction themselves.
 * The RTS-toggling mode of libmodbus is not used: it sleeps.
 *
 * One limit: libmodbus select()s on the descriptor, so it must be below
 * FD_SETSIZE (1024); the firmware opens far fewer. */
#include "rfid.h"

#include <errno.h>
#include <modbus.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define RING 32                  /* sightings waiting for tt_rfid_read */
#define CONNECT_TIMEOUT_MIN_MS 1000

enum { LINK_DOWN, LINK_CONNECTING, LINK_UP };
enum { STEP_IDLE, STEP_TAG, STEP_FLAG, STEP_ID, STEP_CLEAR };
enum { PROFILE_V780, PROFILE_POLLFLAG };

typedef struct {
    char epc[TT_RFID_EPC_MAX];
    int64_t seen_ms;
} sighting_t;

typedef struct {
    tt_rfid_conf_t conf;
    int tcp;                        /* transport: non-zero for TCP, zero for RTU */
    int profile;
    struct sockaddr_storage addr;   /* tcp: the reader */
    socklen_t addrlen;
    int bits_per_char;              /* rtu: start, data, parity and stop bits */
    size_t header_len, crc_len;     /* frame overhead around the PDU */
    modbus_t *mb;
    int link;
    int fd;                         /* -1 when down; ours while connecting, mb's once up */
    int64_t reconnect_at, connect_deadline;
    int step;                       /* the outstanding request, or STEP_IDLE */
    uint8_t req[6];                 /* its unit id, function and 4 bytes */
    size_t expect_len;              /* its complete answer frame, in bytes */
    int64_t reply_deadline;
    int64_t settle_at;              /* -1, or when a partial answer should be whole */
    int settle_avail;               /* bytes there when settling began */
    int64_t poll_started, next_poll_at;
    int failures, answered;
    sighting_t ring[RING];
    size_t head, count;
    tt_rfid_stats_t stats;
} mb_t;

static const int bauds[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200,
                            230400, 460800, 921600};

static int in_range(int v, int lo, int hi)
{
    return v >= lo && v <= hi;
}

static tt_err_t check_conf(const tt_rfid_conf_t *c, mb_t *m)
{
    int baud_ok = 0;

    if (strcmp(c->transport, "tcp") == 0)
        m->tcp = 1;
    else if (strcmp(c->transport, "rtu") != 0)
        return TT_ERR_INVAL;
    if (strcmp(c->profile, TT_RFID_PROFILE_V780) == 0)
        m->profile = PROFILE_V780;
    else if (strcmp(c->profile, TT_RFID_PROFILE_POLLFLAG) == 0)
        m->profile = PROFILE_POLLFLAG;
    else
        return TT_ERR_INVAL;
    if (!in_range(c->tag_words, 1, TT_RFID_TAG_WORDS_MAX) || !in_range(c->tag_addr, 0, 65535) ||
        c->tag_addr + c->tag_words + (m->profile == PROFILE_V780) > 65536 ||
        !in_range(c->flag_coil, 0, 65535) || !in_range(c->poll_ms, 1, 60000) ||
        !in_range(c->timeout_ms, 1, 60000) || !in_range(c->byte_timeout_ms, 1, 10000) ||
        !in_range(c->max_failures, 1, 1000) || !in_range(c->reconnect_ms, 1, 600000))
        return TT_ERR_INVAL;
    if (m->tcp)
        return in_range(c->port, 1, 65535) && in_range(c->slave, 0, 255) ? TT_OK : TT_ERR_INVAL;
    for (size_t i = 0; i < sizeof bauds / sizeof bauds[0]; i++)
        baud_ok |= c->baud == bauds[i];
    if (!c->device[0] || !baud_ok || !strchr("NEO", c->parity) || c->parity == '\0' ||
        !in_range(c->data_bits, 5, 8) || !in_range(c->stop_bits, 1, 2) ||
        !in_range(c->slave, 1, 247))
        return TT_ERR_INVAL;
    m->bits_per_char = 1 + c->data_bits + (c->parity != 'N') + c->stop_bits;
    return TT_OK;
}

/* The reader's address; numeric only, since a name lookup would block. */
static tt_err_t resolve(mb_t *m)
{
    struct addrinfo hints, *ai = NULL;
    char port[8];

    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof port, "%d", m->conf.port);
    if (getaddrinfo(m->conf.host, port, &hints, &ai) != 0 || !ai)
        return TT_ERR_INVAL;
    memcpy(&m->addr, ai->ai_addr, ai->ai_addrlen);
    m->addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    return TT_OK;
}

static void set_timeout(modbus_t *mb, int ms,
                        int (*set)(modbus_t *, uint32_t, uint32_t))
{
    set(mb, (uint32_t)(ms / 1000), (uint32_t)(ms % 1000) * 1000u);
}

static tt_err_t mb_open(const tt_rfid_conf_t *conf, void **state)
{
    mb_t *m = calloc(1, sizeof *m);
    tt_err_t rc;

    if (!m)
        return TT_ERR_NOMEM;
    m->conf = *conf;
    m->fd = -1;
    m->settle_at = -1;
    rc = check_conf(conf, m);
    if (rc == TT_OK && m->tcp)
        rc = resolve(m);
    if (rc != TT_OK) {
        free(m);
        return rc;
    }
    m->mb = m->tcp ? modbus_new_tcp(NULL, conf->port)
                   : modbus_new_rtu(conf->device, conf->baud, conf->parity, conf->data_bits,
                                    conf->stop_bits);
    if (!m->mb || (!m->tcp && modbus_set_slave(m->mb, conf->slave) != 0)) {
        rc = m->mb ? TT_ERR_INVAL : TT_ERR_NOMEM;
        modbus_free(m->mb);
        free(m);
        return rc;
    }
    /* modbus_receive_confirmation() is only called with the answer (or the
     * start of a frame) already there: both of its waits are the bound on
     * a frame that stops short. */
    set_timeout(m->mb, conf->byte_timeout_ms, modbus_set_response_timeout);
    set_timeout(m->mb, conf->byte_timeout_ms, modbus_set_byte_timeout);
    m->header_len = (size_t)modbus_get_header_length(m->mb);
    m->crc_len = m->tcp ? 0 : 2;
    m->reconnect_at = 0;     /* the link opens at the first service */
    *state = m;
    return TT_OK;
}

static void mb_close(void *state)
{
    mb_t *m = state;

    if (m->link == LINK_CONNECTING)
        close(m->fd);
    else if (m->link == LINK_UP)
        modbus_close(m->mb);
    modbus_free(m->mb);
    free(m);
}

/* Time to send `bytes` at the line's speed; 0 on TCP. */
static int64_t line_ms(const mb_t *m, size_t bytes)
{
    if (m->tcp)
        return 0;
    return ((int64_t)bytes * m->bits_per_char * 1000 + m->conf.baud - 1) / m->conf.baud;
}

static void link_down(mb_t *m, int64_t now_ms, int err)
{
    if (m->link == LINK_UP) {
        modbus_close(m->mb);
        m->stats.disconnects++;
    } else if (m->link == LINK_CONNECTING) {
        close(m->fd);
    }
    if (err)
        m->stats.last_errno = err;
    m->link = LINK_DOWN;
    m->fd = -1;
    m->step = STEP_IDLE;
    m->settle_at = -1;
    m->answered = 0;
    m->failures = 0;
    m->reconnect_at = now_ms + m->conf.reconnect_ms;
}

static void link_up(mb_t *m, int64_t now_ms)
{
    if (m->tcp)
        modbus_set_socket(m->mb, m->fd);
    else
        m->fd = modbus_get_socket(m->mb);
    m->link = LINK_UP;
    m->stats.connects++;
    m->step = STEP_IDLE;
    m->settle_at = -1;
    m->failures = 0;
    m->answered = 0;
    m->next_poll_at = now_ms;
}

static void start_connect(mb_t *m, int64_t now_ms)
{
    int one = 1, err;

    if (!m->tcp) {
        if (modbus_connect(m->mb) != 0) {
            link_down(m, now_ms, errno);
            return;
        }
        if (m->conf.rs485 && modbus_rtu_set_serial_mode(m->mb, MODBUS_RTU_RS485) != 0) {
            err = errno;
            modbus_close(m->mb);
            link_down(m, now_ms, err);
            return;
        }
        modbus_flush(m->mb);     /* whatever the line held before us */
        link_up(m, now_ms);
        return;
    }
    m->fd = socket(m->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m->fd < 0) {
        link_down(m, now_ms, errno);
        return;
    }
    setsockopt(m->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(m->fd, (const struct sockaddr *)&m->addr, m->addrlen) == 0) {
        link_up(m, now_ms);
    } else if (errno == EINPROGRESS) {
        m->link = LINK_CONNECTING;
        m->connect_deadline = now_ms + (m->conf.timeout_ms > CONNECT_TIMEOUT_MIN_MS
                                            ? m->conf.timeout_ms
                                            : CONNECT_TIMEOUT_MIN_MS);
    } else {
        err = errno;
        close(m->fd);
        link_down(m, now_ms, err);
    }
}

static void finish_connect(mb_t *m, int64_t now_ms)
{
    int err = 0;
    socklen_t len = sizeof err;

    if (getsockopt(m->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err)
        link_down(m, now_ms, err);
    else
        link_up(m, now_ms);
}

static void send_request(mb_t *m, int64_t now_ms, int step, uint8_t function, int addr, int value)
{
    uint8_t *q = m->req;
    size_t pdu = 0;

    q[0] = (uint8_t)m->conf.slave;
    q[1] = function;
    q[2] = (uint8_t)(addr >> 8);
    q[3] = (uint8_t)addr;
    q[4] = (uint8_t)(value >> 8);
    q[5] = (uint8_t)value;
    switch (function) {
    case MODBUS_FC_READ_COILS:
        pdu = 3;                           /* function, byte count, one byte */
        break;
    case MODBUS_FC_READ_HOLDING_REGISTERS:
        pdu = 2 + 2 * (size_t)value;       /* function, byte count, words */
        break;
    case MODBUS_FC_WRITE_SINGLE_COIL:
        pdu = 5;                           /* the request's echo */
        break;
    }
    if (modbus_send_raw_request(m->mb, q, sizeof m->req) < 0) {
        link_down(m, now_ms, errno);
        return;
    }
    m->step = step;
    m->expect_len = m->header_len + pdu + m->crc_len;
    m->reply_deadline = now_ms + m->conf.timeout_ms +
                        line_ms(m, m->header_len + 5 + m->crc_len + m->expect_len);
    m->settle_at = -1;
}

static void start_poll(mb_t *m, int64_t now_ms)
{
    m->stats.polls++;
    m->poll_started = now_ms;
    if (m->profile == PROFILE_V780)
        send_request(m, now_ms, STEP_TAG, MODBUS_FC_READ_HOLDING_REGISTERS, m->conf.tag_addr,
                     1 + m->conf.tag_words);
    else
        send_request(m, now_ms, STEP_FLAG, MODBUS_FC_READ_COILS, m->conf.flag_coil, 1);
}

static void poll_done(mb_t *m, int64_t now_ms)
{
    m->step = STEP_IDLE;
    m->settle_at = -1;
    m->next_poll_at = m->poll_started + m->conf.poll_ms;
    if (m->next_poll_at < now_ms)
        m->next_poll_at = now_ms;
}

static void failed(mb_t *m, int64_t now_ms, int err)
{
    if (++m->failures >= m->conf.max_failures)
        link_down(m, now_ms, err);
    else
        poll_done(m, now_ms);
}

static void garbage(mb_t *m, int64_t now_ms)
{
    m->stats.garbage++;
    modbus_flush(m->mb);
    failed(m, now_ms, EBADMSG);
}

static void answered(mb_t *m)
{
    m->failures = 0;
    m->answered = 1;
}

static void sight(mb_t *m, const uint8_t *words, size_t n, int64_t now_ms)
{
    sighting_t *s;
    int nonzero = 0;

    for (size_t i = 0; i < 2 * n; i++)
        nonzero |= words[i];
    if (!nonzero) {
        m->stats.dropped++;
        return;
    }
    m->stats.sightings++;
    if (m->count == RING) {
        m->stats.dropped++;
        return;
    }
    s = &m->ring[(m->head + m->count) % RING];
    for (size_t i = 0; i < 2 * n; i++)
        snprintf(s->epc + 2 * i, 3, "%02X", words[i]);
    s->seen_ms = now_ms;
    m->count++;
}

/* Checks and acts on one answer frame of len bytes. */
static void answer(mb_t *m, const uint8_t *rsp, size_t len, int64_t now_ms)
{
    const uint8_t *pdu = rsp + m->header_len;
    size_t n, words = (size_t)m->conf.tag_words;
    unsigned pc;

    if (len < m->header_len + 2 + m->crc_len) {
        garbage(m, now_ms);
        return;
    }
    n = len - m->header_len - m->crc_len;
    /* TCP: protocol id 0, MBAP length, our unit id.  RTU: libmodbus checked
     * the CRC and the slave address. */
    if (m->tcp && (rsp[2] || rsp[3] || (size_t)(rsp[4] << 8 | rsp[5]) != len - 6 ||
                   rsp[6] != m->req[0])) {
        garbage(m, now_ms);
        return;
    }
    if (pdu[0] == (m->req[1] | 0x80) && n == 2) {
        m->stats.exceptions++;
        answered(m);
        poll_done(m, now_ms);
        return;
    }
    if (pdu[0] != m->req[1]) {
        garbage(m, now_ms);
        return;
    }
    switch (m->step) {
    case STEP_TAG:
        if (n != 2 + 2 * (1 + words) || pdu[1] != 2 * (1 + words))
            break;
        answered(m);
        pc = (unsigned)pdu[2] << 8 | pdu[3];
        if (pc >> 11 > words)
            m->stats.dropped++;
        else if (pc >> 11 > 0)
            sight(m, pdu + 4, pc >> 11, now_ms);
        poll_done(m, now_ms);
        return;
    case STEP_FLAG:
        if (n != 3 || pdu[1] != 1)
            break;
        answered(m);
        if (pdu[2] & 1)
            send_request(m, now_ms, STEP_ID, MODBUS_FC_READ_HOLDING_REGISTERS, m->conf.tag_addr,
                         (int)words);
        else
            poll_done(m, now_ms);
        return;
    case STEP_ID:
        if (n != 2 + 2 * words || pdu[1] != 2 * words)
            break;
        answered(m);
        sight(m, pdu + 2, words, now_ms);
        send_request(m, now_ms, STEP_CLEAR, MODBUS_FC_WRITE_SINGLE_COIL, m->conf.flag_coil, 0);
        return;
    case STEP_CLEAR:
        if (n != 5 || memcmp(pdu + 1, m->req + 2, 4) != 0)
            break;
        answered(m);
        poll_done(m, now_ms);
        return;
    }
    garbage(m, now_ms);
}

static void receive(mb_t *m, int64_t now_ms)
{
    uint8_t rsp[MODBUS_MAX_ADU_LENGTH];
    int rc;

    m->settle_at = -1;
    rc = modbus_receive_confirmation(m->mb, rsp);
    if (rc < 0 && (errno == ECONNRESET || errno == EBADF || errno == EIO || errno == ENOTCONN ||
                   errno == EPIPE)) {
        link_down(m, now_ms, errno);
    } else if (rc <= 0) {
        /* Bad CRC, a frame cut short (ETIMEDOUT), too long, or (rc 0) another
         * slave's frame. */
        garbage(m, now_ms);
    } else {
        answer(m, rsp, (size_t)rc, now_ms);
    }
}

static int pending_bytes(mb_t *m, int64_t now_ms)
{
    int avail = 0;

    if (ioctl(m->fd, FIONREAD, &avail) != 0) {
        link_down(m, now_ms, errno);
        return -1;
    }
    return avail;
}

static void settle(mb_t *m, int avail, int64_t now_ms)
{
    m->settle_avail = avail;
    m->settle_at = now_ms + line_ms(m, m->expect_len - (size_t)avail) + m->conf.byte_timeout_ms;
}

static void readable(mb_t *m, short revents, int64_t now_ms)
{
    int avail;

    if (revents & (POLLERR | POLLNVAL)) {
        link_down(m, now_ms, EIO);
        return;
    }
    avail = pending_bytes(m, now_ms);
    if (avail < 0)
        return;
    if (avail == 0) {
        /* A readable socket with nothing to read is the reader's close. */
        if (m->tcp || (revents & POLLHUP))
            link_down(m, now_ms, ECONNRESET);
        return;
    }
    if (m->step == STEP_IDLE) {
        m->stats.garbage++;     /* unasked bytes: junk, or a late answer */
        modbus_flush(m->mb);
        return;
    }
    if ((size_t)avail >= m->expect_len)
        receive(m, now_ms);
    else
        settle(m, avail, now_ms);
}

/* The outstanding request's timed work. */
static void awaiting(mb_t *m, int64_t now_ms)
{
    int avail;

    if (m->settle_at >= 0 && now_ms >= m->settle_at) {
        avail = pending_bytes(m, now_ms);
        if (avail < 0)
            return;
        if ((size_t)avail < m->expect_len && avail > m->settle_avail &&
            now_ms < m->reply_deadline)
            settle(m, avail, now_ms);     /* still arriving: give it its time */
        else
            receive(m, now_ms);
    } else if (now_ms >= m->reply_deadline) {
        avail = pending_bytes(m, now_ms);
        if (avail < 0)
            return;
        if (avail > 0) {
            receive(m, now_ms);
        } else {
            m->stats.timeouts++;
            failed(m, now_ms, ETIMEDOUT);
        }
    }
}

static size_t mb_pollfds(void *state, struct pollfd *fds, size_t max)
{
    mb_t *m = state;

    if (max == 0 || m->link == LINK_DOWN || (m->link == LINK_UP && m->settle_at >= 0))
        return 0;
    fds[0].fd = m->fd;
    fds[0].events = m->link == LINK_CONNECTING ? POLLOUT : POLLIN;
    fds[0].revents = 0;
    return 1;
}

static int64_t mb_deadline(void *state)
{
    mb_t *m = state;

    switch (m->link) {
    case LINK_DOWN:
        return m->reconnect_at;
    case LINK_CONNECTING:
        return m->connect_deadline;
    default:
        if (m->step == STEP_IDLE)
            return m->next_poll_at;
        if (m->settle_at >= 0 && m->settle_at < m->reply_deadline)
            return m->settle_at;
        return m->reply_deadline;
    }
}

static void mb_service(void *state, const struct pollfd *fds, size_t n, int64_t now_ms)
{
    mb_t *m = state;
    short revents = 0;

    if (n > 0 && m->fd >= 0 && fds[0].fd == m->fd)
        revents = fds[0].revents;
    if (m->link == LINK_CONNECTING) {
        if (revents)
            finish_connect(m, now_ms);
        else if (now_ms >= m->connect_deadline)
            link_down(m, now_ms, ETIMEDOUT);
    } else if (m->link == LINK_UP && revents && m->settle_at < 0) {
        readable(m, revents, now_ms);
    }
    if (m->link == LINK_DOWN && now_ms >= m->reconnect_at)
        start_connect(m, now_ms);
    if (m->link == LINK_UP && m->step != STEP_IDLE)
        awaiting(m, now_ms);
    if (m->link == LINK_UP && m->step == STEP_IDLE && now_ms >= m->next_poll_at)
        start_poll(m, now_ms);
}

static tt_err_t mb_read(void *state, char *epc, size_t len, int64_t *seen_ms)
{
    mb_t *m = state;
    sighting_t *s;
    size_t n;

    if (m->count == 0)
        return TT_ERR_BUSY;
    s = &m->ring[m->head];
    m->head = (m->head + 1) % RING;
    m->count--;
    n = strlen(s->epc);
    if (n >= len)
        return TT_ERR_TOOBIG;
    memcpy(epc, s->epc, n + 1);
    *seen_ms = s->seen_ms;
    return TT_OK;
}

static int mb_present(void *state)
{
    mb_t *m = state;
    return m->link == LINK_UP && m->answered && m->failures < m->conf.max_failures;
}

static void mb_stats(void *state, tt_rfid_stats_t *out)
{
    *out = ((mb_t *)state)->stats;
}

const tt_rfid_ops_t tt_rfid_modbus_ops = {
    .name = "modbus",
    .open = mb_open,
    .close = mb_close,
    .pollfds = mb_pollfds,
    .deadline = mb_deadline,
    .service = mb_service,
    .read = mb_read,
    .present = mb_present,
    .stats = mb_stats,
    .sim = NULL,
};
