/* work_budget — the rate-limit budgets' events in PostgreSQL, counted alike by every worker. */
#include "db_budget.h"
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Advisory-lock class of budget keys (the CA gate uses 74053 and 74100 + slot). */
#define DB_BUDGET_LOCK_CLASS "74000"

/* Locks every key; sorted, so two workers taking overlapping sets cannot deadlock. */
enum db_rc db_budget_lock(struct db *db, const char *ca, const json_t *keys)
{
    char *k = json_dumps(keys, JSON_COMPACT);
    const char *p[] = { ca, k };
    enum db_rc rc = db_command(db,
                               "SELECT count(pg_advisory_xact_lock(" DB_BUDGET_LOCK_CLASS ", h)) FROM"
                               " (SELECT DISTINCT hashtext($1 || '|' || x) AS h"
                               "  FROM jsonb_array_elements_text($2::jsonb) x ORDER BY 1) s",
                               2, p, NULL, NULL, false);
    free(k);
    return rc;
}

/* Counts a key's window: the newest `limit` events, with the oldest of them and the clock. */
enum db_rc db_budget_count(struct db *db, const char *ca, const char *budget, const char *account, const char *key,
                           int limit, long window_s, const char *exclude_order, struct db_budget_count *out)
{
    char lim[16], win[24];
    snprintf(lim, sizeof lim, "%d", limit);
    snprintf(win, sizeof win, "%ld", window_s);
    const char *p[] = { ca, budget, account, key, win, lim, exclude_order };
    enum db_rc rc;
    /* The hourly sums first (022): an upper bound under the limit settles it in a few rows. */
    PGresult *res = db_exec(db,
                            "SELECT coalesce(sum(n), 0), extract(epoch FROM now())::float8 FROM rate_buckets"
                            " WHERE ca = $1 AND budget = $2 AND account = $3 AND key_md5 = md5($4)"
                            " AND hour >= date_trunc('hour', now() - make_interval(secs => $5::bigint), 'UTC')",
                            5, p, NULL, NULL, &rc);
    if (!res)
        return rc;
    long bound = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    out->now = strtod(PQgetvalue(res, 0, 1), NULL);
    PQclear(res);
    if (bound < limit) {
        out->counted = bound;
        out->oldest = 0;
        return DB_OK;
    }
    res = db_exec(db,
                            "SELECT count(*), coalesce(extract(epoch FROM min(at)), 0)::float8,"
                            " extract(epoch FROM now())::float8 FROM ("
                            " SELECT e.at FROM rate_events e"
                            " WHERE e.ca = $1 AND e.budget = $2 AND e.account = $3 AND md5(e.key) = md5($4)"
                            " AND e.key = $4 AND e.at > now() - make_interval(secs => $5::bigint)"
                            " AND ($7::text IS NULL OR e.order_id IS DISTINCT FROM $7::text)"
                            " AND (e.confirmed OR EXISTS (SELECT 1 FROM orders o WHERE o.id = e.order_id"
                            "   AND o.status NOT IN ('failed', 'cancelled')))"
                            " ORDER BY e.at DESC LIMIT $6::int) s",
                            7, p, NULL, NULL, &rc);
    if (!res)
        return rc;
    out->counted = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    out->oldest = strtod(PQgetvalue(res, 0, 1), NULL);
    out->now = strtod(PQgetvalue(res, 0, 2), NULL);
    PQclear(res);
    return DB_OK;
}

/* Inserts one event; a reservation the order already holds is not taken twice. */
enum db_rc db_budget_add(struct db *db, const char *ca, const char *budget, const char *account, const char *key,
                         const char *order_id, bool confirmed)
{
    const char *p[] = { ca, budget, account, key, order_id, confirmed ? "true" : "false" };
    return db_command(db,
                      "INSERT INTO rate_events (ca, budget, account, key, order_id, confirmed)"
                      " VALUES ($1, $2, $3, $4, $5, $6::boolean)"
                      " ON CONFLICT (order_id, budget, md5(key))"
                      "   WHERE budget IN ('certs_per_domain', 'certs_per_name_set') DO NOTHING",
                      6, p, NULL, NULL, false);
}

/* Turns the order's reservations into issued certificates, counted from now. */
enum db_rc db_budget_confirm(struct db *db, const char *order_id)
{
    const char *p[] = { order_id };
    return db_command(db,
                      "UPDATE rate_events SET confirmed = true, at = now()"
                      " WHERE order_id = $1 AND NOT confirmed",
                      1, p, NULL, NULL, false);
}

/* Deletes what no window can count any more; a reservation of an order in progress stays. */
enum db_rc db_budget_prune(struct db *db, const char *ca, long window_s)
{
    char win[24];
    snprintf(win, sizeof win, "%ld", window_s);
    const char *p[] = { ca, win };
    enum db_rc rc = db_command(db,
                               "DELETE FROM rate_events e WHERE e.ca = $1"
                               " AND e.at < now() - make_interval(secs => $2::bigint)"
                               " AND (e.confirmed OR NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = e.order_id"
                               "   AND o.status NOT IN ('failed', 'cancelled', 'issued')))",
                               2, p, NULL, NULL, false);
    /* Hours no window reaches any more (an event kept there and moved later is simply not taken off). */
    if (rc == DB_OK)
        rc = db_command(db,
                        "DELETE FROM rate_buckets WHERE ca = $1"
                        " AND hour < now() - make_interval(secs => $2::bigint) - interval '1 hour'",
                        2, p, NULL, NULL, false);
    return rc;
}

/* A renewal: an unexpired certificate of the tenant from this CA with exactly these names. */
enum db_rc db_budget_is_renewal(struct db *db, const char *tenant_id, const char *ca, const json_t *names,
                                bool *renewal)
{
    char *n = json_dumps(names, JSON_COMPACT);
    const char *p[] = { tenant_id, ca, n };
    char *v = NULL;
    enum db_rc rc = db_query_text(db,
                                  "WITH want AS (SELECT ARRAY(SELECT jsonb_array_elements_text($3::jsonb)) AS d)"
                                  " SELECT EXISTS (SELECT 1 FROM certificates c, want"
                                  " WHERE c.tenant_id = $1 AND c.ca = $2 AND c.domains @> want.d"
                                  " AND c.domains <@ want.d AND c.not_after > now())::text",
                                  3, p, NULL, NULL, &v);
    free(n);
    *renewal = rc == DB_OK && v && strcmp(v, "true") == 0;
    free(v);
    return rc;
}

/* Stores or clears the order's waiting reason. */
enum db_rc db_budget_order_waiting(struct db *db, const char *order_id, const json_t *waiting)
{
    char *w = waiting ? json_dumps(waiting, JSON_COMPACT) : NULL;
    const char *p[] = { order_id, w };
    enum db_rc rc = db_command(db,
                               "UPDATE orders SET waiting = $2::jsonb, updated_at = now()"
                               " WHERE id = $1 AND waiting IS DISTINCT FROM $2::jsonb",
                               2, p, NULL, NULL, false);
    free(w);
    return rc;
}
