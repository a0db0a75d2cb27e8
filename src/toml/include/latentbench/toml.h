/* A small, strict TOML 1.0 reader for the harness's configuration files.
 *
 * The whole document is parsed into a tree at once; every node remembers where
 * it was written, so a consumer can report "regression_config.toml:12:5: ..."
 * about a value that parsed fine but makes no sense to it. Offset and local
 * dates and times are rejected ("dates and times are not supported"); see
 * docs/TOML.md for the exact subset.
 *
 * Errors are one line, "FILE:LINE:COLUMN: cause", written into a caller's buffer
 * (truncated safely, always NUL-terminated when errlen > 0). Lines and columns
 * are 1-based; a column counts Unicode code points, a tab counts as one.
 *
 * Functions return LB_OK or a negative LB_E* code (latentbench/error.h).
 * Every allocation goes through lb_malloc; a document is freed with one call. */
#ifndef LATENTBENCH_TOML_H
#define LATENTBENCH_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lb_toml_doc lb_toml_doc;   /* a parsed document (owns every node) */
typedef struct lb_toml_node lb_toml_node; /* a table, array or value inside it */

typedef enum {
    LB_TOML_TABLE,
    LB_TOML_ARRAY,
    LB_TOML_STRING,
    LB_TOML_INTEGER,
    LB_TOML_FLOAT,
    LB_TOML_BOOLEAN
} lb_toml_type;

/* A place in the source; file is owned by the document. */
typedef struct {
    const char *file;
    int line;   /* 1-based */
    int column; /* 1-based, in code points */
} lb_toml_pos;

/* Deepest nesting of tables and arrays accepted (the root is depth 0). */
#define LB_TOML_MAX_DEPTH 128

/* ---- parsing ------------------------------------------------------------ */

/* Parses len bytes of data (UTF-8, need not be NUL-terminated). name is the
 * file name used in messages and positions ("<memory>" when NULL).
 * On success stores a new document in *out, which the caller frees with
 * lb_toml_free(). On failure *out is NULL and err holds one line.
 * Returns LB_OK, LB_EDATA (syntax, encoding or redefinition error), LB_ENOMEM,
 * or LB_EUSAGE when data or out is NULL. */
int lb_toml_parse(const char *data, size_t len, const char *name, lb_toml_doc **out, char *err,
                  size_t errlen);

/* Reads the file at path and parses it as lb_toml_parse() does, naming it path.
 * Returns LB_OK, LB_ENOINPUT (cannot open: "path: cannot open: reason"),
 * LB_EIO (read error), LB_EDATA, LB_ENOMEM or LB_EUSAGE. */
int lb_toml_parse_file(const char *path, lb_toml_doc **out, char *err, size_t errlen);

/* Frees a document and every node in it; NULL is fine. Nodes and strings taken
 * from the document are invalid afterwards. */
void lb_toml_free(lb_toml_doc *doc);

/* The root table of doc (never NULL for a parsed document). */
const lb_toml_node *lb_toml_root(const lb_toml_doc *doc);

/* ---- nodes -------------------------------------------------------------- */

/* Type of a node. Precondition: n is not NULL. */
lb_toml_type lb_toml_type_of(const lb_toml_node *n);

/* "table", "array", "string", "integer", "float" or "boolean". */
const char *lb_toml_type_name(lb_toml_type t);

/* Where the value starts: the first character of a value, the opening bracket
 * of an array or inline table, the last key of the [header] that defined a
 * table (the first [[header]] for an array of tables), 1:1 for the root. */
lb_toml_pos lb_toml_pos_of(const lb_toml_node *n);

/* Where the node's key is written (for "unknown key" messages); the same as
 * lb_toml_pos_of() for array elements and the root. */
lb_toml_pos lb_toml_key_pos(const lb_toml_node *n);

/* The node's own key (not its dotted path), NUL-terminated; NULL for the root
 * and for array elements. *len, when len is not NULL, receives its length
 * (a quoted key may contain "\u0000"). */
const char *lb_toml_key(const lb_toml_node *n, size_t *len);

/* The table or array holding n; NULL for the root. */
const lb_toml_node *lb_toml_parent(const lb_toml_node *n);

/* Writes n's path from the root, e.g. "thresholds.latency.knn_search" or
 * "fruits[1].name" (keys that are not bare are quoted), into buf like snprintf:
 * returns the length the whole path needs; the root's path is "". */
size_t lb_toml_path(const lb_toml_node *n, char *buf, size_t len);

/* ---- tables and arrays -------------------------------------------------- */

/* Number of keys of a table or elements of an array; 0 for other nodes. */
size_t lb_toml_count(const lb_toml_node *n);

/* The i-th key's value of a table (in document order) or the i-th element of
 * an array; NULL when i is out of range or n is neither. */
const lb_toml_node *lb_toml_at(const lb_toml_node *n, size_t i);

/* The value of one key of table, compared byte for byte (dots are part of
 * the key); NULL when absent or table is not a table. */
const lb_toml_node *lb_toml_find(const lb_toml_node *table, const char *key);

/* Looks up a dotted path below table: "thresholds.latency.knn_search".
 * Segments are bare keys or double-quoted keys without escapes
 * ("servers.\"eu.west\".port"). Returns NULL when the path is absent, passes
 * through a node that is not a table, or is malformed. */
const lb_toml_node *lb_toml_get(const lb_toml_node *table, const char *path);

/* ---- typed access ------------------------------------------------------- */
/* Each returns LB_OK and stores the value, or LB_EDATA with
 * "FILE:LINE:COL: path: expected a float, found a string" at the node, leaving
 * *out untouched. LB_EUSAGE when n or out is NULL. */

int lb_toml_as_int(const lb_toml_node *n, int64_t *out, char *err, size_t errlen);

/* Integers are accepted too (a threshold written "10" means 10.0); they are
 * converted to the nearest double. */
int lb_toml_as_float(const lb_toml_node *n, double *out, char *err, size_t errlen);

int lb_toml_as_bool(const lb_toml_node *n, bool *out, char *err, size_t errlen);

/* *out points into the document (NUL-terminated, valid until lb_toml_free).
 * With len NULL a string holding a NUL character ("\u0000") is an LB_EDATA
 * error, since the caller could not see its end; otherwise *len gets the length. */
int lb_toml_as_string(const lb_toml_node *n, const char **out, size_t *len, char *err,
                      size_t errlen);

/* LB_OK when n has type t, else LB_EDATA with the same message as above. */
int lb_toml_expect(const lb_toml_node *n, lb_toml_type t, char *err, size_t errlen);

/* Path variants for optional settings: fill *out with the default first.
 * Absent path: LB_OK, *out untouched. Present: as lb_toml_as_*() (for
 * lb_toml_get_string, as with len NULL). LB_EUSAGE when an argument is NULL. */
int lb_toml_get_int(const lb_toml_node *table, const char *path, int64_t *out, char *err,
                    size_t errlen);
int lb_toml_get_float(const lb_toml_node *table, const char *path, double *out, char *err,
                      size_t errlen);
int lb_toml_get_bool(const lb_toml_node *table, const char *path, bool *out, char *err,
                     size_t errlen);
int lb_toml_get_string(const lb_toml_node *table, const char *path, const char **out,
                       char *err, size_t errlen);

/* LB_OK when path exists below table; otherwise LB_EDATA with
 * "FILE:LINE:COL: missing key 'path' in table 'name'" at the table. */
int lb_toml_require(const lb_toml_node *table, const char *path, char *err, size_t errlen);

/* ---- consumer diagnostics ----------------------------------------------- */

/* Receives one message per unknown key: "FILE:LINE:COL: unknown key 'x' in
 * table 't' (did you mean 'y'?)", positioned at the key. */
typedef void (*lb_toml_warn_fn)(void *ctx, const lb_toml_node *node, const char *msg);

/* Calls warn (when not NULL) for every key of table that is not in allowed
 * (a NULL-terminated list), in document order. Returns the number of unknown
 * keys (0 when all are known), or LB_EUSAGE when table is not a table or
 * allowed is NULL. Only table's own keys are checked, not nested ones. */
int lb_toml_check_keys(const lb_toml_node *table, const char *const *allowed,
                       lb_toml_warn_fn warn, void *ctx);

/* Writes "FILE:LINE:COL: " and the formatted cause, positioned at n's value,
 * into err and returns LB_EDATA, so a consumer can write
 * `return lb_toml_errorf(n, err, errlen, "threshold must be positive");`. */
int lb_toml_errorf(const lb_toml_node *n, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#ifdef __cplusplus
}
#endif
#endif
