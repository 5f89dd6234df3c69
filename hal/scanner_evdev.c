/*
 * The evdev scanner backend: a keyboard-wedge scanner left to the kernel's
 * HID driver, read from its /dev/input/event* node.
 *
 * Conf: device (required; best a /dev/input/by-id/...-event-kbd link, which
 * survives replugging), layout (keymap.h; unknown is TT_ERR_INVAL at open),
 * grab, reopen_ms (0 means 1000).
 *
 * With grab set, the node is grabbed (EVIOCGRAB) so that the scanner's
 * keystrokes reach nobody else (the console, a login prompt).  A node that
 * opens but cannot be grabbed (another program holds the grab, or the path
 * is not an evdev node at all) is treated as missing and tried again every
 * reopen_ms: reading a scanner whose keys also type elsewhere is what grab
 * exists to prevent, so it is not done silently.  Without grab, any readable
 * node that yields struct input_event records works (the tests use a FIFO).
 *
 * Records are struct input_event; EV_KEY events go to the keymap (Enter and
 * Tab end a code).  SYN_DROPPED (the kernel's buffer overflowed) loses the
 * key state, so the partial code is dropped rather than delivered with
 * characters missing.  A partial code is dropped TT_KEYMAP_PARTIAL_MS after
 * its last key.
 *
 * Unplug: a read error (ENODEV when the device goes away) or end of file
 * closes the node; the partial code is dropped, present() says 0, and the
 * path is opened again every reopen_ms.  A path that cannot be opened at
 * open() is not an error: the scanner starts missing.
 */
#include "scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "clock.h"
#include "keymap.h"

#define DEFAULT_REOPEN_MS 1000
#define EVENTS 64

typedef struct {
    char path[sizeof ((tt_scanner_conf_t *)0)->device];
    int grab;
    int reopen_ms;
    int fd;                 /* -1 while missing */
    int64_t reopen_at;      /* next open attempt while missing */
    /* bytes read but not yet a whole record (a pipe may split one) */
    unsigned char buf[EVENTS * sizeof(struct input_event)];
    size_t have;
    tt_keymap_t km;
} evdev_t;

/* Opens (and grabs) the node; returns 0 when the scanner is there. */
static int node_open(evdev_t *e)
{
    int fd = open(e->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return -1;
    if (e->grab && ioctl(fd, EVIOCGRAB, 1) != 0) {
        close(fd);
        return -1;
    }
    e->fd = fd;
    e->have = 0;
    return 0;
}

/* Closing the descriptor also ends the grab. */
static void node_lost(evdev_t *e, int64_t now_ms)
{
    close(e->fd);
    e->fd = -1;
    e->have = 0;
    tt_keymap_reset(&e->km);
    e->reopen_at = now_ms + e->reopen_ms;
}

static tt_err_t evdev_open(const tt_scanner_conf_t *conf, void **state)
{
    evdev_t *e;

    if (!conf->device[0] || conf->reopen_ms < 0 || !tt_keymap_known(conf->layout))
        return TT_ERR_INVAL;
    e = calloc(1, sizeof *e);
    if (!e)
        return TT_ERR_NOMEM;
    memcpy(e->path, conf->device, sizeof e->path);
    e->path[sizeof e->path - 1] = '\0';
    e->grab = conf->grab;
    e->reopen_ms = conf->reopen_ms ? conf->reopen_ms : DEFAULT_REOPEN_MS;
    e->fd = -1;
    (void)tt_keymap_init(&e->km, conf->layout);   /* known: checked above */
    if (node_open(e) != 0)
        e->reopen_at = tt_clock_mono_ms() + e->reopen_ms;
    *state = e;
    return TT_OK;
}

static void evdev_close(void *state)
{
    evdev_t *e = state;

    if (e->fd >= 0)
        close(e->fd);
    free(e);
}

static size_t evdev_pollfds(void *state, struct pollfd *fds, size_t max)
{
    evdev_t *e = state;

    if (e->fd < 0 || max == 0)
        return 0;
    fds[0].fd = e->fd;
    fds[0].events = POLLIN;
    fds[0].revents = 0;
    return 1;
}

static int64_t evdev_deadline(void *state)
{
    evdev_t *e = state;
    int64_t d = tt_keymap_deadline(&e->km);

    if (e->fd < 0 && (d < 0 || e->reopen_at < d))
        d = e->reopen_at;
    return d;
}

static void handle(evdev_t *e, const struct input_event *ev, int64_t now_ms)
{
    if (ev->type == EV_KEY)
        tt_keymap_feed_key(&e->km, ev->code, ev->value, now_ms);
    else if (ev->type == EV_SYN && ev->code == SYN_DROPPED)
        tt_keymap_reset(&e->km);
}

/* Uses the whole records in buf and keeps the tail of a split one. */
static void consume(evdev_t *e, int64_t now_ms)
{
    size_t off = 0;
    struct input_event ev;

    while (e->have - off >= sizeof ev) {
        memcpy(&ev, e->buf + off, sizeof ev);   /* buf has no alignment */
        handle(e, &ev, now_ms);
        off += sizeof ev;
    }
    memmove(e->buf, e->buf + off, e->have - off);
    e->have -= off;
}

static void drain(evdev_t *e, int64_t now_ms)
{
    for (;;) {
        ssize_t n = read(e->fd, e->buf + e->have, sizeof e->buf - e->have);
        if (n > 0) {
            e->have += (size_t)n;
            consume(e, now_ms);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        node_lost(e, now_ms);   /* ENODEV on unplug; 0 when a pipe's writer left */
        return;
    }
}

static void evdev_service(void *state, const struct pollfd *fds, size_t n, int64_t now_ms)
{
    evdev_t *e = state;

    for (size_t i = 0; i < n && e->fd >= 0; i++) {
        if (fds[i].fd != e->fd || !fds[i].revents)
            continue;
        if (fds[i].revents & POLLNVAL)
            node_lost(e, now_ms);
        else
            drain(e, now_ms);
    }
    if (e->fd < 0 && now_ms >= e->reopen_at && node_open(e) != 0)
        e->reopen_at = now_ms + e->reopen_ms;
    tt_keymap_expire(&e->km, now_ms);
}

static tt_err_t evdev_read(void *state, char *code, size_t len)
{
    return tt_keymap_read(&((evdev_t *)state)->km, code, len);
}

static int evdev_present(void *state)
{
    return ((evdev_t *)state)->fd >= 0;
}

const tt_scanner_ops_t tt_scanner_evdev_ops = {
    .name = "evdev",
    .open = evdev_open,
    .close = evdev_close,
    .pollfds = evdev_pollfds,
    .deadline = evdev_deadline,
    .service = evdev_service,
    .read = evdev_read,
    .present = evdev_present,
    .inject = NULL,
};
