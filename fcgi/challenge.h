/*
 * challenge — the HTTP-01 responder: GET /.well-known/acme-challenge/{token} answers
 * the key authorization of a pending http-01 challenge, from PostgreSQL, so any
 * certmill-fcgi behind any front server can answer the CA. No API key.
 */
#ifndef CM_FCGI_CHALLENGE_H
#define CM_FCGI_CHALLENGE_H

#include "app.h"
#include "request.h"
#include "response.h"

#define FCGI_MAX_TOKEN 256 /* characters of an ACME token */

/* 200 text/plain key authorization, or 404. */
void fcgi_challenge_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);

#endif
