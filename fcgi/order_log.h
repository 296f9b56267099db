/* order_log — GET /v1/orders/{id}/log: what happened to an order, in words. */
#ifndef CM_FCGI_ORDER_LOG_H
#define CM_FCGI_ORDER_LOG_H

#include "app.h"
#include "request.h"
#include "response.h"

/* Answers {"data": [{"at", "message"}, ...]}: the order's last 500 log lines, oldest first. */
void fcgi_order_log_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

#endif
