/* dns/caa — CAA (RFC 8659): finding the relevant RRset and deciding whether it lets a CA issue. */
#include "dns/internal.h"

#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Property tags certmill knows (RFC 8659, RFC 8657's parameters live inside issue values, RFC 9495,
 * and the BIMI/S/MIME ones): only an unknown tag with the critical flag forbids issuance. */
static const char *const caa_known_tags[] = { "issue",        "issuewild", "iodef", "contactemail",
                                              "contactphone", "issuemail", "issuevmc" };

#define CAA_FLAG_CRITICAL 128

/* An empty set; see dns.h. */
struct dns_caa_set *dns_caa_set_new(const char *found_at)
{
    struct dns_caa_set *s = xcalloc(1, sizeof *s);
    s->found_at = found_at ? xstrdup(found_at) : NULL;
    return s;
}

/* Copies n bytes of record text, NUL bytes replaced so C strings stay whole. */
static char *caa_bytes(const uint8_t *p, size_t n)
{
    char *s = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = p[i] ? (char)p[i] : '?';
    s[n] = '\0';
    return s;
}

/* Appends one CAA record as ldns parsed it: flags (INT8), tag (TAG: length byte + text), value
 * (LONG_STR: the remaining bytes). */
bool dns_caa_set_add_rr(struct dns_caa_set *set, const struct ldns_struct_rr *rr)
{
    if (!set || !rr || ldns_rr_get_type(rr) != LDNS_RR_TYPE_CAA || ldns_rr_rd_count(rr) != 3 ||
        set->n >= DNS_MAX_RRSET)
        return false;
    const ldns_rdf *fl = ldns_rr_rdf(rr, 0), *tg = ldns_rr_rdf(rr, 1), *vl = ldns_rr_rdf(rr, 2);
    if (ldns_rdf_get_type(fl) != LDNS_RDF_TYPE_INT8 || ldns_rdf_size(fl) != 1 ||
        ldns_rdf_get_type(tg) != LDNS_RDF_TYPE_TAG || ldns_rdf_size(tg) < 1 ||
        ldns_rdf_get_type(vl) != LDNS_RDF_TYPE_LONG_STR)
        return false;
    const uint8_t *t = ldns_rdf_data(tg);
    size_t tlen = t[0] < ldns_rdf_size(tg) ? t[0] : ldns_rdf_size(tg) - 1;
    set->records = xrealloc(set->records, (set->n + 1) * sizeof *set->records);
    struct dns_caa *c = &set->records[set->n++];
    c->flags = ldns_rdf_data(fl)[0];
    c->tag = caa_bytes(t + 1, tlen);
    c->value = caa_bytes(ldns_rdf_data(vl), ldns_rdf_size(vl));
    return true;
}

/* Finds the relevant RRset; see dns.h. */
bool dns_caa_lookup(struct dns_ctx *ctx, const char *name, struct dns_caa_set **set, char *err, size_t errlen)
{
    ldns_rdf *cur = NULL;
    struct dns_caa_set *s = NULL;
    bool ok = false;
    *set = NULL;
    dns_err(err, errlen, "%s", "");
    if (!(cur = dns_name_parse(name, err, errlen)))
        return false;
    /* RFC 8659 §3: a wildcard's relevant set is searched from its base name. */
    if (ldns_dname_label_count(cur) > 1 && ldns_rdf_data(cur)[0] == 1 && ldns_rdf_data(cur)[1] == '*') {
        ldns_rdf *base = dns_must(ldns_dname_left_chop(cur));
        ldns_rdf_deep_free(cur);
        cur = base;
    }
    for (int step = 0; ldns_dname_label_count(cur) > 0 && step < DNS_MAX_LABELS; step++) {
        struct dns_lookup l;
        /* Lookups follow CNAMEs (RFC 8659 §3); a failed lookup must not read as "no CAA". One exception:
         * REFUSED above a name that was answered comes from an authoritative-only server used as resolver
         * (test stacks, split DNS), which has nothing to say about parent zones; the CA checks for itself. */
        if (!dns_lookup(ctx, cur, LDNS_RR_TYPE_CAA, &l, err, errlen)) {
            if (step == 0 || l.rcode != LDNS_RCODE_REFUSED)
                goto done;
            char *n = dns_name_text(cur);
            log_debug("dns: CAA lookup of %s: REFUSED by the resolver, taken as no CAA", n);
            free(n);
            dns_err(err, errlen, "%s", "");
        } else if (ldns_rr_list_rr_count(l.rrs) > 0) {
            char *at = dns_name_text(cur);
            s = dns_caa_set_new(at);
            free(at);
            for (size_t i = 0; i < ldns_rr_list_rr_count(l.rrs); i++)
                dns_caa_set_add_rr(s, ldns_rr_list_rr(l.rrs, i));
            dns_lookup_clear(&l);
            break;
        }
        dns_lookup_clear(&l);
        ldns_rdf *up = dns_must(ldns_dname_left_chop(cur));
        ldns_rdf_deep_free(cur);
        cur = up;
    }
    *set = s ? s : dns_caa_set_new(NULL);
    ok = true;
done:
    ldns_rdf_deep_free(cur);
    return ok;
}

/* True when tag is one of the tags certmill knows. */
static bool caa_tag_known(const char *tag)
{
    for (size_t i = 0; i < sizeof caa_known_tags / sizeof caa_known_tags[0]; i++)
        if (strcasecmp(tag, caa_known_tags[i]) == 0)
            return true;
    return false;
}

/* The issuer-domain-name of an issue/issuewild value: what comes before ';', blanks trimmed. */
static char *caa_issuer_of(const char *value)
{
    const char *end = strchr(value, ';');
    if (!end)
        end = value + strlen(value);
    while (value < end && (*value == ' ' || *value == '\t'))
        value++;
    while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    return xstrndup(value, (size_t)(end - value));
}

/* Case-insensitive domain equality; a trailing dot on either side does not count. */
static bool caa_domain_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la && a[la - 1] == '.')
        la--;
    if (lb && b[lb - 1] == '.')
        lb--;
    return la > 0 && la == lb && strncasecmp(a, b, la) == 0;
}

/* Decides; see dns.h. */
bool dns_caa_allows(const struct dns_caa_set *set, const char *issuer_domain, bool wildcard, char *reason,
                    size_t reasonlen)
{
    char at[260], safe[120];
    size_t n_issue = 0, n_wild = 0;
    if (!set || set->n == 0) {
        dns_err(reason, reasonlen, "no CAA records: any CA may issue");
        return true;
    }
    log_safe(at, sizeof at, set->found_at ? set->found_at : "?");
    for (size_t i = 0; i < set->n; i++) {
        const struct dns_caa *c = &set->records[i];
        if ((c->flags & CAA_FLAG_CRITICAL) && !caa_tag_known(c->tag)) {
            dns_err(reason, reasonlen, "CAA at %s has the unknown critical property \"%s\": no CA may issue", at,
                    log_safe(safe, sizeof safe, c->tag));
            return false;
        }
        n_issue += strcasecmp(c->tag, "issue") == 0;
        n_wild += strcasecmp(c->tag, "issuewild") == 0;
    }
    /* RFC 8659 §4.3: issuewild, when present, alone governs wildcard names. */
    const char *use = wildcard && n_wild > 0 ? "issuewild" : "issue";
    if ((wildcard && n_wild > 0 ? n_wild : n_issue) == 0) {
        dns_err(reason, reasonlen, "CAA at %s has no %s property: it does not restrict issuance", at, use);
        return true;
    }
    struct buf named;
    buf_init(&named, 400);
    bool allowed = false;
    for (size_t i = 0; i < set->n && !allowed; i++) {
        const struct dns_caa *c = &set->records[i];
        if (strcasecmp(c->tag, use) != 0)
            continue;
        char *dom = caa_issuer_of(c->value);
        if (issuer_domain && caa_domain_eq(dom, issuer_domain))
            allowed = true;
        else if (*dom)
            buf_printf(&named, "%s%s", named.len ? ", " : "", log_safe(safe, sizeof safe, dom));
        free(dom);
    }
    if (allowed)
        dns_err(reason, reasonlen, "CAA at %s: %s allows %s", at, use,
                log_safe(safe, sizeof safe, issuer_domain));
    else if (named.len == 0)
        dns_err(reason, reasonlen, "CAA at %s: %s \";\" forbids every CA%s", at, use,
                wildcard ? " for wildcard names" : "");
    else
        dns_err(reason, reasonlen, "CAA at %s: %s allows only %s, not %s", at, use, named.data,
                log_safe(safe, sizeof safe, issuer_domain ? issuer_domain : "(no issuer)"));
    buf_free(&named);
    return allowed;
}

/* Frees a set. */
void dns_caa_set_free(struct dns_caa_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++) {
        free(set->records[i].tag);
        free(set->records[i].value);
    }
    free(set->records);
    free(set->found_at);
    free(set);
}
