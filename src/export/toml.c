/* TOML in the design's benchmark_results.toml shape. Each row gets one table;
 * docs/EXPORTS.md has the mapping:
 *
 *   knn_search/dim_D/K                   -> [latency.dim_D.k_K]
 *   batch_add_embeddings/B, parallel_knn_search/B
 *                                        -> [throughput.batch_B.dim_<dimension>]
 *   memory_scaling/N                     -> [memory.dataset_N.dim_<dimension>]
 *   anything else, and any row whose table an earlier row took
 *                                        -> [benchmarks."<id>"] ("<id>#2", "#3", ...
 *                                           when that too is taken)
 *
 * Every table carries the same keys (id, the time statistics, throughput
 * when declared, memory), as strings with units like the design's. In an A/B
 * file each is followed by its sub-table [<path>.ab]: the A/B view's keys as
 * TOML numbers and strings (values to compute with, not to read). */
#include "export_internal.h"

#include "latentbench/alloc.h"
#include "latentbench/error.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#define PATH_MAX_LEN 512 /* 3 x LB_ID_LEN (every byte invalid) + "#n" fits */

/* Copies s as valid UTF-8 (invalid bytes as U+FFFD) into dst; returns length. */
static size_t sanitize(char *dst, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (n > 0) {
        uint32_t cp;
        size_t len = lb__utf8_next(p, n, &cp);
        const char *b = (const char *)p;
        size_t step = len ? len : 1;
        if (!len) b = "\xEF\xBF\xBD", len = 3;
        if (o + len >= cap) break;
        memcpy(dst + o, b, len);
        o += len;
        p += step;
        n -= step;
    }
    dst[o] = '\0';
    return o;
}

/* Length of the run of ASCII digits at s (bounded by end). */
static size_t digits(const char *s, const char *end)
{
    size_t n = 0;
    while (s + n < end && s[n] >= '0' && s[n] <= '9') n++;
    return n;
}

/* s[0..n) is "<prefix><digits>" exactly: the digits' start and count. */
static int prefixed_number(const char *s, size_t n, const char *prefix, const char **num, size_t *len)
{
    size_t pl = strlen(prefix);
    if (n <= pl || memcmp(s, prefix, pl) != 0) return 0;
    *num = s + pl;
    *len = digits(*num, s + n);
    return *len > 0 && pl + *len == n;
}

/* The design's table path for row (bare keys only), or 0 when it fits none. */
static int design_path(char *buf, size_t cap, const lb_row *row)
{
    size_t n;
    const char *id = lb__field_str(row, &lb__row_fields[0], &n);
    const char *a, *b;
    size_t al, bl;
    static const char knn[] = "knn_search/dim_";
    if (n > sizeof knn - 1 && memcmp(id, knn, sizeof knn - 1) == 0) {
        a = id + sizeof knn - 1;
        al = digits(a, id + n);
        if (al == 0 || a + al >= id + n || a[al] != '/') return 0;
        b = a + al + 1;
        bl = digits(b, id + n);
        if (bl == 0 || b + bl != id + n) return 0;
        snprintf(buf, cap, "latency.dim_%.*s.k_%.*s", (int)al, a, (int)bl, b);
        return 1;
    }
    if (row->dimension <= 0) return 0;
    if (prefixed_number(id, n, "batch_add_embeddings/", &a, &al) ||
        prefixed_number(id, n, "parallel_knn_search/", &a, &al)) {
        snprintf(buf, cap, "throughput.batch_%.*s.dim_%" PRId64, (int)al, a, row->dimension);
        return 1;
    }
    if (prefixed_number(id, n, "memory_scaling/", &a, &al)) {
        snprintf(buf, cap, "memory.dataset_%.*s.dim_%" PRId64, (int)al, a, row->dimension);
        return 1;
    }
    return 0;
}

/* ---- set of the paths taken (open addressing, FNV-1a) -------------------- */

typedef struct {
    char **slot;
    size_t mask;
} path_set;

static size_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)h;
}

static char **find(const path_set *set, const char *p)
{
    size_t i = hash(p) & set->mask;
    while (set->slot[i] && strcmp(set->slot[i], p) != 0) i = (i + 1) & set->mask;
    return &set->slot[i];
}

/* Paths of every row: bare for the design's tables, '"' + the id (as valid
 * UTF-8) for [benchmarks."<id>"], so the two kinds can never be equal. */
static int assign_paths(const lb_results *r, char **paths)
{
    size_t cap = 16;
    while (cap < 2 * r->nrows) cap *= 2;
    path_set set = {lb_calloc(cap, sizeof(char *)), cap - 1};
    if (!set.slot) return LB_ENOMEM;
    char buf[PATH_MAX_LEN];
    int rc = LB_OK;
    for (size_t i = 0; i < r->nrows && rc == LB_OK; i++) {
        char **at = NULL;
        if (design_path(buf, sizeof buf, &r->rows[i])) at = find(&set, buf);
        if (!at || *at) {
            size_t n;
            const char *id = lb__field_str(&r->rows[i], &lb__row_fields[0], &n);
            buf[0] = '"';
            size_t len = 1 + sanitize(buf + 1, sizeof buf - 24, id, n);
            at = find(&set, buf);
            for (size_t dup = 2; *at; dup++) {
                snprintf(buf + len, sizeof buf - len, "#%zu", dup);
                at = find(&set, buf);
            }
        }
        if (!(paths[i] = lb_strdup(buf))) rc = LB_ENOMEM;
        else *at = paths[i];
    }
    lb_free(set.slot);
    return rc;
}

static void key_str(FILE *out, const char *key, const char *v)
{
    fprintf(out, "%s = ", key);
    lb__put_toml_cstr(out, v);
    fputc('\n', out);
}

static void key_time(FILE *out, const char *key, double ns)
{
    char b[48];
    lb__fmt_time(b, sizeof b, ns);
    key_str(out, key, b);
}

static void put_header(FILE *out, const char *path, const char *suffix)
{
    fputs("\n[", out);
    if (path[0] == '"') {
        fputs("benchmarks.", out);
        lb__put_toml_cstr(out, path + 1);
    } else {
        fputs(path, out);
    }
    fprintf(out, "%s]\n", suffix);
}

/* [<path>.ab]: row i's A/B view. An unsigned value beyond TOML's 64-bit
 * signed integers is written as a float rather than as an invalid integer. */
static void put_ab_table(FILE *out, const lb_results *r, size_t i, const char *path)
{
    lb__ab_view v = lb__ab_view_of(r, i);
    put_header(out, path, ".ab");
    for (size_t k = 0; k < lb__ab_nfields; k++) {
        const lb__field *f = &lb__ab_fields[k];
        const char *p = (const char *)&v + f->off;
        fprintf(out, "%s = ", f->name);
        switch (f->type) {
        case LB__F_STR: {
            size_t n;
            const char *s = lb__field_str(&v, f, &n);
            lb__put_toml_str(out, s, n);
            break;
        }
        case LB__F_I64: fprintf(out, "%" PRId64, *(const int64_t *)p); break;
        case LB__F_U64: {
            uint64_t u = *(const uint64_t *)p;
            if (u <= INT64_MAX) fprintf(out, "%" PRIu64, u);
            else lb__put_toml_double(out, (double)u);
            break;
        }
        case LB__F_F64: lb__put_toml_double(out, *(const double *)p); break;
        case LB__F_PCT: break; /* lb_row tables only */
        }
        fputc('\n', out);
    }
}

static void put_table(FILE *out, const lb_row *row, const char *path)
{
    put_header(out, path, "");
    size_t n;
    const char *id = lb__field_str(row, &lb__row_fields[0], &n);
    fputs("id = ", out);
    lb__put_toml_str(out, id, n);
    fputc('\n', out);
    key_time(out, "mean", row->mean_ns);
    key_time(out, "std_dev", row->std_dev_ns);
    key_time(out, "median", row->median_ns);
    key_time(out, "mad", row->mad_ns);
    char b[64];
    if (row->throughput_bytes > 0 || row->throughput_elements > 0) {
        if (row->throughput_bytes > 0) lb__fmt_bytes_rate(b, sizeof b, row->throughput_bytes);
        else lb__fmt_elem_rate(b, sizeof b, row->throughput_elements);
        key_str(out, "throughput", b);
    }
    if (row->throughput_elements > 0) {
        snprintf(b, sizeof b, "%.0f", row->throughput_elements);
        key_str(out, "ops_per_sec", b);
    }
    lb__fmt_mb(b, sizeof b, (double)row->peak_bytes);
    key_str(out, "peak_mb", b);
    lb__fmt_mb(b, sizeof b, (double)row->avg_bytes);
    key_str(out, "average_mb", b);
    snprintf(b, sizeof b, "%" PRIu64, row->allocations);
    key_str(out, "allocations", b);
    double pct = lb_row_pct_of_bound(row); /* TOML has no null: only rows with a bound */
    if (!isnan(pct)) {
        key_time(out, "bound", row->bound_ns);
        fputs("bound_kind = ", out);
        lb__put_toml_str(out, row->bound_kind, lb__strlen_max(row->bound_kind, sizeof row->bound_kind));
        fputs("\npct_of_bound = ", out);
        lb__put_toml_double(out, pct);
        fputc('\n', out);
    }
}

int lb__export_toml(FILE *out, const lb_results *r)
{
    char **paths = r->nrows ? lb_calloc(r->nrows, sizeof(char *)) : NULL;
    if (r->nrows && !paths) return LB_ENOMEM;
    int rc = assign_paths(r, paths);
    if (rc == LB_OK) {
        const lb_meta *m = &r->meta;
        fputs("# benchmark_results.toml, written by latentbench report (docs/EXPORTS.md)\n\n[meta]\n", out);
        key_str(out, "schema", LB_SCHEMA);
        fprintf(out, "schema_version = %d\n", LB_SCHEMA_VERSION);
        key_str(out, "tool_version", m->tool_version);
        key_str(out, "git_commit", m->git_commit);
        key_str(out, "created", m->created);
        key_str(out, "hostname", m->hostname);
        key_str(out, "machine", m->machine);
        fprintf(out, "mpi_ranks = %" PRId64 "\nomp_threads = %" PRId64 "\n", m->mpi_ranks, m->omp_threads);
        key_str(out, "compiler", m->compiler);
        key_str(out, "build_type", m->build_type);
        key_str(out, "command_line", m->command_line);
        key_str(out, "kind", r->ab ? "ab" : "results");
        if (r->ab) {
            key_str(out, "library", m->library);
            key_str(out, "library_hash", m->library_hash);
            key_str(out, "base_library", r->base_library);
            key_str(out, "base_library_hash", r->base_library_hash);
        }
        for (size_t i = 0; i < r->nrows; i++) {
            put_table(out, &r->rows[i], paths[i]);
            if (r->ab) put_ab_table(out, r, i, paths[i]);
        }
    }
    for (size_t i = 0; i < r->nrows; i++) lb_free(paths[i]);
    lb_free(paths);
    return rc;
}
