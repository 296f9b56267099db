/* ca_credentials — a tenant's own EAB credentials per CA. */
#include "ca_credentials.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "body.h"
#include "crypto/b64.h"
#include "crypto/seal.h"
#include "db_api.h"
#include "fields.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* The body of PUT /v1/ca-credentials/{ca}; the pointers are into the body. */
struct fcgi_eab_input {
    const char *kid;
    const char *alg;
    unsigned char *key; /* decoded MAC key (owned, wiped) */
    size_t keylen;
};

/* eab_kid: the key id the CA handed out, printable ASCII. */
static bool fcgi_eab_take_kid(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_eab_input *in = out;
    if (!fcgi_text_printable(json_string_value(v), FCGI_CA_EAB_MAX_KID)) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "eab_kid", "eab_kid must be 1 to %d printable ASCII characters",
                           FCGI_CA_EAB_MAX_KID);
        return false;
    }
    in->kid = json_string_value(v);
    return true;
}

/* eab_hmac_key: the MAC key as the CA hands it out (base64url; a trailing '=' padding is accepted). */
static bool fcgi_eab_take_key(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_eab_input *in = out;
    size_t n = json_string_length(v);
    char *text = xstrdup(json_string_value(v));
    while (n > 0 && text[n - 1] == '=')
        text[--n] = '\0';
    bool ok = n > 0 && b64url_decode(text, &in->key, &in->keylen) && in->keylen > 0;
    xfree_secret(text, strlen(text) + 1);
    if (!ok) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "eab_hmac_key",
                          "eab_hmac_key must be the base64url MAC key the CA handed out");
        return false;
    }
    return true;
}

/* eab_alg: the MAC algorithm the CA asks for. */
static bool fcgi_eab_take_alg(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_eab_input *in = out;
    const char *s = json_string_value(v);
    if (strcmp(s, "HS256") != 0 && strcmp(s, "HS384") != 0 && strcmp(s, "HS512") != 0) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "eab_alg", "eab_alg must be HS256, HS384 or HS512");
        return false;
    }
    in->alg = s;
    return true;
}

/* The fields of PUT /v1/ca-credentials/{ca}. */
static const struct fcgi_field fcgi_eab_fields[] = {
    { "eab_kid", FCGI_FIELD_STRING, true, FCGI_CA_EAB_MAX_KID, fcgi_eab_take_kid },
    { "eab_hmac_key", FCGI_FIELD_STRING, true, FCGI_CA_EAB_MAX_KEY, fcgi_eab_take_key },
    { "eab_alg", FCGI_FIELD_STRING, false, 8, fcgi_eab_take_alg },
};

/* The configured CA named by the path, or a 404 on resp. */
static const char *fcgi_eab_ca(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const struct config_ca *ca = config_ca_find(ctx->app->cfg, req->params[0]);
    if (!ca)
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no CA of that name is configured on this server");
    return ca ? ca->name : NULL;
}

/* Stores the tenant's credential for the CA: checked, MAC key sealed, answered without the key. */
void fcgi_ca_credentials_put(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    struct fcgi_eab_input in = { .alg = "HS256" };
    unsigned char *sealed = NULL;
    size_t slen = 0;
    json_t *row = NULL;
    const char *ca = fcgi_eab_ca(ctx, req, resp);
    if (!ca)
        return;
    json_t *body = fcgi_body_json(req, resp);
    if (!body)
        return;
    if (!fcgi_fields_check(fcgi_eab_fields, sizeof fcgi_eab_fields / sizeof fcgi_eab_fields[0], body, &in, resp))
        goto out;
    char *aad = seal_aad(SEAL_PURPOSE_TENANT_EAB, req->tenant_id, ca);
    bool ok = ctx->app->have_master_key && seal_encrypt(&ctx->app->keys, in.key, in.keylen, aad, &sealed, &slen);
    free(aad);
    if (!ok) {
        log_error("tenant %s: cannot seal its EAB key for %s (no master key loaded, or encryption failed)",
                  req->tenant_id, ca);
        fcgi_resp_problem(resp, FCGI_PROB_INTERNAL, NULL, NULL);
        goto out;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        goto out;
    enum db_rc rc = db_api_eab_put(db, req->tenant_id, ca, in.kid, in.alg, sealed, slen, &row);
    if (rc == DB_OK)
        fcgi_resp_json(resp, 200, row);
    else
        fcgi_resp_db_failure(resp, rc);
out:
    if (in.key)
        xfree_secret(in.key, in.keylen);
    free(sealed);
    json_decref(row);
    json_decref(body);
}

/* Lists the tenant's credentials (at most one per configured CA, so one page). */
void fcgi_ca_credentials_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    json_t *rows = NULL;
    enum db_rc rc = db_api_eab_list(db, req->tenant_id, &rows);
    if (rc == DB_OK) {
        json_t *o = json_pack("{s:O, s:n}", "data", rows, "next_cursor");
        fcgi_resp_json(resp, 200, o);
        json_decref(o);
    } else {
        fcgi_resp_db_failure(resp, rc);
    }
    json_decref(rows);
}

/* Reads the tenant's credential for one CA. */
void fcgi_ca_credentials_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *ca = fcgi_eab_ca(ctx, req, resp);
    struct db *db = ca ? fcgi_ctx_db_or_503(ctx, resp) : NULL;
    if (!db)
        return;
    json_t *row = NULL;
    enum db_rc rc = db_api_eab_get(db, req->tenant_id, ca, &row);
    if (rc == DB_OK)
        fcgi_resp_json(resp, 200, row);
    else if (rc == DB_NOTFOUND)
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "this tenant has no credential for that CA");
    else
        fcgi_resp_db_failure(resp, rc);
    json_decref(row);
}

/* Forgets the tenant's credential for one CA. */
void fcgi_ca_credentials_delete(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *ca = fcgi_eab_ca(ctx, req, resp);
    struct db *db = ca ? fcgi_ctx_db_or_503(ctx, resp) : NULL;
    if (!db)
        return;
    enum db_rc rc = db_api_eab_delete(db, req->tenant_id, ca);
    if (rc == DB_OK)
        fcgi_resp_text(resp, 204, FCGI_JSON_CONTENT_TYPE, "", 0);
    else if (rc == DB_NOTFOUND)
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "this tenant has no credential for that CA");
    else
        fcgi_resp_db_failure(resp, rc);
}
