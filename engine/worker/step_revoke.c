/*
 * step_revoke — a certificate's revocation at its CA (RFC 8555 §7.6), the one step of a
 * job of kind 'revoke': load the certificate, make sure of the tenant's account at the
 * certificate's CA, revokeCert with the leaf's DER, and commit the outcome fenced like
 * an order step.
 */
#include "step.h"

#include "db_event.h"

#include "base/log.h"
#include "crypto/cert.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

/* A string field of the certificate row (NULL when absent or null). */
static const char *step_cert_str(const struct step *s, const char *field)
{
    return json_string_value(json_object_get(s->cert, field));
}

/* (fenced) The CA revoked it (or had already): the certificate is revoked and the job goes. */
static void step_revoke_done(struct step *s)
{
    if (step_tx_begin(s) != STEP_RC_OK)
        return;
    enum db_rc rc = db_work_cert_revoked(s->w->db, s->job.certificate_id);
    if (rc == DB_OK) {
        json_t *d = json_object();
        json_object_set_new(d, "certificate_id", json_string(s->job.certificate_id));
        json_object_set(d, "domains", json_object_get(s->cert, "domains"));
        json_object_set(d, "reason_code", json_object_get(s->cert, "revoke_reason")); /* RFC 5280 CRLReason */
        rc = db_event_add(s->w->db, s->tenant_id, "certificate.revoked", NULL, s->job.certificate_id, d);
        json_decref(d);
    }
    if (rc == DB_OK)
        rc = step_job_delete(s);
    if (rc == DB_OK)
        rc = step_tx_commit(s);
    if (rc != DB_OK) {
        step_tx_abort(s, rc);
        return;
    }
    log_info("certificate %s: revoked at %s", s->job.certificate_id, s->ca ? s->ca->conf->name : "?");
}

/* (fenced) A permanent refusal: the request is cleared, the status stays, the problem is kept and logged. */
static void step_revoke_refused(struct step *s)
{
    if (!s->problem)
        s->problem = step_problem("internal", "the revocation failed", false, NULL);
    json_object_set_new(s->problem, "retryable", json_false());
    json_object_set_new(s->problem, "title", json_string("The revocation failed"));
    log_warn("certificate %s: revocation refused: %s", s->job.certificate_id,
             json_string_value(json_object_get(s->problem, "detail")));
    if (step_tx_begin(s) != STEP_RC_OK)
        return;
    enum db_rc rc = db_work_cert_revoke_refused(s->w->db, s->job.certificate_id, s->problem);
    if (rc == DB_OK)
        rc = step_job_delete(s);
    if (rc == DB_OK)
        rc = step_tx_commit(s);
    if (rc != DB_OK)
        step_tx_abort(s, rc);
}

/* A passing failure: the job is due again after the orders' backoff, refused for good after too many tries. */
static void step_revoke_retry(struct step *s, bool now)
{
    int attempts = s->job.attempts + 1;
    unsigned char r = 0;
    RAND_bytes(&r, 1); /* jitter only: a failure leaves r at 0 */
    long delay = now ? 0 : state_backoff_ms(attempts, s->res.retry_after, r / 256.0);
    if (!s->problem)
        s->problem = step_problem("internal", "the revocation failed", true, NULL);
    const char *detail = json_string_value(json_object_get(s->problem, "detail"));
    if (attempts >= STATE_MAX_ATTEMPTS) {
        log_error("certificate %s: giving up the revocation after %d attempts", s->job.certificate_id, attempts);
        step_revoke_refused(s);
        return;
    }
    log_warn("certificate %s: revocation failed (attempt %d), retrying in %ld ms: %s", s->job.certificate_id,
             attempts, delay, detail ? detail : "?");
    if (step_tx_begin(s) != STEP_RC_OK)
        return;
    enum db_rc rc = step_job_reschedule(s, delay, attempts, 0, detail);
    if (rc == DB_OK)
        rc = step_tx_commit(s);
    if (rc != DB_OK)
        step_tx_abort(s, rc);
}

/* Asks the CA to revoke the leaf; returns how that went (OK also when the CA had revoked it already). */
static enum step_rc step_revoke_ask(struct step *s)
{
    unsigned char *der = NULL;
    size_t len = 0;
    json_int_t reason = json_integer_value(json_object_get(s->cert, "revoke_reason"));
    if (!cert_leaf_der(step_cert_str(s, "cert_pem"), &der, &len)) {
        s->problem = step_problem("internal", "the stored certificate cannot be read", false, NULL);
        return STEP_RC_FAIL;
    }
    int slot = db_ca_gate_enter(worker_gate_db(s->w), s->ca->conf->name, s->ca->conf->max_inflight, false);
    enum acme_rc arc = acme_cert_revoke(s->ca->client, s->account_key, s->kid, der, len, (int)reason, &s->res);
    db_ca_gate_leave(s->w->gate_db, slot);
    free(der);
    if (arc == ACME_OK)
        return STEP_RC_OK;
    /* Revoked before (a repeated job after a crash, or by other means): the outcome we wanted. */
    if (arc == ACME_ERR_PROBLEM && acme_problem_is(&s->res.problem, "alreadyRevoked")) {
        log_info("certificate %s: the CA had revoked it already", s->job.certificate_id);
        return STEP_RC_OK;
    }
    enum step_rc rc = step_acme_failure(s, arc, "revokeCert");
    /* A 404 here is the CA not knowing the certificate, not a lost order: nothing to start over. */
    return rc == STEP_RC_RESTART ? STEP_RC_FAIL : rc;
}

/* Runs a claimed revoke job: load, account, revokeCert, outcome. */
void step_revoke_run(struct step *s)
{
    enum db_rc rc = db_work_cert_load(s->w->db, s->job.certificate_id, &s->cert);
    if (rc == DB_NOTFOUND) {
        /* The certificate went (ON DELETE CASCADE removes its job too): nothing to do. */
        return;
    }
    if (rc != DB_OK) {
        s->problem = step_problem("database_unavailable", "cannot read the certificate", true, NULL);
        step_revoke_retry(s, false);
        return;
    }
    const char *status = step_cert_str(s, "status");
    if (!json_is_true(json_object_get(s->cert, "revoke_requested")) || (status && strcmp(status, "revoked") == 0)) {
        step_job_drop(s);
        return;
    }
    s->tenant_id = step_cert_str(s, "tenant_id");
    log_ctx_set_tenant(s->tenant_id);
    s->ca = worker_ca_get(s->w, step_cert_str(s, "ca"));
    log_debug("certificate %s: revoke (attempt %d)", s->job.certificate_id, s->job.attempts + 1);
    enum step_rc src;
    if (!s->ca) {
        s->problem = step_problem("unknown_ca", "the certificate's CA is not in this worker's configuration", true,
                                  NULL);
        src = STEP_RC_RETRY;
    } else {
        src = step_account(s);
        if (src == STEP_RC_OK)
            src = step_revoke_ask(s);
    }
    s->outcome = (int)src;
    switch (src) {
    case STEP_RC_OK:
        step_revoke_done(s);
        break;
    case STEP_RC_RETRY:
    case STEP_RC_AGAIN:
        step_revoke_retry(s, src == STEP_RC_AGAIN);
        break;
    case STEP_RC_FAIL:
    case STEP_RC_RESTART:
        step_revoke_refused(s);
        break;
    case STEP_RC_LOST:
        break;
    }
}
