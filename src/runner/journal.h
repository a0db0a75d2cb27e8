/* The journal of a run (docs/RESULTS.md, "Journal"): an append-only file
 * beside the results file into which every completed row is written, and
 * fdatasync'd, as it completes, so that a run killed at its walltime keeps
 * what it measured and `run --resume` measures only the rest.
 *
 *   header   "LBJOURNL" | u32 version (1) | u32 n | u32 crc32(text) | text (n bytes)
 *   record   u32 n | u32 crc32(payload) | payload (n bytes)      ... repeated
 *
 * Integers in the byte order of the machine that wrote it: a journal is read
 * back by the same build of latentbench (its header says which), never
 * exchanged. The header text is "key=value" lines: the run's identity (run=,
 * rank=) and the fingerprint of everything that decides what is measured and
 * how (lb__journal_fingerprint). This file knows nothing of what a payload
 * holds: the runner puts its gather records there. */
#ifndef LB_RUNNER_JOURNAL_H
#define LB_RUNNER_JOURNAL_H

#include "runner_internal.h"

#include <stddef.h>
#include <stdint.h>

#define LB_JOURNAL_VERSION 1u
#define LB_JOURNAL_HEADER_MAX 8192

/* The fingerprint lines of a run: latentbench build and record layout, library
 * hash, suites, filter, the cases' content hash, workload scale, seed,
 * resamples, rounds, warm-up, measurement time, sample size, budget, dataset
 * (path, size, mtime), shard mode, ranks, node concurrency. Keys are the option
 * names, so a difference can be named as the option to fix. */
int lb__journal_fingerprint(const lb_run_opts *o, const lb_case_list *list, lb_shard mode, const lb_cluster *cl,
                            size_t record_size, char *fp, size_t len);

/* The first fingerprint key whose value differs between a and b (run= and
 * rank= are not compared): 1 with key and both values copied out, else 0. */
int lb__journal_differs(const char *a, const char *b, char *key, size_t klen, char *va, char *vb, size_t vlen);

/* The value of key in header text h ("" when absent), into v. */
void lb__journal_value(const char *h, const char *key, char *v, size_t vlen);

/* Creates path afresh (truncating what was there) with the header text, and
 * fsyncs it and its directory. *fd stays open for lb__journal_append.
 * LB_EIO with "path: cause" in err. */
int lb__journal_create(const char *path, const char *header, int *fd, char *err, size_t errlen);

/* Appends one record (a single write, then fdatasync). LB_EIO. */
int lb__journal_append(int fd, const void *payload, size_t n);

/* A journal read back: the header text, each whole record's payload (offsets
 * into data), and good_len: the bytes up to the end of the last whole record
 * (a torn last record, from a kill mid-write, is left out). */
typedef struct {
    unsigned char *data;
    size_t         len, good_len;
    char          *header; /* NUL-terminated, lb_malloc'd */
    size_t        *off, *size, n;
    int            torn;   /* a torn tail was left out */
} lb_journal_file;

/* Reads path: LB_ENOINPUT when it does not exist; LB_EDATA ("path: cause",
 * cause: not a journal, another version, a damaged header, or a damaged
 * record that is not the last one); LB_EIO, LB_ENOMEM. On an error j holds
 * nothing to free. */
int  lb__journal_read(const char *path, lb_journal_file *j, char *err, size_t errlen);
void lb__journal_file_free(lb_journal_file *j);

/* CRC-32 (IEEE 802.3) of p[0..n). */
uint32_t lb__crc32(const void *p, size_t n);

#endif
