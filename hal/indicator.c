/* indicator dispatch: keeps the wished lamps and the running beep's timing,
 * and tells the backend at every change. */
#include "indicator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tt_indicator {
    const tt_indicator_ops_t *ops;
    void *state;
    int ok_ms, error_ms, error_pulses, gap_ms;
    tt_indicator_state_t lamps;
    int dirty;                      /* lamps changed since the backend was told */
    int pending;                    /* a beep waits for service */
    tt_indicator_beep_t pending_beep;
    /* The beep sounding. */
    int beeping, buzzer, pulses_left, pulse_ms;
    tt_indicator_beep_t beep;
    int64_t edge_at;                /* when the buzzer next turns on or off */
    int64_t last_now;               /* now_ms of the latest service */
};

/* Backends are declared here, defined in indicator_<name>.c. */
extern const tt_indicator_ops_t tt_indicator_fake_ops;
extern const tt_indicator_ops_t tt_indicator_console_ops;
extern const tt_indicator_ops_t tt_indicator_modbus_ops;

static const tt_indicator_ops_t *const backends[] = {
    &tt_indicator_fake_ops,
    &tt_indicator_console_ops,
    &tt_indicator_modbus_ops,
};

static const tt_indicator_ops_t *find(const char *driver)
{
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->name, driver) == 0)
            return backends[i];
    return NULL;
}

int tt_indicator_known(const char *driver)
{
    return find(driver) != NULL;
}

void tt_indicator_conf_defaults(tt_indicator_conf_t *conf)
{
    memset(conf, 0, sizeof *conf);
    snprintf(conf->driver, sizeof conf->driver, "fake");
    snprintf(conf->transport, sizeof conf->transport, "tcp");
    conf->port = 502;
    conf->baud = 9600;
    conf->parity = 'N';
    conf->data_bits = 8;
    conf->stop_bits = 1;
    conf->slave = 1;
    conf->coil_green = 0;
    conf->coil_red = 1;
    conf->coil_amber = 2;
    conf->coil_buzzer = 3;
    conf->timeout_ms = 50;
    conf->reconnect_ms = 2000;
    conf->refresh_ms = 5000;
    conf->fd = -1;
    conf->beep_ok_ms = 100;
    conf->beep_error_ms = 0;
    conf->beep_error_pulses = 0;
    conf->beep_gap_ms = 150;
}

static void tell(tt_indicator_t *ind, int64_t now_ms)
{
    ind->ops->output(ind->state, ind->lamps, ind->buzzer, now_ms);
    ind->dirty = 0;
}

tt_err_t tt_indicator_open(const tt_indicator_conf_t *conf, tt_indicator_t **out)
{
    const tt_indicator_ops_t *ops = find(conf->driver);
    tt_indicator_t *ind;
    tt_err_t rc;

    *out = NULL;
    if (!ops)
        return TT_ERR_NOTFOUND;
    if (conf->beep_ok_ms < 1 || conf->beep_ok_ms > 10000 || conf->beep_error_ms < 0 ||
        conf->beep_error_ms > 10000 || conf->beep_error_pulses < 0 ||
        conf->beep_error_pulses > 10 || conf->beep_gap_ms < 1 || conf->beep_gap_ms > 10000)
        return TT_ERR_INVAL;
    ind = calloc(1, sizeof *ind);
    if (!ind)
        return TT_ERR_NOMEM;
    ind->ops = ops;
    ind->ok_ms = conf->beep_ok_ms;
    ind->error_ms = conf->beep_error_ms ? conf->beep_error_ms : ops->error_ms;
    ind->error_pulses = conf->beep_error_pulses ? conf->beep_error_pulses : ops->error_pulses;
    ind->gap_ms = conf->beep_gap_ms;
    ind->lamps = TT_INDICATOR_OFF;
    ind->dirty = 1;          /* the backend learns "all off" at the first service */
    rc = ops->open(conf, &ind->state);
    if (rc != TT_OK) {
        free(ind);
        return rc;
    }
    *out = ind;
    return TT_OK;
}

void tt_indicator_close(tt_indicator_t *ind)
{
    if (!ind)
        return;
    /* A buzzer left sounding would sound until someone cuts the power. */
    if (ind->buzzer) {
        ind->buzzer = 0;
        tell(ind, ind->last_now);
    }
    ind->ops->close(ind->state);
    free(ind);
}

tt_err_t tt_indicator_set(tt_indicator_t *ind, tt_indicator_state_t state)
{
    if ((unsigned)state > TT_INDICATOR_OFFLINE)
        return TT_ERR_INVAL;
    if (state != ind->lamps) {
        ind->lamps = state;
        ind->dirty = 1;
    }
    return TT_OK;
}

tt_err_t tt_indicator_beep(tt_indicator_t *ind, tt_indicator_beep_t beep)
{
    if ((unsigned)beep > TT_INDICATOR_BEEP_ERROR)
        return TT_ERR_INVAL;
    if (beep == TT_INDICATOR_BEEP_OK &&
        ((ind->beeping && ind->beep == TT_INDICATOR_BEEP_ERROR) ||
         (ind->pending && ind->pending_beep == TT_INDICATOR_BEEP_ERROR)))
        return TT_OK;
    ind->pending = 1;
    ind->pending_beep = beep;
    return TT_OK;
}

size_t tt_indicator_pollfds(const tt_indicator_t *ind, struct pollfd *fds, size_t max)
{
    return ind->ops->pollfds(ind->state, fds, max);
}

int64_t tt_indicator_deadline(const tt_indicator_t *ind)
{
    int64_t d, b;

    if (ind->pending || ind->dirty)
        return 0;
    d = ind->beeping ? ind->edge_at : -1;
    b = ind->ops->deadline(ind->state);
    if (b >= 0 && (d < 0 || b < d))
        d = b;
    return d;
}

void tt_indicator_service(tt_indicator_t *ind, const struct pollfd *fds, size_t n,
                          int64_t now_ms)
{
    ind->last_now = now_ms;
    if (ind->pending) {
        ind->pending = 0;
        ind->beep = ind->pending_beep;
        ind->beeping = 1;
        ind->buzzer = 1;
        if (ind->beep == TT_INDICATOR_BEEP_OK) {
            ind->pulses_left = 1;
            ind->pulse_ms = ind->ok_ms;
        } else {
            ind->pulses_left = ind->error_pulses;
            ind->pulse_ms = ind->error_ms;
        }
        ind->edge_at = now_ms + ind->pulse_ms;
        tell(ind, now_ms);
    }
    /* Edges keep their own cadence; a loop that comes late plays the ones it
     * missed at once, so a bell train still rings the right number of times. */
    while (ind->beeping && now_ms >= ind->edge_at) {
        if (ind->buzzer) {
            ind->buzzer = 0;
            if (--ind->pulses_left == 0)
                ind->beeping = 0;
            else
                ind->edge_at += ind->gap_ms;
        } else {
            ind->buzzer = 1;
            ind->edge_at += ind->pulse_ms;
        }
        tell(ind, now_ms);
    }
    if (ind->dirty)
        tell(ind, now_ms);
    ind->ops->service(ind->state, fds, n, now_ms);
}

int tt_indicator_present(const tt_indicator_t *ind)
{
    return ind->ops->present(ind->state);
}

tt_err_t tt_indicator_sim_view(const tt_indicator_t *ind, tt_indicator_sim_view_t *out)
{
    if (!ind->ops->sim_view)
        return TT_ERR_DEVICE;
    return ind->ops->sim_view(ind->state, out);
}

tt_err_t tt_indicator_sim_missing(tt_indicator_t *ind, int missing)
{
    if (!ind->ops->sim_missing)
        return TT_ERR_DEVICE;
    return ind->ops->sim_missing(ind->state, missing);
}
