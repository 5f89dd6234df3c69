/*
 * tag: what a scan or an RFID read means, as JSON for people and tools.
 *
 * Given the raw data of a scan (any GS1 form tt_gs1_decode accepts) or the
 * hex EPC a reader reports, tt_tag_json describes it: the AIs and their
 * values, or the EPC scheme, filter, company prefix, reference, serial, URIs
 * and GS1 element string.  `tagtrail decode` prints it.
 */
#ifndef TT_TAG_H
#define TT_TAG_H

#include <stddef.h>

#include "err.h"

/* Describes `data` (NUL-terminated).  24 or 52 hex digits with an EPC header
 * this project decodes are an EPC; anything else is tried as GS1 data.
 * On TT_OK *json is a new NUL-terminated string owned by the caller (free()).
 * On failure *json is NULL and reason (rlen bytes) says why; the code is the
 * decoder's (TT_ERR_PARSE, TT_ERR_INVAL, TT_ERR_RANGE, TT_ERR_NOTFOUND for
 * data that is neither) or TT_ERR_NOMEM. */
tt_err_t tt_tag_json(const char *data, int ref_year, char **json, char *reason, size_t rlen);

#endif
