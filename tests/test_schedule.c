/* The matrix schedule: longest processing time first over measuring slots. */
#include "latentbench/runner.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NMAX 700

/* seeded costs spanning four orders of magnitude, with ties */
static void costs(double *c, size_t n, unsigned seed)
{
    uint64_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        c[i] = (s >> 60) == 0 ? 1.0 : pow(10.0, (double)(s >> 11) / 9007199254740992.0 * 4.0);
    }
}

START_TEST(every_case_exactly_once)
{
    static double c[NMAX], load[8];
    static size_t slot[NMAX], again[NMAX];
    size_t sizes[] = {0, 1, 7, 20, 480, 625};
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        size_t n = sizes[z];
        costs(c, n, (unsigned)z + 1);
        for (size_t p = 1; p <= 8; p++) {
            lb_schedule_lpt(c, n, p, slot, load);
            double sum = 0, per[8] = {0}, maxc = 0;
            for (size_t i = 0; i < n; i++) {
                ck_assert_uint_lt(slot[i], p); /* one slot per case: "exactly once" */
                per[slot[i]] += c[i];
                sum += c[i];
                if (c[i] > maxc) maxc = c[i];
            }
            double total = 0, worst = 0;
            for (size_t s = 0; s < p; s++) {
                ck_assert_double_eq_tol(per[s], load[s], 1e-9 * (1 + per[s]));
                total += load[s];
                if (load[s] > worst) worst = load[s];
            }
            ck_assert_double_eq_tol(total, sum, 1e-9 * (1 + sum));
            /* Graham's bound for LPT, and never worse than ideal + the largest case */
            ck_assert(worst <= sum / (double)p + maxc + 1e-9);
            /* deterministic: the same list and slot count give the same plan */
            lb_schedule_lpt(c, n, p, again, NULL);
            ck_assert(n == 0 || memcmp(slot, again, n * sizeof *slot) == 0);
        }
    }
}
END_TEST

START_TEST(longest_first_balances)
{
    /* 3 slots, costs 7 6 5 4 3 2 in any order: LPT gives loads 9 9 9 */
    double c[] = {3, 7, 2, 5, 6, 4}, load[3];
    size_t slot[6];
    lb_schedule_lpt(c, 6, 3, slot, load);
    for (int s = 0; s < 3; s++) ck_assert_double_eq(load[s], 9.0);
    /* equal costs: round robin in index order, lowest slot first */
    double e[6] = {1, 1, 1, 1, 1, 1};
    size_t es[6];
    lb_schedule_lpt(e, 6, 4, es, NULL);
    size_t want[6] = {0, 1, 2, 3, 0, 1};
    for (int i = 0; i < 6; i++) ck_assert_uint_eq(es[i], want[i]);
    /* non-finite or negative costs count as zero, and still get a slot */
    double bad[3] = {NAN, -1, INFINITY};
    size_t bs[3];
    lb_schedule_lpt(bad, 3, 2, bs, load);
    for (int i = 0; i < 3; i++) ck_assert_uint_lt(bs[i], 2);
}
END_TEST

START_TEST(cost_model_orders_cases)
{
    lb_cost_model m = {2.0, 0.25, 0.05};
    lb_measure_opts mo = lb_measure_quick();
    lb_case small, big;
    memset(&small, 0, sizeof small);
    snprintf(small.op, sizeof small.op, "knn");
    small.dimension = 128;
    small.dataset_size = 1000;
    small.k = 10;
    big = small;
    big.dataset_size = 1000000;
    double cs = lb_case_cost(&m, &small, &mo, 1), cb = lb_case_cost(&m, &big, &mo, 1);
    ck_assert(cs >= mo.warm_up_s + mo.measurement_s - 1e-9); /* Criterion spends its times at least */
    ck_assert(cb > cs);
    /* 1e6 x 128 floats built at 2 ns: 0.256 s of setup; a 32 ms scan: linear
     * sampling would take 210 x 32 ms > 2 s, so flat, ceil(1 s / (20 x 32 ms))
     * = 2 iterations a sample: 1.28 s after the 0.3 s warm-up */
    ck_assert_double_eq_tol(cb, 0.256 + 0.3 + 20 * 2 * 0.032, 1e-6);
    lb_plan p = lb_measure_plan(&mo, 32e6);
    ck_assert_int_eq(p.sampling, LB_SAMPLING_FLAT);
    ck_assert_double_eq(p.step, 2.0);
    /* three rounds: each rebuilds the op and measures a third (0.1 s warm-up,
     * 7 flat samples of 2 iterations) */
    ck_assert_double_eq_tol(lb_case_cost(&m, &big, &mo, 3), 3 * (0.256 + 0.1 + 7 * 2 * 0.032), 1e-6);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("schedule");
    TCase *tc = tcase_create("lpt");
    tcase_add_test(tc, every_case_exactly_once);
    tcase_add_test(tc, longest_first_balances);
    tcase_add_test(tc, cost_model_orders_cases);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
