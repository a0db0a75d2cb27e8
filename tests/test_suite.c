/* Suite files: the built-in grids expand to the design's counts and ids, and
 * malformed files fail with file:line:column. */
#define _POSIX_C_SOURCE 200809L
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/suite.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static size_t count_suite(const char *name, const char *filter)
{
    lb_case_list l = {0};
    char err[512];
    int rc = lb_suite_load(name, filter, &l, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "%s: %s", name, err);
    size_t n = l.count;
    lb_case_list_free(&l);
    return n;
}

START_TEST(builtin_counts)
{
    static const struct { const char *suite; size_t n; } want[] = {
        {"latency", 41}, {"throughput", 12}, {"memory", 16}, {"matrix", 480}, {"critical_path", 18},
        {"attention_comparison", 54}, {"distance_comparison", 12}, {"flash_attention", 16}, {"ci", 20},
        {"all", 625}, {"scaling", 6},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        size_t n = count_suite(want[i].suite, NULL);
        ck_assert_msg(n == want[i].n, "%s: %zu cases, want %zu", want[i].suite, n, want[i].n);
    }
}
END_TEST

START_TEST(design_ids)
{
    static const char *ids[] = {
        "latent_space_creation/64", "add_embedding/256", "knn_search/dim_128/10",
        "attention_computation/dim_64/Standard", "batch_add_embeddings/32", "parallel_knn_search/8",
        "memory_scaling/10000", "attention_comparison/Flash@dim_256/500", "distance_comparison/Cosine@dim_128/knn_100",
        "flash_vs_standard/Flash/1024", "matrix/dim_128/k_10/batch_1/dataset_10000/knn_search",
        "attention_computation/dim_512/MoE { num_experts: 4 }", "memory_flash_vs_standard/Standard/2048",
    };
    lb_case_list l = {0};
    char err[512];
    ck_assert_int_eq(lb_suite_load("all", NULL, &l, err, sizeof err), LB_OK);
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        size_t j;
        for (j = 0; j < l.count; j++)
            if (strcmp(l.cases[j].id, ids[i]) == 0) break;
        ck_assert_msg(j < l.count, "missing id %s", ids[i]);
    }
    /* parameters reach the case */
    for (size_t j = 0; j < l.count; j++)
        if (strcmp(l.cases[j].id, "attention_comparison/MultiHead_4@dim_512/1000") == 0) {
            ck_assert_int_eq(l.cases[j].dimension, 512);
            ck_assert_int_eq(l.cases[j].seq_len, 1000);
            ck_assert_int_eq(l.cases[j].num_heads, 4);
            ck_assert_str_eq(l.cases[j].attention, "MultiHead");
            ck_assert_str_eq(l.cases[j].op, "attention");
        }
    lb_case_list_free(&l);
}
END_TEST

START_TEST(filter)
{
    ck_assert_uint_eq(count_suite("matrix", "^matrix/dim_64/"), 96);
    ck_assert_uint_eq(count_suite("matrix", "k_10000/batch_(1|8)/"), 40);
    lb_case_list l = {0};
    char err[512];
    ck_assert_int_eq(lb_suite_load("matrix", "(", &l, err, sizeof err), LB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err, "--filter"));
}
END_TEST

START_TEST(unknown_suite)
{
    lb_case_list l = {0};
    char err[512];
    ck_assert_int_eq(lb_suite_load("no_such_suite", NULL, &l, err, sizeof err), LB_ENOINPUT);
    ck_assert_ptr_nonnull(strstr(err, "no_such_suite"));
    ck_assert_int_eq(lb_suite_load("/nonexistent/x.toml", NULL, &l, err, sizeof err), LB_ENOINPUT);
    ck_assert_uint_eq(l.count, 0);
}
END_TEST

/* Each malformed file and the exact place its error must name. */
static const struct {
    const char *text, *where, *cause;
} g_bad[] = {
    {"suite = \"x\"\n[[group]]\nname = \"g\"\nop = \"knn\"\nid = \"g/{k}\"\n[group.params]\nk = [1, 2\n", ":7:", ""},
    {"suite = \"x\"\nbogus = 1\n", ":2:1:", "unknown key 'bogus'"},
    {"[[group]]\nname = \"g\"\nop = \"nope\"\nid = \"g\"\n[group.params]\nk = 1\n", ":3:6:", "unknown operation"},
    {"[[group]]\nname = \"g\"\nop = \"knn\"\nid = \"g/{dim}\"\n[group.params]\nk = 1\n", ":4:6:", "'{dim}'"},
    {"[[group]]\nname = \"g\"\nop = \"knn\"\nid = \"g\"\n[group.params]\nk = \"ten\"\n", ":6:5:", "integer"},
    {"[[group]]\nname = \"g\"\nop = \"knn\"\nid = \"g\"\n[group.params]\nk = -3\n", ":6:5:", "negative"},
    {"[[group]]\nname = \"g\"\nop = \"knn\"\nid = \"g/{v}\"\n[group.params]\nv = [{ attention = \"Flash\" }]\n", ":6:",
     "label"},
    {"[[group]]\nname = \"g\"\nop = \"knn\"\n[group.params]\nk = 1\n", ":1:", "id"},
};

START_TEST(malformed_files)
{
    char dir[] = "/tmp/lb_suite_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    for (size_t i = 0; i < sizeof g_bad / sizeof *g_bad; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/bad%zu.toml", dir, i);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(g_bad[i].text, f);
        fclose(f);
        lb_case_list l = {0};
        char err[512] = "";
        int rc = lb_suite_load(path, NULL, &l, err, sizeof err);
        ck_assert_msg(rc == LB_EDATA, "case %zu: rc %d (%s)", i, rc, err);
        ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "case %zu: '%s' does not start with the file", i, err);
        ck_assert_msg(strstr(err, g_bad[i].where) != NULL, "case %zu: '%s' lacks place %s", i, err, g_bad[i].where);
        ck_assert_msg(strstr(err, g_bad[i].cause) != NULL, "case %zu: '%s' lacks cause %s", i, err, g_bad[i].cause);
        ck_assert_msg(strchr(err, '\n') == NULL, "case %zu: more than one line", i);
        lb_case_list_free(&l);
        remove(path);
    }
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("suite");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, builtin_counts);
    tcase_add_test(tc, design_ids);
    tcase_add_test(tc, filter);
    tcase_add_test(tc, unknown_suite);
    tcase_add_test(tc, malformed_files);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
