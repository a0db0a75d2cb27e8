/* The results file: an HDF5 file with the schema "latentbench-results".
 *
 *   root attributes   schema, schema_version, kind, tool_version, git_commit, created,
 *                     hostname, machine, mpi_ranks, omp_threads, compiler,
 *                     build_type, command_line, timer_resolution_ns, timer_overhead_ns;
 *                     distributed runs: shard, failure, scaling, nodes, node_concurrency,
 *                     complete, makespan_s, ideal_makespan_s, predicted_makespan_s;
 *                     optional: library, library_hash, library_size, knobs, peers;
 *                     A/B files: base_library, base_library_hash
 *   /benchmarks       1-D compound dataset, one lb_row per benchmark
 *   /samples/<i>      raw samples of row i: compound {iterations, ns_per_iter, round}
 *                     (attribute "id" = the row's id)
 *   /ranks            1-D compound dataset, one lb_rank_row per MPI rank
 *   A/B files (kind "ab"; plain files have kind "results"):
 *   /base_benchmarks  the baseline build's lb_row per benchmark, same order and ids
 *   /ab               1-D compound dataset, one lb_ab_row per benchmark, same order
 *   /ab_pairs/<i>     the rounds of row i: compound lb_ab_pair (attribute "id")
 *   /bounds           optional 1-D compound dataset, one lb_bound per measured bound
 *                     (rank 0's node; files without it read nbounds 0)
 *
 * Version 2 added kind and the A/B parts; version-1 files (no kind, never
 * A/B) still read, with meta.schema_version 1. Version 3 stores every string
 * fixed-length, attributes included, and every byte under a checksum: no
 * object in HDF5's unchecksummed global heap (versions 1 and 2 have
 * variable-length text attributes, still read).
 *
 * Strings in tables are fixed-length, NUL-padded fields of the sizes below
 * (readable from C, h5py and pandas alike). Written by rank 0 alone, to a temporary file in the
 * same directory that is renamed over the target only once complete.
 *
 * These functions switch HDF5's automatic error printing off for the process
 * (H5Eset_auto2): their errors come back as one line in err instead. */
#ifndef LATENTBENCH_RESULTS_H
#define LATENTBENCH_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#define LB_SCHEMA "latentbench-results"
#define LB_SCHEMA_VERSION 3 /* the layout written; 1 to 3 are read */

#define LB_ID_LEN 128
#define LB_NAME_LEN 48
#define LB_NOTE_LEN 64
#define LB_HOST_LEN 64

typedef struct {
    char id[LB_ID_LEN];          /* group/function/parameter, as Criterion prints it */
    char suite[LB_NAME_LEN];
    char group[LB_NAME_LEN];
    char op[LB_NAME_LEN];        /* the liblatent operation measured */
    int64_t dimension, k, dataset_size, batch_size, seq_len, num_heads, num_experts; /* 0 = unused */
    char metric[LB_NAME_LEN];    /* "" when unused */
    char attention[LB_NAME_LEN];
    int64_t samples, iterations; /* iterations = total over all samples */
    double mean_ns, median_ns, std_dev_ns, mad_ns, min_ns, max_ns;
    double ci_low_ns, ci_high_ns; /* 95% bootstrap CI of the mean */
    double slope_ns;              /* OLS through the origin (linear sampling), else NaN */
    int64_t outliers_mild, outliers_severe;
    double throughput_elements, throughput_bytes; /* per second at the median; 0 = not declared */
    uint64_t peak_bytes, avg_bytes, allocations;  /* liblatent's allocator, see docs */
    uint64_t rss_peak_bytes;                      /* process high-water mark after the benchmark */
    int64_t ranks;                                /* ranks that measured it */
    double rank_min_ns, rank_median_ns, rank_max_ns; /* min / median / max over ranks of their medians */
    char note[LB_NOTE_LEN];                       /* e.g. "budget: 12 of 100 samples" */
    int64_t rounds;                               /* rounds the samples came from (files before rounds: 0) */
    /* Distributed runs (optional members: files without them read as noted). */
    int64_t measured_rank;       /* matrix sharding: the rank that measured it; -1: every rank (shard
                                    none or data; files without the member read as 0) */
    char host[LB_HOST_LEN];      /* that rank's host ("" when every rank measured it) */
    uint64_t peak_bytes_sum;     /* sum over the measuring ranks of their liblatent peaks (peak_bytes
                                    is the largest of them) */
    uint64_t rss_peak_bytes_sum; /* the same for the process high-water mark */
    double rank_mean_ns;         /* mean over ranks of their medians */
    double comm_fraction;        /* data sharding: share of the slowest rank's time spent in MPI */
    double parallel_efficiency;  /* against a --scaling-reference run; 0 when none was given */
    /* Optional members added within schema_version 3 (files without them read as noted). */
    char impl[LB_NAME_LEN];      /* the library that measured it: "liblatent" (files without the member,
                                    and an empty value, read "liblatent") or a peer such as "faiss" */
    double bound_ns;             /* hardware bound per iteration from /bounds (docs/PROBE.md); 0 = none */
    char bound_kind[LB_NAME_LEN]; /* what sets bound_ns: "read_mem", "read_hot", "fma", or "" (none) */
} lb_row;

#define LB_IMPL_DEFAULT "liblatent"

/* "% of bound": 100 x bound_ns / median_ns (100 = at the hardware bound), or
 * NaN when the row has no bound or no positive median. */
static inline double lb_row_pct_of_bound(const lb_row *r)
{
    return r->bound_ns > 0 && r->median_ns > 0 ? 100.0 * r->bound_ns / r->median_ns : __builtin_nan("");
}

/* One measured hardware bound (latentbench probe, the start of run): /bounds. */
typedef struct {
    char     kind[LB_NAME_LEN];  /* "read_mem", "read_hot", "triad" (bytes/s) or "fma" (flop/s) */
    char     isa[LB_NAME_LEN];   /* fma: "avx512", "avx2" or "scalar"; the read kernels: the ISA they used */
    int64_t  threads;            /* OpenMP threads that ran it */
    uint64_t bytes;              /* working set in bytes (0 for fma) */
    double   value;              /* bytes/s or flop/s, > 0 */
    char     unit[LB_NAME_LEN];  /* "B/s" or "flop/s" */
} lb_bound;

typedef struct {
    uint64_t iterations;
    double   ns_per_iter;
    uint64_t round;          /* 0-based round of run --rounds (files before rounds: 0) */
} lb_sample;

typedef struct {
    int64_t  rank;
    char     hostname[LB_HOST_LEN];
    int64_t  cores;          /* cores this rank may run on (affinity mask) */
    uint64_t peak_bytes;     /* liblatent peak over the run */
    uint64_t rss_peak_bytes;
} lb_rank_row;

typedef struct {
    int     schema_version;
    char   *tool_version, *git_commit, *created, *hostname, *machine, *compiler, *build_type, *command_line;
    int64_t mpi_ranks, omp_threads;
    double  timer_resolution_ns, timer_overhead_ns;
    /* Distributed runs (optional attributes: a file without them reads as shard "none", one node,
     * node_concurrency 0, complete 1, failure and scaling "", the doubles 0). Written NULL
     * strings become "". */
    char   *shard;             /* "none", "matrix" or "data" */
    char   *failure;           /* why the run stopped early ("rank 1 (host): cause"); NULL or "" if none */
    char   *scaling;           /* "strong" or "weak" against a reference run; NULL or "" if none */
    char   *library;           /* the liblatent file measured (resolved path); "" in files before it */
    char   *library_hash;      /* FNV-1a 64 of that file's bytes, hex: the build, wherever it was copied */
    int64_t library_size;      /* its bytes */
    int64_t nodes;             /* distinct hosts among the ranks */
    int64_t node_concurrency;  /* matrix: ranks of a node that measure at the same time */
    int64_t complete;          /* 1: every benchmark of the list has its row; 0: stopped early */
    double  makespan_s;        /* wall time of the measuring phase */
    double  ideal_makespan_s;  /* matrix: predicted cost of all cases / measuring slots */
    double  predicted_makespan_s; /* matrix: the schedule's largest predicted slot load */
    char   *knobs;             /* environment knobs in effect, "NAME=value" separated by spaces
                                  ("LATENT_ISA=avx2 OMP_NUM_THREADS=2"); "" in files before it */
    char   *peers;             /* the peer libraries measured beside liblatent (lt_peer_describe: "faiss 1.7.3
                                  IndexFlatL2/IP; OpenBLAS 0.3.21 core Haswell"; docs/PEERS.md); "" when none */
} lb_meta;

/* A paired A/B file (latentbench ab): per benchmark, the paired comparison of
 * the baseline build (A) and the candidate (B) measured in alternating blocks. */
typedef struct {
    char     id[LB_ID_LEN];
    int64_t  rounds;             /* rounds measured: one block of each build a round */
    int64_t  block_iters;        /* iterations in one block (the same for A and B) */
    char     order[LB_NAME_LEN]; /* "abba" or "random" */
    double   ratio;              /* exp of the Hodges-Lehmann estimate of the per-round ln(B/A): median ratio */
    double   ratio_ci_low, ratio_ci_high; /* its two-sided confidence interval (confidence below) */
    double   ratio_upper, ratio_lower;    /* one-sided bounds at the same confidence (B slower / faster) */
    double   confidence;         /* e.g. 0.99 */
    double   p_slower, p_faster; /* one-sided Wilcoxon signed-rank p-values of ln(B/A) > 0 and < 0 */
    double   log_ratio_mad;      /* spread of the per-round ln(B/A): MAD x 1.4826 */
    double   threshold_pct;      /* the row's regression threshold from the gate config */
    char     verdict[LB_NAME_LEN]; /* "Regression", "Improvement", "NoChange" */
    uint64_t peak_bytes_a, peak_bytes_b, allocations_a, allocations_b; /* compared exactly */
    char     memory_verdict[LB_NAME_LEN]; /* "Same", "More", "Less" (peak or allocations of B against A) */
    int64_t  rounds_repeated;    /* rounds measured again because the process was preempted in them
                                    (optional member: 0 in files before it) */
} lb_ab_row;

/* One round of an A/B row: the order and each build's time per iteration. */
typedef struct {
    uint64_t round;
    int64_t  b_first;  /* 1: B ran first in this round */
    double   a_ns, b_ns; /* ns per iteration of the baseline and the candidate block */
} lb_ab_pair;

typedef struct {
    lb_meta      meta;
    lb_row      *rows;
    lb_sample  **samples;   /* samples[i]: nsamples[i] entries for rows[i] */
    size_t      *nsamples;
    size_t       nrows;
    lb_rank_row *ranks;
    size_t       nranks;
    /* A/B files only (ab != NULL): rows[i] is the candidate's row, base_rows[i]
     * the baseline build's, ab[i] the paired comparison and pairs[i] its
     * npairs[i] rounds. meta.library names the candidate, base_library the baseline.
     * ab != NULL is what makes a file A/B (root attribute kind "ab"): a read A/B
     * file without rows still has a non-NULL ab (an allocation holding no row).
     * For a plain file all six are NULL when read and ignored when written;
     * pairs and npairs may be NULL in an A/B file written without rounds. */
    lb_row      *base_rows;
    lb_ab_row   *ab;
    lb_ab_pair **pairs;
    size_t      *npairs;
    char        *base_library, *base_library_hash;
    /* /bounds: the hardware bounds measured on rank 0's node (NULL, 0 in files
     * without them). */
    lb_bound    *bounds;
    size_t       nbounds;
} lb_results;

/* Writes r to path atomically (temporary file + rename). On failure nothing at
 * path changes, the temporary file is removed, and err holds one line
 * "path: cause". Returns LB_OK or LB_EIO / LB_ENOMEM, or LB_EINTERNAL when r
 * is inconsistent (a count without its array; an A/B r without base_rows, or
 * whose base_rows[i] or ab[i] has another id than rows[i]).
 * r->meta.schema_version is not consulted: the file gets LB_SCHEMA_VERSION,
 * the layout this code writes. */
int lb_results_write(const char *path, const lb_results *r, char *err, size_t errlen);

/* Reads a results file into *r (allocated with lb_malloc; free with
 * lb_results_free). LB_ENOINPUT when path does not exist or is not a regular
 * file, LB_EDATA for a file that is not HDF5, has another schema or a
 * schema_version other than 1 to 3, or is truncated or malformed (err names
 * the file and what is wrong); in an A/B file, /base_benchmarks or /ab without
 * one row per /benchmarks row, or with another id than that row, is malformed
 * too. What is read is then checked with lb_results_check. */
int lb_results_read(const char *path, lb_results *r, char *err, size_t errlen);

/* The values no run can produce, as LB_EDATA "path: cause" (path names the
 * file in the line): an empty id; a negative count or size (samples,
 * iterations, rounds, ranks, outliers, dimension, k, dataset_size, batch_size,
 * seq_len, num_heads, num_experts, mpi_ranks, omp_threads, nodes, cores, ...);
 * samples other than the row's /samples count (plain files); a negative, NaN
 * or infinite time (statistics may be NaN, never negative or infinite) or
 * throughput; complete other than 0 or 1; shard, scaling, an A/B row's order,
 * verdict or memory_verdict outside their documented values; b_first other
 * than 0 or 1. LB_OK otherwise. */
int lb_results_check(const lb_results *r, const char *path, char *err, size_t errlen);

void lb_results_free(lb_results *r);

/* An ann-benchmarks dataset: train (n x d), test (q x d), neighbors (q x kn),
 * distances (q x kn), root attribute distance "euclidean" or "angular".
 * A part read with lb_dataset_read_part holds train rows [row0, row0 + n) of
 * n_total; a whole read has row0 = 0 and n_total = n. */
typedef struct {
    size_t  n, q, d, kn;
    size_t  row0, n_total;
    float  *train, *test, *distances;
    int32_t *neighbors;
    char    distance[16];
} lb_dataset;

/* LB_ENOINPUT (missing), LB_EDATA (wrong layout: missing dataset, wrong rank,
 * type or shape, mismatched dimensions, unknown distance), with err naming the
 * file, the dataset and the cause. */
int  lb_dataset_read(const char *path, lb_dataset *ds, char *err, size_t errlen);

/* Reads part `part` of `nparts` of the train rows (rows [n*part/nparts,
 * n*(part+1)/nparts), a hyperslab: the other rows are never read) and the
 * whole test, neighbors and distances. Same errors as lb_dataset_read, and
 * LB_EINTERNAL when part >= nparts. */
int  lb_dataset_read_part(const char *path, size_t part, size_t nparts, lb_dataset *ds, char *err,
                          size_t errlen);
void lb_dataset_free(lb_dataset *ds);

/* Writes an ann-benchmarks file (tests and tools make small datasets with it;
 * the whole file is assembled in memory first). Atomic like lb_results_write.
 * LB_OK, LB_EIO, LB_ENOMEM, or LB_EINTERNAL for an empty or missing array or a
 * distance other than "euclidean" / "angular". */
int  lb_dataset_write(const char *path, const lb_dataset *ds, char *err, size_t errlen);

#endif
