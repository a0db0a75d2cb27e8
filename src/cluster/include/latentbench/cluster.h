/* MPI for the harness: every MPI call of latentbench is in src/cluster/. One
 * process is a singleton (single-node mode); under mpirun/srun every rank runs
 * the same binary. Timing follows OSU: barrier, time only the operation,
 * reduce over ranks. */
#ifndef LATENTBENCH_CLUSTER_H
#define LATENTBENCH_CLUSTER_H

#include "latentbench/results.h"

#include "latentbench/loader.h"

#include <latent/latent.h>

#include <stddef.h>
#include <stdint.h>

typedef struct lb__cluster_comms lb__cluster_comms;

typedef struct {
    int rank, size;           /* in MPI_COMM_WORLD */
    int node_rank, node_size; /* among the ranks sharing this node's memory (MPI_COMM_TYPE_SHARED) */
    int node, nodes;          /* this node's index (nodes ordered by their lowest rank) and the count */
    int notices_sent;         /* failure notices this rank sent and has not yet drained */
    lb__cluster_comms *comms; /* the communicators; NULL in a process that never started MPI */
} lb_cluster;

/* MPI_Init (threads: funneled) and the node communicator; LB_EINTERNAL if MPI
 * cannot start. */
int  lb_cluster_init(int *argc, char ***argv, lb_cluster *c);
/* One process without MPI (rank 0 of 1): for commands that measure nothing
 * across ranks; every function below works on it, and finalize is a no-op. */
void lb_cluster_init_local(lb_cluster *c);
void lb_cluster_finalize(lb_cluster *c);
void lb_cluster_barrier(const lb_cluster *c);

/* What ranks agree on at a synchronisation point, in one MPI_Allreduce with a
 * custom operation: the status of the lowest failing rank (MPI_MINLOC-like:
 * failed_rank = -1 and status = LB_OK when none failed), the count of ranks
 * that failed, the maxima of two values, the minimum and the sums of two. */
typedef struct {
    int    status;      /* in: this rank's status; out: the lowest failing rank's */
    int    failed_rank; /* out: that rank, or -1 */
    int    failed;      /* in: 1 when this rank failed (set by lb_cluster_sync); out: how many */
    int    notices;     /* in: notices this rank sent; out: the total */
    double max[2], min, sum[2];
} lb_sync;

/* Fills v's reduction fields from one value (max, min and sum[0] = x). */
void lb_sync_set(lb_sync *v, int status, double x);

/* Every rank in, every rank out with the agreed values. A rank that fails
 * calls the same function with its status, wherever the others are: that is
 * what keeps a failure from leaving ranks in different collectives. */
void lb_cluster_sync(const lb_cluster *c, lb_sync *v);

/* The agreed status alone (lb_cluster_sync); *failed_rank may be NULL. */
int lb_cluster_agree_status(const lb_cluster *c, int status, int *failed_rank);

/* Ranks that measure independently (matrix sharding) cannot meet in a
 * collective after each sample: a failing rank tells the others with a
 * message instead, and they look for it between samples. */
void lb_cluster_notify_failure(lb_cluster *c);
int  lb_cluster_failure_pending(const lb_cluster *c); /* 1 when a notice is waiting */
/* After a sync that counted `total` notices: receives those addressed to this
 * rank and completes this rank's sends, so none is left in flight. */
void lb_cluster_drain_notices(lb_cluster *c, int total);

/* Broadcasts len bytes from root to every rank. */
void lb_cluster_bcast(const lb_cluster *c, int root, void *buf, size_t len);

/* Every rank's v, in rank order, on every rank (out has size entries). */
void lb_cluster_allgather_int(const lb_cluster *c, int v, int *out);

/* Gathers one double from every rank to rank 0 (out has size entries there). */
void lb_cluster_gather(const lb_cluster *c, double v, double *out);

/* Gathers every rank's row to rank 0 (out has size rows there). */
void lb_cluster_gather_ranks(const lb_cluster *c, const lb_rank_row *mine, lb_rank_row *out);

/* Gathers a byte buffer from every rank to rank 0: *out (lb_malloc'd, rank 0
 * only, caller frees) holds the buffers in rank order, (*out_len) bytes.
 * Collective; LB_ENOMEM, or LB_EINTERNAL past MPI's int counts (2 GiB). The
 * status is agreed, so every rank returns the same. */
int lb_cluster_gatherv(const lb_cluster *c, const void *buf, size_t len, void **out, size_t *out_len);

/* How many ranks of this node (this one included) may run on a core this
 * rank may run on: mask is this rank's affinity set (cpu_set_t bytes). */
int lb_cluster_node_overlap(const lb_cluster *c, const void *mask, size_t len);

/* Data sharding: the global top-k of nq queries. In: each rank's own sorted
 * top-k lists (nq x k, short lists padded with lb_knn_pad); out, on rank 0:
 * the k best by (distance, id) over all ranks, padded likewise, found[q] the
 * count of real entries. One MPI_Reduce with a user-defined operation merging
 * sorted lists. *comm_ns: the time spent in MPI. LB_OK; LB_ENOMEM (this rank
 * still took part, its lists unmerged); LB_EINTERNAL past MPI's int counts. */
void lb_knn_pad(lt_neighbor *nb, size_t found, size_t k);
int  lb_cluster_knn_merge(const lb_cluster *c, lt_neighbor *nb, size_t nq, size_t k, size_t *found,
                          uint64_t *comm_ns);

/* Data sharding: combines the ranks' attention states (nq states of
 * lt_attention_state_floats(cfg) floats) on rank 0 by an MPI_Reduce with the
 * online-softmax merge of that build of liblatent (lt) as a user-defined
 * operation. */
int lb_cluster_attention_merge(const lb_cluster *c, const lb_latent *lt, const lt_config *cfg, float *states,
                               size_t nq, uint64_t *comm_ns);

#endif
