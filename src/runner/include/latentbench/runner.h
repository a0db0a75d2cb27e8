/* How a run happens, on one process or many MPI ranks (docs/CLUSTER.md):
 *
 *   plan      load the suites into the case list (every rank the same list),
 *             check every case's sizes before anything is measured
 *   schedule  matrix sharding: a calibrated cost per case, longest first onto
 *             the measuring slots (node_concurrency ranks a node);
 *             none / data: every rank takes every case
 *   measure   rounds x this rank's cases; data sharding runs each case as one
 *             collective operation over all ranks
 *   gather    every measuring rank's rows, samples and memory to rank 0 (MPI)
 *   store     rank 0 writes one results file, rows in the list's order
 *
 * A failing rank never leaves the others in a collective: failures are agreed
 * on at each synchronisation point (or told by message between independently
 * measuring ranks), and rank 0 writes the rows completed so far, marked
 * incomplete. The command line (src/cli) only parses options into
 * lb_run_opts and prints. */
#ifndef LATENTBENCH_RUNNER_H
#define LATENTBENCH_RUNNER_H

#include "latentbench/bench.h"
#include "latentbench/cluster.h"
#include "latentbench/gate.h"
#include "latentbench/loader.h"
#include "latentbench/results.h"
#include "latentbench/suite.h"

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

typedef enum {
    LB_SHARD_AUTO,   /* matrix with more than one rank, none alone */
    LB_SHARD_NONE,   /* every rank measures every case (node-to-node variability) */
    LB_SHARD_MATRIX, /* each case measured by one rank */
    LB_SHARD_DATA    /* each case's data split over all ranks */
} lb_shard;

/* "none", "matrix", "data" (AUTO: "auto"); parse returns -1 for anything else. */
const char *lb_shard_name(lb_shard s);
int         lb_shard_parse(const char *s);

/* Called on rank 0 as its cases start: round (0-based), this rank's i-th case
 * of n, its id. */
typedef void (*lb_progress_fn)(void *arg, unsigned round, size_t i, size_t n, const char *id);

typedef struct {
    const lb_latent *lt;          /* the build of liblatent measured (required) */
    const char *peer_lib;         /* cases with impl = faiss: the peer library (NULL: lb_peer_open's default);
                                     loaded by the run only when a case needs it (docs/PEERS.md) */
    const char *suites[64];
    size_t      nsuites;
    const char *filter, *output, *dataset, *command_line;
    double      workload_scale;   /* 1: the suite's sizes */
    lb_measure_opts mo;
    uint64_t    seed;
    size_t      resamples;
    unsigned    rounds;           /* >= 1 */
    lb_shard    shard;
    int         node_concurrency; /* matrix: ranks of a node measuring at once (>= 1) */
    uint64_t    max_memory;       /* bytes a rank may use for one case; 0: the machine's memory */
    const lb_results *baseline;   /* run --baseline, on rank 0: a case whose id it measured on another
                                     workload is refused before anything is measured; NULL: none */
    const char *scaling_reference; /* results of the run to compare efficiency against, or NULL */
    int         scaling_weak;     /* 1: weak scaling (the same work per rank), 0: strong */
    lb_progress_fn progress;
    void       *progress_arg;
    int         resume;           /* 1: continue the run whose journal is beside output (run --resume) */
    /* Called once on rank 0 when a journal is continued: rows already in it, rows in all, its path. */
    void      (*resumed)(void *arg, size_t done, size_t total, const char *journal);
} lb_run_opts;

/* Defaults: the ci suite, seed 42, Criterion's measurement options, one
 * round, automatic sharding, node concurrency 1. */
void lb_run_opts_init(lb_run_opts *o);

/* The whole run. On rank 0 *res holds what was written (free with
 * lb_results_free; other ranks get an empty one). Returns LB_OK, or the
 * failure every rank agreed on: err names the rank, its host and the cause,
 * and when some rows were complete rank 0 has written them to o->output
 * with complete = 0.
 *
 * The journal (docs/RESULTS.md): each row is appended, fdatasync'd, to
 * <output>.journal as it completes (matrix sharding: each rank appends its own
 * rows to <output>.journal.<rank>, read back by rank 0 from a file system the
 * ranks share). It is removed once the results file is written, and kept when
 * the run was stopped by a signal with rows in it (or killed), so that a run
 * with o->resume measures only the missing rows. Journal errors: LB_EUSAGE
 * when a journal is there and o->resume is 0, or when o->resume finds one
 * written with other arguments (err names the first that differs);
 * LB_ENOINPUT when o->resume finds none; LB_EDATA when it is damaged beyond a
 * torn last record; LB_EIO when it cannot be written. */
int lb_run(const lb_run_opts *o, lb_cluster *cl, lb_results *res, char *err, size_t errlen);

/* ---- peers (docs/PEERS.md) ----
 * A case with impl = "faiss" is measured through the peer library. When the
 * list also holds a liblatent case of the same workload, the two are measured
 * as a pair, interleaved in blocks as `ab` measures two builds (ABBA rounds
 * over the measurement time, --rounds aside); both rows keep the pairs'
 * blocks as their samples, sample j of each from round j, so the paired ratio
 * can be computed again from the file. A peer case alone is measured alone. */

/* A peer row and the liblatent row it was measured against. */
typedef struct {
    size_t peer, base;             /* row indices in the results */
    size_t rounds;                 /* paired rounds (0: not paired by rounds; the CI is then NaN) */
    double ratio;                  /* peer time / liblatent time: Hodges-Lehmann estimate of the per-round
                                      ratio, or the ratio of the medians when not paired by rounds */
    double ci_low, ci_high;        /* its two-sided confidence interval at `confidence` */
    double confidence;             /* 0.99 */
} lb_peer_pair;

/* Every peer row of res (impl other than liblatent) with the first liblatent
 * row of the same workload not yet taken, in row order: *out (lb_malloc'd,
 * free with lb_free; NULL when *n is 0). LB_OK or LB_ENOMEM. */
int lb_peer_pairs(const lb_results *res, lb_peer_pair **out, size_t *n);

/* ---- paired A/B runs ---- */

/* Two builds of liblatent measured interleaved in one process: run.lt is the
 * baseline build (A), candidate the candidate (B); run gives the suites,
 * filter, output, seed, warm-up and measurement time per case, node
 * concurrency, progress. */
typedef struct {
    lb_run_opts      run;
    const lb_latent *candidate;
    double           block_s;      /* shortest block of one build (0.002 s: far above the clock's cost) */
    int              random_order; /* 0: ABBA rounds; 1: a seeded, balanced random order */
    double           confidence;   /* of the bounds on the median ratio (0.99) */
    const lb_gate_config *gate;    /* thresholds per id; NULL: 10% */
} lb_ab_opts;

/* Defaults: as lb_run_opts_init, with 0.3 s of warm-up and 2 s of rounds a
 * case, 2 ms blocks, ABBA, 99%. */
void lb_ab_opts_init(lb_ab_opts *o);

/* For each case on its rank: both builds prepared on identical inputs, warmed
 * up in turn, then rounds of one block of each in the seeded order, as many as
 * the measurement time allows (at least 10); the statistic is the per-round
 * ln(B/A): Hodges-Lehmann estimate and bounds, Wilcoxon signed-rank p-values.
 * Regression when the one-sided lower bound on the median ratio is above
 * 1 + threshold (or memory grew past the gate's memory thresholds),
 * Improvement when the upper bound is below 1 - threshold/2. Rank 0 writes
 * the A/B results file (results.h) and *res holds it. Errors as lb_run;
 * LB_EUSAGE when A and B are one loaded copy. */
int lb_ab_run(const lb_ab_opts *o, lb_cluster *cl, lb_results *res, char *err, size_t errlen);

/* The paired statistics and time verdict of one row from its per-round
 * ln(B/A) x[0..n), against ab->threshold_pct (set it first). Round i ran in
 * epoch i * epochs / n (one data placement each; 1: a single one): every
 * bound and the interval are widened to cover each epoch's median ratio, so
 * a change counts only when every placement shows it. LB_EUSAGE, LB_EDATA
 * (non-finite x), LB_ENOMEM. */
int lb_ab_judge(const double *x, size_t n, unsigned epochs, double confidence, lb_ab_row *ab);

/* 1 when a row is a regression, else 2 when one is an improvement, else 0. */
int lb_ab_exit_status(const lb_results *res);

/* ---- scheduling (pure functions, unit-tested) ---- */

/* Longest processing time first: cases in order of cost (largest first, ties
 * by index), each onto the slot with the least load so far (ties: the lowest
 * slot). slot[i] gets case i's slot, load[s] (nslots entries, may be NULL) the
 * predicted load. Deterministic for a given list and slot count. */
void lb_schedule_lpt(const double *cost, size_t n, size_t nslots, size_t *slot, double *load);

/* What one case costs to measure, in seconds, from its parameters: the setup
 * (data and space, per float built) and the measurement (warm-up plus samples,
 * where an iteration costs the floats it touches times a per-float time). */
typedef struct {
    double build_ns_per_float; /* generate + insert */
    double scan_ns_per_float;  /* one query over stored rows */
    double batch_ns_per_float; /* per query and float in a batch (GEMM) */
} lb_cost_model;

/* Measures the model's constants on this process with that build of
 * liblatent (a few tens of ms). */
void   lb_cost_model_calibrate(lb_cost_model *m, const lb_latent *lt);
double lb_case_cost(const lb_cost_model *m, const lb_case *c, const lb_measure_opts *mo, unsigned rounds);

/* ---- the machine ---- */

/* Fills the run metadata (machine fingerprint with the SIMD level of lt, versions, the commit built,
 * the library file, time, command line); strings are lb_malloc'd, freed by lb_results_free. */
int lb_meta_fill(lb_meta *m, const lb_cluster *cl, const char *command_line, const lb_latent *lt);

/* This process's hostname and the number of cores it may run on. */
void lb_host_info(char *host, size_t len, long *cores);

/* Process RSS high-water mark in bytes. */
unsigned long long lb_rss_peak_bytes(void);

/* OpenMP threads for this rank unless OMP_NUM_THREADS says otherwise: the
 * cores of its affinity set shared among the ranks of its node whose sets
 * overlap it. Collective over the node. msg gets one line saying what was
 * decided (for rank 0 to print). Returns the thread count. An OMP_NUM_THREADS
 * that is not a whole number from 1 to max(1024, CPUs online) is ignored with
 * one "latentbench: warning:" line on rank 0's stderr. The count is handed to
 * the OpenMP runtime through OMP_NUM_THREADS, which it reads when liblatent
 * (and with it the runtime) is loaded: call this before lb_latent_open. */
int lb_threads_decide(const lb_cluster *cl, char *msg, size_t len);

/* The environment knobs in effect, for the results file: "LATENT_ISA=avx2 (auto)
 * LATENT_PAR_MIN=65536 (default) OMP_NUM_THREADS=2" ("(auto)"/"(default)": not set
 * by the environment; a value that was set but invalid adds "invalid setting
 * ignored"). The liblatent knobs are left out when lt is NULL or predates lt_env_get. */
void lb_knobs_describe(const lb_latent *lt, char *buf, size_t len);

/* One "latentbench: warning:" line to out for each liblatent knob (LATENT_ISA,
 * LATENT_PAR_MIN) that lt ignored as invalid; nothing when it lacks lt_env_get. */
void lb_knobs_warn(const lb_latent *lt, FILE *out);

#endif
