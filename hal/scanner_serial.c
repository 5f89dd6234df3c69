/*
 * The serial scanner backend: a scanner in USB CDC-ACM ("virtual COM port")
 * mode, or on a real UART, read through termios.
 *
 * Conf: device (required, e.g. /dev/ttyACM0 or a /dev/serial/by-id/ link),
 * baud (0 means 9600; otherwise one of the standard rates 1200..921600, else
 * TT_ERR_INVAL at open), reopen_ms (0 means 1000).  layout is not used: the
 * scanner sends characters, not keys.
 *
 * The line is put in raw mode (no echo, no translation, 8N1, CLOCAL) and
 * TIOCEXCL is set so that nothing else (ModemManager probing ttyACM*, a
 * getty) opens it while we hold it.  Codes end at CR or LF; CR LF ends a code
 * once (the empty code between them is not a code).  Every other byte is kept
 * except NUL, so GS (0x1D) and an AIM prefix ("]d2") pass through.  A partial
 * code is dropped TT_KEYMAP_PARTIAL_MS after its last byte (keymap.h).
 *
 * Unplug: a hangup (POLLHUP/POLLERR), end of file or a read error closes the
 * line; the partial code is dropped, present() says 0, and the path is opened
 * again every reopen_ms until it works (a CDC-ACM device may come back under
 * the same name, or a by-id link may be repointed).  A path that cannot be
 * opened, or is not a terminal, is missing rather than an error, at open()
 * as later: the scanner starts missing and the path is tried again.
 */
#include "scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "clock.h"
#include "keymap.h"

#define DEFAULT_BAUD 9600
#define DEFAULT_REOPEN_MS 1000

typedef struct {
    char path[sizeof ((tt_scanner_conf_t *)0)->device];
    speed_t speed;
    int reopen_ms;
    int fd;                 /* -1 while missing */
    int64_t reopen_at;      /* next open attempt while missing */
    tt_keymap_t km;
} serial_t;

static int baud_speed(int baud, speed_t *out)
{
    static const struct {
        int baud;
        speed_t speed;
    } rates[] = {
        {1200, B1200},     {2400, B2400},     {4800, B4800},     {9600, B9600},
        {19200, B19200},   {38400, B38400},   {57600, B57600},   {115200, B115200},
        {230400, B230400}, {460800, B460800}, {921600, B921600},
    };
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        if (rates[i].baud == baud) {
            *out = rates[i].speed;
            return 1;
        }
    return 0;
}

/* Opens and configures the line; returns 0 when the scanner is there. */
static int line_open(serial_t *s)
{
    struct termios t;
    int fd = open(s->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return -1;
    if (tcgetattr(fd, &t) != 0) {
        close(fd);
        return -1;
    }
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    /* VMIN 1 with O_NONBLOCK: no data reads as EAGAIN, so a read of 0 can
     * only mean the line hung up. */
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (cfsetispeed(&t, s->speed) != 0 || cfsetospeed(&t, s->speed) != 0 ||
        tcsetattr(fd, TCSANOW, &t) != 0) {
        close(fd);
        return -1;
    }
    (void)ioctl(fd, TIOCEXCL);   /* best effort: not every tty driver has it */
    s->fd = fd;
    return 0;
}

static void line_lost(serial_t *s, int64_t now_ms)
{
    close(s->fd);
    s->fd = -1;
    tt_keymap_reset(&s->km);
    s->reopen_at = now_ms + s->reopen_ms;
}

static tt_err_t serial_open(const tt_scanner_conf_t *conf, void **state)
{
    serial_t *s;
    speed_t speed;

    if (!conf->device[0] || conf->reopen_ms < 0)
        return TT_ERR_INVAL;
    if (!baud_speed(conf->baud ? conf->baud : DEFAULT_BAUD, &speed))
        return TT_ERR_INVAL;
    s = calloc(1, sizeof *s);
    if (!s)
        return TT_ERR_NOMEM;
    memcpy(s->path, conf->device, sizeof s->path);
    s->path[sizeof s->path - 1] = '\0';
    s->speed = speed;
    s->reopen_ms = conf->reopen_ms ? conf->reopen_ms : DEFAULT_REOPEN_MS;
    s->fd = -1;
    (void)tt_keymap_init(&s->km, "us");   /* the layout is not used */
    if (line_open(s) != 0)
        s->reopen_at = tt_clock_mono_ms() + s->reopen_ms;
    *state = s;
    return TT_OK;
}

static void serial_close(void *state)
{
    serial_t *s = state;

    if (s->fd >= 0)
        close(s->fd);
    free(s);
}

static size_t serial_pollfds(void *state, struct pollfd *fds, size_t max)
{
    serial_t *s = state;

    if (s->fd < 0 || max == 0)
        return 0;
    fds[0].fd = s->fd;
    fds[0].events = POLLIN;
    fds[0].revents = 0;
    return 1;
}

static int64_t serial_deadline(void *state)
{
    serial_t *s = state;
    int64_t d = tt_keymap_deadline(&s->km);

    if (s->fd < 0 && (d < 0 || s->reopen_at < d))
        d = s->reopen_at;
    return d;
}

static void feed(serial_t *s, const unsigned char *buf, size_t n, int64_t now_ms)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\r' || buf[i] == '\n')
            tt_keymap_end(&s->km);
        else
            tt_keymap_put(&s->km, (char)buf[i], now_ms);
    }
}

/* Reads everything waiting; the line is lost on hangup or error, after the
 * bytes that came before it are used. */
static void drain(serial_t *s, short revents, int64_t now_ms)
{
    unsigned char buf[256];

    for (;;) {
        ssize_t n = read(s->fd, buf, sizeof buf);
        if (n > 0) {
            feed(s, buf, (size_t)n, now_ms);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
            !(revents & (POLLHUP | POLLERR | POLLNVAL)))
            return;
        line_lost(s, now_ms);
        return;
    }
}

static void serial_service(void *state, const struct pollfd *fds, size_t n, int64_t now_ms)
{
    serial_t *s = state;

    for (size_t i = 0; i < n && s->fd >= 0; i++)
        if (fds[i].fd == s->fd && fds[i].revents)
            drain(s, fds[i].revents, now_ms);
    if (s->fd < 0 && now_ms >= s->reopen_at && line_open(s) != 0)
        s->reopen_at = now_ms + s->reopen_ms;
    tt_keymap_expire(&s->km, now_ms);
}

static tt_err_t serial_read(void *state, char *code, size_t len)
{
    return tt_keymap_read(&((serial_t *)state)->km, code, len);
}

static int serial_present(void *state)
{
    return ((serial_t *)state)->fd >= 0;
}

const tt_scanner_ops_t tt_scanner_serial_ops = {
    .name = "serial",
    .open = serial_open,
    .close = serial_close,
    .pollfds = serial_pollfds,
    .deadline = serial_deadline,
    .service = serial_service,
    .read = serial_read,
    .present = serial_present,
    .inject = NULL,
};
