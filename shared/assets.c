/*
 * assets: equipment states, their rule table and the states downlink (see
 * assets.h, docs/repair.md and docs/protocol.md, "Asset states").
 *
 * The decoders face the network like the master-data decoder
 * (shared/wire.h): exactly one object of protocol version 1, the
 * documented members each once, every value type-, range- and
 * charset-checked, and one bad row refuses the whole page.  The encoders
 * check rows with the same rules, so whatever they write decodes.
 */
#include "assets.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const state_names[] = {NULL,        "registered", "in_use",  "standby",
                                          "received",  "in_repair",  "in_stock", "accepted"};
static const char *const state_labels[][2] = {
    {NULL, NULL},          {"在册", "registered"}, {"在用", "in use"},
    {"备用", "standby"},   {"待修", "handed in"},  {"在修", "in repair"},
    {"库存", "in stock"},  {"已验收", "accepted"},
};
static const char *const step_names[] = {NULL, "intake", "appraisal", "selfcheck", "acceptance",
                                         "issue"};
static const char *const step_labels[][2] = {
    {NULL, NULL},        {"交修", "intake"},     {"鉴定", "appraisal"},
    {"自检", "self-check"}, {"验收", "acceptance"}, {"出库", "issue"},
};
/* The results of each step, in step order. */
static const char *const results[][4] = {
    {NULL},
    {"", NULL},
    {"major", "medium", "minor", NULL},
    {"pass", "fail", NULL},
    {"pass", "fail", NULL},
    {"in_use", "standby", NULL},
};

static int parse_name(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 1; name && i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return 0;
}

const char *tt_assets_state_name(tt_assets_state_t s)
{
    return s >= 1 && s <= TT_ASSETS_STATE_LAST ? state_names[s] : NULL;
}

const char *tt_assets_state_label(tt_assets_state_t s, int lang)
{
    return s >= 1 && s <= TT_ASSETS_STATE_LAST && (lang == 0 || lang == 1) ? state_labels[s][lang]
                                                                           : NULL;
}

int tt_assets_state_parse(const char *name)
{
    return parse_name(state_names, COUNT(state_names), name);
}

const char *tt_assets_step_name(tt_assets_step_t s)
{
    return s >= 1 && s <= TT_ASSETS_STEP_LAST ? step_names[s] : NULL;
}

const char *tt_assets_step_label(tt_assets_step_t s, int lang)
{
    return s >= 1 && s <= TT_ASSETS_STEP_LAST && (lang == 0 || lang == 1) ? step_labels[s][lang]
                                                                         : NULL;
}

int tt_assets_step_parse(const char *name)
{
    return parse_name(step_names, COUNT(step_names), name);
}

tt_assets_state_t tt_assets_initial(const char *register_unit)
{
    return register_unit && register_unit[0] ? TT_ASSETS_IN_USE : TT_ASSETS_REGISTERED;
}

static int result_ok(tt_assets_step_t step, const char *result)
{
    if (step < 1 || step > TT_ASSETS_STEP_LAST || !result)
        return 0;
    for (int i = 0; results[step][i]; i++)
        if (strcmp(result, results[step][i]) == 0)
            return 1;
    return 0;
}

static int held(tt_assets_state_t s)
{
    return s == TT_ASSETS_IN_USE || s == TT_ASSETS_STANDBY;
}

tt_assets_refusal_t tt_assets_next(tt_assets_state_t state, const char *holder,
                                   tt_assets_step_t step, const char *result, const char *unit,
                                   tt_assets_state_t *next, char *next_unit, int *implied)
{
    tt_assets_state_t to = state;
    const char *to_unit = holder;
    int intake = 0;

    if (!result_ok(step, result))
        return TT_ASSETS_BAD_RESULT;
    switch (step) {
    case TT_ASSETS_INTAKE:
        if (!unit[0])
            return TT_ASSETS_NEED_UNIT;
        if (state == TT_ASSETS_REGISTERED)
            return TT_ASSETS_NOT_HELD;
        if (!held(state))
            return TT_ASSETS_AT_SHOP;
        if (strcmp(unit, holder) != 0)
            return TT_ASSETS_OTHER_UNIT;
        to = TT_ASSETS_RECEIVED;
        break;
    case TT_ASSETS_APPRAISAL:
        if (state == TT_ASSETS_IN_REPAIR)
            return TT_ASSETS_IN_REPAIR_ALREADY;
        if (held(state)) {
            /* Appraised where it works: only as handed in by its unit. */
            if (!unit[0] || strcmp(unit, holder) != 0)
                return TT_ASSETS_NOT_RETURNED;
            intake = 1;
        } else if (state == TT_ASSETS_RECEIVED) {
            if (unit[0] && strcmp(unit, holder) != 0)
                return TT_ASSETS_HANDED_IN_BY;
        } else if (unit[0]) {
            to_unit = unit;   /* at the shop with no unit, or repaired again: the sender */
        }
        to = TT_ASSETS_IN_REPAIR;
        break;
    case TT_ASSETS_SELFCHECK:
        if (state != TT_ASSETS_IN_REPAIR)
            return TT_ASSETS_NOT_IN_REPAIR;
        to = strcmp(result, "pass") == 0 ? TT_ASSETS_IN_STOCK : TT_ASSETS_IN_REPAIR;
        break;
    case TT_ASSETS_ACCEPTANCE:
        if (state != TT_ASSETS_IN_STOCK)
            return TT_ASSETS_NOT_CHECKED;
        to = strcmp(result, "pass") == 0 ? TT_ASSETS_ACCEPTED : TT_ASSETS_IN_REPAIR;
        break;
    case TT_ASSETS_ISSUE:
        if (!unit[0])
            return TT_ASSETS_NEED_UNIT;
        if (state != TT_ASSETS_ACCEPTED)
            return TT_ASSETS_NOT_ACCEPTED;
        to = strcmp(result, "in_use") == 0 ? TT_ASSETS_IN_USE : TT_ASSETS_STANDBY;
        to_unit = unit;
        break;
    }
    *next = to;
    if (next_unit != to_unit)
        snprintf(next_unit, TT_EVENT_ID_MAX + 1, "%s", to_unit);
    if (implied)
        *implied = intake;
    return TT_ASSETS_OK;
}

/* vsnprintf cut at a character boundary. */
__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t len, const char *fmt,
                                                      ...)
{
    va_list ap;
    int n;
    if (!buf || !len)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    if (n >= (int)len) {
        size_t k = len - 1;
        while (k > 0 && ((unsigned char)buf[k - 1] & 0xC0) == 0x80)
            k--;
        if (k > 0 && ((unsigned char)buf[k - 1] & 0x80))
            k--;
        buf[k] = '\0';
    }
}

void tt_assets_explain(tt_assets_refusal_t r, tt_assets_state_t state, const char *holder,
                       const char *unit, int lang, char *buf, size_t len)
{
    const char *st = tt_assets_state_label(state, lang ? 1 : 0);
    int en = lang != 0;

    if (!st)
        st = "?";
    switch (r) {
    case TT_ASSETS_OK:
        say(buf, len, "%s", en ? "the step fits" : "可以办理");
        break;
    case TT_ASSETS_BAD_RESULT:
        say(buf, len, "%s", en ? "not a result of this step" : "此步骤没有这个结果");
        break;
    case TT_ASSETS_NEED_UNIT:
        say(buf, len, "%s", en ? "the unit is required" : "须注明单位");
        break;
    case TT_ASSETS_NOT_HELD:
        say(buf, len, "%s", en ? "no unit holds it (registered): appraise it directly"
                               : "未在任何单位使用（在册），可直接鉴定");
        break;
    case TT_ASSETS_OTHER_UNIT:
        if (en)
            say(buf, len, "it is %s at %s, not at %s", st, holder, unit);
        else
            say(buf, len, "该设备在 %s %s，不在 %s", holder, st, unit);
        break;
    case TT_ASSETS_AT_SHOP:
        say(buf, len, en ? "it is at the repair shop already (%s)" : "已在机修厂（%s）", st);
        break;
    case TT_ASSETS_NOT_RETURNED:
        if (en)
            say(buf, len, "it is %s at %s and was not handed in: record its intake from %s or "
                "name %s as the sending unit", st, holder, holder, holder);
        else
            say(buf, len, "该设备在 %s %s，未交修：请先办理交修，或注明送修单位 %s", holder, st,
                holder);
        break;
    case TT_ASSETS_HANDED_IN_BY:
        say(buf, len, en ? "it was handed in by %s, not %s" : "由 %s 交修，不是 %s", holder, unit);
        break;
    case TT_ASSETS_IN_REPAIR_ALREADY:
        say(buf, len, "%s", en ? "it is in repair already" : "已在修");
        break;
    case TT_ASSETS_NOT_IN_REPAIR:
        say(buf, len, en ? "it is not in repair (%s): a self-check follows an appraisal"
                         : "不在修（%s）：自检须在鉴定之后",
            st);
        break;
    case TT_ASSETS_NOT_CHECKED:
        say(buf, len, en ? "it has not passed a self-check (%s): acceptance follows a passed "
                           "self-check"
                         : "未经自检合格（%s）：验收须在自检合格之后",
            st);
        break;
    case TT_ASSETS_NOT_ACCEPTED:
        say(buf, len, en ? "it is not accepted (%s): issue follows acceptance"
                         : "未验收（%s）：出库须在验收合格之后",
            st);
        break;
    }
}

/* --- the downlink ------------------------------------------------------------ */

static int opt_id_ok(const char *id)
{
    return !id[0] || tt_event_id_valid(id);
}

static int entry_ok(const tt_assets_entry_t *e)
{
    return e->step >= 1 && e->step <= TT_ASSETS_STEP_LAST && result_ok(e->step, e->result) &&
           opt_id_ok(e->unit) && e->at_ms >= 0 && (uint64_t)e->at_ms <= TT_EVENT_SEQ_MAX &&
           tt_event_id_valid(e->operator_id);
}

static int row_ok(const tt_assets_row_t *r)
{
    if (!tt_event_code_valid(r->asset) || !tt_assets_state_name(r->state) ||
        !opt_id_ok(r->unit) || r->nsteps > TT_ASSETS_STEPS_MAX)
        return 0;
    for (size_t i = 0; i < r->nsteps; i++)
        if (!entry_ok(&r->steps[i]))
            return 0;
    return 1;
}

tt_err_t tt_assets_req_encode(uint64_t since, char *buf, size_t len, size_t *outlen)
{
    int n;
    if (since > TT_EVENT_SEQ_MAX)
        return TT_ERR_INVAL;
    n = snprintf(buf, len, "{\"v\":%d,\"since\":%llu}", TT_EVENT_VERSION,
                 (unsigned long long)since);
    if (n < 0 || (size_t)n >= len)
        return TT_ERR_FULL;
    *outlen = (size_t)n;
    return TT_OK;
}

tt_err_t tt_assets_req_decode(const char *buf, size_t len, uint64_t *since, char *reason,
                              size_t rlen)
{
    static const char *const names[] = {"v", "since"};
    const cJSON *f[2];
    cJSON *root;
    tt_err_t rc = tt_wire_open(buf, len, TT_EVENT_VERSION, names, f, 2, &root, reason, rlen);

    if (rc != TT_OK)
        return rc;
    if (!tt_wire_read_uint(f[1], TT_EVENT_SEQ_MAX, since)) {
        tt_wire_say(reason, rlen, "since: not a state version");
        rc = TT_ERR_PROTO;
    }
    cJSON_Delete(root);
    return rc;
}

/* Adds an exact integer member (cJSON prints doubles with 15 digits). */
static int add_uint(cJSON *obj, const char *name, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    return cJSON_AddRawToObject(obj, name, num) != NULL;
}

static int put_row(cJSON *list, const tt_assets_row_t *r)
{
    cJSON *o = cJSON_CreateObject(), *steps;
    int ok = o && cJSON_AddItemToArray(list, o);

    if (!ok) {
        cJSON_Delete(o);
        return 0;
    }
    ok = cJSON_AddStringToObject(o, "asset", r->asset) &&
         cJSON_AddStringToObject(o, "state", tt_assets_state_name(r->state)) &&
         cJSON_AddStringToObject(o, "unit", r->unit) &&
         (steps = cJSON_AddArrayToObject(o, "steps")) != NULL;
    for (size_t i = 0; ok && i < r->nsteps; i++) {
        const tt_assets_entry_t *e = &r->steps[i];
        cJSON *s = cJSON_CreateObject();
        ok = s && cJSON_AddItemToArray(steps, s);
        if (!ok) {
            cJSON_Delete(s);
            break;
        }
        ok = cJSON_AddStringToObject(s, "step", tt_assets_step_name(e->step)) &&
             cJSON_AddStringToObject(s, "result", e->result) &&
             cJSON_AddStringToObject(s, "unit", e->unit) && add_uint(s, "at", (uint64_t)e->at_ms) &&
             cJSON_AddStringToObject(s, "operator", e->operator_id);
    }
    return ok;
}

tt_err_t tt_assets_page_encode(const tt_assets_page_t *page, char **out, size_t *outlen)
{
    cJSON *root, *list = NULL;
    int ok;

    *out = NULL;
    if (page->count > TT_ASSETS_PAGE_ROWS || page->to < page->since ||
        page->to > TT_EVENT_SEQ_MAX || page->applied > TT_EVENT_SEQ_MAX ||
        (page->count && !page->rows))
        return TT_ERR_INVAL;
    for (size_t i = 0; i < page->count; i++)
        if (!row_ok(&page->rows[i]))
            return TT_ERR_INVAL;
    root = cJSON_CreateObject();
    if (!root)
        return TT_ERR_NOMEM;
    ok = cJSON_AddNumberToObject(root, "v", TT_EVENT_VERSION) &&
         add_uint(root, "since", page->since) && add_uint(root, "to", page->to) &&
         add_uint(root, "applied", page->applied) &&
         cJSON_AddBoolToObject(root, "last", page->last != 0) &&
         (list = cJSON_AddArrayToObject(root, "assets")) != NULL;
    for (size_t i = 0; ok && i < page->count; i++)
        ok = put_row(list, &page->rows[i]);
    *out = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!*out)
        return TT_ERR_NOMEM;
    *outlen = strlen(*out);
    return TT_OK;
}

static int read_word(const cJSON *j, char *dst, size_t cap, int (*parse)(const char *), int *v)
{
    if (!tt_wire_read_str(j, dst, cap, 0))
        return 0;
    *v = parse(dst);
    return *v != 0;
}

static int decode_entry(const cJSON *j, tt_assets_entry_t *e, const char *where, char *reason,
                        size_t rlen)
{
    static const char *const names[] = {"step", "result", "unit", "at", "operator"};
    const cJSON *f[5];
    char bad[TT_WIRE_NAME_SHOWN], word[16];
    uint64_t at;
    int step;
    tt_wire_members_t m = tt_wire_find(j, names, f, 5, 1, bad);

    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, rlen, where, m, bad);
        return 0;
    }
    if (!read_word(f[0], word, sizeof word, tt_assets_step_parse, &step)) {
        tt_wire_say(reason, rlen, "%s.step: not a step", where);
        return 0;
    }
    e->step = (tt_assets_step_t)step;
    if (!tt_wire_read_str(f[1], e->result, sizeof e->result, 1) || !result_ok(e->step, e->result)) {
        tt_wire_say(reason, rlen, "%s.result: not a result of %s", where, word);
        return 0;
    }
    if (!tt_wire_read_str(f[2], e->unit, sizeof e->unit, 1) || !opt_id_ok(e->unit)) {
        tt_wire_say(reason, rlen, "%s.unit: not an id or \"\"", where);
        return 0;
    }
    if (!tt_wire_read_uint(f[3], TT_EVENT_SEQ_MAX, &at)) {
        tt_wire_say(reason, rlen, "%s.at: not a time in Unix ms", where);
        return 0;
    }
    e->at_ms = (int64_t)at;
    if (!tt_wire_read_str(f[4], e->operator_id, sizeof e->operator_id, 0) ||
        !tt_event_id_valid(e->operator_id)) {
        tt_wire_say(reason, rlen, "%s.operator: not an id", where);
        return 0;
    }
    return 1;
}

static int decode_row(const cJSON *j, size_t i, tt_assets_row_t *r, char *reason, size_t rlen)
{
    static const char *const names[] = {"asset", "state", "unit", "steps"};
    const cJSON *f[4], *s;
    char bad[TT_WIRE_NAME_SHOWN], where[48], word[16];
    size_t k = 0;
    int state;
    tt_wire_members_t m = tt_wire_find(j, names, f, 4, 1, bad);

    snprintf(where, sizeof where, "assets[%zu]", i);
    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, rlen, where, m, bad);
        return 0;
    }
    if (!tt_wire_read_str(f[0], r->asset, sizeof r->asset, 0) || !tt_event_code_valid(r->asset)) {
        tt_wire_say(reason, rlen, "%s.asset: not an asset number", where);
        return 0;
    }
    if (!read_word(f[1], word, sizeof word, tt_assets_state_parse, &state)) {
        tt_wire_say(reason, rlen, "%s.state: not a state", where);
        return 0;
    }
    r->state = (tt_assets_state_t)state;
    if (!tt_wire_read_str(f[2], r->unit, sizeof r->unit, 1) || !opt_id_ok(r->unit)) {
        tt_wire_say(reason, rlen, "%s.unit: not an id or \"\"", where);
        return 0;
    }
    if (!cJSON_IsArray(f[3]) || cJSON_GetArraySize(f[3]) > TT_ASSETS_STEPS_MAX) {
        tt_wire_say(reason, rlen, "%s.steps: an array of at most %d steps", where,
                    TT_ASSETS_STEPS_MAX);
        return 0;
    }
    cJSON_ArrayForEach(s, f[3]) {
        char w[96];
        snprintf(w, sizeof w, "%s.steps[%zu]", where, k);
        if (!decode_entry(s, &r->steps[k], w, reason, rlen))
            return 0;
        k++;
    }
    r->nsteps = k;
    return 1;
}

tt_err_t tt_assets_page_decode(const char *buf, size_t len, tt_assets_page_t **out,
                               char *reason, size_t rlen)
{
    static const char *const names[] = {"v", "since", "to", "applied", "last", "assets"};
    const cJSON *f[6], *r;
    cJSON *root;
    tt_assets_page_t *p;
    size_t n, i = 0;
    tt_err_t rc;

    *out = NULL;
    rc = tt_wire_open(buf, len, TT_EVENT_VERSION, names, f, 6, &root, reason, rlen);
    if (rc != TT_OK)
        return rc;
    p = calloc(1, sizeof *p);
    if (!p) {
        cJSON_Delete(root);
        tt_wire_say(reason, rlen, "out of memory");
        return TT_ERR_NOMEM;
    }
    rc = TT_ERR_PROTO;
    if (!tt_wire_read_uint(f[1], TT_EVENT_SEQ_MAX, &p->since) ||
        !tt_wire_read_uint(f[2], TT_EVENT_SEQ_MAX, &p->to) || p->to < p->since) {
        tt_wire_say(reason, rlen, "since, to: state versions with since <= to");
        goto out;
    }
    if (!tt_wire_read_uint(f[3], TT_EVENT_SEQ_MAX, &p->applied)) {
        tt_wire_say(reason, rlen, "applied: not a sequence number");
        goto out;
    }
    if (!tt_wire_read_bool(f[4], &p->last)) {
        tt_wire_say(reason, rlen, "last: not a boolean");
        goto out;
    }
    if (!cJSON_IsArray(f[5])) {
        tt_wire_say(reason, rlen, "assets: not an array");
        goto out;
    }
    n = (size_t)cJSON_GetArraySize(f[5]);
    if (n > TT_ASSETS_PAGE_ROWS) {
        tt_wire_say(reason, rlen, "assets: %zu rows, at most %d allowed", n, TT_ASSETS_PAGE_ROWS);
        rc = TT_ERR_TOOBIG;
        goto out;
    }
    p->rows = calloc(n ? n : 1, sizeof *p->rows);
    if (!p->rows) {
        tt_wire_say(reason, rlen, "out of memory");
        rc = TT_ERR_NOMEM;
        goto out;
    }
    cJSON_ArrayForEach(r, f[5]) {
        if (!decode_row(r, i, &p->rows[i], reason, rlen))
            goto out;
        i++;
    }
    p->count = n;
    rc = TT_OK;
out:
    cJSON_Delete(root);
    if (rc != TT_OK) {
        tt_assets_page_free(p);
        return rc;
    }
    *out = p;
    return TT_OK;
}

void tt_assets_page_free(tt_assets_page_t *page)
{
    if (!page)
        return;
    free(page->rows);
    free(page);
}
