/*
 * Exact k-nearest neighbours: every metric against the double reference over a
 * grid of dimensions and sizes, single and batch, near-duplicates, tie order,
 * empty spaces, the Cosine zero-vector rule and the hyperbolic projection.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latent/latent.h"
#include "check_helpers.h"
#include "ref.h"

static const char *const metric_names[] = {"euclidean", "cosine", "manhattan", "hyperbolic",
                                           "dot"};
#define NMETRICS 5

/* Poison an output buffer so entries the library fails to write show up. */
static void poison(lt_neighbor *nb, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        nb[i].id = 0xabababababababULL;
        nb[i].distance = -12345.0f;
    }
}

/* Single queries per batch: enough to compare the paths, few enough to keep the
 * grid quick (every batch row is still checked against the reference). */
#define SINGLE_PER_BATCH 7

/* Run batch kNN for queries q (nq rows) with k, and single kNN for the first
 * SINGLE_PER_BATCH of them; check both against the reference lists ref (nq x n)
 * and against each other. */
static void check_queries(const lt_space *s, lt_metric m, const float *q, size_t nq, size_t k,
                          const ref_neighbor *ref, size_t n, const char *ctx)
{
    size_t d = lt_space_config(s)->dimension;
    size_t want = k < n ? k : n;
    lt_neighbor *batch = tst_xmalloc(nq * k * sizeof *batch);
    lt_neighbor *single = tst_xmalloc(k * sizeof *single);
    size_t *found = tst_xmalloc(nq * sizeof *found);
    char msg[512];
    poison(batch, nq * k);
    for (size_t i = 0; i < nq; i++)
        found[i] = 777777;
    int rc = lt_space_knn_batch(s, q, nq, k, batch, found);
    ck_assert_msg(rc == LT_OK, "%s k=%zu nq=%zu: knn_batch %s", ctx, k, nq, lt_strerror(rc));
    for (size_t i = 0; i < nq; i++) {
        const ref_neighbor *r = ref + i * n;
        const lt_neighbor *row = batch + i * k;
        size_t fs = 777777;
        if (i < SINGLE_PER_BATCH) { /* single first: a batch-only failure then says so */
            poison(single, k);
            rc = lt_space_knn(s, q + i * d, k, single, &fs);
            ck_assert_msg(rc == LT_OK, "%s k=%zu query %zu: knn %s", ctx, k, i, lt_strerror(rc));
            ck_assert_msg(ref_check_knn(m, single, fs, r, n, k, msg, sizeof msg),
                          "%s k=%zu query %zu single: %s", ctx, k, i, msg);
        }
        ck_assert_msg(ref_check_knn(m, row, found[i], r, n, k, msg, sizeof msg),
                      "%s k=%zu nq=%zu query %zu batch%s: %s", ctx, k, nq, i,
                      i < SINGLE_PER_BATCH ? " (single passed)" : "", msg);
        if (i < SINGLE_PER_BATCH)
            ck_assert_msg(ref_check_knn_same(m, row, found[i], single, fs, r, n, msg, sizeof msg),
                          "%s k=%zu nq=%zu query %zu batch vs single: %s", ctx, k, nq, i, msg);
        for (size_t j = want; j < k; j++)
            ck_assert_msg(row[j].id == UINT64_MAX && isinf(row[j].distance) &&
                              row[j].distance > 0,
                          "%s k=%zu nq=%zu query %zu: batch entry %zu past found is {%llu, %g}, "
                          "expected {UINT64_MAX, INFINITY}",
                          ctx, k, nq, i, j, (unsigned long long)row[j].id,
                          (double)row[j].distance);
    }
    free(batch);
    free(single);
    free(found);
}

/* ---- Grid against the reference ------------------------------------------------ */

static const size_t grid_dims[] = {1, 3, 15, 16, 17, 64, 100, 256, 1024};
static const size_t grid_ns[] = {1, 2, 63, 64, 65, 1000, 10000};
#define NDIMS (sizeof grid_dims / sizeof grid_dims[0])
#define NNS (sizeof grid_ns / sizeof grid_ns[0])
/* Work budget (query x stored floats) for the batches of 7 and 33 queries. */
#define BATCH_WORK 3000000.0

START_TEST(test_knn_grid)
{
    const lt_metric m = (lt_metric)(_i / (int)NDIMS);
    const size_t d = grid_dims[_i % (int)NDIMS];
    for (size_t ni = 0; ni < NNS; ni++) {
        const size_t n = grid_ns[ni];
        const uint64_t seed = ref_case_seed(1, (uint64_t)m, d, n);
        lt_config cfg = lt_config_default(d);
        cfg.metric = m;
        lt_space *s = tst_new_space(&cfg);
        float *data = tst_xmalloc(n * d * sizeof *data);
        ref_fill_uniform(seed, data, n * d);
        /* Every other size uses explicit, shuffled, sparse ids. */
        uint64_t *ids = NULL;
        if (ni % 2 == 1) {
            ref_rng r;
            ref_rng_seed(&r, seed ^ 0x1d5);
            ids = tst_xmalloc(n * sizeof *ids);
            for (size_t i = 0; i < n; i++)
                ids[i] = 3 * (uint64_t)i + 1000;
            ref_shuffle_u64(&r, ids, n);
        }
        ck_assert_int_eq(lt_space_add_batch(s, data, n, ids), LT_OK);
        ck_assert_uint_eq(lt_space_size(s), n);

        static const size_t nqs[] = {1, 7, 33, 130}; /* 130: several query panels and groups */
        for (size_t qi = 0; qi < 4; qi++) {
            size_t nq = nqs[qi];
            if (nq > 1 && (double)nq * (double)n * (double)d > BATCH_WORK)
                continue;
            float *q = tst_xmalloc(nq * d * sizeof *q);
            ref_fill_uniform(seed + 1 + qi, q, nq * d);
            ref_neighbor *ref = tst_xmalloc(nq * n * sizeof *ref);
            for (size_t i = 0; i < nq; i++)
                ref_knn_all(&cfg, data, ids, n, q + i * d, ref + i * n);
            const size_t ks[] = {1, 10, n + 3};
            for (size_t ki = 0; ki < 3; ki++) {
                char ctx[160];
                snprintf(ctx, sizeof ctx, "%s d=%zu n=%zu ids=%s seed=%llu", metric_names[m], d,
                         n, ids ? "explicit" : "auto", (unsigned long long)seed);
                check_queries(s, m, q, nq, ks[ki], ref, n, ctx);
            }
            free(q);
            free(ref);
        }
        /* Stored rows as queries: distance ~0 to themselves (Cosine must clamp at 0,
         * Euclidean must not lose it to cancellation). */
        {
            const size_t nself = n < 7 ? n : 7;
            float *q = tst_xmalloc(nself * d * sizeof *q);
            ref_neighbor *ref = tst_xmalloc(nself * n * sizeof *ref);
            for (size_t i = 0; i < nself; i++) {
                memcpy(q + i * d, data + (i * n / nself) * d, d * sizeof *q);
                ref_knn_all(&cfg, data, ids, n, q + i * d, ref + i * n);
            }
            char ctx[160];
            snprintf(ctx, sizeof ctx, "%s d=%zu n=%zu self queries seed=%llu", metric_names[m],
                     d, n, (unsigned long long)seed);
            check_queries(s, m, q, nself, 3, ref, n, ctx);
            free(q);
            free(ref);
        }
        free(data);
        free(ids);
        lt_space_destroy(s);
    }
}
END_TEST

/* Clusters of near-duplicates (offsets ~1e-3 of the norm): ranking by
 * |q|^2 + |x|^2 - 2 q.x cannot separate them in float32, the spec's
 * sqrt(sum (a-b)^2) can. */
START_TEST(test_near_duplicates)
{
    const lt_metric m = (lt_metric)(_i / 3);
    static const size_t dims[] = {3, 16, 256};
    const size_t d = dims[_i % 3], clusters = 4, per = 16, n = clusters * per, nq = 8;
    const uint64_t seed = ref_case_seed(6, (uint64_t)m, d, 0);
    ref_rng r;
    ref_rng_seed(&r, seed);
    float *centre = tst_xmalloc(clusters * d * sizeof *centre);
    ref_fill_uniform(seed + 1, centre, clusters * d);
    float *data = tst_xmalloc(n * d * sizeof *data), *q = tst_xmalloc(nq * d * sizeof *q);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            data[i * d + j] = centre[(i % clusters) * d + j] + 1e-3f * ref_rng_uniform(&r);
    for (size_t i = 0; i < nq; i++)
        for (size_t j = 0; j < d; j++)
            q[i * d + j] = centre[(i % clusters) * d + j] + 1e-3f * ref_rng_uniform(&r);
    lt_config cfg = lt_config_default(d);
    cfg.metric = m;
    lt_space *s = tst_new_space(&cfg);
    ck_assert_int_eq(lt_space_add_batch(s, data, n, NULL), LT_OK);
    ref_neighbor *ref = tst_xmalloc(nq * n * sizeof *ref);
    for (size_t i = 0; i < nq; i++)
        ref_knn_all(&cfg, data, NULL, n, q + i * d, ref + i * n);
    char ctx[128];
    snprintf(ctx, sizeof ctx, "%s d=%zu near duplicates seed=%llu", metric_names[m], d,
             (unsigned long long)seed);
    check_queries(s, m, q, nq, 5, ref, n, ctx);
    check_queries(s, m, q, nq, per, ref, n, ctx);
    free(centre);
    free(data);
    free(q);
    free(ref);
    lt_space_destroy(s);
}
END_TEST

/* ---- Known values --------------------------------------------------------------------- */

static const struct {
    lt_metric m;
    float     curvature;
    size_t    d;
    float     a[3], b[3];
    double    want;
} known[] = {
    {LT_METRIC_EUCLIDEAN, -1, 3, {0, 0, 0}, {3, 4, 0}, 5.0},
    {LT_METRIC_EUCLIDEAN, -1, 2, {1, 1}, {-2, -3}, 5.0},
    {LT_METRIC_MANHATTAN, -1, 3, {1, -2, 3}, {0, 0, 0}, 6.0},
    {LT_METRIC_MANHATTAN, -1, 1, {-0.5f}, {0.25f}, 0.75},
    {LT_METRIC_COSINE, -1, 3, {1, 0, 0}, {0, 2, 0}, 1.0},
    {LT_METRIC_COSINE, -1, 3, {1, 1, 0}, {2, 2, 0}, 0.0},
    {LT_METRIC_COSINE, -1, 3, {1, 0, 0}, {-3, 0, 0}, 2.0},
    {LT_METRIC_COSINE, -1, 2, {1, 0}, {1, 1}, 0.29289321881345254}, /* 1 - 1/sqrt 2 */
    {LT_METRIC_COSINE, -1, 3, {0, 0, 0}, {1, 2, 3}, 1.0},
    {LT_METRIC_COSINE, -1, 3, {0.1f, 0.7f, -0.3f}, {-0.1f, -0.7f, 0.3f}, 2.0}, /* clamp at 2 */
    {LT_METRIC_COSINE, -1, 3, {0.1f, 0.7f, -0.3f}, {0.1f, 0.7f, -0.3f}, 0.0},  /* clamp at 0 */
    {LT_METRIC_DOT, -1, 3, {1, 2, 3}, {4, 5, 6}, -32.0},
    {LT_METRIC_DOT, -1, 2, {1, -1}, {2, 3}, 1.0},
    /* 2 atanh(sqrt(c) |v|) / sqrt(c) from the origin */
    {LT_METRIC_HYPERBOLIC, -1, 3, {0, 0, 0}, {0.5f, 0, 0}, 1.0986122886681098},  /* ln 3 */
    {LT_METRIC_HYPERBOLIC, -1, 3, {0.5f, 0, 0}, {-0.5f, 0, 0}, 2.1972245773362196}, /* ln 9 */
    {LT_METRIC_HYPERBOLIC, -4, 2, {0, 0}, {0, 0.25f}, 0.5493061443340549},     /* ln(3)/2 */
    /* Outside the ball: (3, 4) lands on radius 0.999 along (0.6, 0.8). */
    {LT_METRIC_HYPERBOLIC, -1, 2, {0, 0}, {3, 4}, 7.600402334500399}, /* 2 atanh .999 */
};

START_TEST(test_known_distances)
{
    const size_t nk = sizeof known / sizeof known[0];
    for (size_t t = 0; t < nk; t++) {
        lt_config cfg = lt_config_default(known[t].d);
        cfg.metric = known[t].m;
        cfg.curvature = known[t].curvature;
        /* The reference itself must agree with the hand-computed value. */
        double r = ref_distance(known[t].m, fabs((double)known[t].curvature), known[t].a,
                                known[t].b, known[t].d);
        ck_assert_msg(fabs(r - known[t].want) <= 1e-9 * fmax(1.0, fabs(known[t].want)),
                      "case %zu: reference %.17g, expected %.17g", t, r, known[t].want);
        lt_space *s = tst_new_space(&cfg);
        ck_assert_int_eq(lt_space_add(s, known[t].b, NULL, NULL), LT_OK);
        lt_neighbor nb;
        size_t found = 0;
        ck_assert_int_eq(lt_space_knn(s, known[t].a, 1, &nb, &found), LT_OK);
        ck_assert_uint_eq(found, 1);
        ck_assert_uint_eq(nb.id, 0);
        double tol = ref_distance_tol(known[t].m, known[t].want,
                                      ref_distance_scale(known[t].m, known[t].a, known[t].b,
                                                         known[t].d));
        ck_assert_msg(fabs((double)nb.distance - known[t].want) <= tol,
                      "case %zu (%s): distance %.9g, expected %.9g (tol %.3g)", t,
                      metric_names[known[t].m], (double)nb.distance, known[t].want, tol);
        lt_space_destroy(s);
    }
}
END_TEST

/* ---- The comparison rules themselves ------------------------------------------------- */

/* ref_check_knn must reject what the spec rejects, or every grid case is vacuous. */
START_TEST(test_checker_rejects)
{
    /* Reference: ids 10..15 at 1.0, 2.0, 2.00001 (a near tie with 2.0), 3, 4, 5. */
    const ref_neighbor ref[6] = {{10, 1.0, 0}, {11, 2.0, 0},     {12, 2.00001, 0},
                                 {13, 3.0, 0}, {14, 4.0, 0}, {15, 5.0, 0}};
    const lt_metric m = LT_METRIC_EUCLIDEAN;
    char msg[512];
    lt_neighbor good[4] = {{10, 1.0f}, {11, 2.0f}, {12, 2.00001f}, {13, 3.0f}};
    ck_assert_msg(ref_check_knn(m, good, 4, ref, 6, 4, msg, sizeof msg), "%s", msg);
    lt_neighbor swapped[4] = {{10, 1.0f}, {12, 2.0f}, {11, 2.00001f}, {13, 3.0f}};
    ck_assert_msg(ref_check_knn(m, swapped, 4, ref, 6, 4, msg, sizeof msg), "%s", msg);

    static const struct { const char *what; int at; uint64_t id; float dist; } bad[] = {
        {"ids swapped across a real gap", 3, 14, 3.0f},
        {"id repeated", 3, 10, 3.0f},
        {"id never stored", 2, 99, 2.00001f},
        {"distance off by 2e-4 relative", 3, 13, 3.0006f},
        {"negative Euclidean distance", 0, 10, -0.0f - 1e-30f},
        {"NaN distance", 1, 11, NAN},
    };
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        lt_neighbor g[4];
        memcpy(g, good, sizeof g);
        g[bad[b].at].id = bad[b].id;
        g[bad[b].at].distance = bad[b].dist;
        ck_assert_msg(!ref_check_knn(m, g, 4, ref, 6, 4, msg, sizeof msg), "accepted: %s",
                      bad[b].what);
    }
    ck_assert(!ref_check_knn(m, good, 3, ref, 6, 4, msg, sizeof msg)); /* found != k */
    /* Many differing ranks take the indexed path: a repeat must still be caught. */
    enum { BIG = 40 };
    ref_neighbor rb[BIG];
    lt_neighbor gb[BIG];
    for (size_t i = 0; i < BIG; i++) {
        rb[i] = (ref_neighbor){100 + i, 7.0, 0};
        gb[i] = (lt_neighbor){100 + (BIG - 1 - i), 7.0f};
    }
    ck_assert_msg(ref_check_knn(m, gb, BIG, rb, BIG, BIG, msg, sizeof msg), "%s", msg);
    gb[5].id = gb[30].id;
    ck_assert(!ref_check_knn(m, gb, BIG, rb, BIG, BIG, msg, sizeof msg));
    /* Cosine is clamped to [0, 2]. */
    const ref_neighbor rc[1] = {{0, 2.0, 1e-2}};
    lt_neighbor over[1] = {{0, 2.0000002f}};
    ck_assert(!ref_check_knn(LT_METRIC_COSINE, over, 1, rc, 1, 1, msg, sizeof msg));
    /* Attention: 1e-4 * max(1, |ref|_inf). */
    const double ra[3] = {0.5, -3.0, 0.25};
    const float near[3] = {0.5f, -3.00025f, 0.25f}, far[3] = {0.5f, -3.0f, 0.2505f};
    ck_assert_msg(ref_check_attention(near, ra, 3, msg, sizeof msg), "%s", msg);
    ck_assert(!ref_check_attention(far, ra, 3, msg, sizeof msg));
    const float nan3[3] = {0.5f, NAN, 0.25f};
    ck_assert(!ref_check_attention(nan3, ra, 3, msg, sizeof msg));
}
END_TEST

/* ---- Ties ------------------------------------------------------------------------------- */

/* Sorted by distance, equal distances by ascending id. */
static void assert_tie_order(const lt_neighbor *nb, size_t found, const char *ctx)
{
    for (size_t i = 1; i < found; i++) {
        ck_assert_msg(nb[i - 1].distance <= nb[i].distance,
                      "%s: rank %zu distance %.9g after %.9g", ctx, i, (double)nb[i].distance,
                      (double)nb[i - 1].distance);
        if (nb[i - 1].distance == nb[i].distance)
            ck_assert_msg(nb[i - 1].id < nb[i].id,
                          "%s: equal distance %.9g, id %llu before id %llu", ctx,
                          (double)nb[i].distance, (unsigned long long)nb[i - 1].id,
                          (unsigned long long)nb[i].id);
    }
}

/* Part 0: identical rows (and the axis rows seen from the origin) get identical
 * distances. Part 1: equal reported distances come by ascending id, every k cuts
 * the same order, and batch agrees. Separate so one failure does not hide the other. */
START_TEST(test_ties)
{
    const lt_metric m = (lt_metric)(_i % NMETRICS);
    const int which = _i / NMETRICS;
    const size_t d = 17, nbase = 4, copies = 3;
    /* Rows: 3 copies of 4 random vectors, then +-0.5 e_j for every j (all at equal
     * distance from the origin under every metric), inserted in shuffled order. */
    const size_t n = nbase * copies + 2 * d;
    const uint64_t seed = ref_case_seed(2, (uint64_t)m, 0, 0);
    ref_rng r;
    ref_rng_seed(&r, seed);
    float *base = tst_xmalloc(nbase * d * sizeof *base);
    ref_fill_uniform(seed + 1, base, nbase * d);
    float *rows = tst_xmalloc(n * d * sizeof *rows);
    size_t *group = tst_xmalloc(n * sizeof *group);
    for (size_t i = 0; i < nbase * copies; i++) {
        memcpy(rows + i * d, base + (i % nbase) * d, d * sizeof *rows);
        group[i] = i % nbase;
    }
    for (size_t j = 0; j < 2 * d; j++) {
        float *row = rows + (nbase * copies + j) * d;
        memset(row, 0, d * sizeof *row);
        row[j / 2] = j % 2 ? -0.5f : 0.5f;
        group[nbase * copies + j] = nbase;
    }
    uint64_t *ids = tst_xmalloc(n * sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = 10 * (uint64_t)i + 5;
    ref_shuffle_u64(&r, ids, n);
    /* Insert in shuffled order: row order and id order disagree. */
    uint64_t *order = tst_xmalloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    ref_shuffle_u64(&r, order, n);
    lt_config cfg = lt_config_default(d);
    cfg.metric = m;
    lt_space *s = tst_new_space(&cfg);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(lt_space_add(s, rows + order[i] * d, &ids[order[i]], NULL), LT_OK);

    float *queries = tst_xmalloc((nbase + 1) * d * sizeof *queries);
    memcpy(queries, base, nbase * d * sizeof *queries);
    memset(queries + nbase * d, 0, d * sizeof *queries); /* origin */
    lt_neighbor *full = tst_xmalloc(n * sizeof *full);
    lt_neighbor *part = tst_xmalloc(n * (nbase + 1) * sizeof *part);
    size_t found_part[5];
    ref_neighbor *ref = tst_xmalloc(n * sizeof *ref);
    char ctx[160], msg[512];
    for (size_t qi = 0; qi <= nbase; qi++) {
        const float *q = queries + qi * d;
        size_t found = 0;
        ck_assert_int_eq(lt_space_knn(s, q, n, full, &found), LT_OK);
        snprintf(ctx, sizeof ctx, "%s query %zu seed=%llu", metric_names[m], qi,
                 (unsigned long long)seed);
        ref_knn_all(&cfg, rows, ids, n, q, ref);
        ck_assert_msg(ref_check_knn(m, full, found, ref, n, n, msg, sizeof msg), "%s: %s", ctx,
                      msg);
        if (which == 0) {
            /* Copies of one vector must get the very same distance ... */
            for (size_t i = 0; i < found; i++)
                for (size_t j = 0; j < found; j++) {
                    size_t gi = 0, gj = 0;
                    for (size_t t = 0; t < n; t++) {
                        if (ids[t] == full[i].id)
                            gi = group[t];
                        if (ids[t] == full[j].id)
                            gj = group[t];
                    }
                    if (gi == gj && gi < nbase)
                        ck_assert_msg(full[i].distance == full[j].distance,
                                      "%s: copies %llu and %llu at %.9g and %.9g", ctx,
                                      (unsigned long long)full[i].id,
                                      (unsigned long long)full[j].id, (double)full[i].distance,
                                      (double)full[j].distance);
                }
            /* ... and the +-0.5 e_j rows are all equidistant from the origin. */
            if (qi == nbase)
                for (size_t i = 1; i < 2 * d; i++)
                    ck_assert_msg(full[i].distance == full[0].distance,
                                  "%s: axis rows at %.9g and %.9g from the origin", ctx,
                                  (double)full[0].distance, (double)full[i].distance);
            continue;
        }
        assert_tie_order(full, found, ctx);
        /* Every k cuts the same order: a prefix of the full answer. */
        for (size_t k = 1; k <= n; k++) {
            lt_neighbor *kk = part;
            size_t fk = 0;
            ck_assert_int_eq(lt_space_knn(s, q, k, kk, &fk), LT_OK);
            ck_assert_uint_eq(fk, k);
            for (size_t i = 0; i < k; i++)
                ck_assert_msg(kk[i].id == full[i].id && kk[i].distance == full[i].distance,
                              "%s k=%zu rank %zu: {%llu, %.9g}, full answer {%llu, %.9g}", ctx,
                              k, i, (unsigned long long)kk[i].id, (double)kk[i].distance,
                              (unsigned long long)full[i].id, (double)full[i].distance);
        }
    }
    /* Batch of all the queries: same tie order, prefixes for a k inside the groups. */
    for (size_t k = 1; which == 1 && k <= n; k += 5) {
        ck_assert_int_eq(lt_space_knn_batch(s, queries, nbase + 1, k, part, found_part), LT_OK);
        for (size_t qi = 0; qi <= nbase; qi++) {
            size_t found = 0;
            ck_assert_int_eq(lt_space_knn(s, queries + qi * d, k, full, &found), LT_OK);
            ck_assert_uint_eq(found_part[qi], found);
            snprintf(ctx, sizeof ctx, "%s batch query %zu k=%zu seed=%llu", metric_names[m], qi,
                     k, (unsigned long long)seed);
            assert_tie_order(part + qi * k, found, ctx);
            for (size_t i = 0; i < found; i++)
                ck_assert_msg(part[qi * k + i].id == full[i].id,
                              "%s rank %zu: batch id %llu, single id %llu", ctx, i,
                              (unsigned long long)part[qi * k + i].id,
                              (unsigned long long)full[i].id);
        }
    }
    lt_space_destroy(s);
    free(base);
    free(rows);
    free(group);
    free(ids);
    free(order);
    free(queries);
    free(full);
    free(part);
    free(ref);
}
END_TEST

/* ---- Edge cases ------------------------------------------------------------------------- */

START_TEST(test_empty_and_k_zero)
{
    lt_config cfg = lt_config_default(8);
    cfg.metric = (lt_metric)_i;
    lt_space *s = tst_new_space(&cfg);
    float q[3 * 8];
    ref_fill_uniform(ref_case_seed(3, (uint64_t)_i, 0, 0), q, 3 * 8);
    lt_neighbor nb[3 * 4];
    size_t found[3] = {99, 99, 99};
    ck_assert_int_eq(lt_space_knn(s, q, 4, nb, found), LT_OK);
    ck_assert_uint_eq(found[0], 0);
    poison(nb, 12);
    ck_assert_int_eq(lt_space_knn_batch(s, q, 3, 4, nb, found), LT_OK);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_uint_eq(found[i], 0);
        for (size_t j = 0; j < 4; j++) {
            ck_assert_uint_eq(nb[i * 4 + j].id, UINT64_MAX);
            ck_assert_msg(isinf(nb[i * 4 + j].distance) && nb[i * 4 + j].distance > 0,
                          "empty batch entry %zu,%zu distance %g", i, j,
                          (double)nb[i * 4 + j].distance);
        }
    }
    ck_assert_int_eq(lt_space_knn(s, q, 0, nb, found), LT_EINVAL);
    ck_assert_int_eq(lt_space_knn_batch(s, q, 3, 0, nb, found), LT_EINVAL);
    ck_assert_int_eq(lt_space_add_batch(s, q, 2, NULL), LT_OK);
    ck_assert_int_eq(lt_space_knn(s, q, 0, nb, found), LT_EINVAL);
    ck_assert_int_eq(lt_space_knn_batch(s, q, 3, 0, nb, found), LT_EINVAL);
    lt_space_destroy(s);
}
END_TEST

START_TEST(test_cosine_zero_vector)
{
    const size_t d = 9, n = 50;
    const uint64_t seed = ref_case_seed(4, 0, 0, 0);
    lt_config cfg = lt_config_default(d);
    cfg.metric = LT_METRIC_COSINE;
    lt_space *s = tst_new_space(&cfg);
    float *rows = tst_xmalloc(n * d * sizeof *rows);
    ref_fill_uniform(seed, rows, n * d);
    memset(rows + 17 * d, 0, d * sizeof *rows); /* row 17 is all zeros */
    memset(rows + 40 * d, 0, d * sizeof *rows);
    rows[40 * d + 3] = -0.0f; /* negative zero is zero too */
    ck_assert_int_eq(lt_space_add_batch(s, rows, n, NULL), LT_OK);
    float q[9];
    ref_fill_uniform(seed + 1, q, d);
    lt_neighbor nb[50];
    size_t found = 0;
    ck_assert_int_eq(lt_space_knn(s, q, n, nb, &found), LT_OK);
    ck_assert_uint_eq(found, n);
    int seen = 0;
    for (size_t i = 0; i < n; i++)
        if (nb[i].id == 17 || nb[i].id == 40) {
            ck_assert_msg(nb[i].distance == 1.0f, "zero row %llu at distance %.9g (seed %llu)",
                          (unsigned long long)nb[i].id, (double)nb[i].distance,
                          (unsigned long long)seed);
            seen++;
        }
    ck_assert_int_eq(seen, 2);
    /* A zero query is at distance 1 from everything: pure id order. */
    float zero[9] = {0};
    ck_assert_int_eq(lt_space_knn(s, zero, n, nb, &found), LT_OK);
    for (size_t i = 0; i < n; i++) {
        ck_assert_float_eq(nb[i].distance, 1.0f);
        ck_assert_uint_eq(nb[i].id, i);
    }
    lt_neighbor bnb[2 * 50];
    size_t bf[2];
    float two[18] = {0};
    memcpy(two + 9, q, sizeof q);
    ck_assert_int_eq(lt_space_knn_batch(s, two, 2, 5, bnb, bf), LT_OK);
    for (size_t i = 0; i < 5; i++) {
        ck_assert_float_eq(bnb[i].distance, 1.0f);
        ck_assert_uint_eq(bnb[i].id, i);
    }
    free(rows);
    lt_space_destroy(s);
}
END_TEST

/* Hyperbolic: points inside the ball stay where they are, points on or beyond
 * (1 - 1e-3)/sqrt(c) are projected onto that radius, queries likewise. */
START_TEST(test_hyperbolic_projection)
{
    static const float curvatures[] = {-1.0f, -0.25f, -4.0f, -0.01f};
    const float curv = curvatures[_i];
    const double c = -(double)curv;
    const size_t d = 8;
    /* Radii as fractions of 1/sqrt(c); the first six are inside the projection radius. */
    static const double frac[] = {0.0,    0.1, 0.5, 0.9, 0.99, 0.9985,
                                  0.9995, 1.0, 2.0, 1e3};
    const size_t nf = sizeof frac / sizeof frac[0], n = 3 * nf;
    const uint64_t seed = ref_case_seed(5, (uint64_t)_i, 0, 0);
    float *rows = tst_xmalloc(n * d * sizeof *rows);
    ref_fill_uniform(seed, rows, n * d);
    for (size_t i = 0; i < n; i++) {
        double norm = 0;
        for (size_t j = 0; j < d; j++)
            norm += (double)rows[i * d + j] * rows[i * d + j];
        norm = sqrt(norm);
        double target = frac[i % nf] / sqrt(c);
        for (size_t j = 0; j < d; j++)
            rows[i * d + j] = (float)(rows[i * d + j] * target / norm);
    }
    lt_config cfg = lt_config_default(d);
    cfg.metric = LT_METRIC_HYPERBOLIC;
    cfg.curvature = curv;
    lt_space *s = tst_new_space(&cfg);
    ck_assert_int_eq(lt_space_add_batch(s, rows, n, NULL), LT_OK);
    /* Queries: the origin, then stored rows (inside and outside the ball). */
    const size_t nq = 1 + n;
    float *q = tst_xmalloc(nq * d * sizeof *q);
    memset(q, 0, d * sizeof *q);
    memcpy(q + d, rows, n * d * sizeof *q);
    ref_neighbor *ref = tst_xmalloc(n * sizeof *ref);
    lt_neighbor *nb = tst_xmalloc(n * sizeof *nb);
    char msg[512];
    for (size_t qi = 0; qi < nq; qi++) {
        size_t found = 0;
        ck_assert_int_eq(lt_space_knn(s, q + qi * d, n, nb, &found), LT_OK);
        ref_knn_all(&cfg, rows, NULL, n, q + qi * d, ref);
        ck_assert_msg(ref_check_knn(LT_METRIC_HYPERBOLIC, nb, found, ref, n, n, msg, sizeof msg),
                      "c=%g query %zu seed=%llu: %s", c, qi, (unsigned long long)seed, msg);
        if (qi == 0)
            /* From the origin: 2 atanh(sqrt(c) min(|x|, r)) / sqrt(c), r the projection radius. */
            for (size_t i = 0; i < found; i++) {
                double f = frac[nb[i].id % nf];
                double want = 2.0 * atanh(fmin(f, 1.0 - REF_HYP_MARGIN)) / sqrt(c);
                ck_assert_msg(fabs(nb[i].distance - want) <= REF_DIST_TOL_HYP * fmax(want, 1.0),
                              "c=%g: row at %.4f/sqrt(c) is %.9g from the origin, expected %.9g",
                              c, f, (double)nb[i].distance, want);
            }
    }
    free(rows);
    free(q);
    free(ref);
    free(nb);
    lt_space_destroy(s);
}
END_TEST

/* Finite but huge vectors (their squared norm overflows float) still project along
 * their direction. */
START_TEST(test_hyperbolic_huge_finite)
{
    const size_t d = 4;
    static const float rows[][4] = {
        {3e30f, 4e30f, 0, 0},
        {0, 0, -FLT_MAX, 0},
        {1e20f, 1e20f, 1e20f, 1e20f},
        {0.1f, 0, 0, 0},
    };
    const size_t n = sizeof rows / sizeof rows[0];
    lt_config cfg = lt_config_default(d);
    cfg.metric = LT_METRIC_HYPERBOLIC;
    lt_space *s = tst_new_space(&cfg);
    ck_assert_int_eq(lt_space_add_batch(s, &rows[0][0], n, NULL), LT_OK);
    static const float queries[][4] = {
        {0, 0, 0, 0},
        {0.3f, 0.4f, 0, 0},
        {0, 0, -0.5f, 0},
        {0.25f, 0.25f, 0.25f, 0.25f},
        {6e35f, 8e35f, 0, 0},
    };
    ref_neighbor ref[4];
    lt_neighbor nb[4];
    char msg[512];
    for (size_t qi = 0; qi < sizeof queries / sizeof queries[0]; qi++) {
        size_t found = 0;
        int rc = lt_space_knn(s, queries[qi], n, nb, &found);
        ck_assert_msg(rc == LT_OK, "query %zu: %s", qi, lt_strerror(rc));
        ref_knn_all(&cfg, &rows[0][0], NULL, n, queries[qi], ref);
        ck_assert_msg(ref_check_knn(LT_METRIC_HYPERBOLIC, nb, found, ref, n, n, msg, sizeof msg),
                      "query %zu: %s", qi, msg);
    }
    lt_space_destroy(s);
}
END_TEST

static Suite *knn_suite(void)
{
    Suite *s = suite_create("knn");
    TCase *tc = tcase_create("grid");
    tcase_set_timeout(tc, 600); /* n = 10000 under AddressSanitizer */
    tcase_add_loop_test(tc, test_knn_grid, 0, NMETRICS * (int)NDIMS);
    suite_add_tcase(s, tc);

    tc = tcase_create("reference");
    tcase_add_test(tc, test_checker_rejects);
    suite_add_tcase(s, tc);

    tc = tcase_create("semantics");
    tcase_add_test(tc, test_known_distances);
    tcase_add_loop_test(tc, test_near_duplicates, 0, NMETRICS * 3);
    tcase_add_loop_test(tc, test_ties, 0, 2 * NMETRICS);
    tcase_add_loop_test(tc, test_empty_and_k_zero, 0, NMETRICS);
    tcase_add_test(tc, test_cosine_zero_vector);
    tcase_add_loop_test(tc, test_hyperbolic_projection, 0, 4);
    tcase_add_test(tc, test_hyperbolic_huge_finite);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    printf("test_knn: base seed %llu (set LATENT_TEST_SEED to replay)\n",
           (unsigned long long)ref_base_seed());
    fflush(stdout); /* before Check forks */
    SRunner *sr = srunner_create(knn_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
