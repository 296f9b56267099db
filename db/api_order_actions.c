/* api_order_actions — the panel's actions on an order: cancel and retry. */
#include "db_api.h"
#include "db_internal.h"

#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* The statuses an order can be cancelled in: nothing has been sent to finalize yet. */
static bool db_api_cancellable(const char *st)
{
    return st && (strcmp(st, "queued") == 0 || strcmp(st, "pending_validation") == 0 ||
                  strcmp(st, "action_required") == 0);
}

/* The steps of db_api_order_cancel inside its transaction. */
static enum db_rc db_api_order_cancel_tx(struct db *db, const char *tenant_id, const char *id, char **status)
{
    /* The order row first, then its job: the order a worker's outcome transaction locks them in
     * (the order's new state, then the fenced job update), so the two never deadlock. */
    static const char lock_sql[] =
        "SELECT o.status, EXISTS (SELECT 1 FROM authorizations a WHERE a.order_id = o.id) AS reached_ca"
        " FROM orders o WHERE o.tenant_id = $1 AND o.id = $2 FOR UPDATE";
    static const char order_sql[] = "UPDATE orders SET status = 'cancelled', problem = NULL, updated_at = now()"
                                    " WHERE tenant_id = $1 AND id = $2";
    static const char drop_sql[] = "DELETE FROM jobs WHERE order_id = $1";
    /* The moved fence makes a worker still holding the step drop its outcome (step_tx_begin);
     * the clean-up waits until that worker's lease is over, so it sees what the worker published. */
    static const char cleanup_sql[] =
        "UPDATE jobs SET fence = fence + 1, due_at = greatest(now(), coalesce(lease_until, now())),"
        " lease_owner = NULL, lease_until = NULL, attempts = 0, polls = 0, last_error = NULL WHERE order_id = $1";
    static const char notify_sql[] = "SELECT pg_notify('certmill_jobs', '')";
    static const char log_sql[] = "INSERT INTO order_log (order_id, message) VALUES ($1, $2)";
    const char *params[2] = { tenant_id, id };
    json_t *row = NULL;
    enum db_rc rc = db_query_row(db, lock_sql, 2, params, NULL, NULL, &row);
    if (rc != DB_OK)
        return rc;
    const char *st = json_string_value(json_object_get(row, "status"));
    bool reached_ca = json_is_true(json_object_get(row, "reached_ca"));
    if (!db_api_cancellable(st)) {
        *status = xstrdup(st ? st : "unknown");
        json_decref(row);
        return DB_CONFLICT;
    }
    json_decref(row);
    rc = db_command(db, order_sql, 2, params, NULL, NULL, true);
    /* Before the CA was asked nothing was published: the job simply goes. After, a worker
     * removes the DNS records and webroot files (step_dispatch) and then the job. */
    if (rc == DB_OK)
        rc = db_command(db, reached_ca ? cleanup_sql : drop_sql, 1, &params[1], NULL, NULL, false);
    if (rc == DB_OK && reached_ca)
        rc = db_command(db, notify_sql, 0, NULL, NULL, NULL, false);
    const char *lp[2] = { id, reached_ca ? "cancelled by the panel; a worker removes its challenge records"
                                         : "cancelled by the panel" };
    if (rc == DB_OK)
        rc = db_command(db, log_sql, 2, lp, NULL, NULL, false);
    return rc;
}

/* Cancels an order that has not reached finalize. */
enum db_rc db_api_order_cancel(struct db *db, const char *tenant_id, const char *id, char **status)
{
    *status = NULL;
    enum db_rc rc = db_begin(db);
    if (rc != DB_OK)
        return rc;
    rc = db_api_order_cancel_tx(db, tenant_id, id, status);
    if (rc == DB_OK)
        return db_commit(db);
    db_rollback(db);
    return rc;
}

/* The steps of db_api_order_retry inside its transaction. */
static enum db_rc db_api_order_retry_tx(struct db *db, const char *tenant_id, const char *id, char **status)
{
    static const char lock_sql[] = "SELECT o.status FROM orders o WHERE o.tenant_id = $1 AND o.id = $2 FOR UPDATE";
    static const char authz_sql[] = "DELETE FROM authorizations WHERE order_id = $1";
    /* Everything the last run learnt goes, except the key (reused as after a CA restart) and the
     * CA the order ended at (a failover already moved past the ones that refused it). */
    static const char order_sql[] =
        "UPDATE orders SET status = 'queued', step = 'preflight', problem = NULL, preflight = NULL,"
        " acme_order_url = NULL, finalize_url = NULL, cert_url = NULL, step_since = now(), updated_at = now()"
        " WHERE tenant_id = $1 AND id = $2";
    /* A failed order keeps no job; one left over is taken over with a new fence. The insert wakes workers. */
    static const char job_sql[] =
        "INSERT INTO jobs (order_id) VALUES ($1) ON CONFLICT (order_id) DO UPDATE SET due_at = now(),"
        " attempts = 0, polls = 0, fence = jobs.fence + 1, lease_owner = NULL, lease_until = NULL, last_error = NULL";
    static const char log_sql[] = "INSERT INTO order_log (order_id, message) VALUES ($1, 'started again by the panel')";
    const char *params[2] = { tenant_id, id };
    json_t *row = NULL;
    enum db_rc rc = db_query_row(db, lock_sql, 2, params, NULL, NULL, &row);
    if (rc != DB_OK)
        return rc;
    const char *st = json_string_value(json_object_get(row, "status"));
    if (!st || strcmp(st, "failed") != 0) {
        *status = xstrdup(st ? st : "unknown");
        json_decref(row);
        return DB_CONFLICT;
    }
    json_decref(row);
    rc = db_command(db, authz_sql, 1, &params[1], NULL, NULL, false);
    if (rc == DB_OK)
        rc = db_command(db, order_sql, 2, params, NULL, NULL, true);
    if (rc == DB_OK)
        rc = db_command(db, job_sql, 1, &params[1], NULL, NULL, false);
    if (rc == DB_OK)
        rc = db_command(db, log_sql, 1, &params[1], NULL, NULL, false);
    return rc;
}

/* Starts a failed order again from its first step with a fresh job. */
enum db_rc db_api_order_retry(struct db *db, const char *tenant_id, const char *id, char **status)
{
    *status = NULL;
    enum db_rc rc = db_begin(db);
    if (rc != DB_OK)
        return rc;
    rc = db_api_order_retry_tx(db, tenant_id, id, status);
    if (rc == DB_OK)
        return db_commit(db);
    db_rollback(db);
    return rc;
}
