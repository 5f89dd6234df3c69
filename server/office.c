#include "office.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ledger.h"
#include "money.h"
#include "repair.h"
#include "revolve.h"
#include "spares.h"
#include "wire.h"

#define REASON_MAX 320

struct tt_office {
    tt_db_t *db;
    tt_ledger_t *ledger;
    tt_revolve_t *revolve;
    tt_spares_t *spares;
    tt_repair_t *repair;
};

/* A decoded document and the storage its lines point into. */
typedef struct {
    tt_ledger_doc_t doc;
    tt_ledger_line_t *lines;
    tt_ledger_line_t *consume;   /* every line's consume lines, back to back */
} request_t;

tt_err_t tt_office_open(const char *db_path, tt_office_t **out, char *err, size_t errlen)
{
    tt_office_t *o = calloc(1, sizeof *o);
    tt_err_t rc;

    *out = NULL;
    if (!o)
        return TT_ERR_NOMEM;
    rc = tt_db_open_tool(db_path, &o->db, err, errlen);
    if (rc == TT_OK) {
        rc = tt_ledger_open(o->db, &o->ledger);
        if (rc == TT_OK)
            rc = tt_revolve_open(o->db, o->ledger, &o->revolve);
        if (rc == TT_OK)
            rc = tt_spares_open(o->db, &o->spares);
        if (rc == TT_OK)
            rc = tt_repair_open(o->db, o->ledger, &o->repair);
        if (rc != TT_OK)
            snprintf(err, errlen, "office: cannot prepare the ledger: %s", tt_strerror(rc));
    }
    if (rc != TT_OK) {
        tt_office_close(o);
        return rc;
    }
    *out = o;
    return TT_OK;
}

void tt_office_close(tt_office_t *o)
{
    if (!o)
        return;
    tt_repair_close(o->repair);
    tt_spares_close(o->spares);
    tt_revolve_close(o->revolve);
    tt_ledger_close(o->ledger);
    tt_db_close(o->db);
    free(o);
}

static const char *const routes[] = {
    "/api/v1/documents", "/api/v1/periods/close", "/api/v1/safety-marks",
    "/api/v1/expense-tags", "/api/v1/exceptions/resolve", "/api/v1/revolving",
    "/api/v1/spares", "/api/v1/spares/events", "/api/v1/repair/docs", "/api/v1/repair/quotas",
};

int tt_office_route(const char *route)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp(route, routes[i]) == 0)
            return 1;
    return 0;
}

/* --- field readers: each says which field was wrong ---------------------- */

static int read_id(const cJSON *j, const char *name, char *dst, size_t cap, int required,
                   char *reason, size_t rlen)
{
    if (!j) {
        if (required)
            tt_wire_say(reason, rlen, "%s: missing", name);
        return !required;
    }
    if (!tt_wire_read_str(j, dst, cap, !required)) {
        tt_wire_say(reason, rlen, "%s: must be a string of 1 to %zu bytes", name, cap - 1);
        return 0;
    }
    return 1;
}

static int read_qty(const cJSON *j, const char *name, tt_qty_t *out, char *reason, size_t rlen)
{
    if (!cJSON_IsString(j) || tt_qty_parse(j->valuestring, out) != TT_OK) {
        tt_wire_say(reason, rlen, "%s: must be a decimal string with at most 3 decimals", name);
        return 0;
    }
    return 1;
}

static int read_money(const cJSON *j, const char *name, tt_fen_t *out, char *reason,
                      size_t rlen)
{
    if (!cJSON_IsString(j) || tt_money_parse(j->valuestring, out) != TT_OK || *out < 0) {
        tt_wire_say(reason, rlen, "%s: must be a decimal string of yuan >= 0 with at most 2 "
                    "decimals", name);
        return 0;
    }
    return 1;
}

static int read_int(const cJSON *j, const char *name, int64_t *out, char *reason, size_t rlen)
{
    uint64_t v;
    if (!tt_wire_read_uint(j, (1ULL << 53), &v) || v == 0) {
        tt_wire_say(reason, rlen, "%s: must be a positive integer", name);
        return 0;
    }
    *out = (int64_t)v;
    return 1;
}

static const struct {
    const char *name;
    tt_ledger_kind_t kind;
} kinds[] = {
    {"receipt", TT_LEDGER_RECEIPT},     {"issue", TT_LEDGER_ISSUE},
    {"transfer", TT_LEDGER_TRANSFER},   {"stockback", TT_LEDGER_STOCKBACK},
    {"old_return", TT_LEDGER_OLD_RETURN}, {"count", TT_LEDGER_COUNT},
    {"exclusion", TT_LEDGER_EXCLUSION},
};

static const struct {
    const char *name;
    tt_ledger_source_t source;
} sources[] = {
    {"purchase", TT_LEDGER_PURCHASE},       {"outsourced", TT_LEDGER_OUTSOURCED},
    {"processed", TT_LEDGER_PROCESSED},     {"refurbished", TT_LEDGER_REFURBISHED},
    {"small_electric", TT_LEDGER_SMALL_ELECTRIC},
};

enum {
    L_WAREHOUSE, L_TO, L_UNIT, L_ITEM, L_QTY, L_VALUE, L_PRICE, L_PLAN, L_REF, L_SOURCE,
    L_LABOUR, L_MATERIAL, L_CONSUME, L_NOTE, L_COUNT
};
static const char *const line_fields[L_COUNT] = {
    "warehouse", "to", "unit", "item", "qty", "value", "unit_price", "plan", "ref", "source",
    "labour", "material", "consume", "note",
};

/* Reads one line (or, nested, one consume line: only warehouse, item, qty). */
static int read_line(const cJSON *j, tt_ledger_kind_t kind, int nested, tt_ledger_line_t *ln,
                     char *where, char *reason, size_t rlen)
{
    static const char *const nested_fields[] = {"warehouse", "item", "qty"};
    const cJSON *f[L_COUNT] = {NULL}, *g[3];
    char bad[TT_WIRE_NAME_SHOWN], r[REASON_MAX];
    tt_wire_members_t m;

    memset(ln, 0, sizeof *ln);
    ln->kind = kind;
    if (nested) {
        m = tt_wire_find(j, nested_fields, g, 3, 0, bad);
        f[L_WAREHOUSE] = g[0];
        f[L_ITEM] = g[1];
        f[L_QTY] = g[2];
    } else {
        m = tt_wire_find(j, line_fields, f, L_COUNT, 0, bad);
    }
    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, rlen, where, m, bad);
        return 0;
    }
    r[0] = '\0';
    if (!read_id(f[L_WAREHOUSE], "warehouse", ln->warehouse, sizeof ln->warehouse,
                 kind != TT_LEDGER_EXCLUSION, r, sizeof r) ||
        !read_id(f[L_TO], "to", ln->to_wh, sizeof ln->to_wh, 0, r, sizeof r) ||
        !read_id(f[L_UNIT], "unit", ln->unit, sizeof ln->unit, 0, r, sizeof r) ||
        !read_id(f[L_ITEM], "item", ln->item, sizeof ln->item, 1, r, sizeof r) ||
        !read_qty(f[L_QTY], "qty", &ln->qty, r, sizeof r) ||
        !read_id(f[L_PLAN], "plan", ln->plan_serial, sizeof ln->plan_serial, 0, r, sizeof r) ||
        !read_id(f[L_REF], "ref", ln->ref, sizeof ln->ref, 0, r, sizeof r) ||
        (f[L_VALUE] && !read_money(f[L_VALUE], "value", &ln->value, r, sizeof r)) ||
        (f[L_PRICE] && !read_money(f[L_PRICE], "unit_price", &ln->unit_price, r, sizeof r)) ||
        (f[L_LABOUR] && !read_money(f[L_LABOUR], "labour", &ln->labour, r, sizeof r)) ||
        (f[L_MATERIAL] && !read_money(f[L_MATERIAL], "material", &ln->material, r, sizeof r)) ||
        (f[L_NOTE] && !tt_wire_read_str(f[L_NOTE], ln->note, sizeof ln->note, 1) &&
         (tt_wire_say(r, sizeof r, "note: must be a string of at most %zu bytes",
                      sizeof ln->note - 1), 1))) {
        tt_wire_say(reason, rlen, "%s: %s", where, r);
        return 0;
    }
    ln->has_value = f[L_VALUE] != NULL;
    if (f[L_VALUE] && f[L_PRICE]) {
        tt_wire_say(reason, rlen, "%s: give value or unit_price, not both", where);
        return 0;
    }
    if (f[L_SOURCE]) {
        size_t i;
        for (i = 0; i < sizeof sources / sizeof sources[0]; i++)
            if (cJSON_IsString(f[L_SOURCE]) &&
                strcmp(f[L_SOURCE]->valuestring, sources[i].name) == 0)
                break;
        if (i == sizeof sources / sizeof sources[0]) {
            tt_wire_say(reason, rlen, "%s: source: one of purchase, outsourced, processed, "
                        "refurbished, small_electric", where);
            return 0;
        }
        ln->source = sources[i].source;
    } else if (kind == TT_LEDGER_RECEIPT) {
        ln->source = TT_LEDGER_PURCHASE;
    }
    return 1;
}

/* Decodes a document request into *rq (freed by request_free). */
static int read_document(const cJSON *root, request_t *rq, char *reason, size_t rlen)
{
    static const char *const names[] = {"kind", "doc", "day", "operator", "approver", "lines"};
    const cJSON *f[6], *ln;
    char bad[TT_WIRE_NAME_SHOWN], where[48];
    tt_wire_members_t m = tt_wire_find(root, names, f, 6, 0, bad);
    tt_ledger_kind_t kind = 0;
    size_t n, nconsume = 0, used = 0, i = 0;

    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, rlen, "document", m, bad);
        return 0;
    }
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (cJSON_IsString(f[0]) && strcmp(f[0]->valuestring, kinds[k].name) == 0)
            kind = kinds[k].kind;
    if (!kind) {
        tt_wire_say(reason, rlen, "kind: one of receipt, issue, transfer, stockback, "
                    "old_return, count, exclusion");
        return 0;
    }
    if (!read_id(f[1], "doc", rq->doc.doc, sizeof rq->doc.doc, 0, reason, rlen) ||
        !read_id(f[2], "day", rq->doc.day, sizeof rq->doc.day, 1, reason, rlen) ||
        !read_id(f[3], "operator", rq->doc.operator_id, sizeof rq->doc.operator_id, 1, reason,
                 rlen) ||
        !read_id(f[4], "approver", rq->doc.approver, sizeof rq->doc.approver, 0, reason, rlen))
        return 0;
    n = cJSON_IsArray(f[5]) ? (size_t)cJSON_GetArraySize(f[5]) : 0;
    if (n == 0 || n > TT_LEDGER_LINES_MAX) {
        tt_wire_say(reason, rlen, "lines: must be an array of 1 to %d lines", TT_LEDGER_LINES_MAX);
        return 0;
    }
    cJSON_ArrayForEach(ln, f[5]) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(ln, "consume");
        if (c && !cJSON_IsArray(c)) {
            tt_wire_say(reason, rlen, "lines[%zu]: consume: must be an array", i + 1);
            return 0;
        }
        nconsume += c ? (size_t)cJSON_GetArraySize(c) : 0;
        i++;
    }
    if (nconsume > TT_LEDGER_LINES_MAX) {
        tt_wire_say(reason, rlen, "lines: at most %d consumed materials in all",
                    TT_LEDGER_LINES_MAX);
        return 0;
    }
    rq->lines = calloc(n, sizeof *rq->lines);
    rq->consume = nconsume ? calloc(nconsume, sizeof *rq->consume) : NULL;
    if (!rq->lines || (nconsume && !rq->consume)) {
        tt_wire_say(reason, rlen, "out of memory");
        return 0;
    }
    i = 0;
    cJSON_ArrayForEach(ln, f[5]) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(ln, "consume"), *cl;
        size_t k = 0;
        snprintf(where, sizeof where, "lines[%zu]", i + 1);
        if (!read_line(ln, kind, 0, &rq->lines[i], where, reason, rlen))
            return 0;
        if (c && cJSON_GetArraySize(c) > 0) {
            rq->lines[i].consume = rq->consume + used;
            cJSON_ArrayForEach(cl, c) {
                snprintf(where, sizeof where, "lines[%zu].consume[%zu]", i + 1, k + 1);
                if (!read_line(cl, TT_LEDGER_ISSUE, 1, &rq->consume[used], where, reason, rlen))
                    return 0;
                used++;
                k++;
            }
            rq->lines[i].nconsume = k;
        }
        i++;
    }
    rq->doc.lines = rq->lines;
    rq->doc.nlines = n;
    return 1;
}

static int status_of(tt_err_t rc)
{
    switch (rc) {
    case TT_OK: return 201;
    case TT_ERR_INVAL: case TT_ERR_PARSE: case TT_ERR_RANGE: case TT_ERR_PROTO: return 400;
    case TT_ERR_NOTFOUND: return 404;
    case TT_ERR_STOCK: case TT_ERR_CLOSED: case TT_ERR_EXISTS: case TT_ERR_CONFLICT: return 409;
    case TT_ERR_FULL: return 507;
    default: return 500;
    }
}

/* Reads the members of a small act request; all named members required
 * except those whose bit is set in `optional`. */
static int read_act(const cJSON *root, const char *const *names, const cJSON **f, size_t n,
                    unsigned optional, char *reason, size_t rlen)
{
    char bad[TT_WIRE_NAME_SHOWN];
    tt_wire_members_t m = tt_wire_find(root, names, f, n, 0, bad);
    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, rlen, "request", m, bad);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (!f[i] && !(optional & (1u << i))) {
            tt_wire_say(reason, rlen, "%s: missing", names[i]);
            return 0;
        }
    return 1;
}

/* A revolving-material movement (server/revolve.h). */
static tt_err_t revolving(tt_office_t *o, const cJSON *root, int64_t now, cJSON *out,
                          char *reason, size_t rlen)
{
    static const char *const names[] = {"action", "doc", "day", "operator", "warehouse",
                                        "model", "unit", "to_unit", "handover", "qty", "note"};
    const cJSON *f[11];
    char doc[TT_LEDGER_DOC_MAX + 1] = "", day[TT_LEDGER_DAY_LEN + 1], op[TT_EVENT_ID_MAX + 1];
    tt_revolve_move_t mv;
    int64_t id = 0;
    int action;
    tt_err_t rc;

    memset(&mv, 0, sizeof mv);
    /* optional: doc, warehouse, model, unit, to_unit, handover, qty, note */
    if (!read_act(root, names, f, 11, 0x7f2u, reason, rlen))
        return TT_ERR_INVAL;
    action = cJSON_IsString(f[0]) ? tt_revolve_action_parse(f[0]->valuestring) : 0;
    if (!action) {
        tt_wire_say(reason, rlen, "action: one of draw, handover, confirm, refuse, loss, "
                    "burial, scrap");
        return TT_ERR_INVAL;
    }
    mv.action = (tt_revolve_action_t)action;
    if (!read_id(f[1], "doc", doc, sizeof doc, 0, reason, rlen) ||
        !read_id(f[2], "day", day, sizeof day, 1, reason, rlen) ||
        !read_id(f[3], "operator", op, sizeof op, 1, reason, rlen) ||
        !read_id(f[4], "warehouse", mv.warehouse, sizeof mv.warehouse, 0, reason, rlen) ||
        !read_id(f[5], "model", mv.model, sizeof mv.model, 0, reason, rlen) ||
        !read_id(f[6], "unit", mv.unit, sizeof mv.unit, 0, reason, rlen) ||
        !read_id(f[7], "to_unit", mv.to_unit, sizeof mv.to_unit, 0, reason, rlen) ||
        (f[8] && !read_int(f[8], "handover", &mv.handover, reason, rlen)) ||
        (f[9] && !read_qty(f[9], "qty", &mv.qty, reason, rlen)) ||
        !read_id(f[10], "note", mv.note, sizeof mv.note, 0, reason, rlen))
        return TT_ERR_INVAL;
    if (doc[0] && (rc = tt_ledger_doc_used(o->ledger, doc)) != TT_OK) {
        if (rc == TT_ERR_EXISTS)
            tt_wire_say(reason, rlen, "document %s is already recorded", doc);
        return rc;
    }
    rc = tt_revolve_apply(o->revolve, &mv, doc, day, op, now, &id, reason, rlen);
    if (rc == TT_OK)
        cJSON_AddNumberToObject(out, "movement", (double)id);
    return rc;
}

/* Registering a spare part kept on site, or recording its replacement or
 * repair (server/spares.h). */
static tt_err_t spares(tt_office_t *o, const char *route, const cJSON *root, int64_t now,
                       cJSON *out, char *reason, size_t rlen)
{
    char by[TT_EVENT_ID_MAX + 1];
    int64_t id = 0;
    tt_err_t rc;

    if (strcmp(route, "/api/v1/spares") == 0) {
        static const char *const names[] = {"unit", "item", "serial", "location", "since",
                                            "note", "by"};
        const cJSON *f[7];
        tt_spares_part_t p;
        memset(&p, 0, sizeof p);
        if (!read_act(root, names, f, 7, 1u << 5, reason, rlen) ||
            !read_id(f[0], "unit", p.unit, sizeof p.unit, 1, reason, rlen) ||
            !read_id(f[1], "item", p.item, sizeof p.item, 1, reason, rlen) ||
            !read_id(f[2], "serial", p.serial, sizeof p.serial, 1, reason, rlen) ||
            !read_id(f[3], "location", p.location, sizeof p.location, 1, reason, rlen) ||
            !read_id(f[4], "since", p.since, sizeof p.since, 1, reason, rlen) ||
            !read_id(f[5], "note", p.note, sizeof p.note, 0, reason, rlen) ||
            !read_id(f[6], "by", by, sizeof by, 1, reason, rlen))
            return TT_ERR_INVAL;
        rc = tt_spares_register(o->spares, &p, by, now, &id, reason, rlen);
        if (rc == TT_OK)
            cJSON_AddNumberToObject(out, "part", (double)id);
        return rc;
    } else {
        static const char *const names[] = {"part", "kind", "day", "note", "movement", "by"};
        const cJSON *f[6];
        char day[TT_LEDGER_DAY_LEN + 1], note[TT_LEDGER_TEXT_MAX];
        int64_t part, mv = 0;
        int kind;
        if (!read_act(root, names, f, 6, 1u << 4, reason, rlen) ||
            !read_int(f[0], "part", &part, reason, rlen))
            return TT_ERR_INVAL;
        kind = cJSON_IsString(f[1]) ? tt_spares_kind_parse(f[1]->valuestring) : 0;
        if (!kind) {
            tt_wire_say(reason, rlen, "kind: replacement or repair");
            return TT_ERR_INVAL;
        }
        if (!read_id(f[2], "day", day, sizeof day, 1, reason, rlen) ||
            !read_id(f[3], "note", note, sizeof note, 1, reason, rlen) ||
            (f[4] && !read_int(f[4], "movement", &mv, reason, rlen)) ||
            !read_id(f[5], "by", by, sizeof by, 1, reason, rlen))
            return TT_ERR_INVAL;
        rc = tt_spares_record(o->spares, part, (tt_spares_kind_t)kind, day, note, mv, by, now,
                              &id, reason, rlen);
        if (rc == TT_OK)
            cJSON_AddNumberToObject(out, "event", (double)id);
        return rc;
    }
}

/* The consumables of a self-check: [{warehouse, item, qty}], into *out
 * (malloc'ed, the caller frees). */
static int read_consumables(const cJSON *j, tt_repair_consumable_t **out, size_t *n,
                            char *reason, size_t rlen)
{
    static const char *const names[] = {"warehouse", "item", "qty"};
    const cJSON *e;
    size_t i = 0;

    *out = NULL;
    *n = 0;
    if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) > TT_REPAIR_CONSUMABLES_MAX) {
        tt_wire_say(reason, rlen, "consumables: an array of at most %d lines",
                    TT_REPAIR_CONSUMABLES_MAX);
        return 0;
    }
    if (cJSON_GetArraySize(j) == 0)
        return 1;
    *out = calloc((size_t)cJSON_GetArraySize(j), sizeof **out);
    if (!*out) {
        tt_wire_say(reason, rlen, "out of memory");
        return 0;
    }
    cJSON_ArrayForEach(e, j) {
        const cJSON *f[3];
        char where[48];
        snprintf(where, sizeof where, "consumables[%zu]", i);
        if (!cJSON_IsObject(e) || !read_act(e, names, f, 3, 0, reason, rlen) ||
            !read_id(f[0], "warehouse", (*out)[i].warehouse, sizeof (*out)[i].warehouse, 1,
                     reason, rlen) ||
            !read_id(f[1], "item", (*out)[i].item, sizeof (*out)[i].item, 1, reason, rlen) ||
            !read_qty(f[2], "qty", &(*out)[i].qty, reason, rlen)) {
            char tmp[REASON_MAX];
            snprintf(tmp, sizeof tmp, "%s: %s", where,
                     reason[0] ? reason : "must be an object {warehouse, item, qty}");
            snprintf(reason, rlen, "%s", tmp);
            return 0;
        }
        i++;
    }
    *n = i;
    return 1;
}

/* A repair document (server/repair.h): intake, appraisal (with its costs),
 * details, selfcheck (with consumables), acceptance, issue. */
static tt_err_t repair_doc(tt_office_t *o, const cJSON *root, int64_t now, cJSON *out,
                           char *reason, size_t rlen)
{
    static const char *const names[] = {"kind", "asset", "result", "contents", "people", "unit",
                                        "day", "operator", "labour_minutes", "labour",
                                        "machine", "auxiliary", "standard", "consumables"};
    const cJSON *f[14];
    tt_repair_doc_t d;
    tt_repair_consumable_t *cons = NULL;
    tt_repair_result_t res;
    char money[32];
    uint64_t minutes;
    int ncost = 0;
    tt_err_t rc;

    memset(&d, 0, sizeof d);
    /* kind, asset and operator are required */
    if (!read_act(root, names, f, 14, ~0u & ~((1u << 0) | (1u << 1) | (1u << 7)), reason, rlen))
        return TT_ERR_INVAL;
    d.kind = cJSON_IsString(f[0]) ? (tt_repair_kind_t)tt_repair_kind_parse(f[0]->valuestring)
                                  : (tt_repair_kind_t)0;
    if (!d.kind) {
        tt_wire_say(reason, rlen,
                    "kind: intake, appraisal, details, selfcheck, acceptance or issue");
        return TT_ERR_INVAL;
    }
    if (!read_id(f[1], "asset", d.asset, sizeof d.asset, 1, reason, rlen) ||
        !read_id(f[2], "result", d.result, sizeof d.result, 0, reason, rlen) ||
        !read_id(f[3], "contents", d.contents, sizeof d.contents, 0, reason, rlen) ||
        !read_id(f[4], "people", d.people, sizeof d.people, 0, reason, rlen) ||
        !read_id(f[5], "unit", d.unit, sizeof d.unit, 0, reason, rlen) ||
        !read_id(f[6], "day", d.day, sizeof d.day, 0, reason, rlen) ||
        !read_id(f[7], "operator", d.operator_id, sizeof d.operator_id, 1, reason, rlen))
        return TT_ERR_INVAL;
    if (!d.day[0] && tt_ledger_day(now, d.day) != TT_OK)
        return TT_ERR_RANGE;
    /* The costs come together or not at all. */
    for (int i = 8; i <= 12; i++)
        ncost += f[i] != NULL;
    if (ncost && ncost != 5) {
        tt_wire_say(reason, rlen, "labour_minutes, labour, machine, auxiliary, standard: all "
                    "or none");
        return TT_ERR_INVAL;
    }
    if (ncost) {
        if (!tt_wire_read_uint(f[8], TT_LEDGER_QTY_MAX, &minutes)) {
            tt_wire_say(reason, rlen, "labour_minutes: must be an integer >= 0");
            return TT_ERR_INVAL;
        }
        d.has_costs = 1;
        d.labour_minutes = (int64_t)minutes;
        if (!read_money(f[9], "labour", &d.labour_fen, reason, rlen) ||
            !read_money(f[10], "machine", &d.machine_fen, reason, rlen) ||
            !read_money(f[11], "auxiliary", &d.auxiliary_fen, reason, rlen) ||
            !read_money(f[12], "standard", &d.standard_fen, reason, rlen))
            return TT_ERR_INVAL;
    }
    if (f[13] && !read_consumables(f[13], &cons, &d.nconsumables, reason, rlen)) {
        free(cons);
        return TT_ERR_INVAL;
    }
    d.consumables = cons;
    rc = tt_repair_post(o->repair, &d, now, &res, reason, rlen);
    free(cons);
    if (rc == TT_OK) {
        tt_money_format(res.consumables_fen, money, sizeof money);
        cJSON_AddNumberToObject(out, "id", (double)res.id);
        cJSON_AddNumberToObject(out, "repair", (double)res.repair);
        cJSON_AddStringToObject(out, "asset", res.asset);
        cJSON_AddStringToObject(out, "state", res.state);
        cJSON_AddStringToObject(out, "ledger_doc", res.ledger_doc);
        cJSON_AddStringToObject(out, "consumables", money);
    }
    return rc;
}

/* A new version of the labour dept's main-material quota. */
static tt_err_t repair_quota(tt_office_t *o, const cJSON *root, int64_t now, cJSON *out,
                             char *reason, size_t rlen)
{
    static const char *const names[] = {"model", "class", "quota", "by"};
    const cJSON *f[4];
    char model[TT_REPAIR_TEXT_MAX], cls[TT_REPAIR_STATE_MAX], by[TT_EVENT_ID_MAX + 1];
    tt_fen_t quota;
    int64_t id = 0;
    tt_err_t rc;

    if (!read_act(root, names, f, 4, 0, reason, rlen) ||
        !read_id(f[0], "model", model, sizeof model, 1, reason, rlen) ||
        !read_id(f[1], "class", cls, sizeof cls, 1, reason, rlen) ||
        !read_money(f[2], "quota", &quota, reason, rlen) ||
        !read_id(f[3], "by", by, sizeof by, 1, reason, rlen))
        return TT_ERR_INVAL;
    rc = tt_repair_set_quota(o->repair, model, cls, quota, by, now, &id, reason, rlen);
    if (rc == TT_OK)
        cJSON_AddNumberToObject(out, "quota", (double)id);
    return rc;
}

/* Runs one request in its own transaction; fills `out` on success. */
static tt_err_t act(tt_office_t *o, const char *route, const cJSON *root, int64_t now,
                    cJSON *out, char *reason, size_t rlen)
{
    char a[TT_LEDGER_TEXT_MAX], b[TT_LEDGER_TEXT_MAX], c[TT_LEDGER_TEXT_MAX];
    char d[TT_LEDGER_TEXT_MAX];
    tt_err_t rc;

    if (strcmp(route, "/api/v1/documents") == 0) {
        request_t rq;
        tt_ledger_result_t res;
        memset(&rq, 0, sizeof rq);
        rc = read_document(root, &rq, reason, rlen) ? TT_OK : TT_ERR_INVAL;
        /* A paper number is posted once: the same request sent again (a
         * lost answer, a double click) is refused, not doubled. */
        if (rc == TT_OK && rq.doc.doc[0] &&
            (rc = tt_ledger_doc_used(o->ledger, rq.doc.doc)) == TT_ERR_EXISTS)
            tt_wire_say(reason, rlen, "document %s is already recorded", rq.doc.doc);
        if (rc == TT_OK)
            rc = tt_ledger_post(o->ledger, &rq.doc, now, &res, reason, rlen);
        free(rq.lines);
        free(rq.consume);
        if (rc == TT_OK) {
            cJSON_AddStringToObject(out, "doc", res.doc);
            cJSON_AddNumberToObject(out, "first_movement", (double)res.first_movement);
            cJSON_AddNumberToObject(out, "reallocated", (double)res.reallocated);
        }
        return rc;
    }
    if (strcmp(route, "/api/v1/periods/close") == 0) {
        static const char *const names[] = {"month", "by"};
        const cJSON *f[2];
        if (!read_act(root, names, f, 2, 0, reason, rlen) ||
            !read_id(f[0], "month", a, TT_LEDGER_MONTH_LEN + 1, 1, reason, rlen) ||
            !read_id(f[1], "by", b, TT_EVENT_ID_MAX + 1, 1, reason, rlen))
            return TT_ERR_INVAL;
        rc = tt_ledger_close_period(o->ledger, a, b, now, reason, rlen);
        if (rc == TT_OK)
            cJSON_AddStringToObject(out, "closed", a);
        return rc;
    }
    if (strcmp(route, "/api/v1/safety-marks") == 0) {
        static const char *const names[] = {"movement", "lot", "category", "reason",
                                            "approver", "by"};
        const cJSON *f[6];
        int64_t mv, lot;
        if (!read_act(root, names, f, 6, 0, reason, rlen) ||
            !read_int(f[0], "movement", &mv, reason, rlen) ||
            !read_int(f[1], "lot", &lot, reason, rlen) ||
            !read_id(f[2], "category", a, TT_EVENT_ID_MAX + 1, 1, reason, rlen) ||
            !read_id(f[3], "reason", b, sizeof b, 1, reason, rlen) ||
            !read_id(f[4], "approver", c, TT_EVENT_ID_MAX + 1, 1, reason, rlen) ||
            !read_id(f[5], "by", d, TT_EVENT_ID_MAX + 1, 1, reason, rlen))
            return TT_ERR_INVAL;
        rc = tt_ledger_mark_safety(o->ledger, mv, lot, a, b, c, d, now, reason, rlen);
        if (rc == TT_OK)
            cJSON_AddBoolToObject(out, "marked", 1);
        return rc;
    }
    if (strcmp(route, "/api/v1/expense-tags") == 0) {
        static const char *const names[] = {"movement", "tag", "by"};
        const cJSON *f[3];
        int64_t mv;
        if (!read_act(root, names, f, 3, 0, reason, rlen) ||
            !read_int(f[0], "movement", &mv, reason, rlen) ||
            !read_id(f[1], "tag", a, TT_EVENT_ID_MAX + 1, 1, reason, rlen) ||
            !read_id(f[2], "by", b, TT_EVENT_ID_MAX + 1, 1, reason, rlen))
            return TT_ERR_INVAL;
        rc = tt_ledger_tag_expense(o->ledger, mv, a, b, now, reason, rlen);
        if (rc == TT_OK)
            cJSON_AddBoolToObject(out, "tagged", 1);
        return rc;
    }
    if (strcmp(route, "/api/v1/exceptions/resolve") == 0) {
        static const char *const names[] = {"terminal", "seq", "movement", "note", "by"};
        const cJSON *f[5];
        int64_t seq, mv = 0;
        if (!read_act(root, names, f, 5, 1u << 2, reason, rlen) ||
            !read_id(f[0], "terminal", a, TT_EVENT_ID_MAX + 1, 1, reason, rlen) ||
            !read_int(f[1], "seq", &seq, reason, rlen) ||
            (f[2] && !read_int(f[2], "movement", &mv, reason, rlen)) ||
            !read_id(f[3], "note", b, sizeof b, 1, reason, rlen) ||
            !read_id(f[4], "by", c, TT_EVENT_ID_MAX + 1, 1, reason, rlen))
            return TT_ERR_INVAL;
        rc = tt_ledger_resolve(o->ledger, a, (uint64_t)seq, mv, c, b, now, reason, rlen);
        if (rc == TT_OK)
            cJSON_AddBoolToObject(out, "settled", 1);
        return rc;
    }
    if (strcmp(route, "/api/v1/revolving") == 0)
        return revolving(o, root, now, out, reason, rlen);
    if (strcmp(route, "/api/v1/spares") == 0 || strcmp(route, "/api/v1/spares/events") == 0)
        return spares(o, route, root, now, out, reason, rlen);
    if (strcmp(route, "/api/v1/repair/docs") == 0)
        return repair_doc(o, root, now, out, reason, rlen);
    if (strcmp(route, "/api/v1/repair/quotas") == 0)
        return repair_quota(o, root, now, out, reason, rlen);
    tt_wire_say(reason, rlen, "no such route");
    return TT_ERR_NOTFOUND;
}

tt_err_t tt_office_post(tt_office_t *o, const char *route, const char *body, size_t len,
                        int64_t now_ms, int *status, char **reply)
{
    char reason[REASON_MAX] = "";
    cJSON *root = NULL, *out = cJSON_CreateObject();
    tt_err_t rc;

    *reply = NULL;
    if (!out)
        return TT_ERR_NOMEM;
    if (!tt_office_route(route)) {
        rc = TT_ERR_NOTFOUND;
        tt_wire_say(reason, sizeof reason, "no such route");
    } else {
        rc = tt_wire_parse(body, len, &root, reason, sizeof reason);
    }
    if (rc == TT_OK && !cJSON_IsObject(root)) {
        rc = TT_ERR_PARSE;
        tt_wire_say(reason, sizeof reason, "the body must be a JSON object");
    }
    if (rc == TT_OK)
        rc = tt_db_begin(o->db);
    if (rc == TT_OK) {
        rc = act(o, route, root, now_ms, out, reason, sizeof reason);
        if (rc == TT_OK)
            rc = tt_db_commit(o->db);
        else
            tt_db_rollback(o->db);
        if (rc == TT_ERR_FULL || rc == TT_ERR_DB)
            snprintf(reason + strlen(reason), sizeof reason - strlen(reason), "%s%s",
                     reason[0] ? ": " : "", tt_strerror(rc));
    } else if (rc == TT_ERR_FULL || rc == TT_ERR_DB) {
        tt_wire_say(reason, sizeof reason, "%s", tt_strerror(rc));
    }
    cJSON_Delete(root);
    *status = status_of(rc);
    if (rc != TT_OK) {
        cJSON_Delete(out);
        out = cJSON_CreateObject();
        if (!out || !cJSON_AddStringToObject(out, "error", reason)) {
            cJSON_Delete(out);
            return TT_ERR_NOMEM;
        }
    }
    *reply = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    return *reply ? TT_OK : TT_ERR_NOMEM;
}
