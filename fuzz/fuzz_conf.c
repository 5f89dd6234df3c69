/*
 * Fuzzes tt_conf_parse with a schema of every key type, top-level and in
 * sections.  Invariants: the message is terminated and, on failure, not
 * empty; string values stay within their arrays; integers, quantities and
 * enum indexes stay within their bounds.
 */
#include <stddef.h>

#include "fuzz.h"

#include "conf.h"
#include "money.h"

typedef struct {
    char name[16];
    char host[64];
    long long port;
    long long offset;
    int enabled;
    int level;
    tt_qty_t limit;
} cfg_t;

static const char *const levels[] = {"debug", "info", "warn", "error", NULL};

static const tt_conf_key_t schema[] = {
    {"name", TT_CONF_STR, 1, 0, 0, NULL, offsetof(cfg_t, name), sizeof ((cfg_t *)0)->name},
    {"net.host", TT_CONF_STR, 0, 0, 0, NULL, offsetof(cfg_t, host), sizeof ((cfg_t *)0)->host},
    {"net.port", TT_CONF_INT, 0, 1, 65535, NULL, offsetof(cfg_t, port), 0},
    {"net.offset", TT_CONF_INT, 0, -1000000, 1000000, NULL, offsetof(cfg_t, offset), 0},
    {"net.enabled", TT_CONF_BOOL, 0, 0, 0, NULL, offsetof(cfg_t, enabled), 0},
    {"log.level", TT_CONF_ENUM, 0, 0, 0, levels, offsetof(cfg_t, level), 0},
    {"stock.limit", TT_CONF_QTY, 0, 0, 999999999, NULL, offsetof(cfg_t, limit), 0},
};
#define NKEYS (sizeof schema / sizeof schema[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cfg_t cfg;
    unsigned char seen[NKEYS];
    char err[TT_CONF_ERR_MAX];

    memset(&cfg, 0, sizeof cfg);
    memset(seen, 0, sizeof seen);
    tt_err_t rc = tt_conf_parse("fuzz.conf", (const char *)data, size, schema, NKEYS, &cfg, seen,
                                err, sizeof err);
    FUZZ_CHECK(fuzz_terminated(err, sizeof err));
    if (rc != TT_OK) {
        FUZZ_CHECK(rc == TT_ERR_CONFIG);
        FUZZ_CHECK(err[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(fuzz_terminated(cfg.name, sizeof cfg.name));
    FUZZ_CHECK(fuzz_terminated(cfg.host, sizeof cfg.host));
    FUZZ_CHECK(!seen[2] || (cfg.port >= 1 && cfg.port <= 65535));
    FUZZ_CHECK(!seen[3] || (cfg.offset >= -1000000 && cfg.offset <= 1000000));
    FUZZ_CHECK(!seen[4] || cfg.enabled == 0 || cfg.enabled == 1);
    FUZZ_CHECK(!seen[5] || (cfg.level >= 0 && cfg.level <= 3));
    FUZZ_CHECK(!seen[6] || (cfg.limit >= 0 && cfg.limit <= 999999999));
    for (size_t i = 0; i < NKEYS; i++)
        FUZZ_CHECK(seen[i] == 0 || seen[i] == 1);
    rc = tt_conf_check_required("fuzz.conf", schema, NKEYS, seen, err, sizeof err);
    FUZZ_CHECK(rc == (seen[0] ? TT_OK : TT_ERR_CONFIG));
    return 0;
}
