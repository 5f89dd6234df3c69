#include "calendar.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yamldoc.h"

/* Searching for a working day gives up after ten years: a calendar with no
 * working day for that long is broken, and the loop must end. */
#define SEARCH_DAYS 3660
/* A holiday range longer than a year is a typo. */
#define RANGE_MAX 366
/* 0001-01-01 to 1970-01-01. */
#define EPOCH_OFFSET 719162L

struct tt_cal {
    char *name;
    char *tz;
    unsigned week;          /* bit w set: ISO weekday w works */
    tt_day_t *holidays, *workdays;
    size_t nholidays, nworkdays;
};

static const int month_start[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

tt_day_t tt_cal_day(int y, int m, int d)
{
    long before = y - 1;
    long days = 365 * before + before / 4 - before / 100 + before / 400;
    days += month_start[m - 1] + (m > 2 && leap(y)) + d - 1;
    return (tt_day_t)(days - EPOCH_OFFSET);
}

void tt_cal_ymd(tt_day_t day, int *y, int *m, int *d)
{
    /* 146097 days per 400 years gives a year within one of the answer. */
    int yy = (int)(((long)day + EPOCH_OFFSET) * 400 / 146097) + 1, mm = 12;
    while (tt_cal_day(yy + 1, 1, 1) <= day)
        yy++;
    while (tt_cal_day(yy, 1, 1) > day)
        yy--;
    while (mm > 1 && tt_cal_day(yy, mm, 1) > day)
        mm--;
    *y = yy;
    *m = mm;
    *d = (int)(day - tt_cal_day(yy, mm, 1)) + 1;
}

int tt_cal_weekday(tt_day_t day)
{
    /* 1970-01-01 was a Thursday. */
    return (int)(((day % 7) + 7 + 3) % 7) + 1;
}

int tt_cal_month_days(int y, int m)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return len[m - 1] + (m == 2 && leap(y));
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

tt_err_t tt_cal_parse_date(const char *text, tt_day_t *out)
{
    int y, m, d;
    if (strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return TT_ERR_PARSE;
    y = digits(text, 4);
    m = digits(text + 5, 2);
    d = digits(text + 8, 2);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > tt_cal_month_days(y, m))
        return TT_ERR_PARSE;
    *out = tt_cal_day(y, m, d);
    return TT_OK;
}

void tt_cal_format_date(tt_day_t day, char *buf, size_t len)
{
    int y, m, d;
    tt_cal_ymd(day, &y, &m, &d);
    snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
}

tt_day_t tt_cal_day_of_ms(int64_t ms)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return 0;
    return tt_cal_day(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int64_t tt_cal_ms_of_day(tt_day_t day)
{
    struct tm tm;
    int y, m, d;
    memset(&tm, 0, sizeof tm);
    tt_cal_ymd(day, &y, &m, &d);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * 1000;
}

/* --- loading ------------------------------------------------------------------ */

typedef struct {
    const char *file;
    char *err;
    size_t errlen;
} where_t;

static tt_err_t bad(const where_t *w, const tt_yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static tt_err_t bad(const where_t *w, const tt_yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    int m;
    if (w->errlen == 0)
        return TT_ERR_PARSE;
    m = snprintf(w->err, w->errlen, "%s:%u:%u: ", w->file, n->line, n->col);
    if (m >= 0 && (size_t)m < w->errlen) {
        va_start(ap, fmt);
        vsnprintf(w->err + m, w->errlen - (size_t)m, fmt, ap);
        va_end(ap);
    }
    return TT_ERR_PARSE;
}

static int cmp_day(const void *a, const void *b)
{
    tt_day_t x = *(const tt_day_t *)a, y = *(const tt_day_t *)b;
    return (x > y) - (x < y);
}

static int has_day(const tt_day_t *set, size_t n, tt_day_t day)
{
    return n && bsearch(&day, set, n, sizeof *set, cmp_day) != NULL;
}

/* Reads a list of dates and "from..to" ranges into a sorted array. */
static tt_err_t day_list(const where_t *w, const tt_yaml_node_t *list, tt_day_t **out,
                         size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (!list)
        return TT_OK;
    if (list->kind != TT_YAML_SEQ)
        return bad(w, list, "expected a list of dates (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)");
    for (size_t i = 0; i < list->n; i++) {
        const tt_yaml_node_t *it = list->items[i];
        tt_day_t from, to;
        char a[16];
        const char *dots;
        if (it->kind != TT_YAML_SCALAR)
            return bad(w, it, "expected a date or a range of dates");
        dots = strstr(it->text, "..");
        snprintf(a, sizeof a, "%.*s", dots ? (int)(dots - it->text) : 15, it->text);
        if (tt_cal_parse_date(a, &from) != TT_OK ||
            tt_cal_parse_date(dots ? dots + 2 : a, &to) != TT_OK)
            return bad(w, it, "'%s' is not a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD",
                       it->text);
        if (to < from || to - from >= RANGE_MAX)
            return bad(w, it, "range '%s' runs backwards or is longer than a year", it->text);
        for (tt_day_t d = from; d <= to; d++) {
            if (*n == cap) {
                tt_day_t *grown = realloc(*out, (cap = cap ? cap * 2 : 32) * sizeof *grown);
                if (!grown)
                    return TT_ERR_NOMEM;
                *out = grown;
            }
            (*out)[(*n)++] = d;
        }
    }
    if (*n)   /* an empty list has no array, and qsort wants one */
        qsort(*out, *n, sizeof **out, cmp_day);
    for (size_t i = 1; i < *n; i++) {
        if ((*out)[i] == (*out)[i - 1]) {
            char date[16];
            tt_cal_format_date((*out)[i], date, sizeof date);
            return bad(w, list, "%s is listed twice", date);
        }
    }
    return TT_OK;
}

static tt_err_t week(const where_t *w, const tt_yaml_node_t *list, unsigned *mask)
{
    static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    *mask = 0;
    if (!list) {
        *mask = 0x3e;   /* Monday to Friday */
        return TT_OK;
    }
    if (list->kind != TT_YAML_SEQ || list->n == 0)
        return bad(w, list, "working_week must list at least one of mon tue wed thu fri sat sun");
    for (size_t i = 0; i < list->n; i++) {
        const tt_yaml_node_t *it = list->items[i];
        int found = 0;
        for (int d = 0; d < 7 && it->kind == TT_YAML_SCALAR; d++) {
            if (strcmp(it->text, names[d]) == 0) {
                if (*mask & (1u << (d + 1)))
                    return bad(w, it, "'%s' is listed twice", it->text);
                *mask |= 1u << (d + 1);
                found = 1;
            }
        }
        if (!found)
            return bad(w, it, "not a weekday (mon tue wed thu fri sat sun)");
    }
    return TT_OK;
}

static tt_err_t text_value(const where_t *w, const tt_yaml_node_t *root, const char *key,
                           const char *fallback, char **out)
{
    const tt_yaml_node_t *n = tt_yaml_get(root, key);
    if (n && (n->kind != TT_YAML_SCALAR || !n->text[0]))
        return bad(w, n, "%s must be a non-empty text", key);
    if (!n && !fallback)
        return bad(w, root, "missing required key '%s'", key);
    *out = strdup(n ? n->text : fallback);
    return *out ? TT_OK : TT_ERR_NOMEM;
}

tt_err_t tt_cal_load(const char *file, const char *text, size_t len, tt_cal_t **out, char *err,
                     size_t errlen)
{
    static const char *const keys[] = {"calendar", "timezone", "working_week", "holidays",
                                       "workdays"};
    where_t w = {file, err, errlen};
    tt_yaml_node_t *root;
    tt_cal_t *cal;
    tt_err_t rc;

    *out = NULL;
    rc = tt_yaml_load(file, text, len, &root, err, errlen);
    if (rc != TT_OK)
        return rc;
    cal = calloc(1, sizeof *cal);
    if (!cal) {
        tt_yaml_free(root);
        return TT_ERR_NOMEM;
    }
    if (root->kind != TT_YAML_MAP) {
        rc = bad(&w, root, "a calendar is a mapping of calendar, timezone, working_week,"
                           " holidays, workdays");
        goto out;
    }
    for (size_t i = 0; i < root->n; i++) {
        size_t k = 0;
        while (k < sizeof keys / sizeof keys[0] && strcmp(keys[k], root->keys[i]->text) != 0)
            k++;
        if (k == sizeof keys / sizeof keys[0]) {
            rc = bad(&w, root->keys[i], "unknown key '%s'", root->keys[i]->text);
            goto out;
        }
    }
    rc = text_value(&w, root, "calendar", NULL, &cal->name);
    if (rc == TT_OK)
        rc = text_value(&w, root, "timezone", "Asia/Shanghai", &cal->tz);
    if (rc == TT_OK)
        rc = week(&w, tt_yaml_get(root, "working_week"), &cal->week);
    if (rc == TT_OK)
        rc = day_list(&w, tt_yaml_get(root, "holidays"), &cal->holidays, &cal->nholidays);
    if (rc == TT_OK)
        rc = day_list(&w, tt_yaml_get(root, "workdays"), &cal->workdays, &cal->nworkdays);
    for (size_t i = 0; rc == TT_OK && i < cal->nworkdays; i++) {
        if (has_day(cal->holidays, cal->nholidays, cal->workdays[i])) {
            char date[16];
            tt_cal_format_date(cal->workdays[i], date, sizeof date);
            rc = bad(&w, tt_yaml_get(root, "workdays"), "%s is both a holiday and a working day",
                     date);
        }
    }
out:
    tt_yaml_free(root);
    if (rc != TT_OK) {
        tt_cal_free(cal);
        return rc;
    }
    *out = cal;
    return TT_OK;
}

void tt_cal_free(tt_cal_t *cal)
{
    if (!cal)
        return;
    free(cal->name);
    free(cal->tz);
    free(cal->holidays);
    free(cal->workdays);
    free(cal);
}

const char *tt_cal_name(const tt_cal_t *cal)
{
    return cal->name;
}

const char *tt_cal_timezone(const tt_cal_t *cal)
{
    return cal->tz;
}

/* --- working days -------------------------------------------------------------- */

int tt_cal_is_workday(const tt_cal_t *cal, tt_day_t day)
{
    if (has_day(cal->workdays, cal->nworkdays, day))
        return 1;
    if (has_day(cal->holidays, cal->nholidays, day))
        return 0;
    return (cal->week >> tt_cal_weekday(day)) & 1u;
}

static tt_err_t walk(const tt_cal_t *cal, tt_day_t day, int step, tt_day_t *out)
{
    for (int i = 0; i < SEARCH_DAYS; i++, day += step) {
        if (tt_cal_is_workday(cal, day)) {
            *out = day;
            return TT_OK;
        }
    }
    return TT_ERR_RANGE;
}

tt_err_t tt_cal_next_workday(const tt_cal_t *cal, tt_day_t day, tt_day_t *out)
{
    return walk(cal, day, 1, out);
}

tt_err_t tt_cal_prev_workday(const tt_cal_t *cal, tt_day_t day, tt_day_t *out)
{
    return walk(cal, day, -1, out);
}

tt_err_t tt_cal_add_workdays(const tt_cal_t *cal, tt_day_t day, int n, tt_day_t *out)
{
    if (n < 0)
        return TT_ERR_INVAL;
    if (n == 0)
        return walk(cal, day, 1, out);
    for (int i = 0; i < SEARCH_DAYS * 2; i++) {
        day++;
        if (tt_cal_is_workday(cal, day) && --n == 0) {
            *out = day;
            return TT_OK;
        }
    }
    return TT_ERR_RANGE;
}

int tt_cal_workdays_between(const tt_cal_t *cal, tt_day_t from, tt_day_t to)
{
    int n = 0;
    for (tt_day_t d = from; d < to; d++)
        n += tt_cal_is_workday(cal, d);
    return n;
}

/* --- rules --------------------------------------------------------------------- */

/* Splits text at spaces into at most `max` words; returns the count, or -1
 * when there are more. */
static int split(char *text, char **words, int max)
{
    char *save = NULL;
    int n = 0;
    for (char *tok = strtok_r(text, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (n == max)
            return -1;
        words[n++] = tok;
    }
    return n;
}

static int number(const char *s, int lo, int hi)
{
    long v = 0;
    if (!*s || strlen(s) > 5)
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v >= lo && v <= hi ? (int)v : -1;
}

tt_err_t tt_cal_rule_parse(const char *text, tt_cal_rule_t *out, char *reason, size_t rlen)
{
    char buf[TT_CAL_RULE_MAX + 1], *w[8];
    int n;
    tt_cal_rule_t r;

    memset(&r, 0, sizeof r);
    if (strlen(text) > TT_CAL_RULE_MAX || strchr(text, '\t')) {
        snprintf(reason, rlen, "date rule '%.20s...' is too long", text);
        return TT_ERR_PARSE;
    }
    strcpy(buf, text);
    n = split(buf, w, 8);
    if (n == 2 && (strcmp(w[1], "days") == 0 || strcmp(w[1], "day") == 0 ||
                   strcmp(w[1], "workdays") == 0 || strcmp(w[1], "workday") == 0)) {
        r.kind = w[1][0] == 'w' ? TT_CAL_WORKDAYS : TT_CAL_DAYS;
        r.n = number(w[0], 0, SEARCH_DAYS);
        if (r.n < 0)
            goto fail;
    } else if ((n == 4 || n == 7) && strcmp(w[1], "month") == 0) {
        r.month = strcmp(w[0], "this") == 0   ? TT_CAL_THIS
                  : strcmp(w[0], "next") == 0 ? TT_CAL_NEXT
                  : strcmp(w[0], "each") == 0 ? TT_CAL_EACH
                                              : 0;
        if (!r.month)
            goto fail;
        if (strcmp(w[2], "day") == 0) {
            r.kind = TT_CAL_MONTH_DAY;
            r.n = number(w[3], 1, 31);
        } else if (strcmp(w[2], "workday") == 0 && n == 4) {
            r.kind = TT_CAL_MONTH_WORKDAY;
            r.n = number(w[3], 1, 23);
        } else {
            goto fail;
        }
        if (r.n < 0)
            goto fail;
        if (n == 7) {
            if (strcmp(w[4], "or") != 0 || strcmp(w[6], "workday") != 0)
                goto fail;
            r.roll = strcmp(w[5], "next") == 0 ? 1 : strcmp(w[5], "previous") == 0 ? -1 : 0;
            if (!r.roll)
                goto fail;
        }
    } else {
        goto fail;
    }
    *out = r;
    return TT_OK;
fail:
    snprintf(reason, rlen,
             "'%s' is not a date rule (\"N days\", \"N workdays\", \"next month day D [or next"
             " workday]\", \"each month workday N\", ...)",
             text);
    return TT_ERR_PARSE;
}

void tt_cal_rule_format(const tt_cal_rule_t *r, char *buf, size_t len)
{
    static const char *const months[] = {"", "this", "next", "each"};
    switch (r->kind) {
    case TT_CAL_DAYS:
    case TT_CAL_WORKDAYS:
        snprintf(buf, len, "%d %s", r->n, r->kind == TT_CAL_DAYS ? "days" : "workdays");
        break;
    case TT_CAL_MONTH_DAY:
        snprintf(buf, len, "%s month day %d%s", months[r->month], r->n,
                 r->roll > 0 ? " or next workday" : r->roll < 0 ? " or previous workday" : "");
        break;
    case TT_CAL_MONTH_WORKDAY:
        snprintf(buf, len, "%s month workday %d", months[r->month], r->n);
        break;
    default:
        snprintf(buf, len, "?");
    }
}

/* The rule's date in month (y, m). */
static tt_err_t in_month(const tt_cal_t *cal, const tt_cal_rule_t *r, int y, int m, tt_day_t *out)
{
    int last = tt_cal_month_days(y, m);
    tt_day_t day;
    if (r->kind == TT_CAL_MONTH_WORKDAY) {
        tt_err_t rc = tt_cal_add_workdays(cal, tt_cal_day(y, m, 1) - 1, r->n, out);
        if (rc == TT_OK && *out > tt_cal_day(y, m, last))
            return TT_ERR_RANGE;
        return rc;
    }
    day = tt_cal_day(y, m, r->n < last ? r->n : last);
    if (r->roll > 0)
        return tt_cal_next_workday(cal, day, out);
    if (r->roll < 0)
        return tt_cal_prev_workday(cal, day, out);
    *out = day;
    return TT_OK;
}

tt_err_t tt_cal_rule_apply(const tt_cal_t *cal, const tt_cal_rule_t *r, tt_day_t from,
                           tt_day_t *out)
{
    int y, m, d;
    tt_err_t rc;

    switch (r->kind) {
    case TT_CAL_DAYS:
        return tt_cal_next_workday(cal, from + r->n, out);
    case TT_CAL_WORKDAYS:
        return tt_cal_add_workdays(cal, from, r->n, out);
    case TT_CAL_MONTH_DAY:
    case TT_CAL_MONTH_WORKDAY:
        tt_cal_ymd(from, &y, &m, &d);
        if (r->month == TT_CAL_NEXT && ++m > 12) {
            m = 1;
            y++;
        }
        rc = in_month(cal, r, y, m, out);
        if (rc != TT_OK || r->month != TT_CAL_EACH || *out >= from)
            return rc;
        if (++m > 12) {
            m = 1;
            y++;
        }
        return in_month(cal, r, y, m, out);
    }
    return TT_ERR_INVAL;
}
