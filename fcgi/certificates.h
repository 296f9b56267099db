/*
 * certificates — /v1/certificates: list, read one, and its private key.
 *
 * Representation: {"id", "order_id", "domains", "serial", "not_before", "not_after",
 * "status", "ca", "key_type", "certificate_pem" (leaf), "chain_pem", "fullchain_pem"
 * (leaf + chain), "revocation", "created_at"} (list items leave out the three PEM fields).
 * "revocation" is null until a revocation is asked, then {"reason" (RFC 5280 name),
 * "requested_at" (null once done or refused), "revoked_at" (null until the CA agreed),
 * "problem" (the CA's refusal, else null)}.
 * /key answers {"key_type", "key_pem"} with Cache-Control: no-store.
 */
#ifndef CM_FCGI_CERTIFICATES_H
#define CM_FCGI_CERTIFICATES_H

#include "app.h"
#include "request.h"
#include "response.h"

/* The legacy AAD of a certificate key, "order-key:<order_id>" (now seal_aad(SEAL_PURPOSE_ORDER_KEY, tenant, order)). */
#define FCGI_CERT_KEY_AAD_PREFIX "order-key:"

/* GET /v1/certificates?limit=&cursor=&status=&domain=&customer_ref=&expires_before=. */
void fcgi_certs_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* GET /v1/certificates/{id} (ETag; 304 on a matching If-None-Match). */
void fcgi_certs_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* GET /v1/certificates/{id}/key. */
void fcgi_certs_key(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* POST /v1/certificates/{id}/revoke {"reason": ...}: 202, the worker asks the CA. */
void fcgi_certs_revoke(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* leaf + chain as one PEM text (a newline between them when the leaf lacks one); caller frees. */
char *fcgi_certs_fullchain(const char *leaf, const char *chain);

#endif
