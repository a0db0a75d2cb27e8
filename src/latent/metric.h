/* What each distance metric contributes to kNN: how rows are scored against a
 * query (directly, or from a dot product for the GEMM path), and the distance
 * reported from a score. Scores rank exactly as the distances do. */
#ifndef LT_METRIC_H
#define LT_METRIC_H
#include "space_internal.h"

typedef struct {
    const float *q;  /* the query as scored (projected for Hyperbolic) */
    float qn2;       /* |q|^2 */
    float qinv;      /* Cosine: 1/|q| (0 for a zero query) */
    double qinvden;  /* Hyperbolic: 1/(1 - c|q|^2) */
} lt__query;

/* Validates and prepares a query; qbuf (dim floats) holds the projection. */
int lt__query_prepare(const lt_space *s, const float *query, float *qbuf, lt__query *q);

/* keys[r] for `count` contiguous rows of block blk starting at offset off. */
void lt__metric_keys_direct(const lt_space *s, const lt__kernels *k, const lt__query *q, const float *rows,
                            size_t count, size_t blk, size_t off, float *keys);

/* Rounding error of a float dot product of length d, relative to |x||q|: a
 * random-walk bound with a wide margin (any summation order). */
float lt__metric_dot_error(size_t d);

/* The distance the API reports for a score. */
float lt__metric_distance(const lt_space *s, const lt__query *q, float key);

static inline int lt__metric_has_dot_form(lt_metric m) { return m != LT_METRIC_MANHATTAN; }

#endif
