/* webhooks — the webhook endpoints. */
#include "webhooks.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "body.h"
#include "db_webhook.h"
#include "events.h"
#include "fields.h"
#include "paging.h"
#include "query.h"
#include "text.h"
#include "webhook/send.h"
#include "webhook/sign.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The body of create and update; the pointers are into the body. */
struct fcgi_wh_input {
    struct db_webhook_fields f;
    const struct fcgi_app *app;
};

/* url: http(s), at most WH_URL_MAX characters, every address of its host permitted. */
static bool fcgi_wh_take_url(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_wh_input *in = out;
    char why[400];
    switch (wh_url_check(json_string_value(v), &in->app->cfg->webhook_allow, why, sizeof why)) {
    case WH_URL_OK:
        in->f.url = json_string_value(v);
        return true;
    case WH_URL_REFUSED:
        fcgi_resp_problem(resp, FCGI_PROB_WEBHOOK_DESTINATION_REFUSED, "url", why);
        return false;
    default:
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "url", why);
        return false;
    }
}

/* events: distinct event types; [] (or absent at creation) means every type. */
static bool fcgi_wh_take_events(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_wh_input *in = out;
    size_t i, j;
    json_t *e;
    json_array_foreach(v, i, e) {
        bool dup = false;
        for (j = 0; j < i && json_is_string(e); j++)
            dup = dup || json_equal(e, json_array_get(v, j));
        if (!json_is_string(e) || !fcgi_event_type_known(json_string_value(e)) || dup) {
            fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "events",
                              "events must list distinct event types (order.action_required, order.failed, "
                              "certificate.issued, certificate.renewed, certificate.expiring, "
                              "certificate.revoked); [] means every type");
            return false;
        }
    }
    in->f.events = v;
    return true;
}

/* description: text for people, without control characters. */
static bool fcgi_wh_take_description(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_wh_input *in = out;
    for (const unsigned char *s = (const unsigned char *)json_string_value(v); *s; s++) {
        if (*s < 0x20 || *s == 0x7f) {
            fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "description",
                              "description must not contain control characters");
            return false;
        }
    }
    in->f.description = json_string_value(v);
    in->f.description_set = true;
    return true;
}

/* enabled: whether deliveries are made and sent. */
static bool fcgi_wh_take_enabled(const json_t *v, void *out, struct fcgi_resp *resp)
{
    struct fcgi_wh_input *in = out;
    (void)resp;
    in->f.enabled = json_is_true(v) ? 1 : 0;
    return true;
}

/* The fields of POST /v1/webhooks. */
static const struct fcgi_field fcgi_wh_create_fields[] = {
    { "url", FCGI_FIELD_STRING, true, WH_URL_MAX, fcgi_wh_take_url },
    { "events", FCGI_FIELD_ARRAY, false, 0, fcgi_wh_take_events },
    { "description", FCGI_FIELD_STRING, false, FCGI_WEBHOOK_MAX_DESCRIPTION, fcgi_wh_take_description },
    { "enabled", FCGI_FIELD_BOOL, false, 0, fcgi_wh_take_enabled },
};

/* The fields of PATCH /v1/webhooks/{id}: the same, none required. */
static const struct fcgi_field fcgi_wh_update_fields[] = {
    { "url", FCGI_FIELD_STRING, false, WH_URL_MAX, fcgi_wh_take_url },
    { "events", FCGI_FIELD_ARRAY, false, 0, fcgi_wh_take_events },
    { "description", FCGI_FIELD_STRING, false, FCGI_WEBHOOK_MAX_DESCRIPTION, fcgi_wh_take_description },
    { "enabled", FCGI_FIELD_BOOL, false, 0, fcgi_wh_take_enabled },
};

/* Answers 404 for a webhook that is not the tenant's. */
static void fcgi_wh_not_found(struct fcgi_resp *resp)
{
    fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such webhook");
}

/* A new secret sealed to the webhook: *secret the text (answered once), *blob what is stored. */
static bool fcgi_wh_new_secret(const struct fcgi_app *app, const char *tenant, const char *id, char **secret,
                               unsigned char **blob, size_t *len)
{
    *secret = NULL;
    *blob = NULL;
    if (!app->have_master_key)
        return false;
    *secret = wh_secret_new();
    if (!*secret)
        return false;
    char *aad = seal_aad(SEAL_PURPOSE_WEBHOOK_SECRET, tenant, id);
    bool ok = seal_encrypt(&app->keys, *secret, strlen(*secret), aad, blob, len);
    free(aad);
    if (!ok) {
        xfree_secret(*secret, strlen(*secret));
        *secret = NULL;
    }
    return ok;
}

/* Answers the webhook with its secret (create, rotate), and wipes the secret. */
static void fcgi_wh_answer_secret(struct fcgi_resp *resp, int status, json_t *o, char *secret)
{
    json_object_set_new(o, "secret", json_string(secret));
    fcgi_resp_json(resp, status, o);
    resp->secret = true;
    json_t *s = json_object_get(o, "secret");
    OPENSSL_cleanse((char *)json_string_value(s), json_string_length(s));
    xfree_secret(secret, strlen(secret));
}

/* Creates a webhook: check, make and seal its secret, store, answer 201 with the secret once. */
void fcgi_webhooks_create(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    struct fcgi_wh_input in = { .f = { .enabled = 1 }, .app = ctx->app };
    char *id = NULL, *secret = NULL;
    unsigned char *blob = NULL;
    size_t len = 0;
    json_t *out = NULL;
    json_t *body = fcgi_body_json(req, resp);
    if (!body)
        return;
    if (!fcgi_fields_check(fcgi_wh_create_fields, sizeof fcgi_wh_create_fields / sizeof fcgi_wh_create_fields[0],
                           body, &in, resp))
        goto out;
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        goto out;
    enum db_rc rc = db_api_webhook_new_id(db, &id);
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc);
        goto out;
    }
    if (!fcgi_wh_new_secret(ctx->app, req->tenant_id, id, &secret, &blob, &len)) {
        log_error("webhook %s: cannot make or seal its secret (no master key loaded?)", id);
        fcgi_resp_problem(resp, FCGI_PROB_INTERNAL, NULL, NULL);
        goto out;
    }
    rc = db_api_webhook_create(db, req->tenant_id, id, &in.f, blob, len, &out);
    if (rc == DB_OK && in.f.enabled == 0) {
        struct db_webhook_fields off = { .enabled = 0 };
        json_decref(out);
        out = NULL;
        rc = db_api_webhook_update(db, req->tenant_id, id, &off, &out);
    }
    if (rc != DB_OK) {
        xfree_secret(secret, strlen(secret));
        fcgi_resp_db_failure(resp, rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc);
        goto out;
    }
    fcgi_wh_answer_secret(resp, 201, out, secret);
    char loc[128];
    snprintf(loc, sizeof loc, "/v1/webhooks/%s", id);
    fcgi_resp_header(resp, "Location", loc);
out:
    json_decref(out);
    json_decref(body);
    free(blob);
    free(id);
}

/* Lists the caller's webhooks, newest first. */
void fcgi_webhooks_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    fcgi_page_answer_list(ctx, req, resp, db_api_webhook_list);
}

/* Answers one webhook (or 404). */
static void fcgi_wh_answer(struct fcgi_resp *resp, enum db_rc rc, json_t *o)
{
    if (rc == DB_OK)
        fcgi_resp_json(resp, 200, o);
    else if (rc == DB_NOTFOUND)
        fcgi_wh_not_found(resp);
    else
        fcgi_resp_db_failure(resp, rc);
    json_decref(o);
}

/* Reads one webhook of the caller. */
void fcgi_webhooks_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    if (!fcgi_text_is_id(req->params[0])) {
        fcgi_wh_not_found(resp);
        return;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    json_t *o = NULL;
    enum db_rc rc = db_api_webhook_get(db, req->tenant_id, req->params[0], &o);
    fcgi_wh_answer(resp, rc, o);
}

/* Changes url, events, description or enabled. */
void fcgi_webhooks_update(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    struct fcgi_wh_input in = { .f = { .enabled = -1 }, .app = ctx->app };
    if (!fcgi_text_is_id(req->params[0])) {
        fcgi_wh_not_found(resp);
        return;
    }
    json_t *body = fcgi_body_json(req, resp);
    if (!body)
        return;
    if (!fcgi_fields_check(fcgi_wh_update_fields, sizeof fcgi_wh_update_fields / sizeof fcgi_wh_update_fields[0],
                           body, &in, resp))
        goto out;
    /* null clears the description; the field table treats null as absent. */
    if (json_is_null(json_object_get(body, "description"))) {
        in.f.description = NULL;
        in.f.description_set = true;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        goto out;
    json_t *o = NULL;
    enum db_rc rc = db_api_webhook_update(db, req->tenant_id, req->params[0], &in.f, &o);
    fcgi_wh_answer(resp, rc, o);
out:
    json_decref(body);
}

/* Deletes a webhook and its deliveries. */
void fcgi_webhooks_delete(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    if (!fcgi_text_is_id(req->params[0])) {
        fcgi_wh_not_found(resp);
        return;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    enum db_rc rc = db_api_webhook_delete(db, req->tenant_id, req->params[0]);
    if (rc == DB_OK)
        fcgi_resp_text(resp, 204, FCGI_JSON_CONTENT_TYPE, "", 0);
    else if (rc == DB_NOTFOUND)
        fcgi_wh_not_found(resp);
    else
        fcgi_resp_db_failure(resp, rc);
}

/* A new secret; the old one still signs (a second signature) for [webhooks] rotate_grace_s. */
void fcgi_webhooks_rotate(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *id = req->params[0];
    if (!fcgi_text_is_id(id)) {
        fcgi_wh_not_found(resp);
        return;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    char *secret = NULL;
    unsigned char *blob = NULL;
    size_t len = 0;
    if (!fcgi_wh_new_secret(ctx->app, req->tenant_id, id, &secret, &blob, &len)) {
        log_error("webhook %s: cannot make or seal a new secret (no master key loaded?)", id);
        fcgi_resp_problem(resp, FCGI_PROB_INTERNAL, NULL, NULL);
        return;
    }
    json_t *o = NULL;
    enum db_rc rc = db_api_webhook_rotate(db, req->tenant_id, id, blob, len, ctx->app->cfg->webhook_rotate_grace_s, &o);
    if (rc == DB_OK) {
        fcgi_wh_answer_secret(resp, 200, o, secret);
    } else {
        xfree_secret(secret, strlen(secret));
        if (rc == DB_NOTFOUND)
            fcgi_wh_not_found(resp);
        else
            fcgi_resp_db_failure(resp, rc);
    }
    json_decref(o);
    free(blob);
}

/*
 * Reads the query of a delivery list: limit, cursor and an optional status (pending,
 * succeeded or failed). False after answering the problem; on true the caller frees q.
 */
bool fcgi_wh_delivery_query(struct fcgi_req *req, struct fcgi_resp *resp, struct fcgi_query *q, struct fcgi_page *pg,
                            const char **status)
{
    static const char *const allowed[] = { "limit", "cursor", "status", NULL };
    if (!fcgi_query_parse(req->query, allowed, q, resp))
        return false;
    if (!fcgi_page_parse(q, pg, resp))
        goto bad;
    *status = fcgi_query_get(q, "status");
    if (*status && strcmp(*status, "pending") != 0 && strcmp(*status, "succeeded") != 0 &&
        strcmp(*status, "failed") != 0) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "status", "status must be pending, succeeded or failed");
        goto bad;
    }
    return true;
bad:
    fcgi_query_free(q);
    return false;
}

/* Lists a webhook's deliveries, newest first, optionally of one status. */
void fcgi_webhook_deliveries_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    struct fcgi_query q;
    struct fcgi_page pg;
    if (!fcgi_text_is_id(req->params[0])) {
        fcgi_wh_not_found(resp);
        return;
    }
    const char *status;
    if (!fcgi_wh_delivery_query(req, resp, &q, &pg, &status))
        return;
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        goto out;
    json_t *rows = NULL;
    enum db_rc rc = db_api_delivery_list(db, req->tenant_id, req->params[0], status, &pg.db, &rows);
    if (rc == DB_NOTFOUND) {
        fcgi_wh_not_found(resp);
        goto out;
    }
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

/* Makes a delivery due now (whatever its status): the workers send it again with the same webhook-id. */
void fcgi_webhook_delivery_retry(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    if (!fcgi_text_is_id(req->params[0]) || !fcgi_text_is_id(req->params[1])) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such delivery");
        return;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    json_t *o = NULL;
    enum db_rc rc = db_api_delivery_retry(db, req->tenant_id, req->params[0], req->params[1], &o);
    if (rc == DB_OK)
        fcgi_resp_json(resp, 202, o);
    else if (rc == DB_NOTFOUND)
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such delivery");
    else
        fcgi_resp_db_failure(resp, rc);
    json_decref(o);
}
