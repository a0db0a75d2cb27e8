#include "latentbench/text.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Optimal string alignment distance, capped: rows of a fixed buffer, words
 * longer than it are never "close". */
#define LB_SUGGEST_MAX 64
static size_t osa_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la >= LB_SUGGEST_MAX || lb >= LB_SUGGEST_MAX) return (size_t)-1;
    size_t d[LB_SUGGEST_MAX + 1][LB_SUGGEST_MAX + 1];
    for (size_t i = 0; i <= la; i++) d[i][0] = i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t cost = ca != cb, best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) && tolower((unsigned char)a[i - 2]) == cb &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

const char *lb_suggest(const char *word, const char *const *cands, size_t n)
{
    if (!word || !*word) return NULL;
    size_t len = strlen(word), limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i]) continue;
        size_t d = osa_distance(word, cands[i]);
        if (d < best_d) best_d = d, best = cands[i];
    }
    return best;
}

/* Length of the valid UTF-8 sequence at s (2-4), or 0 when it is not one.
 * Overlong forms, surrogates and code points past U+10FFFF are invalid. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c >= 0xC2 && c <= 0xDF) return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;
        if (c == 0xED && s[1] >= 0xA0) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;
        if (c == 0xF4 && s[1] >= 0x90) return 0;
        return 4;
    }
    return 0;
}

/* The next piece of src as it is shown: a printable byte, a printable UTF-8
 * sequence, or a \xHH escape. Returns the bytes of src it consumed. */
static size_t next_piece(const unsigned char *s, char piece[8], size_t *plen)
{
    size_t n;
    if (*s >= 0x20 && *s < 0x7F) {
        piece[0] = (char)*s, *plen = 1;
        return 1;
    }
    /* printable UTF-8; U+0080-U+009F (C1 controls) are escaped */
    if (*s >= 0x80 && (n = utf8_len(s)) != 0 && !(s[0] == 0xC2 && s[1] < 0xA0)) {
        memcpy(piece, s, n), *plen = n;
        return n;
    }
    snprintf(piece, 8, "\\x%02X", *s);
    *plen = 4;
    return 1;
}

char *lb_sanitize(char *dst, size_t len, const char *src)
{
    if (!len) return dst;
    const unsigned char *s = (const unsigned char *)(src ? src : "");
    /* does all of it fit? */
    size_t total = 0;
    char piece[8];
    size_t plen;
    for (const unsigned char *p = s; *p; total += plen) p += next_piece(p, piece, &plen);
    size_t room = total < len ? len - 1 : (len > 4 ? len - 4 : 0); /* leave space for "..." */
    size_t o = 0;
    while (*s) {
        size_t used = next_piece(s, piece, &plen);
        if (o + plen > room) break;
        memcpy(dst + o, piece, plen);
        o += plen, s += used;
    }
    if (*s && len > 4) memcpy(dst + o, "...", 3), o += 3;
    dst[o] = '\0';
    return dst;
}
