/* Counted allocator of the harness: a 16-byte header keeps each block's size. */
#include "latentbench/alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LB_HDR 16

static atomic_size_t g_current, g_peak;

void *lb_malloc(size_t bytes)
{
    if (bytes == 0 || bytes > SIZE_MAX - LB_HDR) return NULL;
    unsigned char *p = malloc(bytes + LB_HDR);
    if (!p) return NULL;
    memcpy(p, &bytes, sizeof bytes);
    size_t cur = atomic_fetch_add(&g_current, bytes) + bytes;
    size_t peak = atomic_load(&g_peak);
    while (cur > peak && !atomic_compare_exchange_weak(&g_peak, &peak, cur)) {}
    return p + LB_HDR;
}

void *lb_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = lb_malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *lb_realloc(void *p, size_t bytes)
{
    if (!p) return lb_malloc(bytes);
    size_t old;
    memcpy(&old, (unsigned char *)p - LB_HDR, sizeof old);
    void *q = lb_malloc(bytes);
    if (!q) return NULL;
    memcpy(q, p, old < bytes ? old : bytes);
    lb_free(p);
    return q;
}

char *lb_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = lb_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void lb_free(void *p)
{
    if (!p) return;
    size_t bytes;
    memcpy(&bytes, (unsigned char *)p - LB_HDR, sizeof bytes);
    atomic_fetch_sub(&g_current, bytes);
    free((unsigned char *)p - LB_HDR);
}

size_t lb_alloc_current(void) { return atomic_load(&g_current); }
size_t lb_alloc_peak(void) { return atomic_load(&g_peak); }
