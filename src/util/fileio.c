#define _POSIX_C_SOURCE 200809L
#include "latentbench/fileio.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Makes the rename durable; not reported, as some file systems refuse fsync
 * on directories and the file is complete at its place already. */
static void sync_dir(const char *path)
{
    char *copy = lb_strdup(path);
    if (!copy) return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    lb_free(copy);
}

int lb_write_atomic(const char *path, lb_file_writer writer, void *ctx, char *err, size_t errlen)
{
    size_t n = strlen(path) + 32;
    char *tmp = lb_malloc(n);
    if (!tmp) return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", path);
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    /* O_EXCL: the file removed on failure is certainly ours */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        int rc = lb_errorf(err, errlen, LB_EIO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
        lb_free(tmp);
        return rc;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int rc = lb_errorf(err, errlen, LB_EIO, "%s: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        lb_free(tmp);
        return rc;
    }
    errno = 0;
    int rc = writer(f, ctx);
    int e = errno;
    if (rc == LB_OK && (fflush(f) != 0 || ferror(f))) rc = LB_EIO, e = errno;
    /* fsync before rename: a crash soon after must not leave an empty file */
    if (rc == LB_OK && fsync(fd) != 0) rc = LB_EIO, e = errno;
    if (fclose(f) != 0 && rc == LB_OK) rc = LB_EIO, e = errno;
    if (rc == LB_OK && rename(tmp, path) != 0) rc = LB_EIO, e = errno;
    if (rc != LB_OK) {
        unlink(tmp);
        if (rc == LB_EIO) lb_errorf(err, errlen, rc, "%s: %s", path, e ? strerror(e) : "write error");
        else lb_errorf(err, errlen, rc, "%s: %s", path, lb_strerror(rc));
    } else {
        sync_dir(path);
    }
    lb_free(tmp);
    return rc;
}


static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m) || S_ISBLK(m)) return "a device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a plain file";
}

int lb_open_input(const char *path, size_t max_bytes, int *fd, char *err, size_t errlen)
{
    *fd = -1;
    if (!path || !*path) return lb_errorf(err, errlen, LB_ENOINPUT, "empty file name");
    /* O_NONBLOCK: opening a FIFO for reading would wait for a writer */
    int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (f < 0) return lb_errorf(err, errlen, LB_ENOINPUT, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(f, &st) != 0) {
        int rc = lb_errorf(err, errlen, LB_ENOINPUT, "%s: cannot open: %s", path, strerror(errno));
        close(f);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(f);
        return lb_errorf(err, errlen, LB_ENOINPUT, "%s: not a regular file (%s)", path, kind_of(st.st_mode));
    }
    if (max_bytes && (unsigned long long)st.st_size > (unsigned long long)max_bytes) {
        close(f);
        return lb_errorf(err, errlen, LB_EDATA, "%s: too large (%lld bytes; at most %zu MiB)", path,
                         (long long)st.st_size, max_bytes >> 20);
    }
    int flags = fcntl(f, F_GETFL);
    if (flags >= 0) (void)fcntl(f, F_SETFL, flags & ~O_NONBLOCK);
    *fd = f;
    return LB_OK;
}

int lb_read_input(const char *path, size_t max_bytes, char **buf, size_t *len, char *err, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    int fd;
    int rc = lb_open_input(path, max_bytes, &fd, err, errlen);
    if (rc) return rc;
    struct stat st;
    size_t cap = fstat(fd, &st) == 0 && st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, n = 0;
    char *b = lb_malloc(cap);
    if (!b) rc = lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", path);
    /* the size may change while reading (a file being written): read to EOF,
     * still under the cap */
    while (!rc) {
        if (n + 1 >= cap) {
            if (max_bytes && cap > max_bytes + 1) { /* room for one byte past the cap: EOF or too large */
                rc = lb_errorf(err, errlen, LB_EDATA, "%s: too large (over %zu MiB)", path, max_bytes >> 20);
                break;
            }
            char *g = lb_realloc(b, 2 * cap);
            if (!g) {
                rc = lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", path);
                break;
            }
            b = g;
            cap *= 2;
        }
        ssize_t got = read(fd, b + n, cap - 1 - n);
        if (got < 0) {
            if (errno == EINTR) continue;
            rc = lb_errorf(err, errlen, LB_EIO, "%s: cannot read: %s", path, strerror(errno));
        } else if (got == 0) {
            break;
        } else {
            n += (size_t)got;
        }
    }
    close(fd);
    if (!rc && max_bytes && n > max_bytes)
        rc = lb_errorf(err, errlen, LB_EDATA, "%s: too large (over %zu MiB)", path, max_bytes >> 20);
    if (rc) {
        lb_free(b);
        return rc;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return LB_OK;
}

int lb_check_output(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) return lb_errorf(err, errlen, LB_EUSAGE, "the output file name is empty");
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return lb_errorf(err, errlen, LB_EIO, "%s: cannot write: is a directory", path);
        if (!S_ISREG(st.st_mode))
            return lb_errorf(err, errlen, LB_EIO, "%s: cannot write: not a regular file (%s)", path,
                             kind_of(st.st_mode));
    }
    size_t n = strlen(path);
    if (path[n - 1] == '/') return lb_errorf(err, errlen, LB_EIO, "%s: cannot write: names a directory", path);
    char *copy = lb_strdup(path);
    if (!copy) return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", path);
    const char *dir = dirname(copy);
    int rc = LB_OK;
    if (stat(dir, &st) != 0)
        rc = lb_errorf(err, errlen, LB_EIO, "%s: cannot write: directory %s: %s", path, dir, strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        rc = lb_errorf(err, errlen, LB_EIO, "%s: cannot write: %s is not a directory", path, dir);
    else if (access(dir, W_OK | X_OK) != 0)
        rc = lb_errorf(err, errlen, LB_EIO, "%s: cannot write: directory %s: %s", path, dir, strerror(errno));
    lb_free(copy);
    return rc;
}

int lb_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0) return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
