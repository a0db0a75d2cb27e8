#include "latentbench/error.h"
#include "latentbench/interrupt.h"

#include <stdarg.h>
#include <stdio.h>

const char *lb_strerror(int code)
{
    switch (code) {
    case LB_OK: return "success";
#define LB__ERR_MSG(name, value, status, msg) case LB_##name: return msg;
    LB_ERRNO_MAP(LB__ERR_MSG)
#undef LB__ERR_MSG
    default: return "unknown error";
    }
}

int lb_exit_code(int code)
{
    if (code == LB_EINTR && lb_interrupted()) return 128 + lb_interrupted();
    switch (code) {
    case LB_OK: return 0;
#define LB__ERR_STATUS(name, value, status, msg) case LB_##name: return status;
    LB_ERRNO_MAP(LB__ERR_STATUS)
#undef LB__ERR_STATUS
    default: return 70;
    }
}

int lb_errorf(char *buf, unsigned long len, int code, const char *fmt, ...)
{
    if (buf && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, len, fmt, ap);
        va_end(ap);
    }
    return code;
}
