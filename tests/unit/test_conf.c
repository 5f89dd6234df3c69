/*
 * Unit tests for shared/conf: a schema with every type, valid files, every
 * rejection with its "name:line: reason", layering and the file reader.
 */
#include <errno.h>
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

#include "conf.h"
#include "money.h"

typedef struct {
    char site[16];
    char label[32];
    char db_path[64];
    long long port;
    long long retries;
    int tls;
    int mode;
    tt_qty_t max_issue;
} cfg_t;

static const char *const modes[] = {"edge", "relay", "central", NULL};

#define FIELD(f) offsetof(cfg_t, f), sizeof(((cfg_t *)0)->f)

static const tt_conf_key_t schema[] = {
    {"site", TT_CONF_STR, 1, 0, 0, NULL, FIELD(site)},
    {"mode", TT_CONF_ENUM, 0, 0, 0, modes, FIELD(mode)},
    {"mqtt.port", TT_CONF_INT, 1, 1, 65535, NULL, FIELD(port)},
    {"mqtt.retries", TT_CONF_INT, 0, -1, 10, NULL, FIELD(retries)},
    {"mqtt.tls", TT_CONF_BOOL, 0, 0, 0, NULL, FIELD(tls)},
    {"stock.max_issue", TT_CONF_QTY, 0, 1, 500000, NULL, FIELD(max_issue)},
    {"stock.label", TT_CONF_STR, 0, 0, 0, NULL, FIELD(label)},
    {"db-main.path", TT_CONF_STR, 0, 0, 0, NULL, FIELD(db_path)},
};
#define NKEYS (sizeof schema / sizeof schema[0])

enum { K_SITE, K_MODE, K_PORT, K_RETRIES, K_TLS, K_MAX_ISSUE, K_LABEL, K_DB_PATH };

/* The defaults a caller would set before loading. */
static void defaults(cfg_t *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->label, "default");
    c->retries = 3;
    c->tls = 1;
    c->mode = 1;
    c->max_issue = 100000;
}

static tt_err_t parse_len(const char *text, size_t len, cfg_t *c, unsigned char *seen,
                          char *err)
{
    return tt_conf_parse("t.conf", text, len, schema, NKEYS, c, seen, err, TT_CONF_ERR_MAX);
}

static tt_err_t parse(const char *text, cfg_t *c, unsigned char *seen, char *err)
{
    return parse_len(text, strlen(text), c, seen, err);
}

/* Parses `len` bytes of text that must fail on `line` with a reason that
 * contains `reason`. */
static void expect_error_len(const char *text, size_t len, int line, const char *reason)
{
    cfg_t c;
    unsigned char seen[NKEYS] = {0};
    char err[TT_CONF_ERR_MAX], prefix[64];

    defaults(&c);
    assert_int_equal(parse_len(text, len, &c, seen, err), TT_ERR_CONFIG);
    snprintf(prefix, sizeof prefix, "t.conf:%d: ", line);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, reason) == NULL)
        fail_msg("text %s\n  got:  %s\n  want: %s...%s", text, err, prefix, reason);
    for (size_t i = 0; i < NKEYS; i++)
        assert_true(seen[i] <= 1);
}

static void expect_error(const char *text, int line, const char *reason)
{
    expect_error_len(text, strlen(text), line, reason);
}

static void test_valid_file(void **state)
{
    static const char text[] =
        "# terminal configuration\n"
        "\n"
        "   # indented comment\n"
        "site = T01\n"
        "mode=central\n"
        "[mqtt]\n"
        "port = 1883\n"
        "\tretries\t=\t-1\t\n"
        "tls = off\n"
        "[stock]\n"
        "max_issue = 2.5\n"
        "label = Main store # north adit\n"
        "[db-main]\n"
        "path = /var/lib/tagtrail/中文.db\n";
    cfg_t c;
    unsigned char seen[NKEYS] = {0};
    char err[TT_CONF_ERR_MAX] = "stale";
    (void)state;

    defaults(&c);
    assert_int_equal(parse(text, &c, seen, err), TT_OK);
    assert_string_equal(err, "");
    assert_string_equal(c.site, "T01");
    assert_int_equal(c.mode, 2);
    assert_int_equal(c.port, 1883);
    assert_true(c.retries == -1);
    assert_int_equal(c.tls, 0);
    assert_true(c.max_issue == 2500);
    assert_string_equal(c.label, "Main store # north adit");
    assert_string_equal(c.db_path, "/var/lib/tagtrail/中文.db");
    for (size_t i = 0; i < NKEYS; i++)
        assert_int_equal(seen[i], 1);
    assert_int_equal(tt_conf_check_required("t.conf", schema, NKEYS, seen, err, sizeof err),
                     TT_OK);
}

static void test_optional_keys_keep_defaults(void **state)
{
    cfg_t c;
    unsigned char seen[NKEYS] = {0};
    char err[TT_CONF_ERR_MAX];
    (void)state;

    defaults(&c);
    assert_int_equal(parse("site = T02\n[mqtt]\nport = 8883\n", &c, seen, err), TT_OK);
    assert_string_equal(c.site, "T02");
    assert_int_equal(c.port, 8883);
    assert_string_equal(c.label, "default");
    assert_int_equal(c.retries, 3);
    assert_int_equal(c.tls, 1);
    assert_int_equal(c.mode, 1);
    assert_true(c.max_issue == 100000);
    assert_int_equal(seen[K_SITE], 1);
    assert_int_equal(seen[K_PORT], 1);
    assert_int_equal(seen[K_LABEL], 0);
    assert_int_equal(seen[K_TLS], 0);
    assert_int_equal(tt_conf_check_required("t.conf", schema, NKEYS, seen, err, sizeof err),
                     TT_OK);
}

static void test_every_type_accepts(void **state)
{
    static const struct { const char *word; int value; } bools[] = {
        {"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0},
        {"on", 1}, {"off", 0}, {"1", 1}, {"0", 0},
    };
    char text[128], err[TT_CONF_ERR_MAX];
    cfg_t c;
    (void)state;

    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        unsigned char seen[NKEYS] = {0};
        defaults(&c);
        c.tls = -7;
        snprintf(text, sizeof text, "[mqtt]\ntls = %s\n", bools[i].word);
        assert_int_equal(parse(text, &c, seen, err), TT_OK);
        assert_int_equal(c.tls, bools[i].value);
    }
    for (int i = 0; modes[i] != NULL; i++) {
        unsigned char seen[NKEYS] = {0};
        defaults(&c);
        snprintf(text, sizeof text, "mode = %s", modes[i]);
        assert_int_equal(parse(text, &c, seen, err), TT_OK);
        assert_int_equal(c.mode, i);
    }

    unsigned char seen[NKEYS] = {0};
    defaults(&c);
    assert_int_equal(parse("[mqtt]\nport = 65535\nretries = 010\n"
                           "[stock]\nmax_issue = 0.001\n", &c, seen, err), TT_OK);
    assert_int_equal(c.port, 65535);
    assert_int_equal(c.retries, 10);
    assert_true(c.max_issue == 1);
    memset(seen, 0, sizeof seen);
    assert_int_equal(parse("[mqtt]\nport = 1\nretries = -0\n[stock]\nmax_issue = 500\n"
                           "label = \"7\"", &c, seen, err), TT_OK);
    assert_int_equal(c.port, 1);
    assert_int_equal(c.retries, 0);
    assert_true(c.max_issue == 500000);
    assert_string_equal(c.label, "7");

    /* A string of exactly size - 1 bytes fits. */
    memset(seen, 0, sizeof seen);
    assert_int_equal(parse("site = 0123456789abcde", &c, seen, err), TT_OK);
    assert_string_equal(c.site, "0123456789abcde");
}

static void test_quoted_values(void **state)
{
    cfg_t c;
    unsigned char seen[NKEYS] = {0};
    char err[TT_CONF_ERR_MAX];
    (void)state;

    defaults(&c);
    assert_int_equal(parse("[stock]\nlabel = \"  a # b \\\"q\\\" \\\\ \"  \n"
                           "[mqtt]\nport = \"1883\"\n", &c, seen, err), TT_OK);
    assert_string_equal(c.label, "  a # b \"q\" \\ ");
    assert_int_equal(c.port, 1883);

    memset(seen, 0, sizeof seen);
    assert_int_equal(parse("site = \"#\"", &c, seen, err), TT_OK);
    assert_string_equal(c.site, "#");
    memset(seen, 0, sizeof seen);
    assert_int_equal(parse("site = a\"b\"", &c, seen, err), TT_OK);
    assert_string_equal(c.site, "a\"b\"");

    expect_error("site = \"abc", 1, "unterminated quoted value for 'site'");
    expect_error("site = \"abc\\\"", 1, "unterminated quoted value for 'site'");
    expect_error("site = \"a\\nb\"", 1, "bad escape");
    expect_error("site = \"a\\", 1, "bad escape");
    expect_error("site = \"a\" b", 1, "text after closing quote for 'site'");
    expect_error("site = \"a\" # comment", 1, "text after closing quote for 'site'");
    expect_error("site = \"a\"\"b\"", 1, "text after closing quote for 'site'");
    expect_error("site = \"\"", 1, "empty value for 'site'");
    expect_error("[mqtt]\nport = \"\"", 2, "bad integer '' for 'mqtt.port'");
}

static void test_line_endings(void **state)
{
    cfg_t c;
    unsigned char seen[NKEYS] = {0};
    char err[TT_CONF_ERR_MAX];
    (void)state;

    defaults(&c);
    assert_int_equal(parse("site = abc\r\n\r\n# c\r\n[mqtt]\r\nport = 1883\r\n"
                           "[stock]\r\nlabel = \"x \"\r\n", &c, seen, err), TT_OK);
    assert_string_equal(c.site, "abc");
    assert_int_equal(c.port, 1883);
    assert_string_equal(c.label, "x ");

    memset(seen, 0, sizeof seen);
    defaults(&c);
    assert_int_equal(parse("site = abc\n[mqtt]\nport = 1884", &c, seen, err), TT_OK);
    assert_int_equal(c.port, 1884);
    memset(seen, 0, sizeof seen);
    assert_int_equal(parse("[mqtt]\r\nport = 1885\r", &c, seen, err), TT_OK);
    assert_int_equal(c.port, 1885);
    memset(seen, 0, sizeof seen);
    assert_int_equal(parse("", &c, seen, err), TT_OK);
    assert_int_equal(parse("\n\n", &c, seen, err), TT_OK);
    for (size_t i = 0; i < NKEYS; i++)
        assert_int_equal(seen[i], 0);

    /* Line numbers count every line, CRLF or not. */
    expect_error("# a\r\n\r\n[mqtt]\r\nport = x\r\n", 4, "bad integer 'x' for 'mqtt.port'");
}

/* `len` is the text length, so it need not be NUL-terminated. */
static void test_text_is_length_bounded(void **state)
{
    static const char text[] = "site = abcdef";
    cfg_t c;
    unsigned char seen[NKEYS] = {0};
    char err[TT_CONF_ERR_MAX];
    (void)state;

    defaults(&c);
    assert_int_equal(parse_len(text, 9, &c, seen, err), TT_OK);
    assert_string_equal(c.site, "ab");
}

static void test_key_errors(void **state)
{
    (void)state;
    expect_error("bogus = 1\n", 1, "unknown key 'bogus'");
    expect_error("site = a\n[mqtt]\nbogus = 1\n", 3, "unknown key 'mqtt.bogus'");
    expect_error("[mqtt]\nsite = a\n", 2, "unknown key 'mqtt.site'");
    expect_error("port = 1\n", 1, "unknown key 'port'");
    expect_error("[nosuch]\nport = 1\n", 2, "unknown key 'nosuch.port'");
    expect_error("site = a\nsite = b\n", 2, "duplicate key 'site'");
    expect_error("[mqtt]\nport = 1\n[stock]\n\n[mqtt]\nport = 1\n", 6,
                 "duplicate key 'mqtt.port'");
    /* Unknown is reported before the value is looked at. */
    expect_error("bogus = \"unterminated\n", 1, "unknown key 'bogus'");
    /* A value rejected on its first use does not count as set. */
    expect_error("[mqtt]\nport = 0\n", 2, "out of range");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_error("just words\n", 1, "expected 'key = value'");
    expect_error("\n\nsite\n", 3, "expected 'key = value'");
    expect_error("= x\n", 1, "expected 'key = value'");
    expect_error("Site = x\n", 1, "expected 'key = value'");
    expect_error("site: x\n", 1, "expected 'key = value'");
    expect_error("si te = x\n", 1, "expected 'key = value'");
    expect_error("site.x = y\n", 1, "expected 'key = value'");
    expect_error("db-main = y\n", 1, "expected 'key = value'");
    expect_error("site = a\n  site2 # x\n", 2, "expected 'key = value'");

    expect_error("site =\n", 1, "empty value for 'site'");
    expect_error("site =   \t\n", 1, "empty value for 'site'");
    expect_error("[mqtt]\nport =", 2, "empty value for 'mqtt.port'");

    expect_error("[MQTT]\n", 1, "bad section name 'MQTT'");
    expect_error("[]\n", 1, "bad section name ''");
    expect_error("[a b]\n", 1, "bad section name 'a b'");
    expect_error("[mqtt.x]\n", 1, "bad section name 'mqtt.x'");
    expect_error("[ mqtt ]\n", 1, "bad section name ' mqtt '");
    expect_error("[mqtt\n", 1, "bad section header");
    expect_error("[\n", 1, "bad section header");
    expect_error("[mqtt] # comment\n", 1, "bad section header");
    expect_error("site = a # fine\nx[mqtt]\n", 2, "expected 'key = value'");
}

static void test_value_errors(void **state)
{
    (void)state;
    expect_error("[mqtt]\nport = 12x\n", 2, "bad integer '12x' for 'mqtt.port'");
    expect_error("[mqtt]\nport = +1\n", 2, "bad integer '+1' for 'mqtt.port'");
    expect_error("[mqtt]\nport = 0x10\n", 2, "bad integer '0x10'");
    expect_error("[mqtt]\nport = 1 2\n", 2, "bad integer '1 2'");
    expect_error("[mqtt]\nport = 1.0\n", 2, "bad integer '1.0'");
    expect_error("[mqtt]\nport = -\n", 2, "bad integer '-'");
    expect_error("[mqtt]\nport = --1\n", 2, "bad integer '--1'");
    expect_error("[mqtt]\nport = 0\n", 2, "'0' for 'mqtt.port' out of range [1, 65535]");
    expect_error("[mqtt]\nport = 65536\n", 2, "out of range [1, 65535]");
    expect_error("[mqtt]\nport = -9223372036854775808\n", 2, "out of range [1, 65535]");
    expect_error("[mqtt]\nport = 99999999999999999999999\n", 2,
                 "'99999999999999999999999' for 'mqtt.port' out of range [1, 65535]");
    expect_error("[mqtt]\nport = 99999999999999999999999x\n", 2, "bad integer");
    expect_error("[mqtt]\nretries = -2\n", 2, "out of range [-1, 10]");
    expect_error("[mqtt]\nretries = 11\n", 2, "out of range [-1, 10]");

    expect_error("[mqtt]\ntls = maybe\n", 2, "bad boolean 'maybe' for 'mqtt.tls'");
    expect_error("[mqtt]\ntls = TRUE\n", 2, "bad boolean 'TRUE'");
    expect_error("[mqtt]\ntls = 2\n", 2, "bad boolean '2'");

    expect_error("mode = Edge\n", 1,
                 "bad value 'Edge' for 'mode' (expected one of 'edge', 'relay', 'central')");
    expect_error("mode = edge2\n", 1, "bad value 'edge2' for 'mode'");

    expect_error("[stock]\nmax_issue = 1.2345\n", 2, "bad quantity '1.2345' for 'stock.max_issue'");
    expect_error("[stock]\nmax_issue = 1,5\n", 2, "bad quantity '1,5'");
    expect_error("[stock]\nmax_issue = .5\n", 2, "bad quantity '.5'");
    expect_error("[stock]\nmax_issue = 0\n", 2,
                 "'0' for 'stock.max_issue' out of range [0.001, 500]");
    expect_error("[stock]\nmax_issue = 500.001\n", 2, "out of range [0.001, 500]");
    expect_error("[stock]\nmax_issue = -1\n", 2, "out of range [0.001, 500]");
    expect_error("[stock]\nmax_issue = 99999999999999999999\n", 2, "out of range [0.001, 500]");

    expect_error("site = 0123456789abcdef\n", 1, "value for 'site' too long");
    expect_error("site = 0123456789abcdef\n", 1, "max 15 bytes");
    expect_error("site = 中文中文中文\n", 1, "max 15 bytes");

    /* A long bad value is quoted back only in part. */
    char text[300];
    memset(text, 0, sizeof text);
    strcpy(text, "mode = ");
    memset(text + 7, 'x', 200);
    expect_error(text, 1, "'xxxxxxxxxxxxxxxx");
    expect_error(text, 1, "...' for 'mode'");
}

static void test_text_errors(void **state)
{
    char text[TT_CONF_LINE_MAX + 16];
    (void)state;

    expect_error_len("site = a\0b\n", 11, 1, "NUL byte");
    expect_error_len("site = a\n# ok\n\0\n", 16, 3, "NUL byte");
    expect_error_len("site = ab\0", 10, 1, "NUL byte");

    expect_error("site = \xff\n", 1, "invalid UTF-8");
    expect_error("site = a\n# \xfe comment\n", 2, "invalid UTF-8");
    expect_error("site = \xc0\xaf\n", 1, "invalid UTF-8");           /* overlong '/' */
    expect_error("site = \xe0\x80\xaf\n", 1, "invalid UTF-8");       /* overlong '/' */
    expect_error("site = \xed\xa0\x80\n", 1, "invalid UTF-8");       /* surrogate */
    expect_error("site = \xf4\x90\x80\x80\n", 1, "invalid UTF-8");   /* > U+10FFFF */
    expect_error("site = \xe4\xb8\n", 1, "invalid UTF-8");           /* cut short */
    expect_error("site = \xe4\xb8", 1, "invalid UTF-8");             /* cut by the end */
    expect_error("site = \x80\n", 1, "invalid UTF-8");               /* lone continuation */

    /* Exactly TT_CONF_LINE_MAX bytes is accepted, one more is not. */
    memset(text, 0, sizeof text);
    text[0] = '#';
    memset(text + 1, 'x', TT_CONF_LINE_MAX - 1);
    cfg_t c;
    unsigned char seen[NKEYS] = {0};
    char err[TT_CONF_ERR_MAX];
    assert_int_equal(parse(text, &c, seen, err), TT_OK);
    strcat(text, "\r\n");
    assert_int_equal(parse(text, &c, seen, err), TT_OK);
    text[TT_CONF_LINE_MAX] = 'x';
    text[TT_CONF_LINE_MAX + 1] = '\n';
    text[TT_CONF_LINE_MAX + 2] = '\0';
    expect_error(text, 1, "line too long (max 1024 bytes)");
}

static void test_layering(void **state)
{
    static const char board[] =
        "site = T01\n"
        "[mqtt]\n"
        "port = 1883\n"
        "tls = no\n"
        "[stock]\n"
        "label = board\n";
    static const char local[] =
        "[mqtt]\n"
        "port = 8883\n"
        "tls = yes\n";
    cfg_t c;
    unsigned char seen[NKEYS] = {0};
    char err[TT_CONF_ERR_MAX];
    (void)state;

    defaults(&c);
    assert_int_equal(parse(board, &c, seen, err), TT_OK);
    assert_int_equal(tt_conf_parse("local.conf", local, strlen(local), schema, NKEYS, &c, seen,
                                   err, sizeof err), TT_OK);
    assert_string_equal(c.site, "T01");
    assert_int_equal(c.port, 8883);
    assert_int_equal(c.tls, 1);
    assert_string_equal(c.label, "board");
    assert_int_equal(c.retries, 3);
    assert_int_equal(seen[K_SITE], 1);
    assert_int_equal(seen[K_PORT], 1);
    assert_int_equal(seen[K_TLS], 1);
    assert_int_equal(seen[K_LABEL], 1);
    assert_int_equal(seen[K_RETRIES], 0);
    assert_int_equal(tt_conf_check_required("board+local", schema, NKEYS, seen, err,
                                            sizeof err), TT_OK);

    /* Overriding across layers is fine; twice within one layer is not. */
    assert_int_equal(tt_conf_parse("local.conf", "[mqtt]\nport = 1\nport = 2\n", 24, schema,
                                   NKEYS, &c, seen, err, sizeof err), TT_ERR_CONFIG);
    assert_string_equal(err, "local.conf:3: duplicate key 'mqtt.port'");
    assert_int_equal(seen[K_PORT], 1);
}

static void test_missing_required(void **state)
{
    cfg_t c;
    unsigned char seen[NKEYS] = {0};
    char err[TT_CONF_ERR_MAX];
    (void)state;

    defaults(&c);
    assert_int_equal(parse("[mqtt]\nport = 1883\n", &c, seen, err), TT_OK);
    assert_int_equal(tt_conf_check_required("terminal.conf", schema, NKEYS, seen, err,
                                            sizeof err), TT_ERR_CONFIG);
    assert_string_equal(err, "terminal.conf: missing required key 'site'");

    memset(seen, 0, sizeof seen);
    assert_int_equal(parse("site = x\n", &c, seen, err), TT_OK);
    assert_int_equal(tt_conf_check_required("terminal.conf", schema, NKEYS, seen, err,
                                            sizeof err), TT_ERR_CONFIG);
    assert_string_equal(err, "terminal.conf: missing required key 'mqtt.port'");

    memset(seen, 0, sizeof seen);
    assert_int_equal(tt_conf_check_required("terminal.conf", schema, NKEYS, seen, err,
                                            sizeof err), TT_ERR_CONFIG);
    assert_string_equal(err, "terminal.conf: missing required key 'site'");
}

static void test_small_error_buffer(void **state)
{
    cfg_t c;
    unsigned char seen[NKEYS] = {0};
    char err[12];
    (void)state;

    defaults(&c);
    memset(err, 'z', sizeof err);
    assert_int_equal(tt_conf_parse("t.conf", "bogus = 1", 9, schema, NKEYS, &c, seen, err,
                                   sizeof err), TT_ERR_CONFIG);
    assert_string_equal(err, "t.conf:1: u");
    assert_int_equal(tt_conf_parse("t.conf", "bogus = 1", 9, schema, NKEYS, &c, seen, NULL, 0),
                     TT_ERR_CONFIG);
    assert_int_equal(tt_conf_check_required("t.conf", schema, NKEYS, seen, NULL, 0),
                     TT_ERR_CONFIG);
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_parse_file(void **state)
{
    char path[] = "/tmp/tt_test_conf_XXXXXX";
    char want[TT_CONF_ERR_MAX], err[TT_CONF_ERR_MAX];
    unsigned char seen[NKEYS] = {0};
    cfg_t c;
    int fd;
    (void)state;

    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);

    defaults(&c);
    write_file(path, "site = T09\n[mqtt]\nport = 1883\n", 30);
    assert_int_equal(tt_conf_parse_file(path, schema, NKEYS, &c, seen, err, sizeof err), TT_OK);
    assert_string_equal(c.site, "T09");
    assert_int_equal(c.port, 1883);
    assert_int_equal(seen[K_SITE], 1);

    memset(seen, 0, sizeof seen);
    write_file(path, "site = T09\n[mqtt]\nport = 70000\n", 31);
    assert_int_equal(tt_conf_parse_file(path, schema, NKEYS, &c, seen, err, sizeof err),
                     TT_ERR_CONFIG);
    snprintf(want, sizeof want, "%s:3: ", path);
    assert_memory_equal(err, want, strlen(want));
    assert_non_null(strstr(err, "out of range [1, 65535]"));

    memset(seen, 0, sizeof seen);
    write_file(path, "", 0);
    assert_int_equal(tt_conf_parse_file(path, schema, NKEYS, &c, seen, err, sizeof err), TT_OK);

    /* 1 MiB is the limit: a file of exactly that size is read. */
    size_t big = 1024 * 1024;
    char *text = malloc(big + 1);
    assert_non_null(text);
    memset(text, '\n', big + 1);
    write_file(path, text, big);
    assert_int_equal(tt_conf_parse_file(path, schema, NKEYS, &c, seen, err, sizeof err), TT_OK);
    text[big - 2] = 'x';
    write_file(path, text, big);
    assert_int_equal(tt_conf_parse_file(path, schema, NKEYS, &c, seen, err, sizeof err),
                     TT_ERR_CONFIG);
    snprintf(want, sizeof want, "%s:%zu: expected 'key = value'", path, big - 1);
    assert_string_equal(err, want);
    write_file(path, text, big + 1);
    assert_int_equal(tt_conf_parse_file(path, schema, NKEYS, &c, seen, err, sizeof err),
                     TT_ERR_CONFIG);
    snprintf(want, sizeof want, "%s: file too large", path);
    assert_memory_equal(err, want, strlen(want));
    free(text);

    assert_int_equal(unlink(path), 0);
    assert_int_equal(tt_conf_parse_file(path, schema, NKEYS, &c, seen, err, sizeof err),
                     TT_ERR_IO);
    snprintf(want, sizeof want, "%s: %s", path, strerror(ENOENT));
    assert_string_equal(err, want);
}

static void test_parse_file_unreadable(void **state)
{
    unsigned char seen[NKEYS] = {0};
    char err[TT_CONF_ERR_MAX], want[TT_CONF_ERR_MAX];
    cfg_t c;
    (void)state;

    defaults(&c);
    assert_int_equal(tt_conf_parse_file("/nonexistent/dir/t.conf", schema, NKEYS, &c, seen,
                                        err, sizeof err), TT_ERR_IO);
    snprintf(want, sizeof want, "/nonexistent/dir/t.conf: %s", strerror(ENOENT));
    assert_string_equal(err, want);
    assert_int_equal(tt_conf_parse_file("/tmp", schema, NKEYS, &c, seen, err, sizeof err),
                     TT_ERR_IO);
    snprintf(want, sizeof want, "/tmp: %s", strerror(EISDIR));
    assert_string_equal(err, want);
}

/* The file-typed keys: resolved against the parsed file's folder, checked
 * when their line is parsed, secrets read and private modes enforced. */
typedef struct {
    char ca[64];
    char key[64];
    char password[16];
} files_t;

#define FFIELD(f) offsetof(files_t, f), sizeof(((files_t *)0)->f)

static const tt_conf_key_t file_schema[] = {
    {"ca", TT_CONF_FILE, 0, 0, 0, NULL, FFIELD(ca)},
    {"key", TT_CONF_PRIVATE_FILE, 0, 0, 0, NULL, FFIELD(key)},
    {"password", TT_CONF_SECRET_FILE, 0, 0, 0, NULL, FFIELD(password)},
};
#define NFILE_KEYS (sizeof file_schema / sizeof file_schema[0])

static void put(const char *dir, const char *name, const char *text, mode_t mode)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, text, strlen(text));
    assert_int_equal(chmod(path, mode), 0);
}

/* Parses one line as the file dir/t.conf: returns the code; err has the reason. */
static tt_err_t parse_files(const char *dir, const char *line, files_t *f, char *err)
{
    unsigned char seen[NFILE_KEYS] = {0};
    char name[256];
    snprintf(name, sizeof name, "%s/t.conf", dir);
    memset(f, 0, sizeof *f);
    return tt_conf_parse(name, line, strlen(line), file_schema, NFILE_KEYS, f, seen, err,
                         TT_CONF_ERR_MAX);
}

static void expect_file_error(const char *dir, const char *text, const char *reason)
{
    files_t f;
    char err[TT_CONF_ERR_MAX], want[TT_CONF_ERR_MAX];
    assert_int_equal(parse_files(dir, text, &f, err), TT_ERR_CONFIG);
    snprintf(want, sizeof want, "%s/t.conf:2: ", dir);
    if (strncmp(err, want, strlen(want)) != 0 || !strstr(err, reason))
        fail_msg("%s: got \"%s\", want \"%s...%s\"", text, err, want, reason);
}

static void test_file_keys(void **state)
{
    char dir[] = "/tmp/tt_test_conf_files_XXXXXX", path[256], err[TT_CONF_ERR_MAX];
    files_t f;
    (void)state;

    assert_non_null(mkdtemp(dir));
    put(dir, "ca.pem", "CA\n", 0644);
    put(dir, "key.pem", "KEY\n", 0600);
    put(dir, "open.pem", "KEY\n", 0640);
    put(dir, "pw", "s3cret\n", 0600);
    put(dir, "pw-crlf", "s3cret\r\n", 0400);
    put(dir, "pw-open", "s3cret\n", 0604);
    put(dir, "pw-empty", "\n", 0600);
    put(dir, "pw-two", "s3cret\nmore\n", 0600);
    put(dir, "pw-long", "0123456789abcdef\n", 0600);

    /* Relative to the parsed file's folder; absolute as given. */
    assert_int_equal(parse_files(dir, "ca = ca.pem\nkey = key.pem\npassword = pw\n", &f, err),
                     TT_OK);
    snprintf(path, sizeof path, "%s/ca.pem", dir);
    assert_string_equal(f.ca, path);
    snprintf(path, sizeof path, "%s/key.pem", dir);
    assert_string_equal(f.key, path);
    assert_string_equal(f.password, "s3cret");
    {
        char text[256];
        snprintf(text, sizeof text, "ca = %s/ca.pem\npassword = pw-crlf\n", dir);
        assert_int_equal(parse_files(dir, text, &f, err), TT_OK);
        snprintf(path, sizeof path, "%s/ca.pem", dir);
        assert_string_equal(f.ca, path);
        assert_string_equal(f.password, "s3cret");
    }
    /* A public file is fine for TT_CONF_FILE only. */
    assert_int_equal(parse_files(dir, "ca = open.pem\n", &f, err), TT_OK);

    expect_file_error(dir, "\nca = missing.pem\n", "cannot read");
    expect_file_error(dir, "\nca = missing.pem\n", strerror(ENOENT));
    expect_file_error(dir, "\nca = /tmp\n", "not a regular file");
    expect_file_error(dir, "\nkey = open.pem\n", "open to group or others (mode 640)");
    expect_file_error(dir, "\npassword = pw-open\n", "open to group or others (mode 604)");
    expect_file_error(dir, "\npassword = pw-empty\n", "is empty");
    expect_file_error(dir, "\npassword = pw-two\n", "one line");
    expect_file_error(dir, "\npassword = pw-long\n", "too long (max 15 bytes");
    /* A path that does not fit the field once resolved. */
    expect_file_error(dir, "\nca = a-name-that-will-not-fit-once-joined-to-the-folder.pem\n",
                      "too long once resolved");

    {
        const char *names[] = {"ca.pem", "key.pem", "open.pem", "pw", "pw-crlf", "pw-open",
                               "pw-empty", "pw-two", "pw-long"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            assert_int_equal(unlink(path), 0);
        }
    }
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_file),
        cmocka_unit_test(test_optional_keys_keep_defaults),
        cmocka_unit_test(test_every_type_accepts),
        cmocka_unit_test(test_quoted_values),
        cmocka_unit_test(test_line_endings),
        cmocka_unit_test(test_text_is_length_bounded),
        cmocka_unit_test(test_key_errors),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_value_errors),
        cmocka_unit_test(test_text_errors),
        cmocka_unit_test(test_layering),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_parse_file),
        cmocka_unit_test(test_parse_file_unreadable),
        cmocka_unit_test(test_file_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
