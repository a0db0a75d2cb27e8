/* CSV (RFC 4180): a header naming every lb_row field, one record per row,
 * CRLF line ends. An A/B file adds a column per key of the A/B view, named
 * "ab_<key>" (plain files keep the columns they always had). Strings are
 * quoted only when they must be; numbers read back exactly (%.17g),
 * non-finite ones as nan / inf / -inf. */
#include "export_internal.h"

#include "latentbench/error.h"

#include <inttypes.h>

/* The fields of rec, a record of table fields, each preceded by a comma but the first of the line. */
static void put_fields(FILE *out, const void *rec, const lb__field *fields, size_t nf, int first)
{
    for (size_t i = 0; i < nf; i++) {
        const lb__field *f = &fields[i];
        const char *p = (const char *)rec + f->off;
        if (i || !first) fputc(',', out);
        switch (f->type) {
        case LB__F_STR: {
            size_t n;
            const char *s = lb__field_str(rec, f, &n);
            lb__put_csv_str(out, s, n);
            break;
        }
        case LB__F_I64: fprintf(out, "%" PRId64, *(const int64_t *)p); break;
        case LB__F_U64: fprintf(out, "%" PRIu64, *(const uint64_t *)p); break;
        case LB__F_F64: lb__put_csv_double(out, *(const double *)p); break;
        case LB__F_PCT: lb__put_csv_double(out, lb__row_pct(rec)); break;
        }
    }
}

int lb__export_csv(FILE *out, const lb_results *r)
{
    for (size_t i = 0; i < lb__row_nfields; i++) fprintf(out, "%s%s", i ? "," : "", lb__row_fields[i].name);
    for (size_t i = 0; r->ab && i < lb__ab_nfields; i++) fprintf(out, ",ab_%s", lb__ab_fields[i].name);
    fputs("\r\n", out);
    for (size_t j = 0; j < r->nrows; j++) {
        put_fields(out, &r->rows[j], lb__row_fields, lb__row_nfields, 1);
        if (r->ab) {
            lb__ab_view v = lb__ab_view_of(r, j);
            put_fields(out, &v, lb__ab_fields, lb__ab_nfields, 0);
        }
        fputs("\r\n", out);
    }
    return LB_OK;
}
