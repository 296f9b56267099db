/*
 * webhooks — the webhook endpoints: create (the signing secret is answered once), list,
 * get, update, delete, rotate-secret, and each webhook's deliveries with a manual retry.
 * A URL must be http(s) and resolve only to permitted addresses (engine/webhook/netpolicy.h).
 */
#ifndef CM_FCGI_WEBHOOKS_H
#define CM_FCGI_WEBHOOKS_H

#include "app.h"
#include "paging.h"
#include "query.h"
#include "request.h"
#include "response.h"

#define FCGI_WEBHOOK_MAX_DESCRIPTION 200 /* characters */
#define FCGI_WEBHOOK_AAD_PREFIX "webhook-secret:" /* the legacy AAD of secrets sealed before v2 (unused) */

void fcgi_webhooks_create(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
void fcgi_webhooks_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
void fcgi_webhooks_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
void fcgi_webhooks_update(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
void fcgi_webhooks_delete(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
void fcgi_webhooks_rotate(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
void fcgi_webhook_deliveries_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* The query of a delivery list (limit, cursor, status); false after answering the problem, else the caller frees q. */
bool fcgi_wh_delivery_query(struct fcgi_req *req, struct fcgi_resp *resp, struct fcgi_query *q, struct fcgi_page *pg,
                            const char **status);
void fcgi_webhook_delivery_retry(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

#endif
