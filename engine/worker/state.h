/*
 * state — the order state machine's names and rules. The names are the SQL CHECK
 * constraints' (sql/001_init.sql) and the API's; tests/unit/test_state.c holds them together.
 */
#ifndef CM_STATE_H
#define CM_STATE_H

#include <stdbool.h>

/* Order status as the API shows it. */
enum order_status {
    ORDER_QUEUED = 0,
    ORDER_PENDING_VALIDATION,
    ORDER_ACTION_REQUIRED,
    ORDER_ISSUING,
    ORDER_ISSUED,
    ORDER_FAILED,
    ORDER_CANCELLED,
    ORDER_STATUS_COUNT
};

/* The worker's next step of an order. */
enum order_step {
    STEP_PREFLIGHT = 0, /* checks per name before the CA hears of the order */
    STEP_NEW_ORDER,     /* account + newOrder */
    STEP_AUTHORIZE,     /* fetch authorizations, store the challenge answers (HTTP-01/TLS-ALPN-01 served from them) */
    STEP_PUBLISH,       /* DNS-01: publish the TXT records through the DNS provider */
    STEP_PROPAGATE,     /* DNS-01: wait until every authoritative server serves them */
    STEP_VALIDATE,      /* tell the CA to validate, then poll the authorizations */
    STEP_FINALIZE,      /* make the key and CSR, finalize */
    STEP_DOWNLOAD,      /* poll the order, download the chain, store the certificate */
    STEP_DONE,
    STEP_COUNT
};

/* Authorization status, RFC 8555 §7.1.6. */
enum authz_status {
    AUTHZ_PENDING = 0,
    AUTHZ_VALID,
    AUTHZ_INVALID,
    AUTHZ_DEACTIVATED,
    AUTHZ_EXPIRED,
    AUTHZ_REVOKED,
    AUTHZ_STATUS_COUNT
};

/* Certificate status. */
enum cert_status { CERT_ACTIVE = 0, CERT_EXPIRING, CERT_EXPIRED, CERT_REVOKED, CERT_SUPERSEDED, CERT_STATUS_COUNT };

const char *state_order_status_name(enum order_status s);
const char *state_step_name(enum order_step s);
const char *state_authz_status_name(enum authz_status s);
const char *state_cert_status_name(enum cert_status s);
/* Name → value; -1 when unknown. */
int state_order_status_parse(const char *s);
int state_step_parse(const char *s);
int state_authz_status_parse(const char *s);

/* The status an order shows while its next step is s. */
enum order_status state_status_of_step(enum order_step s);
/* Whether the worker may move an order from step a to step b. */
bool state_step_allowed(enum order_step a, enum order_step b);
/* Whether an order status is final (no more work). */
bool state_order_final(enum order_status s);

/*
 * Delay before retrying a failed step: 1 min, 10 min, 100 min, then daily, each with up
 * to 20% jitter (jitter01 in [0,1)); a CA's Retry-After (seconds, -1 if none) replaces
 * the schedule (plus up to 10%, at most 60 s, of jitter), so a rate-limited order is due
 * again when the CA said, never sooner.
 */
long state_backoff_ms(int attempts, long retry_after_s, double jitter01);
/*
 * Delay before the next poll of a CA object: 50 ms doubling to 10 s (a CA often decides
 * within a second; the doubling keeps a slow one from being asked often), or Retry-After (cap 1 h).
 */
long state_poll_ms(int polls, long retry_after_s);
/* How many consecutive failures of one step before the order fails for good (about a week). */
#define STATE_MAX_ATTEMPTS 10

#endif
