/* The pieces every export shares: the field table, escaping, units. */
#include "export_internal.h"

#include "latentbench/error.h"
#include "latentbench/units.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#define F(name, type) {#name, type, offsetof(lb_row, name), sizeof(((lb_row *)0)->name)}
const lb__field lb__row_fields[] = {
    F(id, LB__F_STR), F(suite, LB__F_STR), F(group, LB__F_STR), F(op, LB__F_STR),
    F(dimension, LB__F_I64), F(k, LB__F_I64), F(dataset_size, LB__F_I64), F(batch_size, LB__F_I64),
    F(seq_len, LB__F_I64), F(num_heads, LB__F_I64), F(num_experts, LB__F_I64),
    F(metric, LB__F_STR), F(attention, LB__F_STR),
    F(samples, LB__F_I64), F(iterations, LB__F_I64),
    F(mean_ns, LB__F_F64), F(median_ns, LB__F_F64), F(std_dev_ns, LB__F_F64), F(mad_ns, LB__F_F64),
    F(min_ns, LB__F_F64), F(max_ns, LB__F_F64), F(ci_low_ns, LB__F_F64), F(ci_high_ns, LB__F_F64),
    F(slope_ns, LB__F_F64),
    F(outliers_mild, LB__F_I64), F(outliers_severe, LB__F_I64),
    F(throughput_elements, LB__F_F64), F(throughput_bytes, LB__F_F64),
    F(peak_bytes, LB__F_U64), F(avg_bytes, LB__F_U64), F(allocations, LB__F_U64), F(rss_peak_bytes, LB__F_U64),
    F(ranks, LB__F_I64), F(rank_min_ns, LB__F_F64), F(rank_median_ns, LB__F_F64), F(rank_max_ns, LB__F_F64),
    F(note, LB__F_STR), F(rounds, LB__F_I64),
    F(impl, LB__F_STR), F(bound_ns, LB__F_F64), F(bound_kind, LB__F_STR), {"pct_of_bound", LB__F_PCT, 0, 0},
};
#undef F
const size_t lb__row_nfields = sizeof lb__row_fields / sizeof lb__row_fields[0];

double lb__row_pct(const void *rec) { return lb_row_pct_of_bound(rec); }

size_t lb__strlen_max(const char *s, size_t max)
{
    const char *z = memchr(s, '\0', max);
    return z ? (size_t)(z - s) : max;
}

#define F(name, type) {#name, type, offsetof(lb__ab_view, name), sizeof(((lb__ab_view *)0)->name)}
#define A(name, type) {#name, type, offsetof(lb__ab_view, ab.name), sizeof(((lb__ab_view *)0)->ab.name)}
const lb__field lb__ab_fields[] = {
    A(rounds, LB__F_I64), A(block_iters, LB__F_I64), A(order, LB__F_STR),
    F(baseline_median_ns, LB__F_F64), F(candidate_median_ns, LB__F_F64),
    A(ratio, LB__F_F64), A(ratio_ci_low, LB__F_F64), A(ratio_ci_high, LB__F_F64),
    A(ratio_upper, LB__F_F64), A(ratio_lower, LB__F_F64), A(confidence, LB__F_F64),
    A(p_slower, LB__F_F64), A(p_faster, LB__F_F64), A(log_ratio_mad, LB__F_F64), A(threshold_pct, LB__F_F64),
    A(verdict, LB__F_STR), A(peak_bytes_a, LB__F_U64), A(peak_bytes_b, LB__F_U64),
    A(allocations_a, LB__F_U64), A(allocations_b, LB__F_U64), A(memory_verdict, LB__F_STR),
};
#undef A
#undef F
const size_t lb__ab_nfields = sizeof lb__ab_fields / sizeof lb__ab_fields[0];

lb__ab_view lb__ab_view_of(const lb_results *r, size_t i)
{
    return (lb__ab_view){r->ab[i], r->base_rows[i].median_ns, r->rows[i].median_ns};
}

const char *lb__field_str(const void *rec, const lb__field *f, size_t *len)
{
    const char *s = (const char *)rec + f->off;
    const char *nul = memchr(s, '\0', f->size);
    *len = nul ? (size_t)(nul - s) : f->size;
    return s;
}

size_t lb__utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (n == 0) return 0;
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) len = 2, v = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) len = 3, v = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) len = 4, v = c & 0x07, min = 0x10000;
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

/* Calls emit for each code point of s; invalid bytes come out as U+FFFD and
 * valid sequences are passed on as their own bytes. */
typedef void (*emit_fn)(FILE *out, uint32_t cp, const char *bytes, size_t len);

static void each_char(FILE *out, const char *s, size_t n, emit_fn emit)
{
    const unsigned char *p = (const unsigned char *)s;
    while (n > 0) {
        uint32_t cp;
        size_t len = lb__utf8_next(p, n, &cp);
        if (len == 0) {
            emit(out, 0xFFFD, "\xEF\xBF\xBD", 3);
            len = 1;
        } else {
            emit(out, cp, (const char *)p, len);
        }
        p += len;
        n -= len;
    }
}

static int short_escape(uint32_t cp)
{
    switch (cp) {
    case '"': return '"';
    case '\\': return '\\';
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    default: return 0;
    }
}

/* C0, DEL and C1: the code points a terminal acts on. JSON and TOML may
 * carry DEL and C1 raw, but a file someone cats must not drive the terminal,
 * so every format escapes (or replaces) all of them. */
static int is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

static void emit_json(FILE *out, uint32_t cp, const char *b, size_t len)
{
    int e = short_escape(cp);
    if (e) fprintf(out, "\\%c", e);
    else if (is_control(cp)) fprintf(out, "\\u%04" PRIX32, cp);
    else fwrite(b, 1, len, out);
}

/* TOML basic strings: tab may stay, DEL and the other controls may not. */
static void emit_toml(FILE *out, uint32_t cp, const char *b, size_t len)
{
    int e = cp == '\t' ? 0 : short_escape(cp);
    if (e) fprintf(out, "\\%c", e);
    else if (is_control(cp) && cp != '\t') fprintf(out, "\\u%04" PRIX32, cp);
    else fwrite(b, 1, len, out);
}

/* CSV has no escapes: controls other than tab and the line breaks a quoted
 * field may hold become U+FFFD. */
static void emit_csv(FILE *out, uint32_t cp, const char *b, size_t len)
{
    if (cp == '"') fputs("\"\"", out);
    else if (is_control(cp) && cp != '\t' && cp != '\n' && cp != '\r') fputs("\xEF\xBF\xBD", out);
    else fwrite(b, 1, len, out);
}

static void emit_md(FILE *out, uint32_t cp, const char *b, size_t len)
{
    if (cp == '|' || cp == '\\' || cp == '`') fprintf(out, "\\%c", (int)cp);
    else if (cp == '\n' || cp == '\r') fputc(' ', out);
    else if (is_control(cp)) fputs("\xEF\xBF\xBD", out);
    else fwrite(b, 1, len, out);
}

void lb__put_json_str(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    each_char(out, s, n, emit_json);
    fputc('"', out);
}

void lb__put_toml_str(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    each_char(out, s, n, emit_toml);
    fputc('"', out);
}

void lb__put_csv_str(FILE *out, const char *s, size_t n)
{
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++) quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (quote) fputc('"', out);
    each_char(out, s, n, emit_csv);
    if (quote) fputc('"', out);
}

void lb__put_md_text(FILE *out, const char *s, size_t n)
{
    each_char(out, s, n, emit_md);
}

void lb__put_json_cstr(FILE *out, const char *s)
{
    if (!s) s = "";
    lb__put_json_str(out, s, strlen(s));
}

void lb__put_toml_cstr(FILE *out, const char *s)
{
    if (!s) s = "";
    lb__put_toml_str(out, s, strlen(s));
}

void lb__put_json_double(FILE *out, double v)
{
    if (isfinite(v)) fprintf(out, "%.17g", v);
    else fputs("null", out);
}

void lb__put_toml_double(FILE *out, double v)
{
    if (isnan(v)) {
        fputs("nan", out);
        return;
    }
    if (isinf(v)) {
        fputs(v < 0 ? "-inf" : "inf", out);
        return;
    }
    char b[40];
    snprintf(b, sizeof b, "%.17g", v);
    fputs(b, out);
    if (!strpbrk(b, ".e")) fputs(".0", out);
}

void lb__put_csv_double(FILE *out, double v)
{
    if (isnan(v)) fputs("nan", out);
    else if (isinf(v)) fputs(v < 0 ? "-inf" : "inf", out);
    else fprintf(out, "%.17g", v);
}

/* The one unit style of every output (latentbench/units.h); exports write
 * "nan" where a number is missing, as their numeric fields do. */
void lb__fmt_time(char *buf, size_t len, double ns)
{
    if (!isfinite(ns)) snprintf(buf, len, "nan");
    else lb_units_time(buf, len, ns);
}

void lb__fmt_bytes_rate(char *buf, size_t len, double v)
{
    if (!isfinite(v)) snprintf(buf, len, "nan");
    else if (v <= 0) snprintf(buf, len, "0 B/s");
    else lb_units_rate(buf, len, v, "B");
}

void lb__fmt_elem_rate(char *buf, size_t len, double v)
{
    if (!isfinite(v)) snprintf(buf, len, "nan");
    else if (v <= 0) snprintf(buf, len, "0 elem/s");
    else lb_units_rate(buf, len, v, "elem");
}

void lb__fmt_bytes(char *buf, size_t len, double bytes)
{
    if (!isfinite(bytes)) snprintf(buf, len, "nan");
    else lb_units_bytes(buf, len, bytes);
}

void lb__fmt_mb(char *buf, size_t len, double bytes)
{
    double mb = bytes / 1e6;
    if (!isfinite(mb)) snprintf(buf, len, "nan");
    else if (fabs(mb) >= 99.95) snprintf(buf, len, "%.0f", mb);
    else if (fabs(mb) >= 9.995) snprintf(buf, len, "%.1f", mb);
    else snprintf(buf, len, "%.2f", mb);
}

int lb__results_check(const lb_results *r)
{
    if (!r || (r->nrows && !r->rows) || (r->nranks && !r->ranks)) return LB_EINTERNAL;
    for (size_t i = 0; r->nsamples && i < r->nrows; i++)
        if (r->nsamples[i] && (!r->samples || !r->samples[i])) return LB_EINTERNAL;
    if (!r->ab) return LB_OK;
    if (r->nrows && !r->base_rows) return LB_EINTERNAL;
    for (size_t i = 0; r->npairs && i < r->nrows; i++)
        if (r->npairs[i] && (!r->pairs || !r->pairs[i])) return LB_EINTERNAL;
    return LB_OK;
}
