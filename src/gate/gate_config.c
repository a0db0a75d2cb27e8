/* regression_config.toml: the design's file read verbatim, plus glob patterns
 * over ids, the webhook's ${VAR} and the baseline directory (docs/REGRESSION.md). */
#define _POSIX_C_SOURCE 200809L
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/gate.h"
#include "latentbench/toml.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The design's group names and the ids each governs. The design names groups,
 * not ids; this table is the bridge, so a renamed benchmark group is one edit. */
typedef struct {
    lb_threshold_kind kind;
    const char *table, *key;
    double percent;          /* the design's value */
    const char *patterns[4]; /* NULL-terminated */
} group_map;

static const group_map GROUPS[] = {
    {LB_KIND_LATENCY, "latency", "knn_search", 5.0, {"knn_search/*", NULL}},
    {LB_KIND_LATENCY, "latency", "add_embedding", 8.0, {"add_embedding/*", NULL}},
    {LB_KIND_LATENCY, "latency", "attention", 12.0,
     {"attention_computation/*", "attention_comparison/*", "flash_vs_standard/*", NULL}},
    {LB_KIND_THROUGHPUT, "throughput", "batch_operations", 15.0, {"batch_add_embeddings/*", "batch_attention/*", NULL}},
    {LB_KIND_THROUGHPUT, "throughput", "parallel_search", 10.0, {"parallel_knn_search/*", NULL}},
};
#define NGROUPS (sizeof GROUPS / sizeof GROUPS[0])

#define DEFAULT_PERCENT 10.0
#define DEFAULT_PEAK 20.0
#define DEFAULT_ALLOC 25.0
#define DEFAULT_SLACK "${SLACK_WEBHOOK_URL}"
#define DEFAULT_EMAIL "dev-team@example.com"
#define DEFAULT_DIR "benches/baselines"
#define DEFAULT_HISTORY 50

/* ---- ${VAR} expansion ------------------------------------------------------ */

/* A configuration file comes with pull requests: were every ${VAR} expanded
 * everywhere, a PR could name a webhook of its own and read the CI's tokens
 * from the request, or have them printed. So only the webhook field expands,
 * only as its whole value ("${NAME}", nothing around it, so that a secret
 * cannot be pasted into a URL the file chooses), and only variables of this
 * list (docs/REGRESSION.md, "Secrets"). */
static int var_allowed(const char *name)
{
    static const char PREFIX[] = "LATENTBENCH_WEBHOOK_";
    return strcmp(name, "SLACK_WEBHOOK_URL") == 0 || strcmp(name, "LATENTBENCH_WEBHOOK_URL") == 0 ||
           (strncmp(name, PREFIX, sizeof PREFIX - 1) == 0 && name[sizeof PREFIX - 1] != '\0');
}

static int var_char(char ch, int first)
{
    return ch == '_' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (!first && ch >= '0' && ch <= '9');
}

typedef enum { EXP_OK, EXP_MALFORMED, EXP_NOT_WHOLE, EXP_NOT_ALLOWED, EXP_NOT_HERE, EXP_NOMEM } exp_status;

/* The value of s: s itself when it holds no "${"; the variable's value (unset:
 * "") when s is exactly "${NAME}", expand is set and NAME is allowed. name
 * receives the variable's name for the caller's message. *out is lb_malloc'd. */
static exp_status expand_value(const char *s, int expand, char **out, char *name, size_t namelen)
{
    *out = NULL;
    name[0] = '\0';
    const char *ref = strstr(s, "${");
    if (!ref) return (*out = lb_strdup(s)) ? EXP_OK : EXP_NOMEM;
    const char *q = ref + 2;
    while (var_char(*q, q == ref + 2)) q++;
    if (q == ref + 2 || *q != '}') return EXP_MALFORMED;
    size_t len = (size_t)(q - ref - 2);
    if (len >= namelen) len = namelen - 1;
    memcpy(name, ref + 2, len);
    name[len] = '\0';
    if (!expand) return EXP_NOT_HERE;
    if (ref != s || q[1] != '\0') return EXP_NOT_WHOLE;
    if (!var_allowed(name)) return EXP_NOT_ALLOWED;
    const char *v = getenv(name);
    return (*out = lb_strdup(v ? v : "")) ? EXP_OK : EXP_NOMEM;
}

/* ---- defaults ---------------------------------------------------------------- */

/* Copies src into dst[len], cut at len - 1 bytes. */
static void copy_cut(char *dst, size_t len, const char *src)
{
    size_t n = strlen(src);
    if (n >= len) n = len - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int push_threshold(lb_gate_config *c, size_t *cap, const char *pattern, double percent,
                          lb_threshold_kind kind, const char *source)
{
    if (c->nthresholds == *cap) {
        size_t ncap = *cap ? 2 * *cap : 8;
        lb_threshold *t = lb_realloc(c->thresholds, ncap * sizeof *t);
        if (!t) return LB_ENOMEM;
        c->thresholds = t;
        *cap = ncap;
    }
    lb_threshold *t = &c->thresholds[c->nthresholds++];
    memset(t, 0, sizeof *t);
    copy_cut(t->pattern, sizeof t->pattern, pattern);
    copy_cut(t->source, sizeof t->source, source);
    t->percent = percent;
    t->kind = kind;
    return LB_OK;
}

static int push_group(lb_gate_config *c, size_t *cap, const group_map *g, double percent, const char *source)
{
    for (const char *const *p = g->patterns; *p; p++) {
        int rc = push_threshold(c, cap, *p, percent, g->kind, source);
        if (rc) return rc;
    }
    return LB_OK;
}

void lb_gate_config_defaults(lb_gate_config *c)
{
    memset(c, 0, sizeof *c);
    c->default_percent = DEFAULT_PERCENT;
    c->memory_peak_percent = DEFAULT_PEAK;
    c->memory_alloc_percent = DEFAULT_ALLOC;
    c->fail_ci = c->create_issue = c->notify_team = true;
    c->auto_update_main = true;
    c->require_approval = false;
    c->keep_history = true;
    c->max_history_count = DEFAULT_HISTORY;
    c->alpha = LB_GATE_ALPHA;
    c->resamples = LB_GATE_RESAMPLES;
    c->seed = LB_GATE_SEED;
    size_t cap = 0;
    char src[96];
    for (size_t i = 0; i < NGROUPS; i++) {
        snprintf(src, sizeof src, "default thresholds.%s.%s", GROUPS[i].table, GROUPS[i].key);
        if (push_group(c, &cap, &GROUPS[i], GROUPS[i].percent, src)) break; /* out of memory: fewer entries */
    }
    char name[64];
    if (expand_value(DEFAULT_SLACK, 1, &c->slack_webhook, name, sizeof name) != EXP_OK) c->slack_webhook = NULL;
    c->email = lb_strdup(DEFAULT_EMAIL);
    c->baseline_dir = lb_strdup(DEFAULT_DIR);
}

void lb_gate_config_free(lb_gate_config *c)
{
    if (!c) return;
    lb_free(c->thresholds);
    lb_free(c->slack_webhook);
    lb_free(c->email);
    lb_free(c->baseline_dir);
    c->thresholds = NULL;
    c->nthresholds = 0;
    c->slack_webhook = c->email = c->baseline_dir = NULL;
}

double lb_gate_threshold_for(const lb_gate_config *c, const char *id)
{
    for (size_t i = 0; i < c->nthresholds; i++)
        if (fnmatch(c->thresholds[i].pattern, id, 0) == 0) return c->thresholds[i].percent;
    return c->default_percent;
}

/* ---- loading --------------------------------------------------------------------- */

typedef struct {
    FILE *out;
    const char *table; /* "latency"/"throughput": pattern keys are not unknown */
} warn_ctx;

static int is_pattern(const char *key)
{
    return strpbrk(key, "/*?[") != NULL;
}

static void warn_line(void *vctx, const lb_toml_node *node, const char *msg)
{
    warn_ctx *w = vctx;
    if (w->table && is_pattern(lb_toml_key(node, NULL))) return;
    if (w->out) fprintf(w->out, "latentbench: warning: %s (ignored)\n", msg);
}

static int check_keys(const lb_toml_node *t, const char *const *allowed, FILE *warn, const char *pattern_table)
{
    warn_ctx w = {warn, pattern_table};
    return lb_toml_check_keys(t, allowed, warn_line, &w);
}

/* The table at path, or NULL when absent; LB_EDATA when it is something else. */
static int get_table(const lb_toml_node *root, const char *path, const lb_toml_node **out, char *err, size_t errlen)
{
    *out = lb_toml_get(root, path);
    if (*out && lb_toml_expect(*out, LB_TOML_TABLE, err, errlen)) return LB_EDATA;
    return LB_OK;
}

static int get_percent(const lb_toml_node *table, const char *key, double *out, char *err, size_t errlen)
{
    const lb_toml_node *n = lb_toml_find(table, key);
    if (!n) return LB_OK;
    double v;
    if (lb_toml_as_float(n, &v, err, errlen)) return LB_EDATA;
    if (!isfinite(v) || v <= 0) return lb_toml_errorf(n, err, errlen, "%s must be a percentage > 0, got %g", key, v);
    *out = v;
    return LB_OK;
}

/* The string at key; expand: the webhook field, the one that may read a
 * variable (see var_allowed). Messages name the variable, never a value. */
static int get_string(const lb_toml_node *table, const char *key, int expand, char **out, char *err, size_t errlen)
{
    const lb_toml_node *n = lb_toml_find(table, key);
    if (!n) return LB_OK;
    const char *s;
    if (lb_toml_as_string(n, &s, NULL, err, errlen)) return LB_EDATA;
    char *v, name[64];
    switch (expand_value(s, expand, &v, name, sizeof name)) {
    case EXP_OK: break;
    case EXP_MALFORMED: return lb_toml_errorf(n, err, errlen, "%s: malformed ${VAR} reference (write ${NAME})", key);
    case EXP_NOT_HERE:
        return lb_toml_errorf(n, err, errlen, "%s: ${%s} is not expanded here: only slack_webhook reads a variable",
                              key, name);
    case EXP_NOT_WHOLE:
        return lb_toml_errorf(n, err, errlen, "%s: ${%s} must be the whole value (write \"${%s}\")", key, name,
                              name);
    case EXP_NOT_ALLOWED:
        return lb_toml_errorf(n, err, errlen,
                              "%s: ${%s} is not an allowed variable (SLACK_WEBHOOK_URL, LATENTBENCH_WEBHOOK_URL "
                              "or LATENTBENCH_WEBHOOK_*)",
                              key, name);
    case EXP_NOMEM: return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", key);
    }
    lb_free(*out);
    *out = v;
    return LB_OK;
}

static int get_bool(const lb_toml_node *table, const char *key, bool *out, char *err, size_t errlen)
{
    const lb_toml_node *n = lb_toml_find(table, key);
    return n && lb_toml_as_bool(n, out, err, errlen) ? LB_EDATA : LB_OK;
}

/* [thresholds.latency] or [thresholds.throughput]: known group names map to
 * their ids, keys with '/', '*', '?' or '[' are glob patterns, both in file
 * order; *set[g] records which design groups the file set. */
static int load_kind_table(const lb_toml_node *t, const char *name, lb_threshold_kind kind, lb_gate_config *c,
                           size_t *cap, bool *set, FILE *warn, char *err, size_t errlen)
{
    const char *allowed[NGROUPS + 1];
    size_t na = 0;
    for (size_t g = 0; g < NGROUPS; g++)
        if (strcmp(GROUPS[g].table, name) == 0) allowed[na++] = GROUPS[g].key;
    allowed[na] = NULL;
    check_keys(t, allowed, warn, name);
    for (size_t i = 0; i < lb_toml_count(t); i++) {
        const lb_toml_node *n = lb_toml_at(t, i);
        size_t klen;
        const char *key = lb_toml_key(n, &klen);
        const group_map *g = NULL;
        for (size_t j = 0; j < NGROUPS; j++)
            if (strcmp(GROUPS[j].table, name) == 0 && strcmp(GROUPS[j].key, key) == 0) {
                g = &GROUPS[j];
                set[j] = true;
            }
        if (!g && !is_pattern(key)) continue; /* warned above */
        double v;
        if (lb_toml_as_float(n, &v, err, errlen)) return LB_EDATA;
        if (!isfinite(v) || v <= 0)
            return lb_toml_errorf(n, err, errlen, "threshold must be a percentage > 0, got %g", v);
        lb_toml_pos pos = lb_toml_key_pos(n);
        char path[160], src[512]; /* cut to lb_threshold.source's size by push_* */
        lb_toml_path(n, path, sizeof path);
        snprintf(src, sizeof src, "%s:%d:%d %s", pos.file, pos.line, pos.column, path);
        int rc;
        if (g) {
            rc = push_group(c, cap, g, v, src);
        } else {
            if (klen >= LB_ID_LEN || strlen(key) != klen)
                return lb_toml_errorf(n, err, errlen, "pattern '%.40s...' is longer than %d characters", key,
                                      LB_ID_LEN - 1);
            rc = push_threshold(c, cap, key, v, kind, src);
        }
        if (rc) return lb_errorf(err, errlen, rc, "%s: out of memory", pos.file);
    }
    return LB_OK;
}

static int load_doc(const lb_toml_node *root, lb_gate_config *c, FILE *warn, char *err, size_t errlen)
{
    static const char *const k_root[] = {"thresholds", "regression_actions", "baseline_management", NULL};
    static const char *const k_thr[] = {"default", "latency", "throughput", "memory", NULL};
    static const char *const k_mem[] = {"peak_usage", "allocation_count", NULL};
    static const char *const k_act[] = {"fail_ci", "create_issue", "notify_team", "notifications", NULL};
    static const char *const k_not[] = {"slack_webhook", "email", NULL};
    static const char *const k_base[] = {"auto_update_main", "require_approval", "keep_history",
                                         "max_history_count", "directory", NULL};
    const lb_toml_node *thr, *lat, *thp, *mem, *act, *not, *base;
    int rc;
    check_keys(root, k_root, warn, NULL);
    if ((rc = get_table(root, "thresholds", &thr, err, errlen)) ||
        (rc = get_table(root, "thresholds.latency", &lat, err, errlen)) ||
        (rc = get_table(root, "thresholds.throughput", &thp, err, errlen)) ||
        (rc = get_table(root, "thresholds.memory", &mem, err, errlen)) ||
        (rc = get_table(root, "regression_actions", &act, err, errlen)) ||
        (rc = get_table(root, "regression_actions.notifications", &not, err, errlen)) ||
        (rc = get_table(root, "baseline_management", &base, err, errlen)))
        return rc;

    /* File entries first, in file order; then the design's groups the file
     * leaves unset, so a file that only changes the default keeps them. */
    lb_threshold *keep = c->thresholds;
    size_t cap = 0;
    c->thresholds = NULL;
    c->nthresholds = 0;
    bool set[NGROUPS] = {false};
    if (thr) {
        check_keys(thr, k_thr, warn, NULL);
        if ((rc = get_percent(thr, "default", &c->default_percent, err, errlen))) goto out;
        if (lat && (rc = load_kind_table(lat, "latency", LB_KIND_LATENCY, c, &cap, set, warn, err, errlen))) goto out;
        if (thp && (rc = load_kind_table(thp, "throughput", LB_KIND_THROUGHPUT, c, &cap, set, warn, err, errlen)))
            goto out;
        if (mem) {
            check_keys(mem, k_mem, warn, NULL);
            if ((rc = get_percent(mem, "peak_usage", &c->memory_peak_percent, err, errlen)) ||
                (rc = get_percent(mem, "allocation_count", &c->memory_alloc_percent, err, errlen)))
                goto out;
        }
    }
    for (size_t g = 0; g < NGROUPS; g++) {
        if (set[g]) continue;
        char src[96];
        snprintf(src, sizeof src, "default thresholds.%s.%s", GROUPS[g].table, GROUPS[g].key);
        if ((rc = push_group(c, &cap, &GROUPS[g], GROUPS[g].percent, src))) {
            rc = lb_errorf(err, errlen, rc, "out of memory");
            goto out;
        }
    }
    if (act) {
        check_keys(act, k_act, warn, NULL);
        if ((rc = get_bool(act, "fail_ci", &c->fail_ci, err, errlen)) ||
            (rc = get_bool(act, "create_issue", &c->create_issue, err, errlen)) ||
            (rc = get_bool(act, "notify_team", &c->notify_team, err, errlen)))
            goto out;
    }
    if (not) {
        check_keys(not, k_not, warn, NULL);
        if ((rc = get_string(not, "slack_webhook", 1, &c->slack_webhook, err, errlen)) ||
            (rc = get_string(not, "email", 0, &c->email, err, errlen)))
            goto out;
    }
    if (base) {
        check_keys(base, k_base, warn, NULL);
        if ((rc = get_bool(base, "auto_update_main", &c->auto_update_main, err, errlen)) ||
            (rc = get_bool(base, "require_approval", &c->require_approval, err, errlen)) ||
            (rc = get_bool(base, "keep_history", &c->keep_history, err, errlen)) ||
            (rc = get_string(base, "directory", 0, &c->baseline_dir, err, errlen)))
            goto out;
        const lb_toml_node *n = lb_toml_find(base, "max_history_count");
        if (n) {
            int64_t v;
            if ((rc = lb_toml_as_int(n, &v, err, errlen))) goto out;
            if (v < 1) {
                rc = lb_toml_errorf(n, err, errlen, "max_history_count must be at least 1, got %lld", (long long)v);
                goto out;
            }
            c->max_history_count = (long)v;
        }
        n = lb_toml_find(base, "directory");
        if (n && !c->baseline_dir[0]) {
            rc = lb_toml_errorf(n, err, errlen, "directory must not be empty");
            goto out;
        }
    }
out:
    lb_free(keep);
    return rc;
}

int lb_gate_config_load(const char *path, lb_gate_config *c, FILE *warn, char *err, size_t errlen)
{
    if (!path || !c) return lb_errorf(err, errlen, LB_EUSAGE, "lb_gate_config_load: NULL argument");
    lb_toml_doc *doc = NULL;
    int rc = lb_toml_parse_file(path, &doc, err, errlen);
    if (rc) return rc;
    /* Built aside and swapped in only when the whole file is good: on an error
     * c is unchanged. */
    lb_gate_config next;
    lb_gate_config_defaults(&next);
    rc = load_doc(lb_toml_root(doc), &next, warn, err, errlen);
    lb_toml_free(doc);
    if (rc) {
        lb_gate_config_free(&next);
        return rc;
    }
    if (!next.slack_webhook || !next.email || !next.baseline_dir) {
        lb_gate_config_free(&next);
        return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", path);
    }
    /* Statistics settings are not in the file: keep the caller's. */
    next.alpha = c->alpha;
    next.resamples = c->resamples;
    next.seed = c->seed;
    lb_gate_config_free(c);
    *c = next;
    return LB_OK;
}
