/* audit — the audit log rows (sql/017_audit.sql). */
#include "db_audit.h"
#include "db_internal.h"

#include <stdio.h>

/* Appends one row; the text columns are cut by the caller to the table's CHECK lengths. */
enum db_rc db_audit_insert(struct db *db, const struct db_audit *a)
{
    static const char sql[] = "INSERT INTO audit_log (tenant_id, api_key_id, actor, action, object_id, status,"
                              " remote_addr) VALUES ($1, $2, $3, left($4, 600), left($5, 200), $6::integer,"
                              " left($7, 200))";
    char status[16];
    snprintf(status, sizeof status, "%d", a->status);
    const char *params[] = { a->tenant_id, a->api_key_id, a->actor, a->action, a->object_id, status,
                             a->remote_addr };
    return db_command(db, sql, 7, params, NULL, NULL, false);
}

/* Lists rows newest first; a tenant is matched by id or by its current name. */
enum db_rc db_audit_list(struct db *db, const char *tenant, int limit, json_t **out)
{
    static const char sql[] =
        DB_CUSTOM_PLAN "SELECT a.id, a.at, a.tenant_id, a.api_key_id, a.actor, a.action, a.object_id, a.status, a.remote_addr"
        " FROM audit_log a WHERE $1::text IS NULL OR a.tenant_id = $1"
        " OR a.tenant_id = (SELECT t.id FROM tenants t WHERE t.name = $1)"
        " ORDER BY a.id DESC LIMIT $2::integer";
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *params[] = { tenant, lim };
    return db_query_rows(db, sql, 2, params, NULL, NULL, out);
}
