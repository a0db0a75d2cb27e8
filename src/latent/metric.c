/* Per-metric scoring. Euclidean ranks by the squared distance; Hyperbolic by
 * |u-v|^2 / (1 - c|u|^2), which orders rows exactly as acosh(...) does for a
 * fixed query. Cosine and Dot rank by the reported distance itself. */
#include "metric.h"

#include <float.h>
#include <math.h>

int lt__query_prepare(const lt_space *s, const float *query, float *qbuf, lt__query *q)
{
    if (!lt__all_finite(query, s->dim)) return LT_ENONFINITE;
    q->q = query;
    if (s->cfg.metric == LT_METRIC_HYPERBOLIC) {
        lt__hyperbolic_project(s, query, qbuf);
        q->q = qbuf;
    }
    double n2 = 0.0;
    for (size_t i = 0; i < s->dim; i++) n2 += (double)q->q[i] * q->q[i];
    q->qn2 = (float)n2;
    q->qinv = n2 > 0.0 ? (float)(1.0 / sqrt(n2)) : 0.0f;
    q->qinvden = s->cfg.metric == LT_METRIC_HYPERBOLIC ? 1.0 / (1.0 - s->c * n2) : 0.0;
    return LT_OK;
}

static inline float cosine_key(float dot, float xinv, float qinv)
{
    float d = 1.0f - dot * xinv * qinv;
    return d < 0.0f ? 0.0f : (d > 2.0f ? 2.0f : d);
}

void lt__metric_keys_direct(const lt_space *s, const lt__kernels *k, const lt__query *q, const float *rows,
                            size_t count, size_t blk, size_t off, float *keys)
{
    const lt__block *b = &s->blocks[blk];
    switch (s->cfg.metric) {
    case LT_METRIC_EUCLIDEAN:
        k->scan_l2sq(q->q, rows, count, s->stride, s->dim, keys);
        break;
    case LT_METRIC_MANHATTAN:
        k->scan_l1(q->q, rows, count, s->stride, s->dim, keys);
        break;
    case LT_METRIC_DOT:
        k->scan_dot(q->q, rows, count, s->stride, s->dim, keys);
        for (size_t r = 0; r < count; r++) keys[r] = -keys[r];
        break;
    case LT_METRIC_COSINE:
        k->scan_dot(q->q, rows, count, s->stride, s->dim, keys);
        for (size_t r = 0; r < count; r++) keys[r] = cosine_key(keys[r], b->aux[off + r], q->qinv);
        break;
    case LT_METRIC_HYPERBOLIC:
        k->scan_l2sq(q->q, rows, count, s->stride, s->dim, keys);
        for (size_t r = 0; r < count; r++) keys[r] *= b->aux[off + r];
        break;
    }
}

float lt__metric_dot_error(size_t d)
{
    return 4.0f * FLT_EPSILON * (sqrtf((float)d) + 4.0f);
}

float lt__metric_distance(const lt_space *s, const lt__query *q, float key)
{
    switch (s->cfg.metric) {
    case LT_METRIC_EUCLIDEAN:
        return sqrtf(key);
    case LT_METRIC_HYPERBOLIC:
        return (float)(acosh(1.0 + 2.0 * s->c * (double)key * q->qinvden) / s->sqrt_c);
    default:
        return key;
    }
}
