/*
 * repair: the equipment repair lifecycle (设备维修) and the equipment
 * archive (设备档案), a store module of tagtrail-server: all of its SQL is
 * in repair.c (schema: tt_repair_schema, one migration of db.c; rules and
 * decisions: docs/repair.md).
 *
 * An asset of the equipment register moves through its states only by
 * documents, each kept for ever (repair_doc is append-only), by the one
 * rule table that terminals run too (shared/assets.h, tt_assets_next):
 *
 *   intake (交修, naming the holding unit)   in_use|standby -> received
 *   appraisal (鉴定, major|medium|minor)     registered|received|in_stock|accepted
 *                                           -> in_repair; in_use|standby only
 *                                           naming its unit (an implied intake,
 *                                           recorded as an intake document too)
 *   details (鉴定明细, office only)          an open repair: its costs, no move
 *   selfcheck (自检, pass|fail)              in_repair -> in_stock | in_repair
 *   acceptance (验收, pass|fail)             in_stock -> accepted | in_repair
 *   issue (出库, in_use|standby, unit)       accepted -> in_use|standby at unit
 *
 * An asset no document moved is in_use at its register unit, or registered
 * (tt_assets_initial).  A step out of order is refused with the reason in
 * English and Chinese ("issue before acceptance", "in use at A3: ...").
 * equipment_state is derived and kept in step in the same transaction; its
 * `doc` (the id of the document that last set it) is the state's version
 * that server/assetfeed.c pages terminals by.
 *
 * A repair is the run of documents from an appraisal to the issue after
 * it; its id is the appraisal's document id.  Its cost is labour + machine
 * + auxiliary (the latest appraisal or details document of the repair that
 * carries costs) + consumables: the values the ledger's FIFO allocations
 * gave the issue movements of its self-check consumables (ledger document
 * "WX.<document id>", from the warehouse to the asset's using unit).  Its
 * quota is the labour dept's main-material quota (repair_quota) of the
 * asset's model and the appraisal's class, as it stood at the appraisal
 * (or at a later details document).
 *
 * Money is integer fen, quantities thousandths.  A handle is used by one
 * thread at a time, inside the caller's transaction (tt_db_begin /
 * tt_db_commit): each document is all or nothing in a savepoint, so a
 * refused one leaves the caller's transaction as it was.  The readers are
 * server/repairview.h.
 */
#ifndef TT_REPAIR_H
#define TT_REPAIR_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "event.h"
#include "ledger.h"
#include "money.h"

/* The migration that creates the module's tables (db.c's migrations[]). */
extern const char tt_repair_schema[];

typedef struct tt_repair tt_repair_t;

#define TT_REPAIR_CONSUMABLES_MAX 100   /* consumable lines of one self-check */
#define TT_REPAIR_TEXT_MAX 256          /* contents and people, bytes with NUL */
#define TT_REPAIR_STATE_MAX 16          /* a state or result name, bytes with NUL */

typedef enum {
    TT_REPAIR_INTAKE = 1,    /* 交修: a unit hands an asset to the shop */
    TT_REPAIR_APPRAISAL,     /* 鉴定单: result major | medium | minor */
    TT_REPAIR_DETAILS,       /* 鉴定明细: the appraisal's costs, added by the office */
    TT_REPAIR_SELFCHECK,     /* 自检单: pass | fail */
    TT_REPAIR_ACCEPTANCE,    /* 验收单: pass | fail */
    TT_REPAIR_ISSUE,         /* 出库单: in_use | standby, with unit */
} tt_repair_kind_t;

/* "intake", "appraisal", "details", "selfcheck", "acceptance", "issue" <->
 * kind; 0 / NULL when unknown. */
int tt_repair_kind_parse(const char *name);
const char *tt_repair_kind_name(tt_repair_kind_t kind);

/* One consumable of a passed self-check: issued FIFO from `warehouse`. */
typedef struct {
    char warehouse[TT_EVENT_ID_MAX + 1];
    char item[TT_EVENT_CODE_MAX + 1];
    tt_qty_t qty;                                /* > 0 */
} tt_repair_consumable_t;

/* A document.  Which fields each kind takes (the others must be empty or
 * zero): result (not intake and details), contents, people (appraisers,
 * repair team, acceptors; the operator when empty), unit (intake: the
 * holding unit, required; appraisal: the unit handing it in, optional;
 * issue: the receiving unit, required), has_costs with the cost fields
 * (appraisal optional, details required), consumables (selfcheck pass). */
typedef struct {
    tt_repair_kind_t kind;
    char asset[TT_EVENT_CODE_MAX + 1];           /* asset number, GIAI or barcode */
    char result[TT_REPAIR_STATE_MAX];
    char contents[TT_REPAIR_TEXT_MAX];
    char people[TT_REPAIR_TEXT_MAX];
    char unit[TT_EVENT_ID_MAX + 1];
    char day[TT_LEDGER_DAY_LEN + 1];             /* business date */
    char operator_id[TT_EVENT_ID_MAX + 1];
    int has_costs;
    int64_t labour_minutes;                      /* >= 0 */
    tt_fen_t labour_fen, machine_fen, auxiliary_fen, standard_fen;   /* >= 0 */
    const tt_repair_consumable_t *consumables;   /* borrowed */
    size_t nconsumables;                         /* 0 .. TT_REPAIR_CONSUMABLES_MAX */
} tt_repair_doc_t;

/* What posting a document did. */
typedef struct {
    int64_t id;                                  /* the document's id */
    int64_t repair;                              /* its repair (0: none, an intake) */
    char asset[TT_EVENT_CODE_MAX + 1];           /* the asset number it resolved to */
    char state[TT_REPAIR_STATE_MAX];             /* the asset's state after it */
    char ledger_doc[TT_LEDGER_DOC_MAX + 1];      /* the consumables' issue, "" when none */
    tt_fen_t consumables_fen;                    /* their FIFO value */
} tt_repair_result_t;

/* Prepares the statements on `db` (borrowed, writable) beside `ledger`
 * (borrowed, on the same db: consumables are posted through it).  On TT_OK
 * *out is owned by the caller (tt_repair_close).  Returns TT_ERR_NOMEM or
 * TT_ERR_DB. */
tt_err_t tt_repair_open(tt_db_t *db, tt_ledger_t *ledger, tt_repair_t **out);

/* Closes; NULL is accepted.  Close before the tt_db_t and the ledger. */
void tt_repair_close(tt_repair_t *r);

/* Posts an office document at server time now_ms (its moment).  On
 * refusal nothing is written and `reason` (caller-owned) says why.  Returns
 * TT_OK (*res filled, may be NULL), TT_ERR_INVAL (a bad or missing field, a
 * retired asset, an unknown unit, the step out of order: reason names the
 * state), TT_ERR_NOTFOUND (no asset has that number, GIAI or barcode),
 * TT_ERR_CONFLICT (the consumables' ledger number is taken),
 * TT_ERR_STOCK, TT_ERR_CLOSED (the consumables: as tt_ledger_post),
 * TT_ERR_RANGE (overflow), TT_ERR_NOMEM, TT_ERR_FULL or TT_ERR_DB (the store
 * failed: roll the transaction back). */
tt_err_t tt_repair_post(tt_repair_t *r, const tt_repair_doc_t *d, int64_t now_ms,
                        tt_repair_result_t *res, char *reason, size_t rlen);

/* Applies a valid terminal equipment event (ingest, after
 * tt_event_validate) dated `day`, origin 'terminal' with its terminal and
 * seq; people = the operator; its unit is the issue's receiving unit or the
 * appraisal's sending unit.  Its moment is ev->ts_ms when that falls on
 * `day` (ingest trusted the terminal's clock), else now_ms.  Terminal steps
 * carry no costs and no consumables: the office adds them (a details
 * document; a self-check with consumables is an office document).  Returns
 * as tt_repair_post; any other event type is TT_ERR_INVAL.  A refused event
 * is the caller's to journal as rejected with `reason`. */
tt_err_t tt_repair_apply_event(tt_repair_t *r, const char *terminal, const tt_event_t *ev,
                               const char *day, int64_t now_ms, char *reason, size_t rlen);

/* Sets (adds a new version of) the labour dept's main-material quota of
 * `model` (text, 1..255 bytes, as the register's) for class `cls`
 * (major|medium|minor) at quota_fen (0 .. TT_LEDGER_VALUE_MAX), by `by`
 * (an id).  *id (may be NULL) gets the version's id.  Returns TT_OK,
 * TT_ERR_INVAL (bad field, reason says which), TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_repair_set_quota(tt_repair_t *r, const char *model, const char *cls,
                             tt_fen_t quota_fen, const char *by, int64_t now_ms, int64_t *id,
                             char *reason, size_t rlen);

#endif
