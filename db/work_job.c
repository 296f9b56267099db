/* work_job — the work queue: claim with lease and fencing token, reschedule, release. */
#include "db_internal.h"
#include "db_work.h"

#include "base/log.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Claims one due job in a single statement; SKIP LOCKED lets workers pass each other. */
enum db_rc db_job_claim(struct db *db, const char *owner, int lease_seconds, struct db_job *job)
{
    char lease[16];
    snprintf(lease, sizeof lease, "%d", lease_seconds);
    const char *p[] = { owner, lease };
    enum db_rc rc;
    PGresult *res = db_exec(db,
                            "UPDATE jobs j SET lease_owner = $1,"
                            " lease_until = now() + make_interval(secs => $2::int), fence = j.fence + 1"
                            " FROM (SELECT id FROM jobs WHERE due_at <= now()"
                            "   AND (lease_until IS NULL OR lease_until < now())"
                            "   ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED) d"
                            " WHERE j.id = d.id RETURNING j.id, j.kind, coalesce(j.order_id, ''),"
                            " coalesce(j.certificate_id, ''), j.fence, j.attempts, j.polls",
                            2, p, NULL, NULL, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return DB_NOTFOUND;
    }
    job->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    snprintf(job->kind, sizeof job->kind, "%s", PQgetvalue(res, 0, 1));
    snprintf(job->order_id, sizeof job->order_id, "%s", PQgetvalue(res, 0, 2));
    snprintf(job->certificate_id, sizeof job->certificate_id, "%s", PQgetvalue(res, 0, 3));
    job->fence = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    job->attempts = atoi(PQgetvalue(res, 0, 5));
    job->polls = atoi(PQgetvalue(res, 0, 6));
    PQclear(res);
    return DB_OK;
}

/* How long until the next job is due, counting expired leases as due. */
enum db_rc db_job_next_due(struct db *db, long *ms)
{
    enum db_rc rc;
    PGresult *res = db_exec(db,
                            "SELECT ceil(extract(epoch FROM (min(greatest(due_at, coalesce(lease_until, due_at)))"
                            " - now())) * 1000)::bigint FROM jobs",
                            0, NULL, NULL, NULL, &rc);
    if (!res)
        return rc;
    if (PQgetisnull(res, 0, 0)) {
        *ms = -1;
    } else {
        long v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
        *ms = v < 0 ? 0 : v;
    }
    PQclear(res);
    return DB_OK;
}

/* Locks our job row and confirms the fencing token: a worker whose lease was taken over stops here. */
enum db_rc db_job_fence_check(struct db *db, const struct db_job *job)
{
    char id[24], fence[24];
    snprintf(id, sizeof id, "%lld", job->id);
    snprintf(fence, sizeof fence, "%lld", job->fence);
    const char *p[] = { id, fence };
    return db_command(db, "SELECT 1 FROM jobs WHERE id = $1 AND fence = $2 FOR UPDATE", 2, p, NULL, NULL, true);
}

/* Sets the job's next due time and frees the lease, if the claim still holds (fenced). */
enum db_rc db_job_reschedule(struct db *db, const struct db_job *job, long delay_ms, int attempts, int polls,
                             const char *last_error)
{
    char id[24], delay[24], att[16], pol[16], fence[24];
    snprintf(id, sizeof id, "%lld", job->id);
    snprintf(delay, sizeof delay, "%ld", delay_ms);
    snprintf(att, sizeof att, "%d", attempts);
    snprintf(pol, sizeof pol, "%d", polls);
    snprintf(fence, sizeof fence, "%lld", job->fence);
    const char *p[] = { id, delay, att, last_error, pol, fence };
    return db_command(db,
                       "UPDATE jobs SET due_at = now() + make_interval(secs => $2::bigint / 1000.0),"
                       " attempts = $3::int, polls = $5::int, last_error = $4, lease_owner = NULL, lease_until = NULL"
                       " WHERE id = $1 AND fence = $6",
                       6, p, NULL, NULL, true);
}

/* Deletes a finished job, if the claim still holds (fenced). */
enum db_rc db_job_delete(struct db *db, const struct db_job *job)
{
    char id[24], fence[24];
    snprintf(id, sizeof id, "%lld", job->id);
    snprintf(fence, sizeof fence, "%lld", job->fence);
    const char *p[] = { id, fence };
    return db_command(db, "DELETE FROM jobs WHERE id = $1 AND fence = $2", 2, p, NULL, NULL, true);
}

/* Hands the job back untouched, if it is still ours. */
enum db_rc db_job_release(struct db *db, const struct db_job *job)
{
    char id[24], fence[24];
    snprintf(id, sizeof id, "%lld", job->id);
    snprintf(fence, sizeof fence, "%lld", job->fence);
    const char *p[] = { id, fence };
    return db_command(db, "UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND fence = $2",
                      2, p, NULL, NULL, false);
}

/* Subscribes to the queue's wake-up notifications. */
enum db_rc db_job_listen(struct db *db)
{
    enum db_rc rc = db_command(db, "LISTEN certmill_jobs", 0, NULL, NULL, NULL, false);
    db->listening = rc == DB_OK;
    return rc;
}

/* Reads what arrived on the socket and collects the notifications: DB_WAKE_* bits. */
static unsigned db_job_notifies(struct db *db)
{
    unsigned got = 0;
    PGnotify *n;
    if (!PQconsumeInput(db->conn))
        db->down = true;
    while ((n = PQnotifies(db->conn)) != NULL) {
        got |= strcmp(n->extra, "webhook") == 0 ? DB_WAKE_WEBHOOK : DB_WAKE_JOB;
        PQfreemem(n);
    }
    return got;
}

/* Sleeps on the connection's socket until a notification or the timeout. */
unsigned db_job_wait(struct db *db, long timeout_ms)
{
    unsigned got = db_job_notifies(db);
    struct pollfd pfd = { .fd = PQsocket(db->conn), .events = POLLIN };
    if (got || pfd.fd < 0 || timeout_ms <= 0)
        return got;
    if (poll(&pfd, 1, (int)(timeout_ms > 600000 ? 600000 : timeout_ms)) > 0)
        got = db_job_notifies(db);
    return got;
}

/* Extends a lease still held by this claim (owner and fence unchanged); DB_NOTFOUND when it is not. */
enum db_rc db_job_extend(struct db *db, long long id, long long fence, const char *owner, int lease_seconds)
{
    char sid[24], sfence[24], lease[16];
    snprintf(sid, sizeof sid, "%lld", id);
    snprintf(sfence, sizeof sfence, "%lld", fence);
    snprintf(lease, sizeof lease, "%d", lease_seconds);
    const char *p[] = { sid, sfence, owner, lease };
    return db_command(db,
                      "UPDATE jobs SET lease_until = now() + make_interval(secs => $4::int)"
                      " WHERE id = $1::bigint AND fence = $2::bigint AND lease_owner = $3",
                      4, p, NULL, NULL, true);
}
