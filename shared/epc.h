/*
 * epc: decoding the EPC a UHF RFID reader reports, per the GS1 EPC Tag Data
 * Standard (TDS), into its fields, its URIs and its GS1 element string.
 *
 * Input is the EPC bank's EPC as hex (either case, no separators, exactly
 * the length its header calls for).  Three schemes are decoded:
 *
 *   SGTIN-96  header 0x30, 24 hex digits:
 *             header 8 | filter 3 | partition 3 | company prefix | item
 *             reference (indicator digit first) | serial 38 (integer)
 *   GIAI-96   header 0x34, 24 hex digits:
 *             header 8 | filter 3 | partition 3 | company prefix | asset
 *             reference (integer)
 *   GIAI-202  header 0x38, 52 hex digits (208 bits: 202 used, then 6 padding
 *             bits that are ignored): header 8 | filter 3 | partition 3 |
 *             company prefix | asset reference (7-bit characters of CSET 82,
 *             ended by a zero character or the end of the field; every bit
 *             after the end must be zero)
 *
 * Partition tables (TDS 14.5): partition P gives the company prefix as
 * 40/37/34/30/27/24/20 bits holding 12/11/10/9/8/7/6 digits for P = 0..6;
 * the rest of the field is
 *   SGTIN-96  item reference: 4/7/10/14/17/20/24 bits, 13 minus the prefix
 *             digits (1..7) digits, leading zeros kept
 *   GIAI-96   asset reference: 42/45/48/52/55/58/62 bits, decimal without
 *             leading zeros
 *   GIAI-202  asset reference: 148/151/154/158/161/164/168 bits, at most
 *             18/19/20/21/22/23/24 characters (prefix + reference <= 30)
 * Partition 7 is invalid; a prefix or item reference whose integer has more
 * digits than the partition allows is refused.
 *
 * Outputs, for 3074257BF7194E4000001A85:
 *   pure identity URI  urn:epc:id:sgtin:0614141.812345.6789
 *   tag URI            urn:epc:tag:sgtin-96:3.0614141.812345.6789
 *   GS1 element string (01)80614141123458(21)6789
 * The GTIN-14 is indicator digit + prefix + item reference without its
 * indicator + check digit.  GIAI gives urn:epc:id:giai:<prefix>.<ref> and
 * (8004)<prefix><ref>.  In URIs the characters " % & / < > ? of an asset
 * reference are written %22 %25 %26 %2F %3C %3E %3F (TDS URI escaping); in
 * the element string a '(' is written "\(" as tt_gs1_bracketed() does, so the
 * string can be fed back to tt_gs1_decode_bracketed().
 *
 * Nothing here allocates, prints or keeps state.
 */
#ifndef TT_EPC_H
#define TT_EPC_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TT_EPC_HEX_MAX 52        /* longest accepted input: GIAI-202 */
#define TT_EPC_PREFIX_MAX 12     /* company prefix digits */
#define TT_EPC_REF_MAX 24        /* item/asset reference characters */
#define TT_EPC_KEY_MAX 30        /* GTIN-14 or GIAI characters */
#define TT_EPC_URI_MAX 112       /* holds either URI with its NUL */
#define TT_EPC_GS1_MAX 72        /* holds the element string with its NUL */
#define TT_EPC_REASON_MAX 128    /* a reason buffer this size is never cut short */

typedef enum {
    TT_EPC_SGTIN_96 = 1,
    TT_EPC_GIAI_96 = 2,
    TT_EPC_GIAI_202 = 3,
} tt_epc_scheme_t;

typedef struct {
    tt_epc_scheme_t scheme;
    unsigned header;                          /* 0x30, 0x34 or 0x38 */
    unsigned filter;                          /* 0..7 */
    unsigned partition;                       /* 0..6 */
    char company_prefix[TT_EPC_PREFIX_MAX + 1];   /* 6..12 digits */
    /* SGTIN: indicator digit and item reference (13 - prefix digits);
     * GIAI-96: the asset reference in decimal; GIAI-202: its characters. */
    char reference[TT_EPC_REF_MAX + 1];
    uint64_t serial;                          /* SGTIN-96: 0..2^38-1; GIAI: 0 */
    char key[TT_EPC_KEY_MAX + 1];             /* GTIN-14, or the GIAI */
    char pure_uri[TT_EPC_URI_MAX];
    char tag_uri[TT_EPC_URI_MAX];
    char gs1[TT_EPC_GS1_MAX];                 /* bracketed element string */
} tt_epc_t;

/* Decodes the NUL-terminated hex EPC `hex` into the caller-owned *out.
 * `reason` (rlen bytes, may be NULL when rlen is 0) gets "" on success or
 * one English line on failure, when *out is cleared.  Returns:
 *   TT_OK
 *   TT_ERR_PARSE     empty input, a non-hex character, a length other than
 *                    the header's scheme needs, or a GIAI-202 asset reference
 *                    that is empty, has a character outside CSET 82 or
 *                    non-zero bits after its end
 *   TT_ERR_NOTFOUND  a header this module does not decode ("EPC header 0x35
 *                    (GID-96) is not supported"); the tag is of another
 *                    scheme, which a caller may simply ignore
 *   TT_ERR_RANGE     partition 7; a company prefix, item reference or
 *                    GIAI-202 asset reference longer than its partition
 *                    allows
 *   TT_ERR_INVAL     `hex` or `out` is NULL */
tt_err_t tt_epc_decode(const char *hex, tt_epc_t *out, char *reason, size_t rlen);

/* Returns "sgtin-96", "giai-96" or "giai-202" (the tag URI's scheme name),
 * or NULL for another value. */
const char *tt_epc_scheme_name(tt_epc_scheme_t scheme);

#endif
