/* clock — the monotonic clock in milliseconds. */
#include "clock.h"

#include <time.h>

/* Milliseconds of CLOCK_MONOTONIC. */
long long clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
