/* Recursive-descent parser of TOML 1.0 (without dates and times) into the
 * node tree of toml_internal.h.
 *
 * The encoding is checked in one pass first (UTF-8, no control characters
 * but tab, no CR outside CRLF), so the grammar below never meets those.
 * Every node is attached to the tree as soon as it is created: on any error
 * the whole document is freed at once, so no path needs its own cleanup.
 * Positions are computed from byte offsets through a cache that moves
 * forward, which keeps them linear as long as they are asked in order. */
#include "toml_internal.h"

#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/fileio.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t off; /* byte offset in the source */
    int line, col;
} where;

typedef struct {
    where w;        /* where the key part starts */
    size_t at, len; /* its decoded text in the scratch buffer */
} seg;

typedef struct {
    const char *s;
    size_t n, i; /* source, length, cursor */
    const char *file;
    char *err;
    size_t errlen;
    size_t bom;           /* 3 when the input starts with a UTF-8 byte order mark */
    size_t loc_off;       /* position cache: offset ... */
    int loc_line, loc_col; /* ... and its line and column */
    char *buf;            /* scratch for decoded strings and keys */
    size_t blen, bcap;
    seg *seg; /* the parts of the last key parsed */
    size_t nseg, segcap;
    lb_toml_node *root, *cur; /* cur: the table keys are added to */
} parser;

/* ---- positions and errors ------------------------------------------------- */

static void locate(parser *p, size_t off, int *line, int *col)
{
    if (off > p->n) off = p->n;
    if (off < p->bom) off = p->bom;
    if (off < p->loc_off) {
        p->loc_off = p->bom;
        p->loc_line = 1;
        p->loc_col = 1;
    }
    int l = p->loc_line, c = p->loc_col;
    for (size_t k = p->loc_off; k < off; k++) {
        unsigned char b = (unsigned char)p->s[k];
        if (b == '\n') {
            l++;
            c = 1;
        } else if ((b & 0xC0) != 0x80) { /* count code points, not bytes */
            c++;
        }
    }
    p->loc_off = off;
    *line = p->loc_line = l;
    *col = p->loc_col = c;
}

static int report(parser *p, int code, size_t off, const char *fmt, va_list ap)
{
    int line, col;
    locate(p, off, &line, &col);
    if (p->err && p->errlen) {
        int k = snprintf(p->err, p->errlen, "%s:%d:%d: ", p->file, line, col);
        if (k >= 0 && (size_t)k < p->errlen) vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
    }
    return code;
}

static int fail(parser *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(parser *p, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = report(p, LB_EDATA, off, fmt, ap);
    va_end(ap);
    return rc;
}

static int nomem(parser *p)
{
    fail(p, p->i, "out of memory");
    return LB_ENOMEM;
}

/* Names the character at off for a message; the input is valid UTF-8 here. */
static const char *what(const parser *p, size_t off, char tmp[8])
{
    if (off >= p->n) return "the end of the file";
    unsigned char c = (unsigned char)p->s[off];
    if (c == '\n' || c == '\r') return "the end of the line";
    if (c == ' ' || c == '\t') return "whitespace";
    if (c == '\'') return "\"'\"";
    size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (k > p->n - off) k = p->n - off;
    tmp[0] = '\'';
    memcpy(tmp + 1, p->s + off, k);
    tmp[k + 1] = '\'';
    tmp[k + 2] = '\0';
    return tmp;
}

/* The node's dotted path, for a message. */
static const char *name_of(const lb_toml_node *n, char *buf, size_t len)
{
    lb_toml_path(n, buf, len);
    return buf;
}

/* ---- encoding ------------------------------------------------------------- */

static int check_encoding(parser *p)
{
    const unsigned char *s = (const unsigned char *)p->s;
    size_t n = p->n, i = p->bom;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c == '\r') {
                if (i + 1 >= n || s[i + 1] != '\n')
                    return fail(p, i, "carriage return without a line feed");
                i += 2;
                continue;
            }
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
                return fail(p, i, "control character U+%04X is not allowed (escape it in a basic string)", c);
            i++;
            continue;
        }
        size_t k;
        unsigned cp, min;
        if ((c & 0xE0) == 0xC0) {
            k = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return fail(p, i, "invalid UTF-8");
        }
        if (k >= n - i) return fail(p, i, "invalid UTF-8 (truncated sequence)");
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return fail(p, i, "invalid UTF-8");
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return fail(p, i, "invalid UTF-8");
        i += k + 1;
    }
    return LB_OK;
}

/* ---- scanning helpers ----------------------------------------------------- */

static int peek(const parser *p, size_t k)
{
    return p->i + k < p->n ? (unsigned char)p->s[p->i + k] : -1;
}

static int is_bare(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static int is_eol(const parser *p)
{
    int c = peek(p, 0);
    return c < 0 || c == '\n' || c == '\r';
}

static void skip_ws(parser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t')) p->i++;
}

static void skip_comment(parser *p)
{
    if (peek(p, 0) != '#') return;
    while (p->i < p->n && p->s[p->i] != '\n' && p->s[p->i] != '\r') p->i++;
}

/* Whitespace, comments and newlines, as allowed between array elements. */
static void skip_blank(parser *p)
{
    for (;;) {
        skip_ws(p);
        skip_comment(p);
        int c = peek(p, 0);
        if (c == '\n') p->i++;
        else if (c == '\r') p->i += 2; /* the encoding check made it CRLF */
        else return;
    }
}

/* Does the word w start at offset j, not followed by a key character? */
static int word_at(const parser *p, size_t j, const char *w)
{
    size_t k = strlen(w);
    if (k > p->n - j || memcmp(p->s + j, w, k) != 0) return 0;
    return j + k >= p->n || !is_bare((unsigned char)p->s[j + k]);
}

static int bput(parser *p, const char *s, size_t k)
{
    if (k > p->bcap - p->blen) {
        size_t cap = p->bcap ? p->bcap : 64;
        while (cap - p->blen < k) {
            if (cap > SIZE_MAX / 2) return nomem(p);
            cap *= 2;
        }
        char *b = lb_realloc(p->buf, cap);
        if (!b) return nomem(p);
        p->buf = b;
        p->bcap = cap;
    }
    memcpy(p->buf + p->blen, s, k);
    p->blen += k;
    return LB_OK;
}

static int bput_utf8(parser *p, unsigned long cp)
{
    char u[4];
    size_t k;
    if (cp < 0x80) {
        u[0] = (char)cp, k = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), k = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F)), k = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), k = 4;
    }
    return bput(p, u, k);
}

/* ---- nodes ---------------------------------------------------------------- */

/* Creates a child of parent at w, attached at once; g names its key (NULL for
 * an array element). The node starts as a boolean, which owns nothing, until
 * its caller gives it a type. */
static int new_node(parser *p, lb_toml_node *parent, const seg *g, const where *w, lb_toml_node **out)
{
    if (parent->depth >= LB_TOML_MAX_DEPTH)
        return fail(p, w->off, "tables and arrays nest deeper than %d levels", LB_TOML_MAX_DEPTH);
    lb_toml_node *n = lb_malloc(sizeof *n);
    if (!n) return nomem(p);
    memset(n, 0, sizeof *n);
    n->type = LB_TOML_BOOLEAN;
    n->depth = (unsigned short)(parent->depth + 1);
    if (g) {
        n->key = lb_malloc(g->len + 1);
        if (!n->key) {
            lb_free(n);
            return nomem(p);
        }
        memcpy(n->key, p->buf + g->at, g->len);
        n->key[g->len] = '\0';
        n->keylen = g->len;
    }
    n->kline = n->line = w->line;
    n->kcol = n->col = w->col;
    if (lb_toml__append(parent, n) != LB_OK) {
        lb_free(n->key);
        lb_free(n);
        return nomem(p);
    }
    *out = n;
    return LB_OK;
}

static int new_table(parser *p, lb_toml_node *parent, const seg *g, int kind, lb_toml_node **out)
{
    int rc = new_node(p, parent, g, &g->w, out);
    if (rc) return rc;
    (*out)->type = LB_TOML_TABLE;
    (*out)->kind = (unsigned char)kind;
    return LB_OK;
}

/* Why key part g cannot go through (or be) existing node c. */
enum { AS_DOTTED, AS_HEADER_PART, AS_HEADER, AS_ARRAY_HEADER };

static int conflict(parser *p, const seg *g, const lb_toml_node *c, int as)
{
    char path[256];
    name_of(c, path, sizeof path);
    size_t off = g->w.off;
    int l = c->kline, k = c->kcol;
    if (c->type == LB_TOML_TABLE) {
        if (c->kind == LB_TK_INLINE)
            return fail(p, off, "inline table '%s' (defined at %d:%d) cannot be extended", path, l, k);
        if (as == AS_DOTTED)
            return fail(p, off, "dotted keys cannot extend table '%s' defined at %d:%d", path, l, k);
        if (as == AS_ARRAY_HEADER)
            return fail(p, off, "'%s' is already defined at %d:%d as a table, not an array of tables",
                        path, l, k);
        if (c->kind == LB_TK_DOTTED)
            return fail(p, off, "table '%s' is already defined by dotted keys at %d:%d", path, l, k);
        return fail(p, off, "table '%s' is already defined at %d:%d", path, l, k);
    }
    if (c->type == LB_TOML_ARRAY) {
        if (c->kind == LB_AK_TABLES && as == AS_HEADER)
            return fail(p, off, "'%s' is an array of tables (defined at %d:%d); use [[%s]]", path, l, k, path);
        if (c->kind == LB_AK_STATIC && as == AS_ARRAY_HEADER)
            return fail(p, off, "cannot append to static array '%s' defined at %d:%d", path, l, k);
    }
    const char *t = lb_toml_type_name((lb_toml_type)c->type);
    return fail(p, off, "'%s' is already defined at %d:%d as %s %s", path, l, k,
                t[0] == 'a' || t[0] == 'i' ? "an" : "a", t);
}

/* ---- keys ----------------------------------------------------------------- */

static int quoted_string(parser *p, char q, int ml);

/* Parses a dotted key into p->seg, its text into the scratch buffer. */
static int parse_key(parser *p)
{
    p->nseg = 0;
    p->blen = 0;
    for (;;) {
        seg g;
        char tmp[8];
        int rc = LB_OK, c = peek(p, 0);
        g.w.off = p->i;
        g.at = p->blen;
        locate(p, p->i, &g.w.line, &g.w.col);
        if (is_bare(c)) {
            size_t st = p->i;
            while (p->i < p->n && is_bare((unsigned char)p->s[p->i])) p->i++;
            rc = bput(p, p->s + st, p->i - st);
        } else if (c == '"' || c == '\'') {
            if (peek(p, 1) == c && peek(p, 2) == c)
                return fail(p, p->i, "a key cannot be a multi-line string");
            rc = quoted_string(p, c, 0);
        } else {
            return fail(p, p->i, "expected a key, found %s", what(p, p->i, tmp));
        }
        if (rc) return rc;
        g.len = p->blen - g.at;
        if (p->nseg == p->segcap) {
            size_t cap = p->segcap ? 2 * p->segcap : 8;
            seg *s = lb_realloc(p->seg, cap * sizeof *s);
            if (!s) return nomem(p);
            p->seg = s;
            p->segcap = cap;
        }
        p->seg[p->nseg++] = g;
        if (p->nseg > LB_TOML_MAX_DEPTH)
            return fail(p, g.w.off, "the key has more than %d parts", LB_TOML_MAX_DEPTH);
        skip_ws(p);
        if (peek(p, 0) != '.') return LB_OK;
        p->i++;
        skip_ws(p);
    }
}

/* ---- strings -------------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* At a backslash inside a basic string opened at start. */
static int escape(parser *p, int ml, size_t start)
{
    size_t at = p->i;
    int e = peek(p, 1);
    const char *simple = NULL;
    switch (e) {
    case 'b': simple = "\b"; break;
    case 't': simple = "\t"; break;
    case 'n': simple = "\n"; break;
    case 'f': simple = "\f"; break;
    case 'r': simple = "\r"; break;
    case '"': simple = "\""; break;
    case '\\': simple = "\\"; break;
    case 'u':
    case 'U': {
        int k = e == 'u' ? 4 : 8;
        unsigned long cp = 0;
        for (int j = 0; j < k; j++) {
            int v = hexval(peek(p, 2 + (size_t)j));
            if (v < 0) return fail(p, at, "\\%c needs %d hexadecimal digits", e, k);
            cp = cp * 16 + (unsigned long)v;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return fail(p, at, "\\%c%.*s is not a Unicode scalar value", e, k, p->s + at + 2);
        p->i += 2 + (size_t)k;
        return bput_utf8(p, cp);
    }
    case -1:
        return fail(p, start, ml ? "unterminated multi-line string" : "unterminated string");
    default:
        break;
    }
    if (simple) {
        p->i += 2;
        return bput(p, simple, 1);
    }
    if (ml && (e == ' ' || e == '\t' || e == '\n' || e == '\r')) {
        /* A line-ending backslash eats the newline and the blanks after it. */
        size_t j = p->i + 1;
        while (j < p->n && (p->s[j] == ' ' || p->s[j] == '\t')) j++;
        if (j < p->n && (p->s[j] == '\n' || p->s[j] == '\r')) {
            while (j < p->n && (p->s[j] == ' ' || p->s[j] == '\t' || p->s[j] == '\n' || p->s[j] == '\r'))
                j++;
            p->i = j;
            return LB_OK;
        }
    }
    if (e > 0x20 && e < 0x7f) return fail(p, at, "invalid escape '\\%c'", e);
    return fail(p, at, "invalid escape");
}

/* Closing quotes of a multi-line string: a run of 3 to 5 ends it, the first
 * one or two being content. Returns 1 when closed, 0 to go on, or an error. */
static int ml_quotes(parser *p, char q)
{
    size_t k = 0;
    while (p->i + k < p->n && p->s[p->i + k] == q) k++;
    if (k < 3) {
        int rc = bput(p, p->s + p->i, k);
        p->i += k;
        return rc;
    }
    if (k > 5) return fail(p, p->i, "too many quotes in a row (escape one or use the other quote)");
    int rc = bput(p, p->s + p->i, k - 3);
    p->i += k;
    return rc ? rc : 1;
}

/* Skips the newline right after an opening """ or '''. */
static void skip_first_newline(parser *p)
{
    if (peek(p, 0) == '\n') p->i++;
    else if (peek(p, 0) == '\r') p->i += 2;
}

/* A basic ("...", with escapes) or literal ('...', verbatim) string, single-
 * or multi-line: the two differ only in the quote and in escapes. */
static int quoted_string(parser *p, char q, int ml)
{
    const int basic = q == '"';
    size_t start = p->i;
    p->i += ml ? 3 : 1;
    if (ml) skip_first_newline(p);
    for (;;) {
        if (p->i >= p->n)
            return fail(p, start, ml ? "unterminated multi-line string" : "unterminated string");
        char c = p->s[p->i];
        int rc;
        if (c == q) {
            if (!ml) {
                p->i++;
                return LB_OK;
            }
            rc = ml_quotes(p, q);
            if (rc) return rc > 0 ? LB_OK : rc;
        } else if (basic && c == '\\') {
            if ((rc = escape(p, ml, start))) return rc;
        } else if (c == '\n' || c == '\r') {
            if (!ml)
                return fail(p, p->i, basic ? "newline in a basic string (close it, or use \"\"\")"
                                           : "newline in a literal string (close it, or use \'\'\')");
            p->i += c == '\r' ? 2 : 1; /* CRLF is read as LF */
            if ((rc = bput(p, "\n", 1))) return rc;
        } else {
            size_t j = p->i;
            while (j < p->n && p->s[j] != q && !(basic && p->s[j] == '\\') && p->s[j] != '\n' && p->s[j] != '\r') j++;
            if ((rc = bput(p, p->s + p->i, j - p->i))) return rc;
            p->i = j;
        }
    }
}

/* ---- numbers -------------------------------------------------------------- */

static int digit_of(int c, int base)
{
    switch (base) {
    case 2: return c == '0' || c == '1';
    case 8: return c >= '0' && c <= '7';
    case 16: return hexval(c) >= 0;
    default: return is_digit(c);
    }
}

/* Digits with single underscores between them; the first is a digit. */
static int digits(parser *p, size_t *j, int base)
{
    for (;;) {
        while (*j < p->n && digit_of((unsigned char)p->s[*j], base)) (*j)++;
        if (*j >= p->n || p->s[*j] != '_') return LB_OK;
        if (*j + 1 >= p->n || !digit_of((unsigned char)p->s[*j + 1], base))
            return fail(p, *j, "'_' must stand between two digits");
        (*j)++;
    }
}

/* What may not follow a number directly. */
static int number_end(parser *p, size_t j)
{
    int c = j < p->n ? (unsigned char)p->s[j] : -1;
    if (is_bare(c) || c == '.' || c == '+' || c == ':') return fail(p, j, "invalid number");
    return LB_OK;
}

/* Accumulates the digits in [from, to) (underscores skipped) up to lim. */
static int accumulate(parser *p, size_t from, size_t to, int base, uint64_t lim, size_t st, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t k = from; k < to; k++) {
        if (p->s[k] == '_') continue;
        uint64_t d = (uint64_t)hexval((unsigned char)p->s[k]);
        if (v > (lim - d) / (uint64_t)base) return fail(p, st, "integer out of range (64-bit signed)");
        v = v * (uint64_t)base + d;
    }
    *out = v;
    return LB_OK;
}

static int is_date(const parser *p)
{
    const char *s = p->s + p->i;
    size_t left = p->n - p->i;
    if (left > 4 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) && s[4] == '-')
        return 1;
    return left > 2 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':';
}

static int to_double(parser *p, size_t st, size_t end, double *out)
{
    /* strtod follows LC_NUMERIC; write the locale's decimal point for '.'. */
    const char *dp = localeconv()->decimal_point;
    size_t dpl = dp && *dp ? strlen(dp) : 1;
    if (!dp || !*dp) dp = ".";
    char small[128], *b = small;
    size_t need = end - st + dpl + 1;
    if (need > sizeof small && !(b = lb_malloc(need))) return nomem(p);
    size_t k = 0;
    for (size_t j = st; j < end; j++) {
        char c = p->s[j];
        if (c == '_') continue;
        if (c == '.') {
            memcpy(b + k, dp, dpl);
            k += dpl;
        } else {
            b[k++] = c;
        }
    }
    b[k] = '\0';
    char *e;
    double v = strtod(b, &e);
    int ok = e == b + k;
    if (b != small) lb_free(b);
    if (!ok) return fail(p, st, "invalid float");
    if (isinf(v)) return fail(p, st, "float out of range");
    *out = v;
    return LB_OK;
}

static int parse_number(parser *p, lb_toml_node *n)
{
    const char *s = p->s;
    size_t st = p->i, j = st;
    int rc, neg = 0;
    uint64_t v = 0;
    if (is_date(p)) return fail(p, st, "dates and times are not supported");
    if (s[j] == '+' || s[j] == '-') neg = s[j++] == '-';
    if (word_at(p, j, "inf") || word_at(p, j, "nan")) {
        double x = s[j] == 'i' ? INFINITY : NAN;
        n->type = LB_TOML_FLOAT;
        n->u.f = neg ? -x : x;
        p->i = j + 3;
        return LB_OK;
    }
    if (j == st && s[j] == '0' && j + 1 < p->n && (s[j + 1] == 'x' || s[j + 1] == 'o' || s[j + 1] == 'b')) {
        int base = s[j + 1] == 'x' ? 16 : s[j + 1] == 'o' ? 8 : 2;
        char pfx = s[j + 1];
        j += 2;
        if (j >= p->n || !digit_of((unsigned char)s[j], base))
            return fail(p, j, "expected a %s digit after '0%c'",
                        base == 16 ? "hexadecimal" : base == 8 ? "octal" : "binary", pfx);
        size_t d0 = j;
        if ((rc = digits(p, &j, base)) || (rc = number_end(p, j))) return rc;
        if ((rc = accumulate(p, d0, j, base, INT64_MAX, st, &v))) return rc;
        n->type = LB_TOML_INTEGER;
        n->u.i = (int64_t)v;
        p->i = j;
        return LB_OK;
    }
    if (j >= p->n || !is_digit(s[j])) return fail(p, st, "invalid number");
    if (s[j] == '0' && j + 1 < p->n && (is_digit(s[j + 1]) || s[j + 1] == '_'))
        return fail(p, j, "leading zeros are not allowed");
    size_t d0 = j;
    if ((rc = digits(p, &j, 10))) return rc;
    size_t d1 = j;
    int is_float = 0;
    if (j < p->n && s[j] == '.') {
        j++;
        if (j >= p->n || !is_digit(s[j])) return fail(p, j, "expected a digit after the decimal point");
        if ((rc = digits(p, &j, 10))) return rc;
        is_float = 1;
    }
    if (j < p->n && (s[j] == 'e' || s[j] == 'E')) {
        j++;
        if (j < p->n && (s[j] == '+' || s[j] == '-')) j++;
        if (j >= p->n || !is_digit(s[j])) return fail(p, j, "expected a digit in the exponent");
        if ((rc = digits(p, &j, 10))) return rc;
        is_float = 1;
    }
    if ((rc = number_end(p, j))) return rc;
    if (is_float) {
        n->type = LB_TOML_FLOAT;
        if ((rc = to_double(p, st, j, &n->u.f))) return rc;
    } else {
        uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        if ((rc = accumulate(p, d0, d1, 10, lim, st, &v))) return rc;
        n->type = LB_TOML_INTEGER;
        n->u.i = !neg ? (int64_t)v : v > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)v;
    }
    p->i = j;
    return LB_OK;
}

/* ---- values --------------------------------------------------------------- */

static int parse_value(parser *p, lb_toml_node *n);
static int parse_keyval(parser *p, lb_toml_node *table);

static int take_string(parser *p, lb_toml_node *n)
{
    char *s = lb_malloc(p->blen + 1);
    if (!s) return nomem(p);
    if (p->blen) memcpy(s, p->buf, p->blen);
    s[p->blen] = '\0';
    n->type = LB_TOML_STRING;
    n->u.s.s = s;
    n->u.s.len = p->blen;
    return LB_OK;
}

static int parse_array(parser *p, lb_toml_node *a)
{
    size_t start = p->i;
    char tmp[8];
    a->type = LB_TOML_ARRAY;
    a->kind = LB_AK_STATIC;
    p->i++;
    for (;;) {
        skip_blank(p);
        if (p->i >= p->n) return fail(p, start, "unterminated array");
        if (p->s[p->i] == ']') {
            p->i++;
            return LB_OK;
        }
        lb_toml_node *e;
        where w = {p->i, 0, 0};
        locate(p, p->i, &w.line, &w.col);
        int rc = new_node(p, a, NULL, &w, &e);
        if (rc || (rc = parse_value(p, e))) return rc;
        skip_blank(p);
        if (p->i >= p->n) return fail(p, start, "unterminated array");
        if (p->s[p->i] == ']') {
            p->i++;
            return LB_OK;
        }
        if (p->s[p->i] != ',')
            return fail(p, p->i, "expected ',' or ']' after an array element, found %s", what(p, p->i, tmp));
        p->i++;
    }
}

static int parse_inline(parser *p, lb_toml_node *t)
{
    size_t start = p->i;
    char tmp[8];
    t->type = LB_TOML_TABLE;
    t->kind = LB_TK_INLINE;
    p->i++;
    skip_ws(p);
    if (peek(p, 0) == '}') {
        p->i++;
        return LB_OK;
    }
    for (;;) {
        int c = peek(p, 0);
        if (c < 0) return fail(p, start, "unterminated inline table");
        if (c == '\n' || c == '\r' || c == '#')
            return fail(p, p->i, "an inline table must be on one line");
        int rc = parse_keyval(p, t);
        if (rc) return rc;
        skip_ws(p);
        c = peek(p, 0);
        if (c == '}') {
            p->i++;
            return LB_OK;
        }
        if (c < 0) return fail(p, start, "unterminated inline table");
        if (c == '\n' || c == '\r' || c == '#')
            return fail(p, p->i, "an inline table must be on one line");
        if (c != ',')
            return fail(p, p->i, "expected ',' or '}' in an inline table, found %s", what(p, p->i, tmp));
        size_t comma = p->i++;
        skip_ws(p);
        if (peek(p, 0) == '}') return fail(p, comma, "trailing comma in an inline table");
    }
}

static int parse_value(parser *p, lb_toml_node *n)
{
    int c = peek(p, 0);
    int rc;
    switch (c) {
    case '"':
    case '\'': {
        int ml = peek(p, 1) == c && peek(p, 2) == c;
        p->blen = 0;
        rc = quoted_string(p, c, ml);
        return rc ? rc : take_string(p, n);
    }
    case '[': return parse_array(p, n);
    case '{': return parse_inline(p, n);
    default: break;
    }
    if (word_at(p, p->i, "true") || word_at(p, p->i, "false")) {
        n->type = LB_TOML_BOOLEAN;
        n->u.b = c == 't';
        p->i += c == 't' ? 4 : 5;
        return LB_OK;
    }
    if (is_digit(c) || c == '+' || c == '-' || word_at(p, p->i, "inf") || word_at(p, p->i, "nan"))
        return parse_number(p, n);
    if (c < 0 || c == '\n' || c == '\r' || c == '#') return fail(p, p->i, "missing value");
    if (is_bare(c)) return fail(p, p->i, "invalid value (strings must be quoted)");
    char tmp[8];
    return fail(p, p->i, "expected a value, found %s", what(p, p->i, tmp));
}

/* key = value, added to table under TOML's rules for dotted keys. */
static int parse_keyval(parser *p, lb_toml_node *table)
{
    char tmp[8];
    int rc = parse_key(p);
    if (rc) return rc;
    if (peek(p, 0) != '=') return fail(p, p->i, "expected '=' after the key, found %s", what(p, p->i, tmp));
    p->i++;
    skip_ws(p);
    lb_toml_node *t = table, *c;
    for (size_t k = 0; k + 1 < p->nseg; k++) {
        const seg *g = &p->seg[k];
        c = lb_toml__find(t, p->buf + g->at, g->len);
        if (!c) {
            if ((rc = new_table(p, t, g, LB_TK_DOTTED, &c))) return rc;
        } else if (c->type != LB_TOML_TABLE || c->kind != LB_TK_DOTTED) {
            /* Tables made elsewhere (by headers, in another section, inline)
             * are closed to dotted keys, as TOML 1.0 decided. */
            return conflict(p, g, c, AS_DOTTED);
        }
        t = c;
    }
    const seg *g = &p->seg[p->nseg - 1];
    c = lb_toml__find(t, p->buf + g->at, g->len);
    if (c) {
        char path[256];
        return fail(p, g->w.off, "duplicate key '%s' (first defined at %d:%d)", name_of(c, path, sizeof path),
                    c->kline, c->kcol);
    }
    if (is_eol(p) || peek(p, 0) == '#') return fail(p, p->i, "missing value");
    if ((rc = new_node(p, t, g, &g->w, &c))) return rc;
    locate(p, p->i, &c->line, &c->col);
    return parse_value(p, c);
}

/* [a.b] or [[a.b]]: makes p->cur the table that following keys go to. */
static int parse_header(parser *p)
{
    char tmp[8];
    int aot = peek(p, 1) == '[', rc;
    p->i += aot ? 2 : 1;
    skip_ws(p);
    if ((rc = parse_key(p))) return rc;
    if (aot) {
        if (peek(p, 0) != ']' || peek(p, 1) != ']') {
            size_t at = p->i + (peek(p, 0) == ']');
            return fail(p, at, "expected ']]' to close the array-of-tables header, found %s", what(p, at, tmp));
        }
        p->i += 2;
    } else {
        if (peek(p, 0) != ']')
            return fail(p, p->i, "expected ']' to close the table header, found %s", what(p, p->i, tmp));
        p->i++;
    }
    lb_toml_node *t = p->root, *c;
    for (size_t k = 0; k + 1 < p->nseg; k++) {
        const seg *g = &p->seg[k];
        c = lb_toml__find(t, p->buf + g->at, g->len);
        if (!c) {
            if ((rc = new_table(p, t, g, LB_TK_IMPLICIT, &c))) return rc;
        } else if (c->type == LB_TOML_ARRAY && c->kind == LB_AK_TABLES) {
            c = c->u.c.item[c->u.c.n - 1]; /* [a.b] after [[a]] goes into the last a */
        } else if (c->type != LB_TOML_TABLE || c->kind == LB_TK_INLINE) {
            return conflict(p, g, c, AS_HEADER_PART);
        }
        t = c;
    }
    const seg *g = &p->seg[p->nseg - 1];
    c = lb_toml__find(t, p->buf + g->at, g->len);
    if (!aot) {
        if (!c) {
            if ((rc = new_table(p, t, g, LB_TK_HEADER, &c))) return rc;
        } else if (c->type == LB_TOML_TABLE && c->kind == LB_TK_IMPLICIT) {
            c->kind = LB_TK_HEADER; /* [a] after [a.b]: defined now, and here */
            c->kline = c->line = g->w.line;
            c->kcol = c->col = g->w.col;
        } else {
            return conflict(p, g, c, AS_HEADER);
        }
        p->cur = c;
        return LB_OK;
    }
    if (!c) {
        if ((rc = new_node(p, t, g, &g->w, &c))) return rc;
        c->type = LB_TOML_ARRAY;
        c->kind = LB_AK_TABLES;
    } else if (c->type != LB_TOML_ARRAY || c->kind != LB_AK_TABLES) {
        return conflict(p, g, c, AS_ARRAY_HEADER);
    }
    lb_toml_node *e;
    if ((rc = new_node(p, c, NULL, &g->w, &e))) return rc;
    e->type = LB_TOML_TABLE;
    e->kind = LB_TK_HEADER;
    p->cur = e;
    return LB_OK;
}

static int parse_document(parser *p)
{
    char tmp[8];
    for (;;) {
        skip_ws(p);
        int c = peek(p, 0), rc = LB_OK;
        const char *after = NULL;
        if (c < 0) return LB_OK;
        if (c == '[') {
            rc = parse_header(p);
            after = "the table header";
        } else if (is_bare(c) || c == '"' || c == '\'') {
            rc = parse_keyval(p, p->cur);
            after = "the value";
        } else if (c != '#' && c != '\n' && c != '\r') {
            return fail(p, p->i, "expected a key or a [table], found %s", what(p, p->i, tmp));
        }
        if (rc) return rc;
        skip_ws(p);
        skip_comment(p);
        c = peek(p, 0);
        if (c < 0) return LB_OK;
        if (c == '\n') {
            p->i++;
        } else if (c == '\r') {
            p->i += 2;
        } else {
            return fail(p, p->i, "expected a newline after %s, found %s", after ? after : "the comment",
                        what(p, p->i, tmp));
        }
    }
}

/* ---- entry points --------------------------------------------------------- */

int lb_toml_parse(const char *data, size_t len, const char *name, lb_toml_doc **out, char *err,
                  size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (!name) name = "<memory>";
    if (!out || (!data && len)) return lb_errorf(err, errlen, LB_EUSAGE, "%s: lb_toml_parse: NULL argument", name);
    *out = NULL;
    if (len >= INT_MAX) /* lines and columns are ints */
        return lb_errorf(err, errlen, LB_EDATA, "%s:1:1: the document is too large (%zu bytes)", name, len);
    size_t nl = strlen(name);
    lb_toml_doc *doc = lb_malloc(sizeof *doc);
    char *file = lb_malloc(nl + 1);
    if (!doc || !file) {
        lb_free(doc);
        lb_free(file);
        return lb_errorf(err, errlen, LB_ENOMEM, "%s:1:1: out of memory", name);
    }
    memcpy(file, name, nl + 1);
    memset(doc, 0, sizeof *doc);
    doc->file = file;
    doc->root.type = LB_TOML_TABLE;
    doc->root.kind = LB_TK_ROOT;
    doc->root.line = doc->root.col = doc->root.kline = doc->root.kcol = 1;

    parser p;
    memset(&p, 0, sizeof p);
    p.s = data ? data : "";
    p.n = len;
    p.file = file;
    p.err = err;
    p.errlen = errlen;
    p.loc_line = p.loc_col = 1;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) p.bom = p.i = p.loc_off = 3;
    p.root = p.cur = &doc->root;
    /* Allocated up front so key text is never taken from a NULL buffer. */
    p.bcap = 64;
    p.buf = lb_malloc(p.bcap);

    int rc = p.buf ? check_encoding(&p) : nomem(&p);
    if (!rc) rc = parse_document(&p);
    lb_free(p.buf);
    lb_free(p.seg);
    if (rc) {
        lb_toml_free(doc);
        return rc;
    }
    *out = doc;
    return LB_OK;
}

int lb_toml_parse_file(const char *path, lb_toml_doc **out, char *err, size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (!path || !out) return lb_errorf(err, errlen, LB_EUSAGE, "lb_toml_parse_file: NULL argument");
    *out = NULL;
    /* the one checked way in: regular files only, never blocking on a FIFO,
     * and capped, so /dev/zero or a huge file is refused before it is read */
    char *buf;
    size_t n;
    int rc = lb_read_input(path, LB_TEXT_INPUT_MAX, &buf, &n, err, errlen);
    if (rc) return rc;
    if (!rc) rc = lb_toml_parse(buf, n, path, out, err, errlen);
    lb_free(buf);
    return rc;
}
