/* api_orders — the API's order queries: create (with its job), idempotent lookup, get, list. */
#include "db_api.h"
#include "db_internal.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns of an order as the API shows it (list rows leave out authorizations). */
#define DB_API_ORDER_COLS                                                                                   \
    "o.id, o.status, o.domains, o.challenge, o.dns_provider_id AS dns_provider, o.key_type,"                            \
    " CASE WHEN o.csr_der IS NULL THEN 'certmill' ELSE 'customer' END AS key_source, o.ca, o.profile,"        \
    " o.customer_ref, o.auto_renew, o.allow_partial, o.dropped_domains, o.preflight, o.failover_cas, o.failovers"

/* The TTL certmill publishes DNS-01 records with, and asks a panel publishing them itself to use. */
#define DB_API_RECORD_TTL_SQL "60"
#define DB_API_ORDER_TAIL "o.problem, o.waiting, o.certificate_id, o.created_at, o.updated_at"

/* Inserts the order row and returns its id; part of db_api_order_create's transaction. */
static enum db_rc db_api_order_insert(struct db *db, const struct db_api_order_new *o, char **id)
{
    /* The names arrive as one JSON array so no array literal is ever built by hand. The
     * provider must be the tenant's own: otherwise no row is inserted (DB_NOTFOUND). */
    static const char sql[] =
        "INSERT INTO orders (tenant_id, domains, challenge, key_type, ca, profile, customer_ref, auto_renew,"
        " idempotency_key, request_hash, dns_provider_id, allow_partial, csr_der, failover_cas)"
        " SELECT $1, ARRAY(SELECT d FROM json_array_elements_text($2::json) WITH ORDINALITY AS t(d, n)"
        " ORDER BY n), $3, $4, $5, $6, $7, $8::boolean, $9, $10, $11::text, $12::boolean, $13::bytea,"
        " ARRAY(SELECT c FROM json_array_elements_text(coalesce($14::json, '[]')) WITH ORDINALITY AS f(c, n) ORDER BY n)"
        " WHERE $11::text IS NULL"
        " OR EXISTS (SELECT 1 FROM dns_providers p WHERE p.tenant_id = $1 AND p.id = $11::text)"
        " RETURNING id";
    char *domains = json_dumps(o->domains, JSON_COMPACT);
    char *failover = o->failover_cas ? json_dumps(o->failover_cas, JSON_COMPACT) : NULL;
    const char *params[14] = { o->tenant_id, domains, o->challenge, o->key_type, o->ca, o->profile,
                               o->customer_ref, o->auto_renew ? "true" : "false", o->idempotency_key,
                               o->idempotency_key ? (const char *)o->request_hash : NULL, o->dns_provider_id,
                               o->allow_partial ? "true" : "false", (const char *)o->csr_der, failover };
    const int lens[14] = { [9] = DB_API_HASH_LEN, [12] = (int)o->csr_len };
    const int binary[14] = { [9] = 1, [12] = 1 };
    enum db_rc rc;
    PGresult *res = db_exec(db, sql, 14, params, lens, binary, &rc);
    free(domains);
    free(failover);
    if (!res)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    *id = xstrdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return DB_OK;
}

/* Queues the order's first step; the insert trigger notifies idle workers. */
static enum db_rc db_api_order_queue(struct db *db, const char *order_id)
{
    static const char sql[] = "INSERT INTO jobs (order_id) VALUES ($1)";
    const char *params[1] = { order_id };
    return db_command(db, sql, 1, params, NULL, NULL, false);
}

/*
 * (tx) Takes the Idempotency-Key's lock without waiting: DB_CONFLICT when another request
 * holds it or the key was used already. The lock is released at commit or rollback, so
 * a second request either sees the first one's order or answers "in flight" at once.
 */
static enum db_rc db_api_order_key_lock(struct db *db, const struct db_api_order_new *o)
{
    static const char lock_sql[] = "SELECT pg_try_advisory_xact_lock(" DB_API_IDEMPOTENCY_LOCK_CLASS
                                   ", hashtext($1 || ':' || $2)) AS got";
    static const char used_sql[] = "SELECT 1 AS used FROM orders WHERE tenant_id = $1 AND idempotency_key = $2";
    const char *params[2] = { o->tenant_id, o->idempotency_key };
    json_t *row = NULL;
    enum db_rc rc = db_query_row(db, lock_sql, 2, params, NULL, NULL, &row);
    if (rc != DB_OK)
        return rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc;
    bool got = json_is_true(json_object_get(row, "got"));
    json_decref(row);
    if (!got)
        return DB_CONFLICT;
    row = NULL;
    rc = db_query_row(db, used_sql, 2, params, NULL, NULL, &row);
    json_decref(row);
    if (rc == DB_OK)
        return DB_CONFLICT;
    return rc == DB_NOTFOUND ? DB_OK : rc;
}

/* Inserts an order and its job atomically. */
enum db_rc db_api_order_create(struct db *db, const struct db_api_order_new *o, char **id)
{
    *id = NULL;
    enum db_rc rc = db_begin(db);
    if (rc != DB_OK)
        return rc;
    rc = o->idempotency_key ? db_api_order_key_lock(db, o) : DB_OK;
    /* After the key's lock: a replay of a stored order is answered before any quota. */
    if (rc == DB_OK && o->quota)
        rc = db_api_quota_check(db, o->tenant_id, o->quota);
    if (rc == DB_OK)
        rc = db_api_order_insert(db, o, id);
    if (rc == DB_OK)
        rc = db_api_order_queue(db, *id);
    if (rc == DB_OK)
        rc = db_commit(db);
    else
        db_rollback(db);
    if (rc != DB_OK) {
        free(*id);
        *id = NULL;
    }
    return rc;
}

/* Finds the order made earlier with the same Idempotency-Key. */
enum db_rc db_api_order_by_idempotency(struct db *db, const char *tenant_id, const char *key, char **id,
                                       unsigned char hash[DB_API_HASH_LEN])
{
    static const char sql[] = "SELECT id, request_hash FROM orders WHERE tenant_id = $1 AND idempotency_key = $2";
    const char *params[2] = { tenant_id, key };
    enum db_rc rc;
    *id = NULL;
    memset(hash, 0, DB_API_HASH_LEN);
    PGresult *res = db_exec(db, sql, 2, params, NULL, NULL, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    *id = xstrdup(PQgetvalue(res, 0, 0));
    unsigned char *h = NULL;
    size_t n = 0;
    /* A missing or odd-sized hash compares unequal to every request: all zeroes. */
    if (db_get_bytea(res, 0, 1, &h, &n) && n == DB_API_HASH_LEN)
        memcpy(hash, h, DB_API_HASH_LEN);
    free(h);
    PQclear(res);
    return DB_OK;
}

/*
 * Reads one order with its authorizations in one statement (a GET is one round trip).
 * The challenge falls back to the order's until the worker has stored the CA's; a DNS-01
 * record shows once the worker has computed it. Authorizations come before problem,
 * as documented.
 */
enum db_rc db_api_order_get(struct db *db, const char *tenant_id, const char *id, json_t **out)
{
    static const char sql[] =
        "SELECT " DB_API_ORDER_COLS ","
        " coalesce((SELECT json_agg(json_build_object('domain', a.domain, 'wildcard', a.wildcard,"
        "   'status', a.status, 'challenge', coalesce(a.challenge_type, o.challenge),"
        "   'record', CASE WHEN a.record_name IS NOT NULL THEN json_build_object('name', a.record_name,"
        "     'type', 'TXT', 'value', a.record_value, 'ttl', " DB_API_RECORD_TTL_SQL ") END) ORDER BY a.id)"
        "  FROM authorizations a WHERE a.order_id = o.id), '[]') AS authorizations,"
        " " DB_API_ORDER_TAIL " FROM orders o WHERE o.tenant_id = $1 AND o.id = $2";
    const char *params[2] = { tenant_id, id };
    return db_query_row(db, sql, 2, params, NULL, NULL, out);
}

/* Reads one page of orders, newest first, after the cursor. */
enum db_rc db_api_order_list(struct db *db, const char *tenant_id, const struct db_api_order_filter *f,
                             const struct db_api_page *page, json_t **rows)
{
    /* Row comparison on (created_at, id) follows the orders_tenant_created index. */
#define DB_API_ORDER_ROWS(source)                                                                         \
    "SELECT " DB_API_ORDER_COLS ", " DB_API_ORDER_TAIL ","                                                \
    " (extract(epoch FROM o.created_at) * 1000000)::bigint AS " DB_API_CURSOR_KEY " FROM " source
#define DB_API_ORDER_LIST(source)                                                                         \
    DB_API_ORDER_ROWS(source) " WHERE o.tenant_id = $1"                                                                            \
    " AND ($2::text IS NULL OR o.status = $2)"                                                           \
    " AND ($3::text IS NULL OR o.customer_ref = $3)"                                                     \
    " AND ($4::bigint IS NULL OR (o.created_at, o.id) <"                                                 \
    " (timestamptz 'epoch' + $4::bigint * interval '1 microsecond', $5::text))"                          \
    " AND ($7::text IS NULL OR o.domains @> ARRAY[$7::text])"                                            \
    " ORDER BY o.created_at DESC, o.id DESC LIMIT $6::integer"
    static const char sql[] = DB_CUSTOM_PLAN DB_API_ORDER_LIST("orders o");
    /*
     * With ?domain= the few orders of that name come from the GIN index first: the planner
     * cannot know one name matches a handful of rows and would otherwise walk the tenant's
     * whole created_at index looking for them (1 s at a million rows).
     */
    static const char sql_domain[] =
        DB_CUSTOM_PLAN "WITH m AS MATERIALIZED (SELECT * FROM orders WHERE tenant_id = $1 AND domains @> ARRAY[$7::text]) "
        DB_API_ORDER_LIST("m o");
#undef DB_API_ORDER_LIST
    /*
     * Without a filter, the panel's usual page: prepared statements whose one plan fits
     * every call (the tenant's created_at index, from the cursor when there is one).
     */
    static const char sql_page[] = DB_API_ORDER_ROWS("orders o")
        " WHERE o.tenant_id = $1 ORDER BY o.created_at DESC, o.id DESC LIMIT $2::integer";
    static const char sql_page_after[] = DB_API_ORDER_ROWS("orders o")
        " WHERE o.tenant_id = $1 AND (o.created_at, o.id) <"
        " (timestamptz 'epoch' + $3::bigint * interval '1 microsecond', $4::text)"
        " ORDER BY o.created_at DESC, o.id DESC LIMIT $2::integer";
#undef DB_API_ORDER_ROWS
    char cursor[32], limit[16];
    snprintf(cursor, sizeof cursor, "%lld", page->cursor_us);
    snprintf(limit, sizeof limit, "%d", page->limit + 1);
    enum db_rc rc;
    *rows = NULL;
    PGresult *res;
    if (!f->status && !f->customer_ref && !f->domain) {
        const char *pp[4] = { tenant_id, limit, cursor, page->cursor_id };
        res = db_exec(db, page->has_cursor ? sql_page_after : sql_page, page->has_cursor ? 4 : 2, pp, NULL, NULL,
                      &rc);
    } else {
        const char *params[7] = { tenant_id, f->status, f->customer_ref, page->has_cursor ? cursor : NULL,
                                  page->has_cursor ? page->cursor_id : NULL, limit, f->domain };
        res = db_exec(db, f->domain ? sql_domain : sql, 7, params, NULL, NULL, &rc);
    }
    if (!res)
        return rc;
    *rows = db_rows_json(res);
    PQclear(res);
    return DB_OK;
}

/* The steps of db_api_order_continue inside its transaction. */
static enum db_rc db_api_order_continue_tx(struct db *db, const char *tenant_id, const char *id, char **status)
{
    /* The row lock orders this against a worker writing the order's next state. */
    static const char lock_sql[] = "SELECT o.status FROM orders o WHERE o.tenant_id = $1 AND o.id = $2 FOR UPDATE";
    static const char order_sql[] = "UPDATE orders SET status = 'pending_validation', updated_at = now()"
                                    " WHERE tenant_id = $1 AND id = $2";
    static const char job_sql[] = "UPDATE jobs SET due_at = now() WHERE order_id = $1";
    /* The jobs trigger fires on INSERT only: an idle worker learns of the earlier due time here. */
    static const char notify_sql[] = "SELECT pg_notify('certmill_jobs', '')";
    const char *params[2] = { tenant_id, id };
    json_t *row = NULL;
    enum db_rc rc = db_query_row(db, lock_sql, 2, params, NULL, NULL, &row);
    if (rc != DB_OK)
        return rc;
    const char *st = json_string_value(json_object_get(row, "status"));
    if (!st || strcmp(st, "action_required") != 0) {
        *status = xstrdup(st ? st : "unknown");
        json_decref(row);
        return DB_CONFLICT;
    }
    json_decref(row);
    rc = db_command(db, order_sql, 2, params, NULL, NULL, true);
    if (rc == DB_OK)
        rc = db_command(db, job_sql, 1, &params[1], NULL, NULL, false);
    if (rc == DB_OK)
        rc = db_command(db, notify_sql, 0, NULL, NULL, NULL, false);
    return rc;
}

/* Moves an order from action_required to pending_validation and makes its job due now. */
enum db_rc db_api_order_continue(struct db *db, const char *tenant_id, const char *id, char **status)
{
    *status = NULL;
    enum db_rc rc = db_begin(db);
    if (rc != DB_OK)
        return rc;
    rc = db_api_order_continue_tx(db, tenant_id, id, status);
    if (rc == DB_OK)
        return db_commit(db);
    db_rollback(db);
    return rc;
}

/* Reads the order's log lines, oldest first, after checking the order is the tenant's. */
enum db_rc db_api_order_log(struct db *db, const char *tenant_id, const char *id, int limit, json_t **rows)
{
    static const char own[] = "SELECT 1 AS found FROM orders WHERE tenant_id = $1 AND id = $2";
    static const char sql[] = "SELECT at, message FROM (SELECT l.id, l.at, l.message FROM order_log l"
                              " WHERE l.order_id = $1 ORDER BY l.id DESC LIMIT $2::int) t ORDER BY id";
    const char *p1[2] = { tenant_id, id };
    json_t *found = NULL;
    enum db_rc rc = db_query_row(db, own, 2, p1, NULL, NULL, &found);
    json_decref(found);
    if (rc != DB_OK)
        return rc;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p2[2] = { id, lim };
    return db_query_rows(db, sql, 2, p2, NULL, NULL, rows);
}
