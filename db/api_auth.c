/* api_auth — the API key lookup: the hash match in SQL is the comparison. */
#include "db_api.h"
#include "db_internal.h"


/* Finds the tenant of a non-revoked key by its SHA-256. */
enum db_rc db_api_key_tenant(struct db *db, const unsigned char hash[DB_API_HASH_LEN], char **tenant_id)
{
    static const char sql[] = "SELECT tenant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL";
    const char *params[1] = { (const char *)hash };
    const int lens[1] = { DB_API_HASH_LEN };
    const int binary[1] = { 1 };
    return db_query_text(db, sql, 1, params, lens, binary, tenant_id);
}
