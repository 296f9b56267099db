/* acme/keychange.c — account key rollover (RFC 8555 §7.3.5): the account URL stays, the key changes. */
#include "acme/internal.h"
#include "crypto/jws.h"

#include <jansson.h>
#include <stdlib.h>

/*
 * The inner JWS of a key change, signed by the new key: protected {"alg", "jwk": new key,
 * "url": keyChange URL} without a nonce, payload {"account": kid, "oldKey": jwk of the
 * old key}. Returns its flattened JSON text (caller frees), NULL on failure.
 */
char *acme_key_change_inner(EVP_PKEY *old_key, const char *kid, EVP_PKEY *new_key, const char *url)
{
    char *payload = NULL, *inner = NULL;
    json_t *old_jwk = old_key ? jws_jwk(old_key) : NULL;
    json_t *o = old_jwk && kid ? json_pack("{s:s, s:O}", "account", kid, "oldKey", old_jwk) : NULL;
    if (o)
        payload = json_dumps(o, JSON_COMPACT);
    if (payload && new_key && url)
        inner = jws_sign_nested(new_key, url, payload);
    free(payload);
    json_decref(o);
    json_decref(old_jwk);
    return inner;
}

/*
 * Rolls the account (kid) over from old_key to new_key: the outer JWS is signed by the
 * old key with the kid, its payload is the inner JWS signed by the new key. On ACME_OK
 * the CA knows the account by new_key only.
 */
enum acme_rc acme_key_change(struct acme_client *c, EVP_PKEY *old_key, const char *kid, EVP_PKEY *new_key,
                             struct acme_result *res)
{
    struct acme_http_resp resp;
    char *inner = NULL;
    acme_http_resp_init(&resp);
    enum acme_rc rc = acme_call_begin(c, old_key, c ? c->directory_url : NULL, res);
    if (rc != ACME_OK)
        return rc;
    if (!kid || !new_key)
        return acme_fail(res, ACME_ERR_LOCAL, "keyChange", c->directory_url, "no account or no new key");
    if ((rc = acme_directory_load(c, res)) != ACME_OK)
        goto done;
    if (!c->dir.key_change) {
        rc = acme_fail(res, ACME_ERR_PROTOCOL, "keyChange", c->directory_url, "the directory has no keyChange");
        goto done;
    }
    /* The inner JWS has no nonce, so it is made once and survives the badNonce retries of the outer one. */
    if (!(inner = acme_key_change_inner(old_key, kid, new_key, c->dir.key_change))) {
        rc = acme_fail(res, ACME_ERR_LOCAL, "keyChange", c->dir.key_change, "could not sign the inner JWS");
        goto done;
    }
    rc = acme_post_expect(c, old_key, kid, c->dir.key_change, inner, NULL, "keyChange", 200, 0, &resp, res);
done:
    free(inner);
    acme_http_resp_free(&resp);
    return rc;
}
