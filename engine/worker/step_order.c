/* step_order — the first step: newOrder at the CA, its URL stored before anything else. */
#include "step.h"
#include "budget.h"

#include "base/log.h"
#include "base/xalloc.h"

#include <stdlib.h>

/* Records the CA order with its authorizations (in the step's fenced transaction) and frees ao. */
static enum step_rc step_new_order_store(struct step *s, struct acme_order *ao)
{
    enum step_rc ret = step_tx_begin(s);
    if (ret == STEP_RC_OK) {
        enum db_rc rc = db_work_order_acme(s->w->db, s->order_id, ao->url, ao->finalize_url);
        for (size_t i = 0; rc == DB_OK && i < ao->n_authz; i++)
            rc = db_work_authz_add(s->w->db, s->order_id, ao->authz_urls[i]);
        if (rc == DB_OK) {
            log_info("order %s: CA order %s with %zu authorizations", s->order_id, ao->url, ao->n_authz);
            step_log(s, "CA %s: order %s", s->ca->conf->name, ao->url);
            ret = step_tx_finish(s, STEP_AUTHORIZE, 0, 0);
        } else {
            ret = step_tx_abort(s, rc);
        }
    }
    acme_order_free(ao);
    return ret;
}

/* Sends newOrder (unless the order already has a CA order) and records it with its authorizations. */
enum step_rc step_new_order(struct step *s)
{
    if (step_order_str(s, "acme_order_url")) {
        /* A repeat after a crash: the CA order and its authorizations were stored together. */
        if (step_tx_begin(s) != STEP_RC_OK)
            return STEP_RC_LOST;
        return step_tx_finish(s, STEP_AUTHORIZE, 0, 0);
    }
    struct acme_order ao = { 0 };
    bool sent_before = json_is_true(json_object_get(s->order, "new_order_sent"));
    if (sent_before && worker_ca_directory(s->w, s->ca, &s->res) == ACME_OK && step_adopt_lost_order(s, &ao))
        return step_new_order_store(s, &ao);
    enum step_rc held;
    /* A newOrder sent before (its answer lost) was counted then: the budget is not spent twice. */
    if (!sent_before && !budget_gate(s, &held))
        return held; /* waiting for the CA's rate-limit budget (budget.c), or the database failed */
    json_t *domains = json_object_get(s->order, "domains");
    size_t n = json_array_size(domains);
    const char **names = xcalloc(n, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = json_string_value(json_array_get(domains, i));
    struct step_order_opts opts = { 0 };
    bool exclusive = s->ca->conf->exclusive_new_order;
    enum acme_rc arc = worker_ca_directory(s->w, s->ca, &s->res);
    /* The profile is checked against the directory before the CA sees the order. */
    enum step_rc oret = arc == ACME_OK ? step_order_opts_load(s, &opts) : STEP_RC_OK;
    /* Noted before it is sent: a crash after the CA answered leaves a trace to find the order by. */
    if (arc == ACME_OK && oret == STEP_RC_OK && db_work_order_new_order_mark(s->w->db, s->order_id, true) != DB_OK) {
        s->problem = step_problem("database_unavailable", "cannot note the newOrder", true, NULL);
        oret = STEP_RC_RETRY;
    }
    if (arc == ACME_OK && oret == STEP_RC_OK) {
        int slot = db_ca_gate_enter(worker_gate_db(s->w), s->ca->conf->name, s->ca->conf->max_inflight, exclusive);
        arc = acme_order_new_opts(s->ca->client, s->account_key, s->kid, names, n, &opts.acme, &ao, &s->res);
        db_ca_gate_leave(s->w->gate_db, slot);
    }
    step_order_opts_free(&opts);
    free(names);
    enum step_rc ret;
    if (oret != STEP_RC_OK) {
        ret = oret;
    } else if (arc != ACME_OK) {
        /* A refusal the CA answered made no order: nothing to look for next time. */
        if (arc == ACME_ERR_PROBLEM)
            db_work_order_new_order_mark(s->w->db, s->order_id, false);
        ret = step_acme_failure(s, arc, "newOrder");
    } else {
        return step_new_order_store(s, &ao);
    }
    acme_order_free(&ao);
    return ret;
}
