/*
 * ident — the names of an order: a DNS name (ident/domain.h) or an IP address
 * (ident/ip.h, RFC 8738). Both are stored as one text in the order's domains, in their
 * normalised form; an address is told apart by its form (a DNS name never parses as
 * one: domain_normalize refuses addresses).
 */
#ifndef CM_IDENT_H
#define CM_IDENT_H

#include "ident/domain.h"
#include "ident/ip.h"

#include <stdbool.h>
#include <stddef.h>

enum ident_rc {
    IDENT_OK = 0,
    IDENT_ERR_DOMAIN,      /* not a valid DNS name (reason from domain_reason) */
    IDENT_ERR_IP,          /* meant as an address, but not one certmill takes (reason from ip_reason) */
    IDENT_ERR_IP_WILDCARD, /* a wildcard over addresses */
};

/* A validated name of an order. */
struct ident_name {
    char name[DOMAIN_MAX_LEN + 1]; /* normalised: DNS name, dotted quad or RFC 5952 text */
    bool wildcard;                 /* "*.example.com" (never an address) */
    bool ip;                       /* an IP address */
};

/*
 * Normalises len bytes of in as an address when it is meant as one, else as a DNS name.
 * On failure out is empty and *reason (when reason is not NULL) is a sentence to follow
 * the name in an API problem detail.
 */
enum ident_rc ident_normalize(const char *in, size_t len, struct ident_name *out, const char **reason);
/* True when a normalised name of an order is an IP address. */
bool ident_is_ip(const char *name);
/* The ACME identifier type of a normalised name (RFC 8555 §9.7.7, RFC 8738 §3): "ip" or "dns". */
const char *ident_acme_type(const char *name);

#endif
