#include "provision.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "provision_acl.h"   /* TT_PROVISION_ACL_TEXT, from deploy/mosquitto/tagtrail.acl */

#define DEFAULT_DAYS 3650
/* Certificates and CRLs start this long before they are made: a terminal
 * underground keeps no exact time, and one whose clock is behind the CA's
 * must not find the broker's certificate "not yet valid". */
#define BACKDATE_S (30 * 86400)
/* Largest file read whole (the password file grows by ~120 bytes an identity). */
#define READ_MAX (16u << 20)
/* 32 characters of 62: about 190 random bits. */
#define PASSWORD_LEN 32
/* What is kept of a tool's standard error for the reason. */
#define TOOL_ERR_MAX 400

/* A path in this module; longer ones are refused. */
typedef char path_t[PATH_MAX];

static tt_err_t fail(char *err, size_t errlen, tt_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static tt_err_t fail(char *err, size_t errlen, tt_err_t code, const char *fmt, ...)
{
    va_list ap;
    if (errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* out = dir + "/" + name.  Returns 0 when it does not fit with room to
 * spare for with_new()'s suffix. */
static int join(path_t out, const char *dir, const char *name)
{
    int n = snprintf(out, sizeof(path_t), "%s/%s", dir, name);
    return n > 0 && (size_t)n < sizeof(path_t) - 8;
}

/* out = path + ".new", the name a file is written under before it is
 * renamed into place.  Paths come from join(), which leaves room; one that
 * does not fit becomes "", which no open or rename accepts. */
static void with_new(path_t out, const char *path)
{
    if (snprintf(out, sizeof(path_t), "%s.new", path) >= (int)sizeof(path_t))
        out[0] = '\0';
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* fsyncs the folder holding `path`, so a rename in it is durable. */
static tt_err_t sync_parent(const char *path, char *err, size_t errlen)
{
    path_t dir;
    const char *slash = strrchr(path, '/');
    int fd, rc;

    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    if (!dir[0])
        snprintf(dir, sizeof dir, "/");
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    rc = fd >= 0 ? fsync(fd) : -1;
    if (rc != 0)
        rc = errno;
    if (fd >= 0)
        close(fd);
    return rc == 0 ? TT_OK : fail(err, errlen, TT_ERR_IO, "%s: sync: %s", dir, strerror(rc));
}

/* Makes path.new durable with `mode` and renames it over path. */
static tt_err_t commit_new(const char *path, mode_t mode, char *err, size_t errlen)
{
    path_t tmp;
    int fd, e = 0;

    with_new(tmp, path);
    fd = open(tmp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fchmod(fd, mode) != 0 || fsync(fd) != 0)
        e = errno;
    if (fd >= 0 && close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        return fail(err, errlen, TT_ERR_IO, "%s: %s", tmp, strerror(e));
    }
    return sync_parent(path, err, errlen);
}

/* Writes len bytes as path.new (mode), syncs it and renames it over path. */
static tt_err_t write_file(const char *path, const void *data, size_t len, mode_t mode,
                           char *err, size_t errlen)
{
    path_t tmp;
    const char *p = data;
    int fd, e = 0;

    with_new(tmp, path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return fail(err, errlen, TT_ERR_IO, "%s: %s", tmp, strerror(errno));
    while (len > 0 && !e) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno != EINTR)
            e = errno;
        else if (n > 0) {
            p += n;
            len -= (size_t)n;
        }
    }
    if (close(fd) != 0 && !e)
        e = errno;
    if (e) {
        unlink(tmp);
        return fail(err, errlen, TT_ERR_IO, "%s: %s", tmp, strerror(e));
    }
    return commit_new(path, mode, err, errlen);
}

/* Reads a whole (small) file into a new NUL-terminated *out (caller frees). */
static tt_err_t read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 4096, used = 0;
    char *buf = NULL, *grown;

    if (!f)
        return fail(err, errlen, errno == ENOENT ? TT_ERR_NOTFOUND : TT_ERR_IO, "%s: %s", path,
                    strerror(errno));
    for (;;) {
        if (!(grown = realloc(buf, cap + 1))) {
            free(buf);
            fclose(f);
            return fail(err, errlen, TT_ERR_NOMEM, "out of memory");
        }
        buf = grown;
        used += fread(buf + used, 1, cap - used, f);
        if (used < cap || cap >= READ_MAX)
            break;
        cap *= 2;
    }
    if (ferror(f) || used >= READ_MAX) {
        int e = ferror(f) ? errno : EFBIG;
        free(buf);
        fclose(f);
        return fail(err, errlen, TT_ERR_IO, "%s: %s", path, strerror(e));
    }
    fclose(f);
    buf[used] = '\0';
    *out = buf;
    *len = used;
    return TT_OK;
}

static tt_err_t copy_file(const char *from, const char *to, mode_t mode, char *err,
                          size_t errlen)
{
    char *buf;
    size_t len;
    tt_err_t rc = read_file(from, &buf, &len, err, errlen);
    if (rc != TT_OK)
        return rc == TT_ERR_NOTFOUND ? TT_ERR_IO : rc;
    rc = write_file(to, buf, len, mode, err, errlen);
    free(buf);
    return rc;
}

/* Creates folder `path` (mode 0700) unless it is one already. */
static tt_err_t make_dir(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (mkdir(path, 0700) == 0)
        return sync_parent(path, err, errlen);
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return TT_OK;
    return fail(err, errlen, TT_ERR_IO, "%s: %s", path, errno == EEXIST ? "not a folder"
                                                                       : strerror(errno));
}

/* Runs argv[0] (found on PATH) in folder `cwd` with umask 077, `input` (or
 * nothing) on its standard input and its standard output discarded; its
 * standard error becomes the reason when it fails.  Returns TT_OK when it
 * exits 0, else TT_ERR_IO. */
static tt_err_t run(const char *cwd, char *const argv[], const char *input, char *err,
                    size_t errlen)
{
    char out[TOOL_ERR_MAX + 1];
    size_t used = 0;
    int in[2], errp[2], status;
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
        return fail(err, errlen, TT_ERR_IO, "socketpair: %s", strerror(errno));
    if (pipe(errp) != 0 || fcntl(errp[0], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(errp[1], F_SETFD, FD_CLOEXEC) != 0) {
        int e = errno;
        close(in[0]);
        close(in[1]);
        return fail(err, errlen, TT_ERR_IO, "pipe: %s", strerror(e));
    }
    pid = fork();
    if (pid == 0) {
        /* The child (callers are single-threaded): plain system calls until exec. */
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null < 0 || dup2(in[1], STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
            dup2(errp[1], STDERR_FILENO) < 0 || chdir(cwd) != 0)
            _exit(126);
        umask(077);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(in[1]);
    close(errp[1]);
    if (pid < 0) {
        int e = errno;
        close(in[0]);
        close(errp[0]);
        return fail(err, errlen, TT_ERR_IO, "fork: %s", strerror(e));
    }
    /* MSG_NOSIGNAL: a tool that exits without reading is its own failure,
     * reported below, not a SIGPIPE that kills the caller. */
    for (size_t off = 0, len = input ? strlen(input) : 0; off < len;) {
        ssize_t n = send(in[0], input + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(in[0]);
    for (;;) {
        char chunk[512];
        ssize_t n = read(errp[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n && used < TOOL_ERR_MAX; i++)
            out[used++] = chunk[i];
    }
    close(errp[0]);
    out[used] = '\0';
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return fail(err, errlen, TT_ERR_IO, "waitpid: %s", strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return TT_OK;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return fail(err, errlen, TT_ERR_IO, "cannot run %s: not installed? (scripts/setup "
                    "installs it)", argv[0]);
    /* One line: the tool's lines joined with "; ", blank ones dropped. */
    {
        char line[TOOL_ERR_MAX + 64];
        size_t o = 0;
        for (size_t i = 0; i < used && o + 3 < sizeof line; i++) {
            if (out[i] == '\n' || out[i] == '\r') {
                if (o >= 2 && !(line[o - 2] == ';' && line[o - 1] == ' ') && i + 1 < used) {
                    line[o++] = ';';
                    line[o++] = ' ';
                }
            } else if (isprint((unsigned char)out[i]) || (unsigned char)out[i] >= 0x80) {
                line[o++] = out[i];
            }
        }
        while (o >= 2 && line[o - 2] == ';')
            o -= 2;
        line[o] = '\0';
        if (WIFEXITED(status))
            return fail(err, errlen, TT_ERR_IO, "%s %s failed (exit %d): %s", argv[0],
                        argv[1] ? argv[1] : "", WEXITSTATUS(status), o ? line : "no message");
        return fail(err, errlen, TT_ERR_IO, "%s %s failed (signal %d)", argv[0],
                    argv[1] ? argv[1] : "", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
}

/* PASSWORD_LEN characters of A-Z a-z 0-9 from getrandom(2), unbiased
 * (bytes >= 248 are drawn again), into out[PASSWORD_LEN + 1]. */
static tt_err_t random_password(char *out, char *err, size_t errlen)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char bytes[64];
    size_t n = 0;

    while (n < PASSWORD_LEN) {
        ssize_t got = getrandom(bytes, sizeof bytes, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return fail(err, errlen, TT_ERR_IO, "getrandom: %s", strerror(errno));
        for (ssize_t i = 0; i < got && n < PASSWORD_LEN; i++)
            if (bytes[i] < 248)   /* 248 = 4 * 62 */
                out[n++] = alphabet[bytes[i] % 62];
    }
    out[n] = '\0';
    return TT_OK;
}

/* The ASN.1 time openssl takes for "BACKDATE_S ago": YYYYMMDDHHMMSSZ. */
static void backdated(char *out, size_t cap)
{
    time_t t = time(NULL) - BACKDATE_S;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y%m%d%H%M%SZ", &tm);
}

/* Same as UTCTime, YYMMDDHHMMSSZ, which `openssl ca -startdate` takes. */
static void backdated_short(char *out, size_t cap)
{
    time_t t = time(NULL) - BACKDATE_S;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, cap, "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A DNS name (labels of letters, digits and '-', not at either end) or an
 * IPv4/IPv6 address.  Returns "DNS" or "IP", or NULL for neither. */
static const char *host_kind(const char *h)
{
    unsigned char addr[16];
    size_t label = 0, len = strlen(h);

    if (inet_pton(AF_INET, h, addr) == 1 || inet_pton(AF_INET6, h, addr) == 1)
        return "IP";
    if (len == 0 || len > 253)
        return NULL;
    for (size_t i = 0; i <= len; i++) {
        char c = h[i];
        if (c == '.' || c == '\0') {
            if (label == 0 || label > 63 || h[i - 1] == '-')
                return NULL;
            label = 0;
        } else if (isalnum((unsigned char)c) || (c == '-' && label > 0)) {
            label++;
        } else {
            return NULL;
        }
    }
    return "DNS";
}

/* The openssl configuration of the CA directory: openssl ca's records, the
 * extensions of each kind of certificate, the broker's names. */
static tt_err_t write_openssl_cnf(const char *path, const tt_provision_ca_t *c, char *err,
                                  size_t errlen)
{
    char san[4096] = "", text[8192];
    size_t used = 0;
    int n;

    for (size_t i = 0; i < c->nhosts; i++) {
        n = snprintf(san + used, sizeof san - used, "%s%s:%s", i ? ", " : "",
                     host_kind(c->hosts[i]), c->hosts[i]);
        if (n < 0 || (size_t)n >= sizeof san - used)
            return fail(err, errlen, TT_ERR_INVAL, "too many broker hosts");
        used += (size_t)n;
    }
    n = snprintf(text, sizeof text,
                 "# The site CA of tagtrail, made by `tagtrail provision --init-ca`.\n"
                 "# openssl runs in this folder (dir = .).\n"
                 "[ ca ]\n"
                 "default_ca = site_ca\n"
                 "[ site_ca ]\n"
                 "dir = .\n"
                 "database = $dir/index.txt\n"
                 "serial = $dir/serial\n"
                 "crlnumber = $dir/crlnumber\n"
                 "new_certs_dir = $dir/issued\n"
                 "certificate = $dir/ca.crt\n"
                 "private_key = $dir/ca.key\n"
                 "default_md = sha256\n"
                 "default_days = %d\n"
                 "default_crl_days = %d\n"
                 "policy = any_name\n"
                 "unique_subject = no\n"
                 "copy_extensions = none\n"
                 "[ any_name ]\n"
                 "commonName = supplied\n"
                 "[ req ]\n"
                 "distinguished_name = req_name\n"
                 "[ req_name ]\n"
                 "[ ca_ext ]\n"
                 "basicConstraints = critical, CA:TRUE, pathlen:0\n"
                 "keyUsage = critical, keyCertSign, cRLSign\n"
                 "subjectKeyIdentifier = hash\n"
                 "[ broker_ext ]\n"
                 "basicConstraints = critical, CA:FALSE\n"
                 "keyUsage = critical, digitalSignature, keyEncipherment\n"
                 "extendedKeyUsage = serverAuth\n"
                 "subjectAltName = %s\n"
                 "[ client_ext ]\n"
                 "basicConstraints = critical, CA:FALSE\n"
                 "keyUsage = critical, digitalSignature\n"
                 "extendedKeyUsage = clientAuth\n",
                 c->days, c->days, san);
    if (n < 0 || (size_t)n >= sizeof text)
        return fail(err, errlen, TT_ERR_INVAL, "too many broker hosts");
    return write_file(path, text, (size_t)n, 0600, err, errlen);
}

/* A new P-256 key (written as key_path.new, 0600) and its certificate
 * request for CN=`cn` at csr_path, made in the CA folder. */
static tt_err_t make_key(const char *ca, const char *cn, const char *key_path,
                         const char *csr_path, char *err, size_t errlen)
{
    path_t key_new;
    char subj[96];
    with_new(key_new, key_path);
    snprintf(subj, sizeof subj, "/CN=%s", cn);
    {
        char *const argv[] = {"openssl", "req", "-config", "openssl.cnf", "-new", "-newkey",
                              "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc",
                              "-keyout", key_new, "-out", (char *)csr_path, "-subj", subj, NULL};
        return run(ca, argv, NULL, err, errlen);
    }
}

/* Signs csr_path with the site CA into cert_path.new, with extensions
 * `ext` (a section of openssl.cnf), valid from BACKDATE_S ago for `days`. */
static tt_err_t sign(const char *ca, const char *csr_path, const char *ext, int days,
                     const char *cert_path, int selfsign, const char *key_path, char *err,
                     size_t errlen)
{
    path_t cert_new;
    char start[32], ndays[16];
    with_new(cert_new, cert_path);
    backdated_short(start, sizeof start);
    snprintf(ndays, sizeof ndays, "%d", days);
    {
        char *argv[24] = {"openssl", "ca", "-batch", "-config", "openssl.cnf", "-extensions",
                          (char *)ext, "-startdate", start, "-days", ndays, "-rand_serial",
                          "-notext", "-in", (char *)csr_path, "-out", cert_new};
        int n = 17;
        if (selfsign) {
            argv[n++] = "-selfsign";
            argv[n++] = "-keyfile";
            argv[n++] = (char *)key_path;
        }
        argv[n] = NULL;
        return run(ca, argv, NULL, err, errlen);
    }
}

/* Regenerates broker/crl.pem from the CA's records. */
static tt_err_t make_crl(const char *ca, char *err, size_t errlen)
{
    path_t crl, crl_new;
    char last[32];
    tt_err_t rc;

    if (!join(crl, ca, "broker/crl.pem"))
        return fail(err, errlen, TT_ERR_INVAL, "path too long");
    with_new(crl_new, crl);
    backdated(last, sizeof last);
    {
        char *const argv[] = {"openssl", "ca", "-config", "openssl.cnf", "-gencrl",
                              "-crl_lastupdate", last, "-out", crl_new, NULL};
        rc = run(ca, argv, NULL, err, errlen);
    }
    return rc == TT_OK ? commit_new(crl, 0600, err, errlen) : rc;
}

/* The CA directory's paths, absolute. */
typedef struct {
    path_t dir, cnf, key, crt, passwd, acl, url, certs, revoked;
} ca_paths_t;

static tt_err_t ca_paths(const char *dir, int must_exist, ca_paths_t *p, char *err,
                         size_t errlen)
{
    if (must_exist) {
        if (!realpath(dir, p->dir))
            return fail(err, errlen, TT_ERR_NOTFOUND, "%s: %s", dir, strerror(errno));
    } else if (snprintf(p->dir, sizeof p->dir, "%s", dir) >= (int)sizeof p->dir) {
        return fail(err, errlen, TT_ERR_INVAL, "%s: path too long", dir);
    }
    if (!join(p->cnf, p->dir, "openssl.cnf") || !join(p->key, p->dir, "ca.key") ||
        !join(p->crt, p->dir, "ca.crt") || !join(p->passwd, p->dir, "broker/passwd") ||
        !join(p->acl, p->dir, "broker/acl") || !join(p->url, p->dir, "broker.url") ||
        !join(p->certs, p->dir, "certs") || !join(p->revoked, p->dir, "revoked"))
        return fail(err, errlen, TT_ERR_INVAL, "%s: path too long", dir);
    if (must_exist && (!exists(p->cnf) || !exists(p->key) || !exists(p->passwd) ||
                       !exists(p->url)))
        return fail(err, errlen, TT_ERR_NOTFOUND, "%s is not a site CA directory (make one "
                    "with tagtrail provision --init-ca)", dir);
    return TT_OK;
}

tt_err_t tt_provision_init_ca(const tt_provision_ca_t *conf, char *err, size_t errlen)
{
    tt_provision_ca_t c = *conf;
    ca_paths_t p;
    path_t sub, csr, bkey, bcrt, bca, index, crlnum, absdir;
    char url[512];
    tt_err_t rc;

    c.port = c.port ? c.port : TT_PROVISION_PORT;
    c.days = c.days ? c.days : DEFAULT_DAYS;
    if (c.nhosts == 0)
        return fail(err, errlen, TT_ERR_INVAL, "the broker needs at least one host name "
                    "(--host), as clients write it in their url");
    for (size_t i = 0; i < c.nhosts; i++)
        if (!host_kind(c.hosts[i]))
            return fail(err, errlen, TT_ERR_INVAL, "host '%s' is neither a DNS name nor an IP "
                        "address", c.hosts[i]);
    if (c.port < 1 || c.port > 65535 || c.days < 1 || c.days > 36500)
        return fail(err, errlen, TT_ERR_INVAL, "port must be 1-65535 and days 1-36500");
    rc = ca_paths(c.ca_dir, 0, &p, err, errlen);
    if (rc != TT_OK)
        return rc;
    /* broker.url is written last: without it, an earlier attempt failed
     * before the CA issued anything for a client, and starts over. */
    if (exists(p.url))
        return fail(err, errlen, TT_ERR_EXISTS, "%s already holds a site CA", c.ca_dir);
    if ((rc = make_dir(p.dir, err, errlen)) != TT_OK)
        return rc;
    /* From here on, every path is absolute: openssl runs in the folder. */
    if (!realpath(p.dir, absdir))
        return fail(err, errlen, TT_ERR_IO, "%s: %s", p.dir, strerror(errno));
    if ((rc = ca_paths(absdir, 0, &p, err, errlen)) != TT_OK)
        return rc;
    if (!join(index, p.dir, "index.txt") || !join(crlnum, p.dir, "crlnumber") ||
        !join(csr, p.dir, "request.csr") || !join(bkey, p.dir, "broker/broker.key") ||
        !join(bcrt, p.dir, "broker/broker.crt") || !join(bca, p.dir, "broker/ca.crt"))
        return fail(err, errlen, TT_ERR_INVAL, "%s: path too long", c.ca_dir);
    static const char *const subs[] = {"issued", "certs", "revoked", "broker"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (!join(sub, p.dir, subs[i]))
            return fail(err, errlen, TT_ERR_INVAL, "%s: path too long", c.ca_dir);
        if ((rc = make_dir(sub, err, errlen)) != TT_OK)
            return rc;
    }
    if ((rc = write_file(index, "", 0, 0600, err, errlen)) != TT_OK ||
        (rc = write_file(crlnum, "1000\n", 5, 0600, err, errlen)) != TT_OK ||
        (rc = write_openssl_cnf(p.cnf, &c, err, errlen)) != TT_OK)
        return rc;
    /* The CA: a self-signed certificate through `openssl ca`, which alone
     * can backdate it. */
    if ((rc = make_key(p.dir, "tagtrail site CA", p.key, csr, err, errlen)) != TT_OK)
        return rc;
    {
        path_t key_new;
        with_new(key_new, p.key);
        rc = sign(p.dir, csr, "ca_ext", c.days, p.crt, 1, key_new, err, errlen);
    }
    if (rc != TT_OK || (rc = commit_new(p.key, 0600, err, errlen)) != TT_OK ||
        (rc = commit_new(p.crt, 0644, err, errlen)) != TT_OK)
        return rc;
    /* The broker's key and certificate. */
    if ((rc = make_key(p.dir, c.hosts[0], bkey, csr, err, errlen)) != TT_OK ||
        (rc = sign(p.dir, csr, "broker_ext", c.days, bcrt, 0, NULL, err, errlen)) != TT_OK ||
        (rc = commit_new(bkey, 0600, err, errlen)) != TT_OK ||
        (rc = commit_new(bcrt, 0644, err, errlen)) != TT_OK)
        return rc;
    unlink(csr);
    if ((rc = copy_file(p.crt, bca, 0644, err, errlen)) != TT_OK ||
        (rc = write_file(p.passwd, "", 0, 0600, err, errlen)) != TT_OK ||
        (rc = write_file(p.acl, TT_PROVISION_ACL_TEXT, strlen(TT_PROVISION_ACL_TEXT), 0600, err,
                         errlen)) != TT_OK ||
        (rc = make_crl(p.dir, err, errlen)) != TT_OK)
        return rc;
    snprintf(url, sizeof url, strchr(c.hosts[0], ':') ? "ssl://[%s]:%d\n" : "ssl://%s:%d\n",
             c.hosts[0], c.port);
    return write_file(p.url, url, strlen(url), 0644, err, errlen);
}

/* Whether the password file text has an entry for `user`. */
static int has_user(const char *text, const char *user)
{
    size_t ulen = strlen(user);
    for (const char *l = text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
        if (strncmp(l, user, ulen) == 0 && l[ulen] == ':')
            return 1;
    return 0;
}

/* Runs mosquitto_passwd on a copy of the password file (passwd.new) and
 * commits it: `password` set for `user`, or the user deleted when NULL. */
static tt_err_t edit_passwd(const ca_paths_t *p, const char *user, const char *password,
                            char *err, size_t errlen)
{
    path_t tmp;
    char input[2 * PASSWORD_LEN + 8];
    tt_err_t rc;

    with_new(tmp, p->passwd);
    rc = copy_file(p->passwd, tmp, 0600, err, errlen);
    /* copy_file leaves tmp.new renamed to tmp: the copy is tmp itself. */
    if (rc != TT_OK)
        return rc;
    if (password) {
        char *const argv[] = {"mosquitto_passwd", tmp, (char *)user, NULL};
        snprintf(input, sizeof input, "%s\n%s\n", password, password);
        rc = run(p->dir, argv, input, err, errlen);
    } else {
        char *const argv[] = {"mosquitto_passwd", "-D", tmp, (char *)user, NULL};
        rc = run(p->dir, argv, NULL, err, errlen);
    }
    memset(input, 0, sizeof input);
    if (rc != TT_OK) {
        unlink(tmp);
        return rc;
    }
    return commit_new(p->passwd, 0600, err, errlen);
}

/* Removes a `user NAME` line and the `topic` lines after it from the ACL
 * (a site's own rules for one terminal).  Nothing to do is TT_OK. */
static tt_err_t drop_acl_user(const ca_paths_t *p, const char *user, char *err, size_t errlen)
{
    char *text, *out;
    size_t len, o = 0;
    int in_block = 0, changed = 0;
    tt_err_t rc = read_file(p->acl, &text, &len, err, errlen);

    if (rc == TT_ERR_NOTFOUND)
        return TT_OK;
    if (rc != TT_OK)
        return rc;
    if (!(out = malloc(len + 1))) {
        free(text);
        return fail(err, errlen, TT_ERR_NOMEM, "out of memory");
    }
    for (char *l = text; *l;) {
        char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) + 1 : strlen(l), end = n;
        while (end > 0 && isspace((unsigned char)l[end - 1]))
            end--;
        /* Mosquitto's user lines: "user NAME", NAME being the rest of the line. */
        if (strncmp(l, "user ", 5) == 0)
            in_block = end == 5 + strlen(user) && strncmp(l + 5, user, strlen(user)) == 0;
        else if (strncmp(l, "topic ", 6) != 0 && l[0] != '#' && end > 0)
            in_block = 0;
        if (in_block)
            changed = 1;
        else {
            memcpy(out + o, l, n);
            o += n;
        }
        l += n;
    }
    free(text);
    rc = changed ? write_file(p->acl, out, o, 0600, err, errlen) : TT_OK;
    free(out);
    return rc;
}

/* Revokes certs/USER.crt (if any) into the CRL and moves it to revoked/. */
static tt_err_t revoke_cert(const ca_paths_t *p, const char *user, char *err, size_t errlen)
{
    path_t cert, gone;
    char name[128];
    tt_err_t rc;

    snprintf(name, sizeof name, "%s.crt", user);
    if (!join(cert, p->certs, name))
        return fail(err, errlen, TT_ERR_INVAL, "path too long");
    if (!exists(cert))
        return TT_OK;
    {
        char *const argv[] = {"openssl", "ca", "-config", "openssl.cnf", "-revoke", cert,
                              "-crl_reason", "cessationOfOperation", NULL};
        rc = run(p->dir, argv, NULL, err, errlen);
    }
    /* A revocation that was recorded before a crash: finish the rest. */
    if (rc != TT_OK && !(errlen > 0 && strstr(err, "Already revoked")))
        return rc;
    if ((rc = make_crl(p->dir, err, errlen)) != TT_OK)
        return rc;
    snprintf(name, sizeof name, "%s-%lld.crt", user, (long long)time(NULL));
    if (!join(gone, p->revoked, name))
        return fail(err, errlen, TT_ERR_INVAL, "path too long");
    if (rename(cert, gone) != 0)
        return fail(err, errlen, TT_ERR_IO, "%s: %s", cert, strerror(errno));
    return sync_parent(cert, err, errlen);
}

/* mqtt.conf: the [mqtt] section of the identity's config. */
static tt_err_t write_snippet(const char *path, const char *user, const char *url,
                              int terminal, char *err, size_t errlen)
{
    char text[2048];
    int n = snprintf(text, sizeof text,
                     "# The broker identity of %s, made by tagtrail provision.  These\n"
                     "# are the [mqtt] keys of %s in place of any url, username,\n"
                     "# password and TLS keys there (keepalive_s stays); keep the files\n"
                     "# named here beside that file.\n"
                     "[mqtt]\n"
                     "url = %s\n"
                     "username = %s\n"
                     "password_file = mqtt.password\n"
                     "ca_file = ca.crt\n"
                     "cert_file = %s.crt\n"
                     "key_file = %s.key\n",
                     terminal ? user : "the server", terminal ? "terminal.conf" : "server.conf",
                     url, user, user, user);
    if (n < 0 || (size_t)n >= sizeof text)
        return fail(err, errlen, TT_ERR_INVAL, "url too long");
    return write_file(path, text, (size_t)n, 0644, err, errlen);
}

tt_err_t tt_provision_identity(const tt_provision_conf_t *conf, char *err, size_t errlen)
{
    const char *user = conf->terminal ? conf->terminal : TT_PROVISION_SERVER_USER;
    int days = conf->days ? conf->days : DEFAULT_DAYS;
    ca_paths_t p;
    path_t out, cert, cert_new, csr, f;
    char name[128], password[PASSWORD_LEN + 1], url[512], *text = NULL;
    size_t len;
    int had_cert;
    tt_err_t rc;

    if (conf->terminal && !tt_event_id_valid(conf->terminal))
        return fail(err, errlen, TT_ERR_INVAL, "terminal id '%s' must be 1-%d of A-Z a-z 0-9 "
                    "_ . -", conf->terminal, TT_EVENT_ID_MAX);
    if (days < 1 || days > 36500)
        return fail(err, errlen, TT_ERR_INVAL, "days must be 1-36500");
    if ((rc = ca_paths(conf->ca_dir, 1, &p, err, errlen)) != TT_OK)
        return rc;
    if (conf->url) {
        if (strlen(conf->url) >= sizeof url - 1 ||
            strpbrk(conf->url, " \t\r\n\"\\") ||
            (strncmp(conf->url, "ssl://", 6) != 0 && strncmp(conf->url, "mqtts://", 8) != 0))
            return fail(err, errlen, TT_ERR_INVAL, "url '%s' must be ssl://HOST:PORT or "
                        "mqtts://HOST:PORT", conf->url);
        snprintf(url, sizeof url, "%s", conf->url);
    } else {
        if ((rc = read_file(p.url, &text, &len, err, errlen)) != TT_OK)
            return rc == TT_ERR_NOTFOUND ? TT_ERR_IO : rc;
        snprintf(url, sizeof url, "%.*s", (int)strcspn(text, "\r\n"), text);
        free(text);
    }
    snprintf(name, sizeof name, "%s.crt", user);
    if (!join(cert, p.certs, name) || !join(csr, p.dir, "request.csr"))
        return fail(err, errlen, TT_ERR_INVAL, "path too long");
    with_new(cert_new, cert);
    had_cert = exists(cert);
    if ((rc = read_file(p.passwd, &text, &len, err, errlen)) != TT_OK)
        return rc == TT_ERR_NOTFOUND ? TT_ERR_IO : rc;
    if ((had_cert || has_user(text, user)) && !conf->replace) {
        free(text);
        return fail(err, errlen, TT_ERR_EXISTS, "%s is already provisioned: --replace "
                    "gives it a new password and certificate (the old one revoked)",
                    user);
    }
    free(text);
    if ((rc = make_dir(conf->out_dir, err, errlen)) != TT_OK)
        return rc;
    if (!realpath(conf->out_dir, out))
        return fail(err, errlen, TT_ERR_IO, "%s: %s", conf->out_dir, strerror(errno));

    /* The key goes straight to the identity's folder; the certificate is
     * kept by the CA too, for a later revocation. */
    snprintf(name, sizeof name, "%s.key", user);
    if (!join(f, out, name))
        return fail(err, errlen, TT_ERR_INVAL, "path too long");
    if ((rc = random_password(password, err, errlen)) != TT_OK ||
        (rc = make_key(p.dir, user, f, csr, err, errlen)) != TT_OK ||
        (rc = sign(p.dir, csr, "client_ext", days, cert, 0, NULL, err, errlen)) != TT_OK ||
        (rc = commit_new(f, 0600, err, errlen)) != TT_OK)
        goto out;
    unlink(csr);
    snprintf(name, sizeof name, "%s.crt", user);
    if (!join(f, out, name)) {
        rc = fail(err, errlen, TT_ERR_INVAL, "path too long");
        goto out;
    }
    if ((rc = copy_file(cert_new, f, 0644, err, errlen)) != TT_OK ||
        (rc = (join(f, out, "ca.crt") ? copy_file(p.crt, f, 0644, err, errlen)
                                      : TT_ERR_INVAL)) != TT_OK)
        goto out;
    {
        char line[PASSWORD_LEN + 2];
        snprintf(line, sizeof line, "%s\n", password);
        rc = join(f, out, "mqtt.password") ? write_file(f, line, strlen(line), 0600, err, errlen)
                                          : TT_ERR_INVAL;
        memset(line, 0, sizeof line);
    }
    if (rc != TT_OK || (rc = (join(f, out, "mqtt.conf")
                                  ? write_snippet(f, user, url, conf->terminal != NULL, err,
                                                  errlen)
                                  : TT_ERR_INVAL)) != TT_OK)
        goto out;
    /* The identity's files are all written: now the broker's. */
    if ((rc = edit_passwd(&p, user, password, err, errlen)) != TT_OK)
        goto out;
    if (had_cert && (rc = revoke_cert(&p, user, err, errlen)) != TT_OK)
        goto out;
    rc = commit_new(cert, 0644, err, errlen);
out:
    memset(password, 0, sizeof password);
    unlink(cert_new);
    unlink(csr);
    if (rc == TT_ERR_INVAL && errlen > 0 && !err[0])
        fail(err, errlen, rc, "path too long");
    return rc;
}

tt_err_t tt_provision_revoke(const char *ca_dir, const char *terminal, char *err, size_t errlen)
{
    ca_paths_t p;
    path_t cert;
    char name[128], *text;
    size_t len;
    int listed;
    tt_err_t rc;

    if (!tt_event_id_valid(terminal))
        return fail(err, errlen, TT_ERR_INVAL, "terminal id '%s' must be 1-%d of A-Z a-z 0-9 "
                    "_ . -", terminal, TT_EVENT_ID_MAX);
    if ((rc = ca_paths(ca_dir, 1, &p, err, errlen)) != TT_OK)
        return rc;
    snprintf(name, sizeof name, "%s.crt", terminal);
    if (!join(cert, p.certs, name))
        return fail(err, errlen, TT_ERR_INVAL, "path too long");
    if ((rc = read_file(p.passwd, &text, &len, err, errlen)) != TT_OK)
        return rc == TT_ERR_NOTFOUND ? TT_ERR_IO : rc;
    listed = has_user(text, terminal);
    free(text);
    if (!listed && !exists(cert))
        return fail(err, errlen, TT_ERR_NOTFOUND, "%s has no identity at %s (never "
                    "provisioned, or revoked already)", terminal, ca_dir);
    if (listed && (rc = edit_passwd(&p, terminal, NULL, err, errlen)) != TT_OK)
        return rc;
    if ((rc = drop_acl_user(&p, terminal, err, errlen)) != TT_OK)
        return rc;
    return revoke_cert(&p, terminal, err, errlen);
}
