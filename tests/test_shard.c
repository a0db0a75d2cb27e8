/* Data sharding against one process: the operations of src/bench/ops.c run
 * with their rows split over the MPI ranks must give what one process holding
 * every row gives: kNN exactly (ids and distance bits), attention within the
 * spec's tolerance. Also the pieces under them: the top-k merge with exact
 * ties, the row split, the seeded streams, and status agreement when a rank
 * fails.
 *
 * An MPI program, so not Check: Check forks each test and a forked child
 * cannot take part in the parent's collectives. Every rank runs the same
 * sequence of units; a unit's checks are local, its verdict is agreed over
 * the ranks (lb_cluster_agree_status), so every rank counts the same passes
 * and failures and returns the same status. A failed check prints
 * file:line, both values, the case and its seed, and the unit goes on, so
 * the ranks stay in step. LB_SHARD_SEED=<n> replays a run. */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include "latentbench/bench.h"
#include "latentbench/cluster.h"
#include "latentbench/error.h"
#include "latentbench/ops.h"
#include "latentbench/results.h"
#include "latentbench/suite.h"

#include <latent/latent.h>

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- bookkeeping: units agreed over the ranks -------------------------------- */

typedef struct {
    lb_cluster cl;
    uint64_t   base_seed;  /* LB_SHARD_SEED */
    uint64_t   seed;       /* the current unit's */
    char       what[192];  /* the current unit */
    unsigned   unit_fails; /* this rank's failed checks in the current unit */
    unsigned   passed, failed;
    uint64_t   units;      /* units begun: the per-unit seed stream */
    lb_latent  lt;         /* the build of liblatent under test (the one beside this binary) */
    void     (*fail_after)(long n); /* lt_mem_fail_after of that build */
} tstate;

static tstate T;

#define MAX_REPORTS 5 /* failed checks printed per unit and rank */

static void failf(const char *file, int line, const char *fmt, ...)
{
    if (T.unit_fails++ >= MAX_REPORTS) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "rank %d: %s:%d: %s: %s (seed %#" PRIx64 ", LB_SHARD_SEED=%" PRIu64 ")\n", T.cl.rank, file, line,
            T.what, msg, T.seed, T.base_seed);
}

#define CHECK(cond, ...)                                                                                      \
    do {                                                                                                      \
        if (!(cond)) failf(__FILE__, __LINE__, __VA_ARGS__);                                                  \
    } while (0)

#define CHECK_INT_EQ(a, b)                                                                                    \
    do {                                                                                                      \
        long long a_ = (long long)(a), b_ = (long long)(b);                                                   \
        if (a_ != b_) failf(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, a_, b_);                    \
    } while (0)

static uint64_t mix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t rng(uint64_t *s) { return mix64(*s += 0x632BE59BD9B4E019ULL); }

static void unit_begin(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(T.what, sizeof T.what, fmt, ap);
    va_end(ap);
    T.seed = mix64(T.base_seed ^ mix64(++T.units));
    T.unit_fails = 0;
}

static void unit_end(void)
{
    int failed_rank = -1;
    int st = lb_cluster_agree_status(&T.cl, T.unit_fails ? LB_EVERIFY : LB_OK, &failed_rank);
    if (st) {
        T.failed++;
        if (T.cl.rank == 0) printf("FAIL %s (seed %#" PRIx64 ", first failing rank %d)\n", T.what, T.seed, failed_rank);
    } else
        T.passed++;
    T.unit_fails = 0;
}

static double now_s(void) { return (double)lb_clock_ns() * 1e-9; }

static void section_done(const char *name, double t0, unsigned units0)
{
    if (T.cl.rank == 0)
        printf("%-14s %4u units  %6.2f s\n", name, T.passed + T.failed - units0, now_s() - t0);
    fflush(stdout);
}

/* ---- running one case sharded and whole ------------------------------------- */

static lb_case make_case(const char *op, const char *metric, const char *attention, int64_t d, int64_t n, int64_t k,
                         int64_t batch)
{
    lb_case c;
    memset(&c, 0, sizeof c);
    snprintf(c.id, sizeof c.id, "shard/%s", op);
    snprintf(c.op, sizeof c.op, "%s", op);
    snprintf(c.metric, sizeof c.metric, "%s", metric);
    snprintf(c.attention, sizeof c.attention, "%s", attention);
    c.dimension = d;
    c.k = k;
    c.batch_size = batch;
    if (strncmp(op, "attention", 9) == 0) c.seq_len = n;
    else c.dataset_size = n;
    return c;
}

/* Prepares c sharded over every rank (this rank's part of `part`, or generated
 * data) and runs it once, collectively; on rank 0 also whole (`whole`, or the
 * same generated data) on this process alone. *sh and *loc are NULL where
 * they were not made. Returns 1 when both ran (rank 0) or the sharded one ran
 * (other ranks). */
static int run_pair(const lb_case *c, const lb_dataset *part, const lb_dataset *whole, lb_op_ctx **sh,
                    lb_op_ctx **loc)
{
    char err[256] = "";
    uint64_t ns = 0;
    *sh = *loc = NULL;
    lb_op_env env = {&T.lt, T.seed, part, &T.cl, 0};
    int rc = lb_op_prepare(c, &env, sh, err, sizeof err);
    CHECK(rc == LB_OK, "sharded prepare: %s (%d)", err, rc);
    /* the run is collective: every rank runs it or none does */
    if (lb_cluster_agree_status(&T.cl, rc, NULL) != LB_OK) {
        lb_op_free(*sh);
        *sh = NULL;
        return 0;
    }
    rc = lb_op_run(*sh, 1, &ns);
    CHECK(rc == LB_OK, "sharded run: %s", lb_strerror(rc));
    if (T.cl.rank != 0) return rc == LB_OK;
    lb_op_env alone = {&T.lt, T.seed, whole, NULL, 0};
    int lrc = lb_op_prepare(c, &alone, loc, err, sizeof err);
    CHECK(lrc == LB_OK, "whole prepare: %s (%d)", err, lrc);
    if (lrc) return 0;
    lrc = lb_op_run(*loc, 1, &ns);
    CHECK(lrc == LB_OK, "whole run: %s", lb_strerror(lrc));
    return rc == LB_OK && lrc == LB_OK;
}

static int neighbor_before(const lt_neighbor *a, const lt_neighbor *b)
{
    return a->distance < b->distance || (a->distance == b->distance && a->id < b->id);
}

/* Rank 0: the sharded answer equals the whole one bit for bit; expect_found
 * real entries per query, sorted by (distance, id), padded after them. */
static void compare_knn(const lb_op_ctx *sh, const lb_op_ctx *loc, size_t expect_found)
{
    size_t nq, k, nq2, k2;
    const size_t *fs, *fl;
    const lt_neighbor *a = lb_op_neighbors(sh, &nq, &k, &fs), *b = lb_op_neighbors(loc, &nq2, &k2, &fl);
    CHECK(a && b, "no neighbours (sharded %p, whole %p)", (const void *)a, (const void *)b);
    CHECK_INT_EQ(nq, nq2);
    CHECK_INT_EQ(k, k2);
    if (!a || !b || nq != nq2 || k != k2) return;
    for (size_t q = 0; q < nq; q++) {
        CHECK(fs[q] == fl[q], "query %zu: found %zu sharded, %zu whole", q, fs[q], fl[q]);
        CHECK(fl[q] == expect_found, "query %zu: found %zu whole, expected %zu", q, fl[q], expect_found);
        size_t n = fs[q] < fl[q] ? fs[q] : fl[q];
        const lt_neighbor *x = a + q * k, *y = b + q * k;
        for (size_t i = 0; i < n; i++)
            if (x[i].id != y[i].id || memcmp(&x[i].distance, &y[i].distance, sizeof(float)) != 0) {
                failf(__FILE__, __LINE__,
                      "query %zu entry %zu of %zu: sharded (id %" PRIu64 ", %.9g) != whole (id %" PRIu64 ", %.9g)", q,
                      i, n, x[i].id, (double)x[i].distance, y[i].id, (double)y[i].distance);
                break;
            }
        for (size_t i = 1; i < fs[q] && i < k; i++)
            if (!neighbor_before(&x[i - 1], &x[i])) {
                failf(__FILE__, __LINE__, "query %zu: sharded entries %zu, %zu out of (distance, id) order", q, i - 1,
                      i);
                break;
            }
        for (size_t i = fs[q]; i < k; i++)
            if (x[i].id != UINT64_MAX || !isinf(x[i].distance)) {
                failf(__FILE__, __LINE__, "query %zu: sharded entry %zu past found %zu is not padding (id %" PRIu64 ")",
                      q, i, fs[q], x[i].id);
                break;
            }
    }
}

/* Rank 0: |out - ref|_inf <= 1e-4 max(1, |ref|_inf) per query, ref whole. */
static void compare_attention(const lb_op_ctx *sh, const lb_op_ctx *loc)
{
    size_t nq, d, nq2, d2;
    const float *a = lb_op_outputs(sh, &nq, &d), *b = lb_op_outputs(loc, &nq2, &d2);
    CHECK(a && b, "no outputs (sharded %p, whole %p)", (const void *)a, (const void *)b);
    CHECK_INT_EQ(nq, nq2);
    CHECK_INT_EQ(d, d2);
    if (!a || !b || nq != nq2 || d != d2) return;
    for (size_t q = 0; q < nq; q++) {
        double diff = 0, ref = 0;
        size_t worst = 0;
        int finite = 1;
        for (size_t j = 0; j < d; j++) {
            float x = a[q * d + j], y = b[q * d + j];
            finite &= isfinite(x) && isfinite(y);
            double e = fabs((double)x - (double)y);
            if (e > diff) diff = e, worst = j;
            if (fabs((double)y) > ref) ref = fabs((double)y);
        }
        double tol = 1e-4 * (ref > 1 ? ref : 1);
        CHECK(finite, "query %zu: a non-finite output", q);
        CHECK(diff <= tol, "query %zu: |sharded - whole|_inf = %.3g at [%zu] (sharded %.9g, whole %.9g) > %.3g", q, diff,
              worst, (double)a[q * d + worst], (double)b[q * d + worst], tol);
    }
}

/* ---- 1. kNN over generated data, every metric --------------------------------- */

static const char *const METRICS[] = {"Euclidean", "Cosine", "Manhattan", "Hyperbolic", "Dot"};

static void test_knn_generated(void)
{
    static const int64_t dims[] = {3, 64, 128}, sizes[] = {1, 5, 1000, 4099};
    static const char *const ops[] = {"knn", "knn_batch"};
    for (size_t m = 0; m < 5; m++)
        for (size_t o = 0; o < 2; o++)
            for (size_t di = 0; di < 3; di++)
                for (size_t ni = 0; ni < 4; ni++) {
                    int64_t n = sizes[ni], ks[] = {1, 10, 100, n + 3};
                    for (size_t ki = 0; ki < 4; ki++) {
                        int64_t k = ks[ki];
                        unit_begin("%s %s d=%lld n=%lld k=%lld", ops[o], METRICS[m], (long long)dims[di],
                                   (long long)n, (long long)k);
                        lb_case c = make_case(ops[o], METRICS[m], "", dims[di], n, k, o ? 7 : 0);
                        lb_op_ctx *sh, *loc;
                        if (run_pair(&c, NULL, NULL, &sh, &loc) && T.cl.rank == 0)
                            compare_knn(sh, loc, (size_t)(k < n ? k : n));
                        lb_op_free(sh);
                        lb_op_free(loc);
                        unit_end();
                    }
                }
}

/* ---- 1b. the top-k merge with many exact ties -------------------------------- */

static int cmp_neighbor(const void *pa, const void *pb)
{
    const lt_neighbor *a = pa, *b = pb;
    return neighbor_before(a, b) ? -1 : neighbor_before(b, a) ? 1 : 0;
}

/* Rank r's sorted list for query q of a trial: len entries (0..k), distances
 * from a set of three values so most entries tie, ids unique over the ranks. */
static size_t tie_list(uint64_t seed, int r, int p, size_t q, size_t k, lt_neighbor *out)
{
    static const float dist[] = {0.25f, 0.5f, 1.0f};
    uint64_t s = seed ^ mix64(((uint64_t)r << 32) ^ q);
    size_t len = (size_t)(rng(&s) % (k + 1));
    int all_equal = rng(&s) % 4 == 0; /* every distance the same: pure id order */
    for (size_t j = 0; j < len; j++) {
        out[j].distance = all_equal ? 0.5f : dist[rng(&s) % 3];
        out[j].id = ((rng(&s) & 0xFFFFF) * (uint64_t)p + (uint64_t)r) * 64 + j; /* j < 64 */
    }
    qsort(out, len, sizeof *out, cmp_neighbor);
    lb_knn_pad(out, len, k);
    return len;
}

static void test_knn_merge_ties(void)
{
    static const size_t ks[] = {1, 2, 5, 16, 63};
    int p = T.cl.size;
    for (size_t trial = 0; trial < 40; trial++) {
        size_t k = ks[trial % 5], nq = 1 + trial % 3;
        unit_begin("knn merge ties: trial %zu, k=%zu, nq=%zu", trial, k, nq);
        lt_neighbor *mine = calloc(nq * k, sizeof *mine), *all = calloc((size_t)p * k + 1, sizeof *all);
        size_t *found = calloc(nq, sizeof *found);
        if (!mine || !all || !found) {
            CHECK(0, "out of memory");
        } else {
            for (size_t q = 0; q < nq; q++) tie_list(T.seed, T.cl.rank, p, q, k, mine + q * k);
            uint64_t ns = 0;
            int rc = lb_cluster_knn_merge(&T.cl, mine, nq, k, found, &ns);
            CHECK(rc == LB_OK, "merge: %s", lb_strerror(rc));
            for (size_t q = 0; T.cl.rank == 0 && !rc && q < nq; q++) {
                size_t total = 0;
                for (int r = 0; r < p; r++) total += tie_list(T.seed, r, p, q, k, all + total);
                qsort(all, total, sizeof *all, cmp_neighbor);
                size_t want = total < k ? total : k;
                CHECK(found[q] == want, "query %zu: found %zu, expected %zu of %zu", q, found[q], want, total);
                const lt_neighbor *x = mine + q * k;
                for (size_t i = 0; i < want; i++)
                    if (x[i].id != all[i].id || memcmp(&x[i].distance, &all[i].distance, sizeof(float)) != 0) {
                        failf(__FILE__, __LINE__,
                              "query %zu entry %zu: merged (id %" PRIu64 ", %g) != sorted union (id %" PRIu64 ", %g)",
                              q, i, x[i].id, (double)x[i].distance, all[i].id, (double)all[i].distance);
                        break;
                    }
                for (size_t i = 1; i < want; i++)
                    CHECK(neighbor_before(&x[i - 1], &x[i]), "query %zu: entries %zu, %zu out of order", q, i - 1, i);
                for (size_t i = want; i < k; i++)
                    CHECK(x[i].id == UINT64_MAX && isinf(x[i].distance), "query %zu: entry %zu is not padding", q, i);
            }
        }
        free(mine);
        free(all);
        free(found);
        unit_end();
    }
}

/* ---- 2. an ann-benchmarks file read in parts ---------------------------------- */

static int write_dataset(const char *path, const char *distance, size_t n, size_t d, size_t q, size_t kn,
                         uint64_t seed, char *err, size_t errlen)
{
    lb_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.n = ds.n_total = n;
    ds.d = d;
    ds.q = q;
    ds.kn = kn;
    snprintf(ds.distance, sizeof ds.distance, "%s", distance);
    ds.train = malloc(n * d * sizeof(float));
    ds.test = malloc(q * d * sizeof(float));
    ds.neighbors = malloc(q * kn * sizeof(int32_t));
    ds.distances = calloc(q * kn, sizeof(float));
    int rc = LB_ENOMEM;
    if (ds.train && ds.test && ds.neighbors && ds.distances) {
        lb_fill_uniform(ds.train, n * d, seed);
        lb_fill_uniform(ds.test, q * d, seed + 1);
        for (size_t i = 0; i < q * kn; i++) ds.neighbors[i] = (int32_t)(i % kn); /* unused here; valid rows */
        rc = lb_dataset_write(path, &ds, err, errlen);
    }
    free(ds.train);
    free(ds.test);
    free(ds.neighbors);
    free(ds.distances);
    return rc;
}

static void test_dataset(void)
{
    static const char *const distances[] = {"euclidean", "angular"};
    const size_t n = 3001, d = 24, q = 17, kn = 100;
    char dir[256] = "", path[2][320];
    char err[256] = "";

    unit_begin("dataset: write");
    int rc = LB_OK;
    if (T.cl.rank == 0) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/lb_shard_XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            CHECK(0, "mkdtemp %s failed", dir);
            rc = LB_EIO;
        }
    }
    lb_cluster_bcast(&T.cl, 0, dir, sizeof dir);
    for (int i = 0; i < 2; i++) {
        snprintf(path[i], sizeof path[i], "%s/%s.hdf5", dir, distances[i]);
        if (T.cl.rank == 0 && !rc) {
            rc = write_dataset(path[i], distances[i], n, d, q, kn, T.seed + (uint64_t)i * 7, err, sizeof err);
            CHECK(rc == LB_OK, "lb_dataset_write: %s", err);
        }
    }
    lb_cluster_barrier(&T.cl);
    unit_end();
    int ok = lb_cluster_agree_status(&T.cl, rc, NULL) == LB_OK;

    for (int i = 0; ok && i < 2; i++) {
        lb_dataset part, whole;
        memset(&whole, 0, sizeof whole);
        unit_begin("dataset %s: read part %d of %d", distances[i], T.cl.rank, T.cl.size);
        int prc = lb_dataset_read_part(path[i], (size_t)T.cl.rank, (size_t)T.cl.size, &part, err, sizeof err);
        CHECK(prc == LB_OK, "lb_dataset_read_part: %s", err);
        if (!prc) {
            uint64_t lo, hi;
            lb_shard_range(n, T.cl.rank, T.cl.size, &lo, &hi);
            CHECK_INT_EQ(part.row0, lo);
            CHECK_INT_EQ(part.n, hi - lo);
            CHECK_INT_EQ(part.n_total, n);
            CHECK_INT_EQ(part.q, q);
            CHECK_INT_EQ(part.d, d);
        }
        int wrc = LB_OK;
        if (T.cl.rank == 0) {
            wrc = lb_dataset_read(path[i], &whole, err, sizeof err);
            CHECK(wrc == LB_OK, "lb_dataset_read: %s", err);
            if (!wrc && !prc)
                CHECK(memcmp(whole.train, part.train, part.n * d * sizeof(float)) == 0, "part 0 differs from the whole");
        }
        unit_end();
        int read_ok = lb_cluster_agree_status(&T.cl, prc ? prc : wrc, NULL) == LB_OK;

        static const char *const ops[] = {"knn", "knn_batch", "knn_batch"};
        static const int64_t batches[] = {0, 7, 17}, ks[] = {1, 10, 100};
        for (size_t o = 0; read_ok && o < 3; o++)
            for (size_t ki = 0; ki < 3; ki++) {
                unit_begin("dataset %s: %s batch=%lld k=%lld", distances[i], ops[o], (long long)batches[o],
                           (long long)ks[ki]);
                /* the metric and dimension come from the file */
                lb_case c = make_case(ops[o], "Manhattan", "", 5, 10, ks[ki], batches[o]);
                lb_op_ctx *sh, *loc;
                if (run_pair(&c, &part, &whole, &sh, &loc) && T.cl.rank == 0) {
                    size_t nqs, dd, rows;
                    const size_t *f;
                    lb_op_shape(sh, &dd, &rows);
                    CHECK_INT_EQ(dd, d);
                    CHECK_INT_EQ(rows, n);
                    lb_op_neighbors(sh, &nqs, &dd, &f);
                    CHECK_INT_EQ(nqs, batches[o] ? (size_t)batches[o] : 1);
                    compare_knn(sh, loc, (size_t)ks[ki]);
                }
                lb_op_free(sh);
                lb_op_free(loc);
                unit_end();
            }
        if (!prc) lb_dataset_free(&part);
        if (T.cl.rank == 0 && !wrc) lb_dataset_free(&whole);
    }

    lb_cluster_barrier(&T.cl); /* every rank has closed the files */
    if (T.cl.rank == 0 && dir[0]) {
        for (int i = 0; i < 2; i++) unlink(path[i]);
        if (rmdir(dir) != 0) fprintf(stderr, "test_shard: could not remove %s\n", dir);
    }
}

/* ---- 3. attention --------------------------------------------------------------- */

typedef struct {
    const char *attention;
    int64_t     heads, experts, top_k;
} attn_variant;

static void test_attention_sharded(void)
{
    static const attn_variant variants[] = {
        {"Standard", 0, 0, 0},  {"Flash", 0, 0, 0},     {"MultiHead", 4, 0, 0}, {"MultiHead", 8, 0, 0},
        {"MoE", 0, 4, 1},       {"MoE", 0, 4, 2},       {"MoE", 0, 8, 1},       {"MoE", 0, 8, 2},
    };
    static const int64_t dims[] = {8, 64, 256}, seqs[] = {1, 7, 1000};
    static const char *const ops[] = {"attention", "attention_batch", "attention_build"};
    for (size_t o = 0; o < 3; o++)
        for (size_t v = 0; v < sizeof variants / sizeof *variants; v++)
            for (size_t di = 0; di < 3; di++)
                for (size_t si = 0; si < 3; si++) {
                    const attn_variant *av = &variants[v];
                    unit_begin("%s %s heads=%lld experts=%lld top_k=%lld d=%lld seq_len=%lld", ops[o], av->attention,
                               (long long)av->heads, (long long)av->experts, (long long)av->top_k,
                               (long long)dims[di], (long long)seqs[si]);
                    lb_case c = make_case(ops[o], "", av->attention, dims[di], seqs[si], 0, o == 1 ? 5 : 0);
                    c.num_heads = av->heads;
                    c.num_experts = av->experts;
                    c.top_k_experts = av->top_k;
                    lb_op_ctx *sh, *loc;
                    if (run_pair(&c, NULL, NULL, &sh, &loc) && T.cl.rank == 0) compare_attention(sh, loc);
                    lb_op_free(sh);
                    lb_op_free(loc);
                    unit_end();
                }
}

/* ---- 4. the row split ------------------------------------------------------------ */

static void test_shard_range(void)
{
    static const uint64_t ns[] = {0, 1, 2, 7, 1000, (1ULL << 40) + 3};
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
        for (int p = 1; p <= 8; p++) {
            uint64_t n = ns[i], prev_hi = 0, small = n / (uint64_t)p;
            unit_begin("lb_shard_range n=%" PRIu64 " p=%d", n, p);
            for (int r = 0; r < p; r++) {
                uint64_t lo, hi;
                lb_shard_range(n, r, p, &lo, &hi);
                CHECK(lo == prev_hi, "rank %d starts at %" PRIu64 ", previous ended at %" PRIu64, r, lo, prev_hi);
                CHECK(lo <= hi, "rank %d: [%" PRIu64 ", %" PRIu64 ")", r, lo, hi);
                CHECK(hi - lo == small || hi - lo == small + 1, "rank %d holds %" PRIu64 " rows, n/p = %" PRIu64, r,
                      hi - lo, small);
                prev_hi = hi;
            }
            CHECK(prev_hi == n, "the last rank ends at %" PRIu64 ", not n = %" PRIu64, prev_hi, n);
            unit_end();
        }
}

/* ---- 5. the seeded stream ---------------------------------------------------------- */

static void test_fill_uniform(void)
{
    enum { N = 4096 + 17 };
    static float whole[N], part[N];
    static const size_t slices[][2] = {{0, 0}, {0, 1}, {1, 1}, {5, 100}, {4095, 18}, {1000, 3113}, {0, N}, {N - 1, 1}};
    unit_begin("lb_fill_uniform_at");
    lb_fill_uniform(whole, N, T.seed);
    int spread = 0;
    for (size_t i = 0; i < N; i++) {
        CHECK(whole[i] >= -1.0f && whole[i] < 1.0f, "x[%zu] = %.9g outside [-1, 1)", i, (double)whole[i]);
        spread |= whole[i] != whole[0];
    }
    CHECK(spread, "the stream is constant");
    for (size_t s = 0; s < sizeof slices / sizeof *slices; s++) {
        size_t first = slices[s][0], n = slices[s][1];
        memset(part, 0xFF, sizeof part);
        lb_fill_uniform_at(part, first, n, T.seed);
        for (size_t i = 0; i < n; i++)
            if (memcmp(&part[i], &whole[first + i], sizeof(float)) != 0) {
                failf(__FILE__, __LINE__, "slice [%zu, %zu): x[%zu] = %.9g, the whole stream has %.9g", first,
                      first + n, first + i, (double)part[i], (double)whole[first + i]);
                break;
            }
        /* nothing past the slice is written */
        for (size_t i = n; i < N; i++) {
            uint32_t bits;
            memcpy(&bits, &part[i], sizeof bits);
            if (bits != 0xFFFFFFFFu) {
                failf(__FILE__, __LINE__, "slice [%zu, %zu) wrote x[%zu]", first, first + n, i);
                break;
            }
        }
    }
    /* far into the stream: overlapping slices agree */
    uint64_t far = (1ULL << 40) + 12345;
    lb_fill_uniform_at(whole, far, 64, T.seed);
    lb_fill_uniform_at(part, far + 10, 54, T.seed);
    CHECK(memcmp(whole + 10, part, 54 * sizeof(float)) == 0, "slices at 2^40 + 12345 disagree");
    /* another seed, another stream */
    lb_fill_uniform_at(part, far, 64, T.seed + 1);
    CHECK(memcmp(whole, part, 64 * sizeof(float)) != 0, "seeds %" PRIu64 " and +1 give the same stream", T.seed);
    unit_end();
}

/* ---- 6. failures ------------------------------------------------------------------- */

static void test_failures(void)
{
    int r = T.cl.rank, p = T.cl.size, last = p - 1;

    unit_begin("sync: rank %d fails", last);
    lb_sync v;
    lb_sync_set(&v, r == last ? LB_EIO : LB_OK, (double)r);
    lb_cluster_sync(&T.cl, &v);
    CHECK_INT_EQ(v.status, LB_EIO);
    CHECK_INT_EQ(v.failed_rank, last);
    CHECK_INT_EQ(v.failed, 1);
    CHECK(v.max[0] == last && v.min == 0 && v.sum[0] == (double)p * (p - 1) / 2,
          "max %g, min %g, sum %g over %d ranks", v.max[0], v.min, v.sum[0], p);
    unit_end();

    unit_begin("sync: ranks 0 and %d fail", last);
    lb_sync_set(&v, r == 0 ? LB_EDATA : r == last ? LB_EIO : LB_OK, 1.0);
    lb_cluster_sync(&T.cl, &v);
    CHECK_INT_EQ(v.status, LB_EDATA); /* the lowest failing rank's */
    CHECK_INT_EQ(v.failed_rank, 0);
    CHECK_INT_EQ(v.failed, p > 1 ? 2 : 1);
    CHECK(v.sum[0] == p, "sum %g over %d ranks", v.sum[0], p);
    unit_end();

    unit_begin("sync: no failure");
    int fr = 7;
    CHECK_INT_EQ(lb_cluster_agree_status(&T.cl, LB_OK, &fr), LB_OK);
    CHECK_INT_EQ(fr, -1);
    unit_end();

    /* A rank whose library call fails in the middle of a sharded operation
     * still takes part in the merge: the others finish, the status agrees. */
    static const char *const ops[] = {"knn", "knn_batch", "attention", "attention_build"};
    for (size_t o = 0; o < 4; o++) {
        unit_begin("%s: rank %d out of memory mid-operation", ops[o], last);
        int64_t n = 1000, k = 10;
        lb_case c = make_case(ops[o], "Euclidean", "Standard", 16, n, k, o == 1 ? 3 : 0);
        lb_op_env env = {&T.lt, T.seed, NULL, &T.cl, 0};
        lb_op_ctx *ctx = NULL;
        char err[256] = "";
        int rc = lb_op_prepare(&c, &env, &ctx, err, sizeof err);
        CHECK(rc == LB_OK, "prepare: %s", err);
        if (lb_cluster_agree_status(&T.cl, rc, NULL) == LB_OK) {
            uint64_t ns;
            if (r == last) T.fail_after(1); /* the next allocation of liblatent */
            double t0 = now_s();
            rc = lb_op_run(ctx, 1, &ns);
            T.fail_after(-1);
            CHECK_INT_EQ(rc, r == last ? LB_EINTERNAL : LB_OK);
            int failed_rank = -2;
            int st = lb_cluster_agree_status(&T.cl, rc, &failed_rank);
            CHECK_INT_EQ(st, LB_EINTERNAL);
            CHECK_INT_EQ(failed_rank, last);
            CHECK(now_s() - t0 < 30, "took %.1f s", now_s() - t0);
            /* rank 0 holds the others' answer: none of the failed rank's rows */
            size_t nq, kk;
            const size_t *found;
            const lt_neighbor *nb = lb_op_neighbors(ctx, &nq, &kk, &found);
            if (nb && r == 0 && p > 1) {
                uint64_t lo, hi;
                lb_shard_range((uint64_t)n, last, p, &lo, &hi);
                for (size_t q = 0; q < nq; q++) {
                    CHECK_INT_EQ(found[q], k);
                    for (size_t i = 0; i < found[q]; i++)
                        CHECK(nb[q * kk + i].id < lo, "query %zu: id %" PRIu64 " from the failed rank's rows", q,
                              nb[q * kk + i].id);
                }
            }
            /* the failure is not sticky: the next run succeeds everywhere */
            rc = lb_op_run(ctx, 2, &ns);
            CHECK_INT_EQ(rc, LB_OK);
            CHECK_INT_EQ(lb_cluster_agree_status(&T.cl, rc, NULL), LB_OK);
        }
        lb_op_free(ctx);
        unit_end();
    }

    /* Matrix sharding's notices: one rank tells, the others see it while
     * polling, one sync counts them and the drain leaves none in flight.
     * Twice: a drained notice is settled, so a second failure (a second run
     * in the same process) is told and counted afresh. */
    for (int round = 1; round <= 2; round++) {
        unit_begin("failure notice from rank %d, round %d", last, round);
        /* a notice still counted after its drain would have the others wait
         * for a message that never comes: fail instead of hanging */
        if (lb_cluster_agree_status(&T.cl, T.cl.notices_sent ? LB_EINTERNAL : LB_OK, NULL) != LB_OK) {
            CHECK(0, "a drained notice is still counted (notices_sent %d)", T.cl.notices_sent);
            unit_end();
            continue;
        }
        double t0 = now_s();
        if (r == last) {
            lb_cluster_notify_failure(&T.cl);
            CHECK_INT_EQ(T.cl.notices_sent, p > 1);
        } else {
            int seen = 0;
            while (!(seen = lb_cluster_failure_pending(&T.cl)) && now_s() - t0 < 5.0) {
                struct timespec ts = {0, 1000000};
                nanosleep(&ts, NULL);
            }
            CHECK(seen == 1, "no notice after %.1f s", now_s() - t0);
        }
        lb_sync_set(&v, r == last ? LB_EIO : LB_OK, 0.0);
        lb_cluster_sync(&T.cl, &v);
        CHECK_INT_EQ(v.notices, p > 1);
        CHECK_INT_EQ(v.failed_rank, last);
        lb_cluster_drain_notices(&T.cl, v.notices);
        CHECK(!lb_cluster_failure_pending(&T.cl), "a notice is still pending after the drain");
        CHECK_INT_EQ(T.cl.notices_sent, 0);
        lb_cluster_barrier(&T.cl);
        CHECK(now_s() - t0 < 10, "notice, sync and drain took %.1f s", now_s() - t0);
        unit_end();
    }
}

/* ---- main ------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    if (lb_cluster_init(&argc, &argv, &T.cl) != LB_OK) {
        fprintf(stderr, "test_shard: MPI did not start\n");
        return 1;
    }
    char lerr[512];
    int lrc = lb_latent_open(NULL, &T.lt, lerr, sizeof lerr);
    if (!lrc && !(*(void **)&T.fail_after = dlsym(T.lt.handle, "lt_mem_fail_after"))) lrc = LB_EDATA;
    if (lb_cluster_agree_status(&T.cl, lrc, NULL) != LB_OK) {
        fprintf(stderr, "test_shard: liblatent: %s\n", lrc ? lerr : "another rank could not load it");
        lb_latent_close(&T.lt);
        lb_cluster_finalize(&T.cl);
        return 1;
    }
    const char *env = getenv("LB_SHARD_SEED");
    T.base_seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    lb_cluster_bcast(&T.cl, 0, &T.base_seed, sizeof T.base_seed); /* one stream for every rank */
    if (T.cl.rank == 0) printf("test_shard: %d ranks, LB_SHARD_SEED=%" PRIu64 "\n", T.cl.size, T.base_seed);

    struct {
        const char *name;
        void (*fn)(void);
    } sections[] = {
        {"shard_range", test_shard_range},   {"fill_uniform", test_fill_uniform},
        {"knn_merge", test_knn_merge_ties},  {"knn", test_knn_generated},
        {"dataset", test_dataset},           {"attention", test_attention_sharded},
        {"failures", test_failures},
    };
    double t_all = now_s();
    for (size_t i = 0; i < sizeof sections / sizeof *sections; i++) {
        double t0 = now_s();
        unsigned units0 = T.passed + T.failed;
        sections[i].fn();
        section_done(sections[i].name, t0, units0);
    }
    /* the counts are agreed unit by unit; the status once more, for the exit */
    int st = lb_cluster_agree_status(&T.cl, T.failed ? LB_EVERIFY : LB_OK, NULL);
    if (T.cl.rank == 0) {
        printf("total %.2f s\n%u passed, %u failed\n", now_s() - t_all, T.passed, T.failed);
        fflush(stdout);
    }
    lb_latent_close(&T.lt);
    lb_cluster_finalize(&T.cl);
    return st == LB_OK ? 0 : 1;
}
