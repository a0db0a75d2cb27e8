/* Numbers with units for people: one style in every table, report and export.
 * A value is scaled to the largest decimal (SI) prefix that keeps it at or
 * above 1, the prefix written directly before the unit ("12.3 kelem/s",
 * "4.56 µs", "789 MB/s"), with three significant digits (1.23, 12.3, 123);
 * a value that would round to 1000 moves up a prefix first. */
#ifndef LATENTBENCH_UNITS_H
#define LATENTBENCH_UNITS_H
#include <stddef.h>

/* ns, µs, ms, s (no larger unit: "1234 s"). Non-finite: "-". */
void lb_units_time(char *buf, size_t len, double ns);

/* unit per second with an SI prefix: lb_units_rate(b, n, 12345, "elem") is
 * "12.3 kelem/s", lb_units_rate(b, n, 2.5e9, "B") "2.50 GB/s". Non-finite or
 * <= 0 (not declared): "-". */
void lb_units_rate(char *buf, size_t len, double per_s, const char *unit);

/* Bytes: "512 B", "1.50 kB", "12.3 MB", "4.00 GB" (decimal prefixes, as the
 * rates). Non-finite or negative: "-". */
void lb_units_bytes(char *buf, size_t len, double bytes);

#endif
