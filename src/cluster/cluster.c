#include "latentbench/cluster.h"
#include "latentbench/error.h"

#include <mpi.h>

int lb_cluster_init(int *argc, char ***argv, lb_cluster *c)
{
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) return LB_EINTERNAL;
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    return LB_OK;
}

void lb_cluster_finalize(void)
{
    int done = 0;
    MPI_Finalized(&done);
    if (!done) MPI_Finalize();
}

void lb_cluster_barrier(const lb_cluster *c)
{
    if (c->size > 1) MPI_Barrier(MPI_COMM_WORLD);
}

double lb_cluster_max(const lb_cluster *c, double v)
{
    double r = v;
    if (c->size > 1) MPI_Allreduce(&v, &r, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return r;
}

int lb_cluster_agree_status(const lb_cluster *c, int status)
{
    int r = status;
    if (c->size > 1) MPI_Allreduce(&status, &r, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return r;
}

void lb_cluster_gather(const lb_cluster *c, double v, double *out)
{
    if (c->size > 1) MPI_Gather(&v, 1, MPI_DOUBLE, out, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    else out[0] = v;
}

void lb_cluster_gather_ranks(const lb_cluster *c, const lb_rank_row *mine, lb_rank_row *out)
{
    /* plain bytes: every rank runs the same binary, so the layout is shared */
    if (c->size > 1)
        MPI_Gather(mine, (int)sizeof *mine, MPI_BYTE, out, (int)sizeof *mine, MPI_BYTE, 0, MPI_COMM_WORLD);
    else
        out[0] = *mine;
}

int lb_cluster_local_size(const lb_cluster *c)
{
    if (c->size == 1) return 1;
    MPI_Comm node;
    int n = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, c->rank, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
        MPI_Comm_size(node, &n);
        MPI_Comm_free(&node);
    }
    return n;
}

void lb_cluster_bcast_str(const lb_cluster *c, char *buf, int len)
{
    if (c->size > 1) MPI_Bcast(buf, len, MPI_CHAR, 0, MPI_COMM_WORLD);
}
