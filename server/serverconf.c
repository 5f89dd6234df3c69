#include "serverconf.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "log.h"

static const char *const levels[] = {"debug", "info", "warn", "error", NULL};

#define STR(k, req, field) {k, TT_CONF_STR, req, 0, 0, NULL, offsetof(tt_serverconf_t, field), \
                            sizeof(((tt_serverconf_t *)0)->field)}
#define INT(k, lo, hi, field) {k, TT_CONF_INT, 0, lo, hi, NULL, \
                               offsetof(tt_serverconf_t, field), 0}

static const tt_conf_key_t schema[] = {
    STR("site", 1, site),
    STR("database", 1, database),
    STR("timezone", 0, timezone),
    {"log_level", TT_CONF_ENUM, 0, 0, 0, levels, offsetof(tt_serverconf_t, log_level), 0},
    STR("http.bind", 0, http_bind),
    {"http.port", TT_CONF_INT, 1, 0, 65535, NULL, offsetof(tt_serverconf_t, http_port), 0},
    STR("mqtt.url", 1, mqtt_url),
    STR("mqtt.client_id", 0, mqtt_client_id),
    STR("mqtt.username", 0, mqtt_username),
    STR("mqtt.password", 0, mqtt_password),
    INT("mqtt.keepalive_s", 2, 600, mqtt_keepalive_s),
    INT("ingest.max_payload", 1024, 64 << 20, ingest_max_payload),
    INT("ingest.hold_max", 0, 1000000, ingest_hold_max),
    INT("ingest.round_max", 1, 10000, ingest_round_max),
    STR("workflow.dir", 0, workflow_dir),
    STR("workflow.token_file", 0, workflow_token_file),
};
#define NKEYS (sizeof schema / sizeof schema[0])

/* Makes `value` (a path, 256 bytes) relative to the folder of `path`. */
static tt_err_t relative(const char *path, const char *key, char *value, char *err,
                         size_t errlen)
{
    const char *slash = strrchr(path, '/');
    char joined[256];
    int n;
    if (!value[0] || value[0] == '/' || !slash)
        return TT_OK;
    n = snprintf(joined, sizeof joined, "%.*s/%s", (int)(slash - path), path, value);
    if (n < 0 || (size_t)n >= sizeof joined) {
        snprintf(err, errlen, "%s: %s path too long", path, key);
        return TT_ERR_CONFIG;
    }
    memcpy(value, joined, (size_t)n + 1);
    return TT_OK;
}

/* Reads the token file: one line, the token, an optional final newline. */
static tt_err_t read_token(const char *path, tt_serverconf_t *c, char *err, size_t errlen)
{
    char buf[TT_SERVERCONF_TOKEN_MAX + 3];
    FILE *f = fopen(c->workflow_token_file, "rb");
    size_t n;
    if (!f) {
        snprintf(err, errlen, "%s: workflow.token_file %s cannot be read", path,
                 c->workflow_token_file);
        return TT_ERR_CONFIG;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (buf[i] <= ' ' || buf[i] > '~')
            n = 0;
    }
    if (n < TT_SERVERCONF_TOKEN_MIN || n > TT_SERVERCONF_TOKEN_MAX) {
        snprintf(err, errlen, "%s: workflow.token_file %s must hold one token of %d-%d printable"
                 " characters without spaces", path, c->workflow_token_file,
                 TT_SERVERCONF_TOKEN_MIN, TT_SERVERCONF_TOKEN_MAX);
        return TT_ERR_CONFIG;
    }
    memcpy(c->workflow_token, buf, n + 1);
    return TT_OK;
}

tt_err_t tt_serverconf_load(const char *path, tt_serverconf_t *c, char *err, size_t errlen)
{
    unsigned char seen[NKEYS];
    tt_err_t rc;

    memset(c, 0, sizeof *c);
    snprintf(c->timezone, sizeof c->timezone, "Asia/Shanghai");
    c->log_level = TT_LOG_INFO;
    snprintf(c->http_bind, sizeof c->http_bind, "127.0.0.1");
    c->mqtt_keepalive_s = 10;
    c->ingest_max_payload = 4 << 20;
    c->ingest_hold_max = 20000;
    c->ingest_round_max = 64;
    memset(seen, 0, sizeof seen);
    rc = tt_conf_parse_file(path, schema, NKEYS, c, seen, err, errlen);
    if (rc == TT_OK)
        rc = tt_conf_check_required(path, schema, NKEYS, seen, err, errlen);
    if (rc != TT_OK)
        return rc;
    if (!tt_event_id_valid(c->site)) {
        snprintf(err, errlen, "%s: site '%s' must be 1-%d of A-Z a-z 0-9 _ . -", path, c->site,
                 TT_EVENT_ID_MAX);
        return TT_ERR_CONFIG;
    }
    if (strncmp(c->mqtt_url, "tcp://", 6) != 0 && strncmp(c->mqtt_url, "ssl://", 6) != 0) {
        snprintf(err, errlen, "%s: mqtt.url must start with tcp:// or ssl://", path);
        return TT_ERR_CONFIG;
    }
    if (!c->mqtt_client_id[0])
        snprintf(c->mqtt_client_id, sizeof c->mqtt_client_id, "tt-server-%s", c->site);
    rc = relative(path, "database", c->database, err, errlen);
    if (rc == TT_OK)
        rc = relative(path, "workflow.dir", c->workflow_dir, err, errlen);
    if (rc == TT_OK)
        rc = relative(path, "workflow.token_file", c->workflow_token_file, err, errlen);
    if (rc == TT_OK && c->workflow_token_file[0])
        rc = read_token(path, c, err, errlen);
    return rc;
}
