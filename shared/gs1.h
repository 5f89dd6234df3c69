/*
 * gs1: decoding GS1 barcode data into Application Identifiers (AIs).
 *
 * A scan arrives in one of four forms, all accepted by tt_gs1_decode(), which
 * tells them apart by their first bytes:
 *   (a) bracketed text:    "(01)09506000134352(17)201225(10)ABC123"
 *   (b) an element string: "0109506000134352" "17201225" "10ABC123" "\x1D" "21XYZ"
 *       (GS, 0x1D, stands for FNC1 and ends variable-length fields);
 *   (c) scanner data with an AIM symbology identifier: "]C1", "]e0", "]d2",
 *       "]Q3" or "]J1" then an element string; "]E0" + 13 (or 12) digits and
 *       "]E4" + 8 digits are EAN-13/UPC-A and EAN-8 codes, taken as AI (01);
 *   (d) a GS1 Digital Link URI: "https://id.gs1.org/01/09506000134352/10/ABC123?17=201225".
 *
 * Only these AIs are supported; any other is refused ("unsupported AI (99)"):
 *   00 SSCC     N18 with check digit      21   serial      X..20
 *   01 GTIN     N14 with check digit      30   var. count  N..8
 *   02 CONTENT  N14 with check digit      37   count       N..8
 *   10 batch    X..20                     8004 GIAI        X..30, starting
 *   17 expiry   N6, YYMMDD                     with at least 4 digits (a GS1
 *                                              Company Prefix)
 * N = digits; X = GS1 AI encodable character set 82 (CSET 82):
 *   ! " % & ' ( ) * + , - . / 0-9 : ; < = > ? A-Z _ a-z
 * 00, 01, 02 and 17 have a predefined length and need no separator after them.
 *
 * Dates (17): YYMMDD with month 01-12 and the day within that month (leap
 * years included); day 00 means "the last day of the month" (GS1 General
 * Specifications 3.4.5), so 240200 is 29 February 2024.  The century comes
 * from the GS1 sliding window (General Specifications 7.12) around a
 * reference year the caller passes, normally the current year: with YY minus
 * the reference year's last two digits from 51 to 99 the year is in the
 * previous century, from -99 to -50 in the next one, otherwise in the
 * reference year's own century.  Passing ref_year 0 instead selects the plain
 * fixed rule 20YY (2000-2099), for callers without a trustworthy clock.
 *
 * Association rules enforced (GS1 General Specifications 4.14 as written in
 * the GS1 Barcode Syntax Dictionary, restricted to the AIs above).  D1 is
 * checked as each pair is read; the others once all pairs are read, in this
 * order, and the first one broken is reported:
 *   E1  (01) and (02) are mutually exclusive
 *   E2  (01) and (37) are mutually exclusive (a count goes with (02))
 *   R1  (02) requires (37)
 *   R2  (10) requires (01) or (02)
 *   R3  (17) requires (01) or (02)
 *   R4  (21) requires (01)          (so (21) with (02) alone is refused)
 *   R5  (30) requires (01) or (02)
 *   R6  (37) requires (02)
 *   R7  (37) requires (00)          (so (02) needs both (37) and (00))
 *   D1  an AI may appear twice only with the same value; the repeat is dropped
 * (00) and (8004) need nothing else.
 *
 * Bracketed text escapes a '(' inside a value as "\(" (the GS1 Syntax
 * Engine's convention); tt_gs1_bracketed() writes it the same way.
 *
 * Digital Link: the scheme is http or https (any case), any host, an optional
 * path prefix, then the primary key (00, 01 or 8004; the rightmost one in the
 * path) and its qualifiers, which must follow it in order: for (01) the
 * qualifiers are (22) (unsupported), (10), (21); (00) takes none; for (8004)
 * only (7040) (unsupported).  Other AIs go in the query string as "AI=value";
 * a qualifier of the path's key or (21) is refused there.  Query parameters
 * whose name is not all digits are ignored (DL allows non-AI parameters), as
 * is a #fragment.  Values are percent-decoded; in the query '+' means a space
 * (so a literal '+' must be sent as %2B there).  GTIN-8/12/13 values of (01)
 * are padded with leading zeros to 14 digits.  A trailing '/' is refused.
 *
 * Nothing here allocates, prints or keeps state; results go into caller-owned
 * fixed-size structs and buffers.
 */
#ifndef TT_GS1_H
#define TT_GS1_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TT_GS1_AI_MAX 4          /* longest AI: "8004" */
#define TT_GS1_VALUE_MAX 30      /* longest value of a supported AI: (8004) */
#define TT_GS1_PAIRS_MAX 10      /* more than the supported AIs, so never full */
#define TT_GS1_REASON_MAX 128    /* a reason buffer this size is never cut short */
/* Buffer size (with NUL) that always holds tt_gs1_element_string() (at most
 * 164) and tt_gs1_bracketed() (at most 247, every '(' escaped). */
#define TT_GS1_TEXT_MAX 256
#define TT_GS1_GS '\x1D'         /* FNC1 as transmitted by scanners */

/* Which form the data was in. */
typedef enum {
    TT_GS1_FORM_BRACKETED = 1,   /* (a) */
    TT_GS1_FORM_ELEMENT = 2,     /* (b), or (c) with a GS1 symbology id */
    TT_GS1_FORM_EAN = 3,         /* (c) "]E0" EAN-13/UPC-A or "]E4" EAN-8 */
    TT_GS1_FORM_DL = 4,          /* (d), also after any symbology id */
} tt_gs1_form_t;

/* A decoded AI (17) date. */
typedef struct {
    int year;                    /* full year, e.g. 2020 */
    int month;                   /* 1..12 */
    int day;                     /* 1..31; the month's last day when DD was 00 */
    int end_of_month;            /* non-zero when the data said DD = 00 */
} tt_gs1_date_t;

/* One AI and its value. */
typedef struct {
    char ai[TT_GS1_AI_MAX + 1];          /* "01", "8004", ... */
    char value[TT_GS1_VALUE_MAX + 1];    /* exactly as in the data (decoded) */
    uint32_t count;                      /* (30), (37): the value; else 0 */
    tt_gs1_date_t date;                  /* (17): the date; else all 0 */
} tt_gs1_pair_t;

/* A decoded scan: pairs in order of appearance (for a DL URI: path, then
 * query), each AI at most once. */
typedef struct {
    tt_gs1_form_t form;
    char aim[4];                 /* symbology identifier ("]C1") or "" */
    size_t count;
    tt_gs1_pair_t pairs[TT_GS1_PAIRS_MAX];
} tt_gs1_result_t;

/*
 * Decoders.  All take NUL-terminated `data` (GS1 data never contains NUL),
 * a reference year for the century of (17) (0, or 1900..9899; see above),
 * a caller-owned result and a caller-owned reason buffer of rlen bytes
 * (reason may be NULL when rlen is 0).  On TT_OK *out holds the scan and
 * reason is "".  On failure *out is cleared (count 0) and reason holds one
 * English line saying what is wrong, e.g. "AI (01): check digit is 3,
 * expected 2".  Return codes:
 *   TT_OK
 *   TT_ERR_PARSE     malformed data: bad brackets, URI, percent-encoding or
 *                    symbology identifier; an unsupported AI; a value of the
 *                    wrong length, with a character outside its set, a wrong
 *                    check digit or an impossible date; a DL path without a
 *                    primary key or with misplaced qualifiers
 *   TT_ERR_INVAL     every element is well-formed but the set is not allowed
 *                    (an association rule, an AI repeated with another value);
 *                    also a NULL data/out or a ref_year out of range
 *   TT_ERR_NOTFOUND  not GS1 data at all: a non-GS1 symbology identifier
 *                    ("]C0", "]A0", ...) without a DL URI after it, or
 *                    (tt_gs1_decode only) data that starts like no form above;
 *                    the caller may treat it as a plain code
 */

/* Detects the form (a)-(d) from the first bytes: ']' scanner data, "http://"
 * or "https://" a DL URI, '(' bracketed, a digit or GS an element string. */
tt_err_t tt_gs1_decode(const char *data, int ref_year, tt_gs1_result_t *out,
                       char *reason, size_t rlen);

/* Form (a) only: must start with '('. */
tt_err_t tt_gs1_decode_bracketed(const char *data, int ref_year, tt_gs1_result_t *out,
                                 char *reason, size_t rlen);

/* Form (b) only: AIs and values, GS after variable-length values that are not
 * last.  One leading GS is allowed, and so is a GS after a predefined-length
 * value or at the very end; two GS in a row are refused. */
tt_err_t tt_gs1_decode_element(const char *data, int ref_year, tt_gs1_result_t *out,
                               char *reason, size_t rlen);

/* Form (c) only: must start with a three-character symbology identifier. */
tt_err_t tt_gs1_decode_scanner(const char *data, int ref_year, tt_gs1_result_t *out,
                               char *reason, size_t rlen);

/* Form (d) only: a GS1 Digital Link URI. */
tt_err_t tt_gs1_decode_dl(const char *data, int ref_year, tt_gs1_result_t *out,
                          char *reason, size_t rlen);

/* Returns the value of `ai` ("01") in `r` (pointing into r), or NULL when
 * absent or when an argument is NULL. */
const char *tt_gs1_find(const tt_gs1_result_t *r, const char *ai);

/* Copies the AI (17) date of `r` into *out.  Returns TT_OK; TT_ERR_NOTFOUND
 * when `r` has no (17); TT_ERR_INVAL for a NULL argument. */
tt_err_t tt_gs1_expiry(const tt_gs1_result_t *r, tt_gs1_date_t *out);

/* Stores the count of AI (30) or (37) of `r` in *out (0..99999999).
 * Returns TT_OK; TT_ERR_NOTFOUND when `r` lacks that AI; TT_ERR_INVAL when
 * `ai` is neither "30" nor "37" or an argument is NULL. */
tt_err_t tt_gs1_quantity(const tt_gs1_result_t *r, const char *ai, uint32_t *out);

/* Writes the canonical element string of `r` into buf: AIs and values in
 * order, GS (0x1D) after each variable-length value that is not last, no
 * leading FNC1.  Returns TT_OK; TT_ERR_FULL when `len` is too small
 * (TT_GS1_TEXT_MAX always suffices; buf is then "" if len > 0); TT_ERR_INVAL
 * for a NULL argument or a pair whose AI is not supported. */
tt_err_t tt_gs1_element_string(const tt_gs1_result_t *r, char *buf, size_t len);

/* Writes the canonical bracketed form "(01)...(10)..." of `r` into buf, with
 * '(' in values escaped as "\(".  Returns as tt_gs1_element_string(). */
tt_err_t tt_gs1_bracketed(const tt_gs1_result_t *r, char *buf, size_t len);

/* Returns the GS1 mod-10 check digit (0..9) for the n digits at `digits`
 * (the digits before the check digit), or -1 if n is 0 or one of them is not
 * a digit.  Used for GTIN, SSCC and every other GS1 key. */
int tt_gs1_check_digit(const char *digits, size_t n);

#endif
