/* Ranks, nodes, status agreement, failure notices and gathers. */
#define _POSIX_C_SOURCE 200809L
#include "cluster_internal.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/interrupt.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LB_TAG_FAILURE 7301 /* a failure notice between independently measuring ranks */

static MPI_Comm world(const lb_cluster *c) { return c->comms ? c->comms->world : MPI_COMM_WORLD; }

/* A rank that crashes ends the job: without this, a launcher that does not
 * kill a job whose task died (srun without --kill-on-bad-exit) leaves the
 * other ranks waiting in their next collective until the walltime. The line
 * is formatted beforehand: only write() and MPI_Abort run in the handler
 * (MPI_Abort is not async-signal-safe, but the process is lost anyway).
 * Sanitizer builds keep their own handlers and reports. */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
static char crash_prefix[160];
static size_t crash_prefix_len;

static void on_crash(int sig)
{
    const char *name = lb_signal_name(sig);
    static const char tail[] = "; ending the job\n";
    if (write(STDERR_FILENO, crash_prefix, crash_prefix_len) < 0 || write(STDERR_FILENO, name, strlen(name)) < 0 ||
        write(STDERR_FILENO, tail, sizeof tail - 1) < 0) {
        /* nothing more to say */
    }
    MPI_Abort(MPI_COMM_WORLD, 128 + sig);
    raise(sig); /* SA_RESETHAND: the default action now */
}

static void abort_job_on_crash(const lb_cluster *c)
{
    char host[64] = "?";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    int n = snprintf(crash_prefix, sizeof crash_prefix, "latentbench: rank %d (%s): killed by ", c->rank, host);
    crash_prefix_len = n < 0 ? 0 : (size_t)n < sizeof crash_prefix ? (size_t)n : sizeof crash_prefix - 1;
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_crash;
        sa.sa_flags = (int)SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}
#else
static void abort_job_on_crash(const lb_cluster *c) { (void)c; }
#endif

int lb_cluster_init(int *argc, char ***argv, lb_cluster *c)
{
    memset(c, 0, sizeof *c);
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) return LB_EINTERNAL;
    lb__cluster_comms *k = lb_calloc(1, sizeof *k);
    if (!k) return LB_ENOMEM;
    c->comms = k;
    /* a duplicate: the harness's messages never mix with a library's */
    MPI_Comm_dup(MPI_COMM_WORLD, &k->world);
    MPI_Comm_rank(k->world, &c->rank);
    MPI_Comm_size(k->world, &c->size);
    MPI_Comm_split_type(k->world, MPI_COMM_TYPE_SHARED, c->rank, MPI_INFO_NULL, &k->node);
    MPI_Comm_rank(k->node, &c->node_rank);
    MPI_Comm_size(k->node, &c->node_size);
    /* nodes numbered by their lowest rank: the node leaders' order in world */
    MPI_Comm leaders;
    MPI_Comm_split(k->world, c->node_rank == 0 ? 0 : MPI_UNDEFINED, c->rank, &leaders);
    int ids[2] = {0, 1};
    if (leaders != MPI_COMM_NULL) {
        MPI_Comm_rank(leaders, &ids[0]);
        MPI_Comm_size(leaders, &ids[1]);
        MPI_Comm_free(&leaders);
    }
    MPI_Bcast(ids, 2, MPI_INT, 0, k->node);
    c->node = ids[0];
    c->nodes = ids[1];
    lb__cluster_ops_init(k);
    if (c->size > 1) abort_job_on_crash(c);
    return LB_OK;
}

void lb_cluster_init_local(lb_cluster *c)
{
    memset(c, 0, sizeof *c);
    c->size = c->node_size = c->nodes = 1;
}

void lb_cluster_finalize(lb_cluster *c)
{
    int started = 0, done = 0;
    MPI_Initialized(&started);
    if (!started) { /* a local singleton: MPI never ran */
        if (c) c->comms = NULL;
        return;
    }
    MPI_Finalized(&done);
    if (!done && c && c->comms) {
        lb__cluster_ops_free(c->comms);
        MPI_Comm_free(&c->comms->node);
        MPI_Comm_free(&c->comms->world);
    }
    if (c) {
        lb_free(c->comms);
        c->comms = NULL;
    }
    if (!done) MPI_Finalize();
}

void lb_cluster_barrier(const lb_cluster *c)
{
    if (c->size > 1) MPI_Barrier(world(c));
}

void lb_sync_set(lb_sync *v, int status, double x)
{
    memset(v, 0, sizeof *v);
    v->status = status;
    v->max[0] = v->max[1] = v->min = v->sum[0] = x;
}

void lb_cluster_sync(const lb_cluster *c, lb_sync *v)
{
    v->failed = v->status != LB_OK;
    v->failed_rank = v->failed ? c->rank : INT_MAX;
    v->notices = c->notices_sent;
    if (c->size > 1) {
        lb_sync in = *v;
        MPI_Allreduce(&in, v, 1, c->comms->sync_type, c->comms->sync_op, world(c));
    }
    if (v->failed_rank == INT_MAX) v->failed_rank = -1;
}

int lb_cluster_agree_status(const lb_cluster *c, int status, int *failed_rank)
{
    lb_sync v;
    lb_sync_set(&v, status, 0.0);
    lb_cluster_sync(c, &v);
    if (failed_rank) *failed_rank = v.failed_rank;
    return v.status;
}

void lb_cluster_notify_failure(lb_cluster *c)
{
    if (c->size == 1 || c->notices_sent) return;
    static const int one = 1;
    lb__cluster_comms *k = c->comms;
    k->notice_reqs = lb_calloc((size_t)c->size, sizeof *k->notice_reqs);
    if (!k->notice_reqs) return; /* the others then learn of it at the final agreement */
    for (int r = 0; r < c->size; r++) {
        k->notice_reqs[r] = MPI_REQUEST_NULL;
        if (r != c->rank) MPI_Isend(&one, 1, MPI_INT, r, LB_TAG_FAILURE, k->world, &k->notice_reqs[r]);
    }
    c->notices_sent = 1;
}

int lb_cluster_failure_pending(const lb_cluster *c)
{
    if (c->size == 1) return 0;
    int flag = 0;
    MPI_Iprobe(MPI_ANY_SOURCE, LB_TAG_FAILURE, world(c), &flag, MPI_STATUS_IGNORE);
    return flag;
}

void lb_cluster_drain_notices(lb_cluster *c, int total)
{
    if (c->size == 1) return;
    int mine = total - c->notices_sent; /* every sender wrote to every other rank */
    for (int i = 0; i < mine; i++) {
        int v;
        MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, LB_TAG_FAILURE, world(c), MPI_STATUS_IGNORE);
    }
    if (c->comms->notice_reqs) {
        MPI_Waitall(c->size, c->comms->notice_reqs, MPI_STATUSES_IGNORE);
        lb_free(c->comms->notice_reqs);
        c->comms->notice_reqs = NULL;
    }
    /* settled: a later sync must not count these again (the others would wait
     * for messages already received), and a later failure can notify anew */
    c->notices_sent = 0;
}

void lb_cluster_bcast(const lb_cluster *c, int root, void *buf, size_t len)
{
    if (c->size == 1 || len == 0) return;
    /* in chunks: MPI counts are int */
    for (size_t off = 0; off < len; off += (size_t)INT_MAX) {
        size_t n = len - off < (size_t)INT_MAX ? len - off : (size_t)INT_MAX;
        MPI_Bcast((char *)buf + off, (int)n, MPI_BYTE, root, world(c));
    }
}

void lb_cluster_allgather_int(const lb_cluster *c, int v, int *out)
{
    if (c->size > 1) MPI_Allgather(&v, 1, MPI_INT, out, 1, MPI_INT, world(c));
    else out[0] = v;
}

void lb_cluster_gather(const lb_cluster *c, double v, double *out)
{
    if (c->size > 1) MPI_Gather(&v, 1, MPI_DOUBLE, out, 1, MPI_DOUBLE, 0, world(c));
    else out[0] = v;
}

void lb_cluster_gather_ranks(const lb_cluster *c, const lb_rank_row *mine, lb_rank_row *out)
{
    /* plain bytes: every rank runs the same binary, so the layout is shared */
    if (c->size > 1)
        MPI_Gather(mine, (int)sizeof *mine, MPI_BYTE, out, (int)sizeof *mine, MPI_BYTE, 0, world(c));
    else
        out[0] = *mine;
}

int lb_cluster_gatherv(const lb_cluster *c, const void *buf, size_t len, void **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (c->size == 1) {
        void *p = lb_malloc(len ? len : 1);
        if (!p) return LB_ENOMEM;
        if (len) memcpy(p, buf, len);
        *out = p;
        *out_len = len;
        return LB_OK;
    }
    long long mine = (long long)len, *lens = NULL;
    int *counts = NULL, *displs = NULL, rc = LB_OK;
    if (c->rank == 0) {
        lens = lb_calloc((size_t)c->size, sizeof *lens);
        counts = lb_calloc((size_t)c->size, sizeof *counts);
        displs = lb_calloc((size_t)c->size, sizeof *displs);
        if (!lens || !counts || !displs) rc = LB_ENOMEM;
    }
    rc = lb_cluster_agree_status(c, rc, NULL);
    if (rc) goto done;
    MPI_Gather(&mine, 1, MPI_LONG_LONG, lens, 1, MPI_LONG_LONG, 0, world(c));
    long long total = 0;
    if (c->rank == 0) {
        for (int r = 0; r < c->size; r++) {
            if (lens[r] > INT_MAX || total > INT_MAX - lens[r]) {
                rc = LB_EINTERNAL;
                break;
            }
            counts[r] = (int)lens[r];
            displs[r] = (int)total;
            total += lens[r];
        }
        if (!rc && !(*out = lb_malloc(total ? (size_t)total : 1))) rc = LB_ENOMEM;
    }
    rc = lb_cluster_agree_status(c, rc, NULL);
    if (rc) {
        lb_free(*out);
        *out = NULL;
        goto done;
    }
    MPI_Gatherv(buf, (int)len, MPI_BYTE, *out, counts, displs, MPI_BYTE, 0, world(c));
    *out_len = (size_t)total;
done:
    lb_free(lens);
    lb_free(counts);
    lb_free(displs);
    return rc;
}

int lb_cluster_node_overlap(const lb_cluster *c, const void *mask, size_t len)
{
    if (!c->comms) return 1;
    if (c->node_size == 1 || len > (size_t)INT_MAX / (size_t)c->node_size) return c->node_size;
    unsigned char *all = lb_malloc(len * (size_t)c->node_size);
    if (!all) return c->node_size; /* the cautious answer: every local rank shares */
    MPI_Allgather(mask, (int)len, MPI_BYTE, all, (int)len, MPI_BYTE, c->comms->node);
    const unsigned char *m = mask;
    int n = 0;
    for (int r = 0; r < c->node_size; r++) {
        const unsigned char *o = all + (size_t)r * len;
        for (size_t b = 0; b < len; b++)
            if (m[b] & o[b]) {
                n++;
                break;
            }
    }
    lb_free(all);
    return n < 1 ? 1 : n;
}
