#include "snapshot.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tt_err_t fail(tt_err_t rc, char *reason, size_t rlen, const char *why)
{
    if (reason && rlen)
        snprintf(reason, rlen, "%s", why);
    return rc;
}

/* Parses {"v":1,...} and checks the version; on TT_OK *root is the caller's. */
static tt_err_t open_doc(const char *buf, size_t len, cJSON **root, char *reason, size_t rlen)
{
    const cJSON *v;
    const char *end = NULL;

    if (memchr(buf, '\0', len))
        return fail(TT_ERR_PARSE, reason, rlen, "contains a NUL character");
    *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!*root)
        return fail(TT_ERR_PARSE, reason, rlen, "not valid JSON");
    while (end < buf + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
        end++;
    if (end != buf + len || !cJSON_IsObject(*root)) {
        cJSON_Delete(*root);
        return fail(TT_ERR_PARSE, reason, rlen, "not one JSON object");
    }
    v = cJSON_GetObjectItemCaseSensitive(*root, "v");
    if (!cJSON_IsNumber(v) || v->valuedouble != 1) {
        cJSON_Delete(*root);
        return fail(TT_ERR_VERSION, reason, rlen, "v: not protocol version 1");
    }
    return TT_OK;
}

/* Copies the "warehouse" member, which must be a valid id. */
static int warehouse_of(const cJSON *root, char *warehouse)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "warehouse");
    if (!cJSON_IsString(w) || !tt_event_id_valid(w->valuestring))
        return 0;
    memcpy(warehouse, w->valuestring, strlen(w->valuestring) + 1);
    return 1;
}

tt_err_t tt_snapshot_req_encode(const char *warehouse, char *buf, size_t len, size_t *outlen)
{
    int n;
    if (!tt_event_id_valid(warehouse))
        return TT_ERR_INVAL;
    n = snprintf(buf, len, "{\"v\":1,\"warehouse\":\"%s\"}", warehouse);
    if (n < 0 || (size_t)n >= len)
        return TT_ERR_FULL;
    *outlen = (size_t)n;
    return TT_OK;
}

tt_err_t tt_snapshot_req_decode(const char *buf, size_t len, char *warehouse, char *reason,
                                size_t rlen)
{
    cJSON *root;
    tt_err_t rc = open_doc(buf, len, &root, reason, rlen);
    if (rc != TT_OK)
        return rc;
    if (cJSON_GetArraySize(root) != 2 || !warehouse_of(root, warehouse))
        rc = fail(TT_ERR_PROTO, reason, rlen, "needs exactly v and a valid warehouse id");
    cJSON_Delete(root);
    return rc;
}

tt_err_t tt_snapshot_encode(const tt_snapshot_t *snap, char **out, size_t *outlen)
{
    cJSON *root, *items;
    char num[24], q[TT_MONEY_TEXT_MAX];

    *out = NULL;
    if (!tt_event_id_valid(snap->warehouse) || snap->applied > TT_EVENT_SEQ_MAX)
        return TT_ERR_INVAL;
    root = cJSON_CreateObject();
    if (!root)
        return TT_ERR_NOMEM;
    snprintf(num, sizeof num, "%llu", (unsigned long long)snap->applied);
    cJSON_AddNumberToObject(root, "v", 1);
    cJSON_AddStringToObject(root, "warehouse", snap->warehouse);
    cJSON_AddRawToObject(root, "applied", num);
    items = cJSON_AddArrayToObject(root, "items");
    for (size_t i = 0; items && i < snap->count; i++) {
        cJSON *r = cJSON_CreateObject();
        if (!r || !tt_event_code_valid(snap->rows[i].item) || snap->rows[i].qty < 0) {
            cJSON_Delete(r);
            cJSON_Delete(root);
            return r ? TT_ERR_INVAL : TT_ERR_NOMEM;
        }
        tt_qty_format(snap->rows[i].qty, q, sizeof q);
        cJSON_AddStringToObject(r, "item", snap->rows[i].item);
        cJSON_AddStringToObject(r, "qty", q);
        cJSON_AddItemToArray(items, r);
    }
    *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!*out)
        return TT_ERR_NOMEM;
    *outlen = strlen(*out);
    return TT_OK;
}

tt_err_t tt_snapshot_decode(const char *buf, size_t len, tt_snapshot_t **out, char *reason,
                            size_t rlen)
{
    cJSON *root;
    const cJSON *applied, *items, *r;
    tt_snapshot_t *s;
    size_t n, i = 0;
    tt_err_t rc;

    *out = NULL;
    rc = open_doc(buf, len, &root, reason, rlen);
    if (rc != TT_OK)
        return rc;
    applied = cJSON_GetObjectItemCaseSensitive(root, "applied");
    items = cJSON_GetObjectItemCaseSensitive(root, "items");
    s = calloc(1, sizeof *s);
    if (!s) {
        cJSON_Delete(root);
        return fail(TT_ERR_NOMEM, reason, rlen, "out of memory");
    }
    if (cJSON_GetArraySize(root) != 4 || !warehouse_of(root, s->warehouse) ||
        !cJSON_IsNumber(applied) || !(applied->valuedouble >= 0) ||
        applied->valuedouble > (double)TT_EVENT_SEQ_MAX ||
        (double)(uint64_t)applied->valuedouble != applied->valuedouble || !cJSON_IsArray(items)) {
        rc = fail(TT_ERR_PROTO, reason, rlen, "needs exactly v, warehouse, applied and items");
        goto out;
    }
    s->applied = (uint64_t)applied->valuedouble;
    n = (size_t)cJSON_GetArraySize(items);
    if (n > TT_SNAPSHOT_ITEMS_MAX) {
        rc = fail(TT_ERR_TOOBIG, reason, rlen, "too many items");
        goto out;
    }
    s->rows = calloc(n ? n : 1, sizeof *s->rows);
    if (!s->rows) {
        rc = fail(TT_ERR_NOMEM, reason, rlen, "out of memory");
        goto out;
    }
    cJSON_ArrayForEach(r, items) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(r, "item");
        const cJSON *qty = cJSON_GetObjectItemCaseSensitive(r, "qty");
        if (cJSON_GetArraySize(r) != 2 || !cJSON_IsString(item) ||
            !tt_event_code_valid(item->valuestring) || !cJSON_IsString(qty) ||
            tt_qty_parse(qty->valuestring, &s->rows[i].qty) != TT_OK || s->rows[i].qty < 0) {
            rc = fail(TT_ERR_PROTO, reason, rlen, "items: each needs an item code and a qty >= 0");
            goto out;
        }
        memcpy(s->rows[i].item, item->valuestring, strlen(item->valuestring) + 1);
        i++;
    }
    s->count = n;
out:
    cJSON_Delete(root);
    if (rc != TT_OK) {
        tt_snapshot_free(s);
        return rc;
    }
    *out = s;
    return TT_OK;
}

void tt_snapshot_free(tt_snapshot_t *snap)
{
    if (!snap)
        return;
    free(snap->rows);
    free(snap);
}
