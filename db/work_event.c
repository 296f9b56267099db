/* work_event — recording events in the transaction of the change they report. */
#include "db_event.h"
#include "db_internal.h"

#include <stdlib.h>

/* Advisory lock key (class, object) serialising event inserts until commit: ids then commit in order. */
#define DB_EVENT_LOCK "SELECT pg_advisory_xact_lock(74100, 1)"

/* (tx) Inserts an event; the lock is held to commit so a cursor reader never skips a slower insert. */
enum db_rc db_event_add(struct db *db, const char *tenant_id, const char *type, const char *order_id,
                        const char *certificate_id, const json_t *data)
{
    enum db_rc rc = db_command(db, DB_EVENT_LOCK, 0, NULL, NULL, NULL, false);
    if (rc != DB_OK)
        return rc;
    char *d = json_dumps(data, JSON_COMPACT);
    const char *p[] = { tenant_id, type, order_id, certificate_id, d };
    /* One delivery per enabled webhook of the tenant whose filter takes the type, in the
     * event's own transaction: a delivery exists exactly when its event does (012_webhooks). */
    rc = db_command(db,
                    "WITH e AS (INSERT INTO events (tenant_id, type, order_id, certificate_id, data)"
                    " VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING seq, tenant_id, type),"
                    " d AS (INSERT INTO webhook_deliveries (webhook_id, tenant_id, event_seq)"
                    " SELECT w.id, e.tenant_id, e.seq FROM e JOIN webhooks w ON w.tenant_id = e.tenant_id"
                    " WHERE w.enabled AND (cardinality(w.event_types) = 0 OR e.type = ANY (w.event_types))"
                    " RETURNING 1)"
                    " SELECT CASE WHEN EXISTS (SELECT 1 FROM d) THEN pg_notify('certmill_jobs', 'webhook') END",
                    5, p, NULL, NULL, false);
    free(d);
    return rc;
}
