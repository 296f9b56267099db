/* renew_time — when certificates renew, retry and warn (see renew_time.h). */
#include "renew_time.h"
#include "state.h"

/* A third of the lifetime before expiry (half when short), less a jitter of up to 5 % of it. */
long long renew_time_due(long long nb, long long na, double jitter01)
{
    long long life = na > nb ? na - nb : 0;
    long long left = life < RENEW_TIME_SHORT ? life / 2 : life / 3;
    if (jitter01 < 0)
        jitter01 = 0;
    if (jitter01 >= 1)
        jitter01 = 0.999999;
    return na - left - (long long)((double)life * RENEW_TIME_JITTER * jitter01);
}

/* The order steps' backoff (state_backoff_ms) applied to renewals that failed in a row. */
long long renew_time_retry(long long now, int failures, double jitter01)
{
    return now + state_backoff_ms(failures < 1 ? 1 : failures, 0, jitter01) / 1000;
}

/* min(lifetime / 6, 7 days) before expiry, then daily after the last event, until expiry. */
long long renew_time_expiring(long long nb, long long na, long long last_event)
{
    long long life = na > nb ? na - nb : 0;
    long long lead = life / 6 < RENEW_TIME_EXPIRING_MAX ? life / 6 : RENEW_TIME_EXPIRING_MAX;
    long long at = na - lead;
    if (last_event > 0 && last_event + RENEW_TIME_DAY > at)
        at = last_event + RENEW_TIME_DAY;
    return at < na ? at : 0;
}

/* The earlier of the two times that are set, not before now. */
long long renew_time_next_look(long long now, long long at, long long expiring)
{
    long long t = at;
    if (expiring > 0 && (t <= 0 || expiring < t))
        t = expiring;
    if (t <= 0)
        return 0;
    return t < now ? now : t;
}
