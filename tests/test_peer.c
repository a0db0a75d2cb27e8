/*
 * The FAISS peer (liblatent_faiss.so, docs/PEERS.md) against liblatent, both
 * loaded as latentbench loads them (lb_latent_open / lb_peer_open): on seeded
 * data the peer's kNN answers equal liblatent's (same ids in order, distances
 * within the spec's 1e-4 relative) for Euclidean, Dot and Cosine, single and
 * batch; batch equals single; what it cannot do is LT_EUNSUPPORTED; ids,
 * duplicates, all-or-nothing adds and memory accounting follow the ABI.
 *
 * usage: test_peer LIBLATENT.so LIBLATENT_FAISS.so
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latentbench/error.h"
#include "latentbench/loader.h"

static const char *g_lib, *g_peer_lib;
static lb_latent g_lt, g_peer;

#define SEED 20240607u

/* uniform(-1, 1) from a 64-bit LCG: the seed is printed by the tests that use it */
static void fill(float *x, size_t n, uint64_t seed)
{
    uint64_t s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (float)((double)(s >> 40) / 8388608.0 - 1.0);
    }
}

static lt_space *space_of(const lb_latent *lt, lt_metric m, size_t d, const float *rows, size_t n, const uint64_t *ids)
{
    lt_config cfg = lt->config_default(d);
    cfg.metric = m;
    lt_space *s = NULL;
    ck_assert_int_eq(lt->space_create(&cfg, &s), LT_OK);
    ck_assert_int_eq(lt->space_add_batch(s, rows, n, ids), LT_OK);
    ck_assert_uint_eq(lt->space_size(s), n);
    return s;
}

/* ids equal in order and distances within 1e-4 relative (the spec's contract;
 * random rows have no near-ties at these sizes) */
static void same_answer(const lt_neighbor *a, size_t na, const lt_neighbor *b, size_t nb, const char *what)
{
    ck_assert_msg(na == nb, "%s: found %zu vs %zu", what, na, nb);
    for (size_t j = 0; j < na; j++) {
        ck_assert_msg(a[j].id == b[j].id, "%s: neighbour %zu id %llu vs %llu", what, j, (unsigned long long)a[j].id,
                      (unsigned long long)b[j].id);
        double tol = 1e-4 * fmax(1.0, fabs((double)a[j].distance));
        ck_assert_msg(fabs((double)a[j].distance - (double)b[j].distance) <= tol, "%s: neighbour %zu distance %.9g vs %.9g",
                      what, j, (double)a[j].distance, (double)b[j].distance);
        if (j) ck_assert_msg(b[j - 1].distance < b[j].distance ||
                                 (b[j - 1].distance == b[j].distance && b[j - 1].id < b[j].id),
                             "%s: not sorted by (distance, id) at %zu", what, j);
    }
}

/* One metric: n rows with explicit shuffled ids, nq queries; single and
 * batch (nq >= 20 takes FAISS's BLAS path), against liblatent's single. */
static void compare_metric(lt_metric m, const char *name)
{
    enum { N = 700, D = 37, NQ = 33, K = 10 };
    uint64_t seed = SEED + (uint64_t)m;
    fprintf(stderr, "compare %s: seed %llu\n", name, (unsigned long long)seed);
    float *rows = malloc(sizeof(float) * N * D), *q = malloc(sizeof(float) * NQ * D);
    uint64_t *ids = malloc(sizeof(uint64_t) * N);
    ck_assert(rows && q && ids);
    fill(rows, (size_t)N * D, seed);
    fill(q, (size_t)NQ * D, seed ^ 0x5555);
    for (size_t i = 0; i < N; i++) ids[i] = 1000 + (i * 7919) % N; /* a permutation: ids are not positions */
    lt_space *a = space_of(&g_lt, m, D, rows, N, ids), *b = space_of(&g_peer, m, D, rows, N, ids);
    lt_neighbor ra[K], rb[K], batch[NQ * K];
    size_t fa, fb, found[NQ];
    ck_assert_int_eq(g_peer.space_knn_batch(b, q, NQ, K, batch, found), LT_OK);
    for (size_t i = 0; i < NQ; i++) {
        char what[64];
        ck_assert_int_eq(g_lt.space_knn(a, q + i * D, K, ra, &fa), LT_OK);
        ck_assert_int_eq(g_peer.space_knn(b, q + i * D, K, rb, &fb), LT_OK);
        snprintf(what, sizeof what, "%s query %zu single", name, i);
        same_answer(ra, fa, rb, fb, what);
        snprintf(what, sizeof what, "%s query %zu batch", name, i);
        same_answer(rb, fb, batch + i * K, found[i], what);
    }
    /* k above the rows: every row, the rest of a batch row padded */
    lt_neighbor all[N + 5];
    ck_assert_int_eq(g_peer.space_knn(b, q, N + 5, all, &fb), LT_OK);
    ck_assert_uint_eq(fb, N);
    g_lt.space_destroy(a);
    g_peer.space_destroy(b);
    free(rows);
    free(q);
    free(ids);
}

START_TEST(euclidean_equals_liblatent) { compare_metric(LT_METRIC_EUCLIDEAN, "Euclidean"); }
END_TEST

START_TEST(dot_equals_liblatent) { compare_metric(LT_METRIC_DOT, "Dot"); }
END_TEST

START_TEST(cosine_equals_liblatent) { compare_metric(LT_METRIC_COSINE, "Cosine"); }
END_TEST

START_TEST(exact_match_is_zero)
{
    /* a query equal to a stored row: distance 0 exactly, as the direct re-score gives */
    enum { N = 64, D = 16, NQ = 24 };
    float rows[N * D], q[NQ * D];
    fill(rows, N * D, SEED);
    for (size_t i = 0; i < NQ; i++) memcpy(q + i * D, rows + (i * 2) * D, sizeof(float) * D);
    lt_space *b = space_of(&g_peer, LT_METRIC_EUCLIDEAN, D, rows, N, NULL);
    lt_neighbor nb[NQ * 3];
    size_t found[NQ];
    ck_assert_int_eq(g_peer.space_knn_batch(b, q, NQ, 3, nb, found), LT_OK);
    for (size_t i = 0; i < NQ; i++) {
        ck_assert_uint_eq(found[i], 3);
        ck_assert_uint_eq(nb[i * 3].id, i * 2);
        ck_assert_float_eq(nb[i * 3].distance, 0.0f);
    }
    g_peer.space_destroy(b);
}
END_TEST

START_TEST(unsupported_is_refused)
{
    lt_config cfg = g_peer.config_default(8);
    lt_space *s = (lt_space *)0x1;
    lt_metric bad[] = {LT_METRIC_MANHATTAN, LT_METRIC_HYPERBOLIC};
    for (size_t i = 0; i < 2; i++) {
        cfg.metric = bad[i];
        ck_assert_int_eq(g_peer.space_create(&cfg, &s), LT_EUNSUPPORTED);
        ck_assert_ptr_null(s);
    }
    cfg.metric = LT_METRIC_EUCLIDEAN;
    ck_assert_int_eq(g_peer.space_create(&cfg, &s), LT_OK);
    float v[8] = {0}, out[8];
    ck_assert_int_eq(g_peer.space_add(s, v, NULL, NULL), LT_OK);
    ck_assert_int_eq(g_peer.space_attention(s, v, out), LT_EUNSUPPORTED);
    ck_assert_int_eq(g_peer.space_attention_batch(s, v, 1, out), LT_EUNSUPPORTED);
    ck_assert_str_eq(g_peer.strerror(LT_EUNSUPPORTED), g_lt.strerror(LT_EUNSUPPORTED));
    g_peer.space_destroy(s);
    cfg.dimension = 0;
    ck_assert_int_eq(g_peer.space_create(&cfg, &s), LT_EINVAL);
}
END_TEST

START_TEST(ids_and_errors_follow_the_abi)
{
    enum { D = 4 };
    lt_config cfg = g_peer.config_default(D);
    lt_space *s = NULL;
    ck_assert_int_eq(g_peer.space_create(&cfg, &s), LT_OK);
    float v[3 * D];
    fill(v, 3 * D, SEED);
    uint64_t got = 0, id = 41;
    ck_assert_int_eq(g_peer.space_add(s, v, NULL, &got), LT_OK);
    ck_assert_uint_eq(got, 0); /* automatic: 0 first */
    ck_assert_int_eq(g_peer.space_add(s, v + D, &id, &got), LT_OK);
    ck_assert_uint_eq(got, 41);
    ck_assert_int_eq(g_peer.space_add(s, v + 2 * D, NULL, &got), LT_OK);
    ck_assert_uint_eq(got, 42); /* 1 + the largest so far */
    /* a duplicate inside a batch leaves the space as it was */
    uint64_t dup[2] = {7, 41};
    ck_assert_int_eq(g_peer.space_add_batch(s, v, 2, dup), LT_EDUPID);
    ck_assert_uint_eq(g_peer.space_size(s), 3);
    uint64_t seven = 7;
    ck_assert_int_eq(g_peer.space_add(s, v, &seven, NULL), LT_OK); /* 7 was rolled back */
    float nan_row[D] = {0, NAN, 0, 0};
    ck_assert_int_eq(g_peer.space_add(s, nan_row, NULL, NULL), LT_ENONFINITE);
    lt_neighbor nb[4];
    size_t found;
    ck_assert_int_eq(g_peer.space_knn(s, v, 0, nb, &found), LT_EINVAL);
    ck_assert_int_eq(g_peer.space_knn(s, nan_row, 1, nb, &found), LT_ENONFINITE);
    ck_assert_int_eq(g_peer.space_knn(NULL, v, 1, nb, &found), LT_EINVAL);
    /* the batch pads past found */
    lt_neighbor pad[6];
    size_t f2[1];
    ck_assert_int_eq(g_peer.space_knn_batch(s, v, 1, 6, pad, f2), LT_OK);
    ck_assert_uint_eq(f2[0], 4);
    ck_assert_uint_eq(pad[5].id, UINT64_MAX);
    ck_assert(isinf(pad[5].distance));
    g_peer.space_destroy(s);
    /* an empty space answers nothing */
    ck_assert_int_eq(g_peer.space_create(&cfg, &s), LT_OK);
    ck_assert_int_eq(g_peer.space_knn(s, v, 3, nb, &found), LT_OK);
    ck_assert_uint_eq(found, 0);
    g_peer.space_destroy(s);
}
END_TEST

START_TEST(memory_counts_what_it_holds)
{
    enum { N = 1000, D = 32 };
    lt_mem_stats before = g_peer.mem_stats_get();
    float *rows = malloc(sizeof(float) * N * D);
    ck_assert_ptr_nonnull(rows);
    fill(rows, (size_t)N * D, SEED);
    lt_space *s = space_of(&g_peer, LT_METRIC_DOT, D, rows, N, NULL);
    lt_mem_stats held = g_peer.mem_stats_get();
    ck_assert_uint_ge(held.current_bytes - before.current_bytes, (size_t)N * D * sizeof(float) + N * 8);
    g_peer.mem_reset_peak();
    lt_neighbor nb[10];
    size_t found;
    ck_assert_int_eq(g_peer.space_knn(s, rows, 10, nb, &found), LT_OK);
    lt_mem_stats after = g_peer.mem_stats_get();
    ck_assert_uint_eq(after.current_bytes, held.current_bytes); /* the search's buffers are freed */
    ck_assert_uint_gt(after.allocations, 0);
    g_peer.space_destroy(s);
    ck_assert_uint_eq(g_peer.mem_stats_get().current_bytes, before.current_bytes);
    free(rows);
}
END_TEST

START_TEST(describes_itself)
{
    ck_assert_ptr_nonnull(g_peer.peer_describe);
    ck_assert_ptr_nonnull(g_peer.peer_note);
    const char *d = g_peer.peer_describe();
    fprintf(stderr, "peer: %s\nnote: '%s'\n", d, g_peer.peer_note());
    ck_assert_msg(strncmp(d, "faiss 1.7.3 IndexFlatL2/IP; ", 28) == 0, "describe: %s", d);
    ck_assert_uint_lt(strlen(g_peer.peer_note()), 64); /* fits a row's note */
    ck_assert_ptr_null(g_lt.peer_describe); /* liblatent is no peer */
}
END_TEST

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s LIBLATENT.so LIBLATENT_FAISS.so\n", argv[0]);
        return 64;
    }
    g_lib = argv[1];
    g_peer_lib = argv[2];
    char err[512];
    if (lb_latent_open(g_lib, &g_lt, err, sizeof err) || lb_peer_open(g_peer_lib, &g_peer, err, sizeof err)) {
        fprintf(stderr, "test_peer: %s\n", err);
        return 1;
    }
    /* a build of liblatent is refused as a peer: it lacks lt_peer_describe */
    lb_latent not_peer;
    int refused = lb_peer_open(g_lib, &not_peer, err, sizeof err) == LB_EDATA && strstr(err, "lt_peer_describe");
    Suite *s = suite_create("peer");
    TCase *tc = tcase_create("faiss");
    tcase_add_test(tc, euclidean_equals_liblatent);
    tcase_add_test(tc, dot_equals_liblatent);
    tcase_add_test(tc, cosine_equals_liblatent);
    tcase_add_test(tc, exact_match_is_zero);
    tcase_add_test(tc, unsupported_is_refused);
    tcase_add_test(tc, ids_and_errors_follow_the_abi);
    tcase_add_test(tc, memory_counts_what_it_holds);
    tcase_add_test(tc, describes_itself);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (!refused) fprintf(stderr, "test_peer: liblatent was not refused as a peer: %s\n", err);
    return failed || !refused ? 1 : 0;
}
