/* The measurement core: sampling plans, budgets and a benchmark of known cost. */
#include "latentbench/alloc.h"
#include "latentbench/bench.h"
#include "latentbench/error.h"
#include "latentbench/stats.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

/* Synthetic cost: every call reports iters * per_iter + fixed ns, exactly. */
typedef struct {
    double per_iter, fixed;
    unsigned calls, samples_seen;
} synth;

static int synth_run(void *ctx, uint64_t iters, uint64_t *elapsed)
{
    synth *s = ctx;
    s->calls++;
    *elapsed = (uint64_t)llround((double)iters * s->per_iter + s->fixed);
    return LB_OK;
}

static int count_sample(int status, void *arg)
{
    ((synth *)arg)->samples_seen++;
    return status;
}

START_TEST(linear_plan_and_slope)
{
    synth s = {250.0, 40.0, 0, 0};
    lb_measure_opts o = lb_measure_defaults();
    o.warm_up_s = 0.01;
    o.measurement_s = 0.5;
    o.sample_size = 50;
    o.before_sample = count_sample;
    o.hook_arg = &s;
    lb_measurement m;
    ck_assert_int_eq(lb_measure(synth_run, &s, &o, &m), LB_OK);
    ck_assert_int_eq(m.sampling, LB_SAMPLING_LINEAR);
    ck_assert_uint_eq(m.nsamples, 50);
    ck_assert_uint_eq(s.samples_seen, 50);
    /* linear: d, 2d, ..., n*d */
    for (size_t i = 0; i < m.nsamples; i++) ck_assert_uint_eq(m.iters[i], m.iters[0] * (i + 1));
    /* d chosen so the samples fill the measurement time */
    double total_ns = 0;
    for (size_t i = 0; i < m.nsamples; i++) total_ns += m.ns_per_iter[i] * (double)m.iters[i];
    ck_assert_double_ge(total_ns, 0.5e9);
    ck_assert_double_le(total_ns, 0.5e9 * 1.2);
    double slope;
    ck_assert_int_eq(lb_stats_slope(m.ns_per_iter, m.iters, m.nsamples, &slope), LB_OK);
    /* the fixed cost spreads over many iterations: the slope is the per-iteration cost */
    ck_assert_double_eq_tol(slope, 250.0, 0.5);
    lb_measurement_free(&m);
}
END_TEST

START_TEST(flat_when_linear_too_long)
{
    /* 20 ms per iteration, 100 samples: even d = 1 is 101 s of linear samples */
    synth s = {20e6, 0.0, 0, 0};
    lb_measure_opts o = lb_measure_defaults();
    o.warm_up_s = 0.0;
    o.measurement_s = 5.0;
    o.sample_size = 100;
    o.budget_s = 1e9; /* no budget pressure */
    lb_measurement m;
    ck_assert_int_eq(lb_measure(synth_run, &s, &o, &m), LB_OK);
    ck_assert_int_eq(m.sampling, LB_SAMPLING_FLAT);
    ck_assert_uint_eq(m.nsamples, 100);
    for (size_t i = 0; i < m.nsamples; i++) ck_assert_uint_eq(m.iters[i], 3); /* ceil(5 s / (20 ms * 100)) */
    ck_assert_int_eq(m.budget_limited, 0);
    lb_measurement_free(&m);
}
END_TEST

START_TEST(budget_limits_samples)
{
    /* 0.5 s per iteration under a 3 s budget: at most ~5 single-iteration samples */
    synth s = {0.5e9, 0.0, 0, 0};
    lb_measure_opts o = lb_measure_defaults();
    o.warm_up_s = 0.0;
    o.measurement_s = 1.0;
    o.sample_size = 100;
    o.budget_s = 3.0;
    lb_measurement m;
    ck_assert_int_eq(lb_measure(synth_run, &s, &o, &m), LB_OK);
    ck_assert_int_eq(m.budget_limited, 1);
    ck_assert_int_eq(m.sampling, LB_SAMPLING_FLAT);
    ck_assert_uint_eq(m.nsamples, 6); /* 3 s / 0.5 s */
    ck_assert_uint_eq(m.iters[0], 1);
    lb_measurement_free(&m);
}
END_TEST

/* Real time: a spin of a known length per iteration must measure as that length. */
static int spin_run(void *ctx, uint64_t iters, uint64_t *elapsed)
{
    uint64_t per = *(const uint64_t *)ctx;
    uint64_t t0 = lb_clock_ns();
    for (uint64_t i = 0; i < iters; i++) {
        uint64_t until = t0 + (i + 1) * per;
        while (lb_clock_ns() < until) {}
    }
    *elapsed = lb_clock_ns() - t0;
    return LB_OK;
}

START_TEST(known_cost_benchmark)
{
    uint64_t per = 20000; /* 20 us */
    lb_measure_opts o = lb_measure_defaults();
    o.warm_up_s = 0.05;
    o.measurement_s = 0.3;
    o.sample_size = 20;
    lb_measurement m;
    ck_assert_int_eq(lb_measure(spin_run, &per, &o, &m), LB_OK);
    lb_stats_summary st;
    ck_assert_int_eq(lb_stats_summarize(m.ns_per_iter, m.iters, m.nsamples, 1000, 1, 0.95, &st), LB_OK);
    /* a spin cannot finish early; preemption can only make it longer */
    ck_assert_double_ge(st.median, 20000.0 * 0.999);
    ck_assert_double_le(st.median, 20000.0 * 1.5);
    ck_assert_double_ge(st.slope, 20000.0 * 0.999);
    lb_measurement_free(&m);
}
END_TEST

START_TEST(bad_options)
{
    synth s = {1, 0, 0, 0};
    lb_measure_opts o = lb_measure_defaults();
    lb_measurement m;
    o.sample_size = 1;
    ck_assert_int_eq(lb_measure(synth_run, &s, &o, &m), LB_EUSAGE);
    o = lb_measure_defaults();
    o.measurement_s = 0;
    ck_assert_int_eq(lb_measure(synth_run, &s, &o, &m), LB_EUSAGE);
    ck_assert_int_eq(lb_measure(NULL, &s, &o, &m), LB_EUSAGE);
    /* times past a day, NaN or negative: refused, not converted (1e308 s of
     * warm-up once became 0 ns, and 1e308 s of measurement an undefined
     * conversion) */
    const double bad_times[] = {1e308, LB_MEASURE_MAX_S * 1.001, NAN, -1.0, INFINITY};
    for (size_t i = 0; i < sizeof bad_times / sizeof bad_times[0]; i++) {
        o = lb_measure_defaults();
        o.warm_up_s = bad_times[i];
        ck_assert_int_eq(lb_measure(synth_run, &s, &o, &m), LB_EUSAGE);
        o = lb_measure_defaults();
        o.measurement_s = bad_times[i];
        ck_assert_int_eq(lb_measure(synth_run, &s, &o, &m), LB_EUSAGE);
    }
    o = lb_measure_defaults();
    o.budget_s = NAN;
    ck_assert_int_eq(lb_measure(synth_run, &s, &o, &m), LB_EUSAGE);
}
END_TEST

START_TEST(budget_bounds_warm_up)
{
    /* 1 ms per iteration, 1000 s of warm-up asked, a 0.1 s budget: the
     * warm-up stops at the budget (batches 1, 2, ..., 64: 127 ms), not after
     * 2^20 iterations */
    synth s = {1e6, 0.0, 0, 0};
    lb_measure_opts o = lb_measure_defaults();
    o.warm_up_s = 1000.0;
    o.measurement_s = 0.01;
    o.sample_size = 2;
    o.budget_s = 0.1;
    lb_measurement m;
    ck_assert_int_eq(lb_measure(synth_run, &s, &o, &m), LB_OK);
    ck_assert_uint_le(s.calls - m.nsamples, 8);
    lb_measurement_free(&m);
    /* a warm-up at the bound and the longest measurement plan in doubles */
    lb_plan p;
    o.warm_up_s = LB_MEASURE_MAX_S;
    o.measurement_s = LB_MEASURE_MAX_S;
    o.budget_s = 0;
    o.sample_size = 100000;
    p = lb_measure_plan(&o, 1e-3);
    ck_assert(p.step >= 1.0 && p.step < 1.8e19);
    ck_assert_uint_le(p.nsamples, 100000);
}
END_TEST

/* A routine that fails on call number fail_at (1-based), and hooks that log
 * the statuses they are handed: the protocol that keeps MPI ranks in step. */
typedef struct {
    unsigned calls, fail_at, before_calls, agree_calls, after_calls;
    int      before_status[64], agree_status, last_after_status;
} proto;

static int failing_run(void *ctx, uint64_t iters, uint64_t *elapsed)
{
    proto *p = ctx;
    *elapsed = iters * 1000;
    return ++p->calls == p->fail_at ? LB_ENOMEM : LB_OK;
}

static int log_before(int status, void *arg)
{
    proto *p = arg;
    if (p->before_calls < 64) p->before_status[p->before_calls] = status;
    p->before_calls++;
    return status;
}

static int log_agree(int status, double *est, void *arg)
{
    proto *p = arg;
    (void)est;
    p->agree_calls++;
    p->agree_status = status;
    return status;
}

static int double_after(int status, uint64_t *t, uint64_t *wall, void *arg)
{
    proto *p = arg;
    p->after_calls++;
    p->last_after_status = status;
    *t *= 2; /* "the slowest rank took twice as long" */
    (void)wall;
    return status;
}

static lb_measure_opts proto_opts(proto *p)
{
    lb_measure_opts o = lb_measure_defaults();
    o.warm_up_s = 0.0;
    o.measurement_s = 0.01;
    o.sample_size = 10;
    o.before_sample = log_before;
    o.agree = log_agree;
    o.hook_arg = p;
    return o;
}

START_TEST(failure_reported_at_next_hook)
{
    /* warm-up takes one call (warm_up_s 0), so call 4 is the third sample */
    proto p = {0};
    p.fail_at = 4;
    lb_measure_opts o = proto_opts(&p);
    lb_measurement m;
    ck_assert_int_eq(lb_measure(failing_run, &p, &o, &m), LB_ENOMEM);
    ck_assert_uint_eq(p.agree_calls, 1);
    ck_assert_int_eq(p.agree_status, LB_OK);
    /* before samples 1..3 with OK, then one more call carrying the failure */
    ck_assert_uint_eq(p.before_calls, 4);
    ck_assert_int_eq(p.before_status[2], LB_OK);
    ck_assert_int_eq(p.before_status[3], LB_ENOMEM);
    ck_assert_ptr_null(m.iters);

    /* a failure in the warm-up reaches the agree hook, and no sample runs */
    proto q = {0};
    q.fail_at = 1;
    o = proto_opts(&q);
    ck_assert_int_eq(lb_measure(failing_run, &q, &o, &m), LB_ENOMEM);
    ck_assert_uint_eq(q.agree_calls, 1);
    ck_assert_int_eq(q.agree_status, LB_ENOMEM);
    ck_assert_uint_eq(q.before_calls, 0);
}
END_TEST

START_TEST(after_hook_agrees_on_times)
{
    proto p = {0};
    lb_measure_opts o = proto_opts(&p);
    o.after = double_after;
    lb_measurement m;
    ck_assert_int_eq(lb_measure(failing_run, &p, &o, &m), LB_OK);
    ck_assert_uint_eq(p.after_calls, p.calls); /* once per warm-up batch and sample */
    for (size_t i = 0; i < m.nsamples; i++) ck_assert_double_eq_tol(m.ns_per_iter[i], 2000.0, 1e-9);
    lb_measurement_free(&m);

    /* with an after hook, the failure is told there, not by a further before hook */
    proto q = {0};
    q.fail_at = 3;
    o = proto_opts(&q);
    o.after = double_after;
    ck_assert_int_eq(lb_measure(failing_run, &q, &o, &m), LB_ENOMEM);
    ck_assert_int_eq(q.last_after_status, LB_ENOMEM);
    ck_assert_uint_eq(q.before_calls, 2);
    ck_assert_int_eq(q.before_status[1], LB_OK);
}
END_TEST

START_TEST(clock_calibration)
{
    double res, over;
    lb_clock_calibrate(&res, &over);
    ck_assert_double_gt(res, 0.0);
    ck_assert_double_lt(res, 1e6);
    ck_assert_double_gt(over, 0.0);
    ck_assert_double_lt(over, 1e5);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("measure");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, linear_plan_and_slope);
    tcase_add_test(tc, flat_when_linear_too_long);
    tcase_add_test(tc, budget_limits_samples);
    tcase_add_test(tc, budget_bounds_warm_up);
    tcase_add_test(tc, known_cost_benchmark);
    tcase_add_test(tc, bad_options);
    tcase_add_test(tc, clock_calibration);
    tcase_add_test(tc, failure_reported_at_next_hook);
    tcase_add_test(tc, after_hook_agrees_on_times);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
