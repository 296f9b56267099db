/*
 * wmetrics — what the worker counts for GET /metrics (engine/base/metrics.h): the ACME
 * exchanges its clients report, its steps and their durations, its webhook deliveries;
 * and the flush of those counts to the shared counter table.
 */
#ifndef CM_WMETRICS_H
#define CM_WMETRICS_H

#include "worker.h"

#include <stdbool.h>

/* Makes the CA's client report its exchanges, labelled with the CA's configured name. */
void wmetrics_watch_ca(struct worker_ca *ca);
/* Counts one step (step: the order step's name or "revoke"; outcome: ok, retry, again, fail, lost, restart). */
void wmetrics_step(const char *step, const char *outcome, double seconds);
/* Counts one webhook delivery attempt: ok, the HTTP status (0: none) and whether the address was refused. */
void wmetrics_webhook(bool ok, long code, bool refused);
/*
 * Flushes the counts when the flush interval (10 s) has passed, or when idle is true (at
 * most once a second), so what the worker did shows before it naps.
 */
void wmetrics_flush(struct worker *w, bool idle);

#endif
