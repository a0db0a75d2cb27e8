/* Criterion's measurement loop: warm up by time, estimate the cost of one
 * iteration, then plan samples linear (d, 2d, ..., n*d) or flat. */
#include "latentbench/bench.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"

#include <math.h>
#include <string.h>

lb_measure_opts lb_measure_defaults(void)
{
    lb_measure_opts o;
    memset(&o, 0, sizeof o);
    o.warm_up_s = 3.0;
    o.measurement_s = 5.0;
    o.sample_size = 100;
    return o;
}

lb_measure_opts lb_measure_quick(void)
{
    lb_measure_opts o = lb_measure_defaults();
    o.warm_up_s = 0.3;
    o.measurement_s = 1.0;
    o.sample_size = 20;
    return o;
}

#define LB_ROUND_MIN_SAMPLES 5
lb_measure_opts lb_measure_round_opts(const lb_measure_opts *all, unsigned rounds)
{
    lb_measure_opts mo = *all;
    if (rounds <= 1) return mo;
    mo.warm_up_s /= rounds;
    mo.measurement_s /= rounds;
    if (mo.budget_s > 0) mo.budget_s /= rounds;
    unsigned n = (all->sample_size + rounds - 1) / rounds;
    mo.sample_size = n < LB_ROUND_MIN_SAMPLES ? LB_ROUND_MIN_SAMPLES : n;
    return mo;
}

void lb_measurement_free(lb_measurement *m)
{
    if (!m) return;
    lb_free(m->iters);
    lb_free(m->ns_per_iter);
    m->iters = NULL;
    m->ns_per_iter = NULL;
}

lb_plan lb_measure_plan(const lb_measure_opts *opts, double est)
{
    lb_plan p;
    memset(&p, 0, sizeof p);
    double budget_s = opts->budget_s > 0 ? opts->budget_s : 2.0 * (opts->warm_up_s + opts->measurement_s) + 1.0;
    size_t n = opts->sample_size;
    double meas_ns = opts->measurement_s * 1e9;
    double tri = (double)n * (double)(n + 1) / 2.0;
    double d = fmax(1.0, ceil(meas_ns / (est * tri)));
    double flat = fmax(1.0, ceil(meas_ns / (est * (double)n)));
    p.sampling = LB_SAMPLING_LINEAR;
    p.step = d;
    p.planned_ns = est * tri * d;
    if (p.planned_ns > 2.0 * meas_ns) {
        p.sampling = LB_SAMPLING_FLAT;
        p.step = flat;
        p.planned_ns = est * (double)n * flat;
    }
    /* budget: what is left of it after the warm-up (the same on every rank,
     * since it derives from the agreed estimate and the options) */
    double left_ns = budget_s * 1e9 - opts->warm_up_s * 1e9;
    if (left_ns < meas_ns) left_ns = meas_ns;
    if (p.planned_ns > left_ns) {
        p.sampling = LB_SAMPLING_FLAT;
        p.step = 1.0;
        /* compared as doubles first: the conversion is then of a value below n */
        double fit = floor(left_ns / est);
        n = fit < 2 ? 2 : (fit < (double)n ? (size_t)fit : n);
        p.budget_limited = n < opts->sample_size;
        p.planned_ns = est * (double)n;
    }
    p.nsamples = n;
    return p;
}

/* One run of the routine and, when set, the after hook's agreement on it. */
static int timed(lb_routine fn, void *ctx, const lb_measure_opts *o, uint64_t iters, uint64_t *t, uint64_t *wall)
{
    uint64_t w0 = lb_clock_ns();
    *t = 0;
    int rc = fn(ctx, iters, t);
    *wall = lb_clock_ns() - w0;
    if (o->after) rc = o->after(rc, t, wall, o->hook_arg);
    return rc;
}

int lb_measure(lb_routine fn, void *ctx, const lb_measure_opts *opts, lb_measurement *m)
{
    /* the documented ranges (bench.h): every time below converts to whole
     * nanoseconds exactly, and NaN fails every comparison */
    if (!fn || !opts || !m || opts->sample_size < 2 || !(opts->measurement_s > 0) ||
        !(opts->measurement_s <= LB_MEASURE_MAX_S) || !(opts->warm_up_s >= 0) ||
        !(opts->warm_up_s <= LB_MEASURE_MAX_S) || !(opts->budget_s >= 0))
        return LB_EUSAGE;
    memset(m, 0, sizeof *m);
    uint64_t start = lb_clock_ns();

    /* warm-up: double the iterations until the warm-up time is spent, counted
     * as Criterion does by the routine's own time, or by the wall clock when
     * untimed setup dominates (with an after hook: the agreed wall clock, so
     * every rank stops after the same batch) */
    uint64_t wu_iters = 0, wu_ns = 0, wu_wall = 0, batch = 1;
    /* the budget bounds the whole benchmark, the warm-up included */
    double warm_s = opts->budget_s > 0 ? fmin(opts->warm_up_s, opts->budget_s) : opts->warm_up_s;
    uint64_t wu_limit = (uint64_t)(warm_s * 1e9);
    int rc = LB_OK;
    do {
        uint64_t t, wall;
        if ((rc = timed(fn, ctx, opts, batch, &t, &wall))) break;
        wu_iters += batch;
        wu_ns += t;
        wu_wall += wall;
        if (batch < (UINT64_C(1) << 40)) batch *= 2;
    } while (wu_ns < wu_limit && (opts->after ? wu_wall : lb_clock_ns() - start) < wu_limit);
    double est = rc ? 1.0 : (double)wu_ns / (double)wu_iters;
    if (est <= 0) est = 1.0; /* faster than the clock can see */
    /* no operation takes under a picosecond: a smaller estimate (a routine
     * whose timed part the clock missed) would plan iteration counts past
     * 64 bits */
    if (est < 1e-3) est = 1e-3;

    /* a rank that failed in its warm-up still meets the others here */
    if (opts->agree) rc = opts->agree(rc, &est, opts->hook_arg);
    if (rc) return rc;
    m->estimate_ns = est;

    lb_plan plan = lb_measure_plan(opts, est);
    size_t n = plan.nsamples;
    m->sampling = plan.sampling;
    m->budget_limited = plan.budget_limited;

    m->iters = lb_malloc(n * sizeof *m->iters);
    m->ns_per_iter = lb_malloc(n * sizeof *m->ns_per_iter);
    rc = (!m->iters || !m->ns_per_iter) ? LB_ENOMEM : LB_OK;
    m->nsamples = n;
    for (size_t i = 0; !rc && i < n; i++)
        m->iters[i] = m->sampling == LB_SAMPLING_LINEAR ? (uint64_t)plan.step * (i + 1) : (uint64_t)plan.step;

    for (size_t i = 0; i < n; i++) {
        if (opts->before_sample) rc = opts->before_sample(rc, opts->hook_arg);
        if (rc) break;
        uint64_t t, wall;
        if ((rc = timed(fn, ctx, opts, m->iters[i], &t, &wall))) {
            /* tell the others at the point where they wait next; an after
             * hook has told them already */
            if (opts->before_sample && !opts->after) opts->before_sample(rc, opts->hook_arg);
            break;
        }
        m->ns_per_iter[i] = (double)t / (double)m->iters[i];
        m->total_iters += m->iters[i];
    }
    if (rc) {
        lb_measurement_free(m);
        return rc;
    }
    m->elapsed_s = (double)(lb_clock_ns() - start) * 1e-9;
    return LB_OK;
}
