/* The one option parser of the latentbench command: each command declares its
 * options in a table (name, kind of value, bounds, one help line), and from
 * that table come the parsing, the checks of every value, the command's
 * --help and "did you mean" for a misspelt option.
 *
 * Rules, the same for every command: "--opt value" and "--opt=value"; the
 * word after an option that takes a value is its value, whatever it looks
 * like (so "--suite -h" names a suite "-h"); "-h" / "--help" elsewhere asks
 * for the command's help; "--" ends the options (the rest is positional, or
 * handed on for a command that says so); numbers are read whole (no trailing
 * characters, no sign where none fits, no silent wrap-around) and checked
 * against their bounds. */
#ifndef LB_CLI_OPTS_H
#define LB_CLI_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    LB_OPT_FLAG,   /* no value */
    LB_OPT_STRING, /* any text (a file, a regex, a name) */
    LB_OPT_UINT,   /* a decimal integer in [umin, umax] */
    LB_OPT_DOUBLE, /* a finite decimal number in [dmin, dmax] */
    LB_OPT_SIZE,   /* bytes: 123, 64K, 512M, 2G, 1T (powers of 1024), in [umin, umax] */
    LB_OPT_CHOICE  /* one of choices ("a|b|c"), case ignored */
} lb_opt_kind;

typedef struct {
    const char *name;    /* "--suite" */
    const char *alias;   /* "-o", or NULL */
    lb_opt_kind kind;
    unsigned    max;     /* times it may be given (0: once; the last one counts) */
    uint64_t    umin, umax;
    double      dmin, dmax;
    const char *choices; /* LB_OPT_CHOICE */
    const char *meta;    /* the value in the help: "N", "FILE" */
    const char *help;    /* one line */
} lb_opt;

typedef struct lb_cmd_spec {
    const char   *name;     /* "run", "baseline save" */
    const char   *synopsis; /* after the name: "[OPTIONS]", "BASELINE.h5 CURRENT.h5 [OPTIONS]" */
    const char   *summary;  /* one line, for the list of commands */
    const char   *about;    /* a paragraph for the command's help */
    const lb_opt *opts;
    size_t        nopts;
    unsigned      min_pos, max_pos; /* positional arguments */
    int           pass;     /* 1: what follows "--" is handed on (report --format html) */
} lb_cmd_spec;

/* Table rows: name, alias, (bounds,) the value's name in the help, help line. */
#define LB_OPT_F(n, h) {.name = (n), .kind = LB_OPT_FLAG, .help = (h)}
#define LB_OPT_S(n, a, m, h) {.name = (n), .alias = (a), .kind = LB_OPT_STRING, .meta = (m), .help = (h)}
#define LB_OPT_SN(n, max_, m, h) {.name = (n), .kind = LB_OPT_STRING, .max = (max_), .meta = (m), .help = (h)}
#define LB_OPT_U(n, lo, hi, m, h) {.name = (n), .kind = LB_OPT_UINT, .umin = (lo), .umax = (hi), .meta = (m), .help = (h)}
#define LB_OPT_D(n, lo, hi, m, h) {.name = (n), .kind = LB_OPT_DOUBLE, .dmin = (lo), .dmax = (hi), .meta = (m), .help = (h)}
#define LB_OPT_Z(n, m, h) {.name = (n), .kind = LB_OPT_SIZE, .meta = (m), .help = (h)}
#define LB_OPT_C(n, c, h) {.name = (n), .kind = LB_OPT_CHOICE, .choices = (c), .help = (h)}
#define LB_NOPTS(t) (sizeof(t) / sizeof((t)[0]))

/* Time options: a day at most (a benchmark's warm-up or measurement longer
 * than that is a typo), so every conversion to nanoseconds stays exact. */
#define LB_TIME_MAX_S 86400.0

/* One parsed command line. */
typedef struct {
    int opt;             /* index in spec->opts */
    const char *val;     /* the text (NULL for a flag) */
    double d;            /* LB_OPT_DOUBLE */
    uint64_t u;          /* LB_OPT_UINT, LB_OPT_SIZE; LB_OPT_CHOICE: the index of the choice */
} lb_arg;

typedef struct {
    const lb_cmd_spec *spec;
    lb_arg      *args;
    size_t       nargs;
    const char **pos;    /* positional arguments */
    size_t       npos;
    const char **pass;   /* after "--" when spec->pass */
    size_t       npass;
    int          help;   /* -h / --help was given */
} lb_args;

/* Parses argv[0..argc) (the words after the command) by spec. LB_OK (also
 * when a->help is set: nothing else was checked then), LB_EUSAGE with one line
 * in err ("run: missing value for --suite", "run: unknown option '--suit'
 * (did you mean --suite?)", "run: --rounds: '0' is not an integer in
 * 1..1000"), LB_ENOMEM. Free with lb_args_free (also after a failure). */
int  lb_args_parse(const lb_cmd_spec *spec, int argc, char **argv, lb_args *a, char *err, size_t errlen);
void lb_args_free(lb_args *a);

/* The values, by option name as in the table ("--suite"). */
size_t      lb_args_count(const lb_args *a, const char *name);
const char *lb_args_str(const lb_args *a, const char *name, const char *def); /* the last given */
double      lb_args_double(const lb_args *a, const char *name, double def);
uint64_t    lb_args_uint(const lb_args *a, const char *name, uint64_t def); /* UINT, SIZE, CHOICE index */
/* Every value of a repeatable option, in order: fills out[0..max), returns the count. */
size_t      lb_args_all(const lb_args *a, const char *name, const char **out, size_t max);

/* The command's help: usage line, paragraph, every option with its value,
 * bounds and help line. */
void lb_cmd_help(FILE *out, const lb_cmd_spec *spec);

/* Strict number readers, shared with environment variables. 1 when s is
 * wholly a number in the bounds. */
int lb_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
int lb_parse_double(const char *s, double lo, double hi, double *out);
int lb_parse_size(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);

#endif
