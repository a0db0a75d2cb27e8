/* probe: the hardware bounds of this node (latentbench/probe.h,
 * docs/PROBE.md) as a table, or as JSON on stdout or in a file. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "cli.h"
#include "latentbench/error.h"
#include "latentbench/fileio.h"
#include "latentbench/probe.h"
#include "latentbench/units.h"

#include <latent/latent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const lb_opt probe_table[] = {
    LB_OPT_U("--threads", 1, LB_PROBE_MAX_THREADS, "N",
             "the multi-threaded count (default: OMP_NUM_THREADS, else the cores of the affinity set)"),
    LB_OPT_F("--quick", "the probe run makes at its start (about 1 s): fewer repetitions, a smaller buffer, one FMA ISA"),
    LB_OPT_F("--json", "JSON on stdout instead of the table"),
    LB_OPT_S("--output", "-o", "FILE", "write the JSON to FILE (atomically) as well as the table"),
    LB_OPT_S("--lib", NULL, "FILE", "the build of liblatent whose ISA the read kernels use (default: the one beside latentbench)"),
};

const lb_cmd_spec lb_spec_probe = {
    "probe", "[OPTIONS]", "measure this node's hardware bounds (bandwidth, FMA peak)",
    "Measures read bandwidth from memory and hot in cache (for working sets from 16 KiB to the last-level\n"
    "cache), STREAM triad bandwidth and the FMA peak of each ISA the CPU has, on one thread and on\n"
    "--threads threads, and prints them (docs/PROBE.md). run measures the same at its start (--quick, plus\n"
    "the hot read at each of its kNN and attention rows' working sets) and stores them as /bounds, with\n"
    "each row's bound. Takes a few seconds.",
    probe_table, LB_NOPTS(probe_table), 0, 0, 0};

int lb_check_probe(const lb_args *a, char *err, size_t errlen)
{
    if (lb_args_count(a, "--json") && lb_args_count(a, "--output"))
        return lb_errorf(err, errlen, LB_EUSAGE, "probe: --json and -o both choose where the JSON goes: give one");
    const char *out = lb_args_str(a, "--output", NULL);
    if (out && !*out) return lb_errorf(err, errlen, LB_EUSAGE, "probe: -o: the file name is empty");
    return LB_OK;
}

/* OMP_NUM_THREADS when it is a valid count, else the affinity set's cores. */
static int default_threads(void)
{
    long v = lb_omp_threads_parse(getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "");
    if (v > 0) return v > LB_PROBE_MAX_THREADS ? LB_PROBE_MAX_THREADS : (int)v;
    cpu_set_t set;
    CPU_ZERO(&set);
    long n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > LB_PROBE_MAX_THREADS ? LB_PROBE_MAX_THREADS : (int)n;
}

static void print_table(FILE *out, const lb_probe_result *r, const char *isa, int threads)
{
    char llc[32], mem[32];
    lb_units_bytes(llc, sizeof llc, (double)r->llc_bytes);
    lb_units_bytes(mem, sizeof mem, (double)r->mem_bytes);
    fprintf(out, "probe: %d thread%s, liblatent ISA %s, last-level cache %s, memory buffer %s, %.1f s\n", threads,
            threads == 1 ? "" : "s", isa, llc, mem, r->seconds);
    fprintf(out, "%-9s %-7s %7s %12s %14s\n", "kind", "isa", "threads", "working set", "value");
    for (size_t i = 0; i < r->nbounds; i++) {
        const lb_bound *b = &r->bounds[i];
        char ws[32], v[48];
        if (b->bytes) lb_units_bytes(ws, sizeof ws, (double)b->bytes);
        else snprintf(ws, sizeof ws, "-");
        lb_units_rate(v, sizeof v, b->value, strcmp(b->unit, "B/s") == 0 ? "B" : "flop");
        fprintf(out, "%-9s %-7s %7lld %12s %14s\n", b->kind, b->isa, (long long)b->threads, ws, v);
    }
}

typedef struct {
    const lb_probe_result *r;
    const char *isa;
    int threads;
} json_ctx;

static int write_json(FILE *out, void *arg)
{
    const json_ctx *c = arg;
    const lb_probe_result *r = c->r;
    fprintf(out, "{\n  \"isa\": \"%s\",\n  \"threads\": %d,\n  \"llc_bytes\": %llu,\n  \"mem_bytes\": %llu,\n"
                 "  \"seconds\": %.3f,\n  \"bounds\": [",
            c->isa, c->threads, (unsigned long long)r->llc_bytes, (unsigned long long)r->mem_bytes, r->seconds);
    for (size_t i = 0; i < r->nbounds; i++) {
        const lb_bound *b = &r->bounds[i];
        fprintf(out, "%s\n    {\"kind\": \"%s\", \"isa\": \"%s\", \"threads\": %lld, \"bytes\": %llu, \"value\": %.6g, "
                     "\"unit\": \"%s\"}",
                i ? "," : "", b->kind, b->isa, (long long)b->threads, (unsigned long long)b->bytes, b->value, b->unit);
    }
    fprintf(out, "\n  ]\n}\n");
    return ferror(out) ? LB_EIO : LB_OK;
}

int lb_cmd_probe(const lb_args *a, const lb_cluster *cl, lb_latent *lt)
{
    char err[LB_ERRLEN];
    if (lb_check_probe(a, err, sizeof err)) {
        lb_report(cl, err);
        return LB_EUSAGE;
    }
    const char *out = lb_args_str(a, "--output", NULL);
    int json = lb_args_count(a, "--json") > 0, quick = lb_args_count(a, "--quick") > 0;
    int threads = lb_args_count(a, "--threads") ? (int)lb_args_uint(a, "--threads", 1) : default_threads();
    int rc = out ? lb_check_output(out, err, sizeof err) : LB_OK;
    if (!rc) rc = lb_cli_open_latent(cl, lb_args_str(a, "--lib", NULL), lt, err, sizeof err);
    if (rc) {
        lb_report(cl, err);
        return rc;
    }
    const char *isa = lt->isa_name(lt->isa_active());
    lb_probe_opts po = {threads, isa, !quick, NULL, 0};
    lb_probe_result r;
    if ((rc = lb_probe_run(&po, &r, err, sizeof err))) {
        lb_report(cl, err);
        return rc;
    }
    json_ctx jc = {&r, isa, threads};
    if (cl->rank == 0) {
        if (json) rc = write_json(stdout, &jc);
        else print_table(stdout, &r, isa, threads);
        if (!rc && out && (rc = lb_write_atomic(out, write_json, &jc, err, sizeof err))) lb_report(cl, err);
    }
    lb_probe_free(&r);
    return rc;
}
