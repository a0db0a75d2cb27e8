/* Benchmark suites: TOML files under bench/ that declare groups of benchmarks
 * and their parameter grids; loading one expands it into cases with their ids. */
#ifndef LATENTBENCH_SUITE_H
#define LATENTBENCH_SUITE_H

#include "latentbench/results.h"

#include <stddef.h>
#include <stdint.h>

#define LB_ORIGIN_LEN 256
#define LB_ADD_RESET 1024         /* add: a fresh space every this many adds (untimed) */
#define LB_SUITE_MAX_CASES 100000 /* cases one load may expand to */
#define LB_MAX_EXPERTS 4096       /* liblatent's LT_MAX_EXPERTS (the ops module checks they agree) */

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

/* The index of a metric name in lt_metric's order (Euclidean, Cosine, Manhattan,
 * Hyperbolic, Dot; case ignored), 0 for "" (the default), -1 when unknown. */
int lb_metric_parse(const char *name);
/* The same for attention names (Standard, Flash, MultiHead, MoE). */
int lb_attention_parse(const char *name);

/* Which implementation a case measures (its `impl`, docs/PEERS.md): the build of
 * liblatent under test, or a peer library behind the same ABI. */
typedef enum { LB_IMPL_LIBLATENT, LB_IMPL_FAISS, LB_IMPL_COUNT } lb_impl;
/* LB_IMPL_* of a name (case ignored; "" = liblatent), -1 when unknown. */
int lb_impl_parse(const char *name);
/* "liblatent", "faiss"; NULL when out of range. */
const char *lb_impl_name(int impl);

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
    char    impl[LB_NAME_LEN];      /* liblatent ("" too) or a peer: faiss (docs/PEERS.md) */
    int64_t elements;               /* throughput elements per iteration; 0 = none declared */
    char    origin[LB_ORIGIN_LEN];  /* "file:line:column" of the group's id that made it; "" if built in code */
} lb_case;

/* What a case allocates, before a dataset or data sharding changes it: the
 * dimension, rows over all ranks, queries per call, the neighbours asked per
 * query (k bounded by the rows searched: min(k, rows) for knn and knn_batch,
 * k for knn_merge, 0 where there are no answers), the floats of attention
 * state per query that data sharding keeps (groups x (d + 2)) and of the MoE gate. */
typedef struct {
    uint64_t d, rows, nq, k, state_floats, gate_floats;
} lb_case_shape;

/* Checks that c can run, as liblatent's contract (spec/kernels.md) and the
 * operation need: names known, every size >= 1 where the op uses it and at most
 * 2^40, num_heads dividing the dimension, experts consistent, a finite
 * negative curvature, every size product free of overflow, and the memory
 * estimate (lb_case_bytes for one process) at most max_memory (0: no limit).
 * Returns LB_OK, or LB_EDATA with the cause in err (no place) and *param set to
 * the parameter to blame ("dimension", ...), "op" for a missing parameter, or
 * "id" for the case as a whole. Suites are checked with it on load; the ops
 * module checks shapes and memory again, per rank, before allocating. */
int lb_case_validate(const lb_case *c, uint64_t max_memory, const char **param, char *err, size_t errlen);

/* 1 when a and b measure the same workload (operation and every parameter as
 * the ops use it, defaults spelt out or not), whatever their ids and impls:
 * a peer case and the liblatent case it pairs with. */
int lb_case_same_workload(const lb_case *a, const lb_case *b);

/* The shape of a valid case (lb_case_validate first): 0 on overflow. */
int lb_case_shape_of(const lb_case *c, lb_case_shape *sh);

/* Bytes one rank needs for a case of shape sh holding local_rows of its rows
 * (staged rows, the space's copy with ids and norms, queries, outputs, answers,
 * the MoE gate; with sharded attention also the states): the estimate both the
 * suite check and the memory limit use. 0 when a product overflows. */
uint64_t lb_case_bytes(const lb_case_shape *sh, uint64_t local_rows, int sharded_attention);

/* This machine's physical memory in bytes (0 when unknown): no case of a
 * suite may need more. Run's per-rank limits (--max-memory,
 * LATENTBENCH_MAX_MEMORY) are checked by the ops module with the shape a
 * rank really runs (latentbench/ops.h, lb_op_check). */
uint64_t lb_machine_memory(void);

typedef struct {
    lb_case *cases;
    size_t   count, cap;
} lb_case_list;

/* Directory holding the built-in suite files (compiled in; LATENTBENCH_SUITE_DIR
 * in the environment overrides it). */
const char *lb_suite_dir(void);

/* Loads a suite by built-in name ("latency", "ci", "all", ...) or by path (anything
 * containing '/' or ending in ".toml") and appends its expanded cases to list.
 * Every case of the suite (and of its includes) is checked with
 * lb_case_validate against lb_machine_memory() before anything is returned, so
 * list, run and ab refuse the same files. An id defined twice names one case
 * when both definitions measure the same thing (then it runs once), else it is
 * an error naming both places. A filter (POSIX ERE, NULL = all) keeps matching
 * ids only. Errors: LB_ENOINPUT (unknown suite or missing file), LB_EDATA
 * (malformed or invalid file: err holds "file:line:column: cause"), LB_EUSAGE
 * (bad regex), LB_ENOMEM. */
int  lb_suite_load(const char *name_or_path, const char *filter, lb_case_list *list, char *err, size_t errlen);
void lb_case_list_free(lb_case_list *list);

#endif
