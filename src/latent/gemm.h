/* GEMM helpers around the per-ISA micro-kernels (BLIS's layering). The batch
 * paths read the stored rows in place (gemm_rows_ukr as the broadcast side,
 * gemm_ukr's B at the row stride); only operands that are not one uniform
 * run of rows are packed here. */
#ifndef LT_GEMM_H
#define LT_GEMM_H
#include "kernels.h"
#include <stddef.h>

static inline size_t lt__round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

/* B = rows rp[0..count) themselves (k = row), columns [c0, c0+n) cut in nr-wide
 * panels of count x nr (zero past n): panel j at dst + j*nr*count. */
void lt__pack_b(const float *const *rp, size_t count, size_t c0, size_t n, unsigned nr, float *dst);

#endif
