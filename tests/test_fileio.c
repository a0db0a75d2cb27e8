/* Files in and out (src/util/fileio.c): inputs opened one checked way,
 * outputs checked before the work, the same file through links. */
#define _POSIX_C_SOURCE 200809L
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/fileio.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static const char *at(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/lb_test_fileio.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    FILE *f = fopen(at("a.txt"), "w");
    fputs("hello", f);
    fclose(f);
    ck_assert_int_eq(symlink("a.txt", at("link.txt")), 0);
    ck_assert_int_eq(link(at("a.txt"), at("hard.txt")), 0);
    ck_assert_int_eq(mkfifo(at("fifo"), 0600), 0);
    ck_assert_int_eq(mkdir(at("sub"), 0700), 0);
}

static void teardown(void)
{
    const char *names[] = {"a.txt", "link.txt", "hard.txt", "fifo", "big.txt"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unlink(at(names[i]));
    rmdir(at("sub"));
    rmdir(dir);
}

START_TEST(read_regular)
{
    char *buf, err[256];
    size_t n;
    ck_assert_int_eq(lb_read_input(at("link.txt"), LB_TEXT_INPUT_MAX, &buf, &n, err, sizeof err), LB_OK);
    ck_assert_uint_eq(n, 5);
    ck_assert_str_eq(buf, "hello");
    lb_free(buf);
    ck_assert_uint_eq(lb_alloc_current(), 0);
}
END_TEST

/* Non-regular inputs are refused at once, before any read: a FIFO must not
 * block, /dev/zero must not be read for gigabytes. */
START_TEST(refuse_non_regular)
{
    char *buf, err[256];
    size_t n;
    ck_assert_int_eq(lb_read_input(at("fifo"), LB_TEXT_INPUT_MAX, &buf, &n, err, sizeof err), LB_ENOINPUT);
    ck_assert_msg(strstr(err, "not a regular file (a FIFO)"), "%s", err);
    ck_assert_int_eq(lb_read_input("/dev/zero", LB_TEXT_INPUT_MAX, &buf, &n, err, sizeof err), LB_ENOINPUT);
    ck_assert_msg(strstr(err, "(a device)"), "%s", err);
    ck_assert_int_eq(lb_read_input(at("sub"), LB_TEXT_INPUT_MAX, &buf, &n, err, sizeof err), LB_ENOINPUT);
    ck_assert_msg(strstr(err, "(a directory)"), "%s", err);
    ck_assert_int_eq(lb_read_input(at("missing"), LB_TEXT_INPUT_MAX, &buf, &n, err, sizeof err), LB_ENOINPUT);
    ck_assert_int_eq(lb_read_input("", LB_TEXT_INPUT_MAX, &buf, &n, err, sizeof err), LB_ENOINPUT);
    ck_assert_uint_eq(lb_alloc_current(), 0);
}
END_TEST

START_TEST(size_cap)
{
    FILE *f = fopen(at("big.txt"), "w");
    for (int i = 0; i < 2000; i++) fputc('x', f);
    fclose(f);
    char *buf, err[256];
    size_t n;
    ck_assert_int_eq(lb_read_input(at("big.txt"), 1000, &buf, &n, err, sizeof err), LB_EDATA);
    ck_assert_msg(strstr(err, "too large (2000 bytes"), "%s", err);
    ck_assert_int_eq(lb_read_input(at("big.txt"), 2000, &buf, &n, err, sizeof err), LB_OK);
    ck_assert_uint_eq(n, 2000);
    lb_free(buf);
}
END_TEST

START_TEST(output_checks)
{
    char err[256];
    ck_assert_int_eq(lb_check_output(at("new.h5"), err, sizeof err), LB_OK);
    ck_assert_int_eq(lb_check_output(at("a.txt"), err, sizeof err), LB_OK); /* replaced atomically */
    ck_assert_int_eq(lb_check_output("", err, sizeof err), LB_EUSAGE);
    ck_assert_int_eq(lb_check_output(at("sub"), err, sizeof err), LB_EIO);
    ck_assert_msg(strstr(err, "is a directory"), "%s", err);
    ck_assert_int_eq(lb_check_output(at("fifo"), err, sizeof err), LB_EIO);
    ck_assert_int_eq(lb_check_output(at("nodir/x.h5"), err, sizeof err), LB_EIO);
    ck_assert_msg(strstr(err, "No such file"), "%s", err);
    ck_assert_int_eq(lb_check_output(at("a.txt/x.h5"), err, sizeof err), LB_EIO);
    ck_assert_int_eq(lb_check_output(at("sub/"), err, sizeof err), LB_EIO);
    ck_assert_uint_eq(lb_alloc_current(), 0);
}
END_TEST

START_TEST(same_file)
{
    ck_assert_int_eq(lb_same_file(at("a.txt"), at("a.txt")), 1);
    ck_assert_int_eq(lb_same_file(at("a.txt"), at("link.txt")), 1);
    ck_assert_int_eq(lb_same_file(at("hard.txt"), at("a.txt")), 1);
    char dotted[600];
    snprintf(dotted, sizeof dotted, "%s/sub/../a.txt", dir);
    ck_assert_int_eq(lb_same_file(dotted, at("a.txt")), 1);
    ck_assert_int_eq(lb_same_file(at("a.txt"), at("fifo")), 0);
    ck_assert_int_eq(lb_same_file(at("a.txt"), at("missing")), 0);
    ck_assert_int_eq(lb_same_file(NULL, at("a.txt")), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fileio");
    TCase *tc = tcase_create("fileio");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, read_regular);
    tcase_add_test(tc, refuse_non_regular);
    tcase_add_test(tc, size_cap);
    tcase_add_test(tc, output_checks);
    tcase_add_test(tc, same_file);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
