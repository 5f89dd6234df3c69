/*
 * Unit tests for shared/money: strict parsing, exact formatting, checked
 * arithmetic, rounding and the largest-remainder split.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "money.h"

/* A value no test expects, to see that failures leave *out alone. */
#define UNTOUCHED ((int64_t)0x5A5A5A5A5A5A5A5A)

static void expect_qty(const char *text, tt_qty_t want)
{
    tt_qty_t q = UNTOUCHED;
    assert_int_equal(tt_qty_parse(text, &q), TT_OK);
    assert_true(q == want);
}

static void expect_money(const char *text, tt_fen_t want)
{
    tt_fen_t f = UNTOUCHED;
    assert_int_equal(tt_money_parse(text, &f), TT_OK);
    assert_true(f == want);
}

static void expect_qty_fail(const char *text, tt_err_t rc)
{
    tt_qty_t q = UNTOUCHED;
    assert_int_equal(tt_qty_parse(text, &q), rc);
    assert_true(q == UNTOUCHED);
}

static void expect_money_fail(const char *text, tt_err_t rc)
{
    tt_fen_t f = UNTOUCHED;
    assert_int_equal(tt_money_parse(text, &f), rc);
    assert_true(f == UNTOUCHED);
}

static void test_qty_parse_ok(void **state)
{
    (void)state;
    expect_qty("0", 0);
    expect_qty("-0", 0);
    expect_qty("0.000", 0);
    expect_qty("3", 3000);
    expect_qty("2.5", 2500);
    expect_qty("2.50", 2500);
    expect_qty("-0.125", -125);
    expect_qty("0.001", 1);
    expect_qty("1.2", 1200);
    expect_qty("007", 7000);
    expect_qty("9223372036854775.807", INT64_MAX);
    expect_qty("-9223372036854775.808", INT64_MIN);
    expect_qty("-9223372036854775.807", -INT64_MAX);
}

static void test_money_parse_ok(void **state)
{
    (void)state;
    expect_money("0", 0);
    expect_money("12.34", 1234);
    expect_money("12.3", 1230);
    expect_money("12", 1200);
    expect_money("-0.05", -5);
    expect_money("92233720368547758.07", INT64_MAX);
    expect_money("-92233720368547758.08", INT64_MIN);
}

static void test_parse_rejects_malformed(void **state)
{
    static const char *const bad[] = {
        "", "-", "1.", ".5", "-.5", "+1", "1e3", " 1", "1 ", "--1", "1,000",
        "1..2", "1.2.3", "0x10", "abc", "1-", "- 1", "1.-5", "\t1", "１",
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_qty_fail(bad[i], TT_ERR_PARSE);
        expect_money_fail(bad[i], TT_ERR_PARSE);
    }
    expect_qty_fail("1.2345", TT_ERR_PARSE);
    expect_money_fail("1.234", TT_ERR_PARSE);
    expect_qty("1.234", 1234);
    expect_money("1.23", 123);
    /* Malformed beats huge: the syntax is judged before the magnitude. */
    expect_qty_fail("99999999999999999999999999.1234", TT_ERR_PARSE);
    expect_money_fail("99999999999999999999999999x", TT_ERR_PARSE);
}

static void test_parse_rejects_overflow(void **state)
{
    (void)state;
    expect_qty_fail("9223372036854775.808", TT_ERR_RANGE);
    expect_qty_fail("9223372036854776", TT_ERR_RANGE);
    expect_qty_fail("-9223372036854775.809", TT_ERR_RANGE);
    expect_qty_fail("-9223372036854776", TT_ERR_RANGE);
    expect_money_fail("92233720368547758.08", TT_ERR_RANGE);
    expect_money_fail("-92233720368547758.09", TT_ERR_RANGE);
    expect_money_fail("92233720368547759", TT_ERR_RANGE);
    /* Far past 2^127: the accumulator itself must not overflow. */
    expect_qty_fail("999999999999999999999999999999999999999999999999999999", TT_ERR_RANGE);
    expect_money_fail("-99999999999999999999999999999999999999999999999999.99", TT_ERR_RANGE);
}

static void expect_qty_text(tt_qty_t q, const char *want)
{
    char buf[TT_MONEY_TEXT_MAX];
    assert_int_equal(tt_qty_format(q, buf, sizeof buf), (int)strlen(want));
    assert_string_equal(buf, want);
}

static void expect_money_text(tt_fen_t f, const char *want)
{
    char buf[TT_MONEY_TEXT_MAX];
    assert_int_equal(tt_money_format(f, buf, sizeof buf), (int)strlen(want));
    assert_string_equal(buf, want);
}

static void test_format(void **state)
{
    (void)state;
    expect_qty_text(0, "0");
    expect_qty_text(3000, "3");
    expect_qty_text(2500, "2.5");
    expect_qty_text(-125, "-0.125");
    expect_qty_text(1, "0.001");
    expect_qty_text(-1000, "-1");
    expect_qty_text(1010, "1.01");
    expect_qty_text(INT64_MAX, "9223372036854775.807");
    expect_qty_text(INT64_MIN, "-9223372036854775.808");

    expect_money_text(0, "0.00");
    expect_money_text(1230, "12.30");
    expect_money_text(-5, "-0.05");
    expect_money_text(100, "1.00");
    expect_money_text(-100, "-1.00");
    expect_money_text(INT64_MAX, "92233720368547758.07");
    expect_money_text(INT64_MIN, "-92233720368547758.08");
}

static void test_format_buffer_too_small(void **state)
{
    char buf[TT_MONEY_TEXT_MAX];
    (void)state;

    memset(buf, 'z', sizeof buf);
    assert_int_equal(tt_qty_format(-125, buf, 6), TT_ERR_FULL);
    assert_string_equal(buf, "");
    assert_int_equal(tt_qty_format(-125, buf, 7), 6);
    assert_string_equal(buf, "-0.125");

    memset(buf, 'z', sizeof buf);
    assert_int_equal(tt_money_format(INT64_MIN, buf, 21), TT_ERR_FULL);
    assert_string_equal(buf, "");
    assert_int_equal(tt_money_format(INT64_MIN, buf, 22), 21);

    memset(buf, 'z', sizeof buf);
    assert_int_equal(tt_money_format(1, buf, 0), TT_ERR_FULL);
    assert_int_equal(buf[0], 'z');
    assert_int_equal(tt_qty_format(1, buf, 1), TT_ERR_FULL);
    assert_string_equal(buf, "");
}

/* Format then parse gives back the same value, over edges and a
 * deterministic spread of the whole int64 range. */
static void test_round_trip(void **state)
{
    int64_t edges[] = {0, 1, -1, 9, 10, 99, 100, 999, 1000, 1001, -999, -1000,
                       INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1};
    uint64_t x = 88172645463325252u;
    char buf[TT_MONEY_TEXT_MAX];
    (void)state;

    for (size_t i = 0; i < 2000; i++) {
        int64_t v;
        if (i < sizeof edges / sizeof edges[0]) {
            v = edges[i];
        } else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v = (int64_t)(x >> (i % 64));
            if (i % 2)
                v = -v;
        }
        tt_qty_t q = UNTOUCHED;
        tt_fen_t f = UNTOUCHED;
        assert_true(tt_qty_format(v, buf, sizeof buf) > 0);
        assert_int_equal(tt_qty_parse(buf, &q), TT_OK);
        assert_true(q == v);
        assert_true(tt_money_format(v, buf, sizeof buf) > 0);
        assert_int_equal(tt_money_parse(buf, &f), TT_OK);
        assert_true(f == v);
    }
}

static void test_add_sub(void **state)
{
    int64_t out = UNTOUCHED;
    (void)state;

    assert_int_equal(tt_qty_add(2500, -125, &out), TT_OK);
    assert_true(out == 2375);
    assert_int_equal(tt_qty_sub(2500, 3000, &out), TT_OK);
    assert_true(out == -500);
    assert_int_equal(tt_money_add(-5, 5, &out), TT_OK);
    assert_true(out == 0);
    assert_int_equal(tt_qty_add(INT64_MAX, INT64_MIN, &out), TT_OK);
    assert_true(out == -1);
    assert_int_equal(tt_qty_sub(-1, INT64_MIN, &out), TT_OK);
    assert_true(out == INT64_MAX);
    assert_int_equal(tt_qty_sub(INT64_MIN, INT64_MIN, &out), TT_OK);
    assert_true(out == 0);
    assert_int_equal(tt_money_add(INT64_MAX - 1, 1, &out), TT_OK);
    assert_true(out == INT64_MAX);

    out = UNTOUCHED;
    assert_int_equal(tt_qty_add(INT64_MAX, 1, &out), TT_ERR_RANGE);
    assert_int_equal(tt_qty_add(INT64_MIN, -1, &out), TT_ERR_RANGE);
    assert_int_equal(tt_qty_add(INT64_MIN, INT64_MIN, &out), TT_ERR_RANGE);
    assert_int_equal(tt_qty_sub(INT64_MIN, 1, &out), TT_ERR_RANGE);
    assert_int_equal(tt_qty_sub(0, INT64_MIN, &out), TT_ERR_RANGE);
    assert_int_equal(tt_qty_sub(INT64_MAX, -1, &out), TT_ERR_RANGE);
    assert_int_equal(tt_money_add(INT64_MAX, INT64_MAX, &out), TT_ERR_RANGE);
    assert_int_equal(tt_money_add(INT64_MIN, -1, &out), TT_ERR_RANGE);
    assert_true(out == UNTOUCHED);
}

static void expect_worth(tt_fen_t price, tt_qty_t qty, tt_fen_t want)
{
    tt_fen_t out = UNTOUCHED;
    assert_int_equal(tt_money_value(price, qty, &out), TT_OK);
    assert_true(out == want);
}

static void test_value_rounding(void **state)
{
    (void)state;
    expect_worth(1, 500, 1);      /* 0.5 fen rounds away from zero */
    expect_worth(1, -500, -1);
    expect_worth(-1, 500, -1);
    expect_worth(-1, -500, 1);
    expect_worth(1, 499, 0);
    expect_worth(1, -499, 0);
    expect_worth(1, 501, 1);
    expect_worth(1, 1500, 2);
    expect_worth(1, 2500, 3);
    expect_worth(-1, 2500, -3);
    expect_worth(1234, 2500, 3085);
    expect_worth(1999, 333, 666);  /* 665.667 */
    expect_worth(1999, -333, -666);
    expect_worth(333, 1000, 333);
    expect_worth(0, 123456, 0);
    expect_worth(123456, 0, 0);
    expect_worth(INT64_MAX, 1000, INT64_MAX);
    expect_worth(INT64_MIN, 1000, INT64_MIN);
    expect_worth(INT64_MIN, 500, INT64_MIN / 2);
    expect_worth(INT64_MAX, 1, 9223372036854776);  /* ...775.807 rounds up */
    expect_worth(1, INT64_MAX, 9223372036854776);
    expect_worth(INT64_MIN, 1, -9223372036854776);
}

static void test_value_overflow(void **state)
{
    tt_fen_t out = UNTOUCHED;
    (void)state;

    assert_int_equal(tt_money_value(INT64_MAX, 1001, &out), TT_ERR_RANGE);
    assert_int_equal(tt_money_value(INT64_MIN, -1000, &out), TT_ERR_RANGE);
    assert_int_equal(tt_money_value(INT64_MIN, 1001, &out), TT_ERR_RANGE);
    assert_int_equal(tt_money_value(INT64_MAX, INT64_MAX, &out), TT_ERR_RANGE);
    assert_int_equal(tt_money_value(INT64_MIN, INT64_MIN, &out), TT_ERR_RANGE);
    assert_int_equal(tt_money_value(INT64_MAX, INT64_MIN, &out), TT_ERR_RANGE);
    /* Floors to INT64_MAX (or INT64_MIN) but rounds one fen past it. */
    assert_int_equal(tt_money_value(9204962112629516774, 1002, &out), TT_ERR_RANGE);
    assert_int_equal(tt_money_value(-9204962112629516775, 1002, &out), TT_ERR_RANGE);
    assert_true(out == UNTOUCHED);

    /* The same edges with remainders below one half do fit. */
    expect_worth(9214157878975800007, 1001, INT64_MAX);
    expect_worth(-9214157878975800008, 1001, INT64_MIN);
}

static void expect_split(tt_fen_t total, const tt_qty_t *w, size_t n, const tt_fen_t *want)
{
    tt_fen_t out[16];
    assert_true(n <= 16);
    assert_int_equal(tt_money_split(total, w, n, out), TT_OK);
    for (size_t i = 0; i < n; i++)
        assert_true(out[i] == want[i]);
}

static void test_split_examples(void **state)
{
    (void)state;
    expect_split(100, (tt_qty_t[]){1, 1, 1}, 3, (tt_fen_t[]){34, 33, 33});
    expect_split(1, (tt_qty_t[]){1, 1, 1}, 3, (tt_fen_t[]){1, 0, 0});
    expect_split(2, (tt_qty_t[]){1, 1, 1}, 3, (tt_fen_t[]){1, 1, 0});
    expect_split(-100, (tt_qty_t[]){1, 1, 1}, 3, (tt_fen_t[]){-34, -33, -33});
    expect_split(-1, (tt_qty_t[]){1, 1, 1}, 3, (tt_fen_t[]){-1, 0, 0});
    expect_split(100, (tt_qty_t[]){1, 2}, 2, (tt_fen_t[]){33, 67});
    expect_split(100, (tt_qty_t[]){2, 1}, 2, (tt_fen_t[]){67, 33});
    expect_split(10, (tt_qty_t[]){0, 1, 0}, 3, (tt_fen_t[]){0, 10, 0});
    expect_split(0, (tt_qty_t[]){5, 7}, 2, (tt_fen_t[]){0, 0});
    expect_split(7, (tt_qty_t[]){1}, 1, (tt_fen_t[]){7});
    /* Shares 3.6, 3.6, 4.8: of the two fen left over, one goes to the
     * largest remainder and one to the earlier of the tied pair. */
    expect_split(12, (tt_qty_t[]){3, 3, 4}, 3, (tt_fen_t[]){4, 3, 5});
    /* Weights are quantities: 2.5 m and 7.5 m of cable. */
    expect_split(1001, (tt_qty_t[]){2500, 7500}, 2, (tt_fen_t[]){250, 751});
}

static void test_split_extremes(void **state)
{
    tt_fen_t out[3];
    (void)state;

    expect_split(INT64_MIN, (tt_qty_t[]){1}, 1, (tt_fen_t[]){INT64_MIN});
    expect_split(INT64_MAX, (tt_qty_t[]){INT64_MAX}, 1, (tt_fen_t[]){INT64_MAX});
    expect_split(INT64_MIN, (tt_qty_t[]){1, 1}, 2, (tt_fen_t[]){INT64_MIN / 2, INT64_MIN / 2});
    expect_split(INT64_MAX, (tt_qty_t[]){INT64_MAX, INT64_MAX, INT64_MAX}, 3,
                 (tt_fen_t[]){INT64_MAX / 3 + 1, INT64_MAX / 3, INT64_MAX / 3});
    expect_split(INT64_MIN, (tt_qty_t[]){INT64_MAX, INT64_MAX, INT64_MAX}, 3,
                 (tt_fen_t[]){-(INT64_MAX / 3) - 1, -(INT64_MAX / 3) - 1, -(INT64_MAX / 3)});

    /* The weight sum (3 * INT64_MAX) does not fit int64; the split must
     * still be exact. */
    assert_int_equal(tt_money_split(INT64_MAX, (tt_qty_t[]){INT64_MAX, INT64_MAX, 1}, 3, out),
                     TT_OK);
    assert_true(out[2] == 0 || out[2] == 1);
    assert_true(out[0] >= out[1] && out[0] - out[1] <= 1);
    assert_true((__extension__(__int128) out[0] + out[1] + out[2]) == INT64_MAX);
}

/* Brute-force reference: floor shares, then hand out the missing fen one by
 * one to the largest remaining remainder, the earliest on ties. */
static void reference_split(int64_t total, const int64_t *w, size_t n, int64_t *out)
{
    int64_t sum = 0, mag = total < 0 ? -total : total, given = 0, rem[16];
    int used[16] = {0};

    for (size_t i = 0; i < n; i++)
        sum += w[i];
    for (size_t i = 0; i < n; i++) {
        out[i] = mag * w[i] / sum;
        rem[i] = mag * w[i] % sum;
        given += out[i];
    }
    for (; given < mag; given++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (!used[i] && (best == n || rem[i] > rem[best]))
                best = i;
        used[best] = 1;
        out[best]++;
    }
    for (size_t i = 0; i < n && total < 0; i++)
        out[i] = -out[i];
}

static void test_split_matches_reference(void **state)
{
    uint32_t x = 2463534242u;
    (void)state;

    for (int round = 0; round < 20000; round++) {
        int64_t w[16], want[16], got[16], sum = 0, total;
        size_t n;

        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        n = 1 + x % 12;
        total = (int64_t)(x >> 8) % 20001 - 10000;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            w[i] = (x % 4 == 0) ? 0 : (int64_t)(x >> 4) % (round % 2 ? 10 : 100000);
            sum += w[i];
        }
        if (sum == 0)
            w[0] = sum = 1;
        reference_split(total, w, n, want);
        assert_int_equal(tt_money_split(total, w, n, got), TT_OK);
        int64_t check = 0;
        for (size_t i = 0; i < n; i++) {
            assert_true(got[i] == want[i]);
            check += got[i];
        }
        assert_true(check == total);
    }
}

static void test_split_rejects(void **state)
{
    tt_fen_t out[3] = {UNTOUCHED, UNTOUCHED, UNTOUCHED};
    tt_qty_t w[3] = {1, 2, 3};
    (void)state;

    assert_int_equal(tt_money_split(100, w, 0, out), TT_ERR_INVAL);
    assert_int_equal(tt_money_split(100, (tt_qty_t[]){1, -1, 3}, 3, out), TT_ERR_INVAL);
    assert_int_equal(tt_money_split(100, (tt_qty_t[]){1, 2, INT64_MIN}, 3, out), TT_ERR_INVAL);
    assert_int_equal(tt_money_split(100, (tt_qty_t[]){0, 0, 0}, 3, out), TT_ERR_INVAL);
    assert_int_equal(tt_money_split(0, (tt_qty_t[]){0}, 1, out), TT_ERR_INVAL);
    for (size_t i = 0; i < 3; i++)
        assert_true(out[i] == UNTOUCHED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qty_parse_ok),
        cmocka_unit_test(test_money_parse_ok),
        cmocka_unit_test(test_parse_rejects_malformed),
        cmocka_unit_test(test_parse_rejects_overflow),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_buffer_too_small),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_add_sub),
        cmocka_unit_test(test_value_rounding),
        cmocka_unit_test(test_value_overflow),
        cmocka_unit_test(test_split_examples),
        cmocka_unit_test(test_split_extremes),
        cmocka_unit_test(test_split_matches_reference),
        cmocka_unit_test(test_split_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
