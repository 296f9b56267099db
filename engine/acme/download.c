/* acme/download.c — fetching the issued certificate chain (RFC 8555 §7.4.2). */
#include "acme/internal.h"

#include <string.h>

#define ACME_PEM_CHAIN "application/pem-certificate-chain"

/* True when the body starts (after blank space) with a PEM certificate. */
static bool acme_looks_like_pem(const struct buf *b)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    size_t i = 0;
    while (i < b->len && (b->data[i] == ' ' || b->data[i] == '\t' || b->data[i] == '\r' || b->data[i] == '\n'))
        i++;
    return b->len - i >= sizeof begin - 1 && memcmp(b->data + i, begin, sizeof begin - 1) == 0 &&
           memchr(b->data, '\0', b->len) == NULL;
}

/* POST-as-GET the certificate URL; *pem is the PEM chain (application/pem-certificate-chain). */
enum acme_rc acme_cert_download(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                                char **pem, struct acme_result *res)
{
    struct acme_http_resp resp;
    acme_http_resp_init(&resp);
    if (pem)
        *pem = NULL;
    enum acme_rc rc = acme_call_begin(c, key, url, res);
    if (rc != ACME_OK)
        return rc;
    if (!pem || !kid)
        return acme_fail(res, ACME_ERR_LOCAL, "certificate", url, "no account or no output");
    rc = acme_post_expect(c, key, kid, url, NULL, ACME_PEM_CHAIN, "certificate", 200, 0, &resp, res);
    if (rc != ACME_OK)
        goto done;
    /* The media type is checked loosely (some CAs label it otherwise); the content strictly. */
    if (!acme_looks_like_pem(&resp.body)) {
        rc = acme_fail(res, ACME_ERR_PROTOCOL, "certificate", url, "the answer is not a PEM certificate chain");
        goto done;
    }
    *pem = buf_steal(&resp.body);
done:
    acme_http_resp_free(&resp);
    return rc;
}
