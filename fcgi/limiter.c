/* limiter — a hash table of token buckets keyed by tenant id; see limiter.h. */
#include "limiter.h"

#include "base/xalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FCGI_LIMITER_SLOTS 1024 /* chains; tenants are admin-made, so the table stays small */

struct fcgi_limiter_entry {
    struct fcgi_limiter_entry *next;
    char *tenant_id;
    struct rate_bucket bucket;
};

struct fcgi_limiter {
    pthread_mutex_t lock;
    struct fcgi_limiter_entry *slots[FCGI_LIMITER_SLOTS];
};

/* Makes an empty table. */
struct fcgi_limiter *fcgi_limiter_new(void)
{
    struct fcgi_limiter *l = xcalloc(1, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
    return l;
}

/* Frees the table and its entries. */
void fcgi_limiter_free(struct fcgi_limiter *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < FCGI_LIMITER_SLOTS; i++) {
        struct fcgi_limiter_entry *e = l->slots[i];
        while (e) {
            struct fcgi_limiter_entry *next = e->next;
            free(e->tenant_id);
            free(e);
            e = next;
        }
    }
    pthread_mutex_destroy(&l->lock);
    free(l);
}

/* FNV-1a of the id: ids are random, any spread will do. */
static size_t fcgi_limiter_hash(const char *s)
{
    unsigned long h = 2166136261UL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619UL;
    return (size_t)(h % FCGI_LIMITER_SLOTS);
}

/* Seconds on the monotonic clock: wall-clock jumps neither refill nor drain a bucket. */
static double fcgi_limiter_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* (locked) The tenant's bucket, made on first use. */
static struct rate_bucket *fcgi_limiter_bucket(struct fcgi_limiter *l, const char *tenant_id)
{
    size_t h = fcgi_limiter_hash(tenant_id);
    for (struct fcgi_limiter_entry *e = l->slots[h]; e; e = e->next)
        if (strcmp(e->tenant_id, tenant_id) == 0)
            return &e->bucket;
    struct fcgi_limiter_entry *e = xcalloc(1, sizeof *e);
    e->tenant_id = xstrdup(tenant_id);
    e->next = l->slots[h];
    l->slots[h] = e;
    return &e->bucket;
}

/* Admits or refuses one request of a tenant. */
bool fcgi_limiter_admit(struct fcgi_limiter *l, const char *tenant_id, const struct rate_rule *rule,
                        struct fcgi_resp *resp, struct fcgi_limit *out)
{
    memset(out, 0, sizeof *out);
    if (!l || !tenant_id || rule->per_s <= 0)
        return true;
    out->limited = true;
    out->rule = *rule;
    double now = fcgi_limiter_now();
    pthread_mutex_lock(&l->lock);
    bool ok = rate_take(fcgi_limiter_bucket(l, tenant_id), rule, now, &out->st);
    pthread_mutex_unlock(&l->lock);
    if (ok)
        return true;
    fcgi_resp_problemf(resp, FCGI_PROB_RATE_LIMITED, NULL,
                       "the tenant's request rate is over its limit (%d requests, refilled at %g a second); retry "
                       "after %ld s", rule->burst, rule->per_s, out->st.retry_after_s);
    char v[24];
    snprintf(v, sizeof v, "%ld", out->st.retry_after_s);
    fcgi_resp_header(resp, "Retry-After", v);
    fcgi_limiter_headers(resp, out);
    return false;
}

/* Writes the two fields of draft-ietf-httpapi-ratelimit-headers-10 (§4 and §5). */
void fcgi_limiter_headers(struct fcgi_resp *resp, const struct fcgi_limit *lim)
{
    if (!lim->limited)
        return;
    char v[96];
    /* Quota q requests over window w seconds: the burst, and the time to refill it from empty. */
    snprintf(v, sizeof v, "\"%s\";q=%d;w=%ld", FCGI_LIMIT_POLICY, lim->rule.burst, rate_window_s(&lim->rule));
    fcgi_resp_header(resp, "RateLimit-Policy", v);
    snprintf(v, sizeof v, "\"%s\";r=%ld;t=%ld", FCGI_LIMIT_POLICY, lim->st.remaining, lim->st.reset_s);
    fcgi_resp_header(resp, "RateLimit", v);
}
