/*
 * The usb scanner backend: a USB scanner taken from the kernel and read with
 * libusb, as a boot keyboard ("keyboard wedge") or as a HID POS bar code
 * scanner.
 *
 * Conf: vid, pid (required; the first device with that ID is used),
 * interface (its number; the interface must have an interrupt IN endpoint),
 * auto_detach, layout (keymap.h; unknown is TT_ERR_INVAL at open),
 * reopen_ms (0 means 1000).
 *
 * Taking the interface: with auto_detach set, libusb detaches the kernel
 * driver as it claims the interface and gives it back on release
 * (libusb_set_auto_detach_kernel_driver).  Without it, a bound kernel driver
 * (usbhid) is detached explicitly with libusb_detach_kernel_driver, and
 * attached again when the scanner is closed.  Detaching is best effort:
 * "no driver" (NOT_FOUND), "cannot tell or detach on this platform"
 * (NOT_SUPPORTED, or any failure of libusb_kernel_driver_active) are
 * tolerated, because claiming the interface is the real test: it fails with
 * BUSY while a driver still holds it, and the device is then treated as
 * missing and tried again.
 *
 * Everything after the claim is asynchronous, driven by tt_scanner_service
 * (libusb_handle_events_timeout_completed with a zero timeout; the
 * descriptors are libusb's pollfds, the deadline includes libusb's next
 * timeout):
 *   1. GET_DESCRIPTOR(Report) on the interface; the descriptor decides the
 *      report format (scanner_usb_internal.h): usage page 0x8C means HID POS,
 *      anything else (or a failed request) a boot keyboard;
 *   2. keyboard on a boot-subclass interface: SET_PROTOCOL(boot), so reports
 *      are the 8-byte boot format (a failure leaves report protocol);
 *   3. SET_IDLE(0), so a held key is not repeated (failure ignored);
 *   4. one interrupt IN transfer, resubmitted from its callback.
 *
 * Unplug: a transfer that ends with NO_DEVICE (or an error or stall), a
 * failed resubmission, or a hotplug "left" event closes the device; the
 * partial code is dropped, present() says 0, and the device is looked for
 * again every reopen_ms and at once on a hotplug "arrived" event (hotplug is
 * used where libusb has it; the polling reopen works without it).  A device
 * absent at open() is not an error: the scanner starts missing.
 *
 * Not blocking: the only waits are in close and in dropping a device that
 * still has transfers in flight (cancelled; libusb completes the
 * cancellation at once on Linux, and the wait is bounded at one second).
 * libusb writes nothing unless LIBUSB_DEBUG asks it to.
 */
#include "scanner.h"

#include <libusb.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "keymap.h"
#include "scanner_usb_internal.h"

#define DEFAULT_REOPEN_MS 1000
#define RDESC_MAX 1024          /* longest report descriptor read */
#define IN_MAX 1024             /* largest interrupt packet (high speed) */
#define CTL_TIMEOUT_MS 1000
#define CANCEL_WAIT_MS 1000

/* HID class requests and descriptor types. */
enum {
    HID_DT_HID = 0x21,
    HID_DT_REPORT = 0x22,
    HID_SET_IDLE = 0x0A,
    HID_SET_PROTOCOL = 0x0B,
    HID_SUBCLASS_BOOT = 1,
};

/* Steps after the claim, in order. */
enum { STEP_RDESC, STEP_PROTOCOL, STEP_IDLE, STEP_RUN };

typedef struct {
    /* conf */
    uint16_t vid, pid;
    uint8_t iface;
    int auto_detach;
    int reopen_ms;
    /* libusb */
    libusb_context *ctx;
    libusb_hotplug_callback_handle hotplug;
    int has_hotplug;
    /* the open device; h is NULL while missing */
    libusb_device_handle *h;
    int detached;               /* we detached the kernel driver ourselves */
    int is_hid, boot_subclass;
    uint16_t rdesc_len;         /* from the HID descriptor; 0: not given */
    uint8_t ep_in;
    uint16_t ep_size;
    struct libusb_transfer *ctl, *in;
    int ctl_busy, in_busy;      /* submitted, callback not yet run */
    int step;
    int boot;                   /* the device accepted SET_PROTOCOL(boot) */
    tt_scanner_usb_rdesc_t rd;
    /* set by callbacks, acted on in service */
    int gone, arrived, closing;
    int64_t reopen_at;
    int64_t now;                /* the service call's time, for callbacks */
    unsigned char ctl_buf[LIBUSB_CONTROL_SETUP_SIZE + RDESC_MAX];
    unsigned char in_buf[IN_MAX];
    tt_keymap_t km;
} usb_t;

/* ---- report descriptor and reports (no device needed) ---- */

void tt_scanner_usb_parse_rdesc(const uint8_t *desc, size_t len, tt_scanner_usb_rdesc_t *out)
{
    struct {
        uint32_t page;
        uint8_t id;
    } stack[8];
    size_t depth = 0, i = 0;
    uint32_t page = 0;
    uint8_t id = 0;
    int decoded_seen = 0, kbd_seen = 0, pos_input = -1;

    memset(out, 0, sizeof *out);
    while (i < len) {
        uint8_t b = desc[i], type = (b >> 2) & 3, tag = b >> 4;
        size_t size = (b & 3) == 3 ? 4 : (b & 3);
        uint32_t v = 0;

        if (b == 0xFE) {   /* long item: size, tag, data; none of ours */
            if (i + 2 >= len)
                break;
            i += 3 + (size_t)desc[i + 1];
            continue;
        }
        if (i + 1 + size > len)
            break;
        for (size_t k = 0; k < size; k++)
            v |= (uint32_t)desc[i + 1 + k] << (8 * k);
        i += 1 + size;

        if (type == 1) {            /* global */
            if (tag == 0) {
                page = v;
                if (v == TT_SCANNER_USB_POS_PAGE)
                    out->pos = 1;
            } else if (tag == 8) {
                id = (uint8_t)v;
                out->report_ids = 1;
            } else if (tag == 10 && depth < sizeof stack / sizeof stack[0]) {
                stack[depth].page = page;
                stack[depth++].id = id;
            } else if (tag == 11 && depth > 0) {
                page = stack[--depth].page;
                id = stack[depth].id;
            }
        } else if (type == 2 && tag == 0) {   /* local Usage */
            uint32_t upage = size == 4 ? v >> 16 : page, usage = size == 4 ? v & 0xFFFF : v;
            if (upage == TT_SCANNER_USB_POS_PAGE) {
                out->pos = 1;
                if (usage == TT_SCANNER_USB_POS_DECODED && !decoded_seen) {
                    out->pos_id = id;
                    decoded_seen = 1;
                }
            }
        } else if (type == 0 && tag == 8) {   /* main Input */
            if (page == 0x07 && !kbd_seen) {
                out->kbd_id = id;
                kbd_seen = 1;
            }
            if (page == TT_SCANNER_USB_POS_PAGE && pos_input < 0)
                pos_input = id;
        }
    }
    if (!decoded_seen)
        out->pos_id = out->report_ids && pos_input > 0 ? (uint8_t)pos_input : TT_SCANNER_USB_POS_ID;
}

/* HID POS scanned-data report, layout in scanner_usb_internal.h. */
enum { POS_HEAD = 4, POS_TAIL = 3 };

static void pos_report(const tt_scanner_usb_rdesc_t *rd, tt_keymap_t *km, const uint8_t *p,
                       size_t n, int64_t now_ms)
{
    size_t count, room;
    const uint8_t *data;

    if (rd->report_ids) {
        if (n < 1 || p[0] != rd->pos_id)
            return;
        p++;
        n--;
    }
    if (n < POS_HEAD + POS_TAIL)
        return;
    room = n - POS_HEAD - POS_TAIL;
    count = p[0] < room ? p[0] : room;
    data = p + POS_HEAD;
    if (!tt_keymap_partial(km) && p[1] == ']' && !(count > 0 && data[0] == ']'))
        for (size_t k = 1; k < POS_HEAD; k++)
            tt_keymap_put(km, (char)p[k], now_ms);
    for (size_t k = 0; k < count; k++)
        tt_keymap_put(km, (char)data[k], now_ms);
    if (!(p[n - 1] & 0x01))
        tt_keymap_end(km);
}

void tt_scanner_usb_decode(const tt_scanner_usb_rdesc_t *rd, int boot, tt_keymap_t *km,
                           const uint8_t *rep, size_t len, int64_t now_ms)
{
    if (rd->pos) {
        pos_report(rd, km, rep, len, now_ms);
        return;
    }
    if (rd->report_ids && !boot) {
        if (len < 1 || (rd->kbd_id && rep[0] != rd->kbd_id))
            return;
        rep++;
        len--;
    }
    tt_keymap_feed_report(km, rep, len, now_ms);
}

/* ---- the device ---- */

static void LIBUSB_CALL in_done(struct libusb_transfer *t);
static void LIBUSB_CALL ctl_done(struct libusb_transfer *t);

/* Finds the configured interface: its interrupt IN endpoint, whether it is
 * HID (and boot), and the report descriptor length from the HID descriptor.
 * Returns 0 when the interface is usable. */
static int find_interface(usb_t *u, libusb_device *dev)
{
    struct libusb_config_descriptor *cfg;
    int rc = -1;

    if (libusb_get_active_config_descriptor(dev, &cfg) != 0)
        return -1;
    for (int i = 0; i < cfg->bNumInterfaces && rc != 0; i++) {
        const struct libusb_interface_descriptor *alt;
        if (cfg->interface[i].num_altsetting < 1)
            continue;
        alt = &cfg->interface[i].altsetting[0];
        if (alt->bInterfaceNumber != u->iface)
            continue;
        u->is_hid = alt->bInterfaceClass == LIBUSB_CLASS_HID;
        u->boot_subclass = u->is_hid && alt->bInterfaceSubClass == HID_SUBCLASS_BOOT;
        u->rdesc_len = 0;
        /* HID descriptor: bLength, 0x21, bcdHID(2), bCountryCode,
         * bNumDescriptors, then {bDescriptorType, wDescriptorLength(2)}. */
        for (int k = 0; k + 1 < alt->extra_length && alt->extra[k] > 0; k += alt->extra[k]) {
            const unsigned char *d = alt->extra + k;
            if (d[1] != HID_DT_HID || k + d[0] > alt->extra_length || d[0] < 6)
                continue;
            for (int j = 6; j + 3 <= d[0]; j += 3)
                if (d[j] == HID_DT_REPORT)
                    u->rdesc_len = (uint16_t)(d[j + 1] | d[j + 2] << 8);
        }
        for (int e = 0; e < alt->bNumEndpoints; e++) {
            const struct libusb_endpoint_descriptor *ep = &alt->endpoint[e];
            if ((ep->bmAttributes & 0x03) == LIBUSB_TRANSFER_TYPE_INTERRUPT &&
                (ep->bEndpointAddress & LIBUSB_ENDPOINT_IN)) {
                u->ep_in = ep->bEndpointAddress;
                u->ep_size = ep->wMaxPacketSize & 0x7FF;
                if (u->ep_size == 0 || u->ep_size > IN_MAX)
                    u->ep_size = IN_MAX;
                rc = 0;
                break;
            }
        }
    }
    libusb_free_config_descriptor(cfg);
    return rc;
}

static int submit_ctl(usb_t *u, uint8_t type, uint8_t request, uint16_t value, uint16_t length)
{
    int r;

    libusb_fill_control_setup(u->ctl_buf, type, request, value, u->iface, length);
    libusb_fill_control_transfer(u->ctl, u->h, u->ctl_buf, ctl_done, u, CTL_TIMEOUT_MS);
    r = libusb_submit_transfer(u->ctl);
    if (r == 0)
        u->ctl_busy = 1;
    return r;
}

static int submit_in(usb_t *u)
{
    int r;

    libusb_fill_interrupt_transfer(u->in, u->h, u->ep_in, u->in_buf, u->ep_size, in_done, u, 0);
    r = libusb_submit_transfer(u->in);
    if (r == 0)
        u->in_busy = 1;
    return r;
}

/* Starts u->step, or the first later one that applies; a step whose request
 * cannot be submitted is skipped, except the interrupt transfer. */
static void advance(usb_t *u)
{
    for (;; u->step++) {
        int r = 1;   /* 1: the step does not apply */
        uint16_t len = u->rdesc_len && u->rdesc_len < RDESC_MAX ? u->rdesc_len : RDESC_MAX;

        switch (u->step) {
        case STEP_RDESC:
            if (u->is_hid)
                r = submit_ctl(u, LIBUSB_ENDPOINT_IN | LIBUSB_REQUEST_TYPE_STANDARD |
                                      LIBUSB_RECIPIENT_INTERFACE,
                               LIBUSB_REQUEST_GET_DESCRIPTOR, HID_DT_REPORT << 8, len);
            break;
        case STEP_PROTOCOL:
            if (u->boot_subclass && !u->rd.pos)
                r = submit_ctl(u, LIBUSB_ENDPOINT_OUT | LIBUSB_REQUEST_TYPE_CLASS |
                                      LIBUSB_RECIPIENT_INTERFACE,
                               HID_SET_PROTOCOL, 0, 0);
            break;
        case STEP_IDLE:
            if (u->is_hid)
                r = submit_ctl(u, LIBUSB_ENDPOINT_OUT | LIBUSB_REQUEST_TYPE_CLASS |
                                      LIBUSB_RECIPIENT_INTERFACE,
                               HID_SET_IDLE, 0, 0);
            break;
        default:
            if (submit_in(u) != 0)
                u->gone = 1;
            return;
        }
        if (r == 0)
            return;   /* ctl_done goes on */
        if (r == LIBUSB_ERROR_NO_DEVICE) {
            u->gone = 1;
            return;
        }
    }
}

static void LIBUSB_CALL ctl_done(struct libusb_transfer *t)
{
    usb_t *u = t->user_data;

    u->ctl_busy = 0;
    if (u->closing || t->status == LIBUSB_TRANSFER_CANCELLED)
        return;
    if (t->status == LIBUSB_TRANSFER_NO_DEVICE) {
        u->gone = 1;
        return;
    }
    if (t->status == LIBUSB_TRANSFER_COMPLETED) {
        if (u->step == STEP_RDESC)
            tt_scanner_usb_parse_rdesc(libusb_control_transfer_get_data(t),
                                       (size_t)t->actual_length, &u->rd);
        else if (u->step == STEP_PROTOCOL)
            u->boot = 1;
    }
    u->step++;
    advance(u);
}

static void LIBUSB_CALL in_done(struct libusb_transfer *t)
{
    usb_t *u = t->user_data;

    u->in_busy = 0;
    if (u->closing || t->status == LIBUSB_TRANSFER_CANCELLED)
        return;
    switch (t->status) {
    case LIBUSB_TRANSFER_COMPLETED:
        tt_scanner_usb_decode(&u->rd, u->boot, &u->km, t->buffer, (size_t)t->actual_length,
                              u->now);
        break;
    case LIBUSB_TRANSFER_TIMED_OUT:
    case LIBUSB_TRANSFER_OVERFLOW:
        break;   /* nothing usable; ask again */
    default:     /* NO_DEVICE, ERROR, STALL: drop it and look for it again */
        u->gone = 1;
        return;
    }
    if (submit_in(u) != 0)
        u->gone = 1;
}

static int LIBUSB_CALL hotplug_cb(libusb_context *ctx, libusb_device *dev,
                                  libusb_hotplug_event event, void *user_data)
{
    usb_t *u = user_data;

    (void)ctx;
    if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED)
        u->arrived = 1;
    else if (u->h && libusb_get_device(u->h) == dev)
        u->gone = 1;
    return 0;   /* stay registered */
}

/* Takes the interface of an opened device and starts the steps.  Returns 0
 * when it did; on failure the handle is left for the caller to close. */
static int start(usb_t *u, libusb_device_handle *h)
{
    int r;

    u->detached = 0;
    if (u->auto_detach) {
        (void)libusb_set_auto_detach_kernel_driver(h, 1);   /* NOT_SUPPORTED: claim decides */
    } else {
        r = libusb_kernel_driver_active(h, u->iface);
        if (r == LIBUSB_ERROR_NO_DEVICE)
            return -1;
        if (r == 1) {
            r = libusb_detach_kernel_driver(h, u->iface);
            if (r == LIBUSB_ERROR_NO_DEVICE)
                return -1;
            u->detached = r == 0;   /* NOT_FOUND, NOT_SUPPORTED...: claim decides */
        }
    }
    if (libusb_claim_interface(h, u->iface) != 0)
        goto undetach;
    u->ctl = libusb_alloc_transfer(0);
    u->in = libusb_alloc_transfer(0);
    if (!u->ctl || !u->in) {
        libusb_free_transfer(u->ctl);
        libusb_free_transfer(u->in);
        u->ctl = u->in = NULL;
        (void)libusb_release_interface(h, u->iface);
        goto undetach;
    }
    u->h = h;
    u->gone = 0;
    u->boot = 0;
    memset(&u->rd, 0, sizeof u->rd);
    u->step = STEP_RDESC;
    advance(u);
    return 0;

undetach:
    if (u->detached)
        (void)libusb_attach_kernel_driver(h, u->iface);
    u->detached = 0;
    return -1;
}

/* Looks for the device and opens it; returns 0 when it is there. */
static int try_open(usb_t *u)
{
    libusb_device **list, *dev = NULL;
    libusb_device_handle *h;
    ssize_t n = libusb_get_device_list(u->ctx, &list);
    int rc = -1;

    if (n < 0)
        return -1;
    for (ssize_t i = 0; i < n && !dev; i++) {
        struct libusb_device_descriptor dd;
        if (libusb_get_device_descriptor(list[i], &dd) == 0 && dd.idVendor == u->vid &&
            dd.idProduct == u->pid)
            dev = list[i];
    }
    if (dev && find_interface(u, dev) == 0 && libusb_open(dev, &h) == 0) {
        rc = start(u, h);
        if (rc != 0)
            libusb_close(h);
    }
    libusb_free_device_list(list, 1);
    return rc;
}

/* Closes the device.  `final`: the scanner is being closed, so a kernel
 * driver we detached is given back. */
static void drop(usb_t *u, int final)
{
    int64_t until = tt_clock_mono_ms() + CANCEL_WAIT_MS;

    u->closing = 1;
    if (u->in_busy)
        (void)libusb_cancel_transfer(u->in);
    if (u->ctl_busy)
        (void)libusb_cancel_transfer(u->ctl);
    while ((u->in_busy || u->ctl_busy) && tt_clock_mono_ms() < until) {
        struct timeval tv = {0, 10000};
        libusb_handle_events_timeout_completed(u->ctx, &tv, NULL);
    }
    if (!u->gone) {
        (void)libusb_release_interface(u->h, u->iface);
        if (final && u->detached)
            (void)libusb_attach_kernel_driver(u->h, u->iface);
    }
    libusb_close(u->h);
    /* A transfer libusb never completed cannot be freed safely: it is
     * leaked instead (this has not been seen to happen on Linux). */
    if (!u->in_busy)
        libusb_free_transfer(u->in);
    if (!u->ctl_busy)
        libusb_free_transfer(u->ctl);
    u->in = u->ctl = NULL;
    u->in_busy = u->ctl_busy = 0;
    u->h = NULL;
    u->closing = 0;
    u->gone = 0;
    u->detached = 0;
    tt_keymap_reset(&u->km);
}

static tt_err_t usb_open(const tt_scanner_conf_t *conf, void **state)
{
    usb_t *u;

    if (conf->vid == 0 || conf->interface < 0 || conf->interface > 255 || conf->reopen_ms < 0 ||
        !tt_keymap_known(conf->layout))
        return TT_ERR_INVAL;
    u = calloc(1, sizeof *u);
    if (!u)
        return TT_ERR_NOMEM;
    u->vid = conf->vid;
    u->pid = conf->pid;
    u->iface = (uint8_t)conf->interface;
    u->auto_detach = conf->auto_detach;
    u->reopen_ms = conf->reopen_ms ? conf->reopen_ms : DEFAULT_REOPEN_MS;
    (void)tt_keymap_init(&u->km, conf->layout);   /* known: checked above */
    if (libusb_init(&u->ctx) != 0) {
        free(u);
        return TT_ERR_DEVICE;
    }
    if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) &&
        libusb_hotplug_register_callback(u->ctx,
                                         LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
                                             LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
                                         0, u->vid, u->pid, LIBUSB_HOTPLUG_MATCH_ANY, hotplug_cb,
                                         u, &u->hotplug) == LIBUSB_SUCCESS)
        u->has_hotplug = 1;
    u->now = tt_clock_mono_ms();
    if (try_open(u) != 0)
        u->reopen_at = u->now + u->reopen_ms;
    *state = u;
    return TT_OK;
}

static void usb_close(void *state)
{
    usb_t *u = state;

    if (u->h)
        drop(u, 1);
    if (u->has_hotplug)
        libusb_hotplug_deregister_callback(u->ctx, u->hotplug);
    libusb_exit(u->ctx);
    free(u);
}

/* libusb's descriptors; more than `max` cannot be polled (the firmware gives
 * 8, libusb on Linux uses 2 plus 1 per open device). */
static size_t usb_pollfds(void *state, struct pollfd *fds, size_t max)
{
    usb_t *u = state;
    const struct libusb_pollfd **p = libusb_get_pollfds(u->ctx);
    size_t n = 0;

    if (!p)
        return 0;
    for (size_t i = 0; p[i] && n < max; i++, n++) {
        fds[n].fd = p[i]->fd;
        fds[n].events = p[i]->events;
        fds[n].revents = 0;
    }
    libusb_free_pollfds(p);
    return n;
}

static int64_t usb_deadline(void *state)
{
    usb_t *u = state;
    int64_t d = tt_keymap_deadline(&u->km);
    struct timeval tv;

    if (!u->h && (d < 0 || u->reopen_at < d))
        d = u->reopen_at;
    if (libusb_get_next_timeout(u->ctx, &tv) == 1) {
        int64_t t = tt_clock_mono_ms() + (int64_t)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
        if (d < 0 || t < d)
            d = t;
    }
    return d;
}

/* libusb polls its own descriptors (with a zero timeout), so the revents
 * are not needed. */
static void usb_service(void *state, const struct pollfd *fds, size_t n, int64_t now_ms)
{
    usb_t *u = state;
    struct timeval zero = {0, 0};

    (void)fds;
    (void)n;
    u->now = now_ms;
    libusb_handle_events_timeout_completed(u->ctx, &zero, NULL);
    if (u->h && u->gone) {
        drop(u, 0);
        u->reopen_at = now_ms + u->reopen_ms;
    }
    if (!u->h && (u->arrived || now_ms >= u->reopen_at)) {
        u->arrived = 0;
        if (try_open(u) != 0)
            u->reopen_at = now_ms + u->reopen_ms;
    }
    tt_keymap_expire(&u->km, now_ms);
}

static tt_err_t usb_read(void *state, char *code, size_t len)
{
    return tt_keymap_read(&((usb_t *)state)->km, code, len);
}

static int usb_present(void *state)
{
    usb_t *u = state;
    return u->h != NULL && !u->gone;
}

const tt_scanner_ops_t tt_scanner_usb_ops = {
    .name = "usb",
    .open = usb_open,
    .close = usb_close,
    .pollfds = usb_pollfds,
    .deadline = usb_deadline,
    .service = usb_service,
    .read = usb_read,
    .present = usb_present,
    .inject = NULL,
};
