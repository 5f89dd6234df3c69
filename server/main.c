/*
 * tagtrail-server: MQTT ingest into the ledger, and the HTTP API.
 *
 * The main thread owns the writable database and runs one poll() loop over
 * the uplink's wake pipe: messages that arrived together are ingested as one
 * round in one transaction, and acks go out only after it commits.  The
 * HTTP API runs in libmicrohttpd's thread on its own read-only handle.
 *
 * `--import KIND FILE` is a separate mode: it loads a CSV file of master
 * data into the configured database and exits, without MQTT or HTTP; it may
 * run while a server works on the same database.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "assets.h"
#include "clock.h"
#include "db.h"
#include "http.h"
#include "import.h"
#include "ingest.h"
#include "log.h"
#include "serverconf.h"
#include "snapshot.h"
#include "uplink.h"
#include "users.h"
#include "wfsvc.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct {
    tt_serverconf_t conf;
    tt_log_t *log;
    tt_db_t *db;
    tt_ingest_t *ing;
    tt_uplink_t *up;
    tt_http_t *http;
    tt_wfsvc_t *wf;          /* the workflow timers; NULL when the engine is off */
} server_t;

static const char status_online[] = "{\"v\":1,\"state\":\"online\"}";
static const char status_offline[] = "{\"v\":1,\"state\":\"offline\"}";

static void send_ack(void *ctx, const char *topic, const char *payload, size_t len)
{
    server_t *s = ctx;
    tt_err_t rc = tt_uplink_publish(s->up, topic, payload, len, 0);
    /* A lost ack costs a resend and a duplicate, which is dropped; a lost
     * master page costs the terminal a new request. */
    if (rc != TT_OK)
        tt_log_warn(s->log, "reply on %s not sent: %s", topic, tt_strerror(rc));
}

/* Takes every note waiting (up to a round's worth of messages) into one
 * ingest round. */
static void drain(server_t *s)
{
    tt_uplink_note_t note;
    long long taken = 0;
    int open = 0;
    tt_err_t rc = TT_OK;

    while (taken < s->conf.ingest_round_max && tt_uplink_next(s->up, &note) == TT_OK) {
        switch (note.kind) {
        case TT_UPLINK_CONNECTED:
            tt_log_info(s->log, "connected to %s", s->conf.mqtt_url);
            if (tt_uplink_publish(s->up, TT_EVENT_TOPIC_SERVER_STATUS, status_online,
                                  sizeof status_online - 1, 1) != TT_OK)
                tt_log_warn(s->log, "could not announce the server online");
            break;
        case TT_UPLINK_LOST:
        case TT_UPLINK_SEND_FAILED:
            tt_log_warn(s->log, "uplink: %s", note.cause);
            break;
        case TT_UPLINK_MESSAGE:
            if (rc != TT_OK)
                break;   /* the round failed: the terminals will resend */
            if (!open) {
                rc = tt_ingest_begin(s->ing);
                if (rc != TT_OK) {
                    tt_log_error(s->log, "cannot begin ingest round: %s", tt_strerror(rc));
                    break;
                }
                open = 1;
            }
            rc = tt_ingest_message(s->ing, note.topic, note.payload, note.len,
                                   tt_clock_wall_ms());
            taken++;
            break;
        }
    }
    if (!open)
        return;
    if (rc != TT_OK) {
        tt_log_error(s->log, "ingest round dropped, nothing acknowledged: %s", tt_strerror(rc));
        tt_ingest_abort(s->ing);
        return;
    }
    tt_ingest_commit(s->ing, send_ack, s);
}

/* Fires the workflow timers that are due (reminders, escalations, waits):
 * the engine says when its next one is; the loop wakes at least every
 * second, which is as fine as deadlines of whole days need. */
static void workflow_tick(server_t *s)
{
    int64_t next = 0, now = tt_clock_wall_ms();
    size_t fired = 0;
    char reason[TT_WFSVC_ERR_MAX] = "";

    if (!s->wf || tt_wfsvc_next_timer(s->wf, &next) != TT_OK || !next || next > now)
        return;
    if (tt_wfsvc_tick(s->wf, now, &fired, reason, sizeof reason) != TT_OK)
        tt_log_error(s->log, "workflow timers: %s", reason);
    if (fired)
        tt_log_info(s->log, "workflow timers fired in %zu instances", fired);
}

static int run(server_t *s)
{
    while (!stop_requested) {
        struct pollfd pfd = {.fd = tt_uplink_fd(s->up), .events = POLLIN};
        int64_t now = tt_clock_mono_ms(), d = tt_uplink_deadline(s->up);
        int timeout = d < 0 ? 1000 : d <= now ? 0 : (int)(d - now > 1000 ? 1000 : d - now);

        if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
            tt_log_error(s->log, "poll: %s", strerror(errno));
            return 1;
        }
        if (pfd.revents)
            drain(s);
        tt_uplink_tick(s->up, tt_clock_mono_ms());
        workflow_tick(s);
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: tagtrail-server -c server.conf [--check]\n"
                    "       tagtrail-server -c server.conf --import units|warehouses|items|"
                    "operators|plans|equipment|models FILE\n"
                    "       tagtrail-server -c server.conf --create-admin NAME\n");
}

/* The import's progress bar on a terminal: redrawn when the percentage
 * moves, finished with a line break (also when the import stops early, so
 * that its errors start on a line of their own). */
typedef struct {
    const char *kind;
    int shown;       /* last percentage drawn, -1 before the first */
    int open;        /* drawn without its line break yet */
} bar_t;

static void draw_bar(void *ctx, size_t done, size_t total)
{
    bar_t *b = ctx;
    int pct = total ? (int)(done * 100 / total) : 100, fill = pct / 5;
    char cells[21];

    if (pct == b->shown)
        return;
    b->shown = pct;
    for (int i = 0; i < 20; i++)
        cells[i] = i < fill ? '#' : '.';
    cells[20] = '\0';
    fprintf(stderr, "\rimporting %s [%s] %zu/%zu rows (%d%%)", b->kind, cells, done, total, pct);
    b->open = done != total;
    if (!b->open)
        fputc('\n', stderr);
    fflush(stderr);
}

/* --import: exit 0 when imported, 1 for errors in the data (or a store that
 * failed while importing), 2 for usage, configuration, an unreadable file
 * or a database that cannot be opened. */
static int import_mode(const tt_serverconf_t *conf, const char *kind_name, const char *file)
{
    int kind = tt_import_kind_parse(kind_name);
    tt_import_result_t *res;
    bar_t bar = {kind_name, -1, 0};
    tt_db_t *db = NULL;
    char err[512], *text = NULL;
    size_t len = 0;
    tt_err_t rc;
    int code;

    if (!kind) {
        fprintf(stderr, "tagtrail-server: --import %s: not one of units, warehouses, items,"
                        " operators, plans, equipment, models\n", kind_name);
        return 2;
    }
    res = malloc(sizeof *res);
    if (!res) {
        fprintf(stderr, "tagtrail-server: out of memory\n");
        return 1;
    }
    if (tt_import_read(file, &text, &len, err, sizeof err) != TT_OK) {
        fprintf(stderr, "tagtrail-server: %s\n", err);
        free(res);
        return 2;
    }
    if (tt_db_open_tool(conf->database, &db, err, sizeof err) != TT_OK) {
        fprintf(stderr, "tagtrail-server: database: %s\n", err);
        free(text);
        free(res);
        return 2;
    }
    rc = tt_import_text(db, kind, file, text, len,
                        isatty(STDERR_FILENO) ? draw_bar : NULL, &bar, res);
    if (bar.open)
        fputc('\n', stderr);
    tt_db_close(db);
    free(text);
    if (rc == TT_OK) {
        printf("imported %zu rows (%zu changed), master version %llu\n", res->rows, res->changed,
               (unsigned long long)res->version);
        code = 0;
    } else {
        for (size_t i = 0; i < res->nerrors; i++)
            fprintf(stderr, "%s\n", res->errors[i]);
        if (res->more_errors)
            fprintf(stderr, "%s: more than %d errors, stopped looking; nothing imported\n", file,
                    TT_IMPORT_ERRORS_MAX);
        code = 1;
    }
    free(res);
    return code;
}

/* Reads one line of at most `cap` - 1 bytes from stdin into buf, without
 * echo when stdin is a terminal (after showing `prompt` on stderr).
 * Returns 0, or -1 at end of input or for a line too long. */
static int read_secret(const char *prompt, char *buf, size_t cap)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO), ok;
    size_t n;

    if (tty) {
        fprintf(stderr, "%s", prompt);
        fflush(stderr);
        if (tcgetattr(STDIN_FILENO, &old) != 0)
            return -1;
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    ok = fgets(buf, (int)cap, stdin) != NULL;
    if (tty)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    n = ok ? strlen(buf) : 0;
    if (!ok || (n == cap - 1 && buf[n - 1] != '\n'))
        return -1;
    if (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    if (n && buf[n - 1] == '\r')
        buf[--n] = '\0';
    return 0;
}

/* --create-admin NAME: the first admin of the web office (never a default
 * password): the password is read twice from the terminal without echo,
 * or once from stdin when it is not a terminal.  Exit 0 created, 1 refused
 * (a bad or taken name, a password too short, the two not equal), 2 for
 * the database. */
static int create_admin(const tt_serverconf_t *conf, const char *name)
{
    char pw[TT_USERS_PASSWORD_MAX + 2], again[TT_USERS_PASSWORD_MAX + 2], err[512];
    tt_users_user_t user;
    tt_users_t *u = NULL;
    tt_db_t *db = NULL;
    int code = 1;

    memset(&user, 0, sizeof user);
    snprintf(user.name, sizeof user.name, "%s", name);
    user.role = TT_ACCESS_ADMIN;
    if (!tt_users_name_valid(name)) {
        fprintf(stderr, "tagtrail-server: --create-admin: '%s' is not a user name (1-%d of"
                        " A-Z a-z 0-9 _ . -)\n", name, TT_USERS_NAME_MAX);
        return 1;
    }
    if (read_secret("password: ", pw, sizeof pw) != 0 ||
        (isatty(STDIN_FILENO) && read_secret("again: ", again, sizeof again) != 0)) {
        fprintf(stderr, "tagtrail-server: --create-admin: no password read (at most %d"
                        " bytes)\n", TT_USERS_PASSWORD_MAX);
        return 1;
    }
    if (isatty(STDIN_FILENO) && strcmp(pw, again) != 0) {
        fprintf(stderr, "tagtrail-server: --create-admin: the two passwords differ\n");
        return 1;
    }
    if (tt_db_open_tool(conf->database, &db, err, sizeof err) != TT_OK ||
        tt_users_open(db, NULL, &u, err, sizeof err) != TT_OK) {
        fprintf(stderr, "tagtrail-server: database: %s\n", err);
        code = 2;
    } else if (tt_users_create(u, &user, pw, "--create-admin", tt_clock_wall_ms(), err,
                               sizeof err) != TT_OK) {
        fprintf(stderr, "tagtrail-server: --create-admin: %s\n", err);
    } else {
        tt_users_audit(u, "--create-admin", "CLI", "--create-admin", 0, "created admin",
                       tt_clock_wall_ms());
        printf("created admin %s\n", name);
        code = 0;
    }
    memset(pw, 0, sizeof pw);
    memset(again, 0, sizeof again);
    tt_users_close(u);
    tt_db_close(db);
    return code;
}

int main(int argc, char **argv)
{
    server_t s;
    const char *path = NULL, *import_kind = NULL, *import_file = NULL, *admin = NULL;
    int check = 0, rc = 1;
    char err[512];
    struct sigaction sa;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--check") == 0)
            check = 1;
        else if (strcmp(argv[i], "--import") == 0 && i + 2 < argc) {
            import_kind = argv[++i];
            import_file = argv[++i];
        }
        else if (strcmp(argv[i], "--create-admin") == 0 && i + 1 < argc)
            admin = argv[++i];
        else if (strcmp(argv[i], "--version") == 0) {
            printf("tagtrail-server %s\n", TT_VERSION);
            return 0;
        } else {
            usage();
            return 2;
        }
    }
    if (!path || (check + !!import_kind + !!admin) > 1) {
        usage();
        return 2;
    }
    memset(&s, 0, sizeof s);
    if (tt_serverconf_load(path, &s.conf, err, sizeof err) != TT_OK) {
        fprintf(stderr, "tagtrail-server: %s\n", err);
        return 2;
    }
    /* The workflow folder is configuration too: checked before anything
     * is opened or created. */
    if (s.conf.workflow_dir[0] &&
        tt_wfsvc_check(s.conf.workflow_dir, s.conf.timezone, err, sizeof err) != TT_OK) {
        fprintf(stderr, "tagtrail-server: workflow: %s\n", err);
        return 2;
    }
    if (check) {
        printf("%s: ok (site %s)\n", path, s.conf.site);
        return 0;
    }
    if (import_kind)
        return import_mode(&s.conf, import_kind, import_file);
    if (admin)
        return create_admin(&s.conf, admin);
    /* Business dates and displayed times are the site's (before any thread). */
    setenv("TZ", s.conf.timezone, 1);
    tzset();
    s.log = tt_log_new(stderr, (tt_log_level_t)s.conf.log_level, "tagtrail-server", s.conf.site);
    if (!s.log)
        return 1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (tt_db_open(s.conf.database, 0, &s.db, err, sizeof err) != TT_OK) {
        tt_log_error(s.log, "database: %s", err);
        goto out;
    }
    {
        tt_ingest_conf_t ic = {(size_t)s.conf.ingest_max_payload, (size_t)s.conf.ingest_hold_max};
        if (tt_ingest_new(&ic, s.db, s.log, &s.ing) != TT_OK)
            goto out;
    }
    {
        static const char *const subs[] = {"tt/v1/t/+/events", "tt/v1/t/+/status",
                                           "tt/v1/t/+/" TT_MASTER_LEAF_REQ,
                                           "tt/v1/t/+/" TT_SNAPSHOT_LEAF_REQ,
                                           "tt/v1/t/+/" TT_ASSETS_LEAF_REQ};
        tt_uplink_conf_t uc;
        memset(&uc, 0, sizeof uc);
        uc.url = s.conf.mqtt_url;
        uc.client_id = s.conf.mqtt_client_id;
        uc.username = s.conf.mqtt_username[0] ? s.conf.mqtt_username : NULL;
        uc.password = s.conf.mqtt_password[0] ? s.conf.mqtt_password : NULL;
        uc.ca_file = s.conf.mqtt_ca_file[0] ? s.conf.mqtt_ca_file : NULL;
        uc.cert_file = s.conf.mqtt_cert_file[0] ? s.conf.mqtt_cert_file : NULL;
        uc.key_file = s.conf.mqtt_key_file[0] ? s.conf.mqtt_key_file : NULL;
        uc.keepalive_s = (int)s.conf.mqtt_keepalive_s;
        uc.max_inflight = 1000;
        uc.will_topic = TT_EVENT_TOPIC_SERVER_STATUS;
        uc.will_payload = status_offline;
        uc.subscriptions = subs;
        uc.nsubscriptions = sizeof subs / sizeof subs[0];
        uc.max_queued_bytes = 64u << 20;
        if (tt_uplink_new(&uc, &s.up, err, sizeof err) != TT_OK) {
            tt_log_error(s.log, "%s", err);
            goto out;
        }
    }
    if (s.conf.workflow_dir[0] &&
        tt_wfsvc_open(s.db, s.conf.workflow_dir, s.conf.timezone, &s.wf, err, sizeof err) !=
            TT_OK) {
        tt_log_error(s.log, "workflow: %s", err);
        goto out;
    }
    {
        tt_http_workflow_t wf = {s.conf.workflow_dir, s.conf.timezone};
        tt_http_web_t web = {s.conf.http_web_dir[0] ? s.conf.http_web_dir : TT_WEB_DIR_DEFAULT,
                             s.conf.http_secure_cookies, s.conf.http_session_idle_s,
                             s.conf.http_session_max_s};
        if (tt_http_start(s.conf.http_bind, (int)s.conf.http_port, s.conf.database,
                          s.conf.http_token, &wf, &web, s.log, &s.http, err, sizeof err) !=
            TT_OK) {
            tt_log_error(s.log, "%s", err);
            goto out;
        }
    }
    tt_log_info(s.log, "started: database %s, http://%s:%d/api/v1/, broker %s", s.conf.database,
                s.conf.http_bind, tt_http_port(s.http), s.conf.mqtt_url);
    rc = run(&s);
    tt_log_info(s.log, "stopping");
    if (tt_uplink_connected(s.up))
        tt_uplink_publish(s.up, TT_EVENT_TOPIC_SERVER_STATUS, status_offline,
                          sizeof status_offline - 1, 1);
out:
    tt_http_stop(s.http);
    tt_wfsvc_close(s.wf);
    tt_uplink_free(s.up);
    tt_ingest_free(s.ing);
    tt_db_close(s.db);
    tt_log_free(s.log);
    return rc;
}
