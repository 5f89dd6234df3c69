/*
 * tagtrail: the command-line tool.  It drives a terminal through its control
 * socket (docs/protocol.md, "Terminal control socket") and reads the server's
 * HTTP API (docs/api.md).
 *
 * Messages are Chinese unless TT_LANG (or, without it, LANG) starts with
 * "en".  Exit codes: 0 ok; 1 the terminal or server answered with an error
 * (or with something unreadable); 2 usage error; 3 the terminal or server is
 * not there or did not answer in time.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "control.h"   /* TT_CONTROL_LINE_MAX only: the tool links tt_shared alone */
#include "event.h"
#include "money.h"

#ifndef TT_VERSION
#define TT_VERSION "unknown"   /* CMake defines it; a standalone build may not */
#endif

#define DEFAULT_SERVER "http://127.0.0.1:8080"
#define TIMEOUT_S 10                       /* each connect, send and receive */
#define HTTP_TOTAL_MS 60000                /* a whole HTTP exchange, against a trickling server */
#define HTTP_MAX (16u * 1024 * 1024)       /* largest HTTP reply read */
#define REPLY_MAX (TT_CONTROL_LINE_MAX * 4) /* control replies are cut to this by the terminal */
#define CELL_MAX 96                        /* longest table cell shown, with NUL */

enum { RC_OK = 0, RC_ANSWER = 1, RC_USAGE = 2, RC_UNREACH = 3 };

typedef enum { LANG_ZH = 0, LANG_EN = 1 } lang_t;

/* Every text a person reads.  zh and en of one entry are printf formats with
 * the same conversions in the same order (the compiler cannot check them). */
enum {
    M_USAGE, M_SYNOPSIS, M_NO_SOCKET, M_UNKNOWN_CMD, M_UNKNOWN_OPT, M_OPT_NOT_FOR, M_NEEDS_VALUE,
    M_BAD_OP, M_BAD_WAREHOUSE, M_BAD_OPERATOR, M_BAD_CODE, M_BAD_QTY, M_BIG_QTY, M_BAD_SEQ,
    M_SOCK_LONG, M_TERM_UNREACH, M_TERM_TIMEOUT, M_TERM_CLOSED, M_SCAN_UNKNOWN, M_TERM_BAD,
    M_TERM_ERR, M_NOT_RECORDED, M_RECORDED, M_REJECTION, M_BAD_URL, M_SRV_UNREACH,
    M_SRV_TIMEOUT, M_SRV_TOOBIG, M_SRV_BAD, M_SRV_ERR, M_SRV_STATUS, M_NOMEM, M_OUTPUT,
    M_YES, M_NO, M_NONE, M_TERMINAL, M_SITE, M_BOARD, M_FIRMWARE, M_LAST_SEQ, M_SYNCED,
    M_PENDING, M_REJECTED, M_CONNECTED, M_SERVER_ONLINE, M_WAREHOUSE, M_ITEM, M_QTY, M_ONLINE,
    M_APPLIED, M_REJ_EVENTS, M_REJ_MESSAGES, M_LAST_SEEN, M_COUNT
};

static const struct {
    const char *zh, *en;
} MESSAGES[M_COUNT] = {
    [M_USAGE] = {
        "用法：\n"
        "  tagtrail scan [-s 套接字] receive|issue 仓库 操作员 物料码 数量\n"
        "  tagtrail status [-s 套接字] [--json]\n"
        "  tagtrail rejection [-s 套接字] 序号\n"
        "  tagtrail stock [-S 网址] [--warehouse 仓库] [--item 物料码] [--json]\n"
        "  tagtrail terminals [-S 网址] [--json]\n"
        "  tagtrail help | --help | --version\n"
        "套接字默认取 $TT_SOCKET；网址默认取 $TT_SERVER，否则 " DEFAULT_SERVER "。\n"
        "语言：TT_LANG=en 或 LANG=en* 显示英文。\n",
        "usage:\n"
        "  tagtrail scan [-s SOCKET] receive|issue WAREHOUSE OPERATOR CODE QTY\n"
        "  tagtrail status [-s SOCKET] [--json]\n"
        "  tagtrail rejection [-s SOCKET] SEQ\n"
        "  tagtrail stock [-S URL] [--warehouse W] [--item CODE] [--json]\n"
        "  tagtrail terminals [-S URL] [--json]\n"
        "  tagtrail help | --help | --version\n"
        "SOCKET defaults to $TT_SOCKET; URL to $TT_SERVER, else " DEFAULT_SERVER ".\n"
        "Language: TT_LANG=en or LANG=en* for English, Chinese otherwise.\n"},
    [M_SYNOPSIS] = {"用法：tagtrail %s", "usage: tagtrail %s"},
    [M_NO_SOCKET] = {"没有控制套接字：请用 -s 路径 或设置 TT_SOCKET",
                     "no control socket: give -s PATH or set TT_SOCKET"},
    [M_UNKNOWN_CMD] = {"未知命令 '%s'（见 tagtrail help）", "unknown command '%s' (see tagtrail help)"},
    [M_UNKNOWN_OPT] = {"未知选项 '%s'", "unknown option '%s'"},
    [M_OPT_NOT_FOR] = {"选项 %s 不适用于 %s", "option %s does not apply to %s"},
    [M_NEEDS_VALUE] = {"选项 %s 需要一个值", "option %s needs a value"},
    [M_BAD_OP] = {"操作必须是 receive（入库）或 issue（出库），不是 '%s'",
                  "operation must be receive or issue, not '%s'"},
    [M_BAD_WAREHOUSE] = {"仓库 '%s' 无效：应为 1-32 个 A-Z a-z 0-9 _ . -",
                         "warehouse '%s' is not valid: 1-32 of A-Z a-z 0-9 _ . -"},
    [M_BAD_OPERATOR] = {"操作员 '%s' 无效：应为 1-32 个 A-Z a-z 0-9 _ . -",
                        "operator '%s' is not valid: 1-32 of A-Z a-z 0-9 _ . -"},
    [M_BAD_CODE] = {"物料码 '%s' 无效：应为 1-64 个可打印 ASCII 字符，不含空格、引号、反斜杠",
                    "item code '%s' is not valid: 1-64 printable ASCII characters, "
                    "no spaces, quotes or backslashes"},
    [M_BAD_QTY] = {"数量 '%s' 必须是正数，最多 3 位小数，例如 12.5",
                   "quantity '%s' must be a positive decimal with at most 3 decimals, e.g. 12.5"},
    [M_BIG_QTY] = {"数量 '%s' 太大", "quantity '%s' is too large"},
    [M_BAD_SEQ] = {"序号 '%s' 必须是 1 到 9007199254740991 的整数",
                   "sequence number '%s' must be a whole number from 1 to 9007199254740991"},
    [M_SOCK_LONG] = {"控制套接字路径太长：%s", "control socket path too long: %s"},
    [M_TERM_UNREACH] = {"无法连接终端 %s：%s", "terminal not reachable at %s: %s"},
    [M_TERM_TIMEOUT] = {"终端 %s 在 %d 秒内没有应答", "terminal at %s did not answer within %d s"},
    [M_TERM_CLOSED] = {"终端 %s 未应答就关闭了连接",
                       "terminal at %s closed the connection without answering"},
    [M_SCAN_UNKNOWN] = {"这次扫描可能已记录，也可能没有：重扫之前请先用 tagtrail status 查看",
                        "the scan may or may not have been recorded: check tagtrail status "
                        "before scanning again"},
    [M_TERM_BAD] = {"终端的应答无法识别：%s", "terminal sent an unexpected reply: %s"},
    [M_TERM_ERR] = {"终端报错（%s）：%s", "terminal error (%s): %s"},
    [M_NOT_RECORDED] = {"未记录（%s）：%s", "not recorded (%s): %s"},
    [M_RECORDED] = {"已记录：序号 %s", "recorded: seq %s"},
    [M_REJECTION] = {"序号 %s 被拒绝：%s", "seq %s was rejected: %s"},
    [M_BAD_URL] = {"服务器网址 '%s' 无效：应为 http://主机:端口",
                   "server URL '%s' is not valid: use http://HOST:PORT"},
    [M_SRV_UNREACH] = {"无法连接服务器 %s：%s", "server not reachable at %s: %s"},
    [M_SRV_TIMEOUT] = {"服务器 %s 在时限内没有应答", "server at %s did not answer in time"},
    [M_SRV_TOOBIG] = {"服务器的应答超过 %u 字节", "server reply is larger than %u bytes"},
    [M_SRV_BAD] = {"服务器的应答无法识别：%s", "server sent an unreadable reply: %s"},
    [M_SRV_ERR] = {"服务器报错（HTTP %d）：%s", "server error (HTTP %d): %s"},
    [M_SRV_STATUS] = {"服务器应答 HTTP %d", "server answered HTTP %d"},
    [M_NOMEM] = {"内存不足", "out of memory"},
    [M_OUTPUT] = {"无法写出结果：%s", "cannot write output: %s"},
    [M_YES] = {"是", "yes"},
    [M_NO] = {"否", "no"},
    [M_NONE] = {"（无）", "(none)"},
    [M_TERMINAL] = {"终端", "terminal"},
    [M_SITE] = {"站点", "site"},
    [M_BOARD] = {"板卡", "board"},
    [M_FIRMWARE] = {"固件", "firmware"},
    [M_LAST_SEQ] = {"最新序号", "last seq"},
    [M_SYNCED] = {"已同步至", "synced"},
    [M_PENDING] = {"待上传", "pending"},
    [M_REJECTED] = {"被拒绝", "rejected"},
    [M_CONNECTED] = {"已连接", "connected"},
    [M_SERVER_ONLINE] = {"服务器在线", "server online"},
    [M_WAREHOUSE] = {"仓库", "warehouse"},
    [M_ITEM] = {"物料", "item"},
    [M_QTY] = {"数量", "qty"},
    [M_ONLINE] = {"在线", "online"},
    [M_APPLIED] = {"已处理序号", "applied"},
    [M_REJ_EVENTS] = {"被拒事件", "rejected events"},
    [M_REJ_MESSAGES] = {"被拒消息", "rejected messages"},
    [M_LAST_SEEN] = {"最后在线", "last seen"},
};

enum { OPT_SOCKET = 1, OPT_SERVER = 2, OPT_JSON = 4, OPT_WAREHOUSE = 8, OPT_ITEM = 16 };

static const struct {
    const char *name;
    unsigned bit;
    int has_value;
} OPTIONS[] = {
    {"-s", OPT_SOCKET, 1},       {"-S", OPT_SERVER, 1},   {"--json", OPT_JSON, 0},
    {"--warehouse", OPT_WAREHOUSE, 1}, {"--item", OPT_ITEM, 1},
};

typedef struct command command_t;

/* The parsed command line.  Strings point into argv or the environment. */
typedef struct {
    lang_t lang;
    const command_t *cmd;
    const char *socket;      /* -s or $TT_SOCKET; NULL for neither */
    const char *server;      /* -S, $TT_SERVER or DEFAULT_SERVER */
    const char *warehouse;   /* stock filters; NULL for none */
    const char *item;
    int json;
    int nargs;
    char *args[5];
} cli_t;

struct command {
    const char *name;
    const char *synopsis;
    int nargs;               /* positional arguments, exactly */
    unsigned opts;           /* OPT_* bits it accepts */
    int (*run)(const cli_t *c);   /* returns an RC_* */
};

static const char *msg(lang_t lang, int id)
{
    return lang == LANG_EN ? MESSAGES[id].en : MESSAGES[id].zh;
}

/* Prints "tagtrail: <message>\n" to stderr; `id` names a format. */
static void say(lang_t lang, int id, ...)
{
    va_list ap;
    fputs("tagtrail: ", stderr);
    va_start(ap, id);
    vfprintf(stderr, msg(lang, id), ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Prints message `id` (a format) and a newline to stdout. */
static void tell(lang_t lang, int id, ...)
{
    va_list ap;
    va_start(ap, id);
    vprintf(msg(lang, id), ap);
    va_end(ap);
    putchar('\n');
}

/* Chinese is the default (storekeepers read Chinese); only an explicit "en"
 * picks English.  TT_LANG wins over LANG so either can be forced per tool. */
static lang_t pick_lang(void)
{
    const char *v = getenv("TT_LANG");
    if (!v || !*v)
        v = getenv("LANG");
    return v && strncmp(v, "en", 2) == 0 ? LANG_EN : LANG_ZH;
}

/* Terminal columns `s` takes: CJK and fullwidth code points count two, others
 * one.  Enough to align our own headers over ASCII data. */
static size_t text_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0;
    for (; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;   /* continuation byte */
        if (*p >= 0xF0) {
            w += 2;     /* supplementary planes: CJK extensions, emoji */
            continue;
        }
        if (*p >= 0xE0 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
            unsigned cp = ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
            if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                (cp >= 0xFFE0 && cp <= 0xFFE6)) {
                w += 2;
                continue;
            }
        }
        w++;
    }
    return w;
}

/* Prints `s` padded with spaces to `width` columns, on the left if `right`. */
static void print_padded(const char *s, size_t width, int right)
{
    size_t w = text_width(s);
    if (right)
        printf("%*s", (int)(width > w ? width - w : 0), "");
    fputs(s, stdout);
    if (!right)
        printf("%*s", (int)(width > w ? width - w : 0), "");
}

/* Writes field `key` of `obj` as text: strings as they are (control bytes
 * shown as '?', they would drive the terminal), numbers in full, booleans as
 * yes/no, anything missing as "-". */
static void field_text(lang_t lang, const cJSON *obj, const char *key, char *out, size_t cap)
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
        snprintf(out, cap, "%.16g", v->valuedouble);   /* exact up to 2^53 */
    } else {
        snprintf(out, cap, "-");
    }
}

typedef struct {
    const char *key;   /* field of each row object */
    int header;        /* M_* */
    int right;         /* right-aligned (numbers) */
} column_t;

/* Prints the objects of array `rows` as a table aligned on display width:
 * one pass to measure, one to print. */
static void print_table(lang_t lang, const cJSON *rows, const column_t *cols, size_t ncol)
{
    size_t width[8] = {0};
    char cell[CELL_MAX];
    const cJSON *row;

    for (size_t i = 0; i < ncol; i++)
        width[i] = text_width(msg(lang, cols[i].header));
    cJSON_ArrayForEach(row, rows) {
        for (size_t i = 0; i < ncol; i++) {
            field_text(lang, row, cols[i].key, cell, sizeof cell);
            if (text_width(cell) > width[i])
                width[i] = text_width(cell);
        }
    }
    for (size_t i = 0; i < ncol; i++) {
        print_padded(msg(lang, cols[i].header), i + 1 < ncol || cols[i].right ? width[i] : 0,
                     cols[i].right);
        fputs(i + 1 < ncol ? "  " : "\n", stdout);
    }
    cJSON_ArrayForEach(row, rows) {
        for (size_t i = 0; i < ncol; i++) {
            field_text(lang, row, cols[i].key, cell, sizeof cell);
            print_padded(cell, i + 1 < ncol || cols[i].right ? width[i] : 0, cols[i].right);
            fputs(i + 1 < ncol ? "  " : "\n", stdout);
        }
    }
    if (cJSON_GetArraySize(rows) == 0)
        printf("%s\n", msg(lang, M_NONE));
}

/* ---- the terminal's control socket ---- */

static void set_timeouts(int fd)
{
    struct timeval tv = {.tv_sec = TIMEOUT_S, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Sends all of buf; MSG_NOSIGNAL so a peer that went away is an error, not
 * SIGPIPE.  Returns 0, or -1 with errno set. */
static int send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Sends `line` to the terminal and reads its reply line into reply[cap]
 * (newline stripped).  Returns RC_OK, or says why not and returns RC_USAGE,
 * RC_UNREACH or RC_ANSWER (an over-long reply).  For a scan, a failure after
 * the line was sent leaves the outcome unknown, and the user is told so. */
static int control_ask(const cli_t *c, const char *line, int is_scan, char *reply, size_t cap)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t used = 0, len = strlen(line);
    int fd, rc = RC_UNREACH;

    if (strlen(c->socket) >= sizeof sa.sun_path) {
        say(c->lang, M_SOCK_LONG, c->socket);
        return RC_USAGE;
    }
    memcpy(sa.sun_path, c->socket, strlen(c->socket) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        say(c->lang, M_TERM_UNREACH, c->socket, strerror(errno));
        return RC_UNREACH;
    }
    set_timeouts(fd);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (errno == EAGAIN || errno == EINPROGRESS)
            say(c->lang, M_TERM_TIMEOUT, c->socket, TIMEOUT_S);
        else
            say(c->lang, M_TERM_UNREACH, c->socket, strerror(errno));
        close(fd);
        return RC_UNREACH;
    }
    if (send_all(fd, line, len) != 0 || send_all(fd, "\n", 1) != 0) {
        say(c->lang, M_TERM_UNREACH, c->socket, strerror(errno));
        goto out;
    }
    for (;;) {
        ssize_t n = recv(fd, reply + used, cap - 1 - used, 0);
        char *nl;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            say(c->lang, M_TERM_TIMEOUT, c->socket, TIMEOUT_S);
            goto out;
        }
        if (n < 0) {
            say(c->lang, M_TERM_UNREACH, c->socket, strerror(errno));
            goto out;
        }
        if (n == 0) {
            say(c->lang, M_TERM_CLOSED, c->socket);
            goto out;
        }
        used += (size_t)n;
        reply[used] = '\0';
        if ((nl = strchr(reply, '\n')) != NULL) {
            *nl = '\0';
            if (nl > reply && nl[-1] == '\r')
                nl[-1] = '\0';
            rc = RC_OK;
            goto out;
        }
        if (used == cap - 1) {
            say(c->lang, M_TERM_BAD, "(too long)");
            rc = RC_ANSWER;
            goto out;
        }
    }
out:
    close(fd);
    if (rc != RC_OK && is_scan)
        say(c->lang, M_SCAN_UNKNOWN);
    return rc;
}

/* Asks the terminal and splits its reply.  On "ok REST" returns RC_OK with
 * *rest pointing into reply; on "err CODE MESSAGE" or anything else says so
 * and returns RC_ANSWER; other failures as for control_ask. */
static int terminal_call(const cli_t *c, const char *line, int is_scan, char *reply,
                         size_t cap, const char **rest)
{
    int rc = control_ask(c, line, is_scan, reply, cap);
    if (rc != RC_OK)
        return rc;
    if (strcmp(reply, "ok") == 0 || strncmp(reply, "ok ", 3) == 0) {
        *rest = reply[2] ? reply + 3 : reply + 2;
        return RC_OK;
    }
    if (strncmp(reply, "err ", 4) == 0) {
        char *code = reply + 4, *text = code + strcspn(code, " ");
        if (*text)
            *text++ = '\0';
        say(c->lang, is_scan ? M_NOT_RECORDED : M_TERM_ERR, code, text);
        return RC_ANSWER;
    }
    say(c->lang, M_TERM_BAD, reply);
    return RC_ANSWER;
}

static int cmd_scan(const cli_t *c)
{
    char line[TT_CONTROL_LINE_MAX], reply[REPLY_MAX];
    const char *op = c->args[0], *wh = c->args[1], *who = c->args[2];
    const char *code = c->args[3], *qtext = c->args[4], *rest;
    tt_qty_t qty;
    tt_err_t err;
    int rc;

    if (strcmp(op, "receive") != 0 && strcmp(op, "issue") != 0) {
        say(c->lang, M_BAD_OP, op);
        return RC_USAGE;
    }
    if (!tt_event_id_valid(wh)) {
        say(c->lang, M_BAD_WAREHOUSE, wh);
        return RC_USAGE;
    }
    if (!tt_event_id_valid(who)) {
        say(c->lang, M_BAD_OPERATOR, who);
        return RC_USAGE;
    }
    if (!tt_event_code_valid(code)) {
        say(c->lang, M_BAD_CODE, code);
        return RC_USAGE;
    }
    err = tt_qty_parse(qtext, &qty);
    if (err != TT_OK || qty <= 0) {
        say(c->lang, err == TT_ERR_RANGE ? M_BIG_QTY : M_BAD_QTY, qtext);
        return RC_USAGE;
    }
    /* Every field is bounded above, so the line always fits. */
    snprintf(line, sizeof line, "scan %s %s %s %s %s", op, wh, who, code, qtext);
    rc = terminal_call(c, line, 1, reply, sizeof reply, &rest);
    if (rc == RC_OK)
        tell(c->lang, M_RECORDED, rest);
    return rc;
}

static int cmd_status(const cli_t *c)
{
    static const struct {
        const char *key;
        int label;
    } lines[] = {
        {"terminal", M_TERMINAL}, {"site", M_SITE},     {"board", M_BOARD},
        {"firmware", M_FIRMWARE}, {"last_seq", M_LAST_SEQ}, {"synced", M_SYNCED},
        {"pending", M_PENDING},   {"rejected", M_REJECTED}, {"connected", M_CONNECTED},
        {"server_online", M_SERVER_ONLINE},
    };
    char reply[REPLY_MAX], value[CELL_MAX];
    const char *rest;
    size_t width = 0;
    cJSON *st;
    int rc = terminal_call(c, "status", 0, reply, sizeof reply, &rest);

    if (rc != RC_OK)
        return rc;
    st = cJSON_Parse(rest);
    if (!cJSON_IsObject(st)) {
        say(c->lang, M_TERM_BAD, reply);
        cJSON_Delete(st);
        return RC_ANSWER;
    }
    if (c->json) {
        printf("%s\n", rest);
        cJSON_Delete(st);
        return RC_OK;
    }
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (text_width(msg(c->lang, lines[i].label)) > width)
            width = text_width(msg(c->lang, lines[i].label));
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        field_text(c->lang, st, lines[i].key, value, sizeof value);
        print_padded(msg(c->lang, lines[i].label), width, 0);
        printf("  %s\n", value);
    }
    cJSON_Delete(st);
    return RC_OK;
}

static int cmd_rejection(const cli_t *c)
{
    char line[64], reply[REPLY_MAX];
    const char *seq = c->args[0], *rest;
    size_t n = strspn(seq, "0123456789");
    int rc;

    /* Digits only (no sign, space or exponent), 1 .. 2^53 - 1. */
    if (n == 0 || seq[n] != '\0' || n > 16 || strtoull(seq, NULL, 10) == 0 ||
        strtoull(seq, NULL, 10) > TT_EVENT_SEQ_MAX) {
        say(c->lang, M_BAD_SEQ, seq);
        return RC_USAGE;
    }
    snprintf(line, sizeof line, "rejection %s", seq);
    rc = terminal_call(c, line, 0, reply, sizeof reply, &rest);
    if (rc == RC_OK)
        tell(c->lang, M_REJECTION, seq, rest);
    return rc;
}

/* ---- the server's HTTP API ---- */

/* Splits "http://HOST[:PORT][/]" (port 80 if absent).  HOST is an IPv4
 * address or a name resolved to IPv4; no IPv6, user info, path or query.
 * Returns 0, or -1 for any other shape. */
static int url_parse(const char *url, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *h = url + 7, *end, *colon;
    size_t hlen;

    if (strncmp(url, "http://", 7) != 0)
        return -1;
    end = h + strcspn(h, "/");
    if (*end == '/' && end[1] != '\0')
        return -1;
    colon = memchr(h, ':', (size_t)(end - h));
    hlen = (size_t)((colon ? colon : end) - h);
    if (hlen == 0 || hlen >= hcap)
        return -1;
    for (size_t i = 0; i < hlen; i++)
        if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-')
            return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    if (!colon) {
        snprintf(port, pcap, "80");
        return 0;
    }
    colon++;
    if (end - colon < 1 || end - colon > 5 || strspn(colon, "0123456789") < (size_t)(end - colon))
        return -1;
    snprintf(port, pcap, "%.*s", (int)(end - colon), colon);
    return atoi(port) >= 1 && atoi(port) <= 65535 ? 0 : -1;
}

/* Appends `s` to buf[cap], percent-encoding all but RFC 3986 unreserved
 * bytes.  Truncates rather than overflows; callers size buf for the worst. */
static void pct_append(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);
    for (; *s && n + 4 <= cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~')
            buf[n++] = (char)ch;
        else
            n += (size_t)snprintf(buf + n, cap - n, "%%%02X", ch);
    }
    buf[n] = '\0';
}

/* Connects to the server and sends a GET for `path`.  Returns the socket,
 * or says why not and returns -RC_USAGE or -RC_UNREACH. */
static int http_connect(const cli_t *c, const char *path)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res, *ai;
    char host[256], port[8], req[1024];
    int fd = -1, gai, saved = 0;

    if (url_parse(c->server, host, sizeof host, port, sizeof port) != 0) {
        say(c->lang, M_BAD_URL, c->server);
        return -RC_USAGE;
    }
    gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        say(c->lang, M_SRV_UNREACH, c->server, gai_strerror(gai));
        return -RC_UNREACH;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        set_timeouts(fd);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (saved == EAGAIN || saved == EINPROGRESS)
            say(c->lang, M_SRV_TIMEOUT, c->server);
        else
            say(c->lang, M_SRV_UNREACH, c->server, strerror(saved));
        return -RC_UNREACH;
    }
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\nHost: %s:%s\r\nAccept: application/json\r\n"
             "User-Agent: tagtrail/" TT_VERSION "\r\nConnection: close\r\n\r\n",
             path, host, port);
    if (send_all(fd, req, strlen(req)) != 0) {
        say(c->lang, M_SRV_UNREACH, c->server, strerror(errno));
        close(fd);
        return -RC_UNREACH;
    }
    return fd;
}

/* Reads the whole reply (the server closes: we sent Connection: close) into
 * a new NUL-terminated buffer.  Returns RC_OK, or says why not. */
static int http_read(const cli_t *c, int fd, char **out, size_t *outlen)
{
    int64_t deadline = tt_clock_mono_ms() + HTTP_TOTAL_MS;
    size_t cap = 64 * 1024, used = 0;
    char *buf = malloc(cap + 1), *bigger;

    for (;;) {
        ssize_t n;
        if (!buf) {
            say(c->lang, M_NOMEM);
            return RC_ANSWER;
        }
        if (used == cap) {   /* room for HTTP_MAX plus one byte to notice more */
            if (cap > HTTP_MAX) {
                say(c->lang, M_SRV_TOOBIG, HTTP_MAX);
                free(buf);
                return RC_ANSWER;
            }
            cap = cap * 2 > HTTP_MAX ? HTTP_MAX + 1 : cap * 2;
            bigger = realloc(buf, cap + 1);
            if (!bigger)
                free(buf);
            buf = bigger;
            continue;
        }
        n = recv(fd, buf + used, cap - used, 0);
        if (n == 0)
            break;
        if (n < 0 && errno == EINTR)
            continue;
        if ((n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) ||
            tt_clock_mono_ms() > deadline) {
            say(c->lang, M_SRV_TIMEOUT, c->server);
            free(buf);
            return RC_UNREACH;
        }
        if (n < 0) {
            say(c->lang, M_SRV_UNREACH, c->server, strerror(errno));
            free(buf);
            return RC_UNREACH;
        }
        used += (size_t)n;
    }
    buf[used] = '\0';
    *out = buf;
    *outlen = used;
    return RC_OK;
}

/* GETs `path` and returns the body of a 200 reply, parsed, in *json and, as
 * sent, in *body (caller frees both).  Any other status is reported with the
 * server's "error" field when it has one, and gives RC_ANSWER. */
static int http_get_json(const cli_t *c, const char *path, char **body, cJSON **json)
{
    char *buf, *hdr_end, *line, *bstart;
    size_t len, blen;
    long long clen = -1;
    int fd = http_connect(c, path), rc, status;
    const cJSON *e;

    if (fd < 0)
        return -fd;
    rc = http_read(c, fd, &buf, &len);
    close(fd);
    if (rc != RC_OK)
        return rc;
    hdr_end = strstr(buf, "\r\n\r\n");
    if (!hdr_end || strncmp(buf, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)buf[7]) ||
        buf[8] != ' ' || strspn(buf + 9, "0123456789") != 3 || (buf[12] != ' ' && buf[12] != '\r')) {
        say(c->lang, M_SRV_BAD, "no HTTP status line");
        free(buf);
        return RC_ANSWER;
    }
    status = atoi(buf + 9);
    *hdr_end = '\0';
    for (line = strstr(buf, "\r\n"); line; line = strstr(line, "\r\n")) {
        line += 2;
        if (strncasecmp(line, "Content-Length:", 15) == 0)
            clen = strtoll(line + 15, NULL, 10);
        else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0)
            clen = -2;   /* chunked: our server never sends it, so neither do we read it */
    }
    bstart = hdr_end + 4;
    blen = len - (size_t)(bstart - buf);
    if (clen == -2 || (clen >= 0 && (size_t)clen != blen)) {
        say(c->lang, M_SRV_BAD, clen == -2 ? "chunked encoding" : "truncated body");
        free(buf);
        return RC_ANSWER;
    }
    memmove(buf, bstart, blen + 1);
    *json = cJSON_ParseWithLength(buf, blen);
    if (status != 200) {
        e = cJSON_GetObjectItemCaseSensitive(*json, "error");
        if (cJSON_IsString(e))
            say(c->lang, M_SRV_ERR, status, e->valuestring);
        else
            say(c->lang, M_SRV_STATUS, status);
        rc = RC_ANSWER;
    } else if (!cJSON_IsObject(*json)) {
        say(c->lang, M_SRV_BAD, "body is not a JSON object");
        rc = RC_ANSWER;
    }
    if (rc != RC_OK) {
        cJSON_Delete(*json);
        free(buf);
        return rc;
    }
    *body = buf;
    return RC_OK;
}

/* Fetches `path`, then prints the body (--json) or array `key` as a table. */
static int show_list(const cli_t *c, const char *path, const char *key, const column_t *cols,
                     size_t ncol)
{
    char *body;
    cJSON *json;
    const cJSON *rows;
    int rc = http_get_json(c, path, &body, &json);

    if (rc != RC_OK)
        return rc;
    rows = cJSON_GetObjectItemCaseSensitive(json, key);
    if (!cJSON_IsArray(rows)) {
        say(c->lang, M_SRV_BAD, key);
        rc = RC_ANSWER;
    } else if (c->json) {
        fputs(body, stdout);
        if (!*body || body[strlen(body) - 1] != '\n')
            putchar('\n');
    } else {
        print_table(c->lang, rows, cols, ncol);
    }
    cJSON_Delete(json);
    free(body);
    return rc;
}

static int cmd_stock(const cli_t *c)
{
    static const column_t cols[] = {
        {"warehouse", M_WAREHOUSE, 0}, {"item", M_ITEM, 0}, {"qty", M_QTY, 1},
    };
    char path[512] = "/api/v1/stock";   /* filters are bounded: 3 x (32 + 64) + 40 fits */
    char sep = '?';

    if (c->warehouse && !tt_event_id_valid(c->warehouse)) {
        say(c->lang, M_BAD_WAREHOUSE, c->warehouse);
        return RC_USAGE;
    }
    if (c->item && !tt_event_code_valid(c->item)) {
        say(c->lang, M_BAD_CODE, c->item);
        return RC_USAGE;
    }
    if (c->warehouse) {
        snprintf(path + strlen(path), sizeof path - strlen(path), "%cwarehouse=", sep);
        pct_append(path, sizeof path, c->warehouse);
        sep = '&';
    }
    if (c->item) {
        snprintf(path + strlen(path), sizeof path - strlen(path), "%citem=", sep);
        pct_append(path, sizeof path, c->item);
    }
    return show_list(c, path, "stock", cols, sizeof cols / sizeof cols[0]);
}

static int cmd_terminals(const cli_t *c)
{
    static const column_t cols[] = {
        {"id", M_TERMINAL, 0},       {"online", M_ONLINE, 0},
        {"applied_seq", M_APPLIED, 1}, {"rejected_events", M_REJ_EVENTS, 1},
        {"rejected_messages", M_REJ_MESSAGES, 1}, {"last_seen", M_LAST_SEEN, 0},
    };
    return show_list(c, "/api/v1/terminals", "terminals", cols, sizeof cols / sizeof cols[0]);
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
};

/* Fills *c from argv.  Options may come anywhere after the command; "--"
 * ends them; "-5" is an argument (a bad quantity), not an option.  Returns
 * -1 to run c->cmd, or an exit code (help and --version print and give 0). */
static int parse_args(int argc, char **argv, cli_t *c)
{
    const char *v;
    int only_args = 0;

    memset(c, 0, sizeof *c);
    c->lang = pick_lang();
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(msg(c->lang, M_USAGE), argc < 2 ? stderr : stdout);
        return argc < 2 ? RC_USAGE : RC_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("tagtrail %s\n", TT_VERSION);
        return RC_OK;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0)
            c->cmd = &COMMANDS[i];
    if (!c->cmd) {
        say(c->lang, M_UNKNOWN_CMD, argv[1]);
        return RC_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        size_t k = 0, nopt = sizeof OPTIONS / sizeof OPTIONS[0];
        if (!only_args && strcmp(a, "--") == 0) {
            only_args = 1;
            continue;
        }
        if (only_args || a[0] != '-' || a[1] == '\0' || isdigit((unsigned char)a[1])) {
            if (c->nargs == c->cmd->nargs) {
                say(c->lang, M_SYNOPSIS, c->cmd->synopsis);
                return RC_USAGE;
            }
            c->args[c->nargs++] = argv[i];
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(msg(c->lang, M_USAGE), stdout);
            return RC_OK;
        }
        while (k < nopt && strcmp(a, OPTIONS[k].name) != 0)
            k++;
        if (k == nopt) {
            say(c->lang, M_UNKNOWN_OPT, a);
            return RC_USAGE;
        }
        if (!(c->cmd->opts & OPTIONS[k].bit)) {
            say(c->lang, M_OPT_NOT_FOR, a, c->cmd->name);
            return RC_USAGE;
        }
        if (OPTIONS[k].has_value && i + 1 >= argc) {
            say(c->lang, M_NEEDS_VALUE, a);
            return RC_USAGE;
        }
        v = OPTIONS[k].has_value ? argv[++i] : NULL;
        switch (OPTIONS[k].bit) {
        case OPT_SOCKET: c->socket = v; break;
        case OPT_SERVER: c->server = v; break;
        case OPT_WAREHOUSE: c->warehouse = v; break;
        case OPT_ITEM: c->item = v; break;
        default: c->json = 1; break;
        }
    }
    if (c->nargs != c->cmd->nargs) {
        say(c->lang, M_SYNOPSIS, c->cmd->synopsis);
        return RC_USAGE;
    }
    if (!c->socket && (v = getenv("TT_SOCKET")) != NULL && *v)
        c->socket = v;
    if (!c->socket && (c->cmd->opts & OPT_SOCKET)) {
        say(c->lang, M_NO_SOCKET);
        return RC_USAGE;
    }
    if (!c->server)
        c->server = (v = getenv("TT_SERVER")) != NULL && *v ? v : DEFAULT_SERVER;
    return -1;
}

int main(int argc, char **argv)
{
    cli_t c;
    int rc = parse_args(argc, argv, &c);

    if (rc < 0)
        rc = c.cmd->run(&c);
    /* A full disk or closed pipe on stdout must not look like success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        say(c.lang, M_OUTPUT, strerror(errno));
        return rc == RC_OK ? RC_ANSWER : rc;
    }
    return rc;
}
