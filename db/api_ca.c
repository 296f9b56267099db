/* api_ca — the API's CA queries: the tenant's CA choice, and its own EAB credentials per CA. */
#include "db_api.h"
#include "db_internal.h"

/* The columns of a credential as the API shows it: never the MAC key. */
#define DB_API_EAB_COLS "e.ca, e.eab_kid, e.eab_alg, e.created_at, e.updated_at"

/* The tenant's default CA (null: the server's) and fallback list. */
enum db_rc db_api_tenant_cas(struct db *db, const char *tenant_id, json_t **out)
{
    const char *p[] = { tenant_id };
    return db_query_row(db, "SELECT default_ca, fallback_cas FROM tenants WHERE id = $1", 1, p, NULL, NULL, out);
}

/* Stores (or replaces) the tenant's EAB credential for a CA, the MAC key already sealed. */
enum db_rc db_api_eab_put(struct db *db, const char *tenant_id, const char *ca, const char *kid, const char *alg,
                          const unsigned char *sealed, size_t len, json_t **out)
{
    const char *p[] = { tenant_id, ca, kid, alg, (const char *)sealed };
    int lens[] = { 0, 0, 0, 0, (int)len }, bin[] = { 0, 0, 0, 0, 1 };
    enum db_rc rc = db_query_row(db,
                                 "INSERT INTO tenant_eab AS e (tenant_id, ca, eab_kid, eab_alg, hmac_sealed)"
                                 " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, ca) DO UPDATE SET"
                                 " eab_kid = excluded.eab_kid, eab_alg = excluded.eab_alg,"
                                 " hmac_sealed = excluded.hmac_sealed, updated_at = now()"
                                 " RETURNING " DB_API_EAB_COLS,
                                 5, p, lens, bin, out);
    return rc == DB_NOTFOUND ? DB_UNAVAILABLE : rc;
}

/* Every EAB credential of the tenant, by CA name (a tenant has at most one per configured CA). */
enum db_rc db_api_eab_list(struct db *db, const char *tenant_id, json_t **rows)
{
    const char *p[] = { tenant_id };
    return db_query_rows(db, "SELECT " DB_API_EAB_COLS " FROM tenant_eab e WHERE e.tenant_id = $1 ORDER BY e.ca", 1,
                         p, NULL, NULL, rows);
}

/* One EAB credential of the tenant. */
enum db_rc db_api_eab_get(struct db *db, const char *tenant_id, const char *ca, json_t **out)
{
    const char *p[] = { tenant_id, ca };
    return db_query_row(db, "SELECT " DB_API_EAB_COLS " FROM tenant_eab e WHERE e.tenant_id = $1 AND e.ca = $2", 2,
                        p, NULL, NULL, out);
}

/* Forgets the tenant's EAB credential for a CA (an account already registered with it stays). */
enum db_rc db_api_eab_delete(struct db *db, const char *tenant_id, const char *ca)
{
    const char *p[] = { tenant_id, ca };
    return db_command(db, "DELETE FROM tenant_eab WHERE tenant_id = $1 AND ca = $2", 2, p, NULL, NULL, true);
}
