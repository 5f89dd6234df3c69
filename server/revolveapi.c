#include "revolveapi.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "revolve.h"

#define DAILY "/api/v1/revolving/daily"
#define RECONCILE "/api/v1/revolving/reconcile"

static const tt_export_column_t RECON_COLS[] = {
    {"model", "型号", "model", TT_EXPORT_TEXT},
    {"name", "名称", "name", TT_EXPORT_TEXT},
    {"unit", "单位", "unit", TT_EXPORT_TEXT},
    {"general", "总账", "general ledger", TT_EXPORT_QTY},
    {"units_total", "分账合计", "units' total", TT_EXPORT_QTY},
    {"in_transit", "在途", "in transit", TT_EXPORT_QTY},
    {"qty", "分账余额", "unit balance", TT_EXPORT_QTY},
    {"balanced", "平衡", "balanced", TT_EXPORT_INT},
};

static const tt_export_column_t DAILY_COLS[] = {
    {"model", "型号", "model", TT_EXPORT_TEXT},
    {"unit", "单位", "unit", TT_EXPORT_TEXT},
    {"opening", "期初", "opening", TT_EXPORT_QTY},
    {"draw", "领用", "draw", TT_EXPORT_QTY},
    {"handover_in", "交接收入", "handover in", TT_EXPORT_QTY},
    {"handover_out", "交接发出", "handover out", TT_EXPORT_QTY},
    {"returned", "拒收退回", "returned", TT_EXPORT_QTY},
    {"loss", "丢失", "loss", TT_EXPORT_QTY},
    {"burial", "封埋", "burial", TT_EXPORT_QTY},
    {"scrap", "报废", "scrap", TT_EXPORT_QTY},
    {"closing", "期末", "closing", TT_EXPORT_QTY},
    {"in_transit", "在途", "in transit", TT_EXPORT_QTY},
};

typedef struct {
    tt_export_t *x;
    char reason[200];
    int failed;
} out_t;

int tt_revolveapi_route(const char *path)
{
    return path && (strcmp(path, DAILY) == 0 || strcmp(path, RECONCILE) == 0);
}

static tt_err_t error_reply(tt_reportapi_reply_t *reply, unsigned status, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    char *text = o && cJSON_AddStringToObject(o, "error", msg) ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!text)
        return TT_ERR_NOMEM;
    free(reply->body);
    memset(reply, 0, sizeof *reply);
    reply->status = status;
    reply->body = text;
    reply->len = strlen(text);
    reply->content_type = "application/json; charset=utf-8";
    return TT_OK;
}

static int row(out_t *o, const tt_export_cell_t *cells)
{
    if (!o->failed && tt_export_row(o->x, cells, o->reason, sizeof o->reason) != TT_OK)
        o->failed = 1;
    return o->failed;
}

/* A reconciliation: one row per unit holding the model (unit columns
 * filled), or one row for a model no unit holds. */
static int recon_row(void *ctx, const tt_revolve_recon_t *r)
{
    for (size_t i = 0; i == 0 || i < r->nunits; i++) {
        tt_export_cell_t c[8] = {
            {.text = r->model}, {.text = r->name},
            {.text = r->nunits ? r->units[i].unit : NULL, .empty = !r->nunits},
            {.n = r->general}, {.n = r->units_total}, {.n = r->in_transit},
            {.n = r->nunits ? r->units[i].qty : 0, .empty = !r->nunits}, {.n = r->balanced}};
        if (row(ctx, c))
            return 1;
    }
    return 0;
}

static int daily_row(void *ctx, const tt_revolve_day_t *d)
{
    tt_export_cell_t c[12] = {
        {.text = d->model}, {.text = d->unit[0] ? d->unit : NULL, .empty = !d->unit[0]},
        {.n = d->opening}, {.n = d->draw}, {.n = d->handover_in}, {.n = d->handover_out},
        {.n = d->returned}, {.n = d->loss}, {.n = d->burial}, {.n = d->scrap},
        {.n = d->closing}, {.n = d->in_transit}};
    return row(ctx, c);
}

/* A real YYYY-MM-DD. */
static int day_ok(const char *s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, n = 0;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
        s[4] != '-' || s[7] != '-' || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    return !(m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

tt_err_t tt_revolveapi_get(tt_db_t *db, const char *path, const tt_reportapi_param_t *params,
                           size_t n, const char *tmpdir, tt_reportapi_reply_t *reply)
{
    static const char *const names[] = {"format", "lang", "model", "from", "to"};
    const char *val[5] = {NULL, NULL, NULL, NULL, NULL};
    int daily = path && strcmp(path, DAILY) == 0;
    size_t nnames = daily ? 5 : 3;
    tt_export_format_t fmt = TT_EXPORT_JSON;
    tt_export_lang_t lang = TT_EXPORT_ZH;
    tt_revolve_t *rv = NULL;
    tt_ledger_t *ledger = NULL;
    out_t o;
    char msg[160];
    tt_err_t rc;

    memset(reply, 0, sizeof *reply);
    memset(&o, 0, sizeof o);
    if (!tt_revolveapi_route(path))
        return error_reply(reply, 404, "no such route");
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < nnames && strcmp(params[i].key, names[k]) != 0)
            k++;
        if (k == nnames || val[k] || !params[i].value || !params[i].value[0]) {
            snprintf(msg, sizeof msg, "%s parameter '%.40s' for %s",
                     k == nnames ? "unknown" : "repeated or empty", params[i].key, path);
            return error_reply(reply, 400, msg);
        }
        val[k] = params[i].value;
    }
    if ((val[0] && tt_export_format_parse(val[0], &fmt) != TT_OK) ||
        (val[1] && strcmp(val[1], "zh") != 0 && strcmp(val[1], "en") != 0))
        return error_reply(reply, 400, "format is json, csv or xlsx; lang zh or en");
    if (val[1] && strcmp(val[1], "en") == 0)
        lang = TT_EXPORT_EN;
    if (daily && (!day_ok(val[3]) || !day_ok(val[4]) || strcmp(val[3], val[4]) > 0))
        return error_reply(reply, 400, "from and to are required days YYYY-MM-DD, from <= to");
    if (tt_export_new(fmt, daily ? DAILY_COLS : RECON_COLS,
                      daily ? sizeof DAILY_COLS / sizeof DAILY_COLS[0]
                            : sizeof RECON_COLS / sizeof RECON_COLS[0],
                      lang, tmpdir, daily ? (lang ? "Revolving daily" : "周转材料日报")
                                          : (lang ? "Revolving reconciliation" : "周转材料对账"),
                      &o.x, o.reason, sizeof o.reason) != TT_OK ||
        tt_export_meta_text(o.x, "report", daily ? "revolving-daily" : "revolving-reconcile"))
        return error_reply(reply, 500, "export: cannot start");
    rc = tt_ledger_open(db, &ledger);
    if (rc == TT_OK)
        rc = tt_revolve_open(db, ledger, &rv);
    if (rc == TT_OK)
        rc = daily ? tt_revolve_report_each(rv, val[3], val[4], val[2], daily_row, &o)
                   : tt_revolve_reconcile_each(rv, val[2], recon_row, &o);
    tt_revolve_close(rv);
    tt_ledger_close(ledger);
    if (rc == TT_OK && !o.failed && fmt == TT_EXPORT_JSON &&
        tt_export_meta_text(o.x, "next", NULL) != TT_OK)
        o.failed = 1;
    if (rc == TT_OK && !o.failed &&
        tt_export_finish(o.x, &reply->body, &reply->len, o.reason, sizeof o.reason) != TT_OK)
        o.failed = 1;
    tt_export_free(o.x);
    if (rc != TT_OK || o.failed) {
        snprintf(msg, sizeof msg, "revolving report failed: %.100s",
                 rc != TT_OK ? tt_strerror(rc) : o.reason);
        return error_reply(reply, rc == TT_ERR_INVAL ? 400 : 500, msg);
    }
    reply->status = 200;
    reply->content_type = tt_export_content_type(fmt);
    if (fmt != TT_EXPORT_JSON && daily)
        snprintf(reply->filename, sizeof reply->filename, "revolving-daily-%s%s%s.%s", val[3],
                 strcmp(val[3], val[4]) ? "_" : "", strcmp(val[3], val[4]) ? val[4] : "",
                 tt_export_extension(fmt));
    else if (fmt != TT_EXPORT_JSON)
        snprintf(reply->filename, sizeof reply->filename, "revolving-reconcile.%s",
                 tt_export_extension(fmt));
    return TT_OK;
}
