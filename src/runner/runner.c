/* A run: plan -> schedule -> measure -> gather -> store (latentbench/runner.h). */
#define _POSIX_C_SOURCE 200809L
#include "runner_internal.h"
#include "journal.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/gate.h"
#include "latentbench/interrupt.h"
#include "latentbench/ops.h"
#include "latentbench/probe.h"
#include "latentbench/stats.h"
#include "latentbench/text.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LB_DEFAULT_OUTPUT "results/latest.h5"
#define LB_ERRLEN_MAX 512

const char *lb_shard_name(lb_shard s)
{
    static const char *const names[] = {"auto", "none", "matrix", "data"};
    return (unsigned)s < 4 ? names[s] : "?";
}

int lb_shard_parse(const char *s)
{
    for (int i = LB_SHARD_NONE; i <= LB_SHARD_DATA; i++)
        if (s && strcmp(s, lb_shard_name((lb_shard)i)) == 0) return i;
    return -1;
}

void lb_run_opts_init(lb_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->mo = lb_measure_defaults();
    o->seed = 42;
    o->resamples = LB_STATS_DEFAULT_RESAMPLES;
    o->workload_scale = 1.0;
    o->rounds = 1;
    o->shard = LB_SHARD_AUTO;
    o->node_concurrency = 1;
    o->output = LB_DEFAULT_OUTPUT;
}

/* ---- measuring one case ---------------------------------------------------- */


/* What the measurement hooks need. */
typedef struct {
    const lb_latent  *lt;
    lb_op_ctx        *op;
    const lb_cluster *cl;
    lb_shard          mode;
    int               sampling, remote;
    double            sum_peak;
    size_t            max_peak, nsamples;
    uint64_t          allocs;
    double           *rmin, *rmean; /* sample_size entries */
    size_t            nr, rcap;
    double            comm_ns, busy_ns;
} hook_ctx;

static int lockstep(lb_shard m) { return m == LB_SHARD_NONE || m == LB_SHARD_DATA; }

/* A sync that also notes whether a failure came from another rank. */
static int sync_status(hook_ctx *h, lb_sync *v)
{
    lb_cluster_sync(h->cl, v);
    if (v->status && v->failed_rank != h->cl->rank) h->remote = 1;
    return v->status;
}

static int measured(void *vctx, uint64_t iters, uint64_t *elapsed_ns)
{
    hook_ctx *h = vctx;
    /* checked before each timed call, warm-up included: a stop comes within one
     * call of the routine, never mid-sample */
    if (lb_interrupted()) return LB_EINTR;
    if (h->sampling) h->lt->mem_reset_peak();
    int rc = lb_op_run(h->op, iters, elapsed_ns);
    if (h->sampling) {
        lt_mem_stats st = h->lt->mem_stats_get();
        h->sum_peak += (double)st.peak_bytes;
        if (st.peak_bytes > h->max_peak) h->max_peak = st.peak_bytes;
        h->allocs += st.allocations;
        h->nsamples++;
    }
    return rc;
}

static int before_sample(int status, void *arg)
{
    hook_ctx *h = arg;
    h->sampling = 1;
    if (lockstep(h->mode)) { /* OSU: the ranks start each sample together */
        lb_sync v;
        lb_sync_set(&v, status, 0.0);
        return sync_status(h, &v);
    }
    if (!status && lb_cluster_failure_pending(h->cl)) {
        h->remote = 1;
        return LB_EINTERNAL;
    }
    return status;
}

static int agree(int status, double *est, void *arg)
{
    hook_ctx *h = arg;
    if (!lockstep(h->mode)) return status;
    lb_sync v;
    lb_sync_set(&v, status, *est);
    int rc = sync_status(h, &v);
    *est = v.max[0];
    return rc;
}

/* Data sharding: a sample's time is the slowest rank's (the answer exists only
 * when it has its part); the fastest and the mean are kept beside it. */
static int after(int status, uint64_t *t, uint64_t *wall, void *arg)
{
    hook_ctx *h = arg;
    lb_sync v;
    lb_sync_set(&v, status, (double)*t);
    v.max[1] = (double)*wall;
    v.sum[1] = (double)lb_op_comm_ns(h->op);
    int rc = sync_status(h, &v);
    *t = (uint64_t)v.max[0];
    *wall = (uint64_t)v.max[1];
    if (h->sampling && !rc && h->nr < h->rcap) {
        h->rmin[h->nr] = v.min;
        h->rmean[h->nr] = v.sum[0] / h->cl->size;
        h->nr++;
        h->comm_ns += v.sum[1];
        h->busy_ns += v.sum[0];
    }
    return rc;
}

int lb__acc_reserve(case_acc *a, size_t more)
{
    if (a->n + more <= a->cap) return LB_OK;
    size_t cap = (a->n + more) * 2;
    lb_sample *s = lb_realloc(a->s, cap * sizeof *s);
    if (s) a->s = s;
    double *mn = lb_realloc(a->rmin, cap * sizeof *mn);
    if (mn) a->rmin = mn;
    double *me = lb_realloc(a->rmean, cap * sizeof *me);
    if (me) a->rmean = me;
    if (!s || !mn || !me) return LB_ENOMEM;
    a->cap = cap;
    return LB_OK;
}

void lb__acc_free(case_acc *a)
{
    lb_free(a->s);
    lb_free(a->rmin);
    lb_free(a->rmean);
}

/* One round of one benchmark: build the op, measure, append the samples to a.
 * *remote is set when the failure returned came from another rank. */
static int measure_round(const lb_case *c, const lb_op_env *env, lb_shard mode, const lb_measure_opts *round_mo,
                         unsigned round, const lb_cluster *cl, case_acc *a, int *remote, char *err, size_t errlen)
{
    hook_ctx h;
    memset(&h, 0, sizeof h);
    h.lt = env->lt;
    h.cl = cl;
    h.mode = mode;
    int rc = lb_op_prepare(c, env, &h.op, err, errlen);
    if (lockstep(mode)) {
        lb_sync v;
        lb_sync_set(&v, rc, 0.0);
        rc = sync_status(&h, &v);
    }
    h.rcap = round_mo->sample_size;
    if (!rc && mode == LB_SHARD_DATA) {
        h.rmin = lb_malloc(h.rcap * sizeof *h.rmin);
        h.rmean = lb_malloc(h.rcap * sizeof *h.rmean);
        if (!h.rmin || !h.rmean) rc = lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", c->id);
        if (lockstep(mode)) { /* every rank has its buffers, or none measures */
            lb_sync v;
            lb_sync_set(&v, rc, 0.0);
            rc = sync_status(&h, &v);
        }
    }
    lb_measurement m;
    memset(&m, 0, sizeof m);
    if (!rc) {
        lb_op_shape(h.op, &a->dim, &a->rows);
        lb_measure_opts mo = *round_mo;
        mo.before_sample = before_sample;
        mo.agree = agree;
        mo.after = mode == LB_SHARD_DATA ? after : NULL;
        mo.hook_arg = &h;
        rc = lb_measure(measured, &h, &mo, &m);
        if (!rc && lockstep(mode)) { /* the last sample's status */
            lb_sync v;
            lb_sync_set(&v, LB_OK, 0.0);
            rc = sync_status(&h, &v);
        }
    }
    lb_op_free(h.op);
    if (!rc) rc = lb__acc_reserve(a, m.nsamples);
    if (!rc) {
        for (size_t j = 0; j < m.nsamples; j++) {
            lb_sample *s = &a->s[a->n];
            s->iterations = m.iters[j];
            s->ns_per_iter = m.ns_per_iter[j];
            s->round = round;
            a->rmin[a->n] = j < h.nr ? h.rmin[j] / (double)m.iters[j] : NAN;
            a->rmean[a->n] = j < h.nr ? h.rmean[j] / (double)m.iters[j] : NAN;
            a->n++;
        }
        a->all_linear = (round == 0 || a->all_linear) && m.sampling == LB_SAMPLING_LINEAR;
        a->budget_limited |= m.budget_limited;
        a->total_iters += m.total_iters;
        a->sum_peak += h.sum_peak;
        a->nmem += h.nsamples;
        a->allocs += h.allocs;
        a->comm_ns += h.comm_ns;
        a->busy_ns += h.busy_ns;
        if (h.max_peak > a->max_peak) a->max_peak = h.max_peak;
        a->rounds_done++;
    } else if (!err[0] && !h.remote) {
        if (rc == LB_EINTR)
            snprintf(err, errlen, "interrupted by %s during %s", lb_signal_name(lb_interrupted()), c->id);
        else
            snprintf(err, errlen, "%s: the measurement failed (%s)", c->id, lb_strerror(rc));
    }
    lb_measurement_free(&m);
    lb_free(h.rmin);
    lb_free(h.rmean);
    *remote = rc && h.remote;
    return rc;
}

/* ---- rows ------------------------------------------------------------------ */

lb_case lb__scaled_case(const lb_case *in, double scale)
{
    lb_case c = *in;
    if (scale != 1.0) {
        c.dataset_size = (int64_t)llround((double)c.dataset_size * scale);
        c.seq_len = (int64_t)llround((double)c.seq_len * scale);
        c.batch_size = (int64_t)llround((double)c.batch_size * scale);
    }
    return c;
}

double lb__median_of(double *v, size_t n)
{
    if (!n) return NAN;
    for (size_t i = 1; i < n; i++) /* insertion sort: rank and sample counts are small */
        for (size_t j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* This rank's row of a case from all its rounds. A row that only carries
 * this rank's memory to rank 0 (data sharding, ranks other than 0) skips the
 * statistics. */
/* What a row says its case measured: the fields the gate compares. */
static void workload_fields(const lb_case *c, lb_row *row)
{
    snprintf(row->op, sizeof row->op, "%s", c->op);
    row->dimension = c->dimension;
    row->k = c->k;
    row->dataset_size = c->dataset_size;
    row->batch_size = c->batch_size;
    row->seq_len = c->seq_len;
    row->num_heads = !strcmp(c->attention, "MultiHead") ? (c->num_heads ? c->num_heads : 8) : 0;
    row->num_experts = !strcmp(c->attention, "MoE") ? (c->num_experts ? c->num_experts : 4) : 0;
    snprintf(row->metric, sizeof row->metric, "%s", c->metric);
    snprintf(row->attention, sizeof row->attention, "%s", c->attention);
}

/* run --baseline: a case the baseline measured on another workload under
 * the same id would be refused by the gate after the run; refuse it now. */
static int check_against_baseline(const lb_case_list *list, double scale, const lb_results *base, char *err,
                                  size_t errlen)
{
    static lb_row mine, theirs; /* large: off the stack; rank 0 alone, once */
    for (size_t i = 0; i < list->count; i++) {
        lb_case c = lb__scaled_case(&list->cases[i], scale);
        for (size_t j = 0; j < base->nrows; j++) {
            if (strcmp(base->rows[j].id, c.id) != 0) continue;
            memset(&mine, 0, sizeof mine);
            workload_fields(&c, &mine);
            theirs = base->rows[j];
            char why[2 * LB_NAME_LEN + 128], sid[LB_ID_LEN + 16];
            if (lb_gate_workload_differs(&theirs, &mine, why, sizeof why))
                return lb_errorf(err, errlen, LB_EDATA, "benchmark '%s' measured different workloads: %s",
                                 lb_sanitize(sid, sizeof sid, c.id), why);
            break;
        }
    }
    return LB_OK;
}

int lb__make_row(const lb_case *c, const case_acc *a, const lb_run_opts *o, lb_shard mode, const lb_cluster *cl,
                    const char *host, lb_row *row, char *err, size_t errlen)
{
    if (mode == LB_SHARD_DATA && cl->rank != 0) {
        memset(row, 0, sizeof *row);
        row->peak_bytes = row->peak_bytes_sum = a->max_peak;
        row->rss_peak_bytes = row->rss_peak_bytes_sum = lb_rss_peak_bytes();
        return LB_OK;
    }
    double *t = lb_malloc((a->n ? a->n : 1) * sizeof *t);
    uint64_t *it = lb_malloc((a->n ? a->n : 1) * sizeof *it);
    if (!t || !it) {
        lb_free(t);
        lb_free(it);
        return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", c->id);
    }
    for (size_t j = 0; j < a->n; j++) {
        t[j] = a->s[j].ns_per_iter;
        it[j] = a->s[j].iterations;
    }
    lb_stats_summary st;
    int rc = lb_stats_summarize(t, it, a->n, o->resamples, LB_STATS_DEFAULT_SEED, LB_STATS_DEFAULT_CONFIDENCE, &st);
    lb_free(it);
    if (rc) {
        lb_free(t);
        return lb_errorf(err, errlen, rc, "%s: statistics failed (%s)", c->id, lb_strerror(rc));
    }
    memset(row, 0, sizeof *row);
    snprintf(row->id, sizeof row->id, "%s", c->id);
    int impl = lb_impl_parse(c->impl); /* the canonical spelling of a case's impl */
    snprintf(row->impl, sizeof row->impl, "%s", impl > 0 ? lb_impl_name(impl) : LB_IMPL_DEFAULT);
    snprintf(row->suite, sizeof row->suite, "%s", c->suite);
    snprintf(row->group, sizeof row->group, "%s", c->group);
    workload_fields(c, row);
    row->samples = (int64_t)a->n;
    row->iterations = (int64_t)a->total_iters;
    row->rounds = a->rounds ? a->rounds : o->rounds;
    row->mean_ns = st.mean;
    row->median_ns = st.median;
    row->std_dev_ns = st.std_dev;
    row->mad_ns = st.mad;
    row->min_ns = st.min;
    row->max_ns = st.max;
    row->ci_low_ns = st.mean_ci_low;
    row->ci_high_ns = st.mean_ci_high;
    row->slope_ns = a->all_linear ? st.slope : NAN;
    row->outliers_mild = (int64_t)st.outliers.mild;
    row->outliers_severe = (int64_t)st.outliers.severe;
    if (c->elements > 0 && st.median > 0) {
        row->throughput_elements = (double)c->elements / st.median * 1e9;
        row->throughput_bytes = row->throughput_elements * (double)c->dimension * sizeof(float);
    }
    row->peak_bytes = row->peak_bytes_sum = a->max_peak;
    row->avg_bytes = a->nmem ? (uint64_t)(a->sum_peak / (double)a->nmem) : 0;
    row->allocations = a->total_iters ? (a->allocs + a->total_iters / 2) / a->total_iters : 0;
    row->rss_peak_bytes = row->rss_peak_bytes_sum = lb_rss_peak_bytes();
    row->ranks = 1;
    row->rank_min_ns = row->rank_median_ns = row->rank_max_ns = row->rank_mean_ns = st.median;
    row->measured_rank = mode == LB_SHARD_MATRIX ? cl->rank : -1;
    if (mode == LB_SHARD_MATRIX) snprintf(row->host, sizeof row->host, "%s", host);
    if (mode == LB_SHARD_DATA) { /* OSU's min / mean / max over ranks, as medians over the samples */
        for (size_t j = 0; j < a->n; j++) t[j] = a->rmin[j];
        row->rank_min_ns = lb__median_of(t, a->n);
        for (size_t j = 0; j < a->n; j++) t[j] = a->rmean[j];
        row->rank_mean_ns = lb__median_of(t, a->n);
        row->rank_median_ns = NAN; /* per-rank medians are not kept: the samples are agreed maxima */
        row->rank_max_ns = st.median;
        row->comm_fraction = a->busy_ns > 0 ? a->comm_ns / a->busy_ns : 0.0;
    }
    lb_free(t);
    if (o->dataset) { /* the dataset decides the shape; the id stays the suite's */
        row->dimension = (int64_t)a->dim;
        if (row->seq_len) row->seq_len = (int64_t)a->rows;
        else if (row->dataset_size) row->dataset_size = (int64_t)a->rows;
        const char *base = strrchr(o->dataset, '/');
        snprintf(row->note, sizeof row->note, "dataset %s", base ? base + 1 : o->dataset);
    }
    if (a->budget_limited)
        snprintf(row->note, sizeof row->note, "budget: %zu of %u samples", a->n,
                 o->rounds * lb_measure_round_opts(&o->mo, o->rounds).sample_size);
    if (a->note[0]) snprintf(row->note, sizeof row->note, "%s", a->note);
    return LB_OK;
}

/* ---- gather ---------------------------------------------------------------- */

/* One row on the wire: the case, whether this rank's row is the one stored
 * (then its samples follow), the row. */
typedef struct {
    uint64_t index, nsamples;
    int64_t  primary;
    lb_row   row;
} record;

int lb__buf_put(lb_buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t c = (b->len + n) * 2;
        unsigned char *q = lb_realloc(b->data, c);
        if (!q) return LB_ENOMEM;
        b->data = q;
        b->cap = c;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    return LB_OK;
}

/* Rank 0: combines the records of every rank into res, rows in list order. */
static int combine(const unsigned char *buf, size_t len, size_t ncases, int nranks, lb_shard mode, lb_results *res,
                   size_t *complete)
{
    lb_row *rows = lb_calloc(ncases, sizeof *rows);
    lb_sample **samples = lb_calloc(ncases, sizeof *samples);
    size_t *nsamples = lb_calloc(ncases, sizeof *nsamples);
    unsigned char *have = lb_calloc(ncases, 1);
    double *medians = lb_calloc(ncases * (size_t)nranks, sizeof *medians);
    size_t *nmed = lb_calloc(ncases, sizeof *nmed);
    int rc = (!rows || !samples || !nsamples || !have || !medians || !nmed) ? LB_ENOMEM : LB_OK;
    uint64_t *peak_max = NULL, *peak_sum = NULL, *rss_max = NULL, *rss_sum = NULL;
    if (!rc) {
        peak_max = lb_calloc(ncases * 4, sizeof *peak_max);
        if (!peak_max) rc = LB_ENOMEM;
        else {
            peak_sum = peak_max + ncases;
            rss_max = peak_sum + ncases;
            rss_sum = rss_max + ncases;
        }
    }
    for (size_t off = 0; !rc && off + sizeof(record) <= len;) {
        record r;
        memcpy(&r, buf + off, sizeof r);
        off += sizeof r;
        size_t sbytes = r.nsamples * sizeof(lb_sample);
        if (r.index >= ncases || off + sbytes > len) {
            rc = LB_EINTERNAL;
            break;
        }
        size_t i = r.index;
        if (r.primary) {
            rows[i] = r.row;
            have[i] = 1;
            if (r.nsamples && !(samples[i] = lb_malloc(sbytes))) rc = LB_ENOMEM;
            else if (r.nsamples) memcpy(samples[i], buf + off, sbytes);
            nsamples[i] = r.nsamples;
        }
        off += sbytes;
        if (nmed[i] < (size_t)nranks) medians[i * (size_t)nranks + nmed[i]++] = r.row.median_ns;
        if (r.row.peak_bytes > peak_max[i]) peak_max[i] = r.row.peak_bytes;
        peak_sum[i] += r.row.peak_bytes;
        if (r.row.rss_peak_bytes > rss_max[i]) rss_max[i] = r.row.rss_peak_bytes;
        rss_sum[i] += r.row.rss_peak_bytes;
    }
    size_t n = 0;
    for (size_t i = 0; !rc && i < ncases; i++) {
        if (!have[i]) continue;
        lb_row *row = &rows[i];
        row->ranks = (int64_t)nmed[i];
        row->peak_bytes = peak_max[i];
        row->peak_bytes_sum = peak_sum[i];
        row->rss_peak_bytes = rss_max[i];
        row->rss_peak_bytes_sum = rss_sum[i];
        if (mode == LB_SHARD_NONE) { /* node-to-node spread: every rank's own median */
            double *m = medians + i * (size_t)nranks, sum = 0;
            for (size_t j = 0; j < nmed[i]; j++) sum += m[j];
            row->rank_mean_ns = sum / (double)nmed[i];
            row->rank_median_ns = lb__median_of(m, nmed[i]); /* sorts m */
            row->rank_min_ns = m[0];
            row->rank_max_ns = m[nmed[i] - 1];
        }
        res->rows[n] = *row;
        res->samples[n] = samples[i];
        res->nsamples[n] = nsamples[i];
        samples[i] = NULL;
        n++;
    }
    res->nrows = n;
    *complete = n;
    for (size_t i = 0; samples && i < ncases; i++) lb_free(samples[i]);
    lb_free(rows);
    lb_free(samples);
    lb_free(nsamples);
    lb_free(have);
    lb_free(medians);
    lb_free(nmed);
    lb_free(peak_max);
    return rc;
}

/* ---- the journal (journal.h; docs/RESULTS.md) --------------------------------- */

/* This rank's part of the journal of a run. */
typedef struct {
    char          *header;    /* LB_JOURNAL_HEADER_MAX: "run=<nonce>" and the fingerprint */
    char           path[4200]; /* this rank's journal file ("" when it keeps none) */
    int            fd;
    unsigned char *done;      /* per case: its rows are in the journal (every rank the same) */
    size_t         ndone;
    lb_buf         old;       /* rank 0: the gather records of the done cases */
    size_t         rows;      /* rows this journal holds, old and new */
} journal;

static void journal_path(const char *output, int rank, char *path, size_t len)
{
    if (rank == 0) snprintf(path, len, "%s.journal", output);
    else snprintf(path, len, "%s.journal.%d", output, rank);
}

static void journal_free(journal *j)
{
    if (j->fd >= 0) close(j->fd);
    j->fd = -1;
    lb_free(j->header);
    lb_free(j->done);
    lb_free(j->old.data);
    j->header = NULL;
    j->done = NULL;
    j->old.data = NULL;
}

/* What differs, said of a fingerprint key: the option to fix where there is one. */
static const char *key_differs(const char *key, char *buf, size_t len)
{
    if (!strcmp(key, "latentbench")) return "the latentbench build differs";
    if (!strcmp(key, "lib")) return "the library measured (--lib) differs";
    if (!strcmp(key, "cases")) return "the benchmarks differ (a suite file changed)";
    if (!strcmp(key, "ranks")) return "the number of ranks differs";
    snprintf(buf, len, "--%s differs", key);
    return buf;
}

/* Takes the records of one journal file: each record holds the gather records
 * of one case (every rank's in lockstep modes, the measuring rank's in matrix
 * sharding). A case seen before is left out (a row measured twice is kept
 * once); a record that names a case this run does not have is damage. */
static int journal_take(journal *j, const lb_journal_file *f, const char *path, const lb_case_list *list,
                        char *err, size_t errlen)
{
    char shown[256];
    for (size_t k = 0; k < f->n; k++) {
        const unsigned char *p = f->data + f->off[k];
        size_t n = f->size[k], primary = SIZE_MAX, seen = 0;
        for (size_t at = 0; at < n;) {
            record r;
            if (n - at < sizeof r) goto bad;
            memcpy(&r, p + at, sizeof r);
            at += sizeof r;
            if (r.index >= list->count || r.nsamples > (n - at) / sizeof(lb_sample)) goto bad;
            at += r.nsamples * sizeof(lb_sample);
            if (r.primary) {
                if (strncmp(r.row.id, list->cases[r.index].id, sizeof r.row.id)) goto bad;
                primary = (size_t)r.index;
            }
            if (j->done[r.index]) seen = 1;
        }
        if (primary == SIZE_MAX || seen) continue; /* no row, or one already taken */
        if (lb__buf_put(&j->old, p, n)) return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", path);
        j->done[primary] = 1;
        j->ndone++;
        continue;
    bad:
        return lb_errorf(err, errlen, LB_EDATA, "%s:%zu: a record that is not one of this run's benchmarks",
                         lb_sanitize(shown, sizeof shown, path), f->off[k] - 8);
    }
    return LB_OK;
}

/* Rank 0, before anything is measured: a fresh journal, or with o->resume the
 * one to continue (its fingerprint checked, its rows taken, a torn tail cut
 * off). */
static int journal_open0(const lb_run_opts *o, const lb_case_list *list, lb_shard mode, const lb_cluster *cl,
                         journal *j, char *err, size_t errlen)
{
    char shown[256];
    char *fp = lb_malloc(LB_JOURNAL_HEADER_MAX);
    j->header = lb_malloc(LB_JOURNAL_HEADER_MAX);
    if (!fp || !j->header) {
        lb_free(fp);
        return lb_errorf(err, errlen, LB_ENOMEM, "run: out of memory");
    }
    int rc = lb__journal_fingerprint(o, list, mode, cl, sizeof(record), fp, LB_JOURNAL_HEADER_MAX - 64);
    journal_path(o->output, 0, j->path, sizeof j->path);
    lb_sanitize(shown, sizeof shown, j->path);
    if (!rc && !o->resume) {
        if (access(j->path, F_OK) == 0) {
            lb_free(fp);
            return lb_errorf(err, errlen, LB_EUSAGE,
                             "%s: the journal of an interrupted run is there: pass --resume to continue it, or delete it",
                             shown);
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t nonce = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 40);
        snprintf(j->header, LB_JOURNAL_HEADER_MAX, "run=%016llx\n%s", (unsigned long long)nonce, fp);
        lb_free(fp);
        return lb__journal_create(j->path, j->header, &j->fd, err, errlen);
    }
    lb_journal_file f;
    if (!rc) rc = lb__journal_read(j->path, &f, err, errlen);
    if (rc == LB_ENOINPUT && access(j->path, F_OK) != 0)
        rc = lb_errorf(err, errlen, LB_ENOINPUT, "%s: no journal to resume (run --resume continues an interrupted run)",
                       shown);
    if (rc) {
        lb_free(fp);
        return rc;
    }
    char key[128], va[512], vb[512], kn[160];
    if (lb__journal_differs(f.header, fp, key, sizeof key, va, vb, sizeof va)) {
        rc = lb_errorf(err, errlen, LB_EUSAGE,
                       "%s: %s: the journal's run has '%s', this one '%s'; resume with the same arguments, or "
                       "delete the journal",
                       shown, key_differs(key, kn, sizeof kn), va, vb);
        lb_free(fp);
        lb__journal_file_free(&f);
        return rc;
    }
    lb_free(fp);
    snprintf(j->header, LB_JOURNAL_HEADER_MAX, "%s", f.header);
    rc = journal_take(j, &f, j->path, list, err, errlen);
    size_t good = f.good_len;
    lb__journal_file_free(&f);
    /* matrix sharding: the other ranks' rows, from their files (a file this
     * rank cannot see, or one of another run, only costs its rows again) */
    char run[64], theirs[64];
    lb__journal_value(j->header, "run", run, sizeof run);
    for (int r = 1; !rc && mode == LB_SHARD_MATRIX && r < cl->size; r++) {
        char path[4200];
        journal_path(o->output, r, path, sizeof path);
        lb_journal_file g;
        int grc = lb__journal_read(path, &g, err, errlen);
        if (grc == LB_ENOINPUT) continue;
        lb__journal_value(grc ? "" : g.header, "run", theirs, sizeof theirs);
        if (!grc && strcmp(run, theirs)) grc = LB_ENOINPUT; /* another run's */
        else if (!grc) grc = journal_take(j, &g, path, list, err, errlen);
        lb__journal_file_free(&g);
        if (grc != LB_ENOINPUT) rc = grc;
    }
    if (rc) return rc;
    err[0] = '\0';
    /* what follows is appended after the last whole record */
    if (truncate(j->path, (off_t)good) != 0 || (j->fd = open(j->path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0)
        return lb_errorf(err, errlen, LB_EIO, "%s: cannot write the journal: %s", shown, strerror(errno));
    j->rows = j->ndone;
    return LB_OK;
}

/* Matrix sharding, ranks other than 0, once rank 0's header is known: this
 * rank's own file, fresh, or continued when it belongs to this run. */
static int journal_open_rank(const lb_run_opts *o, const lb_cluster *cl, journal *j, char *err, size_t errlen)
{
    journal_path(o->output, cl->rank, j->path, sizeof j->path);
    if (o->resume) {
        lb_journal_file f;
        char run[64], mine[64];
        int rc = lb__journal_read(j->path, &f, err, errlen);
        lb__journal_value(rc ? "" : f.header, "run", run, sizeof run);
        lb__journal_value(j->header, "run", mine, sizeof mine);
        size_t good = f.good_len;
        lb__journal_file_free(&f);
        if (!rc && !strcmp(run, mine)) {
            if (truncate(j->path, (off_t)good) == 0 && (j->fd = open(j->path, O_WRONLY | O_APPEND | O_CLOEXEC)) >= 0)
                return LB_OK;
            char shown[256];
            return lb_errorf(err, errlen, LB_EIO, "%s: cannot write the journal: %s",
                             lb_sanitize(shown, sizeof shown, j->path), strerror(errno));
        }
        err[0] = '\0';
    }
    return lb__journal_create(j->path, j->header, &j->fd, err, errlen);
}

/* Sets up every rank's journal. Collective; the status is agreed. */
static int journal_open(const lb_run_opts *o, const lb_case_list *list, lb_shard mode, lb_cluster *cl, journal *j,
                        char *err, size_t errlen)
{
    j->fd = -1;
    int rc = LB_OK;
    if (!(j->done = lb_calloc(list->count ? list->count : 1, 1))) rc = lb_errorf(err, errlen, LB_ENOMEM, "run: out of memory");
    if (!rc && cl->rank != 0 && !(j->header = lb_malloc(LB_JOURNAL_HEADER_MAX)))
        rc = lb_errorf(err, errlen, LB_ENOMEM, "run: out of memory");
    if (!rc && cl->rank == 0) rc = journal_open0(o, list, mode, cl, j, err, errlen);
    int failed = -1;
    rc = lb_cluster_agree_status(cl, rc, &failed);
    if (rc) {
        lb_cluster_bcast(cl, failed < 0 ? 0 : failed, err, errlen);
        return rc;
    }
    lb_cluster_bcast(cl, 0, j->header, LB_JOURNAL_HEADER_MAX);
    lb_cluster_bcast(cl, 0, j->done, list->count);
    if (mode == LB_SHARD_MATRIX && cl->rank != 0) rc = journal_open_rank(o, cl, j, err, errlen);
    rc = lb_cluster_agree_status(cl, rc, &failed);
    if (rc) lb_cluster_bcast(cl, failed < 0 ? 0 : failed, err, errlen);
    return rc;
}

/* The run is over: the journal goes once the results file holds its rows (a
 * run that failed on its own is run again whole), and stays after an
 * interrupt that left rows in it, for run --resume, or when the results file
 * could not be written. */
static void journal_close(journal *j, int written, int interrupted)
{
    if (j->fd >= 0) close(j->fd);
    j->fd = -1;
    if (j->path[0] && (j->rows == 0 || (written && !interrupted))) unlink(j->path);
}

/* A case has had its last round: its gather record is made now and
 * journaled. Lockstep modes (none, data): every rank completes a case with
 * the others, so every rank's record goes to rank 0 at once (collective),
 * which adds them to its stream and journals them as one record. Matrix
 * sharding: each rank keeps its record for the gather and journals it in its
 * own file. *remote: the failure came from another rank. */
static int case_done(const lb_case *c, size_t i, const case_acc *a, const lb_run_opts *o, lb_shard mode,
                     lb_cluster *cl, const char *host, journal *jn, lb_buf *mine, lb_buf *stream, int *remote,
                     char *err, size_t errlen)
{
    record rec;
    memset(&rec, 0, sizeof rec);
    rec.index = i;
    rec.primary = mode == LB_SHARD_MATRIX || cl->rank == 0;
    rec.nsamples = rec.primary ? a->n : 0;
    size_t at = mine->len;
    char shown[256];
    int rc = lb__make_row(c, a, o, mode, cl, host, &rec.row, err, errlen);
    if (!rc) rc = lb__buf_put(mine, &rec, sizeof rec);
    if (!rc) rc = lb__buf_put(mine, a->s, rec.nsamples * sizeof *a->s);
    *remote = 0;
    if (mode == LB_SHARD_MATRIX) {
        if (!rc && (rc = lb__journal_append(jn->fd, mine->data + at, mine->len - at)) != LB_OK)
            return lb_errorf(err, errlen, rc, "%s: cannot write the journal: %s",
                             lb_sanitize(shown, sizeof shown, jn->path), strerror(errno));
        if (!rc) jn->rows++;
        return rc;
    }
    int failed = -1;
    rc = lb_cluster_agree_status(cl, rc, &failed);
    void *all = NULL;
    size_t len = 0;
    if (!rc) rc = lb_cluster_gatherv(cl, mine->data + at, mine->len - at, &all, &len);
    mine->len = at; /* sent */
    if (!rc && cl->rank == 0) {
        rc = lb__buf_put(stream, all, len);
        if (!rc && (rc = lb__journal_append(jn->fd, all, len)) != LB_OK)
            rc = lb_errorf(err, errlen, rc, "%s: cannot write the journal: %s",
                           lb_sanitize(shown, sizeof shown, jn->path), strerror(errno));
        if (!rc) jn->rows++;
    }
    lb_free(all);
    if (failed < 0) rc = lb_cluster_agree_status(cl, rc, &failed);
    *remote = rc && failed != cl->rank;
    return rc;
}

/* ---- peers ----------------------------------------------------------------- */

/* Cases i and p (a liblatent case and a peer's, either first in the list)
 * measured as one interleaved pair; both rows then complete as any case does,
 * in list order (so every rank of a lockstep mode journals them alike). */
static int measure_pair(const lb_run_opts *o, const lb_case_list *list, size_t i, size_t p, const lb_latent *peer,
                        const char *note, const lb_dataset *ds, lb_shard mode, lb_cluster *cl, const char *host,
                        journal *jn, lb_buf *buf, lb_buf *stream, int *remote, char *err, size_t errlen)
{
    size_t ib = lb_impl_parse(list->cases[i].impl) == LB_IMPL_LIBLATENT ? i : p, ip = ib == i ? p : i;
    lb_case cb = lb__scaled_case(&list->cases[ib], o->workload_scale);
    lb_case cp = lb__scaled_case(&list->cases[ip], o->workload_scale);
    ab_case r;
    memset(&r, 0, sizeof r);
    int rc = lb__measure_peer_pair(&cb, o, peer, ds, cl, &r, remote, err, errlen);
    if (mode != LB_SHARD_MATRIX) { /* every rank measured the pair: agree before the collective rows */
        int failed = -1, all = lb_cluster_agree_status(cl, rc, &failed);
        if (all && failed != cl->rank) *remote = 1;
        rc = all;
    }
    if (!rc) {
        for (int b = 0; b < 2; b++) r.acc[b].rounds = (int64_t)r.npairs;
        snprintf(r.acc[1].note, sizeof r.acc[1].note, "%s", note ? note : "");
        const lb_case *first = ib < ip ? &cb : &cp, *second = ib < ip ? &cp : &cb;
        rc = case_done(first, ib < ip ? ib : ip, &r.acc[ib < ip ? 0 : 1], o, mode, cl, host, jn, buf, stream, remote,
                       err, errlen);
        if (!rc)
            rc = case_done(second, ib < ip ? ip : ib, &r.acc[ib < ip ? 1 : 0], o, mode, cl, host, jn, buf, stream,
                           remote, err, errlen);
    }
    lb__ab_case_free(&r);
    return rc;
}

static void peer_free(lb_latent *peer)
{
    if (!peer) return;
    lb_latent_close(peer);
    lb_free(peer);
}

/* ---- hardware bounds (docs/PROBE.md) ------------------------------------------ */

/* Rank 0's node, at the run's thread count and liblatent's ISA, measured in a
 * child process (its buffer stays out of the rows' peak RSS). A probe that
 * fails costs the rows their bound, not the run: a warning says why. Called
 * again at the end of a run with bounds: each bound keeps the higher of the
 * two values, as a probe that other work disturbed only reads low. Returns
 * the probe's wall time in seconds (0 when none ran). */
static double probe_node(const lb_run_opts *o, const lb_case_list *list, const lb_dataset *ds, int64_t share,
                         lb_results *res)
{
    const char *env = getenv("LATENTBENCH_PROBE"); /* "0": no probe, no bounds (docs/PROBE.md) */
    if (env && strcmp(env, "0") == 0) return 0;
    /* the rows' own working sets within the cache get read_hot points of
     * their own (the first LB_PROBE_MAX_HOT_AT distinct ones): the x4 grid's
     * interpolation missed by up to 12% at the cache's edge. Each as its row
     * will be: the scaled case, the dataset's shape. */
    uint64_t at[LB_PROBE_MAX_HOT_AT], llc = lb_probe_llc_bytes();
    size_t nat = 0;
    static lb_row row; /* large: off the stack; rank 0 alone, once */
    for (size_t c = 0; c < list->count && nat < LB_PROBE_MAX_HOT_AT; c++) {
        lb_case k = lb__scaled_case(&list->cases[c], o->workload_scale);
        memset(&row, 0, sizeof row);
        workload_fields(&k, &row);
        if (ds) {
            row.dimension = (int64_t)ds->d;
            if (row.seq_len) row.seq_len = (int64_t)ds->n_total;
            else if (row.dataset_size) row.dataset_size = (int64_t)ds->n_total;
        }
        lb_probe_work w;
        if (!lb_probe_row_work(&row, k.top_k_experts, share, &w) || !(w.working_set >= 1.0) ||
            w.working_set > (double)llc)
            continue;
        uint64_t ws = (uint64_t)w.working_set;
        size_t i = 0;
        while (i < nat && at[i] != ws) i++;
        if (i == nat) at[nat++] = ws;
    }
    lb_probe_opts po = {(int)res->meta.omp_threads, o->lt->isa_name(o->lt->isa_active()), 0, at, nat};
    if (po.threads < 1) po.threads = 1;
    if (po.threads > LB_PROBE_MAX_THREADS) po.threads = LB_PROBE_MAX_THREADS;
    lb_probe_result pr;
    char why[256];
    if (lb_probe_run_isolated(&po, &pr, why, sizeof why) != LB_OK) {
        fprintf(stderr, "latentbench: warning: %s; %s\n", why,
                res->bounds ? "the bounds are the first probe's" : "the rows have no hardware bound");
        return 0;
    }
    if (res->bounds) {
        lb_probe_keep_best(res->bounds, res->nbounds, pr.bounds, pr.nbounds);
        double sec = pr.seconds;
        lb_probe_free(&pr);
        return sec;
    }
    res->bounds = pr.bounds; /* lb_results_free frees it */
    res->nbounds = pr.nbounds;
    return pr.seconds;
}

/* Each kNN and attention row's bound per iteration, from the bounds at the
 * run's threads: its case gives the MoE routing, data sharding splits its rows. */
static void set_bounds(const lb_run_opts *o, const lb_case_list *list, lb_shard mode, const lb_cluster *cl,
                       lb_results *res)
{
    const char *isa = o->lt->isa_name(o->lt->isa_active());
    for (size_t i = 0; i < res->nrows; i++) {
        lb_row *row = &res->rows[i];
        int64_t top_k = 0;
        for (size_t c = 0; c < list->count; c++)
            if (!strcmp(list->cases[c].id, row->id)) {
                top_k = list->cases[c].top_k_experts;
                break;
            }
        lb_probe_row_bound(res->bounds, res->nbounds, res->meta.omp_threads, isa, top_k,
                           mode == LB_SHARD_DATA ? cl->size : 1, row);
    }
}

/* ---- the run --------------------------------------------------------------- */

/* Fails early, before hours of measuring, when the output cannot be written:
 * creates the default results/ directory, then a probe file beside the target. */
int lb__check_output(const char *path, char *err, size_t errlen)
{
    if (strcmp(path, LB_DEFAULT_OUTPUT) == 0) mkdir("results", 0777);
    char probe[1200];
    snprintf(probe, sizeof probe, "%s.probe.%ld", path, (long)getpid());
    FILE *f = fopen(probe, "wb");
    if (!f) return lb_errorf(err, errlen, LB_EIO, "%s: cannot write: %s", path, strerror(errno));
    fclose(f);
    remove(probe);
    return LB_OK;
}

/* Which cases this rank measures (mine[i] = 1), and the schedule's figures. */
int lb__schedule(const lb_run_opts *o, const lb_case_list *list, lb_shard mode, const lb_cluster *cl,
                 const unsigned char *skip, unsigned char *mine, lb_meta *meta)
{
    if (mode != LB_SHARD_MATRIX) {
        for (size_t i = 0; i < list->count; i++) mine[i] = !(skip && skip[i]);
        return LB_OK;
    }
    /* the measuring slots: the first node_concurrency ranks of every node */
    int *node_rank = lb_calloc((size_t)cl->size, sizeof *node_rank);
    size_t *slot_rank = lb_calloc((size_t)cl->size, sizeof *slot_rank);
    double *cost = lb_calloc(list->count ? list->count : 1, sizeof *cost);
    size_t *slot = lb_calloc(list->count ? list->count : 1, sizeof *slot);
    double *load = lb_calloc((size_t)cl->size, sizeof *load);
    int rc = (!node_rank || !slot_rank || !cost || !slot || !load) ? LB_ENOMEM : LB_OK;
    rc = lb_cluster_agree_status(cl, rc, NULL);
    if (!rc) {
        lb_cluster_allgather_int(cl, cl->node_rank, node_rank);
        size_t nslots = 0;
        for (int r = 0; r < cl->size; r++)
            if (node_rank[r] < o->node_concurrency) slot_rank[nslots++] = (size_t)r;
        /* rank 0 calibrates; every rank plans with its constants, so the plan is one */
        lb_cost_model cm;
        if (cl->rank == 0) lb_cost_model_calibrate(&cm, o->lt);
        lb_cluster_bcast(cl, 0, &cm, sizeof cm);
        double total = 0, worst = 0;
        for (size_t i = 0; i < list->count; i++) {
            lb_case c = lb__scaled_case(&list->cases[i], o->workload_scale);
            cost[i] = skip && skip[i] ? 0.0 : lb_case_cost(&cm, &c, &o->mo, o->rounds);
            total += cost[i];
        }
        lb_schedule_lpt(cost, list->count, nslots, slot, load);
        for (size_t s = 0; s < nslots; s++)
            if (load[s] > worst) worst = load[s];
        for (size_t i = 0; i < list->count; i++) mine[i] = slot_rank[slot[i]] == (size_t)cl->rank && !(skip && skip[i]);
        meta->ideal_makespan_s = total / (double)nslots;
        meta->predicted_makespan_s = worst;
    }
    lb_free(node_rank);
    lb_free(slot_rank);
    lb_free(cost);
    lb_free(slot);
    lb_free(load);
    return rc;
}

/* Efficiency against an earlier run of the same ids: strong scaling
 * T_ref * P_ref / (T * P), weak T_ref / T. */
static int apply_scaling(const lb_run_opts *o, const lb_results *ref, lb_results *res)
{
    double p = (double)res->meta.mpi_ranks, pref = (double)(ref->meta.mpi_ranks > 0 ? ref->meta.mpi_ranks : 1);
    for (size_t i = 0; i < res->nrows; i++)
        for (size_t j = 0; j < ref->nrows; j++)
            if (strcmp(res->rows[i].id, ref->rows[j].id) == 0 && res->rows[i].median_ns > 0) {
                double r = ref->rows[j].median_ns / res->rows[i].median_ns;
                res->rows[i].parallel_efficiency = o->scaling_weak ? r : r * pref / p;
                break;
            }
    lb_free(res->meta.scaling);
    res->meta.scaling = lb_strdup(o->scaling_weak ? "weak" : "strong");
    return res->meta.scaling ? LB_OK : LB_ENOMEM;
}

int lb_run(const lb_run_opts *o, lb_cluster *cl, lb_results *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    err[0] = '\0';
    lb_interrupt_install();
    lb_shard mode = o->shard == LB_SHARD_AUTO ? (cl->size > 1 ? LB_SHARD_MATRIX : LB_SHARD_NONE) : o->shard;
    char host[LB_HOST_LEN];
    long cores;
    lb_host_info(host, sizeof host, &cores);

    /* plan: the list, its sizes, the data */
    lb_case_list list = {0};
    int rc = LB_OK;
    for (size_t s = 0; s < o->nsuites && !rc; s++) rc = lb_suite_load(o->suites[s], o->filter, &list, err, errlen);
    if (!rc && list.count == 0) rc = lb_errorf(err, errlen, LB_EUSAGE, "run: no benchmark matches");
    lb_dataset ds, *dsp = NULL;
    if (!rc && o->dataset) {
        rc = mode == LB_SHARD_DATA ? lb_dataset_read_part(o->dataset, (size_t)cl->rank, (size_t)cl->size, &ds, err, errlen)
                                   : lb_dataset_read(o->dataset, &ds, err, errlen);
        if (!rc) dsp = &ds;
    }
    lb_op_env env = {o->lt, o->seed, dsp, mode == LB_SHARD_DATA ? cl : NULL, o->max_memory};
    for (size_t i = 0; !rc && i < list.count; i++) { /* overflowing sizes and cases over the memory limit stop the run before it starts */
        lb_case c = lb__scaled_case(&list.cases[i], o->workload_scale);
        rc = lb_op_check(&c, &env, err, errlen);
    }
    /* peers: the peer library, loaded only when a case measures through it */
    lb_latent *peer = NULL;
    const char *peer_case = NULL;
    for (size_t i = 0; !rc && !peer_case && i < list.count; i++)
        if (lb_impl_parse(list.cases[i].impl) != LB_IMPL_LIBLATENT) peer_case = list.cases[i].id;
    if (peer_case && mode == LB_SHARD_DATA) {
        char sid[LB_ID_LEN + 16];
        rc = lb_errorf(err, errlen, LB_EUSAGE,
                       "run: --shard data does not measure peers ('%s' has impl = 'faiss'): use --shard matrix or none",
                       lb_sanitize(sid, sizeof sid, peer_case));
    }
    if (!rc && peer_case) {
        peer = lb_calloc(1, sizeof *peer);
        rc = peer ? lb_peer_open(o->peer_lib, peer, err, errlen) : lb_errorf(err, errlen, LB_ENOMEM, "run: out of memory");
        if (rc) lb_free(peer), peer = NULL;
    }
    lb_op_env penv = env;
    penv.lt = peer;
    if (!rc && cl->rank == 0) rc = lb__check_output(o->output, err, errlen);
    if (!rc && cl->rank == 0 && o->baseline) rc = check_against_baseline(&list, o->workload_scale, o->baseline, err, errlen);
    lb_results ref; /* read before measuring: a bad reference must not cost the run */
    memset(&ref, 0, sizeof ref);
    if (!rc && cl->rank == 0 && o->scaling_reference) rc = lb_results_read(o->scaling_reference, &ref, err, errlen);
    int failed_rank = -1;
    rc = lb_cluster_agree_status(cl, rc, &failed_rank);
    if (rc) lb_cluster_bcast(cl, failed_rank < 0 ? 0 : failed_rank, err, errlen);
    /* the journal: a fresh one, or the one --resume continues (what it holds
     * is not measured again) */
    journal jn;
    memset(&jn, 0, sizeof jn);
    jn.fd = -1;
    if (!rc && (rc = journal_open(o, &list, mode, cl, &jn, err, errlen)) != LB_OK && jn.fd >= 0 && !o->resume)
        unlink(jn.path); /* made by this run: nothing in it */
    if (rc) {
        journal_free(&jn);
        lb_results_free(&ref);
        lb_case_list_free(&list);
        if (dsp) lb_dataset_free(dsp);
        peer_free(peer);
        return rc;
    }
    if (cl->rank == 0 && o->resume && o->resumed) o->resumed(o->progress_arg, jn.ndone, list.count, jn.path);

    res->rows = lb_calloc(list.count, sizeof *res->rows);
    res->samples = lb_calloc(list.count, sizeof *res->samples);
    res->nsamples = lb_calloc(list.count, sizeof *res->nsamples);
    res->ranks = lb_calloc((size_t)cl->size, sizeof *res->ranks);
    case_acc *acc = lb_calloc(list.count, sizeof *acc);
    unsigned char *mine = lb_calloc(list.count, 1);
    size_t *pair = peer ? lb_malloc(list.count * sizeof *pair) : NULL; /* the case measured with each, or none */
    if (!res->rows || !res->samples || !res->nsamples || !res->ranks || !acc || !mine || (peer && !pair)) rc = LB_ENOMEM;
    if (!rc && pair) lb__peer_pairs(&list, jn.done, pair);
    if (!rc) rc = lb_meta_fill(&res->meta, cl, o->command_line, o->lt);
    if (!rc) {
        lb_clock_calibrate(&res->meta.timer_resolution_ns, &res->meta.timer_overhead_ns);
        res->meta.shard = lb_strdup(lb_shard_name(mode));
        res->meta.nodes = cl->nodes;
        res->meta.node_concurrency = mode == LB_SHARD_MATRIX ? o->node_concurrency : 0;
        if (!res->meta.shard) rc = LB_ENOMEM;
        if (peer && !(res->meta.peers = lb_strdup(peer->peer_describe()))) rc = LB_ENOMEM;
    }
    double probe_s = 0, measure_t0 = 0;
    if (!rc && cl->rank == 0) { /* the other ranks wait in the agreement */
        probe_s = probe_node(o, &list, dsp, mode == LB_SHARD_DATA ? cl->size : 1, res);
        measure_t0 = (double)lb_clock_ns() * 1e-9;
    }
    rc = lb_cluster_agree_status(cl, rc, NULL);

    /* schedule */
    if (!rc) rc = lb__schedule(o, &list, mode, cl, jn.done, mine, &res->meta);
    /* a pair runs where its liblatent case was scheduled (each rank decides alike) */
    for (size_t i = 0; !rc && pair && i < list.count; i++)
        if (pair[i] != SIZE_MAX && lb_impl_parse(list.cases[i].impl) != LB_IMPL_LIBLATENT) mine[i] = mine[pair[i]];
    if (rc) { /* agreed: nothing was measured, nothing is written */
        if (!err[0]) snprintf(err, errlen, "run: %s", lb_strerror(rc));
        journal_close(&jn, 0, 0);
        journal_free(&jn);
        lb_free(acc);
        lb_free(mine);
        lb_free(pair);
        peer_free(peer);
        lb_results_free(res);
        lb_results_free(&ref);
        lb_case_list_free(&list);
        if (dsp) lb_dataset_free(dsp);
        return rc;
    }
    size_t nmine = 0;
    for (size_t i = 0; i < list.count; i++) nmine += mine ? mine[i] : 0;

    /* measure: rounds run the whole share again, each case on a freshly built
     * op, so one benchmark's samples span the run (docs/REGRESSION.md) */
    int local = LB_OK; /* this rank's own failure, not one it heard of */
    lb_buf buf = {NULL, 0, 0}, stream = {NULL, 0, 0}; /* this rank's records; rank 0's of lockstep modes */
    lb_cluster_barrier(cl);
    uint64_t t_start = lb_clock_ns();
    lb_measure_opts mo = lb_measure_round_opts(&o->mo, o->rounds);
    for (unsigned r = 0; r < o->rounds && !rc; r++)
        for (size_t i = 0, j = 0; i < list.count && !rc; i++) {
            if (!mine[i]) continue;
            lb_case c = lb__scaled_case(&list.cases[i], o->workload_scale);
            if (o->progress && cl->rank == 0) o->progress(o->progress_arg, r, j, nmine, c.id);
            j++;
            int remote = 0;
            size_t p = pair ? pair[i] : SIZE_MAX;
            if (p != SIZE_MAX) { /* with its partner, once: when the first of the two comes */
                if (r == 0 && p > i)
                    rc = measure_pair(o, &list, i, p, peer, peer->peer_note ? peer->peer_note() : "", dsp, mode, cl,
                                      host, &jn, &buf, &stream, &remote, err, errlen);
            } else {
                int own = lb_impl_parse(c.impl) == LB_IMPL_LIBLATENT;
                rc = measure_round(&c, own ? &env : &penv, mode, &mo, r, cl, &acc[i], &remote, err, errlen);
                if (!rc && !own && peer->peer_note) snprintf(acc[i].note, sizeof acc[i].note, "%s", peer->peer_note());
                if (!rc && r + 1 == o->rounds)
                    rc = case_done(&c, i, &acc[i], o, mode, cl, host, &jn, &buf, &stream, &remote, err, errlen);
            }
            if (rc && !remote) {
                local = rc;
                if (mode == LB_SHARD_MATRIX) lb_cluster_notify_failure(cl);
            }
        }
    double my_wall = (double)(lb_clock_ns() - t_start) * 1e-9;

    /* agree on the outcome; the failing rank tells everyone why */
    lb_sync v;
    lb_sync_set(&v, local, my_wall);
    lb_cluster_sync(cl, &v);
    lb_cluster_drain_notices(cl, v.notices);
    res->meta.makespan_s = v.max[0];
    int status = v.status, failed = v.failed_rank;
    char why[LB_ERRLEN_MAX + 96];
    if (status) {
        snprintf(why, sizeof why, "rank %d (%.64s): %.*s", cl->rank, host, LB_ERRLEN_MAX - 1,
                 err[0] ? err : lb_strerror(status));
        lb_cluster_bcast(cl, failed, why, sizeof why);
    }

    /* gather: the rows of the journal, then matrix sharding's rows of every
     * rank (records made as each case completed); lockstep modes sent theirs
     * to rank 0 then */
    unsigned char *all = NULL;
    size_t all_len = 0;
    int grc = LB_OK;
    if (mode == LB_SHARD_MATRIX) grc = lb_cluster_gatherv(cl, buf.data, buf.len, (void **)&all, &all_len);
    else all = stream.data, all_len = stream.len, stream.data = NULL;
    lb_free(buf.data);
    size_t complete = 0;
    if (!grc && cl->rank == 0) grc = lb__buf_put(&jn.old, all, all_len);
    if (!grc && cl->rank == 0) grc = combine(jn.old.data, jn.old.len, list.count, cl->size, mode, res, &complete);
    lb_free(all);
    size_t lib_peak = 0; /* the largest of this rank's per-case peaks: the peak is reset before each sample */
    for (size_t i = 0; acc && i < list.count; i++) {
        if (acc[i].max_peak > lib_peak) lib_peak = acc[i].max_peak;
        lb__acc_free(&acc[i]);
    }
    lb_free(acc);
    lb_free(mine);
    lb_free(pair);

    lb_rank_row me;
    memset(&me, 0, sizeof me);
    me.rank = cl->rank;
    snprintf(me.hostname, sizeof me.hostname, "%s", host);
    me.cores = cores;
    me.peak_bytes = lib_peak;
    me.rss_peak_bytes = lb_rss_peak_bytes();
    lb_cluster_gather_ranks(cl, &me, res->ranks);
    res->nranks = (size_t)cl->size;

    /* store: everything completed, even when a rank failed */
    if (!grc && cl->rank == 0) {
        res->meta.complete = !status && complete == list.count;
        if (status && !(res->meta.failure = lb_strdup(why))) grc = LB_ENOMEM;
        if (!grc && !status && o->scaling_reference) grc = apply_scaling(o, &ref, res);
        /* the probe again, if the run took ten times as long as the first: the
         * rows keep their bounds if the first was disturbed, for a tenth more */
        if (!grc && !status && !lb_interrupted() && res->bounds && probe_s > 0 &&
            (double)lb_clock_ns() * 1e-9 - measure_t0 >= 10 * probe_s)
            probe_node(o, &list, dsp, mode == LB_SHARD_DATA ? cl->size : 1, res);
        if (!grc) set_bounds(o, &list, mode, cl, res);
        if (!grc && (complete > 0 || !status)) grc = lb_results_write(o->output, res, err, errlen);
    }
    grc = lb_cluster_agree_status(cl, grc, &failed_rank);
    journal_close(&jn, grc == LB_OK, status == LB_EINTR || lb_interrupted());
    journal_free(&jn);
    lb_results_free(&ref);
    lb_case_list_free(&list);
    if (dsp) lb_dataset_free(dsp);
    peer_free(peer);
    if (status) {
        snprintf(err, errlen, "%s%s", why,
                 cl->rank == 0 && complete > 0 ? "; the completed rows are written, marked incomplete" : "");
        return status;
    }
    if (grc && !err[0]) snprintf(err, errlen, "run: %s", lb_strerror(grc));
    return grc;
}
