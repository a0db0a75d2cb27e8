/* The harness's allocator: every harness allocation goes through it so the
 * harness's own footprint can be reported apart from liblatent's. */
#ifndef LATENTBENCH_ALLOC_H
#define LATENTBENCH_ALLOC_H
#include <stddef.h>

void  *lb_malloc(size_t bytes);               /* NULL on failure or size 0 */
void  *lb_calloc(size_t count, size_t size);  /* NULL on overflow too */
void  *lb_realloc(void *p, size_t bytes);      /* p untouched on failure */
char  *lb_strdup(const char *s);
void   lb_free(void *p);                      /* NULL is fine */
size_t lb_alloc_current(void);                /* bytes held by the harness now */
size_t lb_alloc_peak(void);

/* *out = a * b; 0 (and *out untouched) when the product overflows size_t.
 * Every size computed from untrusted input (suite files, datasets) goes
 * through it before an allocation. */
static inline int lb_size_mul(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r)) return 0;
    *out = r;
    return 1;
}

#endif
