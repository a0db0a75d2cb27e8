/* Baseline storage: earlier results files kept per machine fingerprint and
 * per name, with history. Implemented in src/baseline/ (lb_baseline).
 *
 *   DIR/<machine-slug>/machine.txt          the full fingerprint (lb_meta.machine)
 *   DIR/<machine-slug>/<name>/<stamp>-<NN>_<commit>.h5
 *
 * <stamp> is the UTC save time as YYYYMMDDTHHMMSSZ and NN a two-digit sequence
 * that keeps names unique and increasing, so the latest baseline is the
 * greatest file name: no pointer file can go stale. Files are complete results
 * files (validated with lb_results_read before they are stored) and appear
 * atomically: a temporary file in the same directory is linked to its final
 * name, which never replaces an existing file. docs/BASELINES.md has the rest. */
#ifndef LATENTBENCH_BASELINE_H
#define LATENTBENCH_BASELINE_H

#include <stddef.h>

#define LB_BASELINE_DEFAULT_DIR "benches/baselines"
#define LB_BASELINE_DEFAULT_NAME "main"
#define LB_BASELINE_SLUG_LEN 64   /* slug buffer size, NUL included */
#define LB_BASELINE_NAME_MAX 64   /* longest name, NUL excluded */
#define LB_BASELINE_PATH_LEN 4096

/* The directory key of a machine fingerprint: a lowercase [a-z0-9-] slug of the
 * fingerprint (at most 40 characters) then "-" and 8 hex digits of its 64-bit
 * FNV-1a hash, e.g. "intel-xeon-platinum-8480-16-cores-avx512-3f0c2a91". Two
 * fingerprints that slug alike still differ by the hash. NULL or "" counts as
 * "unknown". out must hold LB_BASELINE_SLUG_LEN bytes. */
void lb_baseline_machine_slug(const char *machine, char out[LB_BASELINE_SLUG_LEN]);

/* 1 if name is a valid baseline name: 1 to LB_BASELINE_NAME_MAX characters of
 * [A-Za-z0-9._-], not starting with '.'; else 0. */
int lb_baseline_name_ok(const char *name);

/* How many files a (machine, name) keeps: 1 without history, max_count with
 * it, 0 (no limit) when max_count < 1. */
long lb_baseline_keep(int keep_history, long max_count);

/* Validates results_path with lb_results_read and stores a byte copy as the
 * newest baseline `name` of the machine recorded in the file, creating
 * directories as needed; then keeps only the `keep` newest files of that
 * (machine, name) (0: all). On success the stored path is in saved (may be
 * NULL) and *pruned (may be NULL) counts the files removed.
 * LB_EUSAGE for a bad name; LB_ENOINPUT when results_path is missing; LB_EDATA
 * when it is not a valid results file (nothing is written); LB_EIO when the
 * store cannot be written (nothing is left behind). */
int lb_baseline_save(const char *dir, const char *name, const char *results_path, long keep, char *saved,
                     size_t savedlen, size_t *pruned, char *err, size_t errlen);

/* The path of the latest baseline `name` for machine fingerprint `machine`.
 * LB_ENOINPUT (err says what was looked for) when there is none, LB_EUSAGE for
 * a bad name, LB_EIO when the directory cannot be read or path is too small. */
int lb_baseline_latest(const char *dir, const char *machine, const char *name, char *path, size_t pathlen,
                       char *err, size_t errlen);

/* Removes all but the `keep` newest files of every name of every machine under
 * dir (only names equal to `name` when it is not NULL), plus temporary files
 * left by interrupted saves. keep < 1 removes nothing but those. *removed
 * (may be NULL) counts what went. A missing dir is fine (nothing to do).
 * Never follows a symlink below dir (machine and name directories are opened
 * with O_NOFOLLOW) and unlinks only regular files: a link is not a baseline. */
int lb_baseline_prune(const char *dir, const char *name, long keep, size_t *removed, char *err, size_t errlen);

/* One stored baseline, as listed (nothing is read but names and machine.txt).
 * slug, commit and machine are for display, passed through lb_sanitize; path
 * is the real path (sanitise it before printing). */
typedef struct {
    char  slug[LB_BASELINE_SLUG_LEN];
    char  name[LB_BASELINE_NAME_MAX + 1];
    char  saved[24];      /* "2024-05-01T12:00:00Z", from the file name */
    char  commit[48];     /* from the file name */
    char *machine;        /* machine.txt's content, "" when absent */
    char *path;
    int   latest;         /* 1 for the newest file of its (machine, name) */
} lb_baseline_entry;

/* Every stored baseline under dir, sorted by slug, name, then oldest first.
 * A missing dir gives 0 entries. Free with lb_baseline_list_free. */
int  lb_baseline_list(const char *dir, lb_baseline_entry **out, size_t *n, char *err, size_t errlen);
void lb_baseline_list_free(lb_baseline_entry *e, size_t n);

#endif
