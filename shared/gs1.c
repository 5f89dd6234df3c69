/*
 * gs1: decoding GS1 barcode data into AIs.  See gs1.h for the contract.
 *
 * Every form is reduced to a sequence of (AI, raw value) and fed through one
 * path, add_pair(), which checks the value against the AI's definition and
 * refuses conflicting repeats; check_associations() then applies the pairing
 * rules to the whole set.  No input is ever copied except a value, after its
 * length has been checked against the AI's maximum, so long input cannot
 * overrun anything.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gs1.h"

enum { K_PLAIN, K_DATE, K_COUNT, K_GIAI };

typedef struct {
    char ai[TT_GS1_AI_MAX + 1];
    unsigned char fixed;     /* predefined length: no GS needed after it */
    unsigned char numeric;   /* digits only; otherwise CSET 82 */
    unsigned char minlen, maxlen;
    unsigned char csum;      /* last digit is a mod-10 check digit */
    unsigned char kind;      /* K_*: extra checks and decoded fields */
} ai_def_t;

static const ai_def_t ai_defs[] = {
    {"00", 1, 1, 18, 18, 1, K_PLAIN},
    {"01", 1, 1, 14, 14, 1, K_PLAIN},
    {"02", 1, 1, 14, 14, 1, K_PLAIN},
    {"10", 0, 0, 1, 20, 0, K_PLAIN},
    {"17", 1, 1, 6, 6, 0, K_DATE},
    {"21", 0, 0, 1, 20, 0, K_PLAIN},
    {"30", 0, 1, 1, 8, 0, K_COUNT},
    {"37", 0, 1, 1, 8, 0, K_COUNT},
    {"8004", 0, 0, 1, 30, 0, K_GIAI},
};
#define N_AI_DEFS (sizeof ai_defs / sizeof ai_defs[0])

/* Repeats are dropped or refused, so a result holds each AI at most once and
 * can never overflow. */
_Static_assert(TT_GS1_PAIRS_MAX >= sizeof ai_defs / sizeof ai_defs[0],
               "a result must hold every supported AI");

/* Length of the AI that starts with these two digits (GS1 General
 * Specifications, table of AI prefixes), 0 where no AI starts so.  Only used
 * to name an unsupported AI in an element string precisely. */
static size_t ai_length(const char *p)
{
    int pre = (p[0] - '0') * 10 + (p[1] - '0');

    if (pre <= 4 || (pre >= 10 && pre <= 22) || pre == 30 || pre == 37 || pre >= 90)
        return 2;
    if ((pre >= 23 && pre <= 25) || (pre >= 40 && pre <= 42) || pre == 71)
        return 3;
    if ((pre >= 31 && pre <= 36) || pre == 39 || pre == 43 || pre == 70 || pre == 72 ||
        (pre >= 80 && pre <= 82))
        return 4;
    return 0;
}

static const ai_def_t *find_def(const char *ai, size_t n)
{
    for (size_t i = 0; i < N_AI_DEFS; i++)
        if (strlen(ai_defs[i].ai) == n && memcmp(ai_defs[i].ai, ai, n) == 0)
            return &ai_defs[i];
    return NULL;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)s[i]))
            return 0;
    return 1;
}

/* GS1 AI encodable character set 82. */
static int is_cset82(int c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!\"%&'()*+,-./:;<=>?_", c) != NULL;
}

static tt_err_t fail(char *reason, size_t rlen, tt_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static tt_err_t fail(char *reason, size_t rlen, tt_err_t err, const char *fmt, ...)
{
    if (reason && rlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, rlen, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* A character for a reason: 'x' when printable, 0x1D otherwise. */
typedef struct {
    char s[8];
} chr_t;

static chr_t show(unsigned char c)
{
    chr_t o;
    if (c > 0x20 && c < 0x7F)
        snprintf(o.s, sizeof o.s, "'%c'", c);
    else
        snprintf(o.s, sizeof o.s, "0x%02X", c);
    return o;
}

int tt_gs1_check_digit(const char *digits, size_t n)
{
    unsigned sum = 0;

    if (!digits || n == 0)
        return -1;
    /* Weights 3, 1, 3, ... from the rightmost digit leftwards. */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)digits[n - 1 - i];
        if (!is_digit(c))
            return -1;
        sum += (unsigned)(c - '0') * (i % 2 == 0 ? 3u : 1u);
    }
    return (int)((10 - sum % 10) % 10);
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* The full year for two digits yy (see gs1.h). */
static int full_year(int yy, int ref_year)
{
    if (ref_year == 0)
        return 2000 + yy;
    int century = ref_year - ref_year % 100;
    int diff = yy - ref_year % 100;
    if (diff >= 51)
        century -= 100;
    else if (diff <= -50)
        century += 100;
    return century + yy;
}

/* Length rule of `d` for a value of n characters. */
static tt_err_t check_length(const ai_def_t *d, size_t n, char *reason, size_t rlen)
{
    const char *unit = d->numeric ? "digits" : "characters";

    if (n == 0)
        return fail(reason, rlen, TT_ERR_PARSE, "AI (%s): empty value", d->ai);
    if (d->fixed && n != d->minlen)
        return fail(reason, rlen, TT_ERR_PARSE, "AI (%s): value is %zu %s, expected %u",
                    d->ai, n, unit, d->minlen);
    if (n > d->maxlen)
        return fail(reason, rlen, TT_ERR_PARSE, "AI (%s): value is %zu %s, at most %u allowed",
                    d->ai, n, unit, d->maxlen);
    return TT_OK;
}

/* Checks value v (n bytes, n within the AI's length) and fills `pair`. */
static tt_err_t check_value(const ai_def_t *d, const char *v, size_t n, int ref_year,
                            tt_gs1_pair_t *pair, char *reason, size_t rlen)
{
    tt_err_t rc = check_length(d, n, reason, rlen);
    if (rc != TT_OK)
        return rc;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (d->numeric && !is_digit(c))
            return fail(reason, rlen, TT_ERR_PARSE, "AI (%s): character %zu (%s) is not a digit",
                        d->ai, i + 1, show(c).s);
        if (!d->numeric && !is_cset82(c))
            return fail(reason, rlen, TT_ERR_PARSE,
                        "AI (%s): character %zu (%s) is not in GS1 character set 82",
                        d->ai, i + 1, show(c).s);
    }

    memset(pair, 0, sizeof *pair);
    memcpy(pair->ai, d->ai, strlen(d->ai) + 1);
    memcpy(pair->value, v, n);
    pair->value[n] = '\0';

    if (d->csum) {
        int want = tt_gs1_check_digit(v, n - 1);
        if (v[n - 1] - '0' != want)
            return fail(reason, rlen, TT_ERR_PARSE, "AI (%s): check digit is %c, expected %d",
                        d->ai, v[n - 1], want);
    }

    switch (d->kind) {
    case K_DATE: {
        int yy = (v[0] - '0') * 10 + (v[1] - '0');
        int mm = (v[2] - '0') * 10 + (v[3] - '0');
        int dd = (v[4] - '0') * 10 + (v[5] - '0');
        int y = full_year(yy, ref_year);
        if (mm < 1 || mm > 12)
            return fail(reason, rlen, TT_ERR_PARSE,
                        "AI (%s): %s is not a valid date (no month %02d)", d->ai, pair->value, mm);
        int last = month_days(y, mm);
        if (dd > last)
            return fail(reason, rlen, TT_ERR_PARSE,
                        "AI (%s): %s is not a valid date (%04d-%02d has %d days)", d->ai,
                        pair->value, y, mm, last);
        pair->date.year = y;
        pair->date.month = mm;
        pair->date.day = dd == 0 ? last : dd;
        pair->date.end_of_month = dd == 0;
        break;
    }
    case K_COUNT: {
        uint32_t q = 0;
        for (size_t i = 0; i < n; i++)
            q = q * 10 + (uint32_t)(v[i] - '0');   /* n <= 8: cannot overflow */
        pair->count = q;
        break;
    }
    case K_GIAI:
        /* The GIAI is a GS1 Company Prefix (4 to 12 digits) and an asset
         * reference; at least the shortest prefix must be there. */
        if (n < 4 || !all_digits(v, 4))
            return fail(reason, rlen, TT_ERR_PARSE,
                        "AI (%s): must begin with a GS1 company prefix (at least 4 digits)",
                        d->ai);
        break;
    default:
        break;
    }
    return TT_OK;
}

/* Validates one (AI, value) and appends it, dropping an identical repeat. */
static tt_err_t add_pair(tt_gs1_result_t *out, const ai_def_t *d, const char *v, size_t n,
                         int ref_year, char *reason, size_t rlen)
{
    tt_gs1_pair_t pair;
    tt_err_t rc = check_value(d, v, n, ref_year, &pair, reason, rlen);
    if (rc != TT_OK)
        return rc;

    for (size_t i = 0; i < out->count; i++) {
        if (strcmp(out->pairs[i].ai, d->ai) != 0)
            continue;
        if (strcmp(out->pairs[i].value, pair.value) == 0)
            return TT_OK;
        return fail(reason, rlen, TT_ERR_INVAL, "AI (%s) appears twice with different values",
                    d->ai);
    }
    out->pairs[out->count++] = pair;   /* room: see the static assertion */
    return TT_OK;
}

static int has(const tt_gs1_result_t *r, const char *ai)
{
    return tt_gs1_find(r, ai) != NULL;
}

/* The rules listed in gs1.h, in that order. */
static tt_err_t check_associations(const tt_gs1_result_t *r, char *reason, size_t rlen)
{
    static const struct {
        const char *ai, *with;
    } excl[] = {
        {"01", "02"},   /* E1 */
        {"01", "37"},   /* E2 */
    };
    static const struct {
        const char *ai, *need1, *need2;   /* need1 or need2 (NULL: need1 only) */
    } req[] = {
        {"02", "37", NULL},   /* R1 */
        {"10", "01", "02"},   /* R2 */
        {"17", "01", "02"},   /* R3 */
        {"21", "01", NULL},   /* R4 */
        {"30", "01", "02"},   /* R5 */
        {"37", "02", NULL},   /* R6 */
        {"37", "00", NULL},   /* R7 */
    };

    for (size_t i = 0; i < sizeof excl / sizeof excl[0]; i++)
        if (has(r, excl[i].ai) && has(r, excl[i].with))
            return fail(reason, rlen, TT_ERR_INVAL, "AI (%s) and AI (%s) cannot appear together",
                        excl[i].ai, excl[i].with);
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
        if (!has(r, req[i].ai) || has(r, req[i].need1) || (req[i].need2 && has(r, req[i].need2)))
            continue;
        if (req[i].need2)
            return fail(reason, rlen, TT_ERR_INVAL, "AI (%s) requires AI (%s) or (%s)",
                        req[i].ai, req[i].need1, req[i].need2);
        return fail(reason, rlen, TT_ERR_INVAL, "AI (%s) requires AI (%s)", req[i].ai,
                    req[i].need1);
    }
    return TT_OK;
}

/* ------------------------------------------------------------------ forms */

/* (a) "(01)...(10)...", '(' in a value written "\(". */
static tt_err_t parse_bracketed(const char *s, int ref_year, tt_gs1_result_t *out,
                                char *reason, size_t rlen)
{
    const char *p = s;

    if (*p != '(')
        return fail(reason, rlen, TT_ERR_PARSE, "bracketed data must start with '('");
    while (*p) {
        const char *a = ++p;          /* past '(' */
        while (is_digit((unsigned char)*p))
            p++;
        size_t alen = (size_t)(p - a);
        if (*p != ')' || alen < 2 || alen > 4)
            return fail(reason, rlen, TT_ERR_PARSE,
                        "malformed AI at offset %zu: expected 2 to 4 digits and ')'",
                        (size_t)(a - 1 - s));
        p++;
        const ai_def_t *d = find_def(a, alen);
        if (!d)
            return fail(reason, rlen, TT_ERR_PARSE, "unsupported AI (%.*s)", (int)alen, a);

        /* Measure the value up to the next unescaped '(' first. */
        size_t n = 0;
        const char *v = p;
        while (*p && *p != '(') {
            p += (p[0] == '\\' && p[1] == '(') ? 2 : 1;
            n++;
        }
        tt_err_t rc = check_length(d, n, reason, rlen);
        if (rc != TT_OK)
            return rc;
        char buf[TT_GS1_VALUE_MAX];
        for (size_t i = 0; i < n; i++) {
            if (v[0] == '\\' && v[1] == '(')
                v++;
            buf[i] = *v++;
        }
        rc = add_pair(out, d, buf, n, ref_year, reason, rlen);
        if (rc != TT_OK)
            return rc;
    }
    return TT_OK;
}

/* (b) element string; `base` is the start of the whole input, for offsets. */
static tt_err_t parse_element(const char *s, const char *base, int ref_year,
                              tt_gs1_result_t *out, char *reason, size_t rlen)
{
    const char *p = s;

    if (*p == TT_GS1_GS)
        p++;
    if (!*p)
        return fail(reason, rlen, TT_ERR_PARSE, "no AI in the data");
    while (*p) {
        size_t off = (size_t)(p - base);
        if (!is_digit((unsigned char)p[0]))
            return fail(reason, rlen, TT_ERR_PARSE, "expected an AI at offset %zu, found %s",
                        off, show((unsigned char)p[0]).s);
        if (!is_digit((unsigned char)p[1]))
            return fail(reason, rlen, TT_ERR_PARSE, "incomplete AI at offset %zu", off);
        size_t alen = ai_length(p);
        if (alen == 0)
            alen = 2;
        if (!all_digits(p, alen))
            return fail(reason, rlen, TT_ERR_PARSE, "incomplete AI at offset %zu", off);
        const ai_def_t *d = find_def(p, alen);
        if (!d)
            return fail(reason, rlen, TT_ERR_PARSE, "unsupported AI (%.*s)", (int)alen, p);
        p += alen;

        /* A predefined-length value takes exactly its length (it may not
         * contain a GS); a variable one runs to the next GS or the end. */
        size_t n = 0;
        if (d->fixed)
            while (n < d->minlen && p[n] && p[n] != TT_GS1_GS)
                n++;
        else
            n = strcspn(p, "\x1D");
        tt_err_t rc = check_length(d, n, reason, rlen);
        if (rc != TT_OK)
            return rc;
        rc = add_pair(out, d, p, n, ref_year, reason, rlen);
        if (rc != TT_OK)
            return rc;
        p += n;
        if (*p == TT_GS1_GS)
            p++;
    }
    return TT_OK;
}

/* ]E0 EAN-13 / UPC-A (13 or 12 digits), ]E4 EAN-8: a GTIN as AI (01). */
static tt_err_t parse_ean(const char *s, int ean8, int ref_year, tt_gs1_result_t *out,
                          char *reason, size_t rlen)
{
    size_t n = strlen(s);

    if (!all_digits(s, n) || (ean8 ? n != 8 : (n != 13 && n != 12)))
        return fail(reason, rlen, TT_ERR_PARSE, "%s data must be %s digits",
                    ean8 ? "EAN-8" : "EAN-13/UPC-A", ean8 ? "8" : "13 (or 12)");
    char gtin[14];
    memset(gtin, '0', sizeof gtin);
    memcpy(gtin + 14 - n, s, n);
    return add_pair(out, find_def("01", 2), gtin, 14, ref_year, reason, rlen);
}

static int starts_ci(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++) {
        int c = (unsigned char)*s;
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        if (c != *prefix)
            return 0;
    }
    return 1;
}

static int is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_val(int c)
{
    return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Percent-decodes src[0..n) into dst (room for cap bytes), '+' as a space
 * when `query`.  *outn is the decoded length even past cap (then dst holds
 * only the first cap bytes), so callers can report the true length. */
static tt_err_t pct_decode(const ai_def_t *d, const char *src, size_t n, int query, char *dst,
                           size_t cap, size_t *outn, char *reason, size_t rlen)
{
    size_t j = 0;

    for (size_t i = 0; i < n; i++, j++) {
        char c = src[i];
        if (c == '%') {
            if (i + 2 >= n)
                return fail(reason, rlen, TT_ERR_PARSE, "AI (%s): truncated percent-escape",
                            d->ai);
            if (!is_hex((unsigned char)src[i + 1]) || !is_hex((unsigned char)src[i + 2]))
                return fail(reason, rlen, TT_ERR_PARSE, "AI (%s): bad percent-escape \"%.3s\"",
                            d->ai, src + i);
            c = (char)(hex_val((unsigned char)src[i + 1]) * 16 + hex_val((unsigned char)src[i + 2]));
            i += 2;
        } else if (c == '+' && query) {
            c = ' ';
        }
        if (j < cap)
            dst[j] = c;
    }
    *outn = j;
    return TT_OK;
}

/* Decodes one DL value and adds it (GTIN-8/12/13 of (01) padded to 14). */
static tt_err_t dl_value(const ai_def_t *d, const char *v, size_t vn, int query, int ref_year,
                         tt_gs1_result_t *out, char *reason, size_t rlen)
{
    char buf[TT_GS1_VALUE_MAX];
    size_t n = 0;
    tt_err_t rc = pct_decode(d, v, vn, query, buf, sizeof buf, &n, reason, rlen);
    if (rc != TT_OK)
        return rc;
    if (strcmp(d->ai, "01") == 0 && (n == 8 || n == 12 || n == 13) && all_digits(buf, n)) {
        memmove(buf + 14 - n, buf, n);
        memset(buf, '0', 14 - n);
        n = 14;
    }
    rc = check_length(d, n, reason, rlen);
    if (rc != TT_OK)
        return rc;
    return add_pair(out, d, buf, n, ref_year, reason, rlen);
}

static int is_primary_key(const char *ai, size_t n)
{
    return (n == 2 && (memcmp(ai, "00", 2) == 0 || memcmp(ai, "01", 2) == 0)) ||
           (n == 4 && memcmp(ai, "8004", 4) == 0);
}

/* Position of a path qualifier after primary key `key`: 0, 1, 2 ... in the
 * required order, or -1 when it cannot qualify that key. */
static int qualifier_rank(const char *key, const char *ai, size_t n)
{
    static const char *const gtin_q[] = {"22", "10", "21"};

    if (strcmp(key, "01") == 0) {
        for (int i = 0; i < 3; i++)
            if (strlen(gtin_q[i]) == n && memcmp(gtin_q[i], ai, n) == 0)
                return i;
    } else if (strcmp(key, "8004") == 0) {
        if (n == 4 && memcmp(ai, "7040", 4) == 0)
            return 0;
    }
    return -1;
}

/* Characters allowed anywhere in a URI (RFC 3986 unreserved and reserved)
 * plus '%'. */
static int is_uri_char(int c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("-._~:/?#[]@!$&'()*+,;=%", c) != NULL;
}

/* (d) GS1 Digital Link URI. */
static tt_err_t parse_dl(const char *s, const char *base, int ref_year, tt_gs1_result_t *out,
                         char *reason, size_t rlen)
{
    const char *p;

    if (starts_ci(s, "https://"))
        p = s + 8;
    else if (starts_ci(s, "http://"))
        p = s + 7;
    else
        return fail(reason, rlen, TT_ERR_PARSE, "a Digital Link URI must start with http:// or https://");

    for (const char *q = s; *q; q++)
        if (!is_uri_char((unsigned char)*q))
            return fail(reason, rlen, TT_ERR_PARSE,
                        "character at offset %zu (%s) is not allowed in a URI",
                        (size_t)(q - base), show((unsigned char)*q).s);

    const char *host = p;
    p += strcspn(p, "/?#");
    if (p == host)
        return fail(reason, rlen, TT_ERR_PARSE, "URI has no host");
    if (*p != '/')
        return fail(reason, rlen, TT_ERR_PARSE, "URI has no path");
    const char *ps = p;                      /* path: [ps, pe), starts with '/' */
    const char *pe = ps + strcspn(ps, "?#");
    const char *qs = NULL, *qe = NULL;       /* query: [qs, qe) */
    if (*pe == '?') {
        qs = pe + 1;
        qe = qs + strcspn(qs, "#");
    }
    if (pe - ps > 1 && pe[-1] == '/')
        return fail(reason, rlen, TT_ERR_PARSE, "URI path ends with '/'");

    /* Walk back over "/AI/value" pairs to the rightmost primary key; what
     * is left of it is a free path prefix. */
    const char *dp = NULL, *end = pe;
    for (;;) {
        const char *vs = end;
        while (vs > ps && vs[-1] != '/')
            vs--;
        const char *vslash = vs - 1;         /* '/' before the value */
        if (vslash <= ps)
            break;
        const char *ks = vslash;
        while (ks > ps && ks[-1] != '/')
            ks--;
        size_t kn = (size_t)(vslash - ks);
        if (kn < 2 || kn > 4 || !all_digits(ks, kn))
            break;
        if (is_primary_key(ks, kn)) {
            dp = ks - 1;
            break;
        }
        end = ks - 1;
    }
    if (!dp)
        return fail(reason, rlen, TT_ERR_PARSE,
                    "no GS1 primary key (00), (01) or (8004) in the URI path");

    /* Forward over the pairs: the key, then its qualifiers in order. */
    const char *key = NULL;
    int last_rank = -1;
    const char *last_q = NULL;
    for (p = dp; p < pe;) {
        const char *k = p + 1;
        size_t kn = strcspn(k, "/");
        const char *v = k + kn + 1;
        size_t vn = (size_t)(pe - v);
        const char *slash = memchr(v, '/', vn);
        if (slash)
            vn = (size_t)(slash - v);
        const ai_def_t *d = find_def(k, kn);
        if (key) {
            int rank = qualifier_rank(key, k, kn);
            if (rank < 0) {
                if (!d)
                    return fail(reason, rlen, TT_ERR_PARSE, "unsupported AI (%.*s)", (int)kn, k);
                if (strcmp(key, "00") == 0)
                    return fail(reason, rlen, TT_ERR_PARSE,
                                "AI (00) takes no qualifiers in a Digital Link path, found AI (%s)",
                                d->ai);
                return fail(reason, rlen, TT_ERR_PARSE,
                            "AI (%s) cannot qualify AI (%s) in a Digital Link path", d->ai, key);
            }
            if (!d)
                return fail(reason, rlen, TT_ERR_PARSE, "unsupported AI (%.*s)", (int)kn, k);
            if (rank == last_rank)
                return fail(reason, rlen, TT_ERR_PARSE,
                            "AI (%s) is repeated in the Digital Link path", d->ai);
            if (rank < last_rank)
                return fail(reason, rlen, TT_ERR_PARSE,
                            "AI (%s) must come before AI (%s) in a Digital Link path", d->ai,
                            last_q);
            last_rank = rank;
            last_q = d->ai;
        } else {
            key = d->ai;   /* a primary key is always supported */
        }
        tt_err_t rc = dl_value(d, v, vn, 0, ref_year, out, reason, rlen);
        if (rc != TT_OK)
            return rc;
        p = v + vn;
    }

    /* Query: "AI=value" attributes; parameters not named by digits are not
     * AIs and are ignored, as Digital Link allows. */
    for (p = qs; p && p < qe;) {
        const char *e = p;
        while (e < qe && *e != '&')
            e++;
        const char *k = p;
        const char *eq = memchr(k, '=', (size_t)(e - k));
        size_t kn = (size_t)((eq ? eq : e) - k);
        p = e < qe ? e + 1 : qe;
        if (kn == 0 || !all_digits(k, kn))
            continue;
        if (kn < 2 || kn > 4)
            return fail(reason, rlen, TT_ERR_PARSE, "query parameter %.*s is not an AI",
                        kn > 16 ? 16 : (int)kn, k);
        const ai_def_t *d = find_def(k, kn);
        if (!d)
            return fail(reason, rlen, TT_ERR_PARSE, "unsupported AI (%.*s)", (int)kn, k);
        if (!eq)
            return fail(reason, rlen, TT_ERR_PARSE, "AI (%s): query parameter has no value", d->ai);
        if (qualifier_rank(key, d->ai, strlen(d->ai)) >= 0)
            return fail(reason, rlen, TT_ERR_PARSE,
                        "AI (%s) belongs in the URI path after AI (%s), not in the query string",
                        d->ai, key);
        if (strcmp(d->ai, "21") == 0)   /* a serial is never a DL data attribute */
            return fail(reason, rlen, TT_ERR_PARSE,
                        "AI (21) cannot be a Digital Link query parameter");
        tt_err_t rc = dl_value(d, eq + 1, (size_t)(e - eq - 1), 1, ref_year, out, reason, rlen);
        if (rc != TT_OK)
            return rc;
    }
    return TT_OK;
}

/* Symbology identifiers whose data is a GS1 element string. */
static int aim_is_gs1(const char *id)
{
    static const char *const ids[] = {"]C1", "]e0", "]d2", "]Q3", "]J1"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (memcmp(ids[i], id, 3) == 0)
            return 1;
    return 0;
}

static int is_alnum(int c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_dl(const char *s)
{
    return starts_ci(s, "http://") || starts_ci(s, "https://");
}

/* (c) "]Xm" + data. */
static tt_err_t parse_scanner(const char *s, int ref_year, tt_gs1_result_t *out, char *reason,
                              size_t rlen)
{
    if (s[0] != ']')
        return fail(reason, rlen, TT_ERR_PARSE, "no symbology identifier (']' and two characters)");
    if (!is_alnum((unsigned char)s[1]) || !is_alnum((unsigned char)s[2]))
        return fail(reason, rlen, TT_ERR_PARSE, "truncated or malformed symbology identifier");
    memcpy(out->aim, s, 3);
    out->aim[3] = '\0';

    const char *data = s + 3;
    if (is_dl(data)) {
        out->form = TT_GS1_FORM_DL;
        return parse_dl(data, s, ref_year, out, reason, rlen);
    }
    if (aim_is_gs1(s)) {
        out->form = TT_GS1_FORM_ELEMENT;
        return parse_element(data, s, ref_year, out, reason, rlen);
    }
    if (memcmp(s, "]E0", 3) == 0 || memcmp(s, "]E4", 3) == 0) {
        out->form = TT_GS1_FORM_EAN;
        return parse_ean(data, s[2] == '4', ref_year, out, reason, rlen);
    }
    return fail(reason, rlen, TT_ERR_NOTFOUND, "symbology identifier %s does not carry GS1 data",
                out->aim);
}

/* ------------------------------------------------------------ entry points */

typedef enum { F_AUTO, F_BRACKETED, F_ELEMENT, F_SCANNER, F_DL } which_t;

static tt_err_t decode(which_t which, const char *data, int ref_year, tt_gs1_result_t *out,
                       char *reason, size_t rlen)
{
    tt_err_t rc = TT_ERR_PARSE;

    if (reason && rlen > 0)
        reason[0] = '\0';
    if (!out)
        return fail(reason, rlen, TT_ERR_INVAL, "no result struct");
    memset(out, 0, sizeof *out);
    if (!data)
        return fail(reason, rlen, TT_ERR_INVAL, "no data");
    if (ref_year != 0 && (ref_year < 1900 || ref_year > 9899))
        return fail(reason, rlen, TT_ERR_INVAL, "reference year %d is out of range", ref_year);

    if (which == F_AUTO) {
        if (data[0] == ']')
            which = F_SCANNER;
        else if (is_dl(data))
            which = F_DL;
        else if (data[0] == '(')
            which = F_BRACKETED;
        else if (data[0] == TT_GS1_GS || is_digit((unsigned char)data[0]))
            which = F_ELEMENT;
        else if (!data[0])
            rc = fail(reason, rlen, TT_ERR_PARSE, "empty data");
        else
            rc = fail(reason, rlen, TT_ERR_NOTFOUND, "not GS1 data (starts with %s)",
                      show((unsigned char)data[0]).s);
    }
    switch (which) {
    case F_BRACKETED:
        out->form = TT_GS1_FORM_BRACKETED;
        rc = parse_bracketed(data, ref_year, out, reason, rlen);
        break;
    case F_ELEMENT:
        out->form = TT_GS1_FORM_ELEMENT;
        rc = parse_element(data, data, ref_year, out, reason, rlen);
        break;
    case F_SCANNER:
        rc = parse_scanner(data, ref_year, out, reason, rlen);
        break;
    case F_DL:
        out->form = TT_GS1_FORM_DL;
        rc = parse_dl(data, data, ref_year, out, reason, rlen);
        break;
    default:
        break;   /* F_AUTO left unresolved: rc is set above */
    }
    if (rc == TT_OK && out->count == 0)
        rc = fail(reason, rlen, TT_ERR_PARSE, "no AI in the data");
    if (rc == TT_OK)
        rc = check_associations(out, reason, rlen);
    if (rc != TT_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

tt_err_t tt_gs1_decode(const char *data, int ref_year, tt_gs1_result_t *out, char *reason,
                       size_t rlen)
{
    return decode(F_AUTO, data, ref_year, out, reason, rlen);
}

tt_err_t tt_gs1_decode_bracketed(const char *data, int ref_year, tt_gs1_result_t *out,
                                 char *reason, size_t rlen)
{
    return decode(F_BRACKETED, data, ref_year, out, reason, rlen);
}

tt_err_t tt_gs1_decode_element(const char *data, int ref_year, tt_gs1_result_t *out,
                               char *reason, size_t rlen)
{
    return decode(F_ELEMENT, data, ref_year, out, reason, rlen);
}

tt_err_t tt_gs1_decode_scanner(const char *data, int ref_year, tt_gs1_result_t *out,
                               char *reason, size_t rlen)
{
    return decode(F_SCANNER, data, ref_year, out, reason, rlen);
}

tt_err_t tt_gs1_decode_dl(const char *data, int ref_year, tt_gs1_result_t *out, char *reason,
                          size_t rlen)
{
    return decode(F_DL, data, ref_year, out, reason, rlen);
}

/* --------------------------------------------------------------- accessors */

static const tt_gs1_pair_t *find_pair(const tt_gs1_result_t *r, const char *ai)
{
    if (!r || !ai)
        return NULL;
    for (size_t i = 0; i < r->count && i < TT_GS1_PAIRS_MAX; i++)
        if (strcmp(r->pairs[i].ai, ai) == 0)
            return &r->pairs[i];
    return NULL;
}

const char *tt_gs1_find(const tt_gs1_result_t *r, const char *ai)
{
    const tt_gs1_pair_t *p = find_pair(r, ai);
    return p ? p->value : NULL;
}

tt_err_t tt_gs1_expiry(const tt_gs1_result_t *r, tt_gs1_date_t *out)
{
    if (!r || !out)
        return TT_ERR_INVAL;
    const tt_gs1_pair_t *p = find_pair(r, "17");
    if (!p)
        return TT_ERR_NOTFOUND;
    *out = p->date;
    return TT_OK;
}

tt_err_t tt_gs1_quantity(const tt_gs1_result_t *r, const char *ai, uint32_t *out)
{
    if (!r || !ai || !out || (strcmp(ai, "30") != 0 && strcmp(ai, "37") != 0))
        return TT_ERR_INVAL;
    const tt_gs1_pair_t *p = find_pair(r, ai);
    if (!p)
        return TT_ERR_NOTFOUND;
    *out = p->count;
    return TT_OK;
}

/* Appends to a bounded buffer, remembering overflow instead of writing past. */
typedef struct {
    char *buf;
    size_t len, n;
    int full;
} sink_t;

static void put(sink_t *s, const char *t, size_t n)
{
    if (s->full || n >= s->len - s->n) {
        s->full = 1;
        return;
    }
    memcpy(s->buf + s->n, t, n);
    s->n += n;
    s->buf[s->n] = '\0';
}

/* strlen bounded by the field size (a caller-built result may lack a NUL). */
static size_t bounded_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

static tt_err_t render(const tt_gs1_result_t *r, char *buf, size_t len, int bracketed)
{
    if (!r || !buf || r->count > TT_GS1_PAIRS_MAX)
        return TT_ERR_INVAL;
    if (len == 0)
        return TT_ERR_FULL;
    sink_t s = {buf, len, 0, 0};
    buf[0] = '\0';
    for (size_t i = 0; i < r->count; i++) {
        const tt_gs1_pair_t *p = &r->pairs[i];
        size_t an = bounded_len(p->ai, sizeof p->ai);
        const ai_def_t *d = find_def(p->ai, an);
        if (!d) {
            buf[0] = '\0';
            return TT_ERR_INVAL;
        }
        size_t vn = bounded_len(p->value, sizeof p->value);
        if (bracketed) {
            put(&s, "(", 1);
            put(&s, p->ai, an);
            put(&s, ")", 1);
            for (size_t j = 0; j < vn; j++)
                put(&s, p->value[j] == '(' ? "\\(" : &p->value[j], p->value[j] == '(' ? 2 : 1);
        } else {
            put(&s, p->ai, an);
            put(&s, p->value, vn);
            if (!d->fixed && i + 1 < r->count)
                put(&s, "\x1D", 1);
        }
    }
    if (s.full) {
        buf[0] = '\0';
        return TT_ERR_FULL;
    }
    return TT_OK;
}

tt_err_t tt_gs1_element_string(const tt_gs1_result_t *r, char *buf, size_t len)
{
    return render(r, buf, len, 0);
}

tt_err_t tt_gs1_bracketed(const tt_gs1_result_t *r, char *buf, size_t len)
{
    return render(r, buf, len, 1);
}
