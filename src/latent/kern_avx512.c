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
/* Two heads per vector (MultiHead with heads of 8 floats): r[k] = x[k] + x[k ^ s]
 * with x = b in the lanes where k & s is set, else a (s = 1, 2, 4: one level of
 * eight-lane sums; one two-source permute, one blend, one add). */
static inline __m512 lt__pairsum_avx512(__m512 a, __m512 b, int s)
{
    const __m512i i1 = _mm512_setr_epi32(1, 16, 3, 18, 5, 20, 7, 22, 9, 24, 11, 26, 13, 28, 15, 30);
    const __m512i i2 = _mm512_setr_epi32(2, 3, 16, 17, 6, 7, 20, 21, 10, 11, 24, 25, 14, 15, 28, 29);
    const __m512i i4 = _mm512_setr_epi32(4, 5, 6, 7, 16, 17, 18, 19, 12, 13, 14, 15, 24, 25, 26, 27);
    __m512i idx = s == 1 ? i1 : s == 2 ? i2 : i4;
    __mmask16 m = s == 1 ? 0xAAAA : s == 2 ? 0xCCCC : 0xF0F0;
    return _mm512_add_ps(_mm512_mask_blend_ps(m, a, b), _mm512_permutex2var_ps(a, idx, b));
}
static inline __m512 lt__halves_avx512(__m256 lo, __m256 hi)
{
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo)), _mm256_castps_pd(hi), 1));
}
#define V_PAIRSUM(a, b, s) lt__pairsum_avx512(a, b, s)
#define V_LOAD_HALVES(lo, hi) lt__halves_avx512(_mm256_loadu_ps(lo), _mm256_loadu_ps(hi))
#define V_SET_HALVES(x, y) lt__halves_avx512(_mm256_set1_ps(x), _mm256_set1_ps(y))
/* lanes 0-7 all lane i of v, lanes 8-15 all lane 8 + i */
#define V_BCAST_HALVES(v, i) \
    _mm512_permutexvar_ps(_mm512_add_epi32(_mm512_set1_epi32(i), _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8, 8, 8, 8, 8)), v)
#define V_STORE_HALVES(lo, hi, v)                                                            \
    do {                                                                                     \
        _mm256_storeu_ps(lo, _mm512_castps512_ps256(v));                                     \
        _mm256_storeu_ps(hi, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))); \
    } while (0)
#define V_HSUM(v) _mm512_reduce_add_ps(v)
#define V_HSUM8(v, out) lt__hsum8_avx512(v, out)
#define V_HMAX(v) _mm512_reduce_max_ps(v)
#define V_LE_MASK(a, b) ((unsigned long long)_mm512_cmp_ps_mask(a, b, _CMP_LE_OQ))

#include "kern_body.h"
