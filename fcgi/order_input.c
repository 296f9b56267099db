/* order_input — validation of a new order's fields, as a table. */
#include "order_input.h"

#include "crypto/key.h"
#include "fields.h"
#include "ident/domain.h"
#include "text.h"

#include <stdio.h>
#include <string.h>

#define FCGI_ORDER_DEFAULT_CHALLENGE "http-01"
#define FCGI_ORDER_DEFAULT_KEY_TYPE "ec-p256"

/* Checks one name and that it does not repeat an earlier one after normalisation. */
static bool fcgi_order_take_domain(struct fcgi_order_input *in, size_t i, const json_t *e, struct fcgi_resp *resp)
{
    char field[32], safe[128];
    snprintf(field, sizeof field, "domains[%zu]", i);
    if (!json_is_string(e)) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, field, "%s must be a string", field);
        return false;
    }
    struct domain_name dn;
    enum domain_rc rc = domain_normalize(json_string_value(e), json_string_length(e), &dn);
    fcgi_text_snippet(safe, sizeof safe, json_string_value(e));
    if (rc != DOMAIN_OK) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_DOMAIN, field, "%s \"%s\" %s", field, safe, domain_reason(rc));
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

/* csr: a later issue; refused clearly rather than ignored. */
static bool fcgi_order_take_csr(const json_t *v, void *out, struct fcgi_resp *resp)
{
    (void)v;
    (void)out;
    fcgi_resp_problem(resp, FCGI_PROB_UNSUPPORTED_CSR, "csr", NULL);
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

/* The fields of POST /v1/orders; domains first so its errors win over the others'. */
static const struct fcgi_field fcgi_order_fields[] = {
    { "domains", FCGI_FIELD_ARRAY, true, 0, fcgi_order_take_domains },
    { "challenge", FCGI_FIELD_STRING, false, 0, fcgi_order_take_challenge },
    { "dns_provider", FCGI_FIELD_STRING, false, 0, fcgi_order_take_dns_provider },
    { "key_type", FCGI_FIELD_STRING, false, 0, fcgi_order_take_key_type },
    { "csr", FCGI_FIELD_ANY, false, 0, fcgi_order_take_csr },
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
    in->challenge = FCGI_ORDER_DEFAULT_CHALLENGE;
    in->key_type = FCGI_ORDER_DEFAULT_KEY_TYPE;
    in->ca = cfg->default_ca;
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
    /* Only dns-01 publishes DNS records; a provider on another order would silently do nothing. */
    if (in->dns_provider && strcmp(in->challenge, "dns-01") != 0) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "dns_provider",
                           "dns_provider is for challenge dns-01 only (this order uses %s)", in->challenge);
        return false;
    }
    if (!in->ca) {
        fcgi_resp_problem(resp, FCGI_PROB_UNKNOWN_CA, "ca", "no CA is configured on this server");
        return false;
    }
    return true;
}

/* Releases the normalised names. */
void fcgi_order_input_free(struct fcgi_order_input *in)
{
    json_decref(in->domains);
    in->domains = NULL;
}
