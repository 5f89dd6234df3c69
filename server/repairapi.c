/*
 * repairapi: the equipment and repair GET routes (see repairapi.h).
 */
#include "repairapi.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "repairview.h"
#include "report.h"

enum { A_STATE, A_UNIT, A_ASSET, A_TAG, A_MODEL, A_FROM, A_TO, A_FORMAT, A_LANG, A_N };

static const char *const ARG[A_N] = {"state", "unit",   "asset",  "tag", "model",
                                     "from",  "to",     "format", "lang"};

#define B(a) (1u << (a))

typedef struct req req_t;

typedef struct {
    const char *path;
    const char *name;                  /* the download's file name stem */
    const char *title;                 /* the XLSX sheet */
    unsigned args;                     /* B(A_*) accepted besides format and lang */
    int months;                        /* from / to are months (else days) */
    const tt_export_column_t *cols;
    size_t ncols;
    tt_err_t (*run)(req_t *r);
} route_t;

struct req {
    tt_db_t *db;
    const route_t *route;
    const char *val[A_N];
    tt_export_t *x;
    tt_err_t rowrc;
    char reason[256];
    int64_t rows;
};

static const tt_export_column_t equipment_cols[] = {
    {"asset", "资产编号", "asset", TT_EXPORT_TEXT},
    {"model", "型号", "model", TT_EXPORT_TEXT},
    {"giai", "RFID 标签", "RFID tag (GIAI)", TT_EXPORT_TEXT},
    {"barcode", "条码", "barcode", TT_EXPORT_TEXT},
    {"state", "状态", "state", TT_EXPORT_TEXT},
    {"unit", "单位", "unit", TT_EXPORT_TEXT},
    {"day", "状态日期", "since (day)", TT_EXPORT_DAY},
    {"since_ms", "状态时间", "since (ms)", TT_EXPORT_INT},
    {"repair", "在修单号", "open repair", TT_EXPORT_INT},
};

static const tt_export_column_t archive_cols[] = {
    {"id", "单据号", "document", TT_EXPORT_INT},
    {"repair", "维修号", "repair", TT_EXPORT_INT},
    {"asset", "资产编号", "asset", TT_EXPORT_TEXT},
    {"model", "型号", "model", TT_EXPORT_TEXT},
    {"kind", "单据", "kind", TT_EXPORT_TEXT},
    {"result", "结果", "result", TT_EXPORT_TEXT},
    {"contents", "内容", "contents", TT_EXPORT_TEXT},
    {"people", "人员", "people", TT_EXPORT_TEXT},
    {"operator", "操作员", "operator", TT_EXPORT_TEXT},
    {"day", "日期", "day", TT_EXPORT_DAY},
    {"at_ms", "时间", "at (ms)", TT_EXPORT_INT},
    {"origin", "来源", "origin", TT_EXPORT_TEXT},
    {"terminal", "终端", "terminal", TT_EXPORT_TEXT},
    {"seq", "序号", "seq", TT_EXPORT_INT},
    {"unit", "单位", "unit", TT_EXPORT_TEXT},
    {"state", "之后状态", "state after", TT_EXPORT_TEXT},
    {"labour_minutes", "工时(分钟)", "labour minutes", TT_EXPORT_INT},
    {"labour", "人工费", "labour", TT_EXPORT_MONEY},
    {"machine", "机械费", "machine", TT_EXPORT_MONEY},
    {"auxiliary", "辅材费", "auxiliary", TT_EXPORT_MONEY},
    {"standard", "鉴定标准", "standard", TT_EXPORT_MONEY},
    {"quota", "主材定额", "material quota", TT_EXPORT_MONEY},
    {"consumables", "维修耗材", "consumables", TT_EXPORT_MONEY},
    {"consumable_lines", "耗材明细", "consumable lines", TT_EXPORT_TEXT},
    {"ledger_doc", "出库单号", "ledger document", TT_EXPORT_TEXT},
};

static const tt_export_column_t cycle_cols[] = {
    {"stage", "阶段", "stage", TT_EXPORT_TEXT},
    {"repairs", "次数", "repairs", TT_EXPORT_INT},
    {"median_h", "中位数(小时)", "median (h)", TT_EXPORT_INT},
    {"p90_h", "90分位(小时)", "90th percentile (h)", TT_EXPORT_INT},
};

static const tt_export_column_t cost_cols[] = {
    {"unit", "单位", "unit", TT_EXPORT_TEXT},
    {"model", "型号", "model", TT_EXPORT_TEXT},
    {"month", "月份", "month", TT_EXPORT_TEXT},
    {"repairs", "维修次数", "repairs", TT_EXPORT_INT},
    {"labour", "人工费", "labour", TT_EXPORT_MONEY},
    {"machine", "机械费", "machine", TT_EXPORT_MONEY},
    {"auxiliary", "辅材费", "auxiliary", TT_EXPORT_MONEY},
    {"consumables", "维修耗材", "consumables", TT_EXPORT_MONEY},
    {"total", "维修总费用", "total", TT_EXPORT_MONEY},
    {"standard", "鉴定标准", "standard", TT_EXPORT_MONEY},
    {"quota", "主材定额", "material quota", TT_EXPORT_MONEY},
    {"over_standard", "超标准", "over standard", TT_EXPORT_MONEY},
    {"over_quota", "耗材超定额", "consumables over quota", TT_EXPORT_MONEY},
};

#define NCOLS(a) (sizeof a / sizeof a[0])

static const char *v(const req_t *r, int a)
{
    return r->val[a] && *r->val[a] ? r->val[a] : NULL;
}

static void add(req_t *r, const tt_export_cell_t *cells)
{
    if (r->rowrc == TT_OK)
        r->rowrc = tt_export_row(r->x, cells, r->reason, sizeof r->reason);
    r->rows++;
}

#define TXT(s) {(s), 0, 0}
#define NUM(x) {NULL, (x), 0}

static int equipment_row(void *ctx, const tt_repair_asset_t *a)
{
    req_t *r = ctx;
    tt_export_cell_t c[] = {TXT(a->asset), TXT(a->model), TXT(a->giai), TXT(a->barcode),
                            TXT(a->state), TXT(a->unit), {a->day, 0, !a->day[0]},
                            NUM(a->since_ms), {NULL, a->repair, !a->repair}};
    add(r, c);
    return r->rowrc != TT_OK;
}

static tt_err_t run_equipment(req_t *r)
{
    return tt_repair_equipment_each(r->db, v(r, A_STATE), v(r, A_UNIT), equipment_row, r);
}

static int archive_row(void *ctx, const tt_repair_entry_t *e)
{
    req_t *r = ctx;
    int costs = e->has_costs;
    tt_export_cell_t c[] = {
        NUM(e->id), {NULL, e->repair, !e->repair}, TXT(e->asset), TXT(e->model), TXT(e->kind),
        TXT(e->result), TXT(e->contents), TXT(e->people), TXT(e->operator_id), TXT(e->day),
        NUM(e->at_ms), TXT(e->origin), TXT(e->terminal), {NULL, (int64_t)e->seq, !e->seq},
        TXT(e->unit), TXT(e->state), {NULL, e->labour_minutes, !costs},
        {NULL, e->labour_fen, !costs}, {NULL, e->machine_fen, !costs},
        {NULL, e->auxiliary_fen, !costs}, {NULL, e->standard_fen, !costs},
        {NULL, e->quota_fen, !e->quota_fen && !costs}, {NULL, e->consumables_fen,
                                                        !e->ledger_doc[0]},
        TXT(e->consumables), TXT(e->ledger_doc)};
    add(r, c);
    return r->rowrc != TT_OK;
}

static tt_err_t run_archive(req_t *r)
{
    tt_repair_filter_t f = {v(r, A_ASSET), v(r, A_TAG), v(r, A_MODEL), v(r, A_UNIT),
                            v(r, A_FROM), v(r, A_TO)};
    return tt_repair_archive_each(r->db, &f, archive_row, r);
}

static tt_err_t run_cycles(req_t *r)
{
    tt_repair_stage_t st[TT_REPAIR_STAGES];
    tt_err_t rc = tt_repair_cycles(r->db, v(r, A_FROM), v(r, A_TO), v(r, A_UNIT), st);
    for (size_t i = 0; rc == TT_OK && i < TT_REPAIR_STAGES; i++) {
        tt_export_cell_t c[] = {TXT(tt_repair_stage_name(i)), NUM((int64_t)st[i].n),
                                {NULL, st[i].median_h, !st[i].n}, {NULL, st[i].p90_h, !st[i].n}};
        add(r, c);
    }
    return rc;
}

static int cost_row(void *ctx, const tt_repair_cost_t *k)
{
    req_t *r = ctx;
    tt_export_cell_t c[] = {TXT(k->unit), TXT(k->model), TXT(k->month), NUM(k->repairs),
                            NUM(k->labour_fen), NUM(k->machine_fen), NUM(k->auxiliary_fen),
                            NUM(k->consumables_fen), NUM(k->total_fen), NUM(k->standard_fen),
                            NUM(k->quota_fen), NUM(k->total_fen - k->standard_fen),
                            NUM(k->consumables_fen - k->quota_fen)};
    add(r, c);
    return r->rowrc != TT_OK;
}

static tt_err_t run_costs(req_t *r)
{
    return tt_repair_costs_each(r->db, v(r, A_FROM), v(r, A_TO), v(r, A_UNIT), v(r, A_MODEL),
                                cost_row, r);
}

static const route_t routes[] = {
    {"/api/v1/equipment", "equipment", "设备", B(A_STATE) | B(A_UNIT), 0, equipment_cols,
     NCOLS(equipment_cols), run_equipment},
    {"/api/v1/equipment/archive", "equipment-archive", "设备档案",
     B(A_ASSET) | B(A_TAG) | B(A_MODEL) | B(A_UNIT) | B(A_FROM) | B(A_TO), 0, archive_cols,
     NCOLS(archive_cols), run_archive},
    {"/api/v1/reports/repair-cycles", "repair-cycles", "维修周期",
     B(A_FROM) | B(A_TO) | B(A_UNIT), 0,
     cycle_cols, NCOLS(cycle_cols), run_cycles},
    {"/api/v1/reports/repair-costs", "repair-costs", "维修费用",
     B(A_FROM) | B(A_TO) | B(A_UNIT) | B(A_MODEL), 1, cost_cols, NCOLS(cost_cols), run_costs},
};

static const route_t *find(const char *path)
{
    for (size_t i = 0; i < NCOLS(routes); i++)
        if (strcmp(path, routes[i].path) == 0)
            return &routes[i];
    return NULL;
}

int tt_repairapi_route(const char *path)
{
    return find(path) != NULL;
}

/* A JSON error reply. */
__attribute__((format(printf, 3, 4))) static tt_err_t error(tt_reportapi_reply_t *reply,
                                                           unsigned status, const char *fmt, ...)
{
    char msg[320];
    cJSON *o = cJSON_CreateObject();
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply->status = status;
    reply->content_type = "application/json; charset=utf-8";
    reply->body = o && cJSON_AddStringToObject(o, "error", msg) ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!reply->body)
        return TT_ERR_NOMEM;
    reply->len = strlen(reply->body);
    return TT_OK;
}

/* Printable text of at most 255 bytes, no control characters. */
static int text_ok(const char *s)
{
    size_t n = strlen(s);
    if (n > 255)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* One of the states of shared/assets.h. */
static int state_ok(const char *s)
{
    static const char *const states[] = {"registered", "in_use",   "standby", "received",
                                         "in_repair",  "in_stock", "accepted"};
    for (size_t i = 0; i < NCOLS(states); i++)
        if (strcmp(s, states[i]) == 0)
            return 1;
    return 0;
}

tt_err_t tt_repairapi_get(tt_db_t *db, const char *path, const tt_reportapi_param_t *params,
                          size_t n, const char *tmpdir, tt_reportapi_reply_t *reply)
{
    req_t r;
    tt_export_format_t fmt = TT_EXPORT_JSON;
    tt_export_lang_t lang = TT_EXPORT_ZH;
    char *buf = NULL;
    size_t len = 0;
    tt_err_t rc;

    memset(reply, 0, sizeof *reply);
    memset(&r, 0, sizeof r);
    r.db = db;
    r.route = find(path);
    if (!r.route)
        return error(reply, 404, "no such route");
    if (n > TT_REPORTAPI_PARAMS_MAX)
        return error(reply, 400, "too many parameters");
    for (size_t i = 0; i < n; i++) {
        int a = -1;
        for (int k = 0; k < A_N; k++)
            if (params[i].key && strcmp(params[i].key, ARG[k]) == 0)
                a = k;
        if (a < 0 || (a != A_FORMAT && a != A_LANG && !(r.route->args & B(a))))
            return error(reply, 400, "unknown parameter: %s", params[i].key ? params[i].key : "");
        if (r.val[a])
            return error(reply, 400, "parameter given twice: %s", ARG[a]);
        r.val[a] = params[i].value ? params[i].value : "";
        if (!text_ok(r.val[a]))
            return error(reply, 400, "%s: text of at most 255 bytes", ARG[a]);
    }
    if (v(&r, A_FORMAT) && tt_export_format_parse(v(&r, A_FORMAT), &fmt) != TT_OK)
        return error(reply, 400, "format: json, csv or xlsx");
    if (v(&r, A_LANG)) {
        if (strcmp(v(&r, A_LANG), "en") == 0)
            lang = TT_EXPORT_EN;
        else if (strcmp(v(&r, A_LANG), "zh") != 0)
            return error(reply, 400, "lang: zh or en");
    }
    for (int a = A_FROM; a <= A_TO; a++)
        if (v(&r, a) && !(r.route->months ? tt_report_month_valid(v(&r, a))
                                          : tt_report_day_valid(v(&r, a))))
            return error(reply, 400, "%s: not a %s", ARG[a],
                         r.route->months ? "month (YYYY-MM)" : "date (YYYY-MM-DD)");
    if (v(&r, A_STATE) && !state_ok(v(&r, A_STATE)))
        return error(reply, 400, "state: registered, in_use, standby, received, in_repair, "
                                 "in_stock or accepted");
    rc = tt_export_new(fmt, r.route->cols, r.route->ncols, lang, tmpdir, r.route->title, &r.x,
                       r.reason, sizeof r.reason);
    if (rc == TT_ERR_NOMEM)
        return rc;
    if (rc != TT_OK)
        return error(reply, 500, "%s", r.reason);
    rc = tt_report_begin(db);
    if (rc == TT_OK) {
        rc = r.route->run(&r);
        tt_report_end(db);
    }
    if (rc == TT_OK && r.rowrc != TT_OK)
        rc = r.rowrc;
    if (rc == TT_OK)
        rc = tt_export_meta_int(r.x, "total_rows", r.rows);
    if (rc == TT_OK)
        rc = tt_export_finish(r.x, &buf, &len, r.reason, sizeof r.reason);
    tt_export_free(r.x);
    if (rc == TT_ERR_NOMEM)
        return rc;
    if (rc != TT_OK)
        return error(reply, 500, "%s%s%s", tt_strerror(rc), r.reason[0] ? ": " : "", r.reason);
    reply->status = 200;
    reply->body = buf;
    reply->len = len;
    reply->content_type = tt_export_content_type(fmt);
    if (fmt != TT_EXPORT_JSON)
        snprintf(reply->filename, sizeof reply->filename, "%s.%s", r.route->name,
                 tt_export_extension(fmt));
    return TT_OK;
}
