/* admin_tenant — a tenant's CA choice and its removal, for the admin CLI. */
#include "db_admin.h"
#include "db_internal.h"

#include <stdlib.h>

/* Sets the tenant's default CA (NULL: the server's) and its fallback list (a JSON array of names). */
enum db_rc db_admin_tenant_set_cas(struct db *db, const char *tenant_id, const char *default_ca,
                                   const json_t *fallbacks, json_t **out)
{
    char *list = json_dumps(fallbacks, JSON_COMPACT);
    const char *p[] = { tenant_id, default_ca, list };
    enum db_rc rc = db_query_row(db,
                                 "UPDATE tenants SET default_ca = $2,"
                                 " fallback_cas = ARRAY(SELECT c FROM json_array_elements_text($3::json) WITH ORDINALITY AS f(c, n) ORDER BY n)"
                                 " WHERE id = $1 RETURNING id, name, default_ca, fallback_cas",
                                 3, p, NULL, NULL, out);
    free(list);
    return rc;
}

/* The tenant's ACME accounts: rows {"ca", "url"} (url null until registered). */
enum db_rc db_admin_tenant_accounts(struct db *db, const char *tenant_id, json_t **out)
{
    const char *p[] = { tenant_id };
    return db_query_rows(db, "SELECT ca, url FROM acme_accounts WHERE tenant_id = $1 ORDER BY ca", 1, p, NULL, NULL,
                         out);
}

/* Removes the tenant and, through ON DELETE CASCADE, everything it owns. */
enum db_rc db_admin_tenant_delete(struct db *db, const char *tenant_id)
{
    const char *p[] = { tenant_id };
    /* Orders point at certificates and certificates at orders: break the cycle first. */
    enum db_rc rc = db_begin(db);
    if (rc == DB_OK)
        rc = db_command(db, "UPDATE orders SET certificate_id = NULL WHERE tenant_id = $1", 1, p, NULL, NULL, false);
    if (rc == DB_OK)
        rc = db_command(db, "DELETE FROM certificates WHERE tenant_id = $1", 1, p, NULL, NULL, false);
    if (rc == DB_OK)
        rc = db_command(db, "DELETE FROM tenants WHERE id = $1", 1, p, NULL, NULL, true);
    if (rc == DB_OK)
        return db_commit(db);
    db_rollback(db);
    return rc;
}

/* Sets the tenant's own limits: each of the four (rate, burst, max_active_orders, max_certificates) only when set[i]; a NULL value puts back the server's default. */
enum db_rc db_admin_tenant_set_limits(struct db *db, const char *tenant_id, const bool set[4],
                                      const char *const values[4], json_t **out)
{
    const char *p[] = { tenant_id, set[0] ? "true" : "false", values[0], set[1] ? "true" : "false", values[1],
                        set[2] ? "true" : "false", values[2], set[3] ? "true" : "false", values[3] };
    return db_query_row(db,
                        "UPDATE tenants SET"
                        " rate_per_s = CASE WHEN $2::boolean THEN $3::double precision ELSE rate_per_s END,"
                        " rate_burst = CASE WHEN $4::boolean THEN $5::integer ELSE rate_burst END,"
                        " max_active_orders = CASE WHEN $6::boolean THEN $7::bigint ELSE max_active_orders END,"
                        " max_certificates = CASE WHEN $8::boolean THEN $9::bigint ELSE max_certificates END"
                        " WHERE id = $1 RETURNING id, name, rate_per_s, rate_burst, max_active_orders, max_certificates",
                        9, p, NULL, NULL, out);
}
