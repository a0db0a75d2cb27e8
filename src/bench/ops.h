/* The operations a benchmark case can measure, as a table of {name, prepare,
 * run}. Setup (spaces, data) happens in prepare and is never timed; run times
 * only the operation, doing per-iteration setup in untimed batches. */
#ifndef LB_OPS_H
#define LB_OPS_H

#include "latentbench/bench.h"
#include "latentbench/results.h"
#include "latentbench/suite.h"

#include <stddef.h>
#include <stdint.h>

typedef struct lb_op_ctx lb_op_ctx;

/* 1 when op names a known operation. */
int lb_op_known(const char *op);

/* Builds what c needs: data from a seeded uniform(-1,1) stream (or, when ds is
 * not NULL, its train rows as the space and test rows as queries), the space,
 * the queries. LB_EDATA when the case cannot run (bad parameters; err says
 * why), LB_ENOMEM. */
int lb_op_prepare(const lb_case *c, const lb_dataset *ds, uint64_t seed, lb_op_ctx **out, char *err, size_t errlen);

/* The shape the op really runs with (a dataset overrides the case's). */
void lb_op_shape(const lb_op_ctx *ctx, size_t *dimension, size_t *rows);

/* The routine to measure, and its context. */
int  lb_op_run(void *ctx, uint64_t iters, uint64_t *elapsed_ns);
void lb_op_free(lb_op_ctx *ctx);

/* Seeded uniform(-1, 1) floats: element i of stream `seed` is a pure function
 * of (seed, i), so every rank and run sees the same data. */
void lb_fill_uniform(float *x, size_t n, uint64_t seed);

#endif
