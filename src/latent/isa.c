/* Runtime ISA dispatch: cpuid for the instructions, xgetbv for the OS saving the
 * registers; chosen once, then read through one pointer. */
#include "kernels.h"
#include "latent/latent.h"
#include "space_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
static unsigned long long xgetbv0(void)
{
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
#endif

static const lt__kernels *const g_tables[LT_ISA_COUNT] = {
    &lt__table_scalar,
#ifdef LT_HAVE_AVX2
    &lt__table_avx2,
#else
    NULL,
#endif
#ifdef LT_HAVE_AVX512
    &lt__table_avx512,
#else
    NULL,
#endif
};
static const char *const g_names[LT_ISA_COUNT] = {"scalar", "avx2", "avx512"};

static int g_supported[LT_ISA_COUNT];
static lt_isa g_active;
static const lt__kernels *g_k = &lt__table_scalar;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_from_env;           /* LATENT_ISA chose the first ISA */
static char g_problem[160];      /* why LATENT_ISA was ignored, or "" */

static void detect(void)
{
    g_supported[LT_ISA_SCALAR] = 1;
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx) return;
    unsigned long long xcr0 = xgetbv0();
    int ymm_os = (xcr0 & 0x6) == 0x6;          /* SSE and AVX state */
    int zmm_os = (xcr0 & 0xe6) == 0xe6;        /* plus opmask and ZMM state */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return;
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1;
    g_supported[LT_ISA_AVX2] = g_tables[LT_ISA_AVX2] && ymm_os && avx2 && fma;
    g_supported[LT_ISA_AVX512] = g_tables[LT_ISA_AVX512] && zmm_os && avx512f && fma;
#endif
}

void lt__env_quote(char *dst, size_t len, const char *v)
{
    /* The value is whatever the environment holds: bounded, and control bytes
     * made visible, so the message stays one harmless line wherever it goes. */
    size_t o = 0, i = 0;
    for (; v[i] && i < 48 && o + 5 < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(dst + o, len - o, "\\x%02x", c);
        else dst[o++] = (char)c;
    }
    if (v[i] && o + 4 < len) o += (size_t)snprintf(dst + o, len - o, "...");
    dst[o < len ? o : len - 1] = '\0';
}

static void init(void)
{
    detect();
    lt_isa best = LT_ISA_SCALAR;
    for (int i = 0; i < LT_ISA_COUNT; i++)
        if (g_supported[i]) best = (lt_isa)i;
    const char *env = getenv("LATENT_ISA");
    if (env) {
        char q[64];
        lt__env_quote(q, sizeof q, env);
        int found = -1;
        for (int i = 0; i < LT_ISA_COUNT; i++)
            if (strcasecmp(env, g_names[i]) == 0) found = i;
        if (!*env)
            snprintf(g_problem, sizeof g_problem, "LATENT_ISA is empty (scalar|avx2|avx512|auto); using %s",
                     g_names[best]);
        else if (strcasecmp(env, "auto") == 0)
            ;
        else if (found < 0)
            snprintf(g_problem, sizeof g_problem, "LATENT_ISA=%s is unknown (scalar|avx2|avx512|auto); using %s", q,
                     g_names[best]);
        else if (!g_supported[found])
            snprintf(g_problem, sizeof g_problem, "LATENT_ISA=%s is not supported by this %s; using %s", q,
                     g_tables[found] ? "CPU" : "build", g_names[best]);
        else {
            best = (lt_isa)found;
            g_from_env = 1;
        }
    }
    g_active = best;
    g_k = g_tables[best];
    const char *dbg = getenv("LATENT_ISA_DEBUG");
    if (dbg && *dbg && strcmp(dbg, "0") != 0)
        fprintf(stderr, "liblatent: ISA %s (supported:%s%s%s)\n", g_names[best], " scalar",
                g_supported[LT_ISA_AVX2] ? " avx2" : "", g_supported[LT_ISA_AVX512] ? " avx512" : "");
}

void lt_env_get(lt_env *out)
{
    if (!out) return;
    pthread_once(&g_once, init);
    memset(out, 0, sizeof *out);
    out->isa = g_active;
    out->isa_from_env = g_from_env;
    snprintf(out->isa_problem, sizeof out->isa_problem, "%s", g_problem);
    lt__par_min_get(&out->par_min, &out->par_min_from_env, out->par_min_problem, sizeof out->par_min_problem);
}

const lt__kernels *lt__k(void)
{
    pthread_once(&g_once, init);
    return g_k;
}

static int heads_whole(const lt__kernels *k, size_t dh)
{
    return dh % k->vw == 0 || (k->half_heads && 2 * dh == k->vw);
}

const lt__kernels *lt__k_heads(const lt__kernels *k, size_t dh)
{
    if (heads_whole(k, dh)) return k;
    pthread_once(&g_once, init);
    for (int i = LT_ISA_COUNT - 1; i > 0; i--)
        if (g_supported[i] && g_tables[i]->vw <= k->vw && heads_whole(g_tables[i], dh)) return g_tables[i];
    return &lt__table_scalar;
}

lt_isa lt_isa_active(void)
{
    pthread_once(&g_once, init);
    return g_active;
}

const char *lt_isa_name(lt_isa isa)
{
    return (unsigned)isa < LT_ISA_COUNT ? g_names[isa] : NULL;
}

int lt_isa_supported(lt_isa isa)
{
    pthread_once(&g_once, init);
    return (unsigned)isa < LT_ISA_COUNT && g_supported[isa];
}

int lt_isa_select(lt_isa isa)
{
    pthread_once(&g_once, init);
    if ((unsigned)isa >= LT_ISA_COUNT) return LT_EINVAL;
    if (!g_supported[isa]) return LT_EUNSUPPORTED;
    g_active = isa;
    g_k = g_tables[isa];
    return LT_OK;
}
