#include "edgeconf.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "scanner.h"
#include "uplink.h"

static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const languages[] = {"zh", "en", NULL};
static const char *const stock_checks[] = {"off", "warn", "refuse", NULL};

#define STR(k, req, field) {k, TT_CONF_STR, req, 0, 0, NULL, offsetof(tt_edgeconf_t, field), \
                            sizeof(((tt_edgeconf_t *)0)->field)}
#define INT(k, lo, hi, field) {k, TT_CONF_INT, 0, lo, hi, NULL, offsetof(tt_edgeconf_t, field), 0}
#define BOOL(k, field) {k, TT_CONF_BOOL, 0, 0, 0, NULL, offsetof(tt_edgeconf_t, field), 0}
#define FILE_KEY(k, type, field) {k, type, 0, 0, 0, NULL, offsetof(tt_edgeconf_t, field), \
                                  sizeof(((tt_edgeconf_t *)0)->field)}

/* Integer keys of the [rfid] and [indicator] sections: each has a slot in
 * conf->raw, copied into the driver's int field after loading (only when
 * the file set it: the driver's own defaults stand otherwise). */
typedef struct {
    const char *key;
    long long min, max;
    size_t field;    /* offsetof the int in tt_edgeconf_t */
} driver_int_t;

#define RF(name) offsetof(tt_edgeconf_t, rfid.name)
#define IN(name) offsetof(tt_edgeconf_t, indicator.name)
static const driver_int_t driver_ints[] = {
    {"rfid.port", 1, 65535, RF(port)},
    {"rfid.baud", 1200, 921600, RF(baud)},
    {"rfid.data_bits", 5, 8, RF(data_bits)},
    {"rfid.stop_bits", 1, 2, RF(stop_bits)},
    {"rfid.slave", 0, 255, RF(slave)},
    {"rfid.tag_addr", 0, 65535, RF(tag_addr)},
    {"rfid.tag_words", 1, TT_RFID_TAG_WORDS_MAX, RF(tag_words)},
    {"rfid.flag_coil", 0, 65535, RF(flag_coil)},
    {"rfid.poll_ms", 10, 60000, RF(poll_ms)},
    {"rfid.timeout_ms", 10, 60000, RF(timeout_ms)},
    {"rfid.byte_timeout_ms", 1, 1000, RF(byte_timeout_ms)},
    {"rfid.max_failures", 1, 100, RF(max_failures)},
    {"rfid.reconnect_ms", 100, 600000, RF(reconnect_ms)},
    {"rfid.dedupe_ms", 0, 600000, RF(dedupe_ms)},
    {"indicator.port", 1, 65535, IN(port)},
    {"indicator.baud", 1200, 921600, IN(baud)},
    {"indicator.data_bits", 5, 8, IN(data_bits)},
    {"indicator.stop_bits", 1, 2, IN(stop_bits)},
    {"indicator.slave", 0, 255, IN(slave)},
    {"indicator.coil_green", -1, 65535, IN(coil_green)},
    {"indicator.coil_red", -1, 65535, IN(coil_red)},
    {"indicator.coil_amber", -1, 65535, IN(coil_amber)},
    {"indicator.coil_buzzer", -1, 65535, IN(coil_buzzer)},
    {"indicator.timeout_ms", 10, 10000, IN(timeout_ms)},
    {"indicator.reconnect_ms", 100, 600000, IN(reconnect_ms)},
    {"indicator.refresh_ms", 0, 600000, IN(refresh_ms)},
    {"indicator.beep_ok_ms", 10, 5000, IN(beep_ok_ms)},
    {"indicator.beep_error_ms", 0, 5000, IN(beep_error_ms)},
    {"indicator.beep_error_pulses", 0, 10, IN(beep_error_pulses)},
    {"indicator.beep_gap_ms", 10, 5000, IN(beep_gap_ms)},
};
#define NDRIVER_INTS (sizeof driver_ints / sizeof driver_ints[0])

/* Optional keys and their defaults are documented in docs/operations.md and
 * set in defaults() below. */
static const tt_conf_key_t schema[] = {
    STR("board", 1, board_file),
    STR("terminal_id", 1, terminal_id),
    STR("site", 1, site),
    STR("warehouse", 0, warehouse),
    {"language", TT_CONF_ENUM, 0, 0, 0, languages, offsetof(tt_edgeconf_t, language), 0},
    {"stock_check", TT_CONF_ENUM, 0, 0, 0, stock_checks, offsetof(tt_edgeconf_t, stock_check), 0},
    STR("store", 1, store),
    STR("control_socket", 1, control_socket),
    {"log_level", TT_CONF_ENUM, 0, 0, 0, levels, offsetof(tt_edgeconf_t, log_level), 0},
    STR("log_file", 0, log_file),
    {"console", TT_CONF_BOOL, 0, 0, 0, NULL, offsetof(tt_edgeconf_t, console), 0},
    STR("board.name", 1, board_name),
    STR("scanner.driver", 1, scanner.driver),
    STR("scanner.usb_id", 0, usb_id),
    INT("scanner.interface", 0, 255, scanner_interface),
    {"scanner.auto_detach", TT_CONF_BOOL, 0, 0, 0, NULL,
     offsetof(tt_edgeconf_t, scanner.auto_detach), 0},
    STR("scanner.device", 0, scanner.device),
    INT("scanner.baud", 1200, 921600, scanner_baud),
    STR("scanner.layout", 0, scanner.layout),
    {"scanner.grab", TT_CONF_BOOL, 0, 0, 0, NULL, offsetof(tt_edgeconf_t, scanner.grab), 0},
    INT("scanner.reopen_ms", 100, 60000, scanner_reopen_ms),
    STR("rfid.driver", 0, rfid.driver),
    STR("rfid.transport", 0, rfid.transport),
    STR("rfid.profile", 0, rfid.profile),
    STR("rfid.host", 0, rfid.host),
    STR("rfid.device", 0, rfid.device),
    STR("rfid.parity", 0, rfid_parity),
    BOOL("rfid.rs485", rfid.rs485),
    STR("indicator.driver", 0, indicator.driver),
    STR("indicator.transport", 0, indicator.transport),
    STR("indicator.host", 0, indicator.host),
    STR("indicator.device", 0, indicator.device),
    STR("indicator.parity", 0, indicator_parity),
    BOOL("indicator.rs485", indicator.rs485),

    STR("mqtt.url", 1, mqtt_url),
    STR("mqtt.username", 0, mqtt_username),
    STR("mqtt.password", 0, mqtt_password),
    {"mqtt.password_file", TT_CONF_SECRET_FILE, 0, 0, 0, NULL,
     offsetof(tt_edgeconf_t, mqtt_password), sizeof(((tt_edgeconf_t *)0)->mqtt_password)},
    FILE_KEY("mqtt.ca_file", TT_CONF_FILE, mqtt_ca_file),
    FILE_KEY("mqtt.cert_file", TT_CONF_FILE, mqtt_cert_file),
    FILE_KEY("mqtt.key_file", TT_CONF_PRIVATE_FILE, mqtt_key_file),
    INT("mqtt.keepalive_s", 2, 600, mqtt_keepalive_s),
    INT("uplink.batch_max", 1, TT_EVENT_BATCH_MAX, uplink_batch_max),
    INT("uplink.window", 1, 32, uplink_window),
    INT("uplink.resend_ms", 500, 600000, uplink_resend_ms),
    INT("outbox.keep_days", 1, 3650, outbox_keep_days),
    INT("outbox.keep_events", 1000, 1000000000, outbox_keep_events),
};
#define NBASE (sizeof schema / sizeof schema[0])
#define NKEYS (NBASE + NDRIVER_INTS)

/* The whole schema: the fixed keys, then one integer key per driver_ints
 * entry, stored in conf->raw. */
static void build_schema(tt_conf_key_t *keys)
{
    memcpy(keys, schema, sizeof schema);
    for (size_t i = 0; i < NDRIVER_INTS; i++) {
        tt_conf_key_t *k = &keys[NBASE + i];
        memset(k, 0, sizeof *k);
        k->key = driver_ints[i].key;
        k->type = TT_CONF_INT;
        k->min = driver_ints[i].min;
        k->max = driver_ints[i].max;
        k->offset = offsetof(tt_edgeconf_t, raw) + i * sizeof(long long);
    }
}

static void defaults(tt_edgeconf_t *c)
{
    memset(c, 0, sizeof *c);
    c->log_level = TT_LOG_INFO;
    c->stock_check = 1;   /* warn */
    c->mqtt_keepalive_s = 10;
    c->uplink_batch_max = 1000;
    c->uplink_window = 8;
    c->uplink_resend_ms = 5000;
    c->outbox_keep_days = 30;
    c->outbox_keep_events = 1000000;
    c->scanner_baud = 9600;
    c->scanner_reopen_ms = 1000;
    snprintf(c->scanner.layout, sizeof c->scanner.layout, "us");
    tt_rfid_conf_defaults(&c->rfid);
    tt_indicator_conf_defaults(&c->indicator);
    c->rfid.driver[0] = '\0';
    c->indicator.driver[0] = '\0';
}

/* "0c2e:0b61" -> vid, pid.  Returns 0 when malformed. */
static int parse_usb_id(const char *text, uint16_t *vid, uint16_t *pid)
{
    unsigned v, p;
    /* sscanf's %x would also take a sign, "0x" or spaces: check each digit. */
    for (int i = 0; i < 9; i++)
        if (i == 4 ? text[i] != ':' : !isxdigit((unsigned char)text[i]))
            return 0;
    if (text[9] != '\0' || sscanf(text, "%4x:%4x", &v, &p) != 2)
        return 0;
    *vid = (uint16_t)v;
    *pid = (uint16_t)p;
    return 1;
}

/* Rewrites a relative path in field (cap bytes) to be relative to the folder
 * of `file`.  Returns 0 when the result does not fit. */
static int resolve(char *field, size_t cap, const char *file)
{
    char joined[PATH_MAX];
    const char *slash = strrchr(file, '/');
    int n;

    if (field[0] == '/' || field[0] == '\0' || !slash)
        return 1;
    n = snprintf(joined, sizeof joined, "%.*s/%s", (int)(slash - file), file, field);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    memcpy(field, joined, (size_t)n + 1);
    return 1;
}

/* Index of `key` in the schema. */
static size_t key_index(const char *key)
{
    size_t i = 0;
    while (i < NBASE && strcmp(schema[i].key, key) != 0)
        i++;
    return i;
}

/* The [mqtt] keys together: the URL's scheme, TLS files only with TLS (and
 * a CA file always with it: the broker is verified), a client certificate
 * with its key, one password source, and a password only with a username. */
static tt_err_t check_mqtt(const char *name, const tt_edgeconf_t *c, const unsigned char *seen,
                           char *err, size_t errlen)
{
    int tls = tt_uplink_url_tls(c->mqtt_url);
    const char *why = NULL;

    if (tls < 0)
        why = "mqtt.url must start with tcp://, ssl:// or mqtts://";
    else if (tls && !c->mqtt_ca_file[0])
        why = "mqtt.url is TLS (ssl://, mqtts://) but mqtt.ca_file is not set: the broker's "
              "certificate must be verified";
    else if (!tls && (c->mqtt_ca_file[0] || c->mqtt_cert_file[0] || c->mqtt_key_file[0]))
        why = "mqtt.ca_file, cert_file and key_file need a TLS mqtt.url (ssl:// or mqtts://)";
    else if (!c->mqtt_cert_file[0] != !c->mqtt_key_file[0])
        why = "mqtt.cert_file and mqtt.key_file go together";
    else if (seen[key_index("mqtt.password")] && seen[key_index("mqtt.password_file")])
        why = "mqtt.password and mqtt.password_file are both set: keep one (password_file)";
    else if (c->mqtt_password[0] && !c->mqtt_username[0])
        why = "a password needs mqtt.username";
    if (why) {
        snprintf(err, errlen, "%s: %s", name, why);
        return TT_ERR_CONFIG;
    }
    return TT_OK;
}

/* Checks what the schema cannot express and derives the typed driver fields. */
static tt_err_t finish(const char *name, tt_edgeconf_t *c, const unsigned char *seen, char *err,
                       size_t errlen)
{
    for (size_t i = 0; i < NDRIVER_INTS; i++)
        if (seen[NBASE + i])
            *(int *)((char *)c + driver_ints[i].field) = (int)c->raw[i];
    if (c->rfid_parity[0])
        c->rfid.parity = c->rfid_parity[0];
    if (c->indicator_parity[0])
        c->indicator.parity = c->indicator_parity[0];
    if ((c->rfid_parity[0] && (c->rfid_parity[1] || !strchr("NEO", c->rfid_parity[0]))) ||
        (c->indicator_parity[0] &&
         (c->indicator_parity[1] || !strchr("NEO", c->indicator_parity[0])))) {
        snprintf(err, errlen, "%s: parity must be N, E or O", c->board_file);
        return TT_ERR_CONFIG;
    }
    if (c->rfid.driver[0] && !tt_rfid_known(c->rfid.driver)) {
        snprintf(err, errlen, "%s: rfid.driver '%s' is not a known driver", c->board_file,
                 c->rfid.driver);
        return TT_ERR_CONFIG;
    }
    if (c->indicator.driver[0] && !tt_indicator_known(c->indicator.driver)) {
        snprintf(err, errlen, "%s: indicator.driver '%s' is not a known driver", c->board_file,
                 c->indicator.driver);
        return TT_ERR_CONFIG;
    }
    if (!tt_event_id_valid(c->terminal_id)) {
        snprintf(err, errlen, "%s: terminal_id '%s' must be 1-%d of A-Z a-z 0-9 _ . -", name,
                 c->terminal_id, TT_EVENT_ID_MAX);
        return TT_ERR_CONFIG;
    }
    if (!tt_event_id_valid(c->site)) {
        snprintf(err, errlen, "%s: site '%s' must be 1-%d of A-Z a-z 0-9 _ . -", name, c->site,
                 TT_EVENT_ID_MAX);
        return TT_ERR_CONFIG;
    }
    if (c->console && !c->log_file[0]) {
        snprintf(err, errlen, "%s: console = true needs log_file (the screen is the console)",
                 name);
        return TT_ERR_CONFIG;
    }
    if (c->warehouse[0] && !tt_event_id_valid(c->warehouse)) {
        snprintf(err, errlen, "%s: warehouse '%s' is not a valid id", name, c->warehouse);
        return TT_ERR_CONFIG;
    }
    if (!tt_scanner_known(c->scanner.driver)) {
        snprintf(err, errlen, "%s: scanner.driver '%s' is not a known driver", c->board_file,
                 c->scanner.driver);
        return TT_ERR_CONFIG;
    }
    if (c->usb_id[0] && !parse_usb_id(c->usb_id, &c->scanner.vid, &c->scanner.pid)) {
        snprintf(err, errlen, "%s: scanner.usb_id '%s' must be VID:PID in hex, like 0c2e:0b61",
                 c->board_file, c->usb_id);
        return TT_ERR_CONFIG;
    }
    c->scanner.interface = (int)c->scanner_interface;
    c->scanner.baud = (int)c->scanner_baud;
    c->scanner.reopen_ms = (int)c->scanner_reopen_ms;
    return check_mqtt(name, c, seen, err, errlen);
}

tt_err_t tt_edgeconf_load(const char *path, tt_edgeconf_t *conf, char *err, size_t errlen)
{
    unsigned char seen[NKEYS];
    tt_conf_key_t keys[NKEYS];
    char board[TT_EDGECONF_PATH_MAX];
    tt_err_t rc;

    build_schema(keys);

    /* First pass: only to learn which board file the local file names. */
    defaults(conf);
    memset(seen, 0, sizeof seen);
    rc = tt_conf_parse_file(path, keys, NKEYS, conf, seen, err, errlen);
    if (rc != TT_OK)
        return rc;
    if (!conf->board_file[0]) {
        snprintf(err, errlen, "%s: missing required key 'board'", path);
        return TT_ERR_CONFIG;
    }
    if (!resolve(conf->board_file, sizeof conf->board_file, path)) {
        snprintf(err, errlen, "%s: board path too long", path);
        return TT_ERR_CONFIG;
    }
    memcpy(board, conf->board_file, sizeof board);

    /* Second pass: board first, then the local file over it. */
    defaults(conf);
    memset(seen, 0, sizeof seen);
    rc = tt_conf_parse_file(board, keys, NKEYS, conf, seen, err, errlen);
    if (rc != TT_OK)
        return rc;
    if (!resolve(conf->store, sizeof conf->store, board) ||
        !resolve(conf->log_file, sizeof conf->log_file, board) ||
        !resolve(conf->control_socket, sizeof conf->control_socket, board)) {
        snprintf(err, errlen, "%s: a path is too long once resolved", board);
        return TT_ERR_CONFIG;
    }
    {
        /* Keys the local file sets are resolved against the local file. */
        unsigned char before[NKEYS];
        memcpy(before, seen, sizeof before);
        memset(seen, 0, sizeof seen);
        rc = tt_conf_parse_file(path, keys, NKEYS, conf, seen, err, errlen);
        if (rc != TT_OK)
            return rc;
        for (size_t i = 0; i < NKEYS; i++) {
            if (seen[i] && keys[i].offset == offsetof(tt_edgeconf_t, store) &&
                !resolve(conf->store, sizeof conf->store, path))
                rc = TT_ERR_CONFIG;
            if (seen[i] && keys[i].offset == offsetof(tt_edgeconf_t, control_socket) &&
                !resolve(conf->control_socket, sizeof conf->control_socket, path))
                rc = TT_ERR_CONFIG;
            if (seen[i] && keys[i].offset == offsetof(tt_edgeconf_t, log_file) &&
                !resolve(conf->log_file, sizeof conf->log_file, path))
                rc = TT_ERR_CONFIG;
            seen[i] |= before[i];
        }
        if (rc != TT_OK) {
            snprintf(err, errlen, "%s: a path is too long once resolved", path);
            return rc;
        }
    }
    memcpy(conf->board_file, board, sizeof board);
    rc = tt_conf_check_required(path, keys, NKEYS, seen, err, errlen);
    if (rc != TT_OK)
        return rc;
    return finish(path, conf, seen, err, errlen);
}
