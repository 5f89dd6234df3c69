/*
 * cli: the tagtrail tool's command line (cli.c) as its subcommand modules
 * see it.  cli.c parses the command line, holds the messages every command
 * shares, runs the small commands itself and dispatches the ones with
 * options of their own to their modules (clireport: report; cliprov:
 * provision, revoke; clilabels: labels), which get from here the parsed
 * command line, the shared messages, tables and the server's HTTP API.
 *
 * Messages are Chinese unless TT_LANG (or, without it, LANG) starts with
 * "en".  Every function that reports a failure to the user returns the exit
 * code that goes with it, so that a command can `return` it.
 */
#ifndef TT_CLI_H
#define TT_CLI_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define TT_CLI_DEFAULT_SERVER "http://127.0.0.1:8080"
#define TT_CLI_CELL_MAX 96   /* longest table cell shown, with NUL */

/* Exit codes: 0 ok; 1 the terminal or server answered with an error (or
 * with something unreadable), or output failed; 2 usage error; 3 the
 * terminal or server is not there or did not answer in time. */
enum { TT_CLI_OK = 0, TT_CLI_ANSWER = 1, TT_CLI_USAGE = 2, TT_CLI_UNREACH = 3 };

typedef enum { TT_CLI_ZH = 0, TT_CLI_EN = 1 } tt_cli_lang_t;

/* A message in both languages: printf formats with the same conversions in
 * the same order (no compiler checks them). */
typedef struct {
    const char *zh, *en;
} tt_cli_text_t;

struct tt_cli_command;   /* a command of the tool (cli.c) */

/* The parsed command line.  Strings point into argv or the environment. */
typedef struct {
    tt_cli_lang_t lang;
    const struct tt_cli_command *cmd;
    const char *socket;      /* -s or $TT_SOCKET; NULL for neither */
    const char *server;      /* -S, $TT_SERVER or TT_CLI_DEFAULT_SERVER */
    const char *warehouse;   /* stock filters; NULL for none */
    const char *item;
    int json;
    int nargs;
    char *args[5];
    char **rest;             /* a command that reads its own words: those after its name */
    int nrest;
} tt_cli_t;

/* A table column: field `key` of each row, headed `head`, right-aligned
 * (numbers) when `right`. */
typedef struct {
    const char *key;
    const char *head;
    int right;
} tt_cli_column_t;

/* Message `t` in `lang`. */
const char *tt_cli_text(tt_cli_lang_t lang, const tt_cli_text_t *t);

/* Prints message `t` (a format, with its arguments) in `lang` as
 * "tagtrail: <message>\n" to stderr (tt_cli_say), or as "<message>\n" to
 * stdout (tt_cli_tell). */
void tt_cli_say(tt_cli_lang_t lang, const tt_cli_text_t *t, ...);
void tt_cli_tell(tt_cli_lang_t lang, const tt_cli_text_t *t, ...);

/* The usage of c's command on stdout: TT_CLI_OK. */
int tt_cli_help(const tt_cli_t *c);

/* Usage errors of c's command, reported on stderr: its synopsis
 * (tt_cli_usage), an option it does not take (tt_cli_bad_option), an
 * option given without its value (tt_cli_needs_value).  TT_CLI_USAGE. */
int tt_cli_usage(const tt_cli_t *c);
int tt_cli_bad_option(const tt_cli_t *c, const char *word);
int tt_cli_needs_value(const tt_cli_t *c, const char *word);

/* Reports running out of memory (tt_cli_nomem), or that `path` could not be
 * written, with strerror(errno) (tt_cli_write_failed): TT_CLI_ANSWER. */
int tt_cli_nomem(const tt_cli_t *c);
int tt_cli_write_failed(const tt_cli_t *c, const char *path);

/* Writes field `key` of `obj` as text into out[cap]: strings as they are
 * (control bytes as '?': they could drive the user's terminal), numbers in
 * full, booleans as yes/no in `lang`, anything missing as "-". */
void tt_cli_field_text(tt_cli_lang_t lang, const cJSON *obj, const char *key, char *out,
                       size_t cap);

/* Prints the objects of array `rows` as a table of cols[0..ncol) (at most
 * 64), aligned on display width (CJK counts two columns); "(none)" in
 * `lang` when there are no rows. */
void tt_cli_print_table(tt_cli_lang_t lang, const cJSON *rows, const tt_cli_column_t *cols,
                        size_t ncol);

/* GETs `path` from c->server.  A 200 reply's body comes back as sent in
 * *body (the caller frees it; *blen bytes, NUL-terminated beyond them)
 * and, when `want_json`, parsed, an object, in *json (the caller deletes
 * it; else NULL).  Anything else is reported, a server's error with its
 * "error" field if it has one.  Returns TT_CLI_OK, TT_CLI_ANSWER,
 * TT_CLI_USAGE (a bad server URL) or TT_CLI_UNREACH. */
int tt_cli_http_get(const tt_cli_t *c, const char *path, int want_json, char **body,
                    size_t *blen, cJSON **json);

#endif
