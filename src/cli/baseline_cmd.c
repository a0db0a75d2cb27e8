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
    const char *dir, *config, *name, *results, *baseline, *issue_body, *webhook, *context;
    const char *pos;
    long keep;          /* 0: from the config */
    double timeout_s;   /* 0: the default */
    int path_only, all, always;
    lb_latent *lt; /* for this machine's fingerprint (its SIMD level) */
} bopts;

#define OPT_DIR LB_OPT_S("--dir", NULL, "DIR", "the baseline directory (default: the config's, else benches/baselines)")
#define OPT_CONFIG LB_OPT_S("--config", NULL, "FILE", "the regression_config.toml")
#define OPT_NAME LB_OPT_S("--name", NULL, "NAME", "the baseline's name (default: main)")

static const lb_opt save_table[] = {OPT_DIR, OPT_CONFIG, OPT_NAME};
static const lb_opt list_table[] = {OPT_DIR, OPT_CONFIG, LB_OPT_F("--all", "every saved baseline, not only the latest of each")};
static const lb_opt show_table[] = {
    OPT_DIR, OPT_CONFIG, OPT_NAME,
    LB_OPT_S("--results", NULL, "FILE", "the machine of this results file (default: this machine)"),
    LB_OPT_F("--path-only", "print only the baseline's path"),
};
static const lb_opt prune_table[] = {
    OPT_DIR, OPT_CONFIG, LB_OPT_S("--name", NULL, "NAME", "only baselines of this name (default: every name)"),
    LB_OPT_U("--keep", 1, 1000000, "N", "baselines kept per machine and name (default: the config's)"),
};
static const lb_opt notify_table[] = {
    OPT_CONFIG,
    LB_OPT_S("--results", NULL, "FILE", "the current results (required)"),
    LB_OPT_S("--baseline", NULL, "FILE", "the baseline they are compared with (required)"),
    LB_OPT_S("--issue-body", NULL, "FILE", "write the issue's Markdown body there (with create_issue)"),
    LB_OPT_S("--webhook", NULL, "URL", "post the summary there instead of the config's webhook"),
    LB_OPT_S("--context", NULL, "TEXT", "a line naming the change (commit, pull request) in the messages"),
    LB_OPT_D("--timeout", 0.001, 600, "S", "the webhook's timeout (default 10)"),
    LB_OPT_F("--always", "act also when there is no regression"),
};
static const lb_opt config_table[] = {OPT_DIR, OPT_CONFIG};

const lb_cmd_spec lb_spec_baseline[LB_BASELINE_NSUB] = {
    {"baseline save", "RESULTS.h5 [OPTIONS]", "save a results file as this machine's baseline",
     "Copies RESULTS.h5 into the baseline directory under its machine fingerprint and name, then prunes\n"
     "older baselines as the config says (docs/BASELINES.md).",
     save_table, LB_NOPTS(save_table), 1, 1, 0},
    {"baseline list", "[OPTIONS]", "list the saved baselines",
     "Lists the latest baseline of each machine and name (--all: every one).", list_table, LB_NOPTS(list_table), 0, 0, 0},
    {"baseline show", "[NAME] [OPTIONS]", "show the baseline of this machine (or of --results's)",
     "Shows the latest baseline of the name (default main) for this machine's fingerprint, or for the\n"
     "machine of --results.",
     show_table, LB_NOPTS(show_table), 0, 1, 0},
    {"baseline prune", "[OPTIONS]", "delete older baselines",
     "Deletes all but the newest --keep baselines per machine and name.", prune_table, LB_NOPTS(prune_table), 0, 0, 0},
    {"baseline notify", "--results R.h5 --baseline B.h5 [OPTIONS]", "the config's regression actions",
     "Compares R with B and, on a regression (or --always), writes the issue body and posts to the\n"
     "webhook as the config says. A failed action is a warning, not an error.",
     notify_table, LB_NOPTS(notify_table), 0, 0, 0},
    {"baseline config", "[OPTIONS]", "print the regression config's settings as key=value",
     "Prints the settings of the config (the webhook only as set or not) for shell scripts.",
     config_table, LB_NOPTS(config_table), 0, 0, 0},
};

static int subcommand(const lb_args *a)
{
    for (int k = 0; k < LB_BASELINE_NSUB; k++)
        if (a->spec == &lb_spec_baseline[k]) return 1 << k;
    return 0;
}

static int parse(const lb_args *a, bopts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->dir = lb_args_str(a, "--dir", NULL);
    o->config = lb_args_str(a, "--config", NULL);
    o->name = lb_args_str(a, "--name", NULL);
    o->results = lb_args_str(a, "--results", NULL);
    o->baseline = lb_args_str(a, "--baseline", NULL);
    o->issue_body = lb_args_str(a, "--issue-body", NULL);
    o->webhook = lb_args_str(a, "--webhook", NULL);
    o->context = lb_args_str(a, "--context", NULL);
    /* an option the subcommand's table lacks reads as its default */
    o->keep = (long)lb_args_uint(a, "--keep", 0);
    o->timeout_s = lb_args_double(a, "--timeout", 0);
    o->path_only = lb_args_count(a, "--path-only") > 0;
    o->all = lb_args_count(a, "--all") > 0;
    o->always = lb_args_count(a, "--always") > 0;
    o->pos = a->npos ? a->pos[0] : NULL;
    int cmd = subcommand(a);
    if (cmd == SHOW && o->name && o->pos) return lb_errorf(err, errlen, LB_EUSAGE, "baseline show: give the name once");
    if (cmd == NOTIFY && (!o->results || !o->baseline))
        return lb_errorf(err, errlen, LB_EUSAGE, "baseline notify: needs --results CURRENT.h5 and --baseline B.h5");
    if (cmd == PRUNE && o->name && !lb_baseline_name_ok(o->name)) {
        char shown[128];
        return lb_errorf(err, errlen, LB_EUSAGE, "baseline prune: --name '%s' is not a valid name",
                         lb_sanitize(shown, sizeof shown, o->name));
    }
    return LB_OK;
}

int lb_check_baseline(const lb_args *a, char *err, size_t errlen)
{
    bopts o;
    return parse(a, &o, err, errlen);
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
        char shown[4 * LB_BASELINE_PATH_LEN + 8]; /* directory names are anyone's */
        printf("%-10s %-20s %-24s %-7s %s%s\n", "", "", "", "", lb_sanitize(shown, sizeof shown, e[i].path),
               e[i].latest && o->all ? "  (latest)" : "");
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
    /* every string here comes from the file: made terminal-safe */
    const char *raw[] = {path, r.meta.machine, r.meta.git_commit, r.meta.created, r.meta.hostname,
                         r.meta.tool_version, r.meta.build_type, r.meta.compiler, r.meta.command_line};
    enum { NRAW = sizeof raw / sizeof raw[0] };
    static char safe[NRAW][4 * 1024 + 8];
    for (size_t i = 0; i < NRAW; i++) lb_sanitize(safe[i], sizeof safe[i], raw[i] ? raw[i] : "");
    printf("path:         %s\nname:         %s\nmachine:      %s\nmachine key:  %s\ncommit:       %s\n"
           "created:      %s\nhostname:     %s\ntool version: %s\nbuild:        %s (%s)\nbenchmarks:   %zu\n"
           "mpi ranks:    %lld\ncommand:      %s\n",
           safe[0], name_of(o), safe[1], slug, safe[2], safe[3], safe[4], safe[5], safe[6], safe[7], r.nrows,
           (long long)r.meta.mpi_ranks, safe[8]);
    lb_results_free(&r);
    return LB_OK;
}

static int cmd_prune(const bopts *o, const lb_gate_config *cfg, const char *dir, char *err, size_t errlen)
{
    long keep = o->keep ? o->keep : lb_baseline_keep(cfg->keep_history, cfg->max_history_count);
    size_t removed = 0;
    int rc = lb_baseline_prune(dir, o->name, keep, &removed, err, errlen);
    if (!rc) printf("pruned %zu file%s under %s (keeping %ld per machine and name)\n", removed,
                    removed == 1 ? "" : "s", dir, keep);
    return rc;
}

static int cmd_notify(const bopts *o, const lb_gate_config *cfg, char *err, size_t errlen)
{
    long timeout_ms = o->timeout_s > 0 ? (long)ceil(o->timeout_s * 1000) : LB_NOTIFY_TIMEOUT_MS;
    lb_results base, cur;
    lb_comparison cmp;
    memset(&base, 0, sizeof base);
    memset(&cur, 0, sizeof cur);
    memset(&cmp, 0, sizeof cmp);
    int rc = lb_results_read(o->baseline, &base, err, errlen);
    if (!rc) rc = lb_results_read(o->results, &cur, err, errlen);
    if (!rc && (rc = lb_gate_compare(&base, &cur, cfg, &cmp, err, errlen)))
        lb_gate_name_files(err, errlen, o->baseline, o->results);
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

int lb_cmd_baseline(const lb_args *a, const lb_cluster *cl, lb_latent *lt)
{
    char err[LB_ERRLEN] = "";
    int cmd = subcommand(a);
    bopts o;
    int rc = parse(a, &o, err, sizeof err);
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
