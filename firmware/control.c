#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct {
    int fd;               /* -1: free slot */
    uint64_t id;
    size_t used;
    int overlong;         /* discarding until the next newline */
    char buf[TT_CONTROL_LINE_MAX];
} client_t;

struct tt_control {
    int listener;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    uint64_t next_id;
    client_t clients[TT_CONTROL_CLIENTS];
};

tt_err_t tt_control_open(const char *path, tt_control_t **out, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    tt_control_t *ctl;

    *out = NULL;
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "%s: socket path too long", path);
        return TT_ERR_INVAL;
    }
    ctl = calloc(1, sizeof *ctl);
    if (!ctl)
        return TT_ERR_NOMEM;
    for (int i = 0; i < TT_CONTROL_CLIENTS; i++)
        ctl->clients[i].fd = -1;
    ctl->next_id = 1;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    ctl->listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (ctl->listener < 0)
        goto fail;
    unlink(path);
    if (bind(ctl->listener, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        chmod(path, 0660) != 0 || listen(ctl->listener, 8) != 0)
        goto fail;
    memcpy(ctl->path, path, strlen(path) + 1);
    *out = ctl;
    return TT_OK;
fail:
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    if (ctl->listener >= 0)
        close(ctl->listener);
    free(ctl);
    return TT_ERR_IO;
}

static void drop(client_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->used = 0;
    c->overlong = 0;
}

void tt_control_close(tt_control_t *ctl)
{
    if (!ctl)
        return;
    for (int i = 0; i < TT_CONTROL_CLIENTS; i++)
        drop(&ctl->clients[i]);
    close(ctl->listener);
    unlink(ctl->path);
    free(ctl);
}

size_t tt_control_pollfds(const tt_control_t *ctl, struct pollfd *fds, size_t max)
{
    size_t n = 0;
    if (max == 0)
        return 0;
    fds[n].fd = ctl->listener;
    fds[n++].events = POLLIN;
    for (int i = 0; i < TT_CONTROL_CLIENTS && n < max; i++) {
        if (ctl->clients[i].fd < 0)
            continue;
        fds[n].fd = ctl->clients[i].fd;
        fds[n++].events = POLLIN;
    }
    return n;
}

static client_t *by_fd(tt_control_t *ctl, int fd)
{
    for (int i = 0; i < TT_CONTROL_CLIENTS; i++)
        if (ctl->clients[i].fd == fd)
            return &ctl->clients[i];
    return NULL;
}

static void accept_all(tt_control_t *ctl)
{
    int fd;
    while ((fd = accept(ctl->listener, NULL, NULL)) >= 0) {
        client_t *c = by_fd(ctl, -1);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        if (!c) {
            static const char busy[] = "err busy too many control clients\n";
            if (write(fd, busy, sizeof busy - 1) < 0) {
                /* closing anyway */
            }
            close(fd);
            continue;
        }
        c->fd = fd;
        c->id = ctl->next_id++;
        c->used = 0;
        c->overlong = 0;
    }
}

static void read_client(tt_control_t *ctl, client_t *c, tt_control_line_fn fn, void *ctx)
{
    for (;;) {
        ssize_t r = read(c->fd, c->buf + c->used, sizeof c->buf - c->used);
        size_t start = 0;
        uint64_t id = c->id;
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
            drop(c);
            return;
        }
        if (r < 0)
            return;
        c->used += (size_t)r;
        for (size_t i = 0; i < c->used; i++) {
            if (c->buf[i] != '\n')
                continue;
            c->buf[i] = '\0';
            if (i > start && c->buf[i - 1] == '\r')
                c->buf[i - 1] = '\0';
            if (c->overlong)
                c->overlong = 0;
            else
                fn(ctx, id, c->buf + start);
            if (c->fd < 0 || c->id != id)
                return;   /* the handler's reply dropped this client */
            start = i + 1;
        }
        memmove(c->buf, c->buf + start, c->used - start);
        c->used -= start;
        if (c->used == sizeof c->buf) {
            if (!c->overlong)
                tt_control_reply(ctl, id, "err toobig line longer than %d bytes",
                                 TT_CONTROL_LINE_MAX - 1);
            if (c->fd < 0)
                return;
            c->overlong = 1;
            c->used = 0;
        }
    }
}

void tt_control_handle(tt_control_t *ctl, const struct pollfd *fds, size_t n,
                       tt_control_line_fn fn, void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        if (!fds[i].revents)
            continue;
        if (fds[i].fd == ctl->listener) {
            accept_all(ctl);
            continue;
        }
        client_t *c = by_fd(ctl, fds[i].fd);
        if (c)
            read_client(ctl, c, fn, ctx);
    }
}

tt_err_t tt_control_reply(tt_control_t *ctl, uint64_t client, const char *fmt, ...)
{
    char line[TT_CONTROL_REPLY_MAX];
    client_t *c = NULL;
    va_list ap;
    int n;

    for (int i = 0; i < TT_CONTROL_CLIENTS; i++)
        if (ctl->clients[i].fd >= 0 && ctl->clients[i].id == client)
            c = &ctl->clients[i];
    if (!c)
        return TT_ERR_NOTFOUND;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return TT_ERR_INVAL;
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    /* Replies are short and the socket buffer is large: a partial write
     * means the client stopped reading, and it is dropped. */
    if (write(c->fd, line, (size_t)n) != n) {
        drop(c);
        return TT_ERR_NOTFOUND;
    }
    return TT_OK;
}
