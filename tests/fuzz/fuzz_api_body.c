/*
 * fuzz_api_body — the request body of every endpoint that takes one. The first byte
 * picks the route (of those with a POST, PUT or PATCH method), the rest is the body; the
 * handler runs as certmill-fcgi would run it after authentication, so the JSON reader
 * (size, nesting depth, duplicate keys) and the endpoint's field table see the input.
 */
#include "fuzz_common.h"

#include "request.h"
#include "response.h"
#include "router.h"

#include <stdlib.h>
#include <string.h>

/* Runs one body through one route's handler. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t n = 0, bodied = 0;
    const struct fcgi_route *routes = fcgi_routes(&n);
    const struct fcgi_route *pick[64];
    for (size_t i = 0; i < n && bodied < 64; i++)
        if (strcmp(routes[i].method, "POST") == 0 || strcmp(routes[i].method, "PUT") == 0 ||
            strcmp(routes[i].method, "PATCH") == 0)
            pick[bodied++] = &routes[i];
    if (bodied == 0)
        return 0;
    const struct fcgi_route *route = pick[data[0] % bodied];
    struct fcgi_req req;
    char *env[] = { NULL };
    fcgi_request_from_env(&req, env);
    strcpy(req.method, route->method);
    req.content_type = strdup("application/json");
    req.content_length = (long long)(size - 1);
    buf_init(&req.body, fuzz_config()->max_body);
    if (!buf_append(&req.body, data + 1, size - 1)) {
        fcgi_request_free(&req);
        return 0;
    }
    req.body_read = 1;
    req.tenant_id = strdup("tnt_00000000000000000000000000000000");
    req.params[0] = strdup("ord_00000000000000000000000000000000");
    req.params[1] = strdup("x");
    req.n_params = 2;
    struct fcgi_resp resp;
    fcgi_resp_init(&resp);
    route->handler(fuzz_fcgi_ctx(), &req, &resp);
    /* Whatever the input, the answer is a complete HTTP status. */
    if (resp.status < 200 || resp.status > 599)
        abort();
    fcgi_resp_free(&resp);
    fcgi_request_free(&req);
    return 0;
}
