/*
 * httpc: the tool's blocking client (see httpc.h).
 */
#include "httpc.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "clock.h"

#ifndef TT_VERSION
#define TT_VERSION "unknown"   /* CMake defines it; a standalone build may not */
#endif

int tt_httpc_dial(int family, const struct sockaddr *sa, socklen_t len)
{
    struct timeval tv = {.tv_sec = TT_HTTPC_TIMEOUT_S, .tv_usec = 0};
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

int tt_httpc_exchange(int fd, const char *req, int one_line, size_t max, char **out,
                      size_t *outlen)
{
    int64_t deadline = tt_clock_mono_ms() + TT_HTTPC_TOTAL_MS;
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

int tt_httpc_url_parse(const char *url, char *host, char *port)
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

void tt_httpc_pct_append(char *buf, size_t cap, const char *s)
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

/* Splits the whole reply buf[len] (NUL-terminated) into its status and
 * body, which is moved to the start of buf.  Returns NULL, or why it is
 * not a reply this client reads. */
static const char *split_reply(char *buf, size_t len, int *status, size_t *blen)
{
    char *hdr = strstr(buf, "\r\n\r\n"), *line;
    const char *bad = NULL;
    long long clen = -1;

    if (!hdr || sscanf(buf, "HTTP/1.%*1[01] %3d", status) != 1 || *status < 100)
        return "no HTTP status line";
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
    if (!bad)
        memmove(buf, hdr + 4, *blen + 1);
    return bad;
}

tt_err_t tt_httpc_get(const char *url, const char *path, const char *accept, const char *token,
                      tt_httpc_reply_t *r)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    char host[256], port[6], req[4096], auth[200] = "", *buf;
    size_t len;
    int fd, err;

    memset(r, 0, sizeof *r);
    if (tt_httpc_url_parse(url, host, port) != 0)
        return TT_ERR_INVAL;
    if (token && token[0]) {
        /* Never a header's end, or a second header, inside the token. */
        for (const char *p = token; *p; p++)
            if (*p <= ' ' || *p > '~')
                return TT_ERR_INVAL;
        if (strlen(token) > 160)
            return TT_ERR_INVAL;
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", token);
    }
    err = getaddrinfo(host, port, &hints, &res);
    if (err != 0) {
        r->detail = gai_strerror(err);
        return TT_ERR_CONN;
    }
    fd = tt_httpc_dial(res->ai_family, res->ai_addr, res->ai_addrlen);   /* the first only */
    freeaddrinfo(res);
    if (fd < 0) {
        r->err = -fd;
        return TT_ERR_IO;
    }
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\nHost: %s:%s\r\nAccept: %s\r\n%s"
             "User-Agent: tagtrail/" TT_VERSION "\r\nConnection: close\r\n\r\n", path, host, port,
             accept, auth);
    err = tt_httpc_exchange(fd, req, 0, TT_HTTPC_BODY_MAX, &buf, &len);
    close(fd);
    if (err) {
        r->err = err;
        return TT_ERR_IO;
    }
    r->detail = split_reply(buf, len, &r->status, &r->len);
    if (r->detail) {
        free(buf);
        return TT_ERR_PROTO;
    }
    r->body = buf;
    return TT_OK;
}
