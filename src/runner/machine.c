/* Run metadata: who ran what, where, with which build. */
#define _GNU_SOURCE
#include "latentbench/runner.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"

#include <omp.h>
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
    m->omp_threads = omp_get_max_threads();
    if (!m->tool_version || !m->git_commit || !m->created || !m->hostname || !m->machine || !m->compiler ||
        !m->build_type || !m->command_line || !m->library || !m->library_hash)
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
    const char *env = getenv("OMP_NUM_THREADS");
    int t;
    if (env && *env) {
        t = omp_get_max_threads();
        snprintf(msg, len, "threads: %d per rank (OMP_NUM_THREADS)", t);
    } else {
        t = (int)(mine / sharing);
        if (t < 1) t = 1;
        omp_set_num_threads(t);
        snprintf(msg, len, "threads: %d per rank (%ld cores in its affinity set, shared by %d rank%s of the node)", t,
                 mine, sharing, sharing == 1 ? "" : "s");
    }
    return t;
}
