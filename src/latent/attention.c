/* Public attention entry points: validation, the per-type table, and the
 * scheduling of batches (groups of queries spread over threads). */
#include "attn_internal.h"
#include "alloc.h"
#include "gemm.h"

#include <math.h>

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

/* The padded work of a group of G queries, in query columns: K·Qᵀ scores
 * whole panels of nr queries and P·V whole slivers of mr (equal flops a
 * column), plus a few columns' worth for reading the keys once more. */
static double group_cost(size_t G, const lt__kernels *k)
{
    return G ? (double)(lt__round_up(G, k->nr) + lt__round_up(G, k->mr) + 4) : 0.0;
}

/* Queries per group (at most LT__ATTN_GROUP): the size whose groups, handed
 * to nt threads in turn, finish first by group_cost; ties go to the larger.
 * 128 queries on 2 threads: 64 + 64 (two panels and six slivers each) rather
 * than 72 + 56 (a third panel for 8 queries). */
static size_t group_size(size_t nq, int nt, const lt__kernels *k)
{
    size_t best_g = 1, T = nt > 0 ? (size_t)nt : 1;
    double best = INFINITY;
    for (size_t g = nq < LT__ATTN_GROUP ? nq : LT__ATTN_GROUP; g >= 1; g--) {
        size_t full = nq / g, last = nq % g, rounds = full / T;
        double cf = group_cost(g, k), span;
        if (full % T) /* some thread has one group fewer: the last one goes there */
            span = fmax((double)(rounds + 1) * cf, (double)rounds * cf + group_cost(last, k));
        else
            span = (double)rounds * cf + group_cost(last, k);
        if (span < best) {
            best = span;
            best_g = g;
        }
    }
    return best_g;
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
    size_t g = group_size(nq, nt, k);
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
