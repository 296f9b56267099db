/* serve — per-thread accept loop and request logging. */
#include "serve.h"

#include "base/log.h"
#include "dispatch.h"
#include "metrics.h"
#include "request.h"
#include "request_id.h"
#include "response.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_bool fcgi_serve_stopping;

/* Marks the server as stopping. */
void fcgi_serve_stop(void)
{
    atomic_store(&fcgi_serve_stopping, true);
}

/* Milliseconds since t0. */
static long fcgi_serve_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (long)((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

/* Seconds since t0, for the duration histogram. */
static double fcgi_serve_seconds(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Logs one line per request: never the Authorization header, never a body. */
static void fcgi_serve_log(const struct fcgi_req *req, const struct fcgi_resp *resp, long ms)
{
    char method[16], path[200];
    log_safe(method, sizeof method, req->method);
    log_safe(path, sizeof path, req->path);
    const char *code = resp->problem >= 0 ? fcgi_problem_info((enum fcgi_problem)resp->problem)->code : "-";
    /* A 503 is an outage already logged once by its cause; a 500 is a bug worth seeing each time. */
    enum log_level lvl = resp->status == 503 ? LOG_LVL_WARN : resp->status >= 500 ? LOG_LVL_ERROR : LOG_LVL_DEBUG;
    /* The tenant, the order and the request id come from the thread's log context. */
    log_msg(lvl, "%s %s %d %s %ldms", method, path, resp->status, code, ms);
}

/* Reads, dispatches, answers and logs one request. */
void fcgi_serve_one(struct fcgi_ctx *ctx, FCGX_Request *fx)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct fcgi_req req;
    struct fcgi_resp resp;
    char rid[FCGI_REQUEST_ID_MAX + 1];
    fcgi_request_id(fx->envp, rid, sizeof rid);
    log_ctx_clear();
    log_ctx_set_request(rid);
    fcgi_request_init(&req, fx);
    fcgi_resp_init(&resp);
    fcgi_dispatch(ctx, &req, &resp);
    /* After dispatch: a problem answer replaces the headers built before it. */
    fcgi_resp_header(&resp, "X-Request-Id", rid);
    /* Counted before the answer leaves, so a scrape the client makes next already sees it. */
    fcgi_metrics_request(&req, &resp, fcgi_serve_seconds(&t0));
    if (!fcgi_resp_write(&resp, fx->out, strcmp(req.method, "HEAD") == 0))
        log_debug("client went away before the answer was written");
    fcgi_serve_log(&req, &resp, fcgi_serve_ms(&t0));
    fcgi_resp_free(&resp);
    fcgi_request_free(&req);
    log_ctx_clear();
}

/* Accepts and answers requests until shutdown. */
void *fcgi_serve_thread(void *arg)
{
    struct fcgi_serve_arg *a = arg;
    FCGX_Request fx;
    if (FCGX_InitRequest(&fx, a->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
        log_error("thread %d: cannot initialise a FastCGI request", a->ctx.thread);
        return NULL;
    }
    /* Connect early so the first request does not pay for it; failure is retried later. */
    fcgi_ctx_db(&a->ctx);
    while (!atomic_load(&fcgi_serve_stopping)) {
        int rc = FCGX_Accept_r(&fx);
        if (rc < 0) {
            if (atomic_load(&fcgi_serve_stopping))
                break;
            /* EMFILE and the like pass; do not spin on them. */
            log_error("thread %d: accept failed (%d)", a->ctx.thread, rc);
            usleep(100 * 1000);
            continue;
        }
        fcgi_serve_one(&a->ctx, &fx);
    }
    FCGX_Finish_r(&fx);
    FCGX_Free(&fx, 1);
    fcgi_ctx_free(&a->ctx);
    return NULL;
}
