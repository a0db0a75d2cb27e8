/* latent_demo: fills a latent space with seeded uniform(-1,1) embeddings and
 * prints the nearest neighbours of one query and its attention output, with the
 * ISA path in use. Usage: latent_demo [n] [dimension] [k] [metric] [attention]
 *   metric: euclidean|cosine|manhattan|hyperbolic|dot
 *   attention: standard|flash|multihead|moe */
#include <latent/latent.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static float uniform(void) /* splitmix64 -> [-1, 1) */
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (float)((z >> 40) * (1.0 / 8388608.0) - 1.0);
}

static int pick(const char *arg, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (strcmp(arg, names[i]) == 0) return i;
    return -1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    static const char *const metrics[] = {"euclidean", "cosine", "manhattan", "hyperbolic", "dot"};
    static const char *const attns[] = {"standard", "flash", "multihead", "moe"};
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000;
    size_t dim = argc > 2 ? strtoull(argv[2], NULL, 10) : 128;
    size_t k = argc > 3 ? strtoull(argv[3], NULL, 10) : 5;
    int metric = argc > 4 ? pick(argv[4], metrics, 5) : 0;
    int attn = argc > 5 ? pick(argv[5], attns, 4) : 0;
    if (n == 0 || dim == 0 || k == 0 || metric < 0 || attn < 0) {
        fprintf(stderr, "latent_demo: usage: latent_demo [n>0] [dimension>0] [k>0] [%s|...] [%s|...]\n",
                metrics[0], attns[0]);
        return 64;
    }
    lt_config cfg = lt_config_default(dim);
    cfg.metric = (lt_metric)metric;
    cfg.attention = (lt_attention)attn;
    if (cfg.attention == LT_ATTN_MULTIHEAD && dim % cfg.num_heads) cfg.num_heads = 1;
    lt_space *s = NULL;
    int rc = lt_space_create(&cfg, &s);
    float *data = malloc(n * dim * sizeof(float)), *q = malloc(dim * sizeof(float));
    float *att = malloc(dim * sizeof(float));
    lt_neighbor *nb = malloc(k * sizeof *nb);
    if (rc || !data || !q || !att || !nb) {
        fprintf(stderr, "latent_demo: cannot create the space: %s\n", rc ? lt_strerror(rc) : "out of memory");
        return 70;
    }
    for (size_t i = 0; i < n * dim; i++) data[i] = uniform();
    for (size_t i = 0; i < dim; i++) q[i] = uniform();

    printf("liblatent %s, ISA %s\n", lt_version_string(), lt_isa_name(lt_isa_active()));
    double t0 = now_ms();
    rc = lt_space_add_batch(s, data, n, NULL);
    double t1 = now_ms();
    if (rc) { fprintf(stderr, "latent_demo: add_batch: %s\n", lt_strerror(rc)); return 70; }
    lt_mem_stats ms = lt_mem_stats_get();
    printf("space: %zu embeddings x %zu (%s, %s), added in %.1f ms, %.1f MB held\n", lt_space_size(s), dim,
           metrics[metric], attns[attn], t1 - t0, ms.current_bytes / 1e6);

    size_t found = 0;
    t0 = now_ms();
    rc = lt_space_knn(s, q, k, nb, &found);
    t1 = now_ms();
    if (rc) { fprintf(stderr, "latent_demo: knn: %s\n", lt_strerror(rc)); return 70; }
    printf("knn (k=%zu, %.3f ms):\n", k, t1 - t0);
    for (size_t i = 0; i < found; i++) printf("  %2zu. id %-8llu distance %.6f\n", i + 1, (unsigned long long)nb[i].id, nb[i].distance);

    t0 = now_ms();
    rc = lt_space_attention(s, q, att);
    t1 = now_ms();
    if (rc) { fprintf(stderr, "latent_demo: attention: %s\n", lt_strerror(rc)); return 70; }
    double norm = 0.0;
    for (size_t i = 0; i < dim; i++) norm += (double)att[i] * att[i];
    printf("attention (%.3f ms): |out| = %.6f, out[0..%zu) =", t1 - t0, norm > 0 ? __builtin_sqrt(norm) : 0.0,
           dim < 4 ? dim : 4);
    for (size_t i = 0; i < dim && i < 4; i++) printf(" %.6f", att[i]);
    printf("\n");
    lt_space_destroy(s);
    free(data); free(q); free(att); free(nb);
    return 0;
}
