/* The node tree shared by the parser (toml_parse.c) and the queries (toml.c). */
#ifndef LB_TOML_INTERNAL_H
#define LB_TOML_INTERNAL_H

#include "latentbench/toml.h"

#include <stddef.h>
#include <stdint.h>

/* How a table came to be; TOML's redefinition rules depend on it. */
enum {
    LB_TK_IMPLICIT, /* intermediate of a [a.b] header: [a] may still define it */
    LB_TK_HEADER,   /* defined by [header] or as an element of [[header]] */
    LB_TK_DOTTED,   /* created by a dotted key: only its own section extends it */
    LB_TK_INLINE,   /* { ... }: sealed once closed */
    LB_TK_ROOT
};
/* Arrays: a literal [ ... ] is sealed; [[header]] appends elements. */
enum { LB_AK_STATIC, LB_AK_TABLES };

struct lb_toml_node {
    unsigned char type;   /* lb_toml_type */
    unsigned char kind;   /* LB_TK_* or LB_AK_* */
    unsigned short depth; /* root = 0 */
    int line, col;        /* value position */
    int kline, kcol;      /* key position */
    char *key;            /* NUL-terminated copy, NULL for the root and array elements */
    size_t keylen;
    lb_toml_node *parent;
    union {
        struct {
            lb_toml_node **item; /* children in document order */
            size_t n, cap;
            uint32_t *index;     /* open-addressing index (child + 1) of large tables */
            size_t icap;
        } c;
        struct {
            char *s; /* NUL-terminated; may hold NULs from \u0000 */
            size_t len;
        } s;
        int64_t i;
        double f;
        int b;
    } u;
};

/* The root node is the first member, so the document is found from it. */
struct lb_toml_doc {
    lb_toml_node root;
    char *file;
};

/* Frees n's children and owned memory, not n itself. */
void lb_toml__clear(lb_toml_node *n);

/* The child of table t with this key, or NULL. */
lb_toml_node *lb_toml__find(const lb_toml_node *t, const char *key, size_t len);

/* Appends child to table or array t (taking ownership); LB_ENOMEM on failure,
 * in which case the caller still owns child. */
int lb_toml__append(lb_toml_node *t, lb_toml_node *child);

/* The document owning n (walks to the root). */
const lb_toml_doc *lb_toml__doc(const lb_toml_node *n);

#endif
