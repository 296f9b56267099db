/*
 * db_work — the worker's queries: claiming due steps with a lease and fencing token,
 * reading an order, and writing a step's outcome. Calls marked "(tx)" run inside a
 * transaction the caller opened with db_begin and fenced before its commit: by
 * db_job_reschedule or db_job_delete (which match the claim's fencing token), or else by
 * db_job_fence_check.
 */
#ifndef CM_DB_WORK_H
#define CM_DB_WORK_H

#include "db.h"

#include <stddef.h>

struct db_job {
    long long id;
    char kind[16];            /* "order", "revoke" or "noop" (make bench) */
    char order_id[64];        /* kind "order"; "" otherwise */
    char certificate_id[64];  /* kind "revoke"; "" otherwise */
    long long fence;  /* the claim's token: commits are refused once it has moved on */
    int attempts;     /* consecutive failed tries of the current step */
    int polls;        /* polls of a CA object still in progress */
};

/* Claims the oldest due, unleased (or lease-expired) job: FOR UPDATE SKIP LOCKED. DB_NOTFOUND: none due. */
enum db_rc db_job_claim(struct db *db, const char *owner, int lease_seconds, struct db_job *job);
/* Milliseconds until the next job falls due (0 when one is due now, -1 when the queue is empty). */
enum db_rc db_job_next_due(struct db *db, long *ms);
/* (tx) Locks the job row and checks that our claim still holds; DB_NOTFOUND when it does not. */
enum db_rc db_job_fence_check(struct db *db, const struct db_job *job);
/* (tx) Sets the job due again after delay_ms, releasing the lease; attempts and polls as given. DB_NOTFOUND: the claim was lost. */
enum db_rc db_job_reschedule(struct db *db, const struct db_job *job, long delay_ms, int attempts, int polls,
                             const char *last_error);
/* (tx) Removes the job: the order reached a final state. DB_NOTFOUND: the claim was lost. */
enum db_rc db_job_delete(struct db *db, const struct db_job *job);
/* Extends the lease of a claim that still holds (same owner and fence); DB_NOTFOUND when it does not. */
enum db_rc db_job_extend(struct db *db, long long id, long long fence, const char *owner, int lease_seconds);
/* Gives the job back without counting a try (worker stopping). */
enum db_rc db_job_release(struct db *db, const struct db_job *job);

/* LISTEN for new jobs. */
enum db_rc db_job_listen(struct db *db);
/* What notifications said: a job (or anything) may be due, a webhook delivery is. */
#define DB_WAKE_JOB 1u
#define DB_WAKE_WEBHOOK 2u
/* Waits up to timeout_ms (0: only looks) for notifications; DB_WAKE_* of those that arrived, 0 when none. */
unsigned db_job_wait(struct db *db, long timeout_ms);

/* The binary columns of an order (left out of its JSON row); NULL when not there. */
struct db_order_blobs {
    unsigned char *key_sealed; /* the sealed certificate key, once certmill made it */
    size_t key_len;
    unsigned char *csr_der;    /* the customer's CSR: then certmill makes no key */
    size_t csr_len;
    /* The tenant's ACME account at the order's CA, read with the order (sealed NULL: none yet). */
    long long account_id;
    unsigned char *account_sealed;
    size_t account_len;
    char *account_url;         /* NULL until registered */
};

/*
 * Reads an order for the worker: *order gets the row (id, tenant_id, status, step, domains,
 * challenge, key_type, ca, acme_order_url, finalize_url, cert_url, certificate_id,
 * dns_provider_id, allow_partial, step_age_s, failover_cas, new_order_sent, replaces_certificate_id, waiting_shown, profile,
 * replaces_ari_cert_id); *authzs its authorizations (id, url, domain, wildcard, status,
 * challenge_type, challenge_url, token, key_authorization, responded, record_name,
 * record_value, record_target, record_zone, published, propagated, cleaned, poll_wait_ms: how long the CA's Retry-After still asks to wait); *blobs the sealed
 * certificate key, the customer's CSR and the account at the order's CA (caller frees
 * them: db_order_blobs_free). One statement: a step starts with one round trip.
 */
enum db_rc db_work_order_load(struct db *db, const char *order_id, json_t **order, json_t **authzs,
                              struct db_order_blobs *blobs);
/* Frees what db_work_order_load put in blobs. */
void db_order_blobs_free(struct db_order_blobs *blobs);
/* (tx) Moves the order to status/step; problem (may be NULL) is stored as jsonb. */
enum db_rc db_work_order_state(struct db *db, const char *order_id, const char *status, const char *step,
                               const json_t *problem);
/* (tx) Stores the ACME order and finalize URLs: done first, so a repeated step resumes this order. */
enum db_rc db_work_order_acme(struct db *db, const char *order_id, const char *order_url, const char *finalize_url);
/* (tx) Stores the certificate URL once the CA gave it. */
enum db_rc db_work_order_cert_url(struct db *db, const char *order_id, const char *cert_url);
/* (tx) Stores the sealed certificate key. */
enum db_rc db_work_order_key(struct db *db, const char *order_id, const unsigned char *sealed, size_t len);
/* (tx) Forgets the CA's order (the CA lost it): URLs cleared, authorizations removed, back to new_order. */
enum db_rc db_work_order_restart(struct db *db, const char *order_id);
/*
 * (tx) Moves the order to the first CA of its failover list, recording entry ({"ca",
 * "code", "detail", "at"}) in its failovers; *new_ca (caller frees) is the CA it moved
 * to. DB_NOTFOUND when the list is empty.
 */
enum db_rc db_work_order_failover(struct db *db, const char *order_id, const json_t *entry, char **new_ca);
/* Notes, committed at once, that newOrder is being sent for the order (sent), or was refused (not sent). */
enum db_rc db_work_order_new_order_mark(struct db *db, const char *order_id, bool sent);
/* DB_OK when another order already holds the CA order URL, DB_NOTFOUND when none does. */
enum db_rc db_work_acme_order_taken(struct db *db, const char *order_id, const char *url);
/* (tx) Records an authorization URL of the order (once). */
enum db_rc db_work_authz_add(struct db *db, const char *order_id, const char *url);

struct db_authz_update {
    long long id;
    const char *domain;
    bool wildcard;
    const char *status;
    const char *challenge_type;  /* NULL: leave as is */
    const char *challenge_url;
    const char *token;
    const char *key_authorization;
    const json_t *problem;       /* NULL: leave as is */
    const char *record_name;     /* DNS-01: _acme-challenge.<name>; NULL: leave as is */
    const char *record_value;
    long retry_after_s;          /* the answer's Retry-After (seconds); <= 0: none */
};
/* (tx) Writes what the CA said of an authorization. */
enum db_rc db_work_authz_update(struct db *db, const struct db_authz_update *u);
/* Records where the DNS-01 record lives after CNAMEs, and its zone. */
enum db_rc db_work_authz_target(struct db *db, long long authz_id, const char *target, const char *zone);

enum db_dns_mark { DB_DNS_PUBLISHED, DB_DNS_PROPAGATED, DB_DNS_CLEANED };
/* Stamps a moment of the DNS-01 record (outside the outcome transaction: it is a fact at the DNS). */
enum db_rc db_work_authz_dns_mark(struct db *db, long long authz_id, enum db_dns_mark mark);

/* (tx) Stores the pre-flight results; kept/dropped (arrays of names) replace the order's names when not NULL. */
enum db_rc db_work_order_preflight(struct db *db, const char *order_id, const json_t *results, const json_t *kept,
                                   const json_t *dropped);
/* Publishes an HTTP-01 self-check probe the responder serves at once. */
enum db_rc db_work_probe_add(struct db *db, const char *token, const char *key_authorization);
/* Withdraws a probe (and any expired ones). */
enum db_rc db_work_probe_remove(struct db *db, const char *token);

/* Adds a line to the order's log (outside the outcome transaction: it happened either way). */
enum db_rc db_work_order_log(struct db *db, const char *order_id, const char *message);

/* (tx) Notes that the challenge was answered (so it is not answered twice). */
enum db_rc db_work_authz_responded(struct db *db, long long authz_id);

struct db_cert_new {
    const char *tenant_id;
    const char *order_id;
    const char *ca;
    const json_t *domains;       /* array of strings */
    const char *serial;
    long long not_before;        /* unix seconds */
    long long not_after;
    const char *cert_pem;
    const char *chain_pem;
    const char *key_type;
    const unsigned char *key_sealed; /* NULL when the customer holds the key */
    size_t key_len;
    const char *ari_cert_id;     /* its ARI identifier; NULL without one */
    long long renew_at;          /* unix seconds: when to renew it, if the order asks for renewals */
};
/*
 * (tx) Stores the certificate (once per order) with its ARI identifier and renewal time
 * (the order's auto_renew), and links it to the order, in one statement; *cert_id is
 * freed by the caller.
 */
enum db_rc db_work_cert_store(struct db *db, const struct db_cert_new *c, char **cert_id);

/*
 * Reads a certificate for its revoke job: *cert = {id, tenant_id, ca, status, cert_pem,
 * revoke_reason (null when not asked), revoke_requested (bool)}.
 */
enum db_rc db_work_cert_load(struct db *db, const char *cert_id, json_t **cert);
/* (tx) The CA revoked the certificate: status revoked, revoked_at set (once). */
enum db_rc db_work_cert_revoked(struct db *db, const char *cert_id);
/* (tx) The CA refused the revocation for good: the request is cleared, problem kept for the panel. */
enum db_rc db_work_cert_revoke_refused(struct db *db, const char *cert_id, const json_t *problem);

/* The tenant's ACME account at a CA: sealed key and URL (NULL until registered). */
enum db_rc db_account_get(struct db *db, const char *tenant_id, const char *ca, long long *id, unsigned char **key,
                          size_t *keylen, char **url);
/* Inserts a key for the account unless another worker already did (then nothing changes). */
enum db_rc db_account_insert(struct db *db, const char *tenant_id, const char *ca, const unsigned char *key,
                             size_t keylen);
/* Stores the account URL the CA returned (NULL: the CA forgot the account; register again). */
enum db_rc db_account_set_url(struct db *db, long long id, const char *url);
/* The tenant's own EAB credential for a CA (key id, alg, sealed MAC key; caller frees); DB_NOTFOUND: none. */
enum db_rc db_tenant_eab_get(struct db *db, const char *tenant_id, const char *ca, char **kid, char **alg,
                             unsigned char **sealed, size_t *len);

/*
 * Per-CA request gate shared by all workers (session advisory locks): at most max_inflight
 * holders at once, and a read/write lock: shared for ordinary requests, exclusive for a
 * newOrder when the CA needs it (Pebble's lock-order deadlock). Returns the slot, -1 on failure.
 */
#define DB_CA_GATE_OPEN 1048576 /* the slot when max_inflight is 0: no gate, nothing to leave */
int db_ca_gate_enter(struct db *db, const char *ca, int max_inflight, bool exclusive);
void db_ca_gate_leave(struct db *db, int slot);

#endif
