/*
 * conf: strict key = value configuration files.
 *
 * The text is split into lines and each line is checked in a fixed order:
 * NUL bytes, length, UTF-8, then syntax, then the value against the schema.
 * The first problem stops the load; there is no recovery and no defaulting,
 * because a terminal that runs on a half-understood configuration is worse
 * than one that refuses to start.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "money.h"

/* Files larger than this are refused unread: no real configuration is. */
#define FILE_MAX ((size_t)1 << 20)
/* Longest slice of a bad value quoted back in a message. */
#define ECHO_MAX 64
/* Largest file a TT_CONF_SECRET_FILE may name: one line of a password. */
#define SECRET_MAX 4096

/* seen[i] while a parse call runs: SEEN_HERE marks keys this call set, so a
 * duplicate is caught without allocating; it becomes SEEN_EARLIER (the value
 * the header promises) before the call returns. */
enum { SEEN_EARLIER = 1, SEEN_HERE = 2 };

typedef struct {
    const char *name;
    size_t lineno;
    char *err;
    size_t errlen;
} where_t;

static tt_err_t fail(const where_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes "name:line: reason" (or "name: reason" when lineno is 0), never
 * longer than TT_CONF_ERR_MAX with its NUL. */
static tt_err_t fail(const where_t *w, const char *fmt, ...)
{
    size_t len = w->errlen < TT_CONF_ERR_MAX ? w->errlen : TT_CONF_ERR_MAX;
    va_list ap;
    int m;

    if (len == 0)
        return TT_ERR_CONFIG;
    if (w->lineno > 0)
        m = snprintf(w->err, len, "%s:%zu: ", w->name, w->lineno);
    else
        m = snprintf(w->err, len, "%s: ", w->name);
    if (m >= 0 && (size_t)m < len) {
        va_start(ap, fmt);
        vsnprintf(w->err + m, len - (size_t)m, fmt, ap);
        va_end(ap);
    }
    return TT_ERR_CONFIG;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_name_char(char c, int dash_ok)
{
    return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || (dash_ok && c == '-');
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int valid_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF;

        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else {
            return 0;
        }
        if (len - i - 1 < need || s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        i += need + 1;
    }
    return 1;
}

/* Length of at most ECHO_MAX bytes of s, not cutting a UTF-8 sequence. */
static int echo_len(const char *s)
{
    size_t n = strlen(s);

    if (n <= ECHO_MAX)
        return (int)n;
    n = ECHO_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}

static const char *echo_tail(const char *s)
{
    return strlen(s) > ECHO_MAX ? "..." : "";
}

/* Strict decimal long long: '-'? digits, nothing else. */
static int parse_ll(const char *s, long long *out, int *overflow)
{
    unsigned long long v = 0, limit = (unsigned long long)LLONG_MAX;
    int neg = *s == '-';

    *overflow = 0;
    if (neg) {
        s++;
        limit++;
    }
    if (!is_digit(*s))
        return 0;
    for (; is_digit(*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (limit - d) / 10)
            *overflow = 1;
        else
            v = v * 10 + d;
    }
    if (*s != '\0')
        return 0;
    if (*overflow)
        return 1;
    *out = neg && v > 0 ? -(long long)(v - 1) - 1 : (long long)v;
    return 1;
}

/* The file-typed keys: resolves `val` against the folder of the file being
 * parsed into `path`, then opens it and checks it is a regular file (and,
 * when `secret`, that group and others have no permission on it).  Returns
 * the open descriptor, or -1 after fail() set the reason. */
static int open_named_file(const where_t *w, const char *key, const char *val, int secret,
                           char *path, size_t cap)
{
    const char *slash = strrchr(w->name, '/');
    struct stat st;
    int n, fd;

    if (val[0] == '/' || !slash)
        n = snprintf(path, cap, "%s", val);
    else
        n = snprintf(path, cap, "%.*s/%s", (int)(slash - w->name), w->name, val);
    if (n < 0 || (size_t)n >= cap) {
        fail(w, "path for '%s' too long once resolved (max %zu bytes)", key, cap - 1);
        return -1;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        fail(w, "cannot read '%s' for '%s': %s", path, key, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        fail(w, "'%s' for '%s' is not a regular file", path, key);
        return -1;
    }
    if (secret && (st.st_mode & 077) != 0) {
        close(fd);
        fail(w, "'%s' for '%s' is open to group or others (mode %03o): it holds a secret, "
             "chmod 600 it", path, key, (unsigned)(st.st_mode & 0777));
        return -1;
    }
    return fd;
}

/* TT_CONF_SECRET_FILE: the one line of the file open on fd (closed here),
 * without its line break, into field[size]. */
static tt_err_t read_secret(const where_t *w, const char *key, const char *path, int fd,
                            char *field, size_t size)
{
    char buf[SECRET_MAX + 1];
    size_t len = 0;
    ssize_t n;

    while (len < sizeof buf && (n = read(fd, buf + len, sizeof buf - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return fail(w, "cannot read '%s' for '%s': %s", path, key, strerror(e));
        }
        len += (size_t)n;
    }
    close(fd);
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    if (len == 0)
        return fail(w, "'%s' for '%s' is empty", path, key);
    if (len >= size)
        return fail(w, "'%s' for '%s' is too long (max %zu bytes on one line)", path, key,
                    size - 1);
    if (memchr(buf, '\n', len) || memchr(buf, '\r', len) || memchr(buf, '\0', len))
        return fail(w, "'%s' for '%s' must hold one line of text", path, key);
    memcpy(field, buf, len);
    field[len] = '\0';
    return TT_OK;
}

static tt_err_t store(const where_t *w, const tt_conf_key_t *k, const char *key,
                      const char *val, size_t vlen, void *dst)
{
    static const char *const bools[] = {"false", "true", "no", "yes", "off", "on", "0", "1"};
    char *field = (char *)dst + k->offset;
    int elen = echo_len(val);
    const char *etail = echo_tail(val);

    switch (k->type) {
    case TT_CONF_STR:
        if (vlen == 0)
            return fail(w, "empty value for '%s'", key);
        if (vlen >= k->size)
            return fail(w, "value for '%s' too long (%zu bytes, max %zu bytes)", key, vlen,
                        k->size > 0 ? k->size - 1 : 0);
        memcpy(field, val, vlen + 1);
        return TT_OK;

    case TT_CONF_INT: {
        long long v = 0;
        int overflow;
        if (!parse_ll(val, &v, &overflow))
            return fail(w, "bad integer '%.*s%s' for '%s'", elen, val, etail, key);
        if (overflow || v < k->min || v > k->max)
            return fail(w, "value '%.*s%s' for '%s' out of range [%lld, %lld]", elen, val,
                        etail, key, k->min, k->max);
        *(long long *)field = v;
        return TT_OK;
    }

    case TT_CONF_BOOL:
        for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
            if (strcmp(val, bools[i]) == 0) {
                *(int *)field = (int)(i % 2);
                return TT_OK;
            }
        }
        return fail(w, "bad boolean '%.*s%s' for '%s' (expected true/false, yes/no, "
                    "on/off or 1/0)", elen, val, etail, key);

    case TT_CONF_ENUM: {
        char list[TT_CONF_ERR_MAX];
        size_t used = 0;
        for (int i = 0; k->choices != NULL && k->choices[i] != NULL; i++) {
            if (strcmp(val, k->choices[i]) == 0) {
                *(int *)field = i;
                return TT_OK;
            }
            int m = snprintf(list + used, sizeof list - used, "%s'%s'", i > 0 ? ", " : "",
                             k->choices[i]);
            if (m < 0 || (size_t)m >= sizeof list - used)
                break;
            used += (size_t)m;
        }
        list[used] = '\0';
        return fail(w, "bad value '%.*s%s' for '%s' (expected one of %s)", elen, val, etail,
                    key, list);
    }

    case TT_CONF_QTY: {
        tt_qty_t q = 0;
        tt_err_t rc = tt_qty_parse(val, &q);
        char lo[TT_MONEY_TEXT_MAX], hi[TT_MONEY_TEXT_MAX];
        if (rc == TT_ERR_PARSE)
            return fail(w, "bad quantity '%.*s%s' for '%s' (expected a decimal with at most "
                        "3 fraction digits)", elen, val, etail, key);
        if (rc == TT_OK && q >= k->min && q <= k->max) {
            *(tt_qty_t *)field = q;
            return TT_OK;
        }
        tt_qty_format(k->min, lo, sizeof lo);
        tt_qty_format(k->max, hi, sizeof hi);
        return fail(w, "value '%.*s%s' for '%s' out of range [%s, %s]", elen, val, etail, key,
                    lo, hi);
    }

    case TT_CONF_FILE:
    case TT_CONF_PRIVATE_FILE:
    case TT_CONF_SECRET_FILE: {
        char path[PATH_MAX];
        size_t cap = k->type == TT_CONF_SECRET_FILE ? sizeof path
                     : k->size < sizeof path ? k->size : sizeof path;
        int fd;
        if (vlen == 0)
            return fail(w, "empty value for '%s'", key);
        fd = open_named_file(w, key, val, k->type != TT_CONF_FILE, path, cap);
        if (fd < 0)
            return TT_ERR_CONFIG;
        if (k->type == TT_CONF_SECRET_FILE)
            return read_secret(w, key, path, fd, field, k->size);
        close(fd);
        memcpy(field, path, strlen(path) + 1);
        return TT_OK;
    }
    }
    return fail(w, "key '%s' has an unknown type in the schema", key);
}

/* Unquotes s[0..len) (which starts with '"') into out, a buffer of at least
 * len bytes.  Returns NULL on success or the reason it is malformed. */
static const char *unquote(const char *s, size_t len, char *out, size_t *outlen)
{
    size_t i = 1, o = 0;

    for (;;) {
        if (i >= len)
            return "unterminated quoted value";
        if (s[i] == '"')
            break;
        if (s[i] == '\\') {
            if (i + 1 >= len || (s[i + 1] != '"' && s[i + 1] != '\\'))
                return "bad escape in quoted value (only \\\" and \\\\ are allowed)";
            i++;
        }
        out[o++] = s[i++];
    }
    if (i + 1 != len)
        return "text after closing quote";
    out[o] = '\0';
    *outlen = o;
    return NULL;
}

/* Handles one line, without its terminator.  `section` holds the current
 * section name ("" before the first) and is updated by section headers. */
static tt_err_t parse_line(const where_t *w, const char *line, size_t len, char *section,
                           const tt_conf_key_t *keys, size_t nkeys, void *dst,
                           unsigned char *seen)
{
    /* A key and its section each fit in a line, so twice a line is enough. */
    char key[2 * TT_CONF_LINE_MAX + 2], val[TT_CONF_LINE_MAX + 1];
    size_t b = 0, e = len, klen, vlen, i;

    if (memchr(line, '\0', len) != NULL)
        return fail(w, "NUL byte in text");
    if (len > TT_CONF_LINE_MAX)
        return fail(w, "line too long (max %d bytes)", TT_CONF_LINE_MAX);
    if (!valid_utf8((const unsigned char *)line, len))
        return fail(w, "invalid UTF-8");

    while (b < e && is_space(line[b]))
        b++;
    while (e > b && is_space(line[e - 1]))
        e--;
    if (b == e || line[b] == '#')
        return TT_OK;

    if (line[b] == '[') {
        size_t n;
        if (e - b < 2 || line[e - 1] != ']')
            return fail(w, "bad section header (expected '[name]')");
        n = e - b - 2;
        for (i = 0; i < n && is_name_char(line[b + 1 + i], 1); i++)
            ;
        if (n == 0 || i < n)
            return fail(w, "bad section name '%.*s' (use a-z, 0-9, '_' and '-')", (int)n,
                        line + b + 1);
        memcpy(section, line + b + 1, n);
        section[n] = '\0';
        return TT_OK;
    }

    for (klen = 0; b + klen < e && is_name_char(line[b + klen], 0); klen++)
        ;
    size_t p = b + klen;
    while (p < e && is_space(line[p]))
        p++;
    if (klen == 0 || p == e || line[p] != '=')
        return fail(w, "expected 'key = value'");
    snprintf(key, sizeof key, "%s%s%.*s", section, *section ? "." : "", (int)klen, line + b);
    for (i = 0; i < nkeys && strcmp(keys[i].key, key) != 0; i++)
        ;
    if (i == nkeys)
        return fail(w, "unknown key '%s'", key);
    if (seen[i] == SEEN_HERE)
        return fail(w, "duplicate key '%s'", key);

    p++;
    while (p < e && is_space(line[p]))
        p++;
    if (p < e && line[p] == '"') {
        const char *why = unquote(line + p, e - p, val, &vlen);
        if (why != NULL)
            return fail(w, "%s for '%s'", why, key);
    } else {
        if (p == e)
            return fail(w, "empty value for '%s'", key);
        vlen = e - p;
        memcpy(val, line + p, vlen);
        val[vlen] = '\0';
    }

    tt_err_t rc = store(w, &keys[i], key, val, vlen, dst);
    if (rc == TT_OK)
        seen[i] = SEEN_HERE;
    return rc;
}

tt_err_t tt_conf_parse(const char *name, const char *text, size_t len,
                       const tt_conf_key_t *keys, size_t nkeys, void *dst,
                       unsigned char *seen, char *err, size_t errlen)
{
    char section[TT_CONF_LINE_MAX + 1] = "";
    where_t w = {name, 0, err, errlen};
    size_t pos = 0;
    tt_err_t rc = TT_OK;

    if (errlen > 0)
        err[0] = '\0';
    while (pos < len && rc == TT_OK) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text) : len;
        size_t n = end - pos;

        if (n > 0 && text[end - 1] == '\r')
            n--;
        w.lineno++;
        rc = parse_line(&w, text + pos, n, section, keys, nkeys, dst, seen);
        pos = end + 1;
    }

    for (size_t i = 0; i < nkeys; i++)
        if (seen[i] == SEEN_HERE)
            seen[i] = SEEN_EARLIER;
    return rc;
}

tt_err_t tt_conf_parse_file(const char *path, const tt_conf_key_t *keys, size_t nkeys,
                            void *dst, unsigned char *seen, char *err, size_t errlen)
{
    where_t w = {path, 0, err, errlen};
    size_t cap = 4096, len = 0;
    char *buf = NULL;
    FILE *f;
    tt_err_t rc;

    f = fopen(path, "rb");
    if (f == NULL) {
        fail(&w, "%s", strerror(errno));
        return TT_ERR_IO;
    }

    /* Reads one byte past the limit, so "exactly FILE_MAX" and "larger"
     * are told apart without trusting stat (pipes, /proc). */
    for (;;) {
        char *grown = realloc(buf, cap);
        if (grown == NULL) {
            free(buf);
            fclose(f);
            fail(&w, "out of memory");
            return TT_ERR_NOMEM;
        }
        buf = grown;
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap || cap > FILE_MAX)
            break;
        cap = cap * 2 > FILE_MAX ? FILE_MAX + 1 : cap * 2;
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        fclose(f);
        fail(&w, "%s", strerror(e));
        return TT_ERR_IO;
    }
    fclose(f);
    if (len > FILE_MAX) {
        free(buf);
        return fail(&w, "file too large (max %zu bytes)", FILE_MAX);
    }
    rc = tt_conf_parse(path, buf, len, keys, nkeys, dst, seen, err, errlen);
    free(buf);
    return rc;
}

tt_err_t tt_conf_check_required(const char *name, const tt_conf_key_t *keys, size_t nkeys,
                                const unsigned char *seen, char *err, size_t errlen)
{
    where_t w = {name, 0, err, errlen};

    for (size_t i = 0; i < nkeys; i++)
        if (keys[i].required && !seen[i])
            return fail(&w, "missing required key '%s'", keys[i].key);
    if (errlen > 0)
        err[0] = '\0';
    return TT_OK;
}
