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

static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || s[0] == '-') return 0;
    *out = (size_t)v;
    return 1;
}

int lb_cmd_verify(int argc, char **argv, const lb_cluster *cl, lb_latent *lt)
{
    const char *path = NULL, *metric_name = NULL, *lib = NULL;
    int sharded = 0;
    size_t k = 10;
    char err[LB_ERRLEN];
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--dataset") == 0 && i + 1 < argc) path = argv[++i];
        else if (strcmp(argv[i], "--k") == 0 && i + 1 < argc) {
            if (!parse_size(argv[++i], &k) || k == 0) {
                snprintf(err, sizeof err, "verify: --k must be a positive integer, got '%s'", argv[i]);
                lb_report(cl, err);
                return LB_EUSAGE;
            }
        } else if (strcmp(argv[i], "--metric") == 0 && i + 1 < argc) metric_name = argv[++i];
        else if (strcmp(argv[i], "--lib") == 0 && i + 1 < argc) lib = argv[++i];
        else if (strcmp(argv[i], "--shard") == 0 && i + 1 < argc) {
            const char *m = argv[++i];
            if (strcmp(m, "data") != 0 && strcmp(m, "none") != 0) {
                snprintf(err, sizeof err, "verify: --shard must be data or none, got '%s'", m);
                lb_report(cl, err);
                return LB_EUSAGE;
            }
            sharded = strcmp(m, "data") == 0;
        }
        else {
            snprintf(err, sizeof err, "verify: unknown option '%s'", argv[i]);
            lb_report(cl, err);
            return LB_EUSAGE;
        }
    }
    if (!path) {
        lb_report(cl, "verify: --dataset FILE is required");
        return LB_EUSAGE;
    }
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
    if (metric_name) {
        if (strcasecmp(metric_name, "euclidean") == 0) metric = LT_METRIC_EUCLIDEAN;
        else if (strcasecmp(metric_name, "cosine") == 0 || strcasecmp(metric_name, "angular") == 0)
            metric = LT_METRIC_COSINE;
        else {
            snprintf(err, sizeof err, "verify: --metric must be euclidean or cosine (angular), got '%s'", metric_name);
            lb_report(cl, err);
            lb_dataset_free(&ds);
            return LB_EUSAGE;
        }
    }
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
