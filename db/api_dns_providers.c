/* api_dns_providers — the API's DNS provider queries: new id, create, get, list, delete, load for a test. */
#include "db_api.h"
#include "db_provider.h"
#include "db_internal.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns of a provider as the API shows it: the sealed secret only as whether there is one. */
#define DB_API_DNP_COLS                                                                                     \
    "p.id, p.name, p.type, p.config, p.secret_sealed IS NOT NULL AS has_secret, p.created_at, p.updated_at"

/* Orders in these statuses are finished: they no longer need their provider. */
#define DB_API_DNP_FINISHED "('issued', 'failed', 'cancelled')"

/* Asks PostgreSQL for an id of the same form as the table's default. */
enum db_rc db_api_dns_provider_new_id(struct db *db, char **id)
{
    static const char sql[] = "SELECT 'dnp_' || replace(gen_random_uuid()::text, '-', '') AS id";
    json_t *row = NULL;
    *id = NULL;
    enum db_rc rc = db_query_row(db, sql, 0, NULL, NULL, NULL, &row);
    if (rc == DB_OK)
        *id = xstrdup(json_string_value(json_object_get(row, "id")));
    json_decref(row);
    /* A SELECT without FROM always gives its row: no row means a failed connection. */
    return rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc;
}

/* Inserts the whole row, sealed secret included, so it never exists half-written. */
enum db_rc db_api_dns_provider_create(struct db *db, const struct db_api_dns_provider_new *p, json_t **out)
{
    static const char sql[] =
        "INSERT INTO dns_providers AS p (id, tenant_id, name, type, config, secret_sealed)"
        " VALUES ($1, $2, $3, $4, $5::jsonb, $6) RETURNING " DB_API_DNP_COLS;
    char *config = json_dumps(p->config, JSON_COMPACT);
    const char *params[6] = { p->id, p->tenant_id, p->name, p->type, config, (const char *)p->secret_sealed };
    const int lens[6] = { [5] = (int)p->secret_len };
    const int binary[6] = { [5] = 1 };
    enum db_rc rc = db_query_row(db, sql, 6, params, lens, binary, out);
    free(config);
    return rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc;
}

/* Reads one provider of the tenant. */
enum db_rc db_api_dns_provider_get(struct db *db, const char *tenant_id, const char *id, json_t **out)
{
    static const char sql[] = "SELECT " DB_API_DNP_COLS " FROM dns_providers p WHERE p.tenant_id = $1 AND p.id = $2";
    const char *params[2] = { tenant_id, id };
    return db_query_row(db, sql, 2, params, NULL, NULL, out);
}

/* Reads one page of providers, newest first, after the cursor. */
enum db_rc db_api_dns_provider_list(struct db *db, const char *tenant_id, const struct db_api_page *page,
                                    json_t **rows)
{
    static const char sql[] =
        "SELECT " DB_API_DNP_COLS ","
        " (extract(epoch FROM p.created_at) * 1000000)::bigint AS " DB_API_CURSOR_KEY
        " FROM dns_providers p WHERE p.tenant_id = $1"
        " AND ($2::bigint IS NULL OR (p.created_at, p.id) <"
        " (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::text))"
        " ORDER BY p.created_at DESC, p.id DESC LIMIT $4::integer";
    char cursor[32], limit[16];
    snprintf(cursor, sizeof cursor, "%lld", page->cursor_us);
    snprintf(limit, sizeof limit, "%d", page->limit + 1);
    const char *params[4] = { tenant_id, page->has_cursor ? cursor : NULL, page->has_cursor ? page->cursor_id : NULL,
                              limit };
    return db_query_rows(db, sql, 4, params, NULL, NULL, rows);
}

/* The steps of db_api_dns_provider_delete inside its transaction. */
static enum db_rc db_api_dns_provider_delete_tx(struct db *db, const char *tenant_id, const char *id, json_t **busy)
{
    /* The row lock waits for orders being inserted with this provider (their foreign key
     * check holds a share lock on it) and keeps new ones out until the delete commits. */
    static const char lock_sql[] = "SELECT p.id FROM dns_providers p WHERE p.tenant_id = $1 AND p.id = $2 FOR UPDATE";
    static const char busy_sql[] = "SELECT o.id, o.status FROM orders o WHERE o.tenant_id = $1"
                                   " AND o.dns_provider_id = $2 AND o.status NOT IN " DB_API_DNP_FINISHED
                                   " ORDER BY o.created_at LIMIT 1";
    static const char detach_sql[] = "UPDATE orders SET dns_provider_id = NULL WHERE tenant_id = $1"
                                     " AND dns_provider_id = $2";
    static const char delete_sql[] = "DELETE FROM dns_providers WHERE tenant_id = $1 AND id = $2";
    const char *params[2] = { tenant_id, id };
    json_t *row = NULL;
    enum db_rc rc = db_query_row(db, lock_sql, 2, params, NULL, NULL, &row);
    json_decref(row);
    if (rc != DB_OK)
        return rc;
    rc = db_query_row(db, busy_sql, 2, params, NULL, NULL, busy);
    if (rc == DB_OK)
        return DB_CONFLICT;
    if (rc != DB_NOTFOUND)
        return rc;
    rc = db_command(db, detach_sql, 2, params, NULL, NULL, false);
    if (rc == DB_OK)
        rc = db_command(db, delete_sql, 2, params, NULL, NULL, true);
    return rc;
}

/* Detaches finished orders and deletes the provider, or says which order still needs it. */
enum db_rc db_api_dns_provider_delete(struct db *db, const char *tenant_id, const char *id, json_t **busy)
{
    *busy = NULL;
    enum db_rc rc = db_begin(db);
    if (rc != DB_OK)
        return rc;
    rc = db_api_dns_provider_delete_tx(db, tenant_id, id, busy);
    if (rc == DB_OK)
        return db_commit(db);
    db_rollback(db);
    return rc;
}

/* Reads what publishing through the provider needs, the sealed secret included. */
enum db_rc db_dns_provider_load(struct db *db, const char *tenant_id, const char *id, json_t **row,
                                unsigned char **sealed, size_t *len)
{
    static const char sql[] =
        "SELECT p.id, p.type, p.config, p.secret_sealed FROM dns_providers p WHERE p.tenant_id = $1 AND p.id = $2";
    const char *params[2] = { tenant_id, id };
    enum db_rc rc;
    *row = NULL;
    *sealed = NULL;
    *len = 0;
    PGresult *res = db_exec(db, sql, 2, params, NULL, NULL, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    /* db_row_json leaves the bytea column out; it is read on its own. */
    *row = db_row_json(res, 0);
    if (!db_get_bytea(res, 0, 3, sealed, len)) {
        *sealed = NULL;
        *len = 0;
    }
    PQclear(res);
    return DB_OK;
}
