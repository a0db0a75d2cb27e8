/* Attention over a space split into parts (rows sharded over MPI ranks): each
 * part computes an unnormalised softmax state per group, states merge with the
 * online-softmax rescaling in any order, and the merged state finishes into the
 * output lt_space_attention gives on all rows at once.
 *
 * Layout: G groups of (m, l, acc[dimension]). Standard and Flash have one group,
 * MultiHead one per head (only that head's slice of acc is used, so every group
 * has the same shape and merge needs no per-type code), MoE one per expert over
 * the keys that expert owns. Routing waits for finish: the top_k choice is
 * among experts that own keys anywhere, which no single part can know. */
#include "attn_internal.h"
#include "alloc.h"

#include <math.h>
#include <string.h>

/* Groups of a valid configuration. */
static size_t state_groups(const lt_config *cfg)
{
    switch (cfg->attention) {
    case LT_ATTN_MULTIHEAD: return cfg->num_heads;
    case LT_ATTN_MOE: return cfg->num_experts;
    default: return 1;
    }
}

size_t lt_attention_state_floats(const lt_config *cfg)
{
    size_t total;
    if (!cfg || lt__config_check(cfg) != LT_OK || cfg->dimension > SIZE_MAX - 2 ||
        !lt__mul_ok(state_groups(cfg), cfg->dimension + 2, &total))
        return 0;
    return total;
}

static void group_empty(float *g, size_t d)
{
    g[0] = -INFINITY;
    g[1] = 0.0f;
    memset(g + 2, 0, d * sizeof(float));
}

int lt_space_attention_state(const lt_space *s, const float *query, float *state)
{
    if (!s || !query || !state) return LT_EINVAL;
    if (!lt__all_finite(query, s->dim)) return LT_ENONFINITE;
    const size_t d = s->dim, gs = d + 2, G = state_groups(&s->cfg);
    for (size_t g = 0; g < G; g++) group_empty(state + g * gs, d);
    if (s->n == 0) return LT_OK;

    const lt__kernels *k = lt__k();
    const lt__rowset all = {s, NULL, s->n};
    float scale = (float)(1.0 / sqrt((double)d));
    double l = 0.0;
    int rc = LT_OK;
    switch (s->cfg.attention) {
    case LT_ATTN_STANDARD:
        rc = lt__attn_rows_state(&all, k, query, 0, d, scale, &state[0], &l, state + 2);
        state[1] = (float)l;
        break;
    case LT_ATTN_FLASH: /* one pass over tiles: O(block_size + dimension), as Flash promises */
        rc = lt__attn_flash_state(s, k, query, &state[0], &l, state + 2);
        state[1] = (float)l;
        break;
    case LT_ATTN_MULTIHEAD: {
        /* one fused sweep for all heads into group 0's acc, then each head's
         * slice moved to its own group */
        size_t dh = d / G;
        scale = (float)(1.0 / sqrt((double)dh));
        float m_st[64], *m = m_st;
        double l_st[64], *lh = l_st;
        void *heap = NULL;
        if (G > 64) {
            heap = lt__malloc(G * (sizeof(double) + sizeof(float)));
            if (!heap) return LT_ENOMEM;
            lh = heap;
            m = (float *)(lh + G);
        }
        rc = lt__attn_heads_state(&all, k, query, 0, d, (unsigned)G, scale, m, lh, state + 2);
        for (size_t h = 0; h < G && !rc; h++) {
            float *g = state + h * gs;
            g[0] = m[h];
            g[1] = (float)lh[h];
            if (h) {
                memcpy(g + 2 + h * dh, state + 2 + h * dh, dh * sizeof(float));
                memset(state + 2 + h * dh, 0, dh * sizeof(float));
            }
        }
        lt__free(heap);
        break;
    }
    case LT_ATTN_MOE:
        for (size_t e = 0; e < G && !rc; e++) {
            if (s->expert_n[e] == 0) continue;
            float *g = state + e * gs;
            const lt__rowset rs = {s, s->expert_rows[e], s->expert_n[e]};
            rc = lt__attn_rows_state(&rs, k, query, 0, d, scale, &g[0], &l, g + 2);
            g[1] = (float)l;
        }
        break;
    }
    return rc;
}

void lt_attention_state_merge(const lt_config *cfg, float *inout, const float *in)
{
    size_t total = lt_attention_state_floats(cfg);
    if (!total || !inout || !in) return;
    const size_t gs = cfg->dimension + 2, G = total / gs;
    for (size_t g = 0; g < G; g++) {
        float *a = inout + g * gs;
        const float *b = in + g * gs;
        if (b[0] == -INFINITY) continue; /* empty groups merge as exact identities */
        if (a[0] == -INFINITY) {
            memcpy(a, b, gs * sizeof(float));
            continue;
        }
        /* The larger max rescales by exp(0) = 1 exactly, so the result does not
         * depend on which side held it. */
        float m = a[0] > b[0] ? a[0] : b[0];
        float sa = expf(a[0] - m), sb = expf(b[0] - m);
        a[0] = m;
        a[1] = a[1] * sa + b[1] * sb;
        for (size_t i = 2; i < gs; i++) a[i] = a[i] * sa + b[i] * sb;
    }
}

/* MoE: the gate logits W q, regenerating W from the spec's stream (the same
 * floats lt_moe_gate_fill stores) instead of allocating E x d floats, then the
 * routing of lt_space_attention with "owns keys" read as l_e > 0. */
static int moe_finish(const lt_config *cfg, const float *q, const float *state, float *out)
{
    const unsigned E = cfg->num_experts, K = cfg->top_k_experts;
    const size_t d = cfg->dimension, gs = d + 2;
    /* routing workspace: on the stack for up to 64 experts, else allocated
     * (E is up to LT_MAX_EXPERTS) */
    double logit_st[64], w_st[64];
    unsigned char avail_st[64];
    unsigned ex_st[64];
    double *logit = logit_st, *w = w_st;
    unsigned char *avail = avail_st;
    unsigned *ex = ex_st;
    void *heap = NULL;
    if (E > 64) {
        heap = lt__malloc((size_t)E * (2 * sizeof(double) + sizeof(unsigned) + 1));
        if (!heap) return LT_ENOMEM;
        logit = heap;
        w = logit + E;
        ex = (unsigned *)(w + E);
        avail = (unsigned char *)(ex + E);
    }
    (void)K;
    uint64_t lcg = LT__MOE_GATE_SEED;
    double gscale = lt__moe_gate_scale(d, E);
    for (unsigned e = 0; e < E; e++) {
        double v = 0.0;
        for (size_t i = 0; i < d; i++) v += (double)lt__moe_gate_next(&lcg, gscale) * q[i];
        logit[e] = v;
        avail[e] = state[e * gs + 1] > 0.0f;
    }
    unsigned n = lt__moe_select(E, cfg->top_k_experts, logit, avail, ex, w);
    memset(out, 0, d * sizeof(float));
    for (unsigned i = 0; i < n; i++) {
        const float *g = state + ex[i] * gs;
        double l = g[1];
        float wi = (float)w[i];
        for (size_t j = 0; j < d; j++) out[j] += wi * (float)(g[2 + j] / l);
    }
    lt__free(heap);
    return LT_OK;
}

int lt_attention_state_finish(const lt_config *cfg, const float *query, const float *state, float *out)
{
    if (!cfg || !state || !out) return LT_EINVAL;
    size_t total = lt_attention_state_floats(cfg);
    if (!total) return LT_EINVAL;
    const size_t d = cfg->dimension, gs = d + 2, G = total / gs;
    if (cfg->attention == LT_ATTN_MOE) {
        if (!query) return LT_EINVAL;
        if (!lt__all_finite(query, d)) return LT_ENONFINITE;
        size_t nonempty = 0;
        for (size_t e = 0; e < G; e++) nonempty += state[e * gs + 1] > 0.0f;
        if (!nonempty) return LT_EEMPTY;
        return moe_finish(cfg, query, state, out);
    }
    /* every head sees every key: one empty head means no keys at all */
    for (size_t g = 0; g < G; g++)
        if (!(state[g * gs + 1] > 0.0f)) return LT_EEMPTY;
    const size_t len = d / G; /* Standard and Flash: G = 1, the whole row */
    for (size_t g = 0; g < G; g++) {
        const float *acc = state + g * gs + 2 + g * len;
        double l = state[g * gs + 1];
        for (size_t j = 0; j < len; j++) out[g * len + j] = (float)(acc[j] / l);
    }
    return LT_OK;
}
