/*
 * provision: the site's broker identities (docs/operations.md, "Identities").
 *
 * One folder, the site CA directory, holds everything a site's broker trusts:
 * the CA that signs the broker's and every client's certificate, openssl's
 * record of what it issued, and in broker/ the files Mosquitto reads
 * (ca.crt, broker.crt, broker.key, passwd, acl, crl.pem).  An identity is a
 * username (a terminal's id, or TT_PROVISION_SERVER_USER), a random
 * password whose hash goes into broker/passwd, and a key and certificate of
 * the site CA; its files go to a folder of their own, to be copied to the
 * terminal or the server.
 *
 * The work is done by the `openssl` and `mosquitto_passwd` programs, run
 * with argument vectors (never a shell); passwords reach mosquitto_passwd
 * on its standard input, never on a command line.  Every file is written
 * as NAME.new, synced and renamed over NAME; secrets are mode 0600.
 * Nothing here prints or exits: failures come back as a tt_err_t with the
 * reason in the caller's buffer.  The functions fork: call them from a
 * single-threaded program (the tagtrail tool).
 */
#ifndef TT_PROVISION_H
#define TT_PROVISION_H

#include <stddef.h>

#include "err.h"

/* The server's broker username: '@' keeps it out of every terminal id, so
 * no terminal can be provisioned into the server's rights. */
#define TT_PROVISION_SERVER_USER "tt@server"
/* The TLS listener's port written into broker.url unless told otherwise. */
#define TT_PROVISION_PORT 8883
/* Longest reason written into an error buffer, with its NUL. */
#define TT_PROVISION_ERR_MAX 512

typedef struct {
    const char *ca_dir;            /* created; its parent must exist */
    const char *const *hosts;      /* the broker's names (DNS names or IP addresses) as
                                    * clients put them in their url; at least one */
    size_t nhosts;
    int port;                      /* the TLS listener's; 0: TT_PROVISION_PORT */
    int days;                      /* validity of the CA and the broker certificate;
                                    * 0: 3650 */
} tt_provision_ca_t;

/* Creates the site CA directory: the CA's key and certificate, the broker's
 * key and certificate (naming every host), an empty password file, the ACL
 * (deploy/mosquitto/tagtrail.acl), an empty CRL, and broker.url, the
 * ssl://FIRST-HOST:PORT given to identities.
 * Returns TT_OK; TT_ERR_EXISTS when ca_dir already holds a CA;
 * TT_ERR_INVAL for a host that is neither a DNS name nor an IP address, no
 * host, or a bad port or validity; TT_ERR_IO when a file or folder cannot
 * be written or openssl fails (its message in err); TT_ERR_NOMEM. */
tt_err_t tt_provision_init_ca(const tt_provision_ca_t *conf, char *err, size_t errlen);

typedef struct {
    const char *ca_dir;            /* made by tt_provision_init_ca */
    const char *out_dir;           /* where the identity's files go; created if missing */
    const char *terminal;          /* a terminal id; NULL: the server's identity */
    const char *url;               /* the broker url for mqtt.conf; NULL: the CA's broker.url */
    int days;                      /* certificate validity; 0: 3650 */
    int replace;                   /* non-zero: rotate an identity that exists (a new password
                                    * and certificate; the old certificate is revoked) */
} tt_provision_conf_t;

/* Provisions one identity.  Into out_dir: ca.crt, USER.crt, USER.key
 * (0600), mqtt.password (0600) and mqtt.conf, the [mqtt] section to add to
 * the terminal's or the server's config (it names the other files relative
 * to itself, so they stay side by side).  Into the CA directory: the hashed
 * password in broker/passwd and the certificate in certs/USER.crt; with
 * `replace`, the previous certificate in broker/crl.pem.  The broker sees
 * the change when it rereads its files (SIGHUP).
 * Returns TT_OK; TT_ERR_INVAL for a bad terminal id or url; TT_ERR_NOTFOUND
 * when ca_dir is not a site CA directory; TT_ERR_EXISTS when the identity
 * exists and `replace` is 0; TT_ERR_IO (a file, openssl or mosquitto_passwd
 * failed: reason in err); TT_ERR_NOMEM.  On failure the broker's files are
 * unchanged, or changed for an identity whose files were all written. */
tt_err_t tt_provision_identity(const tt_provision_conf_t *conf, char *err, size_t errlen);

/* Revokes a terminal: removes its entry from broker/passwd and any `user
 * TERMINAL` block of its own from broker/acl, and revokes its certificate
 * (added to broker/crl.pem; the certificate moves to revoked/).  The
 * broker enforces it once it rereads its files (SIGHUP): it then refuses
 * the terminal and disconnects it.  The terminal may be provisioned again
 * later, as a new identity.
 * Returns TT_OK; TT_ERR_INVAL for a bad terminal id; TT_ERR_NOTFOUND when
 * ca_dir is not a site CA directory or knows no such terminal; TT_ERR_IO
 * (reason in err); TT_ERR_NOMEM. */
tt_err_t tt_provision_revoke(const char *ca_dir, const char *terminal, char *err, size_t errlen);

#endif
