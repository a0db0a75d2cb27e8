/* The two attention engines every type is built from: the streaming two-pass
 * softmax for single queries (one sweep scores every head of a row; the
 * weighted sum walks back over the rows so the last ones read are still
 * cached) and the tiled online-softmax GEMM for batches. */
#include "attn_internal.h"
#include "alloc.h"
#include "gemm.h"
#include "scratch.h"

#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif


/* Scores of positions [p0, p1) of rs for h heads of dh columns from c0:
 * head j's score of position p at out[j*n + p]. One sweep: each row is read
 * once for all heads. */
static void score_range(const lt__rowset *rs, const lt__kernels *k, const float *qs, size_t c0, size_t dh,
                        unsigned h, size_t p0, size_t p1, float *out)
{
    size_t stride = rs->s->stride, n = rs->count;
    while (p0 < p1) {
        size_t run;
        const float *x = lt__rowset_run(rs, p0, p1 - p0, &run);
        if (h == 1) k->scan_dot(qs, x + c0, run, stride, dh, out + p0);
        else k->scan_dot_heads(qs, x + c0, run, stride, dh * h, h, out + p0, n);
        p0 += run;
    }
}

void lt__attn_wsum_back(const lt__rowset *rs, const lt__kernels *k, const float *w, size_t wstride, size_t c0,
                        size_t dh, unsigned h, size_t p0, size_t p1, float *acc)
{
    size_t stride = rs->s->stride;
    for (size_t e = p1; e > p0;) {
        size_t b = e - p0 > LT__WSUM_CHUNK ? e - LT__WSUM_CHUNK : p0;
        for (size_t p = b; p < e;) { /* a chunk may straddle two storage blocks */
            size_t run;
            const float *x = lt__rowset_run(rs, p, e - p, &run);
            if (h == 1) k->wsum(x + c0, run, stride, w + (p - p0), dh, acc);
            else k->wsum_heads(x + c0, run, stride, w + (p - p0), wstride, dh * h, dh, acc);
            p += run;
        }
        e = b;
    }
}

int lt__attn_heads_state(const lt__rowset *rs, const lt__kernels *k, const float *q, size_t c0, size_t len,
                         unsigned h, float scale, float *m_out, double *l_out, float *acc_out)
{
    size_t n = rs->count, work, dh = len / h;
    const lt__kernels *kh = h > 1 ? lt__k_heads(k, dh) : k; /* heads whole in vectors (or two a vector) */
    int nt = lt__threads(rs->s, lt__mul_ok(n, len, &work) ? work : SIZE_MAX);
    size_t lpad = lt__round_up(len, 16);
    lt__layout L = {0, 0};
    size_t o_sc = lt__layout_add(&L, n, (size_t)h * sizeof(float));
    size_t o_qs = lt__layout_add(&L, len, sizeof(float));
    size_t o_acc = lt__layout_add(&L, (size_t)nt * lpad, sizeof(float));
    size_t o_part = lt__layout_add(&L, (size_t)nt * h * 2, sizeof(float)); /* per thread and head: max, sum */
    if (L.overflow) return LT_EOVERFLOW;
    lt__lease lease;
    char *buf = lt__scratch_get(rs->s, L.size, &lease);
    if (!buf) return LT_ENOMEM;
    float *scores = (float *)(buf + o_sc), *qs = (float *)(buf + o_qs);
    float *acc = (float *)(buf + o_acc), *part = (float *)(buf + o_part);
    /* scaling q once scales every score */
    for (size_t i = 0; i < len; i++) qs[i] = q[c0 + i] * scale;
    int team = 1;

#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        int tid = 0, T = 1;
#ifdef _OPENMP
        tid = omp_get_thread_num();
        T = omp_get_num_threads();
#endif
        if (tid == 0) team = T;
        size_t p0 = n * tid / T, p1 = n * (tid + 1) / T;
        float *pt = part + (size_t)tid * h * 2, *at = acc + (size_t)tid * lpad;
        memset(at, 0, len * sizeof(float));
        score_range(rs, kh, qs, c0, dh, h, p0, p1, scores);
        for (unsigned j = 0; j < h; j++) pt[2 * j] = p1 > p0 ? k->vmax(scores + j * n + p0, p1 - p0) : -INFINITY;
#ifdef _OPENMP
#pragma omp barrier
#endif
        for (unsigned j = 0; j < h; j++) {
            float m = -INFINITY;
            for (int t = 0; t < T; t++) m = part[((size_t)t * h + j) * 2] > m ? part[((size_t)t * h + j) * 2] : m;
            pt[2 * j + 1] = p1 > p0 ? k->exp_sub(scores + j * n + p0, p1 - p0, m, scores + j * n + p0) : 0.0f;
        }
        lt__attn_wsum_back(rs, kh, scores + p0, n, c0, dh, h, p0, p1, at);
    }
    /* merge the threads that ran (the team may be smaller than asked) */
    for (unsigned j = 0; j < h; j++) {
        float m = -INFINITY;
        double l = 0.0;
        for (int t = 0; t < team; t++) {
            const float *pt = part + ((size_t)t * h + j) * 2;
            m = pt[0] > m ? pt[0] : m;
            l += pt[1];
        }
        m_out[j] = m;
        l_out[j] = l;
    }
    for (size_t i = 0; i < len; i++) {
        float v = 0.0f;
        for (int t = 0; t < team; t++) v += acc[(size_t)t * lpad + i];
        acc_out[i] = v;
    }
    lt__scratch_put(&lease);
    return LT_OK;
}

int lt__attn_rows_state(const lt__rowset *rs, const lt__kernels *k, const float *q, size_t c0, size_t len,
                        float scale, float *m_out, double *l_out, float *acc_out)
{
    return lt__attn_heads_state(rs, k, q, c0, len, 1, scale, m_out, l_out, acc_out);
}

int lt__attn_rows(const lt__rowset *rs, const lt__kernels *k, const float *q, size_t c0, size_t len, float scale,
                  float *out)
{
    float m;
    double l;
    int rc = lt__attn_rows_state(rs, k, q, c0, len, scale, &m, &l, out);
    if (rc) return rc;
    for (size_t i = 0; i < len; i++) out[i] = (float)(out[i] / l);
    return LT_OK;
}

/* Rows at positions [p, p + m) of rs as a sliver: in place when stored
 * contiguously (*lda = stride), else copied into edge (zero rows past m). */
static const float *sliver(const lt__rowset *rs, size_t p, size_t m, size_t mr, size_t c0, size_t len, float *edge,
                           size_t *lda)
{
    size_t run;
    const float *x = lt__rowset_run(rs, p, m, &run);
    if (run == m && m == mr) {
        *lda = rs->s->stride;
        return x + c0;
    }
    for (size_t i = 0; i < mr; i++) {
        if (i < m) {
            const float *row = i < run ? x + i * rs->s->stride : lt__row(rs->s, rs->idx ? rs->idx[p + i] : p + i);
            memcpy(edge + i * len, row + c0, len * sizeof(float));
        } else {
            memset(edge + i * len, 0, len * sizeof(float));
        }
    }
    *lda = len;
    return edge;
}

int lt__attn_tiled(const lt__rowset *rs, const lt__kernels *k, const float *const *qs, size_t G, size_t c0,
                   size_t len, float scale, size_t kt, float *out, size_t ldo)
{
    /* mr: queries per sliver of P V (gemm_ukr); kr: keys per sliver of K Q^T (gemm_rows_ukr) */
    const size_t mr = k->mr, kr = k->mr_rows, nr = k->nr, n = rs->count, stride = rs->s->stride;
    if (kt > n) kt = n;
    kt = lt__round_up(kt, kr);
    /* S^T is key-major with one column per query; ld covers the query slivers
     * of P V (mr) and the query panels of Q K^T (nr) */
    const size_t mp = lt__round_up(G, mr), ld = lt__round_up(mp, nr), npd = lt__round_up(len, nr);
    /* only the panels holding queries are scored and softmaxed: the columns
     * [gp, mp) a last P V sliver reads are padding, zero for the whole call */
    const size_t gp = lt__round_up(G, nr);
    lt__layout L = {0, 0};
    size_t o_Qp = lt__layout_add(&L, ld, len * sizeof(float));
    size_t o_S = lt__layout_add(&L, kt, ld * sizeof(float));
    size_t o_edge = lt__layout_add(&L, kr, len * sizeof(float));
    size_t o_Vp = lt__layout_add(&L, kt, npd * sizeof(float));
    size_t o_acc = lt__layout_add(&L, mp, npd * sizeof(float));
    size_t o_m = lt__layout_add(&L, ld, 3 * sizeof(float)); /* m, l, alpha */
    size_t o_rp = lt__layout_add(&L, kt, sizeof(const float *));
    if (L.overflow) return LT_EOVERFLOW;
    lt__lease lease;
    char *buf = lt__scratch_get(rs->s, L.size, &lease);
    if (!buf) return LT_ENOMEM;
    float *Qp = (float *)(buf + o_Qp), *S = (float *)(buf + o_S), *edge = (float *)(buf + o_edge);
    float *Vp = (float *)(buf + o_Vp), *acc = (float *)(buf + o_acc);
    float *m = (float *)(buf + o_m), *l = m + ld, *alpha = l + ld;
    const float **rp = (const float **)(buf + o_rp);

    /* queries scaled once and packed in nr-wide panels (zero past G) */
    for (size_t j0 = 0; j0 < gp; j0 += nr)
        for (size_t i = 0; i < nr; i++) {
            const float *src = j0 + i < G ? qs[j0 + i] + c0 : NULL;
            float *panel = Qp + j0 * len;
            for (size_t p = 0; p < len; p++) panel[p * nr + i] = src ? src[p] * scale : 0.0f;
        }
    for (size_t i = 0; i < ld; i++) {
        m[i] = -INFINITY;
        l[i] = 0.0f;
    }
    memset(acc, 0, mp * npd * sizeof(float));
    if (mp > gp)
        for (size_t t = 0; t < kt; t++) memset(S + t * ld + gp, 0, (mp - gp) * sizeof(float));

    for (size_t p0 = 0; p0 < n; p0 += kt) {
        size_t cnt = n - p0 < kt ? n - p0 : kt;
        /* S^T = K Q^T: the keys are the broadcast side, read in place */
        for (size_t t = 0; t < cnt; t += kr) {
            size_t lda;
            const float *a = sliver(rs, p0 + t, cnt - t < kr ? cnt - t : kr, kr, c0, len, edge, &lda);
            for (size_t j = 0; j < gp; j += nr) k->gemm_rows_ukr(len, a, lda, Qp + j * len, S + t * ld + j, ld, 0, NULL);
        }
        /* online softmax down each query's column */
        for (size_t i = 0; i < ld; i++) alpha[i] = m[i];
        k->max_cols(S, cnt, gp, ld, m);
        for (size_t i = 0; i < G; i++) {
            alpha[i] = alpha[i] == -INFINITY ? 0.0f : expf(alpha[i] - m[i]);
            l[i] *= alpha[i];
            if (alpha[i] != 1.0f)
                for (size_t c = 0; c < len; c++) acc[i * npd + c] *= alpha[i];
        }
        k->exp_cols(S, cnt, gp, ld, m, l);
        /* acc += P V: P^T is S itself (key-major, lda = ld); V in place when the
         * tile's rows are one run with nr columns inside every row, else packed */
        size_t run;
        const float *v = lt__rowset_run(rs, p0, cnt, &run);
        size_t ldb = stride;
        int in_place = run == cnt && c0 + npd <= stride;
        if (!in_place) {
            for (size_t j = 0; j < cnt;) {
                const float *x = lt__rowset_run(rs, p0 + j, cnt - j, &run);
                for (size_t r = 0; r < run; r++) rp[j + r] = x + r * stride;
                j += run;
            }
            lt__pack_b(rp, cnt, c0, len, (unsigned)nr, Vp);
        }
        for (size_t jc = 0; jc < npd; jc += nr) {
            const float *b = in_place ? v + c0 + jc : Vp + jc * cnt;
            size_t lb = in_place ? ldb : nr;
            for (size_t i0 = 0; i0 < mp; i0 += mr) k->gemm_ukr(cnt, S + i0, ld, b, lb, acc + i0 * npd + jc, npd, 1);
        }
    }
    for (size_t i = 0; i < G; i++) {
        float inv = 1.0f / l[i];
        for (size_t j = 0; j < len; j++) out[i * ldo + j] = acc[i * npd + j] * inv;
    }
    lt__scratch_put(&lease);
    return LT_OK;
}
