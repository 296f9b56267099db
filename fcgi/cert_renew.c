/* cert_renew — POST /v1/certificates/{id}/renew and DELETE /v1/certificates/{id}. */
#include "cert_renew.h"

#include "db_api.h"
#include "db_renew.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>

/* A 409 problem naming the object it is about (member name, id). */
static void fcgi_cert_renew_conflict(struct fcgi_resp *resp, enum fcgi_problem p, const char *detail,
                                     const char *member, const char *id)
{
    fcgi_resp_problem(resp, p, NULL, detail);
    json_t *o = fcgi_problem_json(p, detail, NULL);
    json_object_set_new(o, member, json_string(id));
    fcgi_resp_json(resp, 409, o);
    resp->content_type = FCGI_PROBLEM_CONTENT_TYPE;
    json_decref(o);
}

/* Makes the renewal order now and answers it (202, Location of the order). */
void fcgi_cert_renew(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *id = req->params[0];
    if (!fcgi_text_is_id(id)) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such certificate");
        return;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    char *order_id = NULL, *busy = NULL, *sup = NULL;
    enum db_rc rc = db_renew_now(db, req->tenant_id, id, &order_id, &busy, &sup);
    char detail[200];
    if (rc == DB_NOTFOUND) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such certificate");
    } else if (rc == DB_CONFLICT && busy) {
        snprintf(detail, sizeof detail, "a renewal of this certificate is in progress: order %s", busy);
        fcgi_cert_renew_conflict(resp, FCGI_PROB_RENEWAL_IN_PROGRESS, detail, "order_id", busy);
    } else if (rc == DB_CONFLICT && sup) {
        snprintf(detail, sizeof detail, "the certificate was replaced by %s: renew that one", sup);
        fcgi_cert_renew_conflict(resp, FCGI_PROB_CERTIFICATE_SUPERSEDED, detail, "superseded_by", sup);
    } else if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc);
    } else {
        json_t *o = NULL;
        rc = db_api_order_get(db, req->tenant_id, order_id, &o);
        if (rc != DB_OK) {
            fcgi_resp_db_failure(resp, rc);
        } else {
            fcgi_resp_json(resp, 202, o);
            char loc[128];
            snprintf(loc, sizeof loc, "/v1/orders/%s", order_id);
            fcgi_resp_header(resp, "Location", loc);
        }
        json_decref(o);
    }
    free(order_id);
    free(busy);
    free(sup);
}

/* Stops the certificate's renewals; the record stays (204). */
void fcgi_cert_renew_stop(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *id = req->params[0];
    if (!fcgi_text_is_id(id)) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such certificate");
        return;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    enum db_rc rc = db_renew_stop(db, req->tenant_id, id);
    if (rc == DB_NOTFOUND)
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such certificate");
    else if (rc != DB_OK)
        fcgi_resp_db_failure(resp, rc);
    else
        fcgi_resp_text(resp, 204, FCGI_JSON_CONTENT_TYPE, "", 0);
}
