/* api_limits — the abuse limits in the database: the key lookup that also gives the tenant's rate, and the quota check. */
#include "db_api.h"
#include "db_internal.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Finds the tenant of a non-revoked key by its SHA-256, with the tenant's own rate (one statement, as before). */
enum db_rc db_api_key_auth(struct db *db, const unsigned char hash[DB_API_HASH_LEN], char **tenant_id,
                           char **key_id, struct db_api_tenant_rate *rate)
{
    static const char sql[] = "SELECT k.tenant_id, t.rate_per_s, t.rate_burst, k.id FROM api_keys k"
                              " JOIN tenants t ON t.id = k.tenant_id"
                              " WHERE k.key_hash = $1 AND k.revoked_at IS NULL";
    const char *params[1] = { (const char *)hash };
    const int lens[1] = { DB_API_HASH_LEN };
    const int binary[1] = { 1 };
    enum db_rc rc;
    *tenant_id = NULL;
    *key_id = NULL;
    memset(rate, 0, sizeof *rate);
    PGresult *res = db_exec(db, sql, 1, params, lens, binary, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    *tenant_id = xstrdup(PQgetvalue(res, 0, 0));
    *key_id = xstrdup(PQgetvalue(res, 0, 3));
    if (!PQgetisnull(res, 0, 1)) {
        rate->has_per_s = true;
        rate->per_s = strtod(PQgetvalue(res, 0, 1), NULL);
    }
    if (!PQgetisnull(res, 0, 2)) {
        rate->has_burst = true;
        rate->burst = (int)strtol(PQgetvalue(res, 0, 2), NULL, 10);
    }
    PQclear(res);
    return DB_OK;
}

/* Reads column c of the one row as a long. */
static long db_api_limits_long(const PGresult *res, int c)
{
    return strtol(PQgetvalue(res, 0, c), NULL, 10);
}

/*
 * (tx) Checks the tenant's quotas for one more order. The per-tenant advisory lock makes
 * concurrent orders of one tenant count one after another, so a quota is exact; it is
 * taken in its own statement so the counts' snapshot comes after the wait.
 */
enum db_rc db_api_quota_check(struct db *db, const char *tenant_id, struct db_api_quota *q)
{
    static const char lock_sql[] = "SELECT pg_advisory_xact_lock(" DB_API_QUOTA_LOCK_CLASS ", hashtext($1))";
    static const char sql[] =
        "SELECT m.max_orders, m.max_certs,"
        " CASE WHEN m.max_orders < 0 THEN 0 ELSE (SELECT count(*) FROM orders o WHERE o.tenant_id = $1"
        "  AND o.status NOT IN ('issued', 'failed', 'cancelled')) END,"
        " CASE WHEN m.max_certs < 0 THEN 0 ELSE (SELECT count(*) FROM certificates c WHERE c.tenant_id = $1"
        "  AND c.status IN ('active', 'expiring')) END"
        " FROM (SELECT coalesce(t.max_active_orders, $2::bigint) AS max_orders,"
        "  coalesce(t.max_certificates, $3::bigint) AS max_certs FROM tenants t WHERE t.id = $1) m";
    q->exceeded = NULL;
    q->limit = q->used = 0;
    const char *lp[1] = { tenant_id };
    enum db_rc rc;
    PGresult *res = db_exec(db, lock_sql, 1, lp, NULL, NULL, &rc);
    if (!res)
        return rc;
    PQclear(res);
    char orders[24], certs[24];
    snprintf(orders, sizeof orders, "%ld", q->max_active_orders);
    snprintf(certs, sizeof certs, "%ld", q->max_certificates);
    const char *params[3] = { tenant_id, orders, certs };
    res = db_exec(db, sql, 3, params, NULL, NULL, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DB_UNAVAILABLE; /* the tenant is gone while its key still authenticated */
    }
    long max_orders = db_api_limits_long(res, 0), max_certs = db_api_limits_long(res, 1);
    long n_orders = db_api_limits_long(res, 2), n_certs = db_api_limits_long(res, 3);
    PQclear(res);
    if (max_orders >= 0 && n_orders >= max_orders) {
        q->exceeded = "max_active_orders";
        q->limit = max_orders;
        q->used = n_orders;
    } else if (max_certs >= 0 && n_certs >= max_certs) {
        q->exceeded = "max_certificates";
        q->limit = max_certs;
        q->used = n_certs;
    }
    return q->exceeded ? DB_CONFLICT : DB_OK;
}
