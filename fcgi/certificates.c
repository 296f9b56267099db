/* certificates — the certificate endpoints. */
#include "certificates.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "crypto/seal.h"
#include "db_api.h"
#include "ident/domain.h"
#include "paging.h"
#include "query.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* The certificate statuses of the API (and of the SQL CHECK constraint). */
static const char *const fcgi_cert_statuses[] = { "active", "expiring", "expired", "revoked", "superseded", NULL };

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
    static const char *const allowed[] = { "limit", "cursor", "status", "domain", NULL };
    struct fcgi_query q;
    struct fcgi_page pg;
    struct domain_name dn;
    if (!fcgi_query_parse(req->query, allowed, &q, resp))
        return;
    struct db_api_cert_filter f = { fcgi_query_get(&q, "status"), NULL };
    const char *domain = fcgi_query_get(&q, "domain");
    if (!fcgi_page_parse(&q, &pg, resp))
        goto out;
    if (f.status && !fcgi_certs_status_ok(f.status)) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "status",
                          "status must be one of active, expiring, expired, revoked, superseded");
        goto out;
    }
    /* The filter goes through the same normalisation as the names were stored with. */
    if (domain) {
        enum domain_rc drc = domain_normalize(domain, strlen(domain), &dn);
        if (drc != DOMAIN_OK) {
            fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "domain", "domain %s", domain_reason(drc));
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
    json_t *page = fcgi_page_result(rows, pg.db.limit);
    fcgi_resp_json(resp, 200, page);
    json_decref(page);
out:
    fcgi_query_free(&q);
}

/* Reads one certificate and adds fullchain_pem before created_at. */
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
    const char *leaf = json_string_value(json_object_get(c, "certificate_pem"));
    const char *chain = json_string_value(json_object_get(c, "chain_pem"));
    char *full = fcgi_certs_fullchain(leaf ? leaf : "", chain ? chain : "");
    json_t *created = json_incref(json_object_get(c, "created_at"));
    json_object_del(c, "created_at");
    json_object_set_new(c, "fullchain_pem", json_string(full));
    json_object_set_new(c, "created_at", created ? created : json_null());
    fcgi_resp_json(resp, 200, c);
    free(full);
    json_decref(c);
}

/* Unseals the certificate's private key and answers it, never cached. */
void fcgi_certs_key(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *id = req->params[0];
    char *key_type = NULL, *order_id = NULL, *aad = NULL;
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
    aad = xasprintf("%s%s", FCGI_CERT_KEY_AAD_PREFIX, order_id);
    if (!ctx->app->have_master_key || !seal_decrypt(ctx->app->master_key, blob, len, aad, &pem, &pem_len)) {
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
    free(key_type);
    free(order_id);
}
