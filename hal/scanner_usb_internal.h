/*
 * scanner_usb internals, exposed for tests only (tests/hal/test_scanner_usb.c):
 * the HID report-descriptor probe and the report decoder, which are the
 * parts of the usb backend that need no device.
 *
 * Report formats the backend reads from the interface's interrupt IN
 * endpoint:
 *
 *  - Keyboard (the descriptor does not declare usage page 0x8C): boot
 *    keyboard reports, 8 bytes (modifiers, reserved, 6 key usages), decoded
 *    by keymap.h.  The backend asks a boot-subclass interface for the boot
 *    protocol (SET_PROTOCOL 0), whose reports carry no report ID.  When that
 *    request fails and the descriptor uses report IDs, each report starts
 *    with its ID: reports with the keyboard's ID are decoded without it, the
 *    rest are ignored.
 *
 *  - HID POS (the descriptor declares usage page 0x8C, Bar Code Scanner):
 *    Scanned Data Reports in the layout Honeywell and other vendors use for
 *    "HID POS" mode.  After the report ID byte (present when the descriptor
 *    uses report IDs), for a report of n bytes after the ID:
 *        [0]        number of data bytes in this report
 *        [1..3]     symbology identifier (AIM: ']', code letter, modifier)
 *        [4..n-4]   data bytes (56 in the usual 64-byte report)
 *        [n-3..n-2] vendor bytes (ignored)
 *        [n-1]      bit 0: Decoded Data Continued, more reports follow
 *    The data bytes of consecutive reports are joined; a report without the
 *    continued bit ends the code.  When the first report's symbology
 *    identifier is an AIM identifier (starts with ']') and the data does not
 *    already start with one, it is put in front of the code, so the decoder
 *    upstream learns the symbology (]C1: GS1-128, ]d2: GS1 DataMatrix).
 *    Only reports with the Decoded Data (0xFE) report's ID are used; a
 *    descriptor that does not say which report that is means ID 2.
 *    The data count is clamped to the room in the report, and NUL bytes are
 *    dropped.
 */
#ifndef TT_SCANNER_USB_INTERNAL_H
#define TT_SCANNER_USB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "keymap.h"

#define TT_SCANNER_USB_POS_PAGE 0x8C      /* HID usage page: Bar Code Scanner */
#define TT_SCANNER_USB_POS_DECODED 0xFE   /* usage: Decoded Data */
#define TT_SCANNER_USB_POS_ID 0x02        /* scanned-data report ID when not declared */

/* What a report descriptor says about the reports to expect. */
typedef struct {
    int pos;             /* usage page 0x8C declared: HID POS reports */
    int report_ids;      /* Report ID items present: reports start with the ID */
    uint8_t kbd_id;      /* ID of the first keyboard-page (0x07) input; 0: not seen */
    uint8_t pos_id;      /* ID of the Decoded Data report */
} tt_scanner_usb_rdesc_t;

/* Parses the HID report descriptor desc[len] (short and long items,
 * Push/Pop; malformed trailing items are ignored) into *out.  Never fails:
 * an empty or unreadable descriptor means a keyboard without report IDs. */
void tt_scanner_usb_parse_rdesc(const uint8_t *desc, size_t len, tt_scanner_usb_rdesc_t *out);

/* Decodes one interrupt IN report rep[len] as *rd says into km (codes are
 * then read with tt_keymap_read).  `boot` is non-zero when the device
 * accepted the boot protocol (keyboard reports then carry no ID). */
void tt_scanner_usb_decode(const tt_scanner_usb_rdesc_t *rd, int boot, tt_keymap_t *km,
                           const uint8_t *rep, size_t len, int64_t now_ms);

#endif
