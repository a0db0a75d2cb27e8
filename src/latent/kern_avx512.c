/* AVX-512F stamp of kern_body.h (this file alone is compiled with -mavx512f -mfma).
 * 32 vector registers allow a 12 x 32 micro-tile (24 accumulators). */
#include "kernels.h"
#include <immintrin.h>

typedef __m512 V;
#define VW 16
#define MR 12
#define NRV 2
#define MR_ROWS 14 /* 28 accumulators, 2 B vectors, 1 broadcast: 31 of 32 registers */
#define KFN(name) lt__##name##_avx512
#define LT_ISA_NAME "avx512"
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_SET1(x) _mm512_set1_ps(x)
#define V_ZERO() _mm512_setzero_ps()
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_SUB(a, b) _mm512_sub_ps(a, b)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_MAX(a, b) _mm512_max_ps(a, b)
#define V_MIN(a, b) _mm512_min_ps(a, b)
#define V_ABS(a) _mm512_abs_ps(a)
#define V_ROUND(v) _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define V_LDEXP(p, n) _mm512_scalef_ps(p, n)
/* Eight horizontal sums at once: each vector folded to 256 bits, then the
 * AVX2 tree (two hadd levels and a cross-lane add). */
static inline void lt__hsum8_avx512(const __m512 *v, float *out)
{
    __m256 y[8];
    for (int j = 0; j < 8; j++)
        y[j] = _mm256_add_ps(_mm512_castps512_ps256(v[j]),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v[j]), 1)));
    __m256 a = _mm256_hadd_ps(y[0], y[1]), b = _mm256_hadd_ps(y[2], y[3]);
    __m256 c = _mm256_hadd_ps(y[4], y[5]), d = _mm256_hadd_ps(y[6], y[7]);
    __m256 ab = _mm256_hadd_ps(a, b), cd = _mm256_hadd_ps(c, d);
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_permute2f128_ps(ab, cd, 0x20), _mm256_permute2f128_ps(ab, cd, 0x31)));
}
#define V_HSUM(v) _mm512_reduce_add_ps(v)
#define V_HSUM8(v, out) lt__hsum8_avx512(v, out)
#define V_HMAX(v) _mm512_reduce_max_ps(v)
#define V_LE_MASK(a, b) ((unsigned long long)_mm512_cmp_ps_mask(a, b, _CMP_LE_OQ))

#include "kern_body.h"
