/*
 * Fuzzes the CSV reader (shared/csv.h) with a three-column header
 * "code,name,qty", reading every row to the end.  Invariants: every call
 * either returns a row of exactly three fields or terminates its message;
 * the reader always advances, so the number of calls is bounded by the
 * input's size; a row's fields fit the row buffer.
 */
#include "fuzz.h"

#include "csv.h"

static const char *const columns[] = {"code", "name", "qty"};
#define NCOLS (sizeof columns / sizeof columns[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tt_csv_t csv;
    char err[TT_CSV_ERR_MAX];

    tt_err_t rc = tt_csv_open(&csv, "fuzz.csv", (const char *)data, size, columns, NCOLS, err,
                              sizeof err);
    if (rc != TT_OK) {
        FUZZ_CHECK(rc == TT_ERR_PARSE);
        FUZZ_CHECK(fuzz_terminated(err, sizeof err) && strncmp(err, "fuzz.csv:", 9) == 0);
        return 0;
    }
    /* Each row, good or bad, consumes at least one byte. */
    for (size_t calls = 0;; calls++) {
        FUZZ_CHECK(calls <= size + 1);
        rc = tt_csv_next(&csv, err, sizeof err);
        if (rc == TT_ERR_NOTFOUND)
            break;
        if (rc != TT_OK) {
            FUZZ_CHECK(rc == TT_ERR_PARSE);
            FUZZ_CHECK(fuzz_terminated(err, sizeof err) && strncmp(err, "fuzz.csv:", 9) == 0);
            continue;
        }
        FUZZ_CHECK(csv.nfields == NCOLS);
        size_t total = 0;
        for (size_t i = 0; i < NCOLS; i++) {
            const char *f = csv.fields[i];
            FUZZ_CHECK(f >= csv.buf && f < csv.buf + sizeof csv.buf);
            FUZZ_CHECK(fuzz_terminated(f, (size_t)(csv.buf + sizeof csv.buf - f)));
            total += strlen(f);
        }
        FUZZ_CHECK(total <= TT_CSV_ROW_MAX);
        FUZZ_CHECK(csv.row_line >= 2);
    }
    return 0;
}
