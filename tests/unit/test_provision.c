/*
 * Unit tests of firmware/provision: a site CA, identities, rotation and
 * revocation in a fresh temporary folder, with the real openssl and
 * mosquitto_passwd.  The certificates are checked with `openssl verify`,
 * the files' modes and contents directly; the broker's side of it (that
 * mosquitto accepts and refuses them) is tests/integration/test_tls.py.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "provision.h"

typedef struct {
    char dir[64];
    char ca[128];
    char err[TT_PROVISION_ERR_MAX];
} fx_t;

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_provision_XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->ca, sizeof fx->ca, "%s/ca", fx->dir);
    *state = fx;
    return 0;
}

/* Runs argv (no shell) and returns its exit code; its output goes to out
 * (cap bytes) when out is not NULL, else to /dev/null. */
static int run(char *const argv[], char *out, size_t cap)
{
    int fds[2], status;
    size_t used = 0;
    pid_t pid;

    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    for (;;) {
        char buf[512];
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n <= 0)
            break;
        for (ssize_t i = 0; out && i < n && used + 1 < cap; i++)
            out[used++] = buf[i];
    }
    close(fds[0]);
    if (out)
        out[used] = '\0';
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    char *const argv[] = {"rm", "-rf", fx->dir, NULL};
    run(argv, NULL, 0);
    free(fx);
    return 0;
}

static const char *path(const fx_t *fx, const char *rel)
{
    static char buf[4][256];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, 256, "%s/%s", fx->dir, rel);
    return p;
}

static mode_t mode_of(const char *p)
{
    struct stat st;
    if (stat(p, &st) != 0)
        fail_msg("%s: %s", p, strerror(errno));
    return st.st_mode & 0777;
}

/* The whole of a small file, NUL-terminated, in a static buffer. */
static const char *slurp(const char *p)
{
    static char buf[16384];
    FILE *f = fopen(p, "rb");
    size_t n;
    if (!f)
        fail_msg("%s: %s", p, strerror(errno));
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void init_ca(fx_t *fx)
{
    static const char *const hosts[] = {"127.0.0.1", "broker.mine1.example"};
    tt_provision_ca_t ca = {fx->ca, hosts, 2, 0, 0};
    tt_err_t rc = tt_provision_init_ca(&ca, fx->err, sizeof fx->err);
    if (rc != TT_OK)
        fail_msg("init_ca: %d %s", rc, fx->err);
}

static void provision(fx_t *fx, const char *terminal, const char *out, int replace)
{
    tt_provision_conf_t pc = {fx->ca, path(fx, out), terminal, NULL, 0, replace};
    tt_err_t rc = tt_provision_identity(&pc, fx->err, sizeof fx->err);
    if (rc != TT_OK)
        fail_msg("provision %s: %d %s", terminal ? terminal : "server", rc, fx->err);
}

/* `openssl verify` of cert against the site CA (with its CRL when crl). */
static int verify(const fx_t *fx, const char *cert, int crl, char *out, size_t cap)
{
    char ca[256], crlfile[256], c[256];
    snprintf(ca, sizeof ca, "%s", path(fx, "ca/ca.crt"));
    snprintf(crlfile, sizeof crlfile, "%s", path(fx, "ca/broker/crl.pem"));
    snprintf(c, sizeof c, "%s", path(fx, cert));
    if (crl) {
        char *const argv[] = {"openssl", "verify", "-CAfile", ca, "-crl_check", "-CRLfile",
                              crlfile, c, NULL};
        return run(argv, out, cap);
    }
    {
        char *const argv[] = {"openssl", "verify", "-CAfile", ca, c, NULL};
        return run(argv, out, cap);
    }
}

static int has_line_starting(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, prefix, n) == 0)
            return 1;
    return 0;
}

static void test_init_ca(void **state)
{
    fx_t *fx = *state;
    char out[4096];

    init_ca(fx);
    assert_int_equal(mode_of(path(fx, "ca/ca.key")), 0600);
    assert_int_equal(mode_of(path(fx, "ca/broker/broker.key")), 0600);
    assert_int_equal(mode_of(path(fx, "ca/broker/passwd")), 0600);
    assert_string_equal(slurp(path(fx, "ca/broker/passwd")), "");
    assert_string_equal(slurp(path(fx, "ca/broker.url")), "ssl://127.0.0.1:8883\n");
    assert_non_null(strstr(slurp(path(fx, "ca/broker/acl")), "pattern write tt/v1/t/%u/events"));
    assert_non_null(strstr(slurp(path(fx, "ca/broker/acl")), "user " TT_PROVISION_SERVER_USER));
    assert_string_equal(slurp(path(fx, "ca/broker/ca.crt")), slurp(path(fx, "ca/ca.crt")));
    assert_int_equal(verify(fx, "ca/broker/broker.crt", 1, out, sizeof out), 0);
    {
        char crt[256];
        snprintf(crt, sizeof crt, "%s", path(fx, "ca/broker/broker.crt"));
        char *const argv[] = {"openssl", "x509", "-in", crt, "-noout", "-ext",
                              "subjectAltName,extendedKeyUsage", NULL};
        assert_int_equal(run(argv, out, sizeof out), 0);
        assert_non_null(strstr(out, "IP Address:127.0.0.1"));
        assert_non_null(strstr(out, "DNS:broker.mine1.example"));
        assert_non_null(strstr(out, "TLS Web Server Authentication"));
    }
    /* Once made, never again over itself. */
    {
        static const char *const hosts[] = {"other"};
        tt_provision_ca_t ca = {fx->ca, hosts, 1, 0, 0};
        assert_int_equal(tt_provision_init_ca(&ca, fx->err, sizeof fx->err), TT_ERR_EXISTS);
    }
}

static void test_init_ca_refuses_bad_hosts(void **state)
{
    fx_t *fx = *state;
    static const char *const bad[] = {"", "-lead", "trail-", "under_score", "a b", "x..y",
                                      "ssl://h:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tt_provision_ca_t ca = {fx->ca, &bad[i], 1, 0, 0};
        assert_int_equal(tt_provision_init_ca(&ca, fx->err, sizeof fx->err), TT_ERR_INVAL);
        assert_non_null(strstr(fx->err, "neither a DNS name nor an IP address"));
    }
    {
        tt_provision_ca_t ca = {fx->ca, NULL, 0, 0, 0};
        assert_int_equal(tt_provision_init_ca(&ca, fx->err, sizeof fx->err), TT_ERR_INVAL);
    }
    assert_int_equal(access(fx->ca, F_OK), -1);   /* nothing was made */
}

static void test_identity(void **state)
{
    fx_t *fx = *state;
    char out[4096], pw[64];
    const char *conf;

    init_ca(fx);
    provision(fx, "T01", "t01", 0);
    provision(fx, NULL, "srv", 0);
    assert_int_equal(mode_of(path(fx, "t01/T01.key")), 0600);
    assert_int_equal(mode_of(path(fx, "t01/mqtt.password")), 0600);
    assert_int_equal(mode_of(path(fx, "srv/" TT_PROVISION_SERVER_USER ".key")), 0600);
    snprintf(pw, sizeof pw, "%s", slurp(path(fx, "t01/mqtt.password")));
    assert_int_equal(strlen(pw), 33);   /* 32 characters and the line break */
    for (int i = 0; i < 32; i++)
        assert_true((pw[i] >= 'A' && pw[i] <= 'Z') || (pw[i] >= 'a' && pw[i] <= 'z') ||
                    (pw[i] >= '0' && pw[i] <= '9'));
    assert_string_not_equal(pw, slurp(path(fx, "srv/mqtt.password")));
    conf = slurp(path(fx, "t01/mqtt.conf"));
    assert_non_null(strstr(conf, "[mqtt]\nurl = ssl://127.0.0.1:8883\nusername = T01\n"
                                 "password_file = mqtt.password\nca_file = ca.crt\n"
                                 "cert_file = T01.crt\nkey_file = T01.key\n"));
    assert_int_equal(verify(fx, "t01/T01.crt", 1, out, sizeof out), 0);
    assert_int_equal(verify(fx, "srv/" TT_PROVISION_SERVER_USER ".crt", 1, out, sizeof out), 0);
    /* The hash of the password, not the password, is in the broker's file. */
    {
        const char *passwd = slurp(path(fx, "ca/broker/passwd"));
        pw[32] = '\0';
        assert_true(has_line_starting(passwd, "T01:$7$"));
        assert_true(has_line_starting(passwd, TT_PROVISION_SERVER_USER ":$7$"));
        assert_null(strstr(passwd, pw));
    }
    /* Twice is refused, and changes nothing. */
    {
        tt_provision_conf_t pc = {fx->ca, path(fx, "t01b"), "T01", NULL, 0, 0};
        assert_int_equal(tt_provision_identity(&pc, fx->err, sizeof fx->err), TT_ERR_EXISTS);
        assert_non_null(strstr(fx->err, "--replace"));
        assert_int_equal(access(path(fx, "t01b"), F_OK), -1);
    }
    /* An explicit url; bad ids and urls; a folder that is no site CA. */
    {
        tt_provision_conf_t pc = {fx->ca, path(fx, "t02"), "T02", "mqtts://broker.mine1.example:8883",
                                  0, 0};
        assert_int_equal(tt_provision_identity(&pc, fx->err, sizeof fx->err), TT_OK);
        assert_non_null(strstr(slurp(path(fx, "t02/mqtt.conf")),
                               "url = mqtts://broker.mine1.example:8883\n"));
        pc.terminal = "T03";
        pc.url = "tcp://broker:1883";
        assert_int_equal(tt_provision_identity(&pc, fx->err, sizeof fx->err), TT_ERR_INVAL);
        pc.url = NULL;
        pc.terminal = "T/04";
        assert_int_equal(tt_provision_identity(&pc, fx->err, sizeof fx->err), TT_ERR_INVAL);
        pc.terminal = "tt@server";   /* the server's name is no terminal id */
        assert_int_equal(tt_provision_identity(&pc, fx->err, sizeof fx->err), TT_ERR_INVAL);
        pc.terminal = "T05";
        pc.ca_dir = fx->dir;
        assert_int_equal(tt_provision_identity(&pc, fx->err, sizeof fx->err), TT_ERR_NOTFOUND);
    }
}

static void test_replace_and_revoke(void **state)
{
    fx_t *fx = *state;
    char out[4096], old_pw[64], old_crt[256];

    init_ca(fx);
    provision(fx, "T01", "t01", 0);
    provision(fx, "T02", "t02", 0);
    snprintf(old_pw, sizeof old_pw, "%s", slurp(path(fx, "t01/mqtt.password")));
    snprintf(old_crt, sizeof old_crt, "%s", path(fx, "old-T01.crt"));
    {
        char from[256];
        snprintf(from, sizeof from, "%s", path(fx, "t01/T01.crt"));
        char *const argv[] = {"cp", from, old_crt, NULL};
        assert_int_equal(run(argv, NULL, 0), 0);
    }

    /* Rotation: a new password and certificate; the old certificate revoked. */
    provision(fx, "T01", "t01", 1);
    assert_string_not_equal(old_pw, slurp(path(fx, "t01/mqtt.password")));
    assert_int_equal(verify(fx, "t01/T01.crt", 1, out, sizeof out), 0);
    assert_int_not_equal(verify(fx, "old-T01.crt", 1, out, sizeof out), 0);
    assert_non_null(strstr(out, "revoked"));
    assert_int_equal(verify(fx, "old-T01.crt", 0, out, sizeof out), 0);   /* only the CRL says no */

    /* Revocation: out of the password file, its ACL block gone, CRL'd. */
    {
        FILE *f = fopen(path(fx, "ca/broker/acl"), "a");
        assert_non_null(f);
        fputs("\n# site rules\nuser T02\ntopic read site/T02/extra\n\nuser T022\n"
              "topic read site/T022/extra\n", f);
        fclose(f);
    }
    assert_int_equal(tt_provision_revoke(fx->ca, "T02", fx->err, sizeof fx->err), TT_OK);
    {
        const char *passwd = slurp(path(fx, "ca/broker/passwd"));
        assert_false(has_line_starting(passwd, "T02:"));
        assert_true(has_line_starting(passwd, "T01:"));
    }
    {
        const char *acl = slurp(path(fx, "ca/broker/acl"));
        assert_null(strstr(acl, "user T02\n"));
        assert_null(strstr(acl, "site/T02/extra"));
        assert_non_null(strstr(acl, "user T022\ntopic read site/T022/extra\n"));
        assert_non_null(strstr(acl, "pattern write tt/v1/t/%u/events"));
        assert_non_null(strstr(acl, "user " TT_PROVISION_SERVER_USER "\n"));
    }
    assert_int_not_equal(verify(fx, "t02/T02.crt", 1, out, sizeof out), 0);
    assert_non_null(strstr(out, "revoked"));
    assert_int_equal(verify(fx, "t01/T01.crt", 1, out, sizeof out), 0);
    assert_int_equal(access(path(fx, "ca/certs/T02.crt"), F_OK), -1);

    /* Twice, or unknown: not found.  Provisioned again: a new identity. */
    assert_int_equal(tt_provision_revoke(fx->ca, "T02", fx->err, sizeof fx->err),
                     TT_ERR_NOTFOUND);
    assert_int_equal(tt_provision_revoke(fx->ca, "T09", fx->err, sizeof fx->err),
                     TT_ERR_NOTFOUND);
    assert_int_equal(tt_provision_revoke(fx->ca, "bad id", fx->err, sizeof fx->err),
                     TT_ERR_INVAL);
    provision(fx, "T02", "t02", 0);
    assert_int_equal(verify(fx, "t02/T02.crt", 1, out, sizeof out), 0);
    assert_true(has_line_starting(slurp(path(fx, "ca/broker/passwd")), "T02:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_ca_refuses_bad_hosts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_and_revoke, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
