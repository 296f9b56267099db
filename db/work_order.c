/* work_order — the worker's reads and writes of orders, authorizations and certificates. */
#include "db_internal.h"
#include "db_work.h"

#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads the order row, its sealed key, the customer's CSR and its authorizations. */
enum db_rc db_work_order_load(struct db *db, const char *order_id, json_t **order, json_t **authzs,
                              struct db_order_blobs *blobs)
{
    static const char sql[] =
        "SELECT o.id, o.tenant_id, o.status, o.step, o.domains, o.challenge, o.key_type, o.ca, o.customer_ref,"
        " o.acme_order_url, o.finalize_url, o.cert_url, o.certificate_id, o.dns_provider_id, o.allow_partial,"
        " extract(epoch FROM now() - o.step_since)::int AS step_age_s, o.failover_cas,"
        " o.new_order_sent_at IS NOT NULL AS new_order_sent, o.replaces_certificate_id,"
        " o.waiting IS NOT NULL AS waiting_shown, o.profile,"
        " (SELECT r.ari_cert_id FROM certificates r WHERE r.id = o.replaces_certificate_id) AS replaces_ari_cert_id,"
        " (SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM"
        "  (SELECT a.id, a.url, a.domain, a.wildcard, a.status, a.challenge_type, a.challenge_url, a.token,"
        "   a.key_authorization, a.responded_at IS NOT NULL AS responded, a.record_name, a.record_value,"
        "   a.record_target, a.record_zone, a.published_at IS NOT NULL AS published,"
        "   a.propagated_at IS NOT NULL AS propagated, a.cleaned_at IS NOT NULL AS cleaned,"
        "   greatest(0, ceil(extract(epoch FROM a.poll_after - now()) * 1000))::bigint AS poll_wait_ms"
        "   FROM authorizations a WHERE a.order_id = o.id) x) AS authzs,"
        " o.key_sealed, o.csr_der, ac.id AS account_id, ac.key_sealed AS account_sealed, ac.url AS account_url"
        " FROM orders o LEFT JOIN acme_accounts ac ON ac.tenant_id = o.tenant_id AND ac.ca = o.ca"
        " WHERE o.id = $1";
    const char *p[] = { order_id };
    enum db_rc rc;
    memset(blobs, 0, sizeof *blobs);
    *order = *authzs = NULL;
    PGresult *res = db_exec(db, sql, 1, p, NULL, NULL, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    *order = db_row_json(res, 0);
    *authzs = json_incref(json_object_get(*order, "authzs"));
    /* What is not the order's own goes out of its row. */
    static const char *const extra[] = { "authzs", "account_id", "account_url", NULL };
    for (const char *const *k = extra; *k; k++)
        json_object_del(*order, *k);
    if (!json_is_array(*authzs)) {
        json_decref(*authzs);
        *authzs = json_array();
    }
    db_get_bytea(res, 0, PQfnumber(res, "key_sealed"), &blobs->key_sealed, &blobs->key_len);
    db_get_bytea(res, 0, PQfnumber(res, "csr_der"), &blobs->csr_der, &blobs->csr_len);
    int acol = PQfnumber(res, "account_id");
    if (!PQgetisnull(res, 0, acol) &&
        db_get_bytea(res, 0, PQfnumber(res, "account_sealed"), &blobs->account_sealed, &blobs->account_len)) {
        blobs->account_id = strtoll(PQgetvalue(res, 0, acol), NULL, 10);
        int ucol = PQfnumber(res, "account_url");
        blobs->account_url = PQgetisnull(res, 0, ucol) ? NULL : xstrdup(PQgetvalue(res, 0, ucol));
    }
    PQclear(res);
    return DB_OK;
}

/* Frees what db_work_order_load put in blobs. */
void db_order_blobs_free(struct db_order_blobs *blobs)
{
    free(blobs->key_sealed);
    free(blobs->csr_der);
    free(blobs->account_sealed);
    free(blobs->account_url);
    memset(blobs, 0, sizeof *blobs);
}

/* Moves the order along; problem NULL clears it. */
enum db_rc db_work_order_state(struct db *db, const char *order_id, const char *status, const char *step,
                               const json_t *problem)
{
    char *pj = problem ? json_dumps(problem, JSON_COMPACT) : NULL;
    const char *p[] = { order_id, status, step, pj };
    enum db_rc rc = db_command(db,
                                  "UPDATE orders SET status = $2, step = $3, problem = $4::jsonb, updated_at = now(),"
                                  " step_since = CASE WHEN step = $3 THEN step_since ELSE now() END"
                                  " WHERE id = $1",
                                  4, p, NULL, NULL, true);
    free(pj);
    return rc;
}

/* Records the CA's order URL and finalize URL. */
enum db_rc db_work_order_acme(struct db *db, const char *order_id, const char *order_url, const char *finalize_url)
{
    const char *p[] = { order_id, order_url, finalize_url };
    return db_command(db,
                         "UPDATE orders SET acme_order_url = $2, finalize_url = $3, updated_at = now() WHERE id = $1",
                         3, p, NULL, NULL, true);
}

/* Records the certificate URL. */
enum db_rc db_work_order_cert_url(struct db *db, const char *order_id, const char *cert_url)
{
    const char *p[] = { order_id, cert_url };
    return db_command(db, "UPDATE orders SET cert_url = $2, updated_at = now() WHERE id = $1", 2, p, NULL, NULL, true);
}

/* Stores the sealed certificate key of the order. */
enum db_rc db_work_order_key(struct db *db, const char *order_id, const unsigned char *sealed, size_t len)
{
    const char *p[] = { order_id, (const char *)sealed };
    int lens[] = { 0, (int)len }, bin[] = { 0, 1 };
    return db_command(db, "UPDATE orders SET key_sealed = $2 WHERE id = $1", 2, p, lens, bin, true);
}

/* Sends the order back to its first step; its key (if made) is kept for the new CA order. */
enum db_rc db_work_order_restart(struct db *db, const char *order_id)
{
    const char *p[] = { order_id };
    enum db_rc rc = db_command(db, "DELETE FROM authorizations WHERE order_id = $1", 1, p, NULL, NULL, false);
    if (rc != DB_OK)
        return rc;
    return db_command(db,
                         "UPDATE orders SET acme_order_url = NULL, finalize_url = NULL, cert_url = NULL,"
                         " new_order_sent_at = NULL, status = 'queued', step = 'new_order', updated_at = now()"
                         " WHERE id = $1",
                         1, p, NULL, NULL, true);
}

/*
 * Moves the order to the next CA of its fallback list: what it had at the old CA is
 * forgotten (as on a restart), the failover is recorded, and it starts again at the
 * pre-flight (the CAA check depends on the CA). DB_NOTFOUND when no fallback is left.
 */
enum db_rc db_work_order_failover(struct db *db, const char *order_id, const json_t *entry, char **new_ca)
{
    char *e = json_dumps(entry, JSON_COMPACT);
    const char *p[] = { order_id, e };
    *new_ca = NULL;
    enum db_rc rc = db_command(db, "DELETE FROM authorizations WHERE order_id = $1", 1, p, NULL, NULL, false);
    if (rc == DB_OK)
        rc = db_query_text(db,
                           "UPDATE orders SET ca = failover_cas[1], failover_cas = failover_cas[2:],"
                           " failovers = failovers || jsonb_build_array($2::jsonb),"
                           " acme_order_url = NULL, finalize_url = NULL, cert_url = NULL, problem = NULL,"
                           " new_order_sent_at = NULL,"
                           " status = 'queued', step = 'preflight', updated_at = now()"
                           " WHERE id = $1 AND cardinality(failover_cas) > 0 RETURNING ca",
                           2, p, NULL, NULL, new_ca);
    free(e);
    return rc;
}

/* Adds an authorization URL to the order; a repeat is ignored. */
enum db_rc db_work_authz_add(struct db *db, const char *order_id, const char *url)
{
    const char *p[] = { order_id, url };
    return db_command(db,
                      "INSERT INTO authorizations (order_id, url, domain) VALUES ($1, $2, '')"
                      " ON CONFLICT (order_id, url) DO NOTHING",
                      2, p, NULL, NULL, false);
}

/* Writes the CA's view of an authorization. */
enum db_rc db_work_authz_update(struct db *db, const struct db_authz_update *u)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", u->id);
    char *pj = u->problem ? json_dumps(u->problem, JSON_COMPACT) : NULL;
    char ra[24];
    snprintf(ra, sizeof ra, "%ld", u->retry_after_s > 3600 ? 3600 : u->retry_after_s);
    const char *p[] = { id,
                        u->domain,
                        u->wildcard ? "true" : "false",
                        u->status,
                        u->challenge_type,
                        u->challenge_url,
                        u->token,
                        u->key_authorization,
                        pj,
                        u->record_name,
                        u->record_value,
                        ra };
    enum db_rc rc = db_command(db,
                                  "UPDATE authorizations SET domain = coalesce($2, domain), wildcard = $3::boolean,"
                                  " status = $4, challenge_type = coalesce($5, challenge_type),"
                                  " challenge_url = coalesce($6, challenge_url), token = coalesce($7, token),"
                                  " key_authorization = coalesce($8, key_authorization),"
                                  " problem = coalesce($9::jsonb, problem), record_name = coalesce($10, record_name),"
                                  " record_value = coalesce($11, record_value),"
                                  " poll_after = CASE WHEN $12::int > 0 THEN now() + $12::int * interval '1 second' END"
                                  " WHERE id = $1",
                                  12, p, NULL, NULL, true);
    free(pj);
    return rc;
}

/* Records where an authorization's DNS record lives (after CNAMEs) and its zone. */
enum db_rc db_work_authz_target(struct db *db, long long authz_id, const char *target, const char *zone)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", authz_id);
    const char *p[] = { id, target, zone };
    return db_command(db, "UPDATE authorizations SET record_target = $2, record_zone = $3 WHERE id = $1", 3, p, NULL,
                      NULL, true);
}

/* Stamps one moment of an authorization's DNS record: published, propagated or cleaned. */
enum db_rc db_work_authz_dns_mark(struct db *db, long long authz_id, enum db_dns_mark mark)
{
    static const char *const sql[] = {
        [DB_DNS_PUBLISHED] = "UPDATE authorizations SET published_at = now(), cleaned_at = NULL WHERE id = $1",
        [DB_DNS_PROPAGATED] = "UPDATE authorizations SET propagated_at = now() WHERE id = $1",
        [DB_DNS_CLEANED] = "UPDATE authorizations SET cleaned_at = now() WHERE id = $1",
    };
    char id[24];
    snprintf(id, sizeof id, "%lld", authz_id);
    const char *p[] = { id };
    return db_command(db, sql[mark], 1, p, NULL, NULL, true);
}

/* Records the pre-flight: per-name results, and (allow_partial) the names kept and dropped. */
enum db_rc db_work_order_preflight(struct db *db, const char *order_id, const json_t *results, const json_t *kept,
                                   const json_t *dropped)
{
    char *r = json_dumps(results, JSON_COMPACT);
    char *k = kept ? json_dumps(kept, JSON_COMPACT) : NULL;
    char *d = dropped ? json_dumps(dropped, JSON_COMPACT) : NULL;
    const char *p[] = { order_id, r, k, d };
    enum db_rc rc = db_command(db,
                               "UPDATE orders SET preflight = $2::jsonb,"
                               " domains = CASE WHEN $3::jsonb IS NULL THEN domains"
                               "   ELSE array(SELECT jsonb_array_elements_text($3::jsonb)) END,"
                               " dropped_domains = CASE WHEN $4::jsonb IS NULL THEN dropped_domains"
                               "   ELSE dropped_domains || array(SELECT jsonb_array_elements_text($4::jsonb)) END,"
                               " updated_at = now() WHERE id = $1",
                               4, p, NULL, NULL, true);
    free(r);
    free(k);
    free(d);
    return rc;
}

/* Publishes a self-check probe for the HTTP-01 responder (outside any transaction: it must be visible now). */
enum db_rc db_work_probe_add(struct db *db, const char *token, const char *key_authorization)
{
    const char *p[] = { token, key_authorization };
    return db_command(db, "INSERT INTO http01_probes (token, key_authorization) VALUES ($1, $2)", 2, p, NULL, NULL,
                      false);
}

/* Withdraws a probe, and any that expired (a crashed worker's). */
enum db_rc db_work_probe_remove(struct db *db, const char *token)
{
    const char *p[] = { token };
    return db_command(db, "DELETE FROM http01_probes WHERE token = $1 OR expires_at < now()", 1, p, NULL, NULL,
                      false);
}

/* Adds a line to the order's log (cut to the column's limit; never a secret). */
enum db_rc db_work_order_log(struct db *db, const char *order_id, const char *message)
{
    char cut[2001];
    snprintf(cut, sizeof cut, "%s", message);
    const char *p[] = { order_id, cut };
    return db_command(db, "INSERT INTO order_log (order_id, message) VALUES ($1, $2)", 2, p, NULL, NULL, false);
}

/* Marks the challenge as answered. */
enum db_rc db_work_authz_responded(struct db *db, long long authz_id)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", authz_id);
    const char *p[] = { id };
    return db_command(db, "UPDATE authorizations SET responded_at = now() WHERE id = $1", 1, p, NULL, NULL, true);
}

/* The id of the stored chain with this PEM text, stored now if new (chains are kept once, by SHA-256). */
static enum db_rc db_work_chain_id(struct db *db, const char *chain_pem, char **chain_id)
{
    static const char sql[] =
        "WITH h AS (SELECT sha256(convert_to($1::text, 'UTF8')) AS sha256),"
        " s AS (SELECT c.id FROM chains c, h WHERE c.sha256 = h.sha256),"
        " i AS (INSERT INTO chains (sha256, pem) SELECT h.sha256, $1 FROM h WHERE NOT EXISTS (SELECT 1 FROM s)"
        "   ON CONFLICT (sha256) DO NOTHING RETURNING id)"
        " SELECT id FROM s UNION ALL SELECT id FROM i";
    const char *p[] = { chain_pem };
    enum db_rc rc = DB_NOTFOUND;
    /* A second try sees the row another worker committed while our insert waited on it. */
    for (int attempt = 0; attempt < 2 && rc == DB_NOTFOUND; attempt++) {
        *chain_id = NULL;
        rc = db_query_text(db, sql, 1, p, NULL, NULL, chain_id);
    }
    return rc;
}

/* Stores the issued certificate and links the order to it; a second store for the order is a no-op. */
enum db_rc db_work_cert_store(struct db *db, const struct db_cert_new *c, char **cert_id)
{
    char *chain_id = NULL;
    enum db_rc rc = db_work_chain_id(db, c->chain_pem, &chain_id);
    if (rc != DB_OK)
        return rc;
    char nb[24], na[24], at[24];
    snprintf(nb, sizeof nb, "%lld", c->not_before);
    snprintf(na, sizeof na, "%lld", c->not_after);
    snprintf(at, sizeof at, "%lld", c->renew_at);
    char *domains = json_dumps(c->domains, JSON_COMPACT);
    const char *p[] = { c->tenant_id, c->order_id, c->ca, domains, c->serial, nb, na,
                        c->cert_pem, chain_id, c->key_type, (const char *)c->key_sealed, c->ari_cert_id, at };
    int lens[13] = { 0 }, bin[13] = { 0 };
    lens[10] = (int)c->key_len;
    bin[10] = 1;
    /* A repeat (the order has its certificate already) inserts nothing and links the same one. */
    PGresult *res = db_exec(db,
                            "WITH o AS (SELECT auto_renew FROM orders WHERE id = $2),"
                            " ins AS (INSERT INTO certificates (tenant_id, order_id, ca, domains, serial,"
                            "   not_before, not_after, cert_pem, chain_id, key_type, key_sealed, ari_cert_id,"
                            "   auto_renew, renew_at)"
                            " SELECT $1, $2, $3, array(SELECT jsonb_array_elements_text($4::jsonb)), $5,"
                            "   to_timestamp($6::bigint), to_timestamp($7::bigint), $8, $9::bigint, $10, $11, $12,"
                            "   o.auto_renew, CASE WHEN o.auto_renew THEN to_timestamp($13::bigint) END FROM o"
                            " ON CONFLICT (order_id) DO NOTHING RETURNING id),"
                            " c AS (SELECT id FROM ins UNION ALL SELECT id FROM certificates WHERE order_id = $2),"
                            " u AS (UPDATE orders SET certificate_id = (SELECT id FROM c LIMIT 1), updated_at = now()"
                            "   WHERE id = $2 AND EXISTS (SELECT 1 FROM c) RETURNING 1)"
                            " SELECT id, (SELECT count(*) FROM u) AS linked FROM c LIMIT 1",
                            13, p, lens, bin, &rc);
    free(domains);
    free(chain_id);
    if (!res)
        return rc;
    if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 1), "1") != 0) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    *cert_id = xstrdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return DB_OK;
}

/* Notes that newOrder is about to be sent, or that the CA refused it (committed at once: it must survive a crash). */
enum db_rc db_work_order_new_order_mark(struct db *db, const char *order_id, bool sent)
{
    const char *p[] = { order_id, sent ? "true" : "false" };
    return db_command(db,
                      "UPDATE orders SET new_order_sent_at = CASE WHEN $2::boolean THEN now() END WHERE id = $1", 2,
                      p, NULL, NULL, true);
}

/* True (DB_OK) when another order of the tenant already holds this CA order URL; DB_NOTFOUND when none does. */
enum db_rc db_work_acme_order_taken(struct db *db, const char *order_id, const char *url)
{
    const char *p[] = { order_id, url };
    json_t *row = NULL;
    enum db_rc rc = db_query_row(db, "SELECT id FROM orders WHERE acme_order_url = $2 AND id <> $1 LIMIT 1", 2, p,
                                 NULL, NULL, &row);
    json_decref(row);
    return rc;
}
