/* The fake scanner: a bounded ring of injected codes, with a self-pipe whose
 * readability tells the poll loop that codes are waiting. */
#include "scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RING 64

typedef struct {
    int pipe[2];
    int missing;             /* test/sim: unplugged; injected codes are refused */
    size_t head, count;
    char codes[RING][TT_SCANNER_CODE_MAX];
} fake_t;

static tt_err_t fake_open(const tt_scanner_conf_t *conf, void **state)
{
    fake_t *f;
    (void)conf;
    f = calloc(1, sizeof *f);
    if (!f)
        return TT_ERR_NOMEM;
    if (pipe(f->pipe) != 0) {
        free(f);
        return TT_ERR_IO;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(f->pipe[i], F_SETFL, fcntl(f->pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(f->pipe[i], F_SETFD, FD_CLOEXEC);
    }
    *state = f;
    return TT_OK;
}

static void fake_close(void *state)
{
    fake_t *f = state;
    close(f->pipe[0]);
    close(f->pipe[1]);
    free(f);
}

static size_t fake_pollfds(void *state, struct pollfd *fds, size_t max)
{
    if (max == 0)
        return 0;
    fds[0].fd = ((fake_t *)state)->pipe[0];
    fds[0].events = POLLIN;
    return 1;
}

static int64_t fake_deadline(void *state)
{
    (void)state;
    return -1;
}

/* Codes are read straight from the ring; the pipe is drained by read. */
static void fake_service(void *state, const struct pollfd *fds, size_t n, int64_t now_ms)
{
    (void)state;
    (void)fds;
    (void)n;
    (void)now_ms;
}

static int fake_present(void *state)
{
    return !((fake_t *)state)->missing;
}

/* "\x01missing" and "\x01present" are not codes but the sim's unplug and
 * replug: a real code never starts with SOH. */
static int sim_command(fake_t *f, const char *code)
{
    if (strcmp(code, TT_SCANNER_SIM_UNPLUG) == 0) {
        f->missing = 1;
        f->count = 0;   /* an unplugged scanner's unread codes are gone */
        return 1;
    }
    if (strcmp(code, TT_SCANNER_SIM_PLUG) == 0) {
        f->missing = 0;
        return 1;
    }
    return 0;
}

static tt_err_t fake_read(void *state, char *code, size_t len)
{
    fake_t *f = state;
    char drain[64];
    size_t n;

    if (f->count == 0) {
        while (read(f->pipe[0], drain, sizeof drain) > 0)
            ;
        return TT_ERR_BUSY;
    }
    n = strlen(f->codes[f->head]);
    if (n >= len) {
        f->head = (f->head + 1) % RING;
        f->count--;
        return TT_ERR_TOOBIG;
    }
    memcpy(code, f->codes[f->head], n + 1);
    f->head = (f->head + 1) % RING;
    f->count--;
    return TT_OK;
}

static tt_err_t fake_inject(void *state, const char *code)
{
    fake_t *f = state;
    size_t n = strlen(code);

    if (sim_command(f, code))
        return TT_OK;
    if (f->missing)
        return TT_ERR_DEVICE;
    if (n == 0 || n >= TT_SCANNER_CODE_MAX)
        return TT_ERR_INVAL;
    if (f->count == RING)
        return TT_ERR_FULL;
    memcpy(f->codes[(f->head + f->count) % RING], code, n + 1);
    f->count++;
    /* A full pipe already signals readability; EAGAIN is harmless. */
    if (write(f->pipe[1], "s", 1) < 0 && errno != EAGAIN)
        return TT_ERR_IO;
    return TT_OK;
}

const tt_scanner_ops_t tt_scanner_fake_ops = {
    .name = "fake",
    .open = fake_open,
    .close = fake_close,
    .pollfds = fake_pollfds,
    .deadline = fake_deadline,
    .service = fake_service,
    .read = fake_read,
    .present = fake_present,
    .inject = fake_inject,
};
