/*
 * app — the state certmill-fcgi shares between its threads (configuration, master
 * key) and the state each thread owns (its database connection).
 */
#ifndef CM_FCGI_APP_H
#define CM_FCGI_APP_H

#include "base/config.h"
#include "crypto/seal.h"
#include "auth_cache.h"
#include "db.h"
#include "response.h"

#include <stdbool.h>
#include <time.h>

/* Read-only after start-up, shared by every thread. */
struct fcgi_app {
    const struct config *cfg;
    struct seal_keyring keys; /* [keys] master_key_file and previous_master_key_files */
    bool have_master_key;
    struct fcgi_limiter *limiter; /* per-tenant request rate (its own lock); NULL: no limit */
};

/* One per thread: requests of a thread run one after another on its connection. */
struct fcgi_limiter;

struct fcgi_ctx {
    const struct fcgi_app *app;
    int thread;           /* number, for the log */
    struct db *db;        /* NULL until connected */
    time_t next_connect;  /* no new connection attempt before this time */
    bool db_down_logged;  /* the outage was logged once already */
    struct fcgi_auth_cache keys; /* API keys looked up lately (auth_cache.h) */
};

void fcgi_ctx_init(struct fcgi_ctx *ctx, const struct fcgi_app *app, int thread);
/*
 * The thread's connection, connecting when there is none (at most one attempt a
 * second, so a database outage costs requests nothing but a quick 503). NULL while
 * the database is unreachable.
 */
struct db *fcgi_ctx_db(struct fcgi_ctx *ctx);
/* fcgi_ctx_db, answering 503 service_unavailable on resp when there is no connection. */
struct db *fcgi_ctx_db_or_503(struct fcgi_ctx *ctx, struct fcgi_resp *resp);
/* Answers a failed query: DB_NOTFOUND is 404 not_found, anything else 503 (never 500). */
void fcgi_resp_db_failure(struct fcgi_resp *resp, enum db_rc rc);
void fcgi_ctx_free(struct fcgi_ctx *ctx);

#endif
