/* Replays fuzz inputs through a target's LLVMFuzzerTestOneInput without
 * libFuzzer, so any compiler builds it: ctest runs the committed corpus and
 * every saved regression input in the Release and sanitizer builds.
 *
 * usage: fuzz_replay_<target> FILE_OR_DIR...  (a directory: its files, sorted)
 * Exit 0 when every input passed; a failing input aborts (its name is printed
 * first). A directory that does not exist counts as empty. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_file.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static long g_count;

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        exit(66);
    }
    /* Inputs are small (libFuzzer's default -max_len is 4096; seeds a few tens of KB). */
    size_t cap = 1 << 16, n = 0;
    /* Plain malloc: the driver's memory stays out of lb_alloc_current(), which the targets check. */
    uint8_t *buf = malloc(cap);
    for (size_t r; buf && (r = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += r;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        exit(70);
    }
    fprintf(stderr, "replay: %s\n", path);
    /* An exact-size copy, so a read past the input's end is a sanitizer error. */
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    g_count++;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return;
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d) return;
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue; /* ., .., and .gitkeep-style placeholders */
        if (n == cap) names = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", path, names[i]);
        run_path(p);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) run_path(argv[i]);
    printf("replay: %ld inputs passed\n", g_count);
    return 0;
}
