/* Counted allocator. A 64-byte header in front of each block keeps the size, so
 * frees can be counted and the payload stays 64-byte aligned. Counts are of
 * bytes requested (what the library asked for), not of the header. */
#include "alloc.h"
#include "latent/latent.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Counters live in per-thread slots, each on its own cache line: threads that
 * allocate at once never write one shared line. A thread takes a slot on its
 * first allocation (round robin); current bytes are the sum over slots (a
 * slot goes negative when it frees what another allocated). The peak is one
 * shared word, written only when the sum passes it. */
#define LT__MEM_SLOTS 16

typedef struct {
    _Alignas(64) atomic_llong bytes;
    atomic_uint_fast64_t allocs;
} mem_slot;

static mem_slot g_slot[LT__MEM_SLOTS];
static _Alignas(64) atomic_size_t g_peak;
static atomic_uint g_next_slot;
static _Alignas(64) atomic_long g_fail_countdown = -1;
static _Thread_local int t_slot = -1;

static mem_slot *my_slot(void)
{
    if (t_slot < 0) t_slot = (int)(atomic_fetch_add_explicit(&g_next_slot, 1, memory_order_relaxed) % LT__MEM_SLOTS);
    return &g_slot[t_slot];
}

static size_t current_bytes(void)
{
    long long sum = 0;
    for (int i = 0; i < LT__MEM_SLOTS; i++) sum += atomic_load(&g_slot[i].bytes);
    return sum > 0 ? (size_t)sum : 0;
}

static int should_fail(void)
{
    long c = atomic_load_explicit(&g_fail_countdown, memory_order_relaxed);
    while (c > 0) {
        if (atomic_compare_exchange_weak(&g_fail_countdown, &c, c - 1)) return c == 1;
    }
    return 0;
}

static void count_alloc(size_t bytes)
{
    mem_slot *m = my_slot();
    atomic_fetch_add(&m->bytes, (long long)bytes);
    atomic_fetch_add_explicit(&m->allocs, 1, memory_order_relaxed);
    size_t cur = current_bytes();
    size_t peak = atomic_load_explicit(&g_peak, memory_order_relaxed);
    while (cur > peak && !atomic_compare_exchange_weak(&g_peak, &peak, cur)) {}
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
    atomic_fetch_sub(&my_slot()->bytes, (long long)block_size(p));
    free((unsigned char *)p - LT_ALIGN);
}

lt_mem_stats lt_mem_stats_get(void)
{
    lt_mem_stats s;
    s.current_bytes = current_bytes();
    s.peak_bytes = atomic_load(&g_peak);
    if (s.peak_bytes < s.current_bytes) s.peak_bytes = s.current_bytes;
    s.allocations = 0;
    for (int i = 0; i < LT__MEM_SLOTS; i++) s.allocations += atomic_load_explicit(&g_slot[i].allocs, memory_order_relaxed);
    return s;
}

void lt_mem_reset_peak(void)
{
    atomic_store(&g_peak, current_bytes());
    for (int i = 0; i < LT__MEM_SLOTS; i++) atomic_store_explicit(&g_slot[i].allocs, 0, memory_order_relaxed);
}

void lt_mem_fail_after(long n)
{
    atomic_store(&g_fail_countdown, n > 0 ? n : -1);
}
