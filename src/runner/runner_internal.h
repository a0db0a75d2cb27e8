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
    int64_t    rounds;           /* the row's rounds when not the run's (a peer pair: its pairs); 0: the run's */
    char       note[LB_NOTE_LEN]; /* the row's note when set (a peer's warning), else the run's */
} case_acc;

/* One case's outcome of a paired measurement (ab.c) on the rank that measured
 * it: `latentbench ab`'s two builds, or a liblatent case and its peer's. */
typedef struct {
    lb_ab_row   ab;
    lb_ab_pair *pairs;
    size_t      npairs;
    case_acc    acc[2]; /* the blocks of A and of B as samples, for each build's own row */
} ab_case;
void lb__ab_case_free(ab_case *r);

/* FNV-1a 64 of an id: each case's order of blocks derives from the seed and it. */
uint64_t lb__id_hash(const char *s);

/* Both builds of one case (A = o->run.lt, B = o->candidate) prepared on
 * identical inputs (ds: a dataset's rows, or NULL for generated data), warmed
 * up in turn, then rounds of one block of each in the seeded order for
 * o->run.mo.measurement_s: r gets the pairs, the paired statistics and each
 * build's blocks as samples (acc[0] A, acc[1] B). *remote is set when another
 * rank's failure stopped it. */
int lb__measure_ab(const lb_case *c, const lb_ab_opts *o, const lb_dataset *ds, const lb_cluster *cl, uint64_t seed,
                   ab_case *r, int *remote, char *err, size_t errlen);

/* Peers (peers.c): pair[i] = the case measured together with case i (a
 * liblatent case and the peer case of the same workload), SIZE_MAX for none;
 * cases with skip[i] set (already measured; skip may be NULL) pair with none. */
void lb__peer_pairs(const lb_case_list *list, const unsigned char *skip, size_t *pair);

/* A liblatent case (base) and its peer's measured interleaved (lb__measure_ab
 * with A = o->lt, B = peer, the run's full warm-up and measurement time). */
int lb__measure_peer_pair(const lb_case *base, const lb_run_opts *o, const lb_latent *peer, const lb_dataset *ds,
                          const lb_cluster *cl, ab_case *r, int *remote, char *err, size_t errlen);

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
