/*
 * Unit tests of server/yamldoc: the tree of a YAML document with each
 * node's line and column, and the refusals (aliases, tags, duplicate keys,
 * several documents, nesting beyond the limit) with file:line:col.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "yamldoc.h"

static tt_yaml_node_t *load(const char *text)
{
    tt_yaml_node_t *root = NULL;
    char err[TT_YAML_ERR_MAX] = "";
    if (tt_yaml_load("t.yaml", text, strlen(text), &root, err, sizeof err) != TT_OK)
        fail_msg("%s", err);
    return root;
}

static void tree_with_marks(void **state)
{
    static const char text[] = "name: 审批\n"
                               "count: 12\n"
                               "quoted: \"12\"\n"
                               "list:\n"
                               "  - a\n"
                               "  - {k: v}\n";
    tt_yaml_node_t *root = load(text);
    const tt_yaml_node_t *n;
    (void)state;
    assert_int_equal(root->kind, TT_YAML_MAP);
    assert_int_equal(root->n, 4);
    n = tt_yaml_get(root, "name");
    assert_string_equal(n->text, "审批");
    assert_int_equal(n->line, 1);
    assert_int_equal(n->col, 7);
    assert_false(tt_yaml_get(root, "count")->quoted);
    assert_true(tt_yaml_get(root, "quoted")->quoted);
    n = tt_yaml_get(root, "list");
    assert_int_equal(n->kind, TT_YAML_SEQ);
    assert_int_equal(n->n, 2);
    assert_int_equal(n->items[1]->kind, TT_YAML_MAP);
    assert_int_equal(n->items[1]->line, 6);
    assert_int_equal(n->items[1]->col, 5);
    assert_string_equal(tt_yaml_get(n->items[1], "k")->text, "v");
    assert_null(tt_yaml_get(root, "missing"));
    assert_null(tt_yaml_get(n, "k"));   /* not a mapping */
    tt_yaml_free(root);
    tt_yaml_free(NULL);
}

static void expect_refused(const char *text, const char *want)
{
    tt_yaml_node_t *root = (tt_yaml_node_t *)0x1;
    char err[TT_YAML_ERR_MAX] = "";
    assert_int_equal(tt_yaml_load("t.yaml", text, strlen(text), &root, err, sizeof err),
                     TT_ERR_PARSE);
    assert_null(root);
    if (strcmp(err, want) != 0)
        fail_msg("got      %s\nexpected %s", err, want);
}

static void refusals(void **state)
{
    char deep[300];
    size_t n = 0;
    (void)state;
    expect_refused("a: 1\nb: *x\n", "t.yaml:2:4: aliases (*name) are not accepted");
    expect_refused("a: !!str 1\n", "t.yaml:1:4: anchors and tags are not accepted");
    expect_refused("a: &x [1]\n", "t.yaml:1:4: anchors and tags are not accepted");
    expect_refused("a: 1\nb: 2\na: 3\n", "t.yaml:3:1: key 'a' given twice");
    expect_refused("[a]: 1\n", "t.yaml:1:1: a mapping key must be a plain name");
    expect_refused("a: 1\n---\nb: 2\n", "t.yaml:2:1: only one YAML document is accepted");
    expect_refused("# only a comment\n", "t.yaml:2:1: the file is empty");
    expect_refused("a: \"x\\0y\"\n", "t.yaml:1:4: a NUL character in a value");
    for (int i = 0; i < 70; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    expect_refused(deep, "t.yaml:1:66: nested deeper than 64 levels");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tree_with_marks),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
