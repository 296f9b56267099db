/*
 * ca_credentials — /v1/ca-credentials: a tenant's own External Account Binding
 * credentials (RFC 8555 §7.3.4), one per configured CA, used instead of the server's
 * when certmill registers the tenant's account at that CA.
 *
 * Representation: {"ca", "eab_kid", "eab_alg", "created_at", "updated_at"}. The MAC key
 * is write-only: sealed at rest (AES-256-GCM under the master key, bound to tenant and
 * CA), never answered, never logged.
 */
#ifndef CM_FCGI_CA_CREDENTIALS_H
#define CM_FCGI_CA_CREDENTIALS_H

#include "app.h"
#include "request.h"
#include "response.h"

/* The AAD of MAC keys sealed before v2 blobs (seal_aad(SEAL_PURPOSE_TENANT_EAB, tenant, ca) now). */
#define FCGI_CA_EAB_AAD_FMT "tenant-eab:%s:%s"
#define FCGI_CA_EAB_MAX_KID 500    /* characters of a key id */
#define FCGI_CA_EAB_MAX_KEY 512    /* characters of the base64url MAC key */

/* PUT /v1/ca-credentials/{ca} {"eab_kid", "eab_hmac_key", "eab_alg"?} → 200. */
void fcgi_ca_credentials_put(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* GET /v1/ca-credentials → {"data": [...], "next_cursor": null}. */
void fcgi_ca_credentials_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* GET /v1/ca-credentials/{ca}. */
void fcgi_ca_credentials_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* DELETE /v1/ca-credentials/{ca} → 204. */
void fcgi_ca_credentials_delete(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

#endif
