/*
 * deliveries — GET /v1/webhook-deliveries: the deliveries of all the tenant's webhooks in one
 * list (newest first, optionally of one status), each naming its webhook; the dashboard's
 * attention bar asks it for the failed ones.
 */
#ifndef CM_FCGI_DELIVERIES_H
#define CM_FCGI_DELIVERIES_H

#include "app.h"
#include "request.h"
#include "response.h"

void fcgi_deliveries_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

#endif
