/*
 * Unit tests of shared/csv: the strict CSV reader.
 *
 * Each test reads a whole text and compares what came out, row by row, with
 * what should: the fields of good rows, and for bad ones the exact
 * "name:line: reason" message and that the reader goes on with the next row.
 * read_all() renders everything a text yields as one string, so a test is
 * one comparison: rows as fields joined by '|' with '[' ']' around them,
 * errors as "E(<message>)".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"

static const char *const cols3[] = {"id", "name", "kind"};

/* Appends to out[cap] at *n, failing the test rather than overrunning. */
static void put(char *out, size_t cap, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char *out, size_t cap, size_t *n, const char *fmt, ...)
{
    va_list ap;
    int k;

    assert_true(*n < cap);
    va_start(ap, fmt);
    k = vsnprintf(out + *n, cap - *n, fmt, ap);
    va_end(ap);
    assert_true(k >= 0 && (size_t)k < cap - *n);
    *n += (size_t)k;
}

/* Renders the header result and every row of `text` (len bytes) into out. */
static void read_all(const char *text, size_t len, char *out, size_t cap)
{
    tt_csv_t csv;
    char err[TT_CSV_ERR_MAX];
    size_t n = 0;
    tt_err_t rc;

    out[0] = '\0';
    rc = tt_csv_open(&csv, "f.csv", text, len, cols3, 3, err, sizeof err);
    if (rc != TT_OK) {
        assert_int_equal(rc, TT_ERR_PARSE);
        snprintf(out, cap, "H(%s)", err);
        /* Nothing more can be read after a bad header. */
        assert_int_equal(tt_csv_next(&csv, err, sizeof err), TT_ERR_NOTFOUND);
        return;
    }
    for (int guard = 0; guard < 100; guard++) {
        rc = tt_csv_next(&csv, err, sizeof err);
        if (rc == TT_ERR_NOTFOUND)
            return;
        if (rc == TT_ERR_PARSE) {
            put(out, cap, &n, "E(%s)", err);
            continue;
        }
        assert_int_equal(rc, TT_OK);
        assert_int_equal(csv.nfields, 3);
        put(out, cap, &n, "[%zu:", csv.row_line);
        for (size_t i = 0; i < csv.nfields; i++)
            put(out, cap, &n, "%s%s", i ? "|" : "", csv.fields[i]);
        put(out, cap, &n, "]");
    }
    fail_msg("reader did not reach the end");
}

static void check(const char *text, const char *expect)
{
    char out[4096];
    read_all(text, strlen(text), out, sizeof out);
    assert_string_equal(out, expect);
}

/* --- good input ------------------------------------------------------------ */

static void test_plain_rows(void **state)
{
    (void)state;
    check("id,name,kind\nA,Alpha,x\nB,Beta,y\n", "[2:A|Alpha|x][3:B|Beta|y]");
    /* No line break after the last row. */
    check("id,name,kind\nA,Alpha,x", "[2:A|Alpha|x]");
    /* Header only: no rows. */
    check("id,name,kind\n", "");
    check("id,name,kind", "");
}

static void test_empty_fields(void **state)
{
    (void)state;
    check("id,name,kind\n,,\nA,,\n,\"\",z\n", "[2:||][3:A||][4:||z]");
}

static void test_quoting(void **state)
{
    (void)state;
    /* Commas, doubled quotes and spaces inside quotes; spaces kept verbatim. */
    check("id,name,kind\n\"A,1\",\"say \"\"hi\"\"\", x \n", "[2:A,1|say \"hi\"| x ]");
    /* A quoted header is the same header. */
    check("\"id\",\"name\",\"kind\"\nA,B,C\n", "[2:A|B|C]");
    /* Only quotes. */
    check("id,name,kind\n\"\"\"\",\"\"\"\"\"\",\"\"\n", "[2:\"|\"\"|]");
}

static void test_embedded_line_breaks(void **state)
{
    (void)state;
    /* A row spanning lines 2-4; the next row starts on line 5. */
    check("id,name,kind\nA,\"two\nlines\",\"and\r\nCRLF\"\nB,b,b\n",
          "[2:A|two\nlines|and\r\nCRLF][5:B|b|b]");
}

static void test_crlf(void **state)
{
    (void)state;
    check("id,name,kind\r\nA,a,a\r\nB,b,b\r\n", "[2:A|a|a][3:B|b|b]");
    /* Mixed endings, line by line. */
    check("id,name,kind\r\nA,a,a\nB,b,b\r\n", "[2:A|a|a][3:B|b|b]");
}

static void test_bom_is_skipped(void **state)
{
    (void)state;
    check("\xEF\xBB\xBFid,name,kind\nA,a,a\n", "[2:A|a|a]");
    /* Only at the very start: a BOM elsewhere is field content. */
    check("id,name,kind\nA,\xEF\xBB\xBFx,a\n", "[2:A|\xEF\xBB\xBFx|a]");
}

static void test_utf8_content(void **state)
{
    (void)state;
    check("id,name,kind\nCM1,采煤一区,work_area\nX,Φ20×2200 😀,y\n",
          "[2:CM1|采煤一区|work_area][3:X|Φ20×2200 😀|y]");
}

/* --- errors ------------------------------------------------------------------ */

static void test_invalid_utf8(void **state)
{
    (void)state;
    /* A lone continuation byte, an overlong '/', a surrogate, a truncated
     * sequence: each refused with its line, the next row still read. */
    check("id,name,kind\nA,\x80,a\nB,b,b\n", "E(f.csv:2: invalid UTF-8)[3:B|b|b]");
    check("id,name,kind\nA,\xC0\xAF,a\nB,b,b\n", "E(f.csv:2: invalid UTF-8)[3:B|b|b]");
    check("id,name,kind\nA,\xED\xA0\x80,a\n", "E(f.csv:2: invalid UTF-8)");
    check("id,name,kind\nA,a,\xE6\x9C\n", "E(f.csv:2: invalid UTF-8)");
    check("id,name,kind\nA,a,\xF4\x90\x80\x80\n", "E(f.csv:2: invalid UTF-8)");
    /* Latin-1 (GBK-like) text, the commonest real case, in a quoted field on
     * its second line. */
    check("id,name,kind\nA,\"x\n\xB2\xC9\",a\nB,b,b\n", "E(f.csv:3: invalid UTF-8)[4:B|b|b]");
    /* In the header. */
    check("id,n\xFF,kind\nA,a,a\n", "H(f.csv:1: invalid UTF-8)");
}

static void test_wrong_header(void **state)
{
    (void)state;
    check("id,name\nA,a\n", "H(f.csv:1: header is 'id,name', expected 'id,name,kind')");
    check("id,kind,name\n", "H(f.csv:1: header is 'id,kind,name', expected 'id,name,kind')");
    check("ID,name,kind\n", "H(f.csv:1: header is 'ID,name,kind', expected 'id,name,kind')");
    check("id,name,kind ,\n", "H(f.csv:1: header is 'id,name,kind ,', expected 'id,name,kind')");
    check("", "H(f.csv:1: empty file, expected the header 'id,name,kind')");
    check("\xEF\xBB\xBF", "H(f.csv:1: empty file, expected the header 'id,name,kind')");
    check("\nid,name,kind\n", "H(f.csv:1: empty line)");
    /* A control character in the header is shown as '?'. */
    check("id,na\tme,kind\n", "H(f.csv:1: header is 'id,na?me,kind', expected 'id,name,kind')");
}

static void test_wrong_column_count(void **state)
{
    (void)state;
    check("id,name,kind\nA,a\nB,b,b,b\nC,c,c\n",
          "E(f.csv:2: 2 fields, expected 3)E(f.csv:3: 4 fields, expected 3)[4:C|c|c]");
    /* A trailing comma is one more (empty) field. */
    check("id,name,kind\nA,a,a,\n", "E(f.csv:2: 4 fields, expected 3)");
    /* A row spanning lines is reported on its first line. */
    check("id,name,kind\nA,\"a\nb\"\nC,c,c\n", "E(f.csv:2: 2 fields, expected 3)[4:C|c|c]");
    check("id,name,kind\n1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\nC,c,c\n",
          "E(f.csv:2: more than 16 fields)[3:C|c|c]");
}

static void test_empty_line(void **state)
{
    (void)state;
    check("id,name,kind\nA,a,a\n\nB,b,b\n", "[2:A|a|a]E(f.csv:3: empty line)[4:B|b|b]");
    check("id,name,kind\nA,a,a\r\n\r\n", "[2:A|a|a]E(f.csv:3: empty line)");
}

static void test_bad_quoting(void **state)
{
    (void)state;
    check("id,name,kind\nA,a\"b,c\nB,b,b\n",
          "E(f.csv:2: quote inside unquoted field 2 (quote the whole field))[3:B|b|b]");
    check("id,name,kind\nA,\"a\"b,c\nB,b,b\n",
          "E(f.csv:2: text after the closing quote of field 2)[3:B|b|b]");
    /* Unterminated: reported on the line the quote opened, and the rest of
     * the file is gone with it. */
    check("id,name,kind\nA,a,a\nB,\"b,b\nC,c,c\n",
          "[2:A|a|a]E(f.csv:3: quoted field not closed before the end of the file)");
}

static void test_bare_cr_and_nul(void **state)
{
    char out[512];
    static const char nul[] = "id,name,kind\nA,a\0b,c\nB,b,b\n";
    (void)state;
    check("id,name,kind\nA,a,a\rB,b,b\n",
          "E(f.csv:2: carriage return not followed by a line feed)[3:B|b|b]");
    read_all(nul, sizeof nul - 1, out, sizeof out);
    assert_string_equal(out, "E(f.csv:2: NUL byte)[3:B|b|b]");
}

static void test_row_too_long(void **state)
{
    size_t n = TT_CSV_ROW_MAX + 100;
    char *text = malloc(n + 64), out[TT_CSV_ROW_MAX + 64];
    (void)state;
    assert_non_null(text);
    strcpy(text, "id,name,kind\nA,");
    memset(text + strlen(text), 'x', TT_CSV_ROW_MAX);
    strcpy(text + 15 + TT_CSV_ROW_MAX, ",a\nB,b,b\n");
    read_all(text, strlen(text), out, sizeof out);
    assert_string_equal(out, "E(f.csv:2: row longer than 4096 bytes)[3:B|b|b]");
    /* Exactly at the limit is fine. */
    strcpy(text, "id,name,kind\nA,");
    memset(text + 15, 'x', TT_CSV_ROW_MAX - 1);
    strcpy(text + 15 + TT_CSV_ROW_MAX - 1, ",\n");
    read_all(text, strlen(text), out, sizeof out);
    assert_memory_equal(out, "[2:A|xxx", 8);
    assert_int_equal(strlen(out), 5 + TT_CSV_ROW_MAX - 1 + 2);
    free(text);
}

static void test_several_errors_each_reported(void **state)
{
    (void)state;
    check("id,name,kind\nA,a\nB,\x80,b\nC,c,c\nD,\"d\"x,d\n\nF,f,f\n",
          "E(f.csv:2: 2 fields, expected 3)E(f.csv:3: invalid UTF-8)[4:C|c|c]"
          "E(f.csv:5: text after the closing quote of field 2)E(f.csv:6: empty line)[7:F|f|f]");
}

static void test_bad_arguments(void **state)
{
    tt_csv_t csv;
    char err[64];
    (void)state;
    assert_int_equal(tt_csv_open(&csv, "f", "a\n", 2, cols3, 0, err, sizeof err), TT_ERR_INVAL);
    assert_int_equal(tt_csv_open(&csv, "f", "a\n", 2, cols3, TT_CSV_COLS_MAX + 1, err, sizeof err),
                     TT_ERR_INVAL);
    /* A short error buffer is cut, never overrun. */
    assert_int_equal(tt_csv_open(&csv, "f.csv", "x\n", 2, cols3, 3, err, 8), TT_ERR_PARSE);
    assert_string_equal(err, "f.csv:1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_rows),
        cmocka_unit_test(test_empty_fields),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_embedded_line_breaks),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_bom_is_skipped),
        cmocka_unit_test(test_utf8_content),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_wrong_header),
        cmocka_unit_test(test_wrong_column_count),
        cmocka_unit_test(test_empty_line),
        cmocka_unit_test(test_bad_quoting),
        cmocka_unit_test(test_bare_cr_and_nul),
        cmocka_unit_test(test_row_too_long),
        cmocka_unit_test(test_several_errors_each_reported),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
