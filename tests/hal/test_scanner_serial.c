/*
 * Tests for the serial scanner backend (hal/scanner_serial.c).  The
 * "scanner" is the master side of a pseudo-terminal; the backend opens the
 * slave through a symlink (as it would a /dev/serial/by-id link), so that
 * unplugging (closing the master: the slave hangs up) and replugging
 * (repointing the link at a new pty) can be played.  The backend is driven
 * exactly like the firmware loop drives it (scanner_loop.h).
 */
#define _XOPEN_SOURCE 700   /* posix_openpt, grantpt, unlockpt, ptsname */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keymap.h"
#include "scanner.h"
#include "scanner_loop.h"

#define REOPEN_MS 150

typedef struct {
    char dir[64];
    char link[96];
    int master;
    tt_scanner_t *s;
    loop_t loop;
} fx_t;

/* A new pty; points fx->link at its slave (atomically, as udev would). */
static void new_pty(fx_t *fx)
{
    char tmp[128];
    const char *slave;

    fx->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(fx->master >= 0);
    assert_int_equal(grantpt(fx->master), 0);
    assert_int_equal(unlockpt(fx->master), 0);
    slave = ptsname(fx->master);
    assert_non_null(slave);
    snprintf(tmp, sizeof tmp, "%s/link.tmp", fx->dir);
    unlink(tmp);
    assert_int_equal(symlink(slave, tmp), 0);
    assert_int_equal(rename(tmp, fx->link), 0);
}

static void conf_for(const fx_t *fx, tt_scanner_conf_t *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->driver, sizeof c->driver, "serial");
    snprintf(c->device, sizeof c->device, "%s", fx->link);
    snprintf(c->layout, sizeof c->layout, "us");
    c->baud = 115200;
    c->reopen_ms = REOPEN_MS;
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    tt_scanner_conf_t c;

    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_serial_XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->link, sizeof fx->link, "%s/ttyACM0", fx->dir);
    new_pty(fx);
    conf_for(fx, &c);
    if (tt_scanner_open(&c, &fx->s) != TT_OK)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    char tmp[128];

    tt_scanner_close(fx->s);
    if (fx->master >= 0)
        close(fx->master);
    unlink(fx->link);
    snprintf(tmp, sizeof tmp, "%s/link.tmp", fx->dir);
    unlink(tmp);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static void scan_bytes(fx_t *fx, const char *bytes)
{
    size_t n = strlen(bytes);
    assert_int_equal(write(fx->master, bytes, n), (ssize_t)n);
}

static void test_conf(void **state)
{
    tt_scanner_conf_t c;
    tt_scanner_t *s;
    (void)state;

    assert_true(tt_scanner_known("serial"));
    memset(&c, 0, sizeof c);
    snprintf(c.driver, sizeof c.driver, "serial");
    /* No device. */
    assert_int_equal(tt_scanner_open(&c, &s), TT_ERR_INVAL);
    assert_null(s);
    /* A rate termios does not have. */
    snprintf(c.device, sizeof c.device, "/nonexistent/ttyACM9");
    c.baud = 12345;
    assert_int_equal(tt_scanner_open(&c, &s), TT_ERR_INVAL);
    /* Absent device: not an error, missing, looked for on the deadline
     * (reopen_ms 0 means 1000). */
    c.baud = 0;
    assert_int_equal(tt_scanner_open(&c, &s), TT_OK);
    assert_false(tt_scanner_present(s));
    {
        int64_t d = tt_scanner_deadline(s), now = tt_clock_mono_ms();
        struct pollfd fds[4];
        assert_true(d > now + 900 && d <= now + 1000);
        assert_int_equal(tt_scanner_pollfds(s, fds, 4), 0);
        assert_int_equal(tt_scanner_inject(s, "x"), TT_ERR_DEVICE);
    }
    tt_scanner_close(s);
}

static void test_terminators(void **state)
{
    fx_t *fx = *state;

    assert_true(tt_scanner_present(fx->s));
    scan_bytes(fx, "0109506000134352\r\n");
    scan_bytes(fx, "CR-only\r");
    scan_bytes(fx, "LF-only\n");
    scan_bytes(fx, "\r\n\r\n");              /* empty: nothing */
    scan_bytes(fx, "two\r\nin-one\r\n");
    assert_true(loop_until_codes(fx->s, &fx->loop, 5, 2000));
    assert_string_equal(fx->loop.codes[0], "0109506000134352");
    assert_string_equal(fx->loop.codes[1], "CR-only");
    assert_string_equal(fx->loop.codes[2], "LF-only");
    assert_string_equal(fx->loop.codes[3], "two");
    assert_string_equal(fx->loop.codes[4], "in-one");
    loop_run(fx->s, &fx->loop, 100);
    assert_int_equal(fx->loop.count, 5);
}

static void test_gs_aim_and_split(void **state)
{
    fx_t *fx = *state;

    /* GS kept, AIM prefix passed through, a code split across writes. */
    scan_bytes(fx, "]C1010950600013435");
    loop_run(fx->s, &fx->loop, 50);
    assert_int_equal(fx->loop.count, 0);
    scan_bytes(fx, "2\x1D" "10ABC\r\n");
    scan_bytes(fx, "]d2\x1E" "06\x1D" "X\x04\r");
    assert_int_equal(write(fx->master, "A\0B\r", 4), 4);   /* NUL dropped */
    assert_true(loop_until_codes(fx->s, &fx->loop, 3, 2000));
    assert_string_equal(fx->loop.codes[0], "]C10109506000134352\x1D" "10ABC");
    assert_string_equal(fx->loop.codes[1], "]d2\x1E" "06\x1D" "X\x04");
    assert_string_equal(fx->loop.codes[2], "AB");
}

static void test_partial_dropped(void **state)
{
    fx_t *fx = *state;
    int64_t t0, d;

    scan_bytes(fx, "12345");
    t0 = tt_clock_mono_ms();
    loop_run(fx->s, &fx->loop, 50);
    /* The deadline is the partial timeout: the loop wakes up for it. */
    d = tt_scanner_deadline(fx->s);
    assert_true(d >= t0 && d <= t0 + 50 + TT_KEYMAP_PARTIAL_MS);
    loop_run(fx->s, &fx->loop, TT_KEYMAP_PARTIAL_MS + 150);
    assert_int_equal(tt_scanner_deadline(fx->s), -1);
    scan_bytes(fx, "\r\n");                  /* terminator for a dropped code */
    scan_bytes(fx, "678\r\n");
    assert_true(loop_until_codes(fx->s, &fx->loop, 1, 2000));
    loop_run(fx->s, &fx->loop, 50);
    assert_int_equal(fx->loop.count, 1);
    assert_string_equal(fx->loop.codes[0], "678");
    /* Idle: the loop slept instead of spinning. */
    assert_true(fx->loop.iterations < 50);
}

static void test_overlong(void **state)
{
    fx_t *fx = *state;
    char big[TT_SCANNER_CODE_MAX + 10];

    memset(big, '9', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    scan_bytes(fx, big);
    scan_bytes(fx, "\r\nnext\r\n");
    assert_true(loop_until_codes(fx->s, &fx->loop, 1, 2000));
    assert_int_equal(fx->loop.toobig, 1);
    assert_string_equal(fx->loop.codes[0], "next");
}

static void test_unplug_replug(void **state)
{
    fx_t *fx = *state;

    scan_bytes(fx, "before\r\n");
    assert_true(loop_until_codes(fx->s, &fx->loop, 1, 2000));
    assert_string_equal(fx->loop.codes[0], "before");

    /* Unplug mid-code: the partial code goes with the device. */
    scan_bytes(fx, "half");
    loop_run(fx->s, &fx->loop, 30);
    close(fx->master);
    fx->master = -1;
    assert_true(loop_until_present(fx->s, &fx->loop, 0, 2000));
    /* Missing: nothing to poll, the deadline is the next reopen. */
    {
        struct pollfd fds[4];
        int64_t d = tt_scanner_deadline(fx->s), now = tt_clock_mono_ms();
        assert_int_equal(tt_scanner_pollfds(fx->s, fds, 4), 0);
        assert_true(d > now - 10 && d <= now + REOPEN_MS);
    }
    /* Stays missing while the link points at nothing. */
    loop_run(fx->s, &fx->loop, 3 * REOPEN_MS);
    assert_false(tt_scanner_present(fx->s));

    /* Replug: a new pty behind the same link. */
    new_pty(fx);
    assert_true(loop_until_present(fx->s, &fx->loop, 1, 4 * REOPEN_MS));
    scan_bytes(fx, "\r\nafter\r\n");
    assert_true(loop_until_codes(fx->s, &fx->loop, 2, 2000));
    assert_string_equal(fx->loop.codes[1], "after");
    assert_int_equal(fx->loop.count, 2);
}

static void test_starts_missing_then_appears(void **state)
{
    fx_t *fx = *state;
    tt_scanner_conf_t c;
    tt_scanner_t *s;
    loop_t l;
    char path[128];

    memset(&l, 0, sizeof l);
    conf_for(fx, &c);
    snprintf(path, sizeof path, "%s/ttyACM1", fx->dir);
    snprintf(c.device, sizeof c.device, "%s", path);
    assert_int_equal(tt_scanner_open(&c, &s), TT_OK);
    assert_false(tt_scanner_present(s));
    assert_int_equal(symlink(ptsname(fx->master), path), 0);
    assert_true(loop_until_present(s, &l, 1, 4 * REOPEN_MS));
    tt_scanner_close(s);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf),
        cmocka_unit_test_setup_teardown(test_terminators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gs_aim_and_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlong, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unplug_replug, setup, teardown),
        cmocka_unit_test_setup_teardown(test_starts_missing_then_appears, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
