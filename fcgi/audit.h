/* audit — an audit log row for every change made through the API (docs/security.md, "Audit log"). */
#ifndef CM_FCGI_AUDIT_H
#define CM_FCGI_AUDIT_H

#include "app.h"
#include "request.h"
#include "response.h"

/* True when the request changed something: a POST, PUT, PATCH or DELETE answered 2xx. */
bool fcgi_audit_wanted(const struct fcgi_req *req, const struct fcgi_resp *resp);
/* Records the change req made (after its handler answered resp); a failure is logged, never answered. */
void fcgi_audit_record(struct fcgi_ctx *ctx, const struct fcgi_req *req, const struct fcgi_resp *resp);

#endif
