/* api_webhooks — the API's webhook and delivery queries. */
#include "db_internal.h"
#include "db_webhook.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>

/* A webhook as the API shows it: never the secret. */
#define DB_WH_COLS "w.id, w.url, w.event_types AS events, w.description, w.enabled, w.created_at, w.updated_at"

/* A delivery as the API shows it; next_attempt_at only while one is planned. */
#define DB_WH_DELIVERY_COLS                                                                                       \
    "d.id, e.id AS event_id, e.type AS event_type, d.status, d.attempts, d.last_response_code, d.last_error,"     \
    " d.last_attempt_at, CASE WHEN d.status = 'pending' THEN d.next_attempt_at END AS next_attempt_at,"           \
    " d.delivered_at, d.created_at"

/* Asks PostgreSQL for an id of the same form as the other tables'. */
enum db_rc db_api_webhook_new_id(struct db *db, char **id)
{
    enum db_rc rc = db_query_text(db, "SELECT 'wh_' || replace(gen_random_uuid()::text, '-', '')", 0, NULL, NULL,
                                  NULL, id);
    return rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc;
}

/* The events array as a PostgreSQL text[] parameter ({"a","b"}); the types are checked words. */
static char *db_wh_events_param(const json_t *events)
{
    if (!events)
        return NULL;
    char *out = xstrdup("{");
    size_t i;
    json_t *v;
    json_array_foreach(events, i, v) {
        char *next = xasprintf("%s%s\"%s\"", out, i ? "," : "", json_string_value(v));
        free(out);
        out = next;
    }
    char *next = xasprintf("%s}", out);
    free(out);
    return next;
}

/* Inserts the whole row, sealed secret included. */
enum db_rc db_api_webhook_create(struct db *db, const char *tenant_id, const char *id,
                                 const struct db_webhook_fields *f, const unsigned char *sealed, size_t len,
                                 json_t **out)
{
    static const char sql[] = "INSERT INTO webhooks AS w (id, tenant_id, url, event_types, description, secret_sealed)"
                              " VALUES ($1, $2, $3, $4::text[], $5, $6) RETURNING " DB_WH_COLS;
    char *events = db_wh_events_param(f->events);
    const char *p[6] = { id, tenant_id, f->url, events ? events : "{}", f->description, (const char *)sealed };
    const int lens[6] = { [5] = (int)len };
    const int bin[6] = { [5] = 1 };
    enum db_rc rc = db_query_row(db, sql, 6, p, lens, bin, out);
    free(events);
    return rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc;
}

/* Reads one webhook of the tenant. */
enum db_rc db_api_webhook_get(struct db *db, const char *tenant_id, const char *id, json_t **out)
{
    const char *p[2] = { tenant_id, id };
    return db_query_row(db, "SELECT " DB_WH_COLS " FROM webhooks w WHERE w.tenant_id = $1 AND w.id = $2", 2, p, NULL,
                        NULL, out);
}

/* Reads one page of webhooks, newest first, after the cursor. */
enum db_rc db_api_webhook_list(struct db *db, const char *tenant_id, const struct db_api_page *page, json_t **rows)
{
    static const char sql[] =
        "SELECT " DB_WH_COLS ", (extract(epoch FROM w.created_at) * 1000000)::bigint AS " DB_API_CURSOR_KEY
        " FROM webhooks w WHERE w.tenant_id = $1"
        " AND ($2::bigint IS NULL OR (w.created_at, w.id) <"
        " (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::text))"
        " ORDER BY w.created_at DESC, w.id DESC LIMIT $4::integer";
    char cursor[32], limit[16];
    snprintf(cursor, sizeof cursor, "%lld", page->cursor_us);
    snprintf(limit, sizeof limit, "%d", page->limit + 1);
    const char *p[4] = { tenant_id, page->has_cursor ? cursor : NULL, page->has_cursor ? page->cursor_id : NULL,
                         limit };
    return db_query_rows(db, sql, 4, p, NULL, NULL, rows);
}

/* Changes what was given, in one statement. */
enum db_rc db_api_webhook_update(struct db *db, const char *tenant_id, const char *id,
                                 const struct db_webhook_fields *f, json_t **out)
{
    static const char sql[] =
        "UPDATE webhooks w SET url = coalesce($3, w.url), event_types = coalesce($4::text[], w.event_types),"
        " description = CASE WHEN $5::boolean THEN $6 ELSE w.description END,"
        " enabled = coalesce($7::boolean, w.enabled), updated_at = now()"
        " WHERE w.tenant_id = $1 AND w.id = $2 RETURNING " DB_WH_COLS;
    char *events = db_wh_events_param(f->events);
    const char *p[7] = { tenant_id, id, f->url, events, f->description_set ? "true" : "false", f->description,
                         f->enabled < 0 ? NULL : f->enabled ? "true" : "false" };
    enum db_rc rc = db_query_row(db, sql, 7, p, NULL, NULL, out);
    free(events);
    return rc;
}

/* Deletes the webhook; its deliveries go with it (ON DELETE CASCADE). */
enum db_rc db_api_webhook_delete(struct db *db, const char *tenant_id, const char *id)
{
    const char *p[2] = { tenant_id, id };
    return db_command(db, "DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2", 2, p, NULL, NULL, true);
}

/* Moves the current secret to previous (signing until the grace ends) and stores the new one. */
enum db_rc db_api_webhook_rotate(struct db *db, const char *tenant_id, const char *id, const unsigned char *sealed,
                                 size_t len, int grace_s, json_t **out)
{
    static const char sql[] =
        "UPDATE webhooks w SET previous_secret_sealed = w.secret_sealed, secret_sealed = $3,"
        " previous_until = now() + make_interval(secs => $4::int), updated_at = now()"
        " WHERE w.tenant_id = $1 AND w.id = $2 RETURNING " DB_WH_COLS;
    char grace[16];
    snprintf(grace, sizeof grace, "%d", grace_s);
    const char *p[4] = { tenant_id, id, (const char *)sealed, grace };
    const int lens[4] = { [2] = (int)len };
    const int bin[4] = { [2] = 1 };
    return db_query_row(db, sql, 4, p, lens, bin, out);
}

/* Reads a page of deliveries of the tenant's webhook, newest first. */
enum db_rc db_api_delivery_list(struct db *db, const char *tenant_id, const char *webhook_id, const char *status,
                                const struct db_api_page *page, json_t **rows)
{
    static const char sql[] =
        DB_CUSTOM_PLAN "SELECT " DB_WH_DELIVERY_COLS ", (extract(epoch FROM d.created_at) * 1000000)::bigint AS " DB_API_CURSOR_KEY
        " FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq"
        " WHERE d.tenant_id = $1 AND d.webhook_id = $2 AND ($3::text IS NULL OR d.status = $3)"
        " AND ($4::bigint IS NULL OR (d.created_at, d.id) <"
        " (timestamptz 'epoch' + $4::bigint * interval '1 microsecond', $5::text))"
        " ORDER BY d.created_at DESC, d.id DESC LIMIT $6::integer";
    json_t *wh = NULL;
    enum db_rc rc = db_api_webhook_get(db, tenant_id, webhook_id, &wh);
    json_decref(wh);
    if (rc != DB_OK)
        return rc;
    char cursor[32], limit[16];
    snprintf(cursor, sizeof cursor, "%lld", page->cursor_us);
    snprintf(limit, sizeof limit, "%d", page->limit + 1);
    const char *p[6] = { tenant_id, webhook_id, status, page->has_cursor ? cursor : NULL,
                         page->has_cursor ? page->cursor_id : NULL, limit };
    return db_query_rows(db, sql, 6, p, NULL, NULL, rows);
}

/* Makes the delivery due now and notifies the workers, in one statement. */
enum db_rc db_api_delivery_retry(struct db *db, const char *tenant_id, const char *webhook_id,
                                 const char *delivery_id, json_t **out)
{
    static const char sql[] =
        "WITH u AS (UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), retry_since = now()"
        " WHERE tenant_id = $1 AND webhook_id = $2 AND id = $3 RETURNING *), n AS (SELECT pg_notify('certmill_jobs',"
        " 'webhook') FROM u)"
        " SELECT " DB_WH_DELIVERY_COLS " FROM u d JOIN events e ON e.seq = d.event_seq, (SELECT count(*) FROM n) k";
    const char *p[3] = { tenant_id, webhook_id, delivery_id };
    return db_query_row(db, sql, 3, p, NULL, NULL, out);
}
