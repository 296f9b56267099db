/* renew — the renewal order made from a certificate, the scheduler's claims and a renewal's outcome. */
#include "db_internal.h"
#include "db_renew.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The order statuses after which an order does nothing more. */
#define DB_RENEW_FINAL "('issued', 'failed', 'cancelled')"

/* Inserts the renewal order, queues its job and links it from the certificate. */
enum db_rc db_renew_order_create(struct db *db, const char *cert_id, char **order_id)
{
    /* The dropped names go after the certificate's, in the order they were dropped, each once. */
    static const char sql[] =
        "INSERT INTO orders (tenant_id, domains, challenge, key_type, ca, profile, customer_ref, auto_renew,"
        " dns_provider_id, allow_partial, csr_der, failover_cas, replaces_certificate_id)"
        " SELECT c.tenant_id, c.domains || ARRAY(SELECT d FROM unnest(o.dropped_domains) WITH ORDINALITY AS t(d, n)"
        "   WHERE d <> ALL (c.domains) ORDER BY n),"
        " o.challenge, o.key_type, c.ca, o.profile, o.customer_ref, c.auto_renew, o.dns_provider_id,"
        " o.allow_partial, o.csr_der, o.failover_cas, c.id"
        " FROM certificates c JOIN orders o ON o.id = c.order_id WHERE c.id = $1 RETURNING id";
    const char *p[] = { cert_id };
    *order_id = NULL;
    enum db_rc rc = db_query_text(db, sql, 1, p, NULL, NULL, order_id);
    if (rc != DB_OK)
        return rc;
    const char *q[] = { *order_id, cert_id };
    rc = db_command(db, "INSERT INTO jobs (order_id) VALUES ($1)", 1, q, NULL, NULL, false);
    if (rc == DB_OK)
        rc = db_command(db, "UPDATE certificates SET renewal_order_id = $1 WHERE id = $2", 2, q, NULL, NULL, true);
    if (rc != DB_OK) {
        free(*order_id);
        *order_id = NULL;
    }
    return rc;
}

/* Claims the most overdue certificate; the partial index on renew_at finds it. */
enum db_rc db_renew_claim(struct db *db, json_t **row)
{
    static const char sql[] =
        "WITH due AS (SELECT id FROM certificates WHERE renew_at <= now() ORDER BY renew_at LIMIT 1"
        "   FOR UPDATE SKIP LOCKED)"
        " SELECT c.id, c.tenant_id, c.status, c.auto_renew, c.domains,"
        " floor(extract(epoch FROM c.not_before))::bigint AS not_before_s,"
        " floor(extract(epoch FROM c.not_after))::bigint AS not_after_s,"
        " floor(extract(epoch FROM c.expiring_event_at))::bigint AS expiring_event_s, c.renew_failures,"
        " floor(extract(epoch FROM c.renew_retry_at))::bigint AS renew_retry_s, c.renewal_order_id,"
        " r.status AS renewal_status, floor(extract(epoch FROM now()))::bigint AS now_s"
        " FROM due JOIN certificates c ON c.id = due.id LEFT JOIN orders r ON r.id = c.renewal_order_id";
    return db_query_row(db, sql, 0, NULL, NULL, NULL, row);
}

/* Writes the next look (or none), the status and the expiring event's time. */
enum db_rc db_renew_mark(struct db *db, const char *cert_id, long long renew_at, const char *status,
                         bool expiring_event)
{
    char at[24];
    snprintf(at, sizeof at, "%lld", renew_at);
    const char *p[] = { cert_id, renew_at > 0 ? at : NULL, status, expiring_event ? "true" : "false" };
    return db_command(db,
                      "UPDATE certificates SET renew_at = to_timestamp($2::bigint), status = coalesce($3, status),"
                      " expiring_event_at = CASE WHEN $4::boolean THEN now() ELSE expiring_event_at END"
                      " WHERE id = $1",
                      4, p, NULL, NULL, true);
}

/* Locks the certificate a failed renewal order was made for. */
enum db_rc db_renew_failed_load(struct db *db, const char *order_id, json_t **row)
{
    static const char sql[] =
        "SELECT c.id, c.auto_renew, floor(extract(epoch FROM c.not_before))::bigint AS not_before_s,"
        " floor(extract(epoch FROM c.not_after))::bigint AS not_after_s,"
        " floor(extract(epoch FROM c.expiring_event_at))::bigint AS expiring_event_s, c.renew_failures,"
        " floor(extract(epoch FROM now()))::bigint AS now_s"
        " FROM certificates c WHERE c.renewal_order_id = $1 AND c.superseded_by IS NULL FOR UPDATE";
    const char *p[] = { order_id };
    return db_query_row(db, sql, 1, p, NULL, NULL, row);
}

/* Records the failure count, the backoff and the next look. */
enum db_rc db_renew_failed_mark(struct db *db, const char *cert_id, int failures, long long retry_at,
                                long long renew_at)
{
    char f[16], r[24], a[24];
    snprintf(f, sizeof f, "%d", failures);
    snprintf(r, sizeof r, "%lld", retry_at);
    snprintf(a, sizeof a, "%lld", renew_at);
    const char *p[] = { cert_id, f, r, renew_at > 0 ? a : NULL };
    return db_command(db,
                      "UPDATE certificates SET renew_failures = $2::int, renew_retry_at = to_timestamp($3::bigint),"
                      " renew_at = to_timestamp($4::bigint) WHERE id = $1",
                      4, p, NULL, NULL, true);
}

/* Supersedes the certificate the order renews, if any. */
enum db_rc db_renew_superseded(struct db *db, const char *order_id, const char *cert_id, json_t **old)
{
    const char *p[] = { order_id, cert_id };
    *old = NULL;
    /* A revoked certificate stays revoked; it is replaced all the same. A repeat changes nothing. */
    enum db_rc rc = db_query_row(db,
                      "UPDATE certificates c SET superseded_by = $2, renew_at = NULL, renew_retry_at = NULL,"
                      " status = CASE WHEN c.status = 'revoked' THEN c.status ELSE 'superseded' END"
                      " FROM orders o WHERE o.id = $1 AND c.id = o.replaces_certificate_id"
                      " AND c.superseded_by IS NULL AND c.id <> $2"
                      " RETURNING c.id, c.domains, c.not_after",
                      2, p, NULL, NULL, old);
    return rc == DB_NOTFOUND ? DB_OK : rc;
}

/* The steps of db_renew_now inside its transaction. */
static enum db_rc db_renew_now_tx(struct db *db, const char *tenant_id, const char *cert_id, char **order_id,
                                  char **busy_order_id, char **superseded_by)
{
    static const char lock_sql[] =
        "SELECT c.superseded_by, CASE WHEN r.status NOT IN " DB_RENEW_FINAL " THEN r.id END AS busy"
        " FROM certificates c LEFT JOIN orders r ON r.id = c.renewal_order_id"
        " WHERE c.tenant_id = $1 AND c.id = $2 FOR UPDATE OF c";
    const char *p[] = { tenant_id, cert_id };
    json_t *row = NULL;
    enum db_rc rc = db_query_row(db, lock_sql, 2, p, NULL, NULL, &row);
    if (rc != DB_OK)
        return rc;
    const char *sup = json_string_value(json_object_get(row, "superseded_by"));
    const char *busy = json_string_value(json_object_get(row, "busy"));
    if (busy || sup) {
        *busy_order_id = busy ? xstrdup(busy) : NULL;
        *superseded_by = sup ? xstrdup(sup) : NULL;
        json_decref(row);
        return DB_CONFLICT;
    }
    json_decref(row);
    rc = db_renew_order_create(db, cert_id, order_id);
    /* The scheduler looks again within a day (an order that stalls, expiry approaching). */
    if (rc == DB_OK)
        rc = db_command(db,
                        "UPDATE certificates SET renew_retry_at = NULL,"
                        " renew_at = CASE WHEN auto_renew THEN now() + interval '1 day' END WHERE id = $1",
                        1, &p[1], NULL, NULL, true);
    return rc;
}

/* Makes the renewal order at once, unless one is in progress. */
enum db_rc db_renew_now(struct db *db, const char *tenant_id, const char *cert_id, char **order_id,
                        char **busy_order_id, char **superseded_by)
{
    *order_id = *busy_order_id = *superseded_by = NULL;
    enum db_rc rc = db_begin(db);
    if (rc != DB_OK)
        return rc;
    rc = db_renew_now_tx(db, tenant_id, cert_id, order_id, busy_order_id, superseded_by);
    if (rc == DB_OK)
        rc = db_commit(db);
    else
        db_rollback(db);
    if (rc != DB_OK) {
        free(*order_id);
        *order_id = NULL;
    }
    return rc;
}

/* Turns renewal off for the certificate and for the one its renewal in progress will make. */
enum db_rc db_renew_stop(struct db *db, const char *tenant_id, const char *cert_id)
{
    static const char sql[] =
        "WITH c AS (UPDATE certificates SET auto_renew = false, renew_at = NULL, renew_retry_at = NULL"
        "   WHERE tenant_id = $1 AND id = $2 RETURNING id, renewal_order_id),"
        " o AS (UPDATE orders SET auto_renew = false FROM c WHERE orders.id = c.renewal_order_id"
        "   AND orders.status NOT IN " DB_RENEW_FINAL " RETURNING orders.id)"
        " SELECT id FROM c";
    const char *p[] = { tenant_id, cert_id };
    char *id = NULL;
    enum db_rc rc = db_query_text(db, sql, 2, p, NULL, NULL, &id);
    free(id);
    return rc;
}
