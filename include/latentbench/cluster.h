/* MPI for the harness: one process is a singleton (single-node mode); under
 * mpirun/srun every rank runs the same binary. Timing follows OSU: barrier,
 * time only the operation, reduce over ranks. */
#ifndef LATENTBENCH_CLUSTER_H
#define LATENTBENCH_CLUSTER_H

#include "latentbench/results.h"

typedef struct {
    int rank, size;
} lb_cluster;

/* MPI_Init (threads: funneled); LB_EINTERNAL if MPI cannot start. */
int  lb_cluster_init(int *argc, char ***argv, lb_cluster *c);
void lb_cluster_finalize(void);
void lb_cluster_barrier(const lb_cluster *c);

/* Maximum of v over ranks, known to every rank. */
double lb_cluster_max(const lb_cluster *c, double v);

/* Smallest (most negative) status over ranks, known to every rank: one
 * failing rank makes all of them stop the same way. */
int lb_cluster_agree_status(const lb_cluster *c, int status);

/* Gathers one double from every rank to rank 0 (out has size entries there). */
void lb_cluster_gather(const lb_cluster *c, double v, double *out);

/* Gathers every rank's row to rank 0 (out has size rows there). */
void lb_cluster_gather_ranks(const lb_cluster *c, const lb_rank_row *mine, lb_rank_row *out);

/* Ranks on this node (sharing memory with this one). */
int lb_cluster_local_size(const lb_cluster *c);

/* Broadcasts a string of at most len bytes from rank 0. */
void lb_cluster_bcast_str(const lb_cluster *c, char *buf, int len);

#endif
