/* Scratch files for the fuzz targets (see fuzz_file.h). */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_dir[4096];

static void remove_dir(void)
{
    /* Only the files this process wrote live there; a name is reused per input. */
    static const char *const names[] = {"input.toml", "config.toml", "results.h5", "dataset.h5", NULL};
    char p[4200];
    for (const char *const *n = names; *n; n++) {
        snprintf(p, sizeof p, "%s/%s", g_dir, *n);
        unlink(p);
    }
    rmdir(g_dir);
}

const char *lb_fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
    static char path[4200];
    if (!g_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(g_dir, sizeof g_dir, "%s/lbfuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(g_dir)) lb_fuzz_fail("fuzz", "cannot make a scratch directory", g_dir);
        atexit(remove_dir);
    }
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) lb_fuzz_fail("fuzz", "cannot write the scratch file", path);
    for (size_t off = 0; off < size;) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) lb_fuzz_fail("fuzz", "cannot write the scratch file", path);
        off += (size_t)w;
    }
    close(fd);
    return path;
}

void lb_fuzz_fail(const char *target, const char *why, const char *detail)
{
    fprintf(stderr, "%s: %s%s%s\n", target, why, detail ? ": " : "", detail ? detail : "");
    abort();
}
