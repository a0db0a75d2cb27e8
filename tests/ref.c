/* Double-precision reference of the kernel contract; see ref.h. */
#include "ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Seeded random data ------------------------------------------------------ */

#define REF_DEFAULT_SEED 0x1a7e57u

uint64_t ref_base_seed(void)
{
    const char *env = getenv("LATENT_TEST_SEED");
    if (env != NULL && *env != '\0')
        return (uint64_t)strtoull(env, NULL, 0);
    return REF_DEFAULT_SEED;
}

static uint64_t splitmix_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t ref_case_seed(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    uint64_t h = splitmix_mix(ref_base_seed() + 0x9e3779b97f4a7c15ULL);
    h = splitmix_mix(h ^ a);
    h = splitmix_mix(h ^ (b + 0x632be59bd9b4e019ULL));
    h = splitmix_mix(h ^ (c + 0x8cb92ba72f3d8dd7ULL));
    h = splitmix_mix(h ^ (d + 0xd6e8feb86659fd93ULL));
    return h;
}

void ref_rng_seed(ref_rng *r, uint64_t seed) { r->state = seed; }

uint64_t ref_rng_next(ref_rng *r)
{
    r->state += 0x9e3779b97f4a7c15ULL;
    return splitmix_mix(r->state);
}

float ref_rng_uniform(ref_rng *r)
{
    /* k / 2^23 - 1 with k < 2^24: exact in float, in [-1, 1). */
    uint32_t k = (uint32_t)(ref_rng_next(r) >> 40);
    return (float)((double)k / 8388608.0 - 1.0);
}

size_t ref_rng_below(ref_rng *r, size_t bound)
{
    return bound == 0 ? 0 : (size_t)(ref_rng_next(r) % (uint64_t)bound);
}

void ref_fill_uniform(uint64_t seed, float *buf, size_t count)
{
    ref_rng r;
    ref_rng_seed(&r, seed);
    for (size_t i = 0; i < count; i++)
        buf[i] = ref_rng_uniform(&r);
}

void ref_shuffle_u64(ref_rng *r, uint64_t *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = ref_rng_below(r, i);
        uint64_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* ---- Distances ------------------------------------------------------------------ */

void ref_hyp_project(const float *x, size_t d, double c, double *out)
{
    double n2 = 0.0;
    for (size_t i = 0; i < d; i++)
        n2 += (double)x[i] * (double)x[i];
    double norm = sqrt(n2);
    double rmax = (1.0 - REF_HYP_MARGIN) / sqrt(c);
    double s = norm >= rmax ? rmax / norm : 1.0;
    for (size_t i = 0; i < d; i++)
        out[i] = (double)x[i] * s;
}

static double hyp_distance(double c, const float *a, const float *b, size_t d)
{
    double *u = malloc(2 * d * sizeof *u);
    if (u == NULL)
        abort();
    double *v = u + d;
    ref_hyp_project(a, d, c, u);
    ref_hyp_project(b, d, c, v);
    double diff2 = 0.0, nu = 0.0, nv = 0.0;
    for (size_t i = 0; i < d; i++) {
        diff2 += (u[i] - v[i]) * (u[i] - v[i]);
        nu += u[i] * u[i];
        nv += v[i] * v[i];
    }
    free(u);
    double x = 2.0 * c * diff2 / ((1.0 - c * nu) * (1.0 - c * nv));
    /* acosh(1 + x) without losing x to the 1 when x is small. */
    return log1p(x + sqrt(x * (x + 2.0))) / sqrt(c);
}

double ref_distance(lt_metric m, double c, const float *a, const float *b, size_t d)
{
    double acc = 0.0, na = 0.0, nb = 0.0;
    switch (m) {
    case LT_METRIC_EUCLIDEAN:
        for (size_t i = 0; i < d; i++) {
            double t = (double)a[i] - (double)b[i];
            acc += t * t;
        }
        return sqrt(acc);
    case LT_METRIC_COSINE:
        for (size_t i = 0; i < d; i++) {
            acc += (double)a[i] * (double)b[i];
            na += (double)a[i] * (double)a[i];
            nb += (double)b[i] * (double)b[i];
        }
        if (na == 0.0 || nb == 0.0)
            return 1.0;
        acc = 1.0 - acc / (sqrt(na) * sqrt(nb));
        return acc < 0.0 ? 0.0 : acc > 2.0 ? 2.0 : acc;
    case LT_METRIC_MANHATTAN:
        for (size_t i = 0; i < d; i++)
            acc += fabs((double)a[i] - (double)b[i]);
        return acc;
    case LT_METRIC_HYPERBOLIC:
        return hyp_distance(c, a, b, d);
    case LT_METRIC_DOT:
        for (size_t i = 0; i < d; i++)
            acc += (double)a[i] * (double)b[i];
        return -acc;
    }
    abort();
}

double ref_distance_scale(lt_metric m, const float *a, const float *b, size_t d)
{
    double s = 0.0;
    switch (m) {
    case LT_METRIC_EUCLIDEAN:
    case LT_METRIC_MANHATTAN:
        return 0.0; /* sums of non-negative terms: no cancellation */
    case LT_METRIC_COSINE:
        /* 1 - cos for cos near 1: float32 resolves cos to ~1e-7 absolute. */
        return 1e-2;
    case LT_METRIC_HYPERBOLIC:
        /* acosh(1 + x) near x = 0: float32 loses x below ~1e-7 against the 1. */
        return 1.0;
    case LT_METRIC_DOT:
        /* A float32 dot of d terms is good to about sqrt(d) ulp of sum |a_i b_i|. */
        for (size_t i = 0; i < d; i++)
            s += fabs((double)a[i] * (double)b[i]);
        return s / sqrt((double)d);
    }
    abort();
}

double ref_distance_tol(lt_metric m, double ref, double scale)
{
    double rel = m == LT_METRIC_HYPERBOLIC ? REF_DIST_TOL_HYP : REF_DIST_TOL;
    double mag = fabs(ref) > scale ? fabs(ref) : scale;
    return rel * mag;
}

static int cmp_neighbor(const void *pa, const void *pb)
{
    const ref_neighbor *a = pa, *b = pb;
    if (a->dist < b->dist)
        return -1;
    if (a->dist > b->dist)
        return 1;
    return (a->id > b->id) - (a->id < b->id);
}

void ref_knn_all(const lt_config *cfg, const float *data, const uint64_t *ids, size_t n,
                 const float *q, ref_neighbor *out)
{
    size_t d = cfg->dimension;
    double c = fabs((double)cfg->curvature);
    for (size_t i = 0; i < n; i++) {
        const float *row = data + i * d;
        out[i].id = ids != NULL ? ids[i] : (uint64_t)i;
        out[i].dist = ref_distance(cfg->metric, c, q, row, d);
        out[i].scale = ref_distance_scale(cfg->metric, q, row, d);
    }
    qsort(out, n, sizeof *out, cmp_neighbor);
}

/* ---- Attention -------------------------------------------------------------------- */

size_t ref_attn_slice(const float *q, const float *data, size_t n, size_t d, size_t off,
                      size_t len, const unsigned *owner, unsigned expert, double *out)
{
    double *s = malloc((n ? n : 1) * sizeof *s);
    if (s == NULL)
        abort();
    double scale = 1.0 / sqrt((double)len), mx = -INFINITY;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (owner != NULL && owner[i] != expert)
            continue;
        const float *k = data + i * d + off;
        double dot = 0.0;
        for (size_t j = 0; j < len; j++)
            dot += (double)q[off + j] * (double)k[j];
        s[i] = dot * scale;
        if (s[i] > mx)
            mx = s[i];
        used++;
    }
    for (size_t j = 0; j < len; j++)
        out[j] = 0.0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (owner != NULL && owner[i] != expert)
            continue;
        double w = exp(s[i] - mx);
        sum += w;
        const float *v = data + i * d + off;
        for (size_t j = 0; j < len; j++)
            out[j] += w * (double)v[j];
    }
    if (used > 0)
        for (size_t j = 0; j < len; j++)
            out[j] /= sum;
    free(s);
    return used;
}

void ref_moe_gate(size_t d, unsigned E, float *W)
{
    uint64_t state = 42;
    double amp = 2.0 * sqrt(2.0 / ((double)d + (double)E));
    for (size_t i = 0; i < (size_t)E * d; i++) {
        state = state * 6364136223846793005ULL + 1ULL;
        double u = (double)state / 18446744073709551616.0; /* 2^64 */
        W[i] = (float)((u - 0.5) * amp);
    }
}

void ref_moe_logits(const float *W, size_t d, unsigned E, const float *x, double *logits)
{
    for (unsigned e = 0; e < E; e++) {
        double acc = 0.0;
        for (size_t i = 0; i < d; i++)
            acc += (double)W[(size_t)e * d + i] * (double)x[i];
        logits[e] = acc;
    }
}

unsigned ref_moe_owner(const float *W, size_t d, unsigned E, const float *x)
{
    double *l = malloc(E * sizeof *l);
    if (l == NULL)
        abort();
    ref_moe_logits(W, d, E, x, l);
    unsigned best = 0;
    for (unsigned e = 1; e < E; e++)
        if (l[e] > l[best])
            best = e;
    free(l);
    return best;
}

int ref_moe_well_separated(const float *W, size_t d, unsigned E, const float *x)
{
    double *l = malloc(E * sizeof *l);
    if (l == NULL)
        abort();
    ref_moe_logits(W, d, E, x, l);
    double absmax = 0.0;
    for (unsigned e = 0; e < E; e++) {
        double a = 0.0;
        for (size_t i = 0; i < d; i++)
            a += fabs((double)W[(size_t)e * d + i] * (double)x[i]);
        if (a > absmax)
            absmax = a;
    }
    /* Rounding of a float32 dot product, plus what exp() in float cannot tell apart. */
    double bound = 2e-5 * absmax + 1e-6;
    int ok = 1;
    for (unsigned a = 0; a < E && ok; a++)
        for (unsigned b = a + 1; b < E; b++)
            if (fabs(l[a] - l[b]) <= bound) {
                ok = 0;
                break;
            }
    free(l);
    return ok;
}

static void ref_moe(const lt_config *cfg, const float *data, size_t n, const unsigned *owner,
                    const float *q, double *out)
{
    size_t d = cfg->dimension;
    unsigned E = cfg->num_experts;
    float *W = malloc((size_t)E * d * sizeof *W);
    double *p = malloc(E * sizeof *p);
    size_t *count = calloc(E, sizeof *count);
    unsigned *own = NULL;
    double *part = malloc(d * sizeof *part);
    int *chosen = calloc(E, sizeof *chosen);
    if (W == NULL || p == NULL || count == NULL || part == NULL || chosen == NULL)
        abort();
    ref_moe_gate(d, E, W);
    if (owner == NULL) {
        own = malloc((n ? n : 1) * sizeof *own);
        if (own == NULL)
            abort();
        for (size_t i = 0; i < n; i++)
            own[i] = ref_moe_owner(W, d, E, data + i * d);
        owner = own;
    }
    for (size_t i = 0; i < n; i++)
        count[owner[i]]++;

    ref_moe_logits(W, d, E, q, p);
    double mx = -INFINITY, sum = 0.0;
    for (unsigned e = 0; e < E; e++)
        if (p[e] > mx)
            mx = p[e];
    for (unsigned e = 0; e < E; e++) {
        p[e] = exp(p[e] - mx);
        sum += p[e];
    }
    for (unsigned e = 0; e < E; e++)
        p[e] /= sum;

    /* Top-k by p among experts that own a key; strict > keeps the lowest index on ties. */
    double psum = 0.0;
    for (unsigned t = 0; t < cfg->top_k_experts; t++) {
        int best = -1;
        for (unsigned e = 0; e < E; e++)
            if (count[e] > 0 && !chosen[e] && (best < 0 || p[e] > p[best]))
                best = (int)e;
        if (best < 0)
            break;
        chosen[best] = 1;
        psum += p[best];
    }
    for (size_t j = 0; j < d; j++)
        out[j] = 0.0;
    for (unsigned e = 0; e < E; e++) {
        if (!chosen[e])
            continue;
        ref_attn_slice(q, data, n, d, 0, d, owner, e, part);
        for (size_t j = 0; j < d; j++)
            out[j] += p[e] / psum * part[j];
    }
    free(W);
    free(p);
    free(count);
    free(own);
    free(part);
    free(chosen);
}

void ref_moe_sanitize(const lt_config *cfg, float *rows, size_t n, uint64_t seed)
{
    if (cfg->attention != LT_ATTN_MOE)
        return;
    size_t d = cfg->dimension;
    float *W = malloc((size_t)cfg->num_experts * d * sizeof *W);
    if (W == NULL)
        abort();
    ref_moe_gate(d, cfg->num_experts, W);
    ref_rng r;
    ref_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        float *x = rows + i * d;
        for (int tries = 0; !ref_moe_well_separated(W, d, cfg->num_experts, x); tries++) {
            if (tries == 1000)
                abort(); /* only if two gate rows were (nearly) equal */
            for (size_t j = 0; j < d; j++)
                x[j] = ref_rng_uniform(&r);
        }
    }
    free(W);
}

void ref_shrink_into_ball(const lt_config *cfg, float *rows, size_t n)
{
    if (cfg->metric != LT_METRIC_HYPERBOLIC)
        return;
    size_t d = cfg->dimension;
    double c = fabs((double)cfg->curvature);
    float f = (float)(0.5 / (sqrt(c) * sqrt((double)d)));
    for (size_t i = 0; i < n * d; i++)
        rows[i] *= f;
}

void ref_attention(const lt_config *cfg, const float *data, size_t n, const unsigned *owner,
                   const float *q, double *out)
{
    size_t d = cfg->dimension;
    float *proj = NULL;
    if (cfg->metric == LT_METRIC_HYPERBOLIC) {
        /* K = V = the stored rows, which a hyperbolic space keeps projected. */
        double c = fabs((double)cfg->curvature);
        double *row = malloc(d * sizeof *row);
        proj = malloc((n * d > 0 ? n * d : 1) * sizeof *proj);
        if (row == NULL || proj == NULL)
            abort();
        for (size_t i = 0; i < n; i++) {
            ref_hyp_project(data + i * d, d, c, row);
            for (size_t j = 0; j < d; j++)
                proj[i * d + j] = (float)row[j];
        }
        free(row);
        data = proj;
    }
    switch (cfg->attention) {
    case LT_ATTN_STANDARD:
    case LT_ATTN_FLASH:
        ref_attn_slice(q, data, n, d, 0, d, NULL, 0, out);
        break;
    case LT_ATTN_MULTIHEAD: {
        size_t hd = d / cfg->num_heads;
        for (unsigned h = 0; h < cfg->num_heads; h++)
            ref_attn_slice(q, data, n, d, h * hd, hd, NULL, 0, out + h * hd);
        break;
    }
    case LT_ATTN_MOE:
        ref_moe(cfg, data, n, owner, q, out);
        break;
    default:
        abort();
    }
    free(proj);
}

/* ---- Comparisons -------------------------------------------------------------------- */

double ref_max_abs_f(const float *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs((double)x[i]) > m)
            m = fabs((double)x[i]);
    return m;
}

int ref_check_attention(const float *got, const double *ref, size_t d, char *msg, size_t msglen)
{
    double rmax = 0.0, worst = -1.0;
    size_t at = 0;
    for (size_t j = 0; j < d; j++)
        if (fabs(ref[j]) > rmax)
            rmax = fabs(ref[j]);
    double tol = REF_ATTN_TOL * (rmax > 1.0 ? rmax : 1.0);
    for (size_t j = 0; j < d; j++) {
        double e = fabs((double)got[j] - ref[j]);
        if (isnan(e)) {
            snprintf(msg, msglen, "out[%zu] = %.9g, ref %.9g (d=%zu)", j, (double)got[j], ref[j],
                     d);
            return 0;
        }
        if (e > worst) {
            worst = e;
            at = j;
        }
    }
    if (worst <= tol)
        return 1;
    snprintf(msg, msglen, "out[%zu] = %.9g, ref %.9g: |err| %.3g > tol %.3g (d=%zu)", at,
             (double)got[at], ref[at], worst, tol, d);
    return 0;
}

int ref_check_attention_f(const float *got, const float *ref, size_t d, char *msg, size_t msglen)
{
    double *r = malloc((d ? d : 1) * sizeof *r);
    if (r == NULL)
        abort();
    for (size_t j = 0; j < d; j++)
        r[j] = ref[j];
    int ok = ref_check_attention(got, r, d, msg, msglen);
    free(r);
    return ok;
}

typedef struct {
    uint64_t id;
    size_t   pos;
} id_pos;

static int cmp_id_pos(const void *pa, const void *pb)
{
    const id_pos *a = pa, *b = pb;
    return (a->id > b->id) - (a->id < b->id);
}

/* Rank of `id` in the reference, or n when it is not stored: a linear scan when
 * few returned ids differ from the reference (the usual case), else a by-id index
 * built once. */
static size_t find_rank(uint64_t id, const ref_neighbor *ref, const id_pos *byid, size_t n)
{
    if (byid != NULL) {
        id_pos key = {.id = id};
        const id_pos *hit = bsearch(&key, byid, n, sizeof *byid, cmp_id_pos);
        return hit != NULL ? hit->pos : n;
    }
    for (size_t j = 0; j < n; j++)
        if (ref[j].id == id)
            return j;
    return n;
}

#define REF_FEW_MISMATCHES 8

int ref_check_knn(lt_metric m, const lt_neighbor *got, size_t found, const ref_neighbor *ref,
                  size_t n, size_t k, char *msg, size_t msglen)
{
    size_t want = k < n ? k : n;
    if (found != want) {
        snprintf(msg, msglen, "found %zu, expected min(k=%zu, n=%zu) = %zu", found, k, n, want);
        return 0;
    }
    size_t mismatches = 0;
    for (size_t i = 0; i < found; i++)
        mismatches += got[i].id != ref[i].id;
    id_pos *byid = NULL;
    unsigned char *taken = NULL; /* reference ranks claimed by a differing position */
    if (mismatches > 0) {
        taken = calloc(n, 1);
        if (taken == NULL)
            abort();
    }
    if (mismatches > REF_FEW_MISMATCHES) {
        byid = malloc(n * sizeof *byid);
        if (byid == NULL)
            abort();
        for (size_t j = 0; j < n; j++)
            byid[j] = (id_pos){ref[j].id, j};
        qsort(byid, n, sizeof *byid, cmp_id_pos);
    }
    int ok = 1;
    for (size_t i = 0; i < found && ok; i++) {
        double tol = ref_distance_tol(m, ref[i].dist, ref[i].scale);
        double gd = (double)got[i].distance;
        /* Ranges hold exactly, whatever the rounding: Cosine is clamped to [0, 2]. */
        int in_range = m == LT_METRIC_DOT ? isfinite(gd)
                       : m == LT_METRIC_COSINE ? gd >= 0.0 && gd <= 2.0
                                               : gd >= 0.0 && isfinite(gd);
        if (!in_range) {
            snprintf(msg, msglen, "rank %zu: distance %.9g outside the metric's range", i, gd);
            ok = 0;
            break;
        }
        if (!(fabs(gd - ref[i].dist) <= tol)) {
            snprintf(msg, msglen, "rank %zu: distance %.9g, ref %.9g (id %llu): |err| %.3g > tol %.3g",
                     i, gd, ref[i].dist, (unsigned long long)ref[i].id, fabs(gd - ref[i].dist), tol);
            ok = 0;
            break;
        }
        if (got[i].id == ref[i].id)
            continue;
        size_t p = find_rank(got[i].id, ref, byid, n);
        if (p == n) {
            snprintf(msg, msglen, "rank %zu: id %llu is not stored", i,
                     (unsigned long long)got[i].id);
            ok = 0;
            break;
        }
        /* A repeat sits either at its own reference rank or at another differing rank. */
        if ((p < found && got[p].id == ref[p].id) || taken[p]) {
            snprintf(msg, msglen, "rank %zu: id %llu returned twice", i,
                     (unsigned long long)got[i].id);
            ok = 0;
            break;
        }
        taken[p] = 1;
        double tol2 = ref_distance_tol(m, ref[p].dist, ref[p].scale);
        double t = tol > tol2 ? tol : tol2;
        if (!(fabs(ref[p].dist - ref[i].dist) <= t)) {
            snprintf(msg, msglen,
                     "rank %zu: id %llu (ref distance %.9g), expected id %llu (ref distance "
                     "%.9g); not a tie within %.3g",
                     i, (unsigned long long)got[i].id, ref[p].dist, (unsigned long long)ref[i].id,
                     ref[i].dist, t);
            ok = 0;
        }
    }
    free(byid);
    free(taken);
    return ok;
}

int ref_check_knn_same(lt_metric m, const lt_neighbor *a, size_t found_a, const lt_neighbor *b,
                       size_t found_b, const ref_neighbor *ref, size_t n, char *msg,
                       size_t msglen)
{
    if (found_a != found_b) {
        snprintf(msg, msglen, "found %zu vs %zu", found_a, found_b);
        return 0;
    }
    for (size_t i = 0; i < found_a; i++) {
        double tol = ref_distance_tol(m, ref[i].dist, ref[i].scale);
        double da = (double)a[i].distance, db = (double)b[i].distance;
        if (!(fabs(da - db) <= tol)) {
            snprintf(msg, msglen, "rank %zu: distance %.9g vs %.9g, tol %.3g", i, da, db, tol);
            return 0;
        }
        /* Different ids are fine only where the reference has a near tie at rank i. */
        if (a[i].id != b[i].id) {
            int tie = (i > 0 && fabs(ref[i].dist - ref[i - 1].dist) <= tol) ||
                      (i + 1 < n && fabs(ref[i].dist - ref[i + 1].dist) <= tol);
            if (!tie) {
                snprintf(msg, msglen, "rank %zu: id %llu vs %llu with no near tie (ref %.9g)", i,
                         (unsigned long long)a[i].id, (unsigned long long)b[i].id, ref[i].dist);
                return 0;
            }
        }
    }
    return 1;
}
