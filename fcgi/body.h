/*
 * body — the JSON body of a request: parsed with jansson (duplicate keys refused),
 * a JSON object at the top, nested at most FCGI_BODY_MAX_DEPTH containers deep.
 */
#ifndef CM_FCGI_BODY_H
#define CM_FCGI_BODY_H

#include "request.h"
#include "response.h"

#include <jansson.h>

#define FCGI_BODY_MAX_DEPTH 8

/* Parses req->body; NULL with 400 malformed_json on resp when it is not acceptable. */
json_t *fcgi_body_json(const struct fcgi_req *req, struct fcgi_resp *resp);
/* The nesting depth of v: 0 for a scalar, 1 for a flat object or array. */
int fcgi_body_depth(const json_t *v);

#endif
