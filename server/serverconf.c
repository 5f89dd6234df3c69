#include "serverconf.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "uplink.h"

static const char *const levels[] = {"debug", "info", "warn", "error", NULL};

#define STR(k, req, field) {k, TT_CONF_STR, req, 0, 0, NULL, offsetof(tt_serverconf_t, field), \
                            sizeof(((tt_serverconf_t *)0)->field)}
#define INT(k, lo, hi, field) {k, TT_CONF_INT, 0, lo, hi, NULL, \
                               offsetof(tt_serverconf_t, field), 0}
#define FILE_KEY(k, type, field) {k, type, 0, 0, 0, NULL, offsetof(tt_serverconf_t, field), \
                                  sizeof(((tt_serverconf_t *)0)->field)}

static const tt_conf_key_t schema[] = {
    STR("site", 1, site),
    STR("database", 1, database),
    STR("timezone", 0, timezone),
    {"log_level", TT_CONF_ENUM, 0, 0, 0, levels, offsetof(tt_serverconf_t, log_level), 0},
    STR("http.bind", 0, http_bind),
    {"http.port", TT_CONF_INT, 1, 0, 65535, NULL, offsetof(tt_serverconf_t, http_port), 0},
    FILE_KEY("http.token_file", TT_CONF_SECRET_FILE, http_token),
    STR("http.web_dir", 0, http_web_dir),
    {"http.secure_cookies", TT_CONF_BOOL, 0, 0, 0, NULL,
     offsetof(tt_serverconf_t, http_secure_cookies), 0},
    INT("http.session_idle_s", 60, 7 * 24 * 3600, http_session_idle_s),
    INT("http.session_max_s", 60, 30 * 24 * 3600, http_session_max_s),
    STR("mqtt.url", 1, mqtt_url),
    STR("mqtt.client_id", 0, mqtt_client_id),
    STR("mqtt.username", 0, mqtt_username),
    STR("mqtt.password", 0, mqtt_password),
    FILE_KEY("mqtt.password_file", TT_CONF_SECRET_FILE, mqtt_password),
    FILE_KEY("mqtt.ca_file", TT_CONF_FILE, mqtt_ca_file),
    FILE_KEY("mqtt.cert_file", TT_CONF_FILE, mqtt_cert_file),
    FILE_KEY("mqtt.key_file", TT_CONF_PRIVATE_FILE, mqtt_key_file),
    INT("mqtt.keepalive_s", 2, 600, mqtt_keepalive_s),
    INT("ingest.max_payload", 1024, 64 << 20, ingest_max_payload),
    INT("ingest.hold_max", 0, 1000000, ingest_hold_max),
    INT("ingest.round_max", 1, 10000, ingest_round_max),
    STR("workflow.dir", 0, workflow_dir),
};
#define NKEYS (sizeof schema / sizeof schema[0])

/* Whether the file set `key`. */
static int was_set(const unsigned char *seen, const char *key)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(schema[i].key, key) == 0)
            return seen[i];
    return 0;
}

/* The [mqtt] keys together, as tagtrail-edge checks its own (edgeconf.c). */
static const char *mqtt_problem(const tt_serverconf_t *c, const unsigned char *seen)
{
    int tls = tt_uplink_url_tls(c->mqtt_url);

    if (tls < 0)
        return "mqtt.url must start with tcp://, ssl:// or mqtts://";
    if (tls && !c->mqtt_ca_file[0])
        return "mqtt.url is TLS (ssl://, mqtts://) but mqtt.ca_file is not set: the broker's "
               "certificate must be verified";
    if (!tls && (c->mqtt_ca_file[0] || c->mqtt_cert_file[0] || c->mqtt_key_file[0]))
        return "mqtt.ca_file, cert_file and key_file need a TLS mqtt.url (ssl:// or mqtts://)";
    if (!c->mqtt_cert_file[0] != !c->mqtt_key_file[0])
        return "mqtt.cert_file and mqtt.key_file go together";
    if (was_set(seen, "mqtt.password") && was_set(seen, "mqtt.password_file"))
        return "mqtt.password and mqtt.password_file are both set: keep one (password_file)";
    if (c->mqtt_password[0] && !c->mqtt_username[0])
        return "a password needs mqtt.username";
    return NULL;
}

/* Makes `value` (a path, cap bytes) relative to the folder of `path`. */
static tt_err_t relative(const char *path, const char *key, char *value, size_t cap, char *err,
                         size_t errlen)
{
    const char *slash = strrchr(path, '/');
    char joined[512];
    int n;
    if (!value[0] || value[0] == '/' || !slash)
        return TT_OK;
    n = snprintf(joined, sizeof joined, "%.*s/%s", (int)(slash - path), path, value);
    if (n < 0 || (size_t)n >= sizeof joined || (size_t)n >= cap) {
        snprintf(err, errlen, "%s: %s path too long", path, key);
        return TT_ERR_CONFIG;
    }
    memcpy(value, joined, (size_t)n + 1);
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
    c->http_secure_cookies = 1;
    c->http_session_idle_s = 30 * 60;
    c->http_session_max_s = 12 * 3600;
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
    if (mqtt_problem(c, seen)) {
        snprintf(err, errlen, "%s: %s", path, mqtt_problem(c, seen));
        return TT_ERR_CONFIG;
    }
    if (c->http_token[0]) {
        size_t n = strlen(c->http_token);
        for (size_t i = 0; i < n; i++)
            if (c->http_token[i] <= ' ' || c->http_token[i] > '~')
                n = 0;
        if (n < TT_SERVERCONF_TOKEN_MIN || n > TT_SERVERCONF_TOKEN_MAX) {
            snprintf(err, errlen, "%s: http.token_file must hold one token of %d-%d printable "
                     "characters without spaces", path, TT_SERVERCONF_TOKEN_MIN,
                     TT_SERVERCONF_TOKEN_MAX);
            return TT_ERR_CONFIG;
        }
    }
    if (!c->mqtt_client_id[0])
        snprintf(c->mqtt_client_id, sizeof c->mqtt_client_id, "tt-server-%s", c->site);
    rc = relative(path, "database", c->database, sizeof c->database, err, errlen);
    if (rc == TT_OK)
        rc = relative(path, "workflow.dir", c->workflow_dir, sizeof c->workflow_dir, err, errlen);
    if (rc == TT_OK)
        rc = relative(path, "http.web_dir", c->http_web_dir, sizeof c->http_web_dir, err, errlen);
    if (rc != TT_OK)
        return rc;
    return TT_OK;
}
