/* api_events — GET /v1/events: a tenant's events in sequence order after a cursor. */
#include "db_internal.h"
#include "db_webhook.h"

#include <stdio.h>

/* Reads events oldest first; seq is the cursor order (inserts commit in seq order, db/work_event.c). */
enum db_rc db_api_event_list(struct db *db, const char *tenant_id, long long after_seq, const char *type, int limit,
                             json_t **rows)
{
    static const char sql[] = DB_CUSTOM_PLAN "SELECT e.seq, e.id, e.type, e.created_at, e.data FROM events e"
                              " WHERE e.tenant_id = $1 AND e.seq > $2::bigint AND ($3::text IS NULL OR e.type = $3)"
                              " ORDER BY e.seq LIMIT $4::integer";
    char after[32], lim[16];
    snprintf(after, sizeof after, "%lld", after_seq);
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[4] = { tenant_id, after, type, lim };
    return db_query_rows(db, sql, 4, p, NULL, NULL, rows);
}
