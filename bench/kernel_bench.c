/* latent_kernel_bench: the kernel numbers behind liblatent's performance notes.
 * It measures, on seeded uniform(-1,1) data, with medians over repetitions,
 * each kernel next to its bound measured in the same run on the ISA liblatent
 * dispatches to (LATENT_ISA chooses):
 *   bandwidth  triad, reading 100 MB and 10 MB, the FMA peak, with 1..T threads
 *   knn        single-query kNN, n = 100,000 (every metric) and 10,000, d = 256,
 *              k = 10, against reading the same bytes with the same threads
 *   batch      128-query batch kNN against the FMA peak, each repetition
 *              paired with a peak measured just before it
 *   attention  single-query attention (n = 4096, d = 256; n = 1000 and 100, d = 64)
 *              against reading the keys (Standard also against reading them
 *              twice, as its two passes do), MultiHead against Standard, scratch
 *              bytes and allocations per query once warm; a 128-query batch
 *              over 1000 keys against the FMA peak
 *   cutoff     single-query kNN time against n with 1 and T threads (the OpenMP cut-off)
 * Usage: latent_kernel_bench [all|bandwidth|knn|batch|attention|cutoff] [--reps N]
 * This is a measurement program, not a test: it never fails on a slow result. */
#define _POSIX_C_SOURCE 200809L
#include <latent/latent.h>
#include "space_internal.h" /* the bounds read a space's rows where they lie */

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <immintrin.h>

static int g_reps = 21;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void fill(float *x, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        z ^= z >> 31;
        x[i] = (float)((z >> 40) * (1.0 / 8388608.0) - 1.0);
    }
}

static lt_space *make_space(size_t n, size_t d, lt_metric m, lt_attention a, unsigned threads)
{
    lt_config cfg = lt_config_default(d);
    cfg.metric = m;
    cfg.attention = a;
    cfg.threads = threads;
    lt_space *s = NULL;
    float *x = malloc(n * d * sizeof(float));
    if (!x || lt_space_create(&cfg, &s) != LT_OK) { fprintf(stderr, "kernel_bench: cannot create space\n"); exit(70); }
    fill(x, n * d, 1);
    if (lt_space_add_batch(s, x, n, NULL) != LT_OK) { fprintf(stderr, "kernel_bench: add failed\n"); exit(70); }
    free(x);
    return s;
}

/* STREAM triad a = b + s*c over 3 x 64 MiB; bytes counted as STREAM does (3 per element). */
static double triad_gbs(int threads)
{
    size_t n = (size_t)16 << 20;
    float *a = malloc(n * 4), *b = malloc(n * 4), *c = malloc(n * 4);
#pragma omp parallel for num_threads(threads)
    for (size_t i = 0; i < n; i++) { a[i] = 0; b[i] = 1; c[i] = 2; }
    double t[11];
    for (int r = 0; r < 11; r++) {
        double t0 = now_s();
#pragma omp parallel for num_threads(threads)
        for (size_t i = 0; i < n; i++) a[i] = b[i] + 3.0f * c[i];
        t[r] = now_s() - t0;
    }
    volatile float sink = a[n / 2];
    (void)sink;
    free(a); free(b); free(c);
    return 3.0 * n * 4 / median(t, 11) / 1e9;
}

/* ---- bounds: reading bytes and the FMA peak, on the ISA liblatent uses ---- */

/* Reads from memory prefetch each line into L2 8 KiB ahead, as liblatent's
 * scans do: a plain loop reads about 11% slower from memory here, so it would
 * be no bound. In cache the prefetches only take load slots (a 16 KiB set
 * reads 3x slower with them): the reader picks the faster (reader_new). */
static inline void pf_lines(const float *p, int lines)
{
    uintptr_t a = (uintptr_t)p + 8192; /* an integer: the hint may run past the buffer */
    for (int l = 0; l < lines; l++) __builtin_prefetch((const void *)(a + 64 * (uintptr_t)l), 0, 2);
}

__attribute__((target("avx512f"))) static float read_avx512(const float *x, size_t n, int pf)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i + 64 <= n; i += 64) {
        if (pf) pf_lines(x + i, 4);
        s0 = _mm512_add_ps(s0, _mm512_load_ps(x + i));
        s1 = _mm512_add_ps(s1, _mm512_load_ps(x + i + 16));
        s2 = _mm512_add_ps(s2, _mm512_load_ps(x + i + 32));
        s3 = _mm512_add_ps(s3, _mm512_load_ps(x + i + 48));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

__attribute__((target("avx2"))) static float read_avx2(const float *x, size_t n, int pf)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i + 32 <= n; i += 32) {
        if (pf) pf_lines(x + i, 2);
        s0 = _mm256_add_ps(s0, _mm256_load_ps(x + i));
        s1 = _mm256_add_ps(s1, _mm256_load_ps(x + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_load_ps(x + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_load_ps(x + i + 24));
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    float v[8];
    _mm256_storeu_ps(v, s);
    return v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
}

static float read_scalar(const float *x, size_t n, int pf)
{
    float s = 0.0f;
    for (size_t i = 0; i < n; i++) {
        if (pf && i % 16 == 0) pf_lines(x + i, 1);
        s += x[i];
    }
    return s;
}

/* The read bound of a kernel: the bytes it must read, read again and again,
 * timed one read at a time, alternating with the kernel it bounds, so both
 * see the same machine. From memory (kNN) it reads the space's own rows
 * where they lie (reader_of): on these VMs two buffers of one size read up to
 * 10% apart depending on when they were allocated, so a separate buffer
 * bounded some spaces loosely and others tightly. Hot in cache (attention)
 * and for the bandwidth bench it reads a buffer of its own (reader_new). */
typedef struct {
    const float **span; /* spans of floats, read in order as one array */
    size_t *len;        /* floats in each span, a multiple of 64 */
    size_t nspans, n;   /* n: floats in all */
    float *own;         /* reader_new's buffer, else NULL */
    int threads;
    int pf; /* prefetch ahead: whichever is faster for this size (reader_pick) */
} reader;

static double reader_time(const reader *rd);

static void reader_pick(reader *r)
{
    double best[2] = {INFINITY, INFINITY};
    for (int i = 0; i < 10; i++) { /* the two kinds alternating, as the machine drifts */
        r->pf = i % 2;
        double t = reader_time(r);
        if (t < best[r->pf]) best[r->pf] = t;
    }
    r->pf = best[1] < best[0];
}

static reader reader_new(size_t bytes, int threads)
{
    reader r = {NULL, NULL, 1, bytes / 4 / 64 * 64, NULL, threads, 0};
    r.own = aligned_alloc(64, r.n * 4);
    r.span = malloc(sizeof *r.span);
    r.len = malloc(sizeof *r.len);
    if (!r.own || !r.span || !r.len) exit(70);
    fill(r.own, r.n, 3);
    r.span[0] = r.own;
    r.len[0] = r.n;
    reader_pick(&r);
    return r;
}

/* The rows of s, block by block (every row of a block is stored contiguously). */
static reader reader_of(const lt_space *s, int threads)
{
    reader r = {NULL, NULL, 0, 0, NULL, threads, 0};
    r.span = malloc(s->nblocks * sizeof *r.span);
    r.len = malloc(s->nblocks * sizeof *r.len);
    if (!r.span || !r.len) exit(70);
    for (size_t b = 0, row = 0; b < s->nblocks && row < s->n; b++) {
        size_t rows = lt__block_rows(s, b) < s->n - row ? lt__block_rows(s, b) : s->n - row;
        r.span[r.nspans] = s->blocks[b].data;
        r.len[r.nspans] = rows * s->stride / 64 * 64;
        r.n += r.len[r.nspans++];
        row += rows;
    }
    reader_pick(&r);
    return r;
}

static void reader_free(reader *r)
{
    free(r->own);
    free(r->span);
    free(r->len);
}

static float read_isa(lt_isa isa, const float *x, size_t n, int pf)
{
    return isa == LT_ISA_AVX512 ? read_avx512(x, n, pf) : isa == LT_ISA_AVX2 ? read_avx2(x, n, pf) : read_scalar(x, n, pf);
}

static double reader_time(const reader *rd)
{
    lt_isa isa = lt_isa_active();
    volatile float sink = 0.0f;
    double t0 = now_s();
#pragma omp parallel num_threads(rd->threads)
    {
        int tid = omp_get_thread_num(), T = omp_get_num_threads();
        /* this thread's share [lo, hi) of the spans taken as one array */
        size_t lo = rd->n / 64 * tid / T * 64, hi = rd->n / 64 * (tid + 1) / T * 64, at = 0;
        float v = 0.0f;
        for (size_t k = 0; k < rd->nspans && at < hi; at += rd->len[k++]) {
            size_t a = lo > at ? lo : at, b = hi < at + rd->len[k] ? hi : at + rd->len[k];
            if (a < b) v += read_isa(isa, rd->span[k] + (a - at), b - a, rd->pf);
        }
#pragma omp atomic
        sink += v;
    }
    return now_s() - t0;
}

/* The floor of a two-pass kernel (Standard attention): each thread reads its
 * share forward, then, after a barrier, backward in steps of `step` floats
 * (each step forward), as the weighted sum walks back over the rows the
 * scores read. No arithmetic: only what the two reads cost on this cache. */
static double reader_time_two_pass(const reader *rd, size_t step)
{
    lt_isa isa = lt_isa_active();
    volatile float sink = 0.0f;
    double t0 = now_s();
#pragma omp parallel num_threads(rd->threads)
    {
        int tid = omp_get_thread_num(), T = omp_get_num_threads();
        size_t lo = rd->n / 64 * tid / T * 64, hi = rd->n / 64 * (tid + 1) / T * 64;
        const float *x = rd->span[0]; /* reader_new: one span */
        float v = read_isa(isa, x + lo, hi - lo, rd->pf);
#pragma omp barrier
        for (size_t e = hi; e > lo;) {
            size_t b = e - lo > step ? e - step : lo;
            v += read_isa(isa, x + b, e - b, 0);
            e = b;
        }
#pragma omp atomic
        sink += v;
    }
    return now_s() - t0;
}

static double read_time(size_t bytes, int threads, int reps)
{
    reader rd = reader_new(bytes, threads);
    double t[256];
    reader_time(&rd);
    reader_time(&rd);
    for (int r = 0; r < reps; r++) t[r] = reader_time(&rd);
    reader_free(&rd);
    return median(t, reps);
}

#define FMA_CHAINS 12 /* independent accumulators: covers 2 ports x 4-6 cycles of latency */

__attribute__((target("avx512f,fma"))) static float fma_avx512(long iters)
{
    __m512 a[FMA_CHAINS], m = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(1e-3f);
    for (int j = 0; j < FMA_CHAINS; j++) a[j] = _mm512_set1_ps((float)j);
    for (long i = 0; i < iters; i++)
        for (int j = 0; j < FMA_CHAINS; j++) a[j] = _mm512_fmadd_ps(a[j], m, c);
    __m512 s = a[0];
    for (int j = 1; j < FMA_CHAINS; j++) s = _mm512_add_ps(s, a[j]);
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float fma_avx2(long iters)
{
    __m256 a[FMA_CHAINS], m = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(1e-3f);
    for (int j = 0; j < FMA_CHAINS; j++) a[j] = _mm256_set1_ps((float)j);
    for (long i = 0; i < iters; i++)
        for (int j = 0; j < FMA_CHAINS; j++) a[j] = _mm256_fmadd_ps(a[j], m, c);
    __m256 s = a[0];
    for (int j = 1; j < FMA_CHAINS; j++) s = _mm256_add_ps(s, a[j]);
    float v[8];
    _mm256_storeu_ps(v, s);
    return v[0] + v[7];
}

static float fma_scalar(long iters)
{
    float a[FMA_CHAINS];
    for (int j = 0; j < FMA_CHAINS; j++) a[j] = (float)j;
    for (long i = 0; i < iters; i++)
        for (int j = 0; j < FMA_CHAINS; j++) a[j] = a[j] * 0.999f + 1e-3f;
    return a[0] + a[FMA_CHAINS - 1];
}

/* The FMA rate (flop/s, 2 per lane) of the active ISA on `threads` threads,
 * the best of `reps` runs of `iters` steps of the chains. */
static double fma_rate(int threads, long iters, int reps)
{
    lt_isa isa = lt_isa_active();
    int lanes = isa == LT_ISA_AVX512 ? 16 : isa == LT_ISA_AVX2 ? 8 : 1;
    double best = INFINITY;
    volatile float sink = 0.0f;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
#pragma omp parallel num_threads(threads)
        {
            float v = isa == LT_ISA_AVX512 ? fma_avx512(iters) : isa == LT_ISA_AVX2 ? fma_avx2(iters) : fma_scalar(iters);
#pragma omp atomic
            sink += v;
        }
        double t = now_s() - t0;
        if (t < best) best = t;
    }
    return 2.0 * lanes * FMA_CHAINS * (double)iters * threads / best;
}

/* The FMA peak: the fastest of 15 runs (after 2 warm-ups), what the core can
 * do when not preempted. */
static double fma_peak(int threads)
{
    fma_rate(threads, 2000000, 2);
    return fma_rate(threads, 2000000, 15);
}

/* The peak right now, for pairing with one repetition of a kernel: the best
 * of three short runs (about 1 ms each). */
static double fma_peak_now(int threads)
{
    return fma_rate(threads, 500000, 3);
}

static void bench_bandwidth(void)
{
    int T = omp_get_max_threads();
    for (int t = 1; t <= T; t++)
        printf("bound      triad threads=%d  %.1f GB/s   read 100 MB %.1f GB/s   read 10 MB %.1f GB/s   FMA peak %.1f GFLOP/s\n",
               t, triad_gbs(t), 102.4e6 / read_time(102400000, t, 11) / 1e9, 10.24e6 / read_time(10240000, t, 21) / 1e9,
               fma_peak(t) / 1e9);
}

static double time_knn(lt_space *s, const float *q, size_t k, int reps)
{
    lt_neighbor out[1024];
    size_t found;
    double t[256];
    lt_space_knn(s, q, k, out, &found); /* warm-up */
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        lt_space_knn(s, q + (size_t)(r % 8) * lt_space_config(s)->dimension, k, out, &found);
        t[r] = now_s() - t0;
    }
    return median(t, reps);
}

static const char *const metric_names[] = {"Euclidean", "Cosine", "Manhattan", "Hyperbolic", "Dot"};

/* Single-query kNN against the time to read the same rows with the same
 * threads. Each repetition times, for every metric in an order that rotates
 * from one repetition to the next, the read of that metric's rows and then
 * the query, so all of them see the same machine (these shared VMs drift by
 * 10-20% within a minute): a metric's ratio is its median over its read's
 * median. At n = 100,000 the rows stay in memory (or L3) between uses, and
 * another space's rows are read before the query, so that the query, like the
 * timed read, finds its rows where the previous use of other rows left them. */
static void bench_knn(void)
{
    size_t d = 256;
    float q[8 * 256];
    fill(q, sizeof q / sizeof *q, 7);
    int T = omp_get_max_threads();
    for (size_t n = 100000; n >= 10000; n /= 10) {
        int nm = n < 100000 ? 1 : 5; /* the hot case: Euclidean */
        double med1[5] = {0};
        for (int t = 1; t <= T; t++) {
            lt_space *s[5];
            reader rd[5];
            for (int m = 0; m < nm; m++) s[m] = make_space(n, d, (lt_metric)m, LT_ATTN_STANDARD, (unsigned)t);
            for (int m = 0; m < nm; m++) rd[m] = reader_of(s[m], t);
            lt_neighbor out[16];
            size_t found;
            static double tk[5][256], tb[5][256];
            for (int m = 0; m < nm; m++) lt_space_knn(s[m], q, 10, out, &found);
            for (int r = 0; r < g_reps; r++)
                for (int i = 0; i < nm; i++) {
                    int m = (r + i) % nm;
                    tb[m][r] = reader_time(&rd[m]);
                    if (nm > 1) reader_time(&rd[(m + 1) % nm]);
                    double t0 = now_s();
                    lt_space_knn(s[m], q + (size_t)(r % 8) * d, 10, out, &found);
                    tk[m][r] = now_s() - t0;
                }
            for (int m = 0; m < nm; m++) {
                double med = median(tk[m], g_reps), bound = median(tb[m], g_reps);
                if (t == 1) med1[m] = med;
                printf("knn        %-10s n=%zu d=%zu k=10 threads=%d  median %.3f ms  read bound %.3f ms  ratio %.2f",
                       metric_names[m], n, d, t, med * 1e3, bound * 1e3, med / bound);
                if (t > 1) printf("  speed-up %.2f", med1[m] / med);
                printf("\n");
                reader_free(&rd[m]);
                lt_space_destroy(s[m]);
            }
        }
    }
}

/* Batch kNN against the FMA peak of the same thread count. */
static void bench_batch(void)
{
    size_t n = 100000, d = 256, nq = 128, k = 10;
    float *q = malloc(nq * d * sizeof(float));
    lt_neighbor *out = malloc(nq * k * sizeof *out);
    size_t *found = malloc(nq * sizeof *found);
    fill(q, nq * d, 9);
    int T = omp_get_max_threads();
    for (int m = 0; m < 5; m++)
        for (int t = 1; t <= T; t++) {
            if (m > 0 && t > 1) continue;
            lt_space *s = make_space(n, d, (lt_metric)m, LT_ATTN_STANDARD, (unsigned)t);
            int reps = g_reps < 7 ? g_reps : 7;
            double tm[64];
            lt_space_knn_batch(s, q, nq, k, out, found);
            double pk[64], fr[64];
            for (int r = 0; r < reps; r++) {
                pk[r] = fma_peak_now(t);
                double t0 = now_s();
                lt_space_knn_batch(s, q, nq, k, out, found);
                tm[r] = now_s() - t0;
                fr[r] = 2.0 * n * d * nq / tm[r] / pk[r];
            }
            double med = median(tm, reps), flops = 2.0 * n * d * nq / med, peak = median(pk, reps);
            printf("batch      %-10s n=%zu d=%zu k=%zu nq=%zu threads=%d  median %.1f us/query  %.1f GFLOP/s  "
                   "%.0f%% of FMA peak (median of pairs; peak %.1f GFLOP/s)\n",
                   metric_names[m], n, d, k, nq, t, med / nq * 1e6, flops / 1e9, 100.0 * median(fr, reps), peak / 1e9);
            lt_space_destroy(s);
        }
    free(q); free(out); free(found);
}

/* Single-query attention against reading the keys once (hot, alternating rep
 * by rep), MultiHead and the others against Standard; the peak of a first
 * query beyond the stored rows and the allocations of the timed ones; a
 * 128-query batch over 1000 keys against the FMA peak. */
static void bench_attention(void)
{
    static const char *names[] = {"Standard", "Flash", "MultiHead", "MoE"};
    float q[8 * 256], out[256];
    fill(q, sizeof q / sizeof *q, 11);
    int T = omp_get_max_threads(), reps = g_reps * 5 < 256 ? g_reps * 5 : 256;
    /* n = 100, d = 64 is the ci suite's attention_computation case */
    const size_t shapes[3][2] = {{4096, 256}, {1000, 64}, {100, 64}};
    for (int sh = 0; sh < 3; sh++) {
        size_t n = shapes[sh][0], d = shapes[sh][1];
        for (int t = 1; t <= T; t++) {
            double std_t = 0.0;
            for (int a = 0; a < 4; a++) {
                lt_space *s = make_space(n, d, LT_METRIC_EUCLIDEAN, (lt_attention)a, (unsigned)t);
                /* a buffer of its own: reading it evicts the keys from L2 as the
                 * query evicts it, so both start from L3 (reading the keys
                 * themselves would find the half Standard's backward pass left in L2) */
                reader rd = reader_new(n * d * 4, t);
                size_t base = lt_mem_stats_get().current_bytes;
                lt_mem_reset_peak();
                lt_space_attention(s, q, out);
                size_t extra = lt_mem_stats_get().peak_bytes - base;
                lt_mem_reset_peak();
                double tk[256], tb[256], t2[256], tq[256];
                reader_time(&rd);
                for (int r = 0; r < reps; r++) {
                    tb[r] = reader_time(&rd);
                    double t0 = now_s();
                    lt_space_attention(s, q + (r % 8) * d, out);
                    tk[r] = now_s() - t0;
                    if (a == 0) {
                        /* Standard's own floor, the two reads its passes make,
                         * in the same repetition (the query between evicts it) */
                        t2[r] = reader_time_two_pass(&rd, 32 * d); /* Standard's weighted-sum step: 32 rows */
                        t0 = now_s();
                        lt_space_attention(s, q + (r % 8) * d, out);
                        tq[r] = now_s() - t0;
                    }
                }
                double allocs = (double)lt_mem_stats_get().allocations / (a == 0 ? 2 * reps : reps);
                double med = median(tk, reps), bound = median(tb, reps);
                if (a == 0) std_t = med;
                printf("attention  %-9s n=%zu d=%zu threads=%d  median %.1f us  read bound %.1f us  ratio %.2f  "
                       "vs Standard %.2f  peak beyond rows %zu B  allocs/query %.2f\n",
                       names[a], n, d, t, med * 1e6, bound * 1e6, med / bound, med / std_t, extra, allocs);
                if (a == 0) {
                    double f2 = median(t2, reps), m2 = median(tq, reps);
                    printf("attention  Standard  n=%zu d=%zu threads=%d  two-pass read floor %.1f us = %.2f x the read "
                           "bound; Standard %.1f us = %.2f x that floor\n",
                           n, d, t, f2 * 1e6, f2 / bound, m2 * 1e6, m2 / f2);
                }
                reader_free(&rd);
                lt_space_destroy(s);
            }
        }
    }
    /* batch: 128 queries over 1000 keys, d = 256 */
    size_t n = 1000, d = 256, nq = 128;
    float *qs = malloc(nq * d * sizeof(float)), *bout = malloc(nq * d * sizeof(float));
    fill(qs, nq * d, 17);
    for (int t = 1; t <= T; t++) {
        lt_space *s = make_space(n, d, LT_METRIC_EUCLIDEAN, LT_ATTN_STANDARD, (unsigned)t);
        double tm[64], pk[64], fr[64];
        int r7 = g_reps < 15 ? g_reps : 15;
        lt_space_attention_batch(s, qs, nq, bout);
        for (int r = 0; r < r7; r++) {
            pk[r] = fma_peak_now(t);
            double t0 = now_s();
            for (int i = 0; i < 8; i++) lt_space_attention_batch(s, qs, nq, bout); /* ~1 ms each */
            tm[r] = (now_s() - t0) / 8;
            fr[r] = 4.0 * n * d * nq / tm[r] / pk[r];
        }
        double med = median(tm, r7), flops = 4.0 * n * d * nq / med;
        printf("attention  batch     n=%zu d=%zu nq=%zu threads=%d  median %.2f us/query  %.1f GFLOP/s  %.0f%% of FMA peak "
               "(median of pairs; peak %.1f GFLOP/s)\n",
               n, d, nq, t, med / nq * 1e6, flops / 1e9, 100.0 * median(fr, r7), median(pk, r7) / 1e9);
        lt_space_destroy(s);
    }
    free(qs); free(bout);
}

/* The smallest n at which T threads beat one thread tells where to put the cut-off. */
static void bench_cutoff(void)
{
    size_t d = 256;
    float q[8 * 256];
    fill(q, sizeof q / sizeof *q, 13);
    int T = omp_get_max_threads();
    if (T < 2) { printf("cutoff     needs at least 2 threads\n"); return; }
    setenv("LATENT_PAR_MIN", "0", 1); /* read once, before the first kNN below */
    for (size_t n = 16; n <= 8192; n *= 2) {
        lt_space *s1 = make_space(n, d, LT_METRIC_EUCLIDEAN, LT_ATTN_STANDARD, 1);
        lt_space *sT = make_space(n, d, LT_METRIC_EUCLIDEAN, LT_ATTN_STANDARD, (unsigned)T);
        double t1 = time_knn(s1, q, 10, 101), tT = time_knn(sT, q, 10, 101);
        printf("cutoff     n=%zu d=%zu (%zu floats)  1 thread %.2f us  %d threads %.2f us  ratio %.2f\n", n, d, n * d,
               t1 * 1e6, T, tT * 1e6, t1 / tT);
        lt_space_destroy(s1);
        lt_space_destroy(sT);
    }
}

static const char usage[] =
    "usage: latent_kernel_bench [all|bandwidth|knn|batch|attention|cutoff] [--reps N]\n"
    "  each kernel beside its bound measured in the same run; N repetitions (1..255, default 21)\n"
    "  LATENT_ISA=avx2|scalar chooses the path; OMP_NUM_THREADS the most threads\n";

int main(int argc, char **argv)
{
    static const char *modes[] = {"all", "bandwidth", "knn", "batch", "attention", "cutoff"};
    const char *what = "all";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--reps")) {
            char *end = NULL;
            long v = i + 1 < argc ? strtol(argv[++i], &end, 10) : 0;
            if (!end || *end || v < 1 || v > 255) {
                fprintf(stderr, "latent_kernel_bench: --reps takes a whole number 1..255 (see --help)\n");
                return 64;
            }
            g_reps = (int)v;
        } else {
            what = argv[i];
        }
    }
    int known = 0;
    for (size_t m = 0; m < sizeof modes / sizeof *modes; m++) known |= !strcmp(what, modes[m]);
    if (!known) {
        fprintf(stderr, "latent_kernel_bench: unknown benchmark '%s' (see --help)\n", what);
        return 64;
    }
    printf("liblatent %s, ISA %s, %d OpenMP threads\n", lt_version_string(), lt_isa_name(lt_isa_active()),
           omp_get_max_threads());
    int all = strcmp(what, "all") == 0;
    if (all || !strcmp(what, "cutoff")) bench_cutoff();
    if (all || !strcmp(what, "bandwidth")) bench_bandwidth();
    if (all || !strcmp(what, "knn")) bench_knn();
    if (all || !strcmp(what, "batch")) bench_batch();
    if (all || !strcmp(what, "attention")) bench_attention();
    return 0;
}
