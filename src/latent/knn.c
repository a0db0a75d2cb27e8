/* Exact k-nearest-neighbour search.
 * Single query: a streaming scan (memory-bound), split over threads above a
 * measured size, each thread keeping its own top-k, merged at the end.
 * Batch: GEMM-class scores (|x|^2 - 2x.q + |q|^2 and friends) over row chunks
 * that stay in cache. Those scores carry cancellation error, so they only filter:
 * a row whose approximate score is within the error bound of the current k-th
 * is re-scored directly, and only direct scores enter the heaps. Batch results
 * therefore equal the single-query ones. Manhattan has no dot form and scans
 * each cached chunk once per query instead. */
#include "space_internal.h"
#include "alloc.h"
#include "gemm.h"
#include "metric.h"
#include "topk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define LT__SCAN_CHUNK 256 /* rows scored per kernel call (keys stay in L1) */
#define LT__NC 128         /* rows per GEMM chunk: a packed chunk stays in L2 */

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

static int knn_one(const lt_space *s, const lt__kernels *k, const float *query, size_t kk, float *qbuf,
                   lt__cand *cands, int nt, float *keys, lt_neighbor *out)
{
    lt__query q;
    int rc = lt__query_prepare(s, query, qbuf, &q);
    if (rc) return rc;
    lt__topk t0;
    if (nt <= 1) {
        lt__topk_init(&t0, cands, kk);
        scan_range(s, k, &q, 0, s->n, &t0, keys);
    } else {
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
        {
            int tid = omp_get_thread_num(), T = omp_get_num_threads();
            lt__topk t;
            lt__topk_init(&t, cands + (size_t)tid * kk, kk);
            scan_range(s, k, &q, s->n * tid / T, s->n * (tid + 1) / T, &t, keys + (size_t)tid * LT__SCAN_CHUNK);
            /* a thread with fewer rows than kk leaves unused slots: mark them */
            for (size_t i = t.size; i < kk; i++) t.h[i].row = UINT32_MAX;
        }
#endif
        /* merge every thread's candidates into the spare heap after them */
        size_t total = (size_t)nt * kk;
        lt__topk_init(&t0, cands + total, kk);
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
    lt__cand *cands = lt__malloc(((size_t)nt + 1) * kk * sizeof *cands);
    float *keys = lt__malloc((size_t)nt * LT__SCAN_CHUNK * sizeof(float));
    float *qbuf = lt__malloc(s->dim * sizeof(float));
    int rc = LT_ENOMEM;
    if (cands && keys && qbuf) rc = knn_one(s, lt__k(), query, kk, qbuf, cands, nt, keys, out);
    if (rc == LT_OK) *found = kk;
    lt__free(cands);
    lt__free(keys);
    lt__free(qbuf);
    return rc;
}

/* ---- batch ------------------------------------------------------------- */

typedef struct {
    const lt_space *s;
    const lt__kernels *k;
    const lt__query *q; /* nq prepared queries */
    size_t nq, kk, mp;
    const float *Ap;    /* packed queries (dot-form metrics) */
} batch_ctx;

/* One thread's share: rows [r0, r1) against every query, into heaps[nq]. */
static int batch_range(const batch_ctx *c, size_t r0, size_t r1, lt__topk *heaps)
{
    const lt_space *s = c->s;
    const lt__kernels *k = c->k;
    int dot_form = lt__metric_has_dot_form(s->cfg.metric);
    size_t np = lt__round_up(LT__NC, k->nr);
    float *Bp = NULL, *C = NULL, *keys = lt__malloc(LT__NC * sizeof(float));
    const float *rp[LT__NC];
    if (dot_form) {
        Bp = lt__malloc(np * s->dim * sizeof(float));
        C = lt__malloc(c->mp * np * sizeof(float));
    }
    if (!keys || (dot_form && (!Bp || !C))) {
        lt__free(Bp); lt__free(C); lt__free(keys);
        return LT_ENOMEM;
    }
    while (r0 < r1) {
        size_t len, blk, off;
        const float *rows = lt__row_run(s, r0, r1 - r0 < LT__NC ? r1 - r0 : LT__NC, &len, &blk, &off);
        const uint64_t *ids = s->blocks[blk].ids + off;
        if (dot_form) {
            for (size_t r = 0; r < len; r++) rp[r] = rows + r * s->stride;
            lt__pack_bt(rp, len, 0, s->dim, k->nr, Bp);
            lt__gemm(k, c->mp, lt__round_up(len, k->nr), s->dim, c->Ap, Bp, C, np, 0);
        }
        for (size_t i = 0; i < c->nq; i++) {
            const lt__query *q = &c->q[i];
            lt__topk *t = &heaps[i];
            if (dot_form) {
                /* GEMM scores only filter; admitted rows are scored directly */
                lt__metric_bounds_from_dot(s, q, C + i * np, len, blk, off, keys);
                for (size_t r = 0; r < len; r++) {
                    if (lt__topk_rejects(t, keys[r], 0.0f)) continue;
                    float key;
                    lt__metric_keys_direct(s, k, q, rows + r * s->stride, 1, blk, off + r, &key);
                    if (!lt__topk_rejects(t, key, 0.0f)) admit(s, q, t, key, r0 + r, ids[r]);
                }
            } else {
                lt__metric_keys_direct(s, k, q, rows, len, blk, off, keys);
                for (size_t r = 0; r < len; r++)
                    if (!lt__topk_rejects(t, keys[r], 0.0f)) admit(s, q, t, keys[r], r0 + r, ids[r]);
            }
        }
        r0 += len;
    }
    lt__free(Bp); lt__free(C); lt__free(keys);
    return LT_OK;
}

static void fill_unused(lt_neighbor *row, size_t from, size_t k)
{
    for (size_t j = from; j < k; j++) {
        row[j].id = UINT64_MAX;
        row[j].distance = INFINITY;
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
    /* Too few queries to amortise packing: run the single-query scan per query. */
    if (nq < kern->mr / 2 + 1) {
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
    if ((size_t)nt > s->n / LT__NC + 1) nt = (int)(s->n / LT__NC + 1);
    size_t mp = lt__round_up(nq, kern->mr);
    size_t ncand, cand_bytes;
    int rc = LT_OK;
    if (!lt__mul_ok((size_t)nt + 1, total, &ncand) || !lt__mul_ok(ncand, sizeof(lt__cand), &cand_bytes))
        return LT_EOVERFLOW;
    lt__query *q = lt__malloc(nq * sizeof *q);
    float *qbuf = s->cfg.metric == LT_METRIC_HYPERBOLIC ? lt__malloc(qfloats * sizeof(float)) : NULL;
    const float **qp = lt__malloc(nq * sizeof *qp);
    float *Ap = lt__malloc(mp * s->dim * sizeof(float));
    lt__cand *cands = lt__malloc(cand_bytes);
    lt__topk *heaps = lt__malloc((size_t)nt * nq * sizeof *heaps);
    if (!q || !qp || !Ap || !cands || !heaps || (s->cfg.metric == LT_METRIC_HYPERBOLIC && !qbuf)) {
        rc = LT_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < nq; i++) {
        lt__query_prepare(s, queries + i * s->dim, qbuf ? qbuf + i * s->dim : NULL, &q[i]);
        qp[i] = q[i].q;
    }
    lt__pack_a(qp, nq, 0, s->dim, kern->mr, Ap);
    for (size_t i = 0; i < (size_t)nt * nq; i++) lt__topk_init(&heaps[i], cands + i * kk, kk);

    batch_ctx ctx = {s, kern, q, nq, kk, mp, Ap};
    if (nt <= 1) {
        rc = batch_range(&ctx, 0, s->n, heaps);
    } else {
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(min : rc)
        {
            int tid = omp_get_thread_num(), T = omp_get_num_threads();
            rc = batch_range(&ctx, s->n * tid / T, s->n * (tid + 1) / T, heaps + (size_t)tid * nq);
        }
#endif
    }
    if (rc) goto out;
    lt__cand *merged_all = cands + (size_t)nt * total;
    for (size_t i = 0; i < nq; i++) {
        lt__topk m;
        lt__topk_init(&m, merged_all + i * kk, kk);
        for (int t = 0; t < nt; t++) {
            const lt__topk *h = &heaps[(size_t)t * nq + i];
            for (size_t j = 0; j < h->size; j++) lt__topk_push(&m, &h->h[j]);
        }
        emit(m.h, m.size, out + i * k);
        found[i] = m.size;
        fill_unused(out + i * k, m.size, k);
    }
out:
    lt__free(q); lt__free(qbuf); lt__free(qp); lt__free(Ap); lt__free(cands); lt__free(heaps);
    return rc;
}
