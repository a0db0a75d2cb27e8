#include "idset.h"
#include "alloc.h"

#define LT__ID_EMPTY UINT64_MAX

static inline size_t hash_id(uint64_t x, size_t mask)
{
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27; x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return (size_t)x & mask;
}

void lt__idset_free(lt__idset *set)
{
    lt__free(set->slots);
    set->slots = NULL;
    set->cap = set->count = 0;
    set->has_empty_key = 0;
}

static void place(uint64_t *slots, size_t mask, uint64_t id)
{
    size_t h = hash_id(id, mask);
    while (slots[h] != LT__ID_EMPTY) h = (h + 1) & mask;
    slots[h] = id;
}

int lt__idset_reserve(lt__idset *set, size_t total)
{
    /* load factor at most 1/2 keeps probes short */
    size_t need = 16;
    while (need / 2 < total) {
        if (need > SIZE_MAX / 4) return LT_EOVERFLOW;
        need *= 2;
    }
    if (need <= set->cap) return LT_OK;
    size_t bytes;
    if (!lt__mul_ok(need, sizeof(uint64_t), &bytes)) return LT_EOVERFLOW;
    uint64_t *slots = lt__malloc(bytes);
    if (!slots) return LT_ENOMEM;
    for (size_t i = 0; i < need; i++) slots[i] = LT__ID_EMPTY;
    for (size_t i = 0; i < set->cap; i++)
        if (set->slots[i] != LT__ID_EMPTY) place(slots, need - 1, set->slots[i]);
    lt__free(set->slots);
    set->slots = slots;
    set->cap = need;
    return LT_OK;
}

int lt__idset_contains(const lt__idset *set, uint64_t id)
{
    if (id == LT__ID_EMPTY) return set->has_empty_key;
    if (!set->cap) return 0;
    size_t mask = set->cap - 1, h = hash_id(id, mask);
    while (set->slots[h] != LT__ID_EMPTY) {
        if (set->slots[h] == id) return 1;
        h = (h + 1) & mask;
    }
    return 0;
}

int lt__idset_insert(lt__idset *set, uint64_t id)
{
    if (id == LT__ID_EMPTY) {
        if (set->has_empty_key) return 0;
        set->has_empty_key = 1;
        set->count++;
        return 1;
    }
    size_t mask = set->cap - 1, h = hash_id(id, mask);
    while (set->slots[h] != LT__ID_EMPTY) {
        if (set->slots[h] == id) return 0;
        h = (h + 1) & mask;
    }
    set->slots[h] = id;
    set->count++;
    return 1;
}

void lt__idset_remove(lt__idset *set, uint64_t id)
{
    if (id == LT__ID_EMPTY) {
        if (set->has_empty_key) { set->has_empty_key = 0; set->count--; }
        return;
    }
    if (!set->cap) return;
    size_t mask = set->cap - 1, h = hash_id(id, mask);
    while (set->slots[h] != id) {
        if (set->slots[h] == LT__ID_EMPTY) return;
        h = (h + 1) & mask;
    }
    /* backward shift: pull later members of the probe run into the hole */
    size_t hole = h, j = h;
    for (;;) {
        j = (j + 1) & mask;
        if (set->slots[j] == LT__ID_EMPTY) break;
        size_t home = hash_id(set->slots[j], mask);
        /* move j into the hole unless its home lies cyclically in (hole, j] */
        int stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            set->slots[hole] = set->slots[j];
            hole = j;
        }
    }
    set->slots[hole] = LT__ID_EMPTY;
    set->count--;
}
