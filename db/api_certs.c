/* api_certs — the API's certificate queries: get, list and the sealed key. */
#include "db_api.h"
#include "db_internal.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_API_CERT_COLS                                                                                    \
    "c.id, c.order_id, c.domains, c.serial, c.not_before, c.not_after, c.status, c.ca, c.key_type,"    \
    " c.revoke_reason, c.revoke_requested_at, c.revoked_at, c.revoke_problem,"                          \
    " c.auto_renew, c.renew_at, c.renewal_order_id, c.superseded_by"

/* Reads one certificate with its PEM text. */
enum db_rc db_api_cert_get(struct db *db, const char *tenant_id, const char *id, json_t **out)
{
    static const char sql[] = "SELECT " DB_API_CERT_COLS ", c.cert_pem AS certificate_pem,"
                              " (SELECT h.pem FROM chains h WHERE h.id = c.chain_id) AS chain_pem,"
                              " c.renewal_window_start, c.renewal_window_end,"
                              " c.created_at FROM certificates c WHERE c.tenant_id = $1 AND c.id = $2";
    const char *params[2] = { tenant_id, id };
    return db_query_row(db, sql, 2, params, NULL, NULL, out);
}

/* Reads one page of certificates, newest first, after the cursor. */
enum db_rc db_api_cert_list(struct db *db, const char *tenant_id, const struct db_api_cert_filter *f,
                            const struct db_api_page *page, json_t **rows)
{
#define DB_API_CERT_ROWS(source)                                                                          \
    "SELECT " DB_API_CERT_COLS ", c.created_at,"                                                          \
    " (extract(epoch FROM c.created_at) * 1000000)::bigint AS " DB_API_CURSOR_KEY " FROM " source
#define DB_API_CERT_LIST(source)                                                                          \
    DB_API_CERT_ROWS(source) " WHERE c.tenant_id = $1"                                                                            \
    " AND ($2::text IS NULL OR c.status = $2)"                                                           \
    " AND ($3::text IS NULL OR c.domains @> ARRAY[$3::text])"                                            \
    " AND ($4::bigint IS NULL OR (c.created_at, c.id) <"                                                 \
    " (timestamptz 'epoch' + $4::bigint * interval '1 microsecond', $5::text))"                          \
    " AND ($7::text IS NULL OR EXISTS (SELECT 1 FROM orders o WHERE o.id = c.order_id"                   \
    "   AND o.tenant_id = c.tenant_id AND o.customer_ref = $7))"                                          \
    " AND ($8::timestamptz IS NULL OR c.not_after < $8::timestamptz)"                                    \
    " ORDER BY c.created_at DESC, c.id DESC LIMIT $6::integer"
    static const char sql[] = DB_CUSTOM_PLAN DB_API_CERT_LIST("certificates c");
    /* ?domain=: the name's few certificates from the GIN index first (see db_api_order_list). */
    static const char sql_domain[] =
        DB_CUSTOM_PLAN "WITH m AS MATERIALIZED (SELECT * FROM certificates WHERE tenant_id = $1 AND domains @> ARRAY[$3::text]) "
        DB_API_CERT_LIST("m c");
#undef DB_API_CERT_LIST
    /* Without a filter: prepared statements whose one plan fits every call (see db_api_order_list). */
    static const char sql_page[] = DB_API_CERT_ROWS("certificates c")
        " WHERE c.tenant_id = $1 ORDER BY c.created_at DESC, c.id DESC LIMIT $2::integer";
    static const char sql_page_after[] = DB_API_CERT_ROWS("certificates c")
        " WHERE c.tenant_id = $1 AND (c.created_at, c.id) <"
        " (timestamptz 'epoch' + $3::bigint * interval '1 microsecond', $4::text)"
        " ORDER BY c.created_at DESC, c.id DESC LIMIT $2::integer";
#undef DB_API_CERT_ROWS
    char cursor[32], limit[16];
    snprintf(cursor, sizeof cursor, "%lld", page->cursor_us);
    snprintf(limit, sizeof limit, "%d", page->limit + 1);
    enum db_rc rc;
    *rows = NULL;
    PGresult *res;
    if (!f->status && !f->domain && !f->customer_ref && !f->expires_before) {
        const char *pp[4] = { tenant_id, limit, cursor, page->cursor_id };
        res = db_exec(db, page->has_cursor ? sql_page_after : sql_page, page->has_cursor ? 4 : 2, pp, NULL, NULL,
                      &rc);
    } else {
        const char *params[8] = { tenant_id, f->status, f->domain, page->has_cursor ? cursor : NULL,
                                  page->has_cursor ? page->cursor_id : NULL, limit, f->customer_ref,
                                  f->expires_before };
        res = db_exec(db, f->domain ? sql_domain : sql, 8, params, NULL, NULL, &rc);
    }
    if (!res)
        return rc;
    *rows = db_rows_json(res);
    PQclear(res);
    return DB_OK;
}

/* Reads the sealed key of a certificate and what its seal is bound to. */
enum db_rc db_api_cert_key(struct db *db, const char *tenant_id, const char *id, char **key_type,
                           char **order_id, unsigned char **blob, size_t *len)
{
    static const char sql[] =
        "SELECT c.key_type, c.order_id, c.key_sealed FROM certificates c WHERE c.tenant_id = $1 AND c.id = $2";
    const char *params[2] = { tenant_id, id };
    enum db_rc rc;
    *key_type = NULL;
    *order_id = NULL;
    *blob = NULL;
    *len = 0;
    PGresult *res = db_exec(db, sql, 2, params, NULL, NULL, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    *key_type = PQgetisnull(res, 0, 0) ? NULL : xstrdup(PQgetvalue(res, 0, 0));
    *order_id = xstrdup(PQgetvalue(res, 0, 1));
    if (!db_get_bytea(res, 0, 2, blob, len)) {
        *blob = NULL;
        *len = 0;
    }
    PQclear(res);
    return DB_OK;
}

/* The steps of db_api_cert_revoke inside its transaction. */
static enum db_rc db_api_cert_revoke_tx(struct db *db, const char *tenant_id, const char *id, int reason)
{
    /* The row lock orders this against a worker writing the revocation's outcome. */
    static const char lock_sql[] = "SELECT c.status, c.revoke_requested_at IS NOT NULL AS pending FROM certificates c"
                                   " WHERE c.tenant_id = $1 AND c.id = $2 FOR UPDATE";
    static const char cert_sql[] = "UPDATE certificates SET revoke_reason = $3::int, revoke_requested_at = now(),"
                                   " revoke_problem = NULL WHERE tenant_id = $1 AND id = $2";
    /* A job left from an earlier request (none should be) is simply reused. */
    static const char job_sql[] = "INSERT INTO jobs (kind, certificate_id) VALUES ('revoke', $1)"
                                  " ON CONFLICT (certificate_id) DO UPDATE SET due_at = now()";
    char rs[16];
    snprintf(rs, sizeof rs, "%d", reason);
    const char *params[3] = { tenant_id, id, rs };
    json_t *row = NULL;
    enum db_rc rc = db_query_row(db, lock_sql, 2, params, NULL, NULL, &row);
    if (rc != DB_OK)
        return rc;
    const char *st = json_string_value(json_object_get(row, "status"));
    bool revoked = st && strcmp(st, "revoked") == 0;
    bool pending = json_is_true(json_object_get(row, "pending"));
    json_decref(row);
    if (revoked)
        return DB_CONFLICT;
    /* A second request while the first is pending changes nothing: the first reason stands. */
    if (pending)
        return DB_OK;
    rc = db_command(db, cert_sql, 3, params, NULL, NULL, true);
    if (rc == DB_OK)
        rc = db_command(db, job_sql, 1, &params[1], NULL, NULL, false);
    return rc;
}

/* Records the revocation request and queues its job, in one transaction. */
enum db_rc db_api_cert_revoke(struct db *db, const char *tenant_id, const char *id, int reason)
{
    enum db_rc rc = db_begin(db);
    if (rc != DB_OK)
        return rc;
    rc = db_api_cert_revoke_tx(db, tenant_id, id, reason);
    if (rc == DB_OK)
        return db_commit(db);
    db_rollback(db);
    return rc;
}
