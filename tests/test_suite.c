/* Suite files: the built-in grids expand to the design's counts and ids,
 * malformed files fail with file:line:column, and every case that cannot run
 * (bad values, overflowing sizes, over the memory limit, colliding ids) is
 * refused on load with the place to blame. */
#define _POSIX_C_SOURCE 200809L
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/suite.h"

#include <check.h>
#include <math.h>
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
        {"all", 625}, {"scaling", 6}, {"peers", 16},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        size_t n = count_suite(want[i].suite, NULL);
        ck_assert_msg(n == want[i].n, "%s: %zu cases, want %zu", want[i].suite, n, want[i].n);
    }
}
END_TEST

/* peers: each liblatent case has its faiss twin of the same workload, impl aside */
START_TEST(peers_pairs)
{
    lb_case_list l = {0};
    char err[512];
    ck_assert_msg(lb_suite_load("peers", NULL, &l, err, sizeof err) == LB_OK, "%s", err);
    size_t nfaiss = 0;
    for (size_t i = 0; i < l.count; i++) {
        const lb_case *c = &l.cases[i];
        int impl = lb_impl_parse(c->impl);
        ck_assert_int_ge(impl, 0);
        if (impl != LB_IMPL_FAISS) continue;
        nfaiss++;
        ck_assert_ptr_nonnull(strstr(c->id, "/faiss"));
        ck_assert_msg(i > 0 && lb_case_same_workload(&l.cases[i - 1], c) && lb_impl_parse(l.cases[i - 1].impl) == 0,
                      "%s has no liblatent twin before it", c->id);
    }
    ck_assert_uint_eq(nfaiss, 8);
    ck_assert_str_eq(lb_impl_name(lb_impl_parse("FAISS")), "faiss");
    ck_assert_int_eq(lb_impl_parse(""), LB_IMPL_LIBLATENT);
    ck_assert_int_eq(lb_impl_parse("annoy"), -1);
    lb_case_list_free(&l);
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

/* The head of a one-group suite: name g, op OP, id ID; params follow. */
#define G(op, id) "[[group]]\nname = \"g\"\nop = \"" op "\"\nid = \"" id "\"\n[group.params]\n"

/* Files that parse but describe cases that cannot run: each refused on load
 * (so by list as by run), at the place to blame. */
static const struct {
    const char *text, *where, *cause;
} g_invalid[] = {
    {G("knn", "g") "dimension = 0\nk = 1\ndataset_size = 10\n", ":6:13:", "dimension must be at least 1"},
    {G("knn", "g") "k = 1\ndataset_size = 10\n", ":3:6:", "operation 'knn' needs dimension"},
    {G("knn", "g") "dimension = 8\nk = 1152921504606846977\ndataset_size = 100\n", ":7:5:", "k = 1152921504606846977 is beyond any machine"},
    {G("knn", "g") "dimension = 1099511627776\nk = 1\ndataset_size = 1099511627776\n", ":6:13:", "the sizes overflow"},
    {G("knn_batch", "g") "dimension = 8\nk = 1099511627776\ndataset_size = 1099511627776\nbatch_size = 1099511627776\n",
     ":7:5:", "the sizes overflow: 1099511627776 queries x k 1099511627776 neighbours"},
    /* k beyond the rows is asked as min(k, rows): 2^40 queries of 100 answers, over memory, not an overflow */
    {G("knn_batch", "g") "dimension = 8\nk = 1099511627776\ndataset_size = 100\nbatch_size = 1099511627776\n", ":4:6:",
     "case 'g' needs about "},
    {G("attention_batch", "g") "dimension = 1099511627776\nseq_len = 1\nbatch_size = 1099511627776\n", ":6:13:", "the sizes overflow"},
    {G("attention", "g") "dimension = 1099511627776\nseq_len = 1099511627776\n", ":6:", "the sizes overflow"},
    {G("knn_batch", "g") "dimension = 8\nk = 1\ndataset_size = 10\n", ":3:6:", "needs batch_size"},
    {G("knn_batch", "g") "dimension = 8\nk = 1\ndataset_size = 10\nbatch_size = 0\n", ":9:14:", "batch_size must be at least 1"},
    {G("attention", "g") "dimension = 8\n", ":3:6:", "needs seq_len"},
    {G("attention", "g") "dimension = 8\nseq_len = 4\nattention = \"MultiHead\"\nnum_heads = 3\n", ":9:13:", "num_heads = 3 does not divide dimension (8)"},
    {G("attention", "g") "dimension = 12\nseq_len = 4\nattention = \"MultiHead\"\n", ":8:13:", "default of 8 heads"},
    {G("attention", "g") "dimension = 8\nseq_len = 4\nnum_heads = 0\n", ":8:13:", "num_heads must be at least 1"},
    {G("knn", "g") "dimension = 8\nk = 1\ndataset_size = 10\nmetric = \"Euclidian\"\n", ":9:10:", "did you mean 'Euclidean'"},
    {G("knn", "g") "dimension = 8\nk = 1\ndataset_size = 10\nmetric = \"L7\"\n", ":9:10:", "unknown metric 'L7'"},
    {G("knn", "g") "dimension = 8\nk = 1\ndataset_size = 10\nmetric = \"\"\n", ":9:10:", "metric must not be empty"},
    {G("attention", "g") "dimension = 8\nseq_len = 4\nattention = \"Sparse\"\n", ":8:13:", "unknown attention 'Sparse'"},
    {G("knn", "g") "dimension = 8\nk = 1\ndataset_size = 10\ncurvature = 1.0\n", ":9:13:", "finite curvature < 0"},
    {G("knn", "g") "dimension = 8\nk = 1\ndataset_size = 10\ncurvature = nan\n", ":9:13:", "finite curvature < 0"},
    {G("knn", "g") "dimension = 8\nk = 1\ndataset_size = 10\ncurvature = 0.0\n", ":9:13:", "finite curvature < 0"},
    {G("attention", "g") "dimension = 8\nseq_len = 4\nattention = \"MoE\"\ntop_k_experts = 5\n", ":9:17:", "top_k_experts = 5 is larger than num_experts (4)"},
    {G("attention", "g") "dimension = 8\nseq_len = 4\nattention = \"MoE\"\nnum_experts = 5000\n", ":9:15:", "at most 4096"},
    {G("attention", "g") "dimension = 8\nseq_len = 4\nattention = \"Flash\"\nblock_size = 2097152\n", ":9:14:", "keys per tile"},
    {G("knn", "g/x") "dimension = [8, 16]\nk = 1\ndataset_size = 10\n", ":4:6:", "id has no {dimension}"},
    {G("knn", "g/x") "v = [{ label = \"a\", dimension = 8 }, { label = \"a\", dimension = 16 }]\nk = 1\ndataset_size = 10\n"
     "", ":4:6:", "id has no {v}"},
    {G("knn", "g/{v}") "v = [{ label = \"a\", dimension = 8 }, { label = \"a\", dimension = 16 }]\nk = 1\ndataset_size = 10\n",
     ":4:6:", "id 'g/a' names two different cases"},
    {G("knn", "g/x") "dimension = 8\nk = 1\ndataset_size = 10\n" G("knn", "g/x") "dimension = 16\nk = 1\ndataset_size = 10\n",
     ":12:6:", "(the other at "},
    {G("knn", "g/\\u0007") "dimension = 8\nk = 1\ndataset_size = 10\n", ":4:6:", "control character"},
    {"include = [\"/nonexistent/x.toml\"]\n", ":1:12:", "include '/nonexistent/x.toml': no such suite file"},
    {"include = [\"latncy\"]\n", ":1:12:", "did you mean 'latency'"},
    /* impl (docs/PEERS.md): a known name, and only what the peer measures */
    {G("knn", "g") "dimension = 8\nk = 1\ndataset_size = 10\nimpl = \"fais\"\n", ":9:8:", "unknown impl 'fais' (did you mean 'faiss'?)"},
    {G("knn", "g") "dimension = 8\nk = 1\ndataset_size = 10\nimpl = \"\"\n", ":9:8:", "impl must not be empty"},
    {G("knn", "g") "dimension = 8\nk = 1\ndataset_size = 10\nmetric = \"Manhattan\"\nimpl = \"faiss\"\n", ":9:10:",
     "impl = 'faiss' has no Manhattan search (Euclidean, Cosine or Dot)"},
    {G("attention", "g") "dimension = 8\nseq_len = 4\nimpl = \"faiss\"\n", ":8:8:",
     "impl = 'faiss' measures knn and knn_batch only, not 'attention'"},
};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(invalid_cases)
{
    char dir[] = "/tmp/lb_suite_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    for (size_t i = 0; i < sizeof g_invalid / sizeof *g_invalid; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/bad%zu.toml", dir, i);
        write_file(path, g_invalid[i].text);
        lb_case_list l = {0};
        char err[512] = "";
        int rc = lb_suite_load(path, NULL, &l, err, sizeof err);
        ck_assert_msg(rc == LB_EDATA, "case %zu: rc %d (%s)", i, rc, err);
        ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "case %zu: '%s' does not start with the file", i, err);
        ck_assert_msg(strstr(err, g_invalid[i].where) != NULL, "case %zu: '%s' lacks place %s", i, err, g_invalid[i].where);
        ck_assert_msg(strstr(err, g_invalid[i].cause) != NULL, "case %zu: '%s' lacks cause %s", i, err, g_invalid[i].cause);
        ck_assert_msg(strchr(err, '\n') == NULL && strchr(err, '\a') == NULL, "case %zu: not one clean line", i);
        ck_assert_uint_eq(l.count, 0);
        lb_case_list_free(&l);
        remove(path);
    }
    rmdir(dir);
}
END_TEST

/* The same id in two groups, or two suites, is one case when both measure the
 * same thing; an include cycle and an oversized grid are errors. */
START_TEST(duplicates_includes_grids)
{
    char dir[] = "/tmp/lb_suite_XXXXXX", a[256], b[256], err[512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(a, sizeof a, "%s/a.toml", dir);
    write_file(a, G("knn", "g/x") "dimension = 8\nk = 1\ndataset_size = 10\n" G("knn", "g/x") "dimension = 8\nk = 1\ndataset_size = 10\n");
    lb_case_list l = {0};
    ck_assert_int_eq(lb_suite_load(a, NULL, &l, err, sizeof err), LB_OK);
    ck_assert_int_eq(lb_suite_load(a, NULL, &l, err, sizeof err), LB_OK); /* a second --suite of it */
    ck_assert_uint_eq(l.count, 1);
    ck_assert_ptr_nonnull(strstr(l.cases[0].origin, "a.toml:4:6"));
    /* a default spelt out is the same case as one left out */
    snprintf(b, sizeof b, "%s/b.toml", dir);
    write_file(b, G("knn", "g/x") "dimension = 8\nk = 1\ndataset_size = 10\nmetric = \"euclidean\"\nnum_heads = 8\n"
                  "curvature = -1.0\nattention = \"Standard\"\nnum_experts = 4\ntop_k_experts = 2\nblock_size = 64\n");
    ck_assert_msg(lb_suite_load(b, NULL, &l, err, sizeof err) == LB_OK, "%s", err);
    ck_assert_uint_eq(l.count, 1);
    /* the built-in suites agree with each other on every shared id */
    static const char *const builtin[] = {"ci", "all", "scaling", "peers"};
    lb_case_list all = {0};
    for (size_t i = 0; i < 4; i++) ck_assert_msg(lb_suite_load(builtin[i], NULL, &all, err, sizeof err) == LB_OK, "%s", err);
    lb_case_list_free(&all);
    write_file(b, G("knn", "g/x") "dimension = 16\nk = 1\ndataset_size = 10\n");
    ck_assert_int_eq(lb_suite_load(b, NULL, &l, err, sizeof err), LB_EDATA); /* another suite, another case */
    ck_assert_msg(strstr(err, "b.toml:4:6: id 'g/x' names two different cases (the other at ") && strstr(err, "a.toml:4:6)"),
                  "%s", err);
    lb_case_list_free(&l);

    char inc[300];
    snprintf(inc, sizeof inc, "include = [\"%s\"]\n", a); /* a includes itself */
    write_file(a, inc);
    ck_assert_int_eq(lb_suite_load(a, NULL, &l, err, sizeof err), LB_EDATA);
    ck_assert_msg(strstr(err, "a.toml:1:12: include cycle"), "%s", err);

    /* 3 axes of 100 values: a million cases is refused before expanding */
    char big[4096] = G("knn", "g/{dimension}/{k}/{dataset_size}");
    const char *keys[] = {"dimension", "k", "dataset_size"};
    for (int x = 0; x < 3; x++) {
        strcat(big, keys[x]);
        strcat(big, " = [");
        for (int v = 1; v <= 100; v++) snprintf(big + strlen(big), sizeof big - strlen(big), "%s%d", v > 1 ? "," : "", v);
        strcat(big, "]\n");
    }
    write_file(b, big);
    ck_assert_int_eq(lb_suite_load(b, NULL, &l, err, sizeof err), LB_EDATA);
    ck_assert_msg(strstr(err, "b.toml:5:") && strstr(err, "the grid has more than 100000 cases"), "%s", err);
    ck_assert_uint_eq(l.count, 0);
    remove(a);
    remove(b);
    rmdir(dir);
}
END_TEST

/* A case over this machine's memory is refused on load, naming estimate and
 * limit; run's per-rank limits are not the load's business. */
START_TEST(memory_limit)
{
    char dir[] = "/tmp/lb_suite_XXXXXX", path[256], err[512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.toml", dir);
    uint64_t mem = lb_machine_memory();
    ck_assert_uint_gt(mem, 1u << 20);
    /* 2^36 rows of 1024 floats: 565 TB, over any machine this runs on */
    write_file(path, G("knn", "g/{dataset_size}") "dimension = 1024\nk = 1\ndataset_size = [10, 68719476736]\n");
    lb_case_list l = {0};
    ck_assert_int_eq(lb_suite_load(path, NULL, &l, err, sizeof err), LB_EDATA);
    ck_assert_msg(strstr(err, "m.toml:4:6: case 'g/68719476736' needs about 565 TB, over the memory limit of ") &&
                      strstr(err, " (this machine's memory)"), "%s", err);
    ck_assert_uint_eq(l.count, 0);
    setenv("LATENTBENCH_MAX_MEMORY", "1M", 1); /* run's per-rank limit: not the load's */
    write_file(path, G("knn", "g/{dataset_size}") "dimension = 64\nk = 1\ndataset_size = [10, 100000]\n");
    ck_assert_int_eq(lb_suite_load(path, NULL, &l, err, sizeof err), LB_OK);
    ck_assert_uint_eq(l.count, 2);
    unsetenv("LATENTBENCH_MAX_MEMORY");
    /* the limit itself, through lb_case_validate */
    const char *p = NULL;
    ck_assert_int_eq(lb_case_validate(&l.cases[1], 4u << 20, &p, err, sizeof err), LB_EDATA);
    ck_assert_str_eq(p, "id");
    ck_assert_msg(strstr(err, "case 'g/100000' needs about 55.4 MB, over the memory limit of 4.19 MB"), "%s", err);
    lb_case_list_free(&l);
    remove(path);
    rmdir(dir);
}
END_TEST

/* lb_case_validate and the sizing on cases made in code. */
START_TEST(validate_and_size)
{
    lb_case c;
    memset(&c, 0, sizeof c);
    snprintf(c.id, sizeof c.id, "x");
    snprintf(c.op, sizeof c.op, "knn");
    c.dimension = 8;
    c.k = 10;
    c.dataset_size = 1000;
    const char *p = NULL;
    char err[256];
    ck_assert_int_eq(lb_case_validate(&c, 0, &p, err, sizeof err), LB_OK);
    c.k = 5000; /* more than the rows: liblatent answers with all of them */
    ck_assert_int_eq(lb_case_validate(&c, 0, &p, err, sizeof err), LB_OK);
    c.curvature = NAN;
    ck_assert_int_eq(lb_case_validate(&c, 0, &p, err, sizeof err), LB_EDATA);
    ck_assert_str_eq(p, "curvature");
    c.curvature = -0.5;
    snprintf(c.metric, sizeof c.metric, "cosine"); /* names in any case */
    ck_assert_int_eq(lb_case_validate(&c, 0, &p, err, sizeof err), LB_OK);
    ck_assert_int_eq(lb_case_validate(&c, 1 << 20, &p, err, sizeof err), LB_EDATA); /* 1 MiB: the base alone */
    ck_assert_str_eq(p, "id");
    c.k = -1;
    ck_assert_int_eq(lb_case_validate(&c, 0, &p, err, sizeof err), LB_EDATA);
    ck_assert_str_eq(p, "k");
    snprintf(c.op, sizeof c.op, "noop"); /* allocates nothing */
    c.k = 1;
    c.dimension = 0;
    ck_assert_int_eq(lb_case_validate(&c, 0, &p, err, sizeof err), LB_OK);

    lb_case_shape sh;
    snprintf(c.op, sizeof c.op, "knn");
    c.dimension = 8;
    c.k = 5000; /* asked as min(k, rows) */
    ck_assert(lb_case_shape_of(&c, &sh));
    ck_assert_uint_eq(sh.k, 1000);
    ck_assert_uint_eq(sh.rows, 1000);
    snprintf(c.op, sizeof c.op, "knn_merge"); /* lists of k, no rows */
    c.batch_size = 3;
    ck_assert(lb_case_shape_of(&c, &sh));
    ck_assert_uint_eq(sh.k, 5000);
    ck_assert_uint_eq(sh.nq, 3);
    snprintf(c.op, sizeof c.op, "knn");
    c.batch_size = 0;

    ck_assert_int_eq(lb_metric_parse(""), 0);
    ck_assert_int_eq(lb_metric_parse("Dot"), 4);
    ck_assert_int_eq(lb_metric_parse("L2"), -1);
    ck_assert_int_eq(lb_attention_parse("moe"), 3);

    sh = (lb_case_shape){.d = 1, .rows = UINT64_MAX / 2, .nq = 1, .k = 1};
    ck_assert_uint_eq(lb_case_bytes(&sh, sh.rows, 0), 0); /* overflow */
    sh = (lb_case_shape){.d = 8, .rows = 0, .nq = 2, .k = UINT64_MAX / 16};
    ck_assert_uint_eq(lb_case_bytes(&sh, 0, 0), 0);
    sh = (lb_case_shape){.d = 16, .rows = 100, .nq = 2, .k = 3, .state_floats = 18};
    uint64_t base = lb_case_bytes(&sh, 100, 0);
    ck_assert_uint_eq(base, (1u << 20) + 100 * 2 * (64 + 16) + 2 * 16 * 8 + 2 * 3 * 16 + 2 * 8);
    ck_assert_uint_eq(lb_case_bytes(&sh, 100, 1), base + 3 * 18 * 4);
}
END_TEST

/* Every built-in suite passes the checks (the counts above load them all). */

int main(void)
{
    Suite *s = suite_create("suite");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, builtin_counts);
    tcase_add_test(tc, design_ids);
    tcase_add_test(tc, filter);
    tcase_add_test(tc, unknown_suite);
    tcase_add_test(tc, malformed_files);
    tcase_add_test(tc, invalid_cases);
    tcase_add_test(tc, peers_pairs);
    tcase_add_test(tc, duplicates_includes_grids);
    tcase_add_test(tc, memory_limit);
    tcase_add_test(tc, validate_and_size);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
