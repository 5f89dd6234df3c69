#include "access.h"

#include <string.h>

/* Groups of roles used by the table (docs/api.md, "Roles per route"). */
#define SK TT_ACCESS_STOREKEEPER
#define RF TT_ACCESS_REPAIR_FITTER
#define EM TT_ACCESS_ELECTROMECH
#define MO TT_ACCESS_MATERIAL_OFFICE
#define FI TT_ACCESS_FINANCE
#define AU TT_ACCESS_AUDIT
#define LE TT_ACCESS_LEADER
#define AD TT_ACCESS_ADMIN
/* Those who read the materials ledger and its reports. */
#define LEDGER_READ (SK | MO | FI | AU | LE | AD)
/* Those who read money figures that span units. */
#define MONEY_READ (MO | FI | AU | LE | AD)
/* Those who read the equipment, its repair archive and repair figures. */
#define REPAIR_READ (RF | EM | MO | FI | AU | LE | AD)

static const tt_access_route_t ROUTES[] = {
    /* signing in and out */
    {"GET", "/api/v1/health", TT_ACCESS_PUBLIC, TT_ACCESS_SCOPE_NONE, TT_ACCESS_ID_NONE, NULL},
    {"POST", "/api/v1/session", TT_ACCESS_PUBLIC, TT_ACCESS_SCOPE_NONE, TT_ACCESS_ID_NONE, NULL},
    {"GET", "/api/v1/session", TT_ACCESS_ALL, TT_ACCESS_SCOPE_NONE, TT_ACCESS_ID_NONE, NULL},
    {"POST", "/api/v1/session/logout", TT_ACCESS_ALL, TT_ACCESS_SCOPE_NONE, TT_ACCESS_ID_NONE,
     NULL},
    {"POST", "/api/v1/session/password", TT_ACCESS_ALL, TT_ACCESS_SCOPE_NONE,
     TT_ACCESS_ID_NONE, NULL},
    /* people and the record of changes */
    {"GET", "/api/v1/users", AD, TT_ACCESS_SCOPE_NONE, TT_ACCESS_ID_NONE, NULL},
    {"POST", "/api/v1/users", AD, TT_ACCESS_SCOPE_NONE, TT_ACCESS_ID_NONE, NULL},
    {"GET", "/api/v1/audit", AU | AD, TT_ACCESS_SCOPE_NONE, TT_ACCESS_ID_NONE, NULL},
    /* the overview page and the fleet */
    {"GET", "/api/v1/overview", TT_ACCESS_ALL, TT_ACCESS_SCOPE_UNIT, TT_ACCESS_ID_NONE, NULL},
    {"GET", "/api/v1/stock", TT_ACCESS_ALL, TT_ACCESS_SCOPE_WAREHOUSE, TT_ACCESS_ID_NONE, NULL},
    {"GET", "/api/v1/terminals", SK | EM | MO | AU | LE | AD, TT_ACCESS_SCOPE_NONE,
     TT_ACCESS_ID_NONE, NULL},
    {"GET", "/api/v1/rejections", SK | MO | AU | LE | AD, TT_ACCESS_SCOPE_DENY,
     TT_ACCESS_ID_NONE, NULL},
    /* reports (reportapi.h) */
    {"GET", "/api/v1/ledger/issues", LEDGER_READ, TT_ACCESS_SCOPE_UNIT, TT_ACCESS_ID_NONE, NULL},
    {"GET", "/api/v1/ledger/stats", LEDGER_READ, TT_ACCESS_SCOPE_UNIT, TT_ACCESS_ID_NONE, NULL},
    {"GET", "/api/v1/reports/safety", MONEY_READ, TT_ACCESS_SCOPE_DENY, TT_ACCESS_ID_NONE, NULL},
    {"GET", "/api/v1/reports/safety/detail", MONEY_READ, TT_ACCESS_SCOPE_DENY,
     TT_ACCESS_ID_NONE, NULL},
    {"GET", "/api/v1/reports/expense-tags", MONEY_READ, TT_ACCESS_SCOPE_DENY, TT_ACCESS_ID_NONE,
     NULL},
    {"GET", "/api/v1/reports/assessment", LEDGER_READ, TT_ACCESS_SCOPE_UNIT, TT_ACCESS_ID_NONE,
     NULL},
    {"GET", "/api/v1/reports/recovery", LEDGER_READ, TT_ACCESS_SCOPE_UNIT, TT_ACCESS_ID_NONE,
     NULL},
    {"GET", "/api/v1/stock/work-areas", TT_ACCESS_ALL, TT_ACCESS_SCOPE_UNIT, TT_ACCESS_ID_NONE,
     NULL},
    {"GET", "/api/v1/stock/lots", LEDGER_READ, TT_ACCESS_SCOPE_WAREHOUSE, TT_ACCESS_ID_NONE,
     NULL},
    {"GET", "/api/v1/exceptions", SK | MO | AU | LE | AD, TT_ACCESS_SCOPE_DENY,
     TT_ACCESS_ID_NONE, NULL},
    /* revolving materials (revolveapi.h) */
    {"GET", "/api/v1/revolving/reconcile", LEDGER_READ, TT_ACCESS_SCOPE_DENY, TT_ACCESS_ID_NONE,
     NULL},
    {"GET", "/api/v1/revolving/daily", LEDGER_READ, TT_ACCESS_SCOPE_DENY, TT_ACCESS_ID_NONE,
     NULL},
    /* equipment and repair, read (repairapi.h): everyone of the repair
     * chain and those who answer for its money; a unit-scoped user gets
     * `unit` forced (the register's unit, the archive's document or
     * register unit, the appraisal's sending unit of cycles and costs) */
    {"GET", "/api/v1/equipment", REPAIR_READ, TT_ACCESS_SCOPE_UNIT, TT_ACCESS_ID_NONE, NULL},
    {"GET", "/api/v1/equipment/archive", REPAIR_READ, TT_ACCESS_SCOPE_UNIT, TT_ACCESS_ID_NONE,
     NULL},
    {"GET", "/api/v1/reports/repair-cycles", REPAIR_READ, TT_ACCESS_SCOPE_UNIT,
     TT_ACCESS_ID_NONE, NULL},
    {"GET", "/api/v1/reports/repair-costs", REPAIR_READ, TT_ACCESS_SCOPE_UNIT,
     TT_ACCESS_ID_NONE, NULL},
    /* the office's documents (office.h) */
    {"POST", "/api/v1/documents", SK | MO | AD, TT_ACCESS_SCOPE_DENY, TT_ACCESS_ID_BODY,
     "operator"},
    {"POST", "/api/v1/periods/close", MO | FI | AD, TT_ACCESS_SCOPE_DENY, TT_ACCESS_ID_BODY, "by"},
    {"POST", "/api/v1/safety-marks", MO | FI | AD, TT_ACCESS_SCOPE_DENY, TT_ACCESS_ID_BODY, "by"},
    {"POST", "/api/v1/expense-tags", AU | AD, TT_ACCESS_SCOPE_DENY, TT_ACCESS_ID_BODY, "by"},
    {"POST", "/api/v1/exceptions/resolve", SK | MO | AD, TT_ACCESS_SCOPE_DENY, TT_ACCESS_ID_BODY,
     "by"},
    {"POST", "/api/v1/revolving", SK | MO | AD, TT_ACCESS_SCOPE_DENY, TT_ACCESS_ID_BODY,
     "operator"},
    {"POST", "/api/v1/spares", RF | EM | MO | AD, TT_ACCESS_SCOPE_DENY, TT_ACCESS_ID_BODY, "by"},
    {"POST", "/api/v1/spares/events", RF | EM | MO | AD, TT_ACCESS_SCOPE_DENY, TT_ACCESS_ID_BODY,
     "by"},
    /* repair-shop documents (office.h, repair.h): those who do the repair
     * steps and the office that enters paper ones; the main-material quotas
     * are the labour dept's figures, entered by the material office only */
    {"POST", "/api/v1/repair/docs", RF | EM | MO | AD, TT_ACCESS_SCOPE_DENY, TT_ACCESS_ID_BODY,
     "operator"},
    {"POST", "/api/v1/repair/quotas", MO | AD, TT_ACCESS_SCOPE_DENY, TT_ACCESS_ID_BODY, "by"},
    /* the workflow engine (wfhttp.h); the engine itself checks who may act
     * on which task (its roles, one signs another checks) */
    {"GET", "/api/v1/workflow/definitions", TT_ACCESS_ALL, TT_ACCESS_SCOPE_NONE,
     TT_ACCESS_ID_NONE, NULL},
    {"POST", "/api/v1/workflow/definitions", MO | AD, TT_ACCESS_SCOPE_NONE, TT_ACCESS_ID_QUERY,
     "user"},
    {"POST", "/api/v1/workflow/instances", TT_ACCESS_ALL, TT_ACCESS_SCOPE_NONE, TT_ACCESS_ID_BODY,
     "user"},
    {"GET", "/api/v1/workflow/tasks", TT_ACCESS_ALL, TT_ACCESS_SCOPE_NONE, TT_ACCESS_ID_QUERY,
     "user"},
    {"GET", "/api/v1/workflow/instances/{id}", TT_ACCESS_ALL, TT_ACCESS_SCOPE_NONE,
     TT_ACCESS_ID_NONE, NULL},
    {"POST", "/api/v1/workflow/instances/{id}/tasks/{token}", TT_ACCESS_ALL,
     TT_ACCESS_SCOPE_NONE, TT_ACCESS_ID_BODY, "user"},
    {"POST", "/api/v1/workflow/instances/{id}/messages", MO | AD, TT_ACCESS_SCOPE_NONE,
     TT_ACCESS_ID_BODY, "user"},
    {"GET", "/api/v1/workflow/metrics", MO | AU | LE | AD, TT_ACCESS_SCOPE_NONE,
     TT_ACCESS_ID_NONE, NULL},
};
#define NROUTES (sizeof ROUTES / sizeof ROUTES[0])

static const char *const ROLE_NAMES[] = {"storekeeper", "repair_fitter", "electromech",
                                         "material_office", "finance", "audit", "leader",
                                         "admin"};

const tt_access_route_t *tt_access_routes(size_t *n)
{
    *n = NROUTES;
    return ROUTES;
}

/* Whether `path` matches `pattern` ({name} segments match 1-18 digits). */
static int matches(const char *pattern, const char *path)
{
    while (*pattern && *path) {
        if (*pattern == '{') {
            size_t digits = 0;
            while (*pattern && *pattern != '}')
                pattern++;
            if (*pattern)
                pattern++;
            while (*path >= '0' && *path <= '9') {
                path++;
                digits++;
            }
            if (digits == 0 || digits > 18)
                return 0;
            continue;
        }
        if (*pattern++ != *path++)
            return 0;
    }
    return !*pattern && !*path;
}

const tt_access_route_t *tt_access_find(const char *method, const char *path, int *path_known)
{
    if (path_known)
        *path_known = 0;
    if (!method || !path)
        return NULL;
    for (size_t i = 0; i < NROUTES; i++) {
        if (!matches(ROUTES[i].path, path))
            continue;
        if (strcmp(ROUTES[i].method, method) == 0)
            return &ROUTES[i];
        if (path_known)
            *path_known = 1;
    }
    return NULL;
}

int tt_access_allowed(const tt_access_route_t *r, unsigned roles)
{
    if (!r)
        return 0;
    if (r->roles & TT_ACCESS_PUBLIC)
        return 1;
    return (r->roles & roles & TT_ACCESS_ALL) != 0;
}

unsigned tt_access_role_parse(const char *name)
{
    for (unsigned i = 0; name && i < sizeof ROLE_NAMES / sizeof ROLE_NAMES[0]; i++)
        if (strcmp(name, ROLE_NAMES[i]) == 0)
            return 1u << i;
    return 0;
}

const char *tt_access_role_name(unsigned bit)
{
    for (unsigned i = 0; i < sizeof ROLE_NAMES / sizeof ROLE_NAMES[0]; i++)
        if (bit == 1u << i)
            return ROLE_NAMES[i];
    return NULL;
}
