#define _POSIX_C_SOURCE 200809L
#include "latentbench/bench.h"

#include <time.h>

uint64_t lb_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void lb_clock_calibrate(double *resolution_ns, double *overhead_ns)
{
    /* resolution: the smallest positive difference between consecutive reads */
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 2000; i++) {
        uint64_t a = lb_clock_ns(), b;
        while ((b = lb_clock_ns()) == a) {}
        if (b - a < best) best = b - a;
    }
    /* overhead: the cost of one read, from a long run of reads */
    enum { N = 200000 };
    uint64_t t0 = lb_clock_ns(), sink = 0;
    for (int i = 0; i < N; i++) sink += lb_clock_ns();
    uint64_t t1 = lb_clock_ns();
    lb_consume(&sink);
    if (resolution_ns) *resolution_ns = (double)best;
    if (overhead_ns) *overhead_ns = (double)(t1 - t0) / N;
}
