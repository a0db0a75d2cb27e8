/* Per-space scratch: buffers a query needs (candidate heaps, scores, packed
 * queries) are kept by the space between calls, so a query of a shape the
 * space has served before allocates nothing. A space holds a few slots; a call
 * leases one (an atomic flag), grows it if it is too small, and hands it back.
 * Concurrent calls on one space take different slots; when all are leased a
 * call falls back to a buffer of its own. Slots are freed with the space and
 * count in its memory like its rows. */
#ifndef LT_SCRATCH_H
#define LT_SCRATCH_H
#include "space_internal.h"
#include "alloc.h"

#include <stdint.h>

typedef struct {
    lt__scratch_slot *slot; /* leased slot, or NULL */
    void             *own;  /* fallback buffer when every slot was leased */
} lt__lease;

/* At least `bytes` (64-byte aligned) for this call; NULL when out of memory. */
void *lt__scratch_get(const lt_space *s, size_t bytes, lt__lease *lease);
void  lt__scratch_put(lt__lease *lease);

/* Frees every slot (lt_space_destroy). */
void lt__scratch_free(lt_space *s);

/* Laying out one scratch buffer: each part 64-byte aligned. */
typedef struct {
    size_t size;
    int    overflow;
} lt__layout;

static inline size_t lt__layout_add(lt__layout *L, size_t count, size_t elsize)
{
    size_t bytes, off = L->size;
    if (!lt__mul_ok(count, elsize, &bytes) || bytes > SIZE_MAX - 128 - off) {
        L->overflow = 1;
        return 0;
    }
    L->size = off + ((bytes + 63) & ~(size_t)63);
    return off;
}

#endif
