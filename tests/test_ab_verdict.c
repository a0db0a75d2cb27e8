/* The A/B verdict on synthetic per-round log ratios of known median ratio. */
#include "latentbench/runner.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* n rounds of ln(ratio) plus normal noise of sd `spread`, seeded */
static void rounds(double *x, size_t n, double ratio, double spread, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
    for (size_t i = 0; i < n; i++) {
        double u[2];
        for (int j = 0; j < 2; j++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            u[j] = ((double)(s >> 11) + 0.5) / 9007199254740992.0;
        }
        x[i] = log(ratio) + spread * sqrt(-2 * log(u[0])) * cos(6.283185307179586 * u[1]);
    }
}

static unsigned g_epochs = 1; /* epochs of the rounds judged by verdict() */

static const char *verdict(double ratio, double spread, size_t n, double threshold, uint64_t seed, lb_ab_row *ab)
{
    static double x[4000];
    rounds(x, n, ratio, spread, seed);
    memset(ab, 0, sizeof *ab);
    ab->threshold_pct = threshold;
    ck_assert_int_eq(lb_ab_judge(x, n, g_epochs, 0.99, ab), 0);
    return ab->verdict;
}

START_TEST(known_ratios)
{
    lb_ab_row ab;
    /* 10% slower, 8% round-to-round spread, 300 rounds: caught against 5% */
    ck_assert_str_eq(verdict(1.10, 0.08, 300, 5, 1, &ab), "Regression");
    ck_assert(ab.ratio > 1.08 && ab.ratio < 1.12);
    ck_assert(ab.ratio_ci_low <= ab.ratio && ab.ratio <= ab.ratio_ci_high);
    ck_assert(ab.ratio_lower > 1.05 && ab.p_slower < 1e-6);
    /* the same builds: nothing */
    ck_assert_str_eq(verdict(1.00, 0.08, 300, 5, 2, &ab), "NoChange");
    ck_assert(ab.ratio_ci_low < 1.0 && ab.ratio_ci_high > 1.0);
    /* 15% faster: an improvement (below -threshold/2) */
    ck_assert_str_eq(verdict(0.85, 0.08, 300, 5, 3, &ab), "Improvement");
    ck_assert(ab.ratio_upper < 0.975 && ab.p_faster < 1e-6);
    /* 3% slower against 5%: significant, but not above the threshold */
    ck_assert_str_eq(verdict(1.03, 0.02, 2000, 5, 4, &ab), "NoChange");
    ck_assert(ab.p_slower < 1e-6);
    /* too few, too noisy rounds bound nothing */
    ck_assert_str_eq(verdict(1.20, 0.5, 10, 5, 5, &ab), "NoChange");
    ck_assert(fabs(ab.log_ratio_mad - 0.5) < 0.4);
}
END_TEST

START_TEST(false_alarms_and_power)
{
    /* 200 A/A rows of 300 rounds: the bound exceeds +5% in none; at +10% with
     * 10% spread every row is caught; at exactly the threshold about 1% are */
    lb_ab_row ab;
    int aa = 0, power = 0, at = 0;
    for (uint64_t s = 0; s < 200; s++) {
        aa += !strcmp(verdict(1.00, 0.10, 300, 5, 100 + s, &ab), "Regression");
        power += !strcmp(verdict(1.10, 0.10, 300, 5, 1000 + s, &ab), "Regression");
        at += !strcmp(verdict(1.05, 0.10, 300, 5, 5000 + s, &ab), "Regression");
    }
    ck_assert_int_eq(aa, 0);
    ck_assert_int_ge(power, 196);
    ck_assert_int_le(at, 10);
    /* the same rounds taken as four epochs without any placement effect: as
     * good at +10%, and no alarm either way at the same builds */
    g_epochs = 4;
    aa = power = 0;
    int better = 0;
    for (uint64_t s = 0; s < 200; s++) {
        aa += strcmp(verdict(1.00, 0.10, 300, 5, 100 + s, &ab), "NoChange") != 0;
        power += !strcmp(verdict(1.10, 0.10, 300, 5, 1000 + s, &ab), "Regression");
        better += !strcmp(verdict(0.90, 0.10, 300, 5, 3000 + s, &ab), "Improvement");
    }
    g_epochs = 1;
    fprintf(stderr, "four epochs, 200 rows each: A/A flagged %d, +10%% caught %d, -10%% caught %d\n", aa, power, better);
    ck_assert_int_eq(aa, 0);
    ck_assert_int_ge(power, 190);
    ck_assert_int_ge(better, 190);
}
END_TEST

/* Placement: two of four epochs favour B by 6.5% (what an A/A row of two
 * copies of one build showed), the others nothing. Judged as independent
 * rounds that is an improvement; epoch by epoch it is not one, while a real
 * 10% slowdown seen in every epoch, each with its own placement offset of
 * up to 2%, is still caught, and so is a 15% speed-up. */
static const char *verdict_epochs(const double *shift, double ratio, unsigned epochs, uint64_t seed, lb_ab_row *ab)
{
    static double x[480];
    size_t n = 480;
    rounds(x, n, ratio, 0.02, seed);
    for (size_t i = 0; i < n; i++) x[i] += log(shift[i * 4 / n]);
    memset(ab, 0, sizeof *ab);
    ab->threshold_pct = 5;
    ck_assert_int_eq(lb_ab_judge(x, n, epochs, 0.99, ab), 0);
    return ab->verdict;
}

START_TEST(epochs_placement)
{
    lb_ab_row ab;
    const double aa[4] = {0.996, 0.935, 1.000, 0.938}, drift[4] = {1.00, 0.98, 1.02, 0.99};
    ck_assert_str_eq(verdict_epochs(aa, 1.0, 1, 7, &ab), "Improvement");
    ck_assert_str_eq(verdict_epochs(aa, 1.0, 4, 7, &ab), "NoChange");
    ck_assert(ab.ratio_ci_low <= 0.94 && ab.ratio_ci_high >= 0.99); /* the interval spans the placements */
    ck_assert_str_eq(verdict_epochs(drift, 1.10, 4, 8, &ab), "Regression");
    ck_assert(ab.ratio_lower > 1.05 && ab.ratio_lower <= 1.08);
    ck_assert_str_eq(verdict_epochs(drift, 0.85, 4, 9, &ab), "Improvement");
    /* no placement effect: the epochs change nothing */
    const double none[4] = {1, 1, 1, 1};
    ck_assert_str_eq(verdict_epochs(none, 1.10, 4, 10, &ab), "Regression");
    ck_assert_str_eq(verdict_epochs(none, 1.00, 4, 11, &ab), "NoChange");
}
END_TEST

START_TEST(bad_input)
{
    lb_ab_row ab;
    memset(&ab, 0, sizeof ab);
    double x[3] = {0.1, NAN, 0.2};
    ck_assert_int_ne(lb_ab_judge(x, 3, 1, 0.99, &ab), 0);
    ck_assert_int_ne(lb_ab_judge(x, 0, 4, 0.99, &ab), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ab_verdict");
    TCase *tc = tcase_create("verdict");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, known_ratios);
    tcase_add_test(tc, false_alarms_and_power);
    tcase_add_test(tc, epochs_placement);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
