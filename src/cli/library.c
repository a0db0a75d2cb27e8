/* Which build of liblatent a command measures: --lib PATH, or the default. */
#include "cli.h"
#include "latentbench/error.h"

#include <stdio.h>

int lb_cli_open_latent(const lb_cluster *cl, const char *path, lb_latent *lt, char *err, size_t errlen)
{
    if (lt->handle) return LB_OK; /* a command that runs twice in one process keeps its build */
    int rc = lb_latent_open(path, lt, err, errlen);
    int failed = -1;
    int all = lb_cluster_agree_status(cl, rc, &failed);
    if (all && !rc) { /* another rank could not load it: its reason for everyone */
        lb_latent_close(lt);
        err[0] = '\0';
    }
    if (all) lb_cluster_bcast(cl, failed < 0 ? 0 : failed, err, errlen);
    /* invalid LATENT_ISA / LATENT_PAR_MIN: said once, even when ab loads two builds */
    static int warned;
    if (!all && cl->rank == 0 && !warned && lt->env_get) {
        lb_knobs_warn(lt, stderr);
        warned = 1;
    }
    return all;
}
