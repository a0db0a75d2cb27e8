/* Names inside the baseline directory: machine slugs and baseline names. */
#include "latentbench/baseline.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SLUG_TEXT_MAX 40

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

/* Trademark marks carry no information and would eat the slug's length. */
static size_t skip_noise(const char *s)
{
    static const char *const noise[] = {"(r)", "(tm)", "(c)"};
    for (size_t i = 0; i < sizeof noise / sizeof noise[0]; i++) {
        size_t n = strlen(noise[i]), j = 0;
        while (j < n && s[j] && (s[j] | 0x20) == noise[i][j]) j++;
        if (j == n) return n;
    }
    return 0;
}

void lb_baseline_machine_slug(const char *machine, char out[LB_BASELINE_SLUG_LEN])
{
    if (!machine || !*machine) machine = "unknown";
    char text[SLUG_TEXT_MAX + 1];
    size_t n = 0;
    int dash = 0;
    for (const char *p = machine; *p && n < SLUG_TEXT_MAX;) {
        size_t skip = skip_noise(p);
        if (skip) {
            p += skip;
            continue;
        }
        unsigned char c = (unsigned char)*p++;
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && n > 0) text[n++] = '-';
            dash = 0;
            if (n < SLUG_TEXT_MAX) text[n++] = (char)c;
        } else {
            dash = 1;
        }
    }
    while (n > 0 && text[n - 1] == '-') n--;
    text[n] = '\0';
    uint64_t h = fnv1a64(machine);
    snprintf(out, LB_BASELINE_SLUG_LEN, "%s-%08x", n ? text : "machine", (unsigned)((h >> 32) ^ (h & 0xffffffffu)));
}

int lb_baseline_name_ok(const char *name)
{
    if (!name || !*name || name[0] == '.' || strlen(name) > LB_BASELINE_NAME_MAX) return 0;
    if (strcmp(name, "machine.txt") == 0) return 0; /* the fingerprint file beside the names */
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

long lb_baseline_keep(int keep_history, long max_count)
{
    if (!keep_history) return 1;
    return max_count < 1 ? 0 : max_count;
}
