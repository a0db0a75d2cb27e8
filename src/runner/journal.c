/* The journal's file format (journal.h): crash-consistent appends, reading
 * back with a torn tail left out, and the fingerprint of a run. */
#define _POSIX_C_SOURCE 200809L
#include "journal.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/fileio.h"
#include "latentbench/text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef LB_VERSION
#define LB_VERSION "0.0.0"
#endif
extern const char lb_build_commit[];

static const char magic[8] = {'L', 'B', 'J', 'O', 'U', 'R', 'N', 'L'};
#define HEAD_FIXED (sizeof magic + 3 * sizeof(uint32_t))
#define REC_FIXED (2 * sizeof(uint32_t))
/* far above any record (a row and its samples, times the ranks): a length
 * beyond it is damage, not a row */
#define REC_MAX ((size_t)1 << 30)

uint32_t lb__crc32(const void *p, size_t n)
{
    static uint32_t table[256];
    static int ready; /* filled identically by any thread that races here */
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    const unsigned char *b = p;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ b[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

/* ---- fingerprint ------------------------------------------------------------ */

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* A value on one line: control characters would break the "key=value" lines. */
static void one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) *s = '?';
}

static size_t put(char *fp, size_t len, size_t at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static size_t put(char *fp, size_t len, size_t at, const char *key, const char *fmt, ...)
{
    char v[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof v, fmt, ap);
    va_end(ap);
    one_line(v);
    if (at < len) {
        int n = snprintf(fp + at, len - at, "%s=%s\n", key, v);
        at += n > 0 ? (size_t)n : 0;
    }
    return at;
}

int lb__journal_fingerprint(const lb_run_opts *o, const lb_case_list *list, lb_shard mode, const lb_cluster *cl,
                            size_t record_size, char *fp, size_t len)
{
    /* the cases as measured (scaled), every field but the place they came
     * from: an edited suite file changes this even under the same names */
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < list->count; i++) {
        lb_case c = lb__scaled_case(&list->cases[i], o->workload_scale);
        char line[LB_ID_LEN + 8 * LB_NAME_LEN + 512];
        snprintf(line, sizeof line,
                 "%s|%s|%s|%s|%lld|%lld|%lld|%lld|%lld|%lld|%lld|%lld|%lld|%.17g|%s|%s|%lld\n", c.id, c.suite,
                 c.group, c.op, (long long)c.dimension, (long long)c.k, (long long)c.dataset_size,
                 (long long)c.batch_size, (long long)c.seq_len, (long long)c.num_heads, (long long)c.num_experts,
                 (long long)c.top_k_experts, (long long)c.block_size, c.curvature, c.metric, c.attention,
                 (long long)c.elements);
        h = fnv(h, line);
    }
    char suites[1024] = "";
    for (size_t s = 0, at = 0; s < o->nsuites && at < sizeof suites; s++) {
        int n = snprintf(suites + at, sizeof suites - at, "%s%s", s ? " " : "", o->suites[s]);
        at += n > 0 ? (size_t)n : 0;
    }
    char dataset[1024] = "";
    if (o->dataset) {
        struct stat st;
        if (stat(o->dataset, &st) == 0)
            snprintf(dataset, sizeof dataset, "%s %lld bytes mtime %lld", o->dataset, (long long)st.st_size,
                     (long long)st.st_mtime);
        else
            snprintf(dataset, sizeof dataset, "%s", o->dataset);
    }
    size_t at = 0;
    at = put(fp, len, at, "latentbench", "%s %s, records of %zu bytes, samples of %zu", LB_VERSION,
             lb_build_commit, record_size, sizeof(lb_sample));
    at = put(fp, len, at, "lib", "%s", o->lt ? o->lt->hash : "");
    at = put(fp, len, at, "suite", "%s", suites);
    at = put(fp, len, at, "filter", "%s", o->filter ? o->filter : "");
    at = put(fp, len, at, "workload-scale", "%.17g", o->workload_scale);
    at = put(fp, len, at, "cases", "%zu, content %016llx", list->count, (unsigned long long)h);
    at = put(fp, len, at, "dataset", "%s", dataset);
    at = put(fp, len, at, "seed", "%llu", (unsigned long long)o->seed);
    at = put(fp, len, at, "resamples", "%zu", o->resamples);
    at = put(fp, len, at, "rounds", "%u", o->rounds);
    at = put(fp, len, at, "warm-up-time", "%.17g", o->mo.warm_up_s);
    at = put(fp, len, at, "measurement-time", "%.17g", o->mo.measurement_s);
    at = put(fp, len, at, "sample-size", "%u", o->mo.sample_size);
    at = put(fp, len, at, "budget", "%.17g", o->mo.budget_s);
    at = put(fp, len, at, "shard", "%s", lb_shard_name(mode));
    at = put(fp, len, at, "ranks", "%d", cl->size);
    at = put(fp, len, at, "node-concurrency", "%d", mode == LB_SHARD_MATRIX ? o->node_concurrency : 0);
    return at < len ? LB_OK : LB_EINTERNAL;
}

/* The line of key in h: its value's start and length. */
static const char *find(const char *h, const char *key, size_t *vlen)
{
    size_t kl = strlen(key);
    for (const char *p = h; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t ll = nl ? (size_t)(nl - p) : strlen(p);
        if (ll > kl && !strncmp(p, key, kl) && p[kl] == '=') {
            *vlen = ll - kl - 1;
            return p + kl + 1;
        }
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

void lb__journal_value(const char *h, const char *key, char *v, size_t vlen)
{
    size_t n = 0;
    const char *p = find(h, key, &n);
    if (!p) n = 0;
    if (n >= vlen) n = vlen - 1;
    memcpy(v, p ? p : "", n);
    v[n] = '\0';
}

int lb__journal_differs(const char *a, const char *b, char *key, size_t klen, char *va, char *vb, size_t vlen)
{
    /* every key of either side, in a's order then b's extras */
    for (int side = 0; side < 2; side++)
        for (const char *p = side ? b : a; p && *p;) {
            const char *nl = strchr(p, '\n'), *eq = strchr(p, '=');
            size_t ll = nl ? (size_t)(nl - p) : strlen(p);
            if (eq && (size_t)(eq - p) < ll && (size_t)(eq - p) < klen) {
                char k[128];
                size_t kl = (size_t)(eq - p) < sizeof k ? (size_t)(eq - p) : sizeof k - 1;
                memcpy(k, p, kl);
                k[kl] = '\0';
                if (strcmp(k, "run") && strcmp(k, "rank")) {
                    size_t na = 0, nb = 0;
                    const char *x = find(a, k, &na), *y = find(b, k, &nb);
                    if (!x || !y || na != nb || memcmp(x, y, na)) {
                        snprintf(key, klen, "%s", k);
                        lb__journal_value(a, k, va, vlen);
                        lb__journal_value(b, k, vb, vlen);
                        if (!x) snprintf(va, vlen, "(none)");
                        if (!y) snprintf(vb, vlen, "(none)");
                        return 1;
                    }
                }
            }
            p = nl ? nl + 1 : NULL;
        }
    return 0;
}

/* ---- writing ---------------------------------------------------------------- */

static int write_all(int fd, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The directory entry of a new file survives a crash only once its directory is synced. */
static void sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int d = open(dir, O_RDONLY);
    if (d >= 0) {
        fsync(d);
        close(d);
    }
}

int lb__journal_create(const char *path, const char *header, int *fd, char *err, size_t errlen)
{
    char shown[256];
    size_t hl = strlen(header);
    unsigned char *b = lb_malloc(HEAD_FIXED + hl);
    if (!b) return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", lb_sanitize(shown, sizeof shown, path));
    uint32_t v = LB_JOURNAL_VERSION, n = (uint32_t)hl, crc = lb__crc32(header, hl);
    memcpy(b, magic, sizeof magic);
    memcpy(b + 8, &v, 4);
    memcpy(b + 12, &n, 4);
    memcpy(b + 16, &crc, 4);
    memcpy(b + HEAD_FIXED, header, hl);
    *fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
    int rc = *fd < 0 || write_all(*fd, b, HEAD_FIXED + hl) || fsync(*fd) ? LB_EIO : LB_OK;
    int e = errno;
    lb_free(b);
    if (rc) {
        if (*fd >= 0) close(*fd);
        *fd = -1;
        return lb_errorf(err, errlen, LB_EIO, "%s: cannot write the journal: %s", lb_sanitize(shown, sizeof shown, path),
                         strerror(e));
    }
    sync_dir(path);
    return LB_OK;
}

int lb__journal_append(int fd, const void *payload, size_t n)
{
    if (fd < 0 || n > REC_MAX) return LB_EIO;
    unsigned char *b = lb_malloc(REC_FIXED + n);
    if (!b) return LB_ENOMEM;
    uint32_t len = (uint32_t)n, crc = lb__crc32(payload, n);
    memcpy(b, &len, 4);
    memcpy(b + 4, &crc, 4);
    memcpy(b + REC_FIXED, payload, n);
    /* one write: a kill leaves the record whole or a torn tail, which reading
     * leaves out; fdatasync: a node that goes down keeps it too */
    int rc = write_all(fd, b, REC_FIXED + n) || fdatasync(fd) ? LB_EIO : LB_OK;
    lb_free(b);
    return rc;
}

/* ---- reading ---------------------------------------------------------------- */

void lb__journal_file_free(lb_journal_file *j)
{
    lb_free(j->data);
    lb_free(j->header);
    lb_free(j->off);
    lb_free(j->size);
    memset(j, 0, sizeof *j);
}

static int read_journal(const char *path, lb_journal_file *j, char *err, size_t errlen);

int lb__journal_read(const char *path, lb_journal_file *j, char *err, size_t errlen)
{
    int rc = read_journal(path, j, err, errlen);
    if (rc) lb__journal_file_free(j);
    return rc;
}

static int read_journal(const char *path, lb_journal_file *j, char *err, size_t errlen)
{
    memset(j, 0, sizeof *j);
    char shown[256];
    lb_sanitize(shown, sizeof shown, path);
    int fd;
    int rc = lb_open_input(path, 0, &fd, err, errlen);
    if (rc) return rc;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return lb_errorf(err, errlen, LB_EIO, "%s: %s", shown, strerror(errno));
    }
    j->len = (size_t)st.st_size;
    j->data = lb_malloc(j->len ? j->len : 1);
    if (!j->data) {
        close(fd);
        return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", shown);
    }
    for (size_t got = 0; got < j->len;) {
        ssize_t r = read(fd, j->data + got, j->len - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            close(fd);
            j->len = got;
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    const unsigned char *d = j->data;
    if (j->len < HEAD_FIXED || memcmp(d, magic, sizeof magic))
        return lb_errorf(err, errlen, LB_EDATA, "%s: not a latentbench journal", shown);
    uint32_t v, hl, crc;
    memcpy(&v, d + 8, 4);
    memcpy(&hl, d + 12, 4);
    memcpy(&crc, d + 16, 4);
    if (v != LB_JOURNAL_VERSION)
        return lb_errorf(err, errlen, LB_EDATA, "%s: journal version %u; this latentbench reads version %u", shown,
                         (unsigned)v, LB_JOURNAL_VERSION);
    if (hl > LB_JOURNAL_HEADER_MAX || hl > j->len - HEAD_FIXED || lb__crc32(d + HEAD_FIXED, hl) != crc)
        return lb_errorf(err, errlen, LB_EDATA, "%s: the journal's header is damaged", shown);
    if (!(j->header = lb_malloc(hl + 1))) return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", shown);
    memcpy(j->header, d + HEAD_FIXED, hl);
    j->header[hl] = '\0';
    size_t at = HEAD_FIXED + hl, cap = 0;
    j->good_len = at;
    while (at < j->len) {
        uint32_t n = 0;
        if (j->len - at >= REC_FIXED) {
            memcpy(&n, d + at, 4);
            memcpy(&crc, d + at + 4, 4);
        }
        if (j->len - at < REC_FIXED || n > j->len - at - REC_FIXED) {
            if (n > REC_MAX) /* no kill writes such a length */
                return lb_errorf(err, errlen, LB_EDATA, "%s:%zu: a damaged record (length %u)", shown, at, (unsigned)n);
            j->torn = 1; /* the last write was cut short */
            break;
        }
        if (lb__crc32(d + at + REC_FIXED, n) != crc) {
            if (at + REC_FIXED + n == j->len) { /* the last record: torn (its blocks never written) */
                j->torn = 1;
                break;
            }
            return lb_errorf(err, errlen, LB_EDATA, "%s:%zu: a damaged record (checksum), %zu bytes before the end",
                             shown, at, j->len - at);
        }
        if (j->n == cap) {
            size_t c = cap ? 2 * cap : 64;
            size_t *o = lb_realloc(j->off, c * sizeof *o);
            if (o) j->off = o;
            size_t *s = lb_realloc(j->size, c * sizeof *s);
            if (s) j->size = s;
            if (!o || !s) return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", shown);
            cap = c;
        }
        j->off[j->n] = at + REC_FIXED;
        j->size[j->n] = n;
        j->n++;
        at += REC_FIXED + n;
        j->good_len = at;
    }
    return LB_OK;
}
