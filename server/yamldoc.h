/*
 * yamldoc: one YAML document read with libyaml into a small tree of
 * scalars, sequences and mappings, each node marked with its line and
 * column, so that the calendar and workflow-definition loaders can name
 * "file:line:col" in every error.
 *
 * Only what the loaders need is accepted: a single document, no anchors or
 * aliases, no tags, no duplicate keys, keys that are scalars.  Scalars stay
 * text; the loaders decide what a value means.
 */
#ifndef TT_YAMLDOC_H
#define TT_YAMLDOC_H

#include <stddef.h>

#include "err.h"

typedef enum { TT_YAML_SCALAR = 1, TT_YAML_SEQ, TT_YAML_MAP } tt_yaml_kind_t;

typedef struct tt_yaml_node tt_yaml_node_t;
struct tt_yaml_node {
    tt_yaml_kind_t kind;
    unsigned line, col;        /* 1-based, where the node starts */
    char *text;                /* scalar: its value (NUL-terminated); else NULL */
    int quoted;                /* scalar written in quotes: text, never a number */
    size_t n;                  /* sequence items, or mapping pairs */
    tt_yaml_node_t **keys;     /* mapping: n key scalars; else NULL */
    tt_yaml_node_t **items;    /* sequence items, or mapping values */
};

/* Longest error message written, with its NUL. */
#define TT_YAML_ERR_MAX 512

/* Parses `len` bytes of `text`, named `name` in messages.  On TT_OK *out is
 * the root node, owned by the caller (tt_yaml_free).  Returns TT_ERR_PARSE
 * with "name:line:col: reason" in err (syntax, an alias, a tag, a duplicate
 * key, a non-scalar key, more than one document, an empty document), or
 * TT_ERR_NOMEM. */
tt_err_t tt_yaml_load(const char *name, const char *text, size_t len, tt_yaml_node_t **out,
                      char *err, size_t errlen);

/* Frees a tree from tt_yaml_load; NULL is accepted. */
void tt_yaml_free(tt_yaml_node_t *node);

/* The value under `key` in mapping `map`, or NULL when there is none or
 * `map` is not a mapping.  The node belongs to the tree. */
const tt_yaml_node_t *tt_yaml_get(const tt_yaml_node_t *map, const char *key);

#endif
