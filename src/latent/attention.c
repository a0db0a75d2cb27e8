/* Public attention entry points: validation, the per-type table, and the
 * scheduling of batches (groups of queries spread over threads). */
#include "attn_internal.h"
#include "alloc.h"
#include "gemm.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static const lt__attn_ops *const g_attn[] = {
    [LT_ATTN_STANDARD] = &lt__attn_standard,
    [LT_ATTN_FLASH] = &lt__attn_flash,
    [LT_ATTN_MULTIHEAD] = &lt__attn_multihead,
    [LT_ATTN_MOE] = &lt__attn_moe,
};

int lt_space_attention(const lt_space *s, const float *query, float *out)
{
    if (!s || !query || !out) return LT_EINVAL;
    if (!lt__all_finite(query, s->dim)) return LT_ENONFINITE;
    if (s->n == 0) return LT_EEMPTY;
    return g_attn[s->cfg.attention]->single(s, lt__k(), query, out);
}

int lt_space_attention_batch(const lt_space *s, const float *queries, size_t nq, float *out)
{
    if (!s || (nq && (!queries || !out))) return LT_EINVAL;
    size_t qfloats;
    if (!lt__mul_ok(nq, s->dim, &qfloats)) return LT_EOVERFLOW;
    if (nq == 0) return LT_OK;
    if (!lt__all_finite(queries, qfloats)) return LT_ENONFINITE;
    if (s->n == 0) return LT_EEMPTY;
    const lt__attn_ops *ops = g_attn[s->cfg.attention];
    const lt__kernels *k = lt__k();
    size_t work, wk;
    int nt = lt__mul_ok(s->n, s->dim, &wk) && lt__mul_ok(wk, nq, &work) ? lt__threads(s, work)
                                                                         : lt__threads(s, SIZE_MAX);
    /* groups of whole micro-tiles, at least one per thread, at most LT__ATTN_GROUP queries */
    size_t g = lt__round_up((nq + (size_t)nt - 1) / (size_t)nt, k->mr);
    if (g > LT__ATTN_GROUP) g = LT__ATTN_GROUP;
    size_t ngroups = (nq + g - 1) / g;
    if ((size_t)nt > ngroups) nt = (int)ngroups;
    int rc = LT_OK;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic) reduction(min : rc) if (nt > 1)
#endif
    for (size_t gi = 0; gi < ngroups; gi++) {
        size_t i0 = gi * g, cnt = nq - i0 < g ? nq - i0 : g;
        int r = ops->group(s, k, queries + i0 * s->dim, cnt, out + i0 * s->dim);
        if (r < rc) rc = r;
    }
    return rc;
}
