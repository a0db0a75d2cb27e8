/* ab: two builds of liblatent measured interleaved in one process; parses
 * options into lb_ab_opts (the run is lb_ab_run, src/runner/ab.c), prints the
 * comparison, writes the Markdown report, exits as compare does. */
#include "cli.h"
#include "latentbench/error.h"
#include "latentbench/export.h"
#include "latentbench/fileio.h"
#include "latentbench/gate.h"
#include "latentbench/runner.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LB_AB_DEFAULT_OUTPUT "results/ab.h5"

typedef struct {
    lb_ab_opts  ab;
    const char *lib_a, *lib_b, *config, *report;
    double      threshold; /* NaN: from the config */
    int         quiet, output_given;
} ab_cli;

static const lb_opt ab_table[] = {
    LB_OPT_S("--baseline-lib", NULL, "A.so", "the baseline build of liblatent (required)"),
    LB_OPT_S("--candidate-lib", NULL, "B.so", "the candidate build of liblatent (required)"),
    LB_OPT_SN("--suite", 64, "NAME|FILE", "a suite name or suite file (default: ci)"),
    LB_OPT_S("--filter", NULL, "REGEX", "only the benchmark ids this extended regex matches"),
    LB_OPT_S("--config", NULL, "FILE", "the regression_config.toml: thresholds per benchmark"),
    LB_OPT_D("--threshold", 0.001, 1000, "PCT", "one threshold in percent for every benchmark (overrides the config)"),
    LB_OPT_S("--output", "-o", "FILE", "the A/B results file (default: results/ab.h5)"),
    LB_OPT_S("--report", NULL, "FILE", "also write the comparison as Markdown to FILE"),
    LB_OPT_F("--quick", "0.1 s warm-up and 1 s of rounds per benchmark"),
    LB_OPT_D("--warm-up-time", 0, LB_TIME_MAX_S, "S", "warm-up of each build per benchmark (default 0.3)"),
    LB_OPT_D("--measurement-time", 0.001, LB_TIME_MAX_S, "S", "rounds of A and B per benchmark (default 2)"),
    LB_OPT_D("--block-ms", 0.01, 10000, "MS", "the shortest block of one build (default 2)"),
    LB_OPT_C("--order", "abba|random", "the order of the builds in the rounds (default abba)"),
    LB_OPT_D("--confidence", 0.5, 0.9999, "C", "of the bounds on the median ratio (default 0.99)"),
    LB_OPT_U("--seed", 0, UINT64_MAX, "N", "seed of the generated data and the random order (default 42)"),
    LB_OPT_U("--node-concurrency", 1, 4096, "N", "under MPI: ranks of a node measuring at once (default 1)"),
    LB_OPT_F("--quiet", "no progress on stderr"),
};

const lb_cmd_spec lb_spec_ab = {
    "ab", "--baseline-lib A.so --candidate-lib B.so [OPTIONS]", "two builds of liblatent measured interleaved",
    "Measures two builds of liblatent interleaved in one process (paired rounds, Hodges-Lehmann ratio,\n"
    "Wilcoxon signed-rank test). Exit codes as compare: 0 no significant change, 1 a regression,\n"
    "2 improvements only.",
    ab_table, LB_NOPTS(ab_table), 0, 0, 0};

static int parse(const lb_args *a, ab_cli *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    lb_ab_opts_init(&o->ab);
    lb_run_opts *r = &o->ab.run;
    r->output = lb_args_str(a, "--output", LB_AB_DEFAULT_OUTPUT);
    o->output_given = lb_args_count(a, "--output") > 0;
    o->quiet = lb_args_count(a, "--quiet") > 0;
    if (lb_args_count(a, "--quick")) {
        r->mo.warm_up_s = 0.1;
        r->mo.measurement_s = 1.0;
    }
    o->lib_a = lb_args_str(a, "--baseline-lib", NULL);
    o->lib_b = lb_args_str(a, "--candidate-lib", NULL);
    r->nsuites = lb_args_all(a, "--suite", r->suites, 64);
    r->filter = lb_args_str(a, "--filter", NULL);
    o->config = lb_args_str(a, "--config", NULL);
    o->report = lb_args_str(a, "--report", NULL);
    o->ab.random_order = lb_args_uint(a, "--order", 0) == 1;
    r->mo.warm_up_s = lb_args_double(a, "--warm-up-time", r->mo.warm_up_s);
    r->mo.measurement_s = lb_args_double(a, "--measurement-time", r->mo.measurement_s);
    o->ab.block_s = lb_args_double(a, "--block-ms", o->ab.block_s * 1e3) / 1e3;
    o->ab.confidence = lb_args_double(a, "--confidence", o->ab.confidence);
    o->threshold = lb_args_count(a, "--threshold") ? lb_args_double(a, "--threshold", 0) : NAN;
    r->seed = lb_args_uint(a, "--seed", r->seed);
    r->node_concurrency = (int)lb_args_uint(a, "--node-concurrency", 1);
    if (!o->lib_a || !o->lib_b) return lb_errorf(err, errlen, LB_EUSAGE, "ab: --baseline-lib A.so and --candidate-lib B.so are required");
    if (!*r->output) return lb_errorf(err, errlen, LB_EUSAGE, "ab: -o: the file name is empty");
    if (o->report && !*o->report) return lb_errorf(err, errlen, LB_EUSAGE, "ab: --report: the file name is empty");
    if (!r->nsuites) r->suites[r->nsuites++] = "ci";
    return LB_OK;
}

int lb_check_ab(const lb_args *a, char *err, size_t errlen)
{
    ab_cli o;
    return parse(a, &o, err, errlen);
}

/* Before anything is measured: both outputs writable, distinct, and none of
 * the inputs. Rank 0 only. */
static int precheck(const ab_cli *o, char *err, size_t errlen)
{
    const char *out = o->ab.run.output;
    if (!o->output_given) mkdir("results", 0777); /* the default output's directory, as run makes it */
    int rc = lb_check_output(out, err, errlen);
    if (!rc && o->report) rc = lb_check_output(o->report, err, errlen);
    if (!rc && o->report && (!strcmp(o->report, out) || lb_same_file(o->report, out)))
        rc = lb_errorf(err, errlen, LB_EUSAGE, "ab: --report and -o name the same file %s", out);
    const char *outs[2] = {out, o->report};
    for (int k = 0; k < 2 && !rc; k++) {
        if (!outs[k]) continue;
        rc = lb_cli_output_not_input("ab", outs[k], "--baseline-lib", o->lib_a, err, errlen);
        if (!rc) rc = lb_cli_output_not_input("ab", outs[k], "--candidate-lib", o->lib_b, err, errlen);
        if (!rc) rc = lb_cli_output_not_input("ab", outs[k], "--config file", o->config, err, errlen);
        for (size_t i = 0; !rc && i < o->ab.run.nsuites; i++)
            rc = lb_cli_output_not_input("ab", outs[k], "suite file", o->ab.run.suites[i], err, errlen);
    }
    return rc;
}

static void progress(void *arg, unsigned round, size_t i, size_t n, const char *id)
{
    lb_progress *p = arg;
    p->total = n;
    lb_progress_step(p, round, i, id);
}

/* The comparison on the terminal, one row per benchmark. */
static void print_ab(FILE *out, const lb_results *r)
{
    fprintf(out, "baseline:  %s (%s)\ncandidate: %s (%s)\n", r->base_library ? r->base_library : "",
            r->base_library_hash ? r->base_library_hash : "", r->meta.library ? r->meta.library : "",
            r->meta.library_hash ? r->meta.library_hash : "");
    fprintf(out, "%-12s %-58s %11s %11s %8s %21s %8s %5s %7s %6s\n", "verdict", "benchmark", "baseline", "candidate",
            "ratio", "CI", "p", "thr", "rounds", "memory");
    for (size_t i = 0; i < r->nrows; i++) {
        const lb_ab_row *a = &r->ab[i];
        char ta[32], tb[32], ci[48], p[16];
        lb_fmt_time(ta, sizeof ta, r->base_rows[i].median_ns);
        lb_fmt_time(tb, sizeof tb, r->rows[i].median_ns);
        snprintf(ci, sizeof ci, "[%.3f, %.3f]", a->ratio_ci_low, a->ratio_ci_high);
        double pv = !strcmp(a->verdict, "Improvement") ? a->p_faster : a->p_slower;
        if (pv < 0.001) snprintf(p, sizeof p, "<0.001");
        else snprintf(p, sizeof p, "%.3f", pv);
        fprintf(out, "%-12s %-58.58s %11s %11s %8.3f %21s %8s %4.0f%% %7lld %6s\n", a->verdict, a->id, ta, tb, a->ratio,
                ci, p, a->threshold_pct, (long long)a->rounds, a->memory_verdict);
    }
    fprintf(out, "ratio = candidate / baseline time (Hodges-Lehmann median of the per-round ratios, %.0f%% CI); "
                 "p = Wilcoxon signed-rank, one-sided\n",
            r->nrows ? 100 * r->ab[0].confidence : 99.0);
}

int lb_cmd_ab(const lb_args *a, lb_cluster *cl, const char *command_line, lb_latent *lt)
{
    char err[LB_ERRLEN] = "";
    ab_cli o;
    lb_latent cand;
    memset(&cand, 0, sizeof cand);
    lb_gate_config cfg;
    lb_gate_config_defaults(&cfg);
    int rc = parse(a, &o, err, sizeof err);
    if (!rc && cl->rank == 0) rc = precheck(&o, err, sizeof err);
    int failed = -1;
    rc = lb_cluster_agree_status(cl, rc, &failed);
    if (rc) lb_cluster_bcast(cl, failed < 0 ? 0 : failed, err, sizeof err);
    if (!rc && o.config) rc = lb_gate_config_load(o.config, &cfg, cl->rank == 0 ? stderr : NULL, err, sizeof err);
    if (!rc && !isnan(o.threshold)) { /* one threshold for every row */
        cfg.default_percent = o.threshold;
        cfg.nthresholds = 0;
    }
    if (!rc) rc = lb_cli_open_latent(cl, o.lib_a, lt, err, sizeof err);
    if (!rc) rc = lb_cli_open_latent(cl, o.lib_b, &cand, err, sizeof err);
    if (rc) {
        lb_report(cl, err);
        lb_latent_close(&cand);
        lb_gate_config_free(&cfg);
        return rc;
    }
    lb_progress prog;
    lb_progress_init(&prog, 0, 1, o.quiet || cl->rank != 0);
    o.ab.run.lt = lt;
    o.ab.candidate = &cand;
    o.ab.gate = &cfg;
    o.ab.run.command_line = command_line;
    o.ab.run.progress = progress;
    o.ab.run.progress_arg = &prog;
    lb_results res;
    rc = lb_ab_run(&o.ab, cl, &res, err, sizeof err);
    lb_progress_done(&prog, rc == LB_OK);
    /* what was measured is shown even when the file could not be written */
    if (rc && cl->rank == 0 && res.nrows && res.ab && res.base_rows) {
        print_ab(stdout, &res);
        fflush(stdout);
    }
    if (!rc) {
        if (cl->rank == 0) {
            print_ab(stdout, &res);
            printf("results: %s\n", o.ab.run.output);
            fflush(stdout);
            if (o.report) rc = lb_export_write_file(o.report, &res, LB_EXPORT_MD, err, sizeof err);
        }
        rc = lb_cluster_agree_status(cl, rc, NULL);
        if (!rc && cl->rank == 0) rc = lb_ab_exit_status(&res);
        lb_cluster_bcast(cl, 0, &rc, sizeof rc);
    }
    if (rc < 0) {
        if (!err[0]) snprintf(err, sizeof err, "ab: %s", lb_strerror(rc));
        lb_report(cl, err);
    }
    /* the candidate's allocations must be back too (LATENTBENCH_CHECK_LEAKS
     * checks the baseline's at exit) */
    if (cand.handle && cand.mem_stats_get().current_bytes && getenv("LATENTBENCH_CHECK_LEAKS")) {
        fprintf(stderr, "latentbench: leak: %zu bytes of the candidate build still held\n",
                cand.mem_stats_get().current_bytes);
        if (rc >= 0 && rc <= 2) rc = LB_EINTERNAL;
    }
    lb_results_free(&res);
    lb_latent_close(&cand);
    lb_gate_config_free(&cfg);
    return rc;
}
