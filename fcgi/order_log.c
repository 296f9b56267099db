/* order_log — GET /v1/orders/{id}/log. */
#include "order_log.h"

#include "db_api.h"
#include "text.h"

#define FCGI_ORDER_LOG_LINES 500

/* Answers the order's log; another tenant's order is 404 like any other. */
void fcgi_order_log_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *id = req->params[0];
    if (!fcgi_text_is_id(id)) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such order");
        return;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    json_t *rows = NULL;
    enum db_rc rc = db_api_order_log(db, req->tenant_id, id, FCGI_ORDER_LOG_LINES, &rows);
    if (rc == DB_OK) {
        json_t *body = json_pack("{s:o}", "data", rows);
        fcgi_resp_json(resp, 200, body);
        json_decref(body);
    } else if (rc == DB_NOTFOUND) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such order");
    } else {
        fcgi_resp_db_failure(resp, rc);
    }
}
