/*
 * wfhooks: the hooks tagtrail-server registers for workflow definitions
 * (auto steps), the places where a definition calls into the ledger.
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

#include "db.h"
#include "err.h"
#include "workflow.h"

/* Registers the hooks above into `hooks`, working on `db` (a writable
 * handle that must outlive the registry).  Returns TT_OK, TT_ERR_EXISTS or
 * TT_ERR_NOMEM. */
tt_err_t tt_wfhooks_register(tt_wf_hooks_t *hooks, tt_db_t *db);

#endif
