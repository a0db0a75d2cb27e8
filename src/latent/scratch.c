#include "scratch.h"

void *lt__scratch_get(const lt_space *cs, size_t bytes, lt__lease *lease)
{
    /* the slots are the one mutable part of a space a query touches; each is
     * owned by whoever set its flag */
    lt_space *s = (lt_space *)cs;
    lease->slot = NULL;
    lease->own = NULL;
    if (bytes == 0) bytes = 64;
    for (int i = 0; i < LT__SCRATCH_SLOTS; i++) {
        lt__scratch_slot *sl = &s->scratch[i];
        int free_flag = 0;
        if (atomic_load_explicit(&sl->busy, memory_order_relaxed) ||
            !atomic_compare_exchange_strong(&sl->busy, &free_flag, 1))
            continue;
        if (sl->cap < bytes) {
            /* grow to the size asked, rounded to pages: shapes that differ a
             * little reuse the slot */
            size_t want = bytes > SIZE_MAX - 4095 ? bytes : (bytes + 4095) & ~(size_t)4095;
            lt__free(sl->buf);
            sl->buf = lt__malloc(want);
            sl->cap = sl->buf ? want : 0;
            if (!sl->buf) {
                atomic_store(&sl->busy, 0);
                return NULL;
            }
        }
        lease->slot = sl;
        return sl->buf;
    }
    lease->own = lt__malloc(bytes);
    return lease->own;
}

void lt__scratch_put(lt__lease *lease)
{
    if (lease->slot) atomic_store(&lease->slot->busy, 0);
    lt__free(lease->own);
    lease->slot = NULL;
    lease->own = NULL;
}

void lt__scratch_free(lt_space *s)
{
    for (int i = 0; i < LT__SCRATCH_SLOTS; i++) {
        lt__free(s->scratch[i].buf);
        s->scratch[i].buf = NULL;
        s->scratch[i].cap = 0;
    }
}
