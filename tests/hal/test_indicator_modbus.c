/*
 * Tests of hal/indicator_modbus: a light tower played by an in-process
 * libmodbus server (a thread, over TCP on 127.0.0.1 and over RTU on a socat
 * pty pair), checked through the server's coil mapping.  Beep timing runs on
 * clock values the test sets; one test drives the firmware-style loop on the
 * real clock.
 *
 * Needs socat (Debian package "socat") for the RTU test.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <modbus.h>

#include "clock.h"
#include "indicator.h"

extern char **environ;

enum { GREEN = 4, RED = 5, AMBER = 6, BUZZER = 7, NCOILS = 16 };
#define SLAVE 1
#define RTU_BAUD 19200

/* --- the tower: a libmodbus server in a thread --------------------------- */

typedef struct {
    int rtu;
    char dir[64];
    pid_t socat;
    int port, listen_fd, client_fd;
    modbus_t *ctx;
    modbus_mapping_t *map;
    pthread_t thread;
    pthread_mutex_t mu;      /* guards stop, silent, writes and map */
    int stop, silent;
    unsigned writes;         /* write requests seen */
} srv_t;

static void lock(srv_t *s)
{
    pthread_mutex_lock(&s->mu);
}

static void unlock(srv_t *s)
{
    pthread_mutex_unlock(&s->mu);
}

static void *srv_main(void *arg)
{
    srv_t *s = arg;
    uint8_t q[MODBUS_MAX_ADU_LENGTH];

    for (;;) {
        struct pollfd p;
        int rc, stop;

        lock(s);
        stop = s->stop;
        unlock(s);
        if (stop)
            break;
        if (!s->rtu && s->client_fd < 0) {
            p.fd = s->listen_fd;
            p.events = POLLIN;
            if (poll(&p, 1, 10) == 1) {
                s->client_fd = accept(s->listen_fd, NULL, NULL);
                modbus_set_socket(s->ctx, s->client_fd);
            }
            continue;
        }
        p.fd = modbus_get_socket(s->ctx);
        p.events = POLLIN;
        if (poll(&p, 1, 10) != 1)
            continue;
        rc = modbus_receive(s->ctx, q);
        if (rc < 0 && !s->rtu) {
            close(s->client_fd);
            s->client_fd = -1;
            modbus_set_socket(s->ctx, -1);
        }
        if (rc <= 0)
            continue;
        lock(s);
        s->writes++;
        if (!s->silent)
            modbus_reply(s->ctx, q, rc, s->map);
        unlock(s);
    }
    return NULL;
}

static pid_t socat_start(const char *dir)
{
    char a[128], b[128];
    char *argv[] = {"socat", a, b, NULL};
    struct stat st;
    pid_t pid;
    int rc;

    snprintf(a, sizeof a, "pty,raw,echo=0,link=%s/a", dir);
    snprintf(b, sizeof b, "pty,raw,echo=0,link=%s/b", dir);
    rc = posix_spawnp(&pid, "socat", NULL, NULL, argv, environ);
    if (rc != 0)
        fail_msg("cannot start socat (%s): install the Debian package socat (scripts/setup)",
                 strerror(rc));
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    for (int i = 0; i < 500; i++) {
        if (stat(a, &st) == 0 && stat(b, &st) == 0)
            return pid;
        usleep(10000);
    }
    fail_msg("socat made no pty pair in %s", dir);
    return -1;
}

static srv_t *srv_start(int rtu)
{
    srv_t *s = calloc(1, sizeof *s);
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    char path[128];
    int one = 1;

    assert_non_null(s);
    s->rtu = rtu;
    s->listen_fd = s->client_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    s->map = modbus_mapping_new(NCOILS, 0, 0, 0);
    assert_non_null(s->map);
    if (rtu) {
        strcpy(s->dir, "/tmp/tt-tower-XXXXXX");
        assert_non_null(mkdtemp(s->dir));
        s->socat = socat_start(s->dir);
        snprintf(path, sizeof path, "%s/a", s->dir);
        s->ctx = modbus_new_rtu(path, RTU_BAUD, 'E', 8, 1);
        assert_non_null(s->ctx);
        assert_int_equal(modbus_set_slave(s->ctx, SLAVE), 0);
        assert_int_equal(modbus_connect(s->ctx), 0);
    } else {
        s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(s->listen_fd >= 0);
        setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
        assert_int_equal(listen(s->listen_fd, 4), 0);
        assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&a, &len), 0);
        s->port = ntohs(a.sin_port);
        s->ctx = modbus_new_tcp("127.0.0.1", s->port);
        assert_non_null(s->ctx);
    }
    assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
    return s;
}

static void srv_stop(srv_t *s)
{
    lock(s);
    s->stop = 1;
    unlock(s);
    pthread_join(s->thread, NULL);
    if (s->rtu) {
        modbus_close(s->ctx);
        kill(s->socat, SIGTERM);
        waitpid(s->socat, NULL, 0);
        rmdir(s->dir);
    } else {
        if (s->client_fd >= 0)
            close(s->client_fd);
        close(s->listen_fd);
    }
    modbus_free(s->ctx);
    modbus_mapping_free(s->map);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int coil(srv_t *s, int addr)
{
    int v;

    lock(s);
    v = s->map->tab_bits[addr];
    unlock(s);
    return v;
}

static void set_coil(srv_t *s, int addr, int v)
{
    lock(s);
    s->map->tab_bits[addr] = (uint8_t)v;
    unlock(s);
}

static void set_silent(srv_t *s, int silent)
{
    lock(s);
    s->silent = silent;
    unlock(s);
}

static unsigned writes(srv_t *s)
{
    unsigned n;

    lock(s);
    n = s->writes;
    unlock(s);
    return n;
}

/* green, red, amber, buzzer as a 4-character string, e.g. "1000". */
static const char *tower(srv_t *s)
{
    static char out[5];

    out[0] = (char)('0' + coil(s, GREEN));
    out[1] = (char)('0' + coil(s, RED));
    out[2] = (char)('0' + coil(s, AMBER));
    out[3] = (char)('0' + coil(s, BUZZER));
    out[4] = '\0';
    return out;
}

/* --- the driver ---------------------------------------------------------- */

static tt_indicator_conf_t conf_for(const srv_t *s)
{
    tt_indicator_conf_t c;

    tt_indicator_conf_defaults(&c);
    strcpy(c.driver, "modbus");
    if (s->rtu) {
        strcpy(c.transport, "rtu");
        snprintf(c.device, sizeof c.device, "%s/b", s->dir);
        c.baud = RTU_BAUD;
        c.parity = 'E';
    } else {
        strcpy(c.host, "127.0.0.1");
        c.port = s->port;
    }
    c.slave = SLAVE;
    c.coil_green = GREEN;
    c.coil_red = RED;
    c.coil_amber = AMBER;
    c.coil_buzzer = BUZZER;
    c.timeout_ms = 100;
    c.reconnect_ms = 1000;
    c.refresh_ms = 0;
    return c;
}

/* One service at a clock value the test sets; returns how long it took. */
static int64_t service(tt_indicator_t *ind, int64_t now)
{
    struct pollfd fds[TT_INDICATOR_FDS_MAX];
    size_t n = tt_indicator_pollfds(ind, fds, TT_INDICATOR_FDS_MAX);
    int64_t t0 = tt_clock_mono_ms();

    assert_true(poll(fds, n, 0) >= 0);
    tt_indicator_service(ind, fds, n, now);
    return tt_clock_mono_ms() - t0;
}

static void states(int rtu)
{
    srv_t *s = srv_start(rtu);
    tt_indicator_conf_t c = conf_for(s);
    tt_indicator_t *ind;

    /* Stale lamps from before: the first service turns them off. */
    set_coil(s, GREEN, 1);
    set_coil(s, BUZZER, 1);
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    assert_false(tt_indicator_present(ind));
    service(ind, 1000);
    assert_true(tt_indicator_present(ind));
    assert_string_equal(tower(s), "0000");
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_OK), TT_OK);
    service(ind, 1001);
    assert_string_equal(tower(s), "1000");
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_ERROR), TT_OK);
    service(ind, 1002);
    assert_string_equal(tower(s), "0100");
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_OFFLINE), TT_OK);
    service(ind, 1003);
    assert_string_equal(tower(s), "0010");
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_OFF), TT_OK);
    service(ind, 1004);
    assert_string_equal(tower(s), "0000");
    /* Nothing changes: nothing is written. */
    {
        unsigned before = writes(s);

        assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_OFF), TT_OK);
        service(ind, 1005);
        assert_int_equal(writes(s), before);
    }
    /* Beeps on the buzzer coil, timed by deadlines. */
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_OK), TT_OK);
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_OK), TT_OK);
    service(ind, 2000);
    assert_string_equal(tower(s), "1001");
    assert_int_equal(tt_indicator_deadline(ind), 2100);
    service(ind, 2099);
    assert_string_equal(tower(s), "1001");
    service(ind, 2100);
    assert_string_equal(tower(s), "1000");
    assert_int_equal(tt_indicator_deadline(ind), -1);
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_ERROR), TT_OK);
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_ERROR), TT_OK);
    service(ind, 3000);
    assert_string_equal(tower(s), "0101");
    assert_int_equal(tt_indicator_deadline(ind), 3800);
    service(ind, 3500);
    assert_string_equal(tower(s), "0101");
    service(ind, 3800);
    assert_string_equal(tower(s), "0100");
    assert_true(tt_indicator_present(ind));
    /* Closing mid-beep silences the buzzer; the lamp stays. */
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_ERROR), TT_OK);
    service(ind, 4000);
    assert_string_equal(tower(s), "0101");
    tt_indicator_close(ind);
    assert_string_equal(tower(s), "0100");
    srv_stop(s);
}

static void test_tcp_states(void **unused)
{
    (void)unused;
    states(0);
}

static void test_rtu_states(void **unused)
{
    (void)unused;
    states(1);
}

/* A coil that is not fitted is never written. */
static void test_not_fitted(void **unused)
{
    srv_t *s = srv_start(0);
    tt_indicator_conf_t c = conf_for(s);
    tt_indicator_t *ind;

    (void)unused;
    c.coil_amber = -1;
    c.coil_buzzer = -1;
    set_coil(s, AMBER, 1);
    set_coil(s, BUZZER, 1);
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_OFFLINE), TT_OK);
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_OK), TT_OK);
    service(ind, 1000);
    service(ind, 1100);
    assert_string_equal(tower(s), "0011");
    assert_true(tt_indicator_present(ind));
    tt_indicator_close(ind);
    srv_stop(s);
}

/* The tower stops answering: one bounded write, then missing; retried after
 * reconnect_ms, and every coil is written again when it is back. */
static void test_tower_silent_then_back(void **unused)
{
    srv_t *s = srv_start(0);
    tt_indicator_conf_t c = conf_for(s);
    tt_indicator_t *ind;
    int64_t took;

    (void)unused;
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_OK), TT_OK);
    service(ind, 1000);
    assert_string_equal(tower(s), "1000");
    set_silent(s, 1);
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_ERROR), TT_OK);
    took = service(ind, 2000);
    assert_true(took >= 90 && took < 500);   /* one write, bounded by timeout_ms */
    assert_false(tt_indicator_present(ind));
    assert_int_equal(tt_indicator_deadline(ind), 3000);
    /* Meanwhile nothing waits on the tower. */
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_OK), TT_OK);
    assert_true(service(ind, 2500) < 50);
    assert_true(service(ind, 2600) < 50);
    set_silent(s, 0);
    set_coil(s, GREEN, 1);                  /* the tower lost power meanwhile */
    set_coil(s, BUZZER, 1);
    service(ind, 3000);
    assert_true(tt_indicator_present(ind));
    assert_string_equal(tower(s), "0100");
    tt_indicator_close(ind);
    srv_stop(s);
}

/* Nobody listens: connecting fails fast (refused), retried on the deadline. */
static void test_tower_absent(void **unused)
{
    srv_t *s = srv_start(0);
    tt_indicator_conf_t c = conf_for(s);
    tt_indicator_t *ind;
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    (void)unused;
    /* A port bound but not listening: refused, and nobody else can take it. */
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    c.port = ntohs(a.sin_port);
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    assert_int_equal(tt_indicator_deadline(ind), 0);
    assert_true(service(ind, 1000) < 200);
    assert_false(tt_indicator_present(ind));
    assert_int_equal(tt_indicator_deadline(ind), 2000);
    tt_indicator_close(ind);
    close(fd);
    srv_stop(s);
}

/* refresh_ms rewrites every coil, so a tower that forgot shows the lamp. */
static void test_refresh(void **unused)
{
    srv_t *s = srv_start(0);
    tt_indicator_conf_t c = conf_for(s);
    tt_indicator_t *ind;

    (void)unused;
    c.refresh_ms = 1000;
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_OK), TT_OK);
    service(ind, 1000);
    assert_string_equal(tower(s), "1000");
    set_coil(s, GREEN, 0);
    assert_int_equal(tt_indicator_deadline(ind), 2000);
    service(ind, 1999);
    assert_string_equal(tower(s), "0000");
    service(ind, 2000);
    assert_string_equal(tower(s), "1000");
    assert_int_equal(tt_indicator_deadline(ind), 3000);
    tt_indicator_close(ind);
    srv_stop(s);
}

/* The firmware's loop on the real clock: a 200 ms error beep is seen on the
 * buzzer coil and ends by itself, no sooner than 200 ms after the service
 * that started it.  (No upper bound: a loaded CI machine may be late.) */
static void test_loop_beep(void **unused)
{
    srv_t *s = srv_start(0);
    tt_indicator_conf_t c = conf_for(s);
    tt_indicator_t *ind;
    int64_t start, on_now = -1, off_at = -1;

    (void)unused;
    c.beep_error_ms = 200;
    assert_int_equal(tt_indicator_open(&c, &ind), TT_OK);
    assert_int_equal(tt_indicator_set(ind, TT_INDICATOR_ERROR), TT_OK);
    assert_int_equal(tt_indicator_beep(ind, TT_INDICATOR_BEEP_ERROR), TT_OK);
    start = tt_clock_mono_ms();
    while (tt_clock_mono_ms() - start < 10000 && off_at < 0) {
        struct pollfd fds[TT_INDICATOR_FDS_MAX];
        int64_t now = tt_clock_mono_ms(), d = tt_indicator_deadline(ind);
        size_t n = tt_indicator_pollfds(ind, fds, TT_INDICATOR_FDS_MAX);
        int timeout = d < 0 ? 20 : d <= now ? 0 : (int)(d - now > 20 ? 20 : d - now);

        assert_true(poll(fds, n, timeout) >= 0);
        now = tt_clock_mono_ms();
        tt_indicator_service(ind, fds, n, now);
        if (on_now < 0 && coil(s, BUZZER))
            on_now = now;
        if (on_now >= 0 && !coil(s, BUZZER))
            off_at = tt_clock_mono_ms();
    }
    assert_true(on_now >= 0 && off_at >= 0);
    assert_true(off_at - on_now >= 200);
    assert_int_equal(tt_indicator_deadline(ind), -1);
    assert_string_equal(tower(s), "0100");
    tt_indicator_close(ind);
    srv_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_states),
        cmocka_unit_test(test_rtu_states),
        cmocka_unit_test(test_not_fitted),
        cmocka_unit_test(test_tower_silent_then_back),
        cmocka_unit_test(test_tower_absent),
        cmocka_unit_test(test_refresh),
        cmocka_unit_test(test_loop_beep),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
