/* latentbench: the benchmark harness's command line. Only main exits. */
#include "cli.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LB_VERSION
#define LB_VERSION "0.0.0"
#endif

static void usage(FILE *out)
{
    fputs("usage: latentbench COMMAND [OPTIONS]\n"
          "\n"
          "commands:\n"
          "  list    [--suite NAME|FILE]... [--filter REGEX]\n"
          "  run     [--suite NAME|FILE]... [--filter REGEX] [-o results.h5] [--quick]\n"
          "          [--warm-up-time S] [--measurement-time S] [--sample-size N] [--budget S]\n"
          "          [--rounds N] [--seed N] [--dataset ann-benchmarks.h5] [--quiet]\n"
          "          [--shard matrix|data|none] [--node-concurrency N] [--max-memory SIZE]\n"
          "          [--scaling-reference R.h5 [--weak-scaling]]\n"
          "          [--baseline B.h5 [--config regression_config.toml] [--history H.h5]...]\n"
          "          [--lib liblatent.so]\n"
          "  ab      --baseline-lib A.so --candidate-lib B.so [--suite NAME|FILE]... [--filter REGEX]\n"
          "          [--config C.toml] [--threshold PCT] [-o ab.h5] [--report report.md] [--quick]\n"
          "          [--warm-up-time S] [--measurement-time S] [--block-ms MS] [--order abba|random]\n"
          "          [--confidence C] [--seed N] [--node-concurrency N] [--quiet]\n"
          "          (two builds measured interleaved in one process; exit codes as compare)\n"
          "  compare BASELINE.h5 CURRENT.h5 [--config C.toml] [--threshold PCT] [--report report.md]\n"
          "          [--strict-machine] [--history EARLIER.h5]...\n"
          "  report  RESULTS.h5 [--baseline B.h5] [--config C.toml] [--format md|json|csv|toml|gbench] [-o FILE]\n"
          "          | --format html -o DIR [--history DIR] [-- options of analysis/report.py]\n"
          "  baseline save RESULTS.h5 [--name NAME] | list [--all] | show [NAME] [--path-only] | prune [--keep N]\n"
          "           | notify --results R --baseline B | config      [--dir D] [--config C.toml]\n"
          "  verify  --dataset ann-benchmarks.h5 [--k K] [--metric M] [--shard data] [--lib liblatent.so]\n"
          "\n"
          "suites: latency throughput memory matrix critical_path attention_comparison\n"
          "        distance_comparison flash_attention ci all (default: ci), or a suite file\n"
          "run under mpirun/srun for many ranks; alone it runs single-node.\n"
          "exit: 0 ok (compare / run --baseline: no significant change), 1 regression or verification\n"
          "      failed, 2 improvements and no regression, 64 usage, 65 bad input data, 66 missing input,\n"
          "      70 internal error, 74 I/O error writing\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? lb_exit_code(LB_EUSAGE) : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        char err[512];
        lb_latent lt;
        if (lb_latent_open(NULL, &lt, err, sizeof err) == LB_OK) {
            printf("latentbench %s (liblatent %s, %s)\n", LB_VERSION, lt.version_string(), lt.path);
            lb_latent_close(&lt);
        } else
            printf("latentbench %s (liblatent not loaded: %s)\n", LB_VERSION, err);
        return 0;
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }

    /* the command line as typed, for the results file */
    char cmdline[2048] = "";
    for (int i = 0; i < argc; i++) {
        size_t used = strlen(cmdline);
        snprintf(cmdline + used, sizeof cmdline - used, "%s%s", i ? " " : "", argv[i]);
    }

    lb_cluster cl;
    lb_latent lt; /* loaded by the commands that measure; closed at exit */
    memset(&lt, 0, sizeof lt);
    if (lb_cluster_init(&argc, &argv, &cl) != LB_OK) {
        fprintf(stderr, "latentbench: MPI could not start\n");
        return lb_exit_code(LB_EINTERNAL);
    }
    /* Ranks that share a node's cores must not each start a thread per core */
    char threads[256];
    lb_threads_decide(&cl, threads, sizeof threads);
    const char *cmd = argv[1];
    int rc;
    if (strcmp(cmd, "list") == 0) rc = lb_cmd_list(argc - 2, argv + 2, &cl);
    else if (strcmp(cmd, "run") == 0) rc = lb_cmd_run(argc - 2, argv + 2, &cl, cmdline, threads, &lt);
    else if (strcmp(cmd, "verify") == 0) rc = lb_cmd_verify(argc - 2, argv + 2, &cl, &lt);
    else if (strcmp(cmd, "ab") == 0) rc = lb_cmd_ab(argc - 2, argv + 2, &cl, cmdline, &lt);
    else if (strcmp(cmd, "compare") == 0) rc = lb_cmd_compare(argc - 2, argv + 2, &cl);
    else if (strcmp(cmd, "report") == 0) rc = lb_cmd_report(argc - 2, argv + 2, &cl);
    else if (strcmp(cmd, "baseline") == 0) rc = lb_cmd_baseline(argc - 2, argv + 2, &cl, &lt);
    else {
        if (cl.rank == 0) {
            fprintf(stderr, "latentbench: unknown command '%s'\n", cmd);
            usage(stderr);
        }
        rc = LB_EUSAGE;
    }
    lb_cluster_finalize(&cl);
    /* Tests set this: every allocation of the harness and of liblatent must be
     * returned by now (MPI's own allocations are outside both allocators). */
    const char *check = getenv("LATENTBENCH_CHECK_LEAKS");
    if (check && *check && strcmp(check, "0") != 0) {
        size_t lb_left = lb_alloc_current(), lt_left = lt.handle ? lt.mem_stats_get().current_bytes : 0;
        if (lb_left || lt_left) {
            lb_latent_close(&lt);
            fprintf(stderr, "latentbench: leak: %zu bytes of the harness and %zu of liblatent still held at exit\n",
                    lb_left, lt_left);
            return lb_exit_code(LB_EINTERNAL);
        }
    }
    lb_latent_close(&lt);
    return rc >= 0 ? rc : lb_exit_code(rc);
}
