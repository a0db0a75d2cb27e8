/* Telling people about a comparison: a JSON summary POSTed to a webhook
 * (regression_actions.notify_team) and a Markdown issue body that a CI
 * workflow posts (regression_actions.create_issue). Implemented in
 * src/baseline/ (lb_baseline, with libcurl). Neither ever changes a
 * comparison's outcome: callers report a failure as a warning. */
#ifndef LATENTBENCH_NOTIFY_H
#define LATENTBENCH_NOTIFY_H

#include "latentbench/gate.h"

#include <stddef.h>

#define LB_NOTIFY_TIMEOUT_MS 10000L        /* whole request */
#define LB_NOTIFY_CONNECT_TIMEOUT_MS 5000L /* connection, capped by the total */
#define LB_NOTIFY_MAX_ROWS 50              /* rows listed per verdict in the JSON */

/* POSTs json (Content-Type: application/json) to url, an http:// or https://
 * URL; redirects are not followed. timeout_ms bounds the whole request (<= 0:
 * LB_NOTIFY_TIMEOUT_MS). LB_OK when the server answered 2xx; LB_EUSAGE for a
 * URL of another scheme; LB_EIO for anything else (no connection, timeout,
 * HTTP status >= 300) with err = "webhook URL: cause", URL as
 * lb_notify_redact_url prints it. */
int lb_notify_webhook(const char *url, const char *json, long timeout_ms, char *err, size_t errlen);

/* The one form in which a URL is ever printed: its host (with port), userinfo
 * shown as "***@", and "/..." for whatever follows (a webhook's path and query
 * are its secret), passed through lb_sanitize; e.g.
 * "https://user:pa/ss@hooks.example/T0/B0/xyz?t=1" is "***@hooks.example/...". Userinfo ends at the URL's last '@', so a
 * password holding '/' is never mistaken for the host. Returns dst. */
char *lb_notify_redact_url(char *dst, size_t len, const char *url);

/* The comparison summary as a JSON object (lb_malloc'd, NUL-terminated; NULL
 * when out of memory): "text" (one line, so Slack shows it as the message),
 * "status" ("regression" / "improvement" / "no_change"), "exit_status"
 * (0/1/2), "context", "counts", "baseline" and "current" ({commit, machine}),
 * "machine_differs", "regressions" and "improvements" (at most
 * LB_NOTIFY_MAX_ROWS rows each: id, baseline_median_ns, current_median_ns,
 * median_change_pct, threshold_pct, p_value, time, memory, peak_change_pct,
 * alloc_change_pct; non-finite numbers are null) and "truncated" (rows left
 * out). context (may be NULL) says where this ran, e.g. branch and CI URL. */
char *lb_notify_summary_json(const lb_comparison *cmp, const char *context);

/* Writes a Markdown issue body for cmp to path, atomically (temporary file +
 * rename): a "# " title line (a workflow may use it as the issue title), the
 * context, commits and machines, counts, and tables of the regressions and
 * improvements. LB_EIO when it cannot be written (nothing is left behind). */
int lb_write_issue_body(const char *path, const lb_comparison *cmp, const char *context, char *err, size_t errlen);

/* 1 if any regression, else 2 if any improvement, else 0: the same contract
 * as lb_gate_exit_status, from cmp->counts alone. */
int lb_notify_exit_status(const lb_comparison *cmp);

#endif
