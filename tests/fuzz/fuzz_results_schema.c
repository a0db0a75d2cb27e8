/* Structure-aware fuzz target of the results-file reader: the input is a list
 * of edits that HDF5 itself applies to a valid results file (the seed
 * tests/fuzz/corpus/results/plain.h5, copied to a scratch file), so every file
 * is well-formed HDF5 and any failure is in our validation, not in HDF5's
 * decoding. Byte mutations of our checksummed files rarely get past the open;
 * these edits reach what a well-formed but hostile file can say: a missing
 * attribute or dataset, another type, rank or shape, a compound without one of
 * its members, arbitrary bytes in the rows and strings.
 *
 * Each edit is 4 bytes from the input (op, which object, two arguments),
 * followed by up to 64 payload bytes that fill the values written. The checks
 * after the read are fuzz_results.c's (one line, LB_OK or LB_EDATA, a readable
 * file compares with itself, no leak). */
#define _POSIX_C_SOURCE 200809L
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_results_check.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/gate.h"
#include "latentbench/results.h"

#ifndef LB_FUZZ_RESULTS_SEED
#define LB_FUZZ_RESULTS_SEED "tests/fuzz/corpus/results/plain.h5"
#endif

#define MAX_EDITS 8
#define MAX_OBJECTS 64

typedef struct {
    const uint8_t *d;
    size_t n, at;
} input;

static uint8_t take(input *in) { return in->at < in->n ? in->d[in->at++] : 0; }

/* Payload: up to len bytes of the input (zeros past its end). */
static void take_bytes(input *in, void *out, size_t len)
{
    memset(out, 0, len);
    size_t k = in->n - in->at < len ? in->n - in->at : len;
    memcpy(out, in->d + in->at, k);
    in->at += k;
}

static uint8_t *g_seed;
static size_t g_seed_len;

static void load_seed(void)
{
    if (g_seed) return;
    FILE *f = fopen(LB_FUZZ_RESULTS_SEED, "rb");
    if (!f) lb_fuzz_fail("fuzz_results_schema", "cannot read the seed file", LB_FUZZ_RESULTS_SEED);
    g_seed = malloc(1 << 20); /* the driver's own memory, not the harness's: not counted */
    g_seed_len = g_seed ? fread(g_seed, 1, 1 << 20, f) : 0;
    fclose(f);
    if (!g_seed_len) lb_fuzz_fail("fuzz_results_schema", "empty seed file", LB_FUZZ_RESULTS_SEED);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* Every dataset path of the file (root and one group level) and the root's attributes. */
typedef struct {
    char dsets[MAX_OBJECTS][64];
    size_t ndsets;
} objects;

static herr_t collect(hid_t obj, const char *name, const H5O_info_t *info, void *ctx)
{
    (void)obj;
    objects *o = ctx;
    if (info->type == H5O_TYPE_DATASET && o->ndsets < MAX_OBJECTS && strlen(name) < 63)
        snprintf(o->dsets[o->ndsets++], 64, "/%s", name);
    return 0;
}

/* A small dataspace: rank 0..2 from a, dims 0..15 from b. */
static hid_t make_space(uint8_t a, uint8_t b, hsize_t *count)
{
    int rank = a % 3;
    hsize_t dims[2] = {(hsize_t)(b & 15), (hsize_t)((b >> 4) & 3) + 1};
    *count = rank == 0 ? 1 : rank == 1 ? dims[0] : dims[0] * dims[1];
    return rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
}

static hid_t pick_type(uint8_t a, size_t *size)
{
    static const hid_t *const types[] = {&H5T_NATIVE_INT64_g, &H5T_NATIVE_DOUBLE_g, &H5T_NATIVE_UINT8_g,
                                         &H5T_NATIVE_INT32_g, &H5T_NATIVE_FLOAT_g, &H5T_NATIVE_UINT64_g};
    uint8_t k = a % 7;
    if (k == 6) { /* a fixed-length string, terminated or not */
        hid_t t = H5Tcopy(H5T_C_S1);
        *size = (size_t)(a >> 3) % 24 + 1;
        H5Tset_size(t, *size);
        H5Tset_strpad(t, (a & 0x80) ? H5T_STR_NULLPAD : H5T_STR_NULLTERM);
        return t;
    }
    hid_t t = H5Tcopy(*types[k]);
    *size = H5Tget_size(t);
    return t;
}

/* Writes a new object `name` under loc (dataset or attribute) of a fuzzed type and shape. */
static void write_new(hid_t loc, const char *name, int attr, input *in, uint8_t a, uint8_t b)
{
    size_t size;
    hsize_t count;
    hid_t t = pick_type(a, &size), s = make_space(a / 7, b, &count);
    size_t bytes = (size_t)count * size;
    uint8_t *buf = calloc(bytes ? bytes : 1, 1);
    if (buf) {
        take_bytes(in, buf, bytes < 64 ? bytes : 64);
        for (size_t i = 64; i < bytes; i++) buf[i] = buf[i % 64];
        hid_t o = attr ? H5Acreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT)
                       : H5Dcreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (o >= 0) {
            if (attr) {
                H5Awrite(o, t, buf);
                H5Aclose(o);
            } else {
                H5Dwrite(o, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
                H5Dclose(o);
            }
        }
        free(buf);
    }
    H5Sclose(s);
    H5Tclose(t);
}

/* Rewrites a compound dataset without member `drop` (its rows' other bytes from the input). */
static void drop_member(hid_t f, const char *path, uint8_t drop, input *in)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0) return;
    hid_t ft = H5Dget_type(d), s = H5Dget_space(d);
    hid_t nt = -1;
    int nm = H5Tget_class(ft) == H5T_COMPOUND ? H5Tget_nmembers(ft) : 0;
    if (nm > 1) {
        hid_t mt = H5Tget_native_type(ft, H5T_DIR_ASCEND);
        nt = H5Tcreate(H5T_COMPOUND, H5Tget_size(mt));
        for (int i = 0, k = drop % nm; i < nm; i++) {
            if (i == k) continue;
            char *mn = H5Tget_member_name(mt, (unsigned)i);
            hid_t mtt = H5Tget_member_type(mt, (unsigned)i);
            H5Tinsert(nt, mn, H5Tget_member_offset(mt, (unsigned)i), mtt);
            H5Tclose(mtt);
            H5free_memory(mn);
        }
        hssize_t rows = H5Sget_simple_extent_npoints(s);
        size_t bytes = rows > 0 ? (size_t)rows * H5Tget_size(mt) : 0;
        uint8_t *buf = calloc(bytes ? bytes : 1, 1);
        if (buf && (bytes == 0 || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0)) {
            H5Dclose(d);
            d = -1;
            H5Ldelete(f, path, H5P_DEFAULT);
            hid_t nd = H5Dcreate2(f, path, nt, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            if (nd >= 0) {
                H5Dwrite(nd, nt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
                H5Dclose(nd);
            }
        }
        (void)in;
        free(buf);
        H5Tclose(mt);
    }
    if (nt >= 0) H5Tclose(nt);
    H5Sclose(s);
    H5Tclose(ft);
    if (d >= 0) H5Dclose(d);
}

/* Overwrites up to 64 bytes of a dataset's rows, in its native memory form, at an offset. */
static void poke_rows(hid_t f, const char *path, uint8_t a, uint8_t b, input *in)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0) return;
    hid_t ft = H5Dget_type(d), s = H5Dget_space(d);
    hid_t mt = H5Tget_native_type(ft, H5T_DIR_ASCEND);
    hssize_t n = H5Sget_simple_extent_npoints(s);
    size_t bytes = n > 0 && mt >= 0 ? (size_t)n * H5Tget_size(mt) : 0;
    /* Variable-length members would make the bytes pointers: only plain data. */
    if (bytes && !H5Tdetect_class(mt, H5T_VLEN) && !(H5Tget_class(mt) == H5T_STRING && H5Tis_variable_str(mt))) {
        uint8_t *buf = calloc(bytes, 1), chunk[64];
        if (buf && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) {
            size_t off = ((size_t)a << 8 | b) % bytes, k = bytes - off < 64 ? bytes - off : 64;
            take_bytes(in, chunk, k);
            memcpy(buf + off, chunk, k);
            H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
        }
        free(buf);
    }
    if (mt >= 0) H5Tclose(mt);
    H5Sclose(s);
    H5Tclose(ft);
    H5Dclose(d);
}

static void apply_edits(const char *path, input *in)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) lb_fuzz_fail("fuzz_results_schema", "cannot open the seed copy", path);
    for (int e = 0; e < MAX_EDITS && in->at < in->n; e++) {
        uint8_t op = take(in), which = take(in), a = take(in), b = take(in);
        objects o = {.ndsets = 0};
        H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_NATIVE, collect, &o, H5O_INFO_BASIC);
        hid_t root = H5Gopen2(f, "/", H5P_DEFAULT);
        int nattr = root >= 0 ? H5Aget_num_attrs(root) : 0;
        char aname[128] = "";
        if (nattr > 0) H5Aget_name_by_idx(root, ".", H5_INDEX_NAME, H5_ITER_INC, which % nattr, aname, sizeof aname, H5P_DEFAULT);
        const char *dpath = o.ndsets ? o.dsets[which % o.ndsets] : NULL;
        switch (op % 6) {
        case 0: /* an attribute goes missing */
            if (aname[0]) H5Adelete(root, aname);
            break;
        case 1: /* an attribute of another type or shape */
            if (aname[0]) {
                H5Adelete(root, aname);
                write_new(root, aname, 1, in, a, b);
            }
            break;
        case 2: /* a dataset goes missing */
            if (dpath) H5Ldelete(f, dpath, H5P_DEFAULT);
            break;
        case 3: /* a dataset of another type or shape */
            if (dpath) {
                H5Ldelete(f, dpath, H5P_DEFAULT);
                write_new(f, dpath, 0, in, a, b);
            }
            break;
        case 4: /* a compound without one of its members */
            if (dpath) drop_member(f, dpath, a, in);
            break;
        case 5: /* arbitrary bytes in the rows, strings or samples */
            if (dpath) poke_rows(f, dpath, a, b, in);
            break;
        }
        if (root >= 0) H5Gclose(root);
    }
    H5Fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load_seed();
    const char *path = lb_fuzz_write_file("results.h5", g_seed, g_seed_len);
    input in = {data, size, 0};
    apply_edits(path, &in);

    lb_fuzz_check_results("fuzz_results_schema", path);
    return 0;
}
