/*
 * spares: important spare parts kept on site (现场备用重要配件), a store
 * module of tagtrail-server: all of its SQL is in spares.c (schema:
 * spare_part and spare_event in migration 6 of db.c; rules: docs/ledger.md,
 * "Spare parts kept on site").
 *
 * A work area keeps important spare parts at hand underground (a spare
 * motor, a reducer, a pump).  The register holds one row per physical
 * part: the unit keeping it, its item, its serial or asset number, where it
 * is kept and since when.  Each part has an archive of what happened to it:
 * replacements (it was fitted in place of a failed part, or replaced) and
 * repairs, each with its day and a note, and optionally the ledger movement
 * behind it (the issue that brought a new part, a repair receipt).
 *
 * Both are append-only: a part is registered once (item and serial are
 * unique) and never edited or removed; its archive only grows.  A handle is
 * used by one thread at a time; writers run inside the caller's transaction
 * (tt_db_begin/tt_db_commit), each call being one INSERT (all or nothing by
 * itself).  Readers may use a read-only tt_db_t.
 */
#ifndef TT_SPARES_H
#define TT_SPARES_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "event.h"
#include "ledger.h"
#include "master.h"

typedef struct tt_spares tt_spares_t;

typedef enum {
    TT_SPARES_REPLACEMENT = 1,   /* 更换 */
    TT_SPARES_REPAIR,            /* 维修 */
} tt_spares_kind_t;

/* "replacement", "repair" <-> kind; 0 / NULL when unknown. */
int tt_spares_kind_parse(const char *name);
const char *tt_spares_kind_name(tt_spares_kind_t kind);

/* A part in the register. */
typedef struct {
    int64_t id;                               /* set by the register */
    char unit[TT_EVENT_ID_MAX + 1];           /* the work area keeping it */
    char item[TT_EVENT_CODE_MAX + 1];         /* its item code */
    char serial[TT_EVENT_CODE_MAX + 1];       /* serial or asset number (a code) */
    char location[TT_MASTER_TEXT_MAX + 1];    /* where it is kept (text) */
    char since[TT_LEDGER_DAY_LEN + 1];        /* kept on site since, YYYY-MM-DD */
    char note[TT_LEDGER_TEXT_MAX];            /* optional */
} tt_spares_part_t;

/* Prepares the statements on `db` (borrowed).  On TT_OK *out is owned by
 * the caller (tt_spares_close).  Returns TT_ERR_NOMEM or TT_ERR_DB. */
tt_err_t tt_spares_open(tt_db_t *db, tt_spares_t **out);

/* Closes; NULL is accepted.  Close before the tt_db_t. */
void tt_spares_close(tt_spares_t *sp);

/* Registers part p (p->id is ignored) by operator `by` at server time
 * now_ms; *id (may be NULL) gets its id.  `since` is a real date, not
 * after today (tt_ledger_day of now_ms).  On refusal nothing is written and
 * `reason` (caller-owned) says why.  Returns TT_OK, TT_ERR_INVAL (a bad or
 * missing field, an unknown unit or item), TT_ERR_EXISTS (that item and
 * serial are registered already: reason names the part), TT_ERR_FULL or
 * TT_ERR_DB. */
tt_err_t tt_spares_register(tt_spares_t *sp, const tt_spares_part_t *p, const char *by,
                            int64_t now_ms, int64_t *id, char *reason, size_t rlen);

/* Looks a part up by item and serial; *id gets its id.  Returns TT_OK,
 * TT_ERR_NOTFOUND or TT_ERR_DB. */
tt_err_t tt_spares_find(tt_spares_t *sp, const char *item, const char *serial, int64_t *id);

/* Records a replacement or repair of part `part` on `day` (a real date,
 * not before the part's `since`, not after today), with `note` (required:
 * what was done) and ledger movement `movement` (0: none).  *id (may be
 * NULL) gets the record's id.  Returns TT_OK, TT_ERR_INVAL (a bad field,
 * a day out of range), TT_ERR_NOTFOUND (no such part or movement),
 * TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_spares_record(tt_spares_t *sp, int64_t part, tt_spares_kind_t kind, const char *day,
                          const char *note, int64_t movement, const char *by, int64_t now_ms,
                          int64_t *id, char *reason, size_t rlen);

/* --- read side: fn is called once per row; a non-zero return stops early
 * (still TT_OK).  Pointers are valid during the call only.  fn must not use
 * the handle.  Return TT_OK, TT_ERR_INVAL or TT_ERR_DB. */

/* A part as listed, with a summary of its archive. */
typedef struct {
    const tt_spares_part_t *part;
    const char *by;                  /* who registered it */
    int64_t server_ms;
    size_t replacements, repairs;
    const char *last_day;            /* day of its latest record, "" when none */
} tt_spares_row_t;

typedef int (*tt_spares_part_fn)(void *ctx, const tt_spares_row_t *r);

/* The register of `unit` (NULL: every unit), by unit, item and serial. */
tt_err_t tt_spares_list_each(tt_spares_t *sp, const char *unit, tt_spares_part_fn fn,
                             void *ctx);

/* One record of a part's archive. */
typedef struct {
    int64_t id;
    int64_t part;
    tt_spares_kind_t kind;
    const char *day;
    const char *note;
    int64_t movement;                /* 0: none */
    const char *by;
    int64_t server_ms;
} tt_spares_event_t;

typedef int (*tt_spares_event_fn)(void *ctx, const tt_spares_event_t *e);

/* The archive of part `part`, oldest first (by day, then as recorded).
 * Returns also TT_ERR_NOTFOUND (no such part). */
tt_err_t tt_spares_history_each(tt_spares_t *sp, int64_t part, tt_spares_event_fn fn,
                                void *ctx);

#endif
