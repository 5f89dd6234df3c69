/*
 * wire: strict JSON reading shared by the network decoders (see wire.h).
 */
#include "wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tt_wire_say(char *reason, size_t rlen, const char *fmt, ...)
{
    va_list ap;
    if (reason == NULL || rlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(reason, rlen, fmt, ap);
    va_end(ap);
}

/* True when the JSON text has a NUL byte or a \u0000 escape.  An escaped
 * character is skipped as a whole, so the text \\u0000 (a backslash, then
 * the letters u0000) is not taken for the escape. */
static int has_nul(const char *buf, size_t len)
{
    if (memchr(buf, '\0', len))
        return 1;
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\\')
            continue;
        if (buf[i + 1] == 'u' && len - i >= 6 && memcmp(buf + i + 2, "0000", 4) == 0)
            return 1;
        i++;
    }
    return 0;
}

tt_err_t tt_wire_parse(const char *buf, size_t len, cJSON **root, char *reason, size_t rlen)
{
    const char *end = NULL;

    *root = NULL;
    if (has_nul(buf, len)) {
        tt_wire_say(reason, rlen, "contains a NUL character");
        return TT_ERR_PARSE;
    }
    *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (*root == NULL) {
        tt_wire_say(reason, rlen, "not valid JSON");
        return TT_ERR_PARSE;
    }
    /* cJSON stops after the first value: anything but white space after it
     * means the message is not the one JSON document it claims to be. */
    for (; end < buf + len; end++) {
        if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
            tt_wire_say(reason, rlen, "not valid JSON: data after the document");
            cJSON_Delete(*root);
            *root = NULL;
            return TT_ERR_PARSE;
        }
    }
    return TT_OK;
}

/* Copies a member name for a reason: printable ASCII only, so a reason built
 * from it is valid UTF-8 (a cut never splits a character) and one line. */
static void show_name(const char *name, char *bad)
{
    size_t k = 0;
    for (; name[k] && k < TT_WIRE_NAME_SHOWN - 1; k++) {
        unsigned char ch = (unsigned char)name[k];
        bad[k] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    bad[k] = '\0';
}

tt_wire_members_t tt_wire_find(const cJSON *obj, const char *const *names, const cJSON **found,
                               size_t n, int all, char *bad)
{
    if (!cJSON_IsObject(obj))
        return TT_WIRE_MEMBERS_NOT_OBJECT;
    for (size_t i = 0; i < n; i++)
        found[i] = NULL;
    for (const cJSON *c = obj->child; c; c = c->next) {
        size_t i = 0;
        while (i < n && strcmp(c->string, names[i]) != 0)
            i++;
        if (i == n || found[i]) {
            show_name(c->string, bad);
            return TT_WIRE_MEMBERS_BAD_FIELD;
        }
        found[i] = c;
    }
    for (size_t i = 0; all && i < n; i++) {
        if (!found[i]) {
            show_name(names[i], bad);
            return TT_WIRE_MEMBERS_MISSING;
        }
    }
    return TT_WIRE_MEMBERS_OK;
}

void tt_wire_say_members(char *reason, size_t rlen, const char *where, tt_wire_members_t m,
                         const char *bad)
{
    const char *sep = where ? ": " : "";

    if (where == NULL)
        where = "";
    if (m == TT_WIRE_MEMBERS_NOT_OBJECT)
        tt_wire_say(reason, rlen, "%s%snot a JSON object", where, sep);
    else if (m == TT_WIRE_MEMBERS_BAD_FIELD)
        tt_wire_say(reason, rlen, "%s%sunknown or repeated field '%s'", where, sep, bad);
    else
        tt_wire_say(reason, rlen, "%s%smissing field '%s'", where, sep, bad);
}

int tt_wire_read_uint(const cJSON *j, uint64_t max, uint64_t *out)
{
    double d;
    if (!cJSON_IsNumber(j))
        return 0;
    d = j->valuedouble;
    /* !(d >= 0) also refuses NaN; the round trip refuses fractions. */
    if (!(d >= 0.0) || d > (double)max || (double)(uint64_t)d != d)
        return 0;
    *out = (uint64_t)d;
    return 1;
}

int tt_wire_read_str(const cJSON *j, char *dst, size_t cap, int may_be_empty)
{
    size_t n;
    if (!cJSON_IsString(j) || j->valuestring == NULL)
        return 0;
    n = strlen(j->valuestring);
    if ((n == 0 && !may_be_empty) || n >= cap)
        return 0;
    memcpy(dst, j->valuestring, n + 1);
    return 1;
}

int tt_wire_read_bool(const cJSON *j, int *out)
{
    if (!cJSON_IsBool(j))
        return 0;
    *out = cJSON_IsTrue(j) ? 1 : 0;
    return 1;
}

tt_err_t tt_wire_check_version(const cJSON *v, uint64_t want, char *reason, size_t rlen)
{
    uint64_t got;

    if (!tt_wire_read_uint(v, TT_WIRE_VERSION_MAX, &got)) {
        tt_wire_say(reason, rlen, "v: missing or not an integer");
        return TT_ERR_PROTO;
    }
    if (got != want) {
        tt_wire_say(reason, rlen, "v: protocol version %llu not supported",
                    (unsigned long long)got);
        return TT_ERR_VERSION;
    }
    return TT_OK;
}

tt_err_t tt_wire_open(const char *buf, size_t len, uint64_t want, const char *const *names,
                      const cJSON **found, size_t n, cJSON **root, char *reason, size_t rlen)
{
    char bad[TT_WIRE_NAME_SHOWN];
    tt_wire_members_t m;
    tt_err_t rc = tt_wire_parse(buf, len, root, reason, rlen);

    if (rc != TT_OK)
        return rc;
    if (!cJSON_IsObject(*root)) {
        tt_wire_say(reason, rlen, "not a JSON object");
        rc = TT_ERR_PROTO;
        goto fail;
    }
    /* A repeated "v" is refused below; here the first one speaks. */
    rc = tt_wire_check_version(cJSON_GetObjectItemCaseSensitive(*root, "v"), want, reason, rlen);
    if (rc != TT_OK)
        goto fail;
    m = tt_wire_find(*root, names, found, n, 1, bad);
    if (m != TT_WIRE_MEMBERS_OK) {
        tt_wire_say_members(reason, rlen, "message", m, bad);
        rc = TT_ERR_PROTO;
        goto fail;
    }
    return TT_OK;
fail:
    cJSON_Delete(*root);
    *root = NULL;
    return rc;
}
