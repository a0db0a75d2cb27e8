/* The option parser every command shares (opts.h). */
#include "opts.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/text.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int lb_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    /* digits only: strtoull alone takes spaces, a sign, and wraps "-1" */
    if (!s || !*s) return 0;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return 0;
    *out = (uint64_t)v;
    return 1;
}

int lb_parse_double(const char *s, double lo, double hi, double *out)
{
    /* plain decimal notation only: no spaces, hex, "inf" or "nan" */
    if (!s || !*s || strspn(s, "0123456789.eE+-") != strlen(s)) return 0;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || !(v >= lo && v <= hi)) return 0;
    *out = v;
    return 1;
}

int lb_parse_size(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || !*s) return 0;
    size_t digits = strspn(s, "0123456789");
    if (!digits) return 0;
    unsigned shift = 0;
    const char *suf = s + digits;
    if (*suf) {
        const char *units = "KMGT", *u = strchr(units, *suf >= 'a' ? *suf - 32 : *suf);
        if (!u || !*u || suf[1]) return 0;
        shift = 10u * (unsigned)(u - units + 1);
    }
    char num[32];
    if (digits >= sizeof num) return 0;
    memcpy(num, s, digits);
    num[digits] = '\0';
    uint64_t v;
    if (!lb_parse_uint(num, 0, UINT64_MAX, &v) || (shift && v > (UINT64_MAX >> shift))) return 0;
    v <<= shift;
    if (v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

/* "a|b|c": the index of word among the choices (case ignored), or -1. */
static int choice_index(const char *choices, const char *word)
{
    int i = 0;
    for (const char *p = choices; *p; i++) {
        size_t n = strcspn(p, "|");
        if (strlen(word) == n && strncasecmp(p, word, n) == 0) return i;
        p += n;
        if (*p) p++;
    }
    return -1;
}

/* The option names (and aliases) a misspelling is compared with. */
static const char *suggest_option(const lb_cmd_spec *spec, const char *word)
{
    const char *cands[128];
    size_t n = 0;
    for (size_t i = 0; i < spec->nopts && n + 2 < sizeof cands / sizeof cands[0]; i++) {
        cands[n++] = spec->opts[i].name;
        if (spec->opts[i].alias) cands[n++] = spec->opts[i].alias;
    }
    cands[n++] = "--help";
    return lb_suggest(word, cands, n);
}

static const char *suggest_choice(const char *choices, const char *word, char *buf, size_t len)
{
    const char *cands[32];
    char copy[256];
    snprintf(copy, sizeof copy, "%s", choices);
    size_t n = 0;
    for (char *p = strtok(copy, "|"); p && n < 32; p = strtok(NULL, "|")) cands[n++] = p;
    const char *s = lb_suggest(word, cands, n);
    if (!s) return NULL;
    snprintf(buf, len, "%s", s);
    return buf;
}

static const char *unit_of(const lb_opt *o)
{
    if (o->meta && !strcmp(o->meta, "S")) return " s";
    if (o->meta && !strcmp(o->meta, "MS")) return " ms";
    if (o->meta && !strcmp(o->meta, "PCT")) return " %";
    return "";
}

/* Reads one value into arg; the error names the command and the option. */
static int take_value(const lb_cmd_spec *spec, const lb_opt *o, const char *val, lb_arg *arg, char *err,
                      size_t errlen)
{
    char shown[128];
    lb_sanitize(shown, sizeof shown, val);
    arg->val = val;
    switch (o->kind) {
    case LB_OPT_FLAG:
    case LB_OPT_STRING: return LB_OK;
    case LB_OPT_UINT:
        if (lb_parse_uint(val, o->umin, o->umax, &arg->u)) return LB_OK;
        if (o->umax == UINT64_MAX)
            return lb_errorf(err, errlen, LB_EUSAGE, "%s: %s: '%s' is not an integer >= %" PRIu64, spec->name,
                             o->name, shown, o->umin);
        return lb_errorf(err, errlen, LB_EUSAGE, "%s: %s: '%s' is not an integer in %" PRIu64 "..%" PRIu64,
                         spec->name, o->name, shown, o->umin, o->umax);
    case LB_OPT_DOUBLE:
        if (lb_parse_double(val, o->dmin, o->dmax, &arg->d)) return LB_OK;
        return lb_errorf(err, errlen, LB_EUSAGE, "%s: %s: '%s' is not a number in %g..%g%s", spec->name, o->name,
                         shown, o->dmin, o->dmax, unit_of(o));
    case LB_OPT_SIZE:
        if (lb_parse_size(val, o->umin ? o->umin : 1, o->umax ? o->umax : UINT64_MAX, &arg->u)) return LB_OK;
        return lb_errorf(err, errlen, LB_EUSAGE, "%s: %s: '%s' is not a size (bytes > 0, or with K, M, G, T)",
                         spec->name, o->name, shown);
    case LB_OPT_CHOICE: {
        int k = choice_index(o->choices, val);
        if (k >= 0) {
            arg->u = (uint64_t)k;
            return LB_OK;
        }
        char list[256], hint[64];
        size_t j = 0;
        for (const char *p = o->choices; *p && j + 3 < sizeof list; p++) {
            if (*p == '|') {
                list[j++] = ',';
                list[j++] = ' ';
            } else list[j++] = *p;
        }
        list[j] = '\0';
        const char *s = suggest_choice(o->choices, val, hint, sizeof hint);
        if (s)
            return lb_errorf(err, errlen, LB_EUSAGE, "%s: %s: '%s' is not one of %s (did you mean %s?)", spec->name,
                             o->name, shown, list, s);
        return lb_errorf(err, errlen, LB_EUSAGE, "%s: %s: '%s' is not one of %s", spec->name, o->name, shown, list);
    }
    }
    return LB_EINTERNAL;
}

static int is_help(const char *w) { return !strcmp(w, "-h") || !strcmp(w, "--help"); }

int lb_args_parse(const lb_cmd_spec *spec, int argc, char **argv, lb_args *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->spec = spec;
    if (err && errlen) err[0] = '\0';
    size_t n = argc > 0 ? (size_t)argc : 0;
    a->args = lb_calloc(n ? n : 1, sizeof *a->args);
    a->pos = lb_calloc(n ? n : 1, sizeof *a->pos);
    a->pass = lb_calloc(n ? n : 1, sizeof *a->pass);
    unsigned *times = lb_calloc(spec->nopts ? spec->nopts : 1, sizeof *times);
    if (!a->args || !a->pos || !a->pass || !times) {
        lb_free(times);
        return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", spec->name);
    }
    /* the first error is kept, but the scan goes on: -h anywhere still asks
     * for help ("run --rounds 0 --help") */
    int rc = LB_OK, ended = 0;
    for (size_t i = 0; i < n; i++) {
        const char *w = argv[i];
        if (ended) {
            if (spec->pass) a->pass[a->npass++] = w;
            else if (!rc && a->npos == spec->max_pos) {
                char shown[128];
                rc = lb_errorf(err, errlen, LB_EUSAGE, "%s: unexpected argument '%s'", spec->name,
                               lb_sanitize(shown, sizeof shown, w));
            } else a->pos[a->npos++] = w;
            continue;
        }
        if (!strcmp(w, "--")) {
            ended = 1;
            continue;
        }
        if (is_help(w)) {
            a->help = 1;
            continue;
        }
        if (w[0] != '-' || !w[1]) { /* "-" is a name (stdin / stdout to some tools) */
            if (!rc && a->npos == spec->max_pos) {
                char shown[128];
                rc = lb_errorf(err, errlen, LB_EUSAGE, "%s: unexpected argument '%s'", spec->name,
                               lb_sanitize(shown, sizeof shown, w));
            } else if (a->npos < spec->max_pos) a->pos[a->npos++] = w;
            continue;
        }
        /* --name=value */
        const char *eq = w[1] == '-' ? strchr(w, '=') : NULL;
        size_t nlen = eq ? (size_t)(eq - w) : strlen(w);
        size_t k = 0;
        for (; k < spec->nopts; k++) {
            const lb_opt *o = &spec->opts[k];
            if ((strlen(o->name) == nlen && !strncmp(o->name, w, nlen)) ||
                (o->alias && strlen(o->alias) == nlen && !strncmp(o->alias, w, nlen)))
                break;
        }
        if (k == spec->nopts) {
            if (!rc && eq && nlen == 6 && !strncmp(w, "--help", 6)) {
                rc = lb_errorf(err, errlen, LB_EUSAGE, "%s: --help takes no value", spec->name);
            } else if (!rc) {
                char name[128], shown[128];
                snprintf(name, sizeof name, "%.*s", (int)(nlen < 127 ? nlen : 127), w);
                lb_sanitize(shown, sizeof shown, name);
                const char *s = suggest_option(spec, name);
                if (s)
                    rc = lb_errorf(err, errlen, LB_EUSAGE, "%s: unknown option '%s' (did you mean %s?)", spec->name,
                                   shown, s);
                else
                    rc = lb_errorf(err, errlen, LB_EUSAGE, "%s: unknown option '%s' (see latentbench %s --help)",
                                   spec->name, shown, spec->name);
            }
            continue; /* as a flag: its value, if any, is read as a positional and ignored with the error */
        }
        const lb_opt *o = &spec->opts[k];
        const char *val = NULL;
        if (o->kind == LB_OPT_FLAG) {
            if (eq && !rc) rc = lb_errorf(err, errlen, LB_EUSAGE, "%s: %s takes no value", spec->name, o->name);
        } else if (eq) {
            val = eq + 1;
        } else if (i + 1 < n) {
            val = argv[++i]; /* whatever it looks like: "--suite -h" names a suite "-h" */
        } else {
            if (!rc) rc = lb_errorf(err, errlen, LB_EUSAGE, "%s: missing value for %s", spec->name, o->name);
            continue;
        }
        if (rc) continue;
        unsigned max = o->max ? o->max : UINT32_MAX;
        if (++times[k] > max) {
            rc = lb_errorf(err, errlen, LB_EUSAGE, "%s: %s given more than %u times", spec->name, o->name, max);
            continue;
        }
        lb_arg *arg = &a->args[a->nargs];
        memset(arg, 0, sizeof *arg);
        arg->opt = (int)k;
        if (val) rc = take_value(spec, o, val, arg, err, errlen);
        if (!rc) a->nargs++;
    }
    lb_free(times);
    if (a->help) {
        if (err && errlen) err[0] = '\0';
        return LB_OK;
    }
    if (!rc && a->npos < spec->min_pos)
        rc = lb_errorf(err, errlen, LB_EUSAGE, "%s: missing argument (usage: latentbench %s %s)", spec->name,
                       spec->name, spec->synopsis);
    return rc;
}

void lb_args_free(lb_args *a)
{
    if (!a) return;
    lb_free(a->args);
    lb_free(a->pos);
    lb_free(a->pass);
    memset(a, 0, sizeof *a);
}

static int opt_index(const lb_args *a, const char *name)
{
    for (size_t k = 0; k < a->spec->nopts; k++)
        if (!strcmp(a->spec->opts[k].name, name)) return (int)k;
    return -1; /* a name the command's table lacks: a bug, found by the tests */
}

static const lb_arg *last(const lb_args *a, const char *name)
{
    int k = opt_index(a, name);
    for (size_t i = a->nargs; k >= 0 && i-- > 0;)
        if (a->args[i].opt == k) return &a->args[i];
    return NULL;
}

size_t lb_args_count(const lb_args *a, const char *name)
{
    int k = opt_index(a, name);
    size_t c = 0;
    for (size_t i = 0; k >= 0 && i < a->nargs; i++) c += a->args[i].opt == k;
    return c;
}

const char *lb_args_str(const lb_args *a, const char *name, const char *def)
{
    const lb_arg *g = last(a, name);
    return g ? g->val : def;
}

double lb_args_double(const lb_args *a, const char *name, double def)
{
    const lb_arg *g = last(a, name);
    return g ? g->d : def;
}

uint64_t lb_args_uint(const lb_args *a, const char *name, uint64_t def)
{
    const lb_arg *g = last(a, name);
    return g ? g->u : def;
}

size_t lb_args_all(const lb_args *a, const char *name, const char **out, size_t max)
{
    int k = opt_index(a, name);
    size_t c = 0;
    for (size_t i = 0; k >= 0 && i < a->nargs && c < max; i++)
        if (a->args[i].opt == k) out[c++] = a->args[i].val;
    return c;
}

void lb_cmd_help(FILE *out, const lb_cmd_spec *spec)
{
    fprintf(out, "usage: latentbench %s %s\n\n%s\n", spec->name, spec->synopsis, spec->about);
    if (!spec->nopts) {
        fputs("\noptions:\n  -h, --help                  this help\n", out);
        return;
    }
    fputs("\noptions:\n", out);
    for (size_t k = 0; k < spec->nopts; k++) {
        const lb_opt *o = &spec->opts[k];
        char left[96];
        const char *meta = o->kind == LB_OPT_FLAG ? "" : o->kind == LB_OPT_CHOICE ? o->choices : o->meta ? o->meta : "X";
        snprintf(left, sizeof left, "%s%s%s%s%s", o->alias ? o->alias : "", o->alias ? ", " : "", o->name,
                 *meta ? " " : "", meta);
        char extra[96] = "";
        if (o->kind == LB_OPT_UINT && o->umax != UINT64_MAX)
            snprintf(extra, sizeof extra, " [%" PRIu64 "..%" PRIu64 "]", o->umin, o->umax);
        else if (o->kind == LB_OPT_DOUBLE)
            snprintf(extra, sizeof extra, " [%g..%g%s]", o->dmin, o->dmax, unit_of(o));
        if (o->max > 1) {
            size_t l = strlen(extra);
            snprintf(extra + l, sizeof extra - l, " [up to %u times]", o->max);
        }
        if (strlen(left) <= 26) fprintf(out, "  %-26s  %s%s\n", left, o->help, extra);
        else fprintf(out, "  %s\n  %-26s  %s%s\n", left, "", o->help, extra);
    }
    fprintf(out, "  %-26s  %s\n", "-h, --help", "this help");
}
