/* orders — the order endpoints. */
#include "orders.h"

#include "auth.h"
#include "base/log.h"
#include "body.h"
#include "db_api.h"
#include "etag.h"
#include "list_filters.h"
#include "order_ca.h"
#include "order_input.h"
#include "order_profile.h"
#include "paging.h"
#include "quota.h"
#include "query.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The order statuses of the API (and of the SQL CHECK constraint). */
static const char *const fcgi_order_statuses[] = {
    "queued", "pending_validation", "action_required", "issuing", "issued", "failed", "cancelled", NULL,
};

/* True when s is one of the NULL-terminated names. */
static bool fcgi_orders_in(const char *const *names, const char *s)
{
    for (; *names; names++)
        if (strcmp(*names, s) == 0)
            return true;
    return false;
}

/* Answers with the order's representation and its Location. */
static void fcgi_orders_reply(struct db *db, const char *tenant_id, const char *id, int status,
                              struct fcgi_resp *resp)
{
    json_t *o = NULL;
    enum db_rc rc = db_api_order_get(db, tenant_id, id, &o);
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc);
        return;
    }
    fcgi_resp_json(resp, status, o);
    char loc[128];
    snprintf(loc, sizeof loc, "/v1/orders/%s", id);
    fcgi_resp_header(resp, "Location", loc);
    json_decref(o);
}

/* Answers a request whose Idempotency-Key was used before: replay or conflict. */
static void fcgi_orders_replay(struct db *db, const char *tenant_id, const char *id,
                               const unsigned char stored[DB_API_HASH_LEN], const unsigned char hash[DB_API_HASH_LEN],
                               struct fcgi_resp *resp)
{
    if (memcmp(stored, hash, DB_API_HASH_LEN) != 0) {
        fcgi_resp_problem(resp, FCGI_PROB_IDEMPOTENCY_CONFLICT, "Idempotency-Key", NULL);
        return;
    }
    fcgi_orders_reply(db, tenant_id, id, 200, resp);
}

/* Hashes the canonical form of the body (sorted keys, compact) for idempotency. */
static bool fcgi_orders_request_hash(const json_t *body, unsigned char hash[DB_API_HASH_LEN])
{
    char *canon = json_dumps(body, JSON_SORT_KEYS | JSON_COMPACT);
    bool ok = canon && fcgi_auth_sha256(canon, strlen(canon), hash);
    free(canon);
    return ok;
}

/* Looks the Idempotency-Key up; true when resp now holds the answer (replay, conflict, 503). */
static bool fcgi_orders_idempotent(struct db *db, const char *tenant_id, const char *key,
                                   const unsigned char hash[DB_API_HASH_LEN], struct fcgi_resp *resp)
{
    char *id = NULL;
    unsigned char stored[DB_API_HASH_LEN];
    enum db_rc rc = db_api_order_by_idempotency(db, tenant_id, key, &id, stored);
    if (rc == DB_NOTFOUND)
        return false;
    if (rc == DB_OK)
        fcgi_orders_replay(db, tenant_id, id, stored, hash, resp);
    else
        fcgi_resp_db_failure(resp, rc);
    free(id);
    return true;
}

/* Creates an order: validate, honour Idempotency-Key, insert order + job, answer 202. */
void fcgi_orders_create(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    struct fcgi_order_input in = { 0 };
    json_t *failover = NULL;
    unsigned char hash[DB_API_HASH_LEN] = { 0 };
    char *id = NULL;
    const char *key = req->idempotency_key;
    json_t *body = fcgi_body_json(req, resp);
    if (!body)
        goto out;
    if (!fcgi_order_input_parse(ctx->app->cfg, body, &in, resp))
        goto out;
    if (key && !fcgi_text_printable(key, FCGI_MAX_IDEMPOTENCY_KEY)) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "Idempotency-Key",
                           "the Idempotency-Key header must be 1 to %d printable ASCII characters",
                           FCGI_MAX_IDEMPOTENCY_KEY);
        goto out;
    }
    if (!fcgi_orders_request_hash(body, hash)) {
        fcgi_resp_problem(resp, FCGI_PROB_INTERNAL, NULL, NULL);
        goto out;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        goto out;
    if (key && fcgi_orders_idempotent(db, req->tenant_id, key, hash, resp))
        goto out;
    if (!fcgi_order_ca_resolve(db, req->tenant_id, &in, &failover, resp))
        goto out;
    if (in.profile && !fcgi_order_profile_check(db, in.ca, in.profile, resp))
        goto out;
    struct db_api_quota quota = fcgi_quota_defaults(ctx->app->cfg);
    struct db_api_order_new o = {
        .tenant_id = req->tenant_id,
        .domains = in.domains,
        .challenge = in.challenge,
        .key_type = in.key_type,
        .csr_der = in.csr.der,
        .csr_len = in.csr.der_len,
        .ca = in.ca,
        .failover_cas = failover,
        .profile = in.profile,
        .customer_ref = in.customer_ref,
        .dns_provider_id = in.dns_provider,
        .auto_renew = in.auto_renew,
        .allow_partial = in.allow_partial,
        .idempotency_key = key,
        .request_hash = hash,
        .quota = &quota,
    };
    enum db_rc rc = db_api_order_create(db, &o, &id);
    if (rc == DB_CONFLICT && quota.exceeded) {
        fcgi_quota_problem(resp, &quota);
        goto out;
    }
    if (rc == DB_CONFLICT && key) {
        /* Another request with the same key came first: its replay when it is done, else it is still in flight. */
        if (!fcgi_orders_idempotent(db, req->tenant_id, key, hash, resp))
            fcgi_resp_problem(resp, FCGI_PROB_IDEMPOTENCY_IN_FLIGHT, "Idempotency-Key", NULL);
        goto out;
    }
    if (rc == DB_NOTFOUND && in.dns_provider) {
        fcgi_resp_problem(resp, FCGI_PROB_UNKNOWN_DNS_PROVIDER, "dns_provider",
                          "dns_provider names no DNS provider of this tenant");
        goto out;
    }
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc);
        goto out;
    }
    log_ctx_set_order(id);
    log_info("order created: %zu names, %s, CA %s", json_array_size(in.domains), in.challenge ? in.challenge : "-",
             in.ca ? in.ca : "-");
    fcgi_orders_reply(db, req->tenant_id, id, 202, resp);
out:
    json_decref(failover);
    free(id);
    fcgi_order_input_free(&in);
    json_decref(body);
}

/* Reads one order of the caller's tenant. */
void fcgi_orders_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    const char *id = req->params[0];
    if (!fcgi_text_is_id(id)) {
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such order");
        return;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        return;
    json_t *o = NULL;
    enum db_rc rc = db_api_order_get(db, req->tenant_id, id, &o);
    if (rc == DB_OK) {
        fcgi_resp_json(resp, 200, o);
        fcgi_etag_apply(req, resp);
    } else if (rc == DB_NOTFOUND)
        fcgi_resp_problem(resp, FCGI_PROB_NOT_FOUND, NULL, "no such order");
    else
        fcgi_resp_db_failure(resp, rc);
    json_decref(o);
}

/* Lists the caller's orders, newest first. */
void fcgi_orders_list(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp)
{
    static const char *const allowed[] = { "limit", "cursor", "status", "customer_ref", "domain", NULL };
    struct fcgi_query q;
    struct fcgi_page pg;
    struct ident_name dn;
    if (!fcgi_query_parse(req->query, allowed, &q, resp))
        return;
    struct db_api_order_filter f = { .status = fcgi_query_get(&q, "status"),
                                     .customer_ref = fcgi_query_get(&q, "customer_ref") };
    const char *domain = fcgi_query_get(&q, "domain");
    if (!fcgi_page_parse(&q, &pg, resp))
        goto out;
    if (domain) {
        if (!fcgi_filter_domain(domain, &dn, resp))
            goto out;
        f.domain = dn.name;
    }
    if (f.status && !fcgi_orders_in(fcgi_order_statuses, f.status)) {
        fcgi_resp_problem(resp, FCGI_PROB_INVALID_FIELD, "status",
                          "status must be one of queued, pending_validation, action_required, issuing, issued, "
                          "failed, cancelled");
        goto out;
    }
    if (f.customer_ref && fcgi_text_utf8_chars(f.customer_ref) > FCGI_ORDER_MAX_CUSTOMER_REF) {
        fcgi_resp_problemf(resp, FCGI_PROB_INVALID_FIELD, "customer_ref",
                           "customer_ref is longer than %d characters", FCGI_ORDER_MAX_CUSTOMER_REF);
        goto out;
    }
    struct db *db = fcgi_ctx_db_or_503(ctx, resp);
    if (!db)
        goto out;
    json_t *rows = NULL;
    enum db_rc rc = db_api_order_list(db, req->tenant_id, &f, &pg.db, &rows);
    if (rc != DB_OK) {
        fcgi_resp_db_failure(resp, rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc);
        goto out;
    }
    json_t *page = fcgi_page_result(rows, pg.db.limit);
    fcgi_resp_json(resp, 200, page);
    json_decref(page);
out:
    fcgi_query_free(&q);
}
