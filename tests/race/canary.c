/* A deliberate data race in an OpenMP loop: the race check runs it first and
 * must see ThreadSanitizer report it, so a detector that silently checks
 * nothing (wrong runtime, missing instrumentation) fails the check instead of
 * passing it. */
#include <stdio.h>

int main(void)
{
    long sum = 0;
#pragma omp parallel for
    for (int i = 0; i < 100000; i++) sum += i; /* unsynchronised: the race */
    printf("%ld\n", sum);
    return 0;
}
