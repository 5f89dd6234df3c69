/*
 * Tests of hal/rfid_modbus against in-process libmodbus servers acting as the
 * two reader profiles: over TCP on 127.0.0.1 (a free port) and over RTU on a
 * pseudo-terminal pair made by socat.  The server runs in a thread on a
 * modbus_mapping_t the test changes between steps; it can stop answering,
 * answer with junk, or close its connection and stop listening.  The driver
 * is run exactly like the firmware's loop on the real clock: pollfds, poll()
 * with the deadline's timeout, service, read.
 *
 * Needs socat (Debian package "socat") for the RTU half.
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
#include "rfid.h"

extern char **environ;

#define EPC_A "3074257BF7194E4000001A85"
#define EPC_B "E28011606000020D6E2D1F3C"
#define V780_ADDR 0x4000
#define FLAG_COIL 5
#define ID_ADDR 100
#define ID_WORDS 4
#define SLAVE 1
#define RTU_BAUD 38400

/* --- the reader: a libmodbus server in a thread -------------------------- */

typedef enum {
    SRV_ANSWER,      /* modbus_reply from the mapping */
    SRV_SILENT,      /* read requests, answer nothing */
    SRV_JUNK,        /* answer the next `junk_left` requests with junk */
    SRV_DOWN,        /* tcp: close the connection and stop listening */
} srv_mode_t;

typedef struct {
    int rtu;
    char dir[64];            /* rtu: socat's links a (server) and b (driver) */
    pid_t socat;
    int port;                /* tcp */
    int listen_fd, client_fd;
    modbus_t *ctx;
    modbus_mapping_t *map;
    pthread_t thread;
    pthread_mutex_t mu;      /* guards everything below and map */
    pthread_cond_t cv;
    int stop;
    int pause, paused;       /* srv_pause: the thread waits, the test owns the line */
    int listening;           /* tcp */
    srv_mode_t mode;
    int junk_left;
    const uint8_t *junk;
    size_t junk_len;
    unsigned requests;
} srv_t;

static const uint8_t tcp_junk[] = "GARBAGE-NOT-MODBUS\r\n";
/* Looks like an answer to read holding registers, with a wrong CRC. */
static const uint8_t rtu_junk[] = {SLAVE, 0x03, 0x02, 0x12, 0x34, 0xDE, 0xAD};

static void lock(srv_t *s)
{
    pthread_mutex_lock(&s->mu);
}

static void unlock(srv_t *s)
{
    pthread_mutex_unlock(&s->mu);
}

static int tcp_listen_on(int port, int *bound)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    *bound = ntohs(a.sin_port);
    return fd;
}

static void tcp_drop_client(srv_t *s)
{
    if (s->client_fd >= 0) {
        close(s->client_fd);
        s->client_fd = -1;
        modbus_set_socket(s->ctx, -1);
    }
}

/* The descriptor to serve now, or -1 after waiting a little. */
static int tcp_ready(srv_t *s, srv_mode_t mode)
{
    struct pollfd p;
    int port;

    if (mode == SRV_DOWN) {
        tcp_drop_client(s);
        if (s->listen_fd >= 0) {
            close(s->listen_fd);
            s->listen_fd = -1;
        }
        usleep(5000);
        return -1;
    }
    if (s->listen_fd < 0) {
        s->listen_fd = tcp_listen_on(s->port, &port);
        if (s->listen_fd < 0) {
            usleep(5000);
            return -1;
        }
    }
    if (s->client_fd < 0) {
        p.fd = s->listen_fd;
        p.events = POLLIN;
        if (poll(&p, 1, 10) == 1) {
            s->client_fd = accept(s->listen_fd, NULL, NULL);
            modbus_set_socket(s->ctx, s->client_fd);
        }
        return -1;
    }
    return s->client_fd;
}

static void *srv_main(void *arg)
{
    srv_t *s = arg;
    uint8_t q[MODBUS_MAX_ADU_LENGTH];

    for (;;) {
        struct pollfd p;
        srv_mode_t mode;
        int stop, rc;

        lock(s);
        while (s->pause && !s->stop) {
            s->paused = 1;
            pthread_cond_wait(&s->cv, &s->mu);
        }
        s->paused = 0;
        stop = s->stop;
        mode = s->mode;
        s->listening = s->listen_fd >= 0;
        unlock(s);
        if (stop)
            break;
        p.fd = s->rtu ? modbus_get_socket(s->ctx) : tcp_ready(s, mode);
        if (p.fd < 0)
            continue;
        p.events = POLLIN;
        if (poll(&p, 1, 10) != 1)
            continue;
        rc = modbus_receive(s->ctx, q);
        if (rc < 0) {
            if (!s->rtu)
                tcp_drop_client(s);   /* the driver closed, or sent junk */
            continue;
        }
        if (rc == 0)
            continue;                 /* rtu: for another slave */
        lock(s);
        s->requests++;
        switch (s->mode) {
        case SRV_ANSWER:
            modbus_reply(s->ctx, q, rc, s->map);
            break;
        case SRV_JUNK:
            assert_true(write(p.fd, s->junk, s->junk_len) == (ssize_t)s->junk_len);
            if (--s->junk_left == 0)
                s->mode = SRV_ANSWER;
            break;
        default:
            break;
        }
        unlock(s);
    }
    return NULL;
}

static pid_t socat_start(const char *dir)
{
    char a[128], b[128], log[128];
    char *argv[] = {"socat", "-d", "-d", a, b, NULL};
    posix_spawn_file_actions_t fa;
    struct stat st;
    pid_t pid;
    int rc;

    snprintf(a, sizeof a, "pty,raw,echo=0,link=%s/a", dir);
    snprintf(b, sizeof b, "pty,raw,echo=0,link=%s/b", dir);
    snprintf(log, sizeof log, "%s/socat.log", dir);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    rc = posix_spawnp(&pid, "socat", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        fail_msg("cannot start socat (%s): install the Debian package socat (scripts/setup)",
                 strerror(rc));
    for (int i = 0; i < 500; i++) {
        snprintf(a, sizeof a, "%s/a", dir);
        snprintf(b, sizeof b, "%s/b", dir);
        if (stat(a, &st) == 0 && stat(b, &st) == 0)
            return pid;
        usleep(10000);
    }
    fail_msg("socat made no pty pair in %s", dir);
    return -1;
}

static void socat_stop(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

static srv_t *srv_start(int rtu)
{
    srv_t *s = calloc(1, sizeof *s);
    char path[128];

    assert_non_null(s);
    s->rtu = rtu;
    s->listen_fd = s->client_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    /* Coils 0..15, holding registers 0..0x403F: both profiles in one map. */
    s->map = modbus_mapping_new(16, 0, V780_ADDR + 64, 0);
    assert_non_null(s->map);
    if (rtu) {
        strcpy(s->dir, "/tmp/tt-rfid-XXXXXX");
        assert_non_null(mkdtemp(s->dir));
        s->socat = socat_start(s->dir);
        snprintf(path, sizeof path, "%s/a", s->dir);
        s->ctx = modbus_new_rtu(path, RTU_BAUD, 'N', 8, 1);
        assert_non_null(s->ctx);
        assert_int_equal(modbus_set_slave(s->ctx, SLAVE), 0);
        assert_int_equal(modbus_connect(s->ctx), 0);
        s->junk = rtu_junk;
        s->junk_len = sizeof rtu_junk;
    } else {
        s->listen_fd = tcp_listen_on(0, &s->port);
        assert_true(s->listen_fd >= 0);
        s->listening = 1;
        s->ctx = modbus_new_tcp("127.0.0.1", s->port);
        assert_non_null(s->ctx);
        s->junk = tcp_junk;
        s->junk_len = sizeof tcp_junk - 1;
    }
    assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
    return s;
}

static void srv_stop(srv_t *s)
{
    char path[128];

    lock(s);
    s->stop = 1;
    pthread_cond_signal(&s->cv);
    unlock(s);
    pthread_join(s->thread, NULL);
    if (s->rtu) {
        modbus_close(s->ctx);
        socat_stop(s->socat);
        snprintf(path, sizeof path, "%s/socat.log", s->dir);
        unlink(path);
        rmdir(s->dir);
    } else {
        tcp_drop_client(s);
        if (s->listen_fd >= 0)
            close(s->listen_fd);
    }
    modbus_free(s->ctx);
    modbus_mapping_free(s->map);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

/* Stops the server thread between requests, so the test may use the
 * server's line and context itself until srv_resume(). */
static void srv_pause(srv_t *s)
{
    lock(s);
    s->pause = 1;
    while (!s->paused) {
        unlock(s);
        usleep(1000);
        lock(s);
    }
    unlock(s);
}

static void srv_resume(srv_t *s)
{
    lock(s);
    s->pause = 0;
    pthread_cond_signal(&s->cv);
    unlock(s);
}

static void srv_mode(srv_t *s, srv_mode_t mode, int junk)
{
    lock(s);
    s->mode = mode;
    s->junk_left = junk;
    unlock(s);
}

/* Puts an EPC in the V780 registers (PC word + EPC), or clears them. */
static void srv_v780(srv_t *s, const char *epc)
{
    size_t words = epc ? strlen(epc) / 4 : 0;

    lock(s);
    memset(&s->map->tab_registers[V780_ADDR], 0, 32 * sizeof(uint16_t));
    s->map->tab_registers[V780_ADDR] = (uint16_t)(words << 11 | 0x0000);
    for (size_t i = 0; i < words; i++) {
        unsigned w;
        sscanf(epc + 4 * i, "%4x", &w);
        s->map->tab_registers[V780_ADDR + 1 + i] = (uint16_t)w;
    }
    unlock(s);
}

/* The poll-flag reader reads a tag: ID registers, then the coil. */
static void srv_flag_tag(srv_t *s, const uint16_t id[ID_WORDS])
{
    lock(s);
    memcpy(&s->map->tab_registers[ID_ADDR], id, ID_WORDS * sizeof(uint16_t));
    s->map->tab_bits[FLAG_COIL] = 1;
    unlock(s);
}

static int srv_coil(srv_t *s, int addr)
{
    int v;

    lock(s);
    v = s->map->tab_bits[addr];
    unlock(s);
    return v;
}

static unsigned srv_requests(srv_t *s)
{
    unsigned n;

    lock(s);
    n = s->requests;
    unlock(s);
    return n;
}

/* --- the driver, in a firmware-style loop --------------------------------- */

typedef struct {
    srv_t *srv;
    tt_rfid_t *r;
    char reads[64][TT_RFID_EPC_MAX];
    size_t n;
    int64_t longest_service_ms;
} rig_t;

static void turn(rig_t *g)
{
    struct pollfd fds[TT_RFID_FDS_MAX];
    char epc[TT_RFID_EPC_MAX];
    int64_t now = tt_clock_mono_ms(), d = tt_rfid_deadline(g->r), t0;
    size_t n = tt_rfid_pollfds(g->r, fds, TT_RFID_FDS_MAX);
    int timeout = d < 0 ? 50 : d <= now ? 0 : (int)(d - now > 50 ? 50 : d - now);
    tt_err_t rc;

    if (poll(fds, n, timeout) < 0)
        assert_int_equal(errno, EINTR);
    t0 = tt_clock_mono_ms();
    tt_rfid_service(g->r, fds, n, t0);
    if (tt_clock_mono_ms() - t0 > g->longest_service_ms)
        g->longest_service_ms = tt_clock_mono_ms() - t0;
    while ((rc = tt_rfid_read(g->r, epc, sizeof epc)) == TT_OK) {
        assert_true(g->n < 64);
        strcpy(g->reads[g->n++], epc);
    }
    assert_int_equal(rc, TT_ERR_BUSY);
}

#define RUN_UNTIL(g, cond, ms)                                           \
    do {                                                                 \
        int64_t end_ = tt_clock_mono_ms() + (ms);                        \
        while (!(cond) && tt_clock_mono_ms() < end_)                     \
            turn(g);                                                     \
        assert_true(cond);                                               \
    } while (0)

static void run_for(rig_t *g, int ms)
{
    int64_t end = tt_clock_mono_ms() + ms;

    while (tt_clock_mono_ms() < end)
        turn(g);
}

static tt_rfid_stats_t stats(const rig_t *g)
{
    tt_rfid_stats_t st;

    tt_rfid_stats(g->r, &st);
    return st;
}

static void rig_open(rig_t *g, int rtu, const char *profile, tt_rfid_conf_t *over)
{
    tt_rfid_conf_t c;

    memset(g, 0, sizeof *g);
    g->srv = srv_start(rtu);
    tt_rfid_conf_defaults(&c);
    strcpy(c.driver, "modbus");
    strcpy(c.transport, rtu ? "rtu" : "tcp");
    snprintf(c.profile, sizeof c.profile, "%s", profile);
    strcpy(c.host, "127.0.0.1");
    c.port = g->srv->port;
    snprintf(c.device, sizeof c.device, "%s/b", g->srv->dir);
    c.baud = RTU_BAUD;
    c.slave = SLAVE;
    if (strcmp(profile, TT_RFID_PROFILE_V780) == 0) {
        c.tag_addr = V780_ADDR;
        c.tag_words = 8;
    } else {
        c.tag_addr = ID_ADDR;
        c.tag_words = ID_WORDS;
        c.flag_coil = FLAG_COIL;
    }
    c.poll_ms = 20;
    c.timeout_ms = 100;
    c.byte_timeout_ms = 20;
    c.max_failures = 3;
    c.reconnect_ms = 100;
    c.dedupe_ms = 400;
    if (over)
        *over = c;   /* the caller may change it and open itself */
    else
        assert_int_equal(tt_rfid_open(&c, &g->r), TT_OK);
}

static void rig_close(rig_t *g)
{
    tt_rfid_stats_t st = stats(g);

    if (getenv("TT_TEST_VERBOSE"))
        fprintf(stderr,
                "  polls %llu sightings %llu reads %llu dup %llu timeouts %llu garbage %llu "
                "exc %llu connects %llu disconnects %llu dropped %llu errno %d; "
                "longest service %lld ms\n",
                (unsigned long long)st.polls, (unsigned long long)st.sightings,
                (unsigned long long)st.reads, (unsigned long long)st.duplicates,
                (unsigned long long)st.timeouts, (unsigned long long)st.garbage,
                (unsigned long long)st.exceptions, (unsigned long long)st.connects,
                (unsigned long long)st.disconnects, (unsigned long long)st.dropped,
                st.last_errno, (long long)g->longest_service_ms);
    tt_rfid_close(g->r);
    srv_stop(g->srv);
    /* Nothing here may wait on the reader for long: the only bounded wait is
     * byte_timeout_ms per missing byte of a broken frame. */
    assert_true(g->longest_service_ms < 200);
}

/* --- tests, each run over TCP and over RTU ------------------------------- */

static void v780_read_and_dedupe(int rtu)
{
    tt_rfid_stats_t st;
    rig_t g;

    rig_open(&g, rtu, TT_RFID_PROFILE_V780, NULL);
    RUN_UNTIL(&g, tt_rfid_present(g.r), 3000);
    run_for(&g, 100);
    assert_int_equal(g.n, 0);                 /* PC word 0: no tag */
    srv_v780(g.srv, EPC_A);
    RUN_UNTIL(&g, g.n == 1, 2000);
    assert_string_equal(g.reads[0], EPC_A);
    run_for(&g, 700);                         /* lying there, past the window */
    assert_int_equal(g.n, 1);
    st = stats(&g);
    assert_true(st.sightings >= 5);
    assert_int_equal(st.duplicates, st.sightings - 1);
    /* Lifted for less than the window: no new read. */
    srv_v780(g.srv, NULL);
    run_for(&g, 100);
    srv_v780(g.srv, EPC_A);
    run_for(&g, 300);
    assert_int_equal(g.n, 1);
    /* Lifted for longer than the window: reads again. */
    srv_v780(g.srv, NULL);
    run_for(&g, 800);
    srv_v780(g.srv, EPC_A);
    RUN_UNTIL(&g, g.n == 2, 2000);
    assert_string_equal(g.reads[1], EPC_A);
    /* Another tag reads at once; a 96-bit and a 32-bit EPC both fit. */
    srv_v780(g.srv, EPC_B);
    RUN_UNTIL(&g, g.n == 3, 2000);
    assert_string_equal(g.reads[2], EPC_B);
    srv_v780(g.srv, "0000ABCD");
    RUN_UNTIL(&g, g.n == 4, 2000);
    assert_string_equal(g.reads[3], "0000ABCD");
    st = stats(&g);
    assert_int_equal(st.timeouts, 0);
    assert_int_equal(st.garbage, 0);
    assert_int_equal(st.connects, 1);
    assert_true(tt_rfid_present(g.r));
    rig_close(&g);
}

/* An EPC longer than tag_words is counted, not delivered cut short. */
static void v780_too_long(int rtu)
{
    tt_rfid_conf_t c;
    rig_t g;

    rig_open(&g, rtu, TT_RFID_PROFILE_V780, &c);
    c.tag_words = 4;
    assert_int_equal(tt_rfid_open(&c, &g.r), TT_OK);
    srv_v780(g.srv, EPC_A);                  /* 6 words */
    RUN_UNTIL(&g, stats(&g).dropped >= 1, 2000);
    assert_int_equal(g.n, 0);
    assert_true(tt_rfid_present(g.r));
    rig_close(&g);
}

static void pollflag_read_and_clear(int rtu)
{
    static const uint16_t id[ID_WORDS] = {0xE280, 0x1160, 0x6000, 0x020D};
    unsigned before;
    rig_t g;

    rig_open(&g, rtu, TT_RFID_PROFILE_POLLFLAG, NULL);
    RUN_UNTIL(&g, tt_rfid_present(g.r), 3000);
    srv_flag_tag(g.srv, id);
    RUN_UNTIL(&g, g.n == 1 && srv_coil(g.srv, FLAG_COIL) == 0, 2000);
    assert_string_equal(g.reads[0], "E28011606000020D");
    /* The flag stays clear: nothing more is read, the polls go on. */
    before = srv_requests(g.srv);
    run_for(&g, 200);
    assert_true(srv_requests(g.srv) > before + 3);
    assert_int_equal(g.n, 1);
    assert_int_equal(srv_coil(g.srv, FLAG_COIL), 0);
    /* The same tag again within the window: read by the reader (flag set and
     * cleared), swallowed by the dedupe window. */
    srv_flag_tag(g.srv, id);
    RUN_UNTIL(&g, srv_coil(g.srv, FLAG_COIL) == 0, 2000);
    run_for(&g, 50);
    assert_int_equal(g.n, 1);
    assert_int_equal(stats(&g).duplicates, 1);
    /* After the window it reads again. */
    run_for(&g, 500);
    srv_flag_tag(g.srv, id);
    RUN_UNTIL(&g, g.n == 2 && srv_coil(g.srv, FLAG_COIL) == 0, 2000);
    assert_string_equal(g.reads[1], "E28011606000020D");
    assert_int_equal(stats(&g).timeouts, 0);
    rig_close(&g);
}

static void timeouts_then_back(int rtu)
{
    tt_rfid_stats_t st;
    rig_t g;

    rig_open(&g, rtu, TT_RFID_PROFILE_V780, NULL);
    RUN_UNTIL(&g, tt_rfid_present(g.r), 3000);
    srv_mode(g.srv, SRV_SILENT, 0);
    RUN_UNTIL(&g, !tt_rfid_present(g.r), 3000);
    st = stats(&g);
    assert_true(st.timeouts >= 3);
    assert_true(st.disconnects >= 1);
    assert_int_equal(st.last_errno, ETIMEDOUT);
    run_for(&g, 300);                         /* reopened, still silent */
    assert_false(tt_rfid_present(g.r));
    srv_v780(g.srv, EPC_B);
    srv_mode(g.srv, SRV_ANSWER, 0);
    RUN_UNTIL(&g, tt_rfid_present(g.r) && g.n == 1, 3000);
    assert_string_equal(g.reads[0], EPC_B);
    st = stats(&g);
    assert_true(st.connects >= 2);
    rig_close(&g);
}

static void garbage_then_good(int rtu)
{
    tt_rfid_stats_t st;
    rig_t g;

    rig_open(&g, rtu, TT_RFID_PROFILE_V780, NULL);
    RUN_UNTIL(&g, tt_rfid_present(g.r), 3000);
    srv_mode(g.srv, SRV_JUNK, 2);
    RUN_UNTIL(&g, stats(&g).garbage >= 2, 3000);
    srv_v780(g.srv, EPC_A);
    RUN_UNTIL(&g, g.n == 1, 3000);
    assert_string_equal(g.reads[0], EPC_A);
    assert_true(tt_rfid_present(g.r));
    st = stats(&g);
    assert_int_equal(st.disconnects, 0);      /* 2 < max_failures */
    assert_int_equal(st.timeouts, 0);
    /* Junk nobody asked for, between polls, is counted and dropped too. */
    srv_pause(g.srv);
    assert_true(write(modbus_get_socket(g.srv->ctx), "\xff\xfe\xfd", 3) == 3);
    srv_resume(g.srv);
    run_for(&g, 200);
    srv_v780(g.srv, EPC_B);
    RUN_UNTIL(&g, g.n == 2, 3000);
    assert_true(tt_rfid_present(g.r));
    st = stats(&g);
    assert_true(st.garbage >= 3);
    rig_close(&g);
}

/* The poll-flag reader answers the ID read with junk: the coil stays set,
 * the next poll reads the tag and clears it. */
static void pollflag_garbage(int rtu)
{
    static const uint16_t id[ID_WORDS] = {0x0000, 0x0000, 0x0012, 0x3456};
    rig_t g;

    rig_open(&g, rtu, TT_RFID_PROFILE_POLLFLAG, NULL);
    RUN_UNTIL(&g, tt_rfid_present(g.r), 3000);
    srv_mode(g.srv, SRV_JUNK, 1);
    srv_flag_tag(g.srv, id);
    RUN_UNTIL(&g, g.n == 1 && srv_coil(g.srv, FLAG_COIL) == 0, 3000);
    assert_string_equal(g.reads[0], "0000000000123456");
    assert_int_equal(stats(&g).garbage, 1);
    rig_close(&g);
}

/* A Modbus exception is an answer: the reader is there, no tag. */
static void exception_answer(int rtu)
{
    tt_rfid_conf_t c;
    rig_t g;

    rig_open(&g, rtu, TT_RFID_PROFILE_V780, &c);
    c.tag_addr = 0x8000;                     /* outside the server's map */
    assert_int_equal(tt_rfid_open(&c, &g.r), TT_OK);
    RUN_UNTIL(&g, stats(&g).exceptions >= 3, 3000);
    assert_true(tt_rfid_present(g.r));
    assert_int_equal(stats(&g).garbage, 0);
    assert_int_equal(g.n, 0);
    rig_close(&g);
}

static void test_tcp_v780(void **unused)
{
    (void)unused;
    v780_read_and_dedupe(0);
}

static void test_rtu_v780(void **unused)
{
    (void)unused;
    v780_read_and_dedupe(1);
}

static void test_tcp_v780_too_long(void **unused)
{
    (void)unused;
    v780_too_long(0);
}

static void test_rtu_v780_too_long(void **unused)
{
    (void)unused;
    v780_too_long(1);
}

static void test_tcp_pollflag(void **unused)
{
    (void)unused;
    pollflag_read_and_clear(0);
}

static void test_rtu_pollflag(void **unused)
{
    (void)unused;
    pollflag_read_and_clear(1);
}

static void test_tcp_timeouts(void **unused)
{
    (void)unused;
    timeouts_then_back(0);
}

static void test_rtu_timeouts(void **unused)
{
    (void)unused;
    timeouts_then_back(1);
}

static void test_tcp_garbage(void **unused)
{
    (void)unused;
    garbage_then_good(0);
}

static void test_rtu_garbage(void **unused)
{
    (void)unused;
    garbage_then_good(1);
}

static void test_tcp_pollflag_garbage(void **unused)
{
    (void)unused;
    pollflag_garbage(0);
}

static void test_rtu_pollflag_garbage(void **unused)
{
    (void)unused;
    pollflag_garbage(1);
}

static void test_tcp_exception(void **unused)
{
    (void)unused;
    exception_answer(0);
}

static void test_rtu_exception(void **unused)
{
    (void)unused;
    exception_answer(1);
}

/* The reader closes its connection and stops listening; later it listens
 * and accepts again. */
static void test_tcp_disconnect(void **unused)
{
    tt_rfid_stats_t st;
    rig_t g;

    (void)unused;
    rig_open(&g, 0, TT_RFID_PROFILE_V780, NULL);
    RUN_UNTIL(&g, tt_rfid_present(g.r), 3000);
    srv_mode(g.srv, SRV_DOWN, 0);
    RUN_UNTIL(&g, !tt_rfid_present(g.r), 3000);
    run_for(&g, 400);                        /* refused reconnects */
    assert_false(tt_rfid_present(g.r));
    st = stats(&g);
    assert_int_equal(st.disconnects, 1);
    assert_int_equal(st.last_errno, ECONNREFUSED);
    assert_int_equal(st.connects, 1);
    srv_v780(g.srv, EPC_A);
    srv_mode(g.srv, SRV_ANSWER, 0);
    RUN_UNTIL(&g, tt_rfid_present(g.r) && g.n == 1, 3000);
    assert_string_equal(g.reads[0], EPC_A);
    st = stats(&g);
    assert_int_equal(st.connects, 2);
    assert_int_equal(st.timeouts, 0);
    rig_close(&g);
}

/* Nobody listens at all when the reader opens: it starts missing. */
static void test_tcp_nobody_listening(void **unused)
{
    tt_rfid_conf_t c;
    rig_t g;

    (void)unused;
    rig_open(&g, 0, TT_RFID_PROFILE_V780, &c);
    srv_mode(g.srv, SRV_DOWN, 0);
    for (;;) {                               /* the thread closes its listener */
        int listening;

        lock(g.srv);
        listening = g.srv->listening;
        unlock(g.srv);
        if (!listening)
            break;
        usleep(1000);
    }
    assert_int_equal(tt_rfid_open(&c, &g.r), TT_OK);
    run_for(&g, 300);
    assert_false(tt_rfid_present(g.r));
    assert_int_equal(stats(&g).connects, 0);
    srv_mode(g.srv, SRV_ANSWER, 0);
    RUN_UNTIL(&g, tt_rfid_present(g.r), 3000);
    rig_close(&g);
}

/* The serial adapter vanishes (socat exits: the pty hangs up) and comes
 * back: missing meanwhile, reading again after. */
static void test_rtu_unplug(void **unused)
{
    rig_t g;

    (void)unused;
    rig_open(&g, 1, TT_RFID_PROFILE_V780, NULL);
    RUN_UNTIL(&g, tt_rfid_present(g.r), 3000);
    srv_pause(g.srv);     /* the server thread must not touch the line now */
    socat_stop(g.srv->socat);
    RUN_UNTIL(&g, !tt_rfid_present(g.r), 3000);
    assert_int_equal(stats(&g).disconnects, 1);
    run_for(&g, 300);                         /* reopening fails: no device */
    assert_false(tt_rfid_present(g.r));
    modbus_close(g.srv->ctx);
    g.srv->socat = socat_start(g.srv->dir);
    assert_int_equal(modbus_connect(g.srv->ctx), 0);
    srv_resume(g.srv);
    srv_v780(g.srv, EPC_A);
    RUN_UNTIL(&g, tt_rfid_present(g.r) && g.n == 1, 3000);
    assert_true(stats(&g).connects >= 2);
    rig_close(&g);
}

static void test_open_refuses(void **unused)
{
    tt_rfid_conf_t c, d;
    tt_rfid_t *r;

    (void)unused;
    tt_rfid_conf_defaults(&d);
    strcpy(d.driver, "modbus");
    strcpy(d.host, "127.0.0.1");
    c = d;
    assert_int_equal(tt_rfid_open(&c, &r), TT_OK);   /* opening does no I/O */
    assert_false(tt_rfid_present(r));
    assert_int_equal(tt_rfid_deadline(r), 0);
    tt_rfid_close(r);
    c = d;
    strcpy(c.host, "reader.local");
    assert_int_equal(tt_rfid_open(&c, &r), TT_ERR_INVAL);
    c = d;
    strcpy(c.transport, "udp");
    assert_int_equal(tt_rfid_open(&c, &r), TT_ERR_INVAL);
    c = d;
    strcpy(c.profile, "nosuch");
    assert_int_equal(tt_rfid_open(&c, &r), TT_ERR_INVAL);
    c = d;
    c.tag_words = TT_RFID_TAG_WORDS_MAX + 1;
    assert_int_equal(tt_rfid_open(&c, &r), TT_ERR_INVAL);
    c = d;
    strcpy(c.transport, "rtu");
    strcpy(c.device, "/dev/ttyS0");
    c.baud = 12345;
    assert_int_equal(tt_rfid_open(&c, &r), TT_ERR_INVAL);
    c.baud = 9600;
    c.parity = 'X';
    assert_int_equal(tt_rfid_open(&c, &r), TT_ERR_INVAL);
    c.parity = 'E';
    c.slave = 0;
    assert_int_equal(tt_rfid_open(&c, &r), TT_ERR_INVAL);
    c.slave = 1;
    c.device[0] = '\0';
    assert_int_equal(tt_rfid_open(&c, &r), TT_ERR_INVAL);
}

/* A device that is not there: missing, retried on its deadline, no error. */
static void test_rtu_absent_device(void **unused)
{
    tt_rfid_conf_t c;
    tt_rfid_t *r;

    (void)unused;
    tt_rfid_conf_defaults(&c);
    strcpy(c.driver, "modbus");
    strcpy(c.transport, "rtu");
    strcpy(c.device, "/nonexistent/ttyUSB7");
    assert_int_equal(tt_rfid_open(&c, &r), TT_OK);
    tt_rfid_service(r, NULL, 0, 5000);
    assert_false(tt_rfid_present(r));
    assert_int_equal(tt_rfid_deadline(r), 5000 + c.reconnect_ms);
    tt_rfid_close(r);
}

/* RS-485 asked of a tty that cannot do it (a pty): the link fails and is
 * retried, rather than seeming to work. */
static void test_rtu_rs485_refused(void **unused)
{
    tt_rfid_conf_t c;
    tt_rfid_stats_t st;
    rig_t g;

    (void)unused;
    rig_open(&g, 1, TT_RFID_PROFILE_V780, &c);
    c.rs485 = 1;
    assert_int_equal(tt_rfid_open(&c, &g.r), TT_OK);
    run_for(&g, 300);
    assert_false(tt_rfid_present(g.r));
    tt_rfid_stats(g.r, &st);
    assert_int_equal(st.connects, 0);
    assert_int_equal(st.last_errno, ENOTTY);
    rig_close(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_refuses),
        cmocka_unit_test(test_tcp_v780),
        cmocka_unit_test(test_tcp_v780_too_long),
        cmocka_unit_test(test_tcp_pollflag),
        cmocka_unit_test(test_tcp_timeouts),
        cmocka_unit_test(test_tcp_garbage),
        cmocka_unit_test(test_tcp_pollflag_garbage),
        cmocka_unit_test(test_tcp_exception),
        cmocka_unit_test(test_tcp_disconnect),
        cmocka_unit_test(test_tcp_nobody_listening),
        cmocka_unit_test(test_rtu_absent_device),
        cmocka_unit_test(test_rtu_rs485_refused),
        cmocka_unit_test(test_rtu_v780),
        cmocka_unit_test(test_rtu_v780_too_long),
        cmocka_unit_test(test_rtu_pollflag),
        cmocka_unit_test(test_rtu_timeouts),
        cmocka_unit_test(test_rtu_garbage),
        cmocka_unit_test(test_rtu_pollflag_garbage),
        cmocka_unit_test(test_rtu_exception),
        cmocka_unit_test(test_rtu_unplug),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
