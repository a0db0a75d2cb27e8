/* MultiHead(h): head j is Standard attention on columns [j*d/h, (j+1)*d/h) of
 * the query and of every key and value, scaled by 1/sqrt(d/h); outputs are
 * concatenated in head order. A single query is one fused sweep: each row is
 * read once and scored for every head, then once more for the weighted sums. */
#include "attn_internal.h"
#include "scratch.h"

#include <math.h>

/* Per-head softmax states on the stack: LT__MH_STACK heads cover every
 * practical head count; more take the space's scratch. */
#define LT__MH_STACK 64

static int multihead_single(const lt_space *s, const lt__kernels *k, const float *q, float *out)
{
    unsigned h = s->cfg.num_heads;
    size_t dh = s->dim / h;
    float scale = (float)(1.0 / sqrt((double)dh));
    lt__rowset all = {s, NULL, s->n};
    float m_st[LT__MH_STACK], *m = m_st;
    double l_st[LT__MH_STACK], *l = l_st;
    lt__lease lease = {NULL, NULL};
    if (h > LT__MH_STACK) {
        char *buf = lt__scratch_get(s, (size_t)h * (sizeof(float) + sizeof(double)), &lease);
        if (!buf) return LT_ENOMEM;
        l = (double *)buf;
        m = (float *)(buf + (size_t)h * sizeof(double));
    }
    int rc = lt__attn_heads_state(&all, k, q, 0, s->dim, h, scale, m, l, out);
    if (!rc)
        for (unsigned j = 0; j < h; j++)
            for (size_t i = 0; i < dh; i++) out[j * dh + i] = (float)(out[j * dh + i] / l[j]);
    lt__scratch_put(&lease);
    return rc;
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
    const float *qs[LT__ATTN_GROUP];
    for (size_t i0 = 0; i0 < nq; i0 += LT__ATTN_GROUP) {
        size_t g = nq - i0 < LT__ATTN_GROUP ? nq - i0 : LT__ATTN_GROUP;
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
