/* dns/update — RFC 2136 dynamic updates of one TXT value, signed with TSIG, sent over TCP. */
#include "dns/internal.h"

#include "base/log.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* TSIG error codes of RFC 8945 §3 that servers put in the TSIG record of an unsigned error answer. */
enum { TSIG_BADSIG = 16, TSIG_BADKEY = 17, TSIG_BADTIME = 18, TSIG_BADALG = 21, TSIG_BADTRUNC = 22 };

/* Names of the TSIG error codes. */
static const char *update_tsig_error_name(int e)
{
    switch (e) {
    case TSIG_BADSIG:
        return "BADSIG";
    case TSIG_BADKEY:
        return "BADKEY";
    case TSIG_BADTIME:
        return "BADTIME";
    case TSIG_BADALG:
        return "BADALG";
    case TSIG_BADTRUNC:
        return "BADTRUNC";
    default:
        return "TSIG error";
    }
}

/* The outcome names; see dns.h. */
const char *dns_update_rc_name(enum dns_update_rc rc)
{
    static const char *const names[] = { "ok", "refused", "notauth", "tsig", "no_answer", "failed", "error" };
    return (unsigned)rc < sizeof names / sizeof names[0] ? names[rc] : "error";
}

/* A TXT value we publish: one character-string of printable ASCII, no quote or backslash (ldns would
 * read those as syntax); ACME values are base64url, far inside this. */
static bool update_value_ok(const char *v)
{
    size_t n = v ? strlen(v) : 0;
    if (n == 0 || n > DNS_MAX_TXT_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] < 0x20 || v[i] > 0x7e || v[i] == '"' || v[i] == '\\')
            return false;
    return true;
}

/* The update record: class IN with the TTL adds the value, class NONE with TTL 0 deletes exactly that
 * value (RFC 2136 §2.5.1, §2.5.4), leaving the name's other TXT values alone. */
static ldns_rr *update_rr(const ldns_rdf *name, const char *value, uint32_t ttl, bool add)
{
    ldns_rdf *txt = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_STR, value);
    if (!txt)
        return NULL;
    ldns_rr *rr = dns_must(ldns_rr_new());
    ldns_rr_set_owner(rr, dns_must(ldns_rdf_clone(name)));
    ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
    ldns_rr_set_class(rr, add ? LDNS_RR_CLASS_IN : LDNS_RR_CLASS_NONE);
    ldns_rr_set_ttl(rr, add ? ttl : 0);
    ldns_rr_push_rdf(rr, txt);
    return rr;
}

/* Sends the message over TCP (the update may be large, and TCP cannot be spoofed blindly), over UDP
 * when no TCP connection can be made; *wire is the answer as received, for TSIG verification. */
static bool update_exchange(const struct dns_ctx *ctx, const ldns_rdf *addr, int port, ldns_buffer *qb,
                            uint8_t **wire, size_t *wirelen, char *err, size_t errlen)
{
    struct timeval tv = { .tv_sec = ctx->timeout_ms / 1000, .tv_usec = (ctx->timeout_ms % 1000) * 1000 };
    size_t sslen = 0;
    struct sockaddr_storage *ss = ldns_rdf2native_sockaddr_storage(addr, (uint16_t)port, &sslen);
    *wire = NULL;
    if (!ss) {
        dns_err(err, errlen, "bad server address");
        return false;
    }
    ldns_status st = ldns_tcp_send(wire, qb, ss, (socklen_t)sslen, tv, wirelen);
    if (st != LDNS_STATUS_OK) {
        log_debug("dns: update over TCP failed (%s), trying UDP", ldns_get_errorstr_by_id(st));
        *wire = NULL;
        st = ldns_udp_send(wire, qb, ss, (socklen_t)sslen, tv, wirelen);
    }
    free(ss);
    if (st != LDNS_STATUS_OK || !*wire) {
        dns_err(err, errlen, "did not answer within %d ms (TCP and UDP)", ctx->timeout_ms);
        *wire = NULL;
        return false;
    }
    return true;
}

/* Reads the server's verdict from its answer. */
static enum dns_update_rc update_verdict(ldns_pkt *reply, const uint8_t *wire, size_t wirelen, const ldns_pkt *query,
                                         const struct dns_tsig *key, const char *zone, const char *name,
                                         const char *where, char *err, size_t errlen)
{
    char rcb[24];
    int rc = ldns_pkt_get_rcode(reply);
    const ldns_rr *t = ldns_pkt_tsig(reply);
    int tsig_error = t && ldns_rr_rd_count(t) == 7 ? ldns_rdf2native_int16(ldns_rr_rdf(t, 5)) : 0;
    if (key && tsig_error) {
        const char *hint = tsig_error == TSIG_BADSIG    ? ": wrong secret?"
                           : tsig_error == TSIG_BADKEY  ? ": the server does not know this key name and algorithm"
                           : tsig_error == TSIG_BADTIME ? ": the clocks differ by more than 300 s"
                                                        : "";
        dns_err(err, errlen, "%s rejected TSIG key %s (%s, %s)%s", where, key->name,
                dns_rcode_name(rc, rcb, sizeof rcb), update_tsig_error_name(tsig_error), hint);
        return DNS_UPDATE_TSIG;
    }
    switch (rc) {
    case LDNS_RCODE_NOERROR:
        break;
    case LDNS_RCODE_REFUSED:
        dns_err(err, errlen, "%s refused the update of zone %s (REFUSED): its update policy does not allow %s",
                where, zone, key ? "this key for the name" : "unsigned updates");
        return DNS_UPDATE_REFUSED;
    case LDNS_RCODE_NOTAUTH:
        dns_err(err, errlen, "%s is not authoritative for zone %s (NOTAUTH)", where, zone);
        return DNS_UPDATE_NOTAUTH;
    case LDNS_RCODE_NOTZONE:
        dns_err(err, errlen, "%s: %s is not in zone %s (NOTZONE)", where, name, zone);
        return DNS_UPDATE_FAILED;
    default:
        dns_err(err, errlen, "%s answered %s to the update of %s", where, dns_rcode_name(rc, rcb, sizeof rcb), name);
        return DNS_UPDATE_FAILED;
    }
    if (key && !dns_tsig_verify(reply, wire, wirelen, key, query)) {
        /* The server said yes, but we cannot tell it was the server: treat as not done. */
        dns_err(err, errlen, "%s answered NOERROR without a valid TSIG signature by key %s", where, key->name);
        return DNS_UPDATE_TSIG;
    }
    return DNS_UPDATE_OK;
}

/* Adds or deletes one TXT value; see dns.h. */
enum dns_update_rc dns_update_txt(struct dns_ctx *ctx, const char *server, const char *zone, const char *name,
                                  const char *value, uint32_t ttl, const struct dns_tsig *key, bool add, char *err,
                                  size_t errlen)
{
    enum dns_update_rc ret = DNS_UPDATE_ERROR;
    ldns_rdf *qname = NULL, *zname = NULL, *addr = NULL;
    struct dns_zone *found = NULL;
    ldns_rr_list *up = NULL;
    ldns_pkt *pkt = NULL, *reply = NULL;
    ldns_buffer *qb = NULL;
    uint8_t *wire = NULL;
    size_t wirelen = 0;
    char *zone_text = NULL, *name_text = NULL;
    char why[300], where[120], hp[80];
    int port = ctx->auth_port;
    dns_err(err, errlen, "%s", "");
    if (!(qname = dns_name_parse(name, why, sizeof why))) {
        dns_err(err, errlen, "record name: %s", why);
        goto done;
    }
    name_text = dns_name_text(qname);
    if (!update_value_ok(value)) {
        dns_err(err, errlen, "TXT value must be 1..%d printable ASCII characters without '\"' or '\\'",
                DNS_MAX_TXT_LEN);
        goto done;
    }
    /* The zone (and the primary when no server is given) come from the zone cut. */
    if (!zone || !server) {
        if (!dns_zone_find(ctx, zone ? zone : name, &found, why, sizeof why)) {
            dns_err(err, errlen, "zone of %s: %s", zone ? zone : name_text, why);
            goto done;
        }
    }
    zone_text = xstrdup(zone ? zone : found->apex);
    if (!(zname = dns_name_parse(zone_text, why, sizeof why))) {
        dns_err(err, errlen, "zone: %s", why);
        goto done;
    }
    free(zone_text);
    zone_text = dns_name_text(zname);
    if (!dns_name_under(qname, zname)) {
        dns_err(err, errlen, "%s is not in zone %s", name_text, zone_text);
        goto done;
    }
    if (server) {
        if (!dns_addr_parse(server, ctx->auth_port, &addr, &port, why, sizeof why)) {
            dns_err(err, errlen, "update server: %s", why);
            goto done;
        }
    } else if (!found->primary_addr ||
               !dns_addr_parse(found->primary_addr, ctx->auth_port, &addr, &port, why, sizeof why)) {
        dns_err(err, errlen, "primary master %s of zone %s has no address: configure the update server", found->primary,
                found->apex);
        goto done;
    }
    char *at = dns_addr_text(addr);
    snprintf(where, sizeof where, "server %s", dns_hostport(at, port, hp, sizeof hp));
    free(at);

    ldns_rr *rr = update_rr(qname, value, ttl, add);
    if (!rr) {
        dns_err(err, errlen, "cannot make the TXT record");
        goto done;
    }
    up = dns_must(ldns_rr_list_new());
    ldns_rr_list_push_rr(up, rr);
    /* ldns_update_pkt_new owns the zone name from here on. */
    pkt = ldns_update_pkt_new(dns_must(ldns_rdf_clone(zname)), LDNS_RR_CLASS_IN, NULL, up, NULL);
    if (!pkt) {
        dns_err(err, errlen, "cannot make the update message");
        goto done;
    }
    /* ldns sets RD on updates; RFC 2136's header has no RD (it is part of the zero Z field). */
    ldns_pkt_set_rd(pkt, false);
    ldns_pkt_set_random_id(pkt);
    if (key && !dns_tsig_sign(pkt, key, err, errlen))
        goto done;
    qb = dns_must(ldns_buffer_new(LDNS_MIN_BUFLEN));
    if (ldns_pkt2buffer_wire(qb, pkt) != LDNS_STATUS_OK) {
        dns_err(err, errlen, "cannot render the update message");
        goto done;
    }
    if (!update_exchange(ctx, addr, port, qb, &wire, &wirelen, why, sizeof why)) {
        dns_err(err, errlen, "%s %s", where, why);
        ret = DNS_UPDATE_NO_ANSWER;
        goto done;
    }
    if (ldns_wire2pkt(&reply, wire, wirelen) != LDNS_STATUS_OK || ldns_pkt_id(reply) != ldns_pkt_id(pkt) ||
        !ldns_pkt_qr(reply) || ldns_pkt_get_opcode(reply) != LDNS_PACKET_UPDATE) {
        dns_err(err, errlen, "%s gave a malformed answer to the update", where);
        ret = DNS_UPDATE_FAILED;
        goto done;
    }
    ret = update_verdict(reply, wire, wirelen, pkt, key, zone_text, name_text, where, err, errlen);
    log_info("dns: update %s TXT at %s in zone %s via %s%s%s: %s", add ? "add" : "delete", name_text, zone_text,
             where, key ? " with key " : "", key ? key->name : "", dns_update_rc_name(ret));
done:
    free(wire);
    ldns_buffer_free(qb);
    ldns_pkt_free(reply);
    ldns_pkt_free(pkt);
    ldns_rr_list_deep_free(up);
    dns_zone_free(found);
    ldns_rdf_deep_free(addr);
    ldns_rdf_deep_free(zname);
    ldns_rdf_deep_free(qname);
    free(zone_text);
    free(name_text);
    return ret;
}
