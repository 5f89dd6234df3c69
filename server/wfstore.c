#include "wfstore.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appended to db.c's migrations.  Definitions and the event log are
 * append-only (triggers), like the ledger's journal; steps are stored by
 * name, which the pinned version resolves. */
const char tt_wfstore_schema[] =
    "CREATE TABLE wf_definition ("
    "  name TEXT NOT NULL,"
    "  version INTEGER NOT NULL CHECK (version >= 1),"
    "  file TEXT NOT NULL,"
    "  text TEXT NOT NULL,"
    "  deployed_ms INTEGER NOT NULL,"
    "  deployed_by TEXT NOT NULL,"
    "  PRIMARY KEY (name, version)) WITHOUT ROWID;"
    "CREATE TRIGGER wf_definition_no_update BEFORE UPDATE ON wf_definition"
    "  BEGIN SELECT RAISE(ABORT, 'a deployed definition never changes'); END;"
    "CREATE TRIGGER wf_definition_no_delete BEFORE DELETE ON wf_definition"
    "  BEGIN SELECT RAISE(ABORT, 'a deployed definition never changes'); END;"
    "CREATE TABLE wf_instance ("
    "  id INTEGER PRIMARY KEY,"
    "  def TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  started_by TEXT NOT NULL,"
    "  unit TEXT NOT NULL,"
    "  started_ms INTEGER NOT NULL,"
    "  ended_ms INTEGER,"
    "  outcome TEXT,"
    "  seq INTEGER NOT NULL,"
    "  FOREIGN KEY (def, version) REFERENCES wf_definition (name, version));"
    "CREATE INDEX wf_instance_def ON wf_instance (def, started_ms);"
    "CREATE TABLE wf_var ("
    "  instance INTEGER NOT NULL REFERENCES wf_instance (id),"
    "  name TEXT NOT NULL,"
    "  type TEXT NOT NULL CHECK (type IN ('int', 'bool', 'string', 'json')),"
    "  i INTEGER, s TEXT,"
    "  PRIMARY KEY (instance, name)) WITHOUT ROWID;"
    "CREATE TABLE wf_doc ("
    "  instance INTEGER NOT NULL REFERENCES wf_instance (id),"
    "  name TEXT NOT NULL,"
    "  PRIMARY KEY (instance, name));"
    "CREATE TABLE wf_token ("
    "  instance INTEGER NOT NULL REFERENCES wf_instance (id),"
    "  id INTEGER NOT NULL,"
    "  step TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('active', 'done', 'cancelled')),"
    "  fork INTEGER NOT NULL,"
    "  activated_ms INTEGER NOT NULL, claimed_ms INTEGER, done_ms INTEGER,"
    "  not_before_ms INTEGER, due_ms INTEGER,"
    "  remind_ms INTEGER, escalate_ms INTEGER, wait_ms INTEGER, timer_ms INTEGER,"
    "  reminders INTEGER NOT NULL, escalated INTEGER NOT NULL, arrived INTEGER NOT NULL,"
    "  claimed_by TEXT, done_by TEXT, done_role TEXT, done_unit TEXT, action TEXT,"
    "  PRIMARY KEY (instance, id)) WITHOUT ROWID;"
    "CREATE INDEX wf_token_timer ON wf_token (timer_ms) WHERE timer_ms IS NOT NULL;"
    "CREATE INDEX wf_token_task ON wf_token (kind, state) WHERE state = 'active';"
    "CREATE INDEX wf_token_activated ON wf_token (activated_ms);"
    "CREATE TABLE wf_event ("
    "  instance INTEGER NOT NULL REFERENCES wf_instance (id),"
    "  seq INTEGER NOT NULL CHECK (seq >= 1),"
    "  at_ms INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  token INTEGER,"
    "  user TEXT, role TEXT, unit TEXT,"
    "  origin TEXT NOT NULL CHECK (origin IN ('web', 'terminal', 'system')),"
    "  action TEXT, from_step TEXT, to_step TEXT, vars TEXT, docs TEXT, note TEXT,"
    "  PRIMARY KEY (instance, seq)) WITHOUT ROWID;"
    "CREATE TRIGGER wf_event_no_update BEFORE UPDATE ON wf_event"
    "  BEGIN SELECT RAISE(ABORT, 'the workflow log is append-only'); END;"
    "CREATE TRIGGER wf_event_no_delete BEFORE DELETE ON wf_event"
    "  BEGIN SELECT RAISE(ABORT, 'the workflow log is append-only'); END;";

enum {
    S_DEF_LATEST, S_DEF_GET, S_DEF_PUT, S_DEF_EACH, S_INST_HEAD, S_INST_GET, S_INST_NEW,
    S_INST_PUT, S_VAR_EACH, S_VAR_PUT, S_DOC_EACH, S_DOC_PUT, S_TOK_EACH, S_TOK_PUT, S_EV_PUT,
    S_EV_GET, S_EV_EACH, S_TASKS, S_NEXT_TIMER, S_DUE, S_VISITS, S_INSTS, S_COUNT
};

#define EVENT_COLS "seq, at_ms, kind, token, user, role, unit, origin, action, from_step," \
                   " to_step, vars, docs, note"
#define TOKEN_COLS "id, step, state, fork, activated_ms, claimed_ms, done_ms, not_before_ms," \
                   " due_ms, remind_ms, escalate_ms, wait_ms, reminders, escalated, arrived," \
                   " claimed_by, done_by, done_role, done_unit, action"

static const char *const sql_text[S_COUNT] = {
    [S_DEF_LATEST] = "SELECT version, text FROM wf_definition WHERE name = ?1"
                     " ORDER BY version DESC LIMIT 1",
    [S_DEF_GET] = "SELECT version, text, file FROM wf_definition WHERE name = ?1"
                  " AND (version = ?2 OR ?2 = 0) ORDER BY version DESC LIMIT 1",
    [S_DEF_PUT] = "INSERT INTO wf_definition (name, version, file, text, deployed_ms,"
                  " deployed_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_DEF_EACH] = "SELECT d.name, d.version, d.file, d.deployed_by, d.deployed_ms,"
                   " (SELECT COUNT(*) FROM wf_instance i WHERE i.def = d.name"
                   "  AND i.version = d.version AND i.outcome IS NULL),"
                   " (SELECT COUNT(*) FROM wf_instance i WHERE i.def = d.name"
                   "  AND i.version = d.version AND i.outcome IS NOT NULL)"
                   " FROM wf_definition d ORDER BY d.name, d.version",
    [S_INST_HEAD] = "SELECT def, version FROM wf_instance WHERE id = ?1",
    [S_INST_GET] = "SELECT started_by, unit, started_ms, ended_ms, outcome, seq"
                   " FROM wf_instance WHERE id = ?1",
    [S_INST_NEW] = "INSERT INTO wf_instance (def, version, started_by, unit, started_ms,"
                   " ended_ms, outcome, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_INST_PUT] = "UPDATE wf_instance SET ended_ms = ?2, outcome = ?3, seq = ?4"
                   " WHERE id = ?1 AND seq = ?5",
    [S_VAR_EACH] = "SELECT name, type, i, s FROM wf_var WHERE instance = ?1",
    [S_VAR_PUT] = "INSERT INTO wf_var (instance, name, type, i, s) VALUES (?1, ?2, ?3, ?4, ?5)"
                  " ON CONFLICT (instance, name) DO UPDATE SET type = excluded.type,"
                  " i = excluded.i, s = excluded.s",
    [S_DOC_EACH] = "SELECT name FROM wf_doc WHERE instance = ?1 ORDER BY rowid",
    [S_DOC_PUT] = "INSERT OR IGNORE INTO wf_doc (instance, name) VALUES (?1, ?2)",
    [S_TOK_EACH] = "SELECT " TOKEN_COLS " FROM wf_token WHERE instance = ?1 ORDER BY id",
    [S_TOK_PUT] = "INSERT OR REPLACE INTO wf_token (instance, " TOKEN_COLS ", kind, timer_ms)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
                  " ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
    [S_EV_PUT] = "INSERT INTO wf_event (instance, " EVENT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5,"
                 " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [S_EV_GET] = "SELECT " EVENT_COLS " FROM wf_event WHERE instance = ?1 AND seq = ?2",
    [S_EV_EACH] = "SELECT " EVENT_COLS " FROM wf_event WHERE instance = ?1 ORDER BY seq",
    [S_TASKS] = "SELECT t.instance, t.id, i.def, i.version, t.step, i.unit, i.started_by,"
                " t.claimed_by, t.escalated, t.activated_ms, t.not_before_ms, t.due_ms"
                " FROM wf_token t JOIN wf_instance i ON i.id = t.instance"
                " WHERE t.state = 'active' AND t.kind = 'task' AND i.outcome IS NULL"
                " ORDER BY t.activated_ms, t.instance, t.id",
    [S_NEXT_TIMER] = "SELECT MIN(timer_ms) FROM wf_token WHERE timer_ms IS NOT NULL",
    [S_DUE] = "SELECT DISTINCT instance FROM wf_token WHERE timer_ms <= ?1"
              " ORDER BY instance LIMIT ?2",
    [S_VISITS] = "SELECT t.instance, i.version, t.step, t.kind, t.state, t.done_by, t.done_unit,"
                 " t.action, t.activated_ms, t.claimed_ms, t.done_ms, t.due_ms"
                 " FROM wf_token t JOIN wf_instance i ON i.id = t.instance"
                 " WHERE i.def = ?1 AND t.activated_ms >= ?2 AND t.activated_ms < ?3"
                 " ORDER BY t.instance, t.id",
    [S_INSTS] = "SELECT unit, outcome, started_ms, ended_ms FROM wf_instance"
                " WHERE def = ?1 AND started_ms >= ?2 AND started_ms < ?3",
};

struct tt_wfstore {
    sqlite3 *db;
    sqlite3_stmt *st[S_COUNT];
};

static tt_err_t fail(tt_wfstore_t *s)
{
    return (sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_FULL ? TT_ERR_FULL : TT_ERR_DB;
}

static sqlite3_stmt *stmt(tt_wfstore_t *s, int i)
{
    sqlite3_reset(s->st[i]);
    sqlite3_clear_bindings(s->st[i]);
    return s->st[i];
}

static tt_err_t run(tt_wfstore_t *s, sqlite3_stmt *st)
{
    tt_err_t rc = sqlite3_step(st) == SQLITE_DONE ? TT_OK : fail(s);
    sqlite3_reset(st);
    return rc;
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static void bind_text(sqlite3_stmt *st, int i, const char *text)
{
    if (text && text[0])
        sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

static void bind_ms(sqlite3_stmt *st, int i, int64_t ms)
{
    if (ms)
        sqlite3_bind_int64(st, i, ms);
}

tt_err_t tt_wfstore_open(tt_db_t *db, tt_wfstore_t **out)
{
    tt_wfstore_t *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return TT_ERR_NOMEM;
    s->db = tt_db_sqlite(db);
    for (int i = 0; i < S_COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                               NULL) != SQLITE_OK) {
            tt_wfstore_close(s);
            return TT_ERR_DB;
        }
    }
    *out = s;
    return TT_OK;
}

void tt_wfstore_close(tt_wfstore_t *s)
{
    if (!s)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    free(s);
}

/* --- definitions -------------------------------------------------------------------- */

tt_err_t tt_wfstore_def_put(tt_wfstore_t *s, const char *name, const char *file,
                            const char *text, const char *by, int64_t now_ms, int *version,
                            int *created)
{
    sqlite3_stmt *st = stmt(s, S_DEF_LATEST);
    int rc, latest = 0, same = 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        latest = sqlite3_column_int(st, 0);
        same = strcmp(col(st, 1), text) == 0;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(s);
    *created = !same;
    *version = same ? latest : latest + 1;
    if (same)
        return TT_OK;
    st = stmt(s, S_DEF_PUT);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, *version);
    sqlite3_bind_text(st, 3, file, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now_ms);
    sqlite3_bind_text(st, 6, by, -1, SQLITE_STATIC);
    return run(s, st);
}

tt_err_t tt_wfstore_def_get(tt_wfstore_t *s, const char *name, int version, char **text,
                            char *file, int *out_version)
{
    sqlite3_stmt *st = stmt(s, S_DEF_GET);
    int rc;
    tt_err_t err = TT_OK;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, version);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out_version = sqlite3_column_int(st, 0);
        *text = strdup(col(st, 1));
        snprintf(file, 256, "%s", col(st, 2));
        err = *text ? TT_OK : TT_ERR_NOMEM;
    } else {
        err = rc == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
    }
    sqlite3_reset(st);
    return err;
}

tt_err_t tt_wfstore_defs_each(tt_wfstore_t *s, tt_wfstore_def_fn fn, void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_DEF_EACH);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_wfstore_def_row_t r = {col(st, 0), col(st, 2), col(st, 3), sqlite3_column_int(st, 1),
                                  sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5),
                                  sqlite3_column_int64(st, 6)};
        if (fn(ctx, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

/* --- instances ----------------------------------------------------------------------- */

tt_err_t tt_wfstore_inst_head(tt_wfstore_t *s, int64_t id, char *def, size_t deflen,
                              int *version)
{
    sqlite3_stmt *st = stmt(s, S_INST_HEAD);
    int rc;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(def, deflen, "%s", col(st, 0));
        *version = sqlite3_column_int(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? TT_OK : rc == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
}

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

static tt_err_t load_token(sqlite3_stmt *st, const tt_wfdef_t *def, tt_wf_inst_t *in)
{
    tt_wf_token_t t;
    const char *state = col(st, 2);
    memset(&t, 0, sizeof t);
    t.id = sqlite3_column_int64(st, 0);
    t.step = tt_wfdef_step(def, col(st, 1));
    if (t.step < 0)
        return TT_ERR_DB;
    t.state = strcmp(state, "active") == 0 ? TT_WORKFLOW_ACTIVE
              : strcmp(state, "done") == 0 ? TT_WORKFLOW_DONE
                                           : TT_WORKFLOW_CANCELLED;
    t.fork = sqlite3_column_int64(st, 3);
    t.activated_ms = sqlite3_column_int64(st, 4);
    t.claimed_ms = sqlite3_column_int64(st, 5);
    t.done_ms = sqlite3_column_int64(st, 6);
    t.not_before_ms = sqlite3_column_int64(st, 7);
    t.due_ms = sqlite3_column_int64(st, 8);
    t.remind_ms = sqlite3_column_int64(st, 9);
    t.escalate_ms = sqlite3_column_int64(st, 10);
    t.wait_ms = sqlite3_column_int64(st, 11);
    t.reminders = sqlite3_column_int(st, 12);
    t.escalated = sqlite3_column_int(st, 13);
    t.arrived = sqlite3_column_int(st, 14);
    copy(t.claimed_by, sizeof t.claimed_by, col(st, 15));
    copy(t.done_by, sizeof t.done_by, col(st, 16));
    copy(t.done_role, sizeof t.done_role, col(st, 17));
    copy(t.done_unit, sizeof t.done_unit, col(st, 18));
    copy(t.action, sizeof t.action, col(st, 19));
    return tt_workflow_inst_add_token(in, &t);
}

/* Steps through a query bound to instance `id`, calling `row` per row. */
static tt_err_t rows(tt_wfstore_t *s, int which, int64_t id, const tt_wfdef_t *def,
                     tt_wf_inst_t *in, tt_err_t (*row)(sqlite3_stmt *, const tt_wfdef_t *,
                                                       tt_wf_inst_t *))
{
    sqlite3_stmt *st = stmt(s, which);
    tt_err_t err = TT_OK;
    int rc;
    sqlite3_bind_int64(st, 1, id);
    while (err == TT_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        err = row(st, def, in);
    if (err == TT_OK && rc != SQLITE_DONE)
        err = TT_ERR_DB;
    sqlite3_reset(st);
    return err;
}

static tt_err_t load_var(sqlite3_stmt *st, const tt_wfdef_t *def, tt_wf_inst_t *in)
{
    tt_wfv_t v = {tt_wfv_type_parse(col(st, 1)), sqlite3_column_int64(st, 2), col(st, 3)};
    tt_err_t rc = tt_workflow_set(def, in, col(st, 0), &v, 0);
    return rc == TT_ERR_NOMEM ? rc : rc == TT_OK ? TT_OK : TT_ERR_DB;
}

static tt_err_t load_doc(sqlite3_stmt *st, const tt_wfdef_t *def, tt_wf_inst_t *in)
{
    (void)def;
    return tt_workflow_inst_add_doc(in, col(st, 0));
}

tt_err_t tt_wfstore_inst_load(tt_wfstore_t *s, const tt_wfdef_t *def, int64_t id,
                              tt_wf_inst_t **out)
{
    sqlite3_stmt *st;
    char name[TT_WFDEF_NAME_MAX + 1];
    tt_wf_inst_t *in;
    tt_err_t err;
    int rc, version;

    *out = NULL;
    err = tt_wfstore_inst_head(s, id, name, sizeof name, &version);
    if (err != TT_OK)
        return err;
    in = tt_workflow_inst_new(def, version);
    if (!in)
        return TT_ERR_NOMEM;
    in->id = id;
    st = stmt(s, S_INST_GET);
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy(in->started_by, sizeof in->started_by, col(st, 0));
        copy(in->unit, sizeof in->unit, col(st, 1));
        in->started_ms = sqlite3_column_int64(st, 2);
        in->ended_ms = sqlite3_column_int64(st, 3);
        copy(in->outcome, sizeof in->outcome, col(st, 4));
        in->seq = (uint64_t)sqlite3_column_int64(st, 5);
    }
    sqlite3_reset(st);
    err = rc == SQLITE_ROW ? TT_OK : TT_ERR_DB;
    if (err == TT_OK)
        err = rows(s, S_VAR_EACH, id, def, in, load_var);
    if (err == TT_OK)
        err = rows(s, S_DOC_EACH, id, def, in, load_doc);
    if (err == TT_OK)
        err = rows(s, S_TOK_EACH, id, def, in, load_token);
    if (err != TT_OK) {
        tt_workflow_inst_free(in);
        return err;
    }
    *out = in;
    return TT_OK;
}

static tt_err_t save_token(tt_wfstore_t *s, const tt_wfdef_t *def, int64_t id,
                           const tt_wf_token_t *t)
{
    static const char *const states[] = {"", "active", "done", "cancelled"};
    sqlite3_stmt *st = stmt(s, S_TOK_PUT);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, t->id);
    sqlite3_bind_text(st, 3, def->steps[t->step].name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, states[t->state], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, t->fork);
    sqlite3_bind_int64(st, 6, t->activated_ms);
    bind_ms(st, 7, t->claimed_ms);
    bind_ms(st, 8, t->done_ms);
    bind_ms(st, 9, t->not_before_ms);
    bind_ms(st, 10, t->due_ms);
    bind_ms(st, 11, t->remind_ms);
    bind_ms(st, 12, t->escalate_ms);
    bind_ms(st, 13, t->wait_ms);
    sqlite3_bind_int(st, 14, t->reminders);
    sqlite3_bind_int(st, 15, t->escalated);
    sqlite3_bind_int(st, 16, t->arrived);
    bind_text(st, 17, t->claimed_by);
    bind_text(st, 18, t->done_by);
    bind_text(st, 19, t->done_role);
    bind_text(st, 20, t->done_unit);
    bind_text(st, 21, t->action);
    sqlite3_bind_text(st, 22, tt_wfdef_kind_name(def->steps[t->step].kind), -1, SQLITE_STATIC);
    bind_ms(st, 23, tt_workflow_token_timer(t));
    return run(s, st);
}

static tt_err_t save_event(tt_wfstore_t *s, int64_t id, const tt_wf_event_t *e)
{
    sqlite3_stmt *st = stmt(s, S_EV_PUT);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)e->seq);
    sqlite3_bind_int64(st, 3, e->at_ms);
    sqlite3_bind_text(st, 4, e->kind, -1, SQLITE_STATIC);
    if (e->token)
        sqlite3_bind_int64(st, 5, e->token);
    bind_text(st, 6, e->user);
    bind_text(st, 7, e->role);
    bind_text(st, 8, e->unit);
    sqlite3_bind_text(st, 9, e->origin, -1, SQLITE_STATIC);
    bind_text(st, 10, e->action);
    bind_text(st, 11, e->from);
    bind_text(st, 12, e->to);
    bind_text(st, 13, e->vars);
    bind_text(st, 14, e->docs);
    bind_text(st, 15, e->note);
    return run(s, st);
}

tt_err_t tt_wfstore_inst_save(tt_wfstore_t *s, const tt_wfdef_t *def, tt_wf_inst_t *in)
{
    uint64_t loaded_seq = in->seq - in->nevents;
    sqlite3_stmt *st;
    tt_err_t rc;

    if (in->id == 0) {
        st = stmt(s, S_INST_NEW);
        sqlite3_bind_text(st, 1, in->def, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, in->version);
        sqlite3_bind_text(st, 3, in->started_by, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, in->unit, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, in->started_ms);
        bind_ms(st, 6, in->ended_ms);
        bind_text(st, 7, in->outcome);
        sqlite3_bind_int64(st, 8, (sqlite3_int64)in->seq);
        rc = run(s, st);
        if (rc != TT_OK)
            return rc;
        in->id = sqlite3_last_insert_rowid(s->db);
    } else {
        st = stmt(s, S_INST_PUT);
        sqlite3_bind_int64(st, 1, in->id);
        bind_ms(st, 2, in->ended_ms);
        bind_text(st, 3, in->outcome);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)in->seq);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)loaded_seq);
        rc = run(s, st);
        if (rc != TT_OK)
            return rc;
        if (sqlite3_changes(s->db) != 1)
            return TT_ERR_CONFLICT;
    }
    for (size_t i = 0; i < in->nvals; i++) {
        const tt_wf_value_t *v = &in->vals[i];
        if (v->type == TT_WFV_NONE)
            continue;
        st = stmt(s, S_VAR_PUT);
        sqlite3_bind_int64(st, 1, in->id);
        sqlite3_bind_text(st, 2, def->vars[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, tt_wfv_type_name(v->type), -1, SQLITE_STATIC);
        if (v->type == TT_WFV_INT || v->type == TT_WFV_BOOL)
            sqlite3_bind_int64(st, 4, v->i);
        else
            sqlite3_bind_text(st, 5, v->s, -1, SQLITE_STATIC);
        if ((rc = run(s, st)) != TT_OK)
            return rc;
    }
    for (size_t i = 0; i < in->ndocs; i++) {
        st = stmt(s, S_DOC_PUT);
        sqlite3_bind_int64(st, 1, in->id);
        sqlite3_bind_text(st, 2, in->docs[i], -1, SQLITE_STATIC);
        if ((rc = run(s, st)) != TT_OK)
            return rc;
    }
    for (size_t i = 0; i < in->ntokens; i++)
        if (in->tokens[i].dirty && (rc = save_token(s, def, in->id, &in->tokens[i])) != TT_OK)
            return rc;
    for (size_t i = 0; i < in->nevents; i++) {
        rc = save_event(s, in->id, &in->events[i]);
        /* The log's key refuses a second event with the same number. */
        if (rc == TT_ERR_DB &&
            sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
            return TT_ERR_CONFLICT;
        if (rc != TT_OK)
            return rc;
    }
    tt_workflow_inst_saved(in);
    return TT_OK;
}

/* --- the log ------------------------------------------------------------------------- */

static tt_err_t read_event(sqlite3_stmt *st, tt_wf_event_t *e, int own)
{
    memset(e, 0, sizeof *e);
    e->seq = (uint64_t)sqlite3_column_int64(st, 0);
    e->at_ms = sqlite3_column_int64(st, 1);
    copy(e->kind, sizeof e->kind, col(st, 2));
    e->token = sqlite3_column_int64(st, 3);
    copy(e->user, sizeof e->user, col(st, 4));
    copy(e->role, sizeof e->role, col(st, 5));
    copy(e->unit, sizeof e->unit, col(st, 6));
    copy(e->origin, sizeof e->origin, col(st, 7));
    copy(e->action, sizeof e->action, col(st, 8));
    copy(e->from, sizeof e->from, col(st, 9));
    copy(e->to, sizeof e->to, col(st, 10));
    for (int i = 0; i < 3; i++) {
        const char *t = (const char *)sqlite3_column_text(st, 11 + i);
        char **dst = i == 0 ? &e->vars : i == 1 ? &e->docs : &e->note;
        if (!t)
            continue;
        /* Borrowed for a callback, copied for the caller to keep. */
        *dst = own ? strdup(t) : (char *)t;
        if (!*dst)
            return TT_ERR_NOMEM;
    }
    return TT_OK;
}

tt_err_t tt_wfstore_event_get(tt_wfstore_t *s, int64_t id, uint64_t seq, tt_wf_event_t *out)
{
    sqlite3_stmt *st = stmt(s, S_EV_GET);
    tt_err_t err;
    int rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    rc = sqlite3_step(st);
    err = rc == SQLITE_ROW ? read_event(st, out, 1)
          : rc == SQLITE_DONE ? TT_ERR_NOTFOUND
                              : TT_ERR_DB;
    sqlite3_reset(st);
    return err;
}

tt_err_t tt_wfstore_events_each(tt_wfstore_t *s, int64_t id, tt_wfstore_event_fn fn, void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_EV_EACH);
    int rc;
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_wf_event_t e;
        read_event(st, &e, 0);
        if (fn(ctx, &e))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

/* --- queries ----------------------------------------------------------------------- */

tt_err_t tt_wfstore_tasks_each(tt_wfstore_t *s, tt_wfstore_task_fn fn, void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_TASKS);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_wfstore_task_row_t r = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                                   col(st, 2), col(st, 4), col(st, 5), col(st, 6), col(st, 7),
                                   sqlite3_column_int(st, 3), sqlite3_column_int(st, 8),
                                   sqlite3_column_int64(st, 9), sqlite3_column_int64(st, 10),
                                   sqlite3_column_int64(st, 11)};
        if (fn(ctx, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_wfstore_next_timer(tt_wfstore_t *s, int64_t *ms)
{
    sqlite3_stmt *st = stmt(s, S_NEXT_TIMER);
    int rc = sqlite3_step(st);
    *ms = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_wfstore_due(tt_wfstore_t *s, int64_t now_ms, int64_t *ids, size_t max, size_t *n)
{
    sqlite3_stmt *st = stmt(s, S_DUE);
    int rc;
    *n = 0;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_wfstore_visits_each(tt_wfstore_t *s, const char *def, int64_t from_ms,
                                int64_t to_ms, tt_wfstore_visit_fn fn, void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_VISITS);
    int rc;
    sqlite3_bind_text(st, 1, def, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, from_ms);
    sqlite3_bind_int64(st, 3, to_ms);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_wfstore_visit_t v = {sqlite3_column_int64(st, 0), col(st, 2), col(st, 3), col(st, 4),
                                col(st, 5), col(st, 6), col(st, 7), sqlite3_column_int(st, 1),
                                sqlite3_column_int64(st, 8), sqlite3_column_int64(st, 9),
                                sqlite3_column_int64(st, 10), sqlite3_column_int64(st, 11)};
        if (fn(ctx, &v))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_wfstore_insts_each(tt_wfstore_t *s, const char *def, int64_t from_ms, int64_t to_ms,
                               tt_wfstore_inst_fn fn, void *ctx)
{
    sqlite3_stmt *st = stmt(s, S_INSTS);
    int rc;
    sqlite3_bind_text(st, 1, def, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, from_ms);
    sqlite3_bind_int64(st, 3, to_ms);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tt_wfstore_inst_row_t r = {col(st, 0), col(st, 1), sqlite3_column_int64(st, 2),
                                   sqlite3_column_int64(st, 3)};
        if (fn(ctx, &r))
            break;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}
