/* admin — tenants, API keys and ACME account keys for the admin CLI. */
#include "db_admin.h"
#include "db_internal.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>

/* Inserts the tenant and its first key together, so a tenant never exists without a way in. */
enum db_rc db_tenant_create(struct db *db, const char *name, const unsigned char key_hash[32], json_t **out)
{
    enum db_rc rc = db_begin(db);
    if (rc != DB_OK)
        return rc;
    const char *p1[] = { name };
    rc = db_query_row(db, "INSERT INTO tenants (name) VALUES ($1) RETURNING id, name, created_at", 1, p1, NULL,
                      NULL, out);
    if (rc != DB_OK) {
        db_rollback(db);
        return rc;
    }
    const char *p2[] = { json_string_value(json_object_get(*out, "id")), (const char *)key_hash };
    int lens[] = { 0, 32 }, bin[] = { 0, 1 };
    json_t *key = NULL;
    rc = db_query_row(db, "INSERT INTO api_keys (tenant_id, key_hash) VALUES ($1, $2) RETURNING id", 2, p2, lens,
                      bin, &key);
    if (rc == DB_OK)
        rc = db_commit(db);
    else
        db_rollback(db);
    if (rc == DB_OK) {
        json_object_set(*out, "key_id", json_object_get(key, "id"));
    } else {
        json_decref(*out);
        *out = NULL;
    }
    json_decref(key);
    return rc;
}

/* Looks a tenant up by id or name. */
enum db_rc db_tenant_find(struct db *db, const char *id_or_name, json_t **out)
{
    const char *p[] = { id_or_name };
    return db_query_row(db, "SELECT id, name, created_at FROM tenants WHERE id = $1 OR name = $1 LIMIT 1", 1, p,
                        NULL, NULL, out);
}

/* Lists every tenant with counts, for the operator. */
enum db_rc db_tenant_list(struct db *db, json_t **out)
{
    return db_query_rows(db,
                            "SELECT t.id, t.name, t.created_at, t.default_ca, t.fallback_cas,"
                            " (SELECT count(*) FROM api_keys k WHERE k.tenant_id = t.id AND k.revoked_at IS NULL)"
                            "   AS live_keys,"
                            " (SELECT count(*) FROM orders o WHERE o.tenant_id = t.id) AS orders"
                            " FROM tenants t ORDER BY t.created_at, t.id",
                            0, NULL, NULL, NULL, out);
}

/* Adds a key (hash only) to an existing tenant. */
enum db_rc db_apikey_create(struct db *db, const char *tenant_id, const unsigned char key_hash[32], json_t **out)
{
    const char *p[] = { tenant_id, (const char *)key_hash };
    int lens[] = { 0, 32 }, bin[] = { 0, 1 };
    return db_query_row(db,
                        "INSERT INTO api_keys (tenant_id, key_hash) SELECT id, $2 FROM tenants WHERE id = $1"
                        " RETURNING id, tenant_id, created_at",
                        2, p, lens, bin, out);
}

/* Marks a key revoked; the first revocation time is kept. */
enum db_rc db_apikey_revoke(struct db *db, const char *key_id, json_t **out)
{
    const char *p[] = { key_id };
    return db_query_row(db,
                        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1"
                        " RETURNING id, tenant_id, revoked_at",
                        1, p, NULL, NULL, out);
}

/* The newest orders of a tenant (or of all tenants when tenant_id is NULL). */
enum db_rc db_order_list_admin(struct db *db, const char *tenant_id, int limit, json_t **out)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = { tenant_id, lim };
    return db_query_rows(db,
                            DB_CUSTOM_PLAN "SELECT o.id, o.tenant_id, o.status, o.step, o.domains, o.ca, o.certificate_id,"
                            " o.created_at, o.updated_at FROM orders o"
                            " WHERE $1::text IS NULL OR o.tenant_id = $1"
                            " ORDER BY o.created_at DESC, o.id DESC LIMIT $2::int",
                            2, p, NULL, NULL, out);
}

/* Reads a tenant's ACME account at a CA for the CLI: sealed key and URL (NULL until registered). */
enum db_rc db_admin_account_get(struct db *db, const char *tenant_id, const char *ca, unsigned char **key,
                                size_t *keylen, char **url)
{
    const char *p[] = { tenant_id, ca };
    enum db_rc rc;
    *key = NULL;
    *keylen = 0;
    *url = NULL;
    PGresult *res =
        db_exec(db, "SELECT key_sealed, url FROM acme_accounts WHERE tenant_id = $1 AND ca = $2", 2, p, NULL, NULL, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0 || !db_get_bytea(res, 0, 0, key, keylen)) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    *url = PQgetisnull(res, 0, 1) ? NULL : xstrdup(PQgetvalue(res, 0, 1));
    PQclear(res);
    return DB_OK;
}

/*
 * Replaces the sealed account key, only while the row still holds old_key: a key changed
 * meanwhile (another rollover) is DB_NOTFOUND instead of being overwritten.
 */
enum db_rc db_admin_account_set_key(struct db *db, const char *tenant_id, const char *ca, const unsigned char *old_key,
                                    size_t old_len, const unsigned char *new_key, size_t new_len)
{
    const char *p[] = { tenant_id, ca, (const char *)old_key, (const char *)new_key };
    int lens[] = { 0, 0, (int)old_len, (int)new_len }, bin[] = { 0, 0, 1, 1 };
    return db_command(db,
                      "UPDATE acme_accounts SET key_sealed = $4 WHERE tenant_id = $1 AND ca = $2 AND key_sealed = $3",
                      4, p, lens, bin, true);
}
