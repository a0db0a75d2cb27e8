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

#endif
