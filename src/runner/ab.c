/* A paired A/B run: two builds of liblatent loaded side by side, measured in
 * alternating blocks on identical inputs, so that whatever the machine does
 * during the run falls on both alike (docs/REGRESSION.md, "Paired A/B"). */
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/interrupt.h"
#include "latentbench/gate.h"
#include "latentbench/ops.h"
#include "latentbench/stats.h"
#include "latentbench/text.h"
#include "runner_internal.h"

#include <math.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>

#define LB_AB_MIN_ROUNDS 10     /* fewer rounds cannot bound a ratio at 99% */
#define LB_AB_MAX_ROUNDS 100000
#define LB_AB_MAX_REPEATS 3     /* a round preempted more often than this is kept as it is */
#define LB_AB_EPOCHS 4          /* fresh ops, at shifted addresses, this many times a case */

/* Involuntary context switches of this process so far: a round during which
 * the scheduler took a core away measured the machine, not the code. */
static long preemptions(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_nivcsw : 0;
}

void lb_ab_opts_init(lb_ab_opts *o)
{
    memset(o, 0, sizeof *o);
    lb_run_opts_init(&o->run);
    o->run.mo.warm_up_s = 0.3;
    o->run.mo.measurement_s = 2.0;
    o->block_s = 0.002;
    o->confidence = 0.99;
}

void lb__ab_case_free(ab_case *r)
{
    lb_free(r->pairs);
    lb__acc_free(&r->acc[0]);
    lb__acc_free(&r->acc[1]);
    memset(r, 0, sizeof *r);
}

/* The per-iteration peak and allocation count of one build, from one untimed
 * iteration: deterministic, so compared exactly. */
static int memory_of(const lb_latent *lt, lb_op_ctx *op, uint64_t *peak, uint64_t *allocs)
{
    uint64_t ns;
    lt->mem_reset_peak();
    int rc = lb_op_run(op, 1, &ns);
    lt_mem_stats st = lt->mem_stats_get();
    *peak = st.peak_bytes;
    *allocs = st.allocations;
    return rc;
}

uint64_t lb__id_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

/* The paired statistics of the rounds and the verdict against threshold_pct.
 * Round i ran in epoch i * epochs / n, one data placement each: a placement
 * can favour one build by several percent for all its rounds (an A/A row's
 * epochs gave 0.996, 0.935, 1.000, 0.938), which the rounds' interval, taking
 * rounds as independent, cannot see. So every bound is widened to each
 * epoch's median ratio: a change counts only when every placement shows it. */
static int judge(const lb_ab_opts *o, const double *x, size_t n, unsigned epochs, lb_ab_row *ab)
{
    lb_stats_hl_result two, lo, hi;
    lb_stats_wilcoxon_result ws, wf;
    int rc = lb_stats_hodges_lehmann(x, n, o->confidence, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &two);
    if (!rc) rc = lb_stats_hodges_lehmann(x, n, o->confidence, LB_STATS_GREATER, LB_STATS_AUTO, &lo);
    if (!rc) rc = lb_stats_hodges_lehmann(x, n, o->confidence, LB_STATS_LESS, LB_STATS_AUTO, &hi);
    if (!rc) rc = lb_stats_wilcoxon(x, n, LB_STATS_GREATER, LB_STATS_AUTO, &ws);
    if (!rc) rc = lb_stats_wilcoxon(x, n, LB_STATS_LESS, LB_STATS_AUTO, &wf);
    if (rc) return rc;
    ab->ratio = exp(two.estimate);
    ab->ratio_ci_low = exp(two.lo);
    ab->ratio_ci_high = exp(two.hi);
    ab->ratio_lower = exp(lo.lo); /* B is at least this much slower, at the confidence */
    ab->ratio_upper = exp(hi.hi); /* B is at most this much slower */
    ab->confidence = o->confidence;
    ab->p_slower = ws.p;
    ab->p_faster = wf.p;
    double *d = lb_malloc(n * sizeof *d);
    if (!d) return LB_ENOMEM;
    memcpy(d, x, n * sizeof *d);
    double med = lb__median_of(d, n);
    for (size_t i = 0; i < n; i++) d[i] = fabs(x[i] - med);
    ab->log_ratio_mad = 1.4826 * lb__median_of(d, n);
    if (epochs > 1 && n >= epochs) {
        double emin = INFINITY, emax = -INFINITY;
        for (unsigned e = 0; e < epochs; e++) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (i * epochs / n == e) d[m++] = x[i];
            if (m == 0) continue;
            double r = exp(lb__median_of(d, m));
            emin = fmin(emin, r);
            emax = fmax(emax, r);
        }
        ab->ratio_lower = fmin(ab->ratio_lower, emin);
        ab->ratio_ci_low = fmin(ab->ratio_ci_low, emin);
        ab->ratio_upper = fmax(ab->ratio_upper, emax);
        ab->ratio_ci_high = fmax(ab->ratio_ci_high, emax);
    }
    lb_free(d);
    /* A regression is a slowdown the data bound above the threshold, not one
     * that merely might exceed it; an improvement, the design's -T/2 line */
    double t = ab->threshold_pct / 100.0;
    const char *v = "NoChange";
    if (ab->ratio_lower > 1.0 + t) v = "Regression";
    else if (ab->ratio_upper < 1.0 - t / 2.0) v = "Improvement";
    snprintf(ab->verdict, sizeof ab->verdict, "%s", v);
    return LB_OK;
}

int lb_ab_judge(const double *x, size_t n, unsigned epochs, double confidence, lb_ab_row *ab)
{
    lb_ab_opts o;
    memset(&o, 0, sizeof o);
    o.confidence = confidence;
    return judge(&o, x, n, epochs, ab);
}

static const char *memory_verdict(const lb_ab_row *ab)
{
    if (ab->peak_bytes_b > ab->peak_bytes_a || ab->allocations_b > ab->allocations_a) return "More";
    if (ab->peak_bytes_b < ab->peak_bytes_a || ab->allocations_b < ab->allocations_a) return "Less";
    return "Same";
}

/* Both builds' ops prepared anew, each behind a shim of a seeded size in its
 * own library's heap and in the harness's, so that each epoch of a case sees
 * other addresses: two loaded copies of one build can differ by several
 * percent through data placement alone (cache sets, 4K aliasing), and
 * measuring over a few placements turns that fixed bias into noise that the
 * rounds average out (as Stabilizer re-randomises layout). The build
 * prepared first alternates. */
static int prepare_epoch(const lb_case *c, const lb_ab_opts *o, const lb_dataset *ds, const lb_latent *const lt[2],
                         lb_op_ctx *op[2], unsigned epoch, uint64_t seed, char *err, size_t errlen)
{
    int rc = LB_OK;
    lt_space *shim[2] = {NULL, NULL};
    void *hshim = NULL;
    for (int b = 0; b < 2; b++) {
        lb_op_free(op[b]);
        op[b] = NULL;
    }
    uint64_t z = seed ^ (0x9E3779B97F4A7C15ULL * (epoch + 1));
    z = (z ^ (z >> 31)) * 0xBF58476D1CE4E5B9ULL;
    if (epoch > 0) {
        hshim = lb_malloc(64 + (size_t)(z % 65536));
        for (int b = 0; b < 2; b++) { /* one row of a seeded dimension: a block of 16 padded rows */
            size_t d = 1 + (size_t)((z >> (20 + 10 * b)) % 2048);
            float *row = lb_calloc(d, sizeof *row);
            lt_config cfg = lt[b]->config_default(d);
            if (row && lt[b]->space_create(&cfg, &shim[b]) == 0) lt[b]->space_add(shim[b], row, NULL, NULL);
            lb_free(row);
        }
    }
    for (int k = 0; k < 2 && !rc; k++) {
        int b = (int)((epoch + (unsigned)k) % 2);
        lb_op_env env = {lt[b], o->run.seed, ds, NULL, o->run.max_memory};
        rc = lb_op_prepare(c, &env, &op[b], err, errlen);
    }
    for (int b = 0; b < 2; b++)
        if (shim[b]) lt[b]->space_destroy(shim[b]);
    lb_free(hshim);
    return rc;
}

/* Both builds of one case: prepare on identical inputs, warm up in turn, size
 * the blocks, then alternate blocks in the seeded order. *remote is set when
 * another rank's failure stopped it. */
int lb__measure_ab(const lb_case *c, const lb_ab_opts *o, const lb_dataset *ds, const lb_cluster *cl, uint64_t seed,
                   ab_case *r, int *remote, char *err, size_t errlen)
{
    const lb_latent *lt[2] = {o->run.lt, o->candidate};
    lb_op_ctx *op[2] = {NULL, NULL};
    unsigned char *order = NULL;
    double *x = NULL;
    int rc = LB_OK;
    *remote = 0;
    rc = prepare_epoch(c, o, ds, lt, op, 0, seed, err, errlen);
    if (!rc) { /* the shape each build's row reports (a dataset's, when there is one) */
        lb_op_shape(op[0], &r->acc[0].dim, &r->acc[0].rows);
        lb_op_shape(op[1], &r->acc[1].dim, &r->acc[1].rows);
    }
    if (!rc) rc = memory_of(lt[0], op[0], &r->ab.peak_bytes_a, &r->ab.allocations_a);
    if (!rc) rc = memory_of(lt[1], op[1], &r->ab.peak_bytes_b, &r->ab.allocations_b);

    /* warm-up: doubling batches of each build in turn, until the warm-up
     * time is spent (by their own times, or the wall clock when setup dominates) */
    uint64_t wu[2] = {0, 0}, iters = 0, batch = 1, t0 = lb_clock_ns(), t;
    uint64_t wu_ns = (uint64_t)(o->run.mo.warm_up_s * 1e9);
    while (!rc) {
        for (int b = 0; b < 2 && !rc; b++) {
            rc = lb_op_run(op[b], batch, &t);
            wu[b] += t;
        }
        iters += batch;
        if (wu[0] + wu[1] >= wu_ns || lb_clock_ns() - t0 >= wu_ns) break;
        if (batch < (UINT64_C(1) << 40)) batch *= 2;
    }
    double est[2] = {fmax((double)wu[0] / (double)(iters ? iters : 1), 1.0),
                     fmax((double)wu[1] / (double)(iters ? iters : 1), 1.0)};

    /* blocks long enough to dominate the clock's cost, rounds to the budget */
    double bi = ceil(o->block_s * 1e9 / fmin(est[0], est[1]));
    uint64_t block = bi < 1 ? 1 : bi > 1e12 ? (uint64_t)1e12 : (uint64_t)bi;
    /* one more round at the block size, not kept: its time sizes the rounds
     * better than the warm-up's first, colder iterations */
    double per_round = (double)block * (est[0] + est[1]);
    if (!rc) {
        uint64_t ta = 0, tb = 0;
        rc = lb_op_run(op[0], block, &ta);
        if (!rc) rc = lb_op_run(op[1], block, &tb);
        if (!rc && ta + tb > 0) per_round = (double)(ta + tb);
    }
    double nr = floor(o->run.mo.measurement_s * 1e9 / per_round);
    size_t rounds = nr < LB_AB_MIN_ROUNDS ? LB_AB_MIN_ROUNDS : nr > LB_AB_MAX_ROUNDS ? LB_AB_MAX_ROUNDS : (size_t)nr;
    const unsigned epochs = rounds >= 8 * LB_AB_EPOCHS ? LB_AB_EPOCHS : 1;
    if (!rc) {
        order = lb_malloc(rounds);
        x = lb_malloc(rounds * sizeof *x);
        r->pairs = lb_calloc(rounds, sizeof *r->pairs);
        if (!order || !x || !r->pairs || lb__acc_reserve(&r->acc[0], rounds) || lb__acc_reserve(&r->acc[1], rounds))
            rc = lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", c->id);
    }
    if (!rc) rc = lb_stats_ab_order(rounds, seed, o->random_order ? LB_STATS_ORDER_RANDOM : LB_STATS_ORDER_ABBA, order);
    for (size_t i = 0; i < rounds && !rc; i++) {
        if (lb_cluster_failure_pending(cl)) {
            *remote = 1;
            rc = LB_EINTERNAL;
            break;
        }
        if (i > 0 && i * epochs / rounds != (i - 1) * epochs / rounds) {
            uint64_t unused;
            rc = prepare_epoch(c, o, ds, lt, op, (unsigned)(i * epochs / rounds), seed, err, errlen);
            for (int b = 0; b < 2 && !rc; b++) rc = lb_op_run(op[b], 1, &unused);
            if (rc) break;
        }
        /* a preempted round is measured again (a few times at most, and no
         * more repeats than rounds in all): both builds are as likely to be
         * preempted, so the repeat biases neither, and the round then
         * measures the code rather than the scheduler */
        uint64_t ns[2] = {0, 0};
        if (!rc && lb_interrupted()) rc = LB_EINTR; /* between rounds: a stop costs one round at most */
        for (int attempt = 0;; attempt++) {
            long before = preemptions();
            for (int k = 0; k < 2 && !rc; k++) {
                int b = order[i] == LB_STATS_ROUND_BA ? 1 - k : k;
                /* one untimed iteration first: the other build's block has
                 * just filled the caches with its own data, and a block that
                 * started cold would make the second block of every round
                 * slower (an order effect of +20% / -10% seen on 5 MB spaces) */
                uint64_t unused;
                rc = lb_op_run(op[b], 1, &unused);
                if (!rc) rc = lb_op_run(op[b], block, &ns[b]);
            }
            if (rc || preemptions() == before || attempt == LB_AB_MAX_REPEATS ||
                r->ab.rounds_repeated >= (int64_t)rounds)
                break;
            r->ab.rounds_repeated++;
        }
        lb_ab_pair *p = &r->pairs[i];
        p->round = i;
        p->b_first = order[i] == LB_STATS_ROUND_BA;
        p->a_ns = (double)ns[0] / (double)block;
        p->b_ns = (double)ns[1] / (double)block;
        if (!(p->a_ns > 0) || !(p->b_ns > 0)) /* faster than the clock: no ratio to take */
            rc = lb_errorf(err, errlen, LB_EDATA, "%s: a block of %llu iterations took no measurable time", c->id,
                           (unsigned long long)block);
        x[i] = rc ? 0 : log(p->b_ns / p->a_ns);
        for (int b = 0; b < 2 && !rc; b++) {
            case_acc *a = &r->acc[b];
            a->s[a->n].iterations = block;
            a->s[a->n].ns_per_iter = b ? p->b_ns : p->a_ns;
            a->s[a->n].round = i;
            a->n++;
            a->total_iters += block;
        }
        r->npairs = i + 1;
    }
    if (!rc) {
        snprintf(r->ab.id, sizeof r->ab.id, "%s", c->id);
        r->ab.rounds = (int64_t)rounds;
        r->ab.block_iters = (int64_t)block;
        snprintf(r->ab.order, sizeof r->ab.order, "%s", o->random_order ? "random" : "abba");
        r->ab.threshold_pct = o->gate ? lb_gate_threshold_for(o->gate, c->id) : 10.0;
        rc = judge(o, x, rounds, epochs, &r->ab);
        snprintf(r->ab.memory_verdict, sizeof r->ab.memory_verdict, "%s", memory_verdict(&r->ab));
        /* memory beyond the gate's memory thresholds fails the row, as compare does */
        if (o->gate && ((double)r->ab.peak_bytes_b > (double)r->ab.peak_bytes_a * (1 + o->gate->memory_peak_percent / 100) ||
                        (double)r->ab.allocations_b > (double)r->ab.allocations_a * (1 + o->gate->memory_alloc_percent / 100)))
            snprintf(r->ab.verdict, sizeof r->ab.verdict, "Regression");
        for (int b = 0; b < 2; b++) {
            r->acc[b].max_peak = b ? r->ab.peak_bytes_b : r->ab.peak_bytes_a;
            r->acc[b].sum_peak = (double)r->acc[b].max_peak;
            r->acc[b].nmem = 1;
            r->acc[b].allocs = (b ? r->ab.allocations_b : r->ab.allocations_a) * r->acc[b].total_iters;
            r->acc[b].rounds_done = 1;
        }
    }
    if (rc == LB_EINTR && !*remote && !err[0])
        snprintf(err, errlen, "interrupted by %s during %s", lb_signal_name(lb_interrupted()), c->id);
    if (rc && !*remote && !err[0]) snprintf(err, errlen, "%s: the measurement failed (%s)", c->id, lb_strerror(rc));
    lb_op_free(op[0]);
    lb_op_free(op[1]);
    lb_free(order);
    lb_free(x);
    return rc;
}

/* One case on the wire: the header, then npairs pairs. */
typedef struct {
    uint64_t  index, npairs;
    lb_row    a, b;
    lb_ab_row ab;
} ab_record;

/* Rank 0: the records of every rank into res, in list order. */
static int combine_ab(const unsigned char *buf, size_t len, size_t ncases, lb_results *res, size_t *complete)
{
    ab_record *recs = lb_calloc(ncases ? ncases : 1, sizeof *recs);
    lb_ab_pair **pairs = lb_calloc(ncases ? ncases : 1, sizeof *pairs);
    unsigned char *have = lb_calloc(ncases ? ncases : 1, 1);
    int rc = !recs || !pairs || !have ? LB_ENOMEM : LB_OK;
    for (size_t off = 0; !rc && off + sizeof(ab_record) <= len;) {
        ab_record r;
        memcpy(&r, buf + off, sizeof r);
        off += sizeof r;
        size_t bytes = r.npairs * sizeof(lb_ab_pair);
        if (r.index >= ncases || off + bytes > len) {
            rc = LB_EINTERNAL;
            break;
        }
        recs[r.index] = r;
        have[r.index] = 1;
        if (!(pairs[r.index] = lb_malloc(bytes ? bytes : 1))) rc = LB_ENOMEM;
        else memcpy(pairs[r.index], buf + off, bytes);
        off += bytes;
    }
    size_t n = 0;
    for (size_t i = 0; !rc && i < ncases; i++) {
        if (!have[i]) continue;
        lb_sample *s = lb_malloc((recs[i].npairs ? recs[i].npairs : 1) * sizeof *s);
        if (!s) {
            rc = LB_ENOMEM;
            break;
        }
        for (size_t j = 0; j < recs[i].npairs; j++) { /* the candidate's blocks are the row's samples */
            s[j].iterations = (uint64_t)recs[i].ab.block_iters;
            s[j].ns_per_iter = pairs[i][j].b_ns;
            s[j].round = j;
        }
        res->rows[n] = recs[i].b;
        res->base_rows[n] = recs[i].a;
        res->ab[n] = recs[i].ab;
        res->samples[n] = s;
        res->nsamples[n] = recs[i].npairs;
        res->pairs[n] = pairs[i];
        res->npairs[n] = recs[i].npairs;
        pairs[i] = NULL;
        n++;
    }
    res->nrows = n;
    *complete = n;
    for (size_t i = 0; pairs && i < ncases; i++) lb_free(pairs[i]);
    lb_free(pairs);
    lb_free(recs);
    lb_free(have);
    return rc;
}

int lb_ab_run(const lb_ab_opts *o, lb_cluster *cl, lb_results *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    err[0] = '\0';
    lb_interrupt_install();
    const lb_run_opts *ro = &o->run;
    char host[LB_HOST_LEN];
    long cores;
    lb_host_info(host, sizeof host, &cores);
    lb_case_list list = {0};
    int rc = LB_OK;
    if (!ro->lt || !o->candidate) rc = lb_errorf(err, errlen, LB_EINTERNAL, "ab: both builds must be loaded");
    else if (ro->lt->handle == o->candidate->handle || ro->lt->space_knn == o->candidate->space_knn)
        rc = lb_errorf(err, errlen, LB_EUSAGE,
                       "ab: %s and %s are one loaded copy; for an A/A run copy the file to a second path",
                       ro->lt->path, o->candidate->path);
    for (size_t s = 0; s < ro->nsuites && !rc; s++) rc = lb_suite_load(ro->suites[s], ro->filter, &list, err, errlen);
    if (!rc && list.count == 0) rc = lb_errorf(err, errlen, LB_EUSAGE, "ab: no benchmark matches");
    lb_op_env env = {ro->lt, ro->seed, NULL, NULL, ro->max_memory};
    for (size_t i = 0; !rc && i < list.count; i++) {
        char sid[LB_ID_LEN + 16];
        if (lb_impl_parse(list.cases[i].impl) != LB_IMPL_LIBLATENT) /* a peer is measured by run, paired */
            rc = lb_errorf(err, errlen, LB_EUSAGE,
                           "ab: '%s' measures impl = '%s', not liblatent: ab compares two builds of liblatent "
                           "(run pairs a peer with liblatent: docs/PEERS.md)",
                           lb_sanitize(sid, sizeof sid, list.cases[i].id), list.cases[i].impl);
        else rc = lb_op_check(&list.cases[i], &env, err, errlen);
    }
    if (!rc && cl->rank == 0) rc = lb__check_output(ro->output, err, errlen);
    int failed_rank = -1;
    rc = lb_cluster_agree_status(cl, rc, &failed_rank);
    if (rc) {
        lb_cluster_bcast(cl, failed_rank < 0 ? 0 : failed_rank, err, errlen);
        lb_case_list_free(&list);
        return rc;
    }
    size_t nc = list.count;
    res->rows = lb_calloc(nc, sizeof *res->rows);
    res->base_rows = lb_calloc(nc, sizeof *res->base_rows);
    res->ab = lb_calloc(nc, sizeof *res->ab);
    res->samples = lb_calloc(nc, sizeof *res->samples);
    res->nsamples = lb_calloc(nc, sizeof *res->nsamples);
    res->pairs = lb_calloc(nc, sizeof *res->pairs);
    res->npairs = lb_calloc(nc, sizeof *res->npairs);
    res->ranks = lb_calloc((size_t)cl->size, sizeof *res->ranks);
    ab_case *cases = lb_calloc(nc, sizeof *cases);
    unsigned char *mine = lb_calloc(nc, 1);
    if (!res->rows || !res->base_rows || !res->ab || !res->samples || !res->nsamples || !res->pairs || !res->npairs ||
        !res->ranks || !cases || !mine)
        rc = LB_ENOMEM;
    if (!rc) rc = lb_meta_fill(&res->meta, cl, ro->command_line, o->candidate);
    if (!rc) {
        lb_clock_calibrate(&res->meta.timer_resolution_ns, &res->meta.timer_overhead_ns);
        res->meta.shard = lb_strdup(lb_shard_name(cl->size > 1 ? LB_SHARD_MATRIX : LB_SHARD_NONE));
        res->base_library = lb_strdup(ro->lt->path);
        res->base_library_hash = lb_strdup(ro->lt->hash);
        res->meta.nodes = cl->nodes;
        res->meta.node_concurrency = cl->size > 1 ? ro->node_concurrency : 0;
        if (!res->meta.shard || !res->base_library || !res->base_library_hash) rc = LB_ENOMEM;
    }
    rc = lb_cluster_agree_status(cl, rc, NULL);
    /* each case on one rank, both builds there: the matrix schedule */
    if (!rc) rc = lb__schedule(ro, &list, cl->size > 1 ? LB_SHARD_MATRIX : LB_SHARD_NONE, cl, NULL, mine, &res->meta);
    /* rank 0 decides the order's seed; each case's order derives from it and its id */
    uint64_t seed = ro->seed;
    lb_cluster_bcast(cl, 0, &seed, sizeof seed);
    if (rc) {
        if (!err[0]) snprintf(err, errlen, "ab: %s", lb_strerror(rc));
        lb_free(cases);
        lb_free(mine);
        lb_results_free(res);
        lb_case_list_free(&list);
        return rc;
    }
    size_t nmine = 0;
    for (size_t i = 0; i < nc; i++) nmine += mine[i];

    int local = LB_OK;
    lb_cluster_barrier(cl);
    uint64_t t_start = lb_clock_ns();
    for (size_t i = 0, j = 0; i < nc && !rc; i++) {
        if (!mine[i]) continue;
        if (ro->progress && cl->rank == 0) ro->progress(ro->progress_arg, 0, j, nmine, list.cases[i].id);
        j++;
        int remote = 0;
        rc = lb__measure_ab(&list.cases[i], o, NULL, cl, seed ^ lb__id_hash(list.cases[i].id), &cases[i], &remote, err,
                            errlen);
        if (rc) {
            lb__ab_case_free(&cases[i]);
            if (!remote) {
                local = rc;
                lb_cluster_notify_failure(cl);
            }
        }
    }
    lb_sync v;
    lb_sync_set(&v, local, (double)(lb_clock_ns() - t_start) * 1e-9);
    lb_cluster_sync(cl, &v);
    lb_cluster_drain_notices(cl, v.notices);
    res->meta.makespan_s = v.max[0];
    int status = v.status;
    char why[600];
    if (status) {
        snprintf(why, sizeof why, "rank %d (%.64s): %.500s", cl->rank, host, err[0] ? err : lb_strerror(status));
        lb_cluster_bcast(cl, v.failed_rank, why, sizeof why);
    }

    /* gather: each case's two rows, its comparison and its rounds */
    lb_buf buf = {NULL, 0, 0};
    unsigned char *all = NULL;
    size_t all_len = 0, complete = 0;
    int grc = LB_OK;
    lb_run_opts one = *ro; /* each build's row from its blocks: one round of samples */
    one.rounds = 1;
    for (size_t i = 0; i < nc && !grc; i++) {
        if (!mine[i] || !cases[i].npairs || cases[i].acc[0].rounds_done != 1) continue;
        ab_record rec;
        memset(&rec, 0, sizeof rec);
        rec.index = i;
        rec.npairs = cases[i].npairs;
        rec.ab = cases[i].ab;
        grc = lb__make_row(&list.cases[i], &cases[i].acc[0], &one, LB_SHARD_MATRIX, cl, host, &rec.a, err, errlen);
        if (!grc) grc = lb__make_row(&list.cases[i], &cases[i].acc[1], &one, LB_SHARD_MATRIX, cl, host, &rec.b, err, errlen);
        rec.a.rounds = rec.b.rounds = (int64_t)rec.npairs;
        if (!grc) grc = lb__buf_put(&buf, &rec, sizeof rec);
        if (!grc) grc = lb__buf_put(&buf, cases[i].pairs, rec.npairs * sizeof *cases[i].pairs);
    }
    grc = lb_cluster_agree_status(cl, grc, NULL);
    if (!grc) grc = lb_cluster_gatherv(cl, buf.data, buf.len, (void **)&all, &all_len);
    lb_free(buf.data);
    if (!grc && cl->rank == 0) grc = combine_ab(all, all_len, nc, res, &complete);
    lb_free(all);
    for (size_t i = 0; i < nc; i++) lb__ab_case_free(&cases[i]);
    lb_free(cases);
    lb_free(mine);

    lb_rank_row me;
    memset(&me, 0, sizeof me);
    me.rank = cl->rank;
    snprintf(me.hostname, sizeof me.hostname, "%s", host);
    me.cores = cores;
    me.rss_peak_bytes = lb_rss_peak_bytes();
    lb_cluster_gather_ranks(cl, &me, res->ranks);
    res->nranks = (size_t)cl->size;
    if (!grc && cl->rank == 0) {
        res->meta.complete = !status && complete == nc;
        if (status && !(res->meta.failure = lb_strdup(why))) grc = LB_ENOMEM;
        if (!grc && (complete > 0 || !status)) grc = lb_results_write(ro->output, res, err, errlen);
    }
    grc = lb_cluster_agree_status(cl, grc, NULL);
    lb_case_list_free(&list);
    if (status) {
        snprintf(err, errlen, "%s", why);
        return status;
    }
    if (grc && !err[0]) snprintf(err, errlen, "ab: %s", lb_strerror(grc));
    return grc;
}

int lb_ab_exit_status(const lb_results *res)
{
    int improved = 0;
    for (size_t i = 0; res->ab && i < res->nrows; i++) {
        if (!strcmp(res->ab[i].verdict, "Regression")) return 1;
        improved |= !strcmp(res->ab[i].verdict, "Improvement");
    }
    return improved ? 2 : 0;
}
