/*
 * snapshot: a warehouse's stock as the server sends it to a terminal, and
 * the terminal's request for it (see snapshot.h and docs/protocol.md, "Stock
 * snapshots").
 *
 * Both decoders face the network like the event and master-data decoders
 * (shared/wire.h): exactly one JSON object of protocol version 1 with the
 * documented members, each once and none missing or unknown, every value
 * type-, range- and charset-checked.  The encoders check what they write
 * with the same rules, so whatever they write decodes.
 */
#include "snapshot.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* Reads j, which must be a string holding a valid id, into
 * warehouse[TT_EVENT_ID_MAX + 1]; warehouse is untouched when it is not. */
static int read_warehouse(const cJSON *j, char *warehouse)
{
    char id[TT_EVENT_ID_MAX + 1];

    if (!tt_wire_read_str(j, id, sizeof id, 0) || !tt_event_id_valid(id))
        return 0;
    strcpy(warehouse, id);
    return 1;
}

tt_err_t tt_snapshot_req_encode(const char *warehouse, char *buf, size_t len, size_t *outlen)
{
    int n;
    if (!tt_event_id_valid(warehouse))
        return TT_ERR_INVAL;
    n = snprintf(buf, len, "{\"v\":%d,\"warehouse\":\"%s\"}", TT_EVENT_VERSION, warehouse);
    if (n < 0 || (size_t)n >= len)
        return TT_ERR_FULL;
    *outlen = (size_t)n;
    return TT_OK;
}

tt_err_t tt_snapshot_req_decode(const char *buf, size_t len, char *warehouse, char *reason,
                                size_t rlen)
{
    static const char *const names[] = {"v", "warehouse"};
    const cJSON *f[2];
    cJSON *root;
    tt_err_t rc = tt_wire_open(buf, len, TT_EVENT_VERSION, names, f, 2, &root, reason, rlen);

    if (rc != TT_OK)
        return rc;
    if (!read_warehouse(f[1], warehouse)) {
        tt_wire_say(reason, rlen, "warehouse: not a valid id");
        rc = TT_ERR_PROTO;
    }
    cJSON_Delete(root);
    return rc;
}

/* Adds one row {"item":..,"qty":..} to the array items: 1, or 0 when out of
 * memory (the row is then not in the array). */
static int put_row(cJSON *items, const tt_snapshot_row_t *row)
{
    char q[TT_MONEY_TEXT_MAX];
    cJSON *r = cJSON_CreateObject();

    if (!r)
        return 0;
    tt_qty_format(row->qty, q, sizeof q);
    if (!cJSON_AddStringToObject(r, "item", row->item) || !cJSON_AddStringToObject(r, "qty", q) ||
        !cJSON_AddItemToArray(items, r)) {
        cJSON_Delete(r);
        return 0;
    }
    return 1;
}

tt_err_t tt_snapshot_encode(const tt_snapshot_t *snap, char **out, size_t *outlen)
{
    cJSON *root, *items = NULL;
    char num[24];
    int ok;

    *out = NULL;
    if (!tt_event_id_valid(snap->warehouse) || snap->applied > TT_EVENT_SEQ_MAX ||
        snap->count > TT_SNAPSHOT_ITEMS_MAX)
        return TT_ERR_INVAL;
    for (size_t i = 0; i < snap->count; i++)
        if (!tt_event_code_valid(snap->rows[i].item) || snap->rows[i].qty < 0)
            return TT_ERR_INVAL;
    root = cJSON_CreateObject();
    if (!root)
        return TT_ERR_NOMEM;
    /* applied is written as an exact integer: cJSON prints doubles with 15
     * significant digits, which loses seqs above about 2^50. */
    snprintf(num, sizeof num, "%llu", (unsigned long long)snap->applied);
    ok = cJSON_AddNumberToObject(root, "v", TT_EVENT_VERSION) &&
         cJSON_AddStringToObject(root, "warehouse", snap->warehouse) &&
         cJSON_AddRawToObject(root, "applied", num) &&
         (items = cJSON_AddArrayToObject(root, "items"));
    for (size_t i = 0; ok && i < snap->count; i++)
        ok = put_row(items, &snap->rows[i]);
    *out = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!*out)
        return TT_ERR_NOMEM;
    *outlen = strlen(*out);
    return TT_OK;
}

/* Decodes the row object j into *row; else says why (reason naming
 * items[i]) and returns 0. */
static int decode_row(const cJSON *j, size_t i, tt_snapshot_row_t *row, char *reason,
                      size_t rlen)
{
    static const char *const names[] = {"item", "qty"};
    const cJSON *f[2];
    char bad[TT_WIRE_NAME_SHOWN], where[32], qty[TT_MONEY_TEXT_MAX];
    tt_wire_members_t m = tt_wire_find(j, names, f, 2, 1, bad);

    snprintf(where, sizeof where, "items[%zu]", i);
    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, rlen, where, m, bad);
        return 0;
    }
    if (!tt_wire_read_str(f[0], row->item, sizeof row->item, 0) ||
        !tt_event_code_valid(row->item)) {
        tt_wire_say(reason, rlen, "%s.item: not a valid item code", where);
        return 0;
    }
    if (!tt_wire_read_str(f[1], qty, sizeof qty, 0) || tt_qty_parse(qty, &row->qty) != TT_OK ||
        row->qty < 0) {
        tt_wire_say(reason, rlen, "%s.qty: not a decimal string >= 0 with at most 3 decimals",
                    where);
        return 0;
    }
    return 1;
}

tt_err_t tt_snapshot_decode(const char *buf, size_t len, tt_snapshot_t **out, char *reason,
                            size_t rlen)
{
    static const char *const names[] = {"v", "warehouse", "applied", "items"};
    const cJSON *f[4], *r;
    cJSON *root;
    tt_snapshot_t *s;
    size_t n, i = 0;
    tt_err_t rc;

    *out = NULL;
    rc = tt_wire_open(buf, len, TT_EVENT_VERSION, names, f, 4, &root, reason, rlen);
    if (rc != TT_OK)
        return rc;
    s = calloc(1, sizeof *s);
    if (!s) {
        cJSON_Delete(root);
        tt_wire_say(reason, rlen, "out of memory");
        return TT_ERR_NOMEM;
    }
    rc = TT_ERR_PROTO;
    if (!read_warehouse(f[1], s->warehouse)) {
        tt_wire_say(reason, rlen, "warehouse: not a valid id");
        goto out;
    }
    if (!tt_wire_read_uint(f[2], TT_EVENT_SEQ_MAX, &s->applied)) {
        tt_wire_say(reason, rlen, "applied: not a sequence number");
        goto out;
    }
    if (!cJSON_IsArray(f[3])) {
        tt_wire_say(reason, rlen, "items: not an array");
        goto out;
    }
    n = (size_t)cJSON_GetArraySize(f[3]);
    if (n > TT_SNAPSHOT_ITEMS_MAX) {
        tt_wire_say(reason, rlen, "items: %zu items, at most %d allowed", n,
                    TT_SNAPSHOT_ITEMS_MAX);
        rc = TT_ERR_TOOBIG;
        goto out;
    }
    s->rows = calloc(n ? n : 1, sizeof *s->rows);
    if (!s->rows) {
        tt_wire_say(reason, rlen, "out of memory");
        rc = TT_ERR_NOMEM;
        goto out;
    }
    /* An item listed twice is not refused: storing keeps its last qty. */
    cJSON_ArrayForEach(r, f[3]) {
        if (!decode_row(r, i, &s->rows[i], reason, rlen))
            goto out;
        i++;
    }
    s->count = n;
    rc = TT_OK;
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
