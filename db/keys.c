/* keys — the sealed columns of every table: pages of them, a compare-and-swap, counts by key id. */
#include "db_keys.h"
#include "db_internal.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The statements of one sealed column. */
struct db_sealed_sql {
    const char *name;
    /* $1 cursor, $2 limit -> cursor, tenant_id, aad_id, blob */
    const char *page;
    /* $1 tenant_id, $2 aad_id, $3 old blob, $4 new blob */
    const char *swap;
    /* -> version, key_id, count */
    const char *count;
};

/* A page in cursor order (keyset paging: the primary key's index serves WHERE and ORDER BY of "id"). */
#define DB_SEALED_PAGE(cur, col, aadid, table)                                                                     \
    "SELECT " cur " AS cursor, tenant_id, " aadid " AS aad_id, " col " FROM " table " WHERE " col                  \
    " IS NOT NULL AND (" cur ") > $1 ORDER BY (" cur ") LIMIT $2::int"
#define DB_SEALED_COUNT(col, table)                                                                                \
    "SELECT get_byte(" col ", 0) AS version, CASE WHEN get_byte(" col ", 0) = 2 AND octet_length(" col ") > 5"    \
    " THEN encode(substring(" col " FROM 2 FOR 4), 'hex') END AS key_id, count(*) AS count FROM " table " WHERE " \
    col " IS NOT NULL AND octet_length(" col ") > 0 GROUP BY 1, 2 ORDER BY 1, 2"

static const struct db_sealed_sql db_sealed_sqls[DB_SEALED_KINDS] = {
    [DB_SEALED_ACCOUNT_KEY] = { "acme_accounts.key_sealed",
                                DB_SEALED_PAGE("tenant_id || chr(1) || ca", "key_sealed", "ca", "acme_accounts"),
                                "UPDATE acme_accounts SET key_sealed = $4 WHERE tenant_id = $1 AND ca = $2"
                                " AND key_sealed = $3",
                                DB_SEALED_COUNT("key_sealed", "acme_accounts") },
    [DB_SEALED_ORDER_KEY] = { "orders.key_sealed", DB_SEALED_PAGE("id", "key_sealed", "id", "orders"),
                              "UPDATE orders SET key_sealed = $4 WHERE tenant_id = $1 AND id = $2 AND key_sealed = $3",
                              DB_SEALED_COUNT("key_sealed", "orders") },
    [DB_SEALED_CERT_KEY] = { "certificates.key_sealed", DB_SEALED_PAGE("id", "key_sealed", "order_id", "certificates"),
                             "UPDATE certificates SET key_sealed = $4 WHERE tenant_id = $1 AND order_id = $2"
                             " AND key_sealed = $3",
                             DB_SEALED_COUNT("key_sealed", "certificates") },
    [DB_SEALED_DNS_PROVIDER] = { "dns_providers.secret_sealed",
                                 DB_SEALED_PAGE("id", "secret_sealed", "id", "dns_providers"),
                                 "UPDATE dns_providers SET secret_sealed = $4 WHERE tenant_id = $1 AND id = $2"
                                 " AND secret_sealed = $3",
                                 DB_SEALED_COUNT("secret_sealed", "dns_providers") },
    [DB_SEALED_TENANT_EAB] = { "tenant_eab.hmac_sealed",
                               DB_SEALED_PAGE("tenant_id || chr(1) || ca", "hmac_sealed", "ca", "tenant_eab"),
                               "UPDATE tenant_eab SET hmac_sealed = $4 WHERE tenant_id = $1 AND ca = $2"
                               " AND hmac_sealed = $3",
                               DB_SEALED_COUNT("hmac_sealed", "tenant_eab") },
    [DB_SEALED_WEBHOOK_SECRET] = { "webhooks.secret_sealed", DB_SEALED_PAGE("id", "secret_sealed", "id", "webhooks"),
                                   "UPDATE webhooks SET secret_sealed = $4 WHERE tenant_id = $1 AND id = $2"
                                   " AND secret_sealed = $3",
                                   DB_SEALED_COUNT("secret_sealed", "webhooks") },
    [DB_SEALED_WEBHOOK_PREVIOUS] = { "webhooks.previous_secret_sealed",
                                     DB_SEALED_PAGE("id", "previous_secret_sealed", "id", "webhooks"),
                                     "UPDATE webhooks SET previous_secret_sealed = $4 WHERE tenant_id = $1 AND id = $2"
                                     " AND previous_secret_sealed = $3",
                                     DB_SEALED_COUNT("previous_secret_sealed", "webhooks") },
};

/* "table.column" of a kind. */
const char *db_sealed_kind_name(enum db_sealed_kind kind)
{
    return (unsigned)kind < DB_SEALED_KINDS ? db_sealed_sqls[kind].name : "?";
}

/* Up to limit rows of a kind holding a sealed value, after cursor, in cursor order. */
enum db_rc db_sealed_page(struct db *db, enum db_sealed_kind kind, const char *after, int limit,
                          struct db_sealed_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    if ((unsigned)kind >= DB_SEALED_KINDS)
        return DB_NOTFOUND;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = { after ? after : "", lim };
    enum db_rc rc;
    PGresult *res = db_exec(db, db_sealed_sqls[kind].page, 2, p, NULL, NULL, &rc);
    if (!res)
        return rc;
    int nt = PQntuples(res);
    struct db_sealed_row *r = xcalloc(nt > 0 ? (size_t)nt : 1, sizeof *r);
    for (int i = 0; i < nt; i++) {
        r[i].cursor = xstrdup(PQgetvalue(res, i, 0));
        r[i].tenant_id = xstrdup(PQgetvalue(res, i, 1));
        r[i].aad_id = xstrdup(PQgetvalue(res, i, 2));
        if (!db_get_bytea(res, i, 3, &r[i].blob, &r[i].len)) {
            r[i].blob = NULL;
            r[i].len = 0;
        }
    }
    PQclear(res);
    *rows = r;
    *n = (size_t)nt;
    return DB_OK;
}

/* Frees a page. */
void db_sealed_rows_free(struct db_sealed_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].cursor);
        free(rows[i].tenant_id);
        free(rows[i].aad_id);
        free(rows[i].blob);
    }
    free(rows);
}

/* Replaces the sealed value only while the row still holds old_blob. */
enum db_rc db_sealed_swap(struct db *db, enum db_sealed_kind kind, const char *tenant_id, const char *aad_id,
                          const unsigned char *old_blob, size_t old_len, const unsigned char *new_blob,
                          size_t new_len)
{
    if ((unsigned)kind >= DB_SEALED_KINDS)
        return DB_NOTFOUND;
    const char *p[] = { tenant_id, aad_id, (const char *)old_blob, (const char *)new_blob };
    int lens[] = { 0, 0, (int)old_len, (int)new_len }, bin[] = { 0, 0, 1, 1 };
    return db_command(db, db_sealed_sqls[kind].swap, 4, p, lens, bin, true);
}

/* Counts a kind's sealed values by blob version and key id. */
enum db_rc db_sealed_count(struct db *db, enum db_sealed_kind kind, json_t **out)
{
    *out = NULL;
    if ((unsigned)kind >= DB_SEALED_KINDS)
        return DB_NOTFOUND;
    return db_query_rows(db, db_sealed_sqls[kind].count, 0, NULL, NULL, NULL, out);
}
