/*
 * The export module: every format rendered from one fixture with known values
 * (including ids that collide in TOML, invalid UTF-8, quotes and non-finite
 * numbers), the units, and the atomic file output.
 *
 * `test_export --write DIR` writes the fixture in every format (results.md,
 * .json, .csv, .toml, .gbench.json, ab.* for the A/B fixture and empty.* for
 * results without rows) for tests/test_export_py.py to parse back with
 * Python's own readers.
 */
#define _XOPEN_SOURCE 700

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export_internal.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/export.h"
#include "latentbench/fileio.h"

#include "scratch.h"

/* ---- fixture ---------------------------------------------------------------- */

#define NROWS 11
#define WEIRD_ID "we\"ird\\back,slash|pipe`\n\x01\xff\xc2\xb5"

typedef struct {
    lb_results  r;
    lb_row      rows[NROWS];
    lb_sample   s0[3], s3[2];
    lb_sample  *samples[NROWS];
    size_t      nsamples[NROWS];
    lb_rank_row ranks[2];
    /* the A/B fixture's (fixture_init_ab) */
    lb_row      base_rows[NROWS];
    lb_ab_row   ab[NROWS];
    lb_ab_pair  p0[3];
    lb_ab_pair *pairs[NROWS];
    size_t      npairs[NROWS];
} fixture;

static lb_row make_row(const char *id, const char *group, int64_t dim, double median_ns)
{
    lb_row w;
    memset(&w, 0, sizeof w);
    snprintf(w.id, sizeof w.id, "%s", id);
    snprintf(w.suite, sizeof w.suite, "fixture");
    snprintf(w.group, sizeof w.group, "%s", group);
    snprintf(w.op, sizeof w.op, "knn");
    w.dimension = dim;
    w.samples = 20;
    w.iterations = 2100;
    w.median_ns = median_ns;
    w.mean_ns = median_ns * 1.01;
    w.std_dev_ns = median_ns * 0.05;
    w.mad_ns = median_ns * 0.03;
    w.min_ns = median_ns * 0.9;
    w.max_ns = median_ns * 1.3;
    w.ci_low_ns = median_ns * 0.98;
    w.ci_high_ns = median_ns * 1.04;
    w.slope_ns = median_ns;
    w.peak_bytes = 1000000;
    w.avg_bytes = 500000;
    w.allocations = 3;
    w.rss_peak_bytes = 50000000;
    w.ranks = 2;
    w.rank_min_ns = w.rank_median_ns = w.rank_max_ns = median_ns;
    return w;
}

static void fixture_init(fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    lb_row *w = fx->rows;
    w[0] = make_row("knn_search/dim_128/10", "knn_search", 128, 44800);
    w[0].mean_ns = 45200, w[0].std_dev_ns = 2100, w[0].mad_ns = 1400;
    w[0].k = 10, w[0].dataset_size = 10000;
    snprintf(w[0].metric, sizeof w[0].metric, "Euclidean");
    w[0].slope_ns = NAN;
    w[0].throughput_elements = 223214.28571428571;
    w[1] = make_row("knn_search/dim_256/100", "knn_search", 256, 123100);
    w[1].mean_ns = 124500, w[1].std_dev_ns = 5300, w[1].mad_ns = 3200;
    w[2] = make_row("batch_add_embeddings/32", "batch_add_embeddings", 256, 3746);
    w[2].throughput_bytes = 2.34 * 1024.0 * 1024.0 * 1024.0;
    w[2].throughput_elements = 8542;
    w[2].batch_size = 32;
    w[3] = make_row("parallel_knn_search/32", "parallel_knn_search", 256, 1.5e9); /* takes w[2]'s table */
    w[3].throughput_elements = 21.333;
    w[4] = make_row("memory_scaling/10000", "memory_scaling", 256, 2.5e6);
    w[4].peak_bytes = 245000000, w[4].avg_bytes = 198000000, w[4].allocations = 12543;
    w[5] = make_row("attention_computation/dim_64/MultiHead { num_heads: 8 }", "attention_computation", 64, 999.96);
    w[5].rank_max_ns = INFINITY;
    w[5].rank_min_ns = -INFINITY;
    snprintf(w[5].attention, sizeof w[5].attention, "MultiHead");
    w[6] = make_row(WEIRD_ID, "weird", 8, 2.5);
    snprintf(w[6].note, sizeof w[6].note, "budget: 12 of 100 samples, \"quoted\"");
    w[7] = make_row("knn_search/dim_128/10", "knn_search", 128, 50000); /* duplicate id */
    w[8] = make_row("knn_search/dim_128/10", "knn_search", 128, 60000); /* and again */
    w[9] = make_row("memory_scaling/5000", "memory_scaling", 0, 1000);  /* no dimension: no design table */
    w[10] = make_row("knn_search/dim_128/10x", "knn_search", 128, 1000);

    fx->s0[0] = (lb_sample){100, 44000.5, 0};
    fx->s0[1] = (lb_sample){200, 44800, 0};
    fx->s0[2] = (lb_sample){300, NAN, 1};
    fx->s3[0] = (lb_sample){1, 1.5e9, 0};
    fx->s3[1] = (lb_sample){2, 1.6e9, 0};
    fx->samples[0] = fx->s0, fx->nsamples[0] = 3;
    fx->samples[3] = fx->s3, fx->nsamples[3] = 2;

    fx->ranks[0] = (lb_rank_row){0, "node-a", 16, 245000000, 300000000};
    fx->ranks[1] = (lb_rank_row){1, "node-\"b\"", 16, 240000000, 290000000};

    lb_meta *m = &fx->r.meta;
    m->schema_version = LB_SCHEMA_VERSION;
    m->tool_version = "0.1.0";
    m->git_commit = "abc123def456";
    m->created = "2024-05-06T07:08:09Z";
    m->hostname = "node-a";
    m->machine = "Test CPU @ 2.0GHz; 16 cores; avx2";
    m->compiler = "GCC 12.2.0";
    m->build_type = "Release";
    m->command_line = "latentbench run --filter 'a\"b\\c'";
    m->mpi_ranks = 2;
    m->omp_threads = 8;
    m->timer_resolution_ns = 1;
    m->timer_overhead_ns = 20.5;
    fx->r.rows = fx->rows;
    fx->r.nrows = NROWS;
    fx->r.samples = fx->samples;
    fx->r.nsamples = fx->nsamples;
    fx->r.ranks = fx->ranks;
    fx->r.nranks = 2;
}

/* The A/B fixture: the rows above as the candidate; the baseline's rows the
 * same with 0.95 times the median; row 0 a regression with three pairs, row 1
 * an improvement using more memory, the rest no change; row 3's baseline peak
 * beyond int64, row 5's ratio NaN, row 6's order in need of quoting. */
static void fixture_init_ab(fixture *fx)
{
    fixture_init(fx);
    for (size_t i = 0; i < NROWS; i++) {
        fx->base_rows[i] = fx->rows[i];
        fx->base_rows[i].median_ns = fx->rows[i].median_ns * 0.95;
        lb_ab_row *a = &fx->ab[i];
        memcpy(a->id, fx->rows[i].id, LB_ID_LEN);
        a->rounds = 30;
        a->block_iters = 100;
        snprintf(a->order, sizeof a->order, "%s", i % 2 ? "random" : "abba");
        a->ratio = 1.0;
        a->ratio_ci_low = 0.99, a->ratio_ci_high = 1.01;
        a->ratio_lower = 0.992, a->ratio_upper = 1.008;
        a->confidence = 0.99;
        a->p_slower = a->p_faster = 0.5;
        a->log_ratio_mad = 0.004;
        a->threshold_pct = 5;
        snprintf(a->verdict, sizeof a->verdict, "NoChange");
        a->peak_bytes_a = a->peak_bytes_b = 1000000;
        a->allocations_a = a->allocations_b = 3;
        snprintf(a->memory_verdict, sizeof a->memory_verdict, "Same");
    }
    lb_ab_row *a = fx->ab;
    a[0].ratio = 1.0526315789473684;
    a[0].ratio_ci_low = 1.031, a[0].ratio_ci_high = 1.074;
    a[0].p_slower = 0.0004, a[0].p_faster = 0.9996;
    snprintf(a[0].verdict, sizeof a[0].verdict, "Regression");
    a[1].ratio = 0.9;
    a[1].ratio_ci_low = 0.88, a[1].ratio_ci_high = 0.92;
    a[1].p_slower = 0.999, a[1].p_faster = 0.02;
    snprintf(a[1].verdict, sizeof a[1].verdict, "Improvement");
    a[1].peak_bytes_b = 1200000;
    snprintf(a[1].memory_verdict, sizeof a[1].memory_verdict, "More");
    a[3].peak_bytes_a = UINT64_MAX;
    a[5].ratio = NAN;
    snprintf(a[6].order, sizeof a[6].order, "ab|ba, \"x\"");
    fx->p0[0] = (lb_ab_pair){0, 0, 42000.5, 44000.25};
    fx->p0[1] = (lb_ab_pair){1, 1, 42100, 44100};
    fx->p0[2] = (lb_ab_pair){2, 1, NAN, 44200};
    fx->pairs[0] = fx->p0, fx->npairs[0] = 3;
    fx->r.base_rows = fx->base_rows;
    fx->r.ab = fx->ab;
    fx->r.pairs = fx->pairs;
    fx->r.npairs = fx->npairs;
    fx->r.meta.library = "/opt/b/liblatent.so";
    fx->r.meta.library_hash = "bbbbbbbbbbbbbbbb";
    fx->r.base_library = "/opt/a/liblatent.so";
    fx->r.base_library_hash = "aaaaaaaaaaaaaaaa";
}

/* ---- helpers ---------------------------------------------------------------- */

static char g_out[1 << 20];

/* Renders r in format f into g_out (NUL-terminated); returns the status. */
static int render(const lb_results *r, lb_export_format f)
{
    FILE *t = tmpfile();
    ck_assert_ptr_nonnull(t);
    int rc = lb_export_write(t, r, f);
    rewind(t);
    size_t n = fread(g_out, 1, sizeof g_out - 1, t);
    g_out[n] = '\0';
    fclose(t);
    return rc;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* Check's messages are limited in length: show the start of the output only. */
#define STR(x) #x
#define XSTR(x) STR(x)
#define ck_assert_has(needle) ck_assert_msg(strstr(g_out, needle), "missing:\n%s\nin:\n%.1500s", needle, g_out)
#define ck_assert_lacks(needle) ck_assert_msg(!strstr(g_out, needle), "unexpected:\n%s\nin:\n%.1500s", needle, g_out)

static void teardown_leaks(void)
{
    ck_assert_uint_eq(lb_alloc_current(), 0);
}

static void dir_setup(void)
{
    lbt_scratch_make("lb_export");
}

static void dir_teardown(void)
{
    lbt_scratch_remove();
    teardown_leaks();
}

static void read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    size_t n = fread(g_out, 1, sizeof g_out - 1, f);
    g_out[n] = '\0';
    fclose(f);
}

/* ---- formats and units -------------------------------------------------------- */

START_TEST(test_format_names)
{
    static const char *names[] = {"md", "json", "csv", "toml", "gbench"};
    for (int i = 0; i < LB_EXPORT_NFORMATS; i++) {
        lb_export_format f = (lb_export_format)-1;
        ck_assert_int_eq(lb_export_parse_format(names[i], &f), LB_OK);
        ck_assert_int_eq(f, i);
        ck_assert_str_eq(lb_export_format_name(f), names[i]);
    }
    static const char *bad[] = {"", "MD", "xml", "json ", "gbench.json", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lb_export_format f = LB_EXPORT_CSV;
        ck_assert_int_eq(lb_export_parse_format(bad[i], &f), LB_EUSAGE);
        ck_assert_int_eq(f, LB_EXPORT_CSV);
    }
    ck_assert_str_eq(lb_export_format_name((lb_export_format)LB_EXPORT_NFORMATS), "?");
    fixture fx;
    fixture_init(&fx);
    ck_assert_int_eq(render(&fx.r, (lb_export_format)LB_EXPORT_NFORMATS), LB_EUSAGE);
    ck_assert_int_eq(render(&fx.r, (lb_export_format)-1), LB_EUSAGE);
}
END_TEST

START_TEST(test_units)
{
    static const struct {
        double ns;
        const char *s;
    } times[] = {
        /* three significant digits, the unit that keeps the value below 1000 */
        {45200, "45.2 µs"}, {124400, "124 µs"}, {2100, "2.10 µs"}, {12.345, "12.3 ns"}, {2.5, "2.50 ns"},
        {999.4, "999 ns"}, {999.94, "1.00 µs"}, {999.96, "1.00 µs"}, {99.96, "100 ns"}, {9.996, "10.0 ns"},
        {1.5e9, "1.50 s"}, {2.5e6, "2.50 ms"}, {0, "0.00 ns"}, {NAN, "nan"}, {INFINITY, "nan"}, {3600e9, "3600 s"},
    };
    char b[64];
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        lb__fmt_time(b, sizeof b, times[i].ns);
        ck_assert_str_eq(b, times[i].s);
    }
    lb__fmt_bytes_rate(b, sizeof b, 2.34 * 1024 * 1024 * 1024);
    ck_assert_str_eq(b, "2.51 GB/s"); /* decimal prefixes in every output */
    lb__fmt_bytes_rate(b, sizeof b, 512);
    ck_assert_str_eq(b, "512 B/s");
    lb__fmt_bytes_rate(b, sizeof b, 1536);
    ck_assert_str_eq(b, "1.54 kB/s");
    lb__fmt_elem_rate(b, sizeof b, 2.45e6);
    ck_assert_str_eq(b, "2.45 Melem/s");
    lb__fmt_elem_rate(b, sizeof b, 21.333);
    ck_assert_str_eq(b, "21.3 elem/s");
    lb__fmt_elem_rate(b, sizeof b, 999.7e3);
    ck_assert_str_eq(b, "1.00 Melem/s");
    lb__fmt_bytes(b, sizeof b, 512);
    ck_assert_str_eq(b, "512 B");
    lb__fmt_bytes(b, sizeof b, 12.34e6);
    ck_assert_str_eq(b, "12.3 MB");
    lb__fmt_mb(b, sizeof b, 245e6);
    ck_assert_str_eq(b, "245");
    lb__fmt_mb(b, sizeof b, 12.34e6);
    ck_assert_str_eq(b, "12.3");
    lb__fmt_mb(b, sizeof b, 1.25e6);
    ck_assert_str_eq(b, "1.25");
}
END_TEST

START_TEST(test_utf8)
{
    static const struct {
        const char *s;
        size_t n, len;
        uint32_t cp;
    } cases[] = {
        {"a", 1, 1, 'a'},          {"\xc2\xb5", 2, 2, 0xB5},      {"\xe2\x82\xac", 3, 3, 0x20AC},
        {"\xf0\x9f\x98\x80", 4, 4, 0x1F600},
        {"\xc0\xaf", 2, 0, 0},      /* overlong */
        {"\xe0\x80\xaf", 3, 0, 0},  /* overlong */
        {"\xed\xa0\x80", 3, 0, 0},  /* surrogate */
        {"\xf4\x90\x80\x80", 4, 0, 0}, /* beyond U+10FFFF */
        {"\xc2", 1, 0, 0},          /* truncated */
        {"\xe2\x28\xa1", 3, 0, 0},  /* bad continuation */
        {"\xff", 1, 0, 0},          {"\x80", 1, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t cp = 0;
        size_t len = lb__utf8_next((const unsigned char *)cases[i].s, cases[i].n, &cp);
        ck_assert_msg(len == cases[i].len, "case %zu: length %zu, expected %zu", i, len, cases[i].len);
        if (len) ck_assert_uint_eq(cp, cases[i].cp);
    }
}
END_TEST

/* No format carries a raw control character (C0, DEL, C1) from a results file
 * into its output: a file someone cats must not drive the terminal. */
START_TEST(test_no_raw_controls)
{
    fixture fx;
    fixture_init(&fx);
    snprintf(fx.rows[0].id, sizeof fx.rows[0].id, "a\x1b]0;t\x07" "b\x7f\xc2\x9b" "2Jc");
    snprintf(fx.rows[0].note, sizeof fx.rows[0].note, "n\x1b[31m");
    for (int f = 0; f < LB_EXPORT_NFORMATS; f++) {
        ck_assert_int_eq(render(&fx.r, (lb_export_format)f), LB_OK);
        ck_assert_msg(!strchr(g_out, '\x1b') && !strchr(g_out, '\x07') && !strchr(g_out, '\x7f') &&
                          !strstr(g_out, "\xc2\x9b"),
                      "format %d: a raw control character", f);
    }
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_JSON), LB_OK);
    ck_assert_has("\"a\\u001B]0;t\\u0007b\\u007F\\u009B2Jc\"");
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_TOML), LB_OK);
    ck_assert_has("\"a\\u001B]0;t\\u0007b\\u007F\\u009B2Jc\"");
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_CSV), LB_OK);
    ck_assert_has("a\xEF\xBF\xBD]0;t\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD" "2Jc,");
}
END_TEST

START_TEST(test_inconsistent)
{
    fixture fx;
    fixture_init(&fx);
    for (int f = 0; f < LB_EXPORT_NFORMATS; f++) {
        lb_results r = fx.r;
        r.rows = NULL;
        ck_assert_int_eq(render(&r, (lb_export_format)f), LB_EINTERNAL);
        r = fx.r;
        r.samples = NULL;
        ck_assert_int_eq(render(&r, (lb_export_format)f), LB_EINTERNAL);
        r = fx.r;
        r.ranks = NULL;
        ck_assert_int_eq(render(&r, (lb_export_format)f), LB_EINTERNAL);
        ck_assert_int_eq(render(NULL, (lb_export_format)f), LB_EINTERNAL);
        /* no samples at all is consistent */
        r = fx.r;
        r.samples = NULL;
        r.nsamples = NULL;
        ck_assert_int_eq(render(&r, (lb_export_format)f), LB_OK);
    }
    /* A/B: rows without the baseline's, pairs counted but missing */
    fixture_init_ab(&fx);
    for (int f = 0; f < LB_EXPORT_NFORMATS; f++) {
        lb_results r = fx.r;
        r.base_rows = NULL;
        ck_assert_int_eq(render(&r, (lb_export_format)f), LB_EINTERNAL);
        r = fx.r;
        r.pairs = NULL;
        ck_assert_int_eq(render(&r, (lb_export_format)f), LB_EINTERNAL);
        /* no pairs at all is consistent */
        r.npairs = NULL;
        ck_assert_int_eq(render(&r, (lb_export_format)f), LB_OK);
    }
}
END_TEST

START_TEST(test_toml)
{
    fixture fx;
    fixture_init(&fx);
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_TOML), LB_OK);
    ck_assert_has("\n[latency.dim_128.k_10]\nid = \"knn_search/dim_128/10\"\nmean = \"45.2 µs\"\n"
                  "std_dev = \"2.10 µs\"\nmedian = \"44.8 µs\"\nmad = \"1.40 µs\"\n"
                  "throughput = \"223 kelem/s\"\nops_per_sec = \"223214\"\n"
                  "peak_mb = \"1.00\"\naverage_mb = \"0.50\"\nallocations = \"3\"\n");
    ck_assert_has("\n[latency.dim_256.k_100]\nid = \"knn_search/dim_256/100\"\nmean = \"124 µs\"\n"
                  "std_dev = \"5.30 µs\"\nmedian = \"123 µs\"\nmad = \"3.20 µs\"\npeak_mb");
    ck_assert_has("\n[throughput.batch_32.dim_256]\nid = \"batch_add_embeddings/32\"\n");
    ck_assert_has("throughput = \"2.51 GB/s\"\nops_per_sec = \"8542\"\n");
    ck_assert_has("\n[benchmarks.\"parallel_knn_search/32\"]\n");
    ck_assert_has("\n[memory.dataset_10000.dim_256]\nid = \"memory_scaling/10000\"\n");
    ck_assert_has("peak_mb = \"245\"\naverage_mb = \"198\"\nallocations = \"12543\"\n");
    ck_assert_has("\n[benchmarks.\"attention_computation/dim_64/MultiHead { num_heads: 8 }\"]\n");
    ck_assert_has("\n[benchmarks.\"we\\\"ird\\\\back,slash|pipe`\\n\\u0001\xEF\xBF\xBD\xC2\xB5\"]\n");
    ck_assert_has("\n[benchmarks.\"knn_search/dim_128/10\"]\nid = \"knn_search/dim_128/10\"\nmean = \"50.5 µs\"\n");
    ck_assert_has("\n[benchmarks.\"knn_search/dim_128/10#2\"]\nid = \"knn_search/dim_128/10\"\nmean = \"60.6 µs\"\n");
    ck_assert_has("\n[benchmarks.\"memory_scaling/5000\"]\n");
    ck_assert_has("\n[benchmarks.\"knn_search/dim_128/10x\"]\n");
    ck_assert_has("[meta]\nschema = \"latentbench-results\"\nschema_version = " XSTR(LB_SCHEMA_VERSION) "\n");
    ck_assert_has("\nkind = \"results\"\n");
    ck_assert_lacks(".ab]");
    ck_assert_lacks("base_library");
    ck_assert_has("command_line = \"latentbench run --filter 'a\\\"b\\\\c'\"\n");
    ck_assert_int_eq(count(g_out, "\n["), NROWS + 1);
    ck_assert_int_eq(count(g_out, "\nid = "), NROWS);
    /* a row without throughput has no throughput keys */
    ck_assert_int_eq(count(g_out, "\nthroughput = "), 3);
}
END_TEST

START_TEST(test_toml_collision_order)
{
    /* the first row to claim a design table keeps it, whatever its group */
    fixture fx;
    fixture_init(&fx);
    lb_row t = fx.rows[2];
    fx.rows[2] = fx.rows[3];
    fx.rows[3] = t;
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_TOML), LB_OK);
    ck_assert_has("\n[throughput.batch_32.dim_256]\nid = \"parallel_knn_search/32\"\n");
    ck_assert_has("\n[benchmarks.\"batch_add_embeddings/32\"]\n");
    /* an id equal to another's fallback name with a suffix is still unique */
    fixture_init(&fx);
    snprintf(fx.rows[9].id, sizeof fx.rows[9].id, "knn_search/dim_128/10#2");
    snprintf(fx.rows[10].id, sizeof fx.rows[10].id, "knn_search/dim_128/10#2");
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_TOML), LB_OK);
    ck_assert_int_eq(count(g_out, "\n[benchmarks.\"knn_search/dim_128/10#2\"]\n"), 1);
    ck_assert_int_eq(count(g_out, "\n[benchmarks.\"knn_search/dim_128/10#2#2\"]\n"), 1);
    ck_assert_int_eq(count(g_out, "\n[benchmarks.\"knn_search/dim_128/10#2#3\"]\n"), 1);
}
END_TEST

START_TEST(test_json)
{
    fixture fx;
    fixture_init(&fx);
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_JSON), LB_OK);
    ck_assert_has("\"schema\": \"latentbench-results\",\n  \"schema_version\": " XSTR(LB_SCHEMA_VERSION) ",\n");
    ck_assert_has("\n  \"kind\": \"results\",\n  \"benchmarks\": [\n");
    ck_assert_lacks("\"ab\"");
    ck_assert_lacks("base_");
    ck_assert_has("\"command_line\": \"latentbench run --filter 'a\\\"b\\\\c'\"");
    ck_assert_has("{\"id\": \"knn_search/dim_128/10\", \"suite\": \"fixture\", \"group\": \"knn_search\", "
                  "\"op\": \"knn\", \"dimension\": 128, \"k\": 10, \"dataset_size\": 10000, ");
    ck_assert_has("\"slope_ns\": null");
    ck_assert_has("\"rank_min_ns\": null, \"rank_median_ns\": 999.96000000000004, \"rank_max_ns\": null");
    ck_assert_has("\"id\": \"we\\\"ird\\\\back,slash|pipe`\\n\\u0001\xEF\xBF\xBD\xC2\xB5\"");
    ck_assert_has("{\"row\": 0, \"id\": \"knn_search/dim_128/10\", \"iterations\": [100, 200, 300], "
                  "\"ns_per_iter\": [44000.5, 44800, null], \"round\": [0, 0, 1]}");
    ck_assert_has("{\"row\": 1, \"id\": \"knn_search/dim_256/100\", \"iterations\": [], \"ns_per_iter\": [], \"round\": []}");
    ck_assert_has("{\"rank\": 1, \"hostname\": \"node-\\\"b\\\"\", \"cores\": 16, \"peak_bytes\": 240000000, "
                  "\"rss_peak_bytes\": 290000000}");
    ck_assert_lacks("nan");
    ck_assert_lacks("inf");
    ck_assert_int_eq(count(g_out, "\"note\": "), NROWS);
}
END_TEST

START_TEST(test_csv)
{
    fixture fx;
    fixture_init(&fx);
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_CSV), LB_OK);
    const char *header =
        "id,suite,group,op,dimension,k,dataset_size,batch_size,seq_len,num_heads,num_experts,metric,attention,"
        "samples,iterations,mean_ns,median_ns,std_dev_ns,mad_ns,min_ns,max_ns,ci_low_ns,ci_high_ns,slope_ns,"
        "outliers_mild,outliers_severe,throughput_elements,throughput_bytes,peak_bytes,avg_bytes,allocations,"
        "rss_peak_bytes,ranks,rank_min_ns,rank_median_ns,rank_max_ns,note,rounds,impl,bound_ns,bound_kind,"
        "pct_of_bound\r\n";
    ck_assert_int_eq(strncmp(g_out, header, strlen(header)), 0);
    ck_assert_uint_eq(lb__row_nfields, 42);
    ck_assert_has("\r\nknn_search/dim_128/10,fixture,knn_search,knn,128,10,10000,0,0,0,0,Euclidean,,20,2100,"
                  "45200,44800,2100,1400,40320,58240,43904,46592,nan,");
    ck_assert_has(",-inf,999.96000000000004,inf,,0,,0,,nan\r\n");
    /* CSV has no escapes: a control character becomes U+FFFD, never raw */
    ck_assert_has("\r\n\"we\"\"ird\\back,slash|pipe`\n\xEF\xBF\xBD\xEF\xBF\xBD\xC2\xB5\",fixture,weird,");
    ck_assert_lacks("\x01");
    ck_assert_has(",\"budget: 12 of 100 samples, \"\"quoted\"\"\",0,,0,,nan\r\n");
    /* header + rows, the weird id's LF being inside quotes */
    ck_assert_int_eq(count(g_out, "\r\n"), NROWS + 1);
}
END_TEST

START_TEST(test_md)
{
    fixture fx;
    fixture_init(&fx);
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_MD), LB_OK);
    ck_assert_has("| benchmark | median | mean | 95% CI of the mean | throughput | peak memory | note |\n|:---|");
    ck_assert_has("\n| knn_search/dim_128/10 | 44.8 µs | 45.2 µs | [43.9 µs, 46.6 µs] | 223 kelem/s | 1.00 MB |  |\n");
    ck_assert_has("\n| batch_add_embeddings/32 | 3.75 µs | ");
    ck_assert_has(" | [3.67 µs, 3.90 µs] | 8.54 kelem/s (2.51 GB/s) | 1.00 MB |");
    ck_assert_has("\n| memory_scaling/10000 | 2.50 ms | ");
    ck_assert_has(" | [2.45 ms, 2.60 ms] | - | 245 MB |  |\n");
    ck_assert_has("\n| we\"ird\\\\back,slash\\|pipe\\` \xEF\xBF\xBD\xEF\xBF\xBD\xC2\xB5 | 2.50 ns |");
    ck_assert_lacks("\x01");
    ck_assert_has("- machine: Test CPU @ 2.0GHz; 16 cores; avx2\n");
    ck_assert_int_eq(count(g_out, "\n| "), NROWS + 1);
}
END_TEST

/* Rows with a hardware bound: "% of bound" in every format, /bounds in JSON;
 * a row without one shows "-" (Markdown), null (JSON), nan (CSV), nothing (TOML, gbench). */
START_TEST(test_bounds)
{
    fixture fx;
    fixture_init(&fx);
    fx.rows[0].bound_ns = 22400; /* median 44.8 us: 50% */
    snprintf(fx.rows[0].bound_kind, sizeof fx.rows[0].bound_kind, "read_mem");
    snprintf(fx.rows[0].impl, sizeof fx.rows[0].impl, "liblatent");
    lb_bound b[2] = {{"read_mem", "avx2", 8, 1 << 28, 1.25e10, "B/s"}, {"fma", "avx2", 8, 0, 6.4e11, "flop/s"}};
    fx.r.bounds = b;
    fx.r.nbounds = 2;
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_MD), LB_OK);
    ck_assert_has("| peak memory | % of bound | note |\n|:---|---:|---:|---:|---:|---:|---:|:---|\n");
    ck_assert_has("\n| knn_search/dim_128/10 | 44.8 µs | 45.2 µs | [43.9 µs, 46.6 µs] | 223 kelem/s | 1.00 MB | 50.0% |  |\n");
    ck_assert_has(" | 245 MB | - |  |\n");
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_JSON), LB_OK);
    ck_assert_has("\"impl\": \"liblatent\", \"bound_ns\": 22400, \"bound_kind\": \"read_mem\", \"pct_of_bound\": 50}");
    ck_assert_has("\"bounds\": [\n    {\"kind\": \"read_mem\", \"isa\": \"avx2\", \"threads\": 8, \"bytes\": 268435456, "
                  "\"value\": 12500000000, \"unit\": \"B/s\"},\n    {\"kind\": \"fma\", \"isa\": \"avx2\", \"threads\": 8, "
                  "\"bytes\": 0, \"value\": 640000000000, \"unit\": \"flop/s\"}\n  ],\n  \"ranks\": [");
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_CSV), LB_OK);
    ck_assert_has(",liblatent,22400,read_mem,50\r\n");
    ck_assert_has(",,0,,nan\r\n");
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_TOML), LB_OK);
    ck_assert_has("bound = \"22.4 µs\"\nbound_kind = \"read_mem\"\npct_of_bound = 50.0\n");
    ck_assert_int_eq(count(g_out, "pct_of_bound"), 1);
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_GBENCH), LB_OK);
    ck_assert_has(",\n      \"bound_ns\": 22400,\n      \"pct_of_bound\": 50");
    ck_assert_int_eq(count(g_out, "pct_of_bound"), 1);
}
END_TEST

START_TEST(test_gbench)
{
    fixture fx;
    fixture_init(&fx);
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_GBENCH), LB_OK);
    ck_assert_has("\"context\": {\n    \"date\": \"2024-05-06T07:08:09Z\",\n    \"host_name\": \"node-a\",\n"
                  "    \"executable\": \"latentbench\",\n    \"num_cpus\": 16,\n    \"mhz_per_cpu\": 0,\n"
                  "    \"cpu_scaling_enabled\": false,\n    \"caches\": [],\n    \"load_avg\": [],\n"
                  "    \"library_build_type\": \"release\",");
    ck_assert_has("{\n      \"name\": \"knn_search/dim_128/10\",\n      \"run_name\": \"knn_search/dim_128/10\",\n"
                  "      \"run_type\": \"iteration\",\n      \"repetitions\": 1,\n      \"repetition_index\": 0,\n"
                  "      \"threads\": 8,\n      \"iterations\": 2100,\n      \"real_time\": 44800,\n"
                  "      \"cpu_time\": 44800,\n      \"time_unit\": \"ns\",\n"
                  "      \"items_per_second\": 223214.28571428571,\n");
    ck_assert_has("{\n      \"name\": \"knn_search/dim_128/10_mean\",\n      \"run_name\": \"knn_search/dim_128/10\",\n"
                  "      \"run_type\": \"aggregate\",\n      \"repetitions\": 20,\n      \"threads\": 8,\n"
                  "      \"aggregate_name\": \"mean\",\n      \"aggregate_unit\": \"time\",\n"
                  "      \"iterations\": 20,\n      \"real_time\": 45200,\n");
    ck_assert_has("\"name\": \"knn_search/dim_128/10_stddev\"");
    ck_assert_has("\"bytes_per_second\": 2512555868.1599998,");
    ck_assert_has("\"label\": \"budget: 12 of 100 samples, \\\"quoted\\\"\"");
    ck_assert_int_eq(count(g_out, "\"run_type\": \"iteration\""), NROWS);
    ck_assert_int_eq(count(g_out, "\"run_type\": \"aggregate\""), 3 * NROWS);
    ck_assert_int_eq(count(g_out, "\"aggregate_name\": \"median\""), NROWS);
}
END_TEST

/* ---- A/B files -------------------------------------------------------------- */

START_TEST(test_ab_json)
{
    fixture fx;
    fixture_init_ab(&fx);
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_JSON), LB_OK);
    ck_assert_has("\n  \"kind\": \"ab\",\n  \"library\": \"/opt/b/liblatent.so\",\n"
                  "  \"library_hash\": \"bbbbbbbbbbbbbbbb\",\n  \"base_library\": \"/opt/a/liblatent.so\",\n"
                  "  \"base_library_hash\": \"aaaaaaaaaaaaaaaa\",\n  \"benchmarks\": [\n");
    ck_assert_has("\"note\": \"\", \"rounds\": 0, \"impl\": \"\", \"bound_ns\": 0, \"bound_kind\": \"\", "
                  "\"pct_of_bound\": null, \"ab\": {\"rounds\": 30, \"block_iters\": 100, \"order\": \"abba\", "
                  "\"baseline_median_ns\": 42560, \"candidate_median_ns\": 44800, \"ratio\": 1.0526315789473684, "
                  "\"ratio_ci_low\": 1.0309999999999999, \"ratio_ci_high\": 1.0740000000000001, \"ratio_upper\": 1.008, "
                  "\"ratio_lower\": 0.99199999999999999, \"confidence\": 0.98999999999999999, "
                  "\"p_slower\": 0.00040000000000000002, \"p_faster\": 0.99960000000000004, "
                  "\"log_ratio_mad\": 0.0040000000000000001, \"threshold_pct\": 5, \"verdict\": \"Regression\", "
                  "\"peak_bytes_a\": 1000000, \"peak_bytes_b\": 1000000, \"allocations_a\": 3, \"allocations_b\": 3, "
                  "\"memory_verdict\": \"Same\"}}");
    ck_assert_has("\"peak_bytes_a\": 18446744073709551615,");
    ck_assert_has("\"order\": \"ab|ba, \\\"x\\\"\"");
    ck_assert_has("\"candidate_median_ns\": 999.96000000000004, \"ratio\": null, ");
    /* one ab object per candidate row, none in the baseline's rows */
    ck_assert_int_eq(count(g_out, "\"ab\": {"), NROWS);
    ck_assert_has("\n  ],\n  \"base_benchmarks\": [\n    {\"id\": \"knn_search/dim_128/10\", ");
    ck_assert_has("\"median_ns\": 42560, ");
    ck_assert_int_eq(count(g_out, "\"note\": "), 2 * NROWS);
    ck_assert_has("\"ab_pairs\": [\n    {\"row\": 0, \"id\": \"knn_search/dim_128/10\", \"round\": [0, 1, 2], "
                  "\"b_first\": [0, 1, 1], \"a_ns\": [42000.5, 42100, null], \"b_ns\": [44000.25, 44100, 44200]},\n"
                  "    {\"row\": 1, \"id\": \"knn_search/dim_256/100\", \"round\": [], \"b_first\": [], \"a_ns\": [], "
                  "\"b_ns\": []},");
    ck_assert_lacks("nan");
    ck_assert_lacks("inf");
}
END_TEST

START_TEST(test_ab_csv)
{
    fixture fx;
    fixture_init_ab(&fx);
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_CSV), LB_OK);
    const char *header_tail =
        ",note,rounds,impl,bound_ns,bound_kind,pct_of_bound,ab_rounds,ab_block_iters,ab_order,ab_baseline_median_ns,ab_candidate_median_ns,ab_ratio,"
        "ab_ratio_ci_low,ab_ratio_ci_high,ab_ratio_upper,ab_ratio_lower,ab_confidence,ab_p_slower,ab_p_faster,"
        "ab_log_ratio_mad,ab_threshold_pct,ab_verdict,ab_peak_bytes_a,ab_peak_bytes_b,ab_allocations_a,"
        "ab_allocations_b,ab_memory_verdict\r\n";
    const char *eol = strstr(g_out, "\r\n");
    ck_assert_ptr_nonnull(eol);
    size_t tl = strlen(header_tail);
    ck_assert_msg((size_t)(eol + 2 - g_out) >= tl && strncmp(eol + 2 - tl, header_tail, tl) == 0, "header: %.*s",
                  (int)(eol - g_out), g_out);
    ck_assert_uint_eq(lb__ab_nfields, 21);
    ck_assert_has(",,0,,0,,nan,30,100,abba,42560,44800,1.0526315789473684,1.0309999999999999,1.0740000000000001,1.008,"
                  "0.99199999999999999,0.98999999999999999,0.00040000000000000002,0.99960000000000004,"
                  "0.0040000000000000001,5,Regression,1000000,1000000,3,3,Same\r\n");
    ck_assert_has(",Improvement,1000000,1200000,3,3,More\r\n");
    ck_assert_has(",random,949.96199999999999,999.96000000000004,nan,0.98999999999999999,1.01,");
    ck_assert_has(",\"ab|ba, \"\"x\"\"\",");
    ck_assert_has(",18446744073709551615,1000000,3,3,Same\r\n");
    ck_assert_int_eq(count(g_out, "\r\n"), NROWS + 1);
}
END_TEST

START_TEST(test_ab_toml)
{
    fixture fx;
    fixture_init_ab(&fx);
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_TOML), LB_OK);
    ck_assert_has("\nkind = \"ab\"\nlibrary = \"/opt/b/liblatent.so\"\nlibrary_hash = \"bbbbbbbbbbbbbbbb\"\n"
                  "base_library = \"/opt/a/liblatent.so\"\nbase_library_hash = \"aaaaaaaaaaaaaaaa\"\n");
    ck_assert_has("allocations = \"3\"\n\n[latency.dim_128.k_10.ab]\nrounds = 30\nblock_iters = 100\norder = \"abba\"\n"
                  "baseline_median_ns = 42560.0\ncandidate_median_ns = 44800.0\nratio = 1.0526315789473684\n"
                  "ratio_ci_low = 1.0309999999999999\nratio_ci_high = 1.0740000000000001\nratio_upper = 1.008\n"
                  "ratio_lower = 0.99199999999999999\nconfidence = 0.98999999999999999\n"
                  "p_slower = 0.00040000000000000002\np_faster = 0.99960000000000004\n"
                  "log_ratio_mad = 0.0040000000000000001\nthreshold_pct = 5.0\nverdict = \"Regression\"\n"
                  "peak_bytes_a = 1000000\npeak_bytes_b = 1000000\nallocations_a = 3\nallocations_b = 3\n"
                  "memory_verdict = \"Same\"\n");
    ck_assert_has("\n[benchmarks.\"parallel_knn_search/32\".ab]\n");
    ck_assert_has("\npeak_bytes_a = 1.8446744073709552e+19\n");
    ck_assert_has("\n[benchmarks.\"knn_search/dim_128/10#2\".ab]\n");
    ck_assert_has("\nratio = nan\n");
    ck_assert_has("\norder = \"ab|ba, \\\"x\\\"\"\n");
    ck_assert_int_eq(count(g_out, "\n["), 2 * NROWS + 1);
    ck_assert_int_eq(count(g_out, ".ab]\n"), NROWS);
}
END_TEST

START_TEST(test_ab_md)
{
    fixture fx;
    fixture_init_ab(&fx);
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_MD), LB_OK);
    ck_assert_has("Rows: the candidate build (B) of an A/B run.\n\n| benchmark | median |");
    ck_assert_has("\n## A/B: candidate against baseline\n\n- baseline (A): /opt/a/liblatent.so (aaaaaaaaaaaaaaaa)\n"
                  "- candidate (B): /opt/b/liblatent.so (bbbbbbbbbbbbbbbb)\n\n"
                  "| benchmark | baseline median | candidate median | ratio B/A [CI] | p | verdict | memory |\n"
                  "|:---|---:|---:|---:|---:|:---|:---|\n"
                  "| knn_search/dim_128/10 | 42.6 µs | 44.8 µs | 1.053 [1.031, 1.074] | <0.001 | **Regression** | Same |\n"
                  "| knn_search/dim_256/100 | 117 µs | 123 µs | 0.900 [0.880, 0.920] | 0.020 | Improvement | More |\n");
    ck_assert_has("\n| attention_computation/dim_64/MultiHead { num_heads: 8 } | 950 ns | 1.00 µs | - [0.990, 1.010] | "
                  "0.500 | NoChange | Same |\n");
    ck_assert_has("\n| we\"ird\\\\back,slash\\|pipe\\` \xEF\xBF\xBD\xEF\xBF\xBD\xC2\xB5 | 2.38 ns | 2.50 ns | 1.000 [0.990, 1.010] |");
    ck_assert_has("CI: its 99% confidence interval.");
    /* both tables: header, rule and one line per row each */
    ck_assert_int_eq(count(g_out, "\n| "), 2 * (NROWS + 1));
    /* a row's own confidence when they differ */
    fx.ab[4].confidence = 0.95;
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_MD), LB_OK);
    ck_assert_has("CI: its confidence interval, at each row's own confidence.");
}
END_TEST

/* Google Benchmark's format holds the candidate's rows, as for any run. */
START_TEST(test_ab_gbench)
{
    fixture fx;
    fixture_init(&fx);
    fx.r.meta.library = "/opt/b/liblatent.so";
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_GBENCH), LB_OK);
    size_t n = strlen(g_out);
    char *plain = lb_malloc(n + 1);
    memcpy(plain, g_out, n + 1);
    fixture_init_ab(&fx);
    ck_assert_int_eq(render(&fx.r, LB_EXPORT_GBENCH), LB_OK);
    ck_assert_str_eq(g_out, plain);
    lb_free(plain);
}
END_TEST

START_TEST(test_empty)
{
    lb_results r;
    memset(&r, 0, sizeof r);
    for (int f = 0; f < LB_EXPORT_NFORMATS; f++) ck_assert_int_eq(render(&r, (lb_export_format)f), LB_OK);
    ck_assert_int_eq(render(&r, LB_EXPORT_CSV), LB_OK);
    ck_assert_int_eq(count(g_out, "\r\n"), 1);
    ck_assert_int_eq(render(&r, LB_EXPORT_JSON), LB_OK);
    ck_assert_has("\"benchmarks\": [],\n  \"samples\": [],\n  \"bounds\": [],\n  \"ranks\": []\n}\n");
}
END_TEST

/* A stream that fails every write reports LB_EIO. */
START_TEST(test_stream_error)
{
    fixture fx;
    fixture_init(&fx);
    for (int f = 0; f < LB_EXPORT_NFORMATS; f++) {
        FILE *full = fopen("/dev/full", "w");
        if (!full) return; /* no /dev/full here */
        setvbuf(full, NULL, _IONBF, 0);
        ck_assert_int_eq(lb_export_write(full, &fx.r, (lb_export_format)f), LB_EIO);
        fclose(full);
    }
}
END_TEST

/* ---- atomic files ---------------------------------------------------------- */

START_TEST(test_file_matches_stream)
{
    fixture fx;
    fixture_init(&fx);
    char path[600], err[512] = "", *expect = NULL;
    snprintf(path, sizeof path, "%s/out.toml", lbt_scratch_dir());
    for (int f = 0; f < LB_EXPORT_NFORMATS; f++) {
        ck_assert_int_eq(render(&fx.r, (lb_export_format)f), LB_OK);
        size_t n = strlen(g_out);
        expect = lb_malloc(n + 1);
        memcpy(expect, g_out, n + 1);
        ck_assert_msg(lb_export_write_file(path, &fx.r, (lb_export_format)f, err, sizeof err) == LB_OK, "%s", err);
        read_file(path);
        ck_assert_str_eq(g_out, expect);
        lb_free(expect);
        ck_assert_int_eq(lbt_count_entries(lbt_scratch_dir(), ""), 1); /* no temporary file left */
    }
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    mode_t um = umask(0);
    umask(um);
    ck_assert_uint_eq(st.st_mode & 0777, 0666 & ~um);
}
END_TEST

START_TEST(test_file_missing_dir)
{
    fixture fx;
    fixture_init(&fx);
    char path[600], err[512] = "";
    snprintf(path, sizeof path, "%s/no/such/dir/out.json", lbt_scratch_dir());
    ck_assert_int_eq(lb_export_write_file(path, &fx.r, LB_EXPORT_JSON, err, sizeof err), LB_EIO);
    ck_assert_int_eq(strncmp(err, path, strlen(path)), 0);
    ck_assert_int_eq(strncmp(err + strlen(path), ": cannot create ", 16), 0);
    ck_assert_ptr_nonnull(strstr(err, strerror(ENOENT)));
    ck_assert_ptr_null(strchr(err, '\n'));
    ck_assert_int_eq(lbt_count_entries(lbt_scratch_dir(), ""), 0);
}
END_TEST

START_TEST(test_file_onto_directory)
{
    fixture fx;
    fixture_init(&fx);
    char path[600], err[512] = "";
    snprintf(path, sizeof path, "%s/adir", lbt_scratch_dir());
    ck_assert_int_eq(mkdir(path, 0777), 0);
    ck_assert_int_eq(lb_export_write_file(path, &fx.r, LB_EXPORT_CSV, err, sizeof err), LB_EIO);
    ck_assert_int_eq(strncmp(err, path, strlen(path)), 0);
    ck_assert_int_eq(err[strlen(path)], ':');
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(lbt_count_entries(lbt_scratch_dir(), ""), 1); /* the directory only: no temporary file */
}
END_TEST

static int failing_writer(FILE *out, void *ctx)
{
    (void)ctx;
    fputs("partial output", out);
    return LB_EDATA;
}

static int hello_writer(FILE *out, void *ctx)
{
    fputs((const char *)ctx, out);
    return LB_OK;
}

/* A failing writer leaves the old file as it was and no partial file. */
START_TEST(test_file_writer_fails)
{
    char path[600], err[512] = "";
    snprintf(path, sizeof path, "%s/report.md", lbt_scratch_dir());
    ck_assert_int_eq(lb_write_atomic(path, hello_writer, "old contents\n", err, sizeof err), LB_OK);
    ck_assert_int_eq(lb_write_atomic(path, failing_writer, NULL, err, sizeof err), LB_EDATA);
    ck_assert_int_eq(strncmp(err, path, strlen(path)), 0);
    read_file(path);
    ck_assert_str_eq(g_out, "old contents\n");
    ck_assert_int_eq(lbt_count_entries(lbt_scratch_dir(), ""), 1);
    ck_assert_int_eq(lb_write_atomic(path, hello_writer, "new\n", err, sizeof err), LB_OK);
    read_file(path);
    ck_assert_str_eq(g_out, "new\n");
    ck_assert_int_eq(lbt_count_entries(lbt_scratch_dir(), ""), 1);
}
END_TEST

/* The temporary name being taken (by something not ours) fails cleanly and
 * leaves that file alone. */
START_TEST(test_file_tmp_taken)
{
    fixture fx;
    fixture_init(&fx);
    char path[600], tmp[700], err[512] = "";
    snprintf(path, sizeof path, "%s/out.csv", lbt_scratch_dir());
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    ck_assert_ptr_nonnull(f);
    fputs("someone else's\n", f);
    fclose(f);
    ck_assert_int_eq(lb_export_write_file(path, &fx.r, LB_EXPORT_CSV, err, sizeof err), LB_EIO);
    read_file(tmp);
    ck_assert_str_eq(g_out, "someone else's\n");
    ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

/* ---- main --------------------------------------------------------------- */

static Suite *export_suite(void)
{
    Suite *s = suite_create("export");
    TCase *fm = tcase_create("formats");
    tcase_add_checked_fixture(fm, NULL, teardown_leaks);
    tcase_add_test(fm, test_format_names);
    tcase_add_test(fm, test_units);
    tcase_add_test(fm, test_utf8);
    tcase_add_test(fm, test_no_raw_controls);
    tcase_add_test(fm, test_inconsistent);
    tcase_add_test(fm, test_toml);
    tcase_add_test(fm, test_toml_collision_order);
    tcase_add_test(fm, test_json);
    tcase_add_test(fm, test_csv);
    tcase_add_test(fm, test_md);
    tcase_add_test(fm, test_gbench);
    tcase_add_test(fm, test_bounds);
    tcase_add_test(fm, test_ab_json);
    tcase_add_test(fm, test_ab_csv);
    tcase_add_test(fm, test_ab_toml);
    tcase_add_test(fm, test_ab_md);
    tcase_add_test(fm, test_ab_gbench);
    tcase_add_test(fm, test_empty);
    tcase_add_test(fm, test_stream_error);
    suite_add_tcase(s, fm);

    TCase *at = tcase_create("atomic");
    tcase_add_checked_fixture(at, dir_setup, dir_teardown);
    tcase_add_test(at, test_file_matches_stream);
    tcase_add_test(at, test_file_missing_dir);
    tcase_add_test(at, test_file_onto_directory);
    tcase_add_test(at, test_file_writer_fails);
    tcase_add_test(at, test_file_tmp_taken);
    suite_add_tcase(s, at);
    return s;
}

/* Writes the fixture in every format for test_export_py.py. */
static int write_files(const char *dir)
{
    static const char *ext[] = {"md", "json", "csv", "toml", "gbench.json"};
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return 1;
    }
    fixture fx, ab;
    fixture_init(&fx);
    fixture_init_ab(&ab);
    lb_results empty;
    memset(&empty, 0, sizeof empty);
    static const char *const name[] = {"results", "empty", "ab"};
    const lb_results *res[] = {&fx.r, &empty, &ab.r};
    for (int f = 0; f < LB_EXPORT_NFORMATS; f++) {
        char path[4096], err[512] = "";
        for (int e = 0; e < 3; e++) {
            snprintf(path, sizeof path, "%s/%s.%s", dir, name[e], ext[f]);
            if (lb_export_write_file(path, res[e], (lb_export_format)f, err, sizeof err) != LB_OK) {
                fprintf(stderr, "%s\n", err);
                return 1;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write") == 0) return write_files(argv[2]);
    SRunner *sr = srunner_create(export_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
