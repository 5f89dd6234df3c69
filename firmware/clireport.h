/*
 * clireport: `tagtrail report`, the server's reports (docs/api.md,
 * "Reports") on the command line: as a table in the user's language, as
 * JSON, or as the server's CSV or XLSX export, to a file or standard
 * output.  A subcommand module of the tool (cli.h).
 */
#ifndef TT_CLIREPORT_H
#define TT_CLIREPORT_H

#include "cli.h"

/* report NAME [-S URL] [--format json|csv|xlsx] [--out FILE]
 * [--FILTER VALUE]...: reads its words from c->rest (NAME first, or
 * --help).  Each filter goes to the server as the query parameter of its
 * name, which the server checks; a table or CSV comes in c->lang unless
 * --lang says otherwise.  The server is -S, else $TT_SERVER, else
 * TT_CLI_DEFAULT_SERVER.  XLSX is refused on a terminal without --out.
 * Returns a TT_CLI_* exit code, having said why when not TT_CLI_OK. */
int tt_clireport_run(const tt_cli_t *c);

#endif
