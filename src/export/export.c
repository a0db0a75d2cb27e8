/* Format selection and atomic output of the exports. */
#define _POSIX_C_SOURCE 200809L
#include "latentbench/export.h"

#include "export_internal.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/fileio.h"

#include <stdio.h>
#include <string.h>

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
    return lb_write_atomic(path, write_results, &c, err, errlen);
}
