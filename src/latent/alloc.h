/* The one allocator of liblatent: 64-byte aligned, counted, failable on purpose. */
#ifndef LT_ALLOC_H
#define LT_ALLOC_H
#include <stddef.h>

#define LT_ALIGN 64

void *lt__malloc(size_t bytes);                  /* 64-byte aligned; NULL on failure or size 0 */
void *lt__calloc(size_t count, size_t size);     /* zeroed; NULL on overflow too */
void *lt__realloc(void *p, size_t bytes);         /* contents kept; p untouched on failure */
void  lt__free(void *p);                         /* NULL is fine */

/* a * b into *out; 0 on overflow. */
static inline int lt__mul_ok(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

#endif
