/* CSV (RFC 4180): a header naming every lb_row field, one record per row,
 * CRLF line ends. Strings are quoted only when they must be; numbers read back
 * exactly (%.17g), non-finite ones as nan / inf / -inf. */
#include "export_internal.h"

#include "latentbench/error.h"

#include <inttypes.h>

int lb__export_csv(FILE *out, const lb_results *r)
{
    for (size_t i = 0; i < lb__row_nfields; i++) fprintf(out, "%s%s", i ? "," : "", lb__row_fields[i].name);
    fputs("\r\n", out);
    for (size_t j = 0; j < r->nrows; j++) {
        const lb_row *row = &r->rows[j];
        for (size_t i = 0; i < lb__row_nfields; i++) {
            const lb__field *f = &lb__row_fields[i];
            const char *p = (const char *)row + f->off;
            if (i) fputc(',', out);
            switch (f->type) {
            case LB__F_STR: {
                size_t n;
                const char *s = lb__field_str(row, f, &n);
                lb__put_csv_str(out, s, n);
                break;
            }
            case LB__F_I64: fprintf(out, "%" PRId64, *(const int64_t *)p); break;
            case LB__F_U64: fprintf(out, "%" PRIu64, *(const uint64_t *)p); break;
            case LB__F_F64: lb__put_csv_double(out, *(const double *)p); break;
            }
        }
        fputs("\r\n", out);
    }
    return LB_OK;
}
