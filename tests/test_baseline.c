/* The baseline directory: machine slugs, names, save (validation, layout,
 * atomicity, ordering), latest, history pruning and listing. Results files are
 * made with lb_store; nothing here needs the comparison engine. */
#define _POSIX_C_SOURCE 200809L
#include "latentbench/alloc.h"
#include "latentbench/baseline.h"
#include "latentbench/error.h"
#include "latentbench/results.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MACHINE_A "Intel(R) Xeon(R) Platinum 8480+; 16 cores; avx512"
#define MACHINE_B "AMD EPYC 7763 64-Core Processor; 8 cores; avx2"

static char g_root[256];

/* A fresh directory per test (Check forks each test). */
static void fresh(char *dir, size_t len, const char *tag)
{
    snprintf(dir, len, "%s/%s", g_root, tag);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* complete: 0 writes a run that a rank stopped early */
static void make_results_c(const char *path, const char *machine, const char *commit, int complete)
{
    lb_results r;
    lb_row row;
    lb_sample samples[3] = {{1, 100.0, 0}, {2, 101.0, 0}, {3, 99.0, 0}};
    lb_sample *sp = samples;
    size_t ns = 3;
    memset(&r, 0, sizeof r);
    memset(&row, 0, sizeof row);
    snprintf(row.id, sizeof row.id, "knn_search/dim_128/10");
    row.samples = 3;
    row.median_ns = 100.0;
    r.meta.machine = (char *)machine;
    r.meta.git_commit = (char *)commit;
    r.meta.created = "2024-05-01T12:00:00Z";
    r.meta.complete = complete;
    r.meta.failure = complete ? NULL : "rank 1 (node7): out of memory";
    r.rows = &row;
    r.nrows = 1;
    r.samples = &sp;
    r.nsamples = &ns;
    char err[512] = "";
    ck_assert_msg(lb_results_write(path, &r, err, sizeof err) == LB_OK, "%s", err);
}

static void make_results(const char *path, const char *machine, const char *commit)
{
    make_results_c(path, machine, commit, 1);
}

static size_t count_files(const char *dir, const char *prefix, const char *suffix)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name), sl = strlen(suffix);
        if (!strncmp(e->d_name, prefix, strlen(prefix)) && l >= sl && !strcmp(e->d_name + l - sl, suffix)) n++;
    }
    closedir(d);
    return n;
}

static int same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb) same = 0;
        if (ca == EOF || cb == EOF) break;
    }
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* ---- names ----------------------------------------------------------------- */

START_TEST(slug_shape)
{
    char s[LB_BASELINE_SLUG_LEN], t[LB_BASELINE_SLUG_LEN];
    lb_baseline_machine_slug(MACHINE_A, s);
    ck_assert_msg(strncmp(s, "intel-xeon-platinum-8480-16-cores-avx512-", 41) == 0, "%s", s);
    ck_assert_uint_eq(strlen(s), 41 + 8);
    for (const char *p = s; *p; p++)
        ck_assert_msg((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-', "%s", s);
    lb_baseline_machine_slug(MACHINE_A, t);
    ck_assert_str_eq(s, t); /* deterministic */
    lb_baseline_machine_slug(MACHINE_B, t);
    ck_assert_str_ne(s, t);

    /* alike up to the 40 characters kept: the hash still tells them apart */
    lb_baseline_machine_slug("A very long CPU model name that goes on; 16 cores; avx512", s);
    lb_baseline_machine_slug("A very long CPU model name that goes on; 32 cores; avx512", t);
    ck_assert_uint_le(strlen(s), 40 + 9);
    ck_assert_str_ne(s, t);
    ck_assert_int_eq(strncmp(s, t, strlen(s) - 8), 0);

    lb_baseline_machine_slug(NULL, s);
    ck_assert_msg(strncmp(s, "unknown-", 8) == 0, "%s", s);
    lb_baseline_machine_slug("", t);
    ck_assert_str_eq(s, t);
    lb_baseline_machine_slug("(R)(TM) ;;; !!", s);
    ck_assert_msg(strncmp(s, "machine-", 8) == 0, "%s", s);
    lb_baseline_machine_slug("../../etc/passwd", s);
    ck_assert_ptr_null(strchr(s, '/'));
    ck_assert_ptr_null(strchr(s, '.'));
}
END_TEST

START_TEST(name_rules)
{
    static const struct {
        const char *name;
        int ok;
    } cases[] = {
        {"main", 1}, {"release-1.2_rc3", 1}, {"A", 1}, {"", 0}, {".hidden", 0}, {"a/b", 0}, {"..", 0},
        {"sp ace", 0}, {"machine.txt", 0}, {"x\n", 0},
        {"0123456789012345678901234567890123456789012345678901234567890123", 1},
        {"01234567890123456789012345678901234567890123456789012345678901234", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(lb_baseline_name_ok(cases[i].name) == cases[i].ok, "'%s'", cases[i].name);
    ck_assert_int_eq(lb_baseline_name_ok(NULL), 0);
}
END_TEST

START_TEST(keep_counts)
{
    ck_assert_int_eq(lb_baseline_keep(0, 50), 1);
    ck_assert_int_eq(lb_baseline_keep(1, 50), 50);
    ck_assert_int_eq(lb_baseline_keep(1, 0), 0);
}
END_TEST

/* ---- save and latest ------------------------------------------------------- */

START_TEST(save_layout_and_latest)
{
    char dir[300], src[400], store[400], saved[LB_BASELINE_PATH_LEN], latest[LB_BASELINE_PATH_LEN], err[512] = "";
    fresh(dir, sizeof dir, "layout");
    snprintf(src, sizeof src, "%s/current.h5", dir);
    snprintf(store, sizeof store, "%s/store/nested", dir); /* created on demand */
    make_results(src, MACHINE_A, "v1.0-3-gabc/dirty x");
    size_t pruned = 99;
    int rc = lb_baseline_save(store, "main", src, 50, saved, sizeof saved, &pruned, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "%s", err);
    ck_assert_uint_eq(pruned, 0);

    char slug[LB_BASELINE_SLUG_LEN], want_dir[600];
    lb_baseline_machine_slug(MACHINE_A, slug);
    snprintf(want_dir, sizeof want_dir, "%s/%s/main/", store, slug);
    ck_assert_msg(strncmp(saved, want_dir, strlen(want_dir)) == 0, "%s", saved);
    /* YYYYMMDDTHHMMSSZ-00_<commit>.h5, the commit made file-name safe */
    const char *f = base_name(saved);
    ck_assert_msg(strlen(f) == 16 + 4 + strlen("v1.0-3-gabc-dirty-x") + 3, "%s", f);
    ck_assert_msg(f[8] == 'T' && f[15] == 'Z' && !strncmp(f + 16, "-00_v1.0-3-gabc-dirty-x.h5", 26), "%s", f);
    ck_assert(same_bytes(src, saved));

    char mfile[700], line[512] = "";
    snprintf(mfile, sizeof mfile, "%s/%s/machine.txt", store, slug);
    FILE *m = fopen(mfile, "r");
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(fgets(line, sizeof line, m));
    fclose(m);
    ck_assert_str_eq(line, MACHINE_A "\n");

    ck_assert_int_eq(lb_baseline_latest(store, MACHINE_A, "main", latest, sizeof latest, err, sizeof err), LB_OK);
    ck_assert_str_eq(latest, saved);
    lb_results r;
    ck_assert_int_eq(lb_results_read(latest, &r, err, sizeof err), LB_OK);
    ck_assert_str_eq(r.meta.machine, MACHINE_A);
    lb_results_free(&r);

    /* another machine, another name: nothing */
    ck_assert_int_eq(lb_baseline_latest(store, MACHINE_B, "main", latest, sizeof latest, err, sizeof err),
                     LB_ENOINPUT);
    ck_assert_msg(strstr(err, MACHINE_B) != NULL, "%s", err);
    ck_assert_int_eq(lb_baseline_latest(store, MACHINE_A, "nightly", latest, sizeof latest, err, sizeof err),
                     LB_ENOINPUT);
    ck_assert_int_eq(lb_baseline_latest(store, MACHINE_A, "../x", latest, sizeof latest, err, sizeof err), LB_EUSAGE);
    char tiny[8];
    ck_assert_int_eq(lb_baseline_latest(store, MACHINE_A, "main", tiny, sizeof tiny, err, sizeof err), LB_EIO);
    /* no temporaries left behind */
    char namedir[700];
    snprintf(namedir, sizeof namedir, "%s/%s/main", store, slug);
    ck_assert_uint_eq(count_files(namedir, ".lb-save.", ""), 0);
    ck_assert_uint_eq(count_files(namedir, "", ".h5"), 1);
}
END_TEST

START_TEST(machines_kept_apart)
{
    char dir[300], a[400], b[400], pa[LB_BASELINE_PATH_LEN], pb[LB_BASELINE_PATH_LEN], err[512] = "";
    fresh(dir, sizeof dir, "machines");
    snprintf(a, sizeof a, "%s/a.h5", dir);
    snprintf(b, sizeof b, "%s/b.h5", dir);
    make_results(a, MACHINE_A, "aaa");
    make_results(b, MACHINE_B, "bbb");
    ck_assert_int_eq(lb_baseline_save(dir, "main", a, 0, NULL, 0, NULL, err, sizeof err), LB_OK);
    ck_assert_int_eq(lb_baseline_save(dir, "main", b, 0, NULL, 0, NULL, err, sizeof err), LB_OK);
    ck_assert_int_eq(lb_baseline_latest(dir, MACHINE_A, "main", pa, sizeof pa, err, sizeof err), LB_OK);
    ck_assert_int_eq(lb_baseline_latest(dir, MACHINE_B, "main", pb, sizeof pb, err, sizeof err), LB_OK);
    ck_assert_ptr_nonnull(strstr(base_name(pa), "_aaa.h5"));
    ck_assert_ptr_nonnull(strstr(base_name(pb), "_bbb.h5"));
}
END_TEST

START_TEST(history_and_order)
{
    char dir[300], src[400], saved[LB_BASELINE_PATH_LEN], latest[LB_BASELINE_PATH_LEN], err[512] = "";
    fresh(dir, sizeof dir, "history");
    snprintf(src, sizeof src, "%s/current.h5", dir);
    char slug[LB_BASELINE_SLUG_LEN], namedir[700];
    lb_baseline_machine_slug(MACHINE_A, slug);
    snprintf(namedir, sizeof namedir, "%s/%s/main", dir, slug);
    /* five saves within a second or two: the sequence keeps them ordered */
    for (int i = 1; i <= 5; i++) {
        char commit[16];
        snprintf(commit, sizeof commit, "c%d", i);
        make_results(src, MACHINE_A, commit);
        size_t pruned = 0;
        ck_assert_int_eq(lb_baseline_save(dir, "main", src, 3, saved, sizeof saved, &pruned, err, sizeof err), LB_OK);
        ck_assert_uint_eq(pruned, i > 3 ? 1 : 0);
        ck_assert_int_eq(lb_baseline_latest(dir, MACHINE_A, "main", latest, sizeof latest, err, sizeof err), LB_OK);
        ck_assert_str_eq(latest, saved);
        ck_assert_msg(strstr(base_name(latest), commit) != NULL, "%s", latest);
    }
    ck_assert_uint_eq(count_files(namedir, "", ".h5"), 3);

    lb_baseline_entry *e;
    size_t n;
    ck_assert_int_eq(lb_baseline_list(dir, &e, &n, err, sizeof err), LB_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(e[0].commit, "c3");
    ck_assert_str_eq(e[2].commit, "c5");
    ck_assert_int_eq(e[0].latest + e[1].latest, 0);
    ck_assert_int_eq(e[2].latest, 1);
    ck_assert_str_eq(e[2].machine, MACHINE_A);
    ck_assert_str_eq(e[2].name, "main");
    ck_assert_str_eq(e[2].slug, slug);
    ck_assert_msg(strlen(e[2].saved) == 20 && e[2].saved[4] == '-' && e[2].saved[10] == 'T', "%s", e[2].saved);
    lb_baseline_list_free(e, n);

    /* without history: only the newest stays */
    make_results(src, MACHINE_A, "c6");
    size_t pruned = 0;
    ck_assert_int_eq(lb_baseline_save(dir, "main", src, lb_baseline_keep(0, 50), saved, sizeof saved, &pruned, err,
                                      sizeof err),
                     LB_OK);
    ck_assert_uint_eq(pruned, 3);
    ck_assert_uint_eq(count_files(namedir, "", ".h5"), 1);
    ck_assert_ptr_nonnull(strstr(base_name(saved), "_c6.h5"));
}
END_TEST

START_TEST(save_after_future_name)
{
    /* a file from a clock ahead of ours: the new save must still be latest */
    char dir[300], src[400], saved[LB_BASELINE_PATH_LEN], latest[LB_BASELINE_PATH_LEN], err[512] = "";
    fresh(dir, sizeof dir, "future");
    snprintf(src, sizeof src, "%s/current.h5", dir);
    make_results(src, MACHINE_A, "old");
    ck_assert_int_eq(lb_baseline_save(dir, "main", src, 0, saved, sizeof saved, NULL, err, sizeof err), LB_OK);
    char future[LB_BASELINE_PATH_LEN + 64];
    snprintf(future, sizeof future, "%.*s/29991231T235959Z-00_zzz.h5",
             (int)(strlen(saved) - strlen(base_name(saved)) - 1), saved);
    ck_assert_int_eq(rename(saved, future), 0);
    make_results(src, MACHINE_A, "new");
    ck_assert_int_eq(lb_baseline_save(dir, "main", src, 0, saved, sizeof saved, NULL, err, sizeof err), LB_OK);
    ck_assert_str_eq(base_name(saved), "29991231T235959Z-01_new.h5");
    ck_assert_int_eq(lb_baseline_latest(dir, MACHINE_A, "main", latest, sizeof latest, err, sizeof err), LB_OK);
    ck_assert_str_eq(latest, saved);
}
END_TEST

START_TEST(save_rejects_bad_input)
{
    char dir[300], src[400], store[400], err[512] = "";
    fresh(dir, sizeof dir, "bad");
    snprintf(store, sizeof store, "%s/store", dir);
    snprintf(src, sizeof src, "%s/garbage.h5", dir);
    FILE *f = fopen(src, "w");
    ck_assert_ptr_nonnull(f);
    fputs("not an HDF5 file\n", f);
    fclose(f);
    ck_assert_int_eq(lb_baseline_save(store, "main", src, 0, NULL, 0, NULL, err, sizeof err), LB_EDATA);
    ck_assert_msg(strstr(err, "garbage.h5") != NULL, "%s", err);
    struct stat st;
    ck_assert_int_ne(stat(store, &st), 0); /* nothing written, not even directories */

    snprintf(src, sizeof src, "%s/missing.h5", dir);
    ck_assert_int_eq(lb_baseline_save(store, "main", src, 0, NULL, 0, NULL, err, sizeof err), LB_ENOINPUT);

    snprintf(src, sizeof src, "%s/ok.h5", dir);
    make_results(src, MACHINE_A, "abc");
    ck_assert_int_eq(lb_baseline_save(store, "no/slash", src, 0, NULL, 0, NULL, err, sizeof err), LB_EUSAGE);
    ck_assert_int_eq(lb_baseline_save(store, NULL, src, 0, NULL, 0, NULL, err, sizeof err), LB_EUSAGE);

    /* a run stopped early by a failing rank lacks rows: never a baseline */
    snprintf(src, sizeof src, "%s/partial.h5", dir);
    make_results_c(src, MACHINE_A, "abc", 0);
    ck_assert_int_eq(lb_baseline_save(store, "main", src, 0, NULL, 0, NULL, err, sizeof err), LB_EDATA);
    ck_assert_msg(strstr(err, "incomplete") && strstr(err, "rank 1"), "%s", err);
    ck_assert_int_ne(stat(store, &st), 0);

    /* a store that cannot exist: under a regular file */
    char blocked[500];
    snprintf(blocked, sizeof blocked, "%s/garbage.h5/store", dir);
    snprintf(src, sizeof src, "%s/garbage.h5", dir);
    char ok[400];
    snprintf(ok, sizeof ok, "%s/ok.h5", dir);
    ck_assert_int_eq(lb_baseline_save(blocked, "main", ok, 0, NULL, 0, NULL, err, sizeof err), LB_EIO);
    ck_assert_msg(strstr(err, "garbage.h5") != NULL, "%s", err);
}
END_TEST

START_TEST(prune_and_list)
{
    char dir[300], src[400], err[512] = "";
    fresh(dir, sizeof dir, "prune");
    snprintf(src, sizeof src, "%s/current.h5", dir);
    char store[400];
    snprintf(store, sizeof store, "%s/store", dir);
    lb_baseline_entry *e;
    size_t n, removed = 7;
    /* a missing store is empty, not an error */
    ck_assert_int_eq(lb_baseline_list(store, &e, &n, err, sizeof err), LB_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(lb_baseline_prune(store, NULL, 2, &removed, err, sizeof err), LB_OK);
    ck_assert_uint_eq(removed, 0);

    const char *names[] = {"main", "nightly"};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 4; i++) {
            make_results(src, i % 2 ? MACHINE_B : MACHINE_A, names[k]);
            ck_assert_int_eq(lb_baseline_save(store, names[k], src, 0, NULL, 0, NULL, err, sizeof err), LB_OK);
        }
    ck_assert_int_eq(lb_baseline_list(store, &e, &n, err, sizeof err), LB_OK);
    ck_assert_uint_eq(n, 8);
    lb_baseline_list_free(e, n);

    /* debris: an old temporary (removed), a young one and a stranger (kept) */
    char slug[LB_BASELINE_SLUG_LEN], namedir[700], p[800];
    lb_baseline_machine_slug(MACHINE_A, slug);
    snprintf(namedir, sizeof namedir, "%s/%s/main", store, slug);
    snprintf(p, sizeof p, "%s/.lb-save.old123", namedir);
    fclose(fopen(p, "w"));
    struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
    ck_assert_int_eq(utimensat(AT_FDCWD, p, old, 0), 0);
    snprintf(p, sizeof p, "%s/.lb-save.young1", namedir);
    fclose(fopen(p, "w"));
    snprintf(p, sizeof p, "%s/README.md", namedir);
    fclose(fopen(p, "w"));

    ck_assert_int_eq(lb_baseline_prune(store, "nightly", 1, &removed, err, sizeof err), LB_OK);
    ck_assert_uint_eq(removed, 2); /* nightly: 2 per machine -> 1 each */
    ck_assert_int_eq(lb_baseline_prune(store, NULL, 1, &removed, err, sizeof err), LB_OK);
    ck_assert_uint_eq(removed, 3); /* main: 1 + 1, and the old temporary */
    ck_assert_uint_eq(count_files(namedir, ".lb-save.", ""), 1);
    ck_assert_uint_eq(count_files(namedir, "README", ""), 1);

    ck_assert_int_eq(lb_baseline_list(store, &e, &n, err, sizeof err), LB_OK);
    ck_assert_uint_eq(n, 4);
    for (size_t i = 0; i < n; i++) ck_assert_int_eq(e[i].latest, 1);
    /* sorted by slug, then name */
    for (size_t i = 1; i < n; i++) {
        int c = strcmp(e[i - 1].slug, e[i].slug);
        ck_assert(c < 0 || (c == 0 && strcmp(e[i - 1].name, e[i].name) < 0));
    }
    lb_baseline_list_free(e, n);
}
END_TEST

/* Prune deletes: it must never follow a link out of the store. A machine
 * directory, a name directory and a baseline-named file that are symlinks to
 * places outside keep everything there. */
START_TEST(prune_never_follows_links)
{
    char dir[300], src[400], err[512] = "", store[400], outside[400], p[1400], q[1400];
    fresh(dir, sizeof dir, "links");
    snprintf(src, sizeof src, "%s/current.h5", dir);
    snprintf(store, sizeof store, "%s/store", dir);
    snprintf(outside, sizeof outside, "%s/outside", dir);
    /* outside: a directory shaped like a machine directory, full of baseline-named files */
    for (int i = 0; i < 3; i++) {
        make_results(src, MACHINE_B, "victim");
        ck_assert_int_eq(lb_baseline_save(outside, "main", src, 0, NULL, 0, NULL, err, sizeof err), LB_OK);
    }
    make_results(src, MACHINE_A, "mine");
    ck_assert_int_eq(lb_baseline_save(store, "main", src, 0, NULL, 0, NULL, err, sizeof err), LB_OK);
    char slug_a[LB_BASELINE_SLUG_LEN], slug_b[LB_BASELINE_SLUG_LEN];
    lb_baseline_machine_slug(MACHINE_A, slug_a);
    lb_baseline_machine_slug(MACHINE_B, slug_b);
    /* 1: a machine directory that is a link */
    snprintf(p, sizeof p, "%s/%s", outside, slug_b);
    snprintf(q, sizeof q, "%s/linked-machine", store);
    ck_assert_int_eq(symlink(p, q), 0);
    /* 2: a name directory that is a link */
    snprintf(p, sizeof p, "%s/%s/main", outside, slug_b);
    snprintf(q, sizeof q, "%s/%s/nightly", store, slug_a);
    ck_assert_int_eq(symlink(p, q), 0);
    /* 3: baseline-named links to files outside, older than the real one */
    char namedir[800], outdir[800];
    snprintf(namedir, sizeof namedir, "%s/%s/main", store, slug_a);
    snprintf(outdir, sizeof outdir, "%s/%s/main", outside, slug_b);
    ck_assert_uint_eq(count_files(outdir, "", ".h5"), 3);
    DIR *d = opendir(outdir);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    int k = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", outdir, e->d_name);
        snprintf(q, sizeof q, "%s/20000101T00000%dZ-01_link.h5", namedir, k++);
        ck_assert_int_eq(symlink(p, q), 0);
    }
    closedir(d);
    size_t removed = 9;
    ck_assert_int_eq(lb_baseline_prune(store, NULL, 1, &removed, err, sizeof err), LB_OK);
    ck_assert_uint_eq(removed, 0);
    ck_assert_uint_eq(count_files(outdir, "", ".h5"), 3); /* nothing outside was touched */
    ck_assert_int_eq(lb_baseline_prune(store, "nightly", 1, &removed, err, sizeof err), LB_OK);
    ck_assert_uint_eq(count_files(outdir, "", ".h5"), 3);
    /* the store's own directory may be a link: the user named it */
    snprintf(q, sizeof q, "%s/store-link", dir);
    ck_assert_int_eq(symlink(store, q), 0);
    make_results(src, MACHINE_A, "mine2");
    ck_assert_int_eq(lb_baseline_save(store, "main", src, 0, NULL, 0, NULL, err, sizeof err), LB_OK);
    ck_assert_int_eq(lb_baseline_prune(q, "main", 1, &removed, err, sizeof err), LB_OK);
    ck_assert_uint_eq(removed, 1);
    ck_assert_uint_eq(count_files(outdir, "", ".h5"), 3);
}
END_TEST

int main(void)
{
    snprintf(g_root, sizeof g_root, "/tmp/lb_test_baseline.XXXXXX");
    if (!mkdtemp(g_root)) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("baseline");
    TCase *t = tcase_create("names");
    tcase_add_test(t, slug_shape);
    tcase_add_test(t, name_rules);
    tcase_add_test(t, keep_counts);
    suite_add_tcase(s, t);
    TCase *st = tcase_create("store");
    tcase_add_test(st, save_layout_and_latest);
    tcase_add_test(st, machines_kept_apart);
    tcase_add_test(st, history_and_order);
    tcase_add_test(st, save_after_future_name);
    tcase_add_test(st, save_rejects_bad_input);
    tcase_add_test(st, prune_and_list);
    tcase_add_test(st, prune_never_follows_links);
    suite_add_tcase(s, st);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_root);
    if (system(cmd) != 0) fprintf(stderr, "test_baseline: could not remove %s\n", g_root);
    return failed ? 1 : 0;
}
