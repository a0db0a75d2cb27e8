/* The measurement core: Criterion's sampling scheme in C, kept apart from the
 * command line (as zstd keeps benchfn apart from its CLI).
 *
 * A routine runs `iters` iterations of the operation under test and reports
 * the time of the timed part only, so setup can be excluded (iter_batched). */
#ifndef LATENTBENCH_BENCH_H
#define LATENTBENCH_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic clock in nanoseconds. */
uint64_t lb_clock_ns(void);

/* Measures the clock: the smallest non-zero step seen and the cost of one call. */
void lb_clock_calibrate(double *resolution_ns, double *overhead_ns);

/* Returns LB_OK or a negative LB_* code; *elapsed_ns is the timed part. */
typedef int (*lb_routine)(void *ctx, uint64_t iters, uint64_t *elapsed_ns);

/* Hooks through which ranks run one plan. Each takes this process's status
 * (LB_OK, or the failure that stopped it) and returns the status every rank
 * agreed on: a failing process still calls the next hook, so that under MPI
 * the ranks leave the measurement after the same collective. NULL hooks are
 * skipped. */

/* Before every sample (MPI: barrier and status agreement). */
typedef int (*lb_sample_hook)(int status, void *arg);

/* Turns this process's per-iteration estimate into the one every process
 * plans with (MPI: the maximum over ranks), so all ranks take the same
 * samples. */
typedef int (*lb_agree_hook)(int status, double *estimate_ns, void *arg);

/* After every warm-up batch and every sample: replaces this process's timed
 * and wall nanoseconds by the values the ranks agree on (data sharding: the
 * slowest rank's). When set, warm-up decisions use only agreed values, so
 * every rank runs the same batches (the operation itself is collective). */
typedef int (*lb_after_hook)(int status, uint64_t *elapsed_ns, uint64_t *wall_ns, void *arg);

/* The longest warm-up or measurement time lb_measure accepts (a day): longer
 * is a typo, and the bound keeps every conversion to nanoseconds exact. */
#define LB_MEASURE_MAX_S 86400.0

typedef struct {
    double   warm_up_s;       /* default 3 */
    double   measurement_s;   /* default 5 */
    unsigned sample_size;     /* default 100 */
    double   budget_s;        /* whole benchmark incl. warm-up; 0 = 2 x (warm-up + measurement) + 1 */
    lb_sample_hook before_sample;
    lb_agree_hook  agree;
    lb_after_hook  after;
    void    *hook_arg;
} lb_measure_opts;

typedef enum { LB_SAMPLING_LINEAR, LB_SAMPLING_FLAT } lb_sampling;

typedef struct {
    lb_sampling sampling;
    size_t      nsamples;
    uint64_t   *iters;        /* per sample (lb_malloc'd, caller frees with lb_measurement_free) */
    double     *ns_per_iter;  /* per sample */
    uint64_t    total_iters;
    double      estimate_ns;  /* per-iteration estimate from the warm-up */
    int         budget_limited; /* fewer samples than asked, to stay within the budget */
    double      elapsed_s;    /* wall time of the whole measurement */
} lb_measurement;

/* The sample plan for a per-iteration estimate: what lb_measure will run. */
typedef struct {
    lb_sampling sampling;
    size_t      nsamples;
    double      step;           /* linear: iterations added per sample; flat: iterations per sample */
    double      planned_ns;     /* est x the iterations of all samples */
    int         budget_limited;
} lb_plan;

/* Criterion's plan: linear (step, 2 step, ..., n step iterations) unless that
 * would take over twice the measurement time, then flat; under the budget
 * (what is left of it after the warm-up) the sample count shrinks, at least 2. */
lb_plan lb_measure_plan(const lb_measure_opts *opts, double est_ns);

lb_measure_opts lb_measure_defaults(void);

/* The options of one of `rounds` rounds: warm-up, measurement time and budget
 * split evenly, the samples too but at least 5 a round, so that each round has
 * a median of its own. */
lb_measure_opts lb_measure_round_opts(const lb_measure_opts *all, unsigned rounds);
lb_measure_opts lb_measure_quick(void); /* 0.3 s warm-up, 1 s measurement, 20 samples */

/* Warm-up by time (iterations doubling; never past the budget), estimate,
 * then samples: linear (d, 2d, ..., n*d iterations) unless that would take
 * over twice the measurement time, then flat. Under a budget the sample count
 * shrinks (at least 2 samples) and budget_limited is set. LB_EUSAGE for times
 * outside their ranges (warm-up 0..LB_MEASURE_MAX_S, measurement above 0 up
 * to it, budget >= 0) or NaN. */
int  lb_measure(lb_routine fn, void *ctx, const lb_measure_opts *opts, lb_measurement *m);
void lb_measurement_free(lb_measurement *m);

/* Keeps a value alive so the work producing it cannot be optimised away. */
static inline void lb_consume(const void *p)
{
    __asm__ volatile("" : : "r"(p) : "memory");
}

#endif
