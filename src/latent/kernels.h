/* Per-ISA kernel table. Each kernel body is written once (kern_body.h) and
 * stamped per ISA (kern_scalar.c, kern_avx2.c, kern_avx512.c); the scalar entry
 * is the reference the SIMD entries are tested against. */
#ifndef LT_KERNELS_H
#define LT_KERNELS_H

#include <stddef.h>

typedef struct {
    const char *name;
    unsigned mr, nr; /* micro-tile of gemm_ukr: mr rows of A x nr columns of B */

    float (*dot)(const float *a, const float *b, size_t n);
    float (*l2sq)(const float *a, const float *b, size_t n);
    float (*l1)(const float *a, const float *b, size_t n);

    /* out[r] = f(q, rows + r*stride) for r < count, over n floats */
    void (*scan_dot)(const float *q, const float *rows, size_t count, size_t stride, size_t n, float *out);
    void (*scan_l2sq)(const float *q, const float *rows, size_t count, size_t stride, size_t n, float *out);
    void (*scan_l1)(const float *q, const float *rows, size_t count, size_t stride, size_t n, float *out);

    /* acc[0..n) += sum_r w[r] * rows[r*stride + 0..n) */
    void (*wsum)(const float *rows, size_t count, size_t stride, const float *w, size_t n, float *acc);

    /* w[i] = exp(s[i] - m); returns the sum of w (accumulated in double-free
     * float lanes: count is at most a tile or a thread's share) */
    float (*exp_sub)(const float *s, size_t count, float m, float *w);

    /* max of s[0..count), count >= 1 */
    float (*vmax)(const float *s, size_t count);

    /* C[mr x nr] (=|+=) A * B for one micro-tile: A packed k-major (a[p*mr + i]),
     * B row p at b + p*ldb holding nr contiguous floats, C with row stride ldc. */
    void (*gemm_ukr)(size_t kc, const float *a, const float *b, size_t ldb, float *c, size_t ldc, int accumulate);
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

#endif
