/* step_order — the first step: newOrder at the CA, its URL stored before anything else. */
#include "step.h"
#include "budget.h"

#include "base/log.h"
#include "base/xalloc.h"

#include <stdlib.h>

/* Sends newOrder (unless the order already has a CA order) and records it with its authorizations. */
enum step_rc step_new_order(struct step *s)
{
    if (step_order_str(s, "acme_order_url")) {
        /* A repeat after a crash: the CA order and its authorizations were stored together. */
        if (step_tx_begin(s) != STEP_RC_OK)
            return STEP_RC_LOST;
        return step_tx_finish(s, STEP_AUTHORIZE, 0, 0);
    }
    enum step_rc held;
    if (!budget_gate(s, &held))
        return held; /* waiting for the CA's rate-limit budget (budget.c), or the database failed */
    json_t *domains = json_object_get(s->order, "domains");
    size_t n = json_array_size(domains);
    const char **names = xcalloc(n, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = json_string_value(json_array_get(domains, i));
    struct acme_order ao = { 0 };
    struct step_order_opts opts = { 0 };
    bool exclusive = s->ca->conf->exclusive_new_order;
    enum acme_rc arc = worker_ca_directory(s->w, s->ca, &s->res);
    /* The profile is checked against the directory before the CA sees the order. */
    enum step_rc oret = arc == ACME_OK ? step_order_opts_load(s, &opts) : STEP_RC_OK;
    if (arc == ACME_OK && oret == STEP_RC_OK) {
        int slot = db_ca_gate_enter(s->w->db, s->ca->conf->name, s->ca->conf->max_inflight, exclusive);
        arc = acme_order_new_opts(s->ca->client, s->account_key, s->kid, names, n, &opts.acme, &ao, &s->res);
        db_ca_gate_leave(s->w->db, s->ca->conf->name, slot, exclusive);
    }
    step_order_opts_free(&opts);
    free(names);
    enum step_rc ret;
    if (oret != STEP_RC_OK) {
        ret = oret;
    } else if (arc != ACME_OK) {
        ret = step_acme_failure(s, arc, "newOrder");
    } else if ((ret = step_tx_begin(s)) == STEP_RC_OK) {
        enum db_rc rc = db_work_order_acme(s->w->db, s->order_id, ao.url, ao.finalize_url);
        for (size_t i = 0; rc == DB_OK && i < ao.n_authz; i++)
            rc = db_work_authz_add(s->w->db, s->order_id, ao.authz_urls[i]);
        if (rc == DB_OK) {
            log_info("order %s: CA order %s with %zu authorizations", s->order_id, ao.url, ao.n_authz);
            step_log(s, "CA %s: order %s", s->ca->conf->name, ao.url);
            ret = step_tx_finish(s, STEP_AUTHORIZE, 0, 0);
        } else {
            ret = step_tx_abort(s, rc);
        }
    }
    acme_order_free(&ao);
    return ret;
}
