/*
 * workflow: the engine that runs instances of workflow definitions
 * (server/wfdef.h).  Pure logic: no SQL, no clock of its own, no I/O.  The
 * caller loads an instance (server/wfstore.h), calls one operation with the
 * time `now`, and saves what changed (dirty tokens, the instance row and
 * the new events) in the same transaction.  An operation that fails leaves
 * the instance in an unspecified state: the caller discards it and rolls
 * back, so an action applies whole or not at all.
 *
 * An instance is a set of tokens, one per visit of a step.  A task, a wait
 * and a join that still waits for branches are active tokens; everything
 * else is passed through at once (auto steps call their hook, choices
 * evaluate their conditions, parallels start their branches, ends end the
 * instance and cancel whatever is still active).  Every change is an event
 * numbered 1, 2, ... per instance: the instance's append-only log.
 *
 * Deadlines: a task's `due` is the end of the day its rule gives from the
 * day it was activated (site time zone, tt_cal rules); `not_before` is the
 * start of its day.  An overdue task is reminded at its deadline, then
 * every `remind` interval, and escalated once after `escalate.after`: the
 * escalation role may then act too.  tt_workflow_next_timer says when tick has
 * something to do.
 */
#ifndef TT_WORKFLOW_H
#define TT_WORKFLOW_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "err.h"
#include "wfdef.h"
#include "wfexpr.h"
#include "wfhooks.h"

/* User ids, roles, units and origins: bytes. */
#define TT_WORKFLOW_ID_MAX 64
/* Longest reason an operation writes. */
#define TT_WORKFLOW_REASON_MAX 256

typedef enum {
    TT_WORKFLOW_ACTIVE = 1, TT_WORKFLOW_DONE, TT_WORKFLOW_CANCELLED
} tt_wf_token_state_t;

typedef struct {
    int64_t id;                 /* 1, 2, ... within the instance */
    int step;                   /* index in the pinned definition */
    tt_wf_token_state_t state;
    int64_t fork;               /* the parallel token whose branch this is; 0: none */
    int64_t activated_ms, claimed_ms, done_ms;   /* 0: not yet */
    int64_t not_before_ms, due_ms;               /* 0: none */
    int64_t remind_ms, escalate_ms, wait_ms;     /* pending timers; 0: none */
    int reminders, escalated, arrived;           /* arrived: a join's branches */
    char claimed_by[TT_WORKFLOW_ID_MAX + 1];
    char done_by[TT_WORKFLOW_ID_MAX + 1];
    char done_role[TT_WORKFLOW_ID_MAX + 1];
    char done_unit[TT_WORKFLOW_ID_MAX + 1];
    char action[TT_WFDEF_NAME_MAX + 1];
    int dirty;                  /* changed since loaded: the store writes it */
} tt_wf_token_t;

/* A variable's value; type TT_WFV_NONE while unset.  s is owned. */
typedef struct {
    tt_wfv_type_t type;
    int64_t i;
    char *s;
} tt_wf_value_t;

/* One record of the log.  vars, docs, note are owned (NULL: none). */
typedef struct {
    uint64_t seq;
    int64_t at_ms;
    char kind[16];      /* start act claim auto choice fork join wait timer message
                           remind escalate end */
    int64_t token;
    char user[TT_WORKFLOW_ID_MAX + 1], role[TT_WORKFLOW_ID_MAX + 1], unit[TT_WORKFLOW_ID_MAX + 1];
    char origin[16];    /* web, terminal, system */
    char action[TT_WFDEF_NAME_MAX + 1];
    char from[TT_WFDEF_NAME_MAX + 1], to[TT_WFDEF_NAME_MAX + 1];
    char *vars;         /* JSON object: the variables this event changed */
    char *docs;         /* JSON array: documents provided with it */
    char *note;         /* a reason, an outcome, a hook's message */
} tt_wf_event_t;

struct tt_wf_inst {
    int64_t id;                          /* 0 until the store creates it */
    char def[TT_WFDEF_NAME_MAX + 1];
    int version;
    char started_by[TT_WORKFLOW_ID_MAX + 1], unit[TT_WORKFLOW_ID_MAX + 1];
    int64_t started_ms, ended_ms;        /* ended_ms 0 while running */
    char outcome[TT_WFDEF_NAME_MAX + 1]; /* "" while running */
    uint64_t seq;                        /* number of the last event */
    tt_wf_value_t *vals;                 /* one per definition variable */
    size_t nvals;
    char **docs;                         /* documents provided so far */
    size_t ndocs;
    tt_wf_token_t *tokens;
    size_t ntokens, cap;
    tt_wf_event_t *events;               /* new since loaded, seq order */
    size_t nevents;
    char *pending;                       /* internal: variables changed, not yet logged */
};

/* Who acts.  origin is "web" or "terminal" ("system" for timers). */
typedef struct {
    const char *user, *role, *unit, *origin;
} tt_wf_actor_t;

/* A variable given by a person or a message; JSON values as text. */
typedef struct {
    const char *name;
    tt_wfv_t value;
} tt_wf_input_t;

/* --- instances -------------------------------------------------------------------------- */

/* Everything an operation needs besides the instance. */
typedef struct {
    const tt_wfdef_t *def;
    const tt_cal_t *cal;
    const tt_wfhooks_t *hooks;
    int64_t now_ms;
} tt_wf_env_t;

/* A new, empty instance of `def` version `version`; NULL when out of
 * memory.  Owned by the caller (tt_workflow_inst_free; NULL accepted). */
tt_wf_inst_t *tt_workflow_inst_new(const tt_wfdef_t *def, int version);
void tt_workflow_inst_free(tt_wf_inst_t *inst);

/* Adds a token as loaded from the store (not dirty).  TT_OK or TT_ERR_NOMEM. */
tt_err_t tt_workflow_inst_add_token(tt_wf_inst_t *inst, const tt_wf_token_t *tok);

/* Adds a provided document (a copy).  TT_OK or TT_ERR_NOMEM. */
tt_err_t tt_workflow_inst_add_doc(tt_wf_inst_t *inst, const char *name);

/* Frees the new events (after the store saved them) and clears dirty. */
void tt_workflow_inst_saved(tt_wf_inst_t *inst);

/* Reads variable `name` into *out (strings borrowed from the instance).
 * Returns TT_OK, or TT_ERR_NOTFOUND when undeclared or unset. */
tt_err_t tt_workflow_get(const tt_wfdef_t *def, const tt_wf_inst_t *inst, const char *name,
                         tt_wfv_t *out);

/* Sets variable `name`, recording the change for the next event (pass
 * log = 0 when loading).  Returns TT_OK, TT_ERR_NOTFOUND (undeclared),
 * TT_ERR_INVAL (wrong type) or TT_ERR_NOMEM. */
tt_err_t tt_workflow_set(const tt_wfdef_t *def, tt_wf_inst_t *inst, const char *name,
                         const tt_wfv_t *v, int log);

/* The token with id `id`, or NULL. */
tt_wf_token_t *tt_workflow_token(tt_wf_inst_t *inst, int64_t id);

/* Starts: sets the inputs (any declared variable), logs "start" and runs
 * from the start step to the first tasks or waits.  Returns TT_OK, or with
 * a reason: TT_ERR_INVAL (bad input, a condition on an unset variable, a
 * loop of automatic steps), TT_ERR_RANGE (a date beyond the calendar), a
 * hook's error, TT_ERR_NOMEM. */
tt_err_t tt_workflow_start(const tt_wf_env_t *env, tt_wf_inst_t *inst, const tt_wf_actor_t *actor,
                           const tt_wf_input_t *in, size_t nin, char *reason, size_t rlen);

/* Completes task token `token` with `action`, setting the inputs (only
 * those the task lists) and recording the documents (only those on its
 * checklist).  Returns TT_OK, or with a reason: TT_ERR_NOTFOUND (no such
 * task), TT_ERR_CONFLICT (already completed, claimed by someone else, the
 * instance has ended), TT_ERR_DENIED (not this person's role or name, or
 * the same person as the step it must differ from), TT_ERR_BUSY (before
 * not_before), TT_ERR_INVAL (unknown action, input or document, documents
 * missing), and the errors of tt_workflow_start. */
tt_err_t tt_workflow_act(const tt_wf_env_t *env, tt_wf_inst_t *inst, int64_t token,
                         const char *action, const tt_wf_actor_t *actor, const tt_wf_input_t *in,
                         size_t nin, const char *const *docs, size_t ndocs, char *reason,
                         size_t rlen);

/* Takes task `token` for the actor, so waiting and working time can be
 * told apart and nobody else acts on it.  Claiming one's own task again is
 * TT_OK.  Errors as tt_workflow_act. */
tt_err_t tt_workflow_claim(const tt_wf_env_t *env, tt_wf_inst_t *inst, int64_t token,
                           const tt_wf_actor_t *actor, char *reason, size_t rlen);

/* 1 when the actor may act on the task token: its role (or its escalation
 * role once escalated), or one of its named users. */
int tt_workflow_may_act(const tt_wfdef_t *def, const tt_wf_token_t *tok,
                        const tt_wf_actor_t *actor);

/* Delivers external message `name` to the wait for it, with its inputs
 * (any declared variable).  Returns TT_OK, TT_ERR_NOTFOUND when nothing
 * waits for it, TT_ERR_CONFLICT when the instance has ended, or the errors
 * of tt_workflow_start. */
tt_err_t tt_workflow_message(const tt_wf_env_t *env, tt_wf_inst_t *inst, const char *name,
                             const tt_wf_actor_t *actor, const tt_wf_input_t *in, size_t nin,
                             char *reason, size_t rlen);

/* Fires every timer due by env->now_ms: reminders, escalations, waits
 * that end.  Returns TT_OK or the errors of tt_workflow_start. */
tt_err_t tt_workflow_tick(const tt_wf_env_t *env, tt_wf_inst_t *inst, char *reason, size_t rlen);

/* The earliest pending timer of a token (0: none) and of an instance. */
int64_t tt_workflow_token_timer(const tt_wf_token_t *tok);
int64_t tt_workflow_next_timer(const tt_wf_inst_t *inst);

#endif
