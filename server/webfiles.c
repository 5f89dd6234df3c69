#include "webfiles.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext, *type;
} TYPES[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

const char *tt_webfiles_type(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++) {
        size_t e = strlen(TYPES[i].ext);
        if (n > e && strcmp(path + n - e, TYPES[i].ext) == 0)
            return TYPES[i].type;
    }
    return NULL;
}

/* The URL rules: bytes, segments, length. */
static int url_allowed(const char *url)
{
    size_t n = strlen(url);
    if (n == 0 || url[0] != '/' || n > 200)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = url[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '/'))
            return 0;
        if (c == '/' && i + 1 < n && (url[i + 1] == '/' || url[i + 1] == '.'))
            return 0;   /* an empty segment, or one starting with a dot */
    }
    return 1;
}

tt_err_t tt_webfiles_resolve(const char *root, const char *url, char *out, size_t cap)
{
    char joined[PATH_MAX], real_root[PATH_MAX], real[PATH_MAX];
    size_t rn;
    struct stat st;
    int n;

    if (!root || !root[0] || !url || !url_allowed(url))
        return TT_ERR_INVAL;
    n = snprintf(joined, sizeof joined, "%s%s%s", root, url,
                 url[strlen(url) - 1] == '/' ? "index.html" : "");
    if (n < 0 || (size_t)n >= sizeof joined)
        return TT_ERR_INVAL;
    if (!realpath(root, real_root) || !realpath(joined, real))
        return TT_ERR_NOTFOUND;
    rn = strlen(real_root);
    if (strncmp(real, real_root, rn) != 0 || real[rn] != '/')
        return TT_ERR_NOTFOUND;
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode) || !tt_webfiles_type(real))
        return TT_ERR_NOTFOUND;
    if (strlen(real) >= cap)
        return TT_ERR_TOOBIG;
    memcpy(out, real, strlen(real) + 1);
    return TT_OK;
}

/* A short plain-text answer (errors of the pages are for a person). */
static enum MHD_Result plain(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                             MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The web office's pages: GET (or HEAD) of a file under web_dir, with an
 * ETag for revalidation and a content security policy that allows the
 * site's own scripts and styles only. */
enum MHD_Result tt_webfiles_serve(const char *root, struct MHD_Connection *c, const char *url,
                                  const char *method)
{
    char path[1024], etag[64];
    const char *inm;
    struct MHD_Response *r;
    struct stat st;
    enum MHD_Result ret;
    unsigned status = MHD_HTTP_OK;
    int fd;

    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return plain(c, MHD_HTTP_METHOD_NOT_ALLOWED, "pages are read with GET\n");
    if (!root || !root[0] || tt_webfiles_resolve(root, url, path, sizeof path) != TT_OK)
        return plain(c, MHD_HTTP_NOT_FOUND, "no such page\n");
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return plain(c, MHD_HTTP_NOT_FOUND, "no such page\n");
    }
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_mtime,
             (unsigned long long)st.st_size);
    inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    if (inm && strcmp(inm, etag) == 0) {
        close(fd);
        status = MHD_HTTP_NOT_MODIFIED;
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    } else {
        r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);   /* closes fd */
    }
    if (!r) {
        if (status == MHD_HTTP_OK)
            close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", tt_webfiles_type(path));
    /* Always revalidated (cheap with the ETag), so a new release shows at once. */
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "ETag", etag);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self';"
                            " img-src 'self' data:; connect-src 'self'; object-src 'none';"
                            " base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

