/* Format selection and atomic output of the exports. */
#define _POSIX_C_SOURCE 200809L
#include "latentbench/export.h"

#include "export_internal.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *name;
    int (*write)(FILE *out, const lb_results *r);
} formats[LB_EXPORT_NFORMATS] = {
    [LB_EXPORT_MD] = {"md", lb__export_md},
    [LB_EXPORT_JSON] = {"json", lb__export_json},
    [LB_EXPORT_CSV] = {"csv", lb__export_csv},
    [LB_EXPORT_TOML] = {"toml", lb__export_toml},
    [LB_EXPORT_GBENCH] = {"gbench", lb__export_gbench},
};

int lb_export_parse_format(const char *name, lb_export_format *f)
{
    for (int i = 0; name && i < LB_EXPORT_NFORMATS; i++)
        if (strcmp(name, formats[i].name) == 0) {
            *f = (lb_export_format)i;
            return LB_OK;
        }
    return LB_EUSAGE;
}

const char *lb_export_format_name(lb_export_format f)
{
    return (unsigned)f < LB_EXPORT_NFORMATS ? formats[f].name : "?";
}

int lb_export_write(FILE *out, const lb_results *r, lb_export_format f)
{
    if ((unsigned)f >= LB_EXPORT_NFORMATS) return LB_EUSAGE;
    int rc = lb__results_check(r);
    if (rc) return rc;
    rc = formats[f].write(out, r);
    if (rc == LB_OK && ferror(out)) rc = LB_EIO;
    return rc;
}

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

int lb_export_atomic(const char *path, lb_export_writer writer, void *ctx, char *err, size_t errlen)
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

typedef struct {
    const lb_results *r;
    lb_export_format  f;
} write_ctx;

static int write_results(FILE *out, void *p)
{
    const write_ctx *c = p;
    return lb_export_write(out, c->r, c->f);
}

int lb_export_write_file(const char *path, const lb_results *r, lb_export_format f, char *err, size_t errlen)
{
    if ((unsigned)f >= LB_EXPORT_NFORMATS)
        return lb_errorf(err, errlen, LB_EUSAGE, "%s: unknown export format %d", path, (int)f);
    write_ctx c = {r, f};
    return lb_export_atomic(path, write_results, &c, err, errlen);
}
