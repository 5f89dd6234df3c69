/*
 * httpc: the tagtrail tool's small blocking client: a stream connection with
 * timeouts, one request and its whole reply, and HTTP/1.1 GET from a
 * server named http://HOST[:PORT] (IPv4, plain HTTP: the server's API,
 * docs/api.md).  The terminal's control socket (a Unix socket, one line
 * each way) uses the same connection and exchange.
 *
 * It reports failures as codes and errno values, never as messages: the
 * tool (cli.c) words them in the user's language.
 */
#ifndef TT_HTTPC_H
#define TT_HTTPC_H

#include <stddef.h>
#include <sys/socket.h>

#include "err.h"

#define TT_HTTPC_TIMEOUT_S 10                     /* each connect, send and receive */
#define TT_HTTPC_TOTAL_MS 60000                   /* a whole exchange, against a trickling peer */
#define TT_HTTPC_BODY_MAX (16u * 1024 * 1024)     /* largest HTTP reply read */

/* Connects a stream socket of `family` to `sa`, with TT_HTTPC_TIMEOUT_S on
 * connect, send and every receive.  Returns the descriptor (the caller
 * closes it), or -errno. */
int tt_httpc_dial(int family, const struct sockaddr *sa, socklen_t len);

/* Sends `req` on `fd` and reads the answer into a new NUL-terminated *out
 * (*outlen bytes before the NUL; the caller frees it): through the first
 * newline if `one_line`, else to the end of the stream, within
 * TT_HTTPC_TOTAL_MS.  A peer that went away is an error, not SIGPIPE.
 * Returns 0, or an errno: EAGAIN (timed out), ENODATA (closed before the
 * newline), EFBIG (more than `max` bytes), ENOMEM, or what send or recv
 * said. */
int tt_httpc_exchange(int fd, const char *req, int one_line, size_t max, char **out,
                      size_t *outlen);

/* Splits "http://HOST[:PORT][/]" into host[256] and port[6] ("80" when
 * none).  HOST is an IPv4 address or a name resolved to IPv4; no IPv6,
 * user info, path or query.  Returns 0, or -1 for any other shape. */
int tt_httpc_url_parse(const char *url, char *host, char *port);

/* Appends `s` to the string in buf[cap], percent-encoding all but RFC 3986
 * unreserved bytes.  Stops short rather than overflow or write half an
 * escape: callers size buf for the worst case. */
void tt_httpc_pct_append(char *buf, size_t cap, const char *s);

/* A reply to tt_httpc_get. */
typedef struct {
    int status;              /* TT_OK: the HTTP status */
    char *body;              /* TT_OK: the body, NUL-terminated after len bytes;
                              * the caller frees it */
    size_t len;
    int err;                 /* TT_ERR_IO: the errno, as tt_httpc_exchange gives */
    const char *detail;      /* TT_ERR_CONN, TT_ERR_PROTO: what went wrong (static) */
} tt_httpc_reply_t;

/* GETs `path` (already percent-encoded) from the server at `url` with
 * Accept `accept`, Connection: close and, when `token` is neither NULL nor
 * "", `Authorization: Bearer <token>` (the server's service token: printable
 * ASCII without spaces, else TT_ERR_INVAL), reading the whole reply (at most
 * TT_HTTPC_BODY_MAX bytes).  Only the first address the name resolves to
 * is tried.  Returns TT_OK with any status, TT_ERR_INVAL (url is not of
 * tt_httpc_url_parse's shape), TT_ERR_CONN (the name does not resolve),
 * TT_ERR_IO (connecting, sending or receiving failed) or TT_ERR_PROTO (no
 * status line, a chunked body, or a body whose length is not its
 * Content-Length); r->body is set only with TT_OK. */
tt_err_t tt_httpc_get(const char *url, const char *path, const char *accept, const char *token,
                      tt_httpc_reply_t *r);

#endif
