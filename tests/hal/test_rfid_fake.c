/*
 * Tests of hal/rfid through the fake reader: the dispatcher (backend choice,
 * dedupe window, counters, read buffer) and the fake's scripting (tags,
 * timeouts, garbage, disconnects), all on a clock the test sets, driven the
 * way the firmware's loop drives it: pollfds, poll(), service, read.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rfid.h"

#define EPC_A "3074257BF7194E4000001A85"
#define EPC_B "3074257BF7194E4000001A86"

typedef struct {
    tt_rfid_t *r;
    int64_t now;
    char reads[128][TT_RFID_EPC_MAX];
    size_t n;
} rig_t;

/* One turn of the firmware's loop at the rig's clock; poll() only looks. */
static void turn(rig_t *g)
{
    struct pollfd fds[TT_RFID_FDS_MAX];
    size_t n = tt_rfid_pollfds(g->r, fds, TT_RFID_FDS_MAX);
    char epc[TT_RFID_EPC_MAX];

    assert_true(poll(fds, n, 0) >= 0);
    tt_rfid_service(g->r, fds, n, g->now);
    while (tt_rfid_read(g->r, epc, sizeof epc) == TT_OK) {
        assert_true(g->n < 128);
        strcpy(g->reads[g->n++], epc);
    }
}

/* Runs the loop from the rig's clock to `until`, waking at every deadline
 * (or every 10 ms when there is none), as poll() would. */
static void run_to(rig_t *g, int64_t until)
{
    while (g->now <= until) {
        int64_t d;

        turn(g);
        d = tt_rfid_deadline(g->r);
        if (d <= g->now && d >= 0)
            continue;       /* due at once, like poll(..., 0) */
        g->now = d < 0 || d > until ? until + 1 : d;
    }
    g->now = until;
}

static tt_rfid_conf_t fake_conf(void)
{
    tt_rfid_conf_t c;

    tt_rfid_conf_defaults(&c);
    c.poll_ms = 100;
    c.dedupe_ms = 2000;
    c.max_failures = 3;
    c.reconnect_ms = 1000;
    return c;
}

static void rig_open(rig_t *g, const tt_rfid_conf_t *c)
{
    memset(g, 0, sizeof *g);
    g->now = 10000;
    assert_int_equal(tt_rfid_open(c, &g->r), TT_OK);
}

static void sim(rig_t *g, tt_rfid_sim_t what, const char *epc)
{
    assert_int_equal(tt_rfid_sim(g->r, what, epc), TT_OK);
}

static void stats(rig_t *g, tt_rfid_stats_t *st)
{
    tt_rfid_stats(g->r, st);
}

/* --- tests --------------------------------------------------------------- */

static void test_open_refuses(void **unused)
{
    tt_rfid_conf_t c = fake_conf();
    tt_rfid_t *r = (tt_rfid_t *)&c;

    (void)unused;
    strcpy(c.driver, "nosuch");
    assert_int_equal(tt_rfid_open(&c, &r), TT_ERR_NOTFOUND);
    assert_null(r);
    c = fake_conf();
    c.poll_ms = 0;
    assert_int_equal(tt_rfid_open(&c, &r), TT_ERR_INVAL);
    c = fake_conf();
    c.dedupe_ms = -1;
    assert_int_equal(tt_rfid_open(&c, &r), TT_ERR_INVAL);
    assert_true(tt_rfid_known("fake"));
    assert_true(tt_rfid_known("modbus"));
    assert_false(tt_rfid_known("usb"));
    tt_rfid_close(NULL);
}

static void test_tag_lying_reads_once(void **unused)
{
    tt_rfid_conf_t c = fake_conf();
    tt_rfid_stats_t st;
    rig_t g;

    (void)unused;
    rig_open(&g, &c);
    assert_int_equal(tt_rfid_deadline(g.r), 0);   /* the link opens at once */
    run_to(&g, 10500);
    assert_true(tt_rfid_present(g.r));
    assert_int_equal(g.n, 0);
    sim(&g, TT_RFID_SIM_PLACE, EPC_A);
    assert_int_equal(tt_rfid_deadline(g.r), 0);   /* a command waits */
    run_to(&g, 20000);                             /* ten seconds on the reader */
    assert_int_equal(g.n, 1);
    assert_string_equal(g.reads[0], EPC_A);
    stats(&g, &st);
    assert_int_equal(st.reads, 1);
    assert_true(st.sightings >= 90);
    assert_int_equal(st.duplicates, st.sightings - 1);
    assert_int_equal(st.timeouts, 0);
    tt_rfid_close(g.r);
}

static void test_dedupe_window(void **unused)
{
    tt_rfid_conf_t c = fake_conf();
    rig_t g;

    (void)unused;
    rig_open(&g, &c);
    sim(&g, TT_RFID_SIM_PLACE, EPC_A);
    run_to(&g, 11000);
    assert_int_equal(g.n, 1);
    /* Away for 1.5 s, less than the window since its last sighting. */
    sim(&g, TT_RFID_SIM_REMOVE, NULL);
    run_to(&g, 12500);
    sim(&g, TT_RFID_SIM_PLACE, EPC_A);
    run_to(&g, 13000);
    assert_int_equal(g.n, 1);
    /* A different tag in between reads at once. */
    sim(&g, TT_RFID_SIM_TAP, EPC_B);
    run_to(&g, 13500);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.reads[1], EPC_B);
    /* A was still lying there (a tap only takes one poll).  Away from its
     * last sighting at 13500 for 1.7 s: still within the window. */
    run_to(&g, 13500);
    sim(&g, TT_RFID_SIM_REMOVE, NULL);
    run_to(&g, 15199);
    sim(&g, TT_RFID_SIM_PLACE, EPC_A);
    run_to(&g, 15200);
    assert_int_equal(g.n, 2);
    /* Away for 2.1 s, longer than the window: reads again. */
    sim(&g, TT_RFID_SIM_REMOVE, NULL);
    run_to(&g, 17299);
    sim(&g, TT_RFID_SIM_PLACE, EPC_A);
    run_to(&g, 17500);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.reads[2], EPC_A);
    tt_rfid_close(g.r);
}

/* The window's edge, with polls every millisecond: a sighting exactly
 * dedupe_ms after the last one is a duplicate, one more is not. */
static void test_dedupe_edge(void **unused)
{
    tt_rfid_conf_t c = fake_conf();
    tt_rfid_stats_t st;
    rig_t g;

    (void)unused;
    c.poll_ms = 1;
    rig_open(&g, &c);
    run_to(&g, 10000);
    sim(&g, TT_RFID_SIM_TAP, EPC_A);
    run_to(&g, 10001);
    assert_int_equal(g.n, 1);
    g.now = 12001;
    sim(&g, TT_RFID_SIM_TAP, EPC_A);
    turn(&g);
    assert_int_equal(g.n, 1);
    g.now = 14002;
    sim(&g, TT_RFID_SIM_TAP, EPC_A);
    turn(&g);
    assert_int_equal(g.n, 2);
    stats(&g, &st);
    assert_int_equal(st.duplicates, 1);
    tt_rfid_close(g.r);
}

static void test_dedupe_off(void **unused)
{
    tt_rfid_conf_t c = fake_conf();
    rig_t g;

    (void)unused;
    c.dedupe_ms = 0;
    rig_open(&g, &c);
    sim(&g, TT_RFID_SIM_PLACE, EPC_A);
    run_to(&g, 10450);
    assert_int_equal(g.n, 5);    /* polls at 10000, 10100, ... 10400 */
    tt_rfid_close(g.r);
}

/* More distinct tags than the window remembers: the oldest is forgotten and
 * reads again; the others stay deduped. */
static void test_dedupe_many_tags(void **unused)
{
    tt_rfid_conf_t c = fake_conf();
    char epc[TT_RFID_EPC_MAX];
    rig_t g;

    (void)unused;
    c.poll_ms = 1;
    c.dedupe_ms = 60000;
    rig_open(&g, &c);
    for (int i = 0; i < 65; i++) {
        snprintf(epc, sizeof epc, "E2%04X", i);
        sim(&g, TT_RFID_SIM_TAP, epc);
        run_to(&g, g.now + 1);
    }
    assert_int_equal(g.n, 65);
    sim(&g, TT_RFID_SIM_TAP, "E20040");   /* recent: still remembered */
    run_to(&g, g.now + 1);
    assert_int_equal(g.n, 65);
    sim(&g, TT_RFID_SIM_TAP, "E20000");   /* the oldest was forgotten */
    run_to(&g, g.now + 1);
    assert_int_equal(g.n, 66);
    tt_rfid_close(g.r);
}

static void test_timeouts_and_recovery(void **unused)
{
    tt_rfid_conf_t c = fake_conf();
    tt_rfid_stats_t st;
    rig_t g;

    (void)unused;
    rig_open(&g, &c);
    run_to(&g, 10500);
    assert_true(tt_rfid_present(g.r));
    /* Two lost answers: counted, the reader is still shown. */
    sim(&g, TT_RFID_SIM_TIMEOUT, NULL);
    sim(&g, TT_RFID_SIM_TIMEOUT, NULL);
    run_to(&g, 10750);      /* polls at 10600 and 10700 */
    stats(&g, &st);
    assert_int_equal(st.timeouts, 2);
    assert_true(tt_rfid_present(g.r));
    run_to(&g, 10800);      /* answered again: the failures are forgiven */
    assert_true(tt_rfid_present(g.r));
    /* Silent: missing after max_failures, the link is dropped. */
    sim(&g, TT_RFID_SIM_SILENT, NULL);
    run_to(&g, 11100);
    assert_false(tt_rfid_present(g.r));
    stats(&g, &st);
    assert_int_equal(st.timeouts, 5);
    assert_int_equal(st.disconnects, 1);
    /* Reconnects after reconnect_ms, but a silent reader stays missing. */
    run_to(&g, 13000);
    assert_false(tt_rfid_present(g.r));
    stats(&g, &st);
    assert_true(st.connects >= 2);
    sim(&g, TT_RFID_SIM_ANSWER, NULL);
    sim(&g, TT_RFID_SIM_PLACE, EPC_A);
    run_to(&g, 14500);
    assert_true(tt_rfid_present(g.r));
    assert_int_equal(g.n, 1);
    tt_rfid_close(g.r);
}

static void test_garbage(void **unused)
{
    tt_rfid_conf_t c = fake_conf();
    tt_rfid_stats_t st;
    rig_t g;

    (void)unused;
    rig_open(&g, &c);
    run_to(&g, 10300);
    sim(&g, TT_RFID_SIM_GARBAGE, NULL);
    sim(&g, TT_RFID_SIM_TAP, EPC_B);
    run_to(&g, 10600);
    stats(&g, &st);
    assert_int_equal(st.garbage, 1);
    assert_int_equal(st.timeouts, 0);
    assert_true(tt_rfid_present(g.r));
    assert_int_equal(g.n, 1);
    assert_string_equal(g.reads[0], EPC_B);
    tt_rfid_close(g.r);
}

static void test_disconnect_unplug(void **unused)
{
    tt_rfid_conf_t c = fake_conf();
    tt_rfid_stats_t st;
    rig_t g;

    (void)unused;
    rig_open(&g, &c);
    run_to(&g, 10300);
    sim(&g, TT_RFID_SIM_DISCONNECT, NULL);
    turn(&g);
    assert_false(tt_rfid_present(g.r));
    assert_int_equal(tt_rfid_deadline(g.r), 10300 + 1000);
    run_to(&g, 11350);
    assert_true(tt_rfid_present(g.r));
    sim(&g, TT_RFID_SIM_UNPLUG, NULL);
    run_to(&g, 15000);
    assert_false(tt_rfid_present(g.r));
    stats(&g, &st);
    assert_int_equal(st.last_errno, ENOENT);
    assert_int_equal(st.connects, 2);
    assert_int_equal(st.disconnects, 2);
    sim(&g, TT_RFID_SIM_PLUG, NULL);
    run_to(&g, 16500);
    assert_true(tt_rfid_present(g.r));
    tt_rfid_close(g.r);
}

static void test_read_buffer_and_sim_errors(void **unused)
{
    tt_rfid_conf_t c = fake_conf();
    char small[8], big[TT_RFID_EPC_MAX + 8];
    rig_t g;

    (void)unused;
    rig_open(&g, &c);
    assert_int_equal(tt_rfid_read(g.r, small, sizeof small), TT_ERR_BUSY);
    sim(&g, TT_RFID_SIM_TAP, EPC_A);
    g.now = 10000;
    tt_rfid_service(g.r, NULL, 0, g.now);
    assert_int_equal(tt_rfid_read(g.r, small, sizeof small), TT_ERR_TOOBIG);
    assert_int_equal(tt_rfid_read(g.r, small, sizeof small), TT_ERR_BUSY);

    assert_int_equal(tt_rfid_sim(g.r, TT_RFID_SIM_PLACE, NULL), TT_ERR_INVAL);
    assert_int_equal(tt_rfid_sim(g.r, TT_RFID_SIM_PLACE, ""), TT_ERR_INVAL);
    assert_int_equal(tt_rfid_sim(g.r, TT_RFID_SIM_TAP, "3074abcd"), TT_ERR_INVAL);
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(tt_rfid_sim(g.r, TT_RFID_SIM_TAP, big), TT_ERR_INVAL);
    big[TT_RFID_EPC_MAX - 1] = '\0';
    assert_int_equal(tt_rfid_sim(g.r, TT_RFID_SIM_TAP, big), TT_OK);
    assert_int_equal(tt_rfid_sim(g.r, (tt_rfid_sim_t)99, NULL), TT_ERR_INVAL);
    for (int i = 1; i < 64; i++)
        assert_int_equal(tt_rfid_sim(g.r, TT_RFID_SIM_REMOVE, NULL), TT_OK);
    assert_int_equal(tt_rfid_sim(g.r, TT_RFID_SIM_REMOVE, NULL), TT_ERR_FULL);
    tt_rfid_close(g.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_refuses),
        cmocka_unit_test(test_tag_lying_reads_once),
        cmocka_unit_test(test_dedupe_window),
        cmocka_unit_test(test_dedupe_edge),
        cmocka_unit_test(test_dedupe_off),
        cmocka_unit_test(test_dedupe_many_tags),
        cmocka_unit_test(test_timeouts_and_recovery),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_disconnect_unplug),
        cmocka_unit_test(test_read_buffer_and_sim_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
