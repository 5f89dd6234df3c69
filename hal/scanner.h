/*
 * scanner: barcode scanners behind one interface.
 *
 * A backend is a const ops table; the board file names it and gives its
 * parameters (tt_scanner_conf_t).  The firmware never blocks on a scanner:
 * each loop it asks tt_scanner_pollfds() for descriptors and
 * tt_scanner_deadline() for the next timed work, polls, hands the results to
 * tt_scanner_service(), then calls tt_scanner_read() until it says
 * TT_ERR_BUSY.  A device that is unplugged is reopened by the backend itself
 * (on its deadline); tt_scanner_present() says whether it is there now, so
 * the screen can show "scanner missing".
 *
 * The fake backend is always built.  Its codes come from tt_scanner_inject(),
 * which the sim terminal's control socket calls, so tests and the demo drive
 * exactly the path a real scan takes; it can also be told to go missing.
 */
#ifndef TT_SCANNER_H
#define TT_SCANNER_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TT_SCANNER_CODE_MAX 256   /* longest code delivered, with its NUL */

typedef struct tt_scanner tt_scanner_t;

/* Parameters from the board file's [scanner] section; a backend reads the
 * ones it uses and ignores the rest (the board parser refuses keys that no
 * backend knows). */
typedef struct {
    char driver[32];         /* "fake", "usb", "evdev", "serial" */
    uint16_t vid, pid;       /* usb: device to claim */
    int interface;           /* usb: interface number */
    int auto_detach;         /* usb: let libusb detach the kernel driver */
    char device[256];        /* evdev: /dev/input/...; serial: /dev/ttyACM0 */
    int baud;                /* serial */
    char layout[16];         /* keyboard layout table: "us" */
    int grab;                /* evdev: exclusive grab */
    int reopen_ms;           /* how often a missing device is looked for */
} tt_scanner_conf_t;

typedef struct {
    const char *name;
    tt_err_t (*open)(const tt_scanner_conf_t *conf, void **state);
    void (*close)(void *state);
    size_t (*pollfds)(void *state, struct pollfd *fds, size_t max);
    int64_t (*deadline)(void *state);           /* tt_clock_mono_ms, or -1 */
    void (*service)(void *state, const struct pollfd *fds, size_t n, int64_t now_ms);
    tt_err_t (*read)(void *state, char *code, size_t len);
    int (*present)(void *state);
    tt_err_t (*inject)(void *state, const char *code);   /* NULL for real devices */
} tt_scanner_ops_t;

/* Opens the backend named by conf->driver.  A real device that is absent is
 * not an error: the scanner starts "missing" and is looked for on its
 * deadline.  On TT_OK *out is owned by the caller (tt_scanner_close).
 * Returns TT_ERR_NOTFOUND for an unknown driver, TT_ERR_NOMEM, or the
 * backend's own error for bad parameters (TT_ERR_INVAL). */
tt_err_t tt_scanner_open(const tt_scanner_conf_t *conf, tt_scanner_t **out);

/* Closes the scanner; NULL is accepted. */
void tt_scanner_close(tt_scanner_t *s);

/* Writes up to max descriptors to poll; returns how many. */
size_t tt_scanner_pollfds(const tt_scanner_t *s, struct pollfd *fds, size_t max);

/* Next moment (tt_clock_mono_ms) the scanner has timed work, or -1. */
int64_t tt_scanner_deadline(const tt_scanner_t *s);

/* Handles readiness of the descriptors from tt_scanner_pollfds (after poll)
 * and timed work that is due. */
void tt_scanner_service(tt_scanner_t *s, const struct pollfd *fds, size_t n, int64_t now_ms);

/* Copies the next complete code (NUL-terminated) into code[len].  Returns
 * TT_OK; TT_ERR_BUSY when none is waiting; TT_ERR_TOOBIG for a code that did
 * not fit (it is dropped). */
tt_err_t tt_scanner_read(tt_scanner_t *s, char *code, size_t len);

/* Non-zero when the device is there. */
int tt_scanner_present(const tt_scanner_t *s);

/* Queues `code` on a scanner that supports injection (the fake backend).
 * Returns TT_OK; TT_ERR_INVAL for an empty or over-long code; TT_ERR_FULL when
 * the queue is full; TT_ERR_DEVICE when the backend cannot inject. */
tt_err_t tt_scanner_inject(tt_scanner_t *s, const char *code);

/* Returns non-zero when `driver` names a known backend. */
int tt_scanner_known(const char *driver);

/* test/sim: injected into the fake backend, these unplug and replug it
 * (present() follows; while unplugged, codes are refused with
 * TT_ERR_DEVICE).  They start with SOH, which no scanned code does. */
#define TT_SCANNER_SIM_UNPLUG "\x01unplug"
#define TT_SCANNER_SIM_PLUG "\x01plug"

#endif
