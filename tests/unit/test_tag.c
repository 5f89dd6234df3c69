/* tag: the JSON description of scans and EPCs that `tagtrail decode` prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "tag.h"

static cJSON *describe(const char *data)
{
    char reason[160], *json = NULL;
    cJSON *o;
    assert_int_equal(tt_tag_json(data, 2026, &json, reason, sizeof reason), TT_OK);
    assert_string_equal(reason, "");
    o = cJSON_Parse(json);
    free(json);
    assert_non_null(o);
    return o;
}

static const char *field(const cJSON *o, const char *name)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    assert_true(cJSON_IsString(f));
    return f->valuestring;
}

static void test_sgtin(void **state)
{
    cJSON *o = describe("3074257BF7194E4000001A85");
    (void)state;
    assert_string_equal(field(o, "kind"), "epc");
    assert_string_equal(field(o, "scheme"), "sgtin-96");
    assert_string_equal(field(o, "company_prefix"), "0614141");
    assert_string_equal(field(o, "serial"), "6789");
    assert_string_equal(field(o, "gtin"), "80614141123458");
    assert_string_equal(field(o, "tag_uri"), "urn:epc:tag:sgtin-96:3.0614141.812345.6789");
    assert_string_equal(field(o, "gs1"), "(01)80614141123458(21)6789");
    cJSON_Delete(o);
}

static void test_gs1(void **state)
{
    cJSON *o = describe("]C1010950600013435217201225\x1d" "10ABC123");
    const cJSON *ais = cJSON_GetObjectItemCaseSensitive(o, "ais");
    (void)state;
    assert_string_equal(field(o, "kind"), "gs1");
    assert_string_equal(field(o, "aim"), "]C1");
    assert_int_equal(cJSON_GetArraySize(ais), 3);
    assert_string_equal(field(cJSON_GetArrayItem(ais, 1), "date"), "2020-12-25");
    assert_string_equal(field(o, "bracketed"), "(01)09506000134352(17)201225(10)ABC123");
    cJSON_Delete(o);
}

/* 24 digits are EPC-shaped hex and GS1-shaped digits at once: with no EPC
 * header of ours in front they are read as a GS1 element string. */
static void test_digits_not_epc(void **state)
{
    cJSON *o = describe("010950600013435230000042");
    (void)state;
    assert_string_equal(field(o, "kind"), "gs1");
    cJSON_Delete(o);
}

static void test_refusals(void **state)
{
    char reason[160], *json = (char *)1;
    (void)state;
    assert_int_equal(tt_tag_json("(10)ABC", 2026, &json, reason, sizeof reason), TT_ERR_INVAL);
    assert_null(json);
    assert_non_null(strstr(reason, "requires AI (01)"));
    /* One hex digit short: not an EPC, and not GS1 either. */
    assert_int_equal(tt_tag_json("3074257BF7194E4000001A8", 2026, &json, reason, sizeof reason),
                     TT_ERR_PARSE);
    /* An EPC of a scheme we do not decode says so, rather than a GS1 error. */
    assert_int_equal(tt_tag_json("3F74257BF7194E4000001A85", 2026, &json, reason, sizeof reason),
                     TT_ERR_NOTFOUND);
    assert_non_null(strstr(reason, "not supported"));
    assert_int_equal(tt_tag_json("(01)09506000134353", 2026, &json, reason, sizeof reason),
                     TT_ERR_PARSE);
    assert_non_null(strstr(reason, "check digit"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgtin),
        cmocka_unit_test(test_gs1),
        cmocka_unit_test(test_digits_not_epc),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
