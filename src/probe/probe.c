/* The hardware bounds of this node (latentbench/probe.h, docs/PROBE.md).
 *
 * Every measurement is a team of POSIX threads that meet at a spinning barrier
 * before and after each repetition; thread 0 times the repetition between the
 * two, so a repetition lasts as long as its slowest thread. The value kept is
 * the median over the repetitions. The read kernels sum into several SIMD
 * accumulators whose total is stored in a volatile sink, so no load can be
 * dropped; the FMA kernels run independent dependency chains, each seeded
 * differently so that none can be merged with another. */
#define _GNU_SOURCE
#include "latentbench/probe.h"

#include <immintrin.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "latentbench/alloc.h"
#include "latentbench/error.h"

#define MIB (1024.0 * 1024.0)

typedef enum { ISA_SCALAR, ISA_AVX2, ISA_AVX512, ISA_COUNT } isa_id;
static const char *const isa_names[ISA_COUNT] = {"scalar", "avx2", "avx512"};

static int isa_ok(isa_id i)
{
    __builtin_cpu_init();
    /* libgcc's answer includes the OS check (XCR0 saves the YMM / ZMM state) */
    if (i == ISA_AVX512) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
    if (i == ISA_AVX2) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return 1;
}

static int isa_parse(const char *s)
{
    for (int i = 0; s && i < ISA_COUNT; i++)
        if (strcmp(s, isa_names[i]) == 0) return i;
    return -1;
}

int lb_probe_isa_supported(const char *isa)
{
    int i = isa_parse(isa);
    return i >= 0 && isa_ok((isa_id)i);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- kernels --------------------------------------------------------------
 * read_*: the sum of p[0..n) through 8 accumulators (two loads a cycle times
 * the add latency); reading from memory, each line is prefetched into L2
 * PF_AHEAD bytes ahead: a plain loop leaves the stream to the hardware
 * prefetcher and reads about 11% slower from memory here, slower than
 * liblatent's own scans (which prefetch the same way), so it would be no bound. triad_*: a = b + s * c. fma_*: iters rounds of NACC
 * independent multiply-adds; the flops per round are NACC x lanes x 2. The
 * "scalar" ISA is baseline x86-64: SSE2, 4 lanes, a multiply and an add (what
 * the compiler may make of liblatent's scalar stamp at most). */

#define PF_AHEAD 8192 /* bytes */

/* Prefetches `lines` cache lines from PF_AHEAD bytes past p into L2 (a hint:
 * never faults, so it may run past the buffer; an integer for that reason). */
static inline void pf_lines(const float *p, int lines)
{
    uintptr_t a = (uintptr_t)p + PF_AHEAD;
    for (int l = 0; l < lines; l++) __builtin_prefetch((const void *)(a + 64 * (uintptr_t)l), 0, 2);
}

__attribute__((target("avx512f"))) static float read_avx512(const float *p, size_t n, int pf)
{
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        if (pf) pf_lines(p + i, 8);
        a0 = _mm512_add_ps(a0, _mm512_loadu_ps(p + i));
        a1 = _mm512_add_ps(a1, _mm512_loadu_ps(p + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_loadu_ps(p + i + 32));
        a3 = _mm512_add_ps(a3, _mm512_loadu_ps(p + i + 48));
        a4 = _mm512_add_ps(a4, _mm512_loadu_ps(p + i + 64));
        a5 = _mm512_add_ps(a5, _mm512_loadu_ps(p + i + 80));
        a6 = _mm512_add_ps(a6, _mm512_loadu_ps(p + i + 96));
        a7 = _mm512_add_ps(a7, _mm512_loadu_ps(p + i + 112));
    }
    a0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                       _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    float s = _mm512_reduce_add_ps(a0);
    for (; i < n; i++) s += p[i];
    return s;
}

__attribute__((target("avx2"))) static float read_avx2(const float *p, size_t n, int pf)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        if (pf) pf_lines(p + i, 4);
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p + i));
        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p + i + 24));
        a4 = _mm256_add_ps(a4, _mm256_loadu_ps(p + i + 32));
        a5 = _mm256_add_ps(a5, _mm256_loadu_ps(p + i + 40));
        a6 = _mm256_add_ps(a6, _mm256_loadu_ps(p + i + 48));
        a7 = _mm256_add_ps(a7, _mm256_loadu_ps(p + i + 56));
    }
    a0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                       _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    float t[8];
    _mm256_storeu_ps(t, a0);
    float s = t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
    for (; i < n; i++) s += p[i];
    return s;
}

static float read_sse(const float *p, size_t n, int pf)
{
    __m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        if (pf) pf_lines(p + i, 2);
        a0 = _mm_add_ps(a0, _mm_loadu_ps(p + i));
        a1 = _mm_add_ps(a1, _mm_loadu_ps(p + i + 4));
        a2 = _mm_add_ps(a2, _mm_loadu_ps(p + i + 8));
        a3 = _mm_add_ps(a3, _mm_loadu_ps(p + i + 12));
        a4 = _mm_add_ps(a4, _mm_loadu_ps(p + i + 16));
        a5 = _mm_add_ps(a5, _mm_loadu_ps(p + i + 20));
        a6 = _mm_add_ps(a6, _mm_loadu_ps(p + i + 24));
        a7 = _mm_add_ps(a7, _mm_loadu_ps(p + i + 28));
    }
    a0 = _mm_add_ps(_mm_add_ps(_mm_add_ps(a0, a1), _mm_add_ps(a2, a3)),
                    _mm_add_ps(_mm_add_ps(a4, a5), _mm_add_ps(a6, a7)));
    float t[4];
    _mm_storeu_ps(t, a0);
    float s = t[0] + t[1] + t[2] + t[3];
    for (; i < n; i++) s += p[i];
    return s;
}

__attribute__((target("avx512f"))) static void triad_avx512(float *a, const float *b, const float *c, size_t n,
                                                            float s)
{
    __m512 vs = _mm512_set1_ps(s);
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(a + i, _mm512_fmadd_ps(vs, _mm512_loadu_ps(c + i), _mm512_loadu_ps(b + i)));
    for (; i < n; i++) a[i] = b[i] + s * c[i];
}

__attribute__((target("avx2,fma"))) static void triad_avx2(float *a, const float *b, const float *c, size_t n,
                                                           float s)
{
    __m256 vs = _mm256_set1_ps(s);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(a + i, _mm256_fmadd_ps(vs, _mm256_loadu_ps(c + i), _mm256_loadu_ps(b + i)));
    for (; i < n; i++) a[i] = b[i] + s * c[i];
}

static void triad_sse(float *a, const float *b, const float *c, size_t n, float s)
{
    __m128 vs = _mm_set1_ps(s);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(a + i, _mm_add_ps(_mm_loadu_ps(b + i), _mm_mul_ps(vs, _mm_loadu_ps(c + i))));
    for (; i < n; i++) a[i] = b[i] + s * c[i];
}

/* Chains: acc = acc * m + c converges to c / (1 - m) = 1, so no value
 * overflows or turns subnormal however long it runs. AVX-512: 16 chains (32
 * registers; 2 x latency 4 x 2 ports). AVX2 has 16 registers, two hold m and
 * c: 14 chains, still above latency x ports (8 to 10) on every AVX2 core. */
#define FMA_M 0.9990234375f /* 1 - 2^-10 */
#define FMA_C 0.0009765625f /* 2^-10 */

__attribute__((target("avx512f"))) static float fma_avx512(uint64_t iters)
{
    const __m512 m = _mm512_set1_ps(FMA_M), c = _mm512_set1_ps(FMA_C);
    __m512 a[16];
    for (int j = 0; j < 16; j++) a[j] = _mm512_set1_ps(0.5f + 0.03125f * (float)j);
    for (uint64_t i = 0; i < iters; i++) {
        a[0] = _mm512_fmadd_ps(a[0], m, c);
        a[1] = _mm512_fmadd_ps(a[1], m, c);
        a[2] = _mm512_fmadd_ps(a[2], m, c);
        a[3] = _mm512_fmadd_ps(a[3], m, c);
        a[4] = _mm512_fmadd_ps(a[4], m, c);
        a[5] = _mm512_fmadd_ps(a[5], m, c);
        a[6] = _mm512_fmadd_ps(a[6], m, c);
        a[7] = _mm512_fmadd_ps(a[7], m, c);
        a[8] = _mm512_fmadd_ps(a[8], m, c);
        a[9] = _mm512_fmadd_ps(a[9], m, c);
        a[10] = _mm512_fmadd_ps(a[10], m, c);
        a[11] = _mm512_fmadd_ps(a[11], m, c);
        a[12] = _mm512_fmadd_ps(a[12], m, c);
        a[13] = _mm512_fmadd_ps(a[13], m, c);
        a[14] = _mm512_fmadd_ps(a[14], m, c);
        a[15] = _mm512_fmadd_ps(a[15], m, c);
    }
    for (int j = 1; j < 16; j++) a[0] = _mm512_add_ps(a[0], a[j]);
    return _mm512_reduce_add_ps(a[0]);
}
#define FMA_AVX512_FLOPS (16.0 * 16 * 2)

__attribute__((target("avx2,fma"))) static float fma_avx2(uint64_t iters)
{
    const __m256 m = _mm256_set1_ps(FMA_M), c = _mm256_set1_ps(FMA_C);
    __m256 a[14];
    for (int j = 0; j < 14; j++) a[j] = _mm256_set1_ps(0.5f + 0.03125f * (float)j);
    for (uint64_t i = 0; i < iters; i++) {
        a[0] = _mm256_fmadd_ps(a[0], m, c);
        a[1] = _mm256_fmadd_ps(a[1], m, c);
        a[2] = _mm256_fmadd_ps(a[2], m, c);
        a[3] = _mm256_fmadd_ps(a[3], m, c);
        a[4] = _mm256_fmadd_ps(a[4], m, c);
        a[5] = _mm256_fmadd_ps(a[5], m, c);
        a[6] = _mm256_fmadd_ps(a[6], m, c);
        a[7] = _mm256_fmadd_ps(a[7], m, c);
        a[8] = _mm256_fmadd_ps(a[8], m, c);
        a[9] = _mm256_fmadd_ps(a[9], m, c);
        a[10] = _mm256_fmadd_ps(a[10], m, c);
        a[11] = _mm256_fmadd_ps(a[11], m, c);
        a[12] = _mm256_fmadd_ps(a[12], m, c);
        a[13] = _mm256_fmadd_ps(a[13], m, c);
    }
    for (int j = 1; j < 14; j++) a[0] = _mm256_add_ps(a[0], a[j]);
    float t[8];
    _mm256_storeu_ps(t, a[0]);
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#define FMA_AVX2_FLOPS (14.0 * 8 * 2)

/* No FMA: a multiply and a dependent add per step; 12 chains and 2 constants
 * in the 16 XMM registers. */
static float fma_sse(uint64_t iters)
{
    const __m128 m = _mm_set1_ps(FMA_M), c = _mm_set1_ps(FMA_C);
    __m128 a[12];
    for (int j = 0; j < 12; j++) a[j] = _mm_set1_ps(0.5f + 0.03125f * (float)j);
    for (uint64_t i = 0; i < iters; i++) {
        a[0] = _mm_add_ps(_mm_mul_ps(a[0], m), c);
        a[1] = _mm_add_ps(_mm_mul_ps(a[1], m), c);
        a[2] = _mm_add_ps(_mm_mul_ps(a[2], m), c);
        a[3] = _mm_add_ps(_mm_mul_ps(a[3], m), c);
        a[4] = _mm_add_ps(_mm_mul_ps(a[4], m), c);
        a[5] = _mm_add_ps(_mm_mul_ps(a[5], m), c);
        a[6] = _mm_add_ps(_mm_mul_ps(a[6], m), c);
        a[7] = _mm_add_ps(_mm_mul_ps(a[7], m), c);
        a[8] = _mm_add_ps(_mm_mul_ps(a[8], m), c);
        a[9] = _mm_add_ps(_mm_mul_ps(a[9], m), c);
        a[10] = _mm_add_ps(_mm_mul_ps(a[10], m), c);
        a[11] = _mm_add_ps(_mm_mul_ps(a[11], m), c);
    }
    for (int j = 1; j < 12; j++) a[0] = _mm_add_ps(a[0], a[j]);
    float t[4];
    _mm_storeu_ps(t, a[0]);
    return t[0] + t[1] + t[2] + t[3];
}
#define FMA_SSE_FLOPS (12.0 * 4 * 2)

/* pf: prefetch ahead (reads from memory); cached working sets are read
 * plainly, since there the prefetches only take load slots (a 16 KiB set read
 * 3x slower with them, 256 KiB 1.7x). */
static float read_isa(isa_id i, const float *p, size_t n, int pf)
{
    return i == ISA_AVX512 ? read_avx512(p, n, pf) : i == ISA_AVX2 ? read_avx2(p, n, pf) : read_sse(p, n, pf);
}

static void triad_isa(isa_id i, float *a, const float *b, const float *c, size_t n)
{
    const float s = 0.5f; /* b and c never change: a stays finite */
    if (i == ISA_AVX512) triad_avx512(a, b, c, n, s);
    else if (i == ISA_AVX2) triad_avx2(a, b, c, n, s);
    else triad_sse(a, b, c, n, s);
}

static float fma_isa(isa_id i, uint64_t iters)
{
    return i == ISA_AVX512 ? fma_avx512(iters) : i == ISA_AVX2 ? fma_avx2(iters) : fma_sse(iters);
}

static double fma_flops(isa_id i)
{
    return i == ISA_AVX512 ? FMA_AVX512_FLOPS : i == ISA_AVX2 ? FMA_AVX2_FLOPS : FMA_SSE_FLOPS;
}

/* ---- the team ------------------------------------------------------------ */

typedef enum { W_FILL, W_READ_HOT, W_READ_MEM, W_TRIAD, W_FMA } work_kind;

/* A spinning barrier: a sleeping one (futex) costs tens of microseconds to
 * wake, too much against millisecond repetitions. After a short spin it
 * yields: on a loaded machine (or with more threads than CPUs) the thread
 * waited for may be the one this CPU should run. */
typedef struct {
    atomic_int count, gen;
    int        n, yield;
} spin_barrier;

#define SPIN_BEFORE_YIELD 2048

static void barrier_wait(spin_barrier *b)
{
    int g = atomic_load_explicit(&b->gen, memory_order_acquire);
    if (atomic_fetch_add_explicit(&b->count, 1, memory_order_acq_rel) + 1 == b->n) {
        atomic_store_explicit(&b->count, 0, memory_order_relaxed);
        atomic_store_explicit(&b->gen, g + 1, memory_order_release);
        return;
    }
    for (unsigned spins = 0; atomic_load_explicit(&b->gen, memory_order_acquire) == g; spins++) {
        if (b->yield || spins >= SPIN_BEFORE_YIELD) sched_yield();
        else _mm_pause();
    }
}

typedef struct {
    work_kind    kind;
    isa_id       isa;
    int          threads, reps, calibrate;
    float       *buf;          /* read_hot: [0, floats); read_mem: chunks of chunk floats; triad: a | b | c */
    size_t       floats, chunk, nchunks;
    double       target_s;     /* calibrated work: one repetition's time */
    uint64_t     inner;        /* passes (read_hot) or rounds (fma) per repetition */
    double      *times;        /* reps */
    spin_barrier bar;
    volatile float sink[LB_PROBE_MAX_THREADS]; /* what the kernels return, kept: no load is dead */
} job;

typedef struct {
    job *j;
    int  tid;
} member;

/* [lo, hi) of n floats for thread tid, cut at 16-float (64-byte) boundaries. */
static void slice(size_t n, int tid, int t, size_t *lo, size_t *hi)
{
    *lo = n / 16 * (size_t)tid / (size_t)t * 16;
    *hi = tid + 1 == t ? n : n / 16 * (size_t)(tid + 1) / (size_t)t * 16;
}

static float do_work(job *j, int tid, uint64_t inner, uint64_t rep)
{
    size_t lo, hi;
    float s = 0;
    switch (j->kind) {
    case W_FILL: /* writes, so that every page is the process's own (a read would map the zero page) */
        slice(j->floats, tid, j->threads, &lo, &hi);
        memset(j->buf + lo, 0, (hi - lo) * sizeof(float));
        break;
    case W_READ_HOT:
        slice(j->floats, tid, j->threads, &lo, &hi);
        for (uint64_t k = 0; k < inner; k++) {
            const float *p = j->buf + lo;
            /* p is opaque to the compiler: each pass is a call it cannot hoist out of the loop as pure */
            __asm__ volatile("" : "+r"(p) : : "memory");
            s += read_isa(j->isa, p, hi - lo, 0);
        }
        break;
    case W_READ_MEM: { /* chunks in turn: one was last read (nchunks - 1) chunks ago, past the cache */
        const float *c = j->buf + (rep % j->nchunks) * j->chunk;
        slice(j->chunk, tid, j->threads, &lo, &hi);
        s = read_isa(j->isa, c + lo, hi - lo, 1);
    } break;
    case W_TRIAD: {
        size_t third = j->floats / 3, off = (rep % j->nchunks) * j->chunk;
        slice(j->chunk, tid, j->threads, &lo, &hi);
        float *a = j->buf + off, *b = j->buf + third + off, *c = j->buf + 2 * third + off;
        triad_isa(j->isa, a + lo, b + lo, c + lo, hi - lo);
        s = a[lo];
    } break;
    case W_FMA: s = fma_isa(j->isa, inner); break;
    }
    return s;
}

static void member_run(job *j, int tid)
{
    /* two calibration repetitions (the first warms the cache and the code) */
    int first = j->calibrate ? -2 : -1;
    double t0 = 0;
    for (int r = first; r < j->reps; r++) {
        barrier_wait(&j->bar);
        if (tid == 0) t0 = now_s();
        uint64_t inner = r < 0 && j->calibrate ? (j->kind == W_FMA ? 4096 : 1) : j->inner;
        j->sink[tid] += do_work(j, tid, inner, (uint64_t)(r - first));
        barrier_wait(&j->bar);
        if (tid != 0) continue;
        double t = now_s() - t0;
        if (r >= 0) j->times[r] = t;
        else if (r == -1 && j->calibrate) {
            double want = j->target_s / (t > 1e-9 ? t : 1e-9) * (double)inner;
            j->inner = want < 1 ? 1 : want > 1e12 ? (uint64_t)1e12 : (uint64_t)want;
        }
    }
}

static void *member_main(void *arg)
{
    member *m = arg;
    member_run(m->j, m->tid);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs j on j->threads threads; *median the median repetition time. */
static int team_run(job *j, double *median)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    atomic_init(&j->bar.count, 0);
    atomic_init(&j->bar.gen, 0);
    j->bar.n = j->threads;
    j->bar.yield = cpus > 0 && j->threads > cpus;
    pthread_t *th = lb_calloc((size_t)j->threads, sizeof *th);
    member *ms = lb_calloc((size_t)j->threads, sizeof *ms);
    if (!th || !ms) {
        lb_free(th);
        lb_free(ms);
        return LB_ENOMEM;
    }
    int started = 1, rc = LB_OK;
    for (int t = 1; t < j->threads; t++, started++) {
        ms[t] = (member){j, t};
        if (pthread_create(&th[t], NULL, member_main, &ms[t]) != 0) {
            rc = LB_EINTERNAL;
            break;
        }
    }
    if (rc) { /* the started ones wait at the barrier: let them through with an empty job */
        j->bar.n = started;
        j->reps = 0;
        j->calibrate = 0;
    }
    member_run(j, 0);
    for (int t = 1; t < started; t++) pthread_join(th[t], NULL);
    lb_free(th);
    lb_free(ms);
    if (rc) return rc;
    qsort(j->times, (size_t)j->reps, sizeof *j->times, cmp_double);
    *median = j->times[j->reps / 2];
    return LB_OK;
}

/* ---- the probe ----------------------------------------------------------- */

static uint64_t sysfs_llc(void)
{
    uint64_t best = 0;
    int best_level = 0;
    for (int i = 0; i < 16; i++) {
        char path[96], buf[64];
        int level = 0;
        unsigned long long kb = 0;
        char unit = 'K';
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        FILE *f = fopen(path, "r");
        if (!f) break;
        if (fscanf(f, "%d", &level) != 1) level = 0;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        if (!(f = fopen(path, "r"))) continue;
        if (fgets(buf, sizeof buf, f) && sscanf(buf, "%llu%c", &kb, &unit) >= 1) {
            uint64_t bytes = (uint64_t)kb * (unit == 'M' ? 1024 * 1024 : unit == 'G' ? 1024ull * 1024 * 1024 : 1024);
            if (level > best_level || (level == best_level && bytes > best)) {
                best_level = level;
                best = bytes;
            }
        }
        fclose(f);
    }
    return best;
}

uint64_t lb_probe_llc_bytes(void)
{
    uint64_t b = sysfs_llc();
#ifdef _SC_LEVEL3_CACHE_SIZE
    if (!b) {
        long v = sysconf(_SC_LEVEL3_CACHE_SIZE);
        if (v <= 0) v = sysconf(_SC_LEVEL2_CACHE_SIZE);
        if (v > 0) b = (uint64_t)v;
    }
#endif
    return b ? b : (uint64_t)32 << 20;
}

typedef struct {
    lb_bound *b;
    size_t    n, cap;
} bounds_buf;

static int add_bound(bounds_buf *bb, const char *kind, isa_id isa, int threads, uint64_t bytes, double value)
{
    if (!(value > 0) || isinf(value)) return LB_OK; /* a clock that did not move: nothing to keep */
    if (bb->n == bb->cap) {
        size_t cap = bb->cap ? 2 * bb->cap : 32;
        lb_bound *p = lb_realloc(bb->b, cap * sizeof *p);
        if (!p) return LB_ENOMEM;
        bb->b = p;
        bb->cap = cap;
    }
    lb_bound *x = &bb->b[bb->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->kind, sizeof x->kind, "%s", kind);
    snprintf(x->isa, sizeof x->isa, "%s", isa_names[isa]);
    x->threads = threads;
    x->bytes = bytes;
    x->value = value;
    snprintf(x->unit, sizeof x->unit, "%s", strcmp(kind, "fma") == 0 ? "flop/s" : "B/s");
    return LB_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The working sets of the read_hot curve: 16 KiB, x4 up to the last-level
 * cache, then the cache's own size (what "fits" means for a row); and the
 * rows' own working sets within the cache (at, sorted here), each as a point
 * of its own unless one already lies within 2% of it. Rounded to 64 bytes. */
static size_t hot_sizes(uint64_t llc, const uint64_t *at, size_t nat, uint64_t *out, size_t max)
{
    size_t n = 0;
    for (uint64_t s = 16 << 10; s * 3 / 2 <= llc && n + 1 < max; s *= 4) out[n++] = s;
    out[n++] = llc / 64 * 64;
    uint64_t want[LB_PROBE_MAX_HOT_AT];
    size_t nw = 0;
    for (size_t i = 0; i < nat && nw < LB_PROBE_MAX_HOT_AT; i++)
        if (at[i] >= 4096 && at[i] <= llc) want[nw++] = at[i] / 64 * 64;
    qsort(want, nw, sizeof *want, cmp_u64);
    size_t grid = n;
    for (size_t i = 0; i < nw && n < max; i++) {
        int near = 0;
        for (size_t k = 0; k < n && !near; k++) {
            uint64_t a = want[i], b = out[k], lo = a < b ? a : b, hi = a < b ? b : a;
            near = (double)(hi - lo) <= 0.02 * (double)hi;
        }
        if (!near) out[n++] = want[i];
    }
    if (n > grid) qsort(out, n, sizeof *out, cmp_u64);
    return n;
}

int lb_probe_run(const lb_probe_opts *o, lb_probe_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (!o || o->threads < 1 || o->threads > LB_PROBE_MAX_THREADS)
        return lb_errorf(err, errlen, LB_EINTERNAL, "probe: threads must be 1 to %d", LB_PROBE_MAX_THREADS);
    double t_start = now_s();
    int asked = isa_parse(o->isa);
    isa_id best = isa_ok(ISA_AVX512) ? ISA_AVX512 : isa_ok(ISA_AVX2) ? ISA_AVX2 : ISA_SCALAR;
    isa_id isa = asked >= 0 && isa_ok((isa_id)asked) ? (isa_id)asked : best;
    uint64_t llc = lb_probe_llc_bytes();
    /* Past the cache: 4 (full) or 1.25 (quick) times it, at least 256 MiB,
     * at most a quarter of the memory. Quick: the first touch of the buffer
     * is most of the time (page faults), so no more than the chunks taken in
     * turn need: each is read again only after more than a cache of others */
    uint64_t mem = o->full ? llc * 4 : llc + llc / 4, floor_b = (uint64_t)256 << 20;
    if (mem < floor_b) mem = floor_b;
    if (!o->full && mem > (uint64_t)512 << 20) mem = (uint64_t)512 << 20;
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    if (pages > 0 && psz > 0 && mem > (uint64_t)pages * (uint64_t)psz / 4) mem = (uint64_t)pages * (uint64_t)psz / 4;
    if (mem < llc + llc / 8) mem = llc + llc / 8; /* the hot curve reads up to llc from it */
    /* no MADV_HUGEPAGE: with THP's defrag "madvise" it compacts memory
     * synchronously, which took a second for 256 MiB on a small VM */
    const size_t align = 4096;
    mem = (mem + align - 1) / align * align;
    char *raw = lb_malloc((size_t)mem + align);
    if (!raw) {
        char b[32];
        snprintf(b, sizeof b, "%.0f MiB", (double)mem / MIB);
        return lb_errorf(err, errlen, LB_ENOMEM, "probe: cannot allocate the %s memory buffer", b);
    }
    float *buf = (float *)(((uintptr_t)raw + align - 1) / align * align);
    size_t floats = (size_t)(mem / sizeof(float));

    int counts[2] = {1, o->threads}, ncounts = o->threads > 1 ? 2 : 1;
    int reps = o->full ? 11 : 5;
    job j;
    double *times = lb_calloc(32, sizeof *times);
    bounds_buf bb = {NULL, 0, 0};
    int rc = times ? LB_OK : LB_ENOMEM;
    double med = 0;

    /* touch every page once, on the threads that will read it */
    if (!rc) {
        memset(&j, 0, sizeof j);
        j = (job){.kind = W_FILL, .isa = isa, .threads = o->threads, .reps = 0, .buf = buf, .floats = floats,
                  .times = times};
        rc = team_run(&j, &med);
    }
    /* memory: chunks of 32 (quick) or 64 MiB in turn */
    size_t chunk = (size_t)((o->full ? 64 : 32) << 20) / sizeof(float);
    if (chunk > floats / 4) chunk = floats / 4 / 16 * 16; /* a small machine: still 4 chunks in turn */
    for (int c = 0; !rc && c < ncounts; c++) {
        memset(&j, 0, sizeof j);
        j = (job){.kind = W_READ_MEM, .isa = isa, .threads = counts[c], .reps = reps, .buf = buf, .floats = floats,
                  .chunk = chunk, .nchunks = floats / chunk, .times = times};
        if (!(rc = team_run(&j, &med)))
            rc = add_bound(&bb, "read_mem", isa, counts[c], mem, (double)(chunk * sizeof(float)) / med);
    }
    /* triad over a | b | c, each a third of the buffer, in chunks of a third as large */
    for (int c = 0; !rc && c < ncounts; c++) {
        size_t tc = chunk / 3 / 16 * 16;
        memset(&j, 0, sizeof j);
        j = (job){.kind = W_TRIAD, .isa = isa, .threads = counts[c], .reps = reps, .buf = buf, .floats = floats,
                  .chunk = tc, .nchunks = floats / 3 / tc, .times = times};
        if (!(rc = team_run(&j, &med)))
            rc = add_bound(&bb, "triad", isa, counts[c], mem, 3.0 * (double)(tc * sizeof(float)) / med);
    }
    /* hot: each working set read again and again, split over the threads */
    uint64_t sizes[24 + LB_PROBE_MAX_HOT_AT];
    size_t nsizes = hot_sizes(llc, o->hot_at, o->hot_at ? o->nhot_at : 0, sizes, sizeof sizes / sizeof *sizes);
    /* quick: at the run's count only (the rows' bounds use it; the curve is most of the reads) */
    for (int c = o->full ? 0 : ncounts - 1; !rc && c < ncounts; c++)
        for (size_t s = 0; !rc && s < nsizes; s++) {
            memset(&j, 0, sizeof j);
            j = (job){.kind = W_READ_HOT, .isa = isa, .threads = counts[c], .reps = o->full ? reps : 3, .calibrate = 1,
                      .buf = buf, .floats = (size_t)(sizes[s] / sizeof(float)), .target_s = o->full ? 2e-3 : 4e-4,
                      .times = times};
            if (!(rc = team_run(&j, &med)))
                rc = add_bound(&bb, "read_hot", isa, counts[c], sizes[s],
                               (double)j.inner * (double)sizes[s] / med);
        }
    lb_free(raw);
    /* FMA: the ISA liblatent runs; with full, every one this CPU has */
    for (int i = ISA_SCALAR; !rc && i < ISA_COUNT; i++) {
        if (!isa_ok((isa_id)i) || (!o->full && i != (int)isa)) continue;
        for (int c = 0; !rc && c < ncounts; c++) {
            memset(&j, 0, sizeof j);
            j = (job){.kind = W_FMA, .isa = (isa_id)i, .threads = counts[c], .reps = o->full ? 7 : 3,
                      .calibrate = 1, .target_s = o->full ? 10e-3 : 2e-3, .times = times};
            if (!(rc = team_run(&j, &med)))
                rc = add_bound(&bb, "fma", (isa_id)i, counts[c], 0,
                               (double)counts[c] * (double)j.inner * fma_flops((isa_id)i) / med);
        }
    }
    lb_free(times);
    if (rc) {
        lb_free(bb.b);
        return lb_errorf(err, errlen, rc, "probe: %s", rc == LB_ENOMEM ? "out of memory" : "threads could not start");
    }
    r->bounds = bb.b;
    r->nbounds = bb.n;
    r->llc_bytes = llc;
    r->mem_bytes = mem;
    r->seconds = now_s() - t_start;
    return LB_OK;
}

/* The child's answer on the pipe: the header, then nbounds entries. */
typedef struct {
    int32_t  rc;
    uint32_t nbounds;
    uint64_t llc_bytes, mem_bytes;
    double   seconds;
    char     err[256];
} wire_head;

static int write_full(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_full(int fd, void *p, size_t n)
{
    char *c = p;
    while (n) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

int lb_probe_run_isolated(const lb_probe_opts *o, lb_probe_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    int fds[2];
    if (pipe(fds) != 0) return lb_errorf(err, errlen, LB_EINTERNAL, "probe: pipe: %s", strerror(errno));
    fflush(NULL); /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return lb_errorf(err, errlen, LB_EINTERNAL, "probe: fork: %s", strerror(e));
    }
    if (pid == 0) { /* the child: measure, answer, _exit (no atexit handler, no MPI) */
        close(fds[0]);
        lb_probe_result mine;
        wire_head h;
        memset(&h, 0, sizeof h);
        h.rc = lb_probe_run(o, &mine, h.err, sizeof h.err);
        if (!h.rc) {
            h.nbounds = (uint32_t)mine.nbounds;
            h.llc_bytes = mine.llc_bytes;
            h.mem_bytes = mine.mem_bytes;
            h.seconds = mine.seconds;
        }
        int bad = write_full(fds[1], &h, sizeof h) != 0 ||
                  (h.nbounds && write_full(fds[1], mine.bounds, h.nbounds * sizeof *mine.bounds) != 0);
        if (!h.rc) lb_probe_free(&mine);
        _exit(bad ? 1 : 0);
    }
    close(fds[1]);
    wire_head h;
    int rc = LB_OK;
    if (read_full(fds[0], &h, sizeof h) != 0) rc = lb_errorf(err, errlen, LB_EINTERNAL, "probe: the measuring process died");
    else if (h.rc) {
        h.err[sizeof h.err - 1] = '\0';
        rc = lb_errorf(err, errlen, h.rc, "%s", h.err);
    } else if (h.nbounds > 4096 || !(r->bounds = lb_calloc(h.nbounds ? h.nbounds : 1, sizeof *r->bounds)))
        rc = lb_errorf(err, errlen, LB_ENOMEM, "probe: out of memory");
    else if (h.nbounds && read_full(fds[0], r->bounds, h.nbounds * sizeof *r->bounds) != 0)
        rc = lb_errorf(err, errlen, LB_EINTERNAL, "probe: the measuring process died");
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (rc) {
        lb_probe_free(r);
        return rc;
    }
    r->nbounds = h.nbounds;
    r->llc_bytes = h.llc_bytes;
    r->mem_bytes = h.mem_bytes;
    r->seconds = h.seconds;
    return LB_OK;
}

void lb_probe_free(lb_probe_result *r)
{
    if (!r) return;
    lb_free(r->bounds);
    memset(r, 0, sizeof *r);
}

size_t lb_probe_keep_best(lb_bound *dst, size_t ndst, const lb_bound *src, size_t nsrc)
{
    size_t raised = 0;
    for (size_t i = 0; i < ndst; i++)
        for (size_t k = 0; k < nsrc; k++) {
            const lb_bound *b = &src[k];
            if (strcmp(b->kind, dst[i].kind) || strcmp(b->isa, dst[i].isa) || b->threads != dst[i].threads ||
                b->bytes != dst[i].bytes)
                continue;
            if (b->value > dst[i].value) { /* NaN never compares greater */
                dst[i].value = b->value;
                raised++;
            }
            break;
        }
    return raised;
}

/* ---- a row's bound ------------------------------------------------------- */

int lb_probe_row_work(const lb_row *row, int64_t top_k_experts, int64_t share, lb_probe_work *w)
{
    memset(w, 0, sizeof *w);
    int knn = !strcmp(row->op, "knn"), knn_b = !strcmp(row->op, "knn_batch"), attn = !strcmp(row->op, "attention"),
        attn_b = !strcmp(row->op, "attention_batch");
    if (!knn && !knn_b && !attn && !attn_b) return 0;
    double d = (double)row->dimension;
    /* as the suite sizes them: attention stores seq_len rows (else dataset_size) */
    int64_t rows = (attn || attn_b) && row->seq_len ? row->seq_len : row->dataset_size;
    double n = (double)rows / (double)(share > 1 ? share : 1);
    double nq = knn_b || attn_b ? (double)row->batch_size : 1.0;
    if (!(d > 0) || !(n > 0) || !(nq > 0)) return 0;
    double stored = n * d * sizeof(float), queries = nq * d * sizeof(float);
    if (knn || knn_b) { /* one multiply-add per stored element and query; a batch is blocked (GEMM) */
        w->working_set = stored;
        w->bytes = stored + (knn_b ? queries : 0);
        w->flops = 2.0 * n * d * nq;
        return 1;
    }
    /* attention: scores and the weighted sum, 2 + 2 flops per element; MoE
     * reads only the routed experts' rows, about top_k / E of them (plus the
     * gate, E x d) */
    double frac = 1, gate = 0;
    if (!strcmp(row->attention, "MoE")) {
        double e = row->num_experts > 0 ? (double)row->num_experts : 4, k = top_k_experts > 0 ? (double)top_k_experts : 2;
        if (k > e) k = e;
        frac = k / e;
        gate = 2.0 * e * d;
    }
    double touched = attn_b ? fmin(1.0, frac * nq) : frac; /* a batch touches an expert's rows once */
    w->working_set = stored * touched;
    w->bytes = stored * touched + (attn_b ? queries : 0);
    w->flops = nq * (4.0 * n * d * frac + gate);
    return 1;
}

double lb_probe_bandwidth(const lb_bound *b, size_t nb, int64_t threads, double ws, const char **kind)
{
    /* the hot curve's points at threads, sorted by size */
    double xs[64], ys[64], mem = 0;
    size_t n = 0;
    for (size_t i = 0; i < nb; i++) {
        if (b[i].threads != threads) continue;
        if (!strcmp(b[i].kind, "read_mem")) mem = b[i].value;
        else if (!strcmp(b[i].kind, "read_hot") && n < 64 && b[i].bytes > 0) {
            size_t k = n++;
            while (k > 0 && xs[k - 1] > (double)b[i].bytes) {
                xs[k] = xs[k - 1];
                ys[k] = ys[k - 1];
                k--;
            }
            xs[k] = (double)b[i].bytes;
            ys[k] = b[i].value;
        }
    }
    if (n && ws <= xs[n - 1]) {
        *kind = "read_hot";
        if (ws <= xs[0]) return ys[0];
        size_t k = 1;
        while (xs[k] < ws) k++;
        double t = (log(ws) - log(xs[k - 1])) / (log(xs[k]) - log(xs[k - 1]));
        return exp(log(ys[k - 1]) + t * (log(ys[k]) - log(ys[k - 1])));
    }
    *kind = "read_mem";
    return mem;
}

double lb_probe_peak(const lb_bound *b, size_t nb, int64_t threads, const char *isa)
{
    for (size_t i = 0; i < nb; i++)
        if (b[i].threads == threads && !strcmp(b[i].kind, "fma") && isa && !strcmp(b[i].isa, isa)) return b[i].value;
    return 0;
}

int lb_probe_row_bound(const lb_bound *b, size_t nb, int64_t threads, const char *isa, int64_t top_k_experts,
                       int64_t share, lb_row *row)
{
    row->bound_ns = 0;
    row->bound_kind[0] = '\0';
    lb_probe_work w;
    if (!lb_probe_row_work(row, top_k_experts, share, &w)) return 0;
    const char *bw_kind = NULL;
    double bw = lb_probe_bandwidth(b, nb, threads, w.working_set, &bw_kind), peak = lb_probe_peak(b, nb, threads, isa);
    if (!(bw > 0) || !(peak > 0)) return 0;
    double t_read = w.bytes / bw * 1e9, t_fma = w.flops / peak * 1e9;
    row->bound_ns = fmax(t_read, t_fma);
    snprintf(row->bound_kind, sizeof row->bound_kind, "%s", t_read >= t_fma ? bw_kind : "fma");
    return row->bound_ns > 0;
}
