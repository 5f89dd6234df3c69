/*
 * Tests for the usb scanner backend (hal/scanner_usb.c) that need no device:
 * the HID report-descriptor probe (keyboard or HID POS, report IDs), the
 * report decoder for both formats (through scanner_usb_internal.h), and the
 * backend's life without its device (configuration checks, starting
 * missing, libusb's descriptors and deadline in the loop).  The path through
 * libusb and a (mock) device is tested by tests/hal/umockdev/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "keymap.h"
#include "scanner.h"
#include "scanner_loop.h"
#include "scanner_usb_internal.h"

/* HID 1.11 Appendix B.1: the boot keyboard descriptor. */
static const uint8_t boot_kbd[] = {
    0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00,
    0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x01,
    0x95, 0x05, 0x75, 0x01, 0x05, 0x08, 0x19, 0x01, 0x29, 0x05, 0x91, 0x02, 0x95, 0x01,
    0x75, 0x03, 0x91, 0x01, 0x95, 0x06, 0x75, 0x08, 0x15, 0x00, 0x25, 0x65, 0x05, 0x07,
    0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xC0,
};

/* A consumer-control collection (ID 2) before a keyboard (ID 1). */
static const uint8_t kbd_ids[] = {
    0x05, 0x0C, 0x09, 0x01, 0xA1, 0x01, 0x85, 0x02, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01,
    0x95, 0x08, 0x81, 0x02, 0xC0,
    0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x85, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7,
    0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x01, 0x95, 0x06,
    0x75, 0x08, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xC0,
};

/* A HID POS scanner: Scanned Data Report, ID 2: length, 3 symbology bytes,
 * 56 data bytes (Decoded Data), 2 vendor bytes, the continued bit. */
static const uint8_t pos_desc[] = {
    0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01,             /* Bar Code Scanner, application */
    0x09, 0x12, 0xA1, 0x02, 0x85, 0x02,             /* Scanned Data Report, ID 2 */
    0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08,
    0x05, 0x01, 0x09, 0x3B, 0x95, 0x01, 0x81, 0x02, /* Byte Count */
    0x05, 0x8C, 0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x95, 0x03, 0x81, 0x02,
    0x09, 0xFE, 0x95, 0x38, 0x82, 0x02, 0x01,       /* Decoded Data, 56, buffered bytes */
    0x06, 0x66, 0xFF, 0x09, 0x01, 0x95, 0x02, 0x81, 0x02,
    0x05, 0x8C, 0x09, 0xFF, 0x75, 0x01, 0x95, 0x01, 0x25, 0x01, 0x81, 0x02,
    0x75, 0x07, 0x81, 0x03, 0xC0,
    0x09, 0x14, 0xA1, 0x02, 0x85, 0x04, 0x09, 0x00, 0x75, 0x08, 0x95, 0x01, 0x91, 0x02, 0xC0,
    0xC0,
};

static void test_rdesc_keyboard(void **state)
{
    tt_scanner_usb_rdesc_t rd;
    (void)state;

    tt_scanner_usb_parse_rdesc(boot_kbd, sizeof boot_kbd, &rd);
    assert_false(rd.pos);
    assert_false(rd.report_ids);

    tt_scanner_usb_parse_rdesc(kbd_ids, sizeof kbd_ids, &rd);
    assert_false(rd.pos);
    assert_true(rd.report_ids);
    assert_int_equal(rd.kbd_id, 1);

    /* Nothing readable: a keyboard without IDs. */
    tt_scanner_usb_parse_rdesc(NULL, 0, &rd);
    assert_false(rd.pos);
    assert_false(rd.report_ids);
}

static void test_rdesc_pos(void **state)
{
    tt_scanner_usb_rdesc_t rd;
    /* Decoded Data as an extended (32-bit) usage under another page. */
    static const uint8_t ext[] = {0x05, 0x01, 0x85, 0x05, 0x0B, 0xFE, 0x00, 0x8C, 0x00,
                                  0x75, 0x08, 0x95, 0x10, 0x81, 0x02};
    /* Usage page 0x8C without a Decoded Data usage: the first 0x8C input. */
    static const uint8_t no_fe[] = {0x05, 0x01, 0x85, 0x01, 0x81, 0x02,
                                    0x05, 0x8C, 0x85, 0x07, 0x09, 0x12, 0x81, 0x02};
    /* Push/Pop restore the page and ID; a long item is skipped. */
    static const uint8_t pushpop[] = {0x05, 0x8C, 0x85, 0x03, 0xA4, 0x05, 0x07, 0x85, 0x09,
                                      0x81, 0x00, 0xB4, 0xFE, 0x02, 0x10, 0xAA, 0xBB,
                                      0x09, 0xFE, 0x81, 0x02};
    /* Truncated after a good item: the good part counts. */
    static const uint8_t cut[] = {0x05, 0x8C, 0x26, 0xFF};
    (void)state;

    tt_scanner_usb_parse_rdesc(pos_desc, sizeof pos_desc, &rd);
    assert_true(rd.pos);
    assert_true(rd.report_ids);
    assert_int_equal(rd.pos_id, 2);

    tt_scanner_usb_parse_rdesc(ext, sizeof ext, &rd);
    assert_true(rd.pos);
    assert_int_equal(rd.pos_id, 5);

    tt_scanner_usb_parse_rdesc(no_fe, sizeof no_fe, &rd);
    assert_true(rd.pos);
    assert_int_equal(rd.pos_id, 7);

    tt_scanner_usb_parse_rdesc(pushpop, sizeof pushpop, &rd);
    assert_true(rd.pos);
    assert_int_equal(rd.kbd_id, 9);
    assert_int_equal(rd.pos_id, 3);

    tt_scanner_usb_parse_rdesc(cut, sizeof cut, &rd);
    assert_true(rd.pos);
    assert_int_equal(rd.pos_id, TT_SCANNER_USB_POS_ID);
}

static void expect_code(tt_keymap_t *km, const char *want)
{
    char code[TT_SCANNER_CODE_MAX];
    assert_int_equal(tt_keymap_read(km, code, sizeof code), TT_OK);
    assert_string_equal(code, want);
}

static void expect_none(tt_keymap_t *km)
{
    char code[TT_SCANNER_CODE_MAX];
    assert_int_equal(tt_keymap_read(km, code, sizeof code), TT_ERR_BUSY);
}

static void test_keyboard_reports(void **state)
{
    tt_scanner_usb_rdesc_t rd;
    tt_keymap_t km;
    /* "1", Shift+a, Enter: boot format. */
    static const uint8_t seq[][8] = {
        {0, 0, 0x1E}, {0}, {0x02, 0, 0x04}, {0x02}, {0}, {0, 0, 0x28}, {0},
    };
    (void)state;

    tt_keymap_init(&km, "us");
    tt_scanner_usb_parse_rdesc(boot_kbd, sizeof boot_kbd, &rd);
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
        tt_scanner_usb_decode(&rd, 1, &km, seq[i], 8, 0);
    expect_code(&km, "1A");

    /* Report protocol with IDs: the keyboard's reports lose their ID, the
     * consumer report (ID 2) is ignored. */
    tt_scanner_usb_parse_rdesc(kbd_ids, sizeof kbd_ids, &rd);
    {
        static const uint8_t r[][9] = {
            {1, 0, 0, 0x1F}, {2, 0xFF}, {1}, {1, 0, 0, 0x28}, {1},
        };
        for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
            tt_scanner_usb_decode(&rd, 0, &km, r[i], 9, 0);
        tt_scanner_usb_decode(&rd, 0, &km, r[0], 0, 0);   /* empty: ignored */
    }
    expect_code(&km, "2");
    /* The same device in boot protocol: no IDs. */
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++)
        tt_scanner_usb_decode(&rd, 1, &km, seq[i], 8, 0);
    expect_code(&km, "1A");
    expect_none(&km);
}

/* A 64-byte scanned-data report (ID 2). */
static void pos(const tt_scanner_usb_rdesc_t *rd, tt_keymap_t *km, const char *sym,
                const char *data, size_t len, int more, int64_t now)
{
    uint8_t r[64] = {0x02};
    r[1] = (uint8_t)len;
    if (sym)
        memcpy(r + 2, sym, 3);
    memcpy(r + 5, data, len > 56 ? 56 : len);
    r[61] = 0x00;
    r[62] = 0x28;   /* vendor bytes */
    r[63] = more ? 0x01 : 0x00;
    tt_scanner_usb_decode(rd, 0, km, r, sizeof r, now);
}

static void test_pos_reports(void **state)
{
    tt_scanner_usb_rdesc_t rd;
    tt_keymap_t km;
    char longcode[120], want[130];
    (void)state;

    tt_keymap_init(&km, "us");
    tt_scanner_usb_parse_rdesc(pos_desc, sizeof pos_desc, &rd);

    /* One report; the AIM identifier becomes the prefix; GS kept. */
    pos(&rd, &km, "]C1", "0109506000134352\x1D" "10ABC", 22, 0, 0);
    expect_code(&km, "]C10109506000134352\x1D" "10ABC");

    /* A long DataMatrix in two reports. */
    for (size_t i = 0; i < 100; i++)
        longcode[i] = (char)('0' + i % 10);
    pos(&rd, &km, "]d2", longcode, 56, 1, 0);
    expect_none(&km);
    pos(&rd, &km, "]d2", longcode + 56, 44, 0, 0);
    snprintf(want, sizeof want, "]d2%.100s", longcode);
    expect_code(&km, want);

    /* Data that already carries its AIM identifier is not prefixed twice;
     * symbology bytes that are not AIM are not used. */
    pos(&rd, &km, "]Q3", "]Q3hello", 8, 0, 0);
    expect_code(&km, "]Q3hello");
    pos(&rd, &km, NULL, "plain", 5, 0, 0);
    expect_code(&km, "plain");
    pos(&rd, &km, "E0\0", "4006381333931", 13, 0, 0);
    expect_code(&km, "4006381333931");

    /* A count beyond the report is clamped to its 56 data bytes. */
    pos(&rd, &km, NULL, longcode, 200, 0, 0);
    snprintf(want, sizeof want, "%.56s", longcode);
    expect_code(&km, want);

    /* Another report ID, or a report too short to hold the layout: ignored. */
    {
        uint8_t r[64] = {0x04, 3, ']', 'C', '1', 'x', 'y', 'z'};
        tt_scanner_usb_decode(&rd, 0, &km, r, sizeof r, 0);
        r[0] = 0x02;
        tt_scanner_usb_decode(&rd, 0, &km, r, 6, 0);
        expect_none(&km);
    }

    /* Continued but never finished: dropped by the partial timeout. */
    pos(&rd, &km, "]C1", "0104", 4, 1, 1000);
    assert_int_equal(tt_keymap_expire(&km, 1000 + TT_KEYMAP_PARTIAL_MS), 1);
    pos(&rd, &km, "]C1", "tail", 4, 0, 2000);
    expect_code(&km, "]C1tail");

    /* A descriptor without report IDs: the layout starts at the count. */
    rd.report_ids = 0;
    {
        uint8_t r[63] = {4, ']', 'e', '0', 'a', 'b', 'c', 'd'};
        tt_scanner_usb_decode(&rd, 0, &km, r, sizeof r, 0);
    }
    expect_code(&km, "]e0abcd");
}

static void usb_conf(tt_scanner_conf_t *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->driver, sizeof c->driver, "usb");
    snprintf(c->layout, sizeof c->layout, "us");
    c->vid = 0x0c2e;
    c->pid = 0x0b61;
    c->interface = 0;
    c->reopen_ms = 100;
}

static void test_conf(void **state)
{
    tt_scanner_conf_t c;
    tt_scanner_t *s;
    (void)state;

    assert_true(tt_scanner_known("usb"));
    usb_conf(&c);
    c.vid = 0;
    assert_int_equal(tt_scanner_open(&c, &s), TT_ERR_INVAL);
    usb_conf(&c);
    snprintf(c.layout, sizeof c.layout, "xx");
    assert_int_equal(tt_scanner_open(&c, &s), TT_ERR_INVAL);
    usb_conf(&c);
    c.interface = 256;
    assert_int_equal(tt_scanner_open(&c, &s), TT_ERR_INVAL);
    usb_conf(&c);
    c.reopen_ms = -1;
    assert_int_equal(tt_scanner_open(&c, &s), TT_ERR_INVAL);
}

/* No such device on this machine (CI has no USB at all): the scanner
 * starts missing, polls libusb's descriptors, wakes up on its reopen
 * deadline, and does not spin. */
static void test_missing_device(void **state)
{
    tt_scanner_conf_t c;
    tt_scanner_t *s;
    loop_t l;
    struct pollfd fds[LOOP_FDS];
    int64_t d, now;
    (void)state;

    memset(&l, 0, sizeof l);
    usb_conf(&c);
    c.vid = 0xFFFE;   /* no real device has it */
    c.auto_detach = 1;
    assert_int_equal(tt_scanner_open(&c, &s), TT_OK);
    assert_false(tt_scanner_present(s));
    assert_true(tt_scanner_pollfds(s, fds, LOOP_FDS) >= 1);
    assert_int_equal(tt_scanner_pollfds(s, fds, 0), 0);
    d = tt_scanner_deadline(s);
    now = tt_clock_mono_ms();
    assert_true(d > now && d <= now + 100);
    loop_run(s, &l, 500);
    assert_false(tt_scanner_present(s));
    assert_true(l.iterations < 40);    /* about one turn per reopen */
    assert_int_equal(l.count, 0);
    assert_int_equal(tt_scanner_inject(s, "x"), TT_ERR_DEVICE);
    tt_scanner_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rdesc_keyboard),
        cmocka_unit_test(test_rdesc_pos),
        cmocka_unit_test(test_keyboard_reports),
        cmocka_unit_test(test_pos_reports),
        cmocka_unit_test(test_conf),
        cmocka_unit_test(test_missing_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
