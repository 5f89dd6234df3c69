/*
 * fsync_fault: an LD_PRELOAD shim for the integration tests that makes the
 * real tagtrail-edge's fsyncs fail, as a dying disk's do, without any test
 * hook in the product.
 *
 * fdatasync() and fsync() fail with EIO while the file named by the
 * environment variable TT_FSYNC_FAULT exists.  When that file starts with
 * "once", the first failing call also removes it, so exactly one fsync
 * fails; otherwise every call fails until the test removes the file.
 * Without the variable (or the file) both calls go to the C library.
 * SQLite syncs with fdatasync (Debian's build), so the terminal's store sees
 * SQLITE_IOERR_FSYNC.  The shim keeps no state of its own.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*sync_fn)(int fd);

/* Non-zero when this call must fail (and, for "once", the trigger is gone). */
static int fail_now(void)
{
    const char *path = getenv("TT_FSYNC_FAULT");
    char head[8] = "";
    FILE *f;

    if (!path || !(f = fopen(path, "r")))
        return 0;
    if (!fgets(head, sizeof head, f))
        head[0] = '\0';
    fclose(f);
    if (strncmp(head, "once", 4) == 0)
        unlink(path);
    return 1;
}

static int call_real(const char *name, int fd)
{
    sync_fn real;
    void *sym = dlsym(RTLD_NEXT, name);

    if (!sym) {
        errno = ENOSYS;
        return -1;
    }
    memcpy(&real, &sym, sizeof real);   /* object to function pointer, as POSIX allows */
    return real(fd);
}

int fdatasync(int fd)
{
    if (fail_now()) {
        errno = EIO;
        return -1;
    }
    return call_real("fdatasync", fd);
}

int fsync(int fd)
{
    if (fail_now()) {
        errno = EIO;
        return -1;
    }
    return call_real("fsync", fd);
}
