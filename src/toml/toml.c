/* The TOML node tree: storage, lookups, typed access and the messages a
 * consumer reports against a node. The parser is in toml_parse.c. */
#include "toml_internal.h"

#include "latentbench/alloc.h"
#include "latentbench/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Tables with fewer children are searched linearly: configuration tables are
 * small, but a generated file (or a fuzzer) must not make lookups quadratic. */
#define INDEX_MIN 8

/* ---- storage -------------------------------------------------------------- */

static uint64_t hash_key(const char *k, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)k[i]) * 0x100000001b3u;
    return h;
}

static int same_key(const lb_toml_node *c, const char *k, size_t n)
{
    return c->keylen == n && memcmp(c->key, k, n) == 0;
}

static void index_put(uint32_t *index, size_t icap, const lb_toml_node *c, uint32_t slot)
{
    size_t mask = icap - 1, h = (size_t)hash_key(c->key, c->keylen) & mask;
    while (index[h]) h = (h + 1) & mask;
    index[h] = slot + 1;
}

lb_toml_node *lb_toml__find(const lb_toml_node *t, const char *key, size_t len)
{
    if (!t || t->type != LB_TOML_TABLE) return NULL;
    if (!t->u.c.index) {
        for (size_t i = 0; i < t->u.c.n; i++)
            if (same_key(t->u.c.item[i], key, len)) return t->u.c.item[i];
        return NULL;
    }
    size_t mask = t->u.c.icap - 1, h = (size_t)hash_key(key, len) & mask;
    for (uint32_t s; (s = t->u.c.index[h]) != 0; h = (h + 1) & mask)
        if (same_key(t->u.c.item[s - 1], key, len)) return t->u.c.item[s - 1];
    return NULL;
}

int lb_toml__append(lb_toml_node *t, lb_toml_node *child)
{
    size_t n = t->u.c.n;
    if (n >= UINT32_MAX - 1) return LB_ENOMEM;
    if (n == t->u.c.cap) {
        size_t cap = n ? 2 * n : 4;
        lb_toml_node **item = lb_realloc(t->u.c.item, cap * sizeof *item);
        if (!item) return LB_ENOMEM;
        t->u.c.item = item;
        t->u.c.cap = cap;
    }
    if (t->type == LB_TOML_TABLE && n + 1 >= INDEX_MIN) {
        if (2 * (n + 1) > t->u.c.icap) { /* keep the load at most 1/2 */
            size_t icap = 16;
            while (icap < 4 * (n + 1)) icap *= 2;
            uint32_t *index = lb_malloc(icap * sizeof *index);
            if (!index) return LB_ENOMEM;
            memset(index, 0, icap * sizeof *index);
            for (size_t i = 0; i < n; i++) index_put(index, icap, t->u.c.item[i], (uint32_t)i);
            lb_free(t->u.c.index);
            t->u.c.index = index;
            t->u.c.icap = icap;
        }
        index_put(t->u.c.index, t->u.c.icap, child, (uint32_t)n);
    }
    t->u.c.item[n] = child;
    t->u.c.n = n + 1;
    child->parent = t;
    return LB_OK;
}

/* Recursion is bounded by LB_TOML_MAX_DEPTH, which the parser enforces. */
void lb_toml__clear(lb_toml_node *n)
{
    if (n->type == LB_TOML_TABLE || n->type == LB_TOML_ARRAY) {
        for (size_t i = 0; i < n->u.c.n; i++) {
            lb_toml__clear(n->u.c.item[i]);
            lb_free(n->u.c.item[i]);
        }
        lb_free(n->u.c.item);
        lb_free(n->u.c.index);
    } else if (n->type == LB_TOML_STRING) {
        lb_free(n->u.s.s);
    }
    lb_free(n->key);
}

const lb_toml_doc *lb_toml__doc(const lb_toml_node *n)
{
    while (n->parent) n = n->parent;
    return (const lb_toml_doc *)n; /* the root is the document's first member */
}

void lb_toml_free(lb_toml_doc *doc)
{
    if (!doc) return;
    lb_toml__clear(&doc->root);
    lb_free(doc->file);
    lb_free(doc);
}

const lb_toml_node *lb_toml_root(const lb_toml_doc *doc) { return doc ? &doc->root : NULL; }

/* ---- nodes ---------------------------------------------------------------- */

lb_toml_type lb_toml_type_of(const lb_toml_node *n) { return (lb_toml_type)n->type; }

const char *lb_toml_type_name(lb_toml_type t)
{
    static const char *const names[] = {"table", "array", "string", "integer", "float", "boolean"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

static const char *type_phrase(lb_toml_type t)
{
    static const char *const names[] = {"a table",   "an array", "a string",
                                        "an integer", "a float", "a boolean"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "an unknown value";
}

lb_toml_pos lb_toml_pos_of(const lb_toml_node *n)
{
    lb_toml_pos p = {lb_toml__doc(n)->file, n->line, n->col};
    return p;
}

lb_toml_pos lb_toml_key_pos(const lb_toml_node *n)
{
    lb_toml_pos p = {lb_toml__doc(n)->file, n->kline, n->kcol};
    return p;
}

const char *lb_toml_key(const lb_toml_node *n, size_t *len)
{
    if (len) *len = n->key ? n->keylen : 0;
    return n->key;
}

const lb_toml_node *lb_toml_parent(const lb_toml_node *n) { return n->parent; }

/* snprintf-like sink: counts everything, stores what fits. */
typedef struct {
    char *buf;
    size_t cap, n;
} sink;

static void put(sink *o, const char *s, size_t k)
{
    for (size_t i = 0; i < k; i++, o->n++)
        if (o->n + 1 < o->cap) o->buf[o->n] = s[i];
}

static void put_key(sink *o, const char *k, size_t n)
{
    int bare = n > 0;
    for (size_t i = 0; i < n && bare; i++) {
        unsigned char c = (unsigned char)k[i];
        bare = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    }
    if (bare) {
        put(o, k, n);
        return;
    }
    put(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)k[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(o, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04X", c);
            put(o, esc, 6);
        } else {
            put(o, k + i, 1);
        }
    }
    put(o, "\"", 1);
}

static void putf(sink *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(sink *o, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k > 0) put(o, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

static void sink_end(sink *o)
{
    if (o->cap) o->buf[o->n < o->cap ? o->n : o->cap - 1] = '\0';
}

size_t lb_toml_path(const lb_toml_node *n, char *buf, size_t len)
{
    const lb_toml_node *chain[LB_TOML_MAX_DEPTH + 1];
    size_t d = 0;
    for (; n && n->parent && d < LB_TOML_MAX_DEPTH + 1; n = n->parent) chain[d++] = n;
    sink o = {buf, len, 0};
    while (d-- > 0) {
        const lb_toml_node *m = chain[d], *p = m->parent;
        if (p->type == LB_TOML_ARRAY) {
            size_t i = 0;
            while (i < p->u.c.n && p->u.c.item[i] != m) i++;
            char tmp[32];
            int k = snprintf(tmp, sizeof tmp, "[%zu]", i);
            put(&o, tmp, (size_t)k);
        } else {
            if (o.n > 0) put(&o, ".", 1);
            put_key(&o, m->key, m->keylen);
        }
    }
    sink_end(&o);
    return o.n;
}

/* ---- tables and arrays ---------------------------------------------------- */

size_t lb_toml_count(const lb_toml_node *n)
{
    return n && (n->type == LB_TOML_TABLE || n->type == LB_TOML_ARRAY) ? n->u.c.n : 0;
}

const lb_toml_node *lb_toml_at(const lb_toml_node *n, size_t i)
{
    return i < lb_toml_count(n) ? n->u.c.item[i] : NULL;
}

const lb_toml_node *lb_toml_find(const lb_toml_node *table, const char *key)
{
    return key ? lb_toml__find(table, key, strlen(key)) : NULL;
}

const lb_toml_node *lb_toml_get(const lb_toml_node *table, const char *path)
{
    if (!table || !path || !*path) return NULL;
    const lb_toml_node *n = table;
    const char *s = path;
    for (;;) {
        const char *k = s;
        size_t len;
        if (*s == '"') {
            const char *q = strchr(s + 1, '"');
            if (!q) return NULL;
            k = s + 1;
            len = (size_t)(q - k);
            s = q + 1;
        } else {
            while (*s && *s != '.' && *s != '"') s++;
            len = (size_t)(s - k);
            if (len == 0) return NULL;
        }
        n = lb_toml__find(n, k, len);
        if (!n) return NULL;
        if (*s == '\0') return n;
        if (*s != '.' || s[1] == '\0') return NULL;
        s++;
    }
}

/* ---- typed access --------------------------------------------------------- */

static int verrorf(const lb_toml_node *n, int line, int col, char *err, size_t errlen,
                   const char *fmt, va_list ap)
{
    if (!err || !errlen) return LB_EDATA;
    int k = snprintf(err, errlen, "%s:%d:%d: ", lb_toml__doc(n)->file, line, col);
    if (k >= 0 && (size_t)k < errlen) vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
    return LB_EDATA;
}

int lb_toml_errorf(const lb_toml_node *n, char *err, size_t errlen, const char *fmt, ...)
{
    if (!n) return lb_errorf(err, errlen, LB_EUSAGE, "lb_toml_errorf: no node");
    va_list ap;
    va_start(ap, fmt);
    int rc = verrorf(n, n->line, n->col, err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static int mismatch(const lb_toml_node *n, const char *want, char *err, size_t errlen)
{
    char path[256];
    lb_toml_path(n, path, sizeof path);
    if (!path[0]) {
        return lb_toml_errorf(n, err, errlen, "expected %s, found %s", want,
                              type_phrase((lb_toml_type)n->type));
    }
    return lb_toml_errorf(n, err, errlen, "%s: expected %s, found %s", path, want,
                          type_phrase((lb_toml_type)n->type));
}

#define NEED_ARGS(n, out)                                                                    \
    do {                                                                                     \
        if (!(n) || !(out)) return lb_errorf(err, errlen, LB_EUSAGE, "%s: NULL argument", __func__); \
    } while (0)

int lb_toml_as_int(const lb_toml_node *n, int64_t *out, char *err, size_t errlen)
{
    NEED_ARGS(n, out);
    if (n->type != LB_TOML_INTEGER) return mismatch(n, "an integer", err, errlen);
    *out = n->u.i;
    return LB_OK;
}

int lb_toml_as_float(const lb_toml_node *n, double *out, char *err, size_t errlen)
{
    NEED_ARGS(n, out);
    if (n->type == LB_TOML_INTEGER) {
        *out = (double)n->u.i;
        return LB_OK;
    }
    if (n->type != LB_TOML_FLOAT) return mismatch(n, "a float", err, errlen);
    *out = n->u.f;
    return LB_OK;
}

int lb_toml_as_bool(const lb_toml_node *n, bool *out, char *err, size_t errlen)
{
    NEED_ARGS(n, out);
    if (n->type != LB_TOML_BOOLEAN) return mismatch(n, "a boolean", err, errlen);
    *out = n->u.b != 0;
    return LB_OK;
}

int lb_toml_as_string(const lb_toml_node *n, const char **out, size_t *len, char *err,
                      size_t errlen)
{
    NEED_ARGS(n, out);
    if (n->type != LB_TOML_STRING) return mismatch(n, "a string", err, errlen);
    if (!len && memchr(n->u.s.s, '\0', n->u.s.len)) {
        char path[256];
        lb_toml_path(n, path, sizeof path);
        return lb_toml_errorf(n, err, errlen, "%s: the string contains a NUL character", path);
    }
    *out = n->u.s.s;
    if (len) *len = n->u.s.len;
    return LB_OK;
}

int lb_toml_expect(const lb_toml_node *n, lb_toml_type t, char *err, size_t errlen)
{
    if (!n) return lb_errorf(err, errlen, LB_EUSAGE, "lb_toml_expect: NULL node");
    return n->type == t ? LB_OK : mismatch(n, type_phrase(t), err, errlen);
}

#define GET_BY_PATH(as_call)                                                                   \
    do {                                                                                       \
        if (!table || !path || !out)                                                           \
            return lb_errorf(err, errlen, LB_EUSAGE, "%s: NULL argument", __func__);           \
        const lb_toml_node *n = lb_toml_get(table, path);                                      \
        return n ? (as_call) : LB_OK;                                                          \
    } while (0)

int lb_toml_get_int(const lb_toml_node *table, const char *path, int64_t *out, char *err,
                    size_t errlen)
{
    GET_BY_PATH(lb_toml_as_int(n, out, err, errlen));
}

int lb_toml_get_float(const lb_toml_node *table, const char *path, double *out, char *err,
                      size_t errlen)
{
    GET_BY_PATH(lb_toml_as_float(n, out, err, errlen));
}

int lb_toml_get_bool(const lb_toml_node *table, const char *path, bool *out, char *err,
                     size_t errlen)
{
    GET_BY_PATH(lb_toml_as_bool(n, out, err, errlen));
}

int lb_toml_get_string(const lb_toml_node *table, const char *path, const char **out,
                       char *err, size_t errlen)
{
    GET_BY_PATH(lb_toml_as_string(n, out, NULL, err, errlen));
}

int lb_toml_require(const lb_toml_node *table, const char *path, char *err, size_t errlen)
{
    if (!table || !path) return lb_errorf(err, errlen, LB_EUSAGE, "lb_toml_require: NULL argument");
    if (lb_toml_get(table, path)) return LB_OK;
    char name[256];
    lb_toml_path(table, name, sizeof name);
    if (!name[0]) return lb_toml_errorf(table, err, errlen, "missing key '%s'", path);
    return lb_toml_errorf(table, err, errlen, "missing key '%s' in table '%s'", path, name);
}

/* ---- unknown keys --------------------------------------------------------- */

/* Edit distance, capped: keys longer than 64 bytes get no suggestion. */
static size_t distance(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > 64 || nb > 64) return (size_t)-1;
    size_t row[65];
    for (size_t j = 0; j <= nb; j++) row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

int lb_toml_check_keys(const lb_toml_node *table, const char *const *allowed,
                       lb_toml_warn_fn warn, void *ctx)
{
    if (!table || table->type != LB_TOML_TABLE || !allowed) return LB_EUSAGE;
    int unknown = 0;
    for (size_t i = 0; i < table->u.c.n; i++) {
        const lb_toml_node *c = table->u.c.item[i];
        const char *best = NULL;
        size_t best_d = (size_t)-1;
        int known = 0;
        for (const char *const *a = allowed; *a && !known; a++) {
            size_t la = strlen(*a);
            if (same_key(c, *a, la)) {
                known = 1;
            } else {
                size_t d = distance(c->key, c->keylen, *a, la);
                if (d < best_d) {
                    best_d = d;
                    best = *a;
                }
            }
        }
        if (known) continue;
        if (unknown < INT32_MAX) unknown++;
        if (!warn) continue;
        /* A suggestion only when it is close: one edit for short keys, two otherwise. */
        if (best && best_d > (c->keylen <= 4 ? 1u : 2u)) best = NULL;
        char key[160], tab[160], msg[512];
        sink ko = {key, sizeof key, 0};
        put_key(&ko, c->key, c->keylen);
        sink_end(&ko);
        lb_toml_path(table, tab, sizeof tab);
        sink mo = {msg, sizeof msg, 0};
        putf(&mo, "%s:%d:%d: unknown key '%s'", lb_toml__doc(c)->file, c->kline, c->kcol, key);
        if (tab[0]) putf(&mo, " in table '%s'", tab);
        if (best) putf(&mo, " (did you mean '%s'?)", best);
        sink_end(&mo);
        warn(ctx, c, msg);
    }
    return unknown;
}
