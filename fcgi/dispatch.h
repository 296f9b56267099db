/*
 * dispatch — one request through the fixed sequence: route (404/405), API key (401),
 * the tenant's request rate (429), media type (415), body limit (413), then the
 * endpoint's handler; the RateLimit fields are added to whatever it answers.
 */
#ifndef CM_FCGI_DISPATCH_H
#define CM_FCGI_DISPATCH_H

#include "app.h"
#include "request.h"
#include "response.h"

/* Fills resp for req. */
void fcgi_dispatch(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* True when a Content-Type names application/json (parameters such as charset allowed). */
bool fcgi_dispatch_is_json(const char *content_type);

#endif
