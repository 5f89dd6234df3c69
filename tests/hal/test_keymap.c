/*
 * Unit tests for hal/keymap: boot-keyboard reports and Linux KEY_* events
 * turned into codes (edges, shift, rollover, repeats, terminators, control
 * characters, Alt codes, layouts), and the code rules shared by every
 * backend (empty codes, over-long codes, the queue, the partial timeout).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <linux/input-event-codes.h>

#include "keymap.h"

enum {
    LCTRL = 0x01,
    LSHIFT = 0x02,
    LALT = 0x04,
    RALT = 0x40,
    ENTER = 0x28,
    TAB = 0x2B,
    SPACE = 0x2C,
    KP_ENTER = 0x58,
};

/* One report: modifiers and up to three keys. */
static void report(tt_keymap_t *km, uint8_t mods, uint8_t k1, uint8_t k2, uint8_t k3, int64_t now)
{
    uint8_t r[8] = {mods, 0, k1, k2, k3, 0, 0, 0};
    tt_keymap_feed_report(km, r, sizeof r, now);
}

/* Press and release one key, as a scanner types. */
static void tap(tt_keymap_t *km, uint8_t mods, uint8_t usage)
{
    report(km, mods, usage, 0, 0, 0);
    report(km, mods, 0, 0, 0, 0);
    report(km, 0, 0, 0, 0, 0);
}

/* The US key for an ASCII character: usage and whether Shift is needed. */
static void us_key(char c, uint8_t *usage, int *shift)
{
    /* Usages 0x04..0x38; \x01 stands for 0x32, which "us" types like 0x31. */
    static const char plain[] = "abcdefghijklmnopqrstuvwxyz1234567890\n\x1b\b\t -=[]\\\x01;'`,./";
    static const char shifted[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()\n\x1b\b\t _+{}|\x01:\"~<>?";
    const char *p = strchr(plain, c);

    *shift = 0;
    if (!p) {
        p = strchr(shifted, c);
        *shift = 1;
        assert_non_null(p);
        *usage = (uint8_t)(0x04 + (p - shifted));
        return;
    }
    *usage = (uint8_t)(0x04 + (p - plain));
}

/* Types `text` as a US keyboard-wedge scanner would, then Enter. */
static void type_us(tt_keymap_t *km, const char *text)
{
    for (const char *c = text; *c; c++) {
        uint8_t usage;
        int shift;
        us_key(*c, &usage, &shift);
        tap(km, shift ? LSHIFT : 0, usage);
    }
    tap(km, 0, ENTER);
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

static void test_layouts(void **state)
{
    tt_keymap_t km;
    (void)state;
    assert_int_equal(tt_keymap_init(&km, "us"), TT_OK);
    assert_int_equal(tt_keymap_init(&km, ""), TT_OK);
    assert_int_equal(tt_keymap_init(&km, NULL), TT_OK);
    assert_int_equal(tt_keymap_init(&km, "uk"), TT_OK);
    assert_int_equal(tt_keymap_init(&km, "de"), TT_OK);
    assert_int_equal(tt_keymap_init(&km, "fr"), TT_OK);
    assert_int_equal(tt_keymap_init(&km, "dvorak"), TT_ERR_INVAL);
    assert_int_equal(tt_keymap_init(&km, "US"), TT_ERR_INVAL);
    assert_true(tt_keymap_known("us"));
    assert_false(tt_keymap_known("xx"));
}

static void test_digits_enter(void **state)
{
    tt_keymap_t km;
    (void)state;
    tt_keymap_init(&km, "us");
    type_us(&km, "0109506000134352");
    expect_code(&km, "0109506000134352");
    expect_none(&km);
}

static void test_shift(void **state)
{
    tt_keymap_t km;
    (void)state;
    tt_keymap_init(&km, "us");
    type_us(&km, "Ab-C_d+1!");
    expect_code(&km, "Ab-C_d+1!");
    /* Right Shift is Shift too. */
    tap(&km, 0x20, 0x04);
    tap(&km, 0, ENTER);
    expect_code(&km, "A");
}

static void test_rollover(void **state)
{
    tt_keymap_t km;
    (void)state;
    tt_keymap_init(&km, "us");
    /* a, then b while a is still down, then a up, then b up: "ab". */
    report(&km, 0, 0x04, 0, 0, 0);
    report(&km, 0, 0x04, 0x05, 0, 0);
    report(&km, 0, 0x05, 0, 0, 0);
    report(&km, 0, 0, 0, 0, 0);
    /* three keys overlapping, reported in another order: "cde". */
    report(&km, 0, 0x06, 0, 0, 0);
    report(&km, 0, 0x07, 0x06, 0, 0);
    report(&km, 0, 0x07, 0x08, 0x06, 0);
    report(&km, 0, 0x08, 0, 0, 0);
    report(&km, 0, 0, 0, 0, 0);
    /* Enter pressed while the last key is still down. */
    report(&km, 0, 0x09, 0, 0, 0);
    report(&km, 0, 0x09, ENTER, 0, 0);
    report(&km, 0, 0, 0, 0, 0);
    expect_code(&km, "abcdef");
}

static void test_repeated_reports(void **state)
{
    tt_keymap_t km;
    (void)state;
    tt_keymap_init(&km, "us");
    /* The same report again and again types once. */
    report(&km, 0, 0x1E, 0, 0, 0);
    report(&km, 0, 0x1E, 0, 0, 0);
    report(&km, 0, 0x1E, 0, 0, 0);
    report(&km, 0, 0, 0, 0, 0);
    report(&km, 0, 0, 0, 0, 0);
    /* The same key twice with a release between types twice. */
    report(&km, 0, 0x1F, 0, 0, 0);
    report(&km, 0, 0, 0, 0, 0);
    report(&km, 0, 0x1F, 0, 0, 0);
    report(&km, 0, 0, 0, 0, 0);
    /* A usage listed twice in one report types once. */
    report(&km, 0, 0x20, 0x20, 0, 0);
    report(&km, 0, 0, 0, 0, 0);
    tap(&km, 0, ENTER);
    expect_code(&km, "1223");
}

static void test_error_rollover_ignored(void **state)
{
    tt_keymap_t km;
    uint8_t phantom[8] = {0, 0, 1, 1, 1, 1, 1, 1};
    (void)state;
    tt_keymap_init(&km, "us");
    report(&km, 0, 0x04, 0, 0, 0);
    tt_keymap_feed_report(&km, phantom, sizeof phantom, 0);
    /* a is still down: only b is new. */
    report(&km, 0, 0x04, 0x05, 0, 0);
    report(&km, 0, 0, 0, 0, 0);
    tap(&km, 0, ENTER);
    expect_code(&km, "ab");
}

static void test_terminators(void **state)
{
    tt_keymap_t km;
    (void)state;
    tt_keymap_init(&km, "us");
    tap(&km, 0, 0x1E);
    tap(&km, 0, TAB);
    tap(&km, 0, 0x1F);
    tap(&km, 0, KP_ENTER);
    tap(&km, 0, 0x20);
    tap(&km, LSHIFT, ENTER);   /* a modifier does not stop Enter ending a code */
    /* Empty codes are not codes. */
    tap(&km, 0, ENTER);
    tap(&km, 0, TAB);
    expect_code(&km, "1");
    expect_code(&km, "2");
    expect_code(&km, "3");
    expect_none(&km);
}

static void test_gs_ctrl_and_aim(void **state)
{
    tt_keymap_t km;
    (void)state;
    tt_keymap_init(&km, "us");
    /* ]C1 01 09506000134352 FNC1 10 ABC1 */
    for (const char *c = "]C10109506000134352"; *c; c++) {
        uint8_t u;
        int sh;
        us_key(*c, &u, &sh);
        tap(&km, sh ? LSHIFT : 0, u);
    }
    tap(&km, LCTRL, 0x30);          /* Ctrl+] */
    for (const char *c = "10ABC1"; *c; c++) {
        uint8_t u;
        int sh;
        us_key(*c, &u, &sh);
        tap(&km, sh ? LSHIFT : 0, u);
    }
    tap(&km, 0, ENTER);
    expect_code(&km, "]C10109506000134352\x1D" "10ABC1");

    /* Other control characters: RS (Ctrl+^), EOT (Ctrl+D), FS (Ctrl+\);
     * Ctrl+A (SOH) and Ctrl+Shift+2 (NUL) are dropped. */
    tap(&km, LCTRL | LSHIFT, 0x23);
    tap(&km, LCTRL, 0x07);
    tap(&km, 0x10, 0x31);           /* Right Ctrl */
    tap(&km, LCTRL, 0x04);
    tap(&km, LCTRL | LSHIFT, 0x1F);
    tap(&km, 0, 0x04);
    tap(&km, 0, ENTER);
    expect_code(&km, "\x1E\x04\x1C" "a");

    /* Other AIM prefixes pass through as text. */
    type_us(&km, "]d2010950600013435210ABC");
    expect_code(&km, "]d2010950600013435210ABC");
    type_us(&km, "]Q3hello");
    expect_code(&km, "]Q3hello");
}

static void alt_code(tt_keymap_t *km, uint8_t alt, const char *digits)
{
    report(km, alt, 0, 0, 0, 0);
    for (const char *d = digits; *d; d++) {
        uint8_t u = *d == '0' ? 0x62 : (uint8_t)(0x59 + (*d - '1'));
        report(km, alt, u, 0, 0, 0);
        report(km, alt, 0, 0, 0, 0);
    }
    report(km, 0, 0, 0, 0, 0);
}

static void test_alt_codes(void **state)
{
    tt_keymap_t km;
    (void)state;
    tt_keymap_init(&km, "us");
    tap(&km, 0, 0x1E);
    alt_code(&km, LALT, "0029");
    tap(&km, 0, 0x1F);
    alt_code(&km, RALT, "65");      /* either Alt on "us" */
    alt_code(&km, LALT, "0001");    /* SOH: dropped */
    alt_code(&km, LALT, "0196");    /* not ASCII: dropped */
    alt_code(&km, LALT, "");        /* Alt alone types nothing */
    alt_code(&km, LALT, "321");     /* 321 mod 256 = 65 */
    /* Non-keypad keys with Alt type nothing. */
    tap(&km, LALT, 0x04);
    tap(&km, 0, ENTER);
    expect_code(&km, "1\x1D" "2AA");

    /* On "de" Right Alt is AltGr, so only Left Alt builds Alt codes. */
    tt_keymap_init(&km, "de");
    alt_code(&km, LALT, "0029");
    tap(&km, RALT, 0x14);            /* AltGr+q: @ */
    tap(&km, 0, ENTER);
    expect_code(&km, "\x1D@");
}

static void test_keypad_and_unknown(void **state)
{
    tt_keymap_t km;
    (void)state;
    tt_keymap_init(&km, "us");
    for (uint8_t u = 0x54; u <= 0x63; u++)
        if (u != KP_ENTER)
            tap(&km, 0, u);
    /* Unknown or characterless keys: F1, Escape, Backspace, Application,
     * reserved, Left GUI as a key, beyond the tables. */
    tap(&km, 0, 0x3A);
    tap(&km, 0, 0x29);
    tap(&km, 0, 0x2A);
    tap(&km, 0, 0x65);
    tap(&km, 0, 0xE3);
    tap(&km, 0, 0xFF);
    tap(&km, 0, ENTER);
    expect_code(&km, "/*-+1234567890.");
    expect_none(&km);
}

static void test_other_layouts(void **state)
{
    tt_keymap_t km;
    (void)state;
    /* de: y and z swapped, shifted digits differ, AltGr layer, dead ^. */
    tt_keymap_init(&km, "de");
    tap(&km, 0, 0x1C);               /* key y: z */
    tap(&km, 0, 0x1D);               /* key z: y */
    tap(&km, LSHIFT, 0x24);          /* Shift+7: / */
    tap(&km, RALT, 0x25);            /* AltGr+8: [ */
    tap(&km, 0, 0x38);               /* key /: - */
    tap(&km, 0, 0x35);               /* dead ^ */
    tap(&km, 0, SPACE);              /* ...completed by a space: swallowed */
    tap(&km, 0, SPACE);              /* a real space */
    tap(&km, 0, 0x2F);               /* u-umlaut: not ASCII, nothing */
    tap(&km, 0, ENTER);
    expect_code(&km, "zy/[-^ ");

    /* fr: AZERTY, digits need Shift. */
    tt_keymap_init(&km, "fr");
    tap(&km, LSHIFT, 0x1E);          /* 1 */
    tap(&km, LSHIFT, 0x27);          /* 0 */
    tap(&km, 0, 0x04);               /* key a: q */
    tap(&km, 0, 0x14);               /* key q: a */
    tap(&km, 0, 0x33);               /* key ;: m */
    tap(&km, 0, 0x1E);               /* unshifted 1 key: & */
    tap(&km, RALT, 0x27);            /* AltGr+0: @ */
    tap(&km, 0, ENTER);
    expect_code(&km, "10qam&@");

    /* uk: Shift+2 is ", Shift+' is @, # key. */
    tt_keymap_init(&km, "uk");
    tap(&km, LSHIFT, 0x1F);
    tap(&km, LSHIFT, 0x34);
    tap(&km, 0, 0x32);
    tap(&km, LSHIFT, 0x20);          /* pound sign: not ASCII */
    tap(&km, 0, ENTER);
    expect_code(&km, "\"@#");
}

static void test_partial_timeout(void **state)
{
    tt_keymap_t km;
    (void)state;
    tt_keymap_init(&km, "us");
    assert_int_equal(tt_keymap_deadline(&km), -1);
    report(&km, 0, 0x1E, 0, 0, 1000);
    report(&km, 0, 0, 0, 0, 1000);
    report(&km, 0, 0x1F, 0, 0, 1100);
    report(&km, 0, 0, 0, 0, 1100);
    assert_int_equal(tt_keymap_deadline(&km), 1100 + TT_KEYMAP_PARTIAL_MS);
    assert_int_equal(tt_keymap_expire(&km, 1100 + TT_KEYMAP_PARTIAL_MS - 1), 0);
    assert_int_equal(tt_keymap_expire(&km, 1100 + TT_KEYMAP_PARTIAL_MS), 1);
    assert_int_equal(tt_keymap_deadline(&km), -1);
    assert_int_equal(km.dropped, 1);
    /* The Enter that comes late ends nothing. */
    report(&km, 0, ENTER, 0, 0, 2000);
    report(&km, 0, 0, 0, 0, 2000);
    expect_none(&km);
    /* A whole code in time is kept. */
    report(&km, 0, 0x20, 0, 0, 3000);
    report(&km, 0, 0, 0, 0, 3000);
    report(&km, 0, ENTER, 0, 0, 3400);
    assert_int_equal(tt_keymap_expire(&km, 9999), 0);
    expect_code(&km, "3");
}

static void test_overlong_and_small_buffer(void **state)
{
    tt_keymap_t km;
    char code[TT_SCANNER_CODE_MAX], small[4];
    (void)state;
    tt_keymap_init(&km, "us");
    for (int i = 0; i < TT_SCANNER_CODE_MAX; i++)
        tt_keymap_put(&km, '7', 0);
    tt_keymap_end(&km);
    /* The longest code that fits. */
    for (int i = 0; i < TT_SCANNER_CODE_MAX - 1; i++)
        tt_keymap_put(&km, '8', 0);
    tt_keymap_end(&km);
    type_us(&km, "12345");
    type_us(&km, "after");
    assert_int_equal(tt_keymap_read(&km, code, sizeof code), TT_ERR_TOOBIG);
    assert_int_equal(tt_keymap_read(&km, code, sizeof code), TT_OK);
    assert_int_equal(strlen(code), TT_SCANNER_CODE_MAX - 1);
    /* Too small a buffer: TOOBIG, and the code is gone. */
    assert_int_equal(tt_keymap_read(&km, small, sizeof small), TT_ERR_TOOBIG);
    expect_code(&km, "after");
    expect_none(&km);
}

static void test_queue_full(void **state)
{
    tt_keymap_t km;
    char text[8];
    (void)state;
    tt_keymap_init(&km, "us");
    for (int i = 0; i < TT_KEYMAP_QUEUE + 2; i++) {
        snprintf(text, sizeof text, "%d", i);
        for (char *c = text; *c; c++)
            tt_keymap_put(&km, *c, 0);
        tt_keymap_end(&km);
    }
    assert_int_equal(km.dropped, 2);
    for (int i = 0; i < TT_KEYMAP_QUEUE; i++) {
        snprintf(text, sizeof text, "%d", i);
        expect_code(&km, text);
    }
    expect_none(&km);
}

static void test_bytes(void **state)
{
    tt_keymap_t km;
    (void)state;
    tt_keymap_init(&km, "us");
    tt_keymap_put(&km, 'A', 0);
    tt_keymap_put(&km, '\0', 0);     /* dropped */
    tt_keymap_put(&km, '\x1D', 0);
    tt_keymap_put(&km, 'B', 0);
    tt_keymap_end(&km);
    tt_keymap_end(&km);              /* CR then LF: one code */
    expect_code(&km, "A\x1D" "B");
    expect_none(&km);
}

static void test_reset(void **state)
{
    tt_keymap_t km;
    (void)state;
    tt_keymap_init(&km, "us");
    type_us(&km, "kept");
    report(&km, LSHIFT, 0x04, 0, 0, 0);
    tt_keymap_reset(&km);            /* device lost mid-code */
    assert_false(tt_keymap_partial(&km));
    /* After a reset the held key is new again, and Shift is gone. */
    report(&km, 0, 0x04, 0, 0, 0);
    report(&km, 0, 0, 0, 0, 0);
    tap(&km, 0, ENTER);
    expect_code(&km, "kept");
    expect_code(&km, "a");
}

/* ---- Linux KEY_* events ---- */

static void key(tt_keymap_t *km, unsigned code, int value)
{
    tt_keymap_feed_key(km, code, value, 0);
}

static void ktap(tt_keymap_t *km, unsigned code)
{
    key(km, code, 1);
    key(km, code, 0);
}

static void test_linux_keys(void **state)
{
    tt_keymap_t km;
    (void)state;
    tt_keymap_init(&km, "us");
    /* ]C1 0 1 FNC1 A, with autorepeat noise. */
    ktap(&km, KEY_RIGHTBRACE);
    key(&km, KEY_LEFTSHIFT, 1);
    key(&km, KEY_C, 1);
    key(&km, KEY_C, 2);              /* autorepeat: ignored */
    key(&km, KEY_C, 0);
    key(&km, KEY_LEFTSHIFT, 0);
    ktap(&km, KEY_1);
    ktap(&km, KEY_0);
    ktap(&km, KEY_1);
    key(&km, KEY_LEFTCTRL, 1);
    ktap(&km, KEY_RIGHTBRACE);
    key(&km, KEY_LEFTCTRL, 0);
    key(&km, KEY_RIGHTSHIFT, 1);
    ktap(&km, KEY_A);
    key(&km, KEY_RIGHTSHIFT, 0);
    ktap(&km, KEY_F1);               /* unknown */
    ktap(&km, 0x2FF);                /* beyond any table */
    ktap(&km, KEY_MINUS);
    ktap(&km, KEY_KP7);
    ktap(&km, KEY_ENTER);
    expect_code(&km, "]C101\x1D" "A-7");

    /* Alt+0029 on the keypad; Tab and keypad Enter end codes. */
    ktap(&km, KEY_X);
    key(&km, KEY_LEFTALT, 1);
    ktap(&km, KEY_KP0);
    ktap(&km, KEY_KP0);
    ktap(&km, KEY_KP2);
    ktap(&km, KEY_KP9);
    key(&km, KEY_LEFTALT, 0);
    ktap(&km, KEY_Y);
    ktap(&km, KEY_TAB);
    ktap(&km, KEY_2);
    ktap(&km, KEY_KPENTER);
    ktap(&km, KEY_ENTER);            /* empty: nothing */
    expect_code(&km, "x\x1Dy");
    expect_code(&km, "2");
    expect_none(&km);

    /* A layout applies to KEY_* codes too (they name positions). */
    tt_keymap_init(&km, "de");
    ktap(&km, KEY_Y);
    key(&km, KEY_RIGHTALT, 1);
    ktap(&km, KEY_Q);
    key(&km, KEY_RIGHTALT, 0);
    ktap(&km, KEY_ENTER);
    expect_code(&km, "z@");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_digits_enter),
        cmocka_unit_test(test_shift),
        cmocka_unit_test(test_rollover),
        cmocka_unit_test(test_repeated_reports),
        cmocka_unit_test(test_error_rollover_ignored),
        cmocka_unit_test(test_terminators),
        cmocka_unit_test(test_gs_ctrl_and_aim),
        cmocka_unit_test(test_alt_codes),
        cmocka_unit_test(test_keypad_and_unknown),
        cmocka_unit_test(test_other_layouts),
        cmocka_unit_test(test_partial_timeout),
        cmocka_unit_test(test_overlong_and_small_buffer),
        cmocka_unit_test(test_queue_full),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_linux_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
