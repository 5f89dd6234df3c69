#include "tag.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "epc.h"
#include "gs1.h"

static int epc_shaped(const char *data)
{
    size_t n = strlen(data);
    if (n != 24 && n != 52)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)data[i]))
            return 0;
    return 1;
}

static cJSON *epc_json(const tt_epc_t *e)
{
    cJSON *o = cJSON_CreateObject();
    char serial[24];
    if (!o)
        return NULL;
    snprintf(serial, sizeof serial, "%llu", (unsigned long long)e->serial);
    cJSON_AddStringToObject(o, "kind", "epc");
    cJSON_AddStringToObject(o, "scheme", tt_epc_scheme_name(e->scheme));
    cJSON_AddNumberToObject(o, "filter", e->filter);
    cJSON_AddNumberToObject(o, "partition", e->partition);
    cJSON_AddStringToObject(o, "company_prefix", e->company_prefix);
    cJSON_AddStringToObject(o, "reference", e->reference);
    if (e->scheme == TT_EPC_SGTIN_96)
        cJSON_AddStringToObject(o, "serial", serial);
    cJSON_AddStringToObject(o, e->scheme == TT_EPC_SGTIN_96 ? "gtin" : "giai", e->key);
    cJSON_AddStringToObject(o, "pure_uri", e->pure_uri);
    cJSON_AddStringToObject(o, "tag_uri", e->tag_uri);
    cJSON_AddStringToObject(o, "gs1", e->gs1);
    return o;
}

static cJSON *gs1_json(const tt_gs1_result_t *r)
{
    static const char *const forms[] = {"", "bracketed", "element", "ean", "digital-link"};
    cJSON *o = cJSON_CreateObject(), *ais;
    char text[TT_GS1_TEXT_MAX];

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "kind", "gs1");
    cJSON_AddStringToObject(o, "form", forms[r->form]);
    if (r->aim[0])
        cJSON_AddStringToObject(o, "aim", r->aim);
    ais = cJSON_AddArrayToObject(o, "ais");
    for (size_t i = 0; ais && i < r->count; i++) {
        const tt_gs1_pair_t *p = &r->pairs[i];
        cJSON *a = cJSON_CreateObject();
        if (!a)
            break;
        cJSON_AddStringToObject(a, "ai", p->ai);
        cJSON_AddStringToObject(a, "value", p->value);
        if (strcmp(p->ai, "30") == 0 || strcmp(p->ai, "37") == 0)
            cJSON_AddNumberToObject(a, "count", p->count);
        if (strcmp(p->ai, "17") == 0) {
            char date[16];
            snprintf(date, sizeof date, "%04d-%02d-%02d", p->date.year, p->date.month, p->date.day);
            cJSON_AddStringToObject(a, "date", date);
        }
        cJSON_AddItemToArray(ais, a);
    }
    if (tt_gs1_bracketed(r, text, sizeof text) == TT_OK)
        cJSON_AddStringToObject(o, "bracketed", text);
    if (tt_gs1_element_string(r, text, sizeof text) == TT_OK)
        cJSON_AddStringToObject(o, "element_string", text);
    return o;
}

tt_err_t tt_tag_json(const char *data, int ref_year, char **json, char *reason, size_t rlen)
{
    cJSON *o = NULL;
    tt_err_t rc = TT_ERR_NOTFOUND;

    *json = NULL;
    if (epc_shaped(data)) {
        tt_epc_t e;
        rc = tt_epc_decode(data, &e, reason, rlen);
        if (rc == TT_OK)
            o = epc_json(&e);
        else if (rc != TT_ERR_NOTFOUND || strspn(data, "0123456789") != strlen(data))
            return rc;   /* only all-digit data may still be a GS1 element string */
    }
    if (rc != TT_OK) {
        tt_gs1_result_t r;
        rc = tt_gs1_decode(data, ref_year, &r, reason, rlen);
        if (rc != TT_OK)
            return rc;
        o = gs1_json(&r);
    }
    if (!o)
        return TT_ERR_NOMEM;
    *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return *json ? TT_OK : TT_ERR_NOMEM;
}
