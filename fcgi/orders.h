/*
 * orders — /v1/orders: create (idempotent with Idempotency-Key), read one, list.
 *
 * Representation: {"id", "status", "domains", "challenge", "dns_provider", "key_type",
 * "ca", "profile", "customer_ref", "auto_renew", "authorizations": [{"domain",
 * "wildcard", "status", "challenge", "record"}], "problem", "certificate_id",
 * "created_at", "updated_at"} (list items leave out authorizations).
 */
#ifndef CM_FCGI_ORDERS_H
#define CM_FCGI_ORDERS_H

#include "app.h"
#include "request.h"
#include "response.h"

#define FCGI_MAX_IDEMPOTENCY_KEY 200

/* POST /v1/orders → 202 + Location (200 for an idempotent replay). */
void fcgi_orders_create(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* GET /v1/orders/{id} (ETag; 304 on a matching If-None-Match). */
void fcgi_orders_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* GET /v1/orders?limit=&cursor=&status=&customer_ref=&domain=. */
void fcgi_orders_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

#endif
