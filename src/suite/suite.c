/* Suite files: [[group]] tables whose [group.params] expand as a grid into
 * benchmark cases. Suite files come with pull requests, so they are untrusted:
 * every case is checked (lb_case_validate) before a load returns any, and that
 * check is the one list, run and ab share. The format and the checks are
 * documented in docs/SUITES.md. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* _SC_PHYS_PAGES */
#include "latentbench/suite.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/units.h"
#include "latentbench/text.h"
#include "latentbench/toml.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Operation names as suite files spell them, indexed by lb_op_kind. */
static const char *const g_op_names[LB_OP_COUNT] = {
    "noop", "create", "add", "add_batch", "knn", "knn_batch", "attention", "attention_batch", "build",
    "attention_build", "knn_merge",
};

int lb_op_kind_parse(const char *name)
{
    for (int i = 0; i < LB_OP_COUNT; i++)
        if (name && strcmp(name, g_op_names[i]) == 0) return i;
    return -1;
}

const char *lb_op_kind_name(int kind)
{
    return kind >= 0 && kind < LB_OP_COUNT ? g_op_names[kind] : NULL;
}

/* In lt_metric's and lt_attention's orders (latent/latent.h). */
static const char *const g_metrics[] = {"Euclidean", "Cosine", "Manhattan", "Hyperbolic", "Dot"};
static const char *const g_attentions[] = {"Standard", "Flash", "MultiHead", "MoE"};
enum { ATTN_MULTIHEAD = 2, ATTN_MOE = 3 };

static int name_index(const char *name, const char *const *names, int n)
{
    if (!name || !*name) return 0;
    for (int i = 0; i < n; i++)
        if (strcasecmp(name, names[i]) == 0) return i;
    return -1;
}

int lb_metric_parse(const char *name) { return name_index(name, g_metrics, 5); }
int lb_attention_parse(const char *name) { return name_index(name, g_attentions, 4); }

/* In lb_impl's order. */
static const char *const g_impls[LB_IMPL_COUNT] = {"liblatent", "faiss"};

int lb_impl_parse(const char *name) { return name_index(name, g_impls, LB_IMPL_COUNT); }
const char *lb_impl_name(int impl) { return impl >= 0 && impl < LB_IMPL_COUNT ? g_impls[impl] : NULL; }

#ifndef LB_SUITE_DIR
#define LB_SUITE_DIR "bench"
#endif
#ifndef LB_SUITE_INSTALL_DIR
#define LB_SUITE_INSTALL_DIR "/usr/local/share/latentbench/bench"
#endif

#define MAX_INCLUDE_DEPTH 8
#define MAX_AXES 16
#define SIZE_PARAM_MAX ((int64_t)1 << 40) /* no size means more; keeps scaled sizes far from overflow */
#define MAX_HEADS 65536
#define MAX_BLOCK ((int64_t)1 << 20)      /* Flash keys per tile */
#define DEFAULT_HEADS 8                   /* lt_config_default's, which the ops keep when unset */
#define DEFAULT_EXPERTS 4
#define DEFAULT_TOP_K 2
#define DEFAULT_BLOCK 64
#define NEIGHBOR_BYTES 16                 /* sizeof(lt_neighbor); the ops module checks it */

static const char *const g_builtin[] = {"latency", "throughput", "memory", "matrix", "critical_path",
                                        "attention_comparison", "distance_comparison", "flash_attention",
                                        "ci", "all", "scaling", "peers"};

/* An error placed at a node's key rather than its value (unknown keys). */
static int key_error(const lb_toml_node *n, char *err, size_t errlen, const char *what)
{
    lb_toml_pos p = lb_toml_key_pos(n);
    char k[LB_NAME_LEN + 8];
    return lb_errorf(err, errlen, LB_EDATA, "%s:%d:%d: unknown key '%s' in %s", p.file, p.line, p.column,
                     lb_sanitize(k, sizeof k, lb_toml_key(n, NULL)), what);
}

/* the one unit style of every output (latentbench/units.h) */
static const char *fmt_bytes(uint64_t b, char *buf, size_t len)
{
    lb_units_bytes(buf, len, (double)b);
    return buf;
}

const char *lb_suite_dir(void)
{
    const char *env = getenv("LATENTBENCH_SUITE_DIR");
    if (env && *env) return env;
    struct stat st;
    if (stat(LB_SUITE_DIR, &st) == 0 && S_ISDIR(st.st_mode)) return LB_SUITE_DIR;
    return LB_SUITE_INSTALL_DIR;
}

void lb_case_list_free(lb_case_list *l)
{
    lb_free(l->cases);
    l->cases = NULL;
    l->count = l->cap = 0;
}

/* ---- parameters -------------------------------------------------------- */

typedef enum { P_INT, P_FLOAT, P_STRING } ptype;
static const struct {
    const char *name;
    ptype type;
    size_t off;
} g_params[] = {
    {"dimension", P_INT, offsetof(lb_case, dimension)},
    {"k", P_INT, offsetof(lb_case, k)},
    {"dataset_size", P_INT, offsetof(lb_case, dataset_size)},
    {"batch_size", P_INT, offsetof(lb_case, batch_size)},
    {"seq_len", P_INT, offsetof(lb_case, seq_len)},
    {"num_heads", P_INT, offsetof(lb_case, num_heads)},
    {"num_experts", P_INT, offsetof(lb_case, num_experts)},
    {"top_k_experts", P_INT, offsetof(lb_case, top_k_experts)},
    {"block_size", P_INT, offsetof(lb_case, block_size)},
    {"curvature", P_FLOAT, offsetof(lb_case, curvature)},
    {"metric", P_STRING, offsetof(lb_case, metric)},
    {"attention", P_STRING, offsetof(lb_case, attention)},
    {"impl", P_STRING, offsetof(lb_case, impl)},
};
#define NPARAMS (sizeof g_params / sizeof *g_params)

/* ---- sizes and memory -------------------------------------------------- */

/* *acc += a * b; 0 on overflow. Every size product goes through lb_size_mul. */
static int mul_acc(uint64_t *acc, uint64_t a, uint64_t b)
{
    size_t p;
    return lb_size_mul(a, b, &p) && !__builtin_add_overflow(*acc, (uint64_t)p, acc);
}

static int mul3(uint64_t a, uint64_t b, uint64_t c, uint64_t *out)
{
    size_t p, q;
    if (!lb_size_mul(a, b, &p) || !lb_size_mul(p, c, &q)) return 0;
    *out = q;
    return 1;
}

static int is_attn_op(int kind)
{
    return kind == LB_OP_ATTN || kind == LB_OP_ATTN_BATCH || kind == LB_OP_ATTN_BUILD;
}

static int sh_is_batched(int kind)
{
    return kind == LB_OP_KNN_BATCH || kind == LB_OP_ATTN_BATCH || kind == LB_OP_KNN_MERGE;
}

int lb_case_shape_of(const lb_case *c, lb_case_shape *sh)
{
    memset(sh, 0, sizeof *sh);
    int kind = lb_op_kind_parse(c->op);
    if (kind < 0) return 0;
    if (kind == LB_OP_NOOP) return 1;
    sh->d = c->dimension > 0 ? (uint64_t)c->dimension : 0;
    int64_t rows = is_attn_op(kind) ? (c->seq_len ? c->seq_len : c->dataset_size) : c->dataset_size;
    if (kind == LB_OP_ADD) rows = LB_ADD_RESET;
    if (kind == LB_OP_ADD_BATCH) rows = c->batch_size;
    sh->rows = rows > 0 ? (uint64_t)rows : 0;
    sh->nq = sh_is_batched(kind) ? (c->batch_size > 0 ? (uint64_t)c->batch_size : 0) : 1;
    /* k bounded by the rows searched: liblatent answers min(k, rows) neighbours,
     * so no buffer needs more (a knn_merge's lists are k long: no rows there);
     * other operations keep no answers */
    sh->k = c->k > 0 ? (uint64_t)c->k : 0;
    if (kind == LB_OP_KNN || kind == LB_OP_KNN_BATCH) sh->k = sh->k < sh->rows ? sh->k : sh->rows;
    else if (kind != LB_OP_KNN_MERGE) sh->k = 0;
    int attn = lb_attention_parse(c->attention);
    uint64_t heads = c->num_heads > 0 ? (uint64_t)c->num_heads : DEFAULT_HEADS;
    uint64_t experts = c->num_experts > 0 ? (uint64_t)c->num_experts : DEFAULT_EXPERTS;
    uint64_t groups = attn == ATTN_MULTIHEAD ? heads : attn == ATTN_MOE ? experts : 1; /* MultiHead, MoE: a state per group */
    if (sh->d > UINT64_MAX - 2 || !mul3(groups, sh->d + 2, 1, &sh->state_floats)) return 0;
    if (attn == ATTN_MOE && !mul3(experts, sh->d, 1, &sh->gate_floats)) return 0;
    return 1;
}

static int add_to(uint64_t *acc, uint64_t v) { return !__builtin_add_overflow(*acc, v, acc); }

uint64_t lb_case_bytes(const lb_case_shape *sh, uint64_t local_rows, int sharded_attention)
{
    if (sh->d > UINT64_MAX - 15) return 0;
    uint64_t padded = (sh->d + 15) / 16 * 16, row = 16, bytes = 1 << 20, t;
    /* staged rows and the space's copy (rows padded to 64 bytes, with an id and
     * a norm each), queries and outputs, the answers and their counts, the MoE gate */
    int ok = mul_acc(&row, padded, sizeof(float)) && mul3(local_rows, 2, row, &t) && add_to(&bytes, t) &&
             mul3(sh->nq, sh->d, 2 * sizeof(float), &t) && add_to(&bytes, t) &&
             mul3(sh->nq, sh->k, NEIGHBOR_BYTES, &t) && add_to(&bytes, t) &&
             mul_acc(&bytes, sh->nq, sizeof(size_t)) && mul_acc(&bytes, sh->gate_floats, sizeof(float));
    if (ok && sharded_attention) /* a state per query and the empty one */
        ok = sh->nq < UINT64_MAX && mul3(sh->nq + 1, sh->state_floats, sizeof(float), &t) && add_to(&bytes, t);
    return ok ? bytes : 0;
}

uint64_t lb_machine_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    size_t m;
    if (pages <= 0 || psz <= 0) return 0;
    return lb_size_mul((size_t)pages, (size_t)psz, &m) ? m : UINT64_MAX;
}

/* ---- the check of one case ---------------------------------------------- */

#define FAIL(p, ...) (*param = (p), lb_errorf(err, errlen, LB_EDATA, __VA_ARGS__))

/* A name from a file, made safe to print, with a "did you mean" when close to one of names. */
static int unknown_name(const char *what, const char *name, const char *const *names, size_t n, const char **param,
                        const char *pname, char *err, size_t errlen)
{
    char safe[LB_NAME_LEN * 4], list[128] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? (i + 1 == n ? " or " : ", ") : "",
                 names[i]);
    const char *s = lb_suggest(name, names, n);
    lb_sanitize(safe, sizeof safe, name);
    if (s) return FAIL(pname, "unknown %s '%s' (did you mean '%s'?)", what, safe, s);
    return FAIL(pname, "unknown %s '%s' (%s)", what, safe, list);
}

int lb_case_validate(const lb_case *c, uint64_t max_memory, const char **param, char *err, size_t errlen)
{
    const char *dummy;
    if (!param) param = &dummy;
    *param = "id";
    int kind = lb_op_kind_parse(c->op);
    if (kind < 0) return unknown_name("operation", c->op, g_op_names, LB_OP_COUNT, param, "op", err, errlen);
    int attn = lb_attention_parse(c->attention);
    if (lb_metric_parse(c->metric) < 0) return unknown_name("metric", c->metric, g_metrics, 5, param, "metric", err, errlen);
    if (attn < 0) return unknown_name("attention", c->attention, g_attentions, 4, param, "attention", err, errlen);
    int impl = lb_impl_parse(c->impl);
    if (impl < 0) return unknown_name("impl", c->impl, g_impls, LB_IMPL_COUNT, param, "impl", err, errlen);
    if (impl == LB_IMPL_FAISS) { /* what the FAISS peer can measure (docs/PEERS.md) */
        int m = lb_metric_parse(c->metric);
        if (kind != LB_OP_KNN && kind != LB_OP_KNN_BATCH)
            return FAIL("impl", "impl = 'faiss' measures knn and knn_batch only, not '%s'", c->op);
        if (m != 0 && m != 1 && m != 4) /* Euclidean, Cosine, Dot */
            return FAIL("metric", "impl = 'faiss' has no %s search (Euclidean, Cosine or Dot)", g_metrics[m]);
    }
    /* 0 means "not set": the default, -1, applies; anything else must be a Poincaré ball */
    if (c->curvature != 0.0 && !(isfinite(c->curvature) && c->curvature < 0.0))
        return FAIL("curvature", "curvature = %g: the Poincaré ball needs a finite curvature < 0", c->curvature);
    for (size_t i = 0; i < NPARAMS; i++)
        if (g_params[i].type == P_INT && *(const int64_t *)((const char *)c + g_params[i].off) < 0)
            return FAIL(g_params[i].name, "%s must not be negative", g_params[i].name);
    if (kind == LB_OP_NOOP) return LB_OK; /* allocates nothing, measures the loop */

    /* what each operation needs (docs/SUITES.md, "Checks") */
    const char *op = g_op_names[kind];
    int knn = kind == LB_OP_KNN || kind == LB_OP_KNN_BATCH, needs_k = knn || kind == LB_OP_KNN_MERGE;
    int needs_batch = kind == LB_OP_KNN_BATCH || kind == LB_OP_ATTN_BATCH || kind == LB_OP_ADD_BATCH ||
                      kind == LB_OP_KNN_MERGE;
    int needs_rows = knn || kind == LB_OP_BUILD || is_attn_op(kind);
    if (c->dimension < 1) return FAIL("op", "operation '%s' needs dimension (at least 1)", op);
    if (needs_k && c->k < 1) return FAIL("op", "operation '%s' needs k (at least 1)", op);
    if (needs_batch && c->batch_size < 1) return FAIL("op", "operation '%s' needs batch_size (at least 1)", op);
    if (needs_rows && is_attn_op(kind) && c->seq_len < 1 && c->dataset_size < 1)
        return FAIL("op", "operation '%s' needs seq_len (at least 1)", op);
    if (needs_rows && !is_attn_op(kind) && c->dataset_size < 1)
        return FAIL("op", "operation '%s' needs dataset_size (at least 1)", op);
    /* k may exceed dataset_size: liblatent answers with every row then, and the
     * design's full matrix (spec/cli-and-results.md) asks for 10,000 of 1,000.
     * The ops ask for min(k, rows) and keep that many answers (lb_case_shape_of). */

    /* liblatent's configuration contract (spec/kernels.md): checked here so a
     * bad value is an error at its place, never a silent default */
    if (c->num_heads > MAX_HEADS) return FAIL("num_heads", "num_heads = %lld: at most %d", (long long)c->num_heads, MAX_HEADS);
    if (c->num_heads && c->dimension % c->num_heads)
        return FAIL("num_heads", "num_heads = %lld does not divide dimension (%lld)", (long long)c->num_heads,
                    (long long)c->dimension);
    if (attn == ATTN_MULTIHEAD && !c->num_heads && c->dimension % DEFAULT_HEADS)
        return FAIL("attention", "MultiHead's default of %d heads does not divide dimension (%lld): set num_heads",
                    DEFAULT_HEADS, (long long)c->dimension);
    int64_t experts = c->num_experts ? c->num_experts : DEFAULT_EXPERTS;
    if (experts > LB_MAX_EXPERTS)
        return FAIL("num_experts", "num_experts = %lld: at most %d", (long long)experts, LB_MAX_EXPERTS);
    if (c->top_k_experts > experts)
        return FAIL("top_k_experts", "top_k_experts = %lld is larger than num_experts (%lld)",
                    (long long)c->top_k_experts, (long long)experts);
    if (c->block_size > MAX_BLOCK)
        return FAIL("block_size", "block_size = %lld: at most %lld keys per tile", (long long)c->block_size,
                    (long long)MAX_BLOCK);
    for (size_t i = 0; i < NPARAMS; i++) {
        int64_t v = g_params[i].type == P_INT ? *(const int64_t *)((const char *)c + g_params[i].off) : 0;
        if (v > SIZE_PARAM_MAX)
            return FAIL(g_params[i].name, "%s = %lld is beyond any machine (at most 2^40)", g_params[i].name,
                        (long long)v);
    }

    /* every product the ops will form, each blamed on its larger factor */
    lb_case_shape sh;
    uint64_t t;
    const char *rows_param = kind == LB_OP_ADD_BATCH ? "batch_size" : is_attn_op(kind) && c->seq_len ? "seq_len"
                             : kind == LB_OP_ADD ? "dimension" : "dataset_size";
    const char *nq_param = sh_is_batched(kind) ? "batch_size" : "dimension";
    int shaped = lb_case_shape_of(c, &sh);
    if (!shaped || !mul3(sh.rows, sh.d, 2 * sizeof(float), &t))
        return FAIL(sh.d >= sh.rows ? "dimension" : rows_param, "the sizes overflow: %llu rows x %llu dimensions",
                    (unsigned long long)sh.rows, (unsigned long long)sh.d);
    if (!mul3(sh.nq, sh.d, 2 * sizeof(float), &t))
        return FAIL(sh.d >= sh.nq ? "dimension" : nq_param, "the sizes overflow: %llu queries x %llu dimensions",
                    (unsigned long long)sh.nq, (unsigned long long)sh.d);
    if (!mul3(sh.nq, sh.k, NEIGHBOR_BYTES, &t))
        return FAIL(sh.k >= sh.nq ? "k" : nq_param, "the sizes overflow: %llu queries x k %llu neighbours",
                    (unsigned long long)sh.nq, (unsigned long long)sh.k);
    uint64_t bytes = lb_case_bytes(&sh, sh.rows, 0);
    if (!bytes)
        return FAIL("id", "the sizes overflow: %llu rows x %llu dimensions, %llu queries x k %llu",
                    (unsigned long long)sh.rows, (unsigned long long)sh.d, (unsigned long long)sh.nq,
                    (unsigned long long)sh.k);
    if (max_memory && bytes > max_memory) {
        char a[32], b[32], id[LB_ID_LEN + 16];
        return FAIL("id", "case '%s' needs about %s, over the memory limit of %s", lb_sanitize(id, sizeof id, c->id),
                    fmt_bytes(bytes, a, sizeof a), fmt_bytes(max_memory, b, sizeof b));
    }
    return LB_OK;
}

static int param_index(const char *key)
{
    for (size_t i = 0; i < NPARAMS; i++)
        if (strcmp(key, g_params[i].name) == 0) return (int)i;
    return -1;
}

/* Printable text only: ids and names reach terminals and results files. */
static int printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return 0;
    return 1;
}

/* Sets parameter pi of c from a scalar node; writes its label. A value that
 * would read as "not set" (0) or that no case can use is refused here, at
 * its place, rather than replaced by a default. */
static int assign(lb_case *c, int pi, const lb_toml_node *v, char *label, size_t llen, char *err, size_t errlen)
{
    void *field = (char *)c + g_params[pi].off;
    int rc;
    switch (g_params[pi].type) {
    case P_INT: {
        int64_t x;
        if ((rc = lb_toml_as_int(v, &x, err, errlen))) return rc;
        if (x < 0) return lb_toml_errorf(v, err, errlen, "%s must not be negative", g_params[pi].name);
        if (x == 0) return lb_toml_errorf(v, err, errlen, "%s must be at least 1", g_params[pi].name);
        *(int64_t *)field = x;
        snprintf(label, llen, "%lld", (long long)x);
        return LB_OK;
    }
    case P_FLOAT: {
        double x;
        if ((rc = lb_toml_as_float(v, &x, err, errlen))) return rc;
        if (!isfinite(x) || x >= 0.0) /* the only float is the curvature */
            return lb_toml_errorf(v, err, errlen, "%s = %g: the Poincaré ball needs a finite curvature < 0",
                                  g_params[pi].name, x);
        *(double *)field = x;
        snprintf(label, llen, "%g", x);
        return LB_OK;
    }
    case P_STRING: {
        const char *s;
        size_t len;
        if ((rc = lb_toml_as_string(v, &s, &len, err, errlen))) return rc;
        if (len >= LB_NAME_LEN || strlen(s) != len)
            return lb_toml_errorf(v, err, errlen, "%s is too long", g_params[pi].name);
        if (!len) /* "" would read as "not set", the default */
            return lb_toml_errorf(v, err, errlen, "%s must not be empty", g_params[pi].name);
        snprintf((char *)field, LB_NAME_LEN, "%s", s);
        snprintf(label, llen, "%s", s);
        return LB_OK;
    }
    }
    return LB_EINTERNAL;
}

/* One axis of the grid: a parameter key and its values (scalars or tables). */
typedef struct {
    const lb_toml_node *key_node;
    const char *key;
    const lb_toml_node *values; /* an array, or a single scalar */
    size_t n;
} axis;

static const lb_toml_node *axis_value(const axis *a, size_t i)
{
    return lb_toml_type_of(a->values) == LB_TOML_ARRAY ? lb_toml_at(a->values, i) : a->values;
}

/* Applies value i of axis a to c and returns its label; src[p] becomes the
 * node that set parameter p, for errors found later. */
static int apply(const axis *a, size_t i, lb_case *c, const lb_toml_node **src, char *label, size_t llen, char *err,
                 size_t errlen)
{
    const lb_toml_node *v = axis_value(a, i);
    if (lb_toml_type_of(v) == LB_TOML_TABLE) {
        /* a variant: label plus several parameters at once */
        const char *lab = NULL;
        int rc = lb_toml_get_string(v, "label", &lab, err, errlen);
        if (rc) return rc;
        if (!lab) return lb_toml_errorf(v, err, errlen, "a variant needs a label");
        snprintf(label, llen, "%s", lab);
        char dummy[LB_ID_LEN];
        for (size_t j = 0; j < lb_toml_count(v); j++) {
            const lb_toml_node *e = lb_toml_at(v, j);
            const char *k = lb_toml_key(e, NULL);
            if (strcmp(k, "label") == 0) continue;
            int pi = param_index(k);
            if (pi < 0) return key_error(e, err, errlen, "a variant (not a parameter)");
            if ((rc = assign(c, pi, e, dummy, sizeof dummy, err, errlen))) return rc;
            src[pi] = e;
        }
        return LB_OK;
    }
    int pi = param_index(a->key);
    if (pi < 0) {
        char k[LB_NAME_LEN + 8];
        return lb_toml_errorf(a->key_node, err, errlen,
                              "unknown parameter '%s' (a grid of variants needs tables with a label)",
                              lb_sanitize(k, sizeof k, a->key));
    }
    src[pi] = v;
    return assign(c, pi, v, label, llen, err, errlen);
}

/* Whether tmpl names {key}. */
static int names_key(const char *tmpl, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = strchr(tmpl, '{'); p; p = strchr(p + 1, '{'))
        if (strncmp(p + 1, key, kl) == 0 && p[1 + kl] == '}') return 1;
    return 0;
}

/* Substitutes {key} in tmpl with the labels of the current combination. */
static int format_id(const lb_toml_node *tmpl_node, const char *tmpl, const axis *axes, const char labels[][LB_ID_LEN],
                     size_t naxes, char *out, char *err, size_t errlen)
{
    size_t o = 0;
    for (const char *p = tmpl; *p;) {
        const char *piece = p;
        size_t plen = 1;
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close) return lb_toml_errorf(tmpl_node, err, errlen, "unclosed '{' in id");
            size_t klen = (size_t)(close - p - 1);
            size_t a;
            for (a = 0; a < naxes; a++)
                if (strlen(axes[a].key) == klen && strncmp(axes[a].key, p + 1, klen) == 0) break;
            if (a == naxes) {
                char k[LB_ID_LEN + 8], raw[LB_ID_LEN];
                snprintf(raw, sizeof raw, "%.*s", (int)(klen < sizeof raw ? klen : sizeof raw - 1), p + 1);
                return lb_toml_errorf(tmpl_node, err, errlen, "id names '{%s}', which is not a parameter",
                                      lb_sanitize(k, sizeof k, raw));
            }
            piece = labels[a];
            plen = strlen(piece);
            p = close + 1;
        } else {
            p++;
        }
        if (o + plen >= LB_ID_LEN) return lb_toml_errorf(tmpl_node, err, errlen, "id longer than %d bytes", LB_ID_LEN - 1);
        memcpy(out + o, piece, plen);
        o += plen;
    }
    out[o] = '\0';
    if (!o) return lb_toml_errorf(tmpl_node, err, errlen, "id is empty");
    if (!printable(out)) return lb_toml_errorf(tmpl_node, err, errlen, "id contains a control character");
    return LB_OK;
}

/* ---- the cases of one load, indexed by id ------------------------------- */

/* Open addressing over case indices (+ 1; 0 = empty), at most half full. */
typedef struct {
    size_t *slot;
    size_t n;
} id_index;

static size_t *ix_slot(const id_index *ix, const lb_case *cases, const char *id)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const char *p = id; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    size_t m = ix->n - 1, i = (size_t)h & m;
    while (ix->slot[i] && strcmp(cases[ix->slot[i] - 1].id, id) != 0) i = (i + 1) & m;
    return &ix->slot[i];
}

static int ix_reserve(id_index *ix, const lb_case *cases, size_t count)
{
    if (ix->n && (count + 1) * 2 <= ix->n) return LB_OK;
    size_t n = ix->n ? ix->n : 256;
    while ((count + 1) * 2 > n) n *= 2;
    size_t *s = lb_calloc(n, sizeof *s);
    if (!s) return LB_ENOMEM;
    lb_free(ix->slot);
    ix->slot = s;
    ix->n = n;
    for (size_t i = 0; i < count; i++) *ix_slot(ix, cases, cases[i].id) = i + 1;
    return LB_OK;
}

/* Whether two definitions measure the same thing (suite, group and where they
 * were written aside): parameters compare as the ops use them, so a value
 * left out and its default spelt out are the same case. */
static int64_t top_k(const lb_case *c)
{
    int64_t e = c->num_experts ? c->num_experts : DEFAULT_EXPERTS;
    return c->top_k_experts ? c->top_k_experts : e < DEFAULT_TOP_K ? e : DEFAULT_TOP_K; /* as the ops clamp it */
}

static int same_case(const lb_case *a, const lb_case *b)
{
    return lb_impl_parse(a->impl) == lb_impl_parse(b->impl) && lb_case_same_workload(a, b);
}

int lb_case_same_workload(const lb_case *a, const lb_case *b)
{
#define EFF(c, f, dflt) ((c)->f ? (c)->f : (dflt))
    return strcmp(a->op, b->op) == 0 && a->dimension == b->dimension && a->k == b->k &&
           a->dataset_size == b->dataset_size && a->batch_size == b->batch_size && a->seq_len == b->seq_len &&
           EFF(a, num_heads, DEFAULT_HEADS) == EFF(b, num_heads, DEFAULT_HEADS) &&
           EFF(a, num_experts, DEFAULT_EXPERTS) == EFF(b, num_experts, DEFAULT_EXPERTS) &&
           top_k(a) == top_k(b) && EFF(a, block_size, DEFAULT_BLOCK) == EFF(b, block_size, DEFAULT_BLOCK) &&
           EFF(a, curvature, -1.0) == EFF(b, curvature, -1.0) &&
           lb_metric_parse(a->metric) == lb_metric_parse(b->metric) &&
           lb_attention_parse(a->attention) == lb_attention_parse(b->attention);
#undef EFF
}

static int list_push(lb_case_list *l, const lb_case *c)
{
    if (l->count == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 64;
        lb_case *p = lb_realloc(l->cases, nc * sizeof *p);
        if (!p) return LB_ENOMEM;
        l->cases = p;
        l->cap = nc;
    }
    l->cases[l->count++] = *c;
    return LB_OK;
}

/* Adds c unless an identical definition of its id is there already; a
 * different one under the same id is an error naming both places. */
static int add_case(lb_case_list *l, id_index *ix, const lb_case *c, char *err, size_t errlen)
{
    int rc = ix_reserve(ix, l->cases, l->count);
    if (rc) return lb_errorf(err, errlen, rc, "out of memory");
    size_t *slot = ix_slot(ix, l->cases, c->id);
    if (*slot) {
        const lb_case *prev = &l->cases[*slot - 1];
        if (same_case(prev, c)) return LB_OK; /* first definition wins: it runs once */
        char id[LB_ID_LEN + 16];
        return lb_errorf(err, errlen, LB_EDATA, "%s: id '%s' names two different cases (the other at %s)",
                         c->origin[0] ? c->origin : "suite", lb_sanitize(id, sizeof id, c->id),
                         prev->origin[0] ? prev->origin : "an earlier suite");
    }
    if (l->count >= LB_SUITE_MAX_CASES)
        return lb_errorf(err, errlen, LB_EDATA, "%s: the suites expand to more than %d cases", c->origin,
                         LB_SUITE_MAX_CASES);
    if ((rc = list_push(l, c))) return lb_errorf(err, errlen, rc, "out of memory");
    *slot = l->count;
    return LB_OK;
}

/* One load: every case of a suite and its includes, before the filter. */
typedef struct {
    lb_case_list all;
    id_index ix;
    struct {
        dev_t dev;
        ino_t ino;
    } open[MAX_INCLUDE_DEPTH + 1]; /* the files being read, outermost first: an include cycle names one again */
    uint64_t limit; /* this machine's memory */
} loader;

/* Checks a case with lb_case_validate and places its error at the node that
 * set the parameter to blame (or the op, or the id). */
static int check_case(const loader *L, const lb_case *c, const lb_toml_node *const *src, const lb_toml_node *g,
                      char *err, size_t errlen)
{
    const char *param = NULL;
    char cause[512];
    int rc = lb_case_validate(c, L->limit, &param, cause, sizeof cause);
    if (!rc) return LB_OK;
    const lb_toml_node *at = NULL;
    int pi = param ? param_index(param) : -1;
    if (pi >= 0) at = src[pi];
    if (!at && param && strcmp(param, "id") == 0) at = lb_toml_find(g, "id");
    if (!at) at = lb_toml_find(g, "op");
    if (param && strcmp(param, "id") == 0 && strstr(cause, "memory limit"))
        return lb_toml_errorf(at, err, errlen, "%s (this machine's memory)", cause);
    return lb_toml_errorf(at, err, errlen, "%s", cause);
}

static int load_group(const lb_toml_node *g, const char *suite, loader *L, char *err, size_t errlen)
{
    static const char *const allowed[] = {"name", "op", "id", "throughput", "params", NULL};
    const lb_toml_node *bad = NULL;
    for (size_t i = 0; i < lb_toml_count(g); i++) {
        const char *k = lb_toml_key(lb_toml_at(g, i), NULL);
        int ok = 0;
        for (const char *const *a = allowed; *a; a++) ok |= strcmp(*a, k) == 0;
        if (!ok) { bad = lb_toml_at(g, i); break; }
    }
    if (bad) return key_error(bad, err, errlen, "a group");
    int rc;
    const char *name = NULL, *op = NULL, *tmpl = NULL, *tp = NULL;
    if ((rc = lb_toml_require(g, "name", err, errlen)) || (rc = lb_toml_require(g, "op", err, errlen)) ||
        (rc = lb_toml_require(g, "id", err, errlen)) || (rc = lb_toml_require(g, "params", err, errlen)) ||
        (rc = lb_toml_get_string(g, "name", &name, err, errlen)) ||
        (rc = lb_toml_get_string(g, "op", &op, err, errlen)) || (rc = lb_toml_get_string(g, "id", &tmpl, err, errlen)) ||
        (rc = lb_toml_get_string(g, "throughput", &tp, err, errlen)))
        return rc;
    const lb_toml_node *params = lb_toml_find(g, "params"), *id_node = lb_toml_find(g, "id");
    if ((rc = lb_toml_expect(params, LB_TOML_TABLE, err, errlen))) return rc;
    if (strlen(name) >= LB_NAME_LEN) return lb_toml_errorf(lb_toml_find(g, "name"), err, errlen, "name is too long");
    if (!printable(name))
        return lb_toml_errorf(lb_toml_find(g, "name"), err, errlen, "name contains a control character");
    if (lb_op_kind_parse(op) < 0) {
        char safe[LB_NAME_LEN * 4];
        const char *s = lb_suggest(op, g_op_names, LB_OP_COUNT);
        lb_sanitize(safe, sizeof safe, op);
        if (s) return lb_toml_errorf(lb_toml_find(g, "op"), err, errlen, "unknown operation '%s' (did you mean '%s'?)", safe, s);
        return lb_toml_errorf(lb_toml_find(g, "op"), err, errlen, "unknown operation '%s'", safe);
    }
    int tp_index = -1;
    if (tp) {
        tp_index = param_index(tp);
        if (tp_index < 0 || g_params[tp_index].type != P_INT)
            return lb_toml_errorf(lb_toml_find(g, "throughput"), err, errlen,
                                  "throughput must name an integer parameter (k, batch_size, seq_len, ...)");
    }

    axis axes[MAX_AXES];
    size_t naxes = lb_toml_count(params), ncases = 1;
    if (naxes > MAX_AXES) return lb_toml_errorf(params, err, errlen, "more than %d parameters", MAX_AXES);
    for (size_t a = 0; a < naxes; a++) {
        const lb_toml_node *v = lb_toml_at(params, a);
        axes[a].key_node = v;
        axes[a].key = lb_toml_key(v, NULL);
        axes[a].values = v;
        axes[a].n = lb_toml_type_of(v) == LB_TOML_ARRAY ? lb_toml_count(v) : 1;
        if (axes[a].n == 0) return lb_toml_errorf(v, err, errlen, "'%s' has no values", axes[a].key);
        /* an axis the id does not name gives several cases one id: the grid
         * would collapse to its first case without a word */
        if (axes[a].n > 1 && !names_key(tmpl, axes[a].key)) {
            char k[LB_NAME_LEN + 8];
            lb_sanitize(k, sizeof k, axes[a].key);
            return lb_toml_errorf(id_node, err, errlen,
                                  "id has no {%s}, so the %zu values of '%s' would share one id: add {%s} to it", k,
                                  axes[a].n, k, k);
        }
        size_t nc;
        if (!lb_size_mul(ncases, axes[a].n, &nc) || nc > LB_SUITE_MAX_CASES)
            return lb_toml_errorf(params, err, errlen, "the grid has more than %d cases", LB_SUITE_MAX_CASES);
        ncases = nc;
    }

    /* odometer over the grid: the first key outermost */
    size_t idx[MAX_AXES] = {0};
    char labels[MAX_AXES][LB_ID_LEN];
    lb_toml_pos where = lb_toml_pos_of(id_node);
    for (;;) {
        lb_case c;
        const lb_toml_node *src[NPARAMS] = {0};
        memset(&c, 0, sizeof c);
        snprintf(c.suite, sizeof c.suite, "%s", suite);
        snprintf(c.group, sizeof c.group, "%s", name);
        snprintf(c.op, sizeof c.op, "%s", op);
        snprintf(c.origin, sizeof c.origin, "%s:%d:%d", where.file, where.line, where.column);
        for (size_t a = 0; a < naxes; a++)
            if ((rc = apply(&axes[a], idx[a], &c, src, labels[a], sizeof labels[a], err, errlen))) return rc;
        if ((rc = format_id(id_node, tmpl, axes, (const char(*)[LB_ID_LEN])labels, naxes, c.id, err, errlen)))
            return rc;
        if (tp_index >= 0) c.elements = *(int64_t *)((char *)&c + g_params[tp_index].off);
        if ((rc = check_case(L, &c, src, g, err, errlen)) || (rc = add_case(&L->all, &L->ix, &c, err, errlen)))
            return rc;
        size_t a = naxes;
        while (a > 0 && ++idx[a - 1] == axes[a - 1].n) idx[--a] = 0;
        if (a == 0) break;
    }
    return LB_OK;
}

/* ---- files --------------------------------------------------------------- */

static int resolve(const char *name, char *path, size_t len)
{
    size_t n = strlen(name);
    if (strchr(name, '/') || (n > 5 && strcmp(name + n - 5, ".toml") == 0)) snprintf(path, len, "%s", name);
    else snprintf(path, len, "%s/%s.toml", lb_suite_dir(), name);
    struct stat st; /* any kind: the reader says what is wrong with one that is not a regular file */
    return stat(path, &st) == 0;
}

/* The error for a suite that is not there: at the include that names it, or
 * (the command line's) without a place. */
static int missing(const char *name, const char *path, const lb_toml_node *inc, char *err, size_t errlen)
{
    char safe[512], where[320] = "";
    lb_sanitize(safe, sizeof safe, name);
    if (inc) {
        lb_toml_pos p = lb_toml_pos_of(inc);
        snprintf(where, sizeof where, "%s:%d:%d: include ", p.file, p.line, p.column);
    }
    int code = inc ? LB_EDATA : LB_ENOINPUT; /* a file naming a missing include is itself wrong */
    if (strchr(name, '/') || strstr(name, ".toml"))
        return lb_errorf(err, errlen, code, inc ? "%s'%s': no such suite file" : "%s%s: no such suite file", where, safe);
    const char *s = lb_suggest(name, g_builtin, sizeof g_builtin / sizeof *g_builtin);
    if (s) return lb_errorf(err, errlen, code, "%sunknown suite '%s' (did you mean '%s'?)", where, safe, s);
    char p[512];
    lb_sanitize(p, sizeof p, path);
    return lb_errorf(err, errlen, code,
                     "%sunknown suite '%s' (no %s; built-in: latency throughput memory matrix critical_path "
                     "attention_comparison distance_comparison flash_attention ci all scaling peers)",
                     where, safe, p);
}

static int load_file(const char *name, const lb_toml_node *inc_node, loader *L, int depth, char *err, size_t errlen)
{
    char path[1024];
    struct stat st;
    if (!resolve(name, path, sizeof path) || stat(path, &st) != 0) return missing(name, path, inc_node, err, errlen);
    for (int i = 0; i < depth; i++)
        if (L->open[i].dev == st.st_dev && L->open[i].ino == st.st_ino) {
            char safe[512];
            return lb_toml_errorf(inc_node, err, errlen, "include cycle: '%s' is already being loaded",
                                  lb_sanitize(safe, sizeof safe, name));
        }
    L->open[depth].dev = st.st_dev;
    L->open[depth].ino = st.st_ino;
    lb_toml_doc *doc = NULL;
    int rc = lb_toml_parse_file(path, &doc, err, errlen);
    if (rc) return rc;
    const lb_toml_node *root = lb_toml_root(doc);
    static const char *const allowed[] = {"suite", "description", "include", "group", NULL};
    for (size_t i = 0; i < lb_toml_count(root) && !rc; i++) {
        const lb_toml_node *e = lb_toml_at(root, i);
        const char *k = lb_toml_key(e, NULL);
        int ok = 0;
        for (const char *const *a = allowed; *a; a++) ok |= strcmp(*a, k) == 0;
        if (!ok) rc = key_error(e, err, errlen, "a suite file");
    }
    const char *suite = NULL, *desc = NULL;
    if (!rc) rc = lb_toml_get_string(root, "suite", &suite, err, errlen);
    if (!rc) rc = lb_toml_get_string(root, "description", &desc, err, errlen);
    char stem[LB_NAME_LEN];
    if (!rc && !suite) {
        const char *b = strrchr(path, '/');
        b = b ? b + 1 : path;
        size_t sl = strcspn(b, ".");
        if (sl >= sizeof stem) sl = sizeof stem - 1;
        memcpy(stem, b, sl);
        stem[sl] = '\0';
        suite = stem;
    }
    if (!rc && (strlen(suite) >= LB_NAME_LEN || !printable(suite)))
        rc = lb_toml_find(root, "suite")
                 ? lb_toml_errorf(lb_toml_find(root, "suite"), err, errlen, "suite name too long or not printable")
                 : lb_errorf(err, errlen, LB_EDATA, "%s: the file name is not a printable suite name", path);
    const lb_toml_node *inc = lb_toml_find(root, "include");
    if (!rc && inc) {
        if (depth >= MAX_INCLUDE_DEPTH) rc = lb_toml_errorf(inc, err, errlen, "includes nest deeper than %d", MAX_INCLUDE_DEPTH);
        else if (!(rc = lb_toml_expect(inc, LB_TOML_ARRAY, err, errlen)))
            for (size_t i = 0; i < lb_toml_count(inc) && !rc; i++) {
                const char *s;
                size_t len;
                rc = lb_toml_as_string(lb_toml_at(inc, i), &s, &len, err, errlen);
                if (!rc && (len == 0 || strlen(s) != len || len >= 512))
                    rc = lb_toml_errorf(lb_toml_at(inc, i), err, errlen, "an include must be a suite name or path");
                if (!rc) rc = load_file(s, lb_toml_at(inc, i), L, depth + 1, err, errlen);
            }
    }
    const lb_toml_node *groups = lb_toml_find(root, "group");
    if (!rc && groups) {
        if (!(rc = lb_toml_expect(groups, LB_TOML_ARRAY, err, errlen)))
            for (size_t i = 0; i < lb_toml_count(groups) && !rc; i++) {
                const lb_toml_node *g = lb_toml_at(groups, i);
                rc = lb_toml_expect(g, LB_TOML_TABLE, err, errlen);
                if (!rc) rc = load_group(g, suite, L, err, errlen);
            }
    }
    lb_toml_free(doc);
    return rc;
}

int lb_suite_load(const char *name_or_path, const char *filter, lb_case_list *list, char *err, size_t errlen)
{
    regex_t re;
    if (filter) {
        int rc = regcomp(&re, filter, REG_EXTENDED | REG_NOSUB);
        if (rc) {
            char msg[256], safe[512];
            regerror(rc, &re, msg, sizeof msg);
            return lb_errorf(err, errlen, LB_EUSAGE, "--filter '%s': %s", lb_sanitize(safe, sizeof safe, filter), msg);
        }
    }
    loader L;
    memset(&L, 0, sizeof L);
    L.limit = lb_machine_memory();
    int rc = load_file(name_or_path, NULL, &L, 0, err, errlen);
    /* every case is valid: now the ones the filter keeps join the list, where
     * an id from an earlier suite must name the same case too */
    id_index ix = {0};
    for (size_t i = 0; !rc && i < list->count; i++)
        if (!(rc = ix_reserve(&ix, list->cases, i))) *ix_slot(&ix, list->cases, list->cases[i].id) = i + 1;
    if (rc == LB_ENOMEM) lb_errorf(err, errlen, rc, "out of memory");
    for (size_t i = 0; !rc && i < L.all.count; i++)
        if (!filter || regexec(&re, L.all.cases[i].id, 0, NULL, 0) == 0)
            rc = add_case(list, &ix, &L.all.cases[i], err, errlen);
    lb_free(ix.slot);
    lb_free(L.ix.slot);
    lb_case_list_free(&L.all);
    if (filter) regfree(&re);
    return rc;
}
