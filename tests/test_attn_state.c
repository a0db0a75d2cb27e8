/*
 * Attention over a space split into parts: the states of the parts, merged in any
 * order and finished, equal lt_space_attention on one space holding all rows and
 * the double reference, for every attention type, split (empty parts, parts of one
 * row), merge order and ISA. Also the empty state, the error codes, injected
 * out-of-memory failures and the memory a state costs.
 */
#include <check.h>
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
#define MAX_PARTS 8

/* A configuration per attention type and dimension: small Flash tiles so parts
 * hold several tiles, heads and experts that grow with the dimension. */
static lt_config make_cfg(lt_attention a, size_t d)
{
    lt_config cfg = lt_config_default(d);
    cfg.attention = a;
    cfg.block_size = 7;
    cfg.num_heads = d >= 256 ? 16 : d >= 64 ? 8 : 2;
    cfg.num_experts = d >= 256 ? 8 : d >= 64 ? 4 : 3;
    cfg.top_k_experts = d >= 256 ? 3 : d >= 64 ? 2 : 1;
    return cfg;
}

/* ---- Splits and merge orders --------------------------------------------------------- */

/* cuts[0] = 0 <= cuts[1] <= ... <= cuts[P] = n: part p holds rows [cuts[p], cuts[p+1]).
 * variant 0: random cut points (equal ones give empty parts); variant 1: the first
 * part empty and the second of one row, the rest random. */
static void make_cuts(size_t n, size_t P, int variant, ref_rng *r, size_t *cuts)
{
    cuts[0] = 0;
    cuts[P] = n;
    size_t first = 1;
    if (variant == 1 && P >= 2) {
        cuts[1] = 0;
        first = 2;
        if (P >= 3) {
            cuts[2] = n >= 1 ? 1 : 0;
            first = 3;
        }
    }
    size_t lo = cuts[first - 1];
    for (size_t p = first; p < P; p++)
        cuts[p] = lo + ref_rng_below(r, n - lo + 1);
    /* sort the random ones (insertion sort: P <= 8) */
    for (size_t p = first + 1; p < P; p++)
        for (size_t j = p; j > first && cuts[j - 1] > cuts[j]; j--) {
            size_t t = cuts[j];
            cuts[j] = cuts[j - 1];
            cuts[j - 1] = t;
        }
}

static void copy_state(float *dst, const float *src, size_t sf)
{
    memcpy(dst, src, sf * sizeof *dst);
}

enum { ORDER_LEFT, ORDER_RIGHT, ORDER_TREE, ORDER_IDENTITY, NORDERS };
static const char *const order_names[] = {"left fold", "right fold", "tree", "from identity"};

/* Merge the P states st[p * sf ...] into out in the given order. empty: the state of
 * an empty space (the identity an MPI reduction may start from). */
static void merge_states(const lt_config *cfg, int order, const float *st, size_t P, size_t sf,
                         const float *empty, float *out, float *work)
{
    switch (order) {
    case ORDER_LEFT: /* ((s0 . s1) . s2) ... */
        copy_state(out, st, sf);
        for (size_t p = 1; p < P; p++)
            lt_attention_state_merge(cfg, out, st + p * sf);
        break;
    case ORDER_RIGHT: /* s0 . (s1 . (s2 ...)): the accumulated side is `in` */
        copy_state(out, st + (P - 1) * sf, sf);
        for (size_t p = P - 1; p-- > 0;) {
            copy_state(work, st + p * sf, sf);
            lt_attention_state_merge(cfg, work, out);
            copy_state(out, work, sf);
        }
        break;
    case ORDER_TREE: /* pairs, then pairs of pairs (MPI's binomial reduction) */
        copy_state(work, st, P * sf);
        for (size_t step = 1; step < P; step *= 2)
            for (size_t p = 0; p + step < P; p += 2 * step)
                lt_attention_state_merge(cfg, work + p * sf, work + (p + step) * sf);
        copy_state(out, work, sf);
        break;
    default: /* identity first, parts in reverse */
        copy_state(out, empty, sf);
        for (size_t p = P; p-- > 0;)
            lt_attention_state_merge(cfg, out, st + p * sf);
        break;
    }
}

/* ---- The split grid -------------------------------------------------------------------- */

static const size_t grid_dims[] = {8, 64, 256};
static const size_t grid_ns[] = {1, 7, 100, 1000};
static const size_t grid_parts[] = {1, 2, 3, 8};
#define NDIMS (sizeof grid_dims / sizeof grid_dims[0])
#define NNS (sizeof grid_ns / sizeof grid_ns[0])
#define NPARTS (sizeof grid_parts / sizeof grid_parts[0])
#define NQ 3

/* n rows (explicit global ids) split every way of grid_parts, on every ISA, against the
 * whole space and the reference. Rows and queries are the caller's (already sanitised). */
static void check_splits(const lt_config *cfg, const float *data, size_t n, const float *q,
                         size_t nq, uint64_t seed, const char *what)
{
    const size_t d = cfg->dimension, sf = lt_attention_state_floats(cfg);
    ck_assert_uint_gt(sf, 0);
    ref_rng r;
    ref_rng_seed(&r, seed);
    /* Global ids: unique, not in row order, as ranks holding a shard would have them. */
    uint64_t *ids = tst_xmalloc((n ? n : 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = 1000 + 3 * (uint64_t)i;
    ref_shuffle_u64(&r, ids, n);
    lt_space *whole = tst_new_space(cfg);
    ck_assert_int_eq(lt_space_add_batch(whole, data, n, ids), LT_OK);
    lt_space *nothing = tst_new_space(cfg);

    double *ref = tst_xmalloc(nq * d * sizeof *ref);
    for (size_t i = 0; i < nq; i++)
        ref_attention(cfg, data, n, NULL, q + i * d, ref + i * d);
    float *want = tst_xmalloc(d * sizeof *want), *got = tst_xmalloc(d * sizeof *got);
    float *st = tst_xmalloc(MAX_PARTS * sf * sizeof *st), *work = tst_xmalloc(MAX_PARTS * sf * sizeof *work);
    float *merged = tst_xmalloc(sf * sizeof *merged), *empty = tst_xmalloc(sf * sizeof *empty);
    const lt_isa active = lt_isa_active();
    char msg[512];

    for (size_t pi = 0; pi < NPARTS; pi++)
        for (int variant = 0; variant < (grid_parts[pi] > 1 ? 2 : 1); variant++) {
            const size_t P = grid_parts[pi];
            size_t cuts[MAX_PARTS + 1];
            make_cuts(n, P, variant, &r, cuts);
            lt_space *parts[MAX_PARTS];
            for (size_t p = 0; p < P; p++) {
                parts[p] = tst_new_space(cfg);
                ck_assert_int_eq(lt_space_add_batch(parts[p], data + cuts[p] * d, cuts[p + 1] - cuts[p],
                                                     ids + cuts[p]),
                                 LT_OK);
            }
            for (int isa = 0; isa < LT_ISA_COUNT; isa++) {
                if (!lt_isa_supported((lt_isa)isa))
                    continue;
                ck_assert_int_eq(lt_isa_select((lt_isa)isa), LT_OK);
                ck_assert_int_eq(lt_space_attention_state(nothing, q, empty), LT_OK);
                for (size_t i = 0; i < nq; i++) {
                    const float *qi = q + i * d;
                    ck_assert_int_eq(lt_space_attention(whole, qi, want), LT_OK);
                    for (size_t p = 0; p < P; p++)
                        ck_assert_int_eq(lt_space_attention_state(parts[p], qi, st + p * sf), LT_OK);
                    for (int order = 0; order < NORDERS; order++) {
                        merge_states(cfg, order, st, P, sf, empty, merged, work);
                        for (size_t j = 0; j < d; j++)
                            got[j] = NAN;
                        int rc = lt_attention_state_finish(cfg, qi, merged, got);
                        ck_assert_msg(rc == LT_OK, "%s: finish %s", what, lt_strerror(rc));
#define CTX "%s %s n=%zu parts=%zu (cuts %zu %zu %zu ...) %s query %zu seed=%llu"
#define CTX_ARGS                                                                                   \
    lt_isa_name((lt_isa)isa), what, n, P, cuts[1], P > 1 ? cuts[2] : n, P > 2 ? cuts[3] : n,        \
        order_names[order], i, (unsigned long long)seed
                        ck_assert_msg(ref_check_attention_f(got, want, d, msg, sizeof msg),
                                      CTX " vs whole space: %s", CTX_ARGS, msg);
                        ck_assert_msg(ref_check_attention(got, ref + i * d, d, msg, sizeof msg),
                                      CTX " vs reference: %s", CTX_ARGS, msg);
#undef CTX
#undef CTX_ARGS
                    }
                }
            }
            for (size_t p = 0; p < P; p++)
                lt_space_destroy(parts[p]);
        }
    ck_assert_int_eq(lt_isa_select(active), LT_OK);
    lt_space_destroy(whole);
    lt_space_destroy(nothing);
    free(ids);
    free(ref);
    free(want);
    free(got);
    free(st);
    free(work);
    free(merged);
    free(empty);
}

START_TEST(test_split_grid)
{
    const lt_attention a = (lt_attention)(_i / (int)NDIMS);
    const size_t d = grid_dims[_i % (int)NDIMS];
    const lt_config cfg = make_cfg(a, d);
    for (size_t ni = 0; ni < NNS; ni++) {
        const size_t n = grid_ns[ni];
        const uint64_t seed = ref_case_seed(61, (uint64_t)a, d, n);
        float *data = tst_xmalloc(n * d * sizeof *data), *q = tst_xmalloc(NQ * d * sizeof *q);
        ref_fill_uniform(seed, data, n * d);
        ref_fill_uniform(seed + 1, q, NQ * d);
        ref_moe_sanitize(&cfg, data, n, seed + 2);
        ref_moe_sanitize(&cfg, q, NQ, seed + 3);
        char what[128];
        snprintf(what, sizeof what, "%s d=%zu heads=%u E=%u top_k=%u", attn_names[a], d,
                 cfg.num_heads, cfg.num_experts, cfg.top_k_experts);
        check_splits(&cfg, data, n, q, NQ, seed + 4, what);
        free(data);
        free(q);
    }
}
END_TEST

/* Hyperbolic spaces store projected rows; the parts project theirs the same way. */
START_TEST(test_split_hyperbolic)
{
    const lt_attention a = (lt_attention)_i;
    const size_t d = 16, n = 300;
    const uint64_t seed = ref_case_seed(62, (uint64_t)a, 0, 0);
    lt_config cfg = make_cfg(a, d);
    cfg.metric = LT_METRIC_HYPERBOLIC;
    cfg.curvature = -0.5f;
    float *data = tst_xmalloc(n * d * sizeof *data), *q = tst_xmalloc(NQ * d * sizeof *q);
    ref_fill_uniform(seed, data, n * d);
    for (size_t i = 0; i < n * d; i++)
        data[i] *= 3.0f; /* far outside the ball */
    ref_fill_uniform(seed + 1, q, NQ * d);
    ref_moe_sanitize(&cfg, data, n, seed + 2);
    ref_moe_sanitize(&cfg, q, NQ, seed + 3);
    ref_shrink_into_ball(&cfg, q, NQ);
    char what[64];
    snprintf(what, sizeof what, "hyperbolic %s", attn_names[a]);
    check_splits(&cfg, data, n, q, NQ, seed + 4, what);
    free(data);
    free(q);
}
END_TEST

/* Scores up to ~250 rising along the rows: every part has its own max, far apart, so
 * each merge rescales one side by exp() of a large negative number. */
START_TEST(test_split_large_scores)
{
    const lt_attention a = (lt_attention)_i;
    const size_t d = 8, n = 301;
    const uint64_t seed = ref_case_seed(63, (uint64_t)a, 0, 0);
    ref_rng r;
    ref_rng_seed(&r, seed);
    float dir[8], q[NQ * 8];
    ref_fill_uniform(seed + 1, dir, d);
    float *data = tst_xmalloc(n * d * sizeof *data);
    for (size_t i = 0; i < n; i++) {
        double mag = 1.0 + 15.0 * (double)i / (double)(n - 1);
        for (size_t j = 0; j < d; j++)
            data[i * d + j] = (float)(mag * dir[j] + 0.05 * ref_rng_uniform(&r));
    }
    for (size_t j = 0; j < d; j++) {
        q[j] = 15.0f * dir[j];
        q[d + j] = -15.0f * dir[j];
        q[2 * d + j] = 12.0f * ref_rng_uniform(&r);
    }
    lt_config cfg = make_cfg(a, d);
    cfg.num_heads = 4;
    ref_moe_sanitize(&cfg, data, n, seed + 2);
    ref_moe_sanitize(&cfg, q, NQ, seed + 3);
    char what[64];
    snprintf(what, sizeof what, "large scores %s", attn_names[a]);
    check_splits(&cfg, data, n, q, NQ, seed + 4, what);
    free(data);
}
END_TEST

/* ---- The empty state, sizes and errors --------------------------------------------------- */

static int group_is_empty(const float *g, size_t d)
{
    if (!(g[0] == -INFINITY && g[1] == 0.0f))
        return 0;
    for (size_t j = 0; j < d; j++)
        if (g[2 + j] != 0.0f)
            return 0;
    return 1;
}

START_TEST(test_empty_state)
{
    const lt_attention a = (lt_attention)_i;
    const size_t d = 16, n = 50;
    const lt_config cfg = make_cfg(a, d);
    const size_t sf = lt_attention_state_floats(&cfg), G = sf / (d + 2);
    lt_space *none = tst_new_space(&cfg), *some = tst_new_space(&cfg);
    float *data = tst_xmalloc(n * d * sizeof *data), q[16];
    ref_fill_uniform(ref_case_seed(64, (uint64_t)a, 0, 0), data, n * d);
    ref_fill_uniform(ref_case_seed(64, (uint64_t)a, 1, 0), q, d);
    ref_moe_sanitize(&cfg, data, n, ref_case_seed(64, (uint64_t)a, 2, 0));
    ref_moe_sanitize(&cfg, q, 1, ref_case_seed(64, (uint64_t)a, 3, 0));
    ck_assert_int_eq(lt_space_add_batch(some, data, n, NULL), LT_OK);
    float *e = tst_xmalloc(sf * sizeof *e), *x = tst_xmalloc(sf * sizeof *x), *t = tst_xmalloc(sf * sizeof *t);

    /* An empty space: every group empty, LT_OK. */
    for (size_t i = 0; i < sf; i++)
        e[i] = NAN;
    ck_assert_int_eq(lt_space_attention_state(none, q, e), LT_OK);
    for (size_t g = 0; g < G; g++)
        ck_assert_msg(group_is_empty(e + g * (d + 2), d), "%s: group %zu of an empty space",
                      attn_names[a], g);
    /* Finishing it is attention on an empty space; out stays as it was. */
    float out[16], before[16];
    for (size_t j = 0; j < d; j++)
        out[j] = before[j] = (float)j;
    ck_assert_int_eq(lt_space_attention(none, q, out), LT_EEMPTY);
    ck_assert_int_eq(lt_attention_state_finish(&cfg, q, e, out), LT_EEMPTY);
    ck_assert_mem_eq(out, before, sizeof out);

    /* Empty on either side is an exact identity; empty with empty stays empty. */
    ck_assert_int_eq(lt_space_attention_state(some, q, x), LT_OK);
    copy_state(t, x, sf);
    lt_attention_state_merge(&cfg, t, e);
    ck_assert_mem_eq(t, x, sf * sizeof *t);
    copy_state(t, e, sf);
    lt_attention_state_merge(&cfg, t, x);
    ck_assert_mem_eq(t, x, sf * sizeof *t);
    copy_state(t, e, sf);
    lt_attention_state_merge(&cfg, t, e);
    for (size_t g = 0; g < G; g++)
        ck_assert(group_is_empty(t + g * (d + 2), d));

    /* The state of the whole space finishes to its attention. */
    float want[16], got[16];
    char msg[512];
    ck_assert_int_eq(lt_space_attention(some, q, want), LT_OK);
    ck_assert_int_eq(lt_attention_state_finish(&cfg, q, x, got), LT_OK);
    ck_assert_msg(ref_check_attention_f(got, want, d, msg, sizeof msg), "%s: %s", attn_names[a], msg);
    /* Merging a state with itself changes l and acc by the same factor: same output. */
    copy_state(t, x, sf);
    lt_attention_state_merge(&cfg, t, x);
    ck_assert_int_eq(lt_attention_state_finish(&cfg, q, t, got), LT_OK);
    ck_assert_msg(ref_check_attention_f(got, want, d, msg, sizeof msg), "%s self-merge: %s",
                  attn_names[a], msg);
    free(data);
    free(e);
    free(x);
    free(t);
    lt_space_destroy(none);
    lt_space_destroy(some);
}
END_TEST

/* MoE: experts empty in every part are never chosen, whatever their gate weight; an
 * expert that owns keys in only one part is. Checked through the whole-space answer. */
START_TEST(test_moe_experts_in_some_parts)
{
    const size_t d = 10, per = 60;
    lt_config cfg = lt_config_default(d);
    cfg.attention = LT_ATTN_MOE;
    cfg.num_experts = 4;
    cfg.top_k_experts = 2;
    float W[4 * 10], x[10];
    lt_moe_gate_fill(d, 4, W);
    ref_rng r;
    ref_rng_seed(&r, ref_case_seed(65, 0, 0, 0));
    /* part 0: rows of expert 0; part 1: rows of expert 2; expert 1 and 3 own nothing. */
    float *rows = tst_xmalloc(2 * per * d * sizeof *rows), *q = tst_xmalloc(6 * d * sizeof *q);
    size_t n0 = 0, n2 = 0, nq = 0;
    while (n0 < per || n2 < per || nq < 6) {
        for (size_t j = 0; j < d; j++)
            x[j] = ref_rng_uniform(&r);
        if (!ref_moe_well_separated(W, d, 4, x))
            continue;
        unsigned o = ref_moe_owner(W, d, 4, x);
        if (o == 0 && n0 < per)
            memcpy(rows + (n0++) * d, x, sizeof x);
        else if (o == 2 && n2 < per)
            memcpy(rows + (per + n2++) * d, x, sizeof x);
        else if (o % 2 == 1 && nq < 6)
            memcpy(q + (nq++) * d, x, sizeof x); /* best expert owns nothing */
    }
    lt_space *p0 = tst_new_space(&cfg), *p1 = tst_new_space(&cfg), *whole = tst_new_space(&cfg);
    ck_assert_int_eq(lt_space_add_batch(p0, rows, per, NULL), LT_OK);
    ck_assert_int_eq(lt_space_add_batch(p1, rows + per * d, per, NULL), LT_OK);
    ck_assert_int_eq(lt_space_add_batch(whole, rows, 2 * per, NULL), LT_OK);
    const size_t sf = lt_attention_state_floats(&cfg);
    float *a = tst_xmalloc(sf * sizeof *a), *b = tst_xmalloc(sf * sizeof *b);
    float got[10], want[10];
    double ref[10];
    char msg[512];
    for (size_t i = 0; i < nq; i++) {
        ck_assert_int_eq(lt_space_attention_state(p0, q + i * d, a), LT_OK);
        ck_assert_int_eq(lt_space_attention_state(p1, q + i * d, b), LT_OK);
        /* each part sees one expert: the other groups are empty there */
        ck_assert(group_is_empty(a + 2 * (d + 2), d) && group_is_empty(b, d));
        lt_attention_state_merge(&cfg, a, b);
        ck_assert_int_eq(lt_attention_state_finish(&cfg, q + i * d, a, got), LT_OK);
        ck_assert_int_eq(lt_space_attention(whole, q + i * d, want), LT_OK);
        ref_attention(&cfg, rows, 2 * per, NULL, q + i * d, ref);
        ck_assert_msg(ref_check_attention_f(got, want, d, msg, sizeof msg), "query %zu: %s", i, msg);
        ck_assert_msg(ref_check_attention(got, ref, d, msg, sizeof msg), "query %zu: %s", i, msg);
    }
    free(rows);
    free(q);
    free(a);
    free(b);
    lt_space_destroy(p0);
    lt_space_destroy(p1);
    lt_space_destroy(whole);
}
END_TEST

START_TEST(test_state_floats)
{
    for (int a = 0; a < NATTN; a++) {
        lt_config cfg = make_cfg((lt_attention)a, 64);
        size_t G = a == LT_ATTN_MULTIHEAD ? cfg.num_heads : a == LT_ATTN_MOE ? cfg.num_experts : 1;
        ck_assert_uint_eq(lt_attention_state_floats(&cfg), G * 66);
    }
    lt_config cfg = lt_config_default(1);
    ck_assert_uint_eq(lt_attention_state_floats(&cfg), 3);
    ck_assert_uint_eq(lt_attention_state_floats(NULL), 0);
    cfg.dimension = 0;
    ck_assert_uint_eq(lt_attention_state_floats(&cfg), 0);
    cfg = lt_config_default(10);
    cfg.attention = LT_ATTN_MULTIHEAD;
    cfg.num_heads = 3; /* does not divide 10 */
    ck_assert_uint_eq(lt_attention_state_floats(&cfg), 0);
    cfg = lt_config_default(SIZE_MAX - 1); /* d + 2 overflows */
    ck_assert_uint_eq(lt_attention_state_floats(&cfg), 0);
    cfg = lt_config_default(SIZE_MAX / 2);
    cfg.attention = LT_ATTN_MOE; /* E * (d + 2) overflows */
    ck_assert_uint_eq(lt_attention_state_floats(&cfg), 0);
}
END_TEST

START_TEST(test_invalid_args)
{
    const lt_attention a = (lt_attention)_i;
    const size_t d = 8;
    const lt_config cfg = make_cfg(a, d);
    const size_t sf = lt_attention_state_floats(&cfg);
    lt_space *s = tst_new_space(&cfg);
    float row[8] = {0.5f, -1, 0.25f, 0, 1, 0.75f, -0.5f, 0.125f}, q[8] = {0.1f, 0.2f, -0.3f, 0.4f, 0, 0, 1, -1};
    ck_assert_int_eq(lt_space_add(s, row, NULL, NULL), LT_OK);
    float *st = tst_xmalloc(sf * sizeof *st), *keep = tst_xmalloc(sf * sizeof *keep), out[8];

    ck_assert_int_eq(lt_space_attention_state(NULL, q, st), LT_EINVAL);
    ck_assert_int_eq(lt_space_attention_state(s, NULL, st), LT_EINVAL);
    ck_assert_int_eq(lt_space_attention_state(s, q, NULL), LT_EINVAL);
    float bad[8];
    memcpy(bad, q, sizeof bad);
    bad[3] = NAN;
    ck_assert_int_eq(lt_space_attention_state(s, bad, st), LT_ENONFINITE);
    bad[3] = INFINITY;
    ck_assert_int_eq(lt_space_attention_state(s, bad, st), LT_ENONFINITE);

    ck_assert_int_eq(lt_space_attention_state(s, q, st), LT_OK);
    ck_assert_int_eq(lt_attention_state_finish(NULL, q, st, out), LT_EINVAL);
    ck_assert_int_eq(lt_attention_state_finish(&cfg, q, NULL, out), LT_EINVAL);
    ck_assert_int_eq(lt_attention_state_finish(&cfg, q, st, NULL), LT_EINVAL);
    lt_config badcfg = cfg;
    badcfg.dimension = 0;
    ck_assert_int_eq(lt_attention_state_finish(&badcfg, q, st, out), LT_EINVAL);
    /* The query matters only for MoE routing. */
    bad[3] = NAN;
    if (a == LT_ATTN_MOE) {
        ck_assert_int_eq(lt_attention_state_finish(&cfg, NULL, st, out), LT_EINVAL);
        ck_assert_int_eq(lt_attention_state_finish(&cfg, bad, st, out), LT_ENONFINITE);
    } else {
        ck_assert_int_eq(lt_attention_state_finish(&cfg, NULL, st, out), LT_OK);
    }
    ck_assert_int_eq(lt_attention_state_finish(&cfg, q, st, out), LT_OK);
    /* Attention over a single key is that key. */
    for (size_t j = 0; j < d; j++)
        ck_assert_float_eq_tol(out[j], row[j], 1e-6f);

    /* merge with NULL or an invalid configuration leaves inout alone */
    copy_state(keep, st, sf);
    lt_attention_state_merge(NULL, st, keep);
    lt_attention_state_merge(&cfg, st, NULL);
    lt_attention_state_merge(&cfg, NULL, keep);
    lt_attention_state_merge(&badcfg, st, keep);
    ck_assert_mem_eq(st, keep, sf * sizeof *st);
    free(st);
    free(keep);
    lt_space_destroy(s);
}
END_TEST

/* ---- Memory ------------------------------------------------------------------------------- */

#define OOM_MAX_TRIES 200

/* Every injected allocation failure of a state on a space that has not served a query
 * is LT_ENOMEM with nothing leaked (the space's scratch is freed with it); the first
 * success equals the undisturbed state; a second query of the same shape allocates
 * nothing. Merge and finish allocate nothing. */
START_TEST(test_oom)
{
    const lt_attention a = (lt_attention)_i;
    const size_t d = 16, n = 300;
    const lt_config cfg = make_cfg(a, d);
    const size_t sf = lt_attention_state_floats(&cfg);
    float *data = tst_xmalloc(n * d * sizeof *data), q[16];
    ref_fill_uniform(ref_case_seed(66, (uint64_t)a, 0, 0), data, n * d);
    ref_fill_uniform(ref_case_seed(66, (uint64_t)a, 1, 0), q, d);
    lt_space *s = tst_new_space(&cfg);
    ck_assert_int_eq(lt_space_add_batch(s, data, n, NULL), LT_OK);
    float *want = tst_xmalloc(sf * sizeof *want), *got = tst_xmalloc(sf * sizeof *got);
    ck_assert_int_eq(lt_space_attention_state(s, q, want), LT_OK);
    lt_mem_reset_peak();
    ck_assert_int_eq(lt_space_attention_state(s, q, got), LT_OK);
    ck_assert_msg(lt_mem_stats_get().allocations == 0, "%s: a warm state query allocated %llu times",
                  attn_names[a], (unsigned long long)lt_mem_stats_get().allocations);
    long i;
    for (i = 1; i <= OOM_MAX_TRIES; i++) {
        const size_t base = lt_mem_stats_get().current_bytes;
        lt_space *fresh = tst_new_space(&cfg);
        ck_assert_int_eq(lt_space_add_batch(fresh, data, n, NULL), LT_OK);
        lt_mem_fail_after(i);
        int rc = lt_space_attention_state(fresh, q, got);
        lt_mem_fail_after(-1);
        lt_space_destroy(fresh);
        ck_assert_msg(lt_mem_stats_get().current_bytes == base, "%s: failing allocation %ld leaked",
                      attn_names[a], i);
        if (rc == LT_OK)
            break;
        ck_assert_msg(rc == LT_ENOMEM, "%s: failing allocation %ld gave %s", attn_names[a], i,
                      lt_strerror(rc));
    }
    ck_assert_msg(i > 1 && i <= OOM_MAX_TRIES, "%s: %ld allocations", attn_names[a], i - 1);
    printf("oom %s state: %ld failing allocations\n", attn_names[a], i - 1);
    fflush(stdout);
    ck_assert_mem_eq(got, want, sf * sizeof *got);

    /* merge and finish succeed with every allocation failing, and count none */
    float out[16];
    lt_mem_reset_peak();
    lt_mem_fail_after(1);
    lt_attention_state_merge(&cfg, got, want);
    int rc = lt_attention_state_finish(&cfg, q, got, out);
    lt_mem_fail_after(-1);
    ck_assert_int_eq(rc, LT_OK);
    ck_assert_uint_eq(lt_mem_stats_get().allocations, 0);
    free(data);
    free(want);
    free(got);
    lt_space_destroy(s);
}
END_TEST

/* No allocation per row: a state costs the same number of allocations for 200 rows
 * as for 20000, and Flash's extra memory stays O(block_size + dimension). */
START_TEST(test_state_memory)
{
    const lt_attention a = (lt_attention)_i;
    const size_t d = 8, n_small = 200, n_big = 20000;
    lt_config cfg = make_cfg(a, d);
    const size_t sf = lt_attention_state_floats(&cfg);
    float *data = tst_xmalloc(n_big * d * sizeof *data), q[8];
    ref_fill_uniform(ref_case_seed(67, (uint64_t)a, 0, 0), data, n_big * d);
    ref_fill_uniform(ref_case_seed(67, (uint64_t)a, 1, 0), q, d);
    lt_space *small = tst_new_space(&cfg), *big = tst_new_space(&cfg);
    ck_assert_int_eq(lt_space_add_batch(small, data, n_small, NULL), LT_OK);
    ck_assert_int_eq(lt_space_add_batch(big, data, n_big, NULL), LT_OK);
    if (a == LT_ATTN_MOE)
        for (unsigned e = 0; e < cfg.num_experts; e++)
            ck_assert_uint_gt(lt_space_expert_size(small, e), 0);
    float *st = tst_xmalloc(sf * sizeof *st);
    lt_mem_reset_peak();
    ck_assert_int_eq(lt_space_attention_state(small, q, st), LT_OK);
    uint64_t alloc_small = lt_mem_stats_get().allocations;
    lt_mem_reset_peak();
    lt_mem_stats before = lt_mem_stats_get();
    ck_assert_int_eq(lt_space_attention_state(big, q, st), LT_OK);
    lt_mem_stats after = lt_mem_stats_get();
    ck_assert_msg(after.allocations == alloc_small, "%s: %llu allocations for n=%zu, %llu for n=%zu",
                  attn_names[a], (unsigned long long)alloc_small, n_small,
                  (unsigned long long)after.allocations, n_big);
    if (a == LT_ATTN_FLASH) {
        size_t extra = after.peak_bytes - before.current_bytes, limit = n_big * sizeof(float) / 4;
        ck_assert_msg(extra < limit, "flash state used %zu extra bytes for n=%zu (limit %zu)", extra,
                      n_big, limit);
    }
    free(data);
    free(st);
    lt_space_destroy(small);
    lt_space_destroy(big);
}
END_TEST

static Suite *attn_state_suite(void)
{
    Suite *s = suite_create("attn_state");
    TCase *tc = tcase_create("splits");
    tcase_set_timeout(tc, 600); /* every ISA, under AddressSanitizer */
    tcase_add_loop_test(tc, test_split_grid, 0, NATTN * (int)NDIMS);
    tcase_add_loop_test(tc, test_split_hyperbolic, 0, NATTN);
    tcase_add_loop_test(tc, test_split_large_scores, 0, NATTN);
    tcase_add_test(tc, test_moe_experts_in_some_parts);
    suite_add_tcase(s, tc);

    tc = tcase_create("api");
    tcase_add_loop_test(tc, test_empty_state, 0, NATTN);
    tcase_add_test(tc, test_state_floats);
    tcase_add_loop_test(tc, test_invalid_args, 0, NATTN);
    suite_add_tcase(s, tc);

    tc = tcase_create("memory");
    tcase_add_loop_test(tc, test_oom, 0, NATTN);
    tcase_add_loop_test(tc, test_state_memory, 0, NATTN);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    printf("test_attn_state: base seed %llu (set LATENT_TEST_SEED to replay)\n",
           (unsigned long long)ref_base_seed());
    fflush(stdout); /* before Check forks */
    SRunner *sr = srunner_create(attn_state_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
