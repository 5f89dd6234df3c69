/*
 * wfdef: workflow definitions, read from YAML (libyaml) and validated as a
 * whole when deployed, so that a definition that loads can always run.
 * The format is described in docs/workflows.md; a definition names its
 * variables, its calendar and its steps:
 *
 *   task      a person acts: a role or named users, optionally a different
 *             person from another step's (one signs, another checks), with
 *             a document checklist, inputs, a deadline (due), a minimum
 *             wait (not_before), reminders and escalation
 *   auto      a registered C hook runs
 *   choice    the first branch whose condition holds
 *   parallel  branches started together, meeting at an explicit join
 *   join      waits for all, any or N of the parallel's branches
 *   wait      until a date rule, or until an external message
 *   end       the instance ends with an outcome
 *
 * Validation checks every reference (targets, roles, calendar, hooks,
 * variables, steps named by different_from), that every step is reached
 * from the start and can reach an end, that every parallel branch reaches
 * its join, and that every condition parses and type checks.  Each error
 * is "file:line:col: reason" at the offending node.
 *
 * A loaded definition is immutable and may be shared by readers.
 */
#ifndef TT_WFDEF_H
#define TT_WFDEF_H

#include <stddef.h>

#include "calendar.h"
#include "err.h"
#include "wfexpr.h"

typedef enum {
    TT_WFSTEP_TASK = 1, TT_WFSTEP_AUTO, TT_WFSTEP_CHOICE, TT_WFSTEP_PARALLEL, TT_WFSTEP_JOIN,
    TT_WFSTEP_WAIT, TT_WFSTEP_END
} tt_wfstep_kind_t;

/* Names of definitions, steps, variables, actions, roles, documents,
 * hooks and outcomes: 1-64 of a-z 0-9 _ . - starting with a letter. */
#define TT_WFDEF_NAME_MAX 64

typedef struct {
    char *name;
    tt_wfv_type_t type;
} tt_wfdef_var_t;

/* A variable assignment; str holds a STR value, or a JSON value's text. */
typedef struct {
    int var;                   /* index into the definition's variables */
    tt_wfv_type_t type;
    long long i;
    char *str;
} tt_wfdef_set_t;

typedef struct {
    char *name;
    tt_wfexpr_t *when;         /* NULL: always required */
} tt_wfdef_doc_t;

typedef struct {
    char *name;
    int target;                /* step index */
    int check_documents;       /* 0: the checklist is not required (a rejection) */
    tt_wfdef_set_t *sets;
    size_t nsets;
} tt_wfdef_action_t;

typedef struct {
    tt_wfexpr_t *when;         /* NULL: else */
    int target;
} tt_wfdef_branch_t;

typedef struct {
    char *name;
    char *title;               /* "" when none */
    tt_wfstep_kind_t kind;
    unsigned line, col;
    tt_wfdef_set_t *sets;      /* applied on entering the step */
    size_t nsets;

    /* task */
    char *role;                /* NULL when users are named */
    char **users;
    size_t nusers;
    int different_from;        /* step index, -1 for none */
    int *inputs;               /* variable indexes the actor may set */
    size_t ninputs;
    tt_wfdef_doc_t *docs;
    size_t ndocs;
    tt_wfdef_action_t *actions;
    size_t nactions;
    int has_due, has_not_before, has_remind, has_escalate;
    tt_cal_rule_t due, not_before, remind, escalate_after;
    char *escalate_to;         /* role */

    /* auto */
    char *hook;
    int on_error;              /* step index, -1: a hook failure refuses the action */

    /* auto, join, wait */
    int next;

    /* choice */
    tt_wfdef_branch_t *branches;
    size_t nbranches;

    /* parallel */
    int *forks;                /* branch start steps */
    size_t nforks;
    int join;                  /* its join step */

    /* join */
    int need;                  /* branches needed: 1..M (all is M, any is 1) */
    int parallel;              /* the parallel step it joins */

    /* wait */
    int has_until;
    tt_cal_rule_t until;
    char *message;             /* NULL when waiting for a date */

    /* end */
    char *outcome;
} tt_wfdef_step_t;

typedef struct {
    char *name;
    char *title;
    char *calendar;
    int start;
    tt_wfdef_var_t *vars;
    size_t nvars;
    tt_wfdef_step_t *steps;
    size_t nsteps;
} tt_wfdef_t;

/* What a definition may refer to, supplied by the caller.  Each callback
 * returns non-zero when the thing exists. */
typedef struct {
    int (*role_exists)(void *ctx, const char *role);
    int (*calendar_exists)(void *ctx, const char *name);
    int (*hook_exists)(void *ctx, const char *name);
    void *ctx;
} tt_wfdef_env_t;

/* Longest error message written, with its NUL. */
#define TT_WFDEF_ERR_MAX 512

/* Loads and validates a definition from `len` bytes of YAML named `file`.
 * On TT_OK *out is owned by the caller (tt_wfdef_free).  Returns
 * TT_ERR_PARSE with "file:line:col: reason" in err for the first problem
 * found, or TT_ERR_NOMEM. */
tt_err_t tt_wfdef_load(const char *file, const char *text, size_t len, const tt_wfdef_env_t *env,
                       tt_wfdef_t **out, char *err, size_t errlen);

/* Frees; NULL is accepted. */
void tt_wfdef_free(tt_wfdef_t *def);

/* The index of step / variable `name`, or -1. */
int tt_wfdef_step(const tt_wfdef_t *def, const char *name);
int tt_wfdef_var(const tt_wfdef_t *def, const char *name);

/* "task", "auto", ... for a step kind. */
const char *tt_wfdef_kind_name(tt_wfstep_kind_t kind);

#endif
