/*
 * Memory accounting: current/peak/allocation counters around known operations,
 * reset semantics, thread safety, and the storage bound (100,000 x 256 floats
 * must not cost more than 5% over the raw data at peak).
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latent/latent.h"
#include "check_helpers.h"
#include "ref.h"

static float *random_rows(uint64_t seed, size_t n, size_t d)
{
    float *v = malloc(n * d * sizeof *v);
    ck_assert_ptr_nonnull(v);
    ref_fill_uniform(seed, v, n * d);
    return v;
}

START_TEST(test_create_destroy_balance)
{
    static const lt_attention kinds[] = {LT_ATTN_STANDARD, LT_ATTN_FLASH, LT_ATTN_MULTIHEAD,
                                         LT_ATTN_MOE};
    for (size_t k = 0; k < 4; k++) {
        lt_config cfg = lt_config_default(64);
        cfg.attention = kinds[k];
        lt_mem_reset_peak();
        lt_mem_stats s0 = lt_mem_stats_get();
        ck_assert_uint_eq(s0.allocations, 0);
        ck_assert_uint_eq(s0.peak_bytes, s0.current_bytes);
        lt_space *s = tst_new_space(&cfg);
        lt_mem_stats s1 = lt_mem_stats_get();
        ck_assert_uint_gt(s1.current_bytes, s0.current_bytes);
        ck_assert_uint_gt(s1.allocations, 0);
        ck_assert_uint_ge(s1.peak_bytes, s1.current_bytes);

        float *v = random_rows(ref_case_seed(41, k, 0, 0), 3000, 64);
        ck_assert_int_eq(lt_space_add_batch(s, v, 3000, NULL), LT_OK);
        lt_mem_stats s2 = lt_mem_stats_get();
        /* The stored floats are counted. */
        ck_assert_uint_ge(s2.current_bytes - s1.current_bytes, 3000 * 64 * sizeof(float));
        ck_assert_uint_gt(s2.allocations, s1.allocations);
        ck_assert_uint_ge(s2.peak_bytes, s2.current_bytes);
        lt_space_destroy(s);
        lt_mem_stats s3 = lt_mem_stats_get();
        ck_assert_uint_eq(s3.current_bytes, s0.current_bytes);
        ck_assert_uint_ge(s3.peak_bytes, s2.current_bytes);
        /* Freeing is not an allocation. */
        ck_assert_uint_eq(s3.allocations, s2.allocations);
        free(v);
    }
}
END_TEST

START_TEST(test_reset_peak)
{
    lt_config cfg = lt_config_default(32);
    lt_space *keep = tst_new_space(&cfg);
    float *v = random_rows(ref_case_seed(42, 0, 0, 0), 2000, 32);
    ck_assert_int_eq(lt_space_add_batch(keep, v, 10, NULL), LT_OK);
    lt_space *tmp = tst_new_space(&cfg);
    ck_assert_int_eq(lt_space_add_batch(tmp, v, 2000, NULL), LT_OK);
    lt_space_destroy(tmp);
    lt_mem_stats a = lt_mem_stats_get();
    ck_assert_uint_ge(a.peak_bytes, a.current_bytes + 2000 * 32 * sizeof(float));
    ck_assert_uint_gt(a.allocations, 0);
    lt_mem_reset_peak();
    lt_mem_stats b = lt_mem_stats_get();
    ck_assert_uint_eq(b.current_bytes, a.current_bytes);
    ck_assert_uint_eq(b.peak_bytes, b.current_bytes);
    ck_assert_uint_eq(b.allocations, 0);
    lt_space_destroy(keep);
    lt_mem_stats c = lt_mem_stats_get();
    ck_assert_uint_lt(c.current_bytes, b.current_bytes);
    ck_assert_uint_eq(c.peak_bytes, b.peak_bytes);
    free(v);
}
END_TEST

/* Adds that grow storage allocate; the first add into an empty space too. */
START_TEST(test_growth_allocates)
{
    lt_config cfg = lt_config_default(16);
    lt_space *s = tst_new_space(&cfg);
    float *v = random_rows(ref_case_seed(43, 0, 0, 0), 20000, 16);
    lt_mem_reset_peak();
    ck_assert_int_eq(lt_space_add(s, v, NULL, NULL), LT_OK);
    ck_assert_uint_gt(lt_mem_stats_get().allocations, 0);
    lt_mem_reset_peak();
    size_t cur0 = lt_mem_stats_get().current_bytes;
    for (size_t i = 1; i < 20000; i++)
        ck_assert_int_eq(lt_space_add(s, v + i * 16, NULL, NULL), LT_OK);
    lt_mem_stats st = lt_mem_stats_get();
    ck_assert_uint_gt(st.allocations, 0);
    ck_assert_uint_ge(st.current_bytes - cur0, 19000 * 16 * sizeof(float));
    lt_space_destroy(s);
    free(v);
}
END_TEST

/* Queries give back everything they take (after a first call, which may set up
 * scratch that the space keeps). */
START_TEST(test_queries_do_not_leak)
{
    const lt_attention a = (lt_attention)_i;
    lt_config cfg = lt_config_default(24);
    cfg.attention = a;
    cfg.metric = (lt_metric)(_i % 5);
    lt_space *s = tst_new_space(&cfg);
    float *v = random_rows(ref_case_seed(44, (uint64_t)a, 0, 0), 1500, 24);
    ck_assert_int_eq(lt_space_add_batch(s, v, 1500, NULL), LT_OK);
    lt_neighbor nb[8 * 10];
    size_t found[8];
    float out[8 * 24];
    for (int round = 0; round < 3; round++) {
        size_t before = lt_mem_stats_get().current_bytes;
        ck_assert_int_eq(lt_space_knn(s, v, 10, nb, found), LT_OK);
        ck_assert_int_eq(lt_space_knn_batch(s, v, 8, 10, nb, found), LT_OK);
        ck_assert_int_eq(lt_space_attention(s, v, out), LT_OK);
        ck_assert_int_eq(lt_space_attention_batch(s, v, 8, out), LT_OK);
        size_t after = lt_mem_stats_get().current_bytes;
        if (round > 0)
            ck_assert_msg(after == before, "round %d: current %zu -> %zu bytes", round, before,
                          after);
    }
    lt_space_destroy(s);
    free(v);
}
END_TEST

/* ---- Thread safety of the counters ---------------------------------------------- */

#define WORKERS 4

typedef struct {
    const float *v;
    int          rc;
} worker_arg;

static void *worker(void *p)
{
    worker_arg *w = p;
    lt_config cfg = lt_config_default(16);
    for (int it = 0; it < 20 && w->rc == LT_OK; it++) {
        lt_space *s = NULL;
        w->rc = lt_space_create(&cfg, &s);
        if (w->rc != LT_OK)
            break;
        w->rc = lt_space_add_batch(s, w->v, 1000, NULL);
        for (size_t i = 0; i < 50 && w->rc == LT_OK; i++)
            w->rc = lt_space_add(s, w->v + i * 16, NULL, NULL);
        lt_space_destroy(s);
    }
    return NULL;
}

START_TEST(test_counters_thread_safe)
{
    float *v = random_rows(ref_case_seed(45, 0, 0, 0), 1000, 16);
    /* One worker alone gives the allocation count of the workload ... */
    lt_mem_reset_peak();
    size_t base = lt_mem_stats_get().current_bytes;
    worker_arg one = {v, LT_OK};
    worker(&one);
    ck_assert_int_eq(one.rc, LT_OK);
    uint64_t per_worker = lt_mem_stats_get().allocations;
    ck_assert_uint_gt(per_worker, 0);
    ck_assert_uint_eq(lt_mem_stats_get().current_bytes, base);
    /* ... and WORKERS at once must add up exactly, and free exactly. */
    lt_mem_reset_peak();
    pthread_t th[WORKERS];
    worker_arg args[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        args[i] = (worker_arg){v, LT_OK};
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < WORKERS; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(args[i].rc, LT_OK);
    }
    lt_mem_stats st = lt_mem_stats_get();
    ck_assert_uint_eq(st.allocations, WORKERS * per_worker);
    ck_assert_uint_eq(st.current_bytes, base);
    ck_assert_uint_ge(st.peak_bytes, base);
    free(v);
}
END_TEST

/* ---- Storage bound --------------------------------------------------------------------- */

#define BIG_N 100000
#define BIG_D 256
#define CHUNK 1000
#define RAW_BYTES ((size_t)BIG_N * BIG_D * sizeof(float)) /* 102,400,000 */

START_TEST(test_storage_bound)
{
    const int one_by_one = _i;
    const uint64_t seed = ref_case_seed(46, (uint64_t)one_by_one, 0, 0);
    float *chunk = malloc((size_t)CHUNK * BIG_D * sizeof *chunk);
    ck_assert_ptr_nonnull(chunk);
    lt_mem_reset_peak();
    const lt_mem_stats before = lt_mem_stats_get();
    lt_config cfg = lt_config_default(BIG_D);
    lt_space *s = tst_new_space(&cfg);
    for (size_t c = 0; c < BIG_N / CHUNK; c++) {
        ref_fill_uniform(seed + c, chunk, (size_t)CHUNK * BIG_D);
        if (one_by_one) {
            for (size_t i = 0; i < CHUNK; i++)
                ck_assert_int_eq(lt_space_add(s, chunk + i * BIG_D, NULL, NULL), LT_OK);
        } else {
            ck_assert_int_eq(lt_space_add_batch(s, chunk, CHUNK, NULL), LT_OK);
        }
    }
    ck_assert_uint_eq(lt_space_size(s), BIG_N);
    const lt_mem_stats after = lt_mem_stats_get();
    const size_t used = after.peak_bytes - before.peak_bytes;
    const double limit = 1.05 * (double)RAW_BYTES;
    printf("storage %s: peak +%zu bytes for %zu raw (%.4f x), current +%zu\n",
           one_by_one ? "lt_space_add" : "add_batch", used, RAW_BYTES, (double)used / RAW_BYTES,
           after.current_bytes - before.current_bytes);
    fflush(stdout);
    ck_assert_msg((double)used <= limit,
                  "%s of %d x %d: peak grew by %zu bytes, limit 1.05 x %zu = %.0f",
                  one_by_one ? "lt_space_add" : "add_batch", BIG_N, BIG_D, used, RAW_BYTES, limit);
    ck_assert_uint_ge(after.current_bytes - before.current_bytes, RAW_BYTES);
    lt_space_destroy(s);
    ck_assert_uint_eq(lt_mem_stats_get().current_bytes, before.current_bytes);
    free(chunk);
}
END_TEST

static Suite *mem_suite(void)
{
    Suite *s = suite_create("mem");
    TCase *tc = tcase_create("counters");
    tcase_add_test(tc, test_create_destroy_balance);
    tcase_add_test(tc, test_reset_peak);
    tcase_add_test(tc, test_growth_allocates);
    tcase_add_loop_test(tc, test_queries_do_not_leak, 0, 4);
    tcase_add_test(tc, test_counters_thread_safe);
    suite_add_tcase(s, tc);

    tc = tcase_create("storage");
    tcase_set_timeout(tc, 600); /* 100,000 adds under AddressSanitizer */
    tcase_add_loop_test(tc, test_storage_bound, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    printf("test_mem: base seed %llu (set LATENT_TEST_SEED to replay)\n",
           (unsigned long long)ref_base_seed());
    fflush(stdout); /* before Check forks */
    SRunner *sr = srunner_create(mem_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
