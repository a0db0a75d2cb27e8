/*
 * The TOML reader: the design's two files verbatim, a document with every
 * construct, tables of valid values and of errors with their exact
 * "file:line:col: cause", typed access, unknown keys, lookups, out-of-memory
 * at every allocation, and a seeded mutation loop over the valid inputs
 * (replay with LB_TOML_SEED=<seed>).
 */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/toml.h"

const char *lb_toml_fuzz_check(const uint8_t *data, size_t size); /* tests/fuzz/fuzz_toml.c */

static const char *data_dir = LB_TOML_DATA_DIR;

/* ---- out-of-memory injection (the link wraps lb_malloc and lb_realloc) ---- */

#ifdef LB_TOML_TEST_OOM
void *__real_lb_malloc(size_t bytes);
void *__real_lb_realloc(void *p, size_t bytes);
static long alloc_budget = -1; /* allocations left before failing; -1: never fail */

void *__wrap_lb_malloc(size_t bytes)
{
    if (alloc_budget == 0) return NULL;
    if (alloc_budget > 0) alloc_budget--;
    return __real_lb_malloc(bytes);
}

void *__wrap_lb_realloc(void *p, size_t bytes)
{
    if (alloc_budget == 0) return NULL;
    if (alloc_budget > 0) alloc_budget--;
    return __real_lb_realloc(p, bytes);
}
#endif

/* ---- helpers --------------------------------------------------------------- */

static char *data_path(const char *name)
{
    static char path[256]; /* short, so messages that quote it fit in 512 */
    int k = snprintf(path, sizeof path, "%s/%s", data_dir, name);
    ck_assert_msg(k > 0 && (size_t)k < sizeof path, "data directory path too long");
    return path;
}

/* Reads a data file whole (test harness memory, not the parser's). */
static char *slurp(const char *name, size_t *len)
{
    FILE *f = fopen(data_path(name), "rb");
    ck_assert_msg(f != NULL, "cannot open %s", data_path(name));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 4096;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (!got) break;
    }
    fclose(f);
    *len = n;
    return buf;
}

static lb_toml_doc *parse_ok(const char *text)
{
    char err[512];
    lb_toml_doc *doc = NULL;
    int rc = lb_toml_parse(text, strlen(text), "t.toml", &doc, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "parse failed (%d): %s\n--- document ---\n%s", rc, err, text);
    ck_assert_ptr_nonnull(doc);
    return doc;
}

static lb_toml_doc *parse_file_ok(const char *name)
{
    char err[512];
    lb_toml_doc *doc = NULL;
    int rc = lb_toml_parse_file(data_path(name), &doc, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "parse of %s failed (%d): %s", name, rc, err);
    return doc;
}

static const lb_toml_node *must_get(const lb_toml_node *t, const char *path)
{
    const lb_toml_node *n = lb_toml_get(t, path);
    ck_assert_msg(n != NULL, "missing %s", path);
    return n;
}

static double get_float(const lb_toml_node *t, const char *path)
{
    char err[256];
    double v = -1;
    int rc = lb_toml_as_float(must_get(t, path), &v, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "%s", err);
    return v;
}

static int64_t get_int(const lb_toml_node *t, const char *path)
{
    char err[256];
    int64_t v = -1;
    int rc = lb_toml_as_int(must_get(t, path), &v, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "%s", err);
    return v;
}

static bool get_bool(const lb_toml_node *t, const char *path)
{
    char err[256];
    bool v = false;
    int rc = lb_toml_as_bool(must_get(t, path), &v, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "%s", err);
    return v;
}

static const char *get_str(const lb_toml_node *t, const char *path)
{
    char err[256];
    const char *v = NULL;
    int rc = lb_toml_as_string(must_get(t, path), &v, NULL, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "%s", err);
    return v;
}

static void assert_pos(const lb_toml_node *n, int line, int col)
{
    lb_toml_pos p = lb_toml_pos_of(n);
    ck_assert_msg(p.line == line && p.column == col, "position %d:%d, expected %d:%d", p.line, p.column,
                  line, col);
}

static void assert_keys(const lb_toml_node *t, const char *const *keys, size_t n)
{
    ck_assert_uint_eq(lb_toml_count(t), n);
    for (size_t i = 0; i < n; i++) ck_assert_str_eq(lb_toml_key(lb_toml_at(t, i), NULL), keys[i]);
}

/* Every test must give back what it took. */
static size_t mem_start;
static void leak_setup(void) { mem_start = lb_alloc_current(); }
static void leak_teardown(void) { ck_assert_uint_eq(lb_alloc_current(), mem_start); }

/* ---- the design's files ---------------------------------------------------- */

START_TEST(test_regression_config)
{
    lb_toml_doc *doc = parse_file_ok("regression_config.toml");
    const lb_toml_node *r = lb_toml_root(doc);

    static const char *const top[] = {"thresholds", "regression_actions", "baseline_management"};
    assert_keys(r, top, 3);
    static const char *const th[] = {"default", "latency", "throughput", "memory"};
    assert_keys(must_get(r, "thresholds"), th, 4);
    static const char *const lat[] = {"knn_search", "add_embedding", "attention"};
    assert_keys(must_get(r, "thresholds.latency"), lat, 3);

    ck_assert_double_eq(get_float(r, "thresholds.default"), 10.0);
    ck_assert_double_eq(get_float(r, "thresholds.latency.knn_search"), 5.0);
    ck_assert_double_eq(get_float(r, "thresholds.latency.attention"), 12.0);
    ck_assert_double_eq(get_float(r, "thresholds.throughput.batch_operations"), 15.0);
    ck_assert_double_eq(get_float(r, "thresholds.memory.allocation_count"), 25.0);
    ck_assert(get_bool(r, "regression_actions.fail_ci"));
    ck_assert(get_bool(r, "regression_actions.notify_team"));
    /* ${VAR} stays verbatim: expanding it is the consumer's business. */
    ck_assert_str_eq(get_str(r, "regression_actions.notifications.slack_webhook"), "${SLACK_WEBHOOK_URL}");
    ck_assert_str_eq(get_str(r, "regression_actions.notifications.email"), "dev-team@example.com");
    ck_assert(get_bool(r, "baseline_management.auto_update_main"));
    ck_assert(!get_bool(r, "baseline_management.require_approval"));
    ck_assert_int_eq(get_int(r, "baseline_management.max_history_count"), 50);

    /* Positions: values where they start, tables at their header's last key. */
    const lb_toml_node *def = must_get(r, "thresholds.default");
    assert_pos(def, 5, 11);
    lb_toml_pos kp = lb_toml_key_pos(def);
    ck_assert_int_eq(kp.line, 5);
    ck_assert_int_eq(kp.column, 1);
    ck_assert_str_eq(kp.file, data_path("regression_config.toml"));
    assert_pos(must_get(r, "thresholds.latency.knn_search"), 9, 14);
    assert_pos(must_get(r, "thresholds"), 3, 2);
    assert_pos(must_get(r, "thresholds.latency"), 8, 13);
    assert_pos(must_get(r, "regression_actions.notifications.slack_webhook"), 28, 17);
    assert_pos(must_get(r, "baseline_management.max_history_count"), 40, 21);
    lb_toml_free(doc);
}
END_TEST

START_TEST(test_benchmark_results)
{
    lb_toml_doc *doc = parse_file_ok("benchmark_results.toml");
    const lb_toml_node *r = lb_toml_root(doc);
    static const char *const top[] = {"latency", "throughput", "memory"};
    assert_keys(r, top, 3);
    static const char *const lat[] = {"dim_128", "dim_256"};
    assert_keys(must_get(r, "latency"), lat, 2);
    ck_assert_str_eq(get_str(r, "latency.dim_128.k_10.mean"), "45.2 \xC2\xB5s");
    ck_assert_str_eq(get_str(r, "latency.dim_256.k_100.mad"), "3.2 \xC2\xB5s");
    ck_assert_str_eq(get_str(r, "throughput.batch_32.dim_256.throughput"), "2.34 GiB/s");
    ck_assert_str_eq(get_str(r, "memory.dataset_10000.dim_256.allocations"), "12543");
    /* Columns count code points: the "µ" is one. */
    const lb_toml_node *std = must_get(r, "latency.dim_128.k_10.std_dev");
    assert_pos(std, 5, 11);
    assert_pos(must_get(r, "latency.dim_128.k_10"), 3, 18);
    assert_pos(must_get(r, "latency.dim_128"), 3, 10);
    lb_toml_free(doc);
}
END_TEST

START_TEST(test_features_file)
{
    lb_toml_doc *doc = parse_file_ok("features.toml");
    const lb_toml_node *r = lb_toml_root(doc);
    ck_assert_str_eq(get_str(r, "title"), "features");
    ck_assert_str_eq(get_str(r, "\"quoted key\""), "literal \\n is not an escape");
    ck_assert_str_eq(get_str(r, "\"\""), "the empty key");
    ck_assert(get_bool(r, "site.\"google.com\""));
    ck_assert_int_eq(get_int(r, "a.b.c"), 1);
    ck_assert_int_eq(get_int(r, "a.d"), 2);
    ck_assert_str_eq(get_str(r, "3.14159"), "pi");

    ck_assert_str_eq(get_str(r, "strings.basic"),
                     "tab\there \"quoted\" back\\slash \xC3\xA9 \xF0\x9F\x98\x80");
    ck_assert_str_eq(get_str(r, "strings.multi"), "first line\n  second line joined");
    ck_assert_str_eq(get_str(r, "strings.literal"), "C:\\Users\\path");
    ck_assert_str_eq(get_str(r, "strings.multi_literal"), "raw \\n text\n");
    ck_assert_str_eq(get_str(r, "strings.ends_in_quotes"), "a\"\"");
    ck_assert_str_eq(get_str(r, "strings.literal_ends_in_quotes"), "b''");
    ck_assert_str_eq(get_str(r, "strings.utf8"), "\xC2\xB5s \xE2\x80\x94 \xC3\xBC");

    ck_assert_int_eq(get_int(r, "numbers.dec"), 99);
    ck_assert_int_eq(get_int(r, "numbers.neg"), -17);
    ck_assert_int_eq(get_int(r, "numbers.zero"), 0);
    ck_assert_int_eq(get_int(r, "numbers.max"), INT64_MAX);
    ck_assert_int_eq(get_int(r, "numbers.min"), INT64_MIN);
    ck_assert_int_eq(get_int(r, "numbers.hex"), 0xDEADBEEF);
    ck_assert_int_eq(get_int(r, "numbers.oct"), 0755);
    ck_assert_int_eq(get_int(r, "numbers.bin"), 0xD6);
    ck_assert_double_eq(get_float(r, "numbers.f1"), 3.1415);
    ck_assert_double_eq(get_float(r, "numbers.f2"), -0.01);
    ck_assert_double_eq(get_float(r, "numbers.f3"), 5e22);
    ck_assert_double_eq(get_float(r, "numbers.f4"), 1e6);
    ck_assert_double_eq(get_float(r, "numbers.f5"), -2e-2);
    ck_assert_double_eq(get_float(r, "numbers.f6"), 6.626e-34);
    ck_assert_double_eq(get_float(r, "numbers.f7"), 224617.445991);
    ck_assert(isinf(get_float(r, "numbers.pos_inf")) && get_float(r, "numbers.pos_inf") > 0);
    ck_assert(isinf(get_float(r, "numbers.neg_inf")) && get_float(r, "numbers.neg_inf") < 0);
    ck_assert(isnan(get_float(r, "numbers.not_a_number")));
    ck_assert(isnan(get_float(r, "numbers.also_nan")));
    ck_assert(get_bool(r, "bools.yes"));
    ck_assert(!get_bool(r, "bools.no"));

    const lb_toml_node *mixed = must_get(r, "arrays.mixed");
    ck_assert_uint_eq(lb_toml_count(mixed), 5);
    ck_assert_int_eq(lb_toml_type_of(lb_toml_at(mixed, 1)), LB_TOML_STRING);
    ck_assert_int_eq(lb_toml_type_of(lb_toml_at(mixed, 3)), LB_TOML_ARRAY);
    ck_assert_int_eq(lb_toml_type_of(lb_toml_at(mixed, 4)), LB_TOML_TABLE);
    ck_assert_int_eq(get_int(lb_toml_at(mixed, 4), "five"), 5);
    const lb_toml_node *ml = must_get(r, "arrays.multiline");
    ck_assert_uint_eq(lb_toml_count(ml), 3);
    assert_pos(lb_toml_at(ml, 2), 57, 3);
    ck_assert_uint_eq(lb_toml_count(must_get(r, "arrays.empty")), 0);
    ck_assert_int_eq(lb_toml_type_of(must_get(r, "arrays.empty")), LB_TOML_ARRAY);

    ck_assert_str_eq(get_str(r, "inline.nested.a.b.c"), "deep");
    ck_assert(get_bool(r, "inline.nested.d.e"));
    ck_assert_int_eq(get_int(r, "inline.point.y"), 2);
    assert_pos(must_get(r, "inline.point"), 62, 9);
    ck_assert_uint_eq(lb_toml_count(must_get(r, "inline.empty")), 0);

    const lb_toml_node *fruits = must_get(r, "fruits");
    ck_assert_int_eq(lb_toml_type_of(fruits), LB_TOML_ARRAY);
    ck_assert_uint_eq(lb_toml_count(fruits), 2);
    const lb_toml_node *apple = lb_toml_at(fruits, 0), *banana = lb_toml_at(fruits, 1);
    ck_assert_str_eq(get_str(apple, "name"), "apple");
    ck_assert_str_eq(get_str(apple, "physical.color"), "red");
    ck_assert_uint_eq(lb_toml_count(must_get(apple, "varieties")), 2);
    ck_assert_str_eq(get_str(lb_toml_at(must_get(apple, "varieties"), 1), "name"), "granny smith");
    ck_assert_str_eq(get_str(lb_toml_at(must_get(banana, "varieties"), 0), "name"), "plantain");
    char path[128];
    lb_toml_path(lb_toml_get(lb_toml_at(must_get(apple, "varieties"), 1), "name"), path, sizeof path);
    ck_assert_str_eq(path, "fruits[0].varieties[1].name");
    assert_pos(banana, 79, 3);

    ck_assert(get_bool(r, "x.defined"));
    ck_assert_int_eq(lb_toml_type_of(must_get(r, "x.y.z.w")), LB_TOML_TABLE);
    assert_pos(must_get(r, "x"), 86, 2); /* where it was defined, not first implied */
    ck_assert(get_bool(r, "dotted.sub.deeper.ok"));
    ck_assert_int_eq(get_int(r, "dotted.sub.key"), 1);
    lb_toml_free(doc);
}
END_TEST

/* ---- valid values, table-driven --------------------------------------------- */

typedef struct {
    const char *doc;
    const char *path;
    lb_toml_type type;
    const char *s; /* expected string bytes (slen of them) */
    size_t slen;
    int64_t i;
    double f;
} valid_case;

#define STR(doc, path, s) {doc, path, LB_TOML_STRING, s, sizeof(s) - 1, 0, 0}
#define INT(doc, path, v) {doc, path, LB_TOML_INTEGER, NULL, 0, v, 0}
#define FLT(doc, path, v) {doc, path, LB_TOML_FLOAT, NULL, 0, 0, v}
#define BOOL(doc, path, v) {doc, path, LB_TOML_BOOLEAN, NULL, 0, v, 0}

static const valid_case valid[] = {
    /* escapes */
    STR("a = \"\\b\\t\\n\\f\\r\\\"\\\\\"", "a", "\b\t\n\f\r\"\\"),
    STR("a = \"\\u00E9\\u20AC\"", "a", "\xC3\xA9\xE2\x82\xAC"),
    STR("a = \"\\U0001F600\\U0010FFFF\"", "a", "\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF"),
    STR("a = \"\\u0000x\"", "a", "\0x"),
    STR("a = \"\\uFFFF\\u007F\"", "a", "\xEF\xBF\xBF\x7F"),
    STR("a = \"tab\tinside\"", "a", "tab\tinside"),
    STR("a = ''", "a", ""),
    STR("a = \"\"", "a", ""),
    /* multi-line */
    STR("a = \"\"\"\nx\"\"\"", "a", "x"),
    STR("a = \"\"\"\r\nx\r\ny\"\"\"", "a", "x\ny"),
    STR("a = \"\"\"x \\\n\n   y\"\"\"", "a", "x y"),
    STR("a = \"\"\"x \\   \r\n  y\"\"\"", "a", "x y"),
    STR("a = \"\"\"\"x\"\"\"\"", "a", "\"x\""),
    STR("a = \"\"\"\"\"\"", "a", ""),
    STR("a = \"\"\"a\"\"b\"\"\"", "a", "a\"\"b"),
    STR("a = '''\n'''", "a", ""),
    STR("a = ''''x'''''", "a", "'x''"),
    STR("a = '''a\\b\n\\c'''", "a", "a\\b\n\\c"),
    /* keys */
    STR("\"a.b\" = 'x'", "\"a.b\"", "x"),
    STR("'a\\b' = 'x'", "\"a\\b\"", "x"),
    STR("\"\\u00e9\" = 'x'", "\xC3\xA9", "x"),
    STR("a . b . c = 'x'", "a.b.c", "x"),
    STR("1 = 'one'\n2 = 'two'", "2", "two"),
    STR("true = 'key'", "true", "key"),
    STR("- = 'dash'", "-", "dash"),
    STR("\xEF\xBB\xBF" "a = 'bom'", "a", "bom"),
    STR("a = 'x' # comment \xC3\xA9", "a", "x"),
    /* integers */
    INT("a = 0", "a", 0),
    INT("a = -0", "a", 0),
    INT("a = +0", "a", 0),
    INT("a = 1_000", "a", 1000),
    INT("a = 0x00ff", "a", 255),
    INT("a = 0xAbC", "a", 0xABC),
    INT("a = 0o17", "a", 15),
    INT("a = 0b1_0", "a", 2),
    INT("a = 0x7fffffffffffffff", "a", INT64_MAX),
    INT("a = -9_223_372_036_854_775_808", "a", INT64_MIN),
    INT("a=1", "a", 1),
    INT("a = 1\r\n", "a", 1),
    INT("a = [1]\nb = 2", "b", 2),
    /* floats */
    FLT("a = 0.0", "a", 0.0),
    FLT("a = -0.5", "a", -0.5),
    FLT("a = 0e0", "a", 0.0),
    FLT("a = 1e-400", "a", 0.0),
    FLT("a = 1.7976931348623157e308", "a", 1.7976931348623157e308),
    FLT("a = 3e0_1", "a", 3e1),
    /* booleans */
    BOOL("a = true", "a", 1),
    BOOL("a = false # no", "a", 0),
    BOOL("a = { b = true }", "a.b", 1),
    BOOL("a = [ [ { b = false } ] ]\nc = true", "c", 1),
};

START_TEST(test_valid_values)
{
    const valid_case *c = &valid[_i];
    lb_toml_doc *doc = parse_ok(c->doc);
    const lb_toml_node *n = lb_toml_get(lb_toml_root(doc), c->path);
    ck_assert_msg(n != NULL, "case %d: no %s", _i, c->path);
    ck_assert_msg(lb_toml_type_of(n) == c->type, "case %d: type %s", _i, lb_toml_type_name(lb_toml_type_of(n)));
    char err[256];
    switch (c->type) {
    case LB_TOML_STRING: {
        const char *s;
        size_t len;
        ck_assert_int_eq(lb_toml_as_string(n, &s, &len, err, sizeof err), LB_OK);
        ck_assert_msg(len == c->slen && memcmp(s, c->s, len) == 0, "case %d: string of %zu bytes", _i, len);
        ck_assert_int_eq(s[len], '\0');
        break;
    }
    case LB_TOML_INTEGER: {
        int64_t v;
        ck_assert_int_eq(lb_toml_as_int(n, &v, err, sizeof err), LB_OK);
        ck_assert_int_eq(v, c->i);
        break;
    }
    case LB_TOML_FLOAT: {
        double v;
        ck_assert_int_eq(lb_toml_as_float(n, &v, err, sizeof err), LB_OK);
        ck_assert_double_eq(v, c->f);
        break;
    }
    default: {
        bool v;
        ck_assert_int_eq(lb_toml_as_bool(n, &v, err, sizeof err), LB_OK);
        ck_assert_int_eq(v, c->i);
        break;
    }
    }
    lb_toml_free(doc);
}
END_TEST

START_TEST(test_empty_documents)
{
    static const char *const docs[] = {"", "\n", "# only a comment", "\r\n\r\n", "  \t\n# x\n\n", "\xEF\xBB\xBF"};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        lb_toml_doc *doc = parse_ok(docs[i]);
        ck_assert_uint_eq(lb_toml_count(lb_toml_root(doc)), 0);
        ck_assert_int_eq(lb_toml_type_of(lb_toml_root(doc)), LB_TOML_TABLE);
        lb_toml_free(doc);
    }
    lb_toml_doc *doc = NULL;
    char err[64];
    ck_assert_int_eq(lb_toml_parse(NULL, 0, NULL, &doc, err, sizeof err), LB_OK);
    ck_assert_str_eq(lb_toml_pos_of(lb_toml_root(doc)).file, "<memory>");
    lb_toml_free(doc);
    ck_assert_int_eq(lb_toml_parse(NULL, 1, NULL, &doc, err, sizeof err), LB_EUSAGE);
    ck_assert_int_eq(lb_toml_parse("", 0, NULL, NULL, err, sizeof err), LB_EUSAGE);
    lb_toml_free(NULL);
}
END_TEST

/* ---- errors, table-driven --------------------------------------------------- */

typedef struct {
    const char *doc;
    size_t len; /* 0: strlen(doc) */
    const char *msg;
} error_case;

static const error_case errors[] = {
    /* duplicates and redefinitions */
    {"a = 1\na = 2\n", 0, "t.toml:2:1: duplicate key 'a' (first defined at 1:1)"},
    {"a = 1\n\"a\" = 2\n", 0, "t.toml:2:1: duplicate key 'a' (first defined at 1:1)"},
    {"[t]\nx.y = 1\nx.y = 2\n", 0, "t.toml:3:3: duplicate key 't.x.y' (first defined at 2:3)"},
    {"a = {b = 1, b = 2}\n", 0, "t.toml:1:13: duplicate key 'a.b' (first defined at 1:6)"},
    {"[t]\nx = 1\n[t]\n", 0, "t.toml:3:2: table 't' is already defined at 1:2"},
    {"[a.b]\n[a]\n[a]\n", 0, "t.toml:3:2: table 'a' is already defined at 2:2"},
    {"[a]\nb = 1\n[a.b]\n", 0, "t.toml:3:4: 'a.b' is already defined at 2:1 as an integer"},
    {"[a]\nb = 1\n[a.b.c]\n", 0, "t.toml:3:4: 'a.b' is already defined at 2:1 as an integer"},
    {"a.b = 1\n[a]\n", 0, "t.toml:2:2: table 'a' is already defined by dotted keys at 1:1"},
    {"[a]\nb.c = 1\n[a.b]\n", 0, "t.toml:3:4: table 'a.b' is already defined by dotted keys at 2:1"},
    {"[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n", 0, "t.toml:4:1: dotted keys cannot extend table 'a.b' defined at 1:4"},
    {"[a]\nx = 1\n[b]\n[a.x.y]\n", 0, "t.toml:4:4: 'a.x' is already defined at 2:1 as an integer"},
    {"a = 1\na.b = 2\n", 0, "t.toml:2:1: 'a' is already defined at 1:1 as an integer"},
    {"a = {b = 1}\na.c = 2\n", 0, "t.toml:2:1: inline table 'a' (defined at 1:1) cannot be extended"},
    {"a = {b = 1}\n[a]\n", 0, "t.toml:2:2: inline table 'a' (defined at 1:1) cannot be extended"},
    {"a = {b = 1}\n[a.c]\n", 0, "t.toml:2:2: inline table 'a' (defined at 1:1) cannot be extended"},
    {"a = {b = {c = 1}, b.d = 2}\n", 0, "t.toml:1:19: inline table 'a.b' (defined at 1:6) cannot be extended"},
    {"a = []\n[[a]]\n", 0, "t.toml:2:3: cannot append to static array 'a' defined at 1:1"},
    {"a = [{}]\n[a.b]\n", 0, "t.toml:2:2: 'a' is already defined at 1:1 as an array"},
    {"[[a]]\n[a]\n", 0, "t.toml:2:2: 'a' is an array of tables (defined at 1:3); use [[a]]"},
    {"[a]\n[[a]]\n", 0, "t.toml:2:3: 'a' is already defined at 1:2 as a table, not an array of tables"},
    {"[[a]]\nb = 1\n[a.b]\n", 0, "t.toml:3:4: 'a[0].b' is already defined at 2:1 as an integer"},
    {"[a.b.c]\n[a]\nb = 1\n", 0, "t.toml:3:1: duplicate key 'a.b' (first defined at 1:4)"},
    /* strings */
    {"a = \"\\q\"\n", 0, "t.toml:1:6: invalid escape '\\q'"},
    {"a = \"\\ \"\n", 0, "t.toml:1:6: invalid escape"},
    {"a = \"\\e\"\n", 0, "t.toml:1:6: invalid escape '\\e'"},
    {"a = \"\\x41\"\n", 0, "t.toml:1:6: invalid escape '\\x'"},
    {"a = \"\"\"x\\ y\"\"\"\n", 0, "t.toml:1:9: invalid escape"},
    {"a = \"\\u12\"\n", 0, "t.toml:1:6: \\u needs 4 hexadecimal digits"},
    {"a = \"\\U0001F60\"\n", 0, "t.toml:1:6: \\U needs 8 hexadecimal digits"},
    {"a = \"\\uD800\"\n", 0, "t.toml:1:6: \\uD800 is not a Unicode scalar value"},
    {"a = \"\\U00110000\"\n", 0, "t.toml:1:6: \\U00110000 is not a Unicode scalar value"},
    {"a = \"abc\nb = 1\n", 0, "t.toml:1:9: newline in a basic string (close it, or use \"\"\")"},
    {"a = 'abc\n", 0, "t.toml:1:9: newline in a literal string (close it, or use ''')"},
    {"a = \"abc", 0, "t.toml:1:5: unterminated string"},
    {"a = \"abc\\", 0, "t.toml:1:5: unterminated string"},
    {"a = 'abc", 0, "t.toml:1:5: unterminated string"},
    {"a = \"\"\"abc\n\n", 0, "t.toml:1:5: unterminated multi-line string"},
    {"a = '''abc''", 0, "t.toml:1:5: unterminated multi-line string"},
    {"a = \"\"\"x\"\"\"\"\"\"\n", 0, "t.toml:1:9: too many quotes in a row (escape one or use the other quote)"},
    {"a = 'it''s'\n", 0, "t.toml:1:9: expected a newline after the value, found \"'\""},
    {"\"\"\"a\"\"\" = 1\n", 0, "t.toml:1:1: a key cannot be a multi-line string"},
    /* numbers */
    {"a = 01\n", 0, "t.toml:1:5: leading zeros are not allowed"},
    {"a = -012\n", 0, "t.toml:1:6: leading zeros are not allowed"},
    {"a = 00.5\n", 0, "t.toml:1:5: leading zeros are not allowed"},
    {"a = 01e1\n", 0, "t.toml:1:5: leading zeros are not allowed"},
    {"a = 1__0\n", 0, "t.toml:1:6: '_' must stand between two digits"},
    {"a = 1_\n", 0, "t.toml:1:6: '_' must stand between two digits"},
    {"a = 1_.5\n", 0, "t.toml:1:6: '_' must stand between two digits"},
    {"a = 0x_1\n", 0, "t.toml:1:7: expected a hexadecimal digit after '0x'"},
    {"a = 0x\n", 0, "t.toml:1:7: expected a hexadecimal digit after '0x'"},
    {"a = 0b102\n", 0, "t.toml:1:9: invalid number"},
    {"a = 0o8\n", 0, "t.toml:1:7: expected a octal digit after '0o'"},
    {"a = 0X1F\n", 0, "t.toml:1:6: invalid number"},
    {"a = +0x1\n", 0, "t.toml:1:7: invalid number"},
    {"a = 1.\n", 0, "t.toml:1:7: expected a digit after the decimal point"},
    {"a = .5\n", 0, "t.toml:1:5: expected a value, found '.'"},
    {"a = 1.e5\n", 0, "t.toml:1:7: expected a digit after the decimal point"},
    {"a = 1e\n", 0, "t.toml:1:7: expected a digit in the exponent"},
    {"a = 1e+\n", 0, "t.toml:1:8: expected a digit in the exponent"},
    {"a = 1.5.2\n", 0, "t.toml:1:8: invalid number"},
    {"a = 1x\n", 0, "t.toml:1:6: invalid number"},
    {"a = +\n", 0, "t.toml:1:5: invalid number"},
    {"a = 9223372036854775808\n", 0, "t.toml:1:5: integer out of range (64-bit signed)"},
    {"a = -9223372036854775809\n", 0, "t.toml:1:5: integer out of range (64-bit signed)"},
    {"a = 0x8000000000000000\n", 0, "t.toml:1:5: integer out of range (64-bit signed)"},
    {"a = 1e400\n", 0, "t.toml:1:5: float out of range"},
    {"a = infinity\n", 0, "t.toml:1:5: invalid value (strings must be quoted)"},
    {"a = -nan2\n", 0, "t.toml:1:5: invalid number"},
    {"d = 1979-05-27\n", 0, "t.toml:1:5: dates and times are not supported"},
    {"d = 1979-05-27T07:32:00Z\n", 0, "t.toml:1:5: dates and times are not supported"},
    {"t = 07:32:00\n", 0, "t.toml:1:5: dates and times are not supported"},
    /* values and structure */
    {"a = \n", 0, "t.toml:1:5: missing value"},
    {"a =", 0, "t.toml:1:4: missing value"},
    {"a = # no\n", 0, "t.toml:1:5: missing value"},
    {"a = b\n", 0, "t.toml:1:5: invalid value (strings must be quoted)"},
    {"a = truex\n", 0, "t.toml:1:5: invalid value (strings must be quoted)"},
    {"a = TRUE\n", 0, "t.toml:1:5: invalid value (strings must be quoted)"},
    {"a = 1 b\n", 0, "t.toml:1:7: expected a newline after the value, found 'b'"},
    {"a = 1 = 2\n", 0, "t.toml:1:7: expected a newline after the value, found '='"},
    {"[a] x = 1\n", 0, "t.toml:1:5: expected a newline after the table header, found 'x'"},
    {"a\n", 0, "t.toml:1:2: expected '=' after the key, found the end of the line"},
    {"a b = 1\n", 0, "t.toml:1:3: expected '=' after the key, found 'b'"},
    {"a. = 1\n", 0, "t.toml:1:4: expected a key, found '='"},
    {".a = 1\n", 0, "t.toml:1:1: expected a key or a [table], found '.'"},
    {"= 1\n", 0, "t.toml:1:1: expected a key or a [table], found '='"},
    {"a = 1\n  \xC3\xA9 = 2\n", 0, "t.toml:2:3: expected a key or a [table], found '\xC3\xA9'"},
    {"[a\n", 0, "t.toml:1:3: expected ']' to close the table header, found the end of the line"},
    {"[]\n", 0, "t.toml:1:2: expected a key, found ']'"},
    {"[[a]\n", 0, "t.toml:1:5: expected ']]' to close the array-of-tables header, found the end of the line"},
    {"[[a] ]\n", 0, "t.toml:1:5: expected ']]' to close the array-of-tables header, found whitespace"},
    {"[a]]\n", 0, "t.toml:1:4: expected a newline after the table header, found ']'"},
    {"a = [1 2]\n", 0, "t.toml:1:8: expected ',' or ']' after an array element, found '2'"},
    {"a = [1,,2]\n", 0, "t.toml:1:8: expected a value, found ','"},
    {"a = [,]\n", 0, "t.toml:1:6: expected a value, found ','"},
    {"a = [1,\n", 0, "t.toml:1:5: unterminated array"},
    {"a = [\"x\"", 0, "t.toml:1:5: unterminated array"},
    {"a = {b = 1,}\n", 0, "t.toml:1:11: trailing comma in an inline table"},
    {"a = {b = 1\n}\n", 0, "t.toml:1:11: an inline table must be on one line"},
    {"a = {\nb = 1}\n", 0, "t.toml:1:6: an inline table must be on one line"},
    {"a = {b = 1 # c\n}\n", 0, "t.toml:1:12: an inline table must be on one line"},
    {"a = {b = 1", 0, "t.toml:1:5: unterminated inline table"},
    {"a = {b = 1 c = 2}\n", 0, "t.toml:1:12: expected ',' or '}' in an inline table, found 'c'"},
    {"a = {,}\n", 0, "t.toml:1:6: expected a key, found ','"},
    /* encoding: positions count code points, a tab is one column */
    {"\"\xC3\xA9\" = \"\xC3\xBC\" x\n", 0, "t.toml:1:11: expected a newline after the value, found 'x'"},
    {"\ta = 1 x\n", 0, "t.toml:1:8: expected a newline after the value, found 'x'"},
    {"a = \"\x01\"\n", 0, "t.toml:1:6: control character U+0001 is not allowed (escape it in a basic string)"},
    {"a = '\x7f'\n", 0, "t.toml:1:6: control character U+007F is not allowed (escape it in a basic string)"},
    {"# bell \x07\n", 0, "t.toml:1:8: control character U+0007 is not allowed (escape it in a basic string)"},
    {"a = \"x\x00y\"\n", 11, "t.toml:1:7: control character U+0000 is not allowed (escape it in a basic string)"},
    {"a = 1\rb = 2\n", 0, "t.toml:1:6: carriage return without a line feed"},
    {"a = \"\xFF\"\n", 0, "t.toml:1:6: invalid UTF-8"},
    {"a = \"\xC3\"\n", 0, "t.toml:1:6: invalid UTF-8"},
    {"a = \"\xC0\xAF\"\n", 0, "t.toml:1:6: invalid UTF-8"},        /* overlong */
    {"a = \"\xED\xA0\x80\"\n", 0, "t.toml:1:6: invalid UTF-8"},    /* surrogate */
    {"a = \"\xF4\x90\x80\x80\"\n", 0, "t.toml:1:6: invalid UTF-8"}, /* above U+10FFFF */
    {"\xC3\xA9\xC3", 0, "t.toml:1:2: invalid UTF-8 (truncated sequence)"},
    {"\n\n  x = \"\xE2\x82\"", 0, "t.toml:3:8: invalid UTF-8"},
};

START_TEST(test_errors)
{
    const error_case *c = &errors[_i];
    size_t len = c->len ? c->len : strlen(c->doc);
    char err[512];
    lb_toml_doc *doc = (lb_toml_doc *)&err; /* must be reset to NULL */
    int rc = lb_toml_parse(c->doc, len, "t.toml", &doc, err, sizeof err);
    ck_assert_msg(rc == LB_EDATA, "case %d: rc %d for %s", _i, rc, c->doc);
    ck_assert_ptr_null(doc);
    ck_assert_msg(strcmp(err, c->msg) == 0, "case %d:\n  got      %s\n  expected %s", _i, err, c->msg);
}
END_TEST

START_TEST(test_nesting_limit)
{
    /* a sits at depth 1, so 128 brackets reach the limit exactly. */
    char doc[512];
    for (int depth = LB_TOML_MAX_DEPTH; depth <= LB_TOML_MAX_DEPTH + 1; depth++) {
        int k = snprintf(doc, sizeof doc, "a = ");
        for (int i = 0; i < depth; i++) doc[k++] = '[';
        for (int i = 0; i < depth; i++) doc[k++] = ']';
        doc[k] = '\0';
        char err[256];
        lb_toml_doc *d = NULL;
        int rc = lb_toml_parse(doc, (size_t)k, "t.toml", &d, err, sizeof err);
        if (depth == LB_TOML_MAX_DEPTH) {
            ck_assert_msg(rc == LB_OK, "%s", err);
            char path[1024];
            const lb_toml_node *n = lb_toml_get(lb_toml_root(d), "a");
            while (lb_toml_count(n)) n = lb_toml_at(n, 0);
            ck_assert_uint_eq(lb_toml_path(n, path, sizeof path), 1 + 3 * (LB_TOML_MAX_DEPTH - 1));
            lb_toml_free(d);
        } else {
            ck_assert_int_eq(rc, LB_EDATA);
            ck_assert_str_eq(err, "t.toml:1:133: tables and arrays nest deeper than 128 levels");
        }
    }
    /* Dotted keys and headers count too. */
    char *deep = malloc(4 * 200 + 16);
    size_t k = 0;
    deep[k++] = '[';
    for (int i = 0; i < 200; i++) k += (size_t)sprintf(deep + k, i ? ".k" : "k");
    deep[k++] = ']';
    char err[256];
    lb_toml_doc *d = NULL;
    ck_assert_int_eq(lb_toml_parse(deep, k, "t.toml", &d, err, sizeof err), LB_EDATA);
    ck_assert_str_eq(err, "t.toml:1:258: the key has more than 128 parts");
    free(deep);
}
END_TEST

START_TEST(test_crlf_and_bom)
{
    lb_toml_doc *doc = parse_ok("\xEF\xBB\xBF# c\r\n[t]\r\nx = \"\"\"a\r\nb\"\"\"\r\ny = 2\r\n");
    const lb_toml_node *r = lb_toml_root(doc);
    ck_assert_str_eq(get_str(r, "t.x"), "a\nb");
    assert_pos(must_get(r, "t.y"), 5, 5);
    assert_pos(must_get(r, "t"), 2, 2);
    lb_toml_free(doc);
    /* The byte order mark takes no column. */
    char err[128];
    lb_toml_doc *d = NULL;
    const char *bad = "\xEF\xBB\xBF" "a = ?";
    ck_assert_int_eq(lb_toml_parse(bad, strlen(bad), "t.toml", &d, err, sizeof err), LB_EDATA);
    ck_assert_str_eq(err, "t.toml:1:5: expected a value, found '?'");
}
END_TEST

START_TEST(test_large_table)
{
    /* Enough keys for the hashed index, a duplicate at the end. */
    size_t n = 5000, cap = n * 24 + 64, k = 0;
    char *doc = malloc(cap);
    for (size_t i = 0; i < n; i++) k += (size_t)snprintf(doc + k, cap - k, "key%zu = %zu\n", i, i);
    lb_toml_doc *d = parse_ok(doc);
    const lb_toml_node *r = lb_toml_root(d);
    ck_assert_uint_eq(lb_toml_count(r), n);
    for (size_t i = 0; i < n; i += 7) {
        char key[32];
        snprintf(key, sizeof key, "key%zu", i);
        ck_assert_int_eq(get_int(r, key), (int64_t)i);
        ck_assert_str_eq(lb_toml_key(lb_toml_at(r, i), NULL), key);
    }
    ck_assert_ptr_null(lb_toml_find(r, "key5000"));
    lb_toml_free(d);
    snprintf(doc + k, cap - k, "key4321 = 0\n");
    char err[256];
    ck_assert_int_eq(lb_toml_parse(doc, strlen(doc), "t.toml", &d, err, sizeof err), LB_EDATA);
    ck_assert_str_eq(err, "t.toml:5001:1: duplicate key 'key4321' (first defined at 4322:1)");
    free(doc);
}
END_TEST

/* ---- typed access and consumer diagnostics ---------------------------------- */

START_TEST(test_type_mismatch)
{
    lb_toml_doc *doc = parse_file_ok("regression_config.toml");
    const lb_toml_node *r = lb_toml_root(doc);
    const char *f = data_path("regression_config.toml");
    char err[512], want[512];
    int64_t i = 7;
    bool b;
    const char *s;
    double d;

    ck_assert_int_eq(lb_toml_as_int(must_get(r, "thresholds.default"), &i, err, sizeof err), LB_EDATA);
    ck_assert_int_eq(i, 7); /* untouched */
    snprintf(want, sizeof want, "%s:5:11: thresholds.default: expected an integer, found a float", f);
    ck_assert_str_eq(err, want);

    ck_assert_int_eq(lb_toml_as_float(must_get(r, "regression_actions.notifications.email"), &d, err, sizeof err),
                     LB_EDATA);
    snprintf(want, sizeof want, "%s:29:9: regression_actions.notifications.email: expected a float, found a string", f);
    ck_assert_str_eq(err, want);

    ck_assert_int_eq(lb_toml_as_string(must_get(r, "regression_actions.fail_ci"), &s, NULL, err, sizeof err), LB_EDATA);
    snprintf(want, sizeof want, "%s:23:11: regression_actions.fail_ci: expected a string, found a boolean", f);
    ck_assert_str_eq(err, want);

    ck_assert_int_eq(lb_toml_as_bool(must_get(r, "thresholds.latency"), &b, err, sizeof err), LB_EDATA);
    snprintf(want, sizeof want, "%s:8:13: thresholds.latency: expected a boolean, found a table", f);
    ck_assert_str_eq(err, want);

    ck_assert_int_eq(lb_toml_expect(must_get(r, "thresholds.latency.attention"), LB_TOML_TABLE, err, sizeof err),
                     LB_EDATA);
    snprintf(want, sizeof want, "%s:11:13: thresholds.latency.attention: expected a table, found a float", f);
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(lb_toml_expect(r, LB_TOML_TABLE, err, sizeof err), LB_OK);
    ck_assert_int_eq(lb_toml_expect(r, LB_TOML_ARRAY, err, sizeof err), LB_EDATA);
    snprintf(want, sizeof want, "%s:1:1: expected an array, found a table", f);
    ck_assert_str_eq(err, want);

    /* An integer is a fine float. */
    ck_assert_int_eq(lb_toml_as_float(must_get(r, "baseline_management.max_history_count"), &d, err, sizeof err),
                     LB_OK);
    ck_assert_double_eq(d, 50.0);

    /* Path getters: absent keeps the default, present is checked. */
    d = 3.5;
    ck_assert_int_eq(lb_toml_get_float(r, "thresholds.latency.nope", &d, err, sizeof err), LB_OK);
    ck_assert_double_eq(d, 3.5);
    ck_assert_int_eq(lb_toml_get_float(r, "thresholds.latency.knn_search", &d, err, sizeof err), LB_OK);
    ck_assert_double_eq(d, 5.0);
    i = 0;
    ck_assert_int_eq(lb_toml_get_int(r, "baseline_management.max_history_count", &i, err, sizeof err), LB_OK);
    ck_assert_int_eq(i, 50);
    b = false;
    ck_assert_int_eq(lb_toml_get_bool(r, "regression_actions.create_issue", &b, err, sizeof err), LB_OK);
    ck_assert(b);
    s = NULL;
    ck_assert_int_eq(lb_toml_get_string(r, "regression_actions.notifications.email", &s, err, sizeof err), LB_OK);
    ck_assert_str_eq(s, "dev-team@example.com");
    ck_assert_int_eq(lb_toml_get_string(r, "thresholds.default", &s, err, sizeof err), LB_EDATA);
    snprintf(want, sizeof want, "%s:5:11: thresholds.default: expected a string, found a float", f);
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(lb_toml_get_int(NULL, "x", &i, err, sizeof err), LB_EUSAGE);
    ck_assert_int_eq(lb_toml_as_int(NULL, &i, err, sizeof err), LB_EUSAGE);

    /* Required keys, and a consumer's own message at a node. */
    ck_assert_int_eq(lb_toml_require(r, "thresholds.latency.knn_search", err, sizeof err), LB_OK);
    ck_assert_int_eq(lb_toml_require(must_get(r, "thresholds.latency"), "gemm", err, sizeof err), LB_EDATA);
    snprintf(want, sizeof want, "%s:8:13: missing key 'gemm' in table 'thresholds.latency'", f);
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(lb_toml_require(r, "output", err, sizeof err), LB_EDATA);
    snprintf(want, sizeof want, "%s:1:1: missing key 'output'", f);
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(lb_toml_errorf(must_get(r, "thresholds.memory.peak_usage"), err, sizeof err,
                                    "threshold must be below %d%%", 20),
                     LB_EDATA);
    snprintf(want, sizeof want, "%s:18:14: threshold must be below 20%%", f);
    ck_assert_str_eq(err, want);

    /* Truncation keeps a terminated prefix. */
    char tiny[8];
    ck_assert_int_eq(lb_toml_as_int(must_get(r, "thresholds.default"), &i, tiny, sizeof tiny), LB_EDATA);
    ck_assert_uint_eq(strlen(tiny), 7);
    ck_assert_int_eq(lb_toml_as_int(must_get(r, "thresholds.default"), &i, NULL, 0), LB_EDATA);
    lb_toml_free(doc);
}
END_TEST

START_TEST(test_string_with_nul)
{
    lb_toml_doc *doc = parse_ok("a = \"x\\u0000y\"\n\"k\\u0000\" = 1\n");
    const lb_toml_node *r = lb_toml_root(doc);
    const char *s;
    size_t len;
    char err[256];
    ck_assert_int_eq(lb_toml_as_string(must_get(r, "a"), &s, NULL, err, sizeof err), LB_EDATA);
    ck_assert_str_eq(err, "t.toml:1:5: a: the string contains a NUL character");
    ck_assert_int_eq(lb_toml_as_string(must_get(r, "a"), &s, &len, err, sizeof err), LB_OK);
    ck_assert_uint_eq(len, 3);
    const lb_toml_node *k = lb_toml_at(r, 1);
    lb_toml_key(k, &len);
    ck_assert_uint_eq(len, 2);
    char path[64];
    lb_toml_path(k, path, sizeof path);
    ck_assert_str_eq(path, "\"k\\u0000\"");
    lb_toml_free(doc);
}
END_TEST

typedef struct {
    int calls;
    char msgs[4][256];
} warn_log;

static void collect(void *ctx, const lb_toml_node *node, const char *msg)
{
    warn_log *w = ctx;
    ck_assert_ptr_nonnull(node);
    if (w->calls < 4) snprintf(w->msgs[w->calls], sizeof w->msgs[0], "%s", msg);
    w->calls++;
}

START_TEST(test_unknown_keys)
{
    lb_toml_doc *doc = parse_ok("[thresholds]\ndefault = 10.0\n\n[thresholds.latency]\nknn_serch = 5.0\n"
                                "attention = 1\nfoo = 2\n  \"add embedding\" = 3\n");
    const lb_toml_node *r = lb_toml_root(doc);
    static const char *const lat[] = {"knn_search", "add_embedding", "attention", NULL};
    warn_log w = {0};
    ck_assert_int_eq(lb_toml_check_keys(must_get(r, "thresholds.latency"), lat, collect, &w), 3);
    ck_assert_int_eq(w.calls, 3);
    ck_assert_str_eq(w.msgs[0],
                     "t.toml:5:1: unknown key 'knn_serch' in table 'thresholds.latency' (did you mean 'knn_search'?)");
    ck_assert_str_eq(w.msgs[1], "t.toml:7:1: unknown key 'foo' in table 'thresholds.latency'");
    ck_assert_str_eq(w.msgs[2],
                     "t.toml:8:3: unknown key '\"add embedding\"' in table 'thresholds.latency' (did you mean 'add_embedding'?)");

    static const char *const top[] = {"thresholds", NULL};
    ck_assert_int_eq(lb_toml_check_keys(r, top, collect, &w), 0);
    static const char *const none[] = {NULL};
    memset(&w, 0, sizeof w);
    ck_assert_int_eq(lb_toml_check_keys(r, none, collect, &w), 1);
    ck_assert_str_eq(w.msgs[0], "t.toml:1:2: unknown key 'thresholds'");
    ck_assert_int_eq(lb_toml_check_keys(must_get(r, "thresholds"), none, NULL, NULL), 2);
    ck_assert_int_eq(lb_toml_check_keys(must_get(r, "thresholds.default"), none, NULL, NULL), LB_EUSAGE);
    ck_assert_int_eq(lb_toml_check_keys(r, NULL, NULL, NULL), LB_EUSAGE);
    lb_toml_free(doc);
}
END_TEST

START_TEST(test_lookup)
{
    lb_toml_doc *doc = parse_ok("a.b.c = 1\n\"x.y\" = 2\n[\"eu west\".port]\nn = 3\n[arr]\nv = [1, 2]\n");
    const lb_toml_node *r = lb_toml_root(doc);
    ck_assert_int_eq(get_int(r, "a.b.c"), 1);
    ck_assert_int_eq(get_int(r, "\"x.y\""), 2);
    ck_assert_int_eq(get_int(r, "\"eu west\".port.n"), 3);
    ck_assert_int_eq(get_int(must_get(r, "a"), "b.c"), 1);
    ck_assert_ptr_null(lb_toml_get(r, "x.y"));            /* not the quoted key */
    ck_assert_ptr_nonnull(lb_toml_find(r, "x.y"));        /* find takes keys verbatim */
    ck_assert_ptr_null(lb_toml_get(r, "a.b.c.d"));        /* through a value */
    ck_assert_ptr_null(lb_toml_get(r, "arr.v.0"));        /* through an array */
    ck_assert_ptr_null(lb_toml_get(r, "a..b"));
    ck_assert_ptr_null(lb_toml_get(r, "a."));
    ck_assert_ptr_null(lb_toml_get(r, ".a"));
    ck_assert_ptr_null(lb_toml_get(r, ""));
    ck_assert_ptr_null(lb_toml_get(r, "\"x.y"));
    ck_assert_ptr_null(lb_toml_get(r, "\"x.y\"z"));
    ck_assert_ptr_null(lb_toml_get(NULL, "a"));
    ck_assert_ptr_null(lb_toml_get(r, NULL));
    ck_assert_ptr_null(lb_toml_find(r, NULL));
    const lb_toml_node *v = must_get(r, "arr.v");
    ck_assert_uint_eq(lb_toml_count(v), 2);
    int64_t x = 0;
    char err[128];
    ck_assert_int_eq(lb_toml_as_int(lb_toml_at(v, 1), &x, err, sizeof err), LB_OK);
    ck_assert_int_eq(x, 2);
    ck_assert_ptr_null(lb_toml_at(v, 2));
    ck_assert_ptr_null(lb_toml_at(must_get(r, "a.b.c"), 0));
    ck_assert_uint_eq(lb_toml_count(must_get(r, "a.b.c")), 0);
    lb_toml_free(doc);
}
END_TEST

START_TEST(test_paths)
{
    lb_toml_doc *doc = parse_ok("[\"a b\".c]\nd = [[1], {e = 'x'}]\n");
    const lb_toml_node *r = lb_toml_root(doc);
    const lb_toml_node *e = lb_toml_get(lb_toml_at(must_get(r, "\"a b\".c.d"), 1), "e");
    char path[64];
    ck_assert_uint_eq(lb_toml_path(e, path, sizeof path), strlen("\"a b\".c.d[1].e"));
    ck_assert_str_eq(path, "\"a b\".c.d[1].e");
    const lb_toml_node *one = lb_toml_at(lb_toml_at(must_get(r, "\"a b\".c.d"), 0), 0);
    lb_toml_path(one, path, sizeof path);
    ck_assert_str_eq(path, "\"a b\".c.d[0][0]");
    ck_assert_ptr_null(lb_toml_key(one, NULL));
    assert_pos(one, 2, 7);
    char small[6];
    ck_assert_uint_eq(lb_toml_path(e, small, sizeof small), strlen("\"a b\".c.d[1].e"));
    ck_assert_str_eq(small, "\"a b\"");
    ck_assert_uint_eq(lb_toml_path(r, path, sizeof path), 0);
    ck_assert_str_eq(path, "");
    ck_assert_ptr_null(lb_toml_parent(r));
    ck_assert_str_eq(lb_toml_type_name(LB_TOML_INTEGER), "integer");
    ck_assert_str_eq(lb_toml_type_name((lb_toml_type)42), "unknown");
    lb_toml_free(doc);
}
END_TEST

START_TEST(test_file_errors)
{
    char err[512], want[512];
    lb_toml_doc *doc = NULL;
    ck_assert_int_eq(lb_toml_parse_file(data_path("no_such_file.toml"), &doc, err, sizeof err), LB_ENOINPUT);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", data_path("no_such_file.toml"));
    ck_assert_str_eq(err, want);
    ck_assert_ptr_null(doc);
    ck_assert_int_eq(lb_toml_parse_file(data_dir, &doc, err, sizeof err), LB_ENOINPUT);
    ck_assert_int_eq(lb_toml_parse_file(NULL, &doc, err, sizeof err), LB_EUSAGE);
}
END_TEST

/* ---- out of memory ---------------------------------------------------------- */

START_TEST(test_out_of_memory)
{
#ifdef LB_TOML_TEST_OOM
    size_t len;
    char *text = slurp("features.toml", &len);
    /* Fail the k-th allocation for every k until the parse needs no more. */
    for (long k = 0;; k++) {
        char err[256];
        lb_toml_doc *doc = NULL;
        size_t before = lb_alloc_current();
        alloc_budget = k;
        int rc = lb_toml_parse(text, len, "t.toml", &doc, err, sizeof err);
        alloc_budget = -1;
        if (rc == LB_OK) {
            ck_assert_int_gt(k, 10);
            lb_toml_free(doc);
            ck_assert_uint_eq(lb_alloc_current(), before);
            break;
        }
        ck_assert_msg(rc == LB_ENOMEM, "allocation %ld: rc %d (%s)", k, rc, err);
        ck_assert_ptr_null(doc);
        ck_assert_msg(strstr(err, "out of memory") != NULL, "allocation %ld: %s", k, err);
        ck_assert_uint_eq(lb_alloc_current(), before);
    }
    free(text);
#endif
}
END_TEST

/* ---- seeded mutations ----------------------------------------------------------- */

static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static const char *const tokens[] = {
    "\"", "'", "\"\"\"", "'''", "[", "]", "[[", "]]", "{", "}", "=", ".", ",", "#", "\n", "\r\n", "\r",
    "\\", "\\u", "\\U0010FFFF", "\\uD800", "_", "0x", "0b1", "1e", "e+", "inf", "nan", "-", "+", "0",
    "1979-05-27", "07:", "\t", " ", "\x7f", "\xC3\xA9", "\xFF", "\xE2\x82", "a.b", "true", "x = 1\n",
    "[t]\n", "[[t]]\n", "a = {b = 1}\n", "\"\" = 2\n"};

typedef struct {
    const char *input;
    uint64_t seed;
    unsigned long count;
} mut_ctx;

static void check_one(mut_ctx *m, const char *kind, size_t at, const char *buf, size_t len)
{
    m->count++;
    const char *why = lb_toml_fuzz_check((const uint8_t *)buf, len);
    if (why) {
        fprintf(stderr, "failing input (%zu bytes):\n%.*s\n", len, (int)len, buf);
        ck_abort_msg("seed %" PRIu64 ", %s, %s at %zu: %s", m->seed, m->input, kind, at, why);
    }
}

START_TEST(test_mutations)
{
    static const char *const inputs[] = {"regression_config.toml", "benchmark_results.toml", "features.toml"};
    uint64_t seed = 0x1B70A11u;
    const char *env = getenv("LB_TOML_SEED");
    if (env && *env) seed = strtoull(env, NULL, 0);
    printf("test_toml: mutation seed %" PRIu64 " (replay with LB_TOML_SEED=%" PRIu64 ")\n", seed, seed);
    fflush(stdout);

    mut_ctx m = {NULL, seed, 0};
    uint64_t rs = seed;
    for (size_t f = 0; f < sizeof inputs / sizeof inputs[0]; f++) {
        size_t len;
        char *orig = slurp(inputs[f], &len);
        char *buf = malloc(len + 64);
        m.input = inputs[f];
        check_one(&m, "original", 0, orig, len);
        for (size_t k = 0; k <= len; k++) check_one(&m, "truncation", k, orig, k);
        for (size_t k = 0; k < len; k++) {
            memcpy(buf, orig, len);
            buf[k] ^= (char)(1u << (next_rand(&rs) % 8));
            check_one(&m, "bit flip", k, buf, len);
            buf[k] = (char)(next_rand(&rs) & 0xFF);
            check_one(&m, "byte", k, buf, len);
            memcpy(buf, orig, k);
            memcpy(buf + k, orig + k + 1, len - k - 1);
            check_one(&m, "deletion", k, buf, len - 1);
        }
        for (size_t k = 0; k <= len; k++) {
            const char *t = tokens[next_rand(&rs) % (sizeof tokens / sizeof tokens[0])];
            size_t tl = strlen(t);
            memcpy(buf, orig, k);
            memcpy(buf + k, t, tl);
            memcpy(buf + k + tl, orig + k, len - k);
            check_one(&m, "insertion", k, buf, len + tl);
        }
        /* Stacked mutations reach states no single edit does. */
        char *work = malloc(len + 8 * 32 + 1);
        for (int round = 0; round < 3000; round++) {
            size_t n = len;
            memcpy(work, orig, len);
            int edits = 1 + (int)(next_rand(&rs) % 8);
            for (int e = 0; e < edits; e++) {
                size_t at = n ? (size_t)(next_rand(&rs) % (n + 1)) : 0;
                uint64_t op = next_rand(&rs) % 3;
                if (op == 0 && at < n) {
                    work[at] = (char)(next_rand(&rs) & 0xFF);
                } else if (op == 1 && at < n) {
                    memmove(work + at, work + at + 1, n - at - 1);
                    n--;
                } else {
                    const char *t = tokens[next_rand(&rs) % (sizeof tokens / sizeof tokens[0])];
                    size_t tl = strlen(t);
                    memmove(work + at + tl, work + at, n - at);
                    memcpy(work + at, t, tl);
                    n += tl;
                }
            }
            check_one(&m, "stacked edits", (size_t)round, work, n);
        }
        free(work);
        free(buf);
        free(orig);
    }
    printf("test_toml: %lu mutated documents checked\n", m.count);
}
END_TEST

/* ---- runner ----------------------------------------------------------------- */

static Suite *toml_suite(void)
{
    Suite *s = suite_create("toml");
    TCase *tc = tcase_create("documents");
    tcase_add_checked_fixture(tc, leak_setup, leak_teardown);
    tcase_add_test(tc, test_regression_config);
    tcase_add_test(tc, test_benchmark_results);
    tcase_add_test(tc, test_features_file);
    tcase_add_loop_test(tc, test_valid_values, 0, (int)(sizeof valid / sizeof valid[0]));
    tcase_add_test(tc, test_empty_documents);
    tcase_add_test(tc, test_crlf_and_bom);
    tcase_add_test(tc, test_large_table);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, leak_setup, leak_teardown);
    tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof errors / sizeof errors[0]));
    tcase_add_test(tc, test_nesting_limit);
    tcase_add_test(tc, test_file_errors);
    tcase_add_test(tc, test_out_of_memory);
    suite_add_tcase(s, tc);

    tc = tcase_create("queries");
    tcase_add_checked_fixture(tc, leak_setup, leak_teardown);
    tcase_add_test(tc, test_type_mismatch);
    tcase_add_test(tc, test_string_with_nul);
    tcase_add_test(tc, test_unknown_keys);
    tcase_add_test(tc, test_lookup);
    tcase_add_test(tc, test_paths);
    suite_add_tcase(s, tc);

    tc = tcase_create("mutations");
    tcase_set_timeout(tc, 600); /* about 20 s under AddressSanitizer */
    tcase_add_checked_fixture(tc, leak_setup, leak_teardown);
    tcase_add_test(tc, test_mutations);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    if (argc > 1) data_dir = argv[1];
    SRunner *sr = srunner_create(toml_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
