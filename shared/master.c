/*
 * master: master data rows and their wire codec (see master.h and
 * docs/protocol.md, "Master data").
 *
 * The decoder faces the network like the event decoder, with the same
 * strict JSON reading (shared/wire.h): every member is type-, length- and
 * charset-checked, unknown, repeated and missing members are refused, and
 * one bad row refuses the whole page (a terminal must never store half of a
 * change).  The encoder checks rows with the same rules, so
 * whatever it writes decodes.
 */
#include "master.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static const char *const unit_kinds[] = {NULL, "work_area", "department", "shop"};
static const char *const warehouse_kinds[] = {NULL, "central", "recycling", "work_area"};
static const char *const categories[] = {NULL,      "equipment", "material", "service",
                                         "office",  "general",   "medicine"};
static const char *const plan_statuses[] = {NULL, "approved", "rejected"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, int v)
{
    return v >= 1 && (size_t)v < n ? names[v] : NULL;
}

static int parse_name(const char *const *names, size_t n, const char *name)
{
    if (name == NULL)
        return 0;
    for (size_t i = 1; i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return 0;
}

const char *tt_master_unit_kind_name(tt_unit_kind_t k)
{
    return name_of(unit_kinds, COUNT(unit_kinds), (int)k);
}

const char *tt_master_warehouse_kind_name(tt_warehouse_kind_t k)
{
    return name_of(warehouse_kinds, COUNT(warehouse_kinds), (int)k);
}

const char *tt_master_category_name(tt_item_category_t c)
{
    return name_of(categories, COUNT(categories), (int)c);
}

const char *tt_master_plan_status_name(tt_plan_status_t s)
{
    return name_of(plan_statuses, COUNT(plan_statuses), (int)s);
}

int tt_master_unit_kind_parse(const char *name)
{
    return parse_name(unit_kinds, COUNT(unit_kinds), name);
}

int tt_master_warehouse_kind_parse(const char *name)
{
    return parse_name(warehouse_kinds, COUNT(warehouse_kinds), name);
}

int tt_master_category_parse(const char *name)
{
    return parse_name(categories, COUNT(categories), name);
}

int tt_master_plan_status_parse(const char *name)
{
    return parse_name(plan_statuses, COUNT(plan_statuses), name);
}

/* Code point of the valid UTF-8 sequence at s, its length in *len; -1 for an
 * invalid sequence (overlong, surrogate, above U+10FFFF, truncated). */
static long utf8_next(const unsigned char *s, size_t *len)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    long cp;

    if (c < 0x80) {
        *len = 1;
        return c;
    } else if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        cp = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        cp = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return -1;
    }
    /* A NUL terminator is never a continuation byte, so this stops in time. */
    if (s[1] < lo || s[1] > hi)
        return -1;
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    *len = need + 1;
    return cp;
}

int tt_master_text_valid(const char *text, int may_be_empty)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text), i = 0;

    if (n > TT_MASTER_TEXT_MAX || (n == 0 && !may_be_empty))
        return 0;
    while (i < n) {
        size_t k;
        long cp = utf8_next(s + i, &k);
        /* Control characters: C0, DEL and C1.  A name is one line on a
         * terminal's screen and in every report. */
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return 0;
        i += k;
    }
    return 1;
}

int tt_master_giai_valid(const char *giai)
{
    /* GS1 character set 82 (GS1 General Specifications, figure 7.11-1),
     * without '"'. */
    static const char cset82[] = "!%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
                                 "abcdefghijklmnopqrstuvwxyz";
    size_t n = strlen(giai);

    if (n < 7 || n > TT_MASTER_GIAI_MAX || strspn(giai, "0123456789") < 6)
        return 0;
    return strspn(giai, cset82) == n;
}

/* A cursor is opaque but travels inside JSON and logs: printable ASCII
 * without '"' and '\\', at most TT_MASTER_CURSOR_MAX bytes, "" allowed. */
static int cursor_valid(const char *cursor)
{
    size_t n = 0;
    for (; cursor[n]; n++) {
        unsigned char c = (unsigned char)cursor[n];
        if (n >= TT_MASTER_CURSOR_MAX || c < 0x21 || c > 0x7e || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

/* --- row rules, shared by encoder and decoder ---------------------------- */

static int opt_id_valid(const char *id)
{
    return id[0] == '\0' || tt_event_id_valid(id);
}

/* Each returns NULL for a good row, else the name of the first bad field. */
static const char *unit_fault(const tt_master_unit_t *u)
{
    if (!tt_event_id_valid(u->id))
        return "id";
    if (!tt_master_text_valid(u->name, 0))
        return "name";
    if (!tt_master_unit_kind_name(u->kind))
        return "kind";
    return NULL;
}

static const char *warehouse_fault(const tt_master_warehouse_t *w)
{
    if (!tt_event_id_valid(w->id))
        return "id";
    if (!tt_master_text_valid(w->name, 0))
        return "name";
    if (!tt_master_warehouse_kind_name(w->kind))
        return "kind";
    if (!opt_id_valid(w->unit))
        return "unit";
    return NULL;
}

static const char *item_fault(const tt_master_item_t *it)
{
    if (!tt_event_code_valid(it->code))
        return "code";
    if (!tt_master_text_valid(it->name, 0))
        return "name";
    if (!tt_master_text_valid(it->spec, 1))
        return "spec";
    if (!tt_master_text_valid(it->uom, 0))
        return "uom";
    if (!tt_master_category_name(it->category))
        return "category";
    if (it->price < 0)
        return "price";
    if (it->active != 0 && it->active != 1)
        return "active";
    if (it->nbarcodes > TT_MASTER_BARCODES_MAX)
        return "barcodes";
    for (size_t i = 0; i < it->nbarcodes; i++) {
        if (!tt_event_code_valid(it->barcodes[i]))
            return "barcodes";
        for (size_t k = 0; k < i; k++)
            if (strcmp(it->barcodes[k], it->barcodes[i]) == 0)
                return "barcodes";
    }
    return NULL;
}

static const char *plan_fault(const tt_master_plan_t *p)
{
    if (!tt_event_id_valid(p->serial))
        return "serial";
    if (!tt_event_code_valid(p->item))
        return "item";
    if (p->qty <= 0)
        return "qty";
    if (!opt_id_valid(p->category))
        return "category";
    if (!opt_id_valid(p->unit))
        return "unit";
    if (!tt_master_plan_status_name(p->status))
        return "status";
    return NULL;
}

static const char *equipment_fault(const tt_master_equipment_t *e)
{
    if (!tt_event_code_valid(e->asset))
        return "asset";
    if (!tt_master_text_valid(e->model, 0))
        return "model";
    if (e->item[0] && !tt_event_code_valid(e->item))
        return "item";
    if (e->giai[0] && !tt_master_giai_valid(e->giai))
        return "giai";
    if (e->barcode[0] && !tt_event_code_valid(e->barcode))
        return "barcode";
    if (!opt_id_valid(e->unit))
        return "unit";
    if (e->active != 0 && e->active != 1)
        return "active";
    return NULL;
}

static const char *operator_fault(const tt_master_operator_t *o)
{
    if (!tt_event_id_valid(o->id))
        return "id";
    if (!tt_master_text_valid(o->name, 0))
        return "name";
    if (!tt_event_id_valid(o->role))
        return "role";
    if (!opt_id_valid(o->unit))
        return "unit";
    if (o->badge[0] && !tt_event_code_valid(o->badge))
        return "badge";
    if (o->active != 0 && o->active != 1)
        return "active";
    return NULL;
}

/* --- requests ------------------------------------------------------------ */

tt_err_t tt_master_req_encode(uint64_t since, const char *cursor, char *buf, size_t len,
                              size_t *outlen)
{
    int n;

    if (since > TT_EVENT_SEQ_MAX || !cursor_valid(cursor))
        return TT_ERR_INVAL;
    n = snprintf(buf, len, "{\"v\":%d,\"since\":%llu,\"cursor\":\"%s\"}", TT_EVENT_VERSION,
                 (unsigned long long)since, cursor);
    if (n < 0 || (size_t)n >= len)
        return TT_ERR_FULL;
    *outlen = (size_t)n;
    return TT_OK;
}

tt_err_t tt_master_req_decode(const char *buf, size_t len, uint64_t *since, char *cursor,
                              char *reason, size_t rlen)
{
    static const char *const names[] = {"v", "since", "cursor"};
    const cJSON *f[3];
    cJSON *root;
    tt_err_t rc = tt_wire_open(buf, len, TT_EVENT_VERSION, names, f, 3, &root, reason, rlen);

    if (rc != TT_OK)
        return rc;
    if (!tt_wire_read_uint(f[1], TT_EVENT_SEQ_MAX, since)) {
        tt_wire_say(reason, rlen, "since: not a version number");
        rc = TT_ERR_PROTO;
    } else if (!tt_wire_read_str(f[2], cursor, TT_MASTER_CURSOR_MAX + 1, 1) ||
               !cursor_valid(cursor)) {
        tt_wire_say(reason, rlen, "cursor: not a string of at most %d printable characters",
                    TT_MASTER_CURSOR_MAX);
        cursor[0] = '\0';
        rc = TT_ERR_PROTO;
    }
    cJSON_Delete(root);
    return rc;
}

/* --- pages: encoding ------------------------------------------------------ */

static int add_raw_uint(cJSON *obj, const char *name, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    return cJSON_AddRawToObject(obj, name, num) != NULL;
}

static cJSON *row_object(cJSON *list)
{
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddItemToArray(list, o)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int put_unit(cJSON *list, const tt_master_unit_t *u)
{
    cJSON *o = row_object(list);
    return o && cJSON_AddStringToObject(o, "id", u->id) &&
           cJSON_AddStringToObject(o, "name", u->name) &&
           cJSON_AddStringToObject(o, "kind", tt_master_unit_kind_name(u->kind));
}

static int put_warehouse(cJSON *list, const tt_master_warehouse_t *w)
{
    cJSON *o = row_object(list);
    return o && cJSON_AddStringToObject(o, "id", w->id) &&
           cJSON_AddStringToObject(o, "name", w->name) &&
           cJSON_AddStringToObject(o, "kind", tt_master_warehouse_kind_name(w->kind)) &&
           cJSON_AddStringToObject(o, "unit", w->unit);
}

static int put_item(cJSON *list, const tt_master_item_t *it)
{
    char price[TT_MONEY_TEXT_MAX];
    cJSON *o = row_object(list), *codes;

    if (!o || tt_money_format(it->price, price, sizeof price) < 0)
        return 0;
    if (!cJSON_AddStringToObject(o, "code", it->code) ||
        !cJSON_AddStringToObject(o, "name", it->name) ||
        !cJSON_AddStringToObject(o, "spec", it->spec) ||
        !cJSON_AddStringToObject(o, "uom", it->uom) ||
        !cJSON_AddStringToObject(o, "category", tt_master_category_name(it->category)) ||
        !cJSON_AddStringToObject(o, "price", price) ||
        !cJSON_AddBoolToObject(o, "active", it->active) ||
        !(codes = cJSON_AddArrayToObject(o, "barcodes")))
        return 0;
    for (size_t i = 0; i < it->nbarcodes; i++) {
        cJSON *s = cJSON_CreateString(it->barcodes[i]);
        if (!s || !cJSON_AddItemToArray(codes, s)) {
            cJSON_Delete(s);
            return 0;
        }
    }
    return 1;
}

static int put_operator(cJSON *list, const tt_master_operator_t *op)
{
    cJSON *o = row_object(list);
    return o && cJSON_AddStringToObject(o, "id", op->id) &&
           cJSON_AddStringToObject(o, "name", op->name) &&
           cJSON_AddStringToObject(o, "role", op->role) &&
           cJSON_AddStringToObject(o, "unit", op->unit) &&
           cJSON_AddStringToObject(o, "badge", op->badge) &&
           cJSON_AddBoolToObject(o, "active", op->active);
}

static int put_plan(cJSON *list, const tt_master_plan_t *p)
{
    char qty[TT_MONEY_TEXT_MAX];
    cJSON *o = row_object(list);
    return o && tt_qty_format(p->qty, qty, sizeof qty) > 0 &&
           cJSON_AddStringToObject(o, "serial", p->serial) &&
           cJSON_AddStringToObject(o, "item", p->item) &&
           cJSON_AddStringToObject(o, "qty", qty) &&
           cJSON_AddStringToObject(o, "category", p->category) &&
           cJSON_AddStringToObject(o, "unit", p->unit) &&
           cJSON_AddStringToObject(o, "status", tt_master_plan_status_name(p->status));
}

static int put_equipment(cJSON *list, const tt_master_equipment_t *e)
{
    cJSON *o = row_object(list);
    return o && cJSON_AddStringToObject(o, "asset", e->asset) &&
           cJSON_AddStringToObject(o, "model", e->model) &&
           cJSON_AddStringToObject(o, "item", e->item) &&
           cJSON_AddStringToObject(o, "giai", e->giai) &&
           cJSON_AddStringToObject(o, "barcode", e->barcode) &&
           cJSON_AddStringToObject(o, "unit", e->unit) &&
           cJSON_AddBoolToObject(o, "active", e->active);
}

static int page_shape_valid(const tt_master_page_t *p)
{
    size_t rows = p->nunits + p->nwarehouses + p->nitems + p->noperators + p->nplans +
                  p->nequipment;
    if (p->since > TT_EVENT_SEQ_MAX || p->to > TT_EVENT_SEQ_MAX || !cursor_valid(p->cursor) ||
        (p->last != 0 && p->last != 1) || (p->last != 0) != (p->cursor[0] == '\0') ||
        rows > TT_MASTER_PAGE_ROWS)
        return 0;
    return (!p->nunits || p->units) && (!p->nwarehouses || p->warehouses) &&
           (!p->nitems || p->items) && (!p->noperators || p->operators) &&
           (!p->nplans || p->plans) && (!p->nequipment || p->equipment);
}

tt_err_t tt_master_page_encode(const tt_master_page_t *page, char **out, size_t *outlen)
{
    cJSON *root, *units = NULL, *whs = NULL, *items = NULL, *ops = NULL, *plans = NULL,
          *eqs = NULL;
    char *text;
    int ok;

    *out = NULL;
    if (!page_shape_valid(page))
        return TT_ERR_INVAL;
    for (size_t i = 0; i < page->nunits; i++)
        if (unit_fault(&page->units[i]))
            return TT_ERR_INVAL;
    for (size_t i = 0; i < page->nwarehouses; i++)
        if (warehouse_fault(&page->warehouses[i]))
            return TT_ERR_INVAL;
    for (size_t i = 0; i < page->nitems; i++)
        if (item_fault(&page->items[i]))
            return TT_ERR_INVAL;
    for (size_t i = 0; i < page->noperators; i++)
        if (operator_fault(&page->operators[i]))
            return TT_ERR_INVAL;
    for (size_t i = 0; i < page->nplans; i++)
        if (plan_fault(&page->plans[i]))
            return TT_ERR_INVAL;
    for (size_t i = 0; i < page->nequipment; i++)
        if (equipment_fault(&page->equipment[i]))
            return TT_ERR_INVAL;

    root = cJSON_CreateObject();
    if (!root)
        return TT_ERR_NOMEM;
    /* Versions are written as exact integers (cJSON prints doubles with 15
     * significant digits). */
    ok = add_raw_uint(root, "v", TT_EVENT_VERSION) && add_raw_uint(root, "since", page->since) &&
         add_raw_uint(root, "to", page->to) &&
         cJSON_AddStringToObject(root, "cursor", page->cursor) &&
         cJSON_AddBoolToObject(root, "last", page->last) &&
         (units = cJSON_AddArrayToObject(root, "units")) &&
         (whs = cJSON_AddArrayToObject(root, "warehouses")) &&
         (items = cJSON_AddArrayToObject(root, "items")) &&
         (ops = cJSON_AddArrayToObject(root, "operators")) &&
         (plans = cJSON_AddArrayToObject(root, "plans")) &&
         (eqs = cJSON_AddArrayToObject(root, "equipment"));
    for (size_t i = 0; ok && i < page->nunits; i++)
        ok = put_unit(units, &page->units[i]);
    for (size_t i = 0; ok && i < page->nwarehouses; i++)
        ok = put_warehouse(whs, &page->warehouses[i]);
    for (size_t i = 0; ok && i < page->nitems; i++)
        ok = put_item(items, &page->items[i]);
    for (size_t i = 0; ok && i < page->noperators; i++)
        ok = put_operator(ops, &page->operators[i]);
    for (size_t i = 0; ok && i < page->nplans; i++)
        ok = put_plan(plans, &page->plans[i]);
    for (size_t i = 0; ok && i < page->nequipment; i++)
        ok = put_equipment(eqs, &page->equipment[i]);
    text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return TT_ERR_NOMEM;
    *out = text;
    *outlen = strlen(text);
    return TT_OK;
}

/* --- pages: decoding ------------------------------------------------------ */

/* Each decodes one row object into *row, or says why not (reason prefixed
 * with `where`, e.g. "items[3]") and returns 0. */

static int text_field(const cJSON *j, char *dst, size_t cap, int may_be_empty)
{
    return tt_wire_read_str(j, dst, cap, may_be_empty) && tt_master_text_valid(dst, may_be_empty);
}

static int decode_unit(const cJSON *j, tt_master_unit_t *u, const char *where, char *reason,
                       size_t rlen)
{
    static const char *const names[] = {"id", "name", "kind"};
    const cJSON *f[3];
    char bad[TT_WIRE_NAME_SHOWN], kind[24];
    tt_wire_members_t m = tt_wire_find(j, names, f, 3, 1, bad);

    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, rlen, where, m, bad);
        return 0;
    }
    if (!tt_wire_read_str(f[0], u->id, sizeof u->id, 0) || !tt_event_id_valid(u->id))
        tt_wire_say(reason, rlen, "%s.id: not a valid id", where);
    else if (!text_field(f[1], u->name, sizeof u->name, 0))
        tt_wire_say(reason, rlen, "%s.name: not a text of 1-%d bytes", where, TT_MASTER_TEXT_MAX);
    else if (!tt_wire_read_str(f[2], kind, sizeof kind, 0) ||
             !(u->kind = tt_master_unit_kind_parse(kind)))
        tt_wire_say(reason, rlen, "%s.kind: not a unit kind", where);
    else
        return 1;
    return 0;
}

static int decode_warehouse(const cJSON *j, tt_master_warehouse_t *w, const char *where,
                            char *reason, size_t rlen)
{
    static const char *const names[] = {"id", "name", "kind", "unit"};
    const cJSON *f[4];
    char bad[TT_WIRE_NAME_SHOWN], kind[24];
    tt_wire_members_t m = tt_wire_find(j, names, f, 4, 1, bad);

    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, rlen, where, m, bad);
        return 0;
    }
    if (!tt_wire_read_str(f[0], w->id, sizeof w->id, 0) || !tt_event_id_valid(w->id))
        tt_wire_say(reason, rlen, "%s.id: not a valid id", where);
    else if (!text_field(f[1], w->name, sizeof w->name, 0))
        tt_wire_say(reason, rlen, "%s.name: not a text of 1-%d bytes", where, TT_MASTER_TEXT_MAX);
    else if (!tt_wire_read_str(f[2], kind, sizeof kind, 0) ||
             !(w->kind = tt_master_warehouse_kind_parse(kind)))
        tt_wire_say(reason, rlen, "%s.kind: not a warehouse kind", where);
    else if (!tt_wire_read_str(f[3], w->unit, sizeof w->unit, 1) || !opt_id_valid(w->unit))
        tt_wire_say(reason, rlen, "%s.unit: not a valid id or \"\"", where);
    else
        return 1;
    return 0;
}

static int decode_item(const cJSON *j, tt_master_item_t *it, const char *where, char *reason,
                       size_t rlen)
{
    static const char *const names[] = {"code", "name", "spec",   "uom",
                                        "category", "price", "active", "barcodes"};
    const cJSON *f[8];
    char bad[TT_WIRE_NAME_SHOWN], cat[24], price[TT_MONEY_TEXT_MAX];
    tt_wire_members_t m = tt_wire_find(j, names, f, 8, 1, bad);
    size_t n;

    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, rlen, where, m, bad);
        return 0;
    }
    if (!tt_wire_read_str(f[0], it->code, sizeof it->code, 0) || !tt_event_code_valid(it->code)) {
        tt_wire_say(reason, rlen, "%s.code: not a valid item code", where);
        return 0;
    }
    if (!text_field(f[1], it->name, sizeof it->name, 0)) {
        tt_wire_say(reason, rlen, "%s.name: not a text of 1-%d bytes", where, TT_MASTER_TEXT_MAX);
        return 0;
    }
    if (!text_field(f[2], it->spec, sizeof it->spec, 1)) {
        tt_wire_say(reason, rlen, "%s.spec: not a text of 0-%d bytes", where, TT_MASTER_TEXT_MAX);
        return 0;
    }
    if (!text_field(f[3], it->uom, sizeof it->uom, 0)) {
        tt_wire_say(reason, rlen, "%s.uom: not a text of 1-%d bytes", where, TT_MASTER_TEXT_MAX);
        return 0;
    }
    if (!tt_wire_read_str(f[4], cat, sizeof cat, 0) ||
        !(it->category = tt_master_category_parse(cat))) {
        tt_wire_say(reason, rlen, "%s.category: not an item category", where);
        return 0;
    }
    if (!tt_wire_read_str(f[5], price, sizeof price, 0) ||
        tt_money_parse(price, &it->price) != TT_OK ||
        it->price < 0) {
        tt_wire_say(reason, rlen, "%s.price: not a non-negative amount with at most 2 decimals",
                    where);
        return 0;
    }
    if (!tt_wire_read_bool(f[6], &it->active)) {
        tt_wire_say(reason, rlen, "%s.active: not true or false", where);
        return 0;
    }
    if (!cJSON_IsArray(f[7]) || (n = (size_t)cJSON_GetArraySize(f[7])) > TT_MASTER_BARCODES_MAX) {
        tt_wire_say(reason, rlen, "%s.barcodes: not an array of at most %d barcodes", where,
                    TT_MASTER_BARCODES_MAX);
        return 0;
    }
    it->nbarcodes = 0;
    for (const cJSON *b = f[7]->child; b; b = b->next) {
        char *dst = it->barcodes[it->nbarcodes];
        if (!tt_wire_read_str(b, dst, TT_EVENT_CODE_MAX + 1, 0) || !tt_event_code_valid(dst)) {
            tt_wire_say(reason, rlen, "%s.barcodes[%zu]: not a valid barcode", where,
                        it->nbarcodes);
            return 0;
        }
        for (size_t k = 0; k < it->nbarcodes; k++) {
            if (strcmp(it->barcodes[k], dst) == 0) {
                tt_wire_say(reason, rlen, "%s.barcodes[%zu]: listed twice", where, it->nbarcodes);
                return 0;
            }
        }
        it->nbarcodes++;
    }
    return 1;
}

static int decode_operator(const cJSON *j, tt_master_operator_t *o, const char *where,
                           char *reason, size_t rlen)
{
    static const char *const names[] = {"id", "name", "role", "unit", "badge", "active"};
    const cJSON *f[6];
    char bad[TT_WIRE_NAME_SHOWN];
    tt_wire_members_t m = tt_wire_find(j, names, f, 6, 1, bad);

    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, rlen, where, m, bad);
        return 0;
    }
    if (!tt_wire_read_str(f[0], o->id, sizeof o->id, 0) || !tt_event_id_valid(o->id))
        tt_wire_say(reason, rlen, "%s.id: not a valid id", where);
    else if (!text_field(f[1], o->name, sizeof o->name, 0))
        tt_wire_say(reason, rlen, "%s.name: not a text of 1-%d bytes", where, TT_MASTER_TEXT_MAX);
    else if (!tt_wire_read_str(f[2], o->role, sizeof o->role, 0) || !tt_event_id_valid(o->role))
        tt_wire_say(reason, rlen, "%s.role: not a valid id", where);
    else if (!tt_wire_read_str(f[3], o->unit, sizeof o->unit, 1) || !opt_id_valid(o->unit))
        tt_wire_say(reason, rlen, "%s.unit: not a valid id or \"\"", where);
    else if (!tt_wire_read_str(f[4], o->badge, sizeof o->badge, 1) ||
             (o->badge[0] && !tt_event_code_valid(o->badge)))
        tt_wire_say(reason, rlen, "%s.badge: not a valid barcode or \"\"", where);
    else if (!tt_wire_read_bool(f[5], &o->active))
        tt_wire_say(reason, rlen, "%s.active: not true or false", where);
    else
        return 1;
    return 0;
}

static int decode_plan(const cJSON *j, tt_master_plan_t *p, const char *where, char *reason,
                       size_t rlen)
{
    static const char *const names[] = {"serial", "item", "qty", "category", "unit", "status"};
    const cJSON *f[6];
    char bad[TT_WIRE_NAME_SHOWN], qty[TT_MONEY_TEXT_MAX], status[24];
    tt_wire_members_t m = tt_wire_find(j, names, f, 6, 1, bad);

    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, rlen, where, m, bad);
        return 0;
    }
    if (!tt_wire_read_str(f[0], p->serial, sizeof p->serial, 0) || !tt_event_id_valid(p->serial))
        tt_wire_say(reason, rlen, "%s.serial: not a valid id", where);
    else if (!tt_wire_read_str(f[1], p->item, sizeof p->item, 0) ||
             !tt_event_code_valid(p->item))
        tt_wire_say(reason, rlen, "%s.item: not a valid item code", where);
    else if (!tt_wire_read_str(f[2], qty, sizeof qty, 0) || tt_qty_parse(qty, &p->qty) != TT_OK ||
             p->qty <= 0)
        tt_wire_say(reason, rlen, "%s.qty: not a positive quantity with at most 3 decimals",
                    where);
    else if (!tt_wire_read_str(f[3], p->category, sizeof p->category, 1) ||
             !opt_id_valid(p->category))
        tt_wire_say(reason, rlen, "%s.category: not a valid id or \"\"", where);
    else if (!tt_wire_read_str(f[4], p->unit, sizeof p->unit, 1) || !opt_id_valid(p->unit))
        tt_wire_say(reason, rlen, "%s.unit: not a valid id or \"\"", where);
    else if (!tt_wire_read_str(f[5], status, sizeof status, 0) ||
             !(p->status = tt_master_plan_status_parse(status)))
        tt_wire_say(reason, rlen, "%s.status: not approved or rejected", where);
    else
        return 1;
    return 0;
}

static int decode_equipment(const cJSON *j, tt_master_equipment_t *e, const char *where,
                            char *reason, size_t rlen)
{
    static const char *const names[] = {"asset", "model", "item", "giai",
                                        "barcode", "unit", "active"};
    const cJSON *f[7];
    char bad[TT_WIRE_NAME_SHOWN];
    tt_wire_members_t m = tt_wire_find(j, names, f, 7, 1, bad);

    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, rlen, where, m, bad);
        return 0;
    }
    if (!tt_wire_read_str(f[0], e->asset, sizeof e->asset, 0) || !tt_event_code_valid(e->asset))
        tt_wire_say(reason, rlen, "%s.asset: not a valid asset number", where);
    else if (!text_field(f[1], e->model, sizeof e->model, 0))
        tt_wire_say(reason, rlen, "%s.model: not a text of 1-%d bytes", where, TT_MASTER_TEXT_MAX);
    else if (!tt_wire_read_str(f[2], e->item, sizeof e->item, 1) ||
             (e->item[0] && !tt_event_code_valid(e->item)))
        tt_wire_say(reason, rlen, "%s.item: not a valid item code or \"\"", where);
    else if (!tt_wire_read_str(f[3], e->giai, sizeof e->giai, 1) ||
             (e->giai[0] && !tt_master_giai_valid(e->giai)))
        tt_wire_say(reason, rlen, "%s.giai: not a GIAI or \"\"", where);
    else if (!tt_wire_read_str(f[4], e->barcode, sizeof e->barcode, 1) ||
             (e->barcode[0] && !tt_event_code_valid(e->barcode)))
        tt_wire_say(reason, rlen, "%s.barcode: not a valid barcode or \"\"", where);
    else if (!tt_wire_read_str(f[5], e->unit, sizeof e->unit, 1) || !opt_id_valid(e->unit))
        tt_wire_say(reason, rlen, "%s.unit: not a valid id or \"\"", where);
    else if (!tt_wire_read_bool(f[6], &e->active))
        tt_wire_say(reason, rlen, "%s.active: not true or false", where);
    else
        return 1;
    return 0;
}

/* Allocates *rows for the array j of `size` bytes per row (none for an empty
 * array), checking it is an array; *total accumulates rows. */
static tt_err_t rows_of(const cJSON *j, const char *name, size_t size, void **rows, size_t *n,
                        size_t *total, char *reason, size_t rlen)
{
    if (!cJSON_IsArray(j)) {
        tt_wire_say(reason, rlen, "%s: not an array", name);
        return TT_ERR_PROTO;
    }
    *n = (size_t)cJSON_GetArraySize(j);
    *total += *n;
    if (*total > TT_MASTER_PAGE_ROWS) {
        tt_wire_say(reason, rlen, "more than %d rows in one page", TT_MASTER_PAGE_ROWS);
        return TT_ERR_PROTO;
    }
    if (*n == 0)
        return TT_OK;
    *rows = calloc(*n, size);
    if (!*rows) {
        tt_wire_say(reason, rlen, "out of memory");
        return TT_ERR_NOMEM;
    }
    return TT_OK;
}

tt_err_t tt_master_page_decode(const char *buf, size_t len, tt_master_page_t **out,
                               char *reason, size_t rlen)
{
    static const char *const names[] = {"v",     "since",      "to",    "cursor",    "last",
                                        "units", "warehouses", "items", "operators", "plans",
                                        "equipment"};
    const cJSON *f[11];
    cJSON *root;
    tt_master_page_t *p;
    size_t total = 0, i;
    char where[32];
    tt_err_t rc;

    *out = NULL;
    rc = tt_wire_open(buf, len, TT_EVENT_VERSION, names, f, 11, &root, reason, rlen);
    if (rc != TT_OK)
        return rc;
    p = calloc(1, sizeof *p);
    if (!p) {
        cJSON_Delete(root);
        tt_wire_say(reason, rlen, "out of memory");
        return TT_ERR_NOMEM;
    }
    rc = TT_ERR_PROTO;
    if (!tt_wire_read_uint(f[1], TT_EVENT_SEQ_MAX, &p->since)) {
        tt_wire_say(reason, rlen, "since: not a version number");
        goto fail;
    }
    if (!tt_wire_read_uint(f[2], TT_EVENT_SEQ_MAX, &p->to)) {
        tt_wire_say(reason, rlen, "to: not a version number");
        goto fail;
    }
    if (!tt_wire_read_str(f[3], p->cursor, sizeof p->cursor, 1) || !cursor_valid(p->cursor)) {
        tt_wire_say(reason, rlen, "cursor: not a string of at most %d printable characters",
                    TT_MASTER_CURSOR_MAX);
        goto fail;
    }
    if (!tt_wire_read_bool(f[4], &p->last)) {
        tt_wire_say(reason, rlen, "last: not true or false");
        goto fail;
    }
    if (p->last != (p->cursor[0] == '\0')) {
        tt_wire_say(reason, rlen, p->last ? "cursor: must be \"\" on the last page"
                                          : "cursor: missing on a page that is not the last");
        goto fail;
    }
    {
        void *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL, *g = NULL;
        rc = rows_of(f[5], "units", sizeof *p->units, &a, &p->nunits, &total, reason, rlen);
        if (rc == TT_OK)
            rc = rows_of(f[6], "warehouses", sizeof *p->warehouses, &b, &p->nwarehouses, &total,
                         reason, rlen);
        if (rc == TT_OK)
            rc = rows_of(f[7], "items", sizeof *p->items, &c, &p->nitems, &total, reason, rlen);
        if (rc == TT_OK)
            rc = rows_of(f[8], "operators", sizeof *p->operators, &d, &p->noperators, &total,
                         reason, rlen);
        if (rc == TT_OK)
            rc = rows_of(f[9], "plans", sizeof *p->plans, &e, &p->nplans, &total, reason, rlen);
        if (rc == TT_OK)
            rc = rows_of(f[10], "equipment", sizeof *p->equipment, &g, &p->nequipment, &total,
                         reason, rlen);
        p->units = a;
        p->warehouses = b;
        p->items = c;
        p->operators = d;
        p->plans = e;
        p->equipment = g;
        if (rc != TT_OK)
            goto fail;
    }
    rc = TT_ERR_PROTO;
    i = 0;
    for (const cJSON *r = f[5]->child; r; r = r->next, i++) {
        snprintf(where, sizeof where, "units[%zu]", i);
        if (!decode_unit(r, &p->units[i], where, reason, rlen))
            goto fail;
    }
    i = 0;
    for (const cJSON *r = f[6]->child; r; r = r->next, i++) {
        snprintf(where, sizeof where, "warehouses[%zu]", i);
        if (!decode_warehouse(r, &p->warehouses[i], where, reason, rlen))
            goto fail;
    }
    i = 0;
    for (const cJSON *r = f[7]->child; r; r = r->next, i++) {
        snprintf(where, sizeof where, "items[%zu]", i);
        if (!decode_item(r, &p->items[i], where, reason, rlen))
            goto fail;
    }
    i = 0;
    for (const cJSON *r = f[8]->child; r; r = r->next, i++) {
        snprintf(where, sizeof where, "operators[%zu]", i);
        if (!decode_operator(r, &p->operators[i], where, reason, rlen))
            goto fail;
    }
    i = 0;
    for (const cJSON *r = f[9]->child; r; r = r->next, i++) {
        snprintf(where, sizeof where, "plans[%zu]", i);
        if (!decode_plan(r, &p->plans[i], where, reason, rlen))
            goto fail;
    }
    i = 0;
    for (const cJSON *r = f[10]->child; r; r = r->next, i++) {
        snprintf(where, sizeof where, "equipment[%zu]", i);
        if (!decode_equipment(r, &p->equipment[i], where, reason, rlen))
            goto fail;
    }
    cJSON_Delete(root);
    *out = p;
    return TT_OK;
fail:
    cJSON_Delete(root);
    tt_master_page_free(p);
    return rc;
}

void tt_master_page_free(tt_master_page_t *page)
{
    if (page == NULL)
        return;
    free(page->units);
    free(page->warehouses);
    free(page->items);
    free(page->operators);
    free(page->plans);
    free(page->equipment);
    free(page);
}
