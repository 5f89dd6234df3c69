/*
 * Fuzzes tt_epc_decode on a NUL-terminated copy of the input.  Invariants:
 * on success every string field is terminated, and the GS1 element string
 * decodes as bracketed GS1 data whose key AI carries the EPC's key.
 */
#include "fuzz.h"

#include "epc.h"
#include "gs1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tt_epc_t e;
    tt_gs1_result_t g;
    char reason[TT_EPC_REASON_MAX], greason[TT_GS1_REASON_MAX];
    char *s = fuzz_cstr(data, size);

    if (!s)
        return 0;
    tt_err_t rc = tt_epc_decode(s, &e, reason, sizeof reason);
    free(s);
    FUZZ_CHECK(fuzz_terminated(reason, sizeof reason));
    if (rc != TT_OK)
        return 0;
    FUZZ_CHECK(reason[0] == '\0');
    FUZZ_CHECK(e.scheme == TT_EPC_SGTIN_96 || e.scheme == TT_EPC_GIAI_96 ||
               e.scheme == TT_EPC_GIAI_202);
    FUZZ_CHECK(tt_epc_scheme_name(e.scheme) != NULL);
    FUZZ_CHECK(e.filter <= 7 && e.partition <= 6);
    FUZZ_CHECK(fuzz_terminated(e.company_prefix, sizeof e.company_prefix));
    FUZZ_CHECK(fuzz_terminated(e.reference, sizeof e.reference));
    FUZZ_CHECK(fuzz_terminated(e.key, sizeof e.key));
    FUZZ_CHECK(fuzz_terminated(e.pure_uri, sizeof e.pure_uri));
    FUZZ_CHECK(fuzz_terminated(e.tag_uri, sizeof e.tag_uri));
    FUZZ_CHECK(fuzz_terminated(e.gs1, sizeof e.gs1));
    size_t plen = strlen(e.company_prefix);
    FUZZ_CHECK(plen >= 6 && plen <= TT_EPC_PREFIX_MAX);

    FUZZ_CHECK(tt_gs1_decode_bracketed(e.gs1, 0, &g, greason, sizeof greason) == TT_OK);
    const char *key = tt_gs1_find(&g, e.scheme == TT_EPC_SGTIN_96 ? "01" : "8004");
    FUZZ_CHECK(key != NULL && strcmp(key, e.key) == 0);
    return 0;
}
