/*
 * access: who may call which route of the HTTP API (docs/api.md, "Roles per
 * route").  Pure: a table of (method, path pattern) -> the roles allowed,
 * how a unit-scoped user's request is narrowed, and which body member or
 * query argument names the acting person.  http.c consults it for every
 * /api/v1/ request before dispatching, so a route missing here is refused
 * (404) whatever the handlers behind it could do; docs/openapi.json lists
 * exactly these routes (tests/unit/test_access.c checks both ways).
 *
 * Path patterns are literal except for segments written {name}, which match
 * one non-empty path segment of digits (ids).
 */
#ifndef TT_ACCESS_H
#define TT_ACCESS_H

#include <stddef.h>

/* The roles of the office (docs/api.md), one bit each. */
#define TT_ACCESS_STOREKEEPER 0x01u
#define TT_ACCESS_REPAIR_FITTER 0x02u
#define TT_ACCESS_ELECTROMECH 0x04u
#define TT_ACCESS_MATERIAL_OFFICE 0x08u
#define TT_ACCESS_FINANCE 0x10u
#define TT_ACCESS_AUDIT 0x20u
#define TT_ACCESS_LEADER 0x40u
#define TT_ACCESS_ADMIN 0x80u
#define TT_ACCESS_ALL 0xffu
/* A route anyone may call, signed in or not (health, sign-in). */
#define TT_ACCESS_PUBLIC 0x100u

/* How a unit-scoped user (one whose unit is not "") is kept to the unit. */
typedef enum {
    TT_ACCESS_SCOPE_NONE = 0,   /* the route holds no per-unit data: allowed as is */
    TT_ACCESS_SCOPE_UNIT,       /* the route takes `unit`: forced to the user's unit */
    TT_ACCESS_SCOPE_WAREHOUSE,  /* the route takes `warehouse`: required, one of the unit's */
    TT_ACCESS_SCOPE_DENY,       /* spans units and cannot be narrowed: scoped users get 403 */
} tt_access_scope_t;

/* Where a route names the person acting (trusted from the session). */
typedef enum {
    TT_ACCESS_ID_NONE = 0,
    TT_ACCESS_ID_BODY,          /* a member of the JSON body */
    TT_ACCESS_ID_QUERY,         /* a query argument */
} tt_access_idwhere_t;

typedef struct {
    const char *method;         /* "GET" or "POST" */
    const char *path;           /* pattern, e.g. "/api/v1/workflow/instances/{id}" */
    unsigned roles;             /* TT_ACCESS_* bits, or TT_ACCESS_PUBLIC */
    tt_access_scope_t scope;
    tt_access_idwhere_t id_where;
    const char *id_field;       /* "operator", "by", "user"; NULL with TT_ACCESS_ID_NONE */
} tt_access_route_t;

/* The route table: *n gets its length.  Static, never NULL. */
const tt_access_route_t *tt_access_routes(size_t *n);

/* The entry matching method and path (no query string), or NULL when no
 * route has that path and method.  *path_known (may be NULL) is set to 1
 * when some route has the path with another method (405 rather than 404). */
const tt_access_route_t *tt_access_find(const char *method, const char *path, int *path_known);

/* Non-zero when a user holding `roles` (TT_ACCESS_* bits) may call r.
 * Public routes allow everyone. */
int tt_access_allowed(const tt_access_route_t *r, unsigned roles);

/* The bit of a role's name ("storekeeper", "repair_fitter", "electromech",
 * "material_office", "finance", "audit", "leader", "admin"), or 0. */
unsigned tt_access_role_parse(const char *name);

/* The name of a single role bit; NULL for anything else. */
const char *tt_access_role_name(unsigned bit);

#endif
