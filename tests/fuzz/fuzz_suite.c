/* Fuzz target of the suite reader: suite files come with pull requests, so
 * any bytes must give a case list or one error line, never a crash or a leak.
 * The input is a suite file (includes resolve against bench/ as in a run). */
#include <stdint.h>
#include <string.h>

#include "fuzz_file.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/suite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = lb_fuzz_write_file("input.toml", data, size);
    size_t before = lb_alloc_current();
    lb_case_list list = {0};
    char err[1024] = "";
    int rc = lb_suite_load(path, NULL, &list, err, sizeof err);
    if (rc == LB_OK) {
        for (size_t i = 0; i < list.count; i++)
            if (memchr(list.cases[i].id, '\0', sizeof list.cases[i].id) == NULL)
                lb_fuzz_fail("fuzz_suite", "a case id is not terminated", NULL);
    } else if (rc != LB_EDATA && rc != LB_ENOINPUT) {
        /* ENOINPUT: an include naming a suite that does not exist. */
        lb_fuzz_fail("fuzz_suite", "unexpected error code", err);
    } else if (!err[0] || strchr(err, '\n')) {
        lb_fuzz_fail("fuzz_suite", "the error is not one line", err);
    }
    lb_case_list_free(&list);
    if (lb_alloc_current() != before) lb_fuzz_fail("fuzz_suite", "memory leaked", NULL);
    return 0;
}
