/* dns/cname — where a name really points: the end of its CNAME chain (acme-dns style delegation). */
#include "dns/internal.h"

#include "base/xalloc.h"

#include <stdlib.h>

/* Follows name's CNAME chain; see dns.h. Asks for type CNAME, one link at a time, so a target zone
 * that is broken (or a target that does not exist yet) does not hide the delegation itself. */
bool dns_cname_follow(struct dns_ctx *ctx, const char *name, char **target, char *err, size_t errlen)
{
    ldns_rdf *start = NULL;
    ldns_rdf *chain[DNS_MAX_CNAME_CHAIN + 1];
    size_t n = 0;
    bool ok = false;
    *target = NULL;
    dns_err(err, errlen, "%s", "");
    if (!(start = dns_name_parse(name, err, errlen)))
        return false;
    chain[n++] = ldns_rdf_clone(start);
    for (;;) {
        const ldns_rdf *cur = chain[n - 1];
        struct dns_lookup l;
        if (!cur || !dns_lookup(ctx, cur, LDNS_RR_TYPE_CNAME, &l, err, errlen))
            goto done;
        const ldns_rr *cn = ldns_rr_list_rr_count(l.rrs) > 0 ? ldns_rr_list_rr(l.rrs, 0) : NULL;
        const ldns_rdf *next = cn && ldns_rr_rd_count(cn) >= 1 ? ldns_rr_rdf(cn, 0) : NULL;
        if (!next || ldns_rdf_get_type(next) != LDNS_RDF_TYPE_DNAME) {
            dns_lookup_clear(&l);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (dns_name_eq(chain[i], next)) {
                char *s = dns_name_text(start), *t = dns_name_text(next);
                dns_err(err, errlen, "CNAME loop from %s back to %s", s, t);
                free(s);
                free(t);
                dns_lookup_clear(&l);
                goto done;
            }
        }
        if (n > DNS_MAX_CNAME_CHAIN) {
            char *s = dns_name_text(start);
            dns_err(err, errlen, "CNAME chain from %s longer than %d", s, DNS_MAX_CNAME_CHAIN);
            free(s);
            dns_lookup_clear(&l);
            goto done;
        }
        chain[n++] = ldns_rdf_clone(next);
        dns_lookup_clear(&l);
    }
    *target = dns_name_text(chain[n - 1]);
    ok = true;
done:
    for (size_t i = 0; i < n; i++)
        ldns_rdf_deep_free(chain[i]);
    ldns_rdf_deep_free(start);
    return ok;
}
