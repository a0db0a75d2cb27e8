/* Routed mixture of experts: each stored row belongs to expert argmax(W x),
 * fixed at insertion. A query takes the top_k experts by softmax(W q) among
 * experts that own rows, renormalises their gate weights and sums their
 * Standard attention over their own rows only: cost falls as E grows. */
#include "attn_internal.h"
#include "alloc.h"

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
 * gate logits in double so routing does not depend on the ISA path. */
static unsigned moe_route(const lt_space *s, const float *q, unsigned *ex, double *w)
{
    unsigned E = s->cfg.num_experts;
    double logit[E];
    unsigned char avail[E];
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
    unsigned ex[s->cfg.top_k_experts];
    double w[s->cfg.top_k_experts];
    unsigned n = moe_route(s, q, ex, w);
    float *tmp = lt__malloc(s->dim * sizeof(float));
    if (!tmp) return LT_ENOMEM;
    float scale = (float)(1.0 / sqrt((double)s->dim));
    memset(out, 0, s->dim * sizeof(float));
    for (unsigned i = 0; i < n; i++) {
        lt__rowset rs = {s, s->expert_rows[ex[i]], s->expert_n[ex[i]]};
        int rc = lt__attn_rows(&rs, k, q, 0, s->dim, scale, tmp);
        if (rc) { lt__free(tmp); return rc; }
        for (size_t j = 0; j < s->dim; j++) out[j] += (float)w[i] * tmp[j];
    }
    lt__free(tmp);
    return LT_OK;
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
    unsigned *ex = lt__malloc(nq * K * sizeof *ex);
    unsigned *nex = lt__malloc(nq * sizeof *nex);
    double *w = lt__malloc(nq * K * sizeof *w);
    const float **qs = lt__malloc(nq * sizeof *qs);
    size_t *who = lt__malloc(nq * sizeof *who);
    float *wgt = lt__malloc(nq * sizeof *wgt);
    float *tmp = lt__malloc(nq * d * sizeof *tmp);
    int rc = LT_ENOMEM;
    if (!ex || !nex || !w || !qs || !who || !wgt || !tmp) goto out;
    rc = LT_OK;
    for (size_t i = 0; i < nq; i++) nex[i] = moe_route(s, q + i * d, ex + i * K, w + i * K);
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
out:
    lt__free(ex); lt__free(nex); lt__free(w); lt__free(qs); lt__free(who); lt__free(wgt); lt__free(tmp);
    return rc;
}

const lt__attn_ops lt__attn_moe = {moe_single, moe_group};
