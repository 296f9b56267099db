/* metrics — the shared counter table and the scrape-time aggregates (sql/018_metrics.sql). */
#include "db_metrics.h"
#include "db_internal.h"

#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Upserts the deltas; ORDER BY makes every process lock the rows in the same order (no deadlock). */
enum db_rc db_metrics_add(struct db *db, const struct metrics_sample *s, size_t n)
{
    static const char sql[] =
        "INSERT INTO metric_counters (name, labels, value)"
        " SELECT e->>0, e->>1, (e->>2)::double precision FROM jsonb_array_elements($1::jsonb) e"
        " ORDER BY 1, 2"
        " ON CONFLICT (name, labels) DO UPDATE SET value = metric_counters.value + excluded.value,"
        " updated_at = now()";
    if (n == 0)
        return DB_OK;
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(rows, json_pack("[s, s, f]", s[i].name, s[i].labels, s[i].value));
    char *text = json_dumps(rows, JSON_COMPACT);
    json_decref(rows);
    if (!text)
        return DB_UNAVAILABLE;
    const char *p[1] = { text };
    enum db_rc rc = db_command(db, sql, 1, p, NULL, NULL, false);
    free(text);
    return rc;
}

/* Takes, writes, and gives back on failure. */
enum db_rc db_metrics_flush(struct db *db)
{
    size_t n = 0;
    struct metrics_sample *s = metrics_take(&n);
    if (n == 0) {
        metrics_samples_free(s, 0);
        return DB_OK;
    }
    enum db_rc rc = db ? db_metrics_add(db, s, n) : DB_UNAVAILABLE;
    if (rc == DB_OK)
        metrics_samples_free(s, n);
    else
        metrics_give_back(s, n);
    return rc;
}

/* Reads the shared counters. */
enum db_rc db_metrics_counters(struct db *db, struct metrics_sample **out, size_t *n)
{
    static const char sql[] = "SELECT name, labels, value::text FROM metric_counters";
    enum db_rc rc;
    *out = NULL;
    *n = 0;
    PGresult *res = db_exec(db, sql, 0, NULL, NULL, NULL, &rc);
    if (!res)
        return rc;
    int rows = PQntuples(res);
    struct metrics_sample *s = xcalloc(rows > 0 ? (size_t)rows : 1, sizeof *s);
    for (int r = 0; r < rows; r++) {
        s[r].name = xstrdup(PQgetvalue(res, r, 0));
        s[r].labels = xstrdup(PQgetvalue(res, r, 1));
        s[r].value = strtod(PQgetvalue(res, r, 2), NULL);
    }
    PQclear(res);
    *out = s;
    *n = (size_t)rows;
    return DB_OK;
}

/*
 * The gauges. Each is an index-only or index-range scan (sql/018_metrics.sql): counts by
 * (status, ca), the earliest not_after of the partial index of certificates in service,
 * and the due part of the queues (jobs_due, webhook_deliveries_due).
 */
enum db_rc db_metrics_state(struct db *db, json_t **out)
{
    static const char orders_sql[] = "SELECT status, ca, count(*) AS n FROM orders GROUP BY status, ca";
    static const char certs_sql[] = "SELECT status, ca, count(*) AS n FROM certificates GROUP BY status, ca";
    static const char expiry_sql[] =
        "SELECT floor(extract(epoch FROM min(not_after)))::bigint AS t FROM certificates"
        " WHERE status IN ('active', 'expiring')";
    static const char queue_sql[] =
        "SELECT kind, count(*) AS n, (extract(epoch FROM now() - min(due_at)) * 1000)::bigint AS age_ms"
        " FROM (SELECT j.kind, j.due_at FROM jobs j WHERE j.due_at <= now()"
        "         AND (j.lease_until IS NULL OR j.lease_until < now())"
        "       UNION ALL"
        "       SELECT 'webhook', d.next_attempt_at FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
        "        WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND w.enabled) q"
        " GROUP BY kind";
    json_t *orders = NULL, *certs = NULL, *expiry = NULL, *queue = NULL;
    *out = NULL;
    enum db_rc rc = db_query_rows(db, orders_sql, 0, NULL, NULL, NULL, &orders);
    if (rc == DB_OK)
        rc = db_query_rows(db, certs_sql, 0, NULL, NULL, NULL, &certs);
    if (rc == DB_OK)
        rc = db_query_row(db, expiry_sql, 0, NULL, NULL, NULL, &expiry);
    if (rc == DB_OK)
        rc = db_query_rows(db, queue_sql, 0, NULL, NULL, NULL, &queue);
    if (rc == DB_OK) {
        json_t *t = json_object_get(expiry, "t");
        *out = json_pack("{s:o, s:o, s:O, s:o}", "orders", orders, "certificates", certs, "soonest_expiry",
                         t ? t : json_null(), "queue", queue);
        json_decref(expiry);
        return *out ? DB_OK : DB_UNAVAILABLE;
    }
    json_decref(orders);
    json_decref(certs);
    json_decref(expiry);
    json_decref(queue);
    return rc;
}
