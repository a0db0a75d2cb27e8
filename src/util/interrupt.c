#define _POSIX_C_SOURCE 200809L
#include "latentbench/interrupt.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    if (!stop_signal) stop_signal = sig;
    /* the next one is not caught: a user who insists gets the default action */
    signal(sig, SIG_DFL);
}

void lb_interrupt_install(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        if (sigaction(sigs[i], NULL, &old) != 0) continue;
        /* a signal the parent set to be ignored (nohup) stays ignored */
        if (old.sa_handler == SIG_IGN || old.sa_handler == on_signal) continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

int lb_interrupted(void) { return (int)stop_signal; }

const char *lb_signal_name(int sig)
{
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    default: return "a signal";
    }
}
