/*
 * calendar: working-day calendars as data, and the date rules of workflow
 * deadlines.  Pure C, no SQL.
 *
 * A calendar file (YAML) names the working week, the public holidays and
 * the make-up working days (调休上班: China moves weekends around its
 * holidays, so a Saturday can be a working day) and the site's time zone:
 *
 *   calendar: cn-2026
 *   timezone: Asia/Shanghai
 *   working_week: [mon, tue, wed, thu, fri]
 *   holidays: [2026-01-01..2026-01-03, 2026-10-01..2026-10-07]
 *   workdays: [2026-01-04, 2026-09-20, 2026-10-10]
 *
 * Dates are whole days (tt_day_t: days since 1970-01-01, no time zone);
 * only tt_cal_day_of_ms and tt_cal_ms_of_day meet instants, and they use
 * the process's time zone, which tagtrail-server sets to the site's before
 * any thread starts.  A calendar whose timezone differs from the site's is
 * refused by the caller (it would describe some other place's days).
 *
 * Date rules (tt_cal_rule_t) are parsed from text:
 *   "N days"       N calendar days later; a date that falls on a rest day
 *                  moves to the next working day.
 *   "N workdays"   the Nth working day after; "0 workdays" is the day
 *                  itself when it is a working day, else the next one.
 *   "this|next|each month day D [or next workday|or previous workday]"
 *                  day D (past the month's end: its last day) of the
 *                  reference date's month, the month after it, or the first
 *                  such date on or after the reference date ("each").  With
 *                  "or ...", a rest day moves to the next / previous working
 *                  day; without it the date stays as it is.
 *   "this|next|each month workday N"
 *                  the month's Nth working day.
 */
#ifndef TT_CALENDAR_H
#define TT_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef int32_t tt_day_t;

/* The day of a civil date, proleptic Gregorian; y in 1..9999, m 1..12,
 * d 1..31 (not checked against the month: callers validate). */
tt_day_t tt_cal_day(int y, int m, int d);

/* The civil date of `day`. */
void tt_cal_ymd(tt_day_t day, int *y, int *m, int *d);

/* ISO weekday of `day`: 1 Monday ... 7 Sunday. */
int tt_cal_weekday(tt_day_t day);

/* Days in month m of year y (28-31). */
int tt_cal_month_days(int y, int m);

/* Parses "YYYY-MM-DD" exactly (a real date, year 1..9999).  Returns TT_OK
 * or TT_ERR_PARSE; *out is untouched on failure. */
tt_err_t tt_cal_parse_date(const char *text, tt_day_t *out);

/* Writes "YYYY-MM-DD" into buf (at least 11 bytes). */
void tt_cal_format_date(tt_day_t day, char *buf, size_t len);

/* The local date of instant `ms` (Unix milliseconds), and the instant at
 * which local day `day` begins, in the process's time zone. */
tt_day_t tt_cal_day_of_ms(int64_t ms);
int64_t tt_cal_ms_of_day(tt_day_t day);

typedef struct tt_cal tt_cal_t;

/* Loads a calendar from `len` bytes of YAML named `file` in messages.  Every
 * key is checked: unknown keys, bad dates, a range running backwards or
 * longer than a year, a day both holiday and make-up working day, an empty
 * working week.  On TT_OK *out is owned by the caller (tt_cal_free).
 * Returns TT_ERR_PARSE with "file:line:col: reason" in err, or
 * TT_ERR_NOMEM. */
tt_err_t tt_cal_load(const char *file, const char *text, size_t len, tt_cal_t **out, char *err,
                     size_t errlen);

/* Frees; NULL is accepted. */
void tt_cal_free(tt_cal_t *cal);

/* The calendar's name and time zone (owned by the calendar). */
const char *tt_cal_name(const tt_cal_t *cal);
const char *tt_cal_timezone(const tt_cal_t *cal);

/* 1 when `day` is a working day: a make-up working day always is, a
 * holiday never is, other days as the working week says. */
int tt_cal_is_workday(const tt_cal_t *cal, tt_day_t day);

/* The first working day on or after / on or before `day` into *out.
 * Returns TT_OK, or TT_ERR_RANGE when none lies within ten years. */
tt_err_t tt_cal_next_workday(const tt_cal_t *cal, tt_day_t day, tt_day_t *out);
tt_err_t tt_cal_prev_workday(const tt_cal_t *cal, tt_day_t day, tt_day_t *out);

/* The n-th working day after `day` (n >= 0; n == 0 as next_workday).
 * Returns TT_OK, TT_ERR_INVAL for n < 0 or TT_ERR_RANGE. */
tt_err_t tt_cal_add_workdays(const tt_cal_t *cal, tt_day_t day, int n, tt_day_t *out);

/* Working days in [from, to) (0 when to <= from). */
int tt_cal_workdays_between(const tt_cal_t *cal, tt_day_t from, tt_day_t to);

typedef enum {
    TT_CAL_DAYS = 1, TT_CAL_WORKDAYS, TT_CAL_MONTH_DAY, TT_CAL_MONTH_WORKDAY
} tt_cal_rule_kind_t;
typedef enum { TT_CAL_THIS = 1, TT_CAL_NEXT, TT_CAL_EACH } tt_cal_month_t;

typedef struct {
    tt_cal_rule_kind_t kind;
    int n;                  /* days, workdays, day of month or Nth working day */
    tt_cal_month_t month;   /* month rules only */
    int roll;               /* TT_CAL_MONTH_DAY: +1 next, -1 previous working day, 0 none */
} tt_cal_rule_t;

/* Longest rule text accepted. */
#define TT_CAL_RULE_MAX 64

/* Parses a rule (grammar above; N up to 3660, D 1..31, Nth workday 1..23).
 * Returns TT_OK, or TT_ERR_PARSE with the reason in `reason`. */
tt_err_t tt_cal_rule_parse(const char *text, tt_cal_rule_t *out, char *reason, size_t rlen);

/* Writes the rule back in its canonical text form. */
void tt_cal_rule_format(const tt_cal_rule_t *rule, char *buf, size_t len);

/* The date the rule gives from reference date `from`, into *out.  Returns
 * TT_OK or TT_ERR_RANGE (no working day within ten years). */
tt_err_t tt_cal_rule_apply(const tt_cal_t *cal, const tt_cal_rule_t *rule, tt_day_t from,
                           tt_day_t *out);

#endif
