/* rfid dispatch: picks the backend, applies the dedupe window to every
 * backend's sightings, and counts what it delivers. */
#include "rfid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Distinct tags remembered by the dedupe window.  When more distinct tags
 * than this are seen within one window, the one seen longest ago is
 * forgotten (and would read again): far beyond what one counter sees. */
#define DEDUPE_SLOTS 64

typedef struct {
    char epc[TT_RFID_EPC_MAX];
    int64_t last_ms;        /* its latest sighting */
} seen_t;

struct tt_rfid {
    const tt_rfid_ops_t *ops;
    void *state;
    int dedupe_ms;
    size_t nseen;
    seen_t seen[DEDUPE_SLOTS];
    uint64_t reads, duplicates;
};

/* Backends are declared here, defined in rfid_<name>.c. */
extern const tt_rfid_ops_t tt_rfid_fake_ops;
extern const tt_rfid_ops_t tt_rfid_modbus_ops;

static const tt_rfid_ops_t *const backends[] = {
    &tt_rfid_fake_ops,
    &tt_rfid_modbus_ops,
};

static const tt_rfid_ops_t *find(const char *driver)
{
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->name, driver) == 0)
            return backends[i];
    return NULL;
}

int tt_rfid_known(const char *driver)
{
    return find(driver) != NULL;
}

void tt_rfid_conf_defaults(tt_rfid_conf_t *conf)
{
    memset(conf, 0, sizeof *conf);
    snprintf(conf->driver, sizeof conf->driver, "fake");
    snprintf(conf->transport, sizeof conf->transport, "tcp");
    snprintf(conf->profile, sizeof conf->profile, "%s", TT_RFID_PROFILE_V780);
    conf->port = 502;
    conf->baud = 9600;
    conf->parity = 'N';
    conf->data_bits = 8;
    conf->stop_bits = 1;
    conf->slave = 1;
    conf->tag_addr = 0x4000;
    conf->tag_words = 8;
    conf->flag_coil = 0;
    conf->poll_ms = 100;
    conf->timeout_ms = 200;
    conf->byte_timeout_ms = 30;
    conf->max_failures = 3;
    conf->reconnect_ms = 1000;
    conf->dedupe_ms = 2000;
}

tt_err_t tt_rfid_open(const tt_rfid_conf_t *conf, tt_rfid_t **out)
{
    const tt_rfid_ops_t *ops = find(conf->driver);
    tt_rfid_t *r;
    tt_err_t rc;

    *out = NULL;
    if (!ops)
        return TT_ERR_NOTFOUND;
    if (conf->dedupe_ms < 0)
        return TT_ERR_INVAL;
    r = calloc(1, sizeof *r);
    if (!r)
        return TT_ERR_NOMEM;
    r->ops = ops;
    r->dedupe_ms = conf->dedupe_ms;
    rc = ops->open(conf, &r->state);
    if (rc != TT_OK) {
        free(r);
        return rc;
    }
    *out = r;
    return TT_OK;
}

void tt_rfid_close(tt_rfid_t *r)
{
    if (!r)
        return;
    r->ops->close(r->state);
    free(r);
}

size_t tt_rfid_pollfds(const tt_rfid_t *r, struct pollfd *fds, size_t max)
{
    return r->ops->pollfds(r->state, fds, max);
}

int64_t tt_rfid_deadline(const tt_rfid_t *r)
{
    return r->ops->deadline(r->state);
}

void tt_rfid_service(tt_rfid_t *r, const struct pollfd *fds, size_t n, int64_t now_ms)
{
    r->ops->service(r->state, fds, n, now_ms);
}

/* Records a sighting of epc at seen_ms; returns non-zero when it falls
 * within the window of the same tag's previous sighting.  Every sighting
 * renews the window, so a tag that stays on the reader stays a duplicate. */
static int duplicate(tt_rfid_t *r, const char *epc, int64_t seen_ms)
{
    seen_t *slot = NULL;
    int dup;

    if (r->dedupe_ms == 0)
        return 0;
    for (size_t i = 0; i < r->nseen; i++) {
        if (strcmp(r->seen[i].epc, epc) == 0) {
            slot = &r->seen[i];
            break;
        }
    }
    if (slot) {
        dup = seen_ms - slot->last_ms <= r->dedupe_ms;
        if (seen_ms > slot->last_ms)
            slot->last_ms = seen_ms;
        return dup;
    }
    if (r->nseen < DEDUPE_SLOTS) {
        slot = &r->seen[r->nseen++];
    } else {
        slot = &r->seen[0];
        for (size_t i = 1; i < r->nseen; i++)
            if (r->seen[i].last_ms < slot->last_ms)
                slot = &r->seen[i];
    }
    snprintf(slot->epc, sizeof slot->epc, "%s", epc);
    slot->last_ms = seen_ms;
    return 0;
}

tt_err_t tt_rfid_read(tt_rfid_t *r, char *epc_hex, size_t len)
{
    char epc[TT_RFID_EPC_MAX];
    int64_t seen_ms;
    size_t n;
    tt_err_t rc;

    for (;;) {
        rc = r->ops->read(r->state, epc, sizeof epc, &seen_ms);
        if (rc != TT_OK)
            return rc;
        if (duplicate(r, epc, seen_ms)) {
            r->duplicates++;
            continue;
        }
        n = strlen(epc);
        if (n >= len)
            return TT_ERR_TOOBIG;
        memcpy(epc_hex, epc, n + 1);
        r->reads++;
        return TT_OK;
    }
}

int tt_rfid_present(const tt_rfid_t *r)
{
    return r->ops->present(r->state);
}

void tt_rfid_stats(const tt_rfid_t *r, tt_rfid_stats_t *out)
{
    memset(out, 0, sizeof *out);
    r->ops->stats(r->state, out);
    out->reads = r->reads;
    out->duplicates = r->duplicates;
}

tt_err_t tt_rfid_sim(tt_rfid_t *r, tt_rfid_sim_t what, const char *epc)
{
    if (!r->ops->sim)
        return TT_ERR_DEVICE;
    return r->ops->sim(r->state, what, epc);
}
