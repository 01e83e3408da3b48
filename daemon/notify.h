/*
 * notify.h - the systemd notification protocol (libsystemd sd_notify):
 * READY=1, STATUS=, WATCHDOG=1, RELOADING=1 with MONOTONIC_USEC, STOPPING=1.
 * Every call is a no-op when NOTIFY_SOCKET is not set.
 */
#ifndef PARKSTAT_NOTIFY_H
#define PARKSTAT_NOTIFY_H

#include <stdint.h>

/* READY=1 with a STATUS= line. */
void notify_ready(const char *status);

/* STATUS=<printf text>. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* RELOADING=1 and MONOTONIC_USEC=<now> (systemd 253+ wants it; 252 ignores it). */
void notify_reloading(void);

/* STOPPING=1. */
void notify_stopping(void);

/* WATCHDOG=1. */
void notify_watchdog(void);

/* The watchdog interval systemd asked for (WATCHDOG_USEC), in us, or 0. */
uint64_t notify_watchdog_usec(void);

#endif
