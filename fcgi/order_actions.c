/* order_actions — cancel and retry of an order. */
#include "order_actions.h"

#include "db_api.h"
#include "order_continue.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>

typedef enum db_rc (*fcgi_order_action_fn)(struct db *, const char *, const char *, char **);

/* Runs one action and answers 202 with the order, or the action's 409 naming the status found. */
static void fcgi_order_action(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp,
                              fcgi_order_action_fn fn, enum fcgi_problem conflict, const char *allowed)
{
    const char *id = req->params[0];
    char *status = NULL;
    json_t *o = NULL;
    if (!fcgi_text_is_id(id)) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such order");
        return;
    }
    if (!fcgi_order_continue_body(ctx, req, resp))
        return;
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    enum db_rc rc = fn(db, req->tenant_id, id, &status);
    if (rc == DB_NOTFOUND) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such order");
        goto out;
    }
    if (rc == DB_CONFLICT) {
        fcgi_resp_problemf(resp, conflict, NULL, "the order is %s: %s", status, allowed);
        goto out;
    }
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc);
        goto out;
    }
    rc = db_api_order_get(db, req->tenant_id, id, &o);
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc);
        goto out;
    }
    fcgi_resp_json(resp, 202, o);
    char loc[128];
    snprintf(loc, sizeof loc, "/v1/orders/%s", id);
    fcgi_resp_header(resp, "Location", loc);
out:
    json_decref(o);
    free(status);
}

/* Cancels the order. */
void fcgi_order_cancel(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    fcgi_order_action(ctx, req, resp, db_api_order_cancel, FCGI_PROB_ORDER_NOT_CANCELLABLE,
                      "only a queued, pending_validation or action_required order can be cancelled");
}

/* Starts the failed order again. */
void fcgi_order_retry(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    fcgi_order_action(ctx, req, resp, db_api_order_retry, FCGI_PROB_ORDER_NOT_RETRYABLE,
                      "only a failed order can be started again");
}
