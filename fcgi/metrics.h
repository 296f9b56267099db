/*
 * metrics — GET /metrics in the Prometheus text format 0.0.4 (no API key, like
 * /healthz: restrict it to the scraper in the front server), the API's own request
 * counts, and the thread that flushes this process's counts to the shared table.
 */
#ifndef CM_FCGI_METRICS_H
#define CM_FCGI_METRICS_H

#include "app.h"
#include "base/metrics.h"
#include "request.h"
#include "response.h"

/* GET /metrics → 200 text/plain; version=0.0.4, or a 503 problem when the database does not answer. */
void fcgi_metrics_get(struct fcgi_ctx *ctx, struct fcgi_req *req, struct fcgi_resp *resp);
/* Counts one answered request: method, the route's pattern (never the concrete path), status, duration. */
void fcgi_metrics_request(const struct fcgi_req *req, const struct fcgi_resp *resp, double seconds);
/*
 * The exposition text (caller frees) from the state gauges (db_metrics_state), the shared
 * counters (sorted here, in place) and the configured CA names (other CAs show as "other").
 */
char *fcgi_metrics_render(const json_t *state, struct metrics_sample *counters, size_t n, const char *const *cas,
                          size_t n_cas);
/* Starts the thread that flushes the counts every few seconds; false when it cannot start. */
bool fcgi_metrics_start(const struct fcgi_app *app);
/* Stops it after a last flush, and frees the registry. */
void fcgi_metrics_stop(void);

#endif
