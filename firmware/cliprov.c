/*
 * cliprov: `tagtrail provision` and `tagtrail revoke` (see cliprov.h).
 */
#include "cliprov.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "provision.h"

static const tt_cli_text_t T_FAILED = {"无法创建身份：%s", "cannot provision: %s"};
static const tt_cli_text_t T_CA_DONE = {
    "站点 CA 已建于 %s。把 %s/broker/ 中的文件复制到代理的 "
    "/etc/mosquitto/tagtrail/（仅 mosquitto 用户可读），代理配置为 "
    "deploy/mosquitto/tagtrail.conf；然后用 tagtrail provision --server "
    "创建服务器的身份。",
    "site CA made in %s. Copy the files of %s/broker/ to the broker's "
    "/etc/mosquitto/tagtrail/ (readable by the mosquitto user only), with "
    "deploy/mosquitto/tagtrail.conf as its configuration; then make the "
    "server's identity with tagtrail provision --server."};
static const tt_cli_text_t T_DONE = {
    "%s 的身份已写入 %s：把该目录的文件复制到其配置文件旁，并以 mqtt.conf "
    "替换配置中的 [mqtt] 段。再把 %s/broker/passwd 复制到代理并重新加载代理"
    "（systemctl reload mosquitto 或 kill -HUP）。",
    "the identity of %s is in %s: copy its files beside the config file and "
    "replace the config's [mqtt] section with mqtt.conf. Then copy "
    "%s/broker/passwd (and crl.pem) to the broker and reload it "
    "(systemctl reload mosquitto, or kill -HUP)."};
static const tt_cli_text_t T_REVOKE_FAILED = {"无法吊销：%s", "cannot revoke: %s"};
static const tt_cli_text_t T_REVOKED = {
    "%s 已吊销。把 %s/broker/ 中的 passwd、acl 和 crl.pem 复制到代理并重新加载"
    "代理（systemctl reload mosquitto 或 kill -HUP）：代理随即拒绝并断开该终端。",
    "%s is revoked. Copy passwd, acl and crl.pem of %s/broker/ to the broker and "
    "reload it (systemctl reload mosquitto, or kill -HUP): it then refuses and "
    "disconnects the terminal."};
static const tt_cli_text_t T_BAD_NUMBER = {
    "%s 的值 '%s' 必须是 %d 到 %d 的整数",
    "%s '%s' must be a whole number from %d to %d"};

/* The exit code for a provision module failure: a refused argument is a
 * usage error, anything else (exists, not found, a tool failed) is 1. */
static int provision_rc(tt_err_t err)
{
    return err == TT_ERR_INVAL ? TT_CLI_USAGE : TT_CLI_ANSWER;
}

/* Parses "--name value" and "--flag" words of c->rest from index `from`.
 * names[i] ending in '=' takes a value (given without the '='); `vals`
 * gets each value, `hosts` every --host (at most 16).  Returns -1, or the
 * exit code of a usage error it reported. */
static int provision_opts(const tt_cli_t *c, int from, const char *const *names, size_t nnames,
                          const char **vals, const char **hosts, size_t *nhosts)
{
    for (int i = from; i < c->nrest; i++) {
        const char *a = c->rest[i];
        size_t k = 0, len;
        while (k < nnames && (len = strcspn(names[k], "="),
                              strncmp(a, names[k], len) != 0 || a[len] != '\0'))
            k++;
        if (k == nnames)
            return a[0] == '-' ? tt_cli_bad_option(c, a) : tt_cli_usage(c);
        if (names[k][strlen(names[k]) - 1] != '=') {
            vals[k] = a;
            continue;
        }
        if (i + 1 >= c->nrest)
            return tt_cli_needs_value(c, a);
        vals[k] = c->rest[++i];
        if (hosts && strcmp(names[k], "--host=") == 0) {
            if (*nhosts == 16)
                return tt_cli_bad_option(c, a);
            hosts[(*nhosts)++] = vals[k];
        }
    }
    return -1;
}

/* A whole number from lo to hi, or 0 when absent; -1 (reported) when bad. */
static int provision_number(const tt_cli_t *c, const char *name, const char *text, int lo, int hi)
{
    char *end;
    long v;
    if (!text)
        return 0;
    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi || !isdigit((unsigned char)text[0])) {
        tt_cli_say(c->lang, &T_BAD_NUMBER, name, text, lo, hi);
        return -1;
    }
    return (int)v;
}

int tt_cliprov_provision(const tt_cli_t *c)
{
    enum { O_CA_DIR, O_OUT, O_URL, O_DAYS, O_PORT, O_HOST, O_REPLACE, O_N };
    static const char *const names[O_N] = {"--ca-dir=", "--out=", "--url=", "--days=",
                                           "--port=", "--host=", "--replace"};
    const char *vals[O_N] = {NULL}, *hosts[16], *first = c->nrest > 0 ? c->rest[0] : "";
    char reason[TT_PROVISION_ERR_MAX] = "";
    size_t nhosts = 0;
    int rc, days, port;
    tt_err_t err;

    if (!strcmp(first, "--help") || !strcmp(first, "-h"))
        return tt_cli_help(c);
    if (!strcmp(first, "--init-ca")) {
        if (c->nrest < 2)
            return tt_cli_needs_value(c, first);
        /* Only --host, --port and --days apply. */
        if ((rc = provision_opts(c, 2, names + O_DAYS, 3, vals + O_DAYS, hosts, &nhosts)) >= 0)
            return rc;
        days = provision_number(c, "--days", vals[O_DAYS], 1, 36500);
        port = provision_number(c, "--port", vals[O_PORT], 1, 65535);
        if (days < 0 || port < 0)
            return TT_CLI_USAGE;
        {
            tt_provision_ca_t ca = {c->rest[1], hosts, nhosts, port, days};
            err = tt_provision_init_ca(&ca, reason, sizeof reason);
        }
        if (err != TT_OK) {
            tt_cli_say(c->lang, &T_FAILED, reason);
            return provision_rc(err);
        }
        tt_cli_tell(c->lang, &T_CA_DONE, c->rest[1], c->rest[1]);
        return TT_CLI_OK;
    }
    if (c->nrest < 1 || (first[0] == '-' && strcmp(first, "--server") != 0)) {
        return tt_cli_usage(c);
    }
    /* --port and --host belong to --init-ca. */
    if ((rc = provision_opts(c, 1, names, O_N, vals, NULL, NULL)) >= 0)
        return rc;
    if (vals[O_PORT] || vals[O_HOST] || !vals[O_CA_DIR] || !vals[O_OUT]) {
        return tt_cli_usage(c);
    }
    if ((days = provision_number(c, "--days", vals[O_DAYS], 1, 36500)) < 0)
        return TT_CLI_USAGE;
    {
        int server = strcmp(first, "--server") == 0;
        tt_provision_conf_t pc = {vals[O_CA_DIR], vals[O_OUT], server ? NULL : first,
                                  vals[O_URL], days, vals[O_REPLACE] != NULL};
        err = tt_provision_identity(&pc, reason, sizeof reason);
        if (err != TT_OK) {
            tt_cli_say(c->lang, &T_FAILED, reason);
            return provision_rc(err);
        }
        tt_cli_tell(c->lang, &T_DONE, server ? TT_PROVISION_SERVER_USER : first, vals[O_OUT],
             vals[O_CA_DIR]);
    }
    return TT_CLI_OK;
}

int tt_cliprov_revoke(const tt_cli_t *c)
{
    static const char *const names[] = {"--ca-dir="};
    const char *vals[1] = {NULL};
    char reason[TT_PROVISION_ERR_MAX] = "";
    tt_err_t err;
    int rc;

    if (c->nrest < 1 || c->rest[0][0] == '-') {
        return tt_cli_usage(c);
    }
    if ((rc = provision_opts(c, 1, names, 1, vals, NULL, NULL)) >= 0)
        return rc;
    if (!vals[0]) {
        return tt_cli_usage(c);
    }
    err = tt_provision_revoke(vals[0], c->rest[0], reason, sizeof reason);
    if (err != TT_OK) {
        tt_cli_say(c->lang, &T_REVOKE_FAILED, reason);
        return provision_rc(err);
    }
    tt_cli_tell(c->lang, &T_REVOKED, c->rest[0], vals[0]);
    return TT_CLI_OK;
}
