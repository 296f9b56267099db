/* state — names and rules of the order state machine. */
#include "state.h"

#include <string.h>

static const char *const state_order_names[ORDER_STATUS_COUNT] = {
    "queued", "pending_validation", "action_required", "issuing", "issued", "failed", "cancelled",
};
static const char *const state_step_names[STEP_COUNT] = {
    "preflight", "new_order", "authorize", "publish", "propagate", "validate", "finalize", "download", "done",
};
static const char *const state_authz_names[AUTHZ_STATUS_COUNT] = {
    "pending", "valid", "invalid", "deactivated", "expired", "revoked",
};
static const char *const state_cert_names[CERT_STATUS_COUNT] = {
    "active", "expiring", "expired", "revoked", "superseded",
};

/* Finds s in a name table. */
static int state_lookup(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

/* Name of an order status. */
const char *state_order_status_name(enum order_status s)
{
    return (unsigned)s < ORDER_STATUS_COUNT ? state_order_names[s] : "?";
}

/* Name of a step. */
const char *state_step_name(enum order_step s)
{
    return (unsigned)s < STEP_COUNT ? state_step_names[s] : "?";
}

/* Name of an authorization status. */
const char *state_authz_status_name(enum authz_status s)
{
    return (unsigned)s < AUTHZ_STATUS_COUNT ? state_authz_names[s] : "?";
}

/* Name of a certificate status. */
const char *state_cert_status_name(enum cert_status s)
{
    return (unsigned)s < CERT_STATUS_COUNT ? state_cert_names[s] : "?";
}

/* Parses an order status. */
int state_order_status_parse(const char *s)
{
    return state_lookup(state_order_names, ORDER_STATUS_COUNT, s);
}

/* Parses a step name. */
int state_step_parse(const char *s)
{
    return state_lookup(state_step_names, STEP_COUNT, s);
}

/* Parses an authorization status. */
int state_authz_status_parse(const char *s)
{
    return state_lookup(state_authz_names, AUTHZ_STATUS_COUNT, s);
}

/* The public status during each step. */
enum order_status state_status_of_step(enum order_step s)
{
    switch (s) {
    case STEP_PREFLIGHT:
    case STEP_NEW_ORDER:
        return ORDER_QUEUED;
    case STEP_AUTHORIZE:
    case STEP_PUBLISH:
    case STEP_PROPAGATE:
    case STEP_VALIDATE:
        return ORDER_PENDING_VALIDATION;
    case STEP_FINALIZE:
    case STEP_DOWNLOAD:
        return ORDER_ISSUING;
    case STEP_DONE:
    default:
        return ORDER_ISSUED;
    }
}

/*
 * Steps go forward one at a time, may stay (a poll), and may fall back to new_order
 * (the CA forgot the order) or from finalize back to validate (the CA wants more).
 * Orders without DNS records go from authorize straight to validate.
 */
bool state_step_allowed(enum order_step a, enum order_step b)
{
    if ((unsigned)a >= STEP_COUNT || (unsigned)b >= STEP_COUNT || a == STEP_DONE)
        return false;
    return b == a || b == a + 1 || b == STEP_NEW_ORDER || (a == STEP_FINALIZE && b == STEP_VALIDATE) ||
           (a == STEP_AUTHORIZE && b == STEP_VALIDATE);
}

/* Final statuses carry no job. */
bool state_order_final(enum order_status s)
{
    return s == ORDER_ISSUED || s == ORDER_FAILED || s == ORDER_CANCELLED;
}

/*
 * Retry delay after the attempts-th consecutive failure: 1 min, 10 min, 100 min, then
 * daily. When the CA said when to come back (Retry-After on a 429 or 503), that time is
 * used instead, never sooner: a rate limit lifts when the CA says, not on our schedule.
 */
long state_backoff_ms(int attempts, long retry_after_s, double jitter01)
{
    static const long steps_s[] = { 60, 600, 6000, 86400 };
    if (retry_after_s > 0) {
        long ra = (retry_after_s > 7 * 86400 ? 7 * 86400 : retry_after_s) * 1000;
        /* Orders refused together do not all come back in the same second: up to 10%, at most a minute, later. */
        long spread = (long)((double)ra * 0.1 * jitter01);
        return ra + (spread > 60000 ? 60000 : spread);
    }
    int i = attempts < 1 ? 0 : attempts - 1;
    long ms = steps_s[i < 3 ? i : 3] * 1000;
    /* Jitter spreads the retries of orders that failed together (a CA outage). */
    ms += (long)((double)ms * 0.2 * jitter01);
    return ms;
}

/* Poll delay for the polls-th look at an object the CA is still working on. */
long state_poll_ms(int polls, long retry_after_s)
{
    if (retry_after_s > 0)
        return (retry_after_s > 3600 ? 3600 : retry_after_s) * 1000;
    long ms = 50;
    for (int i = 0; i < polls && ms < 10000; i++)
        ms *= 2;
    return ms > 10000 ? 10000 : ms;
}
