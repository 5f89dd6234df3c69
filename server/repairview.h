/*
 * repairview: the read side of the repair module (server/repair.h): the
 * equipment by state, the archive, cycle times and costs, a read-only store
 * module over repair.c's tables (schema tt_repair_schema).  Each call
 * prepares its query and reads inside the caller's read transaction
 * (tt_report_begin), like server/report.c; a read-only tt_db_t is enough.
 * Rules and definitions: docs/repair.md.
 */
#ifndef TT_REPAIRVIEW_H
#define TT_REPAIRVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "money.h"

#define TT_REPAIR_STAGES 3              /* the stages of tt_repair_cycles */

/* An asset and its state; strings borrowed for the call. */
typedef struct {
    const char *asset, *model, *giai, *barcode, *state, *unit, *day;
    int64_t since_ms;                            /* 0: never moved by a document */
    int64_t repair;                              /* the open repair, 0 when none */
} tt_repair_asset_t;

/* Calls fn for each active asset (state / unit NULL: all), by asset; fn
 * returning non-zero stops.  Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_repair_equipment_each(tt_db_t *db, const char *state, const char *unit,
                                  int (*fn)(void *ctx, const tt_repair_asset_t *a), void *ctx);

/* Which documents the archive lists; NULL or "" fields do not filter.  tag
 * is a GIAI or a barcode; unit matches the document's or the register's;
 * from / to are business dates, inclusive. */
typedef struct {
    const char *asset, *tag, *model, *unit, *from, *to;
} tt_repair_filter_t;

/* One document of the archive, with its consumables; strings borrowed for
 * the call. */
typedef struct {
    int64_t id, repair;
    const char *asset, *model, *kind, *result, *contents, *people, *unit, *state, *day;
    const char *origin, *terminal, *operator_id, *ledger_doc;   /* "" when none */
    uint64_t seq;                                /* 0 for an office document */
    int64_t at_ms, server_ms;
    int has_costs;
    int64_t labour_minutes;
    tt_fen_t labour_fen, machine_fen, auxiliary_fen, standard_fen, quota_fen;
    tt_fen_t consumables_fen;                    /* sum of its issue allocations */
    const char *consumables;                     /* "item units@warehouse=fen; ..." or "" */
} tt_repair_entry_t;

/* Calls fn for each document matching f (NULL: all), by asset then id
 * (oldest first); fn returning non-zero stops.  Returns TT_OK or
 * TT_ERR_DB. */
tt_err_t tt_repair_archive_each(tt_db_t *db, const tt_repair_filter_t *f,
                                int (*fn)(void *ctx, const tt_repair_entry_t *e), void *ctx);

/* Cycle times of the stages appraisal -> self-check pass (the last before
 * the passed acceptance), self-check pass -> acceptance pass, acceptance
 * pass -> issue, over repairs appraised on from..to (inclusive; NULL:
 * open) whose appraisal names unit `unit` (the sending unit, as
 * tt_repair_costs_each groups them; NULL: all, appraisals without a unit
 * included).  Per stage: how many repairs completed it, and the median and
 * 90th percentile in whole hours (nearest rank over durations floored to
 * hours; 0 when n is 0). */
typedef struct {
    size_t n;
    int64_t median_h, p90_h;
} tt_repair_stage_t;

/* Fills stages[TT_REPAIR_STAGES].  Returns TT_OK, TT_ERR_NOMEM or
 * TT_ERR_DB. */
tt_err_t tt_repair_cycles(tt_db_t *db, const char *from, const char *to, const char *unit,
                          tt_repair_stage_t stages[TT_REPAIR_STAGES]);

/* The names of the stages ("appraisal_selfcheck", "selfcheck_acceptance",
 * "acceptance_issue"); NULL past the last. */
const char *tt_repair_stage_name(size_t i);

/* Repair cost of one unit, model and month (the appraisal's) against
 * standard and quota; strings borrowed for the call. */
typedef struct {
    const char *unit, *model, *month;
    int64_t repairs;
    tt_fen_t labour_fen, machine_fen, auxiliary_fen, consumables_fen, total_fen;
    tt_fen_t standard_fen, quota_fen;
} tt_repair_cost_t;

/* Calls fn for each (unit, model, month) of repairs appraised in months
 * from..to ('YYYY-MM', NULL: open), unit / model NULL: all; fn returning
 * non-zero stops.  Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_repair_costs_each(tt_db_t *db, const char *from_month, const char *to_month,
                              const char *unit, const char *model,
                              int (*fn)(void *ctx, const tt_repair_cost_t *c), void *ctx);

#endif
