/* Benchmark suites: TOML files under bench/ that declare groups of benchmarks
 * and their parameter grids; loading one expands it into cases with their ids. */
#ifndef LATENTBENCH_SUITE_H
#define LATENTBENCH_SUITE_H

#include "latentbench/results.h"

#include <stddef.h>
#include <stdint.h>

/* One benchmark: the operation and every parameter it runs with. */
typedef struct {
    char    id[LB_ID_LEN];
    char    suite[LB_NAME_LEN];
    char    group[LB_NAME_LEN];
    char    op[LB_NAME_LEN];       /* see lb_ops (create, add, add_batch, knn, knn_batch, attention, ...) */
    int64_t dimension, k, dataset_size, batch_size, seq_len, num_heads, num_experts;
    int64_t top_k_experts, block_size;
    double  curvature;
    char    metric[LB_NAME_LEN];    /* Euclidean, Cosine, Manhattan, Hyperbolic, Dot */
    char    attention[LB_NAME_LEN]; /* Standard, Flash, MultiHead, MoE */
    int64_t elements;               /* throughput elements per iteration; 0 = none declared */
} lb_case;

typedef struct {
    lb_case *cases;
    size_t   count, cap;
} lb_case_list;

/* Directory holding the built-in suite files (compiled in; LATENTBENCH_SUITE_DIR
 * in the environment overrides it). */
const char *lb_suite_dir(void);

/* Loads a suite by built-in name ("latency", "ci", "all", ...) or by path (anything
 * containing '/' or ending in ".toml") and appends its expanded cases to list,
 * skipping ids already present. A filter (POSIX ERE, NULL = all) keeps matching
 * ids only. Errors: LB_ENOINPUT (unknown suite or missing file), LB_EDATA
 * (malformed file: err holds "file:line:column: cause"), LB_EUSAGE (bad regex),
 * LB_ENOMEM. */
/* 1 when op names an operation the harness can measure (noop, create, add, add_batch,
 * knn, knn_batch, attention, attention_batch, build, attention_build). */
int lb_op_known(const char *op);

int  lb_suite_load(const char *name_or_path, const char *filter, lb_case_list *list, char *err, size_t errlen);
void lb_case_list_free(lb_case_list *list);

#endif
