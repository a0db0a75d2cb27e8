/* latentbench: the benchmark harness's command line. Only main exits.
 *
 * The whole command line is parsed and checked first; MPI starts afterwards,
 * and only for the commands that measure (run, ab, verify) or when an MPI
 * launcher started this process: --help, a usage error, list, report, compare
 * and baseline answer at once, without MPI's start-up (and its wait on name
 * resolution on some hosts). */
#include "cli.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LB_VERSION
#define LB_VERSION "0.0.0"
#endif

/* The variables MPI launchers set in the processes they start (Open MPI,
 * MPICH's Hydra and PMI, PMIx as under srun). */
static const char *env_any(const char *const *names)
{
    for (; *names; names++) {
        const char *v = getenv(*names);
        if (v && *v) return v;
    }
    return NULL;
}

static int launcher_rank(void)
{
    static const char *const names[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", NULL};
    const char *v = env_any(names);
    return v ? atoi(v) : -1;
}

/* 1 when a launcher started this process as one of several ranks. */
static int launched(void)
{
    static const char *const any[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK", "MPI_LOCALNRANKS",
                                      NULL};
    static const char *const size[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", NULL};
    if (!env_any(any)) return 0;
    const char *n = env_any(size);
    return !n || strcmp(n, "1") != 0;
}

/* One error line before MPI started: from the first rank only, so mpirun
 * -np 4 with a typo prints it once. */
static int usage_error(int rc, const char *err)
{
    if (launcher_rank() <= 0) fprintf(stderr, "latentbench: %s\n", err);
    return lb_exit_code(rc);
}

/* 0/1/2 are verdicts; a code maps to its status (an interrupted run: 128 +
 * the signal, never 1, which means "regression") */
static int exit_status(int rc)
{
    return rc >= 0 ? rc : lb_exit_code(rc);
}

int main(int argc, char **argv)
{
    char err[LB_ERRLEN] = "";
    if (argc < 2) {
        lb_cli_usage(stderr);
        return lb_exit_code(LB_EUSAGE);
    }
    const char *first = argv[1];
    if (!strcmp(first, "--help") || !strcmp(first, "-h")) {
        lb_cli_usage(stdout);
        return 0;
    }
    if (!strcmp(first, "--version")) {
        lb_latent lt;
        if (lb_latent_open(NULL, &lt, err, sizeof err) == LB_OK) {
            printf("latentbench %s (liblatent %s, %s)\n", LB_VERSION, lt.version_string(), lt.path);
            lb_latent_close(&lt);
        } else
            printf("latentbench %s (liblatent not loaded: %s)\n", LB_VERSION, err);
        return 0;
    }
    if (!strcmp(first, "help")) {
        int rc = lb_cli_help(stdout, argc - 2, argv + 2, err, sizeof err);
        return rc ? usage_error(rc, err) : 0;
    }
    if (!strcmp(first, "baseline") && argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        lb_cli_help(stdout, 1, argv + 1, err, sizeof err);
        return 0;
    }
    int used;
    const lb_cli_cmd *cmd = lb_cli_find(argc - 1, argv + 1, &used, err, sizeof err);
    if (!cmd) return usage_error(LB_EUSAGE, err);
    lb_args args;
    int rc = lb_args_parse(cmd->spec, argc - 1 - used, argv + 1 + used, &args, err, sizeof err);
    if (!rc && args.help) {
        lb_cmd_help(stdout, cmd->spec);
        lb_args_free(&args);
        return 0;
    }
    if (!rc) rc = cmd->check(&args, err, sizeof err);
    if (rc) {
        lb_args_free(&args);
        return usage_error(rc, err);
    }

    /* the command line as typed, for the results file */
    char cmdline[2048] = "";
    for (int i = 0; i < argc; i++) {
        size_t used_len = strlen(cmdline);
        snprintf(cmdline + used_len, sizeof cmdline - used_len, "%s%s", i ? " " : "", argv[i]);
    }

    lb_cluster cl;
    lb_latent lt; /* loaded by the commands that measure; closed at exit */
    memset(&lt, 0, sizeof lt);
    int mpi = cmd->mpi || launched();
    if (!mpi) lb_cluster_init_local(&cl);
    else if (lb_cluster_init(&argc, &argv, &cl) != LB_OK) {
        lb_args_free(&args);
        fprintf(stderr, "latentbench: MPI could not start\n");
        return lb_exit_code(LB_EINTERNAL);
    }
    /* Ranks that share a node's cores must not each start a thread per core */
    char threads[256] = "";
    if (cmd->mpi) lb_threads_decide(&cl, threads, sizeof threads);
    const lb_cmd_spec *s = cmd->spec;
    if (s == &lb_spec_list) rc = lb_cmd_list(&args, &cl);
    else if (s == &lb_spec_run) rc = lb_cmd_run(&args, &cl, cmdline, threads, &lt);
    else if (s == &lb_spec_verify) rc = lb_cmd_verify(&args, &cl, &lt);
    else if (s == &lb_spec_ab) rc = lb_cmd_ab(&args, &cl, cmdline, &lt);
    else if (s == &lb_spec_compare) rc = lb_cmd_compare(&args, &cl);
    else if (s == &lb_spec_report) rc = lb_cmd_report(&args, &cl);
    else if (s == &lb_spec_probe) rc = lb_cmd_probe(&args, &cl, &lt);
    else rc = lb_cmd_baseline(&args, &cl, &lt);
    lb_args_free(&args);
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
    return exit_status(rc);
}
