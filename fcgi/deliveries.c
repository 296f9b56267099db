/* deliveries — the tenant-wide webhook delivery list. */
#include "deliveries.h"

#include "db_deliveries.h"
#include "paging.h"
#include "query.h"

#include <string.h>

/* Lists the deliveries of every webhook of the tenant, newest first, optionally of one status. */
void fcgi_deliveries_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    static const char *const allowed[] = { "limit", "cursor", "status", NULL };
    struct fcgi_query q;
    struct fcgi_page pg;
    if (!fcgi_query_parse(req->query, allowed, &q, resp))
        return;
    if (!fcgi_page_parse(&q, &pg, resp))
        goto out;
    const char *status = fcgi_query_get(&q, "status");
    if (status && strcmp(status, "pending") != 0 && strcmp(status, "succeeded") != 0 && strcmp(status, "failed") != 0) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "status", "status must be pending, succeeded or failed");
        goto out;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        goto out;
    json_t *rows = NULL;
    enum db_rc rc = db_api_tenant_delivery_list(db, req->tenant_id, status, &pg.db, &rows);
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc);
        goto out;
    }
    json_t *page = fcgi_page_result(rows, pg.db.limit);
    fcgi_resp_json(resp, 200, page);
    json_decref(page);
out:
    fcgi_query_free(&q);
}
