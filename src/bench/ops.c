/* Benchmark operations over liblatent's public API. */
#include "ops.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"

#include <latent/latent.h>

#include <string.h>
#include <strings.h>

#define LB_ADD_RESET 1024 /* add_embedding: a fresh space every this many adds */

typedef enum { OP_NOOP, OP_CREATE, OP_ADD, OP_ADD_BATCH, OP_KNN, OP_KNN_BATCH, OP_ATTN, OP_ATTN_BATCH, OP_BUILD, OP_ATTN_BUILD } op_kind;

static const struct {
    const char *name;
    op_kind kind;
} g_ops[] = {
    {"noop", OP_NOOP},           /* nothing: the harness's own cost per iteration */
    {"create", OP_CREATE},       /* lt_space_create + destroy */
    {"add", OP_ADD},             /* lt_space_add into a fresh space (reset every 1024 adds, untimed) */
    {"add_batch", OP_ADD_BATCH}, /* lt_space_add_batch of batch_size into a fresh space */
    {"knn", OP_KNN},             /* lt_space_knn over dataset_size rows */
    {"knn_batch", OP_KNN_BATCH}, /* lt_space_knn_batch of batch_size queries */
    {"attention", OP_ATTN},      /* lt_space_attention over seq_len rows */
    {"attention_batch", OP_ATTN_BATCH},
    {"build", OP_BUILD},         /* create + dataset_size lt_space_add with explicit ids + destroy */
    {"attention_build", OP_ATTN_BUILD}, /* create + seq_len adds + one attention + destroy */
};

struct lb_op_ctx {
    op_kind    kind;
    lt_config  cfg;
    lt_space  *space;
    float     *data;    /* rows to insert (nrows x d) */
    float     *queries; /* nq x d */
    size_t     nrows, nq, d, k;
    lt_neighbor *nb;
    size_t      *found;
    float       *out;
};

void lb_fill_uniform(float *x, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t z = seed * 0xD1B54A32D192ED03ULL + (i + 1) * 0x9E3779B97F4A7C15ULL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        x[i] = (float)((double)(z >> 40) * (1.0 / 8388608.0) - 1.0); /* 24 random bits */
    }
}

int lb_op_known(const char *op)
{
    for (size_t i = 0; i < sizeof g_ops / sizeof *g_ops; i++)
        if (strcmp(op, g_ops[i].name) == 0) return 1;
    return 0;
}

static int parse_metric(const char *s, lt_metric *m)
{
    static const char *names[] = {"Euclidean", "Cosine", "Manhattan", "Hyperbolic", "Dot"};
    if (!*s) { *m = LT_METRIC_EUCLIDEAN; return 1; }
    for (int i = 0; i < 5; i++)
        if (strcasecmp(s, names[i]) == 0) { *m = (lt_metric)i; return 1; }
    return 0;
}

static int parse_attention(const char *s, lt_attention *a)
{
    static const char *names[] = {"Standard", "Flash", "MultiHead", "MoE"};
    if (!*s) { *a = LT_ATTN_STANDARD; return 1; }
    for (int i = 0; i < 4; i++)
        if (strcasecmp(s, names[i]) == 0) { *a = (lt_attention)i; return 1; }
    return 0;
}

void lb_op_free(lb_op_ctx *c)
{
    if (!c) return;
    lt_space_destroy(c->space);
    lb_free(c->data);
    lb_free(c->queries);
    lb_free(c->nb);
    lb_free(c->found);
    lb_free(c->out);
    lb_free(c);
}

static int fail(lb_op_ctx *c, int code, char *err, size_t errlen, const char *what, int lt_code)
{
    lb_errorf(err, errlen, code, "%s: %s", what, lt_strerror(lt_code));
    lb_op_free(c);
    return code;
}

int lb_op_prepare(const lb_case *cs, const lb_dataset *ds, uint64_t seed, lb_op_ctx **out, char *err, size_t errlen)
{
    *out = NULL;
    lb_op_ctx *c = lb_calloc(1, sizeof *c);
    if (!c) return LB_ENOMEM;
    size_t i;
    for (i = 0; i < sizeof g_ops / sizeof *g_ops; i++)
        if (strcmp(cs->op, g_ops[i].name) == 0) break;
    if (i == sizeof g_ops / sizeof *g_ops) {
        lb_op_free(c);
        return lb_errorf(err, errlen, LB_EDATA, "%s: unknown operation '%s'", cs->id, cs->op);
    }
    c->kind = g_ops[i].kind;
    if (c->kind == OP_NOOP) { /* no space, no data */
        *out = c;
        return LB_OK;
    }
    c->d = ds ? ds->d : (size_t)cs->dimension;
    c->cfg = lt_config_default(c->d);
    if (!parse_metric(cs->metric, &c->cfg.metric) || !parse_attention(cs->attention, &c->cfg.attention)) {
        lb_op_free(c);
        return lb_errorf(err, errlen, LB_EDATA, "%s: unknown metric '%s' or attention '%s'", cs->id, cs->metric,
                         cs->attention);
    }
    if (ds && strcmp(ds->distance, "angular") == 0) c->cfg.metric = LT_METRIC_COSINE;
    else if (ds) c->cfg.metric = LT_METRIC_EUCLIDEAN;
    if (cs->num_heads > 0) c->cfg.num_heads = (unsigned)cs->num_heads;
    if (cs->num_experts > 0) c->cfg.num_experts = (unsigned)cs->num_experts;
    if (cs->top_k_experts > 0) c->cfg.top_k_experts = (unsigned)cs->top_k_experts;
    if (c->cfg.top_k_experts > c->cfg.num_experts) c->cfg.top_k_experts = c->cfg.num_experts;
    if (cs->block_size > 0) c->cfg.block_size = (unsigned)cs->block_size;
    if (cs->curvature < 0) c->cfg.curvature = (float)cs->curvature;

    /* check the configuration once, up front */
    lt_space *probe = NULL;
    int lrc = lt_space_create(&c->cfg, &probe);
    lt_space_destroy(probe);
    if (lrc) return fail(c, LB_EDATA, err, errlen, cs->id, lrc);

    int stored = c->kind == OP_KNN || c->kind == OP_KNN_BATCH || c->kind == OP_ATTN || c->kind == OP_ATTN_BATCH;
    int attn = c->kind == OP_ATTN || c->kind == OP_ATTN_BATCH || c->kind == OP_ATTN_BUILD;
    c->nrows = (size_t)(attn ? (cs->seq_len ? cs->seq_len : cs->dataset_size) : cs->dataset_size);
    if (c->kind == OP_ADD) c->nrows = LB_ADD_RESET;
    if (c->kind == OP_ADD_BATCH) c->nrows = (size_t)cs->batch_size;
    c->nq = (c->kind == OP_KNN_BATCH || c->kind == OP_ATTN_BATCH) ? (size_t)cs->batch_size : 1;
    c->k = (size_t)cs->k;
    if (c->kind != OP_CREATE && c->kind != OP_NOOP && c->nrows == 0) {
        lb_op_free(c);
        return lb_errorf(err, errlen, LB_EDATA, "%s: operation '%s' needs rows (dataset_size, seq_len or batch_size)",
                         cs->id, cs->op);
    }
    if ((c->kind == OP_KNN || c->kind == OP_KNN_BATCH) && c->k == 0) {
        lb_op_free(c);
        return lb_errorf(err, errlen, LB_EDATA, "%s: kNN needs k > 0", cs->id);
    }
    if (c->nq == 0) {
        lb_op_free(c);
        return lb_errorf(err, errlen, LB_EDATA, "%s: batch operation needs batch_size > 0", cs->id);
    }

    if (ds && stored) {
        c->nrows = ds->n;
        if (c->nq > ds->q) c->nq = ds->q;
    }
    size_t nd = c->nrows * c->d;
    if (c->nrows) {
        c->data = lb_malloc(nd * sizeof(float));
        if (!c->data) return fail(c, LB_ENOMEM, err, errlen, cs->id, LT_ENOMEM);
        if (ds && stored) memcpy(c->data, ds->train, nd * sizeof(float));
        else lb_fill_uniform(c->data, nd, seed ^ ((uint64_t)c->d << 32));
    }
    c->queries = lb_malloc(c->nq * c->d * sizeof(float));
    c->nb = c->k ? lb_malloc(c->nq * c->k * sizeof *c->nb) : NULL;
    c->found = lb_malloc(c->nq * sizeof *c->found);
    c->out = lb_malloc(c->nq * c->d * sizeof(float));
    if (!c->queries || !c->found || !c->out || (c->k && !c->nb)) return fail(c, LB_ENOMEM, err, errlen, cs->id, LT_ENOMEM);
    if (ds && stored) memcpy(c->queries, ds->test, c->nq * c->d * sizeof(float));
    else lb_fill_uniform(c->queries, c->nq * c->d, (seed + 1) ^ ((uint64_t)c->d << 32));

    if (stored) {
        if ((lrc = lt_space_create(&c->cfg, &c->space)) || (lrc = lt_space_add_batch(c->space, c->data, c->nrows, NULL)))
            return fail(c, LB_EDATA, err, errlen, cs->id, lrc);
        lb_free(c->data); /* the space holds its own copy */
        c->data = NULL;
    }
    *out = c;
    return LB_OK;
}

void lb_op_shape(const lb_op_ctx *c, size_t *dimension, size_t *rows)
{
    *dimension = c->d;
    *rows = c->nrows;
}

/* Builds a space from c->data with explicit ids, as the memory groups do. */
static int build(lb_op_ctx *c, lt_space **s)
{
    int rc = lt_space_create(&c->cfg, s);
    for (size_t r = 0; r < c->nrows && !rc; r++) {
        uint64_t id = r;
        rc = lt_space_add(*s, c->data + r * c->d, &id, NULL);
    }
    return rc;
}

int lb_op_run(void *vctx, uint64_t iters, uint64_t *elapsed_ns)
{
    lb_op_ctx *c = vctx;
    uint64_t total = 0, t0;
    int rc = 0;
    lt_space *s = NULL;
    switch (c->kind) {
    case OP_NOOP:
        t0 = lb_clock_ns();
        for (uint64_t i = 0; i < iters; i++) lb_consume(c);
        total = lb_clock_ns() - t0;
        break;
    case OP_CREATE:
        t0 = lb_clock_ns();
        for (uint64_t i = 0; i < iters && !rc; i++) {
            rc = lt_space_create(&c->cfg, &s);
            lb_consume(s);
            lt_space_destroy(s);
        }
        total = lb_clock_ns() - t0;
        break;
    case OP_ADD:
        for (uint64_t done = 0; done < iters && !rc;) {
            uint64_t chunk = iters - done < c->nrows ? iters - done : c->nrows;
            if ((rc = lt_space_create(&c->cfg, &s))) break;
            t0 = lb_clock_ns();
            for (uint64_t i = 0; i < chunk && !rc; i++) rc = lt_space_add(s, c->data + i * c->d, NULL, NULL);
            total += lb_clock_ns() - t0;
            lt_space_destroy(s);
            done += chunk;
        }
        break;
    case OP_ADD_BATCH:
        for (uint64_t i = 0; i < iters && !rc; i++) {
            if ((rc = lt_space_create(&c->cfg, &s))) break;
            t0 = lb_clock_ns();
            rc = lt_space_add_batch(s, c->data, c->nrows, NULL);
            total += lb_clock_ns() - t0;
            lt_space_destroy(s);
        }
        break;
    case OP_KNN:
        t0 = lb_clock_ns();
        for (uint64_t i = 0; i < iters && !rc; i++) {
            rc = lt_space_knn(c->space, c->queries, c->k, c->nb, c->found);
            lb_consume(c->nb);
        }
        total = lb_clock_ns() - t0;
        break;
    case OP_KNN_BATCH:
        t0 = lb_clock_ns();
        for (uint64_t i = 0; i < iters && !rc; i++) {
            rc = lt_space_knn_batch(c->space, c->queries, c->nq, c->k, c->nb, c->found);
            lb_consume(c->nb);
        }
        total = lb_clock_ns() - t0;
        break;
    case OP_ATTN:
        t0 = lb_clock_ns();
        for (uint64_t i = 0; i < iters && !rc; i++) {
            rc = lt_space_attention(c->space, c->queries, c->out);
            lb_consume(c->out);
        }
        total = lb_clock_ns() - t0;
        break;
    case OP_ATTN_BATCH:
        t0 = lb_clock_ns();
        for (uint64_t i = 0; i < iters && !rc; i++) {
            rc = lt_space_attention_batch(c->space, c->queries, c->nq, c->out);
            lb_consume(c->out);
        }
        total = lb_clock_ns() - t0;
        break;
    case OP_BUILD:
        t0 = lb_clock_ns();
        for (uint64_t i = 0; i < iters && !rc; i++) {
            rc = build(c, &s);
            lb_consume(s);
            lt_space_destroy(s);
            s = NULL;
        }
        total = lb_clock_ns() - t0;
        break;
    case OP_ATTN_BUILD:
        t0 = lb_clock_ns();
        for (uint64_t i = 0; i < iters && !rc; i++) {
            rc = build(c, &s);
            if (!rc) rc = lt_space_attention(s, c->queries, c->out);
            lb_consume(c->out);
            lt_space_destroy(s);
            s = NULL;
        }
        total = lb_clock_ns() - t0;
        break;
    }
    *elapsed_ns = total;
    return rc ? LB_EINTERNAL : LB_OK;
}
