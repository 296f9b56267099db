/* dns/zone — the zone cut of a name: its SOA owner, primary master, and the addresses of its NS. */
#include "dns/internal.h"

#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* The SOA in list owned by owner, or (owner NULL) the first SOA at or above under. */
static const ldns_rr *zone_find_soa(const ldns_rr_list *list, const ldns_rdf *owner, const ldns_rdf *under)
{
    for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(list, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) < 2)
            continue;
        if (owner ? dns_name_eq(ldns_rr_owner(rr), owner) : dns_name_under(under, ldns_rr_owner(rr)))
            return rr;
    }
    return NULL;
}

/* Walks up from name asking for SOA until one is owned by the name asked, or an answer's authority
 * section names the zone; *soa is a copy of that record. */
static bool zone_walk(struct dns_ctx *ctx, const ldns_rdf *name, ldns_rr **soa, char *err, size_t errlen)
{
    ldns_rdf *cur = ldns_rdf_clone(name);
    ldns_pkt *a = NULL;
    bool ok = false;
    char why[200];
    *soa = NULL;
    for (int step = 0; cur && ldns_dname_label_count(cur) > 0 && step < DNS_MAX_LABELS; step++) {
        const char *from = NULL;
        ldns_pkt_free(a);
        a = NULL;
        if (!dns_query_resolvers(ctx, cur, LDNS_RR_TYPE_SOA, &a, &from, why, sizeof why)) {
            char *n = dns_name_text(cur);
            dns_err(err, errlen, "SOA lookup of %s: %s", n, why);
            free(n);
            goto done;
        }
        int rc = ldns_pkt_get_rcode(a);
        if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
            /* Going on upwards past a broken zone would find its parent's zone: a wrong answer. */
            char *n = dns_name_text(cur);
            char rcb[24];
            dns_err(err, errlen, "SOA lookup of %s: resolver %s answered %s", n, from,
                    dns_rcode_name(rc, rcb, sizeof rcb));
            free(n);
            goto done;
        }
        if (dns_pkt_is_referral(a)) {
            /* Walking on would find the parent's zone: a wrong answer, not a missing one. */
            char *n = dns_name_text(cur);
            dns_err(err, errlen, "SOA lookup of %s: resolver %s answered with a referral (it does not recurse)", n,
                    from);
            free(n);
            goto done;
        }
        const ldns_rr *found = zone_find_soa(ldns_pkt_answer(a), cur, NULL);
        bool aliased = false;
        for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(a)); i++) {
            const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(a), i);
            if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && dns_name_eq(ldns_rr_owner(rr), cur))
                aliased = true;
        }
        /* A CNAME's authority section speaks of its target's zone, not of the name's: go up instead. */
        if (!found && !aliased)
            found = zone_find_soa(ldns_pkt_authority(a), NULL, cur);
        if (found) {
            if (ldns_dname_label_count(ldns_rr_owner(found)) == 0) {
                char *n = dns_name_text(name);
                dns_err(err, errlen, "no SOA found for %s below the root", n);
                free(n);
                goto done;
            }
            *soa = ldns_rr_clone(found);
            ok = *soa != NULL;
            goto done;
        }
        ldns_rdf *up = ldns_dname_left_chop(cur);
        ldns_rdf_deep_free(cur);
        cur = up;
    }
    char *n = dns_name_text(name);
    dns_err(err, errlen, "no SOA found for %s", n);
    free(n);
done:
    ldns_pkt_free(a);
    ldns_rdf_deep_free(cur);
    return ok;
}

/* Appends the addresses of records A/AAAA in rrs (at most DNS_MAX_NS_ADDRS) to texts. */
static void zone_take_addrs(const ldns_rr_list *rrs, char ***texts, size_t *n)
{
    size_t taken = 0;
    for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs) && taken < DNS_MAX_NS_ADDRS; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
        if (ldns_rr_rd_count(rr) < 1)
            continue;
        *texts = xrealloc(*texts, (*n + 1) * sizeof **texts);
        (*texts)[(*n)++] = dns_addr_text(ldns_rr_rdf(rr, 0));
        taken++;
    }
}

/* The IPv4 then IPv6 addresses of host through the resolvers. */
static bool zone_host_addrs(struct dns_ctx *ctx, const ldns_rdf *host, char ***texts, size_t *n, char *err,
                            size_t errlen)
{
    static const ldns_rr_type types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
    *texts = NULL;
    *n = 0;
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        struct dns_lookup l;
        if (!dns_lookup(ctx, host, types[t], &l, err, errlen)) {
            for (size_t i = 0; i < *n; i++)
                free((*texts)[i]);
            free(*texts);
            *texts = NULL;
            *n = 0;
            return false;
        }
        zone_take_addrs(l.rrs, texts, n);
        dns_lookup_clear(&l);
    }
    return true;
}

/* Sorts NS names so reports list servers in a stable order. */
static int zone_cmp_rr_target(const void *a, const void *b)
{
    const ldns_rr *x = *(const ldns_rr *const *)a, *y = *(const ldns_rr *const *)b;
    return ldns_dname_compare(ldns_rr_rdf(x, 0), ldns_rr_rdf(y, 0));
}

/* Fills zone->servers from the NS RRset of the apex. */
static bool zone_servers(struct dns_ctx *ctx, struct dns_zone *zone, const ldns_rdf *apex, const ldns_rdf *mname,
                         char *err, size_t errlen)
{
    struct dns_lookup l;
    const ldns_rr *ns[DNS_MAX_NS];
    size_t n_ns = 0;
    bool ok = false;
    if (!dns_lookup(ctx, apex, LDNS_RR_TYPE_NS, &l, err, errlen))
        return false;
    for (size_t i = 0; i < ldns_rr_list_rr_count(l.rrs) && n_ns < DNS_MAX_NS; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(l.rrs, i);
        if (ldns_rr_rd_count(rr) >= 1 && ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) == LDNS_RDF_TYPE_DNAME)
            ns[n_ns++] = rr;
    }
    if (n_ns == 0) {
        dns_err(err, errlen, "zone %s has no NS records", zone->apex);
        goto done;
    }
    qsort(ns, n_ns, sizeof ns[0], zone_cmp_rr_target);
    for (size_t i = 0; i < n_ns; i++) {
        const ldns_rdf *host = ldns_rr_rdf(ns[i], 0);
        char **addrs = NULL;
        size_t n_addrs = 0;
        char why[240];
        char *hn = dns_name_text(host);
        if (!zone_host_addrs(ctx, host, &addrs, &n_addrs, why, sizeof why)) {
            dns_err(err, errlen, "NS %s of zone %s: %s", hn, zone->apex, why);
            free(hn);
            goto done;
        }
        if (n_addrs == 0) {
            dns_err(err, errlen, "NS %s of zone %s has no address", hn, zone->apex);
            free(hn);
            goto done;
        }
        zone->servers = xrealloc(zone->servers, (zone->n_servers + n_addrs) * sizeof *zone->servers);
        for (size_t j = 0; j < n_addrs; j++) {
            struct dns_server *s = &zone->servers[zone->n_servers++];
            s->name = xstrdup(hn);
            s->addr = addrs[j];
            s->port = ctx->auth_port;
        }
        if (!zone->primary_addr && dns_name_eq(host, mname))
            zone->primary_addr = xstrdup(addrs[0]);
        free(addrs);
        free(hn);
    }
    ok = true;
done:
    dns_lookup_clear(&l);
    return ok;
}

/* Finds the zone of fqdn; see dns.h. */
bool dns_zone_find(struct dns_ctx *ctx, const char *fqdn, struct dns_zone **zone, char *err, size_t errlen)
{
    ldns_rdf *name = NULL;
    ldns_rr *soa = NULL;
    struct dns_zone *z = NULL;
    bool ok = false;
    *zone = NULL;
    dns_err(err, errlen, "%s", "");
    if (!(name = dns_name_parse(fqdn, err, errlen)))
        goto done;
    /* "*.x" lives in x's zone; asking for the literal "*" label would work too, but reads oddly in errors. */
    if (ldns_dname_label_count(name) > 1 && ldns_rdf_size(name) > 2 && ldns_rdf_data(name)[0] == 1 &&
        ldns_rdf_data(name)[1] == '*') {
        ldns_rdf *base = ldns_dname_left_chop(name);
        ldns_rdf_deep_free(name);
        name = base;
    }
    if (!name || !zone_walk(ctx, name, &soa, err, errlen))
        goto done;
    z = xcalloc(1, sizeof *z);
    z->apex = dns_name_text(ldns_rr_owner(soa));
    const ldns_rdf *mname = ldns_rr_rdf(soa, 0);
    z->primary = dns_name_text(mname);
    if (!zone_servers(ctx, z, ldns_rr_owner(soa), mname, err, errlen))
        goto done;
    if (!z->primary_addr) {
        /* A primary that is no NS (often hidden): its address if it has one, else none. */
        char **addrs = NULL;
        size_t n = 0;
        if (zone_host_addrs(ctx, mname, &addrs, &n, NULL, 0) && n > 0)
            z->primary_addr = xstrdup(addrs[0]);
        for (size_t i = 0; i < n; i++)
            free(addrs[i]);
        free(addrs);
    }
    *zone = z;
    z = NULL;
    ok = true;
done:
    dns_zone_free(z);
    ldns_rr_free(soa);
    ldns_rdf_deep_free(name);
    return ok;
}

/* Frees a zone. */
void dns_zone_free(struct dns_zone *zone)
{
    if (!zone)
        return;
    for (size_t i = 0; i < zone->n_servers; i++) {
        free(zone->servers[i].name);
        free(zone->servers[i].addr);
    }
    free(zone->servers);
    free(zone->apex);
    free(zone->primary);
    free(zone->primary_addr);
    free(zone);
}
