/*
 * scanner: barcode scanners behind one interface.
 *
 * A backend is a const ops table; the board file names it ("fake" on the sim
 * board).  The firmware never blocks on a scanner: it polls tt_scanner_fd()
 * and calls tt_scanner_read() when that descriptor is readable, until the
 * read says TT_ERR_BUSY (nothing more for now).
 *
 * The fake backend is always built.  Its codes come from tt_scanner_inject(),
 * which the sim terminal's control socket calls, so tests and the demo drive
 * exactly the path a real scan takes.
 */
#ifndef TT_SCANNER_H
#define TT_SCANNER_H

#include <stddef.h>

#include "err.h"

#define TT_SCANNER_CODE_MAX 256   /* longest code delivered, with its NUL */

typedef struct tt_scanner tt_scanner_t;

typedef struct {
    const char *name;
    /* Opens the device; *state is the backend's own. */
    tt_err_t (*open)(void **state);
    void (*close)(void *state);
    /* Descriptor readable when codes may be waiting, or -1. */
    int (*fd)(void *state);
    /* Copies the next code (NUL-terminated) into code[len]; TT_ERR_BUSY when
     * none is waiting, TT_ERR_TOOBIG for a code that does not fit (dropped). */
    tt_err_t (*read)(void *state, char *code, size_t len);
    /* Queues a code as if scanned; NULL for real devices. */
    tt_err_t (*inject)(void *state, const char *code);
} tt_scanner_ops_t;

extern const tt_scanner_ops_t tt_scanner_fake_ops;

/* Opens the scanner backend called `driver`.  On TT_OK *out is owned by the
 * caller (tt_scanner_close).  Returns TT_ERR_NOTFOUND for an unknown driver,
 * TT_ERR_NOMEM, or the backend's own error. */
tt_err_t tt_scanner_open(const char *driver, tt_scanner_t **out);

/* Closes the scanner; NULL is accepted. */
void tt_scanner_close(tt_scanner_t *s);

/* Returns the descriptor to poll for input, or -1. */
int tt_scanner_fd(const tt_scanner_t *s);

/* Reads the next scanned code, see tt_scanner_ops_t.read. */
tt_err_t tt_scanner_read(tt_scanner_t *s, char *code, size_t len);

/* Queues `code` on a scanner that supports injection (the fake backend).
 * Returns TT_OK; TT_ERR_INVAL for an empty or over-long code; TT_ERR_FULL when
 * the queue is full; TT_ERR_DEVICE when the backend cannot inject. */
tt_err_t tt_scanner_inject(tt_scanner_t *s, const char *code);

/* Returns non-zero when `driver` names a known backend. */
int tt_scanner_known(const char *driver);

#endif
