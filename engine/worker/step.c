/* step — running one claimed step: load, dispatch, and the common ways a step ends. */
#include "step.h"
#include "renew.h"

#include "heartbeat.h"
#include "wmetrics.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "crypto/key.h"

#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Adds a line to the order's log; a failure to write it is not the order's failure. */
void step_log(struct step *s, const char *fmt, ...)
{
    char msg[2000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (db_work_order_log(s->w->db, s->order_id, msg) != DB_OK)
        log_warn("order %s: cannot write the order log", s->order_id);
}

/* A string field of the order row (NULL when absent or null). */
const char *step_order_str(const struct step *s, const char *field)
{
    return json_string_value(json_object_get(s->order, field));
}

/* Opens the outcome transaction; its fencing token is checked before it commits (step_tx_commit). */
enum step_rc step_tx_begin(struct step *s)
{
    s->fenced = false;
    enum db_rc rc = db_begin(s->w->db);
    if (rc == DB_OK)
        return STEP_RC_OK;
    return step_tx_abort(s, rc);
}

/* (tx) Sets the job due again after delay_ms; its fencing token confirms the claim. */
enum db_rc step_job_reschedule(struct step *s, long delay_ms, int attempts, int polls, const char *last_error)
{
    enum db_rc rc = db_job_reschedule(s->w->db, &s->job, delay_ms, attempts, polls, last_error);
    s->fenced = s->fenced || rc == DB_OK;
    return rc;
}

/* (tx) Removes the job; its fencing token confirms the claim. */
enum db_rc step_job_delete(struct step *s)
{
    enum db_rc rc = db_job_delete(s->w->db, &s->job);
    s->fenced = s->fenced || rc == DB_OK;
    return rc;
}

/* (tx) Commits, checking the fencing token first unless a fenced job statement already did. */
enum db_rc step_tx_commit(struct step *s)
{
    enum db_rc rc = s->fenced ? DB_OK : db_job_fence_check(s->w->db, &s->job);
    if (rc == DB_OK)
        rc = db_commit(s->w->db);
    s->fenced = false;
    return rc;
}

/* Rolls back; a lost fence is LOST, anything else a database trouble to retry. */
enum step_rc step_tx_abort(struct step *s, enum db_rc rc)
{
    db_rollback(s->w->db);
    if (rc == DB_NOTFOUND) {
        log_warn("%s %s: lease lost to another worker, dropping this step's outcome", s->cert ? "certificate" : "order",
                 s->cert ? s->job.certificate_id : s->order_id);
        return STEP_RC_LOST;
    }
    json_decref(s->problem);
    s->problem = step_problem("database_unavailable", "the database failed while storing the step", true, NULL);
    return STEP_RC_RETRY;
}

/* Commits the move to the next step. */
enum step_rc step_tx_finish(struct step *s, enum order_step next, long delay_ms, int polls)
{
    return step_tx_finish_as(s, next, state_status_of_step(next), NULL, delay_ms, polls);
}

/* Commits the move to the next step with an explicit status and problem (action_required). */
enum step_rc step_tx_finish_as(struct step *s, enum order_step next, enum order_status status_v,
                               const json_t *problem, long delay_ms, int polls)
{
    struct db *db = s->w->db;
    const char *status = state_order_status_name(status_v);
    enum db_rc rc = db_work_order_state(db, s->order_id, status, state_step_name(next), problem);
    /* The panel is told once, when the order starts waiting for it (not at every re-check). */
    const char *was = step_order_str(s, "status");
    if (rc == DB_OK && status_v == ORDER_ACTION_REQUIRED && (!was || strcmp(was, status) != 0))
        rc = step_event_order(s, "order.action_required", status, problem);
    if (rc == DB_OK)
        rc = next == STEP_DONE ? step_job_delete(s)
                               : step_job_reschedule(s, delay_ms, 0, polls, NULL);
    if (rc == DB_OK)
        rc = step_tx_commit(s);
    if (rc != DB_OK)
        return step_tx_abort(s, rc);
    return STEP_RC_OK;
}

/* Makes the stored problem document (RFC 9457 shape, with certmill's code). */
json_t *step_problem(const char *code, const char *detail, bool retryable, const struct acme_problem *ca)
{
    json_t *p = json_object();
    char *type = xasprintf("urn:certmill:problem:%s", code);
    json_object_set_new(p, "type", json_string(type));
    free(type);
    json_object_set_new(p, "code", json_string(code));
    json_object_set_new(p, "title", json_string(retryable ? "The order is waiting to retry" : "The order failed"));
    json_object_set_new(p, "detail", json_string(detail));
    json_object_set_new(p, "retryable", json_boolean(retryable));
    if (ca && (ca->type || ca->detail)) {
        json_t *c = json_object();
        if (ca->type)
            json_object_set_new(c, "type", json_string(ca->type));
        if (ca->detail)
            json_object_set_new(c, "detail", json_string(ca->detail));
        if (ca->status)
            json_object_set_new(c, "status", json_integer(ca->status));
        json_object_set_new(p, "ca_problem", c);
    }
    return p;
}

static void step_account_forget(struct step *s);

/* Decides whether an ACME failure is worth retrying: transport, 5xx, rate limits and nonces are. */
enum step_rc step_acme_failure(struct step *s, enum acme_rc rc, const char *what)
{
    const struct acme_problem *pr = &s->res.problem;
    char detail[512];
    char safe[300];
    json_decref(s->problem);
    s->problem = NULL;
    switch (rc) {
    case ACME_ERR_TRANSPORT:
        snprintf(detail, sizeof detail, "%s: the CA could not be reached: %s", what,
                 log_safe(safe, sizeof safe, s->res.error));
        s->problem = step_problem("ca_unreachable", detail, true, NULL);
        return STEP_RC_RETRY;
    case ACME_ERR_PROTOCOL:
        if (s->res.http_status == 404 && strcmp(what, "newOrder") != 0 && strcmp(what, "newAccount") != 0) {
            /* A CA restarted without its orders may answer 404 without a problem document (Pebble does). */
            snprintf(detail, sizeof detail, "%s: the CA no longer knows this object (HTTP 404)", what);
            s->problem = step_problem("ca_order_lost", detail, true, NULL);
            return STEP_RC_RESTART;
        }
        snprintf(detail, sizeof detail, "%s: the CA's answer was not valid ACME: %s", what,
                 log_safe(safe, sizeof safe, s->res.error));
        s->problem = step_problem("ca_protocol_error", detail, true, NULL);
        return STEP_RC_RETRY;
    case ACME_ERR_LOCAL:
        snprintf(detail, sizeof detail, "%s: %s", what, log_safe(safe, sizeof safe, s->res.error));
        s->problem = step_problem("internal", detail, true, NULL);
        return STEP_RC_RETRY;
    case ACME_ERR_PROBLEM:
    case ACME_OK:
        break;
    }
    snprintf(detail, sizeof detail, "%s: the CA said: %s", what,
             log_safe(safe, sizeof safe, pr->detail ? pr->detail : "(no detail)"));
    if (acme_problem_is(pr, "accountDoesNotExist")) {
        /* The CA lost the account (a test CA restarted, an operator deactivated it): register again. */
        log_warn("tenant %s: the CA no longer knows account %s; registering again", s->tenant_id,
                 s->kid ? s->kid : "?");
        step_account_forget(s);
        s->problem = step_problem("ca_account_lost", detail, true, pr);
        return STEP_RC_AGAIN;
    }
    if (strcmp(what, "newAccount") == 0 &&
        (acme_problem_is(pr, "externalAccountRequired") || acme_problem_is(pr, "unauthorized"))) {
        /* Without (right) EAB keys every new try is refused the same way: fail once, no retry storm. */
        bool required = acme_problem_is(pr, "externalAccountRequired") || !s->eab_from;
        if (required)
            snprintf(detail, sizeof detail,
                     "newAccount: the CA requires External Account Binding: configure eab_kid and eab_hmac_key "
                     "(or eab_hmac_key_file) for [ca.%s], or give the tenant its own (PUT /v1/ca-credentials/%s); "
                     "the CA said: %s",
                     s->ca->conf->name, s->ca->conf->name, log_safe(safe, sizeof safe, pr->detail ? pr->detail : "(no detail)"));
        else
            snprintf(detail, sizeof detail,
                     "newAccount: the CA rejected the %s's External Account Binding credential for %s: check the "
                     "key id and MAC key; the CA said: %s",
                     s->eab_from, s->ca->conf->name, log_safe(safe, sizeof safe, pr->detail ? pr->detail : "(no detail)"));
        step_log(s, "%s", detail);
        if (required)
            s->problem = step_problem("eab_required", detail, false, pr);
        else
            s->problem = step_problem("eab_rejected", detail, false, pr);
        return STEP_RC_FAIL;
    }
    if (s->res.http_status == 404 && strcmp(what, "newOrder") != 0 && strcmp(what, "newAccount") != 0) {
        /* The CA no longer has the order or authorization (it was restarted or purged it). */
        s->problem = step_problem("ca_order_lost", detail, true, pr);
        return STEP_RC_RESTART;
    }
    if (acme_problem_is(pr, "badPublicKey")) {
        /* This CA does not take the key type; another CA of the tenant's list may. */
        s->problem = step_problem("key_type_unsupported", detail, false, pr);
        return STEP_RC_FAIL;
    }
    if (acme_problem_is(pr, "invalidProfile")) {
        /* draft-aaron-acme-profiles: the CA does not offer (or no longer offers) the profile. */
        s->problem = step_problem("profile_unsupported", detail, false, pr);
        return STEP_RC_FAIL;
    }
    if (acme_problem_is(pr, "rateLimited")) {
        s->problem = step_problem("rate_limited", detail, true, pr);
        return STEP_RC_RETRY;
    }
    if (acme_problem_is(pr, "badNonce") || pr->status >= 500 || pr->status == 0) {
        s->problem = step_problem("ca_error", detail, true, pr);
        return STEP_RC_RETRY;
    }
    if (s->order && step_ip_refusal(pr, json_object_get(s->order, "domains"))) {
        /* A CA that does not certify addresses: final here, but another CA of the tenant's list may. */
        s->problem = step_problem("ip_identifier_unsupported", detail, false, pr);
        return STEP_RC_FAIL;
    }
    s->problem = step_problem("ca_rejected", detail, false, pr);
    return STEP_RC_FAIL;
}

/* Forgets the account URL so the next step registers the key again. */
static void step_account_forget(struct step *s)
{
    unsigned char *key = NULL;
    size_t len = 0;
    char *url = NULL;
    long long id = 0;
    if (db_account_get(s->w->db, s->tenant_id, s->ca->conf->name, &id, &key, &len, &url) == DB_OK)
        db_account_set_url(s->w->db, id, NULL);
    free(key);
    free(url);
}

static void step_end_fail(struct step *s);

/* Records a passing failure: the job is retried with backoff, or fails after too many tries. */
static void step_end_retry(struct step *s, bool now)
{
    struct db *db = s->w->db;
    int attempts = s->job.attempts + 1;
    unsigned char r = 0;
    RAND_bytes(&r, 1); /* jitter only: a failure leaves r at 0 */
    long delay = now ? 0 : state_backoff_ms(attempts, s->res.retry_after, r / 256.0);
    if (!s->problem)
        s->problem = step_problem("internal", "the step failed", true, NULL);
    const char *detail = json_string_value(json_object_get(s->problem, "detail"));
    if (s->order && (step_failover_wanted(s, attempts) ||
                     (attempts >= STATE_MAX_ATTEMPTS && json_array_size(json_object_get(s->order, "failover_cas"))))) {
        /* The CA has failed this order long enough: the next CA of the tenant's list gets it. */
        step_challenge_cleanup(s);
        if (step_failover(s))
            return;
    }
    if (s->order && attempts >= STATE_MAX_ATTEMPTS) {
        log_error("order %s: giving up after %d attempts", s->order_id, attempts);
        json_object_set_new(s->problem, "retryable", json_false());
        step_challenge_cleanup(s);
        step_end_fail(s);
        return;
    }
    if (step_tx_begin(s) != STEP_RC_OK)
        return;
    enum db_rc rc = DB_OK;
    if (s->order) {
        log_warn("order %s: step %s failed (attempt %d), retrying in %ld ms: %s", s->order_id,
                 step_order_str(s, "step"), attempts, delay, detail);
        time_t at = time(NULL) + (delay + 999) / 1000;
        struct tm tm;
        char ts[32];
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&at, &tm));
        json_object_set_new(s->problem, "next_attempt_at", json_string(ts));
        rc = db_work_order_state(db, s->order_id, step_order_str(s, "status"), step_order_str(s, "step"),
                                 s->problem);
    }
    /* Without the order row (it could not be read) only the job is rescheduled, uncounted. */
    if (rc == DB_OK)
        rc = step_job_reschedule(s, delay, s->order ? attempts : s->job.attempts, s->job.polls, detail);
    if (rc == DB_OK)
        rc = step_tx_commit(s);
    if (rc != DB_OK)
        step_tx_abort(s, rc);
}

/* (inside the outcome transaction) Fails the order with s->problem, removes its job, commits. */
enum step_rc step_tx_fail(struct step *s)
{
    struct db *db = s->w->db;
    if (!s->problem)
        s->problem = step_problem("internal", "the step failed", false, NULL);
    log_warn("order %s: failed: %s", s->order_id, json_string_value(json_object_get(s->problem, "detail")));
    step_log(s, "failed (%s): %s", json_string_value(json_object_get(s->problem, "code")),
             json_string_value(json_object_get(s->problem, "detail")));
    enum db_rc rc = db_work_order_state(db, s->order_id, "failed", step_order_str(s, "step"), s->problem);
    if (rc == DB_OK)
        rc = step_event_order(s, "order.failed", "failed", s->problem);
    /* A failed renewal keeps its certificate: the next attempt backs off. */
    if (rc == DB_OK)
        rc = renew_order_failed(s);
    if (rc == DB_OK)
        rc = step_job_delete(s);
    if (rc == DB_OK)
        rc = step_tx_commit(s);
    return rc == DB_OK ? STEP_RC_OK : step_tx_abort(s, rc);
}

/* Records a permanent failure: the order is failed with its problem and leaves the queue. */
static void step_end_fail(struct step *s)
{
    if (step_tx_begin(s) == STEP_RC_OK)
        step_tx_fail(s);
}

/* Starts the order afresh at the CA, keeping its certificate key. */
static void step_end_restart(struct step *s)
{
    struct db *db = s->w->db;
    int attempts = s->job.attempts + 1;
    log_warn("order %s: %s; starting a new CA order", s->order_id,
             json_string_value(json_object_get(s->problem, "detail")));
    /* The CA's new order brings new challenges: what was published for the old one goes. */
    step_challenge_cleanup(s);
    if (attempts >= STATE_MAX_ATTEMPTS) {
        json_object_set_new(s->problem, "retryable", json_false());
        step_end_fail(s);
        return;
    }
    if (step_tx_begin(s) != STEP_RC_OK)
        return;
    enum db_rc rc = db_work_order_restart(db, s->order_id);
    if (rc == DB_OK)
        rc = step_job_reschedule(s, 0, attempts, 0, "the CA lost the order");
    if (rc == DB_OK)
        rc = step_tx_commit(s);
    if (rc != DB_OK)
        step_tx_abort(s, rc);
}

/* Runs the function of the order's current step. */
static enum step_rc step_dispatch(struct step *s)
{
    int st = state_step_parse(step_order_str(s, "step"));
    int status = state_order_status_parse(step_order_str(s, "status"));
    if (status < 0 || state_order_final((enum order_status)status) || st == STEP_DONE) {
        /* A final order keeps no job; one left over (crash between writes) is removed. A job the
         * panel's cancel left behind is there to remove the order's challenge records first. */
        if (status == ORDER_CANCELLED)
            step_challenge_cleanup(s);
        if (step_tx_begin(s) != STEP_RC_OK)
            return STEP_RC_LOST;
        enum db_rc rc = step_job_delete(s);
        if (rc == DB_OK)
            rc = step_tx_commit(s);
        return rc == DB_OK ? STEP_RC_OK : step_tx_abort(s, rc);
    }
    s->ca = worker_ca_get(s->w, step_order_str(s, "ca"));
    if (!s->ca) {
        s->problem = step_problem("unknown_ca", "the order's CA is not in this worker's configuration", true, NULL);
        return STEP_RC_RETRY;
    }
    /* Pre-flight involves no CA: no account is made for an order that may never reach one. */
    enum step_rc rc = st == STEP_PREFLIGHT ? STEP_RC_OK : step_account(s);
    if (rc != STEP_RC_OK)
        return rc;
    switch ((enum order_step)st) {
    case STEP_PREFLIGHT:
        return step_preflight(s);
    case STEP_NEW_ORDER:
        return step_new_order(s);
    case STEP_AUTHORIZE:
        return step_authorize(s);
    case STEP_PUBLISH:
        return step_publish(s);
    case STEP_PROPAGATE:
        return step_propagate(s);
    case STEP_VALIDATE:
        return step_validate(s);
    case STEP_FINALIZE:
        return step_finalize(s);
    case STEP_DOWNLOAD:
        return step_download(s);
    default:
        s->problem = step_problem("internal", "the order is in an unknown step", false, NULL);
        return STEP_RC_FAIL;
    }
}

/* Loads the claimed order and runs its current step to an outcome. */
static void step_order_run(struct step *s)
{
    struct worker *w = s->w;
    s->order_id = s->job.order_id;
    log_ctx_set_order(s->order_id);
    enum db_rc rc = db_work_order_load(w->db, s->order_id, &s->order, &s->authzs, &s->blobs);
    enum step_rc src;
    if (rc == DB_OK) {
        s->tenant_id = step_order_str(s, "tenant_id");
        log_ctx_set_tenant(s->tenant_id);
        log_debug("order %s: step %s (attempt %d, poll %d)", s->order_id, step_order_str(s, "step"),
                  s->job.attempts + 1, s->job.polls);
        src = step_dispatch(s);
    } else {
        s->problem = step_problem("database_unavailable", "cannot read the order", true, NULL);
        src = STEP_RC_RETRY;
    }
    s->outcome = (int)src;
    if (src == STEP_RC_RETRY || src == STEP_RC_AGAIN)
        step_end_retry(s, src == STEP_RC_AGAIN);
    else if (src == STEP_RC_RESTART)
        step_end_restart(s);
    else if (src == STEP_RC_FAIL) {
        /* Records are removed whatever the outcome: a failed order leaves nothing in the zone. */
        step_challenge_cleanup(s);
        /* A refusal of this CA's own making need not be the order's end: another CA may issue it. */
        if (!step_failover_wanted(s, s->job.attempts + 1) || !step_failover(s))
            step_end_fail(s);
    }
}

/* Counts the step that ran: its kind (the order's step as claimed, or "revoke"), outcome and duration. */
static void step_metrics(const struct step *s, bool revoke, const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
    int st = s->order ? state_step_parse(step_order_str(s, "step")) : -1;
    const char *kind = revoke ? "revoke" : st >= 0 ? state_step_name((enum order_step)st) : s->order ? "unknown" : "noop";
    const char *outcome = "none";
    switch (s->outcome) {
    case STEP_RC_OK: outcome = "ok"; break;
    case STEP_RC_RETRY: outcome = "retry"; break;
    case STEP_RC_AGAIN: outcome = "again"; break;
    case STEP_RC_FAIL: outcome = "fail"; break;
    case STEP_RC_LOST: outcome = "lost"; break;
    case STEP_RC_RESTART: outcome = "restart"; break;
    default: break;
    }
    wmetrics_step(kind, outcome, secs);
}

/* (fenced) Removes a job with nothing left to do: a revocation already settled, or a 'noop' job (only make
 * bench inserts them, sql/019_chains.sql, to measure the queue's own cost: claim, fence check, delete, commit). */
void step_job_drop(struct step *s)
{
    if (step_tx_begin(s) != STEP_RC_OK)
        return;
    enum db_rc rc = step_job_delete(s);
    if (rc == DB_OK)
        rc = step_tx_commit(s);
    if (rc != DB_OK)
        step_tx_abort(s, rc);
}

/* Claims one due job and runs it to an outcome: an order's step, a certificate's revocation or a no-op. */
bool worker_run_one(struct worker *w)
{
    struct step s;
    memset(&s, 0, sizeof s);
    s.w = w;
    enum db_rc rc = db_job_claim(w->db, w->id, w->cfg->lease_seconds, &s.job);
    if (rc != DB_OK)
        return false;
    acme_result_init(&s.res);
    heartbeat_hold(w->hb, s.job.id, s.job.fence);
    s.outcome = -1;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool revoke = strcmp(s.job.kind, "revoke") == 0;
    if (revoke)
        step_revoke_run(&s);
    else if (strcmp(s.job.kind, "noop") == 0)
        step_job_drop(&s);
    else
        step_order_run(&s);
    step_metrics(&s, revoke, &t0);
    heartbeat_release(w->hb);
    json_decref(s.order);
    json_decref(s.authzs);
    json_decref(s.cert);
    json_decref(s.problem);
    db_order_blobs_free(&s.blobs);
    free(s.kid);
    step_dns_free(&s);
    EVP_PKEY_free(s.account_key);
    acme_result_clear(&s.res);
    log_ctx_clear();
    return true;
}
