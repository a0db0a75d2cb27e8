/* Fuzz target of the command-line parser: the input's NUL-separated pieces
 * are the arguments after "latentbench". Any command line must parse (LB_OK)
 * or give one usage line (LB_EUSAGE), without running anything, starting MPI
 * or touching a file, and without leaking. */
#include <stdint.h>
#include <string.h>

#include "cli.h"
#include "fuzz_file.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"

#define MAX_ARGS 64

static char *copy(const char *s, size_t len)
{
    char *p = lb_malloc(len + 1);
    if (!p) lb_fuzz_fail("fuzz_cli", "out of memory", NULL);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Each argument its own exact-size copy, so reading past one is caught. */
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = copy("latentbench", 11);
    for (size_t i = 0; i < size && argc <= MAX_ARGS;) {
        const uint8_t *end = memchr(data + i, '\0', size - i);
        size_t len = end ? (size_t)(end - (data + i)) : size - i;
        argv[argc++] = copy((const char *)data + i, len);
        i += len + 1;
    }
    argv[argc] = NULL;
    size_t before = lb_alloc_current();
    char err[1024];
    int rc = lb_cli_parse_only(argc, argv, err, sizeof err);
    if (rc == LB_EUSAGE) {
        if (!err[0] || strchr(err, '\n')) lb_fuzz_fail("fuzz_cli", "the usage error is not one line", err);
    } else if (rc != LB_OK) {
        lb_fuzz_fail("fuzz_cli", "unexpected error code", err);
    }
    if (lb_alloc_current() != before) lb_fuzz_fail("fuzz_cli", "memory leaked", NULL);
    for (int k = 0; k < argc; k++) lb_free(argv[k]);
    return 0;
}
