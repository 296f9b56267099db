/*
 * db_budget — the CA rate-limit budgets' events (table rate_events, sql/009), shared by
 * all workers, and an order's "waiting". Calls marked "(tx)" run inside the step's
 * fenced transaction. A budget is named as budget_conf.h names it ("new_orders", ...);
 * account is the tenant for per-account budgets and "" for the others.
 */
#ifndef CM_DB_BUDGET_H
#define CM_DB_BUDGET_H

#include "db.h"

/* (tx) Takes the transaction-scoped advisory locks of keys (JSON array of strings), in one fixed order. */
enum db_rc db_budget_lock(struct db *db, const char *ca, const json_t *keys);

/* What the events of one key look like in its window, in the database's clock (epoch seconds). */
struct db_budget_count {
    long counted;  /* events counted, capped at the limit asked */
    double oldest; /* the oldest of those (the newest `limit` events) */
    double now;
};
/*
 * (tx) Counts the events of (ca, budget, account, key) in the last window_s seconds, at
 * most limit of them (the newest). Reservations count while their order is in progress;
 * exclude_order's own reservations are left out (it holds them already). When the hourly
 * sums (rate_buckets, 022) already stay under the limit, counted is that sum (an upper
 * bound) and oldest 0: the events themselves are not read.
 */
enum db_rc db_budget_count(struct db *db, const char *ca, const char *budget, const char *account, const char *key,
                           int limit, long window_s, const char *exclude_order, struct db_budget_count *out);
/* Records an event now; confirmed false: a certificate reserved by order_id (once per key). */
enum db_rc db_budget_add(struct db *db, const char *ca, const char *budget, const char *account, const char *key,
                         const char *order_id, bool confirmed);
/* (tx) The order's certificate was issued: its reservations become counted events, dated now. */
enum db_rc db_budget_confirm(struct db *db, const char *order_id);
/* Removes the CA's events older than window_s seconds (and reservations no longer held). */
enum db_rc db_budget_prune(struct db *db, const char *ca, long window_s);
/*
 * Whether the tenant holds an unexpired certificate from the CA for exactly the names
 * (JSON array of normalised names, in any order): then a new order for them is a renewal.
 */
enum db_rc db_budget_is_renewal(struct db *db, const char *tenant_id, const char *ca, const json_t *names,
                                bool *renewal);
/* (tx) Sets why the order waits (NULL: clears it); only writes when it changes. */
enum db_rc db_budget_order_waiting(struct db *db, const char *order_id, const json_t *waiting);

#endif
