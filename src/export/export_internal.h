/* Shared by the export writers: the lb_row and A/B field tables, string
 * escaping that always yields valid UTF-8, and unit formatting. */
#ifndef LB_EXPORT_INTERNAL_H
#define LB_EXPORT_INTERNAL_H

#include "latentbench/results.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* LB__F_PCT: no member of its own; lb_row_pct_of_bound of the row (lb_row tables only) */
typedef enum { LB__F_STR, LB__F_I64, LB__F_U64, LB__F_F64, LB__F_PCT } lb__ftype;

typedef struct {
    const char *name;  /* as in docs/RESULTS.md */
    lb__ftype   type;
    size_t      off, size;
} lb__field;

/* Every lb_row field, in struct (and file) order, and after bound_kind the
 * derived pct_of_bound (100 x bound_ns / median_ns). */
extern const lb__field lb__row_fields[];
extern const size_t    lb__row_nfields;

/* What the exports show of row i of an A/B file: its lb_ab_row and both
 * builds' median time (the baseline's /base_benchmarks row, the candidate's
 * /benchmarks row). */
typedef struct {
    lb_ab_row ab;
    double    baseline_median_ns, candidate_median_ns;
} lb__ab_view;

/* The keys of lb__ab_view, as every format names them (the JSON "ab" object,
 * the TOML ".ab" tables; CSV prefixes "ab_"): lb_ab_row's fields but id, the
 * two medians after order. */
extern const lb__field lb__ab_fields[];
extern const size_t    lb__ab_nfields;

/* Row i of r, an A/B file (r->ab != NULL). */
lb__ab_view lb__ab_view_of(const lb_results *r, size_t i);

/* lb_row_pct_of_bound of rec, an lb_row (LB__F_PCT). */
double lb__row_pct(const void *rec);
/* Bytes of s before its NUL, at most max. */
size_t lb__strlen_max(const char *s, size_t max);

/* A string field of rec, a record of f's table (at most f->size bytes, NUL or not). */
const char *lb__field_str(const void *rec, const lb__field *f, size_t *len);

/* Length of the valid UTF-8 sequence at s (of at most n bytes) with its code
 * point in *cp, or 0 when the bytes there are not one (overlong, surrogate,
 * truncated, beyond U+10FFFF). */
size_t lb__utf8_next(const unsigned char *s, size_t n, uint32_t *cp);

/* Quoted, escaped strings of n bytes; invalid UTF-8 becomes U+FFFD. */
void lb__put_json_str(FILE *out, const char *s, size_t n);
void lb__put_toml_str(FILE *out, const char *s, size_t n);
/* RFC 4180: quoted (quotes doubled) only when it holds , " CR or LF. */
void lb__put_csv_str(FILE *out, const char *s, size_t n);
/* A Markdown table cell: | and \ escaped, line breaks as spaces. */
void lb__put_md_text(FILE *out, const char *s, size_t n);

/* NUL-terminated convenience forms. */
void lb__put_json_cstr(FILE *out, const char *s);
void lb__put_toml_cstr(FILE *out, const char *s);

/* A JSON number that reads back exactly (%.17g); null when not finite. */
void lb__put_json_double(FILE *out, double v);
/* A TOML float that reads back exactly: %.17g with ".0" when it would read as
 * an integer; nan, inf, -inf when not finite. */
void lb__put_toml_double(FILE *out, double v);
/* The same number for CSV: nan, inf, -inf when not finite. */
void lb__put_csv_double(FILE *out, double v);

/* The style of latentbench/units.h (three significant digits, SI prefix
 * directly before the unit), "nan" when not finite. "45.2 µs": ns, µs, ms, s. */
void lb__fmt_time(char *buf, size_t len, double ns);
/* "2.34 GB/s": B/s, kB/s, MB/s, GB/s (decimal, as every output). */
void lb__fmt_bytes_rate(char *buf, size_t len, double bytes_per_s);
/* "2.45 Melem/s": elem/s, kelem/s, Melem/s, ... */
void lb__fmt_elem_rate(char *buf, size_t len, double per_s);
/* "12.3 MB": B, kB, MB, GB. */
void lb__fmt_bytes(char *buf, size_t len, double bytes);
/* "245" / "12.3" / "1.25": bytes in MB (10^6), three significant digits at least. */
void lb__fmt_mb(char *buf, size_t len, double bytes);

/* Raw samples of row i (0 when the results hold none). */
static inline size_t lb__nsamples(const lb_results *r, size_t i)
{
    return r->nsamples ? r->nsamples[i] : 0;
}

/* LB_OK, or LB_EINTERNAL when a count has no array behind it (A/B files:
 * rows without base_rows, pairs counted but missing). */
int lb__results_check(const lb_results *r);

/* The writers, one per format. */
int lb__export_md(FILE *out, const lb_results *r);
int lb__export_json(FILE *out, const lb_results *r);
int lb__export_csv(FILE *out, const lb_results *r);
int lb__export_toml(FILE *out, const lb_results *r);
int lb__export_gbench(FILE *out, const lb_results *r);

#endif
