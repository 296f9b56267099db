/* dns_providers — the DNS provider endpoints. */
#include "dns_providers.h"
#include "base/clock.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "body.h"
#include "crypto/b64.h"
#include "crypto/seal.h"
#include "db_api.h"
#include "db_provider.h"
#include "fields.h"
#include "ident/domain.h"
#include "paging.h"
#include "providers/provider.h"
#include "query.h"
#include "text.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FCGI_DNP_TEST_TTL 60        /* seconds: the test record lives for moments */
#define FCGI_DNP_TEST_VALUE_BYTES 32 /* random bytes of the test value: as long as a real DNS-01 value */

/* The body of POST /v1/dns-providers; the pointers are into the body. */
struct fcgi_dnp_input {
    const char *name;
    int type;
    const json_t *config; /* NULL: {} */
    const json_t *secret; /* NULL: none */
};

/* The body of POST /v1/dns-providers/{id}/test. */
struct fcgi_dnp_test_input {
    char record[DOMAIN_MAX_LEN + 1]; /* _certmill-test.<name> */
};

/* name: 1..100 characters a person typed, without control characters (it is shown in panels and logs). */
static bool fcgi_dnp_take_name(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_dnp_input *in = out;
    const unsigned char *s = (const unsigned char *)json_string_value(v);
    bool ok = *s != '\0';
    for (; ok && *s; s++)
        ok = *s >= 0x20 && *s != 0x7f;
    if (!ok) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "name",
                           "name must be 1 to %d characters without control characters", FCGI_DNS_PROVIDER_MAX_NAME);
        return false;
    }
    in->name = json_string_value(v);
    return true;
}

/* type: one of the provider types. */
static bool fcgi_dnp_take_type(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_dnp_input *in = out;
    in->type = provider_type_parse(json_string_value(v));
    if (in->type < 0) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "type", "type must be one of rfc2136, powerdns, exec, manual");
        return false;
    }
    return true;
}

/* config: an object (its members are provider_check's business). */
static bool fcgi_dnp_take_config(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_dnp_input *in = out;
    if (!json_is_object(v)) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "config", "config must be an object");
        return false;
    }
    in->config = v;
    return true;
}

/* secret: an object (its members are provider_check's business). */
static bool fcgi_dnp_take_secret(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_dnp_input *in = out;
    if (!json_is_object(v)) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "secret", "secret must be an object");
        return false;
    }
    in->secret = v;
    return true;
}

/* The fields of POST /v1/dns-providers. */
static const struct fcgi_field fcgi_dnp_fields[] = {
    { "name", FCGI_FIELD_STRING, true, FCGI_DNS_PROVIDER_MAX_NAME, fcgi_dnp_take_name },
    { "type", FCGI_FIELD_STRING, true, 0, fcgi_dnp_take_type },
    { "config", FCGI_FIELD_ANY, false, 0, fcgi_dnp_take_config },
    { "secret", FCGI_FIELD_ANY, false, 0, fcgi_dnp_take_secret },
};

/* name (test): a name the provider serves; the test record goes one label below it. */
static bool fcgi_dnp_take_test_name(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_dnp_test_input *in = out;
    struct domain_name dn;
    enum domain_rc rc = domain_normalize(json_string_value(v), json_string_length(v), &dn);
    if (rc != DOMAIN_OK) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "name", "name %s", domain_reason(rc));
        return false;
    }
    if (dn.wildcard) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "name",
                          "name must be a name the provider serves, not a wildcard");
        return false;
    }
    int n = snprintf(in->record, sizeof in->record, "%s.%s", FCGI_DNS_PROVIDER_TEST_LABEL, dn.name);
    if (n < 0 || (size_t)n >= sizeof in->record) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "name",
                           "name is too long: the test record " FCGI_DNS_PROVIDER_TEST_LABEL
                           ".<name> must fit in %d characters",
                           DOMAIN_MAX_LEN);
        return false;
    }
    return true;
}

/* The fields of POST /v1/dns-providers/{id}/test. */
static const struct fcgi_field fcgi_dnp_test_fields[] = {
    { "name", FCGI_FIELD_STRING, true, 0, fcgi_dnp_take_test_name },
};

/* Overwrites the string values of a secret object before it is freed, so they do not linger in freed memory. */
static void fcgi_dnp_wipe(json_t *secret)
{
    const char *k;
    json_t *v;
    json_object_foreach(secret, k, v) {
        /* jansson keeps each string in its own heap copy; wiping it in place is the only way to reach it. */
        if (json_is_string(v))
            OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
    }
}

/* Answers 404 for a provider id that is not the tenant's (or cannot be an id). */
static void fcgi_dnp_not_found(struct fcgi_resp *resp)
{
    fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such DNS provider");
}

/* Seals the secret settings (compact JSON) to the provider's tenant and id. */
static bool fcgi_dnp_seal(const struct fcgi_app *app, const json_t *secret, const char *tenant, const char *id,
                          unsigned char **blob, size_t *len)
{
    if (!app->have_master_key)
        return false;
    char *plain = json_dumps(secret, JSON_COMPACT | JSON_SORT_KEYS);
    if (!plain)
        return false;
    char *aad = seal_aad(SEAL_PURPOSE_DNS_PROVIDER, tenant, id);
    bool ok = seal_encrypt(&app->keys, plain, strlen(plain), aad, blob, len);
    xfree_secret(plain, strlen(plain));
    free(aad);
    return ok;
}

/* A copy of the secret without null members; NULL when nothing is left (no secret). */
static json_t *fcgi_dnp_secret_copy(const json_t *secret)
{
    if (!secret)
        return NULL;
    json_t *copy = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)secret, k, v) {
        if (!json_is_null(v))
            json_object_set(copy, k, v);
    }
    if (json_object_size(copy) == 0) {
        json_decref(copy);
        return NULL;
    }
    return copy;
}

/* Stores a checked provider under a fresh id and answers 201 with it. */
static void fcgi_dnp_store(struct fcgi_ctx *ctx, struct fcgi_req *req, const struct fcgi_dnp_input *in,
                           const json_t *config, const json_t *secret, struct fcgi_resp *resp)
{
    char *id = NULL;
    unsigned char *blob = NULL;
    size_t len = 0;
    json_t *out = NULL;
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    enum db_rc rc = db_api_dns_provider_new_id(db, &id);
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc);
        goto out;
    }
    if (secret && !fcgi_dnp_seal(ctx->app, secret, req->tenant_id, id, &blob, &len)) {
        log_error("dns provider %s: cannot seal its secret (no master key loaded, or encryption failed)", id);
        fcgi_resp_problem(resp, FCGI_PROB_INTERNAL, NULL, NULL);
        goto out;
    }
    struct db_api_dns_provider_new p = {
        .tenant_id = req->tenant_id,
        .id = id,
        .name = in->name,
        .type = provider_type_name((enum provider_type)in->type),
        .config = config,
        .secret_sealed = blob,
        .secret_len = len,
    };
    rc = db_api_dns_provider_create(db, &p, &out);
    if (rc == DB_CONFLICT) {
        char safe[FCGI_DNS_PROVIDER_MAX_NAME * 4 + 8];
        fcgi_text_snippet(safe, sizeof safe, in->name);
        fcgi_resp_problemf(resp, FCGI_PROB_CONFLICT, "name", "a DNS provider named \"%s\" exists already", safe);
        goto out;
    }
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc);
        goto out;
    }
    fcgi_resp_json(resp, 201, out);
    char loc[128];
    snprintf(loc, sizeof loc, "/v1/dns-providers/%s", id);
    fcgi_resp_header(resp, "Location", loc);
out:
    json_decref(out);
    free(blob);
    free(id);
}

/* Creates a provider: check the body and the settings, seal the secret, store, answer 201. */
void fcgi_dns_providers_create(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    struct fcgi_dnp_input in = { .type = -1 };
    json_t *config = NULL, *secret = NULL;
    json_t *body = fcgi_body_json(req, resp);
    /* The parsed body holds the secret from here on: the raw bytes are no longer needed. */
    if (req->body.data)
        OPENSSL_cleanse(req->body.data, req->body.len);
    if (!body)
        goto out;
    if (!fcgi_fields_check(fcgi_dnp_fields, sizeof fcgi_dnp_fields / sizeof fcgi_dnp_fields[0], body, &in, resp))
        goto out;
    /* provider_check fills in defaults: it works on a copy, the body stays as sent. */
    config = in.config ? json_deep_copy(in.config) : json_object();
    char field[96], err[512];
    if (!provider_check((enum provider_type)in.type, config, in.secret, ctx->app->cfg, field, sizeof field, err,
                        sizeof err)) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_PROVIDER_CONFIG, field, err);
        goto out;
    }
    secret = fcgi_dnp_secret_copy(in.secret);
    fcgi_dnp_store(ctx, req, &in, config, secret, resp);
out:
    json_decref(secret);
    json_decref(config);
    if (body && json_is_object(json_object_get(body, "secret")))
        fcgi_dnp_wipe(json_object_get(body, "secret"));
    json_decref(body);
}

/* Lists the caller's providers, newest first. */
void fcgi_dns_providers_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    fcgi_page_answer_list(ctx, req, resp, db_api_dns_provider_list);
}

/* Reads one provider of the caller's tenant. */
void fcgi_dns_providers_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *id = req->params[0];
    if (!fcgi_text_is_id(id)) {
        fcgi_dnp_not_found(resp);
        return;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    json_t *o = NULL;
    enum db_rc rc = db_api_dns_provider_get(db, req->tenant_id, id, &o);
    if (rc == DB_OK)
        fcgi_resp_json(resp, 200, o);
    else if (rc == DB_NOTFOUND)
        fcgi_dnp_not_found(resp);
    else
        fcgi_resp_db_failure(resp, rc);
    json_decref(o);
}

/* Deletes a provider no order in progress uses; finished orders forget it. */
void fcgi_dns_providers_delete(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *id = req->params[0];
    if (!fcgi_text_is_id(id)) {
        fcgi_dnp_not_found(resp);
        return;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    json_t *busy = NULL;
    enum db_rc rc = db_api_dns_provider_delete(db, req->tenant_id, id, &busy);
    if (rc == DB_OK)
        fcgi_resp_text(resp, 204, FCGI_JSON_CONTENT_TYPE, "", 0);
    else if (rc == DB_NOTFOUND)
        fcgi_dnp_not_found(resp);
    else if (rc == DB_CONFLICT && busy)
        fcgi_resp_problemf(resp, FCGI_PROB_PROVIDER_IN_USE, NULL,
                           "order %s (status %s) uses this DNS provider; delete it once the order is issued, "
                           "failed or cancelled",
                           json_string_value(json_object_get(busy, "id")),
                           json_string_value(json_object_get(busy, "status")));
    else
        fcgi_resp_db_failure(resp, rc == DB_CONFLICT ? DB_UNAVAILABLE : rc);
    json_decref(busy);
}

/* Copies a provider's reason for a problem detail: its text may come from a DNS server or a program. */
static const char *fcgi_dnp_reason(char *dst, size_t dstlen, const char *reason)
{
    if (fcgi_text_utf8_valid(reason, strlen(reason)))
        return fcgi_text_snippet(dst, dstlen, reason);
    return log_safe(dst, dstlen, reason);
}

/* Unseals the provider's secret into a JSON object; false (logged) when it cannot be read. */
static bool fcgi_dnp_unseal(const struct fcgi_app *app, const char *tenant, const char *id,
                            const unsigned char *blob, size_t len, json_t **secret)
{
    unsigned char *plain = NULL;
    size_t plain_len = 0;
    *secret = NULL;
    char *aad = seal_aad(SEAL_PURPOSE_DNS_PROVIDER, tenant, id);
    char *legacy = xasprintf("%s%s", FCGI_DNS_PROVIDER_AAD_PREFIX, id);
    bool ok = app->have_master_key && seal_decrypt_legacy(&app->keys, blob, len, aad, legacy, &plain, &plain_len);
    free(aad);
    free(legacy);
    if (ok) {
        *secret = json_loadb((const char *)plain, plain_len, 0, NULL);
        ok = json_is_object(*secret);
    }
    if (plain)
        xfree_secret(plain, plain_len);
    if (!ok) {
        /* Wrong master key or damaged data: the operator's problem, never the caller's. */
        log_error("dns provider %s: cannot unseal its secret (wrong master key or damaged data)", id);
        json_decref(*secret);
        *secret = NULL;
    }
    return ok;
}

/* Publishes and removes the test record; answers 200 with the timings or 422 with the provider's reason. */
static void fcgi_dnp_run_test(const struct provider *p, const char *record, struct fcgi_resp *resp)
{
    unsigned char raw[FCGI_DNP_TEST_VALUE_BYTES];
    char err[400], safe[400];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        fcgi_resp_problem(resp, FCGI_PROB_INTERNAL, NULL, NULL);
        return;
    }
    char *value = b64url_encode(raw, sizeof raw);
    struct provider_record r = { .name = record, .zone = NULL, .value = value, .ttl = FCGI_DNP_TEST_TTL };
    err[0] = '\0';
    long long t0 = clock_now_ms();
    if (!provider_present(p, &r, err, sizeof err)) {
        fcgi_resp_problemf(resp, FCGI_PROB_PROVIDER_TEST_FAILED, NULL, "publishing TXT %s failed: %s", record,
                           fcgi_dnp_reason(safe, sizeof safe, err[0] ? err : "no reason given"));
        goto out;
    }
    long long t1 = clock_now_ms();
    err[0] = '\0';
    if (!provider_cleanup(p, &r, err, sizeof err)) {
        fcgi_resp_problemf(resp, FCGI_PROB_PROVIDER_TEST_FAILED, NULL,
                           "TXT %s \"%s\" was published, but removing it failed: %s", record, value,
                           fcgi_dnp_reason(safe, sizeof safe, err[0] ? err : "no reason given"));
        goto out;
    }
    long long t2 = clock_now_ms();
    json_t *o = json_pack("{s:b, s:{s:s, s:s, s:s}, s:I, s:I}", "ok", 1, "record", "name", record, "type", "TXT",
                          "value", value, "published_ms", (json_int_t)(t1 - t0), "removed_ms", (json_int_t)(t2 - t1));
    fcgi_resp_json(resp, 200, o);
    json_decref(o);
out:
    free(value);
}

/* Tests a provider: publish _certmill-test.<name> TXT <random> through it, then remove it. */
void fcgi_dns_providers_test(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *id = req->params[0];
    struct fcgi_dnp_test_input in = { { 0 } };
    json_t *row = NULL, *secret = NULL;
    unsigned char *blob = NULL;
    size_t len = 0;
    if (!fcgi_text_is_id(id)) {
        fcgi_dnp_not_found(resp);
        return;
    }
    json_t *body = fcgi_body_json(req, resp);
    if (!body)
        return;
    if (!fcgi_fields_check(fcgi_dnp_test_fields, 1, body, &in, resp))
        goto out;
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        goto out;
    enum db_rc rc = db_dns_provider_load(db, req->tenant_id, id, &row, &blob, &len);
    if (rc == DB_NOTFOUND) {
        fcgi_dnp_not_found(resp);
        goto out;
    }
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc);
        goto out;
    }
    int type = provider_type_parse(json_string_value(json_object_get(row, "type")));
    if (type == PROVIDER_MANUAL) {
        fcgi_resp_problem(resp, FCGI_PROB_PROVIDER_TEST_FAILED, NULL,
                          "a manual provider publishes nothing: the panel publishes the records itself");
        goto out;
    }
    if (type < 0 || (blob && !fcgi_dnp_unseal(ctx->app, req->tenant_id, id, blob, len, &secret))) {
        if (type < 0)
            log_error("dns provider %s: unknown type in the database", id);
        fcgi_resp_problem(resp, FCGI_PROB_INTERNAL, NULL, NULL);
        goto out;
    }
    struct provider p = {
        .type = (enum provider_type)type,
        .config = json_object_get(row, "config"),
        .secret = secret,
        .cfg = ctx->app->cfg,
    };
    fcgi_dnp_run_test(&p, in.record, resp);
out:
    if (secret)
        fcgi_dnp_wipe(secret);
    json_decref(secret);
    if (blob)
        xfree_secret(blob, len);
    json_decref(row);
    json_decref(body);
}
