/*
 * repairbay: the counter's asset panel, its text and the step check (see
 * repairbay.h).
 */
#include "repairbay.h"

#include <stdio.h>
#include <string.h>

void tt_repairbay_show(tt_counter_asset_t *a, const tt_counter_lookup_t *lk, const char *asset,
                       const char *model)
{
    char m[sizeof a->model], n[sizeof a->row.asset];

    snprintf(m, sizeof m, "%s", model);   /* the arguments may point into *a */
    snprintf(n, sizeof n, "%s", asset);
    memset(a, 0, sizeof *a);
    a->shown = 1;
    a->known = lk->asset && lk->asset(lk->ctx, n, &a->row) == TT_OK;
    if (!a->known)
        memset(&a->row, 0, sizeof a->row);
    memcpy(a->model, m, sizeof a->model);
    memcpy(a->row.asset, n, sizeof a->row.asset);
}

void tt_repairbay_state_text(const tt_counter_asset_t *a, tt_counter_lang_t lang, char *buf,
                             size_t len)
{
    const tt_assets_entry_t *last = a->row.nsteps ? &a->row.steps[0] : NULL;
    int en = lang == TT_COUNTER_LANG_EN;
    const char *label = tt_assets_state_label(a->row.state, en);
    size_t n;

    if (!a->known || !label) {
        snprintf(buf, len, "%s", en ? "state not known here" : "本机无状态记录");
        return;
    }
    if (a->row.unit[0])
        snprintf(buf, len, en ? "%s (%s)" : "%s（%s）", label, a->row.unit);
    else
        snprintf(buf, len, "%s", label);
    n = strlen(buf);
    if (last && n + 1 < len)
        snprintf(buf + n, len - n, en ? ", last %s %s" : "，上次 %s %s",
                 tt_assets_step_label(last->step, en), last->result);
}

int tt_repairbay_fits(const tt_counter_asset_t *a, const tt_counter_line_t *lines,
                      size_t nlines, tt_assets_step_t step, const char *result, const char *unit,
                      tt_counter_lang_t lang, char *why, size_t len)
{
    tt_assets_state_t st = a->row.state, next;
    char holder[TT_EVENT_ID_MAX + 1], to[TT_EVENT_ID_MAX + 1];
    tt_assets_refusal_t r;

    if (!a->known)
        return 1;
    memcpy(holder, a->row.unit, sizeof holder);
    for (size_t i = 0; i < nlines; i++) {
        if (strcmp(lines[i].item, a->row.asset) == 0 &&
            tt_assets_next(st, holder, step, lines[i].result, unit, &next, to, NULL) ==
                TT_ASSETS_OK) {
            st = next;
            memcpy(holder, to, sizeof holder);
        }
    }
    r = tt_assets_next(st, holder, step, result, unit, &next, to, NULL);
    if (r == TT_ASSETS_OK)
        return 1;
    tt_assets_explain(r, st, holder, unit, lang == TT_COUNTER_LANG_EN, why, len);
    return 0;
}

cJSON *tt_repairbay_json(const tt_counter_asset_t *a)
{
    const tt_assets_row_t *r = &a->row;
    cJSON *o, *steps;
    int ok;

    if (!a->shown)
        return cJSON_CreateNull();
    o = cJSON_CreateObject();
    ok = o && cJSON_AddStringToObject(o, "asset", r->asset) &&
         cJSON_AddStringToObject(o, "model", a->model) &&
         (a->known ? cJSON_AddStringToObject(o, "state", tt_assets_state_name(r->state)) != NULL
                   : cJSON_AddNullToObject(o, "state") != NULL) &&
         cJSON_AddStringToObject(o, "unit", r->unit) &&
         (steps = cJSON_AddArrayToObject(o, "steps")) != NULL;
    for (size_t i = 0; ok && i < r->nsteps; i++) {
        const tt_assets_entry_t *e = &r->steps[i];
        cJSON *st = cJSON_CreateObject();
        ok = st && cJSON_AddItemToArray(steps, st);
        if (!ok) {
            cJSON_Delete(st);
            break;
        }
        ok = cJSON_AddStringToObject(st, "step", tt_assets_step_name(e->step)) &&
             cJSON_AddStringToObject(st, "result", e->result) &&
             cJSON_AddStringToObject(st, "unit", e->unit) &&
             cJSON_AddNumberToObject(st, "at", (double)e->at_ms) &&
             cJSON_AddStringToObject(st, "operator", e->operator_id) &&
             cJSON_AddBoolToObject(st, "pending", e->pending);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}
