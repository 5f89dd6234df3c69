/*
 * End-to-end test of the usb scanner backend through real libusb, against a
 * USB scanner emulated by umockdev (Debian packages umockdev and
 * libumockdev-dev).
 *
 * umockdev builds a sysfs/udev testbed that libusb enumerates as usual, and
 * routes the ioctls on /dev/bus/usb/BBB/DDD to a handler in this process
 * (umockdev_testbed_attach_ioctl).  The handler below emulates the usbdevfs
 * side of a scanner: a kernel driver bound to interface 0 (GETDRIVER, the
 * DISCONNECT/CONNECT sub-ioctls), claim/release, control transfers (report
 * descriptor, SET_PROTOCOL, SET_IDLE) and interrupt IN URBs filled from a
 * queue of reports the test pushes; DISCONNECT_CLAIM answers ENOTTY, as on
 * old kernels, so auto-detach goes through libusb's detach-then-claim path.
 * Unplug is the kernel's: pending URBs end with -ESHUTDOWN, then every ioctl
 * says ENODEV, and the device leaves the testbed (a udev "remove" event);
 * replug adds it again at a new address ("add" event).
 *
 * The program needs libumockdev-preload in LD_PRELOAD; it re-executes itself
 * with it when started without (so ctest can run it directly).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <linux/usbdevice_fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <umockdev.h>
#include <unistd.h>

#include "scanner.h"
#include "scanner_loop.h"

#define VID 0x0c2e
#define PID 0x0b61

/* The emulated device; shared by the umockdev worker thread (handler) and
 * the test thread, under `lock`. */
typedef struct {
    GMutex lock;
    const uint8_t *rdesc;
    size_t rdesc_len;
    int bound;              /* a kernel driver holds interface 0 */
    int claimed;
    int unplugged;
    int detaches, attaches, set_protocol, set_idle;
    GQueue pending;         /* UMockdevIoctlData of interrupt URBs waiting */
    GQueue done;            /* URBs ready to reap */
    GQueue reports;         /* GBytes to put in interrupt URBs */
} mock_t;

typedef struct {
    UMockdevTestbed *tb;
    UMockdevIoctlBase *handler;
    mock_t m;
    char *syspath;
    tt_scanner_t *s;
    loop_t loop;
} fx_t;

/* ---- the usbdevfs emulation ---- */

static UMockdevIoctlData *resolve(UMockdevIoctlData *d, size_t off, size_t len)
{
    UMockdevIoctlData *r = umockdev_ioctl_data_resolve(d, off, len, NULL);
    assert_non_null(r);
    return r;
}

static void finish_urb(mock_t *m, UMockdevIoctlData *u, int status, int actual)
{
    struct usbdevfs_urb *urb = (struct usbdevfs_urb *)u->data;
    urb->status = status;
    urb->actual_length = actual;
    g_queue_push_tail(&m->done, u);
}

static int submit(mock_t *m, UMockdevIoctlData *arg)
{
    UMockdevIoctlData *u = resolve(arg, 0, sizeof(struct usbdevfs_urb));
    struct usbdevfs_urb *urb = (struct usbdevfs_urb *)u->data;
    UMockdevIoctlData *buf = resolve(u, offsetof(struct usbdevfs_urb, buffer),
                                     (size_t)urb->buffer_length);
    uint8_t *b = buf->data;

    g_object_unref(buf);   /* u keeps it */
    if (urb->type == USBDEVFS_URB_TYPE_CONTROL) {
        unsigned req = b[1], value = b[2] | b[3] << 8, length = b[6] | b[7] << 8;
        if (b[0] == 0x81 && req == 0x06 && value == 0x2200) {
            size_t n = m->rdesc_len < length ? m->rdesc_len : length;
            memcpy(b + 8, m->rdesc, n);
            finish_urb(m, u, 0, (int)n);
        } else if (b[0] == 0x21 && req == 0x0B) {
            m->set_protocol++;
            finish_urb(m, u, 0, 0);
        } else if (b[0] == 0x21 && req == 0x0A) {
            m->set_idle++;
            finish_urb(m, u, 0, 0);
        } else {
            finish_urb(m, u, -EPIPE, 0);   /* stall */
        }
        return 0;
    }
    if (urb->type == USBDEVFS_URB_TYPE_INTERRUPT && (urb->endpoint & 0x80)) {
        g_queue_push_tail(&m->pending, u);
        return 0;
    }
    g_object_unref(u);
    return -EINVAL;
}

/* Puts queued reports into waiting interrupt URBs. */
static void deliver(mock_t *m)
{
    while (!g_queue_is_empty(&m->pending) && !g_queue_is_empty(&m->reports)) {
        UMockdevIoctlData *u = g_queue_pop_head(&m->pending);
        struct usbdevfs_urb *urb = (struct usbdevfs_urb *)u->data;
        GBytes *rep = g_queue_pop_head(&m->reports);
        UMockdevIoctlData *buf = resolve(u, offsetof(struct usbdevfs_urb, buffer),
                                         (size_t)urb->buffer_length);
        gsize n;
        const void *p = g_bytes_get_data(rep, &n);

        if (n > (gsize)urb->buffer_length)
            n = (gsize)urb->buffer_length;
        memcpy(buf->data, p, n);
        g_object_unref(buf);
        g_bytes_unref(rep);
        finish_urb(m, u, 0, (int)n);
    }
}

static int reap(mock_t *m, UMockdevIoctlData *arg)
{
    UMockdevIoctlData *ptr, *u;

    if (m->unplugged)
        while (!g_queue_is_empty(&m->pending))
            finish_urb(m, g_queue_pop_head(&m->pending), -ESHUTDOWN, 0);
    else
        deliver(m);
    if (g_queue_is_empty(&m->done))
        return m->unplugged ? -ENODEV : -EAGAIN;
    u = g_queue_pop_head(&m->done);
    ptr = resolve(arg, 0, sizeof(void *));
    umockdev_ioctl_data_set_ptr(ptr, 0, u);
    g_object_unref(ptr);
    g_object_unref(u);
    return 0;
}

static int discard(mock_t *m, UMockdevIoctlData *arg)
{
    gulong addr = *(gulong *)arg->data;

    for (GList *l = m->pending.head; l; l = l->next) {
        UMockdevIoctlData *u = l->data;
        if (u->client_addr == addr) {
            g_queue_delete_link(&m->pending, l);
            finish_urb(m, u, -ENOENT, 0);
            return 0;
        }
    }
    return -EINVAL;
}

static int handle(mock_t *m, gulong req, UMockdevIoctlData *arg)
{
    UMockdevIoctlData *d;
    int rc = 0;

    if (m->unplugged && req != USBDEVFS_REAPURB && req != USBDEVFS_REAPURBNDELAY &&
        req != USBDEVFS_RELEASEINTERFACE)
        return -ENODEV;
    switch (req) {
    case USBDEVFS_GET_CAPABILITIES:
        d = resolve(arg, 0, sizeof(uint32_t));
        *(uint32_t *)d->data = USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION |
                               USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT;
        g_object_unref(d);
        return 0;
    case USBDEVFS_GETDRIVER: {
        struct usbdevfs_getdriver *g;
        d = resolve(arg, 0, sizeof *g);
        g = (struct usbdevfs_getdriver *)d->data;
        if (g->interface == 0 && m->bound)
            snprintf(g->driver, sizeof g->driver, "usbhid");
        else if (g->interface == 0 && m->claimed)
            snprintf(g->driver, sizeof g->driver, "usbfs");
        else
            rc = -ENODATA;
        g_object_unref(d);
        return rc;
    }
    case USBDEVFS_IOCTL: {
        struct usbdevfs_ioctl *c;
        d = resolve(arg, 0, sizeof *c);
        c = (struct usbdevfs_ioctl *)d->data;
        if (c->ifno != 0)
            rc = -EINVAL;
        else if (c->ioctl_code == (int)USBDEVFS_DISCONNECT) {
            rc = m->bound ? 0 : -ENODATA;
            if (m->bound)
                m->detaches++;
            m->bound = 0;
        } else if (c->ioctl_code == (int)USBDEVFS_CONNECT) {
            rc = m->claimed ? -EBUSY : 1;
            if (!m->claimed) {
                m->bound = 1;
                m->attaches++;
            }
        } else {
            rc = -ENOTTY;
        }
        g_object_unref(d);
        return rc;
    }
    case USBDEVFS_DISCONNECT_CLAIM:
        return -ENOTTY;   /* as before Linux 3.8: libusb falls back */
    case USBDEVFS_CLAIMINTERFACE:
        if (m->bound)
            return -EBUSY;
        m->claimed = 1;
        return 0;
    case USBDEVFS_RELEASEINTERFACE:
        m->claimed = 0;
        return 0;
    case USBDEVFS_SUBMITURB:
        return submit(m, arg);
    case USBDEVFS_REAPURB:
    case USBDEVFS_REAPURBNDELAY:
        return reap(m, arg);
    case USBDEVFS_DISCARDURB:
        return discard(m, arg);
    default:
        return -ENOTTY;
    }
}

static gboolean on_ioctl(UMockdevIoctlBase *base, UMockdevIoctlClient *client, gpointer user)
{
    mock_t *m = user;
    int rc;

    (void)base;
    g_mutex_lock(&m->lock);
    rc = handle(m, umockdev_ioctl_client_get_request(client),
                umockdev_ioctl_client_get_arg(client));
    g_mutex_unlock(&m->lock);
    if (rc < 0)
        umockdev_ioctl_client_complete(client, -1, -rc);
    else
        umockdev_ioctl_client_complete(client, rc, 0);
    return TRUE;
}

/* ---- the testbed ---- */

/* Device, configuration, interface, HID and endpoint descriptors, as the
 * sysfs "descriptors" file holds them. */
static size_t descriptors(uint8_t *out, int pos, size_t rdesc_len, unsigned ep_size)
{
    const uint8_t d[] = {
        18, 1, 0x00, 0x02, 0, 0, 0, 64, VID & 0xFF, VID >> 8, PID & 0xFF, PID >> 8,
        0x00, 0x01, 1, 2, 3, 1,
        9, 2, 34, 0, 1, 1, 0, 0x80, 50,
        9, 4, 0, 0, 1, 3, pos ? 0 : 1, pos ? 0 : 1, 0,
        9, 0x21, 0x11, 0x01, 0, 1, 0x22, (uint8_t)rdesc_len, (uint8_t)(rdesc_len >> 8),
        7, 5, 0x81, 3, (uint8_t)ep_size, 0, 10,
    };
    memcpy(out, d, sizeof d);
    return sizeof d;
}

/* Adds the device at address `devnum` in umockdev's text format (the only
 * way that also creates its /dev node) and attaches the ioctl handler. */
static void plug(fx_t *fx, int devnum, int pos)
{
    uint8_t desc[64];
    size_t n = descriptors(desc, pos, fx->m.rdesc_len, pos ? 64 : 8);
    char hex[2 * sizeof desc + 1], devnode[64], text[2048];
    GError *err = NULL;

    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02X", desc[i]);
    snprintf(devnode, sizeof devnode, "/dev/bus/usb/001/%03d", devnum);
    snprintf(text, sizeof text,
             "P: /devices/usb1/1-%d\n"
             "N: bus/usb/001/%03d=%s\n"
             "E: DEVNAME=%s\nE: DEVTYPE=usb_device\nE: SUBSYSTEM=usb\n"
             "E: BUSNUM=001\nE: DEVNUM=%03d\nE: PRODUCT=c2e/b61/100\n"
             "E: MAJOR=189\nE: MINOR=%d\n"
             "A: busnum=1\nA: devnum=%d\nA: speed=12\nA: bConfigurationValue=1\n"
             "A: idVendor=0c2e\nA: idProduct=0b61\nA: dev=189:%d\n"
             "H: descriptors=%s\n",
             devnum, devnum, hex, devnode, devnum, devnum, devnum, devnum, hex);
    g_mutex_lock(&fx->m.lock);
    fx->m.unplugged = 0;
    fx->m.bound = 1;          /* the kernel binds usbhid on plug */
    fx->m.claimed = 0;
    g_mutex_unlock(&fx->m.lock);
    assert_true(umockdev_testbed_add_from_string(fx->tb, text, &err));
    fx->syspath = g_strdup_printf("/sys/devices/usb1/1-%d", devnum);
    assert_true(umockdev_testbed_attach_ioctl(fx->tb, devnode, fx->handler, &err));
}

static void unplug(fx_t *fx)
{
    g_mutex_lock(&fx->m.lock);
    fx->m.unplugged = 1;
    fx->m.claimed = 0;
    g_mutex_unlock(&fx->m.lock);
    umockdev_testbed_remove_device(fx->tb, fx->syspath);
    g_free(fx->syspath);
    fx->syspath = NULL;
}

static void push(fx_t *fx, const uint8_t *rep, size_t n)
{
    g_mutex_lock(&fx->m.lock);
    g_queue_push_tail(&fx->m.reports, g_bytes_new(rep, n));
    g_mutex_unlock(&fx->m.lock);
}

/* Boot-keyboard reports for `text` (digits, ']', upper-case C, lower case)
 * and the terminator; GS as Ctrl+]. */
static void type_text(fx_t *fx, const char *text)
{
    for (const char *c = text; *c; c++) {
        uint8_t r[8] = {0}, up[8] = {0};
        if (*c >= '1' && *c <= '9')
            r[2] = (uint8_t)(0x1E + (*c - '1'));
        else if (*c == '0')
            r[2] = 0x27;
        else if (*c >= 'a' && *c <= 'z')
            r[2] = (uint8_t)(0x04 + (*c - 'a'));
        else if (*c >= 'A' && *c <= 'Z') {
            r[0] = 0x02;
            r[2] = (uint8_t)(0x04 + (*c - 'A'));
        } else if (*c == ']')
            r[2] = 0x30;
        else if (*c == '\x1D') {
            r[0] = 0x01;
            r[2] = 0x30;
        } else if (*c == '\n')
            r[2] = 0x28;
        push(fx, r, sizeof r);
        push(fx, up, sizeof up);
    }
}

static int counts(fx_t *fx, int *detaches, int *attaches, int *set_protocol, int *set_idle)
{
    int waiting;
    g_mutex_lock(&fx->m.lock);
    *detaches = fx->m.detaches;
    *attaches = fx->m.attaches;
    *set_protocol = fx->m.set_protocol;
    *set_idle = fx->m.set_idle;
    waiting = (int)fx->m.pending.length;
    g_mutex_unlock(&fx->m.lock);
    return waiting;
}

static const uint8_t boot_kbd[] = {
    0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00,
    0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x01,
    0x95, 0x06, 0x75, 0x08, 0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65,
    0x81, 0x00, 0xC0,
};

static const uint8_t pos_desc[] = {
    0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x12, 0xA1, 0x02, 0x85, 0x02,
    0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95, 0x01, 0x81, 0x02,
    0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x95, 0x03, 0x81, 0x02,
    0x09, 0xFE, 0x95, 0x38, 0x82, 0x02, 0x01, 0x06, 0x66, 0xFF, 0x09, 0x01, 0x95, 0x02,
    0x81, 0x02, 0x05, 0x8C, 0x09, 0xFF, 0x75, 0x01, 0x95, 0x01, 0x25, 0x01, 0x81, 0x02,
    0x75, 0x07, 0x81, 0x03, 0xC0, 0xC0,
};

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);

    g_mutex_init(&fx->m.lock);
    g_queue_init(&fx->m.pending);
    g_queue_init(&fx->m.done);
    g_queue_init(&fx->m.reports);
    fx->tb = umockdev_testbed_new();
    fx->handler = umockdev_ioctl_base_new();
    g_signal_connect(fx->handler, "handle-ioctl", G_CALLBACK(on_ioctl), &fx->m);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;

    tt_scanner_close(fx->s);
    if (fx->syspath)
        umockdev_testbed_remove_device(fx->tb, fx->syspath);
    g_free(fx->syspath);
    g_object_unref(fx->tb);
    g_object_unref(fx->handler);
    g_queue_clear_full(&fx->m.pending, g_object_unref);
    g_queue_clear_full(&fx->m.done, g_object_unref);
    g_queue_clear_full(&fx->m.reports, (GDestroyNotify)g_bytes_unref);
    g_mutex_clear(&fx->m.lock);
    free(fx);
    return 0;
}

static void open_scanner(fx_t *fx, int auto_detach)
{
    tt_scanner_conf_t c;

    memset(&c, 0, sizeof c);
    snprintf(c.driver, sizeof c.driver, "usb");
    snprintf(c.layout, sizeof c.layout, "us");
    c.vid = VID;
    c.pid = PID;
    c.interface = 0;
    c.auto_detach = auto_detach;
    c.reopen_ms = 100;
    assert_int_equal(tt_scanner_open(&c, &fx->s), TT_OK);
}

/* Runs the loop until the backend has its interrupt URB waiting. */
static void until_reading(fx_t *fx)
{
    int64_t end = tt_clock_mono_ms() + 3000;
    int a, b, c, d;
    while (counts(fx, &a, &b, &c, &d) == 0 && tt_clock_mono_ms() < end)
        loop_turn(fx->s, &fx->loop, tt_clock_mono_ms() + 20);
    assert_true(counts(fx, &a, &b, &c, &d) > 0);
}

static void test_keyboard_wedge(void **state)
{
    fx_t *fx = *state;
    int detaches, attaches, set_protocol, set_idle;

    fx->m.rdesc = boot_kbd;
    fx->m.rdesc_len = sizeof boot_kbd;
    plug(fx, 2, 0);
    open_scanner(fx, 0);
    assert_true(tt_scanner_present(fx->s));
    until_reading(fx);
    counts(fx, &detaches, &attaches, &set_protocol, &set_idle);
    assert_int_equal(detaches, 1);      /* explicit libusb_detach_kernel_driver */
    assert_int_equal(set_protocol, 1);  /* boot interface: boot protocol */
    assert_int_equal(set_idle, 1);

    type_text(fx, "]C10109506000134352\x1D" "10ABC\n");
    assert_true(loop_until_codes(fx->s, &fx->loop, 1, 3000));
    assert_string_equal(fx->loop.codes[0], "]C10109506000134352\x1D" "10ABC");

    /* Unplug mid-code, replug at a new address. */
    type_text(fx, "99");
    loop_run(fx->s, &fx->loop, 100);
    unplug(fx);
    assert_true(loop_until_present(fx->s, &fx->loop, 0, 3000));
    plug(fx, 3, 0);
    assert_true(loop_until_present(fx->s, &fx->loop, 1, 3000));
    until_reading(fx);
    type_text(fx, "42\n");
    assert_true(loop_until_codes(fx->s, &fx->loop, 2, 3000));
    assert_string_equal(fx->loop.codes[1], "42");
    assert_int_equal(fx->loop.count, 2);

    /* Closing gives the interface back to the kernel driver. */
    tt_scanner_close(fx->s);
    fx->s = NULL;
    counts(fx, &detaches, &attaches, &set_protocol, &set_idle);
    assert_int_equal(detaches, 2);
    assert_int_equal(attaches, 1);
}

static void test_hid_pos_auto_detach(void **state)
{
    fx_t *fx = *state;
    int detaches, attaches, set_protocol, set_idle;
    uint8_t r[64];
    const char *code = "]d2" "0109506000134352" "10ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "\x1D" "21SERIAL0123456789" "\x1D" "17261231";
    size_t len = strlen(code) - 3;   /* the data, without the AIM prefix */

    fx->m.rdesc = pos_desc;
    fx->m.rdesc_len = sizeof pos_desc;
    plug(fx, 2, 1);
    open_scanner(fx, 1);
    until_reading(fx);
    counts(fx, &detaches, &attaches, &set_protocol, &set_idle);
    assert_int_equal(detaches, 1);      /* libusb's auto-detach fallback */
    assert_int_equal(set_protocol, 0);  /* not a keyboard */

    /* The data in two reports: 56 bytes with "continued", then the rest. */
    assert_true(len > 56);
    memset(r, 0, sizeof r);
    r[0] = 0x02;
    r[1] = 56;
    memcpy(r + 2, "]d2", 3);
    memcpy(r + 5, code + 3, 56);
    r[63] = 0x01;
    push(fx, r, sizeof r);
    memset(r, 0, sizeof r);
    r[0] = 0x02;
    r[1] = (uint8_t)(len - 56);
    memcpy(r + 2, "]d2", 3);
    memcpy(r + 5, code + 3 + 56, len - 56);
    push(fx, r, sizeof r);
    assert_true(loop_until_codes(fx->s, &fx->loop, 1, 3000));
    assert_string_equal(fx->loop.codes[0], code);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keyboard_wedge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hid_pos_auto_detach, setup, teardown),
    };

    (void)argc;
    /* umockdev_in_mock_environment() can only tell once a testbed exists, so
     * a variable marks the second start. */
    if (!getenv("TT_UMOCKDEV_PRELOADED")) {
        /* Preload umockdev and start again; ASan would object to a library
         * loaded before it, harmlessly here. */
        const char *pre = getenv("LD_PRELOAD"), *asan = getenv("ASAN_OPTIONS");
        char buf[1024];
        snprintf(buf, sizeof buf, "libumockdev-preload.so.0%s%s", pre ? ":" : "", pre ? pre : "");
        setenv("LD_PRELOAD", buf, 1);
        snprintf(buf, sizeof buf, "%s%sverify_asan_link_order=0", asan ? asan : "",
                 asan ? ":" : "");
        setenv("ASAN_OPTIONS", buf, 1);
        setenv("TT_UMOCKDEV_PRELOADED", "1", 1);
        execv("/proc/self/exe", argv);
        perror("usb_umockdev: execv");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
