#include "counter.h"

#include "gs1.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tt_counter {
    tt_counter_view_t v;
    tt_counter_lang_t lang;
    int commit_waiting;
};

/* Every message a person may see, in Chinese and English. */
enum {
    M_LOGIN, M_LOGOUT, M_NEED_LOGIN, M_MODE_RECEIVE, M_MODE_ISSUE, M_NEED_MODE, M_WAREHOUSE,
    M_NEED_WAREHOUSE, M_UNIT, M_NEED_UNIT, M_NEED_REF_RECEIVE, M_NEED_REF_ISSUE, M_REF, M_QTY,
    M_BAD_QTY, M_LINE, M_FULL, M_BAD_CODE, M_UNKNOWN_CARD, M_UNDO, M_NOTHING_TO_UNDO, M_CANCEL,
    M_EMPTY_DOC, M_COMMITTING, M_COMMITTED, M_NOT_STORED, M_BAD_REF, M_DOC_OPEN, M_UNIT_ISSUE_ONLY,
    M_DISK_FULL, M_STORE_ERROR, M_BAD_GS1, M_NO_ITEM_KEY, M_COUNT
};

static const char *const text[M_COUNT][2] = {
    [M_LOGIN] = {"操作员 %s 已登录", "operator %s logged in"},
    [M_LOGOUT] = {"已退出登录", "logged out"},
    [M_NEED_LOGIN] = {"请先刷工牌登录", "scan your badge first"},
    [M_MODE_RECEIVE] = {"入库：请输入计划序号", "receive: enter the plan serial number"},
    [M_MODE_ISSUE] = {"出库：请扫工区卡并输入领料单号", "issue: scan the work area card and enter the requisition number"},
    [M_NEED_MODE] = {"请先扫操作卡选择业务", "scan an operation card first"},
    [M_WAREHOUSE] = {"仓库 %s", "warehouse %s"},
    [M_NEED_WAREHOUSE] = {"请先扫仓库卡", "scan the warehouse card first"},
    [M_UNIT] = {"领用单位 %s", "work area %s"},
    [M_NEED_UNIT] = {"请先扫工区卡", "scan the work area card first"},
    [M_NEED_REF_RECEIVE] = {"请先输入计划序号", "enter the plan serial number first"},
    [M_NEED_REF_ISSUE] = {"请先输入领料单号", "enter the requisition number first"},
    [M_REF] = {"单号 %s", "reference %s"},
    [M_QTY] = {"下一件数量 %s", "next quantity %s"},
    [M_BAD_QTY] = {"数量无效：%s", "invalid quantity: %s"},
    [M_LINE] = {"第 %zu 行：%s × %s", "line %zu: %s x %s"},
    [M_FULL] = {"单据已满 %d 行，请提交", "document is full (%d lines): commit it"},
    [M_BAD_CODE] = {"无法识别的条码：%s", "unrecognised barcode: %s"},
    [M_UNKNOWN_CARD] = {"未知操作卡：%s", "unknown operation card: %s"},
    [M_UNDO] = {"已撤销最后一行", "last line undone"},
    [M_NOTHING_TO_UNDO] = {"没有可撤销的行", "no line to undo"},
    [M_CANCEL] = {"单据已取消", "document cancelled"},
    [M_EMPTY_DOC] = {"单据为空，无法提交", "the document is empty"},
    [M_COMMITTING] = {"正在提交 %zu 行", "committing %zu lines"},
    [M_COMMITTED] = {"已提交 %zu 行，单据 #%llu", "committed %zu lines, document #%llu"},
    [M_NOT_STORED] = {"未能保存，单据保留：%s", "NOT stored, the document is kept: %s"},
    [M_BAD_REF] = {"单号无效：%s", "invalid reference: %s"},
    [M_DOC_OPEN] = {"请先提交或取消当前单据", "commit or cancel the open document first"},
    [M_UNIT_ISSUE_ONLY] = {"工区卡仅用于出库", "work area cards are for issues only"},
    [M_DISK_FULL] = {"存储空间已满", "storage is full"},
    [M_STORE_ERROR] = {"存储故障", "storage failure"},
    [M_BAD_GS1] = {"GS1 条码无效：%s", "invalid GS1 barcode: %s"},
    [M_NO_ITEM_KEY] = {"条码中没有物资编码 (01)", "no item number (01) in this barcode"},
};

static tt_counter_beep_t say(tt_counter_t *c, int error, int msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    vsnprintf(c->v.message, sizeof c->v.message, text[msg][c->lang], ap);
    va_end(ap);
    c->v.message_is_error = error;
    return error ? TT_COUNTER_BEEP_ERROR : TT_COUNTER_BEEP_OK;
}

tt_err_t tt_counter_new(const char *warehouse, tt_counter_lang_t lang, tt_counter_t **out)
{
    tt_counter_t *c;
    *out = NULL;
    if ((warehouse[0] && !tt_event_id_valid(warehouse)) ||
        (lang != TT_COUNTER_LANG_ZH && lang != TT_COUNTER_LANG_EN))
        return TT_ERR_INVAL;
    c = calloc(1, sizeof *c);
    if (!c)
        return TT_ERR_NOMEM;
    memcpy(c->v.warehouse, warehouse, strlen(warehouse) + 1);
    c->lang = lang;
    *out = c;
    return TT_OK;
}

void tt_counter_free(tt_counter_t *c)
{
    free(c);
}

const tt_counter_view_t *tt_counter_view(const tt_counter_t *c)
{
    return &c->v;
}

static void clear_document(tt_counter_t *c)
{
    c->v.nlines = 0;
    c->v.ref[0] = '\0';
    c->v.unit[0] = '\0';
    c->v.next_qty = 0;
    c->commit_waiting = 0;
}

/* Copies the id after a card prefix; 0 when it is not a valid id. */
static int card_id(const char *arg, char *dst)
{
    if (!tt_event_id_valid(arg))
        return 0;
    memcpy(dst, arg, strlen(arg) + 1);
    return 1;
}

static tt_counter_beep_t card(tt_counter_t *c, const char *code)
{
    const char *arg = code + 3;   /* after "TT:" */

    if (strncmp(arg, "OP:", 3) == 0) {
        /* A document belongs to one operator: no hand-over mid-document. */
        if (c->v.nlines)
            return say(c, 1, M_DOC_OPEN);
        if (!card_id(arg + 3, c->v.operator_id))
            return say(c, 1, M_UNKNOWN_CARD, code);
        return say(c, 0, M_LOGIN, c->v.operator_id);
    }
    if (strcmp(arg, "LOGOUT") == 0) {
        c->v.operator_id[0] = '\0';
        clear_document(c);
        c->v.mode = TT_COUNTER_MODE_NONE;
        return say(c, 0, M_LOGOUT);
    }
    if (!c->v.operator_id[0])
        return say(c, 1, M_NEED_LOGIN);
    if (strcmp(arg, "MODE:receive") == 0 || strcmp(arg, "MODE:issue") == 0) {
        /* A new mode starts a new document; lines of another mode never mix. */
        clear_document(c);
        c->v.mode = arg[5] == 'r' ? TT_COUNTER_MODE_RECEIVE : TT_COUNTER_MODE_ISSUE;
        return say(c, 0, c->v.mode == TT_COUNTER_MODE_RECEIVE ? M_MODE_RECEIVE : M_MODE_ISSUE);
    }
    if (strncmp(arg, "WH:", 3) == 0) {
        if (c->v.nlines)
            return say(c, 1, M_DOC_OPEN);
        if (!card_id(arg + 3, c->v.warehouse))
            return say(c, 1, M_UNKNOWN_CARD, code);
        return say(c, 0, M_WAREHOUSE, c->v.warehouse);
    }
    if (strncmp(arg, "UNIT:", 5) == 0) {
        if (c->v.mode != TT_COUNTER_MODE_ISSUE)
            return say(c, 1, M_UNIT_ISSUE_ONLY);
        if (c->v.nlines)
            return say(c, 1, M_DOC_OPEN);
        if (!card_id(arg + 5, c->v.unit))
            return say(c, 1, M_UNKNOWN_CARD, code);
        return say(c, 0, M_UNIT, c->v.unit);
    }
    if (strcmp(arg, "UNDO") == 0) {
        if (c->v.nlines == 0)
            return say(c, 1, M_NOTHING_TO_UNDO);
        c->v.nlines--;
        c->commit_waiting = 0;
        return say(c, 0, M_UNDO);
    }
    if (strcmp(arg, "CANCEL") == 0) {
        clear_document(c);
        return say(c, 0, M_CANCEL);
    }
    if (strcmp(arg, "COMMIT") == 0) {
        if (c->v.nlines == 0)
            return say(c, 1, M_EMPTY_DOC);
        c->commit_waiting = 1;
        return say(c, 0, M_COMMITTING, c->v.nlines);
    }
    return say(c, 1, M_UNKNOWN_CARD, code);
}

/* What must be chosen before an item line can be added, or -1. */
static int missing(const tt_counter_t *c)
{
    if (!c->v.operator_id[0])
        return M_NEED_LOGIN;
    if (c->v.mode == TT_COUNTER_MODE_NONE)
        return M_NEED_MODE;
    if (!c->v.warehouse[0])
        return M_NEED_WAREHOUSE;
    if (c->v.mode == TT_COUNTER_MODE_ISSUE && !c->v.unit[0])
        return M_NEED_UNIT;
    if (!c->v.ref[0])
        return c->v.mode == TT_COUNTER_MODE_RECEIVE ? M_NEED_REF_RECEIVE : M_NEED_REF_ISSUE;
    return -1;
}

/* Data in GS1 syntax: brackets, a symbology identifier, a Digital Link URI
 * or an FNC1.  Plain codes (an EAN-13 read without its identifier, an
 * internal Code 128 label) are taken as they are. */
static int gs1_syntax(const char *code)
{
    return code[0] == '(' || code[0] == ']' || strncmp(code, "http://", 7) == 0 ||
           strncmp(code, "https://", 8) == 0 || strchr(code, '\x1d') != NULL;
}

/* The item number in a decoded scan: its GTIN, written as 13 digits when it
 * is an EAN-13 padded to 14 (the way the label prints it), and the count
 * (30)/(37) when there is one.  Returns 0 when there is no GTIN. */
static int gs1_item(const tt_gs1_result_t *r, char *item, tt_qty_t *qty)
{
    const char *gtin = tt_gs1_find(r, "01");
    uint32_t count;

    if (!gtin)
        gtin = tt_gs1_find(r, "02");
    if (!gtin)
        return 0;
    if (gtin[0] == '0')
        gtin++;
    memcpy(item, gtin, strlen(gtin) + 1);
    if (tt_gs1_quantity(r, "30", &count) == TT_OK || tt_gs1_quantity(r, "37", &count) == TT_OK)
        *qty = (tt_qty_t)count * TT_QTY_SCALE;
    return 1;
}

tt_counter_beep_t tt_counter_scan(tt_counter_t *c, const char *code)
{
    tt_counter_line_t *l;
    char q[TT_MONEY_TEXT_MAX], item[TT_EVENT_CODE_MAX + 1];
    tt_qty_t qty = 0;
    int need;

    if (strncmp(code, "TT:", 3) == 0)
        return card(c, code);
    need = missing(c);
    if (need >= 0)
        return say(c, 1, need);
    if (gs1_syntax(code)) {
        tt_gs1_result_t r;
        char reason[TT_GS1_REASON_MAX];
        tt_err_t rc = tt_gs1_decode(code, 0, &r, reason, sizeof reason);
        if (rc == TT_OK) {
            if (!gs1_item(&r, item, &qty))
                return say(c, 1, M_NO_ITEM_KEY);
        } else if (rc == TT_ERR_NOTFOUND && tt_event_code_valid(code + (code[0] == ']' ? 3 : 0))) {
            /* A non-GS1 symbology: the code after its identifier. */
            snprintf(item, sizeof item, "%s", code + (code[0] == ']' ? 3 : 0));
        } else {
            return say(c, 1, M_BAD_GS1, reason);
        }
    } else {
        if (!tt_event_code_valid(code))
            return say(c, 1, M_BAD_CODE, code);
        memcpy(item, code, strlen(code) + 1);
    }
    if (c->v.nlines == TT_COUNTER_LINES_MAX)
        return say(c, 1, M_FULL, TT_COUNTER_LINES_MAX);
    if (qty == 0 && c->v.next_qty > 0)
        qty = c->v.next_qty;
    l = &c->v.lines[c->v.nlines++];
    memcpy(l->item, item, strlen(item) + 1);
    l->qty = qty > 0 ? qty : TT_QTY_SCALE;
    c->v.next_qty = 0;
    c->commit_waiting = 0;
    tt_qty_format(l->qty, q, sizeof q);
    return say(c, 0, M_LINE, c->v.nlines, l->item, q);
}

tt_counter_beep_t tt_counter_keypad(tt_counter_t *c, const char *entry)
{
    tt_qty_t q;

    if (!c->v.operator_id[0])
        return say(c, 1, M_NEED_LOGIN);
    if (c->v.mode == TT_COUNTER_MODE_NONE)
        return say(c, 1, M_NEED_MODE);
    /* The first entry of a document is its reference, whatever cards are
     * still to come; quantities follow. */
    if (!c->v.ref[0]) {
        if (!tt_event_id_valid(entry))
            return say(c, 1, M_BAD_REF, entry);
        memcpy(c->v.ref, entry, strlen(entry) + 1);
        return say(c, 0, M_REF, c->v.ref);
    }
    if (tt_qty_parse(entry, &q) != TT_OK || q <= 0)
        return say(c, 1, M_BAD_QTY, entry);
    c->v.next_qty = q;
    return say(c, 0, M_QTY, entry);
}

tt_err_t tt_counter_pending(const tt_counter_t *c, int64_t ts_ms, tt_event_t *evs, size_t *n)
{
    if (!c->commit_waiting)
        return TT_ERR_NOTFOUND;
    for (size_t i = 0; i < c->v.nlines; i++) {
        tt_event_t *ev = &evs[i];
        tt_event_stock_t *b = &ev->body.stock;
        memset(ev, 0, sizeof *ev);
        ev->type = c->v.mode == TT_COUNTER_MODE_RECEIVE ? TT_EVENT_RECEIVE : TT_EVENT_ISSUE;
        ev->ts_ms = ts_ms;
        memcpy(ev->operator_id, c->v.operator_id, sizeof ev->operator_id);
        memcpy(b->warehouse, c->v.warehouse, sizeof b->warehouse);
        memcpy(b->item, c->v.lines[i].item, sizeof b->item);
        memcpy(b->ref, c->v.ref, sizeof b->ref);
        memcpy(b->unit, c->v.unit, sizeof b->unit);
        b->qty = c->v.lines[i].qty;
        b->line = (uint16_t)(i + 1);
        b->lines = (uint16_t)c->v.nlines;
    }
    *n = c->v.nlines;
    return TT_OK;
}

tt_counter_beep_t tt_counter_stored(tt_counter_t *c, tt_err_t result, uint64_t first_seq)
{
    size_t n = c->v.nlines;
    if (result != TT_OK) {
        c->commit_waiting = 0;
        return say(c, 1, M_NOT_STORED,
                   text[result == TT_ERR_FULL ? M_DISK_FULL : M_STORE_ERROR][c->lang]);
    }
    clear_document(c);
    return say(c, 0, M_COMMITTED, n, (unsigned long long)first_seq);
}
