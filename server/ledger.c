/*
 * ledger: the central materials ledger (see ledger.h; rules:
 * docs/ledger.md).  This file has the documents: their checks and numbers,
 * business dates and periods, the savepoint that makes a document all or
 * nothing, the mapping of terminal events to lines, and what the office
 * adds to posted movements (safety marks, expense tags, resolutions).  A
 * line's movements are posting.c's, what they do to lots lots.c's.
 *
 * Every statement is prepared once (tt_ledger_open), as are those of the
 * two modules under it, on the same connection.
 */
#include "ledger.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbmaster.h"
#include "lots.h"
#include "posting.h"
#include "stmt.h"

#define ID_SZ (TT_EVENT_ID_MAX + 1)
#define DOC_SZ (TT_LEDGER_DOC_MAX + 1)
#define DAY_SZ (TT_LEDGER_DAY_LEN + 1)
#define MONTH_SZ (TT_LEDGER_MONTH_LEN + 1)
#define LAST_MS 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

enum {
    Q_SAVEPOINT, Q_RELEASE, Q_ROLLBACK_TO, Q_DOC_CTX, Q_NEXT_ID, Q_DOC_USED,
    Q_PERIOD_PUT, Q_FIRST_DAY,
    Q_MV_GET, Q_MARK_ALLOC, Q_LOT_CATEGORY, Q_MARK_GET, Q_MARK_PUT,
    Q_TAG_GET, Q_TAG_PUT, Q_EVENT_STATUS, Q_RES_GET, Q_RES_PUT,
    Q_COUNT
};

static const char *const sql_text[Q_COUNT] = {
    [Q_SAVEPOINT] = "SAVEPOINT tt_ledger",
    [Q_RELEASE] = "RELEASE tt_ledger",
    [Q_ROLLBACK_TO] = "ROLLBACK TO tt_ledger",
    /* Which kinds of master data the site has (references to a kind are
     * checked once it has any) and the latest closed month. */
    [Q_DOC_CTX] = "SELECT EXISTS (SELECT 1 FROM item), EXISTS (SELECT 1 FROM warehouse),"
                  " EXISTS (SELECT 1 FROM unit), EXISTS (SELECT 1 FROM plan),"
                  " (SELECT MAX(month) FROM period)",
    [Q_NEXT_ID] = "SELECT COALESCE(MAX(id), 0) + 1 FROM movement",
    [Q_DOC_USED] = "SELECT 1 FROM movement WHERE doc = ?1 LIMIT 1",
    [Q_PERIOD_PUT] = "INSERT INTO period (month, closed_by, server_ms) VALUES (?1, ?2, ?3)",
    /* The first day with a movement in [?1, ?2), one index seek per kind. */
    [Q_FIRST_DAY] =
        "SELECT MIN(d) FROM ("
        "SELECT MIN(day) AS d FROM movement WHERE kind = 'receipt' AND day >= ?1 AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'issue' AND day >= ?1"
        "   AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'transfer' AND day >= ?1"
        "   AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'stockback' AND day >= ?1"
        "   AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'old_return' AND day >= ?1"
        "   AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'count' AND day >= ?1"
        "   AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'exclusion' AND day >= ?1"
        "   AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'consume' AND day >= ?1"
        "   AND day < ?2"
        " UNION ALL SELECT MIN(day) FROM movement WHERE kind = 'revolve' AND day >= ?1"
        "   AND day < ?2)",
    [Q_MV_GET] = "SELECT kind, day FROM movement WHERE id = ?1",
    [Q_MARK_ALLOC] = "SELECT COUNT(*), COALESCE(SUM(qty), 0) FROM alloc WHERE movement = ?1"
                     " AND lot = ?2 AND kind = 'issue'",
    [Q_LOT_CATEGORY] = "SELECT category FROM lot WHERE id = ?1",
    [Q_MARK_GET] = "SELECT 1 FROM safety_mark WHERE movement = ?1 AND lot = ?2",
    [Q_MARK_PUT] = "INSERT INTO safety_mark (movement, lot, category, reason, approver, by,"
                   " server_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_TAG_GET] = "SELECT 1 FROM expense_tag WHERE movement = ?1",
    [Q_TAG_PUT] = "INSERT INTO expense_tag (movement, tag, by, server_ms)"
                  " VALUES (?1, ?2, ?3, ?4)",
    [Q_EVENT_STATUS] = "SELECT status FROM event WHERE terminal = ?1 AND seq = ?2",
    [Q_RES_GET] = "SELECT 1 FROM resolution WHERE terminal = ?1 AND seq = ?2",
    [Q_RES_PUT] = "INSERT INTO resolution (terminal, seq, movement, by, note, server_ms)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
};

struct tt_ledger {
    tt_db_t *db;
    sqlite3 *sq;
    sqlite3_stmt *st[Q_COUNT];
    tt_lots_t *lots;
    tt_posting_t *posting;
};

/* --- small helpers ---------------------------------------------------------- */

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int days_in(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

static int month_valid(const char *s)
{
    int y, m;
    if (!s || strlen(s) != 7 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2))
        return 0;
    y = num(s, 4);
    m = num(s + 5, 2);
    return y >= 1 && m >= 1 && m <= 12;
}

static int day_valid(const char *s)
{
    int y, m, d;
    if (!s || strlen(s) != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
        s[7] != '-' || !digits(s + 8, 2))
        return 0;
    y = num(s, 4);
    m = num(s + 5, 2);
    d = num(s + 8, 2);
    return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= days_in(y, m);
}

/* "YYYY-MM-01" of the month after `month` (valid). */
static void next_month_day(const char *month, char out[DAY_SZ])
{
    int y = num(month, 4), m = num(month + 5, 2) + 1;
    if (m > 12) {
        m = 1;
        y++;
    }
    snprintf(out, DAY_SZ, "%04d-%02d-01", (y % 10000 + 10000) % 10000, (m % 100 + 100) % 100);
}

static int id_ok(const char *s)
{
    return s && tt_event_id_valid(s);
}

static int text_ok(const char *s, size_t cap)
{
    size_t n;
    if (!s)
        return 0;
    n = strnlen(s, cap);
    return n > 0 && n < cap;
}

/* --- open / close ----------------------------------------------------------- */

tt_err_t tt_ledger_open(tt_db_t *db, tt_ledger_t **out)
{
    tt_ledger_t *l = calloc(1, sizeof *l);
    tt_err_t rc;

    *out = NULL;
    if (!l)
        return TT_ERR_NOMEM;
    l->db = db;
    l->sq = tt_db_sqlite(db);
    rc = tt_stmt_prepare(l->sq, sql_text, Q_COUNT, l->st);
    if (rc == TT_OK)
        rc = tt_lots_open(db, &l->lots);
    if (rc == TT_OK)
        rc = tt_posting_open(db, l->lots, &l->posting);
    if (rc != TT_OK) {
        tt_ledger_close(l);
        return rc;
    }
    *out = l;
    return TT_OK;
}

void tt_ledger_close(tt_ledger_t *l)
{
    if (!l)
        return;
    tt_posting_close(l->posting);
    tt_lots_close(l->lots);
    tt_stmt_finalize(l->st, Q_COUNT);
    free(l);
}

tt_err_t tt_ledger_day(int64_t ms, char day[TT_LEDGER_DAY_LEN + 1])
{
    struct tm tm;
    time_t t;

    if (ms < 0 || ms > LAST_MS)
        return TT_ERR_RANGE;
    t = (time_t)(ms / 1000);
    if (!localtime_r(&t, &tm) || tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999)
        return TT_ERR_RANGE;
    {
        char buf[48];
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday);
        memcpy(day, buf, TT_LEDGER_DAY_LEN);
        day[TT_LEDGER_DAY_LEN] = '\0';
    }
    return TT_OK;
}

/* --- savepoints --------------------------------------------------------------- */

static tt_err_t sp_begin(tt_ledger_t *l)
{
    return tt_stmt_run(l->st[Q_SAVEPOINT]);
}

static tt_err_t sp_end(tt_ledger_t *l, tt_err_t rc)
{
    tt_err_t r;
    if (rc == TT_OK) {
        r = tt_stmt_run(l->st[Q_RELEASE]);
        if (r == TT_OK)
            return TT_OK;
        rc = r;
    }
    tt_stmt_run(l->st[Q_ROLLBACK_TO]);
    tt_stmt_run(l->st[Q_RELEASE]);
    return rc;
}

/* --- context ------------------------------------------------------------------ */

/* The kinds of master data the site has (TT_POSTING_* bits) and the latest
 * closed month ("" none). */
static tt_err_t doc_ctx(tt_ledger_t *l, unsigned *master, char closed[MONTH_SZ])
{
    sqlite3_stmt *s = l->st[Q_DOC_CTX];
    tt_err_t rc = tt_stmt_row(s);
    if (rc == TT_OK) {
        *master = (sqlite3_column_int(s, 0) ? TT_POSTING_ITEMS : 0u) |
                  (sqlite3_column_int(s, 1) ? TT_POSTING_WAREHOUSES : 0u) |
                  (sqlite3_column_int(s, 2) ? TT_POSTING_UNITS : 0u) |
                  (sqlite3_column_int(s, 3) ? TT_POSTING_PLANS : 0u);
        tt_stmt_copy(closed, MONTH_SZ, s, 4);
    }
    tt_stmt_done(s);
    return rc == TT_ERR_NOTFOUND ? TT_ERR_DB : rc;
}

/* Checks that `day` is a valid business date in an open month, saying why
 * not (`what` goes in front of a bad date's reason); *master gets the kinds
 * of master data the site has. */
static tt_err_t day_open(tt_ledger_t *l, const char *day, const char *what, unsigned *master,
                         char *reason, size_t rlen)
{
    char closed[MONTH_SZ];
    tt_err_t rc;

    if (!day_valid(day)) {
        tt_err_reason(reason, rlen, "%s'%.16s' is not a date (YYYY-MM-DD)", what,
                      day ? day : "");
        return TT_ERR_INVAL;
    }
    rc = doc_ctx(l, master, closed);
    if (rc != TT_OK)
        return rc;
    if (closed[0] && strncmp(day, closed, 7) <= 0) {
        tt_err_reason(reason, rlen, "%s is in a closed period (closed through %s)", day, closed);
        return TT_ERR_CLOSED;
    }
    return TT_OK;
}

tt_err_t tt_ledger_period_check(tt_ledger_t *l, const char *day, char *reason, size_t rlen)
{
    unsigned master;
    return day_open(l, day, "", &master, reason, rlen);
}

tt_err_t tt_ledger_on_hand(tt_ledger_t *l, const char *warehouse, const char *item,
                           tt_qty_t *qty)
{
    return tt_lots_on_hand(l->lots, warehouse, item, qty);
}

static tt_err_t next_id(tt_ledger_t *l, int64_t *id)
{
    sqlite3_stmt *s = l->st[Q_NEXT_ID];
    tt_err_t rc = tt_stmt_row(s);
    if (rc == TT_OK)
        *id = sqlite3_column_int64(s, 0);
    tt_stmt_done(s);
    return rc == TT_ERR_NOTFOUND ? TT_ERR_DB : rc;
}

tt_err_t tt_ledger_next_doc(tt_ledger_t *l, const char *prefix,
                            char doc[TT_LEDGER_DOC_MAX + 1])
{
    size_t n = prefix ? strlen(prefix) : 0;
    int64_t id;
    tt_err_t rc;

    if (n == 0 || n > 16)
        return TT_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if (prefix[i] < 'A' || prefix[i] > 'Z')
            return TT_ERR_INVAL;
    rc = next_id(l, &id);
    if (rc == TT_OK)
        snprintf(doc, TT_LEDGER_DOC_MAX + 1, "%s.%lld", prefix, (long long)id);
    return rc;
}

tt_err_t tt_ledger_doc_used(tt_ledger_t *l, const char *doc)
{
    tt_err_t rc;
    tt_stmt_bind_text(l->st[Q_DOC_USED], 1, doc);
    rc = tt_stmt_exists(l->st[Q_DOC_USED]);
    if (rc == TT_OK)
        return TT_ERR_EXISTS;
    return rc == TT_ERR_NOTFOUND ? TT_OK : rc;
}

/* --- documents ---------------------------------------------------------------- */

/* Posts lines[0..n) as document p->doc numbered from line `line0`; the
 * caller checked the day and owns the savepoint.  A refusal's reason gets
 * "line N: " in front for office documents. */
static tt_err_t post_lines(tt_ledger_t *l, tt_posting_doc_t *p, const tt_ledger_line_t *lines,
                           size_t n, int line0, int64_t *first)
{
    tt_err_t rc = TT_OK;

    for (size_t i = 0; i < n && rc == TT_OK; i++) {
        int64_t mv = 0;
        if (p->reason && p->rlen)
            p->reason[0] = '\0';
        rc = tt_posting_apply(l->posting, p, &lines[i], line0 + (int)i, &mv);
        if (rc == TT_OK && i == 0)
            *first = mv;
        if (rc != TT_OK && p->office && p->reason && p->rlen) {
            char *copy = strdup(p->reason);
            if (copy) {
                snprintf(p->reason, p->rlen, "line %zu: %s", i + 1, copy);
                free(copy);
            }
        }
        if ((rc == TT_ERR_DB || rc == TT_ERR_FULL) && p->reason && p->rlen && !p->reason[0])
            tt_err_reason(p->reason, p->rlen, "the store failed: %s", sqlite3_errmsg(l->sq));
    }
    return rc;
}

/* Checks the day of a post, valid and in an open month, and puts it, its
 * month and the kinds of master data the site has into *p. */
static tt_err_t post_day(tt_ledger_t *l, tt_posting_doc_t *p, const char *day)
{
    tt_err_t rc = day_open(l, day, "day: ", &p->master, p->reason, p->rlen);
    if (rc != TT_OK)
        return rc;
    p->day = day;
    memcpy(p->month, day, 7);
    p->month[7] = '\0';
    return TT_OK;
}

tt_err_t tt_ledger_post(tt_ledger_t *l, const tt_ledger_doc_t *doc, int64_t now_ms,
                        tt_ledger_result_t *res, char *reason, size_t rlen)
{
    tt_posting_doc_t p;
    char number[DOC_SZ];
    int64_t first = 0;
    tt_err_t rc;

    memset(&p, 0, sizeof p);
    p.office = 1;
    p.now_ms = now_ms;
    p.reason = reason;
    p.rlen = rlen;
    if (reason && rlen)
        reason[0] = '\0';
    if (res)
        memset(res, 0, sizeof *res);
    if (!doc || !doc->lines || doc->nlines == 0 || doc->nlines > TT_LEDGER_LINES_MAX) {
        tt_err_reason(reason, rlen, "a document has 1 to %d lines", TT_LEDGER_LINES_MAX);
        return TT_ERR_INVAL;
    }
    if (!tt_posting_kind_name(doc->lines[0].kind)) {
        tt_err_reason(reason, rlen, "line 1: unknown kind");
        return TT_ERR_INVAL;
    }
    for (size_t i = 1; i < doc->nlines; i++) {
        if (doc->lines[i].kind != doc->lines[0].kind) {
            tt_err_reason(reason, rlen, "line %zu: a document's lines are all of one kind",
                          i + 1);
            return TT_ERR_INVAL;
        }
    }
    if (!id_ok(doc->operator_id)) {
        tt_err_reason(reason, rlen, "operator: %s",
                      doc->operator_id[0] ? "not a valid id" : "missing");
        return TT_ERR_INVAL;
    }
    if (doc->approver[0] && !id_ok(doc->approver)) {
        tt_err_reason(reason, rlen, "approver: not a valid id");
        return TT_ERR_INVAL;
    }
    if (doc->doc[0] && (!memchr(doc->doc, '\0', sizeof doc->doc) ||
                        !tt_event_code_valid(doc->doc))) {
        tt_err_reason(reason, rlen, "doc: not a valid document number");
        return TT_ERR_INVAL;
    }
    p.operator_id = doc->operator_id;
    p.approver = doc->approver;
    rc = post_day(l, &p, doc->day);
    if (rc != TT_OK)
        return rc;
    rc = sp_begin(l);
    if (rc != TT_OK)
        return rc;
    if (doc->doc[0]) {
        snprintf(number, sizeof number, "%s", doc->doc);
    } else {
        int64_t id = 0;
        rc = next_id(l, &id);
        snprintf(number, sizeof number, "%s.%lld", tt_posting_kind_prefix(doc->lines[0].kind),
                 (long long)id);
    }
    p.doc = number;
    if (rc == TT_OK)
        rc = post_lines(l, &p, doc->lines, doc->nlines, 1, &first);
    rc = sp_end(l, rc);
    if (rc == TT_OK && res) {
        snprintf(res->doc, sizeof res->doc, "%s", number);
        res->first_movement = first;
        res->reallocated = p.reallocated;
    }
    return rc;
}

tt_err_t tt_ledger_apply_event(tt_ledger_t *l, const char *terminal, const tt_event_t *ev,
                               const char *day, int64_t now_ms, char *reason, size_t rlen)
{
    const tt_event_stock_t *b = &ev->body.stock;
    tt_ledger_line_t ln;
    tt_posting_doc_t p;
    char number[DOC_SZ];
    uint64_t first_seq = ev->seq;
    int line = 1;
    int64_t first = 0;
    tt_err_t rc;

    if (reason && rlen)
        reason[0] = '\0';
    memset(&ln, 0, sizeof ln);
    switch (ev->type) {
    case TT_EVENT_RECEIVE: ln.kind = TT_LEDGER_RECEIPT; break;
    case TT_EVENT_ISSUE: ln.kind = TT_LEDGER_ISSUE; break;
    case TT_EVENT_TRANSFER: ln.kind = TT_LEDGER_TRANSFER; break;
    case TT_EVENT_RETURN: ln.kind = TT_LEDGER_OLD_RETURN; break;
    case TT_EVENT_COUNT: ln.kind = TT_LEDGER_COUNT; break;
    default:
        tt_err_reason(reason, rlen, "a %s event is not the ledger's",
                      tt_event_type_name(ev->type) ? tt_event_type_name(ev->type) : "unknown");
        return TT_ERR_INVAL;
    }
    if (!id_ok(terminal) || !id_ok(ev->operator_id)) {
        tt_err_reason(reason, rlen, "terminal or operator: not a valid id");
        return TT_ERR_INVAL;
    }
    if (b->lines) {
        if (b->line < 1 || b->line > b->lines || (uint64_t)b->line > ev->seq) {
            tt_err_reason(reason, rlen, "line %u of %u: not a line of a document", b->line,
                          b->lines);
            return TT_ERR_INVAL;
        }
        line = b->line;
        first_seq = ev->seq - b->line + 1;
    }
    snprintf(ln.warehouse, sizeof ln.warehouse, "%s", b->warehouse);
    snprintf(ln.item, sizeof ln.item, "%s", b->item);
    snprintf(ln.unit, sizeof ln.unit, "%s", b->unit);
    ln.qty = b->qty;
    if (ln.kind == TT_LEDGER_RECEIPT) {
        ln.source = TT_LEDGER_PURCHASE;
        snprintf(ln.plan_serial, sizeof ln.plan_serial, "%s", b->ref);   /* the plan serial */
    } else {
        snprintf(ln.ref, sizeof ln.ref, "%s", b->ref);
    }
    if (ln.kind == TT_LEDGER_TRANSFER)
        snprintf(ln.to_wh, sizeof ln.to_wh, "%s", b->to);

    memset(&p, 0, sizeof p);
    p.office = 0;
    p.terminal = terminal;
    p.seq = ev->seq;
    p.now_ms = now_ms;
    p.reason = reason;
    p.rlen = rlen;
    p.operator_id = ev->operator_id;
    p.approver = "";
    snprintf(number, sizeof number, "%s-%llu", terminal, (unsigned long long)first_seq);
    p.doc = number;
    rc = post_day(l, &p, day);
    if (rc != TT_OK)
        return rc;
    if (ln.kind == TT_LEDGER_RECEIPT) {
        /* A terminal has no price: the item's standard price (矿报标准). */
        rc = tt_posting_item_price(l->posting, ln.item, ln.warehouse, ln.unit, &ln.unit_price);
        if (rc != TT_OK)
            return rc;
        if (ln.unit_price > TT_LEDGER_VALUE_MAX)
            ln.unit_price = TT_LEDGER_VALUE_MAX;
    }
    rc = sp_begin(l);
    if (rc != TT_OK)
        return rc;
    rc = post_lines(l, &p, &ln, 1, line, &first);
    return sp_end(l, rc);
}

/* --- periods ------------------------------------------------------------------- */

tt_err_t tt_ledger_close_period(tt_ledger_t *l, const char *month, const char *by,
                                int64_t now_ms, char *reason, size_t rlen)
{
    char today[DAY_SZ] = "", closed[MONTH_SZ], from[DAY_SZ], to[DAY_SZ], first[DAY_SZ];
    sqlite3_stmt *s;
    unsigned master;
    tt_err_t rc;

    if (reason && rlen)
        reason[0] = '\0';
    if (!month_valid(month)) {
        tt_err_reason(reason, rlen, "'%.16s' is not a month (YYYY-MM)", month ? month : "");
        return TT_ERR_INVAL;
    }
    if (!id_ok(by)) {
        tt_err_reason(reason, rlen, "by: who closes it is missing or not a valid id");
        return TT_ERR_INVAL;
    }
    if (tt_ledger_day(now_ms, today) != TT_OK || strncmp(month, today, 7) >= 0) {
        tt_err_reason(reason, rlen, "%s has not ended yet (today is %s)", month, today);
        return TT_ERR_INVAL;
    }
    rc = doc_ctx(l, &master, closed);
    if (rc != TT_OK)
        return rc;
    if (closed[0] && strcmp(month, closed) <= 0) {
        tt_err_reason(reason, rlen, "%s is closed already (closed through %s)", month, closed);
        return TT_ERR_EXISTS;
    }
    /* Every earlier month with movements must be closed already. */
    if (closed[0])
        next_month_day(closed, from);
    else
        snprintf(from, sizeof from, "0000-00-00");
    snprintf(to, sizeof to, "%.7s-01", month);
    s = l->st[Q_FIRST_DAY];
    tt_stmt_bind_text(s, 1, from);
    tt_stmt_bind_text(s, 2, to);
    rc = tt_stmt_row(s);
    first[0] = '\0';
    if (rc == TT_OK)
        tt_stmt_copy(first, sizeof first, s, 0);
    tt_stmt_done(s);
    if (rc != TT_OK)
        return rc == TT_ERR_NOTFOUND ? TT_ERR_DB : rc;
    if (first[0]) {
        tt_err_reason(reason, rlen, "%.7s has movements and is still open: close it first",
                      first);
        return TT_ERR_INVAL;
    }
    s = l->st[Q_PERIOD_PUT];
    tt_stmt_bind_text(s, 1, month);
    tt_stmt_bind_text(s, 2, by);
    sqlite3_bind_int64(s, 3, now_ms);
    return tt_stmt_run(s);
}

/* --- marks, tags, resolutions ---------------------------------------------------- */

/* The kind (kind[16]) and day of movement `mv`: TT_ERR_NOTFOUND without. */
static tt_err_t movement_get(tt_ledger_t *l, int64_t mv, char kind[16], char day[DAY_SZ])
{
    sqlite3_stmt *s = l->st[Q_MV_GET];
    tt_err_t rc;
    sqlite3_bind_int64(s, 1, mv);
    rc = tt_stmt_row(s);
    if (rc == TT_OK) {
        tt_stmt_copy(kind, 16, s, 0);
        tt_stmt_copy(day, DAY_SZ, s, 1);
    }
    tt_stmt_done(s);
    return rc;
}

tt_err_t tt_ledger_mark_safety(tt_ledger_t *l, int64_t movement, int64_t lot,
                               const char *category, const char *reason_text,
                               const char *approver, const char *by, int64_t now_ms,
                               char *reason, size_t rlen)
{
    char kind[16], day[DAY_SZ], closed[MONTH_SZ], lotcat[ID_SZ];
    sqlite3_stmt *s;
    unsigned master;
    int64_t rows = 0;
    tt_qty_t net = 0;
    tt_err_t rc;

    if (reason && rlen)
        reason[0] = '\0';
    if (!approver || !approver[0] || !id_ok(approver)) {
        tt_err_reason(reason, rlen, "approver: marking an allocation as used for safety needs "
                      "who approved it");
        return TT_ERR_INVAL;
    }
    if (!text_ok(reason_text, TT_LEDGER_TEXT_MAX)) {
        tt_err_reason(reason, rlen, "reason: why it was used for safety is missing or too long");
        return TT_ERR_INVAL;
    }
    if (!id_ok(by)) {
        tt_err_reason(reason, rlen, "by: missing or not a valid id");
        return TT_ERR_INVAL;
    }
    if (!id_ok(category)) {
        tt_err_reason(reason, rlen, "category: missing");
        return TT_ERR_INVAL;
    }
    rc = tt_dbmaster_safety_category_exists(l->db, category);
    if (rc == TT_ERR_NOTFOUND) {
        tt_err_reason(reason, rlen, "category '%s' is not a safety-expense category code",
                      category);
        return TT_ERR_INVAL;
    }
    if (rc != TT_OK)
        return rc;
    rc = movement_get(l, movement, kind, day);
    if (rc == TT_OK && strcmp(kind, "issue") != 0)
        rc = TT_ERR_NOTFOUND;
    if (rc == TT_OK) {
        s = l->st[Q_MARK_ALLOC];
        sqlite3_bind_int64(s, 1, movement);
        sqlite3_bind_int64(s, 2, lot);
        rc = tt_stmt_row(s);
        if (rc == TT_OK) {
            rows = sqlite3_column_int64(s, 0);
            net = sqlite3_column_int64(s, 1);
        }
        tt_stmt_done(s);
        if (rc == TT_OK && (rows == 0 || net <= 0))
            rc = TT_ERR_NOTFOUND;
    }
    if (rc == TT_ERR_NOTFOUND) {
        tt_err_reason(reason, rlen, "issue movement %lld has no allocation from lot %lld",
                      (long long)movement, (long long)lot);
        return rc;
    }
    if (rc != TT_OK)
        return rc;
    rc = doc_ctx(l, &master, closed);
    if (rc != TT_OK)
        return rc;
    if (closed[0] && strncmp(day, closed, 7) <= 0) {
        tt_err_reason(reason, rlen, "the issue is dated %s, in a closed period", day);
        return TT_ERR_CLOSED;
    }
    s = l->st[Q_LOT_CATEGORY];
    sqlite3_bind_int64(s, 1, lot);
    rc = tt_stmt_row(s);
    if (rc == TT_OK)
        tt_stmt_copy(lotcat, sizeof lotcat, s, 0);
    tt_stmt_done(s);
    if (rc != TT_OK)
        return rc == TT_ERR_NOTFOUND ? TT_ERR_DB : rc;
    if (lotcat[0]) {
        tt_err_reason(reason, rlen, "lot %lld was received as safety (%s) already",
                      (long long)lot, lotcat);
        return TT_ERR_INVAL;
    }
    s = l->st[Q_MARK_GET];
    sqlite3_bind_int64(s, 1, movement);
    sqlite3_bind_int64(s, 2, lot);
    rc = tt_stmt_exists(s);
    if (rc == TT_OK) {
        tt_err_reason(reason, rlen, "the allocation is marked already");
        return TT_ERR_EXISTS;
    }
    if (rc != TT_ERR_NOTFOUND)
        return rc;
    rc = sp_begin(l);
    if (rc != TT_OK)
        return rc;
    s = l->st[Q_MARK_PUT];
    sqlite3_bind_int64(s, 1, movement);
    sqlite3_bind_int64(s, 2, lot);
    tt_stmt_bind_text(s, 3, category);
    tt_stmt_bind_text(s, 4, reason_text);
    tt_stmt_bind_text(s, 5, approver);
    tt_stmt_bind_text(s, 6, by);
    sqlite3_bind_int64(s, 7, now_ms);
    rc = tt_stmt_run(s);
    if (rc == TT_OK)
        rc = tt_lots_mark_move(l->lots, movement, lot, category);
    return sp_end(l, rc);
}

tt_err_t tt_ledger_tag_expense(tt_ledger_t *l, int64_t movement, const char *tag,
                               const char *by, int64_t now_ms, char *reason, size_t rlen)
{
    char kind[16], day[DAY_SZ];
    sqlite3_stmt *s;
    tt_err_t rc;

    if (reason && rlen)
        reason[0] = '\0';
    if (!text_ok(tag, TT_LEDGER_TEXT_MAX)) {
        tt_err_reason(reason, rlen, "tag: missing or too long");
        return TT_ERR_INVAL;
    }
    if (!id_ok(by)) {
        tt_err_reason(reason, rlen, "by: missing or not a valid id");
        return TT_ERR_INVAL;
    }
    rc = movement_get(l, movement, kind, day);
    if (rc == TT_ERR_NOTFOUND) {
        tt_err_reason(reason, rlen, "no movement %lld", (long long)movement);
        return rc;
    }
    if (rc != TT_OK)
        return rc;
    if (strcmp(kind, "issue") != 0) {
        tt_err_reason(reason, rlen, "movement %lld is a %s, not an issue", (long long)movement,
                      kind);
        return TT_ERR_INVAL;
    }
    sqlite3_bind_int64(l->st[Q_TAG_GET], 1, movement);
    rc = tt_stmt_exists(l->st[Q_TAG_GET]);
    if (rc == TT_OK) {
        tt_err_reason(reason, rlen, "movement %lld is tagged already", (long long)movement);
        return TT_ERR_EXISTS;
    }
    if (rc != TT_ERR_NOTFOUND)
        return rc;
    s = l->st[Q_TAG_PUT];
    sqlite3_bind_int64(s, 1, movement);
    tt_stmt_bind_text(s, 2, tag);
    tt_stmt_bind_text(s, 3, by);
    sqlite3_bind_int64(s, 4, now_ms);
    return tt_stmt_run(s);
}

tt_err_t tt_ledger_resolve(tt_ledger_t *l, const char *terminal, uint64_t seq,
                           int64_t movement, const char *by, const char *note, int64_t now_ms,
                           char *reason, size_t rlen)
{
    char status[16] = "", kind[16], day[DAY_SZ];
    sqlite3_stmt *s;
    tt_err_t rc;

    if (reason && rlen)
        reason[0] = '\0';
    if (!text_ok(note, TT_LEDGER_TEXT_MAX)) {
        tt_err_reason(reason, rlen, "note: how it was settled is missing or too long");
        return TT_ERR_INVAL;
    }
    if (!id_ok(by)) {
        tt_err_reason(reason, rlen, "by: missing or not a valid id");
        return TT_ERR_INVAL;
    }
    if (!id_ok(terminal) || seq == 0 || seq > TT_EVENT_SEQ_MAX || movement < 0) {
        tt_err_reason(reason, rlen, "no refused event %.32s %llu", terminal ? terminal : "",
                      (unsigned long long)seq);
        return TT_ERR_NOTFOUND;
    }
    s = l->st[Q_EVENT_STATUS];
    tt_stmt_bind_text(s, 1, terminal);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
    rc = tt_stmt_row(s);
    if (rc == TT_OK)
        tt_stmt_copy(status, sizeof status, s, 0);
    tt_stmt_done(s);
    if (rc == TT_OK && strcmp(status, "rejected") != 0)
        rc = TT_ERR_NOTFOUND;
    if (rc == TT_ERR_NOTFOUND) {
        tt_err_reason(reason, rlen, "no refused event %s %llu", terminal,
                      (unsigned long long)seq);
        return rc;
    }
    if (rc != TT_OK)
        return rc;
    if (movement) {
        rc = movement_get(l, movement, kind, day);
        if (rc == TT_ERR_NOTFOUND) {
            tt_err_reason(reason, rlen, "no movement %lld", (long long)movement);
            return rc;
        }
        if (rc != TT_OK)
            return rc;
    }
    s = l->st[Q_RES_GET];
    tt_stmt_bind_text(s, 1, terminal);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
    rc = tt_stmt_exists(s);
    if (rc == TT_OK) {
        tt_err_reason(reason, rlen, "event %s %llu is settled already", terminal,
                      (unsigned long long)seq);
        return TT_ERR_EXISTS;
    }
    if (rc != TT_ERR_NOTFOUND)
        return rc;
    s = l->st[Q_RES_PUT];
    tt_stmt_bind_text(s, 1, terminal);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
    if (movement)
        sqlite3_bind_int64(s, 3, movement);
    tt_stmt_bind_text(s, 4, by);
    tt_stmt_bind_text(s, 5, note);
    sqlite3_bind_int64(s, 6, now_ms);
    return tt_stmt_run(s);
}
