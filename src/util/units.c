/* One unit style for every output (latentbench/units.h). */
#include "latentbench/units.h"

#include <stdio.h>

static double absval(double v)
{
    return v < 0 ? -v : v;
}

/* v scaled by 1000 per step through prefixes[0..n), three significant digits;
 * integral: the unscaled unit counts whole things (bytes) and has no decimals. */
static void scaled(char *buf, size_t len, double v, const char *const *prefixes, size_t n, const char *unit,
                   int integral)
{
    size_t u = 0;
    /* 999.5 would print as "1000": move up before rounding does */
    while (absval(v) >= 999.5 && u + 1 < n) v /= 1000.0, u++;
    double a = absval(v);
    const char *fmt = (u == 0 && integral) || a >= 99.95 ? "%.0f %s%s" : a >= 9.995 ? "%.1f %s%s" : "%.2f %s%s";
    snprintf(buf, len, fmt, v, prefixes[u], unit);
}

static int finite(double v)
{
    return v == v && v - v == 0.0; /* NaN fails the first, infinities the second */
}

void lb_units_time(char *buf, size_t len, double ns)
{
    static const char *const units[] = {"ns", "µs", "ms", "s"};
    if (!finite(ns)) snprintf(buf, len, "-");
    else scaled(buf, len, ns, units, 4, "", 0);
}

void lb_units_rate(char *buf, size_t len, double per_s, const char *unit)
{
    static const char *const prefixes[] = {"", "k", "M", "G", "T", "P"};
    char u[48];
    snprintf(u, sizeof u, "%s/s", unit ? unit : "");
    if (!finite(per_s) || per_s <= 0) snprintf(buf, len, "-");
    else scaled(buf, len, per_s, prefixes, 6, u, 0);
}

void lb_units_bytes(char *buf, size_t len, double bytes)
{
    static const char *const prefixes[] = {"", "k", "M", "G", "T", "P"};
    if (!finite(bytes) || bytes < 0) snprintf(buf, len, "-");
    else scaled(buf, len, bytes, prefixes, 6, "B", 1);
}
