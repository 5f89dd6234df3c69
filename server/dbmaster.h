/*
 * dbmaster: the master data in tagtrail-server's store, a store module over
 * the connection of a tt_db_t (db.h): tables unit, warehouse, item (with
 * item_barcode), operator, plan (approved plan lines) and equipment (the
 * equipment register), the fixed safety_category codes, and the single
 * master version (shared/master.h).  Each row carries the master version at
 * which its content last changed.  The writers are the put functions,
 * called by the import inside one transaction (tt_db_begin) that stamps
 * every row it changes with one new version; they store a row only when it
 * is new or differs, so an identical row keeps its version.  Rows of the six
 * tables are never deleted (triggers refuse it): a row absent from a later
 * import stays as it was.  An item's barcodes are part of the item: its put
 * replaces the list.  The reader is the paging of master data to terminals.
 *
 * None of these check references between rows or conflicts (the import
 * does, with the file in view, to report every problem by line); the
 * schema's keys and foreign keys are the last line of defence.  They need a
 * writable handle (tt_db_open with readonly 0, or tt_db_open_tool).  The
 * module keeps no handle of its own: its statements are prepared on the
 * tt_db_t's connection when first used (tt_db_stmt) and live as long as it.
 * A tt_db_t is used by one thread at a time.
 */
#ifndef TT_DBMASTER_H
#define TT_DBMASTER_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "event.h"
#include "master.h"
#include "money.h"


/* The master tables, in the order pages list them. */
typedef enum {
    TT_DBMASTER_UNIT = 1, TT_DBMASTER_WAREHOUSE, TT_DBMASTER_ITEM, TT_DBMASTER_OPERATOR,
    TT_DBMASTER_PLAN, TT_DBMASTER_EQUIPMENT
} tt_dbmaster_table_t;
#define TT_DBMASTER_LAST TT_DBMASTER_EQUIPMENT

/* An item as the server stores it: what terminals get, plus the terms of
 * 交旧领新 (issue a new one against the old one returned), which only the
 * ledger uses. */
typedef struct {
    tt_master_item_t item;
    int return_old;          /* 1: the old one must come back to issue a new one */
    tt_fen_t reward;         /* fen >= 0, paid for returning the old one */
    tt_fen_t penalty;        /* fen >= 0, charged for not returning it */
} tt_dbmaster_item_t;

/* Reads / sets the master version (0 until the first import changes
 * anything).  Return TT_OK, TT_ERR_FULL (set only) or TT_ERR_DB. */
tt_err_t tt_dbmaster_version(tt_db_t *db, uint64_t *version);
tt_err_t tt_dbmaster_set_version(tt_db_t *db, uint64_t version);

/* Counts into *n the rows of `table` stamped with exactly `version` (what
 * one import changed).  Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_dbmaster_stamped(tt_db_t *db, tt_dbmaster_table_t table, uint64_t version,
                             size_t *n);

/* Reads the version of the row of `table` with key `key` (id; code for
 * items, serial for plans, asset number for equipment).  Returns TT_OK,
 * TT_ERR_NOTFOUND or TT_ERR_DB. */
tt_err_t tt_dbmaster_row_version(tt_db_t *db, tt_dbmaster_table_t table, const char *key,
                                 uint64_t *version);

/* Looks up who holds a barcode (an item code, copied to
 * item[TT_EVENT_CODE_MAX + 1]) or a badge (an operator id, copied to
 * op[TT_EVENT_ID_MAX + 1]), or whether a unit, an item (by its code, not
 * its other barcodes) or an asset (by its asset number) exists.  Return
 * TT_OK, TT_ERR_NOTFOUND or TT_ERR_DB. */
tt_err_t tt_dbmaster_barcode_owner(tt_db_t *db, const char *barcode, char *item);
tt_err_t tt_dbmaster_badge_owner(tt_db_t *db, const char *badge, char *op);
tt_err_t tt_dbmaster_unit_exists(tt_db_t *db, const char *id);
tt_err_t tt_dbmaster_item_exists(tt_db_t *db, const char *code);
tt_err_t tt_dbmaster_asset_exists(tt_db_t *db, const char *asset);

/* Whether `code` is one of the fixed safety-expense category codes (table
 * safety_category, S01 ... S11).  Returns TT_OK, TT_ERR_NOTFOUND or
 * TT_ERR_DB. */
tt_err_t tt_dbmaster_safety_category_exists(tt_db_t *db, const char *code);

/* Looks up which asset holds an asset barcode or a GIAI: its asset number
 * is copied to asset[TT_EVENT_CODE_MAX + 1].  Return TT_OK, TT_ERR_NOTFOUND
 * or TT_ERR_DB. */
tt_err_t tt_dbmaster_asset_barcode_owner(tt_db_t *db, const char *barcode, char *asset);
tt_err_t tt_dbmaster_giai_owner(tt_db_t *db, const char *giai, char *asset);

/* Reads the item `code` into *out (barcodes: the code first, then the others
 * in byte order) and its version into *version (may be NULL).  Returns TT_OK,
 * TT_ERR_NOTFOUND or TT_ERR_DB. */
tt_err_t tt_dbmaster_item_get(tt_db_t *db, const char *code, tt_dbmaster_item_t *out,
                              uint64_t *version);

/* Stores a row if it is new or its content differs, stamped with `version`;
 * *changed (may be NULL) says whether it did.  Rows are valid (the caller
 * checked them); "" for an optional reference or badge is stored as NULL.
 *
 * put_item makes the item's barcodes exactly its code plus item.barcodes: a
 * barcode it held and no longer lists is dropped; a listed barcode that
 * another item holds moves here, and that item is stamped too (its list
 * changed).  put_operator likewise takes its badge from any other operator,
 * stamping that one, and put_equipment its barcode and its GIAI from any
 * other asset.
 *
 * Return TT_OK, TT_ERR_FULL or TT_ERR_DB (also for a broken key or foreign
 * key: the caller rolls back). */
tt_err_t tt_dbmaster_put_unit(tt_db_t *db, const tt_master_unit_t *u, uint64_t version,
                              int *changed);
tt_err_t tt_dbmaster_put_warehouse(tt_db_t *db, const tt_master_warehouse_t *w,
                                   uint64_t version, int *changed);
tt_err_t tt_dbmaster_put_item(tt_db_t *db, const tt_dbmaster_item_t *it, uint64_t version,
                              int *changed);
tt_err_t tt_dbmaster_put_operator(tt_db_t *db, const tt_master_operator_t *o,
                                  uint64_t version, int *changed);
tt_err_t tt_dbmaster_put_plan(tt_db_t *db, const tt_master_plan_t *p, uint64_t version,
                              int *changed);
tt_err_t tt_dbmaster_put_equipment(tt_db_t *db, const tt_master_equipment_t *e,
                                   uint64_t version, int *changed);

/* Builds a page of master data for a terminal at version `since`: the rows
 * of every table with version > since, in the order units, warehouses,
 * items, operators, plans, equipment and by key within a table, at most
 * max_rows (>= 1) of them, starting after `cursor` ("" for the first page).
 * The first page's `to` is the current master version; the cursor
 * ("<to>:<table>:<key>", table one of unit, warehouse, item, operator,
 * plan, equipment) carries it to every later page.  A row changed while a
 * terminal pages (version > to) may come in this series too; it comes again
 * when the terminal next asks from `to`.
 * Call inside a transaction so the page is one consistent state.
 * On TT_OK *out is owned by the caller (tt_master_page_free).  Returns
 * TT_ERR_INVAL with a reason for a cursor this function did not write or a
 * bad max_rows, TT_ERR_NOMEM or TT_ERR_DB. */
tt_err_t tt_dbmaster_page(tt_db_t *db, uint64_t since, const char *cursor, size_t max_rows,
                          tt_master_page_t **out, char *reason, size_t rlen);

/* Reads the asset `asset` of the equipment register into *out.  Returns
 * TT_OK, TT_ERR_NOTFOUND, TT_ERR_FULL or TT_ERR_DB. */
tt_err_t tt_dbmaster_equipment_get(tt_db_t *db, const char *asset, tt_master_equipment_t *out);

#endif
