/* The comparison of a results file against a baseline: rows matched by id,
 * the change of each row's time with its bootstrap CI and a Mann-Whitney test
 * on the raw samples, memory against its thresholds, and the verdicts.
 * The rules and why they are these are in docs/REGRESSION.md. */
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/gate.h"
#include "latentbench/stats.h"
#include "latentbench/text.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *lb_verdict_name(lb_verdict v)
{
    switch (v) {
    case LB_VERDICT_NO_CHANGE: return "NoChange";
    case LB_VERDICT_REGRESSION: return "Regression";
    case LB_VERDICT_IMPROVEMENT: return "Improvement";
    case LB_VERDICT_NEW: return "NewBenchmark";
    case LB_VERDICT_MISSING: return "Missing";
    }
    return "unknown";
}

int lb_gate_exit_status(const lb_comparison *cmp)
{
    if (cmp->counts[LB_VERDICT_REGRESSION]) return 1;
    if (cmp->counts[LB_VERDICT_IMPROVEMENT]) return 2;
    return 0;
}

void lb_comparison_free(lb_comparison *cmp)
{
    if (!cmp) return;
    lb_free(cmp->rows);
    cmp->rows = NULL;
    cmp->nrows = 0;
}

/* The samples of row i as plain times; LB_EDATA unless every one is a finite
 * time > 0 (a zero baseline time has no relative change). */
static int sample_times(const lb_results *r, size_t i, const char *side, double **out, char *err, size_t errlen)
{
    size_t n = r->nsamples ? r->nsamples[i] : 0;
    char id[LB_ID_LEN + 16];
    lb_sanitize(id, sizeof id, r->rows[i].id);
    if (!n || !r->samples || !r->samples[i])
        return lb_errorf(err, errlen, LB_EDATA, "%s: benchmark '%s' has no raw samples to compare", side, id);
    double *x = lb_malloc(n * sizeof *x);
    if (!x) return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", side);
    for (size_t j = 0; j < n; j++) {
        x[j] = r->samples[i][j].ns_per_iter;
        if (!isfinite(x[j]) || x[j] <= 0) {
            lb_free(x);
            return lb_errorf(err, errlen, LB_EDATA, "%s: benchmark '%s': sample %zu is %g ns, not a positive time",
                             side, id, j, r->samples[i][j].ns_per_iter);
        }
    }
    *out = x;
    return LB_OK;
}

static int by_round_then_time(const void *x, const void *y)
{
    const lb_sample *a = x, *b = y;
    if (a->round != b->round) return a->round < b->round ? -1 : 1;
    return (a->ns_per_iter > b->ns_per_iter) - (a->ns_per_iter < b->ns_per_iter);
}

/* The median of each round of row i (samples already checked by sample_times),
 * or *nrounds = 0 when the row has fewer than LB_GATE_MIN_ROUNDS rounds. */
static int round_medians(const lb_results *r, size_t i, double **out, size_t *nrounds)
{
    size_t n = r->nsamples[i];
    *out = NULL;
    *nrounds = 0;
    lb_sample *s = lb_malloc(n * sizeof *s);
    double *m = lb_malloc(n * sizeof *m);
    if (!s || !m) {
        lb_free(s);
        lb_free(m);
        return LB_ENOMEM;
    }
    memcpy(s, r->samples[i], n * sizeof *s);
    qsort(s, n, sizeof *s, by_round_then_time);
    size_t k = 0;
    for (size_t a = 0, b; a < n; a = b) {
        for (b = a; b < n && s[b].round == s[a].round; b++) {}
        size_t len = b - a, h = len / 2; /* sorted by time within the round */
        m[k++] = len % 2 ? s[a + h].ns_per_iter : 0.5 * (s[a + h - 1].ns_per_iter + s[a + h].ns_per_iter);
    }
    lb_free(s);
    if (k < LB_GATE_MIN_ROUNDS) {
        lb_free(m);
        return LB_OK;
    }
    *out = m;
    *nrounds = k;
    return LB_OK;
}

static double count_change(uint64_t base, uint64_t cur)
{
    if (base == 0) return cur == 0 ? 0.0 : INFINITY;
    return ((double)cur - (double)base) / (double)base * 100.0;
}

/* Time verdict of a matched row (docs/REGRESSION.md, "Verdicts"). The
 * threshold is compared with the upper end of what the data allow (the CI's far
 * bound or the median's change, whichever is larger): a slowdown exactly at the
 * threshold is then caught about 97% of the time instead of half of it. The two
 * floors keep drift between runs of the same code from counting. */
static lb_verdict time_verdict(const lb_comparison_row *r, double alpha)
{
    if (!(r->p_value < alpha)) return LB_VERDICT_NO_CHANGE;
    /* a change inside the drift seen between past runs is not evidence */
    if (isfinite(r->noise_pct) && fabs(r->median_change_pct) <= r->noise_pct) return LB_VERDICT_NO_CHANGE;
    double t = r->threshold_pct;
    if (fmax(r->ci_high_pct, r->median_change_pct) >= t && r->ci_low_pct > t * LB_GATE_NOISE_FRACTION &&
        r->median_change_pct > t * LB_GATE_MEDIAN_FRACTION)
        return LB_VERDICT_REGRESSION;
    double ti = t / 2; /* the design's improvement line */
    if (fmin(r->ci_low_pct, r->median_change_pct) <= -ti && r->ci_high_pct < -ti * LB_GATE_NOISE_FRACTION &&
        r->median_change_pct < -ti * LB_GATE_MEDIAN_FRACTION)
        return LB_VERDICT_IMPROVEMENT;
    return LB_VERDICT_NO_CHANGE;
}

static lb_verdict memory_verdict(const lb_comparison_row *r, const lb_gate_config *c)
{
    if (r->peak_change_pct > c->memory_peak_percent || r->alloc_change_pct > c->memory_alloc_percent)
        return LB_VERDICT_REGRESSION;
    if (r->peak_change_pct < -c->memory_peak_percent || r->alloc_change_pct < -c->memory_alloc_percent)
        return LB_VERDICT_IMPROVEMENT;
    return LB_VERDICT_NO_CHANGE;
}

static int compare_row(const lb_results *base, size_t bi, const lb_results *cur, size_t ci, const lb_gate_config *c,
                       lb_comparison_row *r, char *err, size_t errlen)
{
    double *a = NULL, *b = NULL;
    int rc = sample_times(base, bi, "baseline", &a, err, errlen);
    if (!rc) rc = sample_times(cur, ci, "current", &b, err, errlen);
    if (rc) {
        lb_free(a);
        return rc;
    }
    size_t na = base->nsamples[bi], nb = cur->nsamples[ci];
    double mean_a, mean_b, u;
    rc = lb_stats_median(a, na, &r->base_median_ns);
    if (!rc) rc = lb_stats_median(b, nb, &r->cur_median_ns);
    /* With rounds on both sides the test and the CI take one value per round
     * (its median): rounds are independent the way samples of one stretch of
     * time are not, so the p-value and CI then cover the machine's drift too. */
    double *ra = NULL, *rb = NULL;
    size_t nra = 0, nrb = 0;
    if (!rc) rc = round_medians(base, bi, &ra, &nra);
    if (!rc) rc = round_medians(cur, ci, &rb, &nrb);
    r->by_rounds = nra && nrb;
    const double *ua = r->by_rounds ? ra : a, *ub = r->by_rounds ? rb : b;
    r->base_units = r->by_rounds ? nra : na;
    r->cur_units = r->by_rounds ? nrb : nb;
    size_t resamples = c->resamples ? c->resamples : LB_GATE_RESAMPLES;
    if (!rc)
        rc = lb_stats_bootstrap_diff(ua, r->base_units, ub, r->cur_units, resamples, c->seed, 0.95, &r->ci_low_pct,
                                     &r->ci_high_pct);
    if (!rc) rc = lb_stats_mann_whitney(ua, r->base_units, ub, r->cur_units, &u, &r->p_value);
    /* the mean of the values the CI resampled: the point estimate inside it */
    if (!rc) rc = lb_stats_mean(ua, r->base_units, &mean_a);
    if (!rc) rc = lb_stats_mean(ub, r->cur_units, &mean_b);
    lb_free(ra);
    lb_free(rb);
    lb_free(a);
    lb_free(b);
    /* the samples passed sample_times' checks, so only memory can fail here */
    if (rc) {
        char id[LB_ID_LEN + 16];
        return lb_errorf(err, errlen, rc == LB_ENOMEM ? LB_ENOMEM : LB_EINTERNAL, "comparing '%s': %s",
                         lb_sanitize(id, sizeof id, r->id), lb_strerror(rc));
    }
    r->median_change_pct = (r->cur_median_ns - r->base_median_ns) / r->base_median_ns * 100.0;
    r->mean_change_pct = (mean_b - mean_a) / mean_a * 100.0;
    r->peak_change_pct = count_change(base->rows[bi].peak_bytes, cur->rows[ci].peak_bytes);
    r->alloc_change_pct = count_change(base->rows[bi].allocations, cur->rows[ci].allocations);
    double alpha = c->alpha > 0 && c->alpha < 1 ? c->alpha : LB_GATE_ALPHA;
    r->time_verdict = time_verdict(r, alpha);
    r->memory_verdict = memory_verdict(r, c);
    if (r->time_verdict == LB_VERDICT_REGRESSION || r->memory_verdict == LB_VERDICT_REGRESSION)
        r->verdict = LB_VERDICT_REGRESSION;
    else if (r->time_verdict == LB_VERDICT_IMPROVEMENT || r->memory_verdict == LB_VERDICT_IMPROVEMENT)
        r->verdict = LB_VERDICT_IMPROVEMENT;
    else
        r->verdict = LB_VERDICT_NO_CHANGE;
    return LB_OK;
}

static void empty_row(lb_comparison_row *r, const char *id, lb_verdict v, double threshold)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    r->verdict = r->time_verdict = r->memory_verdict = v;
    r->median_change_pct = r->mean_change_pct = r->ci_low_pct = r->ci_high_pct = NAN;
    r->p_value = r->peak_change_pct = r->alloc_change_pct = NAN;
    r->base_median_ns = r->cur_median_ns = NAN;
    r->noise_pct = NAN;
    r->threshold_pct = threshold;
}

/* The comparison's machine and commit strings are for people (reports,
 * warnings, notifications): sanitised once here, so no caller prints a file's
 * escape sequences. machine_differs compares the raw strings. */
static void copy_str(char *dst, size_t len, const char *src)
{
    lb_sanitize(dst, len, src ? src : "");
}

/* Index of the first row of r with this id, or r->nrows. Files hold a few
 * hundred rows: a linear search keeps this simple. */
static size_t find_row(const lb_results *r, const char *id)
{
    size_t i = 0;
    while (i < r->nrows && strcmp(r->rows[i].id, id) != 0) i++;
    return i;
}

/* The first field in which rows a and b describe different workloads, written
 * "FIELD X in the baseline, Y in the current file" into buf, or 0 when they
 * measured the same thing. An id is only a name: a suite edit (a new
 * dimension, a rescaled dataset) keeps it, and timings of different workloads
 * must not be compared. */
int lb_gate_workload_differs(const lb_row *a, const lb_row *b, char *buf, size_t len)
{
    static const struct {
        const char *name;
        size_t off;
    } INTS[] = {
        {"dimension", offsetof(lb_row, dimension)},     {"k", offsetof(lb_row, k)},
        {"dataset_size", offsetof(lb_row, dataset_size)}, {"batch_size", offsetof(lb_row, batch_size)},
        {"seq_len", offsetof(lb_row, seq_len)},           {"num_heads", offsetof(lb_row, num_heads)},
        {"num_experts", offsetof(lb_row, num_experts)},
    };
    /* a name left unset in the suite is the default one (docs/SUITES.md), and
     * names are read in any case: "" and "euclidean" measure what "Euclidean" does */
    static const struct {
        const char *name;
        size_t off;
        const char *unset;
    } STRS[] = {
        {"op", offsetof(lb_row, op), ""},
        {"metric", offsetof(lb_row, metric), "Euclidean"},
        {"attention", offsetof(lb_row, attention), "Standard"},
    };
    for (size_t i = 0; i < sizeof STRS / sizeof STRS[0]; i++) {
        const char *x = (const char *)a + STRS[i].off, *y = (const char *)b + STRS[i].off;
        const char *nx = *x ? x : STRS[i].unset;
        const char *ny = *y ? y : STRS[i].unset;
        if (strcasecmp(nx, ny) != 0) {
            char sx[LB_NAME_LEN + 16], sy[LB_NAME_LEN + 16];
            lb_sanitize(sx, sizeof sx, nx);
            lb_sanitize(sy, sizeof sy, ny);
            snprintf(buf, len, "%s '%s' in the baseline, '%s' in the current file", STRS[i].name, sx, sy);
            return 1;
        }
    }
    for (size_t i = 0; i < sizeof INTS / sizeof INTS[0]; i++) {
        int64_t x, y;
        memcpy(&x, (const char *)a + INTS[i].off, sizeof x);
        memcpy(&y, (const char *)b + INTS[i].off, sizeof y);
        if (x != y) {
            snprintf(buf, len, "%s %lld in the baseline, %lld in the current file", INTS[i].name, (long long)x,
                     (long long)y);
            return 1;
        }
    }
    return 0;
}

/* Ids in order, equal ids by row (for lb_gate_check_ids). */
static int by_id(const void *x, const void *y)
{
    const lb_row *const *a = x, *const *b = y;
    int c = strncmp((*a)->id, (*b)->id, LB_ID_LEN);
    return c ? c : (*a < *b ? -1 : *a > *b);
}

/* An id twice in a file: which of the two rows would be compared is
 * arbitrary. Sorting pointers keeps this O(n log n) for files of many
 * thousand rows. */
int lb_gate_check_ids(const lb_results *r, const char *side, char *err, size_t errlen)
{
    if (!r || !side) return lb_errorf(err, errlen, LB_EUSAGE, "lb_gate_check_ids: NULL argument");
    if (r->nrows < 2) return LB_OK;
    const lb_row **p = lb_malloc(r->nrows * sizeof *p);
    if (!p) return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", side);
    for (size_t i = 0; i < r->nrows; i++) p[i] = &r->rows[i];
    qsort(p, r->nrows, sizeof *p, by_id);
    int rc = LB_OK;
    for (size_t i = 1; i < r->nrows && !rc; i++)
        if (strncmp(p[i - 1]->id, p[i]->id, LB_ID_LEN) == 0) {
            char id[LB_ID_LEN + 16];
            rc = lb_errorf(err, errlen, LB_EDATA, "%s: benchmark id '%s' appears twice (rows %zu and %zu)", side,
                           lb_sanitize(id, sizeof id, p[i]->id), (size_t)(p[i - 1] - r->rows) + 1,
                           (size_t)(p[i] - r->rows) + 1);
        }
    lb_free(p);
    return rc;
}

void lb_gate_name_files(char *err, size_t errlen, const char *base_path, const char *cur_path)
{
    const char *path = NULL;
    size_t skip = 0;
    if (!err || !errlen) return;
    if (base_path && strncmp(err, "baseline:", 9) == 0) path = base_path, skip = 8;
    else if (cur_path && strncmp(err, "current:", 8) == 0) path = cur_path, skip = 7;
    if (!path) return;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s%s", path, err + skip);
    snprintf(err, errlen, "%s", msg);
}

/* Run-to-run drift of id from the medians of the baseline and the history: the
 * floor a change must clear, in percent, or NaN with too few runs. */
static double drift_floor(const lb_results *base, size_t bi, const lb_results *const *history, size_t nhistory,
                          const char *id, size_t *runs)
{
    double sum = 0.0, sum2 = 0.0;
    size_t n = 0;
    for (size_t h = 0; h <= nhistory; h++) {
        const lb_results *r = h == 0 ? base : history[h - 1];
        if (!r) continue;
        size_t i = h == 0 ? bi : find_row(r, id);
        if (i >= r->nrows || !(r->rows[i].median_ns > 0) || !isfinite(r->rows[i].median_ns)) continue;
        char why[2 * LB_NAME_LEN + 128];
        if (h > 0 && lb_gate_workload_differs(&base->rows[bi], &r->rows[i], why, sizeof why)) continue; /* another workload */
        double l = log(r->rows[i].median_ns);
        sum += l;
        sum2 += l * l;
        n++;
    }
    *runs = n;
    if (n < LB_GATE_MIN_RUNS) return NAN;
    double var = (sum2 - sum * sum / (double)n) / (double)(n - 1);
    double sd = var > 0 ? sqrt(var) : 0.0;
    return 100.0 * (exp(LB_GATE_DRIFT_SIGMAS * sqrt(2.0) * sd) - 1.0);
}

int lb_gate_compare(const lb_results *base, const lb_results *cur, const lb_gate_config *c, lb_comparison *out,
                    char *err, size_t errlen)
{
    return lb_gate_compare_history(base, NULL, 0, cur, c, out, err, errlen);
}

int lb_gate_compare_history(const lb_results *base, const lb_results *const *history, size_t nhistory,
                            const lb_results *cur, const lb_gate_config *c, lb_comparison *out, char *err,
                            size_t errlen)
{
    if (!base || !cur || !c || !out || (nhistory && !history))
        return lb_errorf(err, errlen, LB_EUSAGE, "lb_gate_compare: NULL argument");
    memset(out, 0, sizeof *out);
    int rc = lb_gate_check_ids(base, "baseline", err, errlen);
    if (!rc) rc = lb_gate_check_ids(cur, "current", err, errlen);
    if (rc) return rc;
    size_t cap = base->nrows + cur->nrows;
    unsigned char *used = lb_calloc(base->nrows ? base->nrows : 1, 1);
    lb_comparison_row *rows = lb_calloc(cap ? cap : 1, sizeof *rows);
    if (!used || !rows) {
        lb_free(used);
        lb_free(rows);
        return lb_errorf(err, errlen, LB_ENOMEM, "compare: out of memory");
    }
    size_t n = 0, matched = 0;
    for (size_t i = 0; i < cur->nrows && !rc; i++) {
        const char *id = cur->rows[i].id;
        lb_comparison_row *r = &rows[n++];
        double t = lb_gate_threshold_for(c, id);
        size_t bi = find_row(base, id);
        if (bi == base->nrows || used[bi]) {
            empty_row(r, id, LB_VERDICT_NEW, t);
            r->cur = &cur->rows[i];
            continue;
        }
        char why[2 * LB_NAME_LEN + 128];
        if (lb_gate_workload_differs(&base->rows[bi], &cur->rows[i], why, sizeof why)) {
            char sid[LB_ID_LEN + 16];
            rc = lb_errorf(err, errlen, LB_EDATA, "benchmark '%s' measured different workloads: %s",
                           lb_sanitize(sid, sizeof sid, id), why);
            break;
        }
        used[bi] = 1;
        matched++;
        empty_row(r, id, LB_VERDICT_NO_CHANGE, t);
        r->base = &base->rows[bi];
        r->cur = &cur->rows[i];
        r->noise_pct = drift_floor(base, bi, history, nhistory, id, &r->history_runs);
        rc = compare_row(base, bi, cur, i, c, r, err, errlen);
    }
    for (size_t bi = 0; bi < base->nrows && !rc; bi++) {
        if (used[bi]) continue;
        lb_comparison_row *r = &rows[n++];
        empty_row(r, base->rows[bi].id, LB_VERDICT_MISSING, lb_gate_threshold_for(c, base->rows[bi].id));
        r->base = &base->rows[bi];
    }
    lb_free(used);
    /* nothing matched: a comparison of nothing is no evidence of "no change" */
    if (!rc && !matched)
        rc = lb_errorf(err, errlen, LB_EDATA,
                       "no benchmark ids in common: the baseline has %zu benchmark%s, the current file %zu", base->nrows,
                       base->nrows == 1 ? "" : "s", cur->nrows);
    if (rc) {
        lb_free(rows);
        return rc;
    }
    out->rows = rows;
    out->nrows = n;
    for (size_t i = 0; i < n; i++) out->counts[rows[i].verdict]++;
    const char *bm = base->meta.machine ? base->meta.machine : "", *cm = cur->meta.machine ? cur->meta.machine : "";
    out->machine_differs = strcmp(bm, cm) != 0;
    copy_str(out->base_machine, sizeof out->base_machine, bm);
    copy_str(out->cur_machine, sizeof out->cur_machine, cm);
    copy_str(out->base_commit, sizeof out->base_commit, base->meta.git_commit);
    copy_str(out->cur_commit, sizeof out->cur_commit, cur->meta.git_commit);
    return LB_OK;
}
