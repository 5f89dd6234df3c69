/*
 * users: the people of the web office, their sign-in and sessions, the
 * throttle on failed sign-ins and the audit record of every change
 * (docs/api.md, "Signing in"; docs/decisions.md, "The web office").
 *
 * A store module (it runs its own SQL) over a writable handle the caller
 * opens and keeps: sessions are touched as they are used.  Passwords are
 * hashed with libsodium's crypto_pwhash_str (Argon2id); session ids are 32
 * random bytes (randombytes_buf) given to the browser as 64 hex characters
 * and stored only as their BLAKE2b hash, so a copy of the database opens no
 * session.  Each session has its own CSRF token, checked by the caller
 * against the X-CSRF-Token header of every POST (tt_users_token_equal).
 *
 * Failed sign-ins are counted per user name and per client address in the
 * database (they survive a restart): after TT_USERS_USER_FREE failures of a
 * name, or TT_USERS_ADDR_FREE of an address, within TT_USERS_FAIL_WINDOW_MS
 * of each other, every further failure locks that name or address out for
 * TT_USERS_LOCK_BASE_MS doubled per failure beyond the free ones, at most
 * TT_USERS_LOCK_MAX_MS; while locked, sign-ins are refused without checking
 * the password.  A successful sign-in clears its name's count.
 *
 * A handle is used by one thread at a time.
 */
#ifndef TT_USERS_H
#define TT_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

#define TT_USERS_NAME_MAX 32          /* user names: 1-32 of A-Z a-z 0-9 _ . - */
#define TT_USERS_UNIT_MAX 32
#define TT_USERS_WFROLES_MAX 255      /* comma list of workflow roles */
#define TT_USERS_PASSWORD_MIN 10      /* bytes */
#define TT_USERS_PASSWORD_MAX 256
#define TT_USERS_TOKEN_LEN 64         /* hex characters of a session id or CSRF token */
#define TT_USERS_ADDR_MAX 64
#define TT_USERS_SUMMARY_MAX 500      /* bytes of an audit summary kept */

#define TT_USERS_USER_FREE 5
#define TT_USERS_ADDR_FREE 20
#define TT_USERS_FAIL_WINDOW_MS (15 * 60 * 1000LL)
#define TT_USERS_LOCK_BASE_MS (30 * 1000LL)
#define TT_USERS_LOCK_MAX_MS (60 * 60 * 1000LL)

/* Session lifetimes by default: 30 minutes idle, 12 hours in all. */
#define TT_USERS_IDLE_MS (30 * 60 * 1000LL)
#define TT_USERS_MAX_MS (12 * 60 * 60 * 1000LL)

/* The migration that creates this module's tables (appended to db.c's
 * migrations[]). */
extern const char tt_users_schema[];

typedef struct tt_users tt_users_t;

typedef struct {
    int64_t idle_ms;               /* 0: TT_USERS_IDLE_MS */
    int64_t max_ms;                /* 0: TT_USERS_MAX_MS */
    /* Argon2id cost; 0: libsodium's "interactive" limits.  Tests lower them. */
    unsigned long long opslimit;
    size_t memlimit;
} tt_users_conf_t;

typedef struct {
    char name[TT_USERS_NAME_MAX + 1];
    unsigned role;                 /* one TT_ACCESS_* bit (access.h) */
    char unit[TT_USERS_UNIT_MAX + 1];        /* "" : every unit */
    char wf_roles[TT_USERS_WFROLES_MAX + 1]; /* workflow roles: "storekeeper,unit_planner" */
    int active;
} tt_users_user_t;

/* What a sign-in gives: the session id for the cookie (the only copy: only
 * its hash is stored) and the session's CSRF token. */
typedef struct {
    char id[TT_USERS_TOKEN_LEN + 1];
    char csrf[TT_USERS_TOKEN_LEN + 1];
    tt_users_user_t user;
} tt_users_session_t;

typedef struct {
    int64_t id, at_ms;
    const char *user, *method, *route, *summary;   /* valid in the callback */
    int status;
} tt_users_audit_row_t;

/* Opens the module over `db` (borrowed, writable, migrated; it must outlive
 * the handle).  conf may be NULL for the defaults.  On TT_OK *out is owned by
 * the caller (tt_users_close).  Returns TT_ERR_NOMEM, TT_ERR_DB, or
 * TT_ERR_IO when libsodium cannot start, with a reason in err. */
tt_err_t tt_users_open(tt_db_t *db, const tt_users_conf_t *conf, tt_users_t **out, char *err,
                       size_t errlen);

/* Closes; NULL is accepted. */
void tt_users_close(tt_users_t *u);

/* Non-zero when `name` is a valid user name. */
int tt_users_name_valid(const char *name);

/* Creates user `user` (name, role, unit, wf_roles; active is taken as 1)
 * with `password`, recorded as made by `by` at now_ms.  Returns TT_OK;
 * TT_ERR_INVAL with the reason (bad name, role, unknown unit, a password
 * outside TT_USERS_PASSWORD_MIN..MAX bytes or not UTF-8 text); TT_ERR_EXISTS
 * (the name is taken); TT_ERR_NOMEM; TT_ERR_DB. */
tt_err_t tt_users_create(tt_users_t *u, const tt_users_user_t *user, const char *password,
                         const char *by, int64_t now_ms, char *reason, size_t rlen);

/* Changes user `user->name`: role, unit, wf_roles and active as given, and
 * the password when `password` is not NULL.  Every session of the user ends
 * (whatever changed, they sign in again).  Returns TT_OK, TT_ERR_NOTFOUND,
 * TT_ERR_INVAL (with the reason), TT_ERR_NOMEM or TT_ERR_DB. */
tt_err_t tt_users_update(tt_users_t *u, const tt_users_user_t *user, const char *password,
                         int64_t now_ms, char *reason, size_t rlen);

/* Reads user `name` into *out.  Returns TT_OK, TT_ERR_NOTFOUND or TT_ERR_DB. */
tt_err_t tt_users_get(tt_users_t *u, const char *name, tt_users_user_t *out);

/* Calls fn for every user by name; a non-zero return stops (TT_OK).
 * Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_users_each(tt_users_t *u, int (*fn)(void *ctx, const tt_users_user_t *user),
                       void *ctx);

/* Signs `name` in with `password` from client address `addr` at now_ms.
 * TT_OK: *out holds the new session.  TT_ERR_DENIED: wrong name or password,
 * or the user is disabled (the same answer for each; the failure is
 * counted).  TT_ERR_BUSY: the name or the address is locked out; nothing was
 * checked, *retry_ms (may be NULL) gets the time left in ms.  TT_ERR_INVAL:
 * name or password too long to be anyone's (counted as a failure too).
 * TT_ERR_NOMEM, TT_ERR_DB. */
tt_err_t tt_users_sign_in(tt_users_t *u, const char *name, const char *password,
                          const char *addr, int64_t now_ms, tt_users_session_t *out,
                          int64_t *retry_ms);

/* The session with cookie value `id` at now_ms: TT_OK with the user in
 * *out->user and the CSRF token in out->csrf (out->id is copied from id);
 * the session's idle time restarts.  TT_ERR_NOTFOUND: no such session, it
 * expired (idle or absolute: it is deleted) or its user is disabled.
 * TT_ERR_DB. */
tt_err_t tt_users_session(tt_users_t *u, const char *id, int64_t now_ms,
                          tt_users_session_t *out);

/* Ends session `id` (unknown ids are fine).  Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_users_sign_out(tt_users_t *u, const char *id);

/* Changes name's password after checking `old` (TT_ERR_DENIED if wrong);
 * other rules and returns as tt_users_update, which it calls. */
tt_err_t tt_users_change_password(tt_users_t *u, const char *name, const char *old,
                                  const char *password, int64_t now_ms, char *reason,
                                  size_t rlen);

/* Appends an audit row: who (`user`), `method` and `route`, the answer's
 * status and `summary` (cut to TT_USERS_SUMMARY_MAX bytes at a UTF-8
 * boundary), at now_ms.  The table is append-only (triggers).  Returns
 * TT_OK or TT_ERR_DB. */
tt_err_t tt_users_audit(tt_users_t *u, const char *user, const char *method, const char *route,
                        int status, const char *summary, int64_t now_ms);

/* Calls fn for the newest `limit` audit rows (newest first), optionally only
 * those of `user` (NULL: all) and with id below `before` (0: no bound);
 * a non-zero return stops.  Returns TT_OK or TT_ERR_DB. */
tt_err_t tt_users_audit_each(tt_users_t *u, const char *user, int64_t before, int limit,
                             int (*fn)(void *ctx, const tt_users_audit_row_t *row), void *ctx);

/* The unit a warehouse belongs to ("" for a central warehouse) into
 * unit[TT_USERS_UNIT_MAX + 1]; for keeping a scoped user to the unit's
 * warehouses.  Returns TT_OK, TT_ERR_NOTFOUND or TT_ERR_DB. */
tt_err_t tt_users_warehouse_unit(tt_users_t *u, const char *warehouse, char *unit);

/* Non-zero when a and b are equal, comparing in time that does not depend
 * on where they differ (for tokens); NULL equals nothing. */
int tt_users_token_equal(const char *a, const char *b);

#endif
