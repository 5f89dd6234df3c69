/*
 * tagtrail: the command-line tool (see cli.h).  It drives a terminal through
 * its control socket (docs/protocol.md, "Terminal control socket"), reads
 * the server's HTTP API (docs/api.md) over httpc.h, and dispatches reports
 * (clireport.h), labels (clilabels.h) and broker identities (cliprov.h).
 * This file has the command line, the messages the commands share, tables,
 * and the commands small enough to need no module: scan, status,
 * rejection, stock, terminals and decode.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clilabels.h"
#include "cliprov.h"
#include "clireport.h"
#include "control.h"   /* for the line limits only: the tool does not link the edge */
#include "event.h"
#include "httpc.h"
#include "money.h"
#include "tag.h"

#ifndef TT_VERSION
#define TT_VERSION "unknown"   /* CMake defines it; a standalone build may not */
#endif

#define REPLY_MAX TT_CONTROL_REPLY_MAX   /* the terminal cuts its replies to this */

/* The texts a person reads that more than one command says; a command
 * module keeps those only it says. */
enum {
    M_USAGE, M_USAGE_NOTE, M_SYNOPSIS, M_NO_SOCKET, M_UNKNOWN_CMD, M_BAD_OPTION, M_NEEDS_VALUE,
    M_BAD_OP, M_BAD_ID, M_BAD_CODE, M_BAD_QTY, M_BIG_QTY, M_BAD_SEQ, M_BAD_PATH, M_BAD_URL,
    M_UNREACH, M_TIMEOUT, M_CLOSED, M_TOOBIG, M_GARBLED, M_SCAN_UNKNOWN, M_TERM_ERR,
    M_NOT_RECORDED, M_RECORDED, M_REJECTION, M_SRV_ERR, M_SRV_STATUS, M_NOMEM, M_OUTPUT,
    M_YES, M_NO, M_NONE, M_SERVER, M_OPERATOR, M_TERMINAL, M_SITE, M_BOARD, M_FIRMWARE,
    M_LAST_SEQ, M_SYNCED, M_PENDING, M_REJECTED, M_CONNECTED, M_SERVER_ONLINE, M_STORE_UNSETTLED,
    M_WAREHOUSE,
    M_ITEM, M_QTY, M_ONLINE, M_APPLIED, M_REJ_EVENTS, M_REJ_MESSAGES, M_LAST_SEEN,
    M_WRITE_FAILED,
    M_COUNT
};

static const tt_cli_text_t MESSAGES[M_COUNT] = {
    [M_USAGE] = {"用法：", "usage:"},
    [M_USAGE_NOTE] = {"套接字默认取 $TT_SOCKET；网址默认取 $TT_SERVER，否则为 "
                      TT_CLI_DEFAULT_SERVER "；服务器的服务令牌取自 $TT_TOKEN_FILE 所指文件或 "
                      "$TT_TOKEN。\nTT_LANG=en 显示英文。",
                      "SOCKET defaults to $TT_SOCKET; URL to $TT_SERVER, else "
                      TT_CLI_DEFAULT_SERVER "; the server's service token is the line of "
                      "$TT_TOKEN_FILE, or $TT_TOKEN.\nTT_LANG=zh shows Chinese."},
    [M_SYNOPSIS] = {"用法：tagtrail %s", "usage: tagtrail %s"},
    [M_NO_SOCKET] = {"没有控制套接字：请用 -s 路径 或设置 TT_SOCKET",
                     "no control socket: give -s PATH or set TT_SOCKET"},
    [M_UNKNOWN_CMD] = {"未知命令 '%s'（见 tagtrail help）", "unknown command '%s' (see tagtrail help)"},
    [M_BAD_OPTION] = {"选项 '%s' 不适用于 %s", "option '%s' is not valid for %s"},
    [M_NEEDS_VALUE] = {"选项 %s 需要一个值", "option %s needs a value"},
    [M_BAD_OP] = {"操作必须是 receive（入库）或 issue（出库），不是 '%s'",
                  "operation must be receive or issue, not '%s'"},
    [M_BAD_ID] = {"%s '%s' 无效：应为 1-32 个 A-Z a-z 0-9 _ . -",
                  "%s '%s' is not valid: use 1-32 of A-Z a-z 0-9 _ . -"},
    [M_BAD_CODE] = {"物料码 '%s' 无效：应为 1-64 个可打印 ASCII 字符，不含空格、引号和反斜杠",
                    "item code '%s' is not valid: use 1-64 printable ASCII characters without "
                    "spaces, quotes or backslashes"},
    [M_BAD_QTY] = {"数量 '%s' 必须是正数，最多 3 位小数，例如 12.5",
                   "quantity '%s' must be a positive decimal with at most 3 decimals, e.g. 12.5"},
    [M_BIG_QTY] = {"数量 '%s' 太大", "quantity '%s' is too large"},
    [M_BAD_SEQ] = {"序号 '%s' 必须是 1 到 9007199254740991 的整数",
                   "sequence number '%s' must be a whole number from 1 to 9007199254740991"},
    [M_BAD_PATH] = {"控制套接字路径太长：%s", "control socket path too long: %s"},
    [M_BAD_URL] = {"服务器网址 '%s' 无效：应为 http://主机:端口",
                   "server URL '%s' is not valid: use http://HOST:PORT"},
    [M_UNREACH] = {"无法连接%s %s：%s", "%s not reachable at %s: %s"},
    [M_TIMEOUT] = {"%s %s 没有及时应答", "%s at %s did not answer in time"},
    [M_CLOSED] = {"%s %s 未应答就关闭了连接", "%s at %s closed the connection without answering"},
    [M_TOOBIG] = {"%s的应答太长", "%s reply too long"},
    [M_GARBLED] = {"%s的应答无法识别：%s", "%s sent an unreadable reply: %s"},
    [M_SCAN_UNKNOWN] = {"这次扫描可能已记录，也可能没有：重扫前请先用 tagtrail status 查看",
                        "the scan may or may not have been recorded: check tagtrail status "
                        "before scanning again"},
    [M_TERM_ERR] = {"终端报错（%s）：%s", "terminal error (%s): %s"},
    [M_NOT_RECORDED] = {"未记录（%s）：%s", "not recorded (%s): %s"},
    [M_RECORDED] = {"已记录：序号 %s", "recorded: seq %s"},
    [M_REJECTION] = {"序号 %s 被拒绝：%s", "seq %s was rejected: %s"},
    [M_SRV_ERR] = {"服务器报错（HTTP %d）：%s", "server error (HTTP %d): %s"},
    [M_SRV_STATUS] = {"服务器应答 HTTP %d", "server answered HTTP %d"},
    [M_NOMEM] = {"内存不足", "out of memory"},
    [M_OUTPUT] = {"无法写出结果：%s", "cannot write output: %s"},
    /* Words, status labels and table headers. */
    [M_YES] = {"是", "yes"}, [M_NO] = {"否", "no"}, [M_NONE] = {"（无）", "(none)"},
    [M_SERVER] = {"服务器", "server"}, [M_OPERATOR] = {"操作员", "operator"},
    [M_TERMINAL] = {"终端", "terminal"}, [M_SITE] = {"站点", "site"},
    [M_BOARD] = {"板卡", "board"}, [M_FIRMWARE] = {"固件", "firmware"},
    [M_LAST_SEQ] = {"最新序号", "last seq"}, [M_SYNCED] = {"已同步至", "synced"},
    [M_PENDING] = {"待上传", "pending"}, [M_REJECTED] = {"被拒绝", "rejected"},
    [M_CONNECTED] = {"已连接", "connected"}, [M_SERVER_ONLINE] = {"服务器在线", "server online"},
    [M_STORE_UNSETTLED] = {"存储故障待检查", "store failed, being checked"},
    [M_WAREHOUSE] = {"仓库", "warehouse"}, [M_ITEM] = {"物料", "item"}, [M_QTY] = {"数量", "qty"},
    [M_ONLINE] = {"在线", "online"}, [M_APPLIED] = {"已处理序号", "applied"},
    [M_REJ_EVENTS] = {"被拒事件", "rejected events"},
    [M_REJ_MESSAGES] = {"被拒消息", "rejected messages"},
    [M_LAST_SEEN] = {"最后在线", "last seen"},
    [M_WRITE_FAILED] = {"无法写入 %s：%s", "cannot write %s: %s"},
};

enum { OPT_SOCKET = 1, OPT_SERVER = 2, OPT_JSON = 4, OPT_WAREHOUSE = 8, OPT_ITEM = 16 };

static const struct {
    const char *name;
    unsigned bit;
    int has_value;
} OPTIONS[] = {
    {"-s", OPT_SOCKET, 1}, {"-S", OPT_SERVER, 1}, {"--json", OPT_JSON, 0},
    {"--warehouse", OPT_WAREHOUSE, 1}, {"--item", OPT_ITEM, 1},
};

typedef struct tt_cli_command command_t;

struct tt_cli_command {
    const char *name;
    const char *synopsis;
    int nargs;                    /* positional arguments, exactly; -1: reads c->rest itself */
    unsigned opts;                /* OPT_* bits it accepts */
    int (*run)(const tt_cli_t *c);   /* returns a TT_CLI_* exit code */
};

/* A table column or status line: field `key` of an object, headed `label`. */
typedef struct {
    const char *key;
    int label;   /* M_* */
    int right;   /* right-aligned (numbers) */
} column_t;

const char *tt_cli_text(tt_cli_lang_t lang, const tt_cli_text_t *t)
{
    return lang == TT_CLI_EN ? t->en : t->zh;
}

static const char *msg(tt_cli_lang_t lang, int id)
{
    return tt_cli_text(lang, &MESSAGES[id]);
}

/* Prints "<prefix><fmt with ap>\n" to f. */
static void vprint(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
    fputs(prefix, f);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
}

void tt_cli_say(tt_cli_lang_t lang, const tt_cli_text_t *t, ...)
{
    va_list ap;
    va_start(ap, t);
    vprint(stderr, "tagtrail: ", tt_cli_text(lang, t), ap);
    va_end(ap);
}

void tt_cli_tell(tt_cli_lang_t lang, const tt_cli_text_t *t, ...)
{
    va_list ap;
    va_start(ap, t);
    vprint(stdout, "", tt_cli_text(lang, t), ap);
    va_end(ap);
}

/* Prints "tagtrail: <message id>\n" to stderr. */
static void say(tt_cli_lang_t lang, int id, ...)
{
    va_list ap;
    va_start(ap, id);
    vprint(stderr, "tagtrail: ", msg(lang, id), ap);
    va_end(ap);
}

/* Prints "<message id>\n" to stdout. */
static void tell(tt_cli_lang_t lang, int id, ...)
{
    va_list ap;
    va_start(ap, id);
    vprint(stdout, "", msg(lang, id), ap);
    va_end(ap);
}

int tt_cli_help(const tt_cli_t *c)
{
    printf("%s\n  tagtrail %s\n", msg(c->lang, M_USAGE), c->cmd->synopsis);
    return TT_CLI_OK;
}

int tt_cli_usage(const tt_cli_t *c)
{
    say(c->lang, M_SYNOPSIS, c->cmd->synopsis);
    return TT_CLI_USAGE;
}

int tt_cli_bad_option(const tt_cli_t *c, const char *word)
{
    say(c->lang, M_BAD_OPTION, word, c->cmd->name);
    return TT_CLI_USAGE;
}

int tt_cli_needs_value(const tt_cli_t *c, const char *word)
{
    say(c->lang, M_NEEDS_VALUE, word);
    return TT_CLI_USAGE;
}

int tt_cli_nomem(const tt_cli_t *c)
{
    say(c->lang, M_NOMEM);
    return TT_CLI_ANSWER;
}

int tt_cli_write_failed(const tt_cli_t *c, const char *path)
{
    say(c->lang, M_WRITE_FAILED, path, strerror(errno));
    return TT_CLI_ANSWER;
}

/* Chinese is the default (storekeepers read Chinese); only an explicit "en"
 * picks English.  TT_LANG wins over LANG so the tool can differ from the shell. */
static tt_cli_lang_t pick_lang(void)
{
    const char *v = getenv("TT_LANG");
    if (!v || !*v)
        v = getenv("LANG");
    return v && strncmp(v, "en", 2) == 0 ? TT_CLI_EN : TT_CLI_ZH;
}

/* Terminal columns `s` takes.  Our own texts are ASCII, CJK and fullwidth
 * punctuation and the data is ASCII, so a code point of three or more UTF-8
 * bytes counts two columns and any other one. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            w += *p >= 0xE0 ? 2 : 1;
    return w;
}

/* Prints `s` padded with spaces to `width` columns, on the left if `right`. */
static void print_padded(const char *s, size_t width, int right)
{
    int pad = (int)(width > text_width(s) ? width - text_width(s) : 0);
    printf("%*s%s%*s", right ? pad : 0, "", s, right ? 0 : pad, "");
}

void tt_cli_field_text(tt_cli_lang_t lang, const cJSON *obj, const char *key, char *out,
                       size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsString(v)) {
        snprintf(out, cap, "%s", v->valuestring);
        for (char *p = out; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
    } else if (cJSON_IsBool(v)) {
        snprintf(out, cap, "%s", msg(lang, cJSON_IsTrue(v) ? M_YES : M_NO));
    } else if (cJSON_IsNumber(v)) {
        snprintf(out, cap, "%.16g", v->valuedouble);   /* integers exact up to 2^53 */
    } else {
        snprintf(out, cap, "-");
    }
}

/* One pass measures, one prints.  The last column gets no trailing blanks
 * (unless it is right-aligned). */
void tt_cli_print_table(tt_cli_lang_t lang, const cJSON *rows, const tt_cli_column_t *cols,
                        size_t ncol)
{
    size_t width[64];
    char cell[TT_CLI_CELL_MAX];
    const cJSON *row;

    if (ncol > 64)
        ncol = 64;
    for (size_t i = 0; i < ncol; i++)
        width[i] = text_width(cols[i].head);
    cJSON_ArrayForEach(row, rows) {
        for (size_t i = 0; i < ncol; i++) {
            tt_cli_field_text(lang, row, cols[i].key, cell, sizeof cell);
            if (text_width(cell) > width[i])
                width[i] = text_width(cell);
        }
    }
    for (size_t i = 0; i < ncol; i++) {
        print_padded(cols[i].head, i + 1 < ncol || cols[i].right ? width[i] : 0, cols[i].right);
        fputs(i + 1 < ncol ? "  " : "\n", stdout);
    }
    cJSON_ArrayForEach(row, rows) {
        for (size_t i = 0; i < ncol; i++) {
            tt_cli_field_text(lang, row, cols[i].key, cell, sizeof cell);
            print_padded(cell, i + 1 < ncol || cols[i].right ? width[i] : 0, cols[i].right);
            fputs(i + 1 < ncol ? "  " : "\n", stdout);
        }
    }
    if (cJSON_GetArraySize(rows) == 0)
        tell(lang, M_NONE);
}

/* ---- talking to a terminal or a server ---- */

/* Reports that talking to `who` (M_TERMINAL, M_SERVER) at `where` failed
 * with errno `err`, and returns the exit code for it. */
static int net_fail(const tt_cli_t *c, int who, const char *where, int err)
{
    if (err == ENOMEM) {
        return tt_cli_nomem(c);
    }
    if (err == EFBIG) {
        say(c->lang, M_TOOBIG, msg(c->lang, who));
        return TT_CLI_ANSWER;
    }
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINPROGRESS || err == ETIMEDOUT)
        say(c->lang, M_TIMEOUT, msg(c->lang, who), where);
    else if (err == ENODATA)
        say(c->lang, M_CLOSED, msg(c->lang, who), where);
    else
        say(c->lang, M_UNREACH, msg(c->lang, who), where, strerror(err));
    return TT_CLI_UNREACH;
}

/* Sends one command line to the terminal and splits its reply, copied into
 * reply[REPLY_MAX + 1]: "ok REST" gives TT_CLI_OK with *rest inside reply;
 * "err CODE MESSAGE" and anything unreadable are reported and give TT_CLI_ANSWER.
 * For a scan, any failure after sending leaves the outcome unknown (the event
 * may become durable after we gave up), and the user is told so. */
static int terminal_call(const tt_cli_t *c, const char *cmd, int is_scan, char *reply,
                         const char **rest)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char line[TT_CONTROL_LINE_MAX + 1], *buf, *text;
    size_t len;
    int fd, err, rc = TT_CLI_ANSWER;

    if (strlen(c->socket) >= sizeof sa.sun_path) {
        say(c->lang, M_BAD_PATH, c->socket);
        return TT_CLI_USAGE;
    }
    memcpy(sa.sun_path, c->socket, strlen(c->socket));
    fd = tt_httpc_dial(AF_UNIX, (struct sockaddr *)&sa, sizeof sa);
    if (fd < 0)
        return net_fail(c, M_TERMINAL, c->socket, -fd);
    snprintf(line, sizeof line, "%s\n", cmd);
    err = tt_httpc_exchange(fd, line, 1, REPLY_MAX, &buf, &len);
    close(fd);
    if (err) {
        rc = net_fail(c, M_TERMINAL, c->socket, err);
        if (is_scan)
            say(c->lang, M_SCAN_UNKNOWN);
        return rc;
    }
    snprintf(reply, REPLY_MAX + 1, "%s", buf);
    free(buf);
    reply[strcspn(reply, "\r\n")] = '\0';
    if (strcmp(reply, "ok") == 0 || strncmp(reply, "ok ", 3) == 0) {
        *rest = reply + (reply[2] ? 3 : 2);
        return TT_CLI_OK;
    }
    if (strncmp(reply, "err ", 4) == 0) {
        text = reply + 4 + strcspn(reply + 4, " ");
        if (*text)
            *text++ = '\0';
        say(c->lang, is_scan ? M_NOT_RECORDED : M_TERM_ERR, reply + 4, text);
        return rc;
    }
    say(c->lang, M_GARBLED, msg(c->lang, M_TERMINAL), reply);
    if (is_scan)
        say(c->lang, M_SCAN_UNKNOWN);
    return rc;
}

static int cmd_scan(const tt_cli_t *c)
{
    char line[TT_CONTROL_LINE_MAX], reply[REPLY_MAX + 1];
    const char *op = c->args[0], *wh = c->args[1], *who = c->args[2];
    const char *code = c->args[3], *qty_text = c->args[4], *rest;
    tt_qty_t qty;
    tt_err_t err;
    int rc;

    if (strcmp(op, "receive") != 0 && strcmp(op, "issue") != 0) {
        say(c->lang, M_BAD_OP, op);
        return TT_CLI_USAGE;
    }
    if (!tt_event_id_valid(wh) || !tt_event_id_valid(who)) {
        int bad_wh = !tt_event_id_valid(wh);
        say(c->lang, M_BAD_ID, msg(c->lang, bad_wh ? M_WAREHOUSE : M_OPERATOR), bad_wh ? wh : who);
        return TT_CLI_USAGE;
    }
    if (!tt_event_code_valid(code)) {
        say(c->lang, M_BAD_CODE, code);
        return TT_CLI_USAGE;
    }
    err = tt_qty_parse(qty_text, &qty);
    if (err != TT_OK || qty <= 0) {
        say(c->lang, err == TT_ERR_RANGE ? M_BIG_QTY : M_BAD_QTY, qty_text);
        return TT_CLI_USAGE;
    }
    /* Every field is bounded by the checks above, so the line always fits. */
    snprintf(line, sizeof line, "scan %s %s %s %s %s", op, wh, who, code, qty_text);
    rc = terminal_call(c, line, 1, reply, &rest);
    if (rc == TT_CLI_OK)
        tell(c->lang, M_RECORDED, rest);
    return rc;
}

static int cmd_status(const tt_cli_t *c)
{
    static const column_t lines[] = {
        {"terminal", M_TERMINAL, 0}, {"site", M_SITE, 0}, {"board", M_BOARD, 0},
        {"firmware", M_FIRMWARE, 0}, {"last_seq", M_LAST_SEQ, 0}, {"synced", M_SYNCED, 0},
        {"pending", M_PENDING, 0}, {"rejected", M_REJECTED, 0}, {"connected", M_CONNECTED, 0},
        {"server_online", M_SERVER_ONLINE, 0}, {"store_unsettled", M_STORE_UNSETTLED, 0},
    };
    const size_t n = sizeof lines / sizeof lines[0];
    char reply[REPLY_MAX + 1], value[TT_CLI_CELL_MAX];
    const char *rest;
    size_t width = 0;
    cJSON *st;
    int rc = terminal_call(c, "status", 0, reply, &rest);

    if (rc != TT_CLI_OK)
        return rc;
    st = cJSON_Parse(rest);
    if (!cJSON_IsObject(st)) {
        say(c->lang, M_GARBLED, msg(c->lang, M_TERMINAL), rest);
        cJSON_Delete(st);
        return TT_CLI_ANSWER;
    }
    if (c->json)
        printf("%s\n", rest);
    for (size_t i = 0; i < n && !c->json; i++)
        if (text_width(msg(c->lang, lines[i].label)) > width)
            width = text_width(msg(c->lang, lines[i].label));
    for (size_t i = 0; i < n && !c->json; i++) {
        tt_cli_field_text(c->lang, st, lines[i].key, value, sizeof value);
        print_padded(msg(c->lang, lines[i].label), width, 0);
        printf("  %s\n", value);
    }
    cJSON_Delete(st);
    return TT_CLI_OK;
}

static int cmd_rejection(const tt_cli_t *c)
{
    char line[64], reply[REPLY_MAX + 1];
    const char *seq = c->args[0], *rest;
    size_t n = strspn(seq, "0123456789");
    int rc;

    /* Digits only (no sign, blank or exponent), 1 .. 2^53 - 1. */
    if (n == 0 || seq[n] != '\0' || n > 16 || strtoull(seq, NULL, 10) == 0 ||
        strtoull(seq, NULL, 10) > TT_EVENT_SEQ_MAX) {
        say(c->lang, M_BAD_SEQ, seq);
        return TT_CLI_USAGE;
    }
    snprintf(line, sizeof line, "rejection %s", seq);
    rc = terminal_call(c, line, 0, reply, &rest);
    if (rc == TT_CLI_OK)
        tell(c->lang, M_REJECTION, seq, rest);
    return rc;
}

/* The server's service token (docs/operations.md, "The web office"): the
 * line of the file $TT_TOKEN_FILE names, else $TT_TOKEN, into buf[cap];
 * "" when neither is set.  Every API route but health needs it. */
static void service_token(char *buf, size_t cap)
{
    const char *file = getenv("TT_TOKEN_FILE"), *v = getenv("TT_TOKEN");
    FILE *f;
    buf[0] = '\0';
    if (file && *file && (f = fopen(file, "r")) != NULL) {
        if (!fgets(buf, (int)cap, f))
            buf[0] = '\0';
        fclose(f);
        buf[strcspn(buf, "\r\n")] = '\0';
    } else if (v) {
        snprintf(buf, cap, "%s", v);
    }
}

int tt_cli_http_get(const tt_cli_t *c, const char *path, int want_json, char **body,
                    size_t *blen, cJSON **json)
{
    tt_httpc_reply_t r;
    const cJSON *e;
    char token[160];

    *json = NULL;
    service_token(token, sizeof token);
    switch (tt_httpc_get(c->server, path, want_json ? "application/json" : "*/*", token, &r)) {
    case TT_OK:
        break;
    case TT_ERR_INVAL:
        say(c->lang, M_BAD_URL, c->server);
        return TT_CLI_USAGE;
    case TT_ERR_CONN:
        say(c->lang, M_UNREACH, msg(c->lang, M_SERVER), c->server, r.detail);
        return TT_CLI_UNREACH;
    case TT_ERR_IO:
        return net_fail(c, M_SERVER, c->server, r.err);
    default:
        say(c->lang, M_GARBLED, msg(c->lang, M_SERVER), r.detail);
        return TT_CLI_ANSWER;
    }
    *blen = r.len;
    if (r.status == 200 && !want_json) {
        *body = r.body;
        return TT_CLI_OK;
    }
    *json = cJSON_ParseWithLength(r.body, r.len);
    if (r.status == 200 && cJSON_IsObject(*json)) {
        *body = r.body;
        return TT_CLI_OK;
    }
    e = cJSON_GetObjectItemCaseSensitive(*json, "error");
    if (r.status == 200)
        say(c->lang, M_GARBLED, msg(c->lang, M_SERVER), "body is not a JSON object");
    else if (cJSON_IsString(e))
        say(c->lang, M_SRV_ERR, r.status, e->valuestring);
    else
        say(c->lang, M_SRV_STATUS, r.status);
    cJSON_Delete(*json);
    *json = NULL;
    free(r.body);
    return TT_CLI_ANSWER;
}

/* GETs `path` and prints its body (--json) or its array `key` as a table. */
static int show_list(const tt_cli_t *c, const char *path, const char *key, const column_t *cols,
                     size_t ncol)
{
    char *body;
    cJSON *json;
    const cJSON *rows;
    size_t len;
    int rc = tt_cli_http_get(c, path, 1, &body, &len, &json);

    if (rc != TT_CLI_OK)
        return rc;
    rows = cJSON_GetObjectItemCaseSensitive(json, key);
    if (!cJSON_IsArray(rows)) {
        say(c->lang, M_GARBLED, msg(c->lang, M_SERVER), "no array of rows");
        rc = TT_CLI_ANSWER;
    } else if (c->json) {
        fputs(body, stdout);
        if (!*body || body[strlen(body) - 1] != '\n')
            putchar('\n');
    } else {
        tt_cli_column_t heads[8];
        for (size_t i = 0; i < ncol; i++)
            heads[i] = (tt_cli_column_t){cols[i].key, msg(c->lang, cols[i].label), cols[i].right};
        tt_cli_print_table(c->lang, rows, heads, ncol);
    }
    cJSON_Delete(json);
    free(body);
    return rc;
}

static int cmd_stock(const tt_cli_t *c)
{
    static const column_t cols[] = {
        {"warehouse", M_WAREHOUSE, 0}, {"item", M_ITEM, 0}, {"qty", M_QTY, 1},
    };
    char path[512] = "/api/v1/stock";   /* the filters are bounded: 3 x (32 + 64) + 40 fits */

    if (c->warehouse && !tt_event_id_valid(c->warehouse)) {
        say(c->lang, M_BAD_ID, msg(c->lang, M_WAREHOUSE), c->warehouse);
        return TT_CLI_USAGE;
    }
    if (c->item && !tt_event_code_valid(c->item)) {
        say(c->lang, M_BAD_CODE, c->item);
        return TT_CLI_USAGE;
    }
    if (c->warehouse) {
        strcat(path, "?warehouse=");
        tt_httpc_pct_append(path, sizeof path, c->warehouse);
    }
    if (c->item) {
        strcat(path, c->warehouse ? "&item=" : "?item=");
        tt_httpc_pct_append(path, sizeof path, c->item);
    }
    return show_list(c, path, "stock", cols, sizeof cols / sizeof cols[0]);
}

static int cmd_terminals(const tt_cli_t *c)
{
    static const column_t cols[] = {
        {"id", M_TERMINAL, 0}, {"online", M_ONLINE, 0}, {"applied_seq", M_APPLIED, 1},
        {"rejected_events", M_REJ_EVENTS, 1}, {"rejected_messages", M_REJ_MESSAGES, 1},
        {"last_seen", M_LAST_SEEN, 0},
    };
    return show_list(c, "/api/v1/terminals", "terminals", cols, sizeof cols / sizeof cols[0]);
}

/* decode DATA: what a scan or an EPC means, as JSON on standard output; a
 * refusal is {"ok":false,"error":...} and exit 1, so scripts see both. */
static int cmd_decode(const tt_cli_t *c)
{
    char reason[160], *json;
    time_t now = time(NULL);
    struct tm tm;
    int year = localtime_r(&now, &tm) ? tm.tm_year + 1900 : 0;

    if (tt_tag_json(c->args[0], year, &json, reason, sizeof reason) != TT_OK) {
        cJSON *o = cJSON_CreateObject();
        char *text;
        cJSON_AddBoolToObject(o, "ok", 0);
        cJSON_AddStringToObject(o, "error", reason);
        text = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (text)
            printf("%s\n", text);
        free(text);
        return TT_CLI_ANSWER;
    }
    printf("%s\n", json);
    free(json);
    return TT_CLI_OK;
}

/* ---- the command line ---- */

static const command_t COMMANDS[] = {
    {"scan", "scan [-s SOCKET] receive|issue WAREHOUSE OPERATOR CODE QTY", 5, OPT_SOCKET,
     cmd_scan},
    {"status", "status [-s SOCKET] [--json]", 0, OPT_SOCKET | OPT_JSON, cmd_status},
    {"rejection", "rejection [-s SOCKET] SEQ", 1, OPT_SOCKET, cmd_rejection},
    {"stock", "stock [-S URL] [--warehouse W] [--item CODE] [--json]", 0,
     OPT_SERVER | OPT_WAREHOUSE | OPT_ITEM | OPT_JSON, cmd_stock},
    {"terminals", "terminals [-S URL] [--json]", 0, OPT_SERVER | OPT_JSON, cmd_terminals},
    {"report",
     "report NAME [-S URL] [--format json|csv|xlsx] [--out FILE] [--FILTER VALUE]...\n"
     "    NAME: issues stats safety safety-detail expense-tags assessment recovery work-areas "
     "lots exceptions\n"
     "    FILTER: item unit warehouse category from to month group part state terminal tag "
     "after limit lang (docs/api.md, Reports)",
     -1, 0, tt_clireport_run},
    {"decode", "decode DATA", 1, 0, cmd_decode},
    {"labels",
     "labels cards [--operator ID]... [--warehouse ID]... [--to ID]... [--unit ID]... "
     "[--tounit ID]... [OUTPUT]\n"
     "  tagtrail labels item --gtin GTIN [--batch BATCH] [--expiry YYMMDD] [--count N] "
     "[--name TEXT] [--symbology gs1-128|datamatrix|qr] [OUTPUT]\n"
     "  tagtrail labels asset --giai GIAI [--name TEXT] [--symbology gs1-128|datamatrix|qr] "
     "[OUTPUT]\n"
     "    OUTPUT: [--format svg|png|zpl] [--out FILE] [--font PRINTER-FONT (zpl, for Chinese)]",
     -1, 0, tt_clilabels_run},
    {"provision",
     "provision --init-ca DIR --host BROKER-NAME... [--port 8883] [--days N]\n"
     "  tagtrail provision TERMINAL|--server --ca-dir DIR --out DIR [--url ssl://HOST:PORT] "
     "[--days N] [--replace]",
     -1, 0, tt_cliprov_provision},
    {"revoke", "revoke TERMINAL --ca-dir DIR", -1, 0, tt_cliprov_revoke},
};

static void usage(tt_cli_lang_t lang, FILE *f)
{
    fprintf(f, "%s\n", msg(lang, M_USAGE));
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  tagtrail %s\n", COMMANDS[i].synopsis);
    fprintf(f, "  tagtrail help | --help | --version\n%s\n", msg(lang, M_USAGE_NOTE));
}

/* Fills *c from argv.  Options may come anywhere after the command; "--"
 * ends them; "-5" is an argument (a bad quantity), not an option.  Returns
 * -1 to run c->cmd, or an exit code (help and --version print and give 0). */
static int parse_args(int argc, char **argv, tt_cli_t *c)
{
    const size_t nopt = sizeof OPTIONS / sizeof OPTIONS[0];
    const char *v;
    int only_args = 0;

    memset(c, 0, sizeof *c);
    c->lang = pick_lang();
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "-h")) {
        usage(c->lang, argc < 2 ? stderr : stdout);
        return argc < 2 ? TT_CLI_USAGE : TT_CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("tagtrail %s\n", TT_VERSION);
        return TT_CLI_OK;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0)
            c->cmd = &COMMANDS[i];
    if (!c->cmd) {
        say(c->lang, M_UNKNOWN_CMD, argv[1]);
        return TT_CLI_USAGE;
    }
    if (c->cmd->nargs < 0) {   /* parses its own options (labels: ids repeat) */
        c->rest = argv + 2;
        c->nrest = argc - 2;
        return -1;
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        size_t k = 0;
        if (!only_args && strcmp(a, "--") == 0) {
            only_args = 1;
        } else if (only_args || a[0] != '-' || a[1] == '\0' || isdigit((unsigned char)a[1])) {
            if (c->nargs == c->cmd->nargs) {
                return tt_cli_usage(c);
            }
            c->args[c->nargs++] = argv[i];
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(c->lang, stdout);
            return TT_CLI_OK;
        } else {
            while (k < nopt && strcmp(a, OPTIONS[k].name) != 0)
                k++;
            if (k == nopt || !(c->cmd->opts & OPTIONS[k].bit)) {
                return tt_cli_bad_option(c, a);
            }
            if (OPTIONS[k].has_value && i + 1 >= argc) {
                return tt_cli_needs_value(c, a);
            }
            v = OPTIONS[k].has_value ? argv[++i] : NULL;
            c->socket = OPTIONS[k].bit == OPT_SOCKET ? v : c->socket;
            c->server = OPTIONS[k].bit == OPT_SERVER ? v : c->server;
            c->warehouse = OPTIONS[k].bit == OPT_WAREHOUSE ? v : c->warehouse;
            c->item = OPTIONS[k].bit == OPT_ITEM ? v : c->item;
            c->json |= OPTIONS[k].bit == OPT_JSON;
        }
    }
    if (c->nargs != c->cmd->nargs) {
        return tt_cli_usage(c);
    }
    if (!c->socket && (v = getenv("TT_SOCKET")) != NULL && *v)
        c->socket = v;
    if (!c->socket && (c->cmd->opts & OPT_SOCKET)) {
        say(c->lang, M_NO_SOCKET);
        return TT_CLI_USAGE;
    }
    if (!c->server)
        c->server = (v = getenv("TT_SERVER")) != NULL && *v ? v : TT_CLI_DEFAULT_SERVER;
    return -1;
}

int main(int argc, char **argv)
{
    tt_cli_t c;
    int rc = parse_args(argc, argv, &c);

    if (rc < 0)
        rc = c.cmd->run(&c);
    /* A full disk or a closed pipe on stdout must not look like success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        say(c.lang, M_OUTPUT, strerror(errno));
        return rc == TT_CLI_OK ? TT_CLI_ANSWER : rc;
    }
    return rc;
}
