/* dispatch — the checks every request passes before its handler. */
#include "dispatch.h"

#include "audit.h"
#include "auth.h"
#include "base/log.h"
#include "limiter.h"
#include "router.h"
#include "text.h"

#include <string.h>

/* Accepts "application/json" and "application/json; charset=utf-8", in any case. */
bool fcgi_dispatch_is_json(const char *ct)
{
    if (!ct || !fcgi_text_prefix_ci(ct, "application/json"))
        return false;
    const char *rest = ct + strlen("application/json");
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

/* Checks the media type and reads the body within the configured limit. */
static bool fcgi_dispatch_body(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    if (!fcgi_dispatch_is_json(req->content_type)) {
        fcgi_resp_problem(resp, FCGI_PROB_UNSUPPORTED_MEDIA_TYPE, NULL,
                          "send the request body with Content-Type: application/json");
        return false;
    }
    size_t max = ctx->app->cfg->max_body;
    switch (fcgi_request_body(req, max)) {
    case FCGI_BODY_OK:
        return true;
    case FCGI_BODY_TOO_LARGE:
        fcgi_resp_problemf(resp, FCGI_PROB_BODY_TOO_LARGE, NULL, "the request body is larger than %zu bytes", max);
        return false;
    default:
        fcgi_resp_problem(resp, FCGI_PROB_MALFORMED_JSON, NULL, "the request body ended before Content-Length");
        return false;
    }
}

/* Routes and runs one request. */
void fcgi_dispatch(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const struct fcgi_route *route;
    char allow[128];
    switch (fcgi_route_match(req->method, req->path, req, &route, allow, sizeof allow)) {
    case FCGI_ROUTE_NOT_FOUND:
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no resource at this path");
        return;
    case FCGI_ROUTE_BAD_METHOD:
        fcgi_resp_problemf(resp, FCGI_PROB_METHOD_NOT_ALLOWED, NULL, "this path takes %s", allow);
        fcgi_resp_header(resp, "Allow", allow);
        return;
    case FCGI_ROUTE_OK:
        break;
    }
    req->route = route->pattern;
    /* The rate limit counts authenticated requests, per tenant, before any other work. */
    struct fcgi_limit lim = { .limited = false };
    if (route->needs_auth) {
        struct rate_rule rate;
        if (!fcgi_auth(ctx, req, resp, &rate))
            return;
        log_ctx_set_tenant(req->tenant_id);
        if (!fcgi_limiter_admit(ctx->app->limiter, req->tenant_id, &rate, resp, &lim))
            return;
    }
    if (!route->json_body || fcgi_dispatch_body(ctx, req, resp))
        route->handler(ctx, req, resp);
    if (fcgi_audit_wanted(req, resp))
        fcgi_audit_record(ctx, req, resp);
    /* After the handler: a problem it answers replaces the headers built so far. */
    fcgi_limiter_headers(resp, &lim);
}
