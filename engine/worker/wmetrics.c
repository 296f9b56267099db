/* wmetrics — the worker's metrics: ACME exchanges, steps, webhook deliveries, and their flush. */
#include "wmetrics.h"
#include "base/clock.h"

#include "base/log.h"
#include "base/metrics.h"
#include "db_metrics.h"

#include <time.h>

#define WMETRICS_FLUSH_MS 10000    /* the most a count waits before other fronts can show it */
#define WMETRICS_IDLE_FLUSH_MS 1000 /* going idle flushes too, at most this often (many lightly loaded workers) */

/* The observer of a CA's client: one ACME exchange. */
static void wmetrics_acme(void *ud, const char *endpoint, const char *result, double seconds)
{
    const char *ca = ud;
    char labels[METRICS_MAX_LABELS];
    if (metrics_labels(labels, sizeof labels, "ca", ca, "endpoint", endpoint, "result", result, NULL))
        metrics_count("certmill_acme_requests_total", labels, 1);
    if (metrics_labels(labels, sizeof labels, "ca", ca, "endpoint", endpoint, NULL))
        metrics_observe("certmill_acme_request_duration_seconds", labels, seconds);
}

/* Hooks the observer to the CA's client; its label is the configured name (bounded by the configuration). */
void wmetrics_watch_ca(struct worker_ca *ca)
{
    if (ca && ca->client)
        acme_client_observe(ca->client, wmetrics_acme, ca->conf->name);
}

/* Counts one step and its duration. */
void wmetrics_step(const char *step, const char *outcome, double seconds)
{
    char labels[METRICS_MAX_LABELS];
    if (metrics_labels(labels, sizeof labels, "step", step, "outcome", outcome, NULL))
        metrics_count("certmill_steps_total", labels, 1);
    if (metrics_labels(labels, sizeof labels, "step", step, NULL))
        metrics_observe("certmill_step_duration_seconds", labels, seconds);
}

/* Counts one delivery attempt by result: the status class, "refused" or "error" (no answer). */
void wmetrics_webhook(bool ok, long code, bool refused)
{
    static const char *const classes[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
    const char *result = refused ? "refused" : code >= 100 && code <= 599 ? classes[code / 100 - 1] : "error";
    if (ok)
        result = "2xx";
    char labels[METRICS_MAX_LABELS];
    if (metrics_labels(labels, sizeof labels, "result", result, NULL))
        metrics_count("certmill_webhook_deliveries_total", labels, 1);
}

/* Flushes when due; a failure keeps the counts for the next try (logged once per outage). */
void wmetrics_flush(struct worker *w, bool idle)
{
    static long long last;
    static bool failed;
    long long now = clock_now_ms();
    bool due = now - last >= WMETRICS_FLUSH_MS || (idle && now - last >= WMETRICS_IDLE_FLUSH_MS);
    if (!due || !metrics_pending())
        return;
    last = now;
    if (!w->db || db_is_down(w->db))
        return;
    if (db_metrics_flush(w->db) != DB_OK) {
        if (!failed)
            log_warn("metrics: cannot write the counts (kept for the next try)");
        failed = true;
    } else {
        failed = false;
    }
}
