/*
 * Unit tests for firmware/labels: what each card and label holds, the GS1
 * refusals, and that what the three writers produce reads back as that data:
 * SVG bars are decoded here as Code 128 from the <rect>s, ZPL ^BC field data
 * is interpreted as a printer would, and PNG files are scanned with zbarimg
 * (Debian zbar-tools; scripts/setup installs it).  The cards are also shown
 * to the counter (firmware/counter), which must accept every one of them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zint.h>

#include "counter.h"
#include "gs1.h"
#include "labels.h"

#define GTIN "09506000134352"

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static const tt_labels_label_t *find_card(const tt_labels_label_t *cards, size_t n,
                                          const char *data)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cards[i].data, data) == 0)
            return &cards[i];
    return NULL;
}

/* The element string of a GS1 label: what a scanner sends after "]C1". */
static void element_of(const tt_labels_label_t *l, char *buf, size_t len)
{
    assert_int_equal(tt_gs1_element_string(&l->gs1, buf, len), TT_OK);
}

/* ---- a Code 128 reader for the bars in our SVG ---- */

/* Module widths (bar, space, ...) of the symbol values 0..105, ISO/IEC 15417. */
static const char *const C128[] = {
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232",
};

/* Decodes a Code 128 symbol given as element widths in modules (bar first)
 * into out: FNC1 after the start is "]C1", later ones GS.  Checks the check
 * character and the stop pattern.  Returns 0, or -1 if it does not read. */
static int c128_decode(const int *el, size_t nel, char *out, size_t len)
{
    int vals[128], nv = 0, set, sum;
    size_t o = 0;

    assert_int_equal(sizeof C128 / sizeof C128[0], 106);
    if (nel < 6 + 6 + 7 || (nel - 7) % 6 != 0)
        return -1;
    for (size_t i = 0; i + 7 < nel; i += 6) {
        char pat[7];
        int v = -1;
        for (int k = 0; k < 6; k++)
            pat[k] = (char)('0' + el[i + (size_t)k]);
        pat[6] = '\0';
        for (int c = 0; c < 106 && v < 0; c++)
            if (strcmp(pat, C128[c]) == 0)
                v = c;
        if (v < 0 || nv == 128)
            return -1;
        vals[nv++] = v;
    }
    {
        char stop[8];
        for (int k = 0; k < 7; k++)
            stop[k] = (char)('0' + el[nel - 7 + (size_t)k]);
        stop[7] = '\0';
        if (strcmp(stop, "2331112") != 0)
            return -1;
    }
    sum = vals[0];
    for (int i = 1; i < nv - 1; i++)
        sum += i * vals[i];
    if (nv < 2 || sum % 103 != vals[nv - 1] || vals[0] < 103)
        return -1;
    set = vals[0] == 103 ? 'A' : vals[0] == 104 ? 'B' : 'C';
    for (int i = 1; i < nv - 1 && o + 4 < len; i++) {
        int v = vals[i];
        if (v == 102) {
            o += (size_t)snprintf(out + o, len - o, "%s", i == 1 ? "]C1" : "\x1D");
        } else if (set == 'C' && v < 100) {
            o += (size_t)snprintf(out + o, len - o, "%02d", v);
        } else if (v == 99 && set != 'C') {
            set = 'C';
        } else if (v == 100 && set != 'B') {
            set = 'B';
        } else if (v == 101 && set != 'A') {
            set = 'A';
        } else if (set == 'B' && v < 96) {
            out[o++] = (char)(v + 32);
        } else if (set == 'A' && v < 64) {
            out[o++] = (char)(v + 32);
        } else {
            return -1;   /* shifts, FNC2-4 and controls: never in our data */
        }
    }
    out[o] = '\0';
    return 0;
}

/* Reads the attribute `name` of the element at `tag` as a number. */
static double attr(const char *tag, const char *name)
{
    char key[32];
    const char *p;
    snprintf(key, sizeof key, " %s=\"", name);
    p = strstr(tag, key);
    assert_non_null(p);
    return strtod(p + strlen(key), NULL);
}

/* Decodes every <g class="bars"> group of an SVG of linear symbols, in
 * order, into out[0..*n-1]. */
static void svg_decode_all(const char *svg, char out[][TT_LABELS_DATA_MAX + 8], size_t cap,
                           size_t *n)
{
    const char *g = svg;
    *n = 0;
    while ((g = strstr(g, "<g class=\"bars\">")) != NULL) {
        const char *end = strstr(g, "</g>");
        double xs[1200], ws[1200], unit = 1e9;
        int el[2400];
        size_t nr = 0, ne = 0;
        assert_non_null(end);
        for (const char *r = strstr(g, "<rect "); r && r < end; r = strstr(r + 1, "<rect ")) {
            assert_true(nr < 1200);
            xs[nr] = attr(r, "x");
            ws[nr] = attr(r, "width");
            if (ws[nr] < unit)
                unit = ws[nr];
            nr++;
        }
        /* The narrowest bar is one module; spaces are the gaps. */
        for (size_t i = 0; i < nr; i++) {
            el[ne++] = (int)(ws[i] / unit + 0.5);
            if (i + 1 < nr)
                el[ne++] = (int)((xs[i + 1] - xs[i] - ws[i]) / unit + 0.5);
        }
        assert_true(*n < cap);
        assert_int_equal(c128_decode(el, ne, out[*n], TT_LABELS_DATA_MAX + 8), 0);
        (*n)++;
        g = end;
    }
}

/* A rough well-formedness check: tags nest and close, attributes are
 * quoted, and '&' only starts an entity. */
static void assert_xml_balanced(const char *s)
{
    char stack[64][16];
    int depth = 0;

    for (const char *p = s; *p; p++) {
        if (*p == '&')
            assert_true(strncmp(p, "&amp;", 5) == 0 || strncmp(p, "&lt;", 4) == 0 ||
                        strncmp(p, "&gt;", 4) == 0 || strncmp(p, "&quot;", 6) == 0);
        if (*p != '<')
            continue;
        const char *e = strchr(p, '>');
        char name[16];
        size_t nl;
        assert_non_null(e);
        if (p[1] == '/') {
            nl = strcspn(p + 2, " >");
            assert_true(depth > 0);
            snprintf(name, sizeof name, "%.*s", (int)nl, p + 2);
            assert_string_equal(stack[--depth], name);
        } else {
            nl = strcspn(p + 1, " />");
            assert_true(nl > 0 && nl < sizeof name);
            if (e[-1] != '/') {
                assert_true(depth < 64);
                snprintf(stack[depth++], sizeof stack[0], "%.*s", (int)nl, p + 1);
            }
        }
        /* Quotes inside the tag come in pairs. */
        {
            size_t q = 0;
            for (const char *t = p; t < e; t++)
                q += *t == '"';
            assert_int_equal(q % 2, 0);
        }
        p = e;
    }
    assert_int_equal(depth, 0);
}

/* ---- a ZPL ^BC reader ---- */

/* Interprets ^BC mode N field data as a printer does (start codes >9 >: >;,
 * subset switches >5 >6 >7, FNC1 >8, '>' as >0) into the data a scanner
 * would send: FNC1 first as "]C1", later as GS. */
static void zpl_bc_read(const char *fd, char *out, size_t len)
{
    int set;
    size_t o = 0;
    int first = 1;

    assert_int_equal(fd[0], '>');
    set = fd[1] == ';' ? 'C' : fd[1] == ':' ? 'B' : 'A';
    assert_true(fd[1] == ';' || fd[1] == ':');
    for (const char *p = fd + 2; *p && o + 4 < len;) {
        if (p[0] == '>') {
            switch (p[1]) {
            case '8': o += (size_t)snprintf(out + o, len - o, "%s", first ? "]C1" : "\x1D"); break;
            case '5': set = 'C'; break;
            case '6': set = 'B'; break;
            case '0': out[o++] = '>'; break;
            case '=': out[o++] = '~'; break;
            default: fail_msg("unexpected invocation >%c", p[1]);
            }
            p += 2;
        } else if (set == 'C') {
            assert_true(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9');
            out[o++] = *p++;
            out[o++] = *p++;
        } else {
            out[o++] = *p++;
        }
        first = 0;
    }
    out[o] = '\0';
}

/* The ^FD field data after the first `cmd` (e.g. "^BC") in zpl, copied. */
static void zpl_field_after(const char *zpl, const char *cmd, char *out, size_t len)
{
    const char *p = strstr(zpl, cmd), *fd, *fs;
    assert_non_null(p);
    fd = strstr(p, "^FD");
    assert_non_null(fd);
    fs = strstr(fd, "^FS");
    assert_non_null(fs);
    snprintf(out, len, "%.*s", (int)(fs - fd - 3), fd + 3);
}

/* ---- cards ---- */

static void test_fixed_cards(void **state)
{
    tt_labels_label_t cards[TT_LABELS_FIXED_CARDS];
    const tt_labels_label_t *l;
    (void)state;

    tt_labels_fixed_cards(cards);
    for (size_t i = 0; i < TT_LABELS_FIXED_CARDS; i++) {
        struct zint_symbol *s = ZBarcode_Create();
        assert_int_equal(cards[i].symbology, TT_LABELS_CODE128);
        assert_int_equal(strncmp(cards[i].data, "TT:", 3), 0);
        assert_string_equal(cards[i].hri, cards[i].data);
        assert_true(cards[i].zh[0] && cards[i].en[0] && !cards[i].id[0]);
        assert_null(find_card(cards, i, cards[i].data));   /* no duplicates */
        /* What zint encodes is exactly the card text. */
        s->symbology = BARCODE_CODE128;
        assert_int_equal(ZBarcode_Encode(s, (const unsigned char *)cards[i].data,
                                         (int)strlen(cards[i].data)), 0);
        assert_string_equal((const char *)s->text, cards[i].data);
        ZBarcode_Delete(s);
    }
    l = find_card(cards, TT_LABELS_FIXED_CARDS, "TT:COMMIT");
    assert_non_null(l);
    assert_string_equal(l->zh, "提交");
    assert_string_equal(l->en, "COMMIT");
    l = find_card(cards, TT_LABELS_FIXED_CARDS, "TT:MODE:receive");
    assert_non_null(l);
    assert_string_equal(l->zh, "入库");
    assert_string_equal(l->en, "RECEIVE");
    for (const char *const *t = (const char *const[]){"TT:LOGOUT", "TT:MODE:issue", "TT:UNDO",
                                                       "TT:CANCEL", NULL};
         *t; t++)
        assert_non_null(find_card(cards, TT_LABELS_FIXED_CARDS, *t));
}

static void test_id_cards(void **state)
{
    static const struct {
        tt_labels_id_kind_t kind;
        const char *data, *zh, *en;
    } want[] = {
        {TT_LABELS_OPERATOR, "TT:OP:zhang3", "操作员", "OPERATOR"},
        {TT_LABELS_WAREHOUSE, "TT:WH:CK01", "仓库", "WAREHOUSE"},
        {TT_LABELS_TO, "TT:TO:CK02", "调入仓库", "TO WAREHOUSE"},
        {TT_LABELS_UNIT, "TT:UNIT:GQ3", "工区", "WORK AREA"},
        {TT_LABELS_TOUNIT, "TT:TOUNIT:GQ4", "接收单位", "RECEIVING UNIT"},
    };
    char reason[TT_LABELS_REASON_MAX];
    tt_labels_label_t l;
    (void)state;

    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *id = strrchr(want[i].data, ':') + 1;
        assert_int_equal(tt_labels_id_card(want[i].kind, id, &l, reason, sizeof reason), TT_OK);
        assert_string_equal(reason, "");
        assert_string_equal(l.data, want[i].data);
        assert_string_equal(l.hri, want[i].data);
        assert_string_equal(l.zh, want[i].zh);
        assert_string_equal(l.id, id);
        assert_string_equal(l.en, want[i].en);
    }
    /* Ids the counter would refuse are refused here. */
    for (const char *const *bad = (const char *const[]){"", "bad id", "a/b", "CK01:", "仓库",
                                                         "012345678901234567890123456789012",
                                                         NULL};
         *bad; bad++) {
        assert_int_equal(tt_labels_id_card(TT_LABELS_WAREHOUSE, *bad, &l, reason, sizeof reason),
                         TT_ERR_INVAL);
        assert_non_null(strstr(reason, "not valid"));
    }
    assert_int_equal(tt_labels_id_card((tt_labels_id_kind_t)99, "x", &l, NULL, 0), TT_ERR_INVAL);
    assert_int_equal(tt_labels_id_card(TT_LABELS_UNIT, NULL, &l, NULL, 0), TT_ERR_INVAL);
}

/* Logs in, chooses `mode` (and the handover action in revolve mode, which
 * the TOUNIT card needs), then scans `code`. */
static tt_counter_beep_t scan_in_mode(int mode, const char *code, char *msg, size_t len)
{
    tt_counter_t *c;
    char mode_card[64];
    tt_counter_beep_t beep;

    assert_int_equal(tt_counter_new("", TT_COUNTER_LANG_EN, &c), TT_OK);
    assert_int_equal(tt_counter_scan(c, "TT:OP:zhang3"), TT_COUNTER_BEEP_OK);
    if (mode != TT_COUNTER_MODE_NONE) {
        snprintf(mode_card, sizeof mode_card, "TT:MODE:%s",
                 tt_counter_mode_word((tt_counter_mode_t)mode));
        assert_int_equal(tt_counter_scan(c, mode_card), TT_COUNTER_BEEP_OK);
        if (mode == TT_COUNTER_MODE_REVOLVE)
            tt_counter_scan(c, "TT:ACT:handover");
    }
    beep = tt_counter_scan(c, code);
    snprintf(msg, len, "%s", tt_counter_view(c)->message);
    tt_counter_free(c);
    return beep;
}

/* Every card we print is one the counter knows: the mode cards are exactly
 * its modes, with its own words, and each card is taken in some mode. */
static void test_cards_match_counter(void **state)
{
    tt_labels_label_t cards[TT_LABELS_FIXED_CARDS + 5];
    size_t n = TT_LABELS_FIXED_CARDS, modes = 0;
    char msg[TT_COUNTER_MSG_MAX];
    (void)state;

    tt_labels_fixed_cards(cards);
    assert_int_equal(tt_labels_id_card(TT_LABELS_OPERATOR, "li4", &cards[n++], NULL, 0), TT_OK);
    assert_int_equal(tt_labels_id_card(TT_LABELS_WAREHOUSE, "CK01", &cards[n++], NULL, 0), TT_OK);
    assert_int_equal(tt_labels_id_card(TT_LABELS_TO, "CK02", &cards[n++], NULL, 0), TT_OK);
    assert_int_equal(tt_labels_id_card(TT_LABELS_UNIT, "GQ3", &cards[n++], NULL, 0), TT_OK);
    assert_int_equal(tt_labels_id_card(TT_LABELS_TOUNIT, "GQ4", &cards[n++], NULL, 0), TT_OK);

    for (int m = TT_COUNTER_MODE_RECEIVE; m <= TT_COUNTER_MODE_LAST; m++) {
        char data[64];
        const tt_labels_label_t *l;
        snprintf(data, sizeof data, "TT:MODE:%s", tt_counter_mode_word((tt_counter_mode_t)m));
        l = find_card(cards, n, data);
        assert_non_null(l);
        assert_string_equal(l->zh, tt_counter_mode_label((tt_counter_mode_t)m, TT_COUNTER_LANG_ZH));
        assert_string_equal(l->en, tt_counter_mode_label((tt_counter_mode_t)m, TT_COUNTER_LANG_EN));
    }
    for (size_t i = 0; i < n; i++)
        modes += strncmp(cards[i].data, "TT:MODE:", 8) == 0;
    assert_int_equal(modes, TT_COUNTER_MODE_LAST);

    for (size_t i = 0; i < n; i++) {
        int taken = 0;
        const char *d = cards[i].data;
        /* UNDO and COMMIT need lines to succeed; for them "not an unknown
         * card" is what can be checked without building a document. */
        if (!strcmp(d, "TT:UNDO") || !strcmp(d, "TT:COMMIT")) {
            scan_in_mode(TT_COUNTER_MODE_RECEIVE, d, msg, sizeof msg);
            assert_null(strstr(msg, "unknown operation card"));
            continue;
        }
        for (int m = TT_COUNTER_MODE_NONE; m <= TT_COUNTER_MODE_LAST && !taken; m++)
            taken = scan_in_mode(m, d, msg, sizeof msg) == TT_COUNTER_BEEP_OK;
        if (!taken)
            fail_msg("the counter takes card %s in no mode (last: %s)", d, msg);
    }
}

/* ---- items and assets ---- */

static void test_item(void **state)
{
    char reason[TT_LABELS_REASON_MAX], element[TT_GS1_TEXT_MAX];
    tt_labels_label_t l;
    tt_labels_item_t item = {.gtin = GTIN, .batch = "ABC123", .symbology = TT_LABELS_GS1_128};
    struct zint_symbol *s;
    (void)state;

    assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_OK);
    assert_string_equal(reason, "");
    assert_int_equal(l.symbology, TT_LABELS_GS1_128);
    assert_string_equal(l.data, "[01]" GTIN "[10]ABC123");
    assert_string_equal(l.hri, "(01)" GTIN "(10)ABC123");
    assert_string_equal(l.zh, "物资");
    assert_string_equal(l.id, GTIN);
    assert_string_equal(l.en, "ITEM");
    assert_string_equal(tt_gs1_find(&l.gs1, "10"), "ABC123");
    /* zint takes the data in GS1 mode, FNC1 and all: its text is the HRI. */
    s = ZBarcode_Create();
    s->symbology = BARCODE_GS1_128;
    s->input_mode = GS1_MODE;
    assert_int_equal(ZBarcode_Encode(s, (const unsigned char *)l.data, (int)strlen(l.data)), 0);
    assert_string_equal((const char *)s->text, l.hri);
    ZBarcode_Delete(s);

    /* All four AIs: predefined lengths first, so one FNC1 separator only. */
    item = (tt_labels_item_t){GTIN, "ABC123", "261231", "5", "锚杆 Φ20", TT_LABELS_GS1_128};
    assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_OK);
    assert_string_equal(l.data, "[01]" GTIN "[17]261231[10]ABC123[30]5");
    assert_string_equal(l.name, "锚杆 Φ20");
    element_of(&l, element, sizeof element);
    assert_string_equal(element, "01" GTIN "17261231" "10ABC123\x1D" "305");
    assert_int_equal(l.gs1.pairs[1].date.year, 2026);

    /* GTIN-13 padded to 14; '(' in a batch survives the bracketed check. */
    item = (tt_labels_item_t){"9506000134352", "A(B)", NULL, NULL, NULL, TT_LABELS_GS1_DATAMATRIX};
    assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_OK);
    assert_string_equal(l.data, "[01]" GTIN "[10]A(B)");
    assert_string_equal(l.hri, "(01)" GTIN "(10)A(B)");
    item.symbology = TT_LABELS_GS1_QR;
    assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_OK);
    assert_int_equal(l.symbology, TT_LABELS_GS1_QR);
}

/* Each refusal carries the reason tt_gs1_decode_bracketed gives. */
static void test_item_refused(void **state)
{
    static const struct {
        tt_labels_item_t item;
        const char *bracketed;   /* what the decoder sees */
        tt_err_t err;
    } cases[] = {
        {{"09506000134353", "ABC123", NULL, NULL, NULL, TT_LABELS_GS1_128},
         "(01)09506000134353(10)ABC123", TT_ERR_PARSE},   /* check digit */
        {{NULL, "ABC123", NULL, NULL, NULL, TT_LABELS_GS1_128}, "(10)ABC123",
         TT_ERR_INVAL},                                   /* a lone (10) */
        {{GTIN, NULL, "261332", NULL, NULL, TT_LABELS_GS1_128}, "(01)" GTIN "(17)261332",
         TT_ERR_PARSE},                                   /* no 32nd day */
        {{GTIN, "ABC DEF", NULL, NULL, NULL, TT_LABELS_GS1_128}, "(01)" GTIN "(10)ABC DEF",
         TT_ERR_PARSE},                                   /* space: not CSET 82 */
        {{GTIN, NULL, NULL, "123456789", NULL, TT_LABELS_GS1_128},
         "(01)" GTIN "(30)123456789", TT_ERR_PARSE},      /* count over 8 digits */
        {{GTIN, "ABCDEFGHIJKLMNOPQRSTU", NULL, NULL, NULL, TT_LABELS_GS1_DATAMATRIX},
         "(01)" GTIN "(10)ABCDEFGHIJKLMNOPQRSTU", TT_ERR_PARSE},   /* 21 > 20 */
    };
    char reason[TT_LABELS_REASON_MAX], want[TT_GS1_REASON_MAX];
    tt_gs1_result_t r;
    tt_labels_label_t l;
    tt_labels_item_t item;
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(tt_gs1_decode_bracketed(cases[i].bracketed, 0, &r, want, sizeof want),
                         cases[i].err);
        memset(&l, 0x55, sizeof l);
        assert_int_equal(tt_labels_item(&cases[i].item, &l, reason, sizeof reason),
                         cases[i].err);
        assert_string_equal(reason, want);
        assert_string_equal(l.data, "");   /* nothing half-built is left */
    }
    assert_non_null(strstr(want, "(10)"));
    assert_int_equal(tt_labels_item(&cases[0].item, &l, reason, sizeof reason), TT_ERR_PARSE);
    assert_string_equal(reason, "AI (01): check digit is 3, expected 2");
    assert_int_equal(tt_labels_item(&cases[1].item, &l, reason, sizeof reason), TT_ERR_INVAL);
    assert_string_equal(reason, "AI (10) requires AI (01) or (02)");

    /* Not GS1 at all, or not printable as asked. */
    item = (tt_labels_item_t){.symbology = TT_LABELS_GS1_128};
    assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_ERR_INVAL);
    item = (tt_labels_item_t){GTIN, NULL, NULL, NULL, NULL, TT_LABELS_CODE128};
    assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_ERR_INVAL);
    item = (tt_labels_item_t){GTIN, NULL, NULL, NULL, "two\nlines", TT_LABELS_GS1_128};
    assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_ERR_INVAL);
    item = (tt_labels_item_t){GTIN, NULL, NULL, NULL, "bad \xff utf-8", TT_LABELS_GS1_128};
    assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_ERR_INVAL);
    item = (tt_labels_item_t){GTIN, "0123456789012345678901234567890123456789", NULL, NULL,
                              NULL, TT_LABELS_GS1_128};
    assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_ERR_PARSE);
    assert_non_null(strstr(reason, "(10)"));
    assert_int_equal(tt_labels_item(NULL, &l, NULL, 0), TT_ERR_INVAL);
}

static void test_asset(void **state)
{
    char reason[TT_LABELS_REASON_MAX], want[TT_GS1_REASON_MAX];
    tt_gs1_result_t r;
    tt_labels_label_t l;
    (void)state;

    assert_int_equal(tt_labels_asset("0614141ABC123", "液压泵", TT_LABELS_GS1_128, &l, reason,
                                     sizeof reason), TT_OK);
    assert_string_equal(l.data, "[8004]0614141ABC123");
    assert_string_equal(l.hri, "(8004)0614141ABC123");
    assert_string_equal(l.zh, "设备");
    assert_string_equal(l.id, "0614141ABC123");
    assert_string_equal(l.en, "ASSET");
    assert_string_equal(l.name, "液压泵");
    assert_int_equal(tt_labels_asset("0614141ABC123", NULL, TT_LABELS_GS1_DATAMATRIX, &l, reason,
                                     sizeof reason), TT_OK);
    /* A GIAI starts with a company prefix of at least 4 digits. */
    assert_int_equal(tt_gs1_decode_bracketed("(8004)12AB", 0, &r, want, sizeof want), TT_ERR_PARSE);
    assert_int_equal(tt_labels_asset("12AB", NULL, TT_LABELS_GS1_128, &l, reason, sizeof reason),
                     TT_ERR_PARSE);
    assert_string_equal(reason, want);
    assert_int_equal(tt_labels_asset("", NULL, TT_LABELS_GS1_128, &l, reason, sizeof reason),
                     TT_ERR_INVAL);
    assert_int_equal(tt_labels_asset("0614141ABC123", NULL, TT_LABELS_CODE128, &l, reason,
                                     sizeof reason), TT_ERR_INVAL);
}

/* ---- SVG ---- */

static void test_svg_sheet(void **state)
{
    tt_labels_label_t cards[TT_LABELS_FIXED_CARDS + 1];
    char decoded[TT_LABELS_FIXED_CARDS + 1][TT_LABELS_DATA_MAX + 8], *svg;
    size_t n = TT_LABELS_FIXED_CARDS + 1, len, got;
    (void)state;

    tt_labels_fixed_cards(cards);
    assert_int_equal(tt_labels_id_card(TT_LABELS_WAREHOUSE, "CK01", &cards[n - 1], NULL, 0),
                     TT_OK);
    assert_int_equal(tt_labels_svg(cards, n, &svg, &len, NULL, 0), TT_OK);
    assert_int_equal(strlen(svg), len);
    assert_int_equal(strncmp(svg, "<svg", 4), 0);
    assert_non_null(strstr(svg, "</svg>\n"));
    assert_xml_balanced(svg);
    /* 27 cards: two A4 pages of 3 x 7. */
    assert_non_null(strstr(svg, "width=\"210mm\" height=\"594mm\" viewBox=\"0 0 210 594\""));
    assert_int_equal(count_of(svg, "<rect class=\"cut\""), n);
    assert_int_equal(count_of(svg, "<text class=\"t\""), n);
    assert_non_null(strstr(svg, ">提交 COMMIT</text>"));
    assert_non_null(strstr(svg, ">入库 RECEIVE</text>"));
    assert_non_null(strstr(svg, ">仓库 CK01 WAREHOUSE</text>"));
    assert_non_null(strstr(svg, ">TT:WH:CK01</text>"));
    assert_non_null(strstr(svg, "Noto Sans CJK SC"));
    /* The bars read back as the cards, in order. */
    svg_decode_all(svg, decoded, n, &got);
    assert_int_equal(got, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(decoded[i], cards[i].data);
    free(svg);
}

static void test_svg_single(void **state)
{
    char reason[TT_LABELS_REASON_MAX], element[TT_GS1_TEXT_MAX], want[TT_GS1_TEXT_MAX + 4];
    char decoded[1][TT_LABELS_DATA_MAX + 8], *svg;
    tt_labels_item_t item = {GTIN, "ABC123", "261231", "5", "<A&B> \"锚杆\"", TT_LABELS_GS1_128};
    tt_labels_label_t l;
    size_t len, got;
    (void)state;

    assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_OK);
    assert_int_equal(tt_labels_svg(&l, 1, &svg, &len, reason, sizeof reason), TT_OK);
    assert_int_equal(strncmp(svg, "<svg", 4), 0);
    assert_xml_balanced(svg);
    assert_null(strstr(svg, "class=\"cut\""));   /* a label alone has no cut lines */
    /* The caption is escaped, never raw. */
    assert_non_null(strstr(svg, ">&lt;A&amp;B&gt; &quot;锚杆&quot;</text>"));
    assert_null(strstr(svg, "<A&B>"));
    assert_non_null(strstr(svg, ">物资 " GTIN " ITEM</text>"));
    assert_non_null(strstr(svg, ">(01)" GTIN "(17)261231(10)ABC123(30)5</text>"));
    assert_true(count_of(svg, "<rect ") > 20);
    /* GS1-128: FNC1 after the start, and a GS after the batch. */
    svg_decode_all(svg, decoded, 1, &got);
    assert_int_equal(got, 1);
    element_of(&l, element, sizeof element);
    snprintf(want, sizeof want, "]C1%s", element);
    assert_string_equal(decoded[0], want);
    free(svg);

    /* Matrix symbols draw module squares. */
    assert_int_equal(tt_labels_asset("0614141ABC123", NULL, TT_LABELS_GS1_DATAMATRIX, &l, NULL, 0),
                     TT_OK);
    assert_int_equal(tt_labels_svg(&l, 1, &svg, &len, NULL, 0), TT_OK);
    assert_xml_balanced(svg);
    assert_non_null(strstr(svg, ">设备 0614141ABC123 ASSET</text>"));
    assert_true(count_of(svg, "<rect ") > 20);
    free(svg);

    assert_int_equal(tt_labels_svg(&l, 0, &svg, &len, reason, sizeof reason), TT_ERR_INVAL);
    assert_int_equal(tt_labels_svg(NULL, 1, &svg, &len, NULL, 0), TT_ERR_INVAL);
}

/* ---- ZPL ---- */

static void test_zpl_cards(void **state)
{
    tt_labels_label_t cards[TT_LABELS_FIXED_CARDS + 1];
    size_t n = TT_LABELS_FIXED_CARDS + 1, len;
    char *zpl, field[256], read[256];
    const char *block;
    (void)state;

    tt_labels_fixed_cards(cards);
    assert_int_equal(tt_labels_id_card(TT_LABELS_OPERATOR, "zhang3", &cards[n - 1], NULL, 0),
                     TT_OK);
    assert_int_equal(tt_labels_zpl(cards, n, NULL, &zpl, &len, NULL, 0), TT_OK);
    assert_int_equal(strlen(zpl), len);
    assert_int_equal(count_of(zpl, "^XA\n"), n);
    assert_int_equal(count_of(zpl, "^XZ\n"), n);
    assert_int_equal(count_of(zpl, "^CI28\n"), n);
    assert_int_equal(count_of(zpl, "^BCN,"), n);
    assert_int_equal(strncmp(zpl, "^XA\n^CI28\n", 10), 0);
    /* Every block's ^BC data reads back as its card. */
    block = zpl;
    for (size_t i = 0; i < n; i++) {
        zpl_field_after(block, "^BC", field, sizeof field);
        zpl_bc_read(field, read, sizeof read);
        assert_string_equal(read, cards[i].data);
        block = strstr(block, "^XZ") + 3;
    }
    assert_non_null(strstr(zpl, "^FD>:TT:COMMIT^FS"));
    assert_non_null(strstr(zpl, "^FD>:TT:OP:zhang3^FS"));
    /* No CJK font: the built-in font and the English words only. */
    assert_non_null(strstr(zpl, "^A0N,32,32^FB432,1,0,C,0^FH^FDCOMMIT^FS"));
    assert_non_null(strstr(zpl, "^FH^FDzhang3 OPERATOR^FS"));
    assert_null(strstr(zpl, "提交"));
    free(zpl);

    /* With the printer's CJK font, the whole caption, through ^A@. */
    assert_int_equal(tt_labels_zpl(cards, n, "E:SIMSUN.TTF", &zpl, &len, NULL, 0), TT_OK);
    assert_non_null(strstr(zpl, "^A@N,32,32,E:SIMSUN.TTF^FB432,1,0,C,0^FH^FD提交 COMMIT^FS"));
    assert_non_null(strstr(zpl, "^FD操作员 zhang3 OPERATOR^FS"));
    free(zpl);
    assert_int_equal(tt_labels_zpl(cards, n, "E:X^Y.TTF", &zpl, &len, NULL, 0), TT_ERR_INVAL);
    /* Four digits or more go to Code C. */
    assert_int_equal(tt_labels_id_card(TT_LABELS_WAREHOUSE, "W12345", &cards[0], NULL, 0), TT_OK);
    assert_int_equal(tt_labels_zpl(cards, 1, NULL, &zpl, &len, NULL, 0), TT_OK);
    assert_non_null(strstr(zpl, "^FD>:TT:WH:W1>52345^FS"));
    free(zpl);
    assert_int_equal(tt_labels_zpl(cards, n, "E:X,Y.TTF", &zpl, &len, NULL, 0), TT_ERR_INVAL);
}

static void test_zpl_gs1(void **state)
{
    char reason[TT_LABELS_REASON_MAX], element[TT_GS1_TEXT_MAX], want[TT_GS1_TEXT_MAX + 4];
    char field[256], read[256], *zpl;
    tt_labels_item_t item = {GTIN, "ABC123", "261231", "5", "a_b^c~d", TT_LABELS_GS1_128};
    tt_labels_label_t l;
    size_t len;
    (void)state;

    assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_OK);
    assert_int_equal(tt_labels_zpl(&l, 1, NULL, &zpl, &len, reason, sizeof reason), TT_OK);
    assert_int_equal(count_of(zpl, "^XA"), 1);
    assert_non_null(strstr(zpl, "^CI28"));
    assert_non_null(strstr(zpl, "^XZ\n"));
    /* Code C for the digits, FNC1 first and after the batch, B for letters. */
    zpl_field_after(zpl, "^BC", field, sizeof field);
    assert_string_equal(field, ">;>801" GTIN "1726123110>6ABC123>8305");
    zpl_bc_read(field, read, sizeof read);
    element_of(&l, element, sizeof element);
    snprintf(want, sizeof want, "]C1%s", element);
    assert_string_equal(read, want);
    assert_non_null(strstr(zpl, "^FD(01)" GTIN "(17)261231(10)ABC123(30)5^FS"));
    /* '_' '^' '~' in text go through ^FH as hex. */
    assert_non_null(strstr(zpl, "^FH^FDa_5Fb_5Ec_7Ed^FS"));
    free(zpl);

    /* '>' in a batch is >0 in ^BC; an odd digit run switches after one. */
    item = (tt_labels_item_t){GTIN, "A>B12345", NULL, NULL, NULL, TT_LABELS_GS1_128};
    assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_OK);
    assert_int_equal(tt_labels_zpl(&l, 1, NULL, &zpl, &len, reason, sizeof reason), TT_OK);
    zpl_field_after(zpl, "^BC", field, sizeof field);
    assert_string_equal(field, ">;>801" GTIN "10>6A>0B1>52345");
    zpl_bc_read(field, read, sizeof read);
    element_of(&l, element, sizeof element);
    snprintf(want, sizeof want, "]C1%s", element);
    assert_string_equal(read, want);
    free(zpl);

    /* Data Matrix: ^BX with '_' as the escape, FNC1 as _1, '_' doubled. */
    item = (tt_labels_item_t){GTIN, "AB_1", NULL, "5", NULL, TT_LABELS_GS1_DATAMATRIX};
    assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_OK);
    assert_int_equal(tt_labels_zpl(&l, 1, NULL, &zpl, &len, reason, sizeof reason), TT_OK);
    assert_non_null(strstr(zpl, "^BXN,6,200,,,,_^FD_101" GTIN "10AB__1_1305^FS"));
    assert_null(strstr(zpl, "^BC"));
    free(zpl);

    /* Assets: (8004) in Code C as far as the digits go. */
    assert_int_equal(tt_labels_asset("0614141ABC123", NULL, TT_LABELS_GS1_128, &l, NULL, 0), TT_OK);
    assert_int_equal(tt_labels_zpl(&l, 1, NULL, &zpl, &len, reason, sizeof reason), TT_OK);
    zpl_field_after(zpl, "^BC", field, sizeof field);
    assert_string_equal(field, ">;>88004061414>61ABC123");
    assert_non_null(strstr(zpl, "^FD0614141ABC123 ASSET^FS"));
    free(zpl);

    /* GS1 QR: refused in ZPL, with the reason. */
    item.symbology = TT_LABELS_GS1_QR;
    assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_OK);
    zpl = (char *)"untouched";
    assert_int_equal(tt_labels_zpl(&l, 1, NULL, &zpl, &len, reason, sizeof reason), TT_ERR_INVAL);
    assert_null(zpl);
    assert_non_null(strstr(reason, "QR"));
}

/* ---- PNG, read back with zbarimg ---- */

/* Scans `path` with zbarimg and returns what it read, without the newline. */
static void zbar(const char *path, char *out, size_t len)
{
    char cmd[600];
    FILE *p;
    size_t n;

    snprintf(cmd, sizeof cmd, "zbarimg --raw -q '%s' 2>/dev/null", path);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    if (pclose(p) != 0)
        fail_msg("zbarimg could not read %s (is zbar-tools installed? scripts/setup installs it)",
                 path);
    out[strcspn(out, "\n")] = '\0';
}

static void test_png(void **state)
{
    char dir[] = "/tmp/test_labels.XXXXXX", path[300], got[256], reason[TT_LABELS_REASON_MAX];
    char element[TT_GS1_TEXT_MAX];
    tt_labels_label_t cards[TT_LABELS_FIXED_CARDS], l;
    tt_labels_item_t item = {GTIN, "ABC123", "261231", "5", NULL, TT_LABELS_GS1_128};
    (void)state;

    assert_non_null(mkdtemp(dir));
    tt_labels_fixed_cards(cards);
    for (size_t i = 0; i < TT_LABELS_FIXED_CARDS; i += 5) {   /* a spread of cards */
        snprintf(path, sizeof path, "%s/card.png", dir);
        assert_int_equal(tt_labels_png(&cards[i], path, reason, sizeof reason), TT_OK);
        zbar(path, got, sizeof got);
        assert_string_equal(got, cards[i].data);
        unlink(path);
    }
    assert_int_equal(tt_labels_id_card(TT_LABELS_WAREHOUSE, "CK01", &l, NULL, 0), TT_OK);
    snprintf(path, sizeof path, "%s/wh.PNG", dir);
    assert_int_equal(tt_labels_png(&l, path, reason, sizeof reason), TT_OK);
    zbar(path, got, sizeof got);
    assert_string_equal(got, "TT:WH:CK01");
    unlink(path);

    /* GS1-128 and GS1 QR read as the element string (GS after the batch). */
    for (int k = 0; k < 2; k++) {
        item.symbology = k == 0 ? TT_LABELS_GS1_128 : TT_LABELS_GS1_QR;
        assert_int_equal(tt_labels_item(&item, &l, reason, sizeof reason), TT_OK);
        snprintf(path, sizeof path, "%s/item.png", dir);
        assert_int_equal(tt_labels_png(&l, path, reason, sizeof reason), TT_OK);
        zbar(path, got, sizeof got);
        element_of(&l, element, sizeof element);
        assert_string_equal(got, element);
        unlink(path);
    }

    snprintf(path, sizeof path, "%s/card.svg", dir);
    assert_int_equal(tt_labels_png(&cards[0], path, reason, sizeof reason), TT_ERR_INVAL);
    snprintf(path, sizeof path, "%s/no/such/dir/card.png", dir);
    assert_int_equal(tt_labels_png(&cards[0], path, reason, sizeof reason), TT_ERR_IO);
    assert_non_null(strstr(reason, path));
    assert_int_equal(rmdir(dir), 0);
}

/* ---- helpers ---- */

static void test_numbered_path(void **state)
{
    char buf[64];
    (void)state;

    assert_int_equal(tt_labels_numbered_path("cards.png", 0, 1, buf, sizeof buf), TT_OK);
    assert_string_equal(buf, "cards.png");
    assert_int_equal(tt_labels_numbered_path("cards.png", 0, 27, buf, sizeof buf), TT_OK);
    assert_string_equal(buf, "cards-01.png");
    assert_int_equal(tt_labels_numbered_path("out/cards.png", 26, 27, buf, sizeof buf), TT_OK);
    assert_string_equal(buf, "out/cards-27.png");
    assert_int_equal(tt_labels_numbered_path("v1.2/cards", 1, 3, buf, sizeof buf), TT_OK);
    assert_string_equal(buf, "v1.2/cards-02");
    assert_int_equal(tt_labels_numbered_path("d/.png", 0, 2, buf, sizeof buf), TT_OK);
    assert_string_equal(buf, "d/.png-01");
    assert_int_equal(tt_labels_numbered_path("cards.png", 2, 2, buf, sizeof buf), TT_ERR_INVAL);
    assert_int_equal(tt_labels_numbered_path("cards.png", 0, 2, buf, 8), TT_ERR_FULL);
    assert_string_equal(buf, "");
    assert_int_equal(tt_labels_numbered_path("cards.png", 0, 1, buf, 9), TT_ERR_FULL);
}

static void test_parse(void **state)
{
    tt_labels_format_t f;
    tt_labels_symbology_t s;
    (void)state;

    assert_int_equal(tt_labels_format_parse("svg", &f), TT_OK);
    assert_int_equal(f, TT_LABELS_SVG);
    assert_int_equal(tt_labels_format_parse("png", &f), TT_OK);
    assert_int_equal(f, TT_LABELS_PNG);
    assert_int_equal(tt_labels_format_parse("zpl", &f), TT_OK);
    assert_int_equal(f, TT_LABELS_ZPL);
    assert_int_equal(tt_labels_format_parse("SVG", &f), TT_ERR_INVAL);
    assert_int_equal(tt_labels_format_parse(NULL, &f), TT_ERR_INVAL);
    assert_int_equal(tt_labels_symbology_parse("gs1-128", &s), TT_OK);
    assert_int_equal(s, TT_LABELS_GS1_128);
    assert_int_equal(tt_labels_symbology_parse("datamatrix", &s), TT_OK);
    assert_int_equal(s, TT_LABELS_GS1_DATAMATRIX);
    assert_int_equal(tt_labels_symbology_parse("qr", &s), TT_OK);
    assert_int_equal(s, TT_LABELS_GS1_QR);
    assert_int_equal(tt_labels_symbology_parse("code128", &s), TT_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_cards),   cmocka_unit_test(test_id_cards),
        cmocka_unit_test(test_cards_match_counter),
        cmocka_unit_test(test_item),          cmocka_unit_test(test_item_refused),
        cmocka_unit_test(test_asset),         cmocka_unit_test(test_svg_sheet),
        cmocka_unit_test(test_svg_single),    cmocka_unit_test(test_zpl_cards),
        cmocka_unit_test(test_zpl_gs1),       cmocka_unit_test(test_png),
        cmocka_unit_test(test_numbered_path), cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
