/* problem — the table of API error codes and RFC 9457 problem objects. */
#include "problem.h"

#include <stdio.h>
#include <string.h>

/* The whole error vocabulary: the codes are part of the API and never change meaning. */
static const struct fcgi_problem_info fcgi_problems[FCGI_PROB_COUNT] = {
    [FCGI_PROB_MALFORMED_JSON] = { "malformed_json", 400, "Malformed JSON",
                                   "the request body is not a well-formed JSON object", false },
    [FCGI_PROB_UNKNOWN_FIELD] = { "unknown_field", 400, "Unknown field",
                                  "the request has a field this endpoint does not know", false },
    [FCGI_PROB_INVALID_FIELD] = { "invalid_field", 422, "Invalid field",
                                  "a field has the wrong type or value", false },
    [FCGI_PROB_INVALID_DOMAIN] = { "invalid_domain", 422, "Invalid domain name",
                                   "a domain name is not valid", false },
    [FCGI_PROB_DUPLICATE_DOMAIN] = { "duplicate_domain", 422, "Duplicate domain name",
                                     "a domain name appears twice (after normalisation)", false },
    [FCGI_PROB_TOO_MANY_DOMAINS] = { "too_many_domains", 422, "Too many domain names",
                                     "the order has more domain names than allowed", false },
    [FCGI_PROB_NO_DOMAINS] = { "no_domains", 422, "No domain names",
                               "an order needs at least one domain name", false },
    [FCGI_PROB_UNSUPPORTED_CHALLENGE] = { "unsupported_challenge", 422, "Unsupported challenge type",
                                          "this challenge type is not available", false },
    [FCGI_PROB_WILDCARD_REQUIRES_DNS01] = { "wildcard_requires_dns01", 422, "Wildcard requires dns-01",
                                            "wildcard names can only be validated with dns-01", false },
    [FCGI_PROB_INVALID_IP] = { "invalid_ip", 422, "Invalid IP address",
                               "an IP address is not in a form certmill takes", false },
    [FCGI_PROB_IP_WILDCARD] = { "ip_wildcard", 422, "Wildcard IP address",
                                "a wildcard over IP addresses cannot be certified", false },
    [FCGI_PROB_IP_DNS01_UNSUPPORTED] = { "ip_dns01_unsupported", 422, "IP address needs http-01 or tls-alpn-01",
                                         "IP addresses are validated with http-01 or tls-alpn-01, never dns-01 "
                                         "(RFC 8738)",
                                         false },
    [FCGI_PROB_UNKNOWN_CA] = { "unknown_ca", 422, "Unknown CA", "no CA of that name is configured", false },
    [FCGI_PROB_PROFILE_UNKNOWN] = { "profile_unknown", 422, "Unknown profile",
                                    "the CA's directory does not offer this profile", false },
    [FCGI_PROB_INVALID_CSR] = { "invalid_csr", 422, "Invalid CSR",
                                "csr is not a PEM certificate request with a valid self-signature", false },
    [FCGI_PROB_CSR_NAMES_MISMATCH] = { "csr_names_mismatch", 422, "CSR names differ from domains",
                                       "the CSR's names must be exactly the order's domains", false },
    [FCGI_PROB_CSR_KEY_UNSUPPORTED] = { "csr_key_unsupported", 422, "CSR key not supported",
                                        "the CSR's key must be ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096",
                                        false },
    [FCGI_PROB_IDEMPOTENCY_CONFLICT] = { "idempotency_conflict", 422, "Idempotency key reused",
                                         "this Idempotency-Key was used before with a different request body",
                                         false },
    [FCGI_PROB_UNKNOWN_DNS_PROVIDER] = { "unknown_dns_provider", 422, "Unknown DNS provider",
                                         "dns_provider names no DNS provider of this tenant", false },
    [FCGI_PROB_INVALID_PROVIDER_CONFIG] = { "invalid_provider_config", 422, "Invalid provider settings",
                                            "a setting of the DNS provider is missing or wrong", false },
    [FCGI_PROB_PROVIDER_TEST_FAILED] = { "provider_test_failed", 422, "Provider test failed",
                                         "the DNS provider could not publish and remove the test record", false },
    [FCGI_PROB_WEBHOOK_DESTINATION_REFUSED] = { "webhook_destination_refused", 422, "Webhook destination refused",
                                                "the webhook URL's host resolves to a loopback, private, link-local, "
                                                "CGNAT, metadata or otherwise non-public address the operator does "
                                                "not allow",
                                                false },
    [FCGI_PROB_BODY_TOO_LARGE] = { "body_too_large", 413, "Content Too Large",
                                   "the request body is larger than allowed", false },
    [FCGI_PROB_UNSUPPORTED_MEDIA_TYPE] = { "unsupported_media_type", 415, "Unsupported Media Type",
                                           "send the request body as application/json", false },
    [FCGI_PROB_UNAUTHORIZED] = { "unauthorized", 401, "Unauthorized",
                                 "send a valid API key as Authorization: Bearer <key>", false },
    [FCGI_PROB_NOT_FOUND] = { "not_found", 404, "Not Found", "no such resource", false },
    [FCGI_PROB_KEY_NOT_AVAILABLE] = { "key_not_available", 404, "Key not available",
                                      "the order came with the customer's CSR: the customer holds the private key and "
                                      "certmill never had it",
                                      false },
    [FCGI_PROB_METHOD_NOT_ALLOWED] = { "method_not_allowed", 405, "Method Not Allowed",
                                       "this resource does not support that method", false },
    [FCGI_PROB_CONFLICT] = { "conflict", 409, "Conflict", "an object of that name already exists", false },
    [FCGI_PROB_PROVIDER_IN_USE] = { "provider_in_use", 409, "Provider in use",
                                    "an order in progress uses this DNS provider", false },
    [FCGI_PROB_ORDER_NOT_WAITING] = { "order_not_waiting", 409, "Order not waiting",
                                      "the order is not waiting for the panel (status action_required)", false },
    [FCGI_PROB_ALREADY_REVOKED] = { "already_revoked", 409, "Already revoked",
                                    "the certificate is revoked already", false },
    [FCGI_PROB_RENEWAL_IN_PROGRESS] = { "renewal_in_progress", 409, "Renewal in progress",
                                        "a renewal order of this certificate is in progress", false },
    [FCGI_PROB_CERTIFICATE_SUPERSEDED] = { "certificate_superseded", 409, "Certificate superseded",
                                           "the certificate was replaced by a renewal", false },
    [FCGI_PROB_IDEMPOTENCY_IN_FLIGHT] = { "idempotency_in_flight", 409, "Idempotency key in use",
                                          "a request with this Idempotency-Key is still being processed; retry it "
                                          "shortly to get its answer",
                                          true },
    [FCGI_PROB_ORDER_NOT_CANCELLABLE] = { "order_not_cancellable", 409, "Order not cancellable",
                                          "only a queued, pending_validation or action_required order can be "
                                          "cancelled",
                                          false },
    [FCGI_PROB_ORDER_NOT_RETRYABLE] = { "order_not_retryable", 409, "Order not retryable",
                                        "only a failed order can be started again", false },
    [FCGI_PROB_QUOTA_EXCEEDED] = { "quota_exceeded", 403, "Quota exceeded",
                                   "the tenant has reached one of its quotas", false },
    [FCGI_PROB_RATE_LIMITED] = { "rate_limited", 429, "Too Many Requests",
                                 "the tenant's request rate is over its limit; retry after Retry-After seconds",
                                 true },
    [FCGI_PROB_SERVICE_UNAVAILABLE] = { "service_unavailable", 503, "Service Unavailable",
                                        "the database is not reachable; retry shortly", true },
    [FCGI_PROB_INTERNAL] = { "internal", 500, "Internal Server Error",
                             "an unexpected error occurred; it has been logged", false },
};

/* Looks up the row of a code. */
const struct fcgi_problem_info *fcgi_problem_info(enum fcgi_problem p)
{
    if ((int)p < 0 || p >= FCGI_PROB_COUNT)
        p = FCGI_PROB_INTERNAL;
    return &fcgi_problems[p];
}

/* Finds the enum value of a code string. */
int fcgi_problem_from_code(const char *code)
{
    for (int i = 0; code && i < FCGI_PROB_COUNT; i++)
        if (strcmp(fcgi_problems[i].code, code) == 0)
            return i;
    return -1;
}

/* Builds the RFC 9457 object; detail text from the caller is already safe UTF-8. */
json_t *fcgi_problem_json(enum fcgi_problem p, const char *detail, const char *field)
{
    const struct fcgi_problem_info *pi = fcgi_problem_info(p);
    char type[96];
    snprintf(type, sizeof type, "%s%s", FCGI_PROBLEM_TYPE_PREFIX, pi->code);
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "title", json_string(pi->title));
    json_object_set_new(o, "status", json_integer(pi->status));
    /* json_string refuses invalid UTF-8: fall back to the table's text rather than lose the field. */
    json_t *d = detail ? json_string(detail) : NULL;
    json_object_set_new(o, "detail", d ? d : json_string(pi->detail));
    json_object_set_new(o, "code", json_string(pi->code));
    if (field) {
        json_t *f = json_string(field);
        json_object_set_new(o, "field", f ? f : json_string("?"));
    }
    json_object_set_new(o, "retryable", json_boolean(pi->retryable));
    return o;
}
