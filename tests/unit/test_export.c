/*
 * Unit tests of server/export: CSV and JSON byte for byte (BOM, headers in
 * both languages, RFC 4180 quoting, typed cells, totals), and XLSX opened
 * with unzip:
 * the zip signature, the sheet's cells (inline strings, money as numbers
 * with their format, dates as serial numbers), the temporary file removed.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "export.h"

static const tt_export_column_t COLS[] = {
    {"item", "物资", "item", TT_EXPORT_TEXT},
    {"day", "日期", "day", TT_EXPORT_DAY},
    {"qty", "数量", "qty", TT_EXPORT_QTY},
    {"value", "金额", "value", TT_EXPORT_MONEY},
    {"id", "编号", "id", TT_EXPORT_INT},
};
#define NCOLS (sizeof COLS / sizeof COLS[0])

static char *render(tt_export_format_t fmt, tt_export_lang_t lang, const char *dir,
                    const tt_export_cell_t (*rows)[NCOLS], size_t nrows, size_t *len)
{
    tt_export_t *x;
    char reason[200] = "", *buf = NULL;

    if (tt_export_new(fmt, COLS, NCOLS, lang, dir, "签发台账 2026-11", &x, reason,
                      sizeof reason) != TT_OK)
        fail_msg("tt_export_new: %s", reason);
    for (size_t i = 0; i < nrows; i++)
        if (tt_export_row(x, rows[i], reason, sizeof reason) != TT_OK)
            fail_msg("tt_export_row %zu: %s", i, reason);
    if (tt_export_finish(x, &buf, len, reason, sizeof reason) != TT_OK)
        fail_msg("tt_export_finish: %s", reason);
    tt_export_free(x);
    return buf;
}

static void test_csv_bytes(void **state)
{
    const tt_export_cell_t rows[][NCOLS] = {
        {{.text = "锚杆"}, {.text = "2026-11-03"}, {.n = 2500}, {.n = 100000}, {.n = 7}},
        /* comma, quote, newline: quoted with the quote doubled */
        {{.text = "螺栓 \"M8\", 镀锌\r\n二行"}, {.text = NULL}, {.n = -125}, {.n = -5},
         {.empty = 1}},
        {{.text = ""}, {.text = "2024-02-29"}, {.n = 3000}, {.n = 3334}, {.n = -1}},
    };
    static const char want[] = "\xEF\xBB\xBF"
                               "物资,日期,数量,金额,编号\r\n"
                               "锚杆,2026-11-03,2.5,1000.00,7\r\n"
                               "\"螺栓 \"\"M8\"\", 镀锌\r\n二行\",,-0.125,-0.05,\r\n"
                               ",2024-02-29,3,33.34,-1\r\n";
    size_t len;
    char *buf = render(TT_EXPORT_CSV, TT_EXPORT_ZH, NULL, rows, 3, &len);
    (void)state;
    assert_int_equal(len, sizeof want - 1);
    assert_memory_equal(buf, want, len);
    free(buf);

    /* English headers, no rows. */
    buf = render(TT_EXPORT_CSV, TT_EXPORT_EN, NULL, NULL, 0, &len);
    assert_int_equal(len, strlen("\xEF\xBB\xBFitem,day,qty,value,id\r\n"));
    assert_memory_equal(buf, "\xEF\xBB\xBFitem,day,qty,value,id\r\n", len);
    free(buf);
}

static void test_refusals(void **state)
{
    tt_export_t *x;
    char reason[200], *buf;
    size_t len;
    const tt_export_cell_t bad[NCOLS] = {{.text = "x"}, {.text = "2026-02-30"}, {.n = 1},
                                         {.n = 1}, {.n = 1}};
    const tt_export_column_t nohead[] = {{"k", NULL, "en", TT_EXPORT_TEXT}};
    (void)state;

    assert_int_equal(tt_export_new(TT_EXPORT_CSV, COLS, 0, TT_EXPORT_ZH, NULL, NULL, &x, reason,
                                   sizeof reason), TT_ERR_INVAL);
    assert_null(x);
    assert_int_equal(tt_export_new(TT_EXPORT_CSV, nohead, 1, TT_EXPORT_ZH, NULL, NULL, &x,
                                   reason, sizeof reason), TT_ERR_INVAL);
    assert_int_equal(tt_export_new(TT_EXPORT_XLSX, COLS, NCOLS, TT_EXPORT_ZH, NULL, NULL, &x,
                                   reason, sizeof reason), TT_ERR_INVAL);
    assert_int_equal(tt_export_new(TT_EXPORT_XLSX, COLS, NCOLS, TT_EXPORT_ZH,
                                   "/nonexistent/dir", NULL, &x, reason, sizeof reason),
                     TT_ERR_IO);
    assert_non_null(strstr(reason, "/nonexistent/dir"));

    /* 30 February is no date: the row and the table are refused. */
    assert_int_equal(tt_export_new(TT_EXPORT_CSV, COLS, NCOLS, TT_EXPORT_ZH, NULL, NULL, &x,
                                   reason, sizeof reason), TT_OK);
    assert_int_equal(tt_export_row(x, bad, reason, sizeof reason), TT_ERR_INVAL);
    assert_non_null(strstr(reason, "2026-02-30"));
    assert_int_equal(tt_export_finish(x, &buf, &len, reason, sizeof reason), TT_ERR_INVAL);
    assert_null(buf);
    tt_export_free(x);
    tt_export_free(NULL);

    tt_export_format_t f;
    assert_int_equal(tt_export_format_parse("xlsx", &f), TT_OK);
    assert_int_equal(f, TT_EXPORT_XLSX);
    assert_int_equal(tt_export_format_parse("json", &f), TT_OK);
    assert_int_equal(f, TT_EXPORT_JSON);
    assert_int_equal(tt_export_format_parse("pdf", &f), TT_ERR_INVAL);
    assert_string_equal(tt_export_extension(TT_EXPORT_CSV), "csv");
    assert_string_equal(tt_export_content_type(TT_EXPORT_CSV), "text/csv; charset=utf-8");
}

/* JSON: columns with both headers, typed cells, blanks as null, totals and
 * the caller's members; a CSV of the same table ends with its totals row. */
static void test_json_and_totals(void **state)
{
    const tt_export_cell_t rows[][NCOLS] = {
        {{.text = "锚杆"}, {.text = "2026-11-03"}, {.n = 2500}, {.n = 100000}, {.n = 7}},
        {{.text = "钻\"头"}, {.text = NULL}, {.n = 500}, {.n = -5}, {.empty = 1}},
    };
    static const char want[] =
        "{\"columns\":[{\"key\":\"item\",\"zh\":\"物资\",\"en\":\"item\",\"type\":\"text\"},"
        "{\"key\":\"day\",\"zh\":\"日期\",\"en\":\"day\",\"type\":\"day\"},"
        "{\"key\":\"qty\",\"zh\":\"数量\",\"en\":\"qty\",\"type\":\"qty\"},"
        "{\"key\":\"value\",\"zh\":\"金额\",\"en\":\"value\",\"type\":\"money\"},"
        "{\"key\":\"id\",\"zh\":\"编号\",\"en\":\"id\",\"type\":\"int\"}],"
        "\"rows\":[{\"item\":\"锚杆\",\"day\":\"2026-11-03\",\"qty\":\"2.5\",\"value\":\"1000.00\","
        "\"id\":7},{\"item\":\"钻\\\"头\",\"day\":null,\"qty\":\"0.5\",\"value\":\"-0.05\","
        "\"id\":null}],\"report\":\"t\",\"next\":null,\"totals\":{\"qty\":\"3\",\"value\":\"999.95\"},"
        "\"count\":2}";
    static const char want_csv[] = "\xEF\xBB\xBFitem,day,qty,value,id\r\n"
                                   "锚杆,2026-11-03,2.5,1000.00,7\r\n"
                                   "Total,,3,999.95,\r\n";
    tt_export_t *x;
    char reason[200], *buf;
    size_t len;
    (void)state;

    assert_int_equal(tt_export_new(TT_EXPORT_JSON, COLS, NCOLS, TT_EXPORT_ZH, NULL, NULL, &x,
                                   reason, sizeof reason), TT_OK);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(tt_export_row(x, rows[i], reason, sizeof reason), TT_OK);
    assert_int_equal(tt_export_meta_text(x, "report", "t"), TT_OK);
    assert_int_equal(tt_export_meta_text(x, "next", NULL), TT_OK);
    assert_int_equal(tt_export_total(x, "qty", TT_EXPORT_QTY, 3000), TT_OK);
    assert_int_equal(tt_export_total(x, "value", TT_EXPORT_MONEY, 99995), TT_OK);
    assert_int_equal(tt_export_total(x, "item", TT_EXPORT_TEXT, 1), TT_ERR_INVAL);
    assert_int_equal(tt_export_finish(x, &buf, &len, reason, sizeof reason), TT_OK);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(buf, want, len);
    assert_int_equal(tt_export_total(x, "qty", TT_EXPORT_QTY, 1), TT_ERR_INVAL);   /* finished */
    free(buf);
    tt_export_free(x);

    assert_int_equal(tt_export_new(TT_EXPORT_CSV, COLS, NCOLS, TT_EXPORT_EN, NULL, NULL, &x,
                                   reason, sizeof reason), TT_OK);
    assert_int_equal(tt_export_row(x, rows[0], reason, sizeof reason), TT_OK);
    assert_int_equal(tt_export_meta_int(x, "ignored", 1), TT_OK);   /* JSON only */
    assert_int_equal(tt_export_total(x, "qty", TT_EXPORT_QTY, 3000), TT_OK);
    assert_int_equal(tt_export_total(x, "value", TT_EXPORT_MONEY, 99995), TT_OK);
    assert_int_equal(tt_export_finish(x, &buf, &len, reason, sizeof reason), TT_OK);
    assert_int_equal(len, sizeof want_csv - 1);
    assert_memory_equal(buf, want_csv, len);
    free(buf);
    tt_export_free(x);
}

/* Runs `cmd` and returns its standard output (caller frees). */
static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    size_t cap = 1 << 16, len = 0, n;
    char *out = malloc(cap + 1);
    assert_non_null(p);
    assert_non_null(out);
    while ((n = fread(out + len, 1, cap - len, p)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            out = realloc(out, cap + 1);
            assert_non_null(out);
        }
    }
    out[len] = '\0';
    assert_int_equal(pclose(p), 0);
    return out;
}

static size_t files_in(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The XML of cell `ref` of a sheet (a static copy): "<c r=..." to "</c>". */
static const char *cell_of(const char *sheet, const char *ref)
{
    static char out[512];
    char key[32];
    const char *p, *e;
    snprintf(key, sizeof key, "<c r=\"%s\"", ref);
    p = strstr(sheet, key);
    if (!p)
        fail_msg("no cell %s in the sheet", ref);
    e = strstr(p, "</c>");
    assert_non_null(e);
    assert_true((size_t)(e - p) < sizeof out);
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return out;
}

static void expect_cell(const char *sheet, const char *ref, const char *part)
{
    const char *c = cell_of(sheet, ref);
    if (!strstr(c, part))
        fail_msg("cell %s is %s, expected it to contain %s", ref, c, part);
}

/* The <xf> of cell `ref`'s style (a static copy), and into fmt[64] the
 * format code of its numFmtId ("" for a built-in one). */
static const char *style_xf(const char *sheet, const char *styles, const char *ref, char *fmt)
{
    static char xf[512];
    const char *c = cell_of(sheet, ref), *s = strstr(c, " s=\""), *p, *e;
    int idx = s ? atoi(s + 4) : 0, id;
    char key[48];

    p = strstr(styles, "<cellXfs");
    assert_non_null(p);
    for (int i = 0; i <= idx; i++) {
        p = strstr(p + 1, "<xf ");
        assert_non_null(p);
    }
    e = strstr(p, "/>");
    assert_non_null(e);
    snprintf(xf, sizeof xf, "%.*s", (int)(e - p), p);
    id = atoi(strstr(xf, "numFmtId=\"") + 10);
    fmt[0] = '\0';
    snprintf(key, sizeof key, "<numFmt numFmtId=\"%d\" formatCode=\"", id);
    p = strstr(styles, key);
    if (p)
        sscanf(p + strlen(key), "%63[^\"]", fmt);
    return xf;
}

static void test_xlsx(void **state)
{
    const tt_export_cell_t rows[][NCOLS] = {
        {{.text = "锚杆 <Φ20>"}, {.text = "2026-11-03"}, {.n = 2500}, {.n = 123456}, {.n = 42}},
        {{.text = "钻头"}, {.empty = 1}, {.n = 15000}, {.n = -5}, {.n = 9007199254740991}},
    };
    char dir[] = "/tmp/tt_export_XXXXXX", path[128], cmd[256], fmt[64], *sheet, *styles;
    size_t len;
    char *buf;
    FILE *f;
    (void)state;

    assert_non_null(mkdtemp(dir));
    buf = render(TT_EXPORT_XLSX, TT_EXPORT_ZH, dir, rows, 2, &len);
    assert_true(len > 4);
    assert_memory_equal(buf, "PK\x03\x04", 4);   /* a zip archive */
    assert_int_equal(files_in(dir), 0);          /* the temporary file is gone */

    snprintf(path, sizeof path, "%s/out.xlsx", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(buf);

    snprintf(cmd, sizeof cmd, "unzip -p '%s' xl/worksheets/sheet1.xml", path);
    sheet = run(cmd);
    snprintf(cmd, sizeof cmd, "unzip -p '%s' xl/styles.xml", path);
    styles = run(cmd);
    /* Header and text cells are inline strings, escaped; the header is bold. */
    expect_cell(sheet, "A1", "t=\"inlineStr\"><is><t>物资</t></is>");
    assert_non_null(strstr(style_xf(sheet, styles, "A1", fmt), "fontId=\"1\""));
    expect_cell(sheet, "A2", "<t>锚杆 &lt;Φ20&gt;</t>");
    /* The day is a date serial (2026-11-03 is day 46329 since 1899-12-30). */
    expect_cell(sheet, "B2", "<v>46329</v>");
    style_xf(sheet, styles, "B2", fmt);
    assert_string_equal(fmt, "yyyy-mm-dd");
    /* A quantity is its exact decimal, as text. */
    expect_cell(sheet, "C2", "t=\"inlineStr\"><is><t>2.5</t></is>");
    expect_cell(sheet, "C3", "<t>15</t>");
    /* Money is a number in yuan shown with two decimals. */
    expect_cell(sheet, "D2", "<v>1234.56</v>");
    expect_cell(sheet, "D3", "<v>-0.05</v>");
    style_xf(sheet, styles, "D3", fmt);
    assert_string_equal(fmt, "0.00");
    expect_cell(sheet, "E3", "<v>9007199254740991</v>");
    /* The empty day of row 3 is no cell at all. */
    assert_null(strstr(sheet, "r=\"B3\""));
    assert_non_null(strstr(sheet, "<pane ySplit=\"1\""));   /* header frozen */
    free(sheet);
    free(styles);

    snprintf(cmd, sizeof cmd, "unzip -p '%s' xl/workbook.xml", path);
    sheet = run(cmd);
    assert_non_null(strstr(sheet, "name=\"签发台账 2026-11\""));
    free(sheet);

    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_bytes),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_json_and_totals),
        cmocka_unit_test(test_xlsx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
