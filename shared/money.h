/*
 * money: integer money and fixed-point quantities.  No floating point, ever.
 *
 * Money is tt_fen_t, a signed count of fen (1 yuan = 100 fen).  Quantities are
 * tt_qty_t, a signed count of thousandths of the item's unit of measure
 * (1 piece = 1000, 2.5 m = 2500).  Both are int64_t; every operation checks for
 * overflow and reports it instead of wrapping.
 *
 * Text forms are plain decimals: "12.34" yuan, "2.5" units.  Parsing is strict:
 * optional leading '-', digits, optional '.' and at most 2 (money) or 3
 * (quantity) fraction digits; no '+', spaces, exponents, thousands separators or
 * empty parts ("1." and ".5" are refused).
 */
#ifndef TT_MONEY_H
#define TT_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef int64_t tt_fen_t;
typedef int64_t tt_qty_t;

#define TT_QTY_SCALE 1000
#define TT_MONEY_SCALE 100
/* Longest text either formatter writes, with its NUL: "-9223372036854775.808". */
#define TT_MONEY_TEXT_MAX 24

/* Parses `text` (NUL-terminated) into *out.
 * Returns TT_OK; TT_ERR_PARSE for malformed text or too many fraction digits;
 * TT_ERR_RANGE when the value does not fit.  *out is untouched on failure. */
tt_err_t tt_qty_parse(const char *text, tt_qty_t *out);
tt_err_t tt_money_parse(const char *text, tt_fen_t *out);

/* Writes the shortest exact decimal form into buf ("2.5", "3", "-0.125" for
 * quantities; money always has two decimals: "12.30", "-0.05").
 * Returns the length written (excluding NUL), or TT_ERR_FULL if `len` is too
 * small (buf then holds an empty string when len > 0). */
int tt_qty_format(tt_qty_t qty, char *buf, size_t len);
int tt_money_format(tt_fen_t fen, char *buf, size_t len);

/* Checked arithmetic: *out = a + b (or a - b).  Returns TT_OK, or TT_ERR_RANGE
 * on overflow with *out untouched. */
tt_err_t tt_qty_add(tt_qty_t a, tt_qty_t b, tt_qty_t *out);
tt_err_t tt_qty_sub(tt_qty_t a, tt_qty_t b, tt_qty_t *out);
tt_err_t tt_money_add(tt_fen_t a, tt_fen_t b, tt_fen_t *out);

/* Value of `qty` units at `unit_price` fen per unit, rounded half away from
 * zero to whole fen.  Returns TT_OK or TT_ERR_RANGE on overflow. */
tt_err_t tt_money_value(tt_fen_t unit_price, tt_qty_t qty, tt_fen_t *out);

/* Splits `total` fen over n parts in proportion to weights[0..n-1] (all >= 0,
 * sum > 0) by the largest-remainder method, so that out[0..n-1] sums to
 * `total` exactly: rounding never loses a fen.  Ties go to the earlier part.
 * Returns TT_OK; TT_ERR_INVAL for n == 0, a negative weight or a zero sum;
 * TT_ERR_RANGE on overflow.  `out` is caller-owned, n entries. */
tt_err_t tt_money_split(tt_fen_t total, const tt_qty_t *weights, size_t n, tt_fen_t *out);

#endif
