#include "scanner.h"

#include <stdlib.h>
#include <string.h>

struct tt_scanner {
    const tt_scanner_ops_t *ops;
    void *state;
};

static const tt_scanner_ops_t *const backends[] = {
    &tt_scanner_fake_ops,
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

tt_err_t tt_scanner_open(const char *driver, tt_scanner_t **out)
{
    const tt_scanner_ops_t *ops = find(driver);
    tt_scanner_t *s;
    tt_err_t rc;

    *out = NULL;
    if (!ops)
        return TT_ERR_NOTFOUND;
    s = calloc(1, sizeof *s);
    if (!s)
        return TT_ERR_NOMEM;
    s->ops = ops;
    rc = ops->open(&s->state);
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

int tt_scanner_fd(const tt_scanner_t *s)
{
    return s->ops->fd(s->state);
}

tt_err_t tt_scanner_read(tt_scanner_t *s, char *code, size_t len)
{
    return s->ops->read(s->state, code, len);
}

tt_err_t tt_scanner_inject(tt_scanner_t *s, const char *code)
{
    if (!s->ops->inject)
        return TT_ERR_DEVICE;
    return s->ops->inject(s->state, code);
}
