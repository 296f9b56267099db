/*
 * step_adopt — a newOrder whose answer was lost (the worker died between the CA's answer
 * and the commit of the order URL): before sending another newOrder, the next worker
 * looks for that order among the account's orders, so one certmill order never leaves
 * two ACME orders behind at the CA.
 */
#include "step.h"

#include "base/log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STEP_ADOPT_MAX_LIST 1000 /* order URLs read from the account's list */
#define STEP_ADOPT_MAX_LOOK 50   /* orders not held by another certmill order fetched to compare, newest first */

/* True when the CA order names exactly the order's names (each once, case ignored). */
static bool step_adopt_same_names(const struct acme_order *ao, const json_t *domains)
{
    if (ao->n_identifiers != json_array_size(domains))
        return false;
    for (size_t i = 0; i < json_array_size(domains); i++) {
        const char *want = json_string_value(json_array_get(domains, i));
        bool found = false;
        for (size_t j = 0; j < ao->n_identifiers && !found; j++)
            found = strcasecmp(ao->identifiers[j], want) == 0;
        if (!found)
            return false;
    }
    return true;
}

/*
 * Finds a pending or ready CA order of the account for exactly the order's names that no
 * other certmill order holds; true with *out filled when one is found. Any failure to
 * look is "not found": a second newOrder is the worst outcome, never a stuck order.
 */
bool step_adopt_lost_order(struct step *s, struct acme_order *out)
{
    char **urls = NULL;
    size_t n = 0;
    bool found = false;
    memset(out, 0, sizeof *out);
    int slot = db_ca_gate_enter(worker_gate_db(s->w), s->ca->conf->name, s->ca->conf->max_inflight, false);
    enum acme_rc arc = acme_account_orders(s->ca->client, s->account_key, s->kid, STEP_ADOPT_MAX_LIST, &urls, &n,
                                           &s->res);
    /* Only fetches count against the limit: URLs other orders hold are skipped by a database
     * lookup, and a busy account may have many more of those than STEP_ADOPT_MAX_LOOK. */
    size_t looked = 0;
    for (size_t k = 0; arc == ACME_OK && k < n && looked < STEP_ADOPT_MAX_LOOK && !found; k++) {
        const char *url = urls[n - 1 - k];
        if (db_work_acme_order_taken(s->w->db, s->order_id, url) != DB_NOTFOUND)
            continue; /* another order's (or the database could not tell: do not risk sharing one) */
        looked++;
        struct acme_order ao = { 0 };
        if (acme_order_get(s->ca->client, s->account_key, s->kid, url, &ao, &s->res) == ACME_OK &&
            (strcmp(ao.status, "pending") == 0 || strcmp(ao.status, "ready") == 0) &&
            step_adopt_same_names(&ao, json_object_get(s->order, "domains"))) {
            *out = ao;
            found = true;
        } else {
            acme_order_free(&ao);
        }
    }
    db_ca_gate_leave(s->w->gate_db, slot);
    for (size_t i = 0; i < n; i++)
        free(urls[i]);
    free(urls);
    acme_result_clear(&s->res);
    if (found) {
        log_warn("order %s: its newOrder answer was lost; taking up CA order %s instead of sending another",
                 s->order_id, out->url);
        step_log(s, "the answer to newOrder was lost (worker stopped); found CA order %s and went on with it", out->url);
    }
    return found;
}
