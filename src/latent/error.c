#include "latent/latent.h"

#define LT__STR(x) #x
#define LT__XSTR(x) LT__STR(x)

const char *lt_strerror(int code)
{
    switch (code) {
    case LT_OK: return "success";
#define LT__ERR_CASE(name, value, msg) case LT_##name: return msg;
    LT_ERRNO_MAP(LT__ERR_CASE)
#undef LT__ERR_CASE
    default: return "unknown error";
    }
}

const char *lt_version_string(void)
{
    return LT__XSTR(LT_VERSION_MAJOR) "." LT__XSTR(LT_VERSION_MINOR) "." LT__XSTR(LT_VERSION_PATCH);
}
