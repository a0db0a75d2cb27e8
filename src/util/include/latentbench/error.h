/* Error codes of the latentbench harness (lb_ prefix). Functions return 0 or a
 * negative LB_E* code; main maps a code to the documented exit status with
 * lb_exit_code(). One table generates the enum, the messages and the statuses. */
#ifndef LATENTBENCH_ERROR_H
#define LATENTBENCH_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, code, exit status, message) */
#define LB_ERRNO_MAP(X)                                                     \
    X(EUSAGE,    -1, 64, "usage error")                                     \
    X(EDATA,     -2, 65, "invalid input data")                              \
    X(ENOINPUT,  -3, 66, "input file missing")                              \
    X(EIO,       -4, 74, "I/O error")                                       \
    X(ENOMEM,    -5, 70, "out of memory")                                   \
    X(EINTERNAL, -6, 70, "internal error")                                  \
    X(EVERIFY,   -7, 1,  "verification failed")                             \
    X(EINTR,     -8, 130, "interrupted")

typedef enum {
    LB_OK = 0,
#define LB__ERR_ENUM(name, code, status, msg) LB_##name = (code),
    LB_ERRNO_MAP(LB__ERR_ENUM)
#undef LB__ERR_ENUM
} lb_status;

/* Message for an LB_* code ("unknown error" otherwise); never NULL. */
const char *lb_strerror(int code);

/* Process exit status for an LB_* code: 0 for LB_OK, 64 usage, 65 bad data,
 * 66 missing input, 74 I/O error writing, 70 internal / out of memory,
 * 128 + the signal for LB_EINTR (130 SIGINT, 143 SIGTERM; latentbench/interrupt.h). */
int lb_exit_code(int code);

/* Formats one error line "file:place: cause" into buf (truncating safely) and
 * returns code, so callers can write `return lb_errorf(buf, n, LB_EDATA, "...")`. */
int lb_errorf(char *buf, unsigned long len, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#ifdef __cplusplus
}
#endif
#endif
