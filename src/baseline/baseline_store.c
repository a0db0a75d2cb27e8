/* The baseline directory: save (validated byte copy, no-clobber link), latest,
 * prune and list. The layout is described in baseline.h and docs/BASELINES.md. */
#define _POSIX_C_SOURCE 200809L

#include "latentbench/baseline.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/fileio.h"
#include "latentbench/results.h"
#include "latentbench/text.h"

#define STAMP_LEN 16           /* YYYYMMDDTHHMMSSZ */
#define COMMIT_MAX 40
#define TMP_PREFIX ".lb-save."
#define STALE_TMP_SECONDS 3600 /* older temporaries belong to saves that died */
#define MACHINE_FILE "machine.txt"

/* ---- small helpers --------------------------------------------------------- */

static int join(char *out, size_t len, const char *a, const char *b, char *err, size_t errlen)
{
    int n = snprintf(out, len, "%s/%s", a, b);
    if (n < 0 || (size_t)n >= len) return lb_errorf(err, errlen, LB_EIO, "%s/%s: path too long", a, b);
    return LB_OK;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int mkdir_p(const char *path, char *err, size_t errlen)
{
    char buf[LB_BASELINE_PATH_LEN];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return lb_errorf(err, errlen, LB_EIO, "%s: path too long", path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return lb_errorf(err, errlen, LB_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
        if (!is_dir(buf)) return lb_errorf(err, errlen, LB_EIO, "%s: not a directory", buf);
        *p = saved;
        if (!saved) break;
    }
    return LB_OK;
}

/* Makes a rename or link durable; failure is harmless, so not reported. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* "20240501T120000Z-00_abc123.h5": fills saved ("2024-05-01T12:00:00Z") and
 * commit (either may be NULL); 0 for any other name. */
static int parse_file_name(const char *s, char saved[24], char commit[48])
{
    size_t n = strlen(s);
    if (n < STAMP_LEN + 4 + 1 + 3 || strcmp(s + n - 3, ".h5") != 0) return 0;
    for (int i = 0; i < STAMP_LEN; i++) {
        char c = s[i];
        int ok = i == 8 ? c == 'T' : i == 15 ? c == 'Z' : (c >= '0' && c <= '9');
        if (!ok) return 0;
    }
    const char *q = s + STAMP_LEN;
    if (q[0] != '-' || q[1] < '0' || q[1] > '9' || q[2] < '0' || q[2] > '9' || q[3] != '_') return 0;
    const char *c0 = q + 4, *c1 = s + n - 3;
    if (c1 <= c0 || (size_t)(c1 - c0) > COMMIT_MAX) return 0;
    for (const char *p = c0; p < c1; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '-'))
            return 0;
    if (saved)
        snprintf(saved, 24, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", s, s + 4, s + 6, s + 9, s + 11, s + 13);
    if (commit) snprintf(commit, 48, "%.*s", (int)(c1 - c0), c0);
    return 1;
}

static int is_baseline_file(const char *name) { return parse_file_name(name, NULL, NULL); }
static int is_slug_dir(const char *name) { return name[0] != '.'; }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) lb_free(v[i]);
    lb_free(v);
}

/* The entries of an open directory accepted by keep, sorted by name; closes d.
 * where names the directory in messages. */
static int collect_names(DIR *d, const char *where, int (*keep)(const char *), char ***out, size_t *n, char *err,
                         size_t errlen)
{
    char **v = NULL;
    size_t cap = 0, len = 0;
    int rc = LB_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !keep(e->d_name)) continue;
        if (len == cap) {
            size_t nc = cap ? 2 * cap : 16;
            char **nv = lb_realloc(v, nc * sizeof *v);
            if (!nv) { rc = LB_ENOMEM; break; }
            v = nv;
            cap = nc;
        }
        if (!(v[len] = lb_strdup(e->d_name))) { rc = LB_ENOMEM; break; }
        len++;
    }
    closedir(d);
    if (rc) {
        free_names(v, len);
        return lb_errorf(err, errlen, rc, "%s: out of memory", where);
    }
    if (len) qsort(v, len, sizeof *v, cmp_str);
    *out = v;
    *n = len;
    return LB_OK;
}

/* The entries of dir accepted by keep, sorted by name. A missing dir is 0
 * entries when missing_ok, else LB_ENOINPUT. */
static int read_names(const char *dir, int (*keep)(const char *), int missing_ok, char ***out, size_t *n, char *err,
                      size_t errlen)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT && missing_ok) return LB_OK;
        return lb_errorf(err, errlen, errno == ENOENT ? LB_ENOINPUT : LB_EIO, "%s: cannot read directory: %s", dir,
                         strerror(errno));
    }
    return collect_names(d, dir, keep, out, n, err, errlen);
}

/* ---- save ------------------------------------------------------------------ */

static void commit_token(const char *commit, char out[COMMIT_MAX + 1])
{
    size_t n = 0;
    for (const char *p = commit ? commit : ""; *p && n < COMMIT_MAX; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
        out[n++] = ok ? c : '-';
    }
    out[n] = '\0';
    if (!n) snprintf(out, COMMIT_MAX + 1, "unknown");
}

/* Copies src into a new temporary file in dir; its name goes to tmp. */
static int copy_to_temp(const char *src, const char *dir, char *tmp, size_t tmplen, char *err, size_t errlen)
{
    if (snprintf(tmp, tmplen, "%s/" TMP_PREFIX "XXXXXX", dir) >= (int)tmplen)
        return lb_errorf(err, errlen, LB_EIO, "%s: path too long", dir);
    int out = mkstemp(tmp);
    if (out < 0) return lb_errorf(err, errlen, LB_EIO, "%s: cannot create a file: %s", dir, strerror(errno));
    int rc = LB_OK;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    enum { BUF = 1 << 16 };
    char *buf = lb_malloc(BUF);
    if (in < 0) rc = lb_errorf(err, errlen, LB_EIO, "%s: cannot open: %s", src, strerror(errno));
    else if (!buf) rc = lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", src);
    while (!rc) {
        ssize_t got = read(in, buf, BUF);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) { rc = lb_errorf(err, errlen, LB_EIO, "%s: read failed: %s", src, strerror(errno)); break; }
        if (got == 0) break;
        for (ssize_t off = 0; off < got && !rc;) {
            ssize_t put = write(out, buf + off, (size_t)(got - off));
            if (put < 0 && errno == EINTR) continue;
            if (put < 0) rc = lb_errorf(err, errlen, LB_EIO, "%s: write failed: %s", tmp, strerror(errno));
            else off += put;
        }
    }
    lb_free(buf);
    if (in >= 0) close(in);
    /* the file must be on disk before its name can be */
    if (!rc && fsync(out) != 0) rc = lb_errorf(err, errlen, LB_EIO, "%s: fsync failed: %s", tmp, strerror(errno));
    if (close(out) != 0 && !rc) rc = lb_errorf(err, errlen, LB_EIO, "%s: close failed: %s", tmp, strerror(errno));
    if (rc) unlink(tmp);
    return rc;
}

static int put_line(FILE *out, void *text)
{
    return fprintf(out, "%s\n", (const char *)text) < 0 ? LB_EIO : LB_OK;
}

/* Writes DIR/<slug>/machine.txt unless it already holds machine. */
static int write_machine_file(const char *slugdir, const char *machine, char *err, size_t errlen)
{
    char path[LB_BASELINE_PATH_LEN];
    int rc = join(path, sizeof path, slugdir, MACHINE_FILE, err, errlen);
    if (rc) return rc;
    FILE *f = fopen(path, "r");
    if (f) {
        char have[1024] = "";
        size_t got = fread(have, 1, sizeof have - 1, f);
        have[got] = '\0';
        fclose(f);
        have[strcspn(have, "\n")] = '\0';
        if (!strcmp(have, machine)) return LB_OK;
    }
    return lb_write_atomic(path, put_line, (void *)machine, err, errlen);
}

static int prune_one(const char *namedir, long keep, size_t *removed, char *err, size_t errlen);

int lb_baseline_save(const char *dir, const char *name, const char *results_path, long keep, char *saved,
                     size_t savedlen, size_t *pruned, char *err, size_t errlen)
{
    if (pruned) *pruned = 0;
    if (!lb_baseline_name_ok(name))
        return lb_errorf(err, errlen, LB_EUSAGE, "baseline name '%s': use 1 to %d of [A-Za-z0-9._-], not starting "
                         "with '.'", name ? name : "", LB_BASELINE_NAME_MAX);
    if (!dir || !*dir) dir = LB_BASELINE_DEFAULT_DIR;

    /* only a file that reads back completely may become a baseline */
    lb_results r;
    int rc = lb_results_read(results_path, &r, err, errlen);
    if (rc) return rc;
    if (!r.meta.complete) { /* a run a rank stopped early lacks rows: no baseline */
        rc = lb_errorf(err, errlen, LB_EDATA, "%s: the run is incomplete (%s); it cannot be a baseline", results_path,
                       r.meta.failure && *r.meta.failure ? r.meta.failure : "stopped early");
        lb_results_free(&r);
        return rc;
    }
    char slug[LB_BASELINE_SLUG_LEN], commit[COMMIT_MAX + 1];
    lb_baseline_machine_slug(r.meta.machine, slug);
    commit_token(r.meta.git_commit, commit);
    char *machine = lb_strdup(r.meta.machine ? r.meta.machine : "");
    lb_results_free(&r);
    if (!machine) return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", results_path);

    char slugdir[LB_BASELINE_PATH_LEN], namedir[LB_BASELINE_PATH_LEN], tmp[LB_BASELINE_PATH_LEN];
    char final[LB_BASELINE_PATH_LEN];
    char **names = NULL;
    size_t nnames = 0;
    rc = join(slugdir, sizeof slugdir, dir, slug, err, errlen);
    if (!rc) rc = join(namedir, sizeof namedir, slugdir, name, err, errlen);
    if (!rc) rc = mkdir_p(namedir, err, errlen);
    if (!rc) rc = write_machine_file(slugdir, machine, err, errlen);
    lb_free(machine);
    if (!rc) rc = copy_to_temp(results_path, namedir, tmp, sizeof tmp, err, errlen);
    if (rc) return rc;

    /* The new name must sort after every existing one, whatever the clock says:
     * the latest baseline is the greatest name. */
    char stamp[STAMP_LEN + 1];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    rc = read_names(namedir, is_baseline_file, 0, &names, &nnames, err, errlen);
    if (!rc && nnames && strncmp(names[nnames - 1], stamp, STAMP_LEN) > 0)
        memcpy(stamp, names[nnames - 1], STAMP_LEN);
    int done = 0;
    for (int seq = 0; !rc && !done && seq < 100; seq++) {
        char file[STAMP_LEN + 4 + COMMIT_MAX + 4];
        snprintf(file, sizeof file, "%s-%02d_%s.h5", stamp, seq, commit);
        if (nnames && strcmp(file, names[nnames - 1]) <= 0) continue;
        rc = join(final, sizeof final, namedir, file, err, errlen);
        if (rc) break;
        /* link never replaces an existing file, unlike rename: a concurrent
         * save of the same second takes the next sequence number instead */
        if (link(tmp, final) == 0) {
            done = 1;
        } else if (errno == EEXIST) {
            continue;
        } else if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == EXDEV) {
            /* no hard links on this file system: rename, having checked first */
            if (access(final, F_OK) == 0) continue;
            if (rename(tmp, final) == 0) done = 1;
            else rc = lb_errorf(err, errlen, LB_EIO, "%s: cannot rename: %s", final, strerror(errno));
        } else {
            rc = lb_errorf(err, errlen, LB_EIO, "%s: cannot create: %s", final, strerror(errno));
        }
    }
    free_names(names, nnames);
    unlink(tmp); /* after link: the second name; after rename: already gone */
    if (!rc && !done) rc = lb_errorf(err, errlen, LB_EIO, "%s: too many baselines saved within one second", namedir);
    if (rc) return rc;
    sync_dir(namedir);
    if (saved && snprintf(saved, savedlen, "%s", final) >= (int)savedlen)
        return lb_errorf(err, errlen, LB_EIO, "%s: path longer than the buffer", final);
    return keep > 0 ? prune_one(namedir, keep, pruned, err, errlen) : LB_OK;
}

/* ---- latest ---------------------------------------------------------------- */

int lb_baseline_latest(const char *dir, const char *machine, const char *name, char *path, size_t pathlen, char *err,
                       size_t errlen)
{
    if (!lb_baseline_name_ok(name)) return lb_errorf(err, errlen, LB_EUSAGE, "baseline name '%s' is not valid", name);
    if (!dir || !*dir) dir = LB_BASELINE_DEFAULT_DIR;
    char slug[LB_BASELINE_SLUG_LEN], namedir[LB_BASELINE_PATH_LEN];
    lb_baseline_machine_slug(machine, slug);
    int n = snprintf(namedir, sizeof namedir, "%s/%s/%s", dir, slug, name);
    if (n < 0 || (size_t)n >= sizeof namedir) return lb_errorf(err, errlen, LB_EIO, "%s: path too long", dir);
    char **names;
    size_t nnames;
    int rc = read_names(namedir, is_baseline_file, 1, &names, &nnames, err, errlen);
    if (rc) return rc;
    if (!nnames)
        return lb_errorf(err, errlen, LB_ENOINPUT, "%s: no baseline '%s' for machine '%s'", namedir, name,
                         machine && *machine ? machine : "unknown");
    rc = join(path, pathlen, namedir, names[nnames - 1], err, errlen);
    free_names(names, nnames);
    return rc;
}

/* ---- prune ----------------------------------------------------------------- */

/* Prune deletes, so it never follows a link below the store's directory: a
 * machine or name directory that is a symlink (a slip, or a PR that commits
 * one) would otherwise lead it to baseline-named files anywhere. It walks with
 * directory descriptors (openat with O_NOFOLLOW, so nothing is swapped in
 * between check and use) and unlinks only regular files. The store's own
 * directory may be a link: the user named it. */

static int is_stale_tmp_name(const char *name) { return strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0; }

/* The subdirectory name of dirfd, not through a symlink; -1 when it is not a
 * real directory (or cannot be opened). */
static int open_subdir(int dirfd, const char *name)
{
    return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* As read_names, over an open directory (dirfd stays open); where names the
 * directory in messages. */
static int read_names_at(int dirfd, const char *where, int (*keep)(const char *), char ***out, size_t *n,
                         char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    int fd = dup(dirfd);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0) close(fd);
        return lb_errorf(err, errlen, LB_EIO, "%s: cannot read directory: %s", where, strerror(errno));
    }
    rewinddir(d);
    return collect_names(d, where, keep, out, n, err, errlen);
}

/* A regular file of dirfd (a link, even to a regular file, is not). */
static int is_regular_at(int dirfd, const char *name, struct stat *st)
{
    return fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st->st_mode);
}

/* Temporaries of saves that died; a young one may belong to a save in progress. */
static void remove_stale_tmps_at(int dirfd, size_t *removed)
{
    char **names;
    size_t n;
    char e[8];
    if (read_names_at(dirfd, "", is_stale_tmp_name, &names, &n, e, sizeof e)) return;
    time_t now = time(NULL);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (!is_regular_at(dirfd, names[i], &st)) continue;
        if (now - st.st_mtime > STALE_TMP_SECONDS && unlinkat(dirfd, names[i], 0) == 0 && removed) (*removed)++;
    }
    free_names(names, n);
}

/* Keeps the newest `keep` regular baseline files of the name directory open
 * at dirfd (namedir: its path, for messages). */
static int prune_at(int dirfd, const char *namedir, long keep, size_t *removed, char *err, size_t errlen)
{
    remove_stale_tmps_at(dirfd, removed);
    if (keep < 1) return LB_OK;
    char **names;
    size_t n;
    int rc = read_names_at(dirfd, namedir, is_baseline_file, &names, &n, err, errlen);
    if (rc) return rc;
    size_t nreg = 0; /* names sorted oldest first; only regular files count */
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (is_regular_at(dirfd, names[i], &st)) names[nreg++] = names[i];
        else lb_free(names[i]);
    }
    for (size_t i = 0; !rc && nreg > (size_t)keep && i < nreg - (size_t)keep; i++) {
        if (unlinkat(dirfd, names[i], 0) != 0 && errno != ENOENT)
            rc = lb_errorf(err, errlen, LB_EIO, "%s/%s: cannot remove: %s", namedir, names[i], strerror(errno));
        else if (removed)
            (*removed)++;
    }
    free_names(names, nreg);
    return rc;
}

static int prune_one(const char *namedir, long keep, size_t *removed, char *err, size_t errlen)
{
    int fd = open(namedir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return LB_OK; /* gone, or not a real directory: nothing of ours to prune */
    int rc = prune_at(fd, namedir, keep, removed, err, errlen);
    close(fd);
    return rc;
}

static int is_name_dir(const char *name) { return lb_baseline_name_ok(name); }

int lb_baseline_prune(const char *dir, const char *name, long keep, size_t *removed, char *err, size_t errlen)
{
    if (removed) *removed = 0;
    if (!dir || !*dir) dir = LB_BASELINE_DEFAULT_DIR;
    int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
        if (errno == ENOENT) return LB_OK; /* no store yet: nothing to prune */
        return lb_errorf(err, errlen, LB_EIO, "%s: cannot read directory: %s", dir, strerror(errno));
    }
    char **slugs;
    size_t nslugs;
    int rc = read_names_at(root, dir, is_slug_dir, &slugs, &nslugs, err, errlen);
    for (size_t i = 0; !rc && i < nslugs; i++) {
        int slugfd = open_subdir(root, slugs[i]);
        if (slugfd < 0) continue; /* a file, or a link: not part of the store */
        char **names = NULL;
        size_t nnames = 0;
        remove_stale_tmps_at(slugfd, removed);
        char where[LB_BASELINE_PATH_LEN];
        rc = join(where, sizeof where, dir, slugs[i], err, errlen);
        if (!rc) rc = read_names_at(slugfd, where, is_name_dir, &names, &nnames, err, errlen);
        for (size_t j = 0; !rc && j < nnames; j++) {
            if (name && strcmp(name, names[j]) != 0) continue;
            int namefd = open_subdir(slugfd, names[j]);
            if (namefd < 0) continue;
            char namedir[LB_BASELINE_PATH_LEN];
            rc = join(namedir, sizeof namedir, where, names[j], err, errlen);
            if (!rc) rc = prune_at(namefd, namedir, keep, removed, err, errlen);
            close(namefd);
        }
        free_names(names, nnames);
        close(slugfd);
    }
    free_names(slugs, nslugs);
    close(root);
    return rc;
}

/* ---- list ------------------------------------------------------------------ */

static char *read_machine_file(const char *slugdir)
{
    char path[LB_BASELINE_PATH_LEN], buf[1024] = "";
    char e[8];
    if (join(path, sizeof path, slugdir, MACHINE_FILE, e, sizeof e)) return lb_strdup("");
    FILE *f = fopen(path, "r");
    if (f) {
        size_t got = fread(buf, 1, sizeof buf - 1, f);
        buf[got] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        fclose(f);
    }
    return lb_strdup(buf);
}

void lb_baseline_list_free(lb_baseline_entry *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++) {
        lb_free(e[i].machine);
        lb_free(e[i].path);
    }
    lb_free(e);
}

static int list_name_dir(const char *slug, const char *slugdir, const char *name, const char *machine,
                         lb_baseline_entry **v, size_t *len, size_t *cap, char *err, size_t errlen)
{
    char namedir[LB_BASELINE_PATH_LEN];
    char **files;
    size_t nfiles;
    int rc = join(namedir, sizeof namedir, slugdir, name, err, errlen);
    if (rc || !is_dir(namedir)) return rc;
    rc = read_names(namedir, is_baseline_file, 1, &files, &nfiles, err, errlen);
    for (size_t k = 0; !rc && k < nfiles; k++) {
        if (*len == *cap) {
            size_t nc = *cap ? 2 * *cap : 16;
            lb_baseline_entry *nv = lb_realloc(*v, nc * sizeof *nv);
            if (!nv) { rc = lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", namedir); break; }
            *v = nv;
            *cap = nc;
        }
        lb_baseline_entry *e = &(*v)[*len];
        memset(e, 0, sizeof *e);
        /* directory and file names are anyone's: the display fields are sanitised */
        lb_sanitize(e->slug, sizeof e->slug, slug);
        snprintf(e->name, sizeof e->name, "%s", name); /* passed lb_baseline_name_ok */
        char commit[sizeof e->commit];
        parse_file_name(files[k], e->saved, commit);
        lb_sanitize(e->commit, sizeof e->commit, commit);
        e->latest = k + 1 == nfiles;
        char p[LB_BASELINE_PATH_LEN];
        rc = join(p, sizeof p, namedir, files[k], err, errlen);
        if (rc) break;
        char safe[4 * 1024 + 8];
        e->machine = lb_strdup(lb_sanitize(safe, sizeof safe, machine));
        e->path = lb_strdup(p);
        (*len)++;
        if (!e->machine || !e->path) rc = lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", namedir);
    }
    free_names(files, nfiles);
    return rc;
}

int lb_baseline_list(const char *dir, lb_baseline_entry **out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (!dir || !*dir) dir = LB_BASELINE_DEFAULT_DIR;
    lb_baseline_entry *v = NULL;
    size_t len = 0, cap = 0;
    char **slugs;
    size_t nslugs;
    int rc = read_names(dir, is_slug_dir, 1, &slugs, &nslugs, err, errlen);
    for (size_t i = 0; !rc && i < nslugs; i++) {
        char slugdir[LB_BASELINE_PATH_LEN];
        char **names = NULL;
        size_t nnames = 0;
        rc = join(slugdir, sizeof slugdir, dir, slugs[i], err, errlen);
        if (rc || !is_dir(slugdir)) continue;
        char *machine = read_machine_file(slugdir);
        if (!machine) rc = lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", slugdir);
        if (!rc) rc = read_names(slugdir, is_name_dir, 1, &names, &nnames, err, errlen);
        for (size_t j = 0; !rc && j < nnames; j++)
            rc = list_name_dir(slugs[i], slugdir, names[j], machine, &v, &len, &cap, err, errlen);
        lb_free(machine);
        free_names(names, nnames);
    }
    free_names(slugs, nslugs);
    if (rc) {
        lb_baseline_list_free(v, len);
        return rc;
    }
    *out = v;
    *n = len;
    return LB_OK;
}
