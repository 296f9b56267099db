/* order_continue — the panel's "records are published" signal for an order waiting on it. */
#include "order_continue.h"

#include "body.h"
#include "db_api.h"
#include "dispatch.h"
#include "fields.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>

/*
 * Reads the optional body: nothing, or an empty JSON object (a member is 400
 * unknown_field, so a panel expecting options learns there are none). The route reads
 * no body itself, since a bare POST without Content-Type is the usual call.
 */
bool fcgi_order_continue_body(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    size_t max = ctx->app->cfg->max_body;
    switch (fcgi_request_body(req, max)) {
    case FCGI_BODY_OK:
        break;
    case FCGI_BODY_TOO_LARGE:
        fcgi_resp_problemf(resp, FCGI_PROB_BODY_TOO_LARGE, NULL, "the request body is larger than %zu bytes", max);
        return false;
    default:
        fcgi_resp_problem(resp, FCGI_PROB_MALFORMED_JSON, NULL, "the request body ended before Content-Length");
        return false;
    }
    if (req->body.len == 0)
        return true;
    if (!fcgi_dispatch_is_json(req->content_type)) {
        fcgi_resp_problem(resp, FCGI_PROB_UNSUPPORTED_MEDIA_TYPE, NULL,
                          "send no body, or {} with Content-Type: application/json");
        return false;
    }
    json_t *body = fcgi_body_json(req, resp);
    if (!body)
        return false;
    bool ok = fcgi_fields_check(NULL, 0, body, NULL, resp);
    json_decref(body);
    return ok;
}

/* Moves a waiting order on and answers it as it is now. */
void fcgi_order_continue(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
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
    enum db_rc rc = db_api_order_continue(db, req->tenant_id, id, &status);
    if (rc == DB_NOTFOUND) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such order");
        goto out;
    }
    if (rc == DB_CONFLICT) {
        fcgi_resp_problemf(resp, FCGI_PROB_ORDER_NOT_WAITING, NULL,
                           "the order is %s: only an order in action_required waits for the panel", status);
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
