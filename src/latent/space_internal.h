/* The space's layout, shared by the modules of liblatent (never by the harness).
 *
 * Rows live in blocks that double from 16 rows up to about 1 MiB each, then stay
 * at that size: no allocation per embedding, no copy of the store when it grows,
 * and little slack for small spaces. Each row is padded to a multiple of 16
 * floats (64 bytes) and zero-filled, so every row starts on a cache line. */
#ifndef LT_SPACE_INTERNAL_H
#define LT_SPACE_INTERNAL_H

#include "latent/latent.h"
#include "kernels.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct {
    float    *data;  /* cap rows x stride */
    uint64_t *ids;
    float    *norm2; /* |x|^2 (after projection) */
    float    *aux;   /* Cosine: 1/|x| (0 for a zero vector); Hyperbolic: 1/(1 - c|x|^2) */
} lt__block;

typedef struct {
    uint64_t *slots; /* LT__ID_EMPTY marks a free slot */
    size_t    cap, count;
    int       has_empty_key; /* the id equal to the sentinel is stored out of band */
} lt__idset;

/* One reusable scratch buffer of a space (scratch.h). */
#define LT__SCRATCH_SLOTS 64
typedef struct {
    _Alignas(64) atomic_int busy;
    void  *buf;
    size_t cap;
} lt__scratch_slot;

struct lt_space {
    lt_config cfg;
    size_t    dim, stride; /* floats per row: dimension, padded to 16 */
    size_t    n;
    unsigned  r0_shift, rmax_shift, grow_blocks; /* blocks 0..grow_blocks-1 double from 2^r0 rows */
    lt__block *blocks;
    size_t     nblocks, blocks_cap;
    lt__idset  idset;
    uint64_t   max_id;

    double     c, sqrt_c;   /* Hyperbolic */
    float      max_radius;  /* (1 - 1e-3)/sqrt(c) */

    float     *gate;        /* MoE: num_experts x dim, the spec's LCG */
    uint32_t **expert_rows; /* per expert: row indices in insertion order */
    size_t    *expert_n, *expert_cap;

    lt__scratch_slot scratch[LT__SCRATCH_SLOTS];
};

/* Block and offset of row i. */
static inline void lt__locate(const lt_space *s, size_t i, size_t *b, size_t *off)
{
    size_t grow_rows = ((size_t)1 << s->r0_shift) * (((size_t)1 << s->grow_blocks) - 1);
    if (i < grow_rows) {
        size_t u = (i >> s->r0_shift) + 1;
        size_t bb = (size_t)(63 - __builtin_clzll((unsigned long long)u));
        *b = bb;
        *off = i - (((size_t)1 << s->r0_shift) * (((size_t)1 << bb) - 1));
    } else {
        size_t j = i - grow_rows;
        *b = s->grow_blocks + (j >> s->rmax_shift);
        *off = j & (((size_t)1 << s->rmax_shift) - 1);
    }
}

static inline size_t lt__block_rows(const lt_space *s, size_t b)
{
    return (size_t)1 << (b < s->grow_blocks ? s->r0_shift + b : s->rmax_shift);
}

/* Pointer to row i and how many rows follow contiguously in its block (<= limit). */
static inline const float *lt__row_run(const lt_space *s, size_t i, size_t limit, size_t *len, size_t *blk, size_t *off)
{
    lt__locate(s, i, blk, off);
    size_t avail = lt__block_rows(s, *blk) - *off;
    *len = avail < limit ? avail : limit;
    return s->blocks[*blk].data + *off * s->stride;
}

static inline const float *lt__row(const lt_space *s, size_t i)
{
    size_t b, off;
    lt__locate(s, i, &b, &off);
    return s->blocks[b].data + off * s->stride;
}

static inline uint64_t lt__row_id(const lt_space *s, size_t i)
{
    size_t b, off;
    lt__locate(s, i, &b, &off);
    return s->blocks[b].ids[off];
}

/* A set of rows: all rows 0..count-1 (idx NULL) or the listed rows (MoE experts). */
typedef struct {
    const lt_space *s;
    const uint32_t *idx;
    size_t          count;
} lt__rowset;

/* Row at position pos of the set and how many following positions are stored
 * contiguously with a uniform stride (<= limit). */
static inline const float *lt__rowset_run(const lt__rowset *rs, size_t pos, size_t limit, size_t *len)
{
    size_t b, off;
    if (!rs->idx) return lt__row_run(rs->s, pos, limit, len, &b, &off);
    const float *p = lt__row_run(rs->s, rs->idx[pos], limit, len, &b, &off);
    size_t run = 1, max = *len;
    while (run < max && rs->idx[pos + run] == rs->idx[pos] + run) run++;
    *len = run;
    return p;
}

/* LT_OK or LT_EINVAL: the field checks of lt_space_create (not the size checks). */
int lt__config_check(const lt_config *c);

/* The spec's MoE gate stream: weight i of W (row-major E x d) is the i-th call of
 * lt__moe_gate_next from state LT__MOE_GATE_SEED. lt_moe_gate_fill stores it;
 * attention states regenerate it while routing, so both see the same floats. */
#define LT__MOE_GATE_SEED 42u

static inline double lt__moe_gate_scale(size_t dimension, unsigned num_experts)
{
    return 2.0 * sqrt(2.0 / ((double)dimension + (double)num_experts));
}

static inline float lt__moe_gate_next(uint64_t *state, double scale)
{
    *state = *state * 6364136223846793005ULL + 1ULL;
    double u = (double)*state / 18446744073709551616.0; /* 2^64 */
    return (float)((u - 0.5) * scale);
}

/* Threads to use for `work` floats of streaming work (1 below the measured
 * cut-off, LATENT_PAR_MIN, or when already inside a parallel region). */
int lt__threads(const lt_space *s, size_t work);

/* LATENT_PAR_MIN as read once (thread-safe): the cut-off in effect, whether the
 * environment set it, and why a value was ignored ("" when none). */
void lt__par_min_get(size_t *par_min, int *from_env, char *problem, size_t len);

/* An environment value quoted for a message: at most 48 bytes, then "...",
 * control bytes as \xHH. */
void lt__env_quote(char *dst, size_t len, const char *v);

/* Checks that v[0..n) is finite. */
int lt__all_finite(const float *v, size_t n);

/* Projects x (dim floats) into the ball radius of a hyperbolic space, into dst. */
void lt__hyperbolic_project(const lt_space *s, const float *x, float *dst);

#endif
