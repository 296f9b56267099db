/*
 * heartbeat — keeps the lease of the step a worker is running while the step takes
 * long (a slow CA, a DNS propagation check, an operator's DNS hook): a thread with its
 * own database connection extends the lease every third of its length, for as long as
 * the claim (job id + fencing token) still holds. A worker killed stops beating, so its
 * step is free again one lease later; a step that outlives its lease because the
 * database was unreachable loses it, and the fence keeps its outcome out.
 */
#ifndef CM_WORKER_HEARTBEAT_H
#define CM_WORKER_HEARTBEAT_H

#include <stdbool.h>

struct heartbeat;

/* Starts the thread (it connects with conninfo when it first has a claim to keep). NULL on failure. */
struct heartbeat *heartbeat_start(const char *conninfo, const char *owner, int lease_seconds);
/* From now on, keeps the lease of job id with this fencing token. */
void heartbeat_hold(struct heartbeat *hb, long long job_id, long long fence);
/* The step is over: no more extensions. True when every extension tried found the claim still held. */
bool heartbeat_release(struct heartbeat *hb);
/* Stops the thread and frees it. */
void heartbeat_stop(struct heartbeat *hb);

#endif
