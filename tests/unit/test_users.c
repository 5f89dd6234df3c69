/*
 * Unit tests of server/users (passwords, sessions and their expiry, the
 * sign-in throttle, the audit record) and of the identity binding of
 * server/sessionapi (a body names the signed-in person or no one).
 *
 * Each test has its own database in a fresh temporary folder; Argon2 runs
 * at libsodium's minimum cost to keep the tests fast (the server uses the
 * interactive limits).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "access.h"
#include "db.h"
#include "import.h"
#include "sessionapi.h"
#include "users.h"

#define NOW 1772366400000LL
#define MIN_MS 60000LL
#define PW "correct horse battery"

typedef struct {
    char dir[64];
    char path[128];
    tt_db_t *db;
    tt_users_t *u;
    char reason[256];
} fx_t;

static tt_users_user_t user_of(const char *name, unsigned role, const char *unit,
                               const char *wf_roles)
{
    tt_users_user_t u;
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "%s", name);
    u.role = role;
    snprintf(u.unit, sizeof u.unit, "%s", unit);
    snprintf(u.wf_roles, sizeof u.wf_roles, "%s", wf_roles);
    u.active = 1;
    return u;
}

static int setup(void **state)
{
    static const char units[] = "id,name,kind\nCM1,采煤一区,work_area\n";
    static const char whs[] = "id,name,kind,unit\nW01,中心仓库,central,\nCK03,采煤一区库,work_area,CM1\n";
    fx_t *fx = calloc(1, sizeof *fx);
    tt_import_result_t *res = calloc(1, sizeof *res);
    tt_users_conf_t conf = {30 * MIN_MS, 12 * 60 * MIN_MS, crypto_pwhash_OPSLIMIT_MIN,
                            crypto_pwhash_MEMLIMIT_MIN};
    tt_users_user_t a = user_of("admin1", TT_ACCESS_ADMIN, "", "");
    char err[256];
    if (!fx || !res)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_users_XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof fx->path, "%s/server.db", fx->dir);
    if (tt_db_open(fx->path, 0, &fx->db, err, sizeof err) != TT_OK ||
        tt_import_text(fx->db, tt_import_kind_parse("units"), "u.csv", units, strlen(units), NULL,
                       NULL, res) != TT_OK ||
        tt_import_text(fx->db, tt_import_kind_parse("warehouses"), "w.csv", whs, strlen(whs), NULL,
                       NULL, res) != TT_OK ||
        tt_users_open(fx->db, &conf, &fx->u, err, sizeof err) != TT_OK ||
        tt_users_create(fx->u, &a, PW, "test", NOW, fx->reason, sizeof fx->reason) != TT_OK)
        return -1;
    free(res);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    fx_t *fx = *state;
    char p[160];
    tt_users_close(fx->u);
    tt_db_close(fx->db);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", fx->path, suffixes[i]);
        unlink(p);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* The stored hash is Argon2id, never the password. */
static void test_password_hashed(void **state)
{
    fx_t *fx = *state;
    sqlite3_stmt *st;
    const char *h;
    assert_int_equal(sqlite3_prepare_v2(tt_db_sqlite(fx->db), "SELECT pwhash FROM app_user WHERE"
                                        " name = 'admin1'", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    h = (const char *)sqlite3_column_text(st, 0);
    assert_non_null(strstr(h, "$argon2id$"));
    assert_null(strstr(h, PW));
    assert_int_equal(crypto_pwhash_str_verify(h, PW, strlen(PW)), 0);
    sqlite3_finalize(st);
}

static void test_create_refusals(void **state)
{
    fx_t *fx = *state;
    tt_users_user_t u = user_of("li4", TT_ACCESS_STOREKEEPER, "", "");
    assert_int_equal(tt_users_create(fx->u, &u, "short", "t", NOW, fx->reason, sizeof fx->reason),
                     TT_ERR_INVAL);
    assert_non_null(strstr(fx->reason, "password"));
    u = user_of("li 4", TT_ACCESS_STOREKEEPER, "", "");
    assert_int_equal(tt_users_create(fx->u, &u, PW, "t", NOW, fx->reason, sizeof fx->reason),
                     TT_ERR_INVAL);
    u = user_of("li4", TT_ACCESS_STOREKEEPER | TT_ACCESS_ADMIN, "", "");
    assert_int_equal(tt_users_create(fx->u, &u, PW, "t", NOW, fx->reason, sizeof fx->reason),
                     TT_ERR_INVAL);
    u = user_of("li4", TT_ACCESS_STOREKEEPER, "NOPE", "");
    assert_int_equal(tt_users_create(fx->u, &u, PW, "t", NOW, fx->reason, sizeof fx->reason),
                     TT_ERR_INVAL);
    assert_non_null(strstr(fx->reason, "NOPE"));
    u = user_of("li4", TT_ACCESS_STOREKEEPER, "CM1", "storekeeper,bad role");
    assert_int_equal(tt_users_create(fx->u, &u, PW, "t", NOW, fx->reason, sizeof fx->reason),
                     TT_ERR_INVAL);
    u = user_of("admin1", TT_ACCESS_AUDIT, "", "");
    assert_int_equal(tt_users_create(fx->u, &u, PW, "t", NOW, fx->reason, sizeof fx->reason),
                     TT_ERR_EXISTS);
    u = user_of("li4", TT_ACCESS_STOREKEEPER, "CM1", "storekeeper,unit_planner");
    assert_int_equal(tt_users_create(fx->u, &u, PW, "t", NOW, fx->reason, sizeof fx->reason),
                     TT_OK);
    memset(&u, 0, sizeof u);
    assert_int_equal(tt_users_get(fx->u, "li4", &u), TT_OK);
    assert_int_equal(u.role, TT_ACCESS_STOREKEEPER);
    assert_string_equal(u.unit, "CM1");
    assert_int_equal(tt_users_get(fx->u, "nobody", &u), TT_ERR_NOTFOUND);
}

static void test_sessions_and_expiry(void **state)
{
    fx_t *fx = *state;
    tt_users_session_t s, again;
    int64_t retry;

    assert_int_equal(tt_users_sign_in(fx->u, "admin1", PW, "10.0.0.1", NOW, &s, &retry), TT_OK);
    assert_int_equal(strlen(s.id), TT_USERS_TOKEN_LEN);
    assert_int_equal(strlen(s.csrf), TT_USERS_TOKEN_LEN);
    assert_string_not_equal(s.id, s.csrf);
    assert_string_equal(s.user.name, "admin1");
    /* the id is not stored, only its hash */
    {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(tt_db_sqlite(fx->db), "SELECT count(*) FROM"
                                            " app_session WHERE id_hash = ?1", -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(st, 1, s.id, -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 0);
        sqlite3_finalize(st);
    }
    /* used within the idle time it lives on, up to the absolute limit */
    for (int64_t t = NOW + 20 * MIN_MS; t < NOW + 12 * 60 * MIN_MS; t += 20 * MIN_MS) {
        assert_int_equal(tt_users_session(fx->u, s.id, t, &again), TT_OK);
        assert_string_equal(again.csrf, s.csrf);
    }
    assert_int_equal(tt_users_session(fx->u, s.id, NOW + 12 * 60 * MIN_MS + 1, &again),
                     TT_ERR_NOTFOUND);
    /* idle too long */
    assert_int_equal(tt_users_sign_in(fx->u, "admin1", PW, "10.0.0.1", NOW, &s, NULL), TT_OK);
    assert_int_equal(tt_users_session(fx->u, s.id, NOW + 31 * MIN_MS, &again), TT_ERR_NOTFOUND);
    /* once expired, gone for good */
    assert_int_equal(tt_users_session(fx->u, s.id, NOW + MIN_MS, &again), TT_ERR_NOTFOUND);
    /* signing out */
    assert_int_equal(tt_users_sign_in(fx->u, "admin1", PW, "10.0.0.1", NOW, &s, NULL), TT_OK);
    assert_int_equal(tt_users_sign_out(fx->u, s.id), TT_OK);
    assert_int_equal(tt_users_session(fx->u, s.id, NOW + 1000, &again), TT_ERR_NOTFOUND);
    /* a made-up id */
    assert_int_equal(tt_users_session(fx->u, "00", NOW, &again), TT_ERR_NOTFOUND);
    assert_int_equal(tt_users_session(fx->u, NULL, NOW, &again), TT_ERR_NOTFOUND);
}

static void test_disable_and_password_end_sessions(void **state)
{
    fx_t *fx = *state;
    tt_users_user_t u = user_of("li4", TT_ACCESS_STOREKEEPER, "", "");
    tt_users_session_t s, again;
    assert_int_equal(tt_users_create(fx->u, &u, PW, "t", NOW, fx->reason, sizeof fx->reason),
                     TT_OK);
    assert_int_equal(tt_users_sign_in(fx->u, "li4", PW, "a", NOW, &s, NULL), TT_OK);
    assert_int_equal(tt_users_change_password(fx->u, "li4", "wrong", "another password", NOW,
                                              fx->reason, sizeof fx->reason), TT_ERR_DENIED);
    assert_int_equal(tt_users_session(fx->u, s.id, NOW + 1, &again), TT_OK);
    assert_int_equal(tt_users_change_password(fx->u, "li4", PW, "another password", NOW,
                                              fx->reason, sizeof fx->reason), TT_OK);
    assert_int_equal(tt_users_session(fx->u, s.id, NOW + 2, &again), TT_ERR_NOTFOUND);
    assert_int_equal(tt_users_sign_in(fx->u, "li4", PW, "a", NOW, &s, NULL), TT_ERR_DENIED);
    assert_int_equal(tt_users_sign_in(fx->u, "li4", "another password", "a", NOW, &s, NULL),
                     TT_OK);
    u.active = 0;
    assert_int_equal(tt_users_update(fx->u, &u, NULL, NOW, fx->reason, sizeof fx->reason), TT_OK);
    assert_int_equal(tt_users_session(fx->u, s.id, NOW + 3, &again), TT_ERR_NOTFOUND);
    assert_int_equal(tt_users_sign_in(fx->u, "li4", "another password", "b", NOW, &s, NULL),
                     TT_ERR_DENIED);
    u = user_of("ghost", TT_ACCESS_AUDIT, "", "");
    assert_int_equal(tt_users_update(fx->u, &u, NULL, NOW, fx->reason, sizeof fx->reason),
                     TT_ERR_NOTFOUND);
}

static void test_throttle_per_user(void **state)
{
    fx_t *fx = *state;
    tt_users_session_t s;
    int64_t retry = 0, t = NOW;
    for (int i = 0; i < TT_USERS_USER_FREE; i++)
        assert_int_equal(tt_users_sign_in(fx->u, "admin1", "guess guess", "10.0.0.9", t += 1000,
                                          &s, &retry), TT_ERR_DENIED);
    /* locked: even the right password is not checked */
    assert_int_equal(tt_users_sign_in(fx->u, "admin1", PW, "10.0.0.10", t += 1000, &s, &retry),
                     TT_ERR_BUSY);
    assert_true(retry > 0 && retry <= TT_USERS_LOCK_BASE_MS);
    assert_string_equal(s.id, "");
    /* after the lock, one more failure doubles it */
    t += TT_USERS_LOCK_BASE_MS;
    assert_int_equal(tt_users_sign_in(fx->u, "admin1", "guess again", "10.0.0.10", t, &s, &retry),
                     TT_ERR_DENIED);
    assert_int_equal(tt_users_sign_in(fx->u, "admin1", PW, "10.0.0.10", t + 1000, &s, &retry),
                     TT_ERR_BUSY);
    assert_true(retry > TT_USERS_LOCK_BASE_MS && retry <= 2 * TT_USERS_LOCK_BASE_MS);
    /* when it runs out, the right password works and clears the count */
    t += 2 * TT_USERS_LOCK_BASE_MS + 1000;
    assert_int_equal(tt_users_sign_in(fx->u, "admin1", PW, "10.0.0.10", t, &s, &retry), TT_OK);
    assert_int_equal(tt_users_sign_in(fx->u, "admin1", "guess guess", "10.0.0.10", t + 1, &s,
                                      &retry), TT_ERR_DENIED);
    assert_int_equal(tt_users_sign_in(fx->u, "admin1", PW, "10.0.0.10", t + 2, &s, &retry), TT_OK);
}

/* Unknown names count against the address too: one address guessing many
 * names is locked out. */
static void test_throttle_per_address(void **state)
{
    fx_t *fx = *state;
    tt_users_session_t s;
    int64_t retry = 0;
    char name[32];
    for (int i = 0; i < TT_USERS_ADDR_FREE; i++) {
        snprintf(name, sizeof name, "user%d", i);
        assert_int_equal(tt_users_sign_in(fx->u, name, "whatever", "10.9.9.9", NOW + i, &s,
                                          &retry), TT_ERR_DENIED);
    }
    assert_int_equal(tt_users_sign_in(fx->u, "admin1", PW, "10.9.9.9", NOW + 100, &s, &retry),
                     TT_ERR_BUSY);
    /* another address is not locked out */
    assert_int_equal(tt_users_sign_in(fx->u, "admin1", PW, "10.1.1.1", NOW + 100, &s, &retry),
                     TT_OK);
    /* over-long input is no one's password, and counted */
    {
        char big[TT_USERS_PASSWORD_MAX + 10];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        assert_int_equal(tt_users_sign_in(fx->u, "admin1", big, "10.1.1.2", NOW + 200, &s, NULL),
                         TT_ERR_INVAL);
    }
}

static int count_row(void *ctx, const tt_users_audit_row_t *r)
{
    int *n = ctx;
    assert_string_equal(r->user, "admin1");
    (*n)++;
    return 0;
}

static void test_audit_append_only(void **state)
{
    fx_t *fx = *state;
    char big[TT_USERS_SUMMARY_MAX + 40];
    int n = 0;
    /* a summary cut at a UTF-8 boundary */
    for (size_t i = 0; i + 3 < sizeof big; i += 3)
        memcpy(big + i, "账", 3);
    big[sizeof big - 1 - (sizeof big - 1) % 3] = '\0';
    assert_int_equal(tt_users_audit(fx->u, "admin1", "POST", "/api/v1/documents", 201, big, NOW),
                     TT_OK);
    assert_int_equal(tt_users_audit(fx->u, "admin1", "POST", "/api/v1/users", 201, "x", NOW + 1),
                     TT_OK);
    assert_int_equal(tt_users_audit_each(fx->u, "admin1", 0, 10, count_row, &n), TT_OK);
    assert_int_equal(n, 2);
    assert_int_not_equal(sqlite3_exec(tt_db_sqlite(fx->db), "UPDATE audit SET user = 'x'", NULL,
                                      NULL, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(tt_db_sqlite(fx->db), "DELETE FROM audit", NULL, NULL,
                                      NULL), SQLITE_OK);
    {
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(tt_db_sqlite(fx->db), "SELECT length(CAST(summary AS"
                                            " BLOB)) FROM audit ORDER BY id LIMIT 1", -1, &st,
                                            NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_true(sqlite3_column_int(st, 0) <= TT_USERS_SUMMARY_MAX);
        assert_int_equal(sqlite3_column_int(st, 0) % 3, 0);
        sqlite3_finalize(st);
    }
}

static void test_warehouse_unit_and_tokens(void **state)
{
    fx_t *fx = *state;
    char unit[TT_USERS_UNIT_MAX + 1];
    assert_int_equal(tt_users_warehouse_unit(fx->u, "CK03", unit), TT_OK);
    assert_string_equal(unit, "CM1");
    assert_int_equal(tt_users_warehouse_unit(fx->u, "W01", unit), TT_OK);
    assert_string_equal(unit, "");
    assert_int_equal(tt_users_warehouse_unit(fx->u, "W01' OR 1=1 --", unit), TT_ERR_NOTFOUND);
    assert_true(tt_users_token_equal("abc", "abc"));
    assert_false(tt_users_token_equal("abc", "abd"));
    assert_false(tt_users_token_equal("abc", "abcd"));
    assert_false(tt_users_token_equal("", ""));
    assert_false(tt_users_token_equal("abc", NULL));
}

/* A body acts as the signed-in person: absent -> added, the same -> kept,
 * anyone else -> refused; workflow roles and a scoped unit likewise. */
static void test_bind_body(void **state)
{
    tt_users_user_t u = user_of("li4", TT_ACCESS_STOREKEEPER, "CM1", "storekeeper,unit_planner");
    char *out = NULL, reason[200];
    (void)state;
    assert_int_equal(tt_sessionapi_bind_body("{\"month\":\"2026-10\"}", strlen("{\"month\":\"2026-10\"}"), "by", 0, &u, &out,
                                             reason, sizeof reason), TT_OK);
    assert_string_equal(out, "{\"month\":\"2026-10\",\"by\":\"li4\"}");
    free(out);
    assert_int_equal(tt_sessionapi_bind_body("{\"by\":\"li4\"}", strlen("{\"by\":\"li4\"}"), "by", 0, &u, &out, reason,
                                             sizeof reason), TT_OK);
    free(out);
    assert_int_equal(tt_sessionapi_bind_body("{\"by\":\"wang5\"}", strlen("{\"by\":\"wang5\"}"), "by", 0, &u, &out, reason,
                                             sizeof reason), TT_ERR_DENIED);
    assert_null(out);
    assert_non_null(strstr(reason, "li4"));
    assert_int_equal(tt_sessionapi_bind_body("{\"operator\":7}", strlen("{\"operator\":7}"), "operator", 0, &u, &out,
                                             reason, sizeof reason), TT_ERR_DENIED);
    assert_int_equal(tt_sessionapi_bind_body("[1]", strlen("[1]"), "by", 0, &u, &out, reason, sizeof reason),
                     TT_ERR_PARSE);
    assert_int_equal(tt_sessionapi_bind_body("{\"by\":\"li4\"} x", strlen("{\"by\":\"li4\"} x"), "by", 0, &u, &out, reason,
                                             sizeof reason), TT_ERR_PARSE);
    /* workflow: role must be one of mine, unit my unit */
    assert_int_equal(tt_sessionapi_bind_body("{\"role\":\"unit_planner\"}", strlen("{\"role\":\"unit_planner\"}"), "user", 1, &u, &out,
                                             reason, sizeof reason), TT_OK);
    assert_non_null(strstr(out, "\"user\":\"li4\""));
    assert_non_null(strstr(out, "\"unit\":\"CM1\""));
    free(out);
    assert_int_equal(tt_sessionapi_bind_body("{\"role\":\"deputy_leader\"}", strlen("{\"role\":\"deputy_leader\"}"), "user", 1, &u,
                                             &out, reason, sizeof reason), TT_ERR_DENIED);
    assert_int_equal(tt_sessionapi_bind_body("{\"unit\":\"XD\"}", strlen("{\"unit\":\"XD\"}"), "user", 1, &u, &out, reason,
                                             sizeof reason), TT_ERR_DENIED);
    assert_true(tt_sessionapi_has_wf_role(&u, "storekeeper"));
    assert_false(tt_sessionapi_has_wf_role(&u, "store"));
    assert_false(tt_sessionapi_has_wf_role(&u, ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_password_hashed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sessions_and_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disable_and_password_end_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle_per_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle_per_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_append_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warehouse_unit_and_tokens, setup, teardown),
        cmocka_unit_test(test_bind_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
