/* Open-addressing set of 64-bit ids (linear probing, backward-shift deletion so
 * a failed batch can take its ids out again without tombstones). */
#ifndef LT_IDSET_H
#define LT_IDSET_H
#include "space_internal.h"

void lt__idset_free(lt__idset *set);
int  lt__idset_reserve(lt__idset *set, size_t total); /* LT_OK or LT_ENOMEM / LT_EOVERFLOW */
int  lt__idset_contains(const lt__idset *set, uint64_t id);
/* Inserts id (capacity must be reserved); 0 when it was already present. */
int  lt__idset_insert(lt__idset *set, uint64_t id);
void lt__idset_remove(lt__idset *set, uint64_t id);

#endif
