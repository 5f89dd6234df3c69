#include "counter.h"

#include "epc.h"
#include "gs1.h"
#include "repairbay.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tt_counter {
    tt_counter_view_t v;
    tt_counter_lang_t lang;
    int commit_waiting;
    /* The held document's commit ended in doubt (TT_ERR_INDOUBT): every
     * input is refused until tt_counter_settled gives its fate, so nothing
     * is changed, cancelled or entered twice meanwhile. */
    int in_doubt;
    int has_lookup;
    tt_counter_lookup_t lk;
    tt_counter_stock_check_t stock_check;
    /* A receipt's approved plan line: its item, which every line must be
     * ("" when no plan serial was checked against master data). */
    char plan_item[TT_EVENT_CODE_MAX + 1];
};

/* Every message a person may see, in Chinese and English. */
enum {
    M_LOGIN, M_LOGOUT, M_NEED_LOGIN, M_MODE_RECEIVE, M_MODE_ISSUE, M_NEED_MODE, M_WAREHOUSE,
    M_NEED_WAREHOUSE, M_UNIT, M_NEED_UNIT, M_NEED_REF_RECEIVE, M_NEED_REF_ISSUE, M_REF, M_QTY,
    M_BAD_QTY, M_LINE, M_FULL, M_BAD_CODE, M_UNKNOWN_CARD, M_UNDO, M_NOTHING_TO_UNDO, M_CANCEL,
    M_EMPTY_DOC, M_COMMITTING, M_COMMITTED, M_NOT_STORED, M_BAD_REF, M_DOC_OPEN, M_UNIT_ISSUE_ONLY,
    M_DISK_FULL, M_STORE_ERROR, M_BAD_GS1, M_NO_ITEM_KEY, M_NO_MASTER, M_UNKNOWN_ITEM,
    M_INACTIVE_ITEM, M_UNKNOWN_OPERATOR, M_UNKNOWN_WAREHOUSE, M_UNKNOWN_UNIT, M_LOOKUP_FAILED,
    M_LINE_NAMED, M_ASSET_TAG, M_MODE_PROMPT, M_NEED_TO, M_NEED_ACTION, M_NEED_TO_UNIT,
    M_NEED_RESULT, M_TO, M_ACTION, M_TO_UNIT, M_RESULT, M_CARD_NOT_HERE, M_BAD_RESULT,
    M_ASSET_LINE, M_NOT_ASSET, M_SAME_WAREHOUSE, M_BEYOND_STOCK, M_BEYOND_STOCK_TAKEN,
    M_TO_UNIT_HANDOVER, M_INVALID_DOC, M_UNKNOWN_PLAN, M_PLAN_NOT_APPROVED, M_NOT_IN_PLAN, M_PLAN,
    M_UNKNOWN_ASSET, M_INACTIVE_ASSET, M_ASSET_LINE_NAMED, M_SEND_UNIT, M_ASSET_STATE,
    M_ASSET_WARN, M_IN_DOUBT, M_DOUBT_WAIT,
    M_SETTLED_STORED, M_SETTLED_NOT_STORED, M_COUNT
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
    [M_UNIT_ISSUE_ONLY] = {"此业务不用工区卡", "this mode takes no work area card"},
    [M_DISK_FULL] = {"存储空间已满", "storage is full"},
    [M_STORE_ERROR] = {"存储故障", "storage failure"},
    [M_BAD_GS1] = {"GS1 条码无效：%s", "invalid GS1 barcode: %s"},
    [M_NO_ITEM_KEY] = {"条码中没有物资编码 (01)", "no item number (01) in this barcode"},
    [M_NO_MASTER] = {"主数据尚未同步，请连接服务器", "no master data yet: connect to the server"},
    [M_UNKNOWN_ITEM] = {"未知条码：%s", "unknown barcode: %s"},
    [M_INACTIVE_ITEM] = {"物资已停用：%s %s", "item no longer in use: %s %s"},
    [M_UNKNOWN_OPERATOR] = {"未知或已停用的操作员：%s", "unknown or inactive operator: %s"},
    [M_UNKNOWN_WAREHOUSE] = {"未知仓库：%s", "unknown warehouse: %s"},
    [M_UNKNOWN_UNIT] = {"未知工区：%s", "unknown work area: %s"},
    [M_LOOKUP_FAILED] = {"主数据读取失败", "master data could not be read"},
    [M_ASSET_TAG] = {"这是设备标签 %s，不是物资", "this is an asset tag (%s), not an item"},
    [M_MODE_PROMPT] = {"%s：请扫 %s", "%s: scan %s"},
    [M_NEED_TO] = {"请先扫调入仓库卡", "scan the destination warehouse card first"},
    [M_NEED_ACTION] = {"请先扫周转材料业务卡（领用/交接/丢失/封埋/报废）", "scan the action card first (draw, handover, loss, burial, scrap)"},
    [M_NEED_TO_UNIT] = {"交接：请先扫接收单位卡", "handover: scan the receiving unit's card first"},
    [M_NEED_RESULT] = {"请先扫结果卡", "scan the result card first"},
    [M_TO] = {"调入仓库 %s", "to warehouse %s"},
    [M_ACTION] = {"业务 %s", "action %s"},
    [M_TO_UNIT] = {"接收单位 %s", "receiving unit %s"},
    [M_RESULT] = {"结果 %s", "result %s"},
    [M_CARD_NOT_HERE] = {"此业务不用此卡：%s", "this card is not used in this mode: %s"},
    [M_BAD_RESULT] = {"此步骤没有这个结果：%s", "not a result of this step: %s"},
    [M_ASSET_LINE] = {"第 %zu 行：设备 %s  %s", "line %zu: asset %s  %s"},
    [M_NOT_ASSET] = {"请扫设备标签", "scan the asset's tag"},
    [M_BEYOND_STOCK] = {"超出本地库存：%s 可用 %s，需 %s", "beyond local stock: %s has %s, needs %s"},
    [M_BEYOND_STOCK_TAKEN] = {"注意：超出本地库存（可用 %s），已记入第 %zu 行", "warning: beyond local stock (%s on hand), taken as line %zu"},
    [M_TO_UNIT_HANDOVER] = {"接收单位卡仅用于交接：请先扫交接卡", "a receiving unit is for a handover: scan the handover card first"},
    [M_INVALID_DOC] = {"单据不完整或无效", "the document is incomplete or invalid"},
    [M_SAME_WAREHOUSE] = {"调出与调入仓库相同", "the destination is the same warehouse"},
    [M_LINE_NAMED] = {"第 %zu 行：%s %s × %s %s", "line %zu: %s %s x %s %s"},
    [M_UNKNOWN_PLAN] = {"未知计划序号：%s", "unknown plan serial: %s"},
    [M_PLAN_NOT_APPROVED] = {"计划 %s 未批准", "plan %s is not approved"},
    [M_NOT_IN_PLAN] = {"物资 %s %s 不在计划 %s 中", "item %s %s is not in plan %s"},
    [M_PLAN] = {"计划 %s：%s，批准 %s %s", "plan %s: %s, approved %s %s"},
    [M_UNKNOWN_ASSET] = {"未知设备：%s", "unknown asset: %s"},
    [M_INACTIVE_ASSET] = {"设备已停用：%s %s", "asset no longer in use: %s %s"},
    [M_ASSET_LINE_NAMED] = {"第 %zu 行：设备 %s %s %s", "line %zu: asset %s %s %s"},
    [M_SEND_UNIT] = {"送修单位 %s", "sent in by %s"},
    [M_ASSET_STATE] = {"设备 %s %s：%s；%s", "asset %s %s: %s; %s"},
    [M_ASSET_WARN] = {"第 %zu 行：设备 %s %s %s（注意：%s）",
                      "line %zu: asset %s %s %s (warning: %s)"},
    [M_IN_DOUBT] = {"存储故障：尚不确定单据是否已保存。单据保留，请勿重新录入，终端正在检查存储",
                    "storage failure: not known yet whether the document was stored; it is kept,"
                    " do not enter it again: the terminal is checking the store"},
    [M_DOUBT_WAIT] = {"正在检查存储，请稍候：上一单据尚未确定", "the store is being checked: wait,"
                      " the last document's fate is not known yet"},
    [M_SETTLED_STORED] = {"存储已恢复：单据已保存，%zu 行，单据 #%llu",
                          "the store works again: the document WAS stored, %zu lines, document #%llu"},
    [M_SETTLED_NOT_STORED] = {"存储已恢复：单据未保存，单据保留，请重新提交",
                              "the store works again: the document was NOT stored; it is kept:"
                              " commit it again"},
};

static tt_counter_beep_t say(tt_counter_t *c, int error, int msg, ...)
{
    va_list ap;
    int n;
    va_start(ap, msg);
    n = vsnprintf(c->v.message, sizeof c->v.message, text[msg][c->lang], ap);
    va_end(ap);
    /* A message cut short must not end inside a UTF-8 character: back off
     * over continuation bytes and the lead byte they belong to. */
    if (n >= (int)sizeof c->v.message) {
        size_t k = sizeof c->v.message - 1;
        while (k > 0 && ((unsigned char)c->v.message[k - 1] & 0xC0) == 0x80)
            k--;
        if (k > 0 && ((unsigned char)c->v.message[k - 1] & 0x80))
            k--;
        c->v.message[k] = '\0';
    }
    c->v.message_is_error = error;
    return error ? TT_COUNTER_BEEP_ERROR : TT_COUNTER_BEEP_OK;
}

/* What a mode needs before its first line, and which cards it takes. */
enum { N_WH = 1, N_UNIT = 2, N_REF = 4, N_TO = 8, N_ACTION = 16, N_RESULT = 32 };

typedef struct {
    const char *word;              /* TT:MODE:<word> */
    const char *label[2];          /* for screens */
    tt_event_type_t type;
    const char *step;              /* equipment step, or NULL */
    unsigned need, take;           /* N_* needed before lines; N_* cards accepted */
    const char *const *results;    /* equipment: allowed results */
} mode_def_t;

static const char *const appraisal_results[] = {"major", "medium", "minor", NULL};
static const char *const check_results[] = {"pass", "fail", NULL};
static const char *const issue_results[] = {"in_use", "standby", NULL};
static const char *const actions[] = {"draw", "handover", "loss", "burial", "scrap", NULL};

static const mode_def_t modes[TT_COUNTER_MODE_LAST + 1] = {
    [TT_COUNTER_MODE_NONE] = {"", {"—", "-"}, 0, NULL, 0, 0, NULL},
    [TT_COUNTER_MODE_RECEIVE] = {"receive", {"入库", "RECEIVE"}, TT_EVENT_RECEIVE, NULL,
                                 N_WH | N_REF, N_WH | N_REF, NULL},
    [TT_COUNTER_MODE_ISSUE] = {"issue", {"出库", "ISSUE"}, TT_EVENT_ISSUE, NULL,
                               N_WH | N_UNIT | N_REF, N_WH | N_UNIT | N_REF, NULL},
    [TT_COUNTER_MODE_RETURN] = {"return", {"交旧", "RETURN"}, TT_EVENT_RETURN, NULL,
                                N_WH | N_UNIT, N_WH | N_UNIT, NULL},
    [TT_COUNTER_MODE_TRANSFER] = {"transfer", {"调拨", "TRANSFER"}, TT_EVENT_TRANSFER, NULL,
                                  N_WH | N_TO, N_WH | N_TO, NULL},
    [TT_COUNTER_MODE_COUNT] = {"count", {"盘点", "COUNT"}, TT_EVENT_COUNT, NULL, N_WH,
                               N_WH, NULL},
    [TT_COUNTER_MODE_REVOLVE] = {"revolve", {"周转材料", "REVOLVING"}, TT_EVENT_REVOLVE, NULL,
                                 N_WH | N_UNIT | N_ACTION, N_WH | N_UNIT | N_ACTION,
                                 NULL},
    /* An appraisal may name the unit sending the asset in (送修单位). */
    [TT_COUNTER_MODE_APPRAISAL] = {"appraisal", {"鉴定", "APPRAISAL"}, TT_EVENT_EQUIPMENT,
                                   "appraisal", N_RESULT, N_RESULT | N_UNIT, appraisal_results},
    [TT_COUNTER_MODE_SELFCHECK] = {"selfcheck", {"自检", "SELF-CHECK"}, TT_EVENT_EQUIPMENT,
                                   "selfcheck", N_RESULT, N_RESULT, check_results},
    [TT_COUNTER_MODE_ACCEPTANCE] = {"acceptance", {"验收", "ACCEPTANCE"}, TT_EVENT_EQUIPMENT,
                                    "acceptance", N_RESULT, N_RESULT, check_results},
    [TT_COUNTER_MODE_EQUIP_ISSUE] = {"equip-issue", {"设备出库", "EQUIP ISSUE"},
                                     TT_EVENT_EQUIPMENT, "issue", N_UNIT | N_RESULT,
                                     N_UNIT | N_RESULT, issue_results},
};

const char *tt_counter_mode_word(tt_counter_mode_t mode)
{
    return mode >= TT_COUNTER_MODE_NONE && mode <= TT_COUNTER_MODE_LAST ? modes[mode].word : NULL;
}

const char *tt_counter_mode_label(tt_counter_mode_t mode, tt_counter_lang_t lang)
{
    if (mode < TT_COUNTER_MODE_NONE || mode > TT_COUNTER_MODE_LAST || lang > TT_COUNTER_LANG_EN)
        return NULL;
    return modes[mode].label[lang];
}

static const mode_def_t *M(const tt_counter_t *c)
{
    return &modes[c->v.mode];
}

static int in_list(const char *word, const char *const *list)
{
    for (int i = 0; list && list[i]; i++)
        if (strcmp(word, list[i]) == 0)
            return 1;
    return 0;
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

void tt_counter_set_stock_check(tt_counter_t *c, tt_counter_stock_check_t check)
{
    c->stock_check = check;
}

void tt_counter_set_lookup(tt_counter_t *c, const tt_counter_lookup_t *lookup)
{
    c->has_lookup = lookup != NULL;
    if (lookup)
        c->lk = *lookup;
}

static int card_id(const char *arg, char *dst);

/* Message for a failed lookup of `what`. */
static tt_counter_beep_t lookup_failed(tt_counter_t *c, tt_err_t rc, int unknown, const char *what)
{
    if (rc == TT_ERR_BUSY)
        return say(c, 1, M_NO_MASTER);
    if (rc == TT_ERR_NOTFOUND)
        return say(c, 1, unknown, what);
    return say(c, 1, M_LOOKUP_FAILED);
}

/* Logs in the operator with this id or badge, checked against master data. */
static tt_counter_beep_t login(tt_counter_t *c, const char *id_or_badge)
{
    if (c->has_lookup) {
        tt_master_operator_t op;
        tt_err_t rc = c->lk.operator_(c->lk.ctx, id_or_badge, &op);
        if (rc == TT_OK && !op.active)
            rc = TT_ERR_NOTFOUND;
        if (rc != TT_OK)
            return lookup_failed(c, rc, M_UNKNOWN_OPERATOR, id_or_badge);
        memcpy(c->v.operator_id, op.id, sizeof c->v.operator_id);
    } else if (!card_id(id_or_badge, c->v.operator_id)) {
        return say(c, 1, M_UNKNOWN_CARD, id_or_badge);
    }
    return say(c, 0, M_LOGIN, c->v.operator_id);
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
    c->v.to[0] = '\0';
    c->v.action[0] = '\0';
    c->v.to_unit[0] = '\0';
    c->v.next_result[0] = '\0';
    c->v.next_qty = 0;
    c->v.next_qty_set = 0;
    c->commit_waiting = 0;
    c->plan_item[0] = '\0';
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
        if (!tt_event_id_valid(arg + 3))
            return say(c, 1, M_UNKNOWN_CARD, code);
        return login(c, arg + 3);
    }
    if (strcmp(arg, "LOGOUT") == 0) {
        c->v.operator_id[0] = '\0';
        clear_document(c);
        memset(&c->v.asset, 0, sizeof c->v.asset);
        c->v.mode = TT_COUNTER_MODE_NONE;
        return say(c, 0, M_LOGOUT);
    }
    if (!c->v.operator_id[0])
        return say(c, 1, M_NEED_LOGIN);
    if (strncmp(arg, "MODE:", 5) == 0) {
        for (int m = TT_COUNTER_MODE_RECEIVE; m <= TT_COUNTER_MODE_LAST; m++) {
            if (strcmp(arg + 5, modes[m].word) != 0)
                continue;
            /* A new mode starts a new document; lines of modes never mix. */
            clear_document(c);
            memset(&c->v.asset, 0, sizeof c->v.asset);
            c->v.mode = (tt_counter_mode_t)m;
            if (m == TT_COUNTER_MODE_RECEIVE)
                return say(c, 0, M_MODE_RECEIVE);
            if (m == TT_COUNTER_MODE_ISSUE)
                return say(c, 0, M_MODE_ISSUE);
            return say(c, 0, M_MODE_PROMPT, modes[m].label[c->lang],
                       modes[m].step ? (c->lang ? "the asset's tag" : "设备标签")
                                     : (c->lang ? "items" : "物资条码"));
        }
        return say(c, 1, M_UNKNOWN_CARD, code);
    }
    if (strncmp(arg, "WH:", 3) == 0) {
        if (c->v.nlines)
            return say(c, 1, M_DOC_OPEN);
        if (!tt_event_id_valid(arg + 3))
            return say(c, 1, M_UNKNOWN_CARD, code);
        if (c->has_lookup) {
            tt_master_warehouse_t w;
            tt_err_t rc = c->lk.warehouse(c->lk.ctx, arg + 3, &w);
            if (rc != TT_OK)
                return lookup_failed(c, rc, M_UNKNOWN_WAREHOUSE, arg + 3);
        }
        if (c->v.to[0] && strcmp(arg + 3, c->v.to) == 0)
            return say(c, 1, M_SAME_WAREHOUSE);
        card_id(arg + 3, c->v.warehouse);
        return say(c, 0, M_WAREHOUSE, c->v.warehouse);
    }
    if (strncmp(arg, "UNIT:", 5) == 0) {
        if (!(M(c)->take & N_UNIT))
            return say(c, 1, M_UNIT_ISSUE_ONLY);
        if (c->v.nlines)
            return say(c, 1, M_DOC_OPEN);
        if (!tt_event_id_valid(arg + 5))
            return say(c, 1, M_UNKNOWN_CARD, code);
        if (c->has_lookup) {
            tt_master_unit_t u;
            tt_err_t rc = c->lk.unit(c->lk.ctx, arg + 5, &u);
            if (rc != TT_OK)
                return lookup_failed(c, rc, M_UNKNOWN_UNIT, arg + 5);
        }
        card_id(arg + 5, c->v.unit);
        return say(c, 0, c->v.mode == TT_COUNTER_MODE_APPRAISAL ? M_SEND_UNIT : M_UNIT,
                   c->v.unit);
    }
    if (strncmp(arg, "TO:", 3) == 0 || strncmp(arg, "TOUNIT:", 7) == 0) {
        int to_wh = arg[2] == ':';
        const char *id = arg + (to_wh ? 3 : 7);
        if (to_wh ? !(M(c)->take & N_TO) : !(M(c)->take & N_ACTION))
            return say(c, 1, M_CARD_NOT_HERE, code);
        /* A receiving unit belongs to a handover only (it may be scanned
         * before the action card; another action card then drops it). */
        if (!to_wh && c->v.action[0] && strcmp(c->v.action, "handover") != 0)
            return say(c, 1, M_TO_UNIT_HANDOVER);
        if (c->v.nlines)
            return say(c, 1, M_DOC_OPEN);
        if (!tt_event_id_valid(id))
            return say(c, 1, M_UNKNOWN_CARD, code);
        if (c->has_lookup) {
            tt_master_warehouse_t w;
            tt_master_unit_t u;
            tt_err_t rc = to_wh ? c->lk.warehouse(c->lk.ctx, id, &w) : c->lk.unit(c->lk.ctx, id, &u);
            if (rc != TT_OK)
                return lookup_failed(c, rc, to_wh ? M_UNKNOWN_WAREHOUSE : M_UNKNOWN_UNIT, id);
        }
        if (to_wh && strcmp(id, c->v.warehouse) == 0)
            return say(c, 1, M_SAME_WAREHOUSE);
        card_id(id, to_wh ? c->v.to : c->v.to_unit);
        return say(c, 0, to_wh ? M_TO : M_TO_UNIT, id);
    }
    if (strncmp(arg, "ACT:", 4) == 0) {
        if (!(M(c)->take & N_ACTION))
            return say(c, 1, M_CARD_NOT_HERE, code);
        if (c->v.nlines)
            return say(c, 1, M_DOC_OPEN);
        if (!in_list(arg + 4, actions))
            return say(c, 1, M_UNKNOWN_CARD, code);
        snprintf(c->v.action, sizeof c->v.action, "%s", arg + 4);
        if (strcmp(c->v.action, "handover") != 0)
            c->v.to_unit[0] = '\0';
        return say(c, 0, M_ACTION, c->v.action);
    }
    if (strncmp(arg, "RES:", 4) == 0) {
        if (!(M(c)->take & N_RESULT))
            return say(c, 1, M_CARD_NOT_HERE, code);
        if (!in_list(arg + 4, M(c)->results))
            return say(c, 1, M_BAD_RESULT, arg + 4);
        snprintf(c->v.next_result, sizeof c->v.next_result, "%s", arg + 4);
        return say(c, 0, M_RESULT, c->v.next_result);
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

/* What must be chosen before a line can be added, or -1. */
static int missing(const tt_counter_t *c)
{
    unsigned need = M(c)->need;
    if (!c->v.operator_id[0])
        return M_NEED_LOGIN;
    if (c->v.mode == TT_COUNTER_MODE_NONE)
        return M_NEED_MODE;
    if ((need & N_WH) && !c->v.warehouse[0])
        return M_NEED_WAREHOUSE;
    if ((need & N_TO) && !c->v.to[0])
        return M_NEED_TO;
    if ((need & N_UNIT) && !c->v.unit[0])
        return M_NEED_UNIT;
    if ((need & N_ACTION) && !c->v.action[0])
        return M_NEED_ACTION;
    if ((need & N_ACTION) && strcmp(c->v.action, "handover") == 0 && !c->v.to_unit[0])
        return M_NEED_TO_UNIT;
    if ((need & N_REF) && !c->v.ref[0])
        return c->v.mode == TT_COUNTER_MODE_RECEIVE ? M_NEED_REF_RECEIVE : M_NEED_REF_ISSUE;
    if ((need & N_RESULT) && !c->v.next_result[0])
        return M_NEED_RESULT;
    return -1;
}

static int gs1_syntax(const char *code);

/* What a scan at the repair bay names: an RFID read (the 24 or 52 hex
 * digits of a GIAI EPC) or a printed GS1 label (DataMatrix, GS1-128, a
 * Digital Link) carrying the GIAI as (8004) names its asset by the GIAI;
 * any other barcode names it by itself (its label or its number).  Returns
 * 1 with *code the asset number (and *eq filled when there is a lookup:
 * registered and active), or 0 after saying why not into the view
 * (*beep).  *code may point into *eq, *e or *r. */
static int find_asset(tt_counter_t *c, const char **code, tt_master_equipment_t *eq,
                      tt_epc_t *e, tt_gs1_result_t *r, tt_counter_beep_t *beep)
{
    const char *k = *code;
    int from_tag = 0;

    if (strspn(k, "0123456789ABCDEFabcdef") == strlen(k) && (strlen(k) == 24 || strlen(k) == 52)) {
        if (tt_epc_decode(k, e, NULL, 0) == TT_OK) {
            if (e->scheme == TT_EPC_SGTIN_96) {
                *beep = say(c, 1, M_NOT_ASSET);
                return 0;
            }
            k = e->key;   /* the GIAI names the asset */
            from_tag = 1;
        }
    } else if (gs1_syntax(k)) {
        char reason[TT_GS1_REASON_MAX];
        tt_err_t rc = tt_gs1_decode(k, 0, r, reason, sizeof reason);
        if (rc == TT_OK) {
            const char *giai = tt_gs1_find(r, "8004");
            if (!giai) {
                *beep = say(c, 1, M_NOT_ASSET);   /* an item's label, a pallet's SSCC */
                return 0;
            }
            k = giai;
            from_tag = 1;
        } else if (rc == TT_ERR_NOTFOUND) {
            k += k[0] == ']' ? 3 : 0;   /* a non-GS1 symbology: the code after its id */
        } else {
            *beep = say(c, 1, M_BAD_GS1, reason);
            return 0;
        }
    }
    /* A GIAI may hold characters no event code does ('/', '%', ...): with
     * master data it only finds the asset, whose number goes on the line. */
    if (!(from_tag && c->has_lookup) && !tt_event_code_valid(k)) {
        *beep = say(c, 1, M_BAD_CODE, k);
        return 0;
    }
    if (c->has_lookup) {
        tt_err_t rc = c->lk.equipment(c->lk.ctx, k, from_tag, eq);
        if (rc != TT_OK) {
            *beep = lookup_failed(c, rc, M_UNKNOWN_ASSET, k);
            return 0;
        }
        if (!eq->active) {
            *beep = say(c, 1, M_INACTIVE_ASSET, eq->asset, eq->model);
            return 0;
        }
        k = eq->asset;
    }
    *code = k;
    return 1;
}

/* Shows asset `asset` (its model `model`) with its state as the terminal
 * knows it (repairbay.h). */
static void show_asset(tt_counter_t *c, const char *asset, const char *model)
{
    tt_repairbay_show(&c->v.asset, &c->lk, asset, model);
}

/* An asset scanned at the repair bay before the mode's cards are complete
 * (need: what is missing): shown, not taken. */
static tt_counter_beep_t inspect(tt_counter_t *c, const char *code, int need)
{
    tt_master_equipment_t eq;
    tt_epc_t e;
    tt_gs1_result_t r;
    tt_counter_beep_t beep;
    char st[200];

    if (!c->has_lookup || !find_asset(c, &code, &eq, &e, &r, &beep))
        return say(c, 1, need);
    show_asset(c, eq.asset, eq.model);
    tt_repairbay_state_text(&c->v.asset, c->lang, st, sizeof st);
    return say(c, 0, M_ASSET_STATE, eq.asset, eq.model, st, text[need][c->lang]);
}

/* An asset scanned at the repair bay: a line with the result chosen.  With
 * master data the asset must be registered and active, and the line is its
 * asset number, whichever way it was scanned; a step the terminal's view
 * says does not fit is taken with a warning. */
static tt_counter_beep_t asset_line(tt_counter_t *c, const char *code)
{
    tt_master_equipment_t eq;   /* code may point into it below */
    tt_counter_line_t *l;
    tt_epc_t e;                 /* ... or into this */
    tt_gs1_result_t r;          /* ... or into this */
    tt_counter_beep_t beep;
    char why[200];
    int fits = 1;

    if (!find_asset(c, &code, &eq, &e, &r, &beep))
        return beep;
    if (c->v.nlines == TT_COUNTER_LINES_MAX)
        return say(c, 1, M_FULL, TT_COUNTER_LINES_MAX);
    if (c->has_lookup) {
        show_asset(c, eq.asset, eq.model);
        fits = tt_repairbay_fits(&c->v.asset, c->v.lines, c->v.nlines,
                                 (tt_assets_step_t)tt_assets_step_parse(M(c)->step),
                                 c->v.next_result, (M(c)->take & N_UNIT) ? c->v.unit : "",
                                 c->lang, why, sizeof why);
    }
    l = &c->v.lines[c->v.nlines++];
    memset(l, 0, sizeof *l);
    memcpy(l->item, code, strlen(code) + 1);   /* a valid code fits */
    memcpy(l->result, c->v.next_result, sizeof l->result);
    c->commit_waiting = 0;
    if (c->has_lookup) {
        memcpy(l->name, eq.model, sizeof l->name);
        if (!fits)
            return say(c, 1, M_ASSET_WARN, c->v.nlines, l->item, l->name, l->result, why);
        return say(c, 0, M_ASSET_LINE_NAMED, c->v.nlines, l->item, l->name, l->result);
    }
    return say(c, 0, M_ASSET_LINE, c->v.nlines, l->item, l->result);
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
 * (30)/(37) when there is one (*qty = -1 when there is none).  Returns 0
 * when there is no GTIN. */
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
    tt_qty_t qty = -1;   /* -1: none given yet */
    int need;

    if (c->in_doubt)
        return say(c, 1, M_DOUBT_WAIT);
    if (strncmp(code, "TT:", 3) == 0)
        return card(c, code);
    /* A badge is its own barcode: scanning it logs its operator in. */
    if (c->has_lookup && c->v.nlines == 0 && tt_event_code_valid(code)) {
        tt_master_operator_t op;
        tt_err_t rc = c->lk.operator_(c->lk.ctx, code, &op);
        if (rc == TT_OK && strcmp(op.badge, code) == 0)
            return login(c, code);
        if (rc == TT_ERR_BUSY && !c->v.operator_id[0])
            return say(c, 1, M_NO_MASTER);   /* it may well be a badge: say why it fails */
    }
    need = missing(c);
    if (need >= 0 && M(c)->step && c->v.operator_id[0])
        return inspect(c, code, need);   /* the repair bay: show what it is */
    if (need >= 0)
        return say(c, 1, need);
    if (M(c)->step)
        return asset_line(c, code);
    if (strspn(code, "0123456789ABCDEFabcdef") == strlen(code) &&
        (strlen(code) == 24 || strlen(code) == 52) && code[0] == '3') {
        /* An RFID read: an SGTIN names an item; a GIAI an asset. */
        tt_epc_t e;
        if (tt_epc_decode(code, &e, NULL, 0) == TT_OK) {
            if (e.scheme != TT_EPC_SGTIN_96)
                return say(c, 1, M_ASSET_TAG, e.key);
            const char *key = e.key[0] == '0' ? e.key + 1 : e.key;
            memcpy(item, key, strlen(key) + 1);   /* a GTIN: 13 or 14 digits */
            goto have_item;
        }
    }
    if (gs1_syntax(code)) {
        tt_gs1_result_t r;
        char reason[TT_GS1_REASON_MAX];
        tt_err_t rc = tt_gs1_decode(code, 0, &r, reason, sizeof reason);
        if (rc == TT_OK) {
            if (tt_gs1_find(&r, "8004") && !tt_gs1_find(&r, "01"))
                return say(c, 1, M_ASSET_TAG, tt_gs1_find(&r, "8004"));
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
have_item:
    if (c->v.nlines == TT_COUNTER_LINES_MAX)
        return say(c, 1, M_FULL, TT_COUNTER_LINES_MAX);
    if (qty < 0 && c->v.next_qty_set)
        qty = c->v.next_qty;
    if (qty < 0)
        qty = TT_QTY_SCALE;
    if (qty == 0 && c->v.mode != TT_COUNTER_MODE_COUNT) {
        tt_qty_format(qty, q, sizeof q);
        return say(c, 1, M_BAD_QTY, q);
    }
    l = &c->v.lines[c->v.nlines];
    memset(l, 0, sizeof *l);
    if (c->has_lookup) {
        tt_master_item_t it;
        tt_err_t rc = c->lk.item(c->lk.ctx, item, &it);
        if (rc != TT_OK)
            return lookup_failed(c, rc, M_UNKNOWN_ITEM, item);
        if (!it.active)
            return say(c, 1, M_INACTIVE_ITEM, it.code, it.name);
        if (c->v.mode == TT_COUNTER_MODE_RECEIVE && c->plan_item[0] &&
            strcmp(it.code, c->plan_item) != 0)
            return say(c, 1, M_NOT_IN_PLAN, it.code, it.name, c->v.ref);
        memcpy(item, it.code, sizeof it.code);
        memcpy(l->name, it.name, sizeof l->name);
        memcpy(l->spec, it.spec, sizeof l->spec);
        memcpy(l->uom, it.uom, sizeof l->uom);
    }
    /* The local stock view, shown beside the line (before this document). */
    if (c->has_lookup && c->lk.stock && c->v.warehouse[0] &&
        c->lk.stock(c->lk.ctx, c->v.warehouse, item, &l->stock) == TT_OK)
        l->stock_known = 1;
    if (c->has_lookup && c->lk.stock && c->stock_check != TT_COUNTER_STOCK_OFF &&
        (c->v.mode == TT_COUNTER_MODE_ISSUE || c->v.mode == TT_COUNTER_MODE_TRANSFER)) {
        tt_qty_t have, want = qty;
        /* Lines of this document not yet stored take from the same stock. */
        for (size_t i = 0; i < c->v.nlines; i++)
            if (strcmp(c->v.lines[i].item, item) == 0)
                want += c->v.lines[i].qty;
        if (c->lk.stock(c->lk.ctx, c->v.warehouse, item, &have) == TT_OK && want > have) {
            char h[TT_MONEY_TEXT_MAX], w[TT_MONEY_TEXT_MAX];
            tt_qty_format(have, h, sizeof h);
            tt_qty_format(want, w, sizeof w);
            if (c->stock_check == TT_COUNTER_STOCK_REFUSE)
                return say(c, 1, M_BEYOND_STOCK, item, h, w);
            c->v.nlines++;
            memcpy(l->item, item, strlen(item) + 1);
            l->qty = qty;
            c->v.next_qty = 0;
            c->v.next_qty_set = 0;
            c->commit_waiting = 0;
            return say(c, 1, M_BEYOND_STOCK_TAKEN, h, c->v.nlines);
        }
    }
    c->v.nlines++;
    memcpy(l->item, item, strlen(item) + 1);
    l->qty = qty;
    c->v.next_qty = 0;
    c->v.next_qty_set = 0;
    c->commit_waiting = 0;
    tt_qty_format(l->qty, q, sizeof q);
    if (l->name[0])
        return say(c, 0, M_LINE_NAMED, c->v.nlines, l->name, l->spec, q, l->uom);
    return say(c, 0, M_LINE, c->v.nlines, l->item, q);
}

/* A receipt's plan serial checked against master data: the plan line must
 * be known and approved (a line rejected at a later approval step backs no
 * receipt).  Its item is then the only item the document takes. */
static tt_counter_beep_t plan_ref(tt_counter_t *c, const char *serial)
{
    tt_master_plan_t p;
    tt_master_item_t it;
    char q[TT_MONEY_TEXT_MAX];
    tt_err_t rc = c->lk.plan(c->lk.ctx, serial, &p);

    if (rc != TT_OK)
        return lookup_failed(c, rc, M_UNKNOWN_PLAN, serial);
    if (p.status != TT_PLAN_APPROVED)
        return say(c, 1, M_PLAN_NOT_APPROVED, serial);
    memcpy(c->v.ref, serial, strlen(serial) + 1);
    memcpy(c->plan_item, p.item, sizeof c->plan_item);
    tt_qty_format(p.qty, q, sizeof q);
    /* Named as its lines will be; an item this terminal does not know (yet)
     * is shown by its code. */
    if (c->lk.item(c->lk.ctx, p.item, &it) == TT_OK)
        return say(c, 0, M_PLAN, serial, it.name, q, it.uom);
    return say(c, 0, M_PLAN, serial, p.item, q, "");
}

tt_counter_beep_t tt_counter_keypad(tt_counter_t *c, const char *entry)
{
    tt_qty_t q;

    if (c->in_doubt)
        return say(c, 1, M_DOUBT_WAIT);
    if (!c->v.operator_id[0])
        return say(c, 1, M_NEED_LOGIN);
    if (c->v.mode == TT_COUNTER_MODE_NONE)
        return say(c, 1, M_NEED_MODE);
    /* The first entry of a document is its reference when the mode needs
     * one, whatever cards are still to come; quantities follow. */
    if ((M(c)->need & N_REF) && !c->v.ref[0]) {
        if (!tt_event_id_valid(entry))
            return say(c, 1, M_BAD_REF, entry);
        if (c->has_lookup && c->v.mode == TT_COUNTER_MODE_RECEIVE)
            return plan_ref(c, entry);
        memcpy(c->v.ref, entry, strlen(entry) + 1);
        return say(c, 0, M_REF, c->v.ref);
    }
    if (M(c)->step || tt_qty_parse(entry, &q) != TT_OK || q < 0 ||
        (q == 0 && c->v.mode != TT_COUNTER_MODE_COUNT))
        return say(c, 1, M_BAD_QTY, entry);
    /* A count of nothing on the shelf is a real answer, hence the flag. */
    c->v.next_qty = q;
    c->v.next_qty_set = 1;
    return say(c, 0, M_QTY, entry);
}

tt_err_t tt_counter_pending(const tt_counter_t *c, int64_t ts_ms, tt_event_t *evs, size_t *n)
{
    const mode_def_t *m = M(c);

    if (!c->commit_waiting)
        return TT_ERR_NOTFOUND;
    for (size_t i = 0; i < c->v.nlines; i++) {
        tt_event_t *ev = &evs[i];
        tt_event_stock_t *b = &ev->body.stock;
        memset(ev, 0, sizeof *ev);
        ev->type = m->type;
        ev->ts_ms = ts_ms;
        memcpy(ev->operator_id, c->v.operator_id, sizeof ev->operator_id);
        memcpy(b->ref, c->v.ref, sizeof b->ref);
        if (m->take & N_UNIT)
            memcpy(b->unit, c->v.unit, sizeof b->unit);
        if (m->step) {
            memcpy(b->asset, c->v.lines[i].item, sizeof b->asset);
            snprintf(b->step, sizeof b->step, "%s", m->step);
            memcpy(b->result, c->v.lines[i].result, sizeof b->result);
        } else {
            memcpy(b->warehouse, c->v.warehouse, sizeof b->warehouse);
            memcpy(b->item, c->v.lines[i].item, sizeof b->item);
            b->qty = c->v.lines[i].qty;
            if (m->take & N_TO)
                memcpy(b->to, c->v.to, sizeof b->to);
            if (m->take & N_ACTION) {
                memcpy(b->action, c->v.action, sizeof b->action);
                memcpy(b->to_unit, c->v.to_unit, sizeof b->to_unit);
            }
        }
        b->line = (uint16_t)(i + 1);
        b->lines = (uint16_t)c->v.nlines;
    }
    *n = c->v.nlines;
    return TT_OK;
}

tt_counter_beep_t tt_counter_stored(tt_counter_t *c, tt_err_t result, uint64_t first_seq)
{
    size_t n = c->v.nlines;
    if (result == TT_ERR_INDOUBT) {
        c->commit_waiting = 0;
        c->in_doubt = 1;
        return say(c, 1, M_IN_DOUBT);
    }
    if (result != TT_OK) {
        c->commit_waiting = 0;
        return say(c, 1, M_NOT_STORED,
                   text[result == TT_ERR_FULL    ? M_DISK_FULL
                        : result == TT_ERR_INVAL ? M_INVALID_DOC
                                                 : M_STORE_ERROR][c->lang]);
    }
    clear_document(c);
    /* The shown asset as it is now, with the step just stored. */
    if (c->v.asset.shown && c->has_lookup)
        show_asset(c, c->v.asset.row.asset, c->v.asset.model);
    return say(c, 0, M_COMMITTED, n, (unsigned long long)first_seq);
}

tt_counter_beep_t tt_counter_settled(tt_counter_t *c, uint64_t first_seq)
{
    size_t n = c->v.nlines;
    if (!c->in_doubt)
        return TT_COUNTER_BEEP_NONE;
    c->in_doubt = 0;
    if (first_seq == 0)
        return say(c, 1, M_SETTLED_NOT_STORED);
    clear_document(c);
    return say(c, 0, M_SETTLED_STORED, n, (unsigned long long)first_seq);
}
