#include "gemm.h"

#include <string.h>

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
