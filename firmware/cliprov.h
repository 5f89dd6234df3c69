/*
 * cliprov: `tagtrail provision` and `tagtrail revoke`, the broker
 * identities of terminals and of the server on the command line.  A
 * subcommand module of the tool (cli.h) that only reads the words and
 * reports the outcome: the work is firmware/provision.h's.
 */
#ifndef TT_CLIPROV_H
#define TT_CLIPROV_H

#include "cli.h"

/* provision --init-ca DIR --host BROKER-NAME... [--port N] [--days N]:
 * makes the site CA and the broker's files in DIR.  provision
 * TERMINAL|--server --ca-dir DIR --out DIR [--url ssl://HOST:PORT]
 * [--days N] [--replace]: makes an identity under that CA into DIR.  Reads
 * its words from c->rest.  Returns a TT_CLI_* exit code (a refused
 * argument is TT_CLI_USAGE, any other failure TT_CLI_ANSWER), having said
 * what to do next, or why not. */
int tt_cliprov_provision(const tt_cli_t *c);

/* revoke TERMINAL --ca-dir DIR: revokes a terminal's identity.  Returns as
 * tt_cliprov_provision. */
int tt_cliprov_revoke(const tt_cli_t *c);

#endif
