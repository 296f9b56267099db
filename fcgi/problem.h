/*
 * problem — the API's error vocabulary: one enum of stable codes and the table that
 * gives each its HTTP status, title and default detail, and RFC 9457 bodies
 * (application/problem+json) built from them.
 */
#ifndef CM_FCGI_PROBLEM_H
#define CM_FCGI_PROBLEM_H

#include <jansson.h>
#include <stdbool.h>

#define FCGI_PROBLEM_TYPE_PREFIX "urn:certmill:problem:"
#define FCGI_PROBLEM_CONTENT_TYPE "application/problem+json"

enum fcgi_problem {
    FCGI_PROB_MALFORMED_JSON = 0,
    FCGI_PROB_UNKNOWN_FIELD,
    FCGI_PROB_INVALID_FIELD,
    FCGI_PROB_INVALID_DOMAIN,
    FCGI_PROB_DUPLICATE_DOMAIN,
    FCGI_PROB_TOO_MANY_DOMAINS,
    FCGI_PROB_NO_DOMAINS,
    FCGI_PROB_UNSUPPORTED_CHALLENGE,
    FCGI_PROB_WILDCARD_REQUIRES_DNS01,
    FCGI_PROB_INVALID_IP,
    FCGI_PROB_IP_WILDCARD,
    FCGI_PROB_IP_DNS01_UNSUPPORTED,
    FCGI_PROB_UNKNOWN_CA,
    FCGI_PROB_PROFILE_UNKNOWN,
    FCGI_PROB_INVALID_CSR,
    FCGI_PROB_CSR_NAMES_MISMATCH,
    FCGI_PROB_CSR_KEY_UNSUPPORTED,
    FCGI_PROB_IDEMPOTENCY_CONFLICT,
    FCGI_PROB_UNKNOWN_DNS_PROVIDER,
    FCGI_PROB_INVALID_PROVIDER_CONFIG,
    FCGI_PROB_PROVIDER_TEST_FAILED,
    FCGI_PROB_WEBHOOK_DESTINATION_REFUSED,
    FCGI_PROB_BODY_TOO_LARGE,
    FCGI_PROB_UNSUPPORTED_MEDIA_TYPE,
    FCGI_PROB_UNAUTHORIZED,
    FCGI_PROB_NOT_FOUND,
    FCGI_PROB_KEY_NOT_AVAILABLE,
    FCGI_PROB_METHOD_NOT_ALLOWED,
    FCGI_PROB_CONFLICT,
    FCGI_PROB_PROVIDER_IN_USE,
    FCGI_PROB_ORDER_NOT_WAITING,
    FCGI_PROB_ALREADY_REVOKED,
    FCGI_PROB_RENEWAL_IN_PROGRESS,
    FCGI_PROB_CERTIFICATE_SUPERSEDED,
    FCGI_PROB_IDEMPOTENCY_IN_FLIGHT,
    FCGI_PROB_ORDER_NOT_CANCELLABLE,
    FCGI_PROB_ORDER_NOT_RETRYABLE,
    FCGI_PROB_QUOTA_EXCEEDED,
    FCGI_PROB_RATE_LIMITED,
    FCGI_PROB_SERVICE_UNAVAILABLE,
    FCGI_PROB_INTERNAL,
    FCGI_PROB_COUNT
};

/* One row of the message table. */
struct fcgi_problem_info {
    const char *code;   /* stable machine-readable code, also the tail of `type` */
    int status;         /* HTTP status */
    const char *title;  /* short, fixed per code (RFC 9457 §3.1.3) */
    const char *detail; /* used when the caller gives no detail */
    bool retryable;     /* whether the same request may succeed later */
};

/* The table row of p; a row for FCGI_PROB_INTERNAL when p is out of range. */
const struct fcgi_problem_info *fcgi_problem_info(enum fcgi_problem p);
/* Finds a code by its string (tests, tools); -1 when unknown. */
int fcgi_problem_from_code(const char *code);
/*
 * Builds the problem object: type, title, status, detail (the table's when NULL),
 * code, field (only when non-NULL) and retryable. Caller json_decref's.
 */
json_t *fcgi_problem_json(enum fcgi_problem p, const char *detail, const char *field);

#endif
