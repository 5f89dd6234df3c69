/*
 * Unit tests of server/calendar: civil dates, the 2026 Chinese public
 * holidays with their make-up working days, durations in calendar and
 * working days, the monthly rules of the pension process, and every load
 * error naming file:line:col.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "calendar.h"

/* The shipped workflows/calendars/cn-2026.yaml, loaded from the tree. */
static tt_cal_t *cn2026;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        if (buf)
            *len = (size_t)n;
    }
    fclose(f);
    return buf;
}

static int load_shipped(void **state)
{
    char err[512] = "";
    size_t len = 0;
    char *text = slurp(TT_SOURCE_DIR "/workflows/calendars/cn-2026.yaml", &len);
    (void)state;
    if (!text)
        return -1;
    if (tt_cal_load("cn-2026.yaml", text, len, &cn2026, err, sizeof err) != TT_OK) {
        fprintf(stderr, "%s\n", err);
        free(text);
        return -1;
    }
    free(text);
    return 0;
}

static int free_shipped(void **state)
{
    (void)state;
    tt_cal_free(cn2026);
    return 0;
}

static tt_day_t D(const char *text)
{
    tt_day_t d = 0;
    if (tt_cal_parse_date(text, &d) != TT_OK)
        fail_msg("bad test date %s", text);
    return d;
}

static void expect_rule(const char *rule, const char *from, const char *want)
{
    tt_cal_rule_t r;
    char reason[256] = "", got[16];
    tt_day_t out = 0;
    if (tt_cal_rule_parse(rule, &r, reason, sizeof reason) != TT_OK)
        fail_msg("rule '%s': %s", rule, reason);
    assert_int_equal(tt_cal_rule_apply(cn2026, &r, D(from), &out), TT_OK);
    tt_cal_format_date(out, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("'%s' from %s gave %s, expected %s", rule, from, got, want);
}

static void civil_dates(void **state)
{
    int y, m, d;
    char buf[16];
    (void)state;
    assert_int_equal(tt_cal_day(1970, 1, 1), 0);
    assert_int_equal(tt_cal_day(2000, 3, 1) - tt_cal_day(2000, 2, 28), 2);   /* leap 2000 */
    assert_int_equal(tt_cal_day(1900, 3, 1) - tt_cal_day(1900, 2, 28), 1);   /* not leap */
    for (tt_day_t day = tt_cal_day(1999, 12, 1); day < tt_cal_day(2030, 1, 1); day += 17) {
        tt_cal_ymd(day, &y, &m, &d);
        assert_int_equal(tt_cal_day(y, m, d), day);
    }
    tt_cal_ymd(tt_cal_day(2026, 12, 31), &y, &m, &d);
    assert_int_equal(y * 10000 + m * 100 + d, 20261231);
    assert_int_equal(tt_cal_weekday(D("2026-01-01")), 4);   /* Thursday */
    assert_int_equal(tt_cal_weekday(D("2026-10-10")), 6);   /* Saturday */
    assert_int_equal(tt_cal_weekday(D("2026-09-20")), 7);   /* Sunday */
    tt_cal_format_date(D("2026-02-28"), buf, sizeof buf);
    assert_string_equal(buf, "2026-02-28");
    assert_int_equal(tt_cal_month_days(2028, 2), 29);
}

static void parse_date_is_strict(void **state)
{
    static const char *const bad[] = {"2026-02-29", "2026-13-01", "2026-1-01", "2026-01-01 ",
                                      "26-01-01", "2026/01/01", "0000-01-01", ""};
    tt_day_t d = 123;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(tt_cal_parse_date(bad[i], &d), TT_ERR_PARSE);
        assert_int_equal(d, 123);
    }
}

static void holidays_and_makeup_days_2026(void **state)
{
    (void)state;
    assert_string_equal(tt_cal_name(cn2026), "cn-2026");
    assert_string_equal(tt_cal_timezone(cn2026), "Asia/Shanghai");
    assert_false(tt_cal_is_workday(cn2026, D("2026-01-01")));   /* New Year, a Thursday */
    assert_true(tt_cal_is_workday(cn2026, D("2026-01-04")));    /* make-up Sunday */
    assert_false(tt_cal_is_workday(cn2026, D("2026-02-16")));   /* Spring Festival Monday */
    assert_true(tt_cal_is_workday(cn2026, D("2026-02-14")));    /* make-up Saturday */
    assert_false(tt_cal_is_workday(cn2026, D("2026-02-21")));   /* plain Saturday in it */
    assert_false(tt_cal_is_workday(cn2026, D("2026-10-01")));   /* National Day */
    assert_false(tt_cal_is_workday(cn2026, D("2026-10-07")));
    assert_true(tt_cal_is_workday(cn2026, D("2026-10-08")));
    assert_true(tt_cal_is_workday(cn2026, D("2026-10-10")));    /* make-up Saturday */
    assert_false(tt_cal_is_workday(cn2026, D("2026-10-11")));   /* ordinary Sunday */
    assert_true(tt_cal_is_workday(cn2026, D("2026-09-20")));    /* make-up Sunday */
    assert_true(tt_cal_is_workday(cn2026, D("2026-03-02")));    /* ordinary Monday */
    /* October 2026: 31 days, 7 of holiday, 6 weekend days after it (11, 17,
     * 18, 24, 25, 31); Saturday 10 is a make-up working day. */
    assert_int_equal(tt_cal_workdays_between(cn2026, D("2026-10-01"), D("2026-11-01")), 18);
}

static void deadline_on_holiday_moves_to_next_working_day(void **state)
{
    (void)state;
    /* Three calendar days from Monday 28 September is 1 October, National
     * Day: the deadline moves past the holiday to Thursday 8 October. */
    expect_rule("3 days", "2026-09-28", "2026-10-08");
    /* Landing on an ordinary working day, nothing moves. */
    expect_rule("2 days", "2026-09-28", "2026-09-30");
    /* Twenty days of bidding from 1 June ends Sunday 21 June, the Dragon
     * Boat holiday: opening is Monday 22 June. */
    expect_rule("20 days", "2026-06-01", "2026-06-22");
}

static void makeup_saturday_counts_as_working_day(void **state)
{
    (void)state;
    /* Tue 29, Wed 30 Sep, (1-7 Oct off), Thu 8, Fri 9, Sat 10 (make-up). */
    expect_rule("5 workdays", "2026-09-28", "2026-10-10");
    /* Fri 13, Sat 14 (make-up), (15-23 off), 24, 25, 26, 27, Sat 28 (make-up). */
    expect_rule("7 workdays", "2026-02-12", "2026-02-28");
    expect_rule("0 workdays", "2026-10-03", "2026-10-08");
    expect_rule("0 workdays", "2026-10-10", "2026-10-10");
}

static void monthly_rules_of_the_pension_cycle(void **state)
{
    (void)state;
    /* Death in September: file on 1-19 October. */
    expect_rule("next month day 1", "2026-09-15", "2026-10-01");
    expect_rule("next month day 19", "2026-09-15", "2026-10-19");
    expect_rule("next month day 1 or next workday", "2026-09-15", "2026-10-08");
    expect_rule("next month day 19", "2026-12-03", "2027-01-19");   /* year turns */
    /* New people on the 20th, or the next working day. */
    expect_rule("each month day 20 or next workday", "2026-09-01", "2026-09-20");   /* make-up */
    expect_rule("each month day 20 or next workday", "2026-09-21", "2026-10-20");
    expect_rule("each month day 20 or next workday", "2026-06-01", "2026-06-22");   /* 端午 */
    /* Funds on the 27th, earlier on holidays (节假日提前): 25-27 Sep is 中秋. */
    expect_rule("each month day 27 or previous workday", "2026-09-01", "2026-09-24");
    expect_rule("each month day 27 or previous workday", "2026-11-01", "2026-11-27");
    /* Survivors collect within the first 10 working days of the next month. */
    expect_rule("next month workday 10", "2026-09-15", "2026-10-20");
    /* Past the month's end means its last day. */
    expect_rule("this month day 31", "2026-02-10", "2026-02-28");
    expect_rule("each month day 31", "2026-04-30", "2026-04-30");
}

static void rule_text_round_trips_and_errors(void **state)
{
    static const char *const good[] = {"5 days", "7 workdays", "next month day 19",
                                       "each month day 27 or previous workday",
                                       "this month workday 3"};
    static const char *const bad[] = {"5", "five days", "-1 days", "5 weeks",
                                      "next month day 32", "next month day 0",
                                      "last month day 1", "each month day 20 or next day",
                                      "each month workday 3 or next workday",
                                      "each month day 20 or soon workday", ""};
    tt_cal_rule_t r;
    char reason[256], buf[TT_CAL_RULE_MAX + 1];
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(tt_cal_rule_parse(good[i], &r, reason, sizeof reason), TT_OK);
        tt_cal_rule_format(&r, buf, sizeof buf);
        assert_string_equal(buf, good[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        reason[0] = '\0';
        if (tt_cal_rule_parse(bad[i], &r, reason, sizeof reason) != TT_ERR_PARSE)
            fail_msg("'%s' was accepted", bad[i]);
        assert_non_null(strstr(reason, "not a date rule"));
    }
}

static void local_day_boundaries(void **state)
{
    tt_day_t oct1 = D("2026-10-01");
    int64_t start = tt_cal_ms_of_day(oct1);
    (void)state;
    /* Asia/Shanghai is UTC+8 all year. */
    assert_int_equal(start, ((int64_t)oct1 * 86400 - 8 * 3600) * 1000);
    assert_int_equal(tt_cal_day_of_ms(start), oct1);
    assert_int_equal(tt_cal_day_of_ms(start - 1), oct1 - 1);
    assert_int_equal(tt_cal_day_of_ms(start + 86400000 - 1), oct1);
}

static void expect_load_error(const char *yaml, const char *want)
{
    tt_cal_t *cal = (tt_cal_t *)0x1;
    char err[512] = "";
    assert_int_equal(tt_cal_load("c.yaml", yaml, strlen(yaml), &cal, err, sizeof err),
                     TT_ERR_PARSE);
    assert_null(cal);
    if (strcmp(err, want) != 0)
        fail_msg("got      %s\nexpected %s", err, want);
}

static void load_errors_name_line_and_column(void **state)
{
    (void)state;
    expect_load_error("calendar: x\nholiday: [2026-01-01]\n", "c.yaml:2:1: unknown key 'holiday'");
    expect_load_error("timezone: Asia/Shanghai\n", "c.yaml:1:1: missing required key 'calendar'");
    expect_load_error("calendar: x\nholidays:\n  - 2026-02-30\n",
                      "c.yaml:3:5: '2026-02-30' is not a date YYYY-MM-DD or a range"
                      " YYYY-MM-DD..YYYY-MM-DD");
    expect_load_error("calendar: x\nholidays: [2026-02-23..2026-02-15]\n",
                      "c.yaml:2:12: range '2026-02-23..2026-02-15' runs backwards or is longer"
                      " than a year");
    expect_load_error("calendar: x\nholidays: [2026-10-01..2026-10-07]\nworkdays: [2026-10-03]\n",
                      "c.yaml:3:11: 2026-10-03 is both a holiday and a working day");
    expect_load_error("calendar: x\nholidays: [2026-10-01, 2026-09-30..2026-10-02]\n",
                      "c.yaml:2:11: 2026-10-01 is listed twice");
    expect_load_error("calendar: x\nworking_week: []\n",
                      "c.yaml:2:15: working_week must list at least one of mon tue wed thu fri"
                      " sat sun");
    expect_load_error("calendar: x\nworking_week: [mon, funday]\n",
                      "c.yaml:2:21: not a weekday (mon tue wed thu fri sat sun)");
    expect_load_error("calendar: x\ncalendar: y\n", "c.yaml:2:1: key 'calendar' given twice");
    expect_load_error("calendar: &a x\n", "c.yaml:1:11: anchors and tags are not accepted");
    expect_load_error("calendar: [x\n", "c.yaml:2:1: did not find expected ',' or ']' while"
                                        " parsing a flow sequence");
    expect_load_error("", "c.yaml:1:1: the file is empty");
}

static void custom_working_week(void **state)
{
    /* Empty lists are allowed (found by fuzzing: they have no array). */
    static const char yaml[] = "calendar: six-day\nworking_week: [mon, tue, wed, thu, fri, sat]\n"
                               "holidays: []\nworkdays: []\n";
    tt_cal_t *cal = NULL;
    char err[256] = "";
    tt_day_t out = 0;
    (void)state;
    assert_int_equal(tt_cal_load("six.yaml", yaml, strlen(yaml), &cal, err, sizeof err), TT_OK);
    assert_true(tt_cal_is_workday(cal, D("2026-10-03")));    /* no holidays listed */
    assert_false(tt_cal_is_workday(cal, D("2026-10-04")));
    assert_int_equal(tt_cal_add_workdays(cal, D("2026-10-02"), 2, &out), TT_OK);
    assert_int_equal(out, D("2026-10-05"));
    assert_int_equal(tt_cal_add_workdays(cal, D("2026-10-02"), -1, &out), TT_ERR_INVAL);
    tt_cal_free(cal);
    tt_cal_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(civil_dates),
        cmocka_unit_test(parse_date_is_strict),
        cmocka_unit_test(holidays_and_makeup_days_2026),
        cmocka_unit_test(deadline_on_holiday_moves_to_next_working_day),
        cmocka_unit_test(makeup_saturday_counts_as_working_day),
        cmocka_unit_test(monthly_rules_of_the_pension_cycle),
        cmocka_unit_test(rule_text_round_trips_and_errors),
        cmocka_unit_test(local_day_boundaries),
        cmocka_unit_test(load_errors_name_line_and_column),
        cmocka_unit_test(custom_working_week),
    };
    /* Dates of instants are the site's, as tagtrail-server sets them. */
    setenv("TZ", "Asia/Shanghai", 1);
    tzset();
    return cmocka_run_group_tests(tests, load_shipped, free_shipped);
}
