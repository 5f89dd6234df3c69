#include "serverconf.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
    STR("http.token_file", 0, http_token),
    {"http.port", TT_CONF_INT, 1, 0, 65535, NULL, offsetof(tt_serverconf_t, http_port), 0},
    STR("mqtt.url", 1, mqtt_url),
    STR("mqtt.client_id", 0, mqtt_client_id),
    STR("mqtt.username", 0, mqtt_username),
    STR("mqtt.password", 0, mqtt_password),
    INT("mqtt.keepalive_s", 2, 600, mqtt_keepalive_s),
    INT("ingest.max_payload", 1024, 64 << 20, ingest_max_payload),
    INT("ingest.hold_max", 0, 1000000, ingest_hold_max),
    INT("ingest.round_max", 1, 10000, ingest_round_max),
};
#define NKEYS (sizeof schema / sizeof schema[0])

/* Resolves `name` relative to the folder of `path` into out[cap]. */
static int beside(const char *path, const char *name, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    int n = name[0] != '/' && slash
                ? snprintf(out, cap, "%.*s/%s", (int)(slash - path), path, name)
                : snprintf(out, cap, "%s", name);
    return n >= 0 && (size_t)n < cap;
}

/* Replaces conf->http_token (the token file's name) with the token: one
 * line of 32-128 printable ASCII characters, in a file nobody but its
 * owner can read. */
static tt_err_t read_token(const char *path, tt_serverconf_t *c, char *err, size_t errlen)
{
    char file[512], line[256];
    struct stat st;
    size_t n;
    FILE *f;

    if (!beside(path, c->http_token, file, sizeof file)) {
        snprintf(err, errlen, "%s: http.token_file: path too long", path);
        return TT_ERR_CONFIG;
    }
    f = fopen(file, "r");
    if (!f || fstat(fileno(f), &st) != 0) {
        snprintf(err, errlen, "%s: http.token_file: cannot read %s", path, file);
        if (f)
            fclose(f);
        return TT_ERR_CONFIG;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        fclose(f);
        snprintf(err, errlen, "%s: http.token_file: %s must not be readable by group or others "
                 "(chmod 600)", path, file);
        return TT_ERR_CONFIG;
    }
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    n = strcspn(line, "\r\n");
    line[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (line[i] <= ' ' || line[i] > '~')
            n = 0;
    if (n < 32 || n > 128) {
        snprintf(err, errlen, "%s: http.token_file: %s must hold one token of 32-128 printable "
                 "characters", path, file);
        return TT_ERR_CONFIG;
    }
    memcpy(c->http_token, line, n + 1);
    return TT_OK;
}

tt_err_t tt_serverconf_load(const char *path, tt_serverconf_t *c, char *err, size_t errlen)
{
    unsigned char seen[NKEYS];
    char joined[sizeof c->database];
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
    if (c->http_token[0] && (rc = read_token(path, c, err, errlen)) != TT_OK)
        return rc;
    if (!c->mqtt_client_id[0])
        snprintf(c->mqtt_client_id, sizeof c->mqtt_client_id, "tt-server-%s", c->site);
    if (!beside(path, c->database, joined, sizeof joined)) {
        snprintf(err, errlen, "%s: database path too long", path);
        return TT_ERR_CONFIG;
    }
    memcpy(c->database, joined, sizeof joined);
    return TT_OK;
}
