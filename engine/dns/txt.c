/* dns/txt — TXT records as each authoritative server serves them, and the propagation check. */
#include "dns/internal.h"

#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* What a server's TXT answer showed, for problems: the values (escaped by ldns, cut short). */
static char *txt_values_text(const ldns_rr_list *rrs)
{
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, "answered TXT");
    for (size_t i = 0; i < ldns_rr_list_rr_count(rrs) && i < 4; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
        for (size_t j = 0; j < ldns_rr_rd_count(rr); j++) {
            char *s = ldns_rdf2str(ldns_rr_rdf(rr, j));
            if (s) {
                char safe[100];
                buf_printf(&b, " %s", log_safe(safe, sizeof safe, s));
                free(s);
            }
        }
    }
    if (ldns_rr_list_rr_count(rrs) > 4)
        buf_printf(&b, " (and %zu more)", ldns_rr_list_rr_count(rrs) - 4);
    return buf_steal(&b);
}

/* Asks one server for TXT at name; see dns.h. */
bool dns_txt_at(struct dns_ctx *ctx, const char *addr, int port, const char *name, struct dns_txt_answer **ans)
{
    struct dns_txt_answer *t = xcalloc(1, sizeof *t);
    ldns_rdf *qname = NULL, *ip = NULL;
    ldns_resolver *r = NULL;
    ldns_pkt *a = NULL;
    ldns_rr_list *txt = NULL;
    char why[200];
    int ignored;
    *ans = t;
    t->kind = DNS_ANS_NONE;
    t->rcode = -1;
    if (!(qname = dns_name_parse(name, why, sizeof why)) ||
        !dns_addr_parse(addr, port, &ip, &ignored, why, sizeof why)) {
        t->what = xasprintf("not asked: %s", why);
        goto done;
    }
    r = dns_resolver_one(ctx, ip, port);
    /* RD=0: an authoritative server answers from its zone, nothing is cached on the way. */
    if (!dns_query_send(ctx, r, qname, LDNS_RR_TYPE_TXT, 0, &a, why, sizeof why)) {
        t->what = xstrdup(why);
        goto done;
    }
    t->rcode = ldns_pkt_get_rcode(a);
    if (t->rcode != LDNS_RCODE_NOERROR && t->rcode != LDNS_RCODE_NXDOMAIN) {
        char rcb[24];
        t->kind = DNS_ANS_RCODE;
        t->what = xasprintf("answered %s", dns_rcode_name(t->rcode, rcb, sizeof rcb));
        goto done;
    }
    if (!ldns_pkt_aa(a)) {
        t->kind = DNS_ANS_NOT_AUTH;
        t->what = xstrdup("answered without authority (AA=0): it does not serve the zone");
        goto done;
    }
    if (t->rcode == LDNS_RCODE_NXDOMAIN) {
        t->kind = DNS_ANS_NXDOMAIN;
        t->what = xstrdup("answered NXDOMAIN");
        goto done;
    }
    txt = dns_must(ldns_rr_list_new());
    const ldns_rr_list *an = ldns_pkt_answer(a);
    for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && dns_name_eq(ldns_rr_owner(rr), qname)) {
            char *target = ldns_rr_rd_count(rr) ? dns_name_text(ldns_rr_rdf(rr, 0)) : xstrdup("?");
            t->kind = DNS_ANS_NOT_AUTH;
            t->what = xasprintf("answered CNAME %s (the record belongs at the target)", target);
            free(target);
            goto done;
        }
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT || !dns_name_eq(ldns_rr_owner(rr), qname))
            continue;
        if (t->n_values >= DNS_MAX_RRSET)
            break;
        ldns_rr_list_push_rr(txt, dns_must(ldns_rr_clone(rr)));
        t->values = xrealloc(t->values, (t->n_values + 1) * sizeof *t->values);
        t->values[t->n_values++] = dns_txt_rr_value(rr);
    }
    if (t->n_values == 0) {
        t->kind = DNS_ANS_NODATA;
        t->what = xstrdup("answered NOERROR without TXT records");
    } else {
        t->kind = DNS_ANS_DATA;
        t->what = txt_values_text(txt);
    }
done:
    ldns_rr_list_deep_free(txt);
    ldns_pkt_free(a);
    ldns_resolver_deep_free(r);
    ldns_rdf_deep_free(ip);
    ldns_rdf_deep_free(qname);
    return t->kind == DNS_ANS_DATA || t->kind == DNS_ANS_NODATA || t->kind == DNS_ANS_NXDOMAIN;
}

/* Frees one answer. */
void dns_txt_answer_free(struct dns_txt_answer *ans)
{
    if (!ans)
        return;
    for (size_t i = 0; i < ans->n_values; i++)
        free(ans->values[i]);
    free(ans->values);
    free(ans->what);
    free(ans);
}

/* Asks every server of the zone; see dns.h. */
bool dns_propagation_check(struct dns_ctx *ctx, const struct dns_zone *zone, const char *name, const char *value,
                           struct dns_prop_report **report)
{
    struct dns_prop_report *rep = xcalloc(1, sizeof *rep);
    *report = rep;
    rep->name = xstrdup(name ? name : "");
    rep->value = xstrdup(value ? value : "");
    if (!zone || !name || !value || zone->n_servers == 0)
        return false;
    rep->servers = xcalloc(zone->n_servers, sizeof *rep->servers);
    /* One server after the other: each is bounded by the timeout, and zones have few servers. */
    for (size_t i = 0; i < zone->n_servers; i++) {
        const struct dns_server *s = &zone->servers[i];
        struct dns_prop_server *p = &rep->servers[rep->n_servers++];
        struct dns_txt_answer *ans = NULL;
        p->server.name = xstrdup(s->name);
        p->server.addr = xstrdup(s->addr);
        p->server.port = s->port;
        bool answered = dns_txt_at(ctx, s->addr, s->port, name, &ans);
        bool served = false;
        for (size_t j = 0; j < ans->n_values; j++)
            served = served || strcmp(ans->values[j], value) == 0;
        if (served)
            p->state = DNS_PROP_SERVED;
        else if (answered || ans->kind == DNS_ANS_NOT_AUTH)
            p->state = DNS_PROP_OTHER;
        else
            p->state = DNS_PROP_NO_ANSWER;
        rep->n_served += served;
        p->what = ans->what;
        p->values = ans->values;
        p->n_values = ans->n_values;
        ans->what = NULL;
        ans->values = NULL;
        ans->n_values = 0;
        dns_txt_answer_free(ans);
    }
    return rep->n_served == rep->n_servers;
}

/* The problem text naming each server that does not serve the value; see dns.h. */
char *dns_prop_report_problem(const struct dns_prop_report *report)
{
    if (!report)
        return NULL;
    if (report->n_servers == 0)
        return xasprintf("name %s: the zone has no server to ask", report->name);
    if (report->n_served == report->n_servers)
        return NULL;
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "name %s:", report->name);
    const char *sep = " ";
    for (size_t i = 0; i < report->n_servers; i++) {
        const struct dns_prop_server *p = &report->servers[i];
        if (p->state == DNS_PROP_SERVED)
            continue;
        char hp[80];
        buf_printf(&b, "%sserver %s (%s) %s", sep, dns_server_str(&p->server, hp, sizeof hp), p->server.name,
                   p->what ? p->what : "?");
        sep = "; ";
    }
    return buf_steal(&b);
}

/* Frees a report. */
void dns_prop_report_free(struct dns_prop_report *report)
{
    if (!report)
        return;
    for (size_t i = 0; i < report->n_servers; i++) {
        struct dns_prop_server *p = &report->servers[i];
        free(p->server.name);
        free(p->server.addr);
        free(p->what);
        for (size_t j = 0; j < p->n_values; j++)
            free(p->values[j]);
        free(p->values);
    }
    free(report->servers);
    free(report->name);
    free(report->value);
    free(report);
}
