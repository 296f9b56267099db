/* acme/nonce.c — anti-replay nonces: the one from the last response, else HEAD newNonce. */
#include "acme/internal.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "crypto/b64.h"

#include <stdlib.h>

/* Keeps a Replay-Nonce for the next request; one that is not base64url (RFC 8555 §6.5.1) is dropped. */
void acme_nonce_keep(struct acme_client *c, const char *nonce)
{
    if (!b64url_valid(nonce, ACME_NONCE_MAX)) {
        log_debug("acme: ignoring a Replay-Nonce that is not base64url");
        return;
    }
    free(c->nonce);
    c->nonce = xstrdup(nonce);
}

/* Hands out a nonce (the caller frees it): the kept one, else a fresh one from newNonce. */
enum acme_rc acme_nonce_take(struct acme_client *c, char **nonce, struct acme_result *res)
{
    /* A nonce is good for one request only: it leaves the client as it is handed out. */
    if (c->nonce) {
        *nonce = c->nonce;
        c->nonce = NULL;
        return ACME_OK;
    }
    enum acme_rc rc = acme_directory_load(c, res);
    if (rc != ACME_OK)
        return rc;
    struct acme_http_resp resp;
    acme_http_resp_init(&resp);
    rc = acme_http_request(c, ACME_HEAD, c->dir.new_nonce, NULL, NULL, &resp, res);
    if (rc != ACME_OK)
        goto done;
    if (resp.status != 200 && resp.status != 204) {
        rc = acme_response_error(&resp, "newNonce", c->dir.new_nonce, res);
        goto done;
    }
    if (!c->nonce) {
        rc = acme_fail(res, ACME_ERR_PROTOCOL, "newNonce", c->dir.new_nonce, "no valid Replay-Nonce in the answer");
        goto done;
    }
    *nonce = c->nonce;
    c->nonce = NULL;
done:
    acme_http_resp_free(&resp);
    return rc;
}
