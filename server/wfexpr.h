/*
 * wfexpr: the condition language of workflow definitions, parsed and type
 * checked when a definition is deployed and evaluated against an
 * instance's variables.
 *
 *   amount > 5000000 and (method == "single_source" or not approved)
 *
 * Operators: == != < <= > >= (integers; == and != also strings and
 * booleans), and, or, not, parentheses.  Literals: integers (money as
 * integer fen: 360 yuan is 36000), strings in "double" or 'single' quotes
 * (\" \' \\ escape), true, false.  Names are variables: [a-z_][a-z0-9_]*.
 * No floating point, no implicit conversions: comparing a string with an
 * integer is a type error at deploy, never a surprise at run time.
 */
#ifndef TT_WFEXPR_H
#define TT_WFEXPR_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Variable types.  JSON values (structured data for hooks, such as plan
 * lines) may be stored but not compared. */
typedef enum {
    TT_WFV_NONE = 0, TT_WFV_INT, TT_WFV_BOOL, TT_WFV_STR, TT_WFV_JSON
} tt_wfv_type_t;

/* A value; `s` (STR: the text, JSON: its serialised form) is borrowed. */
typedef struct {
    tt_wfv_type_t type;
    int64_t i;            /* INT value, or BOOL 0/1 */
    const char *s;
} tt_wfv_t;

/* "int", "bool", "string", "json" and back; parse gives TT_WFV_NONE for
 * anything else. */
const char *tt_wfv_type_name(tt_wfv_type_t t);
tt_wfv_type_t tt_wfv_type_parse(const char *name);

typedef struct tt_wfexpr tt_wfexpr_t;

/* Longest condition text accepted, in bytes. */
#define TT_WFEXPR_MAX 1024

/* Parses `text`.  On TT_OK *out is owned by the caller (tt_wfexpr_free).
 * Returns TT_ERR_PARSE with the 0-based byte offset of the problem in
 * *errpos and the reason in `reason`, or TT_ERR_NOMEM. */
tt_err_t tt_wfexpr_parse(const char *text, tt_wfexpr_t **out, size_t *errpos, char *reason,
                         size_t rlen);

/* Frees; NULL is accepted. */
void tt_wfexpr_free(tt_wfexpr_t *e);

/* The type of variable `name`, TT_WFV_NONE when it is not declared. */
typedef tt_wfv_type_t (*tt_wfexpr_type_fn)(void *ctx, const char *name);

/* Checks that every variable is declared, that both sides of each
 * comparison have one type (ordering only for integers), that and/or/not
 * take booleans and that the whole is a boolean.  Returns TT_OK, or
 * TT_ERR_PARSE with *errpos and `reason` as tt_wfexpr_parse. */
tt_err_t tt_wfexpr_check(const tt_wfexpr_t *e, tt_wfexpr_type_fn type, void *ctx,
                         size_t *errpos, char *reason, size_t rlen);

/* The value of variable `name` into *out; returns 0 when it is not set. */
typedef int (*tt_wfexpr_value_fn)(void *ctx, const char *name, tt_wfv_t *out);

/* Evaluates a checked expression into *result (0 or 1).  Returns TT_OK,
 * TT_ERR_NOTFOUND with "variable 'x' is not set" in `reason` (a condition
 * needs a variable no step has set yet), or TT_ERR_INVAL when a value's
 * type differs from its declaration. */
tt_err_t tt_wfexpr_eval(const tt_wfexpr_t *e, tt_wfexpr_value_fn value, void *ctx, int *result,
                        char *reason, size_t rlen);

#endif
