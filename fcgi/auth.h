/*
 * auth — API key authentication: `Authorization: Bearer <key>`, looked up by its
 * SHA-256 among the non-revoked keys; the match gives the caller's tenant.
 */
#ifndef CM_FCGI_AUTH_H
#define CM_FCGI_AUTH_H

#include "app.h"
#include "base/rate_limit.h"
#include "request.h"
#include "response.h"

#include <stdbool.h>

#define FCGI_MAX_API_KEY 512 /* characters of a bearer key */

/*
 * Sets req->tenant_id from the Authorization header, and *rate to the tenant's request
 * rate (its own, else [api] rate_limit and rate_burst; per_s 0: none), read by the same
 * statement. False with the problem on resp: 401 unauthorized (missing, malformed,
 * unknown or revoked key) or 503.
 */
bool fcgi_auth(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp, struct rate_rule *rate);
/* The SHA-256 of s (OpenSSL EVP); false only if the digest itself failed. */
bool fcgi_auth_sha256(const void *s, size_t n, unsigned char out[32]);

#endif
