/* heartbeat — lease extension from a thread of its own while a step runs. */
#include "heartbeat.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "db_work.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct heartbeat {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    long long job_id;   /* 0: nothing held */
    long long fence;
    bool lost;          /* an extension found the claim gone */
    char *conninfo;
    char *owner;
    int lease_seconds;
    struct db *db;      /* the thread's own connection: never the step's, which is busy */
};

/* Extends the held lease once; false when the claim no longer holds (another worker has the step). */
static bool heartbeat_beat(struct heartbeat *hb, long long id, long long fence)
{
    char err[256];
    if (!hb->db && !(hb->db = db_open(hb->conninfo, err, sizeof err))) {
        log_warn("heartbeat: %s", err);
        return true; /* cannot tell: the lease may still run out, and the fence then decides */
    }
    enum db_rc rc = db_job_extend(hb->db, id, fence, hb->owner, hb->lease_seconds);
    if (rc == DB_NOTFOUND)
        return false;
    if (rc != DB_OK)
        db_ensure(hb->db);
    return true;
}

/* The thread: every third of a lease, extend what is held. */
static void *heartbeat_main(void *arg)
{
    struct heartbeat *hb = arg;
    long period_ms = hb->lease_seconds * 1000L / 3;
    pthread_mutex_lock(&hb->mu);
    while (!hb->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += period_ms / 1000;
        until.tv_nsec += (period_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int rc = 0;
        while (!hb->stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&hb->cv, &hb->mu, &until);
        if (hb->stop || !hb->job_id)
            continue;
        long long id = hb->job_id, fence = hb->fence;
        pthread_mutex_unlock(&hb->mu);
        bool held = heartbeat_beat(hb, id, fence);
        pthread_mutex_lock(&hb->mu);
        if (!held && hb->job_id == id && hb->fence == fence) {
            log_warn("heartbeat: job %lld (fence %lld) was taken over; its outcome will be dropped", id, fence);
            hb->lost = true;
            hb->job_id = 0;
        }
    }
    pthread_mutex_unlock(&hb->mu);
    return NULL;
}

/* Starts the heartbeat thread. */
struct heartbeat *heartbeat_start(const char *conninfo, const char *owner, int lease_seconds)
{
    struct heartbeat *hb = xcalloc(1, sizeof *hb);
    hb->conninfo = xstrdup(conninfo);
    hb->owner = xstrdup(owner);
    hb->lease_seconds = lease_seconds < 3 ? 3 : lease_seconds;
    pthread_mutex_init(&hb->mu, NULL);
    pthread_cond_init(&hb->cv, NULL);
    if (pthread_create(&hb->thread, NULL, heartbeat_main, hb) != 0) {
        log_error("heartbeat: cannot start its thread");
        pthread_mutex_destroy(&hb->mu);
        pthread_cond_destroy(&hb->cv);
        free(hb->conninfo);
        free(hb->owner);
        free(hb);
        return NULL;
    }
    return hb;
}

/* Starts keeping a claim. */
void heartbeat_hold(struct heartbeat *hb, long long job_id, long long fence)
{
    if (!hb)
        return;
    pthread_mutex_lock(&hb->mu);
    hb->job_id = job_id;
    hb->fence = fence;
    hb->lost = false;
    pthread_mutex_unlock(&hb->mu);
}

/* Stops keeping the claim; tells whether it was kept all along. */
bool heartbeat_release(struct heartbeat *hb)
{
    if (!hb)
        return true;
    pthread_mutex_lock(&hb->mu);
    bool kept = !hb->lost;
    hb->job_id = 0;
    hb->lost = false;
    pthread_mutex_unlock(&hb->mu);
    return kept;
}

/* Ends the thread and frees everything. */
void heartbeat_stop(struct heartbeat *hb)
{
    if (!hb)
        return;
    pthread_mutex_lock(&hb->mu);
    hb->stop = true;
    pthread_cond_signal(&hb->cv);
    pthread_mutex_unlock(&hb->mu);
    pthread_join(hb->thread, NULL);
    db_close(hb->db);
    pthread_mutex_destroy(&hb->mu);
    pthread_cond_destroy(&hb->cv);
    free(hb->conninfo);
    free(hb->owner);
    free(hb);
}
