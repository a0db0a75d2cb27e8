/* Attention internals: one file per attention type (attn_*.c) fills an ops
 * entry; attention.c validates, picks the entry and schedules batches. */
#ifndef LT_ATTN_INTERNAL_H
#define LT_ATTN_INTERNAL_H
#include "space_internal.h"

typedef struct {
    /* out = attention of one query (dimension floats) */
    int (*single)(const lt_space *s, const lt__kernels *k, const float *q, float *out);
    /* a group of queries handled by one thread (no nested parallelism) */
    int (*group)(const lt_space *s, const lt__kernels *k, const float *q, size_t nq, float *out);
} lt__attn_ops;

extern const lt__attn_ops lt__attn_standard;
extern const lt__attn_ops lt__attn_flash;
extern const lt__attn_ops lt__attn_multihead;
extern const lt__attn_ops lt__attn_moe;

#define LT__ATTN_TILE 256 /* keys per tile of the batch path when the type sets none */
/* Queries per batch group at most: a multiple of every micro-tile's rows (12,
 * 6, 4) and columns (32, 16, 4), so full groups have no padded slivers. */
#define LT__ATTN_GROUP 96

/* The unnormalised form of lt__attn_rows (the attention state of one group):
 * *m = max score, *l = sum exp(s_i - m), acc[0..len) = sum exp(s_i - m) row_i.
 * rs->count >= 1. lt__attn_rows is acc / l. */
#define LT__WSUM_CHUNK 32 /* rows per weighted-sum step: they stay in L1 across every head and strip */

/* acc[j*dh ..] += sum over positions p in [p0, p1) of w[j*wstride + p - p0] *
 * row_p[c0 + j*dh ..] for every head j (h == 1: one head of dh floats),
 * walking the positions backwards in LT__WSUM_CHUNK chunks: the rows a score
 * pass over [p0, p1) read last are still in cache when this pass starts. */
void lt__attn_wsum_back(const lt__rowset *rs, const lt__kernels *k, const float *w, size_t wstride, size_t c0,
                        size_t dh, unsigned h, size_t p0, size_t p1, float *acc);

int lt__attn_rows_state(const lt__rowset *rs, const lt__kernels *k, const float *q, size_t c0, size_t len,
                        float scale, float *m, double *l, float *acc);

/* The same for h heads at once (MultiHead): head j uses columns
 * [c0 + j*len/h, c0 + (j+1)*len/h) and writes m[j], l[j] and its slice of
 * acc[0..len); one sweep over the rows scores every head. */
int lt__attn_heads_state(const lt__rowset *rs, const lt__kernels *k, const float *q, size_t c0, size_t len,
                         unsigned h, float scale, float *m, double *l, float *acc);

/* Flash's one-pass state of q over all rows (tiles of block_size keys, threads
 * merged): *m, *l, acc[0..dimension) as lt__attn_rows_state. s->n >= 1. */
int lt__attn_flash_state(const lt_space *s, const lt__kernels *k, const float *q, float *m, double *l,
                         float *acc);

/* MoE routing from gate logits W q (double, clobbered): softmax, the top_k
 * experts by weight among those with avail[e] != 0 (ties lowest e; avail is
 * clobbered too), their weights renormalised. Writes the chosen experts in
 * descending weight to ex[] and their weights to w[]; returns how many. */
unsigned lt__moe_select(unsigned E, unsigned K, double *logit, unsigned char *avail, unsigned *ex, double *w);

/* Two-pass softmax attention of q[c0, c0+len) over the rows of rs (their
 * columns [c0, c0+len)), scores scaled by `scale`; writes out[0..len).
 * Keeps all |rs| scores (O(n) memory): this is Standard attention. */
int lt__attn_rows(const lt__rowset *rs, const lt__kernels *k, const float *q, size_t c0, size_t len, float scale,
                  float *out);

/* Tiled batch attention with an online softmax: queries qs[0..G) against rs,
 * tiles of kt keys, scores by GEMM (Q K^T) and outputs by GEMM (P V).
 * Writes out[i*ldo + 0..len). */
int lt__attn_tiled(const lt__rowset *rs, const lt__kernels *k, const float *const *qs, size_t G, size_t c0,
                   size_t len, float scale, size_t kt, float *out, size_t ldo);

/* Standard-type batch for nq queries over all rows: groups of up to LT__ATTN_GROUP queries
 * through lt__attn_tiled with the given tile. */
int lt__attn_tiled_group(const lt_space *s, const lt__kernels *k, const float *q, size_t nq, float *out,
                         size_t tile);

#endif
