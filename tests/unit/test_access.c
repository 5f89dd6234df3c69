/*
 * Unit tests of server/access: the route table (which roles may call what,
 * how unit-scoped users are narrowed, who acts), its matching of paths and
 * methods, and docs/openapi.json against it both ways: every route the
 * server answers is documented and nothing else is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "access.h"

static const tt_access_route_t *find(const char *method, const char *path)
{
    return tt_access_find(method, path, NULL);
}

static void test_roles_parse_and_name(void **state)
{
    static const char *const names[] = {"storekeeper", "repair_fitter", "electromech",
                                        "material_office", "finance", "audit", "leader",
                                        "admin"};
    unsigned all = 0;
    (void)state;
    for (size_t i = 0; i < 8; i++) {
        unsigned bit = tt_access_role_parse(names[i]);
        assert_int_not_equal(bit, 0);
        assert_string_equal(tt_access_role_name(bit), names[i]);
        all |= bit;
    }
    assert_int_equal(all, TT_ACCESS_ALL);
    assert_int_equal(tt_access_role_parse("Admin"), 0);
    assert_int_equal(tt_access_role_parse(""), 0);
    assert_int_equal(tt_access_role_parse(NULL), 0);
    assert_null(tt_access_role_name(TT_ACCESS_ADMIN | TT_ACCESS_AUDIT));
    assert_null(tt_access_role_name(0));
}

static void test_matching(void **state)
{
    int known = 0;
    (void)state;
    assert_non_null(find("GET", "/api/v1/ledger/issues"));
    assert_null(find("GET", "/api/v1/ledger/issues/"));
    assert_null(find("GET", "/api/v1/ledger"));
    assert_null(tt_access_find("DELETE", "/api/v1/ledger/issues", &known));
    assert_int_equal(known, 1);   /* the path exists: 405, not 404 */
    assert_null(tt_access_find("GET", "/api/v1/nothing", &known));
    assert_int_equal(known, 0);
    /* {id} segments take digits only */
    assert_non_null(find("GET", "/api/v1/workflow/instances/17"));
    assert_non_null(find("POST", "/api/v1/workflow/instances/17/tasks/3"));
    assert_null(find("GET", "/api/v1/workflow/instances/x17"));
    assert_null(find("GET", "/api/v1/workflow/instances/"));
    assert_null(find("POST", "/api/v1/workflow/instances/1/tasks/3/more"));
    assert_null(find("GET", "/api/v1/workflow/instances/1234567890123456789"));
    /* GET and POST of one path are separate entries */
    assert_ptr_not_equal(find("GET", "/api/v1/session"), find("POST", "/api/v1/session"));
}

static void test_who_may(void **state)
{
    const tt_access_route_t *r;
    (void)state;
    /* public: health and signing in only */
    assert_true(tt_access_allowed(find("GET", "/api/v1/health"), 0));
    assert_true(tt_access_allowed(find("POST", "/api/v1/session"), 0));
    assert_false(tt_access_allowed(find("GET", "/api/v1/session"), 0));
    assert_false(tt_access_allowed(find("GET", "/api/v1/stock"), 0));
    /* users and the audit record */
    assert_true(tt_access_allowed(find("POST", "/api/v1/users"), TT_ACCESS_ADMIN));
    assert_false(tt_access_allowed(find("POST", "/api/v1/users"), TT_ACCESS_ALL & ~TT_ACCESS_ADMIN));
    assert_true(tt_access_allowed(find("GET", "/api/v1/audit"), TT_ACCESS_AUDIT));
    assert_false(tt_access_allowed(find("GET", "/api/v1/audit"), TT_ACCESS_FINANCE));
    /* money across units: not for storekeepers or fitters */
    r = find("GET", "/api/v1/reports/safety");
    assert_true(tt_access_allowed(r, TT_ACCESS_FINANCE));
    assert_false(tt_access_allowed(r, TT_ACCESS_STOREKEEPER));
    assert_false(tt_access_allowed(r, TT_ACCESS_REPAIR_FITTER));
    assert_int_equal(r->scope, TT_ACCESS_SCOPE_DENY);
    /* audit tags, nobody else but admin */
    r = find("POST", "/api/v1/expense-tags");
    assert_true(tt_access_allowed(r, TT_ACCESS_AUDIT));
    assert_false(tt_access_allowed(r, TT_ACCESS_MATERIAL_OFFICE));
    /* closing a month: office and finance */
    r = find("POST", "/api/v1/periods/close");
    assert_true(tt_access_allowed(r, TT_ACCESS_FINANCE));
    assert_false(tt_access_allowed(r, TT_ACCESS_LEADER));
    /* documents name their operator; the ledger is filtered by unit */
    r = find("POST", "/api/v1/documents");
    assert_int_equal(r->id_where, TT_ACCESS_ID_BODY);
    assert_string_equal(r->id_field, "operator");
    assert_false(tt_access_allowed(r, TT_ACCESS_REPAIR_FITTER));
    assert_int_equal(find("GET", "/api/v1/ledger/issues")->scope, TT_ACCESS_SCOPE_UNIT);
    assert_int_equal(find("GET", "/api/v1/stock/lots")->scope, TT_ACCESS_SCOPE_WAREHOUSE);
    /* workflow: deploy names its user in the query, acting in the body */
    r = find("POST", "/api/v1/workflow/definitions");
    assert_int_equal(r->id_where, TT_ACCESS_ID_QUERY);
    assert_string_equal(r->id_field, "user");
    assert_false(tt_access_allowed(r, TT_ACCESS_STOREKEEPER));
    r = find("POST", "/api/v1/workflow/instances/1/tasks/2");
    assert_int_equal(r->id_where, TT_ACCESS_ID_BODY);
    assert_true(tt_access_allowed(r, TT_ACCESS_STOREKEEPER));
    assert_false(tt_access_allowed(NULL, TT_ACCESS_ALL));
}

/* Equipment and repair (docs/api.md, "Equipment and repair"): the repair
 * chain and the money readers read, narrowed to a scoped user's unit; the
 * quotas are the material office's to enter. */
static void test_repair_routes(void **state)
{
    static const char *const reads[] = {"/api/v1/equipment", "/api/v1/equipment/archive",
                                        "/api/v1/reports/repair-cycles",
                                        "/api/v1/reports/repair-costs"};
    const unsigned readers = TT_ACCESS_REPAIR_FITTER | TT_ACCESS_ELECTROMECH |
                             TT_ACCESS_MATERIAL_OFFICE | TT_ACCESS_FINANCE | TT_ACCESS_AUDIT |
                             TT_ACCESS_LEADER | TT_ACCESS_ADMIN;
    const tt_access_route_t *r;
    (void)state;
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        r = find("GET", reads[i]);
        assert_non_null(r);
        assert_int_equal(r->roles, readers);
        assert_false(tt_access_allowed(r, TT_ACCESS_STOREKEEPER));
        assert_int_equal(r->scope, TT_ACCESS_SCOPE_UNIT);
        assert_int_equal(r->id_where, TT_ACCESS_ID_NONE);
    }
    r = find("POST", "/api/v1/repair/docs");
    assert_int_equal(r->roles, TT_ACCESS_REPAIR_FITTER | TT_ACCESS_ELECTROMECH |
                                   TT_ACCESS_MATERIAL_OFFICE | TT_ACCESS_ADMIN);
    assert_string_equal(r->id_field, "operator");
    r = find("POST", "/api/v1/repair/quotas");
    assert_int_equal(r->roles, TT_ACCESS_MATERIAL_OFFICE | TT_ACCESS_ADMIN);
    assert_false(tt_access_allowed(r, TT_ACCESS_ELECTROMECH));
    assert_string_equal(r->id_field, "by");
    assert_null(find("POST", "/api/v1/equipment"));
}

/* Every table entry is well formed: a method, a path under /api/v1/, roles,
 * an acting field exactly when it says where, no duplicates, and every
 * POST but signing in names no one or its acting person deliberately. */
static void test_table_well_formed(void **state)
{
    size_t n;
    const tt_access_route_t *r = tt_access_routes(&n);
    (void)state;
    assert_true(n > 30);
    for (size_t i = 0; i < n; i++) {
        assert_true(strcmp(r[i].method, "GET") == 0 || strcmp(r[i].method, "POST") == 0);
        assert_memory_equal(r[i].path, "/api/v1/", 8);
        assert_int_not_equal(r[i].roles, 0);
        assert_true((r[i].id_where == TT_ACCESS_ID_NONE) == (r[i].id_field == NULL));
        for (size_t k = 0; k < i; k++)
            assert_false(strcmp(r[i].method, r[k].method) == 0 &&
                         strcmp(r[i].path, r[k].path) == 0);
        if (r[i].roles & TT_ACCESS_PUBLIC)
            assert_int_equal(r[i].scope, TT_ACCESS_SCOPE_NONE);
        /* admin may call everything that is not public */
        assert_true(tt_access_allowed(&r[i], TT_ACCESS_ADMIN));
    }
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    long len;
    char *buf;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)len + 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[len] = '\0';
    fclose(f);
    return buf;
}

/* docs/openapi.json lists exactly the table's routes, with the same roles. */
static void test_openapi_matches_routes(void **state)
{
    char *text = read_file(TT_SOURCE_DIR "/docs/openapi.json");
    cJSON *doc, *paths, *path, *op;
    size_t n, documented = 0;
    const tt_access_route_t *r = tt_access_routes(&n);
    (void)state;
    assert_non_null(text);
    doc = cJSON_Parse(text);
    free(text);
    assert_non_null(doc);
    paths = cJSON_GetObjectItemCaseSensitive(doc, "paths");
    assert_true(cJSON_IsObject(paths));
    /* table -> file */
    for (size_t i = 0; i < n; i++) {
        char method[8];
        cJSON *roles;
        unsigned mask = 0;
        for (size_t k = 0; k <= strlen(r[i].method); k++)
            method[k] = (char)(r[i].method[k] >= 'A' && r[i].method[k] <= 'Z'
                                   ? r[i].method[k] + 32 : r[i].method[k]);
        path = cJSON_GetObjectItemCaseSensitive(paths, r[i].path);
        op = path ? cJSON_GetObjectItemCaseSensitive(path, method) : NULL;
        if (!op)
            fail_msg("docs/openapi.json lacks %s %s", r[i].method, r[i].path);
        roles = cJSON_GetObjectItemCaseSensitive(op, "x-roles");
        for (cJSON *x = roles ? roles->child : NULL; x; x = x->next)
            mask |= strcmp(x->valuestring, "public") == 0 ? TT_ACCESS_PUBLIC
                                                           : tt_access_role_parse(x->valuestring);
        if (mask != r[i].roles)
            fail_msg("docs/openapi.json: x-roles of %s %s differ from the server's", r[i].method,
                     r[i].path);
    }
    /* file -> table */
    cJSON_ArrayForEach(path, paths) {
        cJSON_ArrayForEach(op, path) {
            char method[8];
            size_t k = 0;
            for (; op->string[k] && k < sizeof method - 1; k++)
                method[k] = (char)(op->string[k] - 32);
            method[k] = '\0';
            const tt_access_route_t *found;
            char concrete[256];
            size_t c = 0;
            documented++;
            /* {name} segments become an id to look up */
            for (const char *p = path->string; *p && c < sizeof concrete - 2; p++) {
                if (*p == '{') {
                    concrete[c++] = '7';
                    while (*p && *p != '}')
                        p++;
                    if (!*p)
                        break;
                } else {
                    concrete[c++] = *p;
                }
            }
            concrete[c] = '\0';
            found = tt_access_find(method, concrete, NULL);
            if (!found || strcmp(found->path, path->string) != 0)
                fail_msg("docs/openapi.json documents %s %s, which the server has not", method,
                         path->string);
        }
    }
    assert_int_equal(documented, n);
    cJSON_Delete(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_parse_and_name),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_who_may),
        cmocka_unit_test(test_repair_routes),
        cmocka_unit_test(test_table_well_formed),
        cmocka_unit_test(test_openapi_matches_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
