/* order_input — validation of a new order's fields, as a table. */
#include "order_input.h"

#include "crypto/key.h"
#include "fields.h"
#include "ident/ident.h"
#include "text.h"

#include <stdio.h>
#include <string.h>

#define FCGI_ORDER_DEFAULT_CHALLENGE "http-01"
#define FCGI_ORDER_DEFAULT_KEY_TYPE "ec-p256"

/* The API problem of a name ident_normalize refused. */
static enum fcgi_problem fcgi_order_ident_problem(enum ident_rc rc)
{
    switch (rc) {
    case IDENT_ERR_IP:
        return FCGI_PROB_INVALID_IP;
    case IDENT_ERR_IP_WILDCARD:
        return FCGI_PROB_IP_WILDCARD;
    default:
        return FCGI_PROB_INVALID_DOMAIN;
    }
}

/* Checks one name (DNS name or IP address) and that it does not repeat an earlier one after normalisation. */
static bool fcgi_order_take_domain(struct fcgi_order_input *in, size_t i, const json_t *e, struct fcgi_resp *resp)
{
    char field[32], safe[128];
    snprintf(field, sizeof field, "domains[%zu]", i);
    if (!json_is_string(e)) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, field, "%s must be a string", field);
        return false;
    }
    struct ident_name dn;
    const char *reason = "";
    enum ident_rc rc = ident_normalize(json_string_value(e), json_string_length(e), &dn, &reason);
    fcgi_text_snippet(safe, sizeof safe, json_string_value(e));
    if (rc != IDENT_OK) {
        fcgi_resp_problemf(resp, fcgi_order_ident_problem(rc), field, "%s \"%s\" %s", field, safe, reason);
        return false;
    }
    size_t j;
    json_t *prev;
    json_array_foreach(in->domains, j, prev) {
        if (strcmp(json_string_value(prev), dn.name) == 0) {
            fcgi_resp_problemf(resp, FCGI_PROB_DUPLICATE_DOMAIN, field,
                               "%s \"%s\" is the same name as domains[%zu] (%s)", field, safe, j, dn.name);
            return false;
        }
    }
    if (dn.wildcard && in->first_wildcard < 0)
        in->first_wildcard = (long)i;
    if (dn.ip && in->first_ip < 0)
        in->first_ip = (long)i;
    json_array_append_new(in->domains, json_string(dn.name));
    return true;
}

/* domains: 1..max_names valid, distinct names. */
static bool fcgi_order_take_domains(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_order_input *in = out;
    size_t n = json_array_size(v);
    if (n == 0) {
        fcgi_resp_problem(resp, FCGI_PROB_NO_DOMAINS, "domains", "domains must list at least one name");
        return false;
    }
    /* Counted before any name is looked at, so a huge list costs nothing. */
    if (n > (size_t)in->cfg->max_names) {
        fcgi_resp_problemf(resp, FCGI_PROB_TOO_MANY_DOMAINS, "domains",
                           "an order takes at most %d names; this one has %zu", in->cfg->max_names, n);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (!fcgi_order_take_domain(in, i, json_array_get(v, i), resp))
            return false;
    return true;
}

/* challenge: http-01, dns-01 or tls-alpn-01. */
static bool fcgi_order_take_challenge(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_order_input *in = out;
    const char *s = json_string_value(v);
    if (strcmp(s, "http-01") == 0 || strcmp(s, "dns-01") == 0 || strcmp(s, "tls-alpn-01") == 0) {
        in->challenge = s;
        return true;
    }
    fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "challenge",
                      "challenge must be one of http-01, dns-01, tls-alpn-01");
    return false;
}

/* dns_provider: the id of one of the tenant's DNS providers (that it exists is the database's check). */
static bool fcgi_order_take_dns_provider(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_order_input *in = out;
    const char *s = json_string_value(v);
    /* Something that cannot be an id names no provider, like an id that does not exist. */
    if (!fcgi_text_is_id(s)) {
        fcgi_resp_problem(resp, FCGI_PROB_UNKNOWN_DNS_PROVIDER, "dns_provider",
                          "dns_provider names no DNS provider of this tenant");
        return false;
    }
    in->dns_provider = s;
    return true;
}

/* key_type: one of the names crypto/key.h knows. */
static bool fcgi_order_take_key_type(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_order_input *in = out;
    if (key_type_parse(json_string_value(v)) < 0) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "key_type",
                          "key_type must be one of ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096");
        return false;
    }
    in->key_type = json_string_value(v);
    return true;
}

/* csr: a PEM CSR of the customer's own key, self-signed with an accepted key type. */
static bool fcgi_order_take_csr(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_order_input *in = out;
    char err[160];
    enum csr_rc rc = csr_parse(json_string_value(v), json_string_length(v), &in->csr, err, sizeof err);
    if (rc == CSR_OK)
        return true;
    fcgi_resp_problem(resp, rc == CSR_KEY_UNSUPPORTED ? FCGI_PROB_CSR_KEY_UNSUPPORTED : FCGI_PROB_INVALID_CSR, "csr",
                      err);
    return false;
}

/* ca: the name of a configured [ca.NAME] section. */
static bool fcgi_order_take_ca(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_order_input *in = out;
    const char *s = json_string_value(v);
    if (!config_ca_find(in->cfg, s)) {
        char safe[80];
        fcgi_text_snippet(safe, sizeof safe, s);
        fcgi_resp_problemf(resp, FCGI_PROB_UNKNOWN_CA, "ca", "no CA named \"%s\" is configured", safe);
        return false;
    }
    in->ca = s;
    return true;
}

/* profile: an ACME profile name, printable ASCII. */
static bool fcgi_order_take_profile(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_order_input *in = out;
    if (!fcgi_text_printable(json_string_value(v), FCGI_ORDER_MAX_PROFILE)) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "profile",
                           "profile must be 1 to %d printable ASCII characters", FCGI_ORDER_MAX_PROFILE);
        return false;
    }
    in->profile = json_string_value(v);
    return true;
}

/* auto_renew: a boolean (the generic check did the rest). */
static bool fcgi_order_take_auto_renew(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_order_input *in = out;
    (void)resp;
    in->auto_renew = json_is_true(v);
    return true;
}

/* allow_partial: order the names that pass pre-flight, drop (and remember) the others. */
static bool fcgi_order_take_allow_partial(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_order_input *in = out;
    (void)resp;
    in->allow_partial = json_is_true(v);
    return true;
}

/* customer_ref: the panel's own reference, any text up to 200 characters. */
static bool fcgi_order_take_customer_ref(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_order_input *in = out;
    (void)resp;
    in->customer_ref = json_string_value(v);
    return true;
}

/* Appends name to the comma-separated list in dst, cut with "..." when dst is full. */
static void fcgi_order_list_add(char *dst, size_t dstlen, const char *name)
{
    size_t used = strlen(dst);
    char safe[80];
    fcgi_text_snippet(safe, sizeof safe, name);
    int n = snprintf(dst + used, dstlen - used, "%s%s", used ? ", " : "", safe);
    if (n < 0 || (size_t)n >= dstlen - used)
        snprintf(dst + (dstlen > 4 ? dstlen - 4 : 0), dstlen > 4 ? 4 : dstlen, "...");
}

/* True when the normalised name is one of the strings of the array. */
static bool fcgi_order_names_have(const json_t *names, const char *name)
{
    size_t i;
    const json_t *e;
    json_array_foreach(names, i, e)
        if (strcmp(json_string_value(e), name) == 0)
            return true;
    return false;
}

/* The CSR's names (DNS names and IP addresses) normalised, without repeats; NULL with the problem set when one is
 * not valid. */
static json_t *fcgi_order_csr_normalized(const struct csr_info *csr, struct fcgi_resp *resp)
{
    json_t *names = json_array();
    for (size_t i = 0; i < csr->n_names; i++) {
        struct ident_name dn;
        const char *reason = "";
        if (ident_normalize(csr->names[i], strlen(csr->names[i]), &dn, &reason) != IDENT_OK) {
            char safe[80];
            fcgi_text_snippet(safe, sizeof safe, csr->names[i]);
            fcgi_resp_problemf(resp, FCGI_PROB_INVALID_CSR, "csr", "the CSR's name \"%s\" %s", safe, reason);
            json_decref(names);
            return NULL;
        }
        if (!fcgi_order_names_have(names, dn.name))
            json_array_append_new(names, json_string(dn.name));
    }
    return names;
}

/* The CSR's names, normalised, must be the order's domains as a set; false with the problem set. */
static bool fcgi_order_csr_names(struct fcgi_order_input *in, struct fcgi_resp *resp)
{
    json_t *csr_names = fcgi_order_csr_normalized(&in->csr, resp);
    if (!csr_names)
        return false;
    char missing[190] = "", extra[190] = ""; /* both fit in a problem detail (512) */
    size_t i;
    json_t *e;
    json_array_foreach(csr_names, i, e)
        if (!fcgi_order_names_have(in->domains, json_string_value(e)))
            fcgi_order_list_add(extra, sizeof extra, json_string_value(e));
    json_array_foreach(in->domains, i, e)
        if (!fcgi_order_names_have(csr_names, json_string_value(e)))
            fcgi_order_list_add(missing, sizeof missing, json_string_value(e));
    json_decref(csr_names);
    if (!missing[0] && !extra[0])
        return true;
    fcgi_resp_problemf(resp, FCGI_PROB_CSR_NAMES_MISMATCH, "csr",
                       "the CSR's names must be the order's domains: missing from the CSR: %s; "
                       "in the CSR but not in domains: %s",
                       missing[0] ? missing : "none", extra[0] ? extra : "none");
    return false;
}

/* With a customer CSR: no key_type (the CSR's key decides), no dropped names, and the same names. */
static bool fcgi_order_check_csr(struct fcgi_order_input *in, struct fcgi_resp *resp)
{
    if (in->key_type) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "key_type",
                          "key_type comes from the CSR's key: leave it out when sending csr");
        return false;
    }
    if (in->allow_partial) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "allow_partial",
                          "allow_partial cannot be used with csr: the CSR's names cannot be dropped");
        return false;
    }
    if (!fcgi_order_csr_names(in, resp))
        return false;
    in->key_type = key_type_name((enum key_type)in->csr.key_type);
    return true;
}

/* The fields of POST /v1/orders; domains first so its errors win over the others'. */
static const struct fcgi_field fcgi_order_fields[] = {
    { "domains", FCGI_FIELD_ARRAY, true, 0, fcgi_order_take_domains },
    { "challenge", FCGI_FIELD_STRING, false, 0, fcgi_order_take_challenge },
    { "dns_provider", FCGI_FIELD_STRING, false, 0, fcgi_order_take_dns_provider },
    { "key_type", FCGI_FIELD_STRING, false, 0, fcgi_order_take_key_type },
    { "csr", FCGI_FIELD_STRING, false, CSR_MAX_PEM, fcgi_order_take_csr },
    { "ca", FCGI_FIELD_STRING, false, 0, fcgi_order_take_ca },
    { "profile", FCGI_FIELD_STRING, false, FCGI_ORDER_MAX_PROFILE, fcgi_order_take_profile },
    { "auto_renew", FCGI_FIELD_BOOL, false, 0, fcgi_order_take_auto_renew },
    { "allow_partial", FCGI_FIELD_BOOL, false, 0, fcgi_order_take_allow_partial },
    { "customer_ref", FCGI_FIELD_STRING, false, FCGI_ORDER_MAX_CUSTOMER_REF, fcgi_order_take_customer_ref },
};

/* Checks the body, then the rules that span fields. */
bool fcgi_order_input_parse(const struct config *cfg, const json_t *body, struct fcgi_order_input *in,
                            struct fcgi_resp *resp)
{
    memset(in, 0, sizeof *in);
    in->cfg = cfg;
    in->domains = json_array();
    in->first_wildcard = -1;
    in->first_ip = -1;
    in->challenge = FCGI_ORDER_DEFAULT_CHALLENGE;
    in->auto_renew = true;
    if (!fcgi_fields_check(fcgi_order_fields, sizeof fcgi_order_fields / sizeof fcgi_order_fields[0], body, in,
                           resp))
        return false;
    /* A wildcard can only be proven through DNS (RFC 8555 §7.1.3). */
    if (in->first_wildcard >= 0 && strcmp(in->challenge, "dns-01") != 0) {
        char field[32];
        snprintf(field, sizeof field, "domains[%ld]", in->first_wildcard);
        fcgi_resp_problemf(resp, FCGI_PROB_WILDCARD_REQUIRES_DNS01, field,
                           "%s \"%s\" is a wildcard name, which needs challenge dns-01 (not %s)", field,
                           json_string_value(json_array_get(in->domains, (size_t)in->first_wildcard)),
                           in->challenge);
        return false;
    }
    /* RFC 8738 §7: an address has no DNS zone to prove control of, so only http-01 and tls-alpn-01. */
    if (in->first_ip >= 0 && strcmp(in->challenge, "dns-01") == 0) {
        char field[32];
        snprintf(field, sizeof field, "domains[%ld]", in->first_ip);
        fcgi_resp_problemf(resp, FCGI_PROB_IP_DNS01_UNSUPPORTED, field,
                           "%s \"%s\" is an IP address, which is validated with http-01 or tls-alpn-01, not dns-01",
                           field, json_string_value(json_array_get(in->domains, (size_t)in->first_ip)));
        return false;
    }
    /* Only dns-01 publishes DNS records; a provider on another order would silently do nothing. */
    if (in->dns_provider && strcmp(in->challenge, "dns-01") != 0) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "dns_provider",
                           "dns_provider is for challenge dns-01 only (this order uses %s)", in->challenge);
        return false;
    }
    if (in->csr.der)
        return fcgi_order_check_csr(in, resp);
    if (!in->key_type)
        in->key_type = FCGI_ORDER_DEFAULT_KEY_TYPE;
    return true;
}

/* Releases the normalised names. */
void fcgi_order_input_free(struct fcgi_order_input *in)
{
    json_decref(in->domains);
    in->domains = NULL;
    csr_info_free(&in->csr);
}
