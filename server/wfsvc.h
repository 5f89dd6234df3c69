/*
 * wfsvc: the workflow service: what the HTTP API and the server's loop
 * call.  It puts the engine (server/workflow.h) over the store
 * (server/wfstore.h) with one transaction per operation, and holds what
 * definitions refer to: the calendars and roles of the workflow folder and
 * the hooks (server/wfhooks.h).
 *
 * The workflow folder (server.conf [workflow] dir) holds
 *   calendars/<name>.yaml   working-day calendars (server/calendar.h)
 *   roles.yaml              roles: {role: description, ...}
 * read once at open; definitions are deployed into the database.
 *
 * Versions: deploying a definition adds a version; an instance is pinned
 * to the version it started on and keeps running on it.  Loaded versions
 * are cached (they never change).
 *
 * Idempotence: every action names the number of the last event its sender
 * saw (`expect`).  If the log has moved on and the event after `expect` is
 * this very action by this very person, the action was applied before (a
 * terminal replaying after a lost answer): nothing happens and the result
 * says replayed.  Anything else that moved the log is a conflict.
 *
 * A service belongs to one thread; each thread opens its own over its own
 * writable handle.
 */
#ifndef TT_WFSVC_H
#define TT_WFSVC_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "wfstore.h"
#include "workflow.h"

typedef struct tt_wfsvc tt_wfsvc_t;

/* Longest message the service writes, with its NUL. */
#define TT_WFSVC_ERR_MAX 512

/* Opens the service over writable handle `db` (which must outlive it),
 * loading the calendars and roles of folder `dir` (each calendar's
 * timezone must be `timezone`, the site's) and registering the built-in
 * hooks.  On TT_OK *out is owned by the caller (tt_wfsvc_close; NULL
 * accepted).  Returns TT_ERR_CONFIG or TT_ERR_IO with "file:line:col:
 * reason" or "path: reason" in err, TT_ERR_DB or TT_ERR_NOMEM. */
tt_err_t tt_wfsvc_open(tt_db_t *db, const char *dir, const char *timezone, tt_wfsvc_t **out,
                       char *err, size_t errlen);
void tt_wfsvc_close(tt_wfsvc_t *svc);

/* Reads the calendars and roles of folder `dir` as tt_wfsvc_open does and
 * forgets them: a configuration check before anything is opened.  Returns
 * as tt_wfsvc_open. */
tt_err_t tt_wfsvc_check(const char *dir, const char *timezone, char *err, size_t errlen);

/* The hook registry, to add hooks before deploying what uses them. */
tt_wfhooks_t *tt_wfsvc_hooks(tt_wfsvc_t *svc);

/* The store, for listings. */
tt_wfstore_t *tt_wfsvc_store(tt_wfsvc_t *svc);

/* Validates `len` bytes of YAML named `file` and stores it as the next
 * version of its definition (the same text as the latest version deploys
 * nothing and gives that version).  name[TT_WFDEF_NAME_MAX + 1] receives
 * its name.  Returns TT_OK, TT_ERR_PARSE with "file:line:col: reason" in
 * err, TT_ERR_FULL, TT_ERR_DB or TT_ERR_NOMEM. */
tt_err_t tt_wfsvc_deploy(tt_wfsvc_t *svc, const char *file, const char *text, size_t len,
                         const char *by, int64_t now_ms, char *name, int *version, int *created,
                         char *err, size_t errlen);

typedef struct {
    int64_t instance;
    uint64_t seq;        /* the last event now */
    int version;
    int replayed;        /* 1: this action had been applied already */
    char outcome[TT_WFDEF_NAME_MAX + 1];   /* "" while running */
} tt_wfsvc_result_t;

/* Starts an instance of `name` at `version` (0: the latest).  Returns
 * TT_OK, TT_ERR_NOTFOUND (no such definition), the engine's errors with a
 * reason, TT_ERR_FULL, TT_ERR_DB or TT_ERR_NOMEM. */
tt_err_t tt_wfsvc_start(tt_wfsvc_t *svc, const char *name, int version,
                        const tt_wf_actor_t *actor, const tt_wf_input_t *in, size_t nin,
                        int64_t now_ms, tt_wfsvc_result_t *res, char *reason, size_t rlen);

/* Acts on task `token` of instance `id` (action "claim" claims it),
 * expecting event `expect` to be the last one.  Returns TT_OK (res says
 * whether it was a replay), TT_ERR_CONFLICT when the log has moved on
 * otherwise, TT_ERR_NOTFOUND, the engine's errors with a reason,
 * TT_ERR_FULL, TT_ERR_DB or TT_ERR_NOMEM. */
tt_err_t tt_wfsvc_act(tt_wfsvc_t *svc, int64_t id, int64_t token, const char *action,
                      uint64_t expect, const tt_wf_actor_t *actor, const tt_wf_input_t *in,
                      size_t nin, const char *const *docs, size_t ndocs, int64_t now_ms,
                      tt_wfsvc_result_t *res, char *reason, size_t rlen);

/* Delivers message `name` to instance `id`.  Returns as tt_wfsvc_act
 * (without replay detection: a message is delivered once; a second finds
 * nothing waiting, TT_ERR_NOTFOUND). */
tt_err_t tt_wfsvc_message(tt_wfsvc_t *svc, int64_t id, const char *name,
                          const tt_wf_actor_t *actor, const tt_wf_input_t *in, size_t nin,
                          int64_t now_ms, tt_wfsvc_result_t *res, char *reason, size_t rlen);

/* Fires the timers due by now_ms in up to 64 instances, one transaction
 * each; *fired (may be NULL) counts the instances.  An instance that fails
 * is left as it was and named in reason; the others go on.  Returns TT_OK
 * or the last failure. */
tt_err_t tt_wfsvc_tick(tt_wfsvc_t *svc, int64_t now_ms, size_t *fired, char *reason,
                       size_t rlen);

/* The earliest pending timer of all instances (0: none).  Returns TT_OK
 * or TT_ERR_DB. */
tt_err_t tt_wfsvc_next_timer(tt_wfsvc_t *svc, int64_t *ms);

typedef struct {
    int64_t instance, token;
    const char *def, *step, *title, *unit, *started_by, *claimed_by;
    int version, escalated;
    int64_t activated_ms, not_before_ms, due_ms;   /* 0: none */
} tt_wfsvc_task_t;

typedef int (*tt_wfsvc_task_fn)(void *ctx, const tt_wfsvc_task_t *t);

/* The open tasks `actor` may act on, oldest first.  Returns TT_OK,
 * TT_ERR_DB or TT_ERR_NOMEM. */
tt_err_t tt_wfsvc_tasks(tt_wfsvc_t *svc, const tt_wf_actor_t *actor, tt_wfsvc_task_fn fn,
                        void *ctx);

/* Loads instance `id` (owned by the caller, tt_workflow_inst_free) with its
 * definition (owned by the service).  Returns TT_OK, TT_ERR_NOTFOUND,
 * TT_ERR_DB or TT_ERR_NOMEM. */
tt_err_t tt_wfsvc_instance(tt_wfsvc_t *svc, int64_t id, tt_wf_inst_t **inst,
                           const tt_wfdef_t **def);

#endif
