/* The order of the two builds within each round of a paired A/B measurement.
 *
 * Alternating which build runs first cancels a first-runs-slower effect and a
 * linear drift from the per-round ratios on average; ABBA does it with a fixed
 * period, RANDOM without one, so that no periodic disturbance (a timer tick, a
 * cron job) can line up with the order. RANDOM keeps the counts balanced, as
 * ABBA does, by drawing a uniformly random sequence with fixed counts one
 * round at a time (sequential sampling, Knuth's Algorithm S). */
#include "stats_internal.h"

int lb_stats_ab_order(size_t n_rounds, uint64_t seed, lb_stats_ab_mode mode,
                      unsigned char *out)
{
    LB__RETURN_IF(!out || n_rounds == 0, LB_EUSAGE);
    LB__RETURN_IF(mode != LB_STATS_ORDER_ABBA && mode != LB_STATS_ORDER_RANDOM, LB_EUSAGE);
    if (mode == LB_STATS_ORDER_ABBA) {
        for (size_t i = 0; i < n_rounds; i++)
            out[i] = (unsigned char)(i % 2 ? LB_STATS_ROUND_BA : LB_STATS_ROUND_AB);
        return LB_OK;
    }
    /* Bounded draws take a bound up to 2^32. */
    LB__RETURN_IF(n_rounds > UINT32_MAX, LB_EUSAGE);
    lb__stats_rng rng;
    lb__stats_rng_seed(&rng, seed);
    size_t ba = n_rounds / 2;
    if (n_rounds % 2) ba += (size_t)(lb__stats_rng_next(&rng) >> 63);
    for (size_t i = 0; i < n_rounds; i++) {
        size_t left = n_rounds - i;
        int is_ba = lb__stats_rng_below(&rng, left) < ba;
        ba -= (size_t)is_ba;
        out[i] = (unsigned char)(is_ba ? LB_STATS_ROUND_BA : LB_STATS_ROUND_AB);
    }
    return LB_OK;
}
