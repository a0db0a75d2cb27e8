/* Per-ISA kernel table. Each kernel body is written once (kern_body.h) and
 * stamped per ISA (kern_scalar.c, kern_avx2.c, kern_avx512.c); the scalar entry
 * is the reference the SIMD entries are tested against. */
#ifndef LT_KERNELS_H
#define LT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;
    unsigned mr, nr; /* micro-tile of gemm_ukr: mr rows of A x nr columns of B */
    unsigned mr_rows; /* rows of gemm_rows_ukr's tile (x nr): as many as the registers
                       * hold; gemm_ukr keeps mr, by which attention sizes its query groups */
    unsigned vw;     /* floats per vector */
    unsigned half_heads; /* the heads kernels also take dh = vw/2 whole, two heads a vector */

    float (*dot)(const float *a, const float *b, size_t n);
    float (*l2sq)(const float *a, const float *b, size_t n);
    float (*l1)(const float *a, const float *b, size_t n);

    /* out[r] = f(q, rows + r*stride) for r < count, over n floats */
    void (*scan_dot)(const float *q, const float *rows, size_t count, size_t stride, size_t n, float *out);
    void (*scan_l2sq)(const float *q, const float *rows, size_t count, size_t stride, size_t n, float *out);
    void (*scan_l1)(const float *q, const float *rows, size_t count, size_t stride, size_t n, float *out);

    /* MultiHead, h heads of d/h columns: out[j*ostride + r] = q_j . row_r,j (one
     * sweep over the rows for all heads), and acc[j*dh + c] += sum_r
     * w[j*wstride + r] * rows[r*stride + j*dh + c]. Fast when dh % vw == 0, or
     * 2*dh == vw with half_heads. */
    void (*scan_dot_heads)(const float *q, const float *rows, size_t count, size_t stride, size_t d, size_t h,
                           float *out, size_t ostride);
    void (*wsum_heads)(const float *rows, size_t count, size_t stride, const float *w, size_t wstride, size_t d,
                       size_t dh, float *acc);

    /* acc[0..n) += sum_r w[r] * rows[r*stride + 0..n) */
    void (*wsum)(const float *rows, size_t count, size_t stride, const float *w, size_t n, float *acc);

    /* w[i] = exp(s[i] - m); returns the sum of w (accumulated in double-free
     * float lanes: count is at most a tile or a thread's share) */
    float (*exp_sub)(const float *s, size_t count, float m, float *w);

    /* Batch softmax over a key-major tile S (rows x cols, cols % vw == 0, row
     * stride ld): m[i] = max(m[i], S[r][i]); then S[r][i] = exp(S[r][i] - m[i])
     * and l[i] += sum_r S[r][i]. */
    void (*max_cols)(const float *S, size_t rows, size_t cols, size_t ld, float *m);
    void (*exp_cols)(float *S, size_t rows, size_t cols, size_t ld, const float *m, float *l);

    /* max of s[0..count), count >= 1 */
    float (*vmax)(const float *s, size_t count);

    /* C[mr x nr] (=|+=) A * B for one micro-tile: A k-major (a[p*lda + i]),
     * B row p at b + p*ldb holding nr contiguous floats, C with row stride ldc. */
    void (*gemm_ukr)(size_t kc, const float *a, size_t lda, const float *b, size_t ldb, float *c, size_t ldc,
                     int accumulate);

    /* An mr_rows x nr tile with A = mr_rows stored rows read in place (element (i, p) at
     * a[i*lda + p]) and B packed, nr floats per step of p. pf: rows to prefetch
     * (the next sliver), or NULL. */
    void (*gemm_rows_ukr)(size_t kc, const float *a, size_t lda, const float *b, float *c, size_t ldc,
                          int accumulate, const float *pf);

    /* Batch kNN filter: i < nq with ra*c[i]*h[i] + rb + rc*g[i] <= thr[i] into
     * hits (ascending); returns their count. */
    size_t (*filter)(const float *c, size_t nq, float ra, float rb, float rc, const float *g, const float *h,
                     const float *thr, uint32_t *hits);
} lt__kernels;

extern const lt__kernels lt__table_scalar;
#ifdef LT_HAVE_AVX2
extern const lt__kernels lt__table_avx2;
#endif
#ifdef LT_HAVE_AVX512
extern const lt__kernels lt__table_avx512;
#endif

/* The table in use (set once by dispatch; never NULL after lt__isa_init). */
const lt__kernels *lt__k(void);

/* The table for MultiHead's heads of dh floats: k itself when its heads
 * kernels take dh whole (a multiple of its vectors, or half a vector with
 * half_heads), else the widest supported narrower table that does (scalar at
 * worst), rather than scalar tails. */
const lt__kernels *lt__k_heads(const lt__kernels *k, size_t dh);

#endif
