/* list: the expanded benchmark ids of the chosen suites, one per line. */
#include "cli.h"
#include "latentbench/error.h"
#include "latentbench/suite.h"

#include <stdio.h>
#include <string.h>

static const lb_opt list_table[] = {
    LB_OPT_SN("--suite", 64, "NAME|FILE", "a suite name or suite file (default: ci)"),
    LB_OPT_S("--filter", NULL, "REGEX", "only the benchmark ids this extended regex matches"),
};

const lb_cmd_spec lb_spec_list = {
    "list", "[OPTIONS]", "print the benchmark ids of the suites",
    "Prints the expanded benchmark ids of the suites, one per line, after checking every case as run\n"
    "would (a suite that list accepts does not fail in run for its sizes).",
    list_table, LB_NOPTS(list_table), 0, 0, 0};

int lb_check_list(const lb_args *a, char *err, size_t errlen)
{
    (void)a, (void)err, (void)errlen;
    return LB_OK;
}

int lb_cmd_list(const lb_args *a, const lb_cluster *cl)
{
    const char *suites[64];
    size_t nsuites = lb_args_all(a, "--suite", suites, 64);
    const char *filter = lb_args_str(a, "--filter", NULL);
    char err[LB_ERRLEN];
    if (nsuites == 0) suites[nsuites++] = "ci";
    lb_case_list list = {0};
    int rc = LB_OK;
    for (size_t s = 0; s < nsuites && !rc; s++) rc = lb_suite_load(suites[s], filter, &list, err, sizeof err);
    if (rc) lb_report(cl, err);
    else if (cl->rank == 0)
        for (size_t i = 0; i < list.count; i++) printf("%s\n", list.cases[i].id);
    lb_case_list_free(&list);
    return rc;
}
