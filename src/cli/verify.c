/* verify: recall@k of liblatent's exact search against an ann-benchmarks
 * file's ground truth. Exact search reaches 1.0 except where the k-th and
 * (k+1)-th true distances tie; such ties are counted as hits. With --shard
 * data each rank reads and searches its slice of the train rows and the
 * top-k lists are merged on rank 0 (latentbench/cluster.h). */
#include "cli.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"

#include <latent/latent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const lb_opt verify_table[] = {
    LB_OPT_S("--dataset", NULL, "FILE", "the ann-benchmarks HDF5 file (train, test, neighbors, distances); required"),
    LB_OPT_U("--k", 1, 100000, "K", "neighbours per query, at most the file's neighbors columns (default 10)"),
    LB_OPT_C("--metric", "euclidean|cosine|angular", "the metric (default: the file's distance attribute)"),
    LB_OPT_C("--shard", "data|none", "data: each rank searches its slice of the rows, lists merged (default none)"),
    LB_OPT_S("--lib", NULL, "FILE", "the build of liblatent to check (default: the one beside latentbench)"),
};

const lb_cmd_spec lb_spec_verify = {
    "verify", "--dataset FILE [OPTIONS]", "recall@k of the exact search against an ann-benchmarks file",
    "Searches the file's test vectors among its train vectors with liblatent's exact kNN and compares\n"
    "with the file's ground truth. Exit 0 at recall 1.0, 1 below it.",
    verify_table, LB_NOPTS(verify_table), 0, 0, 0};

int lb_check_verify(const lb_args *a, char *err, size_t errlen)
{
    if (!lb_args_str(a, "--dataset", NULL)) return lb_errorf(err, errlen, LB_EUSAGE, "verify: --dataset FILE is required");
    return LB_OK;
}

int lb_cmd_verify(const lb_args *a, const lb_cluster *cl, lb_latent *lt)
{
    char err[LB_ERRLEN];
    if (lb_check_verify(a, err, sizeof err)) {
        lb_report(cl, err);
        return LB_EUSAGE;
    }
    const char *path = lb_args_str(a, "--dataset", NULL), *lib = lb_args_str(a, "--lib", NULL);
    size_t k = (size_t)lb_args_uint(a, "--k", 10);
    int sharded = lb_args_uint(a, "--shard", 1) == 0;
    int metric_given = lb_args_count(a, "--metric") > 0;
    uint64_t metric_choice = lb_args_uint(a, "--metric", 0);
    int rc = lb_cli_open_latent(cl, lib, lt, err, sizeof err);
    if (rc) {
        lb_report(cl, err);
        return rc;
    }
    lb_dataset ds;
    rc = sharded ? lb_dataset_read_part(path, (size_t)cl->rank, (size_t)cl->size, &ds, err, sizeof err)
                     : lb_dataset_read(path, &ds, err, sizeof err);
    int failed = -1, read_ok = rc == LB_OK;
    rc = lb_cluster_agree_status(cl, rc, &failed);
    if (rc) {
        if (sharded) lb_cluster_bcast(cl, failed, err, sizeof err);
        lb_report(cl, err);
        if (read_ok) lb_dataset_free(&ds);
        return rc;
    }
    lt_metric metric = strcmp(ds.distance, "angular") == 0 ? LT_METRIC_COSINE : LT_METRIC_EUCLIDEAN;
    if (metric_given) metric = metric_choice == 0 ? LT_METRIC_EUCLIDEAN : LT_METRIC_COSINE;
    if (k > ds.kn) {
        snprintf(err, sizeof err, "%s: neighbors has %zu columns, fewer than --k %zu", path, ds.kn, k);
        lb_report(cl, err);
        lb_dataset_free(&ds);
        return LB_EDATA;
    }
    lt_config cfg = lt->config_default(ds.d);
    cfg.metric = metric;
    lt_space *s = NULL;
    uint64_t *ids = NULL;
    lt_neighbor *nb = lb_malloc(ds.q * k * sizeof *nb);
    size_t *found = lb_malloc(ds.q * sizeof *found);
    if (ds.n) ids = lb_malloc(ds.n * sizeof *ids); /* global row numbers: the ground truth's ids */
    for (size_t r = 0; ids && r < ds.n; r++) ids[r] = ds.row0 + r;
    int lrc = 0;
    if (!nb || !found || (ds.n && !ids)) rc = LB_ENOMEM;
    else if ((lrc = lt->space_create(&cfg, &s)) || (ds.n && (lrc = lt->space_add_batch(s, ds.train, ds.n, ids))) ||
             (lrc = lt->space_knn_batch(s, ds.test, ds.q, k, nb, found)))
        rc = lrc == LT_ENONFINITE ? LB_EDATA : LB_EINTERNAL;
    if (!rc && sharded) { /* every rank's lists, merged on rank 0 */
        for (size_t q = 0; q < ds.q; q++) lb_knn_pad(nb + q * k, found[q], k);
        rc = lb_cluster_knn_merge(cl, nb, ds.q, k, found, NULL);
    }
    if (rc) snprintf(err, sizeof err, "%s: %s", path, lrc ? lt->strerror(lrc) : lb_strerror(rc));
    rc = lb_cluster_agree_status(cl, rc, &failed);
    if (rc) {
        if (sharded) lb_cluster_bcast(cl, failed, err, sizeof err);
        lb_report(cl, err);
        lt->space_destroy(s);
        lb_free(ids); lb_free(nb); lb_free(found); lb_dataset_free(&ds);
        return rc;
    }
    /* a hit: the returned id is among the true k, or it ties the true k-th
     * distance (within 1e-3 relative): exact search reaches 1.0 but for ties */
    size_t hits = 0;
    for (size_t q = 0; q < ds.q; q++) {
        const int32_t *truth = ds.neighbors + q * ds.kn;
        double kth = ds.distances[q * ds.kn + k - 1];
        for (size_t j = 0; j < found[q]; j++) {
            const lt_neighbor *got = &nb[q * k + j];
            int hit = 0;
            for (size_t t = 0; t < k && !hit; t++) hit = truth[t] >= 0 && (uint64_t)truth[t] == got->id;
            if (!hit) hit = fabs((double)got->distance - kth) <= 1e-3 * fmax(1.0, fabs(kth));
            hits += (size_t)hit;
        }
    }
    double recall = (double)hits / (double)(ds.q * k);
    if (sharded) lb_cluster_bcast(cl, 0, &recall, sizeof recall); /* rank 0 holds the merged answer */
    if (cl->rank == 0)
        printf("%s: recall@%zu = %.6f (%zu queries, %zu train vectors%s, d = %zu, %s)\n", path, k, recall, ds.q,
               ds.n_total, sharded ? " over the ranks" : "", ds.d, metric == LT_METRIC_COSINE ? "cosine" : "euclidean");
    lt->space_destroy(s);
    lb_free(ids); lb_free(nb); lb_free(found); lb_dataset_free(&ds);
    if (recall < 1.0) {
        snprintf(err, sizeof err, "%s: recall@%zu %.6f is below 1.0", path, k, recall);
        lb_report(cl, err);
        return LB_EVERIFY;
    }
    return LB_OK;
}
