/* Inside the cluster module: the communicators and the custom MPI types and
 * operations, created once at start-up. */
#ifndef LB_CLUSTER_INTERNAL_H
#define LB_CLUSTER_INTERNAL_H

#include "latentbench/cluster.h"

#include <mpi.h>

struct lb__cluster_comms {
    MPI_Comm     world; /* a duplicate of MPI_COMM_WORLD */
    MPI_Comm     node;  /* ranks sharing this node's memory */
    MPI_Datatype sync_type;
    MPI_Op       sync_op, knn_op, attn_op;
    MPI_Request *notice_reqs; /* failure notices in flight */
};

void lb__cluster_ops_init(lb__cluster_comms *k);
void lb__cluster_ops_free(lb__cluster_comms *k);

#endif
