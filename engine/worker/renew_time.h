/*
 * renew_time — the arithmetic of renewal timing (docs/renewals.md), pure functions of unix
 * seconds so unit tests can check them: when a certificate falls due, when a failed renewal
 * is tried again, when certificate.expiring events are due, when the scheduler looks next.
 */
#ifndef CM_RENEW_TIME_H
#define CM_RENEW_TIME_H

#define RENEW_TIME_DAY 86400LL
/* Lifetimes under this renew at half of it, not a third. */
#define RENEW_TIME_SHORT (10 * RENEW_TIME_DAY)
/* Jitter: up to this share of the lifetime earlier, so certificates issued together spread out. */
#define RENEW_TIME_JITTER 0.05
/* The longest the scheduler leaves a certificate with a renewal under way unlooked at. */
#define RENEW_TIME_LOOK RENEW_TIME_DAY
/* certificate.expiring starts when less than min(lifetime / 6, this) is left. */
#define RENEW_TIME_EXPIRING_MAX (7 * RENEW_TIME_DAY)

/*
 * The renewal time of a certificate valid from nb to na: when a third of its lifetime is left
 * (half for lifetimes under 10 days), minus jitter01 (in [0, 1)) times 5 % of the lifetime.
 */
long long renew_time_due(long long nb, long long na, double jitter01);
/* When the next renewal may be tried after the failures-th failed one: 1 min, 10 min, 100 min, then daily, +0–20 %. */
long long renew_time_retry(long long now, int failures, double jitter01);
/*
 * When the next certificate.expiring event is due: once less than min(lifetime / 6, 7 days)
 * is left, then a day after the last one (last_event, 0 when none). 0 when none is due any
 * more (the certificate has expired).
 */
long long renew_time_expiring(long long nb, long long na, long long last_event);
/* The next look at a certificate: the earlier of at and expiring (0: none), never before now. */
long long renew_time_next_look(long long now, long long at, long long expiring);

#endif
