/* Suite files: [[group]] tables whose [group.params] expand as a grid into
 * benchmark cases. The format is documented in docs/SUITES.md. */
#define _POSIX_C_SOURCE 200809L
#include "latentbench/suite.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/toml.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Operation names as suite files spell them, indexed by lb_op_kind. */
static const char *const g_op_names[LB_OP_COUNT] = {
    "noop", "create", "add", "add_batch", "knn", "knn_batch", "attention", "attention_batch", "build",
    "attention_build", "knn_merge",
};

int lb_op_kind_parse(const char *name)
{
    for (int i = 0; i < LB_OP_COUNT; i++)
        if (name && strcmp(name, g_op_names[i]) == 0) return i;
    return -1;
}

const char *lb_op_kind_name(int kind)
{
    return kind >= 0 && kind < LB_OP_COUNT ? g_op_names[kind] : NULL;
}

#ifndef LB_SUITE_DIR
#define LB_SUITE_DIR "bench"
#endif
#ifndef LB_SUITE_INSTALL_DIR
#define LB_SUITE_INSTALL_DIR "/usr/local/share/latentbench/bench"
#endif

#define MAX_INCLUDE_DEPTH 8
#define MAX_AXES 16

/* An error placed at a node's key rather than its value (unknown keys). */
static int key_error(const lb_toml_node *n, char *err, size_t errlen, const char *what)
{
    lb_toml_pos p = lb_toml_key_pos(n);
    return lb_errorf(err, errlen, LB_EDATA, "%s:%d:%d: unknown key '%s' in %s", p.file, p.line, p.column,
                     lb_toml_key(n, NULL), what);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

const char *lb_suite_dir(void)
{
    const char *env = getenv("LATENTBENCH_SUITE_DIR");
    if (env && *env) return env;
    struct stat st;
    if (stat(LB_SUITE_DIR, &st) == 0 && S_ISDIR(st.st_mode)) return LB_SUITE_DIR;
    return LB_SUITE_INSTALL_DIR;
}

void lb_case_list_free(lb_case_list *l)
{
    lb_free(l->cases);
    l->cases = NULL;
    l->count = l->cap = 0;
}

/* ---- parameters -------------------------------------------------------- */

typedef enum { P_INT, P_FLOAT, P_STRING } ptype;
static const struct {
    const char *name;
    ptype type;
    size_t off;
} g_params[] = {
    {"dimension", P_INT, offsetof(lb_case, dimension)},
    {"k", P_INT, offsetof(lb_case, k)},
    {"dataset_size", P_INT, offsetof(lb_case, dataset_size)},
    {"batch_size", P_INT, offsetof(lb_case, batch_size)},
    {"seq_len", P_INT, offsetof(lb_case, seq_len)},
    {"num_heads", P_INT, offsetof(lb_case, num_heads)},
    {"num_experts", P_INT, offsetof(lb_case, num_experts)},
    {"top_k_experts", P_INT, offsetof(lb_case, top_k_experts)},
    {"block_size", P_INT, offsetof(lb_case, block_size)},
    {"curvature", P_FLOAT, offsetof(lb_case, curvature)},
    {"metric", P_STRING, offsetof(lb_case, metric)},
    {"attention", P_STRING, offsetof(lb_case, attention)},
};
#define NPARAMS (sizeof g_params / sizeof *g_params)

static int param_index(const char *key)
{
    for (size_t i = 0; i < NPARAMS; i++)
        if (strcmp(key, g_params[i].name) == 0) return (int)i;
    return -1;
}

/* Sets parameter pi of c from a scalar node; writes its label. */
static int assign(lb_case *c, int pi, const lb_toml_node *v, char *label, size_t llen, char *err, size_t errlen)
{
    void *field = (char *)c + g_params[pi].off;
    int rc;
    switch (g_params[pi].type) {
    case P_INT: {
        int64_t x;
        if ((rc = lb_toml_as_int(v, &x, err, errlen))) return rc;
        if (x < 0) return lb_toml_errorf(v, err, errlen, "%s must not be negative", g_params[pi].name);
        *(int64_t *)field = x;
        snprintf(label, llen, "%lld", (long long)x);
        return LB_OK;
    }
    case P_FLOAT: {
        double x;
        if ((rc = lb_toml_as_float(v, &x, err, errlen))) return rc;
        *(double *)field = x;
        snprintf(label, llen, "%g", x);
        return LB_OK;
    }
    case P_STRING: {
        const char *s;
        if ((rc = lb_toml_as_string(v, &s, NULL, err, errlen))) return rc;
        if (strlen(s) >= LB_NAME_LEN) return lb_toml_errorf(v, err, errlen, "%s is too long", g_params[pi].name);
        snprintf((char *)field, LB_NAME_LEN, "%s", s);
        snprintf(label, llen, "%s", s);
        return LB_OK;
    }
    }
    return LB_EINTERNAL;
}

/* One axis of the grid: a parameter key and its values (scalars or tables). */
typedef struct {
    const lb_toml_node *key_node;
    const char *key;
    const lb_toml_node *values; /* an array, or a single scalar */
    size_t n;
} axis;

static const lb_toml_node *axis_value(const axis *a, size_t i)
{
    return lb_toml_type_of(a->values) == LB_TOML_ARRAY ? lb_toml_at(a->values, i) : a->values;
}

/* Applies value i of axis a to c and returns its label. */
static int apply(const axis *a, size_t i, lb_case *c, char *label, size_t llen, char *err, size_t errlen)
{
    const lb_toml_node *v = axis_value(a, i);
    if (lb_toml_type_of(v) == LB_TOML_TABLE) {
        /* a variant: label plus several parameters at once */
        const char *lab = NULL;
        int rc = lb_toml_get_string(v, "label", &lab, err, errlen);
        if (rc) return rc;
        if (!lab) return lb_toml_errorf(v, err, errlen, "a variant needs a label");
        snprintf(label, llen, "%s", lab);
        char dummy[LB_ID_LEN];
        for (size_t j = 0; j < lb_toml_count(v); j++) {
            const lb_toml_node *e = lb_toml_at(v, j);
            const char *k = lb_toml_key(e, NULL);
            if (strcmp(k, "label") == 0) continue;
            int pi = param_index(k);
            if (pi < 0) return key_error(e, err, errlen, "a variant (not a parameter)");
            if ((rc = assign(c, pi, e, dummy, sizeof dummy, err, errlen))) return rc;
        }
        return LB_OK;
    }
    int pi = param_index(a->key);
    if (pi < 0)
        return lb_toml_errorf(a->key_node, err, errlen,
                              "unknown parameter '%s' (a grid of variants needs tables with a label)", a->key);
    return assign(c, pi, v, label, llen, err, errlen);
}

/* Substitutes {key} in tmpl with the labels of the current combination. */
static int format_id(const lb_toml_node *tmpl_node, const char *tmpl, const axis *axes, const char labels[][LB_ID_LEN],
                     size_t naxes, char *out, char *err, size_t errlen)
{
    size_t o = 0;
    for (const char *p = tmpl; *p;) {
        const char *piece = p;
        size_t plen = 1;
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close) return lb_toml_errorf(tmpl_node, err, errlen, "unclosed '{' in id");
            size_t klen = (size_t)(close - p - 1);
            size_t a;
            for (a = 0; a < naxes; a++)
                if (strlen(axes[a].key) == klen && strncmp(axes[a].key, p + 1, klen) == 0) break;
            if (a == naxes)
                return lb_toml_errorf(tmpl_node, err, errlen, "id names '{%.*s}', which is not a parameter", (int)klen,
                                      p + 1);
            piece = labels[a];
            plen = strlen(piece);
            p = close + 1;
        } else {
            p++;
        }
        if (o + plen >= LB_ID_LEN) return lb_toml_errorf(tmpl_node, err, errlen, "id longer than %d bytes", LB_ID_LEN - 1);
        memcpy(out + o, piece, plen);
        o += plen;
    }
    out[o] = '\0';
    return LB_OK;
}

static int push_case(lb_case_list *l, const lb_case *c)
{
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->cases[i].id, c->id) == 0) return LB_OK; /* first definition wins */
    if (l->count == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 64;
        lb_case *p = lb_realloc(l->cases, nc * sizeof *p);
        if (!p) return LB_ENOMEM;
        l->cases = p;
        l->cap = nc;
    }
    l->cases[l->count++] = *c;
    return LB_OK;
}

static int load_group(const lb_toml_node *g, const char *suite, const regex_t *re, lb_case_list *list, char *err,
                      size_t errlen)
{
    static const char *const allowed[] = {"name", "op", "id", "throughput", "params", NULL};
    const lb_toml_node *bad = NULL;
    for (size_t i = 0; i < lb_toml_count(g); i++) {
        const char *k = lb_toml_key(lb_toml_at(g, i), NULL);
        int ok = 0;
        for (const char *const *a = allowed; *a; a++) ok |= strcmp(*a, k) == 0;
        if (!ok) { bad = lb_toml_at(g, i); break; }
    }
    if (bad) return key_error(bad, err, errlen, "a group");
    int rc;
    const char *name = NULL, *op = NULL, *tmpl = NULL, *tp = NULL;
    if ((rc = lb_toml_require(g, "name", err, errlen)) || (rc = lb_toml_require(g, "op", err, errlen)) ||
        (rc = lb_toml_require(g, "id", err, errlen)) || (rc = lb_toml_require(g, "params", err, errlen)) ||
        (rc = lb_toml_get_string(g, "name", &name, err, errlen)) ||
        (rc = lb_toml_get_string(g, "op", &op, err, errlen)) || (rc = lb_toml_get_string(g, "id", &tmpl, err, errlen)) ||
        (rc = lb_toml_get_string(g, "throughput", &tp, err, errlen)))
        return rc;
    const lb_toml_node *params = lb_toml_find(g, "params");
    if ((rc = lb_toml_expect(params, LB_TOML_TABLE, err, errlen))) return rc;
    if (strlen(name) >= LB_NAME_LEN) return lb_toml_errorf(lb_toml_find(g, "name"), err, errlen, "name is too long");
    if (lb_op_kind_parse(op) < 0) return lb_toml_errorf(lb_toml_find(g, "op"), err, errlen, "unknown operation '%s'", op);
    int tp_index = -1;
    if (tp) {
        tp_index = param_index(tp);
        if (tp_index < 0 || g_params[tp_index].type != P_INT)
            return lb_toml_errorf(lb_toml_find(g, "throughput"), err, errlen,
                                  "throughput must name an integer parameter (k, batch_size, seq_len, ...)");
    }

    axis axes[MAX_AXES];
    size_t naxes = lb_toml_count(params);
    if (naxes > MAX_AXES) return lb_toml_errorf(params, err, errlen, "more than %d parameters", MAX_AXES);
    for (size_t a = 0; a < naxes; a++) {
        const lb_toml_node *v = lb_toml_at(params, a);
        axes[a].key_node = v;
        axes[a].key = lb_toml_key(v, NULL);
        axes[a].values = v;
        axes[a].n = lb_toml_type_of(v) == LB_TOML_ARRAY ? lb_toml_count(v) : 1;
        if (axes[a].n == 0) return lb_toml_errorf(v, err, errlen, "'%s' has no values", axes[a].key);
    }

    /* odometer over the grid: the first key outermost */
    size_t idx[MAX_AXES] = {0};
    char labels[MAX_AXES][LB_ID_LEN];
    for (;;) {
        lb_case c;
        memset(&c, 0, sizeof c);
        snprintf(c.suite, sizeof c.suite, "%s", suite);
        snprintf(c.group, sizeof c.group, "%s", name);
        snprintf(c.op, sizeof c.op, "%s", op);
        for (size_t a = 0; a < naxes; a++)
            if ((rc = apply(&axes[a], idx[a], &c, labels[a], sizeof labels[a], err, errlen))) return rc;
        if ((rc = format_id(lb_toml_find(g, "id"), tmpl, axes, (const char(*)[LB_ID_LEN])labels, naxes, c.id, err,
                            errlen)))
            return rc;
        if (tp_index >= 0) c.elements = *(int64_t *)((char *)&c + g_params[tp_index].off);
        if (!re || regexec(re, c.id, 0, NULL, 0) == 0)
            if ((rc = push_case(list, &c))) return rc;
        size_t a = naxes;
        while (a > 0 && ++idx[a - 1] == axes[a - 1].n) idx[--a] = 0;
        if (a == 0) break;
    }
    return LB_OK;
}

static int resolve(const char *name, char *path, size_t len)
{
    size_t n = strlen(name);
    if (strchr(name, '/') || (n > 5 && strcmp(name + n - 5, ".toml") == 0)) snprintf(path, len, "%s", name);
    else snprintf(path, len, "%s/%s.toml", lb_suite_dir(), name);
    return is_file(path);
}

static int load_file(const char *name, const regex_t *re, lb_case_list *list, int depth, char *err, size_t errlen)
{
    char path[1024];
    if (!resolve(name, path, sizeof path)) {
        if (strchr(name, '/') || strstr(name, ".toml"))
            return lb_errorf(err, errlen, LB_ENOINPUT, "%s: no such suite file", name);
        return lb_errorf(err, errlen, LB_ENOINPUT,
                         "unknown suite '%s' (no %s; built-in: latency throughput memory matrix critical_path "
                         "attention_comparison distance_comparison flash_attention ci all)",
                         name, path);
    }
    lb_toml_doc *doc = NULL;
    int rc = lb_toml_parse_file(path, &doc, err, errlen);
    if (rc) return rc;
    const lb_toml_node *root = lb_toml_root(doc);
    static const char *const allowed[] = {"suite", "description", "include", "group", NULL};
    for (size_t i = 0; i < lb_toml_count(root) && !rc; i++) {
        const lb_toml_node *e = lb_toml_at(root, i);
        const char *k = lb_toml_key(e, NULL);
        int ok = 0;
        for (const char *const *a = allowed; *a; a++) ok |= strcmp(*a, k) == 0;
        if (!ok) rc = key_error(e, err, errlen, "a suite file");
    }
    const char *suite = NULL, *desc = NULL;
    if (!rc) rc = lb_toml_get_string(root, "suite", &suite, err, errlen);
    if (!rc) rc = lb_toml_get_string(root, "description", &desc, err, errlen);
    char stem[LB_NAME_LEN];
    if (!rc && !suite) {
        const char *b = strrchr(path, '/');
        b = b ? b + 1 : path;
        size_t sl = strcspn(b, ".");
        if (sl >= sizeof stem) sl = sizeof stem - 1;
        memcpy(stem, b, sl);
        stem[sl] = '\0';
        suite = stem;
    }
    if (!rc && strlen(suite) >= LB_NAME_LEN) rc = lb_toml_errorf(lb_toml_find(root, "suite"), err, errlen, "suite name too long");
    const lb_toml_node *inc = lb_toml_find(root, "include");
    if (!rc && inc) {
        if (depth >= MAX_INCLUDE_DEPTH) rc = lb_toml_errorf(inc, err, errlen, "includes nest deeper than %d", MAX_INCLUDE_DEPTH);
        else if (!(rc = lb_toml_expect(inc, LB_TOML_ARRAY, err, errlen)))
            for (size_t i = 0; i < lb_toml_count(inc) && !rc; i++) {
                const char *s;
                rc = lb_toml_as_string(lb_toml_at(inc, i), &s, NULL, err, errlen);
                if (!rc) rc = load_file(s, re, list, depth + 1, err, errlen);
            }
    }
    const lb_toml_node *groups = lb_toml_find(root, "group");
    if (!rc && groups) {
        if (!(rc = lb_toml_expect(groups, LB_TOML_ARRAY, err, errlen)))
            for (size_t i = 0; i < lb_toml_count(groups) && !rc; i++) {
                const lb_toml_node *g = lb_toml_at(groups, i);
                rc = lb_toml_expect(g, LB_TOML_TABLE, err, errlen);
                if (!rc) rc = load_group(g, suite, re, list, err, errlen);
            }
    }
    lb_toml_free(doc);
    return rc;
}

int lb_suite_load(const char *name_or_path, const char *filter, lb_case_list *list, char *err, size_t errlen)
{
    regex_t re;
    if (filter) {
        int rc = regcomp(&re, filter, REG_EXTENDED | REG_NOSUB);
        if (rc) {
            char msg[256];
            regerror(rc, &re, msg, sizeof msg);
            return lb_errorf(err, errlen, LB_EUSAGE, "--filter '%s': %s", filter, msg);
        }
    }
    int rc = load_file(name_or_path, filter ? &re : NULL, list, 0, err, errlen);
    if (filter) regfree(&re);
    return rc;
}
