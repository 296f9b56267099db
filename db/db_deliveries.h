/*
 * db_deliveries — the tenant-wide list of webhook deliveries (every webhook of the tenant),
 * for GET /v1/webhook-deliveries: a dashboard's "failed deliveries" in one call.
 */
#ifndef CM_DB_DELIVERIES_H
#define CM_DB_DELIVERIES_H

#include "db.h"
#include "db_api.h"

#include <jansson.h>

/* A page of the tenant's deliveries, newest first, each with its webhook's id and url; status NULL: any. */
enum db_rc db_api_tenant_delivery_list(struct db *db, const char *tenant_id, const char *status,
                                       const struct db_api_page *page, json_t **rows);

#endif
