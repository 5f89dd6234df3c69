#include "wfdef.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamldoc.h"

/* Loading stops at the first error; `failed` keeps later helpers quiet. */
typedef struct {
    const char *file;
    const tt_wfdef_env_t *env;
    tt_wfdef_t *def;
    const tt_yaml_node_t *steps;   /* the steps mapping */
    char *err;
    size_t errlen;
    int nomem;
} ld_t;

static tt_err_t bad(ld_t *l, const tt_yaml_node_t *n, unsigned extra_col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static tt_err_t bad(ld_t *l, const tt_yaml_node_t *n, unsigned extra_col, const char *fmt, ...)
{
    va_list ap;
    int m;
    if (l->errlen == 0)
        return TT_ERR_PARSE;
    m = snprintf(l->err, l->errlen, "%s:%u:%u: ", l->file, n->line, n->col + extra_col);
    if (m >= 0 && (size_t)m < l->errlen) {
        va_start(ap, fmt);
        vsnprintf(l->err + m, l->errlen - (size_t)m, fmt, ap);
        va_end(ap);
    }
    return TT_ERR_PARSE;
}

static tt_err_t oom(ld_t *l)
{
    l->nomem = 1;
    snprintf(l->err, l->errlen, "%s: out of memory", l->file);
    return TT_ERR_NOMEM;
}

const char *tt_wfdef_kind_name(tt_wfstep_kind_t kind)
{
    static const char *const names[] = {"?", "task", "auto", "choice", "parallel", "join",
                                        "wait", "end"};
    return kind >= TT_WFSTEP_TASK && kind <= TT_WFSTEP_END ? names[kind] : names[0];
}

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > TT_WFDEF_NAME_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return 0;
    }
    return 1;
}

static tt_err_t keys_allowed(ld_t *l, const tt_yaml_node_t *map, const char *what,
                             const char *const *allowed)
{
    if (map->kind != TT_YAML_MAP)
        return bad(l, map, 0, "%s must be a mapping", what);
    for (size_t i = 0; i < map->n; i++) {
        const char *const *a = allowed;
        while (*a && strcmp(*a, map->keys[i]->text) != 0)
            a++;
        if (!*a)
            return bad(l, map->keys[i], 0, "unknown key '%s' in %s", map->keys[i]->text, what);
    }
    return TT_OK;
}

/* A copy of the scalar n, which must be a name when `is_name`. */
static tt_err_t text(ld_t *l, const tt_yaml_node_t *n, const char *what, int is_name, char **out)
{
    if (n->kind != TT_YAML_SCALAR)
        return bad(l, n, 0, "%s must be a single value", what);
    if (is_name && !name_ok(n->text))
        return bad(l, n, 0, "%s '%s' is not a name (a-z 0-9 _ . -, starting with a letter)",
                   what, n->text);
    *out = strdup(n->text);
    return *out ? TT_OK : oom(l);
}

static tt_err_t required(ld_t *l, const tt_yaml_node_t *map, const char *key, const char *what,
                         const tt_yaml_node_t **out)
{
    *out = tt_yaml_get(map, key);
    return *out ? TT_OK : bad(l, map, 0, "%s needs '%s'", what, key);
}

static tt_err_t target(ld_t *l, const tt_yaml_node_t *n, int *out)
{
    if (n->kind != TT_YAML_SCALAR)
        return bad(l, n, 0, "expected the name of a step");
    *out = tt_wfdef_step(l->def, n->text);
    return *out >= 0 ? TT_OK : bad(l, n, 0, "step '%s' does not exist", n->text);
}

static tt_err_t rule(ld_t *l, const tt_yaml_node_t *n, tt_cal_rule_t *out)
{
    char reason[256];
    if (n->kind != TT_YAML_SCALAR)
        return bad(l, n, 0, "expected a date rule such as \"5 workdays\"");
    if (tt_cal_rule_parse(n->text, out, reason, sizeof reason) != TT_OK)
        return bad(l, n, 0, "%s", reason);
    return TT_OK;
}

static tt_wfv_type_t var_type(void *ctx, const char *name)
{
    const tt_wfdef_t *def = ctx;
    int i = tt_wfdef_var(def, name);
    return i < 0 ? TT_WFV_NONE : def->vars[i].type;
}

static tt_err_t condition(ld_t *l, const tt_yaml_node_t *n, tt_wfexpr_t **out)
{
    char reason[256];
    size_t pos = 0;
    tt_err_t rc;
    if (n->kind != TT_YAML_SCALAR)
        return bad(l, n, 0, "expected a condition");
    rc = tt_wfexpr_parse(n->text, out, &pos, reason, sizeof reason);
    if (rc == TT_ERR_NOMEM)
        return oom(l);
    if (rc == TT_OK)
        rc = tt_wfexpr_check(*out, var_type, l->def, &pos, reason, sizeof reason);
    /* The column is exact for a condition written on one line. */
    if (rc != TT_OK)
        return bad(l, n, (unsigned)pos + (n->quoted ? 1u : 0u), "condition: %s", reason);
    return TT_OK;
}

static tt_err_t sets(ld_t *l, const tt_yaml_node_t *map, tt_wfdef_set_t **out, size_t *n)
{
    if (!map)
        return TT_OK;
    if (map->kind != TT_YAML_MAP)
        return bad(l, map, 0, "set must map variables to values");
    *out = calloc(map->n ? map->n : 1, sizeof **out);
    if (!*out)
        return oom(l);
    for (size_t i = 0; i < map->n; i++) {
        const tt_yaml_node_t *k = map->keys[i], *v = map->items[i];
        tt_wfdef_set_t *s = &(*out)[(*n)++];
        char *end;
        s->var = tt_wfdef_var(l->def, k->text);
        if (s->var < 0)
            return bad(l, k, 0, "variable '%s' is not declared", k->text);
        s->type = l->def->vars[s->var].type;
        if (v->kind != TT_YAML_SCALAR)
            return bad(l, v, 0, "expected a single value for '%s'", k->text);
        switch (s->type) {
        case TT_WFV_INT:
            s->i = strtoll(v->text, &end, 10);
            if (v->quoted || !v->text[0] || *end)
                return bad(l, v, 0, "'%s' is an int (money in fen): '%s' is not", k->text,
                           v->text);
            break;
        case TT_WFV_BOOL:
            if (v->quoted || (strcmp(v->text, "true") != 0 && strcmp(v->text, "false") != 0))
                return bad(l, v, 0, "'%s' is a bool: true or false", k->text);
            s->i = v->text[0] == 't';
            break;
        case TT_WFV_STR:
            s->str = strdup(v->text);
            if (!s->str)
                return oom(l);
            break;
        default:
            return bad(l, k, 0, "json variable '%s' is set by hooks and inputs only", k->text);
        }
    }
    return TT_OK;
}

static tt_err_t str_list(ld_t *l, const tt_yaml_node_t *n, const char *what, char ***out,
                         size_t *count)
{
    if (n->kind != TT_YAML_SEQ || n->n == 0)
        return bad(l, n, 0, "%s must be a non-empty list", what);
    *out = calloc(n->n, sizeof **out);
    if (!*out)
        return oom(l);
    for (size_t i = 0; i < n->n; i++) {
        tt_err_t rc = text(l, n->items[i], what, 1, &(*out)[i]);
        *count = i + 1;
        if (rc != TT_OK)
            return rc;
    }
    return TT_OK;
}

static tt_err_t role(ld_t *l, const tt_yaml_node_t *n, char **out)
{
    tt_err_t rc = text(l, n, "role", 1, out);
    if (rc == TT_OK && !l->env->role_exists(l->env->ctx, *out))
        return bad(l, n, 0, "role '%s' is not defined", *out);
    return rc;
}

/* --- step kinds ------------------------------------------------------------------ */

static tt_err_t task(ld_t *l, const tt_yaml_node_t *n, tt_wfdef_step_t *s)
{
    const tt_yaml_node_t *r = tt_yaml_get(n, "role"), *u = tt_yaml_get(n, "users"), *x;
    const tt_yaml_node_t *acts;
    tt_err_t rc = TT_OK;

    if (!r == !u)
        return bad(l, n, 0, "task '%s' needs either role or users", s->name);
    rc = r ? role(l, r, &s->role) : str_list(l, u, "users", &s->users, &s->nusers);
    if (rc == TT_OK && (x = tt_yaml_get(n, "different_from")) != NULL) {
        rc = target(l, x, &s->different_from);
        /* The other step may not be loaded yet: its YAML says its kind. */
        if (rc == TT_OK) {
            const tt_yaml_node_t *kind = tt_yaml_get(l->steps->items[s->different_from], "kind");
            if (!kind || kind->kind != TT_YAML_SCALAR || strcmp(kind->text, "task") != 0)
                rc = bad(l, x, 0, "different_from must name a task step");
        }
        if (rc == TT_OK && s->different_from == s - l->def->steps)
            rc = bad(l, x, 0, "a task cannot be different from itself");
    }
    if (rc == TT_OK && (x = tt_yaml_get(n, "inputs")) != NULL) {
        if (x->kind != TT_YAML_SEQ)
            return bad(l, x, 0, "inputs must be a list of variables");
        s->inputs = calloc(x->n ? x->n : 1, sizeof *s->inputs);
        if (!s->inputs)
            return oom(l);
        for (size_t i = 0; i < x->n; i++) {
            const tt_yaml_node_t *v = x->items[i];
            int k = v->kind == TT_YAML_SCALAR ? tt_wfdef_var(l->def, v->text) : -1;
            if (k < 0)
                return bad(l, v, 0, "input '%s' is not a declared variable",
                           v->kind == TT_YAML_SCALAR ? v->text : "?");
            s->inputs[s->ninputs++] = k;
        }
    }
    if (rc == TT_OK && (x = tt_yaml_get(n, "documents")) != NULL) {
        if (x->kind != TT_YAML_SEQ)
            return bad(l, x, 0, "documents must be a list");
        s->docs = calloc(x->n ? x->n : 1, sizeof *s->docs);
        if (!s->docs)
            return oom(l);
        for (size_t i = 0; rc == TT_OK && i < x->n; i++) {
            static const char *const dkeys[] = {"name", "when", NULL};
            const tt_yaml_node_t *d = x->items[i], *dn = d, *w = NULL;
            tt_wfdef_doc_t *doc = &s->docs[s->ndocs++];
            if (d->kind == TT_YAML_MAP) {
                rc = keys_allowed(l, d, "a document", dkeys);
                if (rc == TT_OK)
                    rc = required(l, d, "name", "a document", &dn);
                w = tt_yaml_get(d, "when");
            }
            if (rc == TT_OK)
                rc = text(l, dn, "document", 1, &doc->name);
            for (size_t j = 0; rc == TT_OK && j + 1 < s->ndocs; j++)
                if (strcmp(s->docs[j].name, doc->name) == 0)
                    rc = bad(l, dn, 0, "document '%s' is listed twice", doc->name);
            if (rc == TT_OK && w)
                rc = condition(l, w, &doc->when);
        }
    }
    if (rc == TT_OK && (x = tt_yaml_get(n, "due")) != NULL) {
        s->has_due = 1;
        rc = rule(l, x, &s->due);
    }
    if (rc == TT_OK && (x = tt_yaml_get(n, "not_before")) != NULL) {
        s->has_not_before = 1;
        rc = rule(l, x, &s->not_before);
    }
    if (rc == TT_OK && (x = tt_yaml_get(n, "remind")) != NULL) {
        s->has_remind = 1;
        rc = rule(l, x, &s->remind);
        if (rc == TT_OK && s->remind.kind != TT_CAL_DAYS && s->remind.kind != TT_CAL_WORKDAYS)
            rc = bad(l, x, 0, "remind is an interval: \"N days\" or \"N workdays\"");
        if (rc == TT_OK && s->remind.n == 0)
            rc = bad(l, x, 0, "remind interval must be at least 1");
    }
    if (rc == TT_OK && (x = tt_yaml_get(n, "escalate")) != NULL) {
        static const char *const ekeys[] = {"after", "to", NULL};
        const tt_yaml_node_t *after, *to;
        s->has_escalate = 1;
        rc = keys_allowed(l, x, "escalate", ekeys);
        if (rc == TT_OK)
            rc = required(l, x, "after", "escalate", &after);
        if (rc == TT_OK)
            rc = required(l, x, "to", "escalate", &to);
        if (rc == TT_OK)
            rc = rule(l, after, &s->escalate_after);
        if (rc == TT_OK)
            rc = role(l, to, &s->escalate_to);
    }
    if ((s->has_remind || s->has_escalate) && !s->has_due && rc == TT_OK)
        return bad(l, n, 0, "task '%s' has remind or escalate but no due", s->name);
    if (rc != TT_OK)
        return rc;
    rc = required(l, n, "actions", "a task", &acts);
    if (rc != TT_OK)
        return rc;
    if (acts->kind != TT_YAML_MAP || acts->n == 0)
        return bad(l, acts, 0, "actions must map each action to a step");
    s->actions = calloc(acts->n, sizeof *s->actions);
    if (!s->actions)
        return oom(l);
    for (size_t i = 0; rc == TT_OK && i < acts->n; i++) {
        static const char *const akeys[] = {"to", "documents", "set", NULL};
        const tt_yaml_node_t *k = acts->keys[i], *v = acts->items[i], *to = v, *docs;
        tt_wfdef_action_t *a = &s->actions[s->nactions++];
        a->check_documents = 1;
        rc = text(l, k, "action", 1, &a->name);
        if (rc == TT_OK && strcmp(a->name, "claim") == 0)
            rc = bad(l, k, 0, "'claim' is reserved: every task can be claimed");
        if (rc == TT_OK && v->kind == TT_YAML_MAP) {
            rc = keys_allowed(l, v, "an action", akeys);
            if (rc == TT_OK)
                rc = required(l, v, "to", "an action", &to);
            docs = tt_yaml_get(v, "documents");
            if (rc == TT_OK && docs) {
                if (docs->kind != TT_YAML_SCALAR || (strcmp(docs->text, "true") != 0 &&
                                                     strcmp(docs->text, "false") != 0))
                    rc = bad(l, docs, 0, "documents is true or false");
                else
                    a->check_documents = docs->text[0] == 't';
            }
            if (rc == TT_OK)
                rc = sets(l, tt_yaml_get(v, "set"), &a->sets, &a->nsets);
        }
        if (rc == TT_OK)
            rc = target(l, to, &a->target);
    }
    return rc;
}

static tt_err_t choice(ld_t *l, const tt_yaml_node_t *n, tt_wfdef_step_t *s)
{
    const tt_yaml_node_t *b;
    tt_err_t rc = required(l, n, "branches", "a choice", &b);
    if (rc != TT_OK)
        return rc;
    if (b->kind != TT_YAML_SEQ || b->n == 0)
        return bad(l, b, 0, "branches must be a list of {when, to} ending with {else}");
    s->branches = calloc(b->n, sizeof *s->branches);
    if (!s->branches)
        return oom(l);
    for (size_t i = 0; rc == TT_OK && i < b->n; i++) {
        static const char *const bkeys[] = {"when", "to", "else", NULL};
        const tt_yaml_node_t *it = b->items[i], *w, *to, *e;
        tt_wfdef_branch_t *br = &s->branches[s->nbranches++];
        rc = keys_allowed(l, it, "a branch", bkeys);
        if (rc != TT_OK)
            return rc;
        w = tt_yaml_get(it, "when");
        to = tt_yaml_get(it, "to");
        e = tt_yaml_get(it, "else");
        if (e && (w || to))
            return bad(l, it, 0, "an else branch is just {else: step}");
        if (!e && (!w || !to))
            return bad(l, it, 0, "a branch needs when and to");
        if (e && i + 1 != b->n)
            return bad(l, it, 0, "else must be the last branch");
        if (!e && i + 1 == b->n)
            return bad(l, it, 0, "the last branch must be else, so that some branch is taken");
        rc = e ? target(l, e, &br->target) : condition(l, w, &br->when);
        if (rc == TT_OK && !e)
            rc = target(l, to, &br->target);
    }
    return rc;
}

static tt_err_t parallel(ld_t *l, const tt_yaml_node_t *n, tt_wfdef_step_t *s)
{
    const tt_yaml_node_t *b, *j;
    tt_err_t rc = required(l, n, "branches", "a parallel step", &b);
    if (rc == TT_OK)
        rc = required(l, n, "join", "a parallel step", &j);
    if (rc != TT_OK)
        return rc;
    if (b->kind != TT_YAML_SEQ || b->n < 2)
        return bad(l, b, 0, "branches must list at least two steps");
    s->forks = calloc(b->n, sizeof *s->forks);
    if (!s->forks)
        return oom(l);
    for (size_t i = 0; rc == TT_OK && i < b->n; i++)
        rc = target(l, b->items[i], &s->forks[s->nforks++]);
    if (rc == TT_OK)
        rc = target(l, j, &s->join);
    return rc;
}

static tt_err_t step(ld_t *l, size_t idx)
{
    static const char *const common[] = {"kind", "title", "set"};
    static const char *const per_kind[][12] = {
        [TT_WFSTEP_TASK] = {"role", "users", "different_from", "inputs", "documents", "due",
                            "not_before", "remind", "escalate", "actions", NULL},
        [TT_WFSTEP_AUTO] = {"hook", "next", "on_error", NULL},
        [TT_WFSTEP_CHOICE] = {"branches", NULL},
        [TT_WFSTEP_PARALLEL] = {"branches", "join", NULL},
        [TT_WFSTEP_JOIN] = {"need", "next", NULL},
        [TT_WFSTEP_WAIT] = {"until", "message", "next", NULL},
        [TT_WFSTEP_END] = {"outcome", NULL},
    };
    const tt_yaml_node_t *n = l->steps->items[idx], *k, *x;
    tt_wfdef_step_t *s = &l->def->steps[idx];
    const char *allowed[16];
    size_t na = 0;
    tt_err_t rc;

    if (n->kind != TT_YAML_MAP)
        return bad(l, n, 0, "step '%s' must be a mapping", s->name);
    rc = required(l, n, "kind", "a step", &k);
    if (rc != TT_OK)
        return rc;
    for (tt_wfstep_kind_t t = TT_WFSTEP_TASK; t <= TT_WFSTEP_END; t++)
        if (k->kind == TT_YAML_SCALAR && strcmp(k->text, tt_wfdef_kind_name(t)) == 0)
            s->kind = t;
    if (!s->kind)
        return bad(l, k, 0, "kind must be task, auto, choice, parallel, join, wait or end");
    for (size_t i = 0; i < 3; i++)
        allowed[na++] = common[i];
    for (size_t i = 0; per_kind[s->kind][i]; i++)
        allowed[na++] = per_kind[s->kind][i];
    allowed[na] = NULL;
    rc = keys_allowed(l, n, tt_wfdef_kind_name(s->kind), allowed);
    if (rc == TT_OK)
        rc = text(l, (x = tt_yaml_get(n, "title")) ? x : k, "title", 0, &s->title);
    if (rc == TT_OK && !tt_yaml_get(n, "title"))
        s->title[0] = '\0';
    if (rc == TT_OK)
        rc = sets(l, tt_yaml_get(n, "set"), &s->sets, &s->nsets);
    if (rc != TT_OK)
        return rc;
    switch (s->kind) {
    case TT_WFSTEP_TASK:
        return task(l, n, s);
    case TT_WFSTEP_AUTO:
        rc = required(l, n, "hook", "an auto step", &x);
        if (rc == TT_OK)
            rc = text(l, x, "hook", 1, &s->hook);
        if (rc == TT_OK && !l->env->hook_exists(l->env->ctx, s->hook))
            rc = bad(l, x, 0, "hook '%s' is not registered in this server", s->hook);
        if (rc == TT_OK && (x = tt_yaml_get(n, "on_error")) != NULL)
            rc = target(l, x, &s->on_error);
        break;
    case TT_WFSTEP_CHOICE:
        return choice(l, n, s);
    case TT_WFSTEP_PARALLEL:
        return parallel(l, n, s);
    case TT_WFSTEP_JOIN:
        x = tt_yaml_get(n, "need");
        if (!x || (x->kind == TT_YAML_SCALAR && strcmp(x->text, "all") == 0))
            s->need = 0;   /* all: set once the parallel is known */
        else if (x->kind == TT_YAML_SCALAR && strcmp(x->text, "any") == 0)
            s->need = 1;
        else if (x->kind == TT_YAML_SCALAR && !x->quoted && (s->need = atoi(x->text)) >= 1 &&
                 strspn(x->text, "0123456789") == strlen(x->text) && strlen(x->text) < 4)
            ;
        else
            return bad(l, x, 0, "need is all, any or a number of branches");
        break;
    case TT_WFSTEP_WAIT:
        if (!tt_yaml_get(n, "until") == !tt_yaml_get(n, "message"))
            return bad(l, n, 0, "a wait needs either until (a date rule) or message");
        if ((x = tt_yaml_get(n, "until")) != NULL) {
            s->has_until = 1;
            rc = rule(l, x, &s->until);
        } else {
            rc = text(l, tt_yaml_get(n, "message"), "message", 1, &s->message);
        }
        break;
    case TT_WFSTEP_END:
        rc = required(l, n, "outcome", "an end", &x);
        if (rc == TT_OK)
            rc = text(l, x, "outcome", 1, &s->outcome);
        return rc;
    }
    if (rc == TT_OK) {
        rc = required(l, n, "next", "this step", &x);
        if (rc == TT_OK)
            rc = target(l, x, &s->next);
    }
    return rc;
}

/* --- graph checks ----------------------------------------------------------------- */

/* The steps that `i` can move to; `for_end` leaves a parallel's branches
 * out (it finishes through its join). */
static size_t successors(const tt_wfdef_step_t *s, int for_end, int *out)
{
    size_t n = 0;
    switch (s->kind) {
    case TT_WFSTEP_TASK:
        for (size_t i = 0; i < s->nactions; i++)
            out[n++] = s->actions[i].target;
        break;
    case TT_WFSTEP_AUTO:
        out[n++] = s->next;
        if (s->on_error >= 0)
            out[n++] = s->on_error;
        break;
    case TT_WFSTEP_CHOICE:
        for (size_t i = 0; i < s->nbranches; i++)
            out[n++] = s->branches[i].target;
        break;
    case TT_WFSTEP_PARALLEL:
        out[n++] = s->join;
        for (size_t i = 0; !for_end && i < s->nforks; i++)
            out[n++] = s->forks[i];
        break;
    case TT_WFSTEP_JOIN:
    case TT_WFSTEP_WAIT:
        out[n++] = s->next;
        break;
    case TT_WFSTEP_END:
        break;
    }
    return n;
}

static size_t max_successors(const tt_wfdef_t *d)
{
    size_t m = 2;
    for (size_t i = 0; i < d->nsteps; i++) {
        size_t k = d->steps[i].nactions + d->steps[i].nbranches + d->steps[i].nforks + 2;
        m = k > m ? k : m;
    }
    return m;
}

/* Marks in seen[] every step reachable from `from`. */
static void reach(const tt_wfdef_t *d, int from, int *stack, int *succ, unsigned char *seen)
{
    size_t top = 0;
    stack[top++] = from;
    seen[from] = 1;
    while (top) {
        int i = stack[--top];
        size_t n = successors(&d->steps[i], 0, succ);
        for (size_t k = 0; k < n; k++) {
            if (!seen[succ[k]]) {
                seen[succ[k]] = 1;
                stack[top++] = succ[k];
            }
        }
    }
}

static tt_err_t graph(ld_t *l)
{
    tt_wfdef_t *d = l->def;
    size_t ns = d->nsteps;
    int *stack = calloc(ns * (max_successors(d) + 1) + 1, sizeof *stack);
    int *succ = calloc(max_successors(d), sizeof *succ);
    unsigned char *seen = calloc(ns, 1), *ends = calloc(ns, 1);
    tt_err_t rc = TT_OK;

    if (!stack || !succ || !seen || !ends) {
        rc = oom(l);
        goto out;
    }
    /* Joins: each belongs to exactly one parallel, which its branches reach. */
    for (size_t i = 0; rc == TT_OK && i < ns; i++) {
        tt_wfdef_step_t *p = &d->steps[i];
        tt_wfdef_step_t *j;
        if (p->kind != TT_WFSTEP_PARALLEL)
            continue;
        j = &d->steps[p->join];
        if (j->kind != TT_WFSTEP_JOIN)
            rc = bad(l, tt_yaml_get(l->steps->items[i], "join"), 0,
                     "'%s' is a %s step, not a join", j->name, tt_wfdef_kind_name(j->kind));
        else if (j->parallel >= 0)
            rc = bad(l, tt_yaml_get(l->steps->items[i], "join"), 0,
                     "join '%s' already joins parallel '%s'", j->name,
                     d->steps[j->parallel].name);
        if (rc != TT_OK)
            break;
        j->parallel = (int)i;
        if (j->need == 0)
            j->need = (int)p->nforks;
        else if ((size_t)j->need > p->nforks)
            rc = bad(l, tt_yaml_get(l->steps->items[p->join], "need"), 0,
                     "need %d of only %zu branches", j->need, p->nforks);
        for (size_t b = 0; rc == TT_OK && b < p->nforks; b++) {
            memset(seen, 0, ns);
            reach(d, p->forks[b], stack, succ, seen);
            if (!seen[p->join])
                rc = bad(l, tt_yaml_get(l->steps->items[i], "branches")->items[b], 0,
                         "branch '%s' never reaches join '%s'", d->steps[p->forks[b]].name,
                         j->name);
        }
    }
    for (size_t i = 0; rc == TT_OK && i < ns; i++)
        if (d->steps[i].kind == TT_WFSTEP_JOIN && d->steps[i].parallel < 0)
            rc = bad(l, l->steps->keys[i], 0, "join '%s' is not the join of any parallel step",
                     d->steps[i].name);
    if (rc != TT_OK)
        goto out;
    /* Can reach an end: grow the set backwards from the ends to a fixpoint. */
    for (size_t i = 0; i < ns; i++)
        ends[i] = d->steps[i].kind == TT_WFSTEP_END;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < ns; i++) {
            size_t n = ends[i] ? 0 : successors(&d->steps[i], 1, succ);
            for (size_t k = 0; k < n && !ends[i]; k++) {
                if (ends[succ[k]]) {
                    ends[i] = 1;
                    changed = 1;
                }
            }
        }
    }
    /* A loop with no way out is named before the steps it cuts off. */
    for (size_t i = 0; i < ns; i++) {
        if (!ends[i]) {
            rc = bad(l, l->steps->keys[i], 0, "step '%s' can never reach an end",
                     d->steps[i].name);
            goto out;
        }
    }
    memset(seen, 0, ns);
    reach(d, d->start, stack, succ, seen);
    for (size_t i = 0; i < ns; i++) {
        if (!seen[i]) {
            rc = bad(l, l->steps->keys[i], 0, "step '%s' is never reached from start '%s'",
                     d->steps[i].name, d->steps[d->start].name);
            goto out;
        }
    }
out:
    free(stack);
    free(succ);
    free(seen);
    free(ends);
    return rc;
}

/* --- the definition ---------------------------------------------------------------- */

static tt_err_t variables(ld_t *l, const tt_yaml_node_t *n)
{
    if (!n)
        return TT_OK;
    if (n->kind != TT_YAML_MAP)
        return bad(l, n, 0, "variables must map names to int, bool, string or json");
    l->def->vars = calloc(n->n ? n->n : 1, sizeof *l->def->vars);
    if (!l->def->vars)
        return oom(l);
    for (size_t i = 0; i < n->n; i++) {
        tt_wfdef_var_t *v = &l->def->vars[l->def->nvars++];
        tt_err_t rc = text(l, n->keys[i], "variable", 1, &v->name);
        if (rc != TT_OK)
            return rc;
        v->type = n->items[i]->kind == TT_YAML_SCALAR ? tt_wfv_type_parse(n->items[i]->text)
                                                      : TT_WFV_NONE;
        if (v->type == TT_WFV_NONE)
            return bad(l, n->items[i], 0, "type must be int, bool, string or json");
    }
    return TT_OK;
}

static tt_err_t load(ld_t *l, const tt_yaml_node_t *root)
{
    static const char *const keys[] = {"workflow", "title", "calendar", "variables", "start",
                                       "steps", NULL};
    tt_wfdef_t *d = l->def;
    const tt_yaml_node_t *x;
    tt_err_t rc = keys_allowed(l, root, "a workflow definition", keys);

    if (rc == TT_OK)
        rc = required(l, root, "workflow", "a definition", &x);
    if (rc == TT_OK)
        rc = text(l, x, "workflow name", 1, &d->name);
    if (rc == TT_OK)
        rc = text(l, (x = tt_yaml_get(root, "title")) ? x : root->keys[0], "title", 0, &d->title);
    if (rc == TT_OK && !tt_yaml_get(root, "title"))
        d->title[0] = '\0';
    if (rc == TT_OK)
        rc = required(l, root, "calendar", "a definition", &x);
    if (rc == TT_OK)
        rc = text(l, x, "calendar", 1, &d->calendar);
    if (rc == TT_OK && !l->env->calendar_exists(l->env->ctx, d->calendar))
        rc = bad(l, x, 0, "calendar '%s' is not installed", d->calendar);
    if (rc == TT_OK)
        rc = variables(l, tt_yaml_get(root, "variables"));
    if (rc == TT_OK)
        rc = required(l, root, "steps", "a definition", &l->steps);
    if (rc != TT_OK)
        return rc;
    if (l->steps->kind != TT_YAML_MAP || l->steps->n == 0)
        return bad(l, l->steps, 0, "steps must map step names to steps");
    d->steps = calloc(l->steps->n, sizeof *d->steps);
    if (!d->steps)
        return oom(l);
    for (size_t i = 0; i < l->steps->n; i++) {
        tt_wfdef_step_t *s = &d->steps[d->nsteps++];
        s->different_from = s->on_error = s->next = s->join = s->parallel = -1;
        s->line = l->steps->keys[i]->line;
        s->col = l->steps->keys[i]->col;
        rc = text(l, l->steps->keys[i], "step", 1, &s->name);
        if (rc != TT_OK)
            return rc;
    }
    rc = required(l, root, "start", "a definition", &x);
    if (rc == TT_OK)
        rc = target(l, x, &d->start);
    for (size_t i = 0; rc == TT_OK && i < d->nsteps; i++)
        rc = step(l, i);
    return rc == TT_OK ? graph(l) : rc;
}

tt_err_t tt_wfdef_load(const char *file, const char *text_, size_t len, const tt_wfdef_env_t *env,
                       tt_wfdef_t **out, char *err, size_t errlen)
{
    ld_t l = {.file = file, .env = env, .err = err, .errlen = errlen};
    tt_yaml_node_t *root;
    tt_err_t rc;

    *out = NULL;
    rc = tt_yaml_load(file, text_, len, &root, err, errlen);
    if (rc != TT_OK)
        return rc;
    l.def = calloc(1, sizeof *l.def);
    rc = l.def ? load(&l, root) : TT_ERR_NOMEM;
    tt_yaml_free(root);
    if (rc != TT_OK) {
        tt_wfdef_free(l.def);
        return l.nomem ? TT_ERR_NOMEM : rc;
    }
    *out = l.def;
    return TT_OK;
}

static void free_sets(tt_wfdef_set_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i].str);
    free(s);
}

void tt_wfdef_free(tt_wfdef_t *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nsteps; i++) {
        tt_wfdef_step_t *s = &d->steps[i];
        free(s->name);
        free(s->title);
        free_sets(s->sets, s->nsets);
        free(s->role);
        for (size_t k = 0; k < s->nusers; k++)
            free(s->users[k]);
        free(s->users);
        free(s->inputs);
        for (size_t k = 0; k < s->ndocs; k++) {
            free(s->docs[k].name);
            tt_wfexpr_free(s->docs[k].when);
        }
        free(s->docs);
        for (size_t k = 0; k < s->nactions; k++) {
            free(s->actions[k].name);
            free_sets(s->actions[k].sets, s->actions[k].nsets);
        }
        free(s->actions);
        free(s->escalate_to);
        free(s->hook);
        for (size_t k = 0; k < s->nbranches; k++)
            tt_wfexpr_free(s->branches[k].when);
        free(s->branches);
        free(s->forks);
        free(s->message);
        free(s->outcome);
    }
    free(d->steps);
    for (size_t i = 0; i < d->nvars; i++)
        free(d->vars[i].name);
    free(d->vars);
    free(d->name);
    free(d->title);
    free(d->calendar);
    free(d);
}

int tt_wfdef_step(const tt_wfdef_t *def, const char *name)
{
    for (size_t i = 0; i < def->nsteps; i++)
        if (def->steps[i].name && strcmp(def->steps[i].name, name) == 0)
            return (int)i;
    return -1;
}

int tt_wfdef_var(const tt_wfdef_t *def, const char *name)
{
    for (size_t i = 0; i < def->nvars; i++)
        if (strcmp(def->vars[i].name, name) == 0)
            return (int)i;
    return -1;
}
