/*
 * openapi — GET /v1/openapi.json: the API's OpenAPI 3.1 document. The bytes are
 * docs/openapi.json as it was at build time, embedded by scripts/embed-file.sh
 * (the Makefile's $(OUT)/gen/openapi_json.c), so an installed certmill-fcgi needs
 * no file on disk and always serves the document of its own build.
 */
#ifndef CM_FCGI_OPENAPI_H
#define CM_FCGI_OPENAPI_H

#include "app.h"
#include "request.h"
#include "response.h"

#include <stddef.h>

/* docs/openapi.json, NUL-terminated, and its length in bytes (without the NUL). */
extern const char fcgi_openapi_json[];
extern const size_t fcgi_openapi_json_len;

/* GET /v1/openapi.json → 200 application/json, Cache-Control: public, max-age=300; no API key. */
void fcgi_openapi_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

#endif
