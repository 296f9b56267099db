/* acme/revoke.c — revoking a certificate (RFC 8555 §7.6), signed with the account key. */
#include "acme/internal.h"
#include "crypto/b64.h"

#include <jansson.h>
#include <stdlib.h>

/* The revokeCert payload: the certificate's DER as base64url and the RFC 5280 reason code. */
static char *acme_revoke_payload(const unsigned char *der, size_t len, int reason)
{
    char *b64 = b64url_encode(der, len);
    json_t *o = b64 ? json_pack("{s:s, s:i}", "certificate", b64, "reason", reason) : NULL;
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    free(b64);
    return text;
}

/*
 * POST {"certificate", "reason"} to revokeCert, signed with the account key (kid). The CA
 * answers 200 with an empty body; alreadyRevoked and refusals come back as problems.
 */
enum acme_rc acme_cert_revoke(struct acme_client *c, EVP_PKEY *key, const char *kid, const unsigned char *cert_der,
                              size_t len, int reason, struct acme_result *res)
{
    struct acme_http_resp resp;
    char *payload = NULL;
    acme_http_resp_init(&resp);
    enum acme_rc rc = acme_call_begin(c, key, c ? c->directory_url : NULL, res);
    if (rc != ACME_OK)
        return rc;
    /* RFC 5280 §5.3.1 codes run 0..10; which ones the CA accepts is the CA's to say. */
    if (!kid || !cert_der || len == 0 || reason < 0 || reason > 10)
        return acme_fail(res, ACME_ERR_LOCAL, "revokeCert", c->directory_url, "no account, certificate or reason");
    if ((rc = acme_directory_load(c, res)) != ACME_OK)
        goto done;
    if (!c->dir.revoke_cert) {
        rc = acme_fail(res, ACME_ERR_PROTOCOL, "revokeCert", c->directory_url, "the directory has no revokeCert");
        goto done;
    }
    if (!(payload = acme_revoke_payload(cert_der, len, reason))) {
        rc = acme_fail(res, ACME_ERR_LOCAL, "revokeCert", c->dir.revoke_cert, "could not build the payload");
        goto done;
    }
    rc = acme_post_expect(c, key, kid, c->dir.revoke_cert, payload, NULL, "revokeCert", 200, 0, &resp, res);
done:
    free(payload);
    acme_http_resp_free(&resp);
    return rc;
}
