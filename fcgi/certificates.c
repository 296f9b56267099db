/* certificates — the certificate endpoints. */
#include "certificates.h"

#include "base/log.h"
#include "body.h"
#include "dispatch.h"
#include "etag.h"
#include "fields.h"
#include "list_filters.h"
#include "base/xalloc.h"
#include "crypto/seal.h"
#include "db_api.h"
#include "ident/ident.h"
#include "order_input.h"
#include "paging.h"
#include "query.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The certificate statuses of the API (and of the SQL CHECK constraint). */
static const char *const fcgi_cert_statuses[] = { "active", "expiring", "expired", "revoked", "superseded", NULL };

/* The RFC 5280 CRLReason names a panel may ask for, with their codes (§5.3.1). */
struct fcgi_revoke_reason {
    const char *name;
    int code;
};
/* Only the reasons CAs accept from a subscriber: certificateHold, removeFromCRL, privilegeWithdrawn
 * and aACompromise are refused by them (Let's Encrypt, RFC 8555 §7.6 leaves it to the CA). */
static const struct fcgi_revoke_reason fcgi_revoke_reasons[] = {
    { "unspecified", 0 }, { "keyCompromise", 1 }, { "affiliationChanged", 3 },
    { "superseded", 4 },  { "cessationOfOperation", 5 },
};
#define FCGI_REVOKE_N (sizeof fcgi_revoke_reasons / sizeof fcgi_revoke_reasons[0])

/* The name of a reason code; NULL for a code the API does not take. */
static const char *fcgi_revoke_reason_name(json_int_t code)
{
    for (size_t i = 0; i < FCGI_REVOKE_N; i++)
        if (fcgi_revoke_reasons[i].code == code)
            return fcgi_revoke_reasons[i].name;
    return NULL;
}

/*
 * Replaces the revoke_* columns of a certificate row with its `revocation` member:
 * null when never asked, else {"reason", "requested_at", "revoked_at", "problem"}.
 */
static void fcgi_certs_revocation(json_t *c)
{
    json_t *reason = json_object_get(c, "revoke_reason");
    json_t *rev = json_null();
    if (json_is_integer(reason)) {
        const char *name = fcgi_revoke_reason_name(json_integer_value(reason));
        rev = json_object();
        json_object_set_new(rev, "reason", name ? json_string(name) : json_null());
        json_object_set(rev, "requested_at", json_object_get(c, "revoke_requested_at"));
        json_object_set(rev, "revoked_at", json_object_get(c, "revoked_at"));
        json_object_set(rev, "problem", json_object_get(c, "revoke_problem"));
    }
    json_object_del(c, "revoke_reason");
    json_object_del(c, "revoke_requested_at");
    json_object_del(c, "revoked_at");
    json_object_del(c, "revoke_problem");
    json_object_set_new(c, "revocation", rev);
}

/* True when s is a certificate status. */
static bool fcgi_certs_status_ok(const char *s)
{
    for (const char *const *p = fcgi_cert_statuses; *p; p++)
        if (strcmp(*p, s) == 0)
            return true;
    return false;
}

/* Joins leaf and chain. */
char *fcgi_certs_fullchain(const char *leaf, const char *chain)
{
    size_t n = strlen(leaf);
    bool nl = n && leaf[n - 1] != '\n' && *chain;
    return xasprintf("%s%s%s", leaf, nl ? "\n" : "", chain);
}

/* Lists the caller's certificates, newest first. */
void fcgi_certs_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    static const char *const allowed[] = { "limit", "cursor", "status", "domain", "customer_ref", "expires_before",
                                           NULL };
    struct fcgi_query q;
    struct fcgi_page pg;
    struct ident_name dn;
    if (!fcgi_query_parse(req->query, allowed, &q, resp))
        return;
    struct db_api_cert_filter f = { .status = fcgi_query_get(&q, "status"),
                                    .customer_ref = fcgi_query_get(&q, "customer_ref"),
                                    .expires_before = fcgi_query_get(&q, "expires_before") };
    const char *domain = fcgi_query_get(&q, "domain");
    if (f.expires_before && !fcgi_filter_time("expires_before", f.expires_before, resp))
        goto out;
    if (f.customer_ref && fcgi_text_utf8_chars(f.customer_ref) > FCGI_ORDER_MAX_CUSTOMER_REF) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "customer_ref",
                           "customer_ref is longer than %d characters", FCGI_ORDER_MAX_CUSTOMER_REF);
        goto out;
    }
    if (!fcgi_page_parse(&q, &pg, resp))
        goto out;
    if (f.status && !fcgi_certs_status_ok(f.status)) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "status",
                          "status must be one of active, expiring, expired, revoked, superseded");
        goto out;
    }
    /* The filter goes through the same normalisation as the names were stored with. */
    if (domain) {
        const char *reason = "";
        if (ident_normalize(domain, strlen(domain), &dn, &reason) != IDENT_OK) {
            fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "domain", "domain %s", reason);
            goto out;
        }
        f.domain = dn.name;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        goto out;
    json_t *rows = NULL;
    enum db_rc rc = db_api_cert_list(db, req->tenant_id, &f, &pg.db, &rows);
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc);
        goto out;
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
        fcgi_certs_revocation(row);
    json_t *page = fcgi_page_result(rows, pg.db.limit);
    fcgi_resp_json(resp, 200, page);
    json_decref(page);
out:
    fcgi_query_free(&q);
}

/* Replaces the renewal_window_* columns with `renewal_window`: {start, end} from ARI, or null. */
static void fcgi_certs_renewal_window(json_t *c)
{
    json_t *start = json_object_get(c, "renewal_window_start");
    json_t *end = json_object_get(c, "renewal_window_end");
    json_t *w = json_is_string(start) && json_is_string(end) ? json_pack("{s:O, s:O}", "start", start, "end", end)
                                                                : NULL;
    json_object_del(c, "renewal_window_start");
    json_object_del(c, "renewal_window_end");
    json_object_set_new(c, "renewal_window", w ? w : json_null());
}

/* Adds fullchain_pem and the revocation and renewal_window objects to a certificate row, created_at last. */
static void fcgi_certs_shape(json_t *c)
{
    const char *leaf = json_string_value(json_object_get(c, "certificate_pem"));
    const char *chain = json_string_value(json_object_get(c, "chain_pem"));
    char *full = fcgi_certs_fullchain(leaf ? leaf : "", chain ? chain : "");
    json_t *created = json_incref(json_object_get(c, "created_at"));
    json_object_del(c, "created_at");
    fcgi_certs_revocation(c);
    fcgi_certs_renewal_window(c);
    json_object_set_new(c, "fullchain_pem", json_string(full));
    json_object_set_new(c, "created_at", created ? created : json_null());
    free(full);
}

/* Answers the certificate as it is now with the given status (200, or 202 after a revoke request). */
static void fcgi_certs_answer(struct db *db, struct fcgi_req *req, const char *id, int status,
                              struct fcgi_resp *resp)
{
    json_t *c = NULL;
    enum db_rc rc = db_api_cert_get(db, req->tenant_id, id, &c);
    if (rc == DB_NOTFOUND) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such certificate");
        return;
    }
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc);
        return;
    }
    fcgi_certs_shape(c);
    fcgi_resp_json(resp, status, c);
    json_decref(c);
}

/* Reads one certificate. */
void fcgi_certs_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *id = req->params[0];
    if (!fcgi_text_is_id(id)) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such certificate");
        return;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    fcgi_certs_answer(db, req, id, 200, resp);
    fcgi_etag_apply(req, resp);
}

/* Takes "reason": one of the names of fcgi_revoke_reasons. */
static bool fcgi_revoke_take_reason(const json_t *v, void *out, struct fcgi_resp *resp)
{
    const char *s = json_string_value(v);
    for (size_t i = 0; s && i < FCGI_REVOKE_N; i++) {
        if (strcmp(fcgi_revoke_reasons[i].name, s) == 0) {
            *(int *)out = fcgi_revoke_reasons[i].code;
            return true;
        }
    }
    fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "reason",
                      "reason must be one of unspecified, keyCompromise, affiliationChanged, superseded, "
                      "cessationOfOperation (CAs refuse the other RFC 5280 reasons from subscribers)");
    return false;
}

/* The fields of a revoke request. */
static const struct fcgi_field fcgi_revoke_fields[] = {
    { "reason", FCGI_FIELD_STRING, false, 32, fcgi_revoke_take_reason },
};

/* Reads the optional body into *reason (0, unspecified, when absent): nothing, or a JSON object. */
static bool fcgi_revoke_body(struct fcgi_ctx *ctx, struct fcgi_req *req, int *reason, struct fcgi_resp *resp)
{
    size_t max = ctx->app->cfg->max_body;
    *reason = 0;
    switch (fcgi_request_body(req, max)) {
    case FCGI_BODY_OK:
        break;
    case FCGI_BODY_TOO_LARGE:
        fcgi_resp_problemf(resp, FCGI_PROB_BODY_TOO_LARGE, NULL, "the request body is larger than %zu bytes", max);
        return false;
    default:
        fcgi_resp_problem(resp, FCGI_PROB_MALFORMED_JSON, NULL, "the request body ended before Content-Length");
        return false;
    }
    /* A bare POST is a revocation with reason unspecified. */
    if (req->body.len == 0)
        return true;
    if (!fcgi_dispatch_is_json(req->content_type)) {
        fcgi_resp_problem(resp, FCGI_PROB_UNSUPPORTED_MEDIA_TYPE, NULL,
                          "send no body, or {\"reason\": ...} with Content-Type: application/json");
        return false;
    }
    json_t *body = fcgi_body_json(req, resp);
    if (!body)
        return false;
    bool ok = fcgi_fields_check(fcgi_revoke_fields, sizeof fcgi_revoke_fields / sizeof fcgi_revoke_fields[0], body,
                                reason, resp);
    json_decref(body);
    return ok;
}

/* Queues the certificate's revocation and answers it as it is now (202; revoked once the CA agreed). */
void fcgi_certs_revoke(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *id = req->params[0];
    int reason = 0;
    if (!fcgi_text_is_id(id)) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such certificate");
        return;
    }
    if (!fcgi_revoke_body(ctx, req, &reason, resp))
        return;
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    enum db_rc rc = db_api_cert_revoke(db, req->tenant_id, id, reason);
    if (rc == DB_NOTFOUND) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such certificate");
        return;
    }
    if (rc == DB_CONFLICT) {
        fcgi_resp_problem(resp, FCGI_PROB_ALREADY_REVOKED, NULL, NULL);
        return;
    }
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc);
        return;
    }
    fcgi_certs_answer(db, req, id, 202, resp);
    char loc[128];
    snprintf(loc, sizeof loc, "/v1/certificates/%s", id);
    fcgi_resp_header(resp, "Location", loc);
}

/* Unseals the certificate's private key and answers it, never cached. */
void fcgi_certs_key(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *id = req->params[0];
    char *key_type = NULL, *order_id = NULL, *aad = NULL, *legacy = NULL;
    unsigned char *blob = NULL, *pem = NULL;
    size_t len = 0, pem_len = 0;
    if (!fcgi_text_is_id(id)) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such certificate");
        return;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    enum db_rc rc = db_api_cert_key(db, req->tenant_id, id, &key_type, &order_id, &blob, &len);
    if (rc == DB_NOTFOUND) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such certificate");
        goto out;
    }
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc);
        goto out;
    }
    if (!blob) {
        fcgi_resp_problem(resp, FCGI_PROB_KEY_NOT_AVAILABLE, NULL, NULL);
        goto out;
    }
    /* The row's tenant is the caller's (db_api_cert_key looked it up under that tenant). */
    aad = seal_aad(SEAL_PURPOSE_ORDER_KEY, req->tenant_id, order_id);
    legacy = xasprintf("%s%s", FCGI_CERT_KEY_AAD_PREFIX, order_id);
    if (!ctx->app->have_master_key || !seal_decrypt_legacy(&ctx->app->keys, blob, len, aad, legacy, &pem, &pem_len)) {
        /* Wrong master key or a damaged blob: an operator's problem, never the caller's. */
        log_error("certificate %s: cannot unseal its key (wrong master key or damaged data)", id);
        fcgi_resp_problem(resp, FCGI_PROB_INTERNAL, NULL, NULL);
        goto out;
    }
    json_t *o = json_object();
    json_object_set_new(o, "key_type", key_type ? json_string(key_type) : json_null());
    json_object_set_new(o, "key_pem", json_stringn((const char *)pem, pem_len));
    resp->secret = true;
    fcgi_resp_json(resp, 200, o);
    fcgi_resp_header(resp, "Cache-Control", "no-store");
    json_decref(o);
out:
    if (pem)
        xfree_secret(pem, pem_len);
    free(blob);
    free(aad);
    free(legacy);
    free(key_type);
    free(order_id);
}
