/*
 * import: CSV master data into the store (see import.h).
 *
 * Three passes.  1: read the file with the strict CSV reader and check each
 * row's fields on their own.  2: with every row in view, find what the file
 * contradicts itself on: keys, barcodes, badges and GIAIs given twice (and
 * an asset barcode that is another asset's number).  3: inside one write
 * transaction, check each row against the store (units and items referred
 * to, barcodes, badges and GIAIs held by rows the file does not mention) and
 * store it.  Any error in any pass: roll back, nothing changes.  Pass 3 runs inside
 * the transaction so that what was checked is what is written, even with
 * another import or the server working on the same file.
 */
#include "import.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "dbmaster.h"
#include "epc.h"
#include "master.h"
#include "revolve.h"

/* Kinds inside this file: the master tables by their tt_dbmaster_table_t value,
 * then the revolving models (TT_IMPORT_MODELS outside). */
enum { K_MODELS = TT_DBMASTER_LAST + 1, K_LAST = K_MODELS };
_Static_assert(TT_DBMASTER_LAST == 6, "the tables below list the six master tables of db.h");

static const char *const kind_names[] = {NULL,        "units", "warehouses", "items",
                                         "operators", "plans", "equipment", "models"};

static const char *const unit_cols[] = {"id", "name", "kind"};
static const char *const warehouse_cols[] = {"id", "name", "kind", "unit"};
static const char *const item_cols[] = {"code",   "name",       "spec",   "uom",
                                        "category", "price",    "return_old", "reward",
                                        "penalty",  "barcodes", "active"};
static const char *const operator_cols[] = {"id", "name", "role", "unit", "badge", "active"};
static const char *const plan_cols[] = {"serial", "item", "qty", "category", "unit", "status"};
static const char *const equipment_cols[] = {"asset", "model", "item", "giai",
                                             "barcode", "unit", "active"};
static const char *const model_cols[] = {"item", "name"};

#define SHOWN_MAX 48   /* bytes of a value quoted in an error */
#define PROGRESS_EVERY 256

typedef struct {
    size_t line;
    int skip;          /* failed a check of pass 1 or 2: never stored */
    union {
        tt_master_unit_t unit;
        tt_master_warehouse_t warehouse;
        tt_dbmaster_item_t item;
        tt_master_operator_t op;
        tt_master_plan_t plan;
        tt_master_equipment_t eq;
        tt_revolve_model_t model;
    } u;
} row_t;

/* A key (id, code, barcode, badge or GIAI) of row `row`, for sorting. */
typedef struct {
    const char *key;
    size_t row;
} keyref_t;

typedef struct {
    const char *name;            /* the file, in messages */
    int kind;                    /* TT_DBMASTER_UNIT .. K_LAST */
    tt_import_result_t *res;
    size_t lines[TT_IMPORT_ERRORS_MAX];   /* of res->errors, for sorting */
    row_t *rows;
    size_t nrows, caprows;
    keyref_t *keys;                 /* sorted by key: the file's rows */
} imp_t;

/* The kind inside this file of an import kind; 0 when unknown. */
static int inner_kind(int kind)
{
    if (kind == TT_IMPORT_MODELS)
        return K_MODELS;
    return kind >= TT_DBMASTER_UNIT && kind <= TT_DBMASTER_LAST ? kind : 0;
}

int tt_import_kind_parse(const char *name)
{
    for (int k = TT_DBMASTER_UNIT; k <= K_LAST; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k == K_MODELS ? TT_IMPORT_MODELS : k;
    return 0;
}

const char *tt_import_kind_name(int kind)
{
    int k = inner_kind(kind);
    return k ? kind_names[k] : NULL;
}

/* --- errors ---------------------------------------------------------------- */

/* Whether the error list is full (the import then stops looking). */
static int full(const imp_t *im)
{
    return im->res->more_errors;
}

static void add_error(imp_t *im, size_t line, const char *text)
{
    tt_import_result_t *r = im->res;
    if (r->nerrors == TT_IMPORT_ERRORS_MAX) {
        r->more_errors = 1;
        return;
    }
    snprintf(r->errors[r->nerrors], sizeof r->errors[0], "%s", text);
    im->lines[r->nerrors++] = line;
}

static void row_error(imp_t *im, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports "name:line: reason". */
static void row_error(imp_t *im, size_t line, const char *fmt, ...)
{
    char text[TT_IMPORT_ERROR_LEN];
    va_list ap;
    int n = snprintf(text, sizeof text, "%s:%zu: ", im->name, line);

    if (n > 0 && (size_t)n < sizeof text) {
        va_start(ap, fmt);
        vsnprintf(text + n, sizeof text - (size_t)n, fmt, ap);
        va_end(ap);
    }
    add_error(im, line, text);
}

/* Reports "name: reason" (line 0 sorts first). */
static void file_error(imp_t *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void file_error(imp_t *im, const char *fmt, ...)
{
    char text[TT_IMPORT_ERROR_LEN];
    va_list ap;
    int n = snprintf(text, sizeof text, "%s: ", im->name);

    if (n > 0 && (size_t)n < sizeof text) {
        va_start(ap, fmt);
        vsnprintf(text + n, sizeof text - (size_t)n, fmt, ap);
        va_end(ap);
    }
    add_error(im, 0, text);
}

/* Stable insertion sort of the errors by line (at most 50 of them). */
static void sort_errors(imp_t *im)
{
    tt_import_result_t *r = im->res;
    char tmp[TT_IMPORT_ERROR_LEN];

    for (size_t i = 1; i < r->nerrors; i++) {
        size_t line = im->lines[i], k = i;
        memcpy(tmp, r->errors[i], sizeof tmp);
        while (k > 0 && im->lines[k - 1] > line) {
            memcpy(r->errors[k], r->errors[k - 1], sizeof tmp);
            im->lines[k] = im->lines[k - 1];
            k--;
        }
        memcpy(r->errors[k], tmp, sizeof tmp);
        im->lines[k] = line;
    }
}

/* A value as quoted in a message: control characters as '?', at most
 * SHOWN_MAX bytes, cut on a character boundary (the CSV reader has
 * checked the UTF-8). */
static const char *shown(const char *v, char *buf)
{
    size_t n = 0;
    for (const unsigned char *u = (const unsigned char *)v; *u; u++) {
        if (n >= SHOWN_MAX - 4 && (*u & 0xC0) != 0x80) {
            memcpy(buf + n, "...", 4);
            return buf;
        }
        buf[n++] = *u < 0x20 || *u == 0x7f ? '?' : (char)*u;
    }
    buf[n] = '\0';
    return buf;
}

/* --- pass 1: fields -------------------------------------------------------- */

static int check_id(imp_t *im, size_t line, const char *col, const char *v, int may_be_empty,
                    char *dst, size_t cap)
{
    char s[SHOWN_MAX + 4];
    if ((v[0] == '\0' && may_be_empty) || tt_event_id_valid(v)) {
        snprintf(dst, cap, "%s", v);
        return 1;
    }
    if (v[0] == '\0')
        row_error(im, line, "%s: empty", col);
    else
        row_error(im, line, "%s '%s': not an id (1-%d of A-Z a-z 0-9 _ . -)", col, shown(v, s),
                  TT_EVENT_ID_MAX);
    return 0;
}

static int check_code(imp_t *im, size_t line, const char *col, const char *v, int may_be_empty,
                      char *dst, size_t cap)
{
    char s[SHOWN_MAX + 4];
    if ((v[0] == '\0' && may_be_empty) || tt_event_code_valid(v)) {
        snprintf(dst, cap, "%s", v);
        return 1;
    }
    if (v[0] == '\0')
        row_error(im, line, "%s: empty", col);
    else
        row_error(im, line,
                  "%s '%s': not a barcode (1-%d printable ASCII characters, no spaces, '\"' or"
                  " '\\')",
                  col, shown(v, s), TT_EVENT_CODE_MAX);
    return 0;
}

static int check_text(imp_t *im, size_t line, const char *col, const char *v, int may_be_empty,
                      char *dst, size_t cap)
{
    size_t n = strlen(v);
    if (n == 0 && !may_be_empty) {
        row_error(im, line, "%s: empty", col);
        return 0;
    }
    if (n > TT_MASTER_TEXT_MAX) {
        row_error(im, line, "%s: %zu bytes, at most %d", col, n, TT_MASTER_TEXT_MAX);
        return 0;
    }
    if (!tt_master_text_valid(v, may_be_empty)) {
        row_error(im, line, "%s: contains a control character (a line break or tab?)", col);
        return 0;
    }
    /* Valid text, but "锚杆 " and "锚杆" would look alike on every screen. */
    if (n > 0 && (v[0] == ' ' || v[n - 1] == ' ')) {
        row_error(im, line, "%s: leading or trailing space", col);
        return 0;
    }
    snprintf(dst, cap, "%s", v);
    return 1;
}

static int check_money(imp_t *im, size_t line, const char *col, const char *v, tt_fen_t *out)
{
    char s[SHOWN_MAX + 4];
    tt_err_t rc = tt_money_parse(v, out);
    if (rc == TT_OK && *out >= 0)
        return 1;
    if (rc == TT_OK)
        row_error(im, line, "%s '%s': must not be negative", col, shown(v, s));
    else if (rc == TT_ERR_RANGE)
        row_error(im, line, "%s '%s': too large", col, shown(v, s));
    else
        row_error(im, line, "%s '%s': not an amount in yuan with at most 2 decimals (12.50)", col,
                  shown(v, s));
    return 0;
}

static int check_qty(imp_t *im, size_t line, const char *col, const char *v, tt_qty_t *out)
{
    char s[SHOWN_MAX + 4];
    tt_err_t rc = tt_qty_parse(v, out);
    if (rc == TT_OK && *out > 0)
        return 1;
    if (rc == TT_OK)
        row_error(im, line, "%s '%s': must be greater than zero", col, shown(v, s));
    else if (rc == TT_ERR_RANGE)
        row_error(im, line, "%s '%s': too large", col, shown(v, s));
    else
        row_error(im, line, "%s '%s': not a quantity with at most 3 decimals (12.5)", col,
                  shown(v, s));
    return 0;
}

/* A GIAI as tt_epc_decode gives it.  The tag's EPC in hex (what a reader
 * shows) is the likeliest mix-up and could pass for a GIAI of hex digits:
 * a value that decodes as an asset tag's EPC is refused, naming its GIAI. */
static int check_giai(imp_t *im, size_t line, const char *v, char *dst, size_t cap)
{
    char s[SHOWN_MAX + 4];
    tt_epc_t e;

    if (tt_epc_decode(v, &e, NULL, 0) == TT_OK && e.scheme != TT_EPC_SGTIN_96) {
        row_error(im, line, "giai '%s': the tag's EPC, not its GIAI (which is '%s')",
                  shown(v, s), e.key);
        return 0;
    }
    if (v[0] == '\0' || tt_master_giai_valid(v)) {
        snprintf(dst, cap, "%s", v);
        return 1;
    }
    row_error(im, line,
              "giai '%s': not a GIAI (7-%d characters of GS1 set 82, the company prefix's"
              " digits first)",
              shown(v, s), TT_MASTER_GIAI_MAX);
    return 0;
}

static int check_yesno(imp_t *im, size_t line, const char *col, const char *v, int *out)
{
    char s[SHOWN_MAX + 4];
    if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0) {
        *out = v[0] == 'y';
        return 1;
    }
    row_error(im, line, "%s '%s': must be yes or no", col, shown(v, s));
    return 0;
}

static int check_kind(imp_t *im, size_t line, const char *col, const char *v, int value,
                      const char *choices)
{
    char s[SHOWN_MAX + 4];
    if (value)
        return 1;
    row_error(im, line, "%s '%s': not one of %s", col, shown(v, s), choices);
    return 0;
}

/* Splits the barcodes column ('|' between barcodes) into it->barcodes, the
 * item's code first: the code is always a barcode of its item, and may be
 * listed too. */
static int check_barcodes(imp_t *im, size_t line, const char *v, tt_master_item_t *it)
{
    char s[SHOWN_MAX + 4];
    const char *p = v;

    snprintf(it->barcodes[0], sizeof it->barcodes[0], "%s", it->code);
    it->nbarcodes = 1;
    if (v[0] == '\0')
        return 1;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        char code[TT_EVENT_CODE_MAX + 2];
        int dup = 0;

        if (n == 0) {
            row_error(im, line, "barcodes '%s': empty barcode (two '|' in a row, or one at an end)",
                      shown(v, s));
            return 0;
        }
        if (n > TT_EVENT_CODE_MAX)
            n = TT_EVENT_CODE_MAX + 1;   /* too long: refused just below */
        memcpy(code, p, n);
        code[n] = '\0';
        if (!tt_event_code_valid(code)) {
            row_error(im, line,
                      "barcodes: '%s' is not a barcode (1-%d printable ASCII characters, no"
                      " spaces, '\"' or '\\')",
                      shown(code, s), TT_EVENT_CODE_MAX);
            return 0;
        }
        for (size_t i = 0; i < it->nbarcodes; i++)
            dup |= strcmp(it->barcodes[i], code) == 0 ? (i == 0 ? 1 : 2) : 0;
        if (dup & 2) {
            row_error(im, line, "barcodes: '%s' listed twice", shown(code, s));
            return 0;
        }
        if (!dup) {
            if (it->nbarcodes == TT_MASTER_BARCODES_MAX) {
                row_error(im, line, "barcodes: more than %d with the item's code",
                          TT_MASTER_BARCODES_MAX);
                return 0;
            }
            memcpy(it->barcodes[it->nbarcodes++], code, n + 1);   /* n <= TT_EVENT_CODE_MAX */
        }
        if (!bar)
            return 1;
        p = bar + 1;
    }
}

/* Checks one row's fields into r; returns 0 (errors reported) if any is bad. */
static int check_row(imp_t *im, const char *const *f, row_t *r)
{
    size_t ln = r->line;
    int ok = 1, v;

    switch (im->kind) {
    case TT_DBMASTER_UNIT: {
        tt_master_unit_t *u = &r->u.unit;
        ok &= check_id(im, ln, "id", f[0], 0, u->id, sizeof u->id);
        ok &= check_text(im, ln, "name", f[1], 0, u->name, sizeof u->name);
        v = tt_master_unit_kind_parse(f[2]);
        ok &= check_kind(im, ln, "kind", f[2], v, "work_area, department, shop");
        u->kind = (tt_unit_kind_t)v;
        break;
    }
    case TT_DBMASTER_WAREHOUSE: {
        tt_master_warehouse_t *w = &r->u.warehouse;
        ok &= check_id(im, ln, "id", f[0], 0, w->id, sizeof w->id);
        ok &= check_text(im, ln, "name", f[1], 0, w->name, sizeof w->name);
        v = tt_master_warehouse_kind_parse(f[2]);
        ok &= check_kind(im, ln, "kind", f[2], v, "central, recycling, work_area");
        w->kind = (tt_warehouse_kind_t)v;
        ok &= check_id(im, ln, "unit", f[3], 1, w->unit, sizeof w->unit);
        break;
    }
    case TT_DBMASTER_ITEM: {
        tt_dbmaster_item_t *x = &r->u.item;
        tt_master_item_t *it = &x->item;
        int code_ok = check_code(im, ln, "code", f[0], 0, it->code, sizeof it->code);
        ok &= code_ok;
        ok &= check_text(im, ln, "name", f[1], 0, it->name, sizeof it->name);
        ok &= check_text(im, ln, "spec", f[2], 1, it->spec, sizeof it->spec);
        ok &= check_text(im, ln, "uom", f[3], 0, it->uom, sizeof it->uom);
        v = tt_master_category_parse(f[4]);
        ok &= check_kind(im, ln, "category", f[4], v,
                         "equipment, material, service, office, general, medicine");
        it->category = (tt_item_category_t)v;
        ok &= check_money(im, ln, "price", f[5], &it->price);
        ok &= check_yesno(im, ln, "return_old", f[6], &x->return_old);
        ok &= check_money(im, ln, "reward", f[7], &x->reward);
        ok &= check_money(im, ln, "penalty", f[8], &x->penalty);
        if (code_ok)
            ok &= check_barcodes(im, ln, f[9], it);
        ok &= check_yesno(im, ln, "active", f[10], &it->active);
        break;
    }
    case TT_DBMASTER_PLAN: {
        tt_master_plan_t *p = &r->u.plan;
        ok &= check_id(im, ln, "serial", f[0], 0, p->serial, sizeof p->serial);
        ok &= check_code(im, ln, "item", f[1], 0, p->item, sizeof p->item);
        ok &= check_qty(im, ln, "qty", f[2], &p->qty);
        ok &= check_id(im, ln, "category", f[3], 1, p->category, sizeof p->category);
        ok &= check_id(im, ln, "unit", f[4], 1, p->unit, sizeof p->unit);
        v = tt_master_plan_status_parse(f[5]);
        ok &= check_kind(im, ln, "status", f[5], v, "approved, rejected");
        p->status = (tt_plan_status_t)v;
        break;
    }
    case TT_DBMASTER_EQUIPMENT: {
        tt_master_equipment_t *e = &r->u.eq;
        ok &= check_code(im, ln, "asset", f[0], 0, e->asset, sizeof e->asset);
        ok &= check_text(im, ln, "model", f[1], 0, e->model, sizeof e->model);
        ok &= check_code(im, ln, "item", f[2], 1, e->item, sizeof e->item);
        ok &= check_giai(im, ln, f[3], e->giai, sizeof e->giai);
        ok &= check_code(im, ln, "barcode", f[4], 1, e->barcode, sizeof e->barcode);
        ok &= check_id(im, ln, "unit", f[5], 1, e->unit, sizeof e->unit);
        ok &= check_yesno(im, ln, "active", f[6], &e->active);
        break;
    }
    case K_MODELS: {
        tt_revolve_model_t *m = &r->u.model;
        ok &= check_code(im, ln, "item", f[0], 0, m->item, sizeof m->item);
        ok &= check_text(im, ln, "name", f[1], 0, m->name, sizeof m->name);
        break;
    }
    default: {
        tt_master_operator_t *o = &r->u.op;
        ok &= check_id(im, ln, "id", f[0], 0, o->id, sizeof o->id);
        ok &= check_text(im, ln, "name", f[1], 0, o->name, sizeof o->name);
        ok &= check_id(im, ln, "role", f[2], 0, o->role, sizeof o->role);
        ok &= check_id(im, ln, "unit", f[3], 1, o->unit, sizeof o->unit);
        ok &= check_code(im, ln, "badge", f[4], 1, o->badge, sizeof o->badge);
        ok &= check_yesno(im, ln, "active", f[5], &o->active);
        break;
    }
    }
    return ok;
}

static tt_err_t read_rows(imp_t *im, const char *text, size_t len)
{
    static const char *const *const cols[] = {NULL,          unit_cols, warehouse_cols, item_cols,
                                              operator_cols, plan_cols, equipment_cols,
                                              model_cols};
    static const size_t ncols[] = {0, 3, 4, 11, 6, 6, 7, 2};
    tt_csv_t *csv = malloc(sizeof *csv);
    char err[TT_CSV_ERR_MAX];
    tt_err_t rc;

    if (!csv)
        return TT_ERR_NOMEM;
    rc = tt_csv_open(csv, im->name, text, len, cols[im->kind], ncols[im->kind], err, sizeof err);
    if (rc != TT_OK) {
        add_error(im, 1, err);
        free(csv);
        return TT_OK;
    }
    while (!full(im) && (rc = tt_csv_next(csv, err, sizeof err)) != TT_ERR_NOTFOUND) {
        row_t *r;
        im->res->rows++;
        if (rc != TT_OK) {
            add_error(im, csv->row_line, err);
            continue;
        }
        if (im->nrows == im->caprows) {
            size_t cap = im->caprows ? im->caprows * 2 : 256;
            row_t *a = realloc(im->rows, cap * sizeof *a);
            if (!a) {
                free(csv);
                return TT_ERR_NOMEM;
            }
            im->rows = a;
            im->caprows = cap;
        }
        r = &im->rows[im->nrows];
        memset(r, 0, sizeof *r);
        r->line = csv->row_line;
        if (check_row(im, csv->fields, r))
            im->nrows++;
    }
    free(csv);
    return TT_OK;
}

/* --- pass 2: the file against itself -------------------------------------- */

static const char *row_key(const imp_t *im, const row_t *r)
{
    switch (im->kind) {
    case TT_DBMASTER_UNIT: return r->u.unit.id;
    case TT_DBMASTER_WAREHOUSE: return r->u.warehouse.id;
    case TT_DBMASTER_ITEM: return r->u.item.item.code;
    case TT_DBMASTER_PLAN: return r->u.plan.serial;
    case TT_DBMASTER_EQUIPMENT: return r->u.eq.asset;
    case K_MODELS: return r->u.model.item;
    default: return r->u.op.id;
    }
}

/* By key, then by row (so the first occurrence comes first). */
static int key_cmp(const void *a, const void *b)
{
    const keyref_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : x->row < y->row ? -1 : x->row > y->row;
}

/* The row of the file whose key is `key`, or NULL. */
static const row_t *in_file(const imp_t *im, const char *key)
{
    keyref_t probe = {key, 0}, *lo = im->keys, *hi = im->keys + im->nrows;
    /* Lower bound: the first entry with this key. */
    while (lo < hi) {
        keyref_t *mid = lo + (hi - lo) / 2;
        if (strcmp(mid->key, probe.key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < im->keys + im->nrows && strcmp(lo->key, key) == 0 ? &im->rows[lo->row] : NULL;
}

/* Sorts the rows' keys and reports every key given again. */
static tt_err_t check_keys(imp_t *im)
{
    static const char *const key_col[] = {NULL,     "id",    "id",  "code",
                                          "id",     "serial", "asset", "item"};
    char s[SHOWN_MAX + 4];

    im->keys = malloc((im->nrows ? im->nrows : 1) * sizeof *im->keys);
    if (!im->keys)
        return TT_ERR_NOMEM;
    for (size_t i = 0; i < im->nrows; i++) {
        im->keys[i].key = row_key(im, &im->rows[i]);
        im->keys[i].row = i;
    }
    qsort(im->keys, im->nrows, sizeof *im->keys, key_cmp);
    for (size_t i = 1; i < im->nrows; i++) {
        const keyref_t *k = &im->keys[i];
        size_t first = i;
        while (first > 0 && strcmp(im->keys[first - 1].key, k->key) == 0)
            first--;
        if (first == i)
            continue;
        im->rows[k->row].skip = 1;
        row_error(im, im->rows[k->row].line, "%s '%s' already on line %zu", key_col[im->kind],
                  shown(k->key, s), im->rows[im->keys[first].row].line);
    }
    return TT_OK;
}

/* What the rows of the file claim, one namespace at a time, so that no two
 * rows claim the same: items' barcodes (ns 0), operators' badges (ns 0),
 * assets' barcodes (ns 0) and GIAIs (ns 1).  Rows already refused are left
 * out.  Returns the number of claims written to `claims`. */
static size_t gather_claims(const imp_t *im, int ns, keyref_t *claims)
{
    size_t n = 0;

    for (size_t i = 0; i < im->nrows; i++) {
        const row_t *r = &im->rows[i];
        if (r->skip)
            continue;
        if (im->kind == TT_DBMASTER_ITEM) {
            for (size_t k = 0; k < r->u.item.item.nbarcodes; k++)
                claims[n++] = (keyref_t){r->u.item.item.barcodes[k], i};
        } else if (im->kind == TT_DBMASTER_OPERATOR) {
            if (r->u.op.badge[0])
                claims[n++] = (keyref_t){r->u.op.badge, i};
        } else {
            const char *key = ns ? r->u.eq.giai : r->u.eq.barcode;
            if (key[0])
                claims[n++] = (keyref_t){key, i};
        }
    }
    return n;
}

static void claim_error(imp_t *im, int ns, const char *key, const row_t *r, const row_t *f)
{
    char s[SHOWN_MAX + 4], t[SHOWN_MAX + 4];

    if (im->kind == TT_DBMASTER_ITEM)
        row_error(im, r->line,
                  "barcode '%s' of item '%s' is also a barcode of item '%s' (line %zu)",
                  shown(key, s), shown(r->u.item.item.code, t), f->u.item.item.code, f->line);
    else if (im->kind == TT_DBMASTER_OPERATOR)
        row_error(im, r->line, "badge '%s' of '%s' is also the badge of '%s' (line %zu)",
                  shown(key, s), r->u.op.id, f->u.op.id, f->line);
    else
        row_error(im, r->line, "%s '%s' of asset '%s' is also the %s of asset '%s' (line %zu)",
                  ns ? "giai" : "barcode", shown(key, s), shown(r->u.eq.asset, t),
                  ns ? "GIAI" : "barcode", f->u.eq.asset, f->line);
}

/* Reports every barcode (items, assets), badge (operators) or GIAI (assets)
 * that two rows of the file claim, and an asset barcode that is another
 * asset's number (a scan of it would name two assets).  A row whose key is
 * itself given twice is left to check_keys. */
static tt_err_t check_claims(imp_t *im)
{
    keyref_t *claims;
    int namespaces = im->kind == TT_DBMASTER_EQUIPMENT ? 2 : 1;
    char s[SHOWN_MAX + 4], t[SHOWN_MAX + 4];

    if (im->kind != TT_DBMASTER_ITEM && im->kind != TT_DBMASTER_OPERATOR &&
        im->kind != TT_DBMASTER_EQUIPMENT)
        return TT_OK;
    claims = malloc((im->nrows ? im->nrows : 1) * TT_MASTER_BARCODES_MAX * sizeof *claims);
    if (!claims)
        return TT_ERR_NOMEM;
    for (int ns = 0; ns < namespaces; ns++) {
        size_t n = gather_claims(im, ns, claims);
        qsort(claims, n, sizeof *claims, key_cmp);
        for (size_t i = 1; i < n; i++) {
            size_t first = i;
            while (first > 0 && strcmp(claims[first - 1].key, claims[i].key) == 0)
                first--;
            if (first == i)
                continue;
            im->rows[claims[i].row].skip = 1;
            claim_error(im, ns, claims[i].key, &im->rows[claims[i].row],
                        &im->rows[claims[first].row]);
        }
    }
    free(claims);
    for (size_t i = 0; im->kind == TT_DBMASTER_EQUIPMENT && i < im->nrows; i++) {
        row_t *r = &im->rows[i];
        const row_t *other;
        if (r->skip || !r->u.eq.barcode[0] || strcmp(r->u.eq.barcode, r->u.eq.asset) == 0 ||
            !(other = in_file(im, r->u.eq.barcode)))
            continue;
        r->skip = 1;
        row_error(im, r->line, "barcode '%s' of asset '%s' is the number of asset '%s' (line %zu)",
                  shown(r->u.eq.barcode, s), shown(r->u.eq.asset, t), other->u.eq.asset,
                  other->line);
    }
    return TT_OK;
}

/* --- pass 3: the file against the store, and storing --------------------- */

/* Reports a reference to a unit or an item that is not in the store;
 * returns 0 after reporting, 1 when fine, or a negative tt_err_t when the
 * store failed. */
static int check_ref(imp_t *im, tt_db_t *db, const row_t *r, int is_item, const char *ref)
{
    char holder[TT_EVENT_CODE_MAX + 1], s[SHOWN_MAX + 4];
    tt_err_t rc;

    if (!ref || !ref[0])
        return 1;
    rc = is_item ? tt_dbmaster_item_exists(db, ref) : tt_dbmaster_unit_exists(db, ref);
    if (rc == TT_OK)
        return 1;
    if (rc != TT_ERR_NOTFOUND)
        return rc;
    if (!is_item)
        row_error(im, r->line, "unit '%s' does not exist (import it with the units first)", ref);
    else if ((rc = tt_dbmaster_barcode_owner(db, ref, holder)) == TT_OK)
        row_error(im, r->line, "item '%s' is a barcode of item '%s': give the item's code",
                  shown(ref, s), holder);
    else if (rc == TT_ERR_NOTFOUND)
        row_error(im, r->line, "item '%s' does not exist (import it with the items first)",
                  shown(ref, s));
    else
        return rc;
    return 0;
}

/* An asset's barcode and GIAI against the store: held by another asset the
 * file does not mention (a barcode moves, like an item's, only when the
 * file lists both assets), or a barcode that is a stored asset's number;
 * and the asset's own number, when a stored asset has it as its barcode. */
static int check_asset_claims(imp_t *im, tt_db_t *db, const row_t *r)
{
    const tt_master_equipment_t *e = &r->u.eq;
    char holder[TT_EVENT_CODE_MAX + 1], s[SHOWN_MAX + 4];
    tt_err_t rc;
    int ok = 1;

    if (e->barcode[0]) {
        rc = tt_dbmaster_asset_barcode_owner(db, e->barcode, holder);
        if (rc == TT_OK && strcmp(holder, e->asset) != 0 && !in_file(im, holder)) {
            row_error(im, r->line,
                      "barcode '%s' of asset '%s' belongs to asset '%s' (stored; list that asset"
                      " in this file without it to move it)",
                      shown(e->barcode, s), e->asset, holder);
            ok = 0;
        } else if (rc != TT_OK && rc != TT_ERR_NOTFOUND) {
            return rc;
        }
        if (strcmp(e->barcode, e->asset) != 0 && !in_file(im, e->barcode)) {
            rc = tt_dbmaster_asset_exists(db, e->barcode);
            if (rc == TT_OK) {
                row_error(im, r->line, "barcode '%s' of asset '%s' is the number of asset '%s'"
                                       " (stored)",
                          shown(e->barcode, s), e->asset, e->barcode);
                ok = 0;
            } else if (rc != TT_ERR_NOTFOUND) {
                return rc;
            }
        }
    }
    if (e->giai[0]) {
        rc = tt_dbmaster_giai_owner(db, e->giai, holder);
        if (rc == TT_OK && strcmp(holder, e->asset) != 0 && !in_file(im, holder)) {
            row_error(im, r->line,
                      "giai '%s' of asset '%s' belongs to asset '%s' (stored; list that asset in"
                      " this file without it to move it)",
                      e->giai, e->asset, holder);
            ok = 0;
        } else if (rc != TT_OK && rc != TT_ERR_NOTFOUND) {
            return rc;
        }
    }
    /* A stored asset whose barcode is this asset's number keeps it unless
     * the file lists that asset too (check_claims then sees whether it
     * still has it). */
    rc = tt_dbmaster_asset_barcode_owner(db, e->asset, holder);
    if (rc == TT_OK && strcmp(holder, e->asset) != 0 && !in_file(im, holder)) {
        row_error(im, r->line,
                  "asset '%s' is the barcode of asset '%s' (stored; list that asset in this file"
                  " without it)",
                  shown(e->asset, s), holder);
        ok = 0;
    } else if (rc != TT_OK && rc != TT_ERR_NOTFOUND) {
        return rc;
    }
    return ok;
}

/* Checks what row r refers to in the store; returns 0 after reporting a
 * problem, 1 when fine, or a negative tt_err_t when the store failed. */
static int check_refs(imp_t *im, tt_db_t *db, const row_t *r)
{
    char holder[TT_EVENT_CODE_MAX + 1], s[SHOWN_MAX + 4];
    const char *unit = NULL, *item = NULL;
    tt_err_t rc;
    int ok = 1, got;

    if (im->kind == TT_DBMASTER_WAREHOUSE)
        unit = r->u.warehouse.unit;
    else if (im->kind == TT_DBMASTER_OPERATOR)
        unit = r->u.op.unit;
    if (im->kind == TT_DBMASTER_PLAN) {
        unit = r->u.plan.unit;
        item = r->u.plan.item;
    } else if (im->kind == TT_DBMASTER_EQUIPMENT) {
        unit = r->u.eq.unit;
        item = r->u.eq.item;
    } else if (im->kind == K_MODELS) {
        item = r->u.model.item;
    }
    if ((got = check_ref(im, db, r, 0, unit)) < 0)
        return got;
    ok &= got;
    if ((got = check_ref(im, db, r, 1, item)) < 0)
        return got;
    ok &= got;
    if (im->kind == TT_DBMASTER_PLAN && r->u.plan.category[0]) {
        rc = tt_dbmaster_safety_category_exists(db, r->u.plan.category);
        if (rc == TT_ERR_NOTFOUND) {
            row_error(im, r->line, "category '%s' is not a safety-expense category code "
                      "(S01 ... S11, docs/ledger.md; empty for none)",
                      shown(r->u.plan.category, s));
            ok = 0;
        } else if (rc != TT_OK) {
            return rc;
        }
    }
    if (im->kind == TT_DBMASTER_EQUIPMENT) {
        if ((got = check_asset_claims(im, db, r)) < 0)
            return got;
        ok &= got;
    }
    if (im->kind == TT_DBMASTER_ITEM) {
        const tt_master_item_t *it = &r->u.item.item;
        for (size_t i = 0; i < it->nbarcodes; i++) {
            rc = tt_dbmaster_barcode_owner(db, it->barcodes[i], holder);
            if (rc == TT_ERR_NOTFOUND)
                continue;
            if (rc != TT_OK)
                return rc;
            /* Held by another item: it may move only if that item is in the
             * file too (and so, by check_claims, no longer lists it). */
            if (strcmp(holder, it->code) != 0 && !in_file(im, holder)) {
                row_error(im, r->line,
                          "barcode '%s' of item '%s' belongs to item '%s' (stored; list that"
                          " item in this file without it to move it)",
                          shown(it->barcodes[i], s), it->code, holder);
                ok = 0;
            }
        }
    } else if (im->kind == TT_DBMASTER_OPERATOR && r->u.op.badge[0]) {
        rc = tt_dbmaster_badge_owner(db, r->u.op.badge, holder);
        if (rc == TT_OK && strcmp(holder, r->u.op.id) != 0 && !in_file(im, holder)) {
            row_error(im, r->line,
                      "badge '%s' of '%s' belongs to operator '%s' (stored; list that operator in"
                      " this file with another badge to move it)",
                      shown(r->u.op.badge, s), r->u.op.id, holder);
            ok = 0;
        } else if (rc != TT_OK && rc != TT_ERR_NOTFOUND) {
            return rc;
        }
    }
    return ok;
}

static tt_err_t put_row(imp_t *im, tt_db_t *db, tt_revolve_t *rv, const row_t *r,
                        uint64_t version, size_t *changed)
{
    int ch = 0;
    tt_err_t rc;

    switch (im->kind) {
    case TT_DBMASTER_UNIT: return tt_dbmaster_put_unit(db, &r->u.unit, version, NULL);
    case TT_DBMASTER_WAREHOUSE:
        return tt_dbmaster_put_warehouse(db, &r->u.warehouse, version, NULL);
    case TT_DBMASTER_ITEM: return tt_dbmaster_put_item(db, &r->u.item, version, NULL);
    case TT_DBMASTER_PLAN: return tt_dbmaster_put_plan(db, &r->u.plan, version, NULL);
    case TT_DBMASTER_EQUIPMENT: return tt_dbmaster_put_equipment(db, &r->u.eq, version, NULL);
    case K_MODELS:
        /* Not a table tt_dbmaster_stamped counts: count here. */
        rc = tt_revolve_model_put(rv, &r->u.model, version, &ch);
        *changed += (size_t)ch;
        return rc;
    default: return tt_dbmaster_put_operator(db, &r->u.op, version, NULL);
    }
}

static tt_err_t store(imp_t *im, tt_db_t *db, tt_import_progress_fn progress, void *ctx)
{
    uint64_t version = 0;
    size_t changed = 0;
    tt_revolve_t *rv = NULL;
    tt_err_t rc = TT_OK;

    /* Models are stored through the revolve module (no ledger: it only
     * stores models), stamped with the master version like the rest. */
    if (im->kind == K_MODELS)
        rc = tt_revolve_open(db, NULL, &rv);
    if (rc == TT_OK)
        rc = tt_db_begin(db);
    if (rc != TT_OK) {
        tt_revolve_close(rv);
        return rc;
    }
    rc = tt_dbmaster_version(db, &version);
    for (size_t i = 0; rc == TT_OK && i < im->nrows && !full(im); i++) {
        const row_t *r = &im->rows[i];
        if (!r->skip) {
            int ok = check_refs(im, db, r);
            if (ok < 0)
                rc = (tt_err_t)ok;
            /* After the first error nothing will be kept: only look on. */
            else if (ok && im->res->nerrors == 0)
                rc = put_row(im, db, rv, r, version + 1, &changed);
        }
        if (progress && ((i + 1) % PROGRESS_EVERY == 0 || i + 1 == im->nrows))
            progress(ctx, i + 1, im->nrows);
    }
    if (rc == TT_OK && im->res->nerrors == 0 && im->kind != K_MODELS)
        rc = tt_dbmaster_stamped(db, (tt_dbmaster_table_t)im->kind, version + 1, &changed);
    tt_revolve_close(rv);
    if (rc != TT_OK || im->res->nerrors > 0 || changed == 0) {
        /* Nothing to keep (an identical file changes nothing, not even the
         * version). */
        tt_db_rollback(db);
        im->res->version = version;
        return rc;
    }
    rc = tt_dbmaster_set_version(db, version + 1);
    if (rc == TT_OK)
        rc = tt_db_commit(db);
    if (rc != TT_OK) {
        tt_db_rollback(db);
        return rc;
    }
    im->res->changed = changed;
    im->res->version = version + 1;
    return TT_OK;
}

tt_err_t tt_import_text(tt_db_t *db, int kind, const char *name, const char *text, size_t len,
                        tt_import_progress_fn progress, void *ctx, tt_import_result_t *res)
{
    imp_t im;
    tt_err_t rc;

    memset(res, 0, sizeof *res);
    if (!inner_kind(kind))
        return TT_ERR_INVAL;
    memset(&im, 0, sizeof im);
    im.name = name;
    im.kind = inner_kind(kind);
    im.res = res;
    rc = read_rows(&im, text, len);
    if (rc == TT_OK && !full(&im))
        rc = check_keys(&im);
    if (rc == TT_OK && !full(&im))
        rc = check_claims(&im);
    if (rc == TT_OK && !full(&im)) {
        rc = store(&im, db, progress, ctx);
        if (rc != TT_OK)
            file_error(&im, "store failed, nothing imported: %s", tt_strerror(rc));
    } else if (rc != TT_OK) {
        file_error(&im, "%s, nothing imported", tt_strerror(rc));
    }
    free(im.rows);
    free(im.keys);
    sort_errors(&im);
    if (rc != TT_OK)
        return rc;
    return res->nerrors > 0 ? TT_ERR_PARSE : TT_OK;
}

tt_err_t tt_import_read(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, used = 0;
    tt_err_t rc = TT_OK;

    *text = NULL;
    *len = 0;
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return TT_ERR_IO;
    }
    for (;;) {
        size_t got;
        if (cap - used < 2) {   /* room to read, and for the NUL */
            char *t;
            if (cap >= TT_IMPORT_FILE_MAX) {
                snprintf(err, errlen, "%s: larger than %u MiB", path, TT_IMPORT_FILE_MAX >> 20);
                rc = TT_ERR_TOOBIG;
                break;
            }
            cap = cap ? cap * 2 : 1u << 16;
            t = realloc(buf, cap);
            if (!t) {
                snprintf(err, errlen, "%s: out of memory", path);
                rc = TT_ERR_NOMEM;
                break;
            }
            buf = t;
        }
        got = fread(buf + used, 1, cap - used - 1, f);
        used += got;
        if (got == 0) {
            if (ferror(f)) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                rc = TT_ERR_IO;
            }
            break;
        }
    }
    fclose(f);
    if (rc != TT_OK) {
        free(buf);
        return rc;
    }
    buf[used] = '\0';
    *text = buf;
    *len = used;
    return TT_OK;
}

tt_err_t tt_import_file(tt_db_t *db, int kind, const char *path, tt_import_progress_fn progress,
                        void *ctx, tt_import_result_t *res)
{
    char *text;
    size_t len;
    tt_err_t rc;

    memset(res, 0, sizeof *res);
    if (!inner_kind(kind))
        return TT_ERR_INVAL;
    rc = tt_import_read(path, &text, &len, res->errors[0], sizeof res->errors[0]);
    if (rc != TT_OK) {
        res->nerrors = 1;
        return rc;
    }
    rc = tt_import_text(db, kind, path, text, len, progress, ctx, res);
    free(text);
    return rc;
}
