/*
 * rfid: RFID readers behind one interface, like the scanner.
 *
 * A backend is a const ops table; the board file names it and gives its
 * parameters (tt_rfid_conf_t).  The firmware never blocks on a reader: each
 * loop it asks tt_rfid_pollfds() for descriptors and tt_rfid_deadline() for
 * the next timed work, polls, hands the results to tt_rfid_service(), then
 * calls tt_rfid_read() until it says TT_ERR_BUSY.
 *
 * Readers are polled (every conf->poll_ms); every answer that shows a tag is a
 * "sighting".  Sightings pass through one dedupe window shared by all
 * backends: a tag seen again within conf->dedupe_ms of its previous sighting
 * is not delivered, so a tag lying on the reader gives one read, and it reads
 * again only after it has been away for longer than the window.
 *
 * A reader that does not answer, or whose link is lost, is reconnected by the
 * backend itself on its deadline; tt_rfid_present() says whether the reader
 * answered lately, so the screen can show "reader missing".
 *
 * Backends: "modbus" (hal/rfid_modbus.c: Modbus TCP or RTU, one profile per
 * reader model) and "fake" (hal/rfid_fake.c: scripted through tt_rfid_sim()
 * for tests and the sim terminal).
 */
#ifndef TT_RFID_H
#define TT_RFID_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TT_RFID_TAG_WORDS_MAX 31  /* longest tag ID read, in 16-bit words */
#define TT_RFID_EPC_MAX 128       /* longest EPC delivered (124 hex digits), with NUL */
#define TT_RFID_FDS_MAX 1         /* most descriptors any backend asks to poll */

/* Profiles of the "modbus" backend. */
#define TT_RFID_PROFILE_V780 "v780"          /* Omron V780-style UHF: PC + EPC registers */
#define TT_RFID_PROFILE_POLLFLAG "pollflag"  /* "new tag" coil, ID registers, clear coil */

typedef struct tt_rfid tt_rfid_t;

/* Parameters from the board file's [rfid] section; a backend reads the ones
 * it uses and ignores the rest.  tt_rfid_conf_defaults() gives every field a
 * usable value; tt_rfid_open() checks the ones its backend uses. */
typedef struct {
    char driver[32];         /* "modbus", "fake" */
    char transport[8];       /* modbus: "tcp" or "rtu" */
    char profile[16];        /* modbus: TT_RFID_PROFILE_* */
    char host[64];           /* tcp: numeric IPv4 or IPv6 address (no DNS: it would block) */
    int port;                /* tcp: 1..65535, default 502 */
    char device[256];        /* rtu: /dev/ttyS1, /dev/ttyUSB0 */
    int baud;                /* rtu: a standard rate from 1200 to 921600, default 9600 */
    char parity;             /* rtu: 'N', 'E' or 'O', default 'N' */
    int data_bits;           /* rtu: 5..8, default 8 */
    int stop_bits;           /* rtu: 1 or 2, default 1 */
    int rs485;               /* rtu: non-zero puts the tty in kernel RS-485 mode */
    int slave;               /* Modbus unit id: rtu 1..247, tcp 0..255; default 1 */
    int tag_addr;            /* v780: PC word's register (0x4000); pollflag: first ID register */
    int tag_words;           /* v780: most EPC words read after the PC (default 8);
                              * pollflag: ID length in words; 1..TT_RFID_TAG_WORDS_MAX */
    int flag_coil;           /* pollflag: the "new tag" coil */
    int poll_ms;             /* how often the reader is asked, default 100 */
    int timeout_ms;          /* answer deadline per request, default 200 (rtu: the
                              * line time of request and answer is added) */
    int byte_timeout_ms;     /* bounded wait for the rest of a frame already
                              * started, default 30 (see rfid_modbus.c) */
    int max_failures;        /* failed requests in a row before the reader is
                              * shown missing and its link reopened, default 3 */
    int reconnect_ms;        /* delay before reopening a lost link, default 1000 */
    int dedupe_ms;           /* dedupe window; 0 delivers every sighting; default 2000 */
} tt_rfid_conf_t;

/* Counters since tt_rfid_open; they only grow. */
typedef struct {
    uint64_t polls;          /* poll cycles started */
    uint64_t sightings;      /* tag IDs the reader reported, before dedupe */
    uint64_t reads;          /* IDs delivered by tt_rfid_read */
    uint64_t duplicates;     /* sightings dropped by the dedupe window */
    uint64_t timeouts;       /* requests with no answer by their deadline */
    uint64_t garbage;        /* bad frames: CRC, length, header, or unasked bytes */
    uint64_t exceptions;     /* Modbus exception answers (the reader is there) */
    uint64_t connects;       /* links opened */
    uint64_t disconnects;    /* links lost, or dropped after max_failures */
    uint64_t dropped;        /* sightings lost: queue full, ID too long for the
                              * read, or an all-zero ID */
    int last_errno;          /* errno of the last link failure, 0 if none */
} tt_rfid_stats_t;

/* test/sim: commands for the fake reader (see tt_rfid_sim() at the end). */
typedef enum {
    TT_RFID_SIM_PLACE,       /* epc lies on the reader: seen at every answered poll */
    TT_RFID_SIM_REMOVE,      /* nothing lies on the reader */
    TT_RFID_SIM_TAP,         /* epc is seen at the next answered poll only */
    TT_RFID_SIM_TIMEOUT,     /* the next poll gets no answer */
    TT_RFID_SIM_GARBAGE,     /* the next poll's answer is a bad frame */
    TT_RFID_SIM_SILENT,      /* every poll gets no answer until TT_RFID_SIM_ANSWER */
    TT_RFID_SIM_ANSWER,      /* the reader answers again */
    TT_RFID_SIM_DISCONNECT,  /* the link drops now and is reopened after reconnect_ms */
    TT_RFID_SIM_UNPLUG,      /* the link drops and cannot be reopened until TT_RFID_SIM_PLUG */
    TT_RFID_SIM_PLUG,        /* the link can be reopened again (on its deadline) */
} tt_rfid_sim_t;

/* Operations of one backend.  Sightings come out of read() with the
 * tt_clock_mono_ms time they were seen; the dispatcher applies the dedupe
 * window.  sim is NULL for real readers. */
typedef struct {
    const char *name;
    tt_err_t (*open)(const tt_rfid_conf_t *conf, void **state);
    void (*close)(void *state);
    size_t (*pollfds)(void *state, struct pollfd *fds, size_t max);
    int64_t (*deadline)(void *state);           /* tt_clock_mono_ms, or -1 */
    void (*service)(void *state, const struct pollfd *fds, size_t n, int64_t now_ms);
    tt_err_t (*read)(void *state, char *epc, size_t len, int64_t *seen_ms);
    int (*present)(void *state);
    void (*stats)(void *state, tt_rfid_stats_t *out);
    tt_err_t (*sim)(void *state, tt_rfid_sim_t what, const char *epc);
} tt_rfid_ops_t;

/* Fills conf with the defaults documented above: driver "fake", transport
 * "tcp", profile "v780", port 502, tag_addr 0x4000, 9600 8N1, slave 1... */
void tt_rfid_conf_defaults(tt_rfid_conf_t *conf);

/* Opens the backend named by conf->driver; conf is copied.  Opening does no
 * I/O that can block: the link is opened by tt_rfid_service() (due at once),
 * and a reader that is absent is not an error: it starts missing and is
 * looked for on its deadline.  On TT_OK *out is owned by the caller
 * (tt_rfid_close).  Returns TT_ERR_NOTFOUND for an unknown driver,
 * TT_ERR_NOMEM, or TT_ERR_INVAL for parameters the backend refuses. */
tt_err_t tt_rfid_open(const tt_rfid_conf_t *conf, tt_rfid_t **out);

/* Closes the reader and its link; NULL is accepted. */
void tt_rfid_close(tt_rfid_t *r);

/* Writes up to max descriptors to poll into fds; returns how many (at most
 * TT_RFID_FDS_MAX).  Valid until the next tt_rfid_service(). */
size_t tt_rfid_pollfds(const tt_rfid_t *r, struct pollfd *fds, size_t max);

/* Next moment (tt_clock_mono_ms) the reader has timed work, or -1.  A moment
 * already past (0 included) means "service at once". */
int64_t tt_rfid_deadline(const tt_rfid_t *r);

/* Handles readiness of the n descriptors that tt_rfid_pollfds() gave (after
 * poll(); n may be 0) and timed work due at now_ms (tt_clock_mono_ms, or a
 * test's own clock used consistently). */
void tt_rfid_service(tt_rfid_t *r, const struct pollfd *fds, size_t n, int64_t now_ms);

/* Copies the next new tag ID (uppercase hex, NUL-terminated) into
 * epc_hex[len].  Returns TT_OK; TT_ERR_BUSY when none is waiting;
 * TT_ERR_TOOBIG when the ID did not fit in len (it is dropped). */
tt_err_t tt_rfid_read(tt_rfid_t *r, char *epc_hex, size_t len);

/* Non-zero when the reader answered since its link was opened and fewer than
 * conf->max_failures requests in a row have failed since. */
int tt_rfid_present(const tt_rfid_t *r);

/* Copies the counters into *out. */
void tt_rfid_stats(const tt_rfid_t *r, tt_rfid_stats_t *out);

/* Returns non-zero when `driver` names a known backend. */
int tt_rfid_known(const char *driver);

/* ---- test/sim: scripting the fake reader -------------------------------
 * Commands (tt_rfid_sim_t, above) take effect at the fake's next
 * tt_rfid_service() (its deadline says "at once" while one is waiting); tag
 * commands show at the next poll the reader answers, exactly as a real
 * reader's tags do.
 *
 * Scripts the fake reader.  epc (uppercase hex, NUL-terminated) is used by
 * PLACE and TAP and ignored otherwise (may be NULL).  Returns TT_OK;
 * TT_ERR_INVAL for a missing, empty, over-long or non-hex epc; TT_ERR_FULL
 * when too many commands are waiting; TT_ERR_DEVICE for a real reader. */
tt_err_t tt_rfid_sim(tt_rfid_t *r, tt_rfid_sim_t what, const char *epc);

#endif
