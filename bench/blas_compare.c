/* latent_blas_compare: the batch kNN's score product Q X^T (128 x 100,000 x 256)
 * through the system BLAS's sgemm, against liblatent's whole batch kNN (its own
 * packed GEMM plus top-k) on the same shape. Run it to decide whether a BLAS
 * would pay here; OPENBLAS_CORETYPE and thread variables change the answer.
 * Usage: OPENBLAS_NUM_THREADS=1 latent_blas_compare [reps]  (one thread each side) */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <latent/latent.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    if (reps < 1 || reps > 100) { fprintf(stderr, "latent_blas_compare: reps must be 1..100\n"); return 64; }
    const size_t nq = 128, n = 100000, d = 256, k = 10;
    float *Q = malloc(nq * d * sizeof *Q), *X = malloc(n * d * sizeof *X), *C = malloc(nq * n * sizeof *C);
    lt_neighbor *nb = malloc(nq * k * sizeof *nb);
    size_t *found = malloc(nq * sizeof *found);
    if (!Q || !X || !C || !nb || !found) { fprintf(stderr, "latent_blas_compare: out of memory\n"); return 70; }
    srand(1);
    for (size_t i = 0; i < n * d; i++) X[i] = 2.0f * rand() / (float)RAND_MAX - 1.0f;
    for (size_t i = 0; i < nq * d; i++) Q[i] = 2.0f * rand() / (float)RAND_MAX - 1.0f;
    lt_config cfg = lt_config_default(d);
    cfg.threads = 1;
    lt_space *s;
    if (lt_space_create(&cfg, &s) || lt_space_add_batch(s, X, n, NULL)) { fprintf(stderr, "latent_blas_compare: setup failed\n"); return 70; }
    double tb[100], tl[100];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)n, (int)d, 1.0f, Q, (int)d, X, (int)d, 0.0f, C, (int)n);
    lt_space_knn_batch(s, Q, nq, k, nb, found);
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)n, (int)d, 1.0f, Q, (int)d, X, (int)d, 0.0f,
                    C, (int)n);
        double t1 = now_s();
        lt_space_knn_batch(s, Q, nq, k, nb, found);
        tl[r] = now_s() - t1;
        tb[r] = t1 - t0;
    }
    qsort(tb, (size_t)reps, sizeof *tb, cmp_d);
    qsort(tl, (size_t)reps, sizeof *tl, cmp_d);
    double gf = 2.0 * nq * n * d / 1e9;
    printf("BLAS sgemm only          %8.1f us/query  %5.1f GFLOP/s\n", tb[reps / 2] / nq * 1e6, gf / tb[reps / 2]);
    printf("liblatent batch kNN, 1 thread %8.1f us/query  %5.1f GFLOP/s (GEMM + top-k + re-scoring)\n",
           tl[reps / 2] / nq * 1e6, gf / tl[reps / 2]);
    lt_space_destroy(s);
    free(Q); free(X); free(C); free(nb); free(found);
    return 0;
}
