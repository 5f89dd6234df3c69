/*
 * tagtrail: the command-line tool.  It drives a terminal through its control
 * socket (docs/protocol.md, "Terminal control socket"), reads the server's
 * HTTP API (docs/api.md), and makes and revokes broker identities
 * (firmware/provision.h; it only dispatches to that module).
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
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "control.h"   /* for the line limits only: the tool does not link the edge */
#include "event.h"
#include "labels.h"
#include "money.h"
#include "provision.h"
#include "tag.h"

#ifndef TT_VERSION
#define TT_VERSION "unknown"   /* CMake defines it; a standalone build may not */
#endif

#define DEFAULT_SERVER "http://127.0.0.1:8080"
#define TIMEOUT_S 10                         /* each connect, send and receive */
#define TOTAL_MS 60000                       /* a whole exchange, against a trickling peer */
#define HTTP_MAX (16u * 1024 * 1024)         /* largest HTTP reply read */
#define REPLY_MAX TT_CONTROL_REPLY_MAX   /* the terminal cuts its replies to this */
#define CELL_MAX 96                          /* longest table cell shown, with NUL */

enum { RC_OK = 0, RC_ANSWER = 1, RC_USAGE = 2, RC_UNREACH = 3 };

typedef enum { LANG_ZH = 0, LANG_EN = 1 } lang_t;

/* Every text a person reads.  The zh and en of one entry are printf formats
 * with the same conversions in the same order (no compiler checks them). */
enum {
    M_USAGE, M_USAGE_NOTE, M_SYNOPSIS, M_NO_SOCKET, M_UNKNOWN_CMD, M_BAD_OPTION, M_NEEDS_VALUE,
    M_BAD_OP, M_BAD_ID, M_BAD_CODE, M_BAD_QTY, M_BIG_QTY, M_BAD_SEQ, M_BAD_PATH, M_BAD_URL,
    M_UNREACH, M_TIMEOUT, M_CLOSED, M_TOOBIG, M_GARBLED, M_SCAN_UNKNOWN, M_TERM_ERR,
    M_NOT_RECORDED, M_RECORDED, M_REJECTION, M_SRV_ERR, M_SRV_STATUS, M_NOMEM, M_OUTPUT,
    M_YES, M_NO, M_NONE, M_SERVER, M_OPERATOR, M_TERMINAL, M_SITE, M_BOARD, M_FIRMWARE,
    M_LAST_SEQ, M_SYNCED, M_PENDING, M_REJECTED, M_CONNECTED, M_SERVER_ONLINE, M_STORE_UNSETTLED,
    M_WAREHOUSE,
    M_ITEM, M_QTY, M_ONLINE, M_APPLIED, M_REJ_EVENTS, M_REJ_MESSAGES, M_LAST_SEEN,
    M_LABEL_BAD, M_LABEL_FORMAT, M_LABEL_SYMBOLOGY, M_LABEL_PNG_OUT, M_LABEL_WRITE,   /* labels */
    M_REPORT_NAME, M_REPORT_FORMAT, M_REPORT_TTY, M_REPORT_LONG, M_REPORT_TOTAL,
    M_REPORT_MORE, M_REPORT_SAVED,   /* report */
    M_PROV_FAILED, M_PROV_CA_DONE, M_PROV_DONE, M_REVOKE_FAILED, M_REVOKED, M_BAD_NUMBER,
    M_COUNT
};

static const struct {
    const char *zh, *en;
} MESSAGES[M_COUNT] = {
    [M_USAGE] = {"用法：", "usage:"},
    [M_USAGE_NOTE] = {"套接字默认取 $TT_SOCKET；网址默认取 $TT_SERVER，否则为 " DEFAULT_SERVER
                      "。\nTT_LANG=en 显示英文。",
                      "SOCKET defaults to $TT_SOCKET; URL to $TT_SERVER, else " DEFAULT_SERVER
                      ".\nTT_LANG=zh shows Chinese."},
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
    /* labels */
    [M_LABEL_BAD] = {"无法生成标签：%s", "cannot make the label: %s"},
    [M_LABEL_FORMAT] = {"--format 必须是 svg、png 或 zpl，不是 '%s'",
                        "--format must be svg, png or zpl, not '%s'"},
    [M_LABEL_SYMBOLOGY] = {"--symbology 必须是 gs1-128、datamatrix 或 qr，不是 '%s'",
                           "--symbology must be gs1-128, datamatrix or qr, not '%s'"},
    [M_LABEL_PNG_OUT] = {"PNG 格式需要 --out 文件名", "PNG needs --out FILE"},
    [M_LABEL_WRITE] = {"无法写入 %s：%s", "cannot write %s: %s"},
    /* report */
    [M_REPORT_NAME] = {"未知报表 '%s'（见 tagtrail report --help）",
                       "unknown report '%s' (see tagtrail report --help)"},
    [M_REPORT_FORMAT] = {"--format 必须是 json、csv 或 xlsx，不是 '%s'",
                         "--format must be json, csv or xlsx, not '%s'"},
    [M_REPORT_TTY] = {"XLSX 不能输出到终端：请用 --out 文件名", "XLSX cannot go to a terminal: give --out FILE"},
    [M_REPORT_LONG] = {"筛选条件太长", "the filters are too long"},
    [M_REPORT_TOTAL] = {"合计", "total"},
    [M_REPORT_MORE] = {"还有更多行：加 --after %s 继续", "more rows follow: add --after %s"},
    [M_REPORT_SAVED] = {"已写入 %s（%zu 字节）", "wrote %s (%zu bytes)"},
    /* provision, revoke */
    [M_PROV_FAILED] = {"无法创建身份：%s", "cannot provision: %s"},
    [M_PROV_CA_DONE] = {"站点 CA 已建于 %s。把 %s/broker/ 中的文件复制到代理的 "
                        "/etc/mosquitto/tagtrail/（仅 mosquitto 用户可读），代理配置为 "
                        "deploy/mosquitto/tagtrail.conf；然后用 tagtrail provision --server "
                        "创建服务器的身份。",
                        "site CA made in %s. Copy the files of %s/broker/ to the broker's "
                        "/etc/mosquitto/tagtrail/ (readable by the mosquitto user only), with "
                        "deploy/mosquitto/tagtrail.conf as its configuration; then make the "
                        "server's identity with tagtrail provision --server."},
    [M_PROV_DONE] = {"%s 的身份已写入 %s：把该目录的文件复制到其配置文件旁，并以 mqtt.conf "
                     "替换配置中的 [mqtt] 段。再把 %s/broker/passwd 复制到代理并重新加载代理"
                     "（systemctl reload mosquitto 或 kill -HUP）。",
                     "the identity of %s is in %s: copy its files beside the config file and "
                     "replace the config's [mqtt] section with mqtt.conf. Then copy "
                     "%s/broker/passwd (and crl.pem) to the broker and reload it "
                     "(systemctl reload mosquitto, or kill -HUP)."},
    [M_REVOKE_FAILED] = {"无法吊销：%s", "cannot revoke: %s"},
    [M_REVOKED] = {"%s 已吊销。把 %s/broker/ 中的 passwd、acl 和 crl.pem 复制到代理并重新加载"
                   "代理（systemctl reload mosquitto 或 kill -HUP）：代理随即拒绝并断开该终端。",
                   "%s is revoked. Copy passwd, acl and crl.pem of %s/broker/ to the broker and "
                   "reload it (systemctl reload mosquitto, or kill -HUP): it then refuses and "
                   "disconnects the terminal."},
    [M_BAD_NUMBER] = {"%s 的值 '%s' 必须是 %d 到 %d 的整数",
                      "%s '%s' must be a whole number from %d to %d"},
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
    char **rest;             /* a command with nargs -1: the words after its name */
    int nrest;
} cli_t;

struct command {
    const char *name;
    const char *synopsis;
    int nargs;                    /* positional arguments, exactly; -1: reads c->rest itself */
    unsigned opts;                /* OPT_* bits it accepts */
    int (*run)(const cli_t *c);   /* returns an RC_* */
};

/* A table column or status line: field `key` of an object, headed `label`. */
typedef struct {
    const char *key;
    int label;   /* M_* */
    int right;   /* right-aligned (numbers) */
} column_t;

static const char *msg(lang_t lang, int id)
{
    return lang == LANG_EN ? MESSAGES[id].en : MESSAGES[id].zh;
}

/* Prints "tagtrail: <message id>\n" to stderr. */
static void say(lang_t lang, int id, ...)
{
    va_list ap;
    fputs("tagtrail: ", stderr);
    va_start(ap, id);
    vfprintf(stderr, msg(lang, id), ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Prints "<message id>\n" to stdout. */
static void tell(lang_t lang, int id, ...)
{
    va_list ap;
    va_start(ap, id);
    vprintf(msg(lang, id), ap);
    va_end(ap);
    putchar('\n');
}

/* Chinese is the default (storekeepers read Chinese); only an explicit "en"
 * picks English.  TT_LANG wins over LANG so the tool can differ from the shell. */
static lang_t pick_lang(void)
{
    const char *v = getenv("TT_LANG");
    if (!v || !*v)
        v = getenv("LANG");
    return v && strncmp(v, "en", 2) == 0 ? LANG_EN : LANG_ZH;
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

/* Writes field `key` of `obj` as text: strings as they are (control bytes as
 * '?': they could drive the user's terminal), numbers in full, booleans as
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
        snprintf(out, cap, "%.16g", v->valuedouble);   /* integers exact up to 2^53 */
    } else {
        snprintf(out, cap, "-");
    }
}

/* Prints the objects of array `rows` as a table aligned on display width:
 * one pass measures, one prints.  The last column gets no trailing blanks. */
static void print_table(lang_t lang, const cJSON *rows, const column_t *cols, size_t ncol)
{
    size_t width[8];
    char cell[CELL_MAX];
    const cJSON *row;

    for (size_t i = 0; i < ncol; i++)
        width[i] = text_width(msg(lang, cols[i].label));
    cJSON_ArrayForEach(row, rows) {
        for (size_t i = 0; i < ncol; i++) {
            field_text(lang, row, cols[i].key, cell, sizeof cell);
            if (text_width(cell) > width[i])
                width[i] = text_width(cell);
        }
    }
    for (size_t i = 0; i < ncol; i++) {
        print_padded(msg(lang, cols[i].label), i + 1 < ncol || cols[i].right ? width[i] : 0,
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
        tell(lang, M_NONE);
}

/* ---- talking to a terminal or a server ---- */

/* Connects a stream socket to `sa`, with TIMEOUT_S on connect, send and
 * every receive.  Returns the descriptor, or -errno. */
static int dial(int family, const struct sockaddr *sa, socklen_t len)
{
    struct timeval tv = {.tv_sec = TIMEOUT_S, .tv_usec = 0};
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

    if (fd < 0)
        return -errno;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, sa, len) == 0)
        return fd;
    err = errno;
    close(fd);
    return -err;
}

/* Sends `req` and reads the answer into a new NUL-terminated *out (caller
 * frees): through the first newline if `one_line`, else to end of stream.
 * Returns 0, or an errno: EAGAIN (timed out), ENODATA (closed before the
 * newline), EFBIG (more than `max` bytes), ENOMEM, or what send/recv said.
 * MSG_NOSIGNAL: a peer that went away is an error, not SIGPIPE. */
static int exchange(int fd, const char *req, int one_line, size_t max, char **out, size_t *outlen)
{
    int64_t deadline = tt_clock_mono_ms() + TOTAL_MS;
    size_t off = 0, len = strlen(req), cap = 4096, used = 0;
    char *buf, *bigger;
    int err;

    while (off < len) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno != EINTR)
            return errno;
        off += n > 0 ? (size_t)n : 0;
    }
    buf = malloc(cap + 1);
    for (;;) {
        ssize_t n;
        if (!buf)
            return ENOMEM;
        if (used == cap) {   /* grow to max + 1: one byte more tells "too big" */
            if (cap > max) {
                free(buf);
                return EFBIG;
            }
            cap = cap * 2 > max ? max + 1 : cap * 2;
            bigger = realloc(buf, cap + 1);
            if (!bigger)
                free(buf);
            buf = bigger;
            continue;
        }
        n = recv(fd, buf + used, cap - used, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || tt_clock_mono_ms() > deadline || (n == 0 && one_line)) {
            err = n < 0 ? errno : n == 0 ? ENODATA : EAGAIN;
            free(buf);
            return err;
        }
        if (n == 0)
            break;
        used += (size_t)n;
        if (one_line && memchr(buf + used - n, '\n', (size_t)n))
            break;
    }
    buf[used] = '\0';
    *out = buf;
    *outlen = used;
    return 0;
}

/* Reports that talking to `who` (M_TERMINAL, M_SERVER) at `where` failed
 * with errno `err`, and returns the exit code for it. */
static int net_fail(const cli_t *c, int who, const char *where, int err)
{
    if (err == ENOMEM) {
        say(c->lang, M_NOMEM);
        return RC_ANSWER;
    }
    if (err == EFBIG) {
        say(c->lang, M_TOOBIG, msg(c->lang, who));
        return RC_ANSWER;
    }
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINPROGRESS || err == ETIMEDOUT)
        say(c->lang, M_TIMEOUT, msg(c->lang, who), where);
    else if (err == ENODATA)
        say(c->lang, M_CLOSED, msg(c->lang, who), where);
    else
        say(c->lang, M_UNREACH, msg(c->lang, who), where, strerror(err));
    return RC_UNREACH;
}

/* Sends one command line to the terminal and splits its reply, copied into
 * reply[REPLY_MAX + 1]: "ok REST" gives RC_OK with *rest inside reply;
 * "err CODE MESSAGE" and anything unreadable are reported and give RC_ANSWER.
 * For a scan, any failure after sending leaves the outcome unknown (the event
 * may become durable after we gave up), and the user is told so. */
static int terminal_call(const cli_t *c, const char *cmd, int is_scan, char *reply,
                         const char **rest)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char line[TT_CONTROL_LINE_MAX + 1], *buf, *text;
    size_t len;
    int fd, err, rc = RC_ANSWER;

    if (strlen(c->socket) >= sizeof sa.sun_path) {
        say(c->lang, M_BAD_PATH, c->socket);
        return RC_USAGE;
    }
    memcpy(sa.sun_path, c->socket, strlen(c->socket));
    fd = dial(AF_UNIX, (struct sockaddr *)&sa, sizeof sa);
    if (fd < 0)
        return net_fail(c, M_TERMINAL, c->socket, -fd);
    snprintf(line, sizeof line, "%s\n", cmd);
    err = exchange(fd, line, 1, REPLY_MAX, &buf, &len);
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
        return RC_OK;
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

static int cmd_scan(const cli_t *c)
{
    char line[TT_CONTROL_LINE_MAX], reply[REPLY_MAX + 1];
    const char *op = c->args[0], *wh = c->args[1], *who = c->args[2];
    const char *code = c->args[3], *qty_text = c->args[4], *rest;
    tt_qty_t qty;
    tt_err_t err;
    int rc;

    if (strcmp(op, "receive") != 0 && strcmp(op, "issue") != 0) {
        say(c->lang, M_BAD_OP, op);
        return RC_USAGE;
    }
    if (!tt_event_id_valid(wh) || !tt_event_id_valid(who)) {
        int bad_wh = !tt_event_id_valid(wh);
        say(c->lang, M_BAD_ID, msg(c->lang, bad_wh ? M_WAREHOUSE : M_OPERATOR), bad_wh ? wh : who);
        return RC_USAGE;
    }
    if (!tt_event_code_valid(code)) {
        say(c->lang, M_BAD_CODE, code);
        return RC_USAGE;
    }
    err = tt_qty_parse(qty_text, &qty);
    if (err != TT_OK || qty <= 0) {
        say(c->lang, err == TT_ERR_RANGE ? M_BIG_QTY : M_BAD_QTY, qty_text);
        return RC_USAGE;
    }
    /* Every field is bounded by the checks above, so the line always fits. */
    snprintf(line, sizeof line, "scan %s %s %s %s %s", op, wh, who, code, qty_text);
    rc = terminal_call(c, line, 1, reply, &rest);
    if (rc == RC_OK)
        tell(c->lang, M_RECORDED, rest);
    return rc;
}

static int cmd_status(const cli_t *c)
{
    static const column_t lines[] = {
        {"terminal", M_TERMINAL, 0}, {"site", M_SITE, 0}, {"board", M_BOARD, 0},
        {"firmware", M_FIRMWARE, 0}, {"last_seq", M_LAST_SEQ, 0}, {"synced", M_SYNCED, 0},
        {"pending", M_PENDING, 0}, {"rejected", M_REJECTED, 0}, {"connected", M_CONNECTED, 0},
        {"server_online", M_SERVER_ONLINE, 0}, {"store_unsettled", M_STORE_UNSETTLED, 0},
    };
    const size_t n = sizeof lines / sizeof lines[0];
    char reply[REPLY_MAX + 1], value[CELL_MAX];
    const char *rest;
    size_t width = 0;
    cJSON *st;
    int rc = terminal_call(c, "status", 0, reply, &rest);

    if (rc != RC_OK)
        return rc;
    st = cJSON_Parse(rest);
    if (!cJSON_IsObject(st)) {
        say(c->lang, M_GARBLED, msg(c->lang, M_TERMINAL), rest);
        cJSON_Delete(st);
        return RC_ANSWER;
    }
    if (c->json)
        printf("%s\n", rest);
    for (size_t i = 0; i < n && !c->json; i++)
        if (text_width(msg(c->lang, lines[i].label)) > width)
            width = text_width(msg(c->lang, lines[i].label));
    for (size_t i = 0; i < n && !c->json; i++) {
        field_text(c->lang, st, lines[i].key, value, sizeof value);
        print_padded(msg(c->lang, lines[i].label), width, 0);
        printf("  %s\n", value);
    }
    cJSON_Delete(st);
    return RC_OK;
}

static int cmd_rejection(const cli_t *c)
{
    char line[64], reply[REPLY_MAX + 1];
    const char *seq = c->args[0], *rest;
    size_t n = strspn(seq, "0123456789");
    int rc;

    /* Digits only (no sign, blank or exponent), 1 .. 2^53 - 1. */
    if (n == 0 || seq[n] != '\0' || n > 16 || strtoull(seq, NULL, 10) == 0 ||
        strtoull(seq, NULL, 10) > TT_EVENT_SEQ_MAX) {
        say(c->lang, M_BAD_SEQ, seq);
        return RC_USAGE;
    }
    snprintf(line, sizeof line, "rejection %s", seq);
    rc = terminal_call(c, line, 0, reply, &rest);
    if (rc == RC_OK)
        tell(c->lang, M_REJECTION, seq, rest);
    return rc;
}

/* Splits "http://HOST[:PORT][/]" into host[256] and port[6] (80 if none).
 * HOST is an IPv4 address or a name resolved to IPv4; no IPv6, user info,
 * path or query.  Returns 0, or -1 for any other shape. */
static int url_parse(const char *url, char *host, char *port)
{
    int n = 0, m = 0;

    if (sscanf(url, "http://%255[A-Za-z0-9.-]%n", host, &n) != 1 || n == 0)
        return -1;
    url += n;
    if (*url == ':' && (sscanf(url, ":%5[0-9]%n", port, &m) != 1 || m == 0))
        return -1;
    if (*url != ':')
        strcpy(port, "80");
    url += m;
    if ((*url != '\0' && strcmp(url, "/") != 0) || atoi(port) < 1 || atoi(port) > 65535)
        return -1;
    return 0;
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

/* GETs `path` from the server.  A 200 reply's body comes back as sent in
 * *body (caller frees; *blen bytes, NUL-terminated beyond them) and, when
 * `want_json`, parsed, an object, in *json (caller deletes; else NULL).  Any
 * other status is reported with the server's "error" field if it has one. */
static int http_get(const cli_t *c, const char *path, int want_json, char **body, size_t *blen,
                    cJSON **json)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    char host[256], port[6], req[4096], *buf, *hdr, *line;
    const char *bad = NULL;
    long long clen = -1;
    size_t len;
    int fd, err, status;
    const cJSON *e;

    *json = NULL;
    if (url_parse(c->server, host, port) != 0) {
        say(c->lang, M_BAD_URL, c->server);
        return RC_USAGE;
    }
    err = getaddrinfo(host, port, &hints, &res);
    if (err != 0) {
        say(c->lang, M_UNREACH, msg(c->lang, M_SERVER), c->server, gai_strerror(err));
        return RC_UNREACH;
    }
    fd = dial(res->ai_family, res->ai_addr, res->ai_addrlen);   /* the first address only */
    freeaddrinfo(res);
    if (fd < 0)
        return net_fail(c, M_SERVER, c->server, -fd);
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\nHost: %s:%s\r\nAccept: %s\r\n"
             "User-Agent: tagtrail/" TT_VERSION "\r\nConnection: close\r\n\r\n", path, host, port,
             want_json ? "application/json" : "*/*");
    err = exchange(fd, req, 0, HTTP_MAX, &buf, &len);
    close(fd);
    if (err)
        return net_fail(c, M_SERVER, c->server, err);
    hdr = strstr(buf, "\r\n\r\n");
    if (!hdr || sscanf(buf, "HTTP/1.%*1[01] %3d", &status) != 1 || status < 100) {
        bad = "no HTTP status line";
        goto fail;
    }
    *hdr = '\0';
    for (line = strstr(buf, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "Content-Length:", 15) == 0)
            clen = strtoll(line + 17, NULL, 10);
        if (strncasecmp(line + 2, "Transfer-Encoding:", 18) == 0)
            bad = "transfer encoding (chunked) is not supported";   /* our server never uses it */
    }
    *blen = len - (size_t)(hdr + 4 - buf);
    if (!bad && clen >= 0 && (size_t)clen != *blen)
        bad = "body length differs from Content-Length";
    if (bad)
        goto fail;
    memmove(buf, hdr + 4, *blen + 1);
    if (status == 200 && !want_json) {
        *body = buf;
        return RC_OK;
    }
    *json = cJSON_ParseWithLength(buf, *blen);
    if (status == 200 && cJSON_IsObject(*json)) {
        *body = buf;
        return RC_OK;
    }
    e = cJSON_GetObjectItemCaseSensitive(*json, "error");
    if (status == 200)
        bad = "body is not a JSON object";
    else if (cJSON_IsString(e))
        say(c->lang, M_SRV_ERR, status, e->valuestring);
    else
        say(c->lang, M_SRV_STATUS, status);
fail:
    if (bad)
        say(c->lang, M_GARBLED, msg(c->lang, M_SERVER), bad);
    cJSON_Delete(*json);
    *json = NULL;
    free(buf);
    return RC_ANSWER;
}

static int http_get_json(const cli_t *c, const char *path, char **body, cJSON **json)
{
    size_t len;
    return http_get(c, path, 1, body, &len, json);
}

/* GETs `path` and prints its body (--json) or its array `key` as a table. */
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
        say(c->lang, M_GARBLED, msg(c->lang, M_SERVER), "no array of rows");
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
    char path[512] = "/api/v1/stock";   /* the filters are bounded: 3 x (32 + 64) + 40 fits */

    if (c->warehouse && !tt_event_id_valid(c->warehouse)) {
        say(c->lang, M_BAD_ID, msg(c->lang, M_WAREHOUSE), c->warehouse);
        return RC_USAGE;
    }
    if (c->item && !tt_event_code_valid(c->item)) {
        say(c->lang, M_BAD_CODE, c->item);
        return RC_USAGE;
    }
    if (c->warehouse) {
        strcat(path, "?warehouse=");
        pct_append(path, sizeof path, c->warehouse);
    }
    if (c->item) {
        strcat(path, c->warehouse ? "&item=" : "?item=");
        pct_append(path, sizeof path, c->item);
    }
    return show_list(c, path, "stock", cols, sizeof cols / sizeof cols[0]);
}

static int cmd_terminals(const cli_t *c)
{
    static const column_t cols[] = {
        {"id", M_TERMINAL, 0}, {"online", M_ONLINE, 0}, {"applied_seq", M_APPLIED, 1},
        {"rejected_events", M_REJ_EVENTS, 1}, {"rejected_messages", M_REJ_MESSAGES, 1},
        {"last_seen", M_LAST_SEEN, 0},
    };
    return show_list(c, "/api/v1/terminals", "terminals", cols, sizeof cols / sizeof cols[0]);
}

/* ---- report: the server's reports (docs/api.md, "Reports") ---- */

static const struct {
    const char *name, *path;
} REPORTS[] = {
    {"issues", "/api/v1/ledger/issues"},
    {"stats", "/api/v1/ledger/stats"},
    {"safety", "/api/v1/reports/safety"},
    {"safety-detail", "/api/v1/reports/safety/detail"},
    {"expense-tags", "/api/v1/reports/expense-tags"},
    {"assessment", "/api/v1/reports/assessment"},
    {"recovery", "/api/v1/reports/recovery"},
    {"work-areas", "/api/v1/stock/work-areas"},
    {"lots", "/api/v1/stock/lots"},
    {"exceptions", "/api/v1/exceptions"},
};

/* Options passed on as the query parameter of the same name: the server
 * checks which a report takes and their values (a 400 says what is wrong). */
static const char *const REPORT_PARAMS[] = {
    "item", "unit", "warehouse", "category", "from", "to", "month", "group",
    "part", "state", "terminal", "tag", "after", "limit", "lang",
};

/* Prints a report's JSON as a table: its own columns, headed in the user's
 * language, numbers right-aligned; then its totals and how to go on. */
static void print_report(lang_t lang, const cJSON *json)
{
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(json, "columns");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(json, "rows");
    const cJSON *totals = cJSON_GetObjectItemCaseSensitive(json, "totals");
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(json, "next"), *row, *t;
    size_t n = (size_t)cJSON_GetArraySize(cols), width[64];
    const char *key[64], *head[64];
    int right[64];
    char cell[CELL_MAX];

    if (n > 64)
        n = 64;
    for (size_t i = 0; i < n; i++) {
        const cJSON *col = cJSON_GetArrayItem(cols, (int)i);
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(col, lang == LANG_EN ? "en" : "zh");
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(col, "key");
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(col, "type");
        key[i] = cJSON_IsString(k) ? k->valuestring : "";
        head[i] = cJSON_IsString(h) ? h->valuestring : key[i];
        right[i] = cJSON_IsString(ty) && (strcmp(ty->valuestring, "qty") == 0 ||
                                          strcmp(ty->valuestring, "money") == 0 ||
                                          strcmp(ty->valuestring, "int") == 0);
        width[i] = text_width(head[i]);
    }
    cJSON_ArrayForEach(row, rows) {
        for (size_t i = 0; i < n; i++) {
            field_text(lang, row, key[i], cell, sizeof cell);
            if (text_width(cell) > width[i])
                width[i] = text_width(cell);
        }
    }
    for (size_t i = 0; i < n; i++) {
        print_padded(head[i], i + 1 < n || right[i] ? width[i] : 0, right[i]);
        fputs(i + 1 < n ? "  " : "\n", stdout);
    }
    cJSON_ArrayForEach(row, rows) {
        for (size_t i = 0; i < n; i++) {
            field_text(lang, row, key[i], cell, sizeof cell);
            print_padded(cell, i + 1 < n || right[i] ? width[i] : 0, right[i]);
            fputs(i + 1 < n ? "  " : "\n", stdout);
        }
    }
    if (cJSON_GetArraySize(rows) == 0)
        tell(lang, M_NONE);
    if (cJSON_GetArraySize(totals) > 0) {
        fputs(msg(lang, M_REPORT_TOTAL), stdout);
        cJSON_ArrayForEach(t, totals) {
            const char *label = t->string;
            for (size_t i = 0; i < n; i++)
                if (strcmp(key[i], t->string) == 0)
                    label = head[i];
            field_text(lang, totals, t->string, cell, sizeof cell);
            printf("  %s %s", label, cell);
        }
        putchar('\n');
    }
    if (cJSON_IsString(next))
        tell(lang, M_REPORT_MORE, next->valuestring);
}

/* report NAME [options]: GETs the report and prints it as a table, or its
 * JSON, or writes it as CSV or XLSX (to --out, else standard output). */
static int cmd_report(const cli_t *c)
{
    const char *name = c->nrest > 0 ? c->rest[0] : "", *format = NULL, *out = NULL, *v;
    char path[2048];
    char *body = NULL;
    size_t k = 0, blen = 0;
    int rc, lang_given = 0, want_json;
    cJSON *json = NULL;
    cli_t cc = *c;

    if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
        printf("%s\n  tagtrail %s\n", msg(c->lang, M_USAGE), c->cmd->synopsis);
        return RC_OK;
    }
    while (k < sizeof REPORTS / sizeof REPORTS[0] && strcmp(name, REPORTS[k].name) != 0)
        k++;
    if (k == sizeof REPORTS / sizeof REPORTS[0]) {
        say(c->lang, c->nrest > 0 ? M_REPORT_NAME : M_SYNOPSIS,
            c->nrest > 0 ? name : c->cmd->synopsis);
        return RC_USAGE;
    }
    snprintf(path, sizeof path, "%s", REPORTS[k].path);
    cc.server = NULL;
    for (int i = 1; i < c->nrest; i++) {
        const char *a = c->rest[i];
        size_t p = 0;
        while (p < sizeof REPORT_PARAMS / sizeof REPORT_PARAMS[0] &&
               (strncmp(a, "--", 2) != 0 || strcmp(a + 2, REPORT_PARAMS[p]) != 0))
            p++;
        if (strcmp(a, "-S") && strcmp(a, "--format") && strcmp(a, "--out") &&
            p == sizeof REPORT_PARAMS / sizeof REPORT_PARAMS[0]) {
            say(c->lang, M_BAD_OPTION, a, c->cmd->name);
            return RC_USAGE;
        }
        if (i + 1 >= c->nrest) {
            say(c->lang, M_NEEDS_VALUE, a);
            return RC_USAGE;
        }
        v = c->rest[++i];
        if (!strcmp(a, "-S")) {
            cc.server = v;
        } else if (!strcmp(a, "--format")) {
            format = v;
        } else if (!strcmp(a, "--out")) {
            out = v;
        } else {
            /* Worst case: the name, '?' or '&', '=', and every byte escaped;
             * 32 bytes stay for format= and lang= below. */
            if (strlen(path) + strlen(a) + 3 * strlen(v) + 2 >= sizeof path - 32) {
                say(c->lang, M_REPORT_LONG);
                return RC_USAGE;
            }
            strcat(path, strchr(path, '?') ? "&" : "?");
            strcat(path, a + 2);
            strcat(path, "=");
            pct_append(path, sizeof path, v);
            lang_given |= strcmp(a, "--lang") == 0;
        }
    }
    if (format && strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "xlsx")) {
        say(c->lang, M_REPORT_FORMAT, format);
        return RC_USAGE;
    }
    want_json = !format || !strcmp(format, "json");
    if (!want_json) {
        if (!out && !strcmp(format, "xlsx") && isatty(STDOUT_FILENO)) {
            say(c->lang, M_REPORT_TTY);
            return RC_USAGE;
        }
        strcat(path, strchr(path, '?') ? "&format=" : "?format=");
        strcat(path, format);
    }
    /* Headers and names in the user's language unless told. */
    if (!lang_given && c->lang == LANG_EN)
        strcat(path, strchr(path, '?') ? "&lang=en" : "?lang=en");
    if (!cc.server)
        cc.server = (v = getenv("TT_SERVER")) != NULL && *v ? v : DEFAULT_SERVER;
    rc = http_get(&cc, path, want_json, &body, &blen, &json);
    if (rc != RC_OK)
        return rc;
    if (!format) {
        print_report(c->lang, json);
    } else if (out) {
        FILE *f = fopen(out, "wb");
        int bad = !f || fwrite(body, 1, blen, f) != blen;
        if (f && fclose(f) != 0)
            bad = 1;
        if (bad) {
            say(c->lang, M_LABEL_WRITE, out, strerror(errno));
            rc = RC_ANSWER;
        } else {
            tell(c->lang, M_REPORT_SAVED, out, blen);
        }
    } else {
        fwrite(body, 1, blen, stdout);   /* main() checks stdout for errors */
        if (want_json)
            putchar('\n');
    }
    cJSON_Delete(json);
    free(body);
    return rc;
}

/* decode DATA: what a scan or an EPC means, as JSON on standard output; a
 * refusal is {"ok":false,"error":...} and exit 1, so scripts see both. */
static int cmd_decode(const cli_t *c)
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
        return RC_ANSWER;
    }
    printf("%s\n", json);
    free(json);
    return RC_OK;
}

/* ---- labels: cards and labels to print (firmware/labels.h) ---- */

/* labels cards|item|asset [options]: the counter's operation cards (every
 * card without an id, plus one per id given), an item label or an equipment
 * label, as SVG (default, to stdout or --out), ZPL (likewise) or PNG (--out
 * required; several cards become FILE-01.png, FILE-02.png ..., whose names
 * are printed).  It reads its own words (c->rest): ids repeat and each kind
 * has its own options.  Refused data is a usage error (2); a file that
 * cannot be written is 1. */
static int cmd_labels(const cli_t *c)
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
          : !strcmp(kind, "asset") ? K_ASSET : 0, rc = RC_OK;
    tt_labels_format_t fmt = TT_LABELS_SVG;
    tt_labels_symbology_t sym = TT_LABELS_GS1_128;
    tt_labels_label_t *labels;
    char reason[TT_LABELS_REASON_MAX], path[4096], *text = NULL;
    size_t n = 0, len = 0;
    tt_err_t err = TT_OK;

    if (!strcmp(kind, "--help") || !strcmp(kind, "-h")) {
        printf("%s\n  tagtrail %s\n", msg(c->lang, M_USAGE), c->cmd->synopsis);
        return RC_OK;
    }
    if (!k) {
        say(c->lang, M_SYNOPSIS, c->cmd->synopsis);
        return RC_USAGE;
    }
    /* Room for the fixed cards and one card for every two words left. */
    labels = calloc(TT_LABELS_FIXED_CARDS + (size_t)c->nrest / 2 + 1, sizeof *labels);
    if (!labels) {
        say(c->lang, M_NOMEM);
        return RC_ANSWER;
    }
    if (k == K_CARDS) {
        tt_labels_fixed_cards(labels);
        n = TT_LABELS_FIXED_CARDS;
    }
    for (int i = 1; i < c->nrest && rc == RC_OK; i++) {
        const char *a = c->rest[i];
        int o = 0;
        while (o < O_N && strcmp(a, opts[o].name) != 0)
            o++;
        if (a[0] != '-') {
            say(c->lang, M_SYNOPSIS, c->cmd->synopsis);
            rc = RC_USAGE;
        } else if (o == O_N || !(opts[o].kinds & k)) {
            say(c->lang, M_BAD_OPTION, a, c->cmd->name);
            rc = RC_USAGE;
        } else if (i + 1 >= c->nrest) {
            say(c->lang, M_NEEDS_VALUE, a);
            rc = RC_USAGE;
        } else if (opts[o].id_kind >= 0) {
            err = tt_labels_id_card((tt_labels_id_kind_t)opts[o].id_kind, c->rest[++i],
                                    &labels[n++], reason, sizeof reason);
        } else {
            val[o] = c->rest[++i];
        }
        if (rc == RC_OK && err != TT_OK) {
            say(c->lang, M_LABEL_BAD, reason);
            rc = RC_USAGE;
        }
    }
    if (rc == RC_OK && val[O_FORMAT] && tt_labels_format_parse(val[O_FORMAT], &fmt) != TT_OK) {
        say(c->lang, M_LABEL_FORMAT, val[O_FORMAT]);
        rc = RC_USAGE;
    }
    if (rc == RC_OK && val[O_SYM] && tt_labels_symbology_parse(val[O_SYM], &sym) != TT_OK) {
        say(c->lang, M_LABEL_SYMBOLOGY, val[O_SYM]);
        rc = RC_USAGE;
    }
    if (rc == RC_OK && fmt == TT_LABELS_PNG && !val[O_OUT]) {
        say(c->lang, M_LABEL_PNG_OUT);
        rc = RC_USAGE;
    }
    if (rc == RC_OK && k != K_CARDS) {
        tt_labels_item_t item = {val[O_GTIN], val[O_BATCH], val[O_EXPIRY], val[O_COUNT],
                                 val[O_NAME], sym};
        n = 1;
        err = k == K_ITEM ? tt_labels_item(&item, labels, reason, sizeof reason)
                          : tt_labels_asset(val[O_GIAI], val[O_NAME], sym, labels, reason,
                                            sizeof reason);
        if (err != TT_OK) {
            say(c->lang, M_LABEL_BAD, reason);
            rc = RC_USAGE;
        }
    }
    for (size_t i = 0; rc == RC_OK && fmt == TT_LABELS_PNG && i < n; i++) {
        if (tt_labels_numbered_path(val[O_OUT], i, n, path, sizeof path) != TT_OK)
            snprintf(reason, sizeof reason, "file name too long");
        else if ((err = tt_labels_png(&labels[i], path, reason, sizeof reason)) == TT_OK)
            continue;
        say(c->lang, M_LABEL_BAD, reason);
        rc = err == TT_ERR_IO ? RC_ANSWER : RC_USAGE;
    }
    for (size_t i = 0; rc == RC_OK && fmt == TT_LABELS_PNG && n > 1 && i < n; i++) {
        tt_labels_numbered_path(val[O_OUT], i, n, path, sizeof path);
        printf("%s\n", path);
    }
    if (rc == RC_OK && fmt != TT_LABELS_PNG) {
        err = fmt == TT_LABELS_SVG
                  ? tt_labels_svg(labels, n, &text, &len, reason, sizeof reason)
                  : tt_labels_zpl(labels, n, val[O_FONT], &text, &len, reason, sizeof reason);
        if (err != TT_OK) {
            say(c->lang, err == TT_ERR_NOMEM ? M_NOMEM : M_LABEL_BAD, reason);
            rc = err == TT_ERR_INVAL ? RC_USAGE : RC_ANSWER;
        } else if (val[O_OUT]) {
            FILE *f = fopen(val[O_OUT], "wb");
            int bad = !f || fwrite(text, 1, len, f) != len;
            if (f && fclose(f) != 0)
                bad = 1;
            if (bad) {
                say(c->lang, M_LABEL_WRITE, val[O_OUT], strerror(errno));
                rc = RC_ANSWER;
            }
        } else {
            fwrite(text, 1, len, stdout);   /* main() checks stdout for errors */
        }
    }
    free(text);
    free(labels);
    return rc;
}

/* ---- provision and revoke: broker identities (firmware/provision.h) ---- */

/* The exit code for a provision module failure: a refused argument is a
 * usage error, anything else (exists, not found, a tool failed) is 1. */
static int provision_rc(tt_err_t err)
{
    return err == TT_ERR_INVAL ? RC_USAGE : RC_ANSWER;
}

/* Parses "--name value" and "--flag" words of c->rest from index `from`.
 * names[i] ending in '=' takes a value (given without the '='); `vals`
 * gets each value, `hosts` every --host (at most 16).  Returns -1, or the
 * exit code of a usage error it reported. */
static int provision_opts(const cli_t *c, int from, const char *const *names, size_t nnames,
                          const char **vals, const char **hosts, size_t *nhosts)
{
    for (int i = from; i < c->nrest; i++) {
        const char *a = c->rest[i];
        size_t k = 0, len;
        while (k < nnames && (len = strcspn(names[k], "="),
                              strncmp(a, names[k], len) != 0 || a[len] != '\0'))
            k++;
        if (k == nnames) {
            say(c->lang, a[0] == '-' ? M_BAD_OPTION : M_SYNOPSIS,
                a[0] == '-' ? a : c->cmd->synopsis, c->cmd->name);
            return RC_USAGE;
        }
        if (names[k][strlen(names[k]) - 1] != '=') {
            vals[k] = a;
            continue;
        }
        if (i + 1 >= c->nrest) {
            say(c->lang, M_NEEDS_VALUE, a);
            return RC_USAGE;
        }
        vals[k] = c->rest[++i];
        if (hosts && strcmp(names[k], "--host=") == 0) {
            if (*nhosts == 16) {
                say(c->lang, M_BAD_OPTION, a, c->cmd->name);
                return RC_USAGE;
            }
            hosts[(*nhosts)++] = vals[k];
        }
    }
    return -1;
}

/* A whole number from lo to hi, or 0 when absent; -1 (reported) when bad. */
static int provision_number(const cli_t *c, const char *name, const char *text, int lo, int hi)
{
    char *end;
    long v;
    if (!text)
        return 0;
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi || !isdigit((unsigned char)text[0])) {
        say(c->lang, M_BAD_NUMBER, name, text, lo, hi);
        return -1;
    }
    return (int)v;
}

/* provision --init-ca DIR --host NAME... | provision TERMINAL|--server
 * --ca-dir DIR --out DIR: see COMMANDS. */
static int cmd_provision(const cli_t *c)
{
    enum { O_CA_DIR, O_OUT, O_URL, O_DAYS, O_PORT, O_HOST, O_REPLACE, O_N };
    static const char *const names[O_N] = {"--ca-dir=", "--out=", "--url=", "--days=",
                                           "--port=", "--host=", "--replace"};
    const char *vals[O_N] = {NULL}, *hosts[16], *first = c->nrest > 0 ? c->rest[0] : "";
    char reason[TT_PROVISION_ERR_MAX] = "";
    size_t nhosts = 0;
    int rc, days, port;
    tt_err_t err;

    if (!strcmp(first, "--help") || !strcmp(first, "-h")) {
        printf("%s\n  tagtrail %s\n", msg(c->lang, M_USAGE), c->cmd->synopsis);
        return RC_OK;
    }
    if (!strcmp(first, "--init-ca")) {
        if (c->nrest < 2) {
            say(c->lang, M_NEEDS_VALUE, first);
            return RC_USAGE;
        }
        /* Only --host, --port and --days apply. */
        if ((rc = provision_opts(c, 2, names + O_DAYS, 3, vals + O_DAYS, hosts, &nhosts)) >= 0)
            return rc;
        days = provision_number(c, "--days", vals[O_DAYS], 1, 36500);
        port = provision_number(c, "--port", vals[O_PORT], 1, 65535);
        if (days < 0 || port < 0)
            return RC_USAGE;
        {
            tt_provision_ca_t ca = {c->rest[1], hosts, nhosts, port, days};
            err = tt_provision_init_ca(&ca, reason, sizeof reason);
        }
        if (err != TT_OK) {
            say(c->lang, M_PROV_FAILED, reason);
            return provision_rc(err);
        }
        tell(c->lang, M_PROV_CA_DONE, c->rest[1], c->rest[1]);
        return RC_OK;
    }
    if (c->nrest < 1 || (first[0] == '-' && strcmp(first, "--server") != 0)) {
        say(c->lang, M_SYNOPSIS, c->cmd->synopsis);
        return RC_USAGE;
    }
    /* --port and --host belong to --init-ca. */
    if ((rc = provision_opts(c, 1, names, O_N, vals, NULL, NULL)) >= 0)
        return rc;
    if (vals[O_PORT] || vals[O_HOST] || !vals[O_CA_DIR] || !vals[O_OUT]) {
        say(c->lang, M_SYNOPSIS, c->cmd->synopsis);
        return RC_USAGE;
    }
    if ((days = provision_number(c, "--days", vals[O_DAYS], 1, 36500)) < 0)
        return RC_USAGE;
    {
        int server = strcmp(first, "--server") == 0;
        tt_provision_conf_t pc = {vals[O_CA_DIR], vals[O_OUT], server ? NULL : first,
                                  vals[O_URL], days, vals[O_REPLACE] != NULL};
        err = tt_provision_identity(&pc, reason, sizeof reason);
        if (err != TT_OK) {
            say(c->lang, M_PROV_FAILED, reason);
            return provision_rc(err);
        }
        tell(c->lang, M_PROV_DONE, server ? TT_PROVISION_SERVER_USER : first, vals[O_OUT],
             vals[O_CA_DIR]);
    }
    return RC_OK;
}

/* revoke TERMINAL --ca-dir DIR */
static int cmd_revoke(const cli_t *c)
{
    static const char *const names[] = {"--ca-dir="};
    const char *vals[1] = {NULL};
    char reason[TT_PROVISION_ERR_MAX] = "";
    tt_err_t err;
    int rc;

    if (c->nrest < 1 || c->rest[0][0] == '-') {
        say(c->lang, M_SYNOPSIS, c->cmd->synopsis);
        return RC_USAGE;
    }
    if ((rc = provision_opts(c, 1, names, 1, vals, NULL, NULL)) >= 0)
        return rc;
    if (!vals[0]) {
        say(c->lang, M_SYNOPSIS, c->cmd->synopsis);
        return RC_USAGE;
    }
    err = tt_provision_revoke(vals[0], c->rest[0], reason, sizeof reason);
    if (err != TT_OK) {
        say(c->lang, M_REVOKE_FAILED, reason);
        return provision_rc(err);
    }
    tell(c->lang, M_REVOKED, c->rest[0], vals[0]);
    return RC_OK;
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
     -1, 0, cmd_report},
    {"decode", "decode DATA", 1, 0, cmd_decode},
    {"labels",
     "labels cards [--operator ID]... [--warehouse ID]... [--to ID]... [--unit ID]... "
     "[--tounit ID]... [OUTPUT]\n"
     "  tagtrail labels item --gtin GTIN [--batch BATCH] [--expiry YYMMDD] [--count N] "
     "[--name TEXT] [--symbology gs1-128|datamatrix|qr] [OUTPUT]\n"
     "  tagtrail labels asset --giai GIAI [--name TEXT] [--symbology gs1-128|datamatrix|qr] "
     "[OUTPUT]\n"
     "    OUTPUT: [--format svg|png|zpl] [--out FILE] [--font PRINTER-FONT (zpl, for Chinese)]",
     -1, 0, cmd_labels},
    {"provision",
     "provision --init-ca DIR --host BROKER-NAME... [--port 8883] [--days N]\n"
     "  tagtrail provision TERMINAL|--server --ca-dir DIR --out DIR [--url ssl://HOST:PORT] "
     "[--days N] [--replace]",
     -1, 0, cmd_provision},
    {"revoke", "revoke TERMINAL --ca-dir DIR", -1, 0, cmd_revoke},
};

static void usage(lang_t lang, FILE *f)
{
    fprintf(f, "%s\n", msg(lang, M_USAGE));
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  tagtrail %s\n", COMMANDS[i].synopsis);
    fprintf(f, "  tagtrail help | --help | --version\n%s\n", msg(lang, M_USAGE_NOTE));
}

/* Fills *c from argv.  Options may come anywhere after the command; "--"
 * ends them; "-5" is an argument (a bad quantity), not an option.  Returns
 * -1 to run c->cmd, or an exit code (help and --version print and give 0). */
static int parse_args(int argc, char **argv, cli_t *c)
{
    const size_t nopt = sizeof OPTIONS / sizeof OPTIONS[0];
    const char *v;
    int only_args = 0;

    memset(c, 0, sizeof *c);
    c->lang = pick_lang();
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "-h")) {
        usage(c->lang, argc < 2 ? stderr : stdout);
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
                say(c->lang, M_SYNOPSIS, c->cmd->synopsis);
                return RC_USAGE;
            }
            c->args[c->nargs++] = argv[i];
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(c->lang, stdout);
            return RC_OK;
        } else {
            while (k < nopt && strcmp(a, OPTIONS[k].name) != 0)
                k++;
            if (k == nopt || !(c->cmd->opts & OPTIONS[k].bit)) {
                say(c->lang, M_BAD_OPTION, a, c->cmd->name);
                return RC_USAGE;
            }
            if (OPTIONS[k].has_value && i + 1 >= argc) {
                say(c->lang, M_NEEDS_VALUE, a);
                return RC_USAGE;
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
    /* A full disk or a closed pipe on stdout must not look like success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        say(c.lang, M_OUTPUT, strerror(errno));
        return rc == RC_OK ? RC_ANSWER : rc;
    }
    return rc;
}
