/*
 * control: the terminal's local control socket (a Unix stream socket).
 *
 * Clients send one command per line and get one reply line per command,
 * "ok ..." or "err <code> <message>"; docs/protocol.md lists the commands.
 * The `tagtrail` tool, the tests and the demo drive a sim terminal through
 * it.  The module only frames lines; the firmware gives them meaning.  A reply
 * may be sent later than the command (a scan is answered once it is durable),
 * so each client has a stable id that outlives fd reuse.
 */
#ifndef TT_CONTROL_H
#define TT_CONTROL_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TT_CONTROL_LINE_MAX 1024
#define TT_CONTROL_CLIENTS 16
#define TT_CONTROL_REPLY_MAX 32768   /* longest reply line; longer ones are cut */

typedef struct tt_control tt_control_t;

/* Called for each complete line (NUL-terminated, without its newline). */
typedef void (*tt_control_line_fn)(void *ctx, uint64_t client, char *line);

/* Listens on `path` (a stale socket file there is replaced; permissions
 * 0660).  On TT_OK *out is owned by the caller (tt_control_close).
 * Returns TT_ERR_INVAL (path too long), TT_ERR_IO (reason in err), TT_ERR_NOMEM. */
tt_err_t tt_control_open(const char *path, tt_control_t **out, char *err, size_t errlen);

/* Closes every client and the listener and removes the socket file; NULL is
 * accepted. */
void tt_control_close(tt_control_t *ctl);

/* Writes up to `max` pollfds (listener and clients) into fds.  Returns the
 * count written. */
size_t tt_control_pollfds(const tt_control_t *ctl, struct pollfd *fds, size_t max);

/* Handles readiness reported in fds[0..n-1] (as filled by tt_control_pollfds
 * and then polled): accepts clients, reads lines and calls `fn` for each.
 * Over-long lines are answered with an error and dropped. */
void tt_control_handle(tt_control_t *ctl, const struct pollfd *fds, size_t n,
                       tt_control_line_fn fn, void *ctx);

/* Sends one reply line (a newline is appended) to `client`.  Returns TT_OK,
 * or TT_ERR_NOTFOUND when that client has gone.  A client that does not read
 * its replies is disconnected rather than blocking the terminal. */
tt_err_t tt_control_reply(tt_control_t *ctl, uint64_t client, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
