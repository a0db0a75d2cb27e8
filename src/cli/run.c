/* run: parses the options into lb_run_opts; the run itself is lb_run
 * (src/runner). Checks every input and the output first, then prints
 * progress, the summary and the gate's verdict. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "latentbench/error.h"
#include "latentbench/fileio.h"
#include "latentbench/alloc.h"
#include "latentbench/gate.h"
#include "latentbench/runner.h"

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
    int quiet, output_given;
} run_opts;

static const lb_opt run_table[] = {
    LB_OPT_SN("--suite", 64, "NAME|FILE", "a suite name or suite file (default: ci)"),
    LB_OPT_S("--filter", NULL, "REGEX", "only the benchmark ids this extended regex matches"),
    LB_OPT_S("--output", "-o", "FILE", "the results file (default: results/latest.h5)"),
    LB_OPT_F("--quick", "0.3 s warm-up, 1 s measurement and 20 samples per benchmark"),
    LB_OPT_D("--warm-up-time", 0, LB_TIME_MAX_S, "S", "warm-up per benchmark (default 3)"),
    LB_OPT_D("--measurement-time", 0.001, LB_TIME_MAX_S, "S", "measurement per benchmark (default 5)"),
    LB_OPT_U("--sample-size", 2, 100000, "N", "samples per benchmark (default 100)"),
    LB_OPT_D("--budget", 0.001, LB_TIME_MAX_S, "S",
             "the most one benchmark may take, warm-up included (default: 2 x (warm-up + measurement) + 1)"),
    LB_OPT_U("--rounds", 1, 1000, "N", "rounds over all benchmarks, time and samples split among them (default 1)"),
    LB_OPT_U("--seed", 0, UINT64_MAX, "N", "seed of the generated data (default 42)"),
    LB_OPT_U("--resamples", 0, 10000000, "N", "bootstrap resamples of the confidence intervals (default 100000)"),
    LB_OPT_S("--dataset", NULL, "FILE", "an ann-benchmarks HDF5 file whose rows the kNN and attention cases use"),
    LB_OPT_C("--shard", "matrix|data|none", "how MPI ranks share the work (default: matrix under MPI, none alone)"),
    LB_OPT_U("--node-concurrency", 1, 4096, "N", "matrix sharding: ranks of a node measuring at once (default 1)"),
    LB_OPT_Z("--max-memory", "SIZE",
             "refuse cases estimated above SIZE per rank (K, M, G, T; also LATENTBENCH_MAX_MEMORY)"),
    LB_OPT_D("--workload-scale", 0.01, 100, "F", "every case's sizes times F, the ids kept (the gate refuses to compare such rows with unscaled ones)"),
    LB_OPT_S("--scaling-reference", NULL, "FILE", "results of an earlier run: parallel efficiency against it"),
    LB_OPT_F("--weak-scaling", "with --scaling-reference: weak scaling (the same work per rank)"),
    LB_OPT_S("--baseline", NULL, "FILE", "then gate this run against FILE (exit 0, 1 or 2 as compare)"),
    LB_OPT_S("--config", NULL, "FILE", "with --baseline: the regression_config.toml"),
    LB_OPT_SN("--history", LB_MAX_HISTORY, "FILE", "with --baseline: an earlier baseline, for the drift floor"),
    LB_OPT_S("--lib", NULL, "FILE", "the build of liblatent to measure (default: the one beside latentbench)"),
    LB_OPT_S("--peer-lib", NULL, "FILE",
             "the peer library of impl = faiss cases (default: liblatent_faiss.so beside latentbench; docs/PEERS.md)"),
    LB_OPT_F("--quiet", "no progress on stderr"),
    LB_OPT_F("--resume", "continue the killed run whose journal is beside the output (the same arguments)"),
};

const lb_cmd_spec lb_spec_run = {
    "run", "[OPTIONS]", "measure the suites' benchmarks, write one results file",
    "Measures every benchmark of the suites (warm-up, then samples: Criterion's scheme) and writes one\n"
    "results file. Under mpirun/srun the ranks share the work (--shard). Every input and the output are\n"
    "checked before anything is measured. Exit 0; with --baseline 0, 1 (regression) or 2 (improvement).\n"
    "Each completed benchmark is appended to a journal beside the output (FILE.journal), removed when\n"
    "the results file is written. SIGINT/SIGTERM stop at the next timed call: the completed rows are\n"
    "written marked incomplete (exit 128 + the signal) and the journal stays; after that or a kill,\n"
    "`run --resume` with the same arguments measures only the missing benchmarks and writes the whole\n"
    "file. A journal left there without --resume is refused (64), as are --resume with other arguments\n"
    "(64), without a journal (66) and with a damaged one (65).",
    run_table, LB_NOPTS(run_table), 0, 0, 0};

static int parse_args(const lb_args *a, run_opts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    lb_run_opts *r = &o->run;
    lb_run_opts_init(r);
    r->nsuites = lb_args_all(a, "--suite", r->suites, 64);
    r->filter = lb_args_str(a, "--filter", NULL);
    o->output_given = lb_args_count(a, "--output") > 0;
    r->output = lb_args_str(a, "--output", r->output);
    r->dataset = lb_args_str(a, "--dataset", NULL);
    o->baseline = lb_args_str(a, "--baseline", NULL);
    o->config = lb_args_str(a, "--config", NULL);
    r->scaling_reference = lb_args_str(a, "--scaling-reference", NULL);
    r->scaling_weak = lb_args_count(a, "--weak-scaling") > 0;
    o->lib = lb_args_str(a, "--lib", NULL);
    r->peer_lib = lb_args_str(a, "--peer-lib", NULL);
    o->quiet = lb_args_count(a, "--quiet") > 0;
    r->resume = lb_args_count(a, "--resume") > 0;
    o->nhistory = lb_args_all(a, "--history", o->history, LB_MAX_HISTORY);
    static const lb_shard shards[] = {LB_SHARD_MATRIX, LB_SHARD_DATA, LB_SHARD_NONE};
    if (lb_args_count(a, "--shard")) r->shard = shards[lb_args_uint(a, "--shard", 0)];
    r->node_concurrency = (int)lb_args_uint(a, "--node-concurrency", 1);
    r->max_memory = lb_args_uint(a, "--max-memory", 0);
    r->workload_scale = lb_args_double(a, "--workload-scale", 1.0);
    r->rounds = (unsigned)lb_args_uint(a, "--rounds", 1);
    r->seed = lb_args_uint(a, "--seed", r->seed);
    r->resamples = (size_t)lb_args_uint(a, "--resamples", r->resamples);
    if (lb_args_count(a, "--quick")) r->mo = lb_measure_quick();
    r->mo.warm_up_s = lb_args_double(a, "--warm-up-time", r->mo.warm_up_s);
    r->mo.measurement_s = lb_args_double(a, "--measurement-time", r->mo.measurement_s);
    r->mo.sample_size = (unsigned)lb_args_uint(a, "--sample-size", r->mo.sample_size);
    r->mo.budget_s = lb_args_double(a, "--budget", 0);
    if (!r->nsuites) r->suites[r->nsuites++] = "ci";
    /* a per-rank limit from the environment: with mpirun's per-rank -x it can
     * differ between ranks (a rank with less memory than the others) */
    const char *env = getenv("LATENTBENCH_MAX_MEMORY");
    if (env && *env && !lb_parse_size(env, 1, UINT64_MAX, &r->max_memory)) {
        char shown[128];
        return lb_errorf(err, errlen, LB_EUSAGE, "run: LATENTBENCH_MAX_MEMORY: '%s' is not a size",
                         lb_sanitize(shown, sizeof shown, env));
    }
    if (o->config && !o->baseline) return lb_errorf(err, errlen, LB_EUSAGE, "run: --config needs --baseline");
    if (o->nhistory && !o->baseline) return lb_errorf(err, errlen, LB_EUSAGE, "run: --history needs --baseline");
    if (r->scaling_weak && !r->scaling_reference)
        return lb_errorf(err, errlen, LB_EUSAGE, "run: --weak-scaling needs --scaling-reference");
    if (r->node_concurrency > 1 && r->shard != LB_SHARD_MATRIX && r->shard != LB_SHARD_AUTO)
        return lb_errorf(err, errlen, LB_EUSAGE, "run: --node-concurrency applies to --shard matrix only");
    if (!*r->output) return lb_errorf(err, errlen, LB_EUSAGE, "run: -o: the file name is empty");
    return LB_OK;
}

int lb_check_run(const lb_args *a, char *err, size_t errlen)
{
    run_opts o;
    return parse_args(a, &o, err, errlen);
}

/* The gate's inputs, read before anything is measured: a missing or bad
 * baseline must not cost the run. */
typedef struct {
    lb_gate_config cfg;
    lb_results     base;
    lb_history     hist;
} gate_inputs;

static void gate_inputs_free(gate_inputs *g)
{
    lb_history_free(&g->hist);
    lb_results_free(&g->base);
    lb_gate_config_free(&g->cfg);
}

/* Refuses an output that is one of the inputs: it would be replaced by the
 * run (run --baseline X -o X would gate the run against itself and pass). */
int lb_cli_output_not_input(const char *cmd, const char *out, const char *what, const char *in, char *err,
                            size_t errlen)
{
    if (!in || !out || !lb_same_file(in, out)) return LB_OK;
    char so[256], si[256];
    lb_sanitize(so, sizeof so, out);
    lb_sanitize(si, sizeof si, in);
    if (!strcmp(out, in))
        return lb_errorf(err, errlen, LB_EUSAGE, "%s: the output %s is also the %s: it would be written over", cmd,
                         so, what);
    return lb_errorf(err, errlen, LB_EUSAGE, "%s: the output %s is the same file as the %s %s: it would be written over",
                     cmd, so, what, si);
}

/* Everything that can be known wrong before measuring: the output can be
 * written and is none of the inputs, the gate's files read. Rank 0 only. */
static int precheck(const run_opts *o, gate_inputs *g, char *err, size_t errlen)
{
    const lb_run_opts *r = &o->run;
    /* the default results/ is created by the run itself */
    int rc = o->output_given || access("results", F_OK) == 0 ? lb_check_output(r->output, err, errlen) : LB_OK;
    const struct {
        const char *what, *path;
    } in[] = {{"--baseline file", o->baseline}, {"--config file", o->config}, {"--dataset", r->dataset},
              {"--scaling-reference", r->scaling_reference}, {"--lib", o->lib}, {"--peer-lib", r->peer_lib}};
    for (size_t i = 0; !rc && i < sizeof in / sizeof in[0]; i++)
        rc = lb_cli_output_not_input("run", r->output, in[i].what, in[i].path, err, errlen);
    for (size_t i = 0; !rc && i < o->nhistory; i++)
        rc = lb_cli_output_not_input("run", r->output, "--history file", o->history[i], err, errlen);
    for (size_t i = 0; !rc && i < r->nsuites; i++)
        rc = lb_cli_output_not_input("run", r->output, "suite file", r->suites[i], err, errlen);
    if (rc || !o->baseline) return rc;
    if (o->config) rc = lb_gate_config_load(o->config, &g->cfg, stderr, err, errlen);
    if (!rc) rc = lb_results_read(o->baseline, &g->base, err, errlen);
    if (!rc) rc = lb_gate_check_ids(&g->base, o->baseline, err, errlen); /* before measuring, not after */
    if (!rc) rc = lb_history_read(&g->hist, o->history, o->nhistory, err, errlen);
    return rc;
}

/* run --baseline: the gate against the baseline read before the run, after
 * this run's file is safely written. Rank 0 alone decides (mpirun passes its
 * status on); returns 0/1/2 as compare does, or an LB_* error. */
static int compare_with_baseline(gate_inputs *g, const lb_results *cur, const lb_cluster *cl, char *err,
                                 size_t errlen)
{
    if (cl->rank != 0) return LB_OK;
    lb_comparison cmp;
    memset(&cmp, 0, sizeof cmp);
    int rc = lb_gate_compare_history(&g->base, g->hist.p, g->hist.n, cur, &g->cfg, &cmp, err, errlen);
    if (!rc) {
        lb_gate_print_terminal(stdout, &cmp, isatty(STDOUT_FILENO));
        rc = lb_gate_exit_status(&cmp);
    }
    lb_comparison_free(&cmp);
    return rc;
}

/* Each peer row's ratio to the liblatent row measured with it (docs/PEERS.md). */
static void print_peers(FILE *out, const lb_results *res)
{
    lb_peer_pair *pp = NULL;
    size_t n = 0;
    if (lb_peer_pairs(res, &pp, &n) || !n) return;
    char text[512], impl[LB_NAME_LEN * 4 + 8], base[LB_ID_LEN * 4 + 8], id[LB_ID_LEN * 4 + 8];
    char note[LB_NOTE_LEN * 4 + 8] = "";
    fprintf(out, "peers: %s\n", lb_sanitize(text, sizeof text, res->meta.peers ? res->meta.peers : ""));
    int w = 4;
    for (size_t i = 0; i < n; i++) {
        int l = (int)strlen(lb_sanitize(id, sizeof id, res->rows[pp[i].peer].id));
        if (l > w) w = l;
    }
    fprintf(out, "%-*s  %7s  %-18s  %s\n", w, "pair", "ratio", "99% CI", "(peer time / liblatent time, paired rounds)");
    for (size_t i = 0; i < n; i++) {
        const lb_row *p = &res->rows[pp[i].peer];
        char ci[64] = "not paired";
        if (pp[i].rounds) snprintf(ci, sizeof ci, "[%.3f, %.3f]", pp[i].ci_low, pp[i].ci_high);
        fprintf(out, "%-*s  %7.3f  %-18s  %s vs %s\n", w, lb_sanitize(id, sizeof id, p->id), pp[i].ratio, ci,
                lb_sanitize(impl, sizeof impl, p->impl), lb_sanitize(base, sizeof base, res->rows[pp[i].base].id));
        if (p->note[0]) lb_sanitize(note, sizeof note, p->note);
    }
    if (note[0]) fprintf(out, "warning: %s (docs/PEERS.md)\n", note);
    lb_free(pp);
}

static void resumed(void *arg, size_t done, size_t total, const char *journal)
{
    lb_progress *p = arg;
    if (p->quiet) return;
    char shown[256];
    fprintf(stderr, "resuming from %s: %zu of %zu benchmarks already measured\n",
            lb_sanitize(shown, sizeof shown, journal), done, total);
}

static void progress(void *arg, unsigned round, size_t i, size_t n, const char *id)
{
    lb_progress *p = arg;
    p->total = n;
    lb_progress_step(p, round, i, id);
}

int lb_cmd_run(const lb_args *a, lb_cluster *cl, const char *command_line, const char *threads, lb_latent *lt)
{
    char err[LB_ERRLEN] = "";
    run_opts o;
    static gate_inputs g; /* 64 results headers: off the stack */
    memset(&g, 0, sizeof g);
    lb_gate_config_defaults(&g.cfg);
    int rc = parse_args(a, &o, err, sizeof err);
    if (!rc && cl->rank == 0) rc = precheck(&o, &g, err, sizeof err);
    int failed = -1; /* every rank learns rank 0's verdict */
    rc = lb_cluster_agree_status(cl, rc, &failed);
    if (rc) lb_cluster_bcast(cl, failed < 0 ? 0 : failed, err, sizeof err);
    if (!rc) rc = lb_cli_open_latent(cl, o.lib, lt, err, sizeof err);
    if (rc) {
        lb_report(cl, err);
        gate_inputs_free(&g);
        return rc;
    }
    o.run.lt = lt;
    lb_progress prog;
    lb_progress_init(&prog, 0, o.run.rounds, o.quiet || cl->rank != 0);
    if (cl->size > 1 && cl->rank == 0 && !o.quiet) fprintf(stderr, "%d ranks on %d node%s; %s\n", cl->size, cl->nodes,
                                                          cl->nodes == 1 ? "" : "s", threads);
    o.run.command_line = command_line;
    o.run.baseline = o.baseline && cl->rank == 0 ? &g.base : NULL;
    o.run.progress = progress;
    o.run.progress_arg = &prog;
    o.run.resumed = resumed;
    lb_results res;
    rc = lb_run(&o.run, cl, &res, err, sizeof err);
    lb_progress_done(&prog, rc == LB_OK);
    /* what was measured is shown even when the file could not be written */
    if (cl->rank == 0 && res.nrows) {
        lb_print_summary(stdout, &res);
        print_peers(stdout, &res);
        if (!rc) printf("results: %s\n", o.run.output);
        fflush(stdout);
    }
    if (!rc && o.baseline) rc = compare_with_baseline(&g, &res, cl, err, sizeof err);
    if (rc < 0) { /* 1 and 2 are the gate's verdicts, not errors */
        if (!err[0]) snprintf(err, sizeof err, "run: %s", lb_strerror(rc));
        lb_report(cl, err);
    }
    lb_results_free(&res);
    gate_inputs_free(&g);
    return rc;
}
