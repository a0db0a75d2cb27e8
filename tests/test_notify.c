/* The notification side of lb_baseline: the JSON summary, the issue body, and
 * the webhook POST against tests/notify_server.py on 127.0.0.1 (never any
 * other address). */
#define _POSIX_C_SOURCE 200809L
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/notify.h"

#include <check.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef LB_NOTIFY_SERVER
#define LB_NOTIFY_SERVER "tests/notify_server.py"
#endif

extern char **environ;

static char g_dir[256];
static int g_port;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = lb_malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    if (buf) buf[n] = '\0';
    fclose(f);
    return buf;
}

/* ---- a hand-made comparison ------------------------------------------------ */

static lb_row g_base[5], g_cur[5];

static void set_row(lb_comparison_row *r, int i, const char *id, lb_verdict v, double change)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", id);
    g_base[i].median_ns = 1000.0;
    g_cur[i].median_ns = 1000.0 * (1 + change / 100);
    r->base = &g_base[i];
    r->cur = &g_cur[i];
    r->verdict = r->time_verdict = v;
    r->memory_verdict = LB_VERDICT_NO_CHANGE;
    r->median_change_pct = r->mean_change_pct = change;
    r->threshold_pct = 5;
    r->p_value = 0.001;
    r->peak_change_pct = r->alloc_change_pct = 0;
}

/* Two regressions (one by memory, one with an awkward id), one improvement,
 * one unchanged, one new. */
static void make_cmp(lb_comparison *c, lb_comparison_row rows[5])
{
    memset(c, 0, sizeof *c);
    set_row(&rows[0], 0, "knn_search/dim_128/10", LB_VERDICT_REGRESSION, 25.0);
    set_row(&rows[1], 1, "odd\"id\\with|pipe\nand\x01" "ctl", LB_VERDICT_REGRESSION, 3.0);
    rows[1].time_verdict = LB_VERDICT_NO_CHANGE;
    rows[1].memory_verdict = LB_VERDICT_REGRESSION;
    rows[1].peak_change_pct = 40;
    rows[1].p_value = NAN;
    set_row(&rows[2], 2, "add_embedding/256", LB_VERDICT_IMPROVEMENT, -30.0);
    set_row(&rows[3], 3, "latent_space_creation/64", LB_VERDICT_NO_CHANGE, 1.0);
    set_row(&rows[4], 4, "attention_computation/dim_64/Flash", LB_VERDICT_NEW, NAN);
    rows[4].base = NULL;
    c->rows = rows;
    c->nrows = 5;
    c->counts[LB_VERDICT_REGRESSION] = 2;
    c->counts[LB_VERDICT_IMPROVEMENT] = 1;
    c->counts[LB_VERDICT_NO_CHANGE] = 1;
    c->counts[LB_VERDICT_NEW] = 1;
    snprintf(c->base_machine, sizeof c->base_machine, "Test CPU; 4 cores; avx2");
    snprintf(c->cur_machine, sizeof c->cur_machine, "Test CPU; 4 cores; avx2");
    snprintf(c->base_commit, sizeof c->base_commit, "aaaa111");
    snprintf(c->cur_commit, sizeof c->cur_commit, "bbbb222");
}

START_TEST(exit_status_from_counts)
{
    lb_comparison c;
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(lb_notify_exit_status(&c), 0);
    c.counts[LB_VERDICT_IMPROVEMENT] = 1;
    ck_assert_int_eq(lb_notify_exit_status(&c), 2);
    c.counts[LB_VERDICT_REGRESSION] = 1;
    ck_assert_int_eq(lb_notify_exit_status(&c), 1);
}
END_TEST

START_TEST(summary_json_fields)
{
    lb_comparison c;
    lb_comparison_row rows[5];
    make_cmp(&c, rows);
    char *j = lb_notify_summary_json(&c, "branch main, run 42");
    ck_assert_ptr_nonnull(j);
    ck_assert_ptr_nonnull(strstr(j, "\"status\":\"regression\",\"exit_status\":1"));
    ck_assert_ptr_nonnull(strstr(j, "\"counts\":{\"no_change\":1,\"regression\":2,\"improvement\":1,\"new\":1,"
                                    "\"missing\":0}"));
    ck_assert_ptr_nonnull(strstr(j, "\"context\":\"branch main, run 42\""));
    ck_assert_ptr_nonnull(strstr(j, "\"baseline\":{\"commit\":\"aaaa111\""));
    ck_assert_ptr_nonnull(strstr(j, "\"id\":\"knn_search/dim_128/10\",\"baseline_median_ns\":1000,"
                                    "\"current_median_ns\":1250,\"median_change_pct\":25"));
    /* escaping, and NaN as null */
    ck_assert_ptr_nonnull(strstr(j, "\"id\":\"odd\\\"id\\\\with|pipe\\nand\\u0001ctl\""));
    ck_assert_ptr_nonnull(strstr(j, "\"p_value\":null"));
    ck_assert_ptr_nonnull(strstr(j, "\"memory\":\"regression\""));
    ck_assert_ptr_nonnull(strstr(j, "\"improvements\":[{\"id\":\"add_embedding/256\""));
    ck_assert_ptr_null(strstr(j, "latent_space_creation")); /* unchanged rows are not listed */
    ck_assert_ptr_nonnull(strstr(j, "\"text\":\"latentbench: performance regression detected: 2 regressions, "
                                    "1 improvement, 1 unchanged, 1 new, 0 missing"));
    ck_assert_ptr_nonnull(strstr(j, "\"truncated\":0}"));
    lb_free(j);
}
END_TEST

START_TEST(summary_json_truncates)
{
    enum { N = LB_NOTIFY_MAX_ROWS + 10 };
    static lb_comparison_row rows[N];
    lb_comparison c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < N; i++) {
        set_row(&rows[i], 0, "r", LB_VERDICT_REGRESSION, 20);
        snprintf(rows[i].id, sizeof rows[i].id, "bench/%d", i);
    }
    c.rows = rows;
    c.nrows = N;
    c.counts[LB_VERDICT_REGRESSION] = N;
    char *j = lb_notify_summary_json(&c, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_ptr_nonnull(strstr(j, "\"bench/49\""));
    ck_assert_ptr_null(strstr(j, "\"bench/50\""));
    ck_assert_ptr_nonnull(strstr(j, "\"truncated\":10}"));
    ck_assert_ptr_nonnull(strstr(j, "\"context\":\"\""));
    lb_free(j);
}
END_TEST

START_TEST(issue_body_markdown)
{
    lb_comparison c;
    lb_comparison_row rows[5];
    make_cmp(&c, rows);
    char path[300], err[256] = "";
    snprintf(path, sizeof path, "%s/issue.md", g_dir);
    ck_assert_int_eq(lb_write_issue_body(path, &c, "Branch `main`", err, sizeof err), LB_OK);
    char *md = slurp(path);
    ck_assert_ptr_nonnull(md);
    ck_assert_msg(strncmp(md, "# Performance regression: 2 benchmarks slower than the baseline\n", 64) == 0, "%s", md);
    ck_assert_ptr_nonnull(strstr(md, "Branch `main`"));
    ck_assert_ptr_nonnull(strstr(md, "## Regressions (2)"));
    ck_assert_ptr_nonnull(strstr(md, "| knn_search/dim_128/10 | 1.00 µs | 1.25 µs | +25.0% | 5.0% | 0.001 | - |"));
    ck_assert_ptr_nonnull(strstr(md, "odd\"id\\\\with\\|pipe and"));  /* '|' escaped, newline flattened */
    ck_assert_ptr_nonnull(strstr(md, "peak +40.0%"));
    ck_assert_ptr_nonnull(strstr(md, "## Improvements (1)"));
    ck_assert_ptr_nonnull(strstr(md, "**Summary:** 2 regressions"));
    lb_free(md);

    memset(c.counts, 0, sizeof c.counts);
    c.counts[LB_VERDICT_NO_CHANGE] = 5;
    ck_assert_int_eq(lb_write_issue_body(path, &c, NULL, err, sizeof err), LB_OK);
    md = slurp(path);
    ck_assert_ptr_nonnull(md);
    ck_assert_ptr_nonnull(strstr(md, "# Benchmarks: no significant change\n"));
    ck_assert_ptr_null(strstr(md, "## Regressions"));
    lb_free(md);

    ck_assert_int_eq(lb_write_issue_body("/nonexistent-dir/x/issue.md", &c, NULL, err, sizeof err), LB_EIO);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/x/issue.md"));
}
END_TEST

/* ---- the webhook against the local server ---------------------------------- */

START_TEST(webhook_posts_json)
{
    lb_comparison c;
    lb_comparison_row rows[5];
    make_cmp(&c, rows);
    char *j = lb_notify_summary_json(&c, "ctx");
    ck_assert_ptr_nonnull(j);
    char url[128], body[300], err[512] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hooks/T000/B000/secret", g_port);
    snprintf(body, sizeof body, "%s/body.json", g_dir);
    unlink(body);
    int rc = lb_notify_webhook(url, j, 5000, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "rc %d: %s", rc, err);
    char *got = slurp(body); /* the server accepted it as JSON and stored it */
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, j);
    lb_free(got);
    lb_free(j);
}
END_TEST

START_TEST(webhook_http_error_is_reported)
{
    char url[128], err[512] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%d/fail/secret-token", g_port);
    ck_assert_int_eq(lb_notify_webhook(url, "{}", 5000, err, sizeof err), LB_EIO);
    ck_assert_msg(strstr(err, "HTTP status 500") != NULL, "%s", err);
    ck_assert_msg(strstr(err, "secret-token") == NULL, "the URL's path leaked: %s", err);
}
END_TEST

START_TEST(webhook_nothing_listening)
{
    /* a port that was free a moment ago: bind, read it, close */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    char url[128], err[512] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", ntohs(a.sin_port));
    double t0 = now_s();
    ck_assert_int_eq(lb_notify_webhook(url, "{}", 3000, err, sizeof err), LB_EIO);
    ck_assert_double_lt(now_s() - t0, 4.0);
    ck_assert_msg(strncmp(err, "webhook 127.0.0.1:", 18) == 0, "%s", err);
}
END_TEST

START_TEST(webhook_timeout)
{
    char url[128], err[512] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%d/slow", g_port);
    double t0 = now_s();
    ck_assert_int_eq(lb_notify_webhook(url, "{}", 500, err, sizeof err), LB_EIO);
    double dt = now_s() - t0;
    ck_assert_msg(dt < 3.0, "took %.2f s", dt);
    ck_assert_msg(strstr(err, "Timeout") != NULL, "%s", err);
}
END_TEST

/* Every printed URL goes through one helper: no userinfo, path or query, even
 * when the password holds '/', '?' or '#'. */
START_TEST(redact_url_hides_credentials)
{
    static const struct {
        const char *url, *want;
    } CASES[] = {
        {"https://user:pa/ss@host.example/x", "***@host.example/..."},
        {"https://user:pa?ss@host.example:8443/x?token=abc", "***@host.example:8443/..."},
        {"https://u:p#w@host.example", "***@host.example"},
        {"https://hooks.example/services/T0/B0/secret", "hooks.example/..."},
        {"http://127.0.0.1:9/hook?key=secret", "127.0.0.1:9/..."},
        {"https://a@b@host.example/p", "***@host.example/..."},
        {"https://host\x1b]0;pwned\x07.example/", "host\\x1B]0;pwned\\x07.example/..."},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char out[256];
        lb_notify_redact_url(out, sizeof out, CASES[i].url);
        ck_assert_msg(strcmp(out, CASES[i].want) == 0, "case %zu: '%s', want '%s'", i, out, CASES[i].want);
    }
    char small[8];
    lb_notify_redact_url(small, sizeof small, "https://user:pw@averylonghost.example/x");
    ck_assert_msg(!strstr(small, "pw"), "%s", small);
}
END_TEST

/* A userinfo with '/' must not reach the error either. */
START_TEST(webhook_error_hides_userinfo)
{
    char err[512] = "";
    ck_assert_int_eq(lb_notify_webhook("http://user:pa/ss@127.0.0.1:9/x", "{}", 1000, err, sizeof err), LB_EIO);
    ck_assert_msg(!strstr(err, "user") && !strstr(err, "pa/") && !strstr(err, "ss@"), "%s", err);
}
END_TEST

START_TEST(webhook_rejects_other_schemes)
{
    char err[256] = "";
    ck_assert_int_eq(lb_notify_webhook("file:///etc/passwd", "{}", 1000, err, sizeof err), LB_EUSAGE);
    ck_assert_int_eq(lb_notify_webhook("ftp://127.0.0.1/x", "{}", 1000, err, sizeof err), LB_EUSAGE);
    ck_assert_int_eq(lb_notify_webhook(NULL, "{}", 1000, err, sizeof err), LB_EUSAGE);
}
END_TEST

/* ---- the server's life ----------------------------------------------------- */

static pid_t start_server(void)
{
    char portfile[300], body[300], *argv[6];
    snprintf(portfile, sizeof portfile, "%s/port", g_dir);
    snprintf(body, sizeof body, "%s/body.json", g_dir);
    argv[0] = "python3";
    argv[1] = LB_NOTIFY_SERVER;
    argv[2] = portfile;
    argv[3] = body;
    argv[4] = "120"; /* seconds: gone even if this test dies */
    argv[5] = NULL;
    pid_t pid;
    if (posix_spawnp(&pid, "python3", NULL, NULL, argv, environ) != 0) return -1;
    for (int i = 0; i < 200; i++) { /* up to 20 s for the interpreter to start */
        FILE *f = fopen(portfile, "r");
        if (f) {
            int ok = fscanf(f, "%d", &g_port) == 1;
            fclose(f);
            if (ok && g_port > 0) return pid;
        }
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    return -1;
}

int main(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/lb_test_notify.XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    pid_t server = start_server();
    if (server < 0) {
        fprintf(stderr, "test_notify: could not start %s\n", LB_NOTIFY_SERVER);
        return 1;
    }
    Suite *s = suite_create("notify");
    TCase *t = tcase_create("summary");
    tcase_add_test(t, exit_status_from_counts);
    tcase_add_test(t, summary_json_fields);
    tcase_add_test(t, summary_json_truncates);
    tcase_add_test(t, issue_body_markdown);
    suite_add_tcase(s, t);
    TCase *w = tcase_create("webhook");
    tcase_add_test(w, webhook_posts_json);
    tcase_add_test(w, webhook_http_error_is_reported);
    tcase_add_test(w, webhook_nothing_listening);
    tcase_add_test(w, webhook_timeout);
    tcase_add_test(w, webhook_rejects_other_schemes);
    tcase_add_test(w, redact_url_hides_credentials);
    tcase_add_test(w, webhook_error_hides_userinfo);
    suite_add_tcase(s, w);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "test_notify: could not remove %s\n", g_dir);
    return failed ? 1 : 0;
}
