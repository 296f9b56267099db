/* openapi — serving the embedded OpenAPI document. */
#include "openapi.h"

/* How long clients and caches may keep the document: it changes only with a new build. */
#define FCGI_OPENAPI_CACHE_CONTROL "public, max-age=300"

/* Answers the document exactly as docs/openapi.yaml was at build time, converted to JSON. */
void fcgi_openapi_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    (void)ctx;
    (void)req;
    fcgi_resp_text(resp, 200, FCGI_JSON_CONTENT_TYPE, fcgi_openapi_json, fcgi_openapi_json_len);
    fcgi_resp_header(resp, "Cache-Control", FCGI_OPENAPI_CACHE_CONTROL);
}
