/*
 * rate_limit — the per-tenant request limit of the API (issue 6, point 8): the
 * "N/UNIT" syntax of [api] rate_limit and `certmill tenant set-limits --rate`, and the
 * token-bucket arithmetic of one tenant's bucket. Pure: no clock, no locks.
 */
#ifndef CM_RATE_LIMIT_H
#define CM_RATE_LIMIT_H

#include <stdbool.h>
#include <stddef.h>

/* A rate: per_s tokens come back each second, at most burst are kept; per_s 0 means no limit ("none"). */
struct rate_rule {
    double per_s;
    int burst;
};

/* One bucket: tokens available at time at (seconds, a monotonic clock). */
struct rate_bucket {
    double tokens;
    double at;
    bool started; /* false: never used, full */
};

/* What one request found, for the 429 and the RateLimit header fields. */
struct rate_status {
    bool allowed;
    long remaining;     /* whole tokens left after this request */
    long reset_s;       /* seconds until the bucket is full again (rounded up) */
    long retry_after_s; /* refused: seconds until one token is back (rounded up, at least 1); else 0 */
};

#define RATE_MAX_PER_S 1000000.0
#define RATE_MAX_BURST 1000000

/* Parses "N/s", "N/m" or "N/h" (N a positive integer; "20/s", "600/m") or "none" (per_s 0). False on anything else. */
bool rate_parse(const char *text, double *per_s);
/* Writes a rate back as "N/s" (or "/m", "/h" when it is not whole per second), or "none". */
void rate_format(double per_s, char *out, size_t n);
/* The window of the RateLimit-Policy field: seconds to refill an empty bucket (rounded up, at least 1). */
long rate_window_s(const struct rate_rule *r);
/*
 * Takes one token from b at time now, refilling it first at r->per_s up to r->burst.
 * Fills *st; true when the request may go on. A rule with per_s 0 always allows.
 */
bool rate_take(struct rate_bucket *b, const struct rate_rule *r, double now, struct rate_status *st);

#endif
