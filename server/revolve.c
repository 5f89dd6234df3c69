/*
 * revolve: revolving materials over the store (see revolve.h).
 *
 * Writes go movement first, then the derived rows: rv_balance (each unit's
 * sub-ledger), rv_general, rv_daily (per model, unit and day, by action)
 * and rv_transit.  Every quantity is added in C with overflow checks, never
 * in SQL, where an overflowing sum would turn into a floating-point value.
 * The read side only sums columns in SQL (SUM of integers fails on
 * overflow instead) and combines them in C.
 */
#include "revolve.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbmaster.h"
#include "stmt.h"

/* rv_daily's columns, in table order; the action each counts. */
enum { C_DRAW, C_IN, C_OUT, C_BACK, C_LOSS, C_BURIAL, C_SCRAP, NCOL };

/* Sign of each column in a unit's balance and in the general ledger. */
static const int unit_sign[NCOL] = {1, 1, -1, 1, -1, -1, -1};
static const int general_sign[NCOL] = {1, 0, 0, 0, -1, -1, -1};

static const char *const action_names[] = {NULL,   "draw", "handover", "confirm",
                                           "refuse", "loss", "burial",   "scrap"};
/* The rv_daily column of each action. */
static const int action_col[] = {-1, C_DRAW, C_OUT, C_IN, C_BACK, C_LOSS, C_BURIAL, C_SCRAP};

#define DAY_SUMS                                                                              \
    "SUM(draw), SUM(hand_in), SUM(hand_out), SUM(back), SUM(loss), SUM(burial), SUM(scrap)"
/* The sums of the rows with day `op` ?1 (before `from`, or from it on). */
#define SUM_IF(op, col) "SUM(CASE WHEN day " op " ?1 THEN " col " ELSE 0 END)"
#define SUMS_IF(op)                                                                           \
    SUM_IF(op, "draw") ", " SUM_IF(op, "hand_in") ", " SUM_IF(op, "hand_out") ", "            \
    SUM_IF(op, "back") ", " SUM_IF(op, "loss") ", " SUM_IF(op, "burial") ", "                 \
    SUM_IF(op, "scrap")

enum {
    S_SAVEPOINT, S_RELEASE, S_ROLLBACK, S_MODEL_GET, S_MODEL_PUT, S_MV_PUT,
    S_BAL_GET, S_BAL_PUT, S_GEN_GET, S_GEN_PUT, S_DAY_GET, S_DAY_PUT, S_DAY_UNIT, S_TR_GET,
    S_TR_PUT, S_TR_SETTLE, S_RC_MODELS, S_RC_UNITS, S_RC_TRANSIT, S_MV_BEFORE, S_MV_SAMEDAY,
    S_MV_PAGE, S_TR_LIST, S_REPORT, S_COUNT
};

static const char *const sql_text[S_COUNT] = {
    [S_SAVEPOINT] = "SAVEPOINT revolve",
    [S_RELEASE] = "RELEASE revolve",
    [S_ROLLBACK] = "ROLLBACK TO revolve",
    [S_MODEL_GET] = "SELECT name, version FROM rv_model WHERE item = ?1",
    /* Stored only when new or renamed, so an identical row keeps its
     * version (as the other master tables, db.c). */
    [S_MODEL_PUT] = "INSERT INTO rv_model (item, name, version) VALUES (?1, ?2, ?3)"
                    " ON CONFLICT (item) DO UPDATE SET name = excluded.name,"
                    " version = excluded.version WHERE name IS NOT excluded.name",
    [S_MV_PUT] = "INSERT INTO movement (kind, sub, doc, line, day, origin, terminal, seq,"
                 " operator, warehouse, unit, to_unit, item, qty, ref, parent, note, server_ms)"
                 " VALUES ('revolve', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                 " ?14, ?15, ?16, ?17)",
    [S_BAL_GET] = "SELECT qty FROM rv_balance WHERE model = ?1 AND unit = ?2",
    [S_BAL_PUT] = "INSERT INTO rv_balance (model, unit, qty) VALUES (?1, ?2, ?3)"
                  " ON CONFLICT (model, unit) DO UPDATE SET qty = excluded.qty",
    [S_GEN_GET] = "SELECT qty FROM rv_general WHERE model = ?1",
    [S_GEN_PUT] = "INSERT INTO rv_general (model, qty) VALUES (?1, ?2)"
                  " ON CONFLICT (model) DO UPDATE SET qty = excluded.qty",
    [S_DAY_GET] = "SELECT draw, hand_in, hand_out, back, loss, burial, scrap FROM rv_daily"
                  " WHERE model = ?1 AND unit = ?2 AND day = ?3",
    [S_DAY_PUT] = "INSERT INTO rv_daily (model, unit, day, draw, hand_in, hand_out, back, loss,"
                  " burial, scrap) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                  " ON CONFLICT (model, unit, day) DO UPDATE SET draw = excluded.draw,"
                  " hand_in = excluded.hand_in, hand_out = excluded.hand_out,"
                  " back = excluded.back, loss = excluded.loss, burial = excluded.burial,"
                  " scrap = excluded.scrap",
    [S_DAY_UNIT] = "SELECT day, draw, hand_in, hand_out, back, loss, burial, scrap FROM rv_daily"
                   " WHERE model = ?1 AND unit = ?2 ORDER BY day",
    [S_TR_GET] = "SELECT t.model, t.from_unit, t.to_unit, t.qty, COALESCE(t.settled, 0), h.day"
                 " FROM rv_transit t JOIN movement h ON h.id = t.handover"
                 " WHERE t.handover = ?1",
    [S_TR_PUT] = "INSERT INTO rv_transit (handover, model, from_unit, to_unit, qty)"
                 " VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_TR_SETTLE] = "UPDATE rv_transit SET settled = ?2 WHERE handover = ?1 AND settled IS NULL",
    [S_RC_MODELS] = "SELECT m.item, m.name, COALESCE(g.qty, 0) FROM rv_model m"
                    " LEFT JOIN rv_general g ON g.model = m.item"
                    " WHERE ?1 IS NULL OR m.item = ?1 ORDER BY m.item",
    [S_RC_UNITS] = "SELECT unit, qty FROM rv_balance WHERE model = ?1 AND qty <> 0 ORDER BY unit",
    [S_RC_TRANSIT] = "SELECT COALESCE(SUM(qty), 0) FROM rv_transit"
                     " WHERE model = ?1 AND settled IS NULL",
    [S_MV_BEFORE] = "SELECT " DAY_SUMS " FROM rv_daily"
                    " WHERE model = ?1 AND (?2 IS NULL OR unit = ?2) AND day < ?3",
    [S_MV_SAMEDAY] = "SELECT sub, SUM(qty) FROM movement WHERE kind = 'revolve' AND day = ?1"
                     " AND id <= ?2 AND item = ?3 AND (?4 IS NULL OR unit = ?4) GROUP BY sub",
    /* `other`: see tt_revolve_movement_t.  day >= ?3 lets the (kind, day)
     * index start at the page. */
    [S_MV_PAGE] =
        "SELECT m.id, m.doc, m.line, m.day, m.sub, m.unit,"
        " CASE m.sub WHEN 'handover' THEN m.to_unit WHEN 'draw' THEN m.warehouse"
        "   WHEN 'confirm' THEN (SELECT from_unit FROM rv_transit WHERE handover = m.parent)"
        "   WHEN 'refuse' THEN (SELECT to_unit FROM rv_transit WHERE handover = m.parent)"
        "   ELSE '' END,"
        " m.qty, COALESCE(m.parent, 0), m.operator, COALESCE(m.terminal, ''),"
        " COALESCE(m.seq, 0), COALESCE(m.note, '')"
        " FROM movement m WHERE m.kind = 'revolve' AND m.item = ?1"
        " AND (?2 IS NULL OR m.unit = ?2) AND m.day >= ?3"
        " AND (m.day > ?3 OR m.id > ?4) ORDER BY m.day, m.id LIMIT ?5",
    [S_TR_LIST] = "SELECT t.handover, h.doc, h.day, t.model, t.from_unit, t.to_unit, t.qty,"
                  " h.operator FROM rv_transit t JOIN movement h ON h.id = t.handover"
                  " WHERE t.settled IS NULL AND (?1 IS NULL OR t.model = ?1)"
                  " AND (?2 IS NULL OR t.to_unit = ?2) ORDER BY t.handover",
    [S_REPORT] = "SELECT model, unit, " SUMS_IF("<") ", " SUMS_IF(">=")
                 " FROM rv_daily WHERE day <= ?2 AND (?3 IS NULL OR model = ?3)"
                 " GROUP BY model, unit ORDER BY model, unit",
};

struct tt_revolve {
    tt_db_t *tdb;
    sqlite3 *db;
    tt_ledger_t *ledger;
    sqlite3_stmt *st[S_COUNT];
};

int tt_revolve_action_parse(const char *name)
{
    for (int a = TT_REVOLVE_DRAW; a <= TT_REVOLVE_ACTION_LAST; a++)
        if (strcmp(name, action_names[a]) == 0)
            return a;
    return 0;
}

const char *tt_revolve_action_name(tt_revolve_action_t action)
{
    return action >= TT_REVOLVE_DRAW && action <= TT_REVOLVE_ACTION_LAST ? action_names[action]
                                                                         : NULL;
}

tt_err_t tt_revolve_open(tt_db_t *db, tt_ledger_t *ledger, tt_revolve_t **out)
{
    tt_revolve_t *rv = calloc(1, sizeof *rv);

    *out = NULL;
    if (!rv)
        return TT_ERR_NOMEM;
    rv->tdb = db;
    rv->db = tt_db_sqlite(db);
    rv->ledger = ledger;
    if (tt_stmt_prepare(rv->db, sql_text, S_COUNT, rv->st) != TT_OK) {
        tt_revolve_close(rv);
        return TT_ERR_DB;
    }
    *out = rv;
    return TT_OK;
}

void tt_revolve_close(tt_revolve_t *rv)
{
    if (!rv)
        return;
    tt_stmt_finalize(rv->st, S_COUNT);
    free(rv);
}

/* --- statement helpers ------------------------------------------------------ */

/* Runs a single-row SELECT of one integer: *out, or 0 without a row. */
static tt_err_t get_int(tt_revolve_t *rv, sqlite3_stmt *st, int64_t *out)
{
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    tt_stmt_done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : tt_stmt_fail(rv->db);
}

/* Sum of c[i] * sign[i], checked. */
static tt_err_t net(const tt_qty_t c[NCOL], const int sign[NCOL], tt_qty_t *out)
{
    tt_qty_t n = 0;
    for (int i = 0; i < NCOL; i++) {
        tt_err_t rc = sign[i] > 0 ? tt_qty_add(n, c[i], &n)
                    : sign[i] < 0 ? tt_qty_sub(n, c[i], &n) : TT_OK;
        if (rc != TT_OK)
            return rc;
    }
    *out = n;
    return TT_OK;
}

/* A real calendar day 'YYYY-MM-DD' (for the read side; writers go through
 * tt_ledger_period_check). */
static int day_valid(const char *d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, dd;

    if (!d || strlen(d) != TT_LEDGER_DAY_LEN || d[4] != '-' || d[7] != '-')
        return 0;
    for (int i = 0; i < TT_LEDGER_DAY_LEN; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return 0;
    y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
    m = (d[5] - '0') * 10 + (d[6] - '0');
    dd = (d[8] - '0') * 10 + (d[9] - '0');
    if (m < 1 || m > 12 || dd < 1 || dd > mdays[m - 1])
        return 0;
    return m != 2 || dd < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/* A note: NUL-terminated within its field, no control characters. */
static int note_valid(const char *note)
{
    const char *end = memchr(note, '\0', TT_LEDGER_TEXT_MAX);
    if (!end)
        return 0;
    for (const unsigned char *u = (const unsigned char *)note; *u; u++)
        if (*u < 0x20 || *u == 0x7f)
            return 0;
    return 1;
}

static tt_err_t refuse(tt_err_t why, char *reason, size_t rlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes the reason for refusing with `why`, and returns `why`. */
static tt_err_t refuse(tt_err_t why, char *reason, size_t rlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tt_err_vreason(reason, rlen, fmt, ap);
    va_end(ap);
    return why;
}

/* --- master data ------------------------------------------------------------ */

tt_err_t tt_revolve_model_put(tt_revolve_t *rv, const tt_revolve_model_t *m, uint64_t version,
                              int *changed)
{
    sqlite3_stmt *st = rv->st[S_MODEL_PUT];
    tt_err_t rc;

    tt_stmt_bind_text(st, 1, m->item);
    tt_stmt_bind_text(st, 2, m->name);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)version);
    rc = tt_stmt_run(st);
    if (changed)
        *changed = rc == TT_OK && sqlite3_changes(rv->db) > 0;
    return rc;
}

tt_err_t tt_revolve_model_get(tt_revolve_t *rv, const char *item, tt_revolve_model_t *out,
                              uint64_t *version)
{
    sqlite3_stmt *st = rv->st[S_MODEL_GET];
    int rc;

    tt_stmt_bind_text(st, 1, item);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (out) {
            snprintf(out->item, sizeof out->item, "%s", item);
            snprintf(out->name, sizeof out->name, "%s", tt_stmt_text(st, 0));
        }
        if (version)
            *version = (uint64_t)sqlite3_column_int64(st, 1);
    }
    tt_stmt_done(st);
    return rc == SQLITE_ROW ? TT_OK : rc == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
}

/* --- writing ------------------------------------------------------------------ */

/* Where a movement comes from. */
typedef struct {
    const char *terminal;   /* NULL: the office */
    uint64_t seq;
    const char *ref;        /* "" or NULL: none */
    int line;               /* of the revolve movement in its document */
} origin_t;

/* A revolve movement row. */
typedef struct {
    tt_revolve_action_t action;
    const char *doc;
    int line;
    const char *unit, *to_unit, *model;   /* to_unit NULL: none */
    tt_qty_t qty;
    int64_t parent;                       /* 0: none */
} mvrow_t;

static tt_err_t put_movement(tt_revolve_t *rv, const origin_t *o, const mvrow_t *m,
                             const tt_revolve_move_t *mv, const char *day, const char *op,
                             int64_t now_ms, int64_t *id)
{
    sqlite3_stmt *st = rv->st[S_MV_PUT];
    tt_err_t rc;

    tt_stmt_bind_text(st, 1, action_names[m->action]);
    tt_stmt_bind_text(st, 2, m->doc);
    sqlite3_bind_int(st, 3, m->line);
    tt_stmt_bind_text(st, 4, day);
    tt_stmt_bind_text(st, 5, o->terminal ? "terminal" : "office");
    tt_stmt_bind_opt(st, 6, o->terminal);
    if (o->terminal)
        sqlite3_bind_int64(st, 7, (sqlite3_int64)o->seq);
    tt_stmt_bind_text(st, 8, op);
    tt_stmt_bind_opt(st, 9, mv->warehouse);
    tt_stmt_bind_text(st, 10, m->unit);
    tt_stmt_bind_opt(st, 11, m->to_unit);
    tt_stmt_bind_text(st, 12, m->model);
    sqlite3_bind_int64(st, 13, m->qty);
    tt_stmt_bind_opt(st, 14, o->ref);
    if (m->parent)
        sqlite3_bind_int64(st, 15, m->parent);
    tt_stmt_bind_opt(st, 16, mv->note);
    sqlite3_bind_int64(st, 17, now_ms);
    rc = tt_stmt_run(st);
    *id = sqlite3_last_insert_rowid(rv->db);
    return rc;
}

/* Adds `delta` (signed) to the balance read by get_st (binding key1, key2)
 * and written by put_st; a result below zero is TT_ERR_STOCK (the callers
 * have checked, so it means the derived rows are out of step). */
static tt_err_t add_to(tt_revolve_t *rv, int get_st, int put_st, const char *key1,
                       const char *key2, tt_qty_t delta)
{
    sqlite3_stmt *st = rv->st[get_st];
    tt_qty_t have, next;
    tt_err_t rc;
    int k = 1;

    tt_stmt_bind_text(st, 1, key1);
    if (key2)
        tt_stmt_bind_text(st, 2, key2);
    rc = get_int(rv, st, &have);
    if (rc != TT_OK)
        return rc;
    rc = tt_qty_add(have, delta, &next);
    if (rc != TT_OK)
        return rc;
    if (next < 0)
        return TT_ERR_STOCK;
    st = rv->st[put_st];
    tt_stmt_bind_text(st, k++, key1);
    if (key2)
        tt_stmt_bind_text(st, k++, key2);
    sqlite3_bind_int64(st, k, next);
    return tt_stmt_run(st);
}

/* Adds qty to column `col` of (model, unit, day) in rv_daily. */
static tt_err_t add_daily(tt_revolve_t *rv, const char *model, const char *unit, const char *day,
                          int col, tt_qty_t qty)
{
    sqlite3_stmt *st = rv->st[S_DAY_GET];
    tt_qty_t c[NCOL] = {0};
    tt_err_t rc;
    int step;

    tt_stmt_bind_text(st, 1, model);
    tt_stmt_bind_text(st, 2, unit);
    tt_stmt_bind_text(st, 3, day);
    step = sqlite3_step(st);
    for (int i = 0; step == SQLITE_ROW && i < NCOL; i++)
        c[i] = sqlite3_column_int64(st, i);
    tt_stmt_done(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return tt_stmt_fail(rv->db);
    rc = tt_qty_add(c[col], qty, &c[col]);
    if (rc != TT_OK)
        return rc;
    st = rv->st[S_DAY_PUT];
    tt_stmt_bind_text(st, 1, model);
    tt_stmt_bind_text(st, 2, unit);
    tt_stmt_bind_text(st, 3, day);
    for (int i = 0; i < NCOL; i++)
        sqlite3_bind_int64(st, 4 + i, c[i]);
    return tt_stmt_run(st);
}

/* The least that `unit` holds of `model` at the end of `day` and of every
 * later day (*avail), and the first day it is that low (at). */
static tt_err_t available(tt_revolve_t *rv, const char *model, const char *unit, const char *day,
                          tt_qty_t *avail, char at[TT_LEDGER_DAY_LEN + 1])
{
    sqlite3_stmt *st = rv->st[S_DAY_UNIT];
    tt_qty_t b = 0, least = INT64_MAX;
    tt_err_t rc = TT_OK;
    int step, counted = 0;   /* counted: the balance at the end of `day` */

    snprintf(at, TT_LEDGER_DAY_LEN + 1, "%s", day);
    tt_stmt_bind_text(st, 1, model);
    tt_stmt_bind_text(st, 2, unit);
    while (rc == TT_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *d = tt_stmt_text(st, 0);
        int cmp = strcmp(d, day);
        tt_qty_t c[NCOL], n;

        if (cmp > 0 && !counted) {   /* no row on `day` itself: b is what it ends with */
            counted = 1;
            if (b < least)
                least = b;
        }
        for (int i = 0; i < NCOL; i++)
            c[i] = sqlite3_column_int64(st, 1 + i);
        rc = net(c, unit_sign, &n);
        if (rc == TT_OK)
            rc = tt_qty_add(b, n, &b);
        if (rc == TT_OK && cmp >= 0) {
            counted = 1;
            if (b < least) {
                least = b;
                snprintf(at, TT_LEDGER_DAY_LEN + 1, "%s", d);
            }
        }
    }
    tt_stmt_done(st);
    if (rc != TT_OK)
        return rc;
    if (step != SQLITE_DONE)
        return tt_stmt_fail(rv->db);
    if (!counted && b < least)
        least = b;
    *avail = least;
    return TT_OK;
}

/* Refuses taking qty of `model` from `unit` on `day` beyond what it holds
 * then or on any later day. */
static tt_err_t check_take(tt_revolve_t *rv, const char *model, const char *unit, const char *day,
                           tt_qty_t qty, char *reason, size_t rlen)
{
    char at[TT_LEDGER_DAY_LEN + 1], h[TT_MONEY_TEXT_MAX], s[TT_MONEY_TEXT_MAX];
    tt_qty_t avail = 0;   /* (set whenever available() succeeds) */
    tt_err_t rc = available(rv, model, unit, day, &avail, at);

    if (rc != TT_OK || qty <= avail)
        return rc;
    if (avail < 0)
        avail = 0;   /* never stored so; keeps the shortfall in range */
    tt_qty_format(avail, h, sizeof h);
    tt_qty_format(qty - avail, s, sizeof s);
    if (strcmp(at, day) == 0)
        snprintf(reason, rlen, "insufficient %s at unit %s: holds %s on %s, short %s", model,
                 unit, h, day, s);
    else
        snprintf(reason, rlen,
                 "insufficient %s at unit %s: holds %s on %s (later movements take the rest),"
                 " short %s",
                 model, unit, h, at, s);
    return TT_ERR_STOCK;
}

typedef struct {
    char model[TT_EVENT_CODE_MAX + 1];
    char from[TT_EVENT_ID_MAX + 1], to[TT_EVENT_ID_MAX + 1];
    tt_qty_t qty;
    int64_t settled;
    char day[TT_LEDGER_DAY_LEN + 1];
} transit_t;

static tt_err_t get_transit(tt_revolve_t *rv, int64_t handover, transit_t *t)
{
    sqlite3_stmt *st = rv->st[S_TR_GET];
    int rc;

    sqlite3_bind_int64(st, 1, handover);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(t->model, sizeof t->model, "%s", tt_stmt_text(st, 0));
        snprintf(t->from, sizeof t->from, "%s", tt_stmt_text(st, 1));
        snprintf(t->to, sizeof t->to, "%s", tt_stmt_text(st, 2));
        t->qty = sqlite3_column_int64(st, 3);
        t->settled = sqlite3_column_int64(st, 4);
        snprintf(t->day, sizeof t->day, "%s", tt_stmt_text(st, 5));
    }
    tt_stmt_done(st);
    return rc == SQLITE_ROW ? TT_OK : rc == SQLITE_DONE ? TT_ERR_NOTFOUND : tt_stmt_fail(rv->db);
}

/* `unit` names a unit of master data: TT_OK, TT_ERR_INVAL (with the
 * reason) or TT_ERR_DB. */
static tt_err_t check_unit(tt_revolve_t *rv, const char *col, const char *unit, char *reason,
                           size_t rlen)
{
    tt_err_t rc;
    if (!tt_event_id_valid(unit))
        return refuse(TT_ERR_INVAL, reason, rlen, "%s: missing or not an id", col);
    rc = tt_dbmaster_unit_exists(rv->tdb, unit);
    if (rc == TT_ERR_NOTFOUND)
        return refuse(TT_ERR_INVAL, reason, rlen, "%s '%s' does not exist", col, unit);
    return rc;
}

/* Checks what can be checked before writing: fields, the period, the model
 * and units, and for a confirm or refusal its handover (*t). */
static tt_err_t check_move(tt_revolve_t *rv, const tt_revolve_move_t *mv, const char *doc,
                           const char *day, const char *op, transit_t *t, char *reason,
                           size_t rlen)
{
    tt_revolve_action_t a = mv->action;
    const char *who = a == TT_REVOLVE_CONFIRM ? "confirmed" : "refused";
    tt_err_t rc;

    if (!rv->ledger)
        return refuse(TT_ERR_INVAL, reason, rlen, "this handle has no ledger: it cannot write");
    if (a < TT_REVOLVE_DRAW || a > TT_REVOLVE_ACTION_LAST)
        return refuse(TT_ERR_INVAL, reason, rlen, "unknown action %d", (int)a);
    if (!tt_event_id_valid(op))
        return refuse(TT_ERR_INVAL, reason, rlen, "operator: missing or not an id");
    /* As the ledger takes them: a terminal's "<terminal>-<seq>" may be
     * longer than an id. */
    if (doc[0] && !tt_event_code_valid(doc))
        return refuse(TT_ERR_INVAL, reason, rlen, "document number: not a code");
    if (!note_valid(mv->note))
        return refuse(TT_ERR_INVAL, reason, rlen, "note: too long or with a control character");
    rc = tt_ledger_period_check(rv->ledger, day, reason, rlen);
    if (rc != TT_OK)
        return rc;
    if (a == TT_REVOLVE_CONFIRM || a == TT_REVOLVE_REFUSE) {
        if (mv->handover <= 0)
            return refuse(TT_ERR_INVAL, reason, rlen, "handover: missing");
        rc = get_transit(rv, mv->handover, t);
        if (rc == TT_ERR_NOTFOUND)
            return refuse(rc, reason, rlen, "movement %lld is not a handover",
                          (long long)mv->handover);
        if (rc != TT_OK)
            return rc;
        if (t->settled)
            return refuse(TT_ERR_CONFLICT, reason, rlen,
                          "handover %lld is settled already (movement %lld)",
                          (long long)mv->handover, (long long)t->settled);
        if (mv->unit[0] && strcmp(mv->unit, t->to) != 0)
            return refuse(TT_ERR_INVAL, reason, rlen,
                          "handover %lld goes to unit %s: only it can be %s by it",
                          (long long)mv->handover, t->to, who);
        if ((mv->model[0] && strcmp(mv->model, t->model) != 0) ||
            (mv->qty != 0 && mv->qty != t->qty))
            return refuse(TT_ERR_INVAL, reason, rlen,
                          "handover %lld is of another model or quantity: it is %s whole",
                          (long long)mv->handover, who);
        if (strcmp(day, t->day) < 0)
            return refuse(TT_ERR_INVAL, reason, rlen, "dated %s, before its handover (%s)", day,
                          t->day);
        return TT_OK;
    }
    if (mv->qty <= 0 || mv->qty > TT_LEDGER_QTY_MAX)
        return refuse(TT_ERR_INVAL, reason, rlen,
                      "qty: must be greater than zero and at most a billion");
    if (!tt_event_code_valid(mv->model))
        return refuse(TT_ERR_INVAL, reason, rlen, "model: missing or not an item code");
    rc = tt_revolve_model_get(rv, mv->model, NULL, NULL);
    if (rc == TT_ERR_NOTFOUND)
        return refuse(TT_ERR_INVAL, reason, rlen, "item '%s' is not a revolving-material model",
                      mv->model);
    if (rc == TT_OK)
        rc = check_unit(rv, "unit", mv->unit, reason, rlen);
    if (rc != TT_OK)
        return rc;
    if (a == TT_REVOLVE_DRAW && !tt_event_id_valid(mv->warehouse))
        return refuse(TT_ERR_INVAL, reason, rlen, "warehouse: missing or not an id");
    if (a != TT_REVOLVE_HANDOVER)
        return TT_OK;
    rc = check_unit(rv, "to_unit", mv->to_unit, reason, rlen);
    if (rc == TT_OK && strcmp(mv->to_unit, mv->unit) == 0)
        return refuse(TT_ERR_INVAL, reason, rlen, "a handover from unit %s to itself", mv->unit);
    return rc;
}

/* Posts a draw's issue to the ledger as line 1 of document m->doc (which
 * the ledger may number): m->parent becomes the issue, m->doc its number. */
static tt_err_t post_issue(tt_revolve_t *rv, const tt_revolve_move_t *mv, const origin_t *o,
                           const char *day, const char *op, int64_t now_ms, char *doc,
                           int64_t *issue, char *reason, size_t rlen)
{
    tt_ledger_line_t ln;
    tt_ledger_doc_t d;
    tt_ledger_result_t res;
    tt_err_t rc;

    memset(&ln, 0, sizeof ln);
    memset(&d, 0, sizeof d);
    ln.kind = TT_LEDGER_ISSUE;
    snprintf(ln.warehouse, sizeof ln.warehouse, "%s", mv->warehouse);
    snprintf(ln.unit, sizeof ln.unit, "%s", mv->unit);
    snprintf(ln.item, sizeof ln.item, "%s", mv->model);
    ln.qty = mv->qty;
    snprintf(ln.ref, sizeof ln.ref, "%s", o->ref ? o->ref : "");
    snprintf(ln.note, sizeof ln.note, "%s", mv->note);
    snprintf(d.doc, sizeof d.doc, "%s", doc);
    snprintf(d.day, sizeof d.day, "%s", day);
    snprintf(d.operator_id, sizeof d.operator_id, "%s", op);
    d.lines = &ln;
    d.nlines = 1;
    rc = tt_ledger_post(rv->ledger, &d, now_ms, &res, reason, rlen);
    if (rc == TT_OK) {
        *issue = res.first_movement;
        snprintf(doc, TT_LEDGER_DOC_MAX + 1, "%s", res.doc);
    }
    return rc;
}

/* The writes of a checked movement (inside the savepoint).  Every action
 * moves its unit's balance, the general ledger and rv_daily by the signs
 * of its rv_daily column; a draw posts its issue first, a handover opens a
 * transit, a confirm or refusal settles one. */
static tt_err_t write_move(tt_revolve_t *rv, const tt_revolve_move_t *mv, const origin_t *o,
                           const char *doc_in, const char *day, const char *op,
                           const transit_t *t, int64_t now_ms, int64_t *id, char *reason,
                           size_t rlen)
{
    tt_revolve_action_t a = mv->action;
    int col = action_col[a], settles = a == TT_REVOLVE_CONFIRM || a == TT_REVOLVE_REFUSE;
    char doc[TT_LEDGER_DOC_MAX + 1];
    mvrow_t m = {a, doc, o->line, mv->unit, NULL, mv->model, mv->qty, 0};
    tt_err_t rc = TT_OK;
    sqlite3_stmt *st;

    /* Numbered like the ledger's own documents, after the id of the
     * document's first movement (a draw's issue): nothing is inserted in
     * between. */
    snprintf(doc, sizeof doc, "%s", doc_in);
    if (!doc[0])
        rc = tt_ledger_next_doc(rv->ledger, "RV", doc);
    if (settles) {
        m.unit = a == TT_REVOLVE_CONFIRM ? t->to : t->from;
        m.model = t->model;
        m.qty = t->qty;
        m.parent = mv->handover;
    } else if (rc == TT_OK && unit_sign[col] < 0) {
        rc = check_take(rv, m.model, m.unit, day, m.qty, reason, rlen);
    }
    if (rc == TT_OK && a == TT_REVOLVE_DRAW) {
        rc = post_issue(rv, mv, o, day, op, now_ms, doc, &m.parent, reason, rlen);
        if (!o->terminal)
            m.line = 2;   /* the issue is line 1 */
    }
    if (a == TT_REVOLVE_HANDOVER)
        m.to_unit = mv->to_unit;
    if (rc == TT_OK)
        rc = put_movement(rv, o, &m, mv, day, op, now_ms, id);
    if (rc == TT_OK)
        rc = add_to(rv, S_BAL_GET, S_BAL_PUT, m.model, m.unit, unit_sign[col] * m.qty);
    if (rc == TT_OK && general_sign[col])
        rc = add_to(rv, S_GEN_GET, S_GEN_PUT, m.model, NULL, general_sign[col] * m.qty);
    if (rc == TT_OK)
        rc = add_daily(rv, m.model, m.unit, day, col, m.qty);
    if (rc != TT_OK || (a != TT_REVOLVE_HANDOVER && !settles))
        return rc;
    if (a == TT_REVOLVE_HANDOVER) {
        st = rv->st[S_TR_PUT];
        sqlite3_bind_int64(st, 1, *id);
        tt_stmt_bind_text(st, 2, m.model);
        tt_stmt_bind_text(st, 3, m.unit);
        tt_stmt_bind_text(st, 4, m.to_unit);
        sqlite3_bind_int64(st, 5, m.qty);
        return tt_stmt_run(st);
    }
    st = rv->st[S_TR_SETTLE];
    sqlite3_bind_int64(st, 1, mv->handover);
    sqlite3_bind_int64(st, 2, *id);
    rc = tt_stmt_run(st);
    if (rc == TT_OK && sqlite3_changes(rv->db) != 1) {
        snprintf(reason, rlen, "handover %lld is settled already", (long long)mv->handover);
        return TT_ERR_CONFLICT;
    }
    return rc;
}

static tt_err_t apply(tt_revolve_t *rv, const tt_revolve_move_t *mv, const origin_t *o,
                      const char *doc, const char *day, const char *op, int64_t now_ms,
                      int64_t *movement, char *reason, size_t rlen)
{
    transit_t t;
    int64_t id = 0;
    tt_err_t rc;

    if (rlen)
        reason[0] = '\0';
    memset(&t, 0, sizeof t);
    rc = check_move(rv, mv, doc, day, op, &t, reason, rlen);
    if (rc != TT_OK)
        return rc;
    rc = tt_stmt_run(rv->st[S_SAVEPOINT]);
    if (rc != TT_OK)
        return rc;
    rc = write_move(rv, mv, o, doc, day, op, &t, now_ms, &id, reason, rlen);
    if (rc == TT_OK)
        rc = tt_stmt_run(rv->st[S_RELEASE]);
    if (rc != TT_OK) {
        /* Undo this call's writes only; the caller's transaction stays. */
        tt_stmt_run(rv->st[S_ROLLBACK]);
        tt_stmt_run(rv->st[S_RELEASE]);
        if (rlen && !reason[0]) {
            if (rc == TT_ERR_RANGE)
                snprintf(reason, rlen, "a quantity total of %s would be out of range",
                         mv->model[0] ? mv->model : t.model);
            else
                snprintf(reason, rlen, "the store failed: %s", tt_strerror(rc));
        }
        return rc;
    }
    if (movement)
        *movement = id;
    return TT_OK;
}

tt_err_t tt_revolve_apply(tt_revolve_t *rv, const tt_revolve_move_t *mv, const char *doc,
                          const char *day, const char *operator_id, int64_t now_ms,
                          int64_t *movement, char *reason, size_t rlen)
{
    origin_t o = {NULL, 0, NULL, 1};
    return apply(rv, mv, &o, doc, day, operator_id, now_ms, movement, reason, rlen);
}

tt_err_t tt_revolve_apply_event(tt_revolve_t *rv, const char *terminal, const tt_event_t *ev,
                                const char *day, int64_t now_ms, char *reason, size_t rlen)
{
    const tt_event_stock_t *b = &ev->body.stock;
    tt_revolve_move_t mv;
    origin_t o;
    char doc[TT_LEDGER_DOC_MAX + 1];
    uint64_t first = ev->seq;
    int a;

    if (ev->type != TT_EVENT_REVOLVE) {
        snprintf(reason, rlen, "not a revolve event");
        return TT_ERR_INVAL;
    }
    a = tt_revolve_action_parse(b->action);
    if (a == 0 || a == TT_REVOLVE_CONFIRM || a == TT_REVOLVE_REFUSE) {
        snprintf(reason, rlen, "action '%.16s' is not a terminal's", b->action);
        return TT_ERR_INVAL;
    }
    memset(&mv, 0, sizeof mv);
    mv.action = (tt_revolve_action_t)a;
    snprintf(mv.warehouse, sizeof mv.warehouse, "%s", b->warehouse);
    snprintf(mv.model, sizeof mv.model, "%s", b->item);
    snprintf(mv.unit, sizeof mv.unit, "%s", b->unit);
    snprintf(mv.to_unit, sizeof mv.to_unit, "%s", b->to_unit);
    mv.qty = b->qty;
    if (b->lines && b->line >= 1 && (uint64_t)(b->line - 1) < ev->seq)
        first = ev->seq - (uint64_t)(b->line - 1);
    snprintf(doc, sizeof doc, "%.32s-%llu", terminal, (unsigned long long)first);
    o.terminal = terminal;
    o.seq = ev->seq;
    o.ref = b->ref;
    o.line = b->lines ? b->line : 1;
    return apply(rv, &mv, &o, doc, day, ev->operator_id, now_ms, NULL, reason, rlen);
}

/* --- read side ---------------------------------------------------------------- */

/* Reads NCOL sums at columns first.. of st's row (NULL sums as 0). */
static void read_cols(sqlite3_stmt *st, int first, tt_qty_t c[NCOL])
{
    for (int i = 0; i < NCOL; i++)
        c[i] = sqlite3_column_int64(st, first + i);
}

tt_err_t tt_revolve_reconcile_each(tt_revolve_t *rv, const char *model, tt_revolve_recon_fn fn,
                                   void *ctx)
{
    sqlite3_stmt *ms = rv->st[S_RC_MODELS], *us = rv->st[S_RC_UNITS],
                 *ts = rv->st[S_RC_TRANSIT];
    tt_revolve_balance_t *units = NULL;
    size_t cap = 0;
    tt_err_t rc = TT_OK;
    int step;

    tt_stmt_bind_opt(ms, 1, model);
    while (rc == TT_OK && (step = sqlite3_step(ms)) == SQLITE_ROW) {
        tt_revolve_recon_t r;
        tt_qty_t sum;
        int us_step;

        memset(&r, 0, sizeof r);
        r.model = tt_stmt_text(ms, 0);
        r.name = tt_stmt_text(ms, 1);
        r.general = sqlite3_column_int64(ms, 2);
        tt_stmt_bind_text(us, 1, r.model);
        while (rc == TT_OK && (us_step = sqlite3_step(us)) == SQLITE_ROW) {
            if (r.nunits == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                tt_revolve_balance_t *a = realloc(units, ncap * sizeof *a);
                if (!a) {
                    rc = TT_ERR_NOMEM;
                    break;
                }
                units = a;
                cap = ncap;
            }
            snprintf(units[r.nunits].unit, sizeof units[0].unit, "%s", tt_stmt_text(us, 0));
            units[r.nunits].qty = sqlite3_column_int64(us, 1);
            rc = tt_qty_add(r.units_total, units[r.nunits].qty, &r.units_total);
            r.nunits++;
        }
        if (rc == TT_OK && us_step != SQLITE_DONE)
            rc = TT_ERR_DB;
        tt_stmt_done(us);
        if (rc != TT_OK)
            break;
        tt_stmt_bind_text(ts, 1, r.model);
        rc = get_int(rv, ts, &r.in_transit);
        if (rc != TT_OK)
            break;
        r.units = units;
        r.balanced = tt_qty_add(r.units_total, r.in_transit, &sum) == TT_OK && sum == r.general;
        if (fn(ctx, &r))
            break;
    }
    if (rc == TT_OK && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = TT_ERR_DB;
    tt_stmt_done(ms);
    free(units);
    return rc;
}

/* The balance (a unit's with unit, else the general) just before the
 * movement (after_day, after_id) in (day, id) order. */
static tt_err_t balance_before(tt_revolve_t *rv, const char *model, const char *unit,
                               const char *after_day, int64_t after_id, tt_qty_t *out)
{
    const int *sign = unit ? unit_sign : general_sign;
    sqlite3_stmt *st = rv->st[S_MV_BEFORE];
    tt_qty_t c[NCOL], b = 0;
    tt_err_t rc;
    int step;

    *out = 0;
    if (!after_day[0])
        return TT_OK;
    tt_stmt_bind_text(st, 1, model);
    tt_stmt_bind_opt(st, 2, unit);
    tt_stmt_bind_text(st, 3, after_day);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        read_cols(st, 0, c);
    tt_stmt_done(st);
    if (step != SQLITE_ROW)
        return TT_ERR_DB;
    rc = net(c, sign, &b);
    st = rv->st[S_MV_SAMEDAY];
    tt_stmt_bind_text(st, 1, after_day);
    sqlite3_bind_int64(st, 2, after_id);
    tt_stmt_bind_text(st, 3, model);
    tt_stmt_bind_opt(st, 4, unit);
    while (rc == TT_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int a = tt_revolve_action_parse(tt_stmt_text(st, 0));
        int s = a ? sign[action_col[a]] : 0;
        tt_qty_t q = sqlite3_column_int64(st, 1);
        rc = s > 0 ? tt_qty_add(b, q, &b) : s < 0 ? tt_qty_sub(b, q, &b) : TT_OK;
    }
    if (rc == TT_OK && step != SQLITE_DONE)
        rc = TT_ERR_DB;
    tt_stmt_done(st);
    *out = b;
    return rc;
}

tt_err_t tt_revolve_movements_each(tt_revolve_t *rv, const char *model, const char *unit,
                                   const tt_revolve_page_t *page, tt_revolve_movement_fn fn,
                                   void *ctx)
{
    const int *sign = unit ? unit_sign : general_sign;
    sqlite3_stmt *st = rv->st[S_MV_PAGE];
    tt_qty_t b;
    tt_err_t rc;
    int step;

    if (!model || !tt_event_code_valid(model) || (unit && !tt_event_id_valid(unit)) ||
        page->limit == 0 || page->limit > TT_REVOLVE_PAGE_MAX ||
        (page->after_day[0] && !day_valid(page->after_day)) ||
        (!page->after_day[0] && page->after_id != 0))
        return TT_ERR_INVAL;
    rc = balance_before(rv, model, unit, page->after_day, page->after_id, &b);
    if (rc != TT_OK)
        return rc;
    tt_stmt_bind_text(st, 1, model);
    tt_stmt_bind_opt(st, 2, unit);
    tt_stmt_bind_text(st, 3, page->after_day);
    sqlite3_bind_int64(st, 4, page->after_id);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)page->limit);
    while (rc == TT_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        tt_revolve_movement_t m;
        int a = tt_revolve_action_parse(tt_stmt_text(st, 4)), s;

        memset(&m, 0, sizeof m);
        m.id = sqlite3_column_int64(st, 0);
        m.doc = tt_stmt_text(st, 1);
        m.line = sqlite3_column_int(st, 2);
        m.day = tt_stmt_text(st, 3);
        m.action = (tt_revolve_action_t)a;
        m.model = model;
        m.unit = tt_stmt_text(st, 5);
        m.other = tt_stmt_text(st, 6);
        m.qty = sqlite3_column_int64(st, 7);
        m.parent = sqlite3_column_int64(st, 8);
        m.operator_id = tt_stmt_text(st, 9);
        m.terminal = tt_stmt_text(st, 10);
        m.seq = (uint64_t)sqlite3_column_int64(st, 11);
        m.note = tt_stmt_text(st, 12);
        s = a ? sign[action_col[a]] : 0;
        m.delta = s > 0 ? m.qty : s < 0 ? -m.qty : 0;
        rc = tt_qty_add(b, m.delta, &b);
        m.balance = b;
        if (rc == TT_OK && fn(ctx, &m))
            break;
    }
    if (rc == TT_OK && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = TT_ERR_DB;
    tt_stmt_done(st);
    return rc;
}

tt_err_t tt_revolve_transit_each(tt_revolve_t *rv, const char *model, const char *to_unit,
                                 tt_revolve_transit_fn fn, void *ctx)
{
    sqlite3_stmt *st = rv->st[S_TR_LIST];
    int step;

    tt_stmt_bind_opt(st, 1, model);
    tt_stmt_bind_opt(st, 2, to_unit);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        tt_revolve_transit_t t;
        t.handover = sqlite3_column_int64(st, 0);
        t.doc = tt_stmt_text(st, 1);
        t.day = tt_stmt_text(st, 2);
        t.model = tt_stmt_text(st, 3);
        t.from_unit = tt_stmt_text(st, 4);
        t.to_unit = tt_stmt_text(st, 5);
        t.qty = sqlite3_column_int64(st, 6);
        t.operator_id = tt_stmt_text(st, 7);
        if (fn(ctx, &t))
            break;
    }
    tt_stmt_done(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

/* A model's sums in the report so far (its general row): before `from`
 * and within from..to. */
typedef struct {
    char model[TT_EVENT_CODE_MAX + 1];
    tt_qty_t before[NCOL], during[NCOL];
    size_t shown;   /* unit rows given */
} report_model_t;

/* In transit: every handover less every settlement, which is never dated
 * before its handover. */
static const int transit_sign[NCOL] = {0, -1, 1, -1, 0, 0, 0};

/* Fills d from the sums before and within the days, by `sign`. */
static tt_err_t fill_day(tt_revolve_day_t *d, const tt_qty_t before[NCOL],
                         const tt_qty_t during[NCOL], const int sign[NCOL])
{
    tt_qty_t n;
    tt_err_t rc = net(before, sign, &d->opening);
    if (rc == TT_OK)
        rc = net(during, sign, &n);
    d->draw = during[C_DRAW];
    d->handover_in = during[C_IN];
    d->handover_out = during[C_OUT];
    d->returned = during[C_BACK];
    d->loss = during[C_LOSS];
    d->burial = during[C_BURIAL];
    d->scrap = during[C_SCRAP];
    return rc == TT_OK ? tt_qty_add(d->opening, n, &d->closing) : rc;
}

/* Gives the model's general row after its units (left out when the model
 * had nothing at all). */
static tt_err_t report_general(const report_model_t *m, tt_revolve_day_fn fn, void *ctx,
                               int *stop)
{
    tt_revolve_day_t g;
    tt_qty_t all[NCOL];
    tt_err_t rc = TT_OK;

    memset(&g, 0, sizeof g);
    g.model = m->model;
    g.unit = "";
    for (int k = 0; rc == TT_OK && k < NCOL; k++)
        rc = tt_qty_add(m->before[k], m->during[k], &all[k]);
    if (rc == TT_OK)
        rc = net(all, transit_sign, &g.in_transit);
    if (rc == TT_OK)
        rc = fill_day(&g, m->before, m->during, general_sign);
    if (rc == TT_OK && (m->shown || g.opening || g.closing || g.in_transit) && fn(ctx, &g))
        *stop = 1;
    return rc;
}

tt_err_t tt_revolve_report_each(tt_revolve_t *rv, const char *from, const char *to,
                                const char *model, tt_revolve_day_fn fn, void *ctx)
{
    sqlite3_stmt *st = rv->st[S_REPORT];
    report_model_t m;
    tt_err_t rc = TT_OK;
    int step, stop = 0;

    if (!day_valid(from) || !day_valid(to) || strcmp(from, to) > 0 ||
        (model && !tt_event_code_valid(model)))
        return TT_ERR_INVAL;
    memset(&m, 0, sizeof m);
    tt_stmt_bind_text(st, 1, from);
    tt_stmt_bind_text(st, 2, to);
    tt_stmt_bind_opt(st, 3, model);
    while (rc == TT_OK && !stop && (step = sqlite3_step(st)) == SQLITE_ROW) {
        tt_qty_t before[NCOL], during[NCOL];
        tt_revolve_day_t d;
        int moved = 0;

        if (m.model[0] && strcmp(m.model, tt_stmt_text(st, 0)) != 0) {
            rc = report_general(&m, fn, ctx, &stop);
            memset(&m, 0, sizeof m);
            if (rc != TT_OK || stop)
                break;
        }
        snprintf(m.model, sizeof m.model, "%s", tt_stmt_text(st, 0));
        read_cols(st, 2, before);
        read_cols(st, 2 + NCOL, during);
        for (int k = 0; rc == TT_OK && k < NCOL; k++) {
            rc = tt_qty_add(m.before[k], before[k], &m.before[k]);
            if (rc == TT_OK)
                rc = tt_qty_add(m.during[k], during[k], &m.during[k]);
            moved |= during[k] != 0;
        }
        memset(&d, 0, sizeof d);
        d.model = m.model;
        d.unit = tt_stmt_text(st, 1);
        if (rc == TT_OK)
            rc = fill_day(&d, before, during, unit_sign);
        if (rc != TT_OK || (!moved && d.opening == 0 && d.closing == 0))
            continue;
        m.shown++;
        stop = fn(ctx, &d) != 0;
    }
    if (rc == TT_OK && !stop && step != SQLITE_DONE)
        rc = TT_ERR_DB;
    tt_stmt_done(st);
    if (rc == TT_OK && !stop && m.model[0])
        rc = report_general(&m, fn, ctx, &stop);
    return rc;
}
