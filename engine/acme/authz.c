/* acme/authz.c — authorizations and challenges (RFC 8555 §7.5). */
#include "acme/internal.h"

#include <string.h>

/* POST-as-GET an authorization. */
enum acme_rc acme_authz_get(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                            struct acme_authz *out, struct acme_result *res)
{
    struct acme_http_resp resp;
    acme_http_resp_init(&resp);
    if (out)
        memset(out, 0, sizeof *out);
    enum acme_rc rc = acme_kid_post(c, key, kid, url, NULL, NULL, "authz", out != NULL, &resp, res);
    if (rc == ACME_OK && !acme_parse_authz(resp.body.data, resp.body.len, out))
        rc = acme_fail(res, ACME_ERR_PROTOCOL, "authz", url, "the answer is not a valid authorization object");
    acme_http_resp_free(&resp);
    return rc;
}

/* POST {} to a challenge URL: tells the CA to validate. */
enum acme_rc acme_challenge_respond(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                                    struct acme_challenge *out, struct acme_result *res)
{
    struct acme_http_resp resp;
    acme_http_resp_init(&resp);
    if (out)
        memset(out, 0, sizeof *out);
    /* "{}" (not an empty payload): an empty one would be a POST-as-GET that validates nothing. */
    enum acme_rc rc = acme_kid_post(c, key, kid, url, "{}", NULL, "challenge", out != NULL, &resp, res);
    if (rc == ACME_OK && !acme_parse_challenge(resp.body.data, resp.body.len, out))
        rc = acme_fail(res, ACME_ERR_PROTOCOL, "challenge", url, "the answer is not a valid challenge object");
    acme_http_resp_free(&resp);
    return rc;
}
