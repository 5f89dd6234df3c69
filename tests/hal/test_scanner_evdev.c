/*
 * Tests for the evdev scanner backend (hal/scanner_evdev.c) without
 * /dev/uinput (CI has none): the backend opens a FIFO made with mkfifo as
 * its "event node", and the test writes struct input_event records into it,
 * as the kernel would hand them out.  grab is 0 there (a FIFO cannot be
 * grabbed); with grab 1 the FIFO must count as missing.  Closing the writer
 * (end of file) plays the unplug; the backend reopens the path on its
 * deadline.  The backend is driven exactly like the firmware loop drives it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keymap.h"
#include "scanner.h"
#include "scanner_loop.h"

#define REOPEN_MS 150

typedef struct {
    char dir[64];
    char fifo[96];
    int w;                  /* the writer: the "kernel" side */
    tt_scanner_t *s;
    loop_t loop;
} fx_t;

static void conf_for(const char *path, int grab, tt_scanner_conf_t *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->driver, sizeof c->driver, "evdev");
    snprintf(c->device, sizeof c->device, "%s", path);
    snprintf(c->layout, sizeof c->layout, "us");
    c->grab = grab;
    c->reopen_ms = REOPEN_MS;
}

static int open_writer(fx_t *fx)
{
    /* Non-blocking: fails with ENXIO unless the backend has it open. */
    fx->w = open(fx->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    return fx->w;
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    tt_scanner_conf_t c;

    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_evdev_XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->fifo, sizeof fx->fifo, "%s/event0", fx->dir);
    if (mkfifo(fx->fifo, 0600) != 0)
        return -1;
    conf_for(fx->fifo, 0, &c);
    if (tt_scanner_open(&c, &fx->s) != TT_OK || !tt_scanner_present(fx->s))
        return -1;
    if (open_writer(fx) < 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;

    tt_scanner_close(fx->s);
    if (fx->w >= 0)
        close(fx->w);
    unlink(fx->fifo);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* Writes records; `split` writes the first one in two pieces. */
static void emit(fx_t *fx, const struct input_event *ev, size_t n, int split)
{
    const char *p = (const char *)ev;
    size_t len = n * sizeof *ev;

    if (split && len > 5) {
        assert_int_equal(write(fx->w, p, 5), 5);
        loop_run(fx->s, &fx->loop, 20);   /* the backend sees the piece alone */
        p += 5;
        len -= 5;
    }
    assert_int_equal(write(fx->w, p, len), (ssize_t)len);
}

static struct input_event ev(unsigned type, unsigned code, int value)
{
    struct input_event e;
    memset(&e, 0, sizeof e);
    e.type = (uint16_t)type;
    e.code = (uint16_t)code;
    e.value = value;
    return e;
}

/* A key press and release with their SYN_REPORTs, as the kernel sends. */
static size_t keytap(struct input_event *out, unsigned code)
{
    out[0] = ev(EV_MSC, MSC_SCAN, 0x70000);
    out[1] = ev(EV_KEY, code, 1);
    out[2] = ev(EV_SYN, SYN_REPORT, 0);
    out[3] = ev(EV_KEY, code, 0);
    out[4] = ev(EV_SYN, SYN_REPORT, 0);
    return 5;
}

static size_t mod(struct input_event *out, unsigned code, int down)
{
    out[0] = ev(EV_KEY, code, down);
    out[1] = ev(EV_SYN, SYN_REPORT, 0);
    return 2;
}

/* Records for `text` (digits, upper-case letters, ']'), US layout. */
static size_t type_text(struct input_event *out, const char *text)
{
    static const unsigned digits[] = {KEY_0, KEY_1, KEY_2, KEY_3, KEY_4,
                                      KEY_5, KEY_6, KEY_7, KEY_8, KEY_9};
    static const unsigned letters[] = {
        KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
        KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z};
    size_t n = 0;

    for (const char *c = text; *c; c++) {
        if (*c >= '0' && *c <= '9') {
            n += keytap(out + n, digits[*c - '0']);
        } else if (*c >= 'A' && *c <= 'Z') {
            n += mod(out + n, KEY_LEFTSHIFT, 1);
            n += keytap(out + n, letters[*c - 'A']);
            n += mod(out + n, KEY_LEFTSHIFT, 0);
        } else if (*c == ']') {
            n += keytap(out + n, KEY_RIGHTBRACE);
        } else {
            fail_msg("type_text: no key for '%c'", *c);
        }
    }
    return n;
}

static void test_conf(void **state)
{
    tt_scanner_conf_t c;
    tt_scanner_t *s;
    (void)state;

    assert_true(tt_scanner_known("evdev"));
    conf_for("", 0, &c);
    assert_int_equal(tt_scanner_open(&c, &s), TT_ERR_INVAL);
    conf_for("/dev/input/event99", 0, &c);
    snprintf(c.layout, sizeof c.layout, "klingon");
    assert_int_equal(tt_scanner_open(&c, &s), TT_ERR_INVAL);
    /* Absent: not an error, missing. */
    conf_for("/nonexistent/event99", 1, &c);
    c.reopen_ms = 0;
    assert_int_equal(tt_scanner_open(&c, &s), TT_OK);
    assert_false(tt_scanner_present(s));
    {
        int64_t d = tt_scanner_deadline(s), now = tt_clock_mono_ms();
        assert_true(d > now + 900 && d <= now + 1000);   /* default 1000 ms */
    }
    tt_scanner_close(s);
}

static void test_codes(void **state)
{
    fx_t *fx = *state;
    struct input_event e[600];
    size_t n = 0;

    n += type_text(e + n, "0109506000134352");
    n += keytap(e + n, KEY_ENTER);
    /* ]C1 ... FNC1 as Ctrl+] ... Tab */
    n += type_text(e + n, "]C1010");
    n += mod(e + n, KEY_LEFTCTRL, 1);
    n += keytap(e + n, KEY_RIGHTBRACE);
    n += mod(e + n, KEY_LEFTCTRL, 0);
    n += type_text(e + n, "10AB");
    n += keytap(e + n, KEY_TAB);
    /* Autorepeat of a held key adds nothing. */
    n += type_text(e + n, "7");
    e[n++] = ev(EV_KEY, KEY_8, 1);
    e[n++] = ev(EV_KEY, KEY_8, 2);
    e[n++] = ev(EV_KEY, KEY_8, 2);
    e[n++] = ev(EV_KEY, KEY_8, 0);
    n += keytap(e + n, KEY_KPENTER);
    assert_true(n <= sizeof e / sizeof e[0]);
    emit(fx, e, n, 1);
    assert_true(loop_until_codes(fx->s, &fx->loop, 3, 2000));
    assert_string_equal(fx->loop.codes[0], "0109506000134352");
    assert_string_equal(fx->loop.codes[1], "]C1010\x1D" "10AB");
    assert_string_equal(fx->loop.codes[2], "78");
    loop_run(fx->s, &fx->loop, 50);
    assert_int_equal(fx->loop.count, 3);
}

static void test_alt_code_gs(void **state)
{
    fx_t *fx = *state;
    struct input_event e[64];
    size_t n = 0;

    n += type_text(e + n, "1");
    n += mod(e + n, KEY_LEFTALT, 1);
    n += keytap(e + n, KEY_KP0);
    n += keytap(e + n, KEY_KP0);
    n += keytap(e + n, KEY_KP2);
    n += keytap(e + n, KEY_KP9);
    n += mod(e + n, KEY_LEFTALT, 0);
    n += type_text(e + n, "2");
    n += keytap(e + n, KEY_ENTER);
    emit(fx, e, n, 0);
    assert_true(loop_until_codes(fx->s, &fx->loop, 1, 2000));
    assert_string_equal(fx->loop.codes[0], "1\x1D" "2");
}

static void test_syn_dropped_and_partial(void **state)
{
    fx_t *fx = *state;
    struct input_event e[64];
    size_t n = 0;

    /* Events lost mid-code: the partial code must not be delivered. */
    n += type_text(e + n, "12");
    e[n++] = ev(EV_SYN, SYN_DROPPED, 0);
    n += type_text(e + n, "3");
    n += keytap(e + n, KEY_ENTER);
    emit(fx, e, n, 0);
    assert_true(loop_until_codes(fx->s, &fx->loop, 1, 2000));
    assert_string_equal(fx->loop.codes[0], "3");

    /* No terminator within the partial timeout: dropped. */
    n = type_text(e, "456");
    emit(fx, e, n, 0);
    loop_run(fx->s, &fx->loop, TT_KEYMAP_PARTIAL_MS + 200);
    n = keytap(e, KEY_ENTER);
    n += type_text(e + n, "9");
    n += keytap(e + n, KEY_ENTER);
    emit(fx, e, n, 0);
    assert_true(loop_until_codes(fx->s, &fx->loop, 2, 2000));
    assert_string_equal(fx->loop.codes[1], "9");
    loop_run(fx->s, &fx->loop, 50);
    assert_int_equal(fx->loop.count, 2);
}

static void test_unplug_replug(void **state)
{
    fx_t *fx = *state;
    struct input_event e[64];
    size_t n;

    n = type_text(e, "5");
    n += keytap(e + n, KEY_ENTER);
    n += type_text(e + n, "66");   /* cut off by the unplug */
    emit(fx, e, n, 0);
    close(fx->w);                  /* end of file, as ENODEV would be */
    fx->w = -1;
    assert_true(loop_until_present(fx->s, &fx->loop, 0, 2000));
    assert_int_equal(fx->loop.count, 1);
    assert_string_equal(fx->loop.codes[0], "5");
    {
        struct pollfd fds[4];
        int64_t d = tt_scanner_deadline(fx->s), now = tt_clock_mono_ms();
        assert_int_equal(tt_scanner_pollfds(fx->s, fds, 4), 0);
        assert_true(d > now - 10 && d <= now + REOPEN_MS);
    }
    /* Reopened on the deadline; the old partial code is gone. */
    assert_true(loop_until_present(fx->s, &fx->loop, 1, 4 * REOPEN_MS));
    assert_true(open_writer(fx) >= 0);
    n = type_text(e, "7");
    n += keytap(e + n, KEY_ENTER);
    emit(fx, e, n, 0);
    assert_true(loop_until_codes(fx->s, &fx->loop, 2, 2000));
    assert_string_equal(fx->loop.codes[1], "7");
}

static void test_grab_on_fifo_is_missing(void **state)
{
    fx_t *fx = *state;
    tt_scanner_conf_t c;
    tt_scanner_t *s;
    loop_t l;

    /* EVIOCGRAB fails on a FIFO (not an evdev node): the backend treats
     * the node as missing and keeps trying, rather than reading keys that
     * also reach others. */
    memset(&l, 0, sizeof l);
    conf_for(fx->fifo, 1, &c);
    assert_int_equal(tt_scanner_open(&c, &s), TT_OK);
    assert_false(tt_scanner_present(s));
    loop_run(s, &l, 3 * REOPEN_MS);
    assert_false(tt_scanner_present(s));
    assert_true(tt_scanner_deadline(s) >= 0);
    tt_scanner_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf),
        cmocka_unit_test_setup_teardown(test_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alt_code_gs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syn_dropped_and_partial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unplug_replug, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grab_on_fifo_is_missing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
