#include "scanner.h"

#include <stdlib.h>
#include <string.h>

struct tt_scanner {
    const tt_scanner_ops_t *ops;
    void *state;
};

/* Backends are declared here, defined in scanner_<name>.c. */
extern const tt_scanner_ops_t tt_scanner_fake_ops;
extern const tt_scanner_ops_t tt_scanner_usb_ops;
extern const tt_scanner_ops_t tt_scanner_evdev_ops;
extern const tt_scanner_ops_t tt_scanner_serial_ops;

static const tt_scanner_ops_t *const backends[] = {
    &tt_scanner_fake_ops,
    &tt_scanner_usb_ops,
    &tt_scanner_evdev_ops,
    &tt_scanner_serial_ops,
};

static const tt_scanner_ops_t *find(const char *driver)
{
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->name, driver) == 0)
            return backends[i];
    return NULL;
}

int tt_scanner_known(const char *driver)
{
    return find(driver) != NULL;
}

tt_err_t tt_scanner_open(const tt_scanner_conf_t *conf, tt_scanner_t **out)
{
    const tt_scanner_ops_t *ops = find(conf->driver);
    tt_scanner_t *s;
    tt_err_t rc;

    *out = NULL;
    if (!ops)
        return TT_ERR_NOTFOUND;
    s = calloc(1, sizeof *s);
    if (!s)
        return TT_ERR_NOMEM;
    s->ops = ops;
    rc = ops->open(conf, &s->state);
    if (rc != TT_OK) {
        free(s);
        return rc;
    }
    *out = s;
    return TT_OK;
}

void tt_scanner_close(tt_scanner_t *s)
{
    if (!s)
        return;
    s->ops->close(s->state);
    free(s);
}

size_t tt_scanner_pollfds(const tt_scanner_t *s, struct pollfd *fds, size_t max)
{
    return s->ops->pollfds(s->state, fds, max);
}

int64_t tt_scanner_deadline(const tt_scanner_t *s)
{
    return s->ops->deadline(s->state);
}

void tt_scanner_service(tt_scanner_t *s, const struct pollfd *fds, size_t n, int64_t now_ms)
{
    s->ops->service(s->state, fds, n, now_ms);
}

tt_err_t tt_scanner_read(tt_scanner_t *s, char *code, size_t len)
{
    return s->ops->read(s->state, code, len);
}

int tt_scanner_present(const tt_scanner_t *s)
{
    return s->ops->present(s->state);
}

tt_err_t tt_scanner_inject(tt_scanner_t *s, const char *code)
{
    if (!s->ops->inject)
        return TT_ERR_DEVICE;
    return s->ops->inject(s->state, code);
}
