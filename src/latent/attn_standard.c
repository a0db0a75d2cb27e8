/* Standard attention: softmax(q K^T / sqrt(d)) V over all stored rows. A single
 * query keeps all n scores (two passes: scores, then the weighted sum). */
#include "attn_internal.h"

#include <math.h>

static int standard_single(const lt_space *s, const lt__kernels *k, const float *q, float *out)
{
    lt__rowset all = {s, NULL, s->n};
    return lt__attn_rows(&all, k, q, 0, s->dim, (float)(1.0 / sqrt((double)s->dim)), out);
}

static size_t standard_tile(const lt_space *s)
{
    (void)s;
    return LT__ATTN_TILE;
}

/* Shared with Flash: the batch path differs only in its tile. */
int lt__attn_tiled_group(const lt_space *s, const lt__kernels *k, const float *q, size_t nq, float *out,
                         size_t tile)
{
    const float *qs[LT__ATTN_GROUP];
    lt__rowset all = {s, NULL, s->n};
    float scale = (float)(1.0 / sqrt((double)s->dim));
    for (size_t i0 = 0; i0 < nq; i0 += LT__ATTN_GROUP) {
        size_t g = nq - i0 < LT__ATTN_GROUP ? nq - i0 : LT__ATTN_GROUP;
        for (size_t i = 0; i < g; i++) qs[i] = q + (i0 + i) * s->dim;
        int rc = lt__attn_tiled(&all, k, qs, g, 0, s->dim, scale, tile, out + i0 * s->dim, s->dim);
        if (rc) return rc;
    }
    return LT_OK;
}

static int standard_group(const lt_space *s, const lt__kernels *k, const float *q, size_t nq, float *out)
{
    return lt__attn_tiled_group(s, k, q, nq, out, standard_tile(s));
}

const lt__attn_ops lt__attn_standard = {standard_single, standard_group};
