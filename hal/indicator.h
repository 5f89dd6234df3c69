/*
 * indicator: what the storekeeper sees and hears at the counter, behind one
 * interface like the scanner.
 *
 * A light tower and buzzer on Modbus coils ("modbus": green = ok, red =
 * error, amber = offline), or the console bell where there is none
 * ("console": the lamps are left to the screen), or a fake that records what
 * it was told ("fake").  tt_indicator_set() and tt_indicator_beep() only
 * record the wish and never do I/O; the outputs change in
 * tt_indicator_service(), which the firmware's poll loop calls like every
 * other module's: tt_indicator_deadline() says "at once" while a change
 * waits, and gives the end of each buzzer pulse, so nothing ever sleeps.
 *
 * Beeps: TT_INDICATOR_BEEP_OK is one short pulse (beep_ok_ms);
 * TT_INDICATOR_BEEP_ERROR is beep_error_pulses pulses of beep_error_ms,
 * beep_gap_ms apart (default: one 800 ms pulse on a buzzer; on the console,
 * whose bell has a fixed length, three bells 300 ms apart).  A new beep replaces the one
 * sounding, except that an ok beep never cuts an error beep short.
 *
 * The "modbus" backend's coil writes (function 05) are bounded-blocking: each
 * waits at most timeout_ms for its answer, and connecting at most timeout_ms
 * too.  They happen only when an output changes, on reconnect, and every
 * refresh_ms; the first failure closes the link, and the tower is retried
 * once per reconnect_ms, so a missing tower costs the loop at most one
 * timeout_ms per reconnect_ms.  After every (re)connect and refresh all coils
 * are written, so a tower that lost power shows the right lamp again.
 */
#ifndef TT_INDICATOR_H
#define TT_INDICATOR_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TT_INDICATOR_FDS_MAX 1   /* most descriptors any backend asks to poll */

typedef enum {
    TT_INDICATOR_OFF,        /* every lamp off */
    TT_INDICATOR_OK,         /* green */
    TT_INDICATOR_ERROR,      /* red */
    TT_INDICATOR_OFFLINE,    /* amber */
} tt_indicator_state_t;

typedef enum {
    TT_INDICATOR_BEEP_OK,    /* one short beep */
    TT_INDICATOR_BEEP_ERROR, /* a long beep (a train of bells on the console) */
} tt_indicator_beep_t;

typedef struct tt_indicator tt_indicator_t;

/* Parameters from the board file's [indicator] section; a backend reads the
 * ones it uses.  tt_indicator_conf_defaults() gives every field a usable
 * value; tt_indicator_open() checks the ones its backend uses. */
typedef struct {
    char driver[32];         /* "modbus", "console", "fake" */
    char transport[8];       /* modbus: "tcp" or "rtu" */
    char host[64];           /* tcp: numeric IPv4 or IPv6 address (no DNS: it would block) */
    int port;                /* tcp: default 502 */
    char device[256];        /* rtu: the tty; console: the terminal to ring (/dev/tty1) */
    int baud;                /* rtu: standard rate 1200..921600, default 9600 */
    char parity;             /* rtu: 'N', 'E' or 'O' */
    int data_bits;           /* rtu: 5..8 */
    int stop_bits;           /* rtu: 1 or 2 */
    int rs485;               /* rtu: kernel RS-485 mode; a tty that refuses fails the link */
    int slave;               /* Modbus unit id: rtu 1..247, tcp 0..247 or 255; default 1 */
    int coil_green, coil_red, coil_amber, coil_buzzer;
                             /* modbus: coil addresses 0..65535, -1 when not fitted;
                              * default 0, 1, 2, 3 */
    int timeout_ms;          /* modbus: bound on each write and on connecting, default 50 */
    int reconnect_ms;        /* modbus, console device: retry delay, default 2000 */
    int refresh_ms;          /* modbus: rewrite every coil this often, 0 never; default 5000 */
    int fd;                  /* console, when device is empty: a descriptor to ring (the
                              * caller keeps it; default -1) */
    int beep_ok_ms;          /* default 100 */
    int beep_error_ms;       /* each pulse of an error beep, 0 = the backend's default
                              * (buzzer 800, console 150, fake 800) */
    int beep_error_pulses;   /* pulses of an error beep, 0 = the backend's default
                              * (buzzer 1, console 3, fake 1) */
    int beep_gap_ms;         /* silence between those pulses, default 150 */
} tt_indicator_conf_t;

/* test/sim: what the fake indicator was last told (tt_indicator_sim_view). */
typedef struct {
    tt_indicator_state_t lamps;
    int buzzer;              /* non-zero while a pulse sounds */
    unsigned pulses;         /* buzzer pulses started since open */
} tt_indicator_sim_view_t;

/* Operations of one backend.  The dispatcher (indicator.c) keeps the wished
 * state and the beep's timing and calls output() at every change; the
 * backend's own deadline/service cover its reconnects and refreshes. */
typedef struct {
    const char *name;
    int error_pulses;        /* pulses of an error beep when the conf says 0 */
    int error_ms;            /* length of each when the conf says 0 */
    tt_err_t (*open)(const tt_indicator_conf_t *conf, void **state);
    void (*close)(void *state);
    size_t (*pollfds)(void *state, struct pollfd *fds, size_t max);
    int64_t (*deadline)(void *state);           /* tt_clock_mono_ms, or -1 */
    void (*service)(void *state, const struct pollfd *fds, size_t n, int64_t now_ms);
    void (*output)(void *state, tt_indicator_state_t lamps, int buzzer, int64_t now_ms);
    int (*present)(void *state);
    tt_err_t (*sim_view)(void *state, tt_indicator_sim_view_t *out);   /* NULL if real */
    tt_err_t (*sim_missing)(void *state, int missing);                 /* NULL if real */
} tt_indicator_ops_t;

/* Fills conf with the defaults documented above (driver "fake"). */
void tt_indicator_conf_defaults(tt_indicator_conf_t *conf);

/* Opens the backend named by conf->driver; conf is copied.  Opening does no
 * I/O that can block; a tower or console that is absent is not an error: it
 * starts missing and is looked for on its deadline.  All lamps start off and
 * are written off at the first service.  On TT_OK *out is owned by the caller
 * (tt_indicator_close).  Returns TT_ERR_NOTFOUND for an unknown driver,
 * TT_ERR_NOMEM, or TT_ERR_INVAL for parameters the backend refuses. */
tt_err_t tt_indicator_open(const tt_indicator_conf_t *conf, tt_indicator_t **out);

/* Closes the indicator and its link; NULL is accepted.  A buzzer that is
 * sounding is switched off first (on a tower: one write, bounded by
 * timeout_ms); the lamps keep their last state. */
void tt_indicator_close(tt_indicator_t *ind);

/* Shows `state` from the next service on; setting the shown state again does
 * nothing.  Returns TT_OK, or TT_ERR_INVAL for an unknown state. */
tt_err_t tt_indicator_set(tt_indicator_t *ind, tt_indicator_state_t state);

/* Sounds `beep`, starting at the next service.  Returns TT_OK, or
 * TT_ERR_INVAL for an unknown beep. */
tt_err_t tt_indicator_beep(tt_indicator_t *ind, tt_indicator_beep_t beep);

/* Writes up to max descriptors to poll into fds; returns how many (at most
 * TT_INDICATOR_FDS_MAX; the current backends need none). */
size_t tt_indicator_pollfds(const tt_indicator_t *ind, struct pollfd *fds, size_t max);

/* Next moment (tt_clock_mono_ms) the indicator has timed work, or -1; 0 when
 * a set() or beep() waits for service. */
int64_t tt_indicator_deadline(const tt_indicator_t *ind);

/* Applies waiting changes, ends and starts buzzer pulses that are due at
 * now_ms, and does the backend's timed work (reconnect, refresh).  fds and n
 * are the descriptors from tt_indicator_pollfds() after poll(). */
void tt_indicator_service(tt_indicator_t *ind, const struct pollfd *fds, size_t n,
                          int64_t now_ms);

/* Non-zero when the outputs are reachable: the tower answered its last write,
 * or the console descriptor is open and writable. */
int tt_indicator_present(const tt_indicator_t *ind);

/* Returns non-zero when `driver` names a known backend. */
int tt_indicator_known(const char *driver);

/* ---- test/sim: the fake indicator --------------------------------------
 * Copies what the fake was last told into *out.  Returns TT_OK, or
 * TT_ERR_DEVICE for a real backend. */
tt_err_t tt_indicator_sim_view(const tt_indicator_t *ind, tt_indicator_sim_view_t *out);

/* Makes the fake indicator missing (non-zero) or present again.  Returns
 * TT_OK, or TT_ERR_DEVICE for a real backend. */
tt_err_t tt_indicator_sim_missing(tt_indicator_t *ind, int missing);

#endif
