/* The latentbench command line: shared pieces of the commands. */
#ifndef LB_CLI_H
#define LB_CLI_H

#include "latentbench/cluster.h"
#include "latentbench/loader.h"
#include "latentbench/results.h"
#include "latentbench/runner.h"

#include <stddef.h>
#include <stdio.h>

#define LB_ERRLEN 512

/* Every command's entry: argc/argv after the command word. Returns an LB_*
 * status or, for run/compare, a non-negative exit status (0/1/2). */
int lb_cmd_list(int argc, char **argv, const lb_cluster *cl);
/* threads: the line saying how many OpenMP threads each rank runs (printed
 * by run under MPI unless --quiet) */
int lb_cmd_run(int argc, char **argv, lb_cluster *cl, const char *command_line, const char *threads, lb_latent *lt);
int lb_cmd_verify(int argc, char **argv, const lb_cluster *cl, lb_latent *lt);
int lb_cmd_ab(int argc, char **argv, lb_cluster *cl, const char *command_line, lb_latent *lt); /* src/cli/ab.c */
int lb_cmd_compare(int argc, char **argv, const lb_cluster *cl);  /* src/cli/compare.c */
int lb_cmd_report(int argc, char **argv, const lb_cluster *cl);   /* src/cli/report_cmd.c */
int lb_cmd_baseline(int argc, char **argv, const lb_cluster *cl, lb_latent *lt); /* src/cli/baseline_cmd.c */

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

/* Progress on stderr: one updating line on a terminal, plain lines otherwise. */
typedef struct {
    int      tty, quiet;
    size_t   total;   /* benchmarks per round */
    unsigned rounds;
    double   start_s;
} lb_progress;
void lb_progress_init(lb_progress *p, size_t total, unsigned rounds, int quiet);
void lb_progress_step(lb_progress *p, unsigned round, size_t i, const char *id);
void lb_progress_done(lb_progress *p);

/* Human units: "12.3 µs", "1.20 GB/s", "3.4 MB". */
void lb_fmt_time(char *buf, size_t len, double ns);
void lb_fmt_bytes(char *buf, size_t len, double bytes);
void lb_fmt_rate(char *buf, size_t len, double per_s, const char *unit);

/* The end-of-run table on out: id, median, CI, throughput, peak memory. */
void lb_print_summary(FILE *out, const lb_results *r);

/* Reports one error line "latentbench: <msg>" on stderr (rank 0 only). */
void lb_report(const lb_cluster *cl, const char *msg);

#endif
