/*
 * Space lifecycle: configuration checks, adding embeddings (ids, validation,
 * overflow), all-or-nothing failures, out-of-memory paths, concurrent readers and
 * error strings.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latent/latent.h"
#include "check_helpers.h"
#include "ref.h"

#define D 5 /* dimension of the small spaces below: odd, so no SIMD width divides it */

static float *random_rows(uint64_t seed, size_t n, size_t d)
{
    float *v = malloc((n * d > 0 ? n * d : 1) * sizeof *v);
    ck_assert_ptr_nonnull(v);
    ref_fill_uniform(seed, v, n * d);
    return v;
}

/* ---- Snapshot of everything a caller can observe ----------------------------- */

#define NPROBE 3
#define SNAP_K 64

typedef struct {
    size_t      size;
    size_t      found[NPROBE];
    lt_neighbor nb[NPROBE][SNAP_K];
    size_t      experts[8];
} snapshot;

static void take_snapshot(const lt_space *s, snapshot *out)
{
    size_t d = lt_space_config(s)->dimension;
    float *probe = random_rows(0x5eedu, NPROBE, d);
    memset(out, 0, sizeof *out);
    out->size = lt_space_size(s);
    for (int p = 0; p < NPROBE; p++) {
        int rc = lt_space_knn(s, probe + (size_t)p * d, SNAP_K, out->nb[p], &out->found[p]);
        ck_assert_int_eq(rc, LT_OK);
    }
    for (unsigned e = 0; e < 8; e++)
        out->experts[e] = lt_space_expert_size(s, e);
    free(probe);
}

static void assert_same_snapshot(const snapshot *a, const snapshot *b, const char *what)
{
    ck_assert_msg(a->size == b->size, "%s: size %zu became %zu", what, a->size, b->size);
    for (int p = 0; p < NPROBE; p++) {
        ck_assert_msg(a->found[p] == b->found[p], "%s: probe %d found %zu became %zu", what, p,
                      a->found[p], b->found[p]);
        for (size_t i = 0; i < a->found[p]; i++)
            ck_assert_msg(a->nb[p][i].id == b->nb[p][i].id &&
                              a->nb[p][i].distance == b->nb[p][i].distance,
                          "%s: probe %d rank %zu was {%llu, %.9g}, now {%llu, %.9g}", what, p, i,
                          (unsigned long long)a->nb[p][i].id, (double)a->nb[p][i].distance,
                          (unsigned long long)b->nb[p][i].id, (double)b->nb[p][i].distance);
    }
    for (unsigned e = 0; e < 8; e++)
        ck_assert_msg(a->experts[e] == b->experts[e], "%s: expert %u owned %zu, now %zu", what, e,
                      a->experts[e], b->experts[e]);
}

/* The space still takes an embedding, with the automatic id it should get. */
static void assert_usable(lt_space *s, uint64_t next_auto_id)
{
    size_t d = lt_space_config(s)->dimension;
    float *v = random_rows(0xa11ce, 1, d);
    size_t before = lt_space_size(s);
    uint64_t got = UINT64_MAX - 1;
    ck_assert_int_eq(lt_space_add(s, v, NULL, &got), LT_OK);
    ck_assert_uint_eq(got, next_auto_id);
    ck_assert_uint_eq(lt_space_size(s), before + 1);
    free(v);
}

/* A Euclidean space of D dims holding rows 0..n-1 with automatic ids. */
static lt_space *filled_space(size_t n, uint64_t seed)
{
    lt_config cfg = lt_config_default(D);
    lt_space *s = tst_new_space(&cfg);
    float *v = random_rows(seed, n, D);
    ck_assert_int_eq(lt_space_add_batch(s, v, n, NULL), LT_OK);
    free(v);
    return s;
}

/* ---- Configuration --------------------------------------------------------------- */

START_TEST(test_config_default)
{
    static const size_t dims[] = {1, 3, 16, 1024};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        lt_config c = lt_config_default(dims[i]);
        ck_assert_uint_eq(c.dimension, dims[i]);
        ck_assert_int_eq(c.metric, LT_METRIC_EUCLIDEAN);
        ck_assert_float_eq(c.curvature, -1.0f);
        ck_assert_int_eq(c.attention, LT_ATTN_STANDARD);
        ck_assert_uint_eq(c.num_heads, 8);
        ck_assert_uint_eq(c.num_experts, 4);
        ck_assert_uint_eq(c.top_k_experts, 2);
        ck_assert_uint_eq(c.block_size, 64);
        ck_assert_uint_eq(c.threads, 0);
        /* Defaults must be accepted as they are (num_heads 8 need not divide 3). */
        lt_space *s = tst_new_space(&c);
        ck_assert_uint_eq(lt_space_size(s), 0);
        lt_space_destroy(s);
    }
}
END_TEST

typedef struct {
    const char *name;
    size_t      dimension;
    int         metric, attention;
    float       curvature;
    unsigned    heads, experts, top_k, block;
} cfg_case;

static lt_config cfg_from_case(const cfg_case *t)
{
    lt_config c = lt_config_default(t->dimension);
    c.metric = (lt_metric)t->metric;
    c.attention = (lt_attention)t->attention;
    if (t->curvature != 0.0f || t->metric == LT_METRIC_HYPERBOLIC)
        c.curvature = t->curvature;
    if (t->heads != UINT32_MAX)
        c.num_heads = t->heads;
    if (t->experts != UINT32_MAX)
        c.num_experts = t->experts;
    if (t->top_k != UINT32_MAX)
        c.top_k_experts = t->top_k;
    if (t->block != UINT32_MAX)
        c.block_size = t->block;
    return c;
}

#define KEEP UINT32_MAX
#define EUC LT_METRIC_EUCLIDEAN
#define HYP LT_METRIC_HYPERBOLIC
#define STD LT_ATTN_STANDARD

static const cfg_case invalid_cfgs[] = {
    {"dimension 0", 0, EUC, STD, 0, KEEP, KEEP, KEEP, KEEP},
    {"hyperbolic curvature 0", 8, HYP, STD, 0.0f, KEEP, KEEP, KEEP, KEEP},
    {"hyperbolic curvature -0", 8, HYP, STD, -0.0f, KEEP, KEEP, KEEP, KEEP},
    {"hyperbolic curvature +1", 8, HYP, STD, 1.0f, KEEP, KEEP, KEEP, KEEP},
    {"hyperbolic curvature NaN", 8, HYP, STD, NAN, KEEP, KEEP, KEEP, KEEP},
    {"hyperbolic curvature -Inf", 8, HYP, STD, -INFINITY, KEEP, KEEP, KEEP, KEEP},
    {"hyperbolic curvature +Inf", 8, HYP, STD, INFINITY, KEEP, KEEP, KEEP, KEEP},
    {"multihead 3 heads, d 16", 16, EUC, LT_ATTN_MULTIHEAD, 0, 3, KEEP, KEEP, KEEP},
    {"multihead 8 heads, d 3", 3, EUC, LT_ATTN_MULTIHEAD, 0, 8, KEEP, KEEP, KEEP},
    {"multihead 0 heads", 16, EUC, LT_ATTN_MULTIHEAD, 0, 0, KEEP, KEEP, KEEP},
    {"multihead 32 heads, d 16", 16, EUC, LT_ATTN_MULTIHEAD, 0, 32, KEEP, KEEP, KEEP},
    {"moe 0 experts", 8, EUC, LT_ATTN_MOE, 0, KEEP, 0, 0, KEEP},
    {"moe 0 experts, top_k 2", 8, EUC, LT_ATTN_MOE, 0, KEEP, 0, 2, KEEP},
    {"moe top_k 0", 8, EUC, LT_ATTN_MOE, 0, KEEP, 4, 0, KEEP},
    {"moe top_k > experts", 8, EUC, LT_ATTN_MOE, 0, KEEP, 4, 5, KEEP},
    {"flash block 0", 8, EUC, LT_ATTN_FLASH, 0, KEEP, KEEP, KEEP, 0},
    {"metric out of range", 8, 99, STD, 0, KEEP, KEEP, KEEP, KEEP},
    {"attention out of range", 8, EUC, 99, 0, KEEP, KEEP, KEEP, KEEP},
};

START_TEST(test_config_invalid)
{
    const cfg_case *t = &invalid_cfgs[_i];
    lt_config c = cfg_from_case(t);
    lt_space *s = NULL;
    int rc = lt_space_create(&c, &s);
    ck_assert_msg(rc == LT_EINVAL, "%s: got %d (%s), expected LT_EINVAL", t->name, rc,
                  lt_strerror(rc));
    if (rc == LT_OK)
        lt_space_destroy(s);
}
END_TEST

static const cfg_case valid_cfgs[] = {
    {"euclidean", 1, EUC, STD, 0, KEEP, KEEP, KEEP, KEEP},
    {"cosine", 7, LT_METRIC_COSINE, STD, 0, KEEP, KEEP, KEEP, KEEP},
    {"manhattan", 7, LT_METRIC_MANHATTAN, STD, 0, KEEP, KEEP, KEEP, KEEP},
    {"dot", 7, LT_METRIC_DOT, STD, 0, KEEP, KEEP, KEEP, KEEP},
    {"hyperbolic -1", 7, HYP, STD, -1.0f, KEEP, KEEP, KEEP, KEEP},
    {"hyperbolic -0.25", 7, HYP, STD, -0.25f, KEEP, KEEP, KEEP, KEEP},
    {"hyperbolic -1e-6", 7, HYP, STD, -1e-6f, KEEP, KEEP, KEEP, KEEP},
    {"flash block 1", 7, EUC, LT_ATTN_FLASH, 0, KEEP, KEEP, KEEP, 1},
    {"flash block 1000", 7, EUC, LT_ATTN_FLASH, 0, KEEP, KEEP, KEEP, 1000},
    {"multihead 8 of 16", 16, EUC, LT_ATTN_MULTIHEAD, 0, 8, KEEP, KEEP, KEEP},
    {"multihead 1 head", 7, EUC, LT_ATTN_MULTIHEAD, 0, 1, KEEP, KEEP, KEEP},
    {"multihead heads = d", 17, EUC, LT_ATTN_MULTIHEAD, 0, 17, KEEP, KEEP, KEEP},
    {"moe 1 expert", 7, EUC, LT_ATTN_MOE, 0, KEEP, 1, 1, KEEP},
    {"moe top_k = experts", 7, EUC, LT_ATTN_MOE, 0, KEEP, 5, 5, KEEP},
    {"moe defaults", 7, EUC, LT_ATTN_MOE, 0, KEEP, KEEP, KEEP, KEEP},
};

START_TEST(test_config_valid)
{
    const cfg_case *t = &valid_cfgs[_i];
    lt_config c = cfg_from_case(t);
    lt_space *s = NULL;
    int rc = lt_space_create(&c, &s);
    ck_assert_msg(rc == LT_OK, "%s: got %d (%s)", t->name, rc, lt_strerror(rc));
    const lt_config *back = lt_space_config(s);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(back->dimension, c.dimension);
    ck_assert_int_eq(back->metric, c.metric);
    ck_assert_float_eq(back->curvature, c.curvature);
    ck_assert_int_eq(back->attention, c.attention);
    ck_assert_uint_eq(back->num_heads, c.num_heads);
    ck_assert_uint_eq(back->num_experts, c.num_experts);
    ck_assert_uint_eq(back->top_k_experts, c.top_k_experts);
    ck_assert_uint_eq(back->block_size, c.block_size);
    ck_assert_uint_eq(lt_space_size(s), 0);
    lt_space_destroy(s);
}
END_TEST

START_TEST(test_config_null_and_overflow)
{
    lt_config c = lt_config_default(4);
    lt_space *s = NULL;
    ck_assert_int_eq(lt_space_create(NULL, &s), LT_EINVAL);
    ck_assert_int_eq(lt_space_create(&c, NULL), LT_EINVAL);
    /* A row of `dimension` floats whose byte size does not fit in size_t. */
    static const size_t huge[] = {SIZE_MAX, SIZE_MAX / 2, SIZE_MAX / sizeof(float) + 1};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        c = lt_config_default(huge[i]);
        s = NULL;
        int rc = lt_space_create(&c, &s);
        ck_assert_msg(rc == LT_EOVERFLOW, "dimension %zu: got %d (%s), expected LT_EOVERFLOW",
                      huge[i], rc, lt_strerror(rc));
    }
    /* NULL handles are harmless. */
    lt_space_destroy(NULL);
    ck_assert_uint_eq(lt_space_size(NULL), 0);
    ck_assert_ptr_null(lt_space_config(NULL));
    ck_assert_uint_eq(lt_space_expert_size(NULL, 0), 0);
}
END_TEST

/* ---- Ids ------------------------------------------------------------------------------ */

/* Id of the stored row equal to v (Euclidean, distinct rows: nearest at distance 0). */
static uint64_t id_of(const lt_space *s, const float *v)
{
    lt_neighbor nb;
    size_t found = 0;
    ck_assert_int_eq(lt_space_knn(s, v, 1, &nb, &found), LT_OK);
    ck_assert_uint_eq(found, 1);
    ck_assert_float_eq(nb.distance, 0.0f);
    return nb.id;
}

START_TEST(test_auto_ids)
{
    lt_config c = lt_config_default(D);
    lt_space *s = tst_new_space(&c);
    float *v = random_rows(ref_case_seed(1, 0, 0, 0), 32, D);
    /* step: explicit id or automatic (KEEP), and the id it must end up with */
    static const struct { uint64_t explicit_id; uint64_t want; } steps[] = {
        {UINT64_MAX, 0},  {UINT64_MAX, 1}, {100, 100},    {UINT64_MAX, 101},
        {5, 5},           {UINT64_MAX, 102}, {7, 7},      {1000, 1000},
        {UINT64_MAX, 1001},
    };
    size_t nsteps = sizeof steps / sizeof steps[0];
    for (size_t i = 0; i < nsteps; i++) {
        uint64_t id = steps[i].explicit_id, got = 12345;
        int rc = lt_space_add(s, v + i * D, id == UINT64_MAX ? NULL : &id, &got);
        ck_assert_msg(rc == LT_OK, "step %zu: %s", i, lt_strerror(rc));
        ck_assert_msg(got == steps[i].want, "step %zu: assigned %llu, expected %llu", i,
                      (unsigned long long)got, (unsigned long long)steps[i].want);
        ck_assert_uint_eq(lt_space_size(s), i + 1);
    }
    /* `assigned` may be NULL. */
    ck_assert_int_eq(lt_space_add(s, v + nsteps * D, NULL, NULL), LT_OK);
    /* A batch with automatic ids continues from 1 + largest. */
    ck_assert_int_eq(lt_space_add_batch(s, v + (nsteps + 1) * D, 4, NULL), LT_OK);
    ck_assert_uint_eq(lt_space_size(s), nsteps + 5);
    for (size_t i = 0; i < nsteps; i++)
        ck_assert_uint_eq(id_of(s, v + i * D), steps[i].want);
    ck_assert_uint_eq(id_of(s, v + nsteps * D), 1002);
    for (size_t i = 0; i < 4; i++)
        ck_assert_uint_eq(id_of(s, v + (nsteps + 1 + i) * D), 1003 + i);
    /* Explicit ids in a batch, then automatic: 1 + the batch's largest. */
    uint64_t ids[3] = {5000, 4000, 3};
    ck_assert_int_eq(lt_space_add_batch(s, v + (nsteps + 5) * D, 3, ids), LT_OK);
    for (size_t i = 0; i < 3; i++)
        ck_assert_uint_eq(id_of(s, v + (nsteps + 5 + i) * D), ids[i]);
    uint64_t got = 0;
    ck_assert_int_eq(lt_space_add(s, v + (nsteps + 8) * D, NULL, &got), LT_OK);
    ck_assert_uint_eq(got, 5001);
    /* count == 0 is a no-op. */
    ck_assert_int_eq(lt_space_add_batch(s, v, 0, NULL), LT_OK);
    ck_assert_uint_eq(lt_space_size(s), nsteps + 9);
    free(v);
    lt_space_destroy(s);
}
END_TEST

START_TEST(test_auto_id_batch_on_empty)
{
    lt_config c = lt_config_default(D);
    lt_space *s = tst_new_space(&c);
    float *v = random_rows(ref_case_seed(2, 0, 0, 0), 10, D);
    ck_assert_int_eq(lt_space_add_batch(s, v, 10, NULL), LT_OK);
    for (size_t i = 0; i < 10; i++)
        ck_assert_uint_eq(id_of(s, v + i * D), i);
    free(v);
    lt_space_destroy(s);
}
END_TEST

START_TEST(test_auto_id_overflow)
{
    lt_config c = lt_config_default(D);
    lt_space *s = tst_new_space(&c);
    float *v = random_rows(ref_case_seed(3, 0, 0, 0), 4, D);
    uint64_t top = UINT64_MAX;
    ck_assert_int_eq(lt_space_add(s, v, &top, NULL), LT_OK);
    snapshot before, after;
    take_snapshot(s, &before);
    /* 1 + UINT64_MAX does not exist. */
    ck_assert_int_eq(lt_space_add(s, v + D, NULL, NULL), LT_EOVERFLOW);
    ck_assert_int_eq(lt_space_add_batch(s, v + D, 2, NULL), LT_EOVERFLOW);
    take_snapshot(s, &after);
    assert_same_snapshot(&before, &after, "automatic id past UINT64_MAX");
    /* Explicit ids still work. */
    uint64_t id = 9;
    ck_assert_int_eq(lt_space_add(s, v + D, &id, NULL), LT_OK);
    ck_assert_uint_eq(lt_space_size(s), 2);
    free(v);
    lt_space_destroy(s);
}
END_TEST

START_TEST(test_duplicate_ids)
{
    lt_space *s = filled_space(20, ref_case_seed(4, 0, 0, 0)); /* ids 0..19 */
    float *v = random_rows(ref_case_seed(4, 1, 0, 0), 4, D);
    snapshot before, after;
    take_snapshot(s, &before);

    uint64_t id = 7;
    ck_assert_int_eq(lt_space_add(s, v, &id, NULL), LT_EDUPID);
    take_snapshot(s, &after);
    assert_same_snapshot(&before, &after, "add with an existing id");

    static const struct { const char *what; uint64_t ids[4]; } batches[] = {
        {"batch with an existing id last", {100, 101, 102, 19}},
        {"batch with an existing id first", {0, 101, 102, 103}},
        {"batch with a repeated id", {200, 201, 200, 202}},
        {"batch with a repeated id adjacent", {300, 300, 301, 302}},
    };
    for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
        int rc = lt_space_add_batch(s, v, 4, batches[b].ids);
        ck_assert_msg(rc == LT_EDUPID, "%s: got %d (%s)", batches[b].what, rc, lt_strerror(rc));
        take_snapshot(s, &after);
        assert_same_snapshot(&before, &after, batches[b].what);
    }
    /* Ids of a rejected batch were not taken: they are free now. */
    uint64_t ok_ids[4] = {100, 101, 200, 300};
    ck_assert_int_eq(lt_space_add_batch(s, v, 4, ok_ids), LT_OK);
    assert_usable(s, 301);
    free(v);
    lt_space_destroy(s);
}
END_TEST

/* ---- Non-finite values ----------------------------------------------------------- */

START_TEST(test_nonfinite)
{
    static const float bad[] = {NAN, INFINITY, -INFINITY};
    const float bad_val = bad[_i % 3];
    const int at_end = _i / 3; /* poison the first or the very last float */
    lt_config cfgs[3] = {lt_config_default(D), lt_config_default(D), lt_config_default(D)};
    cfgs[1].metric = LT_METRIC_HYPERBOLIC;
    cfgs[2].attention = LT_ATTN_MOE;
    for (int ci = 0; ci < 3; ci++) {
        lt_space *s = tst_new_space(&cfgs[ci]);
        float *init = random_rows(ref_case_seed(5, ci, 0, 0), 10, D);
        ck_assert_int_eq(lt_space_add_batch(s, init, 10, NULL), LT_OK);
        const size_t rows = 6;
        float *v = random_rows(ref_case_seed(5, ci, 1, 0), rows, D);
        size_t pos1 = at_end ? D - 1 : 0, posn = at_end ? rows * D - 1 : 0;
        snapshot before, after;
        take_snapshot(s, &before);

        float keep = v[pos1];
        v[pos1] = bad_val;
        ck_assert_int_eq(lt_space_add(s, v, NULL, NULL), LT_ENONFINITE);
        uint64_t id = 55;
        ck_assert_int_eq(lt_space_add(s, v, &id, NULL), LT_ENONFINITE);
        v[pos1] = keep;
        keep = v[posn];
        v[posn] = bad_val;
        ck_assert_int_eq(lt_space_add_batch(s, v, rows, NULL), LT_ENONFINITE);
        take_snapshot(s, &after);
        assert_same_snapshot(&before, &after, "rejected non-finite add");

        /* Queries: rows * D floats with the poisoned one in the last query. */
        lt_neighbor nb[10 * 6];
        size_t found[6];
        float out[6 * D];
        ck_assert_int_eq(lt_space_knn(s, v + (rows - 1) * D, 3, nb, found),
                         at_end ? LT_ENONFINITE : LT_OK);
        ck_assert_int_eq(lt_space_knn_batch(s, v, rows, 3, nb, found), LT_ENONFINITE);
        ck_assert_int_eq(lt_space_attention(s, v + (rows - 1) * D, out),
                         at_end ? LT_ENONFINITE : LT_OK);
        ck_assert_int_eq(lt_space_attention_batch(s, v, rows, out), LT_ENONFINITE);
        v[posn] = keep;
        take_snapshot(s, &after);
        assert_same_snapshot(&before, &after, "rejected non-finite query");
        assert_usable(s, 10);
        free(init);
        free(v);
        lt_space_destroy(s);
    }
}
END_TEST

/* ---- NULL arguments ---------------------------------------------------------------- */

START_TEST(test_null_args)
{
    lt_space *s = filled_space(10, ref_case_seed(6, 0, 0, 0));
    float v[2 * D] = {0};
    lt_neighbor nb[4];
    size_t found[2];
    float out[2 * D];
    uint64_t id = 99;
    snapshot before, after;
    take_snapshot(s, &before);

    ck_assert_int_eq(lt_space_add(NULL, v, NULL, NULL), LT_EINVAL);
    ck_assert_int_eq(lt_space_add(s, NULL, NULL, NULL), LT_EINVAL);
    ck_assert_int_eq(lt_space_add(s, NULL, &id, NULL), LT_EINVAL);
    ck_assert_int_eq(lt_space_add_batch(NULL, v, 2, NULL), LT_EINVAL);
    ck_assert_int_eq(lt_space_add_batch(s, NULL, 2, NULL), LT_EINVAL);

    ck_assert_int_eq(lt_space_knn(NULL, v, 2, nb, found), LT_EINVAL);
    ck_assert_int_eq(lt_space_knn(s, NULL, 2, nb, found), LT_EINVAL);
    ck_assert_int_eq(lt_space_knn(s, v, 2, NULL, found), LT_EINVAL);
    ck_assert_int_eq(lt_space_knn(s, v, 2, nb, NULL), LT_EINVAL);
    ck_assert_int_eq(lt_space_knn(s, v, 0, nb, found), LT_EINVAL);
    ck_assert_int_eq(lt_space_knn_batch(NULL, v, 2, 2, nb, found), LT_EINVAL);
    ck_assert_int_eq(lt_space_knn_batch(s, NULL, 2, 2, nb, found), LT_EINVAL);
    ck_assert_int_eq(lt_space_knn_batch(s, v, 2, 2, NULL, found), LT_EINVAL);
    ck_assert_int_eq(lt_space_knn_batch(s, v, 2, 2, nb, NULL), LT_EINVAL);
    ck_assert_int_eq(lt_space_knn_batch(s, v, 2, 0, nb, found), LT_EINVAL);

    ck_assert_int_eq(lt_space_attention(NULL, v, out), LT_EINVAL);
    ck_assert_int_eq(lt_space_attention(s, NULL, out), LT_EINVAL);
    ck_assert_int_eq(lt_space_attention(s, v, NULL), LT_EINVAL);
    ck_assert_int_eq(lt_space_attention_batch(NULL, v, 2, out), LT_EINVAL);
    ck_assert_int_eq(lt_space_attention_batch(s, NULL, 2, out), LT_EINVAL);
    ck_assert_int_eq(lt_space_attention_batch(s, v, 2, NULL), LT_EINVAL);

    ck_assert_int_eq(lt_moe_gate_fill(4, 2, NULL), LT_EINVAL);
    ck_assert_int_eq(lt_moe_gate_fill(0, 2, out), LT_EINVAL);
    ck_assert_int_eq(lt_moe_gate_fill(4, 0, out), LT_EINVAL);

    take_snapshot(s, &after);
    assert_same_snapshot(&before, &after, "NULL arguments");
    assert_usable(s, 10);
    lt_space_destroy(s);
}
END_TEST

/* ---- Size overflow --------------------------------------------------------------- */

START_TEST(test_size_overflow)
{
    /* The counts below describe buffers that cannot exist, so the library must
     * reject them before touching the (small) buffers passed in. */
    lt_space *s = filled_space(10, ref_case_seed(7, 0, 0, 0));
    float v[4 * D] = {0};
    lt_neighbor nb[16];
    size_t found[4];
    float out[4 * D];
    uint64_t ids[4] = {1000, 1001, 1002, 1003};
    snapshot before, after;
    take_snapshot(s, &before);

    static const size_t counts[] = {SIZE_MAX / 2, SIZE_MAX, SIZE_MAX / D + 1};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        size_t n = counts[i];
        int rc = lt_space_add_batch(s, v, n, NULL);
        ck_assert_msg(rc == LT_EOVERFLOW, "add_batch count %zu: %d (%s)", n, rc, lt_strerror(rc));
        rc = lt_space_add_batch(s, v, n, ids);
        ck_assert_msg(rc == LT_EOVERFLOW, "add_batch ids count %zu: %d (%s)", n, rc,
                      lt_strerror(rc));
        rc = lt_space_attention_batch(s, v, n, out);
        ck_assert_msg(rc == LT_EOVERFLOW, "attention_batch nq %zu: %d (%s)", n, rc,
                      lt_strerror(rc));
        rc = lt_space_knn_batch(s, v, n, 1, nb, found);
        ck_assert_msg(rc == LT_EOVERFLOW, "knn_batch nq %zu k 1: %d (%s)", n, rc, lt_strerror(rc));
    }
    /* nq * k overflows while nq * dimension does not. */
    int rc = lt_space_knn_batch(s, v, 4, SIZE_MAX / 2, nb, found);
    ck_assert_msg(rc == LT_EOVERFLOW, "knn_batch nq 4 k SIZE_MAX/2: %d (%s)", rc, lt_strerror(rc));
    take_snapshot(s, &after);
    assert_same_snapshot(&before, &after, "overflowing counts");
    assert_usable(s, 10);
    lt_space_destroy(s);
}
END_TEST

/* ---- Out of memory -------------------------------------------------------------------- */

#define OOM_MAX_TRIES 5000

typedef struct {
    lt_space   *s;
    const float *v;
    size_t      count;
    float      *out;
    lt_neighbor *nb;
    size_t     *found;
} oom_ctx;

typedef int (*oom_op)(oom_ctx *c);

static int op_add(oom_ctx *c) { return lt_space_add(c->s, c->v, NULL, NULL); }
static int op_add_batch(oom_ctx *c) { return lt_space_add_batch(c->s, c->v, c->count, NULL); }
static int op_knn(oom_ctx *c) { return lt_space_knn(c->s, c->v, 5, c->nb, c->found); }
static int op_knn_batch(oom_ctx *c)
{
    return lt_space_knn_batch(c->s, c->v, c->count, 5, c->nb, c->found);
}
static int op_attention(oom_ctx *c) { return lt_space_attention(c->s, c->v, c->out); }
static int op_attention_batch(oom_ctx *c)
{
    return lt_space_attention_batch(c->s, c->v, c->count, c->out);
}

/* Fail the 1st, 2nd, ... allocation of op until it succeeds; every failure must be
 * LT_ENOMEM with the space as it was. Returns the number of failures seen. */
static long oom_sweep(const char *what, oom_op op, oom_ctx *c)
{
    snapshot before, after;
    take_snapshot(c->s, &before);
    for (long i = 1; i <= OOM_MAX_TRIES; i++) {
        lt_mem_fail_after(i);
        int rc = op(c);
        lt_mem_fail_after(-1);
        if (rc == LT_OK) {
            printf("oom %s: %ld failing allocations\n", what, i - 1);
            fflush(stdout);
            return i - 1;
        }
        ck_assert_msg(rc == LT_ENOMEM, "%s: failing allocation %ld gave %d (%s), not LT_ENOMEM",
                      what, i, rc, lt_strerror(rc));
        take_snapshot(c->s, &after);
        char buf[128];
        snprintf(buf, sizeof buf, "%s after failing allocation %ld", what, i);
        assert_same_snapshot(&before, &after, buf);
    }
    ck_abort_msg("%s: still failing after %d injected failures", what, OOM_MAX_TRIES);
    return -1;
}

static const struct {
    const char  *name;
    lt_metric    metric;
    lt_attention attention;
    size_t       dimension;
} oom_spaces[] = {
    {"euclidean/standard", LT_METRIC_EUCLIDEAN, LT_ATTN_STANDARD, 16},
    {"cosine/flash", LT_METRIC_COSINE, LT_ATTN_FLASH, 16},
    {"hyperbolic/multihead", LT_METRIC_HYPERBOLIC, LT_ATTN_MULTIHEAD, 16},
    {"dot/moe", LT_METRIC_DOT, LT_ATTN_MOE, 16},
    {"manhattan/moe d=5", LT_METRIC_MANHATTAN, LT_ATTN_MOE, 5},
};

START_TEST(test_oom_create)
{
    lt_config cfg = lt_config_default(oom_spaces[_i].dimension);
    cfg.metric = oom_spaces[_i].metric;
    cfg.attention = oom_spaces[_i].attention;
    if (cfg.attention == LT_ATTN_MULTIHEAD && cfg.dimension % cfg.num_heads != 0)
        cfg.num_heads = 1;
    size_t base = lt_mem_stats_get().current_bytes;
    long i;
    for (i = 1; i <= OOM_MAX_TRIES; i++) {
        lt_space *s = NULL;
        lt_mem_fail_after(i);
        int rc = lt_space_create(&cfg, &s);
        lt_mem_fail_after(-1);
        if (rc == LT_OK) {
            ck_assert_ptr_nonnull(s);
            lt_space_destroy(s);
            break;
        }
        ck_assert_msg(rc == LT_ENOMEM, "%s: failing allocation %ld gave %d (%s)",
                      oom_spaces[_i].name, i, rc, lt_strerror(rc));
        ck_assert_msg(lt_mem_stats_get().current_bytes == base,
                      "%s: failing allocation %ld leaked %zu bytes", oom_spaces[_i].name, i,
                      lt_mem_stats_get().current_bytes - base);
    }
    /* The space handle itself must come from the counted allocator. */
    ck_assert_msg(i > 1, "%s: lt_space_create allocated nothing through the allocator",
                  oom_spaces[_i].name);
    ck_assert_uint_eq(lt_mem_stats_get().current_bytes, base);
}
END_TEST

START_TEST(test_oom_operations)
{
    lt_config cfg = lt_config_default(oom_spaces[_i].dimension);
    cfg.metric = oom_spaces[_i].metric;
    cfg.attention = oom_spaces[_i].attention;
    if (cfg.attention == LT_ATTN_MULTIHEAD && cfg.dimension % cfg.num_heads != 0)
        cfg.num_heads = 1;
    const size_t d = cfg.dimension, big = 5000, nq = 9;
    size_t base = lt_mem_stats_get().current_bytes;
    lt_space *s = tst_new_space(&cfg);
    float *v = random_rows(ref_case_seed(8, (uint64_t)_i, 0, 0), big + 1, d);
    float *q = random_rows(ref_case_seed(8, (uint64_t)_i, 1, 0), nq, d);
    ref_moe_sanitize(&cfg, v, big + 1, ref_case_seed(8, (uint64_t)_i, 2, 0));
    ref_moe_sanitize(&cfg, q, nq, ref_case_seed(8, (uint64_t)_i, 3, 0));
    /* Hyperbolic attention: keep the query inside the ball (see ref_attention). */
    if (cfg.metric == LT_METRIC_HYPERBOLIC)
        ref_shrink_into_ball(&cfg, q, nq);
    lt_neighbor *nb = malloc(nq * 5 * sizeof *nb);
    size_t found[9];
    float *out = malloc(nq * d * sizeof *out);
    oom_ctx c = {.s = s, .nb = nb, .found = found, .out = out};
    char what[96];

    /* First add into an empty space must allocate storage. */
    c.v = v;
    snprintf(what, sizeof what, "%s: first add", oom_spaces[_i].name);
    long fails = oom_sweep(what, op_add, &c);
    ck_assert_msg(fails > 0, "%s: storing an embedding allocated nothing", what);
    ck_assert_uint_eq(lt_space_size(s), 1);
    /* A batch big enough to grow storage. */
    c.v = v + d;
    c.count = big;
    snprintf(what, sizeof what, "%s: add_batch of %zu", oom_spaces[_i].name, big);
    fails = oom_sweep(what, op_add_batch, &c);
    ck_assert_msg(fails > 0, "%s: growing storage allocated nothing", what);
    ck_assert_uint_eq(lt_space_size(s), big + 1);
    /* Single adds until storage grows again (at most `big` of them). */
    {
        size_t n0 = lt_space_size(s);
        int grew = 0;
        for (size_t j = 0; j < big && !grew; j++) {
            size_t size_before = lt_space_size(s);
            lt_mem_fail_after(1);
            int rc = lt_space_add(s, q, NULL, NULL);
            lt_mem_fail_after(-1);
            if (rc == LT_ENOMEM) {
                /* The sweep below re-checks this failure against a full snapshot. */
                grew = 1;
                ck_assert_uint_eq(lt_space_size(s), size_before);
                c.v = q;
                snprintf(what, sizeof what, "%s: growing add", oom_spaces[_i].name);
                oom_sweep(what, op_add, &c);
            } else {
                ck_assert_int_eq(rc, LT_OK);
            }
        }
        ck_assert_msg(grew, "%s: %zu single adds never allocated", oom_spaces[_i].name, big);
        ck_assert_uint_gt(lt_space_size(s), n0);
    }

    c.v = q;
    c.count = nq;
    snprintf(what, sizeof what, "%s: knn", oom_spaces[_i].name);
    oom_sweep(what, op_knn, &c);
    snprintf(what, sizeof what, "%s: knn_batch", oom_spaces[_i].name);
    oom_sweep(what, op_knn_batch, &c);
    snprintf(what, sizeof what, "%s: attention", oom_spaces[_i].name);
    oom_sweep(what, op_attention, &c);
    snprintf(what, sizeof what, "%s: attention_batch", oom_spaces[_i].name);
    oom_sweep(what, op_attention_batch, &c);

    /* Answers after all the failures are still right. */
    size_t n = lt_space_size(s);
    ck_assert_int_eq(lt_space_attention(s, q, out), LT_OK);
    float *all = malloc(n * d * sizeof *all);
    memcpy(all, v, (big + 1) * d * sizeof *all);
    for (size_t j = big + 1; j < n; j++)
        memcpy(all + j * d, q, d * sizeof *all);
    double *ref = malloc(d * sizeof *ref);
    ref_attention(&cfg, all, n, NULL, q, ref);
    char msg[256];
    ck_assert_msg(ref_check_attention(out, ref, d, msg, sizeof msg), "%s: %s", oom_spaces[_i].name,
                  msg);

    lt_space_destroy(s);
    ck_assert_msg(lt_mem_stats_get().current_bytes == base,
                  "%s: %zu bytes still counted after destroy", oom_spaces[_i].name,
                  lt_mem_stats_get().current_bytes - base);
    free(all);
    free(ref);
    free(v);
    free(q);
    free(nb);
    free(out);
}
END_TEST

/* ---- Concurrent readers and the threads field -------------------------------- */

#define READERS 4
#define RQ 6
#define RK 8
#define RD 24

typedef struct {
    const lt_space *s;
    const float    *q;
    lt_neighbor     nb[RQ * RK], nb1[RK];
    size_t          found[RQ], found1;
    float           out[RQ * RD], out1[RD];
    int             rc;
} reader_arg;

static void *reader(void *p)
{
    reader_arg *r = p;
    for (int it = 0; it < 10 && r->rc == LT_OK; it++) {
        r->rc = lt_space_knn_batch(r->s, r->q, RQ, RK, r->nb, r->found);
        if (r->rc == LT_OK)
            r->rc = lt_space_knn(r->s, r->q, RK, r->nb1, &r->found1);
        if (r->rc == LT_OK)
            r->rc = lt_space_attention_batch(r->s, r->q, RQ, r->out);
        if (r->rc == LT_OK)
            r->rc = lt_space_attention(r->s, r->q, r->out1);
    }
    return NULL;
}

/* The header allows many readers at once: answers must match a lone reader's. */
START_TEST(test_concurrent_readers)
{
    static const struct { lt_metric m; lt_attention a; } kinds[] = {
        {LT_METRIC_EUCLIDEAN, LT_ATTN_FLASH}, {LT_METRIC_COSINE, LT_ATTN_MOE},
        {LT_METRIC_DOT, LT_ATTN_MULTIHEAD}, {LT_METRIC_HYPERBOLIC, LT_ATTN_STANDARD}};
    lt_config cfg = lt_config_default(RD);
    cfg.metric = kinds[_i].m;
    cfg.attention = kinds[_i].a;
    const size_t n = 3000;
    const uint64_t seed = ref_case_seed(9, (uint64_t)_i, 0, 0);
    float *v = random_rows(seed, n, RD), *q = random_rows(seed + 1, RQ, RD);
    ref_moe_sanitize(&cfg, v, n, seed + 2);
    ref_moe_sanitize(&cfg, q, RQ, seed + 3);
    ref_shrink_into_ball(&cfg, q, RQ);
    lt_space *s = tst_new_space(&cfg);
    ck_assert_int_eq(lt_space_add_batch(s, v, n, NULL), LT_OK);
    static reader_arg lone, many[READERS];
    lone = (reader_arg){.s = s, .q = q, .rc = LT_OK};
    reader(&lone);
    ck_assert_int_eq(lone.rc, LT_OK);
    pthread_t th[READERS];
    for (int t = 0; t < READERS; t++) {
        many[t] = (reader_arg){.s = s, .q = q, .rc = LT_OK};
        ck_assert_int_eq(pthread_create(&th[t], NULL, reader, &many[t]), 0);
    }
    for (int t = 0; t < READERS; t++)
        ck_assert_int_eq(pthread_join(th[t], NULL), 0);
    ref_neighbor *ref = malloc(n * sizeof *ref);
    char msg[512];
    for (int t = 0; t < READERS; t++) {
        ck_assert_msg(many[t].rc == LT_OK, "reader %d: %s", t, lt_strerror(many[t].rc));
        for (size_t i = 0; i < RQ; i++) {
            ref_knn_all(&cfg, v, NULL, n, q + i * RD, ref);
            ck_assert_msg(ref_check_knn_same(cfg.metric, many[t].nb + i * RK, many[t].found[i],
                                             lone.nb + i * RK, lone.found[i], ref, n, msg,
                                             sizeof msg),
                          "reader %d query %zu (seed %llu): %s", t, i, (unsigned long long)seed,
                          msg);
            ck_assert_msg(ref_check_attention_f(many[t].out + i * RD, lone.out + i * RD, RD, msg,
                                                sizeof msg),
                          "reader %d query %zu attention (seed %llu): %s", t, i,
                          (unsigned long long)seed, msg);
        }
        ref_knn_all(&cfg, v, NULL, n, q, ref);
        ck_assert_msg(ref_check_knn_same(cfg.metric, many[t].nb1, many[t].found1, lone.nb1,
                                         lone.found1, ref, n, msg, sizeof msg),
                      "reader %d single query: %s", t, msg);
        ck_assert_msg(ref_check_attention_f(many[t].out1, lone.out1, RD, msg, sizeof msg),
                      "reader %d single attention: %s", t, msg);
    }
    free(ref);
    free(v);
    free(q);
    lt_space_destroy(s);
}
END_TEST

/* threads = 1 (no parallelism) and a cap of 2 give the unlimited answer. */
START_TEST(test_threads_field)
{
    const size_t n = 5000, d = 33, nq = 9, k = 10;
    const uint64_t seed = ref_case_seed(10, 0, 0, 0);
    float *v = random_rows(seed, n, d), *q = random_rows(seed + 1, nq, d);
    static const unsigned caps[] = {0, 1, 2};
    lt_neighbor nb[3][9 * 10];
    size_t found[3][9];
    float out[3][9 * 33];
    for (int c = 0; c < 3; c++) {
        lt_config cfg = lt_config_default(d);
        cfg.attention = LT_ATTN_FLASH;
        cfg.threads = caps[c];
        lt_space *s = tst_new_space(&cfg);
        ck_assert_uint_eq(lt_space_config(s)->threads, caps[c]);
        ck_assert_int_eq(lt_space_add_batch(s, v, n, NULL), LT_OK);
        ck_assert_int_eq(lt_space_knn_batch(s, q, nq, k, nb[c], found[c]), LT_OK);
        ck_assert_int_eq(lt_space_attention_batch(s, q, nq, out[c]), LT_OK);
        lt_space_destroy(s);
    }
    lt_config cfg = lt_config_default(d);
    ref_neighbor *ref = malloc(n * sizeof *ref);
    char msg[512];
    for (int c = 1; c < 3; c++)
        for (size_t i = 0; i < nq; i++) {
            ref_knn_all(&cfg, v, NULL, n, q + i * d, ref);
            ck_assert_msg(ref_check_knn_same(LT_METRIC_EUCLIDEAN, nb[c] + i * k, found[c][i],
                                             nb[0] + i * k, found[0][i], ref, n, msg, sizeof msg),
                          "threads=%u query %zu: %s", caps[c], i, msg);
            ck_assert_msg(ref_check_attention_f(out[c] + i * d, out[0] + i * d, d, msg, sizeof msg),
                          "threads=%u query %zu attention: %s", caps[c], i, msg);
        }
    free(ref);
    free(v);
    free(q);
}
END_TEST

/* ---- Error strings ----------------------------------------------------------------- */

START_TEST(test_strerror)
{
    static const int codes[] = {LT_OK,     LT_EINVAL, LT_ENONFINITE, LT_EDUPID,
                                LT_EEMPTY, LT_ENOMEM, LT_EOVERFLOW,  LT_EUNSUPPORTED};
    const size_t nc = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < nc; i++) {
        const char *a = lt_strerror(codes[i]);
        ck_assert_ptr_nonnull(a);
        ck_assert_uint_gt(strlen(a), 0);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(a, lt_strerror(codes[j])) != 0,
                          "codes %d and %d share the message \"%s\"", codes[i], codes[j], a);
    }
    /* Codes are distinct too. */
    for (size_t i = 0; i < nc; i++)
        for (size_t j = 0; j < i; j++)
            ck_assert_int_ne(codes[i], codes[j]);
    static const int unknown[] = {1, 42, -8, -100, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *u = lt_strerror(unknown[i]);
        ck_assert_ptr_nonnull(u);
        ck_assert_uint_gt(strlen(u), 0);
        for (size_t j = 0; j < nc; j++)
            ck_assert_msg(strcmp(u, lt_strerror(codes[j])) != 0,
                          "unknown code %d reads like code %d: \"%s\"", unknown[i], codes[j], u);
    }
    ck_assert_ptr_nonnull(lt_version_string());
}
END_TEST

static Suite *space_suite(void)
{
    Suite *s = suite_create("space");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, test_config_default);
    tcase_add_loop_test(tc, test_config_invalid, 0,
                        (int)(sizeof invalid_cfgs / sizeof invalid_cfgs[0]));
    tcase_add_loop_test(tc, test_config_valid, 0, (int)(sizeof valid_cfgs / sizeof valid_cfgs[0]));
    tcase_add_test(tc, test_config_null_and_overflow);
    suite_add_tcase(s, tc);

    tc = tcase_create("add");
    tcase_add_test(tc, test_auto_ids);
    tcase_add_test(tc, test_auto_id_batch_on_empty);
    tcase_add_test(tc, test_auto_id_overflow);
    tcase_add_test(tc, test_duplicate_ids);
    tcase_add_loop_test(tc, test_nonfinite, 0, 6);
    tcase_add_test(tc, test_null_args);
    tcase_add_test(tc, test_size_overflow);
    suite_add_tcase(s, tc);

    tc = tcase_create("oom");
    tcase_set_timeout(tc, 600); /* thousands of snapshots under AddressSanitizer */
    tcase_add_loop_test(tc, test_oom_create, 0, (int)(sizeof oom_spaces / sizeof oom_spaces[0]));
    tcase_add_loop_test(tc, test_oom_operations, 0,
                        (int)(sizeof oom_spaces / sizeof oom_spaces[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("threads");
    tcase_add_loop_test(tc, test_concurrent_readers, 0, 4);
    tcase_add_test(tc, test_threads_field);
    suite_add_tcase(s, tc);

    tc = tcase_create("strerror");
    tcase_add_test(tc, test_strerror);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    printf("test_space: base seed %llu (set LATENT_TEST_SEED to replay)\n",
           (unsigned long long)ref_base_seed());
    fflush(stdout); /* before Check forks */
    SRunner *sr = srunner_create(space_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
