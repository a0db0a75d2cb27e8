/*
 * The gate module: regression_config.toml, verdicts on results files with known
 * shifts, exit statuses, the Markdown report against a golden file, and
 * damaged baselines.
 *
 * Synthetic samples come from a fixed-seed generator, so every run sees the
 * same files and the same report. LB_GATE_UPDATE_GOLDEN=1 rewrites the golden
 * file (review the diff before committing it).
 */
#define _XOPEN_SOURCE 700

#include <check.h>
#include <hdf5.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/gate.h"
#include "latentbench/results.h"
#include "latentbench/stats.h"

#include "scratch.h"

/* ---- scratch directory per test ------------------------------------------ */

static void dir_setup(void)
{
    lbt_scratch_make("lb_gate");
}

static void dir_teardown(void)
{
    lbt_scratch_remove();
    ck_assert_uint_eq(lb_alloc_current(), 0); /* the module frees what it allocates */
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* A one-line error: non-empty, no newline. */
static void assert_one_line(const char *err)
{
    ck_assert_msg(err[0] != '\0', "empty error message");
    ck_assert_msg(strchr(err, '\n') == NULL, "error spans lines: %s", err);
}

/* ---- configuration ------------------------------------------------------------ */

/* Loads text as a config file; warnings go to *warn (caller frees). */
static int load_text(const char *text, lb_gate_config *c, char **warn, char *err, size_t errlen, char *path,
                     size_t pathlen)
{
    lbt_path(path, pathlen, "regression_config.toml");
    write_text(path, text);
    size_t wlen = 0;
    char *wbuf = NULL;
    FILE *w = open_memstream(&wbuf, &wlen);
    ck_assert_ptr_nonnull(w);
    int rc = lb_gate_config_load(path, c, w, err, errlen);
    fclose(w);
    if (warn) *warn = wbuf;
    else free(wbuf);
    return rc;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

START_TEST(test_config_shipped_equals_defaults)
{
    setenv("SLACK_WEBHOOK_URL", "https://hooks.example/T0", 1);
    lb_gate_config d, c;
    lb_gate_config_defaults(&d);
    lb_gate_config_defaults(&c);
    char err[512] = "", *warn = NULL;
    size_t wlen = 0;
    FILE *w = open_memstream(&warn, &wlen);
    int rc = lb_gate_config_load(LB_GATE_SHIPPED_CONFIG, &c, w, err, sizeof err);
    fclose(w);
    ck_assert_msg(rc == LB_OK, "%s", err);
    ck_assert_str_eq(warn, ""); /* the design's file has no key we do not know */
    free(warn);
    ck_assert_double_eq(c.default_percent, 10.0);
    ck_assert_double_eq(c.memory_peak_percent, 20.0);
    ck_assert_double_eq(c.memory_alloc_percent, 25.0);
    ck_assert(c.fail_ci && c.create_issue && c.notify_team);
    ck_assert(c.auto_update_main && !c.require_approval && c.keep_history);
    ck_assert_int_eq(c.max_history_count, 50);
    ck_assert_str_eq(c.slack_webhook, "https://hooks.example/T0");
    ck_assert_str_eq(c.email, "dev-team@example.com");
    ck_assert_str_eq(c.baseline_dir, "benches/baselines");
    /* the defaults are the shipped file: same thresholds, same order */
    ck_assert_uint_eq(c.nthresholds, d.nthresholds);
    ck_assert_uint_eq(c.nthresholds, 8);
    for (size_t i = 0; i < c.nthresholds; i++) {
        ck_assert_str_eq(c.thresholds[i].pattern, d.thresholds[i].pattern);
        ck_assert_double_eq(c.thresholds[i].percent, d.thresholds[i].percent);
        ck_assert_int_eq(c.thresholds[i].kind, d.thresholds[i].kind);
        ck_assert_msg(strstr(c.thresholds[i].source, "regression_config.toml:"), "source %s", c.thresholds[i].source);
    }
    ck_assert_str_eq(d.slack_webhook, "https://hooks.example/T0");
    ck_assert_str_eq(d.email, c.email);
    ck_assert_double_eq(d.alpha, LB_GATE_ALPHA);
    ck_assert_uint_eq(d.resamples, LB_GATE_RESAMPLES);
    lb_gate_config_free(&c);
    lb_gate_config_free(&d);
    unsetenv("SLACK_WEBHOOK_URL");
}
END_TEST

/* The design's groups and the ids each one governs (docs/REGRESSION.md). */
static const struct {
    const char *id;
    double percent;
} MAPPING[] = {
    {"knn_search/dim_128/10", 5.0},
    {"knn_search/dim_1024/100", 5.0},
    {"add_embedding/256", 8.0},
    {"attention_computation/dim_64/Standard", 12.0},
    {"attention_comparison/Flash@dim_256/500", 12.0},
    {"flash_vs_standard/Flash/1024", 12.0},
    {"batch_add_embeddings/32", 15.0},
    {"batch_attention/8", 15.0},
    {"parallel_knn_search/8", 10.0},
    {"latent_space_creation/64", 10.0},
    {"memory_scaling/10000", 10.0},
    {"distance_comparison/Cosine@dim_128/knn_100", 10.0},
    {"matrix/dim_128/k_10/batch_1/dataset_10000/knn_search", 10.0},
    {"knn_search_extra/1", 10.0}, /* a prefix of a group name is not the group */
    {"knn_search", 10.0},
};

START_TEST(test_config_group_mapping)
{
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    c.default_percent = 10.0;
    for (size_t i = 0; i < sizeof MAPPING / sizeof MAPPING[0]; i++)
        ck_assert_msg(lb_gate_threshold_for(&c, MAPPING[i].id) == MAPPING[i].percent, "%s: %g, expected %g",
                      MAPPING[i].id, lb_gate_threshold_for(&c, MAPPING[i].id), MAPPING[i].percent);
    c.default_percent = 3.0; /* --threshold moves only the default */
    ck_assert_double_eq(lb_gate_threshold_for(&c, "latent_space_creation/64"), 3.0);
    ck_assert_double_eq(lb_gate_threshold_for(&c, "knn_search/dim_128/10"), 5.0);
    lb_gate_config_free(&c);
}
END_TEST

START_TEST(test_config_patterns_first_match)
{
    const char *text = "[thresholds]\n"
                       "default = 7\n"
                       "[thresholds.latency]\n"
                       "\"matrix/*/k_10000/*\" = 25.0\n"
                       "knn_search = 6.0\n"
                       "\"knn_search/dim_1024/*\" = 30.0\n"
                       "[thresholds.throughput]\n"
                       "\"parallel_knn_search/64\" = 3\n";
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    char err[512] = "", path[600], *warn;
    int rc = load_text(text, &c, &warn, err, sizeof err, path, sizeof path);
    ck_assert_msg(rc == LB_OK, "%s", err);
    ck_assert_str_eq(warn, "");
    free(warn);
    ck_assert_double_eq(c.default_percent, 7.0);
    ck_assert_double_eq(lb_gate_threshold_for(&c, "matrix/dim_128/k_10000/batch_1/dataset_10000/knn_search"), 25.0);
    ck_assert_double_eq(lb_gate_threshold_for(&c, "matrix/dim_128/k_10/batch_1/dataset_10000/knn_search"), 7.0);
    /* first match in file order: the knn_search group comes before the narrower pattern */
    ck_assert_double_eq(lb_gate_threshold_for(&c, "knn_search/dim_1024/10"), 6.0);
    ck_assert_double_eq(lb_gate_threshold_for(&c, "parallel_knn_search/64"), 3.0);
    /* groups the file leaves unset keep the design's values, after the file's entries */
    ck_assert_double_eq(lb_gate_threshold_for(&c, "parallel_knn_search/8"), 10.0);
    ck_assert_double_eq(lb_gate_threshold_for(&c, "add_embedding/1"), 8.0);
    ck_assert_double_eq(lb_gate_threshold_for(&c, "flash_vs_standard/Flash/1024"), 12.0);
    ck_assert_str_eq(c.thresholds[0].pattern, "matrix/*/k_10000/*");
    ck_assert_int_eq(c.thresholds[0].kind, LB_KIND_LATENCY);
    char want[700];
    snprintf(want, sizeof want, "%s:4:1 ", path);
    ck_assert_msg(strncmp(c.thresholds[0].source, want, strlen(want)) == 0 || strlen(want) > 90, "source %s",
                  c.thresholds[0].source);
    ck_assert_str_eq(c.thresholds[3].pattern, "parallel_knn_search/64");
    ck_assert_int_eq(c.thresholds[3].kind, LB_KIND_THROUGHPUT);
    lb_gate_config_free(&c);
}
END_TEST

START_TEST(test_config_env_expansion)
{
    setenv("LATENTBENCH_WEBHOOK_T", "https://hooks.example/abc/x?y=$1", 1);
    const char *text = "[regression_actions.notifications]\n"
                       "slack_webhook = \"${LATENTBENCH_WEBHOOK_T}\"\n"
                       "email = \"team@example.com\"\n"
                       "[baseline_management]\n"
                       "directory = \"/srv/bench/baselines\"\n"
                       "max_history_count = 7\n";
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    char err[512] = "", path[600];
    int rc = load_text(text, &c, NULL, err, sizeof err, path, sizeof path);
    ck_assert_msg(rc == LB_OK, "%s", err);
    ck_assert_str_eq(c.slack_webhook, "https://hooks.example/abc/x?y=$1"); /* the value is not expanded again */
    ck_assert_str_eq(c.email, "team@example.com");
    ck_assert_str_eq(c.baseline_dir, "/srv/bench/baselines");
    ck_assert_int_eq(c.max_history_count, 7);
    lb_gate_config_free(&c);
    unsetenv("LATENTBENCH_WEBHOOK_T");
    lb_gate_config_defaults(&c);
    rc = load_text(text, &c, NULL, err, sizeof err, path, sizeof path);
    ck_assert_msg(rc == LB_OK, "%s", err);
    ck_assert_str_eq(c.slack_webhook, ""); /* unset: no webhook */
    lb_gate_config_free(&c);
}
END_TEST

/* A config file comes with pull requests: no other variable is read, and no
 * error shows a value. */
START_TEST(test_config_env_secrets)
{
    static const char *const BAD[] = {
        "slack_webhook = \"${GITHUB_TOKEN}\"\n",
        "slack_webhook = \"https://evil.example/${SLACK_WEBHOOK_URL}\"\n",
        "slack_webhook = \"${SLACK_WEBHOOK_URL}?t=${LATENTBENCH_WEBHOOK_X}\"\n",
        "slack_webhook = \"${LATENTBENCH_WEBHOOK_}\"\n",
        "email = \"${LATENTBENCH_WEBHOOK_URL}\"\n",
    };
    setenv("GITHUB_TOKEN", "ghp_s3cr3t", 1);
    setenv("SLACK_WEBHOOK_URL", "https://hooks.example/s3cr3t", 1);
    setenv("LATENTBENCH_WEBHOOK_URL", "https://hooks.example/s3cr3t", 1);
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        char text[300], err[512] = "", path[600];
        snprintf(text, sizeof text, "[regression_actions.notifications]\n%s", BAD[i]);
        lb_gate_config c;
        lb_gate_config_defaults(&c);
        int rc = load_text(text, &c, NULL, err, sizeof err, path, sizeof path);
        ck_assert_msg(rc == LB_EDATA, "case %zu: rc %d", i, rc);
        assert_one_line(err);
        ck_assert_msg(!strstr(err, "s3cr3t"), "case %zu leaked: %s", i, err);
        lb_gate_config_free(&c);
    }
    unsetenv("GITHUB_TOKEN");
    unsetenv("SLACK_WEBHOOK_URL");
    unsetenv("LATENTBENCH_WEBHOOK_URL");
}
END_TEST

START_TEST(test_config_unknown_keys_warn)
{
    const char *text = "extra = 1\n"
                       "[thresholds]\n"
                       "defualt = 5.0\n"
                       "[thresholds.latency]\n"
                       "knn_serch = 3.0\n"
                       "\"knn_search/dim_64/*\" = 4.0\n"
                       "[baseline_management]\n"
                       "  max_history = 3\n";
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    char err[512] = "", path[600], *warn;
    int rc = load_text(text, &c, &warn, err, sizeof err, path, sizeof path);
    ck_assert_msg(rc == LB_OK, "%s", err);
    ck_assert_msg(count_lines(warn) == 4, "warnings:\n%s", warn);
    char want[800];
    snprintf(want, sizeof want, "%s:1:1: unknown key 'extra'", path);
    ck_assert_msg(strstr(warn, want), "missing '%s' in:\n%s", want, warn);
    snprintf(want, sizeof want, "%s:3:1: unknown key 'defualt' in table 'thresholds' (did you mean 'default'?)", path);
    ck_assert_msg(strstr(warn, want), "missing '%s' in:\n%s", want, warn);
    snprintf(want, sizeof want, "%s:5:1: unknown key 'knn_serch' in table 'thresholds.latency' (did you mean 'knn_search'?)",
             path);
    ck_assert_msg(strstr(warn, want), "missing '%s' in:\n%s", want, warn);
    snprintf(want, sizeof want, "%s:8:3: unknown key 'max_history'", path);
    ck_assert_msg(strstr(warn, want), "missing '%s' in:\n%s", want, warn);
    free(warn);
    /* unknown keys are ignored; the pattern is kept */
    ck_assert_double_eq(c.default_percent, 10.0);
    ck_assert_double_eq(lb_gate_threshold_for(&c, "knn_search/dim_64/10"), 4.0);
    ck_assert_double_eq(lb_gate_threshold_for(&c, "knn_search/dim_128/10"), 5.0);
    lb_gate_config_free(&c);
}
END_TEST

/* Every error kind: one line, file:line:col, LB_EDATA, c untouched. */
static const struct {
    const char *text;
    const char *where; /* "line:col" */
    const char *cause;
} CONFIG_ERRORS[] = {
    {"[thresholds\ndefault = 1\n", "1:12", ""},
    {"[thresholds]\ndefault = = 1\n", "2:11", ""},
    {"[thresholds]\ndefault = \"ten\"\n", "2:11", "expected a float, found a string"},
    {"[thresholds]\ndefault = -1.0\n", "2:11", "percentage > 0"},
    {"[thresholds]\ndefault = nan\n", "2:11", "percentage > 0"},
    {"thresholds = 5\n", "1:14", "expected a table, found an integer"},
    {"[thresholds.latency]\nknn_search = true\n", "2:14", "expected a float, found a boolean"},
    {"[thresholds.latency]\n\"knn_search/*\" = 0\n", "2:18", "percentage > 0"},
    {"[thresholds.throughput]\nparallel_search = [1]\n", "2:19", "expected a float, found an array"},
    {"[thresholds.memory]\npeak_usage = \"20%\"\n", "2:14", "expected a float, found a string"},
    {"[thresholds.memory]\nallocation_count = 0\n", "2:20", "percentage > 0"},
    {"[regression_actions]\nfail_ci = \"yes\"\n", "2:11", "expected a boolean, found a string"},
    {"[regression_actions.notifications]\nslack_webhook = 5\n", "2:17", "expected a string, found an integer"},
    {"[regression_actions.notifications]\nemail = \"${BROKEN\"\n", "2:9", "malformed ${VAR}"},
    {"[regression_actions.notifications]\nemail = \"${}\"\n", "2:9", "malformed ${VAR}"},
    {"[regression_actions.notifications]\nslack_webhook = \"${HOME}\"\n", "2:17", "${HOME} is not an allowed variable"},
    {"[baseline_management]\ndirectory = \"${HOME}/b\"\n", "2:13", "${HOME} is not expanded here"},
    {"[baseline_management]\nmax_history_count = 2.5\n", "2:21", "expected an integer, found a float"},
    {"[baseline_management]\nmax_history_count = 0\n", "2:21", "at least 1"},
    {"[baseline_management]\ndirectory = \"\"\n", "2:13", "must not be empty"},
    {"[baseline_management]\nkeep_history = 1\n", "2:16", "expected a boolean, found an integer"},
    {"[regression_actions]\nnotifications = 1\n", "2:17", "expected a table"},
};

START_TEST(test_config_errors)
{
    const char *text = CONFIG_ERRORS[_i].text;
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    c.default_percent = 42.0; /* an error leaves c as it was */
    char err[512] = "", path[600];
    int rc = load_text(text, &c, NULL, err, sizeof err, path, sizeof path);
    ck_assert_msg(rc == LB_EDATA, "case %d: rc %d for:\n%s", _i, rc, text);
    assert_one_line(err);
    char want[700];
    snprintf(want, sizeof want, "%s:%s: ", path, CONFIG_ERRORS[_i].where);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "case %d: '%s' does not start with '%s'", _i, err, want);
    ck_assert_msg(strstr(err, CONFIG_ERRORS[_i].cause), "case %d: '%s' lacks '%s'", _i, err, CONFIG_ERRORS[_i].cause);
    ck_assert_double_eq(c.default_percent, 42.0);
    ck_assert_uint_eq(c.nthresholds, 8);
    lb_gate_config_free(&c);
}
END_TEST

START_TEST(test_config_missing_file)
{
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    char err[512] = "", path[600];
    int rc = lb_gate_config_load(lbt_path(path, sizeof path, "nope.toml"), &c, NULL, err, sizeof err);
    ck_assert_int_eq(rc, LB_ENOINPUT);
    assert_one_line(err);
    ck_assert_msg(strstr(err, path), "%s", err);
    lb_gate_config_free(&c);
}
END_TEST

/* ---- synthetic results ------------------------------------------------------------ */

#define MAXROWS 16
#define MAXSAMP 200

typedef struct {
    const char *id;
    double mu_ns;   /* typical time per iteration */
    double shift;   /* relative change of current against baseline */
    size_t n;       /* samples (0: this side has no row) */
    uint64_t peak, allocs;
} spec;

typedef struct {
    lb_results r;
    lb_row rows[MAXROWS];
    lb_sample *sp[MAXROWS];
    size_t ns[MAXROWS];
    lb_sample buf[MAXROWS][MAXSAMP];
} synth;

static char s_tool[] = "0.1.0", s_created[] = "2024-01-01T00:00:00Z", s_host[] = "ci-runner",
            s_machine_a[] = "Test CPU @ 3.0GHz, 16 cores, avx2", s_machine_b[] = "Other CPU, 8 cores, avx512",
            s_compiler[] = "gcc 12", s_build[] = "Release", s_cmd[] = "latentbench run --suite ci",
            s_commit_a[] = "1111111aaaaa", s_commit_b[] = "2222222bbbbb";

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s)
{
    return ((double)(splitmix(s) >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(uint64_t *s)
{
    double u = uniform(s), v = uniform(s);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static uint64_t hash_id(const char *id, uint64_t seed)
{
    uint64_t h = 0xcbf29ce484222325u ^ seed;
    for (; *id; id++) h = (h ^ (unsigned char)*id) * 0x100000001b3u;
    return h;
}

/* Timing noise of a benchmark over 50 µs: log-normal spread of cv, and 1% of
 * samples hit by an interruption that costs 30% (a heavy right tail). */
static double draw_time(uint64_t *s, double mu, double cv)
{
    double t = mu * exp(cv * normal(s));
    if (uniform(s) < 0.01) t *= 1.3;
    return t;
}

static void fill_samples(lb_row *row, lb_sample *buf, size_t n, double mu, double cv, uint64_t seed)
{
    uint64_t s = hash_id(row->id, seed);
    double *x = malloc(n * sizeof *x);
    ck_assert_ptr_nonnull(x);
    for (size_t j = 0; j < n; j++) {
        buf[j].iterations = 10 * (j + 1);
        buf[j].ns_per_iter = x[j] = draw_time(&s, mu, cv);
    }
    row->samples = (int64_t)n;
    ck_assert_int_eq(lb_stats_median(x, n, &row->median_ns), LB_OK);
    ck_assert_int_eq(lb_stats_mean(x, n, &row->mean_ns), LB_OK);
    free(x);
}

/* side 0: baseline (no shift), side 1: current (shifted). */
static synth *make_synth(const spec *sp, size_t nspec, int side, uint64_t seed)
{
    synth *y = calloc(1, sizeof *y);
    ck_assert_ptr_nonnull(y);
    size_t n = 0;
    for (size_t i = 0; i < nspec; i++) {
        const spec *s = &sp[i];
        /* n == 0 on the shifted side means "missing in current", a negative
         * shift of -1 means "new in current" */
        if (side == 0 && s->shift == -1.0) continue;
        if (side == 1 && s->n == 0) continue;
        lb_row *row = &y->rows[n];
        snprintf(row->id, sizeof row->id, "%s", s->id);
        snprintf(row->suite, sizeof row->suite, "ci");
        snprintf(row->group, sizeof row->group, "%.*s", (int)strcspn(s->id, "/"), s->id);
        snprintf(row->op, sizeof row->op, "knn");
        size_t ns = s->n ? s->n : 100;
        double mu = side && s->shift != -1.0 ? s->mu_ns * (1.0 + s->shift) : s->mu_ns;
        fill_samples(row, y->buf[n], ns, mu, 0.03, seed * 2 + (uint64_t)side);
        row->peak_bytes = side ? s->peak : 1000000;
        row->allocations = side ? s->allocs : 100;
        row->ranks = 1;
        y->ns[n] = ns;
        y->sp[n] = y->buf[n];
        n++;
    }
    lb_meta *m = &y->r.meta;
    m->schema_version = LB_SCHEMA_VERSION;
    m->tool_version = s_tool;
    m->git_commit = side ? s_commit_b : s_commit_a;
    m->created = s_created;
    m->hostname = s_host;
    m->machine = s_machine_a;
    m->compiler = s_compiler;
    m->build_type = s_build;
    m->command_line = s_cmd;
    m->mpi_ranks = 1;
    m->omp_threads = 2;
    y->r.rows = y->rows;
    y->r.nrows = n;
    y->r.samples = y->sp;
    y->r.nsamples = y->ns;
    return y;
}

static void write_synth(const synth *y, const char *path)
{
    char err[512] = "";
    int rc = lb_results_write(path, &y->r, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "%s", err);
}

/* The main scenario: known shifts, memory changes, a new and a missing row.
 * Unchanged memory is peak 1 MB / 100 allocations. */
static const spec SCENARIO[] = {
    {"latent_space_creation/64", 80e3, 0.0, 100, 1000000, 100},
    {"memory_scaling/1000", 120e3, 0.05, 100, 1000000, 100},   /* +5% < 10%: no change */
    {"memory_scaling/2000", 250e3, 0.20, 100, 1000000, 100},   /* +20%: regression */
    {"memory_scaling/3000", 900e3, -0.20, 100, 1000000, 100},  /* -20%: improvement */
    {"knn_search/dim_128/10", 60e3, 0.07, 100, 1000000, 100},  /* +7% over knn_search's 5% */
    {"distance_comparison/Cosine@dim_128/knn_100", 75e3, 0.06, 100, 1000000, 100}, /* +6% under 10% */
    {"attention_computation/dim_64/Flash", 2.5e6, 0.0, 100, 1300000, 100},  /* peak +30% */
    {"attention_computation/dim_64/Standard", 3.1e6, 0.0, 100, 1100000, 110}, /* +10%, +10% */
    {"batch_add_embeddings/32", 55e3, 0.0, 100, 1000000, 70},  /* allocations -30% */
    {"add_embedding/128", 1.5e9, 0.0, 20, 1000000, 100},
    {"batch_attention/8", 400e3, -1.0, 100, 1000000, 100},     /* new */
    {"flash_vs_standard/Flash/1024", 800.0, 0.0, 0, 1000000, 100}, /* missing */
};
#define NSCENARIO (sizeof SCENARIO / sizeof SCENARIO[0])

static const struct {
    const char *id;
    lb_verdict verdict, time, memory;
} EXPECTED[] = {
    {"latent_space_creation/64", LB_VERDICT_NO_CHANGE, LB_VERDICT_NO_CHANGE, LB_VERDICT_NO_CHANGE},
    {"memory_scaling/1000", LB_VERDICT_NO_CHANGE, LB_VERDICT_NO_CHANGE, LB_VERDICT_NO_CHANGE},
    {"memory_scaling/2000", LB_VERDICT_REGRESSION, LB_VERDICT_REGRESSION, LB_VERDICT_NO_CHANGE},
    {"memory_scaling/3000", LB_VERDICT_IMPROVEMENT, LB_VERDICT_IMPROVEMENT, LB_VERDICT_NO_CHANGE},
    {"knn_search/dim_128/10", LB_VERDICT_REGRESSION, LB_VERDICT_REGRESSION, LB_VERDICT_NO_CHANGE},
    {"distance_comparison/Cosine@dim_128/knn_100", LB_VERDICT_NO_CHANGE, LB_VERDICT_NO_CHANGE, LB_VERDICT_NO_CHANGE},
    {"attention_computation/dim_64/Flash", LB_VERDICT_REGRESSION, LB_VERDICT_NO_CHANGE, LB_VERDICT_REGRESSION},
    {"attention_computation/dim_64/Standard", LB_VERDICT_NO_CHANGE, LB_VERDICT_NO_CHANGE, LB_VERDICT_NO_CHANGE},
    {"batch_add_embeddings/32", LB_VERDICT_IMPROVEMENT, LB_VERDICT_NO_CHANGE, LB_VERDICT_IMPROVEMENT},
    {"add_embedding/128", LB_VERDICT_NO_CHANGE, LB_VERDICT_NO_CHANGE, LB_VERDICT_NO_CHANGE},
    {"batch_attention/8", LB_VERDICT_NEW, LB_VERDICT_NEW, LB_VERDICT_NEW},
    {"flash_vs_standard/Flash/1024", LB_VERDICT_MISSING, LB_VERDICT_MISSING, LB_VERDICT_MISSING},
};

/* Writes both sides of a scenario and compares the files read back. */
static int compare_files(const spec *sp, size_t n, const lb_gate_config *c, lb_comparison *cmp, lb_results *base,
                         lb_results *cur)
{
    char pa[600], pb[600], err[512] = "";
    synth *a = make_synth(sp, n, 0, 7), *b = make_synth(sp, n, 1, 7);
    write_synth(a, lbt_path(pa, sizeof pa, "base.h5"));
    write_synth(b, lbt_path(pb, sizeof pb, "cur.h5"));
    free(a);
    free(b);
    ck_assert_int_eq(lb_results_read(pa, base, err, sizeof err), LB_OK);
    ck_assert_int_eq(lb_results_read(pb, cur, err, sizeof err), LB_OK);
    int rc = lb_gate_compare(base, cur, c, cmp, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "%s", err);
    return rc;
}

/* The run-to-run drift floor: a +20% shift is a regression on its own, but not
 * when earlier baselines of the same benchmark already spread that widely. */
static lb_verdict verdict_with_history(const double *drifts, size_t nh, double *noise, size_t *runs)
{
    spec one[] = {{"memory_scaling/2000", 250e3, 0.20, 100, 1000000, 100}};
    synth *a = make_synth(one, 1, 0, 11), *b = make_synth(one, 1, 1, 11);
    synth *h[8];
    const lb_results *hp[8];
    for (size_t k = 0; k < nh; k++) {
        spec d = one[0];
        d.shift = drifts[k];
        h[k] = make_synth(&d, 1, 1, 100 + k);
        hp[k] = &h[k]->r;
    }
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    lb_comparison cmp;
    char err[512] = "";
    ck_assert_int_eq(lb_gate_compare_history(&a->r, hp, nh, &b->r, &c, &cmp, err, sizeof err), LB_OK);
    ck_assert_uint_eq(cmp.nrows, 1);
    lb_verdict v = cmp.rows[0].time_verdict;
    *noise = cmp.rows[0].noise_pct;
    *runs = cmp.rows[0].history_runs;
    lb_comparison_free(&cmp);
    lb_gate_config_free(&c);
    for (size_t k = 0; k < nh; k++) free(h[k]);
    free(a);
    free(b);
    return v;
}

START_TEST(test_history_drift_floor)
{
    double noise;
    size_t runs;
    /* no history, or too little to estimate from: the samples decide */
    ck_assert_int_eq(verdict_with_history(NULL, 0, &noise, &runs), LB_VERDICT_REGRESSION);
    ck_assert(isnan(noise));
    const double one[] = {0.01};
    ck_assert_int_eq(verdict_with_history(one, 1, &noise, &runs), LB_VERDICT_REGRESSION);
    ck_assert(isnan(noise));
    ck_assert_uint_eq(runs, 2);
    /* past runs that agree to within half a percent keep the regression */
    const double tight[] = {0.005, -0.005, 0.003, -0.003};
    ck_assert_int_eq(verdict_with_history(tight, 4, &noise, &runs), LB_VERDICT_REGRESSION);
    ck_assert_uint_eq(runs, 5);
    ck_assert_double_lt(noise, 5.0);
    /* past runs 15-30% apart: +20% is inside the drift */
    const double wide[] = {0.25, -0.20, 0.30, -0.15};
    ck_assert_int_eq(verdict_with_history(wide, 4, &noise, &runs), LB_VERDICT_NO_CHANGE);
    ck_assert_double_gt(noise, 20.0);
}
END_TEST

START_TEST(test_verdicts_known_shifts)
{
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    lb_comparison cmp;
    lb_results base, cur;
    compare_files(SCENARIO, NSCENARIO, &c, &cmp, &base, &cur);
    ck_assert_uint_eq(cmp.nrows, sizeof EXPECTED / sizeof EXPECTED[0]);
    for (size_t i = 0; i < cmp.nrows; i++) {
        const lb_comparison_row *r = &cmp.rows[i];
        ck_assert_str_eq(r->id, EXPECTED[i].id); /* current's order, then Missing */
        ck_assert_msg(r->verdict == EXPECTED[i].verdict && r->time_verdict == EXPECTED[i].time &&
                          r->memory_verdict == EXPECTED[i].memory,
                      "%s: %s (time %s, memory %s), expected %s (%s, %s); median %+.2f%% CI [%+.2f, %+.2f] p %.3g "
                      "thr %g",
                      r->id, lb_verdict_name(r->verdict), lb_verdict_name(r->time_verdict),
                      lb_verdict_name(r->memory_verdict), lb_verdict_name(EXPECTED[i].verdict),
                      lb_verdict_name(EXPECTED[i].time), lb_verdict_name(EXPECTED[i].memory), r->median_change_pct,
                      r->ci_low_pct, r->ci_high_pct, r->p_value, r->threshold_pct);
    }
    /* the estimates themselves: +20% shows as about +20% */
    const lb_comparison_row *r20 = &cmp.rows[2];
    ck_assert_double_eq_tol(r20->median_change_pct, 20.0, 2.0);
    ck_assert_double_eq_tol(r20->mean_change_pct, 20.0, 2.0);
    ck_assert(r20->ci_low_pct < r20->mean_change_pct && r20->mean_change_pct < r20->ci_high_pct);
    ck_assert(r20->p_value < 1e-6);
    ck_assert_double_eq(r20->threshold_pct, 10.0);
    ck_assert_double_eq(cmp.rows[4].threshold_pct, 5.0);
    ck_assert_double_eq_tol(cmp.rows[6].peak_change_pct, 30.0, 1e-9);
    ck_assert_double_eq_tol(cmp.rows[8].alloc_change_pct, -30.0, 1e-9);
    ck_assert_ptr_null(cmp.rows[10].base);
    ck_assert_ptr_nonnull(cmp.rows[10].cur);
    ck_assert_ptr_null(cmp.rows[11].cur);
    ck_assert_uint_eq(cmp.counts[LB_VERDICT_REGRESSION], 3);
    ck_assert_uint_eq(cmp.counts[LB_VERDICT_IMPROVEMENT], 2);
    ck_assert_uint_eq(cmp.counts[LB_VERDICT_NO_CHANGE], 5);
    ck_assert_uint_eq(cmp.counts[LB_VERDICT_NEW], 1);
    ck_assert_uint_eq(cmp.counts[LB_VERDICT_MISSING], 1);
    ck_assert_int_eq(lb_gate_exit_status(&cmp), 1);
    ck_assert(!cmp.machine_differs);
    ck_assert_str_eq(cmp.base_commit, s_commit_a);
    ck_assert_str_eq(cmp.cur_commit, s_commit_b);
    lb_comparison_free(&cmp);

    /* --threshold 25 moves the default: the +20% row is within it */
    c.default_percent = 25.0;
    ck_assert_int_eq(lb_gate_compare(&base, &cur, &c, &cmp, NULL, 0), LB_OK);
    ck_assert_int_eq(cmp.rows[2].verdict, LB_VERDICT_NO_CHANGE);
    ck_assert_int_eq(cmp.rows[3].verdict, LB_VERDICT_IMPROVEMENT); /* -20% < -12.5% */
    lb_comparison_free(&cmp);
    lb_results_free(&base);
    lb_results_free(&cur);
    lb_gate_config_free(&c);
}
END_TEST

START_TEST(test_exit_status)
{
    static const spec improvement_only[] = {
        {"latent_space_creation/64", 80e3, -0.20, 50, 1000000, 100},
        {"add_embedding/128", 80e3, 0.0, 50, 1000000, 100},
    };
    static const spec unchanged[] = {
        {"latent_space_creation/64", 80e3, 0.0, 50, 1000000, 100},
        {"add_embedding/128", 80e3, 0.03, 50, 1000000, 100},
        {"batch_attention/8", 80e3, -1.0, 50, 1000000, 100},  /* new rows do not fail the gate */
        {"flash_vs_standard/Flash/1024", 80e3, 0.0, 0, 1000000, 100}, /* nor missing ones */
    };
    static const spec memory_regression[] = {
        {"latent_space_creation/64", 80e3, -0.20, 50, 1000000, 100},
        {"add_embedding/128", 80e3, 0.0, 50, 1000000, 126}, /* allocations +26% > 25% */
    };
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    struct {
        const spec *sp;
        size_t n;
        int status;
    } cases[] = {{improvement_only, 2, 2}, {unchanged, 4, 0}, {memory_regression, 2, 1}};
    for (size_t k = 0; k < 3; k++) {
        lb_comparison cmp;
        lb_results base, cur;
        compare_files(cases[k].sp, cases[k].n, &c, &cmp, &base, &cur);
        ck_assert_msg(lb_gate_exit_status(&cmp) == cases[k].status, "case %zu: status %d, expected %d", k,
                      lb_gate_exit_status(&cmp), cases[k].status);
        lb_comparison_free(&cmp);
        lb_results_free(&base);
        lb_results_free(&cur);
    }
    lb_gate_config_free(&c);
}
END_TEST

/* The requirement behind the noise rule: runs of the same code flag nothing,
 * and a 10% slowdown of a kernel over 50 µs is caught at least 95% of the time
 * under the default 10% threshold (docs/REGRESSION.md). In memory: the files
 * add nothing to the statistics. */
static size_t flagged(double shift, size_t n, size_t trials, lb_verdict want, uint64_t seed)
{
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    size_t hits = 0;
    for (size_t t = 0; t < trials; t++) {
        spec sp = {"latent_space_creation/64", 60e3 + 1e3 * (double)t, shift, n, 1000000, 100};
        synth *a = make_synth(&sp, 1, 0, seed + t), *b = make_synth(&sp, 1, 1, seed + t);
        lb_comparison cmp;
        ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, NULL, 0), LB_OK);
        hits += cmp.rows[0].verdict == want;
        lb_comparison_free(&cmp);
        free(a);
        free(b);
    }
    lb_gate_config_free(&c);
    return hits;
}

START_TEST(test_power_and_false_alarms)
{
    const size_t trials = 200;
    size_t aa = flagged(0.0, 100, trials, LB_VERDICT_REGRESSION, 1000) + flagged(0.0, 100, trials, LB_VERDICT_IMPROVEMENT, 1000);
    ck_assert_msg(aa == 0, "A/A: %zu of %zu runs flagged", aa, trials);
    /* a 3% drift between runs of the same code (another boot, another layout) is not a regression */
    size_t drift = flagged(0.03, 100, trials, LB_VERDICT_REGRESSION, 2000);
    ck_assert_msg(drift == 0, "+3%% drift: %zu of %zu flagged", drift, trials);
    size_t hit = flagged(0.10, 100, trials, LB_VERDICT_REGRESSION, 3000);
    ck_assert_msg(hit >= trials * 95 / 100, "+10%%, 100 samples: caught %zu of %zu", hit, trials);
    /* --quick's 20 samples: documented as about 90% */
    size_t quick = flagged(0.10, 20, trials, LB_VERDICT_REGRESSION, 4000);
    ck_assert_msg(quick >= trials * 88 / 100, "+10%%, 20 samples: caught %zu of %zu", quick, trials);
    size_t faster = flagged(-0.10, 100, trials, LB_VERDICT_IMPROVEMENT, 5000);
    printf("gate power: +10%% caught %zu/%zu (100 samples), %zu/%zu (20 samples); -10%% %zu/%zu\n", hit, trials,
           quick, trials, faster, trials);
    ck_assert_msg(faster >= trials * 95 / 100, "-10%%: improvement in %zu of %zu", faster, trials);
}
END_TEST

/* Runs measured in rounds (run --rounds): each round of a run sees its own
 * machine state, modelled as a log-normal offset of round_cv shared by the
 * round's samples. One row "knn_search/dim_128/10" (threshold 5%). With
 * keep_rounds 0 the same samples carry no round numbers, as a run without
 * rounds would store them. */
static synth *make_rounds_synth(double shift, size_t rounds, size_t per_round, double round_cv, int keep_rounds,
                                uint64_t seed)
{
    spec one = {"knn_search/dim_128/10", 100e3, 0.0, rounds * per_round, 1000000, 100};
    synth *y = make_synth(&one, 1, 0, seed);
    uint64_t st = seed * 7919 + 17;
    for (size_t r = 0, j = 0; r < rounds; r++) {
        double state = exp(round_cv * normal(&st));
        for (size_t k = 0; k < per_round; k++, j++) {
            y->buf[0][j].ns_per_iter = draw_time(&st, 100e3 * (1.0 + shift) * state, 0.03);
            y->buf[0][j].round = keep_rounds ? r : 0;
        }
    }
    y->rows[0].rounds = keep_rounds ? (int64_t)rounds : 1;
    return y;
}

static lb_comparison_row compare_rounds(double shift, size_t ra, size_t rb, size_t per_round, int keep_rounds,
                                        uint64_t seed)
{
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    c.resamples = 2000;
    synth *a = make_rounds_synth(0.0, ra, per_round, 0.08, keep_rounds, seed);
    synth *b = make_rounds_synth(shift, rb, per_round, 0.08, keep_rounds, seed + 1);
    lb_comparison cmp;
    ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, NULL, 0), LB_OK);
    lb_comparison_row row = cmp.rows[0];
    row.base = row.cur = NULL; /* they point into a and b */
    lb_comparison_free(&cmp);
    lb_gate_config_free(&c);
    free(a);
    free(b);
    return row;
}

/* Round-to-round drift of 8%: a test over the samples takes the drift for a
 * difference; the test over round medians does not, and with 30 rounds a side
 * still catches a 10% slowdown. */
START_TEST(test_rounds)
{
    lb_comparison_row r = compare_rounds(0.0, 30, 30, 5, 1, 1);
    ck_assert(r.by_rounds);
    ck_assert_uint_eq(r.base_units, 30);
    ck_assert_uint_eq(r.cur_units, 30);
    /* fewer than LB_GATE_MIN_ROUNDS on one side: both sides use samples */
    r = compare_rounds(0.0, 30, LB_GATE_MIN_ROUNDS - 1, 5, 1, 1);
    ck_assert(!r.by_rounds);
    ck_assert_uint_eq(r.base_units, 150);
    ck_assert_uint_eq(r.cur_units, 5 * (LB_GATE_MIN_ROUNDS - 1));

    const size_t trials = 100;
    size_t sig_rounds = 0, sig_samples = 0, flagged = 0, caught = 0;
    for (size_t t = 0; t < trials; t++) {
        /* 10 rounds of 20 samples, with and without their round numbers */
        lb_comparison_row x = compare_rounds(0.0, 10, 10, 20, 1, 100 + 2 * t);
        lb_comparison_row y = compare_rounds(0.0, 10, 10, 20, 0, 100 + 2 * t);
        sig_rounds += x.p_value < 0.05;
        sig_samples += y.p_value < 0.05;
        flagged += compare_rounds(0.0, 30, 30, 5, 1, 500 + 2 * t).verdict != LB_VERDICT_NO_CHANGE;
        caught += compare_rounds(0.10, 30, 30, 5, 1, 900 + 2 * t).verdict == LB_VERDICT_REGRESSION;
    }
    printf("rounds: A/A p < 0.05 in %zu/%zu over rounds, %zu/%zu over samples; A/A flagged %zu/%zu, "
           "+10%% caught %zu/%zu\n", sig_rounds, trials, sig_samples, trials, flagged, trials, caught, trials);
    ck_assert_msg(sig_rounds <= trials / 10, "round medians: p < 0.05 in %zu of %zu A/A pairs", sig_rounds, trials);
    ck_assert_msg(sig_samples >= trials * 2 / 5, "samples: p < 0.05 in only %zu of %zu A/A pairs", sig_samples, trials);
    /* calibrated at the round level, the gate flags A/A pairs about as often as
     * p < 0.05 and a change past half the threshold coincide (docs/REGRESSION.md) */
    ck_assert_msg(flagged <= trials * 5 / 100, "A/A: %zu of %zu flagged", flagged, trials);
    ck_assert_msg(caught >= trials * 95 / 100, "+10%%: caught %zu of %zu", caught, trials);
}
END_TEST

START_TEST(test_unusable_samples)
{
    static const spec one[] = {{"latent_space_creation/64", 80e3, 0.0, 10, 1000000, 100}};
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    synth *a = make_synth(one, 1, 0, 1), *b = make_synth(one, 1, 1, 1);
    lb_comparison cmp;
    char err[512];
    a->ns[0] = 0;
    ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, err, sizeof err), LB_EDATA);
    assert_one_line(err);
    ck_assert_msg(strncmp(err, "baseline: ", 10) == 0 && strstr(err, "latent_space_creation/64"), "%s", err);
    a->ns[0] = 10;
    b->buf[0][3].ns_per_iter = NAN;
    ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, err, sizeof err), LB_EDATA);
    ck_assert_msg(strncmp(err, "current: ", 9) == 0 && strstr(err, "sample 3"), "%s", err);
    b->buf[0][3].ns_per_iter = 1.0;
    a->buf[0][0].ns_per_iter = 0.0;
    ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, err, sizeof err), LB_EDATA);
    ck_assert_msg(strncmp(err, "baseline: ", 10) == 0 && strstr(err, "sample 0"), "%s", err);
    a->buf[0][0].ns_per_iter = 1.0;
    /* another machine is flagged for the caller to warn or refuse */
    b->r.meta.machine = s_machine_b;
    ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, err, sizeof err), LB_OK);
    ck_assert(cmp.machine_differs);
    ck_assert_str_eq(cmp.base_machine, s_machine_a);
    ck_assert_str_eq(cmp.cur_machine, s_machine_b);
    lb_comparison_free(&cmp);
    free(a);
    free(b);
    lb_gate_config_free(&c);
}
END_TEST

/* Rows that measured different things are refused, not compared: same id,
 * another workload; an id twice in one file; no id in common. */
START_TEST(test_refuses_different_workloads)
{
    static const spec two[] = {
        {"knn_search/dim_128/10", 60e3, 0.0, 20, 1000000, 100},
        {"add_embedding/128", 80e3, 0.0, 20, 1000000, 100},
    };
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    synth *a = make_synth(two, 2, 0, 3), *b = make_synth(two, 2, 1, 3);
    lb_comparison cmp;
    char err[512];
    static const struct {
        size_t off;
        int str;
        const char *name, *want;
    } FIELDS[] = {
        {offsetof(lb_row, dimension), 0, "dimension", "dimension 128 in the baseline, 4096 in the current file"},
        {offsetof(lb_row, k), 0, "k", "k 128 in the baseline, 4096 in the current file"},
        {offsetof(lb_row, dataset_size), 0, "dataset_size", "dataset_size 128 in the baseline, 4096"},
        {offsetof(lb_row, batch_size), 0, "batch_size", "batch_size 128"},
        {offsetof(lb_row, seq_len), 0, "seq_len", "seq_len 128"},
        {offsetof(lb_row, num_heads), 0, "num_heads", "num_heads 128"},
        {offsetof(lb_row, num_experts), 0, "num_experts", "num_experts 128"},
        {offsetof(lb_row, metric), 1, "metric", "metric 'Euclidean' in the baseline, 'Cosine' in the current file"},
        {offsetof(lb_row, attention), 1, "attention", "attention 'Euclidean' in the baseline, 'Cosine'"},
        {offsetof(lb_row, op), 1, "op", "op 'Euclidean' in the baseline, 'Cosine'"},
    };
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
        lb_row ra = a->rows[0], rb = b->rows[0];
        if (FIELDS[i].str) {
            snprintf((char *)&a->rows[0] + FIELDS[i].off, LB_NAME_LEN, "Euclidean");
            snprintf((char *)&b->rows[0] + FIELDS[i].off, LB_NAME_LEN, "Cosine");
        } else {
            int64_t x = 128, y = 4096;
            memcpy((char *)&a->rows[0] + FIELDS[i].off, &x, sizeof x);
            memcpy((char *)&b->rows[0] + FIELDS[i].off, &y, sizeof y);
        }
        ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, err, sizeof err), LB_EDATA);
        assert_one_line(err);
        ck_assert_msg(strstr(err, "benchmark 'knn_search/dim_128/10' measured different workloads: ") == err &&
                          strstr(err, FIELDS[i].want),
                      "%s: %s", FIELDS[i].name, err);
        a->rows[0] = ra;
        b->rows[0] = rb;
    }
    ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, err, sizeof err), LB_OK);
    lb_comparison_free(&cmp);

    /* an unset metric or attention is the default one, and names are read in any case */
    {
        lb_row ra = a->rows[0], rb = b->rows[0];
        snprintf(a->rows[0].metric, LB_NAME_LEN, "%s", "");
        snprintf(b->rows[0].metric, LB_NAME_LEN, "%s", "euclidean");
        snprintf(a->rows[0].attention, LB_NAME_LEN, "%s", "Standard");
        snprintf(b->rows[0].attention, LB_NAME_LEN, "%s", "");
        ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, err, sizeof err), LB_OK);
        lb_comparison_free(&cmp);
        snprintf(b->rows[0].metric, LB_NAME_LEN, "%s", "Cosine");
        ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, err, sizeof err), LB_EDATA);
        ck_assert_msg(strstr(err, "metric 'Euclidean' in the baseline, 'Cosine' in the current file"), "%s", err);
        a->rows[0] = ra;
        b->rows[0] = rb;
    }

    /* an id twice in one file: which row is "the" benchmark is arbitrary */
    lb_row keep = b->rows[1];
    snprintf(b->rows[1].id, sizeof b->rows[1].id, "%s", b->rows[0].id);
    ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, err, sizeof err), LB_EDATA);
    assert_one_line(err);
    ck_assert_str_eq(err, "current: benchmark id 'knn_search/dim_128/10' appears twice (rows 1 and 2)");
    lb_gate_name_files(err, sizeof err, "b.h5", "c.h5");
    ck_assert_str_eq(err, "c.h5: benchmark id 'knn_search/dim_128/10' appears twice (rows 1 and 2)");
    ck_assert_int_eq(lb_gate_check_ids(&b->r, "x.h5", err, sizeof err), LB_EDATA);
    ck_assert_str_eq(err, "x.h5: benchmark id 'knn_search/dim_128/10' appears twice (rows 1 and 2)");
    ck_assert_int_eq(lb_gate_check_ids(&a->r, "y.h5", err, sizeof err), LB_OK);
    b->rows[1] = keep;
    snprintf(a->rows[0].id, sizeof a->rows[0].id, "%s", a->rows[1].id);
    ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, err, sizeof err), LB_EDATA);
    ck_assert_msg(strncmp(err, "baseline: benchmark id 'add_embedding/128' appears twice", 56) == 0, "%s", err);

    /* nothing in common: no evidence of "no change" */
    snprintf(a->rows[0].id, sizeof a->rows[0].id, "other/1");
    snprintf(a->rows[1].id, sizeof a->rows[1].id, "other/2");
    ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, err, sizeof err), LB_EDATA);
    ck_assert_str_eq(err, "no benchmark ids in common: the baseline has 2 benchmarks, the current file 2");
    a->r.nrows = 0;
    ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, err, sizeof err), LB_EDATA);

    /* an id with escape sequences is made visible in the message */
    a->r.nrows = 2;
    snprintf(a->rows[0].id, sizeof a->rows[0].id, "x\033[2J");
    snprintf(b->rows[0].id, sizeof b->rows[0].id, "x\033[2J");
    a->rows[0].dimension = 1;
    ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, err, sizeof err), LB_EDATA);
    ck_assert_msg(!strchr(err, '\033') && strstr(err, "'x\\x1B[2J'"), "%s", err);
    free(a);
    free(b);
    lb_gate_config_free(&c);
}
END_TEST

/* The change shown beside the CI is the statistic the CI is about: the mean's
 * change lies inside its interval; the terminal view sanitises file text. */
START_TEST(test_point_estimate_inside_ci)
{
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    lb_comparison cmp;
    lb_results base, cur;
    char err[512];
    ck_assert_int_eq(compare_files(SCENARIO, sizeof SCENARIO / sizeof SCENARIO[0], &c, &cmp, &base, &cur), LB_OK);
    for (size_t i = 0; i < cmp.nrows; i++) {
        const lb_comparison_row *r = &cmp.rows[i];
        if (!r->base || !r->cur) continue;
        ck_assert_msg(r->ci_low_pct <= r->mean_change_pct && r->mean_change_pct <= r->ci_high_pct,
                      "%s: mean change %g outside [%g, %g]", r->id, r->mean_change_pct, r->ci_low_pct, r->ci_high_pct);
    }
    lb_comparison_free(&cmp);
    lb_results_free(&base);
    lb_results_free(&cur);
    (void)err;

    static const spec one[] = {{"knn/\033]0;owned\007\033[31m", 60e3, 0.0, 20, 1000000, 100}};
    synth *a = make_synth(one, 1, 0, 5), *b = make_synth(one, 1, 1, 5);
    char evil_machine[] = "cpu\033[2J; 1 cores", evil_commit[] = "abc\r\033[Kforged";
    b->r.meta.machine = evil_machine;
    b->r.meta.git_commit = evil_commit;
    ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, err, sizeof err), LB_OK);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    lb_gate_print_terminal(f, &cmp, false);
    lb_gate_write_markdown(f, &cmp);
    fclose(f);
    ck_assert_msg(!strchr(text, '\033') && !strchr(text, '\007') && !strchr(text, '\r'), "%s", text);
    ck_assert_ptr_nonnull(strstr(text, "knn/\\x1B]0;owned\\x07\\x1B[31m"));
    free(text);
    lb_comparison_free(&cmp);
    free(a);
    free(b);
    lb_gate_config_free(&c);
}
END_TEST

/* ---- reports ------------------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return s;
}

START_TEST(test_markdown_golden)
{
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    lb_comparison cmp;
    lb_results base, cur;
    compare_files(SCENARIO, NSCENARIO, &c, &cmp, &base, &cur);
    char *md = NULL;
    size_t mdlen = 0;
    FILE *f = open_memstream(&md, &mdlen);
    ck_assert_int_eq(lb_gate_write_markdown(f, &cmp), LB_OK);
    fclose(f);
    const char *golden = LB_GATE_DATA_DIR "/compare.md";
    const char *update = getenv("LB_GATE_UPDATE_GOLDEN");
    if (update && *update && strcmp(update, "0") != 0) write_text(golden, md);
    size_t glen = 0;
    char *want = slurp(golden, &glen);
    ck_assert_msg(want != NULL, "cannot read %s", golden);
    ck_assert_msg(glen == mdlen && memcmp(want, md, glen) == 0, "report differs from %s:\n%s", golden, md);
    /* what a reviewer looks for */
    ck_assert_ptr_nonnull(strstr(md, "**3 regressions**, 2 improvements, 5 no change, 1 new, 1 missing"));
    ck_assert_ptr_nonnull(strstr(md, "<details>"));
    ck_assert_ptr_nonnull(strstr(md, "µs"));
    ck_assert_ptr_nonnull(strstr(md, " ms |"));
    ck_assert_ptr_nonnull(strstr(md, " s | "));
    ck_assert_ptr_nonnull(strstr(md, s_commit_a));
    ck_assert_ptr_nonnull(strstr(md, s_machine_a));
    free(want);
    free(md);

    /* colour only when asked */
    char *tv = NULL;
    size_t tvlen = 0;
    f = open_memstream(&tv, &tvlen);
    lb_gate_print_terminal(f, &cmp, false);
    fclose(f);
    ck_assert_ptr_null(strchr(tv, '\033'));
    ck_assert_ptr_nonnull(strstr(tv, "Regression"));
    ck_assert_ptr_nonnull(strstr(tv, "3 regressions, 2 improvements"));
    free(tv);
    f = open_memstream(&tv, &tvlen);
    lb_gate_print_terminal(f, &cmp, true);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(tv, "\033[1;31mRegression"));
    free(tv);
    lb_comparison_free(&cmp);
    lb_results_free(&base);
    lb_results_free(&cur);
    lb_gate_config_free(&c);
}
END_TEST

START_TEST(test_markdown_no_change)
{
    static const spec same[] = {{"latent_space_creation/64", 80e3, 0.0, 30, 1000000, 100}};
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    synth *a = make_synth(same, 1, 0, 3), *b = make_synth(same, 1, 1, 3);
    b->r.meta.machine = s_machine_b;
    lb_comparison cmp;
    ck_assert_int_eq(lb_gate_compare(&a->r, &b->r, &c, &cmp, NULL, 0), LB_OK);
    char *md = NULL;
    size_t mdlen = 0;
    FILE *f = open_memstream(&md, &mdlen);
    ck_assert_int_eq(lb_gate_write_markdown(f, &cmp), LB_OK);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(md, "No significant change."));
    ck_assert_ptr_nonnull(strstr(md, "different machines"));
    ck_assert_ptr_null(strstr(md, "### Regressions"));
    free(md);
    ck_assert_int_eq(lb_gate_exit_status(&cmp), 0);
    lb_comparison_free(&cmp);
    free(a);
    free(b);
    lb_gate_config_free(&c);
}
END_TEST

/* ---- damaged baselines --------------------------------------------------------------- */

static void set_version(hid_t f, int v)
{
    ck_assert_int_ge(H5Adelete(f, "schema_version"), 0);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "schema_version", H5T_NATIVE_INT, s, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(a, 0);
    ck_assert_int_ge(H5Awrite(a, H5T_NATIVE_INT, &v), 0);
    H5Aclose(a);
    H5Sclose(s);
}

/* A fixed-length string attribute, as the current schema stores them. */
static void put_fstr_attr(hid_t loc, const char *name, const char *value)
{
    if (H5Aexists(loc, name) > 0) ck_assert_int_ge(H5Adelete(loc, name), 0);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, strlen(value) + 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(a, 0);
    ck_assert_int_ge(H5Awrite(a, t, value), 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

static void copy_prefix(const char *from, const char *to, size_t len)
{
    size_t n = 0;
    char *data = slurp(from, &n);
    ck_assert_ptr_nonnull(data);
    FILE *f = fopen(to, "wb");
    ck_assert_ptr_nonnull(f);
    if (len) ck_assert_uint_eq(fwrite(data, 1, len < n ? len : n, f), len < n ? len : n);
    fclose(f);
    free(data);
}

static void expect_refused(const char *path, const char *cause)
{
    lb_results r;
    char err[512] = "";
    int rc = lb_results_read(path, &r, err, sizeof err);
    ck_assert_msg(rc == LB_EDATA, "%s: rc %d (%s)", path, rc, err);
    assert_one_line(err);
    ck_assert_msg(strstr(err, path), "error does not name the file: %s", err);
    if (cause) ck_assert_msg(strstr(err, cause), "error lacks '%s': %s", cause, err);
}

START_TEST(test_damaged_baselines)
{
    static const spec one[] = {
        {"latent_space_creation/64", 80e3, 0.0, 50, 1000000, 100},
        {"add_embedding/128", 80e3, 0.0, 50, 1000000, 100},
    };
    char good[600], bad[600];
    synth *a = make_synth(one, 2, 0, 9);
    write_synth(a, lbt_path(good, sizeof good, "good.h5"));
    free(a);
    size_t n = 0;
    free(slurp(good, &n));
    lbt_path(bad, sizeof bad, "bad.h5");
    const size_t cuts[] = {0, 7, 100, 512, 2048, n / 2, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        if (cuts[i] >= n) continue;
        copy_prefix(good, bad, cuts[i]);
        expect_refused(bad, NULL);
    }
    write_text(bad, "# not HDF5\nid,median\nknn,1\n");
    expect_refused(bad, NULL);

    copy_prefix(good, bad, n);
    hid_t f = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    put_fstr_attr(f, "schema", "other-results");
    H5Fclose(f);
    expect_refused(bad, "schema is 'other-results'");

    copy_prefix(good, bad, n);
    f = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    set_version(f, LB_SCHEMA_VERSION + 1);
    H5Fclose(f);
    char cause[64];
    snprintf(cause, sizeof cause, "schema_version %d is not supported", LB_SCHEMA_VERSION + 1);
    expect_refused(bad, cause);

    lb_results r;
    char err[512];
    ck_assert_int_eq(lb_results_read(lbt_path(bad, sizeof bad, "absent.h5"), &r, err, sizeof err), LB_ENOINPUT);
}
END_TEST

static Suite *gate_suite(void)
{
    Suite *s = suite_create("gate");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
    tcase_add_test(tc, test_config_shipped_equals_defaults);
    tcase_add_test(tc, test_config_group_mapping);
    tcase_add_test(tc, test_config_patterns_first_match);
    tcase_add_test(tc, test_config_env_expansion);
    tcase_add_test(tc, test_config_env_secrets);
    tcase_add_test(tc, test_config_unknown_keys_warn);
    tcase_add_loop_test(tc, test_config_errors, 0, (int)(sizeof CONFIG_ERRORS / sizeof CONFIG_ERRORS[0]));
    tcase_add_test(tc, test_config_missing_file);
    suite_add_tcase(s, tc);

    tc = tcase_create("compare");
    tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
    tcase_add_test(tc, test_verdicts_known_shifts);
    tcase_add_test(tc, test_history_drift_floor);
    tcase_add_test(tc, test_exit_status);
    tcase_add_test(tc, test_power_and_false_alarms);
    tcase_add_test(tc, test_rounds);
    tcase_add_test(tc, test_unusable_samples);
    tcase_add_test(tc, test_refuses_different_workloads);
    tcase_add_test(tc, test_point_estimate_inside_ci);
    suite_add_tcase(s, tc);

    tc = tcase_create("report");
    tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
    tcase_add_test(tc, test_markdown_golden);
    tcase_add_test(tc, test_markdown_no_change);
    tcase_add_test(tc, test_damaged_baselines);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* no HDF5 free lists: LeakSanitizer sees only real leaks (tests/lsan.supp) */
    H5set_free_list_limits(0, 0, 0, 0, 0, 0);
    SRunner *sr = srunner_create(gate_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    H5close();
    return failed == 0 ? 0 : 1;
}
