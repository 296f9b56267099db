/*
 * order_input — the body of POST /v1/orders, checked field by field (a table) and
 * across fields, with defaults applied and every domain name normalised once.
 */
#ifndef CM_FCGI_ORDER_INPUT_H
#define CM_FCGI_ORDER_INPUT_H

#include "base/config.h"
#include "crypto/csr.h"
#include "response.h"

#include <jansson.h>
#include <stdbool.h>

#define FCGI_ORDER_MAX_PROFILE 64
#define FCGI_ORDER_MAX_CUSTOMER_REF 200

struct fcgi_order_input {
    const struct config *cfg;
    json_t *domains;          /* normalised names, request order (owned) */
    long first_wildcard;      /* index of the first wildcard name, -1 when none */
    long first_ip;            /* index of the first IP address (RFC 8738), -1 when none */
    /* The strings point into the request body or at static defaults: keep the body alive. */
    const char *challenge;
    const char *key_type;     /* the CSR's when csr is given */
    const char *ca;           /* NULL until fcgi_order_ca_resolve when the order names none */
    const char *profile;      /* NULL: none */
    const char *customer_ref; /* NULL: none */
    const char *dns_provider; /* dns-01: a provider id of the tenant (checked when stored); NULL: none (manual) */
    bool auto_renew;
    bool allow_partial;       /* go on with the names that pass pre-flight */
    struct csr_info csr;      /* the customer's CSR; csr.der NULL: certmill makes the key (owned) */
};

/* Checks body and fills in; false with the problem on resp. Free in either way. */
bool fcgi_order_input_parse(const struct config *cfg, const json_t *body, struct fcgi_order_input *in,
                            struct fcgi_resp *resp);
void fcgi_order_input_free(struct fcgi_order_input *in);

#endif
