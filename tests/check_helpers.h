/* Check-asserting helpers the liblatent tests share. */
#ifndef LT_TEST_CHECK_HELPERS_H
#define LT_TEST_CHECK_HELPERS_H

#include <latent/latent.h>
#include <stddef.h>

/* lt_space_create that fails the running test unless it succeeds. */
lt_space *tst_new_space(const lt_config *cfg);
/* malloc that fails the running test when out of memory (never NULL, even for 0 bytes). */
void *tst_xmalloc(size_t bytes);

#endif
