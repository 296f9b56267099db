/*
 * quota — the per-tenant quotas of POST /v1/orders (issue 6, point 8): the server's
 * defaults for the check db_api_order_create makes, and its 403 quota_exceeded answer.
 */
#ifndef CM_FCGI_QUOTA_H
#define CM_FCGI_QUOTA_H

#include "base/config.h"
#include "db_api.h"
#include "response.h"

/* A quota check with [api] max_active_orders and max_certificates as defaults. */
struct db_api_quota fcgi_quota_defaults(const struct config *cfg);
/*
 * Answers 403 quota_exceeded naming the quota: the problem carries the extension members
 * "quota" (its name), "limit" (the tenant's value) and "used" (what the tenant has).
 */
void fcgi_quota_problem(struct fcgi_resp *resp, const struct db_api_quota *q);

#endif
