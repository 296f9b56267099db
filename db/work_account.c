/* work_account — ACME accounts per tenant and CA, and tenants' own EAB credentials. */
#include "db_internal.h"
#include "db_work.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads the account row of a tenant at a CA. */
enum db_rc db_account_get(struct db *db, const char *tenant_id, const char *ca, long long *id, unsigned char **key,
                          size_t *keylen, char **url)
{
    const char *p[] = { tenant_id, ca };
    enum db_rc rc;
    PGresult *res = db_exec(db, "SELECT id, key_sealed, url FROM acme_accounts WHERE tenant_id = $1 AND ca = $2", 2,
                            p, NULL, NULL, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0 || !db_get_bytea(res, 0, 1, key, keylen)) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    *id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    *url = PQgetisnull(res, 0, 2) ? NULL : xstrdup(PQgetvalue(res, 0, 2));
    PQclear(res);
    return DB_OK;
}

/* Inserts an account key; when another worker got there first its key stays. */
enum db_rc db_account_insert(struct db *db, const char *tenant_id, const char *ca, const unsigned char *key,
                             size_t keylen)
{
    const char *p[] = { tenant_id, ca, (const char *)key };
    int lens[] = { 0, 0, (int)keylen }, bin[] = { 0, 0, 1 };
    return db_command(db,
                      "INSERT INTO acme_accounts (tenant_id, ca, key_sealed) VALUES ($1, $2, $3)"
                      " ON CONFLICT (tenant_id, ca) DO NOTHING",
                      3, p, lens, bin, false);
}

/* Stores the account URL. */
enum db_rc db_account_set_url(struct db *db, long long id, const char *url)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *p[] = { ids, url };
    return db_command(db, "UPDATE acme_accounts SET url = $2 WHERE id = $1", 2, p, NULL, NULL, true);
}

/* Reads the tenant's own EAB credential for a CA: key id, algorithm, sealed MAC key (caller frees all). */
enum db_rc db_tenant_eab_get(struct db *db, const char *tenant_id, const char *ca, char **kid, char **alg,
                             unsigned char **sealed, size_t *len)
{
    const char *p[] = { tenant_id, ca };
    enum db_rc rc;
    *kid = *alg = NULL;
    *sealed = NULL;
    *len = 0;
    PGresult *res = db_exec(db, "SELECT eab_kid, eab_alg, hmac_sealed FROM tenant_eab WHERE tenant_id = $1 AND ca = $2",
                            2, p, NULL, NULL, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0 || !db_get_bytea(res, 0, 2, sealed, len)) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    *kid = xstrdup(PQgetvalue(res, 0, 0));
    *alg = xstrdup(PQgetvalue(res, 0, 1));
    PQclear(res);
    return DB_OK;
}
