/* clock — the monotonic clock in milliseconds, for timeouts and intervals (never wall time). */
#ifndef CM_BASE_CLOCK_H
#define CM_BASE_CLOCK_H

/* Milliseconds of CLOCK_MONOTONIC: unaffected by changes of the system time. */
long long clock_now_ms(void);

#endif
