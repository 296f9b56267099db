/* rate_limit — token-bucket arithmetic and the rate syntax; see rate_limit.h. */
#include "base/rate_limit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whole part of a non-negative number (no libm: the programs do not link it). */
static long rate_floor(double x)
{
    return x <= 0 ? 0 : (long)x;
}

/* A non-negative number rounded up. */
static long rate_ceil(double x)
{
    long f = rate_floor(x);
    return (double)f < x ? f + 1 : f;
}

/* Parses a rate: "N/s|m|h" or "none". */
bool rate_parse(const char *text, double *per_s)
{
    if (!text)
        return false;
    if (strcmp(text, "none") == 0) {
        *per_s = 0;
        return true;
    }
    char *end;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (errno || end == text || n < 1 || *end != '/' || !end[1] || end[2])
        return false;
    double unit;
    switch (end[1]) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    default: return false;
    }
    double r = (double)n / unit;
    if (r > RATE_MAX_PER_S)
        return false;
    *per_s = r;
    return true;
}

/* Formats a rate in the unit that shows it as a whole number, if any. */
void rate_format(double per_s, char *out, size_t n)
{
    if (per_s <= 0) {
        snprintf(out, n, "none");
        return;
    }
    if (per_s == (double)rate_floor(per_s))
        snprintf(out, n, "%ld/s", rate_floor(per_s));
    else if (per_s * 60 == (double)rate_floor(per_s * 60))
        snprintf(out, n, "%ld/m", rate_floor(per_s * 60));
    else
        snprintf(out, n, "%ld/h", rate_floor(per_s * 3600 + 0.5));
}

/* Seconds to refill an empty bucket. */
long rate_window_s(const struct rate_rule *r)
{
    if (r->per_s <= 0)
        return 1;
    long w = rate_ceil((double)r->burst / r->per_s);
    return w < 1 ? 1 : w;
}

/* Rounds a non-negative time up to whole seconds, for header fields that take integers. */
static long rate_ceil_s(double s)
{
    if (s <= 0)
        return 0;
    /* A hair of float error must not turn 2.0000000001 into 3. */
    return rate_ceil(s - 1e-9);
}

/* Refills, then takes one token if there is one. */
bool rate_take(struct rate_bucket *b, const struct rate_rule *r, double now, struct rate_status *st)
{
    memset(st, 0, sizeof *st);
    if (r->per_s <= 0 || r->burst < 1) {
        st->allowed = true;
        st->remaining = r->burst > 0 ? r->burst : 0;
        return true;
    }
    double cap = (double)r->burst;
    if (!b->started) {
        b->tokens = cap;
        b->at = now;
        b->started = true;
    }
    /* A clock that went backwards (it should not: monotonic) gives nothing back. */
    double dt = now > b->at ? now - b->at : 0;
    b->tokens += dt * r->per_s;
    /* Also where a lowered burst takes effect at once. */
    if (b->tokens > cap)
        b->tokens = cap;
    b->at = now;
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        st->allowed = true;
    } else {
        st->retry_after_s = rate_ceil_s((1.0 - b->tokens) / r->per_s);
        if (st->retry_after_s < 1)
            st->retry_after_s = 1;
    }
    st->remaining = rate_floor(b->tokens + 1e-9);
    st->reset_s = rate_ceil_s((cap - b->tokens) / r->per_s);
    return st->allowed;
}
