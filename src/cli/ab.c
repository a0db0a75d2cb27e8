/* ab: two builds of liblatent measured interleaved in one process; parses
 * options into lb_ab_opts (the run is lb_ab_run, src/runner/ab.c), prints the
 * comparison, writes the Markdown report, exits as compare does. */
#include "cli.h"
#include "latentbench/error.h"
#include "latentbench/export.h"
#include "latentbench/gate.h"
#include "latentbench/runner.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LB_AB_DEFAULT_OUTPUT "results/ab.h5"

typedef struct {
    lb_ab_opts  ab;
    const char *lib_a, *lib_b, *config, *report;
    double      threshold; /* NaN: from the config */
    int         quiet;
} ab_cli;

static int number(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v) || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

static int parse(int argc, char **argv, ab_cli *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    lb_ab_opts_init(&o->ab);
    lb_run_opts *r = &o->ab.run;
    r->output = LB_AB_DEFAULT_OUTPUT;
    o->threshold = NAN;
    double v;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quiet")) { o->quiet = 1; continue; }
        if (!strcmp(a, "--quick")) { r->mo.warm_up_s = 0.1; r->mo.measurement_s = 1.0; continue; }
        if (!val) return lb_errorf(err, errlen, LB_EUSAGE, "ab: unknown option or missing value '%s'", a);
        i++;
        if (!strcmp(a, "--baseline-lib")) o->lib_a = val;
        else if (!strcmp(a, "--candidate-lib")) o->lib_b = val;
        else if (!strcmp(a, "--suite")) {
            if (r->nsuites == 64) return lb_errorf(err, errlen, LB_EUSAGE, "ab: at most 64 --suite options");
            r->suites[r->nsuites++] = val;
        } else if (!strcmp(a, "--filter")) r->filter = val;
        else if (!strcmp(a, "--config")) o->config = val;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) r->output = val;
        else if (!strcmp(a, "--report")) o->report = val;
        else if (!strcmp(a, "--order")) {
            if (strcmp(val, "abba") && strcmp(val, "random"))
                return lb_errorf(err, errlen, LB_EUSAGE, "ab: --order: '%s' is not abba or random", val);
            o->ab.random_order = !strcmp(val, "random");
        } else if (!strcmp(a, "--warm-up-time")) {
            if (!number(val, 0, 3600, &r->mo.warm_up_s)) return lb_errorf(err, errlen, LB_EUSAGE, "ab: --warm-up-time: '%s' is not a time in 0..3600 s", val);
        } else if (!strcmp(a, "--measurement-time")) {
            if (!number(val, 1e-3, 86400, &r->mo.measurement_s)) return lb_errorf(err, errlen, LB_EUSAGE, "ab: --measurement-time: '%s' is not a time in 0.001..86400 s", val);
        } else if (!strcmp(a, "--block-ms")) {
            if (!number(val, 0.01, 10000, &v)) return lb_errorf(err, errlen, LB_EUSAGE, "ab: --block-ms: '%s' is not a time in 0.01..10000 ms", val);
            o->ab.block_s = v / 1e3;
        } else if (!strcmp(a, "--confidence")) {
            if (!number(val, 0.5, 0.9999, &o->ab.confidence)) return lb_errorf(err, errlen, LB_EUSAGE, "ab: --confidence: '%s' is not in 0.5..0.9999", val);
        } else if (!strcmp(a, "--threshold")) {
            if (!number(val, 1e-3, 1000, &o->threshold)) return lb_errorf(err, errlen, LB_EUSAGE, "ab: --threshold: '%s' is not a percentage in 0.001..1000", val);
        } else if (!strcmp(a, "--seed")) {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(val, &end, 10);
            if (!*val || *end || errno || val[0] == '-') return lb_errorf(err, errlen, LB_EUSAGE, "ab: --seed: '%s' is not a non-negative integer", val);
            r->seed = s;
        } else if (!strcmp(a, "--node-concurrency")) {
            if (!number(val, 1, 4096, &v) || v != floor(v)) return lb_errorf(err, errlen, LB_EUSAGE, "ab: --node-concurrency: '%s' is not an integer in 1..4096", val);
            r->node_concurrency = (int)v;
        } else return lb_errorf(err, errlen, LB_EUSAGE, "ab: unknown option '%s'", a);
    }
    if (!o->lib_a || !o->lib_b) return lb_errorf(err, errlen, LB_EUSAGE, "ab: --baseline-lib A.so and --candidate-lib B.so are required");
    if (!r->nsuites) r->suites[r->nsuites++] = "ci";
    return LB_OK;
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

int lb_cmd_ab(int argc, char **argv, lb_cluster *cl, const char *command_line, lb_latent *lt)
{
    char err[LB_ERRLEN] = "";
    ab_cli o;
    lb_latent cand;
    memset(&cand, 0, sizeof cand);
    lb_gate_config cfg;
    lb_gate_config_defaults(&cfg);
    int rc = parse(argc, argv, &o, err, sizeof err);
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
    if (!rc) {
        lb_progress_done(&prog);
        if (cl->rank == 0) {
            print_ab(stdout, &res);
            printf("results: %s\n", o.ab.run.output);
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
