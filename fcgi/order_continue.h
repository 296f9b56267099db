/*
 * order_continue — POST /v1/orders/{id}/continue: the panel says it has published the
 * DNS records of an order waiting in action_required (a manual dns-01 order); the order
 * goes back to pending_validation and a worker looks at it at once.
 */
#ifndef CM_FCGI_ORDER_CONTINUE_H
#define CM_FCGI_ORDER_CONTINUE_H

#include "app.h"
#include "request.h"
#include "response.h"

/* POST /v1/orders/{id}/continue (no body, or {}) → 202 with the order, or 409 order_not_waiting. */
void fcgi_order_continue(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* Reads the optional body of an order action: nothing, or {}; false with the problem on resp. */
bool fcgi_order_continue_body(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

#endif
