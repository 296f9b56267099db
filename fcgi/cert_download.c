/* cert_download — the certificate in the file formats servers and panels install. */
#include "cert_download.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "certificates.h"
#include "crypto/bundle.h"
#include "crypto/seal.h"
#include "db_api.h"
#include "query.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FCGI_PEM_CHAIN_TYPE "application/pem-certificate-chain"

enum fcgi_dl_format { FCGI_DL_FULLCHAIN, FCGI_DL_LEAF, FCGI_DL_CHAIN, FCGI_DL_KEY, FCGI_DL_DER, FCGI_DL_P7B,
                      FCGI_DL_PFX };

/* One format: its name in the query, media type, file name suffix, and whether it holds the key. */
struct fcgi_dl_info {
    const char *name;
    const char *media_type;
    const char *suffix;
    bool key;
};

static const struct fcgi_dl_info fcgi_dl_formats[] = {
    [FCGI_DL_FULLCHAIN] = { "pem_fullchain", FCGI_PEM_CHAIN_TYPE, "-fullchain.pem", false },
    [FCGI_DL_LEAF] = { "pem_leaf", FCGI_PEM_CHAIN_TYPE, ".pem", false },
    [FCGI_DL_CHAIN] = { "pem_chain", FCGI_PEM_CHAIN_TYPE, "-chain.pem", false },
    [FCGI_DL_KEY] = { "pem_key", "application/x-pem-file", "-key.pem", true },
    [FCGI_DL_DER] = { "der", "application/pkix-cert", ".cer", false },
    [FCGI_DL_P7B] = { "p7b", "application/pkcs7-mime; smime-type=certs-only", ".p7b", false },
    [FCGI_DL_PFX] = { "pfx", "application/x-pkcs12", ".pfx", true },
};
#define FCGI_DL_N (sizeof fcgi_dl_formats / sizeof fcgi_dl_formats[0])

/* The download's parameters, checked. */
struct fcgi_dl_req {
    enum fcgi_dl_format format;
    bool legacy;
};

/* Reads format and pfx_legacy; false with 422 invalid_field. */
static bool fcgi_dl_params(const struct fcgi_query *q, struct fcgi_dl_req *d, struct fcgi_resp *resp)
{
    const char *f = fcgi_query_get(q, "format");
    const char *l = fcgi_query_get(q, "pfx_legacy");
    d->format = FCGI_DL_FULLCHAIN;
    d->legacy = false;
    if (f) {
        size_t i = 0;
        while (i < FCGI_DL_N && strcmp(fcgi_dl_formats[i].name, f) != 0)
            i++;
        if (i == FCGI_DL_N) {
            fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "format",
                              "format must be one of pem_fullchain, pem_leaf, pem_chain, pem_key, der, p7b, pfx");
            return false;
        }
        d->format = (enum fcgi_dl_format)i;
    }
    if (l) {
        if (strcmp(l, "0") != 0 && strcmp(l, "1") != 0) {
            fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "pfx_legacy", "pfx_legacy must be 0 or 1");
            return false;
        }
        if (d->format != FCGI_DL_PFX) {
            fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "pfx_legacy", "pfx_legacy applies to format=pfx only");
            return false;
        }
        d->legacy = l[0] == '1';
    }
    return true;
}

/* Checks the PKCS#12 password header: required, never made up by certmill. */
static bool fcgi_dl_password(const struct fcgi_req *req, struct fcgi_resp *resp)
{
    if (req->pfx_password && fcgi_text_printable(req->pfx_password, FCGI_PFX_PASSWORD_MAX))
        return true;
    fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "X-PFX-Password",
                       "format=pfx needs its password in the X-PFX-Password header: 1 to %d printable ASCII "
                       "characters",
                       FCGI_PFX_PASSWORD_MAX);
    return false;
}

/*
 * Unseals the certificate's key into *pem (wipe with xfree_secret). False with the answer
 * on resp: 404 key_not_available when the customer holds the key, 500 when it cannot be
 * unsealed (logged without any key material).
 */
static bool fcgi_dl_key(struct fcgi_ctx *ctx, struct db *db, struct fcgi_req *req, const char *id,
                        unsigned char **pem, size_t *pem_len, struct fcgi_resp *resp)
{
    char *key_type = NULL, *order_id = NULL, *aad = NULL, *legacy = NULL;
    unsigned char *blob = NULL;
    size_t len = 0;
    bool ok = false;
    enum db_rc rc = db_api_cert_key(db, req->tenant_id, id, &key_type, &order_id, &blob, &len);
    if (rc == DB_NOTFOUND)
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such certificate");
    else if (rc != DB_OK)
        fcgi_resp_db_failure(resp, rc);
    else if (!blob)
        fcgi_resp_problem(resp, FCGI_PROB_KEY_NOT_AVAILABLE, NULL, NULL);
    if (rc != DB_OK || !blob)
        goto out;
    /* The row's tenant is the caller's (db_api_cert_key looked it up under that tenant). */
    aad = seal_aad(SEAL_PURPOSE_ORDER_KEY, req->tenant_id, order_id);
    legacy = xasprintf("%s%s", FCGI_CERT_KEY_AAD_PREFIX, order_id);
    if (!ctx->app->have_master_key || !seal_decrypt_legacy(&ctx->app->keys, blob, len, aad, legacy, pem, pem_len)) {
        log_error("certificate %s: cannot unseal its key (wrong master key or damaged data)", id);
        fcgi_resp_problem(resp, FCGI_PROB_INTERNAL, NULL, NULL);
        goto out;
    }
    ok = true;
out:
    free(blob);
    free(aad);
    free(legacy);
    free(key_type);
    free(order_id);
    return ok;
}

/* Builds the body of a certificate-only format from the stored PEM text; false when OpenSSL cannot. */
static bool fcgi_dl_certs(enum fcgi_dl_format f, const char *leaf, const char *chain, const char *full,
                          struct fcgi_resp *resp)
{
    const struct fcgi_dl_info *fi = &fcgi_dl_formats[f];
    unsigned char *der = NULL;
    size_t n = 0;
    switch (f) {
    case FCGI_DL_LEAF:
        fcgi_resp_text(resp, 200, fi->media_type, leaf, strlen(leaf));
        return true;
    case FCGI_DL_CHAIN:
        fcgi_resp_text(resp, 200, fi->media_type, chain, strlen(chain));
        return true;
    case FCGI_DL_DER:
        if (!bundle_leaf_der(leaf, &der, &n))
            return false;
        break;
    case FCGI_DL_P7B:
        if (!bundle_p7b_der(full, &der, &n))
            return false;
        break;
    default:
        fcgi_resp_text(resp, 200, fi->media_type, full, strlen(full));
        return true;
    }
    fcgi_resp_text(resp, 200, fi->media_type, (const char *)der, n);
    free(der);
    return true;
}

/* Builds the answer of a format holding the private key (pem_key, pfx). */
static bool fcgi_dl_secret(struct fcgi_ctx *ctx, struct db *db, struct fcgi_req *req, const char *id,
                           const struct fcgi_dl_req *d, const char *full, struct fcgi_resp *resp)
{
    unsigned char *pem = NULL, *p12 = NULL;
    size_t pem_len = 0, p12_len = 0;
    if (!fcgi_dl_key(ctx, db, req, id, &pem, &pem_len, resp))
        return false;
    bool ok = true;
    resp->secret = true;
    if (d->format == FCGI_DL_KEY) {
        fcgi_resp_text(resp, 200, fcgi_dl_formats[d->format].media_type, (const char *)pem, pem_len);
    } else if (bundle_pkcs12_der((const char *)pem, pem_len, full, req->pfx_password, d->legacy, &p12, &p12_len)) {
        fcgi_resp_text(resp, 200, fcgi_dl_formats[d->format].media_type, (const char *)p12, p12_len);
        xfree_secret(p12, p12_len);
    } else {
        log_error("certificate %s: cannot build its PKCS#12", id);
        fcgi_resp_problem(resp, FCGI_PROB_INTERNAL, NULL, NULL);
        ok = false;
    }
    xfree_secret(pem, pem_len);
    return ok;
}

/* Answers the certificate in the format asked. */
void fcgi_certs_download(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    static const char *const allowed[] = { "format", "pfx_legacy", NULL };
    const char *id = req->params[0];
    struct fcgi_query q;
    struct fcgi_dl_req d;
    json_t *c = NULL;
    char *full = NULL;
    if (!fcgi_text_is_id(id)) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such certificate");
        return;
    }
    if (!fcgi_query_parse(req->query, allowed, &q, resp))
        return;
    if (!fcgi_dl_params(&q, &d, resp))
        goto out;
    if (d.format == FCGI_DL_PFX && !fcgi_dl_password(req, resp))
        goto out;
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        goto out;
    enum db_rc rc = db_api_cert_get(db, req->tenant_id, id, &c);
    if (rc == DB_NOTFOUND) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such certificate");
        goto out;
    }
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc);
        goto out;
    }
    const char *leaf = json_string_value(json_object_get(c, "certificate_pem"));
    const char *chain = json_string_value(json_object_get(c, "chain_pem"));
    full = fcgi_certs_fullchain(leaf ? leaf : "", chain ? chain : "");
    const struct fcgi_dl_info *fi = &fcgi_dl_formats[d.format];
    bool ok = fi->key ? fcgi_dl_secret(ctx, db, req, id, &d, full, resp)
                      : fcgi_dl_certs(d.format, leaf ? leaf : "", chain ? chain : "", full, resp);
    if (!ok) {
        if (!fi->key) {
            log_error("certificate %s: cannot encode it as %s", id, fi->name);
            fcgi_resp_problem(resp, FCGI_PROB_INTERNAL, NULL, NULL);
        }
        goto out;
    }
    char disp[160];
    snprintf(disp, sizeof disp, "attachment; filename=\"%s%s\"", id, fi->suffix);
    fcgi_resp_header(resp, "Content-Disposition", disp);
    if (fi->key)
        fcgi_resp_header(resp, "Cache-Control", "no-store");
out:
    free(full);
    json_decref(c);
    fcgi_query_free(&q);
}
