/* MultiHead(h): head j is Standard attention on columns [j*d/h, (j+1)*d/h) of
 * the query and of every key and value, scaled by 1/sqrt(d/h); outputs are
 * concatenated in head order. Each head reads only its slice of every row. */
#include "attn_internal.h"

#include <math.h>

static int multihead_single(const lt_space *s, const lt__kernels *k, const float *q, float *out)
{
    size_t h = s->cfg.num_heads, dh = s->dim / h;
    float scale = (float)(1.0 / sqrt((double)dh));
    lt__rowset all = {s, NULL, s->n};
    for (size_t j = 0; j < h; j++) {
        int rc = lt__attn_rows(&all, k, q, j * dh, dh, scale, out + j * dh);
        if (rc) return rc;
    }
    return LT_OK;
}

static size_t multihead_tile(const lt_space *s)
{
    (void)s;
    return LT__ATTN_TILE;
}

static int multihead_group(const lt_space *s, const lt__kernels *k, const float *q, size_t nq, float *out)
{
    size_t h = s->cfg.num_heads, dh = s->dim / h;
    float scale = (float)(1.0 / sqrt((double)dh));
    lt__rowset all = {s, NULL, s->n};
    const float *qs[64];
    for (size_t i0 = 0; i0 < nq; i0 += 64) {
        size_t g = nq - i0 < 64 ? nq - i0 : 64;
        for (size_t i = 0; i < g; i++) qs[i] = q + (i0 + i) * s->dim;
        for (size_t j = 0; j < h; j++) {
            int rc = lt__attn_tiled(&all, k, qs, g, j * dh, dh, scale, multihead_tile(s),
                                    out + i0 * s->dim + j * dh, s->dim);
            if (rc) return rc;
        }
    }
    return LT_OK;
}

const lt__attn_ops lt__attn_multihead = {multihead_single, multihead_group};
