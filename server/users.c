#include "users.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"

const char tt_users_schema[] =
    /* The people of the web office.  Rows change (a new password, a role, a
     * user disabled); who changed what is in `audit`. */
    "CREATE TABLE app_user ("
    "  name TEXT PRIMARY KEY,"
    "  role TEXT NOT NULL,"
    "  unit TEXT NOT NULL DEFAULT '',"
    "  wf_roles TEXT NOT NULL DEFAULT '',"
    "  pwhash TEXT NOT NULL,"
    "  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),"
    "  created_ms INTEGER NOT NULL,"
    "  created_by TEXT NOT NULL,"
    "  changed_ms INTEGER NOT NULL) WITHOUT ROWID;"
    /* Sessions by the hash of their id: the id itself is only in the cookie. */
    "CREATE TABLE app_session ("
    "  id_hash TEXT PRIMARY KEY,"
    "  user TEXT NOT NULL REFERENCES app_user (name),"
    "  csrf TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  seen_ms INTEGER NOT NULL,"
    "  addr TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX app_session_user ON app_session (user);"
    /* Failed sign-ins per key: 'u:<name>' or 'a:<address>'. */
    "CREATE TABLE login_failure ("
    "  key TEXT PRIMARY KEY,"
    "  failures INTEGER NOT NULL,"
    "  last_ms INTEGER NOT NULL,"
    "  locked_until_ms INTEGER NOT NULL) WITHOUT ROWID;"
    /* Every change made through the API: who, when, what. */
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  at_ms INTEGER NOT NULL,"
    "  user TEXT NOT NULL,"
    "  method TEXT NOT NULL,"
    "  route TEXT NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  summary TEXT NOT NULL);"
    "CREATE INDEX audit_user ON audit (user, id);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    "  BEGIN SELECT RAISE(ABORT, 'the audit record is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    "  BEGIN SELECT RAISE(ABORT, 'the audit record is append-only'); END;";

enum {
    S_INSERT_USER,
    S_UPDATE_USER,
    S_UPDATE_PW,
    S_GET_USER,
    S_HASH_OF,
    S_EACH_USER,
    S_UNIT_EXISTS,
    S_INSERT_SESSION,
    S_GET_SESSION,
    S_TOUCH_SESSION,
    S_DELETE_SESSION,
    S_DELETE_USER_SESSIONS,
    S_PRUNE_SESSIONS,
    S_GET_FAIL,
    S_PUT_FAIL,
    S_CLEAR_FAIL,
    S_AUDIT,
    S_AUDIT_EACH,
    S_WAREHOUSE_UNIT,
    S_COUNT
};

static const char *const SQL[S_COUNT] = {
    [S_INSERT_USER] = "INSERT INTO app_user (name, role, unit, wf_roles, pwhash, active,"
                      " created_ms, created_by, changed_ms) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6,"
                      " ?7, ?6)",
    [S_UPDATE_USER] = "UPDATE app_user SET role = ?2, unit = ?3, wf_roles = ?4, active = ?5,"
                      " changed_ms = ?6 WHERE name = ?1",
    [S_UPDATE_PW] = "UPDATE app_user SET pwhash = ?2, changed_ms = ?3 WHERE name = ?1",
    [S_GET_USER] = "SELECT name, role, unit, wf_roles, active FROM app_user WHERE name = ?1",
    [S_HASH_OF] = "SELECT pwhash, active FROM app_user WHERE name = ?1",
    [S_EACH_USER] = "SELECT name, role, unit, wf_roles, active FROM app_user ORDER BY name",
    [S_UNIT_EXISTS] = "SELECT 1 FROM unit WHERE id = ?1",
    [S_INSERT_SESSION] = "INSERT INTO app_session (id_hash, user, csrf, created_ms, seen_ms,"
                         " addr) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
    [S_GET_SESSION] = "SELECT user, csrf, created_ms, seen_ms FROM app_session"
                      " WHERE id_hash = ?1",
    [S_TOUCH_SESSION] = "UPDATE app_session SET seen_ms = ?2 WHERE id_hash = ?1",
    [S_DELETE_SESSION] = "DELETE FROM app_session WHERE id_hash = ?1",
    [S_DELETE_USER_SESSIONS] = "DELETE FROM app_session WHERE user = ?1",
    [S_PRUNE_SESSIONS] = "DELETE FROM app_session WHERE seen_ms < ?1 OR created_ms < ?2",
    [S_GET_FAIL] = "SELECT failures, last_ms, locked_until_ms FROM login_failure WHERE key = ?1",
    [S_PUT_FAIL] = "INSERT INTO login_failure (key, failures, last_ms, locked_until_ms)"
                   " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET"
                   " failures = ?2, last_ms = ?3, locked_until_ms = ?4",
    [S_CLEAR_FAIL] = "DELETE FROM login_failure WHERE key = ?1",
    [S_AUDIT] = "INSERT INTO audit (at_ms, user, method, route, status, summary)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_AUDIT_EACH] = "SELECT id, at_ms, user, method, route, status, summary FROM audit"
                     " WHERE (?1 IS NULL OR user = ?1) AND (?2 = 0 OR id < ?2)"
                     " ORDER BY id DESC LIMIT ?3",
    [S_WAREHOUSE_UNIT] = "SELECT coalesce(unit, '') FROM warehouse WHERE id = ?1",
};

struct tt_users {
    tt_db_t *db;
    sqlite3 *sql;
    sqlite3_stmt *st[S_COUNT];
    tt_users_conf_t conf;
    /* A hash of no one's password: checked when the name is unknown, so
     * the answer takes as long as for a known name. */
    char dummy[crypto_pwhash_STRBYTES];
};

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Steps a write statement to its end.  TT_ERR_EXISTS for a constraint. */
static tt_err_t run(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    done(st);
    if (rc == SQLITE_DONE)
        return TT_OK;
    return (rc & 0xff) == SQLITE_CONSTRAINT ? TT_ERR_EXISTS : TT_ERR_DB;
}

static void copy(char *dst, size_t cap, const unsigned char *src)
{
    snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

tt_err_t tt_users_open(tt_db_t *db, const tt_users_conf_t *conf, tt_users_t **out, char *err,
                       size_t errlen)
{
    tt_users_t *u;
    *out = NULL;
    if (sodium_init() < 0) {
        snprintf(err, errlen, "users: libsodium cannot start");
        return TT_ERR_IO;
    }
    u = calloc(1, sizeof *u);
    if (!u)
        return TT_ERR_NOMEM;
    u->db = db;
    u->sql = tt_db_sqlite(db);
    if (conf)
        u->conf = *conf;
    if (!u->conf.idle_ms)
        u->conf.idle_ms = TT_USERS_IDLE_MS;
    if (!u->conf.max_ms)
        u->conf.max_ms = TT_USERS_MAX_MS;
    if (!u->conf.opslimit)
        u->conf.opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    if (!u->conf.memlimit)
        u->conf.memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    for (int i = 0; i < S_COUNT; i++) {
        if (sqlite3_prepare_v3(u->sql, SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &u->st[i], NULL) !=
            SQLITE_OK) {
            snprintf(err, errlen, "users: %s", sqlite3_errmsg(u->sql));
            tt_users_close(u);
            return TT_ERR_DB;
        }
    }
    {
        unsigned char pw[16];
        randombytes_buf(pw, sizeof pw);
        if (crypto_pwhash_str(u->dummy, (const char *)pw, sizeof pw, u->conf.opslimit,
                              u->conf.memlimit) != 0) {
            snprintf(err, errlen, "users: out of memory for password hashing");
            tt_users_close(u);
            return TT_ERR_NOMEM;
        }
    }
    *out = u;
    return TT_OK;
}

void tt_users_close(tt_users_t *u)
{
    if (!u)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(u->st[i]);
    free(u);
}

int tt_users_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > TT_USERS_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

/* Workflow roles: a comma list of names like user names. */
static int wf_roles_valid(const char *list)
{
    char one[TT_USERS_NAME_MAX + 1];
    size_t n = 0;
    if (strlen(list) > TT_USERS_WFROLES_MAX)
        return 0;
    for (const char *p = list;; p++) {
        if (*p == ',' || !*p) {
            one[n] = '\0';
            if ((n || *p) && !tt_users_name_valid(one))
                return 0;
            if (!*p)
                return 1;
            n = 0;
        } else if (n < TT_USERS_NAME_MAX) {
            one[n++] = *p;
        } else {
            return 0;
        }
    }
}

/* Valid UTF-8 without control characters. */
static int text_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int extra = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2
                                     : (*p & 0xf8) == 0xf0 ? 3 : -1;
        if (extra < 0 || *p < 0x20 || *p == 0x7f)
            return 0;
        p++;
        for (int i = 0; i < extra; i++, p++)
            if ((*p & 0xc0) != 0x80)
                return 0;
    }
    return 1;
}

static tt_err_t check_user(tt_users_t *u, const tt_users_user_t *user, char *reason,
                           size_t rlen)
{
    if (!tt_users_name_valid(user->name)) {
        snprintf(reason, rlen, "name: 1-%d of A-Z a-z 0-9 _ . -", TT_USERS_NAME_MAX);
        return TT_ERR_INVAL;
    }
    if (!tt_access_role_name(user->role)) {
        snprintf(reason, rlen, "role: one of storekeeper, repair_fitter, electromech,"
                               " material_office, finance, audit, leader, admin");
        return TT_ERR_INVAL;
    }
    if (!wf_roles_valid(user->wf_roles)) {
        snprintf(reason, rlen, "wf_roles: a comma list of workflow role names");
        return TT_ERR_INVAL;
    }
    if (user->unit[0]) {
        int rc;
        sqlite3_bind_text(u->st[S_UNIT_EXISTS], 1, user->unit, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(u->st[S_UNIT_EXISTS]);
        done(u->st[S_UNIT_EXISTS]);
        if (rc == SQLITE_DONE) {
            snprintf(reason, rlen, "unit '%.32s' is not in the master data", user->unit);
            return TT_ERR_INVAL;
        }
        if (rc != SQLITE_ROW)
            return TT_ERR_DB;
    }
    return TT_OK;
}

static tt_err_t hash_password(tt_users_t *u, const char *password, char *out, char *reason,
                              size_t rlen)
{
    size_t n = strlen(password);
    if (n < TT_USERS_PASSWORD_MIN || n > TT_USERS_PASSWORD_MAX || !text_valid(password)) {
        snprintf(reason, rlen, "password: %d-%d bytes of text", TT_USERS_PASSWORD_MIN,
                 TT_USERS_PASSWORD_MAX);
        return TT_ERR_INVAL;
    }
    if (crypto_pwhash_str(out, password, n, u->conf.opslimit, u->conf.memlimit) != 0)
        return TT_ERR_NOMEM;
    return TT_OK;
}

tt_err_t tt_users_create(tt_users_t *u, const tt_users_user_t *user, const char *password,
                         const char *by, int64_t now_ms, char *reason, size_t rlen)
{
    char hash[crypto_pwhash_STRBYTES];
    sqlite3_stmt *st = u->st[S_INSERT_USER];
    tt_err_t rc = check_user(u, user, reason, rlen);

    if (rc == TT_OK)
        rc = hash_password(u, password ? password : "", hash, reason, rlen);
    if (rc != TT_OK)
        return rc;
    bind_text(st, 1, user->name);
    bind_text(st, 2, tt_access_role_name(user->role));
    bind_text(st, 3, user->unit);
    bind_text(st, 4, user->wf_roles);
    bind_text(st, 5, hash);
    sqlite3_bind_int64(st, 6, now_ms);
    bind_text(st, 7, by ? by : "");
    rc = run(st);
    sodium_memzero(hash, sizeof hash);
    if (rc == TT_ERR_EXISTS)
        snprintf(reason, rlen, "user '%s' exists already", user->name);
    return rc;
}

static tt_err_t end_sessions(tt_users_t *u, const char *name)
{
    bind_text(u->st[S_DELETE_USER_SESSIONS], 1, name);
    return run(u->st[S_DELETE_USER_SESSIONS]);
}

tt_err_t tt_users_update(tt_users_t *u, const tt_users_user_t *user, const char *password,
                         int64_t now_ms, char *reason, size_t rlen)
{
    char hash[crypto_pwhash_STRBYTES];
    sqlite3_stmt *st = u->st[S_UPDATE_USER];
    tt_err_t rc = check_user(u, user, reason, rlen);

    if (rc == TT_OK && password)
        rc = hash_password(u, password, hash, reason, rlen);
    if (rc != TT_OK)
        return rc;
    if (sqlite3_exec(u->sql, "SAVEPOINT users_update", NULL, NULL, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    bind_text(st, 1, user->name);
    bind_text(st, 2, tt_access_role_name(user->role));
    bind_text(st, 3, user->unit);
    bind_text(st, 4, user->wf_roles);
    sqlite3_bind_int(st, 5, user->active ? 1 : 0);
    sqlite3_bind_int64(st, 6, now_ms);
    rc = run(st);
    if (rc == TT_OK && sqlite3_changes(u->sql) == 0) {
        snprintf(reason, rlen, "no user '%s'", user->name);
        rc = TT_ERR_NOTFOUND;
    }
    if (rc == TT_OK && password) {
        st = u->st[S_UPDATE_PW];
        bind_text(st, 1, user->name);
        bind_text(st, 2, hash);
        sqlite3_bind_int64(st, 3, now_ms);
        rc = run(st);
    }
    if (rc == TT_OK)
        rc = end_sessions(u, user->name);
    sodium_memzero(hash, sizeof hash);
    if (rc == TT_ERR_EXISTS)
        rc = TT_ERR_DB;
    if (rc != TT_OK)
        sqlite3_exec(u->sql, "ROLLBACK TO users_update", NULL, NULL, NULL);
    sqlite3_exec(u->sql, "RELEASE users_update", NULL, NULL, NULL);
    return rc;
}

static void read_user(sqlite3_stmt *st, tt_users_user_t *out)
{
    memset(out, 0, sizeof *out);
    copy(out->name, sizeof out->name, sqlite3_column_text(st, 0));
    out->role = tt_access_role_parse((const char *)sqlite3_column_text(st, 1));
    copy(out->unit, sizeof out->unit, sqlite3_column_text(st, 2));
    copy(out->wf_roles, sizeof out->wf_roles, sqlite3_column_text(st, 3));
    out->active = sqlite3_column_int(st, 4);
}

tt_err_t tt_users_get(tt_users_t *u, const char *name, tt_users_user_t *out)
{
    sqlite3_stmt *st = u->st[S_GET_USER];
    int rc;
    bind_text(st, 1, name);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_user(st, out);
    done(st);
    return rc == SQLITE_ROW ? TT_OK : rc == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
}

tt_err_t tt_users_each(tt_users_t *u, int (*fn)(void *ctx, const tt_users_user_t *user),
                       void *ctx)
{
    sqlite3_stmt *st = u->st[S_EACH_USER];
    tt_users_user_t user;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_user(st, &user);
        if (fn(ctx, &user))
            break;
    }
    done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

/* --- the throttle ---------------------------------------------------------------------- */

typedef struct {
    int64_t failures, last_ms, locked_until_ms;
} fail_t;

static tt_err_t get_fail(tt_users_t *u, const char *key, int64_t now_ms, fail_t *f)
{
    sqlite3_stmt *st = u->st[S_GET_FAIL];
    int rc;
    memset(f, 0, sizeof *f);
    bind_text(st, 1, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        f->failures = sqlite3_column_int64(st, 0);
        f->last_ms = sqlite3_column_int64(st, 1);
        f->locked_until_ms = sqlite3_column_int64(st, 2);
    }
    done(st);
    /* Failures far apart are forgotten; a lock still runs out in full. */
    if (f->last_ms && now_ms - f->last_ms > TT_USERS_FAIL_WINDOW_MS && now_ms >= f->locked_until_ms)
        f->failures = 0;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

static tt_err_t count_fail(tt_users_t *u, const char *key, int free_failures, int64_t now_ms)
{
    sqlite3_stmt *st = u->st[S_PUT_FAIL];
    fail_t f;
    int64_t lock = 0;
    tt_err_t rc = get_fail(u, key, now_ms, &f);
    if (rc != TT_OK)
        return rc;
    f.failures++;
    if (f.failures >= free_failures) {
        int64_t beyond = f.failures - free_failures;
        lock = TT_USERS_LOCK_BASE_MS;
        while (beyond-- > 0 && lock < TT_USERS_LOCK_MAX_MS)
            lock *= 2;
        if (lock > TT_USERS_LOCK_MAX_MS)
            lock = TT_USERS_LOCK_MAX_MS;
    }
    bind_text(st, 1, key);
    sqlite3_bind_int64(st, 2, f.failures);
    sqlite3_bind_int64(st, 3, now_ms);
    sqlite3_bind_int64(st, 4, lock ? now_ms + lock : 0);
    return run(st) == TT_OK ? TT_OK : TT_ERR_DB;
}

static void fail_key(char *key, size_t cap, char kind, const char *what)
{
    snprintf(key, cap, "%c:%.*s", kind, TT_USERS_ADDR_MAX, what ? what : "");
}

/* --- sessions -------------------------------------------------------------------------- */

static void hex(const unsigned char *b, size_t n, char *out)
{
    sodium_bin2hex(out, n * 2 + 1, b, n);
}

static void id_hash(const char *id, char *out)
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)id, strlen(id), NULL, 0);
    hex(h, sizeof h, out);
}

static tt_err_t new_session(tt_users_t *u, const char *name, const char *addr, int64_t now_ms,
                            tt_users_session_t *out)
{
    unsigned char raw[TT_USERS_TOKEN_LEN / 2];
    char h[TT_USERS_TOKEN_LEN + 1];
    sqlite3_stmt *st = u->st[S_INSERT_SESSION];
    tt_err_t rc;

    /* Expired sessions of anyone go first. */
    sqlite3_bind_int64(u->st[S_PRUNE_SESSIONS], 1, now_ms - u->conf.idle_ms);
    sqlite3_bind_int64(u->st[S_PRUNE_SESSIONS], 2, now_ms - u->conf.max_ms);
    if (run(u->st[S_PRUNE_SESSIONS]) != TT_OK)
        return TT_ERR_DB;
    randombytes_buf(raw, sizeof raw);
    hex(raw, sizeof raw, out->id);
    randombytes_buf(raw, sizeof raw);
    hex(raw, sizeof raw, out->csrf);
    sodium_memzero(raw, sizeof raw);
    id_hash(out->id, h);
    bind_text(st, 1, h);
    bind_text(st, 2, name);
    bind_text(st, 3, out->csrf);
    sqlite3_bind_int64(st, 4, now_ms);
    bind_text(st, 5, addr ? addr : "");
    rc = run(st);
    return rc == TT_OK ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_users_sign_in(tt_users_t *u, const char *name, const char *password,
                          const char *addr, int64_t now_ms, tt_users_session_t *out,
                          int64_t *retry_ms)
{
    char ukey[TT_USERS_ADDR_MAX + 3], akey[TT_USERS_ADDR_MAX + 3];
    char hash[crypto_pwhash_STRBYTES] = "";
    fail_t fu, fa;
    int active = 0, known = 0, ok, rc;
    size_t plen = password ? strlen(password) : 0;
    tt_err_t err;

    memset(out, 0, sizeof *out);
    if (retry_ms)
        *retry_ms = 0;
    name = name ? name : "";
    fail_key(ukey, sizeof ukey, 'u', name);
    fail_key(akey, sizeof akey, 'a', addr);
    if (get_fail(u, ukey, now_ms, &fu) != TT_OK || get_fail(u, akey, now_ms, &fa) != TT_OK)
        return TT_ERR_DB;
    if (fu.locked_until_ms > now_ms || fa.locked_until_ms > now_ms) {
        if (retry_ms)
            *retry_ms = (fu.locked_until_ms > fa.locked_until_ms ? fu.locked_until_ms
                                                                 : fa.locked_until_ms) - now_ms;
        return TT_ERR_BUSY;
    }
    if (sqlite3_exec(u->sql, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    if (tt_users_name_valid(name)) {
        sqlite3_stmt *st = u->st[S_HASH_OF];
        bind_text(st, 1, name);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            copy(hash, sizeof hash, sqlite3_column_text(st, 0));
            active = sqlite3_column_int(st, 1);
            known = 1;
        }
        done(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            sqlite3_exec(u->sql, "ROLLBACK", NULL, NULL, NULL);
            return TT_ERR_DB;
        }
    }
    /* Unknown names and over-long passwords take as long as real checks. */
    if (plen > TT_USERS_PASSWORD_MAX)
        plen = TT_USERS_PASSWORD_MAX;
    ok = crypto_pwhash_str_verify(known ? hash : u->dummy, password ? password : "", plen) == 0;
    ok = ok && known && active && password && strlen(password) <= TT_USERS_PASSWORD_MAX;
    sodium_memzero(hash, sizeof hash);
    if (ok) {
        sqlite3_stmt *st = u->st[S_CLEAR_FAIL];
        bind_text(st, 1, ukey);
        err = run(st);
        if (err == TT_OK)
            err = new_session(u, name, addr, now_ms, out);
        if (err == TT_OK)
            err = tt_users_get(u, name, &out->user);
    } else {
        err = count_fail(u, ukey, TT_USERS_USER_FREE, now_ms);
        if (err == TT_OK)
            err = count_fail(u, akey, TT_USERS_ADDR_FREE, now_ms);
    }
    if (err != TT_OK || sqlite3_exec(u->sql, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_exec(u->sql, "ROLLBACK", NULL, NULL, NULL);
        memset(out, 0, sizeof *out);
        return TT_ERR_DB;
    }
    if (!ok) {
        memset(out, 0, sizeof *out);
        return password && strlen(password) > TT_USERS_PASSWORD_MAX ? TT_ERR_INVAL
                                                                    : TT_ERR_DENIED;
    }
    return TT_OK;
}

tt_err_t tt_users_session(tt_users_t *u, const char *id, int64_t now_ms,
                          tt_users_session_t *out)
{
    char h[TT_USERS_TOKEN_LEN + 1], name[TT_USERS_NAME_MAX + 1];
    sqlite3_stmt *st = u->st[S_GET_SESSION];
    int64_t created, seen;
    int rc;
    tt_err_t err;

    memset(out, 0, sizeof *out);
    if (!id || strlen(id) != TT_USERS_TOKEN_LEN)
        return TT_ERR_NOTFOUND;
    id_hash(id, h);
    bind_text(st, 1, h);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy(name, sizeof name, sqlite3_column_text(st, 0));
        copy(out->csrf, sizeof out->csrf, sqlite3_column_text(st, 1));
        created = sqlite3_column_int64(st, 2);
        seen = sqlite3_column_int64(st, 3);
    }
    done(st);
    if (rc == SQLITE_DONE)
        return TT_ERR_NOTFOUND;
    if (rc != SQLITE_ROW)
        return TT_ERR_DB;
    if (now_ms - seen > u->conf.idle_ms || now_ms - created > u->conf.max_ms) {
        tt_users_sign_out(u, id);
        memset(out, 0, sizeof *out);
        return TT_ERR_NOTFOUND;
    }
    err = tt_users_get(u, name, &out->user);
    if (err == TT_OK && !out->user.active)
        err = TT_ERR_NOTFOUND;
    if (err != TT_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    snprintf(out->id, sizeof out->id, "%s", id);
    /* The idle clock restarts; written at most once a second of use. */
    if (now_ms - seen >= 1000) {
        st = u->st[S_TOUCH_SESSION];
        bind_text(st, 1, h);
        sqlite3_bind_int64(st, 2, now_ms);
        if (run(st) != TT_OK)
            return TT_ERR_DB;
    }
    return TT_OK;
}

tt_err_t tt_users_sign_out(tt_users_t *u, const char *id)
{
    char h[TT_USERS_TOKEN_LEN + 1];
    if (!id)
        return TT_OK;
    id_hash(id, h);
    bind_text(u->st[S_DELETE_SESSION], 1, h);
    return run(u->st[S_DELETE_SESSION]) == TT_OK ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_users_change_password(tt_users_t *u, const char *name, const char *old,
                                  const char *password, int64_t now_ms, char *reason,
                                  size_t rlen)
{
    char hash[crypto_pwhash_STRBYTES] = "";
    sqlite3_stmt *st = u->st[S_HASH_OF];
    tt_users_user_t user;
    int rc, ok;
    tt_err_t err = tt_users_get(u, name, &user);

    if (err != TT_OK)
        return err;
    bind_text(st, 1, name);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        copy(hash, sizeof hash, sqlite3_column_text(st, 0));
    done(st);
    if (rc != SQLITE_ROW)
        return TT_ERR_DB;
    ok = old && strlen(old) <= TT_USERS_PASSWORD_MAX &&
         crypto_pwhash_str_verify(hash, old, strlen(old)) == 0;
    sodium_memzero(hash, sizeof hash);
    if (!ok) {
        snprintf(reason, rlen, "the current password is wrong");
        return TT_ERR_DENIED;
    }
    return tt_users_update(u, &user, password ? password : "", now_ms, reason, rlen);
}

/* --- audit ----------------------------------------------------------------------------- */

tt_err_t tt_users_audit(tt_users_t *u, const char *user, const char *method, const char *route,
                        int status, const char *summary, int64_t now_ms)
{
    sqlite3_stmt *st = u->st[S_AUDIT];
    size_t n = summary ? strlen(summary) : 0;
    if (n > TT_USERS_SUMMARY_MAX) {
        n = TT_USERS_SUMMARY_MAX;
        while (n > 0 && ((unsigned char)summary[n] & 0xc0) == 0x80)
            n--;   /* not inside a UTF-8 sequence */
    }
    sqlite3_bind_int64(st, 1, now_ms);
    bind_text(st, 2, user ? user : "");
    bind_text(st, 3, method ? method : "");
    bind_text(st, 4, route ? route : "");
    sqlite3_bind_int(st, 5, status);
    sqlite3_bind_text(st, 6, summary ? summary : "", (int)n, SQLITE_TRANSIENT);
    return run(st) == TT_OK ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_users_audit_each(tt_users_t *u, const char *user, int64_t before, int limit,
                             int (*fn)(void *ctx, const tt_users_audit_row_t *row), void *ctx)
{
    sqlite3_stmt *st = u->st[S_AUDIT_EACH];
    tt_users_audit_row_t r;
    int rc;
    bind_text(st, 1, user);
    sqlite3_bind_int64(st, 2, before);
    sqlite3_bind_int(st, 3, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        r.id = sqlite3_column_int64(st, 0);
        r.at_ms = sqlite3_column_int64(st, 1);
        r.user = (const char *)sqlite3_column_text(st, 2);
        r.method = (const char *)sqlite3_column_text(st, 3);
        r.route = (const char *)sqlite3_column_text(st, 4);
        r.status = sqlite3_column_int(st, 5);
        r.summary = (const char *)sqlite3_column_text(st, 6);
        if (fn(ctx, &r))
            break;
    }
    done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_users_warehouse_unit(tt_users_t *u, const char *warehouse, char *unit)
{
    sqlite3_stmt *st = u->st[S_WAREHOUSE_UNIT];
    int rc;
    unit[0] = '\0';
    bind_text(st, 1, warehouse);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        copy(unit, TT_USERS_UNIT_MAX + 1, sqlite3_column_text(st, 0));
    done(st);
    return rc == SQLITE_ROW ? TT_OK : rc == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
}

int tt_users_token_equal(const char *a, const char *b)
{
    size_t n;
    if (!a || !b || !a[0])
        return 0;
    n = strlen(a);
    if (strlen(b) != n)
        return 0;
    return sodium_memcmp(a, b, n) == 0;
}
