/*
 * labels: printable operation cards, item labels and equipment labels
 * (`tagtrail labels`), as SVG, PNG or ZPL, drawn with libzint.
 *
 * Two steps.  A builder (tt_labels_fixed_cards, tt_labels_id_card,
 * tt_labels_item, tt_labels_asset) checks what a label is to hold and fills a
 * caller-owned tt_labels_label_t; a renderer (tt_labels_svg, tt_labels_zpl,
 * tt_labels_png) draws labels that builders made.  A label that a builder
 * accepted always renders, except as a GS1 QR in ZPL (see tt_labels_zpl).
 *
 * Operation cards are Code 128 symbols holding the counter's card text
 * exactly (firmware/counter.h, "Card syntax"), captioned in Chinese and
 * English: "提交 COMMIT", "仓库 CK01 WAREHOUSE".  Item and equipment labels are
 * GS1 symbols (GS1-128, GS1 DataMatrix or GS1 QR) whose data is first checked
 * with the project's own decoder, tt_gs1_decode_bracketed(), so a label is
 * never printed that the counter would refuse, and the refusal carries the
 * decoder's reason ("AI (01): check digit is 3, expected 2").
 *
 * Nothing here prints, reads the clock or keeps state between calls.  Text
 * comes back in malloc'd buffers the caller frees; PNG goes to a file the
 * caller names.  Reasons are one English line in a caller-owned buffer of
 * rlen bytes (reason may be NULL when rlen is 0); TT_LABELS_REASON_MAX bytes
 * always hold them.  On TT_OK the reason is "".  A builder that fails leaves
 * its label cleared (all zero), never half-filled.
 */
#ifndef TT_LABELS_H
#define TT_LABELS_H

#include <stddef.h>

#include "err.h"
#include "gs1.h"

#define TT_LABELS_REASON_MAX 160
#define TT_LABELS_DATA_MAX 160    /* zint input: "[01]...[10]..." or a card text */
#define TT_LABELS_WORD_MAX 48     /* one caption word, UTF-8 */
#define TT_LABELS_TEXT_MAX 200    /* the human-readable data line, the name line */
#define TT_LABELS_FIXED_CARDS 26  /* cards without an id: see tt_labels_fixed_cards */

typedef enum {
    TT_LABELS_CODE128 = 0,        /* operation cards */
    TT_LABELS_GS1_128,
    TT_LABELS_GS1_DATAMATRIX,     /* square symbols */
    TT_LABELS_GS1_QR,
} tt_labels_symbology_t;

typedef enum { TT_LABELS_SVG = 0, TT_LABELS_PNG, TT_LABELS_ZPL } tt_labels_format_t;

/* Cards that carry an id, and the counter's prefix for each. */
typedef enum {
    TT_LABELS_OPERATOR = 0,       /* TT:OP:<id>      操作员 OPERATOR (the badge) */
    TT_LABELS_WAREHOUSE,          /* TT:WH:<id>      仓库 WAREHOUSE */
    TT_LABELS_TO,                 /* TT:TO:<id>      调入仓库 TO WAREHOUSE */
    TT_LABELS_UNIT,               /* TT:UNIT:<id>    工区 WORK AREA */
    TT_LABELS_TOUNIT,             /* TT:TOUNIT:<id>  接收单位 RECEIVING UNIT */
} tt_labels_id_kind_t;

/* One label.  Builders fill it; callers read it but need not look inside. */
typedef struct {
    tt_labels_symbology_t symbology;
    /* What zint encodes: the card text for Code 128; for GS1 symbols the
     * AIs in zint's square-bracket syntax, "[01]09506000134352[10]ABC123". */
    char data[TT_LABELS_DATA_MAX + 1];
    tt_gs1_result_t gs1;                  /* GS1: the checked pairs; count 0 for cards */
    /* The caption: the non-empty ones of these, in this order, joined by
     * spaces: "仓库 CK01 WAREHOUSE".  ZPL without a CJK font drops `zh`. */
    char zh[TT_LABELS_WORD_MAX];
    char id[TT_LABELS_TEXT_MAX];
    char en[TT_LABELS_WORD_MAX];
    char hri[TT_LABELS_TEXT_MAX];         /* data for people: "TT:COMMIT", "(01)095...(10)ABC123" */
    char name[TT_LABELS_TEXT_MAX];        /* extra line (--name), UTF-8; "" for none */
} tt_labels_label_t;

/* What an item label holds.  Strings may be NULL or "" for "absent". */
typedef struct {
    const char *gtin;     /* (01): 14 digits with the check digit; 8, 12 or 13
                           * digits are padded with leading zeros to 14 */
    const char *batch;    /* (10) X..20 */
    const char *expiry;   /* (17) YYMMDD (century by the fixed rule 20YY) */
    const char *count;    /* (30) N..8 */
    const char *name;     /* caption line, UTF-8, at most TT_LABELS_TEXT_MAX - 1 bytes */
    tt_labels_symbology_t symbology;   /* any but TT_LABELS_CODE128 */
} tt_labels_item_t;

/* ---- builders ---- */

/* Fills out[0 .. TT_LABELS_FIXED_CARDS - 1] with the cards that take no id,
 * in sheet order: TT:LOGOUT; TT:MODE:<mode> for every mode of the counter;
 * TT:ACT:<action>; TT:RES:<result>; TT:COMMIT, TT:UNDO, TT:CANCEL. */
void tt_labels_fixed_cards(tt_labels_label_t out[TT_LABELS_FIXED_CARDS]);

/* Fills *out with the card "<prefix><id>" for `kind`.  The id must be what
 * the counter accepts (tt_event_id_valid: 1-32 of A-Z a-z 0-9 _ . -).
 * Returns TT_OK; TT_ERR_INVAL for a bad id or kind, or a NULL argument. */
tt_err_t tt_labels_id_card(tt_labels_id_kind_t kind, const char *id, tt_labels_label_t *out,
                           char *reason, size_t rlen);

/* Fills *out with an item label encoding (01)GTIN[(17)expiry][(10)batch]
 * [(30)count].  The fixed-length AIs come first, which needs the fewest
 * FNC1 separators and so gives the shortest symbol.  Returns TT_OK;
 * TT_ERR_PARSE or TT_ERR_INVAL as tt_gs1_decode_bracketed() for data it
 * refuses (bad check digit, impossible date, a batch without GTIN, ...),
 * with its reason; TT_ERR_INVAL also for a NULL argument, Code 128, or a name
 * too long; TT_ERR_TOOBIG when the data is valid but does not fit the
 * symbology, with zint's reason (TT_ERR_INVAL with zint's reason should zint
 * refuse data the decoder accepted). */
tt_err_t tt_labels_item(const tt_labels_item_t *item, tt_labels_label_t *out, char *reason,
                        size_t rlen);

/* Fills *out with an equipment label encoding (8004)GIAI, captioned with the
 * asset number; name as for items (NULL or "" for none).  Returns as
 * tt_labels_item(). */
tt_err_t tt_labels_asset(const char *giai, const char *name, tt_labels_symbology_t symbology,
                         tt_labels_label_t *out, char *reason, size_t rlen);

/* ---- renderers ---- */

/* Draws labels[0..n-1] as one SVG document into a new NUL-terminated *out
 * (*len bytes without the NUL; the caller frees it).  One label: a page the
 * size of the label.  Several: A4 pages of 3 x 7 cards (70 x 42.4 mm) with
 * dashed cut lines, stacked one below the other in one document (page k
 * starts at y = 297 k mm).  Bars are <rect>s in millimetres from zint's
 * vector output; captions are <text> in a CJK-capable font list.
 * Returns TT_OK; TT_ERR_INVAL for n 0 or a NULL argument; TT_ERR_NOMEM;
 * TT_ERR_TOOBIG if zint refuses a label (not one a builder made). */
tt_err_t tt_labels_svg(const tt_labels_label_t *labels, size_t n, char **out, size_t *len,
                       char *reason, size_t rlen);

/* Writes labels[0..n-1] as ZPL II into a new NUL-terminated *out (caller
 * frees): per label one ^XA ... ^XZ block with ^CI28 (UTF-8), sized for the
 * content at 8 dots/mm (203 dpi), the symbol drawn by the printer itself:
 * ^BC (Code 128; GS1-128 as FNC1 >8 after the start code and after each
 * variable-length value that is not last) or ^BX (Data Matrix ECC 200, FNC1
 * as _1).  Captions use `cjk_font` (a font file on the printer, e.g.
 * "E:SIMSUN.TTF", through ^A@) when given; without it they use the built-in
 * font 0, which has no Chinese, so the Chinese words are left out.
 * Returns as tt_labels_svg(); also TT_ERR_INVAL for a GS1 QR label: ZPL's
 * ^BQ has no dependable way to encode GS1 FNC1, so such a symbol would scan
 * as plain text (use Data Matrix), and for a cjk_font with '^', '~' or ','. */
tt_err_t tt_labels_zpl(const tt_labels_label_t *labels, size_t n, const char *cjk_font,
                       char **out, size_t *len, char *reason, size_t rlen);

/* Writes one label as a PNG file at `path` (which must end in ".png"),
 * drawn by zint: 4 pixels a module, quiet zones, for Code 128 and GS1-128
 * zint's own human-readable line (ASCII; zint's raster font has no Chinese,
 * so captions are for SVG and ZPL).  Returns TT_OK; TT_ERR_INVAL for a NULL
 * argument or a path not ending in ".png" or of 256 bytes or more; TT_ERR_IO
 * when the file cannot be written (zint's reason); TT_ERR_TOOBIG as
 * tt_labels_svg(). */
tt_err_t tt_labels_png(const tt_labels_label_t *label, const char *path, char *reason,
                       size_t rlen);

/* ---- helpers for callers ---- */

/* The file for label `index` (0-based) of n written as separate files:
 * `path` itself when n is 1, else path with "-NN" (index + 1, at least two
 * digits) before its extension: "cards.png" -> "cards-01.png".  Returns
 * TT_OK; TT_ERR_FULL when buf (len bytes) is too small; TT_ERR_INVAL for a
 * NULL argument or index >= n. */
tt_err_t tt_labels_numbered_path(const char *path, size_t index, size_t n, char *buf,
                                 size_t len);

/* Parse "svg" / "png" / "zpl", and "gs1-128" / "datamatrix" / "qr" (the GS1
 * symbologies; "code128" is not offered: cards choose it themselves).
 * Return TT_OK, or TT_ERR_INVAL for another word or a NULL argument. */
tt_err_t tt_labels_format_parse(const char *word, tt_labels_format_t *out);
tt_err_t tt_labels_symbology_parse(const char *word, tt_labels_symbology_t *out);

#endif
