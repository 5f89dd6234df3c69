#include "report.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Statements are built per call from fixed fragments (never from caller
 * text: every value is bound), so that each one names only the filters it
 * has and SQLite picks the index that fits them (a "(?1 IS NULL OR x = ?1)"
 * statement would defeat the indexes).  Reports run at the office's pace,
 * so preparing each time costs nothing that matters.
 *
 * agg_issue keeps the non-safety part of issues under category ''
 * (NO_CAT); a value marked as used for safety is under the mark's category
 * with marked = 1.
 */
#define NO_CAT "''"
#define SQL_MAX 3072
#define BINDS_MAX 24

typedef struct {
    char sql[SQL_MAX];
    size_t len;
    int overflow;
    int n;
    struct {
        const char *s;        /* text, or NULL for an integer */
        int64_t i;
    } v[BINDS_MAX];
} q_t;

static void q_sql(q_t *q, const char *frag)
{
    size_t n = strlen(frag);
    if (q->len + n + 1 > sizeof q->sql) {
        q->overflow = 1;
        return;
    }
    memcpy(q->sql + q->len, frag, n + 1);
    q->len += n;
}

/* Appends `frag`, which holds one '?', bound to text `s`. */
static void q_text(q_t *q, const char *frag, const char *s)
{
    if (q->n == BINDS_MAX) {
        q->overflow = 1;
        return;
    }
    q->v[q->n].s = s;
    q->v[q->n++].i = 0;
    q_sql(q, frag);
}

static void q_int(q_t *q, const char *frag, int64_t i)
{
    if (q->n == BINDS_MAX) {
        q->overflow = 1;
        return;
    }
    q->v[q->n].s = NULL;
    q->v[q->n++].i = i;
    q_sql(q, frag);
}

/* Prepares and binds.  The builder's limits are far above what the fixed
 * fragments need; overflowing them is a bug, reported as TT_ERR_DB. */
static tt_err_t q_prepare(tt_db_t *db, q_t *q, sqlite3_stmt **st)
{
    *st = NULL;
    if (q->overflow || sqlite3_prepare_v2(tt_db_sqlite(db), q->sql, (int)q->len + 1, st,
                                          NULL) != SQLITE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
        return TT_ERR_DB;
    }
    for (int i = 0; i < q->n; i++) {
        if (q->v[i].s)
            sqlite3_bind_text(*st, i + 1, q->v[i].s, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(*st, i + 1, q->v[i].i);
    }
    return TT_OK;
}

static const char *col_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

/* Ends a stepping loop: rc is the last sqlite3_step result. */
static tt_err_t finish(sqlite3_stmt *st, int rc)
{
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

/* finish(), then TT_ERR_RANGE if a total overflowed on the way. */
static tt_err_t finish_sum(sqlite3_stmt *st, int rc, int overflow)
{
    tt_err_t err = finish(st, rc);
    return err == TT_OK && overflow ? TT_ERR_RANGE : err;
}

static int add_fen(tt_fen_t *sum, tt_fen_t v)
{
    return tt_money_add(*sum, v, sum) == TT_OK;
}

static int add_qty(tt_qty_t *sum, tt_qty_t v)
{
    return tt_qty_add(*sum, v, sum) == TT_OK;
}

tt_err_t tt_report_begin(tt_db_t *db)
{
    /* Deferred: the snapshot is taken at the first read; no write lock. */
    return sqlite3_exec(tt_db_sqlite(db), "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? TT_OK
                                                                                 : TT_ERR_DB;
}

void tt_report_end(tt_db_t *db)
{
    sqlite3_exec(tt_db_sqlite(db), "COMMIT", NULL, NULL, NULL);
}

/* --- validation ------------------------------------------------------------ */

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int tt_report_month_valid(const char *s)
{
    int y, m;
    if (!s || strlen(s) != 7 || s[4] != '-' || !digits(s, 4) || !digits(s + 5, 2))
        return 0;
    y = atoi(s);
    m = atoi(s + 5);
    return y >= 1900 && m >= 1 && m <= 12;
}

int tt_report_day_valid(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    char month[8];
    int y, m, d;
    if (!s || strlen(s) != 10 || s[7] != '-' || !digits(s + 8, 2))
        return 0;
    memcpy(month, s, 7);
    month[7] = '\0';
    if (!tt_report_month_valid(month))
        return 0;
    y = atoi(s);
    m = atoi(s + 5);
    d = atoi(s + 8);
    return d >= 1 && d <= mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) ||
                                                     y % 400 == 0));
}

/* A month range as a day range: 'YYYY-MM-01' .. 'YYYY-MM-31' (days compare
 * as text, so the 31st bounds every month). */
static int month_days(const char *from_month, const char *to_month, char from[11], char to[11])
{
    if (!tt_report_month_valid(from_month) || !tt_report_month_valid(to_month) ||
        strcmp(from_month, to_month) > 0)
        return 0;
    snprintf(from, 11, "%.7s-01", from_month);
    snprintf(to, 11, "%.7s-31", to_month);
    return 1;
}

static int filter_valid(const tt_report_filter_t *f)
{
    return (!f->from || tt_report_day_valid(f->from)) && (!f->to || tt_report_day_valid(f->to));
}

tt_err_t tt_report_exists(tt_db_t *db, tt_report_key_t kind, const char *key)
{
    static const char *const sql[] = {
        [TT_REPORT_UNIT] = "SELECT 1 FROM unit WHERE id = ?",
        [TT_REPORT_WAREHOUSE] = "SELECT 1 FROM warehouse WHERE id = ?",
        [TT_REPORT_ITEM] = "SELECT 1 FROM item WHERE code = ?",
        [TT_REPORT_CATEGORY] = "SELECT 1 FROM safety_category WHERE code = ?",
    };
    sqlite3_stmt *st;
    int rc;
    if (kind < TT_REPORT_UNIT || kind > TT_REPORT_CATEGORY || !key)
        return TT_ERR_INVAL;
    if (sqlite3_prepare_v2(tt_db_sqlite(db), sql[kind], -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? TT_OK : rc == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
}

/* --- allocation lines ------------------------------------------------------ */

/* The columns of an allocation line; FROM alloc a, with mv (movement), i
 * (item), m (the safety mark: a category column) and e (expense_tag)
 * joined after it.  A stock-back row gives back part of an issue's
 * allocation (a.reverses), and shows that issue's mark and tag. */
#define LINE_COLUMNS                                                                   \
    "SELECT a.id, a.movement, a.kind, mv.doc, mv.line, a.day, a.warehouse,"            \
    " COALESCE(a.unit, ''), a.item, COALESCE(i.name, ''), COALESCE(i.uom, ''), a.qty," \
    " a.value_fen, a.lot, a.receipt_doc, COALESCE(a.category, ''),"                    \
    " COALESCE(m.category, ''), COALESCE(e.tag, ''), COALESCE(a.reverses, 0)"
#define LINE_JOINS                                                                   \
    " JOIN movement mv ON mv.id = a.movement LEFT JOIN item i ON i.code = a.item"
/* The movement an allocation line belongs to for marks and tags. */
#define LINE_ISSUE_JOIN " LEFT JOIN alloc rv ON rv.id = a.reverses AND a.kind = 'stockback'"
#define LINE_ISSUE_MV "COALESCE(rv.movement, a.movement)"
#define LINE_MARK_JOIN                                                                 \
    " LEFT JOIN safety_mark m ON m.movement = " LINE_ISSUE_MV " AND m.lot = a.lot"
#define LINE_TAG_JOIN " LEFT JOIN expense_tag e ON e.movement = " LINE_ISSUE_MV
/* Issue and stock-back lines as they stand: a backdated entry's
 * re-allocation reverses an issue's allocations (issue rows with reverses
 * set, cancelling the rows they reverse) and adds new ones; the listings
 * show the new ones only (the change itself is in realloc). */
#define LINE_KINDS                                                                     \
    " a.kind IN ('issue', 'stockback') AND NOT (a.kind = 'issue' AND"                  \
    " (a.reverses IS NOT NULL OR EXISTS (SELECT 1 FROM alloc r WHERE r.reverses = a.id" \
    " AND r.kind = 'issue')))"

/* Reads up to limit + 1 rows of a (day, id)-ordered statement: limit go to
 * fn, the one more only tells that there is more. */
static tt_err_t read_lines(sqlite3_stmt *st, size_t limit, tt_report_line_fn fn, void *ctx,
                           tt_report_cursor_t *next)
{
    tt_report_cursor_t last = {0, "", 0};
    size_t n = 0;
    int rc, stop = 0;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_report_line_t r;
        if (n == limit) {
            last.more = 1;
            break;
        }
        memset(&r, 0, sizeof r);
        r.id = sqlite3_column_int64(st, 0);
        r.movement = sqlite3_column_int64(st, 1);
        r.kind = col_text(st, 2);
        r.doc = col_text(st, 3);
        r.line = sqlite3_column_int(st, 4);
        r.day = col_text(st, 5);
        r.warehouse = col_text(st, 6);
        r.unit = col_text(st, 7);
        r.item = col_text(st, 8);
        r.item_name = col_text(st, 9);
        r.uom = col_text(st, 10);
        r.qty = sqlite3_column_int64(st, 11);
        r.value = sqlite3_column_int64(st, 12);
        r.lot = sqlite3_column_int64(st, 13);
        r.receipt_doc = col_text(st, 14);
        r.category = col_text(st, 15);
        r.mark_category = col_text(st, 16);
        r.expense_tag = col_text(st, 17);
        r.reverses = sqlite3_column_int64(st, 18);
        snprintf(last.day, sizeof last.day, "%s", r.day);
        last.id = r.id;
        n++;
        if (fn(ctx, &r)) {
            stop = 1;
            break;
        }
    }
    if (next) {
        *next = last;
        next->more = last.more || stop;
    }
    return finish(st, rc);
}

static void keyset(q_t *q, const tt_report_cursor_t *after)
{
    if (after) {
        q_text(q, " AND (a.day, a.id) > (?,", after->day);
        q_int(q, " ?)", after->id);
    }
}

/* The filter on agg_issue g (totals, statistics). */
static void agg_filter(q_t *q, const tt_report_filter_t *f)
{
    if (f->from)
        q_text(q, " AND g.day >= ?", f->from);
    if (f->to)
        q_text(q, " AND g.day <= ?", f->to);
    if (f->item)
        q_text(q, " AND g.item = ?", f->item);
    if (f->unit)
        q_text(q, " AND g.unit = ?", f->unit);
    if (f->warehouse)
        q_text(q, " AND g.warehouse = ?", f->warehouse);
    if (f->category && strcmp(f->category, TT_REPORT_NO_CATEGORY) == 0)
        q_sql(q, " AND g.category = " NO_CAT);
    else if (f->category)
        q_text(q, " AND g.category = ?", f->category);
}

static tt_err_t issue_total(tt_db_t *db, const tt_report_filter_t *f, tt_report_total_t *total)
{
    q_t q = {.len = 0};
    sqlite3_stmt *st;
    tt_err_t err;
    int rc;

    q_sql(&q, "SELECT COALESCE(SUM(g.qty), 0), COALESCE(SUM(g.value_fen), 0)"
              " FROM agg_issue g WHERE 1");
    agg_filter(&q, f);
    if ((err = q_prepare(db, &q, &st)) != TT_OK)
        return err;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        total->qty = sqlite3_column_int64(st, 0);
        total->value = sqlite3_column_int64(st, 1);
    }
    return finish(st, rc);
}

tt_err_t tt_report_issues(tt_db_t *db, const tt_report_filter_t *f,
                          const tt_report_cursor_t *after, size_t limit,
                          tt_report_line_fn fn, void *ctx, tt_report_cursor_t *next,
                          tt_report_total_t *total)
{
    q_t q = {.len = 0};
    sqlite3_stmt *st;
    tt_err_t err;

    if (!filter_valid(f) || limit == 0 || limit > TT_REPORT_PAGE_MAX ||
        (after && !tt_report_day_valid(after->day)))
        return TT_ERR_INVAL;
    if (total) {
        total->qty = total->value = 0;
        if ((err = issue_total(db, f, total)) != TT_OK)
            return err;
    }
    q_sql(&q, LINE_COLUMNS " FROM alloc a" LINE_JOINS LINE_ISSUE_JOIN LINE_MARK_JOIN
              LINE_TAG_JOIN " WHERE" LINE_KINDS);
    if (f->from)
        q_text(&q, " AND a.day >= ?", f->from);
    if (f->to)
        q_text(&q, " AND a.day <= ?", f->to);
    if (f->item)
        q_text(&q, " AND a.item = ?", f->item);
    if (f->unit)
        q_text(&q, " AND a.unit = ?", f->unit);
    if (f->warehouse)
        q_text(&q, " AND a.warehouse = ?", f->warehouse);
    if (f->category && strcmp(f->category, TT_REPORT_NO_CATEGORY) == 0)
        q_sql(&q, " AND a.category IS NULL AND m.category IS NULL");
    else if (f->category)
        q_text(&q, " AND COALESCE(a.category, m.category) = ?", f->category);
    keyset(&q, after);
    q_int(&q, " ORDER BY a.day, a.id LIMIT ?", (int64_t)limit + 1);
    if ((err = q_prepare(db, &q, &st)) != TT_OK)
        return err;
    return read_lines(st, limit, fn, ctx, next);
}

tt_err_t tt_report_safety_detail(tt_db_t *db, const char *from_month, const char *to_month,
                                 const char *category, tt_report_part_t part,
                                 const tt_report_cursor_t *after, size_t limit,
                                 tt_report_line_fn fn, void *ctx, tt_report_cursor_t *next)
{
    q_t q = {.len = 0};
    char from[11], to[11];
    sqlite3_stmt *st;
    tt_err_t err;

    if (!month_days(from_month, to_month, from, to) || limit == 0 ||
        limit > TT_REPORT_PAGE_MAX || (part != TT_REPORT_PART_A && part != TT_REPORT_PART_B) ||
        (after && !tt_report_day_valid(after->day)))
        return TT_ERR_INVAL;
    if (part == TT_REPORT_PART_A) {
        q_sql(&q, LINE_COLUMNS " FROM alloc a" LINE_JOINS LINE_ISSUE_JOIN LINE_MARK_JOIN
                  LINE_TAG_JOIN " WHERE" LINE_KINDS " AND a.category IS NOT NULL");
        if (category)
            q_text(&q, " AND a.category = ?", category);
    } else {
        /* Marks are few and made by hand: start from them (CROSS JOIN fixes
         * the order), not from every allocation of the months.  A marked
         * allocation is the issue's rows on the lot (a re-allocation's
         * reversals included) and the stock-backs of them. */
        q_sql(&q, "WITH m (id, category) AS (SELECT x.id, k.category FROM safety_mark k"
                  " CROSS JOIN alloc x ON x.movement = k.movement AND x.lot = k.lot"
                  " WHERE x.kind = 'issue'");
        if (category)
            q_text(&q, " AND k.category = ?", category);
        q_sql(&q, " UNION ALL SELECT s.id, k.category FROM safety_mark k"
                  " CROSS JOIN alloc x ON x.movement = k.movement AND x.lot = k.lot"
                  " CROSS JOIN alloc s ON s.reverses = x.id"
                  " WHERE x.kind = 'issue' AND s.kind = 'stockback'");
        if (category)
            q_text(&q, " AND k.category = ?", category);
        q_sql(&q, ") " LINE_COLUMNS " FROM m CROSS JOIN alloc a ON a.id = m.id" LINE_JOINS
                  LINE_ISSUE_JOIN LINE_TAG_JOIN " WHERE" LINE_KINDS);
    }
    q_text(&q, " AND a.day >= ?", from);
    q_text(&q, " AND a.day <= ?", to);
    keyset(&q, after);
    q_int(&q, " ORDER BY a.day, a.id LIMIT ?", (int64_t)limit + 1);
    if ((err = q_prepare(db, &q, &st)) != TT_OK)
        return err;
    return read_lines(st, limit, fn, ctx, next);
}

/* --- statistics and the safety report -------------------------------------- */

tt_err_t tt_report_stats(tt_db_t *db, const tt_report_filter_t *f, unsigned by,
                         tt_report_stat_fn fn, void *ctx, tt_report_total_t *total)
{
    static const struct {
        unsigned bit;
        const char *expr;    /* the dimension's column of the inner query */
    } dims[] = {
        {TT_REPORT_BY_MONTH, "substr(g.day, 1, 7)"}, {TT_REPORT_BY_UNIT, "g.unit"},
        {TT_REPORT_BY_ITEM, "g.item"}, {TT_REPORT_BY_CATEGORY, "g.category"},
        {TT_REPORT_BY_CATEGORY, "g.marked"}, {TT_REPORT_BY_WAREHOUSE, "g.warehouse"},
    };
    static const char *const names[] = {"month", "unit", "item", "category", "marked",
                                        "warehouse"};
    q_t q = {.len = 0};
    sqlite3_stmt *st;
    tt_report_total_t sum = {0, 0};
    tt_err_t err;
    int rc, first = 1, overflow = 0;
    char part[96];

    if (!filter_valid(f) || by == 0 || (by & ~(unsigned)0x1f))
        return TT_ERR_INVAL;
    /* Inner: the sums per group; outer: names joined once per group. */
    q_sql(&q, "SELECT s.month, s.unit, COALESCE(u.name, ''), s.item, COALESCE(i.name, ''),"
              " COALESCE(i.uom, ''), s.category, s.marked, s.warehouse, s.qty, s.value"
              " FROM (SELECT");
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++) {
        snprintf(part, sizeof part, " %s AS %s,", by & dims[k].bit ? dims[k].expr :
                 strcmp(names[k], "marked") == 0 ? "0" : "''", names[k]);
        q_sql(&q, part);
    }
    q_sql(&q, " SUM(g.qty) AS qty, SUM(g.value_fen) AS value FROM agg_issue g WHERE 1");
    agg_filter(&q, f);
    q_sql(&q, " GROUP BY");
    for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++) {
        if (!(by & dims[k].bit))
            continue;
        snprintf(part, sizeof part, "%s %s", first ? "" : ",", names[k]);
        q_sql(&q, part);
        first = 0;
    }
    q_sql(&q, ") s LEFT JOIN unit u ON u.id = s.unit LEFT JOIN item i ON i.code = s.item"
              " ORDER BY s.month, s.unit, s.item, s.category, s.marked, s.warehouse");
    if ((err = q_prepare(db, &q, &st)) != TT_OK)
        return err;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_report_stat_t r;
        r.month = col_text(st, 0);
        r.unit = col_text(st, 1);
        r.unit_name = col_text(st, 2);
        r.item = col_text(st, 3);
        r.item_name = col_text(st, 4);
        r.uom = col_text(st, 5);
        r.category = col_text(st, 6);
        r.marked = sqlite3_column_int(st, 7);
        r.warehouse = col_text(st, 8);
        r.qty = sqlite3_column_int64(st, 9);
        r.value = sqlite3_column_int64(st, 10);
        overflow |= !add_qty(&sum.qty, r.qty) || !add_fen(&sum.value, r.value);
        if (fn(ctx, &r))
            break;
    }
    if (total)
        *total = sum;
    return finish_sum(st, rc, overflow);
}

tt_err_t tt_report_safety(tt_db_t *db, const char *from_month, const char *to_month,
                          const char *category, tt_report_safety_fn fn, void *ctx,
                          tt_report_safety_total_t *total)
{
    q_t q = {.len = 0};
    char from[11], to[11];
    sqlite3_stmt *st;
    tt_report_safety_total_t sum = {0, 0};
    tt_err_t err;
    int rc, overflow = 0;

    if (!month_days(from_month, to_month, from, to))
        return TT_ERR_INVAL;
    /* category > '': every safety category, and an index range (a plain
     * <> would be neither). */
    q_sql(&q, "SELECT s.month, s.category, COALESCE(c.name_zh, ''), COALESCE(c.name_en, ''),"
              " s.qa, s.va, s.qb, s.vb FROM (SELECT substr(g.day, 1, 7) AS month,"
              " g.category AS category,"
              " SUM(CASE WHEN g.marked THEN 0 ELSE g.qty END) AS qa,"
              " SUM(CASE WHEN g.marked THEN 0 ELSE g.value_fen END) AS va,"
              " SUM(CASE WHEN g.marked THEN g.qty ELSE 0 END) AS qb,"
              " SUM(CASE WHEN g.marked THEN g.value_fen ELSE 0 END) AS vb"
              " FROM agg_issue g WHERE g.category > " NO_CAT);
    if (category)
        q_text(&q, " AND g.category = ?", category);
    q_text(&q, " AND g.day >= ?", from);
    q_text(&q, " AND g.day <= ?", to);
    q_sql(&q, " GROUP BY 1, 2) s LEFT JOIN safety_category c ON c.code = s.category"
              " WHERE s.qa <> 0 OR s.va <> 0 OR s.qb <> 0 OR s.vb <> 0"
              " ORDER BY s.month, s.category");
    if ((err = q_prepare(db, &q, &st)) != TT_OK)
        return err;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_report_safety_t r;
        r.month = col_text(st, 0);
        r.category = col_text(st, 1);
        r.name_zh = col_text(st, 2);
        r.name_en = col_text(st, 3);
        r.qty_a = sqlite3_column_int64(st, 4);
        r.value_a = sqlite3_column_int64(st, 5);
        r.qty_b = sqlite3_column_int64(st, 6);
        r.value_b = sqlite3_column_int64(st, 7);
        overflow |= !add_fen(&sum.value_a, r.value_a) || !add_fen(&sum.value_b, r.value_b);
        if (fn(ctx, &r))
            break;
    }
    if (total)
        *total = sum;
    return finish_sum(st, rc, overflow);
}

tt_err_t tt_report_expense_tags(tt_db_t *db, const char *from_month, const char *to_month,
                                const char *tag, tt_report_tag_fn fn, void *ctx,
                                tt_fen_t *total)
{
    q_t q = {.len = 0};
    char from[11], to[11];
    sqlite3_stmt *st;
    tt_fen_t sum = 0;
    tt_err_t err;
    int rc, overflow = 0;

    if (!month_days(from_month, to_month, from, to))
        return TT_ERR_INVAL;
    /* Tags are few (audit's hand work): start from them.  A tagged line's
     * value is what its allocations hold now: its rows (a re-allocation's
     * reversals included) and the stock-backs of them. */
    q_sql(&q, "SELECT e.tag, substr(mv.day, 1, 7), COUNT(*),"
              " SUM((SELECT COALESCE(SUM(x.value_fen), 0) FROM alloc x"
              "       WHERE x.movement = e.movement AND x.kind = 'issue')"
              "   + (SELECT COALESCE(SUM(s.value_fen), 0) FROM alloc x"
              "       CROSS JOIN alloc s ON s.reverses = x.id"
              "       WHERE x.movement = e.movement AND x.kind = 'issue'"
              "       AND s.kind = 'stockback'))"
              " FROM expense_tag e CROSS JOIN movement mv ON mv.id = e.movement WHERE 1");
    if (tag)
        q_text(&q, " AND e.tag = ?", tag);
    q_text(&q, " AND mv.day >= ?", from);
    q_text(&q, " AND mv.day <= ?", to);
    q_sql(&q, " GROUP BY 1, 2 ORDER BY 1, 2");
    if ((err = q_prepare(db, &q, &st)) != TT_OK)
        return err;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_report_tag_t r;
        r.tag = col_text(st, 0);
        r.month = col_text(st, 1);
        r.lines = sqlite3_column_int64(st, 2);
        r.value = sqlite3_column_int64(st, 3);
        overflow |= !add_fen(&sum, r.value);
        if (fn(ctx, &r))
            break;
    }
    if (total)
        *total = sum;
    return finish_sum(st, rc, overflow);
}

/* --- old items: assessment and recovery ------------------------------------ */

tt_err_t tt_report_assessment(tt_db_t *db, const char *from_month, const char *to_month,
                              const char *unit, const char *item,
                              tt_report_assessment_fn fn, void *ctx,
                              tt_report_assessment_total_t *total)
{
    q_t q = {.len = 0};
    char from[11], to[11];
    sqlite3_stmt *st;
    tt_report_assessment_total_t sum = {0, 0};
    tt_err_t err = TT_OK;
    int rc, overflow = 0;

    if (!month_days(from_month, to_month, from, to))
        return TT_ERR_INVAL;
    /* Issued: the months' agg_issue rows (a day range of its primary key)
     * of the items under 交旧 issued to a unit (an issue naming no unit has
     * nobody to assess: docs/ledger.md), per month; returned and excluded: agg_return.
     * A row for every (month, unit, item) in either.  CROSS JOIN keeps
     * agg_issue outside: agg_issue has no index by item, so the other way
     * round would scan it whole per item. */
    q_sql(&q, "WITH iss AS (SELECT substr(g.day, 1, 7) AS month, g.unit AS unit,"
              " g.item AS item, SUM(g.qty) AS qty FROM agg_issue g CROSS JOIN item ri"
              " ON ri.code = g.item WHERE ri.return_old = 1 AND g.unit <> ''");
    q_text(&q, " AND g.day >= ?", from);
    q_text(&q, " AND g.day <= ?", to);
    if (unit)
        q_text(&q, " AND g.unit = ?", unit);
    if (item)
        q_text(&q, " AND g.item = ?", item);
    q_sql(&q, " GROUP BY 1, 2, 3), ret AS (SELECT r.month AS month, r.unit AS unit,"
              " r.item AS item, r.returned AS returned, r.excluded AS excluded"
              " FROM agg_return r JOIN item ri ON ri.code = r.item WHERE ri.return_old = 1");
    q_text(&q, " AND r.month >= ?", from_month);
    q_text(&q, " AND r.month <= ?", to_month);
    if (unit)
        q_text(&q, " AND r.unit = ?", unit);
    if (item)
        q_text(&q, " AND r.item = ?", item);
    q_sql(&q, "), k AS (SELECT month, unit, item FROM iss UNION SELECT month, unit, item"
              " FROM ret)"
              " SELECT k.month, k.unit, COALESCE(u.name, ''), k.item, i.name, i.uom,"
              " COALESCE(iss.qty, 0), COALESCE(ret.returned, 0), COALESCE(ret.excluded, 0),"
              " i.penalty_fen, i.reward_fen FROM k JOIN item i ON i.code = k.item"
              " LEFT JOIN unit u ON u.id = k.unit"
              " LEFT JOIN iss ON iss.month = k.month AND iss.unit = k.unit"
              " AND iss.item = k.item"
              " LEFT JOIN ret ON ret.month = k.month AND ret.unit = k.unit"
              " AND ret.item = k.item ORDER BY k.month, k.unit, k.item");
    if ((err = q_prepare(db, &q, &st)) != TT_OK)
        return err;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_report_assessment_t r;
        tt_qty_t left;
        r.month = col_text(st, 0);
        r.unit = col_text(st, 1);
        r.unit_name = col_text(st, 2);
        r.item = col_text(st, 3);
        r.item_name = col_text(st, 4);
        r.uom = col_text(st, 5);
        r.issued = sqlite3_column_int64(st, 6);
        r.returned = sqlite3_column_int64(st, 7);
        r.excluded = sqlite3_column_int64(st, 8);
        r.penalty_std = sqlite3_column_int64(st, 9);
        r.reward_std = sqlite3_column_int64(st, 10);
        if (tt_qty_sub(r.issued, r.returned, &left) != TT_OK ||
            tt_qty_sub(left, r.excluded, &left) != TT_OK ||
            tt_money_value(r.penalty_std, left > 0 ? left : 0, &r.penalty) != TT_OK ||
            tt_money_value(r.reward_std, r.returned, &r.reward) != TT_OK) {
            overflow = 1;
            break;
        }
        r.shortfall = left > 0 ? left : 0;
        overflow |= !add_fen(&sum.penalty, r.penalty) || !add_fen(&sum.reward, r.reward);
        if (fn(ctx, &r))
            break;
    }
    if (total)
        *total = sum;
    return finish_sum(st, rc, overflow);
}

tt_err_t tt_report_recovery(tt_db_t *db, const char *from_month, const char *to_month,
                            const char *unit, const char *item, tt_report_recovery_fn fn,
                            void *ctx, tt_report_recovery_total_t *total)
{
    q_t q = {.len = 0};
    char from[11], to[11];
    sqlite3_stmt *st;
    tt_report_recovery_total_t sum = {0, 0};
    tt_err_t err = TT_OK;
    int rc, overflow = 0;

    if (!month_days(from_month, to_month, from, to))
        return TT_ERR_INVAL;
    q_sql(&q, "SELECT r.month, r.unit, COALESCE(u.name, ''), r.item, i.name, i.uom,"
              " r.returned, i.price_fen, i.reward_fen FROM agg_return r"
              " JOIN item i ON i.code = r.item LEFT JOIN unit u ON u.id = r.unit"
              " WHERE r.returned <> 0");
    q_text(&q, " AND r.month >= ?", from_month);
    q_text(&q, " AND r.month <= ?", to_month);
    if (unit)
        q_text(&q, " AND r.unit = ?", unit);
    if (item)
        q_text(&q, " AND r.item = ?", item);
    q_sql(&q, " ORDER BY r.month, r.unit, r.item");
    if ((err = q_prepare(db, &q, &st)) != TT_OK)
        return err;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_report_recovery_t r;
        r.month = col_text(st, 0);
        r.unit = col_text(st, 1);
        r.unit_name = col_text(st, 2);
        r.item = col_text(st, 3);
        r.item_name = col_text(st, 4);
        r.uom = col_text(st, 5);
        r.returned = sqlite3_column_int64(st, 6);
        r.price = sqlite3_column_int64(st, 7);
        r.reward_std = sqlite3_column_int64(st, 8);
        if (tt_money_value(r.price, r.returned, &r.value) != TT_OK ||
            tt_money_value(r.reward_std, r.returned, &r.reward) != TT_OK) {
            overflow = 1;
            break;
        }
        overflow |= !add_fen(&sum.value, r.value) || !add_fen(&sum.reward, r.reward);
        if (fn(ctx, &r))
            break;
    }
    if (total)
        *total = sum;
    return finish_sum(st, rc, overflow);
}

/* --- stock ------------------------------------------------------------------- */

tt_err_t tt_report_work_area_stock(tt_db_t *db, const char *warehouse, const char *unit,
                                   const char *item, tt_report_stock_fn fn, void *ctx,
                                   tt_fen_t *total_value)
{
    q_t q = {.len = 0};
    sqlite3_stmt *st;
    tt_fen_t sum = 0;
    tt_err_t err;
    int rc, overflow = 0;

    q_sql(&q, "SELECT s.warehouse, w.name, COALESCE(w.unit, ''), COALESCE(u.name, ''),"
              " s.item, COALESCE(i.name, ''), COALESCE(i.uom, ''), s.qty,"
              " (SELECT COALESCE(SUM(o.value_fen), 0) FROM lot_open o"
              "  WHERE o.warehouse = s.warehouse AND o.item = s.item)"
              " FROM warehouse w JOIN stock s ON s.warehouse = w.id"
              " LEFT JOIN unit u ON u.id = w.unit LEFT JOIN item i ON i.code = s.item"
              " WHERE w.kind = 'work_area' AND s.qty > 0");
    if (warehouse)
        q_text(&q, " AND w.id = ?", warehouse);
    if (unit)
        q_text(&q, " AND w.unit = ?", unit);
    if (item)
        q_text(&q, " AND s.item = ?", item);
    q_sql(&q, " ORDER BY s.warehouse, s.item");
    if ((err = q_prepare(db, &q, &st)) != TT_OK)
        return err;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_report_stock_t r;
        r.warehouse = col_text(st, 0);
        r.warehouse_name = col_text(st, 1);
        r.unit = col_text(st, 2);
        r.unit_name = col_text(st, 3);
        r.item = col_text(st, 4);
        r.item_name = col_text(st, 5);
        r.uom = col_text(st, 6);
        r.qty = sqlite3_column_int64(st, 7);
        r.value = sqlite3_column_int64(st, 8);
        overflow |= !add_fen(&sum, r.value);
        if (fn(ctx, &r))
            break;
    }
    if (total_value)
        *total_value = sum;
    return finish_sum(st, rc, overflow);
}

tt_err_t tt_report_lots(tt_db_t *db, const char *warehouse, const char *item,
                        tt_report_lot_fn fn, void *ctx, tt_report_total_t *total)
{
    q_t q = {.len = 0};
    sqlite3_stmt *st;
    tt_report_total_t sum = {0, 0};
    tt_err_t err;
    int rc, overflow = 0;

    if (!warehouse)
        return TT_ERR_INVAL;
    q_sql(&q, "SELECT o.lot, o.warehouse, o.item, COALESCE(i.name, ''), COALESCE(i.uom, ''),"
              " o.fifo_day, l.receipt_doc, COALESCE(l.category, ''),"
              " COALESCE(l.plan_serial, ''), o.qty, o.value_fen, l.qty, l.value_fen"
              " FROM lot_open o JOIN lot l ON l.id = o.lot LEFT JOIN item i ON i.code = o.item");
    q_text(&q, " WHERE o.warehouse = ?", warehouse);
    if (item)
        q_text(&q, " AND o.item = ?", item);
    q_sql(&q, " ORDER BY o.warehouse, o.item, o.fifo_day, o.fifo_seq, o.lot");
    if ((err = q_prepare(db, &q, &st)) != TT_OK)
        return err;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_report_lot_t r;
        r.lot = sqlite3_column_int64(st, 0);
        r.warehouse = col_text(st, 1);
        r.item = col_text(st, 2);
        r.item_name = col_text(st, 3);
        r.uom = col_text(st, 4);
        r.fifo_day = col_text(st, 5);
        r.receipt_doc = col_text(st, 6);
        r.category = col_text(st, 7);
        r.plan_serial = col_text(st, 8);
        r.qty = sqlite3_column_int64(st, 9);
        r.value = sqlite3_column_int64(st, 10);
        r.received_qty = sqlite3_column_int64(st, 11);
        r.received_value = sqlite3_column_int64(st, 12);
        overflow |= !add_qty(&sum.qty, r.qty) || !add_fen(&sum.value, r.value);
        if (fn(ctx, &r))
            break;
    }
    if (total)
        *total = sum;
    return finish_sum(st, rc, overflow);
}

/* --- exceptions -------------------------------------------------------------- */

static void exc_filter(q_t *q, tt_report_state_t state, const char *terminal)
{
    if (terminal)
        q_text(q, " AND e.terminal = ?", terminal);
    if (state == TT_REPORT_OPEN)
        q_sql(q, " AND r.terminal IS NULL");
    else if (state == TT_REPORT_SETTLED)
        q_sql(q, " AND r.terminal IS NOT NULL");
}

static tt_err_t exc_count(tt_db_t *db, const char *terminal, tt_report_exc_count_t *count)
{
    q_t q = {.len = 0};
    sqlite3_stmt *st;
    tt_err_t err;
    int rc;

    q_sql(&q, "SELECT COUNT(*) - COUNT(r.terminal), COUNT(r.terminal) FROM event e"
              " LEFT JOIN resolution r ON r.terminal = e.terminal AND r.seq = e.seq"
              " WHERE e.status = 'rejected'");
    exc_filter(&q, TT_REPORT_ANY, terminal);
    if ((err = q_prepare(db, &q, &st)) != TT_OK)
        return err;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        count->open = sqlite3_column_int64(st, 0);
        count->settled = sqlite3_column_int64(st, 1);
    }
    return finish(st, rc);
}

tt_err_t tt_report_exceptions(tt_db_t *db, tt_report_state_t state, const char *terminal,
                              const tt_report_exc_cursor_t *after, size_t limit,
                              tt_report_exception_fn fn, void *ctx,
                              tt_report_exc_cursor_t *next, tt_report_exc_count_t *count)
{
    q_t q = {.len = 0};
    sqlite3_stmt *st;
    tt_report_exc_cursor_t last;
    size_t n = 0;
    tt_err_t err;
    int rc, stop = 0;

    if (state < TT_REPORT_OPEN || state > TT_REPORT_ANY || limit == 0 ||
        limit > TT_REPORT_PAGE_MAX)
        return TT_ERR_INVAL;
    if (count) {
        count->open = count->settled = 0;
        if ((err = exc_count(db, terminal, count)) != TT_OK)
            return err;
    }
    memset(&last, 0, sizeof last);
    /* The journal's partial index event_rejected (terminal, seq) gives the
     * order; a resolution is a primary-key look-up. */
    q_sql(&q, "SELECT e.terminal, e.seq, COALESCE(e.type, ''), COALESCE(e.ts_ms, 0),"
              " e.server_ms, COALESCE(e.operator, ''), COALESCE(e.warehouse, ''),"
              " COALESCE(e.item, ''), COALESCE(e.unit, ''), COALESCE(e.ref, ''),"
              " COALESCE(e.reason, ''), e.qty, r.terminal IS NOT NULL, COALESCE(r.movement, 0),"
              " COALESCE(r.by, ''), COALESCE(r.note, ''), COALESCE(r.server_ms, 0)"
              " FROM event e LEFT JOIN resolution r ON r.terminal = e.terminal AND r.seq = e.seq"
              " WHERE e.status = 'rejected'");
    exc_filter(&q, state, terminal);
    if (after) {
        q_text(&q, " AND (e.terminal, e.seq) > (?,", after->terminal);
        q_int(&q, " ?)", (int64_t)after->seq);
    }
    q_int(&q, " ORDER BY e.terminal, e.seq LIMIT ?", (int64_t)limit + 1);
    if ((err = q_prepare(db, &q, &st)) != TT_OK)
        return err;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_report_exception_t r;
        if (n == limit) {
            last.more = 1;
            break;
        }
        r.terminal = col_text(st, 0);
        r.seq = (uint64_t)sqlite3_column_int64(st, 1);
        r.type = col_text(st, 2);
        r.ts_ms = sqlite3_column_int64(st, 3);
        r.server_ms = sqlite3_column_int64(st, 4);
        r.operator_id = col_text(st, 5);
        r.warehouse = col_text(st, 6);
        r.item = col_text(st, 7);
        r.unit = col_text(st, 8);
        r.ref = col_text(st, 9);
        r.reason = col_text(st, 10);
        r.has_qty = sqlite3_column_type(st, 11) != SQLITE_NULL;
        r.qty = sqlite3_column_int64(st, 11);
        r.settled = sqlite3_column_int(st, 12);
        r.movement = sqlite3_column_int64(st, 13);
        r.by = col_text(st, 14);
        r.note = col_text(st, 15);
        r.settled_ms = sqlite3_column_int64(st, 16);
        snprintf(last.terminal, sizeof last.terminal, "%s", r.terminal);
        last.seq = r.seq;
        n++;
        if (fn(ctx, &r)) {
            stop = 1;
            break;
        }
    }
    if (next) {
        *next = last;
        next->more = last.more || stop;
    }
    return finish(st, rc);
}
