/*
 * repair: the equipment repair lifecycle and archive (see repair.h and
 * docs/repair.md).
 */
#include "repair.h"

#include "assets.h"
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Migration: repair_doc, repair_quota and repair_consumable are
 * append-only (triggers); equipment_state is derived, kept in step with
 * repair_doc in the same transaction. */
const char tt_repair_schema[] =
    "CREATE TABLE repair_doc ("
    "  id INTEGER PRIMARY KEY,"
    "  repair INTEGER,"            /* the appraisal opening the repair; NULL for an intake */
    "  asset TEXT NOT NULL REFERENCES equipment (asset),"
    "  kind TEXT NOT NULL CHECK (kind IN ('intake', 'appraisal', 'details', 'selfcheck',"
    "    'acceptance', 'issue')),"
    "  result TEXT NOT NULL,"
    "  contents TEXT NOT NULL, people TEXT NOT NULL,"
    "  labour_minutes INTEGER, labour_fen INTEGER, machine_fen INTEGER,"
    "  auxiliary_fen INTEGER, standard_fen INTEGER, quota_fen INTEGER,"
    "  unit TEXT,"                 /* the using unit (issue: the receiving unit) */
    "  state TEXT NOT NULL,"       /* the asset's state after the document */
    "  day TEXT NOT NULL, at_ms INTEGER NOT NULL,"
    "  origin TEXT NOT NULL CHECK (origin IN ('terminal', 'office')),"
    "  terminal TEXT, seq INTEGER,"
    "  operator TEXT NOT NULL,"
    "  ledger_doc TEXT,"           /* the consumables' issue document */
    "  server_ms INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX repair_doc_event ON repair_doc (terminal, seq)"
    "  WHERE terminal IS NOT NULL;"
    "CREATE INDEX repair_doc_asset ON repair_doc (asset, id);"
    "CREATE INDEX repair_doc_repair ON repair_doc (repair, id);"
    "CREATE INDEX repair_doc_day ON repair_doc (day);"
    "CREATE TABLE repair_quota ("
    "  id INTEGER PRIMARY KEY,"
    "  model TEXT NOT NULL,"
    "  class TEXT NOT NULL CHECK (class IN ('major', 'medium', 'minor')),"
    "  quota_fen INTEGER NOT NULL CHECK (quota_fen >= 0),"
    "  by TEXT NOT NULL, server_ms INTEGER NOT NULL);"
    "CREATE INDEX repair_quota_model ON repair_quota (model, class, id);"
    "CREATE TABLE repair_consumable ("
    "  doc INTEGER NOT NULL REFERENCES repair_doc (id),"
    "  movement INTEGER NOT NULL REFERENCES movement (id),"
    "  PRIMARY KEY (doc, movement)) WITHOUT ROWID;"
    "CREATE TABLE equipment_state ("
    "  asset TEXT PRIMARY KEY REFERENCES equipment (asset),"
    "  state TEXT NOT NULL CHECK (state IN ('registered', 'in_use', 'standby', 'received',"
    "    'in_repair', 'in_stock', 'accepted')),"
    "  since_ms INTEGER NOT NULL, day TEXT NOT NULL,"
    "  unit TEXT, repair INTEGER, doc INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TRIGGER repair_doc_no_update BEFORE UPDATE ON repair_doc"
    "  BEGIN SELECT RAISE(ABORT, 'repair documents are append-only'); END;"
    "CREATE TRIGGER repair_doc_no_delete BEFORE DELETE ON repair_doc"
    "  BEGIN SELECT RAISE(ABORT, 'repair documents are append-only'); END;"
    "CREATE TRIGGER repair_quota_no_update BEFORE UPDATE ON repair_quota"
    "  BEGIN SELECT RAISE(ABORT, 'quotas are append-only'); END;"
    "CREATE TRIGGER repair_quota_no_delete BEFORE DELETE ON repair_quota"
    "  BEGIN SELECT RAISE(ABORT, 'quotas are append-only'); END;"
    "CREATE TRIGGER repair_consumable_no_update BEFORE UPDATE ON repair_consumable"
    "  BEGIN SELECT RAISE(ABORT, 'repair consumables are append-only'); END;"
    "CREATE TRIGGER repair_consumable_no_delete BEFORE DELETE ON repair_consumable"
    "  BEGIN SELECT RAISE(ABORT, 'repair consumables are append-only'); END;";

static const char *const kind_names[] = {NULL,        "intake",     "appraisal", "details",
                                         "selfcheck", "acceptance", "issue"};

enum {
    S_SAVEPOINT, S_RELEASE, S_ROLLBACK, S_RESOLVE, S_ASSET, S_UNIT_OK, S_NEXT_ID, S_DOC_PUT,
    S_STATE_PUT, S_QUOTA_GET, S_QUOTA_PUT, S_CLASS, S_LINK, S_CONS_SUM, S_COUNT
};

static const char *const sql_text[S_COUNT] = {
    [S_SAVEPOINT] = "SAVEPOINT tt_repair",
    [S_RELEASE] = "RELEASE tt_repair",
    [S_ROLLBACK] = "ROLLBACK TO tt_repair",
    /* An asset by its number, its tag's GIAI or its printed barcode. */
    [S_RESOLVE] = "SELECT asset FROM equipment WHERE asset = ?1"
                  " UNION ALL SELECT asset FROM equipment WHERE giai = ?1"
                  " UNION ALL SELECT asset FROM equipment WHERE barcode = ?1 LIMIT 1",
    [S_ASSET] = "SELECT e.model, e.active, COALESCE(s.state, ''),"
                " COALESCE(CASE WHEN s.asset IS NULL THEN e.unit ELSE s.unit END, ''),"
                " COALESCE(s.repair, 0), COALESCE(u.kind, '')"
                " FROM equipment e LEFT JOIN equipment_state s ON s.asset = e.asset"
                " LEFT JOIN unit u"
                "   ON u.id = (CASE WHEN s.asset IS NULL THEN e.unit ELSE s.unit END)"
                " WHERE e.asset = ?1",
    [S_UNIT_OK] = "SELECT NOT EXISTS (SELECT 1 FROM unit) OR EXISTS (SELECT 1 FROM unit"
                  " WHERE id = ?1)",
    [S_NEXT_ID] = "SELECT COALESCE(MAX(id), 0) + 1 FROM repair_doc",
    [S_DOC_PUT] = "INSERT INTO repair_doc (id, repair, asset, kind, result, contents, people,"
                  " labour_minutes, labour_fen, machine_fen, auxiliary_fen, standard_fen,"
                  " quota_fen, unit, state, day, at_ms, origin, terminal, seq, operator,"
                  " ledger_doc, server_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
                  " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
    [S_STATE_PUT] = "INSERT INTO equipment_state (asset, state, since_ms, day, unit, repair, doc)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (asset) DO UPDATE SET"
                    " state = excluded.state, since_ms = excluded.since_ms, day = excluded.day,"
                    " unit = excluded.unit, repair = excluded.repair, doc = excluded.doc",
    [S_QUOTA_GET] = "SELECT quota_fen FROM repair_quota WHERE model = ?1 AND class = ?2"
                    " ORDER BY id DESC LIMIT 1",
    [S_QUOTA_PUT] = "INSERT INTO repair_quota (model, class, quota_fen, by, server_ms)"
                    " VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_CLASS] = "SELECT result FROM repair_doc WHERE id = ?1 AND kind = 'appraisal'",
    [S_LINK] = "INSERT INTO repair_consumable (doc, movement)"
               " SELECT ?1, id FROM movement WHERE doc = ?2 AND kind = 'issue'",
    [S_CONS_SUM] = "SELECT COALESCE(SUM(a.value_fen), 0) FROM alloc a"
                   " JOIN repair_consumable c ON c.movement = a.movement WHERE c.doc = ?1",
};

struct tt_repair {
    sqlite3 *db;
    tt_ledger_t *ledger;
    sqlite3_stmt *st[S_COUNT];
};

int tt_repair_kind_parse(const char *name)
{
    for (int k = TT_REPAIR_INTAKE; k <= TT_REPAIR_ISSUE; k++)
        if (name && strcmp(name, kind_names[k]) == 0)
            return k;
    return 0;
}

const char *tt_repair_kind_name(tt_repair_kind_t kind)
{
    return kind >= TT_REPAIR_INTAKE && kind <= TT_REPAIR_ISSUE ? kind_names[kind] : NULL;
}

tt_err_t tt_repair_open(tt_db_t *db, tt_ledger_t *ledger, tt_repair_t **out)
{
    tt_repair_t *r = calloc(1, sizeof *r);

    *out = NULL;
    if (!r)
        return TT_ERR_NOMEM;
    r->db = tt_db_sqlite(db);
    r->ledger = ledger;
    for (int i = 0; i < S_COUNT; i++) {
        if (sqlite3_prepare_v3(r->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &r->st[i],
                               NULL) != SQLITE_OK) {
            tt_repair_close(r);
            return TT_ERR_DB;
        }
    }
    *out = r;
    return TT_OK;
}

void tt_repair_close(tt_repair_t *r)
{
    if (!r)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(r->st[i]);
    free(r);
}

static tt_err_t fail(sqlite3 *db)
{
    return (sqlite3_extended_errcode(db) & 0xff) == SQLITE_FULL ? TT_ERR_FULL : TT_ERR_DB;
}

static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static const char *text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

/* Runs write statement i to completion. */
static tt_err_t run(tt_repair_t *r, int i)
{
    int rc = sqlite3_step(r->st[i]);
    tt_err_t err = rc == SQLITE_DONE ? TT_OK : fail(r->db);
    done(r->st[i]);
    return err;
}

static void bind_text_or_null(sqlite3_stmt *st, int col, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, col);
}

static void say(char *reason, size_t rlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *reason, size_t rlen, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (!reason || !rlen)
        return;
    va_start(ap, fmt);
    n = vsnprintf(reason, rlen, fmt, ap);
    va_end(ap);
    /* Cut short (the caller's buffer, e.g. ingest's journal reason): end
     * at a whole UTF-8 character, never inside one. */
    if (n >= 0 && (size_t)n >= rlen) {
        size_t k = rlen - 1;
        while (k > 0 && ((unsigned char)reason[k - 1] & 0xc0) == 0x80)
            k--;
        if (k > 0 && ((unsigned char)reason[k - 1] & 0x80)) {
            unsigned char lead = (unsigned char)reason[k - 1];
            size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
            if (rlen - 1 - (k - 1) < need)
                k--;
            else
                k = rlen - 1;
        } else {
            k = rlen - 1;
        }
        reason[k] = '\0';
    }
}

/* --- checks ------------------------------------------------------------------ */

/* Printable UTF-8 text without control characters (cap bytes with NUL). */
static int text_ok(const char *s, size_t cap, int may_be_empty)
{
    size_t n = strnlen(s, cap);
    if (n == cap || (!may_be_empty && n == 0))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

static int day_ok(const char *d)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int m, dd;
    if (strlen(d) != TT_LEDGER_DAY_LEN || d[4] != '-' || d[7] != '-')
        return 0;
    for (int i = 0; i < TT_LEDGER_DAY_LEN; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return 0;
    m = (d[5] - '0') * 10 + (d[6] - '0');
    dd = (d[8] - '0') * 10 + (d[9] - '0');
    return m >= 1 && m <= 12 && dd >= 1 && dd <= mdays[m - 1];
}

static int one_of(const char *s, const char *a, const char *b, const char *c)
{
    return strcmp(s, a) == 0 || strcmp(s, b) == 0 || (c && strcmp(s, c) == 0);
}

/* The fields of d that its kind takes, each well formed. */
static tt_err_t check_doc(const tt_repair_doc_t *d, char *reason, size_t rlen)
{
    const char *k = tt_repair_kind_name(d->kind);
    int costs = d->kind == TT_REPAIR_APPRAISAL || d->kind == TT_REPAIR_DETAILS;

    if (!k) {
        say(reason, rlen, "kind: intake, appraisal, details, selfcheck, acceptance or issue");
        return TT_ERR_INVAL;
    }
    if (!text_ok(d->asset, sizeof d->asset, 0)) {
        say(reason, rlen, "asset: missing");
        return TT_ERR_INVAL;
    }
    if (!tt_event_id_valid(d->operator_id)) {
        say(reason, rlen, "operator: missing or not an id");
        return TT_ERR_INVAL;
    }
    if (!day_ok(d->day)) {
        say(reason, rlen, "day: not a date (YYYY-MM-DD): %s", d->day);
        return TT_ERR_INVAL;
    }
    if (!text_ok(d->contents, sizeof d->contents, 1) || !text_ok(d->people, sizeof d->people, 1)) {
        say(reason, rlen, "contents, people: text of at most 255 bytes");
        return TT_ERR_INVAL;
    }
    switch (d->kind) {
    case TT_REPAIR_INTAKE:
    case TT_REPAIR_DETAILS:
        if (d->result[0]) {
            say(reason, rlen, "result: a %s has none", k);
            return TT_ERR_INVAL;
        }
        break;
    case TT_REPAIR_APPRAISAL:
        if (!one_of(d->result, "major", "medium", "minor")) {
            say(reason, rlen, "result: major, medium or minor for an appraisal, not '%s'",
                d->result);
            return TT_ERR_INVAL;
        }
        break;
    case TT_REPAIR_SELFCHECK:
    case TT_REPAIR_ACCEPTANCE:
        if (!one_of(d->result, "pass", "fail", NULL)) {
            say(reason, rlen, "result: pass or fail for a %s, not '%s'", k, d->result);
            return TT_ERR_INVAL;
        }
        break;
    case TT_REPAIR_ISSUE:
        if (!one_of(d->result, "in_use", "standby", NULL)) {
            say(reason, rlen, "result: in_use or standby for an issue, not '%s'", d->result);
            return TT_ERR_INVAL;
        }
        if (!tt_event_id_valid(d->unit)) {
            say(reason, rlen, "unit: an issue needs the receiving unit");
            return TT_ERR_INVAL;
        }
        break;
    }
    if (d->unit[0] && !tt_event_id_valid(d->unit)) {
        say(reason, rlen, "unit: not an id");
        return TT_ERR_INVAL;
    }
    if (d->unit[0] && d->kind != TT_REPAIR_ISSUE && d->kind != TT_REPAIR_INTAKE &&
        d->kind != TT_REPAIR_APPRAISAL) {
        say(reason, rlen, "unit: a %s names no unit", k);
        return TT_ERR_INVAL;
    }
    if (d->kind == TT_REPAIR_DETAILS && !d->has_costs) {
        say(reason, rlen, "details: labour, machine, auxiliary and standard costs missing");
        return TT_ERR_INVAL;
    }
    if (d->has_costs && !costs) {
        say(reason, rlen, "costs: only an appraisal or its details carry them, not a %s", k);
        return TT_ERR_INVAL;
    }
    if (d->has_costs &&
        (d->labour_minutes < 0 || d->labour_minutes > TT_LEDGER_QTY_MAX || d->labour_fen < 0 ||
         d->labour_fen > TT_LEDGER_VALUE_MAX || d->machine_fen < 0 ||
         d->machine_fen > TT_LEDGER_VALUE_MAX || d->auxiliary_fen < 0 ||
         d->auxiliary_fen > TT_LEDGER_VALUE_MAX || d->standard_fen < 0 ||
         d->standard_fen > TT_LEDGER_VALUE_MAX)) {
        say(reason, rlen, "costs: each from 0 to 10 billion yuan");
        return TT_ERR_RANGE;
    }
    if (d->nconsumables > TT_REPAIR_CONSUMABLES_MAX || (d->nconsumables && !d->consumables)) {
        say(reason, rlen, "consumables: at most 100 lines");
        return TT_ERR_INVAL;
    }
    if (d->nconsumables && (d->kind != TT_REPAIR_SELFCHECK || strcmp(d->result, "pass") != 0)) {
        say(reason, rlen, "consumables: only a passed self-check carries them");
        return TT_ERR_INVAL;
    }
    return TT_OK;
}

/* --- the state machine ------------------------------------------------------- */

typedef struct {
    char asset[TT_EVENT_CODE_MAX + 1];
    char model[TT_REPAIR_TEXT_MAX];
    char state[TT_REPAIR_STATE_MAX];
    char unit[TT_EVENT_ID_MAX + 1];
    char unit_kind[16];
    int active;
    int64_t repair;
} asset_t;

/* Resolves key (asset number, GIAI or barcode) and reads the asset. */
static tt_err_t load_asset(tt_repair_t *r, const char *key, asset_t *a, char *reason,
                           size_t rlen)
{
    sqlite3_stmt *st = r->st[S_RESOLVE];
    int rc;

    memset(a, 0, sizeof *a);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(a->asset, sizeof a->asset, "%s", text(st, 0));
    done(st);
    if (rc == SQLITE_DONE) {
        say(reason, rlen, "unknown asset or tag %s (未知设备)", key);
        return TT_ERR_NOTFOUND;
    }
    if (rc != SQLITE_ROW)
        return TT_ERR_DB;
    st = r->st[S_ASSET];
    sqlite3_bind_text(st, 1, a->asset, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(a->model, sizeof a->model, "%s", text(st, 0));
        a->active = sqlite3_column_int(st, 1);
        snprintf(a->state, sizeof a->state, "%s", text(st, 2));
        snprintf(a->unit, sizeof a->unit, "%s", text(st, 3));
        /* No document yet: in_use at its register unit, or registered. */
        if (!a->state[0])
            snprintf(a->state, sizeof a->state, "%s",
                     tt_assets_state_name(tt_assets_initial(a->unit)));
        a->repair = sqlite3_column_int64(st, 4);
        snprintf(a->unit_kind, sizeof a->unit_kind, "%s", text(st, 5));
    }
    done(st);
    if (rc != SQLITE_ROW)
        return TT_ERR_DB;
    if (!a->active) {
        say(reason, rlen, "asset %s is retired (设备已停用)", a->asset);
        return TT_ERR_INVAL;
    }
    return TT_OK;
}

/* The state and unit after document d of asset a, by the rule table that
 * terminals run too (shared/assets.h), or a refusal naming the reason in
 * English and Chinese.  *implied: an appraisal took the asset in from the
 * unit it named (an intake the archive records too). */
static tt_err_t next_state(const asset_t *a, const tt_repair_doc_t *d, char *state, size_t cap,
                           char unit[TT_EVENT_ID_MAX + 1], int *implied, char *reason,
                           size_t rlen)
{
    static const tt_assets_step_t steps[] = {
        [TT_REPAIR_INTAKE] = TT_ASSETS_INTAKE,         [TT_REPAIR_APPRAISAL] = TT_ASSETS_APPRAISAL,
        [TT_REPAIR_SELFCHECK] = TT_ASSETS_SELFCHECK,   [TT_REPAIR_ACCEPTANCE] = TT_ASSETS_ACCEPTANCE,
        [TT_REPAIR_ISSUE] = TT_ASSETS_ISSUE,
    };
    tt_assets_state_t cur = (tt_assets_state_t)tt_assets_state_parse(a->state), next;
    tt_assets_refusal_t why;
    char en[160], zh[160];

    *implied = 0;
    if (d->kind == TT_REPAIR_DETAILS) {
        /* Costs belong to an open repair: appraised and not issued since. */
        if (!a->repair) {
            say(reason, rlen, "details: %s has no open repair (%s)", a->asset, a->state);
            return TT_ERR_INVAL;
        }
        snprintf(state, cap, "%s", a->state);
        snprintf(unit, TT_EVENT_ID_MAX + 1, "%s", a->unit);
        return TT_OK;
    }
    if (!cur)
        return TT_ERR_DB;   /* a state the table does not know: the schema forbids it */
    why = tt_assets_next(cur, a->unit, steps[d->kind], d->result, d->unit, &next, unit, implied);
    if (why != TT_ASSETS_OK) {
        tt_assets_explain(why, cur, a->unit, d->unit, 1, en, sizeof en);
        tt_assets_explain(why, cur, a->unit, d->unit, 0, zh, sizeof zh);
        say(reason, rlen, "%s %s: %s (%s)", tt_repair_kind_name(d->kind), a->asset, en, zh);
        return TT_ERR_INVAL;
    }
    snprintf(state, cap, "%s", tt_assets_state_name(next));
    return TT_OK;
}

static tt_err_t scalar(tt_repair_t *r, int i, int64_t *v)
{
    int rc = sqlite3_step(r->st[i]);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(r->st[i], 0) : 0;
    done(r->st[i]);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

/* The quota of a's model for the repair's class (*has 0 when none set). */
static tt_err_t quota_of(tt_repair_t *r, const asset_t *a, const char *cls, int *has,
                         tt_fen_t *q)
{
    sqlite3_stmt *st = r->st[S_QUOTA_GET];
    int rc;
    sqlite3_bind_text(st, 1, a->model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cls, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *has = rc == SQLITE_ROW;
    *q = *has ? sqlite3_column_int64(st, 0) : 0;
    done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

/* The repair's class: its appraisal's result. */
static tt_err_t class_of(tt_repair_t *r, int64_t repair, char cls[TT_REPAIR_STATE_MAX])
{
    sqlite3_stmt *st = r->st[S_CLASS];
    int rc;
    cls[0] = '\0';
    sqlite3_bind_int64(st, 1, repair);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(cls, TT_REPAIR_STATE_MAX, "%s", text(st, 0));
    done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

/* Issues the consumables FIFO through the ledger as document `ldoc`, from
 * their warehouses to the asset's using unit, and links the movements. */
static tt_err_t issue_consumables(tt_repair_t *r, const tt_repair_doc_t *d, const asset_t *a,
                                  int64_t id, const char *ldoc, int64_t now_ms,
                                  tt_fen_t *value, char *reason, size_t rlen)
{
    tt_ledger_line_t *lines;
    tt_ledger_doc_t doc;
    tt_err_t rc;
    int64_t v;

    if (!a->unit[0]) {
        say(reason, rlen, "consumables: %s has no using unit to charge", a->asset);
        return TT_ERR_INVAL;
    }
    rc = tt_ledger_doc_used(r->ledger, ldoc);
    if (rc == TT_ERR_EXISTS) {
        say(reason, rlen, "consumables: ledger document %s is taken", ldoc);
        return TT_ERR_CONFLICT;
    }
    if (rc != TT_OK)
        return rc;
    lines = calloc(d->nconsumables, sizeof *lines);
    if (!lines)
        return TT_ERR_NOMEM;
    for (size_t i = 0; i < d->nconsumables; i++) {
        lines[i].kind = TT_LEDGER_ISSUE;
        snprintf(lines[i].warehouse, sizeof lines[i].warehouse, "%s", d->consumables[i].warehouse);
        snprintf(lines[i].item, sizeof lines[i].item, "%s", d->consumables[i].item);
        snprintf(lines[i].unit, sizeof lines[i].unit, "%s", a->unit);
        lines[i].qty = d->consumables[i].qty;
        snprintf(lines[i].note, sizeof lines[i].note, "repair consumable of %s (维修耗材)",
                 a->asset);
    }
    memset(&doc, 0, sizeof doc);
    snprintf(doc.doc, sizeof doc.doc, "%s", ldoc);
    snprintf(doc.day, sizeof doc.day, "%s", d->day);
    snprintf(doc.operator_id, sizeof doc.operator_id, "%s", d->operator_id);
    doc.lines = lines;
    doc.nlines = d->nconsumables;
    rc = tt_ledger_post(r->ledger, &doc, now_ms, NULL, reason, rlen);
    free(lines);
    if (rc != TT_OK) {
        if (reason && rlen && reason[0]) {
            char tmp[320];
            snprintf(tmp, sizeof tmp, "consumables: %s", reason);
            snprintf(reason, rlen, "%s", tmp);
        }
        return rc;
    }
    sqlite3_bind_int64(r->st[S_LINK], 1, id);
    sqlite3_bind_text(r->st[S_LINK], 2, ldoc, -1, SQLITE_STATIC);
    rc = run(r, S_LINK);
    if (rc != TT_OK)
        return rc;
    sqlite3_bind_int64(r->st[S_CONS_SUM], 1, id);
    rc = scalar(r, S_CONS_SUM, &v);
    *value = v;
    return rc;
}

/* Posts d inside the savepoint: origin 'terminal' when terminal != NULL. */
/* Where and when a document is recorded. */
typedef struct {
    const char *terminal;     /* NULL: the office */
    uint64_t seq;
    int64_t at_ms, now_ms;
} origin_t;

/* Inserts document `id` of d (as kind `kind`) for asset a, leaving it in
 * `state` at `unit`. */
static tt_err_t put_doc(tt_repair_t *r, int64_t id, int64_t repair, const asset_t *a,
                        const tt_repair_doc_t *d, tt_repair_kind_t kind, const char *contents,
                        const char *state, const char *unit, const origin_t *o, int with_event,
                        const char *ldoc, const tt_fen_t *quota)
{
    sqlite3_stmt *st = r->st[S_DOC_PUT];
    int costs = kind == d->kind && d->has_costs;

    sqlite3_bind_int64(st, 1, id);
    if (repair)
        sqlite3_bind_int64(st, 2, repair);
    sqlite3_bind_text(st, 3, a->asset, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, tt_repair_kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, kind == d->kind ? d->result : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, contents, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, d->people[0] ? d->people : d->operator_id, -1, SQLITE_STATIC);
    if (costs) {
        sqlite3_bind_int64(st, 8, d->labour_minutes);
        sqlite3_bind_int64(st, 9, d->labour_fen);
        sqlite3_bind_int64(st, 10, d->machine_fen);
        sqlite3_bind_int64(st, 11, d->auxiliary_fen);
        sqlite3_bind_int64(st, 12, d->standard_fen);
    }
    if (quota)
        sqlite3_bind_int64(st, 13, *quota);
    bind_text_or_null(st, 14, unit);
    sqlite3_bind_text(st, 15, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 16, d->day, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 17, o->at_ms);
    sqlite3_bind_text(st, 18, o->terminal ? "terminal" : "office", -1, SQLITE_STATIC);
    /* (terminal, seq) is unique: only the event's own document carries it */
    if (o->terminal && with_event) {
        sqlite3_bind_text(st, 19, o->terminal, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 20, (sqlite3_int64)o->seq);
    }
    sqlite3_bind_text(st, 21, d->operator_id, -1, SQLITE_STATIC);
    bind_text_or_null(st, 22, ldoc);
    sqlite3_bind_int64(st, 23, o->now_ms);
    return run(r, S_DOC_PUT);
}

/* Posts d inside the savepoint. */
static tt_err_t post(tt_repair_t *r, const tt_repair_doc_t *d, const origin_t *o,
                     tt_repair_result_t *res, char *reason, size_t rlen)
{
    char state[TT_REPAIR_STATE_MAX], cls[TT_REPAIR_STATE_MAX] = "";
    char ldoc[TT_LEDGER_DOC_MAX + 1] = "", unit[TT_EVENT_ID_MAX + 1] = "";
    sqlite3_stmt *st;
    asset_t a;
    int64_t id, repair, ok;
    int has_quota = 0, implied = 0;
    tt_fen_t quota = 0, cons = 0;
    tt_err_t rc;

    rc = check_doc(d, reason, rlen);
    if (rc == TT_OK)
        rc = load_asset(r, d->asset, &a, reason, rlen);
    if (rc == TT_OK)
        rc = next_state(&a, d, state, sizeof state, unit, &implied, reason, rlen);
    if (rc != TT_OK)
        return rc;
    if (d->unit[0]) {
        sqlite3_bind_text(r->st[S_UNIT_OK], 1, d->unit, -1, SQLITE_STATIC);
        if ((rc = scalar(r, S_UNIT_OK, &ok)) != TT_OK)
            return rc;
        if (!ok) {
            say(reason, rlen, "unit: unknown unit %s (未知单位)", d->unit);
            return TT_ERR_INVAL;
        }
    }
    if ((rc = scalar(r, S_NEXT_ID, &id)) != TT_OK)
        return rc;
    if (implied) {
        /* The appraisal took the asset in from the unit it named: the
         * archive shows that hand-over as an intake of its own. */
        rc = put_doc(r, id, 0, &a, d, TT_REPAIR_INTAKE, "implied by the appraisal (鉴定时交修)",
                     "received", unit, o, 0, NULL, NULL);
        if (rc != TT_OK)
            return rc;
        id++;
    }
    repair = d->kind == TT_REPAIR_APPRAISAL ? id : d->kind == TT_REPAIR_INTAKE ? 0 : a.repair;
    if (d->kind == TT_REPAIR_APPRAISAL)
        snprintf(cls, sizeof cls, "%s", d->result);
    else if (d->kind == TT_REPAIR_DETAILS && (rc = class_of(r, repair, cls)) != TT_OK)
        return rc;
    if (cls[0] && (rc = quota_of(r, &a, cls, &has_quota, &quota)) != TT_OK)
        return rc;
    if (d->nconsumables)
        snprintf(ldoc, sizeof ldoc, "WX.%lld", (long long)id);
    rc = put_doc(r, id, repair, &a, d, d->kind, d->contents, state, unit, o, 1, ldoc,
                 has_quota ? &quota : NULL);
    if (rc != TT_OK)
        return rc;
    /* After the document: the consumables' links refer to it. */
    if (d->nconsumables) {
        rc = issue_consumables(r, d, &a, id, ldoc, o->now_ms, &cons, reason, rlen);
        if (rc != TT_OK)
            return rc;
    }
    st = r->st[S_STATE_PUT];
    sqlite3_bind_text(st, 1, a.asset, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, o->at_ms);
    sqlite3_bind_text(st, 4, d->day, -1, SQLITE_STATIC);
    bind_text_or_null(st, 5, unit);
    /* The repair stays open until the asset is issued again. */
    if (repair && d->kind != TT_REPAIR_ISSUE)
        sqlite3_bind_int64(st, 6, repair);
    sqlite3_bind_int64(st, 7, id);
    if ((rc = run(r, S_STATE_PUT)) != TT_OK)
        return rc;
    if (res) {
        memset(res, 0, sizeof *res);
        res->id = id;
        res->repair = repair;
        snprintf(res->asset, sizeof res->asset, "%s", a.asset);
        snprintf(res->state, sizeof res->state, "%s", state);
        snprintf(res->ledger_doc, sizeof res->ledger_doc, "%s", ldoc);
        res->consumables_fen = cons;
    }
    return TT_OK;
}

/* post() all or nothing. */
static tt_err_t post_whole(tt_repair_t *r, const tt_repair_doc_t *d, const origin_t *o,
                           tt_repair_result_t *res, char *reason, size_t rlen)
{
    tt_err_t rc = run(r, S_SAVEPOINT);
    if (rc != TT_OK)
        return rc;
    rc = post(r, d, o, res, reason, rlen);
    if (rc == TT_OK && (rc = run(r, S_RELEASE)) == TT_OK)
        return TT_OK;
    run(r, S_ROLLBACK);
    run(r, S_RELEASE);
    return rc;
}

tt_err_t tt_repair_post(tt_repair_t *r, const tt_repair_doc_t *d, int64_t now_ms,
                        tt_repair_result_t *res, char *reason, size_t rlen)
{
    if (reason && rlen)
        reason[0] = '\0';
    origin_t o = {NULL, 0, now_ms, now_ms};
    return post_whole(r, d, &o, res, reason, rlen);
}

tt_err_t tt_repair_apply_event(tt_repair_t *r, const char *terminal, const tt_event_t *ev,
                               const char *day, int64_t now_ms, char *reason, size_t rlen)
{
    tt_repair_doc_t d;
    char at_day[TT_LEDGER_DAY_LEN + 1];
    int64_t at_ms = ev->ts_ms;
    origin_t o;

    if (reason && rlen)
        reason[0] = '\0';
    if (ev->type != TT_EVENT_EQUIPMENT) {
        say(reason, rlen, "not an equipment event");
        return TT_ERR_INVAL;
    }
    memset(&d, 0, sizeof d);
    d.kind = (tt_repair_kind_t)tt_repair_kind_parse(ev->body.stock.step);
    if (d.kind != TT_REPAIR_APPRAISAL && d.kind != TT_REPAIR_SELFCHECK &&
        d.kind != TT_REPAIR_ACCEPTANCE && d.kind != TT_REPAIR_ISSUE) {
        say(reason, rlen, "step: %s is no terminal step", ev->body.stock.step);
        return TT_ERR_INVAL;
    }
    snprintf(d.asset, sizeof d.asset, "%s", ev->body.stock.asset);
    snprintf(d.result, sizeof d.result, "%s", ev->body.stock.result);
    /* issue: the receiving unit; appraisal: the unit handing it in */
    if (d.kind == TT_REPAIR_ISSUE || d.kind == TT_REPAIR_APPRAISAL)
        snprintf(d.unit, sizeof d.unit, "%s", ev->body.stock.unit);
    snprintf(d.day, sizeof d.day, "%s", day);
    snprintf(d.operator_id, sizeof d.operator_id, "%s", ev->operator_id);
    /* The step's moment is the terminal's clock, unless ingest dated the
     * event by server time (its clock was suspect): then the server's. */
    if (tt_ledger_day(ev->ts_ms, at_day) != TT_OK || strcmp(at_day, day) != 0)
        at_ms = now_ms;
    o.terminal = terminal;
    o.seq = ev->seq;
    o.at_ms = at_ms;
    o.now_ms = now_ms;
    return post_whole(r, &d, &o, NULL, reason, rlen);
}

tt_err_t tt_repair_set_quota(tt_repair_t *r, const char *model, const char *cls,
                             tt_fen_t quota_fen, const char *by, int64_t now_ms, int64_t *id,
                             char *reason, size_t rlen)
{
    sqlite3_stmt *st = r->st[S_QUOTA_PUT];
    tt_err_t rc;

    if (!model || !text_ok(model, TT_REPAIR_TEXT_MAX, 0)) {
        say(reason, rlen, "model: text of 1 to 255 bytes");
        return TT_ERR_INVAL;
    }
    if (!cls || !one_of(cls, "major", "medium", "minor")) {
        say(reason, rlen, "class: major, medium or minor");
        return TT_ERR_INVAL;
    }
    if (quota_fen < 0 || quota_fen > TT_LEDGER_VALUE_MAX) {
        say(reason, rlen, "quota: from 0 to 10 billion yuan");
        return TT_ERR_INVAL;
    }
    if (!by || !tt_event_id_valid(by)) {
        say(reason, rlen, "by: missing or not an id");
        return TT_ERR_INVAL;
    }
    sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cls, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, quota_fen);
    sqlite3_bind_text(st, 4, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now_ms);
    rc = run(r, S_QUOTA_PUT);
    if (rc == TT_OK && id)
        *id = sqlite3_last_insert_rowid(r->db);
    return rc;
}
