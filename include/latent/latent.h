/*
 * liblatent: a latent space of float32 embeddings with exact k-nearest-neighbour
 * search and attention over the stored embeddings.
 *
 * Contract: every function that can fail returns LT_OK (0) or a negative LT_E*
 * code, and leaves the space as it was on failure. A space may be read
 * (knn, attention) from many threads at once; writes (add) need exclusive access.
 */
#ifndef LATENT_LATENT_H
#define LATENT_LATENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the public API: the library is compiled with -fvisibility=hidden, so
 * only declarations carrying LT_EXTERN are exported from the shared object and
 * internal lt__* symbols stay private (tests/test_exports.sh checks both ways). */
#if defined(__GNUC__) || defined(__clang__)
#define LT_EXTERN __attribute__((visibility("default")))
#else
#define LT_EXTERN
#endif

#define LT_VERSION_MAJOR 0
#define LT_VERSION_MINOR 1
#define LT_VERSION_PATCH 0

/* Error codes: one table generates the enum and lt_strerror(). */
#define LT_ERRNO_MAP(X)                                                        \
    X(EINVAL,       -1, "invalid argument")                                    \
    X(ENONFINITE,   -2, "vector holds a non-finite value (NaN or Inf)")        \
    X(EDUPID,       -3, "duplicate embedding id")                              \
    X(EEMPTY,       -4, "operation needs a non-empty space")                   \
    X(ENOMEM,       -5, "out of memory")                                       \
    X(EOVERFLOW,    -6, "size overflow")                                       \
    X(EUNSUPPORTED, -7, "instruction set not supported by this CPU or build")

typedef enum {
    LT_OK = 0,
#define LT__ERR_ENUM(name, code, msg) LT_##name = (code),
    LT_ERRNO_MAP(LT__ERR_ENUM)
#undef LT__ERR_ENUM
} lt_status;

/* Name of an LT_* status code; unknown codes give "unknown error". Never NULL. */
LT_EXTERN const char *lt_strerror(int code);

/* "MAJOR.MINOR.PATCH" of the library actually linked. */
LT_EXTERN const char *lt_version_string(void);

typedef enum {
    LT_METRIC_EUCLIDEAN,
    LT_METRIC_COSINE,
    LT_METRIC_MANHATTAN,
    LT_METRIC_HYPERBOLIC,
    LT_METRIC_DOT
} lt_metric;

typedef enum {
    LT_ATTN_STANDARD,
    LT_ATTN_FLASH,
    LT_ATTN_MULTIHEAD,
    LT_ATTN_MOE
} lt_attention;

#define LT_MAX_EXPERTS 4096 /* bounds the routing work and state of one query */

typedef struct {
    size_t       dimension;     /* >= 1 */
    lt_metric    metric;        /* default EUCLIDEAN */
    float        curvature;     /* HYPERBOLIC only, must be < 0 (and finite), default -1 */
    lt_attention attention;     /* default STANDARD */
    unsigned     num_heads;     /* MULTIHEAD: default 8, dimension % num_heads == 0 */
    unsigned     num_experts;   /* MOE: default 4, 1..LT_MAX_EXPERTS */
    unsigned     top_k_experts; /* MOE: default 2, 1..num_experts */
    unsigned     block_size;    /* FLASH: keys per tile, default 64, >= 1 */
    unsigned     threads;       /* 0 = OpenMP default; otherwise a cap on threads used */
} lt_config;

typedef struct {
    uint64_t id;
    float    distance;
} lt_neighbor;

typedef struct lt_space lt_space;

/* Defaults of every field for the given dimension. Fields not used by the chosen
 * metric/attention are still validated by lt_space_create (num_heads must divide
 * dimension only when attention is MULTIHEAD; the MoE fields only when MOE). */
LT_EXTERN lt_config lt_config_default(size_t dimension);

/* Validate cfg and create an empty space. LT_EINVAL for NULL or a bad field,
 * LT_EOVERFLOW when a row of `dimension` floats cannot be addressed, LT_ENOMEM. */
LT_EXTERN int lt_space_create(const lt_config *cfg, lt_space **out);

/* Free the space and everything it owns. NULL is fine. */
LT_EXTERN void lt_space_destroy(lt_space *space);

/* Number of stored embeddings (0 for NULL). */
LT_EXTERN size_t lt_space_size(const lt_space *space);

/* The configuration the space was created with (NULL for NULL). */
LT_EXTERN const lt_config *lt_space_config(const lt_space *space);

/* Add one embedding of `dimension` floats. id NULL = automatic (1 + largest id so
 * far, 0 for the first). The id used is written to *assigned when it is not NULL.
 * Hyperbolic spaces store the vector projected into the Poincare ball.
 * Errors: LT_EINVAL (NULL), LT_ENONFINITE, LT_EDUPID, LT_EOVERFLOW (automatic id
 * past UINT64_MAX or more than UINT32_MAX embeddings), LT_ENOMEM. */
LT_EXTERN int lt_space_add(lt_space *s, const float *vec, const uint64_t *id, uint64_t *assigned);

/* Add `count` embeddings (row-major count x dimension), all or nothing.
 * ids NULL = automatic ids in order. count == 0 is a no-op. Errors as lt_space_add;
 * a duplicate inside the batch is LT_EDUPID too. */
LT_EXTERN int lt_space_add_batch(lt_space *s, const float *vecs, size_t count, const uint64_t *ids);

/* Exact k nearest neighbours of `query` under the space's metric. out[0..found)
 * holds min(k, n) neighbours by ascending distance, ties by smaller id. An empty
 * space gives found = 0 and LT_OK. Errors: LT_EINVAL (NULL, k == 0), LT_ENONFINITE,
 * LT_ENOMEM. */
LT_EXTERN int lt_space_knn(const lt_space *s, const float *query, size_t k, lt_neighbor *out, size_t *found);

/* nq queries at once (row-major nq x dimension); row i of out (k entries) and
 * found[i] are query i's answer, equal to lt_space_knn's within the accuracy of the
 * spec. Entries past found[i] are set to {UINT64_MAX, INFINITY}. Errors as
 * lt_space_knn plus LT_EOVERFLOW when nq * k or nq * dimension overflows. */
LT_EXTERN int lt_space_knn_batch(const lt_space *s, const float *queries, size_t nq, size_t k,
                                 lt_neighbor *out, size_t *found);

/* Attention of `query` over the stored embeddings (K = V = stored rows, insertion
 * order) with the space's attention type; out has `dimension` floats.
 * Errors: LT_EINVAL, LT_ENONFINITE, LT_EEMPTY, LT_ENOMEM. */
LT_EXTERN int lt_space_attention(const lt_space *s, const float *query, float *out);

/* nq queries at once; out is nq x dimension. Errors as lt_space_attention plus
 * LT_EOVERFLOW. */
LT_EXTERN int lt_space_attention_batch(const lt_space *s, const float *queries, size_t nq, float *out);

/* MoE: number of stored embeddings owned by expert e (0 when e is out of range or
 * the space is not MoE). */
LT_EXTERN size_t lt_space_expert_size(const lt_space *s, unsigned e);

/* Fill W (num_experts x dimension, row-major) with the MoE gate weights of the
 * spec's 64-bit LCG (state 42). LT_EINVAL for NULL, zero sizes; LT_EOVERFLOW. */
LT_EXTERN int lt_moe_gate_fill(size_t dimension, unsigned num_experts, float *W);

/* ---- Attention over a space split into parts ---------------------------------
 * Rows sharded over MPI ranks (or any split into spaces of one configuration):
 * each part computes the unnormalised state of the query over its own rows, the
 * states merge in any order (MPI_Reduce with a user op over
 * lt_attention_state_floats floats), and finishing the merged state gives what
 * lt_space_attention gives on one space holding all rows, within the spec's
 * attention tolerance. The query is used as given, as lt_space_attention does
 * (Hyperbolic spaces project stored rows, not queries).
 *
 * A state is G groups of (max score m, l = sum exp(s_i - m), dimension floats
 * acc = sum exp(s_i - m) v_i): G = 1 for STANDARD and FLASH, num_heads for
 * MULTIHEAD (group h: head h's scores; only head h's slice of its acc is
 * nonzero), num_experts for MOE (group e: the keys expert e owns, score
 * q.k/sqrt(d)). A group with no keys is empty: m = -INFINITY, l = 0, acc = 0. */

/* Floats in an attention state of cfg: G * (2 + dimension). 0 for NULL, a
 * configuration lt_space_create rejects as invalid, or a size overflow. */
LT_EXTERN size_t lt_attention_state_floats(const lt_config *cfg);

/* The state of `query` (dimension floats) over the rows of s, into state
 * (lt_attention_state_floats(lt_space_config(s)) floats). An empty space gives
 * all groups empty and LT_OK. Errors: LT_EINVAL (NULL), LT_ENONFINITE,
 * LT_ENOMEM; state is then unspecified. */
LT_EXTERN int lt_space_attention_state(const lt_space *s, const float *query, float *state);

/* inout := merge(inout, in): per group, the larger max m and both sides rescaled
 * by exp(m_side - m). Commutative and associative up to float rounding; an empty
 * group on either side is an exact identity. Both must be states of cfg (same
 * configuration as the spaces); does nothing for NULL or an invalid cfg. A pure
 * function of its arrays, so it can sit inside an MPI_Op_create user function. */
LT_EXTERN void lt_attention_state_merge(const lt_config *cfg, float *inout, const float *in);

/* The attention output (dimension floats) of a merged state: STANDARD/FLASH
 * acc / l; MULTIHEAD each head's slice acc_h / l_h; MOE: p = softmax(W query)
 * with W of lt_moe_gate_fill, the top_k_experts by p among experts with l_e > 0
 * (ties lowest index), p renormalised over them, out = sum_e p_e acc_e / l_e.
 * query is read only for MOE (it may be NULL otherwise) and must be the query
 * the states were computed for. Errors: LT_EINVAL (NULL, invalid cfg),
 * LT_ENONFINITE (MOE query), LT_EEMPTY when no keys contributed (every group
 * empty; for MULTIHEAD any head empty), as lt_space_attention on an empty space;
 * out is then untouched. */
LT_EXTERN int lt_attention_state_finish(const lt_config *cfg, const float *query, const float *state,
                                        float *out);

/* ---- Instruction-set dispatch ------------------------------------------------
 * Chosen once, on first use, as the best the CPU and OS support; the environment
 * variable LATENT_ISA=scalar|avx2|avx512 (any case; "auto" = the best) forces one.
 * An empty, unknown or unsupported value falls back to the best and is reported
 * through lt_env_get (the library prints nothing); LATENT_ISA_DEBUG=1 prints the
 * choice to stderr. */
typedef enum { LT_ISA_SCALAR = 0, LT_ISA_AVX2 = 1, LT_ISA_AVX512 = 2, LT_ISA_COUNT = 3 } lt_isa;

LT_EXTERN lt_isa      lt_isa_active(void);
LT_EXTERN const char *lt_isa_name(lt_isa isa);   /* "scalar", "avx2", "avx512"; NULL if out of range */
LT_EXTERN int         lt_isa_supported(lt_isa isa); /* 1 when this CPU, OS and build can run it */
/* Switch every later operation to `isa` (tests and benchmarks compare paths this
 * way). Not safe while other threads use the library. LT_EUNSUPPORTED or LT_EINVAL. */
LT_EXTERN int         lt_isa_select(lt_isa isa);

/* ---- Environment -------------------------------------------------------------
 * The library reads two variables, once, on first use: LATENT_ISA (above) and
 * LATENT_PAR_MIN, the work (rows x dimension, times queries for a batch) from
 * which one call splits its rows or queries over threads: a decimal integer
 * 0..2^64-1 (0: always split), default 65536. A value that is not valid (empty,
 * not a plain decimal number, out of range; an unknown or unsupported ISA) is
 * ignored, the default is used, and the reason is kept here for the program to
 * tell its user: a library does not write to its caller's terminal.
 * The number of threads is OpenMP's (OMP_NUM_THREADS, lt_config.threads). */
typedef struct {
    lt_isa isa;                  /* in effect now (lt_isa_select may have changed it) */
    int    isa_from_env;         /* 1: LATENT_ISA chose the ISA first used; 0: the best supported */
    size_t par_min;              /* in effect */
    int    par_min_from_env;     /* 1: LATENT_PAR_MIN set par_min; 0: the default */
    char   isa_problem[160];     /* "" or why LATENT_ISA was ignored, one line, e.g.
                                    "LATENT_ISA=sse9 is unknown (scalar|avx2|avx512|auto); using avx2" */
    char   par_min_problem[160]; /* "" or why LATENT_PAR_MIN was ignored, one line */
} lt_env;

/* Fills *out (NULL is ignored). Thread-safe. */
LT_EXTERN void lt_env_get(lt_env *out);

/* ---- Memory accounting -------------------------------------------------------
 * Every allocation of the library goes through one allocator that counts bytes
 * requested (thread-safe, process-wide). */
typedef struct {
    size_t   current_bytes, peak_bytes;
    uint64_t allocations;
} lt_mem_stats;

LT_EXTERN lt_mem_stats lt_mem_stats_get(void);
LT_EXTERN void         lt_mem_reset_peak(void); /* peak := current, allocations := 0 */

/* Testing hook: the n-th allocation from now fails (n = 1: the next one); a
 * negative n disarms it. Lets tests check every out-of-memory path. */
LT_EXTERN void lt_mem_fail_after(long n);

#ifdef __cplusplus
}
#endif
#endif /* LATENT_LATENT_H */
