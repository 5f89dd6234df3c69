#include "reportapi.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "export.h"
#include "report.h"

/* --- parameters ------------------------------------------------------------ */

enum {
    A_ITEM, A_UNIT, A_WAREHOUSE, A_CATEGORY, A_FROM, A_TO, A_MONTH, A_AFTER, A_LIMIT,
    A_FORMAT, A_LANG, A_GROUP, A_PART, A_STATE, A_TERMINAL, A_TAG, A_N
};

static const char *const ARG[A_N] = {
    "item", "unit", "warehouse", "category", "from", "to", "month", "after", "limit",
    "format", "lang", "group", "part", "state", "terminal", "tag",
};

#define B(a) (1u << (a))
#define COMMON (B(A_FORMAT) | B(A_LANG))
#define TAG_MAX 64          /* bytes of an expense tag */

typedef struct req req_t;

typedef struct {
    const char *path;
    const char *name;              /* the download's file name stem */
    const char *title_zh, *title_en;   /* the XLSX sheet */
    unsigned args;                 /* B(A_*) accepted besides format and lang */
    unsigned required;
    int months;                    /* from / to / month are months (else from / to are days) */
    void (*run)(req_t *r);
} route_t;

struct req {
    tt_db_t *db;
    const route_t *route;
    const char *val[A_N];
    tt_report_filter_t f;
    char from_month[8], to_month[8];
    size_t limit;
    int json;                      /* fmt is TT_EXPORT_JSON */
    tt_export_format_t fmt;
    tt_export_lang_t lang;
    const char *tmpdir;
    tt_report_cursor_t after;
    tt_report_exc_cursor_t exc_after;
    int has_after;
    unsigned group;
    size_t pages;                  /* pages read so far */
    tt_report_total_t sum;
    /* the answer being built */
    tt_export_column_t colbuf[16];   /* the columns a grouping shows (stats) */
    tt_export_t *x;
    unsigned status;               /* 0 while all is well */
    char msg[256];
    char next[96];
};

/* Records the first failure: the status to answer and why. */
__attribute__((format(printf, 3, 4))) static void fail(req_t *r, unsigned status,
                                                       const char *fmt, ...)
{
    va_list ap;
    if (r->status)
        return;
    r->status = status;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
}

static void fail_rc(req_t *r, tt_err_t rc)
{
    if (rc != TT_OK)
        fail(r, rc == TT_ERR_INVAL ? 400 : 500, "report failed: %s", tt_strerror(rc));
}

static int text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

static int ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

/* Parses "<digits>" in 1 .. max into *out. */
static int parse_count(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s || strlen(s) > 19)
        return 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v == 0 || v > max)
        return 0;
    *out = v;
    return 1;
}

/* after: "DAY:ID" for day-ordered reads, "TERMINAL:SEQ" for exceptions. */
static int parse_after(req_t *r, const char *s)
{
    const char *colon = strrchr(s, ':');
    uint64_t n;
    char head[TT_EVENT_ID_MAX + 1];
    if (!colon || (size_t)(colon - s) >= sizeof head ||
        !parse_count(colon + 1, TT_EVENT_SEQ_MAX, &n))
        return 0;
    memcpy(head, s, (size_t)(colon - s));
    head[colon - s] = '\0';
    if (r->route->args & B(A_STATE)) {
        if (!tt_event_id_valid(head))
            return 0;
        snprintf(r->exc_after.terminal, sizeof r->exc_after.terminal, "%s", head);
        r->exc_after.seq = n;
    } else {
        if (!tt_report_day_valid(head))
            return 0;
        snprintf(r->after.day, sizeof r->after.day, "%.10s", head);
        r->after.id = (int64_t)n;
    }
    r->has_after = 1;
    return 1;
}

static int parse_group(req_t *r, const char *s)
{
    static const char *const dims[] = {"month", "unit", "item", "category", "warehouse"};
    static const unsigned bits[] = {TT_REPORT_BY_MONTH, TT_REPORT_BY_UNIT, TT_REPORT_BY_ITEM,
                                    TT_REPORT_BY_CATEGORY, TT_REPORT_BY_WAREHOUSE};
    while (*s) {
        size_t n = strcspn(s, ","), k = 0;
        while (k < 5 && (strlen(dims[k]) != n || strncmp(s, dims[k], n) != 0))
            k++;
        if (k == 5 || (r->group & bits[k]))
            return 0;
        r->group |= bits[k];
        s += n;
        if (*s == ',' && !*++s)
            return 0;
    }
    return r->group != 0;
}

/* Checks that a master row named by a filter exists. */
static void must_exist(req_t *r, tt_report_key_t kind, int arg)
{
    tt_err_t rc;
    if (r->status || !r->val[arg])
        return;
    rc = tt_report_exists(r->db, kind, r->val[arg]);
    if (rc == TT_ERR_NOTFOUND)
        fail(r, 400, "unknown %s '%s'", ARG[arg], r->val[arg]);
    else
        fail_rc(r, rc);
}

static void check_value(req_t *r, int a, const char *v)
{
    const char *bad = NULL;
    uint64_t n = 0;

    switch (a) {
    case A_ITEM:
        bad = tt_event_code_valid(v) ? NULL : "not an item code";
        break;
    case A_UNIT:
    case A_WAREHOUSE:
    case A_TERMINAL:
        bad = tt_event_id_valid(v) ? NULL : "not an id (1-32 of A-Z a-z 0-9 _ . -)";
        break;
    case A_CATEGORY:
        bad = text_ok(v, 16) ? NULL : "not a category code";
        break;
    case A_FROM:
    case A_TO:
        if (r->route->months)
            bad = tt_report_month_valid(v) ? NULL : "not a month YYYY-MM";
        else
            bad = tt_report_day_valid(v) ? NULL : "not a date YYYY-MM-DD";
        break;
    case A_MONTH:
        bad = tt_report_month_valid(v) ? NULL : "not a month YYYY-MM";
        break;
    case A_AFTER:
        bad = parse_after(r, v) ? NULL : "not a cursor this route gave";
        break;
    case A_LIMIT:
        bad = parse_count(v, TT_REPORTAPI_EXPORT_MAX, &n) ? NULL : "not a row count";
        r->limit = (size_t)n;
        break;
    case A_FORMAT:
        bad = tt_export_format_parse(v, &r->fmt) == TT_OK ? NULL : "not json, csv or xlsx";
        r->json = r->fmt == TT_EXPORT_JSON;
        break;
    case A_LANG:
        bad = strcmp(v, "zh") == 0 || strcmp(v, "en") == 0 ? NULL : "not zh or en";
        r->lang = strcmp(v, "en") == 0 ? TT_EXPORT_EN : TT_EXPORT_ZH;
        break;
    case A_GROUP:
        bad = parse_group(r, v) ? NULL
                                : "not a list of month, unit, item, category, warehouse";
        break;
    case A_PART:
        bad = strcmp(v, "a") == 0 || strcmp(v, "b") == 0 ? NULL : "not a or b";
        break;
    case A_STATE:
        bad = strcmp(v, "open") == 0 || strcmp(v, "settled") == 0 || strcmp(v, "all") == 0
                  ? NULL
                  : "not open, settled or all";
        break;
    case A_TAG:
        bad = text_ok(v, TAG_MAX) ? NULL : "not a tag (1-64 bytes of text)";
        break;
    }
    if (bad)
        fail(r, 400, "parameter %s: %s", ARG[a], bad);
}

static void parse_params(req_t *r, const tt_reportapi_param_t *p, size_t n)
{
    unsigned allowed = r->route->args | COMMON;

    r->json = 1;
    r->fmt = TT_EXPORT_JSON;
    r->lang = TT_EXPORT_ZH;
    if (n > TT_REPORTAPI_PARAMS_MAX) {
        fail(r, 400, "%s", "too many query parameters");
        return;
    }
    for (size_t i = 0; i < n && !r->status; i++) {
        int a = 0;
        while (a < A_N && strcmp(p[i].key, ARG[a]) != 0)
            a++;
        if (a == A_N || !(allowed & B(a)))   /* named only when it is plain text */
            fail(r, 400, "unknown parameter '%.64s' for %s",
                 text_ok(p[i].key, 64) && ascii(p[i].key)
                     ? p[i].key
                     : "?",
                 r->route->path);
        else if (r->val[a])
            fail(r, 400, "parameter %s given twice", ARG[a]);
        else if (!p[i].value || !*p[i].value)
            fail(r, 400, "parameter %s is empty", ARG[a]);
        else
            check_value(r, a, r->val[a] = p[i].value);
    }
    for (int a = 0; a < A_N && !r->status; a++)
        if ((r->route->required & B(a)) && !r->val[a])
            fail(r, 400, "parameter %s is required", ARG[a]);
    if (r->status)
        return;
    /* Months: `month`, or `from` and `to`. */
    if (r->route->months) {
        if (r->val[A_MONTH] && (r->val[A_FROM] || r->val[A_TO]))
            fail(r, 400, "give month, or from and to, not both");
        else if (!r->val[A_MONTH] && (!r->val[A_FROM] || !r->val[A_TO]))
            fail(r, 400, "give month, or from and to (YYYY-MM)");
        snprintf(r->from_month, sizeof r->from_month, "%s",
                 r->val[A_MONTH] ? r->val[A_MONTH] : r->val[A_FROM] ? r->val[A_FROM] : "");
        snprintf(r->to_month, sizeof r->to_month, "%s",
                 r->val[A_MONTH] ? r->val[A_MONTH] : r->val[A_TO] ? r->val[A_TO] : "");
    }
    if (r->val[A_FROM] && r->val[A_TO] && strcmp(r->val[A_FROM], r->val[A_TO]) > 0)
        fail(r, 400, "from %s is after to %s", r->val[A_FROM], r->val[A_TO]);
    if (r->val[A_CATEGORY] && strcmp(r->val[A_CATEGORY], TT_REPORT_NO_CATEGORY) == 0 &&
        !(r->route->args & B(A_GROUP)) && strcmp(r->route->name, "issues") != 0)
        fail(r, 400, "category %s is not a safety category", TT_REPORT_NO_CATEGORY);
    if (r->json && r->val[A_LIMIT] && r->limit > TT_REPORT_PAGE_MAX)
        fail(r, 400, "parameter limit: at most 500 rows per JSON page");
    if (!r->val[A_LIMIT])
        r->limit = r->json ? TT_REPORTAPI_JSON_LIMIT : TT_REPORTAPI_EXPORT_MAX;
    must_exist(r, TT_REPORT_ITEM, A_ITEM);
    must_exist(r, TT_REPORT_UNIT, A_UNIT);
    must_exist(r, TT_REPORT_WAREHOUSE, A_WAREHOUSE);
    if (!r->val[A_CATEGORY] || strcmp(r->val[A_CATEGORY], TT_REPORT_NO_CATEGORY) != 0)
        must_exist(r, TT_REPORT_CATEGORY, A_CATEGORY);
    r->f.item = r->val[A_ITEM];
    r->f.unit = r->val[A_UNIT];
    r->f.warehouse = r->val[A_WAREHOUSE];
    r->f.category = r->val[A_CATEGORY];
    if (!r->route->months) {
        r->f.from = r->val[A_FROM];
        r->f.to = r->val[A_TO];
    }
}

/* --- output: one table, three formats (server/export.h) ------------------------ */

static void begin(req_t *r, const tt_export_column_t *cols, size_t ncols)
{
    char reason[200] = "out of memory";
    if (tt_export_new(r->fmt, cols, ncols, r->lang, r->tmpdir,
                      r->lang == TT_EXPORT_EN ? r->route->title_en : r->route->title_zh, &r->x,
                      reason, sizeof reason) != TT_OK ||
        tt_export_meta_text(r->x, "report", r->route->name) != TT_OK)
        fail(r, 500, "export: %s", reason);
}

/* Adds a row (a cell per column).  Returns non-zero to stop the read. */
static int emit(req_t *r, const tt_export_cell_t *cells)
{
    char reason[200];
    if (r->status)
        return 1;
    if (tt_export_row(r->x, cells, reason, sizeof reason) != TT_OK) {
        fail(r, 500, "export: %s", reason);
        return 1;
    }
    return 0;
}

/* A total of the report.  A download cut at its limit gets none: its
 * totals row would not add up to the rows above it. */
static void total(req_t *r, const char *key, tt_export_type_t type, int64_t n)
{
    if (!r->status && (r->json || !r->next[0]) &&
        tt_export_total(r->x, key, type, n) != TT_OK)
        fail(r, 500, "%s", "too many totals");
}

static void meta_int(req_t *r, const char *key, int64_t n)
{
    if (!r->status && tt_export_meta_int(r->x, key, n) != TT_OK)
        fail(r, 500, "%s", "out of memory");
}

#define TXT(s) {.text = (s)}
#define NUM(v) {.n = (v)}
#define DAY(s) {.text = (s)[0] ? (s) : NULL}
#define OPT(v) {.n = (v), .empty = (v) == 0}

/* --- the issuance ledger and the safety drill-down ----------------------------- */

static const tt_export_column_t LINE_COLS[] = {
    {"day", "日期", "day", TT_EXPORT_DAY},
    {"doc", "单据号", "document", TT_EXPORT_TEXT},
    {"line", "行号", "line", TT_EXPORT_INT},
    {"kind", "类型", "kind", TT_EXPORT_TEXT},
    {"warehouse", "仓库", "warehouse", TT_EXPORT_TEXT},
    {"unit", "领用单位", "unit", TT_EXPORT_TEXT},
    {"item", "物资编码", "item", TT_EXPORT_TEXT},
    {"item_name", "物资名称", "item name", TT_EXPORT_TEXT},
    {"uom", "计量单位", "unit of measure", TT_EXPORT_TEXT},
    {"qty", "数量", "quantity", TT_EXPORT_QTY},
    {"value", "金额", "value", TT_EXPORT_MONEY},
    {"lot", "批次", "lot", TT_EXPORT_INT},
    {"receipt_doc", "入库单号", "receipt", TT_EXPORT_TEXT},
    {"category", "安全费用类别", "safety category", TT_EXPORT_TEXT},
    {"mark_category", "标记为安全使用", "marked used for safety", TT_EXPORT_TEXT},
    {"expense_tag", "费用类标记", "expense tag", TT_EXPORT_TEXT},
    {"movement", "单据行", "movement", TT_EXPORT_INT},
    {"id", "分配号", "allocation", TT_EXPORT_INT},
    {"reverses", "冲销分配号", "reverses", TT_EXPORT_INT},
};

static int line_row(void *ctx, const tt_report_line_t *l)
{
    req_t *r = ctx;
    const char *kind = l->kind;
    if (!r->json)   /* a download is for people: the kind in their language */
        kind = strcmp(kind, "issue") == 0 ? (r->lang == TT_EXPORT_EN ? "issue" : "出库")
               : r->lang == TT_EXPORT_EN  ? "stock-back"
                                          : "退库";
    tt_export_cell_t c[] = {
        DAY(l->day), TXT(l->doc), NUM(l->line), TXT(kind), TXT(l->warehouse), TXT(l->unit),
        TXT(l->item), TXT(l->item_name), TXT(l->uom), NUM(l->qty), NUM(l->value),
        NUM(l->lot), TXT(l->receipt_doc), TXT(l->category), TXT(l->mark_category),
        TXT(l->expense_tag), NUM(l->movement), NUM(l->id), OPT(l->reverses),
    };
    return emit(r, c);
}

/* Reads pages of `limit` rows (JSON: one page; a download: pages of 500
 * until r->limit rows) through `page`, leaving r->next set when more follow. */
static void lines_paged(req_t *r, tt_err_t (*page)(req_t *r, const tt_report_cursor_t *after,
                                                   size_t n, tt_report_cursor_t *next))
{
    tt_report_cursor_t next = {0, "", 0}, at = r->after;
    const tt_report_cursor_t *after = r->has_after ? &at : NULL;
    size_t left = r->limit;

    while (!r->status && left > 0) {
        size_t n = left < TT_REPORT_PAGE_MAX ? left : TT_REPORT_PAGE_MAX;
        fail_rc(r, page(r, after, n, &next));
        left -= n;
        if (!next.more)
            break;
        at = next;
        after = &at;
    }
    if (!r->status && next.more)
        snprintf(r->next, sizeof r->next, "%s:%lld", next.day, (long long)next.id);
}

static tt_err_t issues_page(req_t *r, const tt_report_cursor_t *after, size_t n,
                            tt_report_cursor_t *next)
{
    /* The totals are of the whole filter: read once, with the first page. */
    tt_report_total_t *t = r->pages++ == 0 ? &r->sum : NULL;
    return tt_report_issues(r->db, &r->f, after, n, line_row, r, next, t);
}

static void run_issues(req_t *r)
{
    begin(r, LINE_COLS, sizeof LINE_COLS / sizeof LINE_COLS[0]);
    lines_paged(r, issues_page);
    total(r, "qty", TT_EXPORT_QTY, r->sum.qty);
    total(r, "value", TT_EXPORT_MONEY, r->sum.value);
}

static tt_err_t detail_page(req_t *r, const tt_report_cursor_t *after, size_t n,
                            tt_report_cursor_t *next)
{
    return tt_report_safety_detail(r->db, r->from_month, r->to_month, r->f.category,
                                   strcmp(r->val[A_PART], "a") == 0 ? TT_REPORT_PART_A
                                                                    : TT_REPORT_PART_B,
                                   after, n, line_row, r, next);
}

static int no_row(void *ctx, const tt_report_safety_t *row)
{
    (void)ctx;
    (void)row;
    return 0;
}

static void run_safety_detail(req_t *r)
{
    tt_report_safety_total_t t = {0, 0};
    begin(r, LINE_COLS, sizeof LINE_COLS / sizeof LINE_COLS[0]);
    lines_paged(r, detail_page);
    /* The figure the lines make up, from the report itself. */
    if (!r->status)
        fail_rc(r, tt_report_safety(r->db, r->from_month, r->to_month, r->f.category, no_row,
                                    NULL, &t));
    total(r, "value", TT_EXPORT_MONEY, strcmp(r->val[A_PART], "a") == 0 ? t.value_a : t.value_b);
}

/* --- statistics ---------------------------------------------------------------- */

static const tt_export_column_t STAT_COLS[] = {
    {"month", "月份", "month", TT_EXPORT_TEXT},
    {"unit", "领用单位", "unit", TT_EXPORT_TEXT},
    {"unit_name", "单位名称", "unit name", TT_EXPORT_TEXT},
    {"item", "物资编码", "item", TT_EXPORT_TEXT},
    {"item_name", "物资名称", "item name", TT_EXPORT_TEXT},
    {"uom", "计量单位", "unit of measure", TT_EXPORT_TEXT},
    {"category", "安全费用类别", "safety category", TT_EXPORT_TEXT},
    {"marked", "标记为安全使用", "marked used for safety", TT_EXPORT_INT},
    {"warehouse", "仓库", "warehouse", TT_EXPORT_TEXT},
    {"qty", "数量", "quantity", TT_EXPORT_QTY},
    {"value", "金额", "value", TT_EXPORT_MONEY},
};

/* Which of STAT_COLS a grouping shows: bit i for column i. */
static unsigned stat_shown(unsigned by)
{
    unsigned m = 3u << 9;   /* qty, value */
    m |= by & TT_REPORT_BY_MONTH ? 1u : 0;
    m |= by & TT_REPORT_BY_UNIT ? 3u << 1 : 0;
    m |= by & TT_REPORT_BY_ITEM ? 7u << 3 : 0;
    m |= by & TT_REPORT_BY_CATEGORY ? 3u << 6 : 0;
    m |= by & TT_REPORT_BY_WAREHOUSE ? 1u << 8 : 0;
    return m;
}

typedef struct {
    req_t *r;
    unsigned shown;
} stat_ctx_t;

static int stat_row(void *ctx, const tt_report_stat_t *s)
{
    stat_ctx_t *sc = ctx;
    const tt_export_cell_t all[] = {
        TXT(s->month), TXT(s->unit), TXT(s->unit_name), TXT(s->item), TXT(s->item_name),
        TXT(s->uom), TXT(s->category), NUM(s->marked), TXT(s->warehouse), NUM(s->qty),
        NUM(s->value),
    };
    tt_export_cell_t c[sizeof all / sizeof all[0]];
    size_t n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (sc->shown & (1u << i))
            c[n++] = all[i];
    return emit(sc->r, c);
}

static void run_stats(req_t *r)
{
    stat_ctx_t sc = {r, stat_shown(r->group ? r->group : TT_REPORT_BY_MONTH)};
    tt_report_total_t t = {0, 0};
    size_t n = 0;

    /* The shown columns live in r: the table borrows them until it is freed. */
    for (size_t i = 0; i < sizeof STAT_COLS / sizeof STAT_COLS[0]; i++)
        if (sc.shown & (1u << i))
            r->colbuf[n++] = STAT_COLS[i];
    begin(r, r->colbuf, n);
    if (!r->status)
        fail_rc(r, tt_report_stats(r->db, &r->f, r->group ? r->group : TT_REPORT_BY_MONTH,
                                   stat_row, &sc, &t));
    total(r, "qty", TT_EXPORT_QTY, t.qty);
    total(r, "value", TT_EXPORT_MONEY, t.value);
}

/* --- safety expenses and expense tags ------------------------------------------ */

static const tt_export_column_t SAFETY_COLS[] = {
    {"month", "月份", "month", TT_EXPORT_TEXT},
    {"category", "安全费用类别", "safety category", TT_EXPORT_TEXT},
    {"category_name", "类别名称", "category name", TT_EXPORT_TEXT},
    {"value_a", "(a) 安全入库物资发出金额", "(a) issued from safety receipts", TT_EXPORT_MONEY},
    {"value_b", "(b) 非安全入库、标记安全使用金额", "(b) non-safety receipts used for safety",
     TT_EXPORT_MONEY},
    {"value", "合计金额", "total value", TT_EXPORT_MONEY},
};

static int safety_row(void *ctx, const tt_report_safety_t *s)
{
    req_t *r = ctx;
    tt_fen_t sum;
    if (tt_money_add(s->value_a, s->value_b, &sum) != TT_OK) {
        fail_rc(r, TT_ERR_RANGE);
        return 1;
    }
    tt_export_cell_t c[] = {
        TXT(s->month), TXT(s->category), TXT(r->lang == TT_EXPORT_EN ? s->name_en : s->name_zh),
        NUM(s->value_a), NUM(s->value_b), NUM(sum),
    };
    return emit(r, c);
}

static void run_safety(req_t *r)
{
    tt_report_safety_total_t t = {0, 0};
    tt_fen_t sum = 0;
    begin(r, SAFETY_COLS, sizeof SAFETY_COLS / sizeof SAFETY_COLS[0]);
    if (!r->status)
        fail_rc(r, tt_report_safety(r->db, r->from_month, r->to_month, r->f.category,
                                    safety_row, r, &t));
    if (tt_money_add(t.value_a, t.value_b, &sum) != TT_OK)
        fail_rc(r, TT_ERR_RANGE);
    total(r, "value_a", TT_EXPORT_MONEY, t.value_a);
    total(r, "value_b", TT_EXPORT_MONEY, t.value_b);
    total(r, "value", TT_EXPORT_MONEY, sum);
}

static const tt_export_column_t TAG_COLS[] = {
    {"tag", "费用类型", "expense tag", TT_EXPORT_TEXT},
    {"month", "月份", "month", TT_EXPORT_TEXT},
    {"lines", "行数", "lines", TT_EXPORT_INT},
    {"value", "金额", "value", TT_EXPORT_MONEY},
};

static int tag_row(void *ctx, const tt_report_tag_t *t)
{
    tt_export_cell_t c[] = {TXT(t->tag), TXT(t->month), NUM(t->lines), NUM(t->value)};
    return emit(ctx, c);
}

static void run_tags(req_t *r)
{
    tt_fen_t t = 0;
    begin(r, TAG_COLS, sizeof TAG_COLS / sizeof TAG_COLS[0]);
    if (!r->status)
        fail_rc(r, tt_report_expense_tags(r->db, r->from_month, r->to_month, r->val[A_TAG],
                                          tag_row, r, &t));
    total(r, "value", TT_EXPORT_MONEY, t);
}

/* --- old items --------------------------------------------------------------------- */

static const tt_export_column_t ASSESS_COLS[] = {
    {"month", "月份", "month", TT_EXPORT_TEXT},
    {"unit", "单位", "unit", TT_EXPORT_TEXT},
    {"unit_name", "单位名称", "unit name", TT_EXPORT_TEXT},
    {"item", "物资编码", "item", TT_EXPORT_TEXT},
    {"item_name", "物资名称", "item name", TT_EXPORT_TEXT},
    {"uom", "计量单位", "unit of measure", TT_EXPORT_TEXT},
    {"issued", "领用数", "issued", TT_EXPORT_QTY},
    {"returned", "交旧数", "returned", TT_EXPORT_QTY},
    {"excluded", "免考核数", "excluded", TT_EXPORT_QTY},
    {"shortfall", "欠交数", "shortfall", TT_EXPORT_QTY},
    {"penalty_std", "罚款标准", "penalty standard", TT_EXPORT_MONEY},
    {"penalty", "罚款", "penalty", TT_EXPORT_MONEY},
    {"reward_std", "奖励标准", "reward standard", TT_EXPORT_MONEY},
    {"reward", "奖励", "reward", TT_EXPORT_MONEY},
};

static int assess_row(void *ctx, const tt_report_assessment_t *a)
{
    tt_export_cell_t c[] = {
        TXT(a->month), TXT(a->unit), TXT(a->unit_name), TXT(a->item), TXT(a->item_name),
        TXT(a->uom), NUM(a->issued), NUM(a->returned), NUM(a->excluded), NUM(a->shortfall),
        NUM(a->penalty_std), NUM(a->penalty), NUM(a->reward_std), NUM(a->reward),
    };
    return emit(ctx, c);
}

static void run_assessment(req_t *r)
{
    tt_report_assessment_total_t t = {0, 0};
    begin(r, ASSESS_COLS, sizeof ASSESS_COLS / sizeof ASSESS_COLS[0]);
    if (!r->status)
        fail_rc(r, tt_report_assessment(r->db, r->from_month, r->to_month, r->f.unit, r->f.item,
                                        assess_row, r, &t));
    total(r, "penalty", TT_EXPORT_MONEY, t.penalty);
    total(r, "reward", TT_EXPORT_MONEY, t.reward);
}

static const tt_export_column_t RECOVERY_COLS[] = {
    {"month", "月份", "month", TT_EXPORT_TEXT},
    {"unit", "单位", "unit", TT_EXPORT_TEXT},
    {"unit_name", "单位名称", "unit name", TT_EXPORT_TEXT},
    {"item", "物资编码", "item", TT_EXPORT_TEXT},
    {"item_name", "物资名称", "item name", TT_EXPORT_TEXT},
    {"uom", "计量单位", "unit of measure", TT_EXPORT_TEXT},
    {"returned", "回收数量", "returned", TT_EXPORT_QTY},
    {"price", "矿报标准单价", "standard price", TT_EXPORT_MONEY},
    {"value", "回收金额", "recovered value", TT_EXPORT_MONEY},
    {"reward_std", "奖励标准", "reward standard", TT_EXPORT_MONEY},
    {"reward", "奖励", "reward", TT_EXPORT_MONEY},
};

static int recovery_row(void *ctx, const tt_report_recovery_t *v)
{
    tt_export_cell_t c[] = {
        TXT(v->month), TXT(v->unit), TXT(v->unit_name), TXT(v->item), TXT(v->item_name),
        TXT(v->uom), NUM(v->returned), NUM(v->price), NUM(v->value), NUM(v->reward_std),
        NUM(v->reward),
    };
    return emit(ctx, c);
}

static void run_recovery(req_t *r)
{
    tt_report_recovery_total_t t = {0, 0};
    begin(r, RECOVERY_COLS, sizeof RECOVERY_COLS / sizeof RECOVERY_COLS[0]);
    if (!r->status)
        fail_rc(r, tt_report_recovery(r->db, r->from_month, r->to_month, r->f.unit, r->f.item,
                                      recovery_row, r, &t));
    total(r, "value", TT_EXPORT_MONEY, t.value);
    total(r, "reward", TT_EXPORT_MONEY, t.reward);
}

/* --- stock ----------------------------------------------------------------------------- */

static const tt_export_column_t STOCK_COLS[] = {
    {"warehouse", "仓库", "warehouse", TT_EXPORT_TEXT},
    {"warehouse_name", "仓库名称", "warehouse name", TT_EXPORT_TEXT},
    {"unit", "工区", "work area", TT_EXPORT_TEXT},
    {"unit_name", "工区名称", "work area name", TT_EXPORT_TEXT},
    {"item", "物资编码", "item", TT_EXPORT_TEXT},
    {"item_name", "物资名称", "item name", TT_EXPORT_TEXT},
    {"uom", "计量单位", "unit of measure", TT_EXPORT_TEXT},
    {"qty", "结存数量", "quantity", TT_EXPORT_QTY},
    {"value", "结存金额", "value", TT_EXPORT_MONEY},
};

static int stock_row(void *ctx, const tt_report_stock_t *s)
{
    tt_export_cell_t c[] = {
        TXT(s->warehouse), TXT(s->warehouse_name), TXT(s->unit), TXT(s->unit_name),
        TXT(s->item), TXT(s->item_name), TXT(s->uom), NUM(s->qty), NUM(s->value),
    };
    return emit(ctx, c);
}

static void run_work_areas(req_t *r)
{
    tt_fen_t t = 0;
    begin(r, STOCK_COLS, sizeof STOCK_COLS / sizeof STOCK_COLS[0]);
    if (!r->status)
        fail_rc(r, tt_report_work_area_stock(r->db, r->f.warehouse, r->f.unit, r->f.item,
                                             stock_row, r, &t));
    total(r, "value", TT_EXPORT_MONEY, t);
}

static const tt_export_column_t LOT_COLS[] = {
    {"lot", "批次", "lot", TT_EXPORT_INT},
    {"warehouse", "仓库", "warehouse", TT_EXPORT_TEXT},
    {"item", "物资编码", "item", TT_EXPORT_TEXT},
    {"item_name", "物资名称", "item name", TT_EXPORT_TEXT},
    {"uom", "计量单位", "unit of measure", TT_EXPORT_TEXT},
    {"fifo_day", "入库日期", "received on", TT_EXPORT_DAY},
    {"receipt_doc", "入库单号", "receipt", TT_EXPORT_TEXT},
    {"category", "安全费用类别", "safety category", TT_EXPORT_TEXT},
    {"plan_serial", "计划序号", "plan serial", TT_EXPORT_TEXT},
    {"received_qty", "入库数量", "received quantity", TT_EXPORT_QTY},
    {"received_value", "入库金额", "received value", TT_EXPORT_MONEY},
    {"qty", "结存数量", "quantity left", TT_EXPORT_QTY},
    {"value", "结存金额", "value left", TT_EXPORT_MONEY},
};

static int lot_row(void *ctx, const tt_report_lot_t *l)
{
    tt_export_cell_t c[] = {
        NUM(l->lot), TXT(l->warehouse), TXT(l->item), TXT(l->item_name), TXT(l->uom),
        DAY(l->fifo_day), TXT(l->receipt_doc), TXT(l->category), TXT(l->plan_serial),
        NUM(l->received_qty), NUM(l->received_value), NUM(l->qty), NUM(l->value),
    };
    return emit(ctx, c);
}

static void run_lots(req_t *r)
{
    tt_report_total_t t = {0, 0};
    begin(r, LOT_COLS, sizeof LOT_COLS / sizeof LOT_COLS[0]);
    if (!r->status)
        fail_rc(r, tt_report_lots(r->db, r->f.warehouse, r->f.item, lot_row, r, &t));
    total(r, "qty", TT_EXPORT_QTY, t.qty);
    total(r, "value", TT_EXPORT_MONEY, t.value);
}

/* --- exceptions -------------------------------------------------------------------------- */

static const tt_export_column_t EXC_COLS[] = {
    {"terminal", "终端", "terminal", TT_EXPORT_TEXT},
    {"seq", "序号", "seq", TT_EXPORT_INT},
    {"type", "类型", "type", TT_EXPORT_TEXT},
    {"at", "服务器收到", "received", TT_EXPORT_TEXT},
    {"terminal_time", "终端时间", "terminal time", TT_EXPORT_TEXT},
    {"operator", "操作员", "operator", TT_EXPORT_TEXT},
    {"warehouse", "仓库", "warehouse", TT_EXPORT_TEXT},
    {"item", "物资编码", "item", TT_EXPORT_TEXT},
    {"qty", "数量", "quantity", TT_EXPORT_QTY},
    {"unit", "单位", "unit", TT_EXPORT_TEXT},
    {"ref", "单据号", "reference", TT_EXPORT_TEXT},
    {"reason", "拒绝原因", "reason", TT_EXPORT_TEXT},
    {"state", "状态", "state", TT_EXPORT_TEXT},
    {"movement", "更正单据行", "corrective movement", TT_EXPORT_INT},
    {"settled_by", "处理人", "settled by", TT_EXPORT_TEXT},
    {"note", "处理说明", "note", TT_EXPORT_TEXT},
    {"settled_at", "处理时间", "settled at", TT_EXPORT_TEXT},
};

/* RFC 3339 in the process's time zone (the site's); "" for none. */
static void iso_time(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char off[8];
    buf[0] = '\0';
    if (ms <= 0 || !localtime_r(&t, &tm))
        return;
    strftime(off, sizeof off, "%z", &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + strlen(buf), len - strlen(buf), "%.3s:%s", off, off + 3);
}

static int exc_row(void *ctx, const tt_report_exception_t *e)
{
    req_t *r = ctx;
    char at[40], tt[40], st[40];
    const char *state = e->settled ? "settled" : "open";
    if (!r->json)
        state = r->lang == TT_EXPORT_EN ? state : e->settled ? "已处理" : "待处理";
    iso_time(e->server_ms, at, sizeof at);
    iso_time(e->ts_ms, tt, sizeof tt);
    iso_time(e->settled_ms, st, sizeof st);
    tt_export_cell_t c[] = {
        TXT(e->terminal), NUM((int64_t)e->seq), TXT(e->type), TXT(at), TXT(tt),
        TXT(e->operator_id), TXT(e->warehouse), TXT(e->item), {.n = e->qty, .empty = !e->has_qty},
        TXT(e->unit), TXT(e->ref), TXT(e->reason), TXT(state), OPT(e->movement), TXT(e->by),
        TXT(e->note), TXT(st),
    };
    return emit(r, c);
}

static void run_exceptions(req_t *r)
{
    const char *s = r->val[A_STATE] ? r->val[A_STATE] : "open";
    tt_report_state_t state = strcmp(s, "open") == 0      ? TT_REPORT_OPEN
                              : strcmp(s, "settled") == 0 ? TT_REPORT_SETTLED
                                                          : TT_REPORT_ANY;
    tt_report_exc_cursor_t next, at = r->exc_after;
    const tt_report_exc_cursor_t *after = r->has_after ? &at : NULL;
    tt_report_exc_count_t count = {0, 0};
    size_t left = r->limit;

    memset(&next, 0, sizeof next);
    begin(r, EXC_COLS, sizeof EXC_COLS / sizeof EXC_COLS[0]);
    while (!r->status && left > 0) {
        size_t n = left < TT_REPORT_PAGE_MAX ? left : TT_REPORT_PAGE_MAX;
        fail_rc(r, tt_report_exceptions(r->db, state, r->val[A_TERMINAL], after, n, exc_row, r,
                                        &next, r->pages++ == 0 ? &count : NULL));
        left -= n;
        if (!next.more)
            break;
        at = next;
        after = &at;
    }
    if (!r->status && next.more)
        snprintf(r->next, sizeof r->next, "%s:%llu", next.terminal,
                 (unsigned long long)next.seq);
    meta_int(r, "open", count.open);       /* counts, not columns: JSON only */
    meta_int(r, "settled", count.settled);
}

/* --- routes ---------------------------------------------------------------------------------- */

#define FILTERS (B(A_ITEM) | B(A_UNIT) | B(A_WAREHOUSE) | B(A_CATEGORY) | B(A_FROM) | B(A_TO))
#define MONTHS (B(A_MONTH) | B(A_FROM) | B(A_TO))

static const route_t ROUTES[] = {
    {"/api/v1/ledger/issues", "issues", "签发台账", "Issuance ledger",
     FILTERS | B(A_AFTER) | B(A_LIMIT), 0, 0, run_issues},
    {"/api/v1/ledger/stats", "issue-stats", "发料统计", "Issue statistics",
     FILTERS | B(A_GROUP), 0, 0, run_stats},
    {"/api/v1/reports/safety", "safety", "安全费用", "Safety expenses",
     MONTHS | B(A_CATEGORY), 0, 1, run_safety},
    {"/api/v1/reports/safety/detail", "safety-detail", "安全费用明细", "Safety expense detail",
     MONTHS | B(A_CATEGORY) | B(A_PART) | B(A_AFTER) | B(A_LIMIT), B(A_PART), 1,
     run_safety_detail},
    {"/api/v1/reports/expense-tags", "expense-tags", "费用类", "Expense tags",
     MONTHS | B(A_TAG), 0, 1, run_tags},
    {"/api/v1/reports/assessment", "assessment", "交旧考核", "Old-item assessment",
     MONTHS | B(A_UNIT) | B(A_ITEM), 0, 1, run_assessment},
    {"/api/v1/reports/recovery", "recovery", "回收", "Recovery",
     MONTHS | B(A_UNIT) | B(A_ITEM), 0, 1, run_recovery},
    {"/api/v1/stock/work-areas", "work-area-stock", "工区库存", "Work-area stock",
     B(A_WAREHOUSE) | B(A_UNIT) | B(A_ITEM), 0, 0, run_work_areas},
    {"/api/v1/stock/lots", "lots", "批次", "Lots", B(A_WAREHOUSE) | B(A_ITEM), B(A_WAREHOUSE),
     0, run_lots},
    {"/api/v1/exceptions", "exceptions", "异常", "Exceptions",
     B(A_STATE) | B(A_TERMINAL) | B(A_AFTER) | B(A_LIMIT), 0, 0, run_exceptions},
};

static const route_t *find_route(const char *path)
{
    for (size_t i = 0; path && i < sizeof ROUTES / sizeof ROUTES[0]; i++)
        if (strcmp(path, ROUTES[i].path) == 0)
            return &ROUTES[i];
    return NULL;
}

int tt_reportapi_route(const char *path)
{
    return find_route(path) != NULL;
}

/* A JSON error reply. */
static tt_err_t error_reply(tt_reportapi_reply_t *reply, unsigned status, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    char *text;
    if (!o || !cJSON_AddStringToObject(o, "error", msg)) {
        cJSON_Delete(o);
        return TT_ERR_NOMEM;
    }
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return TT_ERR_NOMEM;
    reply->status = status;
    reply->body = text;
    reply->len = strlen(text);
    reply->content_type = "application/json; charset=utf-8";
    return TT_OK;
}

tt_err_t tt_reportapi_get(tt_db_t *db, const char *path, const tt_reportapi_param_t *params,
                          size_t n, const char *tmpdir, tt_reportapi_reply_t *reply)
{
    req_t *r;
    char reason[200];
    tt_err_t rc = TT_OK;

    memset(reply, 0, sizeof *reply);
    if (!find_route(path))
        return error_reply(reply, 404, "no such route");
    r = calloc(1, sizeof *r);
    if (!r)
        return TT_ERR_NOMEM;
    r->db = db;
    r->route = find_route(path);
    r->tmpdir = tmpdir;
    /* One snapshot for the parameters' checks, the rows and the totals. */
    if (tt_report_begin(db) != TT_OK) {
        free(r);
        return error_reply(reply, 500, "the store failed: cannot start a read");
    }
    parse_params(r, params, n);
    if (!r->status)
        r->route->run(r);
    tt_report_end(db);
    if (!r->status && r->json && tt_export_meta_text(r->x, "next", r->next[0] ? r->next : NULL))
        fail(r, 500, "%s", "out of memory");
    if (!r->status &&
        tt_export_finish(r->x, &reply->body, &reply->len, reason, sizeof reason) != TT_OK)
        fail(r, 500, "export: %s", reason);
    if (r->status) {
        free(reply->body);
        memset(reply, 0, sizeof *reply);
        rc = error_reply(reply, r->status, r->msg);
    } else {
        reply->status = 200;
        reply->content_type = tt_export_content_type(r->fmt);
        if (!r->json)
            snprintf(reply->filename, sizeof reply->filename, "%s%s%s%s%s.%s", r->route->name,
                     r->from_month[0] ? "-" : "", r->from_month,
                     strcmp(r->from_month, r->to_month) != 0 ? "_" : "",
                     strcmp(r->from_month, r->to_month) != 0 ? r->to_month : "",
                     tt_export_extension(r->fmt));
        snprintf(reply->next, sizeof reply->next, "%s", r->next);
    }
    tt_export_free(r->x);
    free(r);
    return rc;
}
