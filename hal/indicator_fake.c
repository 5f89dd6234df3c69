/* The fake indicator: remembers what it was told, for tests and the sim
 * terminal, and can be told to go missing. */
#include "indicator.h"

#include <stdlib.h>

typedef struct {
    tt_indicator_sim_view_t view;
    int missing;
} fake_t;

static tt_err_t fake_open(const tt_indicator_conf_t *conf, void **state)
{
    fake_t *f;

    (void)conf;
    f = calloc(1, sizeof *f);
    if (!f)
        return TT_ERR_NOMEM;
    f->view.lamps = TT_INDICATOR_OFF;
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
    (void)state;
    return -1;
}

static void fake_service(void *state, const struct pollfd *fds, size_t n, int64_t now_ms)
{
    (void)state;
    (void)fds;
    (void)n;
    (void)now_ms;
}

static void fake_output(void *state, tt_indicator_state_t lamps, int buzzer, int64_t now_ms)
{
    fake_t *f = state;

    (void)now_ms;
    if (buzzer && !f->view.buzzer)
        f->view.pulses++;
    f->view.lamps = lamps;
    f->view.buzzer = buzzer;
}

static int fake_present(void *state)
{
    return !((fake_t *)state)->missing;
}

static tt_err_t fake_sim_view(void *state, tt_indicator_sim_view_t *out)
{
    *out = ((fake_t *)state)->view;
    return TT_OK;
}

static tt_err_t fake_sim_missing(void *state, int missing)
{
    ((fake_t *)state)->missing = missing != 0;
    return TT_OK;
}

const tt_indicator_ops_t tt_indicator_fake_ops = {
    .name = "fake",
    .error_pulses = 1,
    .error_ms = 800,
    .open = fake_open,
    .close = fake_close,
    .pollfds = fake_pollfds,
    .deadline = fake_deadline,
    .service = fake_service,
    .output = fake_output,
    .present = fake_present,
    .sim_view = fake_sim_view,
    .sim_missing = fake_sim_missing,
};
