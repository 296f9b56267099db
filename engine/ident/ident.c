/* ident — an order's name as an IP address or a DNS name (see ident.h). */
#include "ident/ident.h"

#include <stdio.h>
#include <string.h>

/* Tries the address forms first: a text meant as an address never falls through to the DNS rules. */
enum ident_rc ident_normalize(const char *in, size_t len, struct ident_name *out, const char **reason)
{
    memset(out, 0, sizeof *out);
    struct ip_addr ip;
    enum ip_rc irc = ip_normalize(in, len, &ip);
    if (irc == IP_OK) {
        snprintf(out->name, sizeof out->name, "%s", ip.text);
        out->ip = true;
        return IDENT_OK;
    }
    if (irc != IP_NOT_IP) {
        if (reason)
            *reason = ip_reason(irc);
        return irc == IP_ERR_WILDCARD ? IDENT_ERR_IP_WILDCARD : IDENT_ERR_IP;
    }
    struct domain_name dn;
    enum domain_rc drc = domain_normalize(in, len, &dn);
    if (drc != DOMAIN_OK) {
        if (reason)
            *reason = domain_reason(drc);
        return IDENT_ERR_DOMAIN;
    }
    memcpy(out->name, dn.name, sizeof out->name);
    out->wildcard = dn.wildcard;
    return IDENT_OK;
}

/* True when a normalised name is an address (any valid address text: the canonical one is what is stored). */
bool ident_is_ip(const char *name)
{
    struct ip_addr ip;
    return name && ip_normalize(name, strlen(name), &ip) == IP_OK;
}

/* "ip" for an address, "dns" for everything else. */
const char *ident_acme_type(const char *name)
{
    return ident_is_ip(name) ? "ip" : "dns";
}
