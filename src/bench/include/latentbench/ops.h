/* The operations a benchmark case can measure. Setup (spaces, data) happens in
 * prepare and is never timed; run times only the operation, doing
 * per-iteration setup in untimed batches.
 *
 * Data sharding: with a cluster of P ranks in the environment, each rank holds
 * rows [n*r/P, n*(r+1)/P) of every dataset (generated per global row, so the
 * union is the single-rank dataset; ids are the global row numbers), rank 0
 * broadcasts the queries, every rank answers over its rows, and the answers
 * are merged on rank 0 by MPI reductions (latentbench/cluster.h). The
 * operation is then collective: every rank runs the same iterations. */
#ifndef LB_OPS_H
#define LB_OPS_H

#include "latentbench/bench.h"
#include "latentbench/cluster.h"
#include "latentbench/loader.h"
#include "latentbench/results.h"
#include "latentbench/suite.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lb_op_ctx lb_op_ctx;

typedef struct {
    const lb_latent  *lt;         /* the build of liblatent to measure (latentbench/loader.h) */
    uint64_t          seed;       /* data stream */
    const lb_dataset *dataset;    /* NULL: generated data; with data sharding, this rank's part */
    const lb_cluster *shard;      /* data sharding over these ranks; NULL: this process alone */
    uint64_t          max_memory; /* refuse a case whose estimate exceeds it (bytes); 0: the machine's memory */
} lb_op_env;

/* Builds what c needs: data from a seeded uniform(-1,1) stream (or, when
 * env->dataset is set, its train rows as the space and test rows as queries),
 * the space, the queries. LB_EDATA when the case cannot run (bad parameters,
 * sizes that overflow, an estimate over the memory limit: err says why, naming
 * the estimate and the limit), LB_ENOMEM. */
int lb_op_prepare(const lb_case *c, const lb_op_env *env, lb_op_ctx **out, char *err, size_t errlen);

/* Bytes this rank needs for c (data, space, queries, answers: lb_case_bytes of
 * the shape it runs with here), for the memory limit and the schedule; 0 with
 * err set when the sizes overflow or the case cannot run. */
uint64_t lb_op_memory_estimate(const lb_case *c, const lb_op_env *env, char *err, size_t errlen);

/* Whether c can run here: its shape (with env's dataset and sharding) and its
 * estimate within env->max_memory, or this machine's memory (lb_machine_memory)
 * when that is 0. LB_EDATA with err naming the estimate and the limit. Run
 * and ab call it for every case before measuring; lb_op_prepare again before
 * allocating. */
int lb_op_check(const lb_case *c, const lb_op_env *env, char *err, size_t errlen);

/* The shape the op really runs with (a dataset overrides the case's): the
 * dimension and the rows over all ranks. */
void lb_op_shape(const lb_op_ctx *ctx, size_t *dimension, size_t *rows);

/* The routine to measure, and its context. */
int  lb_op_run(void *ctx, uint64_t iters, uint64_t *elapsed_ns);
/* Nanoseconds of the last lb_op_run spent in MPI (data sharding; else 0). */
uint64_t lb_op_comm_ns(const lb_op_ctx *ctx);
void lb_op_free(lb_op_ctx *ctx);

/* The answers of the last run (rank 0 with data sharding): nq x k neighbours
 * and found counts, or nq x dimension attention outputs; NULL when the
 * operation has none. For tests that compare sharded and whole answers. */
const lt_neighbor *lb_op_neighbors(const lb_op_ctx *ctx, size_t *nq, size_t *k, const size_t **found);
const float       *lb_op_outputs(const lb_op_ctx *ctx, size_t *nq, size_t *dimension);

/* Seeded uniform(-1, 1) floats: x[i] is element first + i of stream `seed`,
 * a pure function of (seed, first + i), so every rank and run sees the same
 * data and a rank can make any slice of it alone. */
void lb_fill_uniform(float *x, size_t n, uint64_t seed);
void lb_fill_uniform_at(float *x, uint64_t first, size_t n, uint64_t seed);

/* Rows [*lo, *hi) of n that rank r of p holds. */
void lb_shard_range(uint64_t n, int r, int p, uint64_t *lo, uint64_t *hi);

#endif
