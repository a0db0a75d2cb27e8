/* The ann-benchmarks dataset layout: train, test, neighbors, distances and the
 * root attribute distance. Every shape and type is checked before any array is
 * read, so a wrong file fails fast even when train is gigabytes. A part read
 * takes a hyperslab of train's rows, so a rank never holds (or reads) the rest. */
#define _POSIX_C_SOURCE 200809L

#include "latentbench/results.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "h5io.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"

typedef struct {
    const char *name;
    H5T_class_t cls;  /* what the values must be; HDF5 converts any width */
    hid_t       dset;
    size_t      rows, cols;
} matrix;

static const char *class_name(H5T_class_t cl)
{
    switch (cl) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "floating-point";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    default: return "non-numeric";
    }
}

static int known_distance(const char *d) { return !strcmp(d, "euclidean") || !strcmp(d, "angular"); }

/* Opens m->name: a 2-D array of class m->cls with no empty dimension. */
static int open_matrix(const lb__ctx *c, hid_t f, matrix *m)
{
    m->dset = H5I_INVALID_HID;
    htri_t ex = H5Lexists(f, m->name, H5P_DEFAULT);
    if (ex < 0) return lb__fail_h5(c, LB_EDATA, "cannot read dataset '%s'", m->name);
    if (ex == 0) return lb__fail(c, LB_EDATA, "dataset '%s' is missing", m->name);
    int rc = LB_OK, nd;
    hid_t t = H5I_INVALID_HID, s = H5I_INVALID_HID;
    hsize_t dims[2] = {0, 0};
    if ((m->dset = H5Dopen2(f, m->name, H5P_DEFAULT)) < 0)
        rc = lb__fail_h5(c, LB_EDATA, "'%s' is not a dataset", m->name);
    else if ((t = H5Dget_type(m->dset)) < 0 || (s = H5Dget_space(m->dset)) < 0)
        rc = lb__fail_h5(c, LB_EDATA, "cannot read dataset '%s'", m->name);
    else if (H5Tget_class(t) != m->cls)
        rc = lb__fail(c, LB_EDATA, "dataset '%s' holds %s values, expected %s", m->name,
                      class_name(H5Tget_class(t)), class_name(m->cls));
    else if ((nd = H5Sget_simple_extent_ndims(s)) != 2)
        rc = lb__fail(c, LB_EDATA, "dataset '%s' has %d dimensions, expected 2 (rows x columns)",
                      m->name, nd);
    else if (H5Sget_simple_extent_dims(s, dims, NULL) != 2 || dims[0] == 0 || dims[1] == 0)
        rc = lb__fail(c, LB_EDATA, "dataset '%s' is empty (%llu x %llu)", m->name,
                      (unsigned long long)dims[0], (unsigned long long)dims[1]);
    else if (dims[0] > SIZE_MAX / 4 / dims[1])
        rc = lb__fail(c, LB_EDATA, "dataset '%s' is too large", m->name);
    m->rows = (size_t)dims[0];
    m->cols = (size_t)dims[1];
    lb__h5_close(&s);
    lb__h5_close(&t);
    if (rc) lb__h5_close(&m->dset);
    return rc;
}

/* Reads rows [row0, row0 + nrows) of m, every column, converting to mtype
 * (4-byte elements). A hyperslab: HDF5 reads no other row from the file. */
static int read_rows(const lb__ctx *c, const matrix *m, hid_t mtype, size_t row0, size_t nrows, void **out)
{
    *out = NULL;
    if (nrows == 0) return LB_OK;
    if (!(*out = lb_malloc(nrows * m->cols * 4)))
        return lb__fail(c, LB_ENOMEM, "out of memory reading dataset '%s' (%zu x %zu)", m->name, nrows,
                        m->cols);
    int rc = LB_OK;
    hsize_t start[2] = {row0, 0}, count[2] = {nrows, m->cols};
    hid_t fs = H5Dget_space(m->dset), ms = H5Screate_simple(2, count, NULL);
    if (fs < 0 || ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dread(m->dset, mtype, ms, fs, H5P_DEFAULT, *out) < 0)
        rc = lb__fail_h5(c, LB_EDATA, "cannot read dataset '%s'", m->name);
    lb__h5_close(&ms);
    lb__h5_close(&fs);
    return rc;
}

/* First row of part `part` of `nparts` of n rows: floor(n * part / nparts),
 * computed as q * part + r * part / nparts (n = q * nparts + r) so that only
 * r * part < nparts^2 can overflow. */
static int part_start(const lb__ctx *c, size_t n, size_t part, size_t nparts, size_t *row)
{
    uint64_t q = (uint64_t)n / nparts, r = (uint64_t)n % nparts, rp;
    if (__builtin_mul_overflow(r, (uint64_t)part, &rp))
        return lb__fail(c, LB_EINTERNAL, "cannot split %zu train rows into %zu parts", n, nparts);
    *row = (size_t)(q * part + rp / nparts);
    return LB_OK;
}

/* Reads train rows [n*part/nparts, n*(part+1)/nparts) and the other arrays
 * whole, after checking every shape and type. */
static int read_file(const lb__ctx *c, size_t part, size_t nparts, lb_dataset *ds)
{
    hid_t f;
    int rc = lb__h5_open(c, &f);
    if (rc) return rc;
    matrix m[4] = {{"train", H5T_FLOAT, H5I_INVALID_HID, 0, 0},
                   {"test", H5T_FLOAT, H5I_INVALID_HID, 0, 0},
                   {"neighbors", H5T_INTEGER, H5I_INVALID_HID, 0, 0},
                   {"distances", H5T_FLOAT, H5I_INVALID_HID, 0, 0}};
    matrix *train = &m[0], *test = &m[1], *nb = &m[2], *dist = &m[3];
    char *distance = NULL;
    void *p[4] = {NULL, NULL, NULL, NULL};

    /* ann-benchmarks files (h5py) store distance variable-length, in the
     * unchecksummed global heap: check the heap before HDF5 reads from it,
     * skipping the arrays (a part read must not read all of train) */
    if (lb__h5_attr_is_vlen_str(f, "distance") > 0) {
        lb__range skip[4];
        for (int i = 0; !rc && i < 4; i++) {
            if ((rc = open_matrix(c, f, &m[i]))) break;
            haddr_t at = H5Dget_offset(m[i].dset); /* undefined unless contiguous */
            skip[i] = (lb__range){at == HADDR_UNDEF ? 0 : (uint64_t)at,
                                  at == HADDR_UNDEF ? 0 : (uint64_t)H5Dget_storage_size(m[i].dset)};
        }
        if (!rc) rc = lb__h5_check_global_heap(c, skip, 4);
    }
    if (!rc) rc = lb__h5_get_str(c, f, "/", "distance", &distance);
    if (!rc && !known_distance(distance))
        rc = lb__fail(c, LB_EDATA, "root attribute 'distance' is '%s', expected 'euclidean' or 'angular'",
                      distance);
    for (int i = 0; !rc && i < 4; i++)
        if (m[i].dset < 0) rc = open_matrix(c, f, &m[i]);
    if (rc) goto out;
    if (test->cols != train->cols)
        rc = lb__fail(c, LB_EDATA, "dataset 'test' has %zu columns but 'train' has %zu", test->cols,
                      train->cols);
    else if (nb->rows != test->rows)
        rc = lb__fail(c, LB_EDATA, "dataset 'neighbors' has %zu rows but 'test' has %zu", nb->rows,
                      test->rows);
    else if (dist->rows != nb->rows || dist->cols != nb->cols)
        rc = lb__fail(c, LB_EDATA, "dataset 'distances' is %zu x %zu but 'neighbors' is %zu x %zu",
                      dist->rows, dist->cols, nb->rows, nb->cols);
    else if (train->rows > INT32_MAX)
        rc = lb__fail(c, LB_EDATA, "dataset 'train' has more rows than int32 neighbors can index");
    size_t row0 = 0, row1 = train->rows;
    if (!rc) rc = part_start(c, train->rows, part, nparts, &row0);
    if (!rc && part + 1 < nparts) rc = part_start(c, train->rows, part + 1, nparts, &row1);
    for (int i = 0; !rc && i < 4; i++)
        rc = read_rows(c, &m[i], m[i].cls == H5T_FLOAT ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT32,
                       i == 0 ? row0 : 0, i == 0 ? row1 - row0 : m[i].rows, &p[i]);
    /* neighbors index train; an index outside it would be read out of bounds later. */
    for (size_t i = 0; !rc && i < nb->rows * nb->cols; i++) {
        int32_t v = ((const int32_t *)p[2])[i];
        if (v < 0 || (size_t)v >= train->rows)
            rc = lb__fail(c, LB_EDATA, "dataset 'neighbors' holds %d at [%zu][%zu], outside train's rows 0..%zu",
                          (int)v, i / nb->cols, i % nb->cols, train->rows - 1);
    }
    if (rc) goto out;
    ds->n = row1 - row0;
    ds->row0 = row0;
    ds->n_total = train->rows;
    ds->q = test->rows;
    ds->d = train->cols;
    ds->kn = nb->cols;
    ds->train = p[0];
    ds->test = p[1];
    ds->neighbors = p[2];
    ds->distances = p[3];
    snprintf(ds->distance, sizeof ds->distance, "%s", distance);
out:
    if (rc)
        for (int i = 0; i < 4; i++) lb_free(p[i]);
    for (int i = 0; i < 4; i++) lb__h5_close(&m[i].dset);
    lb_free(distance);
    lb__h5_close(&f);
    return rc;
}

static int put_matrix(const lb__ctx *c, hid_t f, const char *name, hid_t ftype, hid_t mtype, size_t rows,
                      size_t cols, const void *data)
{
    int rc = LB_OK;
    hsize_t dims[2] = {rows, cols};
    hid_t s = H5Screate_simple(2, dims, NULL), d = H5I_INVALID_HID;
    if (s < 0 || (d = H5Dcreate2(f, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = lb__fail_h5(c, LB_EIO, "cannot write dataset '%s'", name);
    lb__h5_close(&d);
    lb__h5_close(&s);
    return rc;
}

static int write_file(const lb__ctx *c, const lb_dataset *ds)
{
    if (!ds || !ds->n || !ds->q || !ds->d || !ds->kn || !ds->train || !ds->test || !ds->neighbors ||
        !ds->distances)
        return lb__fail(c, LB_EINTERNAL, "dataset with an empty or missing array");
    if (!memchr(ds->distance, '\0', sizeof ds->distance) || !known_distance(ds->distance))
        return lb__fail(c, LB_EINTERNAL, "distance '%.*s' is not 'euclidean' or 'angular'",
                        (int)sizeof ds->distance, ds->distance);
    lb__h5_out o;
    int rc = lb__h5_begin(c, &o);
    if (rc) return rc;
    if ((rc = put_matrix(c, o.file, "train", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, ds->n, ds->d, ds->train)) ||
        (rc = put_matrix(c, o.file, "test", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, ds->q, ds->d, ds->test)) ||
        (rc = put_matrix(c, o.file, "neighbors", H5T_STD_I32LE, H5T_NATIVE_INT32, ds->q, ds->kn,
                         ds->neighbors)) ||
        (rc = put_matrix(c, o.file, "distances", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, ds->q, ds->kn,
                         ds->distances)) ||
        (rc = lb__h5_put_str(c, o.file, "distance", ds->distance))) {
        lb__h5_abort(&o);
        return rc;
    }
    return lb__h5_commit(c, &o);
}

int lb_dataset_read_part(const char *path, size_t part, size_t nparts, lb_dataset *ds, char *err,
                         size_t errlen)
{
    lb__ctx c = {path ? path : "(null)", err, errlen, 0};
    if (!ds) return lb__fail(&c, LB_EINTERNAL, "no dataset to read into");
    memset(ds, 0, sizeof *ds);
    if (!path) return lb__fail(&c, LB_EINTERNAL, "no path");
    if (nparts == 0) return lb__fail(&c, LB_EINTERNAL, "cannot read part %zu of 0 parts", part);
    if (part >= nparts)
        return lb__fail(&c, LB_EINTERNAL, "part %zu does not exist: parts are 0..%zu", part, nparts - 1);
    lb__h5_quiet();
    return read_file(&c, part, nparts, ds);
}

int lb_dataset_read(const char *path, lb_dataset *ds, char *err, size_t errlen)
{
    return lb_dataset_read_part(path, 0, 1, ds, err, errlen);
}

int lb_dataset_write(const char *path, const lb_dataset *ds, char *err, size_t errlen)
{
    lb__ctx c = {path ? path : "(null)", err, errlen, 0};
    if (!path) return lb__fail(&c, LB_EINTERNAL, "no path");
    lb__h5_quiet();
    return write_file(&c, ds);
}

void lb_dataset_free(lb_dataset *ds)
{
    if (!ds) return;
    lb_free(ds->train);
    lb_free(ds->test);
    lb_free(ds->neighbors);
    lb_free(ds->distances);
    memset(ds, 0, sizeof *ds);
}
