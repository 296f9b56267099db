/*
 * health — /healthz (the process answers; no database) and /readyz (the database
 * answers and its schema is the version this build expects).
 */
#ifndef CM_FCGI_HEALTH_H
#define CM_FCGI_HEALTH_H

#include "app.h"
#include "request.h"
#include "response.h"

/* GET /healthz → 200 {"status":"ok"}. */
void fcgi_health_live(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* GET /readyz → 200 {"status":"ready","schema_version":N} or 503 problem. */
void fcgi_health_ready(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

#endif
