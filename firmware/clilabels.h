/*
 * clilabels: `tagtrail labels`, the counter's operation cards, item labels
 * and equipment labels to print, on the command line.  A subcommand module
 * of the tool (cli.h) that reads the words and writes the output: the
 * drawing is firmware/labels.h's.
 */
#ifndef TT_CLILABELS_H
#define TT_CLILABELS_H

#include "cli.h"

/* labels cards|item|asset [options]: the counter's operation cards (every
 * card without an id, plus one per id given), an item label or an equipment
 * label, as SVG (default, to stdout or --out), ZPL (likewise) or PNG (--out
 * required; several cards become FILE-01.png, FILE-02.png ..., whose names
 * are printed).  It reads its own words (c->rest): ids repeat and each kind
 * has its own options.  Returns a TT_CLI_* exit code: refused data is
 * TT_CLI_USAGE; a file that cannot be written, or no memory,
 * TT_CLI_ANSWER. */
int tt_clilabels_run(const tt_cli_t *c);

#endif
