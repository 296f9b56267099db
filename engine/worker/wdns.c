/* wdns — the worker's DNS questions for DNS-01, answered with engine/dns. */
#include "wdns.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "dns/dns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes the DNS context from [dns]. */
bool wdns_init(struct worker *w)
{
    char err[256];
    w->dns = dns_ctx_new(w->cfg->dns_resolvers, w->cfg->dns_port, w->cfg->dns_timeout_ms, err, sizeof err);
    if (!w->dns)
        log_error("[dns] resolvers: %s", err);
    return w->dns != NULL;
}

/* Frees the DNS context. */
void wdns_free(struct worker *w)
{
    dns_ctx_free(w->dns);
    w->dns = NULL;
}

/* Follows the record's CNAMEs, then finds the target's zone (unless the provider names it). */
bool wdns_locate(struct worker *w, const char *record_name, const char *zone_hint, char **target, char **zone,
                 char *err, size_t errlen)
{
    if (!dns_cname_follow(w->dns, record_name, target, err, errlen))
        return false;
    if (zone_hint && *zone_hint) {
        *zone = xstrdup(zone_hint);
        return true;
    }
    struct dns_zone *z = NULL;
    if (!dns_zone_find(w->dns, *target, &z, err, errlen)) {
        free(*target);
        *target = NULL;
        return false;
    }
    *zone = xstrdup(z->apex);
    dns_zone_free(z);
    return true;
}

/* Asks every authoritative server of the zone (found afresh: NS sets change) for the value. */
bool wdns_propagated(struct worker *w, const char *zone, const char *name, const char *value, char *report,
                     size_t reportlen)
{
    struct dns_zone *z = NULL;
    if (!dns_zone_find(w->dns, zone, &z, report, reportlen))
        return false;
    struct dns_prop_report *r = NULL;
    bool ok = dns_propagation_check(w->dns, z, name, value, &r);
    if (!ok) {
        char *text = dns_prop_report_problem(r);
        snprintf(report, reportlen, "%s", text ? text : "no authoritative server answered");
        free(text);
    }
    dns_prop_report_free(r);
    dns_zone_free(z);
    return ok;
}
