/*
 * money: integer money and fixed-point quantities.
 *
 * Everything is int64 at rest.  Intermediate products (price times quantity,
 * total times weight) use a 128-bit integer so they cannot overflow; only the
 * final result is range-checked against int64.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "money.h"

__extension__ typedef __int128 i128;

/* Strict decimal: '-'? digits ('.' digits)?, at most `maxfrac` fraction
 * digits, scaled by 10^maxfrac.  Syntax is checked in full before any
 * arithmetic, so malformed text is TT_ERR_PARSE even when it is also huge. */
static tt_err_t parse_fixed(const char *text, int maxfrac, int64_t *out)
{
    const char *p = text, *ip, *fp = NULL;
    size_t nint, nfrac = 0;
    int neg = 0;

    if (*p == '-') {
        neg = 1;
        p++;
    }
    ip = p;
    while (*p >= '0' && *p <= '9')
        p++;
    nint = (size_t)(p - ip);
    if (nint == 0)
        return TT_ERR_PARSE;
    if (*p == '.') {
        fp = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        nfrac = (size_t)(p - fp);
        if (nfrac == 0 || nfrac > (size_t)maxfrac)
            return TT_ERR_PARSE;
    }
    if (*p != '\0')
        return TT_ERR_PARSE;

    /* The magnitude may reach 2^63 (for INT64_MIN); stop as soon as it
     * exceeds that, before the 128-bit accumulator could itself overflow. */
    const i128 limit = (i128)INT64_MAX + neg;
    i128 v = 0;
    for (size_t i = 0; i < nint; i++) {
        v = v * 10 + (ip[i] - '0');
        if (v > limit)
            return TT_ERR_RANGE;
    }
    for (int i = 0; i < maxfrac; i++) {
        v = v * 10 + ((size_t)i < nfrac ? fp[i] - '0' : 0);
        if (v > limit)
            return TT_ERR_RANGE;
    }
    *out = (int64_t)(neg ? -v : v);
    return TT_OK;
}

/* Writes v / 10^scale_digits as a decimal.  `keep` is the minimum number of
 * fraction digits shown: trailing zeros beyond it are dropped.  The magnitude
 * is taken as uint64_t so INT64_MIN formats correctly. */
static int format_fixed(int64_t v, int scale_digits, int keep, char *buf, size_t len)
{
    char tmp[TT_MONEY_TEXT_MAX];
    uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
    uint64_t scale = 1;
    int n, nfrac = scale_digits;

    for (int i = 0; i < scale_digits; i++)
        scale *= 10;
    uint64_t frac = mag % scale;
    while (nfrac > keep && frac % 10 == 0) {
        frac /= 10;
        nfrac--;
    }
    if (nfrac > 0)
        n = snprintf(tmp, sizeof tmp, "%s%llu.%0*llu", v < 0 ? "-" : "",
                     (unsigned long long)(mag / scale), nfrac, (unsigned long long)frac);
    else
        n = snprintf(tmp, sizeof tmp, "%s%llu", v < 0 ? "-" : "",
                     (unsigned long long)(mag / scale));

    if (n < 0 || (size_t)n >= len) {
        if (len > 0)
            buf[0] = '\0';
        return TT_ERR_FULL;
    }
    memcpy(buf, tmp, (size_t)n + 1);
    return n;
}

/* Narrows a 128-bit result, refusing what does not fit. */
static tt_err_t narrow(i128 v, int64_t *out)
{
    if (v > INT64_MAX || v < INT64_MIN)
        return TT_ERR_RANGE;
    *out = (int64_t)v;
    return TT_OK;
}

tt_err_t tt_qty_parse(const char *text, tt_qty_t *out)
{
    return parse_fixed(text, 3, out);
}

tt_err_t tt_money_parse(const char *text, tt_fen_t *out)
{
    return parse_fixed(text, 2, out);
}

int tt_qty_format(tt_qty_t qty, char *buf, size_t len)
{
    return format_fixed(qty, 3, 0, buf, len);
}

int tt_money_format(tt_fen_t fen, char *buf, size_t len)
{
    return format_fixed(fen, 2, 2, buf, len);
}

tt_err_t tt_qty_add(tt_qty_t a, tt_qty_t b, tt_qty_t *out)
{
    return narrow((i128)a + b, out);
}

tt_err_t tt_qty_sub(tt_qty_t a, tt_qty_t b, tt_qty_t *out)
{
    return narrow((i128)a - b, out);
}

tt_err_t tt_money_add(tt_fen_t a, tt_fen_t b, tt_fen_t *out)
{
    return narrow((i128)a + b, out);
}

tt_err_t tt_money_value(tt_fen_t unit_price, tt_qty_t qty, tt_fen_t *out)
{
    /* |price * qty| <= 2^126: exact in 128 bits.  C division truncates toward
     * zero and the remainder takes the dividend's sign, so rounding half away
     * from zero is a step of one away from zero when |rem| >= half. */
    i128 p = (i128)unit_price * qty;
    i128 q = p / TT_QTY_SCALE, r = p % TT_QTY_SCALE;

    if (2 * r >= TT_QTY_SCALE)
        q++;
    else if (2 * r <= -TT_QTY_SCALE)
        q--;
    return narrow(q, out);
}

/*
 * Largest remainder: part i first gets floor(|total| * w[i] / sum), then the
 * k fen still missing (k < n) go one each to the k largest remainders, the
 * earlier part winning a tie.  A negative total is split by magnitude and
 * every part negated, so split(-t) == -split(t) and a refund mirrors its
 * charge fen for fen.
 *
 * No overflow is possible, so TT_ERR_RANGE is never returned: the weight sum
 * is below n * 2^63 and each product below 2^126, both exact in 128 bits, and
 * no part exceeds |total| in magnitude.  The k largest remainders are found
 * by bisection rather than sorting, so no memory beyond `out` is needed:
 * O(n log sum) time.
 */
tt_err_t tt_money_split(tt_fen_t total, const tt_qty_t *weights, size_t n, tt_fen_t *out)
{
    i128 sum = 0, mag = total < 0 ? -(i128)total : total, given = 0;
    int sign = total < 0 ? -1 : 1;

    if (n == 0)
        return TT_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (weights[i] < 0)
            return TT_ERR_INVAL;
        sum += weights[i];
    }
    if (sum == 0)
        return TT_ERR_INVAL;

    for (size_t i = 0; i < n; i++) {
        i128 share = mag * weights[i] / sum;
        out[i] = (tt_fen_t)(sign * share);
        given += share;
    }

    size_t k = (size_t)(mag - given);
    if (k == 0)
        return TT_OK;

    /* Bisect for t, the largest value in [0, sum) that at least k remainders
     * reach: the k-th largest remainder.  Parts above t all get a fen; the
     * rest of the k go to the earliest parts whose remainder equals t. */
    i128 lo = 0, hi = sum - 1;
    while (lo < hi) {
        i128 mid = lo + (hi - lo + 1) / 2;
        size_t cnt = 0;
        for (size_t i = 0; i < n; i++)
            if (mag * weights[i] % sum >= mid)
                cnt++;
        if (cnt >= k)
            lo = mid;
        else
            hi = mid - 1;
    }
    size_t above = 0;
    for (size_t i = 0; i < n; i++)
        if (mag * weights[i] % sum > lo)
            above++;
    size_t ties = k - above;
    for (size_t i = 0; i < n; i++) {
        i128 r = mag * weights[i] % sum;
        if (r > lo) {
            out[i] += sign;
        } else if (r == lo && ties > 0) {
            out[i] += sign;
            ties--;
        }
    }
    return TT_OK;
}
