/*
 * clireport: `tagtrail report` (see clireport.h).
 */
#include "clireport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpc.h"

static const tt_cli_text_t T_NAME = {"未知报表 '%s'（见 tagtrail report --help）",
                                     "unknown report '%s' (see tagtrail report --help)"};
static const tt_cli_text_t T_FORMAT = {"--format 必须是 json、csv 或 xlsx，不是 '%s'",
                                       "--format must be json, csv or xlsx, not '%s'"};
static const tt_cli_text_t T_TTY = {"XLSX 不能输出到终端：请用 --out 文件名",
                                    "XLSX cannot go to a terminal: give --out FILE"};
static const tt_cli_text_t T_LONG = {"筛选条件太长", "the filters are too long"};
static const tt_cli_text_t T_TOTAL = {"合计", "total"};
static const tt_cli_text_t T_MORE = {"还有更多行：加 --after %s 继续",
                                     "more rows follow: add --after %s"};
static const tt_cli_text_t T_SAVED = {"已写入 %s（%zu 字节）", "wrote %s (%zu bytes)"};

static const struct {
    const char *name, *path;
} REPORTS[] = {
    {"issues", "/api/v1/ledger/issues"},
    {"stats", "/api/v1/ledger/stats"},
    {"safety", "/api/v1/reports/safety"},
    {"safety-detail", "/api/v1/reports/safety/detail"},
    {"expense-tags", "/api/v1/reports/expense-tags"},
    {"assessment", "/api/v1/reports/assessment"},
    {"recovery", "/api/v1/reports/recovery"},
    {"work-areas", "/api/v1/stock/work-areas"},
    {"lots", "/api/v1/stock/lots"},
    {"exceptions", "/api/v1/exceptions"},
};

/* Options passed on as the query parameter of the same name: the server
 * checks which a report takes and their values (a 400 says what is wrong). */
static const char *const REPORT_PARAMS[] = {
    "item", "unit", "warehouse", "category", "from", "to", "month", "group",
    "part", "state", "terminal", "tag", "after", "limit", "lang",
};

/* Prints a report's JSON as a table: its own columns, headed in the user's
 * language, numbers right-aligned; then its totals and how to go on. */
static void print_report(tt_cli_lang_t lang, const cJSON *json)
{
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(json, "columns");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(json, "rows");
    const cJSON *totals = cJSON_GetObjectItemCaseSensitive(json, "totals");
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(json, "next"), *t;
    size_t n = (size_t)cJSON_GetArraySize(cols);
    tt_cli_column_t col[64];
    char cell[TT_CLI_CELL_MAX];

    if (n > 64)
        n = 64;
    for (size_t i = 0; i < n; i++) {
        const cJSON *c = cJSON_GetArrayItem(cols, (int)i);
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(c, lang == TT_CLI_EN ? "en" : "zh");
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(c, "key");
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(c, "type");
        col[i].key = cJSON_IsString(k) ? k->valuestring : "";
        col[i].head = cJSON_IsString(h) ? h->valuestring : col[i].key;
        col[i].right = cJSON_IsString(ty) && (strcmp(ty->valuestring, "qty") == 0 ||
                                              strcmp(ty->valuestring, "money") == 0 ||
                                              strcmp(ty->valuestring, "int") == 0);
    }
    tt_cli_print_table(lang, rows, col, n);
    if (cJSON_GetArraySize(totals) > 0) {
        fputs(tt_cli_text(lang, &T_TOTAL), stdout);
        cJSON_ArrayForEach(t, totals) {
            const char *label = t->string;
            for (size_t i = 0; i < n; i++)
                if (strcmp(col[i].key, t->string) == 0)
                    label = col[i].head;
            tt_cli_field_text(lang, totals, t->string, cell, sizeof cell);
            printf("  %s %s", label, cell);
        }
        putchar('\n');
    }
    if (cJSON_IsString(next))
        tt_cli_tell(lang, &T_MORE, next->valuestring);
}

/* Writes the reply as the user asked: a table, or the body as sent to
 * `out` (else standard output, JSON with a newline after it). */
static int write_report(const tt_cli_t *c, const char *format, const char *out,
                        const char *body, size_t blen, const cJSON *json)
{
    if (!format) {
        print_report(c->lang, json);
    } else if (out) {
        FILE *f = fopen(out, "wb");
        int bad = !f || fwrite(body, 1, blen, f) != blen;
        if (f && fclose(f) != 0)
            bad = 1;
        if (bad)
            return tt_cli_write_failed(c, out);
        tt_cli_tell(c->lang, &T_SAVED, out, blen);
    } else {
        fwrite(body, 1, blen, stdout);   /* main() checks stdout for errors */
        if (!strcmp(format, "json"))
            putchar('\n');
    }
    return TT_CLI_OK;
}

int tt_clireport_run(const tt_cli_t *c)
{
    const char *name = c->nrest > 0 ? c->rest[0] : "", *format = NULL, *out = NULL, *v;
    char path[2048];
    char *body = NULL;
    size_t k = 0, blen = 0;
    int rc, lang_given = 0, want_json;
    cJSON *json = NULL;
    tt_cli_t cc = *c;

    if (!strcmp(name, "--help") || !strcmp(name, "-h"))
        return tt_cli_help(c);
    while (k < sizeof REPORTS / sizeof REPORTS[0] && strcmp(name, REPORTS[k].name) != 0)
        k++;
    if (k == sizeof REPORTS / sizeof REPORTS[0]) {
        if (c->nrest == 0)
            return tt_cli_usage(c);
        tt_cli_say(c->lang, &T_NAME, name);
        return TT_CLI_USAGE;
    }
    snprintf(path, sizeof path, "%s", REPORTS[k].path);
    cc.server = NULL;
    for (int i = 1; i < c->nrest; i++) {
        const char *a = c->rest[i];
        size_t p = 0;
        while (p < sizeof REPORT_PARAMS / sizeof REPORT_PARAMS[0] &&
               (strncmp(a, "--", 2) != 0 || strcmp(a + 2, REPORT_PARAMS[p]) != 0))
            p++;
        if (strcmp(a, "-S") && strcmp(a, "--format") && strcmp(a, "--out") &&
            p == sizeof REPORT_PARAMS / sizeof REPORT_PARAMS[0])
            return tt_cli_bad_option(c, a);
        if (i + 1 >= c->nrest)
            return tt_cli_needs_value(c, a);
        v = c->rest[++i];
        if (!strcmp(a, "-S")) {
            cc.server = v;
        } else if (!strcmp(a, "--format")) {
            format = v;
        } else if (!strcmp(a, "--out")) {
            out = v;
        } else {
            /* Worst case: the name, '?' or '&', '=', and every byte escaped;
             * 32 bytes stay for format= and lang= below. */
            if (strlen(path) + strlen(a) + 3 * strlen(v) + 2 >= sizeof path - 32) {
                tt_cli_say(c->lang, &T_LONG);
                return TT_CLI_USAGE;
            }
            strcat(path, strchr(path, '?') ? "&" : "?");
            strcat(path, a + 2);
            strcat(path, "=");
            tt_httpc_pct_append(path, sizeof path, v);
            lang_given |= strcmp(a, "--lang") == 0;
        }
    }
    if (format && strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "xlsx")) {
        tt_cli_say(c->lang, &T_FORMAT, format);
        return TT_CLI_USAGE;
    }
    want_json = !format || !strcmp(format, "json");
    if (!want_json) {
        if (!out && !strcmp(format, "xlsx") && isatty(STDOUT_FILENO)) {
            tt_cli_say(c->lang, &T_TTY);
            return TT_CLI_USAGE;
        }
        strcat(path, strchr(path, '?') ? "&format=" : "?format=");
        strcat(path, format);
    }
    /* Headers and names in the user's language unless told. */
    if (!lang_given && c->lang == TT_CLI_EN)
        strcat(path, strchr(path, '?') ? "&lang=en" : "?lang=en");
    if (!cc.server)
        cc.server = (v = getenv("TT_SERVER")) != NULL && *v ? v : TT_CLI_DEFAULT_SERVER;
    rc = tt_cli_http_get(&cc, path, want_json, &body, &blen, &json);
    if (rc == TT_CLI_OK)
        rc = write_report(c, format, out, body, blen, json);
    cJSON_Delete(json);
    free(body);
    return rc;
}
