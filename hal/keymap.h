/*
 * keymap: keystrokes and bytes from a scanner turned into whole codes.
 *
 * HAL-internal; used by the usb, evdev and serial scanner backends, never by
 * the firmware.  A tt_keymap_t is one scanner's decoder: it follows which keys
 * are down, turns key-down edges into characters through a keyboard-layout
 * table, collects the characters of the code being scanned, and queues
 * complete codes until the backend's read hands them out.
 *
 * Three ways in, one way out:
 *  - tt_keymap_feed_report(): USB HID boot-keyboard reports (8 bytes:
 *    modifier bits, reserved, six key usages), as a keyboard-wedge scanner
 *    sends them.  Only key-down edges type: a key is typed when it is in a
 *    report but was not in the one before, so repeated reports and held keys
 *    type nothing, and keys that overlap in time (rollover) each type once.
 *    A report whose keys are all ErrorRollOver (0x01) is ignored.
 *  - tt_keymap_feed_key(): Linux input (evdev) EV_KEY events with KEY_*
 *    codes; value 1 is down, 0 up, 2 (autorepeat) is ignored.
 *  - tt_keymap_put() / tt_keymap_end(): bytes that are already characters
 *    (serial scanners, HID POS scanned-data reports).
 *  - tt_keymap_read(): the next complete code.
 *
 * Keyboard rules (both keyboard ways in):
 *  - Enter, keypad Enter and Tab end the code, whatever modifiers are held.
 *  - Shift selects the shifted character; Right Alt is AltGr on layouts
 *    that have one ("de", "fr").
 *  - Ctrl+key gives a control character, resolved on the US key position
 *    (scanners' "function key" mode sends the US position whatever the
 *    country setting): Ctrl+] is GS (0x1D, GS1 FNC1), Ctrl+Shift+6 (^) is
 *    RS (0x1E), Ctrl+\ FS (0x1C), Ctrl+Shift+- (_) US (0x1F), Ctrl+D EOT
 *    (0x04).  Other control characters are dropped.
 *  - Alt (Left Alt; either Alt on layouts without AltGr) held while keypad
 *    digits are typed gives the character with that decimal value when Alt
 *    is released: Alt+0029 is GS.  Values 32..126 and the control characters
 *    above are kept; anything else is dropped.  Other keys typed with Alt
 *    type nothing.
 *  - Keypad digits and operators without Alt type as on the main keyboard
 *    (the scanner's Num Lock state is not known; scanners that use the keypad
 *    mean digits).
 *  - Dead keys (^ and ` on "de", ^ on "fr") type their character at once, and
 *    a space typed right after them is swallowed (how a scanner sends a
 *    literal ^ on those layouts).
 *  - Unknown key usages, non-ASCII characters of a layout (é, ß, £ ...) and
 *    keys with no character type nothing; codes are ASCII.
 *
 * Code rules (all ways in):
 *  - An empty code is not a code: a terminator with nothing before it is
 *    ignored (so CR LF ends a code once).
 *  - NUL bytes are dropped (codes are C strings).
 *  - A code longer than TT_SCANNER_CODE_MAX - 1 bytes is dropped whole; the
 *    read that would have returned it says TT_ERR_TOOBIG.
 *  - A partial code whose last character is more than TT_KEYMAP_PARTIAL_MS
 *    old is dropped by tt_keymap_expire() (a scan is typed in a burst; a
 *    stray keystroke or a lost terminator must not be glued onto the next
 *    scan).
 *  - At most TT_KEYMAP_QUEUE complete codes wait; a code completed while the
 *    queue is full is dropped (the firmware reads every loop, so this only
 *    happens when it is stuck).
 *
 * Ownership: a tt_keymap_t is a plain value owned by its backend (no heap, no
 * descriptors); it is not thread-safe.
 */
#ifndef TT_KEYMAP_H
#define TT_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "scanner.h"

#define TT_KEYMAP_PARTIAL_MS 500  /* a partial code older than this is dropped */
#define TT_KEYMAP_QUEUE 16        /* complete codes waiting for read */

typedef struct tt_keymap_layout tt_keymap_layout_t;

typedef struct {
    const tt_keymap_layout_t *layout;
    /* keyboard state */
    uint8_t keys[6];              /* HID usages down in the last boot report */
    uint8_t mods;                 /* HID modifier bits now held */
    int alt_digits;               /* keypad digits typed since Alt went down */
    unsigned alt_value;           /* their decimal value */
    int dead;                     /* last key typed was a dead key */
    /* the code being typed */
    char cur[TT_SCANNER_CODE_MAX];
    size_t cur_len;
    int cur_overflow;             /* more than fits: the code will be dropped */
    int64_t last_ms;              /* when the last character came */
    /* complete codes: a ring; a zero-length entry stands for an over-long
     * code and reads as TT_ERR_TOOBIG */
    char queue[TT_KEYMAP_QUEUE][TT_SCANNER_CODE_MAX];
    size_t head, count;
    unsigned long dropped;        /* codes dropped: queue full or timed out */
} tt_keymap_t;

/* Sets up `km` for `layout` ("us", "uk", "de", "fr"; NULL or "" means "us"),
 * with nothing held and nothing queued.  Returns TT_OK, or TT_ERR_INVAL for
 * an unknown layout (km is then unusable). */
tt_err_t tt_keymap_init(tt_keymap_t *km, const char *layout);

/* Returns non-zero when `layout` names a known layout table. */
int tt_keymap_known(const char *layout);

/* Feeds one boot-keyboard report (report[0] modifiers, report[1] reserved,
 * report[2..7] key usages); `len` may exceed 8 (extra bytes are ignored) but
 * a report shorter than 3 bytes is ignored.  `now_ms` is tt_clock_mono_ms. */
void tt_keymap_feed_report(tt_keymap_t *km, const uint8_t *report, size_t len, int64_t now_ms);

/* Feeds one Linux EV_KEY event: `code` a KEY_* code, `value` 1 down, 0 up,
 * 2 autorepeat (ignored). */
void tt_keymap_feed_key(tt_keymap_t *km, unsigned code, int value, int64_t now_ms);

/* Appends one byte to the code being typed (NUL is dropped). */
void tt_keymap_put(tt_keymap_t *km, char c, int64_t now_ms);

/* Ends the code being typed: queues it unless it is empty. */
void tt_keymap_end(tt_keymap_t *km);

/* Forgets the keyboard state and drops the code being typed, keeping the
 * queue: for a device that went away, or events that were lost. */
void tt_keymap_reset(tt_keymap_t *km);

/* Returns non-zero while a code is being typed (characters, an over-long
 * code, or an Alt code are pending). */
int tt_keymap_partial(const tt_keymap_t *km);

/* When (tt_clock_mono_ms) the partial code times out, or -1 when nothing is
 * being typed. */
int64_t tt_keymap_deadline(const tt_keymap_t *km);

/* Drops the partial code if it timed out at `now_ms`; returns 1 when it did,
 * else 0. */
int tt_keymap_expire(tt_keymap_t *km, int64_t now_ms);

/* Copies the oldest complete code, NUL-terminated, into code[len] and
 * removes it.  Returns TT_OK; TT_ERR_BUSY when none is waiting;
 * TT_ERR_TOOBIG when the code was over-long or does not fit in `len` (it is
 * removed all the same). */
tt_err_t tt_keymap_read(tt_keymap_t *km, char *code, size_t len);

#endif
