/* The fake reader: a simulated reader polled on the same schedule as a real
 * one, scripted through tt_rfid_sim().  Everything happens on the deadline
 * (no descriptors), so tests drive it with their own now_ms values.  Faults
 * show at poll time: the fake does not simulate time on the wire, so a
 * scripted timeout counts at once rather than timeout_ms later. */
#include "rfid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RING 32      /* sightings waiting for tt_rfid_read */
#define CMDS 64      /* sim commands waiting for the next service */
#define TAPS 16      /* one-shot tags waiting for answered polls */
#define FAULTS 16    /* one-shot faults waiting for polls */

typedef struct {
    char epc[TT_RFID_EPC_MAX];
    int64_t seen_ms;
} sighting_t;

typedef struct {
    tt_rfid_sim_t what;
    char epc[TT_RFID_EPC_MAX];
} cmd_t;

typedef struct {
    int poll_ms, max_failures, reconnect_ms;
    cmd_t cmds[CMDS];
    size_t ncmds;
    /* The simulated reader. */
    char placed[TT_RFID_EPC_MAX];       /* "" when nothing lies on it */
    char taps[TAPS][TT_RFID_EPC_MAX];
    size_t tap_head, ntaps;
    tt_rfid_sim_t faults[FAULTS];       /* TIMEOUT or GARBAGE */
    size_t fault_head, nfaults;
    int silent, unplugged;
    /* The link, as the real backend keeps it. */
    int up, answered, failures;
    int64_t reconnect_at, next_poll_at;
    sighting_t ring[RING];
    size_t head, count;
    tt_rfid_stats_t stats;
} fake_t;

static tt_err_t fake_open(const tt_rfid_conf_t *conf, void **state)
{
    fake_t *f;

    if (conf->poll_ms < 1 || conf->poll_ms > 60000 || conf->max_failures < 1 ||
        conf->max_failures > 1000 || conf->reconnect_ms < 1 || conf->reconnect_ms > 600000)
        return TT_ERR_INVAL;
    f = calloc(1, sizeof *f);
    if (!f)
        return TT_ERR_NOMEM;
    f->poll_ms = conf->poll_ms;
    f->max_failures = conf->max_failures;
    f->reconnect_ms = conf->reconnect_ms;
    f->reconnect_at = 0;     /* the link opens at the first service */
    *state = f;
    return TT_OK;
}

static void fake_close(void *state)
{
    free(state);
}

static size_t fake_pollfds(void *state, struct pollfd *fds, size_t max)
{
    (void)state;
    (void)fds;
    (void)max;
    return 0;
}

static int64_t fake_deadline(void *state)
{
    fake_t *f = state;

    if (f->ncmds > 0)
        return 0;
    return f->up ? f->next_poll_at : f->reconnect_at;
}

static void drop(fake_t *f, int64_t now_ms)
{
    if (!f->up)
        return;
    f->up = 0;
    f->answered = 0;
    f->stats.disconnects++;
    f->reconnect_at = now_ms + f->reconnect_ms;
}

static void sight(fake_t *f, const char *epc, int64_t now_ms)
{
    sighting_t *s;

    f->stats.sightings++;
    if (f->count == RING) {
        f->stats.dropped++;
        return;
    }
    s = &f->ring[(f->head + f->count) % RING];
    strcpy(s->epc, epc);     /* both TT_RFID_EPC_MAX, checked by fake_sim */
    s->seen_ms = now_ms;
    f->count++;
}

static void apply(fake_t *f, const cmd_t *c, int64_t now_ms)
{
    switch (c->what) {
    case TT_RFID_SIM_PLACE:
        strcpy(f->placed, c->epc);
        break;
    case TT_RFID_SIM_REMOVE:
        f->placed[0] = '\0';
        break;
    case TT_RFID_SIM_TAP:
        if (f->ntaps < TAPS) {
            strcpy(f->taps[(f->tap_head + f->ntaps) % TAPS], c->epc);
            f->ntaps++;
        }
        break;
    case TT_RFID_SIM_TIMEOUT:
    case TT_RFID_SIM_GARBAGE:
        if (f->nfaults < FAULTS) {
            f->faults[(f->fault_head + f->nfaults) % FAULTS] = c->what;
            f->nfaults++;
        }
        break;
    case TT_RFID_SIM_SILENT:
        f->silent = 1;
        break;
    case TT_RFID_SIM_ANSWER:
        f->silent = 0;
        break;
    case TT_RFID_SIM_DISCONNECT:
        drop(f, now_ms);
        break;
    case TT_RFID_SIM_UNPLUG:
        f->unplugged = 1;
        drop(f, now_ms);
        break;
    case TT_RFID_SIM_PLUG:
        f->unplugged = 0;
        break;
    }
}

/* One poll cycle of the simulated reader. */
static void poll_reader(fake_t *f, int64_t now_ms)
{
    tt_rfid_sim_t fault = TT_RFID_SIM_ANSWER;

    f->stats.polls++;
    if (f->nfaults > 0) {
        fault = f->faults[f->fault_head];
        f->fault_head = (f->fault_head + 1) % FAULTS;
        f->nfaults--;
    }
    if (f->silent || fault == TT_RFID_SIM_TIMEOUT || fault == TT_RFID_SIM_GARBAGE) {
        if (fault == TT_RFID_SIM_GARBAGE && !f->silent)
            f->stats.garbage++;
        else
            f->stats.timeouts++;
        if (++f->failures >= f->max_failures)
            drop(f, now_ms);
        return;
    }
    f->failures = 0;
    f->answered = 1;
    if (f->ntaps > 0) {
        sight(f, f->taps[f->tap_head], now_ms);
        f->tap_head = (f->tap_head + 1) % TAPS;
        f->ntaps--;
    } else if (f->placed[0]) {
        sight(f, f->placed, now_ms);
    }
}

static void fake_service(void *state, const struct pollfd *fds, size_t n, int64_t now_ms)
{
    fake_t *f = state;

    (void)fds;
    (void)n;
    for (size_t i = 0; i < f->ncmds; i++)
        apply(f, &f->cmds[i], now_ms);
    f->ncmds = 0;
    if (!f->up && now_ms >= f->reconnect_at) {
        if (f->unplugged) {
            f->stats.last_errno = ENOENT;
            f->reconnect_at = now_ms + f->reconnect_ms;
        } else {
            f->up = 1;
            f->failures = 0;
            f->stats.connects++;
            f->next_poll_at = now_ms;
        }
    }
    if (f->up && now_ms >= f->next_poll_at) {
        /* A late loop polls once and keeps the cadence from now on. */
        f->next_poll_at += f->poll_ms;
        if (f->next_poll_at <= now_ms)
            f->next_poll_at = now_ms + f->poll_ms;
        poll_reader(f, now_ms);
    }
}

static tt_err_t fake_read(void *state, char *epc, size_t len, int64_t *seen_ms)
{
    fake_t *f = state;
    sighting_t *s;
    size_t n;

    if (f->count == 0)
        return TT_ERR_BUSY;
    s = &f->ring[f->head];
    f->head = (f->head + 1) % RING;
    f->count--;
    n = strlen(s->epc);
    if (n >= len)
        return TT_ERR_TOOBIG;
    memcpy(epc, s->epc, n + 1);
    *seen_ms = s->seen_ms;
    return TT_OK;
}

static int fake_present(void *state)
{
    fake_t *f = state;
    return f->up && f->answered && f->failures < f->max_failures;
}

static void fake_stats(void *state, tt_rfid_stats_t *out)
{
    *out = ((fake_t *)state)->stats;
}

static int valid_epc(const char *epc)
{
    size_t n;

    if (!epc)
        return 0;
    n = strlen(epc);
    if (n == 0 || n >= TT_RFID_EPC_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((epc[i] >= '0' && epc[i] <= '9') || (epc[i] >= 'A' && epc[i] <= 'F')))
            return 0;
    return 1;
}

static tt_err_t fake_sim(void *state, tt_rfid_sim_t what, const char *epc)
{
    fake_t *f = state;
    cmd_t *c;

    if ((unsigned)what > TT_RFID_SIM_PLUG)
        return TT_ERR_INVAL;
    if ((what == TT_RFID_SIM_PLACE || what == TT_RFID_SIM_TAP) && !valid_epc(epc))
        return TT_ERR_INVAL;
    if (f->ncmds == CMDS)
        return TT_ERR_FULL;
    c = &f->cmds[f->ncmds++];
    c->what = what;
    c->epc[0] = '\0';
    if (what == TT_RFID_SIM_PLACE || what == TT_RFID_SIM_TAP)
        strcpy(c->epc, epc);
    return TT_OK;
}

const tt_rfid_ops_t tt_rfid_fake_ops = {
    .name = "fake",
    .open = fake_open,
    .close = fake_close,
    .pollfds = fake_pollfds,
    .deadline = fake_deadline,
    .service = fake_service,
    .read = fake_read,
    .present = fake_present,
    .stats = fake_stats,
    .sim = fake_sim,
};
