#include "gemm.h"

#include <string.h>

void lt__pack_a(const float *const *rp, size_t count, size_t c0, size_t kdim, unsigned mr, float *dst)
{
    size_t mp = lt__round_up(count, mr);
    for (size_t k0 = 0; k0 < kdim; k0 += LT__KC) {
        size_t kc = kdim - k0 < LT__KC ? kdim - k0 : LT__KC;
        float *slice = dst + k0 * mp;
        for (size_t t = 0; t < mp / mr; t++) {
            float *sl = slice + t * mr * kc;
            for (unsigned i = 0; i < mr; i++) {
                size_t r = t * mr + i;
                if (r < count) {
                    const float *src = rp[r] + c0 + k0;
                    for (size_t p = 0; p < kc; p++) sl[p * mr + i] = src[p];
                } else {
                    for (size_t p = 0; p < kc; p++) sl[p * mr + i] = 0.0f;
                }
            }
        }
    }
}

void lt__pack_bt(const float *const *rp, size_t count, size_t c0, size_t kdim, unsigned nr, float *dst)
{
    size_t np = lt__round_up(count, nr);
    for (size_t j0 = 0; j0 < np; j0 += nr) {
        float *panel = dst + j0 * kdim;
        for (unsigned j = 0; j < nr; j++) {
            if (j0 + j < count) {
                const float *src = rp[j0 + j] + c0;
                for (size_t p = 0; p < kdim; p++) panel[p * nr + j] = src[p];
            } else {
                for (size_t p = 0; p < kdim; p++) panel[p * nr + j] = 0.0f;
            }
        }
    }
}

void lt__pack_b(const float *const *rp, size_t count, size_t c0, size_t n, unsigned nr, float *dst)
{
    size_t np = lt__round_up(n, nr);
    for (size_t j0 = 0; j0 < np; j0 += nr) {
        float *panel = dst + j0 * count;
        size_t w = n - j0 < nr ? n - j0 : nr;
        for (size_t p = 0; p < count; p++) {
            memcpy(panel + p * nr, rp[p] + c0 + j0, w * sizeof(float));
            for (size_t j = w; j < nr; j++) panel[p * nr + j] = 0.0f;
        }
    }
}

void lt__gemm(const lt__kernels *k, size_t mp, size_t np, size_t kdim, const float *Ap, const float *Bp,
              float *C, size_t ldc, int accumulate)
{
    const unsigned mr = k->mr, nr = k->nr;
    for (size_t k0 = 0; k0 < kdim; k0 += LT__KC) {
        size_t kc = kdim - k0 < LT__KC ? kdim - k0 : LT__KC;
        const float *As = Ap + k0 * mp;
        int acc = accumulate || k0 > 0;
        /* one B panel stays in L1 while the A slivers stream from L2 */
        for (size_t j0 = 0; j0 < np; j0 += nr) {
            const float *Bs = Bp + j0 * kdim + k0 * nr;
            for (size_t i0 = 0; i0 < mp; i0 += mr)
                k->gemm_ukr(kc, As + i0 * kc, mr, Bs, nr, C + i0 * ldc + j0, ldc, acc);
        }
    }
}
