/*
 * ui: the terminal's console screen (ncursesw), for the person at the counter.
 *
 * It shows who is logged in, the mode and the document being built, the sync
 * state (online or offline, events waiting, last acknowledged), whether the
 * scanner is there, at the repair bay the state and last steps of the asset
 * last scanned, and the last outcome (errors in red).  Laid out for
 * 80x24 and readable at that size; Chinese or English as configured.
 *
 * The keyboard is the keypad: digits, '.', letters and '-' build an entry
 * that Enter hands to the counter; F2 commits, F3 undoes the last line, F4
 * cancels the document (the same as the printed cards).  The module only
 * draws and reads keys; the firmware calls tt_ui_draw after anything changes
 * and polls tt_ui_fd.
 */
#ifndef TT_UI_H
#define TT_UI_H

#include <stddef.h>
#include <stdint.h>

#include "counter.h"
#include "err.h"

typedef struct tt_ui tt_ui_t;

/* What the screen shows besides the counter. */
typedef struct {
    const char *terminal_id;
    const char *site;
    int online;                  /* connected to the broker and the server online */
    uint64_t waiting;            /* events not yet acknowledged */
    uint64_t synced;             /* last acknowledged seq */
    uint64_t rejected;           /* events the server refused */
    int scanner_present;
} tt_ui_status_t;

typedef enum {
    TT_UI_NONE = 0,
    TT_UI_ENTRY,                 /* a keypad line was entered: see the text */
    TT_UI_COMMIT,
    TT_UI_UNDO,
    TT_UI_CANCEL,
} tt_ui_action_t;

/* Takes over the terminal on stdin/stdout.  Returns TT_OK with *out owned by
 * the caller (tt_ui_close), TT_ERR_DEVICE when stdin is not a terminal, or
 * TT_ERR_NOMEM. */
tt_err_t tt_ui_open(tt_counter_lang_t lang, tt_ui_t **out);

/* Restores the terminal; NULL is accepted. */
void tt_ui_close(tt_ui_t *ui);

/* The descriptor to poll for keys. */
int tt_ui_fd(const tt_ui_t *ui);

/* Redraws the whole screen. */
void tt_ui_draw(tt_ui_t *ui, const tt_counter_view_t *v, const tt_ui_status_t *st);

/* Reads the waiting keys.  Returns an action when one completed (for
 * TT_UI_ENTRY the entered text is copied to text[len]), else TT_UI_NONE. */
tt_ui_action_t tt_ui_keys(tt_ui_t *ui, char *text, size_t len);

#endif
