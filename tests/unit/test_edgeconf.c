/*
 * Unit tests of firmware/edgeconf: the board file, then the site's local file
 * over it.  Each test writes its files into a fresh temporary folder
 * (mkdtemp): the local file at <dir>/terminal.conf, the board file at
 * <dir>/boards/test.conf; the teardown removes them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "edgeconf.h"

#define ERRLEN 512

typedef struct {
    char dir[64];
    char boards[96];
    char local[128];
    char board[128];
    tt_edgeconf_t conf;
    char err[ERRLEN];
} fx_t;

/* A board file close to boards/sim.conf, plus an mqtt.url the local file
 * overrides and a keepalive it does not. */
static const char BOARD[] =
    "# test board\n"
    "[board]\n"
    "name = sim\n"
    "\n"
    "[scanner]\n"
    "driver = fake\n"
    "\n"
    "[mqtt]\n"
    "url = tcp://board-default:1883\n"
    "keepalive_s = 30\n";

static const char LOCAL[] =
    "board = boards/test.conf\n"
    "terminal_id = T01\n"
    "site = mine1\n"
    "store = data/edge.db\n"
    "control_socket = run/control.sock\n"
    "log_level = warn\n"
    "warehouse = W01\n"
    "language = en\n"
    "[mqtt]\n"
    "url = tcp://10.1.2.3:1883\n"
    "username = T01\n"
    "password = \"s3cret # not a comment\"\n"
    "[uplink]\n"
    "window = 4\n"
    "[outbox]\n"
    "keep_days = 90\n";

/* --- fixture ------------------------------------------------------------- */

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_edgeconf_XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->boards, sizeof fx->boards, "%s/boards", fx->dir);
    snprintf(fx->local, sizeof fx->local, "%s/terminal.conf", fx->dir);
    snprintf(fx->board, sizeof fx->board, "%s/test.conf", fx->boards);
    if (mkdir(fx->boards, 0700) != 0) {
        rmdir(fx->dir);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;

    unlink(fx->local);
    unlink(fx->board);
    rmdir(fx->boards);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* --- helpers ------------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void write_pair(fx_t *fx, const char *board, const char *local)
{
    write_file(fx->board, board);
    write_file(fx->local, local);
}

/* Returns a malloc'd copy of text with the line starting with `prefix`
 * replaced by `line` (or removed when line is NULL).  The prefix must occur. */
static char *edit(const char *text, const char *prefix, const char *line)
{
    size_t n = strlen(text), plen = strlen(prefix);
    char *out = malloc(n + (line ? strlen(line) : 0) + 2);
    const char *p = text;
    char *o = out;
    int found = 0;

    assert_non_null(out);
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) + 1 : strlen(p);
        if (!found && strncmp(p, prefix, plen) == 0) {
            found = 1;
            if (line) {
                o += sprintf(o, "%s\n", line);
            }
        } else {
            memcpy(o, p, len);
            o += len;
        }
        p += len;
    }
    *o = '\0';
    if (!found)
        fail_msg("test bug: no line starts with '%s'", prefix);
    return out;
}

/* Loads the pair, expecting failure with `code`; the message is in fx->err. */
static void expect_fail(fx_t *fx, tt_err_t code)
{
    tt_err_t rc;

    fx->err[0] = '\0';
    rc = tt_edgeconf_load(fx->local, &fx->conf, fx->err, sizeof fx->err);
    if (rc != code)
        fail_msg("tt_edgeconf_load returned %d, expected %d (err '%s')", rc, code, fx->err);
    assert_true(strlen(fx->err) > 0);
}

static void expect_err_has(const fx_t *fx, const char *needle)
{
    if (!strstr(fx->err, needle))
        fail_msg("message '%s' does not contain '%s'", fx->err, needle);
}

static void expect_err_starts(const fx_t *fx, const char *prefix)
{
    if (strncmp(fx->err, prefix, strlen(prefix)) != 0)
        fail_msg("message '%s' does not start with '%s'", fx->err, prefix);
}

static void load_ok(fx_t *fx)
{
    tt_err_t rc;

    fx->err[0] = '\0';
    rc = tt_edgeconf_load(fx->local, &fx->conf, fx->err, sizeof fx->err);
    if (rc != TT_OK)
        fail_msg("tt_edgeconf_load: %d %s", rc, fx->err);
}

static void expect_path(const char *got, const char *dir, const char *rel)
{
    char want[512];

    snprintf(want, sizeof want, "%s/%s", dir, rel);
    assert_string_equal(got, want);
}

/* --- valid pairs --------------------------------------------------------- */

static void test_valid_pair_loads(void **state)
{
    fx_t *fx = *state;
    tt_edgeconf_t *c = &fx->conf;

    write_pair(fx, BOARD, LOCAL);
    memset(c, 0x5a, sizeof *c);   /* nothing may be left from before */
    load_ok(fx);

    assert_string_equal(c->board_file, fx->board);
    assert_string_equal(c->board_name, "sim");           /* board only */
    assert_string_equal(c->scanner.driver, "fake");      /* board only */
    assert_int_equal(c->mqtt_keepalive_s, 30);           /* board only */
    assert_string_equal(c->mqtt_url, "tcp://10.1.2.3:1883");   /* both: local wins */
    assert_string_equal(c->terminal_id, "T01");
    assert_string_equal(c->site, "mine1");
    assert_string_equal(c->mqtt_username, "T01");
    assert_string_equal(c->mqtt_password, "s3cret # not a comment");
    assert_int_equal(c->log_level, TT_LOG_WARN);
    assert_string_equal(c->warehouse, "W01");
    assert_int_equal(c->language, 1);
    assert_int_equal(c->uplink_window, 4);
    assert_int_equal(c->outbox_keep_days, 90);
    /* Defaults of keys neither file sets (docs/operations.md). */
    assert_int_equal(c->outbox_keep_events, 1000000);
    assert_int_equal(c->uplink_batch_max, 1000);
    assert_int_equal(c->uplink_resend_ms, 5000);
    /* Relative paths, set by the local file, resolve against its folder. */
    expect_path(c->store, fx->dir, "data/edge.db");
    expect_path(c->control_socket, fx->dir, "run/control.sock");
}

static void test_defaults_when_unset(void **state)
{
    fx_t *fx = *state;
    char *board = edit(BOARD, "keepalive_s", NULL);
    char *l1 = edit(LOCAL, "log_level", NULL);
    char *l2 = edit(l1, "warehouse", NULL);
    char *l3 = edit(l2, "language", NULL);
    char *local = edit(l3, "keep_days", NULL);
    tt_edgeconf_t *c = &fx->conf;

    write_pair(fx, board, local);
    memset(c, 0x5a, sizeof *c);
    load_ok(fx);
    assert_int_equal(c->mqtt_keepalive_s, 10);
    assert_int_equal(c->log_level, TT_LOG_INFO);
    assert_string_equal(c->warehouse, "");   /* chosen by card */
    assert_int_equal(c->language, 0);        /* zh */
    assert_int_equal(c->uplink_window, 4);
    assert_int_equal(c->uplink_batch_max, 1000);
    assert_int_equal(c->uplink_resend_ms, 5000);
    assert_int_equal(c->outbox_keep_days, 30);
    assert_int_equal(c->outbox_keep_events, 1000000);
    assert_string_equal(c->mqtt_username, "T01");
    assert_int_equal(c->scanner.baud, 9600);
    assert_int_equal(c->scanner.reopen_ms, 1000);
    assert_string_equal(c->scanner.layout, "us");
    assert_int_equal(c->scanner.vid, 0);
    assert_int_equal(c->scanner.pid, 0);
    free(board);
    free(l1);
    free(l2);
    free(l3);
    free(local);
}

static void test_paths_resolve_against_the_file_that_set_them(void **state)
{
    fx_t *fx = *state;
    char *local = edit(LOCAL, "store", NULL);
    char *local2 = edit(local, "control_socket", NULL);
    char board[512];
    tt_edgeconf_t *c = &fx->conf;

    /* Both set by the board file: relative to boards/. */
    snprintf(board, sizeof board, "store = ../var/board.db\ncontrol_socket = ctl.sock\n%s",
             BOARD);
    write_pair(fx, board, local2);
    load_ok(fx);
    expect_path(c->store, fx->boards, "../var/board.db");
    expect_path(c->control_socket, fx->boards, "ctl.sock");

    /* The local file overrides both: both relative to its folder. */
    write_pair(fx, board, LOCAL);
    load_ok(fx);
    expect_path(c->store, fx->dir, "data/edge.db");
    expect_path(c->control_socket, fx->dir, "run/control.sock");
    /* The local file overrides store only: store relative to the local
     * file's folder, control_socket still to the board's. */
    {
        char *only_store = edit(LOCAL, "control_socket", NULL);
        write_pair(fx, board, only_store);
        load_ok(fx);
        expect_path(c->store, fx->dir, "data/edge.db");
        expect_path(c->control_socket, fx->boards, "ctl.sock");
        free(only_store);
    }

    /* Absolute paths are kept as they are, and so is an absolute board. */
    {
        char line[256];
        char *abs1 = edit(LOCAL, "store", "store = /var/lib/tagtrail/edge.db");
        char *abs2;
        snprintf(line, sizeof line, "board = %s", fx->board);
        abs2 = edit(abs1, "board", line);
        write_pair(fx, BOARD, abs2);
        load_ok(fx);
        assert_string_equal(c->store, "/var/lib/tagtrail/edge.db");
        assert_string_equal(c->board_file, fx->board);
        free(abs1);
        free(abs2);
    }
    free(local);
    free(local2);
}

/* --- refusals ------------------------------------------------------------ */

static void test_unknown_key_in_board(void **state)
{
    fx_t *fx = *state;
    char board[512], prefix[256];

    /* Line 4: an unknown key in a known section. */
    snprintf(board, sizeof board, "[board]\nname = sim\n[scanner]\nspeed = 9600\ndriver = fake\n");
    write_pair(fx, board, LOCAL);
    expect_fail(fx, TT_ERR_CONFIG);
    snprintf(prefix, sizeof prefix, "%s:4:", fx->board);
    expect_err_starts(fx, prefix);
    expect_err_has(fx, "speed");
}

static void test_unknown_key_in_local(void **state)
{
    fx_t *fx = *state;
    char *local = edit(LOCAL, "site", "site = mine1\nsiet = mine2");
    char prefix[256];

    /* "siet" is on line 4 of the local file. */
    write_pair(fx, BOARD, local);
    expect_fail(fx, TT_ERR_CONFIG);
    snprintf(prefix, sizeof prefix, "%s:4:", fx->local);
    expect_err_starts(fx, prefix);
    expect_err_has(fx, "siet");
    free(local);

    /* An unknown section: its first key (line 10) is unknown. */
    local = edit(LOCAL, "[mqtt]", "[mqqt]");
    write_pair(fx, BOARD, local);
    expect_fail(fx, TT_ERR_CONFIG);
    snprintf(prefix, sizeof prefix, "%s:10:", fx->local);
    expect_err_starts(fx, prefix);
    free(local);
}

static void test_missing_required_key(void **state)
{
    static const struct {
        const char *prefix;   /* line removed from LOCAL, or from BOARD */
        int in_board;
        const char *key;
    } cases[] = {
        {"site", 0, "site"},
        {"terminal_id", 0, "terminal_id"},
        {"store", 0, "store"},
        {"control_socket", 0, "control_socket"},
        {"board", 0, "board"},
        {"name", 1, "board.name"},
        {"driver", 1, "scanner.driver"},
    };
    fx_t *fx = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = edit(cases[i].in_board ? BOARD : LOCAL, cases[i].prefix, NULL);
        char quoted[64];

        if (cases[i].in_board)
            write_pair(fx, text, LOCAL);
        else
            write_pair(fx, BOARD, text);
        expect_fail(fx, TT_ERR_CONFIG);
        snprintf(quoted, sizeof quoted, "'%s'", cases[i].key);
        expect_err_has(fx, quoted);
        expect_err_has(fx, "missing");
        free(text);
    }

    /* mqtt.url missing from both files. */
    {
        char *board = edit(BOARD, "url", NULL);
        char *local = edit(LOCAL, "url", NULL);
        write_pair(fx, board, local);
        expect_fail(fx, TT_ERR_CONFIG);
        expect_err_has(fx, "'mqtt.url'");
        free(board);
        free(local);
    }
}

static void test_bad_terminal_id(void **state)
{
    static const char *const bad[] = {
        "terminal_id = T/01",
        "terminal_id = T+1",
        "terminal_id = T#1",
        "terminal_id = \"T 01\"",
        "terminal_id = ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456",   /* 33 bytes */
    };
    fx_t *fx = *state;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *local = edit(LOCAL, "terminal_id", bad[i]);
        write_pair(fx, BOARD, local);
        expect_fail(fx, TT_ERR_CONFIG);
        expect_err_has(fx, "terminal_id");
        free(local);
    }
    /* 32 bytes is the most allowed. */
    {
        char *local = edit(LOCAL, "terminal_id", "terminal_id = ABCDEFGHIJKLMNOPQRSTUVWXYZ012345");
        write_pair(fx, BOARD, local);
        load_ok(fx);
        assert_string_equal(fx->conf.terminal_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345");
        free(local);
    }
    /* The site id follows the same rule. */
    {
        char *local = edit(LOCAL, "site", "site = mine/1");
        write_pair(fx, BOARD, local);
        expect_fail(fx, TT_ERR_CONFIG);
        expect_err_has(fx, "site");
        free(local);
    }
}

static void test_bad_warehouse(void **state)
{
    fx_t *fx = *state;
    char *local = edit(LOCAL, "warehouse", "warehouse = W/01");

    write_pair(fx, BOARD, local);
    expect_fail(fx, TT_ERR_CONFIG);
    expect_err_has(fx, "warehouse");
    free(local);
}

static void test_scanner_usb_id(void **state)
{
    static const char *const bad[] = {
        "usb_id = 0c2e0b61",
        "usb_id = 0c2e:0b6",
        "usb_id = 0c2e:0b61x",
        "usb_id = zzzz:0b61",
        "usb_id = 0c2e-0b61",
        /* sscanf's %x would take these; none is "VID:PID in hex". */
        "usb_id = -001:0b61",
        "usb_id = +c2e:0b61",
        "usb_id = 0x2e:0b61",
    };
    fx_t *fx = *state;
    int accepted = 0;

    {
        char *board = edit(BOARD, "driver", "driver = fake\nusb_id = 0c2e:0B61\ninterface = 2");
        write_pair(fx, board, LOCAL);
        load_ok(fx);
        assert_int_equal(fx->conf.scanner.vid, 0x0c2e);
        assert_int_equal(fx->conf.scanner.pid, 0x0b61);
        assert_int_equal(fx->conf.scanner.interface, 2);
        free(board);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[128];
        char *board;
        tt_err_t rc;

        snprintf(line, sizeof line, "driver = fake\n%s", bad[i]);
        board = edit(BOARD, "driver", line);
        write_pair(fx, board, LOCAL);
        fx->err[0] = '\0';
        rc = tt_edgeconf_load(fx->local, &fx->conf, fx->err, sizeof fx->err);
        free(board);
        if (rc == TT_ERR_CONFIG) {
            expect_err_has(fx, fx->board);
            expect_err_has(fx, "usb_id");
            continue;
        }
        print_error("'%s' accepted (rc %d) as vid 0x%04x pid 0x%04x\n", bad[i], rc,
                    fx->conf.scanner.vid, fx->conf.scanner.pid);
        accepted++;
    }
    assert_int_equal(accepted, 0);
}

static void test_unknown_scanner_driver(void **state)
{
    fx_t *fx = *state;
    char *board = edit(BOARD, "driver", "driver = laser9000");

    write_pair(fx, board, LOCAL);
    expect_fail(fx, TT_ERR_CONFIG);
    expect_err_has(fx, fx->board);
    expect_err_has(fx, "laser9000");
    free(board);
}

static void test_mqtt_url_scheme(void **state)
{
    static const char *const bad[] = {
        "url = mqtt://10.1.2.3:1883",
        "url = 10.1.2.3:1883",
        "url = TCP://10.1.2.3:1883",
        "url = http://10.1.2.3",
    };
    fx_t *fx = *state;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *local = edit(LOCAL, "url", bad[i]);
        write_pair(fx, BOARD, local);
        expect_fail(fx, TT_ERR_CONFIG);
        expect_err_has(fx, "mqtt.url");
        free(local);
    }
    /* Only the board's url, and it is bad: refused all the same. */
    {
        char *board = edit(BOARD, "url", "url = broker:1883");
        char *local = edit(LOCAL, "url", NULL);
        write_pair(fx, board, local);
        expect_fail(fx, TT_ERR_CONFIG);
        expect_err_has(fx, "mqtt.url");
        free(board);
        free(local);
    }
    /* ssl:// and mqtts:// are TLS, and need the CA to verify the broker with. */
    {
        char *local = edit(LOCAL, "url", "url = ssl://broker.example:8883");
        write_pair(fx, BOARD, local);
        expect_fail(fx, TT_ERR_CONFIG);
        expect_err_starts(fx, fx->local);
        expect_err_has(fx, "mqtt.ca_file is not set");
        free(local);
    }
}

/* Writes dir/name with `text` and `mode`. */
static void put_file(const fx_t *fx, const char *name, const char *text, mode_t mode)
{
    char path[192];
    snprintf(path, sizeof path, "%s/%s", fx->dir, name);
    write_file(path, text);
    assert_int_equal(chmod(path, mode), 0);
}

static void remove_file(const fx_t *fx, const char *name)
{
    char path[192];
    snprintf(path, sizeof path, "%s/%s", fx->dir, name);
    unlink(path);
}

/* The local file with its [mqtt] section replaced by `mqtt` (the lines after
 * "[mqtt]", up to [uplink]). */
static char *with_mqtt(const char *mqtt)
{
    const char *a = strstr(LOCAL, "[mqtt]\n"), *b = strstr(LOCAL, "[uplink]");
    char *out = malloc(strlen(LOCAL) + strlen(mqtt) + 1);
    assert_non_null(out);
    sprintf(out, "%.*s[mqtt]\n%s%s", (int)(a - LOCAL), LOCAL, mqtt, b);
    return out;
}

static void test_mqtt_tls(void **state)
{
    /* (the [mqtt] lines, the start of the reason, with the local file's line number) */
    static const struct {
        const char *mqtt, *why;
        int line;   /* 0: "file: reason" */
    } bad[] = {
        {"url = mqtts://b:8883\nusername = T01\n", "mqtt.ca_file is not set", 0},
        {"url = tcp://b:1883\nca_file = ca.pem\n", "need a TLS mqtt.url", 0},
        {"url = ssl://b:8883\nca_file = ca.pem\ncert_file = t.crt\n", "go together", 0},
        {"url = ssl://b:8883\nca_file = ca.pem\nkey_file = t.key\n", "go together", 0},
        {"url = ssl://b:8883\nca_file = ca.pem\nusername = T01\npassword = x\n"
         "password_file = pw\n", "both set", 0},
        {"url = ssl://b:8883\nca_file = ca.pem\npassword_file = pw\n", "needs mqtt.username", 0},
        {"url = ssl://b:8883\nca_file = missing.pem\n", "cannot read", 11},
        {"url = ssl://b:8883\nca_file = ca.pem\ncert_file = t.crt\nkey_file = open.key\n",
         "is open to group or others (mode 644)", 13},
        {"url = ssl://b:8883\nca_file = ca.pem\nusername = T01\npassword_file = pw-open\n",
         "is open to group or others (mode 640)", 13},
        {"url = ssl://b:8883\nca_file = ca.pem\nusername = T01\npassword_file = pw-empty\n",
         "is empty", 13},
    };
    fx_t *fx = *state;
    char want[256];

    put_file(fx, "ca.pem", "CA\n", 0644);
    put_file(fx, "t.crt", "CERT\n", 0644);
    put_file(fx, "t.key", "KEY\n", 0600);
    put_file(fx, "open.key", "KEY\n", 0644);
    put_file(fx, "pw", "Zq8 secret\n", 0600);
    put_file(fx, "pw-open", "Zq8\n", 0640);
    put_file(fx, "pw-empty", "", 0600);

    {
        char *local = with_mqtt("url = mqtts://broker:8883\nusername = T01\npassword_file = pw\n"
                                "ca_file = ca.pem\ncert_file = t.crt\nkey_file = t.key\n");
        write_pair(fx, BOARD, local);
        load_ok(fx);
        assert_string_equal(fx->conf.mqtt_password, "Zq8 secret");
        expect_path(fx->conf.mqtt_ca_file, fx->dir, "ca.pem");
        expect_path(fx->conf.mqtt_cert_file, fx->dir, "t.crt");
        expect_path(fx->conf.mqtt_key_file, fx->dir, "t.key");
        free(local);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *local = with_mqtt(bad[i].mqtt);
        write_pair(fx, BOARD, local);
        expect_fail(fx, TT_ERR_CONFIG);
        if (bad[i].line)
            snprintf(want, sizeof want, "%s:%d: ", fx->local, bad[i].line);
        else
            snprintf(want, sizeof want, "%s: ", fx->local);
        expect_err_starts(fx, want);
        expect_err_has(fx, bad[i].why);
        free(local);
    }
    {
        static const char *const names[] = {"ca.pem", "t.crt", "t.key", "open.key", "pw",
                                            "pw-open", "pw-empty"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            remove_file(fx, names[i]);
    }
}

static void test_missing_files(void **state)
{
    fx_t *fx = *state;
    char *local = edit(LOCAL, "board", "board = boards/nope.conf");
    char want[256];
    tt_err_t rc;

    /* The board file the local file names does not exist. */
    write_pair(fx, BOARD, local);
    fx->err[0] = '\0';
    rc = tt_edgeconf_load(fx->local, &fx->conf, fx->err, sizeof fx->err);
    if (rc != TT_ERR_IO && rc != TT_ERR_CONFIG)
        fail_msg("missing board file: %d (err '%s')", rc, fx->err);
    snprintf(want, sizeof want, "%s/boards/nope.conf", fx->dir);
    expect_err_has(fx, want);
    free(local);

    /* The local file itself does not exist. */
    unlink(fx->local);
    fx->err[0] = '\0';
    rc = tt_edgeconf_load(fx->local, &fx->conf, fx->err, sizeof fx->err);
    if (rc != TT_ERR_IO && rc != TT_ERR_CONFIG)
        fail_msg("missing local file: %d (err '%s')", rc, fx->err);
    expect_err_has(fx, fx->local);
}

static void test_bad_values(void **state)
{
    static const struct {
        const char *prefix, *line;
        int in_board;
        const char *needle;
    } cases[] = {
        {"window", "window = 33", 0, "uplink.window"},
        {"window", "window = four", 0, "uplink.window"},
        {"log_level", "log_level = loud", 0, "log_level"},
        {"keepalive_s", "keepalive_s = 1", 1, "mqtt.keepalive_s"},
        {"site", "site = mine1\nsite = mine2", 0, "site"},   /* twice in one file */
        {"language", "language = fr", 0, "language"},
        {"driver", "driver = fake\nbaud = 300", 1, "scanner.baud"},
        {"keep_days", "keep_days = 0", 0, "outbox.keep_days"},
        {"keep_days", "keep_days = 30d", 0, "outbox.keep_days"},
        {"keep_days", "keep_days = 30\nkeep_events = 999", 0, "outbox.keep_events"},
        {"keep_days", "keep_days = 30\nkeep_forever = yes", 0, "outbox.keep_forever"},
    };
    fx_t *fx = *state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = edit(cases[i].in_board ? BOARD : LOCAL, cases[i].prefix, cases[i].line);
        if (cases[i].in_board)
            write_pair(fx, text, LOCAL);
        else
            write_pair(fx, BOARD, text);
        expect_fail(fx, TT_ERR_CONFIG);
        expect_err_starts(fx, cases[i].in_board ? fx->board : fx->local);
        expect_err_has(fx, cases[i].needle);
        free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_pair_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults_when_unset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paths_resolve_against_the_file_that_set_them, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_in_board, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key_in_local, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_required_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_terminal_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_warehouse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scanner_usb_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_scanner_driver, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mqtt_url_scheme, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mqtt_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
    };
    return cmocka_run_group_tests_name("edgeconf", tests, NULL, NULL);
}
