/*
 * webfiles: the web office's static pages: which file of its folder
 * (`[http] web_dir`) a URL names, its content type, and serving it over
 * libmicrohttpd with the headers a page needs (http.c hands over every
 * request outside /api/).
 *
 * Safe by construction: a URL path is taken only when every byte is one of
 * A-Z a-z 0-9 . _ - / and no segment is empty or starts with a dot (so no
 * "..", no hidden files, no "//"); the file it names must be a regular file
 * whose real path (symbolic links resolved) is inside the folder's real
 * path; and only known extensions are served (an unknown one is "not
 * found"), each with its content type.
 */
#ifndef TT_WEBFILES_H
#define TT_WEBFILES_H

#include <microhttpd.h>
#include <stddef.h>

#include "err.h"

/* Resolves URL path `url` (from "/", without the query) to a file under
 * `root`: "/" and any path ending in "/" name that folder's index.html.
 * On TT_OK out[cap] holds the real path of the file.  Returns
 * TT_ERR_INVAL for a path refused by the rules above, TT_ERR_NOTFOUND when
 * there is no such regular file (or it is outside root, or of an unknown
 * type), TT_ERR_TOOBIG when out is too small. */
tt_err_t tt_webfiles_resolve(const char *root, const char *url, char *out, size_t cap);

/* The Content-Type of a file by its extension ("text/html; charset=utf-8",
 * "text/javascript; charset=utf-8", ...); NULL for a type not served. */
const char *tt_webfiles_type(const char *path);

/* Answers a GET or HEAD of `url` on connection c with the file under root
 * (200, or 304 when If-None-Match has its ETag), with Cache-Control:
 * no-cache, an ETag, nosniff, no framing and a content security policy
 * allowing the site's own scripts, styles and connections only; 404 (plain
 * text) for anything not served, 405 for other methods.  Returns what
 * MHD_queue_response does (MHD_NO when out of memory). */
enum MHD_Result tt_webfiles_serve(const char *root, struct MHD_Connection *c, const char *url,
                                  const char *method);

#endif
