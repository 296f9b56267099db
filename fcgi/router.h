/*
 * router — the route table of certmill-fcgi (method, path pattern with {id}
 * segments, handler, whether it needs an API key and a JSON body) and the matcher
 * that picks a route or says 404 / 405 (with the Allow list).
 */
#ifndef CM_FCGI_ROUTER_H
#define CM_FCGI_ROUTER_H

#include "app.h"
#include "request.h"
#include "response.h"

#include <stdbool.h>
#include <stddef.h>

#define FCGI_MAX_PARAM_LEN 256 /* bytes of one {id} segment (the ACME token is the longest) */

typedef void (*fcgi_handler)(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

struct fcgi_route {
    const char *method;  /* GET routes also answer HEAD */
    const char *pattern; /* "/v1/orders/{id}": a {...} segment matches one non-empty segment */
    fcgi_handler handler;
    bool needs_auth;     /* Authorization: Bearer required */
    bool json_body;      /* the body is read (limit, media type) before the handler runs */
};

enum fcgi_route_rc { FCGI_ROUTE_OK = 0, FCGI_ROUTE_NOT_FOUND, FCGI_ROUTE_BAD_METHOD };

/*
 * Finds the route for method and path. On FCGI_ROUTE_OK *route is set and the {id}
 * segments are copied into req->params; on FCGI_ROUTE_BAD_METHOD allow holds the
 * methods the path does take ("GET, HEAD").
 */
enum fcgi_route_rc fcgi_route_match(const char *method, const char *path, struct fcgi_req *req,
                                    const struct fcgi_route **route, char *allow, size_t allowlen);
/* The route table, for tests and documentation. */
const struct fcgi_route *fcgi_routes(size_t *n);

#endif
