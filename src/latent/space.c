/* Space lifetime and insertion: configuration checks, block storage, ids,
 * the hyperbolic projection and MoE ownership, all-or-nothing batches. */
#include "space_internal.h"
#include "alloc.h"
#include "idset.h"
#include "scratch.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define LT__R0_SHIFT 4              /* first block: 16 rows */
#define LT__BLOCK_BYTES (1u << 20)  /* blocks stop growing at about 1 MiB */
#define LT__MAX_ROWS UINT32_MAX     /* row indices are 32-bit (MoE lists, candidates) */

lt_config lt_config_default(size_t dimension)
{
    lt_config c;
    memset(&c, 0, sizeof c);
    c.dimension = dimension;
    c.metric = LT_METRIC_EUCLIDEAN;
    c.curvature = -1.0f;
    c.attention = LT_ATTN_STANDARD;
    c.num_heads = 8;
    c.num_experts = 4;
    c.top_k_experts = 2;
    c.block_size = 64;
    c.threads = 0;
    return c;
}

int lt__config_check(const lt_config *c)
{
    if (c->dimension == 0) return LT_EINVAL;
    if ((unsigned)c->metric > LT_METRIC_DOT || (unsigned)c->attention > LT_ATTN_MOE) return LT_EINVAL;
    if (c->metric == LT_METRIC_HYPERBOLIC && !(c->curvature < 0.0f && isfinite(c->curvature))) return LT_EINVAL;
    if (c->attention == LT_ATTN_MULTIHEAD && (c->num_heads == 0 || c->dimension % c->num_heads != 0))
        return LT_EINVAL;
    if (c->attention == LT_ATTN_MOE &&
        (c->num_experts == 0 || c->num_experts > LT_MAX_EXPERTS || c->top_k_experts == 0 || c->top_k_experts > c->num_experts))
        return LT_EINVAL;
    if (c->attention == LT_ATTN_FLASH && c->block_size == 0) return LT_EINVAL;
    return LT_OK;
}

int lt_moe_gate_fill(size_t dimension, unsigned num_experts, float *W)
{
    if (!W || dimension == 0 || num_experts == 0) return LT_EINVAL;
    size_t total;
    if (!lt__mul_ok(dimension, num_experts, &total)) return LT_EOVERFLOW;
    uint64_t state = LT__MOE_GATE_SEED;
    double scale = lt__moe_gate_scale(dimension, num_experts);
    for (size_t i = 0; i < total; i++) W[i] = lt__moe_gate_next(&state, scale);
    return LT_OK;
}

void lt_space_destroy(lt_space *s)
{
    if (!s) return;
    for (size_t b = 0; b < s->nblocks; b++) {
        lt__free(s->blocks[b].data);
        lt__free(s->blocks[b].ids);
        lt__free(s->blocks[b].norm2);
        lt__free(s->blocks[b].aux);
    }
    lt__free(s->blocks);
    lt__idset_free(&s->idset);
    if (s->expert_rows)
        for (unsigned e = 0; e < s->cfg.num_experts; e++) lt__free(s->expert_rows[e]);
    lt__free(s->expert_rows);
    lt__free(s->expert_n);
    lt__free(s->expert_cap);
    lt__free(s->gate);
    lt__scratch_free(s);
    lt__free(s);
}

int lt_space_create(const lt_config *cfg, lt_space **out)
{
    if (!cfg || !out) return LT_EINVAL;
    *out = NULL;
    int rc = lt__config_check(cfg);
    if (rc) return rc;
    if (cfg->dimension > (SIZE_MAX / sizeof(float) - 16) / LT__BLOCK_BYTES) return LT_EOVERFLOW;

    lt_space *s = lt__calloc(1, sizeof *s);
    if (!s) return LT_ENOMEM;
    s->cfg = *cfg;
    s->dim = cfg->dimension;
    s->stride = (cfg->dimension + 15) & ~(size_t)15;
    size_t row_bytes = s->stride * sizeof(float);
    unsigned rmax = 0;
    while (((size_t)2 << rmax) * row_bytes <= LT__BLOCK_BYTES) rmax++;
    s->rmax_shift = rmax;
    s->r0_shift = rmax < LT__R0_SHIFT ? rmax : LT__R0_SHIFT;
    s->grow_blocks = rmax - s->r0_shift;

    if (cfg->metric == LT_METRIC_HYPERBOLIC) {
        s->c = -(double)cfg->curvature;
        s->sqrt_c = sqrt(s->c);
        s->max_radius = (float)((1.0 - 1e-3) / s->sqrt_c);
    }
    if (cfg->attention == LT_ATTN_MOE) {
        unsigned E = cfg->num_experts;
        s->gate = lt__malloc(sizeof(float) * E * s->dim);
        s->expert_rows = lt__calloc(E, sizeof *s->expert_rows);
        s->expert_n = lt__calloc(E, sizeof *s->expert_n);
        s->expert_cap = lt__calloc(E, sizeof *s->expert_cap);
        if (!s->gate || !s->expert_rows || !s->expert_n || !s->expert_cap) {
            lt_space_destroy(s);
            return LT_ENOMEM;
        }
        lt_moe_gate_fill(s->dim, E, s->gate);
    }
    *out = s;
    return LT_OK;
}

size_t lt_space_size(const lt_space *s) { return s ? s->n : 0; }

const lt_config *lt_space_config(const lt_space *s) { return s ? &s->cfg : NULL; }

size_t lt_space_expert_size(const lt_space *s, unsigned e)
{
    if (!s || s->cfg.attention != LT_ATTN_MOE || e >= s->cfg.num_experts) return 0;
    return s->expert_n[e];
}

/* Below this many floats a fork/join costs more than the scan saves (measured
 * with bench/kernel_bench cutoff). */
#define LT_PAR_MIN_DEFAULT ((size_t)1 << 16)

static size_t g_par_min = LT_PAR_MIN_DEFAULT;
static int g_par_min_env;
static char g_par_min_problem[160];
static pthread_once_t g_par_min_once = PTHREAD_ONCE_INIT;

/* Read once, under pthread_once: calls run from many threads at once, and a
 * lazily written static would be a data race. */
static void par_min_init(void)
{
    const char *env = getenv("LATENT_PAR_MIN");
    if (!env) return;
    char q[64];
    lt__env_quote(q, sizeof q, env);
    const char *p = env;
    while (*p >= '0' && *p <= '9') p++;
    /* digits only: strtoull alone would take " 7", "+7", "7x" and wrap "-1" */
    if (!*env) {
        snprintf(g_par_min_problem, sizeof g_par_min_problem,
                 "LATENT_PAR_MIN is empty (a number of floats, 0 or more); using %zu", g_par_min);
        return;
    }
    if (*p) {
        snprintf(g_par_min_problem, sizeof g_par_min_problem,
                 "LATENT_PAR_MIN=%s is not a number of floats (0 or more); using %zu", q, g_par_min);
        return;
    }
    errno = 0;
    unsigned long long v = strtoull(env, NULL, 10);
    if (errno == ERANGE || v > SIZE_MAX) {
        snprintf(g_par_min_problem, sizeof g_par_min_problem,
                 "LATENT_PAR_MIN=%s is out of range (0 to %zu); using %zu", q, (size_t)SIZE_MAX, g_par_min);
        return;
    }
    g_par_min = (size_t)v;
    g_par_min_env = 1;
}

void lt__par_min_get(size_t *par_min, int *from_env, char *problem, size_t len)
{
    pthread_once(&g_par_min_once, par_min_init);
    *par_min = g_par_min;
    *from_env = g_par_min_env;
    if (len) snprintf(problem, len, "%s", g_par_min_problem);
}

int lt__threads(const lt_space *s, size_t work)
{
#ifdef _OPENMP
    pthread_once(&g_par_min_once, par_min_init);
    if (work < g_par_min || omp_in_parallel()) return 1;
    int t = omp_get_max_threads();
    if (s->cfg.threads && (int)s->cfg.threads < t) t = (int)s->cfg.threads;
    return t < 1 ? 1 : t;
#else
    (void)s; (void)work;
    return 1;
#endif
}

int lt__all_finite(const float *v, size_t n)
{
    /* sum of x*0 is NaN iff some x is NaN or Inf; one branch per vector */
    float acc = 0.0f;
    for (size_t i = 0; i < n; i++) acc += v[i] * 0.0f;
    return acc == 0.0f;
}

void lt__hyperbolic_project(const lt_space *s, const float *x, float *dst)
{
    double n2 = 0.0;
    for (size_t i = 0; i < s->dim; i++) n2 += (double)x[i] * x[i];
    double norm = sqrt(n2), r = (double)s->max_radius;
    double f = norm >= r ? r / norm : 1.0;
    for (size_t i = 0; i < s->dim; i++) dst[i] = (float)(x[i] * f);
}

/* ---- insertion -------------------------------------------------------- */

static void free_block(lt__block *b)
{
    lt__free(b->data); lt__free(b->ids); lt__free(b->norm2); lt__free(b->aux);
    memset(b, 0, sizeof *b);
}

/* Makes room for `total` rows; blocks already allocated are kept on failure
 * (capacity only, the contents are unchanged). */
static int reserve_rows(lt_space *s, size_t total)
{
    size_t cap = 0;
    for (size_t b = 0; b < s->nblocks; b++) cap += lt__block_rows(s, b);
    while (cap < total) {
        if (s->nblocks == s->blocks_cap) {
            size_t nc = s->blocks_cap ? s->blocks_cap * 2 : 16;
            lt__block *nb = lt__realloc(s->blocks, nc * sizeof *nb);
            if (!nb) return LT_ENOMEM;
            s->blocks = nb;
            s->blocks_cap = nc;
        }
        size_t rows = lt__block_rows(s, s->nblocks);
        lt__block blk;
        blk.data = lt__calloc(rows * s->stride, sizeof(float));
        blk.ids = lt__malloc(rows * sizeof(uint64_t));
        blk.norm2 = lt__malloc(rows * sizeof(float));
        int need_aux = s->cfg.metric == LT_METRIC_COSINE || s->cfg.metric == LT_METRIC_HYPERBOLIC;
        blk.aux = need_aux ? lt__malloc(rows * sizeof(float)) : NULL;
        if (!blk.data || !blk.ids || !blk.norm2 || (need_aux && !blk.aux)) {
            free_block(&blk);
            return LT_ENOMEM;
        }
        s->blocks[s->nblocks++] = blk;
        cap += rows;
    }
    return LT_OK;
}

static int reserve_experts(lt_space *s, const float *vecs, size_t count, unsigned *owner, float *tmp)
{
    unsigned E = s->cfg.num_experts;
    size_t *add = lt__calloc(E, sizeof *add); /* E is up to LT_MAX_EXPERTS: not on the stack */
    if (!add) return LT_ENOMEM;
    for (size_t r = 0; r < count; r++) {
        const float *x = vecs + r * s->dim;
        if (tmp) { lt__hyperbolic_project(s, x, tmp); x = tmp; }
        /* gate logits in double so ownership does not depend on the ISA path */
        unsigned best = 0;
        double best_v = -INFINITY;
        for (unsigned e = 0; e < E; e++) {
            const float *w = s->gate + (size_t)e * s->dim;
            double v = 0.0;
            for (size_t i = 0; i < s->dim; i++) v += (double)w[i] * x[i];
            if (v > best_v) { best_v = v; best = e; }
        }
        owner[r] = best;
        add[best]++;
    }
    for (unsigned e = 0; e < E; e++) {
        size_t need = s->expert_n[e] + add[e];
        if (need <= s->expert_cap[e]) continue;
        size_t nc = s->expert_cap[e] ? s->expert_cap[e] : 16;
        while (nc < need) nc *= 2;
        uint32_t *p = lt__realloc(s->expert_rows[e], nc * sizeof(uint32_t));
        if (!p) {
            lt__free(add);
            return LT_ENOMEM;
        }
        s->expert_rows[e] = p;
        s->expert_cap[e] = nc;
    }
    lt__free(add);
    return LT_OK;
}

/* Hyperbolic vectors are projected before ownership is decided, so it is the
 * stored vector that routes. */
static int add_rows(lt_space *s, const float *vecs, size_t count, const uint64_t *ids)
{
    size_t total_floats;
    if (!lt__mul_ok(count, s->dim, &total_floats)) return LT_EOVERFLOW;
    if (count > LT__MAX_ROWS - s->n) return LT_EOVERFLOW;
    if (!lt__all_finite(vecs, total_floats)) return LT_ENONFINITE;
    if (!ids && s->n > 0 && count > UINT64_MAX - s->max_id) return LT_EOVERFLOW;
    uint64_t first_auto = s->n ? s->max_id + 1 : 0;

    /* hyperbolic rows are projected one at a time through this scratch row */
    float *tmp = NULL;
    if (s->cfg.metric == LT_METRIC_HYPERBOLIC && !(tmp = lt__malloc(s->dim * sizeof(float)))) return LT_ENOMEM;
    unsigned *owner = NULL;
    int rc = lt__idset_reserve(&s->idset, s->n + count);
    if (rc) goto out;
    size_t inserted = 0;
    for (; inserted < count; inserted++) {
        uint64_t id = ids ? ids[inserted] : first_auto + inserted;
        if (!lt__idset_insert(&s->idset, id)) { rc = LT_EDUPID; break; }
    }
    if (!rc) rc = reserve_rows(s, s->n + count);
    if (!rc && s->cfg.attention == LT_ATTN_MOE) {
        owner = lt__malloc(count * sizeof *owner);
        rc = owner ? reserve_experts(s, vecs, count, owner, tmp) : LT_ENOMEM;
    }
    if (rc) {
        for (size_t i = 0; i < inserted; i++) lt__idset_remove(&s->idset, ids ? ids[i] : first_auto + i);
        goto out;
    }

    /* commit: nothing below can fail */
    for (size_t r = 0; r < count; r++) {
        size_t b, off, row = s->n + r;
        lt__locate(s, row, &b, &off);
        lt__block *blk = &s->blocks[b];
        float *dst = blk->data + off * s->stride;
        if (tmp) lt__hyperbolic_project(s, vecs + r * s->dim, dst);
        else memcpy(dst, vecs + r * s->dim, s->dim * sizeof(float));
        const float *x = dst;
        double n2 = 0.0;
        for (size_t i = 0; i < s->dim; i++) n2 += (double)x[i] * x[i];
        uint64_t id = ids ? ids[r] : first_auto + r;
        blk->ids[off] = id;
        blk->norm2[off] = (float)n2;
        if (s->cfg.metric == LT_METRIC_COSINE) blk->aux[off] = n2 > 0.0 ? (float)(1.0 / sqrt(n2)) : 0.0f;
        if (s->cfg.metric == LT_METRIC_HYPERBOLIC) blk->aux[off] = (float)(1.0 / (1.0 - s->c * n2));
        if (owner) {
            unsigned e = owner[r];
            s->expert_rows[e][s->expert_n[e]++] = (uint32_t)row;
        }
        if (row == 0 || id > s->max_id) s->max_id = id;
    }
    s->n += count;
out:
    lt__free(owner);
    lt__free(tmp);
    return rc;
}

int lt_space_add(lt_space *s, const float *vec, const uint64_t *id, uint64_t *assigned)
{
    if (!s || !vec) return LT_EINVAL;
    int rc = add_rows(s, vec, 1, id);
    if (rc == LT_OK && assigned) *assigned = lt__row_id(s, s->n - 1);
    return rc;
}

int lt_space_add_batch(lt_space *s, const float *vecs, size_t count, const uint64_t *ids)
{
    if (!s || (!vecs && count)) return LT_EINVAL;
    if (count == 0) return LT_OK;
    return add_rows(s, vecs, count, ids);
}
