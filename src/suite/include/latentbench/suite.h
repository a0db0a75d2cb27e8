/* Benchmark suites: TOML files under bench/ that declare groups of benchmarks
 * and their parameter grids; loading one expands it into cases with their ids. */
#ifndef LATENTBENCH_SUITE_H
#define LATENTBENCH_SUITE_H

#include "latentbench/results.h"

#include <stddef.h>
#include <stdint.h>

/* The operations a case can name; the suite owns this vocabulary, the
 * operations module (latentbench/ops.h) implements each kind. */
typedef enum {
    LB_OP_NOOP,        /* nothing: the harness's own cost per iteration */
    LB_OP_CREATE,      /* lt_space_create + destroy */
    LB_OP_ADD,         /* lt_space_add into a fresh space */
    LB_OP_ADD_BATCH,   /* lt_space_add_batch of batch_size into a fresh space */
    LB_OP_KNN,         /* lt_space_knn over dataset_size rows */
    LB_OP_KNN_BATCH,   /* lt_space_knn_batch of batch_size queries */
    LB_OP_ATTN,        /* lt_space_attention over seq_len rows */
    LB_OP_ATTN_BATCH,  /* lt_space_attention_batch */
    LB_OP_BUILD,       /* create + dataset_size adds with explicit ids + destroy */
    LB_OP_ATTN_BUILD,  /* create + seq_len adds + one attention + destroy */
    LB_OP_KNN_MERGE,   /* data sharding's top-k merge alone: batch_size lists of k over the ranks */
    LB_OP_COUNT
} lb_op_kind;

/* The kind an operation name denotes, or -1 for an unknown name. */
int lb_op_kind_parse(const char *name);

/* The name of a kind ("knn", ...), or NULL when out of range. */
const char *lb_op_kind_name(int kind);

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
int  lb_suite_load(const char *name_or_path, const char *filter, lb_case_list *list, char *err, size_t errlen);
void lb_case_list_free(lb_case_list *list);

#endif
