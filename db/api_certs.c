/* api_certs — the API's certificate queries: get, list and the sealed key. */
#include "db_api.h"
#include "db_internal.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_API_CERT_COLS                                                                                    \
    "c.id, c.order_id, c.domains, c.serial, c.not_before, c.not_after, c.status, c.ca, c.key_type"

/* Reads one certificate with its PEM text. */
enum db_rc db_api_cert_get(struct db *db, const char *tenant_id, const char *id, json_t **out)
{
    static const char sql[] = "SELECT " DB_API_CERT_COLS ", c.cert_pem AS certificate_pem, c.chain_pem,"
                              " c.created_at FROM certificates c WHERE c.tenant_id = $1 AND c.id = $2";
    const char *params[2] = { tenant_id, id };
    return db_query_row(db, sql, 2, params, NULL, NULL, out);
}

/* Reads one page of certificates, newest first, after the cursor. */
enum db_rc db_api_cert_list(struct db *db, const char *tenant_id, const struct db_api_cert_filter *f,
                            const struct db_api_page *page, json_t **rows)
{
    static const char sql[] =
        "SELECT " DB_API_CERT_COLS ", c.created_at,"
        " (extract(epoch FROM c.created_at) * 1000000)::bigint AS " DB_API_CURSOR_KEY
        " FROM certificates c WHERE c.tenant_id = $1"
        " AND ($2::text IS NULL OR c.status = $2)"
        " AND ($3::text IS NULL OR $3 = ANY (c.domains))"
        " AND ($4::bigint IS NULL OR (c.created_at, c.id) <"
        " (timestamptz 'epoch' + $4::bigint * interval '1 microsecond', $5::text))"
        " ORDER BY c.created_at DESC, c.id DESC LIMIT $6::integer";
    char cursor[32], limit[16];
    snprintf(cursor, sizeof cursor, "%lld", page->cursor_us);
    snprintf(limit, sizeof limit, "%d", page->limit + 1);
    const char *params[6] = { tenant_id, f->status, f->domain, page->has_cursor ? cursor : NULL,
                              page->has_cursor ? page->cursor_id : NULL, limit };
    enum db_rc rc;
    *rows = NULL;
    PGresult *res = db_exec(db, sql, 6, params, NULL, NULL, &rc);
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
