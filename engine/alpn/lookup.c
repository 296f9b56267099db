/* alpn/lookup — lookup threads with their own database connections. */
#include "alpn/lookup.h"

#include "base/log.h"
#include "base/xalloc.h"
#include "db.h"
#include "db_alpn.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* While the database is down, the pool tries to reach it at most this often. */
#define ALPN_POOL_RETRY_MS 1000

struct alpn_pool_item {
    size_t id;
    struct alpn_lookup *lk;
};

struct alpn_pool;

/* What one lookup thread is told at start. */
struct alpn_pool_thread_arg {
    struct alpn_pool *pool;
    int idx;
};

struct alpn_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t cap;
    struct alpn_pool_item *todo; /* ring of queued lookups */
    size_t todo_head, todo_n;
    size_t *done;                /* ring of finished ids */
    size_t done_head, done_n;
    int wake_fd;                 /* eventfd: readable while done_n > 0 */
    bool stop;
    char *conninfo;
    int64_t retry_at_ms;         /* while down: no connection attempt before this */
    bool down;                   /* the outage has been logged */
    pthread_t *threads;
    struct alpn_pool_thread_arg *args;
    int *busy_fd;                /* per thread: the socket of the query it runs, or -1 */
    int nthreads;
};

/* Milliseconds on the monotonic clock. */
static int64_t alpn_pool_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* True when this thread may try to reach the database now (not within the back-off after a failure). */
static bool alpn_pool_may_connect(struct alpn_pool *p)
{
    pthread_mutex_lock(&p->mu);
    bool ok = alpn_pool_now_ms() >= p->retry_at_ms;
    if (ok && p->down)
        p->retry_at_ms = alpn_pool_now_ms() + ALPN_POOL_RETRY_MS; /* one thread tries; the others answer at once */
    pthread_mutex_unlock(&p->mu);
    return ok;
}

/* Records a failure to reach the database: logged once per outage, and a back-off for every thread. */
static void alpn_pool_mark_down(struct alpn_pool *p, const char *why)
{
    pthread_mutex_lock(&p->mu);
    p->retry_at_ms = alpn_pool_now_ms() + ALPN_POOL_RETRY_MS;
    bool said = p->down;
    p->down = true;
    pthread_mutex_unlock(&p->mu);
    if (!said)
        log_error("database unavailable (%s): TLS-ALPN-01 handshakes fail until it is back", why);
}

/* Records that the database answered again. */
static void alpn_pool_mark_up(struct alpn_pool *p)
{
    pthread_mutex_lock(&p->mu);
    bool said = p->down;
    p->down = false;
    p->retry_at_ms = 0;
    pthread_mutex_unlock(&p->mu);
    if (said)
        log_info("database reachable again");
}

/* Makes *db usable: opens it the first time, reconnects it after a loss. */
static bool alpn_pool_connect(struct alpn_pool *p, struct db **db)
{
    if (*db && !db_is_down(*db))
        return true;
    if (!alpn_pool_may_connect(p))
        return false;
    char err[512];
    if (!*db) {
        *db = db_open(p->conninfo, err, sizeof err);
        if (!*db) {
            alpn_pool_mark_down(p, err);
            return false;
        }
    } else if (!db_ensure(*db)) {
        alpn_pool_mark_down(p, "reconnection failed");
        return false;
    }
    alpn_pool_mark_up(p);
    return true;
}

/* True once alpn_pool_stop has begun. */
static bool alpn_pool_stopping(struct alpn_pool *p)
{
    pthread_mutex_lock(&p->mu);
    bool stop = p->stop;
    pthread_mutex_unlock(&p->mu);
    return stop;
}

/* Answers one lookup; a connection lost since the last one is re-made and the query tried once more. */
static void alpn_pool_query(struct alpn_pool *p, struct db **db, struct alpn_lookup *lk)
{
    lk->key_authorization = NULL;
    lk->status = ALPN_LOOKUP_UNAVAILABLE;
    for (int attempt = 0; attempt < 2; attempt++) {
        /* After a stop cut the query short, asking again would wait out the hung database after all. */
        if (attempt > 0 && alpn_pool_stopping(p))
            return;
        if (!alpn_pool_connect(p, db))
            return;
        enum db_rc rc = db_alpn_key_authorization(*db, lk->name, &lk->key_authorization);
        if (rc == DB_OK) {
            lk->status = ALPN_LOOKUP_FOUND;
            return;
        }
        if (rc == DB_NOTFOUND) {
            lk->status = ALPN_LOOKUP_NOTFOUND;
            return;
        }
        /* A failed statement on a live connection is not cured by asking again. */
        if (!db_is_down(*db))
            return;
    }
}

/* The body of a lookup thread: take a lookup, answer it, hand it back. */
static void *alpn_pool_thread(void *arg)
{
    struct alpn_pool *p = ((struct alpn_pool_thread_arg *)arg)->pool;
    int idx = ((struct alpn_pool_thread_arg *)arg)->idx;
    struct db *db = NULL;
    /* Connect before the first handshake needs it. */
    alpn_pool_connect(p, &db);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->todo_n == 0)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop)
            break;
        struct alpn_pool_item it = p->todo[p->todo_head];
        p->todo_head = (p->todo_head + 1) % p->cap;
        p->todo_n--;
        /* Published so that stopping can cut a query short instead of waiting out a hung database. */
        p->busy_fd[idx] = db && !db_is_down(db) ? db_socket(db) : -1;
        pthread_mutex_unlock(&p->mu);

        alpn_pool_query(p, &db, it.lk);

        pthread_mutex_lock(&p->mu);
        p->busy_fd[idx] = -1;
        p->done[(p->done_head + p->done_n) % p->cap] = it.id;
        p->done_n++;
        uint64_t one = 1;
        /* Cannot fail short of a counter overflow; the loop drains it on every wake-up. */
        if (write(p->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
            log_error("lookup: eventfd write: %s", strerror(errno));
    }
    pthread_mutex_unlock(&p->mu);
    db_close(db);
    return NULL;
}

/* Allocates the pool and starts its threads. */
struct alpn_pool *alpn_pool_start(const char *conninfo, int nthreads, size_t capacity, char *err, size_t errlen)
{
    if (nthreads < 1 || capacity < 1 || !conninfo) {
        snprintf(err, errlen, "lookup pool: bad arguments");
        return NULL;
    }
    struct alpn_pool *p = xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->cap = capacity;
    p->todo = xcalloc(capacity, sizeof *p->todo);
    p->done = xcalloc(capacity, sizeof *p->done);
    p->conninfo = xstrdup(conninfo);
    p->threads = xcalloc((size_t)nthreads, sizeof *p->threads);
    p->args = xcalloc((size_t)nthreads, sizeof *p->args);
    p->busy_fd = xcalloc((size_t)nthreads, sizeof *p->busy_fd);
    for (int i = 0; i < nthreads; i++)
        p->busy_fd[i] = -1;
    p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->wake_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        alpn_pool_stop(p);
        return NULL;
    }
    for (int i = 0; i < nthreads; i++) {
        p->args[i] = (struct alpn_pool_thread_arg){ p, i };
        int rc = pthread_create(&p->threads[i], NULL, alpn_pool_thread, &p->args[i]);
        if (rc != 0) {
            snprintf(err, errlen, "pthread_create: %s", strerror(rc));
            alpn_pool_stop(p);
            return NULL;
        }
        p->nthreads++;
    }
    return p;
}

/* Queues a lookup and wakes one thread. */
void alpn_pool_submit(struct alpn_pool *p, size_t id, struct alpn_lookup *lk)
{
    pthread_mutex_lock(&p->mu);
    /* At most one outstanding lookup per id, so the ring never overflows. */
    if (p->todo_n + p->done_n >= p->cap)
        log_error("lookup: more than %zu lookups outstanding", p->cap); /* a bug of the caller */
    else {
        p->todo[(p->todo_head + p->todo_n) % p->cap] = (struct alpn_pool_item){ id, lk };
        p->todo_n++;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
}

/* The descriptor to poll. */
int alpn_pool_fd(const struct alpn_pool *p)
{
    return p->wake_fd;
}

/* Hands back finished lookups. */
size_t alpn_pool_done(struct alpn_pool *p, size_t *ids, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&p->mu);
    uint64_t cnt;
    /* Reset the counter under the lock, so a lookup finishing now still makes it readable again. */
    if (read(p->wake_fd, &cnt, sizeof cnt) < 0 && errno != EAGAIN)
        log_error("lookup: eventfd read: %s", strerror(errno));
    while (n < max && p->done_n > 0) {
        ids[n++] = p->done[p->done_head];
        p->done_head = (p->done_head + 1) % p->cap;
        p->done_n--;
    }
    if (p->done_n > 0) { /* more than max: keep the descriptor readable */
        uint64_t one = 1;
        if (write(p->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
            log_error("lookup: eventfd write: %s", strerror(errno));
    }
    pthread_mutex_unlock(&p->mu);
    return n;
}

/* Stops and joins the threads, then frees everything. */
void alpn_pool_stop(struct alpn_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    /*
     * A query stuck on a hung database would hold the exit up to the statement timeout:
     * shutting its socket makes libpq return at once (the thread still closes the
     * connection normally). The socket is the one published under this lock.
     */
    int cut = 0;
    for (int i = 0; i < p->nthreads; i++)
        if (p->busy_fd[i] >= 0 && shutdown(p->busy_fd[i], SHUT_RDWR) == 0)
            cut++;
    if (cut)
        log_info("stopping: cutting %d database queries short", cut);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    if (p->wake_fd >= 0)
        close(p->wake_fd);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    xfree_secret(p->conninfo, strlen(p->conninfo));
    free(p->threads);
    free(p->args);
    free(p->busy_fd);
    free(p->done);
    free(p->todo);
    free(p);
}
