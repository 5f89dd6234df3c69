/*
 * wire: the strict JSON reading that every decoder of a network message
 * shares (events and acks, master data, stock snapshots).
 *
 * The decoders face the network, so they trust nothing: a message is exactly
 * one JSON document with only white space after it and no NUL character
 * (raw or \u0000), objects have only the members a decoder names and each at
 * most once, integers are exact, strings fit their buffers.  This module is
 * those checks, on top of cJSON; what a field means stays in its decoder.
 * Every reason written here is bounded, printable and valid UTF-8, since
 * reasons are logged and sent back to terminals inside JSON.
 *
 * Nothing here allocates except tt_wire_parse (the cJSON tree it returns)
 * or keeps state between calls.
 */
#ifndef TT_WIRE_H
#define TT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"

/* Bytes of the buffer that receives a refused member's name, NUL included:
 * the name is cut to TT_WIRE_NAME_SHOWN - 1 characters. */
#define TT_WIRE_NAME_SHOWN 41

/* The largest protocol version tt_wire_check_version reads as a number; a
 * larger or non-integral "v" is malformed, not merely another version. */
#define TT_WIRE_VERSION_MAX 1000

/* What tt_wire_find found wrong with an object, if anything. */
typedef enum {
    TT_WIRE_MEMBERS_OK = 0,
    TT_WIRE_MEMBERS_NOT_OBJECT,   /* the value is not a JSON object */
    TT_WIRE_MEMBERS_BAD_FIELD,    /* an unknown member, or one given twice */
    TT_WIRE_MEMBERS_MISSING,      /* a named member is absent (only when all are required) */
} tt_wire_members_t;

/* Formats a reason into reason[rlen] like snprintf (cut to fit, always
 * NUL-terminated).  reason may be NULL or rlen 0: then nothing is written,
 * so decoders can take an optional reason buffer. */
void tt_wire_say(char *reason, size_t rlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses buf[len] (not NUL-terminated) as exactly one JSON document.
 * Refused, with TT_ERR_PARSE and one of these reasons:
 *   "contains a NUL character"  a NUL byte or a \u0000 escape anywhere: cJSON
 *                                strings end at a NUL, so "ab\u0000cd" would
 *                                silently read as "ab";
 *   "not valid JSON"             cJSON cannot parse it (or len is 0);
 *   "not valid JSON: data after the document"  anything but space, tab, CR
 *                                or LF after the first value.
 * Any JSON value is accepted as the document, not only an object (see
 * tt_wire_find).  On TT_OK *root is a new tree owned by the caller
 * (cJSON_Delete); on failure *root is NULL. */
tt_err_t tt_wire_parse(const char *buf, size_t len, cJSON **root, char *reason, size_t rlen);

/* Finds the members names[0..n-1] of obj: found[i] receives the member named
 * names[i] (borrowed from obj) or NULL when it is absent.  Names compare
 * case-sensitively.  Returns
 *   TT_WIRE_MEMBERS_OK          every member of obj is one of names, once
 *                               (and, when `all`, every name is present);
 *   TT_WIRE_MEMBERS_NOT_OBJECT  obj is NULL or not an object (found and bad
 *                               untouched);
 *   TT_WIRE_MEMBERS_BAD_FIELD   a member not in names, or a second member of
 *                               the same name: its name is copied to
 *                               bad[TT_WIRE_NAME_SHOWN] as printable ASCII,
 *                               '?' for every other byte, cut to fit;
 *   TT_WIRE_MEMBERS_MISSING     only when `all`: names[i] is absent, copied
 *                               to bad (the first one in names order).
 * found[] is filled as far as the object was read, so it is only meaningful
 * on TT_WIRE_MEMBERS_OK. */
tt_wire_members_t tt_wire_find(const cJSON *obj, const char *const *names, const cJSON **found,
                               size_t n, int all, char *bad);

/* Says what tt_wire_find found, into reason[rlen] (see tt_wire_say), as
 * "<where>: not a JSON object", "<where>: unknown or repeated field '<bad>'"
 * or "<where>: missing field '<bad>'"; where == NULL leaves out "<where>: ".
 * m is the result of tt_wire_find and not TT_WIRE_MEMBERS_OK; bad is its
 * bad buffer (unused for TT_WIRE_MEMBERS_NOT_OBJECT). */
void tt_wire_say_members(char *reason, size_t rlen, const char *where, tt_wire_members_t m,
                         const char *bad);

/* Reads j as an integer 0..max into *out.  JSON numbers are doubles, so j
 * must be a number that is integral and, to be exact, max must be at most
 * 2^53 (every integer up to 2^53 is a double).  Returns 1, or 0 (*out
 * untouched) when j is NULL, not a number, negative, fractional, NaN or above
 * max. */
int tt_wire_read_uint(const cJSON *j, uint64_t max, uint64_t *out);

/* Copies the string j into dst[cap].  The string must have at most cap - 1
 * bytes and, unless may_be_empty, at least 1.  The caller's message has gone
 * through tt_wire_parse, so the string has no embedded NUL and its length is
 * its real length.  Returns 1, or 0 (dst untouched) when j is NULL, not a
 * string, empty when that is not allowed, or too long. */
int tt_wire_read_str(const cJSON *j, char *dst, size_t cap, int may_be_empty);

/* Reads j as true (1) or false (0) into *out.  Returns 1, or 0 (*out
 * untouched) when j is NULL or not a JSON boolean. */
int tt_wire_read_bool(const cJSON *j, int *out);

/* Checks the protocol version member v (the "v" of a message; NULL when it
 * is absent) against `want`.  Returns
 *   TT_OK           v is the integer `want`;
 *   TT_ERR_PROTO    v is absent or not an integer 0..TT_WIRE_VERSION_MAX:
 *                   reason "v: missing or not an integer";
 *   TT_ERR_VERSION  v is another such integer: reason
 *                   "v: protocol version <v> not supported". */
tt_err_t tt_wire_check_version(const cJSON *v, uint64_t want, char *reason, size_t rlen);

/* Opens a message the way master data and stock snapshots are read:
 * tt_wire_parse, then the document must be an object, its "v" must be the
 * version `want` (see tt_wire_check_version; checked before the other
 * members, so that a message of another version, with that version's
 * members, is refused for its version), and its members must be exactly
 * names[0..n-1] (which include "v"), each once: found[i] receives the member
 * names[i] (borrowed from *root), as tt_wire_find with `all`.  Returns
 *   TT_OK           *root is a new tree owned by the caller (cJSON_Delete);
 *   TT_ERR_PARSE    as tt_wire_parse;
 *   TT_ERR_VERSION  as tt_wire_check_version;
 *   TT_ERR_PROTO    "not a JSON object", the reasons of
 *                   tt_wire_check_version, or those of tt_wire_say_members
 *                   with where "message".
 * On failure *root is NULL and the reason is in reason[rlen]. */
tt_err_t tt_wire_open(const char *buf, size_t len, uint64_t want, const char *const *names,
                      const cJSON **found, size_t n, cJSON **root, char *reason, size_t rlen);

#endif
