/*
 * db_metrics — the metric counters the processes of a cluster share (sql/018_metrics.sql)
 * and the state gauges GET /metrics computes at scrape time.
 */
#ifndef CM_DB_METRICS_H
#define CM_DB_METRICS_H

#include "base/metrics.h"
#include "db.h"

/* Adds n deltas to the shared counters (one upsert statement, rows locked in key order). */
enum db_rc db_metrics_add(struct db *db, const struct metrics_sample *s, size_t n);
/*
 * Takes this process's deltas out of the registry and adds them to the shared counters;
 * on failure they go back to the registry for the next flush. DB_OK when there was nothing.
 */
enum db_rc db_metrics_flush(struct db *db);
/* Every shared counter: *out (caller frees with metrics_samples_free), *n of them. */
enum db_rc db_metrics_counters(struct db *db, struct metrics_sample **out, size_t *n);
/*
 * The state gauges as one JSON object: "orders" and "certificates" ([{status, ca, n}]),
 * "soonest_expiry" (Unix seconds or null), "queue" ([{kind, n, age_ms}], due kinds only).
 */
enum db_rc db_metrics_state(struct db *db, json_t **out);

#endif
