/*
 * Unit tests for shared/gs1: every input form, every supported AI, the
 * canonical outputs and their round trips, and every refusal with its reason.
 *
 * In the tables '^' stands for GS (0x1D), so that "\x1D" followed by hex-like
 * digits cannot be misread by the compiler; gs() turns it back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gs1.h"

#define REF 2025
#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef tt_err_t (*decoder_t)(const char *, int, tt_gs1_result_t *, char *, size_t);

/* Copies `in` into a static buffer with '^' replaced by GS. */
static const char *gs(const char *in)
{
    static char buf[1024];
    size_t i = 0;
    for (; in[i] && i + 1 < sizeof buf; i++)
        buf[i] = in[i] == '^' ? TT_GS1_GS : in[i];
    buf[i] = '\0';
    return buf;
}

/* The inverse, for printing and comparing element strings. */
static const char *caret(const char *in)
{
    static char buf[1024];
    size_t i = 0;
    for (; in[i] && i + 1 < sizeof buf; i++)
        buf[i] = in[i] == TT_GS1_GS ? '^' : in[i];
    buf[i] = '\0';
    return buf;
}

static void canonical(const tt_gs1_result_t *r, char *br, char *el)
{
    assert_int_equal(tt_gs1_bracketed(r, br, TT_GS1_TEXT_MAX), TT_OK);
    assert_int_equal(tt_gs1_element_string(r, el, TT_GS1_TEXT_MAX), TT_OK);
}

/* ------------------------------------------------------------ valid input */

typedef struct {
    decoder_t fn;            /* the form's own entry point */
    const char *in;          /* '^' = GS */
    tt_gs1_form_t form;
    const char *aim;
    const char *bracketed;
    const char *element;     /* '^' = GS */
} ok_case_t;

static const ok_case_t ok_cases[] = {
    /* (a) bracketed, each AI */
    {tt_gs1_decode_bracketed, "(01)09506000134352(17)201225(10)ABC123", TT_GS1_FORM_BRACKETED, "",
     "(01)09506000134352(17)201225(10)ABC123", "01095060001343521720122510ABC123"},
    {tt_gs1_decode_bracketed, "(00)106141412345678908", TT_GS1_FORM_BRACKETED, "",
     "(00)106141412345678908", "00106141412345678908"},
    {tt_gs1_decode_bracketed, "(01)09506000134352", TT_GS1_FORM_BRACKETED, "",
     "(01)09506000134352", "0109506000134352"},
    {tt_gs1_decode_bracketed, "(00)106141412345678908(02)09506000134352(37)10",
     TT_GS1_FORM_BRACKETED, "", "(00)106141412345678908(02)09506000134352(37)10",
     "0010614141234567890802095060001343523710"},
    {tt_gs1_decode_bracketed, "(01)09506000134352(10)ABC-123/x.y(21)S1", TT_GS1_FORM_BRACKETED, "",
     "(01)09506000134352(10)ABC-123/x.y(21)S1", "010950600013435210ABC-123/x.y^21S1"},
    {tt_gs1_decode_bracketed, "(01)09506000134352(21)!\"%&'\\()*+,-./:;<=>?_",
     TT_GS1_FORM_BRACKETED, "", "(01)09506000134352(21)!\"%&'\\()*+,-./:;<=>?_",
     "010950600013435221!\"%&'()*+,-./:;<=>?_"},
    {tt_gs1_decode_bracketed, "(01)09506000134352(30)99999999(10)L1", TT_GS1_FORM_BRACKETED, "",
     "(01)09506000134352(30)99999999(10)L1", "01095060001343523099999999^10L1"},
    {tt_gs1_decode_bracketed, "(8004)061414100000000000000000000001", TT_GS1_FORM_BRACKETED, "",
     "(8004)061414100000000000000000000001", "8004061414100000000000000000000001"},
    {tt_gs1_decode_bracketed, "(8004)0614141A(01)09506000134352", TT_GS1_FORM_BRACKETED, "",
     "(8004)0614141A(01)09506000134352", "80040614141A^0109506000134352"},
    /* an identical repeat is dropped */
    {tt_gs1_decode_bracketed, "(01)09506000134352(10)A(01)09506000134352", TT_GS1_FORM_BRACKETED,
     "", "(01)09506000134352(10)A", "010950600013435210A"},

    /* (b) element strings */
    {tt_gs1_decode_element, "0109506000134352" "17201225" "10ABC123^21XYZ", TT_GS1_FORM_ELEMENT, "",
     "(01)09506000134352(17)201225(10)ABC123(21)XYZ", "01095060001343521720122510ABC123^21XYZ"},
    {tt_gs1_decode_element, "^0109506000134352" "10ABC", TT_GS1_FORM_ELEMENT, "",
     "(01)09506000134352(10)ABC", "010950600013435210ABC"},
    {tt_gs1_decode_element, "0109506000134352^10ABC^", TT_GS1_FORM_ELEMENT, "",
     "(01)09506000134352(10)ABC", "010950600013435210ABC"},
    {tt_gs1_decode_element, "10LOT7^0109506000134352" "3012", TT_GS1_FORM_ELEMENT, "",
     "(10)LOT7(01)09506000134352(30)12", "10LOT7^0109506000134352" "3012"},
    {tt_gs1_decode_element, "00106141412345678908" "0209506000134352" "37123^10B", TT_GS1_FORM_ELEMENT,
     "", "(00)106141412345678908(02)09506000134352(37)123(10)B",
     "00106141412345678908" "0209506000134352" "37123^10B"},
    {tt_gs1_decode_element, "8004123456789012345678901234567890", TT_GS1_FORM_ELEMENT, "",
     "(8004)123456789012345678901234567890", "8004123456789012345678901234567890"},

    /* (c) scanner data with AIM symbology identifiers */
    {tt_gs1_decode_scanner, "]C1" "0109506000134352" "17201225" "10ABC123^21XYZ",
     TT_GS1_FORM_ELEMENT, "]C1", "(01)09506000134352(17)201225(10)ABC123(21)XYZ",
     "01095060001343521720122510ABC123^21XYZ"},
    {tt_gs1_decode_scanner, "]d2^0109506000134352" "10ABC", TT_GS1_FORM_ELEMENT, "]d2",
     "(01)09506000134352(10)ABC", "010950600013435210ABC"},
    {tt_gs1_decode_scanner, "]Q3" "0109506000134352" "21X", TT_GS1_FORM_ELEMENT, "]Q3",
     "(01)09506000134352(21)X", "010950600013435221X"},
    {tt_gs1_decode_scanner, "]e0" "0109506000134352" "17240200", TT_GS1_FORM_ELEMENT, "]e0",
     "(01)09506000134352(17)240200", "010950600013435217240200"},
    {tt_gs1_decode_scanner, "]J1" "00106141412345678908", TT_GS1_FORM_ELEMENT, "]J1",
     "(00)106141412345678908", "00106141412345678908"},
    {tt_gs1_decode_scanner, "]E09506000134352", TT_GS1_FORM_EAN, "]E0", "(01)09506000134352",
     "0109506000134352"},
    {tt_gs1_decode_scanner, "]E0036000291452", TT_GS1_FORM_EAN, "]E0", "(01)00036000291452",
     "0100036000291452"},
    {tt_gs1_decode_scanner, "]E496385074", TT_GS1_FORM_EAN, "]E4", "(01)00000096385074",
     "0100000096385074"},
    {tt_gs1_decode_scanner, "]Q1https://id.gs1.org/01/09506000134352/21/12345", TT_GS1_FORM_DL,
     "]Q1", "(01)09506000134352(21)12345", "01095060001343522112345"},

    /* (d) Digital Link URIs */
    {tt_gs1_decode_dl, "https://id.gs1.org/01/09506000134352/10/ABC123?17=201225", TT_GS1_FORM_DL,
     "", "(01)09506000134352(10)ABC123(17)201225", "010950600013435210ABC123^17201225"},
    {tt_gs1_decode_dl, "http://example.com/01/09506000134352", TT_GS1_FORM_DL, "",
     "(01)09506000134352", "0109506000134352"},
    {tt_gs1_decode_dl, "HTTPS://Example.COM/shop/items/01/09506000134352/21/X%2fY%25Z",
     TT_GS1_FORM_DL, "", "(01)09506000134352(21)X/Y%Z", "010950600013435221X/Y%Z"},
    {tt_gs1_decode_dl, "https://id.gs1.org/01/9506000134352", TT_GS1_FORM_DL, "",
     "(01)09506000134352", "0109506000134352"},
    {tt_gs1_decode_dl, "https://id.gs1.org/01/036000291452", TT_GS1_FORM_DL, "",
     "(01)00036000291452", "0100036000291452"},
    {tt_gs1_decode_dl, "https://id.gs1.org/01/96385074", TT_GS1_FORM_DL, "", "(01)00000096385074",
     "0100000096385074"},
    {tt_gs1_decode_dl,
     "https://a.example/00/106141412345678908?02=09506000134352&37=25&10=LOT%2B1&17=251231",
     TT_GS1_FORM_DL, "", "(00)106141412345678908(02)09506000134352(37)25(10)LOT+1(17)251231",
     "00106141412345678908" "0209506000134352" "3725^10LOT+1^17251231"},
    {tt_gs1_decode_dl, "https://a.example/8004/0614141ABC%2D1?lang=en", TT_GS1_FORM_DL, "",
     "(8004)0614141ABC-1", "80040614141ABC-1"},
    {tt_gs1_decode_dl,
     "https://id.gs1.org/01/09506000134352/10/ABC?linkType=gs1:pip&17=201225#frag%",
     TT_GS1_FORM_DL, "", "(01)09506000134352(10)ABC(17)201225", "010950600013435210ABC^17201225"},
    {tt_gs1_decode_dl, "https://id.gs1.org/01/09506000134352/10/A%28B/21/XYZ?17=201200&30=12",
     TT_GS1_FORM_DL, "", "(01)09506000134352(10)A\\(B(21)XYZ(17)201200(30)12",
     "010950600013435210A(B^21XYZ^17201200" "3012"},
    {tt_gs1_decode_dl, "https://a/00/faux/01/09506000134352", TT_GS1_FORM_DL, "",
     "(01)09506000134352", "0109506000134352"},
    {tt_gs1_decode_dl, "https://a/01/09506000134352?&&17=201225&", TT_GS1_FORM_DL, "",
     "(01)09506000134352(17)201225", "010950600013435217201225"},
};

static void test_valid_forms(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(ok_cases); i++) {
        const ok_case_t *c = &ok_cases[i];
        char in[1024], br[TT_GS1_TEXT_MAX], el[TT_GS1_TEXT_MAX], why[TT_GS1_REASON_MAX];
        tt_gs1_result_t r, r2;

        snprintf(in, sizeof in, "%s", gs(c->in));
        /* The auto-detecting entry point and the form's own agree. */
        for (int pass = 0; pass < 2; pass++) {
            strcpy(why, "untouched");
            tt_err_t rc = pass == 0 ? tt_gs1_decode(in, REF, &r, why, sizeof why)
                                    : c->fn(in, REF, &r, why, sizeof why);
            if (rc != TT_OK)
                fail_msg("case %zu pass %d \"%s\": rc %d (%s)", i, pass, c->in, rc, why);
            assert_string_equal(why, "");
            assert_int_equal(r.form, c->form);
            assert_string_equal(r.aim, c->aim);
            canonical(&r, br, el);
            if (strcmp(br, c->bracketed) != 0 || strcmp(caret(el), c->element) != 0)
                fail_msg("case %zu \"%s\": got %s | %s", i, c->in, br, caret(el));
        }

        /* Round trips: each canonical form decodes to the same pairs. */
        char br2[TT_GS1_TEXT_MAX], el2[TT_GS1_TEXT_MAX];
        assert_int_equal(tt_gs1_decode_bracketed(br, REF, &r2, why, sizeof why), TT_OK);
        canonical(&r2, br2, el2);
        assert_string_equal(br2, br);
        assert_string_equal(el2, el);
        assert_int_equal(tt_gs1_decode_element(el, REF, &r2, why, sizeof why), TT_OK);
        canonical(&r2, br2, el2);
        assert_string_equal(br2, br);
        assert_string_equal(el2, el);
        assert_int_equal(r2.count, r.count);
        for (size_t k = 0; k < r.count; k++)
            assert_memory_equal(&r.pairs[k], &r2.pairs[k], sizeof r.pairs[k]);
    }
}

static void test_pairs_and_helpers(void **state)
{
    (void)state;
    tt_gs1_result_t r;
    tt_gs1_date_t d;
    uint32_t q = 7;
    char why[TT_GS1_REASON_MAX];

    assert_int_equal(tt_gs1_decode("(01)09506000134352(17)201225(10)ABC123(30)0042", REF, &r, why,
                                   sizeof why),
                     TT_OK);
    assert_int_equal(r.count, 4);
    assert_string_equal(r.pairs[0].ai, "01");
    assert_string_equal(r.pairs[1].ai, "17");
    assert_string_equal(r.pairs[2].ai, "10");
    assert_string_equal(r.pairs[3].ai, "30");
    assert_string_equal(tt_gs1_find(&r, "01"), "09506000134352");
    assert_string_equal(tt_gs1_find(&r, "10"), "ABC123");
    assert_null(tt_gs1_find(&r, "21"));
    assert_null(tt_gs1_find(&r, "0"));
    assert_null(tt_gs1_find(NULL, "01"));
    assert_null(tt_gs1_find(&r, NULL));

    assert_int_equal(tt_gs1_expiry(&r, &d), TT_OK);
    assert_int_equal(d.year, 2020);
    assert_int_equal(d.month, 12);
    assert_int_equal(d.day, 25);
    assert_int_equal(d.end_of_month, 0);
    assert_int_equal(r.pairs[1].date.day, 25);

    assert_int_equal(tt_gs1_quantity(&r, "30", &q), TT_OK);
    assert_int_equal(q, 42);
    assert_int_equal(r.pairs[3].count, 42);
    assert_int_equal(r.pairs[0].count, 0);
    q = 7;
    assert_int_equal(tt_gs1_quantity(&r, "37", &q), TT_ERR_NOTFOUND);
    assert_int_equal(q, 7);
    assert_int_equal(tt_gs1_quantity(&r, "10", &q), TT_ERR_INVAL);
    assert_int_equal(tt_gs1_quantity(NULL, "30", &q), TT_ERR_INVAL);
    assert_int_equal(tt_gs1_quantity(&r, "30", NULL), TT_ERR_INVAL);
    assert_int_equal(tt_gs1_expiry(NULL, &d), TT_ERR_INVAL);
    assert_int_equal(tt_gs1_expiry(&r, NULL), TT_ERR_INVAL);

    assert_int_equal(tt_gs1_decode("(00)106141412345678908(02)09506000134352(37)99999999", REF, &r,
                                   why, sizeof why),
                     TT_OK);
    assert_int_equal(tt_gs1_quantity(&r, "37", &q), TT_OK);
    assert_int_equal(q, 99999999u);
    assert_int_equal(tt_gs1_expiry(&r, &d), TT_ERR_NOTFOUND);
}

static void test_check_digit(void **state)
{
    (void)state;
    assert_int_equal(tt_gs1_check_digit("0950600013435", 13), 2);
    assert_int_equal(tt_gs1_check_digit("10614141234567890", 17), 8);
    assert_int_equal(tt_gs1_check_digit("9638507", 7), 4);
    assert_int_equal(tt_gs1_check_digit("03600029145", 11), 2);
    assert_int_equal(tt_gs1_check_digit("8061414112345", 13), 8);
    assert_int_equal(tt_gs1_check_digit("0000000000000", 13), 0);
    assert_int_equal(tt_gs1_check_digit("12A", 3), -1);
    assert_int_equal(tt_gs1_check_digit("1", 0), -1);
    assert_int_equal(tt_gs1_check_digit(NULL, 3), -1);
}

/* ---------------------------------------------------------------- refusals */

typedef struct {
    const char *in;          /* '^' = GS; decoded with tt_gs1_decode */
    int ref_year;
    tt_err_t rc;
    const char *why;         /* must appear in the reason */
} bad_case_t;

static void run_bad(const bad_case_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char why[TT_GS1_REASON_MAX] = "";
        tt_gs1_result_t r;
        memset(&r, 0x5A, sizeof r);
        tt_err_t rc = tt_gs1_decode(gs(t[i].in), t[i].ref_year, &r, why, sizeof why);
        if (rc != t[i].rc || !strstr(why, t[i].why))
            fail_msg("\"%s\": rc %d (want %d), reason \"%s\" (want \"%s\")", t[i].in, rc, t[i].rc,
                     why, t[i].why);
        assert_int_equal(r.count, 0);   /* cleared on failure */
    }
}

static void test_check_digits(void **state)
{
    (void)state;
    static const bad_case_t t[] = {
        {"(01)09506000134353", REF, TT_ERR_PARSE, "AI (01): check digit is 3, expected 2"},
        {"(00)106141412345678909", REF, TT_ERR_PARSE, "AI (00): check digit is 9, expected 8"},
        {"(00)106141412345678908(02)09506000134350(37)1", REF, TT_ERR_PARSE,
         "AI (02): check digit is 0, expected 2"},
        {"0109506000134351", REF, TT_ERR_PARSE, "AI (01): check digit is 1, expected 2"},
        {"]E09506000134353", REF, TT_ERR_PARSE, "AI (01): check digit is 3, expected 2"},
        {"]E496385075", REF, TT_ERR_PARSE, "AI (01): check digit is 5, expected 4"},
        {"https://id.gs1.org/01/9506000134359", REF, TT_ERR_PARSE,
         "AI (01): check digit is 9, expected 2"},
    };
    run_bad(t, N(t));
}

static void test_lengths(void **state)
{
    (void)state;
    static const bad_case_t t[] = {
        {"(01)0950600013435", REF, TT_ERR_PARSE, "AI (01): value is 13 digits, expected 14"},
        {"(01)095060001343520", REF, TT_ERR_PARSE, "AI (01): value is 15 digits, expected 14"},
        {"(00)10614141234567890", REF, TT_ERR_PARSE, "AI (00): value is 17 digits, expected 18"},
        {"(01)09506000134352(17)20122", REF, TT_ERR_PARSE, "AI (17): value is 5 digits, expected 6"},
        {"(01)09506000134352(10)123456789012345678901", REF, TT_ERR_PARSE,
         "AI (10): value is 21 characters, at most 20 allowed"},
        {"(01)09506000134352(21)ABCDEFGHIJKLMNOPQRSTU", REF, TT_ERR_PARSE,
         "AI (21): value is 21 characters, at most 20 allowed"},
        {"(01)09506000134352(30)123456789", REF, TT_ERR_PARSE,
         "AI (30): value is 9 digits, at most 8 allowed"},
        {"(00)106141412345678908(02)09506000134352(37)123456789", REF, TT_ERR_PARSE,
         "AI (37): value is 9 digits, at most 8 allowed"},
        {"(8004)1234567890123456789012345678901", REF, TT_ERR_PARSE,
         "AI (8004): value is 31 characters, at most 30 allowed"},
        {"(01)09506000134352(10)", REF, TT_ERR_PARSE, "AI (10): empty value"},
        {"(01)", REF, TT_ERR_PARSE, "AI (01): empty value"},
        /* element strings: a short fixed field, a missing separator */
        {"01095060001343", REF, TT_ERR_PARSE, "AI (01): value is 12 digits, expected 14"},
        {"01095060001343^10A", REF, TT_ERR_PARSE, "AI (01): value is 12 digits, expected 14"},
        {"0109506000134352" "10ABCDEFGHIJ" "21KLMNOPQRSTUV", REF, TT_ERR_PARSE,
         "AI (10): value is 24 characters, at most 20 allowed"},
        {"0109506000134352" "10^21X", REF, TT_ERR_PARSE, "AI (10): empty value"},
        {"https://a/01/09506000134352/10/123456789012345678901", REF, TT_ERR_PARSE,
         "AI (10): value is 21 characters, at most 20 allowed"},
        {"https://a/01/09506000134", REF, TT_ERR_PARSE, "AI (01): value is 11 digits, expected 14"},
    };
    run_bad(t, N(t));

    /* A long run of data is measured, never copied. */
    char big[600] = "0109506000134352" "10";
    memset(big + strlen(big), 'A', 400);
    char why[TT_GS1_REASON_MAX];
    tt_gs1_result_t r;
    assert_int_equal(tt_gs1_decode(big, REF, &r, why, sizeof why), TT_ERR_PARSE);
    assert_non_null(strstr(why, "AI (10): value is 400 characters, at most 20 allowed"));
    char bigb[600] = "(01)09506000134352(10)";
    memset(bigb + strlen(bigb), 'A', 400);
    assert_int_equal(tt_gs1_decode(bigb, REF, &r, why, sizeof why), TT_ERR_PARSE);
    assert_non_null(strstr(why, "AI (10): value is 400 characters"));
}

static void test_character_sets(void **state)
{
    (void)state;
    static const bad_case_t t[] = {
        {"(01)09506000134352(10)AB C", REF, TT_ERR_PARSE,
         "AI (10): character 3 (0x20) is not in GS1 character set 82"},
        {"(01)09506000134352(10)AB#", REF, TT_ERR_PARSE,
         "AI (10): character 3 ('#') is not in GS1 character set 82"},
        {"(01)09506000134352(21)x$", REF, TT_ERR_PARSE, "AI (21): character 2 ('$')"},
        {"(01)09506000134352(21)a@b", REF, TT_ERR_PARSE, "AI (21): character 2 ('@')"},
        {"(01)09506000134352(21)a\\b", REF, TT_ERR_PARSE, "AI (21): character 2 ('\\')"},
        {"(01)09506000134352(21)a~", REF, TT_ERR_PARSE, "AI (21): character 2 ('~')"},
        {"(01)09506000134352(21)\xC3\xA9", REF, TT_ERR_PARSE, "AI (21): character 1 (0xC3)"},
        {"(01)09506000134352(10)A^B", REF, TT_ERR_PARSE, "AI (10): character 2 (0x1D)"},
        {"(8004)0614141 X", REF, TT_ERR_PARSE, "AI (8004): character 8 (0x20)"},
        {"(01)0950600013435X", REF, TT_ERR_PARSE, "AI (01): character 14 ('X') is not a digit"},
        {"(01)09506000134352(30)1A", REF, TT_ERR_PARSE, "AI (30): character 2 ('A') is not a digit"},
        {"(01)09506000134352(17)2O1225", REF, TT_ERR_PARSE, "AI (17): character 2 ('O') is not a digit"},
        {"(00)106141412345678908(02)09506000134352(37)-1", REF, TT_ERR_PARSE,
         "AI (37): character 1 ('-') is not a digit"},
        {"0109506000134352" "30x", REF, TT_ERR_PARSE, "AI (30): character 1 ('x') is not a digit"},
        /* (8004) must start with a company prefix */
        {"(8004)061A", REF, TT_ERR_PARSE,
         "AI (8004): must begin with a GS1 company prefix (at least 4 digits)"},
        {"(8004)123", REF, TT_ERR_PARSE, "AI (8004): must begin with a GS1 company prefix"},
    };
    run_bad(t, N(t));
}

typedef struct {
    const char *yymmdd;
    int ref_year;
    int ok;
    int year, month, day, eom;
} date_case_t;

static void test_dates(void **state)
{
    (void)state;
    static const date_case_t t[] = {
        {"201225", REF, 1, 2020, 12, 25, 0},
        {"230229", REF, 0, 0, 0, 0, 0},          /* 2023 is not a leap year */
        {"240229", REF, 1, 2024, 2, 29, 0},
        {"240200", REF, 1, 2024, 2, 29, 1},      /* day 00: end of month */
        {"230200", REF, 1, 2023, 2, 28, 1},
        {"201200", REF, 1, 2020, 12, 31, 1},
        {"210400", REF, 1, 2021, 4, 30, 1},
        {"210430", REF, 1, 2021, 4, 30, 0},
        {"210431", REF, 0, 0, 0, 0, 0},
        {"210131", REF, 1, 2021, 1, 31, 0},
        {"210132", REF, 0, 0, 0, 0, 0},
        {"201332", REF, 0, 0, 0, 0, 0},
        {"200001", REF, 0, 0, 0, 0, 0},          /* month 00 */
        {"000229", REF, 1, 2000, 2, 29, 0},      /* 2000 was a leap year */
        /* sliding window around 2025: 75 -> 2075, 76 -> 1976 */
        {"750101", REF, 1, 2075, 1, 1, 0},
        {"760101", REF, 1, 1976, 1, 1, 0},
        {"990101", REF, 1, 1999, 1, 1, 0},
        /* around 2060: 10 -> 2110 (diff -50), 11 -> 2011; 2100 is not leap */
        {"100101", 2060, 1, 2110, 1, 1, 0},
        {"110101", 2060, 1, 2011, 1, 1, 0},
        {"000229", 2060, 0, 0, 0, 0, 0},
        {"000228", 2060, 1, 2100, 2, 28, 0},
        /* ref_year 0: always 20YY */
        {"990101", 0, 1, 2099, 1, 1, 0},
        {"760229", 0, 1, 2076, 2, 29, 0},
    };
    for (size_t i = 0; i < N(t); i++) {
        char in[64], why[TT_GS1_REASON_MAX];
        tt_gs1_result_t r;
        tt_gs1_date_t d;
        snprintf(in, sizeof in, "(01)09506000134352(17)%s", t[i].yymmdd);
        tt_err_t rc = tt_gs1_decode(in, t[i].ref_year, &r, why, sizeof why);
        if (!t[i].ok) {
            char want[64];
            snprintf(want, sizeof want, "AI (17): %s is not a valid date", t[i].yymmdd);
            if (rc != TT_ERR_PARSE || !strstr(why, want))
                fail_msg("%s/%d: rc %d reason \"%s\"", t[i].yymmdd, t[i].ref_year, rc, why);
            continue;
        }
        if (rc != TT_OK)
            fail_msg("%s/%d: rc %d reason \"%s\"", t[i].yymmdd, t[i].ref_year, rc, why);
        assert_int_equal(tt_gs1_expiry(&r, &d), TT_OK);
        if (d.year != t[i].year || d.month != t[i].month || d.day != t[i].day ||
            d.end_of_month != t[i].eom)
            fail_msg("%s/%d: got %d-%d-%d eom %d", t[i].yymmdd, t[i].ref_year, d.year, d.month,
                     d.day, d.end_of_month);
    }

    /* The reasons name what is wrong. */
    static const bad_case_t why[] = {
        {"(01)09506000134352(17)201332", REF, TT_ERR_PARSE,
         "AI (17): 201332 is not a valid date (no month 13)"},
        {"(01)09506000134352(17)230229", REF, TT_ERR_PARSE,
         "AI (17): 230229 is not a valid date (2023-02 has 28 days)"},
        {"(01)09506000134352(17)210431", REF, TT_ERR_PARSE, "(2021-04 has 30 days)"},
    };
    run_bad(why, N(why));
}

static void test_reference_year(void **state)
{
    (void)state;
    static const int bad[] = {1, 1899, 9900, -2025, 20250};
    char why[TT_GS1_REASON_MAX];
    tt_gs1_result_t r;
    for (size_t i = 0; i < N(bad); i++) {
        assert_int_equal(tt_gs1_decode("(01)09506000134352", bad[i], &r, why, sizeof why),
                         TT_ERR_INVAL);
        assert_non_null(strstr(why, "reference year"));
    }
    assert_int_equal(tt_gs1_decode("(01)09506000134352", 1900, &r, why, sizeof why), TT_OK);
    assert_int_equal(tt_gs1_decode("(01)09506000134352", 9899, &r, why, sizeof why), TT_OK);
}

/* One test per association rule in gs1.h, plus valid combinations. */
static void test_associations(void **state)
{
    (void)state;
    static const bad_case_t t[] = {
        /* E1 */
        {"(01)09506000134352(02)09506000134352", REF, TT_ERR_INVAL,
         "AI (01) and AI (02) cannot appear together"},
        /* E2 */
        {"(00)106141412345678908(01)09506000134352(37)5", REF, TT_ERR_INVAL,
         "AI (01) and AI (37) cannot appear together"},
        /* R1 */
        {"(00)106141412345678908(02)09506000134352", REF, TT_ERR_INVAL, "AI (02) requires AI (37)"},
        /* R2: a lone (10), or with (00) only */
        {"(10)ABC", REF, TT_ERR_INVAL, "AI (10) requires AI (01) or (02)"},
        {"(00)106141412345678908(10)ABC", REF, TT_ERR_INVAL, "AI (10) requires AI (01) or (02)"},
        {"10ABC", REF, TT_ERR_INVAL, "AI (10) requires AI (01) or (02)"},
        /* R3 */
        {"(17)201225", REF, TT_ERR_INVAL, "AI (17) requires AI (01) or (02)"},
        {"(8004)0614141X(17)201225", REF, TT_ERR_INVAL, "AI (17) requires AI (01) or (02)"},
        /* R4: (21) with (02) is refused */
        {"(21)X", REF, TT_ERR_INVAL, "AI (21) requires AI (01)"},
        {"(00)106141412345678908(02)09506000134352(37)1(21)X", REF, TT_ERR_INVAL,
         "AI (21) requires AI (01)"},
        /* R5 */
        {"(30)5", REF, TT_ERR_INVAL, "AI (30) requires AI (01) or (02)"},
        {"(00)106141412345678908(30)5", REF, TT_ERR_INVAL, "AI (30) requires AI (01) or (02)"},
        /* R6 */
        {"(00)106141412345678908(37)5", REF, TT_ERR_INVAL, "AI (37) requires AI (02)"},
        /* R7 */
        {"(02)09506000134352(37)5", REF, TT_ERR_INVAL, "AI (37) requires AI (00)"},
        /* D1 */
        {"(01)09506000134352(10)A(10)B", REF, TT_ERR_INVAL,
         "AI (10) appears twice with different values"},
        {"(01)09506000134352(01)00000096385074", REF, TT_ERR_INVAL,
         "AI (01) appears twice with different values"},
        {"https://id.gs1.org/01/09506000134352?17=201225&17=201226", REF, TT_ERR_INVAL,
         "AI (17) appears twice with different values"},
        /* rules apply to every form */
        {"]C1" "0209506000134352" "3712", REF, TT_ERR_INVAL, "AI (37) requires AI (00)"},
        {"https://a/00/106141412345678908?37=5", REF, TT_ERR_INVAL, "AI (37) requires AI (02)"},
    };
    run_bad(t, N(t));

    static const char *const fine[] = {
        "(00)106141412345678908",
        "(8004)0614141X",
        "(01)09506000134352(10)A(17)201225(21)S(30)5",
        "(00)106141412345678908(02)09506000134352(37)5(10)A(17)201225(30)1",
        "(00)106141412345678908(01)09506000134352",
        "(8004)0614141X(01)09506000134352(21)S",
    };
    for (size_t i = 0; i < N(fine); i++) {
        char why[TT_GS1_REASON_MAX];
        tt_gs1_result_t r;
        if (tt_gs1_decode(fine[i], REF, &r, why, sizeof why) != TT_OK)
            fail_msg("\"%s\": %s", fine[i], why);
    }
}

static void test_unsupported_ais(void **state)
{
    (void)state;
    static const bad_case_t t[] = {
        {"(99)ABC", REF, TT_ERR_PARSE, "unsupported AI (99)"},
        {"(01)09506000134352(240)ABC", REF, TT_ERR_PARSE, "unsupported AI (240)"},
        {"(01)09506000134352(3103)000123", REF, TT_ERR_PARSE, "unsupported AI (3103)"},
        {"(11)201225", REF, TT_ERR_PARSE, "unsupported AI (11)"},
        {"99ABC", REF, TT_ERR_PARSE, "unsupported AI (99)"},
        {"0109506000134352" "240ABC", REF, TT_ERR_PARSE, "unsupported AI (240)"},
        {"0109506000134352" "3103000123", REF, TT_ERR_PARSE, "unsupported AI (3103)"},
        {"0109506000134352" "7003ABC", REF, TT_ERR_PARSE, "unsupported AI (7003)"},
        {"0109506000134352" "712X", REF, TT_ERR_PARSE, "unsupported AI (712)"},
        {"0109506000134352" "5512", REF, TT_ERR_PARSE, "unsupported AI (55)"},
        {"]d2" "0109506000134352" "11201225", REF, TT_ERR_PARSE, "unsupported AI (11)"},
        {"https://a/01/09506000134352/22/V1", REF, TT_ERR_PARSE, "unsupported AI (22)"},
        {"https://a/01/09506000134352/235/T", REF, TT_ERR_PARSE, "unsupported AI (235)"},
        {"https://a/8004/0614141X/7040/1ABC", REF, TT_ERR_PARSE, "unsupported AI (7040)"},
        {"https://a/01/09506000134352?99=x", REF, TT_ERR_PARSE, "unsupported AI (99)"},
        {"https://a/01/09506000134352?3103=000123", REF, TT_ERR_PARSE, "unsupported AI (3103)"},
    };
    run_bad(t, N(t));
}

static void test_syntax(void **state)
{
    (void)state;
    static const bad_case_t t[] = {
        {"", REF, TT_ERR_PARSE, "empty data"},
        {"ABC123", REF, TT_ERR_NOTFOUND, "not GS1 data (starts with 'A')"},
        {" (01)09506000134352", REF, TT_ERR_NOTFOUND, "not GS1 data (starts with 0x20)"},
        {"(01", REF, TT_ERR_PARSE, "malformed AI at offset 0"},
        {"()X", REF, TT_ERR_PARSE, "malformed AI at offset 0"},
        {"(1)X", REF, TT_ERR_PARSE, "malformed AI"},
        {"(12345)X", REF, TT_ERR_PARSE, "malformed AI"},
        {"(0A)X", REF, TT_ERR_PARSE, "malformed AI"},
        {"(01)09506000134352(", REF, TT_ERR_PARSE, "malformed AI at offset 18"},
        {"(01)09506000134352(10", REF, TT_ERR_PARSE, "malformed AI at offset 18"},
        {"^", REF, TT_ERR_PARSE, "no AI in the data"},
        {"0109506000134352^^10A", REF, TT_ERR_PARSE, "expected an AI at offset 17, found 0x1D"},
        {"0109506000134352X", REF, TT_ERR_PARSE, "expected an AI at offset 16, found 'X'"},
        {"0109506000134352" "1", REF, TT_ERR_PARSE, "incomplete AI at offset 16"},
        {"0109506000134352" "800", REF, TT_ERR_PARSE, "incomplete AI at offset 16"},
        {"]C1" "0109506000134352X", REF, TT_ERR_PARSE, "expected an AI at offset 19, found 'X'"},
    };
    run_bad(t, N(t));

    /* Per-form entry points refuse other forms. */
    char why[TT_GS1_REASON_MAX];
    tt_gs1_result_t r;
    assert_int_equal(tt_gs1_decode_bracketed("0109506000134352", REF, &r, why, sizeof why),
                     TT_ERR_PARSE);
    assert_non_null(strstr(why, "must start with '('"));
    assert_int_equal(tt_gs1_decode_element("(01)09506000134352", REF, &r, why, sizeof why),
                     TT_ERR_PARSE);
    assert_non_null(strstr(why, "expected an AI at offset 0, found '('"));
    assert_int_equal(tt_gs1_decode_scanner("0109506000134352", REF, &r, why, sizeof why),
                     TT_ERR_PARSE);
    assert_non_null(strstr(why, "no symbology identifier"));
    assert_int_equal(tt_gs1_decode_dl("(01)09506000134352", REF, &r, why, sizeof why),
                     TT_ERR_PARSE);
    assert_non_null(strstr(why, "must start with http:// or https://"));
    assert_int_equal(tt_gs1_decode_dl("ftp://id.gs1.org/01/09506000134352", REF, &r, why,
                                      sizeof why),
                     TT_ERR_PARSE);
    assert_int_equal(tt_gs1_decode_element("", REF, &r, why, sizeof why), TT_ERR_PARSE);
    assert_non_null(strstr(why, "no AI in the data"));

    /* Bad arguments. */
    assert_int_equal(tt_gs1_decode(NULL, REF, &r, why, sizeof why), TT_ERR_INVAL);
    assert_int_equal(tt_gs1_decode("(01)09506000134352", REF, NULL, why, sizeof why), TT_ERR_INVAL);
    /* No reason buffer is fine, and a short one is cut, not overrun. */
    assert_int_equal(tt_gs1_decode("(01)09506000134353", REF, &r, NULL, 0), TT_ERR_PARSE);
    char tiny[8];
    assert_int_equal(tt_gs1_decode("(01)09506000134353", REF, &r, tiny, sizeof tiny), TT_ERR_PARSE);
    assert_string_equal(tiny, "AI (01)");
}

static void test_aim_ids(void **state)
{
    (void)state;
    static const bad_case_t t[] = {
        {"]C0ABC123", REF, TT_ERR_NOTFOUND, "symbology identifier ]C0 does not carry GS1 data"},
        {"]E3950600013435212", REF, TT_ERR_NOTFOUND, "symbology identifier ]E3"},
        {"]A0ABC", REF, TT_ERR_NOTFOUND, "symbology identifier ]A0"},
        {"]d1" "0109506000134352", REF, TT_ERR_NOTFOUND, "symbology identifier ]d1"},
        {"]Q1" "0109506000134352", REF, TT_ERR_NOTFOUND, "symbology identifier ]Q1"},
        {"]", REF, TT_ERR_PARSE, "truncated or malformed symbology identifier"},
        {"]C", REF, TT_ERR_PARSE, "truncated or malformed symbology identifier"},
        {"]C^0109506000134352", REF, TT_ERR_PARSE, "truncated or malformed symbology identifier"},
        {"]C1", REF, TT_ERR_PARSE, "no AI in the data"},
        {"]E0123", REF, TT_ERR_PARSE, "EAN-13/UPC-A data must be 13 (or 12) digits"},
        {"]E095060001343520", REF, TT_ERR_PARSE, "EAN-13/UPC-A data must be 13 (or 12) digits"},
        {"]E0950600013435A", REF, TT_ERR_PARSE, "EAN-13/UPC-A data must be"},
        {"]E4963850745", REF, TT_ERR_PARSE, "EAN-8 data must be 8 digits"},
        {"]Q1https://id.gs1.org/01/09506000134353", REF, TT_ERR_PARSE,
         "AI (01): check digit is 3, expected 2"},
    };
    run_bad(t, N(t));
}

static void test_digital_link_refusals(void **state)
{
    (void)state;
    static const bad_case_t t[] = {
        {"https:///01/09506000134352", REF, TT_ERR_PARSE, "URI has no host"},
        {"https://example.com", REF, TT_ERR_PARSE, "URI has no path"},
        {"https://example.com?01=09506000134352", REF, TT_ERR_PARSE, "URI has no path"},
        {"https://example.com/", REF, TT_ERR_PARSE, "no GS1 primary key (00), (01) or (8004)"},
        {"https://example.com/products/123", REF, TT_ERR_PARSE, "no GS1 primary key"},
        {"https://example.com/10/ABC", REF, TT_ERR_PARSE, "no GS1 primary key"},
        {"https://example.com/01/09506000134352/", REF, TT_ERR_PARSE, "URI path ends with '/'"},
        {"https://a/01//10/A", REF, TT_ERR_PARSE, "AI (01): empty value"},
        {"https://a/01/09506000134352/21/X/10/Y", REF, TT_ERR_PARSE,
         "AI (10) must come before AI (21) in a Digital Link path"},
        {"https://a/01/09506000134352/10/A/10/B", REF, TT_ERR_PARSE,
         "AI (10) is repeated in the Digital Link path"},
        {"https://a/01/09506000134352/17/201225", REF, TT_ERR_PARSE,
         "AI (17) cannot qualify AI (01) in a Digital Link path"},
        {"https://a/00/106141412345678908/10/ABC", REF, TT_ERR_PARSE,
         "AI (00) takes no qualifiers in a Digital Link path, found AI (10)"},
        {"https://a/8004/0614141X/21/S", REF, TT_ERR_PARSE, "AI (21) cannot qualify AI (8004)"},
        {"https://a/01/09506000134352?10=ABC", REF, TT_ERR_PARSE,
         "AI (10) belongs in the URI path after AI (01), not in the query string"},
        {"https://a/01/09506000134352?21=S", REF, TT_ERR_PARSE, "AI (21) belongs in the URI path"},
        {"https://a/00/106141412345678908?21=S", REF, TT_ERR_PARSE,
         "AI (21) cannot be a Digital Link query parameter"},
        {"https://a/01/09506000134352?17", REF, TT_ERR_PARSE, "AI (17): query parameter has no value"},
        {"https://a/01/09506000134352?17=", REF, TT_ERR_PARSE, "AI (17): empty value"},
        {"https://a/01/09506000134352?12345=6", REF, TT_ERR_PARSE,
         "query parameter 12345 is not an AI"},
        {"https://a/01/09506000134352?1=6", REF, TT_ERR_PARSE, "query parameter 1 is not an AI"},
        {"https://a/01/09506000134352/10/AB%2", REF, TT_ERR_PARSE,
         "AI (10): truncated percent-escape"},
        {"https://a/01/09506000134352/10/AB%", REF, TT_ERR_PARSE, "AI (10): truncated percent-escape"},
        {"https://a/01/09506000134352/10/A%G1", REF, TT_ERR_PARSE,
         "AI (10): bad percent-escape \"%G1\""},
        {"https://a/01/09506000134352/10/A%20B", REF, TT_ERR_PARSE,
         "AI (10): character 2 (0x20) is not in GS1 character set 82"},
        {"https://a/01/09506000134352/10/A%00B", REF, TT_ERR_PARSE, "AI (10): character 2 (0x00)"},
        {"https://a/01/09506000134352/10/A%7EB", REF, TT_ERR_PARSE, "AI (10): character 2 ('~')"},
        /* '+' in the query is a space; it must be sent as %2B */
        {"https://a/00/106141412345678908?02=09506000134352&37=1&10=A+B", REF, TT_ERR_PARSE,
         "AI (10): character 2 (0x20)"},
        {"https://a/01/0950 6000134352", REF, TT_ERR_PARSE,
         "character at offset 17 (0x20) is not allowed in a URI"},
        {"https://a/01/09506000134352/10/A\"B", REF, TT_ERR_PARSE,
         "character at offset 32 ('\"') is not allowed in a URI"},
        {"https://a/01/09506000134352/10/%41%42%43%44%45%46%47%48%49%4A%4B%4C%4D%4E%4F%50%51%52%53%54%55",
         REF, TT_ERR_PARSE, "AI (10): value is 21 characters, at most 20 allowed"},
        {"https://a/01/ABCDEFGHIJKLM", REF, TT_ERR_PARSE, "AI (01): value is 13 digits, expected 14"},
    };
    run_bad(t, N(t));
}

/* ------------------------------------------------------------------ output */

static void test_output_buffers(void **state)
{
    (void)state;
    tt_gs1_result_t r;
    char why[TT_GS1_REASON_MAX], buf[TT_GS1_TEXT_MAX];
    const char *br = "(01)09506000134352(10)ABC";

    assert_int_equal(tt_gs1_decode(br, REF, &r, why, sizeof why), TT_OK);
    size_t n = strlen(br);
    assert_int_equal(tt_gs1_bracketed(&r, buf, n + 1), TT_OK);
    assert_string_equal(buf, br);
    memset(buf, 'x', sizeof buf);
    assert_int_equal(tt_gs1_bracketed(&r, buf, n), TT_ERR_FULL);
    assert_string_equal(buf, "");
    assert_int_equal(tt_gs1_bracketed(&r, buf, 0), TT_ERR_FULL);
    assert_int_equal(tt_gs1_element_string(&r, buf, 22), TT_OK);   /* 21 chars */
    assert_int_equal(tt_gs1_element_string(&r, buf, 21), TT_ERR_FULL);
    assert_string_equal(buf, "");
    assert_int_equal(tt_gs1_element_string(NULL, buf, sizeof buf), TT_ERR_INVAL);
    assert_int_equal(tt_gs1_bracketed(&r, NULL, sizeof buf), TT_ERR_INVAL);

    /* A pair whose AI is not supported cannot be rendered. */
    strcpy(r.pairs[1].ai, "99");
    assert_int_equal(tt_gs1_element_string(&r, buf, sizeof buf), TT_ERR_INVAL);

    /* TT_GS1_TEXT_MAX holds the worst case: every supported AI at its
     * longest, every CSET 82 value all '(' (escaped in the bracketed form),
     * a predefined-length AI last so every variable one needs its GS. */
    static const struct {
        const char *ai;
        char fill;
        size_t n;
    } worst[] = {
        {"00", '1', 18}, {"01", '1', 14}, {"02", '1', 14}, {"10", '(', 20}, {"21", '(', 20},
        {"30", '9', 8},  {"37", '9', 8},  {"8004", '(', 30}, {"17", '1', 6},
    };
    memset(&r, 0, sizeof r);
    for (size_t i = 0; i < N(worst); i++) {
        strcpy(r.pairs[i].ai, worst[i].ai);
        memset(r.pairs[i].value, worst[i].fill, worst[i].n);
    }
    r.count = N(worst);
    assert_int_equal(tt_gs1_bracketed(&r, buf, sizeof buf), TT_OK);
    assert_int_equal(strlen(buf), 246);
    assert_int_equal(tt_gs1_element_string(&r, buf, sizeof buf), TT_OK);
    assert_int_equal(strlen(buf), 163);
}

/* The element string has a GS only after variable-length values that are
 * not last, whatever separators the input had. */
static void test_separator_placement(void **state)
{
    (void)state;
    static const struct {
        const char *in, *element;
    } t[] = {
        {"(10)A(21)B(01)09506000134352", "10A^21B^0109506000134352"},
        {"(01)09506000134352(10)A(21)B", "010950600013435210A^21B"},
        {"(01)09506000134352(30)1(17)201225", "0109506000134352301^17201225"},
        {"(01)09506000134352(17)201225(30)1", "010950600013435217201225" "301"},
        {"^0109506000134352^17201225^10A^", "010950600013435217201225" "10A"},
    };
    for (size_t i = 0; i < N(t); i++) {
        tt_gs1_result_t r;
        char why[TT_GS1_REASON_MAX], el[TT_GS1_TEXT_MAX];
        assert_int_equal(tt_gs1_decode(gs(t[i].in), REF, &r, why, sizeof why), TT_OK);
        assert_int_equal(tt_gs1_element_string(&r, el, sizeof el), TT_OK);
        assert_string_equal(caret(el), t[i].element);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_forms),
        cmocka_unit_test(test_pairs_and_helpers),
        cmocka_unit_test(test_check_digit),
        cmocka_unit_test(test_check_digits),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_character_sets),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_reference_year),
        cmocka_unit_test(test_associations),
        cmocka_unit_test(test_unsupported_ais),
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_aim_ids),
        cmocka_unit_test(test_digital_link_refusals),
        cmocka_unit_test(test_output_buffers),
        cmocka_unit_test(test_separator_placement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
