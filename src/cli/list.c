/* list: the expanded benchmark ids of the chosen suites, one per line. */
#include "cli.h"
#include "latentbench/error.h"
#include "latentbench/suite.h"

#include <stdio.h>
#include <string.h>

int lb_cmd_list(int argc, char **argv, const lb_cluster *cl)
{
    const char *suites[64];
    size_t nsuites = 0;
    const char *filter = NULL;
    char err[LB_ERRLEN];
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--suite") == 0 && i + 1 < argc) {
            if (nsuites == 64) { lb_report(cl, "list: at most 64 --suite options"); return LB_EUSAGE; }
            suites[nsuites++] = argv[++i];
        } else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc) filter = argv[++i];
        else {
            snprintf(err, sizeof err, "list: unknown option '%s'", argv[i]);
            lb_report(cl, err);
            return LB_EUSAGE;
        }
    }
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
