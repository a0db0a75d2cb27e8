/* Fuzz target of the TOML reader, and the checker that test_toml's seeded
 * mutation loop runs on every build (that loop is what CI runs under
 * AddressSanitizer; this file's libFuzzer entry needs clang and
 * -DLATENTBENCH_FUZZ=ON).
 *
 * For any input the parser must return LB_OK or LB_EDATA; an error must be one
 * line "fuzz.toml:LINE:COL: cause" pointing inside the input, and the same
 * again with a tiny buffer; a document must be consistent through the whole
 * query API; nothing may leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/toml.h"

const char *lb_toml_fuzz_check(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.toml"

/* Is line:col a place in the input (or just past the end of its line)? */
static int in_bounds(const uint8_t *d, size_t n, int line, int col)
{
    if (line < 1 || col < 1) return 0;
    size_t i = 0;
    for (int l = 1; l < line; l++) {
        while (i < n && d[i] != '\n') i++;
        if (i >= n) return 0;
        i++;
    }
    long points = 0;
    for (; i < n && d[i] != '\n'; i++) points += (d[i] & 0xC0) != 0x80;
    return col <= points + 1;
}

/* "NAME:LINE:COL: cause" with a cause, one line, inside the input. */
static const char *check_message(const char *msg, const char *file, const uint8_t *d, size_t n)
{
    size_t fl = strlen(file);
    if (strncmp(msg, file, fl) != 0 || msg[fl] != ':') return "message does not start with the file name";
    const char *s = msg + fl + 1;
    long v[2];
    for (int k = 0; k < 2; k++) {
        if (*s < '1' || *s > '9') return "message has no line:column";
        char *e;
        v[k] = strtol(s, &e, 10);
        if (*e != ':') return "message has no line:column";
        s = e + 1;
    }
    if (s[0] != ' ' || s[1] == '\0' || s[1] == ' ') return "message has no cause after 'file:line:col: '";
    if (strchr(msg, '\n')) return "message spans lines";
    if (!in_bounds(d, n, (int)v[0], (int)v[1])) return "message points outside the input";
    return NULL;
}

typedef struct {
    const uint8_t *d;
    size_t n;
    const char *why;
    int warned;
} walk_ctx;

static void on_unknown(void *ctx, const lb_toml_node *node, const char *msg)
{
    walk_ctx *w = ctx;
    w->warned++;
    (void)node;
    const char *why = check_message(msg, NAME, w->d, w->n);
    if (why && !w->why) w->why = why;
    if (!strstr(msg, "unknown key") && !w->why) w->why = "unknown-key message lacks 'unknown key'";
}

static const char *check_node(const lb_toml_node *n, const walk_ctx *w)
{
    lb_toml_pos p = lb_toml_pos_of(n), k = lb_toml_key_pos(n);
    if (strcmp(p.file, NAME) != 0) return "node reports another file";
    if (!in_bounds(w->d, w->n, p.line, p.column)) return "node position outside the input";
    if (!in_bounds(w->d, w->n, k.line, k.column)) return "key position outside the input";

    char path[64], big[1024];
    size_t need = lb_toml_path(n, path, sizeof path);
    if (lb_toml_path(n, big, sizeof big) != need) return "lb_toml_path length differs by buffer";
    if (need < sizeof path && strcmp(path, big) != 0) return "lb_toml_path text differs by buffer";
    if (strlen(path) != (need < sizeof path ? need : sizeof path - 1)) return "lb_toml_path truncation";

    /* Exactly the getters of its type succeed; the others report it well. */
    char err[512];
    int64_t i;
    double f;
    bool b;
    const char *s;
    size_t len;
    lb_toml_type t = lb_toml_type_of(n);
    int ok[4] = {lb_toml_as_int(n, &i, err, sizeof err) == LB_OK,
                 lb_toml_as_float(n, &f, err, sizeof err) == LB_OK,
                 lb_toml_as_bool(n, &b, err, sizeof err) == LB_OK,
                 lb_toml_as_string(n, &s, &len, err, sizeof err) == LB_OK};
    int want[4] = {t == LB_TOML_INTEGER, t == LB_TOML_INTEGER || t == LB_TOML_FLOAT,
                   t == LB_TOML_BOOLEAN, t == LB_TOML_STRING};
    if (memcmp(ok, want, sizeof ok) != 0) return "typed getters disagree with the type";
    if (t == LB_TOML_STRING && s[len] != '\0') return "string is not NUL-terminated";
    if (lb_toml_expect(n, LB_TOML_TABLE, err, sizeof err) != (t == LB_TOML_TABLE ? LB_OK : LB_EDATA))
        return "lb_toml_expect disagrees with the type";
    if (t != LB_TOML_TABLE) {
        const char *why = check_message(err, NAME, w->d, w->n);
        if (why) return why;
    }
    if (lb_toml_errorf(n, err, sizeof err, "consumer says %d", 42) != LB_EDATA) return "lb_toml_errorf code";
    const char *why = check_message(err, NAME, w->d, w->n);
    if (why) return why;

    size_t count = lb_toml_count(n);
    if (lb_toml_at(n, count) != NULL) return "lb_toml_at past the end";
    for (size_t c = 0; c < count; c++) {
        const lb_toml_node *child = lb_toml_at(n, c);
        if (!child || lb_toml_parent(child) != n) return "child's parent is wrong";
        size_t kl;
        const char *key = lb_toml_key(child, &kl);
        if ((t == LB_TOML_TABLE) != (key != NULL)) return "key presence disagrees with the parent";
        if (key && strlen(key) == kl) {
            if (lb_toml_find(n, key) != child) return "lb_toml_find misses a key";
            if (!strchr(key, '"') && kl + 3 < sizeof big) {
                snprintf(big, sizeof big, "\"%s\"", key);
                if (lb_toml_get(n, big) != child) return "lb_toml_get misses a quoted key";
            }
        }
        if ((why = check_node(child, w))) return why;
    }
    return NULL;
}

const char *lb_toml_fuzz_check(const uint8_t *data, size_t size)
{
    size_t before = lb_alloc_current();
    char err[1024], tiny[12];
    lb_toml_doc *doc = NULL, *doc2 = NULL;
    int rc = lb_toml_parse((const char *)data, size, NAME, &doc, err, sizeof err);
    int rc2 = lb_toml_parse((const char *)data, size, NAME, &doc2, tiny, sizeof tiny);
    lb_toml_free(doc2);
    const char *why = NULL;
    if (rc != rc2) why = "the result depends on the error buffer";
    else if (rc == LB_EDATA) {
        if (doc) why = "a failed parse returned a document";
        else if (strlen(tiny) >= sizeof tiny || strncmp(err, tiny, strlen(tiny)) != 0)
            why = "the message is not truncated safely";
        else why = check_message(err, NAME, data, size);
    } else if (rc != LB_OK) {
        why = "the parser returned neither LB_OK nor LB_EDATA";
    } else if (!doc) {
        why = "a successful parse returned no document";
    } else {
        walk_ctx w = {data, size, NULL, 0};
        const lb_toml_node *root = lb_toml_root(doc);
        why = check_node(root, &w);
        static const char *const allowed[] = {"title", "a", NULL};
        int unknown = lb_toml_check_keys(root, allowed, on_unknown, &w);
        if (!why && w.why) why = w.why;
        if (!why && (unknown < 0 || unknown != w.warned)) why = "lb_toml_check_keys count";
    }
    lb_toml_free(doc);
    if (!why && lb_alloc_current() != before) why = "memory leaked";
    return why;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = lb_toml_fuzz_check(data, size);
    if (why) {
        fprintf(stderr, "fuzz_toml: %s\n", why);
        abort();
    }
    return 0;
}
