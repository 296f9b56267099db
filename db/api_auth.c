/* api_auth — the API key lookup: the hash match in SQL is the comparison. */
#include "db_api.h"
#include "db_internal.h"

#include "base/xalloc.h"


/* Finds the tenant of a non-revoked key by its SHA-256. */
enum db_rc db_api_key_tenant(struct db *db, const unsigned char hash[DB_API_HASH_LEN], char **tenant_id)
{
    static const char sql[] = "SELECT tenant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL";
    const char *params[1] = { (const char *)hash };
    const int lens[1] = { DB_API_HASH_LEN };
    const int binary[1] = { 1 };
    return db_query_text(db, sql, 1, params, lens, binary, tenant_id);
}

/* Finds the tenant and the id of a non-revoked key by its SHA-256 (the id goes into the audit log). */
enum db_rc db_api_key_find(struct db *db, const unsigned char hash[DB_API_HASH_LEN], char **tenant_id,
                           char **key_id)
{
    static const char sql[] = "SELECT tenant_id, id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL";
    const char *params[1] = { (const char *)hash };
    const int lens[1] = { DB_API_HASH_LEN };
    const int binary[1] = { 1 };
    json_t *row = NULL;
    *tenant_id = *key_id = NULL;
    enum db_rc rc = db_query_row(db, sql, 1, params, lens, binary, &row);
    if (rc == DB_OK) {
        *tenant_id = xstrdup(json_string_value(json_object_get(row, "tenant_id")));
        *key_id = xstrdup(json_string_value(json_object_get(row, "id")));
    }
    json_decref(row);
    return rc;
}
