/* dns/resolver — the context: ldns resolvers from "ip[:port]" lists or /etc/resolv.conf, sending
 * queries with a timeout and checking that answers match, following CNAMEs, name and address text. */
#include "dns/internal.h"

#include "base/log.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes a reason for the caller, who may have passed no buffer. */
void dns_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ldns returns NULL when malloc fails; like xalloc, we end the process instead of limping on. */
void *dns_must(void *p)
{
    if (!p) {
        fputs("certmill: out of memory (ldns)\n", stderr);
        abort();
    }
    return p;
}

/* ------------------------------------------------------------------ names and addresses */

/* Checks name text before ldns sees it: ldns would accept escapes and odd bytes we never need. */
ldns_rdf *dns_name_parse(const char *name, char *err, size_t errlen)
{
    if (!name || !*name) {
        dns_err(err, errlen, "empty domain name");
        return NULL;
    }
    size_t len = strlen(name);
    if (name[len - 1] == '.')
        len--;
    if (len == 0 || len > 253) {
        dns_err(err, errlen, "domain name of %zu characters (1..253)", len);
        return NULL;
    }
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.') {
            if (label == 0) {
                dns_err(err, errlen, "domain name with an empty label");
                return NULL;
            }
            label = 0;
            continue;
        }
        if (!isalnum(c) && c != '-' && c != '_' && c != '*') {
            dns_err(err, errlen, "domain name with a character other than letters, digits, '-', '_', '*'");
            return NULL;
        }
        if (++label > 63) {
            dns_err(err, errlen, "domain name with a label over 63 characters");
            return NULL;
        }
    }
    char *copy = xstrndup(name, len);
    ldns_rdf *d = ldns_dname_new_frm_str(copy);
    free(copy);
    if (!d)
        dns_err(err, errlen, "not a domain name");
    return d;
}

/* Text of a dname for callers and messages: lower case, without the root's dot. */
char *dns_name_text(const ldns_rdf *dname)
{
    char *s = dns_must(ldns_rdf2str(dname));
    size_t n = strlen(s);
    if (n > 1 && s[n - 1] == '.')
        s[n - 1] = '\0';
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    char *r = xstrdup(s);
    free(s);
    return r;
}

/* Same name, case-insensitively (ldns compares canonically). */
bool dns_name_eq(const ldns_rdf *a, const ldns_rdf *b)
{
    return a && b && ldns_dname_compare(a, b) == 0;
}

/* sub equal to parent or below it (ldns_dname_is_subdomain excludes equality). */
bool dns_name_under(const ldns_rdf *sub, const ldns_rdf *parent)
{
    return dns_name_eq(sub, parent) || ldns_dname_is_subdomain(sub, parent);
}

/* Parses a port of 1..65535 written in decimal only. */
static bool dns_port_parse(const char *s, int *port)
{
    if (!*s || strlen(s) > 5)
        return false;
    int v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (*s - '0');
    }
    if (v < 1 || v > 65535)
        return false;
    *port = v;
    return true;
}

/* "ip", "ip:port", "[v6]:port", "[v6]" or a bare IPv6 address (several colons, so no port). */
bool dns_addr_parse(const char *text, int default_port, ldns_rdf **addr, int *port, char *err, size_t errlen)
{
    char host[64];
    const char *portstr = NULL;
    *addr = NULL;
    *port = default_port;
    if (!text || !*text || strlen(text) >= sizeof host + 8) {
        dns_err(err, errlen, "empty or overlong server address");
        return false;
    }
    const char *colon = strchr(text, ':');
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || (size_t)(close - text - 1) >= sizeof host || (close[1] && close[1] != ':')) {
            dns_err(err, errlen, "bad server address (want [ipv6]:port)");
            return false;
        }
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        if (close[1] == ':')
            portstr = close + 2;
    } else if (colon && !strchr(colon + 1, ':')) {
        if ((size_t)(colon - text) >= sizeof host) {
            dns_err(err, errlen, "bad server address");
            return false;
        }
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
        portstr = colon + 1;
    } else {
        if (strlen(text) >= sizeof host) {
            dns_err(err, errlen, "bad server address");
            return false;
        }
        strcpy(host, text);
    }
    if (portstr && !dns_port_parse(portstr, port)) {
        dns_err(err, errlen, "bad port in server address (1..65535)");
        return false;
    }
    bool v6 = strchr(host, ':') != NULL;
    if (v6 && text[0] != '[' && portstr) {
        dns_err(err, errlen, "bad server address (write IPv6 with a port as [addr]:port)");
        return false;
    }
    *addr = ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, host);
    if (!*addr) {
        dns_err(err, errlen, "not an IP%s address", v6 ? "v6" : "v4");
        return false;
    }
    return true;
}

/* Address text of an A/AAAA rdf. */
char *dns_addr_text(const ldns_rdf *addr)
{
    char *s = dns_must(ldns_rdf2str(addr));
    char *r = xstrdup(s);
    free(s);
    return r;
}

/* host:port, with brackets around IPv6 so the port stays readable. */
const char *dns_hostport(const char *addr, int port, char *buf, size_t len)
{
    if (strchr(addr, ':'))
        snprintf(buf, len, "[%s]:%d", addr, port);
    else
        snprintf(buf, len, "%s:%d", addr, port);
    return buf;
}

/* One server of a zone as host:port. */
const char *dns_server_str(const struct dns_server *s, char *buf, size_t len)
{
    return dns_hostport(s->addr, s->port, buf, len);
}

/* The rcode's mnemonic from ldns's table. */
const char *dns_rcode_name(int rcode, char *buf, size_t len)
{
    const ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, rcode);
    if (t && t->name)
        snprintf(buf, len, "%s", t->name);
    else
        snprintf(buf, len, "RCODE %d", rcode);
    return buf;
}

/* ------------------------------------------------------------------ resolvers */

/* The settings every resolver of ours has: one try per server within timeout_ms, servers in the
 * given order, TCP when an answer is truncated, no search list. */
static void dns_resolver_setup(ldns_resolver *r, int port, int timeout_ms)
{
    struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
    ldns_resolver_set_port(r, (uint16_t)port);
    ldns_resolver_set_timeout(r, tv);
    ldns_resolver_set_retry(r, 1);
    ldns_resolver_set_retrans(r, 1);
    ldns_resolver_set_random(r, false);
    ldns_resolver_set_fallback(r, true);
    ldns_resolver_set_usevc(r, false);
    ldns_resolver_set_defnames(r, false);
    ldns_resolver_set_dnsrch(r, false);
    ldns_resolver_set_dnssec(r, false);
    ldns_resolver_set_igntc(r, false);
    ldns_resolver_set_edns_udp_size(r, DNS_EDNS_SIZE);
    ldns_resolver_set_ip6(r, LDNS_RESOLV_INETANY);
}

/* A resolver with one server (ldns has one port per resolver, so one resolver per server). */
static ldns_resolver *dns_resolver_make(const ldns_rdf *addr, int port, int timeout_ms)
{
    ldns_resolver *r = dns_must(ldns_resolver_new());
    dns_resolver_setup(r, port, timeout_ms);
    if (ldns_resolver_push_nameserver(r, addr) != LDNS_STATUS_OK) {
        ldns_resolver_deep_free(r);
        return NULL;
    }
    return r;
}

/* A resolver for one (authoritative) server. */
ldns_resolver *dns_resolver_one(const struct dns_ctx *ctx, const ldns_rdf *addr, int port)
{
    return dns_must(dns_resolver_make(addr, port, ctx->timeout_ms));
}

/* Adds one resolver to the context. */
static void dns_ctx_push(struct dns_ctx *ctx, ldns_resolver *r, const ldns_rdf *addr, int port)
{
    char label[80];
    char *a = dns_addr_text(addr);
    dns_hostport(a, port, label, sizeof label);
    free(a);
    ctx->res = xrealloc(ctx->res, (ctx->n_res + 1) * sizeof *ctx->res);
    ctx->res_label = xrealloc(ctx->res_label, (ctx->n_res + 1) * sizeof *ctx->res_label);
    ctx->res[ctx->n_res] = r;
    ctx->res_label[ctx->n_res] = xstrdup(label);
    ctx->n_res++;
}

/* The nameservers of /etc/resolv.conf, read by ldns, one resolver each. */
static bool dns_ctx_from_resolv_conf(struct dns_ctx *ctx, char *err, size_t errlen)
{
    ldns_resolver *sys = NULL;
    ldns_status st = ldns_resolver_new_frm_file(&sys, NULL);
    if (st != LDNS_STATUS_OK) {
        dns_err(err, errlen, "/etc/resolv.conf: %s", ldns_get_errorstr_by_id(st));
        return false;
    }
    ldns_rdf **ns = ldns_resolver_nameservers(sys);
    size_t n = ldns_resolver_nameserver_count(sys);
    int port = ldns_resolver_port(sys);
    for (size_t i = 0; i < n && ctx->n_res < DNS_MAX_NS; i++) {
        ldns_resolver *r = dns_resolver_make(ns[i], port, ctx->timeout_ms);
        if (r)
            dns_ctx_push(ctx, r, ns[i], port);
    }
    ldns_resolver_deep_free(sys);
    if (ctx->n_res == 0) {
        dns_err(err, errlen, "/etc/resolv.conf names no nameserver");
        return false;
    }
    return true;
}

/* Makes the context; see dns.h. */
struct dns_ctx *dns_ctx_new(const char *resolvers, int auth_port, int timeout_ms, char *err, size_t errlen)
{
    struct dns_ctx *ctx = xcalloc(1, sizeof *ctx);
    char *list = NULL;
    bool ok = false;
    dns_err(err, errlen, "%s", "");
    ctx->auth_port = auth_port;
    ctx->timeout_ms = timeout_ms;
    if (auth_port < 1 || auth_port > 65535 || timeout_ms < 1 || timeout_ms > 600000) {
        dns_err(err, errlen, "bad DNS port %d or timeout %d ms", auth_port, timeout_ms);
        goto done;
    }
    if (!resolvers || !*resolvers) {
        ok = dns_ctx_from_resolv_conf(ctx, err, errlen);
        goto done;
    }
    list = xstrdup(resolvers);
    char *save = NULL;
    for (char *tok = strtok_r(list, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
        ldns_rdf *addr = NULL;
        int port = 53;
        char why[128];
        if (ctx->n_res >= DNS_MAX_NS) {
            dns_err(err, errlen, "more than %d resolvers", DNS_MAX_NS);
            goto done;
        }
        if (!dns_addr_parse(tok, 53, &addr, &port, why, sizeof why)) {
            char safe[80];
            dns_err(err, errlen, "resolver \"%s\": %s", log_safe(safe, sizeof safe, tok), why);
            goto done;
        }
        ldns_resolver *r = dns_resolver_make(addr, port, timeout_ms);
        if (r)
            dns_ctx_push(ctx, r, addr, port);
        ldns_rdf_deep_free(addr);
    }
    if (ctx->n_res == 0) {
        dns_err(err, errlen, "no resolver in \"%s\"", resolvers);
        goto done;
    }
    ok = true;
done:
    free(list);
    if (!ok) {
        dns_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

/* Frees the context and its resolvers. */
void dns_ctx_free(struct dns_ctx *ctx)
{
    if (!ctx)
        return;
    for (size_t i = 0; i < ctx->n_res; i++) {
        ldns_resolver_deep_free(ctx->res[i]);
        free(ctx->res_label[i]);
    }
    free(ctx->res);
    free(ctx->res_label);
    free(ctx);
}

/* ------------------------------------------------------------------ queries */

/* True when the answer is to our question: ldns does not compare IDs, so a stray datagram would pass. */
static bool dns_reply_matches(const ldns_pkt *q, const ldns_pkt *a)
{
    if (ldns_pkt_id(a) != ldns_pkt_id(q) || !ldns_pkt_qr(a))
        return false;
    const ldns_rr_list *qa = ldns_pkt_question(a);
    const ldns_rr *want = ldns_rr_list_rr(ldns_pkt_question(q), 0);
    if (!qa || ldns_rr_list_rr_count(qa) == 0) {
        /* Some servers drop the question from errors (FORMERR, REFUSED); data needs it. */
        int rc = ldns_pkt_get_rcode(a);
        return rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN;
    }
    const ldns_rr *got = ldns_rr_list_rr(qa, 0);
    return ldns_rr_list_rr_count(qa) == 1 && ldns_rr_get_type(got) == ldns_rr_get_type(want) &&
           dns_name_eq(ldns_rr_owner(got), ldns_rr_owner(want));
}

/* Sends one query; see internal.h. */
bool dns_query_send(const struct dns_ctx *ctx, ldns_resolver *r, const ldns_rdf *name, ldns_rr_type type,
                    uint16_t flags, ldns_pkt **reply, char *err, size_t errlen)
{
    ldns_pkt *q = dns_must(
        ldns_pkt_query_new(dns_must(ldns_rdf_clone(name)), type, LDNS_RR_CLASS_IN, flags));
    ldns_pkt *a = NULL;
    ldns_status st = LDNS_STATUS_OK;
    bool ok = false;
    *reply = NULL;
    ldns_pkt_set_random_id(q);
    ldns_pkt_set_edns_udp_size(q, DNS_EDNS_SIZE);
    for (int attempt = 0; attempt < 2; attempt++) {
        /* ldns marks a server that timed out as unreachable for good; each query starts afresh. */
        for (size_t i = 0; i < ldns_resolver_nameserver_count(r); i++)
            ldns_resolver_set_nameserver_rtt(r, i, LDNS_RESOLV_RTT_MIN);
        ldns_pkt_free(a);
        a = NULL;
        st = ldns_resolver_send_pkt(&a, r, q);
        /* A server from before EDNS answers FORMERR: ask once more without it. */
        if (st != LDNS_STATUS_OK || !a || ldns_pkt_get_rcode(a) != LDNS_RCODE_FORMERR ||
            ldns_pkt_edns_udp_size(q) == 0)
            break;
        ldns_pkt_set_edns_udp_size(q, 0);
    }
    if (st != LDNS_STATUS_OK || !a) {
        if (st == LDNS_STATUS_NETWORK_ERR || st == LDNS_STATUS_RES_NO_NS || st == LDNS_STATUS_OK)
            dns_err(err, errlen, "did not answer within %d ms", ctx->timeout_ms);
        else
            dns_err(err, errlen, "gave no usable answer (%s)", ldns_get_errorstr_by_id(st));
        goto done;
    }
    if (!dns_reply_matches(q, a)) {
        dns_err(err, errlen, "gave an answer that does not match the query (ID or question)");
        goto done;
    }
    *reply = a;
    a = NULL;
    ok = true;
done:
    ldns_pkt_free(a);
    ldns_pkt_free(q);
    return ok;
}

/* Asks the resolvers in order; see internal.h. */
bool dns_query_resolvers(struct dns_ctx *ctx, const ldns_rdf *name, ldns_rr_type type, ldns_pkt **reply,
                         const char **from, char *err, size_t errlen)
{
    ldns_pkt *best = NULL;
    const char *best_from = NULL;
    char why[160] = "";
    *reply = NULL;
    for (size_t i = 0; i < ctx->n_res; i++) {
        ldns_pkt *a = NULL;
        if (!dns_query_send(ctx, ctx->res[i], name, type, LDNS_RD, &a, why, sizeof why)) {
            log_debug("dns: resolver %s: %s", ctx->res_label[i], why);
            if (!best)
                best_from = ctx->res_label[i];
            continue;
        }
        ldns_pkt_free(best);
        best = a;
        best_from = ctx->res_label[i];
        int rc = ldns_pkt_get_rcode(a);
        if (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN)
            break;
    }
    if (from)
        *from = best_from ? best_from : "?";
    if (!best) {
        dns_err(err, errlen, "resolver %s: %s", best_from ? best_from : "?", why);
        return false;
    }
    *reply = best;
    return true;
}

/* A referral: no answer, NS records in the authority section, no SOA. A recursive resolver never
 * gives one; an authoritative-only server asked as resolver does, and it must not read as NODATA. */
bool dns_pkt_is_referral(const ldns_pkt *a)
{
    if (ldns_pkt_get_rcode(a) != LDNS_RCODE_NOERROR || ldns_pkt_aa(a) || ldns_pkt_ancount(a) > 0)
        return false;
    bool ns = false;
    const ldns_rr_list *auth = ldns_pkt_authority(a);
    for (size_t i = 0; auth && i < ldns_rr_list_rr_count(auth); i++) {
        ldns_rr_type t = ldns_rr_get_type(ldns_rr_list_rr(auth, i));
        if (t == LDNS_RR_TYPE_SOA)
            return false;
        ns = ns || t == LDNS_RR_TYPE_NS;
    }
    return ns;
}

/* ------------------------------------------------------------------ lookups through CNAMEs */

/* The CNAME in list owned by owner, or NULL. */
static const ldns_rr *dns_find_cname(const ldns_rr_list *list, const ldns_rdf *owner)
{
    for (size_t i = 0; list && i < ldns_rr_list_rr_count(list); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(list, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) >= 1 &&
            dns_name_eq(ldns_rr_owner(rr), owner))
            return rr;
    }
    return NULL;
}

/* Frees what a lookup holds. */
void dns_lookup_clear(struct dns_lookup *l)
{
    if (!l)
        return;
    ldns_rdf_deep_free(l->final);
    ldns_rr_list_deep_free(l->rrs);
    memset(l, 0, sizeof *l);
}

/* Asks for type at name, following CNAMEs; see internal.h. */
bool dns_lookup(struct dns_ctx *ctx, const ldns_rdf *name, ldns_rr_type type, struct dns_lookup *out, char *err,
                size_t errlen)
{
    ldns_rdf *seen[DNS_MAX_CNAME_CHAIN + 1];
    size_t n_seen = 0;
    ldns_pkt *a = NULL;
    bool ok = false;
    char why[200];
    memset(out, 0, sizeof *out);
    out->rcode = -1;
    out->final = dns_must(ldns_rdf_clone(name));
    seen[n_seen++] = dns_must(ldns_rdf_clone(name));
    for (;;) {
        const char *from = NULL;
        ldns_pkt_free(a);
        a = NULL;
        if (!dns_query_resolvers(ctx, out->final, type, &a, &from, why, sizeof why)) {
            char *n = dns_name_text(out->final);
            dns_err(err, errlen, "%s lookup of %s: %s", ldns_rr_descript(type)->_name, n, why);
            free(n);
            goto done;
        }
        int rc = ldns_pkt_get_rcode(a);
        out->rcode = rc;
        if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
            char *n = dns_name_text(out->final);
            char rcb[24];
            dns_err(err, errlen, "%s lookup of %s: resolver %s answered %s", ldns_rr_descript(type)->_name, n, from,
                    dns_rcode_name(rc, rcb, sizeof rcb));
            free(n);
            goto done;
        }
        if (dns_pkt_is_referral(a)) {
            char *n = dns_name_text(out->final);
            dns_err(err, errlen, "%s lookup of %s: resolver %s answered with a referral (it does not recurse)",
                    ldns_rr_descript(type)->_name, n, from);
            free(n);
            goto done;
        }
        /* Follow the chain as far as this answer carries it. */
        bool moved = false;
        const ldns_rr *cn;
        while (type != LDNS_RR_TYPE_CNAME && (cn = dns_find_cname(ldns_pkt_answer(a), out->final))) {
            const ldns_rdf *target = ldns_rr_rdf(cn, 0);
            for (size_t i = 0; i < n_seen; i++) {
                if (dns_name_eq(seen[i], target)) {
                    char *n = dns_name_text(name), *t = dns_name_text(target);
                    dns_err(err, errlen, "CNAME loop from %s at %s", n, t);
                    free(n);
                    free(t);
                    goto done;
                }
            }
            if (++out->n_cnames > DNS_MAX_CNAME_CHAIN) {
                char *n = dns_name_text(name);
                dns_err(err, errlen, "CNAME chain from %s longer than %d", n, DNS_MAX_CNAME_CHAIN);
                free(n);
                goto done;
            }
            seen[n_seen++] = dns_must(ldns_rdf_clone(target));
            ldns_rdf_deep_free(out->final);
            out->final = dns_must(ldns_rdf_clone(target));
            moved = true;
        }
        ldns_rr_list_deep_free(out->rrs);
        out->rrs = dns_must(ldns_rr_list_new());
        const ldns_rr_list *ans = ldns_pkt_answer(a);
        for (size_t i = 0; ans && i < ldns_rr_list_rr_count(ans); i++) {
            const ldns_rr *rr = ldns_rr_list_rr(ans, i);
            if (ldns_rr_get_type(rr) != type || !dns_name_eq(ldns_rr_owner(rr), out->final))
                continue;
            if (ldns_rr_list_rr_count(out->rrs) >= DNS_MAX_RRSET)
                break;
            ldns_rr_list_push_rr(out->rrs, dns_must(ldns_rr_clone(rr)));
        }
        /* A server that does not chase (the target is in another zone) leaves the chain open: ask on. */
        if (!moved || rc == LDNS_RCODE_NXDOMAIN || ldns_rr_list_rr_count(out->rrs) > 0)
            break;
    }
    ok = true;
done:
    ldns_pkt_free(a);
    for (size_t i = 0; i < n_seen; i++)
        ldns_rdf_deep_free(seen[i]);
    if (!ok) {
        int rc = out->rcode;
        dns_lookup_clear(out);
        out->rcode = rc;
    }
    return ok;
}

/* The strings of a TXT record joined, as RFC 8555 values are compared. */
char *dns_txt_rr_value(const ldns_rr *rr)
{
    size_t total = 0;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *f = ldns_rr_rdf(rr, i);
        if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_STR && ldns_rdf_size(f) >= 1)
            total += ldns_rdf_size(f) - 1;
    }
    char *v = xmalloc(total + 1), *p = v;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *f = ldns_rr_rdf(rr, i);
        if (ldns_rdf_get_type(f) != LDNS_RDF_TYPE_STR || ldns_rdf_size(f) < 1)
            continue;
        /* A STR rdf is ldns's <character-string>: a length byte, then the bytes. */
        const uint8_t *d = ldns_rdf_data(f);
        size_t n = ldns_rdf_size(f) - 1;
        if (n > d[0])
            n = d[0];
        for (size_t j = 0; j < n; j++)
            *p++ = d[1 + j] ? (char)d[1 + j] : '?';
    }
    *p = '\0';
    return v;
}
