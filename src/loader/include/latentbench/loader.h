/* liblatent as the harness sees it: a table of its API functions resolved
 * with dlopen(RTLD_NOW | RTLD_LOCAL) from one build of the library. The
 * harness never links the kernel library, so the build it measures is the
 * file it loaded, and two builds can be loaded side by side (a paired A/B
 * run) without their symbols mixing. */
#ifndef LATENTBENCH_LOADER_H
#define LATENTBENCH_LOADER_H

#include <latent/latent.h>

#include <stddef.h>
#include <stdint.h>

/* X(return type, name without "lt_", parameter list): every function of
 * latent.h the harness may call. */
#define LB_LATENT_API(X)                                                                              \
    X(const char *, strerror, (int code))                                                             \
    X(const char *, version_string, (void))                                                           \
    X(lt_config, config_default, (size_t dimension))                                                  \
    X(int, space_create, (const lt_config *cfg, lt_space **out))                                      \
    X(void, space_destroy, (lt_space *space))                                                         \
    X(size_t, space_size, (const lt_space *space))                                                    \
    X(int, space_add, (lt_space *s, const float *vec, const uint64_t *id, uint64_t *assigned))        \
    X(int, space_add_batch, (lt_space *s, const float *vecs, size_t count, const uint64_t *ids))      \
    X(int, space_knn, (const lt_space *s, const float *q, size_t k, lt_neighbor *out, size_t *found)) \
    X(int, space_knn_batch,                                                                           \
      (const lt_space *s, const float *q, size_t nq, size_t k, lt_neighbor *out, size_t *found))      \
    X(int, space_attention, (const lt_space *s, const float *query, float *out))                      \
    X(int, space_attention_batch, (const lt_space *s, const float *queries, size_t nq, float *out))   \
    X(lt_isa, isa_active, (void))                                                                     \
    X(const char *, isa_name, (lt_isa isa))                                                           \
    X(lt_mem_stats, mem_stats_get, (void))                                                            \
    X(void, mem_reset_peak, (void))

/* Functions a build may lack (older builds than the attention-state API or
 * lt_env_get): NULL then; only data-sharded attention needs the state ones.
 * lt_peer_describe / lt_peer_note exist only in a peer (liblatent_faiss.so:
 * docs/PEERS.md): what it is, and "" or a warning for its rows' note. */
#define LB_LATENT_API_OPTIONAL(X)                                                                     \
    X(void, env_get, (lt_env *out))                                                                   \
    X(size_t, attention_state_floats, (const lt_config *cfg))                                         \
    X(int, space_attention_state, (const lt_space *s, const float *query, float *state))              \
    X(void, attention_state_merge, (const lt_config *cfg, float *inout, const float *in))             \
    X(int, attention_state_finish, (const lt_config *cfg, const float *q, const float *state, float *out)) \
    X(const char *, peer_describe, (void))                                                            \
    X(const char *, peer_note, (void))

#define LB__LATENT_FIELD(ret, name, params) ret(*name) params;

typedef struct lb_latent {
    LB_LATENT_API(LB__LATENT_FIELD)
    LB_LATENT_API_OPTIONAL(LB__LATENT_FIELD)
    void    *handle;      /* dlopen's */
    char     path[4096];  /* the file loaded, as resolved (realpath) */
    uint64_t size;        /* its bytes */
    char     hash[17];    /* FNV-1a 64 of its bytes, hex: which build was measured */
} lb_latent;

/* Loads the library at path, or, when path is NULL, the default build: $LATENTBENCH_LIB, else
 * liblatent.so.<major> next to the running binary, else in ../<libdir> from it (an installed tree).
 * LB_ENOINPUT when the file does not exist; LB_EDATA when it is not a loadable library or lacks a
 * function of the API (err names the file and the symbol); LB_ENOMEM. */
int  lb_latent_open(const char *path, lb_latent *lt, char *err, size_t errlen);
void lb_latent_close(lb_latent *lt);

/* A peer library (docs/PEERS.md): another implementation behind liblatent's ABI
 * that also exports lt_peer_describe. path NULL: $LATENTBENCH_PEER_LIB, else
 * liblatent_faiss.so next to the running binary, else in ../<libdir> from it.
 * Errors as lb_latent_open; LB_ENOINPUT names the file and says the peer was not
 * built (configured without FAISS) when the default is missing; LB_EDATA when
 * the library lacks lt_peer_describe (a build of liblatent is not a peer). */
#define LB_PEER_FILE "liblatent_faiss.so"
int lb_peer_open(const char *path, lb_latent *lt, char *err, size_t errlen);

/* OMP_NUM_THREADS as the harness accepts it: one decimal integer (digits only)
 * from 1 to max(LB_OMP_THREADS_MAX, CPUs online). Returns it, or 0 when v is
 * NULL or not valid. lb_latent_open unsets an invalid value before the OpenMP
 * runtime (loaded with the library) can read it. */
#define LB_OMP_THREADS_MAX 1024
long lb_omp_threads_parse(const char *v);

#endif
