/* Benchmark operations over liblatent's public API, on one process or with the
 * data sharded over MPI ranks (latentbench/ops.h). */
#include "latentbench/ops.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/units.h"

#include <latent/latent.h>

#include <stdio.h>
#include <string.h>

/* The suite module sizes cases without liblatent's header: keep its constants true. */
_Static_assert(sizeof(lt_neighbor) == 16, "lb_case_bytes counts 16 bytes a neighbour");
_Static_assert(LB_MAX_EXPERTS == LT_MAX_EXPERTS, "the suite check bounds num_experts as liblatent does");

struct lb_op_ctx {
    const lb_latent *lt; /* the build of liblatent measured */
    lb_op_kind kind;
    lt_config  cfg;
    lt_space  *space;
    float     *data;    /* this rank's rows to insert (nrows x d) */
    uint64_t  *ids;     /* data sharding: their global row numbers */
    float     *queries; /* nq x d */
    size_t     nrows, nrows_total, nq, d, k;
    lt_neighbor *nb;
    size_t      *found;
    float       *out;
    float       *states; /* data sharding, attention: nq states */
    float       *empty_state; /* the state of no rows */
    size_t       state_floats;
    const lb_cluster *cl; /* data sharding: the ranks; NULL alone */
    uint64_t     comm_ns;
};

static uint64_t mix(uint64_t seed, uint64_t i)
{
    uint64_t z = seed * 0xD1B54A32D192ED03ULL + (i + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void lb_fill_uniform_at(float *x, uint64_t first, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((double)(mix(seed, first + i) >> 40) * (1.0 / 8388608.0) - 1.0); /* 24 random bits */
}

void lb_fill_uniform(float *x, size_t n, uint64_t seed) { lb_fill_uniform_at(x, 0, n, seed); }

void lb_shard_range(uint64_t n, int r, int p, uint64_t *lo, uint64_t *hi)
{
    /* 128-bit products: n * r cannot overflow */
    *lo = (uint64_t)((unsigned __int128)n * (unsigned)r / (unsigned)p);
    *hi = (uint64_t)((unsigned __int128)n * (unsigned)(r + 1) / (unsigned)p);
}

/* The names the suite module knows, in liblatent's enum orders. */
static int parse_metric(const char *s, lt_metric *m)
{
    int i = lb_metric_parse(s);
    if (i >= 0) *m = (lt_metric)i;
    return i >= 0;
}

static int parse_attention(const char *s, lt_attention *a)
{
    int i = lb_attention_parse(s);
    if (i >= 0) *a = (lt_attention)i;
    return i >= 0;
}

void lb_op_free(lb_op_ctx *c)
{
    if (!c) return;
    if (c->space) c->lt->space_destroy(c->space);
    lb_free(c->data);
    lb_free(c->ids);
    lb_free(c->queries);
    lb_free(c->nb);
    lb_free(c->found);
    lb_free(c->out);
    lb_free(c->states);
    lb_free(c->empty_state);
    lb_free(c);
}

static int fail(lb_op_ctx *c, int code, char *err, size_t errlen, const char *what, int lt_code)
{
    lb_errorf(err, errlen, code, "%s: %s", what, c->lt->strerror(lt_code));
    lb_op_free(c);
    return code;
}

static int stores_rows(lb_op_kind k)
{
    return k == LB_OP_KNN || k == LB_OP_KNN_BATCH || k == LB_OP_ATTN || k == LB_OP_ATTN_BATCH;
}

static int is_knn(lb_op_kind k) { return k == LB_OP_KNN || k == LB_OP_KNN_BATCH || k == LB_OP_KNN_MERGE; }
static int is_attn(lb_op_kind k) { return k == LB_OP_ATTN || k == LB_OP_ATTN_BATCH || k == LB_OP_ATTN_BUILD; }

/* Operations whose rows are split over the ranks under data sharding; the
 * others (noop, create, add) run whole on every rank. */
static int sharded(lb_op_kind k) { return k != LB_OP_NOOP && k != LB_OP_CREATE && k != LB_OP_ADD; }

/* The shape of a case before anything is allocated: rows over all ranks,
 * queries, k and the dimension, from the suite module's sizing (one path for
 * the suite check and the ops), with a dataset's dimension and rows instead
 * of the case's when there is one. Cases from suites passed lb_case_validate;
 * these checks keep the ops safe for cases made in code and scaled ones. */
static int case_shape(const lb_case *cs, const lb_op_env *env, lb_op_kind kind, lb_case_shape *sh, char *err,
                      size_t errlen)
{
    const lb_dataset *ds = env->dataset;
    memset(sh, 0, sizeof *sh);
    if (kind == LB_OP_NOOP) return LB_OK;
    if (cs->dimension < 0 || cs->k < 0 || cs->dataset_size < 0 || cs->seq_len < 0 || cs->batch_size < 0 ||
        cs->num_heads < 0 || cs->num_experts < 0 || cs->top_k_experts < 0 || cs->block_size < 0)
        return lb_errorf(err, errlen, LB_EDATA, "%s: negative size", cs->id);
    if (cs->num_heads > UINT32_MAX || cs->num_experts > LB_MAX_EXPERTS || cs->top_k_experts > UINT32_MAX ||
        cs->block_size > UINT32_MAX)
        return lb_errorf(err, errlen, LB_EDATA, "%s: num_heads, num_experts, top_k_experts or block_size too large", cs->id);
    if (!lb_case_shape_of(cs, sh))
        return lb_errorf(err, errlen, LB_EDATA, "%s: sizes overflow (dimension %lld)", cs->id, (long long)cs->dimension);
    if (ds) {
        sh->d = ds->d;
        if (stores_rows(kind)) {
            sh->rows = ds->n_total;
            if (sh->nq > ds->q) sh->nq = ds->q;
        }
    }
    /* k bounded by the rows searched over all ranks (the merged answer has no
     * more): what liblatent is asked for and what the answers hold */
    if ((kind == LB_OP_KNN || kind == LB_OP_KNN_BATCH) && cs->k > 0)
        sh->k = (uint64_t)cs->k < sh->rows ? (uint64_t)cs->k : sh->rows;
    if (kind != LB_OP_CREATE && kind != LB_OP_KNN_MERGE && sh->rows == 0)
        return lb_errorf(err, errlen, LB_EDATA, "%s: operation '%s' needs rows (dataset_size, seq_len or batch_size)",
                         cs->id, cs->op);
    if (sh->d == 0) return lb_errorf(err, errlen, LB_EDATA, "%s: operation '%s' needs dimension >= 1", cs->id, cs->op);
    if (is_knn(kind) && sh->k == 0) return lb_errorf(err, errlen, LB_EDATA, "%s: kNN needs k > 0", cs->id);
    if (sh->nq == 0) return lb_errorf(err, errlen, LB_EDATA, "%s: batch operation needs batch_size > 0", cs->id);
    return LB_OK;
}

/* This rank's rows of a case. */
static void local_rows(const lb_case_shape *sh, const lb_op_env *env, lb_op_kind kind, uint64_t *lo, uint64_t *hi)
{
    *lo = 0;
    *hi = sh->rows;
    if (env->shard && sharded(kind)) lb_shard_range(sh->rows, env->shard->rank, env->shard->size, lo, hi);
}

/* the one unit style of every output (latentbench/units.h) */
static const char *fmt_bytes(uint64_t b, char *buf, size_t len)
{
    lb_units_bytes(buf, len, (double)b);
    return buf;
}

uint64_t lb_op_memory_estimate(const lb_case *cs, const lb_op_env *env, char *err, size_t errlen)
{
    int kind = lb_op_kind_parse(cs->op);
    lb_case_shape sh;
    if (kind < 0) {
        lb_errorf(err, errlen, LB_EDATA, "%s: unknown operation '%s'", cs->id, cs->op);
        return 0;
    }
    if (case_shape(cs, env, (lb_op_kind)kind, &sh, err, errlen)) return 0;
    uint64_t lo, hi;
    local_rows(&sh, env, (lb_op_kind)kind, &lo, &hi);
    uint64_t bytes = lb_case_bytes(&sh, hi - lo, env->shard && sharded((lb_op_kind)kind) && is_attn((lb_op_kind)kind));
    if (!bytes)
        lb_errorf(err, errlen, LB_EDATA, "%s: sizes overflow (%llu rows x %llu dimensions, %llu queries, k %llu)", cs->id,
                  (unsigned long long)sh.rows, (unsigned long long)sh.d, (unsigned long long)sh.nq,
                  (unsigned long long)sh.k);
    return bytes;
}

int lb_op_check(const lb_case *cs, const lb_op_env *env, char *err, size_t errlen)
{
    uint64_t need = lb_op_memory_estimate(cs, env, err, errlen);
    if (!need) return LB_EDATA;
    const char *source = env->max_memory ? "--max-memory or LATENTBENCH_MAX_MEMORY" : "this machine's memory";
    uint64_t limit = env->max_memory ? env->max_memory : lb_machine_memory();
    if (limit && need > limit) { /* at the suite's place when the case came from one */
        char a[32], b[32];
        return lb_errorf(err, errlen, LB_EDATA, "%s%scase '%s' needs about %s on this rank, over the memory limit of %s (%s)",
                         cs->origin, cs->origin[0] ? ": " : "", cs->id, fmt_bytes(need, a, sizeof a),
                         fmt_bytes(limit, b, sizeof b), source);
    }
    return LB_OK;
}

int lb_op_prepare(const lb_case *cs, const lb_op_env *env, lb_op_ctx **out, char *err, size_t errlen)
{
    *out = NULL;
    int kind = lb_op_kind_parse(cs->op);
    if (kind < 0) return lb_errorf(err, errlen, LB_EDATA, "%s: unknown operation '%s'", cs->id, cs->op);
    if (!env->lt) return lb_errorf(err, errlen, LB_EINTERNAL, "%s: no liblatent loaded", cs->id);
    lb_op_ctx *c = lb_calloc(1, sizeof *c);
    if (!c) return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", cs->id);
    c->lt = env->lt;
    c->kind = (lb_op_kind)kind;
    c->cl = env->shard && env->shard->size >= 1 ? env->shard : NULL;
    if (c->kind == LB_OP_NOOP) { /* no space, no data */
        *out = c;
        return LB_OK;
    }
    const lb_dataset *ds = env->dataset;
    lb_case_shape sh;
    int rc = case_shape(cs, env, c->kind, &sh, err, errlen);
    if (!rc) rc = lb_op_check(cs, env, err, errlen); /* before anything is allocated */
    if (rc) {
        lb_op_free(c);
        return rc;
    }
    c->d = sh.d;
    c->nq = sh.nq;
    c->k = sh.k;
    c->nrows_total = sh.rows;
    c->cfg = c->lt->config_default(c->d);
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
    /* only the default top-k (2) shrinks to fit fewer experts; a set one was checked */
    else if (c->cfg.top_k_experts > c->cfg.num_experts) c->cfg.top_k_experts = c->cfg.num_experts;
    if (cs->block_size > 0) c->cfg.block_size = (unsigned)cs->block_size;
    if (cs->curvature < 0) c->cfg.curvature = (float)cs->curvature;

    /* check the configuration once, up front */
    lt_space *probe = NULL;
    int lrc = c->lt->space_create(&c->cfg, &probe);
    c->lt->space_destroy(probe);
    if (lrc) return fail(c, LB_EDATA, err, errlen, cs->id, lrc);

    int stored = stores_rows(c->kind), dist = c->cl && sharded(c->kind);
    if (dist && is_attn(c->kind) && (!c->lt->space_attention_state || !c->lt->attention_state_merge ||
                                     !c->lt->attention_state_finish || !c->lt->attention_state_floats)) {
        lb_op_free(c);
        return lb_errorf(err, errlen, LB_EDATA, "%s: this build of liblatent has no attention-state API "
                         "(lt_space_attention_state): data-sharded attention needs it", cs->id);
    }
    uint64_t lo, hi;
    local_rows(&sh, env, c->kind, &lo, &hi);
    c->nrows = (size_t)(hi - lo);
    size_t nd, qd, nk, bytes = 0; /* each product checked, though the estimate bounds them */
    if (!lb_size_mul(c->nrows, c->d, &nd) || !lb_size_mul(c->nq, c->d, &qd) || !lb_size_mul(c->nq, c->k, &nk) ||
        !lb_size_mul(nd, sizeof(float), &bytes) || !lb_size_mul(qd, sizeof(float), &bytes) ||
        !lb_size_mul(nk, sizeof(lt_neighbor), &bytes)) {
        lb_op_free(c);
        return lb_errorf(err, errlen, LB_EDATA, "%s: sizes overflow", cs->id);
    }
    if (ds && stored && (dist ? ds->row0 != lo || ds->n != hi - lo : ds->n != ds->n_total)) {
        lb_op_free(c); /* a slice of another split, or a slice where the whole set is needed */
        return lb_errorf(err, errlen, LB_EINTERNAL, "%s: the dataset holds rows %zu..%zu, this rank needs %llu..%llu",
                         cs->id, ds->row0, ds->row0 + ds->n, (unsigned long long)lo, (unsigned long long)hi);
    }
    if (nd) {
        c->data = lb_malloc(nd * sizeof(float));
        if (!c->data) return fail(c, LB_ENOMEM, err, errlen, cs->id, LT_ENOMEM);
        if (ds && stored) /* a sharded dataset holds this rank's rows already */
            memcpy(c->data, ds->train + (dist ? 0 : lo * c->d), nd * sizeof(float));
        else lb_fill_uniform_at(c->data, lo * c->d, nd, env->seed ^ ((uint64_t)c->d << 32));
    }
    if (dist && c->nrows) {
        if (!(c->ids = lb_malloc(c->nrows * sizeof *c->ids))) return fail(c, LB_ENOMEM, err, errlen, cs->id, LT_ENOMEM);
        for (size_t r = 0; r < c->nrows; r++) c->ids[r] = lo + r;
    }
    c->queries = lb_malloc(qd * sizeof(float));
    c->nb = c->k ? lb_calloc(nk, sizeof *c->nb) : NULL;
    c->found = lb_calloc(c->nq, sizeof *c->found);
    c->out = lb_malloc(qd * sizeof(float));
    if (!c->queries || !c->found || !c->out || (c->k && !c->nb)) return fail(c, LB_ENOMEM, err, errlen, cs->id, LT_ENOMEM);
    if (ds && stored) memcpy(c->queries, ds->test, qd * sizeof(float));
    else lb_fill_uniform(c->queries, qd, (env->seed + 1) ^ ((uint64_t)c->d << 32));
    if (dist && is_attn(c->kind)) {
        c->state_floats = c->lt->attention_state_floats(&c->cfg);
        lt_space *none = NULL;
        c->states = lb_calloc(c->nq, c->state_floats * sizeof(float)); /* state_floats: checked by liblatent */
        c->empty_state = lb_malloc(c->state_floats * sizeof(float));
        if (!c->states || !c->empty_state) return fail(c, LB_ENOMEM, err, errlen, cs->id, LT_ENOMEM);
        if ((lrc = c->lt->space_create(&c->cfg, &none)) || (lrc = c->lt->space_attention_state(none, c->queries, c->empty_state))) {
            c->lt->space_destroy(none);
            return fail(c, LB_EDATA, err, errlen, cs->id, lrc);
        }
        c->lt->space_destroy(none);
    }

    if (c->kind == LB_OP_KNN_MERGE) { /* sorted lists of this rank's own: distinct ids, increasing distances */
        int rank = c->cl ? c->cl->rank : 0;
        for (size_t q = 0; q < c->nq; q++) {
            lt_neighbor *l = c->nb + q * c->k;
            float base = 0.0f;
            for (size_t j = 0; j < c->k; j++) {
                float u;
                lb_fill_uniform_at(&u, (q * c->k + j) * 64 + (uint64_t)rank, 1, env->seed);
                base += 1.0f + u; /* steps in (0, 2): sorted, interleaving across ranks */
                l[j].distance = base;
                l[j].id = (uint64_t)rank << 40 | (q * c->k + j);
            }
        }
    }
    if (stored) {
        if ((lrc = c->lt->space_create(&c->cfg, &c->space)) ||
            (c->nrows && (lrc = c->lt->space_add_batch(c->space, c->data, c->nrows, c->ids))))
            return fail(c, lrc == LT_ENOMEM ? LB_ENOMEM : LB_EDATA, err, errlen, cs->id, lrc);
        lb_free(c->data); /* the space holds its own copy */
        c->data = NULL;
    }
    *out = c;
    return LB_OK;
}

void lb_op_shape(const lb_op_ctx *c, size_t *dimension, size_t *rows)
{
    *dimension = c->d;
    *rows = c->nrows_total;
}

uint64_t lb_op_comm_ns(const lb_op_ctx *c) { return c->comm_ns; }

const lt_neighbor *lb_op_neighbors(const lb_op_ctx *c, size_t *nq, size_t *k, const size_t **found)
{
    *nq = c->nq;
    *k = c->k;
    *found = c->found;
    return is_knn(c->kind) ? c->nb : NULL;
}

const float *lb_op_outputs(const lb_op_ctx *c, size_t *nq, size_t *dimension)
{
    *nq = c->nq;
    *dimension = c->d;
    return is_attn(c->kind) ? c->out : NULL;
}

/* Builds a space from c->data with explicit ids, as the memory groups do. */
static int build(lb_op_ctx *c, lt_space **s)
{
    int rc = c->lt->space_create(&c->cfg, s);
    for (size_t r = 0; r < c->nrows && !rc; r++) {
        uint64_t id = c->ids ? c->ids[r] : r;
        rc = c->lt->space_add(*s, c->data + r * c->d, &id, NULL);
    }
    return rc;
}

/* Data sharding: rank 0's queries to every rank (timed, as a service would
 * receive them). */
static void share_queries(lb_op_ctx *c)
{
    uint64_t t0 = lb_clock_ns();
    lb_cluster_bcast(c->cl, 0, c->queries, c->nq * c->d * sizeof(float));
    c->comm_ns += lb_clock_ns() - t0;
}

/* Data sharding: this rank's top-k, then the merge on rank 0. A local failure
 * still takes part in the merge (with empty lists), so the ranks stay in step. */
static int knn_sharded(lb_op_ctx *c)
{
    share_queries(c);
    int rc = c->nq == 1 ? c->lt->space_knn(c->space, c->queries, c->k, c->nb, c->found)
                        : c->lt->space_knn_batch(c->space, c->queries, c->nq, c->k, c->nb, c->found);
    for (size_t q = 0; q < c->nq; q++) lb_knn_pad(c->nb + q * c->k, rc ? 0 : c->found[q], c->k);
    uint64_t ns = 0;
    int mrc = lb_cluster_knn_merge(c->cl, c->nb, c->nq, c->k, c->found, &ns);
    c->comm_ns += ns;
    return rc ? rc : mrc;
}

/* Data sharding: this rank's attention states, merged on rank 0, finished there. */
static int attention_sharded(lb_op_ctx *c, const lt_space *s)
{
    share_queries(c);
    int rc = 0;
    for (size_t q = 0; q < c->nq; q++) {
        float *st = c->states + q * c->state_floats;
        int r = c->lt->space_attention_state(s, c->queries + q * c->d, st);
        if (r) { /* an empty state, the merge's identity, keeps the others' answer whole */
            rc = rc ? rc : r;
            memcpy(st, c->empty_state, c->state_floats * sizeof *st);
        }
    }
    uint64_t ns = 0;
    int mrc = lb_cluster_attention_merge(c->cl, c->lt, &c->cfg, c->states, c->nq, &ns);
    c->comm_ns += ns;
    for (size_t q = 0; !rc && !mrc && c->cl->rank == 0 && q < c->nq; q++)
        rc = c->lt->attention_state_finish(&c->cfg, c->queries + q * c->d, c->states + q * c->state_floats,
                                       c->out + q * c->d);
    return rc ? rc : mrc;
}

int lb_op_run(void *vctx, uint64_t iters, uint64_t *elapsed_ns)
{
    lb_op_ctx *c = vctx;
    uint64_t total = 0, t0;
    int rc = 0, dist = c->cl && sharded(c->kind);
    lt_space *s = NULL;
    c->comm_ns = 0;
    switch (c->kind) {
    case LB_OP_NOOP:
        t0 = lb_clock_ns();
        for (uint64_t i = 0; i < iters; i++) lb_consume(c);
        total = lb_clock_ns() - t0;
        break;
    case LB_OP_CREATE:
        t0 = lb_clock_ns();
        for (uint64_t i = 0; i < iters && !rc; i++) {
            rc = c->lt->space_create(&c->cfg, &s);
            lb_consume(s);
            c->lt->space_destroy(s);
        }
        total = lb_clock_ns() - t0;
        break;
    case LB_OP_ADD:
        for (uint64_t done = 0; done < iters && !rc;) {
            uint64_t chunk = iters - done < c->nrows ? iters - done : c->nrows;
            if ((rc = c->lt->space_create(&c->cfg, &s))) break;
            t0 = lb_clock_ns();
            for (uint64_t i = 0; i < chunk && !rc; i++) rc = c->lt->space_add(s, c->data + i * c->d, NULL, NULL);
            total += lb_clock_ns() - t0;
            c->lt->space_destroy(s);
            done += chunk;
        }
        break;
    case LB_OP_ADD_BATCH:
        for (uint64_t i = 0; i < iters && !rc; i++) {
            if ((rc = c->lt->space_create(&c->cfg, &s))) break;
            t0 = lb_clock_ns();
            rc = c->nrows ? c->lt->space_add_batch(s, c->data, c->nrows, c->ids) : 0;
            total += lb_clock_ns() - t0;
            c->lt->space_destroy(s);
        }
        break;
    case LB_OP_KNN:
    case LB_OP_KNN_BATCH:
        t0 = lb_clock_ns();
        /* sharded: every iteration is collective, so a local failure is kept
         * and returned at the end rather than cutting the loop short */
        for (uint64_t i = 0; i < iters && (dist || !rc); i++) {
            int r = dist ? knn_sharded(c)
                         : c->kind == LB_OP_KNN ? c->lt->space_knn(c->space, c->queries, c->k, c->nb, c->found)
                                                : c->lt->space_knn_batch(c->space, c->queries, c->nq, c->k, c->nb, c->found);
            rc = rc ? rc : r;
            lb_consume(c->nb);
        }
        total = lb_clock_ns() - t0;
        break;
    case LB_OP_ATTN:
    case LB_OP_ATTN_BATCH:
        t0 = lb_clock_ns();
        for (uint64_t i = 0; i < iters && (dist || !rc); i++) {
            int r = dist ? attention_sharded(c, c->space)
                         : c->kind == LB_OP_ATTN ? c->lt->space_attention(c->space, c->queries, c->out)
                                                 : c->lt->space_attention_batch(c->space, c->queries, c->nq, c->out);
            rc = rc ? rc : r;
            lb_consume(c->out);
        }
        total = lb_clock_ns() - t0;
        break;
    case LB_OP_BUILD:
        t0 = lb_clock_ns();
        for (uint64_t i = 0; i < iters && !rc; i++) {
            rc = build(c, &s);
            lb_consume(s);
            c->lt->space_destroy(s);
            s = NULL;
        }
        total = lb_clock_ns() - t0;
        break;
    case LB_OP_ATTN_BUILD:
        t0 = lb_clock_ns();
        for (uint64_t i = 0; i < iters && (dist || !rc); i++) {
            int r = build(c, &s);
            if (dist) { /* collective: taken part in even after a failed build */
                int a = attention_sharded(c, r ? NULL : s);
                r = r ? r : a;
            } else if (!r) r = c->lt->space_attention(s, c->queries, c->out);
            rc = rc ? rc : r;
            lb_consume(c->out);
            c->lt->space_destroy(s);
            s = NULL;
        }
        total = lb_clock_ns() - t0;
        break;
    case LB_OP_KNN_MERGE:
        /* rank 0's lists become the merged ones, still sorted and k long: the
         * same merge work every iteration */
        t0 = lb_clock_ns();
        for (uint64_t i = 0; i < iters && (dist || !rc); i++) {
            uint64_t ns = 0;
            int r = c->cl ? lb_cluster_knn_merge(c->cl, c->nb, c->nq, c->k, c->found, &ns) : 0;
            c->comm_ns += ns;
            rc = rc ? rc : r;
            lb_consume(c->nb);
        }
        total = lb_clock_ns() - t0;
        break;
    case LB_OP_COUNT:
        break;
    }
    *elapsed_ns = total;
    return rc ? LB_EINTERNAL : LB_OK;
}
