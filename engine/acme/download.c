/* acme/download.c — fetching the issued certificate chain (RFC 8555 §7.4.2). */
#include "acme/internal.h"
#include "base/log.h"

#include <stdio.h>
#include <stdlib.h>

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

/* POST-as-GET one certificate URL into resp; ACME_OK only when the body is a PEM chain. */
static enum acme_rc acme_cert_fetch(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                                    struct acme_http_resp *resp, struct acme_result *res)
{
    enum acme_rc rc = acme_kid_post(c, key, kid, url, NULL, ACME_PEM_CHAIN, "certificate", true, resp, res);
    if (rc != ACME_OK)
        return rc;
    /* The media type is checked loosely (some CAs label it otherwise); the content strictly. */
    if (!acme_looks_like_pem(&resp->body))
        return acme_fail(res, ACME_ERR_PROTOCOL, "certificate", url, "the answer is not a PEM certificate chain");
    return ACME_OK;
}

/*
 * Looks through the alternates the CA offered for a chain ending at preferred; the first
 * that does replaces *pem. An alternate that fails to download is passed over: the
 * default chain is a good answer still.
 */
static void acme_cert_choose(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                             const char *preferred, char *const *links, size_t n_links, char **pem)
{
    char *alts[ACME_MAX_ALTERNATES];
    char safe_url[160], safe_cn[160], safe_top[160], top[256];
    size_t n = acme_link_alternates(links, n_links, alts, ACME_MAX_ALTERNATES);
    bool chosen = false;
    for (size_t i = 0; i < n && !chosen; i++) {
        struct acme_http_resp resp;
        struct acme_result res;
        acme_http_resp_init(&resp);
        acme_result_init(&res);
        if (acme_cert_fetch(c, key, kid, alts[i], &resp, &res) != ACME_OK) {
            log_info("acme: alternate chain %s: %s", log_safe(safe_url, sizeof safe_url, alts[i]),
                     log_safe(safe_cn, sizeof safe_cn, res.error));
        } else {
            char *alt = buf_steal(&resp.body);
            if ((chosen = acme_chain_matches(alt, preferred))) {
                free(*pem);
                *pem = alt;
                alt = NULL;
                log_info("acme: chose alternate chain %s (ends at \"%s\")", log_safe(safe_url, sizeof safe_url, alts[i]),
                         log_safe(safe_cn, sizeof safe_cn, preferred));
            }
            free(alt);
        }
        acme_result_clear(&res);
        acme_http_resp_free(&resp);
    }
    if (!chosen) {
        if (!acme_chain_top_issuer(*pem, top, sizeof top))
            snprintf(top, sizeof top, "?");
        log_info("acme: %s: none of %zu alternate chains ends at \"%s\"; keeping the default (ends at \"%s\")",
                 log_safe(safe_url, sizeof safe_url, url), n, log_safe(safe_cn, sizeof safe_cn, preferred),
                 log_safe(safe_top, sizeof safe_top, top));
    }
    for (size_t i = 0; i < n; i++)
        free(alts[i]);
}

/* POST-as-GET the certificate URL; *pem is the chain, an alternate ending at preferred_issuer_cn when offered. */
enum acme_rc acme_cert_download_preferred(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                                          const char *preferred_issuer_cn, char **pem, struct acme_result *res)
{
    struct acme_http_resp resp;
    acme_http_resp_init(&resp);
    if (pem)
        *pem = NULL;
    enum acme_rc rc = acme_call_begin(c, key, url, res);
    if (rc != ACME_OK)
        return rc;
    if (!pem)
        return acme_fail(res, ACME_ERR_LOCAL, "certificate", url, "no output");
    rc = acme_cert_fetch(c, key, kid, url, &resp, res);
    if (rc == ACME_OK) {
        *pem = buf_steal(&resp.body);
        if (preferred_issuer_cn && *preferred_issuer_cn && !acme_chain_matches(*pem, preferred_issuer_cn))
            acme_cert_choose(c, key, kid, url, preferred_issuer_cn, resp.links, resp.n_links, pem);
    }
    acme_http_resp_free(&resp);
    return rc;
}

/* POST-as-GET the certificate URL; *pem is the PEM chain (application/pem-certificate-chain). */
enum acme_rc acme_cert_download(struct acme_client *c, EVP_PKEY *key, const char *kid, const char *url,
                                char **pem, struct acme_result *res)
{
    return acme_cert_download_preferred(c, key, kid, url, NULL, pem, res);
}
