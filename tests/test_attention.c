/*
 * Attention over the stored embeddings: Standard, Flash, MultiHead and MoE against
 * the double reference (single and batch), Flash tiling, large scores, the MoE
 * gate LCG, routing, top-k renormalisation and empty experts.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latent/latent.h"
#include "check_helpers.h"
#include "ref.h"

static const char *const attn_names[] = {"standard", "flash", "multihead", "moe"};
#define NATTN 4

/* MoE ownership of every row by the reference gate (NULL unless MoE). */
static unsigned *ref_owners(const lt_config *cfg, const float *data, size_t n)
{
    if (cfg->attention != LT_ATTN_MOE)
        return NULL;
    size_t d = cfg->dimension;
    float *W = tst_xmalloc((size_t)cfg->num_experts * d * sizeof *W);
    unsigned *own = tst_xmalloc(n * sizeof *own);
    ref_moe_gate(d, cfg->num_experts, W);
    for (size_t i = 0; i < n; i++)
        own[i] = ref_moe_owner(W, d, cfg->num_experts, data + i * d);
    free(W);
    return own;
}

/* Expert sizes of the library equal the reference's argmax counts. */
static void check_routing(const lt_space *s, const lt_config *cfg, const unsigned *own, size_t n,
                          const char *ctx)
{
    if (cfg->attention != LT_ATTN_MOE)
        return;
    size_t total = 0;
    for (unsigned e = 0; e < cfg->num_experts; e++) {
        size_t want = 0;
        for (size_t i = 0; i < n; i++)
            want += own[i] == e;
        size_t got = lt_space_expert_size(s, e);
        ck_assert_msg(got == want, "%s: expert %u owns %zu rows, reference %zu", ctx, e, got, want);
        total += got;
    }
    ck_assert_uint_eq(total, n);
    ck_assert_uint_eq(lt_space_expert_size(s, cfg->num_experts), 0);
}

/* Single queries per batch: enough to compare the paths, few enough to keep the
 * grid quick (every batch row is still checked against the reference). */
#define SINGLE_PER_BATCH 7

/* Batch attention for nq queries and single attention for the first
 * SINGLE_PER_BATCH, against the reference and each other. */
static void check_attention(const lt_space *s, const lt_config *cfg, const float *data, size_t n,
                            const unsigned *own, const float *q, size_t nq, const char *ctx)
{
    const size_t d = cfg->dimension;
    float *batch = tst_xmalloc(nq * d * sizeof *batch);
    float *single = tst_xmalloc(d * sizeof *single);
    double *ref = tst_xmalloc(d * sizeof *ref);
    char msg[512];
    for (size_t i = 0; i < nq * d; i++)
        batch[i] = NAN;
    int rc = lt_space_attention_batch(s, q, nq, batch);
    ck_assert_msg(rc == LT_OK, "%s nq=%zu: attention_batch %s", ctx, nq, lt_strerror(rc));
    for (size_t i = 0; i < nq; i++) {
        ref_attention(cfg, data, n, own, q + i * d, ref);
        ck_assert_msg(ref_check_attention(batch + i * d, ref, d, msg, sizeof msg),
                      "%s nq=%zu query %zu batch: %s", ctx, nq, i, msg);
        if (i >= SINGLE_PER_BATCH)
            continue;
        for (size_t j = 0; j < d; j++)
            single[j] = NAN;
        rc = lt_space_attention(s, q + i * d, single);
        ck_assert_msg(rc == LT_OK, "%s query %zu: attention %s", ctx, i, lt_strerror(rc));
        ck_assert_msg(ref_check_attention(single, ref, d, msg, sizeof msg), "%s query %zu: %s",
                      ctx, i, msg);
        ck_assert_msg(ref_check_attention_f(batch + i * d, single, d, msg, sizeof msg),
                      "%s nq=%zu query %zu batch vs single: %s", ctx, nq, i, msg);
    }
    free(batch);
    free(single);
    free(ref);
}

/* ---- Grid ------------------------------------------------------------------------------ */

static const struct { size_t d; unsigned heads; } grid_dims[] = {
    {1, 1}, {3, 3}, {15, 5}, {16, 8}, {17, 17}, {64, 8}, {100, 10}, {256, 8}, {1024, 16},
};
static const size_t grid_ns[] = {1, 2, 63, 64, 65, 1000, 10000};
static const struct { unsigned experts, top_k; } moe_shapes[] = {
    {4, 2}, {3, 1}, {8, 3}, {2, 2}, {5, 5}, {1, 1}, {6, 4},
};
#define NDIMS (sizeof grid_dims / sizeof grid_dims[0])
#define NNS (sizeof grid_ns / sizeof grid_ns[0])
#define BATCH_WORK 3000000.0

START_TEST(test_attention_grid)
{
    const lt_attention a = (lt_attention)(_i / (int)NDIMS);
    const size_t d = grid_dims[_i % (int)NDIMS].d;
    for (size_t ni = 0; ni < NNS; ni++) {
        const size_t n = grid_ns[ni];
        const uint64_t seed = ref_case_seed(11, (uint64_t)a, d, n);
        lt_config cfg = lt_config_default(d);
        cfg.attention = a;
        cfg.num_heads = grid_dims[_i % (int)NDIMS].heads;
        cfg.num_experts = moe_shapes[ni].experts;
        cfg.top_k_experts = moe_shapes[ni].top_k;
        float *data = tst_xmalloc(n * d * sizeof *data);
        ref_fill_uniform(seed, data, n * d);
        ref_moe_sanitize(&cfg, data, n, seed ^ 0x5a);
        lt_space *s = tst_new_space(&cfg);
        ck_assert_int_eq(lt_space_add_batch(s, data, n, NULL), LT_OK);
        unsigned *own = ref_owners(&cfg, data, n);
        char ctx[192];
        snprintf(ctx, sizeof ctx, "%s d=%zu n=%zu heads=%u E=%u top_k=%u seed=%llu",
                 attn_names[a], d, n, cfg.num_heads, cfg.num_experts, cfg.top_k_experts,
                 (unsigned long long)seed);
        check_routing(s, &cfg, own, n, ctx);
        /* 130: several query panels and groups; 30 and 64: a last P V sliver
         * reaching past the last query panel (padding columns) */
        static const size_t nqs[] = {1, 7, 30, 33, 64, 130};
        for (size_t qi = 0; qi < sizeof nqs / sizeof *nqs; qi++) {
            size_t nq = nqs[qi];
            if (nq > 1 && (double)nq * (double)n * (double)d > BATCH_WORK)
                continue;
            float *q = tst_xmalloc(nq * d * sizeof *q);
            ref_fill_uniform(seed + 1 + qi, q, nq * d);
            ref_moe_sanitize(&cfg, q, nq, seed ^ (0x77 + qi));
            check_attention(s, &cfg, data, n, own, q, nq, ctx);
            free(q);
        }
        /* A stored row as the query: its own score dominates. */
        check_attention(s, &cfg, data, n, own, data + (n / 2) * d, 1, ctx);
        free(own);
        free(data);
        lt_space_destroy(s);
    }
}
END_TEST

/* ---- Flash ------------------------------------------------------------------------------ */

START_TEST(test_flash_blocks)
{
    static const unsigned blocks[] = {1, 7, 64, 1000};
    static const size_t ns[] = {5, 63, 65, 999, 1001, 2500};
    static const size_t dims[] = {16, 17};
    const unsigned block = blocks[_i];
    for (size_t di = 0; di < 2; di++)
        for (size_t ni = 0; ni < sizeof ns / sizeof ns[0]; ni++) {
            const size_t d = dims[di], n = ns[ni], nq = 5;
            const uint64_t seed = ref_case_seed(12, block, d, n);
            float *data = tst_xmalloc(n * d * sizeof *data);
            float *q = tst_xmalloc(nq * d * sizeof *q);
            ref_fill_uniform(seed, data, n * d);
            ref_fill_uniform(seed + 1, q, nq * d);
            lt_config fc = lt_config_default(d), sc = lt_config_default(d);
            fc.attention = LT_ATTN_FLASH;
            fc.block_size = block;
            lt_space *fs = tst_new_space(&fc), *ss = tst_new_space(&sc);
            ck_assert_int_eq(lt_space_add_batch(fs, data, n, NULL), LT_OK);
            ck_assert_int_eq(lt_space_add_batch(ss, data, n, NULL), LT_OK);
            char ctx[160], msg[512];
            snprintf(ctx, sizeof ctx, "flash block=%u d=%zu n=%zu seed=%llu", block, d, n,
                     (unsigned long long)seed);
            check_attention(fs, &fc, data, n, NULL, q, nq, ctx);
            /* Flash equals Standard. */
            float *fo = tst_xmalloc(nq * d * sizeof *fo), *so = tst_xmalloc(nq * d * sizeof *so);
            ck_assert_int_eq(lt_space_attention_batch(fs, q, nq, fo), LT_OK);
            ck_assert_int_eq(lt_space_attention_batch(ss, q, nq, so), LT_OK);
            for (size_t i = 0; i < nq; i++)
                ck_assert_msg(ref_check_attention_f(fo + i * d, so + i * d, d, msg, sizeof msg),
                              "%s query %zu flash vs standard: %s", ctx, i, msg);
            free(fo);
            free(so);
            free(data);
            free(q);
            lt_space_destroy(fs);
            lt_space_destroy(ss);
        }
}
END_TEST

/* Scores far beyond exp()'s float range: softmax must subtract the running max, and
 * Flash must rescale its running sums whenever a later tile raises the max. */
START_TEST(test_large_scores)
{
    const lt_attention a = (lt_attention)(_i / 3);
    const int order = _i % 3; /* 0: scores rise along insertion, 1: fall, 2: shuffled */
    const size_t d = 8, n = 301, nq = 3;
    const uint64_t seed = ref_case_seed(13, (uint64_t)a, (uint64_t)order, 0);
    ref_rng r;
    ref_rng_seed(&r, seed);
    float dir[8];
    ref_fill_uniform(seed + 1, dir, d);
    float *data = tst_xmalloc(n * d * sizeof *data);
    uint64_t *perm = tst_xmalloc(n * sizeof *perm);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    if (order == 2)
        ref_shuffle_u64(&r, perm, n);
    for (size_t i = 0; i < n; i++) {
        double t = order == 1 ? (double)(n - 1 - perm[i]) : (double)perm[i];
        /* Scores reach ~250: exp() overflows float from 89 on, while float32 rounding
         * of the scores (~eps * 250) stays well inside the 1e-4 tolerance. */
        double mag = 1.0 + 15.0 * t / (double)(n - 1);
        for (size_t j = 0; j < d; j++)
            data[i * d + j] = (float)(mag * dir[j] + 0.05 * ref_rng_uniform(&r));
    }
    float q[3 * 8];
    for (size_t j = 0; j < d; j++) {
        q[j] = 15.0f * dir[j];      /* aligned: the largest rows win */
        q[d + j] = -15.0f * dir[j]; /* anti-aligned: the smallest rows win */
        q[2 * d + j] = 12.0f * ref_rng_uniform(&r);
    }
    lt_config cfg = lt_config_default(d);
    cfg.attention = a;
    cfg.block_size = 7;
    cfg.num_heads = 4;
    ref_moe_sanitize(&cfg, data, n, seed ^ 0x31);
    ref_moe_sanitize(&cfg, q, nq, seed ^ 0x32);
    lt_space *s = tst_new_space(&cfg);
    ck_assert_int_eq(lt_space_add_batch(s, data, n, NULL), LT_OK);
    unsigned *own = ref_owners(&cfg, data, n);
    char ctx[128];
    snprintf(ctx, sizeof ctx, "%s large scores order=%d seed=%llu", attn_names[a], order,
             (unsigned long long)seed);
    check_attention(s, &cfg, data, n, own, q, nq, ctx);
    free(own);
    free(data);
    free(perm);
    lt_space_destroy(s);
}
END_TEST

/* ---- MultiHead ------------------------------------------------------------------------- */

START_TEST(test_multihead_one_head_is_standard)
{
    static const size_t dims[] = {1, 17, 64};
    const size_t d = dims[_i], n = 333, nq = 4;
    const uint64_t seed = ref_case_seed(14, d, 0, 0);
    float *data = tst_xmalloc(n * d * sizeof *data);
    float *q = tst_xmalloc(nq * d * sizeof *q);
    ref_fill_uniform(seed, data, n * d);
    ref_fill_uniform(seed + 1, q, nq * d);
    lt_config mc = lt_config_default(d), sc = lt_config_default(d);
    mc.attention = LT_ATTN_MULTIHEAD;
    mc.num_heads = 1;
    lt_space *ms = tst_new_space(&mc), *ss = tst_new_space(&sc);
    ck_assert_int_eq(lt_space_add_batch(ms, data, n, NULL), LT_OK);
    ck_assert_int_eq(lt_space_add_batch(ss, data, n, NULL), LT_OK);
    float *mo = tst_xmalloc(d * sizeof *mo), *so = tst_xmalloc(d * sizeof *so);
    char msg[512];
    for (size_t i = 0; i < nq; i++) {
        ck_assert_int_eq(lt_space_attention(ms, q + i * d, mo), LT_OK);
        ck_assert_int_eq(lt_space_attention(ss, q + i * d, so), LT_OK);
        ck_assert_msg(ref_check_attention_f(mo, so, d, msg, sizeof msg),
                      "d=%zu query %zu multihead(1) vs standard (seed %llu): %s", d, i,
                      (unsigned long long)seed, msg);
    }
    /* And h heads differ from Standard: the per-head softmax is not a no-op. */
    if (d == 64) {
        lt_config hc = mc;
        hc.num_heads = 8;
        lt_space *hs = tst_new_space(&hc);
        ck_assert_int_eq(lt_space_add_batch(hs, data, n, NULL), LT_OK);
        ck_assert_int_eq(lt_space_attention(hs, data, mo), LT_OK);
        ck_assert_int_eq(lt_space_attention(ss, data, so), LT_OK);
        double diff = 0;
        for (size_t j = 0; j < d; j++)
            diff = fmax(diff, fabs((double)mo[j] - so[j]));
        ck_assert_double_gt(diff, 1e-3);
        lt_space_destroy(hs);
    }
    free(data);
    free(q);
    free(mo);
    free(so);
    lt_space_destroy(ms);
    lt_space_destroy(ss);
}
END_TEST

/* ---- MoE -------------------------------------------------------------------------------- */

/* The spec's LCG written out independently of ref.c. */
static float lcg_weight(uint64_t *state, size_t d, unsigned E)
{
    *state = *state * 6364136223846793005ULL + 1ULL;
    double u = (double)*state / 18446744073709551616.0;
    return (float)((u - 0.5) * 2.0 * sqrt(2.0 / (double)(d + E)));
}

START_TEST(test_moe_gate_fill)
{
    /* d = 4, E = 2 by hand: states 9039304369631583587, 8647191391818483560,
     * 10334312345110439241; w = (state/2^64 - 0.5) * 2 * sqrt(2/6). */
    static const float first3[3] = {-0x1.798d62p-7f, -0x1.2775bp-5f, 0x1.1cd6eep-4f};
    float W[8];
    for (size_t i = 0; i < 8; i++)
        W[i] = NAN;
    ck_assert_int_eq(lt_moe_gate_fill(4, 2, W), LT_OK);
    printf("moe gate d=4 E=2: w0=%.9g w1=%.9g w2=%.9g (expected %.9g %.9g %.9g)\n", (double)W[0],
           (double)W[1], (double)W[2], (double)first3[0], (double)first3[1], (double)first3[2]);
    fflush(stdout);
    for (size_t i = 0; i < 3; i++)
        ck_assert_msg(W[i] == first3[i], "W[%zu] = %a, expected %a", i, (double)W[i],
                      (double)first3[i]);
    uint64_t state = 42;
    for (size_t i = 0; i < 8; i++) {
        float want = lcg_weight(&state, 4, 2);
        ck_assert_msg(W[i] == want, "W[%zu] = %a, expected %a", i, (double)W[i], (double)want);
    }

    /* Larger shapes: the same stream, row-major E x d. */
    static const struct { size_t d; unsigned E; } shapes[] = {{1, 1}, {17, 3}, {1024, 8},
                                                              {100, 16}};
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        size_t cnt = shapes[t].d * shapes[t].E;
        float *got = tst_xmalloc(cnt * sizeof *got), *ref = tst_xmalloc(cnt * sizeof *ref);
        ck_assert_int_eq(lt_moe_gate_fill(shapes[t].d, shapes[t].E, got), LT_OK);
        ref_moe_gate(shapes[t].d, shapes[t].E, ref);
        state = 42;
        for (size_t i = 0; i < cnt; i++) {
            float want = lcg_weight(&state, shapes[t].d, shapes[t].E);
            ck_assert_msg(want == ref[i], "reference gate disagrees at %zu", i);
            ck_assert_msg(got[i] == want, "d=%zu E=%u: W[%zu] = %a, expected %a", shapes[t].d,
                          shapes[t].E, i, (double)got[i], (double)want);
        }
        free(got);
        free(ref);
    }
    ck_assert_int_eq(lt_moe_gate_fill(0, 2, W), LT_EINVAL);
    ck_assert_int_eq(lt_moe_gate_fill(4, 0, W), LT_EINVAL);
    ck_assert_int_eq(lt_moe_gate_fill(4, 2, NULL), LT_EINVAL);
    ck_assert_int_eq(lt_moe_gate_fill(SIZE_MAX / 2, 4, W), LT_EOVERFLOW);
}
END_TEST

/* Renormalisation over the chosen top_k, for every top_k. */
START_TEST(test_moe_top_k)
{
    const unsigned E = 5, top_k = (unsigned)_i + 1;
    const size_t d = 12, n = 400, nq = 9;
    const uint64_t seed = ref_case_seed(15, top_k, 0, 0);
    lt_config cfg = lt_config_default(d);
    cfg.attention = LT_ATTN_MOE;
    cfg.num_experts = E;
    cfg.top_k_experts = top_k;
    float *data = tst_xmalloc(n * d * sizeof *data), *q = tst_xmalloc(nq * d * sizeof *q);
    ref_fill_uniform(seed, data, n * d);
    ref_fill_uniform(seed + 1, q, nq * d);
    ref_moe_sanitize(&cfg, data, n, seed + 2);
    ref_moe_sanitize(&cfg, q, nq, seed + 3);
    lt_space *s = tst_new_space(&cfg);
    ck_assert_int_eq(lt_space_add_batch(s, data, n, NULL), LT_OK);
    unsigned *own = ref_owners(&cfg, data, n);
    char ctx[96];
    snprintf(ctx, sizeof ctx, "moe E=%u top_k=%u seed=%llu", E, top_k, (unsigned long long)seed);
    for (unsigned e = 0; e < E; e++)
        ck_assert_msg(lt_space_expert_size(s, e) > 0, "%s: expert %u empty; pick another seed",
                      ctx, e);
    check_routing(s, &cfg, own, n, ctx);
    check_attention(s, &cfg, data, n, own, q, nq, ctx);
    /* top_k = 1 is plain Standard attention over the best expert's rows. */
    if (top_k == 1) {
        float W[5 * 12], out[12];
        double logits[5], ref[12];
        char msg[512];
        ref_moe_gate(d, E, W);
        for (size_t i = 0; i < nq; i++) {
            ref_moe_logits(W, d, E, q + i * d, logits);
            unsigned best = 0;
            for (unsigned e = 1; e < E; e++)
                if (logits[e] > logits[best])
                    best = e;
            ref_attn_slice(q + i * d, data, n, d, 0, d, own, best, ref);
            ck_assert_int_eq(lt_space_attention(s, q + i * d, out), LT_OK);
            ck_assert_msg(ref_check_attention(out, ref, d, msg, sizeof msg),
                          "%s query %zu vs expert %u alone: %s", ctx, i, best, msg);
        }
    }
    free(own);
    free(data);
    free(q);
    lt_space_destroy(s);
}
END_TEST

/* Experts that own nothing are skipped: top_k picks among the non-empty ones. */
START_TEST(test_moe_empty_experts)
{
    const unsigned E = 4, top_k = (unsigned)_i + 1;
    const size_t d = 10, want_n = 300, nq = 12;
    const uint64_t seed = ref_case_seed(16, top_k, 0, 0);
    lt_config cfg = lt_config_default(d);
    cfg.attention = LT_ATTN_MOE;
    cfg.num_experts = E;
    cfg.top_k_experts = top_k;
    float W[4 * 10];
    ref_moe_gate(d, E, W);
    /* Keep rows owned by experts 0 and 2; queries whose best expert is 1 or 3. */
    ref_rng r;
    ref_rng_seed(&r, seed);
    float *data = tst_xmalloc(want_n * d * sizeof *data), *q = tst_xmalloc(nq * d * sizeof *q);
    size_t n = 0, m = 0;
    float x[10];
    while (n < want_n || m < nq) {
        for (size_t j = 0; j < d; j++)
            x[j] = ref_rng_uniform(&r);
        if (!ref_moe_well_separated(W, d, E, x))
            continue;
        unsigned o = ref_moe_owner(W, d, E, x);
        if (o % 2 == 0 && n < want_n)
            memcpy(data + (n++) * d, x, sizeof x);
        else if (o % 2 == 1 && m < nq)
            memcpy(q + (m++) * d, x, sizeof x);
    }
    lt_space *s = tst_new_space(&cfg);
    ck_assert_int_eq(lt_space_add_batch(s, data, n, NULL), LT_OK);
    ck_assert_uint_eq(lt_space_expert_size(s, 1), 0);
    ck_assert_uint_eq(lt_space_expert_size(s, 3), 0);
    ck_assert_uint_gt(lt_space_expert_size(s, 0), 0);
    ck_assert_uint_gt(lt_space_expert_size(s, 2), 0);
    unsigned *own = ref_owners(&cfg, data, n);
    char ctx[96];
    snprintf(ctx, sizeof ctx, "moe empty experts 1,3 top_k=%u seed=%llu", top_k,
             (unsigned long long)seed);
    check_routing(s, &cfg, own, n, ctx);
    check_attention(s, &cfg, data, n, own, q, nq, ctx);
    check_attention(s, &cfg, data, n, own, data, 5, ctx);
    free(own);
    free(data);
    free(q);
    lt_space_destroy(s);
}
END_TEST

/* Exact gate ties: a zero row scores 0 for every expert and goes to expert 0; a
 * zero query gives uniform p, so top_k takes the lowest non-empty experts. */
START_TEST(test_moe_ties)
{
    const size_t d = 6, n = 200;
    const uint64_t seed = ref_case_seed(17, 0, 0, 0);
    lt_config cfg = lt_config_default(d);
    cfg.attention = LT_ATTN_MOE;
    cfg.num_experts = 4;
    cfg.top_k_experts = 2;
    float *data = tst_xmalloc((n + 3) * d * sizeof *data);
    ref_fill_uniform(seed, data, n * d);
    ref_moe_sanitize(&cfg, data, n, seed + 1);
    memset(data + n * d, 0, 3 * d * sizeof *data);
    lt_space *s = tst_new_space(&cfg);
    ck_assert_int_eq(lt_space_add_batch(s, data, n, NULL), LT_OK);
    size_t e0 = lt_space_expert_size(s, 0);
    ck_assert_int_eq(lt_space_add_batch(s, data + n * d, 3, NULL), LT_OK);
    ck_assert_uint_eq(lt_space_expert_size(s, 0), e0 + 3);
    unsigned *own = ref_owners(&cfg, data, n + 3);
    check_routing(s, &cfg, own, n + 3, "moe zero rows");
    float zero[6] = {0};
    check_attention(s, &cfg, data, n + 3, own, zero, 1, "moe zero query");
    free(own);
    free(data);
    lt_space_destroy(s);
}
END_TEST

START_TEST(test_moe_one_expert_is_standard)
{
    const size_t d = 16, n = 500;
    const uint64_t seed = ref_case_seed(18, 0, 0, 0);
    float *data = tst_xmalloc(n * d * sizeof *data), q[16];
    ref_fill_uniform(seed, data, n * d);
    ref_fill_uniform(seed + 1, q, d);
    lt_config mc = lt_config_default(d), sc = lt_config_default(d);
    mc.attention = LT_ATTN_MOE;
    mc.num_experts = 1;
    mc.top_k_experts = 1;
    lt_space *ms = tst_new_space(&mc), *ss = tst_new_space(&sc);
    ck_assert_int_eq(lt_space_add_batch(ms, data, n, NULL), LT_OK);
    ck_assert_int_eq(lt_space_add_batch(ss, data, n, NULL), LT_OK);
    ck_assert_uint_eq(lt_space_expert_size(ms, 0), n);
    float mo[16], so[16];
    char msg[512];
    ck_assert_int_eq(lt_space_attention(ms, q, mo), LT_OK);
    ck_assert_int_eq(lt_space_attention(ss, q, so), LT_OK);
    ck_assert_msg(ref_check_attention_f(mo, so, d, msg, sizeof msg),
                  "moe E=1 vs standard (seed %llu): %s", (unsigned long long)seed, msg);
    /* Not MoE: no experts. */
    ck_assert_uint_eq(lt_space_expert_size(ss, 0), 0);
    free(data);
    lt_space_destroy(ms);
    lt_space_destroy(ss);
}
END_TEST

/* ---- Hyperbolic keys, empty spaces, Flash memory ----------------------------------- */

/* In a hyperbolic space K = V = the stored, projected rows. */
START_TEST(test_hyperbolic_keys_are_projected)
{
    const lt_attention a = (lt_attention)_i;
    const size_t d = 16, n = 300, nq = 5;
    const uint64_t seed = ref_case_seed(19, (uint64_t)a, 0, 0);
    lt_config cfg = lt_config_default(d);
    cfg.metric = LT_METRIC_HYPERBOLIC;
    cfg.curvature = -0.5f;
    cfg.attention = a;
    float *data = tst_xmalloc(n * d * sizeof *data), *q = tst_xmalloc(nq * d * sizeof *q);
    ref_fill_uniform(seed, data, n * d);
    for (size_t i = 0; i < n * d; i++)
        data[i] *= 3.0f; /* far outside the ball */
    ref_fill_uniform(seed + 1, q, nq * d);
    ref_moe_sanitize(&cfg, data, n, seed + 2);
    ref_moe_sanitize(&cfg, q, nq, seed + 3);
    ref_shrink_into_ball(&cfg, q, nq);
    lt_space *s = tst_new_space(&cfg);
    ck_assert_int_eq(lt_space_add_batch(s, data, n, NULL), LT_OK);
    unsigned *own = ref_owners(&cfg, data, n);
    char ctx[96];
    snprintf(ctx, sizeof ctx, "hyperbolic %s seed=%llu", attn_names[a], (unsigned long long)seed);
    check_routing(s, &cfg, own, n, ctx);
    check_attention(s, &cfg, data, n, own, q, nq, ctx);
    free(own);
    free(data);
    free(q);
    lt_space_destroy(s);
}
END_TEST

START_TEST(test_empty_space)
{
    lt_config cfg = lt_config_default(8);
    cfg.attention = (lt_attention)_i;
    lt_space *s = tst_new_space(&cfg);
    float q[16] = {0}, out[16];
    ck_assert_int_eq(lt_space_attention(s, q, out), LT_EEMPTY);
    ck_assert_int_eq(lt_space_attention_batch(s, q, 2, out), LT_EEMPTY);
    /* One row makes it work: attention over a single key returns that key. */
    float row[8] = {0.5f, -1, 0.25f, 0, 1, 0.75f, -0.5f, 0.125f};
    ck_assert_int_eq(lt_space_add(s, row, NULL, NULL), LT_OK);
    ck_assert_int_eq(lt_space_attention(s, q, out), LT_OK);
    for (size_t j = 0; j < 8; j++)
        ck_assert_float_eq_tol(out[j], row[j], 1e-6f);
    lt_space_destroy(s);
}
END_TEST

/* Flash keeps O(block_size + dimension) extra memory per query, never O(n). */
START_TEST(test_flash_memory)
{
    const size_t d = 4, n = 200000, nq = 2;
    float *data = tst_xmalloc(n * d * sizeof *data), q[8];
    ref_fill_uniform(ref_case_seed(20, 0, 0, 0), data, n * d);
    ref_fill_uniform(ref_case_seed(20, 1, 0, 0), q, nq * d);
    lt_config cfg = lt_config_default(d);
    cfg.attention = LT_ATTN_FLASH;
    lt_space *s = tst_new_space(&cfg);
    ck_assert_int_eq(lt_space_add_batch(s, data, n, NULL), LT_OK);
    float out[8];
    ck_assert_int_eq(lt_space_attention(s, q, out), LT_OK); /* warm any lazy scratch */
    const size_t limit = n * sizeof(float) / 4;
    lt_mem_reset_peak();
    lt_mem_stats before = lt_mem_stats_get();
    ck_assert_int_eq(lt_space_attention(s, q, out), LT_OK);
    lt_mem_stats after = lt_mem_stats_get();
    ck_assert_msg(after.peak_bytes - before.current_bytes < limit,
                  "flash single query used %zu extra bytes for n=%zu (limit %zu)",
                  after.peak_bytes - before.current_bytes, n, limit);
    lt_mem_reset_peak();
    before = lt_mem_stats_get();
    ck_assert_int_eq(lt_space_attention_batch(s, q, nq, out), LT_OK);
    after = lt_mem_stats_get();
    ck_assert_msg(after.peak_bytes - before.current_bytes < nq * limit,
                  "flash batch of %zu used %zu extra bytes for n=%zu (limit %zu)", nq,
                  after.peak_bytes - before.current_bytes, n, nq * limit);
    free(data);
    lt_space_destroy(s);
}
END_TEST

static Suite *attention_suite(void)
{
    Suite *s = suite_create("attention");
    TCase *tc = tcase_create("grid");
    tcase_set_timeout(tc, 600); /* n = 10000 under AddressSanitizer */
    tcase_add_loop_test(tc, test_attention_grid, 0, NATTN * (int)NDIMS);
    suite_add_tcase(s, tc);

    tc = tcase_create("flash");
    tcase_add_loop_test(tc, test_flash_blocks, 0, 4);
    tcase_add_loop_test(tc, test_large_scores, 0, NATTN * 3);
    tcase_add_test(tc, test_flash_memory);
    suite_add_tcase(s, tc);

    tc = tcase_create("multihead");
    tcase_add_loop_test(tc, test_multihead_one_head_is_standard, 0, 3);
    suite_add_tcase(s, tc);

    tc = tcase_create("moe");
    tcase_add_test(tc, test_moe_gate_fill);
    tcase_add_loop_test(tc, test_moe_top_k, 0, 5);
    tcase_add_loop_test(tc, test_moe_empty_experts, 0, 4);
    tcase_add_test(tc, test_moe_ties);
    tcase_add_test(tc, test_moe_one_expert_is_standard);
    suite_add_tcase(s, tc);

    tc = tcase_create("misc");
    tcase_add_loop_test(tc, test_hyperbolic_keys_are_projected, 0, NATTN);
    tcase_add_loop_test(tc, test_empty_space, 0, NATTN);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    printf("test_attention: base seed %llu (set LATENT_TEST_SEED to replay)\n",
           (unsigned long long)ref_base_seed());
    fflush(stdout); /* before Check forks */
    SRunner *sr = srunner_create(attention_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
