/* Counted allocator. A 64-byte header in front of each block keeps the size, so
 * frees can be counted and the payload stays 64-byte aligned. Counts are of
 * bytes requested (what the library asked for), not of the header. */
#include "alloc.h"
#include "latent/latent.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static atomic_size_t g_current;
static atomic_size_t g_peak;
static atomic_uint_fast64_t g_allocs;
static atomic_long g_fail_countdown = -1;

static int should_fail(void)
{
    long c = atomic_load(&g_fail_countdown);
    while (c > 0) {
        if (atomic_compare_exchange_weak(&g_fail_countdown, &c, c - 1)) return c == 1;
    }
    return 0;
}

static void count_alloc(size_t bytes)
{
    size_t cur = atomic_fetch_add(&g_current, bytes) + bytes;
    size_t peak = atomic_load(&g_peak);
    while (cur > peak && !atomic_compare_exchange_weak(&g_peak, &peak, cur)) {}
    atomic_fetch_add(&g_allocs, 1);
}

void *lt__malloc(size_t bytes)
{
    if (bytes == 0 || bytes > SIZE_MAX - 2 * LT_ALIGN || should_fail()) return NULL;
    size_t total = (bytes + LT_ALIGN + LT_ALIGN - 1) & ~(size_t)(LT_ALIGN - 1);
    unsigned char *base = aligned_alloc(LT_ALIGN, total);
    if (!base) return NULL;
    memcpy(base, &bytes, sizeof bytes);
    count_alloc(bytes);
    return base + LT_ALIGN;
}

void *lt__calloc(size_t count, size_t size)
{
    size_t bytes;
    if (!lt__mul_ok(count, size, &bytes)) return NULL;
    void *p = lt__malloc(bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

static size_t block_size(const void *p)
{
    size_t bytes;
    memcpy(&bytes, (const unsigned char *)p - LT_ALIGN, sizeof bytes);
    return bytes;
}

void *lt__realloc(void *p, size_t bytes)
{
    if (!p) return lt__malloc(bytes);
    void *q = lt__malloc(bytes);
    if (!q) return NULL;
    size_t old = block_size(p);
    memcpy(q, p, old < bytes ? old : bytes);
    lt__free(p);
    return q;
}

void lt__free(void *p)
{
    if (!p) return;
    atomic_fetch_sub(&g_current, block_size(p));
    free((unsigned char *)p - LT_ALIGN);
}

lt_mem_stats lt_mem_stats_get(void)
{
    lt_mem_stats s;
    s.current_bytes = atomic_load(&g_current);
    s.peak_bytes = atomic_load(&g_peak);
    s.allocations = atomic_load(&g_allocs);
    return s;
}

void lt_mem_reset_peak(void)
{
    atomic_store(&g_peak, atomic_load(&g_current));
    atomic_store(&g_allocs, 0);
}

void lt_mem_fail_after(long n)
{
    atomic_store(&g_fail_countdown, n > 0 ? n : -1);
}
