/*
 * serverconf: tagtrail-server's configuration file (server.conf), strict as
 * every tagtrail config: see docs/operations.md for each key.
 */
#ifndef TT_SERVERCONF_H
#define TT_SERVERCONF_H

#include <stddef.h>

#include "err.h"
#include "event.h"

/* The interim write token (docs/decisions.md), alone on the one line of
 * http.token_file: 32-128 printable ASCII characters without spaces. */
#define TT_SERVERCONF_TOKEN_MIN 32
#define TT_SERVERCONF_TOKEN_MAX 128

typedef struct {
    char site[TT_EVENT_ID_MAX + 1];
    char database[256];
    char timezone[64];
    int log_level;                 /* tt_log_level_t */
    char http_bind[64];
    long long http_port;
    /* The write token of the office and workflow routes (docs/api.md,
     * "Writing"), read from http.token_file; "" when no file is
     * configured: writes are refused. */
    char http_token[TT_SERVERCONF_TOKEN_MAX + 1];
    /* The web office (docs/operations.md, "The web office"): the folder of
     * its pages (default: where they are installed), whether the session
     * cookie is marked Secure (default true: behind HTTPS; plain http on
     * 127.0.0.1 for tests needs false), and session lifetimes in seconds. */
    char http_web_dir[256];
    int http_secure_cookies;
    long long http_session_idle_s;
    long long http_session_max_s;
    char mqtt_url[256];
    char mqtt_client_id[64];
    char mqtt_username[64];
    char mqtt_password[128];       /* mqtt.password, or the line of mqtt.password_file */
    char mqtt_ca_file[256];        /* TLS: "" unless set; resolved paths */
    char mqtt_cert_file[256];
    char mqtt_key_file[256];
    long long mqtt_keepalive_s;
    long long ingest_max_payload;
    long long ingest_hold_max;
    long long ingest_round_max;    /* messages per group commit */
    char workflow_dir[256];        /* "" : the workflow engine is off */
} tt_serverconf_t;

/* Loads `path` into *conf; relative database, workflow folder and file
 * paths (and http.web_dir) are relative to the file's folder, and the token file is read
 * (strictly: see TT_SERVERCONF_TOKEN_MIN).  Returns TT_OK, or
 * TT_ERR_CONFIG / TT_ERR_IO / TT_ERR_NOMEM with "file:line: reason" (or
 * "file: reason") in err. */
tt_err_t tt_serverconf_load(const char *path, tt_serverconf_t *conf, char *err, size_t errlen);

#endif
