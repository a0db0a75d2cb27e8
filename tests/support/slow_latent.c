/* A drop-in liblatent for `latentbench run --lib` that is a known fraction
 * slower: every function of latent.h forwards to the real library, and each
 * call a benchmark times then busy-waits for LB_SLOW_PCT percent of that
 * call's own duration. The gate's tests get a regression of known size made of
 * real work on the CPU, proportional to each call, instead of a relabelled
 * workload. LB_SLOW_PCT = 0 measures what the wrapper itself costs.
 *
 * The real library (LB_SLOW_REAL_LIB, the build tree's liblatent) is not
 * linked but loaded with dlopen(RTLD_LOCAL) when this library is loaded.
 * Linking it would put this library in liblatent's lookup scope, and liblatent
 * calls some of its own exported functions through the PLT (a small
 * lt_space_knn_batch calls lt_space_knn per query): those calls would bind to
 * the wrappers here and be slowed twice. Loaded on its own, liblatent
 * resolves them to itself.
 *
 * LB_SLOW_FAIL_ROWS=N in the environment makes lt_space_add_batch of N or
 * more rows fail with LT_ENOMEM: a failure in the middle of a run, on the
 * ranks whose environment says so, for the tests of the failure paths.
 *
 * Defining every function after latent.h's declarations makes the compiler
 * check each signature; tests/test_exports.sh checks that none is missing. */
#define _POSIX_C_SOURCE 200809L
#include <latent/latent.h>

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef LB_SLOW_PCT
#error "LB_SLOW_PCT (the slowdown in percent) must be defined"
#endif
#ifndef LB_SLOW_REAL_LIB
#error "LB_SLOW_REAL_LIB (the path of the real liblatent) must be defined"
#endif

/* X(return type, name without "lt_", parameter list, argument list).
 * Timed: the calls a benchmark measures, slowed. Forwarded: the rest. */
#define SLOW_TIMED(X)                                                                                  \
    X(int, space_create, (const lt_config *cfg, lt_space **out), (cfg, out))                           \
    X(int, space_add, (lt_space *s, const float *vec, const uint64_t *id, uint64_t *assigned),         \
      (s, vec, id, assigned))                                                                          \
    X(int, space_knn, (const lt_space *s, const float *query, size_t k, lt_neighbor *out, size_t *found), \
      (s, query, k, out, found))                                                                       \
    X(int, space_knn_batch,                                                                            \
      (const lt_space *s, const float *queries, size_t nq, size_t k, lt_neighbor *out, size_t *found), \
      (s, queries, nq, k, out, found))                                                                 \
    X(int, space_attention, (const lt_space *s, const float *query, float *out), (s, query, out))      \
    X(int, space_attention_batch, (const lt_space *s, const float *queries, size_t nq, float *out),    \
      (s, queries, nq, out))                                                                           \
    X(int, space_attention_state, (const lt_space *s, const float *query, float *state),               \
      (s, query, state))

#define SLOW_TIMED_VOID(X) X(void, space_destroy, (lt_space *space), (space))

#define SLOW_FORWARDED(X)                                                                              \
    X(const char *, strerror, (int code), (code))                                                      \
    X(const char *, version_string, (void), ())                                                        \
    X(lt_config, config_default, (size_t dimension), (dimension))                                      \
    X(size_t, space_size, (const lt_space *space), (space))                                            \
    X(const lt_config *, space_config, (const lt_space *space), (space))                               \
    X(size_t, space_expert_size, (const lt_space *s, unsigned e), (s, e))                              \
    X(int, moe_gate_fill, (size_t dimension, unsigned num_experts, float *W), (dimension, num_experts, W)) \
    X(size_t, attention_state_floats, (const lt_config *cfg), (cfg))                                   \
    X(int, attention_state_finish, (const lt_config *cfg, const float *query, const float *state, float *out), \
      (cfg, query, state, out))                                                                        \
    X(lt_isa, isa_active, (void), ())                                                                  \
    X(const char *, isa_name, (lt_isa isa), (isa))                                                     \
    X(int, isa_supported, (lt_isa isa), (isa))                                                         \
    X(int, isa_select, (lt_isa isa), (isa))                                                            \
    X(lt_mem_stats, mem_stats_get, (void), ())

#define SLOW_FORWARDED_VOID(X)                                                                         \
    X(void, attention_state_merge, (const lt_config *cfg, float *inout, const float *in), (cfg, inout, in)) \
    X(void, mem_reset_peak, (void), ())                                                                \
    X(void, mem_fail_after, (long n), (n))                                                             \
    X(void, env_get, (lt_env *out), (out))

/* Timed and able to fail on request (LB_SLOW_FAIL_ROWS), defined by hand. */
#define SLOW_FAILING(X)                                                                                \
    X(int, space_add_batch, (lt_space *s, const float *vecs, size_t count, const uint64_t *ids),       \
      (s, vecs, count, ids))

#define SLOW_ALL(X) SLOW_TIMED(X) SLOW_FAILING(X) SLOW_TIMED_VOID(X) SLOW_FORWARDED(X) SLOW_FORWARDED_VOID(X)

/* The real library's functions, resolved once when this library is loaded and
 * only read afterwards, so calls from many threads need no locking. */
static struct {
    void *handle;
#define SLOW__FIELD(ret, name, params, args) ret(*name) params;
    SLOW_ALL(SLOW__FIELD)
#undef SLOW__FIELD
} real;

static uint64_t slow_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The call began at t0 and has just returned: spin for LB_SLOW_PCT percent of
 * its duration. Spinning, not sleeping, so the extra time is CPU work the way
 * the call's own is and no scheduler granularity rounds it. At 0 percent the
 * loop never runs and the cost left is the two clock reads. */
static void slow_spin_since(uint64_t t0)
{
    uint64_t t1 = slow_now_ns();
    uint64_t until = t1 + (t1 - t0) * (uint64_t)(LB_SLOW_PCT) / 100u;
    for (uint64_t t = t1; t < until; t = slow_now_ns()) {
    }
}

/* A constructor cannot return an error, and without the real library no entry
 * point could do anything: a test fixture that cannot work stops the process
 * loudly, naming the file, rather than failing later in an unrelated way. */
__attribute__((constructor)) static void slow_open(void)
{
    real.handle = dlopen(LB_SLOW_REAL_LIB, RTLD_NOW | RTLD_LOCAL);
    if (!real.handle) {
        const char *why = dlerror();
        fprintf(stderr, "slow_latent: cannot load the real liblatent %s (%s)\n", LB_SLOW_REAL_LIB,
                why ? why : "dlopen failed");
        abort();
    }
#define SLOW__RESOLVE(ret, name, params, args)                                                         \
    if (!(*(void **)&real.name = dlsym(real.handle, "lt_" #name))) {                                   \
        fprintf(stderr, "slow_latent: %s lacks lt_" #name "\n", LB_SLOW_REAL_LIB);                     \
        abort();                                                                                       \
    }
    SLOW_ALL(SLOW__RESOLVE)
#undef SLOW__RESOLVE
}

__attribute__((destructor)) static void slow_close(void)
{
    if (real.handle) dlclose(real.handle);
}

#define SLOW__DEFINE_TIMED(ret, name, params, args)                                                    \
    LT_EXTERN ret lt_##name params                                                                     \
    {                                                                                                  \
        uint64_t t0 = slow_now_ns();                                                                   \
        ret rc = real.name args;                                                                       \
        slow_spin_since(t0);                                                                           \
        return rc;                                                                                     \
    }
#define SLOW__DEFINE_TIMED_VOID(ret, name, params, args)                                               \
    LT_EXTERN ret lt_##name params                                                                     \
    {                                                                                                  \
        uint64_t t0 = slow_now_ns();                                                                   \
        real.name args;                                                                                \
        slow_spin_since(t0);                                                                           \
    }
#define SLOW__DEFINE_FORWARDED(ret, name, params, args)                                                \
    LT_EXTERN ret lt_##name params { return real.name args; }
#define SLOW__DEFINE_FORWARDED_VOID(ret, name, params, args)                                           \
    LT_EXTERN ret lt_##name params { real.name args; }

SLOW_TIMED(SLOW__DEFINE_TIMED)

LT_EXTERN int lt_space_add_batch(lt_space *s, const float *vecs, size_t count, const uint64_t *ids)
{
    const char *fail = getenv("LB_SLOW_FAIL_ROWS");
    if (fail && *fail && count >= strtoull(fail, NULL, 10)) return LT_ENOMEM;
    uint64_t t0 = slow_now_ns();
    int rc = real.space_add_batch(s, vecs, count, ids);
    slow_spin_since(t0);
    return rc;
}
SLOW_TIMED_VOID(SLOW__DEFINE_TIMED_VOID)
SLOW_FORWARDED(SLOW__DEFINE_FORWARDED)
SLOW_FORWARDED_VOID(SLOW__DEFINE_FORWARDED_VOID)
