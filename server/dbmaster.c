/*
 * dbmaster: the master data in the store (see dbmaster.h).
 *
 * The writers and look-ups run often (an import puts and checks every
 * row), so their statements are prepared once per connection, on first
 * use (tt_db_stmt); the page and version queries, which name their table
 * at run time or run once per request, are prepared per call.
 */
#include "dbmaster.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stmt.h"

enum {
    S_MV_GET, S_MV_SET, S_UNIT_EXISTS, S_SAFETY_CAT, S_UNIT_PUT, S_WH_PUT, S_ITEM_PUT, S_ITEM_STAMP,
    S_BC_OWNER, S_BC_OF_ITEM, S_BC_DEL, S_BC_PUT, S_OP_PUT, S_BADGE_OWNER, S_BADGE_TAKE,
    S_ITEM_EXISTS, S_PLAN_PUT, S_ASSET_EXISTS, S_EQ_PUT, S_EQ_BC_OWNER, S_EQ_BC_TAKE,
    S_GIAI_OWNER, S_GIAI_TAKE, S_EQ_GET, S_COUNT
};

static const char *const sql_text[S_COUNT] = {
    /* Master data.  Each put is an upsert whose update only happens when
     * the content differs (IS NOT: NULL-safe), so sqlite3_changes() says
     * whether the row was new or changed, and an identical row keeps its
     * version. */
    [S_MV_GET] = "SELECT n FROM master_version",
    [S_MV_SET] = "UPDATE master_version SET n = ?1",
    [S_UNIT_EXISTS] = "SELECT 1 FROM unit WHERE id = ?1",
    [S_SAFETY_CAT] = "SELECT 1 FROM safety_category WHERE code = ?1",
    [S_UNIT_PUT] = "INSERT INTO unit (id, name, kind, version) VALUES (?1, ?2, ?3, ?4)"
                   " ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,"
                   " version = excluded.version"
                   " WHERE name IS NOT excluded.name OR kind IS NOT excluded.kind",
    [S_WH_PUT] = "INSERT INTO warehouse (id, name, kind, unit, version)"
                 " VALUES (?1, ?2, ?3, ?4, ?5)"
                 " ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,"
                 " unit = excluded.unit, version = excluded.version"
                 " WHERE name IS NOT excluded.name OR kind IS NOT excluded.kind"
                 " OR unit IS NOT excluded.unit",
    [S_ITEM_PUT] =
        "INSERT INTO item (code, name, spec, uom, category, price_fen, return_old, reward_fen,"
        " penalty_fen, active, version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        " ON CONFLICT (code) DO UPDATE SET name = excluded.name, spec = excluded.spec,"
        " uom = excluded.uom, category = excluded.category, price_fen = excluded.price_fen,"
        " return_old = excluded.return_old, reward_fen = excluded.reward_fen,"
        " penalty_fen = excluded.penalty_fen, active = excluded.active,"
        " version = excluded.version"
        " WHERE name IS NOT excluded.name OR spec IS NOT excluded.spec"
        " OR uom IS NOT excluded.uom OR category IS NOT excluded.category"
        " OR price_fen IS NOT excluded.price_fen OR return_old IS NOT excluded.return_old"
        " OR reward_fen IS NOT excluded.reward_fen OR penalty_fen IS NOT excluded.penalty_fen"
        " OR active IS NOT excluded.active",
    [S_ITEM_STAMP] = "UPDATE item SET version = ?2 WHERE code = ?1",
    [S_BC_OWNER] = "SELECT item FROM item_barcode WHERE barcode = ?1",
    [S_BC_OF_ITEM] = "SELECT barcode FROM item_barcode WHERE item = ?1"
                     " ORDER BY barcode <> item, barcode",
    [S_BC_DEL] = "DELETE FROM item_barcode WHERE barcode = ?1",
    [S_BC_PUT] = "INSERT INTO item_barcode (barcode, item, version) VALUES (?1, ?2, ?3)"
                 " ON CONFLICT (barcode) DO UPDATE SET item = excluded.item,"
                 " version = excluded.version",
    [S_OP_PUT] = "INSERT INTO operator (id, name, role, unit, badge, active, version)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                 " ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role,"
                 " unit = excluded.unit, badge = excluded.badge, active = excluded.active,"
                 " version = excluded.version"
                 " WHERE name IS NOT excluded.name OR role IS NOT excluded.role"
                 " OR unit IS NOT excluded.unit OR badge IS NOT excluded.badge"
                 " OR active IS NOT excluded.active",
    [S_BADGE_OWNER] = "SELECT id FROM operator WHERE badge = ?1",
    [S_BADGE_TAKE] = "UPDATE operator SET badge = NULL, version = ?2 WHERE id = ?1",
    [S_ITEM_EXISTS] = "SELECT 1 FROM item WHERE code = ?1",
    [S_PLAN_PUT] = "INSERT INTO plan (serial, item, qty, category, unit, status, version)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                   " ON CONFLICT (serial) DO UPDATE SET item = excluded.item, qty = excluded.qty,"
                   " category = excluded.category, unit = excluded.unit,"
                   " status = excluded.status, version = excluded.version"
                   " WHERE item IS NOT excluded.item OR qty IS NOT excluded.qty"
                   " OR category IS NOT excluded.category OR unit IS NOT excluded.unit"
                   " OR status IS NOT excluded.status",
    [S_ASSET_EXISTS] = "SELECT 1 FROM equipment WHERE asset = ?1",
    [S_EQ_PUT] = "INSERT INTO equipment (asset, model, item, giai, barcode, unit, active, version)"
                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                 " ON CONFLICT (asset) DO UPDATE SET model = excluded.model, item = excluded.item,"
                 " giai = excluded.giai, barcode = excluded.barcode, unit = excluded.unit,"
                 " active = excluded.active, version = excluded.version"
                 " WHERE model IS NOT excluded.model OR item IS NOT excluded.item"
                 " OR giai IS NOT excluded.giai OR barcode IS NOT excluded.barcode"
                 " OR unit IS NOT excluded.unit OR active IS NOT excluded.active",
    [S_EQ_BC_OWNER] = "SELECT asset FROM equipment WHERE barcode = ?1",
    [S_EQ_BC_TAKE] = "UPDATE equipment SET barcode = NULL, version = ?2 WHERE asset = ?1",
    [S_GIAI_OWNER] = "SELECT asset FROM equipment WHERE giai = ?1",
    [S_GIAI_TAKE] = "UPDATE equipment SET giai = NULL, version = ?2 WHERE asset = ?1",
    [S_EQ_GET] = "SELECT model, item, giai, barcode, unit, active FROM equipment"
                 " WHERE asset = ?1",
};

/* The connection's statement q (prepared on its first use), NULL when it
 * cannot be prepared. */
static sqlite3_stmt *stmt(tt_db_t *db, int q)
{
    return tt_db_stmt(db, sql_text[q]);
}

/* Runs single-row SELECT q with `key` bound at ?1, copying its first column
 * (text) to out[cap] when out is not NULL.  TT_OK, TT_ERR_NOTFOUND,
 * TT_ERR_FULL or TT_ERR_DB. */
static tt_err_t lookup(tt_db_t *db, int q, const char *key, char *out, size_t cap)
{
    sqlite3_stmt *st = stmt(db, q);
    tt_err_t rc;

    if (!st)
        return TT_ERR_DB;
    tt_stmt_bind_text(st, 1, key);
    rc = tt_stmt_row(st);
    if (rc == TT_OK && out)
        tt_stmt_copy(out, cap, st, 0);
    tt_stmt_done(st);
    return rc;
}

/* Runs an upsert and reports whether it wrote a row. */
static tt_err_t run_put(tt_db_t *db, sqlite3_stmt *st, int *changed)
{
    tt_err_t rc = tt_stmt_run(st);
    if (changed)
        *changed = rc == TT_OK && sqlite3_changes(tt_db_sqlite(db)) > 0;
    return rc;
}

static const char *const master_table[] = {NULL,       "unit", "warehouse", "item",
                                           "operator", "plan", "equipment"};
static const char *const master_key[] = {NULL, "id", "id", "code", "id", "serial", "asset"};

tt_err_t tt_dbmaster_version(tt_db_t *db, uint64_t *version)
{
    sqlite3_stmt *st = stmt(db, S_MV_GET);
    int rc;

    if (!st)
        return TT_ERR_DB;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_dbmaster_set_version(tt_db_t *db, uint64_t version)
{
    sqlite3_stmt *st = stmt(db, S_MV_SET);
    if (!st)
        return TT_ERR_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)version);
    return tt_stmt_run(st);
}

tt_err_t tt_dbmaster_stamped(tt_db_t *db, tt_dbmaster_table_t table, uint64_t version,
                             size_t *n)
{
    char sql[96];
    sqlite3_stmt *st;
    int rc;

    if (table < TT_DBMASTER_UNIT || table > TT_DBMASTER_LAST)
        return TT_ERR_INVAL;
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s WHERE version = ?1", master_table[table]);
    if (sqlite3_prepare_v2(tt_db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)version);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = (size_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? TT_OK : TT_ERR_DB;
}

tt_err_t tt_dbmaster_row_version(tt_db_t *db, tt_dbmaster_table_t table, const char *key,
                                 uint64_t *version)
{
    char sql[96];
    sqlite3_stmt *st;
    int rc;

    if (table < TT_DBMASTER_UNIT || table > TT_DBMASTER_LAST)
        return TT_ERR_INVAL;
    snprintf(sql, sizeof sql, "SELECT version FROM %s WHERE %s = ?1", master_table[table],
             master_key[table]);
    if (sqlite3_prepare_v2(tt_db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? TT_OK : rc == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
}

tt_err_t tt_dbmaster_barcode_owner(tt_db_t *db, const char *barcode, char *item)
{
    return lookup(db, S_BC_OWNER, barcode, item, TT_EVENT_CODE_MAX + 1);
}

tt_err_t tt_dbmaster_badge_owner(tt_db_t *db, const char *badge, char *op)
{
    return lookup(db, S_BADGE_OWNER, badge, op, TT_EVENT_ID_MAX + 1);
}

tt_err_t tt_dbmaster_unit_exists(tt_db_t *db, const char *id)
{
    return lookup(db, S_UNIT_EXISTS, id, NULL, 0);
}

tt_err_t tt_dbmaster_safety_category_exists(tt_db_t *db, const char *code)
{
    return lookup(db, S_SAFETY_CAT, code, NULL, 0);
}

tt_err_t tt_dbmaster_item_exists(tt_db_t *db, const char *code)
{
    return lookup(db, S_ITEM_EXISTS, code, NULL, 0);
}

tt_err_t tt_dbmaster_asset_exists(tt_db_t *db, const char *asset)
{
    return lookup(db, S_ASSET_EXISTS, asset, NULL, 0);
}

tt_err_t tt_dbmaster_asset_barcode_owner(tt_db_t *db, const char *barcode, char *asset)
{
    return lookup(db, S_EQ_BC_OWNER, barcode, asset, TT_EVENT_CODE_MAX + 1);
}

tt_err_t tt_dbmaster_giai_owner(tt_db_t *db, const char *giai, char *asset)
{
    return lookup(db, S_GIAI_OWNER, giai, asset, TT_EVENT_CODE_MAX + 1);
}

tt_err_t tt_dbmaster_put_unit(tt_db_t *db, const tt_master_unit_t *u, uint64_t version,
                              int *changed)
{
    sqlite3_stmt *st = stmt(db, S_UNIT_PUT);
    if (!st)
        return TT_ERR_DB;
    sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, u->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, tt_master_unit_kind_name(u->kind), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)version);
    return run_put(db, st, changed);
}

tt_err_t tt_dbmaster_put_warehouse(tt_db_t *db, const tt_master_warehouse_t *w,
                                   uint64_t version, int *changed)
{
    sqlite3_stmt *st = stmt(db, S_WH_PUT);
    if (!st)
        return TT_ERR_DB;
    sqlite3_bind_text(st, 1, w->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, w->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, tt_master_warehouse_kind_name(w->kind), -1, SQLITE_STATIC);
    tt_stmt_bind_opt(st, 4, w->unit);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)version);
    return run_put(db, st, changed);
}

/* The barcodes an item holds now, into a new array owned by the caller. */
static tt_err_t held_barcodes(tt_db_t *db, const char *code, char (**out)[TT_EVENT_CODE_MAX + 1],
                              size_t *n)
{
    sqlite3_stmt *st = stmt(db, S_BC_OF_ITEM);
    char (*list)[TT_EVENT_CODE_MAX + 1] = NULL;
    size_t cap = 0, count = 0;
    int rc;

    if (!st)
        return TT_ERR_DB;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : TT_MASTER_BARCODES_MAX + 1;
            char (*l)[TT_EVENT_CODE_MAX + 1] = realloc(list, ncap * sizeof *l);
            if (!l) {
                sqlite3_reset(st);
                free(list);
                return TT_ERR_NOMEM;
            }
            list = l;
            cap = ncap;
        }
        tt_stmt_copy(list[count++], sizeof *list, st, 0);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(list);
        return tt_stmt_fail(tt_db_sqlite(db));
    }
    *out = list;
    *n = count;
    return TT_OK;
}

static int listed(const char (*list)[TT_EVENT_CODE_MAX + 1], size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], code) == 0)
            return 1;
    return 0;
}

static tt_err_t stamp_item(tt_db_t *db, const char *code, uint64_t version)
{
    sqlite3_stmt *st = stmt(db, S_ITEM_STAMP);
    if (!st)
        return TT_ERR_DB;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
    return tt_stmt_run(st);
}

tt_err_t tt_dbmaster_put_item(tt_db_t *db, const tt_dbmaster_item_t *x, uint64_t version,
                              int *changed)
{
    const tt_master_item_t *it = &x->item;
    char want[TT_MASTER_BARCODES_MAX + 1][TT_EVENT_CODE_MAX + 1];
    char (*have)[TT_EVENT_CODE_MAX + 1] = NULL;
    char owner[TT_EVENT_CODE_MAX + 1];
    size_t nwant = 0, nhave = 0;
    sqlite3_stmt *st = stmt(db, S_ITEM_PUT);
    int wrote = 0, moved = 0;
    tt_err_t rc;

    if (it->nbarcodes > TT_MASTER_BARCODES_MAX)
        return TT_ERR_INVAL;
    if (!st)
        return TT_ERR_DB;
    snprintf(want[nwant++], sizeof want[0], "%s", it->code);
    for (size_t i = 0; i < it->nbarcodes; i++)
        if (!listed((const char (*)[TT_EVENT_CODE_MAX + 1])want, nwant, it->barcodes[i]))
            snprintf(want[nwant++], sizeof want[0], "%s", it->barcodes[i]);

    sqlite3_bind_text(st, 1, it->code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, it->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, it->spec, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, it->uom, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, tt_master_category_name(it->category), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, it->price);
    sqlite3_bind_int(st, 7, x->return_old);
    sqlite3_bind_int64(st, 8, x->reward);
    sqlite3_bind_int64(st, 9, x->penalty);
    sqlite3_bind_int(st, 10, it->active);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)version);
    rc = run_put(db, st, &wrote);
    if (rc == TT_OK)
        rc = held_barcodes(db, it->code, &have, &nhave);
    /* Dropped barcodes first, then new ones, which may move from another
     * item (stamped: its list changed). */
    for (size_t i = 0; rc == TT_OK && i < nhave; i++) {
        if (listed((const char (*)[TT_EVENT_CODE_MAX + 1])want, nwant, have[i]))
            continue;
        st = stmt(db, S_BC_DEL);
        if (!st) {
            rc = TT_ERR_DB;
            break;
        }
        sqlite3_bind_text(st, 1, have[i], -1, SQLITE_STATIC);
        rc = tt_stmt_run(st);
        moved = 1;
    }
    for (size_t i = 0; rc == TT_OK && i < nwant; i++) {
        if (listed((const char (*)[TT_EVENT_CODE_MAX + 1])have, nhave, want[i]))
            continue;
        rc = tt_dbmaster_barcode_owner(db, want[i], owner);
        if (rc == TT_OK)
            rc = stamp_item(db, owner, version);
        else if (rc == TT_ERR_NOTFOUND)
            rc = TT_OK;
        if (rc != TT_OK)
            break;
        st = stmt(db, S_BC_PUT);
        if (!st) {
            rc = TT_ERR_DB;
            break;
        }
        sqlite3_bind_text(st, 1, want[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, it->code, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)version);
        rc = tt_stmt_run(st);
        moved = 1;
    }
    free(have);
    if (rc == TT_OK && moved && !wrote)
        rc = stamp_item(db, it->code, version);
    if (changed)
        *changed = rc == TT_OK && (wrote || moved);
    return rc;
}

tt_err_t tt_dbmaster_put_operator(tt_db_t *db, const tt_master_operator_t *o,
                                  uint64_t version, int *changed)
{
    char holder[TT_EVENT_ID_MAX + 1];
    sqlite3_stmt *st;
    tt_err_t rc = TT_OK;

    if (o->badge[0]) {
        rc = tt_dbmaster_badge_owner(db, o->badge, holder);
        if (rc == TT_OK && strcmp(holder, o->id) != 0) {
            st = stmt(db, S_BADGE_TAKE);
            if (!st)
                return TT_ERR_DB;
            sqlite3_bind_text(st, 1, holder, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
            rc = tt_stmt_run(st);
        } else if (rc == TT_ERR_NOTFOUND) {
            rc = TT_OK;
        }
        if (rc != TT_OK)
            return rc;
    }
    st = stmt(db, S_OP_PUT);
    if (!st)
        return TT_ERR_DB;
    sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, o->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, o->role, -1, SQLITE_STATIC);
    tt_stmt_bind_opt(st, 4, o->unit);
    tt_stmt_bind_opt(st, 5, o->badge);
    sqlite3_bind_int(st, 6, o->active);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)version);
    return run_put(db, st, changed);
}

tt_err_t tt_dbmaster_put_plan(tt_db_t *db, const tt_master_plan_t *p, uint64_t version,
                              int *changed)
{
    sqlite3_stmt *st = stmt(db, S_PLAN_PUT);
    if (!st)
        return TT_ERR_DB;
    sqlite3_bind_text(st, 1, p->serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, p->item, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, p->qty);
    tt_stmt_bind_opt(st, 4, p->category);
    tt_stmt_bind_opt(st, 5, p->unit);
    sqlite3_bind_text(st, 6, tt_master_plan_status_name(p->status), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)version);
    return run_put(db, st, changed);
}

/* Takes `key` (a barcode or a GIAI, per the owner / take statements) from
 * whichever other asset holds it, stamping that asset: its row changed.  The
 * unique columns never see two holders, so two assets may swap in one
 * import. */
static tt_err_t take_from_other(tt_db_t *db, int owner_st, int take_st, const char *key,
                                const char *asset, uint64_t version)
{
    char holder[TT_EVENT_CODE_MAX + 1];
    sqlite3_stmt *st;
    tt_err_t rc = lookup(db, owner_st, key, holder, sizeof holder);

    if (rc == TT_ERR_NOTFOUND)
        return TT_OK;
    if (rc != TT_OK || strcmp(holder, asset) == 0)
        return rc;
    st = stmt(db, take_st);
    if (!st)
        return TT_ERR_DB;
    sqlite3_bind_text(st, 1, holder, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
    return tt_stmt_run(st);
}

tt_err_t tt_dbmaster_put_equipment(tt_db_t *db, const tt_master_equipment_t *e,
                                   uint64_t version, int *changed)
{
    sqlite3_stmt *st;
    tt_err_t rc = TT_OK;

    if (e->barcode[0])
        rc = take_from_other(db, S_EQ_BC_OWNER, S_EQ_BC_TAKE, e->barcode, e->asset, version);
    if (rc == TT_OK && e->giai[0])
        rc = take_from_other(db, S_GIAI_OWNER, S_GIAI_TAKE, e->giai, e->asset, version);
    if (rc != TT_OK)
        return rc;
    st = stmt(db, S_EQ_PUT);
    if (!st)
        return TT_ERR_DB;
    sqlite3_bind_text(st, 1, e->asset, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, e->model, -1, SQLITE_STATIC);
    tt_stmt_bind_opt(st, 3, e->item);
    tt_stmt_bind_opt(st, 4, e->giai);
    tt_stmt_bind_opt(st, 5, e->barcode);
    tt_stmt_bind_opt(st, 6, e->unit);
    sqlite3_bind_int(st, 7, e->active);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)version);
    return run_put(db, st, changed);
}

/* Fills it->barcodes from the db: the code first, then the others. */
static tt_err_t fill_barcodes(tt_db_t *db, tt_master_item_t *it)
{
    char (*have)[TT_EVENT_CODE_MAX + 1] = NULL;
    size_t n = 0;
    tt_err_t rc = held_barcodes(db, it->code, &have, &n);

    if (rc != TT_OK)
        return rc;
    if (n > TT_MASTER_BARCODES_MAX) {
        free(have);
        return TT_ERR_DB;   /* the import never stores more */
    }
    for (size_t i = 0; i < n; i++)
        memcpy(it->barcodes[i], have[i], sizeof it->barcodes[i]);
    it->nbarcodes = n;
    free(have);
    return TT_OK;
}

static void item_from_row(sqlite3_stmt *st, tt_dbmaster_item_t *x)
{
    tt_master_item_t *it = &x->item;
    memset(x, 0, sizeof *x);
    tt_stmt_copy(it->code, sizeof it->code, st, 0);
    tt_stmt_copy(it->name, sizeof it->name, st, 1);
    tt_stmt_copy(it->spec, sizeof it->spec, st, 2);
    tt_stmt_copy(it->uom, sizeof it->uom, st, 3);
    it->category = (tt_item_category_t)tt_master_category_parse(tt_stmt_text(st, 4));
    it->price = sqlite3_column_int64(st, 5);
    x->return_old = sqlite3_column_int(st, 6);
    x->reward = sqlite3_column_int64(st, 7);
    x->penalty = sqlite3_column_int64(st, 8);
    it->active = sqlite3_column_int(st, 9);
}

#define ITEM_COLUMNS                                                                          \
    "code, name, spec, uom, category, price_fen, return_old, reward_fen, penalty_fen, active," \
    " version"

tt_err_t tt_dbmaster_item_get(tt_db_t *db, const char *code, tt_dbmaster_item_t *out,
                              uint64_t *version)
{
    sqlite3_stmt *st;
    tt_err_t rc;
    int step;

    if (sqlite3_prepare_v2(tt_db_sqlite(db), "SELECT " ITEM_COLUMNS " FROM item WHERE code = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        item_from_row(st, out);
        if (version)
            *version = (uint64_t)sqlite3_column_int64(st, 10);
    }
    sqlite3_finalize(st);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE ? TT_ERR_NOTFOUND : TT_ERR_DB;
    rc = fill_barcodes(db, &out->item);
    return rc;
}

/* --- master pages ----------------------------------------------------------- */

/* Grows *rows (of `size` bytes each) to hold one more than *n; NULL when out
 * of memory.  Returns the new row, zeroed. */
static void *grow(void **rows, size_t *cap, size_t n, size_t size)
{
    if (n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        void *a = realloc(*rows, ncap * size);
        if (!a)
            return NULL;
        *rows = a;
        *cap = ncap;
    }
    return memset((char *)*rows + n * size, 0, size);
}

/* Parses a cursor "<to>:<table>:<key>" written by tt_dbmaster_page. */
static int parse_cursor(const char *cursor, uint64_t *to, int *table, const char **key)
{
    const char *p = cursor, *colon;
    uint64_t v = 0;

    if (*p < '0' || *p > '9')
        return 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > TT_EVENT_SEQ_MAX)
            return 0;
    }
    if (*p++ != ':' || !(colon = strchr(p, ':')))
        return 0;
    for (int t = TT_DBMASTER_UNIT; t <= TT_DBMASTER_LAST; t++) {
        if ((size_t)(colon - p) == strlen(master_table[t]) &&
            strncmp(p, master_table[t], (size_t)(colon - p)) == 0) {
            *table = t;
            *key = colon + 1;
            *to = v;
            /* Items and assets are keyed by codes, the rest by ids. */
            return t == TT_DBMASTER_ITEM || t == TT_DBMASTER_EQUIPMENT ? tt_event_code_valid(*key)
                                                            : tt_event_id_valid(*key);
        }
    }
    return 0;
}

typedef struct {
    size_t caps[TT_DBMASTER_LAST + 1];
    size_t n[TT_DBMASTER_LAST + 1];   /* rows per table, indexed by tt_dbmaster_table_t */
} page_fill_t;

/* Appends up to `limit` rows of `table` with version > since and key > after
 * to the page.  Items get their barcodes later (fill_page_barcodes), so the
 * one row read beyond the page costs nothing. */
static tt_err_t page_rows(tt_db_t *db, tt_master_page_t *pg, page_fill_t *pf, int table,
                          uint64_t since, const char *after, size_t limit)
{
    static const char *const sql[] = {
        NULL,
        "SELECT id, name, kind FROM unit WHERE version > ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        "SELECT id, name, kind, COALESCE(unit, '') FROM warehouse"
        " WHERE version > ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        "SELECT " ITEM_COLUMNS " FROM item WHERE version > ?1 AND code > ?2"
        " ORDER BY code LIMIT ?3",
        "SELECT id, name, role, COALESCE(unit, ''), COALESCE(badge, ''), active FROM operator"
        " WHERE version > ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        "SELECT serial, item, qty, COALESCE(category, ''), COALESCE(unit, ''), status FROM plan"
        " WHERE version > ?1 AND serial > ?2 ORDER BY serial LIMIT ?3",
        "SELECT asset, model, COALESCE(item, ''), COALESCE(giai, ''), COALESCE(barcode, ''),"
        " COALESCE(unit, ''), active FROM equipment"
        " WHERE version > ?1 AND asset > ?2 ORDER BY asset LIMIT ?3",
    };
    sqlite3_stmt *st;
    tt_err_t rc = TT_OK;
    int step;

    if (sqlite3_prepare_v2(tt_db_sqlite(db), sql[table], -1, &st, NULL) != SQLITE_OK)
        return TT_ERR_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
    sqlite3_bind_text(st, 2, after, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    while (rc == TT_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        void *arr;
        size_t *n = &pf->n[table];
        switch (table) {
        case TT_DBMASTER_UNIT: {
            tt_master_unit_t *u;
            arr = pg->units;
            u = grow(&arr, &pf->caps[table], *n, sizeof *u);
            pg->units = arr;
            if (!u) {
                rc = TT_ERR_NOMEM;
                break;
            }
            tt_stmt_copy(u->id, sizeof u->id, st, 0);
            tt_stmt_copy(u->name, sizeof u->name, st, 1);
            u->kind = (tt_unit_kind_t)tt_master_unit_kind_parse(tt_stmt_text(st, 2));
            break;
        }
        case TT_DBMASTER_WAREHOUSE: {
            tt_master_warehouse_t *w;
            arr = pg->warehouses;
            w = grow(&arr, &pf->caps[table], *n, sizeof *w);
            pg->warehouses = arr;
            if (!w) {
                rc = TT_ERR_NOMEM;
                break;
            }
            tt_stmt_copy(w->id, sizeof w->id, st, 0);
            tt_stmt_copy(w->name, sizeof w->name, st, 1);
            w->kind = (tt_warehouse_kind_t)tt_master_warehouse_kind_parse(tt_stmt_text(st, 2));
            tt_stmt_copy(w->unit, sizeof w->unit, st, 3);
            break;
        }
        case TT_DBMASTER_ITEM: {
            tt_master_item_t *it;
            tt_dbmaster_item_t x;
            arr = pg->items;
            it = grow(&arr, &pf->caps[table], *n, sizeof *it);
            pg->items = arr;
            if (!it) {
                rc = TT_ERR_NOMEM;
                break;
            }
            item_from_row(st, &x);
            *it = x.item;
            break;
        }
        case TT_DBMASTER_PLAN: {
            tt_master_plan_t *pl;
            arr = pg->plans;
            pl = grow(&arr, &pf->caps[table], *n, sizeof *pl);
            pg->plans = arr;
            if (!pl) {
                rc = TT_ERR_NOMEM;
                break;
            }
            tt_stmt_copy(pl->serial, sizeof pl->serial, st, 0);
            tt_stmt_copy(pl->item, sizeof pl->item, st, 1);
            pl->qty = sqlite3_column_int64(st, 2);
            tt_stmt_copy(pl->category, sizeof pl->category, st, 3);
            tt_stmt_copy(pl->unit, sizeof pl->unit, st, 4);
            pl->status = (tt_plan_status_t)tt_master_plan_status_parse(tt_stmt_text(st, 5));
            break;
        }
        case TT_DBMASTER_EQUIPMENT: {
            tt_master_equipment_t *e;
            arr = pg->equipment;
            e = grow(&arr, &pf->caps[table], *n, sizeof *e);
            pg->equipment = arr;
            if (!e) {
                rc = TT_ERR_NOMEM;
                break;
            }
            tt_stmt_copy(e->asset, sizeof e->asset, st, 0);
            tt_stmt_copy(e->model, sizeof e->model, st, 1);
            tt_stmt_copy(e->item, sizeof e->item, st, 2);
            tt_stmt_copy(e->giai, sizeof e->giai, st, 3);
            tt_stmt_copy(e->barcode, sizeof e->barcode, st, 4);
            tt_stmt_copy(e->unit, sizeof e->unit, st, 5);
            e->active = sqlite3_column_int(st, 6);
            break;
        }
        default: {
            tt_master_operator_t *o;
            arr = pg->operators;
            o = grow(&arr, &pf->caps[table], *n, sizeof *o);
            pg->operators = arr;
            if (!o) {
                rc = TT_ERR_NOMEM;
                break;
            }
            tt_stmt_copy(o->id, sizeof o->id, st, 0);
            tt_stmt_copy(o->name, sizeof o->name, st, 1);
            tt_stmt_copy(o->role, sizeof o->role, st, 2);
            tt_stmt_copy(o->unit, sizeof o->unit, st, 3);
            tt_stmt_copy(o->badge, sizeof o->badge, st, 4);
            o->active = sqlite3_column_int(st, 5);
            break;
        }
        }
        if (rc == TT_OK)
            (*n)++;
    }
    sqlite3_finalize(st);
    if (rc == TT_OK && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = TT_ERR_DB;
    return rc;
}

/* The key of row i of `table` in the page. */
static const char *page_key(const tt_master_page_t *pg, int table, size_t i)
{
    switch (table) {
    case TT_DBMASTER_UNIT: return pg->units[i].id;
    case TT_DBMASTER_WAREHOUSE: return pg->warehouses[i].id;
    case TT_DBMASTER_ITEM: return pg->items[i].code;
    case TT_DBMASTER_PLAN: return pg->plans[i].serial;
    case TT_DBMASTER_EQUIPMENT: return pg->equipment[i].asset;
    default: return pg->operators[i].id;
    }
}

tt_err_t tt_dbmaster_page(tt_db_t *db, uint64_t since, const char *cursor, size_t max_rows,
                          tt_master_page_t **out, char *reason, size_t rlen)
{
    tt_master_page_t *pg;
    page_fill_t pf;
    const char *after = "";
    int start = TT_DBMASTER_UNIT, table;
    size_t got = 0;
    tt_err_t rc = TT_OK;

    *out = NULL;
    if (max_rows == 0 || max_rows > TT_MASTER_PAGE_ROWS) {
        snprintf(reason, rlen, "page of %zu rows", max_rows);
        return TT_ERR_INVAL;
    }
    pg = calloc(1, sizeof *pg);
    if (!pg)
        return TT_ERR_NOMEM;
    memset(&pf, 0, sizeof pf);
    pg->since = since;
    if (cursor[0]) {
        if (!parse_cursor(cursor, &pg->to, &start, &after)) {
            snprintf(reason, rlen, "cursor '%.*s' was not written by this server",
                     TT_MASTER_CURSOR_MAX, cursor);
            tt_master_page_free(pg);
            return TT_ERR_INVAL;
        }
    } else {
        rc = tt_dbmaster_version(db, &pg->to);
    }
    /* One row more than the page holds tells whether another page follows. */
    for (table = start; rc == TT_OK && table <= TT_DBMASTER_LAST && got <= max_rows; table++) {
        rc = page_rows(db, pg, &pf, table, since, table == start ? after : "",
                       max_rows + 1 - got);
        got += pf.n[table];
    }
    if (rc == TT_OK && got > max_rows) {
        /* Drop the extra row: the last one read, in the last table read. */
        int last = table - 1;
        pf.n[last]--;
        while (pf.n[last] == 0)
            last--;
        snprintf(pg->cursor, sizeof pg->cursor, "%llu:%s:%s", (unsigned long long)pg->to,
                 master_table[last], page_key(pg, last, pf.n[last] - 1));
    } else {
        pg->last = 1;
    }
    pg->nunits = pf.n[TT_DBMASTER_UNIT];
    pg->nwarehouses = pf.n[TT_DBMASTER_WAREHOUSE];
    pg->nitems = pf.n[TT_DBMASTER_ITEM];
    pg->noperators = pf.n[TT_DBMASTER_OPERATOR];
    pg->nplans = pf.n[TT_DBMASTER_PLAN];
    pg->nequipment = pf.n[TT_DBMASTER_EQUIPMENT];
    for (size_t i = 0; rc == TT_OK && i < pg->nitems; i++)
        rc = fill_barcodes(db, &pg->items[i]);
    if (rc != TT_OK) {
        tt_master_page_free(pg);
        return rc;
    }
    *out = pg;
    return TT_OK;
}

tt_err_t tt_dbmaster_equipment_get(tt_db_t *db, const char *asset, tt_master_equipment_t *e)
{
    sqlite3_stmt *st = stmt(db, S_EQ_GET);
    tt_err_t rc;

    if (!st)
        return TT_ERR_DB;
    tt_stmt_bind_text(st, 1, asset);
    rc = tt_stmt_row(st);
    if (rc == TT_OK) {
        memset(e, 0, sizeof *e);
        snprintf(e->asset, sizeof e->asset, "%s", asset);
        tt_stmt_copy(e->model, sizeof e->model, st, 0);
        tt_stmt_copy(e->item, sizeof e->item, st, 1);
        tt_stmt_copy(e->giai, sizeof e->giai, st, 2);
        tt_stmt_copy(e->barcode, sizeof e->barcode, st, 3);
        tt_stmt_copy(e->unit, sizeof e->unit, st, 4);
        e->active = sqlite3_column_int(st, 5);
    }
    tt_stmt_done(st);
    return rc;
}
