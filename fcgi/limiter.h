/*
 * limiter — the per-tenant request rate of certmill-fcgi (issue 6, point 8): one token
 * bucket per tenant in this process's memory, shared by its threads under one mutex,
 * and the 429 / RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-10).
 * Memory, not PostgreSQL: no statement per request, at the price that N certmill-fcgi
 * processes allow a tenant N times the rate (docs/security.md, "Abuse limits").
 */
#ifndef CM_FCGI_LIMITER_H
#define CM_FCGI_LIMITER_H

#include "base/rate_limit.h"
#include "response.h"

#include <stdbool.h>

struct fcgi_limiter;

/* What the admission of one request decided, for the header fields of its answer. */
struct fcgi_limit {
    bool limited; /* a rule applied: the answer carries the RateLimit fields */
    struct rate_rule rule;
    struct rate_status st;
};

#define FCGI_LIMIT_POLICY "tenant" /* the policy's name in the RateLimit fields */

struct fcgi_limiter *fcgi_limiter_new(void);
void fcgi_limiter_free(struct fcgi_limiter *l);
/*
 * Takes one token of the tenant's bucket under rule. False: resp is the 429 rate_limited
 * problem with Retry-After and the RateLimit fields. l NULL or a rule of "none": always true.
 */
bool fcgi_limiter_admit(struct fcgi_limiter *l, const char *tenant_id, const struct rate_rule *rule,
                        struct fcgi_resp *resp, struct fcgi_limit *out);
/* Adds RateLimit-Policy and RateLimit to a response (nothing when !lim->limited). */
void fcgi_limiter_headers(struct fcgi_resp *resp, const struct fcgi_limit *lim);

#endif
