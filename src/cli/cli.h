/* The latentbench command line: shared pieces of the commands. */
#ifndef LB_CLI_H
#define LB_CLI_H

#include "latentbench/cluster.h"
#include "latentbench/loader.h"
#include "latentbench/results.h"
#include "latentbench/runner.h"
#include "latentbench/text.h"
#include "opts.h"

#include <stddef.h>
#include <stdio.h>

#define LB_ERRLEN 512

/* The commands: each declares its options (opts.h) and parses them with the
 * shared parser; main parses the whole line before anything starts (MPI,
 * files), then calls the command with the parsed arguments. */
extern const lb_cmd_spec lb_spec_list, lb_spec_run, lb_spec_verify, lb_spec_ab, lb_spec_compare, lb_spec_report;
extern const lb_cmd_spec lb_spec_probe;
/* baseline save|list|show|prune|notify|config, in that order */
#define LB_BASELINE_NSUB 6
extern const lb_cmd_spec lb_spec_baseline[LB_BASELINE_NSUB];

/* Each command's checks beyond its table (combinations of options, the
 * environment); they touch no file. */
int lb_check_list(const lb_args *a, char *err, size_t errlen);
int lb_check_run(const lb_args *a, char *err, size_t errlen);
int lb_check_verify(const lb_args *a, char *err, size_t errlen);
int lb_check_ab(const lb_args *a, char *err, size_t errlen);
int lb_check_compare(const lb_args *a, char *err, size_t errlen);
int lb_check_report(const lb_args *a, char *err, size_t errlen);
int lb_check_baseline(const lb_args *a, char *err, size_t errlen);
int lb_check_probe(const lb_args *a, char *err, size_t errlen);

/* Every command's entry. Returns an LB_* status or, for run/compare/ab, a
 * non-negative exit status (0/1/2). */
int lb_cmd_list(const lb_args *a, const lb_cluster *cl);
/* threads: the line saying how many OpenMP threads each rank runs (printed
 * by run under MPI unless --quiet) */
int lb_cmd_run(const lb_args *a, lb_cluster *cl, const char *command_line, const char *threads, lb_latent *lt);
int lb_cmd_verify(const lb_args *a, const lb_cluster *cl, lb_latent *lt);
int lb_cmd_ab(const lb_args *a, lb_cluster *cl, const char *command_line, lb_latent *lt); /* src/cli/ab.c */
int lb_cmd_compare(const lb_args *a, const lb_cluster *cl);  /* src/cli/compare.c */
int lb_cmd_report(const lb_args *a, const lb_cluster *cl);   /* src/cli/report_cmd.c */
int lb_cmd_baseline(const lb_args *a, const lb_cluster *cl, lb_latent *lt); /* src/cli/baseline_cmd.c */
int lb_cmd_probe(const lb_args *a, const lb_cluster *cl, lb_latent *lt);    /* src/cli/probe.c */

/* The command table (src/cli/commands.c). */
typedef struct {
    const lb_cmd_spec *spec;
    int (*check)(const lb_args *a, char *err, size_t errlen);
    int mpi; /* measures: starts MPI (the others only under an MPI launcher) */
} lb_cli_cmd;

/* Finds the command of argv (the words after the program name): *used gets
 * how many words name it (2 for "baseline save"). NULL with err set (an
 * unknown command, with a "did you mean") when there is none. */
const lb_cli_cmd *lb_cli_find(int argc, char **argv, int *used, char *err, size_t errlen);

/* The program's usage: every command with its one-line summary. */
void lb_cli_usage(FILE *out);

/* "latentbench help [CMD [SUB]]": the usage, or that command's help. LB_OK or
 * LB_EUSAGE (an unknown command, err set). */
int lb_cli_help(FILE *out, int argc, char **argv, char *err, size_t errlen);

/* Parses a whole command line as main gets it (argv[0] is the program) and
 * checks every option exactly as the command would, without running anything,
 * starting MPI or touching any file. LB_OK (also for --help, help and
 * --version), LB_EUSAGE with one line in err, LB_ENOMEM. For tests and the
 * command-line fuzzer. */
int lb_cli_parse_only(int argc, char **argv, char *err, size_t errlen);

/* Refuses (LB_EUSAGE) an output path that names the same file as the input
 * in (what: "--baseline file"): the command would write over its input. */
int lb_cli_output_not_input(const char *cmd, const char *out, const char *what, const char *in, char *err,
                            size_t errlen);

/* Loads the build of liblatent a command measures into lt (main owns it and
 * closes it at exit): path, or the default one (latentbench/loader.h). Every
 * rank agrees; on failure err names the file and what is wrong (66 missing,
 * 65 not a library or a symbol missing). */
int lb_cli_open_latent(const lb_cluster *cl, const char *path, lb_latent *lt, char *err, size_t errlen);

/* Earlier baselines given with --history (compare, run --baseline): they set
 * the gate's run-to-run drift floor. */
#define LB_MAX_HISTORY 64
typedef struct {
    lb_results        r[LB_MAX_HISTORY];
    const lb_results *p[LB_MAX_HISTORY]; /* &r[i], as lb_gate_compare_history takes them */
    size_t            n;
} lb_history;
/* Reads paths[0..n) (n <= LB_MAX_HISTORY); on failure err names the file and
 * what was read so far is freed. */
int  lb_history_read(lb_history *h, const char *const *paths, size_t n, char *err, size_t errlen);
void lb_history_free(lb_history *h);

/* Progress on stderr: one updating line on a terminal; otherwise (a log) a
 * line per benchmark in the first round and a line per later round. */
typedef struct {
    int      tty, quiet, shown; /* shown: a terminal line is up */
    size_t   total;   /* benchmarks per round */
    unsigned rounds;
    double   start_s;
} lb_progress;
void lb_progress_init(lb_progress *p, size_t total, unsigned rounds, int quiet);
void lb_progress_step(lb_progress *p, unsigned round, size_t i, const char *id);
/* Ends the progress: clears the terminal line; when ok, prints the count
 * ("1 benchmark in 0.4s", "20 benchmarks x 3 rounds in 9.1s"). */
void lb_progress_done(lb_progress *p, int ok);

/* Human units: "12.3 µs", "1.20 GB/s", "3.4 MB". */
void lb_fmt_time(char *buf, size_t len, double ns);
void lb_fmt_bytes(char *buf, size_t len, double bytes);
void lb_fmt_rate(char *buf, size_t len, double per_s, const char *unit);

/* The end-of-run table on out: id, median, CI, throughput, peak memory. */
void lb_print_summary(FILE *out, const lb_results *r);

/* Reports one error line "latentbench: <msg>" on stderr (rank 0 only). */
void lb_report(const lb_cluster *cl, const char *msg);

#endif
