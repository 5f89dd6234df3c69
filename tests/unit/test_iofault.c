/*
 * I/O fault injection into both stores: no partial document is ever applied
 * or acknowledged.
 *
 * A wrapping SQLite VFS ("faulty") is registered as the process default
 * before any store is opened.  It delegates everything to the real default
 * VFS but, when armed, makes xWrite / xSync / xTruncate fail (SQLITE_IOERR_*)
 * once N of them have succeeded.  Each scenario first counts the calls of a
 * fault-free run, then is repeated on a fresh store for every N from 0 to
 * that count, in two modes: "sticky" (every call from the N-th on fails, a
 * dying disk) and "once" (only the N-th fails, the rollback's own I/O then
 * works).  After each run the faults are disarmed and the store is checked
 * through the product API, through a raw connection (PRAGMA integrity_check)
 * and again after a reopen: the document is there whole, with success
 * reported, or not at all, with failure reported (no ack); a retry then
 * stores it exactly once.
 *
 * Power cuts are simulated by copying the database and WAL files as they
 * are (what the disk would hold if every write reached it) and opening the
 * copy fresh, so SQLite recovers from the WAL.  For the terminal's outbox a
 * failure it reports (TT_ERR_DB) must be absent from such an image too: a
 * fsync that failed at COMMIT leaves the commit's frames whole in the WAL,
 * and the outbox settles the store before it reports.  When it cannot (the
 * disk keeps failing) it reports TT_ERR_INDOUBT, refuses every write, and
 * tt_outbox_settle gives the verdict once the disk works again.  A targeted
 * test takes an image before every write, sync and truncate of a document
 * whose WAL fsync fails, as a power cut at each of those moments.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db.h"
#include "event.h"
#include "support.h"
#include "ingest.h"
#include "outbox.h"

#define TERMINAL "T01"
#define BIG_CAP (1u << 20)
#define NOW 1764100000000LL
#define MAX_ACKS 8

/* --- the faulty VFS ------------------------------------------------------- */

typedef struct {
    sqlite3_file base;
    sqlite3_file *real;   /* the real VFS's file, right after this struct */
} ff_file_t;

/* The kinds of call the fault counts and fails. */
enum { FF_WRITE = 1, FF_SYNC = 2, FF_TRUNCATE = 4, FF_ALL = 7 };

#define MAX_IMAGES 64

struct fx;

static struct {
    int armed;
    int kinds;         /* FF_* mask of the calls counted (others pass untouched) */
    int sticky;        /* 1: every call from the after-th on fails; 0: only that one */
    long after;        /* successful calls allowed before the first failure */
    long calls;        /* counted calls seen while armed */
    long fired;        /* failures injected */
    /* Power-cut images before every write/sync/truncate (any kind), while
     * image_fx is set: the number of events each image holds (-1: the
     * image was unreadable or failed integrity_check), and for each whether
     * a failure had been injected before it. */
    struct fx *image_fx;
    int imaging;
    int nimages;
    long long image_events[MAX_IMAGES];
    int image_after_fault[MAX_IMAGES];
} fault;

static sqlite3_vfs *real_vfs;

static void fault_arm_kinds(long after, int sticky, int kinds)
{
    fault.after = after;
    fault.sticky = sticky;
    fault.kinds = kinds;
    fault.calls = 0;
    fault.fired = 0;
    fault.armed = 1;
}

static void fault_arm(long after, int sticky)
{
    fault_arm_kinds(after, sticky, FF_ALL);
}

static void fault_disarm(void)
{
    fault.armed = 0;
}

static void image_hook(void);

static int fault_hit(int kind)
{
    long n;

    image_hook();
    if (!fault.armed || !(fault.kinds & kind))
        return 0;
    n = fault.calls++;
    if (n < fault.after)
        return 0;
    if (!fault.sticky && n > fault.after)
        return 0;
    fault.fired++;
    return 1;
}

static sqlite3_file *real_of(sqlite3_file *f)
{
    return ((ff_file_t *)f)->real;
}

static int ff_close(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xClose(r);
}

static int ff_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xRead(r, buf, amt, off);
}

static int ff_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    sqlite3_file *r = real_of(f);
    if (fault_hit(FF_WRITE))
        return SQLITE_IOERR_WRITE;
    return r->pMethods->xWrite(r, buf, amt, off);
}

static int ff_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    sqlite3_file *r = real_of(f);
    if (fault_hit(FF_TRUNCATE))
        return SQLITE_IOERR_TRUNCATE;
    return r->pMethods->xTruncate(r, size);
}

static int ff_sync(sqlite3_file *f, int flags)
{
    sqlite3_file *r = real_of(f);
    if (fault_hit(FF_SYNC))
        return SQLITE_IOERR_FSYNC;
    return r->pMethods->xSync(r, flags);
}

static int ff_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xFileSize(r, size);
}

static int ff_lock(sqlite3_file *f, int lk)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xLock(r, lk);
}

static int ff_unlock(sqlite3_file *f, int lk)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xUnlock(r, lk);
}

static int ff_check_reserved(sqlite3_file *f, int *out)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xCheckReservedLock(r, out);
}

static int ff_file_control(sqlite3_file *f, int op, void *arg)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xFileControl(r, op, arg);
}

static int ff_sector_size(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xSectorSize(r);
}

static int ff_device_characteristics(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xDeviceCharacteristics(r);
}

static int ff_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmMap(r, pg, pgsz, extend, pp);
}

static int ff_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmLock(r, offset, n, flags);
}

static void ff_shm_barrier(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    r->pMethods->xShmBarrier(r);
}

static int ff_shm_unmap(sqlite3_file *f, int del)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmUnmap(r, del);
}

static int ff_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xFetch(r, off, amt, pp);
}

static int ff_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xUnfetch(r, off, p);
}

static const sqlite3_io_methods ff_io = {
    3,
    ff_close,
    ff_read,
    ff_write,
    ff_truncate,
    ff_sync,
    ff_file_size,
    ff_lock,
    ff_unlock,
    ff_check_reserved,
    ff_file_control,
    ff_sector_size,
    ff_device_characteristics,
    ff_shm_map,
    ff_shm_lock,
    ff_shm_barrier,
    ff_shm_unmap,
    ff_fetch,
    ff_unfetch,
};

static int ff_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *outflags)
{
    ff_file_t *p = (ff_file_t *)f;
    int rc;

    (void)vfs;
    p->real = (sqlite3_file *)(p + 1);
    memset(p->real, 0, (size_t)real_vfs->szOsFile);
    rc = real_vfs->xOpen(real_vfs, name, p->real, flags, outflags);
    /* SQLite calls xClose whenever pMethods is set, even after a failure. */
    p->base.pMethods = p->real->pMethods ? &ff_io : NULL;
    return rc;
}

static int ff_delete(sqlite3_vfs *vfs, const char *name, int syncdir)
{
    (void)vfs;
    return real_vfs->xDelete(real_vfs, name, syncdir);
}

static int ff_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int ff_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *ff_dlopen(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xDlOpen(real_vfs, name);
}

static void ff_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
    (void)vfs;
    real_vfs->xDlError(real_vfs, n, msg);
}

static void (*ff_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    (void)vfs;
    return real_vfs->xDlSym(real_vfs, h, sym);
}

static void ff_dlclose(sqlite3_vfs *vfs, void *h)
{
    (void)vfs;
    real_vfs->xDlClose(real_vfs, h);
}

static int ff_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, n, out);
}

static int ff_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return real_vfs->xSleep(real_vfs, us);
}

static int ff_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int ff_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, out) : 0;
}

static int ff_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static sqlite3_vfs ff_vfs = {
    .iVersion = 2,
    .zName = "tt_faulty",
    .xOpen = ff_open,
    .xDelete = ff_delete,
    .xAccess = ff_access,
    .xFullPathname = ff_full_pathname,
    .xDlOpen = ff_dlopen,
    .xDlError = ff_dlerror,
    .xDlSym = ff_dlsym,
    .xDlClose = ff_dlclose,
    .xRandomness = ff_randomness,
    .xSleep = ff_sleep,
    .xCurrentTime = ff_current_time,
    .xGetLastError = ff_get_last_error,
    .xCurrentTimeInt64 = ff_current_time_int64,
};

static int register_faulty_vfs(void)
{
    if (sqlite3_initialize() != SQLITE_OK)
        return -1;
    real_vfs = sqlite3_vfs_find(NULL);
    if (!real_vfs || real_vfs->iVersion < 2 || !real_vfs->xCurrentTimeInt64)
        return -1;
    ff_vfs.szOsFile = (int)sizeof(ff_file_t) + real_vfs->szOsFile;
    ff_vfs.mxPathname = real_vfs->mxPathname;
    return sqlite3_vfs_register(&ff_vfs, 1) == SQLITE_OK ? 0 : -1;
}

/* --- fixture and common helpers ------------------------------------------- */

typedef struct {
    char topic[TT_EVENT_TOPIC_MAX];
    char *payload;
    size_t len;
} got_ack_t;

typedef struct fx {
    char dir[64];
    char path[128];
    char *buf;            /* BIG_CAP bytes of scratch for outbox batches */
    tt_outbox_t *ob;
    tt_db_t *db;
    tt_ingest_t *ing;
    got_ack_t acks[MAX_ACKS];
    size_t nacks;
} fx_t;

/* Totals of a sweep, for the report. */
typedef struct {
    long points, failed, succeeded, fired_but_ok;
    long crash_kept_failed;   /* failure reported, yet a power cut then keeps it whole */
    long kept_at;             /* the last fault point where that happened */
    long indoubt;             /* outbox: TT_ERR_INDOUBT reported (not settled at once) */
    long doubt_kept;          /* ... and a power cut then would have kept it whole */
} sweep_t;

static void remove_store(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[160];

    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

static void clear_acks(fx_t *fx)
{
    for (size_t i = 0; i < fx->nacks; i++)
        free(fx->acks[i].payload);
    fx->nacks = 0;
}

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);

    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/tt_iofault_XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/store.db", fx->dir);
    fx->buf = malloc(BIG_CAP);
    if (!fx->buf) {
        rmdir(fx->dir);
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;

    fault_disarm();
    clear_acks(fx);
    tt_outbox_close(fx->ob);
    tt_ingest_free(fx->ing);
    tt_db_close(fx->db);
    remove_store(fx->path);
    rmdir(fx->dir);
    free(fx->buf);
    free(fx);
    return 0;
}

/* PRAGMA integrity_check through a raw read-only connection (faults off). */
static void assert_integrity_of(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    const unsigned char *txt;

    assert_int_equal(fault.armed, 0);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    txt = sqlite3_column_text(st, 0);
    if (!txt || strcmp((const char *)txt, "ok") != 0)
        fail_msg("integrity_check: %s", txt ? (const char *)txt : "(null)");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void assert_integrity(const fx_t *fx)
{
    assert_integrity_of(fx->path);
}

static long long query_int(const char *path, const char *sql, const char *arg)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static int count_rows(const fx_t *fx, const char *sql, const char *arg)
{
    return (int)query_int(fx->path, sql, arg);
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out;
    char buf[8192];
    size_t n;

    unlink(to);
    if (!in)
        return;   /* no such file (no WAL yet): the image has none either */
    out = fopen(to, "wb");
    assert_non_null(out);
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* What a power cut right now would leave: the database and WAL files as
 * they are on disk, copied aside (the -shm is memory, not kept), opened
 * fresh so SQLite recovers from the WAL.  Returns the image's path in
 * fx->dir; integrity_check must pass on it. */
static const char *crash_image(fx_t *fx)
{
    static char img[160];
    char from[170], to[170];

    assert_int_equal(fault.armed, 0);
    snprintf(img, sizeof img, "%s/crash.db", fx->dir);
    remove_store(img);
    copy_file(fx->path, img);
    snprintf(from, sizeof from, "%s-wal", fx->path);
    snprintf(to, sizeof to, "%s-wal", img);
    copy_file(from, to);
    /* A writable open first, so the WAL is recovered into a new -shm. */
    {
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open_v2(img, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "SELECT COUNT(*) FROM sqlite_master", NULL, NULL, NULL),
                         SQLITE_OK);
        sqlite3_close(db);
    }
    assert_integrity_of(img);
    return img;
}

/* copy_file without cmocka's asserts (see image_events_now): 0 or -1. */
static int copy_plain(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out;
    char buf[8192];
    size_t n;
    int rc = 0;

    unlink(to);
    if (!in)
        return 0;   /* no such file: the image has none either */
    out = fopen(to, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    fclose(in);
    if (fclose(out) != 0)
        rc = -1;
    return rc;
}

/* A power-cut image taken inside a VFS call, where a cmocka assert would
 * longjmp through SQLite: the number of events the recovered image holds,
 * or -1 when it cannot be read or fails PRAGMA integrity_check. */
static long long image_events_now(const fx_t *fx)
{
    char img[160], from[170], to[170];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;

    snprintf(img, sizeof img, "%s/hook.db", fx->dir);
    remove_store(img);
    snprintf(from, sizeof from, "%s-wal", fx->path);
    snprintf(to, sizeof to, "%s-wal", img);
    if (copy_plain(fx->path, img) != 0 || copy_plain(from, to) != 0)
        return -1;
    if (sqlite3_open_v2(img, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW &&
        strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0) {
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM event", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    remove_store(img);
    return n;
}

static void image_hook(void)
{
    int armed = fault.armed;

    if (!fault.image_fx || fault.imaging || fault.nimages >= MAX_IMAGES)
        return;
    fault.imaging = 1;   /* the image's own I/O comes through here too */
    fault.armed = 0;
    fault.image_after_fault[fault.nimages] = fault.fired > 0;
    fault.image_events[fault.nimages] = image_events_now(fault.image_fx);
    fault.nimages++;
    fault.armed = armed;
    fault.imaging = 0;
}

/* --- terminal: outbox ------------------------------------------------------ */

static void ob_open(fx_t *fx)
{
    char err[256] = "";
    tt_err_t rc;

    assert_int_equal(fault.armed, 0);
    rc = tt_outbox_open(fx->path, &fx->ob, err, sizeof err);
    if (rc != TT_OK)
        fail_msg("tt_outbox_open(%s): %d %s", fx->path, rc, err);
}

static void ob_reopen(fx_t *fx)
{
    tt_outbox_close(fx->ob);
    fx->ob = NULL;
    ob_open(fx);
}

static void ob_fresh(fx_t *fx)
{
    tt_outbox_close(fx->ob);
    fx->ob = NULL;
    remove_store(fx->path);
    ob_open(fx);
}

static tt_event_t nth_event(unsigned i)
{
    tt_event_t ev;

    memset(&ev, 0, sizeof ev);
    ev.type = i % 2 ? TT_EVENT_ISSUE : TT_EVENT_RECEIVE;
    ev.ts_ms = 1764099600000 + (int64_t)i * 1001;
    snprintf(ev.operator_id, sizeof ev.operator_id, "op%u", i);
    snprintf(ev.body.stock.warehouse, sizeof ev.body.stock.warehouse, "W%02u", i % 7);
    snprintf(ev.body.stock.item, sizeof ev.body.stock.item, "690123456%04u", i);
    ev.body.stock.qty = (tt_qty_t)(i + 1) * 1250;
    return ev;
}

/* The 5-line document: one event per line, all valid. */
static void doc5(tt_event_t evs[5])
{
    for (unsigned i = 0; i < 5; i++) {
        evs[i] = nth_event(10 + i);
        evs[i].body.stock.ref[0] = '\0';
    }
}

static void ob_check_batch(fx_t *fx, int with_doc);

static void ob_stats(const fx_t *fx, uint64_t last, uint64_t synced, uint64_t rejected)
{
    tt_outbox_stats_t st;

    tt_outbox_stats(fx->ob, &st);
    assert_int_equal(st.last_seq, last);
    assert_int_equal(st.synced, synced);
    assert_int_equal(st.rejected, rejected);
}

static void ob_unsettled(const fx_t *fx, int unsettled)
{
    tt_outbox_stats_t st;

    tt_outbox_stats(fx->ob, &st);
    assert_int_equal(st.unsettled, unsettled);
}

/* An unsettled store refuses every write (TT_ERR_BUSY: not tried) and
 * numbers nothing. */
static void ob_check_refusing(fx_t *fx)
{
    tt_event_t more = nth_event(30);
    tt_outbox_stats_t before, after;
    tt_master_page_t page;

    tt_outbox_stats(fx->ob, &before);
    assert_int_equal(before.unsettled, 1);
    assert_int_equal(tt_outbox_append(fx->ob, &more), TT_ERR_BUSY);
    assert_int_equal(more.seq, 0);
    assert_int_equal(tt_outbox_ack(fx->ob, 1, NULL, 0), TT_ERR_BUSY);
    memset(&page, 0, sizeof page);
    page.last = 1;
    page.to = 9;
    assert_int_equal(tt_outbox_master_apply(fx->ob, &page), TT_ERR_BUSY);
    tt_outbox_stats(fx->ob, &after);
    assert_int_equal(after.last_seq, before.last_seq);
    assert_int_equal(after.synced, before.synced);
    assert_int_equal(after.master_version, before.master_version);
}

/* The store holds the seed event (seq 1) and, when `with_doc`, exactly the
 * five document events as seqs 2..6, field for field. */
static void ob_check_content(fx_t *fx, int with_doc)
{
    assert_int_equal(count_rows(fx, "SELECT COUNT(*) FROM movement", NULL), with_doc ? 6 : 1);
    ob_check_batch(fx, with_doc);
}

/* After a power cut the document is whole or absent; returns 1 if whole.
 * TT_OK means it must be whole. */
static int ob_crash_check(fx_t *fx, int ok)
{
    const char *img = crash_image(fx);
    long long ev = query_int(img, "SELECT COUNT(*) FROM event", NULL);
    long long mv = query_int(img, "SELECT COUNT(*) FROM movement", NULL);

    if (!((ev == 1 && mv == 1) || (ev == 6 && mv == 6)))
        fail_msg("power-cut image holds %lld events, %lld movements: a partial document", ev,
                 mv);
    if (ok && ev != 6)
        fail_msg("TT_OK returned but a power cut loses the document");
    remove_store(img);
    return ev == 6;
}

static void ob_check_batch(fx_t *fx, int with_doc)
{
    tt_event_t want[5];
    tt_event_batch_t *b = NULL;
    char reason[TT_EVENT_REASON_MAX] = "";
    size_t len = 0;
    uint64_t first = 0, last = 0;
    tt_err_t rc;

    assert_int_equal(count_rows(fx, "SELECT COUNT(*) FROM event", NULL), with_doc ? 6 : 1);
    rc = tt_outbox_batch(fx->ob, TERMINAL, 1, 100, fx->buf, BIG_CAP, &len, &first, &last);
    if (!with_doc) {
        assert_int_equal(rc, TT_ERR_NOTFOUND);
        return;
    }
    assert_int_equal(rc, TT_OK);
    assert_int_equal(first, 2);
    assert_int_equal(last, 6);
    rc = tt_event_batch_decode(fx->buf, len, TERMINAL, &b, reason, sizeof reason);
    if (rc != TT_OK)
        fail_msg("batch does not decode (%d): %s", rc, reason);
    assert_int_equal(b->count, 5);
    doc5(want);
    for (size_t i = 0; i < 5; i++) {
        const tt_event_t *got = &b->items[i].ev;
        assert_int_equal(b->items[i].err, TT_OK);
        assert_int_equal(got->seq, 2 + i);
        assert_int_equal(got->ts_ms, want[i].ts_ms);
        assert_int_equal(got->type, want[i].type);
        assert_string_equal(got->operator_id, want[i].operator_id);
        assert_string_equal(got->body.stock.warehouse, want[i].body.stock.warehouse);
        assert_string_equal(got->body.stock.item, want[i].body.stock.item);
        assert_int_equal(got->body.stock.qty, want[i].body.stock.qty);
    }
    tt_event_batch_free(b);
}

/* One run of append_many(doc) with the fault after `after` calls; returns
 * the calls seen (for calibration with after = LONG_MAX). */
static long ob_append_run(fx_t *fx, long after, int sticky, sweep_t *sw)
{
    tt_event_t seed = nth_event(1), evs[5];
    tt_err_t rc;
    long calls, fired;
    int ok, doubt, kept;

    ob_fresh(fx);
    assert_int_equal(tt_outbox_append(fx->ob, &seed), TT_OK);
    assert_int_equal(seed.seq, 1);
    doc5(evs);

    fault_arm(after, sticky);
    rc = tt_outbox_append_many(fx->ob, evs, 5);
    calls = fault.calls;
    fired = fault.fired;
    fault_disarm();
    ok = rc == TT_OK;
    doubt = rc == TT_ERR_INDOUBT;
    if (!ok && fired == 0)
        fail_msg("append_many failed (%d) with no fault injected", rc);
    kept = ob_crash_check(fx, ok);
    if (!ok && !doubt && kept)
        fail_msg("append_many reported failure (%d) at fault point %ld (%s), yet a power cut now"
                 " keeps the document: a retry would record it twice",
                 rc, after, sticky ? "sticky" : "once");
    if (!ok)
        for (unsigned i = 0; i < 5; i++)
            assert_int_equal(evs[i].seq, 0);

    if (doubt) {
        uint64_t first = 99, last = 99;

        /* Not settled: nothing is written until the disk works again. */
        ob_check_refusing(fx);
        ob_stats(fx, 1, 0, 0);
        /* It works again: settling gives the verdict, and a power cut from
         * then on agrees with it. */
        assert_int_equal(tt_outbox_settle(fx->ob, &first, &last), TT_OK);
        ob_unsettled(fx, 0);
        if (!((first == 0 && last == 0) || (first == 2 && last == 6)))
            fail_msg("settled with verdict %llu..%llu", (unsigned long long)first,
                     (unsigned long long)last);
        ok = first == 2;
        if (ob_crash_check(fx, ok) != ok)
            fail_msg("settled as %s, but a power cut now says otherwise",
                     ok ? "stored" : "not stored");
        if (sw) {
            sw->indoubt++;
            if (kept)
                sw->doubt_kept++;
        }
    }

    if (ok) {
        if (!doubt)
            for (unsigned i = 0; i < 5; i++)
                assert_int_equal(evs[i].seq, 2 + i);
        ob_stats(fx, 6, 0, 0);
    } else {
        ob_stats(fx, 1, 0, 0);
    }
    ob_unsettled(fx, 0);
    if (sw) {
        sw->points++;
        if (ok)
            sw->succeeded++;
        else
            sw->failed++;
        if (ok && fired)
            sw->fired_but_ok++;
    }

    /* Same handle, faults off: what it reads is what it reported. */
    assert_integrity(fx);
    ob_check_content(fx, ok);

    if (!ok && after % 2 == 0) {
        /* Retry on the same handle: seqs continue where they really are. */
        doc5(evs);
        assert_int_equal(tt_outbox_append_many(fx->ob, evs, 5), TT_OK);
        for (unsigned i = 0; i < 5; i++)
            assert_int_equal(evs[i].seq, 2 + i);
        ok = 1;
    }

    /* Reopen: the disk says the same. */
    ob_reopen(fx);
    assert_integrity(fx);
    ob_stats(fx, ok ? 6 : 1, 0, 0);
    ob_check_content(fx, ok);
    if (!ok) {
        doc5(evs);
        assert_int_equal(tt_outbox_append_many(fx->ob, evs, 5), TT_OK);
        for (unsigned i = 0; i < 5; i++)
            assert_int_equal(evs[i].seq, 2 + i);
        ob_reopen(fx);
        ob_stats(fx, 6, 0, 0);
        ob_check_content(fx, 1);
    }
    assert_integrity(fx);
    return calls;
}

static const tt_event_rejection_t ack_rej[2] = {
    {.seq = 2, .reason = "insufficient stock of ROPE in W01: on hand 1, short 2"},
    {.seq = 4, .reason = "body.qty: must be greater than zero"},
};

/* The ack (4, rejections of 2 and 4) is in the store whole, or not at all. */
static void ob_check_ack(fx_t *fx, int acked)
{
    char reason[TT_EVENT_REASON_MAX];

    ob_stats(fx, 5, acked ? 4 : 0, acked ? 2 : 0);
    if (acked) {
        assert_int_equal(tt_outbox_rejection(fx->ob, 2, reason, sizeof reason), TT_OK);
        assert_string_equal(reason, ack_rej[0].reason);
        assert_int_equal(tt_outbox_rejection(fx->ob, 4, reason, sizeof reason), TT_OK);
        assert_string_equal(reason, ack_rej[1].reason);
    } else {
        assert_int_equal(tt_outbox_rejection(fx->ob, 2, reason, sizeof reason), TT_ERR_NOTFOUND);
        assert_int_equal(tt_outbox_rejection(fx->ob, 4, reason, sizeof reason), TT_ERR_NOTFOUND);
    }
    assert_int_equal(tt_outbox_rejection(fx->ob, 3, reason, sizeof reason), TT_ERR_NOTFOUND);
    assert_int_equal(count_rows(fx, "SELECT COUNT(*) FROM event", NULL), 5);
}

/* The synced watermark a power cut now would leave; fails on a partial ack. */
static long long ob_ack_crash_synced(fx_t *fx)
{
    const char *img = crash_image(fx);
    long long synced = query_int(img, "SELECT value FROM state WHERE key = 'synced'", NULL);
    long long nrej = query_int(img, "SELECT COUNT(*) FROM rejection", NULL);

    if (!((synced == 0 && nrej == 0) || (synced == 4 && nrej == 2)))
        fail_msg("power-cut image: synced %lld with %lld rejections: a partial ack", synced, nrej);
    remove_store(img);
    return synced;
}

static long ob_ack_run(fx_t *fx, long after, int sticky, sweep_t *sw)
{
    tt_err_t rc;
    long calls, fired;
    int ok, doubt;
    long long synced;

    ob_fresh(fx);
    for (unsigned i = 1; i <= 5; i++) {
        tt_event_t ev = nth_event(i);
        assert_int_equal(tt_outbox_append(fx->ob, &ev), TT_OK);
    }

    fault_arm(after, sticky);
    rc = tt_outbox_ack(fx->ob, 4, ack_rej, 2);
    calls = fault.calls;
    fired = fault.fired;
    fault_disarm();
    ok = rc == TT_OK;
    doubt = rc == TT_ERR_INDOUBT;
    if (!ok && fired == 0)
        fail_msg("ack failed (%d) with no fault injected", rc);
    synced = ob_ack_crash_synced(fx);
    if (ok && synced != 4)
        fail_msg("TT_OK returned but a power cut loses the ack");
    if (!ok && !doubt && synced == 4)
        fail_msg("ack reported failed (%d) at fault point %ld, yet a power cut now keeps it", rc,
                 after);
    if (doubt) {
        uint64_t first = 99, last = 99;
        tt_outbox_stats_t st;

        ob_check_refusing(fx);
        assert_int_equal(tt_outbox_settle(fx->ob, &first, &last), TT_OK);
        assert_int_equal(first, 0);   /* not an append: no seqs to name */
        assert_int_equal(last, 0);
        ob_unsettled(fx, 0);
        /* The verdict is what the store now holds, and a power cut agrees. */
        tt_outbox_stats(fx->ob, &st);
        ok = st.synced == 4;
        if (ob_ack_crash_synced(fx) != (ok ? 4 : 0))
            fail_msg("settled with synced %llu, but a power cut now says otherwise",
                     (unsigned long long)st.synced);
        if (sw) {
            sw->indoubt++;
            if (synced == 4)
                sw->doubt_kept++;
        }
    }
    if (sw) {
        sw->points++;
        if (ok)
            sw->succeeded++;
        else
            sw->failed++;
        if (ok && fired)
            sw->fired_but_ok++;
    }

    ob_check_ack(fx, ok);
    assert_integrity(fx);
    if (!ok && after % 2 == 0) {
        assert_int_equal(tt_outbox_ack(fx->ob, 4, ack_rej, 2), TT_OK);
        ok = 1;
        ob_check_ack(fx, 1);
    }
    ob_reopen(fx);
    assert_integrity(fx);
    ob_check_ack(fx, ok);
    if (!ok) {
        assert_int_equal(tt_outbox_ack(fx->ob, 4, ack_rej, 2), TT_OK);
        ob_check_ack(fx, 1);
        ob_reopen(fx);
        ob_check_ack(fx, 1);
    }
    /* A resend of the same ack changes nothing. */
    assert_int_equal(tt_outbox_ack(fx->ob, 4, ack_rej, 2), TT_OK);
    ob_check_ack(fx, 1);
    assert_integrity(fx);
    return calls;
}

typedef long (*run_fn)(fx_t *fx, long after, int sticky, sweep_t *sw);

/* Calibrates, then fails at every point 0..calls in both modes. */
static void sweep(fx_t *fx, const char *name, run_fn run)
{
    long calls = run(fx, LONG_MAX, 1, NULL);
    sweep_t sw[2];

    assert_true(calls > 0);
    memset(sw, 0, sizeof sw);
    for (int sticky = 1; sticky >= 0; sticky--)
        for (long n = 0; n <= calls; n++)
            run(fx, n, sticky, &sw[sticky]);
    for (int sticky = 1; sticky >= 0; sticky--) {
        print_message("[ iofault ] %s, %s: %ld fault points (write/sync/truncate calls: %ld):"
                      " %ld failed whole, %ld succeeded whole (%ld of them despite a fault);"
                      " power-cut images whole or empty at all points, %ld failures kept whole"
                      " by one (last at point %ld); %ld in doubt until settled (%ld of them"
                      " whole in a power cut meanwhile)\n",
                      name, sticky ? "sticky" : "once", sw[sticky].points, calls,
                      sw[sticky].failed, sw[sticky].succeeded, sw[sticky].fired_but_ok,
                      sw[sticky].crash_kept_failed, sw[sticky].kept_at, sw[sticky].indoubt,
                      sw[sticky].doubt_kept);
        /* The injection must really have hit the operation. */
        assert_true(sw[sticky].failed > 0);
    }
    /* N = calls injects nothing in sticky mode: that run must succeed. */
    assert_true(sw[1].succeeded > 0);
}

static void test_outbox_append_many_faults(void **state)
{
    sweep(*state, "outbox append_many (5 lines)", ob_append_run);
}

static void test_outbox_ack_faults(void **state)
{
    sweep(*state, "outbox ack (applied 4, 2 rejections)", ob_ack_run);
}

/* The event seqs of the store at `path`, in order, as "1,2,3". */
static void seq_list(const char *path, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    size_t used = 0;

    out[0] = '\0';
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq FROM event ORDER BY seq", -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW && used + 24 < cap)
        used += (size_t)snprintf(out + used, cap - used, "%s%lld", used ? "," : "",
                                 (long long)sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* A restart after a power cut now: the image becomes the store, opened by
 * the outbox; the storekeeper then commits the document (again).  The
 * store must number it 2..6 and hold seqs 1..6 exactly. */
static void restart_and_retry(fx_t *fx, int doc_kept)
{
    char err[256] = "", seqs[128];
    tt_outbox_t *ob = NULL;
    tt_outbox_stats_t st;
    tt_event_t evs[5];
    const char *img = crash_image(fx);

    assert_int_equal(tt_outbox_open(img, &ob, err, sizeof err), TT_OK);
    tt_outbox_stats(ob, &st);
    assert_int_equal(st.last_seq, doc_kept ? 6 : 1);
    assert_int_equal(st.unsettled, 0);
    if (!doc_kept) {
        doc5(evs);
        assert_int_equal(tt_outbox_append_many(ob, evs, 5), TT_OK);
        assert_int_equal(evs[0].seq, 2);
        assert_int_equal(evs[4].seq, 6);
    }
    tt_outbox_close(ob);
    seq_list(img, seqs, sizeof seqs);
    assert_string_equal(seqs, "1,2,3,4,5,6");
    assert_integrity_of(img);
    remove_store(img);
}

/* Counts the images taken during the last armed call: whole (6 events),
 * absent (1), and how many of the whole ones came after the injected
 * failure.  Any other image is a partial or broken store. */
static void count_images(int *whole, int *absent, int *whole_after_fault)
{
    *whole = *absent = *whole_after_fault = 0;
    for (int i = 0; i < fault.nimages; i++) {
        if (fault.image_events[i] == 6) {
            (*whole)++;
            if (fault.image_after_fault[i])
                (*whole_after_fault)++;
        } else if (fault.image_events[i] == 1) {
            (*absent)++;
        } else {
            fail_msg("power-cut image %d of %d holds %lld events: partial or broken", i,
                     fault.nimages, fault.image_events[i]);
        }
    }
}

/* The known hazard, step by step.  The WAL's fsync fails at the COMMIT of
 * a 5-line document (seq 1 already stored), after the commit's frames were
 * written whole into the file; a power cut is simulated before every
 * write, sync and truncate from then on (and after the call returns).
 *
 * Once (the disk recovers at once): right after the failed fsync a power
 * cut would keep the document, but the outbox settles the store before it
 * answers, and the answer is TT_ERR_DB; from then on no power cut brings
 * the document back, and the storekeeper's retry numbers it 2..6 both on
 * the running terminal and on one restarted from a power cut.
 *
 * Sticky (every fsync fails from then on): the outbox cannot settle and
 * says TT_ERR_INDOUBT, not "failed", and refuses every write; a power cut
 * meanwhile may keep the document, which is why the storekeeper was not
 * told it failed.  When the disk works again tt_outbox_settle proves it
 * absent, a power cut agrees, and the retry numbers it 2..6. */
static void test_outbox_fsync_fail_power_cut(void **state)
{
    fx_t *fx = *state;
    tt_event_t seed = nth_event(1), evs[5];
    char seqs[128];
    long syncs;
    int whole, absent, whole_after;

    /* Calibration: the document's commit makes one sync, the WAL's. */
    ob_fresh(fx);
    assert_int_equal(tt_outbox_append(fx->ob, &seed), TT_OK);
    doc5(evs);
    fault_arm_kinds(LONG_MAX, 1, FF_SYNC);
    assert_int_equal(tt_outbox_append_many(fx->ob, evs, 5), TT_OK);
    syncs = fault.calls;
    fault_disarm();
    assert_int_equal(syncs, 1);

    for (int sticky = 0; sticky <= 1; sticky++) {
        uint64_t first = 99, last = 99;
        tt_err_t rc;

        ob_fresh(fx);
        seed = nth_event(1);
        assert_int_equal(tt_outbox_append(fx->ob, &seed), TT_OK);
        doc5(evs);
        fault.nimages = 0;
        fault.image_fx = fx;
        fault_arm_kinds(0, sticky, FF_SYNC);
        rc = tt_outbox_append_many(fx->ob, evs, 5);
        fault_disarm();
        image_hook();   /* and the moment the call has returned */
        fault.image_fx = NULL;
        assert_true(fault.fired >= 1);
        count_images(&whole, &absent, &whole_after);
        /* The hazard is real: the failed fsync left the document whole. */
        assert_true(whole_after >= 1);
        assert_int_equal(evs[0].seq, 0);
        assert_int_equal(fault.image_events[fault.nimages - 1], sticky ? 6 : 1);
        print_message("[ iofault ] WAL fsync fails at COMMIT (%s): %s; %d power-cut images during"
                      " the call: %d whole (%d of them after the failed fsync, before the"
                      " answer), %d without the document; at the answer: %s\n",
                      sticky ? "and every sync after it" : "once",
                      sticky ? "TT_ERR_INDOUBT" : "TT_ERR_DB", fault.nimages, whole, whole_after,
                      absent, sticky ? "whole (in doubt, so not reported as failed)" : "absent");
        if (!sticky) {
            assert_int_equal(rc, TT_ERR_DB);
            ob_unsettled(fx, 0);
            ob_stats(fx, 1, 0, 0);
            restart_and_retry(fx, 0);
        } else {
            assert_int_equal(rc, TT_ERR_INDOUBT);
            ob_check_refusing(fx);
            /* A power cut now: the document may come back whole; it was
             * never reported as failed. */
            restart_and_retry(fx, 1);
            /* Still failing: settling is refused, nothing changes. */
            fault_arm_kinds(0, 1, FF_SYNC);
            assert_int_equal(tt_outbox_settle(fx->ob, &first, &last), TT_ERR_INDOUBT);
            fault_disarm();
            ob_check_refusing(fx);
            /* The disk works again. */
            assert_int_equal(tt_outbox_settle(fx->ob, &first, &last), TT_OK);
            assert_int_equal(first, 0);
            assert_int_equal(last, 0);
            ob_unsettled(fx, 0);
            ob_stats(fx, 1, 0, 0);
            restart_and_retry(fx, 0);
        }
        /* The running terminal: the storekeeper's retry. */
        doc5(evs);
        assert_int_equal(tt_outbox_append_many(fx->ob, evs, 5), TT_OK);
        assert_int_equal(evs[0].seq, 2);
        assert_int_equal(evs[4].seq, 6);
        ob_check_content(fx, 1);
        assert_int_equal(ob_crash_check(fx, 1), 1);
        ob_reopen(fx);
        seq_list(fx->path, seqs, sizeof seqs);
        assert_string_equal(seqs, "1,2,3,4,5,6");
        assert_integrity(fx);
        {
            tt_outbox_stats_t st;
            tt_outbox_stats(fx->ob, &st);
            assert_true(st.store_faults >= 1);   /* settled at least once */
        }
    }
}

/* --- server: ingest over db ----------------------------------------------- */

static void srv_open(fx_t *fx)
{
    char err[256] = "";
    tt_ingest_conf_t conf = {.max_payload = 4096, .hold_max = 1000};
    tt_err_t rc;

    assert_int_equal(fault.armed, 0);
    rc = tt_db_open(fx->path, 0, &fx->db, err, sizeof err);
    if (rc != TT_OK)
        fail_msg("tt_db_open(%s): %d %s", fx->path, rc, err);
    assert_int_equal(tt_ingest_new(&conf, fx->db, NULL, &fx->ing), TT_OK);
}

static void srv_close(fx_t *fx)
{
    tt_ingest_free(fx->ing);
    fx->ing = NULL;
    tt_db_close(fx->db);
    fx->db = NULL;
}

static tt_event_t sev(uint64_t seq, tt_event_type_t type, tt_qty_t qty)
{
    tt_event_t ev;

    memset(&ev, 0, sizeof ev);
    ev.seq = seq;
    ev.type = type;
    ev.ts_ms = 1764099600000LL + (int64_t)seq * 1000;
    snprintf(ev.operator_id, sizeof ev.operator_id, "zhang3");
    snprintf(ev.body.stock.warehouse, sizeof ev.body.stock.warehouse, "W01");
    snprintf(ev.body.stock.item, sizeof ev.body.stock.item, "ROPE");
    ev.body.stock.qty = qty;
    return ev;
}

static void on_ack(void *ctx, const char *topic, const char *payload, size_t len)
{
    fx_t *fx = ctx;
    got_ack_t *a;

    assert_true(fx->nacks < MAX_ACKS);
    a = &fx->acks[fx->nacks++];
    snprintf(a->topic, sizeof a->topic, "%s", topic);
    a->payload = malloc(len + 1);
    assert_non_null(a->payload);
    memcpy(a->payload, payload, len);
    a->payload[len] = '\0';
    a->len = len;
}

/* One round of one message; returns TT_OK or the first failure (after
 * which the round is aborted as the API asks). */
static tt_err_t srv_round(fx_t *fx, const char *payload, size_t len)
{
    char topic[TT_EVENT_TOPIC_MAX];
    tt_err_t rc;

    clear_acks(fx);
    assert_int_equal(tt_event_topic(topic, sizeof topic, TERMINAL, TT_EVENT_LEAF_EVENTS), TT_OK);
    rc = tt_ingest_begin(fx->ing);
    if (rc != TT_OK)
        return rc;
    rc = tt_ingest_message(fx->ing, topic, payload, len, NOW);
    if (rc != TT_OK) {
        tt_ingest_abort(fx->ing);
        return rc;
    }
    return tt_ingest_commit(fx->ing, on_ack, fx);
}

static void expect_one_ack(fx_t *fx, uint64_t applied)
{
    char topic[TT_EVENT_TOPIC_MAX];
    char reason[TT_EVENT_REASON_MAX] = "";
    tt_event_ack_t *ack = NULL;

    assert_int_equal(fx->nacks, 1);
    assert_int_equal(tt_event_topic(topic, sizeof topic, TERMINAL, TT_EVENT_LEAF_ACK), TT_OK);
    assert_string_equal(fx->acks[0].topic, topic);
    if (tt_event_ack_decode(fx->acks[0].payload, fx->acks[0].len, TERMINAL, &ack, reason,
                            sizeof reason) != TT_OK)
        fail_msg("ack does not decode: %s: %s", reason, fx->acks[0].payload);
    assert_int_equal(ack->applied, applied);
    assert_int_equal(ack->nrejected, 0);
    tt_event_ack_free(ack);
}

typedef struct {
    tt_qty_t qty;
    int rows;
} stock_q_t;

static int stock_cb(void *ctx, const char *warehouse, const char *item, tt_qty_t qty)
{
    stock_q_t *q = ctx;

    (void)warehouse;
    (void)item;
    q->qty = qty;
    q->rows++;
    return 0;
}

#define SEED_QTY 10000
#define DOC_QTY (5500 - 3250 + 100)

/* The journal and stock hold the seed (seq 1) and, when `with_doc`, the
 * whole 3-line document (seqs 2..4), each once. */
static void srv_check(fx_t *fx, int with_doc)
{
    stock_q_t q = {0, 0};
    uint64_t applied = 0;

    assert_int_equal(count_rows(fx, "SELECT COUNT(*) FROM event WHERE terminal = ?1", TERMINAL),
                     with_doc ? 4 : 1);
    assert_int_equal(count_rows(fx,
                                "SELECT COUNT(*) FROM event WHERE terminal = ?1"
                                " AND status = 'applied'",
                                TERMINAL),
                     with_doc ? 4 : 1);
    assert_int_equal(tt_db_stock_each(fx->db, "W01", "ROPE", stock_cb, &q), TT_OK);
    assert_int_equal(q.rows, 1);
    assert_int_equal(q.qty, with_doc ? SEED_QTY + DOC_QTY : SEED_QTY);
    assert_int_equal(tt_db_terminal_applied(fx->db, TERMINAL, &applied), TT_OK);
    assert_int_equal(applied, with_doc ? 4 : 1);
}

static long srv_run(fx_t *fx, long after, int sticky, sweep_t *sw)
{
    tt_event_t seed = sev(1, TT_EVENT_RECEIVE, SEED_QTY);
    tt_event_t doc[3] = {sev(2, TT_EVENT_RECEIVE, 5500), sev(3, TT_EVENT_ISSUE, 3250),
                         sev(4, TT_EVENT_RECEIVE, 100)};
    char *p;
    size_t len = 0;
    tt_err_t rc;
    long calls, fired;
    int ok;

    srv_close(fx);
    remove_store(fx->path);
    srv_open(fx);
    p = tt_test_batch(TERMINAL, 0, &seed, 1, &len);
    assert_int_equal(srv_round(fx, p, len), TT_OK);
    free(p);
    expect_one_ack(fx, 1);

    p = tt_test_batch(TERMINAL, 0, doc, 3, &len);
    fault_arm(after, sticky);
    rc = srv_round(fx, p, len);
    calls = fault.calls;
    fired = fault.fired;
    fault_disarm();
    ok = rc == TT_OK;
    {
        const char *img = crash_image(fx);
        long long ev = query_int(img, "SELECT COUNT(*) FROM event WHERE terminal = ?1", TERMINAL);
        long long qty = query_int(img, "SELECT qty FROM stock WHERE warehouse = 'W01'"
                                       " AND item = 'ROPE'", NULL);
        long long ap = query_int(img, "SELECT applied_seq FROM terminal WHERE id = ?1", TERMINAL);

        if (!((ev == 1 && qty == SEED_QTY && ap == 1) ||
              (ev == 4 && qty == SEED_QTY + DOC_QTY && ap == 4)))
            fail_msg("power-cut image: %lld events, stock %lld, applied %lld: a partial document",
                     ev, qty, ap);
        if (ok && ev != 4)
            fail_msg("acknowledged but a power cut loses the document");
        if (!ok && ev == 4 && sw) {
            sw->crash_kept_failed++;
            sw->kept_at = after;
        }
        remove_store(img);
    }

    if (ok) {
        expect_one_ack(fx, 4);
    } else {
        if (fired == 0)
            fail_msg("round failed (%d) with no fault injected", rc);
        if (fx->nacks != 0)
            fail_msg("round failed (%d) at fault point %ld but %zu ack(s) were handed out", rc,
                     after, fx->nacks);
    }
    if (sw) {
        sw->points++;
        if (ok)
            sw->succeeded++;
        else
            sw->failed++;
        if (ok && fired)
            sw->fired_but_ok++;
    }
    assert_integrity(fx);
    srv_check(fx, ok);

    if (after % 2 == 1) {
        srv_close(fx);
        srv_open(fx);
        assert_integrity(fx);
        srv_check(fx, ok);
    }
    /* The terminal resends (no ack, or a lost one): applied exactly once. */
    assert_int_equal(srv_round(fx, p, len), TT_OK);
    expect_one_ack(fx, 4);
    srv_check(fx, 1);
    free(p);
    srv_close(fx);
    srv_open(fx);
    assert_integrity(fx);
    srv_check(fx, 1);
    return calls;
}

static void test_ingest_faults(void **state)
{
    sweep(*state, "server ingest round (3 lines)", srv_run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_outbox_append_many_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_ack_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_fsync_fail_power_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_faults, setup, teardown),
    };

    if (register_faulty_vfs() != 0) {
        fprintf(stderr, "cannot register the faulty VFS\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
