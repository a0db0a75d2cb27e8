/* The schedule of a matrix-sharded run: what each case costs, and which rank
 * measures it. */
#include "latentbench/alloc.h"
#include "latentbench/ops.h"
#include "latentbench/runner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double cost;
    size_t index;
} costed;

static int by_cost_desc(const void *a, const void *b)
{
    const costed *x = a, *y = b;
    if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

void lb_schedule_lpt(const double *cost, size_t n, size_t nslots, size_t *slot, double *load)
{
    double *l = load;
    if (!l) l = lb_calloc(nslots ? nslots : 1, sizeof *l);
    costed *order = lb_malloc((n ? n : 1) * sizeof *order);
    if (!l || !order || nslots == 0) { /* no memory for the order: round robin, still every case once */
        for (size_t i = 0; i < n; i++) slot[i] = nslots ? i % nslots : 0;
        if (l && l != load) lb_free(l);
        lb_free(order);
        return;
    }
    memset(l, 0, nslots * sizeof *l);
    for (size_t i = 0; i < n; i++) {
        order[i].cost = isfinite(cost[i]) && cost[i] > 0 ? cost[i] : 0.0;
        order[i].index = i;
    }
    qsort(order, n, sizeof *order, by_cost_desc);
    for (size_t j = 0; j < n; j++) {
        size_t best = 0;
        for (size_t s = 1; s < nslots; s++)
            if (l[s] < l[best]) best = s;
        slot[order[j].index] = best;
        l[best] += order[j].cost;
    }
    if (l != load) lb_free(l);
    lb_free(order);
}

/* Floats an iteration touches, split into scan-like and batch-like work, and
 * the floats built in setup. */
static void case_work(const lb_case *c, double *scan, double *batch, double *built)
{
    double d = (double)c->dimension, n = (double)c->dataset_size, q = (double)(c->batch_size > 0 ? c->batch_size : 1);
    double seq = (double)(c->seq_len ? c->seq_len : c->dataset_size);
    *scan = *batch = *built = 0;
    switch (lb_op_kind_parse(c->op)) {
    case LB_OP_ADD: *built = 1024 * d; *scan = d; break;
    case LB_OP_ADD_BATCH: *built = q * d; *scan = q * d; break;
    case LB_OP_KNN: *built = n * d; *scan = n * d; break;
    case LB_OP_KNN_BATCH: *built = n * d; *batch = q * n * d; break;
    case LB_OP_ATTN: *built = seq * d; *scan = 2 * seq * d; break; /* scores, then the weighted sum */
    case LB_OP_ATTN_BATCH: *built = seq * d; *batch = 2 * q * seq * d; break;
    case LB_OP_BUILD: *built = n * d; *scan = n * d; break;
    case LB_OP_ATTN_BUILD: *built = seq * d; *scan = 3 * seq * d; break;
    default: break;
    }
}

double lb_case_cost(const lb_cost_model *m, const lb_case *c, const lb_measure_opts *mo, unsigned rounds)
{
    double scan, batch, built;
    case_work(c, &scan, &batch, &built);
    double iter_s = (scan * m->scan_ns_per_float + batch * m->batch_ns_per_float) * 1e-9;
    double setup_s = built * m->build_ns_per_float * 1e-9;
    /* the sample plan lb_measure will make from this estimate; linear plans
     * round up to whole steps, so a case can take up to twice the
     * measurement time */
    lb_measure_opts o = lb_measure_round_opts(mo, rounds);
    lb_plan p = lb_measure_plan(&o, fmax(iter_s * 1e9, 1.0));
    /* warm-up runs doubling batches until its time is spent: at least one
     * iteration, at most about twice the warm-up time past one iteration */
    double warm = fmax(o.warm_up_s, iter_s);
    return (double)(rounds ? rounds : 1) * (setup_s + warm + p.planned_ns * 1e-9);
}

/* Median time of `reps` calls of a routine, in ns. */
static double median_ns(lb_routine fn, void *ctx, int reps)
{
    double t[9];
    if (reps > 9) reps = 9;
    for (int i = 0; i < reps; i++) {
        uint64_t e = 0;
        fn(ctx, 1, &e);
        t[i] = (double)e;
    }
    for (int i = 1; i < reps; i++)
        for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    return t[reps / 2];
}

static void probe_case(lb_case *c, const char *op, int64_t n, int64_t q)
{
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "calibration/%s", op);
    snprintf(c->op, sizeof c->op, "%s", op);
    c->dimension = 128;
    c->dataset_size = n;
    c->batch_size = q;
    c->k = 10;
}

/* The constants come from liblatent itself, on shapes small enough to stay
 * in cache briefly: the model needs ratios between cases right, not absolute
 * truth, and the scheduler only compares cases with each other. */
void lb_cost_model_calibrate(lb_cost_model *m, const lb_latent *lt)
{
    m->build_ns_per_float = 2.0; /* fallbacks if a probe cannot run */
    m->scan_ns_per_float = 0.25;
    m->batch_ns_per_float = 0.05;
    lb_op_env env = {lt, 42, NULL, NULL, 0};
    lb_case c;
    lb_op_ctx *op = NULL;
    char err[256];
    const int64_t n = 8192;

    probe_case(&c, "add_batch", 0, n);
    if (lb_op_prepare(&c, &env, &op, err, sizeof err) == 0) {
        double ns = median_ns(lb_op_run, op, 3);
        if (ns > 0) m->build_ns_per_float = ns / (double)(n * c.dimension) + 0.5; /* + generating the data */
        lb_op_free(op);
    }
    probe_case(&c, "knn", n, 1);
    if (lb_op_prepare(&c, &env, &op, err, sizeof err) == 0) {
        double ns = median_ns(lb_op_run, op, 7);
        if (ns > 0) m->scan_ns_per_float = ns / (double)(n * c.dimension);
        lb_op_free(op);
    }
    probe_case(&c, "knn_batch", n, 32);
    if (lb_op_prepare(&c, &env, &op, err, sizeof err) == 0) {
        double ns = median_ns(lb_op_run, op, 3);
        if (ns > 0) m->batch_ns_per_float = ns / (double)(32 * n * c.dimension);
        lb_op_free(op);
    }
}
