/*
 * Tests of hal/indicator: the dispatcher's lamp state and beep timing through
 * the fake backend on a clock the test sets, and the console backend ringing
 * "\a" into a pipe, first on set clocks, then driven by a firmware-style poll
 * loop on the real clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "indicator.h"

static tt_indicator_conf_t conf_for(const char *driver)
{
    tt_indicator_conf_t c;

    tt_indicator_conf_defaults(&c);
    snprintf(c.driver, sizeof c.driver, "%s", driver);
    return c;
}

static tt_indicator_sim_view_t view(const tt_indicator_t *ind)
{
    tt_indicator_sim_view_t v;

    assert_int_equal(tt_indicator_sim_view(ind, &v), TT_OK);
    return v;
}

static void service(tt_indicator_t *ind, int64_t now)
{
    struct pollfd fds[TT_INDICATOR_FDS_MAX];
    size_t n = tt_indicator_pollfds(ind, fds, TT_INDICATOR_FDS_MAX);

    assert_true(poll(fds, n, 0) >= 0);
    tt_indicator_service(ind, fds, n, now);
}

/* Bells waiting in the pipe; empties it. */
static int bells(int fd)
{
    char buf[64];
    ssize_t n;
    int count = 0;

    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++) {
            assert_int_equal(buf[i], '\a');
            count++;
        }
    return count;
}

static void nonblocking_pipe(int p[2])
{
    assert_int_equal(pipe(p), 0);
    assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
}

/* --- tests --------------------------------------------------------------- */

static void test_open_refuses(void **unused)
{
    tt_indicator_conf_t c = conf_for("nosuch");
    tt_indicator_t *ind = (tt_indicator_t *)&c;

    (void)unused;
    assert_int_equal(tt_indicator_open(&c, &ind), TT_ERR_NOTFOUND);
    assert_null(ind);
    c = conf_for("fake");
    c.beep_ok_ms = 0;
    assert_int_equal(tt_indicator_open(&c, &ind), TT_ERR_INVAL);
    c = conf_for("console");      /* neither device nor fd */
    assert_int_equal(tt_indicator_open(&c, &ind), TT_ERR_INVAL);
    c = conf_for("modbus");
    strcpy(c.host, "tower.local");  /* names would need a blocking lookup */
    assert_int_equal(tt_indicator_open(&c, &ind), TT_ERR_INVAL);
    c = conf_for("modbus");
    strcpy(c.transport, "rtu");     /* no device */
    assert_int_equal(tt_indicator_open(&c, &ind), TT_ERR_INVAL);
    assert_true(tt_indicator_known("fake"));
    assert_true(tt_indicator_known("console"));
    assert_true(tt_indicator_known("modbus"));
    assert_false(tt_indicator_known("gpio"));
    tt_indicator_close(NULL);
}

static void test_lamps(void **unused)
{
    tt_indicator_conf_t c = conf_for("fake");
    tt_indicator_t *ind;

    (void)unused;
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    assert_int_equal(tt_indicator_deadline(ind), 0);   /* "all off" waits */
    service(ind, 1000);
    assert_int_equal(tt_indicator_deadline(ind), -1);
    assert_int_equal(view(ind).lamps, TT_INDICATOR_OFF);
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_OK), TT_OK);
    assert_int_equal(view(ind).lamps, TT_INDICATOR_OFF);   /* not before service */
    assert_int_equal(tt_indicator_deadline(ind), 0);
    service(ind, 1001);
    assert_int_equal(view(ind).lamps, TT_INDICATOR_OK);
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_OK), TT_OK);
    assert_int_equal(tt_indicator_deadline(ind), -1);      /* no change */
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_ERROR), TT_OK);
    service(ind, 1002);
    assert_int_equal(view(ind).lamps, TT_INDICATOR_ERROR);
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_OFFLINE), TT_OK);
    service(ind, 1003);
    assert_int_equal(view(ind).lamps, TT_INDICATOR_OFFLINE);
    assert_int_equal(tt_indicator_set(ind, (tt_indicator_state_t)7), TT_ERR_INVAL);
    assert_int_equal(tt_indicator_beep(ind, (tt_indicator_beep_t)7), TT_ERR_INVAL);
    assert_true(tt_indicator_present(ind));
    assert_int_equal(tt_indicator_sim_missing(ind, 1), TT_OK);
    assert_false(tt_indicator_present(ind));
    tt_indicator_close(ind);
}

static void test_beep_ok_timing(void **unused)
{
    tt_indicator_conf_t c = conf_for("fake");
    tt_indicator_t *ind;

    (void)unused;
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    service(ind, 1000);
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_OK), TT_OK);
    assert_int_equal(view(ind).buzzer, 0);
    assert_int_equal(tt_indicator_deadline(ind), 0);
    service(ind, 2000);
    assert_int_equal(view(ind).buzzer, 1);
    assert_int_equal(view(ind).pulses, 1);
    assert_int_equal(tt_indicator_deadline(ind), 2100);
    service(ind, 2099);
    assert_int_equal(view(ind).buzzer, 1);
    service(ind, 2100);
    assert_int_equal(view(ind).buzzer, 0);
    assert_int_equal(tt_indicator_deadline(ind), -1);
    assert_int_equal(view(ind).pulses, 1);
    tt_indicator_close(ind);
}

static void test_beep_error_train(void **unused)
{
    tt_indicator_conf_t c = conf_for("fake");
    tt_indicator_t *ind;
    /* 3 pulses of 200 ms, 100 ms apart: edges at +200 off, +300 on, +500
     * off, +600 on, +800 off. */
    static const struct {
        int64_t at;
        int buzzer;
        unsigned pulses;
        int64_t next;
    } steps[] = {
        {5000, 1, 1, 5200}, {5199, 1, 1, 5200}, {5200, 0, 1, 5300}, {5300, 1, 2, 5500},
        {5500, 0, 2, 5600}, {5600, 1, 3, 5800}, {5800, 0, 3, -1},
    };

    (void)unused;
    c.beep_error_pulses = 3;
    c.beep_error_ms = 200;
    c.beep_gap_ms = 100;
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    service(ind, 4000);
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_ERROR), TT_OK);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        service(ind, steps[i].at);
        assert_int_equal(view(ind).buzzer, steps[i].buzzer);
        assert_int_equal(view(ind).pulses, steps[i].pulses);
        assert_int_equal(tt_indicator_deadline(ind), steps[i].next);
    }
    /* A loop that comes late still plays every pulse. */
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_ERROR), TT_OK);
    service(ind, 9000);
    service(ind, 20000);
    assert_int_equal(view(ind).pulses, 6);
    assert_int_equal(view(ind).buzzer, 0);
    assert_int_equal(tt_indicator_deadline(ind), -1);
    tt_indicator_close(ind);
    /* Closing mid-beep stops the buzzer (checked on the tower in
     * test_indicator_modbus); here: closing a sounding fake is clean. */
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_ERROR), TT_OK);
    service(ind, 1000);
    assert_int_equal(view(ind).buzzer, 1);
    tt_indicator_close(ind);
}

/* An ok beep does not cut an error beep short; an error beep replaces an
 * ok beep. */
static void test_beep_precedence(void **unused)
{
    tt_indicator_conf_t c = conf_for("fake");
    tt_indicator_t *ind;

    (void)unused;
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_ERROR), TT_OK);
    service(ind, 1000);
    assert_int_equal(tt_indicator_deadline(ind), 1800);
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_OK), TT_OK);
    assert_int_equal(tt_indicator_deadline(ind), 1800);
    service(ind, 1050);
    assert_int_equal(tt_indicator_deadline(ind), 1800);
    service(ind, 1800);
    assert_int_equal(view(ind).buzzer, 0);
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_OK), TT_OK);
    service(ind, 2000);
    assert_int_equal(tt_indicator_deadline(ind), 2100);
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_ERROR), TT_OK);
    service(ind, 2050);
    assert_int_equal(view(ind).buzzer, 1);
    assert_int_equal(tt_indicator_deadline(ind), 2850);
    tt_indicator_close(ind);
}

static void test_console_bell_pipe(void **unused)
{
    tt_indicator_conf_t c = conf_for("console");
    tt_indicator_t *ind;
    int p[2];

    (void)unused;
    nonblocking_pipe(p);
    c.fd = p[1];
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    assert_true(tt_indicator_present(ind));
    assert_int_equal(tt_indicator_sim_view(ind, &(tt_indicator_sim_view_t){0}), TT_ERR_DEVICE);
    service(ind, 1000);
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_ERROR), TT_OK);
    service(ind, 1001);
    assert_int_equal(bells(p[0]), 0);        /* lamps are the screen's */
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_OK), TT_OK);
    service(ind, 1002);
    assert_int_equal(bells(p[0]), 1);
    service(ind, 1102);
    assert_int_equal(bells(p[0]), 0);
    /* The console's error beep: three bells, 150 ms long and 150 ms apart. */
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_ERROR), TT_OK);
    service(ind, 2000);
    assert_int_equal(bells(p[0]), 1);
    assert_int_equal(tt_indicator_deadline(ind), 2150);
    service(ind, 2150);
    assert_int_equal(tt_indicator_deadline(ind), 2300);
    service(ind, 2299);
    assert_int_equal(bells(p[0]), 0);
    service(ind, 2300);
    assert_int_equal(bells(p[0]), 1);
    service(ind, 2450);
    service(ind, 2600);
    assert_int_equal(bells(p[0]), 1);
    service(ind, 2750);
    assert_int_equal(tt_indicator_deadline(ind), -1);
    assert_int_equal(bells(p[0]), 0);
    /* The caller's descriptor is still open and its own. */
    assert_int_equal(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0);
    tt_indicator_close(ind);
    assert_int_equal(write(p[1], "\a", 1), 1);
    assert_int_equal(bells(p[0]), 1);
    close(p[0]);
    close(p[1]);
}

/* A full pipe (a stopped tty) never blocks the loop: the bell is dropped. */
static void test_console_never_blocks(void **unused)
{
    tt_indicator_conf_t c = conf_for("console");
    tt_indicator_t *ind;
    char fill[4096];
    int p[2];

    (void)unused;
    nonblocking_pipe(p);
    assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
    memset(fill, 'x', sizeof fill);
    while (write(p[1], fill, sizeof fill) > 0)
        ;
    assert_int_equal(fcntl(p[1], F_SETFL, 0), 0);    /* the caller's fd blocks */
    c.fd = p[1];
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_OK), TT_OK);
    service(ind, 1000);               /* returns: the write would block */
    assert_true(tt_indicator_present(ind));
    tt_indicator_close(ind);
    close(p[0]);
    close(p[1]);
}

static void test_console_device(void **unused)
{
    tt_indicator_conf_t c = conf_for("console");
    tt_indicator_t *ind;

    (void)unused;
    strcpy(c.device, "/dev/null");
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    assert_true(tt_indicator_present(ind));
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_OK), TT_OK);
    service(ind, 1000);
    assert_true(tt_indicator_present(ind));
    tt_indicator_close(ind);

    strcpy(c.device, "/nonexistent/tty9");
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    assert_false(tt_indicator_present(ind));
    service(ind, 1000);
    assert_false(tt_indicator_present(ind));
    assert_int_equal(tt_indicator_deadline(ind), 1000 + c.reconnect_ms);
    tt_indicator_close(ind);
}

/* The firmware's loop on the real clock: pollfds, poll() with the deadline's
 * timeout, service; an error beep rings three bells in about 0.75 s. */
static void test_console_loop(void **unused)
{
    tt_indicator_conf_t c = conf_for("console");
    tt_indicator_t *ind;
    int64_t start, end;
    int p[2], rung = 0;

    (void)unused;
    nonblocking_pipe(p);
    c.fd = p[1];
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_ERROR), TT_OK);
    start = tt_clock_mono_ms();
    end = start + 3000;
    while (tt_clock_mono_ms() < end) {
        struct pollfd fds[TT_INDICATOR_FDS_MAX];
        int64_t now = tt_clock_mono_ms(), d = tt_indicator_deadline(ind);
        size_t n = tt_indicator_pollfds(ind, fds, TT_INDICATOR_FDS_MAX);
        int timeout;

        if (d < 0)
            break;
        timeout = d <= now ? 0 : (int)(d - now);
        assert_true(poll(fds, n, timeout) >= 0);
        tt_indicator_service(ind, fds, n, tt_clock_mono_ms());
        rung += bells(p[0]);
    }
    assert_int_equal(rung, 3);
    assert_true(tt_clock_mono_ms() - start >= 750);
    assert_int_equal(tt_indicator_deadline(ind), -1);
    tt_indicator_close(ind);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_refuses),
        cmocka_unit_test(test_lamps),
        cmocka_unit_test(test_beep_ok_timing),
        cmocka_unit_test(test_beep_error_train),
        cmocka_unit_test(test_beep_precedence),
        cmocka_unit_test(test_console_bell_pipe),
        cmocka_unit_test(test_console_never_blocks),
        cmocka_unit_test(test_console_device),
        cmocka_unit_test(test_console_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
