/* step_authz — authorizations: publish each challenge's answer, ask the CA to validate, poll. */
#include "step.h"
#include "budget.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "crypto/b64.h"
#include "crypto/jws.h"
#include "webroot.h"

#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Field helpers for an authorization row. */
static const char *authz_str(json_t *a, const char *k)
{
    return json_string_value(json_object_get(a, k));
}

/* Finds the challenge of the order's type among those the CA offers. */
static const struct acme_challenge *authz_pick(const struct acme_authz *az, const char *type)
{
    for (size_t i = 0; i < az->n_challenges; i++)
        if (az->challenges[i].type && strcmp(az->challenges[i].type, type) == 0)
            return &az->challenges[i];
    return NULL;
}

/* The first challenge error of an authorization, for the problem shown to the panel. */
static const struct acme_problem *authz_error(const struct acme_authz *az)
{
    for (size_t i = 0; i < az->n_challenges; i++)
        if (az->challenges[i].error.type || az->challenges[i].error.detail)
            return &az->challenges[i].error;
    return NULL;
}

/* Sets the problem of an order whose authorization the CA refused. */
/*
 * True when the CA's HTTP-01 look got 502, 503 or 504: certmill's own responder (or the
 * front before it) was unavailable — a database outage, a restart — not the customer's
 * setup. Pebble says "... returned 503", Boulder "Invalid response from URL: 503".
 */
static bool authz_responder_unavailable(const struct acme_problem *err)
{
    static const char *const marks[] = { "returned 502", "returned 503", "returned 504", ": 502", ": 503", ": 504" };
    if (!err || !err->detail || !strstr(err->detail, "/.well-known/acme-challenge/"))
        return false;
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (strstr(err->detail, marks[i]))
            return true;
    return false;
}

/* Sets the problem of an authorization the CA found invalid; true when the fault was certmill's responder. */
static bool authz_invalid(struct step *s, const struct acme_authz *az)
{
    const struct acme_problem *err = authz_error(az);
    char detail[600];
    snprintf(detail, sizeof detail, "validation of %s%s failed%s%s", az->wildcard ? "*." : "",
             az->identifier ? az->identifier : "?", err && err->detail ? ": " : "",
             err && err->detail ? err->detail : "");
    budget_record_failure(s, az->identifier);
    if (authz_responder_unavailable(err)) {
        /* The name is fine; certmill was away when the CA looked: a new CA order, counted as a try. */
        s->problem = step_problem("validation_responder_unavailable", detail, true, err);
        return true;
    }
    s->problem = step_problem("validation_failed", detail, false, err);
    return false;
}

/* Stores the CA's view of one authorization (inside the outcome transaction). */
static enum db_rc authz_store(struct step *s, long long id, const struct acme_authz *az,
                              const struct acme_challenge *ch, const char *keyauth, long retry_after)
{
    /* DNS-01 publishes base64url(SHA-256(key authorization)) at _acme-challenge.<name> (RFC 8555 §8.4). */
    char *record_name = NULL, *record_value = NULL;
    if (ch && keyauth && strcmp(ch->type, "dns-01") == 0) {
        unsigned char digest[32];
        unsigned int dlen = 0;
        if (EVP_Digest(keyauth, strlen(keyauth), digest, &dlen, EVP_sha256(), NULL) == 1 && dlen == 32) {
            record_value = b64url_encode(digest, dlen);
            record_name = xasprintf("_acme-challenge.%s", az->identifier);
        }
    }
    struct db_authz_update u = {
        .record_name = record_name,
        .record_value = record_value,
        .id = id,
        .domain = az->identifier,
        .wildcard = az->wildcard,
        .status = az->status,
        .challenge_type = ch ? ch->type : NULL,
        .challenge_url = ch ? ch->url : NULL,
        .token = ch ? ch->token : NULL,
        .key_authorization = keyauth,
        .retry_after_s = retry_after,
    };
    enum db_rc rc = db_work_authz_update(s->w->db, &u);
    free(record_name);
    free(record_value);
    return rc;
}

/* Writes each pending HTTP-01 answer as a file under the webroot, before the CA can be told to look. */
static enum step_rc authz_webroot_write(struct step *s, const struct acme_authz *az, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct acme_challenge *ch = strcmp(az[i].status, "pending") == 0 ? authz_pick(&az[i], "http-01") : NULL;
        if (!ch)
            continue;
        char *keyauth = jws_key_authorization(ch->token, s->account_key);
        char err[400] = "";
        bool ok = keyauth && webroot_write(s->w->cfg->http01_webroot, ch->token, keyauth, err, sizeof err);
        free(keyauth);
        if (!ok) {
            s->problem = step_problem("webroot_write_failed", err, true, NULL);
            return STEP_RC_RETRY;
        }
        log_info("order %s: wrote webroot file for %s", s->order_id, az[i].identifier);
    }
    return STEP_RC_OK;
}

/* Fetches every authorization and publishes the answer to its challenge (the responder serves it). */
enum step_rc step_authorize(struct step *s)
{
    size_t n = json_array_size(s->authzs), fetched = 0;
    struct acme_authz *az = xcalloc(n ? n : 1, sizeof *az);
    long *ra = xcalloc(n ? n : 1, sizeof *ra);
    const char *type = step_order_str(s, "challenge");
    enum step_rc ret = STEP_RC_OK;
    bool failed = false;
    int slot = db_ca_gate_enter(worker_gate_db(s->w), s->ca->conf->name, s->ca->conf->max_inflight, false);
    for (size_t i = 0; i < n && ret == STEP_RC_OK && !failed; i++) {
        enum acme_rc arc = acme_authz_get(s->ca->client, s->account_key, s->kid,
                                          authz_str(json_array_get(s->authzs, i), "url"), &az[i], &s->res);
        if (arc != ACME_OK) {
            ret = step_acme_failure(s, arc, "authorization");
            break;
        }
        fetched = i + 1;
        ra[i] = s->res.retry_after;
        if (strcmp(az[i].status, "valid") != 0 && strcmp(az[i].status, "pending") != 0) {
            /* Stored below with the others, then the order fails in the same commit. */
            authz_invalid(s, &az[i]);
            failed = true;
        } else if (strcmp(az[i].status, "pending") == 0 && !authz_pick(&az[i], type)) {
            char detail[300];
            snprintf(detail, sizeof detail, "the CA offers no %s challenge for %s", type, az[i].identifier);
            s->problem = step_problem("challenge_unavailable", detail, false, NULL);
            failed = true;
        }
    }
    db_ca_gate_leave(s->w->gate_db, slot);
    if (ret == STEP_RC_OK && !failed && strcmp(type, "http-01") == 0 && s->w->cfg->http01_webroot)
        ret = authz_webroot_write(s, az, fetched);
    if (ret == STEP_RC_OK && (ret = step_tx_begin(s)) == STEP_RC_OK) {
        enum db_rc rc = DB_OK;
        for (size_t i = 0; i < fetched && rc == DB_OK; i++) {
            long long id = json_integer_value(json_object_get(json_array_get(s->authzs, i), "id"));
            const struct acme_challenge *ch = strcmp(az[i].status, "pending") == 0 ? authz_pick(&az[i], type) : NULL;
            char *keyauth = ch ? jws_key_authorization(ch->token, s->account_key) : NULL;
            rc = authz_store(s, id, &az[i], ch, keyauth, ra[i]);
            free(keyauth);
        }
        if (rc != DB_OK)
            ret = step_tx_abort(s, rc);
        else
            /* DNS-01 records must be published and seen everywhere before the CA is told to look. */
            ret = failed ? step_tx_fail(s)
                         : step_tx_finish(s, strcmp(type, "dns-01") == 0 ? STEP_PUBLISH : STEP_VALIDATE, 0, 0);
    }
    for (size_t i = 0; i < n; i++)
        acme_authz_free(&az[i]);
    free(az);
    free(ra);
    return ret;
}

/*
 * When to look again: soon, backing off, but never before a Retry-After of the CA, whether
 * it came with this look or (for an authorization answered now, not looked at) an earlier one.
 */
static long validate_delay_ms(const struct step *s, bool answered_now, long retry_after, const bool *responded,
                              const bool *polled)
{
    long delay = state_poll_ms(answered_now ? 0 : s->job.polls, retry_after);
    for (size_t i = 0; i < json_array_size(s->authzs); i++) {
        long wait = (long)json_integer_value(json_object_get(json_array_get(s->authzs, i), "poll_wait_ms"));
        if (responded[i] && !polled[i] && wait > delay)
            delay = wait;
    }
    return delay;
}

/* Answers the challenges not yet answered, then polls the others until all are valid. */
enum step_rc step_validate(struct step *s)
{
    size_t n = json_array_size(s->authzs);
    struct acme_authz *az = xcalloc(n ? n : 1, sizeof *az);
    bool *responded = xcalloc(n ? n : 1, sizeof *responded), *polled = xcalloc(n ? n : 1, sizeof *polled);
    long *ra = xcalloc(n ? n : 1, sizeof *ra);
    bool answered_now = false, failed = false, ours = false;
    char refused[400] = "";
    long retry_after = -1;
    enum step_rc ret = STEP_RC_OK;
    int slot = db_ca_gate_enter(worker_gate_db(s->w), s->ca->conf->name, s->ca->conf->max_inflight, false);
    for (size_t i = 0; i < n && ret == STEP_RC_OK; i++) {
        json_t *a = json_array_get(s->authzs, i);
        if (strcmp(authz_str(a, "status"), "valid") == 0)
            continue;
        enum acme_rc arc;
        if (!json_is_true(json_object_get(a, "responded"))) {
            struct acme_challenge ch = { 0 };
            arc = acme_challenge_respond(s->ca->client, s->account_key, s->kid, authz_str(a, "challenge_url"), &ch,
                                         &s->res);
            acme_challenge_free(&ch);
            if (arc == ACME_OK) {
                responded[i] = answered_now = true;
                continue;
            }
            if (arc != ACME_ERR_PROBLEM) {
                ret = step_acme_failure(s, arc, "challenge");
                continue;
            }
            /*
             * The CA refused the answer: if a worker answered before a crash, the challenge is no
             * longer pending and the CA says so. The authorization tells which it is.
             */
            snprintf(refused, sizeof refused, "challenge: the CA said: %s",
                     s->res.problem.detail ? s->res.problem.detail : "(no detail)");
            responded[i] = true;
        }
        arc = acme_authz_get(s->ca->client, s->account_key, s->kid, authz_str(a, "url"), &az[i], &s->res);
        if (arc != ACME_OK) {
            ret = step_acme_failure(s, arc, "authorization");
            continue;
        }
        const struct acme_challenge *mine = authz_pick(&az[i], authz_str(a, "challenge_type"));
        if (refused[0] && strcmp(az[i].status, "pending") == 0 && mine && strcmp(mine->status, "pending") == 0) {
            /* Not answered before after all: the refusal stands. */
            char safe[400];
            s->problem = step_problem("ca_rejected", log_safe(safe, sizeof safe, refused), false, NULL);
            ret = STEP_RC_FAIL;
            continue;
        }
        refused[0] = '\0';
        polled[i] = true;
        ra[i] = s->res.retry_after;
        if (s->res.retry_after > retry_after)
            retry_after = s->res.retry_after;
        if (strcmp(az[i].status, "valid") != 0 && strcmp(az[i].status, "pending") != 0) {
            /* Stored below with the other authorizations, then the order fails in the same commit. */
            ours = authz_invalid(s, &az[i]);
            failed = true;
            break;
        }
    }
    db_ca_gate_leave(s->w->gate_db, slot);
    /* Settled: one authorization failed, or every one is valid (before or by this poll). */
    bool settled = true;
    for (size_t i = 0; i < n && !failed; i++)
        if (strcmp(authz_str(json_array_get(s->authzs, i), "status"), "valid") != 0 &&
            !(polled[i] && strcmp(az[i].status, "valid") == 0))
            settled = false;
    if (ret == STEP_RC_OK && failed && ours)
        ret = STEP_RC_RESTART; /* the restart removes what was published and starts a new CA order */
    if (ret == STEP_RC_OK && settled)
        step_challenge_cleanup(s); /* validation is over, whatever its outcome: the records go */
    if (ret == STEP_RC_OK && (ret = step_tx_begin(s)) == STEP_RC_OK) {
        enum db_rc rc = DB_OK;
        for (size_t i = 0; i < n && rc == DB_OK; i++) {
            long long id = json_integer_value(json_object_get(json_array_get(s->authzs, i), "id"));
            if (responded[i])
                rc = db_work_authz_responded(s->w->db, id);
            if (polled[i] && rc == DB_OK)
                rc = authz_store(s, id, &az[i], NULL, NULL, ra[i]);
        }
        if (rc != DB_OK)
            ret = step_tx_abort(s, rc);
        else if (failed)
            ret = step_tx_fail(s);
        else if (settled)
            ret = step_tx_finish(s, STEP_FINALIZE, 0, 0);
        else
            ret = step_tx_finish(s, STEP_VALIDATE, validate_delay_ms(s, answered_now, retry_after, responded, polled),
                                 answered_now ? 0 : s->job.polls + 1);
    }
    for (size_t i = 0; i < n; i++)
        acme_authz_free(&az[i]);
    free(az);
    free(responded);
    free(polled);
    free(ra);
    return ret;
}
