/*
 * labels: operation cards, item and equipment labels as SVG, PNG and ZPL.
 * See labels.h for the contract; this file has the card table, the GS1
 * checks, the page layout and the three writers.
 */
#include "labels.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zint.h>

#include "event.h"

/* ---- the cards ---- */

typedef struct {
    const char *text, *zh, *en;
} card_def_t;

/* Mirrors the card syntax in counter.h, with the counter's own words for
 * the modes (tt_counter_mode_label; test_labels checks they agree).  Modes
 * first for the warehouse counter, then the repair bay's; actions and
 * results after the modes they belong to. */
static const card_def_t FIXED[TT_LABELS_FIXED_CARDS] = {
    {"TT:LOGOUT", "退出", "LOGOUT"},
    {"TT:MODE:receive", "入库", "RECEIVE"},
    {"TT:MODE:issue", "出库", "ISSUE"},
    {"TT:MODE:return", "交旧", "RETURN"},
    {"TT:MODE:transfer", "调拨", "TRANSFER"},
    {"TT:MODE:count", "盘点", "COUNT"},
    {"TT:MODE:revolve", "周转材料", "REVOLVING"},
    {"TT:MODE:appraisal", "鉴定", "APPRAISAL"},
    {"TT:MODE:selfcheck", "自检", "SELF-CHECK"},
    {"TT:MODE:acceptance", "验收", "ACCEPTANCE"},
    {"TT:MODE:equip-issue", "设备出库", "EQUIP ISSUE"},
    {"TT:ACT:draw", "领用", "DRAW"},
    {"TT:ACT:handover", "交接", "HANDOVER"},
    {"TT:ACT:loss", "丢失", "LOSS"},
    {"TT:ACT:burial", "封埋", "BURIAL"},
    {"TT:ACT:scrap", "报废", "SCRAP"},
    {"TT:RES:major", "大修", "MAJOR REPAIR"},
    {"TT:RES:medium", "中修", "MEDIUM REPAIR"},
    {"TT:RES:minor", "小修", "MINOR REPAIR"},
    {"TT:RES:pass", "合格", "PASS"},
    {"TT:RES:fail", "不合格", "FAIL"},
    {"TT:RES:in_use", "在用", "IN USE"},
    {"TT:RES:standby", "备用", "STANDBY"},
    {"TT:COMMIT", "提交", "COMMIT"},
    {"TT:UNDO", "撤销", "UNDO"},
    {"TT:CANCEL", "取消", "CANCEL"},
};

/* Indexed by tt_labels_id_kind_t. */
static const card_def_t ID_CARDS[] = {
    [TT_LABELS_OPERATOR] = {"TT:OP:", "操作员", "OPERATOR"},
    [TT_LABELS_WAREHOUSE] = {"TT:WH:", "仓库", "WAREHOUSE"},
    [TT_LABELS_TO] = {"TT:TO:", "调入仓库", "TO WAREHOUSE"},
    [TT_LABELS_UNIT] = {"TT:UNIT:", "工区", "WORK AREA"},
    [TT_LABELS_TOUNIT] = {"TT:TOUNIT:", "接收单位", "RECEIVING UNIT"},
};

/* ---- small helpers ---- */

/* Writes the formatted reason (if there is room for one) and returns err. */
__attribute__((format(printf, 4, 5))) static tt_err_t fail(char *reason, size_t rlen,
                                                             tt_err_t err, const char *fmt, ...)
{
    va_list ap;
    if (reason && rlen) {
        va_start(ap, fmt);
        vsnprintf(reason, rlen, fmt, ap);
        va_end(ap);
    }
    return err;
}

static void ok_reason(char *reason, size_t rlen)
{
    if (reason && rlen)
        reason[0] = '\0';
}

/* Copies s into dst[cap]; returns 0, or -1 (dst "") when it does not fit. */
static int copy(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap) {
        dst[0] = '\0';
        return -1;
    }
    memcpy(dst, s, n + 1);
    return 0;
}

/* Non-zero when s is well-formed UTF-8 without control characters: it goes
 * into XML and ZPL text verbatim, where neither would survive. */
static int text_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
              : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0 || *p < 0x20 || *p == 0x7F || (n == 1 && *p < 0xC2))
            return 0;
        for (int i = 1; i <= n; i++)
            if ((p[i] & 0xC0) != 0x80)
                return 0;
        p += n + 1;
    }
    return 1;
}

/* A growing text buffer.  After an allocation failure it stays failed and
 * ignores appends, so writers check once at the end. */
typedef struct {
    char *p;
    size_t len, cap;
    int failed;
} sbuf_t;

static void put_n(sbuf_t *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        char *q;
        while (cap < b->len + n + 1)
            cap *= 2;
        q = realloc(b->p, cap);
        if (!q) {
            b->failed = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void put(sbuf_t *b, const char *s)
{
    put_n(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void putf(sbuf_t *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    /* Only short, fixed formats come here; longer text goes through put(). */
    put_n(b, tmp, n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A length in millimetres with up to 3 decimals.  Written by hand rather
 * than with "%f" so a caller's LC_NUMERIC cannot turn the point into a comma
 * and break the SVG. */
static void put_mm(sbuf_t *b, double v)
{
    long t = (long)(v * 1000.0 + (v < 0 ? -0.5 : 0.5));
    char digits[8];
    int n;

    if (t < 0) {
        put(b, "-");
        t = -t;
    }
    putf(b, "%ld", t / 1000);
    if (t % 1000 == 0)
        return;
    n = snprintf(digits, sizeof digits, "%03ld", t % 1000);
    while (n > 0 && digits[n - 1] == '0')
        digits[--n] = '\0';
    putf(b, ".%s", digits);
}

/* s with & < > " escaped for XML text and attribute values. */
static void put_xml(sbuf_t *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': put(b, "&amp;"); break;
        case '<': put(b, "&lt;"); break;
        case '>': put(b, "&gt;"); break;
        case '"': put(b, "&quot;"); break;
        default: put_n(b, s, 1);
        }
    }
}

/* The caption: zh (if with_zh), id and en, the non-empty ones joined by a
 * space, into buf (sized to hold all three). */
static void caption(const tt_labels_label_t *l, int with_zh, char *buf, size_t len)
{
    const char *part[3] = {with_zh ? l->zh : "", l->id, l->en};
    size_t n = 0;

    buf[0] = '\0';
    for (int i = 0; i < 3; i++) {
        if (!part[i][0])
            continue;
        n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", part[i]);
        if (n >= len)
            return;
    }
}

/* ---- zint ---- */

/* Sets up s for l: the symbology, GS1 input for GS1 symbols, and every
 * warning made an error, so nothing non-compliant is ever printed.  Raster
 * output (PNG) gets zint's human-readable line, quiet zones and 4 pixels a
 * module; vector output (SVG) neither text nor quiet zones: the layout draws
 * those itself. */
static void zint_setup(struct zint_symbol *s, tt_labels_symbology_t sym, int raster)
{
    switch (sym) {
    case TT_LABELS_CODE128:
        s->symbology = BARCODE_CODE128;
        s->input_mode = DATA_MODE;
        break;
    case TT_LABELS_GS1_128:
        s->symbology = BARCODE_GS1_128;
        s->input_mode = GS1_MODE;
        break;
    case TT_LABELS_GS1_DATAMATRIX:
        s->symbology = BARCODE_DATAMATRIX;
        s->input_mode = GS1_MODE;
        s->option_3 = DM_SQUARE;
        break;
    case TT_LABELS_GS1_QR:
        s->symbology = BARCODE_QRCODE;
        s->input_mode = GS1_MODE;
        s->option_1 = 2;   /* error correction level M: labels in a mine get dirty */
        break;
    }
    s->warn_level = WARN_FAIL_ALL;
    s->show_hrt = raster;
    if (raster) {
        s->scale = 2.0f;
        s->output_options |= BARCODE_QUIET_ZONES;
    }
}

static tt_err_t zint_err(int rc)
{
    switch (rc) {
    case ZINT_ERROR_TOO_LONG: return TT_ERR_TOOBIG;
    case ZINT_ERROR_MEMORY: return TT_ERR_NOMEM;
    case ZINT_ERROR_FILE_ACCESS:
    case ZINT_ERROR_FILE_WRITE: return TT_ERR_IO;
    default: return TT_ERR_INVAL;
    }
}

/* Encodes l into a new symbol (*out, freed with ZBarcode_Delete), with the
 * vector drawn when `vector`.  Returns TT_OK or the mapped zint error with
 * zint's message as the reason. */
static tt_err_t zint_encode(const tt_labels_label_t *l, int vector, struct zint_symbol **out,
                            char *reason, size_t rlen)
{
    struct zint_symbol *s = ZBarcode_Create();
    const unsigned char *data = (const unsigned char *)l->data;
    int len = (int)strlen(l->data), rc;

    *out = NULL;
    if (!s)
        return fail(reason, rlen, TT_ERR_NOMEM, "out of memory");
    zint_setup(s, l->symbology, 0);
    rc = vector ? ZBarcode_Encode_and_Buffer_Vector(s, data, len, 0)
                : ZBarcode_Encode(s, data, len);
    if (rc >= ZINT_ERROR || (vector && !s->vector)) {
        tt_err_t err = fail(reason, rlen, zint_err(rc), "%s", s->errtxt);
        ZBarcode_Delete(s);
        return err;
    }
    *out = s;
    return TT_OK;
}

/* ---- builders ---- */

static void card_fill(const card_def_t *d, const char *id, tt_labels_label_t *out)
{
    memset(out, 0, sizeof *out);
    out->symbology = TT_LABELS_CODE128;
    /* Bounded: the longest prefix and a 32-byte id fit every field. */
    snprintf(out->data, sizeof out->data, "%s%s", d->text, id);
    snprintf(out->hri, sizeof out->hri, "%s", out->data);
    snprintf(out->zh, sizeof out->zh, "%s", d->zh);
    snprintf(out->id, sizeof out->id, "%s", id);
    snprintf(out->en, sizeof out->en, "%s", d->en);
}

void tt_labels_fixed_cards(tt_labels_label_t out[TT_LABELS_FIXED_CARDS])
{
    for (size_t i = 0; i < TT_LABELS_FIXED_CARDS; i++)
        card_fill(&FIXED[i], "", &out[i]);
}

tt_err_t tt_labels_id_card(tt_labels_id_kind_t kind, const char *id, tt_labels_label_t *out,
                           char *reason, size_t rlen)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!id || !out || (unsigned)kind >= sizeof ID_CARDS / sizeof ID_CARDS[0])
        return fail(reason, rlen, TT_ERR_INVAL, "no card kind or id");
    /* The counter refuses a card whose id is not a valid event id. */
    if (!tt_event_id_valid(id))
        return fail(reason, rlen, TT_ERR_INVAL,
                    "%s id '%.40s' is not valid: use 1-%d of A-Z a-z 0-9 _ . -",
                    ID_CARDS[kind].en, id, TT_EVENT_ID_MAX);
    card_fill(&ID_CARDS[kind], id, out);
    ok_reason(reason, rlen);
    return TT_OK;
}

/* Appends "(ai)value" to the bracketed text in buf[cap], '(' in the value
 * escaped as "\(" (gs1.h).  Values longer than any supported AI allows are
 * refused here, so the buffer never truncates; shorter over-long ones get
 * the decoder's own, more precise reason. */
static tt_err_t add_ai(char *buf, size_t cap, const char *ai, const char *value, char *reason,
                       size_t rlen)
{
    size_t n = strlen(buf);

    if (!value || !*value)
        return TT_OK;
    if (strlen(value) > TT_GS1_VALUE_MAX)
        return fail(reason, rlen, TT_ERR_PARSE, "AI (%s): value is longer than %d characters",
                    ai, TT_GS1_VALUE_MAX);
    n += (size_t)snprintf(buf + n, cap - n, "(%s)", ai);
    for (; *value && n + 3 < cap; value++) {
        if (*value == '(')
            buf[n++] = '\\';
        buf[n++] = *value;
    }
    buf[n] = '\0';
    return TT_OK;
}

/* Checks `bracketed` with the project's GS1 decoder and, if it passes,
 * fills *out: zint's square-bracket data and the human-readable line from
 * the decoded pairs, the caption (its id is the value of AI id_ai), and a
 * trial encoding so that data too long for the symbology is refused now
 * rather than when drawing. */
static tt_err_t gs1_label(const char *bracketed, tt_labels_symbology_t sym, const char *zh,
                          const char *id_ai, const char *en, const char *name,
                          tt_labels_label_t *out, char *reason, size_t rlen)
{
    struct zint_symbol *s;
    size_t nd = 0, nh = 0;
    tt_err_t err;

    memset(out, 0, sizeof *out);
    if (sym == TT_LABELS_CODE128 || (unsigned)sym > TT_LABELS_GS1_QR)
        return fail(reason, rlen, TT_ERR_INVAL, "GS1 data needs a GS1 symbology");
    if (name && (strlen(name) >= sizeof out->name || !text_ok(name)))
        return fail(reason, rlen, TT_ERR_INVAL,
                    "the name must be UTF-8 text without control characters, at most %zu bytes",
                    sizeof out->name - 1);
    /* ref_year 0: the fixed 20YY rule.  A label is printed for goods at
     * hand, so expiry dates are this century; no clock needed. */
    err = tt_gs1_decode_bracketed(bracketed, 0, &out->gs1, reason, rlen);
    if (err != TT_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    for (size_t i = 0; i < out->gs1.count; i++) {
        const tt_gs1_pair_t *p = &out->gs1.pairs[i];
        /* Bounded: 10 pairs of at most 4 + 30 characters and brackets. */
        nd += (size_t)snprintf(out->data + nd, sizeof out->data - nd, "[%s]%s", p->ai, p->value);
        nh += (size_t)snprintf(out->hri + nh, sizeof out->hri - nh, "(%s)%s", p->ai, p->value);
    }
    out->symbology = sym;
    snprintf(out->zh, sizeof out->zh, "%s", zh);
    snprintf(out->id, sizeof out->id, "%s",
             tt_gs1_find(&out->gs1, id_ai) ? tt_gs1_find(&out->gs1, id_ai) : "");
    snprintf(out->en, sizeof out->en, "%s", en);
    snprintf(out->name, sizeof out->name, "%s", name ? name : "");
    err = zint_encode(out, 0, &s, reason, rlen);
    if (err != TT_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    ZBarcode_Delete(s);
    ok_reason(reason, rlen);
    return TT_OK;
}

tt_err_t tt_labels_item(const tt_labels_item_t *item, tt_labels_label_t *out, char *reason,
                        size_t rlen)
{
    char text[4 * (2 * TT_GS1_VALUE_MAX + 8)] = "", padded[15];
    const char *gtin;
    tt_err_t err;

    if (out)
        memset(out, 0, sizeof *out);
    if (!item || !out)
        return fail(reason, rlen, TT_ERR_INVAL, "no item");
    gtin = item->gtin;
    if (gtin && *gtin) {
        size_t n = strlen(gtin);
        /* GTIN-8, -12 and -13 are GTIN-14s with leading zeros (as in a
         * Digital Link); anything else goes to the decoder as given. */
        if (strspn(gtin, "0123456789") == n && (n == 8 || n == 12 || n == 13)) {
            snprintf(padded, sizeof padded, "%0*d%s", (int)(14 - n), 0, gtin);
            gtin = padded;
        }
    }
    /* Without a GTIN the decoder refuses the rest by the association rules
     * ("AI (10) requires AI (01) or (02)"), which is the reason to show. */
    if ((err = add_ai(text, sizeof text, "01", gtin, reason, rlen)) != TT_OK ||
        (err = add_ai(text, sizeof text, "17", item->expiry, reason, rlen)) != TT_OK ||
        (err = add_ai(text, sizeof text, "10", item->batch, reason, rlen)) != TT_OK ||
        (err = add_ai(text, sizeof text, "30", item->count, reason, rlen)) != TT_OK)
        return err;
    if (!text[0])
        return fail(reason, rlen, TT_ERR_INVAL, "nothing to encode: give a GTIN");
    return gs1_label(text, item->symbology, "物资", "01", "ITEM", item->name, out, reason, rlen);
}

tt_err_t tt_labels_asset(const char *giai, const char *name, tt_labels_symbology_t symbology,
                         tt_labels_label_t *out, char *reason, size_t rlen)
{
    char text[2 * TT_GS1_VALUE_MAX + 8] = "";
    tt_err_t err;

    if (out)
        memset(out, 0, sizeof *out);
    if (!giai || !*giai || !out)
        return fail(reason, rlen, TT_ERR_INVAL, "no GIAI");
    if ((err = add_ai(text, sizeof text, "8004", giai, reason, rlen)) != TT_OK)
        return err;
    return gs1_label(text, symbology, "设备", "8004", "ASSET", name, out, reason, rlen);
}

/* ---- SVG ---- */

/* Layout, in millimetres.  A card is read at arm's length by a handheld
 * imager: 0.33 mm modules (GS1's smallest for general use is 0.25) and bars
 * 16 mm high; narrower cells shrink the modules rather than clip the bars. */
#define PAD 3.0
#define TITLE_SIZE 4.2
#define TITLE_H 5.6
#define NAME_SIZE 3.4
#define NAME_H 4.6
#define HRI_SIZE 2.8
#define HRI_H 4.0
#define GAP 1.2
#define BAR_H 16.0
#define MATRIX_SIDE 20.0
#define X_LINEAR 0.33
#define QUIET_LINEAR 10   /* modules each side: Code 128's quiet zone */
#define QUIET_MATRIX 2
#define PAGE_W 210.0
#define PAGE_H 297.0
#define COLS 3
#define ROWS 7
#define CELL_W (PAGE_W / COLS)
#define CELL_H (PAGE_H / ROWS)
#define MIN_LABEL_W 60.0
#define FONTS "'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Zen Hei','Microsoft YaHei',sans-serif"

static int is_linear(tt_labels_symbology_t sym)
{
    return sym == TT_LABELS_CODE128 || sym == TT_LABELS_GS1_128;
}

/* Width of s at font size `size`, erring wide: CJK 1 em, other characters
 * `latin` em (bold sans capitals and digits run to 0.72, monospace 0.6).
 * It sizes single labels and squeezes text that would overflow a sheet's
 * cell (textLength, which not every renderer honours). */
static double text_width(const char *s, double size, double latin)
{
    double w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            w += (*p >= 0xE0 ? 1.0 : latin) * size;
    return w;
}

#define LATIN_BOLD 0.72
#define LATIN 0.62
#define LATIN_MONO 0.61

/* One centred line of text with its top at `top`. */
static void svg_text(sbuf_t *b, const char *cls, double size, double latin, const char *s,
                     double cx, double top, double maxw)
{
    put(b, "<text class=\"");
    put(b, cls);
    put(b, "\" x=\"");
    put_mm(b, cx);
    put(b, "\" y=\"");
    put_mm(b, top + size * 0.88);   /* the baseline, about 0.88 em below the top */
    put(b, "\"");
    if (text_width(s, size, latin) > maxw) {
        put(b, " textLength=\"");
        put_mm(b, maxw);
        put(b, "\" lengthAdjust=\"spacingAndGlyphs\"");
    }
    put(b, ">");
    put_xml(b, s);
    put(b, "</text>\n");
}

/* Height the label's content takes when its symbol is `code_h` high. */
static double content_h(const tt_labels_label_t *l, double code_h)
{
    return TITLE_H + (l->name[0] ? NAME_H : 0) + GAP + code_h + GAP + HRI_H;
}

/* Draws l centred in the cell (x, y, w, h): caption, name, symbol, data. */
static tt_err_t svg_label(sbuf_t *b, const tt_labels_label_t *l, double x, double y, double w,
                          double h, char *reason, size_t rlen)
{
    struct zint_symbol *s;
    char title[3 * TT_LABELS_TEXT_MAX];
    double avail_w = w - 2 * PAD, code_h, code_w, top, sx, sy, unit;
    int linear = is_linear(l->symbology);
    tt_err_t err = zint_encode(l, 1, &s, reason, rlen);

    if (err != TT_OK)
        return err;
    /* zint's vector units per module (2 at scale 1); rows are square. */
    unit = s->vector->width / (s->width > 0 ? s->width : 1);
    code_h = h - 2 * PAD - content_h(l, 0);
    if (linear) {
        double xmod = avail_w / (s->width + 2 * QUIET_LINEAR);
        if (xmod > X_LINEAR)
            xmod = X_LINEAR;
        code_h = code_h < BAR_H ? code_h : BAR_H;
        code_w = xmod * s->width;
        sx = xmod / unit;
        sy = code_h / s->vector->height;
    } else {
        double side = avail_w < MATRIX_SIDE ? avail_w : MATRIX_SIDE;
        code_h = code_h < side ? code_h : side;
        /* Square modules: the height decides, the width follows. */
        sx = sy = code_h / s->vector->height;
        code_w = s->vector->width * sx;
    }
    top = y + (h - content_h(l, code_h)) / 2;
    caption(l, 1, title, sizeof title);
    svg_text(b, "t", TITLE_SIZE, LATIN_BOLD, title, x + w / 2, top, avail_w);
    top += TITLE_H;
    if (l->name[0]) {
        svg_text(b, "n", NAME_SIZE, LATIN, l->name, x + w / 2, top, avail_w);
        top += NAME_H;
    }
    top += GAP;
    put(b, "<g class=\"bars\">\n");
    for (const struct zint_vector_rect *r = s->vector->rectangles; r; r = r->next) {
        if (r->colour != -1)   /* -1 is the foreground; others do not occur here */
            continue;
        put(b, "<rect x=\"");
        put_mm(b, x + (w - code_w) / 2 + r->x * sx);
        put(b, "\" y=\"");
        put_mm(b, top + r->y * sy);
        put(b, "\" width=\"");
        put_mm(b, r->width * sx);
        put(b, "\" height=\"");
        put_mm(b, r->height * sy);
        put(b, "\"/>\n");
    }
    put(b, "</g>\n");
    top += code_h + GAP;
    svg_text(b, "d", HRI_SIZE, LATIN_MONO, l->hri, x + w / 2, top, avail_w);
    ZBarcode_Delete(s);
    return TT_OK;
}

/* The page size for a label on its own: wide enough for the symbol at its
 * preferred module size with quiet zones and for each line of text, tall
 * enough for the content. */
static tt_err_t natural_size(const tt_labels_label_t *l, double *w, double *h, char *reason,
                             size_t rlen)
{
    struct zint_symbol *s;
    tt_err_t err = zint_encode(l, 0, &s, reason, rlen);
    char title[3 * TT_LABELS_TEXT_MAX];
    double code_w, code_h, text_w[3];

    if (err != TT_OK)
        return err;
    if (is_linear(l->symbology)) {
        code_w = X_LINEAR * (s->width + 2 * QUIET_LINEAR);
        code_h = BAR_H;
    } else {
        code_w = code_h = MATRIX_SIDE;
    }
    ZBarcode_Delete(s);
    caption(l, 1, title, sizeof title);
    text_w[0] = text_width(title, TITLE_SIZE, LATIN_BOLD);
    text_w[1] = text_width(l->name, NAME_SIZE, LATIN);
    text_w[2] = text_width(l->hri, HRI_SIZE, LATIN_MONO);
    *w = code_w > MIN_LABEL_W - 2 * PAD ? code_w : MIN_LABEL_W - 2 * PAD;
    for (int i = 0; i < 3; i++)
        *w = text_w[i] > *w ? text_w[i] : *w;
    *w += 2 * PAD;
    *h = content_h(l, code_h) + 2 * PAD;
    return TT_OK;
}

static void svg_open(sbuf_t *b, double w, double h)
{
    put(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"");
    put_mm(b, w);
    put(b, "mm\" height=\"");
    put_mm(b, h);
    put(b, "mm\" viewBox=\"0 0 ");
    put_mm(b, w);
    put(b, " ");
    put_mm(b, h);
    put(b, "\">\n<style>\ntext{font-family:" FONTS ";text-anchor:middle;fill:#000}\n.t{font-size:");
    put_mm(b, TITLE_SIZE);
    put(b, "px;font-weight:bold}\n.n{font-size:");
    put_mm(b, NAME_SIZE);
    put(b, "px}\n.d{font-family:'DejaVu Sans Mono','Noto Sans Mono',monospace;font-size:");
    put_mm(b, HRI_SIZE);
    put(b, "px}\n.bars{fill:#000}\n"
           ".cut{fill:none;stroke:#aaa;stroke-width:0.2;stroke-dasharray:1.5 1.5}\n"
           "</style>\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n");
}

tt_err_t tt_labels_svg(const tt_labels_label_t *labels, size_t n, char **out, size_t *len,
                       char *reason, size_t rlen)
{
    sbuf_t b = {0};
    tt_err_t err = TT_OK;

    if (!labels || !n || !out)
        return fail(reason, rlen, TT_ERR_INVAL, "no labels");
    *out = NULL;
    if (n == 1) {
        double w, h;
        if ((err = natural_size(&labels[0], &w, &h, reason, rlen)) != TT_OK)
            return err;
        svg_open(&b, w, h);
        err = svg_label(&b, &labels[0], 0, 0, w, h, reason, rlen);
    } else {
        size_t pages = (n + COLS * ROWS - 1) / (COLS * ROWS);
        svg_open(&b, PAGE_W, PAGE_H * (double)pages);
        for (size_t i = 0; i < n && err == TT_OK; i++) {
            double x = CELL_W * (double)(i % COLS);
            double y = PAGE_H * (double)(i / (COLS * ROWS)) + CELL_H * (double)(i / COLS % ROWS);
            put(&b, "<rect class=\"cut\" x=\"");
            put_mm(&b, x);
            put(&b, "\" y=\"");
            put_mm(&b, y);
            put(&b, "\" width=\"");
            put_mm(&b, CELL_W);
            put(&b, "\" height=\"");
            put_mm(&b, CELL_H);
            put(&b, "\"/>\n");
            err = svg_label(&b, &labels[i], x, y, CELL_W, CELL_H, reason, rlen);
        }
    }
    put(&b, "</svg>\n");
    if (err == TT_OK && b.failed)
        err = fail(reason, rlen, TT_ERR_NOMEM, "out of memory");
    if (err != TT_OK) {
        free(b.p);
        return err;
    }
    *out = b.p;
    if (len)
        *len = b.len;
    ok_reason(reason, rlen);
    return TT_OK;
}

/* ---- ZPL ---- */

/* ZPL layout, in dots at 8 dots/mm (203 dpi): 0.25 mm modules (^BY2) for
 * Code 128, 0.75 mm for Data Matrix, 15 mm bars. */
#define Z_DPMM 8
#define Z_MARGIN 24
#define Z_MODULE 2
#define Z_DM_MODULE 6
#define Z_BAR_H 120
#define Z_TITLE 32
#define Z_NAME 28
#define Z_HRI 22
#define Z_GAP 10
#define Z_MIN_W 480   /* 60 mm */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t digit_run(const char *s)
{
    size_t n = 0;
    while (is_digit(s[n]))
        n++;
    return n;
}

/* Appends s as ^BC field data in mode N (every firmware has it), choosing
 * the subsets with the usual rule: Code C for runs of 4 or more digits
 * (an even count of them), Code B otherwise.  GS in s stands for FNC1 (>8);
 * with `gs1` an FNC1 follows the start code, which makes it GS1-128.
 * Returns the number of symbol characters between the start and the check
 * character, or -1 for a byte ^BC cannot take in Code B ('^', controls). */
static int zpl_code128(sbuf_t *b, const char *s, int gs1)
{
    int code_c = digit_run(s) >= 4, n = 0;

    put(b, code_c ? ">;" : ">:");
    if (gs1) {
        put(b, ">8");
        n++;
    }
    while (*s) {
        unsigned char ch = (unsigned char)*s;
        if (ch == (unsigned char)TT_GS1_GS) {
            put(b, ">8");
            s++;
        } else if (code_c) {
            if (is_digit(s[0]) && is_digit(s[1])) {
                put_n(b, s, 2);
                s += 2;
            } else {
                put(b, ">6");   /* to Code B */
                code_c = 0;
            }
        } else if (digit_run(s) >= 4 && digit_run(s) % 2 == 0) {
            put(b, ">5");   /* to Code C */
            code_c = 1;
        } else if (ch == '>') {
            put(b, ">0");
            s++;
        } else if (ch == '~') {
            put(b, ">=");
            s++;
        } else if (ch < 0x20 || ch >= 0x7F || ch == '^') {
            return -1;
        } else {
            put_n(b, s, 1);
            s++;
        }
        n++;
    }
    return n;
}

/* A line of text in a ^FB block as wide as the label, centred.  ^FH makes
 * '_' the hex escape, so '_', '^' and '~' (which ZPL would take as commands)
 * are written as _5F, _5E and _7E. */
static void zpl_text(sbuf_t *b, int y, int width, int size, const char *font, const char *s)
{
    putf(b, "^FO%d,%d", Z_MARGIN, y);
    if (font) {
        putf(b, "^A@N,%d,%d,", size, size);
        put(b, font);
    } else {
        putf(b, "^A0N,%d,%d", size, size);
    }
    putf(b, "^FB%d,1,0,C,0^FH^FD", width - 2 * Z_MARGIN);
    for (; *s; s++) {
        if (*s == '_' || *s == '^' || *s == '~')
            putf(b, "_%02X", (unsigned)(unsigned char)*s);
        else
            put_n(b, s, 1);
    }
    put(b, "^FS\n");
}

static tt_err_t zpl_label(sbuf_t *b, const tt_labels_label_t *l, const char *font,
                          char *reason, size_t rlen)
{
    char title[3 * TT_LABELS_TEXT_MAX], element[TT_GS1_TEXT_MAX];
    sbuf_t field = {0};
    int w, h, y, code_w, code_h;

    if (l->symbology == TT_LABELS_GS1_QR)
        return fail(reason, rlen, TT_ERR_INVAL,
                    "ZPL cannot encode GS1 QR dependably (^BQ has no FNC1): use datamatrix "
                    "or gs1-128, or SVG/PNG");
    if (l->symbology != TT_LABELS_CODE128 &&
        tt_gs1_element_string(&l->gs1, element, sizeof element) != TT_OK)
        return fail(reason, rlen, TT_ERR_INVAL, "label has no GS1 data");
    if (is_linear(l->symbology)) {
        int n = zpl_code128(&field, l->symbology == TT_LABELS_CODE128 ? l->data : element,
                            l->symbology == TT_LABELS_GS1_128);
        if (n < 0) {
            free(field.p);
            return fail(reason, rlen, TT_ERR_INVAL, "data has a character ZPL ^BC cannot encode");
        }
        /* Start, data, check (11 modules each), stop (13), quiet zones. */
        code_w = Z_MODULE * (11 * (n + 2) + 13);
        code_h = Z_BAR_H;
    } else {
        struct zint_symbol *s;
        tt_err_t err = zint_encode(l, 0, &s, reason, rlen);
        if (err != TT_OK)
            return err;
        /* The printer picks the symbol size itself; zint's square choice
         * for the same data is used only to centre it and size the label
         * (should the printer pick another size, it is just off-centre). */
        code_w = code_h = Z_DM_MODULE * s->width;
        ZBarcode_Delete(s);
        put(&field, "_1");
        for (const char *p = element; *p; p++)
            if (*p == TT_GS1_GS || *p == '_')
                put(&field, *p == '_' ? "__" : "_1");
            else
                put_n(&field, p, 1);
    }
    w = code_w + 2 * Z_MARGIN + 2 * QUIET_LINEAR * Z_MODULE;
    w = w > Z_MIN_W ? w : Z_MIN_W;
    h = 2 * Z_MARGIN + Z_TITLE + Z_GAP + (l->name[0] ? Z_NAME + Z_GAP : 0) + code_h + Z_GAP +
        Z_HRI;
    put(b, "^XA\n^CI28\n");
    putf(b, "^PW%d\n^LL%d\n^LH0,0\n", w, h);
    caption(l, font != NULL, title, sizeof title);
    y = Z_MARGIN;
    zpl_text(b, y, w, Z_TITLE, font, title);
    y += Z_TITLE + Z_GAP;
    if (l->name[0]) {
        zpl_text(b, y, w, Z_NAME, font, l->name);
        y += Z_NAME + Z_GAP;
    }
    putf(b, "^FO%d,%d", (w - code_w) / 2, y);
    if (is_linear(l->symbology))
        putf(b, "^BY%d^BCN,%d,N,N,N,N", Z_MODULE, Z_BAR_H);
    else
        putf(b, "^BXN,%d,200,,,,_", Z_DM_MODULE);
    put(b, "^FD");
    put(b, field.p ? field.p : "");
    put(b, "^FS\n");
    free(field.p);
    if (field.failed)
        b->failed = 1;
    y += code_h + Z_GAP;
    zpl_text(b, y, w, Z_HRI, NULL, l->hri);   /* ASCII: font 0 has it */
    put(b, "^XZ\n");
    return TT_OK;
}

tt_err_t tt_labels_zpl(const tt_labels_label_t *labels, size_t n, const char *cjk_font,
                       char **out, size_t *len, char *reason, size_t rlen)
{
    sbuf_t b = {0};
    tt_err_t err = TT_OK;

    if (!labels || !n || !out)
        return fail(reason, rlen, TT_ERR_INVAL, "no labels");
    *out = NULL;
    if (cjk_font && !*cjk_font)
        cjk_font = NULL;
    if (cjk_font && (strpbrk(cjk_font, "^~,") || !text_ok(cjk_font)))
        return fail(reason, rlen, TT_ERR_INVAL, "font name '%.60s' is not usable in ZPL",
                    cjk_font);
    for (size_t i = 0; i < n && err == TT_OK; i++)
        err = zpl_label(&b, &labels[i], cjk_font, reason, rlen);
    if (err == TT_OK && b.failed)
        err = fail(reason, rlen, TT_ERR_NOMEM, "out of memory");
    if (err != TT_OK) {
        free(b.p);
        return err;
    }
    *out = b.p;
    if (len)
        *len = b.len;
    ok_reason(reason, rlen);
    return TT_OK;
}

/* ---- PNG ---- */

tt_err_t tt_labels_png(const tt_labels_label_t *label, const char *path, char *reason,
                       size_t rlen)
{
    struct zint_symbol *s;
    size_t n = path ? strlen(path) : 0;
    int rc;

    if (!label || !path)
        return fail(reason, rlen, TT_ERR_INVAL, "no label or path");
    /* zint picks the file format by the extension and keeps the name in a
     * 256-byte field. */
    if (n < 5 || strcasecmp(path + n - 4, ".png") != 0)
        return fail(reason, rlen, TT_ERR_INVAL, "a PNG file name must end in .png");
    if (n >= sizeof s->outfile)
        return fail(reason, rlen, TT_ERR_INVAL, "file name longer than %zu bytes",
                    sizeof s->outfile - 1);
    if (!(s = ZBarcode_Create()))
        return fail(reason, rlen, TT_ERR_NOMEM, "out of memory");
    zint_setup(s, label->symbology, 1);
    memcpy(s->outfile, path, n + 1);
    rc = ZBarcode_Encode_and_Print(s, (const unsigned char *)label->data,
                                   (int)strlen(label->data), 0);
    if (rc >= ZINT_ERROR) {
        tt_err_t err = fail(reason, rlen, zint_err(rc), "%s: %s", path, s->errtxt);
        ZBarcode_Delete(s);
        return err;
    }
    ZBarcode_Delete(s);
    ok_reason(reason, rlen);
    return TT_OK;
}

/* ---- helpers ---- */

tt_err_t tt_labels_numbered_path(const char *path, size_t index, size_t n, char *buf,
                                 size_t len)
{
    const char *base, *dot;
    int w;

    if (!path || !buf || index >= n)
        return TT_ERR_INVAL;
    if (n == 1)
        return copy(buf, len, path) == 0 ? TT_OK : TT_ERR_FULL;
    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    dot = strrchr(base, '.');
    if (!dot || dot == base)   /* no extension, or a dot file: number at the end */
        dot = path + strlen(path);
    w = snprintf(buf, len, "%.*s-%02zu%s", (int)(dot - path), path, index + 1, dot);
    if (w < 0 || (size_t)w >= len) {
        if (len)
            buf[0] = '\0';
        return TT_ERR_FULL;
    }
    return TT_OK;
}

tt_err_t tt_labels_format_parse(const char *word, tt_labels_format_t *out)
{
    static const char *const names[] = {[TT_LABELS_SVG] = "svg", [TT_LABELS_PNG] = "png",
                                        [TT_LABELS_ZPL] = "zpl"};
    for (size_t i = 0; word && out && i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(word, names[i]) == 0) {
            *out = (tt_labels_format_t)i;
            return TT_OK;
        }
    }
    return TT_ERR_INVAL;
}

tt_err_t tt_labels_symbology_parse(const char *word, tt_labels_symbology_t *out)
{
    static const struct {
        const char *name;
        tt_labels_symbology_t sym;
    } names[] = {
        {"gs1-128", TT_LABELS_GS1_128},
        {"datamatrix", TT_LABELS_GS1_DATAMATRIX},
        {"qr", TT_LABELS_GS1_QR},
    };
    for (size_t i = 0; word && out && i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(word, names[i].name) == 0) {
            *out = names[i].sym;
            return TT_OK;
        }
    }
    return TT_ERR_INVAL;
}
