/* work_cert — the worker's certificate queries: what a revoke job needs and its outcome. */
#include "db_internal.h"
#include "db_work.h"

#include <stdlib.h>

/* Reads the certificate a revoke job is about. */
enum db_rc db_work_cert_load(struct db *db, const char *cert_id, json_t **cert)
{
    static const char sql[] = "SELECT id, tenant_id, ca, status, domains, cert_pem, revoke_reason,"
                              " revoke_requested_at IS NOT NULL AS revoke_requested FROM certificates WHERE id = $1";
    const char *p[] = { cert_id };
    return db_query_row(db, sql, 1, p, NULL, NULL, cert);
}

/* Marks the certificate revoked; a repeated call keeps the first revocation time. */
enum db_rc db_work_cert_revoked(struct db *db, const char *cert_id)
{
    const char *p[] = { cert_id };
    return db_command(db,
                      "UPDATE certificates SET status = 'revoked', revoked_at = coalesce(revoked_at, now()),"
                      " revoke_problem = NULL, renew_at = NULL WHERE id = $1", /* a revoked one is not renewed (011) */
                      1, p, NULL, NULL, true);
}

/* Clears the pending request and keeps the CA's refusal; the status stays as it was. */
enum db_rc db_work_cert_revoke_refused(struct db *db, const char *cert_id, const json_t *problem)
{
    char *text = problem ? json_dumps(problem, JSON_COMPACT) : NULL;
    const char *p[] = { cert_id, text };
    enum db_rc rc = db_command(db,
                               "UPDATE certificates SET revoke_requested_at = NULL, revoke_problem = $2::jsonb"
                               " WHERE id = $1",
                               2, p, NULL, NULL, true);
    free(text);
    return rc;
}
