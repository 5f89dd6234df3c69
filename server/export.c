#include "export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <xlsxwriter.h>

#define CSV_BOM "\xEF\xBB\xBF"
#define PATH_MAX_LEN 4096

struct tt_export {
    tt_export_format_t fmt;
    const tt_export_column_t *cols;
    size_t ncols;
    size_t rows;          /* data rows written */
    tt_export_lang_t lang;
    int done;             /* finished or failed: only free is left */
    /* CSV: the whole file so far. */
    char *buf;
    size_t len, cap;
    /* JSON: the object and its rows */
    cJSON *root, *jrows;
    size_t ntotals;
    struct {
        const char *key;
        tt_export_type_t type;
        int64_t n;
    } totals[TT_EXPORT_TOTALS_MAX];
    /* XLSX */
    char path[PATH_MAX_LEN];   /* "" when there is no temporary file */
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *f_head, *f_money, *f_day, *f_qty, *f_int;
};

tt_err_t tt_export_format_parse(const char *name, tt_export_format_t *out)
{
    if (name && strcmp(name, "csv") == 0)
        *out = TT_EXPORT_CSV;
    else if (name && strcmp(name, "json") == 0)
        *out = TT_EXPORT_JSON;
    else if (name && strcmp(name, "xlsx") == 0)
        *out = TT_EXPORT_XLSX;
    else
        return TT_ERR_INVAL;
    return TT_OK;
}

const char *tt_export_content_type(tt_export_format_t fmt)
{
    return fmt == TT_EXPORT_CSV    ? "text/csv; charset=utf-8"
           : fmt == TT_EXPORT_XLSX ? "application/vnd.openxmlformats-officedocument"
                                     ".spreadsheetml.sheet"
           : fmt == TT_EXPORT_JSON ? "application/json; charset=utf-8"
                                   : "";
}

const char *tt_export_extension(tt_export_format_t fmt)
{
    return fmt == TT_EXPORT_CSV    ? "csv"
           : fmt == TT_EXPORT_XLSX ? "xlsx"
           : fmt == TT_EXPORT_JSON ? "json"
                                   : "";
}

/* --- CSV ------------------------------------------------------------------ */

static tt_err_t csv_put(tt_export_t *x, const char *s, size_t n)
{
    if (x->len + n + 1 > x->cap) {
        size_t cap = x->cap ? x->cap : 4096;
        char *b;
        while (cap < x->len + n + 1) {
            if (cap > SIZE_MAX / 2)
                return TT_ERR_NOMEM;
            cap *= 2;
        }
        b = realloc(x->buf, cap);
        if (!b)
            return TT_ERR_NOMEM;
        x->buf = b;
        x->cap = cap;
    }
    memcpy(x->buf + x->len, s, n);
    x->len += n;
    return TT_OK;
}

/* One field, quoted only when RFC 4180 needs it. */
static tt_err_t csv_field(tt_export_t *x, const char *s, int first)
{
    tt_err_t rc = first ? TT_OK : csv_put(x, ",", 1);
    if (rc != TT_OK)
        return rc;
    if (!s[strcspn(s, ",\"\r\n")])
        return csv_put(x, s, strlen(s));
    rc = csv_put(x, "\"", 1);
    for (const char *p = s; rc == TT_OK && *p; p++)
        rc = *p == '"' ? csv_put(x, "\"\"", 2) : csv_put(x, p, 1);
    return rc == TT_OK ? csv_put(x, "\"", 1) : rc;
}

/* --- XLSX ----------------------------------------------------------------- */

/* A sheet name Excel accepts: at most 31 characters (whole UTF-8 code
 * points), none of []:*?/\ nor an apostrophe (not allowed at either end),
 * not empty. */
static void sheet_name(const char *title, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)(title ? title : "");
    size_t n = 0, chars = 0;

    while (*p && chars < LXW_SHEETNAME_MAX) {
        size_t k = 1;
        while (p[k] && (p[k] & 0xC0) == 0x80)
            k++;
        if (n + k + 1 > cap)
            break;
        for (size_t i = 0; i < k; i++)
            out[n + i] = k == 1 && strchr("[]:*?/\\'", p[i]) ? '_' : (char)p[i];
        n += k;
        p += k;
        chars++;
    }
    if (n == 0)
        n = (size_t)snprintf(out, cap, "%s", "Sheet1");
    out[n] = '\0';
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* 'YYYY-MM-DD' with a real date, year 1900-9999 (Excel's range). */
static int parse_day(const char *s, lxw_datetime *dt)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    y = atoi(s);
    m = atoi(s + 5);
    d = atoi(s + 8);
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap(y)))
        return 0;
    memset(dt, 0, sizeof *dt);
    dt->year = y;
    dt->month = m;
    dt->day = d;
    return 1;
}

static tt_err_t xlsx_fail(lxw_error e, const char *what, char *reason, size_t rlen)
{
    snprintf(reason, rlen, "xlsx: %s: %s", what, lxw_strerror(e));
    return e == LXW_ERROR_MEMORY_MALLOC_FAILED ? TT_ERR_NOMEM : TT_ERR_IO;
}

static double column_width(tt_export_type_t t)
{
    return t == TT_EXPORT_TEXT ? 18 : t == TT_EXPORT_DAY ? 12 : 14;
}

static tt_err_t xlsx_open(tt_export_t *x, const char *dir, const char *title, char *reason,
                          size_t rlen)
{
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = (char *)dir,
                                .use_zip64 = LXW_FALSE};
    char name[LXW_SHEETNAME_MAX * 4 + 1];
    int fd;

    if (snprintf(x->path, sizeof x->path, "%s/tagtrail-export-XXXXXX", dir) >=
        (int)sizeof x->path) {
        x->path[0] = '\0';
        snprintf(reason, rlen, "temporary directory name too long");
        return TT_ERR_INVAL;
    }
    fd = mkstemp(x->path);
    if (fd < 0) {
        snprintf(reason, rlen, "cannot make a temporary file in %s: %s", dir, strerror(errno));
        x->path[0] = '\0';
        return TT_ERR_IO;
    }
    close(fd);
    x->wb = workbook_new_opt(x->path, &opt);
    if (!x->wb) {
        snprintf(reason, rlen, "xlsx: cannot start a workbook in %s", dir);
        return TT_ERR_IO;
    }
    sheet_name(title, name, sizeof name);
    x->ws = workbook_add_worksheet(x->wb, name);
    x->f_head = workbook_add_format(x->wb);
    x->f_money = workbook_add_format(x->wb);
    x->f_day = workbook_add_format(x->wb);
    x->f_qty = workbook_add_format(x->wb);
    x->f_int = workbook_add_format(x->wb);
    if (!x->ws || !x->f_head || !x->f_money || !x->f_day || !x->f_qty || !x->f_int) {
        snprintf(reason, rlen, "xlsx: cannot add the sheet");
        return TT_ERR_NOMEM;
    }
    format_set_bold(x->f_head);
    format_set_num_format(x->f_money, "0.00");
    format_set_num_format(x->f_day, "yyyy-mm-dd");
    format_set_align(x->f_qty, LXW_ALIGN_RIGHT);
    format_set_num_format(x->f_int, "0");
    for (size_t i = 0; i < x->ncols; i++)
        worksheet_set_column(x->ws, (lxw_col_t)i, (lxw_col_t)i, column_width(x->cols[i].type),
                             NULL);
    worksheet_freeze_panes(x->ws, 1, 0);
    return TT_OK;
}

/* Writes cell (row, col) of the sheet. */
static tt_err_t xlsx_cell(tt_export_t *x, lxw_row_t row, lxw_col_t col, tt_export_type_t type,
                          const tt_export_cell_t *c, char *reason, size_t rlen)
{
    char num[TT_MONEY_TEXT_MAX];
    lxw_datetime dt;
    lxw_error e = LXW_NO_ERROR;

    switch (type) {
    case TT_EXPORT_TEXT:
        if (strlen(c->text) > TT_EXPORT_TEXT_MAX) {
            snprintf(reason, rlen, "row %u column %u: text longer than %u bytes",
                     (unsigned)row, (unsigned)col + 1, TT_EXPORT_TEXT_MAX);
            return TT_ERR_TOOBIG;
        }
        e = worksheet_write_string(x->ws, row, col, c->text, NULL);
        break;
    case TT_EXPORT_DAY:
        if (!parse_day(c->text, &dt)) {
            snprintf(reason, rlen, "row %u column %u: '%.16s' is not a date", (unsigned)row,
                     (unsigned)col + 1, c->text);
            return TT_ERR_INVAL;
        }
        e = worksheet_write_datetime(x->ws, row, col, &dt, x->f_day);
        break;
    case TT_EXPORT_MONEY:
        /* The one place money becomes floating point: an XLSX number cell is
         * an IEEE double (Excel has no decimal type).  Every fen amount below
         * 2^53 is exact as fen/100 to the 15 significant digits Excel shows,
         * and the "0.00" format displays the exact yuan. */
        e = worksheet_write_number(x->ws, row, col, (double)c->n / 100.0, x->f_money);
        break;
    case TT_EXPORT_QTY:
        /* A quantity stays its exact decimal text: converting thousandths to a
         * double is not allowed for quantities (shared/money.h), so the cell is
         * text, right-aligned like a number. */
        tt_qty_format(c->n, num, sizeof num);
        e = worksheet_write_string(x->ws, row, col, num, x->f_qty);
        break;
    case TT_EXPORT_INT:
        /* Ids, sequence numbers and counts: integers, not money or quantities;
         * exact as doubles below 2^53. */
        e = worksheet_write_number(x->ws, row, col, (double)c->n, x->f_int);
        break;
    }
    return e == LXW_NO_ERROR ? TT_OK : xlsx_fail(e, "write a cell", reason, rlen);
}

/* Reads the finished workbook back into a new buffer. */
static tt_err_t xlsx_read_back(tt_export_t *x, char **buf, size_t *len, char *reason,
                               size_t rlen)
{
    FILE *f = fopen(x->path, "rb");
    struct stat sb;
    char *b;

    if (!f || fstat(fileno(f), &sb) != 0 || sb.st_size <= 0) {
        snprintf(reason, rlen, "xlsx: cannot read back %s: %s", x->path,
                 f ? "empty file" : strerror(errno));
        if (f)
            fclose(f);
        return TT_ERR_IO;
    }
    b = malloc((size_t)sb.st_size);
    if (!b || fread(b, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
        tt_err_t rc = b ? TT_ERR_IO : TT_ERR_NOMEM;
        snprintf(reason, rlen, b ? "xlsx: short read of %s" : "out of memory", x->path);
        fclose(f);
        free(b);
        return rc;
    }
    fclose(f);
    *buf = b;
    *len = (size_t)sb.st_size;
    return TT_OK;
}

/* --- JSON ------------------------------------------------------------------ */

static const char *const TYPE_NAME[] = {"", "text", "qty", "money", "day", "int"};

static int blank(const tt_export_column_t *col, const tt_export_cell_t *c)
{
    return c->empty || ((col->type == TT_EXPORT_TEXT || col->type == TT_EXPORT_DAY) && !c->text);
}

static cJSON *json_cell(tt_export_type_t type, const tt_export_cell_t *c)
{
    char num[TT_MONEY_TEXT_MAX];
    switch (type) {
    case TT_EXPORT_QTY:
        tt_qty_format(c->n, num, sizeof num);
        return cJSON_CreateString(num);
    case TT_EXPORT_MONEY:
        tt_money_format(c->n, num, sizeof num);
        return cJSON_CreateString(num);
    case TT_EXPORT_INT:
        return cJSON_CreateNumber((double)c->n);   /* ids and counts: exact below 2^53 */
    default:
        return cJSON_CreateString(c->text);
    }
}

static tt_err_t json_open(tt_export_t *x)
{
    cJSON *cols;
    x->root = cJSON_CreateObject();
    cols = x->root ? cJSON_AddArrayToObject(x->root, "columns") : NULL;
    x->jrows = x->root ? cJSON_AddArrayToObject(x->root, "rows") : NULL;
    if (!cols || !x->jrows)
        return TT_ERR_NOMEM;
    for (size_t i = 0; i < x->ncols; i++) {
        cJSON *c = cJSON_CreateObject();
        if (!c || !cJSON_AddItemToArray(cols, c) ||
            !cJSON_AddStringToObject(c, "key", x->cols[i].key) ||
            !cJSON_AddStringToObject(c, "zh", x->cols[i].zh) ||
            !cJSON_AddStringToObject(c, "en", x->cols[i].en) ||
            !cJSON_AddStringToObject(c, "type", TYPE_NAME[x->cols[i].type]))
            return TT_ERR_NOMEM;
    }
    return TT_OK;
}

static tt_err_t json_row(tt_export_t *x, const tt_export_cell_t *cells)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(x->jrows, o))
        return cJSON_Delete(o), TT_ERR_NOMEM;
    for (size_t i = 0; i < x->ncols; i++) {
        cJSON *v = blank(&x->cols[i], &cells[i]) ? cJSON_CreateNull()
                                                 : json_cell(x->cols[i].type, &cells[i]);
        if (!v || !cJSON_AddItemToObject(o, x->cols[i].key, v))
            return cJSON_Delete(v), TT_ERR_NOMEM;
    }
    return TT_OK;
}

static tt_err_t json_finish(tt_export_t *x, char **buf, size_t *len)
{
    cJSON *t = cJSON_AddObjectToObject(x->root, "totals");
    for (size_t i = 0; t && i < x->ntotals; i++) {
        tt_export_cell_t c = {.n = x->totals[i].n};
        cJSON *v = json_cell(x->totals[i].type, &c);
        if (!v || !cJSON_AddItemToObject(t, x->totals[i].key, v))
            return cJSON_Delete(v), TT_ERR_NOMEM;
    }
    if (!t || !cJSON_AddNumberToObject(x->root, "count", (double)x->rows))
        return TT_ERR_NOMEM;
    *buf = cJSON_PrintUnformatted(x->root);
    if (!*buf)
        return TT_ERR_NOMEM;
    *len = strlen(*buf);
    return TT_OK;
}

/* --- the table --------------------------------------------------------------- */

static void cell_text(const tt_export_column_t *col, const tt_export_cell_t *c, char *num,
                      size_t cap, const char **out)
{
    if (blank(col, c)) {
        *out = "";
        return;
    }
    switch (col->type) {
    case TT_EXPORT_QTY:
        tt_qty_format(c->n, num, cap);
        *out = num;
        break;
    case TT_EXPORT_MONEY:
        tt_money_format(c->n, num, cap);
        *out = num;
        break;
    case TT_EXPORT_INT:
        snprintf(num, cap, "%lld", (long long)c->n);
        *out = num;
        break;
    default:
        *out = c->text;
    }
}

tt_err_t tt_export_new(tt_export_format_t fmt, const tt_export_column_t *cols, size_t ncols,
                       tt_export_lang_t lang, const char *dir, const char *title,
                       tt_export_t **out, char *reason, size_t rlen)
{
    tt_export_t *x;
    tt_err_t rc = TT_OK;

    *out = NULL;
    if (fmt != TT_EXPORT_CSV && fmt != TT_EXPORT_XLSX && fmt != TT_EXPORT_JSON) {
        snprintf(reason, rlen, "unknown export format");
        return TT_ERR_INVAL;
    }
    if (!cols || ncols == 0 || ncols > TT_EXPORT_COLS_MAX) {
        snprintf(reason, rlen, "a table needs 1 to %u columns", TT_EXPORT_COLS_MAX);
        return TT_ERR_INVAL;
    }
    for (size_t i = 0; i < ncols; i++)
        if (!cols[i].zh || !cols[i].en || cols[i].type < TT_EXPORT_TEXT ||
            cols[i].type > TT_EXPORT_INT) {
            snprintf(reason, rlen, "column %zu has no headers or an unknown type", i + 1);
            return TT_ERR_INVAL;
        }
    if (fmt == TT_EXPORT_XLSX && (!dir || !*dir)) {
        snprintf(reason, rlen, "xlsx needs a directory for its temporary files");
        return TT_ERR_INVAL;
    }
    x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(reason, rlen, "out of memory");
        return TT_ERR_NOMEM;
    }
    x->fmt = fmt;
    x->lang = lang;
    x->cols = cols;
    x->ncols = ncols;
    if (fmt == TT_EXPORT_CSV) {
        rc = csv_put(x, CSV_BOM, sizeof CSV_BOM - 1);
        for (size_t i = 0; rc == TT_OK && i < ncols; i++)
            rc = csv_field(x, lang == TT_EXPORT_EN ? cols[i].en : cols[i].zh, i == 0);
        if (rc == TT_OK)
            rc = csv_put(x, "\r\n", 2);
        if (rc != TT_OK)
            snprintf(reason, rlen, "out of memory");
    } else if (fmt == TT_EXPORT_JSON) {
        if ((rc = json_open(x)) != TT_OK)
            snprintf(reason, rlen, "out of memory");
    } else {
        rc = xlsx_open(x, dir, title, reason, rlen);
        for (size_t i = 0; rc == TT_OK && i < ncols; i++) {
            lxw_error e = worksheet_write_string(
                x->ws, 0, (lxw_col_t)i, lang == TT_EXPORT_EN ? cols[i].en : cols[i].zh,
                x->f_head);
            if (e != LXW_NO_ERROR)
                rc = xlsx_fail(e, "write the header", reason, rlen);
        }
    }
    if (rc != TT_OK) {
        tt_export_free(x);
        return rc;
    }
    *out = x;
    return TT_OK;
}

tt_err_t tt_export_row(tt_export_t *x, const tt_export_cell_t *cells, char *reason, size_t rlen)
{
    char num[TT_MONEY_TEXT_MAX];
    const char *s;
    lxw_datetime dt;
    tt_err_t rc = TT_OK;

    if (x->done) {
        snprintf(reason, rlen, "the table is finished");
        return TT_ERR_INVAL;
    }
    if (x->rows >= TT_EXPORT_ROWS_MAX) {
        snprintf(reason, rlen, "more than %u rows", TT_EXPORT_ROWS_MAX);
        rc = TT_ERR_TOOBIG;
    }
    for (size_t i = 0; rc == TT_OK && i < x->ncols; i++) {
        const tt_export_cell_t *c = &cells[i];
        int none = blank(&x->cols[i], c);
        if (x->cols[i].type == TT_EXPORT_DAY && !none && !parse_day(c->text, &dt)) {
            snprintf(reason, rlen, "row %zu column %zu: '%.16s' is not a date", x->rows + 1,
                     i + 1, c->text);
            rc = TT_ERR_INVAL;
        } else if (x->fmt == TT_EXPORT_CSV) {
            cell_text(&x->cols[i], c, num, sizeof num, &s);
            rc = csv_field(x, s, i == 0);
            if (rc != TT_OK)
                snprintf(reason, rlen, "out of memory");
        } else if (x->fmt == TT_EXPORT_XLSX && !none) {
            rc = xlsx_cell(x, (lxw_row_t)(x->rows + 1), (lxw_col_t)i, x->cols[i].type, c,
                           reason, rlen);
        }
    }
    if (rc == TT_OK && x->fmt == TT_EXPORT_CSV && (rc = csv_put(x, "\r\n", 2)) != TT_OK)
        snprintf(reason, rlen, "out of memory");
    if (rc == TT_OK && x->fmt == TT_EXPORT_JSON && (rc = json_row(x, cells)) != TT_OK)
        snprintf(reason, rlen, "out of memory");
    if (rc != TT_OK) {
        x->done = 1;
        return rc;
    }
    x->rows++;
    return TT_OK;
}

tt_err_t tt_export_total(tt_export_t *x, const char *key, tt_export_type_t type, int64_t n)
{
    if (x->done || !key || type < TT_EXPORT_TEXT || type > TT_EXPORT_INT ||
        type == TT_EXPORT_TEXT || type == TT_EXPORT_DAY)
        return TT_ERR_INVAL;
    if (x->ntotals == TT_EXPORT_TOTALS_MAX)
        return TT_ERR_FULL;
    x->totals[x->ntotals].key = key;
    x->totals[x->ntotals].type = type;
    x->totals[x->ntotals++].n = n;
    return TT_OK;
}

static tt_err_t meta(tt_export_t *x, const char *key, cJSON *v)
{
    if (x->done) {
        cJSON_Delete(v);
        return TT_ERR_INVAL;
    }
    if (!v || !cJSON_AddItemToObject(x->root, key, v)) {
        cJSON_Delete(v);
        return TT_ERR_NOMEM;
    }
    return TT_OK;
}

tt_err_t tt_export_meta_text(tt_export_t *x, const char *key, const char *text)
{
    if (x->fmt != TT_EXPORT_JSON)
        return x->done ? TT_ERR_INVAL : TT_OK;
    return meta(x, key, text ? cJSON_CreateString(text) : cJSON_CreateNull());
}

tt_err_t tt_export_meta_int(tt_export_t *x, const char *key, int64_t n)
{
    if (x->fmt != TT_EXPORT_JSON)
        return x->done ? TT_ERR_INVAL : TT_OK;
    return meta(x, key, cJSON_CreateNumber((double)n));
}

/* The totals row of CSV and XLSX: each total under its column, the label in
 * the first text column left blank. */
static tt_err_t totals_row(tt_export_t *x, char *reason, size_t rlen)
{
    tt_export_cell_t cells[TT_EXPORT_COLS_MAX];
    int labelled = 0;
    for (size_t i = 0; i < x->ncols; i++) {
        memset(&cells[i], 0, sizeof cells[i]);
        cells[i].empty = 1;
        for (size_t k = 0; k < x->ntotals; k++)
            if (strcmp(x->totals[k].key, x->cols[i].key) == 0 &&
                x->totals[k].type == x->cols[i].type) {
                cells[i].empty = 0;
                cells[i].n = x->totals[k].n;
            }
        if (cells[i].empty && !labelled && x->cols[i].type == TT_EXPORT_TEXT) {
            cells[i].empty = 0;
            cells[i].text = x->lang == TT_EXPORT_EN ? "Total" : "合计";
            labelled = 1;
        }
    }
    /* Not counted as a data row: the limit is Excel's, with room kept. */
    return tt_export_row(x, cells, reason, rlen);
}

tt_err_t tt_export_finish(tt_export_t *x, char **buf, size_t *len, char *reason, size_t rlen)
{
    tt_err_t rc;
    lxw_error e;

    *buf = NULL;
    *len = 0;
    if (x->done) {
        snprintf(reason, rlen, "the table is finished or failed");
        return TT_ERR_INVAL;
    }
    if (x->fmt != TT_EXPORT_JSON && x->ntotals > 0 && (rc = totals_row(x, reason, rlen)) != TT_OK)
        return rc;
    x->done = 1;
    if (x->fmt == TT_EXPORT_JSON) {
        rc = json_finish(x, buf, len);
        if (rc != TT_OK)
            snprintf(reason, rlen, "out of memory");
        return rc;
    }
    if (x->fmt == TT_EXPORT_CSV) {
        *buf = x->buf;
        *len = x->len;
        x->buf = NULL;
        x->len = x->cap = 0;
        return TT_OK;
    }
    e = workbook_close(x->wb);
    x->wb = NULL;
    rc = e == LXW_NO_ERROR ? xlsx_read_back(x, buf, len, reason, rlen)
                           : xlsx_fail(e, "write the workbook", reason, rlen);
    unlink(x->path);
    x->path[0] = '\0';
    return rc;
}

void tt_export_free(tt_export_t *x)
{
    if (!x)
        return;
    /* libxlsxwriter frees a workbook only by closing it, which writes the
     * file; it is removed right after. */
    if (x->wb)
        workbook_close(x->wb);
    if (x->path[0])
        unlink(x->path);
    cJSON_Delete(x->root);
    free(x->buf);
    free(x);
}
