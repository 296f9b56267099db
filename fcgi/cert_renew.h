/*
 * cert_renew — renewing a certificate now and stopping its renewals (docs/renewals.md).
 * POST /v1/certificates/{id}/renew answers 202 with the renewal order (and its Location);
 * 409 renewal_in_progress (with "order_id") or certificate_superseded (with
 * "superseded_by"). DELETE /v1/certificates/{id} answers 204: the certificate stays
 * readable with auto_renew false and renew_at null.
 */
#ifndef CM_FCGI_CERT_RENEW_H
#define CM_FCGI_CERT_RENEW_H

#include "app.h"
#include "request.h"
#include "response.h"

/* POST /v1/certificates/{id}/renew. */
void fcgi_cert_renew(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* DELETE /v1/certificates/{id}. */
void fcgi_cert_renew_stop(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

#endif
