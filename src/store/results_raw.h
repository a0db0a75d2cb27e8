/* The results reader without lb_results_check: the layout alone. For the
 * store's own tests, whose round trips hold values no run makes (negative
 * counts, arbitrary words) to show that every field comes back bit for bit. */
#ifndef LB_STORE_RESULTS_RAW_H
#define LB_STORE_RESULTS_RAW_H

#include <stddef.h>

#include "latentbench/results.h"

/* lb_results_read less lb_results_check. */
int lb__results_read_unchecked(const char *path, lb_results *r, char *err, size_t errlen);

#endif
