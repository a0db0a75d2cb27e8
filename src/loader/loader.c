/* Loading one build of liblatent (latentbench/loader.h). */
#define _GNU_SOURCE
#include "latentbench/loader.h"
#include "latentbench/error.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef LB_LATENT_SONAME
#define LB_LATENT_SONAME "liblatent.so.0"
#endif
#ifndef LB_INSTALL_LIBDIR
#define LB_INSTALL_LIBDIR "lib"
#endif

long lb_omp_threads_parse(const char *v)
{
    if (!v || !*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 9) return 0;
    long n = strtol(v, NULL, 10), cap = sysconf(_SC_NPROCESSORS_ONLN);
    if (cap < LB_OMP_THREADS_MAX) cap = LB_OMP_THREADS_MAX;
    return n >= 1 && n <= cap ? n : 0;
}

/* FNV-1a 64 over the file: a name for the build that does not depend on
 * where it was copied (two copies of one build hash alike). */
static int file_hash(const char *path, uint64_t *size, char hex[17])
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    uint64_t h = 0xcbf29ce484222325ULL, n = 0;
    unsigned char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < got; i++) h = (h ^ buf[i]) * 0x100000001b3ULL;
        n += got;
    }
    int ok = !ferror(f);
    fclose(f);
    *size = n;
    snprintf(hex, 17, "%016llx", (unsigned long long)h);
    return ok;
}

/* The default build: beside the binary (a build tree), or in the installed
 * library directory beside bin/. */
static int default_path_of(const char *env_name, const char *file, char *out, size_t len)
{
    const char *env = getenv(env_name);
    if (env && *env) {
        snprintf(out, len, "%s", env);
        return 1;
    }
    char exe[PATH_MAX - 64]; /* room for the library's name after it */
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return 0;
    *slash = '\0';
    const char *cands[] = {"%s/%s", "%s/../" LB_INSTALL_LIBDIR "/%s"};
    for (size_t i = 0; i < sizeof cands / sizeof *cands; i++)
        if ((size_t)snprintf(out, len, cands[i], exe, file) < len && access(out, F_OK) == 0) return 1;
    return (size_t)snprintf(out, len, "%s/%s", exe, file) < len; /* reported as missing */
}

static int default_path(char *out, size_t len) { return default_path_of("LATENTBENCH_LIB", LB_LATENT_SONAME, out, len); }

int lb_latent_open(const char *path, lb_latent *lt, char *err, size_t errlen)
{
    memset(lt, 0, sizeof *lt);
    char want[PATH_MAX];
    if (path) snprintf(want, sizeof want, "%s", path);
    else if (!default_path(want, sizeof want))
        return lb_errorf(err, errlen, LB_ENOINPUT, "liblatent: cannot locate the running binary to find the library");
    struct stat st;
    if (stat(want, &st) != 0)
        return lb_errorf(err, errlen, errno == ENOENT ? LB_ENOINPUT : LB_EIO, "%s: %s", want, strerror(errno));
    if (!S_ISREG(st.st_mode)) return lb_errorf(err, errlen, LB_EDATA, "%s: not a regular file", want);
    if (!realpath(want, lt->path)) snprintf(lt->path, sizeof lt->path, "%s", want);
    /* a path with a slash: dlopen takes this file, never a search-path namesake */
    char open_as[PATH_MAX + 2];
    snprintf(open_as, sizeof open_as, "%s%s", strchr(lt->path, '/') ? "" : "./", lt->path);
    /* The OpenMP runtime arrives with the library and reads OMP_NUM_THREADS
     * once, now: never let it see a value it would complain about or act on
     * (a million threads). lb_threads_decide has already replaced one with
     * a warning on the commands that measure; this covers every other path. */
    const char *omp = getenv("OMP_NUM_THREADS");
    if (omp && !lb_omp_threads_parse(omp)) unsetenv("OMP_NUM_THREADS");
    /* RTLD_NODELETE: closing never unmaps it. Its OpenMP runtime came with it,
     * and that runtime's idle worker threads live until the process exits:
     * unmapping their code under them crashes them at exit (seen under
     * LeakSanitizer's exit scan). */
    lt->handle = dlopen(open_as, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!lt->handle) {
        const char *why = dlerror();
        return lb_errorf(err, errlen, LB_EDATA, "%s: not a loadable library (%s)", want, why ? why : "dlopen failed");
    }
#define LB__RESOLVE(ret, name, params)                                                                     \
    if (!(*(void **)&lt->name = dlsym(lt->handle, "lt_" #name))) {                                         \
        int rc_ = lb_errorf(err, errlen, LB_EDATA, "%s: the library lacks the symbol lt_" #name, want);    \
        lb_latent_close(lt);                                                                               \
        return rc_;                                                                                        \
    }
    LB_LATENT_API(LB__RESOLVE)
#undef LB__RESOLVE
#define LB__RESOLVE_OPTIONAL(ret, name, params) *(void **)&lt->name = dlsym(lt->handle, "lt_" #name);
    LB_LATENT_API_OPTIONAL(LB__RESOLVE_OPTIONAL)
#undef LB__RESOLVE_OPTIONAL
    if (!file_hash(lt->path, &lt->size, lt->hash)) {
        int rc = lb_errorf(err, errlen, LB_EIO, "%s: cannot read it back", want);
        lb_latent_close(lt);
        return rc;
    }
    return LB_OK;
}

void lb_latent_close(lb_latent *lt)
{
    if (lt && lt->handle) dlclose(lt->handle);
    if (lt) memset(lt, 0, sizeof *lt);
}

int lb_peer_open(const char *path, lb_latent *lt, char *err, size_t errlen)
{
    char want[PATH_MAX];
    if (!path) {
        if (!default_path_of("LATENTBENCH_PEER_LIB", LB_PEER_FILE, want, sizeof want))
            return lb_errorf(err, errlen, LB_ENOINPUT, "peers: cannot locate the running binary to find %s",
                             LB_PEER_FILE);
        struct stat st;
        const char *env = getenv("LATENTBENCH_PEER_LIB");
        if (!(env && *env) && stat(want, &st) != 0)
            return lb_errorf(err, errlen, LB_ENOINPUT,
                             "peers: %s: no such file: this build has no FAISS peer (configured without FAISS; "
                             "docs/PEERS.md) or give --peer-lib", want);
    }
    int rc = lb_latent_open(path ? path : want, lt, err, errlen);
    if (!rc && !lt->peer_describe) {
        rc = lb_errorf(err, errlen, LB_EDATA, "%s: not a peer library (it lacks lt_peer_describe)", lt->path);
        lb_latent_close(lt);
    }
    return rc;
}
