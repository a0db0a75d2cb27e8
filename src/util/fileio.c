#define _POSIX_C_SOURCE 200809L
#include "latentbench/fileio.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
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

