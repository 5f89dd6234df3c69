/*
 * sessionapi: the routes of signing in and of the people of the web office
 * (docs/api.md, "Signing in", "Users", "Audit"): POST /api/v1/session (sign
 * in), GET /api/v1/session (who is signed in, and the CSRF token), POST
 * /api/v1/session/logout, POST /api/v1/session/password, GET and POST
 * /api/v1/users, GET /api/v1/audit.
 *
 * No HTTP here: http.c checks roles (access.h) and CSRF, hands over the
 * request with the identity it established, and turns the reply into
 * headers (the session cookie it sets or clears, Retry-After).
 */
#ifndef TT_SESSIONAPI_H
#define TT_SESSIONAPI_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "users.h"

/* A query argument's value, or NULL. */
typedef const char *(*tt_sessionapi_arg_fn)(void *ctx, const char *name);

typedef struct {
    const char *method, *path;
    const char *body;          /* POST body, not NUL-terminated; may be NULL */
    size_t len;
    const char *addr;          /* the client's address, for the throttle */
    /* Who is asking: the session (NULL for the service token or nobody)
     * and the acting name ("service" for the token, "" for nobody). */
    const tt_users_session_t *session;
    const char *actor;
    tt_sessionapi_arg_fn arg;
    void *ctx;
    int64_t now_ms;
} tt_sessionapi_req_t;

typedef struct {
    unsigned status;
    cJSON *body;               /* owned by the caller (cJSON_Delete); NULL only for 500 */
    /* A sign-in's new session: the caller sets its cookie (id non-empty). */
    tt_users_session_t started;
    int ended;                 /* the session ended: the caller clears its cookie */
    int64_t retry_after_s;     /* 429: seconds to wait */
    /* What the audit record says of a change (no secrets). */
    char summary[TT_USERS_SUMMARY_MAX + 1];
} tt_sessionapi_reply_t;

/* Non-zero when `path` is one of these routes. */
int tt_sessionapi_route(const char *path);

/* Answers the request into *rep (status and JSON; {"error": ...} for
 * errors: 400 malformed, 401 wrong name or password, 403 not allowed, 404,
 * 409 a name taken, 429 throttled, 500).  Returns TT_OK whenever a reply
 * was made, TT_ERR_NOMEM when none could be. */
tt_err_t tt_sessionapi_handle(tt_users_t *u, const tt_sessionapi_req_t *req,
                              tt_sessionapi_reply_t *rep);

/* The signed-in person as JSON ({"user","role","unit","wf_roles":[...],
 * "csrf"}); csrf NULL gives null.  NULL when out of memory. */
cJSON *tt_sessionapi_me(const tt_users_user_t *user, const char *csrf);

/* Non-zero when `role` is one of user's workflow roles (wf_roles). */
int tt_sessionapi_has_wf_role(const tt_users_user_t *user, const char *role);

/* Binds the JSON object body[len] of a POST to the signed-in `user`
 * (docs/api.md, "Who acts"): member `field` ("operator", "by", "user") must
 * be absent, and is then added with the user's name, or be that name; with
 * `workflow`, "role" must be absent, "" or one of the user's workflow roles,
 * and for a unit-scoped user "unit" absent (added) or the user's unit.
 * TT_OK: *out is the body to hand on (NUL-terminated, owned by the caller,
 * free()).  TT_ERR_PARSE: not a strict JSON object (400); TT_ERR_DENIED: it
 * names someone else, another role or unit (403); the reason says which.
 * TT_ERR_NOMEM. */
tt_err_t tt_sessionapi_bind_body(const char *body, size_t len, const char *field, int workflow,
                                 const tt_users_user_t *user, char **out, char *reason,
                                 size_t rlen);

#endif
