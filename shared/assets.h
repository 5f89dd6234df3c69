/*
 * assets: the repair-lifecycle states of equipment (设备状态), the one rule
 * table that moves an asset between them, and the downlink that brings the
 * server's states to terminals (docs/repair.md; docs/protocol.md, "Asset
 * states").
 *
 * The server (server/repair.h) enforces the rules on every document; a
 * terminal runs the same table on its offline copy to show the state an
 * asset will be in after its own steps and to warn before a step the
 * server will likely refuse.  Both use these functions, so the two can
 * never disagree about what a step does.
 *
 * States and what moves them (the unit is the using unit, or, at the
 * shop, the unit the asset came from):
 *   registered (在册)  in the register, held by no unit
 *   in_use (在用), standby (备用)  at a unit
 *   received (待修)    handed in to the repair shop (intake), not appraised
 *   in_repair (在修)   appraised: being repaired
 *   in_stock (库存)    self-check passed: waiting for acceptance
 *   accepted (已验收)  accepted by the electromechanical dept
 *   intake(unit)            in_use|standby at that unit  -> received
 *   appraisal(class, unit?) registered|received|in_stock|accepted -> in_repair;
 *                           in_use|standby only naming its unit as the sender
 *                           (the intake is then implied)
 *   selfcheck pass|fail     in_repair -> in_stock | in_repair
 *   acceptance pass|fail    in_stock -> accepted | in_repair
 *   issue in_use|standby    accepted -> in_use|standby at the named unit
 * An asset with no document is in_use at its register unit, or registered.
 *
 * Request (terminal -> server, tt/v1/t/<terminal>/assets-req, QoS 1):
 *   {"v":1,"since":0}
 * Reply (server -> terminal, tt/v1/t/<terminal>/assets, QoS 1):
 *   {"v":1,"since":0,"to":42,"applied":17,"last":true,
 *    "assets":[{"asset":"P-0042","state":"in_repair","unit":"A3",
 *               "steps":[{"step":"appraisal","result":"major","unit":"A3",
 *                         "at":1764099600123,"operator":"li4"}]}]}
 * `since` and `to` are the server's state versions (the id of the newest
 * document of a row); `applied` is the asking terminal's own watermark when
 * the rows were read: its events through that seq are in them.  Steps are
 * newest first, at most TT_ASSETS_STEPS_MAX.  Decoders face the network
 * (shared/wire.h): exact members, every value checked.
 */
#ifndef TT_ASSETS_H
#define TT_ASSETS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "event.h"

#define TT_ASSETS_LEAF_REQ "assets-req"
#define TT_ASSETS_LEAF "assets"
#define TT_ASSETS_STEPS_MAX 3       /* last steps of a row */
#define TT_ASSETS_PAGE_ROWS 500     /* rows in one reply */
#define TT_ASSETS_RESULT_MAX 16     /* bytes of a result word, with NUL */

typedef enum {
    TT_ASSETS_REGISTERED = 1,
    TT_ASSETS_IN_USE,
    TT_ASSETS_STANDBY,
    TT_ASSETS_RECEIVED,
    TT_ASSETS_IN_REPAIR,
    TT_ASSETS_IN_STOCK,
    TT_ASSETS_ACCEPTED,
} tt_assets_state_t;
#define TT_ASSETS_STATE_LAST TT_ASSETS_ACCEPTED

/* The steps that change a state; wire names "intake", "appraisal",
 * "selfcheck", "acceptance", "issue" (terminals send the last four). */
typedef enum {
    TT_ASSETS_INTAKE = 1,
    TT_ASSETS_APPRAISAL,
    TT_ASSETS_SELFCHECK,
    TT_ASSETS_ACCEPTANCE,
    TT_ASSETS_ISSUE,
} tt_assets_step_t;
#define TT_ASSETS_STEP_LAST TT_ASSETS_ISSUE

/* Why a step does not fit the asset's state (tt_assets_next). */
typedef enum {
    TT_ASSETS_OK = 0,
    TT_ASSETS_BAD_RESULT,        /* not a result of the step */
    TT_ASSETS_NEED_UNIT,         /* intake and issue name a unit */
    TT_ASSETS_NOT_HELD,          /* intake: no unit holds it */
    TT_ASSETS_OTHER_UNIT,        /* intake: another unit holds it */
    TT_ASSETS_AT_SHOP,           /* intake: at the repair shop already */
    TT_ASSETS_NOT_RETURNED,      /* appraisal: a unit holds it, not handed in */
    TT_ASSETS_HANDED_IN_BY,      /* appraisal: handed in by another unit than named */
    TT_ASSETS_IN_REPAIR_ALREADY, /* appraisal of an asset in repair */
    TT_ASSETS_NOT_IN_REPAIR,     /* self-check */
    TT_ASSETS_NOT_CHECKED,       /* acceptance before a passed self-check */
    TT_ASSETS_NOT_ACCEPTED,      /* issue before acceptance */
} tt_assets_refusal_t;

/* One step as terminals see it. */
typedef struct {
    tt_assets_step_t step;
    char result[TT_ASSETS_RESULT_MAX];       /* "" for an intake */
    /* The asset's unit with the step: the using unit (an issue: the
     * receiving one), "" none. */
    char unit[TT_EVENT_ID_MAX + 1];
    int64_t at_ms;                           /* when (Unix ms) */
    char operator_id[TT_EVENT_ID_MAX + 1];
    int pending;   /* terminal only, never on the wire: this terminal's own
                    * step that the server's rows do not include yet */
} tt_assets_entry_t;

/* An asset's state and its last steps, newest first. */
typedef struct {
    char asset[TT_EVENT_CODE_MAX + 1];
    tt_assets_state_t state;
    char unit[TT_EVENT_ID_MAX + 1];
    size_t nsteps;
    tt_assets_entry_t steps[TT_ASSETS_STEPS_MAX];
} tt_assets_row_t;

typedef struct {
    uint64_t since, to;        /* state versions */
    uint64_t applied;          /* the asking terminal's watermark */
    int last;                  /* 1: nothing above `to` remains */
    size_t count;
    tt_assets_row_t *rows;
} tt_assets_page_t;

/* Wire names ("in_use", "appraisal") and labels for people, lang 0
 * Chinese ("在用", "鉴定"), 1 English; NULL for a bad value.  The _parse
 * functions return 0 for an unknown name. */
const char *tt_assets_state_name(tt_assets_state_t s);
const char *tt_assets_state_label(tt_assets_state_t s, int lang);
int tt_assets_state_parse(const char *name);
const char *tt_assets_step_name(tt_assets_step_t s);
const char *tt_assets_step_label(tt_assets_step_t s, int lang);
int tt_assets_step_parse(const char *name);

/* The state of an asset no document has moved yet: in_use at its register
 * unit when it has one, else registered. */
tt_assets_state_t tt_assets_initial(const char *register_unit);

/* Checks `step` with `result` (its wire word, "" for an intake) naming
 * `unit` ("" none) against an asset in `state` with unit `holder` ("" none).
 * On TT_ASSETS_OK *next and next_unit[TT_EVENT_ID_MAX + 1] get where the
 * asset is after it and *implied (may be NULL) says whether an appraisal
 * took the asset in from its unit (an intake the archive records too).
 * Otherwise returns why not and leaves them alone. */
tt_assets_refusal_t tt_assets_next(tt_assets_state_t state, const char *holder,
                                   tt_assets_step_t step, const char *result, const char *unit,
                                   tt_assets_state_t *next, char *next_unit, int *implied);

/* Says refusal `r` of a step on an asset in (state, holder) naming `unit`
 * in lang (0 Chinese, 1 English) into buf[len] (cut to fit, at a character,
 * always terminated). */
void tt_assets_explain(tt_assets_refusal_t r, tt_assets_state_t state, const char *holder,
                       const char *unit, int lang, char *buf, size_t len);

/* Encodes a request into buf[len].  Returns TT_OK with *outlen,
 * TT_ERR_INVAL (since beyond 2^53 - 1) or TT_ERR_FULL. */
tt_err_t tt_assets_req_encode(uint64_t since, char *buf, size_t len, size_t *outlen);

/* Decodes a request of len bytes into *since.  Returns TT_OK, or
 * TT_ERR_PARSE / TT_ERR_PROTO / TT_ERR_VERSION with a reason. */
tt_err_t tt_assets_req_decode(const char *buf, size_t len, uint64_t *since, char *reason,
                              size_t rlen);

/* Encodes a page into a new NUL-terminated string owned by the caller
 * (free()).  Returns TT_OK, TT_ERR_INVAL (a row that would not decode, more
 * than TT_ASSETS_PAGE_ROWS rows, to < since) or TT_ERR_NOMEM. */
tt_err_t tt_assets_page_encode(const tt_assets_page_t *page, char **out, size_t *outlen);

/* Decodes a page of len bytes into a new page owned by the caller
 * (tt_assets_page_free); any bad row refuses the whole page.  Returns
 * TT_OK, or TT_ERR_PARSE / TT_ERR_PROTO / TT_ERR_VERSION / TT_ERR_TOOBIG /
 * TT_ERR_NOMEM with a reason. */
tt_err_t tt_assets_page_decode(const char *buf, size_t len, tt_assets_page_t **out,
                               char *reason, size_t rlen);

/* Frees a page (and its rows); NULL is accepted. */
void tt_assets_page_free(tt_assets_page_t *page);

#endif
