/*
 * order_actions — POST /v1/orders/{id}/cancel and POST /v1/orders/{id}/retry (no body,
 * or {}): the panel stops an order that has not reached finalize (409
 * order_not_cancellable otherwise), or starts a failed one again from the beginning
 * (409 order_not_retryable otherwise). Both answer 202 with the order as it is now.
 */
#ifndef CM_FCGI_ORDER_ACTIONS_H
#define CM_FCGI_ORDER_ACTIONS_H

#include "app.h"
#include "request.h"
#include "response.h"

/* POST /v1/orders/{id}/cancel. */
void fcgi_order_cancel(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* POST /v1/orders/{id}/retry. */
void fcgi_order_retry(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

#endif
