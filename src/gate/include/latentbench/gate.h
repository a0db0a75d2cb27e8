/* Regression gating: the regression_config.toml settings, the comparison of a
 * results file against a baseline, and the verdicts that set the exit code.
 * Implemented in src/gate/ (lb_gate); used by compare, run --baseline,
 * report and baseline. */
#ifndef LATENTBENCH_GATE_H
#define LATENTBENCH_GATE_H

#include "latentbench/results.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- configuration (regression_config.toml) ----------------------------- */

typedef enum { LB_KIND_LATENCY, LB_KIND_THROUGHPUT } lb_threshold_kind;

typedef struct {
    char              pattern[LB_ID_LEN]; /* fnmatch(3) glob over ids, e.g. "matrix/dim_*" */
    double            percent;            /* allowed slowdown before a regression, > 0 */
    lb_threshold_kind kind;
    char              source[96];         /* where it came from: "file:line:col thresholds.latency.knn_search" */
} lb_threshold;

typedef struct {
    double        default_percent;        /* thresholds.default (10) or --threshold */
    lb_threshold *thresholds;             /* first match wins, in file order */
    size_t        nthresholds;
    double        memory_peak_percent;    /* thresholds.memory.peak_usage (20) */
    double        memory_alloc_percent;   /* thresholds.memory.allocation_count (25) */
    /* regression_actions */
    bool  fail_ci, create_issue, notify_team;
    char *slack_webhook;                  /* a secret: never printed; "${VAR}" expanded; "" when unset */
    char *email;
    /* baseline_management */
    bool  auto_update_main, require_approval, keep_history;
    long  max_history_count;              /* 50 */
    char *baseline_dir;                   /* extension: default "benches/baselines" */
    /* statistics of the comparison (not read from the file; defaults below) */
    double   alpha;                       /* significance level of the test */
    size_t   resamples;                   /* bootstrap resamples of the change's CI */
    uint64_t seed;                        /* bootstrap seed: fixed, so reports reproduce */
} lb_gate_config;

#define LB_GATE_ALPHA 0.05
#define LB_GATE_RESAMPLES 10000
#define LB_GATE_SEED UINT64_C(0x6c62676174653031) /* "lbgate01" */
/* The noise rule (docs/REGRESSION.md explains the choice): a change counts
 * only when its CI excludes changes below this fraction of the threshold ... */
#define LB_GATE_NOISE_FRACTION 0.25
/* ... and the median's change is at least this fraction of it. */
#define LB_GATE_MEDIAN_FRACTION 0.5

/* The design's defaults (as if the shipped bench/regression_config.toml were read). */
void lb_gate_config_defaults(lb_gate_config *c);

/* Reads path into c, which must hold a configuration already (from
 * lb_gate_config_defaults or an earlier load): the file's settings are applied
 * to the design's defaults and replace c's settings only when the whole file is
 * good (alpha, resamples and seed are kept, the file has none); on an error c
 * is unchanged. Unknown keys print one
 * warning line each on `warn` (may be NULL) and are otherwise ignored; a syntax
 * error, a wrong type or a bad value is LB_EDATA with err = "file:line:col:
 * cause"; a missing file LB_ENOINPUT. The file is untrusted (it comes with
 * pull requests): only slack_webhook may read the environment, and only as its
 * whole value "${NAME}" with NAME SLACK_WEBHOOK_URL, LATENTBENCH_WEBHOOK_URL or
 * LATENTBENCH_WEBHOOK_* (unset: ""); any other ${...} is LB_EDATA. Errors name
 * the variable, never its value. */
int  lb_gate_config_load(const char *path, lb_gate_config *c, FILE *warn, char *err, size_t errlen);
void lb_gate_config_free(lb_gate_config *c);

/* The threshold governing id (time rows): the first matching pattern's
 * percent, else default_percent. */
double lb_gate_threshold_for(const lb_gate_config *c, const char *id);

/* ---- comparison ------------------------------------------------------------ */

typedef enum {
    LB_VERDICT_NO_CHANGE,
    LB_VERDICT_REGRESSION,
    LB_VERDICT_IMPROVEMENT,
    LB_VERDICT_NEW,      /* in current, not in the baseline */
    LB_VERDICT_MISSING,  /* in the baseline, not in current */
} lb_verdict;

typedef struct {
    char       id[LB_ID_LEN];
    lb_verdict verdict;          /* overall: worst of time and memory */
    lb_verdict time_verdict, memory_verdict;
    const lb_row *base, *cur;    /* NULL for the side that lacks the row */
    double median_change_pct;    /* of the raw samples' medians: (cur - base) / base * 100 */
    double mean_change_pct;      /* of the means of the values the CI resampled (samples or round medians):
                                    the point estimate of [ci_low_pct, ci_high_pct], shown beside it */
    double ci_low_pct, ci_high_pct; /* bootstrap CI of the mean's change, percent (samples or round medians) */
    double p_value;              /* Mann-Whitney on the raw samples, or on round medians */
    double threshold_pct;        /* the threshold applied */
    double peak_change_pct, alloc_change_pct; /* memory: peak_bytes, allocations */
    double base_median_ns, cur_median_ns;     /* medians of the raw samples (NaN for a missing side) */
    double noise_pct;            /* run-to-run drift floor from the baseline history (NaN: none) */
    size_t history_runs;         /* runs the floor was estimated from (baseline included) */
    bool   by_rounds;            /* CI and test over round medians (both sides had rounds), else samples */
    size_t base_units, cur_units; /* the rounds, or samples, the CI and test used */
} lb_comparison_row;

typedef struct {
    lb_comparison_row *rows;
    size_t nrows;
    size_t counts[5];            /* per lb_verdict */
    bool   machine_differs;
    char   base_machine[384], cur_machine[384]; /* lb_sanitize'd copies: safe to print */
    char   base_commit[64], cur_commit[64];
} lb_comparison;

/* Compares cur against base under c. Rows in file order of cur, then Missing
 * rows. LB_EDATA when a row's samples are unusable (none, or a time that is not
 * finite and > 0) or an id appears twice in one file: err then begins with
 * "baseline" or "current" so a caller can name the file. LB_EDATA too when a
 * matched id measured a different workload (op, metric, attention, dimension,
 * k, dataset_size, batch_size, seq_len, num_heads or num_experts differ; err
 * names the id and the first such field) and when the files have no id in
 * common. Ids in err are passed through lb_sanitize. */
int  lb_gate_compare(const lb_results *base, const lb_results *cur, const lb_gate_config *c, lb_comparison *out,
                     char *err, size_t errlen);
/* As lb_gate_compare, with earlier baselines of the same machine (history[0..nhistory)) that
 * estimate each benchmark's run-to-run drift: with at least LB_GATE_MIN_RUNS medians of an id
 * (the baseline's and the history's), a change must also exceed
 * 100 (exp(LB_GATE_DRIFT_SIGMAS * sqrt(2) * sd(ln median)) - 1) percent to count. Samples
 * within one run cannot show drift between processes; past runs can. */
#define LB_GATE_DRIFT_SIGMAS 3.0
#define LB_GATE_MIN_RUNS 3
/* Rounds (run --rounds) each side needs before the CI and test take round medians. */
#define LB_GATE_MIN_ROUNDS 5
int lb_gate_compare_history(const lb_results *base, const lb_results *const *history, size_t nhistory,
                            const lb_results *cur, const lb_gate_config *c, lb_comparison *out, char *err,
                            size_t errlen);

void lb_comparison_free(lb_comparison *cmp);

/* 1 when base and cur, rows of one id, measured different workloads (op,
 * metric, attention, sizes; an unset metric or attention is the default
 * one), with why = "dimension 8 in the baseline, 16 in the current file";
 * else 0. compare refuses such a pair, and run --baseline before measuring. */
int lb_gate_workload_differs(const lb_row *base, const lb_row *cur, char *why, size_t len);

/* LB_EDATA when an id appears twice in r (err = "SIDE: benchmark id 'x'
 * appears twice (rows i and j)", SIDE as given: a label or the file's path).
 * lb_gate_compare checks both files so; a caller that reads a baseline long
 * before comparing (run --baseline) checks it up front. */
int lb_gate_check_ids(const lb_results *r, const char *side, char *err, size_t errlen);

/* Replaces the leading "baseline" or "current" of an lb_gate_compare error by
 * that file's path (either may be NULL: left as it is). */
void lb_gate_name_files(char *err, size_t errlen, const char *base_path, const char *cur_path);

/* 1 if any regression, else 2 if any improvement, else 0 (the design's CI contract). */
int lb_gate_exit_status(const lb_comparison *cmp);

const char *lb_verdict_name(lb_verdict v); /* "Regression", "Improvement", "NoChange", "NewBenchmark", "Missing" */

/* Markdown fit for a pull-request comment (counts, regressions and
 * improvements table, the full table folded in <details>, machines and commits). */
int lb_gate_write_markdown(FILE *out, const lb_comparison *cmp);

/* The terminal view: colour only when color is true (a TTY). */
void lb_gate_print_terminal(FILE *out, const lb_comparison *cmp, bool color);

#endif
