/*
 * Unit tests for shared/epc: published vectors, every partition of every
 * scheme through an independent encoder in this file (encode -> hex ->
 * decode), the outputs cross-checked against shared/gs1, and every refusal.
 *
 * The encoder below shares no code with epc.c: its partition table is
 * written out per TDS Table 14-2 / 14-13 / 14-14 in (P, M, L, N) form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "epc.h"
#include "gs1.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------- test-side encoder */

/* P: partition, M: company prefix bits, L: its digits, N: reference bits,
 * K: reference digits (SGTIN) or characters (GIAI-202). */
typedef struct {
    unsigned p, m, l, n, k;
} part_t;

static const part_t sgtin_parts[7] = {
    {0, 40, 12, 4, 1},  {1, 37, 11, 7, 2},  {2, 34, 10, 10, 3}, {3, 30, 9, 14, 4},
    {4, 27, 8, 17, 5},  {5, 24, 7, 20, 6},  {6, 20, 6, 24, 7},
};
static const part_t giai96_parts[7] = {
    {0, 40, 12, 42, 13}, {1, 37, 11, 45, 14}, {2, 34, 10, 48, 15}, {3, 30, 9, 52, 16},
    {4, 27, 8, 55, 17},  {5, 24, 7, 58, 18},  {6, 20, 6, 62, 19},
};
static const part_t giai202_parts[7] = {
    {0, 40, 12, 148, 18}, {1, 37, 11, 151, 19}, {2, 34, 10, 154, 20}, {3, 30, 9, 158, 21},
    {4, 27, 8, 161, 22},  {5, 24, 7, 164, 23},  {6, 20, 6, 168, 24},
};

typedef struct {
    unsigned char b[26];
    size_t pos;
} bits_t;

static void put(bits_t *w, uint64_t v, unsigned n)
{
    while (n--) {
        if ((v >> n) & 1u)
            w->b[w->pos / 8] |= (unsigned char)(0x80u >> (w->pos % 8));
        w->pos++;
    }
}

static void put_str7(bits_t *w, const char *s, unsigned field_bits)
{
    size_t start = w->pos;
    for (; *s; s++)
        put(w, (unsigned char)*s, 7);
    w->pos = start + field_bits;   /* the rest stays zero */
}

static const char *to_hex(const bits_t *w, size_t nbytes)
{
    static char out[64];
    static const char digits[] = "0123456789ABCDEF";
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = digits[w->b[i] >> 4];
        out[2 * i + 1] = digits[w->b[i] & 15];
    }
    out[2 * nbytes] = '\0';
    return out;
}

static uint64_t dec(const char *s)
{
    uint64_t v = 0;
    for (; *s; s++)
        v = v * 10 + (uint64_t)(*s - '0');
    return v;
}

/* Raw fields, so tests can also build invalid tags (partition 7, prefixes
 * too big for their digits). */
static const char *enc_sgtin96(unsigned filter, unsigned partition, const part_t *pt, uint64_t cp,
                               uint64_t ir, uint64_t serial)
{
    bits_t w = {{0}, 0};
    put(&w, 0x30, 8);
    put(&w, filter, 3);
    put(&w, partition, 3);
    put(&w, cp, pt->m);
    put(&w, ir, pt->n);
    put(&w, serial, 38);
    assert_int_equal(w.pos, 96);
    return to_hex(&w, 12);
}

static const char *enc_giai96(unsigned filter, const part_t *pt, uint64_t cp, uint64_t ref)
{
    bits_t w = {{0}, 0};
    put(&w, 0x34, 8);
    put(&w, filter, 3);
    put(&w, pt->p, 3);
    put(&w, cp, pt->m);
    put(&w, ref, pt->n);
    assert_int_equal(w.pos, 96);
    return to_hex(&w, 12);
}

static const char *enc_giai202(unsigned filter, const part_t *pt, uint64_t cp, const char *ref)
{
    bits_t w = {{0}, 0};
    put(&w, 0x38, 8);
    put(&w, filter, 3);
    put(&w, pt->p, 3);
    put(&w, cp, pt->m);
    put_str7(&w, ref, pt->n);
    assert_int_equal(w.pos, 202);
    return to_hex(&w, 26);
}

/* The test's own GS1 mod-10 check digit. */
static char check_digit(const char *d, size_t n)
{
    int sum = 0, w = 3;
    for (size_t i = n; i-- > 0; w = 4 - w)
        sum += (d[i] - '0') * w;
    return (char)('0' + (10 - sum % 10) % 10);
}

/* The TDS URI escaping of " % & / < > ?. */
static const char *uri_esc(const char *s)
{
    static char out[128];
    size_t j = 0;
    for (; *s; s++) {
        if (strchr("\"%&/<>?", *s))
            j += (size_t)sprintf(out + j, "%%%02X", (unsigned char)*s);
        else
            out[j++] = *s;
    }
    out[j] = '\0';
    return out;
}

/* Decodes and insists on success. */
static void must_decode(const char *hex, tt_epc_t *e)
{
    char why[TT_EPC_REASON_MAX] = "untouched";
    tt_err_t rc = tt_epc_decode(hex, e, why, sizeof why);
    if (rc != TT_OK)
        fail_msg("%s: rc %d (%s)", hex, rc, why);
    assert_string_equal(why, "");
}

/* The element string goes through the GS1 decoder and back unchanged, and
 * carries the expected key. */
static void check_gs1(const tt_epc_t *e, const char *ai, const char *value)
{
    tt_gs1_result_t r;
    char why[TT_GS1_REASON_MAX], br[TT_GS1_TEXT_MAX];
    if (tt_gs1_decode_bracketed(e->gs1, 2025, &r, why, sizeof why) != TT_OK)
        fail_msg("%s: %s", e->gs1, why);
    assert_string_equal(tt_gs1_find(&r, ai), value);
    assert_int_equal(tt_gs1_bracketed(&r, br, sizeof br), TT_OK);
    assert_string_equal(br, e->gs1);
}

/* ----------------------------------------------------------------- vectors */

static void test_sgtin96_vector(void **state)
{
    (void)state;
    static const char *const forms[] = {"3074257BF7194E4000001A85", "3074257bf7194e4000001a85"};
    for (size_t i = 0; i < N(forms); i++) {
        tt_epc_t e;
        must_decode(forms[i], &e);
        assert_int_equal(e.scheme, TT_EPC_SGTIN_96);
        assert_int_equal(e.header, 0x30);
        assert_int_equal(e.filter, 3);
        assert_int_equal(e.partition, 5);
        assert_string_equal(e.company_prefix, "0614141");
        assert_string_equal(e.reference, "812345");
        assert_true(e.serial == 6789);
        assert_string_equal(e.key, "80614141123458");
        assert_string_equal(e.pure_uri, "urn:epc:id:sgtin:0614141.812345.6789");
        assert_string_equal(e.tag_uri, "urn:epc:tag:sgtin-96:3.0614141.812345.6789");
        assert_string_equal(e.gs1, "(01)80614141123458(21)6789");
        check_gs1(&e, "21", "6789");
    }
    /* The test encoder reproduces the published hex from the fields. */
    assert_string_equal(enc_sgtin96(3, 5, &sgtin_parts[5], 614141, 812345, 6789),
                        "3074257BF7194E4000001A85");
}

typedef struct {
    const char *hex;
    unsigned filter, partition;
    const char *prefix, *ref;   /* ref as characters (GIAI-202) or decimal (GIAI-96) */
    const char *pure, *tag, *gs1;
} giai_vector_t;

/* Vectors as published with nedap/retail-epcpy's test suite; each is also
 * re-encoded below by this file's own encoder. */
static const giai_vector_t giai_vectors[] = {
    {"3434257BF400000000000000", 1, 5, "0614141", "0", "urn:epc:id:giai:0614141.0",
     "urn:epc:tag:giai-96:1.0614141.0", "(8004)06141410"},
    {"3434257BF400000000BC6038", 1, 5, "0614141", "12345400", "urn:epc:id:giai:0614141.12345400",
     "urn:epc:tag:giai-96:1.0614141.12345400", "(8004)061414112345400"},
    {"3834257BF58B266D1AB460C00000000000000000000000000000", 1, 5, "0614141", "12345400",
     "urn:epc:id:giai:0614141.12345400", "urn:epc:tag:giai-202:1.0614141.12345400",
     "(8004)061414112345400"},
    {"3814257BF58C1858D7C400000000000000000000000000000000", 0, 5, "0614141", "1ABc/D",
     "urn:epc:id:giai:0614141.1ABc%2FD", "urn:epc:tag:giai-202:0.0614141.1ABc%2FD",
     "(8004)06141411ABc/D"},
    {"38983BF8D831830B1AF880000000000000000000000000000000", 4, 6, "061411", "01ABc/D",
     "urn:epc:id:giai:061411.01ABc%2FD", "urn:epc:tag:giai-202:4.061411.01ABc%2FD",
     "(8004)06141101ABc/D"},
    {"38380C0E583164CDA356CDDC3960C593368D5B3770E583164CC0", 1, 6, "012345",
     "012345678901234567890123", "urn:epc:id:giai:012345.012345678901234567890123",
     "urn:epc:tag:giai-202:1.012345.012345678901234567890123",
     "(8004)012345012345678901234567890123"},
    {"3834257BF5832000000000000000000000000000000000000000", 1, 5, "0614141", "02",
     "urn:epc:id:giai:0614141.02", "urn:epc:tag:giai-202:1.0614141.02", "(8004)061414102"},
};

static void test_giai_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(giai_vectors); i++) {
        const giai_vector_t *v = &giai_vectors[i];
        int is202 = strlen(v->hex) == 52;
        tt_epc_t e;
        must_decode(v->hex, &e);
        assert_int_equal(e.scheme, is202 ? TT_EPC_GIAI_202 : TT_EPC_GIAI_96);
        assert_int_equal(e.header, is202 ? 0x38 : 0x34);
        assert_int_equal(e.filter, v->filter);
        assert_int_equal(e.partition, v->partition);
        assert_string_equal(e.company_prefix, v->prefix);
        assert_string_equal(e.reference, v->ref);
        assert_true(e.serial == 0);
        assert_string_equal(e.pure_uri, v->pure);
        assert_string_equal(e.tag_uri, v->tag);
        assert_string_equal(e.gs1, v->gs1);
        check_gs1(&e, "8004", v->gs1 + 6);

        const char *again = is202
            ? enc_giai202(v->filter, &giai202_parts[v->partition], dec(v->prefix), v->ref)
            : enc_giai96(v->filter, &giai96_parts[v->partition], dec(v->prefix), dec(v->ref));
        assert_string_equal(again, v->hex);
    }
}

/* --------------------------------------------------------- every partition */

static void test_sgtin96_partitions(void **state)
{
    (void)state;
    static const char prefixes[] = "061414199999";   /* first L digits */
    static const char refs[] = "8123456";           /* first 13 - L digits */

    for (unsigned p = 0; p < 7; p++) {
        const part_t *pt = &sgtin_parts[p];
        char cp[13], ir[8], gtin[24], want[256];
        memcpy(cp, prefixes, pt->l);
        cp[pt->l] = '\0';
        memcpy(ir, refs, pt->k);
        ir[pt->k] = '\0';
        assert_int_equal(pt->l + pt->k, 13);

        static const uint64_t serials[] = {0, 1, 6789, 274877906943ULL};   /* 2^38 - 1 */
        for (size_t s = 0; s < N(serials); s++) {
            unsigned filter = (unsigned)((p + s) % 8);
            tt_epc_t e;
            must_decode(enc_sgtin96(filter, p, pt, dec(cp), dec(ir), serials[s]), &e);
            assert_int_equal(e.partition, p);
            assert_int_equal(e.filter, filter);
            assert_string_equal(e.company_prefix, cp);
            assert_string_equal(e.reference, ir);
            assert_true(e.serial == serials[s]);

            /* GTIN-14: indicator, prefix, rest of the reference, check. */
            snprintf(gtin, sizeof gtin, "%c%s%s", ir[0], cp, ir + 1);
            gtin[13] = check_digit(gtin, 13);
            gtin[14] = '\0';
            assert_string_equal(e.key, gtin);

            snprintf(want, sizeof want, "urn:epc:id:sgtin:%s.%s.%llu", cp, ir,
                     (unsigned long long)serials[s]);
            assert_string_equal(e.pure_uri, want);
            snprintf(want, sizeof want, "urn:epc:tag:sgtin-96:%u.%s.%s.%llu", filter, cp, ir,
                     (unsigned long long)serials[s]);
            assert_string_equal(e.tag_uri, want);
            snprintf(want, sizeof want, "(01)%s(21)%llu", gtin, (unsigned long long)serials[s]);
            assert_string_equal(e.gs1, want);
            check_gs1(&e, "01", gtin);
        }

        /* The largest values the digits allow decode; one more is refused. */
        uint64_t cmax = 1, rmax = 1;
        for (unsigned i = 0; i < pt->l; i++)
            cmax *= 10;
        for (unsigned i = 0; i < pt->k; i++)
            rmax *= 10;
        tt_epc_t e;
        must_decode(enc_sgtin96(1, p, pt, cmax - 1, rmax - 1, 5), &e);
        assert_int_equal(strspn(e.company_prefix, "9"), pt->l);   /* all nines */
        assert_int_equal(strspn(e.reference, "9"), pt->k);
        assert_int_equal(strlen(e.company_prefix), pt->l);
        assert_int_equal(strlen(e.reference), pt->k);

        char why[TT_EPC_REASON_MAX];
        snprintf(want, sizeof want, "company prefix %llu has more than %u digits (partition %u)",
                 (unsigned long long)cmax, pt->l, p);
        assert_int_equal(tt_epc_decode(enc_sgtin96(1, p, pt, cmax, 0, 5), &e, why, sizeof why),
                         TT_ERR_RANGE);
        assert_string_equal(why, want);
        snprintf(want, sizeof want, "item reference %llu has more than %u digit%s (partition %u)",
                 (unsigned long long)rmax, pt->k, pt->k == 1 ? "" : "s", p);
        assert_int_equal(tt_epc_decode(enc_sgtin96(1, p, pt, 0, rmax, 5), &e, why, sizeof why),
                         TT_ERR_RANGE);
        assert_string_equal(why, want);
    }
}

static void test_giai96_partitions(void **state)
{
    (void)state;
    static const char prefixes[] = "061414199999";
    for (unsigned p = 0; p < 7; p++) {
        const part_t *pt = &giai96_parts[p];
        char cp[13], ref[24], want[256];
        memcpy(cp, prefixes, pt->l);
        cp[pt->l] = '\0';

        /* 0, a middle value and the largest value of the field. */
        const uint64_t refs[] = {0, 12345400, (1ULL << pt->n) - 1};
        for (size_t r = 0; r < N(refs); r++) {
            tt_epc_t e;
            must_decode(enc_giai96(2, pt, dec(cp), refs[r]), &e);
            snprintf(ref, sizeof ref, "%llu", (unsigned long long)refs[r]);
            assert_true(strlen(ref) <= pt->k);
            assert_int_equal(e.scheme, TT_EPC_GIAI_96);
            assert_int_equal(e.partition, p);
            assert_string_equal(e.company_prefix, cp);
            assert_string_equal(e.reference, ref);
            snprintf(want, sizeof want, "%s%s", cp, ref);
            assert_string_equal(e.key, want);
            snprintf(want, sizeof want, "urn:epc:id:giai:%s.%s", cp, ref);
            assert_string_equal(e.pure_uri, want);
            snprintf(want, sizeof want, "urn:epc:tag:giai-96:2.%s.%s", cp, ref);
            assert_string_equal(e.tag_uri, want);
            snprintf(want, sizeof want, "(8004)%s%s", cp, ref);
            assert_string_equal(e.gs1, want);
            check_gs1(&e, "8004", e.key);
        }

        uint64_t cmax = 1;
        for (unsigned i = 0; i < pt->l; i++)
            cmax *= 10;
        tt_epc_t e;
        char why[TT_EPC_REASON_MAX];
        assert_int_equal(tt_epc_decode(enc_giai96(0, pt, cmax, 1), &e, why, sizeof why),
                         TT_ERR_RANGE);
        snprintf(want, sizeof want, "company prefix %llu has more than %u digits",
                 (unsigned long long)cmax, pt->l);
        assert_non_null(strstr(why, want));
    }
}

static void test_giai202_partitions(void **state)
{
    (void)state;
    static const char prefixes[] = "061414199999";
    /* Every CSET 82 character, including those URIs escape and '(' which
     * the element string escapes. */
    static const char cset82[] =
        "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    assert_int_equal(strlen(cset82), 82);

    size_t next = 0;
    for (unsigned p = 0; p < 7; p++) {
        const part_t *pt = &giai202_parts[p];
        char cp[13], ref[32], want[256];
        memcpy(cp, prefixes, pt->l);
        cp[pt->l] = '\0';
        assert_int_equal(pt->l + pt->k, 30);

        /* One character, then the most the partition allows. */
        const unsigned lens[2] = {1, pt->k};
        for (size_t li = 0; li < 2; li++) {
            unsigned len = lens[li];
            for (unsigned i = 0; i < len; i++)
                ref[i] = cset82[next++ % 82];
            ref[len] = '\0';
            tt_epc_t e;
            must_decode(enc_giai202(7, pt, dec(cp), ref), &e);
            assert_int_equal(e.scheme, TT_EPC_GIAI_202);
            assert_int_equal(e.filter, 7);
            assert_int_equal(e.partition, p);
            assert_string_equal(e.company_prefix, cp);
            assert_string_equal(e.reference, ref);
            snprintf(want, sizeof want, "%s%s", cp, ref);
            assert_string_equal(e.key, want);
            snprintf(want, sizeof want, "urn:epc:id:giai:%s.%s", cp, uri_esc(ref));
            assert_string_equal(e.pure_uri, want);
            snprintf(want, sizeof want, "urn:epc:tag:giai-202:7.%s.%s", cp, uri_esc(ref));
            assert_string_equal(e.tag_uri, want);
            check_gs1(&e, "8004", e.key);   /* "\(" round-trips through gs1 */
        }

        /* One character more than the partition allows, where it fits the
         * bit field (all but partition 6, whose field is exactly 24 chars). */
        if (pt->n / 7 > pt->k) {
            memset(ref, 'A', pt->k + 1);
            ref[pt->k + 1] = '\0';
            tt_epc_t e;
            char why[TT_EPC_REASON_MAX];
            assert_int_equal(tt_epc_decode(enc_giai202(0, pt, dec(cp), ref), &e, why, sizeof why),
                             TT_ERR_RANGE);
            snprintf(want, sizeof want,
                     "GIAI-202 asset reference is longer than %u characters (partition %u)", pt->k,
                     p);
            assert_string_equal(why, want);
        }
    }

    /* Worst case for the output sizes: partition 6, 24 characters that all
     * need escaping. */
    char ref[25];
    memset(ref, '/', 24);
    ref[24] = '\0';
    tt_epc_t e;
    must_decode(enc_giai202(0, &giai202_parts[6], 61411, ref), &e);
    assert_int_equal(strlen(e.tag_uri), strlen("urn:epc:tag:giai-202:0.061411.") + 72);
    assert_true(strlen(e.tag_uri) < TT_EPC_URI_MAX);
    memset(ref, '(', 24);
    must_decode(enc_giai202(0, &giai202_parts[6], 61411, ref), &e);
    assert_int_equal(strlen(e.gs1), strlen("(8004)061411") + 48);
    assert_true(strlen(e.gs1) < TT_EPC_GS1_MAX);
    check_gs1(&e, "8004", e.key);
}

/* ---------------------------------------------------------------- refusals */

typedef struct {
    const char *hex;
    tt_err_t rc;
    const char *why;
} bad_t;

static void run_bad(const bad_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char why[TT_EPC_REASON_MAX] = "";
        tt_epc_t e;
        memset(&e, 0x5A, sizeof e);
        tt_err_t rc = tt_epc_decode(t[i].hex, &e, why, sizeof why);
        if (rc != t[i].rc || !strstr(why, t[i].why))
            fail_msg("\"%s\": rc %d (want %d), reason \"%s\" (want \"%s\")", t[i].hex, rc, t[i].rc,
                     why, t[i].why);
        assert_int_equal(e.scheme, 0);   /* cleared on failure */
        assert_string_equal(e.pure_uri, "");
    }
}

static void test_refusals(void **state)
{
    (void)state;
    static const bad_t t[] = {
        {"", TT_ERR_PARSE, "empty EPC"},
        {"3", TT_ERR_PARSE, "EPC is too short to hold a header"},
        {"3074257BF7194E4000001A8G", TT_ERR_PARSE, "EPC character 24 ('G') is not a hex digit"},
        {"3074 257BF7194E4000001A85", TT_ERR_PARSE, "EPC character 5 (0x20) is not a hex digit"},
        {"0x3074257BF7194E4000001A85", TT_ERR_PARSE, "EPC character 2 ('x') is not a hex digit"},
        {"3074257BF7194E4000001A85\n", TT_ERR_PARSE, "EPC character 25 (0x0A) is not a hex digit"},
        {"3074257BF7194E4000001A8500", TT_ERR_PARSE, "SGTIN-96 EPC must be 24 hex digits, got 26"},
        {"3074257BF7194E4000001A8", TT_ERR_PARSE, "SGTIN-96 EPC must be 24 hex digits, got 23"},
        {"3074257BF7194E4000001A8500000000", TT_ERR_PARSE, "must be 24 hex digits, got 32"},
        {"3434257BF400000000BC603", TT_ERR_PARSE, "GIAI-96 EPC must be 24 hex digits, got 23"},
        {"3834257BF400000000BC6038", TT_ERR_PARSE, "GIAI-202 EPC must be 52 hex digits, got 24"},
        {"3574257BF7194E4000001A85", TT_ERR_NOTFOUND, "EPC header 0x35 (GID-96) is not supported"},
        {"3174257BF7194E4000001A85", TT_ERR_NOTFOUND, "EPC header 0x31 (SSCC-96) is not supported"},
        {"3674257BF7194E4000001A85", TT_ERR_NOTFOUND, "EPC header 0x36 (SGTIN-198) is not supported"},
        {"00", TT_ERR_NOTFOUND, "EPC header 0x00 is not supported"},
        {"E2801160600002", TT_ERR_NOTFOUND, "EPC header 0xE2 is not supported"},
    };
    run_bad(t, N(t));

    char why[TT_EPC_REASON_MAX];
    tt_epc_t e;
    assert_int_equal(tt_epc_decode(NULL, &e, why, sizeof why), TT_ERR_INVAL);
    assert_int_equal(tt_epc_decode("3074257BF7194E4000001A85", NULL, why, sizeof why), TT_ERR_INVAL);
    assert_int_equal(tt_epc_decode("3074257BF7194E4000001A85", &e, NULL, 0), TT_OK);
    char tiny[6];
    assert_int_equal(tt_epc_decode("35", &e, tiny, sizeof tiny), TT_ERR_NOTFOUND);
    assert_string_equal(tiny, "EPC h");
}

static void test_partition_seven(void **state)
{
    (void)state;
    char why[TT_EPC_REASON_MAX];
    tt_epc_t e;
    /* The bits after the partition are laid out as partition 6 would. */
    assert_int_equal(tt_epc_decode(enc_sgtin96(3, 7, &sgtin_parts[6], 614141, 812345, 1), &e, why,
                                   sizeof why),
                     TT_ERR_RANGE);
    assert_string_equal(why, "partition value 7 is invalid (0 to 6 allowed)");

    bits_t w = {{0}, 0};
    put(&w, 0x34, 8);
    put(&w, 0, 3);
    put(&w, 7, 3);
    assert_int_equal(tt_epc_decode(to_hex(&w, 12), &e, why, sizeof why), TT_ERR_RANGE);
    assert_non_null(strstr(why, "partition value 7 is invalid"));

    bits_t w2 = {{0}, 0};
    put(&w2, 0x38, 8);
    put(&w2, 0, 3);
    put(&w2, 7, 3);
    assert_int_equal(tt_epc_decode(to_hex(&w2, 26), &e, why, sizeof why), TT_ERR_RANGE);
    assert_non_null(strstr(why, "partition value 7 is invalid"));
}

static void test_giai202_refusals(void **state)
{
    (void)state;
    const part_t *p5 = &giai202_parts[5];
    char why[TT_EPC_REASON_MAX];
    tt_epc_t e;

    /* A character outside CSET 82: '#', space, DEL, '~'. */
    static const struct {
        const char *ref;
        const char *why;
    } bad_chars[] = {
        {"A#B", "GIAI-202 asset reference character 2 (0x23) is not in GS1 character set 82"},
        {"AB C", "character 3 (0x20)"},
        {"\x7F", "character 1 (0x7F)"},
        {"ok~", "character 3 (0x7E)"},
        {"\x01", "character 1 (0x01)"},
    };
    for (size_t i = 0; i < N(bad_chars); i++) {
        assert_int_equal(tt_epc_decode(enc_giai202(0, p5, 614141, bad_chars[i].ref), &e, why,
                                       sizeof why),
                         TT_ERR_PARSE);
        assert_non_null(strstr(why, bad_chars[i].why));
    }

    /* Empty asset reference. */
    assert_int_equal(tt_epc_decode(enc_giai202(0, p5, 614141, ""), &e, why, sizeof why),
                     TT_ERR_PARSE);
    assert_string_equal(why, "GIAI-202 asset reference is empty");

    /* A character after the terminating zero character. */
    bits_t w = {{0}, 0};
    put(&w, 0x38, 8);
    put(&w, 0, 3);
    put(&w, 5, 3);
    put(&w, 614141, 24);
    put(&w, 'A', 7);
    put(&w, 0, 7);
    put(&w, 'B', 7);
    assert_int_equal(tt_epc_decode(to_hex(&w, 26), &e, why, sizeof why), TT_ERR_PARSE);
    assert_string_equal(why, "GIAI-202 has non-zero bits after the end of the asset reference");

    /* A stray bit in the last, partial character slot of the field
     * (partition 0: 148 bits = 21 characters and 1 bit). */
    bits_t w2 = {{0}, 0};
    put(&w2, 0x38, 8);
    put(&w2, 0, 3);
    put(&w2, 0, 3);
    put(&w2, 61414100000ULL, 40);
    put(&w2, 'A', 7);
    w2.pos = 14 + 40 + 147;
    put(&w2, 1, 1);
    assert_int_equal(w2.pos, 202);
    assert_int_equal(tt_epc_decode(to_hex(&w2, 26), &e, why, sizeof why), TT_ERR_PARSE);
    assert_non_null(strstr(why, "non-zero bits after the end"));

    /* The 6 padding bits after bit 202 are not part of the EPC: ignored. */
    bits_t w3 = {{0}, 0};
    put(&w3, 0x38, 8);
    put(&w3, 0, 3);
    put(&w3, 5, 3);
    put(&w3, 614141, 24);
    put_str7(&w3, "X1", 164);
    put(&w3, 0x3F, 6);
    must_decode(to_hex(&w3, 26), &e);
    assert_string_equal(e.reference, "X1");
}

static void test_scheme_name(void **state)
{
    (void)state;
    assert_string_equal(tt_epc_scheme_name(TT_EPC_SGTIN_96), "sgtin-96");
    assert_string_equal(tt_epc_scheme_name(TT_EPC_GIAI_96), "giai-96");
    assert_string_equal(tt_epc_scheme_name(TT_EPC_GIAI_202), "giai-202");
    assert_null(tt_epc_scheme_name((tt_epc_scheme_t)0));
    assert_null(tt_epc_scheme_name((tt_epc_scheme_t)9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgtin96_vector),
        cmocka_unit_test(test_giai_vectors),
        cmocka_unit_test(test_sgtin96_partitions),
        cmocka_unit_test(test_giai96_partitions),
        cmocka_unit_test(test_giai202_partitions),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_partition_seven),
        cmocka_unit_test(test_giai202_refusals),
        cmocka_unit_test(test_scheme_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
