/* run: measure every case of the chosen suites on every rank, gather to rank 0,
 * write the results file atomically and print the summary. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../bench/ops.h"
#include "latentbench/alloc.h"
#include "latentbench/bench.h"
#include "latentbench/error.h"
#include "latentbench/gate.h"
#include "latentbench/stats.h"
#include "latentbench/suite.h"

#include <errno.h>
#include <latent/latent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LB_DEFAULT_OUTPUT "results/latest.h5"

typedef struct {
    const char *suites[64];
    size_t nsuites;
    const char *filter, *output, *dataset, *baseline, *config;
    const char *history[LB_MAX_HISTORY]; /* earlier baselines for the drift floor */
    size_t nhistory;
    double workload_scale;
    lb_measure_opts mo;
    double budget_s;
    uint64_t seed;
    size_t resamples;
    unsigned rounds;
    int quiet;
} run_opts;

/* Memory accounting around the op: each sample resets liblatent's peak first. */
typedef struct {
    lb_op_ctx *op;
    const lb_cluster *cl;
    int sampling;
    double sum_peak;
    size_t max_peak, nsamples;
    uint64_t allocs;
} mem_ctx;

/* One benchmark's samples over all rounds, and its memory totals. */
typedef struct {
    lb_sample *s;
    size_t n, cap;
    uint64_t total_iters;
    double sum_peak;
    size_t max_peak, nmem;
    uint64_t allocs;
    int all_linear, budget_limited;
    size_t dim, rows; /* the shape the op ran with */
} case_acc;

static int measured(void *vctx, uint64_t iters, uint64_t *elapsed_ns)
{
    mem_ctx *m = vctx;
    if (m->sampling) lt_mem_reset_peak();
    int rc = lb_op_run(m->op, iters, elapsed_ns);
    if (m->sampling) {
        lt_mem_stats st = lt_mem_stats_get();
        m->sum_peak += (double)st.peak_bytes;
        if (st.peak_bytes > m->max_peak) m->max_peak = st.peak_bytes;
        m->allocs += st.allocations;
        m->nsamples++;
    }
    return rc;
}

static void before_sample(void *arg)
{
    mem_ctx *m = arg;
    m->sampling = 1;
    lb_cluster_barrier(m->cl);
}

static double agree(double est, void *arg)
{
    return lb_cluster_max(((mem_ctx *)arg)->cl, est);
}

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

static int parse_args(int argc, char **argv, run_opts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->mo = lb_measure_defaults();
    o->seed = 42;
    o->resamples = LB_STATS_DEFAULT_RESAMPLES;
    o->workload_scale = 1.0;
    o->rounds = 1;
    int quick = 0;
    double warm = -1, meas = -1;
    uint64_t samples = 0, u;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quick")) { quick = 1; continue; }
        if (!strcmp(a, "--quiet")) { o->quiet = 1; continue; }
        if (!v) return lb_errorf(err, errlen, LB_EUSAGE, "run: unknown option or missing value '%s'", a);
        i++;
        if (!strcmp(a, "--suite")) {
            if (o->nsuites == 64) return lb_errorf(err, errlen, LB_EUSAGE, "run: at most 64 --suite options");
            o->suites[o->nsuites++] = v;
        } else if (!strcmp(a, "--filter")) o->filter = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) o->output = v;
        else if (!strcmp(a, "--dataset")) o->dataset = v;
        else if (!strcmp(a, "--baseline")) o->baseline = v;
        else if (!strcmp(a, "--config")) o->config = v;
        else if (!strcmp(a, "--history")) {
            if (o->nhistory == LB_MAX_HISTORY)
                return lb_errorf(err, errlen, LB_EUSAGE, "run: at most %d --history files", LB_MAX_HISTORY);
            o->history[o->nhistory++] = v;
        } else if (!strcmp(a, "--workload-scale")) {
            /* for measuring the regression gate: the same ids on larger (or smaller) workloads */
            if (!parse_double(v, 0.01, &o->workload_scale) || o->workload_scale > 100)
                return lb_errorf(err, errlen, LB_EUSAGE, "run: --workload-scale: '%s' is not a factor in 0.01..100", v);
        }
        else if (!strcmp(a, "--warm-up-time")) {
            if (!parse_double(v, 0.0, &warm)) return lb_errorf(err, errlen, LB_EUSAGE, "run: --warm-up-time: '%s' is not a time >= 0 s", v);
        } else if (!strcmp(a, "--measurement-time")) {
            if (!parse_double(v, 1e-3, &meas)) return lb_errorf(err, errlen, LB_EUSAGE, "run: --measurement-time: '%s' is not a time >= 0.001 s", v);
        } else if (!strcmp(a, "--budget")) {
            if (!parse_double(v, 1e-3, &o->budget_s)) return lb_errorf(err, errlen, LB_EUSAGE, "run: --budget: '%s' is not a time >= 0.001 s", v);
        } else if (!strcmp(a, "--sample-size")) {
            if (!parse_u64(v, 2, &samples) || samples > 100000) return lb_errorf(err, errlen, LB_EUSAGE, "run: --sample-size: '%s' is not an integer in 2..100000", v);
        } else if (!strcmp(a, "--rounds")) {
            if (!parse_u64(v, 1, &u) || u > 1000) return lb_errorf(err, errlen, LB_EUSAGE, "run: --rounds: '%s' is not an integer in 1..1000", v);
            o->rounds = (unsigned)u;
        } else if (!strcmp(a, "--seed")) {
            if (!parse_u64(v, 0, &o->seed)) return lb_errorf(err, errlen, LB_EUSAGE, "run: --seed: '%s' is not a non-negative integer", v);
        } else if (!strcmp(a, "--resamples")) {
            if (!parse_u64(v, 0, &u) || u > 10000000) return lb_errorf(err, errlen, LB_EUSAGE, "run: --resamples: '%s' is not an integer in 0..10000000", v);
            o->resamples = (size_t)u;
        } else return lb_errorf(err, errlen, LB_EUSAGE, "run: unknown option '%s'", a);
    }
    if (quick) o->mo = lb_measure_quick();
    if (warm >= 0) o->mo.warm_up_s = warm;
    if (meas > 0) o->mo.measurement_s = meas;
    if (samples) o->mo.sample_size = (unsigned)samples;
    o->mo.budget_s = o->budget_s;
    if (!o->nsuites) o->suites[o->nsuites++] = "ci";
    if (!o->output) o->output = LB_DEFAULT_OUTPUT;
    if (o->config && !o->baseline) return lb_errorf(err, errlen, LB_EUSAGE, "run: --config needs --baseline");
    if (o->nhistory && !o->baseline) return lb_errorf(err, errlen, LB_EUSAGE, "run: --history needs --baseline");
    return LB_OK;
}

/* Fails early, before hours of measuring, when the output cannot be written:
 * creates the default results/ directory, then a probe file beside the target. */
static int check_output(const char *path, char *err, size_t errlen)
{
    if (strcmp(path, LB_DEFAULT_OUTPUT) == 0) mkdir("results", 0777);
    char probe[1200];
    snprintf(probe, sizeof probe, "%s.probe.%ld", path, (long)getpid());
    FILE *f = fopen(probe, "wb");
    if (!f) return lb_errorf(err, errlen, LB_EIO, "%s: cannot write: %s", path, strerror(errno));
    fclose(f);
    remove(probe);
    return LB_OK;
}

static void fill_row(lb_row *row, const lb_case *c, const case_acc *a, const lb_stats_summary *st, unsigned rounds)
{
    memset(row, 0, sizeof *row);
    snprintf(row->id, sizeof row->id, "%s", c->id);
    snprintf(row->suite, sizeof row->suite, "%s", c->suite);
    snprintf(row->group, sizeof row->group, "%s", c->group);
    snprintf(row->op, sizeof row->op, "%s", c->op);
    row->dimension = c->dimension;
    row->k = c->k;
    row->dataset_size = c->dataset_size;
    row->batch_size = c->batch_size;
    row->seq_len = c->seq_len;
    row->num_heads = !strcmp(c->attention, "MultiHead") ? (c->num_heads ? c->num_heads : 8) : 0;
    row->num_experts = !strcmp(c->attention, "MoE") ? (c->num_experts ? c->num_experts : 4) : 0;
    snprintf(row->metric, sizeof row->metric, "%s", c->metric);
    snprintf(row->attention, sizeof row->attention, "%s", c->attention);
    row->samples = (int64_t)a->n;
    row->iterations = (int64_t)a->total_iters;
    row->rounds = rounds;
    row->mean_ns = st->mean;
    row->median_ns = st->median;
    row->std_dev_ns = st->std_dev;
    row->mad_ns = st->mad;
    row->min_ns = st->min;
    row->max_ns = st->max;
    row->ci_low_ns = st->mean_ci_low;
    row->ci_high_ns = st->mean_ci_high;
    row->slope_ns = a->all_linear ? st->slope : NAN;
    row->outliers_mild = (int64_t)st->outliers.mild;
    row->outliers_severe = (int64_t)st->outliers.severe;
    if (c->elements > 0 && st->median > 0) {
        row->throughput_elements = (double)c->elements / st->median * 1e9;
        row->throughput_bytes = row->throughput_elements * (double)c->dimension * sizeof(float);
    }
    row->peak_bytes = a->max_peak;
    row->avg_bytes = a->nmem ? (uint64_t)(a->sum_peak / (double)a->nmem) : 0;
    row->allocations = a->total_iters ? (a->allocs + a->total_iters / 2) / a->total_iters : 0;
    row->rss_peak_bytes = lb_rss_peak_bytes();
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

/* min, median and max of the ranks' medians (sorts v) */
static void rank_spread(double *v, size_t n, double out[3])
{
    for (size_t i = 1; i < n; i++) /* insertion sort: n is the rank count */
        for (size_t j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    out[0] = v[0];
    out[1] = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    out[2] = v[n - 1];
}

/* The options of one round: the measurement time, warm-up and budget split
 * evenly, the samples too, but at least LB_ROUND_MIN_SAMPLES per round so each
 * round has a median of its own. */
#define LB_ROUND_MIN_SAMPLES 5
static lb_measure_opts round_opts(const lb_measure_opts *all, unsigned rounds)
{
    lb_measure_opts mo = *all;
    if (rounds <= 1) return mo;
    mo.warm_up_s /= rounds;
    mo.measurement_s /= rounds;
    if (mo.budget_s > 0) mo.budget_s /= rounds;
    unsigned n = (all->sample_size + rounds - 1) / rounds;
    mo.sample_size = n < LB_ROUND_MIN_SAMPLES ? LB_ROUND_MIN_SAMPLES : n;
    return mo;
}

static lb_case scaled_case(const lb_case *in, double scale)
{
    lb_case c = *in;
    if (scale != 1.0) {
        c.dataset_size = (int64_t)llround((double)c.dataset_size * scale);
        c.seq_len = (int64_t)llround((double)c.seq_len * scale);
        c.batch_size = (int64_t)llround((double)c.batch_size * scale);
    }
    return c;
}

/* One round of one benchmark: build the op, measure, append the samples to a. */
static int measure_round(const lb_case *c, const lb_dataset *dsp, const run_opts *o, const lb_measure_opts *round_mo,
                         unsigned round, const lb_cluster *cl, case_acc *a, char *err, size_t errlen)
{
    lb_op_ctx *op = NULL;
    int rc = lb_op_prepare(c, dsp, o->seed, &op, err, errlen);
    rc = lb_cluster_agree_status(cl, rc);
    if (rc) {
        lb_op_free(op);
        return rc;
    }
    lb_op_shape(op, &a->dim, &a->rows);
    mem_ctx mc = {op, cl, 0, 0.0, 0, 0, 0};
    lb_measure_opts mo = *round_mo;
    mo.before_sample = before_sample;
    mo.agree = agree;
    mo.hook_arg = &mc;
    lb_measurement m;
    rc = lb_measure(measured, &mc, &mo, &m);
    rc = lb_cluster_agree_status(cl, rc);
    lb_op_free(op);
    if (rc) {
        if (!err[0]) snprintf(err, errlen, "%s: the measurement failed (%s)", c->id, lb_strerror(rc));
        return rc;
    }
    if (a->n + m.nsamples > a->cap) {
        size_t cap = (a->n + m.nsamples) * 2;
        lb_sample *s = lb_realloc(a->s, cap * sizeof *s);
        if (!s) {
            lb_measurement_free(&m);
            return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", c->id);
        }
        a->s = s;
        a->cap = cap;
    }
    for (size_t j = 0; j < m.nsamples; j++) {
        lb_sample *s = &a->s[a->n++];
        s->iterations = m.iters[j];
        s->ns_per_iter = m.ns_per_iter[j];
        s->round = round;
    }
    a->all_linear = (round == 0 || a->all_linear) && m.sampling == LB_SAMPLING_LINEAR;
    a->budget_limited |= m.budget_limited;
    a->total_iters += m.total_iters;
    a->sum_peak += mc.sum_peak;
    a->nmem += mc.nsamples;
    a->allocs += mc.allocs;
    if (mc.max_peak > a->max_peak) a->max_peak = mc.max_peak;
    lb_measurement_free(&m);
    return LB_OK;
}

/* The row of a benchmark from all its rounds; every rank calls it in the same
 * order, since it gathers the ranks' medians. */
static int finish_row(const lb_case *c, const case_acc *a, const run_opts *o, const lb_cluster *cl, double *medians,
                      lb_row *row, char *err, size_t errlen)
{
    double *t = lb_malloc(a->n * sizeof *t);
    uint64_t *it = lb_malloc(a->n * sizeof *it);
    if (!t || !it) {
        lb_free(t);
        lb_free(it);
        return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", c->id);
    }
    for (size_t j = 0; j < a->n; j++) {
        t[j] = a->s[j].ns_per_iter;
        it[j] = a->s[j].iterations;
    }
    lb_stats_summary st;
    int rc = lb_stats_summarize(t, it, a->n, o->resamples, LB_STATS_DEFAULT_SEED, LB_STATS_DEFAULT_CONFIDENCE, &st);
    lb_free(t);
    lb_free(it);
    rc = lb_cluster_agree_status(cl, rc);
    if (rc) return lb_errorf(err, errlen, rc, "%s: statistics failed (%s)", c->id, lb_strerror(rc));
    fill_row(row, c, a, &st, o->rounds);
    if (o->dataset) { /* the dataset decides the shape; the id stays the suite's */
        row->dimension = (int64_t)a->dim;
        if (row->seq_len) row->seq_len = (int64_t)a->rows;
        else if (row->dataset_size) row->dataset_size = (int64_t)a->rows;
        const char *base = strrchr(o->dataset, '/');
        snprintf(row->note, sizeof row->note, "dataset %s", base ? base + 1 : o->dataset);
    }
    if (a->budget_limited)
        snprintf(row->note, sizeof row->note, "budget: %zu of %u samples", a->n,
                 o->rounds * round_opts(&o->mo, o->rounds).sample_size);
    lb_cluster_gather(cl, st.median, medians);
    row->ranks = cl->size;
    if (cl->rank == 0) {
        double spread[3];
        rank_spread(medians, (size_t)cl->size, spread);
        row->rank_min_ns = spread[0];
        row->rank_median_ns = spread[1];
        row->rank_max_ns = spread[2];
    }
    return LB_OK;
}

int lb_cmd_run(int argc, char **argv, const lb_cluster *cl, const char *command_line)
{
    char err[LB_ERRLEN] = "";
    run_opts o;
    int rc = parse_args(argc, argv, &o, err, sizeof err);
    if (rc) { lb_report(cl, err); return rc; }

    lb_case_list list = {0};
    for (size_t s = 0; s < o.nsuites && !rc; s++) rc = lb_suite_load(o.suites[s], o.filter, &list, err, sizeof err);
    if (!rc && list.count == 0) rc = lb_errorf(err, sizeof err, LB_EUSAGE, "run: no benchmark matches");
    lb_dataset ds, *dsp = NULL;
    if (!rc && o.dataset) {
        rc = lb_dataset_read(o.dataset, &ds, err, sizeof err);
        if (!rc) dsp = &ds;
    }
    if (!rc && cl->rank == 0) rc = check_output(o.output, err, sizeof err);
    rc = lb_cluster_agree_status(cl, rc);
    if (rc) {
        if (!err[0]) snprintf(err, sizeof err, "run: another rank failed (%s)", lb_strerror(rc));
        lb_report(cl, err);
        lb_case_list_free(&list);
        if (dsp) lb_dataset_free(dsp);
        return rc;
    }

    lb_results res;
    memset(&res, 0, sizeof res);
    res.rows = lb_calloc(list.count, sizeof *res.rows);
    res.samples = lb_calloc(list.count, sizeof *res.samples);
    res.nsamples = lb_calloc(list.count, sizeof *res.nsamples);
    res.ranks = lb_calloc((size_t)cl->size, sizeof *res.ranks);
    double *medians = lb_calloc((size_t)cl->size, sizeof *medians);
    if (!res.rows || !res.samples || !res.nsamples || !res.ranks || !medians) rc = LB_ENOMEM;
    if (!rc) rc = lb_meta_fill(&res.meta, cl, command_line);
    if (!rc) lb_clock_calibrate(&res.meta.timer_resolution_ns, &res.meta.timer_overhead_ns);

    case_acc *acc = lb_calloc(list.count, sizeof *acc);
    if (!acc) rc = LB_ENOMEM;
    rc = lb_cluster_agree_status(cl, rc); /* every rank enters the measurement loop, or none */
    lb_progress prog;
    lb_progress_init(&prog, list.count, o.rounds, o.quiet || cl->rank != 0);
    size_t lib_peak = 0;
    /* Rounds run the whole list again, each case on a freshly built op: the
     * samples of one benchmark then span the whole run rather than one stretch
     * of it, and the machine's drift shows up inside the run (docs/REGRESSION.md). */
    lb_measure_opts mo = round_opts(&o.mo, o.rounds);
    for (unsigned r = 0; r < o.rounds && !rc; r++)
        for (size_t i = 0; i < list.count && !rc; i++) {
            lb_case c = scaled_case(&list.cases[i], o.workload_scale);
            lb_progress_step(&prog, r, i, c.id);
            rc = measure_round(&c, dsp, &o, &mo, r, cl, &acc[i], err, sizeof err);
        }
    for (size_t i = 0; i < list.count && !rc; i++) {
        lb_case c = scaled_case(&list.cases[i], o.workload_scale);
        rc = finish_row(&c, &acc[i], &o, cl, medians, &res.rows[i], err, sizeof err);
        if (rc) break;
        if (acc[i].max_peak > lib_peak) lib_peak = acc[i].max_peak;
        /* rank 0 keeps its raw samples for later statistical comparison */
        res.samples[i] = acc[i].s;
        res.nsamples[i] = acc[i].n;
        acc[i].s = NULL;
        res.nrows = i + 1;
    }
    for (size_t i = 0; acc && i < list.count; i++) lb_free(acc[i].s);
    lb_free(acc);
    if (!rc) {
        lb_rank_row mine;
        memset(&mine, 0, sizeof mine);
        long cores;
        mine.rank = cl->rank;
        lb_host_info(mine.hostname, sizeof mine.hostname, &cores);
        mine.cores = cores;
        mine.peak_bytes = lib_peak;
        mine.rss_peak_bytes = lb_rss_peak_bytes();
        lb_cluster_gather_ranks(cl, &mine, res.ranks);
        res.nranks = (size_t)cl->size;
        lb_progress_done(&prog);
        if (cl->rank == 0) rc = lb_results_write(o.output, &res, err, sizeof err);
        rc = lb_cluster_agree_status(cl, rc);
        if (!rc && cl->rank == 0) {
            lb_print_summary(stdout, &res);
            printf("results: %s\n", o.output);
        }
        if (!rc && o.baseline) rc = compare_with_baseline(&o, &res, cl, err, sizeof err);
    }
    if (rc < 0) { /* 1 and 2 are the gate's verdicts, not errors */
        if (!err[0]) snprintf(err, sizeof err, "run: %s", lb_strerror(rc));
        lb_report(cl, err);
    }
    lb_free(medians);
    lb_results_free(&res);
    lb_case_list_free(&list);
    if (dsp) lb_dataset_free(dsp);
    return rc;
}
