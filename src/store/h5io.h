/* HDF5 plumbing shared by the results file and the dataset reader: error lines
 * that name the file, atomic writes (temporary file + fsync + rename), scalar
 * attributes, and 1-D compound tables described by a field table.
 *
 * Failures are reported through the lb__ctx error line, never printed by HDF5:
 * every public entry point calls lb__h5_quiet first. */
#ifndef LB_STORE_H5IO_H
#define LB_STORE_H5IO_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Where an error line goes and which file it names. */
typedef struct {
    const char *path;
    char       *err;
    size_t      errlen;
    /* Reading: refuse variable-length string attributes. Their values live in
     * HDF5's global heap, which has no checksum and which HDF5 1.10 decodes
     * without bounds checks; files written as fixed-length-only (results
     * schema_version 3) never have one, so one there means damage. */
    int         fixed_strings;
} lb__ctx;

/* Formats "path: <fmt>" into c->err and returns code. */
int lb__fail(const lb__ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same, with the innermost message of HDF5's error stack appended; call it
 * right after the failing HDF5 call, since any later call clears the stack. */
int lb__fail_h5(const lb__ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Turns HDF5's automatic error printing off for good: an error is one line
 * from us, not HDF5's stack. Not restored afterwards on purpose: HDF5 1.10,
 * when printing is on at H5close after a failed metadata checksum, reports an
 * "infinite loop closing library" and leaks its free lists. */
void lb__h5_quiet(void);

/* Closes any HDF5 id and sets it to H5I_INVALID_HID; invalid ids are ignored. */
void lb__h5_close(hid_t *id);

/* ---- atomic writes ---------------------------------------------------------
 * lb__h5_begin creates "<path>.tmp.<pid>" (exclusively, so nobody else's file is
 * ever clobbered or removed) and an empty in-memory HDF5 file in o->file.
 * lb__h5_commit writes the file's image to the temporary file, fsyncs it and
 * renames it over path; lb__h5_abort discards both. After a failed begin or
 * commit nothing is left behind. */
typedef struct {
    char *tmp;
    int   fd;
    hid_t file;
} lb__h5_out;

int  lb__h5_begin(const lb__ctx *c, lb__h5_out *o);
int  lb__h5_commit(const lb__ctx *c, lb__h5_out *o);
void lb__h5_abort(lb__h5_out *o);

/* Opens path read-only: LB_ENOINPUT when it cannot be opened at all, LB_EDATA
 * when it is not an HDF5 file or HDF5 cannot open it (truncated, corrupt). */
int lb__h5_open(const lb__ctx *c, hid_t *file);

/* A byte range of the file [off, off + len). */
typedef struct {
    uint64_t off, len;
} lb__range;

/* For files with variable-length strings (results versions 1 and 2, h5py's
 * ann-benchmarks files): checks every global heap collection in the file, the
 * way HDF5 1.10 does not, so a damaged one is LB_EDATA instead of a crash or a
 * hang in H5HG_read. The nskip ranges (large raw arrays) are not scanned.
 * LB_OK when sound. */
int lb__h5_check_global_heap(const lb__ctx *c, const lb__range *skip, size_t nskip);
/* 1 when attribute name of loc exists and is a variable-length string, 0 when
 * not, negative when HDF5 cannot tell (the reader then reports it). */
int lb__h5_attr_is_vlen_str(hid_t loc, const char *name);

/* Creates group name under loc (*g open on success; label names it in errors). */
int lb__h5_group(const lb__ctx *c, hid_t loc, const char *name, const char *label, hid_t *g);

/* ---- scalar attributes ----------------------------------------------------
 * Strings are written as fixed-length, NUL-terminated UTF-8 of their own
 * length (at least 1 byte): stored in the checksummed object header, never in
 * the global heap (h5py reads them back as bytes). The reader accepts variable-
 * and fixed-length strings, except variable-length ones under c->fixed_strings.
 * obj names the object in error lines ("/" for the root). */
int lb__h5_put_str(const lb__ctx *c, hid_t loc, const char *name, const char *value);
int lb__h5_put_num(const lb__ctx *c, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                   const void *value);
/* *present = whether the attribute exists; LB_EDATA when HDF5 cannot tell. */
int lb__h5_has_attr(const lb__ctx *c, hid_t loc, const char *obj, const char *name, int *present);
/* *out is lb_malloc'd. Rejects non-strings and anything but one element. */
int lb__h5_get_str(const lb__ctx *c, hid_t loc, const char *obj, const char *name, char **out);
/* mtype H5T_NATIVE_INT64 needs an integer attribute; H5T_NATIVE_DOUBLE takes any number. */
int lb__h5_get_num(const lb__ctx *c, hid_t loc, const char *obj, const char *name, hid_t mtype,
                   void *out);

/* ---- compound tables ------------------------------------------------------
 * A C struct stored as a 1-D compound dataset, one member per field of the same
 * name. Numbers are stored little-endian, strings as fixed-length NUL-padded
 * UTF-8 of the field's size. Every byte is checksummed: a table of up to
 * LB__COMPACT_MAX bytes is stored in its object header (compact layout), a
 * larger one in chunks with the Fletcher32 filter. */
#define LB__COMPACT_MAX (48u * 1024u)
typedef enum { LB__F_STR, LB__F_I64, LB__F_U64, LB__F_F64 } lb__fkind;

typedef struct {
    const char *name;
    size_t      offset, size;
    lb__fkind   kind;
    int         optional; /* may be absent from a file (added later): then left 0 */
} lb__field;

typedef struct {
    const lb__field *f;
    size_t           nf;
    size_t           size; /* sizeof the C struct */
} lb__table;

/* Writes n rows as dataset name under loc (label names it in error lines); with
 * keep, the dataset stays open in *keep (for attributes) and the caller closes it. */
int lb__h5_put_table(const lb__ctx *c, hid_t loc, const char *name, const char *label,
                     const lb__table *t, const void *rows, size_t n, hid_t *keep);
/* Reads dataset name under loc (label names it in error lines) into *rows
 * (lb_calloc'd, NULL when empty); a row count that the file's size cannot hold
 * is refused before anything is allocated. Members are matched by name and converted, so
 * the file's member order, string sizes and integer widths do not matter; each
 * field must exist with a compatible class, except optional ones, which read as
 * 0 when absent. keep as above. */
int lb__h5_get_table(const lb__ctx *c, hid_t loc, const char *name, const char *label,
                     const lb__table *t, void **rows, size_t *n, hid_t *keep);

#endif
