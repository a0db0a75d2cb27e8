/* Packed single-precision GEMM driver around the per-ISA micro-kernel (BLIS's
 * layering: pack A in mr-row slivers, B in nr-column panels, loop the
 * micro-tile). Used by batch kNN (Q K^T) and batch attention (Q K^T, P V). */
#ifndef LT_GEMM_H
#define LT_GEMM_H
#include "kernels.h"
#include <stddef.h>

#define LT__KC 256 /* depth of one packed slice: an A sliver plus a B panel stay in L1 */

static inline size_t lt__round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

/* A = rows rp[0..count) restricted to columns [c0, c0+kdim); rows past count are
 * zero up to mp = round_up(count, mr). Layout: for each KC slice starting at k0,
 * mp*kc floats at dst + k0*mp, sliver t at t*mr*kc, element (p, i) at p*mr + i. */
void lt__pack_a(const float *const *rp, size_t count, size_t c0, size_t kdim, unsigned mr, float *dst);

/* B = transpose of rows rp[0..count) (columns [c0, c0+kdim)): panel j holds rows
 * j*nr.. as kdim x nr (zero past count). */
void lt__pack_bt(const float *const *rp, size_t count, size_t c0, size_t kdim, unsigned nr, float *dst);

/* B = rows rp[0..count) themselves (k = row), columns [c0, c0+n) cut in nr-wide
 * panels of count x nr (zero past n). */
void lt__pack_b(const float *const *rp, size_t count, size_t c0, size_t n, unsigned nr, float *dst);

/* C[mp x np] (+)= A * B with A from lt__pack_a and B from lt__pack_bt/pack_b;
 * mp, np multiples of mr, nr. */
void lt__gemm(const lt__kernels *k, size_t mp, size_t np, size_t kdim, const float *Ap, const float *Bp,
              float *C, size_t ldc, int accumulate);

#endif
