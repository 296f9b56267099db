/* api_deliveries — the API's tenant-wide delivery list. */
#include "db_deliveries.h"
#include "db_internal.h"

#include <stdio.h>

/* Reads a page of the deliveries of all the tenant's webhooks, newest first. */
enum db_rc db_api_tenant_delivery_list(struct db *db, const char *tenant_id, const char *status,
                                       const struct db_api_page *page, json_t **rows)
{
    /* The members of a webhook's delivery list, plus which webhook it is for. */
    static const char sql[] =
        DB_CUSTOM_PLAN "SELECT d.id, d.webhook_id, w.url AS webhook_url, e.id AS event_id, e.type AS event_type, d.status,"
        " d.attempts, d.last_response_code, d.last_error, d.last_attempt_at,"
        " CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at,"
        " d.delivered_at, d.created_at,"
        " (extract(epoch FROM d.created_at) * 1000000)::bigint AS " DB_API_CURSOR_KEY
        " FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq JOIN webhooks w ON w.id = d.webhook_id"
        " WHERE d.tenant_id = $1 AND ($2::text IS NULL OR d.status = $2)"
        " AND ($3::bigint IS NULL OR (d.created_at, d.id) <"
        " (timestamptz 'epoch' + $3::bigint * interval '1 microsecond', $4::text))"
        " ORDER BY d.created_at DESC, d.id DESC LIMIT $5::integer";
    char cursor[32], limit[16];
    snprintf(cursor, sizeof cursor, "%lld", page->cursor_us);
    snprintf(limit, sizeof limit, "%d", page->limit + 1);
    const char *p[5] = { tenant_id, status, page->has_cursor ? cursor : NULL, page->has_cursor ? page->cursor_id : NULL,
                         limit };
    return db_query_rows(db, sql, 5, p, NULL, NULL, rows);
}
