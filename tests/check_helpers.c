/* See check_helpers.h. */
#include "check_helpers.h"

#include <check.h>
#include <stdlib.h>

lt_space *tst_new_space(const lt_config *cfg)
{
    lt_space *s = NULL;
    int rc = lt_space_create(cfg, &s);
    ck_assert_msg(rc == LT_OK, "lt_space_create: %s", lt_strerror(rc));
    ck_assert_ptr_nonnull(s);
    return s;
}

void *tst_xmalloc(size_t bytes)
{
    void *p = malloc(bytes > 0 ? bytes : 1);
    ck_assert_ptr_nonnull(p);
    return p;
}
