/*
 * edgeconf: tagtrail-edge's configuration: the board file, then the site's
 * local file over it.
 *
 * The local file (terminal.conf) names its board file with `board = path`
 * (relative paths are relative to the local file's folder).  Both are strict
 * tt_conf files with one schema: every key is documented in
 * docs/operations.md, and the board file normally sets only the [board],
 * [scanner] and driver keys while the local file sets the site values.
 */
#ifndef TT_EDGECONF_H
#define TT_EDGECONF_H

#include <stddef.h>

#include "err.h"
#include "event.h"
#include "log.h"
#include "indicator.h"
#include "rfid.h"
#include "scanner.h"

#define TT_EDGECONF_PATH_MAX 256

typedef struct {
    char board_file[TT_EDGECONF_PATH_MAX];
    char board_name[TT_EVENT_ID_MAX + 1];
    char terminal_id[TT_EVENT_ID_MAX + 1];
    char site[TT_EVENT_ID_MAX + 1];
    char warehouse[TT_EVENT_ID_MAX + 1];   /* the counter's warehouse, "" if chosen by card */
    int language;                          /* 0 zh, 1 en */
    int stock_check;                       /* tt_counter_stock_check_t: off, warn, refuse */
    char store[TT_EDGECONF_PATH_MAX];
    char control_socket[108];          /* sun_path */
    char mqtt_url[TT_EDGECONF_PATH_MAX];
    char mqtt_username[64];
    char mqtt_password[128];           /* mqtt.password, or the line of mqtt.password_file */
    char mqtt_ca_file[TT_EDGECONF_PATH_MAX];    /* TLS: "" unless set; resolved paths */
    char mqtt_cert_file[TT_EDGECONF_PATH_MAX];
    char mqtt_key_file[TT_EDGECONF_PATH_MAX];
    long long mqtt_keepalive_s;
    long long uplink_batch_max;
    long long uplink_window;
    long long uplink_resend_ms;
    long long outbox_keep_days;        /* synced events older than this are pruned ... */
    long long outbox_keep_events;      /* ... and any beyond this many (docs/operations.md) */
    tt_scanner_conf_t scanner;
    char usb_id[16];                   /* "vvvv:pppp", parsed into scanner.vid/pid */
    long long scanner_interface, scanner_baud, scanner_reopen_ms;
    tt_rfid_conf_t rfid;               /* driver "" : no reader fitted */
    tt_indicator_conf_t indicator;     /* driver "" : no indicator */
    /* The schema's integer and text slots for the two driver sections, copied
     * into rfid and indicator once loaded (their fields are int and char). */
    long long raw[32];
    char rfid_parity[2], indicator_parity[2];
    int log_level;                     /* tt_log_level_t */
    char log_file[TT_EDGECONF_PATH_MAX];  /* "" : standard error */
    int console;                       /* draw the ncurses screen on stdin/stdout */
} tt_edgeconf_t;

/* Loads `path` and the board file it names into *conf.  Relative paths in
 * the files (board, store, control_socket) are resolved against the folder
 * of the file that sets them.  Returns TT_OK, or TT_ERR_CONFIG / TT_ERR_IO
 * with "file:line: reason" in err. */
tt_err_t tt_edgeconf_load(const char *path, tt_edgeconf_t *conf, char *err, size_t errlen);

#endif
