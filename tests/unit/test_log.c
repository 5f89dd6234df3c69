/*
 * Unit tests for shared/log: line format, local time stamp with offset,
 * level filtering, escaping, truncation and the NULL logger.
 */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "log.h"

/* Everything written to one memory stream. */
typedef struct {
    FILE *f;
    char *buf;
    size_t len;
} sink_t;

static void sink_open(sink_t *s)
{
    s->buf = NULL;
    s->len = 0;
    s->f = open_memstream(&s->buf, &s->len);
    assert_non_null(s->f);
}

/* The logger flushes each record, so buf is current without fflush here. */
static const char *sink_text(const sink_t *s)
{
    return s->buf != NULL ? s->buf : "";
}

static void sink_close(sink_t *s)
{
    fclose(s->f);
    free(s->buf);
}

static void set_tz(const char *tz)
{
    assert_int_equal(setenv("TZ", tz, 1), 0);
    tzset();
}

static void assert_matches(const char *text, const char *pattern)
{
    regex_t re;
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    if (regexec(&re, text, 0, NULL, 0) != 0)
        fail_msg("'%s' does not match /%s/", text, pattern);
    regfree(&re);
}

#define STAMP "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}"

static void test_line_format(void **state)
{
    sink_t s;
    tt_log_t *log;
    (void)state;

    set_tz("Asia/Shanghai");
    sink_open(&s);
    log = tt_log_new(s.f, TT_LOG_DEBUG, "tagtrail-edge", "T01");
    assert_non_null(log);
    tt_log_warn(log, "hello %d %s", 42, "world");
    assert_matches(sink_text(&s), "^" STAMP "\\+08:00 tagtrail-edge T01 warn: hello 42 world\n$");
    tt_log_free(log);
    sink_close(&s);

    set_tz("UTC0");
    sink_open(&s);
    log = tt_log_new(s.f, TT_LOG_DEBUG, "tagtrail-server", NULL);
    tt_log_info(log, "up");
    assert_matches(sink_text(&s), "^" STAMP "\\+00:00 tagtrail-server info: up\n$");
    tt_log_free(log);
    sink_close(&s);

    /* Half-hour offsets west of Greenwich keep sign and minutes. */
    set_tz("NST3:30");
    sink_open(&s);
    log = tt_log_new(s.f, TT_LOG_DEBUG, "p", "w");
    tt_log_error(log, "x");
    assert_matches(sink_text(&s), "^" STAMP "-03:30 p w error: x\n$");
    tt_log_free(log);
    sink_close(&s);

    sink_open(&s);
    log = tt_log_new(s.f, TT_LOG_DEBUG, NULL, NULL);
    tt_log_debug(log, "bare");
    assert_matches(sink_text(&s), "^" STAMP "-03:30 debug: bare\n$");
    tt_log_free(log);
    sink_close(&s);
}

/* The stamp is local wall-clock time, not UTC: it lies between the local
 * times read just before and just after the write. */
static void test_stamp_is_local_time(void **state)
{
    char before[32], after[32], stamp[32];
    struct timespec ts;
    struct tm tm;
    time_t t;
    sink_t s;
    tt_log_t *log;
    (void)state;

    set_tz("Asia/Shanghai");
    sink_open(&s);
    log = tt_log_new(s.f, TT_LOG_INFO, "p", NULL);
    /* The logger's clock (CLOCK_REALTIME), not time(): glibc's time() reads
     * the coarse clock, which can still show the previous second when the
     * logger's stamp already shows the next one. */
    clock_gettime(CLOCK_REALTIME, &ts);
    t = ts.tv_sec;
    strftime(before, sizeof before, "%Y-%m-%dT%H:%M:%S", localtime_r(&t, &tm));
    tt_log_info(log, "now");
    clock_gettime(CLOCK_REALTIME, &ts);
    t = ts.tv_sec;
    strftime(after, sizeof after, "%Y-%m-%dT%H:%M:%S", localtime_r(&t, &tm));
    assert_true(strlen(sink_text(&s)) > 19);
    memcpy(stamp, sink_text(&s), 19);
    stamp[19] = '\0';
    assert_true(strcmp(before, stamp) <= 0);
    assert_true(strcmp(stamp, after) <= 0);
    tt_log_free(log);
    sink_close(&s);
}

static void test_level_filter(void **state)
{
    sink_t s;
    tt_log_t *log;
    (void)state;

    sink_open(&s);
    log = tt_log_new(s.f, TT_LOG_WARN, "p", "w");
    tt_log_debug(log, "d");
    tt_log_info(log, "i");
    assert_string_equal(sink_text(&s), "");
    tt_log_warn(log, "w1");
    tt_log_error(log, "e1");
    tt_log_write(log, TT_LOG_INFO, "i2");
    tt_log_write(log, TT_LOG_ERROR, "e2");

    const char *text = sink_text(&s);
    assert_non_null(strstr(text, " p w warn: w1\n"));
    assert_non_null(strstr(text, " p w error: e1\n"));
    assert_non_null(strstr(text, " p w error: e2\n"));
    assert_null(strstr(text, "i2"));
    assert_null(strstr(text, ": d\n"));
    int lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3);
    tt_log_free(log);
    sink_close(&s);

    sink_open(&s);
    log = tt_log_new(s.f, TT_LOG_ERROR, "p", "w");
    tt_log_warn(log, "w");
    assert_string_equal(sink_text(&s), "");
    tt_log_error(log, "e");
    assert_non_null(strstr(sink_text(&s), " p w error: e\n"));
    tt_log_free(log);
    sink_close(&s);
}

static void test_newlines_escaped(void **state)
{
    sink_t s;
    tt_log_t *log;
    (void)state;

    sink_open(&s);
    log = tt_log_new(s.f, TT_LOG_DEBUG, "p", "w");
    tt_log_info(log, "a\nb\r\nc%s", "\nd\n");
    const char *text = sink_text(&s);
    const char *msg = strstr(text, " info: ");
    assert_non_null(msg);
    assert_string_equal(msg, " info: a\\nb\\r\\nc\\nd\\n\n");
    assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
    assert_null(strchr(text, '\r'));
    tt_log_free(log);
    sink_close(&s);
}

/* prog and who are copied: the caller's strings may change or go away. */
static void test_names_copied(void **state)
{
    char prog[] = "tagtrail-edge", who[] = "T01";
    sink_t s;
    tt_log_t *log;
    (void)state;

    sink_open(&s);
    log = tt_log_new(s.f, TT_LOG_DEBUG, prog, who);
    memset(prog, 'X', sizeof prog - 1);
    memset(who, 'Y', sizeof who - 1);
    tt_log_info(log, "m");
    assert_non_null(strstr(sink_text(&s), " tagtrail-edge T01 info: m\n"));
    tt_log_free(log);
    sink_close(&s);
}

static const char *body_of(const char *line)
{
    const char *p = strstr(line, " info: ");
    assert_non_null(p);
    return p + 7;
}

static void test_long_message_truncated(void **state)
{
    char *big = malloc(5001);
    sink_t s;
    tt_log_t *log;
    (void)state;

    assert_non_null(big);
    sink_open(&s);
    log = tt_log_new(s.f, TT_LOG_DEBUG, "p", "w");

    memset(big, 'x', 5000);
    big[5000] = '\0';
    tt_log_info(log, "%s", big);
    const char *text = sink_text(&s);
    size_t len = strlen(text);
    assert_int_equal(len, 2048);
    assert_memory_equal(text + len - 5, "x...\n", 5);
    assert_ptr_equal(strchr(text, '\n'), text + len - 1);
    tt_log_free(log);
    sink_close(&s);

    /* An escape is never split: the body is whole "\n" pairs. */
    sink_open(&s);
    log = tt_log_new(s.f, TT_LOG_DEBUG, "p", "w");
    memset(big, '\n', 3000);
    big[3000] = '\0';
    tt_log_info(log, "%s", big);
    text = sink_text(&s);
    len = strlen(text);
    const char *body = body_of(text);
    size_t blen = (size_t)(text + len - 4 - body);
    assert_memory_equal(text + len - 4, "...\n", 4);
    assert_int_equal(blen % 2, 0);
    for (size_t i = 0; i < blen; i += 2)
        assert_memory_equal(body + i, "\\n", 2);
    tt_log_free(log);
    sink_close(&s);

    /* Nor is a UTF-8 sequence: the body is whole three-byte characters,
     * whichever of three prefix lengths puts the cut point. */
    big[0] = '\0';
    for (int i = 0; i < 1000; i++)
        strcat(big, "中");
    for (int i = 1; i <= 3; i++) {
        sink_open(&s);
        log = tt_log_new(s.f, TT_LOG_DEBUG, "p", &"www"[3 - i]);
        tt_log_info(log, "%s", big);
        text = sink_text(&s);
        len = strlen(text);
        body = body_of(text);
        blen = (size_t)(text + len - 4 - body);
        assert_memory_equal(text + len - 4, "...\n", 4);
        assert_true(len > 2040 && len <= 2048);
        assert_int_equal(blen % 3, 0);
        assert_memory_equal(body + blen - 3, "中", 3);
        tt_log_free(log);
        sink_close(&s);
    }

    /* A line of exactly 2048 bytes with its newline is written whole; one
     * byte more and it is cut to 2048 with the mark. */
    sink_open(&s);
    log = tt_log_new(s.f, TT_LOG_DEBUG, "p", "w");
    tt_log_info(log, "%s", "");
    size_t prefix = strlen(sink_text(&s)) - 1;
    sink_close(&s);
    tt_log_free(log);

    memset(big, 'x', 5000);
    big[2047 - prefix] = '\0';
    sink_open(&s);
    log = tt_log_new(s.f, TT_LOG_DEBUG, "p", "w");
    tt_log_info(log, "%s", big);
    text = sink_text(&s);
    assert_int_equal(strlen(text), 2048);
    assert_memory_equal(text + 2048 - 3, "xx\n", 3);
    tt_log_free(log);
    sink_close(&s);

    big[2047 - prefix] = 'x';
    big[2048 - prefix] = '\0';
    sink_open(&s);
    log = tt_log_new(s.f, TT_LOG_DEBUG, "p", "w");
    tt_log_info(log, "%s", big);
    text = sink_text(&s);
    assert_int_equal(strlen(text), 2048);
    assert_memory_equal(text + 2048 - 5, "x...\n", 5);
    tt_log_free(log);
    sink_close(&s);
    free(big);
}

static void test_null_logger(void **state)
{
    (void)state;
    tt_log_write(NULL, TT_LOG_ERROR, "dropped %d", 1);
    tt_log_error(NULL, "dropped");
    tt_log_free(NULL);
}

static void test_parse_level(void **state)
{
    static const char *const bad[] = {
        "", "WARN", "Info", "warning", "err", "debug ", " info", "fatal", "3", "trace",
    };
    tt_log_level_t level = TT_LOG_ERROR;
    (void)state;

    assert_int_equal(tt_log_parse_level("debug", &level), TT_OK);
    assert_int_equal(level, TT_LOG_DEBUG);
    assert_int_equal(tt_log_parse_level("info", &level), TT_OK);
    assert_int_equal(level, TT_LOG_INFO);
    assert_int_equal(tt_log_parse_level("error", &level), TT_OK);
    assert_int_equal(level, TT_LOG_ERROR);
    assert_int_equal(tt_log_parse_level("warn", &level), TT_OK);
    assert_int_equal(level, TT_LOG_WARN);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(tt_log_parse_level(bad[i], &level), TT_ERR_INVAL);
        assert_int_equal(level, TT_LOG_WARN);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_format),
        cmocka_unit_test(test_stamp_is_local_time),
        cmocka_unit_test(test_level_filter),
        cmocka_unit_test(test_newlines_escaped),
        cmocka_unit_test(test_names_copied),
        cmocka_unit_test(test_long_message_truncated),
        cmocka_unit_test(test_null_logger),
        cmocka_unit_test(test_parse_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
