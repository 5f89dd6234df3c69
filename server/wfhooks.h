/*
 * wfhooks: the registry of hooks that workflow definitions call from auto
 * steps (a handle passed around, never a global), and the hooks
 * tagtrail-server registers: the places where a definition calls into the
 * ledger.
 *
 *   plan.number    checks the plan lines in variable `lines` (JSON: a list
 *                  of {"item", "qty", "category"?}: a registered item, a
 *                  quantity > 0, a safety-expense category or none) and
 *                  gives each a plan serial number (计划序号)
 *                  "P<year>-<instance, 5 digits>-<line, 2 digits>"; sets
 *                  `line_count` when the definition declares it
 *   plan.approve   writes the numbered lines into the plan master table as
 *                  approved, for the requesting unit (the instance's
 *                  unit): receipts can then name them and inherit their
 *                  safety category; terminals get them with master data
 *   plan.reject    writes them as rejected: a plan rejected at a later
 *                  step can never back a receipt, and the counter says why
 *   equipment.read reads asset `asset` (string) from the equipment
 *                  register into `equipment_registered`, `equipment_active`
 *                  (bools), `equipment_model`, `equipment_unit` and
 *                  `equipment_state` (strings), each only when declared.
 *                  The register has no repair states yet (在修, 库存, 在用,
 *                  备用 come with the repair-shop issue): the state is
 *                  "registered", "inactive" or "unregistered" until then.
 *
 * Each runs inside the action's transaction on the service's handle.
 */
#ifndef TT_WFHOOKS_H
#define TT_WFHOOKS_H

#include <stddef.h>

#include "db.h"
#include "err.h"
#include "wfdef.h"

/* An instance (server/workflow.h). */
typedef struct tt_wf_inst tt_wf_inst_t;

typedef struct tt_wfhooks tt_wfhooks_t;

/* A hook reads and sets the instance's variables (tt_workflow_get,
 * tt_workflow_set) and may write to the store through its ctx, inside the
 * caller's transaction.  Returns TT_OK, or an error with a reason for
 * people: the step's on_error is taken, or without one the whole action is
 * refused. */
typedef tt_err_t (*tt_wfhook_fn)(void *ctx, const tt_wfdef_t *def, tt_wf_inst_t *inst,
                                 char *reason, size_t rlen);

/* A registry of hooks by name, owned by the caller (tt_wfhooks_free; NULL
 * accepted).  new returns NULL when out of memory; add returns TT_OK,
 * TT_ERR_EXISTS or TT_ERR_NOMEM (the name is copied); find returns 1 and
 * the hook (fn and ctx may be NULL), or 0. */
tt_wfhooks_t *tt_wfhooks_new(void);
void tt_wfhooks_free(tt_wfhooks_t *hooks);
tt_err_t tt_wfhooks_add(tt_wfhooks_t *hooks, const char *name, tt_wfhook_fn fn, void *ctx);
int tt_wfhooks_find(const tt_wfhooks_t *hooks, const char *name, tt_wfhook_fn *fn, void **ctx);

/* Registers the hooks above into `hooks`, working on `db` (a writable
 * handle that must outlive the registry).  Returns TT_OK, TT_ERR_EXISTS or
 * TT_ERR_NOMEM. */
tt_err_t tt_wfhooks_register(tt_wfhooks_t *hooks, tt_db_t *db);

#endif
