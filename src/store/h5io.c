#define _POSIX_C_SOURCE 200809L

#include "h5io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/text.h"

/* H5Pset_file_locking appeared in 1.10.7 and 1.12.1. */
#if H5_VERSION_GE(1, 12, 1) || (H5_VERSION_GE(1, 10, 7) && !H5_VERSION_GE(1, 12, 0))
#define LB__HAVE_FILE_LOCKING 1
#else
#define LB__HAVE_FILE_LOCKING 0
#endif

/* The 1.8 file format: the oldest whose object headers carry checksums, so a
 * damaged header (types, shapes, attributes) fails cleanly instead of reaching
 * HDF5's decoders; every HDF5 since 1.8 and h5py read it. */
#if H5_VERSION_GE(1, 10, 2)
#define LB__FORMAT H5F_LIBVER_V18
#else
#define LB__FORMAT H5F_LIBVER_LATEST
#endif

/* Longest fixed-length string attribute we allocate for; a corrupt size field
 * must give an error line, not a huge allocation. */
#define LB__ATTR_MAX (1u << 20)

/* Most attributes an object header holds before HDF5 moves them to dense
 * storage (its limit is 65535): the root keeps all of its own. */
#define LB__MAX_COMPACT 65535u

/* ---- error lines ---------------------------------------------------------- */

typedef struct {
    char  *buf;
    size_t len;
} cause_buf;

static herr_t innermost_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    cause_buf *cb = data;
    if (n == 0 && e->desc) snprintf(cb->buf, cb->len, "%s", e->desc);
    return 0;
}

/* The most specific message on HDF5's error stack, on one line. The sec2 driver
 * embeds strerror() as "error message = '...'" among pointers and offsets; only
 * that part is kept. */
static void h5_cause(char *buf, size_t len)
{
    cause_buf cb = {buf, len};
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_cb, &cb);
    static const char key[] = "error message = '";
    char *m = strstr(buf, key);
    if (m) {
        m += sizeof key - 1;
        char *end = strchr(m, '\'');
        size_t k = end ? (size_t)(end - m) : strlen(m);
        memmove(buf, m, k);
        buf[k] = '\0';
    }
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
}

static int vfail(const lb__ctx *c, int code, const char *cause, const char *fmt, va_list ap)
{
    /* Names and ids quoted from a damaged file may hold any byte: the line is
     * made printable as a whole (lb_sanitize), so it stays one line and cannot
     * drive the terminal. */
    char msg[512], line[1024], safe[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (cause && cause[0]) snprintf(line, sizeof line, "%s: %s: %s", c->path, msg, cause);
    else snprintf(line, sizeof line, "%s: %s", c->path, msg);
    lb_errorf(c->err, c->errlen, code, "%s", lb_sanitize(safe, sizeof safe, line));
    /* ids quoted from a file may hold line breaks; the error stays one line */
    for (char *p = c->err && c->errlen ? c->err : NULL; p && *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    return code;
}

int lb__fail(const lb__ctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(c, code, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

int lb__fail_h5(const lb__ctx *c, int code, const char *fmt, ...)
{
    char cause[512];
    h5_cause(cause, sizeof cause);
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(c, code, cause, fmt, ap);
    va_end(ap);
    return rc;
}

void lb__h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

void lb__h5_close(hid_t *id)
{
    if (*id < 0) return;
    switch (H5Iget_type(*id)) {
    case H5I_FILE: H5Fclose(*id); break;
    case H5I_GROUP: H5Gclose(*id); break;
    case H5I_DATATYPE: H5Tclose(*id); break;
    case H5I_DATASPACE: H5Sclose(*id); break;
    case H5I_DATASET: H5Dclose(*id); break;
    case H5I_ATTR: H5Aclose(*id); break;
    case H5I_GENPROP_LST: H5Pclose(*id); break;
    default: break; /* already closed, e.g. with its file */
    }
    *id = H5I_INVALID_HID;
}

/* ---- files ---------------------------------------------------------------- */

static hid_t read_fapl(void)
{
    hid_t p = H5Pcreate(H5P_FILE_ACCESS);
    if (p < 0) return p;
    /* Closing the file also closes whatever an error path left open in it. */
    herr_t st = H5Pset_fclose_degree(p, H5F_CLOSE_STRONG);
#if LB__HAVE_FILE_LOCKING
    /* Lock where the file system supports it; many cluster file systems do not,
     * and HDF5 would otherwise refuse to open anything there. */
    if (st >= 0) st = H5Pset_file_locking(p, 1, 1);
#endif
    if (st < 0) lb__h5_close(&p);
    return p;
}

/* The file is built in memory (the core driver, no backing store) and written
 * out by us: HDF5 1.10 leaves a file whose H5Fclose failed on a write error
 * half-closed and crashes in H5close later, and our own write() also gives the
 * error line its errno. */
int lb__h5_begin(const lb__ctx *c, lb__h5_out *o)
{
    o->file = H5I_INVALID_HID;
    o->fd = -1;
    size_t n = strlen(c->path) + 32;
    if (!(o->tmp = lb_malloc(n))) return lb__fail(c, LB_ENOMEM, "out of memory");
    snprintf(o->tmp, n, "%s.tmp.%ld", c->path, (long)getpid());
    /* O_EXCL: the file we later remove on failure is certainly ours. */
    o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (o->fd < 0) {
        int rc = lb__fail(c, LB_EIO, "cannot create %s: %s", o->tmp, strerror(errno));
        lb_free(o->tmp);
        o->tmp = NULL;
        return rc;
    }
    int rc = LB_OK;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), fcpl = H5Pcreate(H5P_FILE_CREATE);
    /* The root's attributes stay in its (checksummed) object header: past 8 of
     * them HDF5 would move them to "dense" storage in a fractal heap. */
    if (fapl < 0 || fcpl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 ||
        H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) < 0 ||
        H5Pset_libver_bounds(fapl, LB__FORMAT, LB__FORMAT) < 0 ||
        H5Pset_attr_phase_change(fcpl, LB__MAX_COMPACT, LB__MAX_COMPACT) < 0 ||
        (o->file = H5Fcreate(o->tmp, H5F_ACC_TRUNC, fcpl, fapl)) < 0)
        rc = lb__fail_h5(c, LB_EIO, "cannot create %s in memory", o->tmp);
    lb__h5_close(&fcpl);
    lb__h5_close(&fapl);
    if (rc != LB_OK) lb__h5_abort(o);
    return rc;
}

/* Makes the rename itself durable. Failure is not reported: the file is already
 * complete at its place, and some file systems refuse fsync on directories. */
static void sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    char *dir = lb_malloc(n + 2);
    if (!dir) return;
    if (!slash) strcpy(dir, ".");
    else if (n == 0) strcpy(dir, "/");
    else {
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    lb_free(dir);
}

/* Bob Jenkins' lookup3 hash (hashlittle), HDF5's metadata checksum. Bytes past
 * the last full 12-byte block count as zero, as in the original's tail switch. */
static uint32_t lookup3(const unsigned char *k, size_t len)
{
#define LB__ROT(x, r) (((x) << (r)) | ((x) >> (32 - (r))))
    uint32_t a, b, c;
    a = b = c = 0xdeadbeefu + (uint32_t)len;
    if (len == 0) return c;
    for (; len > 12; len -= 12, k += 12) {
        a += (uint32_t)k[0] | (uint32_t)k[1] << 8 | (uint32_t)k[2] << 16 | (uint32_t)k[3] << 24;
        b += (uint32_t)k[4] | (uint32_t)k[5] << 8 | (uint32_t)k[6] << 16 | (uint32_t)k[7] << 24;
        c += (uint32_t)k[8] | (uint32_t)k[9] << 8 | (uint32_t)k[10] << 16 | (uint32_t)k[11] << 24;
        a -= c; a ^= LB__ROT(c, 4);  c += b;
        b -= a; b ^= LB__ROT(a, 6);  a += c;
        c -= b; c ^= LB__ROT(b, 8);  b += a;
        a -= c; a ^= LB__ROT(c, 16); c += b;
        b -= a; b ^= LB__ROT(a, 19); a += c;
        c -= b; c ^= LB__ROT(b, 4);  b += a;
    }
    unsigned char t[12] = {0};
    memcpy(t, k, len);
    a += (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
    b += (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
    c += (uint32_t)t[8] | (uint32_t)t[9] << 8 | (uint32_t)t[10] << 16 | (uint32_t)t[11] << 24;
    c ^= b; c -= LB__ROT(b, 14);
    a ^= c; a -= LB__ROT(c, 11);
    b ^= a; b -= LB__ROT(a, 25);
    c ^= b; c -= LB__ROT(b, 16);
    a ^= c; a -= LB__ROT(c, 4);
    b ^= a; b -= LB__ROT(a, 14);
    c ^= b; c -= LB__ROT(b, 24);
    return c;
#undef LB__ROT
}

/* H5Fget_file_image clears the superblock's status flags in the image, but
 * older HDF5 releases (1.10 among them) leave the checksum of superblocks of
 * version 2 and later as it was, so the image would not open.
 * Recomputing it is harmless where HDF5 already got it right. Layout: signature
 * (8), version, sizeof offsets, sizeof lengths, flags, 4 addresses, checksum. */
static void fix_superblock_checksum(unsigned char *img, size_t n)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    if (n < 12 || memcmp(img, sig, 8) != 0 || img[8] < 2) return;
    size_t at = 12 + 4 * (size_t)img[9];
    if (at + 4 > n) return;
    uint32_t sum = lookup3(img, at);
    for (int i = 0; i < 4; i++) img[at + (size_t)i] = (unsigned char)(sum >> (8 * i));
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int lb__h5_commit(const lb__ctx *c, lb__h5_out *o)
{
    int rc;
    unsigned char *image = NULL;
    ssize_t size = -1;
    if (H5Fflush(o->file, H5F_SCOPE_LOCAL) < 0 || (size = H5Fget_file_image(o->file, NULL, 0)) <= 0) {
        rc = lb__fail_h5(c, LB_EIO, "cannot assemble %s", o->tmp);
        goto fail;
    }
    if (!(image = lb_malloc((size_t)size))) {
        rc = lb__fail(c, LB_ENOMEM, "out of memory assembling %s (%zd bytes)", o->tmp, size);
        goto fail;
    }
    if (H5Fget_file_image(o->file, image, (size_t)size) != size) {
        rc = lb__fail_h5(c, LB_EIO, "cannot assemble %s", o->tmp);
        goto fail;
    }
    lb__h5_close(&o->file);
    fix_superblock_checksum(image, (size_t)size);
    /* fsync before rename: otherwise a crash soon after could leave an empty
     * file where the old one was. close() is checked too: NFS reports write
     * errors there. */
    int e = 0;
    if (write_all(o->fd, image, (size_t)size) != 0 || fsync(o->fd) != 0) e = errno;
    if (close(o->fd) != 0 && e == 0) e = errno;
    o->fd = -1;
    if (e) {
        rc = lb__fail(c, LB_EIO, "cannot write %s: %s", o->tmp, strerror(e));
        goto fail;
    }
    if (rename(o->tmp, c->path) != 0) {
        rc = lb__fail(c, LB_EIO, "%s", strerror(errno));
        goto fail;
    }
    sync_parent(c->path);
    lb_free(image);
    lb_free(o->tmp);
    o->tmp = NULL;
    return LB_OK;
fail:
    lb_free(image);
    lb__h5_abort(o);
    return rc;
}

void lb__h5_abort(lb__h5_out *o)
{
    lb__h5_close(&o->file);
    if (o->fd >= 0) close(o->fd);
    o->fd = -1;
    if (o->tmp) {
        unlink(o->tmp);
        lb_free(o->tmp);
        o->tmp = NULL;
    }
}

int lb__h5_open(const lb__ctx *c, hid_t *file)
{
    *file = H5I_INVALID_HID;
    /* O_NONBLOCK: a FIFO given by mistake must not hang the reader. */
    int fd = open(c->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return lb__fail(c, LB_ENOINPUT, "%s", strerror(errno));
    struct stat st;
    int regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    close(fd);
    if (!regular) return lb__fail(c, LB_ENOINPUT, "not a regular file");
#if H5_VERSION_GE(1, 12, 0)
    htri_t is = H5Fis_accessible(c->path, H5P_DEFAULT);
#else
    htri_t is = H5Fis_hdf5(c->path);
#endif
    if (is < 0) return lb__fail_h5(c, LB_EDATA, "cannot open as HDF5");
    if (is == 0) return lb__fail(c, LB_EDATA, "not an HDF5 file");
    int rc = LB_OK;
    hid_t fapl = read_fapl();
    if (fapl < 0 || (*file = H5Fopen(c->path, H5F_ACC_RDONLY, fapl)) < 0)
        rc = lb__fail_h5(c, LB_EDATA, "cannot open as HDF5");
    lb__h5_close(&fapl);
    return rc;
}

/* ---- the global heap of older files --------------------------------------- */

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* One collection at img + at: what HDF5 1.10's H5HG__cache_heap_deserialize
 * assumes without checking. Returns a cause, or NULL when it is sound. */
static const char *bad_collection(const unsigned char *img, size_t n, size_t at, char *buf, size_t len)
{
    enum { HDR = 16, OBJHDR = 16 }; /* with 8-byte lengths */
    uint64_t size = le64(img + at + 8);
    if (size < HDR || size > n - at) {
        snprintf(buf, len, "global heap at byte %zu: its size %llu runs past the end of the file", at,
                 (unsigned long long)size);
        return buf;
    }
    unsigned char seen[8192] = {0}; /* object indices are 16-bit */
    size_t p = at + HDR, end = at + (size_t)size;
    while (p < end) {
        if (end - p < OBJHDR) break; /* too small for an object: free space */
        unsigned idx = (unsigned)img[p] | (unsigned)img[p + 1] << 8;
        uint64_t osize = le64(img + p + 8), need = osize;
        if (idx > 0) need = osize > UINT64_MAX - OBJHDR - 7 ? UINT64_MAX : OBJHDR + ((osize + 7) & ~(uint64_t)7);
        /* an object past its collection makes H5HG_read copy from outside it; a
         * zero-sized one makes the decoder loop for ever; a repeated index
         * leaves another object without its place */
        const char *why = need == 0 || need > end - p               ? "runs past its collection"
                          : idx > 0 && (seen[idx / 8] >> (idx % 8) & 1) ? "repeats an index"
                                                                          : NULL;
        if (why) {
            snprintf(buf, len, "global heap at byte %zu: object %u %s (the file is damaged)", at, idx, why);
            return buf;
        }
        seen[idx / 8] |= (unsigned char)(1u << (idx % 8));
        p += (size_t)need;
    }
    return NULL;
}

/* The end of the skip range holding byte at, or at when none does. The
 * ranges come from the file itself: an offset plus a length past 2^64 ends
 * at the end of everything, never wraps to before at (which looped for ever). */
static size_t skip_past(size_t at, const lb__range *skip, size_t nskip)
{
    for (size_t i = 0; i < nskip; i++)
        if (skip[i].len && at >= skip[i].off && at - skip[i].off < skip[i].len) {
            uint64_t end = skip[i].len > UINT64_MAX - skip[i].off ? UINT64_MAX : skip[i].off + skip[i].len;
            return end > SIZE_MAX ? SIZE_MAX : (size_t)end;
        }
    return at;
}

int lb__h5_check_global_heap(const lb__ctx *c, const lb__range *skip, size_t nskip)
{
    int fd = open(c->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return lb__fail(c, LB_ENOINPUT, "%s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 16) {
        close(fd);
        return LB_OK; /* HDF5 already read it: nothing of ours to add */
    }
    size_t n = (size_t)st.st_size;
    unsigned char *img = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (img == MAP_FAILED) return lb__fail(c, LB_EIO, "cannot map the file: %s", strerror(errno));
    /* sizes of lengths: superblock versions 0 and 1 at byte 14, later ones at byte 10 */
    unsigned lengths = img[8] >= 2 ? img[10] : n > 14 ? img[14] : 0;
    int rc = LB_OK;
    char cause[160];
    for (size_t at = 0; lengths == 8 && at + 16 <= n && rc == LB_OK; at++) {
        size_t next = skip_past(at, skip, nskip);
        if (next > at) { /* a skip range holds at: go past it (always forward) */
            if (next - 1 >= n) break;
            at = next - 1;
            continue;
        }
        /* signature, version 1, three reserved zero bytes */
        if (img[at] != 'G' || memcmp(img + at, "GCOL\1\0\0\0", 8) != 0) continue;
        const char *why = bad_collection(img, n, at, cause, sizeof cause);
        if (why) rc = lb__fail(c, LB_EDATA, "%s", why);
    }
    munmap(img, n);
    return rc;
}

int lb__h5_attr_is_vlen_str(hid_t loc, const char *name)
{
    if (H5Aexists(loc, name) <= 0) return 0;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), t = a < 0 ? H5I_INVALID_HID : H5Aget_type(a);
    int v = t < 0 ? -1 : H5Tget_class(t) == H5T_STRING ? H5Tis_variable_str(t) > 0 : 0;
    lb__h5_close(&t);
    lb__h5_close(&a);
    return v;
}

/* ---- attributes ----------------------------------------------------------- */

static int put_attr(const lb__ctx *c, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                    const void *value)
{
    int rc = LB_OK;
    hid_t s = H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
    if (s < 0 || (a = H5Acreate2(loc, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(a, mtype, value) < 0)
        rc = lb__fail_h5(c, LB_EIO, "cannot write attribute %s", name);
    lb__h5_close(&a);
    lb__h5_close(&s);
    return rc;
}

int lb__h5_put_str(const lb__ctx *c, hid_t loc, const char *name, const char *value)
{
    const char *v = value ? value : "";
    hid_t t = H5Tcopy(H5T_C_S1);
    int rc;
    /* Fixed-length, of the value's own size plus its NUL (HDF5 has no empty
     * fixed-length string): no global-heap object (see lb__ctx). */
    if (t < 0 || H5Tset_size(t, strlen(v) + 1) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(t, H5T_CSET_UTF8) < 0)
        rc = lb__fail_h5(c, LB_EIO, "cannot write attribute %s", name);
    else
        rc = put_attr(c, loc, name, t, t, v);
    lb__h5_close(&t);
    return rc;
}

int lb__h5_put_num(const lb__ctx *c, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                   const void *value)
{
    return put_attr(c, loc, name, ftype, mtype, value);
}

/* Opens attribute name (described as what in errors) holding exactly one value. */
static int open_attr(const lb__ctx *c, hid_t loc, const char *what, const char *name, hid_t *a,
                     hid_t *t)
{
    *a = *t = H5I_INVALID_HID;
    htri_t ex = H5Aexists(loc, name);
    if (ex < 0) return lb__fail_h5(c, LB_EDATA, "cannot read %s", what);
    if (ex == 0) return lb__fail(c, LB_EDATA, "%s is missing", what);
    int rc = LB_OK;
    hid_t s = H5I_INVALID_HID;
    if ((*a = H5Aopen(loc, name, H5P_DEFAULT)) < 0 || (*t = H5Aget_type(*a)) < 0 ||
        (s = H5Aget_space(*a)) < 0)
        rc = lb__fail_h5(c, LB_EDATA, "cannot read %s", what);
    else if (H5Sget_simple_extent_npoints(s) != 1)
        rc = lb__fail(c, LB_EDATA, "%s is not a single value", what);
    lb__h5_close(&s);
    if (rc != LB_OK) {
        lb__h5_close(t);
        lb__h5_close(a);
    }
    return rc;
}

static void attr_what(char *buf, size_t len, const char *obj, const char *name)
{
    if (strcmp(obj, "/") == 0) snprintf(buf, len, "root attribute '%s'", name);
    else snprintf(buf, len, "attribute '%s' of %s", name, obj);
}

int lb__h5_has_attr(const lb__ctx *c, hid_t loc, const char *obj, const char *name, int *present)
{
    char what[200];
    attr_what(what, sizeof what, obj, name);
    htri_t ex = H5Aexists(loc, name);
    *present = ex > 0;
    return ex < 0 ? lb__fail_h5(c, LB_EDATA, "cannot read %s", what) : LB_OK;
}

int lb__h5_get_str(const lb__ctx *c, hid_t loc, const char *obj, const char *name, char **out)
{
    char what[200];
    attr_what(what, sizeof what, obj, name);
    *out = NULL;
    hid_t a, t, m = H5I_INVALID_HID;
    int rc = open_attr(c, loc, what, name, &a, &t);
    if (rc != LB_OK) return rc;
    htri_t var = H5Tget_class(t) == H5T_STRING ? H5Tis_variable_str(t) : -1;
    size_t size = H5Tget_size(t);
    H5T_cset_t cset = H5Tget_cset(t);
    if (var < 0 || cset < 0 || (!var && (size == 0 || size > LB__ATTR_MAX))) {
        rc = lb__fail(c, LB_EDATA, "%s is not a string", what);
        goto out;
    }
    if (var && c->fixed_strings) {
        rc = lb__fail(c, LB_EDATA, "%s is a variable-length string (this file's version stores fixed-length ones)",
                      what);
        goto out;
    }
    /* HDF5 will not convert between ASCII and UTF-8, so read in the file's set. */
    if ((m = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_cset(m, cset) < 0 ||
        H5Tset_size(m, var ? H5T_VARIABLE : size + 1) < 0) {
        rc = lb__fail_h5(c, LB_EDATA, "cannot read %s", what);
        goto out;
    }
    if (var) {
        char *v = NULL;
        if (H5Aread(a, m, &v) < 0) {
            rc = lb__fail_h5(c, LB_EDATA, "cannot read %s", what);
            goto out;
        }
        *out = lb_strdup(v ? v : "");
        H5free_memory(v);
    } else {
        char *buf = lb_calloc(size + 1, 1);
        if (buf && H5Aread(a, m, buf) < 0) {
            rc = lb__fail_h5(c, LB_EDATA, "cannot read %s", what);
            lb_free(buf);
            goto out;
        }
        *out = buf;
    }
    if (!*out) rc = lb__fail(c, LB_ENOMEM, "out of memory reading %s", what);
out:
    lb__h5_close(&m);
    lb__h5_close(&t);
    lb__h5_close(&a);
    return rc;
}

int lb__h5_get_num(const lb__ctx *c, hid_t loc, const char *obj, const char *name, hid_t mtype,
                   void *out)
{
    char what[200];
    attr_what(what, sizeof what, obj, name);
    hid_t a, t;
    int rc = open_attr(c, loc, what, name, &a, &t);
    if (rc != LB_OK) return rc;
    int want_int = H5Tget_class(mtype) == H5T_INTEGER;
    H5T_class_t cl = H5Tget_class(t);
    if (cl != H5T_INTEGER && (want_int || cl != H5T_FLOAT))
        rc = lb__fail(c, LB_EDATA, "%s is not %s", what, want_int ? "an integer" : "a number");
    else if (H5Aread(a, mtype, out) < 0)
        rc = lb__fail_h5(c, LB_EDATA, "cannot read %s", what);
    lb__h5_close(&t);
    lb__h5_close(&a);
    return rc;
}

int lb__h5_group(const lb__ctx *c, hid_t loc, const char *name, const char *label, hid_t *g)
{
    /* Past 8 links HDF5 keeps them in a fractal heap indexed by a v2 B-tree:
     * both checksummed in this format. (Keeping them in the object header
     * instead makes every lookup a linear scan: minutes for thousands of rows.) */
    *g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    return *g < 0 ? lb__fail_h5(c, LB_EIO, "cannot write %s", label) : LB_OK;
}

/* ---- compound tables ------------------------------------------------------ */

/* The character set of member name of compound like, UTF-8 when unknown. */
static H5T_cset_t member_cset(hid_t like, const char *name)
{
    H5T_cset_t cset = H5T_CSET_UTF8;
    if (like < 0) return cset;
    int idx = H5Tget_member_index(like, name);
    hid_t mt = idx < 0 ? H5I_INVALID_HID : H5Tget_member_type(like, (unsigned)idx);
    if (mt >= 0 && H5Tget_class(mt) == H5T_STRING && H5Tget_cset(mt) >= 0) cset = H5Tget_cset(mt);
    lb__h5_close(&mt);
    return cset;
}

/* The file type (packed, little-endian, NUL-padded strings) or the memory type
 * (the C struct, NUL-terminated strings in like's character sets) of t. */
static hid_t table_type(const lb__table *t, int file, hid_t like)
{
    hid_t ct = H5Tcreate(H5T_COMPOUND, t->size);
    for (size_t i = 0; ct >= 0 && i < t->nf; i++) {
        const lb__field *f = &t->f[i];
        /* an optional field the file lacks stays out of the memory type (calloc'd 0) */
        if (!file && like >= 0 && f->optional && H5Tget_member_index(like, f->name) < 0) continue;
        hid_t mt = H5I_INVALID_HID, own = H5I_INVALID_HID;
        switch (f->kind) {
        case LB__F_STR:
            /* NUL-terminated in memory so that a full-length string from another
             * writer is cut one short rather than left unterminated. */
            own = H5Tcopy(H5T_C_S1);
            if (own >= 0 &&
                (H5Tset_size(own, f->size) < 0 ||
                 H5Tset_strpad(own, file ? H5T_STR_NULLPAD : H5T_STR_NULLTERM) < 0 ||
                 H5Tset_cset(own, file ? H5T_CSET_UTF8 : member_cset(like, f->name)) < 0))
                lb__h5_close(&own);
            mt = own;
            break;
        case LB__F_I64: mt = file ? H5T_STD_I64LE : H5T_NATIVE_INT64; break;
        case LB__F_U64: mt = file ? H5T_STD_U64LE : H5T_NATIVE_UINT64; break;
        case LB__F_F64: mt = file ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE; break;
        }
        if (mt < 0 || H5Tinsert(ct, f->name, f->offset, mt) < 0) lb__h5_close(&ct);
        lb__h5_close(&own);
    }
    if (ct >= 0 && file && H5Tpack(ct) < 0) lb__h5_close(&ct);
    return ct;
}

int lb__h5_put_table(const lb__ctx *c, hid_t loc, const char *name, const char *label,
                     const lb__table *t, const void *rows, size_t n, hid_t *keep)
{
    int rc = LB_OK;
    hsize_t dims[1] = {n};
    hid_t ft = table_type(t, 1, H5I_INVALID_HID), mt = table_type(t, 0, H5I_INVALID_HID);
    hid_t sp = H5I_INVALID_HID, d = H5I_INVALID_HID, dcpl = H5Pcreate(H5P_DATASET_CREATE);
    size_t row = ft < 0 ? 0 : H5Tget_size(ft);
    herr_t st = dcpl < 0 || row == 0 ? -1 : 0;
    /* Raw data outside the object header is not checksummed by the format
     * itself: small tables go into the header, larger ones get Fletcher32. */
    if (st >= 0 && n > 0 && n <= LB__COMPACT_MAX / row) {
        st = H5Pset_layout(dcpl, H5D_COMPACT);
    } else if (st >= 0 && n > 0) {
        hsize_t chunk[1] = {(1u << 20) / row > 0 ? (1u << 20) / row : 1};
        if (chunk[0] > n) chunk[0] = n;
        if ((st = H5Pset_chunk(dcpl, 1, chunk)) >= 0) st = H5Pset_fletcher32(dcpl);
    }
    if (ft < 0 || mt < 0 || st < 0 || (sp = H5Screate_simple(1, dims, NULL)) < 0 ||
        (d = H5Dcreate2(loc, name, ft, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0 ||
        (n > 0 && H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0))
        rc = lb__fail_h5(c, LB_EIO, "cannot write %s", label);
    if (keep && rc == LB_OK) *keep = d;
    else lb__h5_close(&d);
    lb__h5_close(&dcpl);
    lb__h5_close(&sp);
    lb__h5_close(&mt);
    lb__h5_close(&ft);
    return rc;
}

/* A damaged or crafted extent must not make us allocate what the file cannot
 * hold: without filters the rows take their bytes in the file; compressing
 * writers (h5py with gzip) are allowed a generous ratio. */
static int check_extent(const lb__ctx *c, const char *label, hid_t d, hid_t ft, hsize_t rows)
{
    hid_t fid = H5Iget_file_id(d), dcpl = H5Dget_create_plist(d);
    hsize_t fsize = 0;
    int nfilters = dcpl < 0 ? -1 : H5Pget_nfilters(dcpl);
    herr_t st = fid < 0 ? -1 : H5Fget_filesize(fid, &fsize);
    if (fid >= 0) H5Fclose(fid); /* H5Iget_file_id took a reference */
    lb__h5_close(&dcpl);
    if (st < 0 || nfilters < 0) return lb__fail_h5(c, LB_EDATA, "cannot read %s", label);
    size_t row = H5Tget_size(ft);
    hsize_t most = fsize / (row ? row : 1) * (nfilters > 0 ? 1024 : 1);
    if (rows > most)
        return lb__fail(c, LB_EDATA, "%s claims %llu rows of %zu bytes, more than the file's %llu bytes hold", label,
                        (unsigned long long)rows, row, (unsigned long long)fsize);
    return LB_OK;
}

static int check_fields(const lb__ctx *c, const char *label, const lb__table *t, hid_t ft)
{
    /* HDF5 trusts member offsets when converting; a damaged one would make it
     * copy outside the row. */
    int nm = H5Tget_nmembers(ft);
    size_t size = H5Tget_size(ft);
    for (int i = 0; i < nm; i++) {
        hid_t mt = H5Tget_member_type(ft, (unsigned)i);
        size_t off = H5Tget_member_offset(ft, (unsigned)i), ms = mt < 0 ? 0 : H5Tget_size(mt);
        lb__h5_close(&mt);
        if (ms == 0 || off > size || ms > size - off)
            return lb__fail(c, LB_EDATA, "%s has a malformed type (member %d outside the row)", label, i);
    }
    for (size_t i = 0; i < t->nf; i++) {
        const lb__field *f = &t->f[i];
        int idx = H5Tget_member_index(ft, f->name);
        if (idx < 0 && f->optional) continue;
        if (idx < 0) return lb__fail(c, LB_EDATA, "%s has no field '%s'", label, f->name);
        H5T_class_t cl = H5Tget_member_class(ft, (unsigned)idx);
        const char *bad = NULL;
        switch (f->kind) {
        case LB__F_STR:
            if (cl != H5T_STRING) bad = "is not a string";
            else {
                hid_t mt = H5Tget_member_type(ft, (unsigned)idx);
                /* HDF5 cannot convert variable-length strings to fixed-length ones. */
                if (mt < 0 || H5Tis_variable_str(mt) != 0) bad = "is not a fixed-length string";
                lb__h5_close(&mt);
            }
            break;
        case LB__F_I64:
        case LB__F_U64:
            if (cl != H5T_INTEGER) bad = "is not an integer";
            break;
        case LB__F_F64:
            if (cl != H5T_INTEGER && cl != H5T_FLOAT) bad = "is not a number";
            break;
        }
        if (bad) return lb__fail(c, LB_EDATA, "field '%s' of %s %s", f->name, label, bad);
    }
    return LB_OK;
}

int lb__h5_get_table(const lb__ctx *c, hid_t loc, const char *name, const char *label,
                     const lb__table *t, void **rows, size_t *n, hid_t *keep)
{
    *rows = NULL;
    *n = 0;
    if (keep) *keep = H5I_INVALID_HID;
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (ex < 0) return lb__fail_h5(c, LB_EDATA, "cannot read %s", label);
    if (ex == 0) return lb__fail(c, LB_EDATA, "%s is missing", label);
    int rc = LB_OK;
    hid_t d, ft = H5I_INVALID_HID, sp = H5I_INVALID_HID, mt = H5I_INVALID_HID;
    hsize_t dims[1] = {0};
    if ((d = H5Dopen2(loc, name, H5P_DEFAULT)) < 0) {
        rc = lb__fail_h5(c, LB_EDATA, "%s is not a dataset", label);
        goto out;
    }
    if ((ft = H5Dget_type(d)) < 0 || (sp = H5Dget_space(d)) < 0) {
        rc = lb__fail_h5(c, LB_EDATA, "cannot read %s", label);
        goto out;
    }
    if (H5Tget_class(ft) != H5T_COMPOUND) {
        rc = lb__fail(c, LB_EDATA, "%s is not a compound dataset", label);
        goto out;
    }
    if (H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, dims, NULL) != 1) {
        rc = lb__fail(c, LB_EDATA, "%s is not one-dimensional", label);
        goto out;
    }
    if ((rc = check_fields(c, label, t, ft)) != LB_OK || (rc = check_extent(c, label, d, ft, dims[0])) != LB_OK)
        goto out;
    if (dims[0] > SIZE_MAX / t->size) {
        rc = lb__fail(c, LB_EDATA, "%s has too many rows", label);
        goto out;
    }
    if ((mt = table_type(t, 0, ft)) < 0) {
        rc = lb__fail_h5(c, LB_EDATA, "cannot read %s", label);
        goto out;
    }
    if (dims[0] > 0) {
        if (!(*rows = lb_calloc((size_t)dims[0], t->size))) {
            rc = lb__fail(c, LB_ENOMEM, "out of memory reading %s", label);
            goto out;
        }
        if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *rows) < 0) {
            rc = lb__fail_h5(c, LB_EDATA, "cannot read %s", label);
            goto out;
        }
    }
    *n = (size_t)dims[0];
out:
    if (rc != LB_OK) {
        lb_free(*rows);
        *rows = NULL;
    }
    if (keep && rc == LB_OK) *keep = d;
    else lb__h5_close(&d);
    lb__h5_close(&mt);
    lb__h5_close(&sp);
    lb__h5_close(&ft);
    return rc;
}
