/* Exports of a results file: Markdown, JSON, CSV, the design's
 * benchmark_results.toml shape and Google Benchmark's JSON format.
 * Implemented in src/export/ (lb_export); docs/EXPORTS.md describes each
 * format. The writers only render an lb_results already in memory: the
 * comparison against a baseline (Markdown) belongs to lb_gate and is wired in
 * by the report command. */
#ifndef LATENTBENCH_EXPORT_H
#define LATENTBENCH_EXPORT_H

#include "latentbench/results.h"

#include <stddef.h>
#include <stdio.h>

/* An A/B file (r->ab != NULL) is exported with its comparison: JSON, CSV and
 * TOML carry each row's A/B view (the lb_ab_row and both builds' median),
 * Markdown adds the table "A/B: candidate against baseline", and Google
 * Benchmark's format holds the candidate's rows as for any run. */
typedef enum {
    LB_EXPORT_MD,     /* Markdown table: id, median, CI, throughput, peak memory */
    LB_EXPORT_JSON,   /* everything in the results file; NaN and infinities as null */
    LB_EXPORT_CSV,    /* header + one line per row, every lb_row field (A/B: + ab_<key>), RFC 4180 */
    LB_EXPORT_TOML,   /* [latency.dim_128.k_10] ... as in the design's benchmark_results.toml */
    LB_EXPORT_GBENCH, /* Google Benchmark's JSON reporter format */
} lb_export_format;

#define LB_EXPORT_NFORMATS 5

/* Parses "md", "json", "csv", "toml" or "gbench" into *f: LB_OK, or LB_EUSAGE
 * (f untouched) for any other name or NULL. */
int lb_export_parse_format(const char *name, lb_export_format *f);

/* The name lb_export_parse_format accepts for f; "?" for a value out of range. */
const char *lb_export_format_name(lb_export_format f);

/* Writes r to out in format f. Text is valid UTF-8 whatever the input holds
 * (invalid bytes in strings become U+FFFD). Returns LB_OK; LB_EUSAGE for an
 * unknown f; LB_EINTERNAL when r is inconsistent (rows, samples or ranks
 * counted but missing; an A/B r without base_rows, or with pairs counted but
 * missing); LB_ENOMEM; LB_EIO when the stream reports an error
 * (errno is left as the failing write set it). Output already written stays. */
int lb_export_write(FILE *out, const lb_results *r, lb_export_format f);

/* lb_export_write of r in format f to path, atomically (lb_write_atomic). */
int lb_export_write_file(const char *path, const lb_results *r, lb_export_format f, char *err, size_t errlen);

#endif
