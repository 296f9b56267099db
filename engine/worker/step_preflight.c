/*
 * step_preflight — checks per name before the CA hears of the order, so names that
 * cannot pass do not burn the CA's failed-validation limits: the name resolves, CAA lets
 * the CA issue, certmill can fetch its own HTTP-01 probe through the name's port, and a
 * DNS-01 record's zone can be found. An IP address (RFC 8738) gets the self-check only.
 */
#include "step.h"

#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "crypto/b64.h"
#include "dns/dns.h"
#include "ident/ident.h"

#include <curl/curl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFLIGHT_HTTP_TIMEOUT_MS 5000L
#define PREFLIGHT_HTTP_MAX_BODY 1024

/* The outcome of one name's checks. */
enum pf_outcome { PF_PASS, PF_FAIL, PF_RETRY };

struct pf_name {
    const char *domain; /* as ordered, "*." included */
    const char *base;   /* without "*." */
    bool wildcard;
    bool ip;            /* an IP address (RFC 8738): no DNS, no CAA */
    char code[40];
    char detail[600];
};

/* Marks a name failed with a stable code and a reason. */
static enum pf_outcome pf_fail(struct pf_name *n, const char *code, const char *detail)
{
    snprintf(n->code, sizeof n->code, "%s", code);
    snprintf(n->detail, sizeof n->detail, "%s", detail);
    return PF_FAIL;
}

/* The name must have an address, or the CA has nowhere to connect (HTTP-01, TLS-ALPN-01). */
static enum pf_outcome pf_address(struct step *s, struct pf_name *n, char **addr)
{
    struct dns_addrs *a = NULL;
    char err[300] = "", detail[600];
    if (!dns_addresses(s->w->dns, n->base, &a, err, sizeof err)) {
        snprintf(n->detail, sizeof n->detail, "looking up %s: %s", n->base, err);
        return PF_RETRY;
    }
    enum pf_outcome out = PF_PASS;
    if (a->status != DNS_ADDR_FOUND) {
        snprintf(detail, sizeof detail, "%s has no A or AAAA record (%s)", n->base,
                 a->status == DNS_ADDR_NXDOMAIN ? "the name does not exist" : "no address records");
        out = pf_fail(n, "dns_no_address", detail);
    } else {
        /* IPv6 first, as validators try it first. */
        *addr = xstrdup(a->n_aaaa ? a->aaaa[0] : a->a[0]);
    }
    dns_addrs_free(a);
    return out;
}

/* CAA (RFC 8659) must let one of the CA's identities issue; a lookup failure forbids issuance too. */
static enum pf_outcome pf_caa(struct step *s, struct pf_name *n)
{
    const char *ids = s->ca->conf->caa_identities;
    if (!ids || !*ids)
        return PF_PASS; /* the operator named no identity for this CA: nothing to compare */
    struct dns_caa_set *set = NULL;
    char err[300] = "";
    if (!dns_caa_lookup(s->w->dns, n->base, &set, err, sizeof err)) {
        snprintf(n->detail, sizeof n->detail, "CAA lookup for %s: %s", n->base, err);
        return PF_RETRY;
    }
    enum pf_outcome out = PF_FAIL;
    char reason[300] = "", id[256];
    for (const char *p = ids; *p && out != PF_PASS;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len && len < sizeof id) {
            snprintf(id, sizeof id, "%.*s", (int)len, p);
            if (dns_caa_allows(set, id, n->wildcard, reason, sizeof reason))
                out = PF_PASS;
        }
        p += len;
    }
    if (out != PF_PASS) {
        char detail[600];
        /* The reason names where the relevant CAA set was found. */
        snprintf(detail, sizeof detail, "CAA does not allow %s to issue for %s: %s", ids, n->domain, reason);
        pf_fail(n, "caa_forbids_ca", detail);
    }
    dns_caa_set_free(set);
    return out;
}

/* curl write callback into a bounded buffer. */
static size_t pf_write(char *p, size_t size, size_t nmemb, void *arg)
{
    return buf_append(arg, p, size * nmemb) ? size * nmemb : 0;
}

/* Fetches a probe token of our own through the name's HTTP-01 port, as the CA will. */
static enum pf_outcome pf_http_self_check(struct step *s, struct pf_name *n, const char *addr)
{
    unsigned char raw[24];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return PF_RETRY;
    char *token = b64url_encode(raw, sizeof raw);
    char *keyauth = xasprintf("%s.certmill-self-check", token);
    int port = s->w->cfg->http01_port;
    /*
     * The name is resolved through certmill's own resolvers; curl is told the address. An
     * IP address is the address: the URL names it (IPv6 in brackets) and nothing is resolved.
     */
    char *resolve = n->ip ? NULL : xasprintf(strchr(addr, ':') ? "%s:%d:[%s]" : "%s:%d:%s", n->base, port, addr);
    char *url = xasprintf(n->ip && strchr(addr, ':') ? "http://[%s]:%d/.well-known/acme-challenge/%s"
                                                     : "http://%s:%d/.well-known/acme-challenge/%s",
                          n->base, port, token);
    enum pf_outcome out = PF_RETRY;
    if (db_work_probe_add(s->w->db, token, keyauth) != DB_OK) {
        snprintf(n->detail, sizeof n->detail, "cannot publish the self-check probe");
        goto done;
    }
    struct buf body;
    buf_init(&body, PREFLIGHT_HTTP_MAX_BODY);
    struct curl_slist *res = resolve ? curl_slist_append(NULL, resolve) : NULL;
    CURL *c = curl_easy_init();
    long status = 0;
    CURLcode cc = CURLE_FAILED_INIT;
    if (c && (res || n->ip)) {
        curl_easy_setopt(c, CURLOPT_URL, url);
        if (res)
            curl_easy_setopt(c, CURLOPT_RESOLVE, res);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, PREFLIGHT_HTTP_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
        curl_easy_setopt(c, CURLOPT_USERAGENT, "certmill-self-check");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, pf_write);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
        cc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    char detail[600], safe[120];
    if (cc == CURLE_OK && status == 200 && body.data && strncmp(body.data, keyauth, strlen(keyauth)) == 0) {
        out = PF_PASS;
    } else if (cc == CURLE_OK && status >= 300 && status < 400) {
        /* The CA follows redirects; certmill does not chase them off this host, so it cannot tell. */
        log_info("order %s: self-check of %s was redirected (HTTP %ld); left to the CA", s->order_id, n->base,
                 status);
        out = PF_PASS;
    } else if (cc == CURLE_OK && (status == 502 || status == 503 || status == 504)) {
        /* The front or certmill-fcgi is busy or without its database: no verdict on the name, ask again later. */
        snprintf(n->code, sizeof n->code, "preflight_http_unavailable");
        snprintf(n->detail, sizeof n->detail, "GET %s (at %s) answered HTTP %ld: the responder is unavailable", url,
                 addr, status);
        out = PF_RETRY;
    } else if (cc == CURLE_OK) {
        snprintf(detail, sizeof detail, "GET %s (at %s) answered HTTP %ld%s%s instead of certmill's probe", url,
                 addr, status, body.data ? ": " : "", body.data ? log_safe(safe, sizeof safe, body.data) : "");
        out = pf_fail(n, "http_self_check_failed", detail);
    } else {
        snprintf(detail, sizeof detail, "GET %s (at %s): %s", url, addr, curl_easy_strerror(cc));
        out = pf_fail(n, "http_self_check_failed", detail);
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(res);
    buf_free(&body);
    db_work_probe_remove(s->w->db, token);
done:
    free(url);
    free(resolve);
    free(keyauth);
    free(token);
    return out;
}

/* The zone of the name's _acme-challenge record (after CNAMEs) must be found for a provider to publish in. */
static enum pf_outcome pf_dns_zone(struct step *s, struct pf_name *n)
{
    char *record = xasprintf("_acme-challenge.%s", n->base), *target = NULL;
    char err[300] = "", detail[600];
    struct dns_zone *z = NULL;
    enum pf_outcome out = PF_PASS;
    if (!dns_cname_follow(s->w->dns, record, &target, err, sizeof err) ||
        !dns_zone_find(s->w->dns, target, &z, err, sizeof err)) {
        snprintf(detail, sizeof detail, "the zone of %s cannot be found: %s", target ? target : record, err);
        out = pf_fail(n, "dns_zone_unreachable", detail);
    }
    dns_zone_free(z);
    free(target);
    free(record);
    return out;
}

/*
 * Runs the checks that apply to one name under the order's challenge. An IP address
 * needs no DNS lookup (it is where the CA connects) and has no CAA (RFC 8659 defines
 * CAA for DNS names only); only the HTTP-01 self-check is left for it.
 */
static enum pf_outcome pf_check_name(struct step *s, struct pf_name *n, const char *challenge)
{
    enum pf_outcome out = PF_PASS;
    char *addr = NULL;
    bool needs_address = strcmp(challenge, "dns-01") != 0;
    if (n->ip)
        addr = xstrdup(n->base);
    else if (needs_address)
        out = pf_address(s, n, &addr);
    if (out == PF_PASS && !n->ip)
        out = pf_caa(s, n);
    if (out == PF_PASS && strcmp(challenge, "http-01") == 0)
        out = pf_http_self_check(s, n, addr);
    if (out == PF_PASS && strcmp(challenge, "dns-01") == 0 && step_order_str(s, "dns_provider_id"))
        out = pf_dns_zone(s, n);
    free(addr);
    return out;
}

/* Checks every name; the order goes on (whole or, with allow_partial, with the names that passed) or fails. */
enum step_rc step_preflight(struct step *s)
{
    json_t *domains = json_object_get(s->order, "domains");
    const char *challenge = step_order_str(s, "challenge");
    size_t total = json_array_size(domains);
    json_t *results = json_array(), *kept = json_array(), *dropped = json_array();
    char summary[900] = "";
    size_t used = 0, caa_only = 0;
    enum step_rc ret = STEP_RC_OK;
    for (size_t i = 0; i < total && ret == STEP_RC_OK; i++) {
        struct pf_name n = { 0 };
        n.domain = json_string_value(json_array_get(domains, i));
        n.wildcard = strncmp(n.domain, "*.", 2) == 0;
        n.base = n.wildcard ? n.domain + 2 : n.domain;
        n.ip = ident_is_ip(n.domain);
        enum pf_outcome out = pf_check_name(s, &n, challenge);
        if (out == PF_RETRY) {
            /* A lookup failed (timeout, SERVFAIL) or the HTTP-01 responder was away: a passing fault, no verdict. */
            if (strcmp(n.code, "preflight_http_unavailable") == 0)
                s->problem = step_problem("preflight_http_unavailable", n.detail, true, NULL);
            else
                s->problem = step_problem("preflight_dns_error", n.detail, true, NULL);
            ret = STEP_RC_RETRY;
            break;
        }
        json_t *r = json_pack("{s:s,s:b}", "domain", n.domain, "ok", out == PF_PASS);
        if (out == PF_FAIL) {
            json_object_set_new(r, "code", json_string(n.code));
            json_object_set_new(r, "detail", json_string(n.detail));
            json_array_append_new(dropped, json_string(n.domain));
            caa_only += strcmp(n.code, "caa_forbids_ca") == 0;
            if (used < sizeof summary)
                used += (size_t)snprintf(summary + used, sizeof summary - used, "%s%s (%s): %s",
                                         used ? "; " : "", n.domain, n.code, n.detail);
            log_info("order %s: pre-flight: %s fails %s", s->order_id, n.domain, n.code);
            step_log(s, "pre-flight: %s fails %s: %s", n.domain, n.code, n.detail);
        } else {
            json_array_append_new(kept, json_string(n.domain));
        }
        json_array_append_new(results, r);
    }
    size_t failed = json_array_size(dropped);
    bool partial = json_is_true(json_object_get(s->order, "allow_partial"));
    if (ret == STEP_RC_OK && failed && caa_only == failed &&
        json_array_size(json_object_get(s->order, "failover_cas")) > 0) {
        /* CAA forbids this CA, not the names: the next CA of the tenant's list may issue all of them. */
        char detail[1100];
        snprintf(detail, sizeof detail, "CAA forbids CA %s for %zu of %zu names: %s", s->ca->conf->name, failed,
                 total, summary);
        s->problem = step_problem("caa_forbids_ca", detail, false, NULL);
        if (step_failover(s)) {
            json_decref(results);
            json_decref(kept);
            json_decref(dropped);
            return STEP_RC_OK;
        }
    }
    if (ret == STEP_RC_OK && failed && (!partial || failed == total)) {
        char detail[1100];
        snprintf(detail, sizeof detail, "%zu of %zu names failed the pre-flight checks; nothing was sent to the CA: %s",
                 failed, total, summary);
        s->problem = step_problem("preflight_failed", detail, false, NULL);
        json_object_set(s->problem, "names", results);
        /* The per-name results stay on the order as well. */
        if ((ret = step_tx_begin(s)) == STEP_RC_OK) {
            enum db_rc rc = db_work_order_preflight(s->w->db, s->order_id, results, NULL, NULL);
            ret = rc == DB_OK ? step_tx_fail(s) : step_tx_abort(s, rc);
        }
    } else if (ret == STEP_RC_OK && (ret = step_tx_begin(s)) == STEP_RC_OK) {
        enum db_rc rc = db_work_order_preflight(s->w->db, s->order_id, results, failed ? kept : NULL,
                                                failed ? dropped : NULL);
        if (rc == DB_OK && failed) {
            log_info("order %s: going on without %zu name(s) that failed pre-flight", s->order_id, failed);
            step_log(s, "pre-flight: going on without %zu name(s) (allow_partial)", failed);
        }
        ret = rc == DB_OK ? step_tx_finish(s, STEP_NEW_ORDER, 0, 0) : step_tx_abort(s, rc);
    }
    json_decref(results);
    json_decref(kept);
    json_decref(dropped);
    return ret;
}
