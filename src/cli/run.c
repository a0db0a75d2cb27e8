/* run: parses the options into lb_run_opts; the run itself is lb_run
 * (src/runner). Prints progress, the summary and the gate's verdict. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "latentbench/error.h"
#include "latentbench/gate.h"
#include "latentbench/runner.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    lb_run_opts run;
    const char *baseline, *config;
    const char *history[LB_MAX_HISTORY]; /* earlier baselines for the drift floor */
    size_t nhistory;
    const char *lib; /* the build of liblatent to measure; NULL: the default */
    int quiet;
} run_opts;

static int parse_double(const char *s, double lo, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v) || v < lo) return 0;
    *out = v;
    return 1;
}

static int parse_u64(const char *s, uint64_t lo, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-' || v < lo) return 0;
    *out = v;
    return 1;
}

/* "123", "64K", "512M", "2G" (powers of 1024) */
static int parse_bytes(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || s[0] == '-' || errno || end == s) return 0;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k') shift = 10;
    else if (*end == 'M' || *end == 'm') shift = 20;
    else if (*end == 'G' || *end == 'g') shift = 30;
    else if (*end == 'T' || *end == 't') shift = 40;
    if (shift) end++;
    if (*end || (shift && v > (UINT64_MAX >> shift))) return 0;
    *out = (uint64_t)v << shift;
    return 1;
}

static int parse_args(int argc, char **argv, run_opts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    lb_run_opts *r = &o->run;
    lb_run_opts_init(r);
    int quick = 0, shard;
    double warm = -1, meas = -1, budget = 0;
    uint64_t samples = 0, u;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quick")) { quick = 1; continue; }
        if (!strcmp(a, "--quiet")) { o->quiet = 1; continue; }
        if (!strcmp(a, "--weak-scaling")) { r->scaling_weak = 1; continue; }
        if (!v) return lb_errorf(err, errlen, LB_EUSAGE, "run: unknown option or missing value '%s'", a);
        i++;
        if (!strcmp(a, "--suite")) {
            if (r->nsuites == 64) return lb_errorf(err, errlen, LB_EUSAGE, "run: at most 64 --suite options");
            r->suites[r->nsuites++] = v;
        } else if (!strcmp(a, "--filter")) r->filter = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) r->output = v;
        else if (!strcmp(a, "--dataset")) r->dataset = v;
        else if (!strcmp(a, "--baseline")) o->baseline = v;
        else if (!strcmp(a, "--config")) o->config = v;
        else if (!strcmp(a, "--scaling-reference")) r->scaling_reference = v;
        else if (!strcmp(a, "--lib")) o->lib = v;
        else if (!strcmp(a, "--history")) {
            if (o->nhistory == LB_MAX_HISTORY)
                return lb_errorf(err, errlen, LB_EUSAGE, "run: at most %d --history files", LB_MAX_HISTORY);
            o->history[o->nhistory++] = v;
        } else if (!strcmp(a, "--shard")) {
            if ((shard = lb_shard_parse(v)) < 0)
                return lb_errorf(err, errlen, LB_EUSAGE, "run: --shard: '%s' is not matrix, data or none", v);
            r->shard = (lb_shard)shard;
        } else if (!strcmp(a, "--node-concurrency")) {
            if (!parse_u64(v, 1, &u) || u > 4096)
                return lb_errorf(err, errlen, LB_EUSAGE, "run: --node-concurrency: '%s' is not an integer in 1..4096", v);
            r->node_concurrency = (int)u;
        } else if (!strcmp(a, "--max-memory")) {
            if (!parse_bytes(v, &r->max_memory) || !r->max_memory)
                return lb_errorf(err, errlen, LB_EUSAGE, "run: --max-memory: '%s' is not a size (bytes, or with K, M, G, T)", v);
        } else if (!strcmp(a, "--workload-scale")) {
            /* for measuring the regression gate: the same ids on larger (or smaller) workloads */
            if (!parse_double(v, 0.01, &r->workload_scale) || r->workload_scale > 100)
                return lb_errorf(err, errlen, LB_EUSAGE, "run: --workload-scale: '%s' is not a factor in 0.01..100", v);
        }
        else if (!strcmp(a, "--warm-up-time")) {
            if (!parse_double(v, 0.0, &warm)) return lb_errorf(err, errlen, LB_EUSAGE, "run: --warm-up-time: '%s' is not a time >= 0 s", v);
        } else if (!strcmp(a, "--measurement-time")) {
            if (!parse_double(v, 1e-3, &meas)) return lb_errorf(err, errlen, LB_EUSAGE, "run: --measurement-time: '%s' is not a time >= 0.001 s", v);
        } else if (!strcmp(a, "--budget")) {
            if (!parse_double(v, 1e-3, &budget)) return lb_errorf(err, errlen, LB_EUSAGE, "run: --budget: '%s' is not a time >= 0.001 s", v);
        } else if (!strcmp(a, "--sample-size")) {
            if (!parse_u64(v, 2, &samples) || samples > 100000) return lb_errorf(err, errlen, LB_EUSAGE, "run: --sample-size: '%s' is not an integer in 2..100000", v);
        } else if (!strcmp(a, "--rounds")) {
            if (!parse_u64(v, 1, &u) || u > 1000) return lb_errorf(err, errlen, LB_EUSAGE, "run: --rounds: '%s' is not an integer in 1..1000", v);
            r->rounds = (unsigned)u;
        } else if (!strcmp(a, "--seed")) {
            if (!parse_u64(v, 0, &r->seed)) return lb_errorf(err, errlen, LB_EUSAGE, "run: --seed: '%s' is not a non-negative integer", v);
        } else if (!strcmp(a, "--resamples")) {
            if (!parse_u64(v, 0, &u) || u > 10000000) return lb_errorf(err, errlen, LB_EUSAGE, "run: --resamples: '%s' is not an integer in 0..10000000", v);
            r->resamples = (size_t)u;
        } else return lb_errorf(err, errlen, LB_EUSAGE, "run: unknown option '%s'", a);
    }
    if (quick) r->mo = lb_measure_quick();
    if (warm >= 0) r->mo.warm_up_s = warm;
    if (meas > 0) r->mo.measurement_s = meas;
    if (samples) r->mo.sample_size = (unsigned)samples;
    r->mo.budget_s = budget;
    if (!r->nsuites) r->suites[r->nsuites++] = "ci";
    /* a per-rank limit from the environment: with mpirun's per-rank -x it can
     * differ between ranks (a rank with less memory than the others) */
    const char *env = getenv("LATENTBENCH_MAX_MEMORY");
    if (env && *env && (!parse_bytes(env, &r->max_memory) || !r->max_memory))
        return lb_errorf(err, errlen, LB_EUSAGE, "run: LATENTBENCH_MAX_MEMORY: '%s' is not a size", env);
    if (o->config && !o->baseline) return lb_errorf(err, errlen, LB_EUSAGE, "run: --config needs --baseline");
    if (o->nhistory && !o->baseline) return lb_errorf(err, errlen, LB_EUSAGE, "run: --history needs --baseline");
    if (r->node_concurrency > 1 && r->shard != LB_SHARD_MATRIX && r->shard != LB_SHARD_AUTO)
        return lb_errorf(err, errlen, LB_EUSAGE, "run: --node-concurrency applies to --shard matrix only");
    return LB_OK;
}

/* run --baseline: the gate against an earlier results file, after this run's
 * file is safely written. Rank 0 alone decides (mpirun passes its status on);
 * returns 0/1/2 as compare does, or an LB_* error. */
static int compare_with_baseline(const run_opts *o, const lb_results *cur, const lb_cluster *cl, char *err,
                                 size_t errlen)
{
    if (cl->rank != 0) return LB_OK;
    lb_gate_config cfg;
    lb_results base;
    static lb_history hist; /* 64 results headers: off the stack */
    memset(&base, 0, sizeof base);
    int rc = LB_OK;
    lb_gate_config_defaults(&cfg);
    if (o->config) rc = lb_gate_config_load(o->config, &cfg, stderr, err, errlen);
    if (!rc) rc = lb_results_read(o->baseline, &base, err, errlen);
    if (!rc) rc = lb_history_read(&hist, o->history, o->nhistory, err, errlen);
    lb_comparison cmp;
    memset(&cmp, 0, sizeof cmp);
    if (!rc) rc = lb_gate_compare_history(&base, hist.p, hist.n, cur, &cfg, &cmp, err, errlen);
    if (!rc) {
        lb_gate_print_terminal(stdout, &cmp, isatty(STDOUT_FILENO));
        rc = lb_gate_exit_status(&cmp);
    }
    lb_comparison_free(&cmp);
    lb_history_free(&hist);
    lb_results_free(&base);
    lb_gate_config_free(&cfg);
    return rc;
}


static void progress(void *arg, unsigned round, size_t i, size_t n, const char *id)
{
    lb_progress *p = arg;
    p->total = n;
    lb_progress_step(p, round, i, id);
}

int lb_cmd_run(int argc, char **argv, lb_cluster *cl, const char *command_line, const char *threads, lb_latent *lt)
{
    char err[LB_ERRLEN] = "";
    run_opts o;
    int rc = parse_args(argc, argv, &o, err, sizeof err);
    if (!rc) rc = lb_cli_open_latent(cl, o.lib, lt, err, sizeof err);
    if (rc) { lb_report(cl, err); return rc; }
    o.run.lt = lt;
    lb_progress prog;
    lb_progress_init(&prog, 0, o.run.rounds, o.quiet || cl->rank != 0);
    if (cl->size > 1 && cl->rank == 0 && !o.quiet) fprintf(stderr, "%d ranks on %d node%s; %s\n", cl->size, cl->nodes,
                                                          cl->nodes == 1 ? "" : "s", threads);
    o.run.command_line = command_line;
    o.run.progress = progress;
    o.run.progress_arg = &prog;
    lb_results res;
    rc = lb_run(&o.run, cl, &res, err, sizeof err);
    if (!rc) {
        lb_progress_done(&prog);
        if (cl->rank == 0) {
            lb_print_summary(stdout, &res);
            printf("results: %s\n", o.run.output);
        }
        if (o.baseline) rc = compare_with_baseline(&o, &res, cl, err, sizeof err);
    }
    if (rc < 0) { /* 1 and 2 are the gate's verdicts, not errors */
        if (!err[0]) snprintf(err, sizeof err, "run: %s", lb_strerror(rc));
        lb_report(cl, err);
    }
    lb_results_free(&res);
    return rc;
}
