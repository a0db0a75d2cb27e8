/* What a results file may hold beyond its layout: the values a run can
 * produce. The HDF5 layer checks types and shapes; this checks the numbers and
 * words that the commands then trust as loop bounds, divisors and labels, so a
 * damaged or crafted file is one error line instead of a hang or a nonsense
 * report. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "h5io.h"
#include "latentbench/error.h"
#include "latentbench/results.h"
#include "latentbench/text.h"

/* A time or rate: NaN marks "not measured" (a slope without linear sampling,
 * statistics of a row without samples); negative or infinite is no
 * measurement at all. */
static int bad_time(double x) { return x < 0 || isinf(x); }

static int one_of(const char *s, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, words[i]) == 0) return 1;
    return 0;
}

/* "/benchmarks row 3 ('knn_search/dim_128/10')", the id made printable. */
static void where(char *buf, size_t len, const char *table, size_t i, const char *id)
{
    char safe[LB_ID_LEN + 16];
    lb_sanitize(safe, sizeof safe, id);
    snprintf(buf, len, "%s row %zu ('%s')", table, i, safe);
}

static int check_row(const lb__ctx *c, const char *table, const lb_row *row, size_t i, size_t nsamples, int plain)
{
    char at[LB_ID_LEN + 64];
    where(at, sizeof at, table, i, row->id);
    if (!row->id[0]) return lb__fail(c, LB_EDATA, "%s has an empty id", at);
    const struct {
        const char *name;
        int64_t     v;
    } counts[] = {
        {"samples", row->samples},         {"iterations", row->iterations}, {"rounds", row->rounds},
        {"ranks", row->ranks},             {"outliers_mild", row->outliers_mild},
        {"outliers_severe", row->outliers_severe},                          {"dimension", row->dimension},
        {"k", row->k},                     {"dataset_size", row->dataset_size},
        {"batch_size", row->batch_size},   {"seq_len", row->seq_len},       {"num_heads", row->num_heads},
        {"num_experts", row->num_experts},
    };
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++)
        if (counts[k].v < 0)
            return lb__fail(c, LB_EDATA, "%s: %s is %lld, not a count", at, counts[k].name, (long long)counts[k].v);
    if (row->measured_rank < -1)
        return lb__fail(c, LB_EDATA, "%s: measured_rank is %lld", at, (long long)row->measured_rank);
    if (plain && (uint64_t)row->samples != nsamples)
        return lb__fail(c, LB_EDATA, "%s: samples is %lld but /samples/%zu holds %zu", at, (long long)row->samples, i,
                        nsamples);
    const struct {
        const char *name;
        double      v;
    } times[] = {
        {"mean_ns", row->mean_ns},
        {"median_ns", row->median_ns},
        {"std_dev_ns", row->std_dev_ns},
        {"mad_ns", row->mad_ns},
        {"min_ns", row->min_ns},
        {"max_ns", row->max_ns},
        {"ci_low_ns", row->ci_low_ns},
        {"ci_high_ns", row->ci_high_ns},
        {"slope_ns", row->slope_ns},
        {"throughput_elements", row->throughput_elements},
        {"throughput_bytes", row->throughput_bytes},
        {"rank_min_ns", row->rank_min_ns},
        {"rank_median_ns", row->rank_median_ns},
        {"rank_max_ns", row->rank_max_ns},
        {"rank_mean_ns", row->rank_mean_ns},
        {"comm_fraction", row->comm_fraction},
        {"parallel_efficiency", row->parallel_efficiency},
        {"bound_ns", row->bound_ns},
    };
    for (size_t k = 0; k < sizeof times / sizeof times[0]; k++)
        if (bad_time(times[k].v)) return lb__fail(c, LB_EDATA, "%s: %s is %g", at, times[k].name, times[k].v);
    static const char *const kinds[] = {"", "read_mem", "read_hot", "fma"};
    char safe[LB_NAME_LEN + 16];
    if (!one_of(row->bound_kind, kinds, 4))
        return lb__fail(c, LB_EDATA, "%s: bound_kind is '%s', expected read_mem, read_hot, fma or empty", at,
                        lb_sanitize(safe, sizeof safe, row->bound_kind));
    if (isnan(row->bound_ns) || (row->bound_ns > 0) != (row->bound_kind[0] != '\0'))
        return lb__fail(c, LB_EDATA, "%s: bound_ns %g does not go with bound_kind '%s'", at, row->bound_ns,
                        row->bound_kind);
    return LB_OK;
}

static int check_meta(const lb__ctx *c, const lb_meta *m)
{
    static const char *const shards[] = {"", "none", "matrix", "data"}, *const scalings[] = {"", "strong", "weak"};
    const struct {
        const char *name;
        int64_t     v;
    } counts[] = {
        {"mpi_ranks", m->mpi_ranks}, {"omp_threads", m->omp_threads},           {"nodes", m->nodes},
        {"node_concurrency", m->node_concurrency},                              {"library_size", m->library_size},
    };
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++)
        if (counts[k].v < 0)
            return lb__fail(c, LB_EDATA, "root attribute '%s' is %lld, not a count", counts[k].name,
                            (long long)counts[k].v);
    if (m->complete != 0 && m->complete != 1)
        return lb__fail(c, LB_EDATA, "root attribute 'complete' is %lld, expected 0 or 1", (long long)m->complete);
    const struct {
        const char *name;
        double      v;
    } times[] = {
        {"timer_resolution_ns", m->timer_resolution_ns}, {"timer_overhead_ns", m->timer_overhead_ns},
        {"makespan_s", m->makespan_s},                   {"ideal_makespan_s", m->ideal_makespan_s},
        {"predicted_makespan_s", m->predicted_makespan_s},
    };
    for (size_t k = 0; k < sizeof times / sizeof times[0]; k++)
        if (bad_time(times[k].v) || isnan(times[k].v))
            return lb__fail(c, LB_EDATA, "root attribute '%s' is %g", times[k].name, times[k].v);
    char safe[64];
    if (m->shard && !one_of(m->shard, shards, 4))
        return lb__fail(c, LB_EDATA, "root attribute 'shard' is '%s', expected none, matrix or data",
                        lb_sanitize(safe, sizeof safe, m->shard));
    if (m->scaling && !one_of(m->scaling, scalings, 3))
        return lb__fail(c, LB_EDATA, "root attribute 'scaling' is '%s', expected strong, weak or empty",
                        lb_sanitize(safe, sizeof safe, m->scaling));
    return LB_OK;
}

static int check_ab(const lb__ctx *c, const lb_results *r)
{
    static const char *const orders[] = {"abba", "random"}, *const verdicts[] = {"Regression", "Improvement", "NoChange"},
                             *const memory[] = {"Same", "More", "Less"};
    char at[LB_ID_LEN + 64], safe[LB_NAME_LEN + 16];
    for (size_t i = 0; i < r->nrows; i++) {
        const lb_ab_row *a = &r->ab[i];
        where(at, sizeof at, "/ab", i, a->id);
        if (a->rounds < 0 || a->block_iters < 0 || a->rounds_repeated < 0)
            return lb__fail(c, LB_EDATA, "%s: a negative count (rounds %lld, block_iters %lld, rounds_repeated %lld)",
                            at, (long long)a->rounds, (long long)a->block_iters, (long long)a->rounds_repeated);
        const char *word = !one_of(a->order, orders, 2)        ? "order"
                           : !one_of(a->verdict, verdicts, 3)  ? "verdict"
                           : !one_of(a->memory_verdict, memory, 3) ? "memory_verdict"
                                                                     : NULL;
        if (word) {
            const char *v = word[0] == 'o' ? a->order : word[0] == 'v' ? a->verdict : a->memory_verdict;
            return lb__fail(c, LB_EDATA, "%s: %s is '%s'", at, word, lb_sanitize(safe, sizeof safe, v));
        }
        const double ds[] = {a->ratio, a->ratio_ci_low, a->ratio_ci_high, a->ratio_upper, a->ratio_lower,
                             a->log_ratio_mad, a->threshold_pct};
        for (size_t k = 0; k < sizeof ds / sizeof ds[0]; k++)
            if (bad_time(ds[k])) return lb__fail(c, LB_EDATA, "%s: a ratio or threshold is %g", at, ds[k]);
        const double ps[] = {a->confidence, a->p_slower, a->p_faster};
        for (size_t k = 0; k < 3; k++)
            if (ps[k] < 0 || ps[k] > 1) return lb__fail(c, LB_EDATA, "%s: a probability is %g", at, ps[k]);
        size_t np = r->npairs ? r->npairs[i] : 0;
        for (size_t j = 0; j < np; j++) {
            const lb_ab_pair *p = &r->pairs[i][j];
            if ((p->b_first != 0 && p->b_first != 1) || bad_time(p->a_ns) || bad_time(p->b_ns) || isnan(p->a_ns) ||
                isnan(p->b_ns))
                return lb__fail(c, LB_EDATA, "/ab_pairs/%zu entry %zu: b_first %lld, a_ns %g, b_ns %g", i, j,
                                (long long)p->b_first, p->a_ns, p->b_ns);
        }
        int rc = check_row(c, "/base_benchmarks", &r->base_rows[i], i, 0, 0);
        if (rc) return rc;
    }
    return LB_OK;
}

int lb_results_check(const lb_results *r, const char *path, char *err, size_t errlen)
{
    lb__ctx ctx = {path ? path : "(null)", err, errlen, 0};
    const lb__ctx *c = &ctx;
    if (!r) return lb__fail(c, LB_EINTERNAL, "no results to check");
    int rc = check_meta(c, &r->meta);
    for (size_t i = 0; !rc && i < r->nrows; i++) {
        size_t ns = r->nsamples ? r->nsamples[i] : 0;
        if ((rc = check_row(c, "/benchmarks", &r->rows[i], i, ns, !r->ab))) break;
        for (size_t j = 0; j < ns; j++) {
            double t = r->samples[i][j].ns_per_iter;
            if (bad_time(t) || isnan(t)) {
                rc = lb__fail(c, LB_EDATA, "/samples/%zu entry %zu: ns_per_iter is %g", i, j, t);
                break;
            }
        }
    }
    for (size_t k = 0; !rc && k < r->nranks; k++)
        if (r->ranks[k].rank < 0 || r->ranks[k].cores < 0)
            rc = lb__fail(c, LB_EDATA, "/ranks row %zu: rank %lld, cores %lld", k, (long long)r->ranks[k].rank,
                          (long long)r->ranks[k].cores);
    static const char *const bkinds[] = {"read_mem", "read_hot", "triad", "fma"}, *const units[] = {"B/s", "flop/s"};
    for (size_t k = 0; !rc && k < r->nbounds; k++) {
        const lb_bound *b = &r->bounds[k];
        char sk[LB_NAME_LEN + 16], su[LB_NAME_LEN + 16];
        if (!one_of(b->kind, bkinds, 4) || !one_of(b->unit, units, 2) || b->threads < 1 || !(b->value > 0) ||
            isinf(b->value))
            rc = lb__fail(c, LB_EDATA, "/bounds row %zu: kind '%s', threads %lld, value %g, unit '%s'", k,
                          lb_sanitize(sk, sizeof sk, b->kind), (long long)b->threads, b->value,
                          lb_sanitize(su, sizeof su, b->unit));
    }
    if (!rc && r->ab) rc = check_ab(c, r);
    return rc;
}
