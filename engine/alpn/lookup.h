/*
 * alpn/lookup — a small pool of threads, each with its own database connection,
 * that find the key authorization of a name for the handshake loop. The loop never
 * waits on PostgreSQL: it submits a lookup, keeps serving other connections, and
 * learns of finished lookups through a file descriptor it polls.
 *
 * While the database is down, lookups answer ALPN_LOOKUP_UNAVAILABLE at once (one
 * reconnection attempt per second for the whole pool), so handshakes fail quickly
 * instead of piling up behind connection attempts.
 */
#ifndef CM_ALPN_LOOKUP_H
#define CM_ALPN_LOOKUP_H

#include "ident/domain.h"

#include <stdbool.h>
#include <stddef.h>

enum alpn_lookup_status {
    ALPN_LOOKUP_FOUND = 0, /* key_authorization is set */
    ALPN_LOOKUP_NOTFOUND,  /* no pending tls-alpn-01 challenge for the name */
    ALPN_LOOKUP_UNAVAILABLE /* the database could not answer */
};

/* One lookup: the caller fills name; the pool fills the rest. */
struct alpn_lookup {
    char name[DOMAIN_MAX_LEN + 1];
    enum alpn_lookup_status status;
    char *key_authorization; /* FOUND only; the caller frees it */
};

struct alpn_pool;

/*
 * Starts nthreads lookup threads for at most capacity outstanding lookups, ids
 * 0..capacity-1. Each thread connects to conninfo at start (a database that is down
 * is retried later, not fatal). NULL with the reason in err.
 */
struct alpn_pool *alpn_pool_start(const char *conninfo, int nthreads, size_t capacity, char *err, size_t errlen);
/*
 * Queues lookup id; lk must stay in place and untouched until alpn_pool_done hands
 * id back. At most one outstanding lookup per id.
 */
void alpn_pool_submit(struct alpn_pool *p, size_t id, struct alpn_lookup *lk);
/* A descriptor that polls readable when lookups have finished. */
int alpn_pool_fd(const struct alpn_pool *p);
/* Takes up to max ids of finished lookups (draining the descriptor); returns how many. */
size_t alpn_pool_done(struct alpn_pool *p, size_t *ids, size_t max);
/*
 * Stops the threads (a lookup in progress is finished first), closes their
 * connections and frees the pool. Lookups still queued are dropped: their lk are
 * never written again.
 */
void alpn_pool_stop(struct alpn_pool *p);

#endif
