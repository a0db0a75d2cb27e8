/* latent_kernel_bench: the kernel numbers behind liblatent's performance notes.
 * It measures, on seeded uniform(-1,1) data, with medians over repetitions:
 *   bandwidth  STREAM-style triad with 1..T threads (the memory-bound reference)
 *   knn        single-query Euclidean kNN, n = 100,000, d = 256, k = 10, per thread count
 *   batch      128-query batch kNN (us per query), per thread count
 *   attention  Standard and Flash single-query attention, n = 4096, d = 256
 *   cutoff     single-query kNN time against n with 1 and T threads (the OpenMP cut-off)
 * Usage: latent_kernel_bench [all|bandwidth|knn|batch|attention|cutoff] [--reps N]
 * This is a measurement program, not a test: it never fails on a slow result. */
#define _POSIX_C_SOURCE 200809L
#include <latent/latent.h>

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static void bench_bandwidth(void)
{
    int T = omp_get_max_threads();
    for (int t = 1; t <= T; t++) printf("bandwidth  triad threads=%d  %.1f GB/s\n", t, triad_gbs(t));
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

static void bench_knn(void)
{
    size_t n = 100000, d = 256;
    float q[8 * 256];
    fill(q, sizeof q / sizeof *q, 7);
    int T = omp_get_max_threads();
    for (int t = 1; t <= T; t++) {
        lt_space *s = make_space(n, d, LT_METRIC_EUCLIDEAN, LT_ATTN_STANDARD, (unsigned)t);
        double med = time_knn(s, q, 10, g_reps);
        double bw = n * d * 4.0 / med / 1e9;
        printf("knn        n=%zu d=%zu k=10 threads=%d  median %.3f ms  (%.1f GB/s of embeddings)\n", n, d, t,
               med * 1e3, bw);
        lt_space_destroy(s);
    }
}

static void bench_batch(void)
{
    size_t n = 100000, d = 256, nq = 128, k = 10;
    float *q = malloc(nq * d * sizeof(float));
    lt_neighbor *out = malloc(nq * k * sizeof *out);
    size_t *found = malloc(nq * sizeof *found);
    fill(q, nq * d, 9);
    int T = omp_get_max_threads();
    for (int t = 1; t <= T; t++) {
        lt_space *s = make_space(n, d, LT_METRIC_EUCLIDEAN, LT_ATTN_STANDARD, (unsigned)t);
        int reps = g_reps < 7 ? g_reps : 7;
        double tm[64];
        lt_space_knn_batch(s, q, nq, k, out, found);
        for (int r = 0; r < reps; r++) {
            double t0 = now_s();
            lt_space_knn_batch(s, q, nq, k, out, found);
            tm[r] = now_s() - t0;
        }
        double med = median(tm, reps);
        printf("batch      n=%zu d=%zu k=%zu nq=%zu threads=%d  median %.1f us/query  (%.1f GFLOP/s)\n", n, d, k,
               nq, t, med / nq * 1e6, 2.0 * n * d * nq / med / 1e9);
        lt_space_destroy(s);
    }
    free(q); free(out); free(found);
}

static void bench_attention(void)
{
    size_t n = 4096, d = 256;
    float q[8 * 256], out[256];
    fill(q, sizeof q / sizeof *q, 11);
    static const char *names[] = {"Standard", "Flash", "MultiHead", "MoE"};
    int T = omp_get_max_threads();
    for (int t = 1; t <= T; t++)
        for (int a = 0; a < 4; a++) {
            lt_space *s = make_space(n, d, LT_METRIC_EUCLIDEAN, (lt_attention)a, (unsigned)t);
            double tm[256];
            lt_space_attention(s, q, out);
            int reps = g_reps * 5 < 256 ? g_reps * 5 : 256;
            for (int r = 0; r < reps; r++) {
                double t0 = now_s();
                lt_space_attention(s, q + (r % 8) * d, out);
                tm[r] = now_s() - t0;
            }
            printf("attention  %-9s n=%zu d=%zu threads=%d  median %.1f us\n", names[a], n, d, t,
                   median(tm, reps) * 1e6);
            lt_space_destroy(s);
        }
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

int main(int argc, char **argv)
{
    const char *what = "all";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) g_reps = atoi(argv[++i]);
        else what = argv[i];
    }
    if (g_reps < 1 || g_reps > 255) { fprintf(stderr, "kernel_bench: --reps must be 1..255\n"); return 64; }
    printf("liblatent %s, ISA %s, %d OpenMP threads\n", lt_version_string(), lt_isa_name(lt_isa_active()),
           omp_get_max_threads());
    int all = strcmp(what, "all") == 0, any = 0;
    if (all || !strcmp(what, "cutoff")) { bench_cutoff(); any = 1; }
    if (all || !strcmp(what, "bandwidth")) { bench_bandwidth(); any = 1; }
    if (all || !strcmp(what, "knn")) { bench_knn(); any = 1; }
    if (all || !strcmp(what, "batch")) { bench_batch(); any = 1; }
    if (all || !strcmp(what, "attention")) { bench_attention(); any = 1; }
    if (!any) { fprintf(stderr, "kernel_bench: unknown benchmark '%s'\n", what); return 64; }
    return 0;
}
