/* The custom MPI operations: status agreement (the lowest failing rank wins,
 * as MPI_MINLOC would pick it), the top-k merge of sorted (distance, id) lists
 * and the online-softmax merge of attention states. */
#include "cluster_internal.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static void sync_fn(void *invec, void *inoutvec, int *len, MPI_Datatype *dt)
{
    (void)dt;
    const lb_sync *in = invec;
    lb_sync *io = inoutvec;
    for (int i = 0; i < *len; i++, in++, io++) {
        if (in->failed_rank < io->failed_rank) {
            io->failed_rank = in->failed_rank;
            io->status = in->status;
        }
        io->failed += in->failed;
        io->notices += in->notices;
        for (int j = 0; j < 2; j++) {
            if (in->max[j] > io->max[j]) io->max[j] = in->max[j];
            io->sum[j] += in->sum[j];
        }
        if (in->min < io->min) io->min = in->min;
    }
}

/* (distance, id) order, as liblatent sorts its answers. */
static int before(const lt_neighbor *a, const lt_neighbor *b)
{
    return a->distance < b->distance || (a->distance == b->distance && a->id < b->id);
}

/* Scratch for one merged list; the operation runs on the calling thread. */
static lt_neighbor *g_knn_tmp;
static size_t g_knn_cap;

static void knn_fn(void *invec, void *inoutvec, int *len, MPI_Datatype *dt)
{
    int bytes = 0;
    MPI_Type_size(*dt, &bytes);
    size_t k = (size_t)bytes / sizeof(lt_neighbor);
    if (k > g_knn_cap) { /* sized by lb_cluster_knn_merge before the reduction; if that failed, */
        return;          /* the lists pass unmerged and that rank reports LB_ENOMEM */
    }
    const lt_neighbor *in = invec;
    lt_neighbor *io = inoutvec;
    for (int l = 0; l < *len; l++, in += k, io += k) {
        size_t a = 0, b = 0;
        for (size_t o = 0; o < k; o++) g_knn_tmp[o] = before(&in[a], &io[b]) ? in[a++] : io[b++];
        memcpy(io, g_knn_tmp, k * sizeof *io);
    }
}

/* The configuration of the states being merged and the build whose merge
 * combines them; set before each reduction (MPI operations take no context). */
static lt_config g_attn_cfg;
static const lb_latent *g_attn_lt;

static void attn_fn(void *invec, void *inoutvec, int *len, MPI_Datatype *dt)
{
    (void)dt;
    size_t s = g_attn_lt->attention_state_floats(&g_attn_cfg);
    const float *in = invec;
    float *io = inoutvec;
    for (int l = 0; l < *len; l++) g_attn_lt->attention_state_merge(&g_attn_cfg, io + (size_t)l * s, in + (size_t)l * s);
}

void lb__cluster_ops_init(lb__cluster_comms *k)
{
    int lens[2] = {4, 5};
    MPI_Aint disp[2] = {offsetof(lb_sync, status), offsetof(lb_sync, max)};
    MPI_Datatype types[2] = {MPI_INT, MPI_DOUBLE}, t;
    MPI_Type_create_struct(2, lens, disp, types, &t);
    MPI_Type_create_resized(t, 0, (MPI_Aint)sizeof(lb_sync), &k->sync_type);
    MPI_Type_free(&t);
    MPI_Type_commit(&k->sync_type);
    MPI_Op_create(sync_fn, 1, &k->sync_op);
    MPI_Op_create(knn_fn, 1, &k->knn_op);  /* a total order: commutative exactly */
    MPI_Op_create(attn_fn, 0, &k->attn_op); /* float rounding: keep rank order */
}

void lb__cluster_ops_free(lb__cluster_comms *k)
{
    MPI_Op_free(&k->sync_op);
    MPI_Op_free(&k->knn_op);
    MPI_Op_free(&k->attn_op);
    MPI_Type_free(&k->sync_type);
    lb_free(g_knn_tmp);
    g_knn_tmp = NULL;
    g_knn_cap = 0;
}

void lb_knn_pad(lt_neighbor *nb, size_t found, size_t k)
{
    for (size_t i = found; i < k; i++) {
        nb[i].id = UINT64_MAX;
        nb[i].distance = INFINITY;
    }
}

/* A contiguous type of `bytes`, committed; int-sized, checked by the callers. */
static MPI_Datatype block_type(size_t bytes)
{
    MPI_Datatype t;
    MPI_Type_contiguous((int)bytes, MPI_BYTE, &t);
    MPI_Type_commit(&t);
    return t;
}

int lb_cluster_knn_merge(const lb_cluster *c, lt_neighbor *nb, size_t nq, size_t k, size_t *found,
                         uint64_t *comm_ns)
{
    double t0 = MPI_Wtime();
    int rc = LB_OK;
    if (c->size > 1) {
        if (k > (size_t)INT32_MAX / sizeof *nb || nq > (size_t)INT32_MAX) return LB_EINTERNAL;
        if (k > g_knn_cap) {
            lt_neighbor *p = lb_realloc(g_knn_tmp, k * sizeof *p);
            if (p) {
                g_knn_tmp = p;
                g_knn_cap = k;
            } else
                rc = LB_ENOMEM; /* still take part: the other ranks enter the reduction anyway */
        }
        MPI_Datatype t = block_type(k * sizeof *nb);
        MPI_Reduce(c->rank == 0 ? MPI_IN_PLACE : nb, nb, (int)nq, t, c->comms->knn_op, 0, c->comms->world);
        MPI_Type_free(&t);
    }
    if (comm_ns) *comm_ns = (uint64_t)((MPI_Wtime() - t0) * 1e9);
    if (c->rank == 0 && found)
        for (size_t q = 0; q < nq; q++) {
            size_t n = 0;
            while (n < k && nb[q * k + n].id != UINT64_MAX) n++;
            found[q] = n;
        }
    return rc;
}

int lb_cluster_attention_merge(const lb_cluster *c, const lb_latent *lt, const lt_config *cfg, float *states,
                               size_t nq, uint64_t *comm_ns)
{
    double t0 = MPI_Wtime();
    if (c->size > 1) {
        size_t s = lt->attention_state_floats(cfg);
        if (s > (size_t)INT32_MAX / sizeof(float) || nq > (size_t)INT32_MAX) return LB_EINTERNAL;
        g_attn_cfg = *cfg;
        g_attn_lt = lt;
        MPI_Datatype t = block_type(s * sizeof(float));
        MPI_Reduce(c->rank == 0 ? MPI_IN_PLACE : states, states, (int)nq, t, c->comms->attn_op, 0,
                   c->comms->world);
        MPI_Type_free(&t);
    }
    if (comm_ns) *comm_ns = (uint64_t)((MPI_Wtime() - t0) * 1e9);
    return LB_OK;
}
