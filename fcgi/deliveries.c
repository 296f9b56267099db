/* deliveries — the tenant-wide webhook delivery list. */
#include "deliveries.h"

#include "db_deliveries.h"
#include "paging.h"
#include "query.h"
#include "webhooks.h"


/* Lists the deliveries of every webhook of the tenant, newest first, optionally of one status. */
void fcgi_deliveries_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    struct fcgi_query q;
    struct fcgi_page pg;
    const char *status;
    if (!fcgi_wh_delivery_query(req, resp, &q, &pg, &status))
        return;
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
