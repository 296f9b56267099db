/* dns/addr — the A and AAAA records of a name (pre-flight: does it resolve at all). */
#include "dns/internal.h"

#include "base/xalloc.h"

#include <stdlib.h>

/* Copies the addresses of a lookup's records. */
static void addr_take(const ldns_rr_list *rrs, char ***out, size_t *n)
{
    for (size_t i = 0; rrs && i < ldns_rr_list_rr_count(rrs); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
        if (ldns_rr_rd_count(rr) < 1)
            continue;
        *out = xrealloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = dns_addr_text(ldns_rr_rdf(rr, 0));
    }
}

/* A and AAAA of name; see dns.h. */
bool dns_addresses(struct dns_ctx *ctx, const char *name, struct dns_addrs **addrs, char *err, size_t errlen)
{
    struct dns_addrs *r = xcalloc(1, sizeof *r);
    struct dns_lookup a4, a6;
    ldns_rdf *qname = NULL;
    bool ok = false, have4 = false, have6 = false;
    *addrs = NULL;
    dns_err(err, errlen, "%s", "");
    if (!(qname = dns_name_parse(name, err, errlen)))
        goto done;
    if (!(have4 = dns_lookup(ctx, qname, LDNS_RR_TYPE_A, &a4, err, errlen)))
        goto done;
    if (!(have6 = dns_lookup(ctx, qname, LDNS_RR_TYPE_AAAA, &a6, err, errlen)))
        goto done;
    addr_take(a4.rrs, &r->a, &r->n_a);
    addr_take(a6.rrs, &r->aaaa, &r->n_aaaa);
    r->canonical = dns_name_text(a4.final);
    if (r->n_a + r->n_aaaa > 0)
        r->status = DNS_ADDR_FOUND;
    else if (a4.rcode == LDNS_RCODE_NXDOMAIN && a6.rcode == LDNS_RCODE_NXDOMAIN)
        r->status = DNS_ADDR_NXDOMAIN;
    else
        r->status = DNS_ADDR_NODATA;
    *addrs = r;
    r = NULL;
    ok = true;
done:
    if (have4)
        dns_lookup_clear(&a4);
    if (have6)
        dns_lookup_clear(&a6);
    ldns_rdf_deep_free(qname);
    dns_addrs_free(r);
    return ok;
}

/* Frees an address set. */
void dns_addrs_free(struct dns_addrs *addrs)
{
    if (!addrs)
        return;
    for (size_t i = 0; i < addrs->n_a; i++)
        free(addrs->a[i]);
    for (size_t i = 0; i < addrs->n_aaaa; i++)
        free(addrs->aaaa[i]);
    free(addrs->a);
    free(addrs->aaaa);
    free(addrs->canonical);
    free(addrs);
}
