#include "yamldoc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Deeper nesting than this is no definition anyone writes by hand; the
 * limit keeps a hostile file from exhausting the stack. */
#define DEPTH_MAX 64

typedef struct {
    yaml_parser_t parser;
    const char *name;
    char *err;
    size_t errlen;
} reader_t;

static tt_err_t failf(reader_t *r, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static tt_err_t failf(reader_t *r, unsigned line, unsigned col, const char *fmt, ...)
{
    size_t len = r->errlen < TT_YAML_ERR_MAX ? r->errlen : TT_YAML_ERR_MAX;
    va_list ap;
    int m;

    if (len == 0)
        return TT_ERR_PARSE;
    m = snprintf(r->err, len, "%s:%u:%u: ", r->name, line, col);
    if (m >= 0 && (size_t)m < len) {
        va_start(ap, fmt);
        vsnprintf(r->err + m, len - (size_t)m, fmt, ap);
        va_end(ap);
    }
    return TT_ERR_PARSE;
}

/* Takes the next event; a libyaml error is reported at its problem mark. */
static tt_err_t next(reader_t *r, yaml_event_t *ev)
{
    if (yaml_parser_parse(&r->parser, ev))
        return TT_OK;
    if (r->parser.error == YAML_MEMORY_ERROR)
        return TT_ERR_NOMEM;
    return failf(r, (unsigned)r->parser.problem_mark.line + 1,
                 (unsigned)r->parser.problem_mark.column + 1, "%s%s%s",
                 r->parser.problem ? r->parser.problem : "malformed YAML",
                 r->parser.context ? " " : "", r->parser.context ? r->parser.context : "");
}

void tt_yaml_free(tt_yaml_node_t *node)
{
    if (!node)
        return;
    for (size_t i = 0; i < node->n; i++) {
        if (node->keys)
            tt_yaml_free(node->keys[i]);
        tt_yaml_free(node->items[i]);
    }
    free(node->keys);
    free(node->items);
    free(node->text);
    free(node);
}

static tt_yaml_node_t *new_node(tt_yaml_kind_t kind, const yaml_event_t *ev)
{
    tt_yaml_node_t *n = calloc(1, sizeof *n);
    if (n) {
        n->kind = kind;
        n->line = (unsigned)ev->start_mark.line + 1;
        n->col = (unsigned)ev->start_mark.column + 1;
    }
    return n;
}

/* Appends (key, item) to a collection; key is NULL for a sequence. */
static tt_err_t append(tt_yaml_node_t *c, tt_yaml_node_t *key, tt_yaml_node_t *item)
{
    tt_yaml_node_t **items = realloc(c->items, (c->n + 1) * sizeof *items);
    if (!items)
        return TT_ERR_NOMEM;
    c->items = items;
    if (c->kind == TT_YAML_MAP) {
        tt_yaml_node_t **keys = realloc(c->keys, (c->n + 1) * sizeof *keys);
        if (!keys)
            return TT_ERR_NOMEM;
        c->keys = keys;
        c->keys[c->n] = key;
    }
    c->items[c->n++] = item;
    return TT_OK;
}

static tt_err_t node(reader_t *r, yaml_event_t *ev, int depth, tt_yaml_node_t **out);

/* Reads the children of the collection `c` until its end event. */
static tt_err_t children(reader_t *r, tt_yaml_node_t *c, int depth)
{
    yaml_event_type_t end = c->kind == TT_YAML_MAP ? YAML_MAPPING_END_EVENT
                                                   : YAML_SEQUENCE_END_EVENT;
    for (;;) {
        yaml_event_t ev;
        tt_yaml_node_t *key = NULL, *item = NULL;
        tt_err_t rc = next(r, &ev);
        if (rc != TT_OK)
            return rc;
        if (ev.type == end) {
            yaml_event_delete(&ev);
            return TT_OK;
        }
        rc = node(r, &ev, depth + 1, c->kind == TT_YAML_MAP ? &key : &item);
        yaml_event_delete(&ev);
        if (rc == TT_OK && c->kind == TT_YAML_MAP) {
            if (key->kind != TT_YAML_SCALAR)
                rc = failf(r, key->line, key->col, "a mapping key must be a plain name");
            else if (tt_yaml_get(c, key->text))
                rc = failf(r, key->line, key->col, "key '%s' given twice", key->text);
            if (rc == TT_OK)
                rc = next(r, &ev);
            if (rc == TT_OK) {
                rc = node(r, &ev, depth + 1, &item);
                yaml_event_delete(&ev);
            }
        }
        if (rc == TT_OK)
            rc = append(c, key, item);
        if (rc != TT_OK) {
            tt_yaml_free(key);
            tt_yaml_free(item);
            return rc;
        }
    }
}

static tt_err_t node(reader_t *r, yaml_event_t *ev, int depth, tt_yaml_node_t **out)
{
    unsigned line = (unsigned)ev->start_mark.line + 1, col = (unsigned)ev->start_mark.column + 1;
    tt_yaml_node_t *n;
    tt_err_t rc;

    *out = NULL;
    if (depth > DEPTH_MAX)
        return failf(r, line, col, "nested deeper than %d levels", DEPTH_MAX);
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        return failf(r, line, col, "aliases (*name) are not accepted");
    case YAML_SCALAR_EVENT:
        if (ev->data.scalar.anchor || (ev->data.scalar.tag && !ev->data.scalar.plain_implicit &&
                                       !ev->data.scalar.quoted_implicit))
            return failf(r, line, col, "anchors and tags are not accepted");
        n = new_node(TT_YAML_SCALAR, ev);
        if (!n)
            return TT_ERR_NOMEM;
        n->text = malloc(ev->data.scalar.length + 1);
        if (!n->text) {
            free(n);
            return TT_ERR_NOMEM;
        }
        memcpy(n->text, ev->data.scalar.value, ev->data.scalar.length);
        n->text[ev->data.scalar.length] = '\0';
        if (strlen(n->text) != ev->data.scalar.length) {
            tt_yaml_free(n);
            return failf(r, line, col, "a NUL character in a value");
        }
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        *out = n;
        return TT_OK;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if ((ev->type == YAML_SEQUENCE_START_EVENT
                 ? ev->data.sequence_start.anchor || ev->data.sequence_start.tag
                 : ev->data.mapping_start.anchor || ev->data.mapping_start.tag))
            return failf(r, line, col, "anchors and tags are not accepted");
        n = new_node(ev->type == YAML_MAPPING_START_EVENT ? TT_YAML_MAP : TT_YAML_SEQ, ev);
        if (!n)
            return TT_ERR_NOMEM;
        rc = children(r, n, depth);
        if (rc != TT_OK) {
            tt_yaml_free(n);
            return rc;
        }
        *out = n;
        return TT_OK;
    default:
        return failf(r, line, col, "unexpected YAML structure");
    }
}

/* Reads one event; anything but `type` fails with `what`. */
static tt_err_t expect(reader_t *r, yaml_event_type_t type, const char *what)
{
    yaml_event_t ev;
    tt_err_t rc = next(r, &ev);
    if (rc != TT_OK)
        return rc;
    if (ev.type != type) {
        rc = failf(r, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
                   "%s", what);
    }
    yaml_event_delete(&ev);
    return rc;
}

tt_err_t tt_yaml_load(const char *name, const char *text, size_t len, tt_yaml_node_t **out,
                      char *err, size_t errlen)
{
    reader_t r = {.name = name, .err = err, .errlen = errlen};
    yaml_event_t ev;
    tt_yaml_node_t *root = NULL;
    tt_err_t rc;

    *out = NULL;
    if (!yaml_parser_initialize(&r.parser))
        return TT_ERR_NOMEM;
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&r.parser, YAML_UTF8_ENCODING);
    rc = expect(&r, YAML_STREAM_START_EVENT, "not a YAML stream");
    if (rc == TT_OK)
        rc = next(&r, &ev);
    if (rc == TT_OK) {
        if (ev.type != YAML_DOCUMENT_START_EVENT)
            rc = failf(&r, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
                       "the file is empty");
        yaml_event_delete(&ev);
    }
    if (rc == TT_OK)
        rc = next(&r, &ev);
    if (rc == TT_OK) {
        rc = node(&r, &ev, 0, &root);
        yaml_event_delete(&ev);
    }
    if (rc == TT_OK)
        rc = expect(&r, YAML_DOCUMENT_END_EVENT, "only one YAML document is accepted");
    if (rc == TT_OK)
        rc = expect(&r, YAML_STREAM_END_EVENT, "only one YAML document is accepted");
    yaml_parser_delete(&r.parser);
    if (rc != TT_OK) {
        tt_yaml_free(root);
        return rc;
    }
    *out = root;
    return TT_OK;
}

const tt_yaml_node_t *tt_yaml_get(const tt_yaml_node_t *map, const char *key)
{
    if (!map || map->kind != TT_YAML_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->text, key) == 0)
            return map->items[i];
    return NULL;
}
