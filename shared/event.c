#include "event.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static const char *const type_names[] = {NULL,       "receive", "issue",  "return",
                                         "transfer", "count",   "revolve", "equipment"};

const char *tt_event_type_name(tt_event_type_t type)
{
    if (type < TT_EVENT_RECEIVE || type > TT_EVENT_TYPE_LAST)
        return NULL;
    return type_names[type];
}

static int type_from_name(const char *name, tt_event_type_t *type)
{
    for (int t = TT_EVENT_RECEIVE; t <= TT_EVENT_TYPE_LAST; t++) {
        if (strcmp(name, type_names[t]) == 0) {
            *type = (tt_event_type_t)t;
            return 1;
        }
    }
    return 0;
}

int tt_event_id_valid(const char *id)
{
    size_t n = 0;
    for (; id[n]; n++) {
        unsigned char c = (unsigned char)id[n];
        if (n >= TT_EVENT_ID_MAX)
            return 0;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return n > 0;
}

int tt_event_code_valid(const char *code)
{
    size_t n = 0;
    for (; code[n]; n++) {
        unsigned char c = (unsigned char)code[n];
        if (n >= TT_EVENT_CODE_MAX || c < 0x21 || c > 0x7e || c == '"' || c == '\\')
            return 0;
    }
    return n > 0;
}

tt_err_t tt_event_topic(char *buf, size_t len, const char *terminal, const char *leaf)
{
    int n;
    if (!tt_event_id_valid(terminal))
        return TT_ERR_INVAL;
    n = snprintf(buf, len, "tt/v1/t/%s/%s", terminal, leaf);
    return n < 0 || (size_t)n >= len ? TT_ERR_FULL : TT_OK;
}

tt_err_t tt_event_topic_parse(const char *topic, char *terminal, const char **leaf)
{
    static const char prefix[] = "tt/v1/t/";
    const char *id = topic, *slash;
    size_t n;

    if (strncmp(topic, prefix, sizeof prefix - 1) != 0)
        return TT_ERR_INVAL;
    id += sizeof prefix - 1;
    slash = strchr(id, '/');
    if (!slash || strchr(slash + 1, '/'))
        return TT_ERR_INVAL;
    n = (size_t)(slash - id);
    if (n == 0 || n > TT_EVENT_ID_MAX)
        return TT_ERR_INVAL;
    memcpy(terminal, id, n);
    terminal[n] = '\0';
    if (!tt_event_id_valid(terminal))
        return TT_ERR_INVAL;
    *leaf = slash + 1;
    return TT_OK;
}

/* Which body fields each type needs (N), may have (O) or must not have (-). */
enum { F_WAREHOUSE, F_ITEM, F_QTY, F_TO, F_ACTION, F_TO_UNIT, F_ASSET, F_STEP, F_RESULT,
       F_UNIT, F_REF, F_COUNT };
static const char rules[TT_EVENT_TYPE_LAST + 1][F_COUNT + 1] = {
    /*                    W  I  Q  to act tu as st re un ref */
    [TT_EVENT_RECEIVE] = "NNN------OO",
    [TT_EVENT_ISSUE] = "NNN------OO",
    [TT_EVENT_RETURN] = "NNN------NO",
    [TT_EVENT_TRANSFER] = "NNNN-----OO",
    [TT_EVENT_COUNT] = "NNN-------O",
    [TT_EVENT_REVOLVE] = "NNN-NO---NO",
    [TT_EVENT_EQUIPMENT] = "O-----NNNOO",
};
static const char *const field_names[F_COUNT] = {"warehouse", "item", "qty", "to", "action",
                                                 "to_unit", "asset", "step", "result", "unit",
                                                 "ref"};

static const char *const revolve_actions[] = {"draw", "handover", "loss", "burial", "scrap", NULL};
static const char *const equipment_steps[] = {"appraisal", "selfcheck", "acceptance", "issue",
                                              NULL};
/* The results each equipment step allows, in the order of equipment_steps. */
static const char *const step_results[][4] = {
    {"major", "medium", "minor", NULL},
    {"pass", "fail", NULL},
    {"pass", "fail", NULL},
    {"in_use", "standby", NULL},
};

static int one_of(const char *word, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(word, list[i]) == 0)
            return i;
    return -1;
}

static int present(const tt_event_stock_t *b, int f)
{
    switch (f) {
    case F_WAREHOUSE: return b->warehouse[0] != '\0';
    case F_ITEM: return b->item[0] != '\0';
    case F_QTY: return 1;   /* checked by value below */
    case F_TO: return b->to[0] != '\0';
    case F_ACTION: return b->action[0] != '\0';
    case F_TO_UNIT: return b->to_unit[0] != '\0';
    case F_ASSET: return b->asset[0] != '\0';
    case F_STEP: return b->step[0] != '\0';
    case F_RESULT: return b->result[0] != '\0';
    case F_UNIT: return b->unit[0] != '\0';
    default: return b->ref[0] != '\0';
    }
}

tt_err_t tt_event_validate(const tt_event_t *ev, char *reason, size_t len)
{
    const tt_event_stock_t *b = &ev->body.stock;
    const char *rule;
    int step;

    if (ev->seq < 1 || ev->seq > TT_EVENT_SEQ_MAX) {
        tt_wire_say(reason, len, "seq out of range");
        return TT_ERR_INVAL;
    }
    if (ev->ts_ms < 0 || (uint64_t)ev->ts_ms > TT_EVENT_SEQ_MAX) {
        tt_wire_say(reason, len, "ts out of range");
        return TT_ERR_INVAL;
    }
    if (!tt_event_id_valid(ev->operator_id)) {
        tt_wire_say(reason, len, "operator: not a valid id");
        return TT_ERR_INVAL;
    }
    if (ev->type < TT_EVENT_RECEIVE || ev->type > TT_EVENT_TYPE_LAST) {
        tt_wire_say(reason, len, "unknown event type");
        return TT_ERR_INVAL;
    }
    rule = rules[ev->type];
    for (int f = 0; f < F_COUNT; f++) {
        if (f == F_QTY)
            continue;
        if (rule[f] == 'N' && !present(b, f)) {
            tt_wire_say(reason, len, "body.%s: required for %s", field_names[f],
                        type_names[ev->type]);
            return TT_ERR_INVAL;
        }
        if (rule[f] == '-' && present(b, f)) {
            tt_wire_say(reason, len, "body.%s: not allowed for %s", field_names[f],
                        type_names[ev->type]);
            return TT_ERR_INVAL;
        }
    }
    if ((b->warehouse[0] && !tt_event_id_valid(b->warehouse)) ||
        (b->to[0] && !tt_event_id_valid(b->to)) || (b->unit[0] && !tt_event_id_valid(b->unit)) ||
        (b->to_unit[0] && !tt_event_id_valid(b->to_unit)) ||
        (b->ref[0] && !tt_event_id_valid(b->ref))) {
        tt_wire_say(reason, len, "body: warehouse, to, unit, to_unit and ref must be valid ids");
        return TT_ERR_INVAL;
    }
    if ((b->item[0] && !tt_event_code_valid(b->item)) ||
        (b->asset[0] && !tt_event_code_valid(b->asset))) {
        tt_wire_say(reason, len, "body.item/asset: not a valid code");
        return TT_ERR_INVAL;
    }
    if (rule[F_QTY] == 'N' && (b->qty < 0 || (b->qty == 0 && ev->type != TT_EVENT_COUNT))) {
        tt_wire_say(reason, len, "%s",
                    ev->type == TT_EVENT_COUNT ? "body.qty: must not be negative"
                                               : "body.qty: must be greater than zero");
        return TT_ERR_INVAL;
    }
    if (rule[F_QTY] == '-' && b->qty != 0) {
        tt_wire_say(reason, len, "body.qty: not allowed for %s", type_names[ev->type]);
        return TT_ERR_INVAL;
    }
    if (ev->type == TT_EVENT_TRANSFER && strcmp(b->to, b->warehouse) == 0) {
        tt_wire_say(reason, len, "body.to: a transfer needs two different warehouses");
        return TT_ERR_INVAL;
    }
    if (ev->type == TT_EVENT_REVOLVE) {
        int a = one_of(b->action, revolve_actions);
        if (a < 0) {
            tt_wire_say(reason, len, "body.action: one of draw, handover, loss, burial, scrap");
            return TT_ERR_INVAL;
        }
        if ((a == 1) != (b->to_unit[0] != '\0')) {
            tt_wire_say(reason, len, "body.to_unit: required for a handover and only for it");
            return TT_ERR_INVAL;
        }
    }
    if (ev->type == TT_EVENT_EQUIPMENT) {
        step = one_of(b->step, equipment_steps);
        if (step < 0) {
            tt_wire_say(reason, len, "body.step: one of appraisal, selfcheck, acceptance, issue");
            return TT_ERR_INVAL;
        }
        if (one_of(b->result, step_results[step]) < 0) {
            tt_wire_say(reason, len, "body.result: not a result of step %s", b->step);
            return TT_ERR_INVAL;
        }
        if (step == 3 && !b->unit[0]) {
            tt_wire_say(reason, len, "body.unit: required when equipment is issued");
            return TT_ERR_INVAL;
        }
    }
    if (b->lines > TT_EVENT_LINES_MAX || (b->lines == 0) != (b->line == 0) || b->line > b->lines) {
        tt_wire_say(reason, len, "body.line/lines: need 1 <= line <= lines <= %d",
                    TT_EVENT_LINES_MAX);
        return TT_ERR_INVAL;
    }
    return TT_OK;
}

/* Ids, codes and the fixed words are validated to need no JSON escaping, so
 * encoding is plain formatting: this runs once per scan and once per event
 * in benchmarks. */
tt_err_t tt_event_encode(const tt_event_t *ev, char *buf, size_t len, size_t *outlen)
{
    const tt_event_stock_t *b = &ev->body.stock;
    const char *text[F_COUNT] = {b->warehouse, b->item, NULL, b->to, b->action, b->to_unit,
                                 b->asset, b->step, b->result, b->unit, b->ref};
    char body[400];
    size_t k = 0;
    int n;

    if (tt_event_validate(ev, NULL, 0) != TT_OK)
        return TT_ERR_INVAL;
    for (int f = 0; f < F_COUNT; f++) {
        char qty[TT_MONEY_TEXT_MAX];
        if (f == F_QTY) {
            if (rules[ev->type][F_QTY] == '-')
                continue;
            tt_qty_format(b->qty, qty, sizeof qty);
            n = snprintf(body + k, sizeof body - k, "%s\"qty\":\"%s\"", k ? "," : "", qty);
        } else if (text[f][0]) {
            n = snprintf(body + k, sizeof body - k, "%s\"%s\":\"%s\"", k ? "," : "",
                         field_names[f], text[f]);
        } else {
            continue;
        }
        if (n < 0 || (size_t)n >= sizeof body - k)
            return TT_ERR_FULL;
        k += (size_t)n;
    }
    if (b->lines) {
        n = snprintf(body + k, sizeof body - k, "%s\"line\":%u,\"lines\":%u", k ? "," : "",
                     b->line, b->lines);
        if (n < 0 || (size_t)n >= sizeof body - k)
            return TT_ERR_FULL;
    }
    n = snprintf(buf, len, "{\"seq\":%llu,\"ts\":%lld,\"operator\":\"%s\",\"type\":\"%s\","
                           "\"body\":{%s}}",
                 (unsigned long long)ev->seq, (long long)ev->ts_ms, ev->operator_id,
                 tt_event_type_name(ev->type), body);
    if (n < 0 || (size_t)n >= len)
        return TT_ERR_FULL;
    *outlen = (size_t)n;
    return TT_OK;
}

tt_err_t tt_event_batch_build(const char *terminal, uint64_t synced, const char *const *enc,
                              const size_t *lens, size_t n, char *buf, size_t cap,
                              size_t *outlen)
{
    size_t used;
    int head;

    if (!tt_event_id_valid(terminal) || n == 0 || n > TT_EVENT_BATCH_MAX ||
        synced > TT_EVENT_SEQ_MAX)
        return TT_ERR_INVAL;
    head = snprintf(buf, cap, "{\"v\":%d,\"terminal\":\"%s\",\"synced\":%llu,\"events\":[",
                    TT_EVENT_VERSION, terminal, (unsigned long long)synced);
    if (head < 0 || (size_t)head >= cap)
        return TT_ERR_FULL;
    used = (size_t)head;
    for (size_t i = 0; i < n; i++) {
        if (cap - used < lens[i] + 3)   /* the event, a ',' or "]}", and the NUL */
            return TT_ERR_FULL;
        if (i > 0)
            buf[used++] = ',';
        memcpy(buf + used, enc[i], lens[i]);
        used += lens[i];
    }
    if (cap - used < 3)
        return TT_ERR_FULL;
    memcpy(buf + used, "]}", 3);
    *outlen = used + 2;
    return TT_OK;
}

/* --- decoding ------------------------------------------------------------ */

static tt_err_t decode_body(const cJSON *j, tt_event_t *ev, char *reason, size_t len)
{
    static const char *const names[] = {"warehouse", "item", "qty", "to", "action", "to_unit",
                                        "asset", "step", "result", "unit", "ref", "line",
                                        "lines"};
    tt_event_stock_t *b = &ev->body.stock;
    char *dst[F_COUNT] = {b->warehouse, b->item, NULL, b->to, b->action, b->to_unit,
                          b->asset, b->step, b->result, b->unit, b->ref};
    size_t cap[F_COUNT] = {sizeof b->warehouse, sizeof b->item, 0, sizeof b->to,
                           sizeof b->action, sizeof b->to_unit, sizeof b->asset,
                           sizeof b->step, sizeof b->result, sizeof b->unit, sizeof b->ref};
    const cJSON *f[13];
    char bad[TT_WIRE_NAME_SHOWN], qty[TT_MONEY_TEXT_MAX];
    uint64_t line = 0, lines = 0;
    tt_wire_members_t m = tt_wire_find(j, names, f, 13, 0, bad);

    if (m != TT_WIRE_MEMBERS_OK) {
        if (m == TT_WIRE_MEMBERS_NOT_OBJECT)
            tt_wire_say(reason, len, "body: not an object");
        else
            tt_wire_say(reason, len, "body: unknown or repeated field '%s'", bad);
        return TT_ERR_PROTO;
    }
    for (int i = 0; i < F_COUNT; i++) {
        if (i == F_QTY || !f[i])
            continue;
        if (!tt_wire_read_str(f[i], dst[i], cap[i], 0)) {
            tt_wire_say(reason, len, "body.%s: not a string of 1-%zu bytes", names[i], cap[i] - 1);
            return TT_ERR_PROTO;
        }
    }
    if (f[F_QTY] &&
        (!tt_wire_read_str(f[F_QTY], qty, sizeof qty, 0) || tt_qty_parse(qty, &b->qty) != TT_OK)) {
        tt_wire_say(reason, len, "body.qty: not a decimal string with at most 3 decimals");
        return TT_ERR_PROTO;
    }
    if (!f[11] != !f[12] || (f[11] && (!tt_wire_read_uint(f[11], TT_EVENT_LINES_MAX, &line) ||
                                       !tt_wire_read_uint(f[12], TT_EVENT_LINES_MAX, &lines) ||
                                       line < 1 || line > lines))) {
        tt_wire_say(reason, len, "body.line/lines: need both, 1 <= line <= lines <= %d",
                    TT_EVENT_LINES_MAX);
        return TT_ERR_PROTO;
    }
    b->line = (uint16_t)line;
    b->lines = (uint16_t)lines;
    /* The seq is checked by the caller; validate the rest with the rules
     * the encoder applies, so both ends agree on what an event is. */
    if (tt_event_validate(ev, reason, len) != TT_OK)
        return TT_ERR_PROTO;
    /* A count of 0 is valid, so a missing qty is only caught here. */
    if (!f[F_QTY] && ev->type != TT_EVENT_EQUIPMENT) {
        tt_wire_say(reason, len, "body.qty: missing");
        return TT_ERR_PROTO;
    }
    return TT_OK;
}

/* Decodes one event; `item->ev.seq` is set as soon as it is known, so the
 * caller can tell a rejectable event (seq known) from a broken batch. */
static tt_err_t decode_event(const cJSON *j, tt_event_item_t *item)
{
    static const char *const names[] = {"seq", "ts", "operator", "type", "body"};
    const cJSON *f[5];
    const cJSON *seqj = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "seq") : NULL;
    tt_event_t *ev = &item->ev;
    char bad[TT_WIRE_NAME_SHOWN];
    uint64_t u;
    char type[16];

    memset(ev, 0, sizeof *ev);
    if (!seqj || !tt_wire_read_uint(seqj, TT_EVENT_SEQ_MAX, &u) || u == 0) {
        tt_wire_say(item->reason, sizeof item->reason, "event without a valid seq");
        return TT_ERR_PROTO;
    }
    ev->seq = u;
    if (tt_wire_find(j, names, f, 5, 0, bad) != TT_WIRE_MEMBERS_OK) {
        tt_wire_say(item->reason, sizeof item->reason, "unknown or repeated field '%s'", bad);
        return TT_ERR_PROTO;
    }
    if (!f[1] || !tt_wire_read_uint(f[1], TT_EVENT_SEQ_MAX, &u)) {
        tt_wire_say(item->reason, sizeof item->reason, "ts: missing or not a non-negative integer");
        return TT_ERR_PROTO;
    }
    ev->ts_ms = (int64_t)u;
    if (!f[2] || !tt_wire_read_str(f[2], ev->operator_id, sizeof ev->operator_id, 0) ||
        !tt_event_id_valid(ev->operator_id)) {
        tt_wire_say(item->reason, sizeof item->reason, "operator: missing or not a valid id");
        return TT_ERR_PROTO;
    }
    if (!f[3] || !tt_wire_read_str(f[3], type, sizeof type, 0) ||
        !type_from_name(type, &ev->type)) {
        tt_wire_say(item->reason, sizeof item->reason, "type: missing or not a known event type");
        return TT_ERR_PROTO;
    }
    if (!f[4]) {
        tt_wire_say(item->reason, sizeof item->reason, "body: missing");
        return TT_ERR_PROTO;
    }
    return decode_body(f[4], ev, item->reason, sizeof item->reason);
}

/* Parses the common envelope {"v":1,"terminal":...,<list>:[...]} of batches
 * and acks.  On success *root must be freed by the caller. */
static tt_err_t envelope(const char *buf, size_t len, const char *expect_terminal,
                         const char *const *names, const cJSON **f, size_t n, cJSON **root,
                         char *reason, size_t rlen)
{
    char bad[TT_WIRE_NAME_SHOWN];
    tt_wire_members_t m;
    tt_err_t rc = tt_wire_parse(buf, len, root, reason, rlen);

    if (rc != TT_OK)
        return rc;
    /* The members before the version, as batches and acks always have been
     * checked: a message of another version with a field v1 does not know is
     * refused for that field (TT_ERR_PROTO), not for its version. */
    m = tt_wire_find(*root, names, f, n, 0, bad);
    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, rlen, NULL, m, bad);
        goto fail;
    }
    rc = tt_wire_check_version(f[0], TT_EVENT_VERSION, reason, rlen);
    if (rc != TT_OK) {
        cJSON_Delete(*root);
        *root = NULL;
        return rc;
    }
    if (!f[1] || !cJSON_IsString(f[1]) || !tt_event_id_valid(f[1]->valuestring)) {
        tt_wire_say(reason, rlen, "terminal: missing or not a valid id");
        goto fail;
    }
    if (strcmp(f[1]->valuestring, expect_terminal) != 0) {
        tt_wire_say(reason, rlen, "terminal '%.32s' does not match its topic's '%.32s'",
                    f[1]->valuestring, expect_terminal);
        cJSON_Delete(*root);
        *root = NULL;
        return TT_ERR_DENIED;
    }
    return TT_OK;
fail:
    cJSON_Delete(*root);
    *root = NULL;
    return TT_ERR_PROTO;
}

tt_err_t tt_event_batch_decode(const char *buf, size_t len, const char *topic_terminal,
                               tt_event_batch_t **out, char *reason, size_t rlen)
{
    static const char *const names[] = {"v", "terminal", "events", "synced"};
    const cJSON *f[4];
    cJSON *root;
    tt_event_batch_t *b;
    size_t n, i = 0;
    uint64_t synced;
    tt_err_t rc;

    *out = NULL;
    rc = envelope(buf, len, topic_terminal, names, f, 4, &root, reason, rlen);
    if (rc != TT_OK)
        return rc;
    if (!f[3] || !tt_wire_read_uint(f[3], TT_EVENT_SEQ_MAX, &synced)) {
        tt_wire_say(reason, rlen, "synced: missing or not a sequence number");
        cJSON_Delete(root);
        return TT_ERR_PROTO;
    }
    if (!f[2] || !cJSON_IsArray(f[2])) {
        tt_wire_say(reason, rlen, "events: missing or not an array");
        cJSON_Delete(root);
        return TT_ERR_PROTO;
    }
    n = (size_t)cJSON_GetArraySize(f[2]);
    if (n == 0 || n > TT_EVENT_BATCH_MAX) {
        tt_wire_say(reason, rlen, "events: %zu events, allowed 1..%d", n, TT_EVENT_BATCH_MAX);
        cJSON_Delete(root);
        return n == 0 ? TT_ERR_PROTO : TT_ERR_TOOBIG;
    }
    b = calloc(1, sizeof *b);
    if (b)
        b->items = calloc(n, sizeof *b->items);
    if (!b || !b->items) {
        free(b);
        cJSON_Delete(root);
        tt_wire_say(reason, rlen, "out of memory");
        return TT_ERR_NOMEM;
    }
    strcpy(b->terminal, topic_terminal);
    b->synced = synced;
    b->count = n;
    for (const cJSON *e = f[2]->child; e; e = e->next, i++) {
        tt_event_item_t *it = &b->items[i];
        it->err = decode_event(e, it);
        if (it->ev.seq == 0) {
            tt_wire_say(reason, rlen, "events[%zu]: %s", i, it->reason);
            goto broken;
        }
        if (i > 0 && it->ev.seq <= b->items[i - 1].ev.seq) {
            tt_wire_say(reason, rlen, "events[%zu]: seq %llu not above the previous one", i,
                        (unsigned long long)it->ev.seq);
            goto broken;
        }
        if (it->err == TT_OK)
            it->reason[0] = '\0';
    }
    cJSON_Delete(root);
    *out = b;
    return TT_OK;
broken:
    cJSON_Delete(root);
    tt_event_batch_free(b);
    return TT_ERR_PROTO;
}

void tt_event_batch_free(tt_event_batch_t *batch)
{
    if (batch == NULL)
        return;
    free(batch->items);
    free(batch);
}

tt_err_t tt_event_ack_encode(const tt_event_ack_t *ack, char **out, size_t *outlen)
{
    cJSON *root, *list;
    char *text, num[24];

    *out = NULL;
    if (!tt_event_id_valid(ack->terminal) || ack->applied > TT_EVENT_SEQ_MAX)
        return TT_ERR_INVAL;
    root = cJSON_CreateObject();
    if (!root)
        return TT_ERR_NOMEM;
    list = cJSON_AddArrayToObject(root, "rejected");
    /* Sequence numbers are written as exact integers: cJSON prints doubles
     * with 15 significant digits, which loses seqs above about 2^50. */
    snprintf(num, sizeof num, "%llu", (unsigned long long)ack->applied);
    if (!cJSON_AddNumberToObject(root, "v", TT_EVENT_VERSION) ||
        !cJSON_AddStringToObject(root, "terminal", ack->terminal) ||
        !cJSON_AddRawToObject(root, "applied", num) || !list)
        goto nomem;
    for (size_t i = 0; i < ack->nrejected; i++) {
        cJSON *r = cJSON_CreateObject();
        if (!r)
            goto nomem;
        cJSON_AddItemToArray(list, r);
        if (ack->rejected[i].seq == 0 || ack->rejected[i].seq > TT_EVENT_SEQ_MAX) {
            cJSON_Delete(root);
            return TT_ERR_INVAL;
        }
        snprintf(num, sizeof num, "%llu", (unsigned long long)ack->rejected[i].seq);
        if (!cJSON_AddRawToObject(r, "seq", num) ||
            !cJSON_AddStringToObject(r, "reason", ack->rejected[i].reason))
            goto nomem;
    }
    text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        return TT_ERR_NOMEM;
    *out = text;
    *outlen = strlen(text);
    return TT_OK;
nomem:
    cJSON_Delete(root);
    return TT_ERR_NOMEM;
}

tt_err_t tt_event_ack_decode(const char *buf, size_t len, const char *terminal,
                             tt_event_ack_t **out, char *reason, size_t rlen)
{
    static const char *const names[] = {"v", "terminal", "applied", "rejected"};
    static const char *const rnames[] = {"seq", "reason"};
    const cJSON *f[4];
    cJSON *root;
    tt_event_ack_t *a;
    size_t n, i = 0;
    tt_err_t rc;

    *out = NULL;
    rc = envelope(buf, len, terminal, names, f, 4, &root, reason, rlen);
    if (rc != TT_OK)
        return rc;
    if (!f[3] || !cJSON_IsArray(f[3])) {
        tt_wire_say(reason, rlen, "rejected: missing or not an array");
        cJSON_Delete(root);
        return TT_ERR_PROTO;
    }
    n = (size_t)cJSON_GetArraySize(f[3]);
    a = calloc(1, sizeof *a);
    if (a && n > 0)
        a->rejected = calloc(n, sizeof *a->rejected);
    if (!a || (n > 0 && !a->rejected)) {
        free(a);
        cJSON_Delete(root);
        tt_wire_say(reason, rlen, "out of memory");
        return TT_ERR_NOMEM;
    }
    strcpy(a->terminal, terminal);
    if (!f[2] || !tt_wire_read_uint(f[2], TT_EVENT_SEQ_MAX, &a->applied)) {
        tt_wire_say(reason, rlen, "applied: missing or not a sequence number");
        goto broken;
    }
    for (const cJSON *r = f[3]->child; r; r = r->next, i++) {
        const cJSON *g[2];
        char bad[TT_WIRE_NAME_SHOWN];
        if (tt_wire_find(r, rnames, g, 2, 1, bad) != TT_WIRE_MEMBERS_OK ||
            !tt_wire_read_uint(g[0], TT_EVENT_SEQ_MAX, &a->rejected[i].seq) ||
            a->rejected[i].seq == 0 || !cJSON_IsString(g[1])) {
            tt_wire_say(reason, rlen, "rejected[%zu]: needs a seq and a reason, nothing else", i);
            goto broken;
        }
        snprintf(a->rejected[i].reason, sizeof a->rejected[i].reason, "%s", g[1]->valuestring);
    }
    a->nrejected = n;
    cJSON_Delete(root);
    *out = a;
    return TT_OK;
broken:
    cJSON_Delete(root);
    tt_event_ack_free(a);
    return TT_ERR_PROTO;
}

void tt_event_ack_free(tt_event_ack_t *ack)
{
    if (ack == NULL)
        return;
    free(ack->rejected);
    free(ack);
}
