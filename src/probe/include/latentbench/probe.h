/* Hardware bounds measured on this node (docs/PROBE.md): read bandwidth from
 * memory and hot in cache (as a function of the working set), STREAM triad,
 * and the FMA peak of an ISA, each for one thread and for the run's thread
 * count; and from them, a kNN or attention row's bound per iteration.
 *
 * The threads are POSIX threads, not OpenMP: the harness does not link the
 * OpenMP runtime (liblatent brings it in, after lb_threads_decide has set
 * OMP_NUM_THREADS), so the probe runs the same count on threads of its own. */
#ifndef LATENTBENCH_PROBE_H
#define LATENTBENCH_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "latentbench/results.h"

#define LB_PROBE_MAX_THREADS 1024

typedef struct {
    int         threads; /* the "all threads" count, 1..LB_PROBE_MAX_THREADS (1: one thread only) */
    const char *isa;     /* the ISA liblatent dispatches to ("avx512", "avx2", "scalar"); its FMA peak is
                            measured, and the read kernels use it (NULL or unsupported: the best the CPU has) */
    int         full;    /* 1 (latentbench probe): every supported ISA's FMA, a larger memory buffer, more
                            repetitions (a few seconds); 0 (the start of run): about 1 s, more
                            with hot_at sizes near the LLC's */
    const uint64_t *hot_at; /* working sets (bytes) the rows will read: each within the LLC gets a
                               read_hot point of its own, so a row's bandwidth is measured at its size,
                               not interpolated across the cache's edge (NULL: the grid alone) */
    size_t      nhot_at;    /* at most LB_PROBE_MAX_HOT_AT are taken, smallest first */
} lb_probe_opts;

#define LB_PROBE_MAX_HOT_AT 32

typedef struct {
    lb_bound *bounds;     /* lb_malloc'd; free with lb_probe_free */
    size_t    nbounds;
    uint64_t  llc_bytes;  /* last-level cache (sysfs), the largest read_hot working set */
    uint64_t  mem_bytes;  /* the buffer the memory bandwidth was read from */
    double    seconds;    /* wall time of the probe */
} lb_probe_result;

/* Measures the bounds. LB_OK, LB_ENOMEM (the buffer; err says how large),
 * LB_EINTERNAL (threads could not start, bad options). Nothing is printed. */
int  lb_probe_run(const lb_probe_opts *o, lb_probe_result *r, char *err, size_t errlen);
void lb_probe_free(lb_probe_result *r); /* NULL and a zeroed result are fine */

/* lb_probe_run in a child process (fork; the answer comes back on a pipe):
 * the memory buffer never counts in this process's peak RSS (getrusage), which
 * the rows of a run report, and the child touches no MPI state. The same
 * results and errors, and LB_EINTERNAL when the child cannot start or dies. */
int  lb_probe_run_isolated(const lb_probe_opts *o, lb_probe_result *r, char *err, size_t errlen);

/* Two probes of one node merged into dst: each bound of dst that src measured
 * too (same kind, ISA, threads and bytes) keeps the higher value. A bound is
 * what the node can do, and a probe disturbed by other work (a virtual CPU
 * descheduled) only reads low. Returns how many values src raised. */
size_t lb_probe_keep_best(lb_bound *dst, size_t ndst, const lb_bound *src, size_t nsrc);

/* 1 when this CPU and its OS run isa's FMA kernel ("avx512", "avx2"; "scalar" always). */
int lb_probe_isa_supported(const char *isa);

/* The last-level cache of this node in bytes (sysfs, else sysconf, else 32 MiB). */
uint64_t lb_probe_llc_bytes(void);

/* What one iteration of a row's operation must do (docs/PROBE.md): bytes read,
 * flops, and the working set that decides hot or memory bandwidth. */
typedef struct {
    double bytes, flops, working_set;
} lb_probe_work;

/* The work of one iteration of row (its op, dimension, dataset_size or
 * seq_len, batch_size, attention, num_experts), top_k_experts the MoE routing
 * (0: liblatent's default, 2), rows split over share ranks (data sharding; 1
 * otherwise). 1 and *w set for knn, knn_batch, attention and attention_batch
 * rows with a shape; 0 for every other row. */
int lb_probe_row_work(const lb_row *row, int64_t top_k_experts, int64_t share, lb_probe_work *w);

/* The bandwidth (B/s) for a working set of ws bytes at threads: the read_hot
 * curve (log-log interpolation, clamped to its ends) when ws is at most its
 * largest size, else read_mem. *kind gets "read_hot" or "read_mem". 0 when
 * bounds has no entry for threads. */
double lb_probe_bandwidth(const lb_bound *b, size_t nb, int64_t threads, double ws, const char **kind);

/* The FMA peak (flop/s) of isa at threads; 0 when not measured. */
double lb_probe_peak(const lb_bound *b, size_t nb, int64_t threads, const char *isa);

/* Sets row->bound_ns = max(bytes / bandwidth, flops / peak) (ns per
 * iteration) and row->bound_kind to the side that sets it, from the bounds at
 * threads and isa; a row without work or without the bounds it needs gets 0
 * and "". Returns 1 when a bound was set. */
int lb_probe_row_bound(const lb_bound *b, size_t nb, int64_t threads, const char *isa, int64_t top_k_experts,
                       int64_t share, lb_row *row);

#endif
