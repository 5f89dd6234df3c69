/*
 * Fuzzes tt_tag_json (the `tagtrail decode` describer) on a NUL-terminated
 * copy of the input.  Invariants: on success the output is one valid JSON
 * document; on failure there is no output and the reason is terminated.
 */
#include <cjson/cJSON.h>

#include "fuzz.h"

#include "tag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = NULL, reason[256];
    char *s = fuzz_cstr(data, size);

    if (!s)
        return 0;
    tt_err_t rc = tt_tag_json(s, 2025, &json, reason, sizeof reason);
    free(s);
    if (rc != TT_OK) {
        FUZZ_CHECK(json == NULL);
        FUZZ_CHECK(fuzz_terminated(reason, sizeof reason));
        return 0;
    }
    FUZZ_CHECK(json != NULL);
    cJSON *root = cJSON_Parse(json);
    FUZZ_CHECK(root != NULL && cJSON_IsObject(root));
    cJSON_Delete(root);
    free(json);
    return 0;
}
