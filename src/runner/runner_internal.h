/* Inside the runner: what a paired A/B run (ab.c) shares with a plain run
 * (runner.c). */
#ifndef LB_RUNNER_INTERNAL_H
#define LB_RUNNER_INTERNAL_H

#include "latentbench/runner.h"

#include <stddef.h>
#include <stdint.h>

/* One benchmark's samples over all rounds on this rank, and its memory. */
typedef struct {
    lb_sample *s;
    double    *rmin, *rmean; /* data sharding: per sample, fastest rank and mean over ranks (ns/iter) */
    size_t     n, cap;
    uint64_t   total_iters;
    double     sum_peak;
    size_t     max_peak, nmem;
    uint64_t   allocs;
    double     comm_ns, busy_ns; /* data sharding: summed over ranks and samples */
    int        all_linear, budget_limited;
    size_t     dim, rows;
    unsigned   rounds_done;
} case_acc;

/* A growing byte buffer: what a rank sends rank 0 at the end of a run. */
typedef struct {
    unsigned char *data;
    size_t         len, cap;
} lb_buf;
int lb__buf_put(lb_buf *b, const void *p, size_t n); /* LB_OK or LB_ENOMEM */

int  lb__acc_reserve(case_acc *a, size_t more);
void lb__acc_free(case_acc *a);

/* c with its sizes scaled by --workload-scale. */
lb_case lb__scaled_case(const lb_case *in, double scale);

/* Median of v[0..n) (sorts v); NaN for n = 0. */
double lb__median_of(double *v, size_t n);

/* This rank's row of a case from its accumulated samples. */
int lb__make_row(const lb_case *c, const case_acc *a, const lb_run_opts *o, lb_shard mode, const lb_cluster *cl,
                 const char *host, lb_row *row, char *err, size_t errlen);

/* Fails early when the output cannot be written (creates results/ for the default). */
int lb__check_output(const char *path, char *err, size_t errlen);

/* Which cases this rank measures (mine[i] = 1) and the schedule's figures in
 * meta; cases with skip[i] set (already measured; skip may be NULL) go to no
 * rank and cost nothing. Collective. */
int lb__schedule(const lb_run_opts *o, const lb_case_list *list, lb_shard mode, const lb_cluster *cl,
                 const unsigned char *skip, unsigned char *mine, lb_meta *meta);

#endif
