/* auth — bearer key to tenant, with no comparison of secrets in C. */
#include "auth.h"

#include "db_api.h"
#include "text.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

/* Hashes bytes with SHA-256. */
bool fcgi_auth_sha256(const void *s, size_t n, unsigned char out[32])
{
    unsigned int len = 0;
    return EVP_Digest(s, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32;
}

/* Takes the key out of "Bearer <key>"; NULL when the header has another shape. */
static const char *fcgi_auth_bearer(const char *h)
{
    /* RFC 9110 §11.1: the scheme is case-insensitive; one or more spaces follow it. */
    if (!h || !fcgi_text_prefix_ci(h, "Bearer "))
        return NULL;
    const char *k = h + 7;
    while (*k == ' ')
        k++;
    /* Keys are printable ASCII without spaces; anything else cannot be one of ours. */
    if (!fcgi_text_printable(k, FCGI_MAX_API_KEY) || strchr(k, ' '))
        return NULL;
    return k;
}

/* Authenticates the request. */
bool fcgi_auth(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp, struct rate_rule *rate)
{
    *rate = ctx->app->cfg->api_rate;
    if (!req->authorization || !*req->authorization) {
        fcgi_resp_problem(resp, FCGI_PROB_UNAUTHORIZED, NULL, "this endpoint needs Authorization: Bearer <API key>");
        return false;
    }
    const char *key = fcgi_auth_bearer(req->authorization);
    if (!key) {
        fcgi_resp_problem(resp, FCGI_PROB_UNAUTHORIZED, NULL, "the Authorization header is not \"Bearer <API key>\"");
        return false;
    }
    unsigned char hash[DB_API_HASH_LEN];
    if (!fcgi_auth_sha256(key, strlen(key), hash)) {
        fcgi_resp_problem(resp, FCGI_PROB_INTERNAL, NULL, NULL);
        return false;
    }
    struct db_api_tenant_rate own;
    enum db_rc rc = DB_OK;
    if (!fcgi_auth_cache_get(&ctx->keys, hash, &req->tenant_id, &req->api_key_id, &own)) {
        struct db *db = fcgi_ctx_db_or_503(ctx, resp);
        if (!db) {
            OPENSSL_cleanse(hash, sizeof hash);
            return false;
        }
        rc = db_api_key_auth(db, hash, &req->tenant_id, &req->api_key_id, &own);
        if (rc == DB_OK)
            fcgi_auth_cache_put(&ctx->keys, hash, req->tenant_id, req->api_key_id, &own,
                                ctx->app->cfg->key_cache_ms);
    }
    OPENSSL_cleanse(hash, sizeof hash);
    if (rc == DB_NOTFOUND) {
        fcgi_resp_problem(resp, FCGI_PROB_UNAUTHORIZED, NULL, "the API key is unknown or has been revoked");
        return false;
    }
    if (rc != DB_OK) {
        fcgi_resp_problem(resp, FCGI_PROB_SERVICE_UNAVAILABLE, NULL, NULL);
        return false;
    }
    /* The tenant's own values win; -1 is its "none". */
    if (own.has_per_s)
        rate->per_s = own.per_s < 0 ? 0 : own.per_s;
    if (own.has_burst)
        rate->burst = own.burst;
    return true;
}
