/* work_webhook — the sender's side of deliveries: claim a due one, record the attempt. */
#include "db_internal.h"
#include "db_webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long a delivery is retried (Standard Webhooks' usual span): three days from retry_since. */
#define DB_DELIVERY_RETRY_SPAN "interval '3 days'"

/* Claims in one statement: the due time moves forward by the lease, so a crashed sender's claim runs out. */
enum db_rc db_delivery_claim(struct db *db, int lease_s, struct db_delivery *d)
{
    static const char sql[] =
        "UPDATE webhook_deliveries dd SET attempts = dd.attempts + 1,"
        " next_attempt_at = now() + make_interval(secs => $1::int)"
        " FROM (SELECT x.id FROM webhook_deliveries x JOIN webhooks w ON w.id = x.webhook_id"
        "   WHERE x.status = 'pending' AND x.next_attempt_at <= now() AND w.enabled"
        "   ORDER BY x.next_attempt_at LIMIT 1 FOR UPDATE OF x SKIP LOCKED) c,"
        " webhooks w, events e"
        " WHERE dd.id = c.id AND w.id = dd.webhook_id AND e.seq = dd.event_seq"
        " RETURNING dd.id, dd.webhook_id, dd.attempts, (now() > dd.retry_since + " DB_DELIVERY_RETRY_SPAN ") AS expired,"
        " w.url, e.id AS event_id, e.type, e.created_at, e.data, w.secret_sealed,"
        " CASE WHEN w.previous_until > now() THEN w.previous_secret_sealed END AS previous,"
        " w.tenant_id AS webhook_tenant_id";
    char lease[16];
    snprintf(lease, sizeof lease, "%d", lease_s);
    const char *p[1] = { lease };
    enum db_rc rc;
    memset(d, 0, sizeof *d);
    PGresult *res = db_exec(db, sql, 1, p, NULL, NULL, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    snprintf(d->id, sizeof d->id, "%s", PQgetvalue(res, 0, 0));
    snprintf(d->webhook_id, sizeof d->webhook_id, "%s", PQgetvalue(res, 0, 1));
    snprintf(d->tenant_id, sizeof d->tenant_id, "%s", PQgetvalue(res, 0, 11));
    d->attempts = atoi(PQgetvalue(res, 0, 2));
    d->expired = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
    d->row = db_row_json(res, 0);
    bool ok = db_get_bytea(res, 0, 9, &d->secret, &d->secret_len);
    if (!db_get_bytea(res, 0, 10, &d->previous, &d->previous_len)) {
        d->previous = NULL;
        d->previous_len = 0;
    }
    PQclear(res);
    if (!ok) {
        db_delivery_free(d);
        return DB_UNAVAILABLE;
    }
    return DB_OK;
}

/* Records the outcome unless another claim came since (the attempts count is the fence). */
enum db_rc db_delivery_finish(struct db *db, const struct db_delivery *d, const char *status, long code,
                              const char *error, long delay_ms)
{
    static const char sql[] =
        "UPDATE webhook_deliveries SET status = $3, last_attempt_at = now(),"
        " last_response_code = $4::integer, last_error = $5,"
        " next_attempt_at = now() + make_interval(secs => $6::double precision / 1000),"
        " delivered_at = CASE WHEN $3 = 'succeeded' THEN now() ELSE delivered_at END"
        " WHERE id = $1 AND attempts = $2::integer";
    char att[16], c[16], delay[24];
    snprintf(att, sizeof att, "%d", d->attempts);
    snprintf(c, sizeof c, "%ld", code);
    snprintf(delay, sizeof delay, "%ld", delay_ms);
    const char *p[6] = { d->id, att, status, code > 0 ? c : NULL, error, delay };
    return db_command(db, sql, 6, p, NULL, NULL, false);
}

/* Frees what a claim filled in. */
void db_delivery_free(struct db_delivery *d)
{
    json_decref(d->row);
    free(d->secret);
    free(d->previous);
    memset(d, 0, sizeof *d);
}
