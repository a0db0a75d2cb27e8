/* Routed mixture of experts: each stored row belongs to expert argmax(W x),
 * fixed at insertion. A query takes the top_k experts by softmax(W q) among
 * experts that own rows, renormalises their gate weights and sums their
 * Standard attention over their own rows only: cost falls as E grows. */
#include "attn_internal.h"
#include "alloc.h"
#include "scratch.h"

#include <math.h>
#include <string.h>

unsigned lt__moe_select(unsigned E, unsigned K, double *logit, unsigned char *avail, unsigned *ex, double *w)
{
    double pmax = -INFINITY, sum = 0.0;
    for (unsigned e = 0; e < E; e++)
        if (logit[e] > pmax) pmax = logit[e];
    for (unsigned e = 0; e < E; e++) sum += (logit[e] = exp(logit[e] - pmax));
    unsigned chosen = 0;
    while (chosen < K) {
        int best = -1;
        for (unsigned e = 0; e < E; e++)
            if (avail[e] && (best < 0 || logit[e] > logit[best])) best = (int)e;
        if (best < 0) break; /* fewer non-empty experts than top_k */
        avail[best] = 0;
        ex[chosen] = (unsigned)best;
        w[chosen++] = logit[best] / sum;
    }
    double norm = 0.0;
    for (unsigned i = 0; i < chosen; i++) norm += w[i];
    for (unsigned i = 0; i < chosen; i++) w[i] /= norm;
    return chosen;
}

/* Chosen experts (in descending gate weight) and their renormalised weights;
 * gate logits in double so routing does not depend on the ISA path. logit and
 * avail are the caller's workspace of num_experts entries. */
static unsigned moe_route(const lt_space *s, const float *q, double *logit, unsigned char *avail, unsigned *ex,
                          double *w)
{
    unsigned E = s->cfg.num_experts;
    for (unsigned e = 0; e < E; e++) {
        const float *g = s->gate + (size_t)e * s->dim;
        double v = 0.0;
        for (size_t i = 0; i < s->dim; i++) v += (double)g[i] * q[i];
        logit[e] = v;
        avail[e] = s->expert_n[e] > 0;
    }
    return lt__moe_select(E, s->cfg.top_k_experts, logit, avail, ex, w);
}

static int moe_single(const lt_space *s, const lt__kernels *k, const float *q, float *out)
{
    unsigned E = s->cfg.num_experts, K = s->cfg.top_k_experts;
    lt__layout L = {0, 0};
    size_t o_logit = lt__layout_add(&L, E, sizeof(double));
    size_t o_w = lt__layout_add(&L, K, sizeof(double));
    size_t o_ex = lt__layout_add(&L, K, sizeof(unsigned));
    size_t o_avail = lt__layout_add(&L, E, 1);
    size_t o_tmp = lt__layout_add(&L, s->dim, sizeof(float));
    if (L.overflow) return LT_EOVERFLOW;
    lt__lease lease;
    char *buf = lt__scratch_get(s, L.size, &lease);
    if (!buf) return LT_ENOMEM;
    double *w = (double *)(buf + o_w);
    unsigned *ex = (unsigned *)(buf + o_ex);
    float *tmp = (float *)(buf + o_tmp);
    unsigned n = moe_route(s, q, (double *)(buf + o_logit), (unsigned char *)(buf + o_avail), ex, w);
    float scale = (float)(1.0 / sqrt((double)s->dim));
    memset(out, 0, s->dim * sizeof(float));
    int rc = LT_OK;
    for (unsigned i = 0; i < n && !rc; i++) {
        lt__rowset rs = {s, s->expert_rows[ex[i]], s->expert_n[ex[i]]};
        rc = lt__attn_rows(&rs, k, q, 0, s->dim, scale, tmp);
        for (size_t j = 0; j < s->dim && !rc; j++) out[j] += (float)w[i] * tmp[j];
    }
    lt__scratch_put(&lease);
    return rc;
}

static size_t moe_tile(const lt_space *s)
{
    (void)s;
    return LT__ATTN_TILE;
}

/* Queries of the group are bucketed by expert, and each expert's bucket runs as
 * one tiled batch over that expert's rows. */
static int moe_group(const lt_space *s, const lt__kernels *k, const float *q, size_t nq, float *out)
{
    unsigned E = s->cfg.num_experts, K = s->cfg.top_k_experts;
    size_t d = s->dim;
    lt__layout L = {0, 0};
    size_t o_ex = lt__layout_add(&L, nq * K, sizeof(unsigned));
    size_t o_nex = lt__layout_add(&L, nq, sizeof(unsigned));
    size_t o_w = lt__layout_add(&L, nq * K, sizeof(double));
    size_t o_qs = lt__layout_add(&L, nq, sizeof(const float *));
    size_t o_who = lt__layout_add(&L, nq, sizeof(size_t));
    size_t o_wgt = lt__layout_add(&L, nq, sizeof(float));
    size_t o_tmp = lt__layout_add(&L, nq * d, sizeof(float));
    size_t o_logit = lt__layout_add(&L, E, sizeof(double));
    size_t o_avail = lt__layout_add(&L, E, 1);
    if (L.overflow) return LT_EOVERFLOW;
    lt__lease lease;
    char *buf = lt__scratch_get(s, L.size, &lease);
    if (!buf) return LT_ENOMEM;
    unsigned *ex = (unsigned *)(buf + o_ex), *nex = (unsigned *)(buf + o_nex);
    double *w = (double *)(buf + o_w), *logit = (double *)(buf + o_logit);
    const float **qs = (const float **)(buf + o_qs);
    size_t *who = (size_t *)(buf + o_who);
    float *wgt = (float *)(buf + o_wgt), *tmp = (float *)(buf + o_tmp);
    unsigned char *avail = (unsigned char *)(buf + o_avail);
    int rc = LT_OK;
    for (size_t i = 0; i < nq; i++) nex[i] = moe_route(s, q + i * d, logit, avail, ex + i * K, w + i * K);
    memset(out, 0, nq * d * sizeof(float));
    float scale = (float)(1.0 / sqrt((double)d));
    for (unsigned e = 0; e < E && !rc; e++) {
        size_t g = 0;
        for (size_t i = 0; i < nq; i++)
            for (unsigned j = 0; j < nex[i]; j++)
                if (ex[i * K + j] == e) {
                    who[g] = i;
                    wgt[g] = (float)w[i * K + j];
                    qs[g++] = q + i * d;
                }
        if (!g) continue;
        lt__rowset rs = {s, s->expert_rows[e], s->expert_n[e]};
        rc = lt__attn_tiled(&rs, k, qs, g, 0, d, scale, moe_tile(s), tmp, d);
        for (size_t i = 0; i < g && !rc; i++)
            for (size_t j = 0; j < d; j++) out[who[i] * d + j] += wgt[i] * tmp[i * d + j];
    }
    lt__scratch_put(&lease);
    return rc;
}

const lt__attn_ops lt__attn_moe = {moe_single, moe_group};
