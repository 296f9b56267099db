/* ca — the ACME clients of the CAs this worker talks to, made on first use, and the CA gate's connection. */
#include "worker.h"
#include "wmetrics.h"

#include "base/log.h"

#include <stdlib.h>
#include <string.h>

/* Finds (making on first use) the ACME client of a configured CA. */
struct worker_ca *worker_ca_get(struct worker *w, const char *name)
{
    for (size_t i = 0; name && i < w->n_cas; i++) {
        struct worker_ca *c = &w->cas[i];
        if (strcmp(c->conf->name, name) != 0)
            continue;
        if (!c->client) {
            /*
             * A request to the CA ends (answered, or abandoned with its unsent bytes dropped)
             * within two thirds of a lease: a worker cut off from the network with newOrder on
             * the wire loses its lease only after that request can no longer reach the CA, so
             * the worker taking the step over finds the CA order if there is one
             * (step_adopt.c) instead of making a second. The heartbeat renews a lease every
             * third of it, hence two thirds.
             */
            long cap = (long)w->cfg->lease_seconds * 2000 / 3;
            long timeout = c->conf->timeout_ms > 0 && c->conf->timeout_ms < cap ? c->conf->timeout_ms : cap;
            if (timeout != c->conf->timeout_ms)
                log_warn("CA %s: requests time out after %ld ms, not timeout_ms = %ld: two thirds of "
                         "[worker] lease_seconds = %d", c->conf->name, timeout, (long)c->conf->timeout_ms,
                         (int)w->cfg->lease_seconds);
            struct acme_opts o = {
                .directory_url = c->conf->directory,
                .trust_file = c->conf->trust,
                .timeout_ms = timeout,
            };
            c->client = acme_client_new(&o);
            wmetrics_watch_ca(c);
        }
        return c->client ? c : NULL;
    }
    return NULL;
}

/* Frees every CA client. */
void worker_cas_free(struct worker *w)
{
    for (size_t i = 0; i < w->n_cas; i++)
        acme_client_free(w->cas[i].client);
    free(w->cas);
    w->cas = NULL;
    w->n_cas = 0;
}

/* The CA gate's connection, opened on first use (and again after a failed open). */
struct db *worker_gate_db(struct worker *w)
{
    if (!w->gate_db) {
        char err[512];
        if (!(w->gate_db = db_open(w->cfg->db_conninfo_worker, err, sizeof err)))
            log_warn("CA gate: %s", err);
    }
    return w->gate_db;
}
