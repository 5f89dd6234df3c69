/*
 * wfstore: every SQL statement of the workflow engine, over the server's
 * database handle (server/db.h), so the engine (server/workflow.h) stays
 * free of SQL and the store can later move to another database with db.c.
 *
 * Tables (the schema is tt_wfstore_schema, one migration of db.c):
 *   wf_definition  every deployed version's YAML text, never changed
 *   wf_instance    one row per instance, pinned to (definition, version)
 *   wf_var, wf_doc its variables and the documents provided so far
 *   wf_token       one row per visit of a step: deadlines, timers, who
 *   wf_event       the append-only log, (instance, seq) unique: two
 *                  writers that both expected seq N cannot both add N + 1
 *
 * Functions that write need a transaction (tt_db_begin) around them; the
 * caller decides where an action starts and ends.
 */
#ifndef TT_WFSTORE_H
#define TT_WFSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "workflow.h"

/* The workflow tables, applied as one migration by tt_db_open. */
extern const char tt_wfstore_schema[];

typedef struct tt_wfstore tt_wfstore_t;

/* Prepares the store's statements on the writable handle `db`, which must
 * outlive the store.  On TT_OK *out is owned by the caller
 * (tt_wfstore_close; NULL accepted).  Returns TT_ERR_DB or TT_ERR_NOMEM. */
tt_err_t tt_wfstore_open(tt_db_t *db, tt_wfstore_t **out);
void tt_wfstore_close(tt_wfstore_t *s);

/* Stores `text` as the next version of definition `name` (1 for the first)
 * into *version, unless it is byte for byte the latest version: then
 * *version is that one and *created 0.  Returns TT_OK, TT_ERR_FULL or
 * TT_ERR_DB. */
tt_err_t tt_wfstore_def_put(tt_wfstore_t *s, const char *name, const char *file,
                            const char *text, const char *by, int64_t now_ms, int *version,
                            int *created);

/* Reads version `version` (0: the latest) of `name`: its text (malloc'd,
 * the caller frees), file name (file[256]) and version.  Returns TT_OK,
 * TT_ERR_NOTFOUND, TT_ERR_NOMEM or TT_ERR_DB. */
tt_err_t tt_wfstore_def_get(tt_wfstore_t *s, const char *name, int version, char **text,
                            char *file, int *out_version);

typedef struct {
    const char *name, *file, *by;
    int version;
    int64_t deployed_ms;
    int64_t running, ended;     /* instances of this version */
} tt_wfstore_def_row_t;

typedef int (*tt_wfstore_def_fn)(void *ctx, const tt_wfstore_def_row_t *row);

/* Every version of every definition, by name then version.  fn returning
 * non-zero stops.  Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_wfstore_defs_each(tt_wfstore_t *s, tt_wfstore_def_fn fn, void *ctx);

/* Reads which definition and version instance `id` runs.  Returns TT_OK,
 * TT_ERR_NOTFOUND or TT_ERR_DB. */
tt_err_t tt_wfstore_inst_head(tt_wfstore_t *s, int64_t id, char *def, size_t deflen,
                              int *version);

/* Loads instance `id` of `def` (its pinned version) into a new instance
 * owned by the caller.  Returns TT_OK, TT_ERR_NOTFOUND, TT_ERR_NOMEM or
 * TT_ERR_DB (also for a stored step or variable the definition lacks). */
tt_err_t tt_wfstore_inst_load(tt_wfstore_t *s, const tt_wfdef_t *def, int64_t id,
                              tt_wf_inst_t **out);

/* Saves an instance: creates its row when inst->id is 0 (setting it),
 * else updates it only if its stored seq is the one it was loaded with,
 * then writes the dirty tokens, the variables, the documents and appends
 * the new events, and marks the instance saved.  Returns TT_OK,
 * TT_ERR_CONFLICT (someone else saved first), TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_wfstore_inst_save(tt_wfstore_t *s, const tt_wfdef_t *def, tt_wf_inst_t *inst);

/* Reads event `seq` of instance `id` into *out (vars, docs, note
 * malloc'd: free them).  Returns TT_OK, TT_ERR_NOTFOUND or TT_ERR_DB. */
tt_err_t tt_wfstore_event_get(tt_wfstore_t *s, int64_t id, uint64_t seq, tt_wf_event_t *out);

typedef int (*tt_wfstore_event_fn)(void *ctx, const tt_wf_event_t *e);

/* The log of instance `id` in seq order.  Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_wfstore_events_each(tt_wfstore_t *s, int64_t id, tt_wfstore_event_fn fn, void *ctx);

typedef struct {
    int64_t instance, token;
    const char *def, *step, *unit, *started_by, *claimed_by;
    int version, escalated;
    int64_t activated_ms, not_before_ms, due_ms;   /* 0: none */
} tt_wfstore_task_row_t;

typedef int (*tt_wfstore_task_fn)(void *ctx, const tt_wfstore_task_row_t *row);

/* Every active task token of every running instance, oldest first.
 * Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_wfstore_tasks_each(tt_wfstore_t *s, tt_wfstore_task_fn fn, void *ctx);

/* The earliest pending timer of all instances into *ms (0: none), and the
 * ids of up to `max` instances with a timer at or before `now_ms` into
 * ids[], their number into *n.  Return TT_OK or TT_ERR_DB. */
tt_err_t tt_wfstore_next_timer(tt_wfstore_t *s, int64_t *ms);
tt_err_t tt_wfstore_due(tt_wfstore_t *s, int64_t now_ms, int64_t *ids, size_t max, size_t *n);

/* One finished or still open visit of a step, for metrics. */
typedef struct {
    int64_t instance;
    const char *step, *kind, *state, *done_by, *done_unit, *action;
    int version;
    int64_t activated_ms, claimed_ms, done_ms, due_ms;   /* 0: none */
} tt_wfstore_visit_t;

typedef int (*tt_wfstore_visit_fn)(void *ctx, const tt_wfstore_visit_t *v);

/* The visits of steps of definition `def` (all versions) activated in
 * [from_ms, to_ms), by instance then token.  Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_wfstore_visits_each(tt_wfstore_t *s, const char *def, int64_t from_ms,
                                int64_t to_ms, tt_wfstore_visit_fn fn, void *ctx);

typedef struct {
    const char *unit, *outcome;
    int64_t started_ms, ended_ms;   /* ended_ms 0: running */
} tt_wfstore_inst_row_t;

typedef int (*tt_wfstore_inst_fn)(void *ctx, const tt_wfstore_inst_row_t *r);

/* Instances of `def` started in [from_ms, to_ms).  Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_wfstore_insts_each(tt_wfstore_t *s, const char *def, int64_t from_ms, int64_t to_ms,
                               tt_wfstore_inst_fn fn, void *ctx);

#endif
