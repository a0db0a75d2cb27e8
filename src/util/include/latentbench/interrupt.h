/* SIGINT / SIGTERM while measuring: the measurement stops at the next sample,
 * what is complete is kept, and the process exits 128 + the signal (130, 143),
 * never 1, which means "regression". A second signal kills at once. */
#ifndef LATENTBENCH_INTERRUPT_H
#define LATENTBENCH_INTERRUPT_H

/* Catches SIGINT, SIGTERM and SIGHUP until the first one arrives; idempotent. */
void lb_interrupt_install(void);

/* The signal that asked the run to stop, or 0. */
int lb_interrupted(void);

/* "SIGINT", "SIGTERM", ... for the signals above and the fatal ones. */
const char *lb_signal_name(int sig);

#endif
