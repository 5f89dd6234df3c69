/*
 * repairbay: what the counter shows and checks of an asset at the repair
 * bay, from the terminal's view of equipment states (shared/assets.h,
 * firmware/assetview.h): the asset panel of the counter's view, the state
 * as one line of text in the screen's language, and whether a step fits
 * the state the terminal knows.  Pure helpers of counter.c: no I/O but the
 * counter's own lookup, no state of their own.
 */
#ifndef TT_REPAIRBAY_H
#define TT_REPAIRBAY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "assets.h"
#include "counter.h"

/* Fills panel *a for asset `asset` (its number) of model `model` (both may
 * point into *a) with its state through lk->asset when there is one
 * (a->known says whether it answered).  lk is borrowed for the call. */
void tt_repairbay_show(tt_counter_asset_t *a, const tt_counter_lookup_t *lk, const char *asset,
                       const char *model);

/* The panel's state as a message part into buf[len] (cut to fit), in
 * `lang`: "在修（A3），上次 鉴定 major" / "in repair (A3), last appraisal
 * major", or that the terminal knows no state. */
void tt_repairbay_state_text(const tt_counter_asset_t *a, tt_counter_lang_t lang, char *buf,
                             size_t len);

/* Whether `step` with `result` naming `unit` ("" none) fits the panel's
 * asset as the terminal knows it, after the open document's lines[0 ..
 * nlines) of the same asset (the same step, each with its result): 1, or
 * 0 with why not in `lang` into why[len].  An unknown state fits. */
int tt_repairbay_fits(const tt_counter_asset_t *a, const tt_counter_line_t *lines,
                      size_t nlines, tt_assets_step_t step, const char *result, const char *unit,
                      tt_counter_lang_t lang, char *why, size_t len);

/* The panel as the control socket's `view` gives it (docs/protocol.md,
 * "Terminal control socket"): JSON null when no asset is shown, else
 * {"asset","model","state" (null when not known),"unit","steps":[{"step",
 * "result","unit","at","operator","pending"}]}.  A new item owned by the
 * caller (cJSON_Delete), or NULL when out of memory. */
cJSON *tt_repairbay_json(const tt_counter_asset_t *a);

#endif
