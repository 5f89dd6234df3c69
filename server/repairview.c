/*
 * repairview: the read side of the repair module (see repairview.h).
 */
#include "repairview.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static const char *text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

static void bind_text_or_null(sqlite3_stmt *st, int col, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, col);
}

static tt_err_t prepare(tt_db_t *db, const char *sql, sqlite3_stmt **st)
{
    return sqlite3_prepare_v2(tt_db_sqlite(db), sql, -1, st, NULL) == SQLITE_OK ? TT_OK
                                                                                : TT_ERR_DB;
}

static void bind_filter(sqlite3_stmt *st, int col, const char *v)
{
    bind_text_or_null(st, col, v);
}

tt_err_t tt_repair_equipment_each(tt_db_t *db, const char *state, const char *unit,
                                  int (*fn)(void *ctx, const tt_repair_asset_t *a), void *ctx)
{
    /* The state of an asset no document moved is computed as
     * tt_assets_initial does: in_use at its register unit, or registered. */
    static const char sql[] =
        "SELECT asset, model, giai, barcode, state, unit, day, since_ms, repair FROM ("
        " SELECT e.asset, e.model, COALESCE(e.giai, '') AS giai,"
        "  COALESCE(e.barcode, '') AS barcode,"
        "  COALESCE(s.state, CASE WHEN COALESCE(e.unit, '') = '' THEN 'registered'"
        "   ELSE 'in_use' END) AS state,"
        "  COALESCE(CASE WHEN s.asset IS NULL THEN e.unit ELSE s.unit END, '') AS unit,"
        "  COALESCE(s.day, '') AS day, COALESCE(s.since_ms, 0) AS since_ms,"
        "  COALESCE(s.repair, 0) AS repair"
        " FROM equipment e LEFT JOIN equipment_state s ON s.asset = e.asset WHERE e.active = 1)"
        " WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR unit = ?2) ORDER BY asset";
    sqlite3_stmt *st;
    tt_err_t rc = prepare(db, sql, &st);
    int step;

    if (rc != TT_OK)
        return rc;
    bind_filter(st, 1, state);
    bind_filter(st, 2, unit);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        tt_repair_asset_t a = {text(st, 0), text(st, 1), text(st, 2), text(st, 3),
                               text(st, 4), text(st, 5), text(st, 6),
                               sqlite3_column_int64(st, 7), sqlite3_column_int64(st, 8)};
        if (fn(ctx, &a))
            break;
    }
    rc = step == SQLITE_ROW || step == SQLITE_DONE ? TT_OK : TT_ERR_DB;
    sqlite3_finalize(st);
    return rc;
}

tt_err_t tt_repair_archive_each(tt_db_t *db, const tt_repair_filter_t *f,
                                int (*fn)(void *ctx, const tt_repair_entry_t *e), void *ctx)
{
    static const char sql[] =
        "SELECT d.id, COALESCE(d.repair, 0), d.asset, e.model, d.kind, d.result, d.contents,"
        " d.people, COALESCE(d.unit, ''), d.state, d.day, d.origin, COALESCE(d.terminal, ''),"
        " COALESCE(d.seq, 0), d.operator, COALESCE(d.ledger_doc, ''), d.at_ms, d.server_ms,"
        " d.labour_fen IS NOT NULL, COALESCE(d.labour_minutes, 0), COALESCE(d.labour_fen, 0),"
        " COALESCE(d.machine_fen, 0), COALESCE(d.auxiliary_fen, 0),"
        " COALESCE(d.standard_fen, 0), COALESCE(d.quota_fen, 0),"
        " (SELECT COALESCE(SUM(a.value_fen), 0) FROM repair_consumable c"
        "   JOIN alloc a ON a.movement = c.movement WHERE c.doc = d.id),"
        " (SELECT COALESCE(group_concat(m.item || ' ' || (m.qty / 1000) || '@' || m.warehouse"
        "   || '=' || (SELECT COALESCE(SUM(a.value_fen), 0) FROM alloc a"
        "   WHERE a.movement = m.id), '; '), '')"
        "   FROM repair_consumable c JOIN movement m ON m.id = c.movement WHERE c.doc = d.id)"
        " FROM repair_doc d JOIN equipment e ON e.asset = d.asset"
        " WHERE (?1 IS NULL OR d.asset = ?1)"
        "  AND (?2 IS NULL OR e.giai = ?2 OR e.barcode = ?2)"
        "  AND (?3 IS NULL OR e.model = ?3)"
        "  AND (?4 IS NULL OR d.unit = ?4 OR e.unit = ?4)"
        "  AND (?5 IS NULL OR d.day >= ?5) AND (?6 IS NULL OR d.day <= ?6)"
        " ORDER BY d.asset, d.id";
    sqlite3_stmt *st;
    tt_err_t rc = prepare(db, sql, &st);
    int step;

    if (rc != TT_OK)
        return rc;
    bind_filter(st, 1, f ? f->asset : NULL);
    bind_filter(st, 2, f ? f->tag : NULL);
    bind_filter(st, 3, f ? f->model : NULL);
    bind_filter(st, 4, f ? f->unit : NULL);
    bind_filter(st, 5, f ? f->from : NULL);
    bind_filter(st, 6, f ? f->to : NULL);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        tt_repair_entry_t e;
        memset(&e, 0, sizeof e);
        e.id = sqlite3_column_int64(st, 0);
        e.repair = sqlite3_column_int64(st, 1);
        e.asset = text(st, 2);
        e.model = text(st, 3);
        e.kind = text(st, 4);
        e.result = text(st, 5);
        e.contents = text(st, 6);
        e.people = text(st, 7);
        e.unit = text(st, 8);
        e.state = text(st, 9);
        e.day = text(st, 10);
        e.origin = text(st, 11);
        e.terminal = text(st, 12);
        e.seq = (uint64_t)sqlite3_column_int64(st, 13);
        e.operator_id = text(st, 14);
        e.ledger_doc = text(st, 15);
        e.at_ms = sqlite3_column_int64(st, 16);
        e.server_ms = sqlite3_column_int64(st, 17);
        e.has_costs = sqlite3_column_int(st, 18);
        e.labour_minutes = sqlite3_column_int64(st, 19);
        e.labour_fen = sqlite3_column_int64(st, 20);
        e.machine_fen = sqlite3_column_int64(st, 21);
        e.auxiliary_fen = sqlite3_column_int64(st, 22);
        e.standard_fen = sqlite3_column_int64(st, 23);
        e.quota_fen = sqlite3_column_int64(st, 24);
        e.consumables_fen = sqlite3_column_int64(st, 25);
        e.consumables = text(st, 26);
        if (fn(ctx, &e))
            break;
    }
    rc = step == SQLITE_ROW || step == SQLITE_DONE ? TT_OK : TT_ERR_DB;
    sqlite3_finalize(st);
    return rc;
}

static const char *const stage_names[TT_REPAIR_STAGES] = {
    "appraisal_selfcheck", "selfcheck_acceptance", "acceptance_issue"};

const char *tt_repair_stage_name(size_t i)
{
    return i < TT_REPAIR_STAGES ? stage_names[i] : NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank p-th percentile of sorted v[n] (n > 0): v[ceil(p n / 100) - 1]. */
static int64_t nearest_rank(const int64_t *v, size_t n, unsigned p)
{
    size_t k = (p * n + 99) / 100;
    return v[k ? k - 1 : 0];
}

tt_err_t tt_repair_cycles(tt_db_t *db, const char *from, const char *to, const char *unit,
                          tt_repair_stage_t stages[TT_REPAIR_STAGES])
{
    /* Per repair: the appraisal, its last passed self-check before the
     * passed acceptance, that acceptance, and the issue; a stage counts
     * when both its ends are there.  Whole hours, floored. */
    static const char sql[] =
        "WITH r AS (SELECT a.id, a.at_ms AS ap,"
        "  (SELECT MIN(at_ms) FROM repair_doc WHERE repair = a.id AND kind = 'acceptance'"
        "    AND result = 'pass') AS ac,"
        "  (SELECT MIN(at_ms) FROM repair_doc WHERE repair = a.id AND kind = 'issue') AS iss"
        "  FROM repair_doc a WHERE a.kind = 'appraisal'"
        "  AND (?1 IS NULL OR a.day >= ?1) AND (?2 IS NULL OR a.day <= ?2)"
        "  AND (?3 IS NULL OR a.unit = ?3)),"
        " s AS (SELECT r.*, (SELECT MAX(at_ms) FROM repair_doc WHERE repair = r.id"
        "  AND kind = 'selfcheck' AND result = 'pass'"
        "  AND (r.ac IS NULL OR at_ms <= r.ac)) AS sc FROM r)"
        " SELECT 0, (sc - ap) / 3600000 FROM s WHERE sc IS NOT NULL"
        " UNION ALL SELECT 1, (ac - sc) / 3600000 FROM s WHERE ac IS NOT NULL AND sc IS NOT NULL"
        " UNION ALL SELECT 2, (iss - ac) / 3600000 FROM s WHERE iss IS NOT NULL"
        "  AND ac IS NOT NULL";
    sqlite3_stmt *st;
    int64_t *v[TT_REPAIR_STAGES] = {NULL, NULL, NULL};
    size_t n[TT_REPAIR_STAGES] = {0, 0, 0}, cap[TT_REPAIR_STAGES] = {0, 0, 0};
    tt_err_t rc = prepare(db, sql, &st);
    int step;

    memset(stages, 0, TT_REPAIR_STAGES * sizeof *stages);
    if (rc != TT_OK)
        return rc;
    bind_filter(st, 1, from);
    bind_filter(st, 2, to);
    bind_filter(st, 3, unit);
    while (rc == TT_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int i = sqlite3_column_int(st, 0);
        int64_t h = sqlite3_column_int64(st, 1);
        if (i < 0 || i >= TT_REPAIR_STAGES)
            continue;
        if (n[i] == cap[i]) {
            size_t c = cap[i] ? cap[i] * 2 : 64;
            int64_t *grown = realloc(v[i], c * sizeof *grown);
            if (!grown) {
                rc = TT_ERR_NOMEM;
                break;
            }
            v[i] = grown;
            cap[i] = c;
        }
        v[i][n[i]++] = h < 0 ? 0 : h;   /* a clock set back: no negative cycle */
    }
    if (rc == TT_OK && step != SQLITE_DONE)
        rc = TT_ERR_DB;
    sqlite3_finalize(st);
    for (int i = 0; i < TT_REPAIR_STAGES; i++) {
        if (rc == TT_OK && n[i]) {
            qsort(v[i], n[i], sizeof *v[i], cmp_i64);
            stages[i].n = n[i];
            stages[i].median_h = nearest_rank(v[i], n[i], 50);
            stages[i].p90_h = nearest_rank(v[i], n[i], 90);
        }
        free(v[i]);
    }
    return rc;
}

tt_err_t tt_repair_costs_each(tt_db_t *db, const char *from_month, const char *to_month,
                              const char *unit, const char *model,
                              int (*fn)(void *ctx, const tt_repair_cost_t *c), void *ctx)
{
    /* A repair's costs: its latest appraisal or details document carrying
     * costs (labour, machine, auxiliary, standard) and quota, plus the
     * allocations of all its consumables. */
    static const char sql[] =
        "WITH r AS (SELECT a.id, COALESCE(a.unit, '') AS unit, e.model,"
        "  substr(a.day, 1, 7) AS month,"
        "  (SELECT id FROM repair_doc WHERE repair = a.id AND kind IN ('appraisal', 'details')"
        "    AND labour_fen IS NOT NULL ORDER BY id DESC LIMIT 1) AS c,"
        "  (SELECT quota_fen FROM repair_doc WHERE repair = a.id"
        "    AND kind IN ('appraisal', 'details') AND quota_fen IS NOT NULL"
        "    ORDER BY id DESC LIMIT 1) AS quota,"
        "  (SELECT COALESCE(SUM(al.value_fen), 0) FROM repair_doc d"
        "    JOIN repair_consumable k ON k.doc = d.id JOIN alloc al ON al.movement = k.movement"
        "    WHERE d.repair = a.id) AS cons"
        "  FROM repair_doc a JOIN equipment e ON e.asset = a.asset WHERE a.kind = 'appraisal')"
        " SELECT r.unit, r.model, r.month, COUNT(*),"
        "  COALESCE(SUM(c.labour_fen), 0), COALESCE(SUM(c.machine_fen), 0),"
        "  COALESCE(SUM(c.auxiliary_fen), 0), SUM(r.cons), COALESCE(SUM(c.standard_fen), 0),"
        "  COALESCE(SUM(r.quota), 0)"
        " FROM r LEFT JOIN repair_doc c ON c.id = r.c"
        " WHERE (?1 IS NULL OR r.month >= ?1) AND (?2 IS NULL OR r.month <= ?2)"
        "  AND (?3 IS NULL OR r.unit = ?3) AND (?4 IS NULL OR r.model = ?4)"
        " GROUP BY r.unit, r.model, r.month ORDER BY r.unit, r.model, r.month";
    sqlite3_stmt *st;
    tt_err_t rc = prepare(db, sql, &st);
    int step;

    if (rc != TT_OK)
        return rc;
    bind_filter(st, 1, from_month);
    bind_filter(st, 2, to_month);
    bind_filter(st, 3, unit);
    bind_filter(st, 4, model);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        tt_repair_cost_t c;
        memset(&c, 0, sizeof c);
        c.unit = text(st, 0);
        c.model = text(st, 1);
        c.month = text(st, 2);
        c.repairs = sqlite3_column_int64(st, 3);
        c.labour_fen = sqlite3_column_int64(st, 4);
        c.machine_fen = sqlite3_column_int64(st, 5);
        c.auxiliary_fen = sqlite3_column_int64(st, 6);
        c.consumables_fen = sqlite3_column_int64(st, 7);
        c.standard_fen = sqlite3_column_int64(st, 8);
        c.quota_fen = sqlite3_column_int64(st, 9);
        c.total_fen = c.labour_fen + c.machine_fen + c.auxiliary_fen + c.consumables_fen;
        if (fn(ctx, &c))
            break;
    }
    rc = step == SQLITE_ROW || step == SQLITE_DONE ? TT_OK : TT_ERR_DB;
    sqlite3_finalize(st);
    return rc;
}
