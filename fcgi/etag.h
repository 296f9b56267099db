/*
 * etag — strong entity tags for pollers: the ETag of a JSON answer is the SHA-256 of its
 * exact bytes, so it changes whenever the representation does, and If-None-Match with a
 * matching tag turns the answer into a 304 without a body.
 */
#ifndef CM_FCGI_ETAG_H
#define CM_FCGI_ETAG_H

#include "request.h"
#include "response.h"

/* Sets ETag on a built 200 answer; a matching If-None-Match ("*" too) makes it a 304 without body. */
void fcgi_etag_apply(const struct fcgi_req *req, struct fcgi_resp *resp);

#endif
