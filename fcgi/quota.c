/* quota — the quota defaults and the quota_exceeded problem; see quota.h. */
#include "quota.h"

#include <stdio.h>
#include <string.h>

/* Fills the defaults; nothing exceeded yet. */
struct db_api_quota fcgi_quota_defaults(const struct config *cfg)
{
    struct db_api_quota q = {
        .max_active_orders = cfg->max_active_orders,
        .max_certificates = cfg->max_certificates,
    };
    return q;
}

/* Builds the 403 with the quota's name and values as extension members (RFC 9457 §3.2). */
void fcgi_quota_problem(struct fcgi_resp *resp, const struct db_api_quota *q)
{
    bool orders = strcmp(q->exceeded, "max_active_orders") == 0;
    char detail[200];
    snprintf(detail, sizeof detail, "the tenant has %ld %s, its %s quota is %ld: %s", q->used,
             orders ? "active orders" : "certificates kept", q->exceeded, q->limit,
             orders ? "wait for orders to finish, or cancel some" : "revoke certificates no longer needed");
    /* The plain problem first: it clears the headers and records the code for the log. */
    fcgi_resp_problem(resp, FCGI_PROB_QUOTA_EXCEEDED, NULL, detail);
    json_t *o = fcgi_problem_json(FCGI_PROB_QUOTA_EXCEEDED, detail, NULL);
    json_object_set_new(o, "quota", json_string(q->exceeded));
    json_object_set_new(o, "limit", json_integer(q->limit));
    json_object_set_new(o, "used", json_integer(q->used));
    fcgi_resp_json(resp, 403, o);
    json_decref(o);
    /* fcgi_resp_json set the plain JSON type: back to the problem's. */
    resp->content_type = FCGI_PROBLEM_CONTENT_TYPE;
}
