/*
 * Instruction-set dispatch: names, support flags, selection, the LATENT_ISA
 * override, and every supported ISA against the scalar path and the reference
 * on the same seeded inputs.
 *
 * `test_isa dispatch` runs only the dispatch checks; ctest runs it that way once
 * per LATENT_ISA value, since the override is read once per process.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "latent/latent.h"
#include "check_helpers.h"
#include "ref.h"

static const char *const metric_names[] = {"euclidean", "cosine", "manhattan", "hyperbolic",
                                           "dot"};
static const char *const attn_names[] = {"standard", "flash", "multihead", "moe"};

static lt_isa best_supported(void)
{
    lt_isa best = LT_ISA_SCALAR;
    for (int i = 0; i < LT_ISA_COUNT; i++)
        if (lt_isa_supported((lt_isa)i))
            best = (lt_isa)i;
    return best;
}

/* ---- Dispatch ------------------------------------------------------------------------ */

/* Must run before anything selects an ISA (first test of the first case; each test
 * runs in its own process under Check's default fork mode). */
START_TEST(test_initial_choice)
{
    const char *env = getenv("LATENT_ISA");
    lt_isa want = best_supported();
    if (env != NULL)
        for (int i = 0; i < LT_ISA_COUNT; i++)
            if (strcasecmp(env, lt_isa_name((lt_isa)i)) == 0 && lt_isa_supported((lt_isa)i))
                want = (lt_isa)i;
    lt_isa got = lt_isa_active();
    ck_assert_msg(got == want, "LATENT_ISA=%s: active %s, expected %s", env ? env : "(unset)",
                  lt_isa_name(got) ? lt_isa_name(got) : "?", lt_isa_name(want));
}
END_TEST

/* The CPU's own word on its instruction sets, independent of the library's
 * cpuid/xgetbv code: the "flags" line of /proc/cpuinfo (Linux lists avx2 and
 * avx512f only where the kernel saves their registers), cross-checked with
 * the compiler's __builtin_cpu_supports. 1 present, 0 absent, -1 unknown. */
static int cpuinfo_flag(const char *flag)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return -1;
    char line[8192];
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0) continue;
        found = 0;
        for (char *tok = strtok(strchr(line, ':') ? strchr(line, ':') + 1 : line, " \t\n"); tok;
             tok = strtok(NULL, " \t\n"))
            if (strcmp(tok, flag) == 0) found = 1;
        break; /* the first processor speaks for all */
    }
    fclose(f);
    return found;
}

/* Support as the CPU states it: a library whose detection always answered
 * "scalar" (or always "avx512") fails here. */
START_TEST(test_detect_against_cpu)
{
    int avx2 = cpuinfo_flag("avx2"), fma = cpuinfo_flag("fma"), avx512f = cpuinfo_flag("avx512f");
    if (avx2 < 0 || fma < 0 || avx512f < 0) { /* no /proc: the compiler's own cpuid check alone */
        avx2 = __builtin_cpu_supports("avx2") != 0;
        fma = __builtin_cpu_supports("fma") != 0;
        avx512f = __builtin_cpu_supports("avx512f") != 0;
    } else {
        ck_assert_int_eq(avx2, __builtin_cpu_supports("avx2") != 0);
        ck_assert_int_eq(avx512f, __builtin_cpu_supports("avx512f") != 0);
    }
    int built2 = 0, built512 = 0;
#ifdef LT_HAVE_AVX2
    built2 = 1;
#endif
#ifdef LT_HAVE_AVX512
    built512 = 1;
#endif
    printf("cpu: avx2=%d fma=%d avx512f=%d; built: avx2=%d avx512=%d; library: avx2=%d avx512=%d\n", avx2, fma,
           avx512f, built2, built512, lt_isa_supported(LT_ISA_AVX2), lt_isa_supported(LT_ISA_AVX512));
    ck_assert_int_eq(lt_isa_supported(LT_ISA_SCALAR), 1);
    ck_assert_msg(lt_isa_supported(LT_ISA_AVX2) == (built2 && avx2 && fma), "avx2: library says %d, CPU says %d",
                  lt_isa_supported(LT_ISA_AVX2), avx2 && fma);
    ck_assert_msg(lt_isa_supported(LT_ISA_AVX512) == (built512 && avx512f && fma),
                  "avx512: library says %d, CPU says %d", lt_isa_supported(LT_ISA_AVX512), avx512f && fma);
    if (!getenv("LATENT_ISA")) {
        lt_isa want = built512 && avx512f && fma ? LT_ISA_AVX512 : built2 && avx2 && fma ? LT_ISA_AVX2 : LT_ISA_SCALAR;
        ck_assert_msg(lt_isa_active() == want, "active %s, the CPU allows %s", lt_isa_name(lt_isa_active()),
                      lt_isa_name(want));
    }
}
END_TEST

/* A one-line message: no control byte, bounded, names the variable. */
static void check_problem(const char *p, const char *var)
{
    ck_assert_msg(strlen(p) < 160, "problem too long: %s", p);
    for (const char *c = p; *c; c++)
        ck_assert_msg((unsigned char)*c >= 0x20 && *c != 0x7f, "control byte 0x%02x in: %s", *c, p);
    ck_assert_msg(strncmp(p, var, strlen(var)) == 0, "'%s' does not name %s", p, var);
}

/* lt_env_get against what the environment of this process asks for; ctest runs
 * it under several LATENT_ISA and LATENT_PAR_MIN values (valid and not). */
START_TEST(test_env)
{
    lt_env_get(NULL); /* ignored */
    lt_env e;
    memset(&e, 0x55, sizeof e);
    lt_env_get(&e);
    ck_assert_int_eq(e.isa, lt_isa_active());

    const char *isa = getenv("LATENT_ISA");
    int known = -1;
    for (int i = 0; isa && i < LT_ISA_COUNT; i++)
        if (strcasecmp(isa, lt_isa_name((lt_isa)i)) == 0) known = i;
    int isa_ok = known >= 0 && lt_isa_supported((lt_isa)known);
    int isa_bad = isa && !isa_ok && strcasecmp(isa, "auto") != 0;
    ck_assert_int_eq(e.isa_from_env, isa_ok);
    ck_assert_msg((e.isa_problem[0] != '\0') == isa_bad, "LATENT_ISA=%s: problem '%s'", isa ? isa : "(unset)",
                  e.isa_problem);
    if (isa_bad) check_problem(e.isa_problem, "LATENT_ISA");

    const char *pm = getenv("LATENT_PAR_MIN");
    size_t want = 65536;
    int pm_ok = 0;
    if (pm && *pm && strspn(pm, "0123456789") == strlen(pm)) {
        errno = 0;
        unsigned long long v = strtoull(pm, NULL, 10);
        if (errno != ERANGE && v <= SIZE_MAX) {
            want = (size_t)v;
            pm_ok = 1;
        }
    }
    ck_assert_uint_eq(e.par_min, want);
    ck_assert_int_eq(e.par_min_from_env, pm_ok);
    ck_assert_msg((e.par_min_problem[0] != '\0') == (pm && !pm_ok), "LATENT_PAR_MIN=%s: problem '%s'",
                  pm ? pm : "(unset)", e.par_min_problem);
    if (pm && !pm_ok) check_problem(e.par_min_problem, "LATENT_PAR_MIN");
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(lt_isa_name(LT_ISA_SCALAR), "scalar");
    ck_assert_str_eq(lt_isa_name(LT_ISA_AVX2), "avx2");
    ck_assert_str_eq(lt_isa_name(LT_ISA_AVX512), "avx512");
    ck_assert_ptr_null(lt_isa_name(LT_ISA_COUNT));
    ck_assert_ptr_null(lt_isa_name((lt_isa)-1));
    ck_assert_ptr_null(lt_isa_name((lt_isa)1000));
}
END_TEST

START_TEST(test_supported)
{
    ck_assert_int_eq(lt_isa_supported(LT_ISA_SCALAR), 1);
    for (int i = 0; i < LT_ISA_COUNT; i++) {
        int s = lt_isa_supported((lt_isa)i);
        ck_assert_msg(s == 0 || s == 1, "lt_isa_supported(%s) = %d", lt_isa_name((lt_isa)i), s);
        printf("isa %-7s supported=%d\n", lt_isa_name((lt_isa)i), s);
        fflush(stdout);
    }
    ck_assert_int_eq(lt_isa_supported(LT_ISA_COUNT), 0);
    ck_assert_int_eq(lt_isa_supported((lt_isa)-1), 0);
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    /* What the CPU lacks cannot be supported. */
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        ck_assert_int_eq(lt_isa_supported(LT_ISA_AVX2), 0);
    if (!__builtin_cpu_supports("avx512f"))
        ck_assert_int_eq(lt_isa_supported(LT_ISA_AVX512), 0);
#endif
}
END_TEST

START_TEST(test_select)
{
    for (int i = 0; i < LT_ISA_COUNT; i++) {
        lt_isa before = lt_isa_active();
        int rc = lt_isa_select((lt_isa)i);
        if (lt_isa_supported((lt_isa)i)) {
            ck_assert_msg(rc == LT_OK, "select %s: %s", lt_isa_name((lt_isa)i), lt_strerror(rc));
            ck_assert_int_eq(lt_isa_active(), i);
        } else {
            ck_assert_msg(rc == LT_EUNSUPPORTED, "select unsupported %s: %d (%s)",
                          lt_isa_name((lt_isa)i), rc, lt_strerror(rc));
            ck_assert_int_eq(lt_isa_active(), before);
        }
    }
    lt_isa before = lt_isa_active();
    ck_assert_int_eq(lt_isa_select(LT_ISA_COUNT), LT_EINVAL);
    ck_assert_int_eq(lt_isa_select((lt_isa)-1), LT_EINVAL);
    ck_assert_int_eq(lt_isa_active(), before);
    ck_assert_int_eq(lt_isa_select(LT_ISA_SCALAR), LT_OK);
    ck_assert_int_eq(lt_isa_active(), LT_ISA_SCALAR);
}
END_TEST

/* ---- Every path on the same inputs -------------------------------------------------- */

static const size_t path_dims[] = {1, 7, 8, 16, 31, 33, 100, 256};
static const size_t path_ns[] = {1, 17, 300};
#define NPD (sizeof path_dims / sizeof path_dims[0])
#define NPN (sizeof path_ns / sizeof path_ns[0])
#define NQ 5
#define K 12

START_TEST(test_knn_paths)
{
    const lt_metric m = (lt_metric)_i;
    char msg[512];
    for (size_t di = 0; di < NPD; di++)
        for (size_t ni = 0; ni < NPN; ni++) {
            const size_t d = path_dims[di], n = path_ns[ni];
            const uint64_t seed = ref_case_seed(31, (uint64_t)m, d, n);
            lt_config cfg = lt_config_default(d);
            cfg.metric = m;
            float *data = tst_xmalloc(n * d * sizeof *data), *q = tst_xmalloc(NQ * d * sizeof *q);
            ref_fill_uniform(seed, data, n * d);
            ref_fill_uniform(seed + 1, q, NQ * d);
            ref_neighbor *ref = tst_xmalloc(NQ * n * sizeof *ref);
            for (size_t i = 0; i < NQ; i++)
                ref_knn_all(&cfg, data, NULL, n, q + i * d, ref + i * n);
            lt_space *s = NULL;
            ck_assert_int_eq(lt_space_create(&cfg, &s), LT_OK);
            ck_assert_int_eq(lt_space_add_batch(s, data, n, NULL), LT_OK);

            lt_neighbor scalar[NQ * K], got[NQ * K], one[K];
            size_t sfound[NQ], gfound[NQ], f1;
            ck_assert_int_eq(lt_isa_select(LT_ISA_SCALAR), LT_OK);
            ck_assert_int_eq(lt_space_knn_batch(s, q, NQ, K, scalar, sfound), LT_OK);
            for (int isa = 0; isa < LT_ISA_COUNT; isa++) {
                if (!lt_isa_supported((lt_isa)isa))
                    continue;
                ck_assert_int_eq(lt_isa_select((lt_isa)isa), LT_OK);
                ck_assert_int_eq(lt_space_knn_batch(s, q, NQ, K, got, gfound), LT_OK);
                for (size_t i = 0; i < NQ; i++) {
                    const ref_neighbor *r = ref + i * n;
                    ck_assert_int_eq(lt_space_knn(s, q + i * d, K, one, &f1), LT_OK);
                    ck_assert_msg(ref_check_knn(m, got + i * K, gfound[i], r, n, K, msg,
                                                sizeof msg),
                                  "%s %s d=%zu n=%zu query %zu batch seed=%llu: %s",
                                  lt_isa_name((lt_isa)isa), metric_names[m], d, n, i,
                                  (unsigned long long)seed, msg);
                    ck_assert_msg(ref_check_knn(m, one, f1, r, n, K, msg, sizeof msg),
                                  "%s %s d=%zu n=%zu query %zu single seed=%llu: %s",
                                  lt_isa_name((lt_isa)isa), metric_names[m], d, n, i,
                                  (unsigned long long)seed, msg);
                    ck_assert_msg(ref_check_knn_same(m, got + i * K, gfound[i], scalar + i * K,
                                                     sfound[i], r, n, msg, sizeof msg),
                                  "%s vs scalar %s d=%zu n=%zu query %zu seed=%llu: %s",
                                  lt_isa_name((lt_isa)isa), metric_names[m], d, n, i,
                                  (unsigned long long)seed, msg);
                }
            }
            lt_space_destroy(s);
            free(data);
            free(q);
            free(ref);
        }
}
END_TEST

START_TEST(test_attention_paths)
{
    const lt_attention a = (lt_attention)_i;
    char msg[512];
    for (size_t di = 0; di < NPD; di++)
        for (size_t ni = 0; ni < NPN; ni++) {
            const size_t d = path_dims[di], n = path_ns[ni];
            const uint64_t seed = ref_case_seed(32, (uint64_t)a, d, n);
            lt_config cfg = lt_config_default(d);
            cfg.attention = a;
            cfg.block_size = 7;
            cfg.num_heads = d % 4 == 0 ? 4 : 1;
            cfg.num_experts = 3;
            float *data = tst_xmalloc(n * d * sizeof *data), *q = tst_xmalloc(NQ * d * sizeof *q);
            ref_fill_uniform(seed, data, n * d);
            ref_fill_uniform(seed + 1, q, NQ * d);
            ref_moe_sanitize(&cfg, data, n, seed + 2);
            ref_moe_sanitize(&cfg, q, NQ, seed + 3);
            lt_space *s = NULL;
            ck_assert_int_eq(lt_space_create(&cfg, &s), LT_OK);
            ck_assert_int_eq(lt_space_add_batch(s, data, n, NULL), LT_OK);
            float *scalar = tst_xmalloc(NQ * d * sizeof *scalar), *got = tst_xmalloc(NQ * d * sizeof *got);
            float *one = tst_xmalloc(d * sizeof *one);
            double *ref = tst_xmalloc(d * sizeof *ref);
            ck_assert_int_eq(lt_isa_select(LT_ISA_SCALAR), LT_OK);
            ck_assert_int_eq(lt_space_attention_batch(s, q, NQ, scalar), LT_OK);
            for (int isa = 0; isa < LT_ISA_COUNT; isa++) {
                if (!lt_isa_supported((lt_isa)isa))
                    continue;
                ck_assert_int_eq(lt_isa_select((lt_isa)isa), LT_OK);
                ck_assert_int_eq(lt_space_attention_batch(s, q, NQ, got), LT_OK);
                for (size_t i = 0; i < NQ; i++) {
                    ref_attention(&cfg, data, n, NULL, q + i * d, ref);
                    ck_assert_int_eq(lt_space_attention(s, q + i * d, one), LT_OK);
                    ck_assert_msg(ref_check_attention(got + i * d, ref, d, msg, sizeof msg),
                                  "%s %s d=%zu n=%zu query %zu batch seed=%llu: %s",
                                  lt_isa_name((lt_isa)isa), attn_names[a], d, n, i,
                                  (unsigned long long)seed, msg);
                    ck_assert_msg(ref_check_attention(one, ref, d, msg, sizeof msg),
                                  "%s %s d=%zu n=%zu query %zu single seed=%llu: %s",
                                  lt_isa_name((lt_isa)isa), attn_names[a], d, n, i,
                                  (unsigned long long)seed, msg);
                    ck_assert_msg(ref_check_attention_f(got + i * d, scalar + i * d, d, msg,
                                                        sizeof msg),
                                  "%s vs scalar %s d=%zu n=%zu query %zu seed=%llu: %s",
                                  lt_isa_name((lt_isa)isa), attn_names[a], d, n, i,
                                  (unsigned long long)seed, msg);
                }
            }
            lt_space_destroy(s);
            free(data);
            free(q);
            free(scalar);
            free(got);
            free(one);
            free(ref);
        }
}
END_TEST

static Suite *isa_suite(void)
{
    Suite *s = suite_create("isa");
    TCase *tc = tcase_create("dispatch");
    tcase_add_test(tc, test_initial_choice);
    tcase_add_test(tc, test_detect_against_cpu);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_env);
    tcase_add_test(tc, test_supported);
    tcase_add_test(tc, test_select);
    suite_add_tcase(s, tc);

    tc = tcase_create("paths");
    tcase_add_loop_test(tc, test_knn_paths, 0, 5);
    tcase_add_loop_test(tc, test_attention_paths, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    printf("test_isa: base seed %llu (set LATENT_TEST_SEED to replay)\n",
           (unsigned long long)ref_base_seed());
    fflush(stdout); /* before Check forks */
    SRunner *sr = srunner_create(isa_suite());
    /* Optional argument: run only that test case ("dispatch" or "paths"). */
    srunner_run(sr, NULL, argc > 1 ? argv[1] : NULL, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
