/* A portable 16-lane stamp of kern_body.h (GCC vector extensions), used only by
 * the tests: it runs the AVX-512 shapes (16 lanes, 12 x 32 and 14 x 32 micro-tiles) on any
 * machine, so their loop bounds, tails and tiles are checked even where no
 * AVX-512 CPU is at hand. It is not in the dispatch table. */
#include "kernels.h"

#include <math.h>
#include <string.h>

typedef float V __attribute__((vector_size(64)));
typedef int VI __attribute__((vector_size(64)));
#define VW 16
#define MR 12
#define NRV 2
#define MR_ROWS 14
#define KFN(name) lt__##name##_wide16
#define LT_ISA_NAME "wide16"

static inline V w_load(const float *p) { V v; memcpy(&v, p, sizeof v); return v; }
static inline void w_store(float *p, V v) { memcpy(p, &v, sizeof v); }
static inline V w_set1(float x) { V v = {0}; return v + x; }
static inline V w_sel(VI m, V a, V b) { return (V)(((VI)a & m) | ((VI)b & ~m)); }
static inline V w_round(V v) { for (int i = 0; i < VW; i++) v[i] = rintf(v[i]); return v; }
static inline V w_ldexp(V p, V n) { for (int i = 0; i < VW; i++) p[i] = ldexpf(p[i], (int)n[i]); return p; }
static inline float w_hsum(V v) { float s = 0.0f; for (int i = 0; i < VW; i++) s += v[i]; return s; }
static inline unsigned long long w_lemask(V a, V b)
{
    unsigned long long m = 0;
    for (int i = 0; i < VW; i++) m |= (unsigned long long)(a[i] <= b[i]) << i;
    return m;
}
static inline float w_hmax(V v) { float m = v[0]; for (int i = 1; i < VW; i++) m = v[i] > m ? v[i] : m; return m; }

/* r[k] = x[k] + x[k ^ s], x = b where k & s is set, else a (the AVX-512 stamp's V_PAIRSUM) */
static inline V w_pairsum(V a, V b, int s)
{
    V r;
    for (int k = 0; k < VW; k++) r[k] = (k & s) ? b[k] + b[k ^ s] : a[k] + a[k ^ s];
    return r;
}
static inline V w_halves(const float *lo, const float *hi)
{
    V v;
    memcpy(&v, lo, 8 * sizeof(float));
    memcpy((float *)&v + 8, hi, 8 * sizeof(float));
    return v;
}
static inline V w_set_halves(float x, float y) { V v; for (int k = 0; k < VW; k++) v[k] = k < 8 ? x : y; return v; }
static inline V w_bcast_halves(V w, int i) { V v; for (int k = 0; k < VW; k++) v[k] = k < 8 ? w[i] : w[8 + i]; return v; }
static inline void w_store_halves(float *lo, float *hi, V v)
{
    memcpy(lo, &v, 8 * sizeof(float));
    memcpy(hi, (float *)&v + 8, 8 * sizeof(float));
}
#define V_PAIRSUM(a, b, s) w_pairsum(a, b, s)
#define V_LOAD_HALVES(lo, hi) w_halves(lo, hi)
#define V_SET_HALVES(x, y) w_set_halves(x, y)
#define V_BCAST_HALVES(v, i) w_bcast_halves(v, i)
#define V_STORE_HALVES(lo, hi, v) w_store_halves(lo, hi, v)

#define V_LOAD(p) w_load(p)
#define V_STORE(p, v) w_store(p, v)
#define V_SET1(x) w_set1(x)
#define V_ZERO() w_set1(0.0f)
#define V_ADD(a, b) ((a) + (b))
#define V_SUB(a, b) ((a) - (b))
#define V_MUL(a, b) ((a) * (b))
#define V_FMA(a, b, c) ((a) * (b) + (c))
#define V_MAX(a, b) w_sel((a) > (b), a, b)
#define V_MIN(a, b) w_sel((a) < (b), a, b)
#define V_ABS(a) ((V)((VI)(a) & 0x7fffffff))
#define V_HSUM(v) w_hsum(v)
#define V_HSUM8(v, out) do { for (int hj_ = 0; hj_ < 8; hj_++) (out)[hj_] = w_hsum((v)[hj_]); } while (0)
#define V_HMAX(v) w_hmax(v)
#define V_LE_MASK(a, b) w_lemask(a, b)
#define V_ROUND(v) w_round(v)
#define V_LDEXP(p, n) w_ldexp(p, n)

#include "kern_body.h"
