/* Run metadata: who ran what, where, with which build. */
#define _GNU_SOURCE
#include "latentbench/runner.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/text.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>

/* the commit being built, written at build time (cmake/build_info.cmake) */
extern const char lb_build_commit[];
#ifndef LB_BUILD_TYPE
#define LB_BUILD_TYPE "unknown"
#endif
#ifndef LB_VERSION
#define LB_VERSION "0.0.0"
#endif

void lb_host_info(char *host, size_t len, long *cores)
{
    if (gethostname(host, len) != 0) snprintf(host, len, "unknown");
    host[len - 1] = '\0';
    cpu_set_t set;
    *cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
}

unsigned long long lb_rss_peak_bytes(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (unsigned long long)ru.ru_maxrss * 1024ull : 0;
}

static void cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *v = strchr(line, ':');
            if (v) {
                v++;
                while (*v == ' ') v++;
                snprintf(buf, len, "%s", v);
                buf[strcspn(buf, "\n")] = '\0';
            }
            break;
        }
    }
    fclose(f);
}

/* The thread count lb_threads_decide chose, and how: process-wide facts of the
 * environment the OpenMP runtime reads, like the environment itself. */
static int g_threads;
static int g_threads_from_env;
static int g_threads_env_ignored;

void lb_knobs_describe(const lb_latent *lt, char *buf, size_t len)
{
    lt_env e;
    memset(&e, 0, sizeof e);
    int have = lt && lt->env_get;
    if (have) lt->env_get(&e);
    size_t o = 0;
    if (have)
        o += (size_t)snprintf(buf, len, "LATENT_ISA=%s%s LATENT_PAR_MIN=%zu%s ", lt->isa_name(e.isa),
                              e.isa_from_env ? "" : e.isa_problem[0] ? " (auto, invalid setting ignored)" : " (auto)",
                              e.par_min,
                              e.par_min_from_env ? ""
                              : e.par_min_problem[0] ? " (default, invalid setting ignored)"
                                                     : " (default)");
    else if (lt && lt->handle)
        o += (size_t)snprintf(buf, len, "LATENT_ISA=%s ", lt->isa_name(lt->isa_active()));
    if (o >= len) o = len - 1;
    snprintf(buf + o, len - o, "OMP_NUM_THREADS=%d%s", g_threads ? g_threads : 1,
             g_threads_from_env ? "" : g_threads_env_ignored ? " (auto, invalid setting ignored)" : " (auto)");
}

void lb_knobs_warn(const lb_latent *lt, FILE *out)
{
    if (!lt || !lt->env_get) return;
    lt_env e;
    lt->env_get(&e);
    char clean[sizeof e.isa_problem * 4];
    /* liblatent bounds and escapes the value; sanitised again as any text from outside */
    if (e.isa_problem[0])
        fprintf(out, "latentbench: warning: %s\n", lb_sanitize(clean, sizeof clean, e.isa_problem));
    if (e.par_min_problem[0])
        fprintf(out, "latentbench: warning: %s\n", lb_sanitize(clean, sizeof clean, e.par_min_problem));
}

int lb_meta_fill(lb_meta *m, const lb_cluster *cl, const char *command_line, const lb_latent *lt)
{
    char host[LB_HOST_LEN], cpu[256], machine[384], created[32];
    long cores;
    lb_host_info(host, sizeof host, &cores);
    cpu_model(cpu, sizeof cpu);
    /* the fingerprint: what makes timings comparable (not the hostname); the
     * machine's cores, not this rank's share, so that single-node and MPI
     * runs on one machine match */
    (void)cores;
    snprintf(machine, sizeof machine, "%s; %ld cores; %s", cpu, sysconf(_SC_NPROCESSORS_ONLN),
             lt ? lt->isa_name(lt->isa_active()) : "unknown SIMD");
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    memset(m, 0, sizeof *m);
    m->schema_version = LB_SCHEMA_VERSION;
    m->tool_version = lb_strdup(LB_VERSION);
    m->git_commit = lb_strdup(lb_build_commit);
    m->created = lb_strdup(created);
    m->hostname = lb_strdup(host);
    m->machine = lb_strdup(machine);
    m->compiler = lb_strdup("gcc " __VERSION__);
    m->build_type = lb_strdup(LB_BUILD_TYPE);
    m->command_line = lb_strdup(command_line);
    m->library = lb_strdup(lt ? lt->path : "");
    m->library_hash = lb_strdup(lt ? lt->hash : "");
    m->library_size = lt ? (int64_t)lt->size : 0;
    m->mpi_ranks = cl->size;
    m->omp_threads = g_threads ? g_threads : 1;
    char knobs[256];
    lb_knobs_describe(lt, knobs, sizeof knobs);
    m->knobs = lb_strdup(knobs);
    if (!m->tool_version || !m->git_commit || !m->created || !m->hostname || !m->machine || !m->compiler ||
        !m->build_type || !m->command_line || !m->library || !m->library_hash || !m->knobs)
        return LB_ENOMEM;
    return LB_OK;
}

int lb_threads_decide(const lb_cluster *cl, char *msg, size_t len)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    long mine = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
    if (mine < 1) mine = 1;
    /* collective over the node even when the answer is not needed, so every
     * rank makes the same calls */
    int sharing = lb_cluster_node_overlap(cl, &set, sizeof set);
    long fair = mine / sharing;
    if (fair < 1) fair = 1;
    const char *env = getenv("OMP_NUM_THREADS");
    /* The harness does not link the OpenMP runtime: liblatent loads it, and
     * it reads OMP_NUM_THREADS then. So the value is checked here, before the
     * library is loaded, and what the runtime reads is always a valid count:
     * the user's, or the fair share. More than this is a typo, not a run
     * (each thread is created at the first parallel region). */
    long cap = sysconf(_SC_NPROCESSORS_ONLN);
    if (cap < LB_OMP_THREADS_MAX) cap = LB_OMP_THREADS_MAX;
    int t = (int)fair;
    g_threads_from_env = g_threads_env_ignored = 0;
    if (env) {
        long v = lb_omp_threads_parse(env);
        if (v) {
            t = (int)v;
            g_threads_from_env = 1;
        } else {
            g_threads_env_ignored = 1;
            if (cl->rank == 0) {
                char raw[64], clean[256];
                snprintf(raw, sizeof raw, "%.48s%s", env, strlen(env) > 48 ? "..." : "");
                if (*env)
                    fprintf(stderr, "latentbench: warning: OMP_NUM_THREADS=%s is not a thread count (1 to %ld); "
                            "using %d\n", lb_sanitize(clean, sizeof clean, raw), cap, t);
                else
                    fprintf(stderr, "latentbench: warning: OMP_NUM_THREADS is empty (a thread count, 1 to %ld); "
                            "using %d\n", cap, t);
            }
        }
    }
    char val[24];
    snprintf(val, sizeof val, "%d", t);
    setenv("OMP_NUM_THREADS", val, 1);
    g_threads = t;
    if (g_threads_from_env)
        snprintf(msg, len, "threads: %d per rank (OMP_NUM_THREADS)", t);
    else
        snprintf(msg, len, "threads: %d per rank (%ld core%s in its affinity set, shared by %d rank%s of the node)", t,
                 mine, mine == 1 ? "" : "s", sharing, sharing == 1 ? "" : "s");
    return t;
}
