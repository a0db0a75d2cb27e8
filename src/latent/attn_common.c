/* The two attention engines every type is built from: the streaming two-pass
 * softmax for single queries and the tiled online-softmax GEMM for batches. */
#include "attn_internal.h"
#include "alloc.h"
#include "gemm.h"

#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Scores of positions [p0, p1) of rs against qs into out. */
static void score_range(const lt__rowset *rs, const lt__kernels *k, const float *qs, size_t c0, size_t len,
                        size_t p0, size_t p1, float *out)
{
    size_t stride = rs->s->stride;
    while (p0 < p1) {
        size_t run;
        const float *x = lt__rowset_run(rs, p0, p1 - p0, &run);
        k->scan_dot(qs, x + c0, run, stride, len, out);
        out += run;
        p0 += run;
    }
}

/* acc += sum over positions [p0, p1) of w[pos - p0] * row. */
static void wsum_range(const lt__rowset *rs, const lt__kernels *k, const float *w, size_t c0, size_t len,
                       size_t p0, size_t p1, float *acc)
{
    size_t stride = rs->s->stride;
    while (p0 < p1) {
        size_t run;
        const float *x = lt__rowset_run(rs, p0, p1 - p0, &run);
        k->wsum(x + c0, run, stride, w, len, acc);
        w += run;
        p0 += run;
    }
}

int lt__attn_rows_state(const lt__rowset *rs, const lt__kernels *k, const float *q, size_t c0, size_t len,
                        float scale, float *m_out, double *l_out, float *acc_out)
{
    size_t n = rs->count, work;
    int nt = lt__threads(rs->s, lt__mul_ok(n, len, &work) ? work : SIZE_MAX);
    size_t lpad = lt__round_up(len, 16);
    float *scores = lt__malloc(n * sizeof(float));
    float *qs = lt__malloc(len * sizeof(float));
    float *acc = lt__calloc((size_t)nt * lpad, sizeof(float));
    float *part = lt__malloc(2 * (size_t)nt * sizeof(float)); /* per thread: max, sum */
    if (!scores || !qs || !acc || !part) {
        lt__free(scores); lt__free(qs); lt__free(acc); lt__free(part);
        return LT_ENOMEM;
    }
    /* scaling q once scales every score */
    for (size_t i = 0; i < len; i++) qs[i] = q[c0 + i] * scale;
    /* a team smaller than asked for leaves its missing threads empty, not unset */
    for (int t = 0; t < nt; t++) {
        part[2 * t] = -INFINITY;
        part[2 * t + 1] = 0.0f;
    }

#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        int tid = 0, T = 1;
#ifdef _OPENMP
        tid = omp_get_thread_num();
        T = omp_get_num_threads();
#endif
        size_t p0 = n * tid / T, p1 = n * (tid + 1) / T;
        score_range(rs, k, qs, c0, len, p0, p1, scores + p0);
        part[2 * tid] = p1 > p0 ? k->vmax(scores + p0, p1 - p0) : -INFINITY;
#ifdef _OPENMP
#pragma omp barrier
#endif
        float m = -INFINITY;
        for (int t = 0; t < T; t++) m = part[2 * t] > m ? part[2 * t] : m;
        part[2 * tid + 1] = k->exp_sub(scores + p0, p1 - p0, m, scores + p0);
        wsum_range(rs, k, scores + p0, c0, len, p0, p1, acc + (size_t)tid * lpad);
    }
    float m = -INFINITY;
    double l = 0.0;
    for (int t = 0; t < nt; t++) {
        m = part[2 * t] > m ? part[2 * t] : m;
        l += part[2 * t + 1];
    }
    for (size_t i = 0; i < len; i++) {
        float v = 0.0f;
        for (int t = 0; t < nt; t++) v += acc[(size_t)t * lpad + i];
        acc_out[i] = v;
    }
    *m_out = m;
    *l_out = l;
    lt__free(scores); lt__free(qs); lt__free(acc); lt__free(part);
    return LT_OK;
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

int lt__attn_tiled(const lt__rowset *rs, const lt__kernels *k, const float *const *qs, size_t G, size_t c0,
                   size_t len, float scale, size_t kt, float *out, size_t ldo)
{
    const unsigned mr = k->mr, nr = k->nr;
    size_t n = rs->count;
    if (kt > n) kt = n;
    size_t mp = lt__round_up(G, mr), npk = lt__round_up(kt, nr), npd = lt__round_up(len, nr);
    float *Ap = lt__malloc(mp * len * sizeof(float));
    float *Bk = lt__malloc(npk * len * sizeof(float));
    float *S = lt__malloc(mp * npk * sizeof(float));
    float *Pp = lt__malloc(mp * kt * sizeof(float));
    float *Vp = lt__malloc(npd * kt * sizeof(float));
    float *acc = lt__calloc(mp * npd, sizeof(float));
    float *ml = lt__malloc(2 * G * sizeof(float));
    const float **rp = lt__malloc((kt + G) * sizeof *rp);
    int rc = LT_ENOMEM;
    if (!Ap || !Bk || !S || !Pp || !Vp || !acc || !ml || !rp) goto out;
    rc = LT_OK;
    float *m = ml, *l = ml + G;
    const float **prow = rp + kt;
    for (size_t i = 0; i < G; i++) {
        m[i] = -INFINITY;
        l[i] = 0.0f;
        prow[i] = S + i * npk;
    }
    lt__pack_a(qs, G, c0, len, mr, Ap);
    for (size_t p0 = 0; p0 < n; p0 += kt) {
        size_t cnt = n - p0 < kt ? n - p0 : kt;
        for (size_t j = 0; j < cnt;) {
            size_t run;
            const float *x = lt__rowset_run(rs, p0 + j, cnt - j, &run);
            for (size_t r = 0; r < run; r++) rp[j + r] = x + r * rs->s->stride;
            j += run;
        }
        lt__pack_bt(rp, cnt, c0, len, nr, Bk);
        lt__gemm(k, mp, lt__round_up(cnt, nr), len, Ap, Bk, S, npk, 0);
        for (size_t i = 0; i < G; i++) {
            float *srow = S + i * npk;
            for (size_t j = 0; j < cnt; j++) srow[j] *= scale;
            float mt = k->vmax(srow, cnt), mnew = mt > m[i] ? mt : m[i];
            float alpha = m[i] == -INFINITY ? 0.0f : expf(m[i] - mnew);
            l[i] = l[i] * alpha + k->exp_sub(srow, cnt, mnew, srow);
            if (alpha != 1.0f) {
                float *a = acc + i * npd;
                for (size_t j = 0; j < len; j++) a[j] *= alpha;
            }
            m[i] = mnew;
        }
        lt__pack_a(prow, G, 0, cnt, mr, Pp);
        lt__pack_b(rp, cnt, c0, len, nr, Vp);
        lt__gemm(k, mp, npd, cnt, Pp, Vp, acc, npd, 1);
    }
    for (size_t i = 0; i < G; i++) {
        float inv = 1.0f / l[i];
        for (size_t j = 0; j < len; j++) out[i * ldo + j] = acc[i * npd + j] * inv;
    }
out:
    lt__free(Ap); lt__free(Bk); lt__free(S); lt__free(Pp); lt__free(Vp); lt__free(acc); lt__free(ml);
    lt__free(rp);
    return rc;
}
