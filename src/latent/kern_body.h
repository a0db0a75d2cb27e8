/* The kernel bodies, written once. The including file defines the ISA layer:
 *   V, VW (lanes), KFN(name), MR, NRV (vectors per micro-tile row),
 *   V_LOAD, V_STORE, V_SET1, V_ZERO, V_ADD, V_SUB, V_MUL, V_FMA(a,b,c)=a*b+c,
 *   V_MAX, V_MIN, V_ABS, V_HSUM, V_HMAX, V_ROUND, V_LDEXP(p, n_as_float),
 *   V_LE_MASK(a, b) (bit l set where lane l of a <= that of b),
 *   V_HSUM8(V v[8], float out[8]) (out[j] = sum of the lanes of v[j]).
 * A 16-lane layer may also define, for MultiHead heads of 8 floats (two a vector):
 *   V_PAIRSUM(a, b, s) (r[k] = x[k] + x[k ^ s], x = b where k & s, else a; s = 1, 2, 4),
 *   V_LOAD_HALVES(lo, hi), V_SET_HALVES(x, y), V_STORE_HALVES(lo, hi, v) (8 + 8 lanes),
 *   V_BCAST_HALVES(v, i) (lane i of v across lanes 0-7, lane 8 + i across 8-15).
 * Loads are unaligned-safe; tails fall back to scalar code so any n works. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define NR (NRV * VW)
#ifndef MR_ROWS
#define MR_ROWS MR
#endif
#define LT_UNROLL _Pragma("GCC unroll 16")

static inline float KFN(dot)(const float *a, const float *b, size_t n)
{
    V s0 = V_ZERO(), s1 = V_ZERO(), s2 = V_ZERO(), s3 = V_ZERO();
    size_t i = 0;
    for (; i + 4 * VW <= n; i += 4 * VW) {
        s0 = V_FMA(V_LOAD(a + i), V_LOAD(b + i), s0);
        s1 = V_FMA(V_LOAD(a + i + VW), V_LOAD(b + i + VW), s1);
        s2 = V_FMA(V_LOAD(a + i + 2 * VW), V_LOAD(b + i + 2 * VW), s2);
        s3 = V_FMA(V_LOAD(a + i + 3 * VW), V_LOAD(b + i + 3 * VW), s3);
    }
    for (; i + VW <= n; i += VW) s0 = V_FMA(V_LOAD(a + i), V_LOAD(b + i), s0);
    float r = V_HSUM(V_ADD(V_ADD(s0, s1), V_ADD(s2, s3)));
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}

static inline float KFN(l2sq)(const float *a, const float *b, size_t n)
{
    V s0 = V_ZERO(), s1 = V_ZERO(), s2 = V_ZERO(), s3 = V_ZERO();
    size_t i = 0;
    for (; i + 4 * VW <= n; i += 4 * VW) {
        V d0 = V_SUB(V_LOAD(a + i), V_LOAD(b + i));
        V d1 = V_SUB(V_LOAD(a + i + VW), V_LOAD(b + i + VW));
        V d2 = V_SUB(V_LOAD(a + i + 2 * VW), V_LOAD(b + i + 2 * VW));
        V d3 = V_SUB(V_LOAD(a + i + 3 * VW), V_LOAD(b + i + 3 * VW));
        s0 = V_FMA(d0, d0, s0); s1 = V_FMA(d1, d1, s1);
        s2 = V_FMA(d2, d2, s2); s3 = V_FMA(d3, d3, s3);
    }
    for (; i + VW <= n; i += VW) {
        V d = V_SUB(V_LOAD(a + i), V_LOAD(b + i));
        s0 = V_FMA(d, d, s0);
    }
    float r = V_HSUM(V_ADD(V_ADD(s0, s1), V_ADD(s2, s3)));
    for (; i < n; i++) { float d = a[i] - b[i]; r += d * d; }
    return r;
}

static inline float KFN(l1)(const float *a, const float *b, size_t n)
{
    V s0 = V_ZERO(), s1 = V_ZERO(), s2 = V_ZERO(), s3 = V_ZERO();
    size_t i = 0;
    for (; i + 4 * VW <= n; i += 4 * VW) {
        s0 = V_ADD(s0, V_ABS(V_SUB(V_LOAD(a + i), V_LOAD(b + i))));
        s1 = V_ADD(s1, V_ABS(V_SUB(V_LOAD(a + i + VW), V_LOAD(b + i + VW))));
        s2 = V_ADD(s2, V_ABS(V_SUB(V_LOAD(a + i + 2 * VW), V_LOAD(b + i + 2 * VW))));
        s3 = V_ADD(s3, V_ABS(V_SUB(V_LOAD(a + i + 3 * VW), V_LOAD(b + i + 3 * VW))));
    }
    for (; i + VW <= n; i += VW) s0 = V_ADD(s0, V_ABS(V_SUB(V_LOAD(a + i), V_LOAD(b + i))));
    float r = V_HSUM(V_ADD(V_ADD(s0, s1), V_ADD(s2, s3)));
    for (; i < n; i++) r += fabsf(a[i] - b[i]);
    return r;
}

/* A query against a run of rows. Long rows (over LT_SHORT_ROW floats) go one
 * row at a time through the pairwise kernels above: a single sequential
 * stream is what the hardware prefetcher follows best (measured 9-10 GB/s,
 * against 6-7 GB/s for four interleaved rows sharing each query load; a plain
 * read of the same bytes gives 10-12 GB/s), with a software prefetch
 * LT_PF_ROWS rows ahead.
 * Short rows are hot in cache and
 * there the reduction of each row's vector dominates, so eight rows go
 * together and one V_HSUM8 reduces all eight. Every row of a run goes through
 * the same arithmetic (grouped rows and the tail alike sum lane by lane, then
 * across lanes), so a row's score never depends on where it sits: equal rows
 * tie exactly. */
#define LT_SHORT_ROW 128
#ifndef LT_PF_ROWS
#define LT_PF_ROWS 8
#endif
#ifndef LT_PF_HINT
#define LT_PF_HINT 2 /* into L2 only (prefetcht1): see scan_ below */
#endif

/* g <= 8 rows x + j*stride, each summed lane by lane, then reduced together. */
#define LT_SCAN8(NAME, STEP)                                                             \
    static inline void KFN(scan8_##NAME)(const float *q, const float *x, size_t stride, \
                                         size_t n, size_t g, float *out)                 \
    {                                                                                  \
        V acc[8];                                                                      \
        LT_UNROLL for (int j = 0; j < 8; j++) acc[j] = V_ZERO();                       \
        if (g == 8) {                                                                  \
            for (size_t c = 0; c < n; c += VW) {                                       \
                V qv = V_LOAD(q + c);                                                  \
                LT_UNROLL for (int j = 0; j < 8; j++)                                  \
                    acc[j] = STEP(qv, V_LOAD(x + (size_t)j * stride + c), acc[j]);     \
            }                                                                          \
        } else { /* fewer rows: the same sums row by row (lanes of a row never mix \
                  * with another's in V_HSUM8), the missing rows left at zero */    \
            for (size_t j = 0; j < g; j++)                                             \
                for (size_t c = 0; c < n; c += VW)                                     \
                    acc[j] = STEP(V_LOAD(q + c), V_LOAD(x + j * stride + c), acc[j]);  \
        }                                                                              \
        float sums[8];                                                                 \
        V_HSUM8(acc, sums);                                                            \
        for (size_t j = 0; j < g; j++) out[j] = sums[j];                               \
    }

#define LT_SCAN(NAME, STEP)                                                              \
    LT_SCAN8(NAME, STEP)                                                               \
    static void KFN(scan_##NAME)(const float *q, const float *rows, size_t count,     \
                                 size_t stride, size_t n, float *out)                 \
    {                                                                                  \
        if (n <= LT_SHORT_ROW && n % VW == 0) {                                        \
            for (size_t r = 0; r < count; r += 8)                                      \
                KFN(scan8_##NAME)(q, rows + r * stride, stride, n, count - r < 8 ? count - r : 8, out + r); \
            return;                                                                    \
        }                                                                              \
        for (size_t r = 0; r < count; r++) {                                           \
            /* LT_PF_ROWS rows ahead, one line at a time: more misses in flight \
             * than the hardware prefetcher keeps. Into L2, not L1: a T0 hint  \
             * holds an L1 fill buffer per line, which the demand loads then   \
             * wait for (paired A/B, 100k x 256: T1 5-14% faster on 2 threads, \
             * 4-11% on 1; NTA 1.7-2x slower). A hint never faults, so it may \
             * run past the block; computed as an integer for that reason. */ \
            uintptr_t pf = (uintptr_t)(rows + r * stride) + LT_PF_ROWS * stride * sizeof(float); \
            for (size_t c = 0; c < n; c += 16) __builtin_prefetch((const void *)(pf + c * sizeof(float)), 0, LT_PF_HINT); \
            out[r] = KFN(NAME)(q, rows + r * stride, n);                               \
        }                                                                              \
    }
#define LT_STEP_DOT(qv, xv, acc) V_FMA(qv, xv, acc)
#define LT_STEP_L2(qv, xv, acc) V_FMA(V_SUB(qv, xv), V_SUB(qv, xv), acc)
#define LT_STEP_L1(qv, xv, acc) V_ADD(acc, V_ABS(V_SUB(qv, xv)))
LT_SCAN(dot, LT_STEP_DOT)
LT_SCAN(l2sq, LT_STEP_L2)
LT_SCAN(l1, LT_STEP_L1)

/* Keeps a 4-vector slice of acc in registers across all rows, so each row
 * costs loads and FMAs only, never a store. */
static void KFN(wsum)(const float *rows, size_t count, size_t stride, const float *w, size_t n, float *acc)
{
    size_t i = 0;
    for (; i + 4 * VW <= n; i += 4 * VW) {
        V c0 = V_LOAD(acc + i), c1 = V_LOAD(acc + i + VW);
        V c2 = V_LOAD(acc + i + 2 * VW), c3 = V_LOAD(acc + i + 3 * VW);
        const float *x = rows + i;
        for (size_t r = 0; r < count; r++, x += stride) {
            V wr = V_SET1(w[r]);
            c0 = V_FMA(wr, V_LOAD(x), c0);
            c1 = V_FMA(wr, V_LOAD(x + VW), c1);
            c2 = V_FMA(wr, V_LOAD(x + 2 * VW), c2);
            c3 = V_FMA(wr, V_LOAD(x + 3 * VW), c3);
        }
        V_STORE(acc + i, c0); V_STORE(acc + i + VW, c1);
        V_STORE(acc + i + 2 * VW, c2); V_STORE(acc + i + 3 * VW, c3);
    }
    for (; i + VW <= n; i += VW) {
        V c0 = V_LOAD(acc + i);
        const float *x = rows + i;
        for (size_t r = 0; r < count; r++, x += stride) c0 = V_FMA(V_SET1(w[r]), V_LOAD(x), c0);
        V_STORE(acc + i, c0);
    }
    for (; i < n; i++) {
        float c = acc[i];
        const float *x = rows + i;
        for (size_t r = 0; r < count; r++, x += stride) c += w[r] * *x;
        acc[i] = c;
    }
}

#ifdef V_PAIRSUM
#define LT_HALF_HEADS 1
/* Eight rows' products of a head pair (lanes 0-7 one head, 8-15 the next)
 * folded to one vector: lane i of each half is row i's score. Every lane's
 * sum has the same tree ((x0+x1)+(x2+x3))+((x4+x5)+(x6+x7)) whatever the row. */
static inline V KFN(fold8)(const V *p)
{
    V a0 = V_PAIRSUM(p[0], p[1], 1), a1 = V_PAIRSUM(p[2], p[3], 1);
    V a2 = V_PAIRSUM(p[4], p[5], 1), a3 = V_PAIRSUM(p[6], p[7], 1);
    return V_PAIRSUM(V_PAIRSUM(a0, a1, 2), V_PAIRSUM(a2, a3, 2), 4);
}

/* scan_dot_heads for heads of VW/2 floats, two a vector: per eight rows and
 * head pair, eight products and three fold levels (one permute each) replace
 * eight half-width reductions. Does heads [0, h & ~1); returns how many. */
static size_t KFN(scan_half_heads)(const float *q, const float *rows, size_t count, size_t stride, size_t h,
                                   float *out, size_t ostride)
{
    size_t pairs = h / 2, r = 0;
    for (; r + 8 <= count; r += 8) {
        const float *x = rows + r * stride;
        for (size_t c = 0; c < pairs; c++) {
            V qv = V_LOAD(q + c * VW), p[8];
            LT_UNROLL for (int i = 0; i < 8; i++) p[i] = V_MUL(qv, V_LOAD(x + (size_t)i * stride + c * VW));
            V_STORE_HALVES(out + 2 * c * ostride + r, out + (2 * c + 1) * ostride + r, KFN(fold8)(p));
        }
    }
    if (r < count) { /* the same fold with the missing rows at zero */
        size_t rem = count - r;
        const float *x = rows + r * stride;
        for (size_t c = 0; c < pairs; c++) {
            V qv = V_LOAD(q + c * VW), p[8];
            float t[VW];
            for (size_t i = 0; i < 8; i++) p[i] = i < rem ? V_MUL(qv, V_LOAD(x + i * stride + c * VW)) : V_ZERO();
            V_STORE(t, KFN(fold8)(p));
            for (size_t i = 0; i < rem; i++) {
                out[2 * c * ostride + r + i] = t[i];
                out[(2 * c + 1) * ostride + r + i] = t[VW / 2 + i];
            }
        }
    }
    return 2 * pairs;
}

/* wsum_heads for heads of VW/2 floats: a pair's weights for eight rows are
 * loaded as one vector and each row's pair of weights is a permute of it, so
 * a row costs one load, one permute and one FMA per pair. Up to four pairs'
 * sums stay in registers across the rows. Does heads [0, h & ~1). */
static size_t KFN(wsum_half_heads)(const float *rows, size_t count, size_t stride, const float *w, size_t wstride,
                                   size_t h, float *acc)
{
    size_t pairs = h / 2;
    for (size_t c0 = 0; c0 < pairs; c0 += 4) {
        size_t np = pairs - c0 < 4 ? pairs - c0 : 4;
        const float *wl[4], *wh[4];
        V a[4];
        for (size_t c = 0; c < 4; c++) {
            size_t cc = c < np ? c : 0; /* unused slots alias the first pair and are never stored */
            a[c] = V_LOAD(acc + (c0 + cc) * VW);
            wl[c] = w + 2 * (c0 + cc) * wstride;
            wh[c] = wl[c] + wstride;
        }
        const float *x = rows + c0 * VW;
        size_t r = 0;
        if (np == 4)
            for (; r + 8 <= count; r += 8, x += 8 * stride)
                LT_UNROLL for (int c = 0; c < 4; c++) {
                    V wv = V_LOAD_HALVES(wl[c] + r, wh[c] + r);
                    LT_UNROLL for (int i = 0; i < 8; i++)
                        a[c] = V_FMA(V_BCAST_HALVES(wv, i), V_LOAD(x + (size_t)i * stride + c * VW), a[c]);
                }
        for (; r < count; r++, x += stride)
            for (size_t c = 0; c < np; c++) a[c] = V_FMA(V_SET_HALVES(wl[c][r], wh[c][r]), V_LOAD(x + c * VW), a[c]);
        for (size_t c = 0; c < np; c++) V_STORE(acc + (c0 + c) * VW, a[c]);
    }
    return 2 * pairs;
}
#else
#define LT_HALF_HEADS 0
#endif

/* MultiHead scoring, every head of a row in one sweep: out[j*ostride + r] =
 * q[j*dh..] . row_r[j*dh..] for the h heads (dh = d/h). When dh is a multiple
 * of VW, each head's products stay in one vector and eight heads are reduced
 * together (V_HSUM8: one shuffle tree for eight sums); otherwise per head. */
static void KFN(scan_dot_heads)(const float *q, const float *rows, size_t count, size_t stride, size_t d, size_t h,
                                float *out, size_t ostride)
{
    size_t dh = d / h, j = 0;
#ifdef V_PAIRSUM
    if (2 * dh == VW) j = KFN(scan_half_heads)(q, rows, count, stride, h, out, ostride);
#endif
    if (dh % VW == 0)
        for (; j + 8 <= h; j += 8) { /* heads j..j+7 over every row: their query vectors stay in registers */
            float *o[8];
            LT_UNROLL for (int jj = 0; jj < 8; jj++) o[jj] = out + (j + jj) * ostride;
            const float *qj = q + j * dh;
            if (dh == VW) {
                const float *x = rows + j * dh;
                size_t r = 0;
                /* eight rows a head: one reduction gives a head's eight
                 * consecutive outputs, stored at once (the same sum tree per
                 * lane as the single rows below, so a score never depends on
                 * where its row sits) */
                for (; r + 8 <= count; r += 8, x += 8 * stride)
                    LT_UNROLL for (int jj = 0; jj < 8; jj++) {
                        V qv = V_LOAD(qj + jj * VW), hv[8];
                        LT_UNROLL for (int i = 0; i < 8; i++) hv[i] = V_MUL(qv, V_LOAD(x + (size_t)i * stride + jj * VW));
                        V_HSUM8(hv, o[jj] + r);
                    }
                V qv[8];
                LT_UNROLL for (int jj = 0; jj < 8; jj++) qv[jj] = V_LOAD(qj + jj * VW);
                for (; r < count; r++, x += stride) {
                    V hv[8];
                    float sums[8];
                    LT_UNROLL for (int jj = 0; jj < 8; jj++) hv[jj] = V_MUL(qv[jj], V_LOAD(x + jj * VW));
                    V_HSUM8(hv, sums);
                    LT_UNROLL for (int jj = 0; jj < 8; jj++) o[jj][r] = sums[jj];
                }
            } else {
                const float *x = rows + j * dh;
                for (size_t r = 0; r < count; r++, x += stride) {
                    V hv[8];
                    float sums[8];
                    LT_UNROLL for (int jj = 0; jj < 8; jj++) {
                        V acc = V_MUL(V_LOAD(qj + jj * dh), V_LOAD(x + jj * dh));
                        for (size_t c = VW; c < dh; c += VW) acc = V_FMA(V_LOAD(qj + jj * dh + c), V_LOAD(x + jj * dh + c), acc);
                        hv[jj] = acc;
                    }
                    V_HSUM8(hv, sums);
                    LT_UNROLL for (int jj = 0; jj < 8; jj++) o[jj][r] = sums[jj];
                }
            }
        }
    for (; j < h; j++)
        for (size_t r = 0; r < count; r++) out[j * ostride + r] = KFN(dot)(q + j * dh, rows + r * stride + j * dh, dh);
}

/* MultiHead weighted sum: acc[j*dh + c] += sum_r w[j*wstride + r] * row_r[j*dh + c]
 * for every head j; with dh a multiple of VW every vector of a row belongs to
 * one head, so a strip of four vectors costs four broadcasts and four FMAs. */
static void KFN(wsum_heads)(const float *rows, size_t count, size_t stride, const float *w, size_t wstride,
                            size_t d, size_t dh, float *acc)
{
    size_t i = 0;
#ifdef V_PAIRSUM
    if (2 * dh == VW) i = KFN(wsum_half_heads)(rows, count, stride, w, wstride, d / dh, acc) * dh;
#endif
    if (dh % VW == 0)
        for (; i + 4 * VW <= d; i += 4 * VW) {
            const float *w0 = w + (i / dh) * wstride, *w1 = w + ((i + VW) / dh) * wstride;
            const float *w2 = w + ((i + 2 * VW) / dh) * wstride, *w3 = w + ((i + 3 * VW) / dh) * wstride;
            V c0 = V_LOAD(acc + i), c1 = V_LOAD(acc + i + VW);
            V c2 = V_LOAD(acc + i + 2 * VW), c3 = V_LOAD(acc + i + 3 * VW);
            const float *x = rows + i;
            for (size_t r = 0; r < count; r++, x += stride) {
                c0 = V_FMA(V_SET1(w0[r]), V_LOAD(x), c0);
                c1 = V_FMA(V_SET1(w1[r]), V_LOAD(x + VW), c1);
                c2 = V_FMA(V_SET1(w2[r]), V_LOAD(x + 2 * VW), c2);
                c3 = V_FMA(V_SET1(w3[r]), V_LOAD(x + 3 * VW), c3);
            }
            V_STORE(acc + i, c0); V_STORE(acc + i + VW, c1);
            V_STORE(acc + i + 2 * VW, c2); V_STORE(acc + i + 3 * VW, c3);
        }
    for (; i < d; i += dh - i % dh) { /* the rest, head slice by slice */
        size_t j = i / dh, len = dh - i % dh;
        KFN(wsum)(rows + i, count, stride, w + j * wstride, len, acc + i);
    }
}

/* exp(x) for x <= 0 (softmax weights): Cephes-style range reduction and a
 * degree-6 polynomial, about 1 ulp; inputs below -87 clamp to ~1e-38. */
static inline V KFN(vexp)(V x)
{
    x = V_MAX(x, V_SET1(-87.0f));
    x = V_MIN(x, V_SET1(88.0f));
    V n = V_ROUND(V_MUL(x, V_SET1(1.44269504088896341f)));
    V r = V_FMA(n, V_SET1(-0.693359375f), x);
    r = V_FMA(n, V_SET1(2.12194440e-4f), r);
    V p = V_SET1(1.9875691500e-4f);
    p = V_FMA(p, r, V_SET1(1.3981999507e-3f));
    p = V_FMA(p, r, V_SET1(8.3334519073e-3f));
    p = V_FMA(p, r, V_SET1(4.1665795894e-2f));
    p = V_FMA(p, r, V_SET1(1.6666665459e-1f));
    p = V_FMA(p, r, V_SET1(5.0000001201e-1f));
    p = V_FMA(p, V_MUL(r, r), V_ADD(r, V_SET1(1.0f)));
    return V_LDEXP(p, n);
}

static float KFN(exp_sub)(const float *s, size_t count, float m, float *w)
{
    V mv = V_SET1(m), acc = V_ZERO();
    size_t i = 0;
    for (; i + VW <= count; i += VW) {
        V e = KFN(vexp)(V_SUB(V_LOAD(s + i), mv));
        V_STORE(w + i, e);
        acc = V_ADD(acc, e);
    }
    float sum = V_HSUM(acc);
    if (i < count) { /* tail through one padded vector; padding gives exp(-87) and is dropped */
        float t[VW];
        size_t rest = count - i;
        for (size_t j = 0; j < VW; j++) t[j] = j < rest ? s[i + j] - m : -88.0f;
        V_STORE(t, KFN(vexp)(V_LOAD(t)));
        for (size_t j = 0; j < rest; j++) {
            w[i + j] = t[j];
            sum += t[j];
        }
    }
    return sum;
}

/* Column-wise pieces of the batch softmax over a key-major score tile S
 * (rows keys, cols queries, a multiple of VW, row stride ld):
 * m[i] = max(m[i], S[r][i]) over the rows, then S[r][i] = exp(S[r][i] - m[i])
 * with l[i] += the column's sum. */
static void KFN(max_cols)(const float *S, size_t rows, size_t cols, size_t ld, float *m)
{
    for (size_t i = 0; i < cols; i += VW) {
        V mv = V_LOAD(m + i);
        for (size_t r = 0; r < rows; r++) mv = V_MAX(mv, V_LOAD(S + r * ld + i));
        V_STORE(m + i, mv);
    }
}

static void KFN(exp_cols)(float *S, size_t rows, size_t cols, size_t ld, const float *m, float *l)
{
    for (size_t i = 0; i < cols; i += VW) {
        V mv = V_LOAD(m + i), sum = V_LOAD(l + i);
        for (size_t r = 0; r < rows; r++) {
            V e = KFN(vexp)(V_SUB(V_LOAD(S + r * ld + i), mv));
            V_STORE(S + r * ld + i, e);
            sum = V_ADD(sum, e);
        }
        V_STORE(l + i, sum);
    }
}

static float KFN(vmax)(const float *s, size_t count)
{
    size_t i = 0;
    float m = s[0];
    if (count >= VW) {
        V mv = V_LOAD(s);
        for (i = VW; i + VW <= count; i += VW) mv = V_MAX(mv, V_LOAD(s + i));
        m = V_HMAX(mv);
    }
    for (; i < count; i++) m = s[i] > m ? s[i] : m;
    return m;
}

/* Outer-product micro-kernel: MR broadcasts of A and NRV vector loads of B feed
 * MR*NRV independent FMA accumulators per step of p. A is k-major with stride
 * lda (element (i, p) at a[p*lda + i]): a packed sliver has lda = MR, and a
 * softmax tile stored key-major is used in place. */
static void KFN(gemm_ukr)(size_t kc, const float *a, size_t lda, const float *b, size_t ldb, float *c, size_t ldc,
                          int accumulate)
{
    V acc[MR][NRV];
    LT_UNROLL for (int i = 0; i < MR; i++)
        LT_UNROLL for (int j = 0; j < NRV; j++) acc[i][j] = V_ZERO();
    for (size_t p = 0; p < kc; p++, a += lda, b += ldb) {
        V bv[NRV];
        LT_UNROLL for (int j = 0; j < NRV; j++) bv[j] = V_LOAD(b + j * VW);
        LT_UNROLL for (int i = 0; i < MR; i++) {
            V av = V_SET1(a[i]);
            LT_UNROLL for (int j = 0; j < NRV; j++) acc[i][j] = V_FMA(av, bv[j], acc[i][j]);
        }
    }
    LT_UNROLL for (int i = 0; i < MR; i++)
        LT_UNROLL for (int j = 0; j < NRV; j++) {
            float *cp = c + (size_t)i * ldc + (size_t)j * VW;
            V_STORE(cp, accumulate ? V_ADD(V_LOAD(cp), acc[i][j]) : acc[i][j]);
        }
}

/* The same with A read in place from MR_ROWS stored rows (row i at a + i*lda,
 * element p at a[i*lda + p]) and B packed (NR floats per step of p): the
 * store is the broadcast side, so it is never packed or copied; only the
 * queries are. Rows are prefetched into L2 one sliver ahead (pf: the next
 * sliver's first row, NULL for none), so the next MR streams are in flight
 * while this tile computes. */
static void KFN(gemm_rows_ukr)(size_t kc, const float *a, size_t lda, const float *b, float *c, size_t ldc,
                               int accumulate, const float *pf)
{
    V acc[MR_ROWS][NRV];
    LT_UNROLL for (int i = 0; i < MR_ROWS; i++)
        LT_UNROLL for (int j = 0; j < NRV; j++) acc[i][j] = V_ZERO();
    size_t p = 0;
    for (size_t p0 = 0; p0 < kc; p0 += 16) {
        size_t pe = kc - p0 < 16 ? kc : p0 + 16;
        if (pf) /* one cache line of each next row per 16 steps */
            LT_UNROLL for (int i = 0; i < MR_ROWS; i++) __builtin_prefetch(pf + (size_t)i * lda + p0, 0, 2);
        for (p = p0; p < pe; p++, b += NR) {
            V bv[NRV];
            LT_UNROLL for (int j = 0; j < NRV; j++) bv[j] = V_LOAD(b + j * VW);
            LT_UNROLL for (int i = 0; i < MR_ROWS; i++) {
                V av = V_SET1(a[(size_t)i * lda + p]);
                LT_UNROLL for (int j = 0; j < NRV; j++) acc[i][j] = V_FMA(av, bv[j], acc[i][j]);
            }
        }
    }
    LT_UNROLL for (int i = 0; i < MR_ROWS; i++)
        LT_UNROLL for (int j = 0; j < NRV; j++) {
            float *cp = c + (size_t)i * ldc + (size_t)j * VW;
            V_STORE(cp, accumulate ? V_ADD(V_LOAD(cp), acc[i][j]) : acc[i][j]);
        }
}

/* GEMM filter of batch kNN, one stored row against nq queries: the lower bound
 * of query i's score is ra*c[i]*h[i] + rb + rc*g[i]; writes the i whose bound
 * is <= thr[i] (those the row may enter) to hits and returns their count. */
static size_t KFN(filter)(const float *c, size_t nq, float ra, float rb, float rc, const float *g, const float *h,
                          const float *thr, uint32_t *hits)
{
    V va = V_SET1(ra), vb = V_SET1(rb), vc = V_SET1(rc);
    size_t i = 0, nh = 0;
    for (; i + VW <= nq; i += VW) {
        V bound = V_FMA(V_MUL(va, V_LOAD(c + i)), V_LOAD(h + i), V_FMA(vc, V_LOAD(g + i), vb));
        unsigned long long m = V_LE_MASK(bound, V_LOAD(thr + i));
        while (m) {
            hits[nh++] = (uint32_t)(i + (size_t)__builtin_ctzll(m));
            m &= m - 1;
        }
    }
    for (; i < nq; i++) {
        float bound = ra * c[i] * h[i] + (rb + rc * g[i]);
        if (bound <= thr[i]) hits[nh++] = (uint32_t)i;
    }
    return nh;
}

const lt__kernels KFN(table) = {
    .name = LT_ISA_NAME, .mr = MR, .nr = NR, .mr_rows = MR_ROWS,
    .dot = KFN(dot), .l2sq = KFN(l2sq), .l1 = KFN(l1),
    .scan_dot = KFN(scan_dot), .scan_l2sq = KFN(scan_l2sq), .scan_l1 = KFN(scan_l1),
    .wsum = KFN(wsum), .exp_sub = KFN(exp_sub), .vmax = KFN(vmax), .gemm_ukr = KFN(gemm_ukr),
    .gemm_rows_ukr = KFN(gemm_rows_ukr), .filter = KFN(filter),
    .scan_dot_heads = KFN(scan_dot_heads), .wsum_heads = KFN(wsum_heads), .vw = VW, .half_heads = LT_HALF_HEADS,
    .max_cols = KFN(max_cols), .exp_cols = KFN(exp_cols),
};
