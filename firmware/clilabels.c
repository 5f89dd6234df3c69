/*
 * clilabels: `tagtrail labels` (see clilabels.h).
 */
#include "clilabels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labels.h"

static const tt_cli_text_t T_BAD = {"无法生成标签：%s", "cannot make the label: %s"};
static const tt_cli_text_t T_FORMAT = {"--format 必须是 svg、png 或 zpl，不是 '%s'",
                                       "--format must be svg, png or zpl, not '%s'"};
static const tt_cli_text_t T_SYMBOLOGY = {
    "--symbology 必须是 gs1-128、datamatrix 或 qr，不是 '%s'",
    "--symbology must be gs1-128, datamatrix or qr, not '%s'"};
static const tt_cli_text_t T_PNG_OUT = {"PNG 格式需要 --out 文件名", "PNG needs --out FILE"};

int tt_clilabels_run(const tt_cli_t *c)
{
    enum { K_CARDS = 1, K_ITEM = 2, K_ASSET = 4 };
    enum { O_GTIN = 5, O_BATCH, O_EXPIRY, O_COUNT, O_GIAI, O_NAME, O_SYM, O_FORMAT, O_OUT,
           O_FONT, O_N };
    static const struct {
        const char *name;
        int kinds, id_kind;   /* id_kind: tt_labels_id_kind_t of a card option, else -1 */
    } opts[O_N] = {
        {"--operator", K_CARDS, TT_LABELS_OPERATOR}, {"--warehouse", K_CARDS, TT_LABELS_WAREHOUSE},
        {"--to", K_CARDS, TT_LABELS_TO}, {"--unit", K_CARDS, TT_LABELS_UNIT},
        {"--tounit", K_CARDS, TT_LABELS_TOUNIT}, [O_GTIN] = {"--gtin", K_ITEM, -1},
        [O_BATCH] = {"--batch", K_ITEM, -1}, [O_EXPIRY] = {"--expiry", K_ITEM, -1},
        [O_COUNT] = {"--count", K_ITEM, -1}, [O_GIAI] = {"--giai", K_ASSET, -1},
        [O_NAME] = {"--name", K_ITEM | K_ASSET, -1},
        [O_SYM] = {"--symbology", K_ITEM | K_ASSET, -1}, [O_FORMAT] = {"--format", 7, -1},
        [O_OUT] = {"--out", 7, -1}, [O_FONT] = {"--font", 7, -1},
    };
    const char *val[O_N] = {NULL}, *kind = c->nrest > 0 ? c->rest[0] : "";
    int k = !strcmp(kind, "cards") ? K_CARDS : !strcmp(kind, "item") ? K_ITEM
          : !strcmp(kind, "asset") ? K_ASSET : 0, rc = TT_CLI_OK;
    tt_labels_format_t fmt = TT_LABELS_SVG;
    tt_labels_symbology_t sym = TT_LABELS_GS1_128;
    tt_labels_label_t *labels;
    char reason[TT_LABELS_REASON_MAX], path[4096], *text = NULL;
    size_t n = 0, len = 0;
    tt_err_t err = TT_OK;

    if (!strcmp(kind, "--help") || !strcmp(kind, "-h"))
        return tt_cli_help(c);
    if (!k)
        return tt_cli_usage(c);
    /* Room for the fixed cards and one card for every two words left. */
    labels = calloc(TT_LABELS_FIXED_CARDS + (size_t)c->nrest / 2 + 1, sizeof *labels);
    if (!labels)
        return tt_cli_nomem(c);
    if (k == K_CARDS) {
        tt_labels_fixed_cards(labels);
        n = TT_LABELS_FIXED_CARDS;
    }
    for (int i = 1; i < c->nrest && rc == TT_CLI_OK; i++) {
        const char *a = c->rest[i];
        int o = 0;
        while (o < O_N && strcmp(a, opts[o].name) != 0)
            o++;
        if (a[0] != '-')
            rc = tt_cli_usage(c);
        else if (o == O_N || !(opts[o].kinds & k))
            rc = tt_cli_bad_option(c, a);
        else if (i + 1 >= c->nrest)
            rc = tt_cli_needs_value(c, a);
        else if (opts[o].id_kind >= 0) {
            err = tt_labels_id_card((tt_labels_id_kind_t)opts[o].id_kind, c->rest[++i],
                                    &labels[n++], reason, sizeof reason);
        } else {
            val[o] = c->rest[++i];
        }
        if (rc == TT_CLI_OK && err != TT_OK) {
            tt_cli_say(c->lang, &T_BAD, reason);
            rc = TT_CLI_USAGE;
        }
    }
    if (rc == TT_CLI_OK && val[O_FORMAT] &&
        tt_labels_format_parse(val[O_FORMAT], &fmt) != TT_OK) {
        tt_cli_say(c->lang, &T_FORMAT, val[O_FORMAT]);
        rc = TT_CLI_USAGE;
    }
    if (rc == TT_CLI_OK && val[O_SYM] &&
        tt_labels_symbology_parse(val[O_SYM], &sym) != TT_OK) {
        tt_cli_say(c->lang, &T_SYMBOLOGY, val[O_SYM]);
        rc = TT_CLI_USAGE;
    }
    if (rc == TT_CLI_OK && fmt == TT_LABELS_PNG && !val[O_OUT]) {
        tt_cli_say(c->lang, &T_PNG_OUT);
        rc = TT_CLI_USAGE;
    }
    if (rc == TT_CLI_OK && k != K_CARDS) {
        tt_labels_item_t item = {val[O_GTIN], val[O_BATCH], val[O_EXPIRY], val[O_COUNT],
                                 val[O_NAME], sym};
        n = 1;
        err = k == K_ITEM ? tt_labels_item(&item, labels, reason, sizeof reason)
                          : tt_labels_asset(val[O_GIAI], val[O_NAME], sym, labels, reason,
                                            sizeof reason);
        if (err != TT_OK) {
            tt_cli_say(c->lang, &T_BAD, reason);
            rc = TT_CLI_USAGE;
        }
    }
    for (size_t i = 0; rc == TT_CLI_OK && fmt == TT_LABELS_PNG && i < n; i++) {
        if (tt_labels_numbered_path(val[O_OUT], i, n, path, sizeof path) != TT_OK)
            snprintf(reason, sizeof reason, "file name too long");
        else if ((err = tt_labels_png(&labels[i], path, reason, sizeof reason)) == TT_OK)
            continue;
        tt_cli_say(c->lang, &T_BAD, reason);
        rc = err == TT_ERR_IO ? TT_CLI_ANSWER : TT_CLI_USAGE;
    }
    for (size_t i = 0; rc == TT_CLI_OK && fmt == TT_LABELS_PNG && n > 1 && i < n; i++) {
        tt_labels_numbered_path(val[O_OUT], i, n, path, sizeof path);
        printf("%s\n", path);
    }
    if (rc == TT_CLI_OK && fmt != TT_LABELS_PNG) {
        err = fmt == TT_LABELS_SVG
                  ? tt_labels_svg(labels, n, &text, &len, reason, sizeof reason)
                  : tt_labels_zpl(labels, n, val[O_FONT], &text, &len, reason, sizeof reason);
        if (err != TT_OK) {
            if (err == TT_ERR_NOMEM)
                tt_cli_nomem(c);
            else
                tt_cli_say(c->lang, &T_BAD, reason);
            rc = err == TT_ERR_INVAL ? TT_CLI_USAGE : TT_CLI_ANSWER;
        } else if (val[O_OUT]) {
            FILE *f = fopen(val[O_OUT], "wb");
            int bad = !f || fwrite(text, 1, len, f) != len;
            if (f && fclose(f) != 0)
                bad = 1;
            if (bad)
                rc = tt_cli_write_failed(c, val[O_OUT]);
        } else {
            fwrite(text, 1, len, stdout);   /* main() checks stdout for errors */
        }
    }
    free(text);
    free(labels);
    return rc;
}
