/*
 * step — one claimed job: a step of an order, or a certificate's revocation (kind
 * 'revoke'); its context, and how it ends (commit, retry, fail).
 */
#ifndef CM_STEP_H
#define CM_STEP_H

#include "worker.h"

#include "db_work.h"

#include <openssl/evp.h>

/* How a step function ended. */
enum step_rc {
    STEP_RC_OK,        /* it committed its outcome */
    STEP_RC_RETRY,     /* a passing failure: try the same step later (backoff) */
    STEP_RC_AGAIN,     /* a failure already mended (account registered anew): try again now, counted */
    STEP_RC_FAIL,      /* a permanent failure: the order fails with step->problem */
    STEP_RC_LOST,      /* our lease was taken over: commit nothing */
    STEP_RC_RESTART,   /* the CA forgot the order: start a new CA order */
};

struct step {
    struct worker *w;
    struct db_job job;
    json_t *order;          /* the order row (NULL for a revoke job) */
    json_t *cert;           /* the certificate row of a revoke job (NULL for an order) */
    json_t *authzs;         /* its authorizations */
    struct db_order_blobs blobs; /* sealed certificate key, customer's CSR */
    const char *order_id;
    const char *tenant_id;  /* the order's or the certificate's tenant */
    struct worker_ca *ca;   /* the order's or the certificate's CA */
    EVP_PKEY *account_key;  /* loaded by step_account */
    char *kid;
    const char *eab_from;   /* whose EAB credential newAccount carried: "tenant", "server"; NULL: none */
    struct acme_result res; /* the last ACME call's outcome */
    json_t *problem;        /* set before STEP_RC_FAIL / STEP_RC_RETRY */
    struct step_dns *dns;   /* the order's DNS provider, loaded on first use (step_dns.c) */
    int outcome;            /* the step function's enum step_rc, for the metrics; -1: none ran */
    bool fenced;            /* the open transaction has confirmed the claim (step_tx_commit) */
};

/* Adds a line to the order's log (GET /v1/orders/{id}/log); never put a secret in it. */
void step_log(struct step *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A string field of the order row. */
const char *step_order_str(const struct step *s, const char *field);
/*
 * Opens the transaction of the step's outcome. The fencing token is checked before it
 * commits: by the job's own update (step_job_reschedule, step_job_delete) or by
 * step_tx_commit, so a worker whose lease was taken over commits nothing.
 */
enum step_rc step_tx_begin(struct step *s);
/* (tx) Sets the job due again after delay_ms (fenced); DB_NOTFOUND when the claim was lost. */
enum db_rc step_job_reschedule(struct step *s, long delay_ms, int attempts, int polls, const char *last_error);
/* (tx) Removes the job (fenced); DB_NOTFOUND when the claim was lost. */
enum db_rc step_job_delete(struct step *s);
/* (tx) Commits, checking the fencing token first unless a fenced job statement already did. */
enum db_rc step_tx_commit(struct step *s);
/*
 * Moves the order to next (its status follows), sets the job due after delay_ms (polls as
 * given), and commits. For STEP_DONE the job is deleted.
 */
enum step_rc step_tx_finish(struct step *s, enum order_step next, long delay_ms, int polls);
/* Like step_tx_finish with the status and the problem shown to the panel given (action_required). */
enum step_rc step_tx_finish_as(struct step *s, enum order_step next, enum order_status status,
                               const json_t *problem, long delay_ms, int polls);
/* Inside the open transaction: fails the order with s->problem, removes the job, commits. */
enum step_rc step_tx_fail(struct step *s);
/* Rolls back an open transaction of the step after a failure. */
enum step_rc step_tx_abort(struct step *s, enum db_rc rc);
/* (fenced) Removes a job with nothing left to do and commits. */
void step_job_drop(struct step *s);

/* Builds the order's problem: code, detail, retryable; the CA's own problem is attached when present. */
json_t *step_problem(const char *code, const char *detail, bool retryable, const struct acme_problem *ca);
/* Classifies an ACME failure into RETRY or FAIL and sets s->problem. */
enum step_rc step_acme_failure(struct step *s, enum acme_rc rc, const char *what);
/* True when the order's names (a JSON array) hold an IP address (step_ip.c). */
bool step_ip_any(const json_t *domains);
/* True when the CA's problem refuses IP identifiers of an order that has one (step_ip.c). */
bool step_ip_refusal(const struct acme_problem *pr, const json_t *domains);

/*
 * Makes sure the tenant (s->tenant_id) has an account at the CA (s->ca); loads its key
 * and kid. Needs nothing of an order, so a revoke job uses it too.
 */
enum step_rc step_account(struct step *s);

/* DNS-01 (step_dns.c): publish through the provider, wait for propagation, remove afterwards. */
enum step_rc step_publish(struct step *s);
enum step_rc step_propagate(struct step *s);
/* Removes what the order published for its challenges (DNS records, webroot files); best effort, logged. */
void step_challenge_cleanup(struct step *s);
/* Frees what step_dns.c loaded. */
void step_dns_free(struct step *s);

/* Failover (failover.c): whether the order should leave its CA after attempts tries, given s->problem. */
bool step_failover_wanted(const struct step *s, int attempts);
/* Moves the order to the next CA of its list; true when it moved (or the step is no longer ours). */
bool step_failover(struct step *s);

/* Events (events.c), each inside the open outcome transaction. */
/* (tx) order.failed / order.action_required with the order's problem. */
enum db_rc step_event_order(struct step *s, const char *type, const char *status, const json_t *problem);
/* (tx) A certificate event of the order (certificate.issued, certificate.renewed); facts are merged into data. */
enum db_rc step_event_cert(struct step *s, const char *type, const char *cert_id, const json_t *facts);

/* Checks every name before the CA is involved (step_preflight.c). */
enum step_rc step_preflight(struct step *s);
enum step_rc step_new_order(struct step *s);
/* A newOrder whose answer was lost: finds that CA order among the account's (step_adopt.c); true with *out. */
bool step_adopt_lost_order(struct step *s, struct acme_order *out);
enum step_rc step_authorize(struct step *s);
enum step_rc step_validate(struct step *s);
enum step_rc step_finalize(struct step *s);
enum step_rc step_download(struct step *s);

/* newOrder's options for the order (step_ari.c): the strings live in row. */
struct step_order_opts {
    struct acme_order_opts acme;
    json_t *row;
};
/*
 * Fills the options of newOrder: the order's profile (else [ca] default_profile), which
 * the CA's loaded directory must offer (else STEP_RC_FAIL with profile_unsupported), and
 * replaces when the order renews a certificate with an ARI identifier and the CA has
 * renewalInfo. Free with step_order_opts_free in every case.
 */
enum step_rc step_order_opts_load(struct step *s, struct step_order_opts *o);
void step_order_opts_free(struct step_order_opts *o);
/*
 * After a new certificate was stored and committed: asks renewalInfo (when the CA has it)
 * and stores the window, the chosen renewal time and the next check. A failure is logged
 * and only sets the next check: it never touches the order.
 */
void step_ari_fetch(struct step *s, const char *cert_id, const char *ari_cert_id);

/* Runs a claimed revoke job to its outcome (step_revoke.c): revoked, retried, or refused for good. */
void step_revoke_run(struct step *s);

#endif
