/* The command line's option parser (src/cli/opts.c) and lb_cli_parse_only:
 * table-driven cases, each a whole command line and the outcome. */
#include "cli.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

START_TEST(numbers_strict)
{
    uint64_t u;
    double d;
    ck_assert(lb_parse_uint("42", 0, 100, &u) && u == 42);
    ck_assert(lb_parse_uint("18446744073709551615", 0, UINT64_MAX, &u) && u == UINT64_MAX);
    const char *bad_u[] = {"", "-1", "+1", " 1", "1 ", "1x", "0x10", "18446744073709551616", "101"};
    for (size_t i = 0; i < sizeof bad_u / sizeof bad_u[0]; i++) ck_assert_msg(!lb_parse_uint(bad_u[i], 0, 100, &u), "%s", bad_u[i]);
    ck_assert(lb_parse_double("0.5", 0, 1, &d) && d == 0.5);
    ck_assert(lb_parse_double("1e3", 0, 86400, &d) && d == 1000);
    const char *bad_d[] = {"", "nan", "inf", "-inf", "1e308", "1e400", "0x1p3", " 1", "1 ", "1s", "-0.1", "1e-400"};
    for (size_t i = 0; i < sizeof bad_d / sizeof bad_d[0]; i++)
        ck_assert_msg(!lb_parse_double(bad_d[i], 0, 86400, &d), "%s", bad_d[i]);
    ck_assert(lb_parse_size("64K", 1, UINT64_MAX, &u) && u == 65536);
    ck_assert(lb_parse_size("2g", 1, UINT64_MAX, &u) && u == (UINT64_C(2) << 30));
    const char *bad_z[] = {"", "K", "12Q", "1KB", "-1", "0", "99999999999T", "18446744073709551616"};
    for (size_t i = 0; i < sizeof bad_z / sizeof bad_z[0]; i++)
        ck_assert_msg(!lb_parse_size(bad_z[i], 1, UINT64_MAX, &u), "%s", bad_z[i]);
}
END_TEST

/* A whole command line and what lb_cli_parse_only says: LB_OK, or LB_EUSAGE
 * with this text in the error. */
static const struct {
    const char *line; /* words separated by '|' (so a word may hold spaces) */
    int rc;
    const char *msg;
} cases[] = {
    {"latentbench|--help", LB_OK, NULL},
    {"latentbench|--version", LB_OK, NULL},
    {"latentbench|help", LB_OK, NULL},
    {"latentbench|help|run", LB_OK, NULL},
    {"latentbench|help|baseline", LB_OK, NULL},
    {"latentbench|help|baseline|notify", LB_OK, NULL},
    {"latentbench|help|nosuch", LB_EUSAGE, "unknown command 'nosuch'"},
    {"latentbench", LB_EUSAGE, "which command"},
    {"latentbench|lsit", LB_EUSAGE, "did you mean list?"},
    {"latentbench|baseline", LB_EUSAGE, "which subcommand"},
    {"latentbench|baseline|--help", LB_OK, NULL},
    {"latentbench|baseline|shw", LB_EUSAGE, "did you mean show?"},
    {"latentbench|run", LB_OK, NULL},
    {"latentbench|run|--help", LB_OK, NULL},
    {"latentbench|run|--rounds|0|--help", LB_OK, NULL}, /* help wins */
    {"latentbench|run|--suite|-h", LB_OK, NULL},        /* -h as a value is a value */
    {"latentbench|run|--suite=ci|--rounds=3|-o|x.h5", LB_OK, NULL},
    {"latentbench|run|--suite", LB_EUSAGE, "run: missing value for --suite"},
    {"latentbench|run|--suit|ci", LB_EUSAGE, "did you mean --suite?"},
    {"latentbench|run|--rounds|0", LB_EUSAGE, "--rounds: '0' is not an integer in 1..1000"},
    {"latentbench|run|--rounds|1001", LB_EUSAGE, "1..1000"},
    {"latentbench|run|--seed|-1", LB_EUSAGE, "--seed: '-1'"},
    {"latentbench|run|--warm-up-time|1e308", LB_EUSAGE, "0..86400 s"},
    {"latentbench|run|--warm-up-time|86400", LB_OK, NULL},
    {"latentbench|run|--measurement-time|nan", LB_EUSAGE, "--measurement-time: 'nan'"},
    {"latentbench|run|--budget|0", LB_EUSAGE, "--budget"},
    {"latentbench|run|--quick=1", LB_EUSAGE, "--quick takes no value"},
    {"latentbench|run|--shard|DATA", LB_OK, NULL}, /* choices in any case */
    {"latentbench|run|--shard|rows", LB_EUSAGE, "not one of matrix, data, none"},
    {"latentbench|run|--config|c.toml", LB_EUSAGE, "--config needs --baseline"},
    {"latentbench|run|-o|", LB_EUSAGE, "-o: the file name is empty"},
    {"latentbench|run|extra", LB_EUSAGE, "unexpected argument 'extra'"},
    {"latentbench|run|--|x", LB_EUSAGE, "unexpected argument 'x'"},
    {"latentbench|compare|a.h5", LB_EUSAGE, "missing argument"},
    {"latentbench|compare|a.h5|b.h5|c.h5", LB_EUSAGE, "unexpected argument 'c.h5'"},
    {"latentbench|compare|a.h5|b.h5|--threshold|5", LB_OK, NULL},
    {"latentbench|report|r.h5|-o|r.html", LB_EUSAGE, "--format html -o DIR"},
    {"latentbench|report|r.h5|--format|Json", LB_OK, NULL},
    {"latentbench|report|r.h5|--format|html", LB_EUSAGE, "needs -o DIR"},
    {"latentbench|report|r.h5|--format|html|-o|d|--|--samples|x", LB_OK, NULL},
    {"latentbench|ab|--baseline-lib|a.so", LB_EUSAGE, "required"},
    {"latentbench|ab|--baseline-lib|a.so|--candidate-lib|b.so|--order|ABBA", LB_OK, NULL},
    {"latentbench|baseline|prune|--keep|0", LB_EUSAGE, "--keep: '0'"},
    {"latentbench|baseline|show|main|--name|main", LB_EUSAGE, "give the name once"},
    {"latentbench|baseline|notify|--results|r.h5", LB_EUSAGE, "needs --results"},
    {"latentbench|baseline|list|--keep|3", LB_EUSAGE, "unknown option '--keep'"},
    {"latentbench|verify", LB_EUSAGE, "--dataset FILE is required"},
    {"latentbench|verify|--dataset|d.h5|--k|0", LB_EUSAGE, "--k: '0'"},
    {"latentbench|probe|--help", LB_OK, NULL},
    {"latentbench|help|probe", LB_OK, NULL},
    {"latentbench|probe|--threads|4|--quick|--json", LB_OK, NULL},
    {"latentbench|probe|--threads|0", LB_EUSAGE, "--threads: '0' is not an integer in 1..1024"},
    {"latentbench|probe|--thread|2", LB_EUSAGE, "unknown option '--thread' (did you mean --threads?)"},
    {"latentbench|probe|--json|-o|p.json", LB_EUSAGE, "give one"},
    {"latentbench|probe|-o|", LB_EUSAGE, "-o: the file name is empty"},
    {"latentbench|prob", LB_EUSAGE, "did you mean probe?"},
};

START_TEST(parse_only_cases)
{
    char line[512], *argv[32], err[LB_ERRLEN];
    snprintf(line, sizeof line, "%s", cases[_i].line);
    int argc = 0;
    for (char *p = line;; p++) { /* split on '|', keeping empty words */
        argv[argc++] = p;
        p = strchr(p, '|');
        if (!p) break;
        *p = '\0';
    }
    argv[argc] = NULL;
    int rc = lb_cli_parse_only(argc, argv, err, sizeof err);
    ck_assert_msg(rc == cases[_i].rc, "%s: rc %d (%s), want %d", cases[_i].line, rc, err, cases[_i].rc);
    if (cases[_i].msg) ck_assert_msg(strstr(err, cases[_i].msg), "%s: '%s' lacks '%s'", cases[_i].line, err, cases[_i].msg);
    ck_assert_uint_eq(lb_alloc_current(), 0);
}
END_TEST

START_TEST(values_in_order)
{
    char *argv[] = {"--suite", "a", "--history=h1", "--suite=b", "--history", "h2", "--rounds", "7", NULL};
    lb_args a;
    char err[LB_ERRLEN];
    ck_assert_int_eq(lb_args_parse(&lb_spec_run, 8, argv, &a, err, sizeof err), LB_OK);
    const char *v[4];
    ck_assert_uint_eq(lb_args_all(&a, "--suite", v, 4), 2);
    ck_assert_str_eq(v[0], "a");
    ck_assert_str_eq(v[1], "b");
    ck_assert_uint_eq(lb_args_count(&a, "--history"), 2);
    ck_assert_uint_eq(lb_args_uint(&a, "--rounds", 1), 7);
    ck_assert_str_eq(lb_args_str(&a, "--filter", "none"), "none");
    lb_args_free(&a);
    ck_assert_uint_eq(lb_alloc_current(), 0);
}
END_TEST

START_TEST(repeat_limit)
{
    static char *argv[2 * 65];
    for (int i = 0; i < 65; i++) argv[2 * i] = "--suite", argv[2 * i + 1] = "ci";
    lb_args a;
    char err[LB_ERRLEN];
    ck_assert_int_eq(lb_args_parse(&lb_spec_run, 130, argv, &a, err, sizeof err), LB_EUSAGE);
    ck_assert_msg(strstr(err, "--suite given more than 64 times"), "%s", err);
    lb_args_free(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_opts");
    TCase *tc = tcase_create("opts");
    tcase_add_test(tc, numbers_strict);
    tcase_add_loop_test(tc, parse_only_cases, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, values_in_order);
    tcase_add_test(tc, repeat_limit);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
