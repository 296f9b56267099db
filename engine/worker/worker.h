/* worker — the state shared by the worker's main loop and its step functions. */
#ifndef CM_WORKER_H
#define CM_WORKER_H

#include "acme/acme.h"
#include "base/config.h"
#include "crypto/seal.h"
#include "db.h"
#include "keycache.h"
#include "state.h"

#include <jansson.h>
#include <signal.h>

/* One CA this worker talks to, with its client made on first use. */
struct worker_ca {
    const struct config_ca *conf;
    struct acme_client *client;
    bool dir_recorded;    /* what its directory offers is in ca_directories (ca_dir.c) */
};

struct dns_ctx;

struct worker {
    struct config *cfg;
    struct db *db;
    /* The CA gate's own connection (db_ca_gate_enter): it keeps a transaction open across
     * a request to the CA, so its locks are transaction-level and PgBouncer's transaction
     * pooling holds them; never the step's connection, whose transactions come and go. */
    struct db *gate_db;
    struct seal_keyring keys; /* the master keys: [keys] master_key_file and previous ones */
    char id[80];
    struct worker_ca *cas;
    size_t n_cas;
    struct dns_ctx *dns;  /* resolvers and timeouts of [dns] (wdns.c) */
    struct heartbeat *hb; /* keeps the lease of the running step (heartbeat.c); NULL: none */
    struct keycache decoded_keys; /* account and certificate keys decoded before (keycache.c) */
    long long webhook_check_ms; /* monotonic time of the next look for due deliveries (webhooks.c) */
};

/* Claims and sends one due webhook delivery (webhooks.c); false when none was due or it is not time to look. */
bool worker_webhook_run_one(struct worker *w);
/* The delay before a delivery's next attempt after attempts failed ones (webhooks.c). */
long worker_webhook_backoff_ms(long base_ms, int attempts);
/* The CA gate's connection, opened on first use; NULL while the database cannot be reached. */
struct db *worker_gate_db(struct worker *w);
/* Claims and performs one due step; false when nothing was due. */
bool worker_run_one(struct worker *w);
/* The client for a configured CA, NULL if the name is not configured. */
struct worker_ca *worker_ca_get(struct worker *w, const char *name);
/* Frees the CA clients. */
void worker_cas_free(struct worker *w);
/*
 * Loads the CA's directory (once per process, as acme_directory_load) and records what it
 * offers (profiles, renewalInfo) in ca_directories the first time, for the API's checks.
 */
enum acme_rc worker_ca_directory(struct worker *w, struct worker_ca *ca, struct acme_result *res);

#endif
