#include "wfhooks.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "dbmaster.h"
#include "master.h"
#include "money.h"
#include "wire.h"
#include "workflow.h"

/* A plan instance with more lines than this is split by the office. */
#define LINES_MAX 99

typedef struct {
    char *name;
    tt_wfhook_fn fn;
    void *ctx;
} hook_t;

struct tt_wfhooks {
    hook_t *v;
    size_t n;
};

tt_wfhooks_t *tt_wfhooks_new(void)
{
    return calloc(1, sizeof(tt_wfhooks_t));
}

void tt_wfhooks_free(tt_wfhooks_t *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        free(h->v[i].name);
    free(h->v);
    free(h);
}

tt_err_t tt_wfhooks_add(tt_wfhooks_t *h, const char *name, tt_wfhook_fn fn, void *ctx)
{
    hook_t *grown;
    if (tt_wfhooks_find(h, name, NULL, NULL))
        return TT_ERR_EXISTS;
    grown = realloc(h->v, (h->n + 1) * sizeof *grown);
    if (!grown)
        return TT_ERR_NOMEM;
    h->v = grown;
    h->v[h->n].name = strdup(name);
    if (!h->v[h->n].name)
        return TT_ERR_NOMEM;
    h->v[h->n].fn = fn;
    h->v[h->n++].ctx = ctx;
    return TT_OK;
}

int tt_wfhooks_find(const tt_wfhooks_t *h, const char *name, tt_wfhook_fn *fn, void **ctx)
{
    for (size_t i = 0; h && i < h->n; i++) {
        if (strcmp(h->v[i].name, name) == 0) {
            if (fn)
                *fn = h->v[i].fn;
            if (ctx)
                *ctx = h->v[i].ctx;
            return 1;
        }
    }
    return 0;
}

/* Sets a variable the definition may not declare; undeclared is fine. */
static tt_err_t set_opt(const tt_wfdef_t *def, tt_wf_inst_t *in, const char *name, tt_wfv_t v)
{
    tt_err_t rc = tt_workflow_set(def, in, name, &v, 1);
    return rc == TT_ERR_NOTFOUND ? TT_OK : rc;
}

/* The plan lines of the instance, parsed (cJSON_Delete). */
static tt_err_t read_lines(const tt_wfdef_t *def, tt_wf_inst_t *in, cJSON **out, char *reason,
                           size_t rlen)
{
    tt_wfv_t v;
    *out = NULL;
    if (tt_workflow_get(def, in, "lines", &v) != TT_OK || v.type != TT_WFV_JSON) {
        snprintf(reason, rlen, "no plan lines: variable 'lines' (json) is not set");
        return TT_ERR_INVAL;
    }
    if (tt_wire_parse(v.s, strlen(v.s), out, reason, rlen) != TT_OK || !cJSON_IsArray(*out) ||
        cJSON_GetArraySize(*out) < 1 || cJSON_GetArraySize(*out) > LINES_MAX) {
        cJSON_Delete(*out);
        *out = NULL;
        snprintf(reason, rlen, "lines must be a list of 1-%d plan lines", LINES_MAX);
        return TT_ERR_INVAL;
    }
    return TT_OK;
}

/* Reads line i into *p (serial only when numbered). */
static tt_err_t line_of(tt_db_t *db, const cJSON *line, int i, tt_master_plan_t *p,
                        char *reason, size_t rlen)
{
    static const char *const names[] = {"item", "qty", "category", "serial"};
    const cJSON *f[4];
    char bad[TT_WIRE_NAME_SHOWN], qty[32];
    tt_err_t rc;

    memset(p, 0, sizeof *p);
    if (tt_wire_find(line, names, f, 4, 0, bad) != TT_WIRE_MEMBERS_OK || !f[0] || !f[1] ||
        !tt_wire_read_str(f[0], p->item, sizeof p->item, 0) ||
        !tt_wire_read_str(f[1], qty, sizeof qty, 0) ||
        (f[2] && !tt_wire_read_str(f[2], p->category, sizeof p->category, 1)) ||
        (f[3] && !tt_wire_read_str(f[3], p->serial, sizeof p->serial, 0))) {
        snprintf(reason, rlen, "line %d: expected {\"item\", \"qty\" (text), \"category\"?}",
                 i + 1);
        return TT_ERR_INVAL;
    }
    if (tt_qty_parse(qty, &p->qty) != TT_OK || p->qty <= 0) {
        snprintf(reason, rlen, "line %d: quantity '%s' is not a number above 0", i + 1, qty);
        return TT_ERR_INVAL;
    }
    if (p->category[0] && !tt_event_id_valid(p->category)) {
        snprintf(reason, rlen, "line %d: '%s' is not a safety category code", i + 1, p->category);
        return TT_ERR_INVAL;
    }
    rc = tt_dbmaster_item_exists(db, p->item);
    if (rc == TT_ERR_NOTFOUND)
        snprintf(reason, rlen, "line %d: item %s is not in the master data", i + 1, p->item);
    return rc == TT_ERR_NOTFOUND ? TT_ERR_INVAL : rc;
}

static tt_err_t plan_number(void *ctx, const tt_wfdef_t *def, tt_wf_inst_t *in, char *reason,
                            size_t rlen)
{
    tt_db_t *db = ctx;
    cJSON *lines, *line;
    char *text;
    int i = 0, y, m, d;
    tt_err_t rc = read_lines(def, in, &lines, reason, rlen);

    if (rc != TT_OK)
        return rc;
    tt_cal_ymd(tt_cal_day_of_ms(in->started_ms), &y, &m, &d);
    cJSON_ArrayForEach(line, lines) {
        tt_master_plan_t p;
        char serial[TT_EVENT_ID_MAX + 1];
        rc = line_of(db, line, i, &p, reason, rlen);
        if (rc != TT_OK)
            break;
        snprintf(serial, sizeof serial, "P%04d-%05lld-%02d", y, (long long)in->id, ++i);
        cJSON_DeleteItemFromObjectCaseSensitive(line, "serial");
        if (!cJSON_AddStringToObject(line, "serial", serial))
            rc = TT_ERR_NOMEM;
        if (rc != TT_OK)
            break;
    }
    text = rc == TT_OK ? cJSON_PrintUnformatted(lines) : NULL;
    cJSON_Delete(lines);
    if (rc != TT_OK)
        return rc;
    if (!text)
        return TT_ERR_NOMEM;
    rc = tt_workflow_set(def, in, "lines", &(tt_wfv_t){TT_WFV_JSON, 0, text}, 1);
    free(text);
    return rc == TT_OK ? set_opt(def, in, "line_count", (tt_wfv_t){TT_WFV_INT, i, NULL}) : rc;
}

/* Writes the numbered lines with `status`, stamped with one new master
 * version when anything changed. */
static tt_err_t plan_write(tt_db_t *db, const tt_wfdef_t *def, tt_wf_inst_t *in,
                           tt_plan_status_t status, char *reason, size_t rlen)
{
    cJSON *lines, *line, *list;
    uint64_t version = 0;
    int i = 0, any = 0;
    tt_err_t rc = read_lines(def, in, &lines, reason, rlen);

    if (rc == TT_OK && in->unit[0] && tt_dbmaster_unit_exists(db, in->unit) != TT_OK) {
        snprintf(reason, rlen, "unit %s is not in the master data", in->unit);
        rc = TT_ERR_INVAL;
    }
    if (rc == TT_OK)
        rc = tt_dbmaster_version(db, &version);
    list = rc == TT_OK ? lines : NULL;
    cJSON_ArrayForEach(line, list) {
        tt_master_plan_t p;
        int changed = 0;
        rc = line_of(db, line, i++, &p, reason, rlen);
        if (rc == TT_OK && !p.serial[0]) {
            snprintf(reason, rlen, "line %d has no plan serial: plan.number runs first", i);
            rc = TT_ERR_INVAL;
        }
        if (rc != TT_OK)
            break;
        /* The unit exists in the master data, so it fits an id. */
        snprintf(p.unit, sizeof p.unit, "%.*s", (int)(sizeof p.unit - 1), in->unit);
        p.status = status;
        rc = tt_dbmaster_put_plan(db, &p, version + 1, &changed);
        if (rc != TT_OK)
            break;
        any |= changed;
    }
    cJSON_Delete(lines);
    if (rc == TT_OK && any)
        rc = tt_dbmaster_set_version(db, version + 1);
    return rc;
}

static tt_err_t plan_approve(void *ctx, const tt_wfdef_t *def, tt_wf_inst_t *in, char *reason,
                             size_t rlen)
{
    return plan_write(ctx, def, in, TT_PLAN_APPROVED, reason, rlen);
}

static tt_err_t plan_reject(void *ctx, const tt_wfdef_t *def, tt_wf_inst_t *in, char *reason,
                            size_t rlen)
{
    return plan_write(ctx, def, in, TT_PLAN_REJECTED, reason, rlen);
}

static tt_err_t equipment_read(void *ctx, const tt_wfdef_t *def, tt_wf_inst_t *in, char *reason,
                               size_t rlen)
{
    tt_master_equipment_t e;
    tt_wfv_t asset;
    tt_err_t rc;
    int found;

    if (tt_workflow_get(def, in, "asset", &asset) != TT_OK || asset.type != TT_WFV_STR) {
        snprintf(reason, rlen, "variable 'asset' (string) is not set");
        return TT_ERR_INVAL;
    }
    rc = tt_dbmaster_equipment_get(ctx, asset.s, &e);
    if (rc != TT_OK && rc != TT_ERR_NOTFOUND)
        return rc;
    found = rc == TT_OK;
    if (!found)
        memset(&e, 0, sizeof e);
    rc = set_opt(def, in, "equipment_registered", (tt_wfv_t){TT_WFV_BOOL, found, NULL});
    if (rc == TT_OK)
        rc = set_opt(def, in, "equipment_active", (tt_wfv_t){TT_WFV_BOOL, e.active, NULL});
    if (rc == TT_OK)
        rc = set_opt(def, in, "equipment_model", (tt_wfv_t){TT_WFV_STR, 0, e.model});
    if (rc == TT_OK)
        rc = set_opt(def, in, "equipment_unit", (tt_wfv_t){TT_WFV_STR, 0, e.unit});
    if (rc == TT_OK)
        rc = set_opt(def, in, "equipment_state",
                     (tt_wfv_t){TT_WFV_STR, 0,
                                !found ? "unregistered" : e.active ? "registered" : "inactive"});
    return rc;
}

tt_err_t tt_wfhooks_register(tt_wfhooks_t *hooks, tt_db_t *db)
{
    tt_err_t rc = tt_wfhooks_add(hooks, "plan.number", plan_number, db);
    if (rc == TT_OK)
        rc = tt_wfhooks_add(hooks, "plan.approve", plan_approve, db);
    if (rc == TT_OK)
        rc = tt_wfhooks_add(hooks, "plan.reject", plan_reject, db);
    if (rc == TT_OK)
        rc = tt_wfhooks_add(hooks, "equipment.read", equipment_read, db);
    return rc;
}
