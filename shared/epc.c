/*
 * epc: EPC Tag Data Standard decoding.  See epc.h for the contract.
 *
 * The hex is turned into bytes once; fields are then read MSB-first with
 * get_bits(), never more than 62 bits at a time, so a uint64_t holds each.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "epc.h"
#include "gs1.h"

#define HDR_SGTIN_96 0x30
#define HDR_GIAI_96 0x34
#define HDR_GIAI_202 0x38

/* TDS partition tables, indexed by partition value 0..6. */
static const unsigned char prefix_bits[7] = {40, 37, 34, 30, 27, 24, 20};
static const unsigned char prefix_digits[7] = {12, 11, 10, 9, 8, 7, 6};
static const unsigned char sgtin_ref_bits[7] = {4, 7, 10, 14, 17, 20, 24};
static const unsigned char giai96_ref_bits[7] = {42, 45, 48, 52, 55, 58, 62};
static const unsigned char giai202_ref_bits[7] = {148, 151, 154, 158, 161, 164, 168};
static const unsigned char giai202_ref_chars[7] = {18, 19, 20, 21, 22, 23, 24};

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

static int hex_val(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads n <= 64 bits starting at bit `pos` (0 = MSB of byte 0). */
static uint64_t get_bits(const unsigned char *b, size_t pos, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++, pos++)
        v = (v << 1) | ((b[pos / 8] >> (7 - pos % 8)) & 1u);
    return v;
}

static uint64_t pow10u(unsigned n)
{
    uint64_t p = 1;
    while (n--)
        p *= 10;
    return p;
}

/* GS1 AI encodable character set 82 (TDS Table A-1). */
static int is_cset82(int c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!\"%&'()*+,-./:;<=>?_", c) != NULL;
}

/* Writes v in decimal, zero-padded to `width` digits (0: no padding), and
 * a NUL into dst, which has room for 21 bytes; returns the length. */
static size_t put_dec(char *dst, uint64_t v, unsigned width)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width && n < sizeof tmp)
        tmp[n++] = '0';
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    dst[n] = '\0';
    return n;
}

/* Concatenates the NUL-terminated strings of `parts` (ended by NULL) into
 * dst of cap bytes, cutting short rather than overrunning (the callers'
 * buffers are sized for the worst case, so no cut happens). */
static void join(char *dst, size_t cap, const char *const *parts)
{
    size_t j = 0;
    for (; *parts; parts++)
        for (const char *q = *parts; *q && j + 1 < cap; q++)
            dst[j++] = *q;
    dst[j] = '\0';
}

/* Writes s into dst (cap bytes) with the TDS URI escapes. */
static void uri_escape(char *dst, size_t cap, const char *s)
{
    size_t j = 0;
    for (; *s; s++) {
        const char *esc = NULL;
        switch (*s) {
        case '"': esc = "%22"; break;
        case '%': esc = "%25"; break;
        case '&': esc = "%26"; break;
        case '/': esc = "%2F"; break;
        case '<': esc = "%3C"; break;
        case '>': esc = "%3E"; break;
        case '?': esc = "%3F"; break;
        default: break;
        }
        size_t n = esc ? 3 : 1;
        if (j + n >= cap)
            break;   /* cannot happen: TT_EPC_URI_MAX covers the worst case */
        memcpy(dst + j, esc ? esc : s, n);
        j += n;
    }
    dst[j] = '\0';
}

/* Writes the asset reference for an element string, '(' as "\(". */
static void gs1_escape(char *dst, size_t cap, const char *s)
{
    size_t j = 0;
    for (; *s; s++) {
        size_t n = *s == '(' ? 2 : 1;
        if (j + n >= cap)
            break;   /* cannot happen: TT_EPC_GS1_MAX covers the worst case */
        memcpy(dst + j, *s == '(' ? "\\(" : s, n);
        j += n;
    }
    dst[j] = '\0';
}

static const char *header_name(unsigned h)
{
    switch (h) {
    case 0x2C: return "GDTI-96";
    case 0x2D: return "GSRN-96";
    case 0x31: return "SSCC-96";
    case 0x32: return "SGLN-96";
    case 0x33: return "GRAI-96";
    case 0x35: return "GID-96";
    case 0x36: return "SGTIN-198";
    case 0x37: return "GRAI-170";
    case 0x39: return "SGLN-195";
    default: return NULL;
    }
}

/* Company prefix at bit 14 for partition p; checks its digit count. */
static tt_err_t read_prefix(const unsigned char *b, unsigned p, tt_epc_t *out, char *reason,
                            size_t rlen)
{
    uint64_t cp = get_bits(b, 14, prefix_bits[p]);
    if (cp >= pow10u(prefix_digits[p]))
        return fail(reason, rlen, TT_ERR_RANGE,
                    "company prefix %" PRIu64 " has more than %u digits (partition %u)", cp,
                    prefix_digits[p], p);   /* 6..12: always plural */
    put_dec(out->company_prefix, cp, prefix_digits[p]);   /* < 10^12: 12 digits + NUL fit */
    return TT_OK;
}

static tt_err_t decode_sgtin96(const unsigned char *b, unsigned p, tt_epc_t *out, char *reason,
                               size_t rlen)
{
    unsigned ref_digits = 13u - prefix_digits[p];
    size_t pos = 14u + prefix_bits[p];
    uint64_t ref = get_bits(b, pos, sgtin_ref_bits[p]);
    tt_err_t rc = read_prefix(b, p, out, reason, rlen);

    if (rc != TT_OK)
        return rc;
    if (ref >= pow10u(ref_digits))
        return fail(reason, rlen, TT_ERR_RANGE,
                    "item reference %" PRIu64 " has more than %u digit%s (partition %u)", ref,
                    ref_digits, ref_digits == 1 ? "" : "s", p);
    put_dec(out->reference, ref, ref_digits);   /* < 10^7 */
    out->serial = get_bits(b, 58, 38);

    /* GTIN-14: indicator digit, company prefix, rest of the item reference,
     * check digit. */
    char g[14];
    g[0] = out->reference[0];
    memcpy(g + 1, out->company_prefix, prefix_digits[p]);
    memcpy(g + 1 + prefix_digits[p], out->reference + 1, ref_digits - 1);
    g[13] = (char)('0' + tt_gs1_check_digit(g, 13));
    memcpy(out->key, g, 14);
    out->key[14] = '\0';

    char ser[21], fil[2] = {(char)('0' + out->filter), '\0'};
    put_dec(ser, out->serial, 0);
    join(out->pure_uri, sizeof out->pure_uri,
         (const char *const[]){"urn:epc:id:sgtin:", out->company_prefix, ".", out->reference,
                               ".", ser, NULL});
    join(out->tag_uri, sizeof out->tag_uri,
         (const char *const[]){"urn:epc:tag:sgtin-96:", fil, ".", out->company_prefix, ".",
                               out->reference, ".", ser, NULL});
    join(out->gs1, sizeof out->gs1, (const char *const[]){"(01)", out->key, "(21)", ser, NULL});
    return TT_OK;
}

static tt_err_t decode_giai96(const unsigned char *b, unsigned p, tt_epc_t *out, char *reason,
                              size_t rlen)
{
    tt_err_t rc = read_prefix(b, p, out, reason, rlen);
    if (rc != TT_OK)
        return rc;
    /* Any value of the field fits the partition's digit count (2^62 has 19
     * digits), so no range check is needed here. */
    uint64_t ref = get_bits(b, 14u + prefix_bits[p], giai96_ref_bits[p]);
    put_dec(out->reference, ref, 0);
    return TT_OK;
}

static tt_err_t decode_giai202(const unsigned char *b, unsigned p, tt_epc_t *out, char *reason,
                               size_t rlen)
{
    tt_err_t rc = read_prefix(b, p, out, reason, rlen);
    if (rc != TT_OK)
        return rc;

    size_t pos = 14u + prefix_bits[p], end = pos + giai202_ref_bits[p];
    size_t n = 0;
    while (pos + 7 <= end) {
        unsigned c = (unsigned)get_bits(b, pos, 7);
        if (c == 0)
            break;
        pos += 7;
        if (n == giai202_ref_chars[p])
            return fail(reason, rlen, TT_ERR_RANGE,
                        "GIAI-202 asset reference is longer than %u characters (partition %u)",
                        giai202_ref_chars[p], p);
        if (!is_cset82((int)c))
            return fail(reason, rlen, TT_ERR_PARSE,
                        "GIAI-202 asset reference character %zu (0x%02X) is not in GS1 character set 82",
                        n + 1, c);
        out->reference[n++] = (char)c;
    }
    out->reference[n] = '\0';
    if (n == 0)
        return fail(reason, rlen, TT_ERR_PARSE, "GIAI-202 asset reference is empty");
    /* Padding: everything after the last character, up to bit 202, is 0. */
    for (; pos < end; pos++)
        if (get_bits(b, pos, 1))
            return fail(reason, rlen, TT_ERR_PARSE,
                        "GIAI-202 has non-zero bits after the end of the asset reference");
    return TT_OK;
}

/* URIs and element string shared by both GIAI schemes. */
static void giai_outputs(tt_epc_t *out)
{
    char esc[TT_EPC_URI_MAX];
    char gesc[TT_EPC_GS1_MAX];

    char fil[2] = {(char)('0' + out->filter), '\0'};

    /* Prefix digits + reference characters <= 30 for every partition. */
    join(out->key, sizeof out->key,
         (const char *const[]){out->company_prefix, out->reference, NULL});
    uri_escape(esc, sizeof esc, out->reference);
    join(out->pure_uri, sizeof out->pure_uri,
         (const char *const[]){"urn:epc:id:giai:", out->company_prefix, ".", esc, NULL});
    join(out->tag_uri, sizeof out->tag_uri,
         (const char *const[]){"urn:epc:tag:", tt_epc_scheme_name(out->scheme), ":", fil, ".",
                               out->company_prefix, ".", esc, NULL});
    gs1_escape(gesc, sizeof gesc, out->key);
    join(out->gs1, sizeof out->gs1, (const char *const[]){"(8004)", gesc, NULL});
}

tt_err_t tt_epc_decode(const char *hex, tt_epc_t *out, char *reason, size_t rlen)
{
    unsigned char b[TT_EPC_HEX_MAX / 2];
    size_t n, want;
    const char *name;
    tt_err_t rc;

    if (reason && rlen > 0)
        reason[0] = '\0';
    if (!out)
        return fail(reason, rlen, TT_ERR_INVAL, "no result struct");
    memset(out, 0, sizeof *out);
    if (!hex)
        return fail(reason, rlen, TT_ERR_INVAL, "no EPC");

    n = strlen(hex);
    if (n == 0)
        return fail(reason, rlen, TT_ERR_PARSE, "empty EPC");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)hex[i];
        if (hex_val(c) < 0) {
            if (c > 0x20 && c < 0x7F)
                return fail(reason, rlen, TT_ERR_PARSE,
                            "EPC character %zu ('%c') is not a hex digit", i + 1, c);
            return fail(reason, rlen, TT_ERR_PARSE, "EPC character %zu (0x%02X) is not a hex digit",
                        i + 1, c);
        }
    }
    if (n < 2)
        return fail(reason, rlen, TT_ERR_PARSE, "EPC is too short to hold a header");

    unsigned header = (unsigned)(hex_val((unsigned char)hex[0]) * 16 + hex_val((unsigned char)hex[1]));
    switch (header) {
    case HDR_SGTIN_96:
        out->scheme = TT_EPC_SGTIN_96;
        want = 24;
        break;
    case HDR_GIAI_96:
        out->scheme = TT_EPC_GIAI_96;
        want = 24;
        break;
    case HDR_GIAI_202:
        out->scheme = TT_EPC_GIAI_202;
        want = 52;
        break;
    default:
        name = header_name(header);
        memset(out, 0, sizeof *out);
        if (name)
            return fail(reason, rlen, TT_ERR_NOTFOUND, "EPC header 0x%02X (%s) is not supported",
                        header, name);
        return fail(reason, rlen, TT_ERR_NOTFOUND, "EPC header 0x%02X is not supported", header);
    }
    if (n != want) {
        rc = fail(reason, rlen, TT_ERR_PARSE, "%s EPC must be %zu hex digits, got %zu",
                  header == HDR_SGTIN_96 ? "SGTIN-96" : header == HDR_GIAI_96 ? "GIAI-96" : "GIAI-202",
                  want, n);
        memset(out, 0, sizeof *out);
        return rc;
    }

    for (size_t i = 0; i < n / 2; i++)
        b[i] = (unsigned char)(hex_val((unsigned char)hex[2 * i]) * 16 +
                               hex_val((unsigned char)hex[2 * i + 1]));
    out->header = header;
    out->filter = (unsigned)get_bits(b, 8, 3);
    out->partition = (unsigned)get_bits(b, 11, 3);
    if (out->partition > 6) {
        rc = fail(reason, rlen, TT_ERR_RANGE, "partition value %u is invalid (0 to 6 allowed)",
                  out->partition);
        memset(out, 0, sizeof *out);
        return rc;
    }

    switch (out->scheme) {
    case TT_EPC_SGTIN_96:
        rc = decode_sgtin96(b, out->partition, out, reason, rlen);
        break;
    case TT_EPC_GIAI_96:
        rc = decode_giai96(b, out->partition, out, reason, rlen);
        if (rc == TT_OK)
            giai_outputs(out);
        break;
    default:
        rc = decode_giai202(b, out->partition, out, reason, rlen);
        if (rc == TT_OK)
            giai_outputs(out);
        break;
    }
    if (rc != TT_OK)
        memset(out, 0, sizeof *out);
    return rc;
}

const char *tt_epc_scheme_name(tt_epc_scheme_t scheme)
{
    switch (scheme) {
    case TT_EPC_SGTIN_96: return "sgtin-96";
    case TT_EPC_GIAI_96: return "giai-96";
    case TT_EPC_GIAI_202: return "giai-202";
    }
    return NULL;
}
