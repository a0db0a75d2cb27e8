/* The command table: names, help, and parsing a whole command line without
 * running it (main parses first; the fuzzer calls lb_cli_parse_only). */
#include "cli.h"
#include "latentbench/error.h"

#include <stdio.h>
#include <string.h>

static const lb_cli_cmd commands[] = {
    {&lb_spec_list, lb_check_list, 0},
    {&lb_spec_run, lb_check_run, 1},
    {&lb_spec_ab, lb_check_ab, 1},
    {&lb_spec_compare, lb_check_compare, 0},
    {&lb_spec_report, lb_check_report, 0},
    {&lb_spec_baseline[0], lb_check_baseline, 0},
    {&lb_spec_baseline[1], lb_check_baseline, 0},
    {&lb_spec_baseline[2], lb_check_baseline, 0},
    {&lb_spec_baseline[3], lb_check_baseline, 0},
    {&lb_spec_baseline[4], lb_check_baseline, 0},
    {&lb_spec_baseline[5], lb_check_baseline, 0},
    {&lb_spec_verify, lb_check_verify, 1},
    {&lb_spec_probe, lb_check_probe, 0},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char *const top_words[] = {"list", "run", "ab", "compare", "report", "baseline", "verify", "probe", "help"};
static const char *const baseline_words[] = {"save", "list", "show", "prune", "notify", "config"};

const lb_cli_cmd *lb_cli_find(int argc, char **argv, int *used, char *err, size_t errlen)
{
    *used = 0;
    if (argc < 1) {
        lb_errorf(err, errlen, LB_EUSAGE, "which command? (latentbench --help)");
        return NULL;
    }
    char shown[128];
    const char *w = argv[0];
    if (!strcmp(w, "baseline")) {
        if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
            lb_errorf(err, errlen, LB_EUSAGE, "baseline: which subcommand? (save, list, show, prune, notify, config)");
            return NULL;
        }
        for (size_t k = 0; k < LB_BASELINE_NSUB; k++)
            if (!strcmp(argv[1], baseline_words[k])) {
                *used = 2;
                return &commands[5 + k];
            }
        const char *s = lb_suggest(argv[1], baseline_words, LB_BASELINE_NSUB);
        lb_sanitize(shown, sizeof shown, argv[1]);
        if (s) lb_errorf(err, errlen, LB_EUSAGE, "baseline: unknown subcommand '%s' (did you mean %s?)", shown, s);
        else lb_errorf(err, errlen, LB_EUSAGE, "baseline: unknown subcommand '%s' (save, list, show, prune, notify, config)", shown);
        return NULL;
    }
    for (size_t k = 0; k < NCOMMANDS; k++)
        if (!strcmp(commands[k].spec->name, w)) {
            *used = 1;
            return &commands[k];
        }
    const char *s = lb_suggest(w, top_words, sizeof top_words / sizeof top_words[0]);
    lb_sanitize(shown, sizeof shown, w);
    if (s) lb_errorf(err, errlen, LB_EUSAGE, "unknown command '%s' (did you mean %s?)", shown, s);
    else lb_errorf(err, errlen, LB_EUSAGE, "unknown command '%s' (latentbench --help lists them)", shown);
    return NULL;
}

void lb_cli_usage(FILE *out)
{
    fputs("usage: latentbench COMMAND [OPTIONS]\n"
          "       latentbench help COMMAND      (or latentbench COMMAND --help): the command's options\n"
          "\ncommands:\n",
          out);
    for (size_t k = 0; k < NCOMMANDS; k++)
        fprintf(out, "  %-16s %s\n", commands[k].spec->name, commands[k].spec->summary);
    fputs("\n"
          "suites: latency throughput memory matrix critical_path attention_comparison\n"
          "        distance_comparison flash_attention ci all scaling (default: ci), or a suite file\n"
          "run under mpirun/srun for many ranks; alone it runs single-node.\n"
          "options: --name value or --name=value; numbers are checked whole against their range.\n"
          "exit: 0 ok (compare / run --baseline: no significant change), 1 regression or verification\n"
          "      failed, 2 improvements and no regression, 64 usage, 65 bad input data, 66 missing input,\n"
          "      70 internal error, 74 I/O error writing, 128+N stopped by signal N (130: Ctrl-C)\n",
          out);
}

static void baseline_help(FILE *out)
{
    fputs("usage: latentbench baseline SUBCOMMAND [OPTIONS]\n\n"
          "The baseline directory, keyed by machine fingerprint (docs/BASELINES.md), and the regression\n"
          "actions of the config.\n\nsubcommands (latentbench help baseline SUBCOMMAND for the options):\n",
          out);
    for (size_t k = 0; k < LB_BASELINE_NSUB; k++)
        fprintf(out, "  %-8s %s\n", baseline_words[k], lb_spec_baseline[k].summary);
}

int lb_cli_help(FILE *out, int argc, char **argv, char *err, size_t errlen)
{
    if (argc < 1) {
        lb_cli_usage(out);
        return LB_OK;
    }
    if (!strcmp(argv[0], "baseline") && argc < 2) {
        baseline_help(out);
        return LB_OK;
    }
    if (!strcmp(argv[0], "help")) {
        lb_cli_usage(out);
        return LB_OK;
    }
    int used;
    const lb_cli_cmd *c = lb_cli_find(argc, argv, &used, err, errlen);
    if (!c) return LB_EUSAGE;
    lb_cmd_help(out, c->spec);
    return LB_OK;
}

/* The words of a line that main answers itself. */
static int is_help_word(const char *w) { return !strcmp(w, "-h") || !strcmp(w, "--help"); }

int lb_cli_parse_only(int argc, char **argv, char *err, size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (argc < 2) return lb_errorf(err, errlen, LB_EUSAGE, "which command? (latentbench --help)");
    if (is_help_word(argv[1]) || !strcmp(argv[1], "--version")) return LB_OK;
    if (!strcmp(argv[1], "help")) { /* as lb_cli_help, without printing */
        int n = argc - 2, used;
        if (n < 1 || !strcmp(argv[2], "help") || (!strcmp(argv[2], "baseline") && n < 2)) return LB_OK;
        return lb_cli_find(n, argv + 2, &used, err, errlen) ? LB_OK : LB_EUSAGE;
    }
    if (!strcmp(argv[1], "baseline") && argc >= 3 && is_help_word(argv[2])) return LB_OK;
    int used;
    const lb_cli_cmd *c = lb_cli_find(argc - 1, argv + 1, &used, err, errlen);
    if (!c) return LB_EUSAGE;
    lb_args a;
    int rc = lb_args_parse(c->spec, argc - 1 - used, argv + 1 + used, &a, err, errlen);
    if (!rc && !a.help) rc = c->check(&a, err, errlen);
    lb_args_free(&a);
    return rc;
}
