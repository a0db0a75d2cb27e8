/* Exact k-nearest-neighbour search.
 * Single query: a streaming scan (memory-bound), split over threads above a
 * measured size, each thread keeping its own top-k, merged at the end.
 * Batch: GEMM-class scores (|x|^2 - 2x.q + |q|^2 and friends) over row runs
 * that stay in cache. Those scores carry cancellation error, so they only filter:
 * a row whose approximate score is within the error bound of the current k-th
 * is re-scored directly, and only direct scores enter the heaps. Batch results
 * therefore equal the single-query ones. Manhattan has no dot form and scans
 * each cached run once per query instead.
 * Neither path allocates once the space has served a call of the same shape:
 * buffers come from the space's scratch (scratch.h). */
#include "space_internal.h"
#include "alloc.h"
#include "gemm.h"
#include "metric.h"
#include "scratch.h"
#include "topk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define LT__SCAN_CHUNK 256 /* rows scored per kernel call (keys stay in L1) */

static int cand_cmp(const void *a, const void *b)
{
    const lt__cand *x = a, *y = b;
    if (x->dist != y->dist) return x->dist < y->dist ? -1 : 1;
    return x->id < y->id ? -1 : (x->id > y->id);
}

static inline void admit(const lt_space *s, const lt__query *q, lt__topk *t, float key, size_t row, uint64_t id)
{
    lt__cand c = {lt__metric_distance(s, q, key), key, (uint32_t)row, id};
    lt__topk_push(t, &c);
}

/* Scans rows [r0, r1) into t. */
static void scan_range(const lt_space *s, const lt__kernels *k, const lt__query *q, size_t r0, size_t r1,
                       lt__topk *t, float *keys)
{
    while (r0 < r1) {
        size_t len, blk, off;
        const float *rows = lt__row_run(s, r0, r1 - r0 < LT__SCAN_CHUNK ? r1 - r0 : LT__SCAN_CHUNK, &len, &blk, &off);
        lt__metric_keys_direct(s, k, q, rows, len, blk, off, keys);
        const uint64_t *ids = s->blocks[blk].ids + off;
        for (size_t r = 0; r < len; r++)
            if (!lt__topk_rejects(t, keys[r], 0.0f)) admit(s, q, t, keys[r], r0 + r, ids[r]);
        r0 += len;
    }
}

/* Writes the kept candidates as neighbours, sorted by (distance, id). */
static void emit(lt__cand *c, size_t count, lt_neighbor *out)
{
    qsort(c, count, sizeof *c, cand_cmp);
    for (size_t i = 0; i < count; i++) {
        out[i].id = c[i].id;
        out[i].distance = c[i].dist;
    }
}

static int knn_one(const lt_space *s, const lt__kernels *k, const lt__query *q, size_t kk, lt__cand *cands,
                   int nt, float *keys, lt_neighbor *out)
{
    lt__topk t0;
    if (nt <= 1) {
        lt__topk_init(&t0, cands, kk);
        scan_range(s, k, q, 0, s->n, &t0, keys);
    } else {
        int team = 1;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
        {
            int tid = omp_get_thread_num(), T = omp_get_num_threads();
            if (tid == 0) team = T;
            lt__topk t;
            lt__topk_init(&t, cands + (size_t)tid * kk, kk);
            scan_range(s, k, q, s->n * tid / T, s->n * (tid + 1) / T, &t, keys + (size_t)tid * LT__SCAN_CHUNK);
            /* a thread with fewer rows than kk leaves unused slots: mark them */
            for (size_t i = t.size; i < kk; i++) t.h[i].row = UINT32_MAX;
        }
#endif
        /* merge the candidates of the threads that ran (the team may be
         * smaller than asked: OMP_DYNAMIC, a thread limit) into the spare
         * heap after all nt */
        size_t total = (size_t)team * kk;
        lt__topk_init(&t0, cands + (size_t)nt * kk, kk);
        for (size_t i = 0; i < total; i++)
            if (cands[i].row != UINT32_MAX) lt__topk_push(&t0, &cands[i]);
    }
    emit(t0.h, t0.size, out);
    return LT_OK;
}

int lt_space_knn(const lt_space *s, const float *query, size_t k, lt_neighbor *out, size_t *found)
{
    if (!s || !query || !out || !found || k == 0) return LT_EINVAL;
    if (!lt__all_finite(query, s->dim)) return LT_ENONFINITE;
    *found = 0;
    if (s->n == 0) return LT_OK;
    size_t kk = k < s->n ? k : s->n;
    size_t work;
    int nt = lt__mul_ok(s->n, s->dim, &work) ? lt__threads(s, work) : lt__threads(s, SIZE_MAX);
    /* candidates: nt heaps plus the merged one */
    lt__layout L = {0, 0};
    size_t o_c = lt__layout_add(&L, ((size_t)nt + 1) * kk, sizeof(lt__cand));
    size_t o_k = lt__layout_add(&L, (size_t)nt * LT__SCAN_CHUNK, sizeof(float));
    size_t o_q = lt__layout_add(&L, s->dim, sizeof(float));
    if (L.overflow) return LT_EOVERFLOW;
    lt__lease lease;
    char *buf = lt__scratch_get(s, L.size, &lease);
    if (!buf) return LT_ENOMEM;
    lt__query q;
    int rc = lt__query_prepare(s, query, (float *)(buf + o_q), &q);
    if (!rc) rc = knn_one(s, lt__k(), &q, kk, (lt__cand *)(buf + o_c), nt, (float *)(buf + o_k), out);
    if (rc == LT_OK) *found = kk;
    lt__scratch_put(&lease);
    return rc;
}

/* ---- batch -------------------------------------------------------------
 * Scores come from a GEMM whose broadcast side is the stored rows themselves
 * (gemm_rows_ukr reads mr_rows rows in place) and whose packed side is the queries,
 * packed once per call: the store, written once and read many times, is never
 * copied. Rows go in runs of up to LT__RCH_SLIVERS slivers of mr_rows rows; for each sliver
 * every query panel of a block of LT__QB queries is computed while the sliver
 * sits in L1, the block's panels staying in L2. Each row's scores then pass
 * the SIMD filter against every query's current k-th score, and the few rows
 * that pass are scored directly. */

#define LT__QB 256          /* queries per block: a block's packed panels stay in L2 */
#define LT__RCH_SLIVERS 8   /* slivers per run of rows: the run's score tile stays in L2 */

typedef struct {
    const lt_space *s;
    const lt__kernels *k;
    const lt__query *q;     /* nq prepared queries */
    size_t nq, nqp, kk;     /* nqp: nq rounded up to nr */
    const float *Qp;        /* panel j (queries j*nr..) at Qp + j*nr*dim, element (p, i) at p*nr + i */
    const float *g, *h;     /* per query filter terms (nqp each) */
    float f;                /* relative rounding bound of a GEMM dot product */
} batch_ctx;

typedef struct { /* one thread's part of the scratch */
    float *C;          /* rch x qb scores */
    float *thr;        /* nqp: current reject threshold per query */
    uint32_t *hits;    /* qb */
    float *edge;       /* mr x dim: the last, partial sliver of a run */
    lt__topk *heaps;   /* nq */
    lt__cand *cands;   /* nq x kk */
} batch_thread;

static inline float reject_threshold(const lt__topk *t, lt_metric m)
{
    if (t->size < t->k) return INFINITY;
    float top = t->h[0].key, thr = top + (top > 0 ? top : -top) * LT__TIE_SLACK;
    /* Cosine bounds are not clamped at 2: a heap whose worst is at 2 takes all */
    return m == LT_METRIC_COSINE && thr >= 2.0f ? INFINITY : thr;
}

/* Row coefficients of the filter bound (see lt__kernels.filter). */
static inline void row_terms(const lt_space *s, const lt__block *b, size_t off, float f, float *ra, float *rb,
                             float *rc)
{
    float n2 = b->norm2[off];
    switch (s->cfg.metric) {
    case LT_METRIC_EUCLIDEAN:
        *ra = -2.0f; *rb = n2 * (1.0f - f); *rc = 1.0f;
        break;
    case LT_METRIC_HYPERBOLIC: {
        float a = b->aux[off];
        *ra = -2.0f * a; *rb = n2 * (1.0f - f) * a; *rc = a;
        break;
    }
    case LT_METRIC_DOT:
        *ra = -1.0f; *rb = 0.0f; *rc = -f * sqrtf(n2);
        break;
    default: /* COSINE */
        *ra = -b->aux[off]; *rb = 1.0f - 2.0f * f; *rc = 0.0f;
        break;
    }
}

/* One thread's share: rows [r0, r1) against every query, into its heaps. */
static void batch_range(const batch_ctx *c, size_t r0, size_t r1, const batch_thread *bt)
{
    const lt_space *s = c->s;
    const lt__kernels *k = c->k;
    const size_t mr = k->mr_rows, nr = k->nr, d = s->dim, rch = mr * LT__RCH_SLIVERS;
    const size_t qb = c->nqp < LT__QB ? c->nqp : LT__QB;
    for (size_t i = 0; i < c->nq; i++) bt->thr[i] = INFINITY;
    while (r0 < r1) {
        size_t len, blk, off;
        const float *rows = lt__row_run(s, r0, r1 - r0 < rch ? r1 - r0 : rch, &len, &blk, &off);
        const lt__block *b = &s->blocks[blk];
        if (!lt__metric_has_dot_form(s->cfg.metric)) { /* Manhattan: each query scans the run while it is cached */
            for (size_t i = 0; i < c->nq; i++) {
                lt__metric_keys_direct(s, k, &c->q[i], rows, len, blk, off, bt->C);
                for (size_t r = 0; r < len; r++)
                    if (!lt__topk_rejects(&bt->heaps[i], bt->C[r], 0.0f))
                        admit(s, &c->q[i], &bt->heaps[i], bt->C[r], r0 + r, b->ids[off + r]);
            }
            r0 += len;
            continue;
        }
        for (size_t q0 = 0; q0 < c->nq; q0 += qb) {
            size_t qn = c->nq - q0 < qb ? c->nq - q0 : qb, qnp = lt__round_up(qn, nr);
            for (size_t t = 0; t < len; t += mr) {
                const float *a = rows + t * s->stride;
                size_t lda = s->stride;
                if (len - t < mr) { /* partial sliver: zero-padded copy */
                    size_t m = len - t;
                    for (size_t i = 0; i < mr; i++) {
                        if (i < m) memcpy(bt->edge + i * d, a + i * s->stride, d * sizeof(float));
                        else memset(bt->edge + i * d, 0, d * sizeof(float));
                    }
                    a = bt->edge;
                    lda = d;
                }
                /* the first panel pulls the next sliver into L2: the panels
                 * that stream through L1 meanwhile would evict it from there */
                const float *pf = off + t + 2 * mr <= lt__block_rows(s, blk) ? rows + (t + mr) * s->stride : NULL;
                for (size_t j = 0; j < qnp; j += nr)
                    k->gemm_rows_ukr(d, a, lda, c->Qp + (q0 + j) * d, bt->C + t * qb + j, qb, 0, j ? NULL : pf);
            }
            for (size_t r = 0; r < len; r++) {
                float ra, rb, rc;
                row_terms(s, b, off + r, c->f, &ra, &rb, &rc);
                size_t nh = k->filter(bt->C + r * qb, qn, ra, rb, rc, c->g + q0, c->h + q0, bt->thr + q0, bt->hits);
                for (size_t x = 0; x < nh; x++) {
                    size_t i = q0 + bt->hits[x];
                    lt__topk *hp = &bt->heaps[i];
                    float key;
                    lt__metric_keys_direct(s, k, &c->q[i], rows + r * s->stride, 1, blk, off + r, &key);
                    if (lt__topk_rejects(hp, key, 0.0f)) continue;
                    admit(s, &c->q[i], hp, key, r0 + r, b->ids[off + r]);
                    bt->thr[i] = reject_threshold(hp, s->cfg.metric);
                }
            }
        }
        r0 += len;
    }
}

static void fill_unused(lt_neighbor *row, size_t from, size_t k)
{
    for (size_t j = from; j < k; j++) {
        row[j].id = UINT64_MAX;
        row[j].distance = INFINITY;
    }
}

/* Packs queries into nr-wide panels, k-major, zero past nq. */
static void pack_queries(const lt__query *q, size_t nq, size_t nqp, size_t d, size_t nr, float *Qp)
{
    for (size_t j0 = 0; j0 < nqp; j0 += nr) {
        float *panel = Qp + j0 * d;
        for (size_t i = 0; i < nr; i++) {
            const float *src = j0 + i < nq ? q[j0 + i].q : NULL;
            for (size_t p = 0; p < d; p++) panel[p * nr + i] = src ? src[p] : 0.0f;
        }
    }
}

int lt_space_knn_batch(const lt_space *s, const float *queries, size_t nq, size_t k, lt_neighbor *out,
                       size_t *found)
{
    if (!s || (!queries && nq) || (!out && nq) || (!found && nq) || k == 0) return LT_EINVAL;
    size_t total, qfloats;
    if (!lt__mul_ok(nq, k, &total) || !lt__mul_ok(nq, s->dim, &qfloats)) return LT_EOVERFLOW;
    if (nq == 0) return LT_OK;
    if (!lt__all_finite(queries, qfloats)) return LT_ENONFINITE;
    if (s->n == 0) {
        for (size_t i = 0; i < nq; i++) { found[i] = 0; fill_unused(out + i * k, 0, k); }
        return LT_OK;
    }
    const lt__kernels *kern = lt__k();
    size_t kk = k < s->n ? k : s->n;
    /* Too few queries to amortise the tile: the single-query scan per query. */
    if (nq < kern->nr / 4 + 1) {
        for (size_t i = 0; i < nq; i++) {
            int rc = lt_space_knn(s, queries + i * s->dim, k, out + i * k, &found[i]);
            if (rc) return rc;
            fill_unused(out + i * k, found[i], k);
        }
        return LT_OK;
    }

    size_t work = SIZE_MAX, wk;
    if (lt__mul_ok(s->n, s->dim, &wk) && lt__mul_ok(wk, nq, &work)) {}
    int nt = lt__threads(s, work);
    size_t rch = (size_t)kern->mr_rows * LT__RCH_SLIVERS;
    if ((size_t)nt > s->n / rch + 1) nt = (int)(s->n / rch + 1);
    const size_t d = s->dim, nr = kern->nr, mr = kern->mr_rows;
    size_t nqp = lt__round_up(nq, nr), qb = nqp < LT__QB ? nqp : LT__QB;

    /* shared: prepared queries, projections, packed panels, filter terms, merged heap */
    lt__layout L = {0, 0};
    size_t o_q = lt__layout_add(&L, nq, sizeof(lt__query));
    size_t o_qbuf = lt__layout_add(&L, s->cfg.metric == LT_METRIC_HYPERBOLIC ? qfloats : 0, sizeof(float));
    size_t o_Qp = lt__layout_add(&L, nqp, d * sizeof(float));
    size_t o_g = lt__layout_add(&L, nqp, sizeof(float));
    size_t o_h = lt__layout_add(&L, nqp, sizeof(float));
    size_t o_m = lt__layout_add(&L, kk, sizeof(lt__cand));
    /* per thread */
    lt__layout T = {0, 0};
    size_t o_C = lt__layout_add(&T, rch, qb * sizeof(float));
    size_t o_thr = lt__layout_add(&T, nqp, sizeof(float));
    size_t o_hits = lt__layout_add(&T, qb, sizeof(uint32_t));
    size_t o_edge = lt__layout_add(&T, mr, d * sizeof(float));
    size_t o_heaps = lt__layout_add(&T, nq, sizeof(lt__topk));
    size_t o_cands = lt__layout_add(&T, total / k * kk, sizeof(lt__cand));
    size_t per_thread = T.size, all;
    if (L.overflow || T.overflow || !lt__mul_ok(per_thread, (size_t)nt, &all) || all > SIZE_MAX - L.size)
        return LT_EOVERFLOW;
    lt__lease lease;
    char *buf = lt__scratch_get(s, L.size + all, &lease);
    if (!buf) return LT_ENOMEM;

    lt__query *q = (lt__query *)(buf + o_q);
    float *qbuf = (float *)(buf + o_qbuf), *Qp = (float *)(buf + o_Qp);
    float *g = (float *)(buf + o_g), *h = (float *)(buf + o_h);
    float f = lt__metric_dot_error(d);
    for (size_t i = 0; i < nq; i++) {
        lt__query_prepare(s, queries + i * d, s->cfg.metric == LT_METRIC_HYPERBOLIC ? qbuf + i * d : NULL, &q[i]);
        switch (s->cfg.metric) {
        case LT_METRIC_DOT: g[i] = sqrtf(q[i].qn2); h[i] = 1.0f; break;
        case LT_METRIC_COSINE: g[i] = 0.0f; h[i] = q[i].qinv; break;
        default: g[i] = q[i].qn2 * (1.0f - f); h[i] = 1.0f; break;
        }
    }
    for (size_t i = nq; i < nqp; i++) g[i] = h[i] = 0.0f;
    pack_queries(q, nq, nqp, d, nr, Qp);

    batch_ctx ctx = {s, kern, q, nq, nqp, kk, Qp, g, h, f};
    char *tbase = buf + L.size;
    int team = 1;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        int tid = 0, TT = 1;
#ifdef _OPENMP
        tid = omp_get_thread_num();
        TT = omp_get_num_threads();
#endif
        if (tid == 0) team = TT;
        char *tb = tbase + (size_t)tid * per_thread;
        batch_thread bt = {(float *)(tb + o_C), (float *)(tb + o_thr), (uint32_t *)(tb + o_hits),
                           (float *)(tb + o_edge), (lt__topk *)(tb + o_heaps), (lt__cand *)(tb + o_cands)};
        for (size_t i = 0; i < nq; i++) lt__topk_init(&bt.heaps[i], bt.cands + i * kk, kk);
        batch_range(&ctx, s->n * tid / TT, s->n * (tid + 1) / TT, &bt);
    }
    /* merge the heaps of the threads that ran */
    lt__cand *merged = (lt__cand *)(buf + o_m);
    for (size_t i = 0; i < nq; i++) {
        lt__topk m;
        lt__topk_init(&m, merged, kk);
        for (int t = 0; t < team; t++) {
            const lt__topk *hp = &((const lt__topk *)(tbase + (size_t)t * per_thread + o_heaps))[i];
            for (size_t j = 0; j < hp->size; j++) lt__topk_push(&m, &hp->h[j]);
        }
        emit(m.h, m.size, out + i * k);
        found[i] = m.size;
        fill_unused(out + i * k, m.size, k);
    }
    lt__scratch_put(&lease);
    return LT_OK;
}
