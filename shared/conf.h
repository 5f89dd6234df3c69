/*
 * conf: strict key = value configuration files (terminal, board, server).
 *
 *   # comment (whole lines only)
 *   [section]
 *   key = value
 *   name = "quoted value keeps # and surrounding spaces"
 *
 * Keys are matched against a caller-supplied schema as "section.key" (or
 * "key" before the first section).  Anything the schema does not name, a key
 * given twice in one file, a value of the wrong type or outside its range, a
 * line that is not a comment, section or assignment: each stops the load with
 * "file:line: reason" in the caller's buffer.  A required key that no file
 * sets is reported as "file: missing required key 'x'".  Optional keys keep
 * whatever the caller put in the destination before loading, and the schema
 * documents that default; nothing is defaulted silently on error.
 *
 * Several files can be layered onto one destination (a board file, then the
 * site's local file that overrides it): call tt_conf_parse_file for each with
 * the same `seen` array, then tt_conf_check_required once.
 */
#ifndef TT_CONF_H
#define TT_CONF_H

#include <stddef.h>

#include "err.h"

typedef enum {
    TT_CONF_STR,   /* char[size] at offset; value must be 1..size-1 bytes of UTF-8 */
    TT_CONF_INT,   /* long long at offset; decimal, within [min, max] */
    TT_CONF_BOOL,  /* int at offset; "true"/"false"/"yes"/"no"/"on"/"off"/"1"/"0" */
    TT_CONF_ENUM,  /* int at offset; index of the value in `choices` */
    TT_CONF_QTY,   /* tt_qty_t at offset; strict decimal, within [min, max] in thousandths */
    /* The three file types name a file that must be a readable regular file
     * when the line is parsed (else "name:line: reason").  A relative path
     * is relative to the folder of `name`, the file being parsed (a bare
     * name: the current directory). */
    TT_CONF_FILE,         /* char[size]: the path, stored resolved */
    TT_CONF_PRIVATE_FILE, /* as TT_CONF_FILE, and the file must give group and others no
                           * permission at all (a private key: chmod 600) */
    TT_CONF_SECRET_FILE,  /* a private file as above holding one line (a password):
                           * char[size] gets that line, without its line break; the
                           * path itself is not kept */
} tt_conf_type_t;

typedef struct {
    const char *key;              /* "section.key", or "key" for the top level */
    tt_conf_type_t type;
    int required;                 /* non-zero: some layer must set it */
    long long min, max;           /* TT_CONF_INT / TT_CONF_QTY bounds, inclusive */
    const char *const *choices;   /* TT_CONF_ENUM: NULL-terminated list */
    size_t offset;                /* offsetof(destination struct, field) */
    size_t size;                  /* TT_CONF_STR: sizeof the char array */
} tt_conf_key_t;

/* Longest message tt_conf writes ("name:line: reason"), with its NUL. */
#define TT_CONF_ERR_MAX 512
/* Longest accepted line, in bytes; longer lines are an error. */
#define TT_CONF_LINE_MAX 1024

/* Parses `len` bytes of `text` (need not be NUL-terminated) named `name` in
 * messages, storing values into `dst` per `keys` (nkeys entries).  `seen` is a
 * caller-owned array of nkeys bytes, zeroed by the caller before the first
 * layer; a key set by this call gets seen[i] = 1.
 * Returns TT_OK, or TT_ERR_CONFIG with "name:line: reason" in err (errlen
 * bytes, always NUL-terminated when errlen > 0).  On failure `dst` may hold
 * values from lines before the bad one: callers discard it.  A file-typed
 * key opens the file it names while its line is parsed: a missing,
 * unreadable or (for the private types) group- or world-accessible file is
 * a TT_ERR_CONFIG on that line. */
tt_err_t tt_conf_parse(const char *name, const char *text, size_t len,
                       const tt_conf_key_t *keys, size_t nkeys, void *dst,
                       unsigned char *seen, char *err, size_t errlen);

/* Reads the file at `path` (at most 1 MiB) and parses it as tt_conf_parse
 * does, naming it by its path.  Returns TT_OK, TT_ERR_CONFIG as above,
 * TT_ERR_IO with "path: strerror" when the file cannot be read, or
 * TT_ERR_NOMEM. */
tt_err_t tt_conf_parse_file(const char *path, const tt_conf_key_t *keys, size_t nkeys,
                            void *dst, unsigned char *seen, char *err, size_t errlen);

/* Checks that every required key has seen[i] set.  `name` names the layers in
 * the message ("terminal.conf").  Returns TT_OK, or TT_ERR_CONFIG with
 * "name: missing required key 'x'" for the first one missing. */
tt_err_t tt_conf_check_required(const char *name, const tt_conf_key_t *keys, size_t nkeys,
                                const unsigned char *seen, char *err, size_t errlen);

#endif
