/*
 * db_api — the queries of the HTTP API (certmill-fcgi): key lookup, orders,
 * certificates and the HTTP-01 responder. Every query on tenant data is scoped with
 * `WHERE tenant_id = $1`, so another tenant's id is simply DB_NOTFOUND.
 *
 * Objects come back as jansson objects keyed by the API's field names (the SQL
 * aliases), ready to be sent; list rows carry one extra integer member,
 * DB_API_CURSOR_KEY (created_at in microseconds since the epoch), for the caller's
 * keyset cursor.
 */
#ifndef CM_DB_API_H
#define CM_DB_API_H

#include "db.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define DB_API_HASH_LEN 32 /* SHA-256 */
#define DB_API_CURSOR_KEY "cursor_us"

/* --- api_auth.c --- */

/* Finds the tenant of a non-revoked API key by the SHA-256 of the key; *tenant_id is the caller's. */
enum db_rc db_api_key_tenant(struct db *db, const unsigned char hash[DB_API_HASH_LEN], char **tenant_id);
/* The same, with the key's id too (both caller-freed). */
enum db_rc db_api_key_find(struct db *db, const unsigned char hash[DB_API_HASH_LEN], char **tenant_id,
                           char **key_id);

/* --- api_orders.c --- */

/* A validated new order (every string already checked by the API). */
struct db_api_order_new {
    const char *tenant_id;
    const json_t *domains;         /* array of normalised names, in request order */
    const char *challenge;
    const char *key_type;
    const unsigned char *csr_der;  /* the customer's CSR (DER); NULL: certmill makes the key */
    size_t csr_len;
    const char *ca;
    const json_t *failover_cas;    /* array of CA names the order may move to; NULL: none */
    const char *profile;           /* NULL: none */
    const char *customer_ref;      /* NULL: none */
    const char *dns_provider_id;   /* dns-01: the tenant's provider; NULL: none (manual) */
    bool auto_renew;
    bool allow_partial;
    const char *idempotency_key;   /* NULL: none */
    const unsigned char *request_hash; /* DB_API_HASH_LEN bytes, with idempotency_key */
    struct db_api_quota *quota;    /* checked in the transaction; NULL: no quota */
};

/* The server's quota defaults for one order (-1: none) and, after a refusal, which quota said no. */
struct db_api_quota {
    long max_active_orders;
    long max_certificates;
    const char *exceeded; /* NULL, "max_active_orders" or "max_certificates" */
    long limit;           /* the tenant's value of that quota */
    long used;            /* what the tenant has */
};

/* Advisory-lock class of the quota check: pg_advisory_xact_lock(74201, hashtext(tenant_id)). */
#define DB_API_QUOTA_LOCK_CLASS "74201"

/* Keyset position and page size of a list (newest first on created_at, id). */
struct db_api_page {
    int limit;          /* rows wanted; the query fetches limit + 1 to see if more follow */
    bool has_cursor;
    long long cursor_us; /* created_at of the last row seen, microseconds since the epoch */
    const char *cursor_id;
};

struct db_api_order_filter {
    const char *status;       /* NULL: any */
    const char *customer_ref; /* NULL: any */
    const char *domain;       /* normalised name the order must have; NULL: any */
};

/* Advisory-lock class of Idempotency-Keys: pg_try_advisory_xact_lock(74200, hashtext(tenant_id || ':' || key)). */
#define DB_API_IDEMPOTENCY_LOCK_CLASS "74200"

/*
 * Inserts the order and its jobs row in one transaction (the jobs insert wakes the
 * workers). *id is the new order's id (caller frees). With an idempotency_key the
 * transaction first tries the key's advisory lock: DB_CONFLICT when another request
 * holds it (still in flight) or the tenant already used the key (look it up to tell
 * which); DB_NOTFOUND when dns_provider_id names no provider of the tenant; nothing is
 * left behind on any failure.
 */
enum db_rc db_api_order_create(struct db *db, const struct db_api_order_new *o, char **id);

/* --- api_limits.c --- */

/* A tenant's own request rate (tenants.rate_per_s, rate_burst); has_* false: the server's default. per_s -1: none. */
struct db_api_tenant_rate {
    bool has_per_s;
    double per_s;
    bool has_burst;
    int burst;
};

/* db_api_key_tenant with the tenant's own rate, in the same single statement. */
enum db_rc db_api_key_auth(struct db *db, const unsigned char hash[DB_API_HASH_LEN], char **tenant_id,
                           char **key_id, struct db_api_tenant_rate *rate);
/*
 * (tx) Whether the tenant may have one more order: DB_OK, or DB_CONFLICT with q->exceeded,
 * q->limit and q->used set (the tenant's own max_* override q's defaults).
 */
enum db_rc db_api_quota_check(struct db *db, const char *tenant_id, struct db_api_quota *q);
/* Finds the order made with an Idempotency-Key; *id (caller frees) and its request hash. */
enum db_rc db_api_order_by_idempotency(struct db *db, const char *tenant_id, const char *key, char **id,
                                       unsigned char hash[DB_API_HASH_LEN]);
/*
 * The order's API representation, with its authorizations; a dns-01 authorization whose
 * record is known has record {name, type "TXT", value, ttl}, every other one record null.
 */
enum db_rc db_api_order_get(struct db *db, const char *tenant_id, const char *id, json_t **out);
/* A page of orders (without authorizations), newest first; *rows is an array. */
enum db_rc db_api_order_list(struct db *db, const char *tenant_id, const struct db_api_order_filter *f,
                             const struct db_api_page *page, json_t **rows);

/*
 * The panel has published the records of an order waiting in action_required: in one
 * transaction the order becomes pending_validation and its job is due now (workers are
 * woken). DB_NOTFOUND: no such order for the tenant; DB_CONFLICT: the order is in
 * another status, given in *status (caller frees).
 */
enum db_rc db_api_order_continue(struct db *db, const char *tenant_id, const char *id, char **status);

/* --- api_order_actions.c --- */

/*
 * Cancels a queued, pending_validation or action_required order in one transaction:
 * status cancelled, and its job removed, or (when the order reached the CA) turned into
 * a clean-up job with a new fence, due when the current lease ends, so a worker removes
 * the challenge records and then the job. DB_NOTFOUND: not the tenant's; DB_CONFLICT:
 * another status, given in *status (caller frees).
 */
enum db_rc db_api_order_cancel(struct db *db, const char *tenant_id, const char *id, char **status);
/*
 * Starts a failed order again: authorizations and the CA order forgotten, status queued at
 * the pre-flight, a fresh job (workers woken). DB_NOTFOUND; DB_CONFLICT: not failed, the
 * status in *status (caller frees).
 */
enum db_rc db_api_order_retry(struct db *db, const char *tenant_id, const char *id, char **status);

/* The order's log, oldest first (at most limit lines); DB_NOTFOUND when the order is not the tenant's. */
enum db_rc db_api_order_log(struct db *db, const char *tenant_id, const char *id, int limit, json_t **rows);

/* --- api_certs.c --- */

struct db_api_cert_filter {
    const char *status;         /* NULL: any */
    const char *domain;         /* normalised name the certificate must cover; NULL: any */
    const char *customer_ref;   /* the customer_ref of its order; NULL: any */
    const char *expires_before; /* RFC 3339 time: not_after before it; NULL: any */
};

/* The certificate's representation: id, order_id, domains, serial, validity, status, ca,
 * key_type, revoke_reason (code), revoke_requested_at, revoked_at, revoke_problem,
 * certificate_pem, chain_pem, renewal_window_start, renewal_window_end (ARI; null when
 * unknown), created_at (fullchain_pem, the revocation and renewal_window objects are the caller's). */
enum db_rc db_api_cert_get(struct db *db, const char *tenant_id, const char *id, json_t **out);
/* A page of certificates without PEM text, newest first; *rows is an array. */
enum db_rc db_api_cert_list(struct db *db, const char *tenant_id, const struct db_api_cert_filter *f,
                            const struct db_api_page *page, json_t **rows);
/*
 * The sealed private key of a certificate: *blob NULL (and DB_OK) when certmill made
 * none. *key_type, *order_id and *blob are the caller's.
 */
enum db_rc db_api_cert_key(struct db *db, const char *tenant_id, const char *id, char **key_type,
                           char **order_id, unsigned char **blob, size_t *len);

/*
 * Asks for the certificate's revocation with an RFC 5280 reason code: in one transaction
 * records the reason and the time and queues a 'revoke' job. Already asked and pending:
 * DB_OK, nothing changes. Revoked already: DB_CONFLICT. Not the tenant's: DB_NOTFOUND.
 */
enum db_rc db_api_cert_revoke(struct db *db, const char *tenant_id, const char *id, int reason);

/* --- api_challenge.c --- */

/* The key authorization of a pending http-01 challenge with this token (no tenant: the CA asks). */
enum db_rc db_api_challenge_key_authorization(struct db *db, const char *token, char **key_authorization);

/* --- api_dns_providers.c --- */

/* A checked new DNS provider (settings already through provider_check, secret sealed). */
struct db_api_dns_provider_new {
    const char *tenant_id;
    const char *id;                /* from db_api_dns_provider_new_id: the secret's seal names it */
    const char *name;
    const char *type;
    const json_t *config;
    const unsigned char *secret_sealed; /* NULL: no secret */
    size_t secret_len;
};

/* A fresh provider id ('dnp_' and 32 hex digits), made before the row so the secret can be sealed to it. */
enum db_rc db_api_dns_provider_new_id(struct db *db, char **id);
/*
 * Inserts the provider, complete in one statement; *out is its representation (id, name,
 * type, config, has_secret, created_at, updated_at). DB_CONFLICT: the tenant already has
 * a provider of that name.
 */
enum db_rc db_api_dns_provider_create(struct db *db, const struct db_api_dns_provider_new *p, json_t **out);
/* One provider's representation (never the secret, only has_secret). */
enum db_rc db_api_dns_provider_get(struct db *db, const char *tenant_id, const char *id, json_t **out);
/* A page of providers, newest first; *rows is an array. */
enum db_rc db_api_dns_provider_list(struct db *db, const char *tenant_id, const struct db_api_page *page,
                                    json_t **rows);
/*
 * Deletes the provider in one transaction: finished orders (issued, failed, cancelled)
 * that name it are detached (dns_provider_id NULL). DB_CONFLICT when an order in progress
 * names it: *busy = {"id", "status"} of one such order (caller decrefs); DB_NOTFOUND.
 */
enum db_rc db_api_dns_provider_delete(struct db *db, const char *tenant_id, const char *id, json_t **busy);

/* --- api_ca.c --- */

/* The tenant's CA choice: *out = {"default_ca" (null: the server's), "fallback_cas": [...]}. */
enum db_rc db_api_tenant_cas(struct db *db, const char *tenant_id, json_t **out);
/*
 * Stores or replaces the tenant's External Account Binding credential for a CA (the MAC
 * key sealed by the caller); *out = {"ca", "eab_kid", "eab_alg", "created_at", "updated_at"}.
 */
enum db_rc db_api_eab_put(struct db *db, const char *tenant_id, const char *ca, const char *kid, const char *alg,
                          const unsigned char *sealed, size_t len, json_t **out);
/* The tenant's EAB credentials (without MAC keys), by CA name. */
enum db_rc db_api_eab_list(struct db *db, const char *tenant_id, json_t **rows);
/* One EAB credential of the tenant (without the MAC key); DB_NOTFOUND when none. */
enum db_rc db_api_eab_get(struct db *db, const char *tenant_id, const char *ca, json_t **out);
/* Removes the tenant's EAB credential for a CA; DB_NOTFOUND when there was none. */
enum db_rc db_api_eab_delete(struct db *db, const char *tenant_id, const char *ca);

#endif
