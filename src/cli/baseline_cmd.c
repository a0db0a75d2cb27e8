/* latentbench baseline save|list|show|prune|notify|config: the baseline
 * directory (docs/BASELINES.md) and the regression actions of the config. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "latentbench/alloc.h"
#include "latentbench/baseline.h"
#include "latentbench/error.h"
#include "latentbench/gate.h"
#include "latentbench/notify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SAVE = 1, LIST = 2, SHOW = 4, PRUNE = 8, NOTIFY = 16, CONFIG = 32 };

typedef struct {
    const char *dir, *config, *name, *results, *baseline, *issue_body, *webhook, *context, *keep;
    const char *timeout, *pos;
    int path_only, all, always;
    lb_latent *lt; /* for this machine's fingerprint (its SIMD level) */
} bopts;

/* Which options each subcommand takes; a flag has no value. */
static const struct {
    const char *name;
    int cmds, flag;
    size_t off;
} options[] = {
    {"--dir", SAVE | LIST | SHOW | PRUNE | CONFIG, 0, offsetof(bopts, dir)},
    {"--config", SAVE | LIST | SHOW | PRUNE | NOTIFY | CONFIG, 0, offsetof(bopts, config)},
    {"--name", SAVE | SHOW | PRUNE, 0, offsetof(bopts, name)},
    {"--results", SHOW | NOTIFY, 0, offsetof(bopts, results)},
    {"--baseline", NOTIFY, 0, offsetof(bopts, baseline)},
    {"--issue-body", NOTIFY, 0, offsetof(bopts, issue_body)},
    {"--webhook", NOTIFY, 0, offsetof(bopts, webhook)},
    {"--context", NOTIFY, 0, offsetof(bopts, context)},
    {"--timeout", NOTIFY, 0, offsetof(bopts, timeout)},
    {"--keep", PRUNE, 0, offsetof(bopts, keep)},
    {"--path-only", SHOW, 1, offsetof(bopts, path_only)},
    {"--all", LIST, 1, offsetof(bopts, all)},
    {"--always", NOTIFY, 1, offsetof(bopts, always)},
};

static const struct {
    const char *name;
    int cmd, npos; /* npos: positional arguments allowed (SHOW: 0 or 1) */
} subcommands[] = {
    {"save", SAVE, 1}, {"list", LIST, 0}, {"show", SHOW, 1}, {"prune", PRUNE, 0}, {"notify", NOTIFY, 0},
    {"config", CONFIG, 0},
};

static int parse(int argc, char **argv, int cmd, int maxpos, bopts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    int npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {
            if (npos++ >= maxpos) return lb_errorf(err, errlen, LB_EUSAGE, "baseline: unexpected argument '%s'", a);
            o->pos = a;
            continue;
        }
        size_t k = 0, n = sizeof options / sizeof options[0];
        while (k < n && (strcmp(a, options[k].name) != 0 || !(options[k].cmds & cmd))) k++;
        if (k == n) return lb_errorf(err, errlen, LB_EUSAGE, "baseline: unknown option '%s' here", a);
        if (options[k].flag) {
            *(int *)((char *)o + options[k].off) = 1;
        } else {
            if (i + 1 >= argc) return lb_errorf(err, errlen, LB_EUSAGE, "baseline: %s needs a value", a);
            *(const char **)((char *)o + options[k].off) = argv[++i];
        }
    }
    return LB_OK;
}

/* The config (defaults when no --config) and the directory: --dir, else the
 * config's baseline_management.directory, else the default. */
static int load_config(const bopts *o, lb_gate_config *cfg, const char **dir, char *err, size_t errlen)
{
    lb_gate_config_defaults(cfg);
    int rc = o->config ? lb_gate_config_load(o->config, cfg, stderr, err, errlen) : LB_OK;
    if (rc) return rc;
    *dir = o->dir ? o->dir : cfg->baseline_dir && *cfg->baseline_dir ? cfg->baseline_dir : LB_BASELINE_DEFAULT_DIR;
    return LB_OK;
}

static const char *name_of(const bopts *o) { return o->name ? o->name : o->pos ? o->pos : LB_BASELINE_DEFAULT_NAME; }

static int cmd_save(const bopts *o, const lb_gate_config *cfg, const char *dir, char *err, size_t errlen)
{
    if (!o->pos) return lb_errorf(err, errlen, LB_EUSAGE, "baseline save: which results file? (baseline save RESULTS.h5)");
    char path[LB_BASELINE_PATH_LEN];
    size_t pruned = 0;
    long keep = lb_baseline_keep(cfg->keep_history, cfg->max_history_count);
    int rc = lb_baseline_save(dir, o->name ? o->name : LB_BASELINE_DEFAULT_NAME, o->pos, keep, path, sizeof path,
                              &pruned, err, errlen);
    if (rc) return rc;
    printf("saved %s\n", path);
    if (pruned) printf("pruned %zu older baseline%s (keeping %ld)\n", pruned, pruned == 1 ? "" : "s", keep);
    return LB_OK;
}

static int cmd_list(const bopts *o, const char *dir, char *err, size_t errlen)
{
    lb_baseline_entry *e;
    size_t n;
    int rc = lb_baseline_list(dir, &e, &n, err, errlen);
    if (rc) return rc;
    if (!n) printf("no baselines under %s\n", dir);
    else printf("%-10s %-20s %-24s %-7s %s\n", "NAME", "SAVED", "COMMIT", "HISTORY", "MACHINE / FILE");
    for (size_t i = 0; i < n; i++) {
        size_t first = i;
        while (first > 0 && !strcmp(e[first - 1].slug, e[i].slug) && !strcmp(e[first - 1].name, e[i].name)) first--;
        if (!o->all && !e[i].latest) continue;
        size_t count = i - first + 1;
        printf("%-10s %-20s %-24s %-7zu %s\n", e[i].name, e[i].saved, e[i].commit, count,
               *e[i].machine ? e[i].machine : e[i].slug);
        printf("%-10s %-20s %-24s %-7s %s%s\n", "", "", "", "", e[i].path, e[i].latest && o->all ? "  (latest)" : "");
    }
    lb_baseline_list_free(e, n);
    return LB_OK;
}

/* The fingerprint to look up: --results's, else this machine's. */
static int machine_for(const bopts *o, const lb_cluster *cl, char **machine, char *err, size_t errlen)
{
    lb_results r;
    memset(&r, 0, sizeof r);
    /* rank 0 alone runs the subcommands: no collective here */
    int rc = o->results ? lb_results_read(o->results, &r, err, errlen)
                        : o->lt->handle ? LB_OK : lb_latent_open(NULL, o->lt, err, errlen);
    if (!rc && !o->results) rc = lb_meta_fill(&r.meta, cl, "", o->lt);
    if (rc == LB_ENOMEM) lb_errorf(err, errlen, rc, "baseline show: out of memory");
    if (!rc && !(*machine = lb_strdup(r.meta.machine ? r.meta.machine : "")))
        rc = lb_errorf(err, errlen, LB_ENOMEM, "baseline show: out of memory");
    lb_results_free(&r);
    return rc;
}

static int cmd_show(const bopts *o, const lb_cluster *cl, const char *dir, char *err, size_t errlen)
{
    if (o->name && o->pos) return lb_errorf(err, errlen, LB_EUSAGE, "baseline show: give the name once");
    char *machine = NULL, path[LB_BASELINE_PATH_LEN];
    int rc = machine_for(o, cl, &machine, err, errlen);
    if (!rc) rc = lb_baseline_latest(dir, machine, name_of(o), path, sizeof path, err, errlen);
    lb_free(machine);
    if (rc) return rc;
    if (o->path_only) {
        printf("%s\n", path);
        return LB_OK;
    }
    lb_results r;
    rc = lb_results_read(path, &r, err, errlen);
    if (rc) return rc;
    char slug[LB_BASELINE_SLUG_LEN];
    lb_baseline_machine_slug(r.meta.machine, slug);
    printf("path:         %s\nname:         %s\nmachine:      %s\nmachine key:  %s\ncommit:       %s\n"
           "created:      %s\nhostname:     %s\ntool version: %s\nbuild:        %s (%s)\nbenchmarks:   %zu\n"
           "mpi ranks:    %lld\ncommand:      %s\n",
           path, name_of(o), r.meta.machine, slug, r.meta.git_commit, r.meta.created, r.meta.hostname,
           r.meta.tool_version, r.meta.build_type, r.meta.compiler, r.nrows, (long long)r.meta.mpi_ranks,
           r.meta.command_line);
    lb_results_free(&r);
    return LB_OK;
}

static int cmd_prune(const bopts *o, const lb_gate_config *cfg, const char *dir, char *err, size_t errlen)
{
    long keep = lb_baseline_keep(cfg->keep_history, cfg->max_history_count);
    if (o->keep) {
        char *end;
        keep = strtol(o->keep, &end, 10);
        if (*end || end == o->keep || keep < 1)
            return lb_errorf(err, errlen, LB_EUSAGE, "baseline prune: --keep: '%s' is not a count >= 1", o->keep);
    }
    if (o->name && !lb_baseline_name_ok(o->name))
        return lb_errorf(err, errlen, LB_EUSAGE, "baseline prune: --name '%s' is not a valid name", o->name);
    size_t removed = 0;
    int rc = lb_baseline_prune(dir, o->name, keep, &removed, err, errlen);
    if (!rc) printf("pruned %zu file%s under %s (keeping %ld per machine and name)\n", removed,
                    removed == 1 ? "" : "s", dir, keep);
    return rc;
}

static int cmd_notify(const bopts *o, const lb_gate_config *cfg, char *err, size_t errlen)
{
    if (!o->results || !o->baseline)
        return lb_errorf(err, errlen, LB_EUSAGE, "baseline notify: needs --results CURRENT.h5 and --baseline B.h5");
    long timeout_ms = LB_NOTIFY_TIMEOUT_MS;
    if (o->timeout) {
        char *end;
        double s = strtod(o->timeout, &end);
        if (*end || end == o->timeout || !isfinite(s) || s <= 0 || s > 600)
            return lb_errorf(err, errlen, LB_EUSAGE, "baseline notify: --timeout: '%s' is not a time in (0, 600] s",
                             o->timeout);
        timeout_ms = (long)ceil(s * 1000);
    }
    lb_results base, cur;
    lb_comparison cmp;
    memset(&base, 0, sizeof base);
    memset(&cur, 0, sizeof cur);
    memset(&cmp, 0, sizeof cmp);
    int rc = lb_results_read(o->baseline, &base, err, errlen);
    if (!rc) rc = lb_results_read(o->results, &cur, err, errlen);
    if (!rc) rc = lb_gate_compare(&base, &cur, cfg, &cmp, err, errlen);
    if (rc) goto out;

    int status = lb_notify_exit_status(&cmp);
    const char *what[] = {"no significant change", "regression", "improvement"};
    if (status != 1 && !o->always) {
        printf("notify: %s, nothing to report\n", what[status]);
        goto out;
    }
    /* From here on nothing changes the outcome: a failed action is a warning. */
    char werr[LB_ERRLEN];
    if (cfg->create_issue && o->issue_body) {
        if (lb_write_issue_body(o->issue_body, &cmp, o->context, werr, sizeof werr))
            fprintf(stderr, "latentbench: warning: issue body: %s\n", werr);
        else
            printf("notify: issue body written to %s\n", o->issue_body);
    }
    const char *url = o->webhook ? o->webhook : cfg->slack_webhook;
    if (!cfg->notify_team) {
        printf("notify: notify_team is off\n");
    } else if (!url || !*url) {
        printf("notify: no webhook configured\n");
    } else {
        char *json = lb_notify_summary_json(&cmp, o->context);
        if (!json) fprintf(stderr, "latentbench: warning: webhook: out of memory\n");
        else if (lb_notify_webhook(url, json, timeout_ms, werr, sizeof werr))
            fprintf(stderr, "latentbench: warning: %s\n", werr);
        else
            printf("notify: webhook notified (%s)\n", what[status]);
        lb_free(json);
    }
out:
    lb_comparison_free(&cmp);
    lb_results_free(&cur);
    lb_results_free(&base);
    return rc;
}

/* key=value lines a shell script can read; the webhook is a secret: only
 * whether it is set. */
static int cmd_config(const lb_gate_config *c, const char *dir)
{
    printf("fail_ci=%s\ncreate_issue=%s\nnotify_team=%s\nwebhook_set=%s\nauto_update_main=%s\n"
           "require_approval=%s\nkeep_history=%s\nmax_history_count=%ld\ndirectory=%s\ndefault_threshold=%g\n",
           c->fail_ci ? "true" : "false", c->create_issue ? "true" : "false", c->notify_team ? "true" : "false",
           c->slack_webhook && *c->slack_webhook ? "true" : "false", c->auto_update_main ? "true" : "false",
           c->require_approval ? "true" : "false", c->keep_history ? "true" : "false", c->max_history_count, dir,
           c->default_percent);
    return LB_OK;
}

int lb_cmd_baseline(int argc, char **argv, const lb_cluster *cl, lb_latent *lt)
{
    char err[LB_ERRLEN] = "";
    if (argc < 1) {
        lb_report(cl, "baseline: which subcommand? (save, list, show, prune, notify, config)");
        return LB_EUSAGE;
    }
    size_t k = 0, n = sizeof subcommands / sizeof subcommands[0];
    while (k < n && strcmp(argv[0], subcommands[k].name) != 0) k++;
    if (k == n) {
        snprintf(err, sizeof err, "baseline: unknown subcommand '%s' (save, list, show, prune, notify, config)",
                 argv[0]);
        lb_report(cl, err);
        return LB_EUSAGE;
    }
    int cmd = subcommands[k].cmd;
    bopts o;
    int rc = parse(argc - 1, argv + 1, cmd, subcommands[k].npos, &o, err, sizeof err);
    o.lt = lt;
    /* under mpirun the store is rank 0's alone; the other ranks only agree */
    if (!rc && cl->rank != 0) return LB_OK;
    lb_gate_config cfg;
    const char *dir = NULL;
    memset(&cfg, 0, sizeof cfg);
    if (!rc) rc = load_config(&o, &cfg, &dir, err, sizeof err);
    if (!rc) {
        switch (cmd) {
        case SAVE: rc = cmd_save(&o, &cfg, dir, err, sizeof err); break;
        case LIST: rc = cmd_list(&o, dir, err, sizeof err); break;
        case SHOW: rc = cmd_show(&o, cl, dir, err, sizeof err); break;
        case PRUNE: rc = cmd_prune(&o, &cfg, dir, err, sizeof err); break;
        case NOTIFY: rc = cmd_notify(&o, &cfg, err, sizeof err); break;
        default: rc = cmd_config(&cfg, dir); break;
        }
    }
    lb_gate_config_free(&cfg);
    if (rc) lb_report(cl, err[0] ? err : lb_strerror(rc));
    fflush(stdout);
    return rc;
}
