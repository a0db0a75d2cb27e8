/* Peers (docs/PEERS.md): a liblatent case and a peer library's case of the same
 * workload, measured as a pair with ab's interleaved blocks, and the ratio of
 * each pair read back from the rows. */
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/gate.h"
#include "latentbench/stats.h"
#include "runner_internal.h"

#include <math.h>
#include <string.h>

void lb__peer_pairs(const lb_case_list *list, const unsigned char *skip, size_t *pair)
{
    for (size_t i = 0; i < list->count; i++) pair[i] = SIZE_MAX;
    for (size_t j = 0; j < list->count; j++) {
        const lb_case *p = &list->cases[j];
        if (lb_impl_parse(p->impl) == LB_IMPL_LIBLATENT || (skip && skip[j])) continue;
        /* the first liblatent case of this workload not yet paired, in list order */
        for (size_t i = 0; i < list->count; i++)
            if (pair[i] == SIZE_MAX && !(skip && skip[i]) &&
                lb_impl_parse(list->cases[i].impl) == LB_IMPL_LIBLATENT &&
                lb_case_same_workload(&list->cases[i], p)) {
                pair[i] = j;
                pair[j] = i;
                break;
            }
    }
}

int lb__measure_peer_pair(const lb_case *base, const lb_run_opts *o, const lb_latent *peer, const lb_dataset *ds,
                          const lb_cluster *cl, ab_case *r, int *remote, char *err, size_t errlen)
{
    lb_ab_opts ao;
    lb_ab_opts_init(&ao);
    ao.run = *o; /* the run's own warm-up and measurement time, its seed and memory limit */
    ao.candidate = peer;
    return lb__measure_ab(base, &ao, ds, cl, o->seed ^ lb__id_hash(base->id), r, remote, err, errlen);
}

/* The ratio of one pair: per round ln(peer / base) when both rows hold one
 * sample per round of the same rounds (a paired measurement), else the ratio
 * of the medians without an interval. */
static int pair_ratio(const lb_results *res, lb_peer_pair *p)
{
    size_t n = res->nsamples ? res->nsamples[p->peer] : 0;
    const lb_sample *a = res->samples ? res->samples[p->base] : NULL, *b = res->samples ? res->samples[p->peer] : NULL;
    int paired = n >= 2 && a && b && res->nsamples[p->base] == n;
    for (size_t j = 0; paired && j < n; j++)
        paired = a[j].round == j && b[j].round == j && a[j].ns_per_iter > 0 && b[j].ns_per_iter > 0;
    p->confidence = 0.99;
    p->ci_low = p->ci_high = NAN;
    p->rounds = 0;
    double mb = res->rows[p->base].median_ns, mp = res->rows[p->peer].median_ns;
    p->ratio = mb > 0 ? mp / mb : NAN;
    if (!paired) return LB_OK;
    double *x = lb_malloc(n * sizeof *x);
    if (!x) return LB_ENOMEM;
    for (size_t j = 0; j < n; j++) x[j] = log(b[j].ns_per_iter / a[j].ns_per_iter);
    lb_ab_row ab;
    memset(&ab, 0, sizeof ab);
    ab.threshold_pct = 10.0;
    int rc = lb_ab_judge(x, n, 1, p->confidence, &ab);
    lb_free(x);
    if (rc == LB_ENOMEM) return rc;
    if (rc) return LB_OK; /* no interval to give: the medians' ratio stands */
    p->ratio = ab.ratio;
    p->ci_low = ab.ratio_ci_low;
    p->ci_high = ab.ratio_ci_high;
    p->rounds = n;
    return LB_OK;
}

int lb_peer_pairs(const lb_results *res, lb_peer_pair **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!res->nrows) return LB_OK;
    unsigned char *taken = lb_calloc(res->nrows, 1);
    lb_peer_pair *pp = lb_calloc(res->nrows, sizeof *pp);
    if (!taken || !pp) {
        lb_free(taken);
        lb_free(pp);
        return LB_ENOMEM;
    }
    int rc = LB_OK;
    char why[2 * LB_NAME_LEN + 128];
    for (size_t j = 0; j < res->nrows && !rc; j++) {
        const lb_row *p = &res->rows[j];
        if (!p->impl[0] || !strcmp(p->impl, LB_IMPL_DEFAULT)) continue;
        for (size_t i = 0; i < res->nrows; i++) {
            const lb_row *b = &res->rows[i];
            if (taken[i] || (b->impl[0] && strcmp(b->impl, LB_IMPL_DEFAULT)) ||
                lb_gate_workload_differs(b, p, why, sizeof why))
                continue;
            taken[i] = 1;
            pp[*n].peer = j;
            pp[*n].base = i;
            rc = pair_ratio(res, &pp[*n]);
            ++*n;
            break;
        }
    }
    lb_free(taken);
    if (rc || !*n) {
        lb_free(pp);
        pp = NULL;
        if (rc) *n = 0;
    }
    *out = pp;
    return rc;
}
