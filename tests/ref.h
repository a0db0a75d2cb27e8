/*
 * Double-precision reference of the kernel semantics (the contract in include/latent/latent.h)
 * and the comparison rules of its Accuracy section, shared by the unit tests.
 *
 * The reference never calls the library's kernels: it reads only lt_config and
 * the public enums, so a bug in the library cannot hide in both. Inputs are the
 * same float32 arrays the library receives; every sum is taken in double.
 */
#ifndef LATENT_TESTS_REF_H
#define LATENT_TESTS_REF_H

#include <stddef.h>
#include <stdint.h>

#include "latent/latent.h"

/* Accuracy section of the spec. */
#define REF_ATTN_TOL      1e-4 /* |out - ref|_inf <= tol * max(1, |ref|_inf) */
#define REF_DIST_TOL      1e-4 /* relative, neighbour distances */
#define REF_DIST_TOL_HYP  1e-3 /* relative, hyperbolic distances */
#define REF_HYP_MARGIN    1e-3 /* projection radius is (1 - margin) / sqrt(c) */

/* ---- Seeded random data ------------------------------------------------------ */

typedef struct { uint64_t state; } ref_rng;

/* Base seed of the run: LATENT_TEST_SEED from the environment (decimal or 0x
 * hex) or a fixed default, so a failure printed with its seed can be replayed. */
uint64_t ref_base_seed(void);
/* Derive a case seed from the base seed and up to four case parameters. */
uint64_t ref_case_seed(uint64_t a, uint64_t b, uint64_t c, uint64_t d);

void     ref_rng_seed(ref_rng *r, uint64_t seed);
uint64_t ref_rng_next(ref_rng *r);                 /* splitmix64 */
/* Uniform on [-1, 1) with 24 random bits: every value is an exact float. */
float    ref_rng_uniform(ref_rng *r);
size_t   ref_rng_below(ref_rng *r, size_t bound);  /* uniform on [0, bound) */
void     ref_fill_uniform(uint64_t seed, float *buf, size_t count);
/* Fisher-Yates shuffle of ids. */
void     ref_shuffle_u64(ref_rng *r, uint64_t *v, size_t n);

/* ---- Distances ------------------------------------------------------------------ */

/* Project x into the Poincare ball of curvature -c (c > 0): rescale onto radius
 * (1 - 1e-3)/sqrt(c) when |x| is at least that, else copy. */
void   ref_hyp_project(const float *x, size_t d, double c, double *out);
/* Distance as lt_neighbor.distance reports it; c = |curvature| (hyperbolic only).
 * Hyperbolic projects both arguments first. */
double ref_distance(lt_metric m, double c, const float *a, const float *b, size_t d);
/* Magnitude below which float32 cannot give the distance to relative accuracy
 * (cancellation): the relative tolerance applies to max(|dist|, scale). */
double ref_distance_scale(lt_metric m, const float *a, const float *b, size_t d);
/* Allowed |got - ref| for a reference distance with that scale. */
double ref_distance_tol(lt_metric m, double ref, double scale);

typedef struct {
    uint64_t id;
    double   dist;
    double   scale;
} ref_neighbor;

/* Distances from q to all n rows of data (ids[i] or i when ids is NULL) sorted by
 * ascending distance, ties by smaller id. out has n entries. */
void ref_knn_all(const lt_config *cfg, const float *data, const uint64_t *ids, size_t n,
                 const float *q, ref_neighbor *out);

/* ---- Attention -------------------------------------------------------------------- */

/* Standard attention restricted to the columns [off, off + len) of q and of the
 * rows of data selected by `owner[i] == expert` (all rows when owner is NULL),
 * scale 1/sqrt(len); writes len doubles. Returns the number of rows used. */
size_t ref_attn_slice(const float *q, const float *data, size_t n, size_t d, size_t off,
                      size_t len, const unsigned *owner, unsigned expert, double *out);

/* MoE gate (E x d) by the spec's LCG, computed in double, stored as float. */
void     ref_moe_gate(size_t d, unsigned E, float *W);
/* Logits W x in double. */
void     ref_moe_logits(const float *W, size_t d, unsigned E, const float *x, double *logits);
/* argmax_e (W x)_e, ties lowest e. */
unsigned ref_moe_owner(const float *W, size_t d, unsigned E, const float *x);
/* 1 when every pair of logits of x differs by more than float32 can blur
 * (so routing and top-k choice cannot depend on rounding), else 0. */
int      ref_moe_well_separated(const float *W, size_t d, unsigned E, const float *x);

/* Redraw (uniform [-1,1)) the rows whose MoE routing float32 could get either way
 * (see ref_moe_well_separated); no-op unless cfg->attention is MOE. */
void ref_moe_sanitize(const lt_config *cfg, float *rows, size_t n, uint64_t seed);

/* Hyperbolic only (else no-op): scale rows of [-1,1]^d to norm <= 0.5/sqrt(c).
 * The spec is explicit that stored rows are projected, not that attention queries
 * are; queries inside the ball read the same either way. */
void ref_shrink_into_ball(const lt_config *cfg, float *rows, size_t n);

/* Attention of q under cfg (STANDARD, FLASH, MULTIHEAD or MOE) over n rows of data
 * (K = V = data, projected into the ball first for HYPERBOLIC spaces, as stored).
 * owner: MoE ownership of each row (NULL = computed here). n >= 1.
 * Writes cfg->dimension doubles. */
void ref_attention(const lt_config *cfg, const float *data, size_t n, const unsigned *owner,
                   const float *q, double *out);

/* ---- Comparisons (Accuracy section) -------------------------------------------- */

/* 1 when |got - ref|_inf <= 1e-4 * max(1, |ref|_inf); else 0 and a message. */
int ref_check_attention(const float *got, const double *ref, size_t d, char *msg, size_t msglen);
/* Same rule with a float reference (library path against library path). */
int ref_check_attention_f(const float *got, const float *ref, size_t d, char *msg, size_t msglen);

/* kNN answer against the full sorted reference of all n rows:
 * found == min(k, n); distances in the metric's range (Cosine in [0, 2], the
 * others but Dot >= 0); distance i within tolerance of reference distance i;
 * ids distinct and stored; id i equal to reference id i unless the reference
 * distance of the returned id is within tolerance of reference distance i. */
int ref_check_knn(lt_metric m, const lt_neighbor *got, size_t found, const ref_neighbor *ref,
                  size_t n, size_t k, char *msg, size_t msglen);

/* Two library answers for the same query (batch vs single, ISA vs scalar):
 * same found, distances within tolerance, ids equal except at near ties. */
int ref_check_knn_same(lt_metric m, const lt_neighbor *a, size_t found_a, const lt_neighbor *b,
                       size_t found_b, const ref_neighbor *ref, size_t n, char *msg,
                       size_t msglen);

/* max_i |x_i| of a float vector. */
double ref_max_abs_f(const float *x, size_t n);

#endif /* LATENT_TESTS_REF_H */
