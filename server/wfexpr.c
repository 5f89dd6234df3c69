#include "wfexpr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting deeper than this is refused: the parser and evaluator recurse. */
#define DEPTH_MAX 64

typedef enum {
    N_INT = 1, N_BOOL, N_STR, N_VAR, N_NOT, N_AND, N_OR, N_EQ, N_NE, N_LT, N_LE, N_GT, N_GE
} kind_t;

typedef struct node node_t;
struct node {
    kind_t kind;
    size_t pos;          /* where it starts in the text */
    int64_t i;
    char *s;             /* string literal or variable name */
    node_t *l, *r;
};

struct tt_wfexpr {
    node_t *root;
};

typedef struct {
    const char *text;
    size_t pos;
    int depth;
    size_t errpos;
    char *reason;
    size_t rlen;
    int failed, nomem;
} parser_t;

const char *tt_wfv_type_name(tt_wfv_type_t t)
{
    switch (t) {
    case TT_WFV_INT: return "int";
    case TT_WFV_BOOL: return "bool";
    case TT_WFV_STR: return "string";
    case TT_WFV_JSON: return "json";
    case TT_WFV_NONE: break;
    }
    return "none";
}

tt_wfv_type_t tt_wfv_type_parse(const char *name)
{
    for (tt_wfv_type_t t = TT_WFV_INT; t <= TT_WFV_JSON; t++)
        if (strcmp(name, tt_wfv_type_name(t)) == 0)
            return t;
    return TT_WFV_NONE;
}

static void free_node(node_t *n)
{
    if (!n)
        return;
    free_node(n->l);
    free_node(n->r);
    free(n->s);
    free(n);
}

void tt_wfexpr_free(tt_wfexpr_t *e)
{
    if (!e)
        return;
    free_node(e->root);
    free(e);
}

static node_t *fail(parser_t *p, size_t pos, const char *reason)
{
    if (!p->failed) {
        p->failed = 1;
        p->errpos = pos;
        snprintf(p->reason, p->rlen, "%s", reason);
    }
    return NULL;
}

static node_t *mk(parser_t *p, kind_t kind, size_t pos, node_t *l, node_t *r)
{
    node_t *n = calloc(1, sizeof *n);
    if (!n) {
        p->nomem = 1;
        free_node(l);
        free_node(r);
        return fail(p, pos, "out of memory");
    }
    n->kind = kind;
    n->pos = pos;
    n->l = l;
    n->r = r;
    return n;
}

static void skip_space(parser_t *p)
{
    while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t' || p->text[p->pos] == '\n')
        p->pos++;
}

static int is_name(char c, int first)
{
    return (c >= 'a' && c <= 'z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* Takes the keyword `word` when it stands next as a whole word. */
static int keyword(parser_t *p, const char *word)
{
    size_t len = strlen(word);
    skip_space(p);
    if (strncmp(p->text + p->pos, word, len) == 0 && !is_name(p->text[p->pos + len], 0)) {
        p->pos += len;
        return 1;
    }
    return 0;
}

static node_t *expr_or(parser_t *p);

static node_t *literal_string(parser_t *p)
{
    char quote = p->text[p->pos];
    size_t start = p->pos++, n = 0;
    char *s = malloc(strlen(p->text + p->pos) + 1);
    node_t *node;
    if (!s) {
        p->nomem = 1;
        return fail(p, start, "out of memory");
    }
    for (;;) {
        char c = p->text[p->pos];
        if (c == '\0') {
            free(s);
            return fail(p, start, "string not closed");
        }
        p->pos++;
        if (c == quote)
            break;
        if (c == '\\') {
            c = p->text[p->pos];
            if (c != '"' && c != '\'' && c != '\\') {
                free(s);
                return fail(p, p->pos - 1, "only \\\" \\' and \\\\ are escapes");
            }
            p->pos++;
        }
        s[n++] = c;
    }
    s[n] = '\0';
    node = mk(p, N_STR, start, NULL, NULL);
    if (!node) {
        free(s);
        return NULL;
    }
    node->s = s;
    return node;
}

static node_t *primary(parser_t *p)
{
    size_t start;
    node_t *n;
    char c;

    skip_space(p);
    start = p->pos;
    c = p->text[p->pos];
    if (c == '(') {
        p->pos++;
        if (++p->depth > DEPTH_MAX)
            return fail(p, start, "nested too deeply");
        n = expr_or(p);
        p->depth--;
        if (!n)
            return NULL;   /* pos may be at the end: never step past it */
        skip_space(p);
        if (p->text[p->pos] != ')') {
            free_node(n);
            return fail(p, p->pos, "expected ')'");
        }
        p->pos++;
        return n;
    }
    if (c == '"' || c == '\'')
        return literal_string(p);
    if ((c >= '0' && c <= '9') || (c == '-' && p->text[p->pos + 1] >= '0' &&
                                   p->text[p->pos + 1] <= '9')) {
        int neg = c == '-';
        int64_t v = 0;
        if (neg)
            p->pos++;
        while (p->text[p->pos] >= '0' && p->text[p->pos] <= '9') {
            int d = p->text[p->pos++] - '0';
            if (v > (INT64_MAX - d) / 10)
                return fail(p, start, "integer too large");
            v = v * 10 + d;
        }
        if (is_name(p->text[p->pos], 0) || p->text[p->pos] == '.')
            return fail(p, start, "not an integer (money is written in fen, without a point)");
        n = mk(p, N_INT, start, NULL, NULL);
        if (n)
            n->i = neg ? -v : v;
        return n;
    }
    if (keyword(p, "true") || keyword(p, "false")) {
        n = mk(p, N_BOOL, start, NULL, NULL);
        if (n)
            n->i = p->text[start] == 't';
        return n;
    }
    if (is_name(c, 1)) {
        while (is_name(p->text[p->pos], 0))
            p->pos++;
        n = mk(p, N_VAR, start, NULL, NULL);
        if (n) {
            n->s = strndup(p->text + start, p->pos - start);
            if (!n->s) {
                p->nomem = 1;
                free_node(n);
                return fail(p, start, "out of memory");
            }
            if (strcmp(n->s, "and") == 0 || strcmp(n->s, "or") == 0 ||
                strcmp(n->s, "not") == 0) {
                free_node(n);
                return fail(p, start, "expected a value before this operator");
            }
        }
        return n;
    }
    return fail(p, start, c ? "expected a value: a name, an integer, a string, true or false"
                            : "the condition ends too early");
}

static node_t *comparison(parser_t *p)
{
    static const struct { const char *op; kind_t kind; } ops[] = {
        {"==", N_EQ}, {"!=", N_NE}, {"<=", N_LE}, {">=", N_GE}, {"<", N_LT}, {">", N_GT}};
    node_t *l = primary(p), *r;
    if (!l)
        return NULL;
    skip_space(p);
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t len = strlen(ops[i].op), at = p->pos;
        if (strncmp(p->text + p->pos, ops[i].op, len) == 0) {
            p->pos += len;
            r = primary(p);
            if (!r) {
                free_node(l);
                return NULL;
            }
            return mk(p, ops[i].kind, at, l, r);
        }
    }
    if (p->text[p->pos] == '=' || p->text[p->pos] == '!') {
        free_node(l);
        return fail(p, p->pos, "expected == or !=");
    }
    return l;
}

static node_t *negation(parser_t *p)
{
    size_t at;
    node_t *n;
    skip_space(p);
    at = p->pos;
    if (!keyword(p, "not"))
        return comparison(p);
    if (++p->depth > DEPTH_MAX)
        return fail(p, at, "nested too deeply");
    n = negation(p);
    p->depth--;
    return n ? mk(p, N_NOT, at, n, NULL) : NULL;
}

static node_t *expr_and(parser_t *p)
{
    node_t *l = negation(p);
    while (l) {
        size_t at;
        node_t *r;
        skip_space(p);
        at = p->pos;
        if (!keyword(p, "and"))
            break;
        r = negation(p);
        if (!r) {
            free_node(l);
            return NULL;
        }
        l = mk(p, N_AND, at, l, r);
    }
    return l;
}

static node_t *expr_or(parser_t *p)
{
    node_t *l = expr_and(p);
    while (l) {
        size_t at;
        node_t *r;
        skip_space(p);
        at = p->pos;
        if (!keyword(p, "or"))
            break;
        r = expr_and(p);
        if (!r) {
            free_node(l);
            return NULL;
        }
        l = mk(p, N_OR, at, l, r);
    }
    return l;
}

tt_err_t tt_wfexpr_parse(const char *text, tt_wfexpr_t **out, size_t *errpos, char *reason,
                         size_t rlen)
{
    parser_t p = {.text = text, .reason = reason, .rlen = rlen};
    tt_wfexpr_t *e;
    node_t *root;

    *out = NULL;
    *errpos = 0;
    if (strlen(text) > TT_WFEXPR_MAX) {
        snprintf(reason, rlen, "condition longer than %d bytes", TT_WFEXPR_MAX);
        return TT_ERR_PARSE;
    }
    root = expr_or(&p);
    if (root) {
        skip_space(&p);
        if (p.text[p.pos]) {
            free_node(root);
            root = fail(&p, p.pos, "unexpected text after the condition");
        }
    }
    if (!root) {
        *errpos = p.errpos;
        return p.nomem ? TT_ERR_NOMEM : TT_ERR_PARSE;
    }
    e = malloc(sizeof *e);
    if (!e) {
        free_node(root);
        return TT_ERR_NOMEM;
    }
    e->root = root;
    *out = e;
    return TT_OK;
}

/* --- checking ------------------------------------------------------------------- */

typedef struct {
    tt_wfexpr_type_fn type;
    void *ctx;
    size_t *errpos;
    char *reason;
    size_t rlen;
} checker_t;

static tt_wfv_type_t check_fail(checker_t *c, const node_t *n, const char *fmt, const char *a,
                                const char *b)
{
    *c->errpos = n->pos;
    snprintf(c->reason, c->rlen, fmt, a, b);
    return TT_WFV_NONE;
}

static tt_wfv_type_t type_of(checker_t *c, const node_t *n)
{
    tt_wfv_type_t l, r;
    switch (n->kind) {
    case N_INT: return TT_WFV_INT;
    case N_BOOL: return TT_WFV_BOOL;
    case N_STR: return TT_WFV_STR;
    case N_VAR:
        l = c->type(c->ctx, n->s);
        if (l == TT_WFV_NONE)
            return check_fail(c, n, "variable '%s' is not declared%s", n->s, "");
        if (l == TT_WFV_JSON)
            return check_fail(c, n, "variable '%s' holds JSON and cannot be compared%s", n->s,
                              "");
        return l;
    case N_NOT:
        l = type_of(c, n->l);
        if (l != TT_WFV_NONE && l != TT_WFV_BOOL)
            return check_fail(c, n, "'not' needs a boolean, not %s%s", tt_wfv_type_name(l), "");
        return l;
    case N_AND:
    case N_OR:
        l = type_of(c, n->l);
        r = l == TT_WFV_NONE ? l : type_of(c, n->r);
        if (r == TT_WFV_NONE)
            return r;
        if (l != TT_WFV_BOOL || r != TT_WFV_BOOL)
            return check_fail(c, n, "'%s' needs booleans on both sides%s",
                              n->kind == N_AND ? "and" : "or", "");
        return TT_WFV_BOOL;
    default:
        l = type_of(c, n->l);
        r = l == TT_WFV_NONE ? l : type_of(c, n->r);
        if (r == TT_WFV_NONE)
            return r;
        if (l != r)
            return check_fail(c, n, "compares %s with %s", tt_wfv_type_name(l),
                              tt_wfv_type_name(r));
        if (l != TT_WFV_INT && n->kind != N_EQ && n->kind != N_NE)
            return check_fail(c, n, "only integers are ordered; %s takes == or !=%s",
                              tt_wfv_type_name(l), "");
        return TT_WFV_BOOL;
    }
}

tt_err_t tt_wfexpr_check(const tt_wfexpr_t *e, tt_wfexpr_type_fn type, void *ctx,
                         size_t *errpos, char *reason, size_t rlen)
{
    checker_t c = {type, ctx, errpos, reason, rlen};
    tt_wfv_type_t t = type_of(&c, e->root);
    if (t == TT_WFV_NONE)
        return TT_ERR_PARSE;
    if (t != TT_WFV_BOOL) {
        *errpos = 0;
        snprintf(reason, rlen, "a condition must be true or false, this is %s",
                 tt_wfv_type_name(t));
        return TT_ERR_PARSE;
    }
    return TT_OK;
}

/* --- evaluation ----------------------------------------------------------------- */

typedef struct {
    tt_wfexpr_value_fn value;
    void *ctx;
    char *reason;
    size_t rlen;
} evaluator_t;

static tt_err_t eval(evaluator_t *ev, const node_t *n, tt_wfv_t *out)
{
    tt_wfv_t l, r;
    tt_err_t rc;
    int cmp;

    switch (n->kind) {
    case N_INT: *out = (tt_wfv_t){TT_WFV_INT, n->i, NULL}; return TT_OK;
    case N_BOOL: *out = (tt_wfv_t){TT_WFV_BOOL, n->i, NULL}; return TT_OK;
    case N_STR: *out = (tt_wfv_t){TT_WFV_STR, 0, n->s}; return TT_OK;
    case N_VAR:
        if (!ev->value(ev->ctx, n->s, out)) {
            snprintf(ev->reason, ev->rlen, "variable '%s' is not set", n->s);
            return TT_ERR_NOTFOUND;
        }
        return TT_OK;
    case N_NOT:
        rc = eval(ev, n->l, &l);
        if (rc == TT_OK)
            *out = (tt_wfv_t){TT_WFV_BOOL, !l.i, NULL};
        return rc;
    case N_AND:
    case N_OR:
        /* Short-circuit, so "x_set and x > 3" needs x only when x_set. */
        rc = eval(ev, n->l, &l);
        if (rc != TT_OK)
            return rc;
        if ((n->kind == N_AND) != (l.i != 0)) {
            *out = l;
            return TT_OK;
        }
        return eval(ev, n->r, out);
    default:
        rc = eval(ev, n->l, &l);
        if (rc == TT_OK)
            rc = eval(ev, n->r, &r);
        if (rc != TT_OK)
            return rc;
        if (l.type != r.type) {
            snprintf(ev->reason, ev->rlen, "a variable holds %s where %s was declared",
                     tt_wfv_type_name(l.type), tt_wfv_type_name(r.type));
            return TT_ERR_INVAL;
        }
        cmp = l.type == TT_WFV_STR ? strcmp(l.s, r.s) : (l.i > r.i) - (l.i < r.i);
        switch (n->kind) {
        case N_EQ: cmp = cmp == 0; break;
        case N_NE: cmp = cmp != 0; break;
        case N_LT: cmp = cmp < 0; break;
        case N_LE: cmp = cmp <= 0; break;
        case N_GT: cmp = cmp > 0; break;
        default: cmp = cmp >= 0; break;
        }
        *out = (tt_wfv_t){TT_WFV_BOOL, cmp, NULL};
        return TT_OK;
    }
}

tt_err_t tt_wfexpr_eval(const tt_wfexpr_t *e, tt_wfexpr_value_fn value, void *ctx, int *result,
                        char *reason, size_t rlen)
{
    evaluator_t ev = {value, ctx, reason, rlen};
    tt_wfv_t v;
    tt_err_t rc = eval(&ev, e->root, &v);
    if (rc != TT_OK)
        return rc;
    *result = v.i != 0;
    return TT_OK;
}
