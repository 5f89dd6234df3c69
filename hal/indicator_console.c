/* The console indicator: rings the terminal's bell ("\a") at the start of
 * every buzzer pulse; the lamps are left to the screen.
 *
 * Writes must never block the loop, even on a tty stopped by XOFF or a full
 * pipe: a device is opened with O_NONBLOCK, and a descriptor the caller gives
 * is reopened through /proc/self/fd with O_NONBLOCK, which makes a new open
 * file description and leaves the caller's flags alone (if /proc cannot
 * reopen it, the caller's descriptor is used as it is).  A bell that cannot
 * be written at once is dropped.  A device that fails is closed and reopened
 * after reconnect_ms. */
#include "indicator.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char device[256];       /* "" when ringing the caller's descriptor */
    int caller_fd;          /* the caller's, never closed here; -1 if none */
    int fd;                 /* what we write to; -1 while missing */
    int owned;              /* fd is ours to close */
    int broken;             /* the caller's descriptor failed */
    int reconnect_ms;
    int64_t reopen_at;
    int buzzer;
} con_t;

static void reopen(con_t *c)
{
    char path[64];

    if (c->device[0]) {
        c->fd = open(c->device, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        c->owned = c->fd >= 0;
        return;
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", c->caller_fd);
    c->fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    c->owned = c->fd >= 0;
    if (c->fd < 0)
        c->fd = c->caller_fd;
}

static tt_err_t con_open(const tt_indicator_conf_t *conf, void **state)
{
    con_t *c;

    if ((!conf->device[0] && conf->fd < 0) || conf->reconnect_ms < 1 ||
        conf->reconnect_ms > 600000)
        return TT_ERR_INVAL;
    c = calloc(1, sizeof *c);
    if (!c)
        return TT_ERR_NOMEM;
    snprintf(c->device, sizeof c->device, "%s", conf->device);
    c->caller_fd = conf->device[0] ? -1 : conf->fd;
    c->reconnect_ms = conf->reconnect_ms;
    c->reopen_at = 0;
    reopen(c);               /* a missing device is retried on the deadline */
    *state = c;
    return TT_OK;
}

static void con_close(void *state)
{
    con_t *c = state;

    if (c->owned)
        close(c->fd);
    free(c);
}

static size_t con_pollfds(void *state, struct pollfd *fds, size_t max)
{
    (void)state;
    (void)fds;
    (void)max;
    return 0;
}

static int64_t con_deadline(void *state)
{
    con_t *c = state;
    return c->fd < 0 && c->device[0] ? c->reopen_at : -1;
}

static void con_service(void *state, const struct pollfd *fds, size_t n, int64_t now_ms)
{
    con_t *c = state;

    (void)fds;
    (void)n;
    if (c->fd < 0 && c->device[0] && now_ms >= c->reopen_at) {
        reopen(c);
        if (c->fd < 0)
            c->reopen_at = now_ms + c->reconnect_ms;
    }
}

static void ring(con_t *c, int64_t now_ms)
{
    if (c->fd < 0)
        return;
    if (write(c->fd, "\a", 1) == 1) {
        c->broken = 0;
        return;
    }
    if (errno == EAGAIN || errno == EINTR)
        return;               /* dropped: a bell is not worth a wait */
    if (c->device[0]) {
        close(c->fd);
        c->fd = -1;
        c->owned = 0;
        c->reopen_at = now_ms + c->reconnect_ms;
    } else {
        c->broken = 1;
    }
}

static void con_output(void *state, tt_indicator_state_t lamps, int buzzer, int64_t now_ms)
{
    con_t *c = state;

    (void)lamps;
    if (buzzer && !c->buzzer)
        ring(c, now_ms);
    c->buzzer = buzzer;
}

static int con_present(void *state)
{
    con_t *c = state;
    return c->fd >= 0 && !c->broken;
}

const tt_indicator_ops_t tt_indicator_console_ops = {
    .name = "console",
    .error_pulses = 3,
    .error_ms = 150,
    .open = con_open,
    .close = con_close,
    .pollfds = con_pollfds,
    .deadline = con_deadline,
    .service = con_service,
    .output = con_output,
    .present = con_present,
    .sim_view = NULL,
    .sim_missing = NULL,
};
