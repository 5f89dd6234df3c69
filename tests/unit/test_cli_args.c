/*
 * Unit tests for the tagtrail tool's pure parts: the command line, server
 * URLs and query percent-encoding (httpc.h), and display width.  cli.c
 * keeps its helpers static, so the test includes it whole with its main()
 * renamed.  Talking to a terminal or a server is left to the integration
 * tier.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

int cli_main(int argc, char **argv);
#define main cli_main
#include "../../firmware/cli.c"
#undef main

/* Runs parse_args on "tagtrail" and the given words (argv is not written). */
#define P(c, ...) run_parse((c), (const char *[]){"tagtrail", __VA_ARGS__, NULL})

static int run_parse(tt_cli_t *c, const char **words)
{
    int argc = 0;
    while (words[argc])
        argc++;
    return parse_args(argc, (char **)words, c);
}

static void test_args_scan(void **state)
{
    tt_cli_t c;
    (void)state;
    unsetenv("TT_SOCKET");
    assert_int_equal(P(&c, "scan", "-s", "/x.sock", "receive", "W01", "zhang3", "C1", "2.5"), -1);
    assert_string_equal(c.socket, "/x.sock");
    assert_int_equal(c.nargs, 5);
    assert_string_equal(c.args[4], "2.5");
    /* Options anywhere after the command; a negative number is an argument. */
    assert_int_equal(P(&c, "scan", "issue", "W01", "zhang3", "C1", "-5", "-s", "/y"), -1);
    assert_string_equal(c.args[4], "-5");
    assert_string_equal(c.socket, "/y");
    /* "--" ends the options. */
    assert_int_equal(P(&c, "scan", "--", "issue", "W01", "zhang3", "-C1", "1"), TT_CLI_USAGE);
    setenv("TT_SOCKET", "/env.sock", 1);
    assert_int_equal(P(&c, "scan", "--", "issue", "W01", "zhang3", "-C1", "1"), -1);
    assert_string_equal(c.args[3], "-C1");
    assert_string_equal(c.socket, "/env.sock");
    unsetenv("TT_SOCKET");
}

static void test_args_usage_errors(void **state)
{
    tt_cli_t c;
    (void)state;
    setenv("TT_SOCKET", "/env.sock", 1);
    assert_int_equal(P(&c, "bogus"), TT_CLI_USAGE);
    assert_int_equal(P(&c, "scan", "receive", "W01"), TT_CLI_USAGE);
    assert_int_equal(P(&c, "scan", "receive", "W01", "z", "C", "1", "extra"), TT_CLI_USAGE);
    assert_int_equal(P(&c, "status", "--bogus"), TT_CLI_USAGE);
    assert_int_equal(P(&c, "status", "-S", "http://x:1"), TT_CLI_USAGE);   /* not for status */
    assert_int_equal(P(&c, "stock", "--warehouse"), TT_CLI_USAGE);           /* needs a value */
    assert_int_equal(P(&c, "rejection"), TT_CLI_USAGE);
    assert_int_equal(P(&c, "help"), TT_CLI_OK);
    assert_int_equal(P(&c, "--version"), TT_CLI_OK);
    assert_int_equal(P(&c, "status", "--help"), TT_CLI_OK);
    unsetenv("TT_SOCKET");
    assert_int_equal(P(&c, "status"), TT_CLI_USAGE);   /* no socket at all */
}

static void test_args_stock(void **state)
{
    tt_cli_t c;
    (void)state;
    unsetenv("TT_SERVER");
    assert_int_equal(P(&c, "stock", "--json", "--item", "X", "--warehouse", "W01"), -1);
    assert_true(c.json);
    assert_string_equal(c.item, "X");
    assert_string_equal(c.warehouse, "W01");
    assert_string_equal(c.server, TT_CLI_DEFAULT_SERVER);
    setenv("TT_SERVER", "http://10.0.0.2:9000", 1);
    assert_int_equal(P(&c, "terminals"), -1);
    assert_string_equal(c.server, "http://10.0.0.2:9000");
    assert_int_equal(P(&c, "terminals", "-S", "http://h:1"), -1);
    assert_string_equal(c.server, "http://h:1");
    unsetenv("TT_SERVER");
}

static void test_lang(void **state)
{
    (void)state;
    unsetenv("TT_LANG");
    unsetenv("LANG");
    assert_int_equal(pick_lang(), TT_CLI_ZH);
    setenv("LANG", "en_US.UTF-8", 1);
    assert_int_equal(pick_lang(), TT_CLI_EN);
    setenv("TT_LANG", "zh", 1);
    assert_int_equal(pick_lang(), TT_CLI_ZH);
    setenv("TT_LANG", "en", 1);
    setenv("LANG", "zh_CN.UTF-8", 1);
    assert_int_equal(pick_lang(), TT_CLI_EN);
    unsetenv("TT_LANG");
    assert_int_equal(pick_lang(), TT_CLI_ZH);
    unsetenv("LANG");
}

static void expect_url(const char *url, const char *host, const char *port)
{
    char h[256], p[6];
    assert_int_equal(tt_httpc_url_parse(url, h, p), 0);
    assert_string_equal(h, host);
    assert_string_equal(p, port);
}

static void test_url(void **state)
{
    static const char *const bad[] = {
        "https://x:1", "http://", "http://x:", "http://x:0", "http://x:65536", "http://x:123456",
        "http://[::1]:80", "http://a@b:1", "http://x:1/api", "http://x:1?q", "ftp://x", "x:1",
    };
    char h[256], p[6];
    (void)state;
    expect_url("http://127.0.0.1:8080", "127.0.0.1", "8080");
    expect_url("http://localhost:1/", "localhost", "1");
    expect_url("http://server.mine-3.local", "server.mine-3.local", "80");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(tt_httpc_url_parse(bad[i], h, p), -1);
}

static void test_pct(void **state)
{
    char buf[64] = "q=";
    (void)state;
    tt_httpc_pct_append(buf, sizeof buf, "a&b=c%d#e+f/g?~._-Z9 ");
    assert_string_equal(buf, "q=a%26b%3Dc%25d%23e%2Bf%2Fg%3F~._-Z9%20");
    /* Never overflows: stops short rather than writing half an escape. */
    char small[8] = "";
    tt_httpc_pct_append(small, sizeof small, "&&&&");
    assert_string_equal(small, "%26%26");
}

static void test_width(void **state)
{
    (void)state;
    assert_int_equal(text_width(""), 0);
    assert_int_equal(text_width("qty"), 3);
    assert_int_equal(text_width("仓库"), 4);
    assert_int_equal(text_width("（无）"), 6);
    assert_int_equal(text_width("T01 是"), 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args_scan),   cmocka_unit_test(test_args_usage_errors),
        cmocka_unit_test(test_args_stock),  cmocka_unit_test(test_lang),
        cmocka_unit_test(test_url),         cmocka_unit_test(test_pct),
        cmocka_unit_test(test_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
