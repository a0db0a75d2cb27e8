/* Bounded max-heap of the k best candidates, ordered as the API reports them:
 * by distance, then by smaller id. The root is the worst kept, so most rows are
 * rejected by one compare of their score against the root's. */
#ifndef LT_TOPK_H
#define LT_TOPK_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    float    dist;  /* the distance reported */
    float    key;   /* the score rows are ranked by (a monotone function of dist) */
    uint32_t row;
    uint64_t id;
} lt__cand;

typedef struct {
    lt__cand *h;
    size_t    size, k;
} lt__topk;

static inline int lt__cand_worse(const lt__cand *a, const lt__cand *b)
{
    return a->dist > b->dist || (a->dist == b->dist && a->id > b->id);
}

static inline void lt__topk_init(lt__topk *t, lt__cand *storage, size_t k)
{
    t->h = storage;
    t->size = 0;
    t->k = k;
}

static inline void lt__topk_sift_down(lt__topk *t, size_t i)
{
    lt__cand x = t->h[i];
    for (;;) {
        size_t l = 2 * i + 1, w = i;
        const lt__cand *wc = &x;
        if (l < t->size && lt__cand_worse(&t->h[l], wc)) { w = l; wc = &t->h[l]; }
        if (l + 1 < t->size && lt__cand_worse(&t->h[l + 1], wc)) w = l + 1;
        if (w == i) break;
        t->h[i] = t->h[w];
        i = w;
    }
    t->h[i] = x;
}

static inline void lt__topk_push(lt__topk *t, const lt__cand *c)
{
    if (t->size < t->k) {
        size_t i = t->size++;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!lt__cand_worse(c, &t->h[p])) break;
            t->h[i] = t->h[p];
            i = p;
        }
        t->h[i] = *c;
    } else if (lt__cand_worse(&t->h[0], c)) {
        t->h[0] = *c;
        lt__topk_sift_down(t, 0);
    }
}

/* Relative slack on the root's score within which a row may still tie the
 * root's distance once rounded (sqrt, acosh): such rows get their distance
 * computed so ties are broken by id. A few float ulps. */
#define LT__TIE_SLACK 4e-6f

/* Fast reject: a score this far above the root's cannot enter the heap, even
 * allowing `slack` of error in the score. */
static inline int lt__topk_rejects(const lt__topk *t, float key, float slack)
{
    if (t->size < t->k) return 0;
    float top = t->h[0].key;
    return key > top + (top > 0 ? top : -top) * LT__TIE_SLACK + slack;
}

#endif
